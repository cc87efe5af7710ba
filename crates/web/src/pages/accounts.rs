//! Account administration within the scope: the system administrator creates and edits
//! accounts (business roles only — the three administrator roles are made at the command
//! line); the security administrator locks, unlocks, resets passwords and ends sessions.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::{AccountRole, AccountRoles, Perm};
use xuepei_domain::labels::Labeled;
use xuepei_domain::validate::FieldError;
use xuepei_store::accounts::{self, Account, AccountChanges, NewAccount};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter, PersonSort};
use xuepei_store::{StoreError, Tx, org, sessions};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::pager::{Pager, Paging};
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::ACCOUNTS_VIEW);
    let manage = Access::Page(Perm::ACCOUNTS_EDIT);
    let security = Access::Page(Perm::SECURITY_EDIT);
    r.menu(MenuEntry {
        group: MenuGroup::Admin,
        order: 0,
        key: "accounts",
        label: "账号管理",
        href: "/admin/accounts",
        visible: |can| can(Perm::ACCOUNTS_VIEW),
    })
    .audit_labels(&[("account.", "账号管理"), ("account.locked", "账号锁定")])
    .get("/admin/accounts", view, list)
    .get("/admin/accounts/new", manage, new_form)
    .post("/admin/accounts", manage, create)
    .get("/admin/accounts/{id}", view, detail)
    .get("/admin/accounts/{id}/edit", manage, edit_form)
    .post("/admin/accounts/{id}", manage, update)
    .post("/admin/accounts/{id}/password", security, reset_password)
    .post("/admin/accounts/{id}/lock", security, lock)
    .post("/admin/accounts/{id}/unlock", security, unlock)
}

/// Roles an administrator may give in the interface (not the three administrator roles).
fn business_roles() -> Vec<(&'static str, &'static str)> {
    AccountRole::ALL.iter().filter(|r| !r.is_admin()).map(|r| (r.code(), r.label())).collect()
}

struct Row {
    account: Account,
    scope: String,
    locked: bool,
}

#[derive(Template)]
#[template(path = "accounts/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    q: String,
    can_manage: bool,
    total: u64,
    pager: Pager,
    /// Accounts over today's threshold of identity numbers registered outside their scope.
    alerts: Vec<xuepei_store::idchecks::Alert>,
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let q = params::text(&p, "q");
    let total = accounts::count(&st.db, &ctx.scope, q).await?;
    let paging = Paging::from(&p, 50).within(Some(total));
    let page = accounts::list(&st.db, &ctx.scope, q, paging.at, paging.limit()).await?;
    let pager = Pager::new("/admin/accounts", &p, &["q"], &paging, (page.prev.clone(), page.next.clone()), Some(total));
    let ids: Vec<i64> = page.items.iter().map(|a| a.scope_org_id).collect();
    let orgs = org::get_many(&st.db, &ctx.scope, &ids).await?;
    let now = chrono::Utc::now();
    let rows = page
        .items
        .into_iter()
        .map(|a| Row {
            scope: orgs.get(&a.scope_org_id).map(|o| o.display_name().to_owned()).unwrap_or_default(),
            locked: a.is_locked(now),
            account: a,
        })
        .collect();
    let layout =
        Layout::new(&ctx, "账号管理", "accounts").crumb("系统管理", None).crumb("账号管理", None).notice(notice(&p));
    let alerts = if ctx.session.account.roles.can(Perm::SECURITY_EDIT) {
        xuepei_store::idchecks::alerts_today(&st.db, &ctx.scope).await?
    } else {
        Vec::new()
    };
    render(&ListPage {
        layout,
        rows,
        q: q.unwrap_or_default().to_owned(),
        can_manage: ctx.session.account.roles.can(Perm::ACCOUNTS_EDIT),
        total,
        pager,
        alerts,
    })
}

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "账号已创建，请将用户名和初始密码告知本人，首次登录须修改密码",
            "updated" => "账号已保存",
            "locked" => "账号已锁定，其登录会话已全部结束",
            "unlocked" => "账号已解锁",
            _ => return None,
        }
        .to_owned(),
    )
}

#[derive(Template)]
#[template(path = "accounts/detail.html")]
struct DetailPage {
    layout: Layout,
    account: Account,
    org: String,
    scope: String,
    person: Option<String>,
    locked: bool,
    sessions: u64,
    can_manage: bool,
    can_secure: bool,
    /// Just reset: the first half of the temporary password, for the security administrator.
    temp_password: Option<String>,
    /// A reset awaiting its holder: the second half, for the system administrator.
    pending_half: Option<(String, String)>,
}

