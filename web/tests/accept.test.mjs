// The accept page beyond the first registration: a registered agent joins a second workgroup
// in one click; a link that no longer works says what became of it as far as this browser saw
// (joined, declined, expired, cancelled or replaced), with a next step; someone signed in as
// another address is told so. On a desktop and on a phone, axe-core on every page.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WORDS, apiAs, check, linkTo, person, scene, signIn, startServer, step, tagged } from "./support.mjs";

const heading = (page) => page.getByRole("heading", { level: 1 });

const HERE = {
  en: {
    welcome: (g) => `Welcome to ${g}`, already: (g) => `You already joined ${g}`, declinedBefore: "You declined this invitation",
    replaced: "This invitation was cancelled or replaced", expired: "This invitation has expired", expiredOn: /expired on .*20\d\d/,
    wrong: (me, them) => `You are signed in as ${me}, but this invitation is for ${them}.`,
    noToken: "This page opens from the link in an invitation email.",
  },
  ja: {
    welcome: (g) => `${g} へようこそ`, already: (g) => `${g} には参加済みです`, declinedBefore: "この招待は拒否済みです",
    replaced: "この招待は取り消されたか置き換えられました", expired: "この招待は有効期限切れです", expiredOn: /20\d\d.*に期限が切れました/,
    wrong: (me, them) => `${me} でサインインしていますが、この招待は ${them} 宛てです。`,
    noToken: "このページは招待メールのリンクから開きます。",
  },
};

for (const [language, size] of [["en", "desktop"], ["ja", "phone"], ["ja", "desktop"], ["en", "phone"]]) {
  test(`a registered agent joins in one click; used links say what became of them (${language}, ${size})`, async () => {
    const w = { ...WORDS[language], ...HERE[language] };
    const tag = tagged(`accept-${language}-${size}`);
    const [ada, ann, bob, cat] = ["ada", "ann", "bob", "cat"].map((who) => `${who}-${tag}@example.com`);
    const first = `First ${tag}`;
    const second = `Second ${tag}`;
    await scene(ada, first, [["associate", [ann]]]);
    const annsApi = await apiAs(ann, undefined, "Ann Lee");
    const preview = await annsApi("POST", "/invitations/lookup", { token: new URLSearchParams(linkTo(ann).split("#")[1]).get("token") });
    assert.equal(preview.body.registration_needed, true);
    // Ann registers in the first workgroup through the API; the second invitation is the
    // seeds' case of a registered agent invited again.
    const accepted = await annsApi("POST", "/invitations/accept", { token: preview.body && new URLSearchParams(linkTo(ann).split("#")[1]).get("token"), name: "Ann Lee" });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    const { id: secondId, call: admin } = await scene(ada, second, [["manager", [ann, bob, cat]]]);
    const annsLink = linkTo(ann);
    const page = await person(w.locale, size);

    await step(`accept-${language}-${size}-one-click-join`, async () => {
      // Signed in before the link is opened: the seeds' registered agent invited again.
      await page.goto("/");
      await signIn(page, w, ann);
      await heading(page).waitFor();
      await page.goto(annsLink);
      await heading(page).waitFor();
      const join = page.getByRole("button", { name: w.join(second) });
      await join.waitFor();
      assert.equal(await page.getByLabel(w.displayName).count(), 0, "no name is asked of a registered agent");
      assert.doesNotMatch(await page.locator("main").textContent(), /null|undefined/);
      await check(page, `accept-one-click-${language}-${size}`);
      await join.click();
      await page.getByRole("heading", { name: w.welcome(second) }).waitFor();
    });

    await step(`accept-${language}-${size}-reopened-after-joining`, async () => {
      await page.goto("/");
      await page.goto(annsLink);
      await page.getByRole("heading", { name: w.already(second) }).waitFor();
      await check(page, `accept-already-joined-${language}`);
      await page.getByRole("link", { name: w.openConsole }).click();
      await page.getByRole("heading", { level: 1, name: `${w.people}: ${second}` }).waitFor();
    });

    await step(`accept-${language}-${size}-reopened-after-declining`, async () => {
      const bobs = await person(w.locale, size);
      const link = linkTo(bob);
      await bobs.goto(link);
      await bobs.getByRole("button", { name: w.decline, exact: true }).click();
      await bobs.getByRole("heading", { name: w.declinedTitle }).waitFor();
      await bobs.goto("/");
      await bobs.goto(link);
      await bobs.getByRole("heading", { name: w.declinedBefore }).waitFor();
      await check(bobs, `accept-declined-before-${language}`);
    });

    await step(`accept-${language}-${size}-replaced-or-cancelled`, async () => {
      const cats = await person(w.locale, size);
      const link = linkTo(cat);
      await cats.goto(link);
      await heading(cats).waitFor();
      const listed = await admin("GET", `/workgroups/${secondId}/invitations`);
      const invitation = listed.body.items.find((i) => i.email === cat);
      assert.equal((await admin("POST", `/workgroups/${secondId}/invitations/${invitation.id}/resend`)).status, 200);
      await cats.goto("/");
      await cats.goto(link);
      await cats.getByRole("heading", { name: w.replaced }).waitFor();
      await cats.getByText(second, { exact: false }).first().waitFor();
      await check(cats, `accept-replaced-${language}`);
    });

    await step(`accept-${language}-${size}-another-address-signed-in`, async () => {
      const dee = `dee-${tag}@example.com`;
      await admin("POST", `/workgroups/${secondId}/invitations`, { emails: [dee], role: "associate" });
      await page.goto(linkTo(dee));
      await page.getByText(w.wrong(ann, dee)).waitFor();
      await check(page, `accept-wrong-address-${language}`);
    });

    await step(`accept-${language}-${size}-never-seen-here`, async () => {
      const stranger = await person(w.locale, size);
      await stranger.goto("/accept#token=not-a-real-token");
      await stranger.getByRole("heading", { name: w.deadTitle }).waitFor();
      await stranger.getByRole("link", { name: w.openConsole }).waitFor();
      await check(stranger, `accept-unknown-${language}`);
      await stranger.goto("/accept");
      await stranger.getByText(w.noToken).waitFor();
    });
  });
}

for (const [language, size] of [["en", "desktop"], ["ja", "phone"]]) test(`an expired link says it expired, and when (${language}, ${size})`, async () => {
  const w = { ...WORDS[language], ...HERE[language] };
  const tag = tagged(`expired-${language}-${size}`);
  const data = mkdtempSync(join(tmpdir(), "expired-"));
  const monthAgo = new Date(Date.now() - 31 * 86_400_000).toISOString();
  // A server whose clock reads a month ago sends the invitation; the same data on today's
  // clock finds it expired. The browser keeps its origin: the second server takes the port.
  const then = await startServer({ dataDir: data, args: ["--now", monthAgo] });
  const ada = `ada-${tag}@example.com`;
  const eve = `eve-${tag}@example.com`;
  await scene(ada, `Expiring ${tag}`, [["associate", [eve]]], then.base);
  const link = linkTo(eve, data);
  const page = await person(w.locale, size, { base: then.base });
  await step(`expired-${language}-${size}`, async () => {
    await page.goto(link);
    await page.getByRole("heading", { name: w.acceptTitle }).waitFor();
    await then.stop();
    const now = await startServer({ dataDir: data, addr: then.base.replace("http://", "") });
    assert.equal(now.base, then.base);
    await page.goto("/");
    await page.goto(link);
    await page.getByRole("heading", { name: w.expired }).waitFor();
    assert.match(await page.locator("main").textContent(), w.expiredOn);
    await check(page, `accept-expired-${language}`);
    await now.stop();
  });
});
