//! The embedded store: SQLite in one file, so the local server keeps its data across restarts.
//!
//! Each domain struct is kept whole as JSON in a `data` column, beside the key columns the
//! queries filter and order on. Every operation is one transaction, so each conditional write
//! is atomic. Writes take the database lock when they begin (`BEGIN IMMEDIATE`): another
//! process on the same file waits for it instead of failing half-way.

mod counters;
mod events;
mod idempotency;
mod invitations;
mod people;
mod pool;
mod queue;

pub use queue::Received;

use std::{path::Path, sync::Arc, time::Duration};

use domain::{
    address::EmailAddress,
    audit::Event,
    clock::Timestamp,
    delivery::{DueEmail, Queue, QueueError},
    idempotency::{Claim, IdempotencyKey, KeyRecord, RecordedAnswer},
    ids::{InvitationId, WorkgroupId},
    invitation::{Invitation, Status},
    people::{Agent, Membership, Person, SignIn, Workgroup},
    quota::QuotaKey,
    secret::TokenHash,
    store::SendSlots,
    store::{Inserted, Page, PageRequest, StoreError},
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};
use serde::{Serialize, de::DeserializeOwned};

/// Bumped with every change to [`SCHEMA`]; a file written by a newer program is refused.
const SCHEMA_VERSION: i64 = 5;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS workgroups (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    data TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS persons (
    email TEXT PRIMARY KEY,
    id    TEXT NOT NULL UNIQUE,
    data  TEXT NOT NULL
) STRICT;

CREATE TABLE IF NOT EXISTS memberships (
    workgroup_id TEXT NOT NULL REFERENCES workgroups (id),
    email        TEXT NOT NULL,
    agent_id     TEXT NOT NULL,
    role         TEXT NOT NULL,
    joined_at    INTEGER NOT NULL,
    data         TEXT NOT NULL,
    PRIMARY KEY (workgroup_id, email)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS memberships_by_email ON memberships (email);

CREATE TABLE IF NOT EXISTS invitations (
    id           TEXT PRIMARY KEY,
    workgroup_id TEXT NOT NULL REFERENCES workgroups (id),
    email        TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('pending', 'declined')),
    sent_at      INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    token_hash   TEXT UNIQUE,
    version      INTEGER NOT NULL,
    data         TEXT NOT NULL,
    UNIQUE (workgroup_id, email)
) STRICT;
CREATE INDEX IF NOT EXISTS invitations_by_send
    ON invitations (workgroup_id, sent_at DESC, id DESC);
-- An invitee's own pending invitations, across workgroups, newest first (version 5).
CREATE INDEX IF NOT EXISTS invitations_by_invitee
    ON invitations (email, sent_at DESC, id DESC) WHERE status = 'pending';
-- The sweeps page by (time, id): an index on both keeps every page one range scan.
DROP INDEX IF EXISTS invitations_by_expiry;
CREATE INDEX IF NOT EXISTS invitations_by_expiry_and_id ON invitations (expires_at, id);
-- The daily limits: one row per counter and UTC day, forgotten once the day is over.
CREATE TABLE IF NOT EXISTS daily_counts (
    counter TEXT NOT NULL,
    day     TEXT NOT NULL,
    used    INTEGER NOT NULL CHECK (used >= 0),
    PRIMARY KEY (counter, day)
) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS daily_counts_by_day ON daily_counts (day);
CREATE TABLE IF NOT EXISTS idempotency_keys (
    digest     TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL,
    data       TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS idempotency_keys_by_expiry ON idempotency_keys (expires_at);
-- The few invitations whose email awaits another attempt (epoch seconds in the JSON).
DROP INDEX IF EXISTS invitations_by_retry;
CREATE INDEX IF NOT EXISTS invitations_by_retry_and_id
    ON invitations (json_extract(data, '$.retry_at'), id)
    WHERE json_extract(data, '$.retry_at') IS NOT NULL;
-- The audit trail; `seq` is the order written, which the publisher follows.
CREATE TABLE IF NOT EXISTS events (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    workgroup_id TEXT NOT NULL,
    at           INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    published    INTEGER NOT NULL DEFAULT 0,
    data         TEXT NOT NULL
) STRICT;
CREATE INDEX IF NOT EXISTS events_by_workgroup ON events (workgroup_id, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS events_by_expiry ON events (expires_at);
CREATE INDEX IF NOT EXISTS events_unpublished ON events (seq) WHERE published = 0;
-- The embedded queue of due emails: a message is invisible to other receivers until
-- `visible_at` (epoch milliseconds of the real clock), and deleted once handled.
CREATE TABLE IF NOT EXISTS email_queue (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    body       TEXT NOT NULL,
    visible_at INTEGER NOT NULL,
    receives   INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX IF NOT EXISTS email_queue_by_visibility ON email_queue (visible_at);
-- Emails handed to the mail service per second, shared by every sender on the file.
CREATE TABLE IF NOT EXISTS send_slots (
    second INTEGER PRIMARY KEY,
    used   INTEGER NOT NULL
) STRICT;
CREATE TABLE IF NOT EXISTS pending_counts (
    workgroup_id TEXT PRIMARY KEY,
    pending      INTEGER NOT NULL CHECK (pending >= 0)
) STRICT, WITHOUT ROWID;
";

/// How long an operation waits for another process holding the file's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The [`Store`] of the local server: one SQLite file.
#[derive(Clone)]
pub struct EmbeddedStore {
    /// Writes, one at a time: SQLite has one writer.
    writer: Arc<pool::Pool>,
    /// Reads, as many at once as there are cores, beside the writer.
    readers: Arc<pool::Pool>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore").finish_non_exhaustive()
    }
}

/// Something in the file that this program did not write, or cannot read.
#[derive(Debug, thiserror::Error)]
enum Unreadable {
    #[error("`{0}` is not a page position this store wrote")]
    Position(String),
    #[error("the file has schema version {0}; this program knows up to {SCHEMA_VERSION}")]
    SchemaVersion(i64),
    #[error("version {0} is out of the store's range")]
    Version(u64),
}

impl EmbeddedStore {
    /// Opens the store in `path`, creating the file and its tables if they do not exist.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut writer = pool::connect(path)?;
        migrate(&mut writer)?;
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let readers = (0..cores.clamp(2, 8))
            .map(|_| pool::connect(path))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            writer: pool::Pool::of(vec![writer]),
            readers: pool::Pool::of(readers),
        })
    }

    /// Runs `work` in a read transaction; an error rolls it back.
    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.readers.read_here(work).await
    }

    /// Runs `work` in a write transaction (the file's write lock taken as it begins); an
    /// error rolls it back.
    async fn write<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.run(TransactionBehavior::Immediate, work).await
    }
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db("failed to begin the schema transaction"))?;
    let version: i64 = transaction
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(db("failed to read the schema version"))?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::backend(
            "failed to open the store file",
            Unreadable::SchemaVersion(version),
        ));
    }
    // Version 3 counts daily limits per counter and keeps idempotency keys with their expiry.
    // Both held a day's worth at most: they start over rather than being converted.
    if (1..3).contains(&version) {
        transaction
            .execute_batch("DROP TABLE IF EXISTS quotas; DROP TABLE IF EXISTS idempotency_keys;")
            .map_err(db("failed to drop the tables of schema version 2"))?;
    }
    transaction
        .execute_batch(SCHEMA)
        .map_err(db("failed to create the tables"))?;
    transaction
        .pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(db("failed to record the schema version"))?;
    transaction
        .commit()
        .map_err(db("failed to commit the schema"))
}

