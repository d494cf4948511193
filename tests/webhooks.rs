//! Webhooks (Step 10) on both databases: Org Managers register endpoints;
//! every event is queued with the change that caused it, signed, and seen
//! exactly once by a real receiver (a separate process that checks the
//! signature itself), across an outage, errors and two workers at once.

mod common;
#[path = "common/http.rs"]
mod http_app;

use common::Backend;
use common::{
    receiver::{url_on, Receiver},
    smtp::{free_port, SmtpSink},
    world::{token_of, World, COOLDOWN_MS, TTL_MS},
    TestDb, MINUTE, T0,
};
use http_app::{spawn_app, Who};
use reqwest::header::{ACCEPT, LOCATION, ORIGIN};
use roster::domain::{
    invitations::InviteRequest,
    webhooks::{DeliveryState, WebhookEvent},
    AppError,
};
use roster::server::{
    mail::{worker::OutboxWorker, Mailer},
    now_ms,
    repos::webhooks as repo,
    webhooks::{destination::PrivateAddresses, worker::WebhookWorker},
};
use std::collections::HashMap;

fn all_events() -> Vec<String> {
    WebhookEvent::ALL
        .iter()
        .map(|e| e.name().to_string())
        .collect()
}

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir()
        .join("roster-tests")
        .join(format!("{name}-{}", uuid::Uuid::new_v4().simple()))
}

async fn deliveries_count(w: &World) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM webhook_deliveries")
        .fetch_one(&w.t.db)
        .await
        .unwrap()
}

/// Only Org Managers register endpoints; bad addresses and event lists are
/// refused with the reason; each organisation sees its own; adding and
/// deleting are audited.
async fn webhooks_are_an_org_managers_setting(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    let url = "https://hr.example.com/roster";
    for who in [&w.team_manager, &w.member] {
        assert_eq!(e.webhook_settings(who).await, Err(AppError::Forbidden));
        assert_eq!(
            e.add_webhook_endpoint(who, url, &all_events(), T0).await,
            Err(AppError::Forbidden)
        );
    }
    let refusals = [
        ("http://hr.example.com/hook", all_events(), "https://"),
        ("ftp://hr.example.com/hook", all_events(), "https://"),
        ("https://hr.example.com/hook#x", all_events(), "fragment"),
        ("https://user:pw@hr.example.com/", all_events(), "user name"),
        ("not a url", all_events(), "not a valid URL"),
        ("", all_events(), "required"),
        (url, vec![], "at least one event"),
        (url, vec!["user.deleted".into()], "user.deleted"),
    ];
    for (url, events, why) in refusals {
        match e
            .add_webhook_endpoint(&w.org_manager, url, &events, T0)
            .await
        {
            Err(AppError::Invalid(message)) => assert!(message.contains(why), "{url}: {message}"),
            other => panic!("{url} {events:?}: {other:?}"),
        }
    }
    let added = e
        .add_webhook_endpoint(
            &w.org_manager,
            " https://hr.example.com/roster?source=roster ",
            &["invitation.accepted".into(), "invitation.created".into()],
            T0,
        )
        .await
        .unwrap();
    assert_eq!(added.url, "https://hr.example.com/roster?source=roster");
    assert_eq!(
        added.events,
        [
            WebhookEvent::InvitationCreated,
            WebhookEvent::InvitationAccepted
        ]
    );
    assert!(added.secret.starts_with("whsec_"), "{}", added.secret);
    let again = e
        .add_webhook_endpoint(&w.org_manager, &added.url, &all_events(), T0)
        .await;
    assert!(matches!(again, Err(AppError::Invalid(ref m)) if m.contains("already")));
    // Plain http on this machine, for a receiver under test.
    e.add_webhook_endpoint(&w.org_manager, "http://localhost:9/x", &all_events(), T0)
        .await
        .unwrap();
    let settings = e.webhook_settings(&w.org_manager).await.unwrap();
    assert_eq!(settings.endpoints.len(), 2);
    assert_eq!(settings.endpoints[0], added);
    // Another organisation sees none of them and cannot delete them.
    let theirs = e.webhook_settings(&w.other_org_manager).await.unwrap();
    assert!(theirs.endpoints.is_empty());
    assert_eq!(
        e.delete_webhook_endpoint(&w.other_org_manager, &added.id, T0)
            .await,
        Err(AppError::NotFound)
    );
    // A test event goes to that endpoint alone, whatever events it chose.
    assert_eq!(
        e.send_test_webhook(&w.other_org_manager, &added.id, T0)
            .await,
        Err(AppError::NotFound)
    );
    assert_eq!(
        e.send_test_webhook(&w.team_manager, &added.id, T0).await,
        Err(AppError::Forbidden)
    );
    assert_eq!(
        e.send_test_webhook(&w.org_manager, &added.id, T0).await,
        Ok(added.url.clone())
    );
    let tests: Vec<(String, String)> =
        sqlx::query_as("SELECT endpoint_id, event_type FROM webhook_deliveries")
            .fetch_all(&w.t.db)
            .await
            .unwrap();
    assert_eq!(tests, [(added.id.clone(), "webhook.test".to_string())]);
    for i in 2..10 {
        e.add_webhook_endpoint(
            &w.org_manager,
            &format!("https://h{i}.example.com/"),
            &all_events(),
            T0,
        )
        .await
        .unwrap();
    }
    let eleventh = e
        .add_webhook_endpoint(
            &w.org_manager,
            "https://h11.example.com/",
            &all_events(),
            T0,
        )
        .await;
    assert!(matches!(eleventh, Err(AppError::Invalid(ref m)) if m.contains("at most 10")));
    e.delete_webhook_endpoint(&w.org_manager, &added.id, T0 + MINUTE)
        .await
        .unwrap();
    assert_eq!(
        e.webhook_settings(&w.org_manager)
            .await
            .unwrap()
            .endpoints
            .len(),
        9
    );
    let audit: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, detail FROM audit_log WHERE action LIKE '%webhook%' ORDER BY at, action",
    )
    .fetch_all(&w.t.db)
    .await
    .unwrap();
    assert_eq!(audit.len(), 11);
    assert!(audit.contains(&("delete_webhook".into(), added.url.clone())));
}

