//! What every Lambda function does at start, once: its configuration from the environment,
//! JSON logs, the AWS clients, the secret key, and (for the HTTP functions) the loop that
//! hands API Gateway's requests to the function's handler. The functions themselves are the
//! packages under `functions/`, each a few-line `main` naming its handler.
//!
//! | function | answers | sends email |
//! | --- | --- | --- |
//! | `workgroups` | `POST /workgroups`, `GET /workgroups` | no |
//! | `invite` | `POST /workgroups/{wg}/invitations` | queues |
//! | `list` | agents, invitations, one invitation, events, `GET /openapi.json`, the web console | no |
//! | `manage` | cancel, resend | queues |
//! | `accept` | lookup, accept, decline | no |
//! | `remind` | the EventBridge Scheduler ticks (reminders, emails to post again, expiries) | queues |
//! | `send` | the SQS queue of due emails | yes, at SES's rate |
//! | `feedback` | SES bounce and complaint events, through EventBridge | no |
//! | `publish` | the table's stream: audit events, forwarded to EventBridge | no |

pub mod config;
pub mod deployment;
pub mod function;
pub mod logs;
pub mod permissions;
pub mod sdk;

pub use config::{Config, ConfigError};
pub use deployment::{Deployment, FunctionQueue, NoQueue, Sending, StartQueue};
pub use function::Function;

use std::convert::Infallible;

use api::{
    HttpFunction,
    routes::{PathParams, Route},
};
use lambda_http::{
    Body, Request, RequestExt, Response,
    http::{HeaderValue, header},
    request::RequestContext,
    service_fn,
};

/// API Gateway answers over HTTPS only, on its own domain or a custom one: browsers that have
/// seen it once never try plain HTTP there for a year, subdomains included.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Starts an HTTP function whose handler is `F` and whose queue of due emails is `Q`: reads
/// its configuration, builds its clients once, then answers API Gateway requests until the
/// sandbox is shut down. A bad configuration ends the start with a message naming the
/// variable.
pub async fn serve_http<F: HttpFunction, Q: StartQueue>(
    function: Function,
) -> Result<(), lambda_http::Error> {
    let deployment = start::<Q>(function).await;
    let deployment = &deployment;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(answer_http::<F, Q>(deployment, request).await)
    }))
    .await
}

/// Answers one API Gateway request with `F`. API Gateway has matched the route already: its
/// route key names the operation and its path parameters come parsed. A request for a route
/// `F` does not answer is a 404, as if it did not exist. Every answer tells browsers to reach
/// the API over HTTPS only.
pub async fn answer_http<F: HttpFunction, Q: StartQueue>(
    deployment: &Deployment<Q>,
    request: Request,
) -> Response<Body> {
    // The route template (`POST /workgroups/{wg}/invitations`), never the path or the body.
    let route_key = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.route_key.clone(),
        _ => None,
    };
    let started = std::time::Instant::now();
    let mut response = match route_key.as_deref().and_then(Route::of_key) {
        Some(route) => {
            let params = PathParams::of_api_gateway(&request);
            let sign_in = &deployment.config.sign_in;
            api::answer::<F, _, _, _>(&deployment.app, route.operation, params, sign_in, &request)
                .await
        }
        None => api::problem::Problem::not_found("no such route").into_response(),
    };
    let headers = response.headers_mut();
    api::common_headers(headers);
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
    );
    tracing::info!(
        route = route_key.as_deref().unwrap_or("-"),
        status = response.status().as_u16(),
        millis = started.elapsed().as_millis() as u64,
        "answered"
    );
    let context = request.lambda_context_ref();
    aws::emf::flush(
        deployment.config.function.name(),
        aws::emf::Invocation {
            request_id: context.map(|c| c.request_id.as_str()),
            trace_id: context.and_then(|c| c.xray_trace_id.as_deref()),
        },
    );
    response
}

/// Handles one event with `handler`, then writes the business metrics it recorded.
pub async fn flushed<E, T, F: Future<Output = T>>(
    function: Function,
    event: lambda_runtime::LambdaEvent<E>,
    handler: impl FnOnce(lambda_runtime::LambdaEvent<E>) -> F,
) -> T {
    let context = event.context.clone();
    let answer = handler(event).await;
    aws::emf::flush(
        function.name(),
        aws::emf::Invocation {
            request_id: Some(&context.request_id),
            trace_id: context.xray_trace_id.as_deref(),
        },
    );
    answer
}

/// Starts the feedback function's one need: the table.
pub async fn table_only(function: Function) -> aws::DynamoStore {
    logs::init();
    let table = or_exit(
        function,
        config::table_from_lookup(|name| std::env::var(name).ok()),
    );
    let sdk = or_exit(function, sdk::sdk_config(env).await);
    aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table)
}

/// Starts the publish function's one need: the EventBridge bus.
pub async fn bus_only(function: Function) -> aws::EventPublisher {
    logs::init();
    let bus = or_exit(
        function,
        config::required_from_lookup(config::EVENT_BUS_NAME, |name| std::env::var(name).ok()),
    );
    let sdk = or_exit(function, sdk::sdk_config(env).await);
    aws::EventPublisher::new(aws_sdk_eventbridge::Client::new(&sdk), bus)
}

/// Builds the function, or ends the process: Lambda reports the failed init, and the log line
/// (JSON like every other) names what is wrong.
pub async fn start<Q: StartQueue>(function: Function) -> Deployment<Q> {
    logs::init();
    let config = or_exit(function, Config::from_env(function));
    let sdk = or_exit(function, sdk::sdk_config(env).await);
    or_exit(function, Deployment::connect(config, &sdk).await)
}

/// Starts the send function: as [`start`], and SES.
pub async fn start_sending(function: Function) -> Sending {
    logs::init();
    let config = or_exit(function, Config::from_env(function));
    let sdk = or_exit(function, sdk::sdk_config(env).await);
    or_exit(function, Sending::connect(config, &sdk).await)
}

/// A variable of the process's environment.
fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// The started value, or the end of the process with one log line naming what is wrong.
fn or_exit<T, E: std::fmt::Display>(function: Function, started: Result<T, E>) -> T {
    started.unwrap_or_else(|error| {
        tracing::error!(function = function.name(), %error, "cannot start");
        std::process::exit(1)
    })
}