/// Maps a SQLite error to a backend failure saying what was being done.
fn db(context: &'static str) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |error| StoreError::backend(context, error)
}

fn encode<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError::backend("failed to encode an item", e))
}

fn decode<T: DeserializeOwned>(data: &str) -> Result<T, StoreError> {
    serde_json::from_str(data).map_err(|e| StoreError::backend("failed to decode a stored item", e))
}

fn stored_version(version: u64) -> Result<i64, StoreError> {
    i64::try_from(version)
        .map_err(|_| StoreError::backend("failed to store a version", Unreadable::Version(version)))
}

/// How many rows to fetch for a page: one more than asked, to learn whether another follows.
fn fetch_limit(page: &PageRequest) -> i64 {
    i64::try_from(page.limit.max(1).saturating_add(1)).unwrap_or(i64::MAX)
}

fn bad_position(position: &str) -> StoreError {
    StoreError::backend(
        "failed to read a page position",
        Unreadable::Position(position.chars().take(80).collect()),
    )
}

/// The position after one listed invitation is `<sent_at epoch seconds>|<id>` ([`timed_rows`]).
fn parse_invitation_position(position: &str) -> Result<(i64, InvitationId), StoreError> {
    let (sent_at, id) = position
        .split_once('|')
        .ok_or_else(|| bad_position(position))?;
    let sent_at = sent_at.parse().map_err(|_| bad_position(position))?;
    let id = InvitationId::parse(id).ok_or_else(|| bad_position(position))?;
    Ok((sent_at, id))
}

