//! The HTTP API on `lambda_http` request and response types: the very same code answers inside
//! Lambda (behind API Gateway's HTTP API) and in the local server.

pub mod caller;
pub mod handlers;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod views;
pub mod web;

use http::{HeaderMap, HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use shared::{App, clock::Clock, delivery::Queue, store::Store};

use crate::{
    handlers::{Input, invite, list, manage, respond, workgroups},
    problem::Problem,
    routes::{Function, NoRoute, Operation, match_route},
    web::SignIn,
};

/// The largest request body any route reads, as the spec says: larger ones are a `413` before
/// any work, here and in the local server (API Gateway would pass up to 10 MB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// Which routes a deployment answers: all of them (the local server), or one Lambda
/// function's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    All,
    Only(Function),
}

/// Where a request is answered: the routes served there, and how the web console served
/// there signs people in (which `/config.json` says and the page's security policy allows).
#[derive(Debug, Clone, Copy)]
pub struct Site<'a> {
    pub served: Served,
    pub sign_in: &'a SignIn,
}

/// A site whose console has no sign-in configured.
impl From<Served> for Site<'static> {
    fn from(served: Served) -> Self {
        static NONE: SignIn = SignIn::None;
        Site {
            served,
            sign_in: &NONE,
        }
    }
}

/// Answers one request. Never fails: every error becomes a problem+json response.
pub async fn handle<'a, S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    site: impl Into<Site<'a>>,
    request: Request,
) -> Response<Body> {
    let mut response = dispatch(app, site.into(), &request)
        .await
        .unwrap_or_else(Problem::into_response);
    common_headers(response.headers_mut());
    response
}

/// The headers every answer carries, whoever builds it (the handlers, the local server's own
/// answers, the functions). Answers may carry personal data, and invitee answers follow from a
/// secret token, so no cache keeps them; the console's files too: they are small, and a deploy
/// then reaches every browser. No browser reads a body as another type than the one declared.
pub fn common_headers(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// The answer to a body over [`MAX_BODY_BYTES`].
pub fn payload_too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        format!(
            "the request body is larger than {} KiB",
            MAX_BODY_BYTES / 1024
        ),
    )
}

async fn dispatch<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    site: Site<'_>,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    let body: &[u8] = request.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return Err(payload_too_large());
    }
    // API Gateway's raw path carries no stage prefix; a request built elsewhere has only a URI.
    let path = match request.raw_http_path() {
        "" => request.uri().path(),
        raw => raw,
    };
    let (route, params) = match_route(request.method(), path).map_err(no_route)?;
    if matches!(site.served, Served::Only(function) if function != route.function) {
        return Err(Problem::not_found("no such route"));
    }
    let input = Input { request, params };
    match route.operation {
        Operation::CreateWorkgroup => workgroups::create(app, input).await,
        Operation::ListWorkgroups => workgroups::mine(app, input).await,
        Operation::ListAgents => list::agents(app, input).await,
        Operation::ListInvitations => list::invitations(app, input).await,
        Operation::GetInvitation => list::invitation(app, input).await,
        Operation::ListEvents => list::events(app, input).await,
        Operation::OpenApi => Ok(list::openapi()),
        Operation::Invite => invite::invite(app, input).await,
        Operation::CancelInvitation => manage::cancel(app, input).await,
        Operation::ResendInvitation => manage::resend(app, input).await,
        Operation::LookupInvitation => respond::lookup(app, input).await,
        Operation::AcceptInvitation => respond::accept(app, input).await,
        Operation::DeclineInvitation => respond::decline(app, input).await,
        Operation::WebPage => Ok(web::page(site.sign_in)),
        Operation::WebAsset => web::asset(input.params.file.as_deref()),
        Operation::WebConfig => Ok(web::config(site.sign_in)),
    }
}

fn no_route(no_route: NoRoute) -> Problem {
    match no_route {
        NoRoute::NotFound => Problem::not_found("no such route"),
        NoRoute::MethodNotAllowed { allow } => {
            let allow: Vec<&str> = allow.iter().map(|m| m.as_str()).collect();
            Problem {
                allow: Some(allow.join(", ")),
                ..Problem::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "method-not-allowed",
                    format!("this path accepts {}", allow.join(", ")),
                )
            }
        }
    }
}
