//! The `list` function: the read routes (agents, invitations, one invitation, the audit
//! trail, the inviter's allowance), the OpenAPI document, and the web console's files. Use
//! case: `domain::usecases::list`.

use domain::{App, clock::Clock, delivery::Queue, invitation::Status, store::Store};
use http::StatusCode;
use lambda_http::{Body, Response};

use api::{
    HttpFunction,
    input::{Input, json},
    openapi,
    problem::Problem,
    routes::Operation,
    views::{AgentView, AllowanceView, EventView, InvitationView, ListView},
    web,
};

/// The `list` function's share of the API.
pub struct Handler;

impl HttpFunction for Handler {
    const OPERATIONS: &'static [Operation] = &[
        Operation::ListAgents,
        Operation::ListInvitations,
        Operation::GetInvitation,
        Operation::ListEvents,
        Operation::Allowance,
        Operation::OpenApi,
        Operation::WebPage,
        Operation::WebAsset,
        Operation::WebConfig,
    ];

    async fn answer<S: Store, Q: Queue, C: Clock>(
        app: &App<S, Q, C>,
        operation: Operation,
        input: Input<'_>,
    ) -> Result<Response<Body>, Problem> {
        match operation {
            Operation::ListAgents => agents(app, input).await,
            Operation::ListInvitations => invitations(app, input).await,
            Operation::GetInvitation => invitation(app, input).await,
            Operation::ListEvents => events(app, input).await,
            Operation::Allowance => allowance(app, input).await,
            Operation::OpenApi => Ok(openapi()),
            Operation::WebPage => Ok(web::page(input.sign_in)),
            Operation::WebAsset => web::asset(input.params.file.as_deref()),
            Operation::WebConfig => Ok(web::config(input.sign_in)),
            _ => Err(Problem::not_found("no such route")),
        }
    }
}

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

pub async fn allowance<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let allowance = app.allowance(&input.caller()?, &input.workgroup()?).await?;
    Ok(json(StatusCode::OK, &AllowanceView::from(&allowance)))
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
