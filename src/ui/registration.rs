//! The invitee's pages (R6, R10–R15, R18): `/invite/{token}`, the profile
//! step and the welcome page. Forms post to server functions, so they work
//! before (and without) the WASM.

use super::{
    layout::NotFound,
    sso::SsoStartForm,
    widgets::{action_error, ErrorAlert, Loading},
};
use crate::api::auth::get_session;
use crate::api::registration::{
    inspect_invite, CompleteProfile, ConfirmInviteEmail, ResendFromLink, SetInvitePassword,
};
use crate::domain::{
    format::clock_time,
    invitations::LinkView,
    rules::{LinkKind, LinkVerdict},
    AppError,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{
    components::Redirect,
    hooks::{use_params_map, use_query_map},
};

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.get().get("token").unwrap_or_default();
    // `?sent=1`: where a successful "Resend invitation" comes back to (R13).
    let query = use_query_map();
    let sent = move || query.with(|q| q.get("sent").as_deref() == Some("1"));
    let confirm = ServerAction::<ConfirmInviteEmail>::new();
    let link = Resource::new(
        move || (token(), confirm.version().get()),
        |(token, _)| inspect_invite(token),
    );
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match link.await {
                    Ok(view) => view! { <LinkStep view token=token() confirm sent=sent() /> }.into_any(),
                    Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                    Err(e) => view! { <section class="card narrow"><p class="alert" role="alert">{e.to_string()}</p></section> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn LinkStep(
    view: LinkView,
    token: String,
    confirm: ServerAction<ConfirmInviteEmail>,
    sent: bool,
) -> impl IntoView {
    let org = view.org_name.clone();
    match view.verdict {
        LinkVerdict::Usable if view.kind == LinkKind::Copied && !view.email_confirmed => {
            view! { <ConfirmEmail token org hint=view.email_hint action=confirm /> }.into_any()
        }
        LinkVerdict::Usable if view.sso => view! { <SingleSignOn token org copied=view.kind == LinkKind::Copied /> }.into_any(),
        LinkVerdict::Usable => view! { <SetPassword token org copied=view.kind == LinkKind::Copied /> }.into_any(),
        LinkVerdict::Expired | LinkVerdict::Superseded => {
            view! { <DeadLink token org superseded=view.verdict == LinkVerdict::Superseded sent /> }.into_any()
        }
        LinkVerdict::AlreadyAccepted => view! {
            <Title text="Invitation accepted" />
            <section class="card narrow">
                <h1>"This invitation was already accepted"</h1>
                <p>
                    "Your account at " {org} " is set up. "
                    {if view.sso { "Sign in to continue." } else { "Sign in with your email address and password." }}
                </p>
                <p><a class="button primary-link" href="/login">"Sign in"</a></p>
            </section>
        }
        .into_any(),
        LinkVerdict::Locked => view! {
            <Title text="Link locked" />
            <section class="card narrow">
                <h1>"This link is locked"</h1>
                <p role="alert" class="alert">{AppError::LinkLocked.to_string()}</p>
            </section>
        }
        .into_any(),
        LinkVerdict::Revoked => view! {
            <Title text="Invitation cancelled" />
            <section class="card narrow">
                <h1>"This invitation was cancelled"</h1>
                <p>"Contact the person who invited you if you think this is a mistake."</p>
            </section>
        }
        .into_any(),
        LinkVerdict::Deactivated => view! {
            <Title text="Account deactivated" />
            <section class="card narrow">
                <h1>"Account deactivated"</h1>
                <p role="alert" class="alert">{AppError::Deactivated.to_string()}</p>
            </section>
        }
        .into_any(),
    }
}

#[component]
fn ConfirmEmail(
    token: String,
    org: String,
    hint: String,
    action: ServerAction<ConfirmInviteEmail>,
) -> impl IntoView {
    view! {
        <Title text="Confirm your email address" />
        <section class="card narrow">
            <p class="eyebrow">{format!("Invitation to {org}")}</p>
            <h1>"Confirm your email address"</h1>
            <p class="lead">"Type the email address this invitation was sent to (" {hint} ")."</p>
            <ActionForm action attr:class="form">
                <input type="hidden" name="token" value=token />
                <label>"Email address" <input type="email" name="email" required autocomplete="email" /></label>
                <ErrorAlert error=action_error(action) />
                <button type="submit" class="primary" disabled=move || action.pending().get()>"Continue"</button>
            </ActionForm>
        </section>
    }
}

#[component]
fn SetPassword(token: String, org: String, copied: bool) -> impl IntoView {
    let action = ServerAction::<SetInvitePassword>::new();
    view! {
        <Title text="Set your password" />
        <section class="card narrow">
            <p class="eyebrow">{format!("Invitation to {org}")}</p>
            <h1>"Set your password"</h1>
            {copied.then(|| view! { <p class="lead">"Your email address is confirmed. Choose a password; you will then sign in with it."</p> })}
            <ActionForm action attr:class="form">
                <input type="hidden" name="token" value=token />
                <NewPassword />
                <label>"Confirm password" <input type="password" name="confirm_password" required minlength="8" autocomplete="new-password" /></label>
                <ErrorAlert error=action_error(action) />
                <button type="submit" class="primary" disabled=move || action.pending().get()>"Set password"</button>
            </ActionForm>
        </section>
    }
}

/// The new password's field and a hint on its length that follows the
/// typing: an island inside a plain form (without the WASM, the hint stays
/// at its first words and the form still posts).
#[island]
fn NewPassword() -> impl IntoView {
    let password = RwSignal::new(String::new());
    let strength = move || match password.get().chars().count() {
        0 => "At least 8 characters. A few unrelated words make a strong, memorable password.",
        1..=7 => "Too short: at least 8 characters.",
        8..=11 => "Acceptable. Longer is stronger.",
        _ => "Strong length.",
    };
    view! {
        <div class="field">
            <label for="new-password">"Password"</label>
            <input id="new-password" type="password" name="password" required minlength="8" autocomplete="new-password"
                aria-describedby="strength" on:input=move |ev| password.set(event_target_value(&ev)) />
            <small id="strength" aria-live="polite">{strength}</small>
        </div>
    }
}

/// R17: in an SSO organisation the invitee signs in at the provider instead
/// of choosing a password. A plain form: the server redirects to the provider.
#[component]
fn SingleSignOn(token: String, org: String, copied: bool) -> impl IntoView {
    view! {
        <Title text="Sign in with single sign-on" />
        <section class="card narrow">
            <p class="eyebrow">{format!("Invitation to {org}")}</p>
            <h1>"Sign in with single sign-on"</h1>
            <p class="lead">
                {if copied { "Your email address is confirmed. " } else { "" }}
                {format!("{org} signs in through its identity provider. Sign in there with the account for the address this invitation was sent to.")}
            </p>
            <SsoStartForm token next=Signal::stored(None::<String>) />
        </section>
    }
}

/// R13: expired or superseded. Offers a fresh link to the invitation's own address.
#[component]
fn DeadLink(token: String, org: String, superseded: bool, sent: bool) -> impl IntoView {
    let action = ServerAction::<ResendFromLink>::new();
    let (title, why) = if superseded {
        (
            "A newer invitation link was sent",
            "This link was replaced by a newer one. Use the newest email, or ask for a fresh link.",
        )
    } else {
        (
            "This invitation link has expired",
            "Invitation links work for a limited time, for your safety. Ask for a fresh one: it goes to the address you were invited with.",
        )
    };
    // A plain form: the server answers a success with `?sent=1` and a
    // refusal with the error in the URL, which this action reads.
    let outcome = move || {
        let result = action.value().get().or(sent.then_some(Ok(())));
        result.map(|result| match result {
            Ok(()) => view! { <p role="status" class="notice">"A new invitation link was sent to your email address."</p> }.into_any(),
            Err(error) => {
                let hint = match &error {
                    AppError::Cooldown { until } => format!("You can try again at {}.", clock_time(*until)),
                    _ => String::new(),
                };
                view! { <p role="alert" class="alert">{error.to_string()}</p><p class="hint">{hint}</p> }.into_any()
            }
        })
    };
    view! {
        <Title text=title />
        <section class="card narrow">
            <p class="eyebrow">{format!("Invitation to {org}")}</p>
            <h1>{title}</h1>
            <p>{why}</p>
            <ActionForm action attr:class="form">
                <input type="hidden" name="token" value=token />
                {outcome}
                <button type="submit" class="primary" disabled=move || action.pending().get()>"Resend invitation"</button>
            </ActionForm>
        </section>
    }
}

const TIME_ZONES: &[&str] = &[
    "UTC",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Madrid",
    "Europe/Warsaw",
    "Europe/Athens",
    "Africa/Johannesburg",
    "Asia/Dubai",
    "Asia/Kolkata",
    "Asia/Singapore",
    "Asia/Tokyo",
    "Australia/Sydney",
    "Pacific/Auckland",
    "America/Sao_Paulo",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Los_Angeles",
];

#[component]
pub fn ProfilePage() -> impl IntoView {
    // Its own fetch: the invitee may have been signed in by the step before.
    let session = Resource::new(|| (), |_| get_session());
    let action = ServerAction::<CompleteProfile>::new();
    view! {
        <Title text="Your profile" />
        <Transition fallback=Loading>
            {move || session.get().and_then(|r| r.ok()).map(|info| match info.user {
                None => view! { <Redirect path="/login" /> }.into_any(),
                Some(user) => view! {
                    <section class="card narrow">
                        <p class="eyebrow">"Step 2 of 2"</p>
                        <h1>"Your profile"</h1>
                        <ActionForm action attr:class="form">
                            <label>"Display name" <input name="display_name" required maxlength="200" value=user.name.clone() autocomplete="name" /></label>
                            <label>
                                "Time zone"
                                <select name="time_zone">
                                    {TIME_ZONES.iter().map(|tz| view! { <option value=*tz>{*tz}</option> }).collect_view()}
                                </select>
                            </label>
                            <label class="inline"><input type="checkbox" name="accept_terms" value="yes" required /> "I accept the terms of use"</label>
                            <ErrorAlert error=action_error(action) />
                            <button type="submit" class="primary">"Continue"</button>
                        </ActionForm>
                    </section>
                }.into_any(),
            })}
        </Transition>
    }
}

#[component]
pub fn WelcomePage() -> impl IntoView {
    let session = Resource::new(|| (), |_| get_session());
    view! {
        <Title text="Welcome" />
        <Transition fallback=Loading>
            {move || session.get().and_then(|r| r.ok()).map(|info| match info.user {
                None => view! { <Redirect path="/login" /> }.into_any(),
                Some(user) => view! {
                    <section class="card narrow">
                        <h1>{format!("Welcome to {}, {}", user.org_name, user.name)}</h1>
                        <p>"Your account is ready. You are signed in."</p>
                    </section>
                }.into_any(),
            })}
        </Transition>
    }
}
