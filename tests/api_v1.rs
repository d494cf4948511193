//! Step 10: API tokens and `/api/v1` over HTTP on both databases. A token is
//! made by an Org Manager, shown once, stored hashed, acts as an Org Manager
//! of its organisation only, is audited under its name, and stops working
//! when revoked or expired. Every endpoint answers through the screens'
//! services; refusals are JSON with a stable code and the screens' message.

mod common;
#[path = "common/http.rs"]
mod http_app;

use common::Backend;
use http_app::{spawn_app, spawn_app_with, Answer, Settings, TestApp, Who};
use reqwest::Client;
use serde_json::{json, Value};

/// Makes a token as the Org Manager (a server function, as the settings page does).
async fn make_token(app: &TestApp, name: &str, days: Option<&str>) -> (String, String) {
    let manager = app.client(Who::OrgManager);
    let mut fields = vec![("name", name)];
    if let Some(days) = days {
        fields.push(("days", days));
    }
    let made: Value = app
        .post_form(&manager, "/api/create_api_token", &fields)
        .await
        .ok()
        .json();
    let secret = made["secret"].as_str().unwrap().to_string();
    let id = made["token"]["id"].as_str().unwrap().to_string();
    assert!(secret.starts_with("roster_"), "{secret}");
    (secret, id)
}

/// A request with no cookies and, given one, the token.
async fn call(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> Answer {
    let client = Client::new();
    let mut request = match method {
        "GET" => client.get(app.url(path)),
        _ => client.post(app.url(path)),
    };
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    app.send(request).await
}

fn code_of(answer: &Answer) -> String {
    let body: Value = answer.json();
    body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Only Org Managers make, list and revoke tokens; the secret is in the
/// answer once and only its hash is stored; the list says who made it and
/// when it was last used.
async fn tokens_are_made_by_org_managers_shown_once_and_stored_hashed(backend: Backend) {
    let app = spawn_app(backend).await;
    for who in [Who::Anonymous, Who::Member, Who::TeamManager] {
        let answer = app
            .post_form(&app.client(who), "/api/create_api_token", &[("name", "x")])
            .await;
        assert!(matches!(answer.status, 401 | 403), "{who:?}: {answer:?}");
    }
    let refused = app
        .post_form(
            &app.client(Who::OrgManager),
            "/api/create_api_token",
            &[("name", " ")],
        )
        .await;
    assert_eq!(refused.status, 422, "{refused:?}");
    let (secret, id) = make_token(&app, "HR sync", Some("30")).await;
    let stored: Vec<(String,)> = sqlx::query_as("SELECT token_hash FROM api_tokens")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].0.contains(&secret["roster_".len()..]));

    assert_eq!(
        call(&app, "GET", "/api/v1/users", Some(&secret), None)
            .await
            .status,
        200
    );
    let listed: Value = app
        .post_form(&app.client(Who::OrgManager), "/api/list_api_tokens", &[])
        .await
        .ok()
        .json();
    let token = &listed[0];
    assert_eq!(token["id"], id);
    assert_eq!(token["name"], "HR sync");
    assert_eq!(token["created_by"], app.org_manager.name.as_str());
    assert!(token["last_used_at"].is_i64());
    assert!(token["expires_at"].is_i64());
    assert!(token.get("secret").is_none());
    // Another organisation's manager sees none of them and cannot revoke it.
    let theirs: Value = app
        .post_form(
            &app.client(Who::OtherOrgManager),
            "/api/list_api_tokens",
            &[],
        )
        .await
        .ok()
        .json();
    assert_eq!(theirs, json!([]));
    let answer = app
        .post_form(
            &app.client(Who::OtherOrgManager),
            "/api/revoke_api_token",
            &[("id", &id)],
        )
        .await;
    assert_eq!(answer.status, 404);
    assert_eq!(
        call(&app, "GET", "/api/v1/users", Some(&secret), None)
            .await
            .status,
        200
    );
}

