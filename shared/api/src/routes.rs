//! The route table: every public route of the API, as API Gateway and the OpenAPI document
//! name it. Which function answers which is declared by each function
//! ([`crate::HttpFunction::OPERATIONS`]); API Gateway routes by these keys in AWS, and the local
//! server matches paths against them.

use http::Method;
use lambda_http::{Request, RequestExt};

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
    /// The signed-in invitee's own live invitations, in every workgroup.
    ListMyInvitations,
    /// Accept one of them by id.
    AcceptMyInvitation,
    /// Decline one of them by id.
    DeclineMyInvitation,
    /// Give an agent another role.
    ChangeAgentRole,
    /// Remove an agent, or leave (one's own id).
    RemoveAgent,
    ListEvents,
    /// What the caller may still send from a workgroup today (the Invite dialog).
    Allowance,
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
    /// Needs a signed-in caller (the JWT authorizer runs on it).
    pub authenticated: bool,
}

macro_rules! route {
    ($method:ident $path:literal => $op:ident, $id:literal, $auth:literal) => {
        Route {
            method: Method::$method,
            path: $path,
            operation: Operation::$op,
            operation_id: $id,
            authenticated: $auth,
        }
    };
}

pub const ROUTES: &[Route] = &[
    route!(POST "/workgroups" => CreateWorkgroup, "createWorkgroup", true),
    route!(GET "/workgroups" => ListWorkgroups, "listWorkgroups", true),
    route!(GET "/workgroups/{wg}/agents" => ListAgents, "listAgents", true),
    route!(POST "/workgroups/{wg}/invitations" => Invite, "inviteAgents", true),
    route!(GET "/workgroups/{wg}/invitations" => ListInvitations, "listInvitations", true),
    route!(GET "/workgroups/{wg}/invitations/{id}" => GetInvitation, "getInvitation", true),
    route!(DELETE "/workgroups/{wg}/invitations/{id}" => CancelInvitation, "cancelInvitation", true),
    route!(POST "/workgroups/{wg}/invitations/{id}/resend" => ResendInvitation, "resendInvitation", true),
    route!(POST "/invitations/lookup" => LookupInvitation, "lookupInvitation", false),
    route!(POST "/invitations/accept" => AcceptInvitation, "acceptInvitation", true),
    route!(POST "/invitations/decline" => DeclineInvitation, "declineInvitation", false),
    route!(GET "/me/invitations" => ListMyInvitations, "listMyInvitations", true),
    route!(POST "/me/invitations/{id}/accept" => AcceptMyInvitation, "acceptMyInvitation", true),
    route!(POST "/me/invitations/{id}/decline" => DeclineMyInvitation, "declineMyInvitation", true),
    route!(PATCH "/workgroups/{wg}/agents/{id}" => ChangeAgentRole, "changeAgentRole", true),
    route!(DELETE "/workgroups/{wg}/agents/{id}" => RemoveAgent, "removeAgent", true),
    route!(GET "/workgroups/{wg}/events" => ListEvents, "listEvents", true),
    route!(GET "/workgroups/{wg}/allowance" => Allowance, "getAllowance", true),
    route!(GET "/openapi.json" => OpenApi, "getOpenApi", false),
    route!(GET "/" => WebPage, "webConsole", false),
    route!(GET "/accept" => WebPage, "webAcceptPage", false),
    route!(GET "/web/{file}" => WebAsset, "webAsset", false),
    route!(GET "/config.json" => WebConfig, "webConfig", false),
];

/// The path parameters of a matched route, as raw segments.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PathParams {
    pub wg: Option<String>,
    pub id: Option<String>,
    pub file: Option<String>,
}

impl Route {
    /// API Gateway's route key: `POST /workgroups/{wg}/invitations`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// The route of an API Gateway route key.
    pub fn of_key(key: &str) -> Option<&'static Route> {
        let (method, path) = key.split_once(' ')?;
        ROUTES
            .iter()
            .find(|route| route.method.as_str() == method && route.path == path)
    }

    /// The route of an operation (each has one, or two for the console's pages).
    pub fn of_operation(operation: Operation) -> &'static Route {
        ROUTES
            .iter()
            .find(|route| route.operation == operation)
            .expect("every operation has a route")
    }
}

impl PathParams {
    /// The parameters API Gateway parsed from the path of the route it matched.
    pub fn of_api_gateway(request: &Request) -> Self {
        let parameters = request.path_parameters_ref();
        let get = |name: &str| parameters.and_then(|p| p.first(name)).map(str::to_owned);
        PathParams {
            wg: get("wg"),
            id: get("id"),
            file: get("file"),
        }
    }
}
