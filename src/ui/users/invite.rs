//! **Invite users**: one person, or a pasted/uploaded CSV of up to 10,000
//! rows sent in chunks with a progress bar and a downloadable result (R3, R4).

use crate::api::users::{bulk_invite, invite_user, list_teams};
use crate::domain::invitations::{BulkOutcome, BulkRow, InviteRequest};
use crate::domain::spreadsheet::csv_cell;
use crate::domain::teams::TeamSummary;
use crate::ui::notices::Notices;
use leptos::{either::Either, ev, html, prelude::*, task::spawn_local};

/// Rows per server call: big enough to be fast, small enough to show progress.
const CHUNK_ROWS: usize = 1_000;
/// Server calls in flight: the next chunk is on its way while the server
/// writes this one (one at a time, 2,000 rows took 2.4–3.3 s).
const CHUNKS_AT_ONCE: usize = 2;
/// Rows drawn in the results table. Drawing all 10,000 took the browser
/// 2.5 s, twice the invites themselves; a big file's table lists the rows
/// that need attention (not invited), and every row is in the download.
const SHOWN_ROWS: usize = 500;

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    One,
    Many,
}

#[component]
pub fn InvitePanel(team_id: Option<String>, #[prop(into)] on_done: Callback<()>) -> impl IntoView {
    let open = RwSignal::new(false);
    let tab = RwSignal::new(Tab::One);
    let team_id = StoredValue::new(team_id);
    let trigger = NodeRef::<html::Button>::new();
    let close_button = NodeRef::<html::Button>::new();
    // Focus moves into the dialog when it opens, so Escape reaches it.
    Effect::new(move || {
        if let Some(button) = close_button.get() {
            let _ = button.focus();
        }
    });
    // Focus goes back to the button that opened the dialog.
    let close = move || {
        open.set(false);
        if let Some(button) = trigger.get_untracked() {
            let _ = button.focus();
        }
    };
    let on_key = move |event: ev::KeyboardEvent| {
        if event.key() == "Escape" {
            close();
        }
    };
    view! {
        <button type="button" class="primary" node_ref=trigger aria-expanded=move || open.get().to_string()
            on:click=move |_| open.update(|o| *o = !*o)>"Invite users"</button>
        // `Option` rather than `<Show>`, here and in the other islands:
        // each `<Show>` brings a type-erased fallback into the WASM.
        {move || open.get().then(|| view! {
            <div class="backdrop" on:keydown=on_key>
                <section role="dialog" aria-modal="true" aria-labelledby="invite-title" class="dialog wide">
                    <header class="dialog-head">
                        <h2 id="invite-title">"Invite users"</h2>
                        <button type="button" class="ghost" aria-label="Close" node_ref=close_button
                            on:click=move |_| close()>"✕"</button>
                    </header>
                    <div role="tablist" class="tabs">
                        <button type="button" role="tab" aria-selected=move || (tab.get() == Tab::One).to_string()
                            on:click=move |_| tab.set(Tab::One)>"One person"</button>
                        <button type="button" role="tab" aria-selected=move || (tab.get() == Tab::Many).to_string()
                            on:click=move |_| tab.set(Tab::Many)>"Many (CSV)"</button>
                    </div>
                    {move || match tab.get() {
                        Tab::One => Either::Left(view! { <InviteOne team_id=team_id.get_value() on_done /> }),
                        Tab::Many => Either::Right(view! { <InviteMany team_id=team_id.get_value() on_done /> }),
                    }}
                </section>
            </div>
        })}
    }
}

