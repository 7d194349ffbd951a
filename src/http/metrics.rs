//! Prometheus metrics at `GET /metrics`, off unless `metrics.enabled`, and
//! behind a bearer token when `metrics.token` is set (see [`crate::metrics`]).

use std::{sync::Arc, time::Instant};

use super::error::ApiError;
use crate::{app::AppState, metrics::Metrics};
use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

/// A method as a label: one of the standard ones, else `other`. Only values
/// the server knows become labels, since every label set lives forever.
pub fn method_label(method: &Method) -> &'static str {
    const KNOWN: [Method; 9] = [
        Method::GET,
        Method::HEAD,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
        Method::OPTIONS,
        Method::CONNECT,
        Method::TRACE,
    ];
    KNOWN.iter().find(|m| *m == method).map_or("other", Method::as_str)
}

/// Counts every request by its route pattern (never the raw path, whose ids
/// would make a series per ticket, and `unmatched` for paths that are no
/// route) and its method label.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let response = next.run(req).await;
    metrics.record(method, &route, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

/// `GET /metrics`.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus / OpenMetrics text", body = String,
               content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8"),
              (status = 401, description = "The metrics token is missing or wrong", body = super::error::Problem, content_type = "application/problem+json"),
              (status = 404, description = "Metrics are not enabled", body = super::error::Problem, content_type = "application/problem+json")))]
pub async fn serve(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let cfg = &state.config.metrics;
    if !cfg.enabled {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "not_found", "metrics are not enabled"));
    }
    if !cfg.token.is_empty() {
        let given =
            headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
        if given != Some(cfg.token.as_str()) {
            return Err(ApiError::unauthorized("the metrics token is missing or wrong"));
        }
    }
    let outbox = if state.config.mail.enabled { state.store.outbox_counts().await.ok() } else { None };
    let body = state.metrics.render(state.store.stats(), outbox);
    let content_type = HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