/// The position after one listed agent: their address.
fn parse_agent_position(position: &str) -> Result<EmailAddress, StoreError> {
    EmailAddress::parse(position)
        .ok()
        .filter(|address| address.as_str() == position)
        .ok_or_else(|| bad_position(position))
}

/// The rows of a list ordered by a time and an id (`SELECT <time>, id, data`), decoded, each
/// with the position after it: `<time>|<id>`.
fn timed_rows<T: DeserializeOwned>(
    statement: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
    context: &'static str,
) -> Result<Vec<(T, String)>, StoreError> {
    // Each row is decoded from SQLite's own text, never copied out first.
    let rows = statement
        .query_map(params, |row| {
            let time: i64 = row.get(0)?;
            let id = row.get_ref(1)?.as_str()?;
            let data = row.get_ref(2)?.as_str()?;
            Ok((decode(data), format!("{time}|{id}")))
        })
        .map_err(db(context))?;
    rows.map(|row| {
        let (item, position) = row.map_err(db(context))?;
        Ok((item?, position))
    })
    .collect()
}

/// Cuts the extra row fetched by [`fetch_limit`] and says where the next page starts.
fn paged<T>(mut rows: Vec<(T, String)>, page: &PageRequest) -> (Vec<T>, Option<String>) {
    let limit = page.limit.max(1);
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|(_, position)| position.clone())
    } else {
        None
    };
    (rows.into_iter().map(|(item, _)| item).collect(), next)
}

/// An invitation as one row: its key columns and the whole of it as JSON.
struct InvitationRow {
    id: String,
    workgroup_id: String,
    email: String,
    status: &'static str,
    sent_at: i64,
    expires_at: i64,
    token_hash: Option<String>,
    version: i64,
    data: String,
}

impl InvitationRow {
    fn of(invitation: &Invitation) -> Result<Self, StoreError> {
        Ok(Self {
            id: invitation.id.as_str().to_owned(),
            workgroup_id: invitation.workgroup.id.as_str().to_owned(),
            email: invitation.email.as_str().to_owned(),
            status: invitation.status.as_str(),
            sent_at: invitation.sent_at.timestamp(),
            expires_at: invitation.expires_at().timestamp(),
            token_hash: invitation
                .token_hash
                .as_ref()
                .map(|hash| hash.as_str().to_owned()),
            version: stored_version(invitation.version)?,
            data: encode(invitation)?,
        })
    }

    fn insert(&self, transaction: &Transaction<'_>) -> Result<(), StoreError> {
        cached_execute(transaction,
                "INSERT INTO invitations
                     (id, workgroup_id, email, status, sent_at, expires_at, token_hash, version, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    self.id,
                    self.workgroup_id,
                    self.email,
                    self.status,
                    self.sent_at,
                    self.expires_at,
                    self.token_hash,
                    self.version,
                    self.data,
                ],
            )
            .map_err(db("failed to insert an invitation"))?;
        Ok(())
    }
}

/// A membership as one row; the workgroup is joined from its own table when read.
struct MembershipRow {
    workgroup_id: String,
    email: String,
    agent_id: String,
    role: &'static str,
    joined_at: i64,
    data: String,
}

impl MembershipRow {
    fn of(workgroup: &WorkgroupId, agent: &Agent) -> Result<Self, StoreError> {
        Ok(Self {
            workgroup_id: workgroup.as_str().to_owned(),
            email: agent.email.as_str().to_owned(),
            agent_id: agent.id.as_str().to_owned(),
            role: agent.role.as_str(),
            joined_at: agent.joined_at.timestamp(),
            data: encode(agent)?,
        })
    }

    /// Conflict: the address is already a member of the workgroup.
    fn insert(&self, transaction: &Transaction<'_>) -> Result<(), StoreError> {
        let inserted = cached_execute(
            transaction,
            "INSERT INTO memberships (workgroup_id, email, agent_id, role, joined_at, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT DO NOTHING",
            params![
                self.workgroup_id,
                self.email,
                self.agent_id,
                self.role,
                self.joined_at,
                self.data,
            ],
        )
        .map_err(db("failed to insert a membership"))?;
        if inserted == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }
}

