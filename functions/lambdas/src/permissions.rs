//! What each function may do on AWS, derived from the store methods and mailer its use cases
//! call. Both templates grant exactly this (a test reads them back); nothing is granted on `*`
//! but CloudWatch Logs, which every function needs.

use aws::dynamo::table::{BY_EXPIRY_DAY, BY_INVITATION_ID, BY_PERSON, BY_RETRY, BY_SEND, BY_TOKEN};

use crate::Function;

/// A function's grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions {
    /// Item actions on the table (a transaction needs the actions of its parts).
    pub item_actions: &'static [&'static str],
    /// Whether it queries the table's own key.
    pub queries_table: bool,
    /// The indexes it queries.
    pub queried_indexes: &'static [&'static str],
    /// `ses:SendEmail`, from the configured sender only.
    pub sends_email: bool,
    /// `secretsmanager:GetSecretValue` on the key.
    pub reads_key: bool,
}

impl Function {
    pub fn permissions(self) -> Permissions {
        let (item_actions, queries_table, queried_indexes): (&[&str], bool, &[&str]) = match self {
            // person, membership: GetItem; create: a transaction of Puts; mine: by_person.
            Function::Workgroups => (
                &["dynamodb:GetItem", "dynamodb:PutItem"],
                false,
                &[BY_PERSON.name],
            ),
            // membership: GetItem; insert: ConditionCheck + Put; renew: Put; delivery: Update;
            // an idempotency key: Put to claim, Update to answer, Delete to release.
            Function::Invite => (
                &[
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                ],
                false,
                &[],
            ),
            // membership: GetItem; agents: the table; invitations: by_send; one: by_invitation_id.
            Function::List => (
                &["dynamodb:GetItem"],
                true,
                &[BY_SEND.name, BY_INVITATION_ID.name],
            ),
            // membership: GetItem; the invitation: by_invitation_id; cancel: Delete;
            // resend: Put, then Update for its delivery.
            Function::Manage => (
                &[
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                ],
                false,
                &[BY_INVITATION_ID.name],
            ),
            // by_token; person: GetItem; decline: Put; accept: a transaction of Delete + Puts.
            Function::Accept => (
                &[
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                ],
                false,
                &[BY_TOKEN.name],
            ),
            // reminders: by_expiry_day, each claim a Put; delivery retries: by_retry, each claim
            // a Put, each outcome an Update.
            Function::Remind => (
                &["dynamodb:PutItem", "dynamodb:UpdateItem"],
                false,
                &[BY_EXPIRY_DAY.name, BY_RETRY.name],
            ),
            // the invitation: by_invitation_id; the report: Update.
            Function::Feedback => (&["dynamodb:UpdateItem"], false, &[BY_INVITATION_ID.name]),
        };
        Permissions {
            item_actions,
            queries_table,
            queried_indexes,
            sends_email: self.sends_email(),
            reads_key: self.runs_app(),
        }
    }
}
