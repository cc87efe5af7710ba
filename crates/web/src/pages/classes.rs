//! Classes (班次管理): the list of those the scope organises, delivers or sends trainees
//! to; the form that creates or changes one with its allocations and target group; its
//! details with the timetable; the session forms; the printable timetable (课程表).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::Sector;
use xuepei_domain::people::{RankLevel, Role};
use xuepei_domain::training::rules::TargetFilter;
use xuepei_domain::training::{ClassLevel, Hours, SessionSlot, TeachingMode};
use xuepei_domain::validate::FieldError;
use xuepei_store::classes::sessions::{self, Session, SessionInput};
use xuepei_store::classes::{
    self, Class, ClassAccess, ClassFilter, ClassInput, ClassStatus, InstitutionKind, instructors, venues,
};
use xuepei_store::{StoreError, Tx, campaigns, org};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::pager::{Pager, Paging};
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

use super::campaigns::{parse_codes, parse_date};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::TRAINING_VIEW);
    let edit = Access::Page(Perm::TRAINING_EDIT);
    r.menu(MenuEntry {
        group: MenuGroup::Training,
        order: 20,
        key: "classes",
        label: "班次管理",
        href: "/classes",
        visible: |can| can(Perm::TRAINING_VIEW),
    })
    .audit_labels(&[
        ("class.create", "新建班次"),
        ("class.update", "修改班次"),
        ("class.delete", "删除班次"),
        ("class.session.add", "新增课程安排"),
        ("class.session.update", "修改课程安排"),
        ("class.session.delete", "删除课程安排"),
    ])
    .get("/classes", view, list)
    .post("/classes", edit, create)
    .get("/classes/new", edit, new_form)
    .get("/classes/{id}", view, detail)
    .post("/classes/{id}", edit, update)
    .get("/classes/{id}/edit", edit, edit_form)
    .post("/classes/{id}/delete", edit, delete)
    .get("/classes/{id}/timetable", view, timetable)
    .post("/classes/{id}/timetable.xlsx", view, timetable_xlsx)
    // The delivering institution's accounts (view only elsewhere) keep the timetable:
    // the handlers check the class's access.
    .get("/classes/{id}/sessions/new", view, new_session_form)
    .post("/classes/{id}/sessions", view, add_session)
    .get("/classes/{id}/sessions/{sid}/edit", view, edit_session_form)
    .post("/classes/{id}/sessions/{sid}", view, update_session)
    .post("/classes/{id}/sessions/{sid}/delete", view, delete_session)
}

const PAGE_SIZE: u64 = 20;

