// The console: the workgroup switcher in the header, the People page (Agents and Invited tabs
// with counts, row menus), creating a workgroup in a dialog.

import { api } from "./api.js";
import { email, token } from "./auth.js";
import { confirmInPage, field, h, modal, problem, put, rowMenu, show, showProblem, toast } from "./dom.js";
import { day, language, relative, t, when } from "./i18n.js";
import { openInvite } from "./invite.js";
import { signInView } from "./signin.js";

export const roleName = (role) => t(`role.${role}`);

const state = { workgroups: [], workgroup: null, tab: "agents" };

const remembered = () => {
  try { return localStorage.getItem("workgroup"); } catch { return null; }
};
const remember = (id) => {
  try { localStorage.setItem("workgroup", id); } catch { /* not kept */ }
};

/** `/`: signs in if needed, then the chosen workgroup's People page. */
export async function consolePage() {
  const switcher = document.getElementById("switcher");
  put(switcher, );
  if (!token()) {
    show(h("h1", {}, t("signInTitle")), signInView({ then: consolePage }));
    return;
  }
  try {
    state.workgroups = (await api("GET", "/workgroups")).items;
  } catch (error) {
    show(h("h1", {}, t("people")), problem(error, { retry: consolePage }));
    return;
  }
  const wanted = state.workgroup?.id ?? remembered();
  state.workgroup = state.workgroups.find((w) => w.id === wanted) ?? state.workgroups[0] ?? null;
  renderSwitcher();
  await renderPeople();
}

function renderSwitcher() {
  const switcher = document.getElementById("switcher");
  const picker = h("select", {
    onchange: () => {
      state.workgroup = state.workgroups.find((w) => w.id === picker.value);
      remember(picker.value);
      state.tab = "agents";
      renderPeople();
    },
  }, state.workgroups.map((w) => h("option", { value: w.id, selected: w.id === state.workgroup?.id }, w.name)));
  put(switcher, 
    state.workgroups.length ? field("workgroup-picker", t("workgroup"), picker) : null,
    h("button", { type: "button", class: "on-dark", id: "new-workgroup", onclick: createWorkgroupDialog }, `+ ${t("newWorkgroup")}`));
}

function createWorkgroupDialog() {
  const name = h("input", { type: "text", required: true, maxlength: 100, autocomplete: "off" });
  const error = h("div");
  const submit = h("button", { type: "submit" }, t("create"));
  const form = h("form", {}, field("new-workgroup-name", t("workgroupName"), name, t("workgroupNameHint")), error,
    h("div", { class: "actions end" },
      h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, t("close")), submit));
  const dialog = modal({ title: t("createWorkgroup"), content: [form], className: "small" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      const made = await api("POST", "/workgroups", { name: name.value.trim(), locale: language });
      remember(made.id);
      state.workgroup = made;
      state.tab = "agents";
      dialog.close();
      toast(t("workgroupCreated", { name: made.name }));
      await consolePage();
    } catch (e) {
      showProblem(error, e, { context: "name" });
    } finally {
      submit.disabled = false;
    }
  });
  dialog.addEventListener("close", () => dialog.remove());
  dialog.showModal();
  name.focus();
}

const manages = (wg) => wg.role === "administrator" || wg.role === "manager";

/** Whether the signed-in agent may resend or cancel an invitation for `role`. */
const mayManage = (wg, role) => wg.role === "administrator" || (wg.role === "manager" && role !== "administrator");

/** A list's first page, and a way to read the next ones. */
async function firstPage(path) {
  const list = { items: [], next: null, path };
  await nextPage(list);
  return list;
}

async function nextPage(list) {
  const cursor = list.next ? `&cursor=${encodeURIComponent(list.next)}` : "";
  const page = await api("GET", `${list.path}?limit=50${cursor}`);
  list.items.push(...page.items);
  list.next = page.next_cursor ?? null;
  return page.items;
}

const count = (list) => `${list.items.length}${list.next ? "+" : ""}`;

