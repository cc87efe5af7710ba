//! Who is asking: the session behind the cookie (pages) or the token behind the bearer
//! header (API), looked up once per request by [`authenticate`], which also enforces CSRF
//! on every state-changing page request. Handlers take [`Ctx`] or [`ApiCtx`].

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_store::Scope;
use xuepei_store::audit::Actor;
use xuepei_store::idchecks::IdChecks;
use xuepei_store::sessions::{self, Lookup, Session};
use xuepei_store::tokens::{self, ApiToken, Refusal};

use crate::AppState;
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "xp_session";
/// The sign-in form's CSRF secret, before there is a session (double submit).
pub const LOGIN_CSRF_COOKIE: &str = "xp_login";

/// What [`authenticate`] found, kept in the request's extensions.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    pub session: Option<Session>,
    /// The cookie named a session that timed out.
    pub expired: bool,
    pub api: Option<Result<ApiAuth, ApiRefusal>>,
    pub ip: Option<String>,
    /// The request came over HTTPS (directly, through a trusted proxy, or as configured):
    /// cookies set in answer are `Secure`.
    pub https: bool,
}

#[derive(Debug, Clone)]
pub struct ApiAuth {
    pub token: ApiToken,
    pub scope: Scope,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiRefusal {
    Missing,
    Unknown,
    Revoked,
    Expired,
    Inactive,
}

impl From<Refusal> for ApiRefusal {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unknown => ApiRefusal::Unknown,
            Refusal::Revoked => ApiRefusal::Revoked,
            Refusal::Expired => ApiRefusal::Expired,
            Refusal::Inactive => ApiRefusal::Inactive,
        }
    }
}

pub fn api_refusal(r: ApiRefusal) -> AppError {
    AppError::ApiUnauthorized(
        match r {
            ApiRefusal::Missing => "缺少接口令牌：请在请求头中提供 Authorization: Bearer <令牌>",
            ApiRefusal::Unknown => "接口令牌无效，请核对令牌或向管理员申请",
            ApiRefusal::Revoked => "接口令牌已被吊销，请向管理员申请新的令牌",
            ApiRefusal::Expired => "接口令牌已过期，请向管理员申请新的令牌",
            ApiRefusal::Inactive => {
                "接口令牌的签发账号已停用或其范围内的组织已撤销，令牌不再有效，请向管理员申请新的令牌"
            }
        }
        .into(),
    )
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).flat_map(|v| v.split(';')).find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The client's address: the peer, or — when the server is configured to sit behind a
/// trusted proxy — the last X-Forwarded-For entry, the one that proxy added (earlier
/// entries come from the client and may be forged).
fn client_ip(st: &AppState, req: &Request) -> Option<String> {
    if st.config.trust_proxy
        && let Some(ip) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return Some(ip.to_string());
    }
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string())
}

/// Whether the request came over HTTPS: configured so (`cookie_secure`), an absolute
/// `https` address, or — behind a trusted proxy — the protocol that proxy reported last
/// (`X-Forwarded-Proto`, or `proto=` of `Forwarded`).
fn is_https(st: &AppState, req: &Request) -> bool {
    if st.config.cookie_secure || req.uri().scheme_str() == Some("https") {
        return true;
    }
    if !st.config.trust_proxy {
        return false;
    }
    let last = |name: &str| {
        req.headers()
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .last()
            .map(|v| v.trim().to_ascii_lowercase())
    };
    if let Some(proto) = last("x-forwarded-proto") {
        return proto == "https";
    }
    last("forwarded").is_some_and(|f| {
        f.split(';').any(|kv| {
            kv.trim().split_once('=').is_some_and(|(k, v)| k.trim() == "proto" && v.trim_matches('"') == "https")
        })
    })
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The largest urlencoded form body read for its CSRF field.
const FORM_LIMIT: usize = 1024 * 1024;

/// Looks up the caller and checks CSRF; see the module documentation.
pub async fn authenticate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let mut auth = Auth { ip: client_ip(&st, &req), https: is_https(&st, &req), ..Default::default() };
    let is_api = req.uri().path().starts_with("/api/");
    if is_api {
        let bearer = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        auth.api = match bearer {
            None => Some(Err(ApiRefusal::Missing)),
            Some(t) => match tokens::authenticate(&st.db, t.trim()).await {
                Ok(Ok((token, scope))) => Some(Ok(ApiAuth { token, scope })),
                Ok(Err(r)) => Some(Err(r.into())),
                Err(e) => return AppError::Store(e).into_response(),
            },
        };
    } else if let Some(token) = cookie(req.headers(), SESSION_COOKIE) {
        match sessions::lookup(&st.db, token, &st.policy).await {
            Ok(Lookup::Valid(s)) => auth.session = Some(*s),
            Ok(Lookup::Expired) => auth.expired = true,
            Ok(Lookup::Missing) => {}
            Err(e) => return AppError::Store(e).into_response(),
        }
    }
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if unsafe_method && !is_api && auth.session.is_none() && req.uri().path() != "/login" {
        // A form sent after the session ended does nothing; the user signs in again and
        // comes back to the page the form was on (our script keeps what was typed).
        return resume_after_sign_in(&req, auth.expired);
    }
    let req = if unsafe_method && !is_api {
        // The sign-in form carries the pre-session secret, whatever cookie is present.
        let expected = match &auth.session {
            Some(s) if req.uri().path() != "/login" => Some(s.csrf.clone()),
            _ => cookie(req.headers(), LOGIN_CSRF_COOKIE).map(str::to_owned),
        };
        match check_csrf(req, expected.as_deref()).await {
            Ok(r) => r,
            Err(resp) => return resp,
        }
    } else {
        req
    };
    let mut req = req;
    req.extensions_mut().insert(auth);
    let resp = next.run(req).await;
    if is_api { api_json_errors(resp) } else { resp }
}

