//! The audit trail for the audit administrator: search, export, and verification of the
//! hash chain.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{Html, Response};
use chrono::{NaiveDate, Utc};
use serde_json::Value;
use xuepei_domain::accounts::{AccountRole, Perm};
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::{OrgKind, Sector};
use xuepei_domain::people::{Gender, RankLevel, Role};
use xuepei_store::audit::{self, AuditEntry, AuditFilter, TrailView, VerifyReport};

use super::send_export;
use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let audit = Access::Page(Perm::AUDIT_VIEW);
    // Exports are POSTs (with the form's CSRF token): a link elsewhere cannot make a
    // signed-in auditor export, and so write an audit entry in their name.
    r.menu(MenuEntry {
        group: MenuGroup::Admin,
        order: 20,
        key: "audit",
        label: "审计日志",
        href: "/admin/audit",
        visible: |can| can(Perm::AUDIT_VIEW),
    })
    .audit_labels(&[("export", "导出数据"), ("idcheck.outside", "范围外身份证号"), ("security.alert", "安全告警")])
    .get("/admin/audit", audit, search)
    .post("/admin/audit/export.xlsx", audit, export)
    .post("/admin/audit/verify", audit, verify)
}

/// Action codes and their Chinese names, for the filter and the table.
/// The label of an action code: its own, or that of a declared prefix (`token.`).
pub(crate) fn action_label(code: &str) -> &'static str {
    let actions = &crate::routes::rooms().actions;
    actions
        .iter()
        .find(|(c, _)| *c == code)
        .or_else(|| actions.iter().find(|(c, _)| c.ends_with('.') && code.starts_with(c)))
        .map(|(_, l)| *l)
        .unwrap_or("其他")
}

pub(crate) fn local(t: chrono::DateTime<Utc>) -> String {
    xuepei_domain::time::second(t)
}

/// A day in China as the instant it starts.
fn day_start(s: &str) -> Option<chrono::DateTime<Utc>> {
    xuepei_domain::time::day_start(NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?)
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
    /// The details before and after, field by field in Chinese.
    changes: Vec<Change>,
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
    export_action: String,
    verify: Option<VerifyReport>,
}

/// What the account reads of the trail: all of it for the audit administrator.
async fn trail(st: &AppState, ctx: &Ctx) -> AppResult<TrailView> {
    Ok(TrailView::of_account(&st.db, ctx.session.account.id, &ctx.scope).await?)
}

async fn list_page(st: &AppState, ctx: &Ctx, p: &Params, verify: Option<VerifyReport>) -> AppResult<Html<String>> {
    let f = filter(p);
    let before = params::num(p, "before");
    let view = trail(st, ctx).await?;
    let page = view.search(&st.db, &f, before, 50).await?;
    let total = view.count(&st.db, &f).await?;
    let rows = page
        .items
        .into_iter()
        .map(|e| Row {
            at: local(e.at),
            action: action_label(&e.action),
            changes: changes(&e.target_type, &e.action, e.before.as_deref(), e.after.as_deref()),
            e,
        })
        .collect();
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
        actions: crate::routes::rooms().actions.clone(),
        next_href: page.next.map(|n| format!("/admin/audit{}", query(p, Some(n)))),
        export_action: format!("/admin/audit/export.xlsx{}", query(p, None)),
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
    let (db, view) = (st.db.clone(), trail(&st, &ctx).await?);
    send_export(&st, &ctx, "审计日志", |path| async move { crate::exports::audit_xlsx(&db, view, &f, &path).await })
        .await
}

/// One field of an entry's details, before and after, as the auditor reads it.
pub(crate) struct Change {
    pub label: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub changed: bool,
}

/// The Chinese name of a detail field: as the target's room declared it, else the
/// foundation's; `target` tells a person's name from an organisation's.
fn field_label(target: &str, key: &str) -> String {
    if let Some((_, _, l)) = crate::routes::rooms().fields.iter().find(|(t, k, _)| *t == target && *k == key) {
        return (*l).to_owned();
    }
    let person = target == "person";
    let account = target == "account";
    match key {
        "id" => "编号",
        "name" if person => "姓名",
        "name" => "名称",
        "gender" => "性别",
        "birth_date" => "出生日期",
        "id_number" => "身份证号",
        "phone" => "联系电话",
        "party_joined_on" => "入党时间",
        "position" => "职务",
        "rank_level" => "职级",
        "roles" if account => "角色",
        "roles" => "班子职务",
        "ethnicity" => "民族",
        "native_place" => "籍贯",
        "education" => "学历",
        "degree" => "学位",
        "work_started_on" => "参加工作时间",
        "position_since" => "任现职时间",
        "org_id" if person => "所在党组织编号",
        "org_id" => "所在单位编号",
        "managing_org_id" | "authority_org_id" => "干部管理单位编号",
        "created_at" => "创建时间",
        "updated_at" => "修改时间",
        "code" => "组织代码",
        "short_name" => "简称",
        "kind" => "组织类别",
        "sector" => "所属领域",
        "parent_id" => "上级组织编号",
        "path" => "组织路径",
        "depth" => "层级",
        "active" if account => "启用",
        "active" => "有效（未撤销）",
        "person_count" => "直属人员数",
        "subtree_people" => "含下级人员数",
        "subtree_orgs" => "含下级组织数",
        "username" => "用户名",
        "display_name" => "姓名",
        "person_id" => "关联人员编号",
        "scope_org_id" => "管理范围组织编号",
        "must_change_password" => "须修改密码",
        "password_changed_at" => "密码修改时间",
        "failed_attempts" => "连续登录失败次数",
        "locked_until" => "锁定至",
        "last_login_at" => "最近登录时间",
        "prefix" => "令牌前缀",
        "can_write" => "可导入（读写）",
        "created_by" => "签发账号编号",
        "expires_at" => "有效期至",
        "revoked_at" => "吊销时间",
        "last_used_at" => "最近使用时间",
        "rows" => "行数",
        "what" => "内容",
        "source" => "来源",
        "inserted" => "新增人数",
        "updated" => "更新人数",
        "unchanged" => "未变化人数",
        "count" => "数量",
        "numbers" => "身份证号（部分）",
        "told" => "已告知在范围外登记",
        "today_total" => "今日累计",
        "daily_alert" => "每日告警阈值",
        "key" => "对象",
        "failures" => "失败次数",
        "until" => "截止时间",
        "account_id" => "账号编号",
        other => return format!("其他（{other}）"),
    }
    .to_owned()
}