/** The People page of the chosen workgroup, or the first-run page without one. */
export async function renderPeople() {
  const wg = state.workgroup;
  if (!wg) {
    show(h("h1", {}, t("noWorkgroupsTitle")), h("p", {}, t("noWorkgroups")),
      h("button", { type: "button", onclick: createWorkgroupDialog }, t("createWorkgroup")));
    return;
  }
  let agents, invitations;
  try {
    [agents, invitations] = await Promise.all([
      firstPage(`/workgroups/${wg.id}/agents`),
      manages(wg) ? firstPage(`/workgroups/${wg.id}/invitations`) : null,
    ]);
  } catch (error) {
    show(h("h1", {}, `${t("people")}: ${wg.name}`), problem(error, { retry: renderPeople }));
    return;
  }
  if (!manages(wg)) state.tab = "agents";
  const tabs = [["agents", t("agentsTab"), agents], ...(invitations ? [["invited", t("invitedTab"), invitations]] : [])];
  const panel = h("div", { id: "panel", role: "tabpanel", "aria-labelledby": `tab-${state.tab}`, tabindex: "-1" });
  const select = (id) => {
    state.tab = id;
    for (const tab of tabList.querySelectorAll("[role=tab]")) {
      const chosen = tab.id === `tab-${id}`;
      tab.setAttribute("aria-selected", String(chosen));
      tab.tabIndex = chosen ? 0 : -1;
    }
    panel.setAttribute("aria-labelledby", `tab-${id}`);
    fill();
  };
  const tabList = h("div", { class: "tabs", role: "tablist", "aria-label": t("tabsLabel", { workgroup: wg.name }) },
    tabs.map(([id, label, list]) =>
      h("button", {
        type: "button", role: "tab", id: `tab-${id}`, "aria-selected": String(state.tab === id),
        "aria-controls": "panel", tabindex: state.tab === id ? "0" : "-1",
        onclick: () => select(id),
        onkeydown: (event) => {
          if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
          const at = tabs.findIndex(([other]) => other === id);
          const next = tabs[(at + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length][0];
          select(next);
          document.getElementById(`tab-${next}`).focus();
        },
      }, label, " ", h("span", { class: "count", "data-test": `count-${id}` }, count(list)))));
  const recount = () => {
    for (const [id, , list] of tabs) tabList.querySelector(`[data-test=count-${id}]`).textContent = count(list);
  };
  const fill = () => (state.tab === "agents" ? agentsPanel(wg, panel, agents, recount) : invitedPanel(wg, panel, invitations, recount));
  const inviteButton = manages(wg)
    ? h("button", {
      type: "button", id: "open-invite",
      onclick: () => openInvite(wg, { onInvited: async () => { state.tab = "invited"; await renderPeople(); } }),
    }, t("inviteAgents"))
    : null;
  show(
    h("div", { class: "heading-row" },
      h("div", {}, h("h1", {}, `${t("people")}: ${wg.name}`), h("p", { class: "muted" }, t("yourRole", { role: roleName(wg.role) }))),
      inviteButton),
    tabList,
    panel);
  fill();
}

/** Column headers, which also label each cell when rows become cards on a phone. */
const headers = (labels) => h("thead", {}, h("tr", {}, labels.map((label) => h("th", { scope: "col" }, label))));
const cell = (label, ...content) => h("td", { "data-label": label }, h("span", {}, ...content));

function moreButton(list, label, append) {
  const button = h("button", { type: "button", class: "secondary", hidden: !list.next }, label);
  button.addEventListener("click", async () => {
    try {
      append(await nextPage(list));
      button.hidden = !list.next;
    } catch (error) {
      toast(problem(error).textContent, { error: true });
    }
  });
  return button;
}

function agentsPanel(wg, panel, agents, recount) {
  const tbody = h("tbody");
  const me = email()?.toLowerCase();
  const row = (agent) => h("tr", { "data-email": agent.email },
    cell(t("name"), h("strong", {}, agent.name), agent.email.toLowerCase() === me ? h("span", { class: "muted" }, ` (${t("you")})`) : null),
    cell(t("email"), agent.email),
    cell(t("role"), roleName(agent.role)),
    cell(t("joined"), h("time", { datetime: agent.joined_at, title: when(agent.joined_at) }, day(agent.joined_at))));
  const append = (items) => { tbody.append(...items.map(row)); recount(); };
  append(agents.items);
  if (!agents.items.length) tbody.append(h("tr", {}, h("td", { colspan: 4, class: "muted" }, t("noAgents"))));
  put(panel, 
    h("table", { "data-test": "agents", class: "cards" }, headers([t("name"), t("email"), t("role"), t("joined")]), tbody),
    moreButton(agents, t("moreAgents"), append));
}

/** Newest send first; one batch (sent in the same second) by address. */
const bySendThenAddress = (a, b) =>
  Math.floor(Date.parse(b.sent_at) / 1000) - Math.floor(Date.parse(a.sent_at) / 1000) || a.email.localeCompare(b.email);

function invitedPanel(wg, panel, invitations, recount) {
  const tbody = h("tbody");
  const badges = new Map();
  const empty = () => h("tr", { class: "empty" }, h("td", { colspan: 7, class: "muted" }, t("noInvitations")));
  const row = (invitation) => {
    const delivery = h("span", { "data-test": "delivery" });
    showDelivery(delivery, invitation.delivery);
    badges.set(invitation.id, delivery);
    const tr = h("tr", { "data-email": invitation.email, "data-id": invitation.id },
      cell(t("email"), h("strong", {}, invitation.email)),
      cell(t("role"), roleName(invitation.role)),
      cell(t("status"), h("span", { class: `badge ${invitation.status}`, "data-test": "status" }, t(`status.${invitation.status}`))),
      cell(t("sent"), h("time", { datetime: invitation.sent_at, title: when(invitation.sent_at) }, day(invitation.sent_at)),
        h("span", { class: "muted small" }, ` ${t("invitedBy", { name: invitation.invited_by.name })}`)),
      cell(t("expires"), h("time", { datetime: invitation.expires_at, title: when(invitation.expires_at) }, relative(invitation.expires_at))),
      cell(t("delivery"), delivery),
      h("td", { class: "row-actions" }, mayManage(wg, invitation.role)
        ? rowMenu(t("moreActionsFor", { email: invitation.email }), [
          [t("resend"), () => resend(invitation, tr)],
          [t("cancel"), () => cancel(invitation, tr)],
        ])
        : h("span", { class: "muted small", "data-test": "admins-only" }, t("adminsOnly"))));
    return tr;
  };
  const resend = async (invitation, tr) => {
    try {
      const renewed = await api("POST", `/workgroups/${wg.id}/invitations/${invitation.id}/resend`);
      const at = invitations.items.findIndex((i) => i.id === invitation.id);
      invitations.items[at] = renewed;
      const replacement = row(renewed);
      tr.replaceWith(replacement);
      replacement.querySelector("[data-test=row-menu]").focus();
      toast(t("resent", { email: invitation.email }));
      watchDeliveries(wg, panel, badges);
    } catch (error) {
      toast(problem(error).textContent, { error: true });
    }
  };
  const cancel = async (invitation, tr) => {
    const sure = await confirmInPage({
      title: t("confirmCancelTitle", { email: invitation.email }), body: t("confirmCancelBody"),
      yes: t("cancel"), no: t("keep"),
    });
    if (!sure) return;
    try {
      await api("DELETE", `/workgroups/${wg.id}/invitations/${invitation.id}`);
    } catch (error) {
      // Already gone is what was asked for.
      if (error.status !== 404) {
        toast(problem(error).textContent, { error: true });
        return;
      }
    }
    const next = tr.nextElementSibling ?? tr.previousElementSibling;
    tr.remove();
    invitations.items = invitations.items.filter((i) => i.id !== invitation.id);
    badges.delete(invitation.id);
    recount();
    if (!tbody.children.length) tbody.append(empty());
    (next?.querySelector("[data-test=row-menu]") ?? panel).focus();
    toast(t("cancelled", { email: invitation.email }));
  };
  const sorted = () => [...invitations.items].sort(bySendThenAddress);
  const redraw = () => {
    put(tbody, ...sorted().map(row));
    if (!tbody.children.length) tbody.append(empty());
    recount();
  };
  redraw();
  put(panel, 
    h("table", { "data-test": "invited", class: "cards" },
      headers([t("email"), t("role"), t("status"), t("sent"), t("expires"), t("delivery"), t("actions")]), tbody),
    moreButton(invitations, t("moreInvitations"), () => { redraw(); watchDeliveries(wg, panel, badges); }));
  watchDeliveries(wg, panel, badges);
}

function showDelivery(badge, delivery) {
  badge.className = `badge ${delivery}`;
  badge.dataset.delivery = delivery;
  badge.textContent = t(`delivery.${delivery}`);
}

let watching = null;

/** Emails are handed to the mail service a moment after they are queued: while a row says
 * so, the delivery states are read again every two seconds (for a minute at most) and updated
 * in place, so focus and open menus stay where they are. */
function watchDeliveries(wg, panel, badges, tries = 30) {
  clearTimeout(watching);
  const waiting = [...badges.values()].some((badge) => badge.dataset.delivery === "queued");
  if (!waiting || tries === 0) return;
  watching = setTimeout(async () => {
    if (!panel.isConnected) return;
    try {
      const page = await api("GET", `/workgroups/${wg.id}/invitations?limit=100`);
      for (const invitation of page.items) {
        const badge = badges.get(invitation.id);
        if (badge && badge.dataset.delivery !== invitation.delivery) showDelivery(badge, invitation.delivery);
      }
    } catch {
      return;
    }
    watchDeliveries(wg, panel, badges, tries - 1);
  }, 2000);
}
