//! `POST /workgroups/{wg}/invitations`.

use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Deserialize;
use shared::{
    App,
    clock::Clock,
    role::Role,
    store::{Mailer, Store},
    usecases::invite::InviteRequest,
};

use super::{Input, idempotency, json, parse_locale};
use crate::{problem::Problem, views::InviteAnswer};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Invite {
    /// One string or a list of strings, each possibly holding several addresses.
    emails: serde_json::Value,
    role: String,
    locale: Option<String>,
}

pub async fn invite<S: Store, M: Mailer, C: Clock>(
    app: &App<S, M, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    idempotency::once(app, &input, || invite_once(app, &input)).await
}

async fn invite_once<S: Store, M: Mailer, C: Clock>(
    app: &App<S, M, C>,
    input: &Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let workgroup = input.workgroup()?;
    let body: Invite = input.body()?;
    let request = InviteRequest {
        emails: pasted(body.emails)?,
        role: body
            .role
            .parse::<Role>()
            .map_err(|e| Problem::bad_request(e.to_string()))?,
        locale: parse_locale(body.locale.as_deref())?,
    };
    let results = app.invite(&caller, &workgroup, &request).await?;
    Ok(json(
        StatusCode::OK,
        &InviteAnswer::from(results.as_slice()),
    ))
}

fn pasted(value: serde_json::Value) -> Result<Vec<String>, Problem> {
    let wrong = || Problem::bad_request("emails must be a string or a list of strings");
    match value {
        serde_json::Value::String(text) => Ok(vec![text]),
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(text) => Ok(text),
                _ => Err(wrong()),
            })
            .collect(),
        _ => Err(wrong()),
    }
}
