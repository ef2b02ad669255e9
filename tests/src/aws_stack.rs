//! A deployment's AWS side on moto, as the templates create it: a table, the secret key (64 hex
//! digits), the queue of due emails, a verified sender domain with a configuration set, an event
//! bus (archived, so tests can read what was published), and the environment the templates give
//! the functions.

use std::collections::HashMap;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use domain::ids::{InvitationId, WorkgroupId};
use serde_json::{Value, json};

use crate::moto::moto;

/// An item as the SDK reads it.
pub type Item = HashMap<String, AttributeValue>;

pub struct AwsStack {
    pub sdk: SdkConfig,
    /// The table, and the names of the bus and of its archive.
    pub table: String,
    /// Every variable any function reads, as the templates set them.
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

impl AwsStack {
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
        let queue_url = aws::SqsQueue::ensure(&aws_sdk_sqs::Client::new(&sdk), &name)
            .await
            .expect("the queue is created");
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
        let events = aws_sdk_eventbridge::Client::new(&sdk);
        let bus = events
            .create_event_bus()
            .name(&name)
            .send()
            .await
            .expect("the event bus is created");
        events
            .create_archive()
            .archive_name(&name)
            .event_source_arn(bus.event_bus_arn().expect("an ARN"))
            .event_pattern(json!({ "source": [aws::events::SOURCE] }).to_string())
            .send()
            .await
            .expect("the bus is archived");
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
            ("QUEUE_URL".to_owned(), queue_url),
            ("SES_MAX_SEND_RATE".to_owned(), "100".to_owned()),
            ("INVITE_MAX_ADDRESSES".to_owned(), "10".to_owned()),
            ("INVITE_DAILY_LIMIT".to_owned(), "100".to_owned()),
            ("PENDING_INVITATION_LIMIT".to_owned(), "100".to_owned()),
            ("EVENT_BUS_NAME".to_owned(), name.clone()),
            ("REMINDER_DAYS_BEFORE".to_owned(), "7,1".to_owned()),
        ]);
        Self {
            sdk,
            table: name,
            env,
        }
    }

    /// The queue of due emails.
    pub fn queue(&self) -> aws::SqsQueue {
        aws::SqsQueue::new(
            aws_sdk_sqs::Client::new(&self.sdk),
            self.env["QUEUE_URL"].clone(),
        )
    }

    /// What the queue holds, as an SQS event of Lambda's event source mapping (ten messages at
    /// most), each message hidden for `hidden_seconds`; `None` when nothing is visible.
    pub async fn queued_batch(&self, hidden_seconds: i32) -> Option<Value> {
        let received = self
            .queue()
            .receive(0, hidden_seconds)
            .await
            .expect("the queue answers");
        if received.is_empty() {
            return None;
        }
        Some(sqs_event(&self.env["QUEUE_URL"], &received))
    }

    /// What was published to the stack's bus, oldest first: EventBridge events with `source`,
    /// `detail-type` and `detail`.
    pub fn published(&self) -> Vec<Value> {
        moto().archived_events(&self.table)
    }

    /// The audit trail's items of a workgroup as stored, oldest first.
    pub async fn event_items(&self, workgroup: &WorkgroupId) -> Vec<Item> {
        aws_sdk_dynamodb::Client::new(&self.sdk)
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(
                ":pk",
                AttributeValue::S(format!("{}{workgroup}", aws::dynamo::EVENTS_PREFIX)),
            )
            .send()
            .await
            .expect("the events are read")
            .items
            .unwrap_or_default()
    }

    /// A DynamoDB stream batch as Lambda hands it to a function: one `INSERT` record per item,
    /// its new image in DynamoDB JSON, sequence numbers in order.
    pub fn stream_batch(&self, items: &[Item]) -> Value {
        stream_batch(&self.table, items)
    }

    /// The environment of a function process: the templates' variables, the SDK's (moto's
    /// endpoint, test credentials) and no instance metadata.
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

/// A DynamoDB stream batch as Lambda hands it to a function: one `INSERT` record per item,
/// its new image in DynamoDB JSON, sequence numbers in order.
pub fn stream_batch(table: &str, items: &[Item]) -> Value {
    let records: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(n, item)| {
            let image = serde_dynamo::Item::from(item.clone());
            let keys: serde_dynamo::Item = item
                .iter()
                .filter(|(name, _)| *name == "pk" || *name == "sk")
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect::<Item>()
                .into();
            json!({
                "eventID": format!("event-{n}"),
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": 1_800_000_000,
                    "Keys": keys,
                    "NewImage": image,
                    "SequenceNumber": format!("{:021}", 100 + n),
                    "SizeBytes": 512,
                    "StreamViewType": "NEW_IMAGE"
                },
                "eventSourceARN": format!(
                    "arn:aws:dynamodb:us-east-1:123456789012:table/{}/stream/2026-11-22T00:00:00.000",
                    table
                )
            })
        })
        .collect();
    json!({ "Records": records })
}

/// An SQS batch as Lambda's event source mapping hands it to a function; the message ids are
/// the receipt handles, so a reported failure names the message to give back.
pub fn sqs_event(queue_url: &str, received: &[aws::sqs::SqsReceived]) -> Value {
    let records: Vec<Value> = received
        .iter()
        .map(|message| {
            json!({
                "messageId": message.receipt,
                "receiptHandle": message.receipt,
                "body": message.email.as_ref().map(domain::delivery::DueEmail::to_message),
                "attributes": {
                    "ApproximateReceiveCount": message.receives.to_string(),
                    "SentTimestamp": "1795338000000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1795338000000"
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": format!("arn:aws:sqs:us-east-1:123456789012:{}", queue_url.rsplit('/').next().unwrap_or_default()),
                "awsRegion": "us-east-1"
            })
        })
        .collect();
    json!({ "Records": records })
}
