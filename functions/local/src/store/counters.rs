//! The pending counts and the daily quotas in the SQLite database (the [`Counters`] port).

use domain::store::Counters;

use super::*;

impl Counters for EmbeddedStore {
    async fn reserve_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        if amount > limit {
            return Ok(false);
        }
        let workgroup = workgroup.as_str().to_owned();
        self.write(move |tx| {
            // Checked and counted in one statement, under the write lock.
            let counted = cached_execute(
                tx,
                "INSERT INTO pending_counts (workgroup_id, pending) VALUES (?1, ?2)
                     ON CONFLICT (workgroup_id)
                     DO UPDATE SET pending = pending + ?2 WHERE pending + ?2 <= ?3",
                params![workgroup, amount, limit],
            )
            .map_err(db("failed to count pending invitations"))?;
            Ok(counted == 1)
        })
        .await
    }

    async fn release_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
    ) -> Result<(), StoreError> {
        let workgroup = workgroup.as_str().to_owned();
        self.write(move |tx| {
            cached_execute(
                tx,
                "UPDATE pending_counts SET pending = MAX(pending - ?2, 0) WHERE workgroup_id = ?1",
                params![workgroup, amount],
            )
            .map_err(db("failed to free pending places"))?;
            Ok(())
        })
        .await
    }

    async fn reserve_quota(
        &self,
        key: &QuotaKey,
        amount: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        if amount > limit {
            return Ok(false);
        }
        let (counter, day) = (key.counter(), key.day_text());
        self.write(move |tx| {
            // Counted in the statement itself: the write lock makes check and count one step.
            let counted = cached_execute(
                tx,
                "INSERT INTO daily_counts (counter, day, used) VALUES (?1, ?2, ?3)
                     ON CONFLICT (counter, day)
                     DO UPDATE SET used = used + ?3 WHERE used + ?3 <= ?4",
                params![counter, day, amount, limit],
            )
            .map_err(db("failed to count against a daily limit"))?;
            // Days before yesterday no longer limit anything.
            cached_execute(
                tx,
                "DELETE FROM daily_counts WHERE (counter, day) IN
                     (SELECT counter, day FROM daily_counts
                      WHERE day < date(?1, '-1 day') LIMIT 20)",
                [&day],
            )
            .map_err(db("failed to forget past days' counts"))?;
            Ok(counted == 1)
        })
        .await
    }

    async fn quota_used(&self, key: &QuotaKey) -> Result<u32, StoreError> {
        let (counter, day) = (key.counter(), key.day_text());
        self.read(move |tx| {
            let used: Option<u32> = cached_row(
                tx,
                "SELECT used FROM daily_counts WHERE counter = ?1 AND day = ?2",
                params![counter, day],
                |row| row.get(0),
            )
            .optional()
            .map_err(db("failed to read a daily count"))?;
            Ok(used.unwrap_or(0))
        })
        .await
    }

    async fn refund_quota(&self, key: &QuotaKey, amount: u32) -> Result<(), StoreError> {
        let (counter, day) = (key.counter(), key.day_text());
        self.write(move |tx| {
            cached_execute(
                tx,
                "UPDATE daily_counts SET used = MAX(used - ?3, 0) WHERE counter = ?1 AND day = ?2",
                params![counter, day, amount],
            )
            .map_err(db("failed to give back a daily count"))?;
            Ok(())
        })
        .await
    }
}
