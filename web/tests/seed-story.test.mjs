// The seed story in a real browser, in English and in Japanese: Playwright driving the system's
// Chromium against a local server the Rust test started (BASE_URL), reading accept links from
// the server's outbox with its `link` command (LOCAL_BIN, LOCAL_DATA_DIR). A failed step saves a
// screenshot of every open page to SCREENSHOTS.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.BASE_URL;
const SHOTS = process.env.SCREENSHOTS ?? "screenshots";
let browser;
const pages = new Set();
/** Script errors and policy violations on any page: none may happen. */
const problems = [];

before(async () => {
  assert.ok(BASE, "BASE_URL is set by the Rust test that starts the server");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
});

/** A browser of its own (cookies, storage) for one person, in `locale`. */
async function person(locale) {
  const context = await browser.newContext({ locale, baseURL: BASE });
  const page = await context.newPage();
  page.on("dialog", (dialog) => dialog.accept());
  page.on("pageerror", (error) => problems.push(`${page.url()}: ${error.message}`));
  page.on("console", (message) => {
    // A refused request (a dead link's 404) is logged by the browser too; that is expected.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.push(`${page.url()}: ${message.text()}`);
    }
  });
  pages.add(page);
  return page;
}

/** Runs `body`; on failure, screenshots every page before failing. */
async function step(name, body) {
  try {
    await body();
  } catch (error) {
    mkdirSync(SHOTS, { recursive: true });
    let n = 0;
    for (const page of pages) {
      if (!page.isClosed()) await page.screenshot({ path: join(SHOTS, `${name}-${n++}.png`), fullPage: true });
    }
    throw new Error(`step "${name}" failed (screenshots in ${SHOTS}): ${error.message}`, { cause: error });
  }
}

/** The newest accept link emailed to `to`, as the server's outbox holds it. */
function linkTo(to) {
  return execFileSync(process.env.LOCAL_BIN, ["link", "--to", to], {
    env: { ...process.env, LOCAL_DATA_DIR: process.env.LOCAL_DATA_DIR },
    encoding: "utf8",
  }).trim();
}

const WORDS = {
  en: {
    locale: "en-US", signInAs: "Sign in as", email: "Email address", displayName: "Display name",
    workgroupName: "Workgroup name", createWorkgroup: "Create workgroup", people: "People",
    inviteAgents: "Invite Agents", role: "Role", addresses: "Email addresses", invite: "Invite",
    agents: "Agents", invited: "Invited", pending: "Pending", declined: "Declined", manager: "Manager",
    administrator: "Administrator", invitedOutcome: "invited", accept: "Accept and join", decline: "Decline",
    joined: "Welcome to", declinedTitle: "Invitation declined", actionsFor: (e) => `Actions for ${e}`,
    resend: "Resend Invitation", cancel: "Cancel Invitation", noInvitations: "No pending or declined invitations.",
    deadTitle: "This link no longer works", acceptTitle: "You are invited",
  },
  ja: {
    locale: "ja-JP", signInAs: "このアドレスでサインイン", email: "メール アドレス", displayName: "表示名",
    workgroupName: "ワークグループ名", createWorkgroup: "ワークグループの作成", people: "人 (People)",
    inviteAgents: "エージェントの招待", role: "役割", addresses: "メール アドレス", invite: "招待",
    agents: "エージェント", invited: "招待済み", pending: "保留中", declined: "拒否", manager: "マネージャー",
    administrator: "管理者", invitedOutcome: "招待しました", accept: "承認して参加", decline: "拒否",
    joined: "へようこそ", declinedTitle: "招待を拒否しました", actionsFor: (e) => `${e} の操作`,
    resend: "招待の再送信", cancel: "招待の取り消し", noInvitations: "保留中または拒否された招待はありません。",
    deadTitle: "このリンクは使えません", acceptTitle: "招待が届いています",
  },
};

/** Signs in on the development form. */
async function signIn(page, w, address, name) {
  const email = page.getByLabel(w.email, { exact: true });
  await email.fill(address);
  if (name) await page.getByLabel(w.displayName, { exact: true }).first().fill(name);
  await page.getByRole("button", { name: w.signInAs }).click();
}

const invitedRow = (page, address) => page.locator(`[data-test=invited] tr[data-email="${address}"]`);

