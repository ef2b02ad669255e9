//! JSON logs, one object per line, each inside the runtime's span carrying the request id.
//!
//! The level comes from Lambda's advanced logging controls (`AWS_LAMBDA_LOG_LEVEL`) or
//! `RUST_LOG`, but the runtime, the HTTP stack and the SDK are held at `info` whatever is asked:
//! at `trace` they print whole events and request bodies, which carry bearer tokens, invitation
//! tokens and email bodies.

use tracing::Level;
use tracing_subscriber::{
    Layer,
    filter::{FilterExt, LevelFilter, Targets},
    layer::SubscriberExt,
    util::SubscriberInitExt,
};

/// Crates whose debug and trace output may contain secrets or personal data.
pub const HELD_AT_INFO: [&str; 9] = [
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
    "aws_smithy_runtime",
    "aws_smithy_http_client",
    "aws_sdk_dynamodb",
    "aws_sdk_sesv2",
    "aws_sdk_secretsmanager",
    "hyper",
];

/// The filter for everything below `HELD_AT_INFO` and the level asked for.
pub fn filter<S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>>(
    asked: Option<&str>,
) -> impl tracing_subscriber::layer::Filter<S> + use<S> {
    let level = asked
        .and_then(|level| level.parse::<LevelFilter>().ok())
        .unwrap_or(LevelFilter::INFO);
    let held = HELD_AT_INFO.iter().fold(
        Targets::new().with_default(Level::TRACE),
        |targets, name| targets.with_target(*name, Level::INFO),
    );
    // A level, not an `EnvFilter`: its directive syntax is not needed here, and it linked
    // the regex engines into every function.
    level.and(held)
}

/// Installs the subscriber: JSON on stdout, which Lambda sends to CloudWatch Logs.
pub fn init() {
    let asked = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let layer = tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_filter(filter(asked.as_deref()));
    // A second init (tests start several functions in one process) keeps the first.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}
