//! The publish function's handler: stream batches as Lambda delivers them (built from the
//! event items the store wrote, on DynamoDB in moto) forwarded to an EventBridge bus in moto,
//! read back from the bus's archive.

use aws::EventPublisher;
use lambda_runtime::{Context, LambdaEvent};
use runtime::Function;
use serde_json::{Value, json};
use tests::functions::{Stack, send};
use tests::harness::api_gateway_event;

const ADMIN: &str = "admin@acme.example";

/// A workgroup with `n` invitations made through the `invite` function: 2n events (each
/// invitation and its delivery, once the send function has drained the queue).
async fn trail(stack: &Stack, n: usize) -> domain::ids::WorkgroupId {
    let workgroups = stack.deploy(Function::Workgroups).await;
    let invite = stack.deploy(Function::Invite).await;
    let sender = stack.sender().await;
    let wg = tests::functions::workgroup(&workgroups, ADMIN, "Acme").await;
    let emails: Vec<String> = (0..n).map(|i| format!("p{i}@people.example")).collect();
    let invited = send(
        &invite,
        &api_gateway_event(
            "POST",
            &format!("/workgroups/{wg}/invitations"),
            Some(ADMIN),
            Some(json!({ "emails": emails, "role": "associate" })),
        ),
    )
    .await;
    invited.assert_ok(200);
    assert_eq!(tests::functions::drain(stack, &sender).await, n);
    domain::ids::WorkgroupId::parse(&wg).unwrap()
}

fn batch(stack: &Stack, items: &[tests::aws_stack::Item]) -> LambdaEvent<Value> {
    LambdaEvent::new(stack.stream_batch(items), Context::default())
}

async fn run(publisher: &EventPublisher, event: LambdaEvent<Value>) -> Value {
    let event = LambdaEvent::new(
        serde_json::from_value(event.payload).expect("a DynamoDB stream event"),
        event.context,
    );
    let response = publish::handle(publisher, event).await.unwrap();
    serde_json::to_value(response).unwrap()
}

#[tokio::test]
async fn new_event_items_are_published_in_order_as_the_api_lists_them() {
    let stack = Stack::new("publish").await;
    // 7 invitations: 14 events, two PutEvents calls of at most ten.
    let wg = trail(&stack, 7).await;
    let items = stack.event_items(&wg).await;
    assert_eq!(items.len(), 14);
    let publisher = stack.publisher();

    let answer = run(&publisher, batch(&stack, &items)).await;
    assert_eq!(answer["batchItemFailures"], json!([]), "{answer}");
    let published = stack.published();
    assert_eq!(published.len(), 14);
    let list = stack.deploy(Function::List).await;
    let listed = send(
        &list,
        &api_gateway_event(
            "GET",
            &format!("/workgroups/{wg}/events?limit=100"),
            Some(ADMIN),
            None,
        ),
    )
    .await;
    let mut listed = listed.assert_ok(200)["items"].as_array().unwrap().clone();
    // The list is newest first; the stream (and the bus) oldest first.
    listed.reverse();
    let details: Vec<&Value> = published.iter().map(|p| &p["detail"]).collect();
    let mut sorted_listed = listed.clone();
    let key = |e: &Value| {
        (
            e["at"].as_str().unwrap().to_owned(),
            e["id"].as_str().unwrap().to_owned(),
        )
    };
    sorted_listed.sort_by_key(key);
    let mut sorted_published: Vec<Value> = details.iter().map(|d| (*d).clone()).collect();
    sorted_published.sort_by_key(key);
    assert_eq!(
        sorted_published, sorted_listed,
        "each event once, as listed"
    );
    for event in &published {
        assert_eq!(event["source"], aws::events::SOURCE);
        assert_eq!(event["detail-type"], event["detail"]["type"]);
    }
    // In the order of the stream.
    let stream_ids: Vec<String> = items
        .iter()
        .map(|item| match &item["event"] {
            aws_sdk_dynamodb::types::AttributeValue::S(json) => serde_json::from_str::<Value>(json)
                .unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned(),
            other => panic!("the event is JSON text: {other:?}"),
        })
        .collect();
    let published_ids: Vec<&str> = published
        .iter()
        .map(|p| p["detail"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(published_ids, stream_ids);
}

#[tokio::test]
async fn records_other_than_new_events_are_ignored() {
    let stack = Stack::new("publish-skip").await;
    let wg = trail(&stack, 1).await;
    let mut items = stack.event_items(&wg).await;
    // An invitation item, as another INSERT on the table would carry it.
    let mut invitation = items[0].clone();
    invitation.insert(
        "sk".into(),
        aws_sdk_dynamodb::types::AttributeValue::S("INVITEE#p0@people.example".into()),
    );
    items.push(invitation);
    let mut event = stack.stream_batch(&items);
    // And a MODIFY of an event item.
    let mut modified = event["Records"][0].clone();
    modified["eventName"] = json!("MODIFY");
    event["Records"].as_array_mut().unwrap().push(modified);
    let answer = run(
        &stack.publisher(),
        LambdaEvent::new(event, Context::default()),
    )
    .await;
    assert_eq!(answer["batchItemFailures"], json!([]));
    assert_eq!(stack.published().len(), 2, "the two new events only");
}

#[tokio::test]
async fn a_refused_batch_is_retried_from_its_first_unpublished_record() {
    let stack = Stack::new("publish-fail").await;
    let wg = trail(&stack, 6).await;
    let items = stack.event_items(&wg).await;
    let event = stack.stream_batch(&items);
    let first_sequence = event["Records"][0]["dynamodb"]["SequenceNumber"].clone();

    // EventBridge out of reach: nothing published, the whole batch retried.
    let unreachable = aws_sdk_eventbridge::Client::from_conf(
        aws_sdk_eventbridge::config::Builder::from(&stack.sdk)
            .endpoint_url("http://127.0.0.1:9")
            .retry_config(aws_sdk_eventbridge::config::retry::RetryConfig::disabled())
            .build(),
    );
    let offline = EventPublisher::new(unreachable, stack.table.clone());
    let answer = run(
        &offline,
        LambdaEvent::new(event.clone(), Context::default()),
    )
    .await;
    assert_eq!(
        answer["batchItemFailures"],
        json!([{ "itemIdentifier": first_sequence }])
    );
    assert_eq!(stack.published().len(), 0);

    // A bus that does not exist: EventBridge refuses the call; the same.
    let nowhere = EventPublisher::new(aws_sdk_eventbridge::Client::new(&stack.sdk), "no-such-bus");
    let answer = run(
        &nowhere,
        LambdaEvent::new(event.clone(), Context::default()),
    )
    .await;
    assert_eq!(
        answer["batchItemFailures"],
        json!([{ "itemIdentifier": first_sequence }])
    );

    // Lambda retries the batch once EventBridge is back: everything goes out, once.
    let answer = run(
        &stack.publisher(),
        LambdaEvent::new(event, Context::default()),
    )
    .await;
    assert_eq!(answer["batchItemFailures"], json!([]));
    assert_eq!(stack.published().len(), items.len());
}
