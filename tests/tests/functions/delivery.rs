//! Faults on the delivery path, through the real adapters: DynamoDB and SQS in moto, SES a
//! stand-in endpoint that can throttle, refuse connections or fail (`tests::ses_standin`), the
//! functions built as their `main`s build them, and the `send` function's handler draining the
//! queue as its event source mapping would (`tests::functions::drain`).
//!
//! After each fault the same invariant is checked: every invitee got exactly one email of each
//! kind it was due (its invitation, and its reminder where one was due) and nothing else; every
//! invitation is still pending, in its role, with its email recorded as sent and nothing left
//! to send; and the link of its email is the invitation's working link.
//!
//! The send function runs on the system clock. Where a fault needs time to pass (a backoff, the
//! grace after which a stopped sender's claim lapses), what came before it runs on a clock set
//! back (`tests::functions::backdated`) and the sweeps take the tick's time, as the scheduler gives it.

use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use domain::store::Invitations as _;
use domain::{
    address::EmailAddress,
    clock::Clock,
    delivery::Occasion,
    delivery::{DueEmail, Queue},
    ids::WorkgroupId,
    invitation::{DELIVERY_GRACE, Delivery, RETRY_BACKOFF, Status},
    role::Role,
};
use runtime::{Deployment, Function, Sending};
use serde_json::{Value, json};
use tests::functions::{Stack, backdated, drain, send, send_to_app, sweep_tick};
use tests::{
    harness::api_gateway_event,
    ses_standin::{Down, Kind, SesStandIn},
};

mod interruptions;

const ADMIN: &str = "admin@acme.example";

/// What the producers are allowed: one request of 50 addresses, and room for every test's
/// invitations under the daily and pending limits.
const ROOMY: [(&str, &str); 3] = [
    ("INVITE_MAX_ADDRESSES", "50"),
    ("INVITE_DAILY_LIMIT", "1000"),
    ("PENDING_INVITATION_LIMIT", "1000"),
];

/// SES's default rate in a new production account: what the sender is told where the account's
/// real rate (the stand-in's) is lower, so that SES's throttling bites.
const CONFIGURED_RATE: u32 = 14;

/// A deployment on moto with SES on a stand-in: the functions that make emails due, the sender,
/// and one workgroup.
struct Scene {
    stack: Stack,
    ses: SesStandIn,
    invite: Deployment,
    remind: Deployment,
    accept: Deployment,
    sender: Sending,
    wg: String,
}

impl Scene {
    async fn new(label: &str, ses_rate: Option<u32>, sender_rate: u32) -> Self {
        let stack = Stack::new(label).await;
        let ses = SesStandIn::start(ses_rate).await;
        let workgroups = stack.deploy(Function::Workgroups).await;
        let wg = tests::functions::workgroup(&workgroups, ADMIN, "Acme").await;
        Self {
            invite: stack.deploy_with(Function::Invite, &ROOMY).await,
            remind: stack.deploy_with(Function::Remind, &ROOMY).await,
            accept: stack.deploy(Function::Accept).await,
            sender: stack.sender_on(&ses, sender_rate).await,
            ses,
            stack,
            wg,
        }
    }

    fn workgroup(&self) -> WorkgroupId {
        WorkgroupId::parse(&self.wg).expect("a workgroup id")
    }

    fn invite_event(&self, emails: &[String]) -> Value {
        api_gateway_event(
            "POST",
            &format!("/workgroups/{}/invitations", self.wg),
            Some(ADMIN),
            Some(json!({ "emails": emails, "role": "associate" })),
        )
    }

    /// Invites `emails` through the invite function; its results.
    async fn invite_now(&self, emails: &[String]) -> Vec<Value> {
        let answer = send(&self.invite, &self.invite_event(emails)).await;
        results_of(answer.assert_ok(200), emails.len())
    }

    /// Invites `emails` as the invite function would have at `at`.
    async fn invite_at(&self, at: DateTime<Utc>, emails: &[String]) -> Vec<Value> {
        let back_then = backdated(&self.invite, at);
        let answer = send_to_app(&back_then, &self.invite_event(emails)).await;
        results_of(answer.assert_ok(200), emails.len())
    }

    /// One tick of the reminder function for `sweep` at `time`; emails it posted.
    async fn tick(&self, time: DateTime<Utc>, sweep: &str) -> usize {
        let report = remind::handle(&self.remind, sweep_tick(time, sweep))
            .await
            .unwrap_or_else(|error| panic!("the {sweep} tick at {time} failed: {error}"));
        let counts = match sweep {
            "reminders" => report.reminders,
            _ => report.deliveries,
        };
        counts.expect("the sweep ran").sent
    }

    /// Runs the send function over the queue until it is empty.
    async fn drain(&self) -> usize {
        drain(&self.stack, &self.sender).await
    }

    async fn stored(&self, email: &str) -> domain::invitation::Invitation {
        self.invite
            .app
            .store
            .invitation_for(&self.workgroup(), &address(email))
            .await
            .expect("the store answers")
            .unwrap_or_else(|| panic!("an invitation for {email}"))
    }

