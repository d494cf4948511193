//! The demo-data command (`roster demo`) on both databases: what it makes is
//! what the real services see (listing, teams, links, history), and it
//! refuses a database with real users unless forced.

mod common;

use common::{
    world::{self, token_of, World},
    TestDb, T0,
};
use roster::domain::{
    invitations::{LinkFilter, UserListRow, UserPage, UserQuery},
    rules::{LinkKind, LinkVerdict},
    SessionUser, UserStatus,
};
use roster::server::{
    auth,
    demo::{self, DemoError, DemoPlan, DEMO_MANAGER_EMAIL},
    repos::outbox,
    services::Engine,
};
use sqlx::Row;

fn plan(users: usize) -> DemoPlan {
    DemoPlan {
        users,
        teams: 20,
        force: false,
    }
}

async fn sign_in(t: &TestDb, email: &str, password: &str) -> SessionUser {
    let token = auth::sign_in(&t.db, email, password, T0)
        .await
        .unwrap_or_else(|e| panic!("{email} signs in: {e:?}"));
    auth::current_user(&t.db, Some(&token), T0)
        .await
        .unwrap()
        .expect("an active user")
}

async fn count(t: &TestDb, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(&t.db)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .try_get(0)
        .unwrap()
}

async fn list(engine: &Engine, actor: &SessionUser, query: UserQuery) -> UserPage {
    engine.list_users(actor, query, T0).await.unwrap()
}

/// Every row of a listing, page by page.
async fn all_rows(engine: &Engine, actor: &SessionUser, query: UserQuery) -> Vec<UserListRow> {
    let mut rows = Vec::new();
    for page in 1.. {
        let result = list(
            engine,
            actor,
            UserQuery {
                page,
                per_page: 200,
                ..query.clone()
            },
        )
        .await;
        let done = result.rows.len() < 200;
        rows.extend(result.rows);
        if done {
            break;
        }
    }
    rows
}

