//! The JSON shapes of the public contract, built from domain values.

use domain::{
    clock::Timestamp,
    invitation::Invitation,
    people::{Agent, Membership},
    usecases::{Listed, accept::InvitationPreview, invite::InviteResult, list::Allowance},
};
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct WorkgroupView {
    pub id: String,
    pub name: String,
    /// The caller's role in it.
    pub role: String,
}

impl From<&Membership> for WorkgroupView {
    fn from(m: &Membership) -> Self {
        Self {
            id: m.workgroup.id.to_string(),
            name: m.workgroup.name.to_string(),
            role: m.agent.role.to_string(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AgentView {
    pub id: String,
    pub email: String,
    pub name: String,
    pub role: String,
    #[serde(with = "domain::clock::rfc3339")]
    pub joined_at: Timestamp,
}

impl From<&Agent> for AgentView {
    fn from(a: &Agent) -> Self {
        Self {
            id: a.id.to_string(),
            email: a.email.to_string(),
            name: a.name.to_string(),
            role: a.role.to_string(),
            joined_at: a.joined_at,
        }
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PersonView {
    pub id: String,
    pub email: String,
    pub name: String,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InvitationView {
    pub id: String,
    pub email: String,
    pub role: String,
    pub status: String,
    /// Whoever sent it last.
    pub invited_by: PersonView,
    #[serde(with = "domain::clock::rfc3339")]
    pub sent_at: Timestamp,
    #[serde(with = "domain::clock::rfc3339")]
    pub expires_at: Timestamp,
    /// The state of its latest email.
    pub delivery: String,
}

impl From<&Invitation> for InvitationView {
    fn from(i: &Invitation) -> Self {
        Self {
            id: i.id.to_string(),
            email: i.email.to_string(),
            role: i.role.to_string(),
            status: i.status.as_str().to_owned(),
            invited_by: PersonView {
                id: i.invited_by.id.to_string(),
                email: i.invited_by.email.to_string(),
                name: i.invited_by.name.to_string(),
            },
            sent_at: i.sent_at,
            expires_at: i.expires_at(),
            delivery: i.delivery.as_str().to_owned(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ListView<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<'a, D: 'a, T: From<&'a D>> From<&'a Listed<D>> for ListView<T> {
    fn from(list: &'a Listed<D>) -> Self {
        Self {
            items: list.items.iter().map(T::from).collect(),
            next_cursor: list.next_cursor.clone(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InviteResultView {
    pub email: String,
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invitation: Option<InvitationView>,
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InviteAnswer {
    pub results: Vec<InviteResultView>,
}

impl From<&[InviteResult]> for InviteAnswer {
    fn from(results: &[InviteResult]) -> Self {
        Self {
            results: results
                .iter()
                .map(|r| InviteResultView {
                    email: r.email.clone(),
                    outcome: r.outcome.as_str().to_owned(),
                    invitation: r.outcome.invitation().map(InvitationView::from),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct WorkgroupRef {
    pub id: String,
    pub name: String,
}

/// What an invitee sees before answering.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct LookupView {
    pub workgroup: WorkgroupRef,
    pub email: String,
    pub role: String,
    pub invited_by: PersonView,
    #[serde(with = "domain::clock::rfc3339")]
    pub expires_at: Timestamp,
    /// The invitee has not registered yet: accepting needs a `name`.
    pub registration_needed: bool,
}

impl From<&InvitationPreview> for LookupView {
    fn from(p: &InvitationPreview) -> Self {
        let i = &p.invitation;
        Self {
            workgroup: WorkgroupRef {
                id: i.workgroup.id.to_string(),
                name: i.workgroup.name.to_string(),
            },
            email: i.email.to_string(),
            role: i.role.to_string(),
            invited_by: PersonView {
                id: i.invited_by.id.to_string(),
                email: i.invited_by.email.to_string(),
                name: i.invited_by.name.to_string(),
            },
            expires_at: i.expires_at(),
            registration_needed: p.registration_needed,
        }
    }
}

/// One of the signed-in invitee's own invitations.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct MyInvitationView {
    pub id: String,
    pub workgroup: WorkgroupRef,
    pub role: String,
    /// Whoever sent it last.
    pub invited_by: PersonView,
    #[serde(with = "domain::clock::rfc3339")]
    pub sent_at: Timestamp,
    #[serde(with = "domain::clock::rfc3339")]
    pub expires_at: Timestamp,
}

impl From<&Invitation> for MyInvitationView {
    fn from(i: &Invitation) -> Self {
        Self {
            id: i.id.to_string(),
            workgroup: WorkgroupRef::from(i),
            role: i.role.to_string(),
            invited_by: PersonView::from(&i.invited_by),
            sent_at: i.sent_at,
            expires_at: i.expires_at(),
        }
    }
}

impl From<&Invitation> for WorkgroupRef {
    fn from(i: &Invitation) -> Self {
        Self {
            id: i.workgroup.id.to_string(),
            name: i.workgroup.name.to_string(),
        }
    }
}

impl From<&domain::invitation::Inviter> for PersonView {
    fn from(by: &domain::invitation::Inviter) -> Self {
        Self {
            id: by.id.to_string(),
            email: by.email.to_string(),
            name: by.name.to_string(),
        }
    }
}

/// The body of a change of an agent's role.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    pub role: String,
}

/// The answer to an acceptance: the workgroup joined and the new agent.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AcceptAnswer {
    pub workgroup: WorkgroupView,
    pub agent: AgentView,
}

/// The answer to a decline.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeclineAnswer {
    pub workgroup: WorkgroupRef,
    pub status: String,
}

/// What the caller may still send from a workgroup today.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct AllowanceView {
    /// Entries one invite request may carry.
    pub max_addresses: usize,
    /// Invitation emails the caller may still send today, under both of their daily limits.
    pub remaining_today: u32,
    /// When the daily counts start over (the next UTC midnight).
    #[serde(with = "domain::clock::rfc3339")]
    pub resets_at: Timestamp,
}

impl From<&Allowance> for AllowanceView {
    fn from(a: &Allowance) -> Self {
        Self {
            max_addresses: a.max_addresses,
            remaining_today: a.remaining_today,
            resets_at: a.resets_at,
        }
    }
}

/// An event of the audit trail, as stored and published.
#[derive(Debug, Serialize)]
#[serde(transparent)]
pub struct EventView(domain::audit::Event);

impl From<&domain::audit::Event> for EventView {
    fn from(event: &domain::audit::Event) -> Self {
        Self(event.clone())
    }
}
