//! The page frame: header with the main navigation, and the 404 page.

use super::auth::SessionContext;
use crate::api::auth::SignOut;
use leptos::{ev, prelude::*};
use leptos_meta::Title;

#[component]
pub fn Header() -> impl IntoView {
    let session = SessionContext::get();
    let sign_out = ServerAction::<SignOut>::new();
    let user = move || session.info.get().and_then(|r| r.ok()).and_then(|i| i.user);
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Roster"</a>
            <Transition>
                {move || user().map(|user| view! {
                    <nav class="mainnav" aria-label="Main">
                        {user.is_manager().then(|| view! { <ManageMenu settings_home=user.home_path().to_string() /> })}
                    </nav>
                    <div class="account">
                        <span class="who" title=user.email.clone()>{user.name.clone()} <small>{user.org_name.clone()}</small></span>
                        <ActionForm action=sign_out>
                            <button type="submit" class="ghost">"Sign out"</button>
                        </ActionForm>
                    </div>
                })}
            </Transition>
        </header>
    }
}

/// A disclosure button: its panel holds plain links, so each keeps the
/// `link` role (SPEC §5: the **Manage** menu contains **Platform Settings**).
#[island]
fn ManageMenu(settings_home: String) -> impl IntoView {
    let open = RwSignal::new(false);
    let close_on_escape = move |event: ev::KeyboardEvent| {
        if event.key() == "Escape" {
            open.set(false);
        }
    };
    view! {
        <div class="menu" on:keydown=close_on_escape>
            <button
                type="button"
                class="menu-button"
                aria-haspopup="true"
                aria-controls="manage-menu"
                aria-expanded=move || open.get().to_string()
                on:click=move |_| open.update(|o| *o = !*o)
            >
                "Manage"
            </button>
            <div id="manage-menu" class="menu-panel" hidden=move || !open.get() on:click=move |_| open.set(false)>
                <a href=settings_home>"Platform Settings"</a>
            </div>
        </div>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Not found" />
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p><a href="/">"Go to the start page"</a></p>
        </section>
    }
}
