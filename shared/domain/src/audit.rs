//! The audit trail: one event per change of an invitation, with who made it and when. Stores
//! write each event in the same atomic write as the change it records, so the trail never
//! shows a change that did not happen nor misses one that did; events are then published to
//! integrations from the store (at least once, each with its id).

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::{
    address::EmailAddress,
    clock::Timestamp,
    ids::{AgentId, InvitationId, WorkgroupId},
    invitation::{Delivery, Invitation, Inviter},
    people::{Agent, DisplayName},
    random_bytes,
    role::Role,
};

/// How long events are kept: stores remove them some time after (DynamoDB by TTL).
pub const EVENT_RETENTION: TimeDelta = TimeDelta::days(365);

/// One event: the moment it was made, in nanoseconds of the machine's clock, then 64 random
/// bits. Events are listed by their time (whole seconds) and then by id, so events of one
/// second keep the order they were made in (an invitation before its delivery).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(String);

impl EventId {
    pub fn generate() -> Self {
        let made = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos() as u64);
        let bytes: [u8; 8] = random_bytes();
        Self(format!("evt_{made:016x}{:016x}", u64::from_be_bytes(bytes)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Actor {
    /// An agent of the workgroup (inviting, resending, cancelling), or the invitee accepting
    /// as the agent they became.
    Agent {
        id: AgentId,
        email: EmailAddress,
        name: DisplayName,
    },
    /// The invitee, through the link in their email (declining needs no account).
    Invitee { email: EmailAddress },
    /// The service itself: sweeps, delivery reports, expiry.
    System,
    /// Someone whose token carried an agent's address under another sign-in than the one the
    /// agent registered with: refused, and recorded as who they claimed to be.
    SignIn {
        email: EmailAddress,
        issuer: String,
        subject: String,
    },
}

impl From<&Inviter> for Actor {
    fn from(inviter: &Inviter) -> Self {
        Actor::Agent {
            id: inviter.id.clone(),
            email: inviter.email.clone(),
            name: inviter.name.clone(),
        }
    }
}

impl From<&Agent> for Actor {
    fn from(agent: &Agent) -> Self {
        Actor::Agent {
            id: agent.id.clone(),
            email: agent.email.clone(),
            name: agent.name.clone(),
        }
    }
}

/// What changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Change {
    #[serde(rename = "invitation.invited")]
    Invited,
    /// Sent again: by the resend action or by inviting the address again.
    #[serde(rename = "invitation.resent")]
    Resent,
    #[serde(rename = "invitation.cancelled")]
    Cancelled,
    #[serde(rename = "invitation.declined")]
    Declined,
    #[serde(rename = "invitation.accepted")]
    Accepted,
    /// Thirty days passed with no answer.
    #[serde(rename = "invitation.expired")]
    Expired,
    #[serde(rename = "invitation.reminded")]
    Reminded { days_before: u16 },
    /// What became of the current email: handed to the mail service, failed, bounced,
    /// complained about.
    #[serde(rename = "invitation.delivery")]
    Delivery { delivery: Delivery, attempt: u16 },
    /// A token with the agent's address under another sign-in was refused.
    #[serde(rename = "agent.sign_in_refused")]
    SignInRefused,
    #[serde(rename = "agent.role_changed")]
    RoleChanged { old_role: Role, new_role: Role },
    #[serde(rename = "agent.removed")]
    Removed,
}

impl Change {
    /// The event's type, as published (`invitation.invited`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Invited => "invitation.invited",
            Change::Resent => "invitation.resent",
            Change::Cancelled => "invitation.cancelled",
            Change::Declined => "invitation.declined",
            Change::Accepted => "invitation.accepted",
            Change::Expired => "invitation.expired",
            Change::Reminded { .. } => "invitation.reminded",
            Change::Delivery { .. } => "invitation.delivery",
            Change::SignInRefused => "agent.sign_in_refused",
            Change::RoleChanged { .. } => "agent.role_changed",
            Change::Removed => "agent.removed",
        }
    }
}

