//! The `accept` function's use cases, the invitee's side: looking an invitation up by its token,
//! accepting, declining; and the signed-in invitee's own invitations, listed across workgroups
//! and answered by id, under the same rules as by token.

use crate::{
    app::{AccessError, App, Caller, MAX_ATTEMPTS, SignInRefused},
    audit::{Actor, Change, Event},
    clock::Clock,
    delivery::Queue,
    ids::{AgentId, InvitationId},
    invitation::Invitation,
    metrics::{self, Metric},
    people::{Agent, DisplayName, InvalidText, Membership, Person},
    secret::InvitationToken,
    store::{Counters, EventLog, Invitations, People, StoreError},
    usecases::{ListError, ListQuery, Listed, listed, sign_in::IdentifyError},
};

/// What the invitee is joining.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationPreview {
    pub invitation: Invitation,
    /// The invitee has never registered: accepting needs a display name.
    pub registration_needed: bool,
}

/// Unknown, used, cancelled, superseded and expired tokens all answer the same, as does text
/// that is not a token at all (refused where it is parsed, before the use case).
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error(
        "this invitation link is not valid: it may have expired, been used, cancelled or replaced by a newer one"
    )]
    NotFound,
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Debug, thiserror::Error)]
pub enum AcceptError {
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The caller's address is registered to another sign-in; the invitation is unchanged.
    #[error(transparent)]
    SignIn(#[from] SignInRefused),
    /// Signed in as another address than the invited one; the invitation is unchanged.
    #[error(
        "this invitation was sent to another email address; sign in as the invited address to accept it"
    )]
    WrongAddress,
    /// By id: not the caller's, or unknown, expired, cancelled, accepted or declined. One
    /// answer for all, so ids of other people's invitations reveal nothing.
    #[error("invitation not found")]
    NotFound,
    #[error("a display name is required to register")]
    NameRequired,
    #[error("invalid display name: {0}")]
    InvalidName(#[from] InvalidText),
}

impl From<StoreError> for AcceptError {
    fn from(error: StoreError) -> Self {
        Self::Token(TokenError::Store(error))
    }
}

impl From<IdentifyError> for AcceptError {
    fn from(error: IdentifyError) -> Self {
        match error {
            IdentifyError::SignIn(refused) => Self::SignIn(refused),
            IdentifyError::Store(error) => error.into(),
        }
    }
}

impl<S: People + Invitations + EventLog + Counters, Q: Queue, C: Clock> App<S, Q, C> {
    /// The invitation a token opens, while it can still be answered.
    async fn open_invitation(&self, token: &InvitationToken) -> Result<Invitation, TokenError> {
        let now = self.now();
        self.store
            .invitation_by_token(&token.hash())
            .await?
            .filter(|invitation| invitation.is_open(now))
            .ok_or(TokenError::NotFound)
    }

    pub async fn lookup_invitation(
        &self,
        token: &InvitationToken,
    ) -> Result<InvitationPreview, TokenError> {
        let invitation = self.open_invitation(token).await?;
        let registration_needed = self.store.person(&invitation.email).await?.is_none();
        Ok(InvitationPreview {
            invitation,
            registration_needed,
        })
    }

