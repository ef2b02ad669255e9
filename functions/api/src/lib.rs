//! The HTTP API on `lambda_http` request and response types: the very same code answers inside
//! Lambda (behind API Gateway's HTTP API) and in the local server.

pub mod caller;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod views;

use http::{StatusCode, header};
use lambda_http::{Body, Request, RequestExt, Response, aws_lambda_events::query_map::QueryMap};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use shared::{
    App,
    clock::Clock,
    ids::{InvitationId, WorkgroupId},
    invitation::Status,
    message::Locale,
    people::WorkgroupName,
    role::Role,
    store::{Mailer, Store},
    usecases::{ListQuery, invite::InviteRequest},
};

use crate::{
    caller::caller,
    problem::Problem,
    routes::{Function, NoRoute, Operation, PathParams, match_route},
    views::*,
};

/// Which routes a deployment answers: all of them (the local server), or one Lambda
/// function's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Served {
    All,
    Only(Function),
}

/// Answers one request. Never fails: every error becomes a problem+json response.
pub async fn handle<S: Store, M: Mailer, C: Clock>(
    app: &App<S, M, C>,
    served: Served,
    request: Request,
) -> Response<Body> {
    let mut response = dispatch(app, served, &request)
        .await
        .unwrap_or_else(Problem::into_response);
    // Answers may carry personal data; invitee answers follow from a secret token.
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        "no-store".parse().expect("valid header"),
    );
    response
}

async fn dispatch<S: Store, M: Mailer, C: Clock>(
    app: &App<S, M, C>,
    served: Served,
    request: &Request,
) -> Result<Response<Body>, Problem> {
    let path = match request.raw_http_path() {
        "" => request.uri().path(),
        raw => raw,
    };
    let (route, params) =
        match_route(request.method(), path).map_err(|no_route| match no_route {
            NoRoute::NotFound => Problem::not_found("no such route"),
            NoRoute::MethodNotAllowed { allow } => {
                let allow: Vec<&str> = allow.iter().map(|m| m.as_str()).collect();
                Problem {
                    allow: Some(allow.join(", ")),
                    ..Problem::new(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "method-not-allowed",
                        format!("this path accepts {}", allow.join(", ")),
                    )
                }
            }
        })?;
    if matches!(served, Served::Only(function) if function != route.function) {
        return Err(Problem::not_found("no such route"));
    }
    let caller = if route.authenticated {
        Some(caller(request)?)
    } else {
        None
    };
    let caller = || caller.as_ref().expect("authenticated routes have a caller");
    let query = query(request);

    match route.operation {
        Operation::CreateWorkgroup => {
            let body: CreateWorkgroupBody = json_body(request)?;
            let name = WorkgroupName::parse(&body.name)
                .map_err(|e| Problem::bad_request(e.to_string()))?;
            let locale = parse_locale(body.locale.as_deref())?;
            let membership = app.create_workgroup(caller(), name, locale).await?;
            Ok(json(StatusCode::CREATED, &WorkgroupView::from(&membership)))
        }
        Operation::ListWorkgroups => {
            let memberships = app.my_workgroups(caller()).await?;
            let items = memberships.iter().map(WorkgroupView::from).collect();
            Ok(json(
                StatusCode::OK,
                &ListView::<WorkgroupView> {
                    items,
                    next_cursor: None,
                },
            ))
        }
        Operation::ListAgents => {
            let workgroup = workgroup_id(&params)?;
            let listed = app
                .list_agents(caller(), &workgroup, &list_query(&query)?)
                .await?;
            Ok(json(StatusCode::OK, &ListView::<AgentView>::from(&listed)))
        }
        Operation::Invite => {
            let workgroup = workgroup_id(&params)?;
            let body: InviteBody = json_body(request)?;
            let request = InviteRequest {
                emails: pasted_emails(body.emails)?,
                role: body
                    .role
                    .parse::<Role>()
                    .map_err(|e| Problem::bad_request(e.to_string()))?,
                locale: parse_locale(body.locale.as_deref())?,
            };
            let results = app.invite(caller(), &workgroup, &request).await?;
            Ok(json(
                StatusCode::OK,
                &InviteAnswer::from(results.as_slice()),
            ))
        }
        Operation::ListInvitations => {
            let workgroup = workgroup_id(&params)?;
            let status =
                match query.first("status") {
                    None | Some("") => None,
                    Some(text) => Some(Status::parse(text).ok_or_else(|| {
                        Problem::bad_request("status must be pending or declined")
                    })?),
                };
            let listed = app
                .list_invitations(caller(), &workgroup, status, &list_query(&query)?)
                .await?;
            Ok(json(
                StatusCode::OK,
                &ListView::<InvitationView>::from(&listed),
            ))
        }
        Operation::GetInvitation => {
            let (workgroup, id) = invitation_path(&params)?;
            let invitation = app.get_invitation(caller(), &workgroup, &id).await?;
            Ok(json(StatusCode::OK, &InvitationView::from(&invitation)))
        }
        Operation::CancelInvitation => {
            let (workgroup, id) = invitation_path(&params)?;
            app.cancel_invitation(caller(), &workgroup, &id).await?;
            Ok(Response::builder()
                .status(StatusCode::NO_CONTENT)
                .body(Body::Empty)
                .expect("valid response"))
        }
        Operation::ResendInvitation => {
            let (workgroup, id) = invitation_path(&params)?;
            let invitation = app.resend_invitation(caller(), &workgroup, &id).await?;
            Ok(json(StatusCode::OK, &InvitationView::from(&invitation)))
        }
        Operation::LookupInvitation => {
            let body: TokenBody = json_body(request)?;
            let preview = app.lookup_invitation(&body.token).await?;
            Ok(json(StatusCode::OK, &LookupView::from(&preview)))
        }
        Operation::AcceptInvitation => {
            let body: AcceptBody = json_body(request)?;
            let membership = app
                .accept_invitation(caller(), &body.token, body.name.as_deref())
                .await?;
            Ok(json(
                StatusCode::OK,
                &AcceptAnswer {
                    workgroup: WorkgroupView::from(&membership),
                    agent: AgentView::from(&membership.agent),
                },
            ))
        }
        Operation::DeclineInvitation => {
            let body: TokenBody = json_body(request)?;
            let declined = app.decline_invitation(&body.token).await?;
            Ok(json(
                StatusCode::OK,
                &DeclineAnswer {
                    workgroup: WorkgroupRef {
                        id: declined.workgroup.id.to_string(),
                        name: declined.workgroup.name.to_string(),
                    },
                    status: declined.status.as_str().to_owned(),
                },
            ))
        }
        Operation::OpenApi => Ok(json(StatusCode::OK, &openapi::document())),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateWorkgroupBody {
    name: String,
    locale: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    emails: serde_json::Value,
    role: String,
    locale: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    token: String,
    name: Option<String>,
}

fn json(status: StatusCode, value: &impl Serialize) -> Response<Body> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(
            serde_json::to_string(value).expect("views always serialise"),
        ))
        .expect("valid response")
}

