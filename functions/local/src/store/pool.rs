//! The store's SQLite connections: one that writes and a few that read beside it, which
//! write-ahead logging allows. A task waits for a free connection without holding a thread;
//! a write then runs on a blocking thread (it may wait for another process's lock), a read on
//! the task's own. With one connection for everything, every
//! page was read and decoded under one lock by a crowd of blocking threads waiting on it
//! (`bench/RESULTS.md`, "The warm path").

use std::{
    path::Path,
    sync::{Arc, Mutex, PoisonError},
};

use domain::store::StoreError;
use rusqlite::{Connection, Transaction, TransactionBehavior, config::DbConfig};
use tokio::sync::Semaphore;

use super::{BUSY_TIMEOUT, db};

/// Compiled statements kept per connection.
const STATEMENTS_CACHED: usize = 128;

/// Connections lent one per transaction, and a count of the free ones.
pub(super) struct Pool {
    free: Mutex<Vec<Connection>>,
    available: Arc<Semaphore>,
}

impl Pool {
    pub(super) fn of(connections: Vec<Connection>) -> Arc<Self> {
        Arc::new(Self {
            available: Arc::new(Semaphore::new(connections.len())),
            free: Mutex::new(connections),
        })
    }

    /// Runs `work` in one transaction of a free connection, on a blocking thread; an error
    /// rolls it back.
    pub(super) async fn run<T, F>(
        self: &Arc<Self>,
        behavior: TransactionBehavior,
        work: F,
    ) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let permit = Arc::clone(&self.available)
            .acquire_owned()
            .await
            .map_err(|e| StoreError::backend("the store is closed", e))?;
        let pool = Arc::clone(self);
        tokio::task::spawn_blocking(move || {
            // The permit goes with the connection: a free one is there, and it stays lent
            // until this ends, even if the task awaiting it is dropped.
            let _permit = permit;
            in_transaction(Lent::from(&*pool).connection(), behavior, work)
        })
        .await
        .map_err(|e| StoreError::backend("the store task did not finish", e))?
    }

    /// Runs `work` in one read transaction of a free connection, on the calling task's own
    /// thread: a read under write-ahead logging never waits for a lock, and a page is a few
    /// dozen microseconds of work, less than handing it to a blocking thread and back costs.
    pub(super) async fn read_here<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
    {
        let _permit = self
            .available
            .acquire()
            .await
            .map_err(|e| StoreError::backend("the store is closed", e))?;
        in_transaction(
            Lent::from(self).connection(),
            TransactionBehavior::Deferred,
            work,
        )
    }

    /// A free connection, for a look inside (tests).
    #[cfg(test)]
    pub(super) fn with_one<T>(&self, look: impl FnOnce(&Connection) -> T) -> T {
        let free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        look(free.first().expect("a free connection"))
    }
}

/// Runs `work` in one transaction of `connection`, committed if it succeeds; an error (or a
/// panic) drops the transaction, which rolls it back.
fn in_transaction<T>(
    connection: &mut Connection,
    behavior: TransactionBehavior,
    work: impl FnOnce(&Transaction<'_>) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let transaction = connection
        .transaction_with_behavior(behavior)
        .map_err(db("failed to begin a transaction"))?;
    let value = work(&transaction)?;
    transaction
        .commit()
        .map_err(db("failed to commit a transaction"))?;
    Ok(value)
}

/// A connection taken from the pool, given back when dropped: also when `work` panics, which
/// drops its transaction first and so rolls it back, leaving the connection sound.
struct Lent<'a> {
    pool: &'a Pool,
    connection: Option<Connection>,
}

impl<'a> From<&'a Pool> for Lent<'a> {
    fn from(pool: &'a Pool) -> Self {
        let connection = pool
            .free
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
            .expect("a permit stands for a free connection");
        Self {
            pool,
            connection: Some(connection),
        }
    }
}

impl Lent<'_> {
    fn connection(&mut self) -> &mut Connection {
        self.connection.as_mut().expect("lent until dropped")
    }
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let Some(connection) = self.connection.take() {
            self.pool
                .free
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(connection);
        }
    }
}

/// A connection to the store's file, set up as every one of them is.
pub(super) fn connect(path: &Path) -> Result<Connection, StoreError> {
    let connection = Connection::open(path).map_err(db("failed to open the store file"))?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(db("failed to set the busy timeout"))?;
    connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
        .map_err(db("failed to switch to write-ahead logging"))?;
    // In WAL mode NORMAL never corrupts the file; a power cut may lose the last commits.
    connection
        .pragma_update(None, "synchronous", "NORMAL")
        .map_err(db("failed to set the synchronous mode"))?;
    connection
        .pragma_update(None, "foreign_keys", true)
        .map_err(db("failed to enable foreign keys"))?;
    // Each query's plan is the one its index was made for, whatever the values bound. By
    // default SQLite compiles a statement again whenever a value it might plan around is
    // bound anew, which undid the statement cache: every page was compiled again
    // (`bench/RESULTS.md`, "The warm path").
    connection
        .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(db("failed to keep query plans stable"))?;
    // Room for every statement the store runs (about 60), so none is compiled twice.
    connection.set_prepared_statement_cache_capacity(STATEMENTS_CACHED);
    Ok(connection)
}
