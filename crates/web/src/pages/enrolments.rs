//! The class roster (学员名单): nominate from the organiser's people by filters or by pasted
//! identity numbers, withdraw and replace, leave requests, completion. The organiser and the
//! delivering institution see everyone; a sending organisation only its own people
//! (`enrolments::roster` applies the rule).

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::Sector;
use xuepei_domain::people::Role;
use xuepei_domain::training::{EnrolmentStatus, Hours};
use xuepei_domain::validate::FieldError;
use xuepei_store::classes::sessions::Session;
use xuepei_store::classes::{self, Class};
use xuepei_store::enrolments::{self, Enrolment, EnrolmentFilter, Leave, LeaveInput, PersonRef};
use xuepei_store::people::{self, PersonFilter, PersonRow, PersonSort};
use xuepei_store::{StoreError, Tx};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::pager::{Pager, Paging};
use crate::params::{self, Params};
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::TRAINING_VIEW);
    let edit = Access::Page(Perm::TRAINING_EDIT);
    r.audit_labels(&[
        ("enrolment.create", "报名"),
        ("enrolment.withdraw", "退学"),
        ("enrolment.replace", "换人"),
        ("leave.create", "请假"),
        ("class.complete", "班次结业"),
        ("attendance.roll", "点名"),
        ("attendance.correct", "更正考勤"),
    ])
    .get("/classes/{id}/enrolments", view, roster)
    .post("/classes/{id}/enrolments/export.xlsx", view, roster_export)
    .get("/classes/{id}/enrolments/print", view, roster_print)
    .post("/classes/{id}/enrolments", edit, enrol)
    .get("/classes/{id}/enrolments/nominate", edit, nominate)
    .post("/classes/{id}/enrolments/{pid}/withdraw", edit, withdraw)
    .get("/classes/{id}/enrolments/{pid}/replace", edit, replace_form)
    .post("/classes/{id}/enrolments/{pid}/replace", edit, replace)
    .get("/classes/{id}/leave", view, leave_page)
    .post("/classes/{id}/leave", edit, leave)
    .post("/classes/{id}/complete", edit, complete)
}

const PAGE_SIZE: u64 = 50;

