//! Manage › Platform Settings › Sign-in (R17): whether the organisation's
//! people sign in with a password or at its OpenID provider.

use super::{
    props,
    settings::{signed_in, SettingsTabs},
    widgets::Loading,
};
use crate::api::settings::{get_sign_in_settings, save_sign_in_settings};
use crate::domain::{
    sso::{SignInMethod, SignInSettings},
    AppError,
};
use leptos::{either::Either, prelude::*, task::spawn_local};
use leptos_meta::Title;

#[component]
pub fn SignInSettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_sign_in_settings());
    view! {
        <Title text="Sign-in · Platform Settings" />
        {signed_in(move |user| view! {
        <div class="page">
            <SettingsTabs org_manager=user.is_org_manager() />
            <h1>"Sign-in"</h1>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(settings) => view! { <SignInForm settings=props::encode(&settings) /> }.into_any(),
                        Err(AppError::Forbidden) => view! {
                            <p class="alert" role="alert">"You do not have access to the sign-in settings."</p>
                        }.into_any(),
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
        })}
    }
}

/// The settings form. The client secret is write-only: the field starts
/// empty, and an empty field keeps the stored secret. An island: the
/// provider fields show as single sign-on is chosen. It calls the server
/// function itself rather than through `ActionForm`, whose form decoding
/// would add a query-string parser to the browser's download; without the
/// WASM it posts to the same server function.
#[island]
fn SignInForm(
    /// `SignInSettings` as JSON (see `ui::props`).
    settings: String,
) -> impl IntoView {
    let Some(settings) = props::decode::<SignInSettings>(&settings) else {
        return Either::Left(
            view! { <p class="alert" role="alert">{AppError::Internal.to_string()}</p> },
        );
    };
    let method = RwSignal::new(settings.method);
    let issuer = RwSignal::new(settings.issuer);
    let client_id = RwSignal::new(settings.client_id);
    let has_secret = RwSignal::new(settings.has_client_secret);
    let secret = RwSignal::new(String::new());
    let pending = RwSignal::new(false);
    let outcome = RwSignal::new(None::<Result<(), AppError>>);
    let sso = move || method.get() == SignInMethod::Sso;
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        pending.set(true);
        spawn_local(async move {
            let saved = save_sign_in_settings(
                method.get_untracked(),
                issuer.get_untracked(),
                client_id.get_untracked(),
                secret.get_untracked(),
            )
            .await;
            // A saved secret is never shown again: the field empties and
            // the hint says one is stored.
            if let Ok(saved) = &saved {
                has_secret.set(saved.has_client_secret);
                secret.set(String::new());
            }
            outcome.set(Some(saved.map(|_| ())));
            pending.set(false);
        });
    };
    let outcome_view = move || {
        outcome.get().map(|result| match result {
            Ok(()) => {
                Either::Left(view! { <p role="status" class="notice">"Sign-in settings saved"</p> })
            }
            Err(error) => {
                Either::Right(view! { <p role="alert" class="alert">{error.to_string()}</p> })
            }
        })
    };
    let initial = settings.method;
    let radio = move |value: SignInMethod, label: &'static str| {
        view! {
            <label class="inline">
                <input
                    type="radio"
                    name="method"
                    value=form_value(value)
                    checked=initial == value
                    on:change=move |_| method.set(value)
                />
                {label}
            </label>
        }
    };
    let text = |signal: RwSignal<String>| move |ev| signal.set(event_target_value(&ev));
    Either::Right(view! {
        <form method="post" action="/api/save_sign_in_settings" class="form card settings-form" aria-label="Sign-in settings" on:submit=save>
            <fieldset class="choices" aria-describedby="method-hint">
                <legend>"How people sign in"</legend>
                {radio(SignInMethod::Password, "Password")}
                {radio(SignInMethod::Sso, "Single sign-on (OpenID Connect)")}
                <small id="method-hint">
                    "Switching to single sign-on keeps people who already have a password able to sign in with it. "
                    "New invitees sign in through your identity provider."
                </small>
            </fieldset>
            // Hidden rather than removed: the form always sends every field,
            // and the server keeps the provider settings while Password is chosen.
            <fieldset class="provider" hidden=move || !sso()>
                <legend>"OpenID provider"</legend>
                <label>
                    "Issuer URL"
                    <input name="issuer" inputmode="url" spellcheck="false" autocomplete="off"
                        placeholder="https://login.example.com/realms/acme"
                        prop:value=issuer on:input=text(issuer) required=sso />
                </label>
                <label>
                    "Client ID"
                    <input name="client_id" spellcheck="false" autocomplete="off" prop:value=client_id on:input=text(client_id) required=sso />
                </label>
                <div class="field">
                    <label for="client-secret">"Client secret"</label>
                    <input id="client-secret" type="password" name="client_secret" autocomplete="off"
                        aria-describedby="secret-hint"
                        required=move || sso() && !has_secret.get()
                        prop:value=secret on:input=text(secret) />
                    <small id="secret-hint">
                        {move || has_secret.get().then_some("A secret is stored; leave empty to keep it.")}
                    </small>
                </div>
            </fieldset>
            <p class="redirect-uri">
                "Redirect URI to register at your provider: " <code>{settings.redirect_uri}</code>
            </p>
            {outcome_view}
            <button type="submit" class="primary" disabled=pending>"Save"</button>
        </form>
    })
}

/// The method as the server function's form decoding names it (serde's variant name).
fn form_value(method: SignInMethod) -> &'static str {
    match method {
        SignInMethod::Password => "Password",
        SignInMethod::Sso => "Sso",
    }
}
