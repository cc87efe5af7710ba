//! The xuepei web application: server-rendered pages in Simplified Chinese, with the
//! import and export jobs they share with the command line.

mod assets;
pub mod error;
pub mod exports;
pub mod jobs;
mod layout;
mod pages;
mod params;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use tokio::net::TcpListener;
use xuepei_store::DatabaseConnection;

/// Settings the web layer needs.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Largest accepted upload, in bytes.
    pub upload_limit: usize,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig { upload_limit: 50 * 1024 * 1024 }
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<WebConfig>,
}

/// All routes.
pub fn router(state: AppState) -> Router {
    let limit = state.config.upload_limit;
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(assets::routes())
        .merge(pages::routes())
        .fallback(error::not_found)
        // The body limit is enforced by the multipart handler with a clear message; this
        // leaves room for the form fields around the file.
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
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}

/// Upload files are kept for an hour between preview and confirmation.
pub const UPLOAD_TTL: Duration = Duration::from_secs(3600);