async fn demo_fills_every_state_and_the_services_agree(t: TestDb) {
    let engine = world::engine(&t);
    let s = demo::fill(&engine, &plan(2_000), T0).await.unwrap();
    assert!(s.org_created);
    assert_eq!(s.users, 2_000);
    let password = s.password.clone().expect("a new organisation's password");
    let manager = sign_in(&t, DEMO_MANAGER_EMAIL, &password).await;
    assert!(manager.is_org_manager());

    // Every state, in about its planned share, as the Users page counts it.
    let counts = list(&engine, &manager, UserQuery::default()).await.counts;
    assert_eq!(counts.all, 2_001, "the demo users and demo@example.com");
    assert_eq!(counts.active, s.active as i64 + 1);
    assert_eq!(counts.invited, s.invited() as i64);
    assert_eq!(counts.deactivated, s.deactivated() as i64);
    assert_eq!(
        counts.expired,
        (s.invited_expired + s.invited_locked) as i64,
        "expired links and locked ones (no working link)"
    );
    assert_eq!(counts.expiring_soon, s.invited_expiring_soon as i64);
    for (what, n, per_mille) in [
        ("active", s.active, 600),
        ("invited", s.invited(), 300),
        ("deactivated", s.deactivated(), 100),
    ] {
        let expected = 2 * per_mille;
        assert!(
            n * 5 > expected * 4 && n * 5 < expected * 6,
            "{what}: {n} of 2,000, planned about {expected}"
        );
    }
    for (what, n) in [
        ("fresh", s.invited_fresh),
        ("expiring soon", s.invited_expiring_soon),
        ("expired", s.invited_expired),
        ("resent", s.invited_resent),
        ("copied", s.invited_copied),
        ("locked", s.invited_locked),
        ("email failed", s.invited_email_failed),
        ("deactivated after joining", s.deactivated_after_joining),
        ("deactivated while invited", s.deactivated_while_invited),
        ("revoked", s.revoked_invitations),
        ("team managers", s.team_managers),
    ] {
        assert!(n > 0, "no {what} in 2,000 demo users");
    }
    for (link, total) in [
        (LinkFilter::Expired, counts.expired),
        (LinkFilter::ExpiringSoon, counts.expiring_soon),
    ] {
        let page = list(
            &engine,
            &manager,
            UserQuery {
                link,
                ..Default::default()
            },
        )
        .await;
        assert_eq!(page.total, total, "{link:?}");
    }

    // The Invited rows as managers see them: who invited, the link, failures.
    let invited = all_rows(
        &engine,
        &manager,
        UserQuery {
            statuses: vec![UserStatus::Invited],
            ..Default::default()
        },
    )
    .await;
    assert_eq!(invited.len(), s.invited());
    let with = |f: fn(&UserListRow) -> bool| invited.iter().filter(|r| f(r)).count();
    assert_eq!(
        with(|r| r.link_kind == Some(LinkKind::Copied)),
        s.invited_copied
    );
    assert_eq!(with(|r| r.expires_at.is_none()), s.invited_locked);
    assert_eq!(with(|r| r.email_failure.is_some()), s.invited_email_failed);
    assert_eq!(
        with(|r| r.invited_by.is_some() && r.last_sent_at.is_some()),
        s.invited()
    );
    assert!(
        with(|r| r.name.is_empty()) > 0,
        "some invitees came without a name"
    );
    assert!(with(|r| !r.teams.is_empty()) > s.invited() / 2);

    // The history of someone whose email failed: the attempts are there.
    let failed = invited.iter().find(|r| r.email_failure.is_some()).unwrap();
    let history = engine.user_history(&manager, &failed.id, T0).await.unwrap();
    let email = history.emails.first().expect("the failed email");
    assert_eq!(email.status, "failed");
    assert!(!email.attempts.is_empty() && email.attempts.iter().all(|a| !a.succeeded));
    assert_eq!(history.invitations.len(), 1);
    assert!(!history.audit.is_empty());

    // Search finds a demo user by address.
    let sample = s.sample_link.as_ref().expect("a working link to try");
    let found = list(
        &engine,
        &manager,
        UserQuery {
            search: sample.email.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(found.rows.len(), 1);
    assert_eq!(found.rows[0].email, sample.email);

    // The printed link is a real one: the invitee's page accepts it.
    let view = engine
        .inspect_link(&token_of(&sample.url), T0)
        .await
        .unwrap();
    assert_eq!(view.verdict, LinkVerdict::Usable);
    assert_eq!(view.kind, LinkKind::Email);

    // Teams: all have members and a Team Manager; a team's tab lists them.
    let teams = engine.list_teams(&manager).await.unwrap();
    assert_eq!(teams.len(), 20);
    assert_eq!(s.teams_created, 20);
    for team in &teams {
        assert!(team.members > 0, "{} has no members", team.name);
        assert!(!team.managers.is_empty(), "{} has no manager", team.name);
    }
    assert_eq!(
        teams.iter().map(|t| t.members).sum::<i64>(),
        s.memberships as i64
    );
    let biggest = teams.iter().max_by_key(|t| t.members).unwrap();
    let tab = list(
        &engine,
        &manager,
        UserQuery {
            team_id: Some(biggest.id.clone()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(tab.counts.all, biggest.members);

    // Active demo users sign in with the printed password; a Team Manager
    // lands in their own teams.
    let team_manager_email: String = sqlx::query(
        "SELECT u.email FROM users u JOIN team_members m ON m.user_id = u.id
         WHERE m.is_manager = 1 ORDER BY u.email LIMIT 1",
    )
    .fetch_one(&t.db)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    let team_manager = sign_in(&t, &team_manager_email, &password).await;
    assert!(team_manager.is_manager() && !team_manager.is_org_manager());

    // The rows agree with each other the way the services keep them.
    for (what, sql) in [
        (
            "Invited users without exactly one open invitation",
            "SELECT COUNT(*) FROM users u WHERE u.status = 'invited'
             AND (SELECT COUNT(*) FROM invitations i WHERE i.user_id = u.id AND i.status = 'pending') <> 1",
        ),
        (
            "Invited users whose working link is not the one on their row",
            "SELECT COUNT(*) FROM users u WHERE u.status = 'invited' AND u.link_expires_at IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM invitations i JOIN invite_links l ON l.invitation_id = i.id
                             WHERE i.user_id = u.id AND i.status = 'pending' AND l.state = 'active'
                               AND l.expires_at = u.link_expires_at)",
        ),
        (
            "Invited users with no working link and no locked one",
            "SELECT COUNT(*) FROM users u WHERE u.status = 'invited' AND u.link_expires_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM invitations i JOIN invite_links l ON l.invitation_id = i.id
                             WHERE i.user_id = u.id AND l.state = 'locked' AND l.failed_confirmations = 5)",
        ),
        (
            "invitations with two working links",
            "SELECT COUNT(*) FROM (SELECT invitation_id FROM invite_links WHERE state = 'active'
                                   GROUP BY invitation_id HAVING COUNT(*) > 1) twice",
        ),
        (
            "Active users without an accepted invitation, a used link or a password",
            "SELECT COUNT(*) FROM users u WHERE u.status = 'active' AND u.role = 'member'
             AND (u.password_hash IS NULL OR u.activated_at IS NULL OR u.onboarded_at IS NULL
                  OR NOT EXISTS (SELECT 1 FROM invitations i JOIN invite_links l ON l.invitation_id = i.id
                                 WHERE i.user_id = u.id AND i.status = 'accepted' AND l.state = 'used'))",
        ),
        (
            "links that are not a hash and a token end",
            "SELECT COUNT(*) FROM invite_links WHERE LENGTH(token_hash) <> 43 OR LENGTH(token_end) <> 6",
        ),
        (
            "emails to another address than their invitation's",
            "SELECT COUNT(*) FROM outbox o JOIN invitations i ON i.id = o.invitation_id
             WHERE o.to_address <> i.email",
        ),
        (
            "users whose Last sent is not their invitation's",
            "SELECT COUNT(*) FROM users u JOIN invitations i ON i.user_id = u.id
             WHERE u.last_sent_at <> i.last_sent_at",
        ),
        (
            "revoked invitations still tied to a user",
            "SELECT COUNT(*) FROM invitations WHERE status = 'revoked' AND user_id IS NOT NULL",
        ),
    ] {
        assert_eq!(count(&t, sql).await, 0, "{what}");
    }
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM invitations").await,
        s.invitations as i64
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM invite_links").await,
        s.links as i64
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM audit_log").await,
        s.audit_entries as i64
    );
    assert_eq!(
        outbox::count_by_status(&t.db, "failed").await.unwrap(),
        s.emails_failed as i64
    );
    assert_eq!(
        outbox::count_by_status(&t.db, "queued").await.unwrap(),
        0,
        "nothing for the worker to send"
    );
    let output = s.to_string();
    assert!(output.contains("Added 2,000 users"), "{output}");
    assert!(output.contains(&password), "{output}");
}

/// A database with a user at a real domain is refused unless forced; forced,
/// the demo users join the existing organisation, invited by its managers.
async fn demo_refuses_real_users_unless_forced(t: TestDb) {
    let w = World::new(t).await;
    let users = count(&w.t, "SELECT COUNT(*) FROM users").await;
    let error = demo::fill(&w.engine, &plan(50), T0).await.err().unwrap();
    match &error {
        DemoError::NotADemoDatabase { email } => assert!(email.ends_with(".test"), "{email}"),
        other => panic!("{other}"),
    }
    assert!(error.to_string().contains("--force"), "{error}");
    assert_eq!(count(&w.t, "SELECT COUNT(*) FROM users").await, users);

    // Roster serves the organisation first run made; the world's second
    // one was made in the same millisecond.
    sqlx::query("UPDATE organisations SET created_at = created_at + 1 WHERE name = 'Globex'")
        .execute(&w.t.db)
        .await
        .unwrap();
    let s = demo::fill(
        &w.engine,
        &DemoPlan {
            force: true,
            ..plan(50)
        },
        T0,
    )
    .await
    .unwrap();
    assert!(!s.org_created);
    assert_eq!(s.org_name, "Acme");
    assert_eq!(s.manager_email, "olive@acme.test");
    assert!(
        s.password.is_some(),
        "Acme's manager's password is not shared"
    );
    let counts = list(&w.engine, &w.org_manager, UserQuery::default())
        .await
        .counts;
    assert_eq!(counts.all, 3 + 50, "Olive, Tina, Mo and the demo users");
    assert_eq!(
        count(
            &w.t,
            "SELECT COUNT(*) FROM users u JOIN organisations o ON o.id = u.org_id WHERE o.name = 'Globex'"
        )
        .await,
        1,
        "the other organisation is left alone"
    );
    assert_eq!(
        count(
            &w.t,
            "SELECT COUNT(*) FROM invitations WHERE invited_by_name NOT IN ('Olive Org', 'Tina Team')
             AND invited_by_id NOT IN (SELECT id FROM users)"
        )
        .await,
        0,
        "invited by Acme's managers or its new Team Managers"
    );
    // Acme's own teams, Blue and Green, are kept; the demo's are added.
    let teams = w.engine.list_teams(&w.org_manager).await.unwrap();
    assert_eq!(teams.len(), 22);
}

/// A second run adds to the first run's organisation: new people, the same
/// password, nothing printed twice.
async fn demo_runs_again_on_its_own_data(t: TestDb) {
    let engine = world::engine(&t);
    let first = demo::fill(&engine, &plan(300), T0).await.unwrap();
    let password = first.password.clone().unwrap();
    let second = demo::fill(&engine, &plan(200), T0).await.unwrap();
    assert!(!second.org_created);
    assert!(second.password.is_none());
    assert_eq!(second.teams_created, 0, "the teams are reused");
    assert_eq!(count(&t, "SELECT COUNT(*) FROM users").await, 501);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM teams").await, 20);
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(DISTINCT password_hash) FROM users WHERE password_hash IS NOT NULL"
        )
        .await,
        1,
        "every Active demo user has demo@example.com's password"
    );
    sign_in(&t, DEMO_MANAGER_EMAIL, &password).await;
}

