//! The `list` function's use cases: the "All" tab (a workgroup's agents), the "Invited" tab
//! (its live invitations, one invitation), the audit trail, as administrators and managers
//! read them, and what the Invite dialog shows before sending (the inviter's allowance).

use super::{ListError, ListQuery, Listed, limits::EmailCharge, listed, manage::ManageError};
use crate::{
    app::{AccessError, App, Caller},
    audit::Event,
    clock::{Clock, Timestamp},
    delivery::Queue,
    ids::{InvitationId, WorkgroupId},
    invitation::{Invitation, Status},
    people::Agent,
    role::{Action, Role},
    store::{Counters, EventLog, Invitations, People},
};

/// What the signed-in inviter may send from a workgroup now, before asking: the limits an
/// invite request would otherwise learn from a refusal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    /// Entries one invite request may carry (invalid ones and duplicates included).
    pub max_addresses: usize,
    /// Invitation emails the caller may still send today from this workgroup: the lower of
    /// what is left of their daily limit in it and of their daily limit in all workgroups
    /// together. Each recipient's own daily limit is not counted here.
    pub remaining_today: u32,
    /// When the daily counts start over: the next UTC midnight.
    pub resets_at: Timestamp,
}

impl<S: People + Invitations + EventLog + Counters, Q: Queue, C: Clock> App<S, Q, C> {
    /// The workgroup's agents (the "All" tab).
    pub async fn list_agents(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        query: &ListQuery,
    ) -> Result<Listed<Agent>, ListError> {
        self.authorize(workgroup, caller, Action::ListAgents)
            .await?;
        let scope = format!("agents:{workgroup}");
        let page = query.page(&self.key, &scope)?;
        let page = self.store.agents(workgroup, page).await?;
        Ok(listed(page, &self.key, &scope))
    }

    /// Pending and declined invitations until they expire, newest send first.
    pub async fn list_invitations(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        status: Option<Status>,
        query: &ListQuery,
    ) -> Result<Listed<Invitation>, ListError> {
        self.authorize(workgroup, caller, Action::ViewInvitations)
            .await?;
        let scope = format!(
            "invitations:{workgroup}:{}",
            status.map_or("any", Status::as_str)
        );
        let page = query.page(&self.key, &scope)?;
        let page = self
            .store
            .invitations(workgroup, status, self.now(), page)
            .await?;
        Ok(listed(page, &self.key, &scope))
    }

    pub async fn get_invitation(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> Result<Invitation, ManageError> {
        self.authorize(workgroup, caller, Action::ViewInvitations)
            .await?;
        self.live_invitation(workgroup, id).await
    }

    /// The workgroup's events, newest first, for as long as they are kept.
    pub async fn list_events(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        query: &ListQuery,
    ) -> Result<Listed<Event>, ListError> {
        self.authorize(workgroup, caller, Action::ViewEvents)
            .await?;
        let scope = format!("events:{workgroup}");
        let page = query.page(&self.key, &scope)?;
        let page = self.store.events(workgroup, page).await?;
        Ok(listed(page, &self.key, &scope))
    }

    /// The caller's allowance for inviting into the workgroup, for those who may invite.
    pub async fn allowance(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
    ) -> Result<Allowance, AccessError> {
        // Whoever may invite at all may invite associates.
        let inviter = self
            .authorize(
                workgroup,
                caller,
                Action::Invite {
                    grant: Role::Associate,
                },
            )
            .await?;
        let charge = EmailCharge::new(workgroup, &inviter.agent.email, &[], self.now());
        let (remaining_today, resets_at) = self.emails_left(&charge).await?;
        Ok(Allowance {
            max_addresses: self.settings.max_addresses_per_request,
            remaining_today,
            resets_at,
        })
    }

    pub(super) async fn live_invitation(
        &self,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> Result<Invitation, ManageError> {
        let now = self.now();
        self.store
            .invitation(workgroup, id)
            .await?
            .filter(|invitation| invitation.is_live(now))
            .ok_or(ManageError::NotFound)
    }
}
