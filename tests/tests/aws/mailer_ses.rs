//! The SES v2 mailer against moto: what SES receives, read back from moto, beside the request
//! the SDK put on the wire (moto keeps only the HTML body of a message, so the text body is
//! checked in the request).

use std::{
    collections::BTreeSet,
    sync::{Arc, Mutex},
};

use aws::{
    SesMailer,
    calls::{Call, CallLog},
    ses::Sender,
};
use aws_sdk_sesv2::{
    config::{
        ConfigBag, Intercept, RuntimeComponents,
        interceptors::{
            AfterDeserializationInterceptorContextRef, BeforeTransmitInterceptorContextRef,
        },
    },
    error::{BoxError, SdkError},
    operation::send_email::{SendEmailError, SendEmailOutput},
};
use chrono::{TimeZone, Utc};
use domain::{
    address::EmailAddress,
    app::error_chain,
    delivery::Occasion,
    ids::{AgentId, WorkgroupId},
    invitation::{Invitation, Inviter, Send},
    locale::Locale,
    mailer::Mailer,
    message::{AcceptLinks, Email, escape_html, invitation_email},
    people::{DisplayName, Workgroup, WorkgroupName},
    role::Role,
    secret::SecretKey,
};
use futures::future::join_all;
use serde_json::{Value, json};
use tests::moto::moto;

/// What the SES client put on the wire: each `SendEmail` request as JSON, and the message ids
/// SES answered with.
#[derive(Debug, Clone, Default)]
struct Wire {
    requests: Arc<Mutex<Vec<Value>>>,
    message_ids: Arc<Mutex<Vec<String>>>,
}

impl Intercept for Wire {
    fn name(&self) -> &'static str {
        "Wire"
    }

    fn read_before_transmit(
        &self,
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(bytes) = context.request().body().bytes() {
            self.requests
                .lock()
                .unwrap()
                .push(serde_json::from_slice(bytes)?);
        }
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Ok(output) = context.output_or_error()
            && let Some(id) = output
                .downcast_ref::<SendEmailOutput>()
                .and_then(SendEmailOutput::message_id)
        {
            self.message_ids.lock().unwrap().push(id.to_owned());
        }
        Ok(())
    }
}

impl Wire {
    fn requests(&self) -> Vec<Value> {
        self.requests.lock().unwrap().clone()
    }

    fn message_ids(&self) -> Vec<String> {
        self.message_ids.lock().unwrap().clone()
    }
}

/// The configuration set of the mailer whose sender is at `domain`.
fn configuration_set(domain: &str) -> String {
    format!("invitations-{}", domain.replace('.', "-"))
}

/// A mailer on moto sending as `sender`, whose domain is a verified identity (moto rejects any
/// other sender), through a configuration set of its own; with the log of its calls and what
/// it sent.
async fn mailer(sender: &str) -> (SesMailer, CallLog, Wire) {
    let sender = Sender::parse(sender).expect("a valid sender");
    let domain = sender
        .address()
        .as_str()
        .split_once('@')
        .unwrap()
        .1
        .to_owned();
    let sender = sender.with_configuration_set(&configuration_set(&domain));
    let sdk = moto().sdk_config().await;
    let admin = aws_sdk_sesv2::Client::new(&sdk);
    admin
        .create_email_identity()
        .email_identity(&domain)
        .send()
        .await
        .expect("the sender's domain becomes an identity");
    admin
        .create_configuration_set()
        .configuration_set_name(configuration_set(&domain))
        .send()
        .await
        .expect("the configuration set is created");
    let (log, wire) = (CallLog::default(), Wire::default());
    let client = aws_sdk_sesv2::Client::from_conf(
        aws_sdk_sesv2::config::Builder::from(&sdk)
            .interceptor(log.clone())
            .interceptor(wire.clone())
            .build(),
    );
    (SesMailer::new(client, sender), log, wire)
}

/// The email of a fresh invitation of `to` to `workgroup`, sent by "Ada & <Co>" as manager,
/// carrying a real accept link.
fn email(to: &str, workgroup: &str, locale: Locale, occasion: Occasion) -> Email {
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
    let (invitation, token) = Invitation::issue(&workgroup, EmailAddress::parse(to).unwrap(), send);
    let link = AcceptLinks::new("https://invitations.test")
        .unwrap()
        .accept(&token);
    invitation_email(&invitation, &link, occasion)
}

