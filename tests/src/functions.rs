//! A deployment's AWS side on moto: a table, the secret key, a verified sender and the
//! environment the templates give each function.

use crate::{aws_stack::AwsStack, harness::Answer, moto::moto};
use runtime::{Config, Deployment, Function, Sending};
use serde_json::Value;

/// The AWS side on moto, and the functions built on it as their `main`s build them.
pub struct Stack(pub AwsStack);

impl std::ops::Deref for Stack {
    type Target = AwsStack;
    fn deref(&self) -> &AwsStack {
        &self.0
    }
}

impl Stack {
    pub async fn new(label: &str) -> Self {
        Self(AwsStack::new(label).await)
    }

    pub fn config(&self, function: Function) -> Config {
        Config::from_lookup(function, |name| self.env.get(name).cloned())
            .expect("a complete configuration")
    }

    /// The publish function's publisher, on the stack's bus, as its `main` builds it.
    pub fn publisher(&self) -> aws::EventPublisher {
        aws::EventPublisher::new(
            aws_sdk_eventbridge::Client::new(&self.sdk),
            self.env["EVENT_BUS_NAME"].clone(),
        )
    }

    /// The function as its `main` builds it, on moto.
    pub async fn deploy(&self, function: Function) -> Deployment {
        Deployment::connect(self.config(function), &self.sdk)
            .await
            .expect("the function starts")
    }

    /// The send function as its `main` builds it, on moto.
    pub async fn sender(&self) -> Sending {
        Sending::connect(self.config(Function::Send), &self.sdk)
            .await
            .expect("the send function starts")
    }
}

