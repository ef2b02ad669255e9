//! Invitation and reminder emails, rendered by pure functions in English or Japanese.

use std::fmt::Write;

use crate::{
    address::EmailAddress, clock::Timestamp, delivery::Occasion, invitation::Invitation,
    locale::Locale, role::Role, secret::InvitationToken,
};

/// One email, ready for any mail service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    pub to: EmailAddress,
    /// One line, free of control characters.
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The accept link the email carries (the local outbox prints it).
    pub accept_link: String,
    /// Which send of which invitation this email is, for reports that come back about it
    /// (bounces, complaints). Identifiers only: nothing here is secret.
    pub reference: MailReference,
}

/// Names one send of one invitation in a mail service's reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailReference {
    pub workgroup: crate::ids::WorkgroupId,
    pub invitation: crate::ids::InvitationId,
    /// [`crate::secret::SendNonce::fingerprint`] of the send.
    pub send: String,
}

impl MailReference {
    pub fn of(invitation: &Invitation) -> Self {
        Self {
            workgroup: invitation.workgroup.id.clone(),
            invitation: invitation.id.clone(),
            send: invitation.nonce.fingerprint(),
        }
    }
}

/// Builds accept links: the token travels in the fragment, so it reaches no server log and no
/// Referer header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptLinks {
    base: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the app base URL must start with http:// or https:// and carry no query or fragment")]
pub struct BadBaseUrl;

impl AcceptLinks {
    pub fn new(base_url: &str) -> Result<Self, BadBaseUrl> {
        let base = base_url.trim().trim_end_matches('/');
        let scheme_ok = base.starts_with("https://") || base.starts_with("http://");
        let has_host = base
            .split("://")
            .nth(1)
            .is_some_and(|rest| !rest.is_empty());
        if !scheme_ok || !has_host || base.contains(['?', '#', ' ', '"', '<', '>']) {
            return Err(BadBaseUrl);
        }
        Ok(Self {
            base: base.to_owned(),
        })
    }

    pub fn accept(&self, token: &InvitationToken) -> String {
        format!("{}/accept#token={}", self.base, token.expose())
    }
}

/// Renders the email for `invitation`, carrying `link`, in the invitation's language.
pub fn invitation_email(invitation: &Invitation, link: &str, occasion: Occasion) -> Email {
    let texts = Texts::for_locale(invitation.locale());
    let workgroup = invitation.workgroup.name.as_str();
    let inviter = invitation.invited_by.name.as_str();
    let role = texts.role(invitation.role);
    let expires = texts.date(invitation.expires_at());
    let subject = match occasion {
        Occasion::Invitation => texts.subject(workgroup),
        Occasion::Reminder { .. } => texts.reminder_subject(workgroup),
    };
    let mut paragraphs = Vec::new();
    if let Occasion::Reminder { days_before } = occasion {
        paragraphs.push(texts.reminder_lead(days_before));
    }
    paragraphs.push(texts.invited(
        inviter,
        invitation.invited_by.email.as_str(),
        workgroup,
        role,
    ));
    paragraphs.push(texts.expires(&expires));

    let mut text = String::new();
    for p in &paragraphs {
        let _ = write!(text, "{p}\n\n");
    }
    let _ = write!(
        text,
        "{}\n{link}\n\n{}\n",
        texts.open_link(),
        texts.ignore()
    );

    let mut html =
        String::from("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head><body>\n");
    for p in &paragraphs {
        let _ = writeln!(html, "<p>{}</p>", escape_html(p));
    }
    let _ = writeln!(
        html,
        "<p><a href=\"{href}\">{label}</a></p>\n<p>{open}<br>{href}</p>\n<p>{ignore}</p>\n</body></html>",
        href = escape_html(link),
        label = escape_html(texts.button()),
        open = escape_html(texts.open_link()),
        ignore = escape_html(texts.ignore()),
    );

    Email {
        to: invitation.email.clone(),
        subject: one_line(&subject),
        text,
        html,
        accept_link: link.to_owned(),
        reference: MailReference::of(invitation),
    }
}

/// Escapes text for HTML element content and double-quoted attributes.
pub fn escape_html(input: &str) -> String {
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Control characters (CR and LF above all) become spaces: nothing typed can add a header.
fn one_line(input: &str) -> String {
    input
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

enum Texts {
    En,
    Ja,
}

impl Texts {
    fn for_locale(locale: Locale) -> Self {
        match locale {
            Locale::En => Texts::En,
            Locale::Ja => Texts::Ja,
        }
    }

    fn role(&self, role: Role) -> &'static str {
        match (self, role) {
            (Texts::En, Role::Administrator) => "Administrator",
            (Texts::En, Role::Manager) => "Manager",
            (Texts::En, Role::Associate) => "Associate",
            (Texts::En, Role::Inactive) => "Inactive",
            (Texts::Ja, Role::Administrator) => "管理者",
            (Texts::Ja, Role::Manager) => "マネージャー",
            (Texts::Ja, Role::Associate) => "アソシエイト",
            (Texts::Ja, Role::Inactive) => "非アクティブ",
        }
    }

    fn date(&self, at: Timestamp) -> String {
        match self {
            Texts::En => at.format("%-d %B %Y, %H:%M UTC").to_string(),
            Texts::Ja => at.format("%Y年%-m月%-d日 %H:%M (UTC)").to_string(),
        }
    }

    fn subject(&self, workgroup: &str) -> String {
        match self {
            Texts::En => format!("You are invited to join the workgroup {workgroup}"),
            Texts::Ja => format!("ワークグループ「{workgroup}」への招待"),
        }
    }

    fn reminder_subject(&self, workgroup: &str) -> String {
        match self {
            Texts::En => format!("Reminder: your invitation to {workgroup} expires soon"),
            Texts::Ja => format!(
                "リマインダー: ワークグループ「{workgroup}」への招待の有効期限が近づいています"
            ),
        }
    }

    fn reminder_lead(&self, days: u16) -> String {
        match (self, days) {
            (Texts::En, 1) => "Your invitation expires in 1 day.".to_owned(),
            (Texts::En, _) => format!("Your invitation expires in {days} days."),
            (Texts::Ja, _) => format!("招待の有効期限まであと {days} 日です。"),
        }
    }

    fn invited(&self, inviter: &str, inviter_email: &str, workgroup: &str, role: &str) -> String {
        match self {
            Texts::En => format!(
                "{inviter} ({inviter_email}) invited you to join the workgroup {workgroup} as an agent with the role {role}."
            ),
            Texts::Ja => format!(
                "{inviter} ({inviter_email}) さんから、ワークグループ「{workgroup}」に「{role}」の役割のエージェントとして招待されました。"
            ),
        }
    }

    fn expires(&self, date: &str) -> String {
        match self {
            Texts::En => format!("The invitation expires on {date}."),
            Texts::Ja => format!("この招待の有効期限は {date} です。"),
        }
    }

    fn button(&self) -> &'static str {
        match self {
            Texts::En => "Accept or decline the invitation",
            Texts::Ja => "招待を承認または拒否する",
        }
    }

    fn open_link(&self) -> &'static str {
        match self {
            Texts::En => "To accept or decline, open this link:",
            Texts::Ja => "承認または拒否するには、次のリンクを開いてください:",
        }
    }

    fn ignore(&self) -> &'static str {
        match self {
            Texts::En => "If you did not expect this invitation, you can ignore this email.",
            Texts::Ja => "この招待に心当たりがない場合は、このメールを無視してください。",
        }
    }
}
