//! DynamoDB capacity each use case consumes, beside its calls, on the DynamoDB store over moto.
//! Use cases that make emails due post them to SQS (its calls counted with theirs); the sender
//! then takes each email off the queue and hands it to SES, measured apart, per email, as the
//! `send` function does it (`tests/tests/aws/calls.rs` asserts the same calls). Receiving and
//! deleting the queue's messages is the event source mapping's, not counted.
//!
//! moto reports a fixed `ConsumedCapacity` per call whatever the items' sizes, so the units
//! here are computed by DynamoDB's published rules from what each call really read and wrote:
//! reads are 4 KB units (half for eventually consistent ones), summed over a query's items
//! before rounding; writes are 1 KB units of the larger of the item before and after, doubled
//! in transactions; every write that adds, changes or removes an item's entry in an index
//! (global or local, all projecting every attribute) costs that entry's units again (two when
//! its index key changes). Item sizes follow the documented formula (attribute names plus
//! values; 3 bytes and 1 per element for maps and lists). The items a write touched are read
//! from a scan of the (small) table before and after the use case, by an uncounted client.
//!
//! What is not modelled: the 100 bytes of index overhead per entry, and items a query
//! filtered out (none of the use cases measured filter).
//!
//! cargo run --release -p bench --bin capacity

use domain::fakes::ManualClock;
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use aws::{
    DynamoStore, Paced, SesMailer, SqsQueue,
    dynamo::table::{
        BY_EXPIRY_DAY, BY_INVITATION_ID, BY_PERSON, BY_RETRY, BY_SEND, BY_TOKEN, Index,
        create_table,
    },
    ses::Sender,
};
use aws_sdk_dynamodb::types::AttributeValue;
use aws_smithy_runtime_api::{
    box_error::BoxError,
    client::{
        interceptors::{
            Intercept,
            context::{
                AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
            },
        },
        orchestrator::Metadata,
        runtime_components::RuntimeComponents,
    },
};
use aws_smithy_types::config_bag::ConfigBag;
use bench::{Item, every_item};
use chrono::TimeDelta;
use domain::{
    App, Caller, Settings,
    address::EmailAddress,
    clock::Clock,
    delivery::SendOutcome,
    invitation::Status,
    message::AcceptLinks,
    people::WorkgroupName,
    role::Role,
    secret::SecretKey,
    usecases::{ListQuery, invite::InviteRequest},
};
use serde_json::Value;
use tests::{harness::start_time, moto::moto};

const INDEXES: [Index; 6] = [
    BY_PERSON,
    BY_INVITATION_ID,
    BY_TOKEN,
    BY_EXPIRY_DAY,
    BY_RETRY,
    BY_SEND,
];

/// One DynamoDB or SES call: its operation, request body and response body (JSON).
#[derive(Debug, Clone)]
struct Call {
    service: String,
    operation: String,
    request: Value,
    response: Value,
}

/// Records each call's request as sent and its response as read (retries included: moto on
/// loopback does not fail).
#[derive(Debug, Clone, Default)]
struct Recorder {
    calls: Arc<Mutex<Vec<Call>>>,
}

impl Recorder {
    fn take(&self) -> Vec<Call> {
        std::mem::take(&mut *self.calls.lock().unwrap())
    }
}

fn body_json(bytes: Option<&[u8]>) -> Value {
    bytes
        .and_then(|b| serde_json::from_slice(b).ok())
        .unwrap_or(Value::Null)
}

impl Intercept for Recorder {
    fn name(&self) -> &'static str {
        "Recorder"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let metadata = cfg.load::<Metadata>().expect("operation metadata");
        self.calls.lock().unwrap().push(Call {
            service: metadata.service().to_owned(),
            operation: metadata.name().to_owned(),
            request: body_json(context.request().body().bytes()),
            response: Value::Null,
        });
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(last) = self.calls.lock().unwrap().last_mut() {
            last.response = body_json(context.response().body().bytes());
        }
        Ok(())
    }
}

// Item sizes, by DynamoDB's formula, from the wire JSON and from the SDK's values.

