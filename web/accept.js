// The invitee's page (`/accept#token=…`): what they are joining, then sign in, join (one click
// for someone already registered) or decline. A link that no longer works gets the message
// that fits what became of it, as far as this browser saw it: the server answers every dead
// link alike (no oracle), so the page remembers the links it opened (by a hash, never the
// token) and what was done with them here.

import { ApiError, api } from "./api.js";
import { email, signOut } from "./auth.js";
import { field, filled, h, problem, put, show, showProblem } from "./dom.js";
import { relative, t, when } from "./i18n.js";
import { renderAccount, signInView } from "./signin.js";

const roleName = (role) => t(`role.${role}`);

/** The key this browser files a link under: a hash of the token, never the token itself. */
async function linkKey(token) {
  const bytes = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`accept-page:${token}`));
  return `link:${[...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("").slice(0, 32)}`;
}

function recall(key) {
  try { return JSON.parse(localStorage.getItem(key) ?? "null"); } catch { return null; }
}

function note(key, record) {
  try { localStorage.setItem(key, JSON.stringify(record)); } catch { /* not kept */ }
}

/** Forgets the links whose invitations expired over a week ago: nothing is left to explain. */
function forgetOldLinks() {
  try {
    for (const key of Object.keys(localStorage).filter((k) => k.startsWith("link:"))) {
      const record = recall(key);
      if (!record || Date.parse(record.expires_at) < Date.now() - 7 * 86_400_000) localStorage.removeItem(key);
    }
  } catch { /* storage unavailable: nothing kept */ }
}

const consoleLink = (workgroupId) =>
  h("a", { href: "/", class: "button", id: "open-console", onclick: () => workgroupId && localStorage.setItem("workgroup", workgroupId) }, t("openConsole"));

