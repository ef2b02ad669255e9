//! SES outages and refusals on the delivery path, through the use cases on the real adapters:
//! DynamoDB and SQS in moto, SES v2 a stand-in endpoint (`tests::ses_standin`) that can be taken
//! down and can refuse an address for good. Unlike the send function's own tests
//! (`tests/tests/functions/delivery.rs`), the sender here runs on the same manual clock as
//! everything else, so an outage can outlast every backoff.

use aws::{DynamoStore, Paced, SesMailer, SqsQueue, ses::Sender};
use domain::fakes::ManualClock;
use domain::store::Invitations as _;
use domain::{
    App, Caller, Settings,
    address::EmailAddress,
    clock::Clock,
    delivery::SendOutcome,
    ids::WorkgroupId,
    invitation::{Delivery, Invitation, MAX_DELIVERY_ATTEMPTS, RETRY_BACKOFF},
    message::AcceptLinks,
    people::WorkgroupName,
    role::Role,
    secret::SecretKey,
    usecases::invite::{InviteError, InviteRequest},
};
use futures::future::join_all;
use tests::{
    aws_stack::AwsStack,
    harness::start_time,
    ses_standin::{Down, Kind, SesStandIn},
};

type AwsApp = App<DynamoStore, SqsQueue, ManualClock>;
type AwsMailer = Paced<SesMailer, DynamoStore>;

/// A deployment's store and queue on moto, SES on a stand-in, one workgroup.
struct Scene {
    ses: SesStandIn,
    app: AwsApp,
    mailer: AwsMailer,
    admin: Caller,
    wg: WorkgroupId,
}

fn caller(email: &str) -> Caller {
    Caller {
        sign_in: domain::people::SignIn {
            issuer: "https://issuer.example".to_owned(),
            subject: format!("sub-{email}"),
        },
        email: EmailAddress::parse(email).unwrap(),
        name: None,
    }
}

impl Scene {
    async fn new(label: &str, settings: impl FnOnce(&mut Settings)) -> Self {
        let stack = AwsStack::new(label).await;
        let ses = SesStandIn::start(None).await;
        let store = DynamoStore::new(
            aws_sdk_dynamodb::Client::new(&stack.sdk),
            stack.table.clone(),
        );
        let mailer = Paced::new(
            SesMailer::new(
                ses.client(&stack.sdk),
                Sender::parse(&stack.env["SES_SENDER"]).unwrap(),
            ),
            store.clone(),
            100,
        );
        let mut configured = Settings::new(AcceptLinks::new("https://invitations.test").unwrap());
        settings(&mut configured);
        let app = App {
            store,
            queue: stack.queue(),
            clock: ManualClock::at(start_time()),
            key: SecretKey::generate(),
            settings: configured,
        };
        let admin = caller("admin@acme.example");
        let wg = app
            .create_workgroup(&admin, WorkgroupName::parse("Acme").unwrap(), None)
            .await
            .unwrap()
            .workgroup
            .id;
        Self {
            ses,
            app,
            mailer,
            admin,
            wg,
        }
    }

    async fn invite(&self, emails: &[&str]) -> Result<Vec<Invitation>, InviteError> {
        let request = InviteRequest::pasted(emails, 50, Role::Associate, None)?;
        let results = self.app.invite(&self.admin, &self.wg, &request).await?;
        Ok(results
            .iter()
            .map(|r| r.outcome.invitation().expect("invited").clone())
            .collect())
    }

    /// Sends what the queue holds, as the send function would (a message SES asked to slow
    /// down for comes back at once); what became of each.
    async fn send_queued(&self) -> Vec<SendOutcome> {
        let mut outcomes = Vec::new();
        loop {
            let received = self.app.queue.receive(0, 60).await.expect("received");
            if received.is_empty() {
                return outcomes;
            }
            let handled = join_all(received.iter().map(|message| async {
                let due = message.email.as_ref().expect("a due email");
                self.app.send_due(due, &self.mailer).await.expect("sent")
            }))
            .await;
            for (message, outcome) in received.iter().zip(&handled) {
                if let SendOutcome::RetryLater { .. } = outcome {
                    self.app.queue.delay(&message.receipt, 0).await.unwrap();
                } else {
                    self.app.queue.delete(&message.receipt).await.unwrap();
                }
            }
            outcomes.extend(handled);
        }
    }

    async fn stored(&self, email: &str) -> Invitation {
        self.app
            .store
            .invitation_for(&self.wg, &EmailAddress::parse(email).unwrap())
            .await
            .unwrap()
            .expect("stored")
    }

    async fn retry(&self) -> domain::usecases::remind::SweepReport {
        self.app
            .retry_deliveries(self.app.clock.now(), || true)
            .await
            .expect("the sweep runs")
    }
}

