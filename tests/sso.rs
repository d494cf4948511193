//! R17 over HTTP with a real OpenID provider (end2end/oidc/provider.mjs):
//! an invitee accepts through single sign-on, refusals change nothing and
//! leave the link usable, replayed or foreign callbacks are refused, a
//! copied link asks for the email first (R10), and later sign-ins match the
//! provider's `sub`. Each test starts Roster and its own provider.

mod common;
#[path = "common/http.rs"]
mod http_app;

use common::{oidc::OidcOptions, oidc::OidcProvider, Backend};
use http_app::{spawn_app_with, Answer, Settings, TestApp, Who};
use reqwest::Client;
use roster::domain::AppError;
use serde_json::Value;
use sqlx::Row;
use std::time::Duration;

/// Roster with its organisation on single sign-on at a fresh provider whose
/// `match` and `unverified` accounts have the email `invitee`.
struct SsoWorld {
    app: TestApp,
    provider: OidcProvider,
    invitee: String,
}

async fn sso_world(backend: Backend, settings: Settings) -> SsoWorld {
    let app = spawn_app_with(backend, settings).await;
    let invitee = format!("{}@sso.test", uuid::Uuid::new_v4().simple());
    sso_world_around(app, invitee).await
}

/// `app` switched to single sign-on at a fresh provider whose `match` and
/// `unverified` accounts have the email `invitee`.
async fn sso_world_around(app: TestApp, invitee: String) -> SsoWorld {
    let provider = OidcProvider::start_with(
        &[format!("{}/sso/callback", app.address)],
        OidcOptions {
            match_email: invitee.clone(),
            ..OidcOptions::default()
        },
    )
    .await;
    let world = SsoWorld {
        app,
        provider,
        invitee,
    };
    world.use_single_sign_on().await;
    world
}

fn browser(app: &TestApp) -> Client {
    app.client(Who::Anonymous)
}

