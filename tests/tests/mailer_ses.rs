//! The SES v2 mailer against moto: what SES receives, read back from moto.

use aws::{SesMailer, calls::CallLog, ses::Sender};
use chrono::{TimeZone, Utc};
use futures::future::join_all;
use shared::{
    address::EmailAddress,
    app::error_chain,
    ids::{AgentId, WorkgroupId},
    invitation::{Invitation, Inviter, Send},
    message::{Locale, Occasion, invitation_email},
    people::{DisplayName, Workgroup, WorkgroupName},
    role::Role,
    secret::SecretKey,
    store::Mailer,
};
use tests::moto::moto;

/// A mailer on moto whose sender's domain is a verified identity, and the log of its calls.
async fn mailer(domain: &str) -> (SesMailer, CallLog) {
    let sdk = moto().sdk_config().await;
    aws_sdk_sesv2::Client::new(&sdk)
        .create_email_identity()
        .email_identity(domain)
        .send()
        .await
        .expect("the domain becomes an identity");
    let log = CallLog::default();
    let client = aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(&sdk)
            .interceptor(log.clone())
            .build(),
    );
    let sender = Sender::parse(&format!("Workgroup invitations <invitations@{domain}>"))
        .unwrap()
        .with_configuration_set("invitations");
    (SesMailer::new(client, sender), log)
}

fn invitation(to: &str, workgroup: &str, locale: Locale) -> Invitation {
    let workgroup = Workgroup {
        id: WorkgroupId::generate(),
        name: WorkgroupName::parse(workgroup).unwrap(),
        locale,
    };
    let key = SecretKey::generate();
    let send = Send {
        by: Inviter {
            id: AgentId::generate(),
            email: EmailAddress::parse("ada@example.com").unwrap(),
            name: DisplayName::parse("Ada & <Co>").unwrap(),
        },
        role: Role::Manager,
        locale: None,
        now: Utc.with_ymd_and_hms(2026, 11, 22, 9, 0, 0).unwrap(),
        key: &key,
    };
    Invitation::issue(&workgroup, EmailAddress::parse(to).unwrap(), send).0
}

/// The messages moto recorded for `to`.
fn received(to: &str) -> Vec<serde_json::Value> {
    moto()
        .sent_emails()
        .into_iter()
        .filter(|m| {
            m["destinations"]["ToAddresses"]
                .as_array()
                .is_some_and(|a| a.iter().any(|t| t == to))
        })
        .collect()
}

#[tokio::test]
async fn an_invitation_reaches_ses_with_its_subject_link_and_escaped_names() {
    let (mailer, log) = mailer("mail-en.example").await;
    let to = "ann@en.example.com";
    let link = "https://invitations.test/accept#token=abc";
    let email = invitation_email(
        &invitation(to, "Acme <script>alert(1)</script> & Co", Locale::En),
        link,
        Occasion::Invitation,
    );
    mailer.send(&email).await.expect("SES accepts it");

    let messages = received(to);
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert!(
        message["source"]
            .as_str()
            .unwrap()
            .contains("invitations@mail-en.example")
    );
    assert_eq!(message["subject"], email.subject.as_str());
    let body = message["body"].as_str().unwrap();
    assert_eq!(
        body, email.html,
        "moto keeps the HTML part, which is what the domain rendered"
    );
    assert!(body.contains(link));
    assert!(body.contains("Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
    assert!(!body.contains("<script>"));
    assert!(body.contains("Ada &amp; &lt;Co&gt;"));
    assert_eq!(log.count("SendEmail"), 1);
}

#[tokio::test]
async fn a_japanese_reminder_reaches_ses_in_japanese() {
    let (mailer, _) = mailer("mail-ja.example").await;
    let to = "ken@ja.example.com";
    let email = invitation_email(
        &invitation(to, "東京サポート", Locale::Ja),
        "https://invitations.test/accept#token=xyz",
        Occasion::Reminder { days_before: 1 },
    );
    mailer.send(&email).await.expect("SES accepts it");
    let message = &received(to)[0];
    let subject = message["subject"].as_str().unwrap();
    assert!(
        subject.contains("東京サポート") && subject.contains("リマインダー"),
        "{subject}"
    );
    assert!(message["body"].as_str().unwrap().contains("あと 1 日"));
}

#[tokio::test]
async fn concurrent_sends_each_arrive_exactly_once() {
    let (mailer, log) = mailer("mail-many.example").await;
    let emails: Vec<_> = (0..10)
        .map(|i| {
            let to = format!("person{i}@many.example.com");
            invitation_email(
                &invitation(&to, "Many", Locale::En),
                "https://invitations.test/accept#token=t",
                Occasion::Invitation,
            )
        })
        .collect();
    let results = join_all(emails.iter().map(|e| mailer.send(e))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    for email in &emails {
        assert_eq!(received(email.to.as_str()).len(), 1, "{}", email.to);
    }
    assert_eq!(
        log.take()
            .iter()
            .filter(|c| c.operation == "SendEmail")
            .count(),
        10
    );
}

#[tokio::test]
async fn a_refused_email_becomes_a_mail_error_that_carries_neither_body_nor_link() {
    let sdk = moto().sdk_config().await;
    let unverified = SesMailer::new(
        aws_sdk_sesv2::Client::new(&sdk),
        Sender::parse("nobody@unverified.example").unwrap(),
    );
    let link = "https://invitations.test/accept#token=secret-token-value";
    let email = invitation_email(
        &invitation("zed@example.com", "Nope", Locale::En),
        link,
        Occasion::Invitation,
    );
    let error = unverified
        .send(&email)
        .await
        .expect_err("moto rejects unverified senders");
    let text = error_chain(&error);
    assert!(text.contains("failed to send an email with SES"), "{text}");
    assert!(!text.contains("secret-token-value"), "{text}");
    assert!(!text.contains("invited you"), "{text}");
}
