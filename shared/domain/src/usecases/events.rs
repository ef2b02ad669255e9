//! The audit trail, as administrators and managers read it.

use super::{ListError, ListQuery, Listed, listed};
use crate::{
    app::{App, Caller},
    audit::Event,
    clock::Clock,
    delivery::Queue,
    ids::WorkgroupId,
    role::Action,
    store::Store,
};

impl<S: Store, Q: Queue, C: Clock> App<S, Q, C> {
    /// The workgroup's events, newest first, for as long as they are kept.
    pub async fn list_events(
        &self,
        caller: &Caller,
        workgroup: &WorkgroupId,
        query: &ListQuery,
    ) -> Result<Listed<Event>, ListError> {
        self.authorize(workgroup, caller, Action::ViewEvents)
            .await?;
        let scope = format!("events:{workgroup}");
        let page = query.page(&self.key, &scope)?;
        let page = self.store.events(workgroup, page).await?;
        Ok(listed(page, &self.key, &scope))
    }
}
