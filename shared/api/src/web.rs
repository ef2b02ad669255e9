//! The web console's files, built into the binary, so the local server and the `list` function
//! serve the same bytes from the same origin as the API (no CORS, no second deployment). The
//! app's pages are one document that routes by path (`/` the console, `/accept` the invitee's
//! page); `/config.json` says how to sign in where it is served, and the page's security policy
//! allows that sign-in and nothing else.

use http::{StatusCode, header};
use lambda_http::{Body, Response};
use serde::Serialize;

use crate::problem::Problem;

const INDEX: &str = include_str!("../../../web/index.html");

/// One of the console's JavaScript modules, by its name in `web/`.
macro_rules! script {
    ($name:literal) => {
        (
            $name,
            "text/javascript; charset=utf-8",
            include_str!(concat!("../../../web/", $name)),
        )
    };
}

/// The files under `/web/`, by name, with their media type.
const ASSETS: &[(&str, &str, &str)] = &[
    script!("app.js"),
    script!("accept.js"),
    script!("agents.js"),
    script!("api.js"),
    script!("auth.js"),
    script!("console.js"),
    script!("dom.js"),
    script!("i18n.js"),
    script!("invite.js"),
    script!("invited.js"),
    script!("lists.js"),
    script!("mine.js"),
    script!("signin.js"),
    script!("words.js"),
    (
        "style.css",
        "text/css; charset=utf-8",
        include_str!("../../../web/style.css"),
    ),
];

/// The console's document, for every page path, with the policy of a console that signs in
/// with `sign_in`.
pub fn page(sign_in: &SignIn) -> Response<Body> {
    file(
        "text/html; charset=utf-8",
        INDEX,
        &content_security_policy(sign_in),
    )
}

/// One of the app's files, or 404.
pub fn asset(name: Option<&str>) -> Result<Response<Body>, Problem> {
    ASSETS
        .iter()
        .find(|(file, _, _)| Some(*file) == name)
        .map(|(_, media_type, body)| {
            file(media_type, body, &content_security_policy(&SignIn::None))
        })
        .ok_or_else(|| Problem::not_found("no such file"))
}

/// Scripts, styles and requests from this origin only; the identity provider's origin is the one
/// other the app talks to (its token endpoint) or sends the browser to. Tokens travel in
/// fragments and bodies, and no page may frame this one.
pub fn content_security_policy(sign_in: &SignIn) -> String {
    let mut allowed = "'self'".to_owned();
    for origin in sign_in.origins() {
        allowed.push(' ');
        allowed.push_str(&origin);
    }
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         connect-src {allowed}; form-action {allowed}; frame-ancestors 'none'; \
         base-uri 'none'; object-src 'none'"
    )
}

fn file(media_type: &str, body: &'static str, policy: &str) -> Response<Body> {
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, media_type)
        .header(header::CONTENT_SECURITY_POLICY, policy)
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

    /// The origins the console talks to or sends the browser to when it signs in, besides its
    /// own: none for development tokens or no sign-in.
    pub fn origins(&self) -> Vec<String> {
        let mut origins = Vec::new();
        if let SignIn::Oidc {
            authorize, token, ..
        } = self
        {
            for origin in [authorize, token]
                .into_iter()
                .filter_map(|u| https_origin(u))
            {
                if !origins.contains(&origin) {
                    origins.push(origin);
                }
            }
        }
        origins
    }
}

/// The origin (`https://host[:port]`, in lower case) of an https URL whose host is a plain
/// name or address, or `None`: nothing else may reach a security policy.
pub fn https_origin(url: &str) -> Option<String> {
    let rest = url
        .get(..8)
        .filter(|scheme| scheme.eq_ignore_ascii_case("https://"))
        .map(|_| &url[8..])?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':');
    (!authority.is_empty() && authority.chars().all(plain))
        .then(|| format!("https://{}", authority.to_ascii_lowercase()))
}

#[derive(Serialize)]
struct Config<'a> {
    #[serde(rename = "signIn")]
    sign_in: &'a SignIn,
}

/// `/config.json`.
pub fn config(sign_in: &SignIn) -> Response<Body> {
    let body = serde_json::to_string(&Config { sign_in }).expect("the configuration serialises");
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .expect("a valid response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_https_origin_reaches_the_policy() {
        let cases = [
            (
                "https://acme.auth.us-east-1.amazoncognito.com/oauth2/token",
                Some("https://acme.auth.us-east-1.amazoncognito.com"),
            ),
            (
                "HTTPS://Auth.Example.com:8443",
                Some("https://auth.example.com:8443"),
            ),
            ("http://auth.example.com/oauth2/token", None),
            ("https://", None),
            ("https://a.example; script-src *", None),
            ("https://user@auth.example.com/", None),
            ("https://*.example.com/", None),
            ("auth.example.com", None),
        ];
        for (url, origin) in cases {
            assert_eq!(https_origin(url).as_deref(), origin, "{url}");
        }
    }

    #[test]
    fn the_policy_allows_the_sign_in_origin_and_no_other() {
        let cognito = SignIn::cognito("https://acme.auth.eu-west-1.amazoncognito.com/", "c");
        let policy = content_security_policy(&cognito);
        let allowed = "'self' https://acme.auth.eu-west-1.amazoncognito.com;";
        assert!(
            policy.contains(&format!("connect-src {allowed}")),
            "{policy}"
        );
        assert!(
            policy.contains(&format!("form-action {allowed}")),
            "{policy}"
        );
        for local in [SignIn::Dev, SignIn::None] {
            let policy = content_security_policy(&local);
            assert!(policy.contains("connect-src 'self';"), "{policy}");
            assert!(policy.contains("form-action 'self';"), "{policy}");
            assert!(!policy.contains("https:"), "{policy}");
        }
    }
}
