//! Inviting pasted addresses: one outcome per entry, in input order.

use std::sync::atomic::{AtomicBool, Ordering};

use futures::future::{join_all, try_join_all};

use crate::{
    address::{EmailAddress, PasteError, PastedEntry, parse_pasted},
    app::{AccessError, App, Caller, MAX_ATTEMPTS, error_chain},
    audit::{Actor, Change, Event},
    clock::Clock,
    delivery::{DueEmail, Queue},
    ids::WorkgroupId,
    invitation::{Invitation, Inviter, Send, Status},
    locale::Locale,
    metrics::{self, Metric},
    people::Membership,
    quota::{OverQuota, PendingCapReached},
    role::{Action, Role, authorize},
    store::{Counters, EventLog, Inserted, Invitations, People, StoreError},
    usecases::limits::{EmailCharge, ReserveError},
};

/// An invite request, parsed at the edge.
#[derive(Debug, Clone)]
pub struct InviteRequest {
    /// The pasted entries, in input order: each address, or the text that is none.
    pub entries: Vec<PastedEntry>,
    pub role: Role,
    pub locale: Option<Locale>,
}

impl InviteRequest {
    /// The request for what was pasted: `texts` may each hold several addresses, at most
    /// `limit` entries in all (the deployment's `max_addresses_per_request`).
    pub fn pasted<T: AsRef<str>>(
        texts: &[T],
        limit: usize,
        role: Role,
        locale: Option<Locale>,
    ) -> Result<Self, PasteError> {
        Ok(Self {
            entries: parse_pasted(texts, limit)?,
            role,
            locale,
        })
    }
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
    /// A daily limit on invitation emails would be exceeded: nothing was changed.
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

/// What inviting one valid address did.
struct Invited {
    outcome: InviteOutcome,
    /// An email became due: it counts against the daily limits, until the mail service
    /// refuses it for good.
    emailed: bool,
    /// An invitation became pending that was not: it holds a place under the pending cap.
    newly_pending: bool,
}

impl Invited {
    fn quietly(outcome: InviteOutcome) -> Self {
        Self {
            outcome,
            emailed: false,
            newly_pending: false,
        }
    }
}

impl<S: People + Invitations + EventLog + Counters, Q: Queue, C: Clock> App<S, Q, C> {
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
        let entries = &request.entries;
        let valid: Vec<&EmailAddress> = entries
            .iter()
            .filter_map(|entry| match entry {
                PastedEntry::Valid(address) => Some(address),
                _ => None,
            })
            .collect();
        // Every valid address may cost an email and a place under the pending cap: reserve
        // them all first, so the request is refused whole (changing nothing) rather than cut
        // off half-way; what was not used is given back below.
        let charge = EmailCharge::new(workgroup, &inviter.agent.email, &valid, self.now());
        self.reserve_emails(&charge)
            .await
            .map_err(ReserveError::from)?;
        let placed = match self.reserve_places(workgroup, &valid).await {
            Ok(placed) => placed,
            Err(refused) => {
                self.settle_emails(&charge, &vec![false; valid.len()]).await;
                return Err(refused.into());
            }
        };
        // Per address: whether the renewal of its pending invitation gave back (or, failing
        // half-way, may have given back) the place reserved for it.
        let freed: Vec<AtomicBool> = valid.iter().map(|_| AtomicBool::new(false)).collect();
        let invited = join_all(valid.iter().zip(&placed).zip(&freed).map(
            |((address, placed), freed)| {
                let reserved_place = placed.then_some(freed);
                self.invite_one(&inviter, address, request, reserved_place)
            },
        ))
        .await;
        let due: Vec<DueEmail> = invited
            .iter()
            .filter_map(|invited| invited.as_ref().ok())
            .filter(|invited| invited.emailed)
            .filter_map(|invited| invited.outcome.invitation())
            .map(Invitation::due_email)
            .collect();
        self.post(&due).await;
        let emailed: Vec<bool> = invited
            .iter()
            .map(|invited| invited.as_ref().is_ok_and(|i| i.emailed))
            .collect();
        self.settle_emails(&charge, &emailed).await;
        self.settle_places(workgroup, &placed, &freed, &invited)
            .await;
        let mut invited = invited.into_iter();
        entries
            .iter()
            .map(|entry| {
                let outcome = match entry {
                    PastedEntry::Valid(_) => {
                        invited
                            .next()
                            .expect("one result per valid address")?
                            .outcome
                    }
                    PastedEntry::Invalid(_) => InviteOutcome::InvalidEmail,
                    PastedEntry::Duplicate(_) => InviteOutcome::Duplicate,
                };
                Ok(InviteResult {
                    email: entry.display().to_owned(),
                    outcome,
                })
            })
            .collect()
    }

