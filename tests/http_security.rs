//! SPEC §7 over HTTP: CSRF, cookies, sign-out, redirects after sign-in,
//! rate limits, links from the public URL, headers, and the resource bounds
//! (body size, slow clients). Each test starts the real app.

mod common;
#[path = "common/http.rs"]
mod http_app;

use common::Backend;
use futures::future::join_all;
use http_app::{spawn_app, spawn_app_with, Answer, Settings, TestApp, Who, PASSWORD};
use reqwest::header::{ACCEPT, CONTENT_TYPE, HOST, ORIGIN};
use roster::domain::AppError;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn fresh_email() -> String {
    format!("{}@example.com", uuid::Uuid::new_v4().simple())
}

fn invite_body(email: &str, team: &str) -> Value {
    json!({ "request": { "email": email, "name": "", "team_ids": [team] } })
}

/// A POST as the browser's server-function client sends it, with `origin`
/// and any extra headers.
async fn post_json_from(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> Answer {
    let mut request = client
        .post(app.url(path))
        .header(ACCEPT, "application/json")
        .json(body);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request).await
}

/// CSRF: a state-changing request from another site is refused before it
/// runs (403, the JSON `CrossSite` error), even with the manager's cookie;
/// nothing changes and no email is queued. Login CSRF too.
async fn cross_site_writes_are_refused_and_change_nothing(backend: Backend) {
    let app = spawn_app(backend).await;
    let olive = app.client(Who::OrgManager);
    let other_port = format!("http://127.0.0.1:{}", common::smtp::free_port());
    let before = app.snapshot().await;
    for headers in [
        vec![("origin", "https://evil.example")],
        vec![("origin", "null")],
        vec![("origin", other_port.as_str())],
        vec![
            ("origin", app.origin.as_str()),
            ("sec-fetch-site", "cross-site"),
        ],
    ] {
        let answer = post_json_from(
            &app,
            &olive,
            "/api/invite_user",
            &invite_body(&fresh_email(), &app.blue),
            &headers,
        )
        .await;
        assert_eq!(answer.status, 403, "{headers:?}: {answer:?}");
        assert_eq!(answer.error(), Some(AppError::CrossSite), "{headers:?}");
        let answer = app
            .send(
                olive
                    .post(app.url("/api/sign_in"))
                    .header(ACCEPT, "application/json")
                    .headers(
                        headers
                            .iter()
                            .map(|(k, v)| (k.parse().unwrap(), v.parse().unwrap()))
                            .collect(),
                    )
                    .form(&[("email", app.member.email.as_str()), ("password", PASSWORD)]),
            )
            .await;
        assert_eq!(answer.status, 403, "login CSRF {headers:?}: {answer:?}");
        assert!(
            answer.set_cookies().is_empty(),
            "no session for a cross-site sign-in"
        );
    }
    assert_eq!(before.diff(&app.snapshot().await), Vec::<String>::new());
    // The same call from our own pages goes through.
    let answer = post_json_from(
        &app,
        &olive,
        "/api/invite_user",
        &invite_body(&fresh_email(), &app.blue),
        &[
            ("origin", app.origin.as_str()),
            ("sec-fetch-site", "same-origin"),
        ],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
}

/// Links are built from ROSTER_PUBLIC_URL, never from the request's Host.
async fn links_use_the_public_url_not_the_host_header(backend: Backend) {
    let app = spawn_app(backend).await;
    let olive = app.client(Who::OrgManager);
    let email = fresh_email();
    let answer = post_json_from(
        &app,
        &olive,
        "/api/invite_user",
        &invite_body(&email, &app.blue),
        &[("origin", app.origin.as_str()), ("host", "evil.example")],
    )
    .await;
    assert_eq!(answer.status, 200, "{answer:?}");
    let link = app.last_link_emailed_to(&email).await;
    assert!(
        link.starts_with(&format!("{}/invite/", app.address)),
        "{link}"
    );
    let copied: Value = app
        .send(
            olive
                .post(app.url("/api/copy_invite_link"))
                .header(ORIGIN, &app.origin)
                .header(ACCEPT, "application/json")
                .header(HOST, "evil.example")
                .form(&[("user_id", app.invited_blue.id.as_str())]),
        )
        .await
        .ok()
        .json();
    assert!(
        copied["url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/invite/", app.address)),
        "{copied}"
    );
}