async fn detail_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    notice_text: Option<String>,
    temp_password: Option<String>,
) -> AppResult<Html<String>> {
    let a = accounts::get(&st.db, &ctx.scope, id).await?;
    let names = org::get_many(&st.db, &ctx.scope, &[a.org_id, a.scope_org_id]).await?;
    let person = match a.person_id {
        Some(pid) => {
            people::get(&st.db, &ctx.scope, pid).await.ok().map(|p| format!("{}（{}）", p.name, p.masked_id()))
        }
        None => None,
    };
    let roles = ctx.session.account.roles;
    // Only those who manage accounts (not the security administrator, who reset it) see
    // the second half.
    let pending_half = if roles.can(Perm::ACCOUNTS_EDIT) {
        accounts::pending_reset(&st.db, &ctx.scope, a.id)
            .await?
            .map(|r| (r.second_half, xuepei_domain::time::minute(r.created_at)))
    } else {
        None
    };
    let layout = Layout::new(ctx, a.username.clone(), "accounts")
        .crumb("账号管理", Some("/admin/accounts".into()))
        .crumb(a.username.clone(), None)
        .notice(notice_text);
    render(&DetailPage {
        org: names.get(&a.org_id).map(|o| o.name.clone()).unwrap_or_default(),
        scope: names.get(&a.scope_org_id).map(|o| o.name.clone()).unwrap_or_default(),
        person,
        locked: a.is_locked(chrono::Utc::now()),
        sessions: sessions::count_for(&st.db, a.id).await?,
        can_manage: roles.can(Perm::ACCOUNTS_EDIT) && !a.roles.has_admin(),
        can_secure: roles.can(Perm::SECURITY_EDIT),
        temp_password,
        pending_half,
        account: a,
        layout,
    })
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "账号")?;
    detail_page(&st, &ctx, id, notice(&p), None).await
}

#[derive(Template)]
#[template(path = "accounts/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    editing: bool,
    form: crate::form::Form,
    roles: Vec<(&'static str, &'static str)>,
}

fn form_page(ctx: &Ctx, editing: Option<i64>, form: crate::form::Form) -> AppResult<Html<String>> {
    let (title, action) = match editing {
        Some(id) => ("编辑账号".to_owned(), format!("/admin/accounts/{id}")),
        None => ("新建账号".to_owned(), "/admin/accounts".to_owned()),
    };
    let layout = Layout::new(ctx, title.clone(), "accounts")
        .crumb("账号管理", Some("/admin/accounts".into()))
        .crumb(title, None);
    render(&FormPage { layout, action, editing: editing.is_some(), form, roles: business_roles() })
}

async fn new_form(ctx: Ctx) -> AppResult<Html<String>> {
    let scope = ctx.scope.name().to_owned();
    form_page(&ctx, None, crate::form::Form::new().with("org", scope.clone()).with("scope", scope))
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "账号")?;
    let a = accounts::get(&st.db, &ctx.scope, id).await?;
    if a.roles.has_admin() {
        return Err(AppError::Forbidden("三员账号只能由服务器管理员用命令行调整".into()));
    }
    let names = org::get_many(&st.db, &ctx.scope, &[a.org_id, a.scope_org_id]).await?;
    let code = |i: i64| names.get(&i).map(|o| xuepei_domain::org::ref_text(&o.name, &o.code)).unwrap_or_default();
    let person = match a.person_id {
        Some(pid) => people::get(&st.db, &ctx.scope, pid).await.map(|p| p.id_number).unwrap_or_default(),
        None => String::new(),
    };
    let mut form = crate::form::Form::new()
        .with("username", a.username.clone())
        .with("display_name", a.display_name.clone())
        .with("org", code(a.org_id))
        .with("scope", code(a.scope_org_id))
        .with("person", person)
        .with("active", if a.active { "1" } else { "" });
    form.set_list("roles", a.roles.iter().map(|r| r.code().to_owned()).collect());
    form_page(&ctx, Some(id), form)
}

/// What the account form names, resolved within the scope.
struct Parsed {
    roles: AccountRoles,
    org_id: i64,
    scope_org_id: i64,
    person_id: Option<i64>,
}

