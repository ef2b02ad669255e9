// The web console's start: the header, then the page for the path (`/accept` the invitee's
// page, anything else the console), on the HTTP API of the same origin. No framework: views
// that render from the API's answers, in modules by capability.

import { acceptPage } from "./accept.js";
import { completeSignIn, loadConfig, signOut } from "./auth.js";
import { consolePage } from "./console.js";
import { h, problem, show } from "./dom.js";
import { language, setLanguage, t, translate } from "./i18n.js";
import { renderAccount } from "./signin.js";

async function route({ keepFocus = false } = {}) {
  translate();
  renderAccount();
  // A dialog of the page being replaced has nothing left to act on.
  for (const dialog of document.querySelectorAll("dialog")) dialog.close();
  if (location.pathname === "/accept") await acceptPage();
  else await consolePage({ keepFocus });
}

async function start() {
  setLanguage(language);
  const picker = document.getElementById("language");
  picker.value = language;
  picker.addEventListener("change", () => {
    setLanguage(picker.value);
    // The picker keeps focus: a keyboard user may be stepping through the languages.
    route({ keepFocus: true });
  });
  // Another invitation link pasted into the same tab changes only the fragment.
  window.addEventListener("hashchange", () => {
    if (location.hash.includes("token=")) route();
  });
  // The skip link moves focus without touching the fragment, which holds an invitation's token.
  document.querySelector(".skip").addEventListener("click", (event) => {
    event.preventDefault();
    document.getElementById("main").focus();
  });
  document.getElementById("sign-out").addEventListener("click", () => {
    signOut();
    route();
  });
  await begin();
}

/** Reads how to sign in, completes a sign-in coming back, then shows the page; a failure is
 * shown with a retry. */
async function begin() {
  try {
    await loadConfig();
    const returnTo = await completeSignIn();
    if (returnTo && returnTo !== "/") {
      location.assign(returnTo);
      return;
    }
  } catch (error) {
    show(h("h1", {}, t("brand")), problem(error, { retry: begin }));
    return;
  }
  await route();
}

start();
