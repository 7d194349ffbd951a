//! Prometheus metrics at `GET /metrics`, off unless `metrics.enabled`, and
//! behind a bearer token when `metrics.token` is set: requests by route and
//! status, latency by route, the writer's queue and batches, the database size.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{
        counter::Counter,
        family::Family,
        gauge::Gauge,
        histogram::{Histogram, exponential_buckets},
    },
    registry::Registry,
};

use super::error::ApiError;
use crate::app::AppState;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

type LatencyFamily = Family<RouteLabels, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 100 µs to ~3 s.
    Histogram::new(exponential_buckets(0.0001, 2.0, 16))
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: LatencyFamily,
    writer_queue: Gauge,
    writer_last_batch: Gauge,
    writer_batches: Counter,
    writer_jobs: Counter,
    database_bytes: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("ticketing");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = LatencyFamily::new_with_constructor(latency_histogram);
        let (writer_queue, writer_last_batch, database_bytes) = (Gauge::default(), Gauge::default(), Gauge::default());
        let (writer_batches, writer_jobs) = (Counter::default(), Counter::default());
        registry.register("http_requests", "HTTP requests answered, by route and status", requests.clone());
        registry.register("http_request_duration_seconds", "Time to answer, by route", latency.clone());
        registry.register("writer_queue_depth", "Write requests waiting for the writer", writer_queue.clone());
        registry.register(
            "writer_last_batch_size",
            "Write requests committed in the last batch",
            writer_last_batch.clone(),
        );
        registry.register("writer_batches", "Write transactions committed (group commits)", writer_batches.clone());
        registry.register("writer_jobs", "Write requests run by the writer", writer_jobs.clone());
        registry.register("database_size_bytes", "The database file and its write-ahead log", database_bytes.clone());
        Metrics {
            registry,
            requests,
            latency,
            writer_queue,
            writer_last_batch,
            writer_batches,
            writer_jobs,
            database_bytes,
        }
    }
}

impl Metrics {
    fn record(&self, method: &'static str, route: &str, status: StatusCode, seconds: f64) {
        let route = route.to_string();
        self.requests.get_or_create(&RequestLabels { method, route: route.clone(), status: status.as_u16() }).inc();
        self.latency.get_or_create(&RouteLabels { route }).observe(seconds);
    }

    fn render(&self, state: &AppState) -> String {
        let stats = state.db.stats();
        self.writer_queue.set(stats.queued.load(Ordering::Relaxed));
        self.writer_last_batch.set(stats.last_batch.load(Ordering::Relaxed) as i64);
        let batches = stats.batches.load(Ordering::Relaxed);
        self.writer_batches.inc_by(batches.saturating_sub(self.writer_batches.get()));
        let jobs = stats.jobs.load(Ordering::Relaxed);
        self.writer_jobs.inc_by(jobs.saturating_sub(self.writer_jobs.get()));
        self.database_bytes.set(i64::try_from(state.db.size_bytes()).unwrap_or(i64::MAX));
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}

/// Counts every request by its route pattern (never the raw path, whose ids
/// would make a series per ticket, and `unmatched` for paths that are no
/// route) and its method label.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let response = next.run(req).await;
    metrics.record(method, &route, response.status(), started.elapsed().as_secs_f64());
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
    let body = state.metrics.render(&state);
    let content_type = HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}
