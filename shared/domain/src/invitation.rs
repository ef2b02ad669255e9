//! The invitation lifecycle: a closed set of states and the transitions between them.
//!
//! Accepted and cancelled invitations leave the store, so only `Pending` and `Declined` are
//! states. Expiry is computed from the last send and `now`; the store only learns, once, that
//! a pending invitation expired unanswered (see [`Invitation::lapsed`]), to record the event
//! and free its place under the workgroup's pending cap.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use crate::{
    address::EmailAddress,
    clock::{INVITATION_LIFETIME, Timestamp},
    delivery::{DueEmail, Occasion},
    ids::{AgentId, InvitationId},
    locale::Locale,
    people::{DisplayName, Workgroup},
    role::Role,
    secret::{InvitationToken, SecretKey, SendNonce, TokenHash},
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Sent and not answered: the token works.
    Pending,
    /// The invitee said no: the token is dead, the row stays listed until expiry.
    Declined,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Declined => "declined",
        }
    }

    pub fn parse(input: &str) -> Option<Self> {
        [Status::Pending, Status::Declined]
            .into_iter()
            .find(|s| s.as_str() == input)
    }
}

/// How long storage keeps an invitation after its expiry before removing it: long enough for
/// the expiry sweep to record it (it looks back a week), and for late delivery reports.
pub const KEPT_AFTER_EXPIRY: chrono::TimeDelta = chrono::TimeDelta::days(30);

/// The state of the latest email of an invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    /// Saved, email not yet handed to the mail service.
    Queued,
    /// Accepted by the mail service.
    Sent,
    /// The mail service refused it or could not be reached; it is tried again (see
    /// [`RETRY_BACKOFF`]) until [`MAX_DELIVERY_ATTEMPTS`].
    Failed,
    /// The recipient's mail server rejected it. Nothing more is mailed to this invitation until
    /// it is resent.
    Bounced,
    /// The recipient marked it as spam. Nothing more is mailed until it is resent.
    Complained,
}

impl Delivery {
    pub fn as_str(self) -> &'static str {
        match self {
            Delivery::Queued => "queued",
            Delivery::Sent => "sent",
            Delivery::Failed => "failed",
            Delivery::Bounced => "bounced",
            Delivery::Complained => "complained",
        }
    }

    /// The recipient does not want, or cannot take, more email from this invitation.
    pub fn is_refused_by_recipient(self) -> bool {
        matches!(self, Delivery::Bounced | Delivery::Complained)
    }
}

/// How long an email may wait for the sender, or a sender hold its claim, before a sweep posts
/// it again: covers a producer that stopped between saving the invitation and posting its
/// email, a queue that lost the message, and a sender that stopped between its claim and its
/// report.
pub const DELIVERY_GRACE: TimeDelta = TimeDelta::minutes(5);

/// The waits after a failed attempt, in order; when they run out, the email is given up on
/// (it stays `failed`, and a resend starts over).
pub const RETRY_BACKOFF: [TimeDelta; 4] = [
    TimeDelta::minutes(10),
    TimeDelta::minutes(30),
    TimeDelta::hours(2),
    TimeDelta::hours(6),
];

/// Attempts per email: the first, then one per backoff step.
pub const MAX_DELIVERY_ATTEMPTS: u16 = 1 + RETRY_BACKOFF.len() as u16;

fn invitation_occasion() -> Occasion {
    Occasion::Invitation
}

/// Who sent an invitation last.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inviter {
    pub id: AgentId,
    pub email: EmailAddress,
    pub name: DisplayName,
}

/// An invitation of one address into one workgroup. At most one exists per workgroup and
/// address; re-inviting renews it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub id: InvitationId,
    /// Copied when sent, so the invitee's pages and emails need no other read.
    pub workgroup: Workgroup,
    pub email: EmailAddress,
    pub role: Role,
    pub status: Status,
    pub invited_by: Inviter,
    #[serde(with = "crate::clock::rfc3339")]
    pub sent_at: Timestamp,
    /// The language asked for on invite; `None` follows the workgroup's.
    pub locale: Option<Locale>,
    /// Drawn anew on every send; the token is derived from it with the secret key.
    pub nonce: SendNonce,
    /// Present while the token works (pending), absent once declined.
    pub token_hash: Option<TokenHash>,
    /// Reminder thresholds (days before expiry) already emailed for this send.
    pub reminders_sent: Vec<u16>,
    /// The state of the current email (see [`Self::occasion`]).
    pub delivery: Delivery,
    /// Which email is current: the invitation (its first send or a resend) or a reminder.
    #[serde(default = "invitation_occasion")]
    pub occasion: Occasion,
    /// Attempts started at the current email (a resend or a reminder starts over).
    #[serde(default)]
    pub delivery_attempts: u16,
    /// When a sweep should post the current email (again) if it is still unsettled; `None`
    /// once it was handed over or given up on.
    #[serde(default, with = "chrono::serde::ts_seconds_option")]
    pub retry_at: Option<Timestamp>,
    /// A sender holds the current email until then: claimed before it is handed to the mail
    /// service, so a duplicated message or an overlapping sweep never sends it twice.
    #[serde(default, with = "chrono::serde::ts_seconds_option")]
    pub sending_until: Option<Timestamp>,
    /// Increases with every stored change; stores write on the condition that it is unchanged.
    pub version: u64,
    /// Its expiry unanswered has been recorded (the event written, its pending place freed).
    #[serde(default)]
    pub expiry_recorded: bool,
}

