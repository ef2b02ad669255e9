// The word tables: both languages have every key with the same placeholders, and every word
// the modules ask for exists, so no Japanese page shows an English or a raw key.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, readdirSync } from "node:fs";
import { words } from "../words.js";

const placeholders = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test("English and Japanese have the same words with the same placeholders", () => {
  assert.deepEqual(Object.keys(words.ja).sort(), Object.keys(words.en).sort());
  for (const key of Object.keys(words.en)) {
    assert.deepEqual(placeholders(words.ja[key]), placeholders(words.en[key]), key);
  }
});

test("every word the console asks for exists", () => {
  const modules = readdirSync(new URL("..", import.meta.url)).filter((name) => name.endsWith(".js"));
  const asked = new Set();
  for (const name of modules) {
    const source = readFileSync(new URL(`../${name}`, import.meta.url), "utf8");
    for (const [, key] of source.matchAll(/\bt\("([\w.-]+)"/g)) asked.add(key);
    for (const [, key] of source.matchAll(/data-i18n(?:-label)?="([\w.-]+)"/g)) asked.add(key);
  }
  for (const [, key] of readFileSync(new URL("../index.html", import.meta.url), "utf8").matchAll(/data-i18n(?:-label)?="([\w.-]+)"/g)) asked.add(key);
  assert.ok(asked.size > 50, `found ${asked.size}`);
  assert.deepEqual([...asked].filter((key) => !(key in words.en)), []);
  // Words picked by a value: every value the API can answer has one.
  const families = {
    role: ["administrator", "manager", "associate", "inactive"],
    roleHelp: ["administrator", "manager", "associate", "inactive"],
    status: ["pending", "declined"],
    delivery: ["queued", "sent", "failed", "bounced", "complained"],
    outcome: ["invited", "resent", "already_agent", "invalid_email", "duplicate", "forbidden"],
    summary: ["invited", "resent", "already_agent", "invalid_email", "duplicate", "forbidden"],
  };
  for (const [family, values] of Object.entries(families)) {
    for (const value of values) assert.ok(`${family}.${value}` in words.en, `${family}.${value}`);
  }
});
