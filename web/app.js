// The web console: the People page (Agents and Invited tabs, Invite Agents) and the invitee's
// accept page, on the HTTP API of the same origin. No framework: a few views that render from
// the API's answers.

import { email, loadConfig, completeSignIn, redirectToSignIn, signInAs, signInKind, signOut, token } from "./auth.js";
import { language, setLanguage, t, translate, when } from "./i18n.js";

const main = document.getElementById("main");
const status = document.getElementById("status");

/** The roles each role may grant, as the spec's privilege table says. */
const GRANTABLE = {
  administrator: ["administrator", "manager", "associate", "inactive"],
  manager: ["manager", "associate", "inactive"],
};

// --- small helpers ----------------------------------------------------------------------------

/** An element: `h("button", {type: "button", onclick}, "text", child…)`. */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return element;
}

/** Replaces the page and moves focus to its heading, so screen readers announce it. */
function show(...children) {
  main.replaceChildren(...children);
  const heading = main.querySelector("h1");
  (heading ?? main).setAttribute("tabindex", "-1");
  (heading ?? main).focus();
}

function announce(text) {
  status.textContent = "";
  setTimeout(() => (status.textContent = text), 50);
}

class ApiError extends Error {
  constructor(status, body) {
    super(body?.detail ?? `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const headers = { accept: "application/json" };
  const bearer = token();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, parsed);
  return parsed;
}

function errorText(error) {
  if (error instanceof ApiError && error.status < 500) return error.message;
  // The details are for the developer console, not the page.
  console.error(error);
  return t("problem", { detail: t("retryLater") });
}

function errorBox() {
  return h("p", { class: "error", role: "alert", hidden: true });
}

function showError(box, error) {
  box.textContent = errorText(error);
  box.hidden = false;
}

const roleName = (role) => t(`role.${role}`);

/** A labelled form field: the label names the control by its id. */
function field(id, label, control) {
  control.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), control);
}

// --- sign-in ----------------------------------------------------------------------------------

/** The sign-in form; `then` runs once signed in. `suggested` prefills the address. */
function signInView({ then, suggested = "", returnTo = "/" }) {
  const kind = signInKind();
  if (kind === "oidc") {
    return h("section", { class: "card" },
      h("h2", {}, t("signInTitle")),
      h("button", { type: "button", onclick: () => redirectToSignIn(returnTo) }, t("signInCognito")));
  }
  if (kind !== "dev") return h("p", { class: "notice" }, t("signInUnavailable"));
  const address = h("input", { id: "sign-in-email", type: "email", required: true, autocomplete: "email", value: suggested });
  const name = h("input", { id: "sign-in-name", type: "text", autocomplete: "name" });
  const error = errorBox();
  const form = h("form", {
    class: "card",
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        await signInAs(address.value.trim(), name.value.trim());
        renderAccount();
        then();
      } catch (e) {
        error.textContent = e.message;
        error.hidden = false;
      }
    },
  },
  h("h2", {}, t("signInTitle")),
  h("p", { class: "muted" }, t("signInDev")),
  h("div", { class: "row" },
    field("sign-in-email", t("email"), address),
    field("sign-in-name", t("displayName"), name),
    h("button", { type: "submit" }, t("signInAs"))),
  error);
  return form;
}

function renderAccount() {
  const who = document.getElementById("who");
  const out = document.getElementById("sign-out");
  const address = email();
  who.textContent = address ? t("signedInAs", { email: address }) : "";
  out.hidden = !address;
}

// --- the console ------------------------------------------------------------------------------

let current = { workgroups: [], workgroup: null, tab: "agents" };

async function consolePage() {
  if (!token()) {
    show(h("h1", {}, t("brand")), signInView({ then: consolePage }));
    return;
  }
  try {
    current.workgroups = (await api("GET", "/workgroups")).items;
  } catch (error) {
    show(h("h1", {}, t("brand")), h("p", { class: "error", role: "alert" }, errorText(error)));
    return;
  }
  const remembered = localStorage.getItem("workgroup");
  current.workgroup =
    current.workgroups.find((w) => w.id === (current.workgroup?.id ?? remembered)) ?? current.workgroups[0] ?? null;
  renderConsole();
}

function workgroupBar() {
  const select = h("select", {
    id: "workgroup-picker",
    onchange: () => {
      current.workgroup = current.workgroups.find((w) => w.id === select.value);
      localStorage.setItem("workgroup", select.value);
      current.tab = "agents";
      renderConsole();
    },
  }, current.workgroups.map((w) =>
    h("option", { value: w.id, selected: w.id === current.workgroup?.id }, `${w.name} (${roleName(w.role)})`)));
  const name = h("input", { id: "new-workgroup", type: "text", required: true, maxlength: 100 });
  const error = errorBox();
  const create = h("form", {
    class: "row",
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        const made = await api("POST", "/workgroups", { name: name.value.trim(), locale: language });
        current.workgroup = made;
        localStorage.setItem("workgroup", made.id);
        await consolePage();
        announce(made.name);
      } catch (e) {
        showError(error, e);
      }
    },
  },
  field("new-workgroup", t("workgroupName"), name),
  h("button", { type: "submit", class: "secondary" }, t("createWorkgroup")));
  return h("section", { class: "card", "aria-label": t("workgroup") },
    current.workgroups.length
      ? h("div", { class: "row" }, field("workgroup-picker", t("chooseWorkgroup"), select))
      : h("p", {}, t("noWorkgroups")),
    h("div", { class: "spaced" }, create),
    error);
}

function renderConsole() {
  const wg = current.workgroup;
  if (!wg) {
    show(h("h1", {}, t("people")), workgroupBar());
    return;
  }
  const manages = wg.role === "administrator" || wg.role === "manager";
  const tabs = [["agents", t("agentsTab")], ...(manages ? [["invited", t("invitedTab")]] : [])];
  if (!manages) current.tab = "agents";
  const panel = h("div", { id: "panel", role: "tabpanel", "aria-labelledby": `tab-${current.tab}` });
  const tabList = h("div", { class: "tabs", role: "tablist", "aria-label": t("people") },
    tabs.map(([id, label]) =>
      h("button", {
        type: "button", role: "tab", id: `tab-${id}`, "aria-selected": String(current.tab === id),
        "aria-controls": "panel", tabindex: current.tab === id ? "0" : "-1",
        onclick: () => { current.tab = id; renderConsole(); document.getElementById(`tab-${id}`).focus(); },
        onkeydown: (event) => {
          if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
          const at = tabs.findIndex(([other]) => other === id);
          const next = tabs[(at + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length][0];
          current.tab = next;
          renderConsole();
          document.getElementById(`tab-${next}`).focus();
        },
      }, label)));
  const inviteButton = manages
    ? h("button", { type: "button", id: "open-invite", onclick: () => openInvite(wg) }, t("inviteAgents"))
    : null;
  show(
    workgroupBar(),
    h("div", { class: "row heading-row" }, h("h1", {}, `${t("people")}: ${wg.name}`), inviteButton),
    h("div", { id: "invite-slot" }),
    tabList,
    panel,
  );
  if (current.tab === "agents") renderAgents(wg, panel);
  else renderInvited(wg, panel);
}

/** Loads a list page by page into `tbody` with a "more" button while a next page exists. */
async function paged(path, tbody, row, empty, columns) {
  let cursor = null;
  const more = h("button", { type: "button", class: "secondary", hidden: true }, t("more"));
  const load = async () => {
    const page = await api("GET", `${path}${path.includes("?") ? "&" : "?"}limit=50${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
    tbody.append(...page.items.map(row));
    if (!tbody.children.length) tbody.append(h("tr", {}, h("td", { colspan: columns, class: "muted" }, empty)));
    cursor = page.next_cursor ?? null;
    more.hidden = !cursor;
  };
  more.addEventListener("click", () => load().catch((e) => announce(errorText(e))));
  await load();
  return more;
}

async function renderAgents(wg, panel) {
  const tbody = h("tbody");
  const table = h("table", { "data-test": "agents" },
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, t("name")), h("th", { scope: "col" }, t("email")),
      h("th", { scope: "col" }, t("role")), h("th", { scope: "col" }, t("joined")))),
    tbody);
  panel.replaceChildren(table);
  try {
    const more = await paged(`/workgroups/${wg.id}/agents`, tbody, (agent) =>
      h("tr", {}, h("td", {}, agent.name), h("td", {}, agent.email), h("td", {}, roleName(agent.role)), h("td", {}, when(agent.joined_at))),
    t("noAgents"), 4);
    panel.append(more);
  } catch (error) {
    panel.append(h("p", { class: "error", role: "alert" }, errorText(error)));
  }
}

