//! Invitations in the DynamoDB table (the [`Invitations`] port).

use domain::store::Invitations;

use super::*;

impl Invitations for DynamoStore {
    async fn invitation(
        &self,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> Result<Option<Invitation>, StoreError> {
        let found = self
            .invitation_on(BY_INVITATION_ID, keys::invitation(id))
            .await?;
        Ok(found.filter(|i| &i.workgroup.id == workgroup))
    }

    async fn invitation_for(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> Result<Option<Invitation>, StoreError> {
        let item: Option<InvitationItem> = self
            .get(key(keys::workgroup(workgroup), keys::invitee(email)))
            .await?;
        Ok(item.map(InvitationItem::into_invitation))
    }

    async fn invitation_by_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<Invitation>, StoreError> {
        self.invitation_on(BY_TOKEN, keys::token(hash)).await
    }

    async fn invitation_with_id(
        &self,
        id: &InvitationId,
    ) -> Result<Option<Invitation>, StoreError> {
        self.invitation_on(BY_INVITATION_ID, keys::invitation(id))
            .await
    }

    async fn invitations_to(
        &self,
        email: &EmailAddress,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let partition = keys::invitee(email);
        let sort = BY_INVITEE.sort.unwrap_or_default();
        let start = match &page.after {
            Some(after) => {
                let (sent, workgroup) = keys::parse_invitee_position(after)?;
                let mut start = key(keys::workgroup(&workgroup), partition.clone());
                start.insert(BY_INVITEE.partition.to_owned(), s(partition.clone()));
                start.insert(sort.to_owned(), s(sent));
                Some(start)
            }
            None => None,
        };
        // Newest first; the index holds pending invitations only, expired ones until their
        // expiry is recorded: the filter drops those.
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_INVITEE.name)
            .key_condition_expression("#invitee = :invitee")
            .filter_expression("#expires > :now")
            .expression_attribute_names("#invitee", BY_INVITEE.partition)
            .expression_attribute_names("#expires", attr::LIVE_UNTIL)
            .expression_attribute_values(":invitee", s(partition))
            .expression_attribute_values(":now", n(now.timestamp()))
            .scan_index_forward(false);
        let (items, more) = self
            .page_of(
                query,
                start,
                page.limit.max(1),
                "failed to query an address's invitations",
            )
            .await?;
        invitation_page(items, more, |last| {
            keys::invitee_position(last.sent_at, &last.id, &last.workgroup.id)
        })
    }

    async fn invitations(
        &self,
        workgroup: &WorkgroupId,
        status: Option<Status>,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let pk = keys::workgroup(workgroup);
        let sent = BY_SEND.sort.unwrap_or_default();
        let start = match &page.after {
            Some(after) => {
                let (sort, email) = keys::parse_invitation_position(after)?;
                let mut start = key(pk.clone(), keys::invitee(&email));
                start.insert(sent.to_owned(), s(sort));
                Some(start)
            }
            None => None,
        };
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_SEND.name)
            .key_condition_expression("#pk = :pk AND begins_with(#sent, :sent)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#sent", sent)
            .expression_attribute_names("#expires", attr::LIVE_UNTIL)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":sent", s(keys::SENT_PREFIX))
            .expression_attribute_values(":now", n(now.timestamp()))
            .filter_expression(match status {
                None => "#expires > :now",
                Some(_) => "#expires > :now AND #status = :status",
            })
            .scan_index_forward(false)
            .consistent_read(true);
        if let Some(status) = status {
            query = query
                .expression_attribute_names("#status", attr::STATUS)
                .expression_attribute_values(":status", s(status.as_str()));
        }
        let (items, more) = self
            .page_of(
                query,
                start,
                page.limit.max(1),
                "failed to query invitations",
            )
            .await?;
        let invitations = items
            .into_iter()
            .map(|item| from_item::<InvitationItem>(item).map(InvitationItem::into_invitation))
            .collect::<Result<Vec<_>, _>>()?;
        let next = invitations
            .last()
            .filter(|_| more)
            .map(|last| keys::invitation_position(last.sent_at, &last.id, &last.email));
        Ok(Page {
            items: invitations,
            next,
        })
    }

    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        now: Timestamp,
        event: &Event,
    ) -> Result<Inserted, StoreError> {
        let not_an_agent = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::workgroup(&invitation.workgroup.id),
                keys::agent(&invitation.email),
            )))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .build();
        let absent_or_expired = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&InvitationItem::of(invitation))?))
            // An expired invitation is replaced once out of `by_expiry_day` (declined, or its
            // expiry recorded): a pending one still there must have its expiry recorded first.
            .condition_expression(
                "attribute_not_exists(#pk) OR (#expires <= :now AND attribute_not_exists(#awaited))",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#expires", attr::LIVE_UNTIL)
            .expression_attribute_names("#awaited", BY_EXPIRY_DAY.partition)
            .expression_attribute_values(":now", n(now.timestamp()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build();
        let items = vec![
            TransactWriteItem::builder()
                .condition_check(built(not_an_agent)?)
                .build(),
            TransactWriteItem::builder()
                .put(built(absent_or_expired)?)
                .build(),
            put_event(&self.table, event)?,
        ];
        let error = match self
            .client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
        {
            Ok(_) => return Ok(Inserted::Created),
            Err(error) => error,
        };
        let reasons = cancellation(error, "failed to insert an invitation")?;
        if condition_failed(reasons.first()) {
            return Ok(Inserted::AlreadyAgent);
        }
        if !condition_failed(reasons.get(1)) {
            // A concurrent transaction on one of the items: nothing was written.
            return Err(StoreError::Conflict);
        }
        let old = match reasons.get(1).and_then(|r| r.item.clone()) {
            Some(old) => Some(from_item::<InvitationItem>(old)?),
            // DynamoDB returns the item that failed the condition; should it not, read it.
            None => self.get(invitation_key(invitation)).await?,
        };
        // Gone since (cancelled, accepted): the caller may try again.
        let old = old.ok_or(StoreError::Conflict)?;
        Ok(Inserted::Exists(Box::new(old.into_invitation())))
    }

    async fn update_invitation(
        &self,
        next: &Invitation,
        event: Option<&Event>,
    ) -> Result<(), StoreError> {
        let put = self.put_unchanged(next)?;
        let Some(event) = event else {
            return self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(put.item))
                .set_condition_expression(put.condition_expression)
                .set_expression_attribute_names(put.expression_attribute_names)
                .set_expression_attribute_values(put.expression_attribute_values)
                .send()
                .await
                .map(|_| ())
                .map_err(refused("failed to update an invitation"));
        };
        let items = vec![
            TransactWriteItem::builder().put(put).build(),
            put_event(&self.table, event)?,
        ];
        self.transact(items, "failed to update an invitation").await
    }

    async fn renew_freeing_place(
        &self,
        next: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        // The count never goes below zero: a count drifted low refuses the whole write (a
        // conflict), and the use case renews without it.
        let free_place = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::pending(&next.workgroup.id),
                keys::PENDING.to_owned(),
            )))
            .update_expression("SET #count = #count - :one")
            .condition_expression("#count >= :one")
            .expression_attribute_names("#count", COUNT)
            .expression_attribute_values(":one", n(1))
            .build();
        let items = vec![
            TransactWriteItem::builder()
                .put(self.put_unchanged(next)?)
                .build(),
            put_event(&self.table, event)?,
            TransactWriteItem::builder()
                .update(built(free_place)?)
                .build(),
        ];
        self.transact(items, "failed to renew an invitation").await
    }

    async fn record_delivery(
        &self,
        invitation: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        let value = |v: serde_json::Value| {
            serde_dynamo::to_attribute_value(v)
                .map_err(|e| StoreError::backend("failed to encode a delivery", e))
        };
        let encoded = serde_json::to_value(invitation)
            .map_err(|e| StoreError::backend("failed to encode a delivery", e))?;
        // The sparse `by_retry` keys follow `retry_at`: set while an attempt is due, else gone.
        let retry_keys = InvitationItem::retry_keys(invitation);
        let index_update = if retry_keys.is_some() {
            ", #gsi5pk = :gsi5pk, #gsi5sk = :gsi5sk"
        } else {
            " REMOVE #gsi5pk, #gsi5sk"
        };
        let expression = format!(
            "SET #invitation.#delivery = :delivery, #invitation.#attempts = :attempts, \
             #invitation.#retry_at = :retry_at, #invitation.#sending_until = :sending_until\
             {index_update}"
        );
        let mut update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(invitation_key(invitation)))
            .update_expression(expression)
            .condition_expression("#nonce = :nonce")
            .expression_attribute_names("#invitation", attr::INVITATION)
            .expression_attribute_names("#delivery", attr::DELIVERY)
            .expression_attribute_names("#attempts", attr::DELIVERY_ATTEMPTS)
            .expression_attribute_names("#retry_at", attr::RETRY_AT)
            .expression_attribute_names("#sending_until", attr::SENDING_UNTIL)
            .expression_attribute_names("#gsi5pk", BY_RETRY.partition)
            .expression_attribute_names("#gsi5sk", BY_RETRY.sort.unwrap_or_default())
            .expression_attribute_names("#nonce", attr::NONCE)
            .expression_attribute_values(":delivery", value(encoded["delivery"].clone())?)
            .expression_attribute_values(":attempts", value(encoded["delivery_attempts"].clone())?)
            .expression_attribute_values(":retry_at", value(encoded["retry_at"].clone())?)
            .expression_attribute_values(":sending_until", value(encoded["sending_until"].clone())?)
            .expression_attribute_values(":nonce", s(String::from(invitation.nonce.clone())));
        if let Some((partition, sort)) = retry_keys {
            update = update
                .expression_attribute_values(":gsi5pk", s(partition))
                .expression_attribute_values(":gsi5sk", s(sort));
        }
        let items = vec![
            TransactWriteItem::builder()
                .update(built(update.build())?)
                .build(),
            put_event(&self.table, event)?,
        ];
        self.transact(items, "failed to record a delivery").await
    }

    async fn delete_invitation(
        &self,
        invitation: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        let items = vec![
            TransactWriteItem::builder()
                .delete(delete_unchanged(&self.table, invitation)?)
                .build(),
            put_event(&self.table, event)?,
        ];
        self.transact(items, "failed to delete an invitation").await
    }

    async fn accept_invitation(
        &self,
        invitation: &Invitation,
        agent: &Agent,
        new_person: Option<&Person>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut items = vec![
            TransactWriteItem::builder()
                .delete(delete_unchanged(&self.table, invitation)?)
                .build(),
            put_new(
                &self.table,
                to_item(&MembershipItem::of(&invitation.workgroup, agent))?,
            )?,
            put_event(&self.table, event)?,
        ];
        if let Some(person) = new_person {
            items.push(put_new(&self.table, to_item(&PersonItem::of(person))?)?);
        }
        self.transact(items, "failed to accept an invitation").await
    }

    async fn pending_expiring(
        &self,
        after: Timestamp,
        until: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let first = after + chrono::TimeDelta::seconds(1);
        if until < first {
            return Ok(Page {
                items: Vec::new(),
                next: None,
            });
        }
        // Sort keys are `<second>#<id>`: after the position, or from the first second in (a
        // bare second sorts before every key of that second), up to the second after `until`
        // out.
        let start = match &page.after {
            Some(position) => keys::parse_second_position(position)?,
            None => keys::second(first),
        };
        let to = keys::second(until + chrono::TimeDelta::seconds(1));
        let start_day = keys::day_of_second(&start)?.max(first.date_naive());
        let limit = page.limit.max(1);
        let mut found = Vec::new();
        let mut more = false;
        for day in start_day
            .iter_days()
            .take_while(|day| *day <= until.date_naive())
        {
            let (items, more_today) = self
                .expiring_on(day, &start, &to, limit + 1 - found.len())
                .await?;
            found.extend(items);
            if found.len() > limit || more_today {
                more = true;
                break;
            }
        }
        found.truncate(limit);
        invitation_page(found, more, |invitation| {
            keys::expiry(invitation.expires_at(), &invitation.id)
        })
    }

    async fn deliveries_due(
        &self,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        // A bare second sorts before every key of that second: `<` the next one is `<= now`.
        let mut query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_RETRY.name);
        query = match &page.after {
            Some(position) => query
                .key_condition_expression("#retry = :retry AND #at BETWEEN :start AND :next")
                .expression_attribute_values(
                    ":start",
                    s(keys::just_after(&keys::parse_second_position(position)?)),
                ),
            None => query.key_condition_expression("#retry = :retry AND #at < :next"),
        };
        let query = query
            .filter_expression("#status = :pending AND #expires > :now")
            .expression_attribute_names("#retry", BY_RETRY.partition)
            .expression_attribute_names("#at", BY_RETRY.sort.unwrap_or_default())
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#expires", attr::LIVE_UNTIL)
            .expression_attribute_values(":retry", s(keys::RETRY))
            .expression_attribute_values(
                ":next",
                s(keys::second(now + chrono::TimeDelta::seconds(1))),
            )
            .expression_attribute_values(":pending", s(Status::Pending.as_str()))
            .expression_attribute_values(":now", n(now.timestamp()));
        let (items, more) = self
            .page_of(
                query,
                None,
                page.limit.max(1),
                "failed to query emails due for another attempt",
            )
            .await?;
        invitation_page(items, more, |invitation| {
            let at = invitation.retry_at.unwrap_or(now);
            keys::retry(at, &invitation.id)
        })
    }
}

impl DynamoStore {
    /// The Put of `next` over the stored invitation, on the condition that it is still
    /// `next.version - 1`.
    fn put_unchanged(&self, next: &Invitation) -> Result<Put, StoreError> {
        let previous = next.version.checked_sub(1).ok_or(StoreError::Conflict)?;
        built(
            Put::builder()
                .table_name(&self.table)
                .set_item(Some(to_item(&InvitationItem::of(next))?))
                .condition_expression(
                    "attribute_exists(#pk) AND #version = :previous AND #invitation.#id = :id",
                )
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#version", attr::VERSION)
                .expression_attribute_names("#invitation", attr::INVITATION)
                .expression_attribute_names("#id", attr::ID)
                .expression_attribute_values(":previous", n(previous))
                .expression_attribute_values(":id", s(next.id.as_str()))
                .build(),
        )
    }
}
