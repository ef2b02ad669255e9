//! The `manage` function: `DELETE /workgroups/{wg}/invitations/{id}` cancels an invitation,
//! `POST …/{id}/resend` sends it again with a new link and 30 more days;
//! `PATCH /workgroups/{wg}/agents/{id}` gives an agent another role and `DELETE …/agents/{id}`
//! removes one (or leaves). Use case: `domain::usecases::manage`.

use domain::{App, clock::Clock, delivery::Queue, role::Role, store::Store};
use http::StatusCode;
use lambda_http::{Body, Response};

use api::{
    HttpFunction, idempotency,
    input::{Input, bounded, json, max_len, no_content},
    problem::Problem,
    routes::Operation,
    views::{AgentView, InvitationView, RoleRequest},
};

/// The `manage` function's share of the API.
pub struct Handler;

impl HttpFunction for Handler {
    const OPERATIONS: &'static [Operation] = &[
        Operation::CancelInvitation,
        Operation::ResendInvitation,
        Operation::ChangeAgentRole,
        Operation::RemoveAgent,
    ];

    async fn answer<S: Store, Q: Queue, C: Clock>(
        app: &App<S, Q, C>,
        operation: Operation,
        input: Input<'_>,
    ) -> Result<Response<Body>, Problem> {
        match operation {
            Operation::CancelInvitation => cancel(app, input).await,
            Operation::ResendInvitation => resend(app, input).await,
            Operation::ChangeAgentRole => change_role(app, input).await,
            Operation::RemoveAgent => remove(app, input).await,
            _ => Err(Problem::not_found("no such route")),
        }
    }
}

pub async fn cancel<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let (workgroup, id) = input.invitation()?;
    app.cancel_invitation(&caller, &workgroup, &id).await?;
    Ok(no_content())
}

pub async fn resend<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    idempotency::once(app, &input, || async {
        let caller = input.caller()?;
        let (workgroup, id) = input.invitation()?;
        let invitation = app.resend_invitation(&caller, &workgroup, &id).await?;
        Ok(json(StatusCode::OK, &InvitationView::from(&invitation)))
    })
    .await
}

pub async fn change_role<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let (workgroup, id) = input.agent()?;
    let body: RoleRequest = input.body()?;
    let role: Role = bounded("role", &body.role, max_len::ROLE)?
        .parse()
        .map_err(|e: domain::role::UnknownRole| Problem::bad_request(e.to_string()))?;
    let agent = app
        .change_agent_role(&caller, &workgroup, &id, role)
        .await?;
    Ok(json(StatusCode::OK, &AgentView::from(&agent)))
}

pub async fn remove<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let (workgroup, id) = input.agent()?;
    app.remove_agent(&caller, &workgroup, &id).await?;
    Ok(no_content())
}