/// Runs the send function over everything the stack's queue holds, batch by batch, as its
/// event source mapping would: a message it reports back is made visible again, the others
/// deleted. Returns how many messages it handled.
pub async fn drain(stack: &Stack, send: &Sending) -> usize {
    let queue = stack.queue();
    let mut handled = 0;
    while let Some(event) = stack.queued_batch(30).await {
        let records = event["Records"].as_array().cloned().unwrap_or_default();
        let payload = serde_json::from_value(event).expect("an SQS event");
        let response = send::handle(
            send,
            lambda_runtime::LambdaEvent::new(payload, lambda_runtime::Context::default()),
        )
        .await
        .expect("the batch is handled");
        let failed: Vec<String> = response
            .batch_item_failures
            .into_iter()
            .map(|failure| failure.item_identifier)
            .collect();
        for record in records {
            let receipt = record["receiptHandle"].as_str().unwrap_or_default();
            if failed.iter().any(|id| id == receipt) {
                queue.delay(receipt, 0).await.expect("given back");
            } else {
                queue.delete(receipt).await.expect("deleted");
                handled += 1;
            }
        }
        if !failed.is_empty() {
            // What SES asked to slow down for comes back at once here; let a second pass.
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
    handled
}

/// Sends one API Gateway event to a function, as `lambda_http` deserialises it.
pub async fn send(deployment: &Deployment, event: &Value) -> Answer {
    let request = lambda_http::request::from_str(&event.to_string())
        .expect("a valid API Gateway HTTP API event");
    let response = crate::harness::answer_http(deployment, request).await;
    answer_of(
        response.status().as_u16(),
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        response.body().as_ref(),
    )
}

pub fn answer_of(status: u16, content_type: Option<&str>, body: &[u8]) -> Answer {
    Answer {
        headers: Default::default(),
        status,
        content_type: content_type.map(str::to_owned),
        body: crate::harness::answer_body(content_type, body),
    }
}

/// Creates a workgroup through the `workgroups` function; its id.
pub async fn workgroup(workgroups: &Deployment, admin: &str, name: &str) -> String {
    let event = crate::harness::api_gateway_event(
        "POST",
        "/workgroups",
        Some(admin),
        Some(serde_json::json!({ "name": name })),
    );
    let created = send(workgroups, &event).await;
    created.assert_ok(201)["id"].as_str().unwrap().to_owned()
}

/// The accept token of the latest email moto's SES received for `to`.
pub fn latest_token(to: &str) -> String {
    let emails = moto().sent_emails();
    let email = emails
        .iter()
        .rev()
        .find(|e| e["destinations"]["ToAddresses"][0] == to)
        .unwrap_or_else(|| panic!("no email to {to}"));
    let body = email["body"].as_str().expect("a body");
    let start = body.find("#token=").expect("an accept link") + "#token=".len();
    body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// How many emails moto's SES received for `to`.
pub fn emails_to(to: &str) -> usize {
    moto()
        .sent_emails()
        .iter()
        .filter(|e| e["destinations"]["ToAddresses"][0] == to)
        .count()
}

/// An EventBridge Scheduler tick as the templates' target input shapes it.
pub fn scheduler_event(time: &str) -> Value {
    serde_json::json!({
        "version": "0",
        "id": "d32c5kddcf5bb8c3",
        "detail-type": "Scheduled Event",
        "source": "aws.scheduler",
        "account": "123456789012",
        "time": time,
        "region": "us-east-1",
        "resources": ["arn:aws:scheduler:us-east-1:123456789012:schedule/default/invitations-reminders"],
        "detail": { "attempt": "1" }
    })
}

/// An SES event as EventBridge delivers it (the record SES publishes for a configuration set,
/// in an EventBridge envelope), for an email carrying `tags`.
pub fn ses_event(kind: &str, bounce_type: Option<&str>, to: &str, tags: &[(&str, &str)]) -> Value {
    let mut mail_tags = serde_json::Map::new();
    mail_tags.insert(
        "ses:configuration-set".into(),
        serde_json::json!(["invitations"]),
    );
    mail_tags.insert("ses:from-domain".into(), serde_json::json!(["example.com"]));
    for (name, value) in tags {
        mail_tags.insert((*name).into(), serde_json::json!([value]));
    }
    let mail = serde_json::json!({
        "timestamp": "2026-11-22T09:00:00.000Z",
        "source": "Invitations <no-reply@example.com>",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/example.com",
        "sendingAccountId": "123456789012",
        "messageId": "0100018e1b2c3d4e-5f6a7b8c-9d0e-1f2a-3b4c-5d6e7f8a9b0c-000000",
        "destination": [to],
        "headersTruncated": false,
        "tags": mail_tags
    });
    let (detail_type, detail) = match kind {
        "Bounce" => (
            "Email Bounced",
            serde_json::json!({
                "eventType": "Bounce",
                "bounce": {
                    "feedbackId": "0100018e1b2c3d4f-feedback-000000",
                    "bounceType": bounce_type.unwrap_or("Permanent"),
                    "bounceSubType": "General",
                    "bouncedRecipients": [{
                        "emailAddress": to,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown"
                    }],
                    "timestamp": "2026-11-22T09:00:01.000Z",
                    "reportingMTA": "dsn; a1-2.smtp-out.amazonses.com"
                },
                "mail": mail
            }),
        ),
        _ => (
            "Email Complaint Received",
            serde_json::json!({
                "eventType": "Complaint",
                "complaint": {
                    "feedbackId": "0100018e1b2c3d50-feedback-000000",
                    "complaintSubType": null,
                    "complainedRecipients": [{ "emailAddress": to }],
                    "timestamp": "2026-11-22T09:05:00.000Z",
                    "userAgent": "Mozilla/5.0",
                    "complaintFeedbackType": "abuse",
                    "arrivalDate": "2026-11-22T09:04:59.000Z"
                },
                "mail": mail
            }),
        ),
    };
    serde_json::json!({
        "version": "0",
        "id": "9bd7ec9c-62bc-4cdb-8c4c-0f9a5a1c7e11",
        "detail-type": detail_type,
        "source": "aws.ses",
        "account": "123456789012",
        "time": "2026-11-22T09:00:02Z",
        "region": "us-east-1",
        "resources": ["arn:aws:ses:us-east-1:123456789012:configuration-set/invitations"],
        "detail": detail
    })
}

// --- delivery faults (tests/delivery.rs): SES on a stand-in, sweeps of one kind, old clocks ---

impl Stack {
    /// The function as its `main` builds it, with some of the templates' variables set to
    /// other values.
    pub async fn deploy_with(&self, function: Function, overrides: &[(&str, &str)]) -> Deployment {
        let config = Config::from_lookup(function, |name| {
            overrides
                .iter()
                .find(|(set, _)| *set == name)
                .map(|(_, value)| (*value).to_owned())
                .or_else(|| self.env.get(name).cloned())
        })
        .expect("a complete configuration");
        Deployment::connect(config, &self.sdk)
            .await
            .expect("the function starts")
    }

    /// The send function at `rate` emails a second (`SES_MAX_SEND_RATE`), built as its `main`
    /// builds it but with its SES client sending to `ses`, a stand-in endpoint, instead of moto.
    pub async fn sender_on(&self, ses: &crate::ses_standin::SesStandIn, rate: u32) -> Sending {
        let deployment = self
            .deploy_with(Function::Send, &[("SES_MAX_SEND_RATE", &rate.to_string())])
            .await;
        let sender = deployment
            .config
            .sender
            .clone()
            .expect("the send function has a sender");
        let mailer = aws::Paced::new(
            aws::SesMailer::new(ses.client(&self.sdk), sender),
            deployment.app.store.clone(),
            rate,
        );
        Sending { deployment, mailer }
    }
}

/// A tick of the scheduler for one sweep (`"reminders"` or `"deliveries"`) at `time`, as the
/// reminder function receives it, with Lambda's 15 minutes ahead of it as Lambda gives them.
pub fn sweep_tick(
    time: chrono::DateTime<chrono::Utc>,
    sweep: &str,
) -> lambda_runtime::LambdaEvent<aws_lambda_events::eventbridge::EventBridgeEvent> {
    let mut event = scheduler_event(&time.to_rfc3339());
    event["detail"] = serde_json::json!({ "sweep": sweep });
    let mut context = lambda_runtime::Context::default();
    context.deadline =
        (chrono::Utc::now() + chrono::TimeDelta::minutes(15)).timestamp_millis() as u64;
    lambda_runtime::LambdaEvent::new(
        serde_json::from_value(event).expect("an EventBridge event"),
        context,
    )
}

/// A deployment's use cases on a clock that reads `at` now and moves on in real time: what
/// it did back then (invites, sweeps) is in the same table and queue as the rest.
pub fn backdated(
    deployment: &Deployment,
    at: chrono::DateTime<chrono::Utc>,
) -> domain::App<aws::DynamoStore, runtime::deployment::FunctionQueue, domain::clock::ShiftedClock>
{
    domain::App {
        store: deployment.app.store.clone(),
        queue: deployment.app.queue.clone(),
        clock: domain::clock::ShiftedClock::starting_at(at),
        key: deployment.app.key.clone(),
        settings: deployment.app.settings.clone(),
    }
}

/// An API Gateway event answered by `app` with every route (a backdated deployment's).
pub async fn send_to_app<
    S: domain::store::Store,
    Q: domain::delivery::Queue,
    C: domain::clock::Clock,
>(
    app: &domain::App<S, Q, C>,
    event: &Value,
) -> Answer {
    let request = lambda_http::request::from_str(&event.to_string())
        .expect("a valid API Gateway HTTP API event");
    let response = local::routes::answer(app, &api::web::SignIn::None, &request).await;
    answer_of(
        response.status().as_u16(),
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        response.body().as_ref(),
    )
}
