//! Invitation and reminder emails, rendered without any mail service, and accept links.

use chrono::{TimeZone, Utc};
use domain::{
    address::EmailAddress,
    clock::Timestamp,
    delivery::Occasion,
    ids::{AgentId, WorkgroupId},
    invitation::{Invitation, Inviter, Send},
    locale::Locale,
    message::{AcceptLinks, BadBaseUrl, Email, escape_html, invitation_email},
    people::{DisplayName, Workgroup, WorkgroupName},
    role::Role,
    secret::{InvitationToken, SecretKey},
};

const BASE_URL: &str = "https://app.example.com";
const HOSTILE_WORKGROUP: &str = "Acme <script>alert(\"hi\")</script> & 'Sons'";
const HOSTILE_INVITER: &str = "Bob \"The Boss\" <b>O'Neil</b> & co";

fn t0() -> Timestamp {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

struct Fixture {
    workgroup: &'static str,
    inviter: &'static str,
    role: Role,
    locale: Locale,
}

impl Default for Fixture {
    fn default() -> Self {
        Self {
            workgroup: "Support desk",
            inviter: "Alice Smith",
            role: Role::Manager,
            locale: Locale::En,
        }
    }
}

impl Fixture {
    /// The invitation, sent at [`t0`], and its accept link.
    fn invitation(&self) -> (Invitation, String) {
        let key = SecretKey::from_bytes([3; 32]);
        let workgroup = Workgroup {
            id: WorkgroupId::generate(),
            name: WorkgroupName::parse(self.workgroup).unwrap(),
            locale: self.locale,
        };
        let (invitation, token) = Invitation::issue(
            &workgroup,
            EmailAddress::parse("ann@example.com").unwrap(),
            Send {
                by: Inviter {
                    id: AgentId::generate(),
                    email: EmailAddress::parse("alice@example.com").unwrap(),
                    name: DisplayName::parse(self.inviter).unwrap(),
                },
                role: self.role,
                locale: None,
                now: t0(),
                key: &key,
            },
        );
        (invitation, links().accept(&token))
    }

    fn email(&self, occasion: Occasion) -> Email {
        let (invitation, link) = self.invitation();
        invitation_email(&invitation, &link, occasion)
    }
}

fn links() -> AcceptLinks {
    AcceptLinks::new(BASE_URL).unwrap()
}

fn token() -> InvitationToken {
    InvitationToken::parse("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap()
}

/// Every `href="…"` value in the HTML.
fn hrefs(html: &str) -> Vec<&str> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(href, _)| href))
        .collect()
}

/// Every line of the text that is a link.
fn text_links(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|line| line.starts_with("https://"))
        .collect()
}

#[test]
fn an_english_invitation_names_the_workgroup_the_inviter_the_role_and_the_expiry() {
    let email = Fixture::default().email(Occasion::Invitation);
    assert_eq!(email.to.as_str(), "ann@example.com");
    assert_eq!(
        email.subject,
        "You are invited to join the workgroup Support desk"
    );
    for (part, what) in [
        ("Support desk", "the workgroup"),
        ("Alice Smith", "the inviter"),
        ("alice@example.com", "the inviter's address"),
        ("Manager", "the role"),
        (
            "31 March 2025, 09:00 UTC",
            "the expiry, 30 days after sending",
        ),
    ] {
        assert!(
            email.text.contains(part),
            "text lacks {what}:\n{}",
            email.text
        );
        assert!(
            email.html.contains(part),
            "HTML lacks {what}:\n{}",
            email.html
        );
    }
}

#[test]
fn a_japanese_invitation_names_the_same_things_in_japanese() {
    let email = Fixture {
        locale: Locale::Ja,
        ..Fixture::default()
    }
    .email(Occasion::Invitation);
    assert_eq!(email.subject, "ワークグループ「Support desk」への招待");
    for (part, what) in [
        ("ワークグループ「Support desk」", "the workgroup"),
        ("Alice Smith", "the inviter"),
        ("alice@example.com", "the inviter's address"),
        ("「マネージャー」", "the role"),
        (
            "2025年3月31日 09:00 (UTC)",
            "the expiry, 30 days after sending",
        ),
        ("招待", "the word invitation"),
    ] {
        assert!(
            email.text.contains(part),
            "text lacks {what}:\n{}",
            email.text
        );
        assert!(
            email.html.contains(part),
            "HTML lacks {what}:\n{}",
            email.html
        );
    }
    assert!(!email.text.contains("invited you"), "no English left");
}

