//! A deployment's AWS side on moto: a table, the secret key, a verified sender and the
//! environment the templates give each function.

#![allow(dead_code)] // Each test file uses its own part.

use std::collections::HashMap;

use aws_config::SdkConfig;
use lambdas::{Config, Deployment, Function};
use serde_json::Value;
use shared::ids::InvitationId;
use tests::{harness::Answer, moto::moto};

pub struct Stack {
    pub sdk: SdkConfig,
    pub table: String,
    pub env: HashMap<String, String>,
}

fn unique(label: &str) -> String {
    let id = InvitationId::generate();
    format!("{label}-{}", &id.as_str()[id.as_str().len() - 12..])
}

/// 64 random hex digits, the form the templates make Secrets Manager generate.
fn hex_key() -> String {
    let (a, b) = (InvitationId::generate(), InvitationId::generate());
    format!("{}{}", &a.as_str()[4..], &b.as_str()[4..])
}

impl Stack {
    pub async fn new(label: &str) -> Self {
        let sdk = moto().sdk_config().await;
        let name = unique(label);
        aws::dynamo::table::create_table(&aws_sdk_dynamodb::Client::new(&sdk), &name)
            .await
            .expect("the table is created");
        let secret = aws_sdk_secretsmanager::Client::new(&sdk)
            .create_secret()
            .name(format!("{name}-key"))
            .secret_string(hex_key())
            .send()
            .await
            .expect("the secret is created");
        let domain = format!("{name}.example.com");
        let ses = aws_sdk_sesv2::Client::new(&sdk);
        ses.create_email_identity()
            .email_identity(&domain)
            .send()
            .await
            .expect("the sender's domain is an identity");
        ses.create_configuration_set()
            .configuration_set_name(&name)
            .send()
            .await
            .expect("the configuration set is created");
        let env = HashMap::from([
            ("TABLE_NAME".to_owned(), name.clone()),
            (
                "SECRET_KEY_ARN".to_owned(),
                secret.arn().expect("an ARN").to_owned(),
            ),
            (
                "APP_BASE_URL".to_owned(),
                "https://app.example.com".to_owned(),
            ),
            (
                "SES_SENDER".to_owned(),
                format!("Invitations <no-reply@{domain}>"),
            ),
            ("SES_CONFIGURATION_SET".to_owned(), name.clone()),
            ("INVITE_MAX_ADDRESSES".to_owned(), "10".to_owned()),
            ("REMINDER_DAYS_BEFORE".to_owned(), "7,1".to_owned()),
        ]);
        Self {
            sdk,
            table: name,
            env,
        }
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

    /// The environment of the function's process: the templates' variables, the SDK's
    /// (moto's endpoint, test credentials) and Lambda's own.
    pub fn process_env(&self) -> Vec<(String, String)> {
        let mut env: Vec<(String, String)> = self.env.clone().into_iter().collect();
        for (name, value) in [
            ("AWS_ENDPOINT_URL", moto().endpoint()),
            ("AWS_REGION", "us-east-1".to_owned()),
            ("AWS_ACCESS_KEY_ID", "test".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", "test".to_owned()),
            ("AWS_EC2_METADATA_DISABLED", "true".to_owned()),
        ] {
            env.push((name.to_owned(), value));
        }
        env
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