    /// Reserves a place under the pending cap for each address, or, when the cap refuses that,
    /// for each address that has no live pending invitation (a re-invite of a pending one is a
    /// resend: it needs no place). Says, address by address, which hold a reserved place.
    async fn reserve_places(
        &self,
        workgroup: &WorkgroupId,
        addresses: &[&EmailAddress],
    ) -> Result<Vec<bool>, ReserveError> {
        let all = addresses.len() as u32;
        match self.reserve_pending(workgroup, all).await {
            Ok(()) => return Ok(vec![true; addresses.len()]),
            Err(ReserveError::Pending(_)) => {}
            Err(error) => return Err(error),
        }
        let now = self.now();
        let existing = try_join_all(
            addresses
                .iter()
                .map(|address| self.store.invitation_for(workgroup, address)),
        )
        .await?;
        let needs_place: Vec<bool> = existing
            .iter()
            .map(|invitation| {
                !invitation
                    .as_ref()
                    .is_some_and(|i| i.is_live(now) && i.holds_pending_place())
            })
            .collect();
        let needed = needs_place.iter().filter(|needs| **needs).count() as u32;
        self.reserve_pending(workgroup, needed).await?;
        Ok(needs_place)
    }

    /// Gives back the places reserved for addresses that did not become pending (unless a
    /// renewal gave theirs back already), and counts those that became pending without one
    /// (their pending invitation was answered or cancelled meanwhile, which freed its place).
    async fn settle_places(
        &self,
        workgroup: &WorkgroupId,
        placed: &[bool],
        freed: &[AtomicBool],
        invited: &[Result<Invited, StoreError>],
    ) {
        let (mut unused, mut unplaced) = (0, 0);
        for ((placed, freed), invited) in placed.iter().zip(freed).zip(invited) {
            let pending = invited.as_ref().is_ok_and(|i| i.newly_pending);
            match (placed, pending) {
                (true, false) if !freed.load(Ordering::Relaxed) => unused += 1,
                (false, true) => unplaced += 1,
                _ => {}
            }
        }
        self.release_pending(workgroup, unused).await;
        self.count_pending(workgroup, unplaced).await;
    }

    /// Invites one address. `reserved_place` is present when a place under the pending cap
    /// was reserved for it: a renewal that gives the place back marks it.
    async fn invite_one(
        &self,
        inviter: &Membership,
        address: &EmailAddress,
        request: &InviteRequest,
        reserved_place: Option<&AtomicBool>,
    ) -> Result<Invited, StoreError> {
        let started = self.now();
        let mut lost_a_race = false;
        let mut free_in_renewal = reserved_place.is_some();
        for _ in 0..MAX_ATTEMPTS {
            let send = self.send_by(inviter, request.role, request.locale);
            let (invitation, _) = Invitation::issue(&inviter.workgroup, address.clone(), send);
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
                    metrics::changed(&event.change);
                    return Ok(Invited {
                        emailed: true,
                        outcome: InviteOutcome::Invited(invitation),
                        newly_pending: true,
                    });
                }
                Inserted::AlreadyAgent => {
                    return Ok(Invited::quietly(InviteOutcome::AlreadyAgent));
                }
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
                return Ok(Invited::quietly(InviteOutcome::Forbidden));
            }
            // A concurrent invite of this address (a double click, a colleague) renewed it
            // since this one started: the invitee already has a fresh email for it, and this
            // request sent none.
            if lost_a_race && existing.just_sent_as(started, request.role, request.locale) {
                return Ok(Invited::quietly(InviteOutcome::Resent(*existing)));
            }
            let was_pending = existing.status == Status::Pending;
            let (renewed, _) = existing.renew(self.send_by(inviter, request.role, request.locale));
            let event = Event::of(
                &renewed,
                Change::Resent,
                actor_of(&renewed),
                renewed.sent_at,
            );
            // A pending invitation holds its place already: the one reserved for this address
            // goes back with the renewal, in the same write.
            let frees_place = free_in_renewal && existing.holds_pending_place();
            let renewal = if frees_place {
                self.store.renew_freeing_place(&renewed, &event).await
            } else {
                self.store.update_invitation(&renewed, Some(&event)).await
            };
            let mark_freed = || {
                if let Some(freed) = reserved_place.filter(|_| frees_place) {
                    freed.store(true, Ordering::Relaxed);
                }
            };
            match renewal {
                Ok(()) => {
                    metrics::changed(&event.change);
                    mark_freed();
                    self.give_back_unsent(&existing).await;
                    return Ok(Invited {
                        emailed: true,
                        outcome: InviteOutcome::Resent(renewed),
                        newly_pending: !was_pending,
                    });
                }
                // Nothing was written, the place included. The store may also have refused
                // the count going below zero (a count drifted low): the next attempt renews
                // plainly and the place goes back with the request's others.
                Err(StoreError::Conflict) => {
                    lost_a_race = true;
                    free_in_renewal = false;
                }
                // It may have been written all the same: the place is taken as given back, so
                // it is never given back twice (the cap errs on the strict side).
                Err(error) => {
                    mark_freed();
                    return Err(error);
                }
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

    /// Posts due emails to the queue. A failure is only logged: each email's invitation
    /// records it as due, and the delivery sweep posts it after the grace.
    pub(crate) async fn post(&self, due: &[DueEmail]) {
        if due.is_empty() {
            return;
        }
        match self.queue.post(due).await {
            Ok(()) => metrics::count(Metric::EmailsQueued, due.len() as u64),
            Err(error) => {
                tracing::warn!(error = %error_chain(&error), emails = due.len(), "due emails not posted; the sweep will");
            }
        }
    }
}

/// The agent who sent `invitation` last: the actor of a send.
pub(crate) fn actor_of(invitation: &Invitation) -> Actor {
    Actor::from(&invitation.invited_by)
}
