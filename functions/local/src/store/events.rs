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
