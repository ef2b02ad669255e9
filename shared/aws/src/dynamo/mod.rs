//! The DynamoDB store: one table, every item reached by key or by one index query, never a
//! `Scan`. The design (its items, keys and indexes, and the access pattern behind each call)
//! is `docs/dynamodb.md`; [`table`] defines the table, `keys.rs` spells every key, `items.rs`
//! shapes every item, and each port is implemented in its own module.
//!
//! A failed condition, or a concurrent transaction on the same items, refuses the whole write:
//! it comes back as [`StoreError::Conflict`] (or, on invite, as what was found), and nothing is
//! written. Expressions name every attribute through `#placeholders`, so no attribute name can
//! collide with a reserved word. Page positions are the last listed item's keys; the domain
//! seals them into opaque, tamper-proof cursors, and a position this store did not write is
//! refused.

mod counters;
mod events;
mod idempotency;
mod invitations;
mod items;
mod keys;
mod people;
pub mod table;

pub use keys::EVENTS_PREFIX;

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    Client,
    error::{ProvideErrorMetadata, SdkError},
    operation::{
        put_item::PutItemError, query::builders::QueryFluentBuilder,
        transact_write_items::TransactWriteItemsError,
    },
    types::{
        AttributeValue, CancellationReason, ConditionCheck, Delete, Put, ReturnValue,
        ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
    },
};
use aws_smithy_runtime_api::http::Response;
use domain::{
    address::EmailAddress,
    audit::Event,
    clock::Timestamp,
    idempotency::{Claim, IdempotencyKey, KeyRecord, RecordedAnswer},
    ids::{InvitationId, WorkgroupId},
    invitation::{Invitation, Status},
    people::{Agent, Membership, Person, SignIn, Workgroup},
    quota::QuotaKey,
    secret::TokenHash,
    store::SendSlots,
    store::{Inserted, Page, PageRequest, StoreError},
};
use serde::de::DeserializeOwned;

use items::{
    EventItem, InvitationItem, Item, KeyItem, MembershipItem, PersonItem, WorkgroupItem, from_item,
    invitation_attributes as attr, to_item,
};
use table::{
    BY_EXPIRY_DAY, BY_INVITATION_ID, BY_INVITEE, BY_PERSON, BY_RETRY, BY_SEND, BY_TOKEN, Index,
    PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE,
};

/// The [`Store`] on one DynamoDB table. Cheap to clone: the client is shared.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    /// The store on `table`, a table made from [`table`]'s definition.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    /// Opens the client's connection and settles what its first request would otherwise set up
    /// (endpoint, credentials, signing), with an eventually consistent read of a key no item
    /// has: half a read unit. Functions run it at init, beside reading their secret, so their
    /// first invocation finds the connection open. A failure here is the first request's to
    /// report, so it is only returned for logging.
    pub async fn warm_up(&self) -> Result<(), StoreError> {
        self.client
            .get_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, s(WARM_UP_KEY))
            .key(SORT_KEY, s(WARM_UP_KEY))
            .send()
            .await
            .map(|_| ())
            .map_err(|e| StoreError::backend("failed to warm the connection up", e))
    }
}

/// The key [`DynamoStore::warm_up`] reads: no item ever has it.
const WARM_UP_KEY: &str = "WARM-UP";

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key(pk: String, sk: String) -> Item {
    HashMap::from([
        (PARTITION_KEY.to_owned(), s(pk)),
        (SORT_KEY.to_owned(), s(sk)),
    ])
}

fn invitation_key(invitation: &Invitation) -> Item {
    key(
        keys::workgroup(&invitation.workgroup.id),
        keys::invitee(&invitation.email),
    )
}

fn idempotency_key(key: &IdempotencyKey) -> Item {
    self::key(
        keys::idempotency(key.digest()),
        keys::IDEMPOTENCY.to_owned(),
    )
}

/// A conditional-check failure that should have carried the old item did not.
#[derive(Debug, thiserror::Error)]
#[error("no item in the condition failure")]
struct NoItem;

fn built<T, E>(result: Result<T, E>) -> Result<T, StoreError>
where
    E: std::error::Error + Send + Sync + 'static,
{
    result.map_err(|e| StoreError::backend("failed to build a request", e))
}

/// For a single-item write: a failed condition, or a transaction holding the item, refused
/// it (nothing was written); anything else is a backend failure saying what was attempted.
fn refused<E>(context: &'static str) -> impl FnOnce(SdkError<E, Response>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    move |error| {
        let code = error.as_service_error().and_then(|e| e.code());
        match code {
            Some("ConditionalCheckFailedException" | "TransactionConflictException") => {
                StoreError::Conflict
            }
            _ => StoreError::backend(context, error),
        }
    }
}

