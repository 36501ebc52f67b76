// Shared by every page: strings, site-local times, the JSON API, live updates. No framework, no build step.
"use strict";
const Page = (() => {
  const data = JSON.parse(document.getElementById("page-data").textContent);
  const strings = data.strings || {};

  /** A string of the page's language, with {name} placeholders filled in. */
  function t(key, vars) {
    let text = strings[key] ?? key;
    for (const [name, value] of Object.entries(vars || {})) text = text.replaceAll("{" + name + "}", String(value));
    return text;
  }

  function zoneOf(site) {
    return (data.zones.sites && data.zones.sites[site]) || data.zones.defaultZone || "Asia/Shanghai";
  }

  const formats = new Map();
  function format(zone, withDate) {
    const key = zone + withDate;
    if (!formats.has(key)) {
      const options = { timeZone: zone, hour: "2-digit", minute: "2-digit", hour12: false };
      if (withDate) Object.assign(options, { month: "2-digit", day: "2-digit" });
      formats.set(key, new Intl.DateTimeFormat(data.lang === "en" ? "en-GB" : "zh-CN", options));
    }
    return formats.get(key);
  }

  /** Wall-clock time at the site; the date is shown unless it is today there. */
  function time(iso, site) {
    if (!iso) return "—";
    const at = new Date(iso);
    const zone = zoneOf(site);
    const sameDay = format(zone, true).format(at).slice(0, 5) === format(zone, true).format(new Date()).slice(0, 5);
    return format(zone, !sameDay).format(at);
  }

  /** "5 min", "2 h 10 min", "3 d". */
  function span(ms) {
    const minutes = Math.floor(Math.abs(ms) / 60000);
    if (minutes < 1) return Math.max(0, Math.floor(Math.abs(ms) / 1000)) + " " + t("common.seconds");
    if (minutes < 60) return minutes + " " + t("common.minutes");
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + " " + t("common.hours") + (minutes % 60 ? " " + (minutes % 60) + " " + t("common.minutes") : "");
    return Math.floor(hours / 24) + " " + t("common.days");
  }

  function ago(iso) {
    if (!iso) return "—";
    const text = span(Date.now() - new Date(iso).getTime());
    return data.lang === "en" ? text + " " + t("common.ago") : text + t("common.ago");
  }

  /** Builds an element: el("li", { class: "x", onclick: f }, "text", child). */
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else if (name === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  async function api(path, options) {
    const response = await fetch(path, Object.assign({ credentials: "same-origin", headers: { "Accept": "application/json" } }, options));
    if (response.status === 401) {
      location.href = "/sign-in?returnUrl=" + encodeURIComponent(location.pathname + location.search);
      throw new Error("signed out");
    }
    const body = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new Error((body && (body.detail || body.title)) || response.statusText);
    return body;
  }

  function post(path, body, method) {
    return api(path, { method: method || "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json" }, body: JSON.stringify(body || {}) });
  }

  /**
   * Calls refresh now, then whenever the server-sent event stream says something changed; if the stream cannot be
   * kept, polls every 15 s instead. Shows the link state in the element with id "live".
   */
  function live(streamUrl, refresh) {
    const badge = document.getElementById("live");
    let pending = null;
    let timer = null;
    const run = () => { clearTimeout(pending); pending = setTimeout(() => refresh().catch(showError), 150); };
    const mark = (ok) => {
      if (!badge) return;
      badge.textContent = ok ? t("common.live") : t("common.offline-live");
      badge.classList.toggle("lost", !ok);
    };
    refresh().catch(showError);
    if (!("EventSource" in window)) { mark(false); timer = setInterval(run, 15000); return { close: () => clearInterval(timer) }; }
    const source = new EventSource(streamUrl);
    source.addEventListener("change", run);
    source.onopen = () => { mark(true); clearInterval(timer); timer = null; };
    source.onerror = () => { mark(false); if (!timer) timer = setInterval(run, 15000); };
    return { close: () => { source.close(); clearInterval(timer); } };
  }

  function showError(error) {
    const box = document.getElementById("error");
    if (!box) return;
    box.textContent = t("common.error") + ": " + error.message;
    box.hidden = false;
    clearTimeout(showError.timer);
    showError.timer = setTimeout(() => { box.hidden = true; }, 8000);
  }

  function can(...roles) { return data.user && roles.includes(data.user.role); }

  return { data, t, time, span, ago, el, api, post, live, showError, can, zoneOf };
})();
