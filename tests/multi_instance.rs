//! SPEC §8, several instances on one Postgres: two real server processes
//! share one database and one SMTP server, and a manager's browser talks to
//! either (a load balancer without sticky sessions: one cookie jar, two
//! addresses). Invites and resends through both send every email exactly
//! once, the resend cooldown (R8) holds across them, and the counts one
//! shows follow a change made through the other within 2 s.
//!
//! Postgres only: SQLite is one process by design. Skipped, with a line
//! saying so, when `ROSTER_TEST_PG_URL` is unset (`scripts/test.sh` sets it).

mod common;

use common::{
    fresh_db,
    smtp::{free_port, SmtpSink},
    Backend, TestDb,
};
use futures::future::join_all;
use roster::domain::{
    invitations::{BulkInviteReport, BulkOutcome, StatusCounts, UserPage, UserQuery},
    AppError,
};
use roster::server::repos::outbox;
use serde_json::{json, Value};
use sqlx::Row;
use std::{
    collections::BTreeMap,
    process::Stdio,
    time::{Duration, Instant},
};
use tokio::process::{Child, Command};

const DAY_MS: i64 = 24 * 3_600_000;
const COOLDOWN_MS: i64 = 15 * 60_000;
/// What every instance calls itself: links and the `Origin` a browser sends.
const PUBLIC_URL: &str = "http://roster.test";

/// One Roster process.
struct Instance {
    name: &'static str,
    address: String,
    _child: Child,
}

/// Starts the roster binary on `t`'s database, sending through `smtp`, and
/// waits for /healthz.
async fn start(name: &'static str, t: &TestDb, smtp: &SmtpSink) -> Instance {
    let port = free_port();
    let address = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_roster"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", &t.url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "roster")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("ROSTER_PUBLIC_URL", PUBLIC_URL)
        .env("ROSTER_SMTP_URL", smtp.url())
        // Each its own sender, to tell in the SMTP server who sent what.
        .env("ROSTER_MAIL_FROM", format!("{}@roster.test", sender(name)))
        .env("ROSTER_RATE_LIMIT", "100000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the roster binary");
    common::wait_until_healthy(&address, &format!("instance {name}")).await;
    Instance {
        name,
        address,
        _child: child,
    }
}

/// The manager's browser: one cookie jar (both instances are 127.0.0.1,
/// so the session cookie goes to either), same-site `Origin`.
struct Browser {
    client: reqwest::Client,
}

struct Answer {
    status: u16,
    body: String,
}

impl Answer {
    fn ok(self) -> Self {
        assert_eq!(
            self.status, 200,
            "expected 200, got {}: {}",
            self.status, self.body
        );
        self
    }

    fn json<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not the expected JSON ({e}): {}", self.body))
    }
}

impl Browser {
    fn new() -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    async fn form(&self, at: &Instance, path: &str, fields: &[(&str, &str)]) -> Answer {
        let request = self
            .client
            .post(format!("{}{path}", at.address))
            .header("origin", PUBLIC_URL)
            .header("accept", "application/json")
            .form(fields);
        read(request.send().await, at).await
    }

    async fn json(&self, at: &Instance, path: &str, body: &Value) -> Answer {
        let request = self
            .client
            .post(format!("{}{path}", at.address))
            .header("origin", PUBLIC_URL)
            .header("accept", "application/json")
            .json(body);
        read(request.send().await, at).await
    }

    async fn invite(&self, at: &Instance, email: &str) -> String {
        self.json(
            at,
            "/api/invite_user",
            &json!({ "request": { "email": email, "name": "", "team_ids": [] } }),
        )
        .await
        .ok()
        .json::<Value>()["user_id"]
            .as_str()
            .expect("the invite answer names the user")
            .to_string()
    }

    async fn resend(&self, at: &Instance, user_id: &str) -> Answer {
        self.form(at, "/api/resend_invite", &[("user_id", user_id)])
            .await
    }

    async fn counts(&self, at: &Instance) -> StatusCounts {
        self.json(
            at,
            "/api/list_users",
            &json!({ "query": UserQuery::default() }),
        )
        .await
        .ok()
        .json::<UserPage>()
        .counts
    }
}

