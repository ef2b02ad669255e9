//! The web console's files, built into the binary, so the local server and the `list` function
//! serve the same bytes from the same origin as the API (no CORS, no second deployment). The
//! app's pages are one document that routes by path (`/` the console, `/accept` the invitee's
//! page); `/config.json` (how to sign in) is the host's to answer.

use http::{StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::problem::Problem;

const INDEX: &str = include_str!("../../../web/index.html");

/// The files under `/web/`, by name, with their media type.
const ASSETS: [(&str, &str, &str); 4] = [
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/app.js"),
    ),
    (
        "auth.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/auth.js"),
    ),
    (
        "i18n.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../web/i18n.js"),
    ),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/style.css"),
    ),
];

/// Scripts and styles from this origin only; the identity provider is the one other origin the
/// app talks to (its token endpoint) or sends the browser to. Tokens travel in fragments and
/// bodies, and no page may frame this one.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self' https:; form-action 'self' https:; \
     frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The console's document, for every page path.
pub fn page() -> Response<Body> {
    file("text/html; charset=utf-8", INDEX)
}

/// One of the app's files, or 404.
pub fn asset(name: Option<&str>) -> Result<Response<Body>, Problem> {
    ASSETS
        .iter()
        .find(|(file, _, _)| Some(*file) == name)
        .map(|(_, media_type, body)| file(media_type, body))
        .ok_or_else(|| Problem::not_found("no such file"))
}

fn file(media_type: &str, body: &'static str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, media_type)
        .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "no-referrer")
        .body(Body::Text(body.to_owned()))
        .expect("a valid response")
}

/// How the console signs people in, as `/config.json` says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SignIn {
    /// The local server's development tokens (`POST /dev/sign-in`).
    Dev,
    /// An OpenID Connect provider: authorization code with PKCE, then its ID token.
    Oidc {
        authorize: String,
        token: String,
        #[serde(rename = "clientId")]
        client_id: String,
        scope: String,
    },
    /// Not configured: the console can show public pages (the accept page's lookup and
    /// decline) and says sign-in is unavailable.
    None,
}

impl SignIn {
    /// The Cognito hosted UI at `domain` (`https://<prefix>.auth.<region>.amazoncognito.com`).
    pub fn cognito(domain: &str, client_id: &str) -> Self {
        let domain = domain.trim_end_matches('/');
        SignIn::Oidc {
            authorize: format!("{domain}/oauth2/authorize"),
            token: format!("{domain}/oauth2/token"),
            client_id: client_id.to_owned(),
            scope: "openid email profile".to_owned(),
        }
    }
}

#[derive(Serialize)]
struct Config<'a> {
    #[serde(rename = "signIn")]
    sign_in: &'a SignIn,
}

/// `/config.json`.
pub fn config(sign_in: &SignIn) -> Response<Body> {
    crate::handlers::json(StatusCode::OK, &Config { sign_in })
}
