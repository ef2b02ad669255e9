// The Invite Agents dialog: a role, described; addresses as chips, each checked as it is typed
// or pasted, with a live count against the per-request limit and the day's allowance; the
// answer as a summary. What was typed stays (per workgroup) until it is sent: closing and
// reopening, switching tab or workgroup keep it; invalid addresses stay to be corrected.

import { api } from "./api.js";
import { h, modal, problem, put, showProblem, toast } from "./dom.js";
import { t, when } from "./i18n.js";
import { GRANTABLE } from "./lists.js";

const OUTCOMES = ["invited", "resent", "already_agent", "invalid_email", "duplicate", "forbidden"];
/** What separates pasted addresses, the full-width forms a Japanese keyboard types included. */
const SEPARATORS = /[\s,;、，；]+/;
const PLAUSIBLE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** What is being typed for each workgroup: `{role, entries: [{text, outcome?}], typing}`. */
const drafts = new Map();

const draftOf = (wg) => {
  if (!drafts.has(wg.id)) drafts.set(wg.id, { role: "associate", entries: [], typing: "" });
  return drafts.get(wg.id);
};

/** The entry's problem, as far as the page can tell before the server does. */
function check(entries, at) {
  const { text, outcome } = entries[at];
  if (outcome === "invalid_email" || text.length > 254 || !PLAUSIBLE.test(text)) return "invalid";
  if (outcome === "forbidden") return "forbidden";
  const lower = text.toLowerCase();
  if (entries.slice(0, at).some((other) => other.text.toLowerCase() === lower)) return "duplicate";
  return null;
}

