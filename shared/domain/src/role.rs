//! Roles and what each may do inside one workgroup.

use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// A member's role in one workgroup. A person's role can differ between workgroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    Manager,
    Associate,
    Inactive,
}

impl Role {
    pub const ALL: [Role; 4] = [
        Role::Administrator,
        Role::Manager,
        Role::Associate,
        Role::Inactive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Manager => "manager",
            Role::Associate => "associate",
            Role::Inactive => "inactive",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`; expected administrator, manager, associate or inactive")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or_else(|| UnknownRole(s.chars().take(40).collect()))
    }
}

/// Something a caller wants to do in a workgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Invite (or re-invite) people into `grant`.
    Invite { grant: Role },
    /// List or read the workgroup's invitations, administrator ones included.
    ViewInvitations,
    /// Cancel or resend an invitation for `role`.
    ManageInvitation { role: Role },
    /// List the workgroup's agents.
    ListAgents,
    /// Read the workgroup's audit trail.
    ViewEvents,
    /// Change or remove other agents at all (which ones: the two below).
    ManageAgents,
    /// Change the role of an agent who has the role `target` to `to`.
    ChangeRole { target: Role, to: Role },
    /// Remove an agent who has the role `target` (leaving is every agent's, not checked here).
    RemoveAgent { target: Role },
}

/// Why an action is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// The caller is not a member: the workgroup's existence is not revealed.
    #[error("workgroup not found")]
    NotAMember,
    #[error("{0}")]
    Forbidden(&'static str),
}

/// The privilege table of the spec. `role` is the caller's role, `None` when not a member.
pub fn authorize(role: Option<Role>, action: Action) -> Result<(), Denied> {
    use Role::*;
    let role = role.ok_or(Denied::NotAMember)?;
    match (role, action) {
        (Administrator, _) => Ok(()),
        (
            Manager,
            Action::Invite {
                grant: Administrator,
            },
        ) => Err(Denied::Forbidden(
            "only administrators can grant the administrator role",
        )),
        (
            Manager,
            Action::ManageInvitation {
                role: Administrator,
            },
        ) => Err(Denied::Forbidden(
            "only administrators can cancel or resend an administrator invitation",
        )),
        (
            Manager,
            Action::ChangeRole {
                target: Administrator,
                ..
            }
            | Action::RemoveAgent {
                target: Administrator,
            },
        ) => Err(Denied::Forbidden(
            "only administrators can change or remove an administrator",
        )),
        (
            Manager,
            Action::ChangeRole {
                to: Administrator, ..
            },
        ) => Err(Denied::Forbidden(
            "only administrators can grant the administrator role",
        )),
        (Manager, _) => Ok(()),
        (
            Associate | Inactive,
            Action::ManageAgents | Action::ChangeRole { .. } | Action::RemoveAgent { .. },
        ) => Err(Denied::Forbidden(
            "only administrators and managers can change or remove agents",
        )),
        (Associate, Action::ListAgents) => Ok(()),
        (Associate | Inactive, Action::Invite { .. }) => Err(Denied::Forbidden(
            "only administrators and managers can invite agents",
        )),
        (Associate | Inactive, Action::ViewInvitations | Action::ManageInvitation { .. }) => Err(
            Denied::Forbidden("only administrators and managers can see or change invitations"),
        ),
        (Associate | Inactive, Action::ViewEvents) => Err(Denied::Forbidden(
            "only administrators and managers can see the workgroup's events",
        )),
        (Inactive, Action::ListAgents) => Err(Denied::Forbidden(
            "inactive agents cannot see the workgroup's agents",
        )),
    }
}