for (const language of ["en", "ja"]) {
  test(`the seed story in the browser (${language})`, async () => {
    const w = WORDS[language];
    const tag = `${language}-${Date.now()}`;
    const ada = `ada-${tag}@example.com`;
    const ann = `ann-${tag}@example.com`;
    const bob = `bob-${tag}@example.com`;
    const group = `Acme IT ${tag}`;
    const admin = await person(w.locale);

    await step(`${language}-sign-in-and-create`, async () => {
      await admin.goto("/");
      await signIn(admin, w, ada, "Ada Admin");
      await admin.getByLabel(w.workgroupName).fill(group);
      await admin.getByRole("button", { name: w.createWorkgroup }).click();
      await admin.getByRole("heading", { level: 1, name: `${w.people}: ${group}` }).waitFor();
    });

    await step(`${language}-invite`, async () => {
      await admin.getByRole("button", { name: w.inviteAgents }).click();
      const roles = await admin.getByLabel(w.role, { exact: true }).locator("option").allTextContents();
      assert.deepEqual(roles.length, 4, "an administrator may grant every role");
      await admin.getByLabel(w.role, { exact: true }).selectOption("manager");
      // Pasted as two lines, one with a comma-separated pair would do too.
      await admin.getByLabel(w.addresses).fill(`${ann},\n${bob}`);
      await admin.getByRole("button", { name: w.invite, exact: true }).click();
      const results = admin.locator("[data-test=results] li");
      await results.nth(1).waitFor();
      assert.deepEqual(await results.evaluateAll((items) => items.map((i) => i.dataset.outcome)), ["invited", "invited"]);
      assert.match(await results.first().textContent(), new RegExp(w.invitedOutcome));
    });

    await step(`${language}-pending-with-expiry`, async () => {
      for (const address of [ann, bob]) {
        const row = invitedRow(admin, address);
        await row.waitFor();
        assert.equal(await row.locator("[data-test=status]").textContent(), w.pending);
        const expires = await row.locator("time").getAttribute("datetime");
        const days = (Date.parse(expires) - Date.now()) / 86_400_000;
        assert.ok(days > 29.9 && days <= 30, `expires in 30 days: ${expires}`);
        assert.match(await row.textContent(), new RegExp(w.manager));
        // Queued when invited; the row turns to sent once the sender hands it over, without
        // a reload.
        await row.locator("[data-test=delivery][data-delivery=sent]").waitFor({ timeout: 15_000 });
      }
    });

    let annPage;
    await step(`${language}-ann-accepts`, async () => {
      const page = await person(w.locale);
      annPage = page;
      await page.goto(linkTo(ann));
      await page.getByRole("heading", { name: w.acceptTitle }).waitFor();
      assert.equal(await page.locator("[data-test=workgroup]").textContent(), group);
      // The development sign-in offers the invited address.
      assert.equal(await page.getByLabel(w.email, { exact: true }).inputValue(), ann);
      await page.getByRole("button", { name: w.signInAs }).click();
      // Signed in, the sign-in form gives way to the acceptance (with its own name field).
      await page.getByRole("button", { name: w.accept }).waitFor();
      await page.getByLabel(w.displayName).fill("Ann Lee");
      await page.getByRole("button", { name: w.accept }).click();
      await page.getByRole("heading", { name: new RegExp(w.joined) }).waitFor();
    });

    let bobsFirstLink;
    await step(`${language}-bob-declines`, async () => {
      const page = await person(w.locale);
      bobsFirstLink = linkTo(bob);
      await page.goto(bobsFirstLink);
      await page.getByRole("button", { name: w.decline, exact: true }).click();
      await page.getByRole("heading", { name: w.declinedTitle }).waitFor();
    });

    await step(`${language}-declined-marked`, async () => {
      await admin.reload();
      await admin.getByRole("tab", { name: w.invited }).click();
      const row = invitedRow(admin, bob);
      await row.waitFor();
      assert.equal(await row.locator("[data-test=status]").textContent(), w.declined);
      assert.ok(await row.locator(".badge.declined").count(), "declined is marked as such");
      assert.equal(await invitedRow(admin, ann).count(), 0, "ann accepted: no longer invited");
    });

    await step(`${language}-resend-by-keyboard`, async () => {
      const menu = admin.getByRole("button", { name: w.actionsFor(bob) });
      await menu.focus();
      await admin.keyboard.press("Enter");
      await admin.getByRole("menuitem", { name: w.resend }).waitFor();
      assert.equal(await admin.evaluate(() => document.activeElement.textContent), w.resend);
      await admin.keyboard.press("Enter");
      await admin.waitForFunction(
        ([address, pending]) =>
          document.querySelector(`[data-test=invited] tr[data-email="${address}"] [data-test=status]`)?.textContent === pending,
        [bob, w.pending],
      );
      assert.notEqual(linkTo(bob), bobsFirstLink, "a new email with a new link");
      const dead = await person(w.locale);
      await dead.goto(bobsFirstLink);
      await dead.getByRole("heading", { name: w.deadTitle }).waitFor();
    });

    await step(`${language}-cancel`, async () => {
      await admin.getByRole("button", { name: w.actionsFor(bob) }).click();
      await admin.getByRole("menuitem", { name: w.cancel }).click();
      await admin.getByText(w.noInvitations).waitFor();
    });

    await step(`${language}-agents`, async () => {
      await admin.getByRole("tab", { name: w.agents }).click();
      const rows = admin.locator("[data-test=agents] tbody tr");
      await rows.nth(1).waitFor();
      const text = await rows.allTextContents();
      assert.equal(text.length, 2);
      assert.ok(text.some((r) => r.includes("Ada Admin") && r.includes(w.administrator)), text.join(" | "));
      assert.ok(text.some((r) => r.includes("Ann Lee") && r.includes(ann) && r.includes(w.manager)), text.join(" | "));
    });

    await step(`${language}-a-manager-acts-only-where-allowed`, async () => {
      const boss = `boss-${tag}@example.com`;
      const dee = `dee-${tag}@example.com`;
      for (const [address, role] of [[boss, "administrator"], [dee, "associate"]]) {
        await admin.getByRole("button", { name: w.inviteAgents }).click();
        await admin.getByLabel(w.role, { exact: true }).selectOption(role);
        await admin.getByLabel(w.addresses).fill(address);
        await admin.getByRole("button", { name: w.invite, exact: true }).click();
        await admin.locator("[data-test=results] li[data-outcome=invited]", { hasText: address }).waitFor();
      }
      // Ann, now a manager, opens the console from her welcome page.
      await annPage.locator("#open-console").click();
      await annPage.getByRole("heading", { level: 1, name: `${w.people}: ${group}` }).waitFor();
      await annPage.getByRole("tab", { name: w.invited }).click();
      await invitedRow(annPage, dee).waitFor();
      assert.equal(await annPage.getByRole("button", { name: w.actionsFor(boss) }).count(), 0,
        "no menu on an administrator invitation for a manager");
      assert.equal(await annPage.getByRole("button", { name: w.actionsFor(dee) }).count(), 1);
      await annPage.getByRole("button", { name: w.inviteAgents }).click();
      const roles = await annPage.getByLabel(w.role, { exact: true }).locator("option").evaluateAll((o) => o.map((x) => x.value));
      assert.deepEqual(roles, ["manager", "associate", "inactive"], "a manager cannot grant administrator");
    });
  });
}

test("the language follows the browser and can be switched", async () => {
  const page = await person("ja-JP");
  await page.goto("/");
  await page.getByRole("button", { name: WORDS.ja.signInAs }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "ja");
  await page.getByLabel("言語").selectOption("en");
  await page.getByRole("button", { name: WORDS.en.signInAs }).waitFor();
  await page.reload();
  await page.getByRole("button", { name: WORDS.en.signInAs }).waitFor();
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
});

test("an accept page without a token, or with a dead one, says what to do", async () => {
  const page = await person("en-US");
  await page.goto("/accept");
  await page.getByText("This page opens from the link in an invitation email.").waitFor();
  await page.goto("/accept#token=not-a-real-token");
  await page.getByRole("heading", { name: WORDS.en.deadTitle }).waitFor();
  await page.getByText("Ask the person who invited you").waitFor();
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

test("no page raised a script error or broke its content security policy", () => {
  assert.deepEqual(problems, []);
});
