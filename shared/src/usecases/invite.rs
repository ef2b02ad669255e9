//! Inviting pasted addresses: one outcome per entry, in input order.

use futures::future::join_all;

use crate::{
    address::{EmailAddress, PasteError, PastedEntry, parse_pasted},
    app::{AccessError, App, Caller, MAX_ATTEMPTS, ReserveError},
    audit::{Actor, Change, Event},
    clock::Clock,
    ids::WorkgroupId,
    invitation::{Invitation, Inviter, Send, Status},
    message::{Locale, Occasion, invitation_email},
    people::Membership,
    quota::{OverQuota, PendingCapReached},
    role::{Action, Role, authorize},
    secret::InvitationToken,
    store::{Inserted, Mailer, Store, StoreError},
};

/// An invite request, parsed at the edge except for the addresses.
#[derive(Debug, Clone)]
pub struct InviteRequest {
    /// As pasted: each string may hold several addresses.
    pub emails: Vec<String>,
    pub role: Role,
    pub locale: Option<Locale>,
}

/// What happened to one pasted entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteOutcome {
    Invited(Invitation),
    /// A pending or declined invitation existed and was renewed.
    Resent(Invitation),
    /// Already an agent of the workgroup: no email sent.
    AlreadyAgent,
    InvalidEmail,
    /// Repeated in the same request.
    Duplicate,
    /// A live invitation for the administrator role exists and only an administrator may
    /// renew it.
    Forbidden,
}

impl InviteOutcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            InviteOutcome::Invited(_) => "invited",
            InviteOutcome::Resent(_) => "resent",
            InviteOutcome::AlreadyAgent => "already_agent",
            InviteOutcome::InvalidEmail => "invalid_email",
            InviteOutcome::Duplicate => "duplicate",
            InviteOutcome::Forbidden => "forbidden",
        }
    }

    pub fn invitation(&self) -> Option<&Invitation> {
        match self {
            InviteOutcome::Invited(invitation) | InviteOutcome::Resent(invitation) => {
                Some(invitation)
            }
            _ => None,
        }
    }
}

/// The outcome for one entry, with the entry as it was understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteResult {
    pub email: String,
    pub outcome: InviteOutcome,
}