/// Writes through `write` when the form parsed; otherwise reports the form's and the
/// store's problems together, writing nothing.
pub(crate) async fn checked_class<T>(
    tx: &Tx,
    input: &ClassInput,
    errs: Vec<FieldError>,
    write: impl AsyncFnOnce(&Tx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if errs.is_empty() {
        return write(tx).await;
    }
    merge(errs, classes::check(tx.conn(), tx.scope(), input).await)
}

/// The same for a session of a class.
pub(crate) async fn checked_session<T>(
    tx: &Tx,
    class_id: i64,
    input: &SessionInput,
    errs: Vec<FieldError>,
    write: impl AsyncFnOnce(&Tx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if errs.is_empty() {
        return write(tx).await;
    }
    merge(errs, sessions::check(tx.conn(), tx.scope(), class_id, input).await)
}

fn merge<T>(errs: Vec<FieldError>, store: Result<(), StoreError>) -> Result<T, StoreError> {
    let mut all = errs;
    match store {
        Ok(()) => {}
        Err(StoreError::Invalid(more)) => {
            all.extend(more.into_iter().filter(|m| !all.iter().any(|e| e.field == m.field)).collect::<Vec<_>>())
        }
        Err(other) => return Err(other),
    }
    Err(StoreError::Invalid(all))
}

/// A whole number typed in a form; empty is `None`.
fn parse_int(field: &'static str, label: &str, text: &str, errs: &mut Vec<FieldError>) -> Option<i64> {
    let t = xuepei_domain::text::to_halfwidth(text.trim());
    if t.is_empty() {
        return None;
    }
    t.parse().ok().or_else(|| {
        errs.push(FieldError { field, message: format!("{label}“{}”应为整数", text.trim()) });
        None
    })
}

/// The target group in words.
pub(crate) fn group_line(t: &TargetFilter) -> String {
    let join = |v: Vec<&str>| if v.is_empty() { "不限".to_owned() } else { v.join("、") };
    format!(
        "领域：{}；班子职务：{}；职级：{}",
        join(t.sectors.iter().map(|s| s.label()).collect()),
        join(t.roles.iter().map(|s| s.label()).collect()),
        join(t.rank_levels.iter().map(|s| s.label()).collect())
    )
}

fn can_edit(ctx: &Ctx) -> bool {
    ctx.session.account.roles.can(Perm::TRAINING_EDIT)
}

/// Whether the account may keep the class's timetable: organiser staff, or the delivering
/// institution's accounts.
fn can_keep_timetable(ctx: &Ctx, c: &Class) -> bool {
    match c.access(&ctx.scope) {
        ClassAccess::Manage => can_edit(ctx),
        ClassAccess::Deliver => true,
        ClassAccess::Send => false,
    }
}

#[derive(Template)]
#[template(path = "classes/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<Class>,
    can_edit: bool,
    campaigns: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    levels: Vec<(&'static str, &'static str)>,
    campaign: String,
    status: String,
    level: String,
    pager: Pager,
}

async fn campaign_options(st: &AppState, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    let page = campaigns::list(&st.db, &ctx.scope, xuepei_store::page::At::First, 200).await?;
    Ok(page.items.into_iter().map(|c| (c.id.to_string(), c.title)).collect())
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let paging = Paging::from(&p, PAGE_SIZE);
    let filter = ClassFilter {
        campaign_id: params::num(&p, "campaign").filter(|v| *v > 0),
        status: params::labeled::<ClassStatus>(&p, "status"),
        level: params::labeled::<ClassLevel>(&p, "level"),
    };
    let page = classes::list(&st.db, &ctx.scope, &filter, paging.at, paging.limit()).await?;
    let layout =
        Layout::new(&ctx, "班次管理", "classes").crumb("教育培训", None).crumb("班次管理", None).notice(notice(&p));
    render(&ListPage {
        layout,
        rows: page.items,
        can_edit: can_edit(&ctx),
        campaigns: campaign_options(&st, &ctx).await?,
        statuses: params::options::<ClassStatus>(),
        levels: params::options::<ClassLevel>(),
        campaign: filter.campaign_id.map(|v| v.to_string()).unwrap_or_default(),
        status: filter.status.map(|v| v.code().to_owned()).unwrap_or_default(),
        level: filter.level.map(|v| v.code().to_owned()).unwrap_or_default(),
        pager: Pager::new("/classes", &p, &["campaign", "status", "level"], &paging, (page.prev, page.next), None),
    })
}

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "班次已新建，请安排课程表",
            "updated" => "班次已保存",
            "deleted" => "班次已删除",
            "session" => "课程安排已保存",
            "session_deleted" => "课程安排已删除",
            _ => return None,
        }
        .to_owned(),
    )
}

/// One row of the timetable as the pages show it.
pub struct SessionRow {
    pub s: Session,
    pub weekday: &'static str,
}

fn weekday(d: NaiveDate) -> &'static str {
    use chrono::Datelike;
    ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"][d.weekday().num_days_from_monday() as usize]
}

fn rows_of(list: Vec<Session>) -> Vec<SessionRow> {
    list.into_iter().map(|s| SessionRow { weekday: weekday(s.date), s }).collect()
}

#[derive(Template)]
#[template(path = "classes/detail.html")]
struct DetailPage {
    layout: Layout,
    c: Class,
    can_manage: bool,
    /// The organiser's money: kept after the class closes, when expenses are settled.
    can_fund: bool,
    can_timetable: bool,
    /// Completed, and the scope organises or delivers it: its certificates.
    can_certify: bool,
    access: &'static str,
    group: String,
    /// Each allocation: organisation, places, places used.
    allocations: Vec<(String, i64, i64)>,
    sessions: Vec<SessionRow>,
    total_hours: Hours,
}

