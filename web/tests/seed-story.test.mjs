// The seed story in the browser, in English and in Japanese, on a desktop and on a phone:
// create a workgroup, invite two managers, see them pending, Ann registers and joins, Bob
// declines, resend by keyboard, the old link is dead, cancel in the page, both agents listed;
// a manager acts only where allowed. axe-core checks every page on the way.

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  WORDS, check, createWorkgroup, invite, invitedRow, linkTo, person, signIn, step, tagged,
} from "./support.mjs";

for (const language of ["en", "ja"]) {
  for (const size of ["desktop", "phone"]) {
    test(`the seed story (${language}, ${size})`, async () => {
      const w = WORDS[language];
      const tag = tagged(`${language}-${size}`);
      const name = (what) => `${language}-${size}-${what}`;
      const ada = `ada-${tag}@example.com`;
      const ann = `ann-${tag}@example.com`;
      const bob = `bob-${tag}@example.com`;
      const group = `Acme IT ${tag}`;
      const admin = await person(w.locale, size);

      await step(name("sign-in-and-create"), async () => {
        await admin.goto("/");
        await admin.getByRole("button", { name: w.signInAs }).waitFor();
        await check(admin, name("sign-in"));
        await signIn(admin, w, ada, "Ada Admin");
        await admin.getByRole("button", { name: w.newWorkgroup }).waitFor();
        await check(admin, name("no-workgroup"));
        await createWorkgroup(admin, w, group, name("create-workgroup"));
        await check(admin, name("people-agents"));
      });

      await step(name("invite"), async () => {
        await admin.getByRole("button", { name: w.inviteAgents }).click();
        const dialog = admin.getByRole("dialog");
        const roles = await dialog.locator("input[type=radio]").evaluateAll((r) => r.map((x) => x.value));
        assert.deepEqual(roles, ["administrator", "manager", "associate", "inactive"], "an administrator may grant every role");
        await dialog.locator("input[type=radio][value=manager]").check();
        await dialog.getByLabel(w.addresses).fill(`${ann},\n${bob} `);
        assert.equal(await dialog.locator("[data-test=chip]").count(), 2);
        await check(admin, name("invite-dialog"));
        await dialog.locator("#send-invites").click();
        const results = dialog.locator("[data-test=results] li");
        await results.first().waitFor();
        assert.deepEqual(await results.evaluateAll((items) => items.map((i) => [i.dataset.outcome, i.dataset.count])), [["invited", "2"]]);
        await check(admin, name("invite-summary"));
        await admin.keyboard.press("Escape");
        await dialog.waitFor({ state: "detached" });
      });

      await step(name("pending-with-expiry"), async () => {
        await admin.locator("[role=tab][aria-selected=true]", { hasText: w.invited }).waitFor();
        for (const address of [ann, bob]) {
          const row = invitedRow(admin, address);
          await row.waitFor();
          assert.equal(await row.locator("[data-test=status]").textContent(), w.pending);
          const expires = await row.locator("time").last().getAttribute("datetime");
          const days = (Date.parse(expires) - Date.now()) / 86_400_000;
          assert.ok(days > 29.9 && days <= 30, `expires in 30 days: ${expires}`);
          assert.match(await row.textContent(), new RegExp(w.manager));
          // Queued when invited; the row turns to sent once the sender hands it over, without
          // a reload.
          await row.locator("[data-test=delivery][data-delivery=sent]").waitFor({ timeout: 15_000 });
        }
        await check(admin, name("people-invited"));
      });

      let annPage;
      await step(name("ann-accepts"), async () => {
        const page = await person(w.locale, size);
        annPage = page;
        await page.goto(linkTo(ann));
        await page.getByRole("heading", { name: w.acceptTitle }).waitFor();
        assert.equal(await page.locator("[data-test=workgroup]").textContent(), group);
        await check(page, name("accept-signed-out"));
        // The development sign-in offers the invited address.
        assert.equal(await page.getByLabel(w.email, { exact: true }).inputValue(), ann);
        await page.getByRole("button", { name: w.signInAs }).click();
        // Signed in, the sign-in form gives way to the acceptance (with its own name field).
        await page.getByRole("button", { name: w.accept }).waitFor();
        assert.doesNotMatch(await page.locator("main").textContent(), /null|undefined/);
        await check(page, name("accept-register"));
        await page.getByLabel(w.displayName).fill("Ann Lee");
        await page.getByRole("button", { name: w.accept }).click();
        await page.getByRole("heading", { name: new RegExp(w.joined) }).waitFor();
        await check(page, name("accept-joined"));
      });

      let bobsFirstLink;
      await step(name("bob-declines"), async () => {
        const page = await person(w.locale, size);
        bobsFirstLink = linkTo(bob);
        await page.goto(bobsFirstLink);
        await page.getByRole("button", { name: w.decline, exact: true }).click();
        await page.getByRole("heading", { name: w.declinedTitle }).waitFor();
        await check(page, name("accept-declined"));
      });

      await step(name("declined-marked"), async () => {
        await admin.reload();
        await admin.getByRole("tab", { name: new RegExp(w.invited) }).click();
        const row = invitedRow(admin, bob);
        await row.waitFor();
        assert.equal(await row.locator("[data-test=status]").textContent(), w.declined);
        assert.ok(await row.locator(".badge.declined").count(), "declined is marked as such");
        assert.equal(await invitedRow(admin, ann).count(), 0, "ann accepted: no longer invited");
      });

      await step(name("resend-by-keyboard"), async () => {
        const menu = admin.getByRole("button", { name: w.actionsFor(bob) });
        await menu.focus();
        await admin.keyboard.press("Enter");
        await admin.locator("[role=menuitem]:focus", { hasText: w.resend }).waitFor();
        await check(admin, name("row-menu"));
        await admin.keyboard.press("Enter");
        await admin.getByText(w.resent(bob)).waitFor();
        assert.equal(await invitedRow(admin, bob).locator("[data-test=status]").textContent(), w.pending);
        assert.equal(await admin.evaluate(() => document.activeElement.getAttribute("aria-label")), w.actionsFor(bob),
          "focus stays on the row");
        assert.notEqual(linkTo(bob), bobsFirstLink, "a new email with a new link");
        const dead = await person(w.locale, size);
        await dead.goto(bobsFirstLink);
        await dead.getByRole("heading", { name: w.deadTitle }).waitFor();
        await check(dead, name("accept-dead"));
      });

      await step(name("cancel-in-the-page"), async () => {
        await admin.getByRole("button", { name: w.actionsFor(bob) }).click();
        await admin.getByRole("menuitem", { name: w.cancel }).click();
        const confirm = admin.getByRole("dialog");
        await confirm.getByRole("button", { name: w.keep }).waitFor();
        await check(admin, name("confirm-cancel"));
        await confirm.getByRole("button", { name: w.keep }).click();
        await confirm.waitFor({ state: "detached" });
        assert.equal(await invitedRow(admin, bob).count(), 1, "Keep keeps the invitation");
        await admin.getByRole("button", { name: w.actionsFor(bob) }).click();
        await admin.getByRole("menuitem", { name: w.cancel }).click();
        await admin.getByRole("dialog").getByRole("button", { name: w.cancel }).click();
        await admin.getByText(w.cancelled(bob)).waitFor();
        await admin.getByText(w.noInvitations).waitFor();
        assert.equal(await admin.locator("[data-test=count-invited]").textContent(), "0");
      });

      await step(name("agents"), async () => {
        await admin.getByRole("tab", { name: new RegExp(w.agents) }).click();
        const rows = admin.locator("[data-test=agents] tbody tr");
        await rows.nth(1).waitFor();
        const text = await rows.allTextContents();
        assert.equal(text.length, 2);
        assert.equal(await admin.locator("[data-test=count-agents]").textContent(), "2");
        assert.ok(text.some((r) => r.includes("Ada Admin") && r.includes(w.administrator)), text.join(" | "));
        assert.ok(text.some((r) => r.includes("Ann Lee") && r.includes(ann) && r.includes(w.manager)), text.join(" | "));
      });

      await step(name("a-manager-acts-only-where-allowed"), async () => {
        const boss = `boss-${tag}@example.com`;
        const dee = `dee-${tag}@example.com`;
        assert.deepEqual(await invite(admin, w, "administrator", [boss]), { invited: 1 });
        assert.deepEqual(await invite(admin, w, "associate", [dee]), { invited: 1 });
        // Ann, now a manager, opens the console from her welcome page.
        await annPage.locator("#open-console").click();
        await annPage.getByRole("heading", { level: 1, name: `${w.people}: ${group}` }).waitFor();
        await annPage.getByRole("tab", { name: new RegExp(w.invited) }).click();
        await invitedRow(annPage, dee).waitFor();
        assert.equal(await annPage.getByRole("button", { name: w.actionsFor(boss) }).count(), 0,
          "no menu on an administrator invitation for a manager");
        assert.equal(await invitedRow(annPage, boss).locator("[data-test=admins-only]").count(), 1, "and a reason instead");
        assert.equal(await annPage.getByRole("button", { name: w.actionsFor(dee) }).count(), 1);
        await check(annPage, name("manager-invited"));
        await annPage.getByRole("button", { name: w.inviteAgents }).click();
        const roles = await annPage.getByRole("dialog").locator("input[type=radio]").evaluateAll((o) => o.map((x) => x.value));
        assert.deepEqual(roles, ["manager", "associate", "inactive"], "a manager cannot grant administrator");
      });
    });
  }
}
