//! First run, sign-in and sessions on both databases.

mod common;

use common::{TestDb, DAY, T0};
use roster::domain::{AppError, Role};
use roster::server::auth::{self, FirstRun};

fn first_run(email: &str) -> FirstRun {
    FirstRun {
        org_name: "Acme <Training>".into(),
        your_name: "Ada Lovelace".into(),
        email: email.into(),
        password: "correct horse battery".into(),
    }
}

/// SPEC §5 first run: the creator becomes the first Org Manager, signed in.
async fn first_run_creates_org_and_signs_in_its_manager(t: TestDb) {
    assert!(auth::needs_setup(&t.db).await.unwrap());
    let token = auth::create_organisation(&t.db, first_run("  Ada@Example.com "), T0)
        .await
        .unwrap();
    let user = auth::current_user(&t.db, Some(&token), T0)
        .await
        .unwrap()
        .expect("signed in");
    assert_eq!(user.role, Role::OrgManager);
    assert_eq!(user.email, "ada@example.com");
    assert_eq!(user.org_name, "Acme <Training>");
    assert!(!auth::needs_setup(&t.db).await.unwrap());
}

/// First run happens once: a second attempt is refused and changes nothing.
async fn first_run_cannot_run_twice(t: TestDb) {
    auth::create_organisation(&t.db, first_run("ada@example.com"), T0)
        .await
        .unwrap();
    let again = auth::create_organisation(&t.db, first_run("eve@example.com"), T0).await;
    assert_eq!(again.unwrap_err(), AppError::AlreadySetUp);
    assert_eq!(
        auth::sign_in(&t.db, "eve@example.com", "correct horse battery", T0)
            .await
            .unwrap_err(),
        AppError::BadCredentials
    );
}

/// Bad first-run input gets a clear error and creates nothing.
async fn first_run_refuses_bad_input(t: TestDb) {
    let mut short = first_run("ada@example.com");
    short.password = "short".into();
    assert!(
        matches!(auth::create_organisation(&t.db, short, T0).await, Err(AppError::Invalid(m)) if m.contains("8 characters"))
    );
    assert!(matches!(
        auth::create_organisation(&t.db, first_run("not-an-email"), T0).await,
        Err(AppError::Invalid(_))
    ));
    let mut nameless = first_run("ada@example.com");
    nameless.org_name = "   ".into();
    assert!(matches!(
        auth::create_organisation(&t.db, nameless, T0).await,
        Err(AppError::Invalid(_))
    ));
    assert!(auth::needs_setup(&t.db).await.unwrap());
}

/// A wrong password and an unknown email get the very same answer.
async fn sign_in_does_not_reveal_whether_an_email_exists(t: TestDb) {
    auth::create_organisation(&t.db, first_run("ada@example.com"), T0)
        .await
        .unwrap();
    let wrong_password = auth::sign_in(&t.db, "ada@example.com", "not my password", T0)
        .await
        .unwrap_err();
    let unknown_email = auth::sign_in(&t.db, "nobody@example.com", "correct horse battery", T0)
        .await
        .unwrap_err();
    assert_eq!(wrong_password, AppError::BadCredentials);
    assert_eq!(wrong_password, unknown_email);
    assert_eq!(wrong_password.to_string(), unknown_email.to_string());
}

/// Sign-in is case-insensitive on the email (R3) and starts a working session.
async fn sign_in_then_sign_out(t: TestDb) {
    auth::create_organisation(&t.db, first_run("ada@example.com"), T0)
        .await
        .unwrap();
    let token = auth::sign_in(&t.db, " ADA@example.com", "correct horse battery", T0)
        .await
        .unwrap();
    assert!(auth::current_user(&t.db, Some(&token), T0)
        .await
        .unwrap()
        .is_some());
    auth::sign_out(&t.db, Some(&token)).await.unwrap();
    assert!(auth::current_user(&t.db, Some(&token), T0)
        .await
        .unwrap()
        .is_none());
}

/// Sessions are stored server-side: a new server (new pool) still knows them;
/// they end when they expire; a forged cookie is nobody.
async fn sessions_survive_a_restart_and_expire(t: TestDb) {
    let token = auth::create_organisation(&t.db, first_run("ada@example.com"), T0)
        .await
        .unwrap();
    t.db.close().await;
    let restarted = roster::server::db::connect(&t.url).await.unwrap();
    assert!(auth::current_user(&restarted, Some(&token), T0 + DAY)
        .await
        .unwrap()
        .is_some());
    assert!(auth::current_user(&restarted, Some(&token), T0 + 31 * DAY)
        .await
        .unwrap()
        .is_none());
    let forged = "A".repeat(43);
    assert!(auth::current_user(&restarted, Some(&forged), T0)
        .await
        .unwrap()
        .is_none());
    assert!(auth::current_user(&restarted, Some("garbage"), T0)
        .await
        .unwrap()
        .is_none());
}

/// R18: a deactivated user cannot sign in, and their open sessions stop working.
async fn r18_deactivated_users_cannot_sign_in(t: TestDb) {
    let token = auth::create_organisation(&t.db, first_run("ada@example.com"), T0)
        .await
        .unwrap();
    sqlx::query("UPDATE users SET status = 'deactivated'")
        .execute(&t.db)
        .await
        .unwrap();
    assert!(auth::current_user(&t.db, Some(&token), T0)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        auth::sign_in(&t.db, "ada@example.com", "correct horse battery", T0)
            .await
            .unwrap_err(),
        AppError::BadCredentials
    );
}

/// Migrations run on every start; running them again is harmless.
async fn migrations_apply_once(t: TestDb) {
    roster::server::db::connect(&t.url).await.unwrap();
    roster::server::db::connect(&t.url).await.unwrap();
}

on_both_databases!(
    first_run_creates_org_and_signs_in_its_manager,
    first_run_cannot_run_twice,
    first_run_refuses_bad_input,
    sign_in_does_not_reveal_whether_an_email_exists,
    sign_in_then_sign_out,
    sessions_survive_a_restart_and_expire,
    r18_deactivated_users_cannot_sign_in,
    migrations_apply_once,
);