/// The value of `name` in the answer's `Set-Cookie` headers ("" if cleared).
fn set_cookie(answer: &Answer, name: &str) -> Option<String> {
    answer
        .set_cookies()
        .iter()
        .filter_map(|c| c.split(';').next())
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

fn location(answer: &Answer) -> String {
    assert_eq!(answer.status, 303, "expected 303 See Other: {answer:?}");
    answer.header("location").expect("a Location").to_string()
}

fn problem(reason: &str, token: Option<&str>) -> String {
    match token {
        Some(token) => format!("/sso/problem?reason={reason}&token={token}"),
        None => format!("/sso/problem?reason={reason}"),
    }
}

impl SsoWorld {
    /// Olive switches the organisation to SSO on the Sign-in tab.
    async fn use_single_sign_on(&self) {
        let olive = self.app.client(Who::OrgManager);
        self.app
            .post_form(
                &olive,
                "/api/save_sign_in_settings",
                &[
                    ("method", "Sso"),
                    ("issuer", self.provider.issuer.as_str()),
                    ("client_id", self.provider.client_id.as_str()),
                    ("client_secret", self.provider.client_secret.as_str()),
                ],
            )
            .await
            .ok();
    }

    /// Invites `email` by email as Olive; the user's id and the emailed token.
    async fn invite(&self, email: &str) -> (String, String) {
        let invited: Value = self
            .app
            .invite_as(Who::OrgManager, email, Some(&self.app.blue))
            .await
            .ok()
            .json();
        let id = invited["user_id"].as_str().unwrap().to_string();
        let link = self.app.last_link_emailed_to(email).await;
        (id, common::world::token_of(&link))
    }

    /// POST /sso/start as the invitation page's (or the sign-in page's) form does.
    async fn start(&self, browser: &Client, fields: &[(&str, &str)]) -> Answer {
        self.app.post_form(browser, "/sso/start", fields).await
    }

    /// Starts at Roster, signs in at the provider as `login`; the callback
    /// URL the provider sends the browser to, and the flow cookie's value.
    async fn to_provider_and_back(
        &self,
        browser: &Client,
        fields: &[(&str, &str)],
        login: &str,
    ) -> (String, String) {
        let started = self.start(browser, fields).await;
        let authorization_url = location(&started);
        assert!(
            authorization_url.starts_with(&self.provider.issuer),
            "to the provider: {authorization_url}"
        );
        let binding = set_cookie(&started, "roster_sso").expect("the flow cookie");
        let cookie = started
            .set_cookies()
            .into_iter()
            .find(|c| c.starts_with("roster_sso="))
            .unwrap();
        assert!(
            cookie.contains("Path=/sso")
                && cookie.contains("HttpOnly")
                && cookie.contains("SameSite=Lax")
                && cookie.contains("Max-Age=600"),
            "{cookie}"
        );
        let callback = self.provider.sign_in(&authorization_url, login).await;
        (callback, binding)
    }

    async fn callback(&self, browser: &Client, callback_url: &str) -> Answer {
        self.app.send(browser.get(callback_url)).await
    }

    async fn user(&self, id: &str) -> (String, Option<String>, Option<String>) {
        let row = sqlx::query("SELECT status, sso_subject, password_hash FROM users WHERE id = $1")
            .bind(id)
            .fetch_one(&self.app.db)
            .await
            .unwrap();
        (row.get(0), row.get(1), row.get(2))
    }

    async fn session_of(&self, browser: &Client) -> Value {
        self.app
            .post_form(browser, "/api/get_session", &[])
            .await
            .ok()
            .json()
    }
}

/// The happy path of R17: email link → provider (matching, verified email)
/// → back signed in at the profile step; the user is Active with the
/// provider's `sub` and no password; the link is used, the invitation
/// accepted and the audit log says how.
async fn an_invitee_accepts_through_single_sign_on(backend: Backend) {
    let w = sso_world(backend, Settings::default()).await;
    let (user_id, token) = w.invite(&w.invitee).await;
    let b = browser(&w.app);
    let (callback, _) = w
        .to_provider_and_back(&b, &[("token", token.as_str())], "match")
        .await;
    let back = w.callback(&b, &callback).await;
    assert_eq!(location(&back), "/welcome/profile");
    assert_eq!(
        set_cookie(&back, "roster_sso").as_deref(),
        Some(""),
        "flow cookie cleared"
    );
    let session = set_cookie(&back, "roster_session").expect("signed in");
    assert_eq!(session.len(), 43);
    assert_eq!(
        w.session_of(&b).await["user"]["email"].as_str(),
        Some(w.invitee.as_str())
    );

    let (status, subject, password) = w.user(&user_id).await;
    assert_eq!(status, "active");
    assert_eq!(subject.as_deref(), Some("sub-match"));
    assert_eq!(password, None, "no password for an SSO user");
    let row = sqlx::query(
        "SELECT l.state, i.status FROM invite_links l JOIN invitations i ON i.id = l.invitation_id
         WHERE i.user_id = $1",
    )
    .bind(&user_id)
    .fetch_one(&w.app.db)
    .await
    .unwrap();
    assert_eq!(row.get::<String, _>(0), "used");
    assert_eq!(row.get::<String, _>(1), "accepted");
    let audit =
        sqlx::query("SELECT detail FROM audit_log WHERE action = 'accept' AND target_user_id = $1")
            .bind(&user_id)
            .fetch_all(&w.app.db)
            .await
            .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].get::<String, _>(0), "single sign-on");

    // The used link cannot start another flow.
    let again = w
        .start(&browser(&w.app), &[("token", token.as_str())])
        .await;
    assert_eq!(location(&again), problem("link_unusable", Some(&token)));
}

/// Browsers hold the 303 of `/sso/start` to the page's CSP `form-action`:
/// the pages with the SSO forms must name the provider's origin there (and
/// only it), or Chromium refuses to leave for the provider.
async fn pages_let_their_forms_lead_to_the_provider(backend: Backend) {
    let w = sso_world(backend, Settings::default()).await;
    let (_, token) = w.invite(&w.invitee).await;
    let provider = url::Url::parse(&w.provider.issuer)
        .unwrap()
        .origin()
        .ascii_serialization();
    for path in ["/login".to_string(), format!("/invite/{token}")] {
        let page = w.app.get(&browser(&w.app), &path).await;
        assert_eq!(page.status, 200, "{path}: {page:?}");
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains(&format!("form-action 'self' {provider};")),
            "{path}: {csp}"
        );
    }
}

