// "Your invitations": a signed-in person sees their live invitations in every workgroup and
// answers each in the console, without the email's link.

import { test } from "node:test";
import assert from "node:assert/strict";
import { WORDS, check, person, scene, signIn, step, tagged } from "./support.mjs";

const HERE = {
  en: { title: "Your invitations", join: (g) => `Join ${g}`, decline: (g) => `Decline the invitation to ${g}`, yes: "Decline" },
  ja: { title: "あなたへの招待", join: (g) => `${g} に参加`, decline: (g) => `${g} への招待を拒否`, yes: "拒否" },
};

for (const [language, size] of [["en", "desktop"], ["ja", "phone"]]) {
  test(`your invitations, joined and declined in the console (${language}, ${size})`, async () => {
    const w = { ...WORDS[language], ...HERE[language] };
    const tag = tagged(`mine-${language}-${size}`);
    const ada = `ada-${tag}@example.com`;
    const dan = `dan-${tag}@example.com`;
    const first = `First ${tag}`;
    const second = `Second ${tag}`;
    await scene(ada, first, [["manager", [dan]]]);
    await scene(ada, second, [["associate", [dan]]]);
    const page = await person(w.locale, size);
    await step(`mine-${language}-${size}`, async () => {
      await page.goto("/");
      await signIn(page, w, dan);
      const section = page.locator("[data-test=mine]");
      await section.waitFor();
      assert.equal(await section.getByRole("heading", { level: 2 }).textContent(), `${w.title} 2`);
      await check(page, `mine-${language}`);
      // Dan never registered: joining asks his name first.
      await section.getByRole("button", { name: w.join(first) }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel(w.displayName).fill("Dan Ono");
      await check(page, `mine-name-${language}`);
      await dialog.locator("button[type=submit]").click();
      await page.getByRole("heading", { level: 1, name: `${w.people}: ${first}` }).waitFor();
      assert.equal(await page.locator("[data-test=count-mine]").textContent(), "1");
      await page.getByRole("button", { name: w.decline(second) }).click();
      await page.getByRole("dialog").getByRole("button", { name: w.yes, exact: true }).click();
      await section.waitFor({ state: "detached" });
      await page.reload();
      await page.getByRole("heading", { level: 1, name: `${w.people}: ${first}` }).waitFor();
      assert.equal(await page.locator("[data-test=mine]").count(), 0, "nothing left to answer");
    });
  });
}
