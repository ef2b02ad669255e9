//! API Gateway's part, locally: the local server has no API Gateway, so it matches each path
//! against the route table and hands the request to the function that answers the route, as
//! API Gateway would. Every HTTP function's handler is composed here.

use api::{
    HttpFunction, MAX_BODY_BYTES,
    problem::Problem,
    routes::{Operation, PathParams, ROUTES, Route},
    web::SignIn,
};
use domain::{App, clock::Clock, delivery::Queue, store::Store};
use http::{Method, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};

/// Every HTTP function, by name, with the operations its handler answers.
pub const FUNCTIONS: [(&str, &[Operation]); 5] = [
    ("workgroups", workgroups::Handler::OPERATIONS),
    ("invite", invite::Handler::OPERATIONS),
    ("list", list::Handler::OPERATIONS),
    ("manage", manage::Handler::OPERATIONS),
    ("accept", accept::Handler::OPERATIONS),
];

/// Answers one request with whichever function answers its route, as API Gateway and the
/// functions together do. Never fails: every error becomes a problem+json response.
pub async fn answer<S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    sign_in: &SignIn,
    request: &Request,
) -> Response<Body> {
    let body: &[u8] = request.body().as_ref();
    if body.len() > MAX_BODY_BYTES {
        return answered(Err(api::payload_too_large()));
    }
    // API Gateway's raw path carries no stage prefix; a request built elsewhere has only a URI.
    let path = match request.raw_http_path() {
        "" => request.uri().path(),
        raw => raw,
    };
    let (route, params) = match find(request.method(), path) {
        Ok(found) => found,
        Err(no_route) => return answered(Err(no_route.into())),
    };
    let operation = route.operation;
    let owns = |operations: &[Operation]| operations.contains(&operation);
    if owns(workgroups::Handler::OPERATIONS) {
        api::answer::<workgroups::Handler, _, _, _>(app, operation, params, sign_in, request).await
    } else if owns(invite::Handler::OPERATIONS) {
        api::answer::<invite::Handler, _, _, _>(app, operation, params, sign_in, request).await
    } else if owns(list::Handler::OPERATIONS) {
        api::answer::<list::Handler, _, _, _>(app, operation, params, sign_in, request).await
    } else if owns(manage::Handler::OPERATIONS) {
        api::answer::<manage::Handler, _, _, _>(app, operation, params, sign_in, request).await
    } else if owns(accept::Handler::OPERATIONS) {
        api::answer::<accept::Handler, _, _, _>(app, operation, params, sign_in, request).await
    } else {
        answered(Err(Problem::not_found("no such route")))
    }
}

fn answered(problem: Result<Response<Body>, Problem>) -> Response<Body> {
    let mut response = problem.unwrap_or_else(Problem::into_response);
    api::common_headers(response.headers_mut());
    response
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

impl From<NoRoute> for Problem {
    fn from(no_route: NoRoute) -> Self {
        match no_route {
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
        }
    }
}

/// Finds the route for a method and path (without query string or stage prefix), with the
/// path's parameters, as API Gateway matches its routes.
pub fn find(method: &Method, path: &str) -> Result<(&'static Route, PathParams), NoRoute> {
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
