//! JSON logs, one object per line, each inside the runtime's span carrying the request id and
//! the X-Ray trace id (`span.requestId`, `span.xrayTraceId`).
//!
//! The level comes from Lambda's advanced logging controls (`AWS_LAMBDA_LOG_LEVEL`) or
//! `RUST_LOG`, but the runtime, the HTTP stack and the SDK are held at `info` whatever is asked:
//! at `trace` they print whole events and request bodies, which carry bearer tokens, invitation
//! tokens and email bodies.

use tracing::Level;
use tracing_subscriber::{
    Layer,
    filter::{FilterExt, LevelFilter, Targets, filter_fn},
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
    // The runtime's per-invocation span carries the request and trace ids: it stays enabled
    // whatever the level, or a `warn` level would log warnings without them.
    let invocation =
        filter_fn(|metadata| metadata.is_span() && metadata.target() == INVOCATION_SPAN_TARGET);
    // A level, not an `EnvFilter`: its directive syntax is not needed here, and it linked
    // the regex engines into every function.
    level.and(held).or(invocation)
}

/// Where `lambda_runtime` makes its span of each invocation.
const INVOCATION_SPAN_TARGET: &str = "lambda_runtime::layers::trace";

/// The JSON layer, writing to `writer`.
fn layer<S, W>(asked: Option<&str>, writer: W) -> impl Layer<S>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    W: for<'w> tracing_subscriber::fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    tracing_subscriber::fmt::layer()
        .json()
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_writer(writer)
        .with_filter(filter(asked))
}

/// Installs the subscriber: JSON on stdout, which Lambda sends to CloudWatch Logs.
pub fn init() {
    let asked = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok();
    let layer = layer(asked.as_deref(), std::io::stdout);
    // A second init (tests start several functions in one process) keeps the first.
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// What the layer wrote, line by line.
    #[derive(Clone, Default)]
    struct Written(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Written {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn logged(asked: &str) -> Vec<serde_json::Value> {
        let written = Written::default();
        let sink = written.clone();
        let subscriber =
            tracing_subscriber::registry().with(layer(Some(asked), move || sink.clone()));
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                target: "lambda_runtime::layers::trace",
                "Lambda runtime invoke",
                requestId = "req-1",
                xrayTraceId = "Root=1-abc"
            );
            let _entered = span.enter();
            tracing::info!("noted");
            tracing::warn!("worrying");
        });
        let text = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn every_line_carries_the_request_and_trace_ids_whatever_the_level() {
        for (asked, lines) in [("info", 2), ("warn", 1), ("error", 0)] {
            let logged = logged(asked);
            assert_eq!(logged.len(), lines, "{asked}: {logged:?}");
            for line in logged {
                assert_eq!(line["span"]["requestId"], "req-1", "{asked}: {line}");
                assert_eq!(line["span"]["xrayTraceId"], "Root=1-abc", "{asked}: {line}");
            }
        }
    }
}