fn access_label(a: ClassAccess) -> &'static str {
    match a {
        ClassAccess::Manage => "本单位主办",
        ClassAccess::Deliver => "本单位承办",
        ClassAccess::Send => "本单位派员参训（只显示本单位的名额和学员）",
    }
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    let c = classes::get(&st.db, &ctx.scope, id).await?;
    let list = sessions::list(&st.db, &ctx.scope, id).await?;
    let total_hours = list.iter().map(|s| s.hours).sum();
    let layout = Layout::new(&ctx, c.title.clone(), "classes")
        .crumb("班次管理", Some("/classes".into()))
        .crumb(c.title.clone(), None)
        .notice(notice(&p));
    let access = c.access(&ctx.scope);
    let used = classes::allocation_usage(&st.db, &c).await?;
    let allocations = c.allocations.iter().zip(used).map(|(a, n)| (a.org.name.clone(), a.places, n)).collect();
    render(&DetailPage {
        allocations,
        layout,
        can_manage: access == ClassAccess::Manage && can_edit(&ctx) && c.status == ClassStatus::Open,
        can_fund: access == ClassAccess::Manage && can_edit(&ctx),
        can_timetable: can_keep_timetable(&ctx, &c) && c.status == ClassStatus::Open,
        can_certify: c.status == ClassStatus::Completed && c.deliverable_by(&ctx.scope),
        access: access_label(access),
        group: group_line(&c.target_group),
        sessions: rows_of(list),
        total_hours,
        c,
    })
}

#[derive(Template)]
#[template(path = "classes/timetable.html")]
struct TimetablePage {
    layout: Layout,
    c: Class,
    sessions: Vec<SessionRow>,
    total_hours: Hours,
}

async fn timetable(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    let c = classes::get(&st.db, &ctx.scope, id).await?;
    let list = sessions::list(&st.db, &ctx.scope, id).await?;
    let total_hours = list.iter().map(|s| s.hours).sum();
    let layout = Layout::new(&ctx, format!("{}课程表", c.title), "classes");
    render(&TimetablePage { layout, c, sessions: rows_of(list), total_hours })
}

const TIMETABLE_COLUMNS: [xuepei_office::write::Column; 8] = [
    xuepei_office::write::Column { header: "日期", width: 12.0 },
    xuepei_office::write::Column { header: "星期", width: 8.0 },
    xuepei_office::write::Column { header: "时间", width: 16.0 },
    xuepei_office::write::Column { header: "课程专题", width: 40.0 },
    xuepei_office::write::Column { header: "教学方式", width: 12.0 },
    xuepei_office::write::Column { header: "授课教师", width: 14.0 },
    xuepei_office::write::Column { header: "地点", width: 24.0 },
    xuepei_office::write::Column { header: "学时", width: 8.0 },
];

/// The timetable as Excel, as the print page shows it.
async fn timetable_xlsx(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    use xuepei_office::write::Cell;
    let id = params::id(&id, "班次")?;
    // Refused before the file starts when the class is not visible.
    let c = classes::get(&st.db, &ctx.scope, id).await?;
    let list = sessions::list(&st.db, &ctx.scope, id).await?;
    let title = format!("{}课程表", c.title);
    super::send_export(&st, &ctx, "课程表", |path| async move {
        let (tx, handle) = crate::exports::write_in_background(path, "课程表", title, &TIMETABLE_COLUMNS).await;
        let batch: Vec<Vec<Cell>> = rows_of(list)
            .into_iter()
            .map(|r| {
                let name = |p: &Option<sessions::PoolRef>| p.as_ref().map_or(String::new(), |p| p.name.clone());
                vec![
                    r.s.date.format("%Y-%m-%d").to_string().into(),
                    r.weekday.into(),
                    format!("{} {}–{}", r.s.slot.label(), r.s.starts(), r.s.ends()).into(),
                    r.s.topic.clone().into(),
                    r.s.mode.label().into(),
                    name(&r.s.instructor).into(),
                    name(&r.s.venue).into(),
                    Cell::Number(r.s.hours.as_f64()),
                ]
            })
            .collect();
        let _ = tx.send(batch).await;
        crate::exports::finish(tx, handle).await
    })
    .await
}

#[derive(Template)]
#[template(path = "classes/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: crate::form::Form,
    campaigns: Vec<(String, String)>,
    levels: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    sectors: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    ranks: Vec<(&'static str, &'static str)>,
    allocations: Vec<(String, String)>,
    cancel_href: String,
}

