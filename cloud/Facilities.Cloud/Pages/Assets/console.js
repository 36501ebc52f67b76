// Engineer console: open alerts, work orders with deadlines and actions, site overview; live over server-sent events.
"use strict";
(() => {
  const { t, time, span, ago, el, api, post, live, showError, can } = Page;
  const query = new URLSearchParams(location.search);
  const siteSelect = document.getElementById("site");
  const statusSelect = document.getElementById("status");
  const engineer = can("engineer", "admin");
  const expanded = new Set();
  let orders = [];
  let lastAlerts = null;
  let lastOrders = null;

  statusSelect.value = query.get("status") || "active";
  const wantedSite = query.get("site") || "";

  function filtersChanged() {
    const params = new URLSearchParams();
    if (siteSelect.value) params.set("site", siteSelect.value);
    if (statusSelect.value !== "active") params.set("status", statusSelect.value);
    history.replaceState(null, "", location.pathname + (params.size ? "?" + params : ""));
    refresh().catch(showError);
  }
  siteSelect.addEventListener("change", filtersChanged);
  statusSelect.addEventListener("change", filtersChanged);

  async function loadSites() {
    const sites = await api("/api/sites");
    for (const s of sites) siteSelect.append(el("option", { value: s.site }, s.site));
    siteSelect.value = sites.some(s => s.site === wantedSite) ? wantedSite : "";
  }

  const where = (x) => [x.site, x.building, x.device].filter(Boolean).join(" · ");

  function alertItem(a) {
    const since = a.firedAt || a.openedAt;
    return el("li", { class: "item " + a.severity, dataset: { alertId: a.id, device: a.device, rule: a.ruleId, state: a.state } },
      el("div", { class: "head" },
        el("span", { class: "badge " + a.severity }, t("severity." + a.severity)),
        el("span", { class: "badge " + (a.state === "firing" ? "critical" : "") }, t("alert.state." + a.state)),
        el("span", { class: "title" }, a.title)),
      el("div", { class: "meta" }, where(a)),
      el("div", { class: "meta" }, t("common.since") + " ", el("time", { datetime: since }, time(since, a.site)), " (" + ago(since) + ")",
        a.occurrences > 1 ? " ×" + a.occurrences : ""),
      a.acknowledgedBy ? el("div", { class: "meta" }, t("console.acknowledged-by") + ": " + a.acknowledgedBy + " " + time(a.acknowledgedAt, a.site)) : null,
      engineer && a.state === "firing"
        ? el("div", { class: "actions" }, el("button", { class: "primary", type: "button", dataset: { action: "acknowledge" },
            onclick: (e) => act(e.target, () => post(`/api/alerts/${a.id}/acknowledge`, {})) }, t("console.acknowledge")))
        : null);
  }

  /** The deadline that matters now: respond-by until someone responded, then resolve-by; none once resolved. */
  function deadline(o) {
    if (o.status === "resolved" || o.status === "closed") return null;
    // An entrapment's response deadline is the crew's arrival (TSG T5002), so the page says so.
    if (!o.respondedAt && o.respondBy) return { key: o.rescue ? "order.arrive-by" : "order.respond-by", at: o.respondBy };
    return o.resolveBy ? { key: "order.resolve-by", at: o.resolveBy } : null;
  }

  function countdown(o) {
    const d = deadline(o);
    if (!d) return null;
    const left = new Date(d.at).getTime() - Date.now();
    const text = left >= 0 ? t("order.left") + " " + span(left) : t("order.overdue") + " " + span(left);
    return el("div", { class: "meta" }, t(d.key) + " " + time(d.at, o.site) + " · ",
      el("span", { class: "countdown" + (left < 0 ? " over" : ""), dataset: { deadline: d.at } }, text));
  }

  function orderSummary(o) {
    return el("div", { class: "summary" },
      el("div", { class: "head" },
        el("span", { class: "badge " + o.severity }, o.priority),
        el("span", { class: "badge", dataset: { status: o.status } }, t("order.status." + o.status)),
        o.breached.length ? el("span", { class: "badge breached" }, t("order.breached")) : null,
        el("span", { class: "title" }, "#" + o.id + " " + o.title)),
      el("div", { class: "meta" }, where(o)),
      el("div", { class: "meta" }, t("order.assignee") + ": " + (o.assignee || t("order.unassigned"))),
      countdown(o));
  }

  // The buttons depend on the status and, on a rescue order, on which steps are recorded.
  const actionsKey = (o) => o.status + (o.arrivedAt ? "+arrived" : "") + (o.releasedAt ? "+released" : "");

  function actionsFor(o) {
    const box = el("div", { class: "actions", dataset: { forStatus: actionsKey(o) } });
    // The API's limits (64 characters for an assignee, 2000 for a note), so the form cannot build a request it refuses.
    const input = (name, placeholder) => el("input", { name, maxlength: name === "assignee" ? 64 : 2000, placeholder: t(placeholder), "aria-label": t(placeholder) });
    const run = (action, body, after) => (e) => act(e.target, async () => { await post(`/api/work-orders/${o.id}/${action}`, body()); if (after) after(); });
    if (o.status === "open" || o.status === "assigned") {
      const assignee = input("assignee", "order.assignee-placeholder");
      box.append(assignee, el("button", { type: "button", dataset: { action: "assign" }, onclick: run("assign", () => ({ assignee: assignee.value })) }, t("order.assign")),
        el("button", { type: "button", dataset: { action: "start" }, onclick: run("start", () => ({})) }, t("order.start")));
    }
    const active = o.status === "open" || o.status === "assigned" || o.status === "in_progress";
    if (active && o.rescue && !o.arrivedAt) {
      box.append(el("button", { type: "button", class: "primary", dataset: { action: "arrive" }, onclick: run("arrive", () => ({})) }, t("order.arrive")));
    }
    if (active && o.rescue && !o.releasedAt) {
      box.append(el("button", { type: "button", class: "primary", dataset: { action: "release" }, onclick: run("release", () => ({})) }, t("order.release")));
    }
    if (o.status === "open" || o.status === "assigned" || o.status === "in_progress") {
      box.append(el("button", { type: "button", class: "primary", dataset: { action: "resolve" }, onclick: run("resolve", () => ({ note: note.value || null })) }, t("order.resolve")));
    }
    if (o.status === "resolved") {
      box.append(el("button", { type: "button", dataset: { action: "close" }, onclick: run("close", () => ({ note: note.value || null })) }, t("order.close")));
    }
    const note = input("note", "order.note-placeholder");
    box.append(note, el("button", { type: "button", dataset: { action: "note" }, onclick: run("note", () => ({ text: note.value }), () => { note.value = ""; }) }, t("order.add-note")));
    return box;
  }

  function timeline(o, events) {
    return el("ol", { class: "timeline" }, events.map(e => el("li", {},
      el("time", { datetime: e.at }, time(e.at, o.site)),
      el("strong", {}, t("event." + e.action) === "event." + e.action ? e.action : t("event." + e.action)), " · " + e.actor,
      e.detail ? " — " + e.detail : "")));
  }

  async function renderDetail(item, o) {
    const detail = await api(`/api/work-orders/${o.id}`);
    let box = item.querySelector(".detail");
    if (!box) { box = el("div", { class: "detail" }); item.append(box); }
    const old = box.querySelector(".actions");
    const keep = old && old.dataset.forStatus === actionsKey(o); // keep what someone is typing
    const actions = keep ? old : actionsFor(o);
    box.replaceChildren(el("h3", {}, t("order.timeline")), timeline(o, detail.timeline), actions);
  }

  function orderItem(o, existing) {
    const item = existing || el("li", { class: "item " + o.severity, dataset: { orderId: o.id, device: o.device } });
    item.className = "item " + o.severity;
    item.dataset.status = o.status;
    const toggle = el("button", { type: "button", class: "link-button", dataset: { action: "details" }, "aria-expanded": expanded.has(o.id) ? "true" : "false",
      onclick: () => { expanded.has(o.id) ? expanded.delete(o.id) : expanded.add(o.id); renderOrders(); } }, t("order.details"));
    const summary = orderSummary(o);
    summary.querySelector(".head").append(toggle);
    const old = item.querySelector(".summary");
    old ? old.replaceWith(summary) : item.prepend(summary);
    if (expanded.has(o.id)) renderDetail(item, o).catch(showError);
    else item.querySelector(".detail")?.remove();
    return item;
  }

  function renderOrders() {
    const list = document.getElementById("orders");
    const byId = new Map([...list.children].map(li => [li.dataset.orderId, li]));
    list.replaceChildren(...orders.map(o => orderItem(o, byId.get(String(o.id)))));
    document.getElementById("order-count").textContent = orders.length;
    document.getElementById("no-orders").hidden = orders.length > 0;
  }

  function renderOverview(sites) {
    const box = document.getElementById("overview");
    document.getElementById("no-sites").hidden = sites.length > 0;
    box.replaceChildren(...sites.map(s => el("article", { class: "card", dataset: { site: s.site } },
      el("div", { class: "shed-head" }, el("h3", {}, s.site),
        el("span", { class: "badge " + (s.devicesOnline === s.devices ? "online" : "offline") }, t("console.devices-online") + " " + s.devicesOnline + "/" + s.devices)),
      el("div", { class: "meta" }, ["critical", "warning", "info"].filter(k => s.openAlerts[k]).map(k => el("span", { class: "badge " + k }, t("severity." + k) + " " + s.openAlerts[k]))),
      el("table", {},
        el("thead", {}, el("tr", {}, el("th", {}, t("console.gateways")), el("th", {}, ""), el("th", {}, t("console.last-seen")))),
        el("tbody", {}, s.gateways.map(g => el("tr", {},
          el("td", {}, g.gateway), el("td", {}, el("span", { class: "badge " + g.state }, t("gateway.state." + g.state))),
          el("td", {}, time(g.lastSeen, s.site) + " (" + ago(g.lastSeen) + ")"))))),
      s.problems.length ? el("div", {}, el("h3", {}, t("console.devices-problem")), el("ul", { class: "list" }, s.problems.map(d => el("li", { class: "meta" },
        el("span", { class: "badge " + d.state }, t("device.state." + d.state)), " " + [d.building, d.device].join(" · ") + " — " + t("common.since") + " " + time(d.since, s.site))))) : null)));
  }

  async function refresh() {
    const site = siteSelect.value;
    const siteParam = site ? "&site=" + encodeURIComponent(site) : "";
    const [alerts, newOrders, overview] = await Promise.all([
      api("/api/alerts?state=open" + siteParam),
      api("/api/work-orders?status=" + encodeURIComponent(statusSelect.value) + siteParam),
      engineer ? api("/api/overview" + (site ? "?site=" + encodeURIComponent(site) : "")) : Promise.resolve(null),
    ]);
    const shown = alerts.filter(a => a.state === "firing" || a.state === "acknowledged")
      .sort((a, b) => (a.state === b.state ? 0 : a.state === "firing" ? -1 : 1) || severityRank(a) - severityRank(b));
    // Redraw only what changed: a button being pressed must not be replaced under the pointer by an identical one.
    const alertsJson = JSON.stringify(shown);
    if (alertsJson !== lastAlerts) {
      lastAlerts = alertsJson;
      document.getElementById("alerts").replaceChildren(...shown.map(alertItem));
      document.getElementById("alert-count").textContent = shown.length;
      document.getElementById("no-alerts").hidden = shown.length > 0;
    }
    const ordersJson = JSON.stringify(newOrders);
    if (ordersJson !== lastOrders) {
      lastOrders = ordersJson;
      orders = newOrders;
      renderOrders();
    }
    if (overview) { document.getElementById("overview-section").hidden = false; renderOverview(overview); }
    document.getElementById("updated").textContent = new Intl.DateTimeFormat(Page.data.lang, { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false, timeZone: Page.zoneOf(site) }).format(new Date());
  }

  const severityRank = (a) => ({ critical: 0, warning: 1, info: 2 })[a.severity] ?? 3;

  async function act(button, call) {
    button.disabled = true;
    try { await call(); lastOrders = null; await refresh(); } catch (error) { showError(error); } finally { button.disabled = false; }
  }

  setInterval(() => { lastAlerts = null; lastOrders = null; refresh().catch(showError); }, 30000); // "since" and countdowns move without new data
  loadSites().catch(showError).finally(() => live("/api/live/console", refresh));
})();