/// The messages moto recorded for `to`.
fn received(to: &str) -> Vec<Value> {
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

/// The one message moto recorded for `to`.
fn the_message_to(to: &str) -> Value {
    let mut messages = received(to);
    assert_eq!(messages.len(), 1, "messages to {to}: {messages:?}");
    messages.remove(0)
}

fn utf8(data: &str) -> Value {
    json!({ "Data": data, "Charset": "UTF-8" })
}

#[tokio::test]
async fn an_english_invitation_reaches_ses_with_its_subject_link_and_escaped_names() {
    let (mailer, log, wire) = mailer("Workgroup invitations <invitations@mail-en.example>").await;
    let to = "ann@en.example.com";
    let email = email(
        to,
        "Acme <script>alert(1)</script> & Co",
        Locale::En,
        Occasion::Invitation,
    );
    mailer.send(&email).await.expect("SES accepts it");

    let message = the_message_to(to);
    assert_eq!(message["id"], wire.message_ids()[0].as_str());
    assert_eq!(
        message["source"],
        "\"Workgroup invitations\" <invitations@mail-en.example>"
    );
    assert_eq!(message["destinations"], json!({ "ToAddresses": [to] }));
    assert_eq!(
        message["subject"],
        "You are invited to join the workgroup Acme <script>alert(1)</script> & Co",
        "a subject is plain text: nothing in it is escaped"
    );
    let body = message["body"].as_str().unwrap();
    assert_eq!(body, email.html, "moto keeps the HTML part");
    assert!(body.contains(&escape_html(&email.accept_link)));
    assert!(body.contains("Acme &lt;script&gt;alert(1)&lt;/script&gt; &amp; Co"));
    assert!(!body.contains("<script>"));
    assert!(body.contains("Ada &amp; &lt;Co&gt;"));
    assert!(body.contains("Manager"));

    let request = &wire.requests()[0];
    assert_eq!(
        request["FromEmailAddress"],
        "\"Workgroup invitations\" <invitations@mail-en.example>"
    );
    assert_eq!(request["Destination"], json!({ "ToAddresses": [to] }));
    assert_eq!(
        request["Content"],
        json!({ "Simple": {
            "Subject": utf8(&email.subject),
            "Body": { "Text": utf8(&email.text), "Html": utf8(&email.html) },
        }})
    );
    assert!(email.text.contains(&email.accept_link));
    assert!(email.text.contains("Acme <script>alert(1)</script> & Co"));
    assert_eq!(
        request["ConfigurationSetName"],
        configuration_set("mail-en.example")
    );
    // The tags SES's bounce and complaint events carry back: which send of which invitation.
    let reference = &email.reference;
    assert_eq!(
        request["EmailTags"],
        json!([
            { "Name": "purpose", "Value": "invitation" },
            { "Name": "workgroup", "Value": reference.workgroup.as_str() },
            { "Name": "invitation", "Value": reference.invitation.as_str() },
            { "Name": "send", "Value": reference.send },
        ])
    );
    assert_eq!(
        reference.send.len(),
        16,
        "a 64-bit fingerprint, not the nonce"
    );

    assert_eq!(
        log.take(),
        [Call {
            service: "SESv2".into(),
            operation: "SendEmail".into()
        }]
    );
}

#[tokio::test]
async fn a_japanese_invitation_reaches_ses_in_japanese() {
    let (mailer, _, wire) = mailer("invitations@mail-ja.example").await;
    let to = "ken@ja.example.com";
    let email = email(to, "東京サポート", Locale::Ja, Occasion::Invitation);
    mailer.send(&email).await.expect("SES accepts it");

    let message = the_message_to(to);
    assert_eq!(message["source"], "invitations@mail-ja.example");
    assert_eq!(message["subject"], "ワークグループ「東京サポート」への招待");
    let body = message["body"].as_str().unwrap();
    assert_eq!(body, email.html);
    assert!(body.contains("「マネージャー」の役割のエージェントとして招待されました"));
    assert!(body.contains("2026年12月22日"), "the expiry, 30 days on");
    assert!(body.contains(&escape_html(&email.accept_link)));
    let text = &wire.requests()[0]["Content"]["Simple"]["Body"]["Text"];
    assert_eq!(*text, utf8(&email.text));
    assert!(email.text.contains(&email.accept_link));
}

#[tokio::test]
async fn reminders_reach_ses_with_the_reminder_subject_in_either_language() {
    let (mailer, _, _) = mailer("Invitations <invitations@mail-remind.example>").await;
    let cases = [
        (
            Locale::En,
            "eve@remind.example.com",
            "Reminder: your invitation to Night shift expires soon",
            "Your invitation expires in 3 days.",
        ),
        (
            Locale::Ja,
            "yui@remind.example.com",
            "リマインダー: ワークグループ「Night shift」への招待の有効期限が近づいています",
            "招待の有効期限まであと 3 日です。",
        ),
    ];
    for (locale, to, subject, lead) in cases {
        let email = email(
            to,
            "Night shift",
            locale,
            Occasion::Reminder { days_before: 3 },
        );
        mailer.send(&email).await.expect("SES accepts it");
        let message = the_message_to(to);
        assert_eq!(message["subject"], subject, "{locale:?}");
        let body = message["body"].as_str().unwrap();
        assert!(body.contains(lead), "{locale:?}: {body}");
        assert!(
            body.contains(&escape_html(&email.accept_link)),
            "{locale:?}"
        );
    }
}

#[tokio::test]
async fn a_japanese_sender_name_reaches_ses_as_encoded_words() {
    let (mailer, _, wire) = mailer("ワークグループ招待 <invitations@mail-name.example>").await;
    let to = "sam@name.example.com";
    mailer
        .send(&email(to, "Names", Locale::Ja, Occasion::Invitation))
        .await
        .expect("SES accepts an encoded display name");
    let source = the_message_to(to)["source"].as_str().unwrap().to_owned();
    assert_eq!(
        source,
        "=?UTF-8?B?44Ov44O844Kv44Kw44Or44O844OX5oub5b6F?= <invitations@mail-name.example>"
    );
    assert_eq!(wire.requests()[0]["FromEmailAddress"], source.as_str());
}

#[tokio::test]
async fn a_refused_email_becomes_a_mail_error_that_carries_neither_body_nor_link() {
    let sdk = moto().sdk_config().await;
    let unverified = SesMailer::new(
        aws_sdk_sesv2::Client::new(&sdk),
        Sender::parse("nobody@unverified.example").unwrap(),
    );
    let email = email(
        "zed@example.com",
        "Project Falcon",
        Locale::En,
        Occasion::Invitation,
    );
    let token = email.accept_link.rsplit_once('=').unwrap().1;
    let error = unverified
        .send(&email)
        .await
        .expect_err("moto rejects unverified senders");

    let sdk_error = std::error::Error::source(&error)
        .and_then(|e| e.downcast_ref::<SdkError<SendEmailError>>())
        .expect("the SDK error is kept as the source");
    assert!(
        sdk_error
            .as_service_error()
            .is_some_and(SendEmailError::is_message_rejected),
        "{sdk_error:?}"
    );
    let text = error_chain(&error);
    assert!(
        text.starts_with("failed to send an email with SES: "),
        "{text}"
    );
    assert!(text.contains("MessageRejected"), "{text}");
    for shown in [text, format!("{error:?}")] {
        assert!(!shown.contains(token), "{shown}");
        assert!(!shown.contains("Project Falcon"), "{shown}");
        assert!(!shown.contains("invited you"), "{shown}");
    }
    assert!(received("zed@example.com").is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_sends_each_arrive_exactly_once() {
    let (mailer, log, wire) = mailer("invitations@mail-many.example").await;
    let emails: Vec<Email> = (0..10)
        .map(|i| {
            email(
                &format!("person{i}@many.example.com"),
                "Many",
                Locale::En,
                Occasion::Invitation,
            )
        })
        .collect();
    let results = join_all(emails.iter().map(|e| mailer.send(e))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");

    let returned: BTreeSet<String> = wire.message_ids().into_iter().collect();
    assert_eq!(returned.len(), 10, "ten distinct message ids");
    let mut recorded = BTreeSet::new();
    for email in &emails {
        let message = the_message_to(email.to.as_str());
        assert_eq!(message["body"], email.html.as_str(), "{}", email.to);
        recorded.insert(message["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(
        recorded, returned,
        "moto holds exactly the messages SES answered for"
    );

    let calls = log.take();
    assert_eq!(calls.len(), 10, "{calls:?}");
    assert!(
        calls
            .iter()
            .all(|c| c.service == "SESv2" && c.operation == "SendEmail"),
        "{calls:?}"
    );
}
