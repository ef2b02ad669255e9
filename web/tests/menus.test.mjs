// The invitations' row menus: one open at a time, closed by an outside click, Escape or Tab,
// never covering another row's button, acting on the row they belong to; resend and cancel
// answer in the page (a toast, the row updated in place, focus kept on the row).

import { test } from "node:test";
import assert from "node:assert/strict";
import { WORDS, check, invitedRow, linkTo, openConsole, person, scene, step, tagged } from "./support.mjs";

const openMenus = (page) => page.locator("[role=menu]:popover-open");

for (const size of ["desktop", "phone"]) {
  test(`one row menu at a time, acting on its own row (${size})`, async () => {
    const w = WORDS.en;
    const tag = tagged(`menus-${size}`);
    const [ada, ann, bob] = ["ada", "ann", "bob"].map((who) => `${who}-${tag}@example.com`);
    const group = `Menus ${tag}`;
    await scene(ada, group, [["associate", [ann, bob]]]);
    const annsLink = linkTo(ann);
    const bobsLink = linkTo(bob);
    const page = await person(w.locale, size);
    await openConsole(page, w, ada, group);
    await page.getByRole("tab", { name: /Invited/ }).click();
    await invitedRow(page, bob).waitFor();

    await step(`menus-${size}-another-menu-closes-the-first`, async () => {
      await page.getByRole("button", { name: w.actionsFor(ann) }).click();
      await openMenus(page).waitFor();
      // Playwright refuses to click a button something else covers: the open menu must not.
      await page.getByRole("button", { name: w.actionsFor(bob) }).click();
      assert.equal(await openMenus(page).count(), 1, "one menu at a time");
      assert.equal(await openMenus(page).getAttribute("aria-label"), w.actionsFor(bob));
      assert.equal(await page.getByRole("button", { name: w.actionsFor(ann) }).getAttribute("aria-expanded"), "false");
      await check(page, `menus-open-${size}`);
    });

    await step(`menus-${size}-outside-click-escape-and-tab-close`, async () => {
      await page.getByRole("heading", { level: 1 }).click();
      assert.equal(await openMenus(page).count(), 0, "an outside click closes it");
      const annsButton = page.getByRole("button", { name: w.actionsFor(ann) });
      await annsButton.focus();
      await page.keyboard.press("Enter");
      await page.locator("[role=menuitem]:focus").waitFor();
      await page.keyboard.press("ArrowDown");
      assert.equal(await page.evaluate(() => document.activeElement.textContent), w.cancel);
      await page.keyboard.press("Escape");
      assert.equal(await openMenus(page).count(), 0, "Escape closes it");
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), w.actionsFor(ann),
        "and gives focus back to its button");
      await page.keyboard.press("Enter");
      await page.locator("[role=menuitem]:focus").waitFor();
      await page.keyboard.press("Tab");
      assert.equal(await openMenus(page).count(), 0, "Tab closes it");
      assert.equal(await page.evaluate(() => document.activeElement.closest("[role=menu]") === null && document.activeElement !== document.body), true,
        "and focus moves on to the page");
    });

    await step(`menus-${size}-resend-acts-on-its-row`, async () => {
      await page.getByRole("button", { name: w.actionsFor(ann) }).click();
      await page.getByRole("button", { name: w.actionsFor(bob) }).click();
      await page.getByRole("menuitem", { name: w.resend }).click();
      const toast = page.locator("[data-test=toast]", { hasText: w.resent(bob) });
      await toast.waitFor();
      assert.ok(await toast.isVisible(), "a visible toast");
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), w.actionsFor(bob));
      assert.notEqual(linkTo(bob), bobsLink, "Bob got a new link");
      assert.equal(linkTo(ann), annsLink, "Ann's invitation was not touched");
      const lookup = await fetch(`${process.env.BASE_URL}/invitations/lookup`, {
        method: "POST", headers: { "content-type": "application/json" },
        body: JSON.stringify({ token: new URLSearchParams(annsLink.split("#")[1]).get("token") }),
      });
      assert.equal(lookup.status, 200, "Ann's link still works");
    });

    await step(`menus-${size}-cancel-confirms-in-the-page`, async () => {
      await page.getByRole("button", { name: w.actionsFor(ann) }).click();
      await page.getByRole("menuitem", { name: w.cancel }).click();
      const dialog = page.getByRole("dialog");
      assert.equal(await dialog.getByRole("button").allTextContents().then((b) => b.join("|")), `${w.keep}|${w.cancel}`);
      assert.equal(await page.evaluate(() => document.activeElement.textContent), w.keep, "the safe answer has focus");
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      assert.equal(await invitedRow(page, ann).count(), 1, "Escape keeps it");
      await page.getByRole("button", { name: w.actionsFor(ann) }).click();
      await page.getByRole("menuitem", { name: w.cancel }).click();
      await page.getByRole("dialog").getByRole("button", { name: w.cancel }).click();
      await page.locator("[data-test=toast]", { hasText: w.cancelled(ann) }).waitFor();
      assert.equal(await invitedRow(page, ann).count(), 0);
      assert.equal(await page.locator("[data-test=count-invited]").textContent(), "1");
      assert.equal(await page.evaluate(() => document.activeElement.getAttribute("aria-label")), w.actionsFor(bob),
        "focus moves to the next row");
    });
  });
}
