//! Manage › Platform Settings › Webhooks (Step 10): Org Managers register
//! endpoints for chosen events, read each endpoint's signing secret, and see
//! the newest deliveries with the receiver's HTTP status. Rendered on the
//! server with plain forms: the page adds nothing to the WASM.

use super::{
    settings::{signed_in, SettingsTabs},
    widgets::{action_error, ErrorAlert},
};
use crate::api::settings::{
    get_webhook_settings, AddWebhookEndpoint, DeleteWebhookEndpoint, SendTestWebhook,
};
use crate::domain::{
    format::{exact_time, relative_time},
    webhooks::{DeliveryState, WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookSettings},
    AppError,
};
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// What the page was sent back with: a new endpoint, a deletion, or a
/// refused form's typed values.
#[derive(Clone, Default)]
struct Returned {
    added: Option<String>,
    deleted: bool,
    tested: bool,
    url: String,
    /// `None` on a first visit (every event ticked), else those ticked.
    events: Option<Vec<String>>,
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let settings = Resource::new_blocking(|| (), |_| get_webhook_settings());
    let returned = use_query_map().with_untracked(|q| Returned {
        added: q.get("added"),
        deleted: q.get("deleted").as_deref() == Some("1"),
        tested: q.get("tested").as_deref() == Some("1"),
        url: q.get("url").unwrap_or_default(),
        events: q
            .get("events")
            .map(|e| e.split_whitespace().map(str::to_string).collect()),
    });
    #[cfg(feature = "ssr")]
    let now = crate::server::now_ms();
    #[cfg(not(feature = "ssr"))]
    let now = 0;
    view! {
        <Title text="Webhooks · Platform Settings" />
        {signed_in(move |user| {
            let returned = returned.clone();
            Suspend::new(async move {
                let body = match settings.await {
                    Ok(settings) => EitherOf3::A(view! { <Webhooks settings returned now /> }),
                    Err(AppError::Forbidden) => EitherOf3::B(view! {
                        <p class="alert" role="alert">"You do not have access to the webhooks."</p>
                    }),
                    Err(error) => EitherOf3::C(view! { <p class="alert" role="alert">{error.to_string()}</p> }),
                };
                view! {
                    <div class="page">
                        <SettingsTabs org_manager=user.is_org_manager() />
                        <h1>"Webhooks"</h1>
                        {body}
                    </div>
                }
            })
        })}
    }
}

