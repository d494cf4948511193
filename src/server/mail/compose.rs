//! The invitation email (R22): plain text and HTML, the organisation's and
//! the inviter's names (escaped), the link and its expiry date.

use chrono::{TimeZone, Utc};

pub struct ComposedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

pub struct InvitationEmail<'a> {
    pub org_name: &'a str,
    pub inviter_name: &'a str,
    pub invitee_name: &'a str,
    pub link: &'a str,
    pub expires_at: i64,
    /// R27: sent by the organisation's reminder schedule, not by a person.
    pub reminder: bool,
}

pub fn invitation(email: &InvitationEmail<'_>) -> ComposedEmail {
    let expires = Utc
        .timestamp_millis_opt(email.expires_at)
        .single()
        .map(|t| t.format("%A %-d %B %Y, %H:%M UTC").to_string())
        .unwrap_or_default();
    let greeting = if email.invitee_name.is_empty() {
        "Hello".to_string()
    } else {
        format!("Hello {}", email.invitee_name)
    };
    let subject = format!(
        "{}{} invited you to join {} on Roster",
        if email.reminder { "Reminder: " } else { "" },
        one_line(email.inviter_name),
        one_line(email.org_name)
    );
    let text = format!(
        "{greeting},\n\n{inviter} invited you to join {org} on Roster.\n\n\
         Open this link to confirm your email address and set your password:\n{link}\n\n\
         The link works once and expires on {expires}. If it has expired, open it anyway: \
         you can ask for a fresh one there.\n\n\
         If you did not expect this invitation, you can ignore this email.\n",
        inviter = email.inviter_name,
        org = email.org_name,
        link = email.link,
    );
    let html = format!(
        "<!DOCTYPE html><html><body style=\"font-family:system-ui,sans-serif;color:#17202a;line-height:1.5\">\
         <p>{greeting},</p>\
         <p><strong>{inviter}</strong> invited you to join <strong>{org}</strong> on Roster.</p>\
         <p><a href=\"{link}\" style=\"display:inline-block;background:#3a4bd8;color:#fff;padding:10px 18px;\
         border-radius:8px;text-decoration:none;font-weight:600\">Accept invitation</a></p>\
         <p>Or paste this link into your browser:<br><a href=\"{link}\">{link}</a></p>\
         <p>The link works once and expires on {expires}. If it has expired, open it anyway: \
         you can ask for a fresh one there.</p>\
         <p style=\"color:#52606d\">If you did not expect this invitation, you can ignore this email.</p>\
         </body></html>",
        greeting = escape_html(&greeting),
        inviter = escape_html(email.inviter_name),
        org = escape_html(email.org_name),
        link = escape_html(email.link),
    );
    ComposedEmail {
        subject,
        text,
        html,
    }
}

pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
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

/// Header values never carry line breaks (no header injection).
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ComposedEmail {
        invitation(&InvitationEmail {
            org_name: "Acme <script>alert(1)</script>",
            inviter_name: "Bob \"Tables\" & Co",
            invitee_name: "Ada",
            link: "https://roster.example/invite/abc_DEF-123",
            expires_at: 1_768_208_400_000, // 2026-01-12 09:00 UTC
            reminder: false,
        })
    }

    #[test]
    fn r22_both_parts_carry_org_inviter_link_and_expiry() {
        let email = sample();
        for body in [&email.text, &email.html] {
            assert!(body.contains("https://roster.example/invite/abc_DEF-123"));
            assert!(body.contains("12 January 2026"));
        }
        assert!(email.text.contains("Acme <script>alert(1)</script>"));
        assert!(email.subject.contains("Bob \"Tables\" & Co"));
    }

    #[test]
    fn r22_names_are_escaped_in_html() {
        let email = sample();
        assert!(!email.html.contains("<script>"));
        assert!(email
            .html
            .contains("Acme &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(email.html.contains("Bob &quot;Tables&quot; &amp; Co"));
    }

    #[test]
    fn subject_cannot_break_headers() {
        let email = invitation(&InvitationEmail {
            org_name: "Acme\r\nBcc: victim@example.com",
            inviter_name: "Bob",
            invitee_name: "",
            link: "x",
            expires_at: 0,
            reminder: false,
        });
        assert!(!email.subject.contains('\n') && !email.subject.contains('\r'));
    }
}
