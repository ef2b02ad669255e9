//! The `workgroups` function: `POST /workgroups` creates a workgroup (its creator becomes its
//! first administrator), `GET /workgroups` lists the caller's. Use case:
//! `domain::usecases::workgroups`.

use domain::{App, clock::Clock, delivery::Queue, people::WorkgroupName, store::Store};
use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Deserialize;

use api::{
    HttpFunction,
    input::{Input, bounded, json, max_len, parse_locale},
    problem::Problem,
    routes::Operation,
    views::{ListView, WorkgroupView},
};

/// The `workgroups` function's share of the API.
pub struct Handler;

impl HttpFunction for Handler {
    const OPERATIONS: &'static [Operation] =
        &[Operation::CreateWorkgroup, Operation::ListWorkgroups];

    async fn answer<S: Store, Q: Queue, C: Clock>(
        app: &App<S, Q, C>,
        operation: Operation,
        input: Input<'_>,
    ) -> Result<Response<Body>, Problem> {
        match operation {
            Operation::CreateWorkgroup => create(app, input).await,
            Operation::ListWorkgroups => mine(app, input).await,
            _ => Err(Problem::not_found("no such route")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateWorkgroup {
    name: String,
    locale: Option<String>,
}

pub async fn create<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let body: CreateWorkgroup = input.body()?;
    let name = bounded("name", &body.name, max_len::WORKGROUP_NAME)?;
    let name = WorkgroupName::parse(name).map_err(|e| Problem::bad_request(e.to_string()))?;
    let locale = parse_locale(body.locale.as_deref())?;
    let membership = app.create_workgroup(&caller, name, locale).await?;
    Ok(json(StatusCode::CREATED, &WorkgroupView::from(&membership)))
}

pub async fn mine<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let memberships = app.my_workgroups(&input.caller()?).await?;
    let items = memberships.iter().map(WorkgroupView::from).collect();
    Ok(json(
        StatusCode::OK,
        &ListView::<WorkgroupView> {
            items,
            next_cursor: None,
        },
    ))
}
