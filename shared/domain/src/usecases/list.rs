//! The `list` function's use cases: the "All" tab (a workgroup's agents), the "Invited" tab
//! (its live invitations, one invitation) and the audit trail, as administrators and managers
//! read them.

use super::{ListError, ListQuery, Listed, listed, manage::ManageError};
use crate::{
    app::{App, Caller},
    audit::Event,
    clock::Clock,
    delivery::Queue,
    ids::{InvitationId, WorkgroupId},
    invitation::{Invitation, Status},
    people::Agent,
    role::Action,
    store::{Counters, EventLog, Invitations, People},
};

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