/// The binary: `roster demo` reads DATABASE_URL like the server, prints what
/// it made, and exits 1 with the reason when it will not.
async fn the_command_fills_the_configured_database(t: TestDb) {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_roster"))
            .arg("demo")
            .args(args)
            .current_dir(std::env::temp_dir())
            .env("DATABASE_URL", &t.url)
            .env_remove("ROSTER_SMTP_URL")
            .output()
            .expect("run roster demo")
    };
    let done = run(&["--users", "40", "--teams", "3"]);
    let stdout = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(stdout.contains("Added 40 users"), "{stdout}");
    assert!(
        stdout.contains("Sign in as demo@example.com with the password"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("roster:roster@"),
        "no credentials shown: {stdout}"
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM users").await, 41);

    let bad = run(&["--users", "lots"]);
    assert_eq!(bad.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("--users: “lots” is not a whole number"),
        "{stderr}"
    );

    world::active_user(
        &world::engine(&t),
        &demo_org_id(&t).await,
        "real.person@company.test",
        "Real Person",
        roster::domain::Role::Member,
    )
    .await;
    let refused = run(&["--users", "10"]);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("real.person@company.test") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM users").await, 42);
}

async fn demo_org_id(t: &TestDb) -> String {
    sqlx::query("SELECT id FROM organisations")
        .fetch_one(&t.db)
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

on_both_databases!(
    demo_fills_every_state_and_the_services_agree,
    demo_refuses_real_users_unless_forced,
    demo_runs_again_on_its_own_data,
    the_command_fills_the_configured_database,
);