/// No token, a wrong one, a revoked one, an expired one, a session cookie
/// instead of a token: 401 with the code `unauthenticated`.
async fn refusals_without_a_working_token(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, id) = make_token(&app, "Soon revoked", None).await;
    let wrong = format!("roster_{}", "A".repeat(43));
    for token in [None, Some("not-a-token"), Some(wrong.as_str())] {
        let answer = call(&app, "GET", "/api/v1/users", token, None).await;
        assert_eq!(
            (answer.status, code_of(&answer).as_str()),
            (401, "unauthenticated"),
            "{token:?}"
        );
    }
    // A Member's (or even the Org Manager's) session cookie is not a token.
    for who in [Who::Member, Who::OrgManager] {
        let answer = app.get(&app.client(who), "/api/v1/users").await;
        assert_eq!(answer.status, 401, "{who:?}: {answer:?}");
    }
    app.post_form(
        &app.client(Who::OrgManager),
        "/api/revoke_api_token",
        &[("id", &id)],
    )
    .await
    .ok();
    let answer = call(&app, "GET", "/api/v1/users", Some(&secret), None).await;
    assert_eq!(
        (answer.status, code_of(&answer).as_str()),
        (401, "unauthenticated")
    );
    // Expired: made for a day, a day ago.
    let (old, old_id) = make_token(&app, "Expired", Some("1")).await;
    sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE id = $2")
        .bind(1_i64)
        .bind(&old_id)
        .execute(&app.db)
        .await
        .unwrap();
    assert_eq!(
        call(&app, "GET", "/api/v1/users", Some(&old), None)
            .await
            .status,
        401
    );
}

