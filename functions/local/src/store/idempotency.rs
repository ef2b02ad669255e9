//! Idempotency keys in the SQLite database (the [`IdempotencyKeys`] port).

use domain::store::IdempotencyKeys;

use super::*;

impl IdempotencyKeys for EmbeddedStore {
    async fn claim_key(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<Claim, StoreError> {
        let (digest, fingerprint) = (key.digest().to_owned(), fingerprint.to_owned());
        self.write(move |tx| {
            let held = held_key(tx, &digest)?;
            if let Some(record) = held.filter(|record| !record.claimable(now)) {
                return Ok(record.claim_by(&fingerprint));
            }
            let record = KeyRecord {
                fingerprint,
                claimed_at: now,
                answer: None,
            };
            cached_execute(
                tx,
                "INSERT INTO idempotency_keys (digest, expires_at, data) VALUES (?1, ?2, ?3)
                 ON CONFLICT (digest) DO UPDATE
                 SET expires_at = excluded.expires_at, data = excluded.data",
                params![digest, record.expires_at().timestamp(), encode(&record)?],
            )
            .map_err(db("failed to claim an idempotency key"))?;
            // Keys past their window are forgotten as new ones are claimed, a few at a time.
            cached_execute(
                tx,
                "DELETE FROM idempotency_keys WHERE digest IN
                     (SELECT digest FROM idempotency_keys WHERE expires_at <= ?1 LIMIT 20)",
                [now.timestamp()],
            )
            .map_err(db("failed to forget expired idempotency keys"))?;
            Ok(Claim::Claimed)
        })
        .await
    }

    async fn record_answer(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        answer: &RecordedAnswer,
    ) -> Result<(), StoreError> {
        let (digest, fingerprint, answer) = (
            key.digest().to_owned(),
            fingerprint.to_owned(),
            answer.clone(),
        );
        self.write(move |tx| {
            let held = held_key(tx, &digest)?;
            let Some(mut record) =
                held.filter(|r| r.fingerprint == fingerprint && r.answer.is_none())
            else {
                return Err(StoreError::Conflict);
            };
            record.answer = Some(answer);
            cached_execute(
                tx,
                "UPDATE idempotency_keys SET data = ?1 WHERE digest = ?2",
                params![encode(&record)?, digest],
            )
            .map_err(db("failed to record an answer"))?;
            Ok(())
        })
        .await
    }

    async fn release_key(&self, key: &IdempotencyKey, fingerprint: &str) -> Result<(), StoreError> {
        let (digest, fingerprint) = (key.digest().to_owned(), fingerprint.to_owned());
        self.write(move |tx| {
            let held = held_key(tx, &digest)?;
            if !held.is_some_and(|r| r.fingerprint == fingerprint && r.answer.is_none()) {
                return Err(StoreError::Conflict);
            }
            cached_execute(
                tx,
                "DELETE FROM idempotency_keys WHERE digest = ?1",
                [digest],
            )
            .map_err(db("failed to release an idempotency key"))?;
            Ok(())
        })
        .await
    }
}

impl EmbeddedStore {
    /// How many idempotency keys the file holds (for checks that old ones are forgotten).
    pub async fn idempotency_key_count(&self) -> Result<i64, StoreError> {
        self.read(|tx| {
            cached_row(tx, "SELECT COUNT(*) FROM idempotency_keys", [], |row| {
                row.get(0)
            })
            .map_err(db("failed to count idempotency keys"))
        })
        .await
    }
}
