//! Manage › Platform Settings.

use super::{auth::SessionContext, widgets::Loading};
use crate::api::users::list_users;
use crate::domain::invitations::UserQuery;
use leptos::{either::Either, prelude::*};
use leptos_meta::Title;
use leptos_router::components::Redirect;

#[component]
pub fn UsersPage() -> impl IntoView {
    let session = SessionContext::get();
    let users = Resource::new(|| (), |_| list_users(UserQuery::default()));
    let guard = move || {
        session.info.get().and_then(|r| r.ok()).and_then(|info| {
            info.user
                .is_none()
                .then(|| view! { <Redirect path="/login" /> })
        })
    };
    view! {
        <Title text="Users · Platform Settings" />
        <Transition>{guard}</Transition>
        <div class="page">
            <p class="eyebrow">"Platform Settings"</p>
            <h1>"Users"</h1>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(page) => Either::Left(view! {
                            <div class="table-wrap">
                                <table class="users">
                                    <thead>
                                        <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Status"</th></tr>
                                    </thead>
                                    <tbody>
                                        {page.rows.into_iter().map(|row| view! {
                                            <tr>
                                                <td>{row.name}</td>
                                                <td>{row.email}</td>
                                                <td><span class=format!("badge {}", row.status.as_db())>{row.status.label()}</span></td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }),
                        Err(error) => Either::Right(view! { <p class="alert" role="alert">{error.to_string()}</p> }),
                    }
                })}
            </Transition>
        </div>
    }
}
