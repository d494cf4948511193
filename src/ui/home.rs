//! `/`: first run while no organisation exists, otherwise a welcome.

use super::{
    auth::SessionContext,
    widgets::{action_error, ErrorAlert, Loading},
};
use crate::api::auth::CreateOrganisation;
use leptos::{either::EitherOf4, prelude::*};
use leptos_meta::Title;
use leptos_router::components::{Redirect, A};

#[component]
pub fn HomePage() -> impl IntoView {
    let session = SessionContext::get();
    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                match session.info.await {
                    Ok(info) if info.needs_setup => EitherOf4::A(view! { <FirstRun /> }),
                    Ok(info) => match info.user {
                        Some(user) => EitherOf4::B(view! {
                            <Title text="Home" />
                            <section class="card">
                                <h1>"Welcome, " {user.name.clone()}</h1>
                                <p>"You are signed in to " {user.org_name.clone()} "."</p>
                                {user.is_manager().then(|| view! {
                                    <p><A href=user.home_path()>{if user.is_org_manager() { "Manage your users" } else { "Manage your teams" }}</A></p>
                                })}
                            </section>
                        }),
                        None => EitherOf4::C(view! { <Redirect path="/login" /> }),
                    },
                    Err(error) => EitherOf4::D(view! {
                        <Title text="Error" />
                        <section class="card"><p class="alert" role="alert">{error.to_string()}</p></section>
                    }),
                }
            })}
        </Transition>
    }
}

/// Creates the organisation and makes its creator the first Org Manager.
#[component]
fn FirstRun() -> impl IntoView {
    let action = ServerAction::<CreateOrganisation>::new();
    view! {
        <Title text="Create your organisation" />
        <section class="card narrow">
            <h1>"Create your organisation"</h1>
            <p class="lead">"Roster is new here. Set up your organisation; you become its first Org Manager."</p>
            <ActionForm action=action attr:class="form" attr:aria-label="Create your organisation">
                <label>"Organisation name" <input name="org_name" required maxlength="200" autocomplete="organization" /></label>
                <label>"Your name" <input name="your_name" required maxlength="200" autocomplete="name" /></label>
                <label>"Email" <input type="email" name="email" required autocomplete="email" /></label>
                <div class="field">
                    <label for="first-password">"Password"</label>
                    <input id="first-password" type="password" name="password" required minlength="8" autocomplete="new-password" aria-describedby="password-hint" />
                    <small id="password-hint">"At least 8 characters. Long passphrases are welcome."</small>
                </div>
                <ErrorAlert error=action_error(action) />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    "Create organisation"
                </button>
            </ActionForm>
        </section>
    }
}
