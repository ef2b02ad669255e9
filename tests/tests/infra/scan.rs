//! The template scan: checkov (pinned) on the SAM template and on the CDK app's synthesised
//! template. Every finding is either fixed in the template or skipped next to its resource with
//! a one-line reason (`Metadata: checkov: skip`); docs/deploying.md lists the decisions. The
//! test fails on any failed check, on a skip without a reason, and on a template checkov could
//! not read.

use std::path::Path;

use serde_json::Value;
use tests::infra::{cdk_template, checkov, infra_dir};

/// Scans `template`; panics on what is neither fixed nor explained; returns (passed, skipped).
fn scan(name: &str, template: &Path) -> (usize, usize) {
    let output = checkov()
        .arg("--file")
        .arg(template)
        .output()
        .expect("checkov runs");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: checkov's report is not JSON ({e}):\n{}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    // One framework: one report (a list when there are several).
    let report = match report {
        Value::Array(mut reports) => {
            assert_eq!(reports.len(), 1, "{name}: one report");
            reports.remove(0)
        }
        one => one,
    };
    assert_eq!(report["check_type"], "cloudformation", "{name}: {report}");
    let summary = &report["summary"];
    assert_eq!(summary["parsing_errors"], 0, "{name}: {summary}");
    let results = &report["results"];
    let list = |key: &str| results[key].as_array().cloned().unwrap_or_default();
    let failed: Vec<String> = list("failed_checks")
        .iter()
        .map(|c| format!("{} {} on {}", c["check_id"], c["check_name"], c["resource"]))
        .collect();
    assert!(
        failed.is_empty(),
        "{name}: {} findings neither fixed nor skipped with a reason:\n{}",
        failed.len(),
        failed.join("\n")
    );
    let skipped = list("skipped_checks");
    for check in &skipped {
        let reason = check["check_result"]["suppress_comment"]
            .as_str()
            .unwrap_or_default();
        assert!(
            reason.len() >= 10,
            "{name}: {} on {} is skipped without a reason",
            check["check_id"],
            check["resource"]
        );
    }
    let passed = list("passed_checks").len();
    assert!(passed > 0, "{name}: checkov checked nothing: {summary}");
    (passed, skipped.len())
}

#[test]
fn checkov_finds_nothing_unanswered_in_either_template() {
    let (_, sam_skipped) = scan("SAM", &infra_dir().join("template.yaml"));
    let out = tempfile::tempdir().unwrap();
    let (_, cdk_skipped) = scan("CDK", &cdk_template(out.path()));
    // The same choices in both: one skip per resource and check, on the same resources.
    assert_eq!(sam_skipped, cdk_skipped, "the same skips in both templates");
}
