//! Central study groups (理论学习中心组, seed 004; issue 13 item 2): the groups of the
//! scope with the year's sessions against their rules, a group's members and year, its
//! plans on their route to the approving body, its sessions with attendance and speeches,
//! research and annual study reports, the year's ledger (学习台账) printed or exported, and
//! the rules of how often groups study. Everything is read and written through
//! `xuepei_store::study_groups`, which keeps each record in its organisation's scope.

mod ledger;
mod plans;
mod reports;
mod sessions;

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form as AxForm, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Datelike;
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::{GroupRules, MemberRole};
use xuepei_domain::study::meetings::Period;
use xuepei_domain::validate::FieldError;
use xuepei_store::study_groups::ledger::Ledger;
use xuepei_store::study_groups::rules::{self, RuleRow};
use xuepei_store::study_groups::{self as store, Group, GroupFilter, GroupInput, GroupRow, PersonKey, PersonLabel};
use xuepei_store::{StoreError, Tx, org};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::form::{Form, save_or_refuse};
use crate::layout::Layout;
use crate::pager::{Pager, Paging};
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::STUDY_VIEW);
    let edit = Access::Page(Perm::STUDY_EDIT);
    let approve = Access::Page(Perm::STUDY_APPROVE);
    r.menu(MenuEntry {
        group: MenuGroup::Study,
        order: 20,
        key: "study_groups",
        label: "理论学习中心组",
        href: "/study/groups",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .menu(MenuEntry {
        group: MenuGroup::Study,
        order: 21,
        key: "study_plans_awaiting",
        label: "学习计划审批",
        href: "/study/plans/awaiting",
        visible: |can| can(Perm::STUDY_APPROVE),
    })
    .menu(MenuEntry {
        group: MenuGroup::Study,
        order: 22,
        key: "study_group_rules",
        label: "中心组学习规则",
        href: "/study/group-rules",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .audit_labels(&[
        ("study_group.create", "建立理论学习中心组"),
        ("study_group.update", "修改理论学习中心组"),
        ("study_group.rules", "设置中心组学习规则"),
        ("study_group.rules_remove", "删除中心组学习规则"),
        ("study_plan.create", "起草中心组学习计划"),
        ("study_plan.update", "修改中心组学习计划"),
        ("study_plan.submit", "报送中心组学习计划"),
        ("study_plan.return", "退回中心组学习计划"),
        ("study_plan.approve", "审批通过中心组学习计划"),
        ("study_plan.correct", "更正已审批的学习计划"),
        ("study_session.create", "登记中心组集中学习"),
        ("study_session.update", "修改中心组集中学习记录"),
        ("study_session.close", "封存中心组集中学习记录"),
        ("study_session.correct", "更正已封存的集中学习记录"),
        ("study_report.create", "登记调研报告或述学报告"),
        ("study_report.update", "修改调研报告或述学报告"),
    ])
    .get("/study/groups", view, list)
    .post("/study/groups", edit, create)
    .get("/study/groups/new", edit, new_form)
    .get("/study/groups/{id}", view, detail)
    .post("/study/groups/{id}", edit, update)
    .get("/study/groups/{id}/edit", edit, edit_form)
    .get("/study/groups/{id}/plans/new", edit, plans::new_form)
    .post("/study/groups/{id}/plans", edit, plans::create)
    .get("/study/plans/awaiting", approve, plans::awaiting)
    .get("/study/plans/{id}", view, plans::detail)
    .post("/study/plans/{id}", edit, plans::update)
    .get("/study/plans/{id}/edit", edit, plans::edit_form)
    .post("/study/plans/{id}/submit", edit, plans::submit)
    .post("/study/plans/{id}/return", approve, plans::send_back)
    .post("/study/plans/{id}/approve", approve, plans::approve)
    .get("/study/plans/{id}/correct", approve, plans::correct_form)
    .post("/study/plans/{id}/correct", approve, plans::correct)
    .get("/study/groups/{id}/sessions/new", edit, sessions::new_form)
    .post("/study/groups/{id}/sessions", edit, sessions::create)
    .get("/study/sessions/{id}", view, sessions::detail)
    .post("/study/sessions/{id}", edit, sessions::update)
    .get("/study/sessions/{id}/edit", edit, sessions::edit_form)
    .post("/study/sessions/{id}/close", edit, sessions::close)
    .get("/study/sessions/{id}/correct", approve, sessions::correct_form)
    .post("/study/sessions/{id}/correct", approve, sessions::correct)
    .get("/study/groups/{id}/reports/new", edit, reports::new_form)
    .post("/study/groups/{id}/reports", edit, reports::create)
    .get("/study/reports/{id}", view, reports::detail)
    .post("/study/reports/{id}", edit, reports::update)
    .get("/study/reports/{id}/edit", edit, reports::edit_form)
    .get("/study/groups/{id}/ledger", view, ledger::page)
    .post("/study/groups/{id}/ledger/export", view, ledger::export)
    .get("/study/group-rules", view, rules_list)
    .post("/study/group-rules", approve, set_rules)
    .post("/study/group-rules/{id}/delete", approve, remove_rules)
}

const PAGE_SIZE: u64 = 20;
const FILTER_KEYS: [&str; 3] = ["org", "year", "month"];

pub(super) fn can(ctx: &Ctx, p: Perm) -> bool {
    ctx.session.account.roles.can(p)
}

/// Years a group's page offers, newest first: this year and the four before it (a year not
/// begun has nothing to show).
pub(super) fn offered_years() -> Vec<i32> {
    let now = this_year();
    (now - 4..=now).rev().collect()
}

/// For templates (which pass references): whether a rate falls short of the rules.
pub(crate) fn below(rate: &Option<f64>, rules: &GroupRules) -> bool {
    xuepei_domain::study::groups::below_threshold(*rate, *rules)
}

/// For templates: a time to the minute, or a dash.
pub(crate) fn at(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(xuepei_domain::time::minute).unwrap_or_else(|| "—".into())
}

pub(super) fn this_year() -> i32 {
    xuepei_domain::time::today().year()
}

/// A person's name with their position, for pickers.
pub(super) fn person_text(p: &PersonLabel) -> String {
    match p.position.as_deref().filter(|s| !s.is_empty()) {
        Some(pos) => format!("{}（{pos}）", p.name),
        None => p.name.clone(),
    }
}

/// The group's people for a select, each with their place in the group.
pub(super) fn member_options(g: &Group) -> Vec<(String, String)> {
    g.members.iter().map(|m| (m.person.id.to_string(), format!("{}（{}）", m.person.name, m.role.label()))).collect()
}

/// A person chosen from a list (ids only).
pub(super) fn person_id(text: &str) -> Option<PersonKey> {
    text.trim().parse::<i64>().ok().filter(|v| *v > 0).map(PersonKey::Id)
}

/// The store's answer to a write made although the form itself refused something: the
/// form's refusals and the store's (each field once), so that every mistake shows at once.
/// The write is rolled back with the transaction.
pub(super) fn merged<T>(errs: Vec<FieldError>, result: Result<T, StoreError>) -> Result<T, StoreError> {
    if errs.is_empty() {
        return result;
    }
    let mut all = errs;
    match result {
        Ok(_) => {}
        Err(StoreError::Invalid(more)) => {
            let more: Vec<FieldError> = more.into_iter().filter(|m| !all.iter().any(|e| e.field == m.field)).collect();
            all.extend(more);
        }
        Err(other) => return Err(other),
    }
    Err(StoreError::Invalid(all))
}

/// Runs a step that is not a form (submit, close): done, or the store's refusal as the
/// usual error page.
pub(super) async fn step<T>(
    st: &AppState,
    ctx: &Ctx,
    done: String,
    write: impl AsyncFnOnce(&Tx) -> Result<T, StoreError>,
) -> AppResult<Response> {
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match write(&tx).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&done).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "理论学习中心组已建立",
            "updated" => "中心组信息已保存",
            "rules" => "中心组学习规则已保存，本单位及下级中心组按新规则统计",
            "rules_removed" => "本单位学习规则已删除，改按上级或默认规则统计",
            _ => return None,
        }
        .to_owned(),
    )
}

