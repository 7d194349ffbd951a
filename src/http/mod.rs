//! The HTTP layer: `router(state)` is the whole app as a value (tests drive it
//! with `oneshot`); `serve(listener, state, shutdown)` is the thin shell the
//! `serve` command runs.

pub mod api;
pub mod client;
pub mod error;
pub mod extract;
pub mod metrics;
pub mod middleware;
pub mod spa;

use std::{future::Future, sync::Arc, time::Duration};

use axum::{Router, extract::DefaultBodyLimit, http::StatusCode, routing::any};
use tokio::net::TcpListener;

use crate::app::AppState;

/// The whole application: the API routes, the JSON 404s under the API
/// prefixes, `/healthz`, the embedded UI, and the middleware stack.
pub fn router(state: AppState) -> Router {
    let body_limit = usize::try_from(state.config.server.body_limit_bytes).unwrap_or(usize::MAX);
    let timeout = Duration::from_secs(state.config.server.request_timeout_secs);
    let metrics = state.metrics.clone();
    // `Config::validate` has checked them.
    let proxies = Arc::new(client::TrustedProxies::new(state.config.server.trusted_proxy_nets().unwrap_or_default()));
    let (routes, doc) = api::routes().split_for_parts();
    let doc = Arc::new(api::openapi::finish(doc, &state.config));
    let app = routes
        // A nested prefix must not fall through to the UI's fallback, or
        // `/api/typo` would answer index.html with 200.
        .route("/api", any(api::not_found))
        .route("/api/{*rest}", any(api::not_found))
        .route("/platform-admin", any(api::not_found))
        .route("/platform-admin/{*rest}", any(api::not_found))
        .fallback(spa::serve)
        .layer(axum::Extension(doc))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .with_state(state);
    middleware::wrap(app, timeout, proxies)
}

/// The largest request head (request line and headers) read from a client.
/// The API's own headers are a token and a few short values; 16 KiB is
/// plenty, and bounds what a connection can make the server hold.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
///
/// HTTP/1.1 over hyper directly (not `axum::serve`) for the limits a server
/// on the internet needs: a connection must send its whole request head
/// within `server.header_read_timeout_secs` (hyper starts that clock whenever
/// it waits for a request, so an idle keep-alive connection is closed after
/// the same time), a head is at most [`MAX_HEAD_BYTES`], and at most
/// `server.max_connections` connections are served at once: past that the
/// server stops accepting, new connections wait in the kernel's queue, and
/// the open ones are still served.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::{rt::TokioIo, server::graceful::GracefulShutdown, service::TowerToHyperService};
    use tower::ServiceExt;

    let cfg = state.config.server.clone();
    let app = router(state);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(cfg.max_connections as usize));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(Duration::from_secs(cfg.header_read_timeout_secs))
        .max_buf_size(MAX_HEAD_BYTES)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = tower::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            app.clone().oneshot(req)
        });
        let connection = graceful.watch(http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)));
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` in a 200.
    status: &'static str,
    version: &'static str,
    /// Email notifications: `off`, `ok`, or `failing` with the last error
    /// (a failing mail server never makes the server unhealthy).
    mail: MailHealthAnswer,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct MailHealthAnswer {
    #[schema(example = "ok")]
    state: &'static str,
    /// The last failure, while failing.
    #[schema(required = true)]
    detail: Option<String>,
    /// Emails waiting to be sent (`null` while mail is off).
    #[schema(required = true)]
    pending: Option<i64>,
    /// Emails given up after their last attempt.
    #[schema(required = true)]
    dead: Option<i64>,
}

/// `/healthz`: 200 with the version when the database answers, 503 when not.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The server and its database answer", body = Health),
              (status = 503, description = "The database does not answer", body = error::Problem, content_type = "application/problem+json")))]
pub async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<axum::Json<Health>, error::ApiError> {
    match state.store.ping().await {
        Ok(()) => {
            let mail = if state.config.mail.enabled {
                let counts = state.store.outbox_counts().await.ok();
                let detail = state.mail_health.last_error();
                MailHealthAnswer {
                    state: if detail.is_some() { "failing" } else { "ok" },
                    detail,
                    pending: counts.map(|c| c.pending),
                    dead: counts.map(|c| c.dead),
                }
            } else {
                MailHealthAnswer { state: "off", detail: None, pending: None, dead: None }
            };
            Ok(axum::Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION"), mail }))
        }
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            Err(error::ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database does not answer"))
        }
    }
}
