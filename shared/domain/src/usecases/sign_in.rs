//! Who the caller is: a registered person is bound to the sign-in (issuer and subject) that
//! registered them, so a token carrying their address under another subject (an external
//! issuer that lets two accounts share an address, or an account deleted and re-created) is
//! not them.

use futures::future::join_all;

use crate::{
    app::{AccessError, App, Caller, MAX_ATTEMPTS, SignInRefused},
    audit::{Actor, Event},
    clock::Clock,
    delivery::Queue,
    people::Person,
    quota::{Counted, QuotaKey},
    store::{Counters, EventLog, People, StoreError},
    usecases::limits::SIGN_IN_REFUSALS_RECORDED_PER_DAY,
};

/// Why the caller could not be identified.
#[derive(Debug, thiserror::Error)]
pub enum IdentifyError {
    #[error(transparent)]
    SignIn(#[from] SignInRefused),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<IdentifyError> for AccessError {
    fn from(error: IdentifyError) -> Self {
        match error {
            IdentifyError::SignIn(refused) => Self::SignIn(refused),
            IdentifyError::Store(error) => Self::Store(error),
        }
    }
}

impl<S: People + EventLog + Counters, Q: Queue, C: Clock> App<S, Q, C> {
    /// The person registered with the caller's address, if any, once the caller is shown to
    /// be them. A person registered before sign-ins were bound is bound now, to this one; a
    /// caller under another issuer or subject is refused, and the refusal recorded. A
    /// read-only deployment binds and records nothing: an unbound person passes, to be bound by
    /// their next request that writes.
    pub(crate) async fn identify(&self, caller: &Caller) -> Result<Option<Person>, IdentifyError> {
        for _ in 0..MAX_ATTEMPTS {
            let Some(person) = self.store.person(&caller.email).await? else {
                return Ok(None);
            };
            match &person.sign_in {
                Some(bound) if *bound == caller.sign_in => return Ok(Some(person)),
                Some(_) => return Err(self.refuse_sign_in(&person, caller).await.into()),
                None if self.settings.read_only => return Ok(Some(person)),
                None => match self
                    .store
                    .bind_sign_in(&person.email, &caller.sign_in)
                    .await
                {
                    Ok(()) => {
                        return Ok(Some(Person {
                            sign_in: Some(caller.sign_in.clone()),
                            ..person
                        }));
                    }
                    // Bound concurrently: read which sign-in won.
                    Err(StoreError::Conflict) => continue,
                    Err(error) => return Err(error.into()),
                },
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// Logs the refusal, and records it in the trail of each of the person's workgroups, a
    /// few times a day at most: whoever holds such a token cannot make the service write
    /// without bound.
    async fn refuse_sign_in(&self, person: &Person, caller: &Caller) -> SignInRefused {
        tracing::warn!(
            person = %person.id,
            issuer = %caller.sign_in.issuer,
            subject = %caller.sign_in.subject,
            "sign-in refused: the address is registered to another sign-in"
        );
        if self.settings.read_only {
            return SignInRefused;
        }
        let now = self.now();
        let key = QuotaKey::today(
            Counted::SignInsRefused {
                person: person.email.clone(),
            },
            now,
        );
        let recorded = async {
            if !self
                .store
                .reserve_quota(&key, 1, SIGN_IN_REFUSALS_RECORDED_PER_DAY)
                .await?
            {
                return Ok(());
            }
            let actor = Actor::SignIn {
                email: caller.email.clone(),
                issuer: caller.sign_in.issuer.clone(),
                subject: caller.sign_in.subject.clone(),
            };
            let memberships = self.store.memberships_of(&person.email).await?;
            let events = memberships.iter().map(|membership| {
                let event = Event::sign_in_refused(
                    &membership.workgroup.id,
                    &membership.agent,
                    actor.clone(),
                    now,
                );
                async move { self.store.record_event(&event).await }
            });
            join_all(events).await.into_iter().collect()
        };
        if let Err(error) = recorded.await as Result<(), StoreError> {
            tracing::warn!(%error, "a refused sign-in was not recorded");
        }
        SignInRefused
    }
}
