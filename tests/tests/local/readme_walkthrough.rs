//! The README's curl walk-through, run exactly as written against a freshly started server.

use std::{process::Command, time::Duration};

use tests::local_server::LocalServer;

/// The first ```bash block of the README.
fn walkthrough() -> String {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("```bash\n")
        .expect("the README has a bash block")
        + "```bash\n".len();
    let end = start + readme[start..].find("\n```").expect("the block ends");
    readme[start..end].to_owned()
}

#[test]
fn the_readme_walkthrough_works_as_written() {
    let stdout = run_walkthrough(&[]);
    assert_story(&stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_readme_walkthrough_works_unchanged_on_dynamodb_and_ses() {
    let moto = tests::moto::moto();
    let sdk = moto.sdk_config().await;
    aws_sdk_sesv2::Client::new(&sdk)
        .create_email_identity()
        .email_identity("example.com")
        .send()
        .await
        .expect("the sender's domain becomes an SES identity");
    let table = format!("walkthrough-{}", std::process::id());
    let endpoint = moto.endpoint();
    let args = [
        "--dynamodb-endpoint",
        &endpoint,
        "--ses-endpoint",
        &endpoint,
        "--table",
        &table,
        "--sender",
        "invitations@example.com",
    ];
    let stdout = tokio::task::spawn_blocking({
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        move || run_walkthrough(&args.iter().map(String::as_str).collect::<Vec<_>>())
    })
    .await
    .unwrap();
    assert_story(&stdout);

    let sent: Vec<String> = moto
        .sent_emails()
        .iter()
        .filter(|m| {
            m["source"]
                .as_str()
                .is_some_and(|s| s.contains("invitations@example.com"))
        })
        .flat_map(|m| {
            m["destinations"]["ToAddresses"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter_map(|to| to.as_str().map(str::to_owned))
        .collect();
    for invitee in ["ann@example.com", "bob@example.com"] {
        assert!(
            sent.iter().any(|to| to == invitee),
            "SES got no email to {invitee}: {sent:?}"
        );
    }
}

/// Starts the server with `args`, runs the README's bash block against it and returns what
/// the block printed.
fn run_walkthrough(args: &[&str]) -> String {
    let data = tempfile::tempdir().unwrap();
    let server = LocalServer::start(
        tests::binaries::local(),
        args,
        &[
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
            ("LOCAL_DATA_DIR", data.path().to_str().unwrap()),
            ("RUST_LOG", "warn"),
        ],
    );
    let api = &server.base;
    // `cargo run -q -p local -- ARGS` stands for the binary this test was built with.
    let bin = tests::binaries::local();
    let shim = format!(
        "cargo() {{ local all=\"$*\"; [ \"${{all#run -q -p local -- }}\" != \"$all\" ] || {{ echo \"unexpected: cargo $*\" >&2; return 99; }}; shift 5; '{bin}' \"$@\"; }}\n"
    );
    let script = format!("set -euo pipefail\n{shim}{}\n", walkthrough());
    let output = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .env("API", api)
        .env("LOCAL_DATA_DIR", data.path())
        .output()
        .expect("bash runs");
    // On the embedded store the server publishes the trail to `events.jsonl` (every half
    // second): the story's last change gets there.
    if !args.contains(&"--dynamodb-endpoint") {
        let file = data.path().join("events.jsonl");
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        let published = loop {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if text.contains("agent.removed") || std::time::Instant::now() > deadline {
                break text;
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        for change in [
            "invitation.cancelled",
            "agent.role_changed",
            "agent.removed",
        ] {
            assert!(
                published.contains(change),
                "{change} was not published to {}: {published}",
                file.display()
            );
        }
        for line in published.lines() {
            let event: serde_json::Value = serde_json::from_str(line).expect("one JSON per line");
            let kind = event["type"].as_str().unwrap();
            assert!(
                kind.starts_with("invitation.") || kind.starts_with("agent."),
                "{kind}"
            );
        }
    }
    drop(server);
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "the walk-through failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn assert_story(stdout: &str) {
    for expected in [
        r#""outcome": "invited""#,
        r#""status": "pending""#,
        r#""registration_needed": true"#,
        r#""name": "Ann Lee""#,
        r#""status": "declined""#,
        "204",
        r#""role": "administrator""#,
        r#""role": "manager""#,
        r#""type": "invitation.declined""#,
        r#""actor": "bob@example.com""#,
        r#""type": "invitation.cancelled""#,
        r#""workgroup": "Acme IT""#,
        r#""role": "associate""#,
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected} in:\n{stdout}"
        );
    }
    assert!(
        !stdout.contains(r#""status": 4"#),
        "a step answered an error:\n{stdout}"
    );
}
