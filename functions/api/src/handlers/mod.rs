//! Thin handlers, one module per route group (one Lambda function each): they parse the
//! request into domain values, call one use case and shape its answer.

pub mod idempotency;
pub mod invite;
pub mod list;
pub mod manage;
pub mod respond;
pub mod workgroups;

use http::{StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response, aws_lambda_events::query_map::QueryMap};
use serde::{Serialize, de::DeserializeOwned};
use shared::{
    Caller,
    ids::{InvitationId, WorkgroupId},
    message::Locale,
    usecases::ListQuery,
};

use crate::{problem::Problem, routes::PathParams};

/// What a handler gets: the request and the path parameters its route matched.
pub struct Input<'a> {
    pub request: &'a Request,
    pub params: PathParams,
}

impl Input<'_> {
    /// The signed-in caller, from the JWT authorizer's claims.
    pub fn caller(&self) -> Result<Caller, Problem> {
        crate::caller::caller(self.request)
    }

    pub fn body<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        let bytes: &[u8] = self.request.body().as_ref();
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(Problem::bad_request("a JSON body is required"));
        }
        serde_json::from_slice(bytes)
            .map_err(|error| Problem::bad_request(format!("invalid JSON body: {error}")))
    }

    pub fn workgroup(&self) -> Result<WorkgroupId, Problem> {
        self.params
            .wg
            .as_deref()
            .and_then(WorkgroupId::parse)
            .ok_or_else(|| Problem::not_found("workgroup not found"))
    }

    pub fn invitation(&self) -> Result<(WorkgroupId, InvitationId), Problem> {
        let workgroup = self.workgroup()?;
        let id = self
            .params
            .id
            .as_deref()
            .and_then(InvitationId::parse)
            .ok_or_else(|| Problem::not_found("invitation not found"))?;
        Ok((workgroup, id))
    }

    /// The query string, as API Gateway parsed it (or parsed here when it did not).
    pub fn query(&self) -> QueryMap {
        match self.request.query_string_parameters_ref() {
            Some(query) => query.clone(),
            None => self
                .request
                .uri()
                .query()
                .and_then(|q| q.parse().ok())
                .unwrap_or_default(),
        }
    }

    pub fn list_query(&self) -> Result<ListQuery, Problem> {
        let query = self.query();
        let limit = match query.first("limit") {
            None | Some("") => None,
            Some(text) => Some(
                text.parse::<usize>()
                    .map_err(|_| Problem::bad_request("limit must be between 1 and 100"))?,
            ),
        };
        Ok(ListQuery {
            limit,
            cursor: query
                .first("cursor")
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
        })
    }
}

pub fn parse_locale(text: Option<&str>) -> Result<Option<Locale>, Problem> {
    text.map(str::parse::<Locale>)
        .transpose()
        .map_err(|e| Problem::bad_request(e.to_string()))
}

pub fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(
            serde_json::to_string(value).expect("views always serialise"),
        ))
        .expect("valid response")
}

pub fn no_content() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NO_CONTENT)
        .body(Body::Empty)
        .expect("valid response")
}
