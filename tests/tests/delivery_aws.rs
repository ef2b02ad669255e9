//! An SES outage during a burst of invites, on the real adapters: DynamoDB in moto, and the SES
//! v2 client first pointed at a loopback port nothing listens on (SES cannot be reached), then
//! at moto (SES is back). Nothing is lost, and once SES is back every invitee has exactly one
//! invitation email, however many sweeps run at once.

use std::net::TcpListener;

use aws::{DynamoStore, SesMailer, ses::Sender};
use futures::future::join_all;
use shared::{
    App, Caller, Settings,
    address::EmailAddress,
    clock::Clock,
    invitation::{Delivery, RETRY_BACKOFF},
    message::AcceptLinks,
    people::WorkgroupName,
    role::Role,
    secret::SecretKey,
    store::Store,
    usecases::invite::InviteRequest,
};
use tests::{aws_stack::AwsStack, fakes::ManualClock, harness::start_time, moto::moto};

fn caller(email: &str) -> Caller {
    Caller {
        sign_in: shared::people::SignIn {
            issuer: "https://issuer.example".to_owned(),
            subject: format!("sub-{email}"),
        },
        email: EmailAddress::parse(email).unwrap(),
        name: None,
    }
}

fn emails_to(to: &str) -> usize {
    moto()
        .sent_emails()
        .iter()
        .filter(|e| e["destinations"]["ToAddresses"][0] == to)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ses_outage_during_a_burst_loses_nothing_and_each_invitee_gets_one_email() {
    let stack = AwsStack::new("outage").await;
    let store = DynamoStore::new(
        aws_sdk_dynamodb::Client::new(&stack.sdk),
        stack.table.clone(),
    );
    let sender = Sender::parse(&stack.env["SES_SENDER"]).unwrap();
    let unreachable = {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let down = aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(&stack.sdk)
            .endpoint_url(format!("http://127.0.0.1:{unreachable}"))
            .build(),
    );
    let up = aws_sdk_sesv2::Client::new(&stack.sdk);
    let clock = ManualClock::at(start_time());
    let key = SecretKey::generate();
    let settings = Settings::new(AcceptLinks::new("https://invitations.test").unwrap());
    let app = |ses: aws_sdk_sesv2::Client| App {
        store: store.clone(),
        mailer: SesMailer::new(ses, sender.clone()),
        clock: clock.clone(),
        key: key.clone(),
        settings: settings.clone(),
    };
    let (during, after) = (app(down), app(up));

    let admin = caller("admin@acme.example");
    let wg = during
        .create_workgroup(&admin, WorkgroupName::parse("Acme").unwrap(), None)
        .await
        .unwrap()
        .workgroup
        .id;
    let invitees: Vec<String> = (0..12)
        .map(|i| format!("burst{i}@people.example"))
        .collect();
    let answers = join_all(invitees.iter().map(|email| {
        let request = InviteRequest {
            emails: vec![email.clone()],
            role: Role::Associate,
            locale: None,
        };
        let (during, admin, wg) = (&during, &admin, &wg);
        async move { during.invite(admin, wg, &request).await }
    }))
    .await;
    for answer in answers {
        let results = answer.expect("the invite is answered");
        let invitation = results[0].outcome.invitation().expect("saved");
        assert_eq!(invitation.delivery, Delivery::Failed, "the answer says so");
    }
    for email in &invitees {
        assert_eq!(emails_to(email), 0);
    }

    // SES is back; two sweeps of one tick race, a third comes later.
    clock.advance(RETRY_BACKOFF[0]);
    let now = clock.now();
    let (first, second) = tokio::join!(after.retry_deliveries(now), after.retry_deliveries(now));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(
        first.sent + second.sent,
        invitees.len(),
        "{first:?} {second:?}"
    );
    for email in &invitees {
        assert_eq!(emails_to(email), 1, "{email}");
    }
    clock.advance(RETRY_BACKOFF[1]);
    assert_eq!(
        after
            .retry_deliveries(clock.now())
            .await
            .unwrap()
            .candidates,
        0
    );

    let stored = store
        .invitations(
            &wg,
            None,
            clock.now(),
            shared::store::PageRequest {
                after: None,
                limit: 100,
            },
        )
        .await
        .unwrap();
    assert_eq!(stored.items.len(), invitees.len(), "nothing lost");
    assert!(stored.items.iter().all(|i| i.delivery == Delivery::Sent));
}