#[component]
fn InviteOne(team_id: Option<String>, on_done: Callback<()>) -> impl IntoView {
    let notices = Notices::get();
    let email = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let chosen = RwSignal::new(team_id.clone().into_iter().collect::<Vec<String>>());
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    // Asked for when the dialog opens (the dialog is drawn in the browser only).
    let teams = RwSignal::new(None::<Vec<TeamSummary>>);
    spawn_local(async move { teams.set(Some(list_teams().await.unwrap_or_default())) });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        busy.set(true);
        let request = InviteRequest {
            email: email.get_untracked(),
            name: name.get_untracked(),
            team_ids: chosen.get_untracked(),
        };
        spawn_local(async move {
            match invite_user(request).await {
                Ok(invited) => {
                    error.set(None);
                    email.set(String::new());
                    name.set(String::new());
                    notices.ok(format!("Invitation sent to {}", invited.email));
                    on_done.run(());
                }
                Err(e) => error.set(Some(e.to_string())),
            }
            busy.set(false);
        });
    };
    view! {
        <form class="form" on:submit=submit>
            <label>"Email" <input type="email" required prop:value=email on:input=move |ev| email.set(event_target_value(&ev)) /></label>
            <label>"Name (optional)" <input prop:value=name on:input=move |ev| name.set(event_target_value(&ev)) /></label>
            <fieldset class="team-choice">
                <legend>"Teams"</legend>
                    {move || match teams.get() {
                    None => Either::Left("…"),
                    Some(teams) => Either::Right(teams.into_iter().map(|team| {
                        let id = team.id.clone();
                        let checked_id = team.id.clone();
                        view! {
                            <label class="inline">
                                <input type="checkbox" prop:checked=move || chosen.get().contains(&checked_id)
                                    on:change=move |_| { let id = id.clone(); chosen.update(|c| match c.iter().position(|t| *t == id) {
                                        Some(i) => { c.remove(i); }
                                        None => c.push(id),
                                    }); } />
                                {team.name}
                            </label>
                        }
                    }).collect_view()),
                }}

            </fieldset>
            {move || error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            <button type="submit" class="primary" disabled=busy>"Send invitation"</button>
        </form>
    }
}