async fn form_page(
    st: &AppState,
    ctx: &Ctx,
    editing: Option<&Class>,
    form: crate::form::Form,
) -> AppResult<Html<String>> {
    let (title, action, cancel) = match editing {
        Some(c) => (format!("编辑：{}", c.title), format!("/classes/{}", c.id), format!("/classes/{}", c.id)),
        None => ("新建班次".to_owned(), "/classes".to_owned(), "/classes".to_owned()),
    };
    let layout =
        Layout::new(ctx, title.clone(), "classes").crumb("班次管理", Some("/classes".into())).crumb(title, None);
    // The rows typed (or stored), then blank rows to add more.
    let orgs = form.list("alloc_org");
    let places = form.list("alloc_places");
    let mut allocations: Vec<(String, String)> = orgs
        .iter()
        .enumerate()
        .filter(|(i, o)| !o.trim().is_empty() || places.get(*i).is_some_and(|p| !p.trim().is_empty()))
        .map(|(i, o)| (o.clone(), places.get(i).cloned().unwrap_or_default()))
        .collect();
    let blanks = if allocations.len() < 3 { 5 - allocations.len() } else { 2 };
    allocations.extend(std::iter::repeat_n((String::new(), String::new()), blanks));
    render(&FormPage {
        layout,
        action,
        form,
        campaigns: campaign_options(st, ctx).await?,
        levels: params::options::<ClassLevel>(),
        kinds: params::options::<InstitutionKind>(),
        sectors: params::options::<Sector>(),
        roles: params::options::<Role>(),
        ranks: params::options::<RankLevel>(),
        allocations,
        cancel_href: cancel,
    })
}

fn form_of(c: &Class) -> crate::form::Form {
    let mut form = crate::form::Form::new()
        .with("campaign_id", c.campaign_id.map(|v| v.to_string()).unwrap_or_default())
        .with("title", c.title.clone())
        .with("organiser", c.organiser.code.clone())
        .with("level", c.level.code())
        .with("institution", c.institution.clone().unwrap_or_default())
        .with("institution_kind", c.institution_kind.code())
        .with("institution_org", c.institution_org.as_ref().map(|o| o.code.clone()).unwrap_or_default())
        .with("start", c.start_on.to_string())
        .with("end", c.end_on.to_string())
        .with("capacity", c.capacity.to_string())
        .with("head_teacher", c.head_teacher.clone().unwrap_or_default())
        .with("max_leave", c.max_leave.to_string())
        .with("checkin_before_min", c.checkin_before_min.to_string())
        .with("checkin_after_min", c.checkin_after_min.to_string());
    form.set_list("sectors", c.target_group.sectors.iter().map(|s| s.code().to_owned()).collect());
    form.set_list("roles", c.target_group.roles.iter().map(|s| s.code().to_owned()).collect());
    form.set_list("rank_levels", c.target_group.rank_levels.iter().map(|s| s.code().to_owned()).collect());
    form.set_list("alloc_org", c.allocations.iter().map(|a| a.org.code.clone()).collect());
    form.set_list("alloc_places", c.allocations.iter().map(|a| a.places.to_string()).collect());
    form
}

async fn new_form(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let mut form = crate::form::Form::new()
        .with("institution_kind", InstitutionKind::PartySchool.code())
        .with("checkin_before_min", "30")
        .with("checkin_after_min", "30");
    if let Some(root) = ctx.scope.root_org_id() {
        form.set("organiser", org::get(&st.db, &ctx.scope, root).await?.code);
    }
    if let Some(c) = params::num(&p, "campaign_id") {
        let campaign = campaigns::get(&st.db, &ctx.scope, c).await?;
        form.set("campaign_id", campaign.id.to_string());
        form.set("max_leave", campaign.rules.max_leave_fraction.to_string());
        form.set_list("sectors", campaign.target.sectors.iter().map(|s| s.code().to_owned()).collect());
        form.set_list("roles", campaign.target.roles.iter().map(|s| s.code().to_owned()).collect());
        form.set_list("rank_levels", campaign.target.rank_levels.iter().map(|s| s.code().to_owned()).collect());
    }
    form_page(&st, &ctx, None, form).await
}

/// A class this scope organises; one it only sees is refused.
async fn manageable(st: &AppState, ctx: &Ctx, id: i64) -> AppResult<Class> {
    let c = classes::get(&st.db, &ctx.scope, id).await?;
    if !c.manageable_by(&ctx.scope) {
        return Err(StoreError::Forbidden(format!("本班次由{}主办，只有主办单位可以修改", c.organiser.name)).into());
    }
    Ok(c)
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let c = manageable(&st, &ctx, id).await?;
    Ok(form_page(&st, &ctx, Some(&c), form_of(&c)).await?.into_response())
}

