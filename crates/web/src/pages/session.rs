//! Signing in and out, changing one's password, switching the organisation in view, and a
//! cadre's own record.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_store::accounts::{self, Login};
use xuepei_store::org::{self, Org};
use xuepei_store::people::{self, Person};
use xuepei_store::{Tx, audit, sessions};

use super::safe_next;
use crate::AppState;
use crate::auth::{Auth, Ctx, LOGIN_CSRF_COOKIE, session_cookie};
use crate::error::{AppError, AppResult, render};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    r.get("/login", Access::Public, login_form)
        .post("/login", Access::Public, login)
        .post("/logout", Access::SignedIn, logout)
        .get("/account/password", Access::SignedIn, password_form)
        .post("/account/password", Access::SignedIn, change_password)
        .get("/switch", Access::SignedIn, switch_form)
        .post("/switch", Access::SignedIn, switch)
        .get("/me", Access::Page(Perm::OWN_VIEW), me)
}

#[derive(Template)]
#[template(path = "session/login.html")]
struct LoginPage {
    layout: Layout,
    csrf: String,
    username: String,
    next: String,
    message: Option<String>,
    info: Option<String>,
}

fn login_page(
    https: bool,
    csrf: String,
    username: String,
    next: String,
    message: Option<String>,
    info: Option<String>,
) -> AppResult<Response> {
    let page = LoginPage { layout: Layout::bare("登录"), csrf: csrf.clone(), username, next, message, info };
    let secure = if https { "; Secure" } else { "" };
    let cookie = format!("{LOGIN_CSRF_COOKIE}={csrf}; Path=/login; HttpOnly; SameSite=Strict{secure}");
    Ok(([(header::SET_COOKIE, cookie)], render(&page)?).into_response())
}

async fn login_form(Query(p): Query<Params>, axum::Extension(auth): axum::Extension<Auth>) -> AppResult<Response> {
    if auth.session.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let info = if params::flag(&p, "expired") {
        Some("您已长时间未操作，为保护数据安全已自动退出，请重新登录".to_owned())
    } else if params::flag(&p, "bye") {
        Some("您已安全退出".to_owned())
    } else if params::flag(&p, "changed") {
        Some("密码已修改，请用新密码登录".to_owned())
    } else {
        None
    };
    let next = params::text(&p, "next").map(|n| safe_next(Some(n))).unwrap_or_default();
    login_page(auth.https, accounts::random_hex(16), String::new(), next, None, info)
}

async fn login(
    State(st): State<AppState>,
    axum::Extension(auth): axum::Extension<Auth>,
    headers: HeaderMap,
    Form(f): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    // Control characters are in no user name (and a NUL would reach the database).
    let username: String =
        f.get("username").map(|s| s.trim().chars().filter(|c| !c.is_control()).collect()).unwrap_or_default();
    let password = f.get("password").cloned().unwrap_or_default();
    let next = safe_next(f.get("next").map(String::as_str));
    let retry = |message: String| {
        let name = username.chars().take(32).collect();
        login_page(auth.https, accounts::random_hex(16), name, next.clone(), Some(message), None)
    };
    if username.is_empty() || password.is_empty() {
        return retry("请输入用户名和密码".into());
    }
    match accounts::authenticate(&st.db, &username, &password, auth.ip.as_deref(), &st.policy).await? {
        Login::Ok(a) => {
            let ua = headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok());
            let token = sessions::create(&st.db, a.id, auth.ip.as_deref(), ua).await?;
            let cookie = session_cookie(&token, auth.https, None);
            Ok(([(header::SET_COOKIE, cookie)], Redirect::to(&next)).into_response())
        }
        Login::Rejected => {
            // One answer for an unknown name, a wrong password (of any account, locked or
            // not) and a paused name or address: nothing here tells names apart.
            st.metrics.logins_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            retry(format!(
                "用户名或密码错误。连续多次登录失败将暂停登录，请{}分钟后再试；忘记密码请联系安全管理员",
                st.policy.throttle_minutes.max(st.policy.lockout_minutes)
            ))
        }
        Login::Locked { until } => {
            st.metrics.logins_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let when = if until.timestamp() > 4_000_000_000 {
                "由安全管理员解锁后".to_owned()
            } else {
                format!("{}以后", xuepei_domain::time::clock(until))
            };
            retry(format!("密码错误次数过多，账号已被锁定，请{when}再试，或联系安全管理员解锁"))
        }
        Login::Disabled => retry("该账号已停用，请联系系统管理员".into()),
    }
}