/// A code as its Chinese name, for the fields that hold codes.
fn code_label(target: &str, key: &str, code: &str) -> Option<&'static str> {
    if let Some((.., name)) = crate::routes::rooms().codes.iter().find(|(t, k, _)| *t == target && *k == key) {
        return name(code);
    }
    match key {
        "gender" => Gender::from_code(code).map(Gender::label),
        "rank_level" => RankLevel::from_code(code).map(RankLevel::label),
        "kind" => OrgKind::from_code(code).map(OrgKind::label),
        "sector" => Sector::from_code(code).map(Sector::label),
        "roles" => {
            Role::from_code(code).map(Role::label).or_else(|| AccountRole::from_code(code).map(AccountRole::label))
        }
        _ => None,
    }
}

/// A detail value as the auditor reads it: names for codes, 是/否, times in China.
fn value_text(target: &str, key: &str, v: &Value) -> String {
    match v {
        Value::Null => "（空）".to_owned(),
        Value::Bool(b) => (if *b { "是" } else { "否" }).to_owned(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => {
            if let Some(l) = code_label(target, key, s) {
                l.to_owned()
            } else if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
                xuepei_domain::time::second(t.with_timezone(&Utc))
            } else {
                s.clone()
            }
        }
        Value::Array(items) if items.is_empty() => "（无）".to_owned(),
        Value::Array(items) => items.iter().map(|x| value_text(target, key, x)).collect::<Vec<_>>().join("、"),
        // A record referred to (a person, an organisation): its name first.
        Value::Object(m) => match (m.get("name").and_then(Value::as_str), m.get("id")) {
            (Some(name), Some(id)) => format!("{name}（编号{id}）"),
            (Some(name), None) => name.to_owned(),
            _ => m
                .iter()
                .map(|(k, x)| format!("{}：{}", field_label("", k), value_text("", k, x)))
                .collect::<Vec<_>>()
                .join("；"),
        },
    }
}

/// The fields of one side: an object's fields, or one value (a lock's time).
fn fields(target: &str, action: &str, json: Option<&str>) -> Vec<(String, String)> {
    let Some(v) = json.and_then(|j| serde_json::from_str::<Value>(j).ok()) else { return Vec::new() };
    match v {
        Value::Object(m) => m.iter().map(|(k, x)| (field_label(target, k), value_text(target, k, x))).collect(),
        other => {
            let label = if action.starts_with("account.lock") || action.starts_with("account.unlock") {
                "锁定至"
            } else {
                "内容"
            };
            vec![(label.to_owned(), value_text(target, "", &other))]
        }
    }
}

/// An entry's details field by field, before beside after, changed fields marked.
pub(crate) fn changes(target: &str, action: &str, before: Option<&str>, after: Option<&str>) -> Vec<Change> {
    let (b, a) = (fields(target, action, before), fields(target, action, after));
    let mut out: Vec<Change> = Vec::new();
    for (label, value) in b {
        out.push(Change { label, before: Some(value), after: None, changed: false });
    }
    for (label, value) in a {
        match out.iter_mut().find(|c| c.label == label && c.after.is_none()) {
            Some(c) => c.after = Some(value),
            None => out.push(Change { label, before: None, after: Some(value), changed: false }),
        }
    }
    let both = before.is_some() && after.is_some();
    for c in &mut out {
        c.changed = both && c.before != c.after;
    }
    out
}

/// One side of an entry's details as one line of text (the export's columns).
pub(crate) fn details_text(target: &str, action: &str, json: Option<&str>) -> Option<String> {
    json?;
    Some(fields(target, action, json).into_iter().map(|(k, v)| format!("{k}：{v}")).collect::<Vec<_>>().join("；"))
}