#[component]
fn Webhooks(settings: WebhookSettings, returned: Returned, now: i64) -> impl IntoView {
    let add = ServerAction::<AddWebhookEndpoint>::new();
    let refused = action_error(add);
    let notice = if returned.added.is_some() {
        Some("Endpoint added. Copy its signing secret into your receiver, then send it a test event.")
    } else if returned.deleted {
        Some("Endpoint deleted.")
    } else if returned.tested {
        Some("Test event queued. Its delivery is listed below; reload to see the answer.")
    } else {
        None
    };
    // Every event at first; after a refusal, the ones that were ticked.
    let ticked = |event: &WebhookEvent| match &returned.events {
        None => true,
        Some(events) => events.iter().any(|e| e == event.name()),
    };
    let choices: Vec<(WebhookEvent, bool)> =
        WebhookEvent::ALL.iter().map(|e| (*e, ticked(e))).collect();
    view! {
        {notice.map(|text| view! { <p role="status" class="notice">{text}</p> })}
        <ActionForm action=add attr:class="form card settings-form" attr:aria-label="Add an endpoint">
            <p>
                "Roster sends a POST with a JSON body to each endpoint when one of its events happens. "
                "Bodies are signed as " <a href="https://www.standardwebhooks.com/">"Standard Webhooks"</a>
                " (" <code>"webhook-id"</code> ", " <code>"webhook-timestamp"</code> ", " <code>"webhook-signature"</code>
                "). An endpoint that does not answer 2xx gets the event again, with growing pauses, for a day."
            </p>
            <div class="field">
                <label for="webhook-url">"Endpoint URL"</label>
                <input id="webhook-url" name="url" type="url" required maxlength="2000" autocomplete="off"
                    placeholder="https://hr.example.com/roster-events" aria-describedby="webhook-url-hint" value=returned.url.clone() />
                <small id="webhook-url-hint">"https:// only; plain http:// only for a receiver on this machine."</small>
            </div>
            <fieldset class="event-choice">
                <legend>"Events"</legend>
                {choices.into_iter().map(|(event, checked)| view! {
                    <label class="inline">
                        <input type="checkbox" name="events[]" value=event.name() checked=checked />
                        <code>{event.name()}</code>
                        <span class="muted">{event.description()}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            <ErrorAlert error=refused />
            <button type="submit" class="primary">"Add endpoint"</button>
        </ActionForm>
        <h2>"Endpoints"</h2>
        <EndpointList endpoints=settings.endpoints added=returned.added now />
        <h2>"Recent deliveries"</h2>
        <DeliveryTable deliveries=settings.deliveries now />
    }
}

#[component]
fn EndpointList(endpoints: Vec<WebhookEndpoint>, added: Option<String>, now: i64) -> impl IntoView {
    if endpoints.is_empty() {
        return Either::Left(view! { <p class="empty">"No endpoints yet."</p> });
    }
    let delete = ServerAction::<DeleteWebhookEndpoint>::new();
    let test = ServerAction::<SendTestWebhook>::new();
    Either::Right(view! {
        <ErrorAlert error=action_error(delete) />
        <ErrorAlert error=action_error(test) />
        <ul class="endpoint-list">
            {endpoints.into_iter().map(|endpoint| {
                let events = endpoint.events.iter().map(|e| e.name()).collect::<Vec<_>>().join(", ");
                let just_added = added.as_deref() == Some(endpoint.id.as_str());
                let secret_label = format!("Signing secret of {}", endpoint.url);
                let delete_label = format!("Delete {}", endpoint.url);
                let test_label = format!("Send a test event to {}", endpoint.url);
                let (test_id, delete_id) = (endpoint.id.clone(), endpoint.id.clone());
                view! {
                    <li class="card" aria-label=endpoint.url.clone()>
                        <p><strong class="endpoint-url">{endpoint.url.clone()}</strong></p>
                        <p class="muted">"Events: " {events}</p>
                        <p class="muted">
                            "Added by " {endpoint.created_by.clone()} " "
                            <time title=exact_time(endpoint.created_at)>{relative_time(endpoint.created_at, now)}</time>
                        </p>
                        <details open=just_added>
                            <summary>"Signing secret"</summary>
                            <input readonly class="link-box" aria-label=secret_label value=endpoint.secret.clone() />
                        </details>
                        <div class="endpoint-actions">
                            <ActionForm action=test attr:class="inline-form">
                                <input type="hidden" name="id" value=test_id />
                                <button type="submit" aria-label=test_label>"Send test event"</button>
                            </ActionForm>
                            <ActionForm action=delete attr:class="inline-form">
                                <input type="hidden" name="id" value=delete_id />
                                <button type="submit" class="danger" aria-label=delete_label>"Delete"</button>
                            </ActionForm>
                        </div>
                    </li>
                }
            }).collect_view()}
        </ul>
    })
}

#[component]
fn DeliveryTable(deliveries: Vec<WebhookDelivery>, now: i64) -> impl IntoView {
    if deliveries.is_empty() {
        return Either::Left(view! { <p class="empty">"Nothing sent yet."</p> });
    }
    Either::Right(view! {
        <div class="table-wrap">
            <table aria-label="Recent deliveries">
                <thead><tr>
                    <th scope="col">"Event"</th><th scope="col">"Endpoint"</th><th scope="col">"State"</th>
                    <th scope="col">"HTTP status"</th><th scope="col">"Attempts"</th><th scope="col">"Queued"</th>
                </tr></thead>
                <tbody>
                    {deliveries.into_iter().map(|delivery| {
                        let state = match (delivery.state, delivery.next_attempt_at) {
                            (DeliveryState::Delivered, _) => "Delivered".to_string(),
                            (DeliveryState::Failed, _) => "Failed".to_string(),
                            (DeliveryState::Queued, Some(at)) => format!("Retrying {}", relative_time(at, now)),
                            (DeliveryState::Queued, None) => "Queued".to_string(),
                        };
                        let status = delivery.status_code.map_or("—".to_string(), |code| code.to_string());
                        view! {
                            <tr>
                                <td><code>{delivery.event.clone()}</code></td>
                                <td class="endpoint-url">{delivery.endpoint_url.clone()}</td>
                                <td>{state} {delivery.error.clone().map(|error| view! { <small class="muted delivery-error">{error}</small> })}</td>
                                <td>{status}</td>
                                <td>{delivery.attempts}</td>
                                <td><time title=exact_time(delivery.created_at)>{relative_time(delivery.created_at, now)}</time></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    })
}
