//! CloudWatch Embedded Metric Format: the business metrics of one invocation as one JSON log
//! line, which CloudWatch Logs turns into metrics. No call to CloudWatch, no agent.

use std::io::Write;

use domain::metrics::{DIMENSION, NAMESPACE, Recorded};
use serde_json::{Map, Value, json};

/// The invocation a document's metrics were recorded in: its ids become properties, so the
/// line can be found with the invocation's other lines (never a dimension: too many values).
#[derive(Debug, Clone, Copy, Default)]
pub struct Invocation<'a> {
    pub request_id: Option<&'a str>,
    pub trace_id: Option<&'a str>,
}

/// The EMF document of `recorded`, as `function` recorded it at `timestamp_ms`; `None` when
/// nothing was recorded. Each metric's value is a number, or an array of measurements.
pub fn document(
    function: &str,
    invocation: Invocation<'_>,
    timestamp_ms: i64,
    recorded: &[Recorded],
) -> Option<Value> {
    if recorded.is_empty() {
        return None;
    }
    let definitions: Vec<Value> = recorded
        .iter()
        .map(|r| json!({"Name": r.metric.name(), "Unit": r.metric.unit().as_str()}))
        .collect();
    let mut document = Map::new();
    document.insert(
        "_aws".into(),
        json!({
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [[DIMENSION]],
                "Metrics": definitions,
            }],
        }),
    );
    document.insert(DIMENSION.into(), Value::from(function));
    let ids = [
        ("requestId", invocation.request_id),
        ("xrayTraceId", invocation.trace_id),
    ];
    for (name, id) in ids {
        if let Some(id) = id {
            document.insert(name.into(), Value::from(id));
        }
    }
    for r in recorded {
        let value = match r.values.as_slice() {
            [one] => json!(one),
            many => json!(many),
        };
        document.insert(r.metric.name().into(), value);
    }
    Some(Value::Object(document))
}

/// Takes what was recorded since the last call and writes it as one EMF line to stdout, where
/// Lambda sends it to CloudWatch Logs beside the function's other lines.
pub fn flush(function: &str, invocation: Invocation<'_>) {
    let now = chrono::Utc::now().timestamp_millis();
    if let Some(document) = document(function, invocation, now, &domain::metrics::take()) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{document}");
    }
}

#[cfg(test)]
mod tests {
    use domain::metrics::Metric;

    use super::*;

    #[test]
    fn a_document_declares_each_metric_and_carries_its_value_and_dimension() {
        let recorded = [
            Recorded {
                metric: Metric::InvitationsSent,
                values: vec![2.0],
            },
            Recorded {
                metric: Metric::SweepDuration,
                values: vec![3.0, 4.5],
            },
        ];
        let invocation = Invocation {
            request_id: Some("req-1"),
            trace_id: None,
        };
        let written = document("invite", invocation, 1_800_000_000_000, &recorded).unwrap();
        assert_eq!(
            written,
            json!({
                "_aws": {
                    "Timestamp": 1_800_000_000_000i64,
                    "CloudWatchMetrics": [{
                        "Namespace": "WorkgroupInvitations",
                        "Dimensions": [["Function"]],
                        "Metrics": [
                            {"Name": "InvitationsSent", "Unit": "Count"},
                            {"Name": "SweepDuration", "Unit": "Milliseconds"},
                        ],
                    }],
                },
                "Function": "invite",
                "requestId": "req-1",
                "InvitationsSent": 2.0,
                "SweepDuration": [3.0, 4.5],
            })
        );
        assert_eq!(document("invite", invocation, 0, &[]), None);
    }
}