/// Session cookies: HttpOnly, SameSite=Lax, whole site; Secure (and HSTS)
/// when Roster is served over https.
async fn session_cookies_are_httponly_lax_and_secure_over_https(backend: Backend) {
    let app = spawn_app(backend).await;
    let (answer, _) = app.sign_in(&app.member.email, PASSWORD).await;
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("roster_session="))
        .expect("a session cookie");
    let attributes: Vec<String> = cookie
        .split(';')
        .skip(1)
        .map(|a| a.trim().to_ascii_lowercase())
        .collect();
    assert!(attributes.contains(&"httponly".into()), "{cookie}");
    assert!(attributes.contains(&"samesite=lax".into()), "{cookie}");
    assert!(attributes.contains(&"path=/".into()), "{cookie}");
    assert!(!attributes.contains(&"secure".into()), "http: {cookie}");

    let https = spawn_app_with(
        backend,
        Settings::default()
            .bare()
            .var("ROSTER_PUBLIC_URL", "https://roster.example.org"),
    )
    .await;
    let answer = https
        .post_form(
            &https.client(Who::Anonymous),
            "/api/create_organisation",
            &[
                ("org_name", "Acme"),
                ("your_name", "Olive Org"),
                ("email", "olive@acme.test"),
                ("password", PASSWORD),
            ],
        )
        .await
        .ok();
    let cookie = answer
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("roster_session="))
        .expect("a session cookie");
    assert!(
        cookie
            .split(';')
            .any(|a| a.trim().eq_ignore_ascii_case("secure")),
        "https: {cookie}"
    );
    assert!(
        answer.header("strict-transport-security").is_some(),
        "{answer:?}"
    );
}

/// Sign-out ends the session on the server: the old cookie, replayed, is
/// nobody's.
async fn sign_out_ends_the_session_on_the_server(backend: Backend) {
    let app = spawn_app(backend).await;
    let (answer, mo) = app.sign_in(&app.member.email, PASSWORD).await;
    let stolen = http_app::cookie_pairs(&answer.ok());
    app.post_form(&mo, "/api/sign_out", &[]).await.ok();
    let replay = app.client_with_cookies(&stolen);
    let session: Value = app
        .post_form(&replay, "/api/get_session", &[])
        .await
        .ok()
        .json();
    assert!(session["user"].is_null(), "{session}");
    let answer = app
        .post_form(
            &replay,
            "/api/complete_profile",
            &[
                ("display_name", "Mo"),
                ("time_zone", "UTC"),
                ("accept_terms", "on"),
            ],
        )
        .await;
    assert_eq!(answer.status, 401, "{answer:?}");
}

/// R18: deactivation ends the person's sessions at once, and their password
/// no longer signs them in.
async fn r18_deactivation_ends_sessions_at_once(backend: Backend) {
    let app = spawn_app(backend).await;
    let mo = app.client(Who::Member);
    let session: Value = app
        .post_form(&mo, "/api/get_session", &[])
        .await
        .ok()
        .json();
    assert_eq!(session["user"]["email"], app.member.email.as_str());
    app.post_form(
        &app.client(Who::OrgManager),
        "/api/deactivate_user",
        &[("user_id", app.member.id.as_str())],
    )
    .await
    .ok();
    let session: Value = app
        .post_form(&mo, "/api/get_session", &[])
        .await
        .ok()
        .json();
    assert!(session["user"].is_null(), "{session}");
    let (answer, _) = app.sign_in(&app.member.email, PASSWORD).await;
    assert_eq!(answer.status, 401, "{answer:?}");
    assert!(answer.set_cookies().is_empty());
}

