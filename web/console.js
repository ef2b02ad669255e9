// The console: the workgroup switcher in the header, the signed-in person's own invitations,
// the People page (Agents and Invited tabs with counts), creating a workgroup in a dialog.

import { agentsPanel } from "./agents.js";
import { api } from "./api.js";
import { token } from "./auth.js";
import { field, filled, h, keepingFocus, modal, problem, put, show, showProblem, toast } from "./dom.js";
import { language, t } from "./i18n.js";
import { invitedPanel } from "./invited.js";
import { openInvite } from "./invite.js";
import { count, firstPage, roleName } from "./lists.js";
import { mineSection, myInvitations } from "./mine.js";
import { signInView } from "./signin.js";

const state = { workgroups: [], workgroup: null, tab: "agents", mine: [] };

const remembered = () => {
  try { return localStorage.getItem("workgroup"); } catch { return null; }
};
const remember = (id) => {
  try { localStorage.setItem("workgroup", id); } catch { /* not kept */ }
};

/** `/`: signs in if needed, then the chosen workgroup's People page. */
export async function consolePage({ keepFocus = false } = {}) {
  if (keepFocus) return keepingFocus(() => consolePage());
  const switcher = document.getElementById("switcher");
  put(switcher);
  if (!token()) {
    show(h("h1", {}, t("signInTitle")), signInView({ then: consolePage }));
    return;
  }
  try {
    [state.workgroups, state.mine] = await Promise.all([api("GET", "/workgroups").then((list) => list.items), myInvitations()]);
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
      // The picker keeps focus: a keyboard user may be stepping through the workgroups.
      keepingFocus(renderPeople);
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
  const form = h("form", { novalidate: true }, field("new-workgroup-name", t("workgroupName"), name, t("workgroupNameHint")), error,
    h("div", { class: "actions end" },
      h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, t("close")), submit));
  const dialog = modal({ title: t("createWorkgroup"), content: [form], className: "small" });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!filled(form, error)) return;
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


/** The People page of the chosen workgroup, or the first-run page without one. */
/** The signed-in person's own invitations, answered in place. */
const mine = () => mineSection(state.mine, {
  onJoined: (workgroup) => {
    remember(workgroup.id);
    state.workgroup = workgroup;
    state.tab = "agents";
    return consolePage();
  },
  onAnswered: (invitation) => { state.mine = state.mine.filter((i) => i.id !== invitation.id); },
});

let renders = 0;

export async function renderPeople() {
  // Only the newest render shows: an older one's answers may arrive after it.
  const render = ++renders;
  const wg = state.workgroup;
  if (!wg) {
    show(h("h1", {}, t("noWorkgroupsTitle")), h("p", {}, t("noWorkgroups")), mine(),
      h("button", { type: "button", onclick: createWorkgroupDialog }, t("createWorkgroup")));
    return;
  }
  if (wg.role === "inactive") {
    // An inactive agent can read nothing of the workgroup: say why instead of a refusal.
    show(h("h1", {}, `${t("people")}: ${wg.name}`), h("p", { class: "notice" }, t("inactiveHere", { workgroup: wg.name })), mine());
    return;
  }
  let agents, invitations;
  try {
    [agents, invitations] = await Promise.all([
      firstPage(`/workgroups/${wg.id}/agents`),
      manages(wg) ? firstPage(`/workgroups/${wg.id}/invitations`) : null,
    ]);
  } catch (error) {
    if (render === renders) show(h("h1", {}, `${t("people")}: ${wg.name}`), problem(error, { retry: renderPeople }));
    return;
  }
  if (render !== renders) return;
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
  const changed = {
    onLeft: () => { state.workgroup = null; remember(""); return consolePage(); },
    onOwnRoleChanged: () => consolePage(),
  };
  const fill = () => (state.tab === "agents"
    ? agentsPanel(wg, panel, agents, recount, changed)
    : invitedPanel(wg, panel, invitations, recount));
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
    mine(),
    tabList,
    panel);
  fill();
}
