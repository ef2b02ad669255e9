//! A deployment's AWS side on moto: a table, the secret key, a verified sender and the
//! environment the templates give each function.

#![allow(dead_code)] // Each test file uses its own part.

use lambdas::{Config, Deployment, Function};
use serde_json::Value;
use tests::{aws_stack::AwsStack, harness::Answer, moto::moto};

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

    /// The function as its `main` builds it, on moto.
    pub async fn deploy(&self, function: Function) -> Deployment {
        Deployment::connect(self.config(function), &self.sdk)
            .await
            .expect("the function starts")
    }
}

/// Sends one API Gateway event to a function, as `lambda_http` deserialises it.
pub async fn send(deployment: &Deployment, event: &Value) -> Answer {
    let request = lambda_http::request::from_str(&event.to_string())
        .expect("a valid API Gateway HTTP API event");
    let response = lambdas::answer_http(deployment, request).await;
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
        status,
        content_type: content_type.map(str::to_owned),
        body: if body.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(body).expect("every answer body is JSON")
        },
    }
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
