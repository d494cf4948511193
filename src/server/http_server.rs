//! The HTTP/1.1 server loop, with the bounds `axum::serve` does not have
//! (SPEC §7): a cap on open connections, a deadline for each request's
//! headers (which also closes idle keep-alive connections), and a stall
//! timeout on every read and write. Bodies get their own deadline in the
//! router (`RequestBodyTimeoutLayer`). Behind a proxy only the proxy
//! connects, but Roster must also survive being exposed directly.

use super::config::Limits;
use axum::{extract::ConnectInfo, http::Request, Router};
use hyper::body::Incoming;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use std::{future::Future, sync::Arc, time::Duration};
use tokio::{net::TcpListener, sync::Semaphore};
use tokio_io_timeout::TimeoutStream;
use tower::ServiceExt;

/// How long in-flight requests may run on after a shutdown signal.
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then lets open
/// requests finish (for at most `DRAIN_TIME`).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: &Limits,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);

    loop {
        // At the cap, stop accepting: new clients wait in the kernel's
        // backlog instead of taking descriptors the server needs.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of descriptors, or a connection reset before accept:
                    // wait a moment rather than spin, and keep serving.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let mut stream = TimeoutStream::new(stream);
        stream.set_read_timeout(Some(limits.idle_timeout));
        stream.set_write_timeout(Some(limits.idle_timeout));

        let service = app
            .clone()
            .map_request(move |mut request: Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            });
        let connection = http.serve_connection(
            TokioIo::new(Box::pin(stream)),
            TowerToHyperService::new(service),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%peer, %error, "connection closed with an error");
            }
            drop(slot);
        });
    }

    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(DRAIN_TIME) => tracing::warn!("requests still open after {DRAIN_TIME:?}; stopping"),
    }
}