#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error(transparent)]
    Access(#[from] AccessError),
    /// Nothing to invite, or too much: nothing was changed.
    #[error(transparent)]
    BadRequest(#[from] PasteError),
    /// The inviter's daily quota would be exceeded: nothing was changed.
    #[error(transparent)]
    OverQuota(#[from] OverQuota),
    /// The workgroup's pending cap would be exceeded: nothing was changed.
    #[error(transparent)]
    PendingCap(#[from] PendingCapReached),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ReserveError> for InviteError {
    fn from(error: ReserveError) -> Self {
        match error {
            ReserveError::Over(over) => Self::OverQuota(over),
            ReserveError::Pending(cap) => Self::PendingCap(cap),
            ReserveError::Store(error) => Self::Store(error),
        }
    }
}

impl<S: Store, M: Mailer, C: Clock> App<S, M, C> {
    /// Invites every valid pasted address into `request.role`. Addresses with a live invitation
    /// get it renewed (a resend); the answer keeps the input order.
    pub async fn invite(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        request: &InviteRequest,
    ) -> Result<Vec<InviteResult>, InviteError> {
        let inviter = self
            .authorize(
                workgroup,
                caller,
                Action::Invite {
                    grant: request.role,
                },
            )
            .await?;
        let entries = parse_pasted(&request.emails, self.settings.max_addresses_per_request)?;
        // Every valid address may cost one email: reserve them all first, so the request is
        // refused whole (changing nothing) rather than cut off half-way.
        let valid = entries
            .iter()
            .filter(|entry| matches!(entry, PastedEntry::Valid(_)))
            .count() as u32;
        let quota = self
            .reserve_emails(workgroup, &inviter.agent.email, valid)
            .await?;
        // Likewise a place under the pending cap for each; re-invites of pending invitations
        // give theirs back.
        if let Err(refused) = self.reserve_pending(workgroup, valid).await {
            self.refund_emails(&quota, valid).await;
            return Err(refused.into());
        }
        let outcomes = join_all(entries.iter().map(|entry| async {
            match entry {
                PastedEntry::Valid(address) => self.invite_one(&inviter, address, request).await,
                PastedEntry::Invalid(_) => Ok((InviteOutcome::InvalidEmail, false)),
                PastedEntry::Duplicate(_) => Ok((InviteOutcome::Duplicate, false)),
            }
        }))
        .await;
        let count = |kept: fn(&(InviteOutcome, bool)) -> bool| {
            outcomes
                .iter()
                .filter(|outcome| outcome.as_ref().is_ok_and(kept))
                .count() as u32
        };
        let emailed = count(|(outcome, _)| outcome.invitation().is_some());
        let newly_pending = count(|(_, newly_pending)| *newly_pending);
        self.refund_emails(&quota, valid - emailed).await;
        self.release_pending(workgroup, valid - newly_pending).await;
        entries
            .iter()
            .zip(outcomes)
            .map(|(entry, outcome)| {
                Ok(InviteResult {
                    email: entry.display().to_owned(),
                    outcome: outcome?.0,
                })
            })
            .collect()
    }

    /// Invites one address; `true` beside the outcome when an invitation became pending that
    /// was not (so it keeps its place under the pending cap).
    async fn invite_one(
        &self,
        inviter: &Membership,
        address: &EmailAddress,
        request: &InviteRequest,
    ) -> Result<(InviteOutcome, bool), StoreError> {
        let started = self.now();
        let mut lost_a_race = false;
        for _ in 0..MAX_ATTEMPTS {
            let send = self.send_by(inviter, request.role, request.locale);
            let (invitation, token) = Invitation::issue(&inviter.workgroup, address.clone(), send);
            let event = Event::of(
                &invitation,
                Change::Invited,
                actor_of(&invitation),
                invitation.sent_at,
            );
            let inserted = match self
                .store
                .insert_invitation(&invitation, invitation.sent_at, &event)
                .await
            {
                Err(StoreError::Conflict) => {
                    lost_a_race = true;
                    continue;
                }
                inserted => inserted?,
            };
            let existing = match inserted {
                Inserted::Created => {
                    let sent = self.deliver(invitation, &token, Occasion::Invitation).await;
                    return Ok((InviteOutcome::Invited(sent), true));
                }
                Inserted::AlreadyAgent => return Ok((InviteOutcome::AlreadyAgent, false)),
                Inserted::Exists(existing) => existing,
            };
            // Expired unanswered, not yet recorded: record it (freeing its place), then the
            // next attempt replaces it.
            if existing.lapse_due(self.now()) {
                self.record_expiry(&existing, self.now()).await?;
                continue;
            }
            let manage = Action::ManageInvitation {
                role: existing.role,
            };
            if authorize(Some(inviter.agent.role), manage).is_err() {
                return Ok((InviteOutcome::Forbidden, false));
            }
            // A concurrent invite of this address (a double click, a colleague) renewed it
            // since this one started: the invitee already has a fresh email for it.
            if lost_a_race && existing.just_sent_as(started, request.role, request.locale) {
                return Ok((InviteOutcome::Resent(*existing), false));
            }
            let was_pending = existing.status == Status::Pending;
            let (renewed, token) =
                existing.renew(self.send_by(inviter, request.role, request.locale));
            let event = Event::of(
                &renewed,
                Change::Resent,
                actor_of(&renewed),
                renewed.sent_at,
            );
            match self.store.update_invitation(&renewed, Some(&event)).await {
                Ok(()) => {
                    let sent = self.deliver(renewed, &token, Occasion::Invitation).await;
                    return Ok((InviteOutcome::Resent(sent), !was_pending));
                }
                Err(StoreError::Conflict) => lost_a_race = true,
                Err(error) => return Err(error),
            }
        }
        Err(StoreError::Conflict)
    }

    pub(crate) fn send_by(
        &self,
        inviter: &Membership,
        role: Role,
        locale: Option<Locale>,
    ) -> Send<'_> {
        Send {
            by: Inviter {
                id: inviter.agent.id.clone(),
                email: inviter.agent.email.clone(),
                name: inviter.agent.name.clone(),
            },
            role,
            locale,
            now: self.now(),
            key: &self.key,
        }
    }

    /// Emails a saved invitation and records the delivery state, unless the invitation was
    /// sent again or removed meanwhile.
    pub(crate) async fn deliver(
        &self,
        invitation: Invitation,
        token: &InvitationToken,
        occasion: Occasion,
    ) -> Invitation {
        let link = self.settings.links.accept(token);
        let email = invitation_email(&invitation, &link, occasion);
        let handed_over = self.send(&email).await;
        let now = self.now();
        let delivered = invitation.attempted(handed_over, now);
        let event = Event::delivery(&delivered, now);
        if let Err(error) = self.store.record_delivery(&delivered, &event).await {
            tracing::info!(invitation = %invitation.id, %error, "delivery state not recorded");
        }
        delivered
    }
}

/// The agent who sent `invitation` last: the actor of a send.
pub(crate) fn actor_of(invitation: &Invitation) -> Actor {
    Actor::from(&invitation.invited_by)
}
