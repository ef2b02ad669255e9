// The language (from the browser unless the user picked one, kept in localStorage) and the
// formats of dates and times in it, in the reader's own time zone (`Intl`).

import { words } from "./words.js";

const stored = () => {
  try { return localStorage.getItem("language"); } catch { return null; }
};

export let language =
  stored() ?? ((navigator.languages ?? [navigator.language]).some((l) => l?.toLowerCase().startsWith("ja")) ? "ja" : "en");

export function setLanguage(next) {
  language = words[next] ? next : "en";
  try { localStorage.setItem("language", language); } catch { /* private mode: not kept */ }
  document.documentElement.lang = language;
  document.title = t("title");
}

/** The word for `key` in the current language, with `{name}` placeholders filled in. */
export function t(key, values = {}) {
  const text = words[language][key] ?? words.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(values[name] ?? ""));
}

export const has = (key) => key in words[language] || key in words.en;

/** The locale for `Intl`: the browser's own when it speaks the chosen language. */
function locale() {
  const preferred = (navigator.languages ?? [navigator.language]).find((l) => l?.toLowerCase().startsWith(language));
  return preferred ?? (language === "ja" ? "ja-JP" : "en-US");
}

/** A moment as the reader's locale writes it, in their time zone, with the zone named. */
export function when(iso) {
  return new Intl.DateTimeFormat(locale(), {
    year: "numeric", month: "short", day: "numeric", hour: "numeric", minute: "2-digit", timeZoneName: "short",
  }).format(new Date(iso));
}

/** A day, without the time. */
export function day(iso) {
  return new Intl.DateTimeFormat(locale(), { year: "numeric", month: "short", day: "numeric" }).format(new Date(iso));
}

/** How far from now: "in 30 days", "3 hours ago". */
export function relative(iso) {
  const seconds = (Date.parse(iso) - Date.now()) / 1000;
  const units = [["day", 86400], ["hour", 3600], ["minute", 60]];
  const [unit, size] = units.find(([, size]) => Math.abs(seconds) >= size) ?? ["minute", 60];
  return new Intl.RelativeTimeFormat(locale(), { numeric: "auto" }).format(Math.round(seconds / size), unit);
}

/** Fills every `data-i18n` element's text and `data-i18n-label` element's label below `root`. */
export function translate(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-label]")) element.setAttribute("aria-label", t(element.dataset.i18nLabel));
}
