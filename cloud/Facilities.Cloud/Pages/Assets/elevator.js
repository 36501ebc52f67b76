// One elevator: status now, reasons for its score, maintenance, open orders, trips and door cycles per day, faults.
"use strict";
(() => {
  const { t, time, el, api, live, showError } = Page;
  const device = Page.data.values.device;
  const site = Page.data.values.site;
  const band = (score) => score >= 80 ? "good" : score >= 50 ? "fair" : "poor";
  const reasonText = (r) => { const key = "reason." + r.code; const text = t(key); return text === key ? r.text : text; };
  const fact = (label, value) => [el("dt", {}, label), el("dd", {}, value ?? "—")];
  /** A controller's label in the page's language when it is a known one ("normal", "closed"), else as sent. */
  const label = (value) => { if (value === null || value === undefined) return null; const key = "value." + value; const text = t(key); return text === key ? value : text; };

  /** A bar chart as inline SVG (no chart library), as wide as its box: one bar per day, the value above it. */
  function chart(box, days, pick, labelOf) {
    labelOf = labelOf || (d => d.day.slice(5));
    const values = days.map(pick);
    const max = Math.max(1, ...values.filter(v => v !== null));
    const width = Math.max(280, Math.round(box.clientWidth || 320)), height = 140, bottom = 18, top = 14;
    const step = width / Math.max(1, days.length);
    const labelEvery = Math.ceil(40 / step);
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    svg.setAttribute("class", "chart");
    svg.setAttribute("role", "img");
    const add = (name, attributes, text) => {
      const node = document.createElementNS("http://www.w3.org/2000/svg", name);
      for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, v);
      if (text !== undefined) node.textContent = text;
      svg.append(node);
    };
    add("line", { x1: 0, x2: width, y1: height - bottom, y2: height - bottom, class: "axis" });
    days.forEach((d, i) => {
      const v = values[i];
      const x = i * step + step * 0.15;
      const h = v === null ? 0 : (height - bottom - top) * v / max;
      if (v !== null) add("rect", { x, y: height - bottom - h, width: step * 0.7, height: Math.max(h, 1), fill: "#0b5cad", rx: 2 });
      if (v !== null && step >= 22) add("text", { x: x + step * 0.35, y: height - bottom - h - 3, "text-anchor": "middle" }, v);
      if ((days.length - 1 - i) % labelEvery === 0) add("text", { x: x + step * 0.35, y: height - 4, "text-anchor": "middle" }, labelOf(d));
    });
    box.replaceChildren(svg);
  }

  async function refresh() {
    const h = await api("/api/elevators/" + encodeURIComponent(device) + "/health?days=14" + (site ? "&site=" + encodeURIComponent(site) : ""));
    const score = document.getElementById("score");
    score.textContent = h.score;
    score.className = "score " + band(h.score);
    document.getElementById("where").textContent = [h.site, h.building].join(" · ");
    document.getElementById("reasons").replaceChildren(...(h.reasons.length
      ? h.reasons.map(r => el("li", { class: "meta" }, reasonText(r) + " (−" + r.points + ")"))
      : [el("li", {}, el("span", { class: "badge healthy" }, t("elevators.healthy")))]));
    const s = h.status;
    document.getElementById("now").replaceChildren(
      ...fact(t("common.device"), el("span", { class: "badge " + s.link }, t("device.state." + s.link))),
      ...fact(t("elevator.mode"), label(s.serviceMode)),
      ...fact(t("elevator.floor"), s.floor),
      ...fact(t("elevator.direction"), label(s.direction)),
      ...fact(t("elevator.door"), label(s.door)),
      ...fact(t("elevator.fault"), s.fault ? el("span", { class: "badge fault" }, label(s.fault)) : t("common.none")),
      ...fact(t("common.updated"), s.updatedAt ? time(s.updatedAt, h.site) : null));
    const m = h.maintenance;
    document.getElementById("maintenance").replaceChildren(
      ...fact(t("elevator.maintenance-last"), m.last ? time(m.last, h.site) : t("common.unknown")),
      ...fact(t("elevator.maintenance-due"), m.next ? el("span", { class: m.overdue ? "countdown over" : "" }, time(m.next, h.site)) : t("common.unknown")));
    document.getElementById("orders").replaceChildren(...(h.openWorkOrders.length ? h.openWorkOrders.map(o => el("li", { class: "meta" },
      el("span", { class: "badge" }, o.priority), " ", el("span", { class: "badge" }, t("order.status." + o.status)), " ",
      el("a", { href: "/console?site=" + encodeURIComponent(h.site) }, "#" + o.id + " " + o.title),
      o.breached.length ? el("span", { class: "badge breached" }, t("order.breached")) : null)) : [el("li", { class: "muted" }, t("common.none"))]));
    chart(document.getElementById("chart-trips"), h.usage, d => d.trips);
    chart(document.getElementById("chart-doors"), h.usage, d => d.doorCycles);
    const recent = await api("/api/elevators/" + encodeURIComponent(device) + "/history?hours=24&site=" + encodeURIComponent(h.site));
    document.getElementById("no-recent").hidden = recent.configured;
    document.getElementById("recent").hidden = !recent.configured;
    if (recent.configured) {
      const series = (name) => recent.series.find(s => s.point === name).points;
      const hourOf = (p) => time(p.at, h.site).slice(-5, -3);
      chart(document.getElementById("chart-recent-trips"), series("trips"), p => p.value === null ? null : Math.round(p.value), hourOf);
      chart(document.getElementById("chart-recent-floor"), series("floor"), p => p.value, hourOf);
    }
    document.getElementById("faults").replaceChildren(...h.faults.items.map(f => el("li", {},
      el("time", { datetime: f.firedAt }, time(f.firedAt, h.site)), " ",
      el("span", { class: "badge " + f.severity }, t("severity." + f.severity)), " " + f.title + " · " + t("alert.state." + f.state))));
    document.getElementById("no-faults").hidden = h.faults.items.length > 0;
  }

  live("/api/live/console", refresh);
})();
