//! Step 5 below the HTTP layer, on both databases: first run cannot happen
//! twice even when raced, sign-in timing does not reveal a pending
//! invitation, /healthz's probe notices a database that takes no writes,
//! expired sessions are swept, and team changes reach the audit log.

mod common;

use common::{world::World, TestDb, DAY, T0};
use roster::domain::AppError;
use roster::server::{
    auth::{self, FirstRun},
    client_ip::TrustedProxies,
    health::HealthCheck,
    housekeeping,
    rate_limit::Limiters,
};
use sqlx::{Connection, Executor, Row};
use std::time::{Duration, Instant};

fn first_run(email: &str) -> FirstRun {
    FirstRun {
        org_name: "Acme".into(),
        your_name: "Ada".into(),
        email: email.into(),
        password: "correct horse battery".into(),
    }
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

/// Eight first runs at once (on Postgres they cannot see each other's
/// uncommitted rows): exactly one organisation, one manager; the others
/// are told Roster is set up.
async fn racing_first_runs_create_one_organisation(t: TestDb) {
    let runs = (0..8).map(|i| {
        let db = t.db.clone();
        tokio::spawn(async move {
            auth::create_organisation(&db, first_run(&format!("ada{i}@example.com")), T0).await
        })
    });
    let mut created = 0;
    for run in runs.collect::<Vec<_>>() {
        match run.await.unwrap() {
            Ok(_) => created += 1,
            Err(e) => assert_eq!(e, AppError::AlreadySetUp),
        }
    }
    assert_eq!(created, 1);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM organisations").await, 1);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM users").await, 1);
}

/// Once set up, a first-run call is refused before any password is hashed
/// (an anonymous caller cannot make the server do Argon2 work this way).
async fn first_run_after_setup_is_refused_without_hashing(t: TestDb) {
    auth::create_organisation(&t.db, first_run("ada@example.com"), T0)
        .await
        .unwrap();
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(
            auth::create_organisation(&t.db, first_run("eve@example.com"), T0)
                .await
                .unwrap_err(),
            AppError::AlreadySetUp
        );
    }
    // 20 Argon2 hashes take well over a second even optimised; 20 queries do not.
    assert!(
        started.elapsed() < Duration::from_millis(600),
        "took {:?}",
        started.elapsed()
    );
}

/// The fastest of several failed sign-ins: other tests share the CPU, and
/// they can only make a sign-in slower, never faster.
async fn fastest_sign_in_time(t: &TestDb, email: &str, password: &str) -> Duration {
    let mut times = Vec::new();
    for _ in 0..7 {
        let started = Instant::now();
        assert_eq!(
            auth::sign_in(&t.db, email, password, T0).await.unwrap_err(),
            AppError::BadCredentials
        );
        times.push(started.elapsed());
    }
    times.into_iter().min().unwrap()
}

/// An Invited user has no password yet; signing in as them must cost the
/// same Argon2 work as a wrong password, or timing tells who is invited.
async fn sign_in_timing_does_not_reveal_a_pending_invitation(t: TestDb) {
    let world = World::new(t).await;
    world.invite("pending@acme.test", None, T0).await;
    let t = &world.t;
    let wrong_password = fastest_sign_in_time(t, "olive@acme.test", "not the password").await;
    let invited = fastest_sign_in_time(t, "pending@acme.test", "any password at all").await;
    let unknown = fastest_sign_in_time(t, "nobody@acme.test", "any password at all").await;
    for (what, took) in [("invited", invited), ("unknown", unknown)] {
        assert!(
            took * 2 >= wrong_password,
            "{what}: {took:?} against {wrong_password:?} for a wrong password"
        );
    }
}