/// Every API failure is the documented JSON error, including those the framework answers
/// itself (a body over the limit, a wrong method, an unreadable body).
fn api_json_errors(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return resp;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "请求内容超过上传大小限制，请拆分后分批提交".to_owned(),
        StatusCode::METHOD_NOT_ALLOWED => "该接口不支持此请求方法，请查阅接口说明 /api/v1/openapi.json".to_owned(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "不支持的请求内容类型，请查阅接口说明 /api/v1/openapi.json".to_owned(),
        s if s.is_server_error() => {
            return AppError::Internal(format!("api answered {s} without a JSON body")).into_json();
        }
        _ => "请求有误，请查阅接口说明 /api/v1/openapi.json".to_owned(),
    };
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::UNAUTHORIZED => "unauthorized",
        StatusCode::FORBIDDEN => "forbidden",
        _ => "bad_request",
    };
    let body = serde_json::json!({ "error": { "code": code, "message": message, "fields": null } });
    (status, axum::Json(body)).into_response()
}

/// Finds the CSRF token in the header, an urlencoded body, or the first field of a
/// multipart body, and compares. Never in the address: addresses end up in logs, browser
/// history and `Referer` headers.
async fn check_csrf(req: Request, expected: Option<&str>) -> Result<Request, Response> {
    let refuse = || AppError::Csrf.into_response();
    let Some(expected) = expected.filter(|e| !e.is_empty()) else { return Err(refuse()) };
    if let Some(t) = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()) {
        return if constant_time_eq(t, expected) { Ok(req) } else { Err(refuse()) };
    }
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    if let Some(boundary) = multipart_boundary(&content_type) {
        return check_multipart_csrf(req, &boundary, expected).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Err(refuse());
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, FORM_LIMIT).await {
        Ok(b) => b,
        Err(_) => return Err(AppError::TooLarge("提交的内容过长，请精简后重试".into()).into_response()),
    };
    let ok = std::str::from_utf8(&bytes)
        .ok()
        .and_then(|b| url_param(b, "_csrf"))
        .is_some_and(|t| constant_time_eq(&t, expected));
    if !ok {
        return Err(refuse());
    }
    Ok(Request::from_parts(parts, Body::from(crate::params::without_invisible(bytes))))
}

/// The boundary of a `multipart/form-data` body.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params
        .split(';')
        .find_map(|p| {
            let (k, v) = p.trim().split_once('=')?;
            k.trim().eq_ignore_ascii_case("boundary").then(|| v.trim().trim_matches('"').to_owned())
        })
        .filter(|b| !b.is_empty() && b.len() <= 70)
}

/// The most of a multipart body read to find its leading `_csrf` field.
const MULTIPART_PREFIX_LIMIT: usize = 16 * 1024;

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The `_csrf` field when it is the body's first part: `Ok(None)` while more bytes are
/// needed, `Err(())` when the first part is something else (forms put the field first).
fn leading_csrf(buf: &[u8], boundary: &str) -> Result<Option<String>, ()> {
    let open = format!("--{boundary}\r\n");
    if buf.len() < open.len() {
        return if open.as_bytes().starts_with(buf) { Ok(None) } else { Err(()) };
    }
    let rest = buf.strip_prefix(open.as_bytes()).ok_or(())?;
    let Some(head_end) = find(rest, b"\r\n\r\n") else { return Ok(None) };
    let head = std::str::from_utf8(&rest[..head_end]).map_err(|_| ())?;
    let is_csrf = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("content-disposition:") && l.split(';').any(|p| p.trim() == "name=\"_csrf\"")
    });
    if !is_csrf {
        return Err(());
    }
    let value = &rest[head_end + 4..];
    let Some(end) = find(value, format!("\r\n--{boundary}").as_bytes()) else { return Ok(None) };
    std::str::from_utf8(&value[..end]).map(|v| Some(v.to_owned())).map_err(|_| ())
}

