//! The deployment templates, checked offline: cfn-lint and `sam validate --lint` on the SAM
//! template, `cdk synth` with the CDK app's own assertion tests and cfn-lint on its output, and
//! both templates read back against the code: every environment variable, key attribute, index,
//! the TTL attribute, every route with its authorizer, each function's grants, and the queue of
//! due emails with its dead-letter queue, its consumer and its alarms.

use std::collections::{BTreeMap, BTreeSet};

use api::routes::ROUTES;
use aws::dynamo::table::{
    GLOBAL_INDEXES, Index, LOCAL_INDEXES, PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE, key_attributes,
};
use runtime::{Function, config::VARIABLES};
use serde_json::Value;
use tests::{
    infra::{cdk_template, checked, infra_dir, npx, sam_template, tool},
    rehearsal::is_id_of,
};

mod template;

use template::Template;

/// The queue of due emails, its dead-letter queue, the send function's event source on it, and
/// their alarms, by logical id (the CDK adds a hash).
const EMAILS_QUEUE: &str = "EmailsQueue";
const EMAILS_DEAD_LETTERS: &str = "EmailsDeadLetters";
/// Receives before an email goes to the dead-letter queue: half an hour at the visibility
/// timeout's pace (the table still holds the email as due, and its sweep posts it again).
const MAX_RECEIVES: u64 = 5;
/// Emails per invocation of the send function.
const BATCH_SIZE: u64 = 10;
/// Instances of the send function at once: the fewest an SQS event source allows (they share
/// the sending rate through the table anyway).
const MAX_CONCURRENCY: u64 = 2;
/// The oldest email the queue may hold before its alarm fires.
const BEHIND_SECONDS: u64 = 3600;
/// Every queue keeps what it holds 14 days.
const RETENTION_SECONDS: u64 = 14 * 24 * 3600;

#[test]
fn cfn_lint_finds_nothing_in_the_sam_template() {
    checked(tool("cfn-lint").arg(infra_dir().join("template.yaml")))
        .unwrap_or_else(|why| panic!("{why}"));
}

#[test]
fn sam_validate_lint_passes() {
    checked(
        tool("sam")
            .args(["validate", "--lint"])
            .current_dir(infra_dir()),
    )
    .unwrap_or_else(|why| panic!("{why}"));
}

#[test]
fn the_cdk_app_passes_its_assertion_tests() {
    let output = checked(&mut npx(&[
        "node",
        "--test",
        "--require",
        "ts-node/register",
        "test/stack.test.ts",
    ]))
    .unwrap_or_else(|why| panic!("{why}"));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("# fail 0"), "{report}");
    assert!(!report.contains("# pass 0"), "{report}");
}

#[test]
fn both_templates_match_the_code() {
    let out = tempfile::tempdir().unwrap();
    let cdk_path = cdk_template(out.path());
    // cfn-lint on the synthesised template; W3005 (a redundant DependsOn) is how the CDK writes
    // every function's role.
    checked(tool("cfn-lint").arg(&cdk_path).arg("--ignore-checks=W3005"))
        .unwrap_or_else(|why| panic!("{why}"));
    let cdk: Value = serde_json::from_slice(&std::fs::read(&cdk_path).unwrap()).unwrap();
    let sam = sam_template();

    for (name, template) in [("SAM", Template::sam(&sam)), ("CDK", Template::cdk(&cdk))] {
        template.check_table(name);
        for function in Function::ALL {
            let expected: BTreeSet<&str> = VARIABLES
                .iter()
                .filter(|v| v.read_by(function))
                .map(|v| v.name)
                .collect();
            let set = template.environment(function);
            let set: BTreeSet<&str> = set.iter().map(String::as_str).collect();
            assert_eq!(set, expected, "{name}: environment of {function:?}");
            assert_eq!(
                template.grants(function),
                expected_grants(function),
                "{name}: grants of {function:?}"
            );
        }
        let expected_routes: BTreeSet<(String, &str, bool)> = ROUTES
            .iter()
            .map(|r| {
                (
                    r.key(),
                    tests::harness::function_of(r.operation),
                    r.authenticated,
                )
            })
            .collect();
        assert_eq!(template.routes(), expected_routes, "{name}: routes");
        template.check_publisher(name);
        template.check_emails_queue(name);
    }
}

/// `(action, resource)` pairs, resources named `table`, `index/<name>`, `stream`, `secret`,
/// `ses:identity/*`, `ses:configuration-set`, `events:bus`, `queue:emails`, `queue:stream
/// failures` and `*`.
fn expected_grants(function: Function) -> BTreeSet<(String, String)> {
    let permissions = function.permissions();
    let mut grants = BTreeSet::new();
    for action in permissions.item_actions {
        grants.insert((action.to_string(), "table".to_owned()));
    }
    if permissions.queries_table {
        grants.insert(("dynamodb:Query".to_owned(), "table".to_owned()));
    }
    for index in permissions.queried_indexes {
        grants.insert(("dynamodb:Query".to_owned(), format!("index/{index}")));
    }
    if permissions.reads_key {
        grants.insert((
            "secretsmanager:GetSecretValue".to_owned(),
            "secret".to_owned(),
        ));
    }
    if permissions.reads_stream {
        for action in runtime::permissions::STREAM_ACTIONS {
            grants.insert((action.to_owned(), "stream".to_owned()));
        }
        // Where the event source records the batches it gave up on.
        grants.insert((
            "sqs:SendMessage".to_owned(),
            "queue:stream failures".to_owned(),
        ));
    }
    if permissions.puts_events {
        grants.insert(("events:PutEvents".to_owned(), "events:bus".to_owned()));
    }
    if permissions.sends_email {
        grants.insert(("ses:SendEmail".to_owned(), "ses:identity/*".to_owned()));
        grants.insert((
            "ses:SendEmail".to_owned(),
            "ses:configuration-set".to_owned(),
        ));
        grants.insert(("ses:GetAccount".to_owned(), "*".to_owned()));
    }
    if permissions.posts_email {
        grants.insert(("sqs:SendMessage".to_owned(), "queue:emails".to_owned()));
    }
    if permissions.reads_queue {
        for action in runtime::permissions::QUEUE_ACTIONS {
            grants.insert((action.to_owned(), "queue:emails".to_owned()));
        }
    }
    grants
}
