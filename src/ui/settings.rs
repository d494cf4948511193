//! Manage › Platform Settings: Users, Teams, each team's Members tab, and
//! the tabs' frame (the Sign-in tab lives in `sign_in_settings`).

use super::{
    auth::SessionContext,
    notices::{NoticeArea, Notices},
    props,
    users::{url::query_from_search, UsersTable},
    widgets::Loading,
};
use crate::api::auth::SessionInfo;
use crate::api::users::{add_team_member_by_email, create_team, list_teams, list_users};
use crate::domain::{teams::TeamSummary, AppError, SessionUser};
use leptos::{
    either::{Either, EitherOf3},
    prelude::*,
    task::spawn_local,
};
use leptos_meta::Title;
use leptos_router::{
    components::{Redirect, A},
    hooks::{use_location, use_params_map},
};

/// Renders `page` for the signed-in user; a signed-out visitor is sent to
/// the sign-in page (a 302 from the server: the pages wait for their data).
/// When the session cannot be read (the database is down), the page says so.
pub(super) fn signed_in<V: IntoView + 'static>(
    page: impl Fn(SessionUser) -> V + Send + Sync + 'static,
) -> impl IntoView {
    let session = SessionContext::get();
    view! {
        <Transition fallback=Loading>
            {move || session.info.get().map(|info| match info {
                Ok(SessionInfo { user: Some(user), .. }) => EitherOf3::A(page(user)),
                Ok(_) => EitherOf3::B(view! { <Redirect path="/login" /> }),
                Err(error) => EitherOf3::C(view! {
                    <section class="card"><p class="alert" role="alert">{error.to_string()}</p></section>
                }),
            })}
        </Transition>
    }
}

#[component]
pub(super) fn SettingsTabs(org_manager: bool) -> impl IntoView {
    view! {
        <p class="eyebrow">"Platform Settings"</p>
        <nav class="subnav" aria-label="Platform Settings">
            {org_manager.then(|| view! { <A href="/manage/settings/users">"Users"</A> })}
            <A href="/manage/settings/teams">"Teams"</A>
            {org_manager.then(|| view! { <A href="/manage/settings/sign-in">"Sign-in"</A> })}
            {org_manager.then(|| view! { <A href="/manage/settings/reminders">"Reminders"</A> })}
            {org_manager.then(|| view! { <A href="/manage/settings/api-tokens">"API tokens"</A> })}
            {org_manager.then(|| view! { <A href="/manage/settings/webhooks">"Webhooks"</A> })}
        </nav>
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let search = use_location().search.get_untracked();
    let query = query_from_search(&search, None);
    // Fetched with the page, outside the view that waits for the session:
    // an island's data reaches it in its props.
    let first_page = Resource::new_blocking(
        {
            let query = query.clone();
            move || query.clone()
        },
        list_users,
    );
    view! {
        <Title text="Users · Platform Settings" />
        {signed_in(move |user| {
            let search = search.clone();
            Suspend::new(async move {
                let first_page = first_page.await;
                view! {
                    <div class="page">
                        <SettingsTabs org_manager=user.is_org_manager() />
                        <h1>"Users"</h1>
                        <UsersTable search first_page=props::encode(&first_page) org_manager=user.is_org_manager() />
                    </div>
                }
            })
        })}
    }
}

#[component]
pub fn TeamsPage() -> impl IntoView {
    let teams = Resource::new_blocking(|| (), |_| list_teams());
    view! {
        <Title text="Teams · Platform Settings" />
        {signed_in(move |user| Suspend::new(async move {
            let teams = teams.await;
            view! {
                <div class="page">
                    <SettingsTabs org_manager=user.is_org_manager() />
                    <h1>"Teams"</h1>
                    <TeamList teams=props::encode(&teams) org_manager=user.is_org_manager() />
                </div>
            }
        }))}
    }
}

/// The teams and, for Org Managers, the form that creates one: an island,
/// so a new team joins the list without a page load.
#[island]
fn TeamList(
    /// `Result<Vec<TeamSummary>, AppError>` as JSON (see `ui::props`).
    teams: String,
    org_manager: bool,
) -> impl IntoView {
    let notices = Notices::provide();
    let teams: Result<Vec<TeamSummary>, AppError> =
        props::decode(&teams).unwrap_or(Err(AppError::Internal));
    let teams = RwSignal::new(teams);
    let name = RwSignal::new(String::new());
    let create = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let team = name.get_untracked();
        spawn_local(async move {
            match create_team(team.clone()).await {
                Ok(_) => {
                    name.set(String::new());
                    notices.ok(format!("Team {} created", team.trim()));
                    teams.set(list_teams().await);
                }
                Err(e) => notices.error(&e),
            }
        });
    };
    view! {
        <NoticeArea />
        {org_manager.then(|| view! {
            <form class="inline-form" on:submit=create>
                <label>"New team" <input required maxlength="200" prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) /></label>
                <button type="submit" class="primary">"Create team"</button>
            </form>
        })}
        {move || match teams.get() {
                    Ok(teams) if teams.is_empty() => EitherOf3::A(view! { <p class="empty">"No teams yet."</p> }),
                    Ok(teams) => EitherOf3::B(view! {
                        <ul class="team-list">
                            {teams.into_iter().map(|team| view! {
                                <li class="card">
                                    <a href=format!("/manage/settings/teams/{}/members", team.id)>{team.name.clone()}</a>
                                    <span class="muted">{format!("{} members", team.members)}</span>
                                    <span class="muted">{if team.managers.is_empty() { "No Team Manager".to_string() } else { format!("Managed by {}", team.managers.join(", ")) }}</span>
                                </li>
                            }).collect_view()}
                        </ul>
                    }),
                    Err(e) => EitherOf3::C(view! { <p class="alert" role="alert">{e.to_string()}</p> }),
        }}
    }
}

