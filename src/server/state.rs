//! What every request handler and server function can reach.

use super::{config::Config, db::Db, services::Engine};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub engine: Engine,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: Db, config: Config) -> Self {
        let engine = Engine {
            db: db.clone(),
            public_url: config.public_url.clone(),
            invite_ttl_ms: config.invite_ttl.as_millis() as i64,
            resend_cooldown_ms: config.resend_cooldown.as_millis() as i64,
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            counts_cache: Default::default(),
        };
        AppState {
            leptos_options,
            db,
            config: Arc::new(config),
            engine,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