async fn logout(
    State(st): State<AppState>,
    axum::Extension(auth): axum::Extension<Auth>,
    ctx: Ctx,
) -> AppResult<Response> {
    sessions::end(&st.db, &ctx.session.key).await?;
    let path = ctx.session.base_scope.root_path().unwrap_or("/").to_owned();
    audit::event(&st.db, &ctx.actor, &path, "logout", format!("账号“{}”退出", ctx.session.account.username), None)
        .await?;
    let cookie = session_cookie("", auth.https, Some(0));
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login?bye=1")).into_response())
}

#[derive(Template)]
#[template(path = "session/password.html")]
struct PasswordPage {
    layout: Layout,
    forced: bool,
    message: Option<String>,
}

async fn password_form(ctx: Ctx) -> AppResult<Html<String>> {
    let forced = ctx.session.password_change_due;
    render(&PasswordPage { layout: Layout::new(&ctx, "修改密码", ""), forced, message: None })
}

async fn change_password(
    State(st): State<AppState>,
    axum::Extension(auth): axum::Extension<Auth>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let (old, new, again) = (get("old"), get("new"), get("again"));
    let fail = |m: &str| -> AppResult<Response> {
        let page = PasswordPage {
            layout: Layout::new(&ctx, "修改密码", ""),
            forced: ctx.session.password_change_due,
            message: Some(m.to_owned()),
        };
        Ok(render(&page)?.into_response())
    };
    if new != again {
        return fail("两次输入的新密码不一致");
    }
    if new == old {
        return fail("新密码不能与原密码相同");
    }
    if !accounts::check_current_password(&st.db, ctx.session.account.id, &old).await? {
        return fail("原密码不正确");
    }
    let tx = Tx::begin(&st.db, &ctx.session.base_scope, &ctx.actor).await?;
    match accounts::set_password(&tx, ctx.session.account.id, &new, false).await {
        Ok(()) => tx.commit().await?,
        Err(xuepei_store::StoreError::Invalid(e)) => return fail(&e[0].message),
        Err(e) => return Err(e.into()),
    }
    // All sessions ended with the change; sign in again with the new password.
    let cookie = session_cookie("", auth.https, Some(0));
    Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login?changed=1")).into_response())
}

#[derive(Template)]
#[template(path = "session/switch.html")]
struct SwitchPage {
    layout: Layout,
    root: Option<Org>,
    children: Vec<Org>,
    current: Option<i64>,
}

impl SwitchPage {
    fn is_current(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.current == Some(*id.borrow())
    }
}

async fn switch_form(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let base = &ctx.session.base_scope;
    let root = match base.root_org_id() {
        Some(id) => Some(org::get(&st.db, base, id).await?),
        None => None,
    };
    let children = match &root {
        Some(r) => org::children(&st.db, base, Some(r.id), false).await?.into_iter().map(|n| n.org).collect(),
        None => Vec::new(),
    };
    let layout = Layout::new(&ctx, "切换查看范围", "").crumb("切换查看范围", None);
    render(&SwitchPage { layout, root, children, current: ctx.session.current_org_id })
}

async fn switch(State(st): State<AppState>, ctx: Ctx, Form(f): Form<HashMap<String, String>>) -> AppResult<Response> {
    // `org_id` comes from the buttons; `org` is typed (a code is digits too, never an id).
    let target = f.get("org").map(|s| s.trim()).unwrap_or_default();
    let org_id = if f.contains_key("all") {
        None
    } else if let Some(id) = f.get("org_id") {
        Some(org::get(&st.db, &ctx.session.base_scope, params::id(id, "组织")?).await?.id)
    } else if target.is_empty() {
        return Err(AppError::BadRequest("请填写要切换到的组织代码或名称".into()));
    } else {
        Some(org::resolve_ref(&st.db, &ctx.session.base_scope, target, false).await?.id)
    };
    sessions::switch_org(&st.db, &ctx.session, org_id).await?;
    Ok(Redirect::to("/").into_response())
}

#[derive(Template)]
#[template(path = "session/me.html")]
struct MePage {
    layout: Layout,
    person: Option<Person>,
    org: Option<Org>,
}

async fn me(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let base = &ctx.session.base_scope;
    let person = match ctx.session.account.person_id {
        Some(id) => people::get(&st.db, base, id).await.ok(),
        None => None,
    };
    let org = match &person {
        Some(p) => org::get(&st.db, base, p.org_id).await.ok(),
        None => None,
    };
    render(&MePage { layout: Layout::new(&ctx, "我的信息", "me").crumb("我的信息", None), person, org })
}