#[component]
pub fn TeamMembersPage() -> impl IntoView {
    let team_id = use_params_map().with_untracked(|p| p.get("id").unwrap_or_default());
    let search = use_location().search.get_untracked();
    let query = query_from_search(&search, Some(team_id.clone()));
    let teams = Resource::new_blocking(|| (), |_| list_teams());
    let first_page = Resource::new_blocking(
        {
            let query = query.clone();
            move || query.clone()
        },
        list_users,
    );
    view! {
        <Title text="Members · Teams" />
        {signed_in(move |user| {
            let (team_id, search) = (team_id.clone(), search.clone());
            Suspend::new(async move {
                let org_manager = user.is_org_manager();
                let team = teams.await.ok().and_then(|t| t.into_iter().find(|t| t.id == team_id));
                let heading = match team {
                    Some(team) => Either::Left(view! { <h1>{team.name}</h1> }),
                    None => Either::Right(view! { <h1>"Team"</h1><p class="alert" role="alert">"You do not have access to this team."</p> }),
                };
                let first_page = first_page.await;
                view! {
                    <div class="page">
                        <SettingsTabs org_manager />
                        {heading}
                        <div role="tablist" class="tabs">
                            <a role="tab" aria-selected="true" href="">"Members"</a>
                        </div>
                        <div role="tabpanel" aria-label="Members">
                            {org_manager.then(|| view! { <AddMember team_id=team_id.clone() /> })}
                            <UsersTable search first_page=props::encode(&first_page) org_manager team_id=team_id.clone() />
                        </div>
                    </div>
                }
            })
        })}
    }
}

/// Org Managers add existing users to a team and appoint Team Managers.
#[island]
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
                Ok(text) => Either::Left(view! { <span class="ok-text">{text}</span> }),
                Err(text) => Either::Right(view! { <span class="alert" role="alert">{text}</span> }),
            })}
        </form>
    }
}
