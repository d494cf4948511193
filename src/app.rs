//! The HTML shell, the root component and the routes: nothing else.
//!
//! Islands: every page renders on the server, and only the `#[island]`
//! components hydrate in the browser. Navigation between pages is ordinary
//! page loads; the router runs on the server only.

use crate::ui::{
    api_tokens::ApiTokensPage,
    auth::{LoginPage, SessionContext},
    home::HomePage,
    layout::{Header, NotFound},
    registration::{InvitePage, ProfilePage, WelcomePage},
    reminders::RemindersPage,
    settings::{TeamMembersPage, TeamsPage, UsersPage},
    sign_in_settings::SignInSettingsPage,
    sso::SsoProblemPage,
    webhooks::WebhooksPage,
};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
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
                <HydrationScripts options=options.clone() islands=true />
                <HashedStylesheet options id="leptos" />
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

    // Every page waits for its data on the server (SsrMode::Async): the
    // answer is whole, works without JavaScript, and a signed-out visitor's
    // redirect to /login is a real 302.
    view! {
        <Title formatter=|title| format!("{title} · Roster") />
        <Router>
            <Header />
            <main id="main">
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async />
                    <Route path=path!("/welcome/profile") view=ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("/welcome") view=WelcomePage ssr=SsrMode::Async />
                    <Route path=path!("/sso/problem") view=SsoProblemPage ssr=SsrMode::Async />
                    <Route path=path!("/manage/settings/users") view=UsersPage ssr=SsrMode::Async />
                    <Route path=path!("/manage/settings/teams") view=TeamsPage ssr=SsrMode::Async />
                    <Route path=path!("/manage/settings/teams/:id/members") view=TeamMembersPage ssr=SsrMode::Async />
                    <Route path=path!("/manage/settings/sign-in") view=SignInSettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/manage/settings/reminders") view=RemindersPage ssr=SsrMode::Async />
                    <Route path=path!("/manage/settings/api-tokens") view=ApiTokensPage ssr=SsrMode::Async />
                    <Route path=path!("/manage/settings/webhooks") view=WebhooksPage ssr=SsrMode::Async />
                </Routes>
            </main>
        </Router>
    }
}