// ---------------------------------------------------------------------------------------
// The groups list.

#[derive(Template)]
#[template(path = "study_groups/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<GroupRow>,
    can_edit: bool,
    pager: Pager,
    org: String,
    year: String,
    month: String,
    period: String,
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let paging = Paging::from(&p, PAGE_SIZE);
    let year = crate::pages::meetings::view_year(&p)?.unwrap_or_else(this_year);
    let month = crate::pages::meetings::view_month(&p)?;
    let period = Period::new(year, month).map_err(AppError::BadRequest)?;
    let unknown_org = crate::pages::meetings::view_org(&st, &ctx, &p).await?.err();
    let f = GroupFilter { org: params::text(&p, "org").map(str::to_owned) };
    let page = store::list(&st.db, &ctx.scope, &f, period, paging.at, paging.limit()).await?;
    let layout = Layout::new(&ctx, "理论学习中心组", "study_groups")
        .crumb("理论学习", None)
        .crumb("理论学习中心组", None)
        .notice(unknown_org.or_else(|| notice(&p)));
    render(&ListPage {
        layout,
        rows: page.items,
        can_edit: can(&ctx, Perm::STUDY_EDIT),
        pager: Pager::new("/study/groups", &p, &FILTER_KEYS, &paging, (page.prev, page.next), None),
        org: params::text(&p, "org").unwrap_or_default().to_owned(),
        year: year.to_string(),
        month: month.map(|m| m.to_string()).unwrap_or_default(),
        period: period.label(),
    })
}

