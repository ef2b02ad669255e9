// Refusals in the reader's language, by problem type, with times in their own time zone and
// what to do next; a retry when the server cannot be reached.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WORDS, check, openConsole, person, scene, startServer, step, tagged } from "./support.mjs";

const EXPECTED = {
  // UTC midnight, in Tokyo: 9 in the morning.
  en: { limit: "The daily invitation limit is reached. It resets", morning: /9:00\s?AM/ },
  ja: { limit: "1 日の招待の上限に達しました。", morning: /9:00/ },
};

for (const [language, size] of [["en", "desktop"], ["ja", "phone"]]) {
  test(`a daily limit is explained in ${language}, with its reset in local time (${size})`, async () => {
    const w = WORDS[language];
    const tag = tagged(`limits-${language}`);
    const data = mkdtempSync(join(tmpdir(), "limits-"));
    const server = await startServer({ dataDir: data, env: { INVITE_DAILY_LIMIT: "1" } });
    const ada = `ada-${tag}@example.com`;
    const group = `Limits ${tag}`;
    await scene(ada, group, [], server.base);
    const page = await person(w.locale, size, { base: server.base, timezoneId: "Asia/Tokyo" });
    await step(`limits-${language}`, async () => {
      await openConsole(page, w, ada, group);
      await page.getByRole("button", { name: w.inviteAgents }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel(w.addresses).fill(`a-${tag}@example.com b-${tag}@example.com `);
      await dialog.locator("#send-invites").click();
      const problem = dialog.locator("[data-test=problem]");
      await problem.waitFor();
      const text = await problem.textContent();
      assert.ok(text.includes(EXPECTED[language].limit), text);
      assert.match(text, EXPECTED[language].morning, "the reset in the reader's time zone");
      assert.doesNotMatch(text, /T00:00:00Z|starts over|daily limit of/, "not the server's raw sentence");
      assert.equal((await dialog.locator("[data-test=chip]").count()), 2, "nothing typed is lost");
      await check(page, `limit-${language}`);
    });
    await server.stop();
  });
}

const OFFLINE = { en: /cannot be reached/, ja: /サーバーに接続できません/ };

for (const [language, size] of [["ja", "desktop"], ["en", "phone"]]) test(`an unreachable server offers a retry that works (${language}, ${size})`, async () => {
  const w = WORDS[language];
  const tag = tagged(`offline-${language}-${size}`);
  const ada = `ada-${tag}@example.com`;
  const group = `Offline ${tag}`;
  await scene(ada, group);
  const page = await person(w.locale, size);
  await step(`offline-${language}-${size}`, async () => {
    await page.goto("/");
    await page.getByRole("button", { name: w.signInAs }).waitFor();
    await page.route("**/workgroups", (route) => route.abort("connectionrefused"));
    await page.getByLabel(w.email, { exact: true }).fill(ada);
    await page.getByRole("button", { name: w.signInAs }).click();
    const problem = page.locator("[data-test=problem]");
    await problem.waitFor();
    assert.match(await problem.textContent(), OFFLINE[language]);
    await check(page, `offline-${language}`);
    await page.unroute("**/workgroups");
    await problem.getByRole("button", { name: w.retry }).click();
    await page.getByRole("heading", { level: 1, name: `${w.people}: ${group}` }).waitFor();
  });
});
