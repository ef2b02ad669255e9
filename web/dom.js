// The page's parts: elements, pages, toasts, in-page confirmation and row menus, built on the
// platform's own (`<dialog>`, the Popover API). No native `alert` or `confirm` anywhere.

import { describe, retryable } from "./api.js";
import { t } from "./i18n.js";

const main = () => document.getElementById("main");

/** An element: `h("button", {type: "button", onclick}, "text", child…)`. */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  element.append(...present(children));
  return element;
}

const present = (children) => children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false);

/** Replaces `element`'s children, leaving out the absent ones. */
export function put(element, ...children) {
  element.replaceChildren(...present(children));
}

let firstPage = true;

/** Replaces the page. After the first page, focus moves to the new heading so screen readers
 * announce it; the first page load leaves focus where the browser puts it, and so does a page
 * redrawn for a control that keeps focus (`keepingFocus`). */
export function show(...children) {
  put(main(), children);
  const heading = main().querySelector("h1");
  heading?.setAttribute("tabindex", "-1");
  if (!firstPage && !keepFocus) (heading ?? main()).focus();
  firstPage = false;
}

let keepFocus = false;

/** Runs `draw` (which may show pages) leaving focus on the control that asked for it. */
export async function keepingFocus(draw) {
  keepFocus = true;
  try {
    return await draw();
  } finally {
    keepFocus = false;
  }
}

/** A labelled form field: the label names the control by its id. */
export function field(id, label, control, hint) {
  control.id = id;
  if (hint) control.setAttribute("aria-describedby", `${id}-hint`);
  return h("div", { class: "field" }, h("label", { for: id }, label), control,
    hint ? h("p", { id: `${id}-hint`, class: "hint" }, hint) : null);
}

/** Whether every `required` field of `form` is filled; the first empty one gets focus and a
 * message in the page's language (forms say `novalidate`: the browser's own bubble speaks the
 * browser's language). */
export function filled(form, box) {
  const empty = [...form.querySelectorAll("[required]")].find((field) => !field.value.trim());
  put(box, empty ? h("p", { class: "problem", role: "alert" }, t("fillIn", { field: empty.labels?.[0]?.textContent ?? "" })) : null);
  empty?.focus();
  return !empty;
}

/** A visible, announced message at the bottom of the screen that goes by itself. */
export function toast(text, { error = false } = {}) {
  const region = document.getElementById(error ? "alerts" : "toasts");
  const item = h("div", { class: `toast${error ? " error" : ""}`, "data-test": "toast" },
    h("span", {}, text),
    h("button", { type: "button", class: "icon", "aria-label": t("dismiss"), onclick: () => item.remove() }, "×"));
  region.append(item);
  setTimeout(() => item.remove(), error ? 12_000 : 6_000);
}

/** An error in place, in the reader's language, with a retry button where one may help. */
export function problem(error, { retry, context, values } = {}) {
  return h("div", { class: "problem", role: "alert", "data-test": "problem" },
    h("p", {}, describe(error, context, values)),
    retry && retryable(error) ? h("button", { type: "button", class: "secondary", onclick: retry }, t("retry")) : null);
}

/** Shows an error inside `box` (an element kept in a form), or hides it with `null`. */
export function showProblem(box, error, options) {
  put(box, error ? problem(error, options) : null);
}

/** A modal `<dialog>` with a title, its content and its buttons; removed when closed. */
export function modal({ title, content = [], className = "", labelId = `dialog-${crypto.randomUUID()}` }) {
  const dialog = h("dialog", { class: className, "aria-labelledby": labelId },
    h("h2", { id: labelId }, title), content);
  document.body.append(dialog);
  return dialog;
}

/** Asks in the page: resolves true when `yes` is chosen, false on `no`, Escape or closing.
 * `no` holds focus first: the safe answer is the default. */
export function confirmInPage({ title, body, yes, no, danger = true }) {
  return new Promise((resolve) => {
    const keep = h("button", { type: "button", class: "secondary", value: "no" }, no);
    const go = h("button", { type: "button", class: danger ? "danger" : "", value: "yes" }, yes);
    const dialog = modal({ title, className: "confirm", content: [h("p", {}, body), h("div", { class: "actions end" }, keep, go)] });
    const opener = document.activeElement;
    keep.addEventListener("click", () => dialog.close("no"));
    go.addEventListener("click", () => dialog.close("yes"));
    dialog.addEventListener("close", () => {
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(dialog.returnValue === "yes");
    });
    dialog.showModal();
    keep.focus();
  });
}

let menus = 0;

/** A `…` button opening a menu of `items` (`[label, action]`) as an auto popover: one open at
 * a time, closed by an outside click, Escape or Tab, placed beside its button so it never
 * covers another row's button. */
export function rowMenu(label, items) {
  const id = `menu-${++menus}`;
  const list = h("div", { id, popover: "auto", role: "menu", class: "menu", "aria-label": label });
  const button = h("button", {
    type: "button", class: "secondary menu-button", popovertarget: id, "aria-haspopup": "menu",
    "aria-expanded": "false", "aria-label": label, "data-test": "row-menu",
  }, "…");
  for (const [text, action] of items) {
    list.append(h("button", {
      type: "button", role: "menuitem", tabindex: "-1",
      onclick: () => { if (list.matches(":popover-open")) list.hidePopover(); action(); },
    }, text));
  }
  list.addEventListener("toggle", (event) => {
    const open = event.newState === "open";
    button.setAttribute("aria-expanded", String(open));
    if (!open) return;
    const at = button.getBoundingClientRect();
    const width = list.offsetWidth;
    // Left of the button, level with it; on a narrow screen, below it.
    const left = at.left - width - 6 >= 4 ? at.left - width - 6 : Math.max(4, at.right - width);
    const top = left === at.left - width - 6 ? at.top : at.bottom + 4;
    list.style.left = `${left}px`;
    list.style.top = `${Math.min(top, innerHeight - list.offsetHeight - 4)}px`;
    list.querySelector("[role=menuitem]")?.focus();
    // Placed for where its button is now: a scroll would move the button away from it.
    addEventListener("scroll", () => list.matches(":popover-open") && list.hidePopover(), { once: true, capture: true });
  });
  // Focus leaving the menu (Tab, or a click the light dismiss does not see) closes it.
  // A click that focuses nothing (some browsers on a mouse press) is light dismiss's to judge.
  list.addEventListener("focusout", (event) => {
    const to = event.relatedTarget;
    if (to && !list.contains(to) && to !== button && list.matches(":popover-open")) list.hidePopover();
  });
  list.addEventListener("keydown", (event) => {
    const entries = [...list.querySelectorAll("[role=menuitem]")];
    const at = entries.indexOf(document.activeElement);
    if (event.key === "Tab" && list.matches(":popover-open")) list.hidePopover();
    if (event.key === "ArrowDown") { event.preventDefault(); entries[(at + 1) % entries.length].focus(); }
    if (event.key === "ArrowUp") { event.preventDefault(); entries[(at + entries.length - 1) % entries.length].focus(); }
    if (event.key === "Home") { event.preventDefault(); entries[0].focus(); }
    if (event.key === "End") { event.preventDefault(); entries.at(-1).focus(); }
  });
  return h("div", { class: "menu-holder" }, button, list);
}
