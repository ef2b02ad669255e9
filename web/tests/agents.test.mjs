// Agents managed after they join, in the console: each row's menu offers only what the
// signed-in agent may do, confirms in the page and answers in place; the last administrator
// stays; a manager cannot touch administrators; anyone may leave.

import { test } from "node:test";
import assert from "node:assert/strict";
import { WORDS, agentRow, apiAs, check, linkTo, openConsole, person, scene, step, tagged } from "./support.mjs";

const WORDS_HERE = {
  en: {
    changeRole: "Change role", deactivate: "Deactivate", remove: "Remove from workgroup", leave: "Leave workgroup",
    inactive: "Inactive", manager: "Manager", keep: "Keep", stay: "Stay", lastAdmin: "at least one administrator",
    adminsOnly: "Only administrators can change administrators.", left: (g) => `You left ${g}.`,
  },
  ja: {
    changeRole: "役割を変更", deactivate: "非アクティブにする", remove: "ワークグループから削除", leave: "ワークグループから退出",
    inactive: "非アクティブ", manager: "マネージャー", keep: "取り消さない", stay: "退出しない", lastAdmin: "管理者が 1 人以上必要です",
    adminsOnly: "管理者を変更できるのは管理者だけです。", left: (g) => `${g} から退出しました。`,
  },
};

/** Invites `address` as `role` and accepts as them through the API (they register as `name`). */
async function join(call, wgId, address, role, name) {
  const invited = await call("POST", `/workgroups/${wgId}/invitations`, { emails: [address], role });
  assert.equal(invited.status, 200);
  const token = new URLSearchParams(linkTo(address).split("#")[1]).get("token");
  const accepted = await (await apiAs(address, undefined, name))("POST", "/invitations/accept", { token, name });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
}

for (const [language, size] of [["en", "desktop"], ["ja", "phone"]]) {
  test(`agents are managed within the rules (${language}, ${size})`, async () => {
    const w = { ...WORDS[language], ...WORDS_HERE[language] };
    const tag = tagged(`agents-${language}-${size}`);
    const [ada, ann, bob] = ["ada", "ann", "bob"].map((who) => `${who}-${tag}@example.com`);
    const group = `Agents ${tag}`;
    const { id, call } = await scene(ada, group);
    await join(call, id, ann, "manager", "Ann Lee");
    await join(call, id, bob, "associate", "Bob Ito");
    const admin = await person(w.locale, size);
    await openConsole(admin, w, ada, group);
    const menuOf = (page, address) => page.getByRole("button", { name: w.actionsFor(address) });

    await step(`agents-${language}-${size}-change-role`, async () => {
      await menuOf(admin, bob).click();
      const items = await admin.locator("[role=menu]:popover-open [role=menuitem]").allTextContents();
      assert.deepEqual(items, [w.changeRole, w.deactivate, w.remove]);
      await check(admin, `agents-menu-${language}`);
      await admin.getByRole("menuitem", { name: w.changeRole }).click();
      const dialog = admin.getByRole("dialog");
      assert.equal((await dialog.locator("input[type=radio]").count()), 4, "an administrator may grant every role");
      await check(admin, `agents-change-role-${language}`);
      await dialog.locator("input[value=manager]").check();
      await dialog.locator("button[type=submit]").click();
      await admin.locator("[data-test=toast]").first().waitFor();
      assert.equal(await agentRow(admin, bob).locator("[data-test=role]").textContent(), w.manager);
      assert.equal(await admin.evaluate(() => document.activeElement.getAttribute("aria-label")), w.actionsFor(bob),
        "focus stays on the row");
    });

    await step(`agents-${language}-${size}-deactivate-and-remove`, async () => {
      await menuOf(admin, bob).click();
      await admin.getByRole("menuitem", { name: w.deactivate }).click();
      await admin.getByRole("dialog").getByRole("button", { name: w.deactivate }).click();
      await admin.waitForFunction(([address, role]) =>
        document.querySelector(`[data-test=agents] tr[data-email="${address}"] [data-test=role]`)?.textContent === role, [bob, w.inactive]);
      await menuOf(admin, bob).click();
      await admin.getByRole("menuitem", { name: w.remove }).click();
      await admin.getByRole("dialog").getByRole("button", { name: w.keep }).click();
      assert.equal(await agentRow(admin, bob).count(), 1, "Keep keeps the agent");
      await menuOf(admin, bob).click();
      await admin.getByRole("menuitem", { name: w.remove }).click();
      await check(admin, `agents-confirm-remove-${language}`);
      await admin.getByRole("dialog").getByRole("button", { name: w.remove }).click();
      await admin.locator("[data-test=toast]", { hasText: group }).waitFor();
      assert.equal(await agentRow(admin, bob).count(), 0);
      assert.equal(await admin.locator("[data-test=count-agents]").textContent(), "2");
    });

    await step(`agents-${language}-${size}-the-last-administrator-stays`, async () => {
      await menuOf(admin, ada).click();
      const items = await admin.locator("[role=menu]:popover-open [role=menuitem]").allTextContents();
      assert.deepEqual(items, [w.changeRole, w.deactivate, w.leave], "one's own row: change, deactivate, leave");
      await admin.getByRole("menuitem", { name: w.leave }).click();
      await admin.getByRole("dialog").getByRole("button", { name: w.leave }).click();
      const refusal = admin.locator("[data-test=toast].error");
      await refusal.waitFor();
      assert.match(await refusal.textContent(), new RegExp(w.lastAdmin));
      assert.equal(await agentRow(admin, ada).count(), 1, "nothing changed");
    });

    await step(`agents-${language}-${size}-a-manager-and-leaving`, async () => {
      const manager = await person(w.locale, size);
      await openConsole(manager, w, ann, group);
      assert.equal(await menuOf(manager, ada).count(), 0, "no menu on an administrator for a manager");
      assert.equal(await agentRow(manager, ada).locator("[data-test=admins-only]").textContent(), w.adminsOnly);
      await menuOf(manager, ann).click();
      await manager.getByRole("menuitem", { name: w.changeRole }).click();
      const roles = await manager.getByRole("dialog").locator("input[type=radio]").evaluateAll((r) => r.map((x) => x.value));
      assert.deepEqual(roles, ["manager", "associate", "inactive"], "a manager cannot grant administrator");
      await manager.keyboard.press("Escape");
      await menuOf(manager, ann).click();
      await manager.getByRole("menuitem", { name: w.leave }).click();
      await manager.getByRole("dialog").getByRole("button", { name: w.leave }).click();
      await manager.getByText(w.left(group)).waitFor();
      await admin.reload();
      await agentRow(admin, ada).waitFor();
      assert.equal(await agentRow(admin, ann).count(), 0, "Ann left");
    });
  });
}
