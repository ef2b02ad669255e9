//! The table definition, in one place: the local server creates the table from it, the tests
//! create theirs from it, and the infrastructure templates are checked against its names.

use std::time::Duration;

use aws_sdk_dynamodb::{
    Client,
    client::Waiters,
    error::DisplayErrorContext,
    types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType, StreamSpecification,
        StreamViewType, TimeToLiveSpecification, TimeToLiveStatus,
    },
};
use domain::store::StoreError;

/// The table's partition key (a string, like every key attribute).
pub const PARTITION_KEY: &str = "pk";
/// The table's sort key.
pub const SORT_KEY: &str = "sk";
/// Epoch seconds of an invitation's expiry (a number); DynamoDB's TTL deletes the item some
/// time after.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// A secondary index: its name and key attributes (`sort` is `None` for a hash-only index).
/// Every index projects all attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    pub name: &'static str,
    pub partition: &'static str,
    pub sort: Option<&'static str>,
}

/// A person's memberships, ordered by workgroup name.
pub const BY_PERSON: Index = Index {
    name: "by_person",
    partition: "gsi1pk",
    sort: Some("gsi1sk"),
};
/// An invitation by its id.
pub const BY_INVITATION_ID: Index = Index {
    name: "by_invitation_id",
    partition: "gsi2pk",
    sort: None,
};
/// A pending invitation by the hash of its token (sparse: only pending ones carry it).
pub const BY_TOKEN: Index = Index {
    name: "by_token",
    partition: "gsi3pk",
    sort: None,
};
/// Pending invitations by the day they expire, then the second (sparse): the reminder sweep.
pub const BY_EXPIRY_DAY: Index = Index {
    name: "by_expiry_day",
    partition: "gsi4pk",
    sort: Some("gsi4sk"),
};
/// Pending invitations whose email awaits another attempt, by when (sparse, and small: only
/// emails not yet handed to SES are in it).
pub const BY_RETRY: Index = Index {
    name: "by_retry",
    partition: "gsi5pk",
    sort: Some("gsi5sk"),
};
/// An address's pending invitations in every workgroup, newest send last (sparse: only
/// pending ones whose expiry is not recorded carry it): the invitee's own list.
pub const BY_INVITEE: Index = Index {
    name: "by_invitee",
    partition: "gsi6pk",
    sort: Some("gsi6sk"),
};
/// A workgroup's invitations by send time (a local index on the table's partition key).
pub const BY_SEND: Index = Index {
    name: "by_send",
    partition: PARTITION_KEY,
    sort: Some("lsi1sk"),
};

pub const GLOBAL_INDEXES: [Index; 6] = [
    BY_PERSON,
    BY_INVITATION_ID,
    BY_TOKEN,
    BY_EXPIRY_DAY,
    BY_RETRY,
    BY_INVITEE,
];
pub const LOCAL_INDEXES: [Index; 1] = [BY_SEND];

/// Every key attribute of the table and its indexes, once each; all are strings.
pub fn key_attributes() -> Vec<&'static str> {
    let mut names = vec![PARTITION_KEY, SORT_KEY];
    for index in GLOBAL_INDEXES.iter().chain(&LOCAL_INDEXES) {
        for name in std::iter::once(index.partition).chain(index.sort) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// How long [`create_table`] waits for a new table to become active.
const ACTIVE_WITHIN: Duration = Duration::from_secs(300);

fn described<T, E>(result: Result<T, E>) -> Result<T, StoreError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    result.map_err(|e| StoreError::backend("failed to describe the table", e))
}

fn key_schema(partition: &str, sort: Option<&str>) -> Result<Vec<KeySchemaElement>, StoreError> {
    let element = |name: &str, kind: KeyType| {
        described(
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build(),
        )
    };
    let mut keys = vec![element(partition, KeyType::Hash)?];
    if let Some(sort) = sort {
        keys.push(element(sort, KeyType::Range)?);
    }
    Ok(keys)
}

fn everything() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

/// Creates the table (on demand, every index, TTL on [`TTL_ATTRIBUTE`]) and waits until it is
/// active. A table of that name that exists already is kept as it is, with its TTL turned on
/// if it was off: calling this twice is harmless.
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(key_schema(PARTITION_KEY, Some(SORT_KEY))?));
    for name in key_attributes() {
        request = request.attribute_definitions(described(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build(),
        )?);
    }
    for index in GLOBAL_INDEXES {
        request = request.global_secondary_indexes(described(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .set_key_schema(Some(key_schema(index.partition, index.sort)?))
                .projection(everything())
                .build(),
        )?);
    }
    for index in LOCAL_INDEXES {
        request = request.local_secondary_indexes(described(
            LocalSecondaryIndex::builder()
                .index_name(index.name)
                .set_key_schema(Some(key_schema(index.partition, index.sort)?))
                .projection(everything())
                .build(),
        )?);
    }
    // The audit trail is published from the stream (the templates' publish function).
    request = request.stream_specification(described(
        StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(StreamViewType::NewImage)
            .build(),
    )?);
    match request.send().await {
        Ok(_) => {}
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_in_use_exception()) => {}
        Err(e) => {
            return Err(StoreError::backend(
                format!("failed to create the table: {}", DisplayErrorContext(&e)),
                e,
            ));
        }
    }
    client
        .wait_until_table_exists()
        .table_name(table)
        .wait(ACTIVE_WITHIN)
        .await
        .map_err(|e| StoreError::backend("failed to wait for the table to become active", e))?;
    enable_ttl(client, table).await
}

/// Turns TTL on for [`TTL_ATTRIBUTE`] unless it is on already (DynamoDB refuses to enable it
/// twice).
async fn enable_ttl(client: &Client, table: &str) -> Result<(), StoreError> {
    let current = client
        .describe_time_to_live()
        .table_name(table)
        .send()
        .await
        .map_err(|e| StoreError::backend("failed to read the table's TTL", e))?;
    let current = current.time_to_live_description();
    let status = current.and_then(|d| d.time_to_live_status());
    if matches!(
        status,
        Some(TimeToLiveStatus::Enabled | TimeToLiveStatus::Enabling)
    ) {
        let attribute = current.and_then(|d| d.attribute_name());
        return match attribute {
            Some(TTL_ATTRIBUTE) => Ok(()),
            other => Err(StoreError::backend(
                "failed to enable TTL",
                WrongTtl(other.unwrap_or_default().to_owned()),
            )),
        };
    }
    client
        .update_time_to_live()
        .table_name(table)
        .time_to_live_specification(
            TimeToLiveSpecification::builder()
                .attribute_name(TTL_ATTRIBUTE)
                .enabled(true)
                .build()
                .map_err(|e| StoreError::backend("failed to describe the TTL", e))?,
        )
        .send()
        .await
        .map_err(|e| StoreError::backend("failed to enable TTL", e))?;
    Ok(())
}

#[derive(Debug, thiserror::Error)]
#[error("the table's TTL is on `{0}`, not on `{TTL_ATTRIBUTE}`")]
struct WrongTtl(String);

/// Creates the table unless it exists; an existing table is left untouched.
pub async fn ensure_table(client: &Client, table: &str) -> Result<(), StoreError> {
    match client.describe_table().table_name(table).send().await {
        Ok(_) => Ok(()),
        Err(e)
            if e.as_service_error()
                .is_some_and(|e| e.is_resource_not_found_exception()) =>
        {
            create_table(client, table).await
        }
        Err(e) => Err(StoreError::backend("failed to describe the table", e)),
    }
}