fn condition_failed(reason: Option<&CancellationReason>) -> bool {
    reason.is_some_and(|r| r.code() == Some("ConditionalCheckFailed"))
}

/// The reasons of a transaction that a failed condition or a concurrent transaction cancelled
/// (nothing was written), or the failure.
fn cancellation(
    error: SdkError<TransactWriteItemsError, Response>,
    context: &'static str,
) -> Result<Vec<CancellationReason>, StoreError> {
    match error.into_service_error() {
        TransactWriteItemsError::TransactionCanceledException(e)
            if e.cancellation_reasons().iter().any(|r| {
                matches!(
                    r.code(),
                    Some("ConditionalCheckFailed" | "TransactionConflict")
                )
            }) =>
        {
            Ok(e.cancellation_reasons().to_vec())
        }
        other => Err(StoreError::backend(context, other)),
    }
}

/// The transactional Put of an event, beside the change it records.
fn put_event(table: &str, event: &Event) -> Result<TransactWriteItem, StoreError> {
    put_new(table, to_item(&EventItem::of(event)?)?)
}

/// A transactional Put of a new item: refused if an item has its key.
fn put_new(table: &str, item: Item) -> Result<TransactWriteItem, StoreError> {
    let put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .condition_expression("attribute_not_exists(#pk)")
        .expression_attribute_names("#pk", PARTITION_KEY);
    Ok(TransactWriteItem::builder()
        .put(built(put.build())?)
        .build())
}

impl DynamoStore {
    /// One item by key, consistently read.
    async fn get<T: DeserializeOwned>(&self, key: Item) -> Result<Option<T>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::backend("failed to read an item", e))?;
        output.item.map(from_item).transpose()
    }

    /// The one invitation an index's partition holds.
    async fn invitation_on(
        &self,
        index: Index,
        partition: String,
    ) -> Result<Option<Invitation>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index.name)
            .key_condition_expression("#k = :k")
            .expression_attribute_names("#k", index.partition)
            .expression_attribute_values(":k", s(partition))
            .send()
            .await
            .map_err(|e| StoreError::backend("failed to query an index", e))?;
        match output.items.unwrap_or_default().into_iter().next() {
            Some(item) => Ok(Some(from_item::<InvitationItem>(item)?.into_invitation())),
            None => Ok(None),
        }
    }

    /// Every item of a query, following its pages.
    async fn every_item(
        &self,
        query: QueryFluentBuilder,
        context: &'static str,
    ) -> Result<Vec<Item>, StoreError> {
        query
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(|e| StoreError::backend(context, e))
    }

    /// Up to `limit` items of a query from `start`, and whether more follow. `Limit` counts
    /// the items read before the filter drops any, so reading goes on until `limit + 1` items
    /// passed it or the range ends.
    async fn page_of(
        &self,
        query: QueryFluentBuilder,
        mut start: Option<Item>,
        limit: usize,
        context: &'static str,
    ) -> Result<(Vec<Item>, bool), StoreError> {
        let wanted = limit.saturating_add(1);
        let mut found = Vec::new();
        loop {
            let output = query
                .clone()
                .limit(i32::try_from(wanted).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| StoreError::backend(context, e))?;
            found.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if found.len() >= wanted || start.is_none() {
                break;
            }
        }
        let more = found.len() > limit;
        found.truncate(limit);
        Ok((found, more))
    }

    async fn transact(
        &self,
        items: Vec<TransactWriteItem>,
        context: &'static str,
    ) -> Result<(), StoreError> {
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error) => {
                cancellation(error, context)?;
                Err(StoreError::Conflict)
            }
        }
    }

    /// Up to `limit` pending invitations expiring on `day`, with sort keys after `start` and
    /// before `to`, and whether more follow.
    async fn expiring_on(
        &self,
        day: chrono::NaiveDate,
        start: &str,
        to: &str,
        limit: usize,
    ) -> Result<(Vec<Item>, bool), StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_EXPIRY_DAY.name)
            .key_condition_expression("#day = :day AND #at BETWEEN :start AND :to")
            .expression_attribute_names("#day", BY_EXPIRY_DAY.partition)
            .expression_attribute_names("#at", BY_EXPIRY_DAY.sort.unwrap_or_default())
            .expression_attribute_values(":day", s(keys::expiry_day(day)))
            .expression_attribute_values(":start", s(keys::just_after(start)))
            .expression_attribute_values(":to", s(to));
        self.page_of(query, None, limit, "failed to query expiring invitations")
            .await
    }
}

