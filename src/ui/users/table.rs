//! The users table: filters, search, sort, pages, selection and bulk resend.
//! Used by Platform Settings › Users and by each team's Members tab.

use super::{
    detail::UserDetail,
    invite::InvitePanel,
    row_menu::RowMenu,
    url::{params_of, query_from_search},
};
use crate::api::users::{bulk_resend, list_users, matching_user_ids};
use crate::domain::{
    format::{exact_time, relative_time},
    invitations::{LinkFilter, PageAnchor, SortKey, UserListRow, UserPage, UserQuery},
    AppError, UserStatus,
};
use crate::ui::{
    browser,
    notices::{NoticeArea, Notices},
    props,
};
use leptos::{
    either::{Either, EitherOf3},
    ev,
    prelude::*,
    task::spawn_local,
};
use std::collections::BTreeSet;

const BULK_CHUNK: usize = 50;

/// An island: the page around it is rendered on the server, which passes
/// the query read from the URL and whether the viewer is an Org Manager
/// (islands see no server context). The table keeps its state in the URL
/// itself (`history.pushState`), and follows back and forward.
#[island]
pub fn UsersTable(
    /// The search part of the URL the page was asked with (`?status=…`):
    /// read the same way on both sides, and the browser carries no decoder
    /// for a whole `UserQuery`.
    search: String,
    /// Its answer (`Result<UserPage, AppError>` as JSON, see `ui::props`),
    /// fetched by the server with the page: an island's props are its only
    /// input from the server.
    first_page: String,
    org_manager: bool,
    #[prop(optional)] team_id: Option<String>,
) -> impl IntoView {
    let org_manager = Memo::new(move |_| org_manager);
    let notices = Notices::provide();
    let query = RwSignal::new(query_from_search(&search, team_id.clone()));
    let refresh = RwSignal::new(0u32);
    let page = RwSignal::new(props::decode(&first_page).unwrap_or(Err(AppError::Internal)));
    // Each change of the query, and each reload, asks again; only the
    // latest answer is shown (a slow answer to an older search is dropped).
    let asked = StoredValue::new(0u64);
    Effect::new(move |first_run: Option<()>| {
        let q = query.get();
        refresh.track();
        if first_run.is_none() {
            return; // the first page came with the island
        }
        let ticket = asked.get_value() + 1;
        asked.set_value(ticket);
        spawn_local(async move {
            let answer = list_users(q).await;
            if asked.get_value() == ticket {
                page.set(answer);
            }
        });
    });
    let reload = Callback::new(move |_| refresh.update(|n| *n += 1));
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let bulk_progress = RwSignal::new(None::<(usize, usize)>);
    let details_of = RwSignal::new(None::<String>);
    let show_details = Callback::new(move |id: String| details_of.set(Some(id)));

    let go = Callback::new(move |q: UserQuery| {
        selected.set(BTreeSet::new());
        browser::push_query(&params_of(&q));
        query.set(q);
    });
    // Back and forward: the URL is the state.
    let team = team_id.clone();
    let on_history = window_event_listener(ev::popstate, move |_| {
        selected.set(BTreeSet::new());
        query.set(query_from_search(&browser::location_search(), team.clone()));
    });
    on_cleanup(move || on_history.remove());
    let edit = move |change: &dyn Fn(&mut UserQuery)| {
        let mut q = query.get_untracked();
        change(&mut q);
        go.run(q);
    };

    // Read in place: `get` would clone the whole page (every row) for each
    // of the seven numbers that show a count.
    let counts = move || page.with(|p| p.as_ref().map(|p| p.counts.clone()).unwrap_or_default());
    let status_box = move |status: UserStatus| {
        let count = move || {
            let c = counts();
            match status {
                UserStatus::Invited => c.invited,
                UserStatus::Active => c.active,
                UserStatus::Deactivated => c.deactivated,
            }
        };
        view! {
            <span class="check">
                <label>
                    <input type="checkbox" prop:checked=move || query.get().statuses.contains(&status)
                        on:change=move |_| edit(&|q: &mut UserQuery| {
                            match q.statuses.iter().position(|s| *s == status) {
                                Some(i) => { q.statuses.remove(i); }
                                None => q.statuses.push(status),
                            }
                            q.page = 1;
                        }) />
                    {status.label()}
                </label>
                <span class="count" aria-hidden="true">{count}</span>
            </span>
        }
    };
    let view_link = move |filter: LinkFilter, label: &'static str| {
        let count = move || match filter {
            LinkFilter::Expired => counts().expired,
            LinkFilter::ExpiringSoon => counts().expiring_soon,
            // The views are of invitation links: every Invited user's.
            LinkFilter::Any => counts().invited,
        };
        view! {
            <button type="button" class="chip" aria-pressed=move || (query.get().link == filter).to_string()
                on:click=move |_| edit(&|q: &mut UserQuery| { q.link = filter; q.page = 1; })>
                {label} " " <span class="count">{count}</span>
            </button>
        }
    };

    // Search as you type, a moment after the last key.
    let typed = RwSignal::new(0u64);
    let on_search = move |value: String| {
        let ticket = typed.get_untracked() + 1;
        typed.set(ticket);
        set_timeout(
            move || {
                if typed.get_untracked() == ticket && query.get_untracked().search != value {
                    edit(&|q: &mut UserQuery| {
                        q.search = value.clone();
                        q.page = 1;
                    });
                }
            },
            std::time::Duration::from_millis(250),
        );
    };

    let resend_ids = move |ids: Vec<String>| {
        spawn_local(async move {
            let total = ids.len();
            let mut report = crate::domain::invitations::BulkResendReport::default();
            bulk_progress.set(Some((0, total)));
            for (i, chunk) in ids.chunks(BULK_CHUNK).enumerate() {
                match bulk_resend(chunk.to_vec(), None).await {
                    Ok(r) => {
                        report.sent += r.sent;
                        report.skipped_cooldown += r.skipped_cooldown;
                        report.not_invited += r.not_invited;
                    }
                    Err(e) => {
                        notices.error(&e);
                        bulk_progress.set(None);
                        refresh.update(|n| *n += 1);
                        return;
                    }
                }
                bulk_progress.set(Some(((i * BULK_CHUNK + chunk.len()).min(total), total)));
            }
            bulk_progress.set(None);
            selected.set(BTreeSet::new());
            notices.ok(format!(
                "Resent {} invitations; skipped {} sent within the last 15 minutes; {} not invited.",
                report.sent, report.skipped_cooldown, report.not_invited
            ));
            refresh.update(|n| *n += 1);
        });
    };
    let resend_matching = move |_| {
        let q = query.get_untracked();
        spawn_local(async move {
            match matching_user_ids(q).await {
                Ok(ids) => resend_ids(ids),
                Err(e) => notices.error(&e),
            }
        });
    };

    let team_for_invite = team_id.clone();
    view! {
        <NoticeArea />
        <div class="toolbar">
            <fieldset class="filters" role="group" aria-label="Filter by:">
                <legend>"Filter by:"</legend>
                {status_box(UserStatus::Invited)}
                {status_box(UserStatus::Active)}
                {status_box(UserStatus::Deactivated)}
            </fieldset>
            <input type="search" class="search" aria-label="Search users" placeholder="Search by name or email"
                prop:value=move || query.get().search on:input=move |ev| on_search(event_target_value(&ev)) />
            <InvitePanel team_id=team_for_invite on_done=reload />
        </div>
        <div class="views" role="group" aria-label="Invitation links">
            {view_link(LinkFilter::Any, "All")}
            {view_link(LinkFilter::ExpiringSoon, "Expiring soon")}
            {view_link(LinkFilter::Expired, "Expired")}
        </div>
        <div class="bulkbar">
            <span>{move || match selected.get().len() { 0 => String::new(), n => format!("{n} selected") }}</span>
            <button type="button" disabled=move || selected.get().is_empty() || bulk_progress.get().is_some()
                on:click=move |_| resend_ids(selected.get_untracked().into_iter().collect())>
                "Resend Invite to selected"
            </button>
            <button type="button" disabled=move || bulk_progress.get().is_some() on:click=resend_matching>
                {move || format!("Resend Invite to all {} Invited matching", page.with(|p| p.as_ref().map_or(0, |p| p.invited_matching)))}
            </button>
            {move || bulk_progress.get().map(|(done, total)| view! {
                <progress max=total value=done aria-label="Resend progress"></progress>
                <span>{format!("{done} / {total}")}</span>
            })}
        </div>
        {move || match page.get() {
            Ok(page) => EitherOf3::A(view! { <Table page query go selected org_manager reload show_details /> }),
            Err(AppError::Forbidden) => EitherOf3::B(view! {
                <p class="alert" role="alert">"You do not have access to these users."</p>
            }),
            Err(error) => EitherOf3::C(view! { <p class="alert" role="alert">{error.to_string()}</p> }),
        }}
        {move || details_of.get().map(|user_id| view! {
            <UserDetail user_id=user_id.clone() on_close=move |_| {
                details_of.set(None);
                crate::ui::browser::focus_by_id(&super::row_menu::trigger_id(&user_id));
            } />
        })}
    }
}

