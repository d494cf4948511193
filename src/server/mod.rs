//! Everything that runs only on the server: configuration, database, auth,
//! mail, services and the HTTP wiring.

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
pub mod passwords;
pub mod rate_limit;
pub mod repos;
pub mod request;
pub mod request_body;
pub mod security;
pub mod services;
pub mod sso;
pub mod state;
pub mod tokens;

/// Milliseconds since the Unix epoch, UTC: how every time is stored.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
