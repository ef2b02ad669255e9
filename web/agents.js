// The Agents tab: the workgroup's agents, and each row's menu offering only what the signed-in
// agent may do (spec "Managing agents"): change the role (only to grantable roles), deactivate,
// remove, or leave one's own membership, each confirmed in the page and answered in place.

import { api } from "./api.js";
import { email } from "./auth.js";
import { confirmInPage, h, modal, problem, put, rowMenu, showProblem, toast } from "./dom.js";
import { day, t, when } from "./i18n.js";
import { GRANTABLE, cell, headers, moreButton, roleName } from "./lists.js";

/** Whether the signed-in agent may change or remove `agent`. */
const mayChange = (wg, agent) => wg.role === "administrator" || (wg.role === "manager" && agent.role !== "administrator");

/** `onLeft` runs once the signed-in agent left; `onOwnRoleChanged` once they changed their own. */
export function agentsPanel(wg, panel, agents, recount, { onLeft, onOwnRoleChanged }) {
  const tbody = h("tbody");
  const me = email()?.toLowerCase();
  const path = (agent) => `/workgroups/${wg.id}/agents/${agent.id}`;
  const fail = (error) => toast(problem(error, { context: "agents" }).textContent, { error: true });

  const replace = (tr, agent) => {
    const at = agents.items.findIndex((a) => a.id === agent.id);
    agents.items[at] = agent;
    const fresh = row(agent);
    tr.replaceWith(fresh);
    fresh.querySelector("[data-test=row-menu]")?.focus();
  };
  const changeRole = async (agent, tr, role) => {
    try {
      const changed = await api("PATCH", path(agent), { role });
      toast(t("roleChanged", { name: agent.name, role: roleName(role) }));
      if (agent.email.toLowerCase() === me) return onOwnRoleChanged();
      replace(tr, changed ?? { ...agent, role });
    } catch (error) {
      fail(error);
    }
  };
  const chooseRole = (agent, tr) => {
    const choices = (GRANTABLE[wg.role] ?? []).map((role) =>
      h("label", { class: "choice" },
        h("input", { type: "radio", name: "agent-role", value: role, checked: role === agent.role }),
        h("span", {}, h("strong", {}, roleName(role)), h("span", { class: "hint" }, t(`roleHelp.${role}`)))));
    const error = h("div");
    const save = h("button", { type: "submit" }, t("changeRole"));
    const form = h("form", {},
      h("fieldset", { class: "roles" }, h("legend", {}, t("role")), choices), error,
      h("div", { class: "actions end" },
        h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, t("close")), save));
    const dialog = modal({ title: t("changeRoleOf", { name: agent.name }), content: [form], className: "wide" });
    const opener = tr.querySelector("[data-test=row-menu]");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const role = new FormData(form).get("agent-role");
      if (role === agent.role) return dialog.close();
      dialog.close();
      await changeRole(agent, tr, role);
    });
    dialog.addEventListener("close", () => { dialog.remove(); if (opener?.isConnected) opener.focus(); });
    showProblem(error, null);
    dialog.showModal();
    form.querySelector("input:checked")?.focus();
  };
  const deactivate = async (agent, tr) => {
    const sure = await confirmInPage({
      title: t("deactivateTitle", { name: agent.name }), body: t("deactivateBody", { workgroup: wg.name }),
      yes: t("deactivate"), no: t("keep"),
    });
    if (sure) await changeRole(agent, tr, "inactive");
  };
  const remove = async (agent, tr, leaving) => {
    const sure = await confirmInPage(leaving
      ? { title: t("leaveTitle", { workgroup: wg.name }), body: t("leaveBody"), yes: t("leave"), no: t("stay") }
      : { title: t("removeTitle", { name: agent.name, workgroup: wg.name }), body: t("removeBody"), yes: t("remove"), no: t("keep") });
    if (!sure) return;
    try {
      await api("DELETE", path(agent));
    } catch (error) {
      if (error.status !== 404) return fail(error);
    }
    if (leaving) {
      toast(t("left", { workgroup: wg.name }));
      return onLeft();
    }
    const next = tr.nextElementSibling ?? tr.previousElementSibling;
    tr.remove();
    agents.items = agents.items.filter((a) => a.id !== agent.id);
    recount();
    (next?.querySelector("[data-test=row-menu]") ?? panel).focus();
    toast(t("removed", { name: agent.name, workgroup: wg.name }));
  };

  const actions = (agent, tr) => {
    const mine = agent.email.toLowerCase() === me;
    const items = [];
    if (mayChange(wg, agent)) {
      items.push([t("changeRole"), () => chooseRole(agent, tr)]);
      if (agent.role !== "inactive") items.push([t("deactivate"), () => deactivate(agent, tr)]);
      if (!mine) items.push([t("remove"), () => remove(agent, tr, false)]);
    }
    if (mine) items.push([t("leave"), () => remove(agent, tr, true)]);
    if (items.length) return rowMenu(t("moreActionsFor", { email: agent.email }), items);
    return wg.role === "manager" ? h("span", { class: "muted small", "data-test": "admins-only" }, t("adminsOnlyAgents")) : null;
  };
  const row = (agent) => {
    const tr = h("tr", { "data-email": agent.email, "data-id": agent.id },
      cell(t("name"), h("strong", {}, agent.name), agent.email.toLowerCase() === me ? h("span", { class: "muted" }, ` (${t("you")})`) : null),
      cell(t("email"), agent.email),
      cell(t("role"), h("span", { "data-test": "role" }, roleName(agent.role))),
      cell(t("joined"), h("time", { datetime: agent.joined_at, title: when(agent.joined_at) }, day(agent.joined_at))));
    tr.append(h("td", { class: "row-actions" }, actions(agent, tr)));
    return tr;
  };
  const append = (items) => { tbody.append(...items.map(row)); recount(); };
  append(agents.items);
  if (!agents.items.length) tbody.append(h("tr", {}, h("td", { colspan: 5, class: "muted" }, t("noAgents"))));
  put(panel,
    h("table", { "data-test": "agents", class: "cards" },
      headers([t("name"), t("email"), t("role"), t("joined"), t("actions")]), tbody),
    moreButton(agents, t("moreAgents"), append));
}