/// Identity numbers pasted one per line (or separated by commas, spaces, 、).
pub(crate) fn split_numbers(text: &str) -> Vec<String> {
    text.split([',', '，', '、', ';', '；', ' ', '　', '\n', '\r', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn can_edit(ctx: &Ctx) -> bool {
    ctx.session.account.roles.can(Perm::TRAINING_EDIT)
}

#[derive(Template)]
#[template(path = "enrolments/roster.html")]
struct RosterPage {
    layout: Layout,
    c: Class,
    rows: Vec<Enrolment>,
    counts: Vec<(&'static str, &'static str, u64)>,
    statuses: Vec<(&'static str, &'static str)>,
    status: String,
    pager: Pager,
    form: crate::form::Form,
    /// The scope manages or delivers the class (sees everyone, keeps attendance).
    delivers: bool,
    can_edit: bool,
    sessions: Vec<Session>,
}

fn notice(p: &Params) -> Option<String> {
    let n = |k| params::num(p, k).unwrap_or(0);
    Some(match params::text(p, "done")? {
        "enrolled" => format!("已报名{}人，其中进入候补名单{}人", n("n"), n("w")),
        "withdrawn" => "已办理退学，候补名单中的学员已按顺序递补".to_owned(),
        "replaced" => "已换人".to_owned(),
        "completed" => format!("已结业：结业{}人，未结业{}人", n("n"), n("x")),
        "leave" => "请假已登记".to_owned(),
        "leave_withdrawn" => "请假已登记；累计请假超过规定比例，该学员已作退学处理".to_owned(),
        _ => return None,
    })
}

async fn roster_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    p: &Params,
    form: crate::form::Form,
) -> AppResult<Html<String>> {
    let c = classes::get(&st.db, &ctx.scope, id).await?;
    let status = params::labeled::<EnrolmentStatus>(p, "status");
    let paging = Paging::from(p, PAGE_SIZE);
    let page =
        enrolments::roster(&st.db, &ctx.scope, c.id, &EnrolmentFilter { status }, paging.at, paging.limit()).await?;
    let counted = enrolments::counts(&st.db, &ctx.scope, c.id).await?;
    let counts = EnrolmentStatus::ALL
        .iter()
        .map(|s| (s.code(), s.label(), counted.get(s.code()).copied().unwrap_or(0)))
        .collect();
    let delivers = c.deliverable_by(&ctx.scope);
    let sessions =
        if delivers { classes::sessions::list(&st.db, &ctx.scope, c.id).await.unwrap_or_default() } else { Vec::new() };
    let layout = Layout::new(ctx, format!("学员名单：{}", c.title), "classes")
        .crumb("班次", Some("/classes".into()))
        .crumb(c.title.clone(), Some(format!("/classes/{}", c.id)))
        .crumb("学员名单", None)
        .notice(notice(p));
    let pager =
        Pager::new(&format!("/classes/{}/enrolments", c.id), p, &["status"], &paging, (page.prev, page.next), None);
    render(&RosterPage {
        layout,
        rows: page.items,
        counts,
        statuses: params::options::<EnrolmentStatus>(),
        status: status.map(|s| s.code().to_owned()).unwrap_or_default(),
        pager,
        form,
        delivers,
        can_edit: can_edit(ctx) && c.status != classes::ClassStatus::Completed,
        sessions,
        c,
    })
}

/// The roster as Excel (the enrolments kind's export): the organiser's whole roster, a
/// sending organisation its own people.
async fn roster_export(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let query: Params = [("class".to_owned(), id.to_string())].into();
    super::send_kind_export(&st, &ctx, crate::kinds::enrolments::KIND, &query).await
}

#[derive(Template)]
#[template(path = "enrolments/print.html")]
struct RosterPrint {
    layout: Layout,
    c: Class,
    rows: Vec<Enrolment>,
}

/// The roster on A4 for printing: every trainee the viewer may see (the organiser all, a
/// sending organisation its own), waiting and withdrawn ones left out.
async fn roster_print(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    let c = classes::get(&st.db, &ctx.scope, id).await?;
    let mut rows = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = enrolments::roster(
            &st.db,
            &ctx.scope,
            id,
            &EnrolmentFilter::default(),
            xuepei_store::page::At::after(after.as_deref()),
            500,
        )
        .await?;
        rows.extend(
            page.items
                .into_iter()
                .filter(|e| matches!(e.status, EnrolmentStatus::Enrolled | EnrolmentStatus::Completed)),
        );
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    let layout = Layout::new(&ctx, format!("{}学员名单", c.title), "classes");
    render(&RosterPrint { layout, c, rows })
}

async fn roster(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    roster_page(&st, &ctx, id, &p, crate::form::Form::new()).await
}

async fn enrol(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let form = crate::form::Form::submitted(fields);
    let mut refs: Vec<PersonRef> =
        form.list("person").iter().filter_map(|s| s.trim().parse::<i64>().ok()).map(PersonRef::Id).collect();
    refs.extend(split_numbers(form.value("id_numbers")).into_iter().map(PersonRef::IdNumber));
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = enrolments::enrol(&tx, id, &refs).await;
    save_or_refuse(
        tx,
        result,
        form,
        |r| {
            let w = r.iter().filter(|x| x.status == EnrolmentStatus::Waitlisted).count();
            format!("/classes/{id}/enrolments?done=enrolled&n={}&w={w}", r.len())
        },
        async |f| roster_page(&st, &ctx, id, &Params::default(), f).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "enrolments/nominate.html")]
struct NominatePage {
    layout: Layout,
    c: Class,
    rows: Vec<PersonRow>,
    q: String,
    sector: String,
    role: String,
    sectors: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    pager: Pager,
}

/// The organiser's (or sending organisation's) people by filters, to tick and enrol.
async fn nominate(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    let c = classes::get(&st.db, &ctx.scope, id).await?;
    // Opened from the roster (no filter submitted yet): the class's own target group,
    // where it names one sector or one role.
    let first = !p.contains_key("sector") && !p.contains_key("role") && !p.contains_key("q");
    let f = PersonFilter {
        q: params::text(&p, "q").map(str::to_owned),
        sector: params::labeled::<Sector>(&p, "sector").or_else(|| only(first, &c.target_group.sectors)),
        role: params::labeled::<Role>(&p, "role").or_else(|| only(first, &c.target_group.roles)),
        ..PersonFilter::default()
    };
    let paging = Paging::from(&p, PAGE_SIZE);
    let page = people::list(&st.db, &ctx.scope, &f, PersonSort::Org, paging.at, paging.limit()).await?;
    let layout = Layout::new(&ctx, "选择参训人员", "classes")
        .crumb("班次", Some("/classes".into()))
        .crumb(c.title.clone(), Some(format!("/classes/{}", c.id)))
        .crumb("学员名单", Some(format!("/classes/{}/enrolments", c.id)))
        .crumb("选择参训人员", None);
    let pager = Pager::new(
        &format!("/classes/{}/enrolments/nominate", c.id),
        &p,
        &["q", "sector", "role"],
        &paging,
        (page.prev, page.next),
        None,
    );
    render(&NominatePage {
        layout,
        rows: page.items,
        q: f.q.clone().unwrap_or_default(),
        sector: f.sector.map(|s| s.code().to_owned()).unwrap_or_default(),
        role: f.role.map(|s| s.code().to_owned()).unwrap_or_default(),
        sectors: params::options::<Sector>(),
        roles: params::options::<Role>(),
        pager,
        c,
    })
}

/// The one value of a list that names exactly one, when `when`.
fn only<T: Copy>(when: bool, v: &[T]) -> Option<T> {
    if when && v.len() == 1 { v.first().copied() } else { None }
}

fn ids2(id: &str, pid: &str) -> AppResult<(i64, i64)> {
    Ok((params::id(id, "班次")?, params::id(pid, "学员")?))
}

async fn withdraw(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, pid)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (id, pid) = ids2(&id, &pid)?;
    let form = crate::form::Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = enrolments::withdraw(&tx, id, &PersonRef::Id(pid), form.value("reason")).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/classes/{id}/enrolments?done=withdrawn"),
        async |f| roster_page(&st, &ctx, id, &Params::default(), f).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "enrolments/replace.html")]
