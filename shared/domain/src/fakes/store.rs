//! The in-memory store: it checks every condition the ports state, and runs the store
//! conformance suite like the real stores. One file per port where one grew large:
//! `store/people.rs` holds the [`People`] port.

use std::{
    collections::{BTreeMap, HashMap},
    sync::{Arc, Mutex, MutexGuard},
};

use crate::{
    address::EmailAddress,
    audit::Event,
    clock::Timestamp,
    idempotency::{Claim, IdempotencyKey, KeyRecord, RecordedAnswer},
    ids::{InvitationId, WorkgroupId},
    invitation::{Invitation, Status},
    people::{Agent, Person, Workgroup},
    quota::QuotaKey,
    secret::TokenHash,
    store::SendSlots,
    store::{
        Counters, EventLog, IdempotencyKeys, Inserted, Invitations, Page, PageRequest, People,
        StoreError,
    },
};

mod people;

#[derive(Default)]
struct Tables {
    workgroups: HashMap<WorkgroupId, Workgroup>,
    people: HashMap<EmailAddress, Person>,
    /// Ordered by workgroup, then email: the agents list reads one range.
    agents: BTreeMap<(WorkgroupId, EmailAddress), Agent>,
    invitations: HashMap<InvitationId, Invitation>,
    keys: HashMap<String, KeyRecord>,
    quotas: HashMap<QuotaKey, u32>,
    pending: HashMap<WorkgroupId, u32>,
    events: Vec<Event>,
    send_slots: HashMap<i64, u32>,
}

/// A store that keeps everything in memory and checks every condition the port states. Clones
/// share one store.
#[derive(Clone, Default)]
pub struct MemoryStore(Arc<Mutex<Tables>>);

impl MemoryStore {
    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.0.lock().unwrap()
    }

    /// An invitation as stored, read past the port (for assertions on what was written).
    pub fn stored_invitation(&self, id: &InvitationId) -> Option<Invitation> {
        self.tables().invitations.get(id).cloned()
    }

    /// Every event written, in the order written (for assertions).
    pub fn stored_events(&self) -> Vec<Event> {
        self.tables().events.clone()
    }

    /// The workgroup's pending count as stored.
    pub fn pending_count(&self, workgroup: &WorkgroupId) -> u32 {
        self.tables().pending.get(workgroup).copied().unwrap_or(0)
    }
}

/// Where an event sorts in its workgroup's trail: newest first, then by id, descending (the
/// hex digits complemented), as the real stores order them.
fn event_position(event: &Event) -> String {
    let descending: String = event
        .id
        .as_str()
        .chars()
        .map(|c| {
            c.to_digit(16)
                .map_or(c, |d| char::from_digit(15 - d, 16).unwrap_or(c))
        })
        .collect();
    format!("{:020}|{descending}", i64::MAX - event.at.timestamp())
}

/// Where an invitation sorts in a list: newest send first, then by id.
fn list_position(invitation: &Invitation) -> String {
    format!(
        "{:020}|{}",
        i64::MAX - invitation.sent_at.timestamp(),
        invitation.id
    )
}

/// Where an invitation sorts in a sweep: by `at`, then by id.
fn timed_position(at: Timestamp, invitation: &Invitation) -> String {
    format!("{:020}|{}", at.timestamp(), invitation.id)
}

fn page_of<T: Clone>(
    mut items: Vec<(String, T)>,
    page: &PageRequest,
) -> Result<Page<T>, StoreError> {
    items.sort_by(|a, b| a.0.cmp(&b.0));
    let rest: Vec<(String, T)> = items
        .into_iter()
        .filter(|(position, _)| page.after.as_ref().is_none_or(|after| position > after))
        .collect();
    let next = (rest.len() > page.limit).then(|| rest[page.limit - 1].0.clone());
    Ok(Page {
        items: rest
            .into_iter()
            .take(page.limit)
            .map(|(_, item)| item)
            .collect(),
        next,
    })
}