/// The invitation is expired, answered, cancelled or superseded: to the invitee it is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the invitation is no longer valid")]
pub struct Gone;

/// What a send needs besides the invitation itself.
pub struct Send<'a> {
    pub by: Inviter,
    pub role: Role,
    pub locale: Option<Locale>,
    pub now: Timestamp,
    pub key: &'a SecretKey,
}

impl Invitation {
    /// A new invitation and the token of its first email.
    pub fn issue(
        workgroup: &Workgroup,
        email: EmailAddress,
        send: Send<'_>,
    ) -> (Self, InvitationToken) {
        let id = InvitationId::generate();
        let nonce = SendNonce::generate();
        let token = send.key.invitation_token(&id, &nonce);
        let invitation = Self {
            id,
            workgroup: workgroup.clone(),
            email,
            role: send.role,
            status: Status::Pending,
            invited_by: send.by,
            sent_at: send.now,
            locale: send.locale,
            nonce,
            token_hash: Some(token.hash()),
            reminders_sent: Vec::new(),
            delivery: Delivery::Queued,
            occasion: Occasion::Invitation,
            delivery_attempts: 0,
            retry_at: Some(send.now + DELIVERY_GRACE),
            sending_until: None,
            version: 1,
            expiry_recorded: false,
        };
        (invitation, token)
    }

    /// Resend, explicitly or by inviting the address again: a new token (the old one stops
    /// working), 30 more days from now, the reminder schedule reset, a declined invitation
    /// pending again. A re-invite may change the role and the language.
    pub fn renew(&self, send: Send<'_>) -> (Self, InvitationToken) {
        let nonce = SendNonce::generate();
        let token = send.key.invitation_token(&self.id, &nonce);
        let renewed = Self {
            role: send.role,
            status: Status::Pending,
            invited_by: send.by,
            sent_at: send.now,
            locale: send.locale.or(self.locale),
            nonce,
            token_hash: Some(token.hash()),
            reminders_sent: Vec::new(),
            delivery: Delivery::Queued,
            occasion: Occasion::Invitation,
            delivery_attempts: 0,
            retry_at: Some(send.now + DELIVERY_GRACE),
            sending_until: None,
            version: self.version + 1,
            expiry_recorded: false,
            ..self.clone()
        };
        (renewed, token)
    }

    pub fn expires_at(&self) -> Timestamp {
        self.sent_at + INVITATION_LIFETIME
    }

    /// Valid for 30 days from the last send; from that second on it is gone.
    pub fn is_live(&self, now: Timestamp) -> bool {
        now < self.expires_at()
    }

    /// The language of this invitation's emails.
    pub fn locale(&self) -> Locale {
        self.locale.unwrap_or(self.workgroup.locale)
    }

    /// The invitee's answer is still awaited: the token works.
    pub fn is_open(&self, now: Timestamp) -> bool {
        self.status == Status::Pending && self.is_live(now)
    }

    /// Fails unless the invitation can still be answered.
    pub fn ensure_open(&self, now: Timestamp) -> Result<(), Gone> {
        if self.is_open(now) { Ok(()) } else { Err(Gone) }
    }

