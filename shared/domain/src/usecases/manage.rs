//! The `manage` function's use cases: cancelling and resending an invitation; changing an
//! agent's role and removing an agent (or leaving).

use super::invite::actor_of;
use crate::{
    app::{AccessError, App, Caller, MAX_ATTEMPTS},
    audit::{Actor, Change, Event},
    clock::Clock,
    delivery::Queue,
    ids::{AgentId, InvitationId, WorkgroupId},
    invitation::Invitation,
    metrics,
    people::{Agent, Membership},
    role::{Action, Denied, Role, authorize},
    store::PageRequest,
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
                    metrics::changed(&event.change);
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
                    metrics::changed(&event.change);
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

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error(transparent)]
    Access(#[from] AccessError),
    /// No agent with that id in the workgroup.
    #[error("agent not found")]
    NotFound,
    /// The change would leave the workgroup without an administrator: nothing was changed.
    #[error(
        "a workgroup keeps at least one administrator: make another agent an administrator first"
    )]
    LastAdministrator,
}

impl From<StoreError> for AgentError {
    fn from(error: StoreError) -> Self {
        Self::Access(AccessError::Store(error))
    }
}

impl From<Denied> for AgentError {
    fn from(denied: Denied) -> Self {
        Self::Access(AccessError::Denied(denied))
    }
}

/// What becomes of an agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AgentChange {
    Role(Role),
    Removal,
}

/// What a change of an agent was found to need, read from the workgroup's agents.
struct Planned {
    caller: Agent,
    target: Membership,
    /// The membership the write is conditioned on still having its role.
    keeps: Option<Agent>,
}

impl<S: People + Invitations + EventLog + Counters, Q: Queue, C: Clock> App<S, Q, C> {
    /// Gives an agent another role. The same role again changes nothing and records nothing.
    pub async fn change_agent_role(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        agent: &AgentId,
        role: Role,
    ) -> Result<Agent, AgentError> {
        for _ in 0..MAX_ATTEMPTS {
            let plan = self
                .plan_agent_change(caller, workgroup, agent, AgentChange::Role(role))
                .await?;
            let old_role = plan.target.agent.role;
            if old_role == role {
                return Ok(plan.target.agent);
            }
            let event = Event::about_agent(
                workgroup,
                &plan.target.agent,
                Change::RoleChanged {
                    old_role,
                    new_role: role,
                },
                Actor::from(&plan.caller),
                self.now(),
            );
            match self
                .store
                .change_role(&plan.target, role, plan.keeps.as_ref(), &event)
                .await
            {
                Ok(()) => {
                    return Ok(Agent {
                        role,
                        ..plan.target.agent
                    });
                }
                Err(StoreError::Conflict) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// Removes an agent from the workgroup, or the caller themselves (leaving).
    pub async fn remove_agent(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        agent: &AgentId,
    ) -> Result<(), AgentError> {
        for _ in 0..MAX_ATTEMPTS {
            let plan = self
                .plan_agent_change(caller, workgroup, agent, AgentChange::Removal)
                .await?;
            let event = Event::about_agent(
                workgroup,
                &plan.target.agent,
                Change::Removed,
                Actor::from(&plan.caller),
                self.now(),
            );
            match self
                .store
                .remove_agent(&plan.target, plan.keeps.as_ref(), &event)
                .await
            {
                Ok(()) => return Ok(()),
                Err(StoreError::Conflict) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// Checks the caller may make `change` to the agent with `id`, and finds what the write
    /// is conditioned on: the caller's own role when acting on another agent (an
    /// administrator caller is then also the administrator who remains), or, when the last
    /// administrator could otherwise go, another administrator who must still be one.
    async fn plan_agent_change(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        id: &AgentId,
        change: AgentChange,
    ) -> Result<Planned, AgentError> {
        let (member, _person) = futures::try_join!(
            async { Ok::<_, AgentError>(self.store.membership(workgroup, &caller.email).await?) },
            async {
                self.identify(caller)
                    .await
                    .map_err(|e| AgentError::Access(e.into()))
            },
        )?;
        let member = member.ok_or(Denied::NotAMember)?;
        let leaving = &member.agent.id == id && change == AgentChange::Removal;
        if !leaving {
            authorize(Some(member.agent.role), Action::ManageAgents)?;
        }
        let (target, other_administrator) =
            self.agent_and_other_administrator(workgroup, id).await?;
        let target = target.ok_or(AgentError::NotFound)?;
        if !leaving {
            let action = match change {
                AgentChange::Role(to) => Action::ChangeRole {
                    target: target.role,
                    to,
                },
                AgentChange::Removal => Action::RemoveAgent {
                    target: target.role,
                },
            };
            authorize(Some(member.agent.role), action)?;
        }
        let administrator_goes =
            target.role == Role::Administrator && change != AgentChange::Role(Role::Administrator);
        let keeps = if administrator_goes {
            // An administrator caller acting on another is the one who remains.
            let remains = if member.agent.id != target.id {
                member.agent.clone()
            } else {
                other_administrator.ok_or(AgentError::LastAdministrator)?
            };
            Some(remains)
        } else if member.agent.id == target.id {
            // The target's own condition is the caller's authority: a second check of the
            // same item would make DynamoDB refuse the whole transaction.
            None
        } else {
            Some(member.agent.clone())
        };
        Ok(Planned {
            caller: member.agent,
            target: Membership {
                workgroup: member.workgroup,
                agent: target,
            },
            keeps,
        })
    }

    /// The agent with `id`, and an administrator of the workgroup other than them: read from
    /// the workgroup's agents, a page at a time, until both are found.
    async fn agent_and_other_administrator(
        &self,
        workgroup: &WorkgroupId,
        id: &AgentId,
    ) -> Result<(Option<Agent>, Option<Agent>), StoreError> {
        let (mut target, mut other) = (None, None);
        let mut after = None;
        loop {
            let page = self
                .store
                .agents(workgroup, PageRequest { after, limit: 100 })
                .await?;
            for agent in page.items {
                if &agent.id == id {
                    target = Some(agent);
                } else if agent.role == Role::Administrator && other.is_none() {
                    other = Some(agent);
                }
            }
            match page.next {
                Some(next) if target.is_none() || other.is_none() => after = Some(next),
                _ => return Ok((target, other)),
            }
        }
    }
}