// ---------------------------------------------------------------------------------------
// A group's page: members and the year.

#[derive(Template)]
#[template(path = "study_groups/detail.html")]
struct DetailPage {
    layout: Layout,
    l: Ledger,
    can_edit: bool,
    years: Vec<i32>,
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "理论学习中心组")?;
    let year = crate::pages::meetings::view_year(&p)?.unwrap_or_else(this_year);
    let l = xuepei_store::study_groups::ledger::ledger(&st.db, &ctx.scope, id, year).await?;
    let layout = Layout::new(&ctx, l.group.name.clone(), "study_groups")
        .crumb("理论学习中心组", Some("/study/groups".into()))
        .crumb(l.group.name.clone(), None)
        .notice(notice(&p));
    render(&DetailPage { layout, l, can_edit: can(&ctx, Perm::STUDY_EDIT), years: offered_years() })
}

// ---------------------------------------------------------------------------------------
// Setting up and changing a group.

/// A person of the organisation as the form lists them: id, label, role code chosen.
struct PersonRow {
    id: String,
    label: String,
    role: String,
}

#[derive(Template)]
#[template(path = "study_groups/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: Form,
    org_name: String,
    org_code: String,
    people: Vec<PersonRow>,
    roles: Vec<(&'static str, &'static str)>,
    choose_org: bool,
    cancel_href: String,
}

/// The organisation a new group is set up for: `org` (a code in the scope) or the scope's
/// own organisation.
async fn form_org(st: &AppState, ctx: &Ctx, code: Option<&str>) -> AppResult<org::Org> {
    match code {
        Some(c) => Ok(org::get_by_code(&st.db, &ctx.scope, c).await?),
        None => match ctx.scope.root_org_id() {
            Some(id) => Ok(org::get(&st.db, &ctx.scope, id).await?),
            None => Err(AppError::BadRequest("请先填写中心组所在单位（组织代码）".into())),
        },
    }
}

