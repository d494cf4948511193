//! Webhooks (Step 10): the events an endpoint can ask for, and endpoints and
//! deliveries as Platform Settings lists them.

use serde::{Deserialize, Serialize};

/// What happened. The names are the `type` of each delivery's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebhookEvent {
    #[serde(rename = "invitation.created")]
    InvitationCreated,
    #[serde(rename = "invitation.resent")]
    InvitationResent,
    #[serde(rename = "invitation.accepted")]
    InvitationAccepted,
    #[serde(rename = "invitation.expired")]
    InvitationExpired,
    #[serde(rename = "invitation.revoked")]
    InvitationRevoked,
    #[serde(rename = "email.failed")]
    EmailFailed,
}

impl WebhookEvent {
    pub const ALL: [WebhookEvent; 6] = [
        WebhookEvent::InvitationCreated,
        WebhookEvent::InvitationResent,
        WebhookEvent::InvitationAccepted,
        WebhookEvent::InvitationExpired,
        WebhookEvent::InvitationRevoked,
        WebhookEvent::EmailFailed,
    ];

    pub fn name(self) -> &'static str {
        match self {
            WebhookEvent::InvitationCreated => "invitation.created",
            WebhookEvent::InvitationResent => "invitation.resent",
            WebhookEvent::InvitationAccepted => "invitation.accepted",
            WebhookEvent::InvitationExpired => "invitation.expired",
            WebhookEvent::InvitationRevoked => "invitation.revoked",
            WebhookEvent::EmailFailed => "email.failed",
        }
    }

    /// When it is sent, in the settings form's words.
    pub fn description(self) -> &'static str {
        match self {
            WebhookEvent::InvitationCreated => "Someone was invited (one by one, in bulk or by the API).",
            WebhookEvent::InvitationResent => "An invitation email was sent again: by a manager, a reminder, or the invitee asking for a fresh link.",
            WebhookEvent::InvitationAccepted => "An invitee registered.",
            WebhookEvent::InvitationExpired => "An invitation's link expired before it was used.",
            WebhookEvent::InvitationRevoked => "An invitation was revoked.",
            WebhookEvent::EmailFailed => "An invitation email could not be delivered, after every retry.",
        }
    }

    pub fn from_name(name: &str) -> Option<WebhookEvent> {
        WebhookEvent::ALL.into_iter().find(|e| e.name() == name)
    }
}

/// The `type` of what "Send test event" sends: to one endpoint, on demand.
pub const TEST_EVENT: &str = "webhook.test";

/// Events as stored: names separated by spaces, in `ALL`'s order.
pub fn events_to_text(events: &[WebhookEvent]) -> String {
    WebhookEvent::ALL
        .into_iter()
        .filter(|e| events.contains(e))
        .map(WebhookEvent::name)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The stored list back; names this version does not know are left out.
pub fn events_from_text(text: &str) -> Vec<WebhookEvent> {
    text.split_whitespace()
        .filter_map(WebhookEvent::from_name)
        .collect()
}

/// Chosen event names, as a form posts them: at least one, each known;
/// answered once each, in `ALL`'s order (as stored).
pub fn parse_chosen_events(names: &[String]) -> Result<Vec<WebhookEvent>, String> {
    let mut chosen = Vec::new();
    for name in names {
        let event = WebhookEvent::from_name(name.trim())
            .ok_or_else(|| format!("{} is not a webhook event.", name.trim()))?;
        chosen.push(event);
    }
    if chosen.is_empty() {
        return Err("Choose at least one event to send.".into());
    }
    Ok(WebhookEvent::ALL
        .into_iter()
        .filter(|e| chosen.contains(e))
        .collect())
}

/// A registered endpoint. `secret` is what receivers verify signatures
/// with; Org Managers can read it again, as they must configure it.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookEndpoint {
    pub id: String,
    pub url: String,
    pub events: Vec<WebhookEvent>,
    pub secret: String,
    pub created_by: String,
    pub created_at: i64,
}

/// Without the secret: a value printed to a log or a failed assertion.
impl std::fmt::Debug for WebhookEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebhookEndpoint")
            .field("id", &self.id)
            .field("url", &self.url)
            .field("events", &self.events)
            .field("secret", &"whsec_…")
            .field("created_by", &self.created_by)
            .field("created_at", &self.created_at)
            .finish()
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DeliveryState {
    /// Not yet tried, or to be tried again after a failure.
    Queued,
    /// The receiver answered 2xx.
    Delivered,
    /// Retried for a day without a 2xx; not tried again.
    Failed,
}

impl DeliveryState {
    pub fn from_db(text: &str) -> DeliveryState {
        match text {
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Queued,
        }
    }
}

/// One event sent (or to be sent) to one endpoint, for the recent list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub id: String,
    pub endpoint_url: String,
    pub event: String,
    pub state: DeliveryState,
    pub attempts: i64,
    pub created_at: i64,
    /// The receiver's last HTTP status; `None` if it never answered.
    pub status_code: Option<i64>,
    /// Why the last attempt failed (no answer, a timeout), if it did.
    pub error: Option<String>,
    /// The next try, while queued after a failure.
    pub next_attempt_at: Option<i64>,
}

/// The Webhooks settings page: the endpoints and the newest deliveries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookSettings {
    pub endpoints: Vec<WebhookEndpoint>,
    pub deliveries: Vec<WebhookDelivery>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_serde_agrees() {
        for event in WebhookEvent::ALL {
            assert_eq!(WebhookEvent::from_name(event.name()), Some(event));
            let json = serde_json::to_string(&event).unwrap();
            assert_eq!(json, format!("\"{}\"", event.name()));
        }
        let text = events_to_text(&[WebhookEvent::EmailFailed, WebhookEvent::InvitationCreated]);
        assert_eq!(text, "invitation.created email.failed");
        assert_eq!(
            events_from_text(&text),
            vec![WebhookEvent::InvitationCreated, WebhookEvent::EmailFailed]
        );
    }

    #[test]
    fn chosen_events_need_one_known_event() {
        assert!(parse_chosen_events(&[]).is_err());
        assert_eq!(
            parse_chosen_events(&["user.deleted".into()]).unwrap_err(),
            "user.deleted is not a webhook event."
        );
        assert_eq!(
            parse_chosen_events(&["invitation.revoked".into(), "invitation.revoked".into()])
                .unwrap(),
            vec![WebhookEvent::InvitationRevoked]
        );
    }
}
