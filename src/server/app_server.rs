//! Builds the axum router around the Leptos app and runs it.

use super::{
    api_v1,
    config::Config,
    db,
    error_response::set_error_status,
    housekeeping, http_server,
    mail::{worker::OutboxWorker, Mailer},
    memory, passwords, rate_limit, request_body,
    security::{self, SecurityPolicy},
    services::reminders,
    sso,
    state::AppState,
    webhooks::worker::{WebhookWorker, EXPIRY_SCAN_EVERY},
};
use crate::app::{shell, App};
use axum::{
    extract::State,
    handler::Handler,
    http::{header, HeaderValue, StatusCode},
    middleware,
    routing::get,
    Router,
};
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes, ResponseOptions};
use std::{
    future::Future,
    sync::{Arc, OnceLock},
    time::Duration,
};
use tower_http::{compression::CompressionLayer, services::ServeDir};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Expired sessions and idle rate-limit entries are swept this often.
const HOUSEKEEPING_EVERY: Duration = Duration::from_secs(600);

/// The binary's entry point: configuration from the environment, then `serve`.
pub async fn run() -> Result<(), BoxError> {
    let _ = dotenvy::dotenv();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();

    let mut leptos_options = get_configuration(None)?.leptos_options;
    // The release build names its assets by their hashes and writes them to
    // hash.txt beside the binary: use them unless told otherwise.
    if std::env::var_os("LEPTOS_HASH_FILES").is_none() {
        leptos_options.hash_files = hash_file_beside_binary(&leptos_options.hash_file);
    }
    let config = Config::from_lookup(leptos_options.site_addr, |name| std::env::var(name).ok())?;
    let listener = tokio::net::TcpListener::bind(config.site_addr)
        .await
        .map_err(|e| format!("listening on {}: {e}", config.site_addr))?;
    tracing::info!("Roster listening on http://{}", config.site_addr);
    serve_until(config, leptos_options, listener, shutdown_signal()).await
}

fn hash_file_beside_binary(name: &str) -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|dir| dir.join(name)))
        .is_some_and(|path| path.is_file())
}

/// Runs Roster (outbox worker, housekeeping, HTTP with its limits) on
/// `listener` until SIGTERM or Ctrl-C, or until the future is dropped.
pub async fn serve(
    config: Config,
    leptos_options: LeptosOptions,
    listener: tokio::net::TcpListener,
) -> Result<(), BoxError> {
    serve_until(config, leptos_options, listener, shutdown_signal()).await
}

async fn serve_until(
    config: Config,
    leptos_options: LeptosOptions,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()>,
) -> Result<(), BoxError> {
    memory::return_large_blocks_to_the_system();
    passwords::limit_concurrent_hashes(config.limits.concurrent_hashes);
    let db = db::connect(&config.database_url)
        .await
        .map_err(|e| format!("connecting to the database: {e}"))?;
    let mailer = Mailer::from_config(config.smtp_url.as_deref(), config.mail_dir.clone())?;
    let limits = config.limits.clone();
    let state = AppState::new(leptos_options, db, config);
    OutboxWorker {
        db: state.db.clone(),
        mailer,
        from: state.config.mail_from.clone(),
        wake: state.engine.outbox_wake.clone(),
    }
    .spawn();
    housekeeping::spawn(state.db.clone(), state.limiters.clone(), HOUSEKEEPING_EVERY);
    reminders::spawn(
        state.engine.clone(),
        state.config.reminder_day,
        state.config.reminder_every,
    );
    WebhookWorker::new(state.engine.clone(), state.config.webhook_private_addresses)
        .spawn(EXPIRY_SCAN_EVERY);
    http_server::serve(listener, router(state), &limits, shutdown).await;
    Ok(())
}

/// The app's routes, generated once per process. Generating renders the app
/// with resource loading switched off by a process-wide flag, so two at once
/// (the tests start several servers) turn it back on under each other and
/// the other's resources run without their context.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

pub fn router(state: AppState) -> Router {
    let routes = route_list();
    let policy = Arc::new(SecurityPolicy {
        public_origin: state.config.public_origin(),
        https: state.config.secure_cookies(),
    });
    let limiters = state.limiters.clone();
    // Files of the site (/pkg, the favicon) with conditional requests (304)
    // and ranges answered properly; anything else is the app's 404 page.
    // leptos_axum's file_and_error_handler alone rendered the app for every
    // answer but 200, so a browser revalidating its cached WASM got an HTML
    // page (a redirect to /login when signed out) and never hydrated.
    let not_found =
        leptos_axum::file_and_error_handler::<AppState, _>(shell).with_state(state.clone());
    // `cargo leptos build --release --precompress` leaves .br and .gz beside
    // each asset: served as they are, not compressed again per request.
    let files = ServeDir::new(&*state.leptos_options.site_root)
        .precompressed_br()
        .precompressed_gzip()
        .call_fallback_on_method_not_allowed(true)
        .fallback(not_found);
    Router::new()
        .route("/healthz", get(healthz))
        // Single sign-on's two legs (plain handlers: a form POST and the
        // provider's redirect), behind the same layers as everything else.
        .merge(sso::routes::routes())
        // The JSON API for scripts (API tokens, not session cookies).
        .nest("/api/v1", api_v1::routes())
        .leptos_routes_with_context(
            &state,
            routes,
            {
                let state = state.clone();
                move || {
                    provide_context(state.clone());
                    set_content_security_policy();
                }
            },
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback_service(files)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            sso::routes::allow_provider_in_form_action,
        ))
        .layer(middleware::from_fn(set_error_status))
        .layer(middleware::from_fn({
            let deadline = state.config.limits.body_timeout;
            move |request, next| request_body::read_body_within_limits(deadline, request, next)
        }))
        .layer(middleware::from_fn({
            let policy = policy.clone();
            move |request, next| security::reject_cross_site_writes(policy.clone(), request, next)
        }))
        .layer(middleware::from_fn(move |request, next| {
            rate_limit::limit_public_endpoints(limiters.clone(), request, next)
        }))
        .layer(middleware::from_fn(move |request, next| {
            security::security_headers(policy.clone(), request, next)
        }))
        .layer(CompressionLayer::new())
        .with_state(state)
}

/// Rendered pages get a Content-Security-Policy with the nonce Leptos put
/// on its inline scripts for this response.
fn set_content_security_policy() {
    let (Some(nonce), Some(response)) =
        (leptos::nonce::use_nonce(), use_context::<ResponseOptions>())
    else {
        return;
    };
    if let Ok(value) = HeaderValue::from_str(&security::content_security_policy(&nonce.to_string()))
    {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// 200 once the database answers and accepts writes: what load balancers
/// and our tests wait for.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.health.check().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(problem) => (StatusCode::SERVICE_UNAVAILABLE, problem),
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