#[component]
fn Table(
    page: UserPage,
    query: RwSignal<UserQuery>,
    go: Callback<UserQuery>,
    selected: RwSignal<BTreeSet<String>>,
    org_manager: Memo<bool>,
    reload: Callback<()>,
    show_details: Callback<String>,
) -> impl IntoView {
    let now = page.generated_at;
    let page_ids: Vec<String> = page
        .rows
        .iter()
        .filter(|r| r.status == UserStatus::Invited)
        .map(|r| r.id.clone())
        .collect();
    let all_ids = page_ids.clone();
    let all_selected =
        move || !all_ids.is_empty() && all_ids.iter().all(|id| selected.get().contains(id));
    let pages =
        ((page.total + i64::from(page.per_page) - 1) / i64::from(page.per_page)).max(1) as u32;
    let current = page.page;
    let sort_header = move |key: SortKey, label: &'static str| {
        let aria_sort = move || {
            let q = query.get();
            if q.sort != key {
                "none"
            } else if q.descending {
                "descending"
            } else {
                "ascending"
            }
        };
        view! {
            <th scope="col" aria-sort=aria_sort>
                <button type="button" class="sort" on:click=move |_| {
                    let mut q = query.get_untracked();
                    q.descending = q.sort == key && !q.descending;
                    q.sort = key;
                    q.page = 1;
                    go.run(q);
                }>{label}</button>
            </th>
        }
    };
    // Keyset paging: the page beside this one starts next to its first or last row.
    let first_id = page.rows.first().map(|row| row.id.clone());
    let last_id = page.rows.last().map(|row| row.id.clone());
    let to_page = move |n: u32, anchor: Option<PageAnchor>| {
        let mut q = query.get_untracked();
        q.page = n;
        q.anchor = anchor;
        go.run(q);
    };
    let empty = page.rows.is_empty();
    let rows = page
        .rows
        .into_iter()
        .map(|row| view! { <Row row now selected org_manager reload show_details /> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="users">
                <thead>
                    <tr>
                        <th scope="col" class="select">
                            <input type="checkbox" aria-label="Select all invited users on this page"
                                prop:checked=all_selected
                                on:change=move |_| {
                                    let ids = page_ids.clone();
                                    selected.update(|s| if ids.iter().all(|id| s.contains(id)) {
                                        ids.iter().for_each(|id| { s.remove(id); });
                                    } else {
                                        s.extend(ids);
                                    });
                                } />
                        </th>
                        {sort_header(SortKey::Name, "Name")}
                        {sort_header(SortKey::Email, "Email")}
                        {sort_header(SortKey::Status, "Status")}
                        <th scope="col">"Teams"</th>
                        <th scope="col">"Invited by"</th>
                        {sort_header(SortKey::LastSent, "Last sent")}
                        {sort_header(SortKey::Expires, "Expires")}
                        <th scope="col">"Link"</th>
                        <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            {empty.then(|| view! { <p class="empty">"No users match these filters."</p> })}
        </div>
        <nav class="pager" aria-label="Pagination">
            <button type="button" disabled={current <= 1} on:click=move |_| to_page(current - 1, first_id.clone().map(PageAnchor::Before))>"Previous"</button>
            <span>{format!("Page {current} of {pages} · {} users", page.total)}</span>
            <button type="button" disabled={current >= pages} on:click=move |_| to_page(current + 1, last_id.clone().map(PageAnchor::After))>"Next"</button>
        </nav>
    }
}

