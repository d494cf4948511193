//! R17 settings over HTTP: the Sign-in tab's server functions (Org Managers
//! only), the provider check when switching to single sign-on (https, or
//! plain http on this machine; discovery within 5 s naming the same issuer),
//! the client secret that goes in and never comes back out, the sign-in
//! method every visitor's session reports, and password sign-in refused for
//! people who only ever signed in through the provider.

mod common;
#[path = "common/http.rs"]
mod http_app;

use axum::{http::StatusCode, response::IntoResponse, routing::get, Json, Router};
use common::{oidc::OidcProvider, smtp::free_port, Backend};
use http_app::{spawn_app, Answer, TestApp, Who, PASSWORD};
use roster::domain::{
    sso::{SignInMethod, SignInSettings},
    AppError, Role, UserStatus,
};
use roster::server::{now_ms, repos::orgs};
use serde_json::{json, Value};
use sqlx::Row;
use std::time::{Duration, Instant};

/// What a fake issuer answers at its discovery address.
#[derive(Clone)]
enum Discovery {
    /// A valid document naming this issuer.
    Valid,
    /// A valid document that names another issuer.
    NamesIssuer(String),
    /// 200 with an HTML page.
    NotJson,
    /// JSON, but not a discovery document.
    NotMetadata,
    Status(u16),
}

/// A fake OpenID provider on loopback for the settings check only: it
/// serves a discovery document and an empty key set.
struct FakeIssuer {
    issuer: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeIssuer {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeIssuer {
    async fn start(discovery: Discovery) -> FakeIssuer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let named = match &discovery {
            Discovery::NamesIssuer(other) => other.clone(),
            _ => issuer.clone(),
        };
        let document = json!({
            "issuer": named,
            "authorization_endpoint": format!("{issuer}/auth"),
            "token_endpoint": format!("{issuer}/token"),
            "jwks_uri": format!("{issuer}/jwks"),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
        });
        let app = Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || {
                    let discovery = discovery.clone();
                    let document = document.clone();
                    async move {
                        match discovery {
                            Discovery::Valid | Discovery::NamesIssuer(_) => {
                                Json(document).into_response()
                            }
                            Discovery::NotJson => (
                                [("content-type", "text/html")],
                                "<html><body>Welcome</body></html>",
                            )
                                .into_response(),
                            Discovery::NotMetadata => {
                                Json(json!({ "hello": "world" })).into_response()
                            }
                            Discovery::Status(code) => {
                                StatusCode::from_u16(code).unwrap().into_response()
                            }
                        }
                    }
                }),
            )
            .route("/jwks", get(|| async { Json(json!({ "keys": [] })) }));
        let server = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeIssuer { issuer, server }
    }
}

fn secret() -> String {
    format!("client-secret-{}", uuid::Uuid::new_v4().simple())
}

async fn get_settings(app: &TestApp, who: Who) -> Answer {
    let client = app.client(who);
    app.post_form(&client, "/api/get_sign_in_settings", &[])
        .await
}

async fn save_settings(
    app: &TestApp,
    who: Who,
    method: &str,
    issuer: &str,
    client_id: &str,
    client_secret: &str,
) -> Answer {
    let client = app.client(who);
    app.post_form(
        &client,
        "/api/save_sign_in_settings",
        &[
            ("method", method),
            ("issuer", issuer),
            ("client_id", client_id),
            ("client_secret", client_secret),
        ],
    )
    .await
}

async fn stored_secret(app: &TestApp) -> Option<String> {
    sqlx::query("SELECT oidc_client_secret FROM organisations WHERE id = $1")
        .bind(&app.org_id)
        .fetch_one(&app.db)
        .await
        .unwrap()
        .get(0)
}

async fn session_sign_in(app: &TestApp, who: Who) -> Value {
    let client = app.client(who);
    app.post_form(&client, "/api/get_session", &[])
        .await
        .ok()
        .json::<Value>()["sign_in"]
        .clone()
}

fn invalid_message(answer: &Answer) -> String {
    assert_eq!(answer.status, 422, "expected 422, got {answer:?}");
    match answer.error() {
        Some(AppError::Invalid(message)) => message,
        other => panic!("expected Invalid, got {other:?}"),
    }
}