struct PersonRow {
    email: String,
    id: String,
    data: String,
}

impl PersonRow {
    fn of(person: &Person) -> Result<Self, StoreError> {
        Ok(Self {
            email: person.email.as_str().to_owned(),
            id: person.id.as_str().to_owned(),
            data: encode(person)?,
        })
    }

    /// Conflict: the address is already registered.
    fn insert(&self, transaction: &Transaction<'_>) -> Result<(), StoreError> {
        let inserted = cached_execute(
            transaction,
            "INSERT INTO persons (email, id, data) VALUES (?1, ?2, ?3)
                 ON CONFLICT DO NOTHING",
            params![self.email, self.id, self.data],
        )
        .map_err(db("failed to register a person"))?;
        if inserted == 0 {
            return Err(StoreError::Conflict);
        }
        Ok(())
    }
}

/// The one row of `sql`, from the connection's statement cache: `query_row` would compile
/// the statement on every call.
fn cached_row<T>(
    transaction: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
    row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    transaction.prepare_cached(sql)?.query_row(params, row)
}

/// Runs `sql` from the connection's statement cache, as [`cached_row`] reads; the number of
/// rows changed.
fn cached_execute(
    transaction: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
) -> rusqlite::Result<usize> {
    transaction.prepare_cached(sql)?.execute(params)
}

fn select_one<T: DeserializeOwned>(
    transaction: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
    context: &'static str,
) -> Result<Option<T>, StoreError> {
    let data: Option<String> = cached_row(transaction, sql, params, |row| row.get(0))
        .optional()
        .map_err(db(context))?;
    data.as_deref().map(decode).transpose()
}

fn membership_from(workgroup: &str, agent: &str) -> Result<Membership, StoreError> {
    Ok(Membership {
        workgroup: decode(workgroup)?,
        agent: decode(agent)?,
    })
}

/// The position after one listed event: `<at epoch seconds>|<id>`.
fn parse_event_position(position: &str) -> Result<(i64, String), StoreError> {
    let (at, id) = position
        .split_once('|')
        .ok_or_else(|| bad_position(position))?;
    let at = at.parse().map_err(|_| bad_position(position))?;
    let well_formed = id.starts_with("evt_") && id.len() == 36;
    if !well_formed {
        return Err(bad_position(position));
    }
    Ok((at, id.to_owned()))
}

/// An event as one row.
struct EventRow {
    id: String,
    workgroup_id: String,
    at: i64,
    expires_at: i64,
    data: String,
}

impl EventRow {
    fn of(event: &Event) -> Result<Self, StoreError> {
        Ok(Self {
            id: event.id.as_str().to_owned(),
            workgroup_id: event.workgroup.as_str().to_owned(),
            at: event.at.timestamp(),
            expires_at: event.expires_at().timestamp(),
            data: encode(event)?,
        })
    }

    /// Writes the event, in the transaction of the change it records, and forgets a few
    /// events past their retention (published ones: the publisher may still owe the others).
    fn insert(&self, tx: &Transaction<'_>) -> Result<(), StoreError> {
        cached_execute(
            tx,
            "INSERT INTO events (id, workgroup_id, at, expires_at, data)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                self.id,
                self.workgroup_id,
                self.at,
                self.expires_at,
                self.data
            ],
        )
        .map_err(db("failed to record an event"))?;
        cached_execute(
            tx,
            "DELETE FROM events WHERE seq IN
                 (SELECT seq FROM events WHERE expires_at <= ?1 AND published = 1 LIMIT 10)",
            [self.at],
        )
        .map_err(db("failed to forget old events"))?;
        Ok(())
    }
}

fn held_key(tx: &Transaction<'_>, digest: &str) -> Result<Option<KeyRecord>, StoreError> {
    select_one(
        tx,
        "SELECT data FROM idempotency_keys WHERE digest = ?1",
        [digest],
        "failed to read an idempotency key",
    )
}

/// Conflict: the invitation is gone or changed since it was read.
fn delete_unchanged(tx: &Transaction<'_>, row: &InvitationRow) -> Result<(), StoreError> {
    let deleted = cached_execute(
        tx,
        "DELETE FROM invitations WHERE id = ?1 AND workgroup_id = ?2 AND version = ?3",
        params![row.id, row.workgroup_id, row.version],
    )
    .map_err(db("failed to delete an invitation"))?;
    if deleted == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}
