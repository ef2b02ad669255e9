//! The DynamoDB store: one table, every item reached by key or by one index query.
//!
//! | item | `pk` | `sk` | indexes |
//! | --- | --- | --- | --- |
//! | workgroup | `WG#<wg>` | `WORKGROUP` | |
//! | person | `PERSON#<email>` | `PERSON` | |
//! | membership | `WG#<wg>` | `AGENT#<email>` | `by_person`: `PERSON#<email>` / `<name>#<wg>` |
//! | invitation | `WG#<wg>` | `INVITEE#<email>` | `by_invitation_id`: `INVITATION#<id>`; `by_token`: `TOKEN#<hash>` (pending only); `by_expiry_day`: `EXPIRES#<yyyy-mm-dd>` / `<expiry>#<id>` (pending only); `by_send` (local): `SENT#<sent>#<id>` |
//!
//! Expressions name every non-key attribute through `#placeholders`, so no attribute name can
//! collide with a DynamoDB reserved word.
//!
//! Keying an invitation by its address makes "one live invitation per address and workgroup"
//! the primary key itself. `expires_at` (epoch seconds) is the TTL attribute; TTL deletes late,
//! so lists filter on it and the domain checks it on every read.
//!
//! | access pattern | reached by | call |
//! | --- | --- | --- |
//! | membership (authorisation), person | key | GetItem, consistent |
//! | agents of a workgroup | `pk`, `begins_with(sk, "AGENT#")` | Query |
//! | my workgroups | `by_person` | Query |
//! | invitations, newest first | `by_send`, filter `expires_at > now` | Query |
//! | invitation by id / by token | `by_invitation_id` / `by_token` | Query |
//! | reminder candidates | `by_expiry_day`, one query per day of the window | Query |
//! | invite | membership must not exist, invitation absent or expired | TransactWriteItems |
//! | resend, decline, reminder claim | `version` unchanged | PutItem |
//! | delivery report | same send (`nonce`) | UpdateItem |
//! | cancel | `version` unchanged | DeleteItem |
//! | accept, create workgroup | all conditions at once | TransactWriteItems |

pub mod table;

use std::collections::HashMap;

use aws_sdk_dynamodb::{
    Client,
    error::SdkError,
    operation::transact_write_items::TransactWriteItemsError,
    types::{
        AttributeValue, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure,
        TransactWriteItem,
    },
};
use chrono::{Days, TimeDelta};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use shared::{
    address::EmailAddress,
    clock::Timestamp,
    ids::{InvitationId, WorkgroupId},
    invitation::{Invitation, Status},
    people::{Agent, Membership, Person, Workgroup},
    secret::TokenHash,
    store::{Inserted, Page, PageRequest, Store, StoreError},
};

use table::{BY_EXPIRY_DAY, BY_INVITATION_ID, BY_PERSON, BY_SEND, BY_TOKEN};

type Item = HashMap<String, AttributeValue>;

/// The [`Store`] on one DynamoDB table. Cheap to clone: the client is shared.
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }
}

mod keys {
    use super::*;

    pub fn workgroup(id: &WorkgroupId) -> String {
        format!("WG#{id}")
    }
    pub fn person(email: &EmailAddress) -> String {
        format!("PERSON#{email}")
    }
    pub fn agent(email: &EmailAddress) -> String {
        format!("AGENT#{email}")
    }
    pub fn invitee(email: &EmailAddress) -> String {
        format!("INVITEE#{email}")
    }
    pub fn sent(invitation: &Invitation) -> String {
        format!(
            "SENT#{:012}#{}",
            invitation.sent_at.timestamp(),
            invitation.id
        )
    }
    /// Seconds padded so that strings sort like numbers.
    pub fn second(at: Timestamp) -> String {
        format!("{:012}", at.timestamp())
    }
    pub fn expiry_day(at: Timestamp) -> String {
        format!("EXPIRES#{}", at.format("%Y-%m-%d"))
    }
}

#[derive(Serialize, Deserialize)]
struct WorkgroupItem {
    pk: String,
    sk: String,
    workgroup: Workgroup,
}

#[derive(Serialize, Deserialize)]
struct PersonItem {
    pk: String,
    sk: String,
    person: Person,
}

