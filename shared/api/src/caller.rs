//! The caller, as API Gateway's JWT authorizer describes them in the request context.

use domain::{Caller, address::EmailAddress, people::SignIn};
use http::StatusCode;
use lambda_http::{Request, RequestExt, request::RequestContext};

use crate::problem::Problem;

/// Reads `iss`, `sub`, `email`, `email_verified` and `name` from the authorizer's claims. In
/// AWS nothing else identifies a caller; the local server puts its own verified claims there.
/// The address must be verified by the identity provider: `email_verified` present and true.
pub fn caller(request: &Request) -> Result<Caller, Problem> {
    let claims = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .map(|jwt| &jwt.claims),
        _ => None,
    }
    .ok_or_else(|| Problem::unauthenticated("sign in: this route needs a bearer token"))?;
    let claim = |name: &str| claims.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
    let bounded = |name: &str, missing: &'static str| {
        claim(name)
            .filter(|value| value.chars().count() <= SignIn::MAX_CHARS)
            .ok_or_else(|| Problem::unauthenticated(missing))
    };
    let subject = bounded("sub", "the token names no subject")?;
    let issuer = bounded("iss", "the token names no issuer")?;
    let email = claim("email")
        .ok_or_else(|| Problem::unauthenticated("the token carries no email address"))?;
    let email = EmailAddress::parse(email)
        .map_err(|_| Problem::unauthenticated("the token's email address is not valid"))?;
    // Issuers that do not say the address is verified vouch for nothing about it.
    if claim("email_verified") != Some("true") {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "email-not-verified",
            "your email address is not verified with the identity provider: verify it, then sign in again",
        ));
    }
    Ok(Caller {
        sign_in: SignIn {
            issuer: issuer.to_owned(),
            subject: subject.to_owned(),
        },
        email,
        name: claim("name").map(str::to_owned),
    })
}
