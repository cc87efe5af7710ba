//! Errors shown to users: a Chinese page (or, for the API, Chinese JSON) with the right
//! status — never a bare 500 or a framework's English text.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use xuepei_domain::validate::FieldError;
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
    /// A URL asked for with a method it does not take (typing a form's address).
    #[error("该地址不能这样访问，请从页面上的链接或按钮进入")]
    MethodNotAllowed,
    #[error("页面已过期或来源不明（安全校验未通过），请刷新页面后重新提交")]
    Csrf,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Internal(String),
    /// API: no usable token.
    #[error("{0}")]
    ApiUnauthorized(String),
    /// API: the token may not do this.
    #[error("{0}")]
    ApiForbidden(String),
}

/// A refused form: the field errors to show beside the fields, or one message above the
/// form; anything else is not the form's fault and becomes an error page.
pub fn form_refusal(e: StoreError) -> AppResult<(Vec<FieldError>, Option<String>)> {
    match e {
        StoreError::Invalid(errs) => Ok((errs, None)),
        StoreError::Conflict(m) | StoreError::Forbidden(m) => Ok((Vec::new(), Some(m))),
        other => Err(AppError::Store(other)),
    }
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
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Store(StoreError::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            AppError::Forbidden(_)
            | AppError::Csrf
            | AppError::ApiForbidden(_)
            | AppError::Store(StoreError::Forbidden(_)) => StatusCode::FORBIDDEN,
            AppError::ApiUnauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Store(StoreError::Busy) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Store(StoreError::Db(_)) | AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn message(&self) -> String {
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

    fn code(&self) -> &'static str {
        match self.status() {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::BAD_REQUEST => "bad_request",
            StatusCode::UNPROCESSABLE_ENTITY => "invalid",
            StatusCode::CONFLICT => "conflict",
            StatusCode::UNAUTHORIZED => "unauthorized",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::PAYLOAD_TOO_LARGE => "too_large",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::SERVICE_UNAVAILABLE => "busy",
            _ => "internal",
        }
    }

    /// The error as the API returns it: `{"error": {"code", "message", "fields"?}}`.
    pub fn into_json(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "api request failed");
        }
        let fields = match &self {
            AppError::Store(StoreError::Invalid(errs)) => Some(errs.clone()),
            _ => None,
        };
        let body = serde_json::json!({ "error": { "code": self.code(), "message": self.message(), "fields": fields } });
        (status, Json(body)).into_response()
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if matches!(self, AppError::ApiUnauthorized(_) | AppError::ApiForbidden(_)) {
            return self.into_json();
        }
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let info = ErrorInfo { status: status.as_u16(), message: self.message() };
        let mut resp = match info.page(Layout::bare("出错了")) {
            Ok(html) => (status, html).into_response(),
            Err(_) => (status, self.message()).into_response(),
        };
        // The layout of a signed-in user (menu, name) is added by `in_layout`.
        resp.extensions_mut().insert(info);
        resp
    }
}

/// An error page's content, kept on the response so that it can be shown again inside
/// the signed-in user's layout.
#[derive(Debug, Clone)]
pub struct ErrorInfo {
    status: u16,
    message: String,
}

impl ErrorInfo {
    fn page(&self, layout: Layout) -> Result<Html<String>, askama::Error> {
        ErrorPage { layout, status: self.status, message: self.message.clone() }.render().map(Html)
    }
}

/// Shows error pages inside the layout — menu, user and scope — when someone is signed in,
/// so that a wrong address or a refusal does not look like leaving the system.
pub async fn in_layout(
    axum::extract::State(st): axum::extract::State<crate::AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (mut parts, body) = req.into_parts();
    let ctx = if parts.uri.path().starts_with("/api/") {
        None
    } else {
        <crate::auth::Ctx as axum::extract::FromRequestParts<crate::AppState>>::from_request_parts(&mut parts, &st)
            .await
            .ok()
    };
    let api = parts.uri.path().starts_with("/api/");
    let resp = chinese_rejection(next.run(axum::extract::Request::from_parts(parts, body)).await, api);
    let (Some(ctx), Some(info)) = (ctx, resp.extensions().get::<ErrorInfo>().cloned()) else { return resp };
    let title = match info.status {
        404 => "页面或数据不存在",
        403 => "没有权限",
        _ => "出错了",
    };
    match info.page(Layout::new(&ctx, title, "")) {
        Ok(html) => (resp.status(), html).into_response(),
        Err(_) => resp,
    }
}

/// A request the framework refused before a handler ran (a path segment that is not
/// UTF-8, a form sent with another content type): its English plain-text answer becomes
/// the Chinese error page (or JSON error), with the same status.
fn chinese_rejection(resp: Response, api: bool) -> Response {
    let plain = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/plain"));
    let status = resp.status();
    // 413 has its own answer (the body limit's layer).
    if !plain || !status.is_client_error() || status.as_u16() == 413 || resp.extensions().get::<ErrorInfo>().is_some() {
        return resp;
    }
    let message = match status.as_u16() {
        415 => "请通过系统页面上的表单提交（提交的内容类型不正确）",
        _ => "请求的地址或提交的内容格式不正确，请返回上一页重新操作",
    };
    let e = AppError::BadRequest(message.into());
    let mut out = if api { e.into_json() } else { e.into_response() };
    *out.status_mut() = status;
    out
}

/// A path that exists, asked for with another method.
pub async fn method_not_allowed(uri: axum::http::Uri) -> Response {
    let e = AppError::MethodNotAllowed;
    if uri.path().starts_with("/api/") { e.into_json() } else { e.into_response() }
}

pub type AppResult<T> = Result<T, AppError>;

/// A handler that panicked answers like any internal error — a Chinese page, its
/// transaction rolled back as it was dropped — instead of a dropped connection.
pub fn panicked(panic: Box<dyn std::any::Any + Send>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown");
    AppError::Internal(format!("handler panicked: {what}")).into_response()
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    let e = AppError::NotFound("您访问的页面不存在，请检查地址是否正确".into());
    if uri.path().starts_with("/api/") { e.into_json() } else { e.into_response() }
}

/// Renders a template, turning a rendering failure into an internal error.
pub fn render(t: &impl Template) -> AppResult<Html<String>> {
    t.render().map(Html).map_err(|e| AppError::Internal(format!("template: {e}")))
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_panic_answers_with_the_chinese_error_page() {
        let r = super::panicked(Box::new("boom"));
        assert_eq!(r.status(), axum::http::StatusCode::INTERNAL_SERVER_ERROR);
        let body = axum::body::to_bytes(r.into_body(), 1 << 20).await.expect("body");
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("系统内部错误") && !text.contains("boom"), "{text}");
    }
}
