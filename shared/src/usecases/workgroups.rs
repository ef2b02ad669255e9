//! Creating workgroups, listing mine, listing a workgroup's agents.

use super::{ListError, ListQuery, Listed, listed};
use crate::{
    app::{App, Caller, MAX_ATTEMPTS},
    clock::Clock,
    ids::{AgentId, WorkgroupId},
    message::Locale,
    people::{Agent, DisplayName, Membership, Person, Workgroup, WorkgroupName},
    role::{Action, Role},
    store::{Mailer, Store, StoreError},
};

impl<S: Store, M: Mailer, C: Clock> App<S, M, C> {
    /// Creates a workgroup whose first administrator is the caller. A caller who has not
    /// registered yet is registered now, named by their identity provider's `name` claim, or
    /// by their address's local part.
    pub async fn create_workgroup(
        &self,
        caller: &Caller,
        name: WorkgroupName,
        locale: Option<Locale>,
    ) -> Result<Membership, StoreError> {
        let workgroup = Workgroup {
            id: WorkgroupId::generate(),
            name,
            locale: locale.unwrap_or_default(),
        };
        for _ in 0..MAX_ATTEMPTS {
            let now = self.now();
            let (person, new_person) = match self.store.person(&caller.email).await? {
                Some(person) => (person, None),
                None => {
                    let person = Person {
                        id: AgentId::generate(),
                        email: caller.email.clone(),
                        name: self.default_name(caller),
                        registered_at: now,
                    };
                    (person.clone(), Some(person))
                }
            };
            let founder = Agent::joining(&person, Role::Administrator, now);
            match self
                .store
                .create_workgroup(&workgroup, &founder, new_person.as_ref())
                .await
            {
                Ok(()) => {
                    return Ok(Membership {
                        workgroup,
                        agent: founder,
                    });
                }
                Err(StoreError::Conflict) => continue,
                Err(error) => return Err(error),
            }
        }
        Err(StoreError::Conflict)
    }

    fn default_name(&self, caller: &Caller) -> DisplayName {
        caller
            .name
            .as_deref()
            .and_then(|name| DisplayName::parse(name).ok())
            .or_else(|| DisplayName::parse(caller.email.local_part()).ok())
            .unwrap_or_else(|| {
                DisplayName::parse(&caller.email.as_str().chars().take(100).collect::<String>())
                    .expect("an address is never empty")
            })
    }

    /// The caller's workgroups with the caller's role in each.
    pub async fn my_workgroups(&self, caller: &Caller) -> Result<Vec<Membership>, StoreError> {
        self.store.memberships_of(&caller.email).await
    }

    /// The workgroup's agents (the "All" tab).
    pub async fn list_agents(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        query: &ListQuery,
    ) -> Result<Listed<Agent>, ListError> {
        self.authorize(workgroup, caller, Action::ListAgents)
            .await?;
        let scope = format!("agents:{workgroup}");
        let page = query.page(&self.key, &scope)?;
        let page = self.store.agents(workgroup, page).await?;
        Ok(listed(page, &self.key, &scope))
    }
}
