//! `DELETE /workgroups/{wg}/invitations/{id}` and `POST …/{id}/resend`.

use http::StatusCode;
use lambda_http::{Body, Response};
use shared::{App, clock::Clock, delivery::Queue, store::Store};

use super::{Input, idempotency, json, no_content};
use crate::{problem::Problem, views::InvitationView};

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
