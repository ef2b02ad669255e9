//! The dashboards against the code: every business metric the code emits is on the dashboard of
//! both templates, under the code's namespace and dimension, and the dashboards name no other.

use std::collections::BTreeSet;

use domain::metrics::{DIMENSION, Metric, NAMESPACE};
use tests::infra::{cdk_dir, infra_dir};

/// The code's metric names.
fn emitted() -> BTreeSet<String> {
    Metric::ALL.iter().map(|m| m.name().to_owned()).collect()
}

/// Every `<Name>` of `MetricName="<Name>"` in `text`, the quotes escaped or not.
fn searched_names(text: &str) -> BTreeSet<String> {
    text.split("MetricName=")
        .skip(1)
        .map(|rest| {
            let rest = rest.trim_start_matches(['\\', '"']);
            let end = rest.find(['\\', '"']).expect("a closing quote");
            rest[..end].to_owned()
        })
        .collect()
}

#[test]
fn the_sam_dashboard_searches_every_metric_the_code_emits_and_no_other() {
    let template = std::fs::read_to_string(infra_dir().join("template.yaml")).unwrap();
    assert_eq!(searched_names(&template), emitted());
    let searches: Vec<&str> = template.split("SEARCH('").skip(1).collect();
    assert!(!searches.is_empty());
    let schema = format!("{{{NAMESPACE},{DIMENSION}}}");
    for search in searches {
        if search.contains("MetricName=") {
            assert!(search.starts_with(&schema), "{search}");
        }
    }
}

#[test]
fn the_cdk_dashboard_lists_every_metric_the_code_emits_and_no_other() {
    let dashboard = std::fs::read_to_string(cdk_dir().join("lib/dashboard.ts")).unwrap();
    let listed = dashboard
        .split_once("BUSINESS_METRICS = [")
        .and_then(|(_, rest)| rest.split_once(']'))
        .expect("the CDK app lists BUSINESS_METRICS")
        .0;
    let listed: BTreeSet<String> = listed
        .split(',')
        .map(|item| item.trim().trim_matches('\'').to_owned())
        .filter(|name| !name.is_empty())
        .collect();
    assert_eq!(listed, emitted());
    assert!(
        dashboard.contains(&format!("NAMESPACE = '{NAMESPACE}'")),
        "the CDK app's namespace is the code's"
    );
    assert!(dashboard.contains(&format!("{{${{NAMESPACE}},{DIMENSION}}}")));
}