/// A Team Manager's invitation into an SSO organisation is an SSO
/// invitation like any other: its emailed link offers single sign-on (the
/// page, not a password form) and signs the invitee in through the provider.
async fn a_team_managers_invitation_signs_in_through_the_provider(backend: Backend) {
    let w = sso_world(backend, Settings::default()).await;
    let invited: Value = w
        .app
        .invite_as(Who::TeamManager, &w.invitee, Some(&w.app.blue))
        .await
        .ok()
        .json();
    assert!(invited["user_id"].is_string(), "{invited}");
    let link = w.app.last_link_emailed_to(&w.invitee).await;
    let token = common::world::token_of(&link);
    let page = w
        .app
        .get(&browser(&w.app), &format!("/invite/{token}"))
        .await;
    assert_eq!(page.status, 200, "{page:?}");
    assert!(
        page.body.contains("Continue with single sign-on"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("Set your password"), "{}", page.body);

    let b = browser(&w.app);
    let (callback, _) = w
        .to_provider_and_back(&b, &[("token", token.as_str())], "match")
        .await;
    assert_eq!(
        location(&w.callback(&b, &callback).await),
        "/welcome/profile"
    );
}

/// R17: a verified but different email, then an unverified one, are
/// refused with their pages; nothing changes, and the same link then works
/// with the right account. Cancelling at the provider goes back to the
/// link, and a password cannot be chosen instead.
async fn a_wrong_or_unverified_email_changes_nothing(backend: Backend) {
    let w = sso_world(backend, Settings::default()).await;
    let (user_id, token) = w.invite(&w.invitee).await;
    let before = w.app.snapshot().await;
    for (login, reason) in [
        ("other", "email_mismatch"),
        ("unverified", "email_unverified"),
    ] {
        let b = browser(&w.app);
        let (callback, _) = w
            .to_provider_and_back(&b, &[("token", token.as_str())], login)
            .await;
        let back = w.callback(&b, &callback).await;
        assert_eq!(location(&back), problem(reason, Some(&token)), "{login}");
        assert_eq!(
            set_cookie(&back, "roster_session"),
            None,
            "{login}: not signed in"
        );
        assert_eq!(
            before.diff(&w.app.snapshot().await),
            Vec::<String>::new(),
            "{login}"
        );
    }

    // Nor can the invitee choose a password instead of the provider.
    let b = browser(&w.app);
    let answer = w
        .app
        .post_form(
            &b,
            "/api/set_invite_password",
            &[
                ("token", token.as_str()),
                ("password", http_app::PASSWORD),
                ("confirm_password", http_app::PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        answer.error(),
        Some(AppError::UseSingleSignOn),
        "{answer:?}"
    );
    assert_eq!(before.diff(&w.app.snapshot().await), Vec::<String>::new());

    let started = w.start(&b, &[("token", token.as_str())]).await;
    let cancelled = w.provider.cancel(&location(&started)).await;
    let back = w.callback(&b, &cancelled).await;
    assert_eq!(location(&back), format!("/invite/{token}"));
    assert_eq!(before.diff(&w.app.snapshot().await), Vec::<String>::new());

    let b = browser(&w.app);
    let (callback, _) = w
        .to_provider_and_back(&b, &[("token", token.as_str())], "match")
        .await;
    assert_eq!(
        location(&w.callback(&b, &callback).await),
        "/welcome/profile"
    );
    assert_eq!(w.user(&user_id).await.0, "active");
}

/// A callback is good once, in the browser that started the flow: the same
/// answer again (state and code) is refused, and so is an answer delivered
/// to another browser (no flow cookie, or another flow's), which does not
/// use up the rightful browser's flow.
async fn replayed_or_foreign_callbacks_are_refused(backend: Backend) {
    let w = sso_world(backend, Settings::default()).await;
    let (_, token) = w.invite(&w.invitee).await;
    let rightful = browser(&w.app);
    let (callback, binding) = w
        .to_provider_and_back(&rightful, &[("token", token.as_str())], "match")
        .await;

    let before = w.app.snapshot().await;
    // Another browser, without a flow.
    let stranger = browser(&w.app);
    let refused = w.callback(&stranger, &callback).await;
    assert_eq!(location(&refused), problem("invalid_response", None));
    // Another browser in its own flow for the same link.
    let other = browser(&w.app);
    w.start(&other, &[("token", token.as_str())]).await;
    let refused = w.callback(&other, &callback).await;
    assert_eq!(
        location(&refused),
        problem("invalid_response", Some(&token))
    );
    // A forged cookie of the right shape.
    let forged = w
        .app
        .client_with_cookies(&[format!("roster_sso={}.{token}", "A".repeat(43))]);
    let refused = w.callback(&forged, &callback).await;
    assert_eq!(
        location(&refused),
        problem("invalid_response", Some(&token))
    );
    assert_eq!(before.diff(&w.app.snapshot().await), Vec::<String>::new());

    let back = w.callback(&rightful, &callback).await;
    assert_eq!(location(&back), "/welcome/profile");

    // The same answer again, even with the flow's cookie put back.
    let after = w.app.snapshot().await;
    let replay = w
        .app
        .client_with_cookies(&[format!("roster_sso={binding}")]);
    let refused = w.callback(&replay, &callback).await;
    assert_eq!(
        location(&refused),
        problem("invalid_response", Some(&token))
    );
    assert_eq!(set_cookie(&refused, "roster_session"), None);
    assert_eq!(after.diff(&w.app.snapshot().await), Vec::<String>::new());

    // A callback with no state at all, or one never issued.
    let refused = w
        .callback(&rightful, &w.app.url("/sso/callback?code=x"))
        .await;
    assert_eq!(location(&refused), problem("invalid_response", None));
}

/// R10 applies to SSO links: a copied link goes back to its page to confirm
/// the email before the provider; once confirmed, SSO works as for an email link.
async fn a_copied_link_needs_the_email_first(backend: Backend) {
    let w = sso_world(backend, Settings::default()).await;
    let (user_id, _) = w.invite(&w.invitee).await;
    let copied = w.app.copy_link(&user_id).await;
    let b = browser(&w.app);
    let before = w.app.snapshot().await;
    let answer = w.start(&b, &[("token", copied.as_str())]).await;
    assert_eq!(location(&answer), format!("/invite/{copied}"));
    assert_eq!(set_cookie(&answer, "roster_sso"), None, "no flow started");
    assert_eq!(before.diff(&w.app.snapshot().await), Vec::<String>::new());

    w.app
        .post_form(
            &b,
            "/api/confirm_invite_email",
            &[("token", copied.as_str()), ("email", w.invitee.as_str())],
        )
        .await
        .ok();
    let (callback, _) = w
        .to_provider_and_back(&b, &[("token", copied.as_str())], "match")
        .await;
    assert_eq!(
        location(&w.callback(&b, &callback).await),
        "/welcome/profile"
    );
    assert_eq!(w.user(&user_id).await.1.as_deref(), Some("sub-match"));
}

/// R17 later on: `/login`'s SSO button signs the user in by the provider's
/// `sub` (even after their email here changed), to `next` when it is a
/// path here; it changes nothing but adding the session. An identity with
/// no account here is refused, and so is a deactivated user (R5, R18).
async fn later_sign_ins_match_the_subject(backend: Backend) {
    let w = sso_world(backend, Settings::default()).await;
    let (user_id, token) = w.invite(&w.invitee).await;
    let b = browser(&w.app);
    let (callback, _) = w
        .to_provider_and_back(&b, &[("token", token.as_str())], "match")
        .await;
    assert_eq!(
        location(&w.callback(&b, &callback).await),
        "/welcome/profile"
    );

    // The sub, not the email, is what matches now.
    sqlx::query("UPDATE users SET email = $2 WHERE id = $1")
        .bind(&user_id)
        .bind(format!("renamed-{}", w.invitee))
        .execute(&w.app.db)
        .await
        .unwrap();
    let before = w.app.snapshot().await;
    let later = browser(&w.app);
    let (callback, _) = w
        .to_provider_and_back(&later, &[("next", "/welcome")], "match")
        .await;
    let back = w.callback(&later, &callback).await;
    assert_eq!(location(&back), "/welcome");
    assert!(set_cookie(&back, "roster_session").is_some());
    assert_eq!(
        w.session_of(&later).await["user"]["id"].as_str(),
        Some(user_id.as_str())
    );
    let changes = before.diff(&w.app.snapshot().await);
    assert!(
        changes.len() == 1 && changes[0].starts_with("sessions: +[") && changes[0].ends_with("-[]"),
        "only a session is added: {changes:?}"
    );

    // An off-site `next` is dropped: the user's home instead.
    let elsewhere = browser(&w.app);
    let (callback, _) = w
        .to_provider_and_back(&elsewhere, &[("next", "//evil.example/")], "match")
        .await;
    assert_eq!(location(&w.callback(&elsewhere, &callback).await), "/");

    // No account here for this identity.
    let stranger = browser(&w.app);
    let (callback, _) = w.to_provider_and_back(&stranger, &[], "other").await;
    assert_eq!(
        location(&w.callback(&stranger, &callback).await),
        problem("unknown_account", None)
    );

    // Deactivated by Olive: refused after the provider's answer.
    let olive = w.app.client(Who::OrgManager);
    w.app
        .post_form(
            &olive,
            "/api/deactivate_user",
            &[("user_id", user_id.as_str())],
        )
        .await
        .ok();
    let before = w.app.snapshot().await;
    let again = browser(&w.app);
    let (callback, _) = w.to_provider_and_back(&again, &[], "match").await;
    let back = w.callback(&again, &callback).await;
    assert_eq!(location(&back), problem("deactivated", None));
    assert_eq!(set_cookie(&back, "roster_session"), None);
    assert_eq!(before.diff(&w.app.snapshot().await), Vec::<String>::new());
}

/// A password user of an organisation that switched to SSO signs in
/// through the provider once by verified email; the `sub` is kept for next
/// time. Before the switch, SSO is not offered at all.
async fn the_first_sso_sign_in_of_a_password_user_matches_the_email(backend: Backend) {
    let app = spawn_app_with(backend, Settings::default()).await;
    let email = app.member.email.clone();
    let b = browser(&app);
    let answer = app.post_form(&b, "/sso/start", &[]).await;
    assert_eq!(location(&answer), problem("not_enabled", None));

    let w = sso_world_around(app, email).await;
    let (callback, _) = w.to_provider_and_back(&b, &[], "unverified").await;
    assert_eq!(
        location(&w.callback(&b, &callback).await),
        problem("email_unverified", None)
    );
    let (callback, _) = w.to_provider_and_back(&b, &[], "match").await;
    assert_eq!(location(&w.callback(&b, &callback).await), "/");
    let (status, subject, password) = w.user(&w.app.member.id).await;
    assert_eq!(status, "active");
    assert_eq!(subject.as_deref(), Some("sub-match"));
    assert!(password.is_some(), "the password stays");
}

/// Expiry applies to SSO links as to password links: an expired link starts
/// no flow, and a link that expires while its invitee is at the provider
/// is refused on return, the user still Invited.
async fn an_expired_link_is_refused(backend: Backend) {
    let w = sso_world(backend, Settings::default().var("ROSTER_INVITE_TTL", "2s")).await;
    let (user_id, token) = w.invite(&w.invitee).await;
    let b = browser(&w.app);
    let (callback, _) = w
        .to_provider_and_back(&b, &[("token", token.as_str())], "match")
        .await;
    let expires_at: i64 = sqlx::query(
        "SELECT l.expires_at FROM invite_links l JOIN invitations i ON i.id = l.invitation_id
         WHERE i.user_id = $1",
    )
    .bind(&user_id)
    .fetch_one(&w.app.db)
    .await
    .unwrap()
    .get(0);
    let left = expires_at - roster::server::now_ms();
    tokio::time::sleep(Duration::from_millis(left.max(0) as u64 + 50)).await;
    let back = w.callback(&b, &callback).await;
    assert_eq!(location(&back), problem("link_unusable", Some(&token)));
    assert_eq!(w.user(&user_id).await.0, "invited");

    let answer = w
        .start(&browser(&w.app), &[("token", token.as_str())])
        .await;
    assert_eq!(location(&answer), problem("link_unusable", Some(&token)));
    assert_eq!(set_cookie(&answer, "roster_sso"), None);

    // R13: the expired SSO link's page is the expired page, with its
    // Resend invitation button, as for passwords.
    let page = w
        .app
        .get(&browser(&w.app), &format!("/invite/{token}"))
        .await;
    assert!(
        page.body.contains("This invitation link has expired")
            && page.body.contains("Resend invitation")
            && !page.body.contains("Continue with single sign-on"),
        "{}",
        page.body
    );
}

/// Starting from a link is rate limited per link like the link's other
/// requests, and refused cross-site like every POST.
async fn starts_are_limited_and_same_site(backend: Backend) {
    let w = sso_world(
        backend,
        Settings::default().var("ROSTER_INVITE_RATE_LIMIT", "2"),
    )
    .await;
    let (_, token) = w.invite(&w.invitee).await;
    let cross_site = w
        .app
        .send(
            browser(&w.app)
                .post(w.app.url("/sso/start"))
                .header("origin", "https://evil.example")
                .form(&[("token", token.as_str())]),
        )
        .await;
    assert_eq!(cross_site.status, 403);
    for _ in 0..2 {
        let answer = w
            .start(&browser(&w.app), &[("token", token.as_str())])
            .await;
        assert!(location(&answer).starts_with(&w.provider.issuer));
    }
    let limited = w
        .start(&browser(&w.app), &[("token", token.as_str())])
        .await;
    assert_eq!(limited.status, 429, "{limited:?}");
}

on_both_databases_over_http!(
    a_team_managers_invitation_signs_in_through_the_provider,
    pages_let_their_forms_lead_to_the_provider,
    an_invitee_accepts_through_single_sign_on,
    a_wrong_or_unverified_email_changes_nothing,
    replayed_or_foreign_callbacks_are_refused,
    a_copied_link_needs_the_email_first,
    later_sign_ins_match_the_subject,
    the_first_sso_sign_in_of_a_password_user_matches_the_email,
    an_expired_link_is_refused,
    starts_are_limited_and_same_site,
);
