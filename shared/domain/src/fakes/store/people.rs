//! The in-memory store's workgroups, people and memberships (the [`People`] port).

use super::*;
use crate::{
    people::{Membership, SignIn},
    role::Role,
};

impl Tables {
    /// The key of `membership` if it still has its role, and `keeps` (if any) still has its.
    fn unchanged(
        &self,
        membership: &Membership,
        keeps: Option<&Agent>,
    ) -> Result<(WorkgroupId, EmailAddress), StoreError> {
        let workgroup = &membership.workgroup.id;
        let holds = |agent: &Agent| {
            self.agents
                .get(&(workgroup.clone(), agent.email.clone()))
                .is_some_and(|stored| stored.role == agent.role)
        };
        if holds(&membership.agent) && keeps.is_none_or(holds) {
            Ok((workgroup.clone(), membership.agent.email.clone()))
        } else {
            Err(StoreError::Conflict)
        }
    }
}

impl People for MemoryStore {
    async fn create_workgroup(
        &self,
        workgroup: &Workgroup,
        founder: &Agent,
        new_person: Option<&Person>,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let registered_meanwhile =
            new_person.is_some_and(|person| tables.people.contains_key(&person.email));
        if registered_meanwhile || tables.workgroups.contains_key(&workgroup.id) {
            return Err(StoreError::Conflict);
        }
        if let Some(person) = new_person {
            tables.people.insert(person.email.clone(), person.clone());
        }
        tables
            .workgroups
            .insert(workgroup.id.clone(), workgroup.clone());
        tables.agents.insert(
            (workgroup.id.clone(), founder.email.clone()),
            founder.clone(),
        );
        Ok(())
    }

    async fn person(&self, email: &EmailAddress) -> Result<Option<Person>, StoreError> {
        Ok(self.tables().people.get(email).cloned())
    }

    async fn bind_sign_in(&self, email: &EmailAddress, sign_in: &SignIn) -> Result<(), StoreError> {
        let mut tables = self.tables();
        match tables.people.get_mut(email) {
            Some(person) if person.sign_in.is_none() => {
                person.sign_in = Some(sign_in.clone());
                Ok(())
            }
            _ => Err(StoreError::Conflict),
        }
    }

    async fn membership(
        &self,
        workgroup: &WorkgroupId,
        email: &EmailAddress,
    ) -> Result<Option<Membership>, StoreError> {
        let tables = self.tables();
        let agent = tables.agents.get(&(workgroup.clone(), email.clone()));
        Ok(agent.map(|agent| Membership {
            workgroup: tables.workgroups[workgroup].clone(),
            agent: agent.clone(),
        }))
    }

    async fn memberships_of(&self, email: &EmailAddress) -> Result<Vec<Membership>, StoreError> {
        let tables = self.tables();
        let mut memberships: Vec<Membership> = tables
            .agents
            .iter()
            .filter(|((_, address), _)| address == email)
            .map(|((workgroup, _), agent)| Membership {
                workgroup: tables.workgroups[workgroup].clone(),
                agent: agent.clone(),
            })
            .collect();
        memberships.sort_by(|a, b| a.workgroup.name.as_str().cmp(b.workgroup.name.as_str()));
        Ok(memberships)
    }

    async fn change_role(
        &self,
        membership: &Membership,
        to: Role,
        keeps: Option<&Agent>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let key = tables.unchanged(membership, keeps)?;
        if let Some(agent) = tables.agents.get_mut(&key) {
            agent.role = to;
        }
        tables.events.push(event.clone());
        Ok(())
    }

    async fn remove_agent(
        &self,
        membership: &Membership,
        keeps: Option<&Agent>,
        event: &Event,
    ) -> Result<(), StoreError> {
        let mut tables = self.tables();
        let key = tables.unchanged(membership, keeps)?;
        tables.agents.remove(&key);
        tables.events.push(event.clone());
        Ok(())
    }

    async fn agents(
        &self,
        workgroup: &WorkgroupId,
        page: PageRequest,
    ) -> Result<Page<Agent>, StoreError> {
        let agents = self
            .tables()
            .agents
            .iter()
            .filter(|((id, _), _)| id == workgroup)
            .map(|((_, email), agent)| (email.to_string(), agent.clone()))
            .collect();
        page_of(agents, &page)
    }
}