/// The form's input, and what the form itself refused (dates, numbers, codes).
fn input_of(form: &crate::form::Form) -> (ClassInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let start = parse_date("start", "开班日期", form.value("start"), &mut errs);
    let end = parse_date("end", "结业日期", form.value("end"), &mut errs);
    let capacity = parse_int("capacity", "班次容量", form.value("capacity"), &mut errs);
    let before = parse_int("checkin_before_min", "签到提前开放时间", form.value("checkin_before_min"), &mut errs);
    let after = parse_int("checkin_after_min", "签到截止时间", form.value("checkin_after_min"), &mut errs);
    let campaign_id = match form.value("campaign_id").trim() {
        "" => None,
        v => v.parse::<i64>().ok().filter(|v| *v > 0).or_else(|| {
            errs.push(FieldError { field: "campaign_id", message: "请从列表中选择轮训工作".into() });
            None
        }),
    };
    let target_group = TargetFilter {
        orgs: Vec::new(),
        sectors: parse_codes("sectors", "领域", form.list("sectors"), &mut errs),
        roles: parse_codes("roles", "班子职务", form.list("roles"), &mut errs),
        rank_levels: parse_codes("rank_levels", "职级", form.list("rank_levels"), &mut errs),
    };
    let places = form.list("alloc_places");
    let mut allocations = Vec::new();
    for (i, o) in form.list("alloc_org").iter().enumerate() {
        let p = places.get(i).map(|s| s.trim()).unwrap_or_default();
        if o.trim().is_empty() && p.is_empty() {
            continue;
        }
        match parse_int("allocations", "名额", p, &mut errs) {
            Some(n) => allocations.push((o.trim().to_owned(), n)),
            None if p.is_empty() => errs
                .push(FieldError {
                    field: "allocations", message: format!("请填写分配给“{}”的名额", o.trim())
                }),
            None => {}
        }
    }
    let input = ClassInput {
        campaign_id,
        title: form.value("title").to_owned(),
        organiser: form.value("organiser").to_owned(),
        level: form.value("level").to_owned(),
        institution: form.value("institution").to_owned(),
        institution_kind: form.value("institution_kind").to_owned(),
        institution_org: form.value("institution_org").to_owned(),
        start,
        end,
        capacity,
        target_group,
        head_teacher: form.value("head_teacher").to_owned(),
        allocations,
        max_leave: form.value("max_leave").to_owned(),
        checkin_before_min: before,
        checkin_after_min: after,
    };
    (input, errs)
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let (input, errs) = input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked_class(&tx, &input, errs, async |tx| classes::create(tx, &input).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |c| format!("/classes/{}?done=created", c.id),
        async |f| form_page(&st, &ctx, None, f).await,
    )
    .await
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let current = manageable(&st, &ctx, id).await?;
    let form = crate::form::Form::submitted(fields);
    let (input, errs) = input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked_class(&tx, &input, errs, async |tx| classes::update(tx, id, &input).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/classes/{id}?done=updated"),
        async |f| form_page(&st, &ctx, Some(&current), f).await,
    )
    .await
}

