//! The audit trail in the SQLite database (the [`EventLog`] port).

use domain::store::EventLog;

use super::*;

impl EventLog for EmbeddedStore {
    async fn record_event(&self, event: &Event) -> Result<(), StoreError> {
        let row = EventRow::of(event)?;
        self.write(move |tx| row.insert(tx)).await
    }

    async fn events(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> Result<Page<Event>, StoreError> {
        let workgroup = workgroup.as_str().to_owned();
        let after = page
            .after
            .as_deref()
            .map(parse_event_position)
            .transpose()?;
        let (after_at, after_id) = after.unzip();
        let limit = fetch_limit(&page);
        self.read(move |tx| {
            let context = "failed to list events";
            let mut statement = tx
                .prepare_cached(
                    "SELECT at, id, data FROM events
                     WHERE workgroup_id = ?1
                       AND (?2 IS NULL OR (at, id) < (?2, ?3))
                     ORDER BY at DESC, id DESC
                     LIMIT ?4",
                )
                .map_err(db(context))?;
            let rows = timed_rows(
                &mut statement,
                params![workgroup, after_at, after_id, limit],
                context,
            )?;
            let (items, next) = paged(rows, &page);
            Ok(Page { items, next })
        })
        .await
    }
}

impl EmbeddedStore {
    /// Up to `limit` events not yet published, in the order written, with their sequence.
    pub async fn unpublished_events(&self, limit: usize) -> Result<Vec<(i64, Event)>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(move |tx| {
            let context = "failed to read unpublished events";
            let mut statement = tx
                .prepare_cached(
                    "SELECT seq, data FROM events WHERE published = 0 ORDER BY seq LIMIT ?1",
                )
                .map_err(db(context))?;
            let rows = statement
                .query_map([limit], |row| {
                    Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(db(context))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db(context))?;
            rows.into_iter()
                .map(|(seq, data)| Ok((seq, decode(&data)?)))
                .collect()
        })
        .await
    }

    /// Marks every event up to `seq` published.
    pub async fn mark_published(&self, seq: i64) -> Result<(), StoreError> {
        self.write(move |tx| {
            cached_execute(
                tx,
                "UPDATE events SET published = 1 WHERE published = 0 AND seq <= ?1",
                [seq],
            )
            .map_err(db("failed to mark events published"))?;
            Ok(())
        })
        .await
    }
}
