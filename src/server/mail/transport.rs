//! Where emails go (R19): an SMTP server through lettre when `ROSTER_SMTP_URL`
//! is set, otherwise `.eml` files in the mail folder (and the link in the log).

use lettre::{
    message::{header::ContentType, Mailbox, MultiPart, SinglePart},
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
                .map(|builder| Mailer::Smtp(builder.build()))
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
        let message = match build_message(from, to, subject, text, html) {
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

fn build_message(
    from: &str,
    to: &str,
    subject: &str,
    text: &str,
    html: &str,
) -> Result<Message, String> {
    let from: Mailbox = format!("Roster <{from}>")
        .parse()
        .map_err(|e| format!("bad sender address: {e}"))?;
    let to: Mailbox = to
        .parse()
        .map_err(|e| format!("bad recipient address: {e}"))?;
    Message::builder()
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

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