/// Each event is queued in the change's own transaction, only for the
/// endpoints that asked for it: a refused change queues nothing.
async fn events_are_queued_with_their_change_and_only_where_asked(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    e.add_webhook_endpoint(
        &w.org_manager,
        "https://a.example.com/",
        &["invitation.created".into()],
        T0,
    )
    .await
    .unwrap();
    e.add_webhook_endpoint(
        &w.org_manager,
        "https://b.example.com/",
        &["invitation.revoked".into()],
        T0,
    )
    .await
    .unwrap();
    // The other organisation's endpoint hears nothing of this one.
    e.add_webhook_endpoint(
        &w.other_org_manager,
        "https://c.example.com/",
        &all_events(),
        T0,
    )
    .await
    .unwrap();
    let ada = w.invite("ada@example.com", None, T0).await;
    assert_eq!(deliveries_count(&w).await, 1);
    let refused = e
        .invite(
            &w.org_manager,
            InviteRequest {
                email: "ada@example.com".into(),
                name: String::new(),
                team_ids: vec![],
            },
            T0,
        )
        .await;
    assert!(matches!(refused, Err(AppError::AlreadyInvited { .. })));
    e.resend(&w.org_manager, &ada, T0 + COOLDOWN_MS)
        .await
        .unwrap();
    assert_eq!(deliveries_count(&w).await, 1, "nobody asked for resent");
    e.revoke(&w.org_manager, &ada, T0 + COOLDOWN_MS)
        .await
        .unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT e.url, d.event_type FROM webhook_deliveries d
         JOIN webhook_endpoints e ON e.id = d.endpoint_id ORDER BY d.created_at",
    )
    .fetch_all(&w.t.db)
    .await
    .unwrap();
    assert_eq!(
        rows,
        [
            (
                "https://a.example.com/".to_string(),
                "invitation.created".to_string()
            ),
            (
                "https://b.example.com/".to_string(),
                "invitation.revoked".to_string()
            ),
        ]
    );
}

