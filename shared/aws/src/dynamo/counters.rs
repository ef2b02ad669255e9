//! The pending counts and the daily quotas in the DynamoDB table (the [`Counters`] port).

use domain::store::Counters;

use super::*;

impl Counters for DynamoStore {
    async fn reserve_quota(
        &self,
        key: &QuotaKey,
        amount: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        // Kept a day past its own, then DynamoDB's TTL removes it.
        let expires = key.resets_at() + chrono::TimeDelta::days(1);
        let item = self::key(keys::quota(key), keys::QUOTA.to_owned());
        self.count_up(
            item,
            amount,
            limit,
            Some(expires),
            "failed to count against a quota",
        )
        .await
        .map(|counted| counted.is_some())
    }

    async fn quota_used(&self, key: &QuotaKey) -> Result<u32, StoreError> {
        // The day is part of the item's key: another day's count is another item. An item
        // past its TTL that DynamoDB has not deleted yet is still that day's count.
        let item = self::key(keys::quota(key), keys::QUOTA.to_owned());
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(item))
            .consistent_read(true)
            .projection_expression("#count")
            .expression_attribute_names("#count", COUNT)
            .send()
            .await
            .map_err(|e| StoreError::backend("failed to read a daily count", e))?;
        let Some(count) = output.item().and_then(|item| item.get(COUNT)) else {
            return Ok(0);
        };
        count
            .as_n()
            .ok()
            .and_then(|count| count.parse().ok())
            .ok_or_else(|| {
                StoreError::backend("failed to read a daily count", "the count is not a number")
            })
    }

    async fn refund_quota(&self, key: &QuotaKey, amount: u32) -> Result<(), StoreError> {
        let item = self::key(keys::quota(key), keys::QUOTA.to_owned());
        self.count_down(item, amount, "failed to give back quota")
            .await
    }

    async fn reserve_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
        limit: u32,
    ) -> Result<bool, StoreError> {
        let item = key(keys::pending(workgroup), keys::PENDING.to_owned());
        self.count_up(
            item,
            amount,
            limit,
            None,
            "failed to count pending invitations",
        )
        .await
        .map(|counted| counted.is_some())
    }

    async fn release_pending(
        &self,
        workgroup: &WorkgroupId,
        amount: u32,
    ) -> Result<(), StoreError> {
        let item = key(keys::pending(workgroup), keys::PENDING.to_owned());
        self.count_down(item, amount, "failed to free pending places")
            .await
    }
}
