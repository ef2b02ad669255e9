//! The HTTP API on `lambda_http` request and response types: the very same code answers inside
//! Lambda (behind API Gateway's HTTP API) and in the local server.

pub mod caller;
pub mod handlers;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod views;
pub mod web;

use http::{StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response};
use shared::{
    App,
    clock::Clock,
    store::{Mailer, Store},
};

use crate::{
    handlers::{Input, invite, list, manage, respond, workgroups},
    problem::Problem,
    routes::{Function, NoRoute, Operation, match_route},
};

/// Which routes a deployment answers: all of them (the local server), or one Lambda
/// function's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    All,
    Only(Function),
}

/// Answers one request. Never fails: every error becomes a problem+json response.
pub async fn handle<S: Store, M: Mailer, C: Clock>(
    app: &App<S, M, C>,
    served: Served,
    request: Request,
) -> Response<Body> {
    let mut response = dispatch(app, served, &request)
        .await
        .unwrap_or_else(Problem::into_response);
    // Answers may carry personal data; invitee answers follow from a secret token. The
    // console's files get it too: they are small, and a deploy then reaches every browser.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("valid header"),
    );
    response
}

async fn dispatch<S: Store, M: Mailer, C: Clock>(
    app: &App<S, M, C>,
    served: Served,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    // API Gateway's raw path carries no stage prefix; a request built elsewhere has only a URI.
    let path = match request.raw_http_path() {
        "" => request.uri().path(),
        raw => raw,
    };
    let (route, params) = match_route(request.method(), path).map_err(no_route)?;
    if matches!(served, Served::Only(function) if function != route.function) {
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
        Operation::WebPage => Ok(web::page()),
        Operation::WebAsset => web::asset(input.params.file.as_deref()),
        Operation::WebConfig => Ok(web::config(&web::SignIn::None)),
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
