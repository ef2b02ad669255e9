// "Your invitations": the signed-in person's live invitations in every workgroup
// (`GET /me/invitations`), each joined or declined right here, without the email's link.

import { ApiError, api } from "./api.js";
import { confirmInPage, field, filled, h, modal, problem, toast } from "./dom.js";
import { relative, t, when } from "./i18n.js";
import { roleName } from "./lists.js";

/** The caller's live invitations (the first 50); none when they cannot be read. */
export async function myInvitations() {
  try {
    return (await api("GET", "/me/invitations?limit=50")).items;
  } catch (error) {
    console.warn("your invitations could not be read", error);
    return [];
  }
}

/** Asks for the display name a first registration needs; null when the person closes. */
function askName(workgroup) {
  return new Promise((resolve) => {
    const name = h("input", { type: "text", required: true, maxlength: 100, autocomplete: "name" });
    const error = h("div");
    const form = h("form", { novalidate: true }, h("p", {}, t("acceptRegister")), field("join-name", t("displayName"), name), error,
      h("div", { class: "actions end" },
        h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, t("close")),
        h("button", { type: "submit" }, t("join", { workgroup }))));
    const dialog = modal({ title: t("join", { workgroup }), content: [form], className: "small" });
    let chosen = null;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!filled(form, error)) return;
      chosen = name.value.trim();
      dialog.close();
    });
    dialog.addEventListener("close", () => { dialog.remove(); resolve(chosen); });
    dialog.showModal();
    name.focus();
  });
}

/** The section, or null without invitations. `onJoined(workgroup)` runs after a join,
 * `onAnswered()` after a decline. */
export function mineSection(invitations, { onJoined, onAnswered }) {
  if (!invitations.length) return null;
  const list = h("ul", { class: "mine-list" });
  const count = h("span", { class: "count", "data-test": "count-mine" }, String(invitations.length));
  const section = h("section", { class: "card mine", "aria-labelledby": "mine-title", "data-test": "mine" },
    h("h2", { id: "mine-title" }, t("yourInvitations"), " ", count), list);
  const gone = (item) => {
    if (!item.isConnected) return;
    const next = item.nextElementSibling ?? item.previousElementSibling;
    item.remove();
    count.textContent = String(list.children.length);
    if (!list.children.length) section.remove();
    else next?.querySelector("button")?.focus();
  };
  /** Runs `answer` with the item's buttons disabled, so a double click answers once. */
  const once = (item, answer) => async () => {
    const buttons = [...item.querySelectorAll("button")];
    if (buttons.some((b) => b.disabled)) return;
    for (const b of buttons) b.disabled = true;
    try {
      await answer();
    } finally {
      for (const b of buttons) b.disabled = false;
    }
  };
  const join = async (invitation, item) => {
    const workgroup = invitation.workgroup.name;
    let body = {};
    for (;;) {
      try {
        const joined = await api("POST", `/me/invitations/${invitation.id}/accept`, body);
        toast(t("joinedLead", { workgroup, role: roleName(joined.agent.role) }));
        gone(item);
        return onJoined(joined.workgroup, invitation);
      } catch (error) {
        // A first registration needs a display name: ask, then try again with it.
        if (error instanceof ApiError && error.status === 400 && body.name === undefined) {
          const name = await askName(workgroup);
          if (name === null) return;
          body = { name };
          continue;
        }
        if (error instanceof ApiError && error.status === 404) gone(item);
        return toast(problem(error, { context: "mine" }).textContent, { error: true });
      }
    }
  };
  const decline = async (invitation, item) => {
    const workgroup = invitation.workgroup.name;
    const sure = await confirmInPage({
      title: t("declineTitle", { workgroup }), body: t("declineBody"), yes: t("decline"), no: t("keep"),
    });
    if (!sure) return;
    try {
      await api("POST", `/me/invitations/${invitation.id}/decline`);
      toast(t("declinedLead", { workgroup }));
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 404)) return toast(problem(error, { context: "mine" }).textContent, { error: true });
    }
    gone(item);
    onAnswered(invitation);
  };
  for (const invitation of invitations) {
    const workgroup = invitation.workgroup.name;
    const item = h("li", { "data-id": invitation.id, "data-workgroup": workgroup },
      h("div", {},
        h("strong", {}, workgroup), " ", h("span", {}, t("asRole", { role: roleName(invitation.role) })),
        h("p", { class: "hint" }, t("invitedByExpires", {
          name: invitation.invited_by.name, relative: relative(invitation.expires_at),
        }), " ", h("time", { datetime: invitation.expires_at, class: "visually-hidden" }, when(invitation.expires_at)))),
      h("div", { class: "actions" }));
    const buttons = item.querySelector(".actions");
    buttons.append(
      h("button", { type: "button", "aria-label": t("join", { workgroup }), onclick: once(item, () => join(invitation, item)) }, t("joinShort")),
      h("button", { type: "button", class: "secondary danger", "aria-label": t("declineNamed", { workgroup }), onclick: once(item, () => decline(invitation, item)) }, t("decline")));
    list.append(item);
  }
  return section;
}
