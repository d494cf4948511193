//! A populated organisation for engine tests: an Org Manager, a Team Manager
//! of "Blue" (not of "Green"), a plain Member, and the manager of a second
//! organisation.

use super::{TestDb, T0};
use roster::domain::{invitations::InviteRequest, Role, SessionUser, UserStatus};
use roster::server::{
    auth, new_id,
    repos::{orgs, users},
    services::Engine,
};
use std::sync::Arc;

pub const COOLDOWN_MS: i64 = 15 * 60_000;
pub const TTL_MS: i64 = 7 * 24 * 3600 * 1000;

pub struct World {
    pub t: TestDb,
    pub engine: Engine,
    pub org_manager: SessionUser,
    pub team_manager: SessionUser,
    pub member: SessionUser,
    pub other_org_manager: SessionUser,
    pub blue: String,
    pub green: String,
}

pub fn engine(t: &TestDb) -> Engine {
    Engine {
        db: t.db.clone(),
        public_url: "http://roster.test".into(),
        invite_ttl_ms: TTL_MS,
        resend_cooldown_ms: COOLDOWN_MS,
        outbox_wake: Arc::new(tokio::sync::Notify::new()),
        webhook_wake: Arc::new(tokio::sync::Notify::new()),
        counts_cache: Default::default(),
    }
}

pub async fn session_user(engine: &Engine, user_id: &str) -> SessionUser {
    let token = auth::start_session_for(&engine.db, user_id, T0)
        .await
        .unwrap();
    auth::current_user(&engine.db, Some(&token), T0)
        .await
        .unwrap()
        .expect("active user")
}

/// An Active user created directly (no invitation), for setting up scenes.
pub async fn active_user(
    engine: &Engine,
    org_id: &str,
    email: &str,
    name: &str,
    role: Role,
) -> String {
    let id = new_id();
    users::insert_user(
        &engine.db,
        users::NewUser {
            id: &id,
            org_id,
            email,
            name,
            role,
            status: UserStatus::Active,
            password_hash: Some("$argon2id$not-used"),
            now: T0,
        },
    )
    .await
    .unwrap();
    id
}

impl World {
    pub async fn new(t: TestDb) -> World {
        let engine = engine(&t);
        let token = auth::create_organisation(
            &t.db,
            auth::FirstRun {
                org_name: "Acme".into(),
                your_name: "Olive Org".into(),
                email: "olive@acme.test".into(),
                password: "correct horse battery".into(),
            },
            T0,
        )
        .await
        .unwrap();
        let org_manager = auth::current_user(&t.db, Some(&token), T0)
            .await
            .unwrap()
            .unwrap();
        let org = org_manager.org_id.clone();
        let blue = engine.create_team(&org_manager, "Blue", T0).await.unwrap();
        let green = engine.create_team(&org_manager, "Green", T0).await.unwrap();
        let tm_id = active_user(&engine, &org, "tina@acme.test", "Tina Team", Role::Member).await;
        engine
            .add_team_member(&org_manager, &blue, &tm_id, true, T0)
            .await
            .unwrap();
        let member_id = active_user(&engine, &org, "mo@acme.test", "Mo Member", Role::Member).await;
        engine
            .add_team_member(&org_manager, &blue, &member_id, false, T0)
            .await
            .unwrap();

        let other_org = new_id();
        orgs::insert_organisation(&t.db, &other_org, "Globex", T0)
            .await
            .unwrap();
        let other_id = active_user(
            &engine,
            &other_org,
            "gus@globex.test",
            "Gus Globex",
            Role::OrgManager,
        )
        .await;

        World {
            org_manager,
            team_manager: session_user(&engine, &tm_id).await,
            member: session_user(&engine, &member_id).await,
            other_org_manager: session_user(&engine, &other_id).await,
            engine,
            t,
            blue,
            green,
        }
    }

    /// Invites `email` as the Org Manager, into `team` if given; returns the user id.
    pub async fn invite(&self, email: &str, team: Option<&str>, now: i64) -> String {
        let request = InviteRequest {
            email: email.into(),
            name: String::new(),
            team_ids: team.map(|t| vec![t.to_string()]).unwrap_or_default(),
        };
        self.engine
            .invite(&self.org_manager, request, now)
            .await
            .unwrap()
            .user_id
    }

    /// The invitation link of the newest email queued to `email`.
    pub async fn last_link_emailed_to(&self, email: &str) -> String {
        use sqlx::Row;
        let row = sqlx::query("SELECT body_text FROM outbox WHERE to_address = $1 ORDER BY created_at DESC, id LIMIT 1")
            .bind(email)
            .fetch_one(&self.t.db)
            .await
            .unwrap();
        let body: String = row.try_get(0).unwrap();
        link_in(&body)
    }

    pub async fn emails_to(&self, email: &str) -> i64 {
        use sqlx::Row;
        sqlx::query("SELECT COUNT(*) FROM outbox WHERE to_address = $1")
            .bind(email)
            .fetch_one(&self.t.db)
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    }
}

pub fn link_in(body: &str) -> String {
    body.split_whitespace()
        .find(|w| w.contains("/invite/"))
        .expect("a link in the email")
        .to_string()
}

pub fn token_of(link: &str) -> String {
    link.rsplit('/').next().unwrap().to_string()
}
