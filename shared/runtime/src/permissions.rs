//! What each function may do on AWS, derived from the storage ports its use cases are bound by
//! (the `impl<S: …>` bounds in `domain::usecases::<name>`), the store methods of those ports
//! they call, and the mailer. A function's table grants never leave its ports' (a test checks
//! both, and that the ports listed here are the use cases' bounds). Both templates grant
//! exactly this (a test reads them back); nothing is granted on `*` but CloudWatch Logs, which
//! every function needs, and the send function's `ses:GetAccount`.

use aws::dynamo::table::{
    BY_EXPIRY_DAY, BY_INVITATION_ID, BY_INVITEE, BY_PERSON, BY_RETRY, BY_SEND, BY_TOKEN,
};
use domain::store::Port;

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
    /// `ses:SendEmail`, from the configured sender only, and `ses:GetAccount` (its send rate,
    /// when none is configured; an account-level read IAM grants only on `*`).
    pub sends_email: bool,
    /// `sqs:SendMessage` on the queue of due emails.
    pub posts_email: bool,
    /// What its event source mapping needs of the queue of due emails: [`QUEUE_ACTIONS`].
    pub reads_queue: bool,
    /// `secretsmanager:GetSecretValue` on the key.
    pub reads_key: bool,
    /// The stream actions on the table's stream (its event source).
    pub reads_stream: bool,
    /// `events:PutEvents` on the bus.
    pub puts_events: bool,
}

/// What reading the table's stream takes.
pub const STREAM_ACTIONS: [&str; 4] = [
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
];

/// What an SQS event source mapping reads its queue with, on the function's role, and
/// `ChangeMessageVisibility`: the send function hides a message to try again for its backoff.
pub const QUEUE_ACTIONS: [&str; 4] = [
    "sqs:ChangeMessageVisibility",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ReceiveMessage",
];

