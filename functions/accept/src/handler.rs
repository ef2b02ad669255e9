//! The `accept` function: the invitee's routes. `POST /invitations/lookup` shows what a link
//! invites to, `POST /invitations/accept` joins (the first acceptance registers the person),
//! `POST /invitations/decline` declines. The token travels in the body, never in a path or
//! query string. Use case: `domain::usecases::accept`.

use domain::{
    App, clock::Clock, delivery::Queue, secret::InvitationToken, store::Store,
    usecases::accept::TokenError,
};
use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Deserialize;

use api::{
    HttpFunction,
    input::{Input, bounded, json, max_len},
    problem::Problem,
    routes::Operation,
    views::{AcceptAnswer, AgentView, DeclineAnswer, LookupView, WorkgroupRef, WorkgroupView},
};

/// The `accept` function's share of the API.
pub struct Handler;

impl HttpFunction for Handler {
    const OPERATIONS: &'static [Operation] = &[
        Operation::LookupInvitation,
        Operation::AcceptInvitation,
        Operation::DeclineInvitation,
    ];

    async fn answer<S: Store, Q: Queue, C: Clock>(
        app: &App<S, Q, C>,
        operation: Operation,
        input: Input<'_>,
    ) -> Result<Response<Body>, Problem> {
        match operation {
            Operation::LookupInvitation => lookup(app, input).await,
            Operation::AcceptInvitation => accept(app, input).await,
            Operation::DeclineInvitation => decline(app, input).await,
            _ => Err(Problem::not_found("no such route")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

impl TokenBody {
    fn token(&self) -> Result<InvitationToken, Problem> {
        token(&self.token)
    }
}

/// The token of a body, bounded, as the domain's type: text that is not a token answers as an
/// unknown token does.
fn token(text: &str) -> Result<InvitationToken, Problem> {
    let text = bounded("token", text, max_len::TOKEN)?;
    Ok(InvitationToken::parse(text).ok_or(TokenError::NotFound)?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    token: String,
    /// Required on the first acceptance, which registers the person.
    name: Option<String>,
}

pub async fn lookup<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let body: TokenBody = input.body()?;
    let preview = app.lookup_invitation(&body.token()?).await?;
    Ok(json(StatusCode::OK, &LookupView::from(&preview)))
}

pub async fn accept<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let body: AcceptBody = input.body()?;
    let token = token(&body.token)?;
    let name = body
        .name
        .as_deref()
        .map(|name| bounded("name", name, max_len::AGENT_NAME))
        .transpose()?;
    let membership = app.accept_invitation(&caller, &token, name).await?;
    Ok(json(
        StatusCode::OK,
        &AcceptAnswer {
            workgroup: WorkgroupView::from(&membership),
            agent: AgentView::from(&membership.agent),
        },
    ))
}

pub async fn decline<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let body: TokenBody = input.body()?;
    let declined = app.decline_invitation(&body.token()?).await?;
    Ok(json(
        StatusCode::OK,
        &DeclineAnswer {
            workgroup: WorkgroupRef {
                id: declined.workgroup.id.to_string(),
                name: declined.workgroup.name.to_string(),
            },
            status: declined.status.as_str().to_owned(),
        },
    ))
}