/// Reads the form — repeated `roles`, organisations by code or name, a person by number —
/// and checks every field in one pass, so that one submit reports every problem.
async fn read_form(st: &AppState, ctx: &Ctx, form: &crate::form::Form, creating: bool) -> Result<Parsed, StoreError> {
    let mut errors = Vec::new();
    let get = |k: &str| form.value(k).trim().to_owned();
    if creating {
        // The password is checked even when the name is refused (against the name as typed).
        let name = match xuepei_domain::accounts::check_username(&get("username")) {
            Ok(u) => u,
            Err(m) => {
                errors.push(FieldError { field: "username", message: m });
                get("username").to_ascii_lowercase()
            }
        };
        if let Err(m) = xuepei_domain::accounts::check_password(form.value("password"), &name) {
            errors.push(FieldError { field: "password", message: m });
        }
    }
    if let Err(m) = xuepei_domain::org::check_text(form.value("display_name"), 30, true) {
        errors.push(FieldError { field: "display_name", message: m });
    }
    let mut roles = AccountRoles::default();
    for c in form.list("roles") {
        match AccountRole::from_code(c) {
            Some(r) if !r.is_admin() => roles.0 |= r.bit(),
            _ => errors.push(FieldError { field: "roles", message: "只能选择业务角色".into() }),
        }
    }
    if roles.is_empty() && !errors.iter().any(|e| e.field == "roles") {
        errors.push(FieldError { field: "roles", message: "请至少选择一个角色".into() });
    }
    let org_id = match org::resolve_ref(&st.db, &ctx.scope, &get("org"), false).await {
        Ok(o) => o.id,
        Err(_) => {
            errors.push(FieldError {
                field: "org", message: "请填写您管理范围内的所在单位（代码或名称）".into()
            });
            0
        }
    };
    let scope_org_id = match org::resolve_ref(&st.db, &ctx.scope, &get("scope"), false).await {
        Ok(o) => o.id,
        Err(_) => {
            errors.push(FieldError {
                field: "scope", message: "请填写您管理范围内的组织作为该账号的管理范围".into()
            });
            0
        }
    };
    let person_id = match get("person").as_str() {
        "" => None,
        number => {
            let f = PersonFilter { q: Some(number.to_owned()), ..Default::default() };
            let found = people::list(&st.db, &ctx.scope, &f, PersonSort::Org, At::First, 2)
                .await
                .map(|p| p.items)
                .unwrap_or_default();
            match found.as_slice() {
                [one] if one.person.id_number == xuepei_domain::text::compact(number).to_ascii_uppercase() => {
                    Some(one.person.id)
                }
                _ => {
                    errors
                        .push(FieldError {
                            field: "person", message: "未在您的管理范围内找到该身份证号的人员".into()
                        });
                    None
                }
            }
        }
    };
    if errors.is_empty() {
        Ok(Parsed { roles, org_id, scope_org_id, person_id })
    } else {
        Err(StoreError::Invalid(errors))
    }
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = match read_form(&st, &ctx, &form, true).await {
        Ok(p) => {
            let new = NewAccount {
                username: form.value("username").trim().to_owned(),
                display_name: form.value("display_name").trim().to_owned(),
                person_id: p.person_id,
                org_id: p.org_id,
                scope_org_id: p.scope_org_id,
                roles: p.roles,
                password: form.value("password").to_owned(),
                must_change_password: true,
            };
            accounts::create(&tx, &new).await
        }
        Err(e) => Err(e),
    };
    save_or_refuse(
        tx,
        result,
        form,
        |a| format!("/admin/accounts/{}?done=created", a.id),
        async |f| form_page(&ctx, None, f),
    )
    .await
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "账号")?;
    accounts::get(&st.db, &ctx.scope, id).await?;
    let form = crate::form::Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = match read_form(&st, &ctx, &form, false).await {
        Ok(p) => {
            let ch = AccountChanges {
                display_name: form.value("display_name").to_owned(),
                person_id: p.person_id,
                org_id: p.org_id,
                scope_org_id: p.scope_org_id,
                roles: p.roles,
                active: form.value("active") == "1",
            };
            accounts::update(&tx, id, &ch).await
        }
        Err(e) => Err(e),
    };
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/admin/accounts/{id}?done=updated"),
        async |f| form_page(&ctx, Some(id), f),
    )
    .await
}

async fn reset_password(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "账号")?;
    if id == ctx.session.account.id {
        return Err(AppError::BadRequest("不能重置自己的密码，请通过“修改密码”设置新密码".into()));
    }
    // 三员分立: the security administrator sees only the first half of the temporary
    // password; the system administrator hands over the second (docs/operations.md).
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let first_half = accounts::reset_password_split(&tx, id).await?;
    tx.commit().await?;
    detail_page(&st, &ctx, id, Some("密码已重置，其登录会话已全部结束".into()), Some(first_half)).await
}

async fn lock(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "账号")?;
    if id == ctx.session.account.id {
        return Err(AppError::BadRequest("不能锁定自己的账号".into()));
    }
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    accounts::set_lock(&tx, id, Some(accounts::indefinitely())).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/accounts/{id}?done=locked")).into_response())
}

async fn unlock(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "账号")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    accounts::set_lock(&tx, id, None).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/admin/accounts/{id}?done=unlocked")).into_response())
}