    /// The invariant after a fault: each of `due` got exactly one email of each of its kinds
    /// and the stand-in accepted nothing else; each invitation is pending, an associate's, its
    /// current email (the last kind) sent with nothing left to send; the link of each email
    /// looks the invitation up.
    async fn assert_each_delivered_once(&self, due: &[(String, Vec<Kind>)]) {
        let counts = self.ses.per_recipient();
        let mut expected = std::collections::BTreeMap::new();
        for (email, kinds) in due {
            for kind in kinds {
                *expected.entry((email.clone(), *kind)).or_insert(0) += 1;
            }
        }
        let wrong: Vec<_> = expected
            .keys()
            .chain(counts.keys())
            .filter(|key| {
                expected.get(*key).copied().unwrap_or(0) != 1 || counts.get(*key) != Some(&1)
            })
            .map(|key| {
                format!(
                    "{} {:?}: {}",
                    key.0,
                    key.1,
                    counts.get(key).copied().unwrap_or(0)
                )
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert!(
            wrong.is_empty(),
            "not exactly one email of each kind due ({} of {} wrong): {wrong:#?}",
            wrong.len(),
            expected.len()
        );
        for (email, kinds) in due {
            let stored = self.stored(email).await;
            let current = kinds.last().expect("at least one email due");
            assert_eq!(stored.status, Status::Pending, "{email}");
            assert_eq!(stored.role, Role::Associate, "{email}");
            assert_eq!(stored.delivery, Delivery::Sent, "{email}: {stored:?}");
            assert_eq!(
                matches!(stored.occasion, Occasion::Reminder { .. }),
                *current == Kind::Reminder,
                "{email}: {stored:?}"
            );
            assert_eq!(stored.retry_at, None, "{email}: nothing left to send");
            assert_eq!(stored.sending_until, None, "{email}: no claim held");
            for kind in kinds {
                let token = self
                    .ses
                    .latest(email, *kind)
                    .and_then(|mail| mail.token().map(str::to_owned))
                    .unwrap_or_else(|| panic!("{email}: a link in its {kind:?}"));
                let lookup = send(
                    &self.accept,
                    &api_gateway_event(
                        "POST",
                        "/invitations/lookup",
                        None,
                        Some(json!({ "token": token })),
                    ),
                )
                .await;
                assert_eq!(
                    lookup.status, 200,
                    "{email}: the link of its {kind:?} works"
                );
            }
        }
    }
}

fn address(email: &str) -> EmailAddress {
    EmailAddress::parse(email).expect("a valid address")
}

fn addresses(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{prefix}{i:02}@people.example"))
        .collect()
}

fn results_of(body: &Value, n: usize) -> Vec<Value> {
    let results = body["results"].as_array().cloned().unwrap_or_default();
    assert_eq!(results.len(), n, "{body}");
    assert!(
        results.iter().all(|r| r["outcome"] == "invited"),
        "{results:#?}"
    );
    results
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// Invited this long ago, an invitation is owed its 7-day reminder now.
fn reminder_age() -> TimeDelta {
    TimeDelta::days(23) + TimeDelta::hours(1)
}

fn due(emails: &[String], kinds: &[Kind]) -> Vec<(String, Vec<Kind>)> {
    emails.iter().map(|e| (e.clone(), kinds.to_vec())).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_invitations_and_fifty_reminders_due_at_once_reach_a_throttling_ses_once_each() {
    let scene = Scene::new("throttled", None, CONFIGURED_RATE).await;
    // Fifty invited 23 days ago, their invitations delivered then: their 7-day reminder is due.
    let old = addresses("old", 50);
    scene.invite_at(now() - reminder_age(), &old).await;
    assert_eq!(scene.drain().await, 50);

    // SES throttles every send: an invite of 50 answers at once, every email queued, and the
    // invite function never called SES.
    scene.ses.set_rate(Some(0));
    let before = scene.ses.answers();
    let new = addresses("new", 50);
    let results = scene.invite_now(&new).await;
    assert!(
        results
            .iter()
            .all(|r| r["invitation"]["delivery"] == "queued"),
        "the answer does not wait on SES: {results:#?}"
    );
    assert_eq!(scene.ses.answers(), before, "the invite did not call SES");
    assert_eq!(scene.tick(now(), "reminders").await, 50);

    // SES takes 5 a second; the sender believes it may send 14.
    scene.ses.set_rate(Some(5));
    scene.drain().await;
    let answers = scene.ses.answers();
    assert!(
        answers.throttled > 0,
        "SES throttled some sends: {answers:?}"
    );
    // Nothing is owed any more: a later sweep posts nothing.
    assert_eq!(
        scene
            .tick(now() + TimeDelta::minutes(30), "deliveries")
            .await,
        0
    );
    scene.drain().await;

    let mut expected = due(&old, &[Kind::Invitation, Kind::Reminder]);
    expected.extend(due(&new, &[Kind::Invitation]));
    scene.assert_each_delivered_once(&expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_email_ses_keeps_throttling_goes_back_to_the_queue_unclaimed_and_is_sent_later() {
    let scene = Scene::new("backoff", Some(0), CONFIGURED_RATE).await;
    let new = addresses("new", 5);
    scene.invite_now(&new).await;

    // One batch while SES throttles every send, past the sender's own retries: each message is
    // reported back to SQS, hidden for its backoff rather than the 10 minutes it was received
    // for, and each email is given back unclaimed, its attempt not counted.
    let event = scene.stack.queued_batch(600).await.expect("a batch");
    let records = event["Records"].as_array().cloned().unwrap_or_default();
    assert_eq!(records.len(), 5);
    let response = send::handle(
        &scene.sender,
        lambda_runtime::LambdaEvent::new(
            serde_json::from_value(event).expect("an SQS event"),
            lambda_runtime::Context::default(),
        ),
    )
    .await
    .expect("the batch is handled");
    assert_eq!(response.batch_item_failures.len(), 5, "{response:?}");
    assert!(scene.ses.answers().throttled >= 5);
    assert_eq!(scene.ses.answers().accepted, 0);
    for email in &new {
        let stored = scene.stored(email).await;
        assert_eq!(stored.delivery, Delivery::Queued, "{email}: {stored:?}");
        assert_eq!(stored.delivery_attempts, 0, "{email}: {stored:?}");
        assert_eq!(
            stored.sending_until, None,
            "{email}: the claim is given back: {stored:?}"
        );
    }

    // SQS delivers them again after the first backoff (5 s); SES takes 5 a second now.
    let mut back = std::collections::HashSet::new();
    for _ in 0..30 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        if let Some(event) = scene.stack.queued_batch(1).await {
            for record in event["Records"].as_array().into_iter().flatten() {
                back.insert(record["body"].to_string());
            }
            if back.len() == records.len() {
                break;
            }
        }
    }
    assert_eq!(back.len(), 5, "every message comes back after its backoff");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    scene.ses.set_rate(Some(5));
    assert_eq!(scene.drain().await, 5);
    scene
        .assert_each_delivered_once(&due(&new, &[Kind::Invitation]))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ses_outage_then_its_return_delivers_every_email_once() {
    let scene = Scene::new("outage", None, CONFIGURED_RATE).await;
    let old = addresses("old", 5);
    scene.invite_at(now() - reminder_age(), &old).await;
    assert_eq!(scene.drain().await, 5);

    // SES cannot be reached: invitations and reminders fail and are due again after the backoff.
    scene.ses.go_down(Down::Refused).await;
    let start = now();
    let new = addresses("new", 10);
    scene.invite_now(&new).await;
    assert_eq!(scene.tick(start, "reminders").await, 5);
    scene.drain().await;
    let everyone: Vec<String> = old.iter().chain(&new).cloned().collect();
    for email in &everyone {
        let stored = scene.stored(email).await;
        assert_eq!(stored.delivery, Delivery::Failed, "{email}: {stored:?}");
        assert_eq!(stored.delivery_attempts, 1, "{email}");
        assert!(stored.retry_at.is_some(), "{email}: tried again later");
    }
    // Before the backoff ends, the sweep posts nothing.
    assert_eq!(
        scene
            .tick(start + TimeDelta::minutes(5), "deliveries")
            .await,
        0
    );

    // Still down, answering 503: the second attempt fails too.
    scene.ses.go_down(Down::Unavailable).await;
    let second = start + RETRY_BACKOFF[0] + TimeDelta::minutes(1);
    assert_eq!(scene.tick(second, "deliveries").await, 15);
    scene.drain().await;
    assert!(scene.ses.answers().unavailable > 0);
    assert_eq!(
        scene.ses.answers().accepted,
        5,
        "only the old invitations so far"
    );
    for email in &everyone {
        assert_eq!(scene.stored(email).await.delivery_attempts, 2, "{email}");
    }

    // SES is back: after the next backoff two sweeps of one tick race, and each email goes once.
    scene.ses.come_back().await;
    let third = second + RETRY_BACKOFF[1] + TimeDelta::minutes(1);
    let (a, b) = tokio::join!(
        remind::handle(&scene.remind, sweep_tick(third, "deliveries")),
        remind::handle(&scene.remind, sweep_tick(third, "deliveries")),
    );
    let posted = |r: remind::TickReport| r.deliveries.expect("swept").sent;
    assert_eq!(posted(a.unwrap()) + posted(b.unwrap()), 15);
    assert_eq!(scene.drain().await, 15);
    assert_eq!(
        scene
            .tick(third + TimeDelta::minutes(10), "deliveries")
            .await,
        0
    );

    let mut expected = due(&old, &[Kind::Invitation, Kind::Reminder]);
    expected.extend(due(&new, &[Kind::Invitation]));
    scene.assert_each_delivered_once(&expected).await;
}
