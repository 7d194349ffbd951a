//! The HTTP layer: `router(state)` is the whole app as a value (tests drive it
//! with `oneshot`); `serve(listener, state, shutdown)` is the thin shell the
//! `serve` command runs.

pub mod api;
pub mod error;
pub mod extract;
pub mod limit;
pub mod metrics;
pub mod middleware;
pub mod spa;

use std::{future::Future, net::SocketAddr, time::Duration};

use axum::{Router, extract::DefaultBodyLimit, http::StatusCode, routing::any};
use tokio::net::TcpListener;

use crate::app::AppState;

/// The whole application: the API routes, the JSON 404s under the API
/// prefixes, `/healthz`, the embedded UI, and the middleware stack.
pub fn router(state: AppState) -> Router {
    let body_limit = usize::try_from(state.config.server.body_limit_bytes).unwrap_or(usize::MAX);
    let timeout = Duration::from_secs(state.config.server.request_timeout_secs);
    let metrics = state.metrics.clone();
    let app = api::routes()
        // A nested prefix must not fall through to the UI's fallback, or
        // `/api/typo` would answer index.html with 200.
        .route("/api", any(api::not_found))
        .route("/api/{*rest}", any(api::not_found))
        .route("/platform-admin", any(api::not_found))
        .route("/platform-admin/{*rest}", any(api::not_found))
        .fallback(spa::serve)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(metrics, metrics::track))
        .with_state(state);
    middleware::wrap(app, timeout)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state);
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Health {
    /// Always `ok` in a 200.
    status: &'static str,
    version: &'static str,
}

/// `/healthz`: 200 with the version when the database answers, 503 when not.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "The server and its database answer", body = Health),
              (status = 503, description = "The database does not answer", body = error::Problem, content_type = "application/problem+json")))]
pub async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Result<axum::Json<Health>, error::ApiError> {
    match state.db.ping().await {
        Ok(()) => Ok(axum::Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })),
        Err(e) => {
            tracing::error!(error = %e, "health check: the database does not answer");
            Err(error::ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", "the database does not answer"))
        }
    }
}
