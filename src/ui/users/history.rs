//! What the detail panel shows (R21): invitations and their links, every
//! email with each delivery attempt and the mail server's reply, and the
//! audit entries. Rendered on the server only: the panel asks for this HTML
//! (`api::users::user_details`), so none of it is in the browser's download.

use crate::domain::{
    format::{exact_time, relative_time},
    history::{AuditLine, EmailHistory, InvitationHistory, UserHistory},
};
use leptos::{either::Either, prelude::*};

/// The panel's content for one user, as HTML.
pub fn history_html(history: UserHistory) -> String {
    view! { <HistoryView history /> }.to_html()
}

/// Each item rendered, or a muted line saying there is none.
/// (`Either`, not `AnyView`, here and in the other islands: each `AnyView`
/// brings its type's asynchronous hydration into the WASM.)
fn each_or<T, V: IntoView + 'static>(
    items: Vec<T>,
    none: &'static str,
    render: impl Fn(T) -> V,
) -> impl IntoView {
    if items.is_empty() {
        Either::Left(view! { <p class="muted">{none}</p> })
    } else {
        Either::Right(items.into_iter().map(render).collect_view())
    }
}

/// Relative time, exact time on hover (SPEC §5).
fn when(ms: i64, now: i64) -> impl IntoView {
    view! { <time title=exact_time(ms)>{relative_time(ms, now)}</time> }
}

#[component]
fn HistoryView(history: UserHistory) -> impl IntoView {
    let now = history.generated_at;
    let joined = history
        .activated_at
        .map(|at| view! { " · joined " {when(at, now)} });
    let invitations = each_or(history.invitations, "No invitations.", move |i| {
        invitation(i, now)
    });
    let emails = each_or(history.emails, "No emails.", move |e| email(e, now));
    let audit = if history.audit.is_empty() {
        Either::Left(view! { <p class="muted">"Nothing recorded."</p> })
    } else {
        let lines = history
            .audit
            .into_iter()
            .map(|line| audit_line(line, now))
            .collect_view();
        Either::Right(view! { <ol class="timeline">{lines}</ol> })
    };
    view! {
        <h2 id="detail-title">{format!("Details for {}", history.email)}</h2>
        <p class="muted">
            {if history.name.is_empty() { String::new() } else { format!("{} · ", history.name) }}
            {history.status.label()} " · added " {when(history.created_at, now)} {joined}
        </p>
        <section aria-labelledby="detail-invitations">
            <h3 id="detail-invitations">"Invitations"</h3>
            {invitations}
        </section>
        <section aria-labelledby="detail-emails">
            <h3 id="detail-emails">"Emails"</h3>
            {emails}
        </section>
        <section aria-labelledby="detail-audit">
            <h3 id="detail-audit">"Activity"</h3>
            {audit}
        </section>
    }
}

fn invitation(i: InvitationHistory, now: i64) -> impl IntoView {
    let links = i
        .links
        .into_iter()
        .map(|l| {
            let state = l.state_label(now);
            let tries = (l.failed_confirmations > 0)
                .then(|| format!(" · {} wrong email addresses typed", l.failed_confirmations));
            view! {
                <li>
                    <code class="token-end">{format!("…{}", l.token_end)}</code> " "
                    {l.kind.label()} " link, made " {when(l.created_at, now)}
                    ", expires " {when(l.expires_at, now)} " · " <strong>{state}</strong> {tries}
                </li>
            }
        })
        .collect_view();
    let closed = i.closed_at.map(|at| view! { " · closed " {when(at, now)} });
    view! {
        <article class="history-item">
            <p>
                <strong>{i.status.label()}</strong> " · invited by " {i.invited_by} " " {when(i.first_sent_at, now)}
                " · last sent by " {i.last_sent_by} " " {when(i.last_sent_at, now)} {closed}
            </p>
            <ul class="links">{links}</ul>
        </article>
    }
}

fn email(e: EmailHistory, now: i64) -> impl IntoView {
    let status = e.status_label();
    let attempts = e
        .attempts
        .into_iter()
        .map(|a| {
            view! {
                <li class:failed=!a.succeeded>
                    {when(a.at, now)} " · " {if a.succeeded { "accepted" } else { "failed" }} ": "
                    <code class="reply">{a.reply}</code>
                </li>
            }
        })
        .collect_view();
    view! {
        <article class="history-item">
            <p><strong>{e.subject}</strong> " to " {e.to} " · queued " {when(e.queued_at, now)} " · " {status}</p>
            <ol class="attempts" aria-label="Delivery attempts">{attempts}</ol>
        </article>
    }
}

fn audit_line(line: AuditLine, now: i64) -> impl IntoView {
    let label = line.action_label();
    let detail = (!line.detail.is_empty()).then(|| format!(" ({})", line.detail));
    view! { <li>{when(line.at, now)} " · " {line.actor} ": " {label} {detail}</li> }
}