/// A plain HTML form post (no JavaScript) gets a real redirect after
/// sign-in, and `next` never leads off the site.
async fn sign_in_redirects_stay_on_this_site(backend: Backend) {
    let app = spawn_app(backend).await;
    let form_post = |next: &str| {
        let client = app.client(Who::Anonymous);
        app.send(
            client
                .post(app.url("/api/sign_in"))
                .header(ORIGIN, &app.origin)
                .header(ACCEPT, "text/html,application/xhtml+xml")
                .form(&[
                    ("email", app.member.email.as_str()),
                    ("password", PASSWORD),
                    ("next", next),
                ]),
        )
    };
    let answer = form_post("/manage/settings/teams").await;
    assert!(matches!(answer.status, 302 | 303), "{answer:?}");
    assert_eq!(answer.header("location"), Some("/manage/settings/teams"));
    for evil in [
        "//evil.example/phish",
        "https://evil.example/phish",
        "/\\evil.example/phish",
        "/\t/evil.example",
    ] {
        let answer = form_post(evil).await;
        assert!(matches!(answer.status, 302 | 303), "{evil:?}: {answer:?}");
        let location = answer.header("location").unwrap_or_default();
        assert!(
            location.starts_with('/')
                && !location.starts_with("//")
                && !location.starts_with("/\\")
                && !location.contains("evil"),
            "{evil:?} led to {location:?}"
        );
    }
    // The browser's server-function client asks for JSON: 200, the
    // redirect in headers for it to follow.
    let client = app.client(Who::Anonymous);
    let answer = app
        .post_form(
            &client,
            "/api/sign_in",
            &[("email", app.member.email.as_str()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
}

/// Public endpoints are limited per client (a spoofed X-Forwarded-For does
/// not buy a new allowance when no proxy is trusted) and per invitation link.
async fn public_endpoints_are_rate_limited(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Settings::default()
            .bare()
            .var("ROSTER_RATE_LIMIT", "5")
            .var("ROSTER_INVITE_RATE_LIMIT", "1000"),
    )
    .await;
    let client = app.client(Who::Anonymous);
    let inspect = |xff: Option<String>| {
        let token = format!("{}Qz_-Qz_-Qz_", uuid::Uuid::new_v4().simple());
        let mut request = client
            .post(app.url("/api/inspect_invite"))
            .header(ORIGIN, &app.origin)
            .header(ACCEPT, "application/json")
            .form(&[("token", token)]);
        if let Some(xff) = xff {
            request = request.header("x-forwarded-for", xff);
        }
        app.send(request)
    };
    for _ in 0..5 {
        assert_eq!(inspect(None).await.status, 404);
    }
    let answer = inspect(None).await;
    assert_eq!(answer.status, 429, "{answer:?}");
    assert_eq!(answer.error(), Some(AppError::RateLimited));
    assert!(answer.header("retry-after").is_some(), "{answer:?}");
    for i in 0..3 {
        let answer = inspect(Some(format!("10.9.9.{i}"))).await;
        assert_eq!(answer.status, 429, "spoofed X-Forwarded-For: {answer:?}");
    }
    let answer = app.post_form(&client, "/api/get_session", &[]).await;
    assert_eq!(
        answer.status, 200,
        "signed-in work is not a public endpoint: {answer:?}"
    );

    let app = spawn_app_with(
        backend,
        Settings::default()
            .bare()
            .var("ROSTER_RATE_LIMIT", "1000")
            .var("ROSTER_INVITE_RATE_LIMIT", "3"),
    )
    .await;
    let client = app.client(Who::Anonymous);
    let token = format!("{}Qz_-Qz_-Qz_", uuid::Uuid::new_v4().simple());
    for _ in 0..3 {
        let answer = app
            .post_form(&client, "/api/inspect_invite", &[("token", token.as_str())])
            .await;
        assert_eq!(answer.status, 404, "{answer:?}");
    }
    let answer = app
        .post_form(
            &client,
            "/api/resend_from_link",
            &[("token", token.as_str())],
        )
        .await;
    assert_eq!(
        answer.status, 429,
        "one link, whichever endpoint: {answer:?}"
    );
    let answer = app
        .post_form(
            &client,
            "/api/inspect_invite",
            &[(
                "token",
                &format!("{}Qz_-Qz_-Qz_", uuid::Uuid::new_v4().simple()),
            )],
        )
        .await;
    assert_eq!(
        answer.status, 404,
        "another link has its own allowance: {answer:?}"
    );
}

/// Security headers: no framing, no sniffing, no caching of pages and
/// answers that hold a manager's data, a CSP on rendered pages.
async fn security_headers_on_pages_and_answers(backend: Backend) {
    let app = spawn_app(backend).await;
    let page = app.get(&app.client(Who::Anonymous), "/login").await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let csp = page.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp:?}");
    assert!(csp.contains("object-src 'none'"), "{csp:?}");
    let answer = app
        .post_json(
            &app.client(Who::OrgManager),
            "/api/list_users",
            &json!({ "query": roster::domain::invitations::UserQuery::default() }),
        )
        .await
        .ok();
    assert_eq!(answer.header("cache-control"), Some("no-store"));
    assert_eq!(answer.header("x-content-type-options"), Some("nosniff"));
}

/// The site's files are served as they are, whatever else the server is
/// doing: leptos_axum's file handler gave a file the status and headers
/// another request's page had set at the same moment (seen in Chromium: the
/// WASM came back as `302 Location: /login` while `/` redirected a signed-out
/// visitor, so the page never hydrated). Conditional requests get 304; a
/// missing file is the app's 404 page.
async fn assets_revalidate_with_304_not_a_page(backend: Backend) {
    let site = std::env::temp_dir()
        .join("roster-tests")
        .join(format!("site-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    std::fs::write(site.join("pkg/roster.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let app = spawn_app_with(backend, Settings::default().site_root(site.clone())).await;
    let client = app.client(Who::Anonymous);

    let pages = (0..200).map(|_| app.get(&client, "/"));
    let files = (0..200).map(|_| app.get(&client, "/pkg/roster.wasm"));
    let (pages, files) = tokio::join!(join_all(pages), join_all(files));
    assert!(pages.iter().all(|p| p.status == 200 || p.status == 302));
    for file in &files {
        assert_eq!(file.status, 200, "{file:?}");
        assert_eq!(file.header("location"), None, "{file:?}");
        assert_eq!(file.body, "\0asm\x01\0\0\0");
    }

    let first = app.get(&client, "/pkg/roster.wasm").await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.header("content-type"), Some("application/wasm"));
    assert_eq!(first.header("cache-control"), Some("no-cache"));
    let modified = first
        .header("last-modified")
        .expect("Last-Modified")
        .to_string();
    let again = client
        .get(app.url("/pkg/roster.wasm"))
        .header(reqwest::header::IF_MODIFIED_SINCE, modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304, "{:?}", again.headers());
    assert!(again.headers().get(reqwest::header::LOCATION).is_none());

    let missing = app.get(&client, "/pkg/nothing-here.js").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("Page not found"), "{}", missing.body);
    std::fs::remove_dir_all(site).unwrap();
}

/// Writes `request` (ignoring a server that stops reading early) and reads
/// the answer until the server closes; returns it and how long it took.
async fn raw_exchange(app: &TestApp, request: &[u8], within: Duration) -> (String, Duration) {
    let mut stream = tokio::net::TcpStream::connect(app.socket_addr())
        .await
        .unwrap();
    let started = Instant::now();
    let _ = tokio::time::timeout(within, stream.write_all(request)).await;
    let (received, _) = read_until_closed(&mut stream, within).await;
    (received, started.elapsed())
}

fn status_of_raw(received: &str) -> u16 {
    received
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// A body over the limit (4 MiB) is refused with 413, declared or streamed;
/// nothing is invited.
async fn oversized_bodies_are_refused(backend: Backend) {
    let app = spawn_app(backend).await;
    let cookie = app.cookies_of(Who::OrgManager).join("; ");
    let before = app.snapshot().await;
    let head = |framing: &str| {
        format!(
            "POST /api/bulk_invite HTTP/1.1\r\nHost: roster\r\nOrigin: {}\r\nAccept: application/json\r\n\
             Cookie: {cookie}\r\nContent-Type: application/json\r\nConnection: close\r\n{framing}\r\n\r\n",
            app.origin
        )
    };
    let csv: String = (0..200_000)
        .map(|i| format!("u{i}@big.example.com\\n"))
        .collect();
    let body = format!("{{\"csv\":\"{csv}\",\"team_id\":null}}");
    assert!(body.len() > 4 * 1024 * 1024);

    // Declared: refused before a byte of the body is read.
    let request = head("Content-Length: 5000000");
    let (received, _) = raw_exchange(&app, request.as_bytes(), Duration::from_secs(10)).await;
    assert_eq!(
        status_of_raw(&received),
        413,
        "{}",
        received.chars().take(400).collect::<String>()
    );
    assert!(received.contains("TooLarge"), "{received}");

    // Streamed (chunked, no length): cut off at the limit.
    let mut request = head("Transfer-Encoding: chunked").into_bytes();
    for chunk in body.as_bytes().chunks(64 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    let (received, _) = raw_exchange(&app, &request, Duration::from_secs(20)).await;
    assert_eq!(
        status_of_raw(&received),
        413,
        "a streamed oversized body: {}",
        received.chars().take(400).collect::<String>()
    );
    assert_eq!(before.diff(&app.snapshot().await), Vec::<String>::new());
}

/// Reads until the server answers or closes; returns what it sent and when.
async fn read_until_closed(
    stream: &mut tokio::net::TcpStream,
    within: Duration,
) -> (String, Duration) {
    let started = Instant::now();
    let mut received = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(
            within.saturating_sub(started.elapsed()),
            stream.read(&mut buffer),
        )
        .await
        {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => received.extend_from_slice(&buffer[..n]),
            Err(_) => break,
        }
    }
    (
        String::from_utf8_lossy(&received).to_string(),
        started.elapsed(),
    )
}

/// Slow clients (slowloris) cannot hold a connection: headers and bodies
/// have deadlines.
async fn slow_clients_are_cut_off(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Settings::default()
            .bare()
            .var("ROSTER_HEADER_TIMEOUT", "1s")
            .var("ROSTER_BODY_TIMEOUT", "1s"),
    )
    .await;
    // Headers that never end.
    let mut stream = tokio::net::TcpStream::connect(app.socket_addr())
        .await
        .unwrap();
    stream
        .write_all(b"POST /api/sign_in HTTP/1.1\r\nHost: roster\r\nX-Slow: 1\r\n")
        .await
        .unwrap();
    let (received, took) = read_until_closed(&mut stream, Duration::from_secs(8)).await;
    assert!(
        took < Duration::from_secs(5),
        "headers never finished, yet the connection stayed open {took:?}: {received:?}"
    );

    // A body that never arrives.
    let mut stream = tokio::net::TcpStream::connect(app.socket_addr())
        .await
        .unwrap();
    let head = format!(
        "POST /api/sign_in HTTP/1.1\r\nHost: roster\r\nOrigin: {}\r\nAccept: application/json\r\n\
         {}: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nemail=a",
        app.origin, CONTENT_TYPE
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (received, took) = read_until_closed(&mut stream, Duration::from_secs(8)).await;
    assert!(
        took < Duration::from_secs(5),
        "the body never came, yet the connection stayed open {took:?}: {received:?}"
    );
    // No AppError names a timeout; any 4xx (408 is the usual one) or a
    // closed connection says "your fault". A 5xx would page whoever runs it.
    let status = status_of_raw(&received);
    assert!(
        received.is_empty() || (400..500).contains(&status),
        "a stalled body is the client's fault (408), not a server error: {received}"
    );
}

/// Idle sockets (connected, sending nothing) are closed after the header
/// deadline, and while the server is at its connection cap, new clients
/// wait rather than fail: /healthz answers once the idle ones are gone.
async fn idle_connections_are_closed_and_do_not_lock_others_out(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Settings::default()
            .bare()
            .var("ROSTER_HEADER_TIMEOUT", "1s")
            .var("ROSTER_MAX_CONNECTIONS", "20"),
    )
    .await;
    let mut idle = Vec::new();
    for _ in 0..40 {
        idle.push(
            tokio::net::TcpStream::connect(app.socket_addr())
                .await
                .unwrap(),
        );
    }
    let started = Instant::now();
    let health = app.get(&app.client(Who::Anonymous), "/healthz").await;
    assert_eq!(health.status, 200, "{health:?}");
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "healthz waited {:?} behind idle sockets",
        started.elapsed()
    );
    let mut closed = 0;
    for stream in &mut idle {
        let (received, took) = read_until_closed(stream, Duration::from_secs(6)).await;
        if took < Duration::from_secs(6) {
            closed += 1;
        }
        assert!(
            received.is_empty() || received.starts_with("HTTP/1.1 408"),
            "{received}"
        );
    }
    assert_eq!(
        closed,
        idle.len(),
        "every idle socket is closed by the server"
    );
}

