//! What every request handler and server function can reach.

use super::{config::Config, db::Db, health::HealthCheck, rate_limit::Limiters, services::Engine};
use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;
use std::sync::Arc;

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub db: Db,
    pub config: Arc<Config>,
    pub engine: Engine,
    pub limiters: Limiters,
    pub health: HealthCheck,
}

impl AppState {
    pub fn new(leptos_options: LeptosOptions, db: Db, config: Config) -> Self {
        let engine = Engine {
            db: db.clone(),
            public_url: config.public_url.clone(),
            invite_ttl_ms: config.invite_ttl.as_millis() as i64,
            resend_cooldown_ms: config.resend_cooldown.as_millis() as i64,
            outbox_wake: Arc::new(tokio::sync::Notify::new()),
            webhook_wake: Arc::new(tokio::sync::Notify::new()),
            counts_cache: Default::default(),
        };
        let limiters = Limiters::new(
            config.limits.rate_per_client,
            config.limits.rate_per_invitation,
            config.limits.rate_per_api_token,
            config.trusted_proxies.clone(),
        );
        AppState {
            leptos_options,
            health: HealthCheck::new(db.clone()),
            db,
            config: Arc::new(config),
            engine,
            limiters,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
