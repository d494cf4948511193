//! Manage › Platform Settings › Reminders (R27): on which days after the
//! invitation Invited users are reminded by email.

use super::settings::{signed_in, SettingsTabs};
use crate::api::settings::{get_reminder_schedule, save_reminder_schedule};
use crate::domain::AppError;
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
    task::spawn_local,
};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn RemindersPage() -> impl IntoView {
    let schedule = Resource::new_blocking(|| (), |_| get_reminder_schedule());
    // `?saved=1`: where the form comes back to when posted without the WASM.
    let saved = use_query_map().with_untracked(|q| q.get("saved").as_deref() == Some("1"));
    view! {
        <Title text="Reminders · Platform Settings" />
        {signed_in(move |user| Suspend::new(async move {
            let form = match schedule.await {
                Ok(days) => EitherOf3::A(view! { <ReminderForm days saved /> }),
                Err(AppError::Forbidden) => EitherOf3::B(view! {
                    <p class="alert" role="alert">"You do not have access to the reminder settings."</p>
                }),
                Err(error) => EitherOf3::C(view! { <p class="alert" role="alert">{error.to_string()}</p> }),
            };
            view! {
                <div class="page">
                    <SettingsTabs org_manager=user.is_org_manager() />
                    <h1>"Reminders"</h1>
                    {form}
                </div>
            }
        }))}
    }
}

/// An island: saving keeps what was typed when it is refused. Without the
/// WASM it posts to the same server function.
#[island]
fn ReminderForm(days: String, saved: bool) -> impl IntoView {
    let days = RwSignal::new(days);
    let pending = RwSignal::new(false);
    let outcome = RwSignal::new(saved.then(|| Ok(String::new())));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        spawn_local(async move {
            let answer = save_reminder_schedule(days.get_untracked()).await;
            if let Ok(stored) = &answer {
                days.set(stored.clone());
            }
            outcome.set(Some(answer.map_err(|e| e.to_string())));
            pending.set(false);
        });
    };
    let said = move || {
        outcome.get().map(|answer| match answer {
            Ok(_) => Either::Left(view! {
                <p role="status" class="notice">
                    {move || if days.with(|d| d.is_empty()) { "Reminders are off".to_string() } else { format!("Reminders saved: days {}", days.get()) }}
                </p>
            }),
            Err(error) => Either::Right(view! { <p role="alert" class="alert">{error}</p> }),
        })
    };
    view! {
        <form method="post" action="/api/save_reminder_schedule" class="form card settings-form" aria-label="Reminders" on:submit=save>
            <p>
                "Invited users who have not accepted get the invitation again, with a fresh link, on these days after it was first sent. "
                "A reminder is a resend: never within 15 minutes of the last email, and never once the invitation is accepted, revoked, deactivated or its link has expired."
            </p>
            <div class="field">
                <label for="reminder-days">"Remind on days"</label>
                <input id="reminder-days" name="days" inputmode="numeric" autocomplete="off" placeholder="2, 5"
                    aria-describedby="reminder-hint" prop:value=days on:input=move |ev| days.set(event_target_value(&ev)) />
                <small id="reminder-hint">"Whole days after the invitation, separated by commas: up to 5, each from 1 to 30. Empty: no reminders (the default)."</small>
            </div>
            {said}
            <button type="submit" class="primary" disabled=pending>"Save"</button>
        </form>
    }
}