/// Invite, list with the table's filters and cursor paging, one user with
/// their history, resend (and its cooldown), copy link, revoke, deactivate,
/// reactivate; another organisation's user is not found; the audit log
/// names the token.
async fn every_endpoint_through_the_screens_rules(backend: Backend) {
    let app = spawn_app(backend).await;
    let (token, _) = make_token(&app, "HR sync", None).await;
    let token = Some(token.as_str());

    let invited = call(
        &app,
        "POST",
        "/api/v1/invitations",
        token,
        Some(json!({
            "email": "Api.Person@Example.com", "name": "Api Person", "team_ids": [app.blue]
        })),
    )
    .await;
    assert_eq!(invited.status, 201, "{invited:?}");
    let user_id = invited.json::<Value>()["user_id"]
        .as_str()
        .unwrap()
        .to_string();
    let again = call(
        &app,
        "POST",
        "/api/v1/invitations",
        token,
        Some(json!({
            "email": "api.person@example.com", "name": "", "team_ids": []
        })),
    )
    .await;
    assert_eq!(
        (again.status, code_of(&again).as_str()),
        (409, "already_invited")
    );
    let bad = call(
        &app,
        "POST",
        "/api/v1/invitations",
        token,
        Some(json!({ "mail": "x" })),
    )
    .await;
    assert_eq!((bad.status, code_of(&bad).as_str()), (422, "invalid"));

    // The list: filters as on the screen, then every page by cursor.
    let found: Value = call(
        &app,
        "GET",
        "/api/v1/users?status=invited&q=api.person",
        token,
        None,
    )
    .await
    .json();
    assert_eq!(found["total"], 1);
    assert_eq!(found["users"][0]["email"], "api.person@example.com");
    assert!(found["next_cursor"].is_null());
    let total = call(&app, "GET", "/api/v1/users", token, None)
        .await
        .json::<Value>()["total"]
        .as_i64()
        .unwrap();
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=2&sort=email&cursor={c}"),
            None => "/api/v1/users?limit=2&sort=email".to_string(),
        };
        let page: Value = call(&app, "GET", &path, token, None).await.json();
        for user in page["users"].as_array().unwrap() {
            seen.push(user["email"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((seen.len() as i64, &seen), (total, &sorted));
    let limit = call(&app, "GET", "/api/v1/users?limit=500", token, None).await;
    assert_eq!((limit.status, code_of(&limit).as_str()), (422, "invalid"));
    let cursor = call(&app, "GET", "/api/v1/users?cursor=nonsense", token, None).await;
    assert_eq!(cursor.status, 422);

    // One user, with the invitation and the email.
    let one: Value = call(
        &app,
        "GET",
        &format!("/api/v1/users/{user_id}"),
        token,
        None,
    )
    .await
    .json();
    assert_eq!(one["email"], "api.person@example.com");
    assert_eq!(one["invitations"].as_array().unwrap().len(), 1);

    // Resend at once: the cooldown, in the screens' words, with its end.
    let resent = call(
        &app,
        "POST",
        &format!("/api/v1/users/{user_id}/resend"),
        token,
        None,
    )
    .await;
    assert_eq!(resent.status, 409, "{resent:?}");
    let body: Value = resent.json();
    assert_eq!(body["error"]["code"], "cooldown");
    assert_eq!(
        body["error"]["message"],
        "Invite sent within the last 15 minutes"
    );
    assert!(body["error"]["until"].is_i64());

    let link: Value = call(
        &app,
        "POST",
        &format!("/api/v1/users/{user_id}/link"),
        token,
        None,
    )
    .await
    .json();
    assert!(link["url"].as_str().unwrap().contains("/invite/"), "{link}");
    for action in ["revoke", "deactivate", "reactivate"] {
        let target = if action == "revoke" {
            user_id.clone()
        } else {
            app.member.id.clone()
        };
        let answer = call(
            &app,
            "POST",
            &format!("/api/v1/users/{target}/{action}"),
            token,
            None,
        )
        .await;
        assert_eq!(answer.status, 204, "{action}: {answer:?}");
    }
    let gone = call(
        &app,
        "POST",
        &format!("/api/v1/users/{user_id}/resend"),
        token,
        None,
    )
    .await;
    // Revoking removed the invited user (R23): nothing is left to resend.
    assert!(matches!(gone.status, 403 | 404), "{gone:?}");

    // Another organisation's user: refused like on the screens.
    let theirs = call(
        &app,
        "GET",
        &format!("/api/v1/users/{}", app.other_org_manager.id),
        token,
        None,
    )
    .await;
    assert!(matches!(theirs.status, 403 | 404), "{theirs:?}");
    assert!(matches!(
        code_of(&theirs).as_str(),
        "forbidden" | "not_found"
    ));

    let actors: Vec<(String, String)> = sqlx::query_as(
        "SELECT actor_name, action FROM audit_log WHERE actor_name LIKE 'API token%' ORDER BY at, action",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let actions: Vec<&str> = actors.iter().map(|(_, action)| action.as_str()).collect();
    for action in ["invite", "copy_link", "revoke", "deactivate", "reactivate"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    assert!(actors.iter().all(|(name, _)| name == "API token “HR sync”"));
}

/// R4 over the API: JSON rows and CSV (with the screen's header), each row
/// with its outcome; a team every row joins; refusals as on the screen.
async fn bulk_invite_answers_each_rows_outcome(backend: Backend) {
    let app = spawn_app(backend).await;
    let (secret, _) = make_token(&app, "Bulk", None).await;
    let token = Some(secret.as_str());
    let json_rows = json!({ "rows": [
        { "email": "bulk.one@example.com", "name": "Bulk \"One\", Jr" },
        { "email": "not-an-email" },
        { "email": "BULK.ONE@example.com" },
        { "email": app.member.email, "name": "Mo" },
    ], "team_id": app.blue });
    let answer = call(
        &app,
        "POST",
        "/api/v1/invitations/bulk",
        token,
        Some(json_rows),
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let rows: Value = answer.json();
    let outcomes: Vec<(i64, &str)> = rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        outcomes,
        [
            (1, "Invited"),
            (2, "InvalidEmail"),
            (3, "DuplicateRow"),
            (4, "AlreadyActive")
        ]
    );
    let one: Value = call(&app, "GET", "/api/v1/users?q=bulk.one", token, None)
        .await
        .json();
    assert_eq!(one["users"][0]["name"], "Bulk \"One\", Jr");
    assert_eq!(one["users"][0]["teams"], json!(["Blue"]));

    let csv =
        "email,name,team\nbulk.two@example.com,Bulk Two,Green\nbulk.three@example.com,,Nowhere\n";
    let answer = app
        .send(
            Client::new()
                .post(app.url("/api/v1/invitations/bulk"))
                .bearer_auth(&secret)
                .header("Content-Type", "text/csv")
                .body(csv),
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let rows: Value = answer.json();
    let outcomes: Vec<(i64, &str)> = rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(outcomes, [(2, "Invited"), (3, "UnknownTeam")]);
    let bad = call(
        &app,
        "POST",
        "/api/v1/invitations/bulk",
        token,
        Some(json!({ "people": [] })),
    )
    .await;
    assert_eq!((bad.status, code_of(&bad).as_str()), (422, "invalid"));
    let anonymous = call(
        &app,
        "POST",
        "/api/v1/invitations/bulk",
        None,
        Some(json!({ "rows": [] })),
    )
    .await;
    assert_eq!(anonymous.status, 401);
}

/// The OpenAPI document is served without a token and describes every
/// endpoint, its schemas and the Bearer scheme.
async fn the_openapi_document_describes_every_endpoint(backend: Backend) {
    let app = spawn_app(backend).await;
    let doc: Value = call(&app, "GET", "/api/v1/openapi.json", None, None)
        .await
        .ok()
        .json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{doc}");
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort();
    assert_eq!(
        paths,
        [
            "/invitations",
            "/invitations/bulk",
            "/users",
            "/users/{id}",
            "/users/{id}/deactivate",
            "/users/{id}/link",
            "/users/{id}/reactivate",
            "/users/{id}/resend",
            "/users/{id}/revoke",
        ]
    );
    let schemas = &doc["components"]["schemas"];
    for schema in [
        "InviteRequest",
        "Invited",
        "UserListRow",
        "UserHistory",
        "BulkInviteReport",
        "ErrorAnswer",
    ] {
        assert!(schemas.get(schema).is_some(), "{schema} in {schemas}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["token"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["servers"][0]["url"], "/api/v1");
}

/// A token has its allowance a minute (`ROSTER_API_RATE_LIMIT`), and a
/// client twice that whatever tokens it presents, bad ones included:
/// beyond it, 429 `rate_limited` with `Retry-After`.
async fn each_token_and_each_client_has_an_allowance(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Settings::default().var("ROSTER_API_RATE_LIMIT", "3"),
    )
    .await;
    let (first, _) = make_token(&app, "First", None).await;
    let (second, _) = make_token(&app, "Second", None).await;
    for _ in 0..3 {
        call(&app, "GET", "/api/v1/users", Some(&first), None)
            .await
            .ok();
    }
    let refused = call(&app, "GET", "/api/v1/users", Some(&first), None).await;
    assert_eq!(refused.status, 429, "{refused:?}");
    assert_eq!(code_of(&refused), "rate_limited");
    // Three a minute: the next passes within 20 s, and the answer says when.
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=20).contains(&wait), "{wait}");
    // Another token has its own allowance, until the client has used its
    // own (6 here): a bad token counts too.
    call(&app, "GET", "/api/v1/users", Some(&second), None)
        .await
        .ok();
    let bad = call(&app, "GET", "/api/v1/users", Some("roster_nope"), None).await;
    assert_eq!(bad.status, 401);
    let refused = call(&app, "GET", "/api/v1/users", Some(&second), None).await;
    assert_eq!(refused.status, 429, "the client's allowance: {refused:?}");
    // Refused before the body is read, in the API's shape all the same.
    assert_eq!(code_of(&refused), "rate_limited");
    assert!(refused.header("retry-after").is_some());
}

on_both_databases_over_http!(
    each_token_and_each_client_has_an_allowance,
    tokens_are_made_by_org_managers_shown_once_and_stored_hashed,
    refusals_without_a_working_token,
    every_endpoint_through_the_screens_rules,
    bulk_invite_answers_each_rows_outcome,
    the_openapi_document_describes_every_endpoint,
);
