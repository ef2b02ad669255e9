// The Invite Agents dialog: chips checked as they are typed or pasted, a live count against
// the per-request limit and the day's allowance, roles described, contents kept until sent,
// a summary of the answer, and invalid addresses kept for correcting.

import { test } from "node:test";
import assert from "node:assert/strict";
import { WORDS, check, openConsole, person, scene, step, tagged } from "./support.mjs";

const chips = (dialog) =>
  dialog.locator("[data-test=chip]").evaluateAll((items) =>
    items.map((i) => [i.querySelector(".chip-text").textContent, i.dataset.problem]));

/** Pastes `text` into `field` as a person's clipboard would. */
const paste = (field, text) =>
  field.evaluate((element, pasted) => {
    const data = new DataTransfer();
    data.setData("text/plain", pasted);
    element.focus();
    element.dispatchEvent(new ClipboardEvent("paste", { clipboardData: data, bubbles: true, cancelable: true }));
  }, text);

for (const [language, size] of [["en", "desktop"], ["ja", "phone"], ["ja", "desktop"], ["en", "phone"]]) {
  test(`inviting with chips, a count, the allowance and a summary (${language}, ${size})`, async () => {
    const w = WORDS[language];
    const tag = tagged(`invite-${language}-${size}`);
    const ada = `ada-${tag}@example.com`;
    const x = `x-${tag}@example.com`;
    const y = `y-${tag}@example.com`;
    const group = `Invite ${tag}`;
    const other = `Other ${tag}`;
    await scene(ada, other);
    await scene(ada, group);
    const page = await person(w.locale, size);
    await openConsole(page, w, ada, group);
    const dialog = page.getByRole("dialog");
    const input = dialog.getByLabel(w.addresses);

    await step(`invite-${language}-${size}-chips-as-typed`, async () => {
      await page.getByRole("button", { name: w.inviteAgents }).click();
      for (const role of ["administrator", "manager", "associate", "inactive"]) {
        const choice = dialog.locator("label.choice", { has: page.locator(`input[value=${role}]`) });
        assert.ok((await choice.locator(".hint").textContent()).length > 20, `${role} is described`);
      }
      await input.pressSequentially(`${x}, not-an-address ${y};${x.toUpperCase()}\n`);
      assert.deepEqual(await chips(dialog), [[x, ""], ["not-an-address", "invalid"], [y, ""], [x.toUpperCase(), "duplicate"]]);
      assert.match(await dialog.locator("[data-test=count]").textContent(), /^4 \/ 50/);
      const allowance = dialog.locator("[data-test=allowance]");
      await allowance.waitFor();
      assert.match(await allowance.textContent(), /200/, "the day's allowance (200 in a workgroup), before anything is sent");
      await check(page, `invite-chips-${language}`);
    });

    await step(`invite-${language}-${size}-kept-until-sent`, async () => {
      await page.keyboard.press("Escape");
      await dialog.waitFor({ state: "detached" });
      await page.getByRole("tab", { name: new RegExp(w.invited) }).click();
      await page.getByRole("button", { name: w.inviteAgents }).click();
      assert.equal((await chips(dialog)).length, 4, "closing, switching tab and reopening keep what was typed");
      await dialog.getByRole("button", { name: w.close }).click();
      await page.getByLabel(w.workgroup, { exact: true }).selectOption({ label: other });
      await page.getByRole("heading", { level: 1, name: `${w.people}: ${other}` }).waitFor();
      await page.getByRole("button", { name: w.inviteAgents }).click();
      assert.equal((await chips(dialog)).length, 0, "each workgroup has its own draft");
      await page.keyboard.press("Escape");
      await page.getByLabel(w.workgroup, { exact: true }).selectOption({ label: group });
      await page.getByRole("heading", { level: 1, name: `${w.people}: ${group}` }).waitFor();
      await page.getByRole("button", { name: w.inviteAgents }).click();
      assert.equal((await chips(dialog)).length, 4, "and switching back finds it again");
    });

    await step(`invite-${language}-${size}-summary-and-invalid-kept`, async () => {
      await dialog.locator("#send-invites").click();
      await dialog.locator("[data-test=summary]:not([hidden])").waitFor();
      const summary = await dialog.locator("[data-test=results] li").evaluateAll((items) =>
        Object.fromEntries(items.map((i) => [i.dataset.outcome, Number(i.dataset.count)])));
      assert.deepEqual(summary, { invited: 2, invalid_email: 1, duplicate: 1 });
      assert.deepEqual(await chips(dialog), [["not-an-address", "invalid"]], "the invalid entry stays to be corrected");
      await dialog.locator("[data-test=allowance]", { hasText: "198" }).waitFor();
      await check(page, `invite-summary-${language}`);
      // Correct it in place: select it, retype, invite.
      await dialog.locator(".chip-text", { hasText: "not-an-address" }).click();
      assert.equal(await input.inputValue(), "not-an-address");
      await input.fill(`z-${tag}@example.com `);
      assert.deepEqual(await chips(dialog), [[`z-${tag}@example.com`, ""]]);
      await dialog.locator("#send-invites").click();
      await dialog.locator("[data-test=results] li[data-outcome=invited][data-count='1']").waitFor();
      assert.deepEqual(await chips(dialog), []);
      // Again, with an address already invited and the inviter's own: sent again, already an agent.
      await input.fill(`${x} ${ada} `);
      await dialog.locator("#send-invites").click();
      await dialog.locator("[data-test=results] li[data-outcome=resent][data-count='1']").waitFor();
      await dialog.locator("[data-test=results] li[data-outcome=already_agent][data-count='1']").waitFor();
    });

    await step(`invite-${language}-${size}-limit-shown-before-sending`, async () => {
      await paste(input, Array.from({ length: 51 }, (_, n) => `p${n}-${tag}@example.com`).join("\n"));
      assert.equal((await chips(dialog)).length, 51);
      assert.match(await dialog.locator("[data-test=count]").textContent(), /^51 \/ 50/);
      assert.ok(await dialog.locator("#send-invites").isDisabled(), "over the limit, nothing can be sent");
      await check(page, `invite-over-limit-${language}`);
    });
  });
}
