//! Where emails go (R19): an SMTP server through lettre when `ROSTER_SMTP_URL`
//! is set, otherwise `.eml` files in the mail folder (and the link in the log).
//! Both carry the same message: a `Message-ID` at the sender's domain (Gmail
//! refuses mail without one) and `Auto-Submitted: auto-generated` (RFC 3834).

use super::worker::CONCURRENCY;
use lettre::{
    message::{
        header::{ContentType, Header, HeaderName, HeaderValue},
        Mailbox, MultiPart, SinglePart,
    },
    transport::smtp::PoolConfig,
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use std::path::PathBuf;

#[derive(Clone)]
pub enum Mailer {
    /// Pooled connections; `smtp://` (add `?tls=required` for STARTTLS) or `smtps://`.
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// The outcome of one delivery attempt.
pub enum Delivery {
    Sent(String),
    /// Worth trying again later (server down, 4xx).
    Retry(String),
    /// Will never work (5xx, bad address).
    Permanent(String),
}

impl Mailer {
    pub fn from_config(smtp_url: Option<&str>, mail_dir: PathBuf) -> Result<Self, String> {
        match smtp_url {
            Some(url) => AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                .map(|builder| {
                    // As many connections kept as the worker sends at once:
                    // lettre keeps 10 by default, so 6 of 16 were closed
                    // after each batch and opened again for the next.
                    let pool = PoolConfig::new().max_size(CONCURRENCY as u32);
                    Mailer::Smtp(builder.pool_config(pool).build())
                })
                .map_err(|e| format!("ROSTER_SMTP_URL: {e}")),
            None => Ok(Mailer::Files(mail_dir)),
        }
    }

    pub async fn deliver(
        &self,
        from: &str,
        to: &str,
        subject: &str,
        text: &str,
        html: &str,
        id: &str,
    ) -> Delivery {
        let message = match build_message(from, to, subject, text, html, id) {
            Ok(message) => message,
            Err(reason) => return Delivery::Permanent(reason),
        };
        match self {
            Mailer::Smtp(transport) => match transport.send(message).await {
                Ok(response) => {
                    let reply = format!(
                        "{} {}",
                        response.code(),
                        response.message().collect::<Vec<_>>().join(" ")
                    );
                    Delivery::Sent(reply.trim().to_string())
                }
                Err(e) if e.is_permanent() => Delivery::Permanent(error_chain(&e)),
                Err(e) => Delivery::Retry(error_chain(&e)),
            },
            Mailer::Files(dir) => {
                let path = dir.join(format!(
                    "{}-{id}.eml",
                    chrono::Utc::now().format("%Y%m%dT%H%M%S%.3f")
                ));
                let written = async {
                    tokio::fs::create_dir_all(dir).await?;
                    tokio::fs::write(&path, message.formatted()).await
                };
                match written.await {
                    Ok(()) => {
                        tracing::info!(to, file = %path.display(), "email written (no SMTP server configured): {}", first_link(text));
                        Delivery::Sent(format!("written to {}", path.display()))
                    }
                    Err(e) => Delivery::Retry(format!("could not write {}: {e}", path.display())),
                }
            }
        }
    }
}

/// `Auto-Submitted: auto-generated` (RFC 3834): sent by a program, so
/// auto-responders (out-of-office, vacation) do not answer it.
#[derive(Clone)]
struct AutoSubmitted;

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        if s.trim().eq_ignore_ascii_case("auto-generated") {
            Ok(AutoSubmitted)
        } else {
            Err(format!("unexpected Auto-Submitted value: {s}").into())
        }
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), "auto-generated".to_string())
    }
}

/// `<{outbox id}@{sender's domain}>`: unique per email (the id is a random
/// UUID) and the same on every retry of that email, so a receiver that got
/// an attempt the worker thinks failed can recognise the duplicate.
pub fn message_id(outbox_id: &str, sender: &Mailbox) -> String {
    format!("<{outbox_id}@{}>", sender.email.domain())
}

pub fn build_message(
    from: &str,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
    id: &str,
) -> Result<Message, String> {
    let from: Mailbox = format!("Roster <{from}>")
        .parse()
        .map_err(|e| format!("bad sender address: {e}"))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("bad recipient address: {e}"))?;
    Message::builder()
        .message_id(Some(message_id(id, &from)))
        .header(AutoSubmitted)
        .from(from)
        .to(to)
        .subject(subject)
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(text.to_string()),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(html.to_string()),
                ),
        )
        .map_err(|e| format!("could not build the message: {e}"))
}

fn first_link(text: &str) -> &str {
    text.split_whitespace()
        .find(|w| w.starts_with("http"))
        .unwrap_or("")
}

/// The error and its causes, each once: lettre's errors already end with
/// their source ("transient error (451): Try again later"), which would
/// otherwise show twice in the history a manager reads.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.ends_with(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn formatted(from: &str, id: &str) -> String {
        let message = build_message(from, "ada@example.com", "Hi", "text", "<p>html</p>", id)
            .expect("a message");
        String::from_utf8(message.formatted()).unwrap()
    }

    fn header<'a>(raw: &'a str, name: &str) -> Option<&'a str> {
        raw.lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(": "))
    }

    #[test]
    fn r22_message_id_is_at_the_sender_domain_and_stable_per_outbox_row() {
        let id = "0b7c1d52-7a43-4d0e-9a55-3f1f0a3c2b11";
        let raw = formatted("roster@roster.example.org", id);
        assert_eq!(
            header(&raw, "Message-ID"),
            Some("<0b7c1d52-7a43-4d0e-9a55-3f1f0a3c2b11@roster.example.org>"),
            "{raw}"
        );
        // A retry of the same outbox row builds the same Message-ID; another row, another.
        let again = formatted("roster@roster.example.org", id);
        assert_eq!(header(&again, "Message-ID"), header(&raw, "Message-ID"));
        let other = formatted("roster@roster.example.org", "another-id");
        assert_ne!(header(&other, "Message-ID"), header(&raw, "Message-ID"));
    }

    /// An error with a cause; lettre's put the cause's text in their own.
    #[derive(Debug)]
    struct Wrapped(&'static str, std::io::Error);

    impl std::fmt::Display for Wrapped {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Wrapped {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.1)
        }
    }

    #[test]
    fn r21_a_reason_names_each_cause_once() {
        let busy = || std::io::Error::other("Try again later");
        let lettre_like = Wrapped("transient error (451): Try again later", busy());
        assert_eq!(
            error_chain(&lettre_like),
            "transient error (451): Try again later"
        );
        let plain = Wrapped("could not connect", busy());
        assert_eq!(error_chain(&plain), "could not connect: Try again later");
    }

    #[test]
    fn r22_marked_auto_generated() {
        let raw = formatted("roster@roster.example.org", "x");
        assert_eq!(
            header(&raw, "Auto-Submitted"),
            Some("auto-generated"),
            "{raw}"
        );
    }
}
