//! The store conformance suite on the DynamoDB store, against moto (started by the harness),
//! each test on a table of its own created from the one table definition.

use std::sync::atomic::{AtomicUsize, Ordering};

use aws::{DynamoStore, dynamo::table};
use tests::moto::moto;

async fn fresh_store() -> (DynamoStore, ()) {
    static TABLES: AtomicUsize = AtomicUsize::new(0);
    let client = aws_sdk_dynamodb::Client::new(&moto().sdk_config().await);
    let name = format!(
        "conformance-{}-{}",
        std::process::id(),
        TABLES.fetch_add(1, Ordering::SeqCst)
    );
    table::create_table(&client, &name)
        .await
        .expect("the table is created");
    (DynamoStore::new(client, name), ())
}

tests::store_conformance!(fresh_store);

#[tokio::test]
async fn the_table_expires_items_by_ttl_on_expires_at_and_creating_it_twice_is_harmless() {
    let client = aws_sdk_dynamodb::Client::new(&moto().sdk_config().await);
    let name = format!("ttl-{}", std::process::id());
    table::ensure_table(&client, &name).await.unwrap();
    table::ensure_table(&client, &name).await.unwrap();
    let ttl = client
        .describe_time_to_live()
        .table_name(&name)
        .send()
        .await
        .unwrap();
    let description = ttl.time_to_live_description().expect("a TTL description");
    assert_eq!(description.attribute_name(), Some(table::TTL_ATTRIBUTE));
    assert_eq!(
        description.time_to_live_status().map(|s| s.as_str()),
        Some("ENABLED")
    );
}