export async function acceptPage() {
  const token = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!token) {
    show(h("h1", {}, t("acceptTitle")), h("p", {}, t("noToken")), consoleLink());
    return;
  }
  forgetOldLinks();
  const key = await linkKey(token);
  let preview;
  try {
    preview = await api("POST", "/invitations/lookup", { token });
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) await deadLink(recall(key));
    else show(h("h1", {}, t("acceptTitle")), problem(error, { retry: acceptPage }));
    return;
  }
  note(key, { workgroup: preview.workgroup, email: preview.email, expires_at: preview.expires_at, outcome: null });
  const error = h("div");
  const answered = (outcome, workgroup) => note(key, { ...recall(key), outcome, workgroup });
  const decline = h("button", {
    type: "button", class: "danger", id: "decline",
    onclick: async () => {
      if (decline.disabled) return;
      decline.disabled = true;
      try {
        await api("POST", "/invitations/decline", { token });
        answered("declined", preview.workgroup);
        show(h("h1", {}, t("declinedTitle")), h("p", {}, t("declinedLead", { workgroup: preview.workgroup.name })));
      } catch (e) {
        if (e instanceof ApiError && e.status === 404) await deadLink(recall(key));
        else showProblem(error, e);
      } finally {
        decline.disabled = false;
      }
    },
  }, t("decline"));
  const acceptArea = h("div", { class: "accept-area" });
  /** Redraws the area; focus that was inside it (a sign-in or sign-out just done) moves to
   * what the person can do now. */
  const renderAcceptArea = () => {
    const hadFocus = acceptArea.contains(document.activeElement);
    drawAcceptArea();
    if (hadFocus || document.activeElement === document.body) {
      acceptArea.querySelector("#accept, input, button")?.focus();
    }
  };
  const drawAcceptArea = () => {
    const signedIn = email();
    if (!signedIn) {
      put(acceptArea, 
        h("h2", {}, t("acceptSignIn", { email: preview.email })),
        signInView({ then: renderAcceptArea, suggested: preview.email, returnTo: `/accept#token=${token}` }),
        h("div", { class: "actions" }, decline));
      return;
    }
    if (signedIn.toLowerCase() !== preview.email.toLowerCase()) {
      put(acceptArea, 
        h("p", { class: "notice" }, t("acceptWrongUser", { signedIn, email: preview.email })),
        h("div", { class: "actions" },
          h("button", { type: "button", class: "secondary", onclick: () => { signOut(); renderAccount(); renderAcceptArea(); } }, t("signOut")),
          decline));
      return;
    }
    const name = h("input", { type: "text", required: true, maxlength: 100, autocomplete: "name" });
    const join = h("button", { type: "submit", id: "accept" },
      preview.registration_needed ? t("accept") : t("join", { workgroup: preview.workgroup.name }));
    const form = h("form", {
      novalidate: true,
      onsubmit: async (event) => {
        event.preventDefault();
        if (!filled(form, error)) return;
        join.disabled = true;
        try {
          const joined = await api("POST", "/invitations/accept", {
            token,
            name: preview.registration_needed ? name.value.trim() : undefined,
          });
          answered("accepted", joined.workgroup);
          localStorage.setItem("workgroup", joined.workgroup.id);
          history.replaceState(null, "", "/accept");
          show(
            h("h1", {}, t("joinedTitle", { workgroup: joined.workgroup.name })),
            h("p", {}, t("joinedLead", { workgroup: joined.workgroup.name, role: roleName(joined.agent.role) })),
            consoleLink(joined.workgroup.id));
        } catch (e) {
          join.disabled = false;
          if (e instanceof ApiError && e.status === 404) await deadLink(recall(key));
          else showProblem(error, e, { context: e.status === 403 ? "accept" : "name" });
        }
      },
    },
    preview.registration_needed ? [h("p", {}, t("acceptRegister")), field("accept-name", t("displayName"), name)] : null,
    h("div", { class: "actions" }, join, decline));
    put(acceptArea, form);
  };
  drawAcceptArea();
  show(
    h("h1", {}, t("acceptTitle")),
    h("p", { class: "lead" }, t("acceptLead", {
      inviter: preview.invited_by.name, email: preview.email, workgroup: preview.workgroup.name, role: roleName(preview.role),
    })),
    h("section", { class: "card" },
      h("dl", { class: "facts" },
        h("dt", {}, t("workgroup")), h("dd", { "data-test": "workgroup" }, preview.workgroup.name),
        h("dt", {}, t("role")), h("dd", {}, roleName(preview.role)),
        h("dt", {}, t("email")), h("dd", {}, preview.email),
        h("dt", {}, t("expires")), h("dd", {}, h("time", { datetime: preview.expires_at }, when(preview.expires_at)))),
      h("p", { class: "muted" }, t("acceptExpires", { time: when(preview.expires_at), relative: relative(preview.expires_at) }))),
    acceptArea,
    error);
}

/** A link that no longer works: what this browser knows of it decides the message. */
async function deadLink(record) {
  let mine = [];
  // Only the invitee is told they are a member: anyone else opening the link learns nothing.
  const invitee = record && email()?.toLowerCase() === record.email?.toLowerCase();
  if (invitee) {
    try { mine = (await api("GET", "/workgroups")).items; } catch { /* the generic message will do */ }
  }
  const workgroup = record?.workgroup?.name;
  let kind = "dead";
  if (record?.outcome === "accepted" || mine.some((w) => w.id === record?.workgroup?.id)) kind = "used";
  else if (record?.outcome === "declined") kind = "declinedBefore";
  else if (record && Date.parse(record.expires_at) <= Date.now()) kind = "expired";
  else if (record) kind = "replaced";
  show(
    h("h1", { "data-test": `dead-${kind}` }, t(`${kind}Title`, { workgroup })),
    h("p", {}, t(kind === "dead" ? "deadLead" : `${kind}Lead`, { workgroup, time: record ? when(record.expires_at) : "" })),
    kind === "dead" ? h("p", {}, t("deadNext")) : null,
    h("div", { class: "actions" }, consoleLink(kind === "used" ? record.workgroup.id : null)));
}
