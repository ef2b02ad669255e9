// The sign-in form (the local server's development sign-in, or the identity provider's) and
// the account corner of the header.

import { email, redirectToSignIn, signInAs, signInKind } from "./auth.js";
import { field, filled, h, showProblem } from "./dom.js";
import { t } from "./i18n.js";

/** The sign-in form; `then` runs once signed in. `suggested` prefills the address. */
export function signInView({ then, suggested = "", returnTo = "/" }) {
  const kind = signInKind();
  if (kind === "oidc") {
    return h("section", { class: "card" },
      h("button", { type: "button", onclick: () => redirectToSignIn(returnTo) }, t("signInCognito")));
  }
  if (kind !== "dev") return h("p", { class: "notice" }, t("signInUnavailable"));
  const address = h("input", { type: "email", required: true, autocomplete: "email", value: suggested, maxlength: 254 });
  const name = h("input", { type: "text", autocomplete: "name", maxlength: 100 });
  const error = h("div");
  const form = h("form", {
    class: "card",
    novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      if (!filled(form, error)) return;
      try {
        await signInAs(address.value.trim(), name.value.trim());
        renderAccount();
        then();
      } catch (e) {
        showProblem(error, e);
      }
    },
  },
  h("p", { class: "muted" }, t("signInDev")),
  h("div", { class: "row" },
    field("sign-in-email", t("email"), address),
    field("sign-in-name", t("displayName"), name),
    h("button", { type: "submit" }, t("signInAs"))),
  error);
  return form;
}

export function renderAccount() {
  const address = email();
  document.getElementById("who").textContent = address ?? "";
  document.getElementById("who").title = address ? t("signedInAs", { email: address }) : "";
  document.getElementById("sign-out").hidden = !address;
}