    /// Declines without registering; the token stops working.
    pub async fn decline_invitation(
        &self,
        token: &InvitationToken,
    ) -> Result<Invitation, TokenError> {
        for _ in 0..MAX_ATTEMPTS {
            let invitation = self.open_invitation(token).await?;
            match self.store_decline(&invitation).await {
                Err(StoreError::Conflict) => continue,
                done => return Ok(done?),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// Joins the workgroup. The first acceptance of a person registers them with `name`.
    pub async fn accept_invitation(
        &self,
        caller: &Caller,
        token: &InvitationToken,
        name: Option<&str>,
    ) -> Result<Membership, AcceptError> {
        self.accept_opened(caller, Opening::Token(token), name)
            .await
    }

    /// The caller's live pending invitations in every workgroup, newest send first.
    pub async fn my_invitations(
        &self,
        caller: &Caller,
        query: &ListQuery,
    ) -> Result<Listed<Invitation>, ListError> {
        self.identify(caller).await.map_err(AccessError::from)?;
        let scope = format!("my-invitations:{}", caller.email);
        let page = query.page(&self.key, &scope)?;
        let page = self
            .store
            .invitations_to(&caller.email, self.now(), page)
            .await?;
        Ok(listed(page, &self.key, &scope))
    }

    /// Accepts one of the caller's invitations by its id, as by its token: the signed-in
    /// address proves ownership as the link does.
    pub async fn accept_my_invitation(
        &self,
        caller: &Caller,
        id: &InvitationId,
        name: Option<&str>,
    ) -> Result<Membership, AcceptError> {
        self.accept_opened(caller, Opening::Id(id), name).await
    }

    /// Declines one of the caller's invitations by its id, as by its token.
    pub async fn decline_my_invitation(
        &self,
        caller: &Caller,
        id: &InvitationId,
    ) -> Result<Invitation, AcceptError> {
        self.identify(caller).await?;
        for _ in 0..MAX_ATTEMPTS {
            let invitation = self.open_mine(caller, id).await?;
            match self.store_decline(&invitation).await {
                Err(StoreError::Conflict) => continue,
                done => return Ok(done?),
            }
        }
        Err(StoreError::Conflict.into())
    }

    /// The caller's invitation with `id`, while it can still be answered.
    async fn open_mine(
        &self,
        caller: &Caller,
        id: &InvitationId,
    ) -> Result<Invitation, AcceptError> {
        let now = self.now();
        self.store
            .invitation_with_id(id)
            .await?
            .filter(|invitation| invitation.email == caller.email && invitation.is_open(now))
            .ok_or(AcceptError::NotFound)
    }

    /// The invitation `opening` leads to, and the person the caller is registered as. By id,
    /// the sign-in is checked first: a refused caller learns nothing of which ids are theirs.
    async fn open(
        &self,
        caller: &Caller,
        opening: Opening<'_>,
    ) -> Result<(Invitation, Option<Person>), AcceptError> {
        match opening {
            Opening::Token(token) => {
                let invitation = self.open_invitation(token).await?;
                if invitation.email != caller.email {
                    return Err(AcceptError::WrongAddress);
                }
                Ok((invitation, self.identify(caller).await?))
            }
            Opening::Id(id) => {
                let person = self.identify(caller).await?;
                Ok((self.open_mine(caller, id).await?, person))
            }
        }
    }

    /// Writes the decline of an open invitation with its event, and frees its pending place.
    async fn store_decline(&self, invitation: &Invitation) -> Result<Invitation, StoreError> {
        let now = self.now();
        let declined = invitation.decline(now).map_err(|_| StoreError::Conflict)?;
        let invitee = Actor::Invitee {
            email: invitation.email.clone(),
        };
        let event = Event::of(&declined, Change::Declined, invitee, now);
        self.store
            .update_invitation(&declined, Some(&event))
            .await?;
        metrics::changed(&event.change);
        self.release_pending(&declined.workgroup.id, 1).await;
        Ok(declined)
    }

    /// Joins the workgroup of the invitation `opening` leads to; the first acceptance of a
    /// person registers them with `name`. Both openings write the same conditional
    /// transaction, so a race between them (or with cancel and resend) has one winner.
    async fn accept_opened(
        &self,
        caller: &Caller,
        opening: Opening<'_>,
        name: Option<&str>,
    ) -> Result<Membership, AcceptError> {
        for _ in 0..MAX_ATTEMPTS {
            let (invitation, registered) = self.open(caller, opening).await?;
            let now = self.now();
            let (person, new_person) = match registered {
                Some(person) => (person, None),
                None => {
                    let name = name.ok_or(AcceptError::NameRequired)?;
                    let person = Person {
                        id: AgentId::generate(),
                        email: caller.email.clone(),
                        name: DisplayName::parse(name)?,
                        registered_at: now,
                        sign_in: Some(caller.sign_in.clone()),
                    };
                    (person.clone(), Some(person))
                }
            };
            let agent = Agent::joining(&person, invitation.role, now);
            let event = Event::of(&invitation, Change::Accepted, Actor::from(&agent), now);
            match self
                .store
                .accept_invitation(&invitation, &agent, new_person.as_ref(), &event)
                .await
            {
                Ok(()) => {
                    metrics::changed(&event.change);
                    let waited = (now - invitation.sent_at).num_milliseconds() as f64 / 1000.0;
                    metrics::measure(Metric::TimeToAcceptance, waited);
                    self.release_pending(&invitation.workgroup.id, 1).await;
                    return Ok(Membership {
                        workgroup: invitation.workgroup,
                        agent,
                    });
                }
                Err(StoreError::Conflict) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(StoreError::Conflict.into())
    }
}

/// How an invitee reaches the invitation they answer: the email's token, or its id among the
/// signed-in caller's own.
#[derive(Clone, Copy)]
enum Opening<'a> {
    Token(&'a InvitationToken),
    Id(&'a InvitationId),
}
