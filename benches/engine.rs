//! Speed targets of SPEC §8, measured on SQLite (and Postgres when
//! `ROSTER_TEST_PG_URL` is set): `cargo bench --features ssr`.
//!
//! - bulk invite of 10,000 rows: validated, stored and queued (< 2 s)
//! - users table: filter + search + one page of 50 from 100,000 users (< 10 ms median)
//! - delivery of queued emails to a local SMTP server (>= 200/s)

use roster::domain::invitations::{LinkFilter, UserQuery};
use roster::domain::UserStatus;
use roster::server::{
    auth, db,
    mail::{worker::OutboxWorker, Mailer},
    now_ms,
    repos::outbox,
    services::Engine,
};
use std::{sync::Arc, time::Instant};

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("roster-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut urls = vec![(
        "SQLite",
        format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
    )];
    if let Ok(admin) = std::env::var("ROSTER_TEST_PG_URL") {
        use sqlx::{Connection, Executor};
        sqlx::any::install_default_drivers();
        let name = format!("roster_bench_{}", std::process::id());
        let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap();
        conn.execute(format!("CREATE DATABASE {name}").as_str())
            .await
            .unwrap();
        urls.push((
            "Postgres",
            format!("{}/{name}", admin.rsplit_once('/').unwrap().0),
        ));
    }
    for (label, url) in urls {
        println!("== {label}");
        run(&url, &dir).await;
    }
}

async fn run(url: &str, dir: &std::path::Path) {
    let pool = db::connect(url).await.unwrap();
    let engine = Engine {
        db: pool.clone(),
        public_url: "http://127.0.0.1:3000".into(),
        invite_ttl_ms: 7 * 86_400_000,
        resend_cooldown_ms: 15 * 60_000,
        outbox_wake: Arc::new(tokio::sync::Notify::new()),
        counts_cache: Default::default(),
    };
    let token = auth::create_organisation(
        &pool,
        auth::FirstRun {
            org_name: "Bench".into(),
            your_name: "Ben".into(),
            email: "ben@bench.test".into(),
            password: "benchmark password".into(),
        },
        now_ms(),
    )
    .await
    .unwrap();
    let manager = auth::current_user(&pool, Some(&token), now_ms())
        .await
        .unwrap()
        .unwrap();

    // 10 bulk invites of 10,000 rows: the first is the SPEC figure, all ten build 100,000 users.
    let mut timings = Vec::new();
    for batch in 0..10 {
        let csv: String = (0..10_000)
            .map(|i| format!("user{batch:02}{i:05}@example.com,User {batch} {i}\n"))
            .collect();
        let start = Instant::now();
        let report = engine
            .bulk_invite(&manager, &csv, None, now_ms())
            .await
            .unwrap();
        timings.push(start.elapsed());
        assert_eq!(report.rows.len(), 10_000);
    }
    println!(
        "bulk invite 10,000 rows: first {:?}, slowest {:?} (at up to 100,000 users)",
        timings[0],
        timings.iter().max().unwrap()
    );

    let queries = [
        (
            "all, page 1 (the page a manager lands on)",
            UserQuery::default(),
        ),
        (
            "Invited + search 'user05', page 1",
            UserQuery {
                statuses: vec![UserStatus::Invited],
                search: "user05".into(),
                ..Default::default()
            },
        ),
        (
            "all, page 1000",
            UserQuery {
                page: 1000,
                ..Default::default()
            },
        ),
        (
            "Expiring soon view",
            UserQuery {
                link: LinkFilter::ExpiringSoon,
                ..Default::default()
            },
        ),
        (
            "search one email",
            UserQuery {
                search: "user0912345@example.com".into(),
                ..Default::default()
            },
        ),
    ];
    for (name, query) in queries {
        let mut samples = Vec::new();
        for _ in 0..30 {
            let start = Instant::now();
            let page = engine
                .list_users(&manager, query.clone(), now_ms())
                .await
                .unwrap();
            samples.push(start.elapsed());
            std::hint::black_box(page);
        }
        samples.sort();
        println!(
            "users table, 100,000 users, {name}: median {:?}, p90 {:?}",
            samples[15], samples[27]
        );
    }

    // Delivery: the SMTP sink used by the tests, on loopback.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let inbox = dir.join(format!("inbox-{port}"));
    let mut sink = tokio::process::Command::new("node")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/end2end/fixtures/smtp-sink.mjs"
        ))
        .args([
            "--port",
            &port.to_string(),
            "--dir",
            inbox.to_str().unwrap(),
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/end2end"))
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node");
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    // Send 2,000 of the queued emails; mark the rest sent so the run stays short.
    sqlx::query("UPDATE outbox SET status = 'sent' WHERE id NOT IN (SELECT id FROM outbox ORDER BY id LIMIT 2000)")
        .execute(&pool)
        .await
        .unwrap();
    let worker = OutboxWorker {
        db: pool.clone(),
        mailer: Mailer::from_config(Some(&format!("smtp://127.0.0.1:{port}")), "unused".into())
            .unwrap(),
        from: "noreply@bench.test".into(),
        wake: engine.outbox_wake.clone(),
    };
    let start = Instant::now();
    while worker.run_once().await.unwrap() > 0 {}
    let elapsed = start.elapsed();
    let sent = outbox::count_by_status(&pool, "sent").await.unwrap();
    let queued = outbox::count_by_status(&pool, "queued").await.unwrap();
    println!("delivery to local SMTP: 2,000 emails in {elapsed:?} = {:.0}/s (queued left: {queued}, sent total {sent})", 2000.0 / elapsed.as_secs_f64());
    let _ = sink.kill().await;
}
