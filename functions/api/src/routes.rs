//! The route table: every public route, which Lambda function serves it, and path matching.

use http::Method;

/// The Lambda functions the API is split into; the local server serves them all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Function {
    Workgroups,
    Invite,
    List,
    Manage,
    Accept,
}

/// Every operation of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    CreateWorkgroup,
    ListWorkgroups,
    ListAgents,
    Invite,
    ListInvitations,
    GetInvitation,
    CancelInvitation,
    ResendInvitation,
    LookupInvitation,
    AcceptInvitation,
    DeclineInvitation,
    ListEvents,
    OpenApi,
    /// The web console's document (`/`, `/accept`).
    WebPage,
    /// One of its files (`/web/{file}`).
    WebAsset,
    /// How it signs in (`/config.json`); the host answers it.
    WebConfig,
}

impl Operation {
    /// Part of the HTTP API (in the OpenAPI document), not the web console.
    pub fn is_api(self) -> bool {
        !matches!(
            self,
            Operation::WebPage | Operation::WebAsset | Operation::WebConfig
        )
    }
}

/// One row of the route table.
#[derive(Debug, Clone)]
pub struct Route {
    pub method: Method,
    /// With `{wg}` and `{id}` placeholders, as in the OpenAPI document and API Gateway.
    pub path: &'static str,
    pub operation: Operation,
    /// Used as the OpenAPI `operationId`.
    pub operation_id: &'static str,
    pub function: Function,
    /// Needs a signed-in caller (the JWT authorizer runs on it).
    pub authenticated: bool,
}

macro_rules! route {
    ($method:ident $path:literal => $op:ident, $id:literal, $function:ident, $auth:literal) => {
        Route {
            method: Method::$method,
            path: $path,
            operation: Operation::$op,
            operation_id: $id,
            function: Function::$function,
            authenticated: $auth,
        }
    };
}

pub const ROUTES: &[Route] = &[
    route!(POST "/workgroups" => CreateWorkgroup, "createWorkgroup", Workgroups, true),
    route!(GET "/workgroups" => ListWorkgroups, "listWorkgroups", Workgroups, true),
    route!(GET "/workgroups/{wg}/agents" => ListAgents, "listAgents", List, true),
    route!(POST "/workgroups/{wg}/invitations" => Invite, "inviteAgents", Invite, true),
    route!(GET "/workgroups/{wg}/invitations" => ListInvitations, "listInvitations", List, true),
    route!(GET "/workgroups/{wg}/invitations/{id}" => GetInvitation, "getInvitation", List, true),
    route!(DELETE "/workgroups/{wg}/invitations/{id}" => CancelInvitation, "cancelInvitation", Manage, true),
    route!(POST "/workgroups/{wg}/invitations/{id}/resend" => ResendInvitation, "resendInvitation", Manage, true),
    route!(POST "/invitations/lookup" => LookupInvitation, "lookupInvitation", Accept, false),
    route!(POST "/invitations/accept" => AcceptInvitation, "acceptInvitation", Accept, true),
    route!(POST "/invitations/decline" => DeclineInvitation, "declineInvitation", Accept, false),
    route!(GET "/workgroups/{wg}/events" => ListEvents, "listEvents", List, true),
    route!(GET "/openapi.json" => OpenApi, "getOpenApi", List, false),
    route!(GET "/" => WebPage, "webConsole", List, false),
    route!(GET "/accept" => WebPage, "webAcceptPage", List, false),
    route!(GET "/web/{file}" => WebAsset, "webAsset", List, false),
    route!(GET "/config.json" => WebConfig, "webConfig", List, false),
];

/// The path parameters of a matched route, as raw segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParams {
    pub wg: Option<String>,
    pub id: Option<String>,
    pub file: Option<String>,
}

/// Why no route matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRoute {
    NotFound,
    /// The path exists with other methods.
    MethodNotAllowed {
        allow: Vec<Method>,
    },
}

/// Finds the route for a method and path (without query string or stage prefix).
pub fn match_route(method: &Method, path: &str) -> Result<(&'static Route, PathParams), NoRoute> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let mut allow = Vec::new();
    for route in ROUTES {
        let Some(params) = match_path(route.path, &segments) else {
            continue;
        };
        if route.method == *method {
            return Ok((route, params));
        }
        allow.push(route.method.clone());
    }
    if allow.is_empty() {
        Err(NoRoute::NotFound)
    } else {
        Err(NoRoute::MethodNotAllowed { allow })
    }
}

fn match_path(template: &str, segments: &[&str]) -> Option<PathParams> {
    // As the path: `/` has no segment.
    let parts: Vec<&str> = template.trim_end_matches('/').split('/').skip(1).collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = PathParams::default();
    for (part, segment) in parts.iter().zip(segments) {
        match *part {
            "{wg}" => params.wg = Some((*segment).to_owned()),
            "{id}" => params.id = Some((*segment).to_owned()),
            "{file}" => params.file = Some((*segment).to_owned()),
            literal if literal == *segment => {}
            _ => return None,
        }
    }
    Some(params)
}