/** Whether the signed-in agent may resend or cancel an invitation for `role`. */
const mayManage = (wg, role) => wg.role === "administrator" || (wg.role === "manager" && role !== "administrator");

async function renderInvited(wg, panel) {
  const tbody = h("tbody");
  const table = h("table", { "data-test": "invited" },
    h("thead", {}, h("tr", {}, ...[t("email"), t("role"), t("status"), t("expires"), t("delivery")]
      .map((label) => h("th", { scope: "col" }, label)), h("th", { scope: "col" }, h("span", { class: "visually-hidden" }, t("actions"))))),
    tbody);
  panel.replaceChildren(table);
  const badges = new Map();
  const row = (invitation) => {
    const delivery = h("span", { "data-test": "delivery" });
    showDelivery(delivery, invitation.delivery);
    badges.set(invitation.id, delivery);
    return h("tr", { "data-email": invitation.email },
      h("td", {}, invitation.email),
      h("td", {}, roleName(invitation.role)),
      h("td", {}, h("span", { class: `badge ${invitation.status}`, "data-test": "status" }, t(`status.${invitation.status}`))),
      h("td", {}, h("time", { datetime: invitation.expires_at }, when(invitation.expires_at))),
      h("td", {}, delivery),
      h("td", {}, mayManage(wg, invitation.role) ? rowMenu(wg, invitation) : null));
  };
  try {
    panel.append(await paged(`/workgroups/${wg.id}/invitations`, tbody, row, t("noInvitations"), 6));
    watchDeliveries(wg, panel, badges);
  } catch (error) {
    panel.append(h("p", { class: "error", role: "alert" }, errorText(error)));
  }
}

