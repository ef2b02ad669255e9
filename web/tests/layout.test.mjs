// The console's layout at desktop and phone sizes in both languages: nothing wider than the
// screen, the header one bar, every action reachable, counts on the tabs, invitations in send
// order, no focus box drawn at load; the language follows the browser; every field labelled.

import { test } from "node:test";
import assert from "node:assert/strict";
import { WORDS, check, invitedRow, openConsole, overflow, person, scene, step, tagged } from "./support.mjs";

for (const language of ["en", "ja"]) {
  for (const size of ["desktop", "phone"]) {
    test(`the People page fits (${language}, ${size})`, async () => {
      const w = WORDS[language];
      const tag = tagged(`layout-${language}-${size}`);
      const ada = `ada-${tag}@example.com`;
      const group = `A rather long workgroup name for ${tag}`;
      const batch = ["c", "a", "b"].map((who) => `${who}-with-a-long-address-${tag}@example.com`);
      const { call } = await scene(ada, group, [["administrator", batch]]);
      // Apart by more than a batch (5 s): the later one sorts first.
      await new Promise((resolve) => setTimeout(resolve, 6500));
      const { id } = await call("GET", "/workgroups").then((r) => r.body.items.find((g) => g.name === group));
      const later = `d-${tag}@example.com`;
      await call("POST", `/workgroups/${id}/invitations`, { emails: [later], role: "associate" });
      const page = await person(w.locale, size);
      await step(`layout-${language}-${size}`, async () => {
        await openConsole(page, w, ada, group);
        await page.reload();
        await page.getByRole("heading", { level: 1, name: `${w.people}: ${group}` }).waitFor();
        assert.equal(await page.evaluate(() => document.activeElement === document.body), true,
          "nothing is focused (and no focus box drawn) when a page loads");
        assert.equal(await page.locator("[data-test=count-agents]").textContent(), "1");
        assert.equal(await page.locator("[data-test=count-invited]").textContent(), "4");
        assert.deepEqual(await overflow(page), [], "the agents tab");
        await page.getByRole("tab", { name: new RegExp(w.invited) }).click();
        await invitedRow(page, later).waitFor();
        const order = await page.locator("[data-test=invited] tbody tr").evaluateAll((rows) => rows.map((r) => r.dataset.email));
        assert.deepEqual(order, [later, ...[...batch].sort()], "newest send first, one batch by address");
        assert.deepEqual(await overflow(page), [], "the invited tab");
        await check(page, `layout-invited-${language}`);
      });
    });
  }
}

test("the language follows the browser and can be switched", async () => {
  const page = await person("ja-JP", "phone");
  await page.goto("/");
  await page.getByRole("button", { name: WORDS.ja.signInAs }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "ja");
  assert.equal(await page.title(), "ワークグループ招待");
  assert.equal(await page.getByRole("navigation").getAttribute("aria-label"), "アカウント");
  await page.getByLabel(WORDS.ja.language).selectOption("en");
  await page.getByRole("button", { name: WORDS.en.signInAs }).waitFor();
  await page.reload();
  await page.getByRole("button", { name: WORDS.en.signInAs }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
});

test("every form field has a label", async () => {
  const page = await person("en-US");
  await page.goto("/");
  await page.getByRole("button", { name: WORDS.en.signInAs }).waitFor();
  const unlabelled = await page.evaluate(() =>
    [...document.querySelectorAll("input, select, textarea")]
      .filter((field) => !field.labels?.length && !field.getAttribute("aria-label"))
      .map((field) => field.outerHTML));
  assert.deepEqual(unlabelled, []);
});