struct ReplacePage {
    layout: Layout,
    c: Class,
    old: Enrolment,
    form: crate::form::Form,
}

async fn replace_page(st: &AppState, ctx: &Ctx, id: i64, pid: i64, form: crate::form::Form) -> AppResult<Html<String>> {
    let c = classes::get(&st.db, &ctx.scope, id).await?;
    let mut old = None;
    let mut at: Option<String> = None;
    // The trainee as the scope sees them (a sending organisation only its own).
    loop {
        let page = enrolments::roster(
            &st.db,
            &ctx.scope,
            c.id,
            &EnrolmentFilter::default(),
            xuepei_store::page::At::after(at.as_deref()),
            1000,
        )
        .await?;
        if let Some(e) = page.items.into_iter().find(|e| e.person_id == pid) {
            old = Some(e);
            break;
        }
        match page.next {
            Some(n) => at = Some(n),
            None => break,
        }
    }
    let old = old.ok_or(StoreError::NotFound("学员"))?;
    let layout = Layout::new(ctx, "换人", "classes")
        .crumb("班次", Some("/classes".into()))
        .crumb(c.title.clone(), Some(format!("/classes/{}", c.id)))
        .crumb("学员名单", Some(format!("/classes/{}/enrolments", c.id)))
        .crumb("换人", None);
    render(&ReplacePage { layout, c, old, form })
}

async fn replace_form(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, pid)): Path<(String, String)>,
) -> AppResult<Html<String>> {
    let (id, pid) = ids2(&id, &pid)?;
    replace_page(&st, &ctx, id, pid, crate::form::Form::new()).await
}

async fn replace(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, pid)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let (id, pid) = ids2(&id, &pid)?;
    let form = crate::form::Form::submitted(fields);
    let new = PersonRef::IdNumber(form.value("id_number").to_owned());
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = enrolments::replace(&tx, id, &PersonRef::Id(pid), &new, form.value("reason")).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/classes/{id}/enrolments?done=replaced"),
        async |f| replace_page(&st, &ctx, id, pid, f).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "enrolments/leave.html")]
