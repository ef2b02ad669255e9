//! Invitations in the SQLite database (the [`Invitations`] port).

use domain::store::Invitations;

use super::*;

/// The version the stored invitation must still have for `next` to replace it.
fn previous_version(next: &Invitation) -> Result<i64, StoreError> {
    let previous = next.version.checked_sub(1).ok_or(StoreError::Conflict)?;
    stored_version(previous)
}

/// Replaces the stored row with `row` if it is still at version `previous`; else Conflict.
fn update_unchanged(
    tx: &Transaction<'_>,
    row: &InvitationRow,
    previous: i64,
) -> Result<(), StoreError> {
    let updated = cached_execute(
        tx,
        "UPDATE invitations
             SET status = ?1, sent_at = ?2, expires_at = ?3, token_hash = ?4,
                 version = ?5, data = ?6
             WHERE id = ?7 AND workgroup_id = ?8 AND email = ?9 AND version = ?10",
        params![
            row.status,
            row.sent_at,
            row.expires_at,
            row.token_hash,
            row.version,
            row.data,
            row.id,
            row.workgroup_id,
            row.email,
            previous,
        ],
    )
    .map_err(db("failed to update an invitation"))?;
    if updated == 0 {
        return Err(StoreError::Conflict);
    }
    Ok(())
}

/// A page of a workgroup's live invitations, newest sent first.
pub(super) const LIST_INVITATIONS: &str = "SELECT sent_at, id, data FROM invitations
     WHERE workgroup_id = ?1
       AND expires_at > ?2
       AND (?3 IS NULL OR status = ?3)
       AND (?4 IS NULL OR (sent_at, id) < (?4, ?5))
     ORDER BY sent_at DESC, id DESC
     LIMIT ?6";

/// A page of an address's live pending invitations in every workgroup, newest sent first
/// (`invitations_by_invitee`, which holds pending rows only).
pub(super) const LIST_INVITATIONS_TO: &str = "SELECT sent_at, id, data FROM invitations
     WHERE email = ?1 AND status = 'pending'
       AND expires_at > ?2
       AND (?3 IS NULL OR (sent_at, id) < (?3, ?4))
     ORDER BY sent_at DESC, id DESC
     LIMIT ?5";

impl Invitations for EmbeddedStore {
    async fn invitation_with_id(
        &self,
        id: &InvitationId,
    ) -> Result<Option<Invitation>, StoreError> {
        let id = id.as_str().to_owned();
        self.read(move |tx| {
            select_one(
                tx,
                "SELECT data FROM invitations WHERE id = ?1",
                [id],
                "failed to read an invitation",
            )
        })
        .await
    }

    async fn invitations_to(
        &self,
        email: &EmailAddress,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let email = email.as_str().to_owned();
        let now = now.timestamp();
        let (after_sent, after_id) = match page.after.as_deref().map(parse_invitation_position) {
            Some(position) => {
                let (sent_at, id) = position?;
                (Some(sent_at), Some(id.as_str().to_owned()))
            }
            None => (None, None),
        };
        let limit = fetch_limit(&page);
        self.read(move |tx| {
            let context = "failed to list an address's invitations";
            let mut statement = tx
                .prepare_cached(LIST_INVITATIONS_TO)
                .map_err(db(context))?;
            let rows = timed_rows(
                &mut statement,
                params![email, now, after_sent, after_id, limit],
                context,
            )?;
            let (items, next) = paged(rows, &page);
            Ok(Page { items, next })
        })
        .await
    }

    async fn invitation(
        &self,
        workgroup: &WorkgroupId,
        id: &InvitationId,
    ) -> Result<Option<Invitation>, StoreError> {
        let workgroup = workgroup.as_str().to_owned();
        let id = id.as_str().to_owned();
        self.read(move |tx| {
            select_one(
                tx,
                "SELECT data FROM invitations WHERE id = ?1 AND workgroup_id = ?2",
                [id, workgroup],
                "failed to read an invitation",
            )
        })
        .await
    }

