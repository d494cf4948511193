//! Single sign-on (R17) as people see it: the button that starts the flow at
//! the organisation's identity provider, and the page a refused return lands on.

use crate::domain::sso::SsoRefusal;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// A plain HTML form to `POST /sso/start`: an ordinary navigation, so it
/// works without the WASM, and the server answers with a redirect to the
/// provider. `token` starts an invitation's flow, `next` a later sign-in's.
#[component]
pub fn SsoStartForm(
    #[prop(optional, into)] token: Option<String>,
    #[prop(into)] next: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <form method="post" action="/sso/start" class="form" aria-label="Single sign-on">
            {token.map(|token| view! { <input type="hidden" name="token" value=token /> })}
            {move || next.get().map(|next| view! { <input type="hidden" name="next" value=next /> })}
            <button type="submit" class="primary">"Continue with single sign-on"</button>
        </form>
    }
}

/// `/sso/problem?reason={code}[&token={link token}]`: why the provider's
/// answer was refused, and the way back.
#[component]
pub fn SsoProblemPage() -> impl IntoView {
    let query = use_query_map();
    let message = move || {
        query
            .read()
            .get("reason")
            .and_then(|code| SsoRefusal::from_code(&code))
            .unwrap_or(SsoRefusal::InvalidResponse)
            .message()
    };
    let back = move || {
        match query.read().get("token").filter(|t| !t.is_empty()) {
        Some(token) => view! {
            <a class="button primary-link" href=format!("/invite/{}", super::users::url::encode(&token))>
                "Back to your invitation"
            </a>
        }
        .into_any(),
        None => view! { <a class="button primary-link" href="/login">"Back to sign in"</a> }.into_any(),
    }
    };
    view! {
        <Title text="We could not sign you in" />
        <section class="card narrow">
            <h1>"We could not sign you in"</h1>
            <p role="alert" class="alert">{message}</p>
            <p class="actions">{back}</p>
        </section>
    }
}
