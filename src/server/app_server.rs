//! Builds the axum router around the Leptos app and runs it.

use super::{
    config::Config,
    db,
    mail::{worker::OutboxWorker, Mailer},
    rate_limit::{self, RateLimiter},
    state::AppState,
};
use crate::app::{shell, App};
use axum::{extract::State, http::StatusCode, middleware, routing::get, Router};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::compression::CompressionLayer;

pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();

    let leptos_options = get_configuration(None)?.leptos_options;
    let config = Config::from_lookup(leptos_options.site_addr, |name| std::env::var(name).ok())?;
    let db = db::connect(&config.database_url).await?;
    let mailer = Mailer::from_config(config.smtp_url.as_deref(), config.mail_dir.clone())?;
    let state = AppState::new(leptos_options, db, config);
    OutboxWorker {
        db: state.db.clone(),
        mailer,
        from: state.config.mail_from.clone(),
        wake: state.engine.outbox_wake.clone(),
    }
    .spawn();
    let app = router(state.clone());

    let listener = tokio::net::TcpListener::bind(state.config.site_addr).await?;
    tracing::info!("Roster listening on http://{}", state.config.site_addr);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    Ok(())
}

pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || provide_context(state.clone())
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn({
            let limiter = RateLimiter::default();
            move |request, next| rate_limit::limit_public_endpoints(limiter.clone(), request, next)
        }))
        .layer(middleware::from_fn(
            super::security::reject_cross_site_writes,
        ))
        .layer(middleware::from_fn(super::security::security_headers))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// 200 once the database answers: what load balancers and our tests wait for.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match sqlx::query("SELECT 1").execute(&state.db).await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        if let Ok(mut signal) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            signal.recv().await;
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
}
