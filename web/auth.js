// Sign-in. The local server offers development tokens for any address (`POST /dev/sign-in`); a
// deployment signs in with its identity provider (the Cognito hosted UI: OpenID Connect
// authorization code with PKCE) and calls the API with the ID token, which carries the email.
// The token lives in sessionStorage: it goes when the tab closes.

import { api } from "./api.js";

const KEY = "id_token";

let config = { signIn: { kind: "none" } };

export async function loadConfig() {
  config = await api("GET", "/config.json");
  return config;
}

export const signInKind = () => config.signIn?.kind ?? "none";

export function token() {
  const value = sessionStorage.getItem(KEY);
  const claims = value && decode(value);
  // An expired token is dropped; the next call signs in again.
  if (!claims || (claims.exp && claims.exp * 1000 < Date.now())) {
    sessionStorage.removeItem(KEY);
    return null;
  }
  return value;
}

/** The signed-in address, from the token's claims. */
export function email() {
  const value = token();
  return value ? decode(value)?.email ?? null : null;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

function decode(jwt) {
  try {
    const part = jwt.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const json = decodeURIComponent(
      [...atob(part)].map((c) => "%" + c.charCodeAt(0).toString(16).padStart(2, "0")).join(""),
    );
    return JSON.parse(json);
  } catch {
    return null;
  }
}

/** Development sign-in, offered only by the local server. */
export async function signInAs(emailAddress, name) {
  const body = await api("POST", "/dev/sign-in", { email: emailAddress, name: name || undefined });
  sessionStorage.setItem(KEY, body.token);
}

// --- OpenID Connect, authorization code with PKCE ---------------------------------------------

const random = (bytes) => {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return base64url(values);
};

const base64url = (bytes) =>
  btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** Leaves for the identity provider; it comes back to `returnTo` (this origin) with a code. */
export async function redirectToSignIn(returnTo) {
  const { authorize, clientId, scope } = config.signIn;
  const verifier = random(32);
  const state = random(16);
  const challenge = base64url(
    new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem("pkce", JSON.stringify({ verifier, state, returnTo }));
  const url = new URL(authorize);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: clientId,
    redirect_uri: `${location.origin}/`,
    scope: scope ?? "openid email profile",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

/** On the way back from the identity provider: trades the code for tokens. Returns where to
 * go next, or null when this page load is not a sign-in's return. */
export async function completeSignIn() {
  const query = new URLSearchParams(location.search);
  const code = query.get("code");
  const pending = JSON.parse(sessionStorage.getItem("pkce") ?? "null");
  if (!code || !pending || query.get("state") !== pending.state) return null;
  sessionStorage.removeItem("pkce");
  const response = await fetch(config.signIn.token, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.signIn.clientId,
      code,
      redirect_uri: `${location.origin}/`,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error(`sign-in failed (${response.status})`);
  const tokens = await response.json();
  sessionStorage.setItem(KEY, tokens.id_token);
  // The code is single-use: drop it from the address bar.
  history.replaceState(null, "", "/");
  return pending.returnTo ?? "/";
}