#[test]
fn every_role_is_named_in_the_language_of_the_email() {
    let cases = [
        (Role::Administrator, "Administrator", "管理者"),
        (Role::Manager, "Manager", "マネージャー"),
        (Role::Associate, "Associate", "アソシエイト"),
        (Role::Inactive, "Inactive", "非アクティブ"),
    ];
    for (role, english, japanese) in cases {
        let en = Fixture {
            role,
            ..Fixture::default()
        }
        .email(Occasion::Invitation);
        assert!(
            en.text.contains(&format!("with the role {english}.")),
            "{role} in English:\n{}",
            en.text
        );
        let ja = Fixture {
            role,
            locale: Locale::Ja,
            ..Fixture::default()
        }
        .email(Occasion::Invitation);
        assert!(
            ja.text.contains(&format!("「{japanese}」")),
            "{role} in Japanese:\n{}",
            ja.text
        );
    }
}

#[test]
fn the_language_asked_for_on_invite_wins_over_the_workgroups() {
    let (mut invitation, link) = Fixture::default().invitation();
    invitation.locale = Some(Locale::Ja);
    let email = invitation_email(&invitation, &link, Occasion::Invitation);
    assert!(email.subject.contains("招待"), "{}", email.subject);
}

#[test]
fn the_text_and_the_html_carry_the_same_accept_link() {
    for locale in [Locale::En, Locale::Ja] {
        for occasion in [Occasion::Invitation, Occasion::Reminder { days_before: 7 }] {
            let (invitation, link) = Fixture {
                locale,
                ..Fixture::default()
            }
            .invitation();
            let email = invitation_email(&invitation, &link, occasion);
            assert_eq!(email.accept_link, link);
            assert_eq!(text_links(&email.text), [link.as_str()], "{locale:?}");
            assert_eq!(hrefs(&email.html), [link.as_str()], "{locale:?}");
            assert!(
                email.html.contains(&format!("<br>{link}</p>")),
                "the link is also shown as text in the HTML"
            );
        }
    }
}

#[test]
fn text_typed_by_users_is_escaped_in_the_html() {
    for locale in [Locale::En, Locale::Ja] {
        let email = Fixture {
            workgroup: HOSTILE_WORKGROUP,
            inviter: HOSTILE_INVITER,
            locale,
            ..Fixture::default()
        }
        .email(Occasion::Invitation);
        for raw in [
            "<script>",
            "</script>",
            "<b>",
            "\"The Boss\"",
            "O'Neil",
            "& co",
        ] {
            assert!(
                !email.html.contains(raw),
                "{locale:?}: HTML carries {raw} raw:\n{}",
                email.html
            );
        }
        for escaped in [
            "Acme &lt;script&gt;alert(&quot;hi&quot;)&lt;/script&gt; &amp; &#39;Sons&#39;",
            "Bob &quot;The Boss&quot; &lt;b&gt;O&#39;Neil&lt;/b&gt; &amp; co",
        ] {
            assert!(
                email.html.contains(escaped),
                "{locale:?}: HTML lacks {escaped}:\n{}",
                email.html
            );
        }
        assert!(
            email.text.contains(HOSTILE_WORKGROUP) && email.text.contains(HOSTILE_INVITER),
            "plain text shows the names as typed"
        );
        assert_eq!(email.html.matches("<script").count(), 0);
    }
}

