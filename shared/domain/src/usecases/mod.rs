//! The use cases, one module per function that runs them and named as it is (`invite` is the
//! `invite` function's), each with its own error enum; `sign_in` and `limits` serve them all.

pub mod accept;
pub mod feedback;
pub mod invite;
pub(crate) mod limits;
pub mod list;
pub mod manage;
pub mod remind;
pub mod send;
pub mod sign_in;
pub mod workgroups;

use crate::{
    app::AccessError,
    secret::{BadCursor, SecretKey},
    store::{Page, PageRequest},
};

/// A page as the API shows it: items and an opaque cursor for the next page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// What a list request asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    pub limit: Option<usize>,
    pub cursor: Option<String>,
}

impl ListQuery {
    pub const DEFAULT_LIMIT: usize = 50;
    pub const MAX_LIMIT: usize = 100;

    /// Turns the query into a store request for `scope`, refusing cursors sealed for another.
    fn page(&self, key: &SecretKey, scope: &str) -> Result<PageRequest, BadList> {
        let limit = self.limit.unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(BadList::Limit);
        }
        let after = self
            .cursor
            .as_deref()
            .map(|cursor| key.open_cursor(scope, cursor))
            .transpose()?;
        Ok(PageRequest { after, limit })
    }
}

fn listed<T>(page: Page<T>, key: &SecretKey, scope: &str) -> Listed<T> {
    Listed {
        items: page.items,
        next_cursor: page.next.map(|position| key.seal_cursor(scope, &position)),
    }
}

/// A list request the API must refuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BadList {
    #[error("limit must be between 1 and 100")]
    Limit,
    #[error(transparent)]
    Cursor(#[from] BadCursor),
}

/// Why a list could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error(transparent)]
    BadRequest(#[from] BadList),
}

impl From<crate::store::StoreError> for ListError {
    fn from(error: crate::store::StoreError) -> Self {
        Self::Access(AccessError::Store(error))
    }
}
