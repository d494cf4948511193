//! Who is signed in, and the sign-in page.

use super::browser;
use super::sso::SsoStartForm;
use crate::api::auth::{get_session, sign_in, SessionInfo, SignIn};
use crate::domain::{sso::SignInMethod, AppError};
use leptos::{html, prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// The session, fetched once per page on the server. Islands do not see
/// this context: what they need of it comes in their props.
#[derive(Clone, Copy)]
pub struct SessionContext {
    pub info: Resource<Result<SessionInfo, AppError>>,
}

impl SessionContext {
    pub fn provide() {
        let info = Resource::new(|| (), |_| get_session());
        provide_context(SessionContext { info });
    }

    pub fn get() -> Self {
        expect_context::<SessionContext>()
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = SessionContext::get();
    // Without the WASM the form posts and the server redirects; a refused
    // sign-in comes back in the URL, where this action reads it.
    let action = ServerAction::<SignIn>::new();
    let query = leptos_router::hooks::use_query_map();
    let next = move || {
        query
            .get()
            .get("next")
            .filter(|n| crate::domain::redirect::safe_next_path(n).is_some())
    };
    let signed_in = move || {
        session
            .info
            .get()
            .and_then(|r| r.ok())
            .and_then(|info| info.user)
            .map(|user| view! { <Redirect path=user.home_path() /> })
    };
    // R17: an SSO organisation signs in at its provider; people who had a
    // password before the switch keep the password form below.
    let single_sign_on = move || {
        session
            .info
            .get()
            .and_then(|r| r.ok())
            .filter(|info| info.sign_in == SignInMethod::Sso)
            .map(|_| {
                view! {
                    <SsoStartForm next=Signal::derive(next) />
                    <p class="separator"><span>"or sign in with your password"</span></p>
                }
            })
    };
    view! {
        <Title text="Sign in" />
        <Transition>{signed_in}</Transition>
        <section class="card narrow">
            <h1>"Sign in"</h1>
            <Transition>{single_sign_on}</Transition>
            <SignInForm next=next() error=action.value().get_untracked().and_then(|r| r.err()).map(|e| e.to_string()) />
        </section>
    }
}

/// The password form. With the WASM it signs in without a page load, so a
/// refusal keeps what was typed; without it, it posts to the same server
/// function and `error` is the refusal the server sent back.
#[island]
fn SignInForm(next: Option<String>, error: Option<String>) -> impl IntoView {
    let error = RwSignal::new(error);
    let pending = RwSignal::new(false);
    let email = NodeRef::<html::Input>::new();
    let password = NodeRef::<html::Input>::new();
    let next_value = next.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (Some(email), Some(password)) = (email.get_untracked(), password.get_untracked())
        else {
            return;
        };
        pending.set(true);
        let next = next_value.clone();
        spawn_local(async move {
            match sign_in(email.value(), password.value(), next).await {
                Ok(home) => browser::go_to(&home),
                Err(refused) => {
                    error.set(Some(refused.to_string()));
                    pending.set(false);
                }
            }
        });
    };
    view! {
        <form method="post" action="/api/sign_in" class="form" aria-label="Sign in" on:submit=submit>
            {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
            <label>
                "Email"
                <input type="email" name="email" autocomplete="username" required node_ref=email />
            </label>
            <label>
                "Password"
                <input type="password" name="password" autocomplete="current-password" required node_ref=password />
            </label>
            {move || error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            <button type="submit" class="primary" disabled=pending>"Sign in"</button>
        </form>
    }
}
