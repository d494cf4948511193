//! The HTML shell, the root component and the routes: nothing else.

use crate::ui::{
    auth::{LoginPage, SessionContext},
    home::HomePage,
    layout::{Header, NotFound},
    registration::{InvitePage, ProfilePage, WelcomePage},
    settings::{TeamMembersPage, TeamsPage, UsersPage},
    sign_in_settings::SignInSettingsPage,
    sso::SsoProblemPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    SessionContext::provide();
    // Tests and scripts wait for this marker before clicking.
    Effect::new(|| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });

    view! {
        <Stylesheet id="leptos" href="/pkg/roster.css" />
        <Title formatter=|title| format!("{title} · Roster") />
        <Router>
            <Header />
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/login") view=LoginPage />
                    <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async />
                    <Route path=path!("/welcome/profile") view=ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("/welcome") view=WelcomePage ssr=SsrMode::Async />
                    <Route path=path!("/sso/problem") view=SsoProblemPage ssr=SsrMode::Async />
                    <Route path=path!("/manage/settings/users") view=UsersPage />
                    <Route path=path!("/manage/settings/teams") view=TeamsPage />
                    <Route path=path!("/manage/settings/teams/:id/members") view=TeamMembersPage />
                    <Route path=path!("/manage/settings/sign-in") view=SignInSettingsPage />
                </Routes>
            </main>
        </Router>
    }
}