struct LeavePage {
    layout: Layout,
    c: Class,
    rows: Vec<Leave>,
    sessions: Vec<Session>,
    topics: BTreeMap<i64, String>,
    form: crate::form::Form,
    can_edit: bool,
    /// The trainees a leave may be recorded for: (person id, name, masked number, unit).
    trainees: Vec<(String, String)>,
}

async fn leave_view(st: &AppState, ctx: &Ctx, id: i64, p: &Params, form: crate::form::Form) -> AppResult<Html<String>> {
    let c = classes::get(&st.db, &ctx.scope, id).await?;
    let rows = enrolments::leave_list(&st.db, &ctx.scope, c.id).await?;
    let sessions = classes::sessions::list(&st.db, &ctx.scope, c.id).await?;
    let topics = sessions
        .iter()
        .map(|s| (s.id, format!("{} {} {}", s.date, s.slot.label(), s.topic)))
        .collect::<BTreeMap<_, _>>();
    let layout = Layout::new(ctx, format!("请假：{}", c.title), "classes")
        .crumb("班次", Some("/classes".into()))
        .crumb(c.title.clone(), Some(format!("/classes/{}", c.id)))
        .crumb("请假", None)
        .notice(notice(p));
    let can_edit = can_edit(ctx) && c.status != classes::ClassStatus::Completed;
    // Picked from the roster (numbers are shown masked, so none has to be typed).
    let trainees = if can_edit {
        let f = EnrolmentFilter { status: Some(EnrolmentStatus::Enrolled) };
        enrolments::roster(&st.db, &ctx.scope, c.id, &f, xuepei_store::page::At::First, 2000)
            .await?
            .items
            .into_iter()
            .map(|e| (e.person_id.to_string(), format!("{}（{}，{}）", e.name, e.masked_id(), e.org_name)))
            .collect()
    } else {
        Vec::new()
    };
    render(&LeavePage { layout, c, rows, sessions, topics, form, can_edit, trainees })
}

async fn leave_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    leave_view(&st, &ctx, id, &p, crate::form::Form::new()).await
}

/// The hours typed on a leave form (empty when sessions are chosen).
pub(crate) fn leave_input(form: &crate::form::Form, errs: &mut Vec<FieldError>) -> LeaveInput {
    let hours = match form.value("hours").trim() {
        "" => None,
        h => match h.strip_prefix('-') {
            Some(rest) => Hours::parse(rest).ok().map(|x| Hours::from_hundredths(-x.hundredths())).or_else(|| {
                errs.push(FieldError {
                    field: "hours", message: format!("无法识别的学时“{h}”，请填写正数，如1.5")
                });
                None
            }),
            None => match Hours::parse(h) {
                Ok(x) => Some(x),
                Err(m) => {
                    errs.push(FieldError { field: "hours", message: m });
                    None
                }
            },
        },
    };
    let sessions = form.list("sessions").iter().filter_map(|s| s.trim().parse::<i64>().ok()).collect();
    LeaveInput { hours, sessions, reason: form.value("reason").to_owned() }
}

async fn leave(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let form = crate::form::Form::submitted(fields);
    let mut errs = Vec::new();
    let input = leave_input(&form, &mut errs);
    // The page picks a trainee of the roster; an identity number typed in is taken too.
    let who = match form.value("person").trim().parse::<i64>() {
        Ok(pid) => PersonRef::Id(pid),
        Err(_) => PersonRef::IdNumber(form.value("id_number").to_owned()),
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = if errs.is_empty() {
        enrolments::request_leave(&tx, id, &who, &input).await
    } else {
        Err(StoreError::Invalid(errs))
    };
    save_or_refuse(
        tx,
        result,
        form,
        |a| {
            let done = if a.status == EnrolmentStatus::Withdrawn { "leave_withdrawn" } else { "leave" };
            format!("/classes/{id}/leave?done={done}")
        },
        async |f| leave_view(&st, &ctx, id, &Params::default(), f).await,
    )
    .await
}

async fn complete(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match enrolments::complete(&tx, id).await {
        Ok(c) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!(
                "/classes/{id}/enrolments?done=completed&n={}&x={}",
                c.completed,
                c.not_completed.len()
            ))
            .into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            let mut form = crate::form::Form::new();
            form.refuse(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, roster_page(&st, &ctx, id, &Params::default(), form).await?)
                .into_response())
        }
    }
}