async fn read(sent: reqwest::Result<reqwest::Response>, at: &Instance) -> Answer {
    let response = sent.unwrap_or_else(|e| panic!("instance {} unreachable: {e}", at.name));
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    Answer { status, body }
}

fn sender(instance: &str) -> String {
    format!("roster-{}", instance.to_lowercase())
}

/// The messages received, counted by the value of one header.
fn messages_per(sink: &SmtpSink, header: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for raw in sink.messages() {
        let value = raw
            .lines()
            .take_while(|line| !line.is_empty())
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                key.eq_ignore_ascii_case(header)
                    .then(|| value.trim().to_string())
            })
            .unwrap_or_else(|| panic!("a {header} header in {raw}"));
        *counts.entry(value).or_insert(0) += 1;
    }
    counts
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// Moves the open invitations of these users a day into the past: their
/// last email is then outside the cooldown.
async fn backdate(t: &TestDb, user_ids: &[&str]) {
    for id in user_ids {
        sqlx::query(
            "UPDATE invitations SET first_sent_at = first_sent_at - $2, last_sent_at = last_sent_at - $2,
                    created_at = created_at - $2
             WHERE user_id = $1 AND status = 'pending'",
        )
        .bind(*id)
        .bind(DAY_MS)
        .execute(&t.db)
        .await
        .unwrap();
    }
}

