// Admins: add and remove users, issue and revoke API tokens.
"use strict";
(() => {
  const { t, el, api, post, showError } = Page;
  const me = Page.data.user && Page.data.user.name;

  function row(u) {
    const label = el("input", { placeholder: t("users.token-label"), "aria-label": t("users.token-label"), size: 10 });
    return el("tr", { dataset: { user: u.name } },
      el("td", {}, u.name),
      el("td", {}, t("role." + u.role)),
      el("td", {}, u.tokens.map(k => el("div", {}, k.label, " ",
        el("button", { type: "button", class: "danger", onclick: () => run(() => api(`/api/users/${encodeURIComponent(u.name)}/tokens/${encodeURIComponent(k.label)}`, { method: "DELETE" })) }, "×"))),
        el("div", { class: "actions" }, label, el("button", { type: "button", onclick: () => run(async () => {
          const issued = await post(`/api/users/${encodeURIComponent(u.name)}/tokens`, { label: label.value });
          document.getElementById("token").textContent = issued.token;
          document.getElementById("new-token").hidden = false;
        }) }, t("users.issue-token")))),
      el("td", {}, u.name === me ? null : el("button", { type: "button", class: "danger", onclick: () => {
        if (confirm(t("users.confirm-remove"))) run(() => api(`/api/users/${encodeURIComponent(u.name)}`, { method: "DELETE" }));
      } }, t("users.remove"))));
  }

  async function refresh() {
    const users = await api("/api/users");
    document.getElementById("users").replaceChildren(...users.map(row));
  }

  async function run(call) {
    try { await call(); await refresh(); } catch (error) { showError(error); }
  }

  document.getElementById("add-user").addEventListener("submit", (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    run(async () => {
      await post("/api/users", { name: form.get("name"), role: form.get("role"), password: form.get("password") });
      e.target.reset();
    });
  });
  refresh().catch(showError);
})();
