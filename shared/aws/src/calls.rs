//! An SDK interceptor that records every operation a client starts (once, before its request is
//! serialised, so retries are not counted again), so tests can count the
//! DynamoDB and SES calls of each use case (and prove that none is a `Scan`).

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        interceptors::{Intercept, context::BeforeSerializationInterceptorContextRef},
        orchestrator::Metadata,
        runtime_components::RuntimeComponents,
    },
};
use aws_smithy_types::config_bag::ConfigBag;

/// One operation a client started (retries of it are not counted again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub service: String,
    pub operation: String,
}

/// The calls seen so far; clones share one log. Attach it with
/// `aws_sdk_dynamodb::config::Builder::from(&sdk_config).interceptor(log.clone())`.
#[derive(Debug, Clone, Default)]
pub struct CallLog {
    calls: Arc<Mutex<Vec<Call>>>,
}

impl CallLog {
    /// Everything recorded since the last `take`.
    pub fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// How many calls of `operation` (e.g. `"Scan"`) are recorded now.
    pub fn count(&self, operation: &str) -> usize {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|call| call.operation == operation)
            .count()
    }

    /// The operations recorded now, in the order they started (e.g. `["Query", "PutItem"]`).
    pub fn operations(&self) -> Vec<String> {
        self.calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|call| call.operation.clone())
            .collect()
    }
}

impl Intercept for CallLog {
    fn name(&self) -> &'static str {
        "CallLog"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(metadata) = cfg.load::<Metadata>() {
            self.calls
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(Call {
                    service: metadata.service().to_owned(),
                    operation: metadata.name().to_owned(),
                });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use aws_sdk_dynamodb::{
        Client,
        config::{Credentials, Region, retry::RetryConfig},
        types::AttributeValue,
    };
    use aws_smithy_runtime_api::{
        client::{
            http::{HttpConnector, HttpConnectorFuture, SharedHttpConnector, http_client_fn},
            orchestrator::{HttpRequest, HttpResponse},
        },
        http::StatusCode,
    };
    use aws_smithy_types::body::SdkBody;

    use super::*;

    /// Answers the first `failures` requests with a retryable 500, then every one with `{}`.
    #[derive(Debug)]
    struct Flaky {
        failures: usize,
        seen: Arc<AtomicUsize>,
    }

    impl HttpConnector for Flaky {
        fn call(&self, _request: HttpRequest) -> HttpConnectorFuture {
            let n = self.seen.fetch_add(1, Ordering::SeqCst);
            let (status, body) = if n < self.failures {
                (
                    500,
                    r#"{"__type":"InternalServerError","message":"try again"}"#,
                )
            } else {
                (200, "{}")
            };
            HttpConnectorFuture::ready(Ok(HttpResponse::new(
                StatusCode::try_from(status).unwrap(),
                SdkBody::from(body),
            )))
        }
    }

    fn client(log: &CallLog, failures: usize, seen: &Arc<AtomicUsize>) -> Client {
        let seen = seen.clone();
        let config = aws_sdk_dynamodb::Config::builder()
            .behavior_version_latest()
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("test", "test", None, None, "test"))
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(
                RetryConfig::standard()
                    .with_max_attempts(3)
                    .with_initial_backoff(std::time::Duration::from_millis(1)),
            )
            .http_client(http_client_fn(move |_, _| {
                SharedHttpConnector::new(Flaky {
                    failures,
                    seen: seen.clone(),
                })
            }))
            .interceptor(log.clone())
            .build();
        Client::from_conf(config)
    }

    #[tokio::test]
    async fn each_operation_is_recorded_once_with_its_service_even_when_retried() {
        let log = CallLog::default();
        let seen = Arc::new(AtomicUsize::new(0));
        let client = client(&log, 2, &seen);
        client
            .get_item()
            .table_name("t")
            .key("pk", AttributeValue::S("a".into()))
            .send()
            .await
            .expect("the third attempt succeeds");
        client
            .query()
            .table_name("t")
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S("a".into()))
            .send()
            .await
            .expect("the query succeeds");

        assert_eq!(
            seen.load(Ordering::SeqCst),
            4,
            "two failed attempts, then two answers"
        );
        assert_eq!(log.operations(), ["GetItem", "Query"]);
        assert_eq!(log.count("GetItem"), 1);
        assert_eq!(log.count("Scan"), 0);
        assert_eq!(
            log.take(),
            [
                Call {
                    service: "DynamoDB".into(),
                    operation: "GetItem".into()
                },
                Call {
                    service: "DynamoDB".into(),
                    operation: "Query".into()
                },
            ]
        );
        assert!(log.take().is_empty(), "take empties the log");
    }

    #[tokio::test]
    async fn clones_share_one_log_and_a_failed_call_still_counts() {
        let log = CallLog::default();
        let seen = Arc::new(AtomicUsize::new(0));
        let client = client(&log.clone(), usize::MAX, &seen);
        client
            .get_item()
            .table_name("t")
            .key("pk", AttributeValue::S("a".into()))
            .send()
            .await
            .expect_err("every attempt fails");
        assert_eq!(seen.load(Ordering::SeqCst), 3, "the SDK tried three times");
        assert_eq!(log.count("GetItem"), 1);
    }
}
