//! The `invite` function: `POST /workgroups/{wg}/invitations` invites pasted addresses with a
//! role, each answered on its own, and queues their emails. Use case:
//! `domain::usecases::invite`.

use domain::{
    App, address::PasteError, clock::Clock, delivery::Queue, role::Role, store::Store,
    usecases::invite::InviteRequest,
};
use http::StatusCode;
use lambda_http::{Body, Response};
use serde::Deserialize;

use api::{
    HttpFunction, idempotency,
    input::{Input, bounded, json, max_len, parse_locale},
    problem::Problem,
    routes::Operation,
    views::InviteAnswer,
};

/// The `invite` function's share of the API.
pub struct Handler;

impl HttpFunction for Handler {
    const OPERATIONS: &'static [Operation] = &[Operation::Invite];

    async fn answer<S: Store, Q: Queue, C: Clock>(
        app: &App<S, Q, C>,
        operation: Operation,
        input: Input<'_>,
    ) -> Result<Response<Body>, Problem> {
        match operation {
            Operation::Invite => invite(app, input).await,
            _ => Err(Problem::not_found("no such route")),
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Invite {
    /// One string or a list of strings, each possibly holding several addresses.
    emails: serde_json::Value,
    role: String,
    locale: Option<String>,
}

pub async fn invite<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    input: Input<'_>,
) -> Result<Response<Body>, Problem> {
    let caller = input.caller()?;
    let workgroup = input.workgroup()?;
    let request = invite_request(input.body()?, app.settings.max_addresses_per_request)?;
    idempotency::once(app, &input, || async {
        let results = app.invite(&caller, &workgroup, &request).await?;
        Ok(json(
            StatusCode::OK,
            &InviteAnswer::from(results.as_slice()),
        ))
    })
    .await
}

/// The request as the use case takes it: every string within its bound, the pasted text split
/// into at most `limit` entries.
fn invite_request(body: Invite, limit: usize) -> Result<InviteRequest, Problem> {
    let pasted = pasted(body.emails)?;
    let role = bounded("role", &body.role, max_len::ROLE)?
        .parse::<Role>()
        .map_err(|e| Problem::bad_request(e.to_string()))?;
    let locale = parse_locale(body.locale.as_deref())?;
    Ok(InviteRequest::pasted(&pasted, limit, role, locale)?)
}

/// The pasted strings, at most [`max_len::EMAILS`] bytes of them together.
fn pasted(value: serde_json::Value) -> Result<Vec<String>, Problem> {
    let wrong = || Problem::bad_request("emails must be a string or a list of strings");
    let strings = match value {
        serde_json::Value::String(text) => vec![text],
        serde_json::Value::Array(items) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(text) => Ok(text),
                _ => Err(wrong()),
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(wrong()),
    };
    let bytes = strings.iter().map(String::len).sum::<usize>();
    if bytes > max_len::EMAILS {
        return Err(PasteError::TooLong {
            limit: max_len::EMAILS,
        }
        .into());
    }
    Ok(strings)
}
