//! Signing in and out, changing one's password, switching the organisation in view, and a
//! cadre's own record.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::{Perm, check_password};
use xuepei_domain::validate::FieldError;
use xuepei_store::accounts::{self, Login, PasswordCheck};
use xuepei_store::org::{self, Org};
use xuepei_store::people::{self, Person};
use xuepei_store::{StoreError, Tx, audit, sessions};

use super::safe_next;
use crate::AppState;
use crate::auth::{Auth, Ctx, LOGIN_CSRF_COOKIE, session_cookie};
use crate::error::{AppError, AppResult, render};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    r.menu(MenuEntry {
        group: MenuGroup::Desk,
        order: 90,
        key: "me",
        label: "我的信息",
        href: "/me",
        visible: |can| can(Perm::OWN_VIEW),
    })
    .audit_labels(&[
        ("login", "登录"),
        ("login.failed", "登录失败"),
        ("login.throttled", "暂停登录"),
        ("logout", "退出"),
    ])
    .get("/login", Access::Public, login_form)
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
    /// The user name as typed; the password is never written back.
    form: crate::form::Form,
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
    let form = crate::form::Form::new().with("username", username);
    let page = LoginPage { layout: Layout::bare("登录"), csrf: csrf.clone(), form, next, message, info };
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
    } else if params::flag(&p, "locked") {
        Some("原密码连续输错次数过多，账号已被锁定，请稍后再登录或联系安全管理员解锁".to_owned())
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
    /// Errors only: passwords are never written back into the page.
    form: crate::form::Form,
}

async fn password_form(ctx: Ctx) -> AppResult<Html<String>> {
    let forced = ctx.session.password_change_due;
    render(&PasswordPage { layout: Layout::new(&ctx, "修改密码", ""), forced, form: Default::default() })
}

async fn change_password(
    State(st): State<AppState>,
    axum::Extension(auth): axum::Extension<Auth>,
    ctx: Ctx,
    Form(f): Form<HashMap<String, String>>,
) -> AppResult<Response> {
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    let (old, new, again) = (get("old"), get("new"), get("again"));
    let account = &ctx.session.account;
    // Every error in one pass; the old password is checked even when the new one is refused.
    let mut errors = Vec::new();
    let mut refuse = |field: &'static str, message: String| errors.push(FieldError { field, message });
    if old.is_empty() {
        refuse("old", "请填写原密码".into());
    } else {
        match accounts::check_current_password(&st.db, &ctx.actor, account.id, &old, &st.policy).await? {
            PasswordCheck::Right => {}
            PasswordCheck::Wrong => refuse("old", "原密码不正确（连续输错将锁定账号）".into()),
            PasswordCheck::Locked => {
                let cookie = session_cookie("", auth.https, Some(0));
                return Ok(([(header::SET_COOKIE, cookie)], Redirect::to("/login?locked=1")).into_response());
            }
        }
    }
    if let Err(m) = check_password(&new, &account.username) {
        refuse("new", m);
    } else if new == old {
        refuse("new", "新密码不能与原密码相同".into());
    }
    if new != again {
        refuse("again", "两次输入的新密码不一致".into());
    }
    if errors.is_empty() {
        let tx = Tx::begin(&st.db, &ctx.session.base_scope, &ctx.actor).await?;
        match accounts::set_password(&tx, account.id, &new, false).await {
            Ok(()) => tx.commit().await?,
            // The history rule: shown beside the new password.
            Err(StoreError::Invalid(errs)) => {
                tx.rollback().await?;
                errors.extend(errs.into_iter().map(|e| FieldError { field: "new", message: e.message }));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !errors.is_empty() {
        let mut form = crate::form::Form::new();
        form.add_errors(errors);
        let page =
            PasswordPage {
                layout: Layout::new(&ctx, "修改密码", ""), forced: ctx.session.password_change_due, form
            };
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
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
    form: crate::form::Form,
    /// An organisation of the scope, to show what may be typed.
    example: String,
}

impl SwitchPage {
    fn is_current(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.current == Some(*id.borrow())
    }
}

async fn switch_form(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    may_switch(&ctx)?;
    switch_page(&st, &ctx, Default::default()).await
}

/// The switcher is for those who see organisations and have more than one to see.
fn may_switch(ctx: &Ctx) -> AppResult<()> {
    if ctx.session.account.roles.can(Perm::ORGS_VIEW) && !ctx.session.base_scope.is_leaf() {
        Ok(())
    } else {
        Err(AppError::Forbidden("您的管理范围只有本单位，无需切换查看范围".into()))
    }
}

async fn switch_page(st: &AppState, ctx: &Ctx, form: crate::form::Form) -> AppResult<Html<String>> {
    let base = &ctx.session.base_scope;
    let root = match base.root_org_id() {
        Some(id) => Some(org::get(&st.db, base, id).await?),
        None => None,
    };
    let children: Vec<Org> = match &root {
        Some(r) => org::children(&st.db, base, Some(r.id), false).await?.into_iter().map(|n| n.org).collect(),
        None => Vec::new(),
    };
    let layout = Layout::new(ctx, "切换查看范围", "").crumb("切换查看范围", None);
    let example = children.first().map_or_else(String::new, |c: &Org| format!("如 {} 或 {}", c.code, c.name));
    render(&SwitchPage { layout, root, children, current: ctx.session.current_org_id, form, example })
}

async fn switch(State(st): State<AppState>, ctx: Ctx, Form(f): Form<Vec<(String, String)>>) -> AppResult<Response> {
    may_switch(&ctx)?;
    let form = crate::form::Form::submitted(f);
    // `org_id` comes from the buttons; `org` is typed (a code is digits too, never an id).
    let target = form.value("org").trim().to_owned();
    let base = &ctx.session.base_scope;
    let found = if !form.value("all").is_empty() {
        Ok(None)
    } else if !form.value("org_id").is_empty() {
        Ok(Some(org::get(&st.db, base, params::id(form.value("org_id"), "组织")?).await?.id))
    } else if target.is_empty() {
        Err("请填写要切换到的组织代码或名称".to_owned())
    } else {
        match org::resolve_ref(&st.db, base, &target, false).await {
            Ok(o) => Ok(Some(o.id)),
            Err(StoreError::NotFound(_)) => Err(format!("在您的管理范围内没有找到“{target}”，请输入组织代码或全称")),
            Err(StoreError::Invalid(e)) => Err(e.into_iter().next().map(|e| e.message).unwrap_or_default()),
            Err(e) => return Err(e.into()),
        }
    };
    match found {
        Ok(org_id) => {
            sessions::switch_org(&st.db, &ctx.session, org_id).await?;
            Ok(Redirect::to("/").into_response())
        }
        Err(message) => {
            let mut form = form;
            form.add_errors(vec![FieldError { field: "org", message }]);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, switch_page(&st, &ctx, form).await?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "session/me.html")]
struct MePage {
    layout: Layout,
    person: Option<Person>,
    org: Option<Org>,
    phone: String,
    managing: Option<String>,
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
    let phone = person.as_ref().and_then(|p| p.phone.as_deref()).map(xuepei_domain::phone::display).unwrap_or_default();
    let managing = match person.as_ref().and_then(|p| p.managing_org_id) {
        Some(m) => org::authority(&st.db, base, m).await?.map(|c| c.name),
        None => None,
    };
    let layout = Layout::new(&ctx, "我的信息", "me").crumb("我的信息", None);
    render(&MePage { layout, person, org, phone, managing })
}