impl Invitations for MemoryStore {
    async fn invitation(
        &self,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> Result<Option<Invitation>, StoreError> {
        Ok(self
            .tables()
            .invitations
            .get(id)
            .filter(|invitation| &invitation.workgroup.id == workgroup)
            .cloned())
    }

    async fn invitation_for(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> Result<Option<Invitation>, StoreError> {
        Ok(self
            .tables()
            .invitations
            .values()
            .find(|invitation| &invitation.workgroup.id == workgroup && &invitation.email == email)
            .cloned())
    }

    async fn invitation_by_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<Invitation>, StoreError> {
        Ok(self
            .tables()
            .invitations
            .values()
            .find(|invitation| invitation.token_hash.as_ref() == Some(hash))
            .cloned())
    }

    async fn invitation_with_id(
        &self,
        id: &InvitationId,
    ) -> Result<Option<Invitation>, StoreError> {
        Ok(self.tables().invitations.get(id).cloned())
    }

    async fn invitations_to(
        &self,
        email: &EmailAddress,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let addressed = self
            .tables()
            .invitations
            .values()
            .filter(|invitation| &invitation.email == email && invitation.is_open(now))
            .map(|invitation| (list_position(invitation), invitation.clone()))
            .collect();
        page_of(addressed, &page)
    }

    async fn invitations(
        &self,
        workgroup: &WorkgroupId,
        status: Option<Status>,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let invitations = self
            .tables()
            .invitations
            .values()
            .filter(|invitation| &invitation.workgroup.id == workgroup)
            .filter(|invitation| invitation.expires_at() > now)
            .filter(|invitation| status.is_none_or(|status| invitation.status == status))
            .map(|invitation| (list_position(invitation), invitation.clone()))
            .collect();
        page_of(invitations, &page)
    }

    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        now: Timestamp,
        event: &Event,
    ) -> Result<Inserted, StoreError> {
        let mut tables = self.tables();
        let key = (invitation.workgroup.id.clone(), invitation.email.clone());
        if tables.agents.contains_key(&key) {
            return Ok(Inserted::AlreadyAgent);
        }
        let existing = tables
            .invitations
            .values()
            .find(|other| {
                other.workgroup.id == invitation.workgroup.id && other.email == invitation.email
            })
            .cloned();
        if let Some(existing) = existing {
            if existing.is_live(now) || existing.lapse_due(now) {
                return Ok(Inserted::Exists(Box::new(existing)));
            }
            tables.invitations.remove(&existing.id);
        }
        tables
            .invitations
            .insert(invitation.id.clone(), invitation.clone());
        tables.events.push(event.clone());
        Ok(Inserted::Created)
    }

    async fn update_invitation(
        &self,
        next: &Invitation,
        event: Option<&Event>,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        match tables.invitations.get_mut(&next.id) {
            Some(stored) if stored.version + 1 == next.version => {
                *stored = next.clone();
                tables.events.extend(event.cloned());
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn renew_freeing_place(
        &self,
        next: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let counted = tables.pending.get(&next.workgroup.id).copied().unwrap_or(0);
        match tables.invitations.get_mut(&next.id) {
            Some(stored) if stored.version + 1 == next.version && counted >= 1 => {
                *stored = next.clone();
                tables.events.push(event.clone());
                tables
                    .pending
                    .insert(next.workgroup.id.clone(), counted - 1);
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn record_delivery(
        &self,
        invitation: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        match tables.invitations.get_mut(&invitation.id) {
            Some(stored) if stored.nonce == invitation.nonce => {
                *stored = stored.with_delivery_of(invitation);
                tables.events.push(event.clone());
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn delete_invitation(
        &self,
        invitation: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        match tables.invitations.get(&invitation.id) {
            Some(stored) if stored.version == invitation.version => {
                tables.invitations.remove(&invitation.id);
                tables.events.push(event.clone());
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn accept_invitation(
        &self,
        invitation: &Invitation,
        agent: &Agent,
        new_person: Option<&Person>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let membership = (invitation.workgroup.id.clone(), agent.email.clone());
        let unchanged = tables
            .invitations
            .get(&invitation.id)
            .is_some_and(|stored| stored.version == invitation.version);
        let registered_meanwhile =
            new_person.is_some_and(|person| tables.people.contains_key(&person.email));
        if !unchanged || registered_meanwhile || tables.agents.contains_key(&membership) {
            return Err(StoreError::Conflict);
        }
        tables.invitations.remove(&invitation.id);
        tables.agents.insert(membership, agent.clone());
        if let Some(person) = new_person {
            tables.people.insert(person.email.clone(), person.clone());
        }
        tables.events.push(event.clone());
        Ok(())
    }

    async fn pending_expiring(
        &self,
        after: Timestamp,
        until: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let expiring = self
            .tables()
            .invitations
            .values()
            .filter(|invitation| invitation.holds_pending_place())
            .filter(|invitation| {
                after < invitation.expires_at() && invitation.expires_at() <= until
            })
            .map(|invitation| {
                (
                    timed_position(invitation.expires_at(), invitation),
                    invitation.clone(),
                )
            })
            .collect();
        page_of(expiring, &page)
    }

    async fn deliveries_due(
        &self,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let due = self
            .tables()
            .invitations
            .values()
            .filter(|invitation| invitation.status == Status::Pending && invitation.is_live(now))
            .filter_map(|invitation| {
                let at = invitation.retry_at.filter(|at| *at <= now)?;
                Some((timed_position(at, invitation), invitation.clone()))
            })
            .collect();
        page_of(due, &page)
    }
}

impl EventLog for MemoryStore {
    async fn record_event(&self, event: &Event) -> Result<(), StoreError> {
        self.tables().events.push(event.clone());
        Ok(())
    }

    async fn events(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> Result<Page<Event>, StoreError> {
        let events = self
            .tables()
            .events
            .iter()
            .filter(|event| &event.workgroup == workgroup)
            .map(|event| (event_position(event), event.clone()))
            .collect();
        page_of(events, &page)
    }
}

impl Counters for MemoryStore {
    async fn reserve_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let count = tables.pending.entry(workgroup.clone()).or_default();
        if *count + amount > limit {
            return Ok(false);
        }
        *count += amount;
        Ok(true)
    }

    async fn release_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let count = tables.pending.entry(workgroup.clone()).or_default();
        *count = count.saturating_sub(amount);
        Ok(())
    }

    async fn reserve_quota(
        &self,
        key: &QuotaKey,
        amount: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let mut tables = self.tables();
        let used = tables.quotas.entry(key.clone()).or_default();
        if *used + amount > limit {
            return Ok(false);
        }
        *used += amount;
        Ok(true)
    }

    async fn quota_used(&self, key: &QuotaKey) -> Result<u32, StoreError> {
        Ok(self.tables().quotas.get(key).copied().unwrap_or(0))
    }

    async fn refund_quota(&self, key: &QuotaKey, amount: u32) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let used = tables.quotas.entry(key.clone()).or_default();
        *used = used.saturating_sub(amount);
        Ok(())
    }
}

impl IdempotencyKeys for MemoryStore {
    async fn claim_key(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<Claim, StoreError> {
        let mut tables = self.tables();
        match tables.keys.get(key.digest()) {
            Some(record) if !record.claimable(now) => Ok(record.claim_by(fingerprint)),
            _ => {
                let record = KeyRecord {
                    fingerprint: fingerprint.to_owned(),
                    claimed_at: now,
                    answer: None,
                };
                tables.keys.insert(key.digest().to_owned(), record);
                Ok(Claim::Claimed)
            }
        }
    }

    async fn record_answer(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        answer: &RecordedAnswer,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        match tables.keys.get_mut(key.digest()) {
            Some(record) if record.fingerprint == fingerprint && record.answer.is_none() => {
                record.answer = Some(answer.clone());
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn release_key(&self, key: &IdempotencyKey, fingerprint: &str) -> Result<(), StoreError> {
        let mut tables = self.tables();
        match tables.keys.get(key.digest()) {
            Some(record) if record.fingerprint == fingerprint && record.answer.is_none() => {
                tables.keys.remove(key.digest());
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }
}

impl SendSlots for MemoryStore {
    async fn take_send_slot(&self, second: i64, rate: u32) -> Result<Option<u32>, StoreError> {
        let mut tables = self.tables();
        let used = tables.send_slots.entry(second).or_default();
        if *used >= rate {
            return Ok(None);
        }
        *used += 1;
        Ok(Some(*used - 1))
    }
}