export async function openInvite(wg, { onInvited }) {
  const draft = draftOf(wg);
  const opener = document.activeElement;
  const roles = (GRANTABLE[wg.role] ?? []).map((role) =>
    h("label", { class: "choice" },
      h("input", { type: "radio", name: "invite-role", value: role, checked: draft.role === role,
        onchange: () => (draft.role = role) }),
      h("span", {}, h("strong", {}, t(`role.${role}`)), h("span", { class: "hint" }, t(`roleHelp.${role}`)))));
  const input = h("input", { id: "invite-input", type: "text", autocomplete: "off", spellcheck: "false",
    "aria-describedby": "invite-hint invite-count", value: draft.typing });
  const chips = h("ul", { class: "chip-list", "aria-label": t("addressList"), "data-test": "chips" });
  const count = h("p", { id: "invite-count", class: "count-line", "aria-live": "polite", "data-test": "count" });
  const allowanceLine = h("p", { class: "hint", "data-test": "allowance", hidden: true });
  const error = h("div");
  const summary = h("section", { class: "summary", "aria-labelledby": "summary-title", hidden: true, "data-test": "summary" });
  const send = h("button", { type: "submit", id: "send-invites" }, t("invite"));
  let limits = { max: 50, remaining: null, resets: null };
  let sending = false;

  const draw = () => {
    put(chips, ...draft.entries.map((entry, at) => {
      const trouble = check(draft.entries, at);
      return h("li", { class: `chip${trouble ? ` ${trouble}` : ""}`, "data-test": "chip", dataset: { problem: trouble ?? "" } },
        h("button", { type: "button", class: "chip-text", "aria-label": t("editAddress", { email: entry.text }),
          "aria-describedby": trouble ? `chip-note-${at}` : null, onpointerdown: keepTyping, onclick: () => edit(at) }, entry.text),
        trouble ? h("span", { class: "chip-note", id: `chip-note-${at}` }, t(trouble === "duplicate" ? "chipDuplicate" : trouble === "invalid" ? "chipInvalid" : "outcome.forbidden")) : null,
        h("button", { type: "button", class: "chip-remove", "aria-label": t("removeAddress", { email: entry.text }),
          onpointerdown: keepTyping, onclick: () => { draft.entries.splice(at, 1); draw(); input.focus(); } }, "×"));
    }));
    const n = draft.entries.length;
    count.textContent = t("countOf", { count: n, max: limits.max });
    count.classList.toggle("over", n > limits.max);
    if (n > limits.max) count.textContent += ` ${t("overMax", { max: limits.max })}`;
    send.textContent = n ? t("inviteCount", { count: n }) : t("invite");
    send.disabled = sending || n === 0 || n > limits.max;
    if (limits.remaining !== null) {
      const time = when(limits.resets);
      allowanceLine.hidden = false;
      const usable = draft.entries.filter((_, at) => !check(draft.entries, at)).length;
      allowanceLine.textContent = limits.remaining === 0 ? t("allowanceNone", { time })
        : usable > limits.remaining ? t("allowanceShort", { remaining: limits.remaining })
          : t("allowance", { remaining: limits.remaining, time });
      allowanceLine.classList.toggle("warn", usable > limits.remaining);
    }
  };
  /** Turns typed text into chips; the part after the last separator stays in the box unless
   * `all`. */
  const commit = (all, text = input.value) => {
    const parts = text.replaceAll("＠", "@").split(SEPARATORS);
    const rest = all ? "" : parts.pop();
    const added = parts.filter(Boolean).map((text) => ({ text }));
    if (added.length) draft.entries.push(...added);
    if (input.value !== rest) input.value = rest;
    draft.typing = input.value;
    if (added.length) draw();
  };
  const edit = (at) => {
    commit(true);
    const [entry] = draft.entries.splice(at, 1);
    input.value = entry.text;
    draft.typing = entry.text;
    draw();
    input.focus();
    input.select();
  };
  // A chip's button pressed while text is typed must not blur the box first: the blur would
  // redraw the chips under the pointer.
  const keepTyping = (event) => event.preventDefault();
  // While an input method composes (Japanese), the text is not the person's yet.
  input.addEventListener("input", (event) => { if (!event.isComposing) commit(false); });
  input.addEventListener("compositionend", () => commit(false));
  input.addEventListener("paste", (event) => {
    event.preventDefault();
    // Split before it reaches the box: a text field's value drops line breaks.
    commit(true, `${input.value} ${event.clipboardData.getData("text")}`);
  });
  input.addEventListener("blur", () => commit(true));
  input.addEventListener("keydown", (event) => {
    if (event.isComposing || event.keyCode === 229) return;
    if (event.key === "Enter" && input.value.trim()) { event.preventDefault(); commit(true); }
    if (event.key === "Backspace" && !input.value && draft.entries.length) { event.preventDefault(); edit(draft.entries.length - 1); }
  });

  const form = h("form", { novalidate: true },
    h("fieldset", { class: "roles" }, h("legend", {}, t("role")), roles),
    h("label", { for: "invite-input", class: "label" }, t("addresses")),
    h("div", { class: "chip-box", onclick: (event) => { if (event.target === event.currentTarget) input.focus(); } }, chips, input),
    h("p", { id: "invite-hint", class: "hint" }, t("addressesHint")),
    count, allowanceLine, error, summary,
    h("div", { class: "actions end" },
      h("button", { type: "button", class: "secondary", onclick: () => dialog.close() }, t("close")), send));
  const dialog = modal({ title: t("inviteTo", { workgroup: wg.name }), content: [form], className: "wide", labelId: "invite-title" });
  dialog.dataset.test = "invite-dialog";

  const refreshAllowance = async () => {
    try {
      const allowance = await api("GET", `/workgroups/${wg.id}/allowance`);
      limits = { max: allowance.max_addresses, remaining: allowance.remaining_today, resets: allowance.resets_at };
    } catch {
      // Without it the dialog still works: the server refuses what is over the limits.
    }
    draw();
  };

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    commit(true);
    showProblem(error, null);
    if (!draft.entries.length || sending) return;
    sending = true;
    draw();
    send.textContent = t("inviting");
    // What is sent now; anything typed while it is on its way stays in the draft.
    const sent = [...draft.entries];
    try {
      const answer = await api("POST", `/workgroups/${wg.id}/invitations`, { emails: sent.map((e) => e.text), role: draft.role });
      const kept = answer.results
        .map((result, at) => ({ text: sent[at].text, outcome: result.outcome }))
        .filter((entry) => entry.outcome === "invalid_email" || entry.outcome === "forbidden");
      draft.entries = [...kept, ...draft.entries.filter((entry) => !sent.includes(entry))];
      sending = false;
      if (dialog.open) {
        showSummary(summary, answer.results);
        draw();
        summary.querySelector("h3").focus();
      } else {
        // Closed while sending: the outcome still reaches the person.
        toast(answer.results.map((r) => `${r.email}: ${t(`outcome.${r.outcome}`)}`).join(", "));
      }
      await onInvited();
      await refreshAllowance();
    } catch (e) {
      sending = false;
      if (dialog.open) showProblem(error, e, { context: "invite", values: { max: limits.max } });
      else toast(problem(e, { context: "invite", values: { max: limits.max } }).textContent, { error: true });
      draw();
    }
  });
  dialog.addEventListener("close", () => {
    commit(true);
    dialog.remove();
    if (opener?.isConnected) opener.focus();
    else document.getElementById("open-invite")?.focus();
  });
  draw();
  dialog.showModal();
  input.focus();
  await refreshAllowance();
}

/** How the invitation went, counted by outcome, with the addresses under each. */
function showSummary(summary, results) {
  const groups = OUTCOMES.map((outcome) => [outcome, results.filter((r) => r.outcome === outcome)])
    .filter(([, list]) => list.length);
  summary.hidden = false;
  put(summary, 
    h("h3", { id: "summary-title", tabindex: "-1" }, t("summaryTitle")),
    h("ul", { class: "summary-counts", "data-test": "results" },
      groups.map(([outcome, list]) =>
        h("li", { class: `outcome ${outcome}`, dataset: { outcome, count: String(list.length) } },
          h("strong", {}, `${t(`summary.${outcome}`)}: ${list.length}`),
          h("span", { class: "addresses" }, list.map((r) => r.email).join(", "))))),
    groups.some(([outcome]) => outcome === "invalid_email") ? h("p", { class: "hint" }, t("keptInvalid")) : null);
}