/// Waits until every email is out of the queue, then a little longer so a
/// duplicate send would have reached the sink too.
async fn wait_for_delivery(t: &TestDb, sink: &SmtpSink, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let queued = outbox::count_by_status(&t.db, "queued").await.unwrap();
        if queued == 0 && sink.messages().len() >= expected {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{queued} emails still queued, {} of {expected} received",
            sink.messages().len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
}

/// Asks `at` for the counts until they show the change; how long that took
/// from now (a change just answered) and how many answers were stale first.
async fn shown_within_2s(
    browser: &Browser,
    at: &Instance,
    shows_change: impl Fn(&StatusCounts) -> bool,
) -> (Duration, usize) {
    let changed = Instant::now();
    let mut stale = 0;
    loop {
        let counts = browser.counts(at).await;
        let elapsed = changed.elapsed();
        assert!(
            elapsed < Duration::from_secs(2),
            "{} still shows {counts:?} after {elapsed:?}",
            at.name
        );
        if shows_change(&counts) {
            return (elapsed, stale);
        }
        stale += 1;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgres_send_once_keep_the_cooldown_and_share_counts() {
    if std::env::var_os("ROSTER_TEST_PG_URL").is_none() {
        eprintln!("skipped: ROSTER_TEST_PG_URL is unset (two instances need one Postgres)");
        return;
    }
    let t = fresh_db(Backend::Postgres).await;
    let mail = std::env::temp_dir()
        .join("roster-tests")
        .join(format!("multi-{}", uuid::Uuid::new_v4().simple()));
    let sink = SmtpSink::start(free_port(), mail.join("smtp")).await;
    let (a, b) = tokio::join!(start("A", &t, &sink), start("B", &t, &sink));
    let browser = Browser::new();
    browser
        .form(
            &a,
            "/api/create_organisation",
            &[
                ("org_name", "Acme"),
                ("your_name", "Olive"),
                ("email", "olive@acme.test"),
                ("password", "correct horse battery"),
            ],
        )
        .await
        .ok();
    let either = |i: usize| if i.is_multiple_of(2) { &a } else { &b };
    let other = |i: usize| if i.is_multiple_of(2) { &b } else { &a };
    let mut expected: BTreeMap<String, usize> = BTreeMap::new();

    // (a) A bulk invite through each at the same moment: 2 × 150 emails
    // queued at once, which both workers claim from together.
    const BULK: usize = 150;
    let bulk = |at: &'static str| {
        let mut csv = String::from("email,name\n");
        for i in 0..BULK {
            csv.push_str(&format!("bulk-{at}-{i:03}@example.com,Bulk {i}\n"));
        }
        json!({ "csv": csv, "team_id": null })
    };
    let (bulk_a, bulk_b) = (bulk("a"), bulk("b"));
    let (via_a, via_b) = tokio::join!(
        browser.json(&a, "/api/bulk_invite", &bulk_a),
        browser.json(&b, "/api/bulk_invite", &bulk_b),
    );
    for (answer, at) in [(via_a, "a"), (via_b, "b")] {
        let report: BulkInviteReport = answer.ok().json();
        assert!(report
            .rows
            .iter()
            .all(|r| r.outcome == BulkOutcome::Invited));
        for i in 0..BULK {
            expected.insert(format!("bulk-{at}-{i:03}@example.com"), 1);
        }
    }

    // Invites alternately through A and B, all at once; a day later, a
    // resend of each through the other instance.
    const SINGLE: usize = 40;
    let emails: Vec<String> = (0..SINGLE)
        .map(|i| format!("single-{i:02}@example.com"))
        .collect();
    let users: Vec<String> = join_all(
        emails
            .iter()
            .enumerate()
            .map(|(i, email)| browser.invite(either(i), email)),
    )
    .await;
    let ids: Vec<&str> = users.iter().map(String::as_str).collect();
    backdate(&t, &ids).await;
    let resent = join_all(
        users
            .iter()
            .enumerate()
            .map(|(i, user)| browser.resend(other(i), user)),
    )
    .await;
    for answer in resent {
        answer.ok();
    }
    for email in &emails {
        expected.insert(email.clone(), 2);
    }

    // (b) The cooldown across instances: a resend through A, then at once
    // through B, is refused with the end of A's cooldown.
    let cooled = browser.invite(&b, "cooldown@example.com").await;
    backdate(&t, &[&cooled]).await;
    let first = browser.resend(&a, &cooled).await.ok();
    let sent_at = first.json::<Value>()["last_sent_at"].as_i64().unwrap();
    let second = browser.resend(&b, &cooled).await;
    assert_eq!(second.status, 409, "{}", second.body);
    assert_eq!(
        second.json::<AppError>(),
        AppError::Cooldown {
            until: sent_at + COOLDOWN_MS
        }
    );
    expected.insert("cooldown@example.com".into(), 2);

    // (c) 30 resends of one invitation at once, 15 through each instance:
    // one goes out, 29 are refused for the cooldown.
    let raced = browser.invite(&a, "race@example.com").await;
    backdate(&t, &[&raced]).await;
    let answers = join_all((0..30).map(|i| browser.resend(either(i), &raced))).await;
    let accepted = answers.iter().filter(|a| a.status == 200).count();
    let refused = answers
        .iter()
        .filter(|a| a.status == 409 && matches!(a.json(), AppError::Cooldown { .. }))
        .count();
    assert_eq!((accepted, refused), (1, 29), "one resend of 30 goes out");
    expected.insert("race@example.com".into(), 2);

    // Every email exactly once: per recipient in the SMTP server, and one
    // attempt per email in the outbox.
    let total: usize = expected.values().sum();
    wait_for_delivery(&t, &sink, total).await;
    assert_eq!(messages_per(&sink, "To"), expected);
    // Both workers took part: each instance's own sender is in the mailbox.
    let by_sender = messages_per(&sink, "From");
    let sent_by = |instance: &Instance| {
        by_sender
            .iter()
            .filter(|(from, _)| from.contains(&format!("<{}@", sender(instance.name))))
            .map(|(_, n)| n)
            .sum::<usize>()
    };
    let (sent_by_a, sent_by_b) = (sent_by(&a), sent_by(&b));
    assert_eq!(sent_by_a + sent_by_b, total, "{by_sender:?}");
    assert!(sent_by_a > 0 && sent_by_b > 0, "{by_sender:?}");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM outbox").await, total as i64);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND attempts = 1"
        )
        .await,
        total as i64
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM delivery_attempts").await,
        total as i64,
        "one attempt per email"
    );
    eprintln!(
        "{total} emails through two instances, each received once: \
         {sent_by_a} sent by A, {sent_by_b} by B"
    );

    // (d) Counts shown by B follow changes made through A within 2 s, even
    // when B had just cached them: an invite, then a deactivation.
    let before = browser.counts(&b).await;
    let invited = browser.invite(&a, "counted@example.com").await;
    let (invite_shown, stale_reads) = shown_within_2s(&browser, &b, |now| {
        now.all == before.all + 1 && now.invited == before.invited + 1
    })
    .await;
    let before = browser.counts(&b).await;
    browser
        .form(&a, "/api/deactivate_user", &[("user_id", &invited)])
        .await
        .ok();
    let (deactivation_shown, _) = shown_within_2s(&browser, &b, |now| {
        now.deactivated == before.deactivated + 1 && now.invited == before.invited - 1
    })
    .await;
    eprintln!(
        "B showed A's invite {invite_shown:?} after A answered ({stale_reads} answers from \
         B's cache before), A's deactivation after {deactivation_shown:?}"
    );
    let _ = std::fs::remove_dir_all(&mail);
}

