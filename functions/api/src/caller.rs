//! The caller, as API Gateway's JWT authorizer describes them in the request context.

use lambda_http::{Request, RequestExt, request::RequestContext};
use shared::{Caller, address::EmailAddress};

use crate::problem::Problem;

/// Reads `sub`, `email`, `email_verified` and `name` from the authorizer's claims. In AWS
/// nothing else identifies a caller; the local server puts its own verified claims there.
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
    let subject =
        claim("sub").ok_or_else(|| Problem::unauthenticated("the token names no subject"))?;
    let email = claim("email")
        .ok_or_else(|| Problem::unauthenticated("the token carries no email address"))?;
    let email = EmailAddress::parse(email)
        .map_err(|_| Problem::unauthenticated("the token's email address is not valid"))?;
    if claim("email_verified").is_some_and(|verified| verified != "true") {
        return Err(Problem::forbidden(
            "your email address is not verified with the identity provider",
        ));
    }
    Ok(Caller {
        subject: subject.to_owned(),
        email,
        name: claim("name").map(str::to_owned),
    })
}
