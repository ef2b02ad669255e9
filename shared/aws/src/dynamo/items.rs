//! The stored items: private structs that `serde_dynamo` maps to and from attribute maps, each
//! built from the domain value it holds, with its keys beside it. The field names are the
//! attribute names of [`super::table`] (a test holds them together).

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::{
    audit::Event,
    idempotency::KeyRecord,
    invitation::{Invitation, Status},
    people::{Agent, Membership, Person, Workgroup},
    store::StoreError,
};
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::keys;

pub type Item = HashMap<String, AttributeValue>;

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(|e| StoreError::backend("failed to encode an item", e))
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::backend("failed to decode an item", e))
}

#[derive(Debug, Serialize, Deserialize)]
pub struct WorkgroupItem {
    pk: String,
    sk: String,
    workgroup: Workgroup,
}

impl WorkgroupItem {
    pub fn of(workgroup: &Workgroup) -> Self {
        Self {
            pk: keys::workgroup(&workgroup.id),
            sk: keys::WORKGROUP.to_owned(),
            workgroup: workgroup.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct PersonItem {
    pk: String,
    sk: String,
    person: Person,
}

/// The attributes a person's conditions and updates name.
pub mod person_attributes {
    pub const PERSON: &str = "person";
    pub const SIGN_IN: &str = "sign_in";
}

impl PersonItem {
    pub fn of(person: &Person) -> Self {
        Self {
            pk: keys::person(&person.email),
            sk: keys::PERSON.to_owned(),
            person: person.clone(),
        }
    }

    pub fn into_person(self) -> Person {
        self.person
    }
}

/// A membership, with the workgroup and the agent copied in, so that both "the agents of a
/// workgroup" and "the workgroups of a person" are one query.
#[derive(Debug, Serialize, Deserialize)]
pub struct MembershipItem {
    pk: String,
    sk: String,
    gsi1pk: String,
    gsi1sk: String,
    workgroup: Workgroup,
    agent: Agent,
}

impl MembershipItem {
    pub fn of(workgroup: &Workgroup, agent: &Agent) -> Self {
        Self {
            pk: keys::workgroup(&workgroup.id),
            sk: keys::agent(&agent.email),
            gsi1pk: keys::person(&agent.email),
            gsi1sk: keys::by_name(workgroup),
            workgroup: workgroup.clone(),
            agent: agent.clone(),
        }
    }

    pub fn into_membership(self) -> Membership {
        Membership {
            workgroup: self.workgroup,
            agent: self.agent,
        }
    }

    pub fn into_agent(self) -> Agent {
        self.agent
    }
}

/// An invitation, with the attributes that conditions and filters read (`live_until`,
/// `status`, `version`, `nonce`) copied to the top level from the invitation they derive from.
#[derive(Debug, Serialize, Deserialize)]
pub struct InvitationItem {
    pk: String,
    sk: String,
    gsi2pk: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gsi3pk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gsi4pk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gsi4sk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gsi5pk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gsi5sk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gsi6pk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    gsi6sk: Option<String>,
    lsi1sk: String,
    /// The invitation's expiry, epoch seconds: what conditions and filters compare.
    live_until: i64,
    /// The table's TTL attribute: [`domain::invitation::KEPT_AFTER_EXPIRY`] past the expiry.
    expires_at: i64,
    status: Status,
    version: u64,
    /// The current send's nonce, which delivery reports are conditioned on.
    nonce: String,
    invitation: Invitation,
}

/// Names of the non-key attributes of an invitation item, for expressions.
pub mod invitation_attributes {
    pub const LIVE_UNTIL: &str = "live_until";
    pub const STATUS: &str = "status";
    pub const VERSION: &str = "version";
    pub const NONCE: &str = "nonce";
    /// The invitation itself, a map; `delivery` and `id` are paths inside it.
    pub const INVITATION: &str = "invitation";
    pub const DELIVERY: &str = "delivery";
    pub const DELIVERY_ATTEMPTS: &str = "delivery_attempts";
    pub const RETRY_AT: &str = "retry_at";
    pub const SENDING_UNTIL: &str = "sending_until";
    pub const ID: &str = "id";
}

impl InvitationItem {
    pub fn of(invitation: &Invitation) -> Self {
        let pending = invitation.status == Status::Pending;
        // In `by_expiry_day` while it holds a pending place: the reminder sweep's and the
        // expiry sweep's candidates; inserts replace an expired invitation only once out.
        let awaited = invitation.holds_pending_place();
        let expires_at = invitation.expires_at();
        Self {
            pk: keys::workgroup(&invitation.workgroup.id),
            sk: keys::invitee(&invitation.email),
            gsi2pk: keys::invitation(&invitation.id),
            gsi3pk: invitation
                .token_hash
                .as_ref()
                .filter(|_| pending)
                .map(keys::token),
            gsi4pk: awaited.then(|| keys::expiry_day(expires_at.date_naive())),
            gsi4sk: awaited.then(|| keys::expiry(expires_at, &invitation.id)),
            gsi5pk: Self::retry_keys(invitation).map(|(pk, _)| pk),
            gsi5sk: Self::retry_keys(invitation).map(|(_, sk)| sk),
            // In `by_invitee` while it can be answered (expired ones are filtered on read).
            gsi6pk: awaited.then(|| keys::invitee(&invitation.email)),
            gsi6sk: awaited.then(|| keys::sent(invitation.sent_at, &invitation.id)),
            lsi1sk: keys::sent(invitation.sent_at, &invitation.id),
            live_until: expires_at.timestamp(),
            expires_at: (expires_at + domain::invitation::KEPT_AFTER_EXPIRY).timestamp(),
            status: invitation.status,
            version: invitation.version,
            nonce: String::from(invitation.nonce.clone()),
            invitation: invitation.clone(),
        }
    }

    /// The `by_retry` keys, while a pending invitation's email awaits an attempt.
    pub fn retry_keys(invitation: &Invitation) -> Option<(String, String)> {
        let at = invitation
            .retry_at
            .filter(|_| invitation.status == Status::Pending)?;
        Some((keys::RETRY.to_owned(), keys::retry(at, &invitation.id)))
    }

    pub fn into_invitation(self) -> Invitation {
        self.invitation
    }
}

/// An event of the audit trail. The event is kept as its published JSON, which the stream
/// publisher forwards as it is; `type` and `workgroup` are copied out for stream filters.
#[derive(Debug, Serialize, Deserialize)]
pub struct EventItem {
    pk: String,
    sk: String,
    #[serde(rename = "type")]
    kind: String,
    workgroup: String,
    /// The table's TTL attribute: DynamoDB removes the event after its retention.
    expires_at: i64,
    event: String,
}

impl EventItem {
    pub fn of(event: &Event) -> Result<Self, StoreError> {
        Ok(Self {
            pk: keys::events(&event.workgroup),
            sk: keys::event(event.at, &event.id),
            kind: event.change.kind().to_owned(),
            workgroup: event.workgroup.as_str().to_owned(),
            expires_at: event.expires_at().timestamp(),
            event: serde_json::to_string(event)
                .map_err(|e| StoreError::backend("failed to encode an event", e))?,
        })
    }

    pub fn into_event(self) -> Result<Event, StoreError> {
        serde_json::from_str(&self.event)
            .map_err(|e| StoreError::backend("failed to decode an event", e))
    }
}

/// An idempotency key, with what its conditions read at the top level.
#[derive(Debug, Serialize, Deserialize)]
pub struct KeyItem {
    pk: String,
    sk: String,
    pub fingerprint: String,
    claimed_at: i64,
    answered: bool,
    /// The table's TTL attribute: DynamoDB removes the key some time after its window.
    expires_at: i64,
    record: KeyRecord,
}

/// Names of the attributes of a key item, for expressions.
pub mod key_attributes {
    pub const FINGERPRINT: &str = "fingerprint";
    pub const CLAIMED_AT: &str = "claimed_at";
    pub const ANSWERED: &str = "answered";
    pub const RECORD: &str = "record";
    pub const ANSWER: &str = "answer";
}

impl KeyItem {
    pub fn of(digest: &str, record: &KeyRecord) -> Self {
        Self {
            pk: keys::idempotency(digest),
            sk: keys::IDEMPOTENCY.to_owned(),
            fingerprint: record.fingerprint.clone(),
            claimed_at: record.claimed_at.timestamp(),
            answered: record.answer.is_some(),
            expires_at: record.expires_at().timestamp(),
            record: record.clone(),
        }
    }

    pub fn into_record(self) -> KeyRecord {
        self.record
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use chrono::{TimeDelta, TimeZone, Utc};
    use domain::{
        address::EmailAddress,
        ids::{AgentId, WorkgroupId},
        invitation::{self, Inviter},
        locale::Locale,
        people::{DisplayName, WorkgroupName},
        role::Role,
        secret::SecretKey,
    };

    use super::*;
    use crate::dynamo::table::{
        self, BY_EXPIRY_DAY, BY_INVITATION_ID, BY_INVITEE, BY_PERSON, BY_RETRY, BY_SEND, BY_TOKEN,
        PARTITION_KEY, SORT_KEY, TTL_ATTRIBUTE,
    };

    fn names(item: &Item) -> BTreeSet<&str> {
        item.keys().map(String::as_str).collect()
    }

    fn set<'a>(names: impl IntoIterator<Item = &'a str>) -> BTreeSet<&'a str> {
        names.into_iter().collect()
    }

    fn scene() -> (Workgroup, Person, Agent, Invitation) {
        let now = Utc.with_ymd_and_hms(2031, 3, 3, 23, 59, 59).unwrap();
        let workgroup = Workgroup {
            id: WorkgroupId::generate(),
            name: WorkgroupName::parse("Acme IT").unwrap(),
            locale: Locale::En,
        };
        let person = Person {
            id: AgentId::generate(),
            email: EmailAddress::parse("ada@example.com").unwrap(),
            name: DisplayName::parse("Ada").unwrap(),
            registered_at: now,
            sign_in: Some(domain::people::SignIn {
                issuer: "https://issuer.example".to_owned(),
                subject: "ada".to_owned(),
            }),
        };
        let agent = Agent::joining(&person, Role::Administrator, now);
        let key = SecretKey::generate();
        let send = invitation::Send {
            by: Inviter {
                id: agent.id.clone(),
                email: agent.email.clone(),
                name: agent.name.clone(),
            },
            role: Role::Manager,
            locale: None,
            now,
            key: &key,
        };
        let email = EmailAddress::parse("ann@example.com").unwrap();
        let (invitation, _) = Invitation::issue(&workgroup, email, send);
        (workgroup, person, agent, invitation)
    }

    #[test]
    fn item_attributes_are_the_tables_key_and_index_attributes() {
        let (workgroup, person, agent, pending) = scene();
        let table_keys = [PARTITION_KEY, SORT_KEY];

        let item = to_item(&WorkgroupItem::of(&workgroup)).unwrap();
        assert_eq!(
            names(&item),
            set(table_keys.into_iter().chain(["workgroup"]))
        );
        let item = to_item(&PersonItem::of(&person)).unwrap();
        assert_eq!(names(&item), set(table_keys.into_iter().chain(["person"])));

        let item = to_item(&MembershipItem::of(&workgroup, &agent)).unwrap();
        let by_person = [BY_PERSON.partition, BY_PERSON.sort.unwrap()];
        assert_eq!(
            names(&item),
            set(table_keys
                .into_iter()
                .chain(by_person)
                .chain(["workgroup", "agent"]))
        );

        use invitation_attributes::*;
        let item = to_item(&InvitationItem::of(&pending)).unwrap();
        let payload = [
            TTL_ATTRIBUTE,
            LIVE_UNTIL,
            STATUS,
            VERSION,
            NONCE,
            INVITATION,
        ];
        let always = [BY_INVITATION_ID.partition, BY_SEND.sort.unwrap()];
        // A new invitation's email is due for an attempt until its sender reports on it.
        let while_pending = [
            BY_TOKEN.partition,
            BY_EXPIRY_DAY.partition,
            BY_EXPIRY_DAY.sort.unwrap(),
            BY_RETRY.partition,
            BY_RETRY.sort.unwrap(),
            BY_INVITEE.partition,
            BY_INVITEE.sort.unwrap(),
        ];
        assert_eq!(
            names(&item),
            set(table_keys
                .into_iter()
                .chain(always)
                .chain(while_pending)
                .chain(payload))
        );
        assert!(matches!(item[TTL_ATTRIBUTE], AttributeValue::N(_)));
        let AttributeValue::M(invitation) = &item[INVITATION] else {
            panic!("the invitation is a map");
        };
        assert!(invitation.contains_key(DELIVERY) && invitation.contains_key(ID));
        assert!(invitation.contains_key(DELIVERY_ATTEMPTS) && invitation.contains_key(RETRY_AT));
        let handed_over = to_item(&InvitationItem::of(
            &pending.attempted(true, pending.sent_at),
        ))
        .unwrap();
        assert!(
            !handed_over.contains_key(BY_RETRY.partition),
            "an email handed over leaves by_retry"
        );

        let declined = pending
            .decline(pending.sent_at + TimeDelta::hours(1))
            .unwrap();
        let item = to_item(&InvitationItem::of(&declined)).unwrap();
        assert_eq!(
            names(&item),
            set(table_keys.into_iter().chain(always).chain(payload)),
            "a declined invitation leaves the sparse indexes"
        );
        let expired = pending.sent_at + domain::clock::INVITATION_LIFETIME;
        let lapsed = pending.lapsed(expired).expect("pending and expired");
        let item = to_item(&InvitationItem::of(&lapsed)).unwrap();
        assert!(
            !item.contains_key(BY_EXPIRY_DAY.partition)
                && !item.contains_key(BY_RETRY.partition)
                && !item.contains_key(BY_INVITEE.partition),
            "an invitation whose expiry is recorded leaves by_expiry_day, by_retry and by_invitee"
        );
        let carried: BTreeSet<String> = [
            to_item(&InvitationItem::of(&pending)).unwrap(),
            to_item(&MembershipItem::of(&workgroup, &agent)).unwrap(),
        ]
        .iter()
        .flat_map(|item| item.keys().cloned())
        .collect();
        for name in table::key_attributes() {
            assert!(carried.contains(name), "no item carries {name}");
        }
    }

    #[test]
    fn an_invitation_item_is_keyed_by_workgroup_and_address_and_kept_a_while_past_its_expiry() {
        let (workgroup, _, _, invitation) = scene();
        let item = to_item(&InvitationItem::of(&invitation)).unwrap();
        let text = |name: &str| match &item[name] {
            AttributeValue::S(text) => text.clone(),
            other => panic!("{name} is {other:?}"),
        };
        assert_eq!(text("pk"), format!("WG#{}", workgroup.id));
        assert_eq!(text("sk"), "INVITEE#ann@example.com");
        assert_eq!(text("gsi2pk"), format!("INVITATION#{}", invitation.id));
        // Sent 2031-03-03T23:59:59Z: the expiry day is 30 days later, in UTC.
        assert_eq!(text("gsi4pk"), "EXPIRES#2031-04-02");
        let expires_at = invitation.expires_at().timestamp();
        assert_eq!(
            text("gsi4sk"),
            format!("{expires_at:012}#{}", invitation.id)
        );
        assert_eq!(
            item[invitation_attributes::LIVE_UNTIL],
            AttributeValue::N(expires_at.to_string())
        );
        let removable = expires_at + domain::invitation::KEPT_AFTER_EXPIRY.num_seconds();
        assert_eq!(
            item[TTL_ATTRIBUTE],
            AttributeValue::N(removable.to_string())
        );
        let decoded: InvitationItem = from_item(item).unwrap();
        assert_eq!(decoded.into_invitation(), invitation);
    }
}