    async fn invitation_for(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> Result<Option<Invitation>, StoreError> {
        let workgroup = workgroup.as_str().to_owned();
        let email = email.as_str().to_owned();
        self.read(move |tx| {
            select_one(
                tx,
                "SELECT data FROM invitations WHERE workgroup_id = ?1 AND email = ?2",
                [workgroup, email],
                "failed to read an invitation",
            )
        })
        .await
    }

    async fn invitation_by_token(
        &self,
        hash: &TokenHash,
    ) -> Result<Option<Invitation>, StoreError> {
        let hash = hash.as_str().to_owned();
        self.read(move |tx| {
            select_one(
                tx,
                "SELECT data FROM invitations WHERE token_hash = ?1",
                [hash],
                "failed to find an invitation by its token",
            )
        })
        .await
    }

    async fn invitations(
        &self,
        workgroup: &WorkgroupId,
        status: Option<Status>,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let workgroup = workgroup.as_str().to_owned();
        let status = status.map(Status::as_str);
        let now = now.timestamp();
        let after = page
            .after
            .as_deref()
            .map(parse_invitation_position)
            .transpose()?;
        let (after_sent, after_id) = after.map_or((None, None), |(sent_at, id)| {
            (Some(sent_at), Some(id.as_str().to_owned()))
        });
        let limit = fetch_limit(&page);
        self.read(move |tx| {
            let context = "failed to list invitations";
            let mut statement = tx.prepare_cached(LIST_INVITATIONS).map_err(db(context))?;
            let rows = timed_rows(
                &mut statement,
                params![workgroup, now, status, after_sent, after_id, limit],
                context,
            )?;
            let (items, next) = paged(rows, &page);
            Ok(Page { items, next })
        })
        .await
    }

    async fn insert_invitation(
        &self,
        invitation: &Invitation,
        now: Timestamp,
        event: &Event,
    ) -> Result<Inserted, StoreError> {
        let row = InvitationRow::of(invitation)?;
        let event = EventRow::of(event)?;
        let moment = now;
        let now = now.timestamp();
        self.write(move |tx| {
            let agent = cached_row(
                tx,
                "SELECT 1 FROM memberships WHERE workgroup_id = ?1 AND email = ?2",
                [&row.workgroup_id, &row.email],
                |_| Ok(()),
            )
            .optional()
            .map_err(db("failed to read a membership"))?;
            if agent.is_some() {
                return Ok(Inserted::AlreadyAgent);
            }
            let existing: Option<(String, i64, String)> = cached_row(
                tx,
                "SELECT id, expires_at, data FROM invitations
                     WHERE workgroup_id = ?1 AND email = ?2",
                [&row.workgroup_id, &row.email],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(db("failed to read an invitation"))?;
            if let Some((id, expires_at, data)) = existing {
                let existing: Invitation = decode(&data)?;
                if expires_at > now || existing.lapse_due(moment) {
                    return Ok(Inserted::Exists(Box::new(existing)));
                }
                cached_execute(tx, "DELETE FROM invitations WHERE id = ?1", [id])
                    .map_err(db("failed to delete an expired invitation"))?;
            }
            row.insert(tx)?;
            event.insert(tx)?;
            Ok(Inserted::Created)
        })
        .await
    }

    async fn update_invitation(
        &self,
        next: &Invitation,
        event: Option<&Event>,
    ) -> Result<(), StoreError> {
        let row = InvitationRow::of(next)?;
        let event = event.map(EventRow::of).transpose()?;
        let previous = previous_version(next)?;
        self.write(move |tx| {
            update_unchanged(tx, &row, previous)?;
            event.map_or(Ok(()), |event| event.insert(tx))
        })
        .await
    }

    async fn renew_freeing_place(
        &self,
        next: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        let row = InvitationRow::of(next)?;
        let event = EventRow::of(event)?;
        let previous = previous_version(next)?;
        self.write(move |tx| {
            let freed = cached_execute(
                tx,
                "UPDATE pending_counts SET pending = pending - 1
                     WHERE workgroup_id = ?1 AND pending >= 1",
                [&row.workgroup_id],
            )
            .map_err(db("failed to free a pending place"))?;
            // The count never goes below zero: refused whole, as DynamoDB refuses it.
            if freed == 0 {
                return Err(StoreError::Conflict);
            }
            update_unchanged(tx, &row, previous)?;
            event.insert(tx)
        })
        .await
    }

    async fn record_delivery(
        &self,
        invitation: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        let delivered = invitation.clone();
        let event = EventRow::of(event)?;
        self.write(move |tx| {
            let stored: Option<Invitation> = select_one(
                tx,
                "SELECT data FROM invitations WHERE id = ?1 AND workgroup_id = ?2",
                [delivered.id.as_str(), delivered.workgroup.id.as_str()],
                "failed to read an invitation",
            )?;
            let Some(stored) = stored.filter(|stored| stored.nonce == delivered.nonce) else {
                return Err(StoreError::Conflict);
            };
            let data = encode(&stored.with_delivery_of(&delivered))?;
            cached_execute(
                tx,
                "UPDATE invitations SET data = ?1 WHERE id = ?2",
                params![data, delivered.id.as_str()],
            )
            .map_err(db("failed to record a delivery"))?;
            event.insert(tx)
        })
        .await
    }

    async fn delete_invitation(
        &self,
        invitation: &Invitation,
        event: &Event,
    ) -> Result<(), StoreError> {
        let row = InvitationRow::of(invitation)?;
        let event = EventRow::of(event)?;
        self.write(move |tx| {
            delete_unchanged(tx, &row)?;
            event.insert(tx)
        })
        .await
    }

    async fn accept_invitation(
        &self,
        invitation: &Invitation,
        agent: &Agent,
        new_person: Option<&Person>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let row = InvitationRow::of(invitation)?;
        let membership = MembershipRow::of(&invitation.workgroup.id, agent)?;
        let person = new_person.map(PersonRow::of).transpose()?;
        let event = EventRow::of(event)?;
        self.write(move |tx| {
            delete_unchanged(tx, &row)?;
            membership.insert(tx)?;
            if let Some(person) = person {
                person.insert(tx)?;
            }
            event.insert(tx)
        })
        .await
    }

    async fn pending_expiring(
        &self,
        after: Timestamp,
        until: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let (after, until) = (after.timestamp(), until.timestamp());
        let (from, from_id) = match &page.after {
            Some(position) => {
                parse_invitation_position(position).map(|(at, id)| (at, id.as_str().to_owned()))?
            }
            // Whole seconds: after `after` is from the next second on, any id.
            None => (after + 1, String::new()),
        };
        let limit = fetch_limit(&page);
        self.read(move |tx| {
            // The position is the only lower bound, so each page starts where the last ended
            // instead of scanning the window from its start.
            let mut statement = tx
                .prepare_cached(
                    "SELECT expires_at, id, data FROM invitations
                     WHERE (expires_at, id) > (?1, ?2) AND expires_at <= ?3
                       AND status = 'pending'
                       AND COALESCE(json_extract(data, '$.expiry_recorded'), 0) = 0
                     ORDER BY expires_at, id LIMIT ?4",
                )
                .map_err(db("failed to list invitations expiring soon"))?;
            let rows = timed_rows(
                &mut statement,
                params![from, from_id, until, limit],
                "failed to list invitations expiring soon",
            )?;
            let (items, next) = paged(rows, &page);
            Ok(Page { items, next })
        })
        .await
    }

    async fn deliveries_due(
        &self,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, StoreError> {
        let now = now.timestamp();
        let (from, from_id) = match &page.after {
            Some(position) => {
                parse_invitation_position(position).map(|(at, id)| (at, id.as_str().to_owned()))?
            }
            None => (i64::MIN, String::new()),
        };
        let limit = fetch_limit(&page);
        // The `>=` on its own lets the index start at the position: SQLite does not start a
        // range on an expression index from a row value.
        self.read(move |tx| {
            let mut statement = tx
                .prepare_cached(
                    "SELECT json_extract(data, '$.retry_at') AS retry_at, id, data FROM invitations
                     WHERE json_extract(data, '$.retry_at') IS NOT NULL
                       AND json_extract(data, '$.retry_at') <= ?1
                       AND expires_at > ?1 AND status = 'pending'
                       AND json_extract(data, '$.retry_at') >= ?2
                       AND (json_extract(data, '$.retry_at'), id) > (?2, ?3)
                     ORDER BY json_extract(data, '$.retry_at'), id LIMIT ?4",
                )
                .map_err(db("failed to list emails due for another attempt"))?;
            let rows = timed_rows(
                &mut statement,
                params![now, from, from_id, limit],
                "failed to list emails due for another attempt",
            )?;
            let (items, next) = paged(rows, &page);
            Ok(Page { items, next })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    use super::*;

    #[test]
    fn a_page_reuses_its_compiled_statement_whatever_the_values_bound() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let store = EmbeddedStore::open(&folder.path().join("store.db")).expect("opened");
        let recompiled = store.readers.with_one(|connection| {
            let mut recompiled = 0;
            for (now, limit) in [(1_000, 51), (2_000, 11), (3_000, 2)] {
                let mut statement = connection
                    .prepare_cached(LIST_INVITATIONS)
                    .expect("prepared");
                let rows = statement
                    .query_map(
                        params!["wg", now, None::<&str>, None::<i64>, None::<&str>, limit],
                        |_| Ok(()),
                    )
                    .expect("queried")
                    .count();
                assert_eq!(rows, 0);
                recompiled = statement.get_status(StatementStatus::RePrepare);
            }
            recompiled
        });
        assert_eq!(recompiled, 0, "compiled once, at prepare");
    }

    #[test]
    fn an_invitees_list_reads_their_index_never_the_whole_table() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let store = EmbeddedStore::open(&folder.path().join("store.db")).expect("opened");
        let plan: Vec<String> = store.readers.with_one(|connection| {
            let mut statement = connection
                .prepare(&format!("EXPLAIN QUERY PLAN {LIST_INVITATIONS_TO}"))
                .expect("prepared");
            statement
                .query_map(params!["ann@example.com", 1_000, 900, "inv_x", 51], |row| {
                    row.get::<_, String>(3)
                })
                .expect("explained")
                .map(|step| step.expect("a step"))
                .collect()
        });
        assert!(
            plan.iter()
                .any(|step| step.contains("invitations_by_invitee")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.starts_with("SCAN")),
            "{plan:?}"
        );
    }
}