/// Reads a multipart body up to its leading `_csrf` field, compares, and hands the body on
/// whole (the bytes read, then the rest as it streams).
async fn check_multipart_csrf(req: Request, boundary: &str, expected: &str) -> Result<Request, Response> {
    use axum::body::HttpBody;
    let (parts, mut body) = req.into_parts();
    let mut buf: Vec<u8> = Vec::new();
    let token = loop {
        match leading_csrf(&buf, boundary) {
            Ok(Some(t)) => break Some(t),
            Err(()) => break None,
            Ok(None) if buf.len() > MULTIPART_PREFIX_LIMIT => break None,
            Ok(None) => {}
        }
        match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            Some(Err(_)) => {
                return Err(AppError::TooLarge("上传未完成或内容过大，请重新选择文件上传".into()).into_response());
            }
            None => break None,
        }
    };
    if !token.is_some_and(|t| constant_time_eq(&t, expected)) {
        return Err(AppError::Csrf.into_response());
    }
    let body = Body::new(Prefixed { prefix: Some(axum::body::Bytes::from(buf)), rest: body });
    Ok(Request::from_parts(parts, body))
}

/// A body whose first bytes were already read.
struct Prefixed {
    prefix: Option<axum::body::Bytes>,
    rest: Body,
}

impl axum::body::HttpBody for Prefixed {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        if let Some(p) = self.prefix.take().filter(|p| !p.is_empty()) {
            return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(p))));
        }
        std::pin::Pin::new(&mut self.rest).poll_frame(cx)
    }
}

fn url_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_encoding::percent_decode_str(&v.replace('+', " ")).decode_utf8_lossy().into_owned())
    })
}

/// Where an unauthenticated page request goes.
/// Sends a form posted without a session to sign-in, then back to the page it came from
/// (the Referer, when it is a page of this site).
fn resume_after_sign_in(req: &Request, expired: bool) -> Response {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or_default();
    let back = req
        .headers()
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.strip_prefix(host).filter(|_| !host.is_empty()))
        .map(|path| crate::pages::safe_next(Some(path)))
        .unwrap_or_else(|| "/".to_owned());
    let mut target = format!("/login?next={}", crate::params::enc(&back));
    if expired {
        target.push_str("&expired=1");
    }
    Redirect::to(&target).into_response()
}

pub fn login_redirect(req: &Request, expired: bool) -> Response {
    let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let next = if req.method() == Method::GET { crate::params::enc(next) } else { String::new() };
    let mut target = format!("/login?next={next}");
    if expired {
        target.push_str("&expired=1");
    }
    Redirect::to(&target).into_response()
}

/// A password that must be changed (first sign-in, reset, expired) allows only the
/// password page and sign-out.
pub fn password_gate(s: &Session, req: &Request) -> Option<Response> {
    let path = req.uri().path();
    if path == "/account/password" || path == "/logout" {
        return None;
    }
    s.password_change_due.then(|| Redirect::to("/account/password").into_response())
}

/// A signed-in request's context: the session, its scope, and who acts.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub session: Session,
    pub scope: Scope,
    pub actor: Actor,
    /// Unread notifications for the page's bell (counted for page views only).
    pub bell: Option<usize>,
}

impl Ctx {
    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = parts.extensions.get::<Auth>().cloned().unwrap_or_default();
        let Some(session) = auth.session else {
            return Err(Redirect::to(if auth.expired { "/login?expired=1" } else { "/login" }).into_response());
        };
        let id_checks = IdChecks {
            told: session.account.roles.can(Perm::REGISTRY_VIEW),
            daily_alert: state.policy.id_check_daily_alert,
        };
        let actor = Actor {
            account_id: Some(session.account.id),
            username: session.account.username.clone(),
            ip: auth.ip,
            id_checks,
        };
        // A form shown again after a refusal keeps the last count rather than count anew.
        let bell = if parts.method == Method::GET {
            state.bells.count(state, &session, &session.scope).await
        } else {
            state.bells.peek(&session, &session.scope)
        };
        Ok(Ctx { scope: session.scope.clone(), session, actor, bell })
    }
}

/// An API request's context.
#[derive(Debug, Clone)]
pub struct ApiCtx {
    pub token: ApiToken,
    pub scope: Scope,
    pub actor: Actor,
}

impl FromRequestParts<AppState> for ApiCtx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = parts.extensions.get::<Auth>().cloned().unwrap_or_default();
        match auth.api {
            Some(Ok(a)) => {
                // A token is no role: numbers registered outside its scope get the neutral
                // refusal, counted against the account that issued it.
                let actor = Actor {
                    account_id: Some(a.token.created_by),
                    username: format!("[接口令牌 {}]", a.token.prefix),
                    ip: auth.ip,
                    id_checks: IdChecks { told: false, daily_alert: state.policy.id_check_daily_alert },
                };
                Ok(ApiCtx { token: a.token, scope: a.scope, actor })
            }
            Some(Err(r)) => Err(api_refusal(r).into_response()),
            None => Err(api_refusal(ApiRefusal::Missing).into_response()),
        }
    }
}

/// `Set-Cookie` for the session (HttpOnly, SameSite=Lax; Secure over HTTPS, see
/// [`Auth::https`]).
pub fn session_cookie(value: &str, secure: bool, max_age: Option<i64>) -> String {
    let mut c = format!("{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    c
}