fn count(outcomes: &[SendOutcome], wanted: SendOutcome) -> usize {
    outcomes.iter().filter(|o| **o == wanted).count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ses_outage_during_a_burst_loses_nothing_and_each_invitee_gets_one_email() {
    let scene = Scene::new("outage", |_| {}).await;
    scene.ses.go_down(Down::Refused).await;
    let invitees: Vec<String> = (0..12)
        .map(|i| format!("burst{i}@people.example"))
        .collect();
    let answers = join_all(
        invitees
            .iter()
            .map(|email| async { scene.invite(&[email.as_str()]).await }),
    )
    .await;
    for answer in answers {
        let invitation = &answer.expect("the invite is answered")[0];
        assert_eq!(
            invitation.delivery,
            Delivery::Queued,
            "the answer waits on nothing"
        );
    }
    let outcomes = scene.send_queued().await;
    assert_eq!(count(&outcomes, SendOutcome::Failed), invitees.len());
    assert_eq!(scene.ses.answers().accepted, 0);

    // SES is back; two sweeps of the tick after the backoff race, a third comes later.
    scene.ses.come_back().await;
    scene.app.clock.advance(RETRY_BACKOFF[0]);
    let (first, second) = tokio::join!(scene.retry(), scene.retry());
    assert_eq!(
        first.sent + second.sent,
        invitees.len(),
        "{first:?} {second:?}"
    );
    let outcomes = scene.send_queued().await;
    assert_eq!(count(&outcomes, SendOutcome::Sent), invitees.len());
    for email in &invitees {
        assert_eq!(scene.ses.count(email, Kind::Invitation), 1, "{email}");
        let stored = scene.stored(email).await;
        assert_eq!(stored.delivery, Delivery::Sent, "{email}");
        assert_eq!(stored.delivery_attempts, 2, "{email}");
    }
    scene.app.clock.advance(RETRY_BACKOFF[1]);
    assert_eq!(scene.retry().await.candidates, 0);
    assert_eq!(scene.ses.answers().accepted, invitees.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_outage_longer_than_every_backoff_gives_the_email_up_and_a_resend_starts_over() {
    let scene = Scene::new("giveup", |_| {}).await;
    scene.ses.go_down(Down::Unavailable).await;
    let emails = ["ann@people.example", "bob@people.example"];
    let invited = scene.invite(&emails).await.unwrap();

    for attempt in 1..=MAX_DELIVERY_ATTEMPTS {
        let outcomes = scene.send_queued().await;
        assert_eq!(
            count(&outcomes, SendOutcome::Failed),
            2,
            "attempt {attempt}"
        );
        for email in emails {
            assert_eq!(scene.stored(email).await.delivery_attempts, attempt);
        }
        if attempt < MAX_DELIVERY_ATTEMPTS {
            scene
                .app
                .clock
                .advance(RETRY_BACKOFF[usize::from(attempt) - 1]);
            assert_eq!(
                scene.retry().await.sent,
                2,
                "attempt {attempt} posted again"
            );
        }
    }
    // Given up: failed, never posted again, even once SES is back.
    scene.ses.come_back().await;
    scene.app.clock.advance(RETRY_BACKOFF[3]);
    assert_eq!(scene.retry().await.sent, 0);
    assert!(scene.send_queued().await.is_empty());
    for email in emails {
        let stored = scene.stored(email).await;
        assert_eq!(stored.delivery, Delivery::Failed, "{email}");
        assert_eq!(stored.retry_at, None, "{email}");
    }
    assert_eq!(scene.ses.answers().accepted, 0);
    assert!(scene.ses.answers().unavailable >= 10);

    // A resend starts over: one email, with the resend's working link.
    let resent = scene
        .app
        .resend_invitation(&scene.admin, &scene.wg, &invited[0].id)
        .await
        .expect("resent");
    assert_eq!(resent.delivery, Delivery::Queued);
    assert_eq!(scene.send_queued().await, vec![SendOutcome::Sent]);
    assert_eq!(scene.ses.count(emails[0], Kind::Invitation), 1);
    assert_eq!(scene.ses.count(emails[1], Kind::Invitation), 0);
    let token = scene.ses.latest(emails[0], Kind::Invitation).unwrap();
    let preview = scene
        .app
        .lookup_invitation(
            &domain::secret::InvitationToken::parse(token.token().expect("a link"))
                .expect("a token"),
        )
        .await;
    assert!(preview.is_ok(), "the resend's link works");
    let stored = scene.stored(emails[0]).await;
    assert_eq!(
        (stored.delivery, stored.delivery_attempts),
        (Delivery::Sent, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_address_ses_refuses_for_good_is_failed_at_once_and_gives_its_email_back_to_the_quota() {
    let scene = Scene::new("refused", |settings| {
        settings.daily_invitations_per_inviter = 2;
    })
    .await;
    let (refused, good) = ("suppressed@people.example", "good@people.example");
    scene.ses.reject(refused);
    scene.invite(&[refused, good]).await.unwrap();
    let outcomes = scene.send_queued().await;
    assert_eq!(count(&outcomes, SendOutcome::Sent), 1);
    assert_eq!(count(&outcomes, SendOutcome::Failed), 1);
    let stored = scene.stored(refused).await;
    assert_eq!(
        (stored.delivery, stored.retry_at, stored.delivery_attempts),
        (Delivery::Failed, None, 1),
        "refused for good: not tried again"
    );
    scene.app.clock.advance(RETRY_BACKOFF[0] + RETRY_BACKOFF[1]);
    assert_eq!(scene.retry().await.sent, 0);
    assert_eq!(scene.ses.answers().rejected, 1, "asked once");

    // Today's quota of 2 counts only the email SES took: one more invite fits, then no more.
    scene
        .invite(&["third@people.example"])
        .await
        .expect("the refused email was given back");
    assert!(matches!(
        scene.invite(&["fourth@people.example"]).await,
        Err(InviteError::OverQuota(_))
    ));
    scene.send_queued().await;
    assert_eq!(scene.ses.count(good, Kind::Invitation), 1);
    assert_eq!(scene.ses.count("third@people.example", Kind::Invitation), 1);
    assert_eq!(scene.ses.count(refused, Kind::Invitation), 0);
}

#[tokio::test]
async fn the_stand_in_tells_the_sdk_its_send_rate_as_ses_get_account_does() {
    let stack = AwsStack::new("account").await;
    let ses = SesStandIn::start(Some(5)).await;
    let account = ses
        .client(&stack.sdk)
        .get_account()
        .send()
        .await
        .expect("GetAccount answers");
    let quota = account.send_quota().expect("a quota");
    assert_eq!(quota.max_send_rate(), 5.0);
}
