//! The audit trail in the DynamoDB table (the [`EventLog`] port).

use domain::store::EventLog;

use super::*;

impl EventLog for DynamoStore {
    async fn record_event(&self, event: &Event) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&EventItem::of(event)?)?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .send()
            .await
            .map(|_| ())
            .map_err(refused("failed to record an event"))
    }

    async fn events(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> Result<Page<Event>, StoreError> {
        let pk = keys::events(workgroup);
        let start = match &page.after {
            Some(after) => Some(key(pk.clone(), keys::parse_event_position(after)?)),
            None => None,
        };
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :event)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#sk", SORT_KEY)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":event", s(keys::EVENT_PREFIX))
            .scan_index_forward(false)
            .consistent_read(true);
        let (items, more) = self
            .page_of(query, start, page.limit.max(1), "failed to query events")
            .await?;
        let events = items
            .into_iter()
            .map(|item| from_item::<EventItem>(item)?.into_event())
            .collect::<Result<Vec<_>, _>>()?;
        let next = events
            .last()
            .filter(|_| more)
            .map(|last| keys::event(last.at, &last.id));
        Ok(Page {
            items: events,
            next,
        })
    }
}