#[component]
fn Row(
    row: UserListRow,
    now: i64,
    selected: RwSignal<BTreeSet<String>>,
    org_manager: Memo<bool>,
    reload: Callback<()>,
    show_details: Callback<String>,
) -> impl IntoView {
    let id = row.id.clone();
    let id_for_check = id.clone();
    let invited = row.status == UserStatus::Invited;
    let time = |ms: Option<i64>| match ms {
        Some(ms) => {
            Either::Left(view! { <time title=exact_time(ms)>{relative_time(ms, now)}</time> })
        }
        None => Either::Right(view! { <span class="muted">"—"</span> }),
    };
    let expired = row.expires_at.is_some_and(|e| e <= now);
    let invited_by = row.invited_by.clone().map(|name| {
        if row.inviter_is_former {
            format!("{name} (former user)")
        } else {
            name
        }
    });
    let last_sent_title = row.last_sent_by.clone().map(|by| format!("by {by}"));
    let menu_row = row.clone();
    view! {
        <tr>
            <td class="select">
                {invited.then(|| view! {
                    <input type="checkbox" aria-label=format!("Select {}", row.email)
                        prop:checked=move || selected.get().contains(&id_for_check)
                        on:change=move |_| { let id = id.clone(); selected.update(|s| if !s.remove(&id) { s.insert(id); }); } />
                })}
            </td>
            <td>{if row.name.is_empty() { "—".to_string() } else { row.name.clone() }}</td>
            <td>{row.email.clone()}</td>
            <td>
                <span class=format!("badge {}", row.status.as_db())>{row.status.label()}</span>
                // The reason is in the tooltip and, for screen readers, in the text.
                {row.email_failure.clone().map(|reason| {
                    let title = reason.clone();
                    view! { <span class="email-failed" title=title>"Email failed"<span class="visually-hidden">": " {reason}</span></span> }
                })}
            </td>
            <td>{row.teams.join(", ")}</td>
            <td>{invited_by.unwrap_or_else(|| "—".into())}</td>
            <td title=last_sent_title>{time(row.last_sent_at)}</td>
            <td class:expired=expired>{time(row.expires_at)}</td>
            <td><code class="token-end">{row.token_end.clone().map(|t| format!("…{t}")).unwrap_or_default()}</code></td>
            <td class="actions">
                {move || view! { <RowMenu row=menu_row.clone() org_manager=org_manager.get() on_change=reload on_details=show_details /> }}
            </td>
        </tr>
    }
}
