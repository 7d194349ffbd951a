//! The server's metrics: requests by route and status, latency by route,
//! the storage's queue and batches, the database size. Only values the
//! server knows become labels (every label set lives as long as the process).

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

use crate::store::{OutboxCounts, StoreStats};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
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
    mail_pending: Gauge,
    mail_retrying: Gauge,
    mail_sent: Gauge,
    mail_dead: Gauge,
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
        let (mail_pending, mail_retrying, mail_sent, mail_dead) =
            (Gauge::default(), Gauge::default(), Gauge::default(), Gauge::default());
        registry.register("mail_outbox_pending", "Emails waiting in the outbox", mail_pending.clone());
        registry.register("mail_outbox_retrying", "Waiting emails that failed at least once", mail_retrying.clone());
        registry.register("mail_sent", "Emails sent (as the outbox records them)", mail_sent.clone());
        registry.register("mail_dead", "Emails given up after their last attempt", mail_dead.clone());
        Metrics {
            mail_pending,
            mail_retrying,
            mail_sent,
            mail_dead,
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
    /// Counts one answered request. `method` and `route` must be values the
    /// server knows (a standard method or `other`; a route pattern or
    /// `unmatched`), never what the client sent.
    pub fn record(&self, method: &'static str, route: &str, status: u16, seconds: f64) {
        let route = route.to_string();
        self.requests.get_or_create(&RequestLabels { method, route: route.clone(), status }).inc();
        self.latency.get_or_create(&RouteLabels { route }).observe(seconds);
    }

    /// The metrics as OpenMetrics text, with the storage's figures of now.
    pub fn render(&self, stats: StoreStats, outbox: Option<OutboxCounts>) -> String {
        if let Some(o) = outbox {
            self.mail_pending.set(o.pending);
            self.mail_retrying.set(o.retrying);
            self.mail_sent.set(o.sent);
            self.mail_dead.set(o.dead);
        }
        self.writer_queue.set(stats.queued);
        self.writer_last_batch.set(i64::try_from(stats.last_batch).unwrap_or(i64::MAX));
        self.writer_batches.inc_by(stats.batches.saturating_sub(self.writer_batches.get()));
        self.writer_jobs.inc_by(stats.jobs.saturating_sub(self.writer_jobs.get()));
        self.database_bytes.set(i64::try_from(stats.size_bytes).unwrap_or(i64::MAX));
        let mut out = String::new();
        let _ = encode(&mut out, &self.registry);
        out
    }
}