/// What a port's methods may take of the table, at most: item actions, whether it queries the
/// table's own key, and the indexes it queries (as [`Permissions`] names them).
pub fn port_access(port: Port) -> (&'static [&'static str], bool, &'static [&'static str]) {
    match port {
        // person, membership: GetItem; create a workgroup: Puts; bind a sign-in: Update;
        // memberships: by_person; agents: the table; change a role: Put, remove an agent:
        // Delete, each with a ConditionCheck on the membership that must keep its role.
        Port::People => (
            &[
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            true,
            &[BY_PERSON.name],
        ),
        // by key, id, token, send, expiry day, retry, invitee; insert: ConditionCheck + Put; renew and
        // claim: Put; delivery: Update; cancel, accept: Delete (+ Puts).
        Port::Invitations => (
            &[
                "dynamodb:ConditionCheckItem",
                "dynamodb:DeleteItem",
                "dynamodb:GetItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            false,
            &[
                BY_INVITATION_ID.name,
                BY_TOKEN.name,
                BY_SEND.name,
                BY_EXPIRY_DAY.name,
                BY_RETRY.name,
                BY_INVITEE.name,
            ],
        ),
        // an event: Put; a workgroup's events: the table.
        Port::EventLog => (&["dynamodb:PutItem"], true, &[]),
        // pending counts and daily counters: Update; a daily count read: GetItem.
        Port::Counters => (&["dynamodb:GetItem", "dynamodb:UpdateItem"], false, &[]),
        // claim: Put; answer: Update; release: Delete.
        Port::IdempotencyKeys => (
            &[
                "dynamodb:DeleteItem",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
            ],
            false,
            &[],
        ),
        // a second's count: Update.
        Port::SendSlots => (&["dynamodb:UpdateItem"], false, &[]),
    }
}

impl Function {
    /// The storage ports its use cases are bound by, and `IdempotencyKeys` where its handler
    /// replays answers (invite, resend); the send function's pacing takes send slots.
    pub fn ports(self) -> &'static [Port] {
        use Port::*;
        match self {
            Function::Workgroups => &[People, EventLog, Counters],
            Function::Invite => &[People, Invitations, EventLog, Counters, IdempotencyKeys],
            Function::List => &[People, Invitations, EventLog, Counters],
            Function::Manage => &[People, Invitations, EventLog, Counters, IdempotencyKeys],
            Function::Accept => &[People, Invitations, EventLog, Counters],
            Function::Remind => &[People, Invitations, EventLog, Counters],
            Function::Send => &[Invitations, Counters, SendSlots],
            Function::Feedback => &[Invitations],
            Function::Publish => &[],
        }
    }

    /// Every function that answers a signed-in caller checks the person their address is
    /// registered to: GetItem. Those that may write also bind a person registered before
    /// sign-ins were bound and count a refused sign-in (Update) and record the refusal in the
    /// person's workgroups (by_person, Put); `list` only reads, so it refuses without writing.
    pub fn permissions(self) -> Permissions {
        let (item_actions, queries_table, queried_indexes): (&[&str], bool, &[&str]) = match self {
            // person, membership: GetItem; create: a transaction of Puts; the day's count of
            // workgroups created: Update; mine: by_person.
            Function::Workgroups => (
                &[
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                ],
                false,
                &[BY_PERSON.name],
            ),
            // membership: GetItem; insert: ConditionCheck + Put (+ the event's Put); renew: Put;
            // delivery: Update; daily counts and pending count: Update; at the pending cap,
            // each address's invitation: GetItem; an idempotency key: Put to claim, Update to
            // answer, Delete to release.
            Function::Invite => (
                &[
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                ],
                false,
                &[BY_PERSON.name],
            ),
            // membership, the inviter's daily counts: GetItem; agents and events: the table;
            // invitations: by_send; one: by_invitation_id.
            Function::List => (
                &["dynamodb:GetItem"],
                true,
                &[BY_SEND.name, BY_INVITATION_ID.name],
            ),
            // membership: GetItem; the invitation: by_invitation_id; cancel: Delete (+ the
            // event's Put); resend: Put, then Update for its delivery; counts: Update; the
            // agents: the table; a role: Put, a removal: Delete, each with a ConditionCheck.
            Function::Manage => (
                &[
                    "dynamodb:ConditionCheckItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                ],
                true,
                &[BY_INVITATION_ID.name, BY_PERSON.name],
            ),
            // by_token; the caller's own invitations: by_invitee, one by_invitation_id;
            // person: GetItem; decline: Put + the event's Put; accept: a transaction of
            // Delete + Puts; the pending count: Update.
            Function::Accept => (
                &[
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                ],
                false,
                &[
                    BY_PERSON.name,
                    BY_TOKEN.name,
                    BY_INVITATION_ID.name,
                    BY_INVITEE.name,
                ],
            ),
            // reminders and expiries: by_expiry_day, each a Put (+ the event's Put); emails to
            // post again: by_retry, each a Put; the pending count: Update.
            Function::Remind => (
                &["dynamodb:PutItem", "dynamodb:UpdateItem"],
                false,
                &[BY_EXPIRY_DAY.name, BY_RETRY.name],
            ),
            // the invitation: GetItem; the claim: Put; the outcome: Update (+ the event's Put);
            // the send slot and the daily counts given back: Update.
            Function::Send => (
                &[
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                ],
                false,
                &[],
            ),
            // the invitation: by_invitation_id; the report: Update + the event's Put.
            Function::Feedback => (
                &["dynamodb:PutItem", "dynamodb:UpdateItem"],
                false,
                &[BY_INVITATION_ID.name],
            ),
            // nothing on the table itself: its stream (below).
            Function::Publish => (&[], false, &[]),
        };
        Permissions {
            item_actions,
            queries_table,
            queried_indexes,
            sends_email: self.sends_email(),
            posts_email: self.posts_email(),
            reads_queue: self == Function::Send,
            reads_key: self.runs_app(),
            reads_stream: self == Function::Publish,
            puts_events: self == Function::Publish,
        }
    }
}