fn json_body<T: DeserializeOwned>(request: &Request) -> Result<T, Problem> {
    let bytes: &[u8] = request.body().as_ref();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(Problem::bad_request("a JSON body is required"));
    }
    serde_json::from_slice(bytes)
        .map_err(|error| Problem::bad_request(format!("invalid JSON body: {error}")))
}

/// `emails` is one string or a list of strings, each possibly holding several addresses.
fn pasted_emails(value: serde_json::Value) -> Result<Vec<String>, Problem> {
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

fn parse_locale(text: Option<&str>) -> Result<Option<Locale>, Problem> {
    text.map(|t| t.parse::<Locale>())
        .transpose()
        .map_err(|e| Problem::bad_request(e.to_string()))
}

fn query(request: &Request) -> QueryMap {
    match request.query_string_parameters_ref() {
        Some(query) => query.clone(),
        None => request
            .uri()
            .query()
            .and_then(|q| q.parse().ok())
            .unwrap_or_default(),
    }
}

fn list_query(query: &QueryMap) -> Result<ListQuery, Problem> {
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

fn workgroup_id(params: &PathParams) -> Result<WorkgroupId, Problem> {
    params
        .wg
        .as_deref()
        .and_then(WorkgroupId::parse)
        .ok_or_else(|| Problem::not_found("workgroup not found"))
}

fn invitation_path(params: &PathParams) -> Result<(WorkgroupId, InvitationId), Problem> {
    let workgroup = workgroup_id(params)?;
    let id = params
        .id
        .as_deref()
        .and_then(InvitationId::parse)
        .ok_or_else(|| Problem::not_found("invitation not found"))?;
    Ok((workgroup, id))
}