async fn delete(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match classes::delete(&tx, id).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to("/classes?done=deleted").into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

#[derive(Template)]
#[template(path = "classes/session_form.html")]
struct SessionFormPage {
    layout: Layout,
    action: String,
    form: crate::form::Form,
    c: Class,
    slots: Vec<(&'static str, &'static str)>,
    modes: Vec<(&'static str, &'static str)>,
    instructors: Vec<(String, String)>,
    venues: Vec<(String, String)>,
    cancel_href: String,
}

/// A class whose timetable this account keeps.
async fn for_timetable(st: &AppState, ctx: &Ctx, id: i64) -> AppResult<Class> {
    let c = classes::get(&st.db, &ctx.scope, id).await?;
    if !can_keep_timetable(ctx, &c) {
        return Err(StoreError::Forbidden(format!(
            "本班次由{}主办，只有主办单位和承办机构可以安排课程",
            c.organiser.name
        ))
        .into());
    }
    Ok(c)
}

async fn session_page(
    st: &AppState,
    ctx: &Ctx,
    c: Class,
    editing: Option<i64>,
    form: crate::form::Form,
) -> AppResult<Html<String>> {
    let (title, action) = match editing {
        Some(sid) => ("修改课程安排".to_owned(), format!("/classes/{}/sessions/{sid}", c.id)),
        None => ("新增课程安排".to_owned(), format!("/classes/{}/sessions", c.id)),
    };
    let layout = Layout::new(ctx, title.clone(), "classes")
        .crumb("班次管理", Some("/classes".into()))
        .crumb(c.title.clone(), Some(format!("/classes/{}", c.id)))
        .crumb(title, None);
    let instructors = instructors::usable_for(&st.db, &c.org_path)
        .await?
        .into_iter()
        .map(|i| {
            let title = i.title.map(|t| format!("（{t}）")).unwrap_or_default();
            (i.id.to_string(), format!("{}{title} · {}", i.name, i.kind.label()))
        })
        .collect();
    let venues = venues::usable_for(&st.db, &c.org_path)
        .await?
        .into_iter()
        .map(|v| (v.id.to_string(), format!("{} · {}", v.name, v.kind.label())))
        .collect();
    render(&SessionFormPage {
        layout,
        action,
        form,
        cancel_href: format!("/classes/{}", c.id),
        c,
        slots: params::options::<SessionSlot>(),
        modes: params::options::<TeachingMode>(),
        instructors,
        venues,
    })
}

fn session_input_of(form: &crate::form::Form) -> (SessionInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let date = parse_date("date", "上课日期", form.value("date"), &mut errs);
    let pick = |key: &'static str, what: &str, errs: &mut Vec<FieldError>| match form.value(key).trim() {
        "" => None,
        v => v.parse::<i64>().ok().filter(|v| *v > 0).or_else(|| {
            errs.push(FieldError { field: key, message: format!("请从列表中选择{what}") });
            None
        }),
    };
    let instructor_id = pick("instructor_id", "授课教师", &mut errs);
    let venue_id = pick("venue_id", "教学场地", &mut errs);
    let input = SessionInput {
        date,
        slot: form.value("slot").to_owned(),
        starts: form.value("starts").to_owned(),
        ends: form.value("ends").to_owned(),
        topic: form.value("topic").to_owned(),
        mode: form.value("mode").to_owned(),
        instructor_id,
        venue_id,
        hours: form.value("hours").to_owned(),
        materials: form.value("materials").to_owned(),
    };
    (input, errs)
}

async fn new_session_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    let c = for_timetable(&st, &ctx, id).await?;
    let form = crate::form::Form::new().with("date", c.start_on.to_string()).with("slot", "am").with("hours", "3");
    session_page(&st, &ctx, c, None, form).await
}

async fn add_session(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let c = for_timetable(&st, &ctx, id).await?;
    let form = crate::form::Form::submitted(fields);
    let (input, errs) = session_input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked_session(&tx, id, &input, errs, async |tx| sessions::add(tx, id, &input).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/classes/{id}?done=session"),
        async |f| session_page(&st, &ctx, c, None, f).await,
    )
    .await
}

/// The session `sid` of the class `id` (not found when it belongs to another class).
async fn session_of(st: &AppState, ctx: &Ctx, id: i64, sid: &str) -> AppResult<Session> {
    let sid = params::id(sid, "课程安排")?;
    let s = sessions::get(&st.db, &ctx.scope, sid).await?;
    if s.class_id != id {
        return Err(StoreError::NotFound("课程安排").into());
    }
    Ok(s)
}

async fn edit_session_form(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, sid)): Path<(String, String)>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    let c = for_timetable(&st, &ctx, id).await?;
    let s = session_of(&st, &ctx, id, &sid).await?;
    let form = crate::form::Form::new()
        .with("date", s.date.to_string())
        .with("slot", s.slot.code())
        .with("starts", s.starts())
        .with("ends", s.ends())
        .with("topic", s.topic.clone())
        .with("mode", s.mode.code())
        .with("instructor_id", s.instructor.as_ref().map(|i| i.id.to_string()).unwrap_or_default())
        .with("venue_id", s.venue.as_ref().map(|v| v.id.to_string()).unwrap_or_default())
        .with("hours", s.hours.to_string())
        .with("materials", s.materials.clone().unwrap_or_default());
    session_page(&st, &ctx, c, Some(s.id), form).await
}

async fn update_session(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, sid)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let c = for_timetable(&st, &ctx, id).await?;
    let s = session_of(&st, &ctx, id, &sid).await?;
    let form = crate::form::Form::submitted(fields);
    let (input, errs) = session_input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked_session(&tx, id, &input, errs, async |tx| sessions::update(tx, s.id, &input).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/classes/{id}?done=session"),
        async |f| session_page(&st, &ctx, c, Some(s.id), f).await,
    )
    .await
}

async fn delete_session(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, sid)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    for_timetable(&st, &ctx, id).await?;
    let s = session_of(&st, &ctx, id, &sid).await?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match sessions::delete(&tx, s.id).await {
        Ok(()) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/classes/{id}?done=session_deleted")).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}
