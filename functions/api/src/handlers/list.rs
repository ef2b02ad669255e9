//! The read routes: agents, invitations, one invitation, the audit trail, and the OpenAPI
//! document.

use http::StatusCode;
use lambda_http::{Body, Response};
use shared::{App, clock::Clock, delivery::Queue, invitation::Status, store::Store};

use super::{Input, json};
use crate::{
    openapi,
    problem::Problem,
    views::{AgentView, EventView, InvitationView, ListView},
};

pub async fn agents<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let listed = app
        .list_agents(&input.caller()?, &input.workgroup()?, &input.list_query()?)
        .await?;
    Ok(json(StatusCode::OK, &ListView::<AgentView>::from(&listed)))
}

pub async fn invitations<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let workgroup = input.workgroup()?;
    let status = match input.query().first("status") {
        None | Some("") => None,
        Some(text) => Some(
            Status::parse(text)
                .ok_or_else(|| Problem::bad_request("status must be pending or declined"))?,
        ),
    };
    let listed = app
        .list_invitations(&caller, &workgroup, status, &input.list_query()?)
        .await?;
    Ok(json(
        StatusCode::OK,
        &ListView::<InvitationView>::from(&listed),
    ))
}

pub async fn invitation<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let (workgroup, id) = input.invitation()?;
    let invitation = app.get_invitation(&caller, &workgroup, &id).await?;
    Ok(json(StatusCode::OK, &InvitationView::from(&invitation)))
}

pub async fn events<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let listed = app
        .list_events(&input.caller()?, &input.workgroup()?, &input.list_query()?)
        .await?;
    Ok(json(StatusCode::OK, &ListView::<EventView>::from(&listed)))
}

/// The document never changes while the process runs: built and serialised once.
pub fn openapi() -> Response<Body> {
    static DOCUMENT: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let text = DOCUMENT.get_or_init(|| openapi::document().to_string());
    Response::builder()
        .status(StatusCode::OK)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Body::Text(text.clone()))
        .expect("a valid response")
}