/// The receiver is down while every kind of event happens; nothing is
/// lost, the settings show why each try failed, and once it is back (first
/// answering 503, then 204) each event arrives exactly once, signed, even
/// with two workers delivering at the same moment.
async fn every_event_arrives_once_signed_across_a_receiver_outage(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    let now = now_ms();
    let port = free_port();
    // Dora was invited before the endpoint was added (no invitation.created
    // for her), and her link ran out after (invitation.expired).
    w.invite("dora@example.com", None, now - TTL_MS - 2 * MINUTE)
        .await;
    let endpoint = e
        .add_webhook_endpoint(
            &w.org_manager,
            &url_on(port),
            &all_events(),
            now - TTL_MS - MINUTE,
        )
        .await
        .unwrap();
    // invitation.created ×4 (with eve's below)
    let ada = w
        .invite("ada@example.com", None, now - 2 * COOLDOWN_MS)
        .await;
    let bob = w
        .invite("bob@example.com", None, now - 2 * COOLDOWN_MS)
        .await;
    w.invite("cy@example.com", None, now - 2 * COOLDOWN_MS)
        .await;
    // invitation.resent, invitation.revoked, invitation.accepted
    e.resend(&w.org_manager, &ada, now).await.unwrap();
    e.revoke(&w.org_manager, &bob, now).await.unwrap();
    let cy_token = token_of(&w.last_link_emailed_to("cy@example.com").await);
    e.set_password(&cy_token, "correct horse battery", now)
        .await
        .unwrap();
    assert_eq!(e.announce_expiries(now).await.unwrap(), 1);
    assert_eq!(e.announce_expiries(now).await.unwrap(), 0, "announced once");
    // email.failed: every email out to a folder, then eve's refused for good.
    let mail = scratch("webhook-mail");
    let outbox = |mailer| OutboxWorker {
        db: w.t.db.clone(),
        mailer,
        from: "roster@roster.test".into(),
        wake: e.outbox_wake.clone(),
    };
    let to_files = Mailer::from_config(None, mail.clone()).unwrap();
    while outbox(to_files.clone()).run_once().await.unwrap() > 0 {}
    w.invite("eve@example.com", None, now).await;
    let mut refusing = SmtpSink::start_refusing(free_port(), mail.join("smtp"), &[550]).await;
    let mailer = Mailer::from_config(Some(&refusing.url()), mail.clone()).unwrap();
    assert_eq!(outbox(mailer).run_once().await.unwrap(), 1);
    refusing.stop().await;

    let mut expected: HashMap<&str, usize> = HashMap::from([
        ("invitation.created", 4),
        ("invitation.resent", 1),
        ("invitation.revoked", 1),
        ("invitation.accepted", 1),
        ("invitation.expired", 1),
        ("email.failed", 1),
    ]);
    let total: usize = expected.values().sum();

    // The outage: nobody listens on the port.
    let worker = WebhookWorker::new(e.clone(), PrivateAddresses::Refused);
    assert_eq!(worker.run_once().await.unwrap(), total);
    assert_eq!(worker.run_once().await.unwrap(), 0, "backing off");
    let settings = e.webhook_settings(&w.org_manager).await.unwrap();
    assert_eq!(settings.deliveries.len(), total);
    for delivery in &settings.deliveries {
        assert_eq!(delivery.state, DeliveryState::Queued);
        assert_eq!(delivery.attempts, 1);
        assert_eq!(delivery.status_code, None);
        assert_eq!(
            delivery.error.as_deref(),
            Some("Could not connect to the endpoint.")
        );
        assert!(delivery.next_attempt_at.is_some());
    }

    // Back, but the first answer is an error: that one is retried.
    let mut receiver = Receiver::start(port, scratch("receiver"), &endpoint.secret, 1).await;
    repo::skip_back_off(&w.t.db, now_ms()).await.unwrap();
    assert_eq!(worker.run_once().await.unwrap(), total);
    let settings = e.webhook_settings(&w.org_manager).await.unwrap();
    let retrying: Vec<_> = settings
        .deliveries
        .iter()
        .filter(|d| d.state == DeliveryState::Queued)
        .collect();
    assert_eq!(retrying.len(), 1);
    assert_eq!(retrying[0].status_code, Some(503));
    assert_eq!(
        retrying[0].error.as_deref(),
        Some("The endpoint answered HTTP 503.")
    );
    assert_eq!(retrying[0].attempts, 2);
    repo::skip_back_off(&w.t.db, now_ms()).await.unwrap();
    let other = WebhookWorker::new(common::world::engine(&w.t), PrivateAddresses::Refused);
    let (a, b) = tokio::join!(worker.run_once(), other.run_once());
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(worker.run_once().await.unwrap(), 0);

    let received = receiver.received();
    receiver.stop().await;
    assert_eq!(received.len(), total, "{received:#?}");
    assert!(received.iter().all(|r| r.verified), "{received:#?}");
    let mut ids: Vec<&str> = received.iter().map(|r| r.id.as_str()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), total, "each delivery once");
    for r in &received {
        let left = expected
            .get_mut(r.event.as_str())
            .expect("an expected event");
        *left -= 1;
        assert_eq!(r.body["type"], r.event.as_str());
        assert!(r.body["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    assert!(expected.values().all(|&n| n == 0), "{expected:?}");
    let body_of = |event: &str| {
        received
            .iter()
            .find(|r| r.event == event)
            .map(|r| r.body["data"].clone())
            .unwrap()
    };
    assert_eq!(body_of("invitation.resent")["email"], "ada@example.com");
    assert_eq!(body_of("invitation.resent")["reason"], "resend");
    assert_eq!(body_of("invitation.revoked")["revoked_by"], "Olive Org");
    assert_eq!(body_of("invitation.accepted")["email"], "cy@example.com");
    assert_eq!(body_of("invitation.accepted")["method"], "password");
    assert_eq!(body_of("invitation.expired")["email"], "dora@example.com");
    assert_eq!(body_of("email.failed")["email"], "eve@example.com");
    assert!(body_of("email.failed")["reason"]
        .as_str()
        .unwrap()
        .contains("550"));
    let settings = e.webhook_settings(&w.org_manager).await.unwrap();
    assert!(settings
        .deliveries
        .iter()
        .all(|d| d.state == DeliveryState::Delivered && d.status_code == Some(204)));
    let _ = std::fs::remove_dir_all(mail);
}

/// An endpoint that never answers 2xx: tried for a day, then failed for
/// good, and the page says so.
async fn a_delivery_fails_for_good_after_a_day(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    let port = free_port();
    e.add_webhook_endpoint(&w.org_manager, &url_on(port), &all_events(), T0)
        .await
        .unwrap();
    // Queued more than a day ago: the first failure is the last.
    w.invite("old@example.com", None, now_ms() - 25 * 60 * MINUTE)
        .await;
    assert_eq!(
        WebhookWorker::new(e.clone(), PrivateAddresses::Refused)
            .run_once()
            .await
            .unwrap(),
        1
    );
    let settings = e.webhook_settings(&w.org_manager).await.unwrap();
    assert_eq!(settings.deliveries[0].state, DeliveryState::Failed);
    assert_eq!(settings.deliveries[0].next_attempt_at, None);
    // Housekeeping forgets finished deliveries after a month, not before.
    let month = roster::server::housekeeping::WEBHOOK_DELIVERIES_KEPT_MS;
    let forget = |at| repo::delete_finished_deliveries_before(&w.t.db, at - month);
    assert_eq!(forget(now_ms() + month - MINUTE).await.unwrap(), 0);
    assert_eq!(forget(now_ms() + month + MINUTE).await.unwrap(), 1);
}

/// A receiver that does not answer at all holds up only itself: once one
/// of its deliveries found nobody there, the rest of its queue waits out
/// the same back-off instead of each taking a worker for the timeout.
async fn an_unreachable_endpoint_waits_as_a_whole(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    e.add_webhook_endpoint(&w.org_manager, &url_on(free_port()), &all_events(), T0)
        .await
        .unwrap();
    let now = now_ms();
    let csv: String = (0..40).map(|i| format!("p{i}@example.com\n")).collect();
    e.bulk_invite(&w.org_manager, &csv, None, now)
        .await
        .unwrap();
    let worker = WebhookWorker::new(e.clone(), PrivateAddresses::Refused);
    assert_eq!(worker.run_once().await.unwrap(), 32, "one batch");
    assert_eq!(worker.run_once().await.unwrap(), 0, "the rest wait too");
    let waiting: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM webhook_deliveries WHERE attempts = 0 AND next_attempt_at > $1",
    )
    .bind(now_ms())
    .fetch_one(&w.t.db)
    .await
    .unwrap();
    assert_eq!(waiting, 8);
}

/// A worker whose lease ran out (another worker claimed the delivery since)
/// records nothing: it can neither undo a delivery nor count a try twice.
async fn a_lost_lease_records_nothing(t: TestDb) {
    let w = World::new(t).await;
    w.engine
        .add_webhook_endpoint(&w.org_manager, &url_on(free_port()), &all_events(), T0)
        .await
        .unwrap();
    let now = now_ms();
    w.invite("lease@example.com", None, now).await;
    let mut conn = w.t.db.acquire().await.unwrap();
    let first = repo::claim_due(&mut conn, now, now + MINUTE, 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    assert!(repo::claim_due(&mut conn, now, now + MINUTE, 10)
        .await
        .unwrap()
        .is_empty());
    let later = now + 2 * MINUTE;
    let second = repo::claim_due(&mut conn, later, later + MINUTE, 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 1, "the first lease ran out");
    let attempt = |lease_until, delivered| repo::Attempt {
        delivery_id: first[0].id.clone(),
        lease_until,
        at: later,
        delivered,
        status_code: Some(if delivered { 204 } else { 500 }),
        error: None,
        retry_at: (!delivered).then_some(later + MINUTE),
    };
    assert!(
        repo::record_attempt(&mut *conn, &attempt(later + MINUTE, true))
            .await
            .unwrap()
    );
    assert!(
        !repo::record_attempt(&mut *conn, &attempt(now + MINUTE, false))
            .await
            .unwrap()
    );
    let state: (String, i64) = sqlx::query_as("SELECT status, attempts FROM webhook_deliveries")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    assert_eq!(state, ("delivered".to_string(), 1));
}

/// Deliveries go to loopback (here through a name, so through the guarded
/// resolver) but never to a private network unless allowed, nor ever to a
/// link-local address such as a cloud's metadata service: the list says why.
async fn deliveries_reach_no_private_or_link_local_address(t: TestDb) {
    let w = World::new(t).await;
    let e = &w.engine;
    let port = free_port();
    let manager = &w.org_manager;
    let add = |url: String| async move {
        e.add_webhook_endpoint(manager, &url, &all_events(), T0)
            .await
            .unwrap()
    };
    let private = add("https://10.9.8.7/hooks".into()).await;
    let metadata = add("https://169.254.169.254/latest".into()).await;
    let local = add(format!("http://localhost:{port}/hooks")).await;
    let mut receiver = Receiver::start(port, scratch("receiver"), &local.secret, 0).await;
    for endpoint in [&private, &metadata, &local] {
        e.send_test_webhook(&w.org_manager, &endpoint.id, now_ms())
            .await
            .unwrap();
    }
    let worker = WebhookWorker::new(e.clone(), PrivateAddresses::Refused);
    assert_eq!(worker.run_once().await.unwrap(), 3);
    let settings = e.webhook_settings(&w.org_manager).await.unwrap();
    let error_of = |url: &str| {
        let delivery = settings.deliveries.iter().find(|d| d.endpoint_url == url);
        delivery.unwrap().error.clone().unwrap_or_default()
    };
    assert!(
        error_of(&private.url).contains("10.9.8.7 is a private address"),
        "{settings:?}"
    );
    assert!(
        error_of(&metadata.url).contains("link-local"),
        "{settings:?}"
    );
    assert_eq!(error_of(&local.url), "");
    let received = receiver.received();
    receiver.stop().await;
    assert_eq!(received.len(), 1);
    assert!(received[0].verified && received[0].event == "webhook.test");
}

on_both_databases!(
    deliveries_reach_no_private_or_link_local_address,
    an_unreachable_endpoint_waits_as_a_whole,
    a_lost_lease_records_nothing,
    webhooks_are_an_org_managers_setting,
    events_are_queued_with_their_change_and_only_where_asked,
    every_event_arrives_once_signed_across_a_receiver_outage,
    a_delivery_fails_for_good_after_a_day,
);

/// The settings page ships no WASM: its forms are plain posts. A refused
/// one comes back with what was typed and the reason; an added endpoint
/// comes back with its signing secret open; a deleted one is gone.
async fn the_settings_page_works_without_the_wasm(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.client(Who::OrgManager);
    let page = "/manage/settings/webhooks";
    let post = |fields: Vec<(&'static str, String)>, path: &'static str| {
        manager
            .post(app.url(path))
            .header(ORIGIN, &app.origin)
            .header(ACCEPT, "text/html")
            .header(reqwest::header::REFERER, app.url(page))
            .form(&fields)
    };
    let refused = app
        .send(post(
            vec![
                ("url", "http://hr.example.com/hooks".into()),
                ("events[]", "invitation.created".into()),
                ("events[]", "email.failed".into()),
            ],
            "/api/add_webhook_endpoint",
        ))
        .await;
    assert_eq!(refused.status, 302, "{refused:?}");
    let back = refused.header(LOCATION.as_str()).unwrap().to_string();
    assert!(back.starts_with(page), "{back}");
    let html = app.get(&manager, &back).await.ok().body;
    assert!(html.contains("Endpoint URL must use https://"), "{html}");
    assert!(
        html.contains(r#"value="http://hr.example.com/hooks""#),
        "the typed URL is kept"
    );
    assert!(
        html.contains(r#"value="email.failed" checked"#),
        "ticked events are kept"
    );
    assert!(
        !html.contains(r#"value="invitation.revoked" checked"#),
        "unticked stay unticked"
    );
    // None ticked: refused, and none ticked when it comes back.
    let none = app
        .send(post(
            vec![("url", "https://hr.example.com/hooks".into())],
            "/api/add_webhook_endpoint",
        ))
        .await;
    let back = none.header(LOCATION.as_str()).unwrap().to_string();
    let html = app.get(&manager, &back).await.ok().body;
    assert!(
        html.contains("Choose at least one event to send."),
        "{html}"
    );
    assert!(!html.contains("checked"), "{html}");

    let added = app
        .send(post(
            vec![
                ("url", "http://127.0.0.1:9/hooks".into()),
                ("events[]", "invitation.created".into()),
            ],
            "/api/add_webhook_endpoint",
        ))
        .await;
    assert_eq!(added.status, 302, "{added:?}");
    let back = added.header(LOCATION.as_str()).unwrap().to_string();
    assert!(back.starts_with(&format!("{page}?added=")), "{back}");
    let html = app.get(&manager, &back).await.ok().body;
    assert!(html.contains("Endpoint added"), "{html}");
    assert!(
        html.contains("<details open"),
        "the new secret is open: {html}"
    );
    assert!(html.contains("value=\"whsec_"), "{html}");
    let id = back.rsplit('=').next().unwrap().to_string();
    let tested = app
        .send(post(vec![("id", id.clone())], "/api/send_test_webhook"))
        .await;
    assert_eq!(
        tested.header(LOCATION.as_str()),
        Some("/manage/settings/webhooks?tested=1")
    );
    let html = app
        .get(&manager, "/manage/settings/webhooks?tested=1")
        .await
        .ok()
        .body;
    assert!(html.contains("Test event queued."), "{html}");
    assert!(html.contains("<code>webhook.test</code>"), "{html}");

    // Nobody else reads the page.
    for who in [Who::TeamManager, Who::Member] {
        let html = app.get(&app.client(who), page).await.body;
        assert!(
            html.contains("You do not have access to the webhooks."),
            "{who:?}"
        );
        assert!(!html.contains("whsec_"), "{who:?}");
    }
    let html = app.get(&app.client(Who::OtherOrgManager), page).await.body;
    assert!(html.contains("No endpoints yet."));

    let deleted = app
        .send(post(vec![("id", id)], "/api/delete_webhook_endpoint"))
        .await;
    assert_eq!(deleted.status, 302, "{deleted:?}");
    let html = app
        .get(&manager, &format!("{page}?deleted=1"))
        .await
        .ok()
        .body;
    assert!(html.contains("Endpoint deleted."));
    assert!(html.contains("No endpoints yet."));
}

mod over_http {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_the_settings_page_works_without_the_wasm() {
        super::the_settings_page_works_without_the_wasm(super::Backend::Sqlite).await
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_the_settings_page_works_without_the_wasm() {
        super::the_settings_page_works_without_the_wasm(super::Backend::Postgres).await
    }
}
