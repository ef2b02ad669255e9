// The web console's start: the header, then the page for the path (`/accept` the invitee's
// page, anything else the console), on the HTTP API of the same origin. No framework: views
// that render from the API's answers, in modules by capability.

import { acceptPage } from "./accept.js";
import { completeSignIn, loadConfig, signOut } from "./auth.js";
import { consolePage } from "./console.js";
import { toast } from "./dom.js";
import { language, setLanguage, translate } from "./i18n.js";
import { renderAccount } from "./signin.js";

async function route() {
  translate();
  renderAccount();
  // A dialog of the page being replaced has nothing left to act on.
  for (const dialog of document.querySelectorAll("dialog")) dialog.close();
  if (location.pathname === "/accept") await acceptPage();
  else await consolePage();
}

async function start() {
  setLanguage(language);
  const picker = document.getElementById("language");
  picker.value = language;
  picker.addEventListener("change", () => {
    setLanguage(picker.value);
    route();
  });
  // Another link pasted into the same tab changes only the fragment.
  window.addEventListener("hashchange", route);
  document.getElementById("sign-out").addEventListener("click", () => {
    signOut();
    route();
  });
  await loadConfig();
  try {
    const returnTo = await completeSignIn();
    if (returnTo && returnTo !== "/") {
      location.assign(returnTo);
      return;
    }
  } catch (error) {
    toast(error.message, { error: true });
  }
  await route();
}

start();