#[test]
fn escaping_covers_the_five_html_special_characters() {
    assert_eq!(
        escape_html(r#"<a href="x">Tom & 'Jerry'</a>"#),
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;"
    );
    assert_eq!(escape_html("日本語 plain"), "日本語 plain");
    assert_eq!(escape_html("&amp;"), "&amp;amp;");
}

#[test]
fn the_subject_is_one_line_whatever_the_workgroup_is_called() {
    for workgroup in [HOSTILE_WORKGROUP, "Support desk", "日本語のワークグループ"] {
        for locale in [Locale::En, Locale::Ja] {
            for occasion in [Occasion::Invitation, Occasion::Reminder { days_before: 1 }] {
                let email = Fixture {
                    workgroup,
                    locale,
                    ..Fixture::default()
                }
                .email(occasion);
                assert!(
                    !email.subject.chars().any(char::is_control),
                    "{:?}",
                    email.subject
                );
                assert!(email.subject.contains(workgroup), "{}", email.subject);
            }
        }
    }
}

#[test]
fn names_that_could_break_a_header_never_reach_an_email() {
    let cases = [
        "Acme\r\nBcc: eve@example.com",
        "Acme\nX-Evil: 1",
        "Acme\u{0}",
        "Acme\u{7f}",
        "tab\there",
        "line\u{2028}separator",
        "paragraph\u{2029}separator",
        "bidi \u{202E}override",
        "isolate \u{2066}text",
    ];
    for name in cases {
        assert!(WorkgroupName::parse(name).is_err(), "{name:?}");
        assert!(DisplayName::parse(name).is_err(), "{name:?}");
    }
}

#[test]
fn a_reminder_says_how_many_days_are_left() {
    let cases = [
        (Locale::En, 7, "Your invitation expires in 7 days."),
        (Locale::En, 1, "Your invitation expires in 1 day."),
        (Locale::Ja, 7, "招待の有効期限まであと 7 日です。"),
        (Locale::Ja, 1, "招待の有効期限まであと 1 日です。"),
    ];
    for (locale, days_before, lead) in cases {
        let email = Fixture {
            locale,
            ..Fixture::default()
        }
        .email(Occasion::Reminder { days_before });
        assert!(email.text.contains(lead), "{locale:?}:\n{}", email.text);
        assert!(email.html.contains(lead), "{locale:?}:\n{}", email.html);
        assert!(email.text.contains("Support desk"));
        assert!(!email.text.contains("{"), "no unfilled placeholder");
    }
}

#[test]
fn a_reminder_has_its_own_subject() {
    let fixture = Fixture::default();
    let reminder = fixture.email(Occasion::Reminder { days_before: 7 });
    assert_eq!(
        reminder.subject,
        "Reminder: your invitation to Support desk expires soon"
    );
    assert_ne!(
        reminder.subject,
        fixture.email(Occasion::Invitation).subject
    );
    let ja = Fixture {
        locale: Locale::Ja,
        ..Fixture::default()
    }
    .email(Occasion::Reminder { days_before: 7 });
    assert!(ja.subject.starts_with("リマインダー"), "{}", ja.subject);
}

#[test]
fn an_invitation_email_does_not_mention_a_reminder() {
    let email = Fixture::default().email(Occasion::Invitation);
    assert!(!email.text.contains("expires in"), "{}", email.text);
}

#[test]
fn the_accept_link_carries_the_token_in_its_fragment() {
    let token = token();
    let link = links().accept(&token);
    assert_eq!(
        link,
        format!("https://app.example.com/accept#token={}", token.expose())
    );
    let (before_fragment, fragment) = link.split_once('#').unwrap();
    assert!(!before_fragment.contains(token.expose()));
    assert!(!before_fragment.contains('?'));
    assert_eq!(fragment, format!("token={}", token.expose()));
}

#[test]
fn accept_links_follow_the_base_url_given() {
    let token = token();
    let cases = [
        (
            "https://app.example.com/",
            "https://app.example.com/accept",
            "a trailing slash",
        ),
        (
            " https://app.example.com ",
            "https://app.example.com/accept",
            "blanks around",
        ),
        (
            "https://example.com/invites//",
            "https://example.com/invites/accept",
            "a path with trailing slashes",
        ),
        (
            "http://127.0.0.1:3000",
            "http://127.0.0.1:3000/accept",
            "a local server",
        ),
    ];
    for (base, page, case) in cases {
        let link = AcceptLinks::new(base)
            .unwrap_or_else(|_| panic!("{case}"))
            .accept(&token);
        assert_eq!(link, format!("{page}#token={}", token.expose()), "{case}");
    }
}

#[test]
fn bad_base_urls_are_refused() {
    let cases = [
        ("", "empty"),
        ("app.example.com", "no scheme"),
        ("ftp://app.example.com", "another scheme"),
        ("javascript:alert(1)", "a script"),
        ("https://", "no host"),
        ("https:///", "only slashes"),
        ("https://app.example.com?x=1", "a query"),
        ("https://app.example.com/#top", "a fragment"),
        ("https://app example.com", "a space"),
        ("https://app.example.com/\"onmouseover=\"x", "a quote"),
        ("https://app.example.com/<b>", "angle brackets"),
        ("HTTPS//app.example.com", "a malformed scheme"),
    ];
    for (base, case) in cases {
        assert_eq!(AcceptLinks::new(base), Err(BadBaseUrl), "{case}: {base:?}");
    }
}

#[test]
fn locales_parse_from_their_codes() {
    let cases = [
        ("en", Locale::En),
        ("ja", Locale::Ja),
        ("JA", Locale::Ja),
        (" en ", Locale::En),
    ];
    for (input, expected) in cases {
        assert_eq!(input.parse::<Locale>(), Ok(expected), "{input:?}");
    }
    for input in ["", "fr", "en-US", "japanese"] {
        assert!(input.parse::<Locale>().is_err(), "{input:?}");
    }
    assert_eq!(Locale::default(), Locale::En);
    assert_eq!(serde_json::to_string(&Locale::Ja).unwrap(), "\"ja\"");
}