/// Behind a proxy named in ROSTER_TRUSTED_PROXIES, each client named by
/// X-Forwarded-For has its own allowance (the proxy is not one bucket for
/// everybody); the rightmost address is the one the proxy saw.
async fn behind_a_trusted_proxy_each_client_has_its_own_allowance(backend: Backend) {
    let app = spawn_app_with(
        backend,
        Settings::default()
            .bare()
            .var("ROSTER_TRUSTED_PROXIES", "127.0.0.1")
            .var("ROSTER_RATE_LIMIT", "3"),
    )
    .await;
    let client = app.client(Who::Anonymous);
    let sign_in = |xff: &str| {
        let request = client
            .post(app.url("/api/sign_in"))
            .header(ORIGIN, app.origin.as_str())
            .header(ACCEPT, "application/json")
            .header("x-forwarded-for", xff)
            .form(&[
                ("email", "nobody@example.com"),
                ("password", "wrong password"),
            ]);
        app.send(request)
    };
    for _ in 0..3 {
        assert_eq!(sign_in("203.0.113.1").await.status, 401);
    }
    assert_eq!(sign_in("203.0.113.1").await.status, 429);
    // A client's own header is to the left of what the proxy appended.
    assert_eq!(sign_in("203.0.113.2, 203.0.113.1").await.status, 429);
    assert_eq!(sign_in("203.0.113.2").await.status, 401, "another client");
}

