//! The local OpenID provider the SSO tests sign in at (end2end/oidc/provider.mjs,
//! driven by tests/common/oidc.rs): discovery, the sign-in form, the code
//! exchange with PKCE and client_secret_basic, and the ID token's claims.
//! Speaks to the provider only: Roster is not involved.

mod common;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use common::oidc::{OidcAccount, OidcOptions, OidcProvider};
use reqwest::Url;
use serde_json::Value;
use sha2::{Digest, Sha256};

const CALLBACK: &str = "http://127.0.0.1:3100/sso/callback";

struct Request {
    url: String,
    state: String,
    nonce: String,
    verifier: String,
}

/// An authorization request as an app would build it: code flow, PKCE S256.
async fn authorization_request(p: &OidcProvider, discovery: &Value) -> Request {
    let verifier = format!(
        "verifier-{}-{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    let state = uuid::Uuid::new_v4().simple().to_string();
    let nonce = uuid::Uuid::new_v4().simple().to_string();
    let mut url = Url::parse(discovery["authorization_endpoint"].as_str().unwrap()).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &p.client_id)
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("scope", "openid email profile")
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    Request {
        url: url.to_string(),
        state,
        nonce,
        verifier,
    }
}

async fn discover(p: &OidcProvider) -> Value {
    reqwest::get(p.discovery_url())
        .await
        .unwrap()
        .error_for_status()
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn query(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// The token endpoint's answer to `code` (client_secret_basic).
async fn exchange(
    p: &OidcProvider,
    discovery: &Value,
    code: &str,
    verifier: &str,
) -> reqwest::Response {
    exchange_as(&p.client_id, &p.client_secret, discovery, code, verifier).await
}

async fn exchange_as(
    client_id: &str,
    secret: &str,
    discovery: &Value,
    code: &str,
    verifier: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(discovery["token_endpoint"].as_str().unwrap())
        .basic_auth(client_id, Some(secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", verifier),
        ])
        .send()
        .await
        .unwrap()
}

/// The ID token's header and payload, not verified (the app's job).
fn decode(id_token: &str) -> (Value, Value) {
    let parts: Vec<&str> = id_token.split('.').collect();
    assert_eq!(parts.len(), 3, "a signed JWT: {id_token}");
    let part = |s: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).unwrap()).unwrap();
    (part(parts[0]), part(parts[1]))
}

/// Signs in as `login` and returns the ID token's payload, checking the
/// parts every account shares.
async fn id_token_of(p: &OidcProvider, discovery: &Value, login: &str) -> Value {
    let request = authorization_request(p, discovery).await;
    let callback = p.sign_in(&request.url, login).await;
    assert!(callback.starts_with(&format!("{CALLBACK}?")), "{callback}");
    assert_eq!(
        query(&callback, "state").as_deref(),
        Some(request.state.as_str())
    );
    assert_eq!(query(&callback, "iss").as_deref(), Some(p.issuer.as_str()));
    let code = query(&callback, "code").expect("a code in the callback");

    let response = exchange(p, discovery, &code, &request.verifier).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let (header, claims) = decode(tokens["id_token"].as_str().unwrap());
    assert_eq!(header["alg"], "RS256");
    assert!(header["kid"].is_string());
    assert_eq!(claims["iss"], p.issuer.as_str());
    assert_eq!(claims["aud"], p.client_id.as_str());
    assert_eq!(claims["nonce"], request.nonce.as_str());
    assert_eq!(claims["sub"], format!("sub-{login}").as_str());

    // A code is good once.
    let again = exchange(p, discovery, &code, &request.verifier).await;
    assert_eq!(again.status(), 400);
    assert_eq!(
        again.json::<Value>().await.unwrap()["error"],
        "invalid_grant"
    );
    claims
}

