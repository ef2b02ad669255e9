//! The `manage` function's use cases: cancelling and resending an invitation.

use super::invite::actor_of;
use crate::{
    app::{AccessError, App, Caller, MAX_ATTEMPTS},
    audit::{Actor, Change, Event},
    clock::Clock,
    delivery::Queue,
    ids::{InvitationId, WorkgroupId},
    invitation::Invitation,
    people::Membership,
    role::{Action, authorize},
    store::{Counters, EventLog, Invitations, People, StoreError},
    usecases::limits::{EmailCharge, ReserveError},
};

#[derive(Debug, thiserror::Error)]
pub enum ManageError {
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Unknown, accepted, cancelled or expired.
    #[error("invitation not found")]
    NotFound,
    /// A daily limit on invitation emails would be exceeded: nothing was changed.
    #[error(transparent)]
    OverQuota(#[from] crate::quota::OverQuota),
    /// Resending a declined invitation would pass the workgroup's pending cap.
    #[error(transparent)]
    PendingCap(#[from] crate::quota::PendingCapReached),
}

impl From<ReserveError> for ManageError {
    fn from(error: ReserveError) -> Self {
        match error {
            ReserveError::Over(over) => Self::OverQuota(over),
            ReserveError::Pending(cap) => Self::PendingCap(cap),
            ReserveError::Store(error) => error.into(),
        }
    }
}

impl From<StoreError> for ManageError {
    fn from(error: StoreError) -> Self {
        Self::Access(AccessError::Store(error))
    }
}

impl From<crate::role::Denied> for ManageError {
    fn from(denied: crate::role::Denied) -> Self {
        Self::Access(AccessError::Denied(denied))
    }
}

impl<S: People + Invitations + EventLog + Counters, Q: Queue, C: Clock> App<S, Q, C> {
    /// Removes a pending or declined invitation; its token stops working at once.
    pub async fn cancel_invitation(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> Result<(), ManageError> {
        let member = self
            .authorize(workgroup, caller, Action::ViewInvitations)
            .await?;
        for _ in 0..MAX_ATTEMPTS {
            let invitation = self.manageable(&member, workgroup, id).await?;
            let event = Event::of(
                &invitation,
                Change::Cancelled,
                Actor::from(&member.agent),
                self.now(),
            );
            match self.store.delete_invitation(&invitation, &event).await {
                Err(StoreError::Conflict) => continue,
                Err(error) => return Err(error.into()),
                Ok(()) => {
                    if invitation.holds_pending_place() {
                        self.release_pending(workgroup, 1).await;
                    }
                    self.give_back_unsent(&invitation).await;
                    return Ok(());
                }
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// A new token and email, 30 more days, reminders reset; a declined invitation is pending
    /// again.
    pub async fn resend_invitation(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> Result<Invitation, ManageError> {
        let member = self
            .authorize(workgroup, caller, Action::ViewInvitations)
            .await?;
        let invitation = self.manageable(&member, workgroup, id).await?;
        // Reserved first and given back unless the email became due: a refused or failed
        // resend costs nothing (and the sender gives it back if the mail service refuses it).
        let charge = EmailCharge::new(
            workgroup,
            &member.agent.email,
            &[&invitation.email],
            self.now(),
        );
        self.reserve_emails(&charge)
            .await
            .map_err(ReserveError::from)?;
        let resent = self.resend_reserved(&member, workgroup, invitation).await;
        self.settle_emails(&charge, &[resent.is_ok()]).await;
        if let Ok(resent) = &resent {
            self.post(&[resent.due_email()]).await;
        }
        resent
    }

    /// Renews `invitation` as read, re-reading it after a lost race.
    async fn resend_reserved(
        &self,
        member: &Membership,
        workgroup: &WorkgroupId,
        mut invitation: Invitation,
    ) -> Result<Invitation, ManageError> {
        for attempt in 0..MAX_ATTEMPTS {
            if attempt > 0 {
                invitation = self.manageable(member, workgroup, &invitation.id).await?;
            }
            // A declined invitation becomes pending again: it needs a place under the cap.
            let needs_place = !invitation.holds_pending_place();
            if needs_place {
                self.reserve_pending(workgroup, 1).await?;
            }
            let (renewed, _) = invitation.renew(self.send_by(member, invitation.role, None));
            let event = Event::of(
                &renewed,
                Change::Resent,
                actor_of(&renewed),
                renewed.sent_at,
            );
            let updated = self.store.update_invitation(&renewed, Some(&event)).await;
            if updated.is_err() && needs_place {
                self.release_pending(workgroup, 1).await;
            }
            match updated {
                Err(StoreError::Conflict) => continue,
                Err(error) => return Err(error.into()),
                Ok(()) => {
                    self.give_back_unsent(&invitation).await;
                    return Ok(renewed);
                }
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// The live invitation, if the member may cancel or resend it.
    async fn manageable(
        &self,
        member: &Membership,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> Result<Invitation, ManageError> {
        let invitation = self.live_invitation(workgroup, id).await?;
        authorize(
            Some(member.agent.role),
            Action::ManageInvitation {
                role: invitation.role,
            },
        )?;
        Ok(invitation)
    }
}