#[derive(Serialize, Deserialize)]
struct MembershipItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    workgroup: Workgroup,
    agent: Agent,
}

impl MembershipItem {
    fn of(workgroup: &Workgroup, agent: &Agent) -> Self {
        Self {
            pk: keys::workgroup(&workgroup.id),
            sk: keys::agent(&agent.email),
            gsi1pk: keys::person(&agent.email),
            gsi1sk: format!("{}#{}", workgroup.name, workgroup.id),
            workgroup: workgroup.clone(),
            agent: agent.clone(),
        }
    }
}

#[derive(Serialize, Deserialize)]
struct InvitationItem {
    pk: String,
    sk: String,
    gsi2pk: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gsi3pk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gsi4pk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gsi4sk: Option<String>,
    lsi1sk: String,
    expires_at: i64,
    status: Status,
    version: u64,
    /// The current send's nonce, which delivery reports are conditioned on.
    nonce: String,
    invitation: Invitation,
}

impl InvitationItem {
    fn of(invitation: &Invitation) -> Self {
        let pending = invitation.status == Status::Pending;
        let expires = invitation.expires_at();
        Self {
            pk: keys::workgroup(&invitation.workgroup.id),
            sk: keys::invitee(&invitation.email),
            gsi2pk: format!("INVITATION#{}", invitation.id),
            gsi3pk: invitation
                .token_hash
                .as_ref()
                .filter(|_| pending)
                .map(|hash| format!("TOKEN#{}", hash.as_str())),
            gsi4pk: pending.then(|| keys::expiry_day(expires)),
            gsi4sk: pending.then(|| format!("{}#{}", keys::second(expires), invitation.id)),
            lsi1sk: keys::sent(invitation),
            expires_at: expires.timestamp(),
            status: invitation.status,
            version: invitation.version,
            nonce: String::from(invitation.nonce.clone()),
            invitation: invitation.clone(),
        }
    }
}

fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::backend("failed to encode an item", e))
}

fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::backend("failed to decode an item", e))
}

fn s(value: impl Into<String>) -> AttributeValue {
    AttributeValue::S(value.into())
}

fn n(value: impl ToString) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

fn key(pk: String, sk: &str) -> Item {
    HashMap::from([("pk".to_owned(), s(pk)), ("sk".to_owned(), s(sk))])
}

fn built<T, E: std::error::Error + Send + Sync + 'static>(
    result: Result<T, E>,
) -> Result<T, StoreError> {
    result.map_err(|e| StoreError::backend("failed to build a request", e))
}

/// A failed condition is a conflict; anything else a backend failure saying what was done.
fn conditional<E, R>(context: &'static str) -> impl FnOnce(SdkError<E, R>) -> StoreError
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    move |error| {
        // A concurrent transaction on the item refuses the write too: nothing was written.
        if error
            .as_service_error()
            .and_then(|e| e.code())
            .is_some_and(|code| {
                code == "ConditionalCheckFailedException" || code == "TransactionConflictException"
            })
        {
            StoreError::Conflict
        } else {
            StoreError::backend(context, error)
        }
    }
}