#[component]
fn InviteMany(team_id: Option<String>, on_done: Callback<()>) -> impl IntoView {
    let notices = Notices::get();
    let text = RwSignal::new(String::new());
    let progress = RwSignal::new(None::<(usize, usize)>);
    let results = RwSignal::new(Vec::<BulkRow>::new());
    let error = RwSignal::new(None::<String>);
    let team_id = StoredValue::new(team_id);

    let on_file = move |ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let input: web_sys::HtmlInputElement = ev.target().unwrap().unchecked_into();
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                spawn_local(async move {
                    if let Some(content) = crate::ui::browser::read_file(file).await {
                        text.set(content);
                    }
                });
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    };

    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let all = text.get_untracked();
        let lines: Vec<&str> = all.lines().collect();
        let has_header = lines
            .first()
            .is_some_and(|l| l.trim().to_lowercase().starts_with("email"));
        // Chunks are judged separately by the server, so repeats across
        // chunks are caught here: the repeat becomes a blank line (keeping
        // line numbers) and is reported as a duplicate row (R4).
        let mut seen = std::collections::BTreeSet::new();
        let mut duplicates = Vec::new();
        let data: Vec<String> = lines
            .iter()
            .enumerate()
            .skip(has_header as usize)
            .map(|(i, l)| {
                let email = l
                    .split(',')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .trim_matches('"')
                    .to_lowercase();
                if !email.is_empty() && !seen.insert(email.clone()) {
                    duplicates.push(BulkRow {
                        line: i + 1,
                        email: l.split(',').next().unwrap_or("").trim().to_string(),
                        outcome: BulkOutcome::DuplicateRow,
                        message: format!("{email} appears earlier in the file."),
                    });
                    String::new()
                } else {
                    l.to_string()
                }
            })
            .collect();
        if data.iter().all(|l| l.trim().is_empty()) {
            error.set(Some(
                "Paste or upload at least one row: email, name (optional), team (optional).".into(),
            ));
            return;
        }
        if data.len() > 10_000 {
            error.set(Some(
                "A bulk invite takes at most 10000 rows; split the file.".into(),
            ));
            return;
        }
        error.set(None);
        results.set(Vec::new());
        let total = data.len();
        progress.set(Some((0, total)));
        let team = team_id.get_value();
        spawn_local(async move {
            use futures::StreamExt;
            let offset_base = has_header as usize;
            // The results table, its summary and the download are made once,
            // at the end: redrawn after each chunk they cost more than the
            // invites (every row again, every time).
            let mut rows = duplicates;
            let mut done = 0;
            let mut replies = futures::stream::iter(data.chunks(CHUNK_ROWS).enumerate())
                .map(|(i, chunk)| {
                    let team = team.clone();
                    async move { (i, chunk, bulk_invite(chunk.join("\n"), team).await) }
                })
                .buffered(CHUNKS_AT_ONCE);
            while let Some((i, chunk, reply)) = replies.next().await {
                match reply {
                    Ok(report) => rows.extend(report.rows.into_iter().map(|mut row| {
                        row.line += offset_base + i * CHUNK_ROWS;
                        row
                    })),
                    Err(_) if chunk.iter().all(|l| l.trim().is_empty()) => {}
                    Err(e) => {
                        error.set(Some(e.to_string()));
                        break;
                    }
                }
                done += chunk.len();
                progress.set(Some((done.min(total), total)));
            }
            // A chunk refused as a whole stops the rest: the bar says how far it got.
            drop(replies);
            rows.sort_by_key(|r| r.line);
            results.set(rows);
            let rows = results.get_untracked();
            let invited = rows
                .iter()
                .filter(|r| r.outcome == BulkOutcome::Invited)
                .count();
            notices.ok(format!(
                "{invited} invited, {} not invited, of {} rows.",
                rows.len() - invited,
                rows.len()
            ));
            on_done.run(());
        });
    };

    let summary = move || {
        let rows = results.get();
        let count = |o: BulkOutcome| rows.iter().filter(|r| r.outcome == o).count();
        [
            BulkOutcome::Invited,
            BulkOutcome::AlreadyInvited,
            BulkOutcome::AlreadyActive,
            BulkOutcome::Deactivated,
            BulkOutcome::InvalidEmail,
            BulkOutcome::DuplicateRow,
            BulkOutcome::UnknownTeam,
            BulkOutcome::NotAllowed,
            BulkOutcome::Cooldown,
        ]
        .into_iter()
        .filter(|o| count(*o) > 0)
        .map(|o| format!("{} {}", count(o), o.label()))
        .collect::<Vec<_>>()
        .join(" · ")
    };
    // The rows the table lists: all of a small file's, else those not invited.
    let shown = move || {
        let rows = results.get();
        let total = rows.len();
        let listed: Vec<BulkRow> = if total <= SHOWN_ROWS {
            rows
        } else {
            rows.into_iter()
                .filter(|r| r.outcome != BulkOutcome::Invited)
                .collect()
        };
        let more = listed.len().saturating_sub(SHOWN_ROWS);
        (
            listed.into_iter().take(SHOWN_ROWS).collect::<Vec<_>>(),
            total,
            more,
        )
    };
    let note = move || {
        let (listed, total, more) = shown();
        (total > SHOWN_ROWS).then(|| {
            let what = if more > 0 {
                format!("The first {} rows not invited are listed", listed.len())
            } else if listed.is_empty() {
                "Every row was invited".to_string()
            } else {
                "The rows not invited are listed".to_string()
            };
            view! { <p class="hint">{format!("{what}; all {total} rows and their outcomes are in the download.")}</p> }
        })
    };
    let download = move || {
        let mut csv = String::from("line,email,outcome,message\n");
        for row in results.get().iter() {
            csv.push_str(&format!(
                "{},{},{},{}\n",
                row.line,
                csv_cell(&row.email),
                row.outcome.label(),
                csv_cell(&row.message)
            ));
        }
        format!("data:text/csv;charset=utf-8,{}", percent_encode(&csv))
    };

    view! {
        <form class="form" on:submit=start>
            <label>
                "CSV rows"
                <textarea rows="8" placeholder="email,name,team\nada@example.com,Ada Lovelace,Blue" prop:value=text
                    on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                <small>"One person per line: email, then optionally name and team. Up to 10,000 rows."</small>
            </label>
            <label>"Or upload a CSV file" <input type="file" accept=".csv,text/csv,text/plain" on:change=on_file /></label>
            {move || error.get().map(|e| view! { <p class="alert" role="alert">{e}</p> })}
            <button type="submit" class="primary" disabled=move || progress.get().is_some_and(|(d, t)| d < t)>"Invite all"</button>
        </form>
        {move || progress.get().map(|(done, total)| view! {
            <div class="progress">
                <progress max=total value=done aria-label="Invite progress"></progress>
                <span>{format!("{done} / {total} rows")}</span>
            </div>
        })}
        {move || results.with(|r| !r.is_empty()).then(|| view! {
            <p class="summary">{summary}</p>
            <a class="button" download="invite-results.csv" href=download>"Download results (CSV)"</a>
            {note}
            <div class="table-wrap results">
                <table aria-label="Invite results">
                    <thead><tr><th scope="col">"Line"</th><th scope="col">"Email"</th><th scope="col">"Outcome"</th><th scope="col">"Message"</th></tr></thead>
                    <tbody>
                        {move || shown().0.into_iter().map(|row| view! {
                            <tr class=format!("outcome-{:?}", row.outcome).to_lowercase()>
                                <td>{row.line}</td><td>{row.email}</td><td>{row.outcome.label()}</td><td>{row.message}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        })}
    }
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'@' | b',' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}