/// /healthz proves writes go through: with another connection holding the
/// write lock, the probe reports the database as not taking writes; once
/// the lock is gone, healthy again.
async fn health_check_notices_a_database_that_takes_no_writes(t: TestDb) {
    let health = HealthCheck::new(t.db.clone());
    assert_eq!(health.check().await, Ok(()));

    let mut blocker = sqlx::AnyConnection::connect(&t.url).await.unwrap();
    if t.url.starts_with("sqlite:") {
        blocker.execute("BEGIN IMMEDIATE").await.unwrap();
    } else {
        blocker.execute("BEGIN").await.unwrap();
        blocker
            .execute("LOCK TABLE health_probe IN ACCESS EXCLUSIVE MODE")
            .await
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1100)).await; // past the cached answer
    assert!(
        health.check().await.is_err(),
        "a locked database is not healthy"
    );

    blocker.execute("ROLLBACK").await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(health.check().await, Ok(()));
}

/// Expired sessions leave the database; live ones stay.
async fn housekeeping_deletes_expired_sessions(t: TestDb) {
    let token = auth::create_organisation(&t.db, first_run("ada@example.com"), T0)
        .await
        .unwrap();
    let user_id: String = sqlx::query("SELECT id FROM users")
        .fetch_one(&t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let old = auth::start_session_for(&t.db, &user_id, T0 - 40 * DAY)
        .await
        .unwrap();
    assert_eq!(count(&t, "SELECT COUNT(*) FROM sessions").await, 2);

    let limiters = Limiters::new(100, 20, 600, TrustedProxies::none());
    let removed = housekeeping::sweep(&t.db, &limiters, T0).await.unwrap();
    assert_eq!(removed, 1);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM sessions").await, 1);
    assert!(auth::current_user(&t.db, Some(&token), T0)
        .await
        .unwrap()
        .is_some());
    assert!(auth::current_user(&t.db, Some(&old), T0)
        .await
        .unwrap()
        .is_none());
}

/// SPEC §7: team changes are manager actions and are in the audit log,
/// with actor, target, team and time.
async fn team_changes_are_audited(t: TestDb) {
    let world = World::new(t).await;
    let rows = sqlx::query(
        "SELECT action, actor_name, COALESCE(target_email, ''), detail FROM audit_log
         WHERE action IN ('create_team', 'add_team_member', 'appoint_team_manager', 'remove_team_manager')
         ORDER BY at, action, detail, target_email",
    )
    .fetch_all(&world.t.db)
    .await
    .unwrap();
    let lines: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| {
            (
                r.try_get(0).unwrap(),
                r.try_get(1).unwrap(),
                r.try_get(2).unwrap(),
                r.try_get(3).unwrap(),
            )
        })
        .collect();
    let line = |a: &str, target: &str, team: &str| {
        (
            a.to_string(),
            "Olive Org".to_string(),
            target.to_string(),
            team.to_string(),
        )
    };
    // World::new creates Blue and Green, appoints Tina and adds Mo to Blue.
    for expected in [
        line("create_team", "", "Blue"),
        line("create_team", "", "Green"),
        line("appoint_team_manager", "tina@acme.test", "Blue"),
        line("add_team_member", "mo@acme.test", "Blue"),
    ] {
        assert!(
            lines.contains(&expected),
            "{expected:?} missing from {lines:?}"
        );
    }

    // Stepping down is audited too; repeating a change is not a new entry.
    let tina: String = sqlx::query("SELECT id FROM users WHERE email = 'tina@acme.test'")
        .fetch_one(&world.t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let e = &world.engine;
    e.add_team_member(&world.org_manager, &world.blue, &tina, false, T0 + 1)
        .await
        .unwrap();
    e.add_team_member(&world.org_manager, &world.blue, &tina, false, T0 + 2)
        .await
        .unwrap();
    assert_eq!(
        count(
            &world.t,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'remove_team_manager'"
        )
        .await,
        1
    );
}

on_both_databases!(
    racing_first_runs_create_one_organisation,
    first_run_after_setup_is_refused_without_hashing,
    sign_in_timing_does_not_reveal_a_pending_invitation,
    health_check_notices_a_database_that_takes_no_writes,
    housekeeping_deletes_expired_sessions,
    team_changes_are_audited,
);
