//! Errors shown to users: a Chinese page with the right status, never a bare 500.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use xuepei_store::StoreError;

use crate::layout::Layout;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    message: String,
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound(_) | AppError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) | AppError::Store(StoreError::Invalid(_) | StoreError::Conflict(_)) => {
                StatusCode::BAD_REQUEST
            }
            AppError::Forbidden(_) | AppError::Store(StoreError::Forbidden(_)) => StatusCode::FORBIDDEN,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Store(StoreError::Busy) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Store(StoreError::Db(_)) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn message(&self) -> String {
        match self {
            AppError::Store(StoreError::Invalid(errs)) => {
                errs.iter().map(|e| e.message.clone()).collect::<Vec<_>>().join("；")
            }
            AppError::Store(StoreError::Db(_)) | AppError::Internal(_) => {
                "系统内部错误，请稍后重试；如果问题持续，请联系系统管理员".into()
            }
            other => other.to_string(),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let page = ErrorPage { layout: Layout::new("出错了", ""), status: status.as_u16(), message: self.message() };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, self.message()).into_response(),
        }
    }
}

pub type AppResult<T> = Result<T, AppError>;

pub async fn not_found() -> AppError {
    AppError::NotFound("您访问的页面不存在，请检查地址是否正确".into())
}

/// Renders a template, turning a rendering failure into an internal error.
pub fn render(t: &impl Template) -> AppResult<Html<String>> {
    t.render().map(Html).map_err(|e| AppError::Internal(format!("template: {e}")))
}
