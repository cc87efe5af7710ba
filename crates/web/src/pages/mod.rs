//! Server-rendered pages, one module per feature.

mod imports;
mod orgs;
mod people;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use xuepei_store::Scope;

use crate::AppState;
use crate::error::AppError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/orgs") }))
        .merge(orgs::routes())
        .merge(people::routes())
        .merge(imports::routes())
}

/// What a request may see and do.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub scope: Scope,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = AppError;

    async fn from_request_parts(_parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(Ctx { scope: Scope::system() })
    }
}

/// Writes an export to a temporary file and streams it as a download. The file name is
/// given in UTF-8 for browsers, with an ASCII fallback.
pub async fn send_export<F, Fut>(filename: &str, write: F) -> Result<Response, AppError>
where
    F: FnOnce(std::path::PathBuf) -> Fut,
    Fut: Future<Output = Result<u64, crate::exports::ExportError>>,
{
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.to_string()))?;
    let path = dir.path().join("export.xlsx");
    write(path.clone()).await.map_err(|e| match e {
        crate::exports::ExportError::Store(s) => AppError::Store(s),
        crate::exports::ExportError::Write(w) => AppError::Internal(w),
    })?;
    let file = tokio::fs::File::open(&path).await.map_err(|e| AppError::Internal(e.to_string()))?;
    let len = file.metadata().await.map_err(|e| AppError::Internal(e.to_string()))?.len();
    // The open handle keeps the data readable after the directory is removed.
    drop(dir);
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let encoded = crate::params::enc(filename);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}")),
            (header::CONTENT_LENGTH, len.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// Today's date for export file names.
pub fn today_stamp() -> String {
    xuepei_store::imports::people::today_in_china().format("%Y%m%d").to_string()
}