/// The invitation an event is about, as it was then.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub id: InvitationId,
    pub email: EmailAddress,
    pub role: Role,
}

/// The agent an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentSubject {
    pub id: AgentId,
    pub email: EmailAddress,
}

/// A recorded change of one invitation, or something that happened to one agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub workgroup: WorkgroupId,
    #[serde(with = "crate::clock::rfc3339")]
    pub at: Timestamp,
    pub actor: Actor,
    #[serde(flatten)]
    pub change: Change,
    /// The invitation, for `invitation.*` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invitation: Option<Subject>,
    /// The agent, for `agent.*` events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentSubject>,
}

impl Event {
    /// `change` of `invitation` (as it is after the change) by `actor` at `at`.
    pub fn of(invitation: &Invitation, change: Change, actor: Actor, at: Timestamp) -> Self {
        Self {
            id: EventId::generate(),
            workgroup: invitation.workgroup.id.clone(),
            at,
            actor,
            change,
            invitation: Some(Subject {
                id: invitation.id.clone(),
                email: invitation.email.clone(),
                role: invitation.role,
            }),
            agent: None,
        }
    }

    /// `actor` was refused as `agent` of the workgroup at `at`.
    pub fn sign_in_refused(
        workgroup: &WorkgroupId,
        agent: &Agent,
        actor: Actor,
        at: Timestamp,
    ) -> Self {
        Self::about_agent(workgroup, agent, Change::SignInRefused, actor, at)
    }

    /// An event that names an agent instead of an invitation.
    pub fn about_agent(
        workgroup: &WorkgroupId,
        agent: &Agent,
        change: Change,
        actor: Actor,
        at: Timestamp,
    ) -> Self {
        Self {
            id: EventId::generate(),
            workgroup: workgroup.clone(),
            at,
            actor,
            change,
            invitation: None,
            agent: Some(AgentSubject {
                id: agent.id.clone(),
                email: agent.email.clone(),
            }),
        }
    }

    /// The delivery state `invitation` now records, reported by the service.
    pub fn delivery(invitation: &Invitation, at: Timestamp) -> Self {
        let change = Change::Delivery {
            delivery: invitation.delivery,
            attempt: invitation.delivery_attempts,
        };
        Self::of(invitation, change, Actor::System, at)
    }

    /// When stores may forget it.
    pub fn expires_at(&self) -> Timestamp {
        self.at + EVENT_RETENTION
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_their_published_type_and_fields() {
        let event = Event {
            id: EventId("evt_1".into()),
            workgroup: WorkgroupId::parse("wg_0123456789abcdef0123456789abcdef").unwrap(),
            at: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            actor: Actor::System,
            change: Change::Delivery {
                delivery: Delivery::Bounced,
                attempt: 2,
            },
            invitation: Some(Subject {
                id: InvitationId::parse("inv_0123456789abcdef0123456789abcdef").unwrap(),
                email: EmailAddress::parse("a@example.com").unwrap(),
                role: Role::Associate,
            }),
            agent: None,
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(json["type"], "invitation.delivery");
        assert_eq!(json["delivery"], "bounced");
        assert_eq!(json["attempt"], 2);
        assert_eq!(json["actor"], serde_json::json!({"type": "system"}));
        assert_eq!(json["invitation"]["email"], "a@example.com");
        assert_eq!(json["at"], "2027-01-15T08:00:00Z");
        let back: Event = serde_json::from_value(json).unwrap();
        assert_eq!(back, event);
    }

    #[test]
    fn each_change_names_its_type_as_serialised() {
        for change in [
            Change::Invited,
            Change::Resent,
            Change::Cancelled,
            Change::Declined,
            Change::Accepted,
            Change::Expired,
            Change::Reminded { days_before: 7 },
            Change::Delivery {
                delivery: Delivery::Sent,
                attempt: 1,
            },
            Change::SignInRefused,
        ] {
            let json = serde_json::to_value(change).unwrap();
            assert_eq!(json["type"], change.kind());
        }
    }
}