async fn form_page(
    st: &AppState,
    ctx: &Ctx,
    editing: Option<i64>,
    o: &org::Org,
    form: Form,
) -> AppResult<Html<String>> {
    let (title, action, cancel) = match editing {
        None => ("建立理论学习中心组".to_owned(), "/study/groups".to_owned(), "/study/groups".to_owned()),
        Some(id) => ("修改理论学习中心组".to_owned(), format!("/study/groups/{id}"), format!("/study/groups/{id}")),
    };
    let layout = Layout::new(ctx, title.clone(), "study_groups")
        .crumb("理论学习中心组", Some("/study/groups".into()))
        .crumb(title, None);
    let chosen: HashMap<String, String> =
        form.rows(&["member_person", "member_role"]).into_iter().map(|r| (r[0].clone(), r[1].clone())).collect();
    let people = xuepei_store::meetings::people_of(&st.db, &ctx.scope, o.id)
        .await?
        .iter()
        .map(|p| PersonRow {
            id: p.id.to_string(),
            label: person_text(p),
            role: chosen.get(&p.id.to_string()).cloned().unwrap_or_default(),
        })
        .collect();
    render(&FormPage {
        layout,
        action,
        form,
        org_name: o.display_name().to_owned(),
        org_code: o.code.clone(),
        people,
        roles: params::options::<MemberRole>(),
        choose_org: editing.is_none(),
        cancel_href: cancel,
    })
}

/// The code of the body above an organisation (the approving body by default). The
/// organisation is in the scope; when the body above it is not, the field is left empty
/// and the store takes the body above.
async fn parent_code(st: &AppState, ctx: &Ctx, o: &org::Org) -> AppResult<String> {
    Ok(match o.parent_id {
        Some(p) => org::get(&st.db, &ctx.scope, p).await.map(|x| x.code).unwrap_or_default(),
        None => o.code.clone(),
    })
}

async fn new_form(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let o = form_org(&st, &ctx, params::text(&p, "org")).await?;
    let form = Form::new().with("org", o.code.clone()).with("approver", parent_code(&st, &ctx, &o).await?);
    form_page(&st, &ctx, None, &o, form).await
}

fn form_of(g: &Group) -> Form {
    let mut form = Form::new()
        .with("org", g.org.code.clone())
        .with("name", g.name.clone())
        .with("approver", g.approver.code.clone());
    let rows: Vec<Vec<String>> =
        g.members.iter().map(|m| vec![m.person.id.to_string(), m.role.code().to_owned()]).collect();
    form.set_rows(&["member_person", "member_role"], &rows);
    form
}

fn input_of(form: &Form) -> (GroupInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let mut members = Vec::new();
    for r in form.rows(&["member_person", "member_role"]) {
        if r[1].is_empty() {
            continue;
        }
        match person_id(&r[0]) {
            Some(k) => members.push((k, r[1].clone())),
            None => errs.push(FieldError { field: "members", message: "请从列表中选择中心组人员".into() }),
        }
    }
    let input = GroupInput {
        org: form.value("org").to_owned(),
        name: form.value("name").to_owned(),
        approver: form.value("approver").to_owned(),
        members,
    };
    (input, errs)
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = Form::submitted(fields);
    let o = form_org(&st, &ctx, Some(form.value("org")).filter(|s| !s.trim().is_empty())).await?;
    let (input, errs) = input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = merged(errs, store::create(&tx, &input).await);
    save_or_refuse(
        tx,
        result,
        form,
        |g| format!("/study/groups/{}?done=created", g.id),
        async |f| form_page(&st, &ctx, None, &o, f).await,
    )
    .await
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "理论学习中心组")?;
    let g = store::get(&st.db, &ctx.scope, id).await?;
    let o = org::get(&st.db, &ctx.scope, g.org.id).await?;
    form_page(&st, &ctx, Some(id), &o, form_of(&g)).await
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "理论学习中心组")?;
    let g = store::get(&st.db, &ctx.scope, id).await?;
    let o = org::get(&st.db, &ctx.scope, g.org.id).await?;
    let mut form = Form::submitted(fields);
    // The organisation stays the group's own, whatever was posted.
    form.set("org", g.org.code.clone());
    let (input, errs) = input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = merged(errs, store::update(&tx, id, &input).await);
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/study/groups/{id}?done=updated"),
        async |f| form_page(&st, &ctx, Some(id), &o, f).await,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// The rules: how often groups study and the least attendance.