/// Anonymous endpoints take small bodies only: a stranger cannot make the
/// server hold megabytes per request.
async fn public_endpoints_take_small_bodies_only(backend: Backend) {
    let app = spawn_app_with(backend, Settings::default().bare()).await;
    let client = app.client(Who::Anonymous);
    let padding = "x".repeat(100 * 1024);
    let answer = app
        .post_form(
            &client,
            "/api/sign_in",
            &[("email", "a@example.com"), ("password", &padding)],
        )
        .await;
    assert_eq!(answer.status, 413, "{answer:?}");
    assert_eq!(answer.error(), Some(AppError::TooLarge));
}

/// Malformed input is a clear 422 that names the problem, never "Internal":
/// a team named twice in one invitation, a search of 50,000 characters.
async fn malformed_input_is_a_validation_error(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.client(Who::OrgManager);
    let before = app.snapshot().await;
    let answer = app
        .post_json(
            &manager,
            "/api/invite_user",
            &json!({ "request": { "email": fresh_email(), "name": "", "team_ids": [app.blue, app.blue] } }),
        )
        .await;
    assert_eq!(answer.status, 422, "{answer:?}");
    assert_eq!(
        answer.error(),
        Some(AppError::invalid("The same team is chosen twice."))
    );

    let query = roster::domain::invitations::UserQuery {
        search: "user05".repeat(10_000),
        ..Default::default()
    };
    let answer = app
        .post_json(&manager, "/api/list_users", &json!({ "query": query }))
        .await;
    assert_eq!(answer.status, 422, "{answer:?}");
    assert!(matches!(answer.error(), Some(AppError::Invalid(m)) if m.contains("at most")));
    assert_eq!(before.diff(&app.snapshot().await), Vec::<String>::new());
}

