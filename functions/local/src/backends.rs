//! Which store and mailer the local server runs on: the embedded ones, or DynamoDB and SES at
//! any compatible endpoint (moto, DynamoDB Local, or AWS itself), chosen at start.

use domain::{
    address::EmailAddress,
    audit::Event,
    clock::Timestamp,
    delivery::SendSlots,
    idempotency::{Claim, IdempotencyKey, RecordedAnswer},
    ids::{InvitationId, WorkgroupId},
    invitation::{Invitation, Status},
    message::Email,
    people::{Agent, Membership, Person, SignIn, Workgroup},
    quota::QuotaKey,
    secret::TokenHash,
    store::{Inserted, MailError, Mailer, Page, PageRequest, Store, StoreError},
};

use crate::{outbox::Outbox, store::EmbeddedStore};

/// The store chosen at start.
#[derive(Clone)]
pub enum AnyStore {
    Embedded(EmbeddedStore),
    DynamoDb(aws::DynamoStore),
}

macro_rules! delegate {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match $self {
            AnyStore::Embedded(store) => store.$method($($arg),*).await,
            AnyStore::DynamoDb(store) => store.$method($($arg),*).await,
        }
    };
}

impl Store for AnyStore {
    async fn create_workgroup(
        &self,
        workgroup: &Workgroup,
        founder: &Agent,
        new_person: Option<&Person>,
    ) -> Result<(), StoreError> {
        delegate!(self.create_workgroup(workgroup, founder, new_person))
    }

    async fn person(&self, email: &EmailAddress) -> Result<Option<Person>, StoreError> {
        delegate!(self.person(email))
    }

    async fn bind_sign_in(&self, email: &EmailAddress, sign_in: &SignIn) -> Result<(), StoreError> {
        delegate!(self.bind_sign_in(email, sign_in))
    }

    async fn membership(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> Result<Option<Membership>, StoreError> {
        delegate!(self.membership(workgroup, email))
    }

    async fn memberships_of(&self, email: &EmailAddress) -> Result<Vec<Membership>, StoreError> {
        delegate!(self.memberships_of(email))
    }

    async fn agents(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> Result<Page<Agent>, StoreError> {
        delegate!(self.agents(workgroup, page))
    }

    async fn invitation(
        &self,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> Result<Option<Invitation>, StoreError> {
        delegate!(self.invitation(workgroup, id))
    }

    async fn invitation_for(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> Result<Option<Invitation>, StoreError> {
        delegate!(self.invitation_for(workgroup, email))
    }

    async fn invitation_by_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<Invitation>, StoreError> {
        delegate!(self.invitation_by_token(hash))
    }

    async fn invitations(
        &self,
        workgroup: &WorkgroupId,
        status: Option<Status>,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        delegate!(self.invitations(workgroup, status, now, page))
    }

    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        now: Timestamp,
        event: &Event,
    ) -> Result<Inserted, StoreError> {
        delegate!(self.insert_invitation(invitation, now, event))
    }

    async fn update_invitation(
        &self,
        next: &Invitation,
        event: Option<&Event>,
    ) -> Result<(), StoreError> {
        delegate!(self.update_invitation(next, event))
    }

    async fn record_delivery(
        &self,
        invitation: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        delegate!(self.record_delivery(invitation, event))
    }

    async fn delete_invitation(
        &self,
        invitation: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        delegate!(self.delete_invitation(invitation, event))
    }

    async fn accept_invitation(
        &self,
        invitation: &Invitation,
        agent: &Agent,
        new_person: Option<&Person>,
        event: &Event,
    ) -> Result<(), StoreError> {
        delegate!(self.accept_invitation(invitation, agent, new_person, event))
    }

    async fn pending_expiring(
        &self,
        after: Timestamp,
        until: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        delegate!(self.pending_expiring(after, until, page))
    }

    async fn record_event(&self, event: &Event) -> Result<(), StoreError> {
        delegate!(self.record_event(event))
    }

    async fn events(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> Result<Page<Event>, StoreError> {
        delegate!(self.events(workgroup, page))
    }

    async fn reserve_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        delegate!(self.reserve_pending(workgroup, amount, limit))
    }

    async fn release_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
    ) -> Result<(), StoreError> {
        delegate!(self.release_pending(workgroup, amount))
    }

    async fn deliveries_due(
        &self,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        delegate!(self.deliveries_due(now, page))
    }

    async fn claim_key(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<Claim, StoreError> {
        delegate!(self.claim_key(key, fingerprint, now))
    }

    async fn record_answer(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        answer: &RecordedAnswer,
    ) -> Result<(), StoreError> {
        delegate!(self.record_answer(key, fingerprint, answer))
    }

    async fn reserve_quota(
        &self,
        key: &QuotaKey,
        amount: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        delegate!(self.reserve_quota(key, amount, limit))
    }

    async fn refund_quota(&self, key: &QuotaKey, amount: u32) -> Result<(), StoreError> {
        delegate!(self.refund_quota(key, amount))
    }

    async fn release_key(&self, key: &IdempotencyKey, fingerprint: &str) -> Result<(), StoreError> {
        delegate!(self.release_key(key, fingerprint))
    }
}

impl SendSlots for AnyStore {
    async fn take_send_slot(&self, second: i64, rate: u32) -> Result<Option<u32>, StoreError> {
        delegate!(self.take_send_slot(second, rate))
    }
}

/// The mailer chosen at start. With SES, every email sent also lands in the outbox, so accept
/// links are printed and `link` finds them whichever mailer runs.
#[derive(Clone)]
pub enum AnyMailer {
    Outbox(Outbox),
    Ses { ses: aws::SesMailer, copy: Outbox },
}

impl Mailer for AnyMailer {
    async fn send(&self, email: &Email) -> Result<(), MailError> {
        match self {
            AnyMailer::Outbox(outbox) => outbox.send(email).await,
            AnyMailer::Ses { ses, copy } => {
                ses.send(email).await?;
                copy.send(email).await
            }
        }
    }
}