/// The Org Manager reads and saves; the secret is stored, never returned,
/// and an empty secret keeps it; switching back to passwords keeps the
/// provider settings. Sessions and invitation pages learn the method.
async fn r17_org_manager_reads_and_saves_sign_in_settings(backend: Backend) {
    let app = spawn_app(backend).await;
    let settings: SignInSettings = get_settings(&app, Who::OrgManager).await.ok().json();
    assert_eq!(
        settings,
        SignInSettings {
            method: SignInMethod::Password,
            issuer: String::new(),
            client_id: String::new(),
            has_client_secret: false,
            redirect_uri: format!("{}/sso/callback", app.address),
        }
    );
    assert_eq!(session_sign_in(&app, Who::Anonymous).await, "Password");

    let provider = FakeIssuer::start(Discovery::Valid).await;
    let secret = secret();
    let answer = save_settings(
        &app,
        Who::OrgManager,
        "Sso",
        &provider.issuer,
        "roster",
        &secret,
    )
    .await
    .ok();
    assert!(!answer.body.contains(&secret), "{}", answer.body);
    let saved: SignInSettings = answer.json();
    assert_eq!(saved.method, SignInMethod::Sso);
    assert_eq!(saved.issuer, provider.issuer);
    assert_eq!(saved.client_id, "roster");
    assert!(saved.has_client_secret);
    assert_eq!(stored_secret(&app).await.as_deref(), Some(secret.as_str()));
    let read = get_settings(&app, Who::OrgManager).await.ok();
    assert!(!read.body.contains(&secret), "{}", read.body);
    assert_eq!(read.json::<SignInSettings>(), saved);

    // Every visitor's session says how to sign in; so does an invitation.
    assert_eq!(session_sign_in(&app, Who::Anonymous).await, "Sso");
    assert_eq!(session_sign_in(&app, Who::Member).await, "Sso");
    assert_eq!(
        session_sign_in(&app, Who::OtherOrgManager).await,
        "Password"
    );
    let (_, token) = app.invited_a_day_ago(&app.blue).await;
    let anonymous = app.client(Who::Anonymous);
    let link: Value = app
        .post_form(&anonymous, "/api/inspect_invite", &[("token", &token)])
        .await
        .ok()
        .json();
    assert_eq!(link["sso"], true, "{link}");

    // The secret is in no page either (resources are serialised into them).
    for (who, path) in [
        (Who::OrgManager, "/manage/settings/sign-in".to_string()),
        (Who::OrgManager, "/manage/settings/users".to_string()),
        (Who::Anonymous, "/login".to_string()),
        (Who::Anonymous, format!("/invite/{token}")),
    ] {
        let page = app.get(&app.client(who), &path).await;
        assert!(
            !page.body.contains(&secret),
            "{path} shows the client secret"
        );
    }
    let audit = sqlx::query(
        "SELECT detail FROM audit_log WHERE org_id = $1 AND action = 'sign_in_settings'",
    )
    .bind(&app.org_id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(audit.len(), 1);
    let detail: String = audit[0].get(0);
    assert!(detail.contains(&provider.issuer), "{detail}");
    assert!(!detail.contains(&secret), "{detail}");

    // An empty secret keeps the stored one, also with another client ID.
    let kept: SignInSettings = save_settings(
        &app,
        Who::OrgManager,
        "Sso",
        &provider.issuer,
        "roster-2",
        "",
    )
    .await
    .ok()
    .json();
    assert_eq!(kept.client_id, "roster-2");
    assert!(kept.has_client_secret);
    assert_eq!(stored_secret(&app).await.as_deref(), Some(secret.as_str()));

    // Back to passwords: the provider settings stay for a switch back.
    let back: SignInSettings = save_settings(&app, Who::OrgManager, "Password", "", "", "")
        .await
        .ok()
        .json();
    assert_eq!(back.method, SignInMethod::Password);
    assert_eq!(back.issuer, provider.issuer);
    assert_eq!(back.client_id, "roster-2");
    assert!(back.has_client_secret);
    assert_eq!(stored_secret(&app).await.as_deref(), Some(secret.as_str()));
    assert_eq!(session_sign_in(&app, Who::Anonymous).await, "Password");
    let link: Value = app
        .post_form(&anonymous, "/api/inspect_invite", &[("token", &token)])
        .await
        .ok()
        .json();
    assert_eq!(link["sso"], false, "{link}");
}

/// R1: Team Managers, members and anonymous callers neither read nor
/// change the settings, and nothing changes; another organisation's
/// manager sees their own organisation's, not Acme's (R2).
async fn r1_only_org_managers_see_or_change_sign_in_settings(backend: Backend) {
    let app = spawn_app(backend).await;
    let provider = FakeIssuer::start(Discovery::Valid).await;
    let secret = secret();
    save_settings(
        &app,
        Who::OrgManager,
        "Sso",
        &provider.issuer,
        "roster",
        &secret,
    )
    .await
    .ok();
    let before = app.snapshot().await;
    for (who, status) in [
        (Who::Anonymous, 401),
        (Who::Member, 403),
        (Who::TeamManager, 403),
    ] {
        let read = get_settings(&app, who).await;
        assert_eq!(read.status, status, "{who:?} read: {read:?}");
        assert!(!read.body.contains(&secret));
        for method in ["Password", "Sso"] {
            let write = save_settings(&app, who, method, &provider.issuer, "evil", "evil").await;
            assert_eq!(write.status, status, "{who:?} {method}: {write:?}");
            let expected = if status == 401 {
                AppError::Unauthenticated
            } else {
                AppError::Forbidden
            };
            assert_eq!(write.error(), Some(expected));
        }
    }
    assert_eq!(before.diff(&app.snapshot().await), Vec::<String>::new());

    let globex: SignInSettings = get_settings(&app, Who::OtherOrgManager).await.ok().json();
    assert_eq!(globex.method, SignInMethod::Password);
    assert_eq!(globex.issuer, "");
    assert!(!globex.has_client_secret);
}

/// An issuer that cannot be reached, that does not answer in time, or that
/// answers something else than its discovery document is refused with the
/// step that failed; nothing is saved.
async fn r17_a_provider_that_fails_discovery_is_refused_with_the_step(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.snapshot().await;
    let secret = secret();

    let nobody = format!("https://127.0.0.1:{}", free_port());
    let message = invalid_message(
        &save_settings(&app, Who::OrgManager, "Sso", &nobody, "roster", &secret).await,
    );
    assert!(
        message.starts_with(&format!("Could not use {nobody} as an OpenID provider: ")),
        "{message}"
    );
    assert!(message.contains("could not be reached"), "{message}");

    // Accepts connections and never answers: 5 s, then a clear refusal.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_issuer = format!("http://{}", silent.local_addr().unwrap());
    let hold = tokio::spawn(async move {
        let mut held = vec![];
        while let Ok((socket, _)) = silent.accept().await {
            held.push(socket);
        }
    });
    let started = Instant::now();
    let message = invalid_message(
        &save_settings(
            &app,
            Who::OrgManager,
            "Sso",
            &silent_issuer,
            "roster",
            &secret,
        )
        .await,
    );
    let took = started.elapsed();
    hold.abort();
    assert!(
        message.contains("did not answer within 5 seconds"),
        "{message}"
    );
    assert!(
        took >= Duration::from_secs(4) && took < Duration::from_secs(9),
        "took {took:?}"
    );

    for (discovery, expected) in [
        (Discovery::Status(404), "answered HTTP 404"),
        (Discovery::NotJson, "did not answer with JSON"),
        (
            Discovery::NotMetadata,
            "is not an OpenID Connect discovery document",
        ),
        (
            Discovery::NamesIssuer("https://someone-else.example".into()),
            "names the issuer https://someone-else.example",
        ),
    ] {
        let provider = FakeIssuer::start(discovery).await;
        let message = invalid_message(
            &save_settings(
                &app,
                Who::OrgManager,
                "Sso",
                &provider.issuer,
                "roster",
                &secret,
            )
            .await,
        );
        assert!(
            message.starts_with(&format!(
                "Could not use {} as an OpenID provider: ",
                provider.issuer
            )),
            "{message}"
        );
        assert!(message.contains(expected), "{expected:?} not in {message}");
        assert!(!message.contains(&secret));
    }
    assert_eq!(before.diff(&app.snapshot().await), Vec::<String>::new());
}

/// R17: plain http only on this machine; the issuer, client ID and (the
/// first time) the secret are required. Refused before any request.
async fn r17_issuer_and_client_are_checked_before_any_request(backend: Backend) {
    let app = spawn_app(backend).await;
    let before = app.snapshot().await;
    let secret = secret();
    for issuer in [
        "http://idp.example.com",
        "http://10.1.2.3:8080",
        "ftp://idp.example.com",
        "idp.example.com",
        "",
    ] {
        let started = Instant::now();
        let message = invalid_message(
            &save_settings(&app, Who::OrgManager, "Sso", issuer, "roster", &secret).await,
        );
        assert!(message.contains("Issuer URL"), "{issuer}: {message}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }
    let message = invalid_message(
        &save_settings(
            &app,
            Who::OrgManager,
            "Sso",
            "http://idp.example.com",
            "roster",
            &secret,
        )
        .await,
    );
    assert!(message.contains("https://"), "{message}");

    let provider = FakeIssuer::start(Discovery::Valid).await;
    let message = invalid_message(
        &save_settings(
            &app,
            Who::OrgManager,
            "Sso",
            &provider.issuer,
            "  ",
            &secret,
        )
        .await,
    );
    assert_eq!(message, "Client ID is required for single sign-on.");
    let message = invalid_message(
        &save_settings(&app, Who::OrgManager, "Sso", &provider.issuer, "roster", "").await,
    );
    assert_eq!(message, "Client secret is required for single sign-on.");
    assert_eq!(before.diff(&app.snapshot().await), Vec::<String>::new());
}

/// The test OpenID provider (a real one, on loopback) is accepted.
async fn r17_a_real_loopback_provider_is_accepted(backend: Backend) {
    let app = spawn_app(backend).await;
    let provider = OidcProvider::start(&[format!("{}/sso/callback", app.address)]).await;
    let saved: SignInSettings = save_settings(
        &app,
        Who::OrgManager,
        "Sso",
        &provider.issuer,
        &provider.client_id,
        &provider.client_secret,
    )
    .await
    .ok()
    .json();
    assert_eq!(saved.method, SignInMethod::Sso);
    assert_eq!(saved.issuer, provider.issuer);
    let login = app.get(&app.client(Who::Anonymous), "/login").await;
    assert!(!login.body.contains(&provider.client_secret));
}

/// A person of Acme with no password, known by the provider's `sub`.
async fn insert_sso_only(app: &TestApp, email: &str, status: UserStatus, now: i64) -> String {
    let id = app
        .insert_user(&app.org_id, email, "Sam Sso", Role::Member, status, now)
        .await;
    sqlx::query("UPDATE users SET password_hash = NULL, sso_subject = $2 WHERE id = $1")
        .bind(&id)
        .bind(format!("sub-{id}"))
        .execute(&app.db)
        .await
        .unwrap();
    id
}

/// Someone who only ever signed in through the provider (no password here)
/// is told to use single sign-on, whatever password they type; password
/// users of the same organisation keep signing in with their passwords.
async fn r17_password_sign_in_points_sso_users_to_single_sign_on(backend: Backend) {
    let app = spawn_app(backend).await;
    orgs::update_sso_settings(
        &app.db,
        &app.org_id,
        "https://idp.example.com",
        "roster",
        Some(&orgs::ClientSecret::new(secret())),
    )
    .await
    .unwrap();
    let now = now_ms();
    insert_sso_only(&app, "sam@acme.test", UserStatus::Active, now).await;
    insert_sso_only(&app, "dee@acme.test", UserStatus::Deactivated, now).await;
    // Once a password user, then signed in through the provider: both work.
    let both = app
        .insert_user(
            &app.org_id,
            "bo@acme.test",
            "Bo Both",
            Role::Member,
            UserStatus::Active,
            now,
        )
        .await;
    sqlx::query("UPDATE users SET sso_subject = 'sub-bo' WHERE id = $1")
        .bind(&both)
        .execute(&app.db)
        .await
        .unwrap();

    for password in [PASSWORD, "anything at all"] {
        let (answer, _) = app.sign_in("sam@acme.test", password).await;
        assert_eq!(answer.status, 401, "{answer:?}");
        assert_eq!(answer.error(), Some(AppError::UseSingleSignOn));
        assert_eq!(
            AppError::UseSingleSignOn.to_string(),
            "This account signs in with single sign-on. Use Continue with single sign-on."
        );
        assert!(answer
            .set_cookies()
            .iter()
            .all(|c| !c.starts_with("roster_session=") || c.contains("Max-Age=0")));
    }
    for (email, password) in [
        ("dee@acme.test", PASSWORD),
        ("bo@acme.test", "not the password"),
        ("nobody@acme.test", PASSWORD),
    ] {
        let (answer, _) = app.sign_in(email, password).await;
        assert_eq!(answer.error(), Some(AppError::BadCredentials), "{email}");
    }
    for email in [
        "bo@acme.test",
        app.member.email.as_str(),
        app.org_manager.email.as_str(),
    ] {
        let (answer, _) = app.sign_in(email, PASSWORD).await;
        answer.ok();
    }
}

on_both_databases_over_http!(
    r17_org_manager_reads_and_saves_sign_in_settings,
    r1_only_org_managers_see_or_change_sign_in_settings,
    r17_a_provider_that_fails_discovery_is_refused_with_the_step,
    r17_issuer_and_client_are_checked_before_any_request,
    r17_a_real_loopback_provider_is_accepted,
    r17_password_sign_in_points_sso_users_to_single_sign_on,
);
