//! The Lambda functions. Each binary in `src/bin` is one function and its `main` is two lines:
//! everything it does at cold start (configuration, logs, clients, the secret key) is here, once
//! for all of them, so the functions differ only in which routes or event they answer.
//!
//! | binary | answers | sends email |
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
pub mod feedback;
pub mod function;
pub mod logs;
pub mod permissions;
pub mod publish;
pub mod remind;
pub mod send;

pub use config::{Config, ConfigError};
pub use deployment::Deployment;
pub use function::Function;

use std::convert::Infallible;

use lambda_http::{
    Body, Request, RequestExt, Response,
    http::{HeaderValue, header},
    request::RequestContext,
    service_fn,
};

/// API Gateway answers over HTTPS only, on its own domain or a custom one: browsers that have
/// seen it once never try plain HTTP there for a year, subdomains included.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Starts an HTTP function: reads its configuration, builds its clients once, then answers API
/// Gateway requests until the sandbox is shut down. A bad configuration ends the start with a
/// message naming the variable.
pub async fn serve_http(function: Function) -> Result<(), lambda_http::Error> {
    if function.served().is_none() {
        return Err(format!("the {} function answers no HTTP route", function.name()).into());
    }
    let deployment = start(function).await;
    let deployment = &deployment;
    lambda_http::run(service_fn(move |request: Request| async move {
        Ok::<_, Infallible>(answer_http(deployment, request).await)
    }))
    .await
}

/// Answers one API Gateway request with the function's share of the API; any other route is a
/// 404, as if it did not exist. Every answer tells browsers to reach the API over HTTPS only.
pub async fn answer_http(deployment: &Deployment, request: Request) -> Response<Body> {
    // The route template (`POST /workgroups/{wg}/invitations`), never the path or the body.
    let route = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context.route_key.clone(),
        _ => None,
    };
    let started = std::time::Instant::now();
    let mut response = match deployment.config.function.served() {
        Some(served) => {
            let site = api::Site {
                served,
                sign_in: &deployment.config.sign_in,
            };
            api::handle(&deployment.app, site, request).await
        }
        None => Response::builder()
            .status(404)
            .body(Body::Empty)
            .expect("a valid response"),
    };
    let headers = response.headers_mut();
    api::common_headers(headers);
    headers.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
    );
    tracing::info!(
        route = route.as_deref().unwrap_or("-"),
        status = response.status().as_u16(),
        millis = started.elapsed().as_millis() as u64,
        "answered"
    );
    response
}

/// Starts the scheduled reminder function.
pub async fn serve_remind() -> Result<(), lambda_runtime::Error> {
    let deployment = start(Function::Remind).await;
    let deployment = &deployment;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        remind::handle(deployment, event)
    }))
    .await
}

/// Starts the send function: the SQS queue of due emails, handed to SES.
pub async fn serve_send() -> Result<(), lambda_runtime::Error> {
    let deployment = start(Function::Send).await;
    let deployment = &deployment;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        send::handle(deployment, event)
    }))
    .await
}

/// Starts the feedback function: SES bounce and complaint events, through EventBridge. It
/// needs only the table.
pub async fn serve_feedback() -> Result<(), lambda_runtime::Error> {
    logs::init();
    let table = or_exit(
        Function::Feedback,
        config::table_from_lookup(|name| std::env::var(name).ok()),
    );
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let store = aws::DynamoStore::new(aws_sdk_dynamodb::Client::new(&sdk), table);
    let store = &store;
    lambda_runtime::run(lambda_runtime::service_fn(move |event| {
        feedback::handle(store, event)
    }))
    .await
}

/// Starts the publish function: the table's stream of audit events, forwarded to the
/// EventBridge bus. It needs only the bus.
pub async fn serve_publish() -> Result<(), lambda_runtime::Error> {
    logs::init();
    let bus = or_exit(
        Function::Publish,
        config::required_from_lookup(config::EVENT_BUS_NAME, |name| std::env::var(name).ok()),
    );
    let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
    let publisher = aws::EventPublisher::new(aws_sdk_eventbridge::Client::new(&sdk), bus);
    let publisher = &publisher;
    lambda_runtime::run(lambda_runtime::service_fn(move |batch| {
        publish::handle(publisher, batch)
    }))
    .await
}

/// Builds the function, or ends the process: Lambda reports the failed init, and the log line
/// (JSON like every other) names what is wrong.
async fn start(function: Function) -> Deployment {
    logs::init();
    let started = async {
        let config = Config::from_env(function)?;
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Deployment::connect(config, &sdk).await
    };
    or_exit(function, started.await)
}

/// The started value, or the end of the process with one log line naming what is wrong.
fn or_exit<T, E: std::fmt::Display>(function: Function, started: Result<T, E>) -> T {
    started.unwrap_or_else(|error| {
        tracing::error!(function = function.name(), %error, "cannot start");
        std::process::exit(1)
    })
}
