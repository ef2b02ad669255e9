// What every browser test shares: Playwright driving the system's Chromium against a local
// server (BASE_URL, started by the Rust test; LOCAL_BIN starts others where a test needs its
// own clock or limits), people with browsers of their own at desktop or phone size, axe-core
// on every page with a screenshot of it, and a record of anything that must never happen: a
// script error, a broken content security policy, a native dialog.

import { after, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

export const BASE = process.env.BASE_URL;
const SHOTS = process.env.SCREENSHOTS ?? "screenshots";
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export const SIZES = {
  desktop: { width: 1366, height: 768 },
  phone: { width: 390, height: 844 },
};

let browser;
const pages = new Set();
const servers = new Set();
/** Script errors, policy violations and native dialogs on any page: none may happen. */
export const problems = [];

before(async () => {
  assert.ok(BASE, "BASE_URL is set by the Rust test that starts the server");
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
  for (const server of servers) server.kill();
  assert.deepEqual(problems, [], "no script error, policy violation or native dialog");
});

/** A browser of its own (cookies, storage) for one person, in `locale`, at `size`. */
export async function person(locale, size = "desktop", { base = BASE, timezoneId } = {}) {
  const context = await browser.newContext({ locale, baseURL: base, viewport: SIZES[size], timezoneId });
  const page = await context.newPage();
  page.size = size;
  page.on("dialog", (dialog) => {
    problems.push(`${page.url()}: a native ${dialog.type()} dialog opened: ${dialog.message()}`);
    dialog.dismiss();
  });
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

const shot = (name) => join(SHOTS, `${name.replace(/[^\w.-]+/g, "-")}.png`);

/** Runs axe-core (WCAG 2 A and AA) on the page as it is, fails on any violation, and saves a
 * screenshot as `name`. */
export async function check(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  assert.deepEqual(await overflow(page), [], `${name} fits a ${page.size} screen`);
  await page.screenshot({ path: shot(`${name}-${page.size}`), fullPage: true });
  // Evaluated through the debugging protocol, which the page's policy does not govern.
  const violations = await page.evaluate(async (source) => {
    if (!window.axe) (0, eval)(source);
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } });
    return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join("; ")})`);
  }, AXE);
  assert.deepEqual(violations, [], `axe on ${name} at ${page.size}`);
}

/** What sticks out of the screen: page-wide horizontal overflow, header parts outside the
 * header, visible buttons and open dialogs beyond the screen's edges. */
export const overflow = (page) =>
  page.evaluate(() => {
    const found = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width) {
      const widest = [...document.querySelectorAll("body *")].filter((e) => e.getBoundingClientRect().right > width + 1);
      found.push(`page is ${document.documentElement.scrollWidth}px wide: ${widest.map((e) => e.outerHTML.slice(0, 60)).join(" | ")}`);
    }
    const bar = document.querySelector("header").getBoundingClientRect();
    for (const part of document.querySelectorAll("header *")) {
      const box = part.getBoundingClientRect();
      if (box.width && (box.left < bar.left - 1 || box.right > bar.right + 1 || box.bottom > bar.bottom + 1)) {
        found.push(`header part outside the bar: ${part.outerHTML.slice(0, 80)}`);
      }
    }
    for (const element of document.querySelectorAll("main button, dialog[open], dialog[open] button")) {
      const box = element.getBoundingClientRect();
      if (box.width && (box.left < 0 || box.right > width)) found.push(`off-screen: ${element.outerHTML.slice(0, 80)}`);
    }
    return found;
  });

/** Runs `body`; on failure, screenshots every page before failing. A native dialog, script
 * error or policy violation during the step fails it too. */
export async function step(name, body) {
  try {
    const before = problems.length;
    await body();
    assert.deepEqual(problems.slice(before), [], "no native dialog, script error or policy violation");
  } catch (error) {
    mkdirSync(SHOTS, { recursive: true });
    let n = 0;
    for (const page of pages) {
      if (!page.isClosed()) await page.screenshot({ path: shot(`failed-${name}-${n++}`), fullPage: true }).catch(() => {});
    }
    throw new Error(`step "${name}" failed (screenshots in ${SHOTS}): ${error.message}`, { cause: error });
  }
}

/** The newest accept link emailed to `to`, as a server's outbox holds it: its path and
 * fragment, which a person's page opens on its own origin. */
export function linkTo(to, dataDir = process.env.LOCAL_DATA_DIR) {
  const link = new URL(execFileSync(process.env.LOCAL_BIN, ["link", "--to", to], {
    env: { ...process.env, LOCAL_DATA_DIR: dataDir },
    encoding: "utf8",
  }).trim());
  assert.match(link.hash, /^#token=/, "the token travels in the fragment");
  return `${link.pathname}${link.hash}`;
}

/** Another local server on `dataDir`, with its own `env` and `args` (a shifted clock, small
 * limits); `addr` reuses a port, so a browser keeps its origin across a restart. */
export async function startServer({ dataDir, env = {}, args = [], addr = "127.0.0.1:0" }) {
  const child = spawn(process.env.LOCAL_BIN, ["serve", "--addr", addr, ...args], {
    env: { ...process.env, LOCAL_DATA_DIR: dataDir, RUST_LOG: "warn", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  servers.add(child);
  const base = await new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`the server stopped (${code})`)));
    createInterface({ input: child.stdout }).on("line", (line) => {
      if (line.startsWith("listening on ")) resolve(line.slice("listening on ".length).trim());
    });
  });
  return {
    base,
    stop: () => new Promise((resolve) => { child.once("exit", resolve); child.kill(); servers.delete(child); }),
  };
}

export const WORDS = {
  en: {
    locale: "en-US", signInAs: "Sign in as", email: "Email address", displayName: "Display name",
    workgroupName: "Workgroup name", newWorkgroup: "New workgroup", create: "Create", people: "People",
    inviteAgents: "Invite Agents", role: "Role", addresses: "Email addresses", invite: "Invite",
    agents: "Agents", invited: "Invited", pending: "Pending", declined: "Declined", manager: "Manager",
    administrator: "Administrator", accept: "Accept and join", join: (g) => `Join ${g}`, decline: "Decline",
    joined: "Welcome to", declinedTitle: "Invitation declined", actionsFor: (e) => `Actions for ${e}`,
    resend: "Resend invitation", cancel: "Cancel invitation", keep: "Keep", noInvitations: "No pending or declined invitations.",
    deadTitle: "This link no longer works", acceptTitle: "You are invited", close: "Close", retry: "Try again",
    resent: (e) => `Invitation resent to ${e}.`, cancelled: (e) => `Invitation to ${e} cancelled.`,
    openConsole: "Open the console", workgroup: "Workgroup", language: "Language",
  },
  ja: {
    locale: "ja-JP", signInAs: "このアドレスでサインイン", email: "メール アドレス", displayName: "表示名",
    workgroupName: "ワークグループ名", newWorkgroup: "新しいワークグループ", create: "作成", people: "メンバー",
    inviteAgents: "エージェントの招待", role: "役割", addresses: "メール アドレス", invite: "招待",
    agents: "エージェント", invited: "招待中", pending: "保留中", declined: "拒否", manager: "マネージャー",
    administrator: "管理者", accept: "承認して参加", join: (g) => `${g} に参加`, decline: "拒否",
    joined: "へようこそ", declinedTitle: "招待を拒否しました", actionsFor: (e) => `${e} の操作`,
    resend: "招待を再送信", cancel: "招待を取り消す", keep: "取り消さない", noInvitations: "保留中または拒否された招待はありません。",
    deadTitle: "このリンクは使えません", acceptTitle: "招待が届いています", close: "閉じる", retry: "再試行",
    resent: (e) => `${e} に招待を再送信しました。`, cancelled: (e) => `${e} への招待を取り消しました。`,
    openConsole: "コンソールを開く", workgroup: "ワークグループ", language: "言語",
  },
};

/** Signs in on the development form. */
export async function signIn(page, w, address, name) {
  await page.getByLabel(w.email, { exact: true }).fill(address);
  if (name) await page.getByLabel(w.displayName, { exact: true }).first().fill(name);
  await page.getByRole("button", { name: w.signInAs }).click();
}

/** Creates a workgroup from the header's button and waits for its People page. */
export async function createWorkgroup(page, w, name, checkAs) {
  await page.getByRole("button", { name: w.newWorkgroup }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel(w.workgroupName).fill(name);
  if (checkAs) await check(page, checkAs);
  await dialog.getByRole("button", { name: w.create, exact: true }).click();
  await page.getByRole("heading", { level: 1, name: `${w.people}: ${name}` }).waitFor();
}

/** Invites `addresses` (pasted as one text) as `role` through the dialog; the results' outcomes. */
export async function invite(page, w, role, addresses) {
  await page.getByRole("button", { name: w.inviteAgents }).click();
  const dialog = page.getByRole("dialog");
  await dialog.locator(`input[type=radio][value=${role}]`).check();
  await dialog.getByLabel(w.addresses).fill(addresses.join(", ") + " ");
  await dialog.locator("#send-invites").click();
  await dialog.locator("[data-test=summary]:not([hidden])").waitFor();
  const outcomes = await dialog.locator("[data-test=results] li").evaluateAll((items) =>
    Object.fromEntries(items.map((i) => [i.dataset.outcome, Number(i.dataset.count)])));
  await dialog.getByRole("button", { name: w.close }).click();
  await dialog.waitFor({ state: "detached" });
  return outcomes;
}

export const invitedRow = (page, address) => page.locator(`[data-test=invited] tr[data-email="${address}"]`);
export const agentRow = (page, address) => page.locator(`[data-test=agents] tr[data-email="${address}"]`);

/** A fresh, unique tag for one test's addresses and names. */
export const tagged = (prefix) => `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** The API as `address`, with a development token from `base`: for setting a scene quickly. */
export async function apiAs(address, base = BASE, name = undefined) {
  const signIn = await fetch(`${base}/dev/sign-in`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: address, name }),
  });
  assert.equal(signIn.status, 200, "development sign-in");
  const { token } = await signIn.json();
  return async (method, path, body) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

/** A workgroup of `admin`'s with `invitations` (`[role, [addresses]]`) sent; its id. */
export async function scene(admin, workgroup, invitations = [], base = BASE) {
  const call = await apiAs(admin, base, "Ada Admin");
  const made = await call("POST", "/workgroups", { name: workgroup });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  for (const [role, emails] of invitations) {
    const invited = await call("POST", `/workgroups/${made.body.id}/invitations`, { emails, role });
    assert.equal(invited.status, 200, JSON.stringify(invited.body));
  }
  return { id: made.body.id, call };
}

/** Opens the console signed in as `address` on `workgroup`'s People page. */
export async function openConsole(page, w, address, workgroup) {
  await page.goto("/");
  await signIn(page, w, address);
  const picker = page.getByLabel(w.workgroup, { exact: true });
  await picker.waitFor();
  await picker.selectOption({ label: workgroup });
  await page.getByRole("heading", { level: 1, name: `${w.people}: ${workgroup}` }).waitFor();
}