/// The cancellation reasons of a transaction that a condition or a concurrent transaction
/// refused (nothing was written), or the error.
fn cancelled(
    error: SdkError<TransactWriteItemsError, aws_smithy_runtime_api::http::Response>,
    context: &'static str,
) -> Result<Vec<aws_sdk_dynamodb::types::CancellationReason>, StoreError> {
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

fn failed(reason: Option<&aws_sdk_dynamodb::types::CancellationReason>) -> bool {
    reason.is_some_and(|r| r.code() == Some("ConditionalCheckFailed"))
}

fn put(table: &str, item: Item, condition: &str) -> Result<Put, StoreError> {
    built(
        Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression(condition)
            .build(),
    )
}

/// Positions are `<sort key>|<address>`: enough to rebuild the query's start key.
fn position_of(sort: &str, email: &EmailAddress) -> String {
    format!("{sort}|{email}")
}

fn parse_position(position: &str) -> Result<(String, EmailAddress), StoreError> {
    let bad = || {
        StoreError::backend(
            "failed to read a page position",
            BadPosition(position.chars().take(80).collect()),
        )
    };
    let (sort, email) = position.rsplit_once('|').ok_or_else(bad)?;
    let email = EmailAddress::parse(email).map_err(|_| bad())?;
    Ok((sort.to_owned(), email))
}

/// Every item of a query, following its pages.
async fn every_item(
    query: aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder,
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

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a page position this store wrote")]
struct BadPosition(String);

impl DynamoStore {
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

    /// The one invitation an index entry points at.
    async fn invitation_on(
        &self,
        index: &str,
        partition: &str,
        value: String,
    ) -> Result<Option<Invitation>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#k = :v")
            .expression_attribute_names("#k", partition)
            .expression_attribute_values(":v", s(value))
            .send()
            .await
            .map_err(|e| StoreError::backend("failed to query an index", e))?;
        match output.items.unwrap_or_default().into_iter().next() {
            Some(item) => Ok(Some(from_item::<InvitationItem>(item)?.invitation)),
            None => Ok(None),
        }
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
                cancelled(error, context)?;
                Err(StoreError::Conflict)
            }
        }
    }

    fn new_person(&self, person: &Person) -> Result<TransactWriteItem, StoreError> {
        let item = to_item(&PersonItem {
            pk: keys::person(&person.email),
            sk: "PERSON".into(),
            person: person.clone(),
        })?;
        Ok(TransactWriteItem::builder()
            .put(put(&self.table, item, "attribute_not_exists(pk)")?)
            .build())
    }

    fn new_membership(
        &self,
        workgroup: &Workgroup,
        agent: &Agent,
    ) -> Result<TransactWriteItem, StoreError> {
        let item = to_item(&MembershipItem::of(workgroup, agent))?;
        Ok(TransactWriteItem::builder()
            .put(put(&self.table, item, "attribute_not_exists(pk)")?)
            .build())
    }
}

impl Store for DynamoStore {
    async fn create_workgroup(
        &self,
        workgroup: &Workgroup,
        founder: &Agent,
        new_person: Option<&Person>,
    ) -> Result<(), StoreError> {
        let item = to_item(&WorkgroupItem {
            pk: keys::workgroup(&workgroup.id),
            sk: "WORKGROUP".into(),
            workgroup: workgroup.clone(),
        })?;
        let mut items = vec![
            TransactWriteItem::builder()
                .put(put(&self.table, item, "attribute_not_exists(pk)")?)
                .build(),
            self.new_membership(workgroup, founder)?,
        ];
        if let Some(person) = new_person {
            items.push(self.new_person(person)?);
        }
        self.transact(items, "failed to create a workgroup").await
    }

    async fn person(&self, email: &EmailAddress) -> Result<Option<Person>, StoreError> {
        let item: Option<PersonItem> = self.get(key(keys::person(email), "PERSON")).await?;
        Ok(item.map(|i| i.person))
    }

