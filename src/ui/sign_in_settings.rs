//! Manage › Platform Settings › Sign-in (R17): whether the organisation's
//! people sign in with a password or at its OpenID provider.

use super::{
    settings::{SettingsTabs, SignedInOnly},
    widgets::Loading,
};
use crate::api::settings::{get_sign_in_settings, SaveSignInSettings};
use crate::domain::{
    sso::{SignInMethod, SignInSettings},
    AppError,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SignInSettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| get_sign_in_settings());
    view! {
        <Title text="Sign-in · Platform Settings" />
        <Transition><SignedInOnly /></Transition>
        <div class="page">
            <SettingsTabs />
            <h1>"Sign-in"</h1>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(settings) => view! { <SignInForm settings /> }.into_any(),
                        Err(AppError::Forbidden) => view! {
                            <p class="alert" role="alert">"You do not have access to the sign-in settings."</p>
                        }.into_any(),
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

/// The settings form. The client secret is write-only: the field starts
/// empty, and an empty field keeps the stored secret.
#[component]
fn SignInForm(settings: SignInSettings) -> impl IntoView {
    let action = ServerAction::<SaveSignInSettings>::new();
    let method = RwSignal::new(settings.method);
    let has_secret = RwSignal::new(settings.has_client_secret);
    let secret = RwSignal::new(String::new());
    let sso = move || method.get() == SignInMethod::Sso;
    // A saved secret is never shown again: the field empties and the hint says one is stored.
    Effect::new(move || {
        if let Some(Ok(saved)) = action.value().get() {
            has_secret.set(saved.has_client_secret);
            secret.set(String::new());
        }
    });
    let outcome = move || {
        action.value().get().map(|result| match result {
            Ok(_) => {
                view! { <p role="status" class="notice">"Sign-in settings saved"</p> }.into_any()
            }
            Err(error) => {
                view! { <p role="alert" class="alert">{error.to_string()}</p> }.into_any()
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
    view! {
        <ActionForm action attr:class="form card settings-form" attr:aria-label="Sign-in settings">
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
                        value=settings.issuer required=sso />
                </label>
                <label>
                    "Client ID"
                    <input name="client_id" spellcheck="false" autocomplete="off" value=settings.client_id required=sso />
                </label>
                <div class="field">
                    <label for="client-secret">"Client secret"</label>
                    <input id="client-secret" type="password" name="client_secret" autocomplete="off"
                        aria-describedby="secret-hint"
                        required=move || sso() && !has_secret.get()
                        prop:value=secret on:input=move |ev| secret.set(event_target_value(&ev)) />
                    <small id="secret-hint">
                        {move || has_secret.get().then_some("A secret is stored; leave empty to keep it.")}
                    </small>
                </div>
            </fieldset>
            <p class="redirect-uri">
                "Redirect URI to register at your provider: " <code>{settings.redirect_uri}</code>
            </p>
            {outcome}
            <button type="submit" class="primary" disabled=move || action.pending().get()>"Save"</button>
        </ActionForm>
    }
}

/// The method as the server function's form decoding names it (serde's variant name).
fn form_value(method: SignInMethod) -> &'static str {
    match method {
        SignInMethod::Password => "Password",
        SignInMethod::Sso => "Sso",
    }
}
