//! Step 6, faults: the server process killed (SIGKILL) in the middle of a
//! 10,000-row bulk invite, then started again on the same database. Every
//! row is either fully invited (user, invitation, link, queued email) or
//! absent, and sending the same CSV again completes it. The real binary, on
//! SQLite and on Postgres.

mod common;

use common::{fresh_db, smtp::free_port, Backend, TestDb};
use roster::domain::invitations::{BulkInviteReport, BulkOutcome};
use serde_json::json;
use sqlx::Row;
use std::{process::Stdio, time::Duration};
use tokio::process::{Child, Command};

const ROWS: usize = 10_000;

struct Server {
    child: Child,
    address: String,
}

/// Starts the roster binary on `t`'s database and waits for /healthz.
async fn start(t: &TestDb, mail_dir: &std::path::Path) -> Server {
    let port = free_port();
    let address = format!("http://127.0.0.1:{port}");
    let child = Command::new(env!("CARGO_BIN_EXE_roster"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", &t.url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("LEPTOS_OUTPUT_NAME", "roster")
        .env("LEPTOS_SITE_ROOT", "target/site")
        .env("ROSTER_MAIL_DIR", mail_dir)
        .env("ROSTER_RATE_LIMIT", "100000")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("start the roster binary");
    common::wait_until_healthy(&address, "roster").await;
    Server { child, address }
}

fn csv() -> String {
    let mut csv = String::from("email,name\n");
    for i in 0..ROWS {
        csv.push_str(&format!("crash{i:05}@example.com,Person {i}\n"));
    }
    csv
}

async fn bulk_invite(
    client: &reqwest::Client,
    address: &str,
) -> reqwest::Result<reqwest::Response> {
    client
        .post(format!("{address}/api/bulk_invite"))
        .header("origin", address)
        .header("accept", "application/json")
        .json(&json!({ "csv": csv(), "team_id": null }))
        .send()
        .await
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// Every invited user has its pending invitation, a link and a queued email.
async fn assert_whole_rows(t: &TestDb) -> i64 {
    let users = count(t, "SELECT COUNT(*) FROM users WHERE email LIKE 'crash%'").await;
    let whole = count(
        t,
        "SELECT COUNT(*) FROM users u
         WHERE u.email LIKE 'crash%'
           AND EXISTS (SELECT 1 FROM invitations i WHERE i.user_id = u.id AND i.status = 'pending'
                       AND EXISTS (SELECT 1 FROM invite_links l WHERE l.invitation_id = i.id)
                       AND EXISTS (SELECT 1 FROM outbox o WHERE o.invitation_id = i.id))",
    )
    .await;
    assert_eq!(users, whole, "a user without its invitation, link or email");
    let emails = count(
        t,
        "SELECT COUNT(*) FROM outbox WHERE to_address LIKE 'crash%'",
    )
    .await;
    assert_eq!(emails, users, "one email per invited user");
    users
}

async fn killed_mid_bulk_invite_loses_nothing_and_a_rerun_completes(backend: Backend) {
    let t = fresh_db(backend).await;
    let mail_dir = std::env::temp_dir()
        .join("roster-tests")
        .join(format!("crash-{}", uuid::Uuid::new_v4().simple()));
    let mut server = start(&t, &mail_dir).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let setup = client
        .post(format!("{}/api/create_organisation", server.address))
        .header("origin", &server.address)
        .header("accept", "application/json")
        .form(&[
            ("org_name", "Acme"),
            ("your_name", "Olive"),
            ("email", "olive@acme.test"),
            ("password", "correct horse battery"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status(), 200);

    // The request goes out; the process dies while it is being worked on.
    let sending = tokio::spawn({
        let (client, address) = (client.clone(), server.address.clone());
        async move { bulk_invite(&client, &address).await.map(|r| r.status()) }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    server.child.start_kill().unwrap(); // SIGKILL
    server.child.wait().await.unwrap();
    // Usually the answer never comes; on a fast machine the import may have
    // committed first. Either way the rows must be whole.
    eprintln!("bulk invite before the kill: {:?}", sending.await.unwrap());

    let before = assert_whole_rows(&t).await;
    assert!(
        before == 0 || before == ROWS as i64,
        "all or nothing, found {before}"
    );

    let server = start(&t, &mail_dir).await;
    let answer = bulk_invite(&client, &server.address).await.unwrap();
    assert_eq!(answer.status(), 200);
    let report: BulkInviteReport = answer.json().await.unwrap();
    let invited = report
        .rows
        .iter()
        .filter(|r| r.outcome == BulkOutcome::Invited)
        .count();
    let already = report
        .rows
        .iter()
        .filter(|r| r.outcome == BulkOutcome::AlreadyInvited)
        .count();
    assert_eq!(invited + already, ROWS, "each row invited now or before");
    assert_eq!(assert_whole_rows(&t).await, ROWS as i64);
    let _ = std::fs::remove_dir_all(&mail_dir);
}

on_both_databases_over_http!(killed_mid_bulk_invite_loses_nothing_and_a_rerun_completes);
