//! The local server on DynamoDB, SQS and SES (moto): the very same code as the functions, with
//! the server's own sender draining the SQS queue into SES at the configured rate.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::local_server::LocalServer;

#[tokio::test(flavor = "multi_thread")]
async fn invitations_go_through_an_sqs_queue_to_ses() {
    let moto = tests::moto::moto();
    let sdk = moto.sdk_config().await;
    aws_sdk_sesv2::Client::new(&sdk)
        .create_email_identity()
        .email_identity("sqs.example")
        .send()
        .await
        .expect("the sender's domain becomes an SES identity");
    let endpoint = moto.endpoint();
    let table = format!("sqs-local-{}", std::process::id());
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap().to_owned();
    let args = [
        "--data-dir",
        &data_dir,
        "--dynamodb-endpoint",
        &endpoint,
        "--ses-endpoint",
        &endpoint,
        "--sqs-endpoint",
        &endpoint,
        "--table",
        &table,
        "--sender",
        "invitations@sqs.example",
    ];
    let server = LocalServer::start(
        tests::binaries::local(),
        &args,
        &[
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
            ("AWS_REGION", "us-east-1"),
            ("RUST_LOG", "warn"),
        ],
    );
    let base = server.base.clone();
    let sent_to = |to: &str| {
        moto.sent_emails()
            .iter()
            .filter(|m| m["destinations"]["ToAddresses"][0] == to)
            .count()
    };
    let invited = tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let token: Value = agent
            .post(format!("{base}/dev/sign-in"))
            .send_json(json!({ "email": "ada@sqs.example" }))
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap();
        let auth = format!("Bearer {}", token["token"].as_str().unwrap());
        let created: Value = agent
            .post(format!("{base}/workgroups"))
            .header("Authorization", &auth)
            .send_json(json!({ "name": "Acme" }))
            .unwrap()
            .body_mut()
            .read_json()
            .unwrap();
        let wg = created["id"].as_str().unwrap().to_owned();
        agent
            .post(format!("{base}/workgroups/{wg}/invitations"))
            .header("Authorization", &auth)
            .send_json(
                json!({ "emails": "ann@people.example, bob@people.example", "role": "associate" }),
            )
            .unwrap()
            .body_mut()
            .read_json::<Value>()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(invited["results"][0]["invitation"]["delivery"], "queued");
    let deadline = Instant::now() + Duration::from_secs(30);
    while (sent_to("ann@people.example"), sent_to("bob@people.example")) != (1, 1) {
        assert!(
            Instant::now() < deadline,
            "the sender did not hand the emails to SES"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The queue was SQS: the server created `<table>-emails` there.
    aws_sdk_sqs::Client::new(&sdk)
        .get_queue_url()
        .queue_name(format!("{table}-emails"))
        .send()
        .await
        .expect("the server's queue is in SQS");
    drop(server);
}
