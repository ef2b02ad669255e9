//! Workgroups, people and memberships in the DynamoDB table (the [`People`] port).

use domain::{role::Role, store::People};

use super::*;

impl People for DynamoStore {
    async fn create_workgroup(
        &self,
        workgroup: &Workgroup,
        founder: &Agent,
        new_person: Option<&Person>,
    ) -> Result<(), StoreError> {
        let mut items = vec![
            put_new(&self.table, to_item(&WorkgroupItem::of(workgroup))?)?,
            put_new(
                &self.table,
                to_item(&MembershipItem::of(workgroup, founder))?,
            )?,
        ];
        if let Some(person) = new_person {
            items.push(put_new(&self.table, to_item(&PersonItem::of(person))?)?);
        }
        self.transact(items, "failed to create a workgroup").await
    }

    async fn person(&self, email: &EmailAddress) -> Result<Option<Person>, StoreError> {
        let item: Option<PersonItem> = self
            .get(key(keys::person(email), keys::PERSON.to_owned()))
            .await?;
        Ok(item.map(PersonItem::into_person))
    }

    async fn bind_sign_in(&self, email: &EmailAddress, sign_in: &SignIn) -> Result<(), StoreError> {
        use items::person_attributes as p;
        let sign_in = serde_dynamo::to_attribute_value(sign_in)
            .map_err(|e| StoreError::backend("failed to encode a sign-in", e))?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(keys::person(email), keys::PERSON.to_owned())))
            .update_expression("SET #person.#sign_in = :sign_in")
            .condition_expression(
                "attribute_exists(#pk) AND attribute_not_exists(#person.#sign_in)",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#person", p::PERSON)
            .expression_attribute_names("#sign_in", p::SIGN_IN)
            .expression_attribute_values(":sign_in", sign_in)
            .send()
            .await
            .map(|_| ())
            .map_err(refused("failed to bind a person to a sign-in"))
    }

    async fn change_role(
        &self,
        membership: &Membership,
        to: Role,
        keeps: Option<&Agent>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let changed = Agent {
            role: to,
            ..membership.agent.clone()
        };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&MembershipItem::of(
                &membership.workgroup,
                &changed,
            ))?))
            .condition_expression(HOLDS_ROLE)
            .expression_attribute_names("#agent", AGENT)
            .expression_attribute_names("#role", ROLE)
            .expression_attribute_values(":role", s(membership.agent.role.as_str()));
        let write = TransactWriteItem::builder()
            .put(built(put.build())?)
            .build();
        self.write_guarded(write, membership, keeps, event, "failed to change a role")
            .await
    }

    async fn remove_agent(
        &self,
        membership: &Membership,
        keeps: Option<&Agent>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::workgroup(&membership.workgroup.id),
                keys::agent(&membership.agent.email),
            )))
            .condition_expression(HOLDS_ROLE)
            .expression_attribute_names("#agent", AGENT)
            .expression_attribute_names("#role", ROLE)
            .expression_attribute_values(":role", s(membership.agent.role.as_str()));
        let write = TransactWriteItem::builder()
            .delete(built(delete.build())?)
            .build();
        self.write_guarded(write, membership, keeps, event, "failed to remove an agent")
            .await
    }

    async fn membership(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> Result<Option<Membership>, StoreError> {
        let item: Option<MembershipItem> = self
            .get(key(keys::workgroup(workgroup), keys::agent(email)))
            .await?;
        Ok(item.map(MembershipItem::into_membership))
    }

    async fn memberships_of(&self, email: &EmailAddress) -> Result<Vec<Membership>, StoreError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(BY_PERSON.name)
            .key_condition_expression("#person = :person")
            .expression_attribute_names("#person", BY_PERSON.partition)
            .expression_attribute_values(":person", s(keys::person(email)));
        self.every_item(query, "failed to query memberships")
            .await?
            .into_iter()
            .map(|item| from_item::<MembershipItem>(item).map(MembershipItem::into_membership))
            .collect()
    }

    async fn agents(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> Result<Page<Agent>, StoreError> {
        let pk = keys::workgroup(workgroup);
        let start = match &page.after {
            Some(after) => {
                let email = keys::parse_agent_position(after)?;
                Some(key(pk.clone(), keys::agent(&email)))
            }
            None => None,
        };
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND begins_with(#sk, :agent)")
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_names("#sk", SORT_KEY)
            .expression_attribute_values(":pk", s(pk))
            .expression_attribute_values(":agent", s(keys::AGENT_PREFIX))
            .consistent_read(true);
        let (items, more) = self
            .page_of(query, start, page.limit.max(1), "failed to query agents")
            .await?;
        let agents = items
            .into_iter()
            .map(|item| from_item::<MembershipItem>(item).map(MembershipItem::into_agent))
            .collect::<Result<Vec<_>, _>>()?;
        let next = agents
            .last()
            .filter(|_| more)
            .map(|last| keys::agent_position(&last.email));
        Ok(Page {
            items: agents,
            next,
        })
    }
}

/// The condition that a membership item still has the role `:role`.
const HOLDS_ROLE: &str = "#agent.#role = :role";
/// The agent copied into a membership item, and its role.
const AGENT: &str = "agent";
const ROLE: &str = "role";

impl DynamoStore {
    /// Writes `write` to `membership` in one transaction with the witness's check and the
    /// audit event: a change to an agent and its record land together or not at all.
    async fn write_guarded(
        &self,
        write: TransactWriteItem,
        membership: &Membership,
        keeps: Option<&Agent>,
        event: &Event,
        failure: &'static str,
    ) -> Result<(), StoreError> {
        let mut items = vec![write];
        items.extend(self.still_holds(&membership.workgroup.id, keeps)?);
        items.push(put_event(&self.table, event)?);
        self.transact(items, failure).await
    }

    /// The ConditionCheck that `keeps`'s membership of the workgroup still has its role.
    fn still_holds(
        &self,
        workgroup: &WorkgroupId,
        keeps: Option<&Agent>,
    ) -> Result<Option<TransactWriteItem>, StoreError> {
        let Some(agent) = keeps else {
            return Ok(None);
        };
        let check = ConditionCheck::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                keys::workgroup(workgroup),
                keys::agent(&agent.email),
            )))
            .condition_expression(HOLDS_ROLE)
            .expression_attribute_names("#agent", AGENT)
            .expression_attribute_names("#role", ROLE)
            .expression_attribute_values(":role", s(agent.role.as_str()))
            .build();
        Ok(Some(
            TransactWriteItem::builder()
                .condition_check(built(check)?)
                .build(),
        ))
    }
}