#[tokio::test]
async fn the_local_provider_signs_in_the_test_accounts() {
    let options = OidcOptions {
        accounts: vec![OidcAccount {
            login: "ada".into(),
            email: "ada@example.com".into(),
            email_verified: true,
        }],
        ..OidcOptions::default()
    };
    let started = std::time::Instant::now();
    let p = OidcProvider::start_with(&[CALLBACK.to_string()], options).await;
    eprintln!("provider ready in {:?}", started.elapsed());
    assert_eq!(p.issuer, format!("http://127.0.0.1:{}", p.port));

    let discovery = discover(&p).await;
    assert_eq!(discovery["issuer"], p.issuer.as_str());
    let has = |field: &str, value: &str| {
        discovery[field]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == value))
    };
    assert!(has("code_challenge_methods_supported", "S256"));
    assert!(has("id_token_signing_alg_values_supported", "RS256"));
    assert!(has(
        "token_endpoint_auth_methods_supported",
        "client_secret_basic"
    ));
    assert!(has("scopes_supported", "email"));

    let matching = id_token_of(&p, &discovery, "match").await;
    assert_eq!(matching["email"], "sso.match@example.com");
    assert_eq!(matching["email_verified"], true);
    assert_eq!(matching["name"], "Sam Match");
    let other = id_token_of(&p, &discovery, "other").await;
    assert_eq!(other["email"], "someone.else@example.com");
    assert_eq!(other["email_verified"], true);
    let unverified = id_token_of(&p, &discovery, "unverified").await;
    assert_eq!(unverified["email"], p.match_email.as_str());
    assert_eq!(unverified["email_verified"], false);
    let ada = id_token_of(&p, &discovery, "ada").await;
    assert_eq!(ada["email"], "ada@example.com");
    assert_eq!(ada["email_verified"], true);
    assert_eq!(
        ada["exp"].as_i64().unwrap() - ada["iat"].as_i64().unwrap(),
        3600
    );
}

#[tokio::test]
async fn the_provider_refuses_what_it_should() {
    let p = OidcProvider::start_with(
        &[CALLBACK.to_string()],
        OidcOptions {
            id_token_ttl: std::time::Duration::from_secs(5),
            ..OidcOptions::default()
        },
    )
    .await;
    let discovery = discover(&p).await;

    // Cancel at the form: back to the app with access_denied.
    let request = authorization_request(&p, &discovery).await;
    let callback = p.cancel(&request.url).await;
    assert_eq!(query(&callback, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        query(&callback, "state").as_deref(),
        Some(request.state.as_str())
    );

    // No PKCE: refused before any form.
    let mut url = Url::parse(&authorization_request(&p, &discovery).await.url).unwrap();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !k.starts_with("code_challenge"))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(kept);
    let callback = p.sign_in(url.as_str(), "match").await;
    assert_eq!(
        query(&callback, "error").as_deref(),
        Some("invalid_request")
    );

    // Wrong verifier, wrong secret: no tokens.
    let request = authorization_request(&p, &discovery).await;
    let code = query(&p.sign_in(&request.url, "match").await, "code").unwrap();
    let wrong = exchange(
        &p,
        &discovery,
        &code,
        "a-different-verifier-of-enough-length-43chars",
    )
    .await;
    assert_eq!(wrong.status(), 400);
    let request = authorization_request(&p, &discovery).await;
    let code = query(&p.sign_in(&request.url, "match").await, "code").unwrap();
    let wrong = exchange_as(
        &p.client_id,
        "not-the-secret",
        &discovery,
        &code,
        &request.verifier,
    )
    .await;
    assert_eq!(wrong.status(), 401);

    // --id-token-ttl.
    let request = authorization_request(&p, &discovery).await;
    let code = query(&p.sign_in(&request.url, "match").await, "code").unwrap();
    let tokens: Value = exchange(&p, &discovery, &code, &request.verifier)
        .await
        .json()
        .await
        .unwrap();
    let (_, claims) = decode(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        5
    );
}