/// A page of invitation items, and where the next one starts (the last one's index sort key).
fn invitation_page(
    items: Vec<Item>,
    more: bool,
    position: impl Fn(&Invitation) -> String,
) -> Result<Page<Invitation>, StoreError> {
    let invitations = items
        .into_iter()
        .map(|item| from_item::<InvitationItem>(item).map(InvitationItem::into_invitation))
        .collect::<Result<Vec<_>, _>>()?;
    let next = invitations.last().filter(|_| more).map(position);
    Ok(Page {
        items: invitations,
        next,
    })
}

impl SendSlots for DynamoStore {
    async fn take_send_slot(&self, second: i64, rate: u32) -> Result<Option<u32>, StoreError> {
        let item = key(keys::send_slot(second), keys::SEND_SLOT.to_owned());
        // Gone by TTL a day later; only the current second is ever counted up.
        let expires =
            chrono::DateTime::from_timestamp(second, 0).map(|at| at + chrono::TimeDelta::days(1));
        let counted = self
            .count_up(item, 1, rate, expires, "failed to take a send slot")
            .await?;
        Ok(counted.map(|used| used.saturating_sub(1)))
    }
}

/// The counters (a daily quota, a workgroup's pending count): one item each, changed only by
/// single-item UpdateItems, never in a transaction, so concurrent changes queue on the item
/// instead of cancelling each other as transactions would.
impl DynamoStore {
    /// Adds `amount` to the counter if that keeps it within `limit`: the count it then holds,
    /// or `None` (nothing added) otherwise. `expires` sets the item's TTL.
    async fn count_up(
        &self,
        item: Item,
        amount: u32,
        limit: u32,
        expires: Option<Timestamp>,
        context: &'static str,
    ) -> Result<Option<u32>, StoreError> {
        if amount > limit {
            return Ok(None);
        }
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item))
            .return_values(ReturnValue::UpdatedNew)
            .condition_expression("attribute_not_exists(#count) OR #count <= :room")
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_values(":zero", n(0))
            .expression_attribute_values(":amount", n(amount))
            .expression_attribute_values(":room", n(limit - amount));
        request = match expires {
            Some(expires) => request
                .update_expression(
                    "SET #count = if_not_exists(#count, :zero) + :amount, #expires = :expires",
                )
                .expression_attribute_names("#expires", TTL_ATTRIBUTE)
                .expression_attribute_values(":expires", n(expires.timestamp())),
            None => {
                request.update_expression("SET #count = if_not_exists(#count, :zero) + :amount")
            }
        };
        match request.send().await.map_err(refused(context)) {
            Ok(updated) => {
                let count = updated
                    .attributes()
                    .and_then(|new| new.get(COUNT))
                    .and_then(|count| count.as_n().ok())
                    .and_then(|count| count.parse().ok());
                Ok(Some(count.unwrap_or(limit)))
            }
            Err(StoreError::Conflict) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Takes `amount` off the counter, unless it holds less (counted before the counter
    /// existed): never below zero.
    async fn count_down(
        &self,
        item: Item,
        amount: u32,
        context: &'static str,
    ) -> Result<(), StoreError> {
        let taken = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(item))
            .update_expression("SET #count = #count - :amount")
            .condition_expression("#count >= :amount")
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_values(":amount", n(amount))
            .send()
            .await
            .map_err(refused(context));
        match taken {
            Ok(_) | Err(StoreError::Conflict) => Ok(()),
            Err(error) => Err(error),
        }
    }
}

/// The attribute of a counter item.
const COUNT: &str = "count";

/// The transactional Delete of an invitation unchanged since read (cancel, accept).
fn delete_unchanged(table: &str, invitation: &Invitation) -> Result<Delete, StoreError> {
    built(
        Delete::builder()
            .table_name(table)
            .set_key(Some(invitation_key(invitation)))
            .condition_expression("#version = :version AND #invitation.#id = :id")
            .expression_attribute_names("#version", attr::VERSION)
            .expression_attribute_names("#invitation", attr::INVITATION)
            .expression_attribute_names("#id", attr::ID)
            .expression_attribute_values(":version", n(invitation.version))
            .expression_attribute_values(":id", s(invitation.id.as_str()))
            .build(),
    )
}

/// The audit event a stream record's new image holds: `None` for any other item. Stream
/// images are attribute maps like the items the store writes.
pub fn event_in_image(image: Item) -> Result<Option<Event>, StoreError> {
    let is_event = matches!(
        image.get(SORT_KEY),
        Some(AttributeValue::S(sk)) if sk.starts_with(keys::EVENT_PREFIX)
    );
    if !is_event {
        return Ok(None);
    }
    from_item::<EventItem>(image)?.into_event().map(Some)
}
