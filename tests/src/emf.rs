//! CloudWatch Embedded Metric Format documents, checked against the specification's shape and
//! against what this service's documents may hold: declared metrics, the `Function` dimension,
//! the invocation's ids, and nothing else (never a workgroup, an address or a token).

use std::collections::BTreeMap;

use domain::metrics::{DIMENSION, Metric, NAMESPACE};
use serde_json::{Value, json};

/// CloudWatch's units, as the specification lists them.
const UNITS: [&str; 27] = [
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
];

/// Members a document may hold besides its metrics: the directive, the dimension, the ids.
const OTHER_MEMBERS: [&str; 4] = ["_aws", DIMENSION, "requestId", "xrayTraceId"];

/// What documents carried of one metric: its values' sum and how many values.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Seen {
    pub sum: f64,
    pub values: usize,
}

/// Whether a log line is an EMF document.
pub fn is_emf(line: &Value) -> bool {
    line.get("_aws").is_some()
}

/// Checks one document written by `function` and adds its metrics to `seen`, by name. Panics
/// naming what is wrong.
pub fn check(document: &Value, function: &str, seen: &mut BTreeMap<String, Seen>) {
    let directive = &document["_aws"];
    assert!(
        directive["Timestamp"]
            .as_i64()
            .is_some_and(|ms| ms > 1_600_000_000_000),
        "Timestamp in epoch milliseconds: {document}"
    );
    let metrics = directive["CloudWatchMetrics"]
        .as_array()
        .unwrap_or_else(|| panic!("CloudWatchMetrics is an array: {document}"));
    assert_eq!(metrics.len(), 1, "one directive: {document}");
    let metrics = &metrics[0];
    assert_eq!(metrics["Namespace"], NAMESPACE, "{document}");
    assert_eq!(
        metrics["Dimensions"],
        json!([[DIMENSION]]),
        "one dimension set, Function only: {document}"
    );
    assert_eq!(
        document[DIMENSION], function,
        "the dimension's member: {document}"
    );
    let declared = metrics["Metrics"]
        .as_array()
        .filter(|declared| !declared.is_empty() && declared.len() <= 100)
        .unwrap_or_else(|| panic!("1 to 100 metric definitions: {document}"));
    let mut names = Vec::new();
    for definition in declared {
        let name = definition["Name"].as_str().expect("a metric's Name");
        let unit = definition["Unit"].as_str().expect("a metric's Unit");
        assert!(UNITS.contains(&unit), "{unit} is no CloudWatch unit");
        let metric = Metric::ALL
            .into_iter()
            .find(|m| m.name() == name)
            .unwrap_or_else(|| panic!("{name} is not one of the code's metrics"));
        assert_eq!(unit, metric.unit().as_str(), "{name}'s unit");
        let values = match &document[name] {
            Value::Number(n) => vec![n.as_f64().unwrap()],
            Value::Array(items) if !items.is_empty() && items.len() <= 100 => items
                .iter()
                .map(|v| v.as_f64().unwrap_or_else(|| panic!("{name}: {v}")))
                .collect(),
            other => panic!("{name} is declared but its member is {other}: {document}"),
        };
        let entry = seen.entry(name.to_owned()).or_default();
        entry.sum += values.iter().sum::<f64>();
        entry.values += values.len();
        names.push(name);
    }
    for (member, value) in document.as_object().expect("an object") {
        assert!(
            names.contains(&member.as_str()) || OTHER_MEMBERS.contains(&member.as_str()),
            "{member} is neither a metric nor a known member: {document}"
        );
        if let Value::String(text) = value {
            for personal in ["@", "wg_", "inv_", "token"] {
                assert!(!text.contains(personal), "{member} holds {text:?}");
            }
        }
    }
}
