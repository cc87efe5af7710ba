//! The xuepei web application: server-rendered pages in Simplified Chinese, a JSON API
//! under `/api/v1/`, and the import and export jobs they share with the command line.
//!
//! Handlers get data only through the scope of the signed-in account or the API token.
//! This crate cannot widen it — the whole-tree scope is the operator's capability, absent
//! from the store as this crate builds it. `scripts/test-all.sh` proves it: it checks this
//! crate alone with [`scope_probe`] compiled in and expects exactly the errors below, then
//! checks it with the capability switched on and expects no error (so the probe fails for
//! that reason only).

/// Code that must not compile: a handler naming the whole tree's scope or any
/// organisation's. Only the `scope-probe` feature (the test script's) compiles it.
#[cfg(feature = "scope-probe")]
pub async fn scope_probe(db: &DatabaseConnection) {
    let _everything = xuepei_store::Scope::system();
    let _any_county = xuepei_store::Scope::of_org(db, 1).await;
}

mod api;
mod assets;
pub mod auth;
pub mod bells;
mod chart;
mod documents;
pub mod error;
pub mod exports;
pub(crate) mod form;
pub mod jobs;
pub mod kinds;
mod layout;
mod metrics;
mod pager;
pub(crate) mod pages;
mod params;
pub mod routes;
mod security;
mod stats;
mod upload;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use tokio::net::TcpListener;
use xuepei_store::DatabaseConnection;
use xuepei_store::accounts::SecurityPolicy;

pub use metrics::Metrics;
pub use routes::{Access, RouteInfo};

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest accepted upload, in bytes.
    pub upload_limit: usize,
    /// Mark the session cookie Secure (serve over HTTPS, or behind a TLS proxy).
    pub cookie_secure: bool,
    /// Take the client address from X-Forwarded-For (behind a trusted proxy only).
    pub trust_proxy: bool,
    /// Serve `/metrics` to any address, not only loopback.
    pub metrics_public: bool,
    /// The address users reach the server at (`https://px.example.gov.cn`), printed in QR
    /// codes that outlive the request (certificates); without it, the request's own host.
    pub public_url: Option<String>,
    /// Row limits and the reader process of imports.
    pub import: jobs::ImportSettings,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            upload_limit: 50 * 1024 * 1024,
            cookie_secure: false,
            trust_proxy: false,
            metrics_public: false,
            public_url: None,
            import: jobs::ImportSettings::default(),
        }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<WebConfig>,
    pub policy: Arc<SecurityPolicy>,
    pub metrics: Arc<Metrics>,
    pub stats: Arc<stats::StatsCache>,
    /// The imports running in this process, for the wizard's progress display.
    pub progress: Arc<jobs::ProgressBoard>,
    /// Check-ins of this process, written by group commit.
    pub checkins: Arc<xuepei_store::checkins::CheckinWriter>,
    /// Unread notification counts of the accounts seen lately.
    pub bells: Arc<bells::Bells>,
}

impl AppState {
    pub fn new(db: DatabaseConnection, config: WebConfig, policy: SecurityPolicy) -> Self {
        AppState {
            checkins: Arc::new(xuepei_store::checkins::CheckinWriter::new(db.clone())),
            db,
            config: Arc::new(config),
            policy: Arc::new(policy),
            metrics: Arc::new(Metrics::default()),
            stats: Arc::new(stats::StatsCache::default()),
            progress: Arc::new(jobs::ProgressBoard::default()),
            bells: Arc::new(bells::Bells::default()),
        }
    }
}

/// Every declared route (for tests that walk them all).
pub fn route_list() -> Vec<RouteInfo> {
    pages::routes().into_parts().1
}

/// All routes with their middleware.
pub fn router(state: AppState) -> Router {
    let limit = state.config.upload_limit;
    let (pages, _) = pages::routes().into_parts();
    pages
        .merge(assets::routes())
        .route("/metrics", axum::routing::get(metrics::endpoint))
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .fallback(error::not_found)
        .layer(middleware::from_fn_with_state(state.clone(), error::in_layout))
        .layer(middleware::from_fn_with_state(state.clone(), bells::forget_on_write))
        .layer(middleware::from_fn_with_state(state.clone(), auth::authenticate))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(error::panicked))
        .layer(middleware::from_fn(security::headers))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        // Multipart handlers enforce the upload limit with a clear message; this leaves room
        // for the form fields around the file.
        .layer(DefaultBodyLimit::max(limit + 64 * 1024))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    tracing::info!(addr = %listener.local_addr()?, "serving");
    axum::serve(listener, router(state).into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Upload files are kept for an hour between preview and confirmation.
pub const UPLOAD_TTL: Duration = Duration::from_secs(3600);
