//! Manage › Platform Settings › API tokens (Step 10): Org Managers make a
//! token for a script or an HR system (its secret shown once), see when each
//! was last used, and revoke them.

use super::{
    props,
    settings::{signed_in, SettingsTabs},
};
use crate::api::settings::{create_api_token, list_api_tokens, revoke_api_token};
use crate::domain::{
    api_tokens::ApiTokenSummary,
    format::{exact_time, relative_time},
    AppError,
};
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
    task::spawn_local,
};
use leptos_meta::Title;

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    let tokens = Resource::new_blocking(|| (), |_| list_api_tokens());
    // Pages render on the server only; the island gets the time as a prop.
    #[cfg(feature = "ssr")]
    let now = crate::server::now_ms();
    #[cfg(not(feature = "ssr"))]
    let now = 0;
    view! {
        <Title text="API tokens · Platform Settings" />
        {signed_in(move |user| Suspend::new(async move {
            let body = match tokens.await {
                Ok(tokens) => EitherOf3::A(view! { <ApiTokens tokens=props::encode(&tokens) now /> }),
                Err(AppError::Forbidden) => EitherOf3::B(view! {
                    <p class="alert" role="alert">"You do not have access to the API tokens."</p>
                }),
                Err(error) => EitherOf3::C(view! { <p class="alert" role="alert">{error.to_string()}</p> }),
            };
            view! {
                <div class="page">
                    <SettingsTabs org_manager=user.is_org_manager() />
                    <h1>"API tokens"</h1>
                    {body}
                </div>
            }
        }))}
    }
}

/// An island: making and revoking happen in place, and a new secret is
/// shown once, in this page only.
#[island]
fn ApiTokens(
    /// `Vec<ApiTokenSummary>` as JSON (see `ui::props`).
    tokens: String,
    /// The server's time when the page was made, for "3 days ago".
    now: i64,
) -> impl IntoView {
    let tokens = RwSignal::new(props::decode::<Vec<ApiTokenSummary>>(&tokens).unwrap_or_default());
    let name = RwSignal::new(String::new());
    let days = RwSignal::new(String::new());
    let secret = RwSignal::new(None::<String>);
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let reload = move || {
        spawn_local(async move {
            if let Ok(list) = list_api_tokens().await {
                tokens.set(list);
            }
        })
    };
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let days = match days.get_untracked().trim() {
            "" => None,
            text => match text.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    error.set(Some(
                        "Expires after: a whole number of days, or empty.".into(),
                    ));
                    return;
                }
            },
        };
        pending.set(true);
        spawn_local(async move {
            match create_api_token(name.get_untracked(), days).await {
                Ok(created) => {
                    error.set(None);
                    name.set(String::new());
                    secret.set(Some(created.secret));
                    reload();
                }
                Err(refused) => error.set(Some(refused.to_string())),
            }
            pending.set(false);
        });
    };
    let revoke = move |id: String| {
        spawn_local(async move {
            match revoke_api_token(id).await {
                Ok(()) => reload(),
                Err(refused) => error.set(Some(refused.to_string())),
            }
        })
    };
    let when = move |at: Option<i64>, none: &'static str| match at {
        Some(at) => {
            Either::Left(view! { <time title=exact_time(at)>{relative_time(at, now)}</time> })
        }
        None => Either::Right(none),
    };
    view! {
        <form class="form card settings-form" aria-label="New API token" on:submit=create>
            <p>
                "A token lets a script or an HR system use Roster's API (" <code>"/api/v1"</code>
                ") as an Org Manager of this organisation. Its actions are in the audit log under its name."
            </p>
            <label>"Name" <input required maxlength="200" placeholder="HR sync" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) /></label>
            <label>"Expires after (days, optional)" <input inputmode="numeric" prop:value=days on:input=move |ev| days.set(event_target_value(&ev)) /></label>
            {move || error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            {move || secret.get().map(|secret| view! {
                <div role="status" class="notice">
                    <p>"Copy this token now: it is not shown again."</p>
                    <input readonly class="link-box" aria-label="New API token" prop:value=secret />
                </div>
            })}
            <button type="submit" class="primary" disabled=pending>"Make token"</button>
        </form>
        <div class="table-wrap">
            <table aria-label="API tokens">
                <thead><tr>
                    <th scope="col">"Name"</th><th scope="col">"Ends with"</th><th scope="col">"Made by"</th>
                    <th scope="col">"Last used"</th><th scope="col">"Expires"</th><th scope="col">"State"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {move || tokens.get().into_iter().map(|token| {
                        let usable = token.is_usable(now);
                        let state = if token.revoked_at.is_some() { "Revoked" } else if usable { "Active" } else { "Expired" };
                        let (id, label) = (token.id.clone(), format!("Revoke {}", token.name));
                        view! {
                            <tr>
                                <td>{token.name.clone()}</td>
                                <td><code class="token-end">{format!("…{}", token.token_end)}</code></td>
                                <td>{token.created_by.clone()} " " {when(Some(token.created_at), "")}</td>
                                <td>{when(token.last_used_at, "never")}</td>
                                <td>{when(token.expires_at, "never")}</td>
                                <td>{state}</td>
                                <td>{usable.then(|| view! {
                                    <button type="button" class="danger" aria-label=label on:click=move |_| revoke(id.clone())>"Revoke"</button>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            {move || tokens.with(Vec::is_empty).then(|| view! { <p class="empty">"No API tokens yet."</p> })}
        </div>
    }
}