/// The claim itself, on both databases: workers claiming at once never
/// lease one email twice, and between them lease every due email.
async fn concurrent_claims_lease_each_email_once(t: TestDb) {
    use roster::server::{new_id, now_ms, repos::orgs};
    let org = new_id();
    orgs::insert_organisation(&t.db, &org, "Acme", now_ms())
        .await
        .unwrap();
    let now = now_ms();
    for i in 0..200 {
        let mut conn = t.db.acquire().await.unwrap();
        outbox::enqueue(
            &mut conn,
            outbox::NewEmail {
                id: &new_id(),
                org_id: &org,
                invitation_id: None,
                to: &format!("claim-{i}@example.com"),
                subject: "s",
                text: "t",
                html: "h",
                now,
            },
        )
        .await
        .unwrap();
    }
    let claims = join_all((0..8).map(|_| {
        let db = t.db.clone();
        async move {
            let mut conn = db.acquire().await.unwrap();
            outbox::claim_due(&mut conn, now, now + 60_000, 32)
                .await
                .unwrap()
        }
    }))
    .await;
    assert!(
        claims.iter().all(|claim| claim.len() <= 32),
        "a claim over its limit"
    );
    let mut leased: Vec<String> = claims.into_iter().flatten().map(|e| e.id).collect();
    let claimed = leased.len();
    leased.sort();
    leased.dedup();
    assert_eq!(leased.len(), claimed, "an email leased twice");
    let mut conn = t.db.acquire().await.unwrap();
    let rest = outbox::claim_due(&mut conn, now, now + 60_000, 1_000)
        .await
        .unwrap();
    assert_eq!(claimed + rest.len(), 200, "every due email leased once");
}

on_both_databases!(concurrent_claims_lease_each_email_once);

/// Postgres: an instance claiming while another's claim is still open takes
/// the next due emails at once (`SKIP LOCKED`), rather than waiting for that
/// claim and then finding its emails leased.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_claims_skip_emails_another_instance_is_claiming() {
    use roster::server::{new_id, now_ms, repos::orgs};
    if std::env::var_os("ROSTER_TEST_PG_URL").is_none() {
        eprintln!("skipped: ROSTER_TEST_PG_URL is unset");
        return;
    }
    let t = fresh_db(Backend::Postgres).await;
    let org = new_id();
    orgs::insert_organisation(&t.db, &org, "Acme", now_ms())
        .await
        .unwrap();
    let now = now_ms();
    for i in 0..20 {
        let mut conn = t.db.acquire().await.unwrap();
        outbox::enqueue(
            &mut conn,
            outbox::NewEmail {
                id: &new_id(),
                org_id: &org,
                invitation_id: None,
                to: &format!("skip-{i}@example.com"),
                subject: "s",
                text: "t",
                html: "h",
                now: now + i,
            },
        )
        .await
        .unwrap();
    }
    let mut open = t.db.begin().await.unwrap();
    let first = outbox::claim_due(&mut open, now + 100, now + 60_000, 10)
        .await
        .unwrap();
    let second = tokio::time::timeout(Duration::from_secs(2), async {
        let mut conn = t.db.acquire().await.unwrap();
        outbox::claim_due(&mut conn, now + 100, now + 60_000, 10)
            .await
            .unwrap()
    })
    .await
    .expect("the second claim does not wait for the first");
    open.commit().await.unwrap();
    assert_eq!((first.len(), second.len()), (10, 10));
    assert!(second.iter().all(|e| first.iter().all(|f| f.id != e.id)));
}
