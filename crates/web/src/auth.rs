//! Who is asking: the session behind the cookie (pages) or the token behind the bearer
//! header (API), looked up once per request by [`authenticate`], which also enforces CSRF
//! on every state-changing page request. Handlers take [`Ctx`] or [`ApiCtx`].

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use xuepei_store::Scope;
use xuepei_store::audit::Actor;
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
}

impl From<Refusal> for ApiRefusal {
    fn from(r: Refusal) -> Self {
        match r {
            Refusal::Unknown => ApiRefusal::Unknown,
            Refusal::Revoked => ApiRefusal::Revoked,
            Refusal::Expired => ApiRefusal::Expired,
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

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The largest urlencoded form body read for its CSRF field.
const FORM_LIMIT: usize = 1024 * 1024;

/// Looks up the caller and checks CSRF; see the module documentation.
pub async fn authenticate(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let mut auth = Auth { ip: client_ip(&st, &req), ..Default::default() };
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
    next.run(req).await
}

/// Finds the CSRF token in the header, the query, or an urlencoded body, and compares.
async fn check_csrf(req: Request, expected: Option<&str>) -> Result<Request, Response> {
    let refuse = || AppError::Csrf.into_response();
    let Some(expected) = expected.filter(|e| !e.is_empty()) else { return Err(refuse()) };
    let from_header = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let from_query = req.uri().query().and_then(|q| url_param(q, "_csrf"));
    if let Some(t) = from_header.or(from_query) {
        return if constant_time_eq(&t, expected) { Ok(req) } else { Err(refuse()) };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
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
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

fn url_param(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == key).then(|| percent_encoding::percent_decode_str(&v.replace('+', " ")).decode_utf8_lossy().into_owned())
    })
}

/// Where an unauthenticated page request goes.
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
}

impl Ctx {
    pub fn csrf(&self) -> &str {
        &self.session.csrf
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = parts.extensions.get::<Auth>().cloned().unwrap_or_default();
        let Some(session) = auth.session else {
            return Err(Redirect::to(if auth.expired { "/login?expired=1" } else { "/login" }).into_response());
        };
        let actor =
            Actor { account_id: Some(session.account.id), username: session.account.username.clone(), ip: auth.ip };
        Ok(Ctx { scope: session.scope.clone(), session, actor })
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

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, Self::Rejection> {
        let auth = parts.extensions.get::<Auth>().cloned().unwrap_or_default();
        match auth.api {
            Some(Ok(a)) => {
                let actor = Actor {
                    account_id: Some(a.token.created_by),
                    username: format!("[接口令牌 {}]", a.token.prefix),
                    ip: auth.ip,
                };
                Ok(ApiCtx { token: a.token, scope: a.scope, actor })
            }
            Some(Err(r)) => Err(api_refusal(r).into_response()),
            None => Err(api_refusal(ApiRefusal::Missing).into_response()),
        }
    }
}

/// `Set-Cookie` for the session (HttpOnly, SameSite=Lax; Secure when configured).
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
