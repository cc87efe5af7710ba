//! The audit trail for the audit administrator: search, export, and verification of the
//! hash chain.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use chrono::{NaiveDate, TimeZone, Utc};
use xuepei_domain::accounts::Perm;
use xuepei_store::audit::{self, AuditEntry, AuditFilter, VerifyReport};

use super::send_export;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let audit = Access::Page(Perm::ViewAudit);
    r.get("/admin/audit", audit, search).get("/admin/audit/export.xlsx", audit, export).post(
        "/admin/audit/verify",
        audit,
        verify,
    )
}

/// Action codes and their Chinese names, for the filter and the table.
pub const ACTIONS: [(&str, &str); 17] = [
    ("login", "登录"),
    ("login.failed", "登录失败"),
    ("logout", "退出"),
    ("account.", "账号管理"),
    ("account.locked", "账号锁定"),
    ("org.create", "新增组织"),
    ("org.update", "修改组织"),
    ("org.move", "移动组织"),
    ("org.deactivate", "撤销组织"),
    ("org.reactivate", "恢复组织"),
    ("org.import", "导入组织"),
    ("person.create", "登记人员"),
    ("person.update", "修改人员"),
    ("person.delete", "删除人员"),
    ("person.import", "导入人员"),
    ("export", "导出数据"),
    ("token.", "接口令牌"),
];

pub(crate) fn action_label(code: &str) -> &'static str {
    ACTIONS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l)
        .or_else(|| ACTIONS.iter().find(|(c, _)| c.ends_with('.') && code.starts_with(c)).map(|(_, l)| *l))
        .unwrap_or("其他")
}

pub(crate) fn local(t: chrono::DateTime<Utc>) -> String {
    (t + chrono::Duration::hours(8)).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// A day in China as the instant it starts.
fn day_start(s: &str) -> Option<chrono::DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    // Far years would overflow the arithmetic below (and mean nothing in an audit trail).
    if !(1900..=9999).contains(&chrono::Datelike::year(&d)) {
        return None;
    }
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?) - chrono::Duration::hours(8))
}

fn filter(p: &Params) -> AuditFilter {
    AuditFilter {
        username: params::text(p, "user").map(str::to_owned),
        action: params::text(p, "action").map(str::to_owned),
        from: params::text(p, "from").and_then(day_start),
        to: params::text(p, "to").and_then(day_start).map(|t| t + chrono::Duration::days(1)),
        ip: params::text(p, "ip").map(str::to_owned),
    }
}

fn query(p: &Params, before: Option<String>) -> String {
    params::query(&[
        ("user", params::text(p, "user").map(str::to_owned)),
        ("action", params::text(p, "action").map(str::to_owned)),
        ("from", params::text(p, "from").map(str::to_owned)),
        ("to", params::text(p, "to").map(str::to_owned)),
        ("ip", params::text(p, "ip").map(str::to_owned)),
        ("before", before),
    ])
}

struct Row {
    e: AuditEntry,
    at: String,
    action: &'static str,
}

#[derive(Template)]
#[template(path = "audit/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Row>,
    total: u64,
    user: String,
    action: String,
    from: String,
    to: String,
    ip: String,
    actions: Vec<(&'static str, &'static str)>,
    next_href: Option<String>,
    export_href: String,
    verify: Option<VerifyReport>,
}

async fn list_page(st: &AppState, ctx: &Ctx, p: &Params, verify: Option<VerifyReport>) -> AppResult<Html<String>> {
    let f = filter(p);
    let before = params::num(p, "before");
    let page = audit::search(&st.db, &ctx.scope, &f, before, 50).await?;
    let total = audit::count(&st.db, &ctx.scope, &f).await?;
    let rows = page.items.into_iter().map(|e| Row { at: local(e.at), action: action_label(&e.action), e }).collect();
    let text = |k: &str| params::text(p, k).unwrap_or_default().to_owned();
    render(&ListPage {
        layout: Layout::new(ctx, "审计日志", "audit").crumb("系统管理", None).crumb("审计日志", None),
        rows,
        total,
        user: text("user"),
        action: text("action"),
        from: text("from"),
        to: text("to"),
        ip: text("ip"),
        actions: ACTIONS.to_vec(),
        next_href: page.next.map(|n| format!("/admin/audit{}", query(p, Some(n)))),
        export_href: format!("/admin/audit/export.xlsx{}", query(p, None)),
        verify,
    })
}

async fn search(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    list_page(&st, &ctx, &p, None).await
}

async fn verify(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let report = audit::verify(&st.db).await?;
    list_page(&st, &ctx, &Params::new(), Some(report)).await
}

async fn export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let f = filter(&p);
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    send_export(&st, &ctx, "审计日志", |path| async move { crate::exports::audit_xlsx(&db, &scope, &f, &path).await })
        .await
}
