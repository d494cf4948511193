//! Who is signed in, and the sign-in page.

use super::{
    sso::SsoStartForm,
    widgets::{action_error, ErrorAlert},
};
use crate::api::auth::{get_session, CreateOrganisation, SessionInfo, SignIn, SignOut};
use crate::domain::{sso::SignInMethod, AppError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// The session, fetched once per page and again after every sign-in,
/// sign-out or first run.
#[derive(Clone, Copy)]
pub struct SessionContext {
    pub info: Resource<Result<SessionInfo, AppError>>,
    pub sign_in: ServerAction<SignIn>,
    pub sign_out: ServerAction<SignOut>,
    pub create_organisation: ServerAction<CreateOrganisation>,
}

impl SessionContext {
    pub fn provide() {
        let sign_in = ServerAction::<SignIn>::new();
        let sign_out = ServerAction::<SignOut>::new();
        let create_organisation = ServerAction::<CreateOrganisation>::new();
        let info = Resource::new(
            move || {
                (
                    sign_in.version().get(),
                    sign_out.version().get(),
                    create_organisation.version().get(),
                )
            },
            |_| get_session(),
        );
        provide_context(SessionContext {
            info,
            sign_in,
            sign_out,
            create_organisation,
        });
    }

    pub fn get() -> Self {
        expect_context::<SessionContext>()
    }

    /// Fetches the session again each time `action` completes: for actions
    /// outside this context that sign the user in (the invitee's steps).
    pub fn refetch_after<I, O>(&self, action: ServerAction<I>)
    where
        I: leptos::server_fn::ServerFn<Output = O, Error = AppError>
            + Clone
            + Send
            + Sync
            + 'static,
        O: Clone + Send + Sync + 'static,
    {
        let info = self.info;
        Effect::new(move |_| {
            if action.version().get() > 0 {
                info.refetch();
            }
        });
    }

    /// Whether the signed-in user is an Org Manager (false while loading).
    /// Only for what the page offers: the server checks every action (R1).
    pub fn is_org_manager(&self) -> bool {
        self.info
            .get()
            .and_then(|r| r.ok())
            .and_then(|i| i.user)
            .is_some_and(|u| u.is_org_manager())
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let session = SessionContext::get();
    let action = session.sign_in;
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
            <ActionForm action=action attr:class="form" attr:aria-label="Sign in">
                {move || next().map(|next| view! { <input type="hidden" name="next" value=next /> })}
                <label>
                    "Email"
                    <input type="email" name="email" autocomplete="username" required />
                </label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                <ErrorAlert error=action_error(action) />
                <button type="submit" class="primary" disabled=move || action.pending().get()>
                    "Sign in"
                </button>
            </ActionForm>
        </section>
    }
}
