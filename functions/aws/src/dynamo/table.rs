//! The table definition, in one place: the local server creates the table from it, the tests
//! create theirs from it, and the infrastructure templates are checked against its names.

use aws_sdk_dynamodb::{
    Client,
    types::{
        AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType,
        LocalSecondaryIndex, Projection, ProjectionType, ScalarAttributeType,
        TimeToLiveSpecification,
    },
};
use shared::store::StoreError;

pub const PARTITION_KEY: &str = "pk";
pub const SORT_KEY: &str = "sk";
/// Epoch seconds of an invitation's expiry; DynamoDB's TTL deletes the item some time after.
pub const TTL_ATTRIBUTE: &str = "expires_at";

/// A secondary index: its name and key attributes (`sort` is `None` for a hash-only index).
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
/// A workgroup's invitations by send time (a local index on the table's partition key).
pub const BY_SEND: Index = Index {
    name: "by_send",
    partition: PARTITION_KEY,
    sort: Some("lsi1sk"),
};

pub const GLOBAL_INDEXES: [&Index; 4] = [&BY_PERSON, &BY_INVITATION_ID, &BY_TOKEN, &BY_EXPIRY_DAY];

fn key(name: &str, kind: KeyType) -> Result<KeySchemaElement, StoreError> {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .map_err(|e| StoreError::backend("failed to describe the table", e))
}

fn keys(partition: &str, sort: Option<&str>) -> Result<Vec<KeySchemaElement>, StoreError> {
    let mut keys = vec![key(partition, KeyType::Hash)?];
    if let Some(sort) = sort {
        keys.push(key(sort, KeyType::Range)?);
    }
    Ok(keys)
}

fn all() -> Projection {
    Projection::builder()
        .projection_type(ProjectionType::All)
        .build()
}

/// Creates the table on demand, with every index and TTL on [`TTL_ATTRIBUTE`].
pub async fn create_table(client: &Client, table: &str) -> Result<(), StoreError> {
    let mut attributes = vec![PARTITION_KEY, SORT_KEY, "lsi1sk"];
    for index in GLOBAL_INDEXES {
        attributes.push(index.partition);
        attributes.extend(index.sort);
    }
    let mut request = client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_key_schema(Some(keys(PARTITION_KEY, Some(SORT_KEY))?))
        .local_secondary_indexes(
            LocalSecondaryIndex::builder()
                .index_name(BY_SEND.name)
                .set_key_schema(Some(keys(BY_SEND.partition, BY_SEND.sort)?))
                .projection(all())
                .build()
                .map_err(|e| StoreError::backend("failed to describe the table", e))?,
        );
    for name in attributes {
        request = request.attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(|e| StoreError::backend("failed to describe the table", e))?,
        );
    }
    for index in GLOBAL_INDEXES {
        request = request.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .set_key_schema(Some(keys(index.partition, index.sort)?))
                .projection(all())
                .build()
                .map_err(|e| StoreError::backend("failed to describe the table", e))?,
        );
    }
    request
        .send()
        .await
        .map_err(|e| StoreError::backend("failed to create the table", e))?;
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

/// Creates the table unless it exists.
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