fn json_value_size(value: &Value) -> usize {
    let Some((kind, inner)) = value.as_object().and_then(|o| o.iter().next()) else {
        return 0;
    };
    match kind.as_str() {
        "S" => inner.as_str().map_or(0, str::len),
        "N" => inner
            .as_str()
            .map_or(0, |n| n.trim_start_matches('-').len().div_ceil(2) + 1),
        "B" => inner.as_str().map_or(0, |b| b.len() * 3 / 4),
        "BOOL" | "NULL" => 1,
        "SS" | "NS" | "BS" => inner.as_array().map_or(0, |a| {
            a.iter().map(|s| s.as_str().map_or(0, str::len)).sum()
        }),
        "L" => {
            3 + inner.as_array().map_or(0, |a| {
                a.iter().map(|v| 1 + json_value_size(v)).sum::<usize>()
            })
        }
        "M" => {
            3 + inner.as_object().map_or(0, |m| {
                m.iter()
                    .map(|(name, v)| name.len() + 1 + json_value_size(v))
                    .sum::<usize>()
            })
        }
        _ => 0,
    }
}

fn json_item_size(item: &Value) -> usize {
    item.as_object().map_or(0, |m| {
        m.iter()
            .map(|(name, v)| name.len() + json_value_size(v))
            .sum()
    })
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => n.trim_start_matches('-').len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(s) | AttributeValue::Ns(s) => s.iter().map(String::len).sum(),
        AttributeValue::L(l) => 3 + l.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(m) => {
            3 + m
                .iter()
                .map(|(k, v)| k.len() + 1 + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

type Snapshot = HashMap<(String, String), Item>;

fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

async fn snapshot(client: &aws_sdk_dynamodb::Client, table: &str) -> Snapshot {
    let key = |item: &Item, name: &str| match item.get(name) {
        Some(AttributeValue::S(s)) => s.clone(),
        _ => String::new(),
    };
    every_item(client, table)
        .await
        .into_iter()
        .map(|item| ((key(&item, "pk"), key(&item, "sk")), item))
        .collect()
}

/// The `(pk, sk)` of a key or item in wire JSON.
fn json_key(item: &Value) -> (String, String) {
    let s = |name: &str| item[name]["S"].as_str().unwrap_or_default().to_owned();
    (s("pk"), s("sk"))
}

/// The items a write call touched, and whether it was a transaction.
fn written_keys(call: &Call) -> (Vec<(String, String)>, bool) {
    let r = &call.request;
    match call.operation.as_str() {
        "PutItem" => (vec![json_key(&r["Item"])], false),
        "UpdateItem" | "DeleteItem" => (vec![json_key(&r["Key"])], false),
        "TransactWriteItems" => (
            r["TransactItems"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|t| {
                    t.get("Put")
                        .map(|p| json_key(&p["Item"]))
                        .or_else(|| t.get("Update").map(|u| json_key(&u["Key"])))
                        .or_else(|| t.get("Delete").map(|d| json_key(&d["Key"])))
                        .or_else(|| t.get("ConditionCheck").map(|c| json_key(&c["Key"])))
                })
                .collect(),
            true,
        ),
        "BatchWriteItem" => (
            r["RequestItems"]
                .as_object()
                .into_iter()
                .flat_map(|tables| tables.values())
                .flat_map(|requests| requests.as_array().cloned().unwrap_or_default())
                .map(|w| {
                    w.get("PutRequest")
                        .map(|p| json_key(&p["Item"]))
                        .unwrap_or_else(|| json_key(&w["DeleteRequest"]["Key"]))
                })
                .collect(),
            false,
        ),
        _ => (Vec::new(), false),
    }
}

fn units(size: usize, unit: usize) -> f64 {
    size.max(1).div_ceil(unit) as f64
}

/// The index key of `item` in `index`, if the item has an entry there.
fn index_key(item: Option<&Item>, index: &Index) -> Option<(String, Option<String>)> {
    let item = item?;
    let text = |name: &str| match item.get(name)? {
        AttributeValue::S(s) => Some(s.clone()),
        AttributeValue::N(n) => Some(n.clone()),
        _ => None,
    };
    let partition = text(index.partition)?;
    match index.sort {
        Some(sort) => Some((partition, Some(text(sort)?))),
        None => Some((partition, None)),
    }
}

/// Read and write units of one use case's calls.
fn capacity(calls: &[Call], before: &Snapshot, after: &Snapshot) -> (f64, f64) {
    let (mut read, mut write) = (0.0, 0.0);
    for call in calls.iter().filter(|c| c.service == "DynamoDB") {
        let consistent = call.request["ConsistentRead"].as_bool().unwrap_or(false);
        let factor = if consistent { 1.0 } else { 0.5 };
        match call.operation.as_str() {
            "GetItem" => read += factor * units(json_item_size(&call.response["Item"]), 4096),
            "Query" => {
                let size: usize = call.response["Items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(json_item_size)
                    .sum();
                read += factor * units(size, 4096);
            }
            _ => {}
        }
        let (keys, transaction) = written_keys(call);
        for key in keys {
            let (old, new) = (before.get(&key), after.get(&key));
            let size = old.map_or(0, item_size).max(new.map_or(0, item_size));
            let item_units = units(size, 1024) * if transaction { 2.0 } else { 1.0 };
            let mut index_units = 0.0;
            for index in &INDEXES {
                let (was, is) = (index_key(old, index), index_key(new, index));
                index_units += match (&was, &is) {
                    (None, None) => 0.0,
                    (Some(a), Some(b)) if a != b => {
                        units(old.map_or(0, item_size), 1024)
                            + units(new.map_or(0, item_size), 1024)
                    }
                    _ => units(size, 1024),
                };
            }
            if std::env::var_os("CAPACITY_DETAIL").is_some() {
                eprintln!(
                    "  {} {key:?}: {size} B, {item_units} + {index_units} in indexes",
                    call.operation
                );
            }
            write += item_units + index_units;
        }
    }
    (read, write)
}

fn caller(email: &str) -> Caller {
    Caller {
        sign_in: domain::people::SignIn {
            issuer: "https://issuer.example".to_owned(),
            subject: format!("sub-{email}"),
        },
        email: EmailAddress::parse(email).unwrap(),
        name: None,
    }
}

struct Measured {
    operation: &'static str,
    calls: String,
    read: f64,
    write: f64,
}

#[tokio::main]
async fn main() {
    let sdk = moto().sdk_config().await;
    let plain = aws_sdk_dynamodb::Client::new(&sdk);
    let table = format!("capacity-{}", std::process::id());
    create_table(&plain, &table).await.expect("the table");
    let ses = aws_sdk_sesv2::Client::new(&sdk);
    ses.create_email_identity()
        .email_identity("example.com")
        .send()
        .await
        .expect("the sender's domain");
    let recorder = Recorder::default();
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::from_conf(
            aws_sdk_dynamodb::config::Builder::from(&sdk)
                .interceptor(recorder.clone())
                .build(),
        ),
        table.clone(),
    );
    let queue_url = SqsQueue::ensure(&aws_sdk_sqs::Client::new(&sdk), &table)
        .await
        .expect("the queue");
    // The event source mapping's side: receiving and deleting, uncounted.
    let consumer = SqsQueue::new(aws_sdk_sqs::Client::new(&sdk), queue_url.clone());
    let app = App {
        store: store.clone(),
        queue: SqsQueue::new(
            aws_sdk_sqs::Client::from_conf(
                aws_sdk_sqs::config::Builder::from(&sdk)
                    .interceptor(recorder.clone())
                    .build(),
            ),
            queue_url,
        ),
        clock: ManualClock::at(start_time()),
        key: SecretKey::generate(),
        settings: Settings::new(AcceptLinks::new("https://invitations.test").unwrap()),
    };
    // The send function's mailer, at a rate that never waits here.
    let mailer = Paced::new(
        SesMailer::new(
            aws_sdk_sesv2::Client::from_conf(
                aws_sdk_sesv2::config::Builder::from(&sdk)
                    .interceptor(recorder.clone())
                    .build(),
            ),
            Sender::parse("invitations@example.com").unwrap(),
        ),
        store,
        1000,
    );
    let ada = caller("ada@example.com");
    let mut measured = Vec::new();

    // Runs one use case between two snapshots and keeps its calls and units.
    macro_rules! measure {
        ($operation:expr, $body:expr) => {{
            let before = snapshot(&plain, &table).await;
            recorder.take();
            let value = $body;
            let calls = recorder.take();
            let after = snapshot(&plain, &table).await;
            let (read, write) = capacity(&calls, &before, &after);
            let mut counted: std::collections::BTreeMap<String, usize> = Default::default();
            for call in &calls {
                *counted
                    .entry(format!("{} {}", call.service, call.operation))
                    .or_default() += 1;
            }
            measured.push(Measured {
                operation: $operation,
                calls: counted
                    .iter()
                    .map(|(c, n)| format!("{n} {c}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                read,
                write,
            });
            value
        }};
    }

    // Sends every email the queue holds, as the send function does; the first is measured as
    // `$operation` (the others make the same calls).
    macro_rules! send_queued {
        ($operation:expr) => {{
            let mut first = true;
            loop {
                let received = consumer.receive(0, 60).await.expect("the queue answers");
                if received.is_empty() {
                    break;
                }
                for message in received {
                    let due = message.email.expect("a due email");
                    let outcome = if first {
                        first = false;
                        measure!($operation, app.send_due(&due, &mailer).await.unwrap())
                    } else {
                        app.send_due(&due, &mailer).await.unwrap()
                    };
                    assert_eq!(outcome, SendOutcome::Sent);
                    consumer.delete(&message.receipt).await.expect("deleted");
                }
            }
            recorder.take();
        }};
    }

    let founded = measure!(
        "create a workgroup",
        app.create_workgroup(&ada, WorkgroupName::parse("Acme IT").unwrap(), None)
            .await
            .unwrap()
    );
    let wg = founded.workgroup.id.clone();
    let invite = |emails: &str| {
        InviteRequest::pasted(&[emails], 50, Role::Manager, None).expect("valid addresses")
    };
    measure!(
        "invite 1 address",
        app.invite(&ada, &wg, &invite("zoe@example.com"))
            .await
            .unwrap()
    );
    send_queued!("send one invitation email (the sender, per email)");
    measure!(
        "invite 3 addresses",
        app.invite(
            &ada,
            &wg,
            &invite("ann@example.com, bob@example.com, cy@example.com")
        )
        .await
        .unwrap()
    );
    send_queued!("send one of the 3 invitation emails (the sender)");
    let page = measure!(
        "list a page of invitations (4)",
        app.list_invitations(&ada, &wg, Some(Status::Pending), &ListQuery::default())
            .await
            .unwrap()
    );
    let find = |email: &str| {
        page.items
            .iter()
            .find(|i| i.email.as_str() == email)
            .unwrap()
            .clone()
    };
    let (ann, bob) = (find("ann@example.com"), find("bob@example.com"));
    measure!(
        "list a page of agents (1)",
        app.list_agents(&ada, &wg, &ListQuery::default())
            .await
            .unwrap()
    );
    measure!("my workgroups (1)", app.my_workgroups(&ada).await.unwrap());
    measure!(
        "read one invitation",
        app.get_invitation(&ada, &wg, &bob.id).await.unwrap()
    );
    let ann_token = app.key.invitation_token(&ann.id, &ann.nonce);
    measure!(
        "look an invitation up",
        app.lookup_invitation(&ann_token).await.unwrap()
    );
    measure!(
        "accept (first registration)",
        app.accept_invitation(&caller("ann@example.com"), &ann_token, Some("Ann"))
            .await
            .unwrap()
    );
    let bob_token = app.key.invitation_token(&bob.id, &bob.nonce);
    measure!("decline", app.decline_invitation(&bob_token).await.unwrap());
    measure!(
        "resend (a declined invitation)",
        app.resend_invitation(&ada, &wg, &bob.id).await.unwrap()
    );
    send_queued!("send the resend's email (the sender)");
    measure!(
        "cancel",
        app.cancel_invitation(&ada, &wg, &bob.id).await.unwrap()
    );
    measure!(
        "list a page of events",
        app.list_events(&ada, &wg, &ListQuery::default())
            .await
            .unwrap()
    );
    app.clock.advance(TimeDelta::days(23));
    let report = measure!(
        "reminder sweep (2 due)",
        app.send_due_reminders(app.clock.now(), || true)
            .await
            .unwrap()
    );
    assert_eq!(report.sent, 2, "cy's and zoe's 7-day reminders");
    send_queued!("send one reminder email (the sender, per email)");
    let report = measure!(
        "delivery sweep (nothing due: every tick)",
        app.retry_deliveries(app.clock.now(), || true)
            .await
            .unwrap()
    );
    assert_eq!(report.sent, 0);
    app.clock.advance(TimeDelta::days(8));
    let report = measure!(
        "expiry sweep (2 expired)",
        app.record_expiries(app.clock.now(), || true).await.unwrap()
    );
    assert_eq!(
        report.sent, 2,
        "cy's and zoe's invitations expired unanswered"
    );

    println!("| operation | calls | read units | write units |");
    println!("| --- | --- | --- | --- |");
    for m in measured {
        println!(
            "| {} | {} | {} | {} |",
            m.operation, m.calls, m.read, m.write
        );
    }
}
