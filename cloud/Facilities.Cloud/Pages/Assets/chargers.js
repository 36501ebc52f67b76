// Residents' charger availability: sites → sheds → "n of m free" → every port. Public; live over server-sent events.
"use strict";
(() => {
  const { t, time, el, api, live, showError } = Page;
  const siteSelect = document.getElementById("site");
  const wanted = new URLSearchParams(location.search).get("site") || localStorage.getItem("chargers.site") || "";
  let source = null;

  const portStates = { free: "port.free", charging: "port.charging", finished: "port.finished", fault: "port.fault", out_of_service: "port.out-of-service", unknown: "port.unknown" };
  const stateClass = (state) => state.replaceAll("_", "-");

  function freeText(free, total) {
    return free === null || free === undefined ? t("chargers.unknown") : t("chargers.free-of", { free, total });
  }

  function port(p, site) {
    return el("li", { class: "port", dataset: { port: p.port, state: p.state } },
      el("strong", {}, t("chargers.port", { n: p.port })), " ",
      el("span", { class: "badge " + stateClass(p.state) }, t(portStates[p.state] || "port.unknown")),
      p.state === "charging" && p.expectedFreeAt ? el("span", { class: "when" }, t("chargers.frees-at", { time: time(p.expectedFreeAt, site) })) : null);
  }

  function shed(s, site) {
    const unknown = s.free === null || s.free === undefined;
    return el("article", { class: "card", dataset: { shed: s.shed, status: s.status, free: unknown ? "" : s.free, total: s.total } },
      el("div", { class: "shed-head" },
        el("h2", {}, s.shed),
        el("span", { class: "free-count" + (unknown ? " unknown" : s.free === 0 ? " none" : "") }, freeText(s.free, s.total))),
      unknown ? el("p", { class: "error" }, t("chargers.shed-offline")) : null,
      el("div", { class: "muted" }, t("common.building") + " " + s.building + " · " + t("chargers.last-update") + " " + time(s.lastUpdate, site)),
      el("ul", { class: "ports" }, s.ports.map(p => port(p, site))));
  }

  async function refresh() {
    const site = siteSelect.value;
    if (!site) return;
    const view = await api("/api/sites/" + encodeURIComponent(site) + "/chargers");
    document.getElementById("site-summary").hidden = false;
    document.getElementById("site-name").textContent = view.site;
    const free = document.getElementById("site-free");
    const unknown = view.total === 0 && view.shedsUnknown > 0;
    free.textContent = unknown ? t("chargers.unknown") : freeText(view.free, view.total);
    free.className = "free-count" + (unknown ? " unknown" : view.free === 0 ? " none" : "");
    document.getElementById("sheds").replaceChildren(...view.sheds.map(s => shed(s, view.site)));
    document.getElementById("no-sheds").hidden = view.sheds.length > 0;
    document.getElementById("updated").textContent = time(view.generatedAt, view.site);
  }

  function follow() {
    if (source) source.close();
    const site = siteSelect.value;
    localStorage.setItem("chargers.site", site);
    history.replaceState(null, "", location.pathname + "?site=" + encodeURIComponent(site));
    source = live("/api/live/chargers?site=" + encodeURIComponent(site), refresh);
  }

  (async () => {
    const sites = (await api("/api/sites")).filter(s => s.chargerSheds > 0);
    siteSelect.replaceChildren(...sites.map(s => el("option", { value: s.site }, s.site)));
    document.getElementById("no-sheds").hidden = sites.length > 0;
    if (!sites.length) return;
    siteSelect.value = sites.some(s => s.site === wanted) ? wanted : sites[0].site;
    siteSelect.addEventListener("change", follow);
    follow();
    setInterval(() => refresh().catch(showError), 60000); // staleness is a matter of time passing, not of new data
  })().catch(showError);
})();