#[derive(Template)]
#[template(path = "study_groups/rules.html")]
struct RulesPage {
    layout: Layout,
    rows: Vec<RuleRow>,
    in_force: GroupRules,
    own_name: Option<String>,
    can_approve: bool,
    form: Form,
}

async fn rules_page(st: &AppState, ctx: &Ctx, form: Form, notice: Option<String>) -> AppResult<Html<String>> {
    let rows = rules::list(&st.db, &ctx.scope).await?;
    let in_force = rules::for_path(&st.db, ctx.scope.root_path().unwrap_or("/")).await?;
    let own_name = match ctx.scope.root_org_id() {
        Some(id) => Some(org::get(&st.db, &ctx.scope, id).await?.display_name().to_owned()),
        None => None,
    };
    let layout = Layout::new(ctx, "中心组学习规则", "study_group_rules")
        .crumb("理论学习", None)
        .crumb("中心组学习规则", None)
        .notice(notice);
    render(&RulesPage { layout, rows, in_force, own_name, can_approve: can(ctx, Perm::STUDY_APPROVE), form })
}

async fn rules_list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let r = rules::for_path(&st.db, ctx.scope.root_path().unwrap_or("/")).await?;
    let form = Form::new()
        .with("sessions_per_year", r.sessions_per_year.to_string())
        .with("thematic_per_year", r.thematic_per_year.to_string())
        .with("attendance_min", r.attendance_min.to_string());
    rules_page(&st, &ctx, form, notice(&p)).await
}

/// A whole number typed in a field of the rules form.
fn number(form: &Form, key: &'static str, what: &str, errs: &mut Vec<FieldError>) -> u32 {
    let t = xuepei_domain::text::to_halfwidth(form.value(key).trim());
    match t.parse::<u32>() {
        Ok(n) => n,
        Err(_) => {
            errs.push(FieldError {
                field: key,
                message: if t.is_empty() {
                    format!("请填写{what}")
                } else {
                    format!("{what}“{}”不是整数，请填写数字，如12", form.value(key).trim())
                },
            });
            0
        }
    }
}

async fn set_rules(
    State(st): State<AppState>,
    ctx: Ctx,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = Form::submitted(fields);
    let Some(root) = ctx.scope.root_org_id() else {
        return Err(AppError::Forbidden("请先切换到一个单位，再设置该单位的中心组学习规则".into()));
    };
    let o = org::get(&st.db, &ctx.scope, root).await?;
    let mut errs = Vec::new();
    let r = GroupRules {
        sessions_per_year: number(&form, "sessions_per_year", "每年集中学习次数", &mut errs),
        thematic_per_year: number(&form, "thematic_per_year", "其中专题研讨次数", &mut errs),
        attendance_min: number(&form, "attendance_min", "出勤率下限", &mut errs),
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = if errs.is_empty() {
        rules::set(&tx, &o.code, r).await.map(|_| ())
    } else {
        // The numbers that parsed are checked too, so that every problem shows at once.
        let more = r.check().into_iter().map(|(field, m)| FieldError { field, message: m }).collect();
        merged::<()>(errs, Err(StoreError::Invalid(more)))
    };
    save_or_refuse(
        tx,
        result,
        form,
        |_| "/study/group-rules?done=rules".into(),
        async |f| rules_page(&st, &ctx, f, None).await,
    )
    .await
}

async fn remove_rules(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "学习规则")?;
    step(&st, &ctx, "/study/group-rules?done=rules_removed".into(), async |tx| rules::remove(tx, id).await).await
}
