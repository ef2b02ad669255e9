//! `POST /workgroups` and `GET /workgroups`.

use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Deserialize;
use shared::{App, clock::Clock, delivery::Queue, people::WorkgroupName, store::Store};

use super::{Input, bounded, json, max_len, parse_locale};
use crate::{
    problem::Problem,
    views::{ListView, WorkgroupView},
};

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