    /// The invitee declines: the token dies, the invitation stays listed until it expires.
    pub fn decline(&self, now: Timestamp) -> Result<Self, Gone> {
        self.ensure_open(now)?;
        Ok(Self {
            status: Status::Declined,
            token_hash: None,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// The token of the current send, for a reminder. `None` once it no longer works.
    pub fn current_token(&self, key: &SecretKey, now: Timestamp) -> Option<InvitationToken> {
        self.is_open(now)
            .then(|| key.invitation_token(&self.id, &self.nonce))
    }

    /// The same send, with what became of its email. Not a lifecycle change: the version
    /// stays, and stores record it with [`crate::store::Store::record_delivery`].
    pub fn with_delivery(&self, delivery: Delivery) -> Self {
        let retry_at = match delivery {
            Delivery::Queued | Delivery::Failed => self.retry_at,
            Delivery::Sent | Delivery::Bounced | Delivery::Complained => None,
        };
        Self {
            delivery,
            retry_at,
            sending_until: None,
            ..self.clone()
        }
    }

    /// The same send once an attempt at its email ended at `now`: handed over, or failed and
    /// due again after the next backoff step (or given up on after the last).
    pub fn attempted(&self, handed_over: bool, now: Timestamp) -> Self {
        if handed_over {
            return self.with_delivery(Delivery::Sent);
        }
        let next = RETRY_BACKOFF.get(usize::from(self.delivery_attempts.max(1) - 1));
        Self {
            delivery: Delivery::Failed,
            retry_at: next
                .filter(|_| self.delivery_attempts < MAX_DELIVERY_ATTEMPTS)
                .map(|wait| now + *wait),
            sending_until: None,
            ..self.clone()
        }
    }

    /// The same send once the mail service refused its email for good (an address it will
    /// not deliver to, a message it will not take): failed, and never tried again.
    pub fn refused(&self) -> Self {
        Self {
            retry_at: None,
            ..self.with_delivery(Delivery::Failed)
        }
    }

    /// The same send once the mail service asked to slow down: the claim given back, the
    /// attempt not counted (the email was never refused), and the email due again after `wait`.
    /// A version change: the claim it gives back was one.
    pub fn throttled(&self, now: Timestamp, wait: TimeDelta) -> Self {
        Self {
            delivery_attempts: self.delivery_attempts.saturating_sub(1),
            retry_at: Some(now + wait),
            sending_until: None,
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// What a stored invitation becomes when a report on its email arrives: the report's
    /// delivery fields, on the stored lifecycle.
    pub fn with_delivery_of(&self, report: &Invitation) -> Self {
        Self {
            delivery: report.delivery,
            delivery_attempts: report.delivery_attempts,
            retry_at: report.retry_at,
            sending_until: report.sending_until,
            ..self.clone()
        }
    }

    /// Its current email is unsettled at `now`: not yet handed over, not given up on, and held
    /// by no sender.
    fn email_owed(&self, now: Timestamp) -> bool {
        // A failed email with no next attempt was given up on.
        let unsettled = match self.delivery {
            Delivery::Queued => true,
            Delivery::Failed => self.retry_at.is_some(),
            Delivery::Sent | Delivery::Bounced | Delivery::Complained => false,
        };
        self.is_open(now)
            && unsettled
            && self.delivery_attempts < MAX_DELIVERY_ATTEMPTS
            && self.sending_until.is_none_or(|until| until <= now)
    }

    /// Its email should be posted again at `now`: unsettled, and its `retry_at` has come
    /// (the queue never got it, a sender stopped holding it, or a backoff ended).
    pub fn retry_due(&self, now: Timestamp) -> bool {
        self.email_owed(now) && self.retry_at.is_some_and(|at| at <= now)
    }

    /// The invitation once a sweep has posted its email again: due once more after the grace,
    /// should this post be lost too (a version change, so overlapping sweeps post it once).
    pub fn reposted(&self, now: Timestamp) -> Self {
        Self {
            retry_at: Some(now + DELIVERY_GRACE),
            version: self.version + 1,
            ..self.clone()
        }
    }

    /// The email a queue should carry for this invitation's current send.
    pub fn due_email(&self) -> DueEmail {
        DueEmail {
            workgroup: self.workgroup.id.clone(),
            invitation: self.id.clone(),
            to: self.email.clone(),
            send: self.nonce.fingerprint(),
            occasion: self.occasion,
        }
    }

    /// The invitation once a sender has claimed `due` at `now`, if `due` is still what it owes:
    /// the same send and occasion, unsettled and unheld. A version change, so of a duplicated
    /// message, an overlapping sweep's post and the original, one claim wins; the claim lapses
    /// after the grace, and a sweep posts the email again.
    pub fn claimed_for(&self, due: &DueEmail, now: Timestamp) -> Option<Self> {
        let current = self.id == due.invitation
            && self.nonce.fingerprint() == due.send
            && self.occasion == due.occasion;
        (current && self.email_owed(now) && !self.delivery.is_refused_by_recipient()).then(|| {
            Self {
                delivery_attempts: self.delivery_attempts + 1,
                sending_until: Some(now + DELIVERY_GRACE),
                retry_at: Some(now + DELIVERY_GRACE),
                version: self.version + 1,
                ..self.clone()
            }
        })
    }

    /// Pending, and sent at or after `moment` in the same role and language: a concurrent
    /// invite already did what this one asks.
    pub fn just_sent_as(&self, moment: Timestamp, role: Role, locale: Option<Locale>) -> bool {
        self.is_open(moment)
            && self.sent_at >= moment
            && self.role == role
            && locale.is_none_or(|locale| Some(locale) == self.locale)
    }

    /// The reminder this invitation is owed at `now`, if any.
    ///
    /// When several thresholds have passed unsent (a sweep was missed), only the most urgent
    /// one is sent and the others count as sent with it.
    pub fn due_reminder(&self, schedule: &ReminderSchedule, now: Timestamp) -> Option<Reminder> {
        if !self.is_open(now) || self.delivery.is_refused_by_recipient() {
            return None;
        }
        let left = self.expires_at() - now;
        let due: Vec<u16> = schedule
            .days_before
            .iter()
            .copied()
            .filter(|days| left <= chrono::TimeDelta::days(i64::from(*days)))
            .filter(|days| !self.reminders_sent.contains(days))
            .collect();
        let most_urgent = due.iter().copied().min()?;
        Some(Reminder {
            days_before: most_urgent,
            covers: due,
        })
    }

    /// Pending, expired, and its expiry not yet recorded: it awaits [`Self::lapsed`].
    pub fn lapse_due(&self, now: Timestamp) -> bool {
        self.status == Status::Pending && !self.is_live(now) && !self.expiry_recorded
    }

    /// The invitation once its expiry unanswered is recorded (a version change, so it is
    /// recorded once however many sweeps find it). `None` unless [`Self::lapse_due`].
    pub fn lapsed(&self, now: Timestamp) -> Option<Self> {
        self.lapse_due(now).then(|| Self {
            expiry_recorded: true,
            retry_at: None,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// It holds a place under the workgroup's pending cap: pending, and not yet recorded as
    /// expired.
    pub fn holds_pending_place(&self) -> bool {
        self.status == Status::Pending && !self.expiry_recorded
    }

    /// The invitation once `reminder` is due at `now`: the reminder becomes its current email,
    /// queued and retried like the invitation's own (a version change, so two sweeps of one
    /// tick queue it once).
    pub fn reminded(&self, reminder: &Reminder, now: Timestamp) -> Self {
        let mut sent = self.reminders_sent.clone();
        sent.extend(&reminder.covers);
        sent.sort_unstable();
        sent.dedup();
        Self {
            reminders_sent: sent,
            occasion: Occasion::Reminder {
                days_before: reminder.days_before,
            },
            delivery: Delivery::Queued,
            delivery_attempts: 0,
            retry_at: Some(now + DELIVERY_GRACE),
            sending_until: None,
            version: self.version + 1,
            ..self.clone()
        }
    }
}

/// When reminders go out, in whole days before expiry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderSchedule {
    days_before: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reminder days must be between 1 and 29, e.g. \"7,1\"")]
pub struct BadSchedule;

impl ReminderSchedule {
    pub fn new(mut days_before: Vec<u16>) -> Result<Self, BadSchedule> {
        if days_before.iter().any(|d| *d == 0 || *d >= 30) {
            return Err(BadSchedule);
        }
        days_before.sort_unstable_by(|a, b| b.cmp(a));
        days_before.dedup();
        Ok(Self { days_before })
    }

    /// Parses `"7,1"`.
    pub fn parse(input: &str) -> Result<Self, BadSchedule> {
        let days = input
            .split(',')
            .map(|d| d.trim().parse::<u16>().map_err(|_| BadSchedule))
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(days)
    }

    /// The earliest a reminder can fall before expiry: how far ahead a sweep must look.
    pub fn horizon(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::days(i64::from(self.days_before.first().copied().unwrap_or(0)))
    }

    pub fn days_before(&self) -> &[u16] {
        &self.days_before
    }
}

impl Default for ReminderSchedule {
    fn default() -> Self {
        Self {
            days_before: vec![7, 1],
        }
    }
}

/// A reminder owed to one invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// The threshold this reminder is sent for.
    pub days_before: u16,
    /// Every threshold this reminder settles (more than one after a missed sweep).
    pub covers: Vec<u16>,
}