    async fn membership(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> Result<Option<Membership>, StoreError> {
        let item: Option<MembershipItem> = self
            .get(key(keys::workgroup(workgroup), &keys::agent(email)))
            .await?;
        Ok(item.map(|i| Membership {
            workgroup: i.workgroup,
            agent: i.agent,
        }))
    }

    async fn memberships_of(&self, email: &EmailAddress) -> Result<Vec<Membership>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_PERSON.name)
            .key_condition_expression("gsi1pk = :p")
            .expression_attribute_values(":p", s(keys::person(email)));
        let items = every_item(query, "failed to query memberships").await?;
        items
            .into_iter()
            .map(|item| {
                from_item::<MembershipItem>(item).map(|m| Membership {
                    workgroup: m.workgroup,
                    agent: m.agent,
                })
            })
            .collect()
    }

    async fn agents(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> Result<Page<Agent>, StoreError> {
        let pk = keys::workgroup(workgroup);
        let start = match &page.after {
            Some(after) => {
                let (_, email) = parse_position(&format!("AGENT|{after}"))?;
                Some(key(pk.clone(), &keys::agent(&email)))
            }
            None => None,
        };
        let limit = page.limit.max(1);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :agent)")
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":agent", s("AGENT#"))
            .set_exclusive_start_key(start)
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| StoreError::backend("failed to query agents", e))?;
        let mut agents = output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<MembershipItem>(item).map(|m| m.agent))
            .collect::<Result<Vec<_>, _>>()?;
        let more = agents.len() > limit;
        agents.truncate(limit);
        let next = more
            .then(|| agents.last().map(|a| a.email.to_string()))
            .flatten();
        Ok(Page {
            items: agents,
            next,
        })
    }

    async fn invitation(
        &self,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> Result<Option<Invitation>, StoreError> {
        let found = self
            .invitation_on(
                BY_INVITATION_ID.name,
                BY_INVITATION_ID.partition,
                format!("INVITATION#{id}"),
            )
            .await?;
        Ok(found.filter(|i| &i.workgroup.id == workgroup))
    }

    async fn invitation_by_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<Invitation>, StoreError> {
        self.invitation_on(
            BY_TOKEN.name,
            BY_TOKEN.partition,
            format!("TOKEN#{}", hash.as_str()),
        )
        .await
    }

    async fn invitations(
        &self,
        workgroup: &WorkgroupId,
        status: Option<Status>,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let pk = keys::workgroup(workgroup);
        let limit = page.limit.max(1);
        let mut start = match &page.after {
            Some(after) => {
                let (sent, email) = parse_position(after)?;
                let mut start = key(pk.clone(), &keys::invitee(&email));
                start.insert("lsi1sk".into(), s(sent));
                Some(start)
            }
            None => None,
        };
        let mut filter = "expires_at > :now".to_owned();
        if status.is_some() {
            filter.push_str(" AND #status = :status");
        }
        let mut found: Vec<Invitation> = Vec::new();
        // Limit applies before the filter: read on until the page is full or the index ends.
        loop {
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_SEND.name)
                .key_condition_expression("pk = :pk AND begins_with(lsi1sk, :sent)")
                .filter_expression(&filter)
                .expression_attribute_values(":pk", s(pk.clone()))
                .expression_attribute_values(":sent", s("SENT#"))
                .expression_attribute_values(":now", n(now.timestamp()))
                .scan_index_forward(false)
                .consistent_read(true)
                .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
                .set_exclusive_start_key(start);
            if let Some(status) = status {
                query = query
                    .expression_attribute_names("#status", "status")
                    .expression_attribute_values(":status", s(status.as_str()));
            }
            let output = query
                .send()
                .await
                .map_err(|e| StoreError::backend("failed to query invitations", e))?;
            for item in output.items.unwrap_or_default() {
                found.push(from_item::<InvitationItem>(item)?.invitation);
            }
            start = output.last_evaluated_key;
            if found.len() > limit || start.is_none() {
                break;
            }
        }
        let more = found.len() > limit;
        found.truncate(limit);
        let next = more
            .then(|| found.last().map(|i| position_of(&keys::sent(i), &i.email)))
            .flatten();
        Ok(Page { items: found, next })
    }

    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        now: Timestamp,
    ) -> Result<Inserted, StoreError> {
        let pk = keys::workgroup(&invitation.workgroup.id);
        let not_an_agent = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, &keys::agent(&invitation.email))))
            .condition_expression("attribute_not_exists(pk)")
            .build();
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&InvitationItem::of(invitation))?))
            .condition_expression("attribute_not_exists(pk) OR expires_at <= :now")
            .expression_attribute_values(":now", n(now.timestamp()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build();
        let items = vec![
            TransactWriteItem::builder()
                .condition_check(built(not_an_agent)?)
                .build(),
            TransactWriteItem::builder().put(built(put)?).build(),
        ];
        match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => Ok(Inserted::Created),
            Err(error) => {
                let reasons = cancelled(error, "failed to insert an invitation")?;
                if reasons
                    .iter()
                    .any(|r| r.code() == Some("TransactionConflict"))
                {
                    return Err(StoreError::Conflict);
                }
                if failed(reasons.first()) {
                    return Ok(Inserted::AlreadyAgent);
                }
                match reasons.get(1).and_then(|r| r.item.clone()) {
                    Some(old) => Ok(Inserted::Exists(Box::new(
                        from_item::<InvitationItem>(old)?.invitation,
                    ))),
                    // The old item is not always returned: read it.
                    None => {
                        let old: Option<InvitationItem> = self
                            .get(key(
                                keys::workgroup(&invitation.workgroup.id),
                                &keys::invitee(&invitation.email),
                            ))
                            .await?;
                        old.map(|i| Inserted::Exists(Box::new(i.invitation)))
                            .ok_or(StoreError::Conflict)
                    }
                }
            }
        }
    }

    async fn update_invitation(&self, next: &Invitation) -> Result<(), StoreError> {
        let previous = next.version.checked_sub(1).ok_or(StoreError::Conflict)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&InvitationItem::of(next))?))
            .condition_expression(
                "attribute_exists(pk) AND #version = :previous AND #invitation.#id = :id",
            )
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#invitation", "invitation")
            .expression_attribute_names("#id", "id")
            .expression_attribute_values(":previous", n(previous))
            .expression_attribute_values(":id", s(next.id.as_str()))
            .send()
            .await
            .map(|_| ())
            .map_err(conditional("failed to update an invitation"))
    }

    async fn record_delivery(&self, invitation: &Invitation) -> Result<(), StoreError> {
        let delivery = serde_dynamo::to_attribute_value(invitation.delivery)
            .map_err(|e| StoreError::backend("failed to encode a delivery", e))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::workgroup(&invitation.workgroup.id),
                &keys::invitee(&invitation.email),
            )))
            .update_expression("SET #invitation.#delivery = :delivery")
            .condition_expression("#nonce = :nonce")
            .expression_attribute_names("#invitation", "invitation")
            .expression_attribute_names("#delivery", "delivery")
            .expression_attribute_names("#nonce", "nonce")
            .expression_attribute_values(":delivery", delivery)
            .expression_attribute_values(":nonce", s(String::from(invitation.nonce.clone())))
            .send()
            .await
            .map(|_| ())
            .map_err(conditional("failed to record a delivery"))
    }

    async fn delete_invitation(&self, invitation: &Invitation) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::workgroup(&invitation.workgroup.id),
                &keys::invitee(&invitation.email),
            )))
            .condition_expression("#version = :version AND #invitation.#id = :id")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#invitation", "invitation")
            .expression_attribute_names("#id", "id")
            .expression_attribute_values(":version", n(invitation.version))
            .expression_attribute_values(":id", s(invitation.id.as_str()))
            .send()
            .await
            .map(|_| ())
            .map_err(conditional("failed to delete an invitation"))
    }

    async fn accept_invitation(
        &self,
        invitation: &Invitation,
        agent: &Agent,
        new_person: Option<&Person>,
    ) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::workgroup(&invitation.workgroup.id),
                &keys::invitee(&invitation.email),
            )))
            .condition_expression("#version = :version AND #invitation.#id = :id")
            .expression_attribute_names("#version", "version")
            .expression_attribute_names("#invitation", "invitation")
            .expression_attribute_names("#id", "id")
            .expression_attribute_values(":version", n(invitation.version))
            .expression_attribute_values(":id", s(invitation.id.as_str()))
            .build();
        let mut items = vec![
            TransactWriteItem::builder().delete(built(delete)?).build(),
            self.new_membership(&invitation.workgroup, agent)?,
        ];
        if let Some(person) = new_person {
            items.push(self.new_person(person)?);
        }
        self.transact(items, "failed to accept an invitation").await
    }

    async fn pending_expiring(
        &self,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Invitation>, StoreError> {
        let mut found = Vec::new();
        let mut day = now + TimeDelta::seconds(1);
        while day.date_naive() <= until.date_naive() {
            let query = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(BY_EXPIRY_DAY.name)
                .key_condition_expression("gsi4pk = :day AND gsi4sk BETWEEN :from AND :to")
                .expression_attribute_values(":day", s(keys::expiry_day(day)))
                .expression_attribute_values(":from", s(keys::second(now + TimeDelta::seconds(1))))
                .expression_attribute_values(":to", s(format!("{}#~", keys::second(until))));
            for item in every_item(query, "failed to query expiring invitations").await? {
                found.push(from_item::<InvitationItem>(item)?.invitation);
            }
            day = day
                .checked_add_days(Days::new(1))
                .ok_or(StoreError::Conflict)?;
        }
        Ok(found)
    }
}
