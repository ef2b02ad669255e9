//! The embedded queue of due emails, and the send slots the senders share, in the same file.

use super::*;

/// One message of the embedded queue, as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// Its place in the queue, to delete or delay it by.
    pub seq: i64,
    pub email: DueEmail,
    /// How many times it has been received, this time included.
    pub receives: i64,
}

impl Queue for EmbeddedStore {
    async fn post(&self, emails: &[DueEmail]) -> Result<(), QueueError> {
        let bodies: Vec<String> = emails.iter().map(DueEmail::to_message).collect();
        let now = epoch_millis();
        self.write(move |tx| {
            let mut insert = tx
                .prepare_cached("INSERT INTO email_queue (body, visible_at) VALUES (?1, ?2)")
                .map_err(db("failed to post an email"))?;
            for body in &bodies {
                insert
                    .execute(params![body, now])
                    .map_err(db("failed to post an email"))?;
            }
            Ok(())
        })
        .await
        .map_err(|error| QueueError {
            context: "failed to post emails to the embedded queue".into(),
            source: Some(Box::new(error)),
        })
    }
}

impl SendSlots for EmbeddedStore {
    async fn take_send_slot(&self, second: i64, rate: u32) -> Result<Option<u32>, StoreError> {
        self.write(move |tx| {
            let used: Option<u32> = cached_row(
                tx,
                "INSERT INTO send_slots (second, used) VALUES (?1, 1)
                     ON CONFLICT (second) DO UPDATE SET used = used + 1 WHERE used < ?2
                     RETURNING used",
                params![second, rate],
                |row| row.get(0),
            )
            .optional()
            .map_err(db("failed to take a send slot"))?;
            cached_execute(
                tx,
                "DELETE FROM send_slots WHERE second < ?1",
                [second - 60],
            )
            .map_err(db("failed to forget past send slots"))?;
            Ok(used.map(|used| used - 1))
        })
        .await
    }
}

/// The real clock, in epoch milliseconds: the queue's visibility follows real time whatever
/// clock the use cases run on.
fn epoch_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
        })
}

impl EmbeddedStore {
    /// Up to `limit` visible messages, each hidden from other receivers for `hidden_for`.
    /// Messages that cannot be read are dropped.
    pub async fn receive_emails(
        &self,
        limit: usize,
        hidden_for: std::time::Duration,
    ) -> Result<Vec<Received>, StoreError> {
        let now = epoch_millis();
        let until = now.saturating_add(i64::try_from(hidden_for.as_millis()).unwrap_or(i64::MAX));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.write(move |tx| {
            let rows: Vec<(i64, String, i64)> = {
                let mut select = tx
                    .prepare_cached(
                        "SELECT seq, body, receives FROM email_queue WHERE visible_at <= ?1
                         ORDER BY visible_at, seq LIMIT ?2",
                    )
                    .map_err(db("failed to receive emails"))?;
                select
                    .query_map(params![now, limit], |row| {
                        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
                    })
                    .map_err(db("failed to receive emails"))?
                    .collect::<Result<_, _>>()
                    .map_err(db("failed to receive emails"))?
            };
            let mut received = Vec::new();
            for (seq, body, receives) in rows {
                match DueEmail::from_message(&body) {
                    Some(email) => {
                        cached_execute(
                            tx,
                            "UPDATE email_queue SET visible_at = ?1, receives = receives + 1
                             WHERE seq = ?2",
                            params![until, seq],
                        )
                        .map_err(db("failed to receive an email"))?;
                        received.push(Received {
                            seq,
                            email,
                            receives: receives + 1,
                        });
                    }
                    None => {
                        cached_execute(tx, "DELETE FROM email_queue WHERE seq = ?1", [seq])
                            .map_err(db("failed to drop an unreadable message"))?;
                    }
                }
            }
            Ok(received)
        })
        .await
    }

    /// Removes a handled message.
    pub async fn delete_email(&self, seq: i64) -> Result<(), StoreError> {
        self.write(move |tx| {
            cached_execute(tx, "DELETE FROM email_queue WHERE seq = ?1", [seq])
                .map_err(db("failed to delete a message"))?;
            Ok(())
        })
        .await
    }

    /// Makes a message visible again after `delay`.
    pub async fn delay_email(
        &self,
        seq: i64,
        delay: std::time::Duration,
    ) -> Result<(), StoreError> {
        let at =
            epoch_millis().saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
        self.write(move |tx| {
            cached_execute(
                tx,
                "UPDATE email_queue SET visible_at = ?1 WHERE seq = ?2",
                params![at, seq],
            )
            .map_err(db("failed to delay a message"))?;
            Ok(())
        })
        .await
    }

    /// How many messages the queue holds, visible or not, and when the next one becomes
    /// visible (epoch milliseconds).
    pub async fn queued_emails(&self) -> Result<(i64, Option<i64>), StoreError> {
        self.read(|tx| {
            cached_row(
                tx,
                "SELECT COUNT(*), MIN(visible_at) FROM email_queue",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .map_err(db("failed to count queued emails"))
        })
        .await
    }
}
