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