/// XSS: names that are markup stay text. The Users page and a team's
/// Members page (title included) are rendered on the server with the data
/// in them, and the data also travels in the page as serialised resources:
/// neither may carry a live tag, nor end a script early.
async fn names_with_markup_stay_text_in_rendered_pages(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.client(Who::OrgManager);
    let payloads = [
        "<img src=x onerror=alert(1)>",
        "</script><script>alert(2)</script>",
        "\"><svg onload=alert(3)>",
    ];
    for (i, name) in payloads.iter().enumerate() {
        let answer = app
            .post_json(
                &manager,
                "/api/invite_user",
                &json!({ "request": { "email": format!("xss{i}@example.com"), "name": name, "team_ids": [app.blue] } }),
            )
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    let team = app
        .post_form(
            &manager,
            "/api/create_team",
            &[("name", "<script>alert(4)</script>")],
        )
        .await
        .ok()
        .json::<String>();
    for path in [
        "/manage/settings/users?q=xss".to_string(),
        format!("/manage/settings/teams/{}/members", app.blue),
        format!("/manage/settings/teams/{team}/members"),
        "/manage/settings/teams".to_string(),
    ] {
        let page = app.get(&manager, &path).await;
        assert_eq!(page.status, 200, "{path}");
        for live in ["<img src=x", "<script>alert(", "<svg onload", "\"><svg"] {
            if let Some(at) = page.body.find(live) {
                let start = page.body[..at]
                    .char_indices()
                    .rev()
                    .nth(120)
                    .map_or(0, |(i, _)| i);
                panic!(
                    "{path}: {live:?} is live in the page: …{}…",
                    &page.body[start..(at + 60).min(page.body.len())]
                );
            }
        }
    }
    let users = app.get(&manager, "/manage/settings/users?q=xss").await;
    assert!(
        users.body.contains("&lt;img src=x") || users.body.contains("\\u003cimg"),
        "the name is shown as text"
    );
}

/// Concurrent writers (SQLite has one writer at a time): forty single
/// invitations and two 500-row CSVs at once all succeed; no request fails
/// with a raw database error.
async fn concurrent_writers_get_answers_not_database_errors(backend: Backend) {
    let app = spawn_app(backend).await;
    let manager = app.client(Who::OrgManager);
    let singles = (0..40).map(|i| {
        let (app, manager) = (&app, manager.clone());
        async move {
            app.post_json(
                &manager,
                "/api/invite_user",
                &json!({ "request": { "email": format!("busy{i}@example.com"), "name": "", "team_ids": [] } }),
            )
            .await
        }
    });
    let bulks = (0..2).map(|b| {
        let (app, manager) = (&app, manager.clone());
        async move {
            let csv: String = (0..500)
                .map(|i| format!("bulk{b}-{i}@example.com\n"))
                .collect();
            app.post_json(
                &manager,
                "/api/bulk_invite",
                &json!({ "csv": csv, "team_id": null }),
            )
            .await
        }
    });
    let (singles, bulks) = tokio::join!(join_all(singles), join_all(bulks));
    for answer in singles.iter().chain(bulks.iter()) {
        assert_eq!(answer.status, 200, "{answer:?}");
    }
    let invited: i64 = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM users WHERE email LIKE 'b%@example.com'",
    )
    .fetch_one(&app.db)
    .await
    .unwrap();
    assert_eq!(invited, 40 + 1000);
}

on_both_databases_over_http!(
    cross_site_writes_are_refused_and_change_nothing,
    links_use_the_public_url_not_the_host_header,
    session_cookies_are_httponly_lax_and_secure_over_https,
    sign_out_ends_the_session_on_the_server,
    r18_deactivation_ends_sessions_at_once,
    sign_in_redirects_stay_on_this_site,
    public_endpoints_are_rate_limited,
    security_headers_on_pages_and_answers,
    assets_revalidate_with_304_not_a_page,
    oversized_bodies_are_refused,
    slow_clients_are_cut_off,
    idle_connections_are_closed_and_do_not_lock_others_out,
    behind_a_trusted_proxy_each_client_has_its_own_allowance,
    public_endpoints_take_small_bodies_only,
    malformed_input_is_a_validation_error,
    names_with_markup_stay_text_in_rendered_pages,
    concurrent_writers_get_answers_not_database_errors,
);
