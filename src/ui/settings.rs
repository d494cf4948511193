//! Manage › Platform Settings: Users, Teams, each team's Members tab, and
//! the tabs' frame (the Sign-in tab lives in `sign_in_settings`).

use super::{
    auth::SessionContext,
    notices::{NoticeArea, Notices},
    users::UsersTable,
    widgets::Loading,
};
use crate::api::users::{add_team_member_by_email, create_team, list_teams};
use leptos::{prelude::*, task::spawn_local};
use leptos_meta::Title;
use leptos_router::{
    components::{Redirect, A},
    hooks::use_params_map,
};

/// Sends signed-out visitors to the sign-in page.
#[component]
pub(super) fn SignedInOnly() -> impl IntoView {
    let session = SessionContext::get();
    move || {
        session.info.get().and_then(|r| r.ok()).and_then(|info| {
            info.user
                .is_none()
                .then(|| view! { <Redirect path="/login" /> })
        })
    }
}

#[component]
pub(super) fn SettingsTabs() -> impl IntoView {
    let session = SessionContext::get();
    let org_manager = move || session.is_org_manager();
    view! {
        <p class="eyebrow">"Platform Settings"</p>
        <nav class="subnav" aria-label="Platform Settings">
            <Transition>{move || org_manager().then(|| view! { <A href="/manage/settings/users">"Users"</A> })}</Transition>
            <A href="/manage/settings/teams">"Teams"</A>
            <Transition>{move || org_manager().then(|| view! { <A href="/manage/settings/sign-in">"Sign-in"</A> })}</Transition>
        </nav>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <Title text="Users · Platform Settings" />
        <Transition><SignedInOnly /></Transition>
        <div class="page">
            <SettingsTabs />
            <h1>"Users"</h1>
            <UsersTable />
        </div>
    }
}

#[component]
pub fn TeamsPage() -> impl IntoView {
    let session = SessionContext::get();
    let notices = Notices::provide();
    let refresh = RwSignal::new(0);
    let teams = Resource::new(move || refresh.get(), |_| list_teams());
    let name = RwSignal::new(String::new());
    let org_manager = move || session.is_org_manager();
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let team = name.get_untracked();
        spawn_local(async move {
            match create_team(team.clone()).await {
                Ok(_) => {
                    name.set(String::new());
                    notices.ok(format!("Team {} created", team.trim()));
                    refresh.update(|n| *n += 1);
                }
                Err(e) => notices.error(&e),
            }
        });
    };
    view! {
        <Title text="Teams · Platform Settings" />
        <Transition><SignedInOnly /></Transition>
        <div class="page">
            <SettingsTabs />
            <h1>"Teams"</h1>
            <NoticeArea />
            <Transition>
                {move || org_manager().then(|| view! {
                    <form class="inline-form" on:submit=create>
                        <label>"New team" <input required maxlength="200" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) /></label>
                        <button type="submit" class="primary">"Create team"</button>
                    </form>
                })}
            </Transition>
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match teams.await {
                        Ok(teams) if teams.is_empty() => view! { <p class="empty">"No teams yet."</p> }.into_any(),
                        Ok(teams) => view! {
                            <ul class="team-list">
                                {teams.into_iter().map(|team| view! {
                                    <li class="card">
                                        <a href=format!("/manage/settings/teams/{}/members", team.id)>{team.name.clone()}</a>
                                        <span class="muted">{format!("{} members", team.members)}</span>
                                        <span class="muted">{if team.managers.is_empty() { "No Team Manager".to_string() } else { format!("Managed by {}", team.managers.join(", ")) }}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <p class="alert" role="alert">{e.to_string()}</p> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
}

#[component]
pub fn TeamMembersPage() -> impl IntoView {
    let session = SessionContext::get();
    let params = use_params_map();
    let team_id = move || params.get().get("id").unwrap_or_default();
    let teams = Resource::new(|| (), |_| list_teams());
    let org_manager = move || session.is_org_manager();
    view! {
        <Title text="Members · Teams" />
        <Transition><SignedInOnly /></Transition>
        <div class="page">
            <SettingsTabs />
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    let id = team_id();
                    let team = teams.await.ok().and_then(|t| t.into_iter().find(|t| t.id == id));
                    match team {
                        Some(team) => view! { <h1>{team.name}</h1> }.into_any(),
                        None => view! { <h1>"Team"</h1><p class="alert" role="alert">"You do not have access to this team."</p> }.into_any(),
                    }
                })}
            </Transition>
            <div role="tablist" class="tabs">
                <a role="tab" aria-selected="true" href="">"Members"</a>
            </div>
            <div role="tabpanel" aria-label="Members">
                // In a Transition, like every read of the session: it is then
                // resolved on the server and the same during hydration.
                <Transition>{move || org_manager().then(|| view! { <AddMember team_id=team_id() /> })}</Transition>
                {move || view! { <UsersTable team_id=team_id() /> }}
            </div>
        </div>
    }
}

/// Org Managers add existing users to a team and appoint Team Managers.
#[component]
fn AddMember(team_id: String) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let as_manager = RwSignal::new(false);
    let message = RwSignal::new(None::<Result<String, String>>);
    let team_id = StoredValue::new(team_id);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (who, manager) = (email.get_untracked(), as_manager.get_untracked());
        spawn_local(async move {
            match add_team_member_by_email(team_id.get_value(), who.clone(), manager).await {
                Ok(()) => {
                    email.set(String::new());
                    let role = if manager { "Team Manager" } else { "member" };
                    message.set(Some(Ok(format!(
                        "{} added as {role}. Reload to see them in the table.",
                        who.trim()
                    ))));
                }
                Err(e) => message.set(Some(Err(e.to_string()))),
            }
        });
    };
    view! {
        <form class="inline-form" on:submit=submit aria-label="Add a member">
            <label>"Add member by email" <input type="email" required prop:value=email on:input=move |ev| email.set(event_target_value(&ev)) /></label>
            <label class="inline"><input type="checkbox" prop:checked=as_manager on:change=move |_| as_manager.update(|m| *m = !*m) /> "Team Manager"</label>
            <button type="submit">"Add"</button>
            {move || message.get().map(|m| match m {
                Ok(text) => view! { <span class="ok-text">{text}</span> }.into_any(),
                Err(text) => view! { <span class="alert" role="alert">{text}</span> }.into_any(),
            })}
        </form>
    }
}
