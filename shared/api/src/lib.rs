//! The HTTP API on `lambda_http` request and response types: the very same code answers inside
//! Lambda (behind API Gateway's HTTP API) and in the local server.

pub mod caller;
pub mod idempotency;
pub mod input;
pub mod openapi;
pub mod problem;
pub mod routes;
pub mod views;
pub mod web;

use std::future::Future;

use domain::{App, clock::Clock, delivery::Queue, store::Store};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use lambda_http::{Body, Request, Response};

pub use crate::input::Input;
use crate::{
    problem::Problem,
    routes::{Operation, PathParams},
    web::SignIn,
};

/// The largest request body any route reads, as the spec says: larger ones are a `413` before
/// any work, here and in the local server (API Gateway would pass up to 10 MB).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// One HTTP Lambda function's share of the API. Each function's package implements it once,
/// in its `handler.rs`: the operations it answers (each is one route of [`routes::ROUTES`])
/// and how. In Lambda, API Gateway has already chosen the route; the local server chooses it
/// from the path and composes every function.
pub trait HttpFunction {
    /// The operations this function answers; API Gateway sends it no other.
    const OPERATIONS: &'static [Operation];

    /// Answers one of [`Self::OPERATIONS`].
    fn answer<S: Store, Q: Queue, C: Clock>(
        app: &App<S, Q, C>,
        operation: Operation,
        input: Input<'_>,
    ) -> impl Future<Output = Result<Response<Body>, Problem>> + Send;
}

/// Answers one request routed to `operation`, with its path parameters, by the function `F`.
/// Never fails: every error becomes a problem+json response, and an operation `F` does not
/// answer is a 404, as if it did not exist.
pub async fn answer<F: HttpFunction, S: Store, Q: Queue, C: Clock>(
    app: &App<S, Q, C>,
    operation: Operation,
    params: PathParams,
    sign_in: &SignIn,
    request: &Request,
) -> Response<Body> {
    let body: &[u8] = request.body().as_ref();
    let answered = if body.len() > MAX_BODY_BYTES {
        Err(payload_too_large())
    } else if !F::OPERATIONS.contains(&operation) {
        Err(Problem::not_found("no such route"))
    } else {
        let input = Input {
            request,
            params,
            sign_in,
        };
        F::answer(app, operation, input).await
    };
    let mut response = answered.unwrap_or_else(Problem::into_response);
    common_headers(response.headers_mut());
    response
}

/// The headers every answer carries, whoever builds it (the handlers, the local server's own
/// answers, the functions). Answers may carry personal data, and invitee answers follow from a
/// secret token, so no cache keeps them; the console's files too: they are small, and a deploy
/// then reaches every browser. No browser reads a body as another type than the one declared.
pub fn common_headers(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
}

/// The answer to a body over [`MAX_BODY_BYTES`].
pub fn payload_too_large() -> Problem {
    Problem::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload-too-large",
        format!(
            "the request body is larger than {} KiB",
            MAX_BODY_BYTES / 1024
        ),
    )
}
