//! Prometheus metrics, counted in-process and served as text at `/metrics` (to loopback
//! clients only, unless configured otherwise).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 10] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Debug, Default)]
pub struct Metrics {
    /// Requests by status class (1xx..5xx).
    by_class: [AtomicU64; 5],
    in_flight: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Total latency in microseconds.
    sum_us: AtomicU64,
    pub logins_failed: AtomicU64,
    pub imports: AtomicU64,
    pub import_rows: AtomicU64,
}

impl Metrics {
    fn observe(&self, status: u16, seconds: f64) {
        let class = (status / 100).clamp(1, 5) as usize - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add((seconds * 1e6) as u64, Ordering::Relaxed);
        for (i, b) in BUCKETS.iter().enumerate() {
            if seconds <= *b {
                self.buckets[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    pub fn render(&self, pool_size: u32) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "# HELP xuepei_http_requests_total HTTP requests by status class.");
        let _ = writeln!(s, "# TYPE xuepei_http_requests_total counter");
        for (i, c) in self.by_class.iter().enumerate() {
            let _ = writeln!(s, "xuepei_http_requests_total{{class=\"{}xx\"}} {}", i + 1, c.load(Ordering::Relaxed));
        }
        let _ = writeln!(s, "# HELP xuepei_http_requests_in_flight Requests being served.");
        let _ = writeln!(s, "# TYPE xuepei_http_requests_in_flight gauge");
        let _ = writeln!(s, "xuepei_http_requests_in_flight {}", self.in_flight.load(Ordering::Relaxed));
        let _ = writeln!(s, "# HELP xuepei_http_request_duration_seconds Request latency.");
        let _ = writeln!(s, "# TYPE xuepei_http_request_duration_seconds histogram");
        for (i, b) in BUCKETS.iter().enumerate() {
            let _ = writeln!(
                s,
                "xuepei_http_request_duration_seconds_bucket{{le=\"{b}\"}} {}",
                self.buckets[i].load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(s, "xuepei_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            s,
            "xuepei_http_request_duration_seconds_sum {}",
            self.sum_us.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(s, "xuepei_http_request_duration_seconds_count {count}");
        for (name, help, v) in [
            ("xuepei_logins_failed_total", "Failed sign-ins.", &self.logins_failed),
            ("xuepei_imports_total", "Completed imports.", &self.imports),
            ("xuepei_import_rows_total", "Rows written by imports.", &self.import_rows),
        ] {
            let _ = writeln!(s, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", v.load(Ordering::Relaxed));
        }
        let _ = writeln!(
            s,
            "# HELP xuepei_db_pool_size Database connections open.\n# TYPE xuepei_db_pool_size gauge\nxuepei_db_pool_size {pool_size}"
        );
        s
    }
}

/// Counts and times every request, and logs it.
pub async fn track(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    st.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
    let resp = next.run(req).await;
    st.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
    let secs = started.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    st.metrics.observe(status, secs);
    tracing::info!(target: "xuepei::http", %method, path, status, ms = (secs * 1000.0).round() as u64, "request");
    resp
}

pub async fn endpoint(State(st): State<AppState>, ConnectInfo(peer): ConnectInfo<std::net::SocketAddr>) -> Response {
    if !st.config.metrics_public && !peer.ip().is_loopback() {
        return (StatusCode::FORBIDDEN, "仅允许本机访问监控指标").into_response();
    }
    let pool = xuepei_store::db::pool_size(&st.db);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], st.metrics.render(pool)).into_response()
}
