//! The `workgroups` function's use cases: creating a workgroup, listing mine.

use super::limits::QuotaError;
use crate::{
    app::{AccessError, App, Caller, MAX_ATTEMPTS},
    clock::Clock,
    delivery::Queue,
    ids::{AgentId, WorkgroupId},
    locale::Locale,
    people::{Agent, DisplayName, Membership, Person, Workgroup, WorkgroupName},
    quota::{Counted, OverQuota, QuotaKey},
    role::Role,
    store::{Counters, EventLog, People, StoreError},
};

/// Why a workgroup was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateWorkgroupError {
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The caller created as many workgroups today as one person may: nothing was created.
    #[error(transparent)]
    OverQuota(#[from] OverQuota),
}

impl From<StoreError> for CreateWorkgroupError {
    fn from(error: StoreError) -> Self {
        Self::Access(error.into())
    }
}

impl From<QuotaError> for CreateWorkgroupError {
    fn from(error: QuotaError) -> Self {
        match error {
            QuotaError::Over(over) => Self::OverQuota(over),
            QuotaError::Store(error) => error.into(),
        }
    }
}

impl<S: People + EventLog + Counters, Q: Queue, C: Clock> App<S, Q, C> {
    /// Creates a workgroup whose first administrator is the caller. A caller who has not
    /// registered yet is registered now, bound to their sign-in, named by their identity
    /// provider's `name` claim, or by their address's local part.
    pub async fn create_workgroup(
        &self,
        caller: &Caller,
        name: WorkgroupName,
        locale: Option<Locale>,
    ) -> Result<Membership, CreateWorkgroupError> {
        let workgroup = Workgroup {
            id: WorkgroupId::generate(),
            name,
            locale: locale.unwrap_or_default(),
        };
        let existing = self.identify(caller).await.map_err(AccessError::from)?;
        let quota = QuotaKey::today(
            Counted::WorkgroupsCreated {
                creator: caller.email.clone(),
            },
            self.now(),
        );
        self.reserve_daily(&[(&quota, 1)]).await?;
        let created = self.create_reserved(caller, &workgroup, existing).await;
        if created.is_err() {
            self.refund_daily(&quota, 1).await;
        }
        Ok(created?)
    }

    async fn create_reserved(
        &self,
        caller: &Caller,
        workgroup: &Workgroup,
        mut existing: Option<Person>,
    ) -> Result<Membership, AccessError> {
        for _ in 0..MAX_ATTEMPTS {
            let now = self.now();
            let (person, new_person) = match existing.take() {
                Some(person) => (person, None),
                None => {
                    let person = Person {
                        id: AgentId::generate(),
                        email: caller.email.clone(),
                        name: self.default_name(caller),
                        registered_at: now,
                        sign_in: Some(caller.sign_in.clone()),
                    };
                    (person.clone(), Some(person))
                }
            };
            let founder = Agent::joining(&person, Role::Administrator, now);
            match self
                .store
                .create_workgroup(workgroup, &founder, new_person.as_ref())
                .await
            {
                Ok(()) => {
                    return Ok(Membership {
                        workgroup: workgroup.clone(),
                        agent: founder,
                    });
                }
                // Registered concurrently (a double click): the next attempt is a member's.
                Err(StoreError::Conflict) => {
                    existing = self.identify(caller).await.map_err(AccessError::from)?;
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict.into())
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
    pub async fn my_workgroups(&self, caller: &Caller) -> Result<Vec<Membership>, AccessError> {
        let (memberships, _person) = futures::try_join!(
            async {
                self.store
                    .memberships_of(&caller.email)
                    .await
                    .map_err(AccessError::from)
            },
            async { self.identify(caller).await.map_err(AccessError::from) },
        )?;
        Ok(memberships)
    }
}
