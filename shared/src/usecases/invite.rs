//! Inviting pasted addresses: one outcome per entry, in input order.

use futures::future::join_all;

use crate::{
    address::{EmailAddress, PasteError, PastedEntry, parse_pasted},
    app::{AccessError, App, Caller, MAX_ATTEMPTS, ReserveError},
    clock::Clock,
    ids::WorkgroupId,
    invitation::{Invitation, Inviter, Send},
    message::{Locale, Occasion, invitation_email},
    people::Membership,
    quota::OverQuota,
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
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ReserveError> for InviteError {
    fn from(error: ReserveError) -> Self {
        match error {
            ReserveError::Over(over) => Self::OverQuota(over),
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
        let outcomes = join_all(entries.iter().map(|entry| async {
            match entry {
                PastedEntry::Valid(address) => self.invite_one(&inviter, address, request).await,
                PastedEntry::Invalid(_) => Ok(InviteOutcome::InvalidEmail),
                PastedEntry::Duplicate(_) => Ok(InviteOutcome::Duplicate),
            }
        }))
        .await;
        let emailed = outcomes
            .iter()
            .filter(|outcome| {
                matches!(
                    outcome,
                    Ok(InviteOutcome::Invited(_) | InviteOutcome::Resent(_))
                )
            })
            .count() as u32;
        self.refund_emails(&quota, valid - emailed).await;
        entries
            .iter()
            .zip(outcomes)
            .map(|(entry, outcome)| {
                Ok(InviteResult {
                    email: entry.display().to_owned(),
                    outcome: outcome?,
                })
            })
            .collect()
    }

    async fn invite_one(
        &self,
        inviter: &Membership,
        address: &EmailAddress,
        request: &InviteRequest,
    ) -> Result<InviteOutcome, StoreError> {
        let started = self.now();
        let mut lost_a_race = false;
        for _ in 0..MAX_ATTEMPTS {
            let send = self.send_by(inviter, request.role, request.locale);
            let (invitation, token) = Invitation::issue(&inviter.workgroup, address.clone(), send);
            let inserted = match self
                .store
                .insert_invitation(&invitation, invitation.sent_at)
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
                    return Ok(InviteOutcome::Invited(sent));
                }
                Inserted::AlreadyAgent => return Ok(InviteOutcome::AlreadyAgent),
                Inserted::Exists(existing) => existing,
            };
            let manage = Action::ManageInvitation {
                role: existing.role,
            };
            if authorize(Some(inviter.agent.role), manage).is_err() {
                return Ok(InviteOutcome::Forbidden);
            }
            // A concurrent invite of this address (a double click, a colleague) renewed it
            // since this one started: the invitee already has a fresh email for it.
            if lost_a_race && existing.just_sent_as(started, request.role, request.locale) {
                return Ok(InviteOutcome::Resent(*existing));
            }
            let (renewed, token) =
                existing.renew(self.send_by(inviter, request.role, request.locale));
            match self.store.update_invitation(&renewed).await {
                Ok(()) => {
                    let sent = self.deliver(renewed, &token, Occasion::Invitation).await;
                    return Ok(InviteOutcome::Resent(sent));
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
        let delivered = invitation.attempted(handed_over, self.now());
        if let Err(error) = self.store.record_delivery(&delivered).await {
            tracing::info!(invitation = %invitation.id, %error, "delivery state not recorded");
        }
        delivered
    }
}
