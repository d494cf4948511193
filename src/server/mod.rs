//! Everything that runs only on the server: configuration, database, auth,
//! mail, services and the HTTP wiring.

pub mod api_v1;
pub mod app_server;
pub mod auth;
pub mod client_ip;
pub mod config;
pub mod db;
pub mod demo;
pub mod error_response;
pub mod health;
pub mod housekeeping;
pub mod http_server;
pub mod mail;
pub mod memory;
pub mod outbound_url;
pub mod passwords;
pub mod rate_limit;
pub mod repos;
pub mod request;
pub mod request_body;
pub mod retry;
pub mod security;
pub mod services;
pub mod sso;
pub mod state;
pub mod tokens;
pub mod webhooks;

/// Milliseconds since the Unix epoch, UTC: how every time is stored.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// A row's id: UUIDv7, which begins with its creation time, so new rows land
/// at the end of each primary-key index instead of on random pages of it
/// (a bulk invite into 100,000 users read and rewrote pages all over them).
/// Ids are not secrets: every lookup by id checks the caller's rights, and
/// invitation links use `tokens`, which are random.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