function showDelivery(badge, delivery) {
  badge.className = `badge ${delivery}`;
  badge.dataset.delivery = delivery;
  badge.textContent = t(`delivery.${delivery}`);
}

/** Emails are handed to the mail service a moment after they are queued: while a row says
 * so, its delivery state is read again every two seconds (for a minute at most) and updated
 * in place, so focus and open menus stay where they are. */
function watchDeliveries(wg, panel, badges, tries = 30) {
  const waiting = [...badges.values()].some((badge) => badge.dataset.delivery === "queued");
  if (!waiting || tries === 0) return;
  setTimeout(async () => {
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

/** The "…" menu of one invitation: Resend and Cancel, keyboard operable. */
function rowMenu(wg, invitation) {
  const list = h("div", { role: "menu", hidden: true });
  const button = h("button", {
    type: "button", class: "secondary", "aria-haspopup": "menu", "aria-expanded": "false",
    "aria-label": t("moreActionsFor", { email: invitation.email }),
    onclick: () => toggle(list.hidden),
  }, "…");
  const toggle = (open) => {
    list.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) list.querySelector("[role=menuitem]").focus();
  };
  const act = async (what) => {
    toggle(false);
    try {
      if (what === "resend") {
        await api("POST", `/workgroups/${wg.id}/invitations/${invitation.id}/resend`);
        announce(t("resent", { email: invitation.email }));
      } else {
        if (!confirm(t("confirmCancel", { email: invitation.email }))) return;
        await api("DELETE", `/workgroups/${wg.id}/invitations/${invitation.id}`);
        announce(t("cancelled", { email: invitation.email }));
      }
      renderConsole();
    } catch (error) {
      announce(errorText(error));
      alert(errorText(error));
    }
  };
  list.append(
    h("button", { type: "button", role: "menuitem", onclick: () => act("resend") }, t("resend")),
    h("button", { type: "button", role: "menuitem", onclick: () => act("cancel") }, t("cancel")),
  );
  list.addEventListener("keydown", (event) => {
    const items = [...list.querySelectorAll("[role=menuitem]")];
    const at = items.indexOf(document.activeElement);
    if (event.key === "Escape") { toggle(false); button.focus(); }
    if (event.key === "ArrowDown") { event.preventDefault(); items[(at + 1) % items.length].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); items[(at + items.length - 1) % items.length].focus(); }
  });
  return h("div", { class: "menu" }, button, list);
}

function openInvite(wg) {
  const slot = document.getElementById("invite-slot");
  const roles = GRANTABLE[wg.role] ?? [];
  const role = h("select", { id: "invite-role" },
    roles.map((r) => h("option", { value: r, selected: r === "associate" }, roleName(r))));
  const emails = h("textarea", { id: "invite-emails", required: true, "aria-describedby": "invite-hint" });
  const results = h("div", { "aria-live": "polite" });
  const error = errorBox();
  const send = h("button", { type: "submit" }, t("invite"));
  const form = h("form", {
    class: "card",
    "aria-labelledby": "invite-title",
    onsubmit: async (event) => {
      event.preventDefault();
      error.hidden = true;
      send.disabled = true;
      send.textContent = t("inviting");
      try {
        const answer = await api("POST", `/workgroups/${wg.id}/invitations`, { emails: emails.value, role: role.value });
        results.replaceChildren(
          h("h3", {}, t("results")),
          h("ul", { class: "results", "data-test": "results" },
            answer.results.map((r) => h("li", { "data-outcome": r.outcome }, `${r.email}: ${t(`outcome.${r.outcome}`)}`))));
        emails.value = "";
        current.tab = "invited";
        const kept = form;
        renderConsole();
        document.getElementById("invite-slot").replaceChildren(kept);
        results.querySelector("h3").setAttribute("tabindex", "-1");
        results.querySelector("h3").focus();
      } catch (e) {
        showError(error, e);
      } finally {
        send.disabled = false;
        send.textContent = t("invite");
      }
    },
  },
  h("h2", { id: "invite-title" }, t("inviteAgents")),
  h("div", { class: "row" },
    field("invite-role", t("role"), role)),
  field("invite-emails", t("addresses"), emails),
  h("p", { id: "invite-hint", class: "muted" }, t("addressesHint")),
  h("div", { class: "actions" }, send,
    h("button", { type: "button", class: "secondary", onclick: () => slot.replaceChildren() }, t("close"))),
  error,
  results);
  slot.replaceChildren(form);
  emails.focus();
}

// --- the accept page --------------------------------------------------------------------------

async function acceptPage() {
  const invitationToken = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!invitationToken) {
    show(h("h1", {}, t("acceptTitle")), h("p", {}, t("noToken")));
    return;
  }
  let preview;
  try {
    preview = await api("POST", "/invitations/lookup", { token: invitationToken });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) deadLink();
    else show(h("h1", {}, t("acceptTitle")), h("p", { class: "error", role: "alert" }, errorText(error)));
    return;
  }
  const facts = h("dl", { class: "facts" },
    h("dt", {}, t("workgroup")), h("dd", { "data-test": "workgroup" }, preview.workgroup.name),
    h("dt", {}, t("role")), h("dd", {}, roleName(preview.role)),
    h("dt", {}, t("email")), h("dd", {}, preview.email),
    h("dt", {}, t("expires")), h("dd", {}, h("time", { datetime: preview.expires_at }, when(preview.expires_at))));
  const error = errorBox();
  const decline = h("button", {
    type: "button", class: "danger", id: "decline",
    onclick: async () => {
      try {
        await api("POST", "/invitations/decline", { token: invitationToken });
        show(h("h1", {}, t("declinedTitle")), h("p", {}, t("declinedLead", { workgroup: preview.workgroup.name })));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) deadLink();
        else showError(error, e);
      }
    },
  }, t("decline"));
  const acceptArea = h("div");
  const renderAcceptArea = () => {
    const signedIn = email();
    if (!signedIn) {
      acceptArea.replaceChildren(
        h("p", {}, t("acceptSignIn", { email: preview.email })),
        signInView({ then: renderAcceptArea, suggested: preview.email, returnTo: `/accept#token=${invitationToken}` }));
      return;
    }
    if (signedIn.toLowerCase() !== preview.email.toLowerCase()) {
      acceptArea.replaceChildren(
        h("p", { class: "notice" }, t("acceptWrongUser", { signedIn, email: preview.email })),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "secondary", onclick: () => { signOut(); renderAccount(); renderAcceptArea(); } }, t("signOut")),
          decline));
      return;
    }
    const name = h("input", { id: "accept-name", type: "text", required: true, maxlength: 100, autocomplete: "name" });
    const accept = h("form", {
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const joined = await api("POST", "/invitations/accept", {
            token: invitationToken,
            name: preview.registration_needed ? name.value.trim() : undefined,
          });
          localStorage.setItem("workgroup", joined.workgroup.id);
          show(
            h("h1", {}, t("joinedTitle", { workgroup: joined.workgroup.name })),
            h("p", {}, t("joinedLead", { workgroup: joined.workgroup.name, role: roleName(joined.agent.role) })),
            h("a", { href: "/", id: "open-console" }, t("openConsole")));
          history.replaceState(null, "", "/accept");
        } catch (e) {
          if (e instanceof ApiError && e.status === 404) deadLink();
          else showError(error, e);
        }
      },
    },
    preview.registration_needed
      ? [h("p", {}, t("acceptRegister")), field("accept-name", t("displayName"), name)]
      : null,
    h("div", { class: "actions" }, h("button", { type: "submit", id: "accept" }, t("accept")), decline));
    acceptArea.replaceChildren(accept);
  };
  renderAcceptArea();
  show(
    h("h1", {}, t("acceptTitle")),
    h("p", { class: "lead" }, t("acceptLead", {
      inviter: preview.invited_by.name, email: preview.email, workgroup: preview.workgroup.name, role: roleName(preview.role),
    })),
    h("section", { class: "card" }, facts, h("p", { class: "muted" }, t("acceptExpires", { time: when(preview.expires_at) }))),
    acceptArea,
    email() ? null : h("div", { class: "actions" }, decline),
    error);
}

function deadLink() {
  show(h("h1", {}, t("deadTitle")), h("p", {}, t("deadLead")), h("p", {}, t("deadNext")));
}

// --- start ------------------------------------------------------------------------------------

async function route() {
  translate();
  renderAccount();
  if (location.pathname === "/accept") await acceptPage();
  else await consolePage();
}

async function start() {
  setLanguage(language);
  const picker = document.getElementById("language");
  picker.value = language;
  picker.addEventListener("change", () => {
    setLanguage(picker.value);
    route();
  });
  // Another link pasted into the same tab changes only the fragment.
  window.addEventListener("hashchange", route);
  document.getElementById("sign-out").addEventListener("click", () => {
    signOut();
    route();
  });
  await loadConfig();
  try {
    const returnTo = await completeSignIn();
    if (returnTo && returnTo !== "/") {
      location.assign(returnTo);
      return;
    }
  } catch (error) {
    announce(error.message);
  }
  await route();
}

start();
