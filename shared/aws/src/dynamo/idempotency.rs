//! Idempotency keys in the DynamoDB table (the [`IdempotencyKeys`] port).

use domain::store::IdempotencyKeys;

use super::*;

impl IdempotencyKeys for DynamoStore {
    async fn claim_key(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        now: Timestamp,
    ) -> Result<Claim, StoreError> {
        use items::key_attributes as k;
        let record = KeyRecord {
            fingerprint: fingerprint.to_owned(),
            claimed_at: now,
            answer: None,
        };
        let claimed = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&KeyItem::of(key.digest(), &record))?))
            // New, expired, or claimed long ago by a request that never answered.
            .condition_expression(
                "attribute_not_exists(#pk) OR #expires <= :now \
                 OR (#answered = :no AND #claimed <= :abandoned)",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#expires", TTL_ATTRIBUTE)
            .expression_attribute_names("#answered", k::ANSWERED)
            .expression_attribute_names("#claimed", k::CLAIMED_AT)
            .expression_attribute_values(":now", n(now.timestamp()))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .expression_attribute_values(
                ":abandoned",
                n((now - domain::idempotency::ABANDONED_AFTER).timestamp()),
            )
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match claimed {
            Ok(_) => Ok(Claim::Claimed),
            Err(error) => match error.into_service_error() {
                PutItemError::ConditionalCheckFailedException(failed) => {
                    let held = failed.item.ok_or_else(|| {
                        StoreError::backend("a refused claim came back without the key", NoItem)
                    })?;
                    Ok(from_item::<KeyItem>(held)?
                        .into_record()
                        .claim_by(fingerprint))
                }
                other if other.code() == Some("TransactionConflictException") => {
                    Err(StoreError::Conflict)
                }
                other => Err(StoreError::backend(
                    "failed to claim an idempotency key",
                    other,
                )),
            },
        }
    }

    async fn record_answer(
        &self,
        key: &IdempotencyKey,
        fingerprint: &str,
        answer: &RecordedAnswer,
    ) -> Result<(), StoreError> {
        use items::key_attributes as k;
        let answer = serde_dynamo::to_attribute_value(answer)
            .map_err(|e| StoreError::backend("failed to encode an answer", e))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(idempotency_key(key)))
            .update_expression("SET #record.#answer = :answer, #answered = :yes")
            .condition_expression("#fingerprint = :fingerprint AND #answered = :no")
            .expression_attribute_names("#record", k::RECORD)
            .expression_attribute_names("#answer", k::ANSWER)
            .expression_attribute_names("#answered", k::ANSWERED)
            .expression_attribute_names("#fingerprint", k::FINGERPRINT)
            .expression_attribute_values(":answer", answer)
            .expression_attribute_values(":yes", AttributeValue::Bool(true))
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .expression_attribute_values(":fingerprint", s(fingerprint))
            .send()
            .await
            .map(|_| ())
            .map_err(refused("failed to record an answer"))
    }

    async fn release_key(&self, key: &IdempotencyKey, fingerprint: &str) -> Result<(), StoreError> {
        use items::key_attributes as k;
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(idempotency_key(key)))
            .condition_expression("#fingerprint = :fingerprint AND #answered = :no")
            .expression_attribute_names("#answered", k::ANSWERED)
            .expression_attribute_names("#fingerprint", k::FINGERPRINT)
            .expression_attribute_values(":no", AttributeValue::Bool(false))
            .expression_attribute_values(":fingerprint", s(fingerprint))
            .send()
            .await
            .map(|_| ())
            .map_err(refused("failed to release an idempotency key"))
    }
}
