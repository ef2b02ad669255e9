//! Workgroups, people and memberships in the SQLite database (the [`People`] port).

use domain::{role::Role, store::People};

use super::*;

impl People for EmbeddedStore {
    async fn create_workgroup(
        &self,
        workgroup: &Workgroup,
        founder: &Agent,
        new_person: Option<&Person>,
    ) -> Result<(), StoreError> {
        let id = workgroup.id.as_str().to_owned();
        let name = workgroup.name.as_str().to_owned();
        let data = encode(workgroup)?;
        let membership = MembershipRow::of(&workgroup.id, founder)?;
        let person = new_person.map(PersonRow::of).transpose()?;
        self.write(move |tx| {
            let inserted = cached_execute(
                tx,
                "INSERT INTO workgroups (id, name, data) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                params![id, name, data],
            )
            .map_err(db("failed to insert a workgroup"))?;
            if inserted == 0 {
                return Err(StoreError::Conflict);
            }
            membership.insert(tx)?;
            person.map_or(Ok(()), |person| person.insert(tx))
        })
        .await
    }

    async fn person(&self, email: &EmailAddress) -> Result<Option<Person>, StoreError> {
        let email = email.as_str().to_owned();
        self.read(move |tx| {
            select_one(
                tx,
                "SELECT data FROM persons WHERE email = ?1",
                [email],
                "failed to read a person",
            )
        })
        .await
    }

    async fn bind_sign_in(&self, email: &EmailAddress, sign_in: &SignIn) -> Result<(), StoreError> {
        let email = email.as_str().to_owned();
        let sign_in = sign_in.clone();
        self.write(move |tx| {
            let person: Option<Person> = select_one(
                tx,
                "SELECT data FROM persons WHERE email = ?1",
                [&email],
                "failed to read a person",
            )?;
            let Some(person) = person.filter(|person| person.sign_in.is_none()) else {
                return Err(StoreError::Conflict);
            };
            let bound = Person {
                sign_in: Some(sign_in),
                ..person
            };
            cached_execute(
                tx,
                "UPDATE persons SET data = ?1 WHERE email = ?2",
                params![encode(&bound)?, email],
            )
            .map_err(db("failed to bind a person to a sign-in"))?;
            Ok(())
        })
        .await
    }

    async fn membership(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> Result<Option<Membership>, StoreError> {
        let workgroup = workgroup.as_str().to_owned();
        let email = email.as_str().to_owned();
        self.read(move |tx| {
            let row: Option<(String, String)> = cached_row(
                tx,
                "SELECT w.data, m.data FROM memberships AS m
                     JOIN workgroups AS w ON w.id = m.workgroup_id
                     WHERE m.workgroup_id = ?1 AND m.email = ?2",
                [workgroup, email],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()
            .map_err(db("failed to read a membership"))?;
            row.map(|(workgroup, agent)| membership_from(&workgroup, &agent))
                .transpose()
        })
        .await
    }

    async fn memberships_of(&self, email: &EmailAddress) -> Result<Vec<Membership>, StoreError> {
        let email = email.as_str().to_owned();
        self.read(move |tx| {
            let context = "failed to list memberships";
            let mut statement = tx
                .prepare_cached(
                    "SELECT w.data, m.data FROM memberships AS m
                     JOIN workgroups AS w ON w.id = m.workgroup_id
                     WHERE m.email = ?1
                     ORDER BY w.name, w.id",
                )
                .map_err(db(context))?;
            let rows = statement
                .query_map([email], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(db(context))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db(context))?;
            rows.iter()
                .map(|(workgroup, agent)| membership_from(workgroup, agent))
                .collect()
        })
        .await
    }

    async fn change_role(
        &self,
        membership: &Membership,
        to: Role,
        keeps: Option<&Agent>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let changed = MembershipRow::of(
            &membership.workgroup.id,
            &Agent {
                role: to,
                ..membership.agent.clone()
            },
        )?;
        let role = membership.agent.role.as_str();
        let keeps = keeps.map(|agent| (agent.email.as_str().to_owned(), agent.role.as_str()));
        let event = EventRow::of(event)?;
        self.write(move |tx| {
            still_holds(tx, &changed.workgroup_id, keeps)?;
            let updated = cached_execute(
                tx,
                "UPDATE memberships SET role = ?1, data = ?2
                     WHERE workgroup_id = ?3 AND email = ?4 AND role = ?5",
                params![
                    changed.role,
                    changed.data,
                    changed.workgroup_id,
                    changed.email,
                    role
                ],
            )
            .map_err(db("failed to change a role"))?;
            if updated == 0 {
                return Err(StoreError::Conflict);
            }
            event.insert(tx)
        })
        .await
    }

    async fn remove_agent(
        &self,
        membership: &Membership,
        keeps: Option<&Agent>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let workgroup = membership.workgroup.id.as_str().to_owned();
        let email = membership.agent.email.as_str().to_owned();
        let role = membership.agent.role.as_str();
        let keeps = keeps.map(|agent| (agent.email.as_str().to_owned(), agent.role.as_str()));
        let event = EventRow::of(event)?;
        self.write(move |tx| {
            still_holds(tx, &workgroup, keeps)?;
            let removed = cached_execute(
                tx,
                "DELETE FROM memberships WHERE workgroup_id = ?1 AND email = ?2 AND role = ?3",
                params![workgroup, email, role],
            )
            .map_err(db("failed to remove an agent"))?;
            if removed == 0 {
                return Err(StoreError::Conflict);
            }
            event.insert(tx)
        })
        .await
    }

    async fn agents(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> Result<Page<Agent>, StoreError> {
        let workgroup = workgroup.as_str().to_owned();
        let after = page
            .after
            .as_deref()
            .map(parse_agent_position)
            .transpose()?
            .map(String::from);
        let limit = fetch_limit(&page);
        self.read(move |tx| {
            let context = "failed to list agents";
            let mut statement = tx
                .prepare_cached(
                    "SELECT email, data FROM memberships
                     WHERE workgroup_id = ?1 AND (?2 IS NULL OR email > ?2)
                     ORDER BY email
                     LIMIT ?3",
                )
                .map_err(db(context))?;
            let rows = statement
                .query_map(params![workgroup, after, limit], |row| {
                    Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?))
                })
                .map_err(db(context))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(db(context))?;
            let rows = rows
                .into_iter()
                .map(|(email, data)| Ok((decode(&data)?, email)))
                .collect::<Result<Vec<(Agent, String)>, StoreError>>()?;
            let (items, next) = paged(rows, &page);
            Ok(Page { items, next })
        })
        .await
    }
}

/// Conflict unless the membership of `keeps` (an address and a role) still has that role:
/// read inside the write transaction, which holds the file's write lock, so it cannot change
/// before the transaction ends.
fn still_holds(
    tx: &Transaction<'_>,
    workgroup: &str,
    keeps: Option<(String, &'static str)>,
) -> Result<(), StoreError> {
    let Some((email, role)) = keeps else {
        return Ok(());
    };
    let holds = cached_row(
        tx,
        "SELECT 1 FROM memberships WHERE workgroup_id = ?1 AND email = ?2 AND role = ?3",
        params![workgroup, email, role],
        |_| Ok(()),
    )
    .optional()
    .map_err(db("failed to read a membership"))?;
    holds.ok_or(StoreError::Conflict)
}
