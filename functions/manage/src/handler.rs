//! The `manage` function: `DELETE /workgroups/{wg}/invitations/{id}` cancels an invitation,
//! `POST …/{id}/resend` sends it again with a new link and 30 more days. Use case:
//! `domain::usecases::manage`.

use domain::{App, clock::Clock, delivery::Queue, store::Store};
use http::StatusCode;
use lambda_http::{Body, Response};

use api::{
    HttpFunction, idempotency,
    input::{Input, json, no_content},
    problem::Problem,
    routes::Operation,
    views::InvitationView,
};

/// The `manage` function's share of the API.
pub struct Handler;

impl HttpFunction for Handler {
    const OPERATIONS: &'static [Operation] =
        &[Operation::CancelInvitation, Operation::ResendInvitation];

    async fn answer<S: Store, Q: Queue, C: Clock>(
        app: &App<S, Q, C>,
        operation: Operation,
        input: Input<'_>,
    ) -> Result<Response<Body>, Problem> {
        match operation {
            Operation::CancelInvitation => cancel(app, input).await,
            Operation::ResendInvitation => resend(app, input).await,
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
