// Crews' elevator health: every elevator, sickest first, with its score and the reasons for it.
"use strict";
(() => {
  const { t, time, el, api, live, showError } = Page;
  const siteSelect = document.getElementById("site");
  const wanted = new URLSearchParams(location.search).get("site") || "";

  const band = (score) => score >= 80 ? "good" : score >= 50 ? "fair" : "poor";
  const reasonText = (r) => { const key = "reason." + r.code; const text = t(key); return text === key ? r.text : text; };

  function item(e) {
    const href = "/elevators/" + encodeURIComponent(e.device) + "?site=" + encodeURIComponent(e.site);
    return el("li", { class: "item " + (band(e.score) === "poor" ? "critical" : band(e.score) === "fair" ? "warning" : ""), dataset: { device: e.device, score: e.score } },
      el("div", { class: "shed-head" },
        el("a", { href, class: "title" }, e.device),
        el("span", { class: "score " + band(e.score), title: t("elevators.score") }, e.score)),
      el("div", { class: "meta" }, [e.site, e.building].join(" · "), " ",
        el("span", { class: "badge " + e.link }, t("device.state." + e.link)),
        e.fault ? el("span", { class: "badge fault" }, (t("value." + e.fault) === "value." + e.fault ? e.fault : t("value." + e.fault))) : null),
      e.reasons.length
        ? el("ul", { class: "meta" }, e.reasons.map(r => el("li", {}, reasonText(r) + " (−" + r.points + ")")))
        : el("div", { class: "meta" }, el("span", { class: "badge healthy" }, t("elevators.healthy"))),
      el("div", { class: "meta" }, t("elevator.maintenance-due") + ": " + (e.nextMaintenance ? time(e.nextMaintenance, e.site) : t("common.unknown"))));
  }

  async function refresh() {
    const site = siteSelect.value;
    const list = await api("/api/elevators" + (site ? "?site=" + encodeURIComponent(site) : ""));
    document.getElementById("elevators").replaceChildren(...list.map(item));
    document.getElementById("no-elevators").hidden = list.length > 0;
    document.getElementById("updated").textContent = time(new Date().toISOString(), site);
  }

  (async () => {
    const sites = (await api("/api/sites")).filter(s => s.elevators > 0);
    for (const s of sites) siteSelect.append(el("option", { value: s.site }, s.site));
    siteSelect.value = sites.some(s => s.site === wanted) ? wanted : "";
    siteSelect.addEventListener("change", () => {
      history.replaceState(null, "", location.pathname + (siteSelect.value ? "?site=" + encodeURIComponent(siteSelect.value) : ""));
      refresh().catch(showError);
    });
    live("/api/live/console", refresh);
  })().catch(showError);
})();
