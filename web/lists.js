// What the People page's lists share: paging, tables that become cards on a phone, role names
// and who may act on what.

import { api } from "./api.js";
import { h, problem, toast } from "./dom.js";
import { t } from "./i18n.js";

export const roleName = (role) => t(`role.${role}`);

/** The roles each role may grant, as the spec's privilege table says. */
export const GRANTABLE = {
  administrator: ["administrator", "manager", "associate", "inactive"],
  manager: ["manager", "associate", "inactive"],
};

/** Whether the signed-in agent may resend or cancel an invitation for `role`. */
export const mayManage = (wg, role) => wg.role === "administrator" || (wg.role === "manager" && role !== "administrator");

/** A list's first page, and a way to read the next ones. */
export async function firstPage(path) {
  const list = { items: [], next: null, path };
  await nextPage(list);
  return list;
}

export async function nextPage(list) {
  const cursor = list.next ? `&cursor=${encodeURIComponent(list.next)}` : "";
  const page = await api("GET", `${list.path}?limit=50${cursor}`);
  list.items.push(...page.items);
  list.next = page.next_cursor ?? null;
  return page.items;
}

export const count = (list) => `${list.items.length}${list.next ? "+" : ""}`;

/** Column headers, which also label each cell when rows become cards on a phone. */
export const headers = (labels) => h("thead", {}, h("tr", {}, labels.map((label) => h("th", { scope: "col" }, label))));
export const cell = (label, ...content) => h("td", { "data-label": label }, h("span", {}, ...content));

export function moreButton(list, label, append) {
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
