// The Invited tab: live invitations newest send first, their delivery followed as it happens,
// and each row's menu (resend, cancel in the page).

import { api } from "./api.js";
import { confirmInPage, h, problem, put, rowMenu, toast } from "./dom.js";
import { day, relative, t, when } from "./i18n.js";
import { cell, headers, mayManage, moreButton, roleName } from "./lists.js";

/** Seconds apart that still make one batch: a pasted list is sent address by address. */
const BATCH_SECONDS = 5;

/** Newest send first; one batch (the same inviter, each send within a few seconds of the
 * batch's newest) by address. */
export function bySendThenAddress(invitations) {
  const newestFirst = [...invitations].sort((a, b) => Date.parse(b.sent_at) - Date.parse(a.sent_at));
  const batches = [];
  for (const invitation of newestFirst) {
    const batch = batches.at(-1);
    const joins = batch && batch[0].invited_by.email === invitation.invited_by.email &&
      Date.parse(batch[0].sent_at) - Date.parse(invitation.sent_at) < BATCH_SECONDS * 1000;
    if (joins) batch.push(invitation);
    else batches.push([invitation]);
  }
  return batches.flatMap((batch) => batch.sort((a, b) => a.email.localeCompare(b.email)));
}

export function invitedPanel(wg, panel, invitations, recount) {
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
  const sorted = () => bySendThenAddress(invitations.items);
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

/** Emails are handed to the mail service a moment after they are queued: while a row says
 * so, the delivery states are read again every two seconds (for a minute at most) and updated
 * in place, so focus and open menus stay where they are. Each panel has its own timer, and a
 * panel no longer shown stops. */
function watchDeliveries(wg, panel, badges, tries = 30) {
  clearTimeout(panel.watching);
  const waiting = [...badges.values()].some((badge) => badge.dataset.delivery === "queued");
  const shown = [...badges.values()].some((badge) => badge.isConnected);
  if (!waiting || tries === 0 || !shown) return;
  panel.watching = setTimeout(async () => {
    try {
      const page = await api("GET", `/workgroups/${wg.id}/invitations?limit=100`);
      for (const invitation of page.items) {
        const badge = badges.get(invitation.id);
        if (badge && badge.dataset.delivery !== invitation.delivery) showDelivery(badge, invitation.delivery);
      }
    } catch {
      // A failed read is tried again on the next turn, like a queued email.
    }
    watchDeliveries(wg, panel, badges, tries - 1);
  }, 2000);
}
