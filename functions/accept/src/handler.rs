//! The `accept` function: the invitee's routes. `POST /invitations/lookup` shows what a link
//! invites to, `POST /invitations/accept` joins (the first acceptance registers the person),
//! `POST /invitations/decline` declines. The token travels in the body, never in a path or
//! query string. Signed in, `GET /me/invitations` lists the caller's own invitations, and
//! `POST /me/invitations/{id}/accept` and `…/decline` answer one by id, without the link. Use
//! case: `domain::usecases::accept`.

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
    views::{
        AcceptAnswer, AgentView, DeclineAnswer, ListView, LookupView, MyInvitationView,
        WorkgroupRef, WorkgroupView,
    },
};

/// The `accept` function's share of the API.
pub struct Handler;

impl HttpFunction for Handler {
    const OPERATIONS: &'static [Operation] = &[
        Operation::LookupInvitation,
        Operation::AcceptInvitation,
        Operation::DeclineInvitation,
        Operation::ListMyInvitations,
        Operation::AcceptMyInvitation,
        Operation::DeclineMyInvitation,
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
            Operation::ListMyInvitations => list_mine(app, input).await,
            Operation::AcceptMyInvitation => accept_mine(app, input).await,
            Operation::DeclineMyInvitation => decline_mine(app, input).await,
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

/// The body of an acceptance by id: the signed-in address stands for the token.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptMineBody {
    /// Required on the first acceptance, which registers the person.
    name: Option<String>,
}

fn display_name(name: Option<&str>) -> Result<Option<&str>, Problem> {
    name.map(|name| bounded("name", name, max_len::AGENT_NAME))
        .transpose()
}

fn accepted(membership: &domain::people::Membership) -> Response<Body> {
    json(
        StatusCode::OK,
        &AcceptAnswer {
            workgroup: WorkgroupView::from(membership),
            agent: AgentView::from(&membership.agent),
        },
    )
}

fn declined(invitation: &domain::invitation::Invitation) -> Response<Body> {
    json(
        StatusCode::OK,
        &DeclineAnswer {
            workgroup: WorkgroupRef::from(invitation),
            status: invitation.status.as_str().to_owned(),
        },
    )
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
    let name = display_name(body.name.as_deref())?;
    let membership = app.accept_invitation(&caller, &token, name).await?;
    Ok(accepted(&membership))
}

pub async fn decline<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let body: TokenBody = input.body()?;
    let invitation = app.decline_invitation(&body.token()?).await?;
    Ok(declined(&invitation))
}

pub async fn list_mine<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let query = input.list_query()?;
    let listed = app.my_invitations(&caller, &query).await?;
    Ok(json(
        StatusCode::OK,
        &ListView::<MyInvitationView>::from(&listed),
    ))
}

pub async fn accept_mine<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let id = input.my_invitation()?;
    // The body is optional: a registered person has nothing to send.
    let blank = input
        .request
        .body()
        .as_ref()
        .iter()
        .all(u8::is_ascii_whitespace);
    let body: AcceptMineBody = if blank {
        AcceptMineBody { name: None }
    } else {
        input.body()?
    };
    let name = display_name(body.name.as_deref())?;
    let membership = app.accept_my_invitation(&caller, &id, name).await?;
    Ok(accepted(&membership))
}

pub async fn decline_mine<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let id = input.my_invitation()?;
    let invitation = app.decline_my_invitation(&caller, &id).await?;
    Ok(declined(&invitation))
}
