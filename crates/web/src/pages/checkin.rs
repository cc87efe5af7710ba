//! The trainee's side, usable on a phone (360 px): check-in by the QR link or by the
//! six-digit short code, and 我的培训 — my classes, the timetable with my marks, leave.
//! The person is always the signed-in account's own (`account.person_id`).

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::{EnrolmentStatus, Hours};
use xuepei_store::attendance::{self, CheckedIn, MySession};
use xuepei_store::enrolments::{self, Enrolment, MyClass};
use xuepei_store::{StoreError, Tx};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let own = Access::Page(Perm::OWN_VIEW);
    r.menu(MenuEntry {
        group: MenuGroup::Training,
        order: 90,
        key: "my-training",
        label: "我的培训",
        href: "/me/training",
        visible: |can| can(Perm::OWN_VIEW),
    })
    .get("/checkin", own, code_page)
    .post("/checkin", own, code_checkin)
    .get("/checkin/{id}", own, link_page)
    .post("/checkin/{id}", own, link_checkin)
    .get("/me/training", own, my_classes)
    .get("/me/training/{id}", own, my_class)
    .post("/me/training/{id}/leave", own, my_leave)
}

fn own_person(ctx: &Ctx) -> AppResult<i64> {
    ctx.session
        .account
        .person_id
        .ok_or_else(|| AppError::Forbidden("您的账号未关联人员信息，无法签到或查看培训，请联系系统管理员关联".into()))
}

#[derive(Template)]
#[template(path = "checkin/checkin.html")]
struct CheckinPage {
    layout: Layout,
    /// The session named by the link (None on the short-code page).
    session_id: Option<i64>,
    title: String,
    code: String,
    form: crate::form::Form,
    done: Option<CheckedIn>,
    /// The trainee already has a mark for the session (opened the link again).
    already: Option<String>,
}

fn page(
    ctx: &Ctx,
    session_id: Option<i64>,
    title: String,
    code: String,
    form: crate::form::Form,
) -> AppResult<Html<String>> {
    let layout = Layout::new(ctx, "签到", "my-training");
    render(&CheckinPage { layout, session_id, title, code, form, done: None, already: None })
}

async fn code_page(ctx: Ctx) -> AppResult<Html<String>> {
    own_person(&ctx)?;
    page(&ctx, None, String::new(), String::new(), crate::form::Form::new())
}

/// The confirmation of a check-in.
fn done_page(ctx: &Ctx, done: CheckedIn) -> AppResult<Response> {
    let layout = Layout::new(ctx, "签到成功", "my-training");
    let title = format!("{} · {}", done.class_title, done.topic);
    Ok(render(&CheckinPage {
        layout,
        session_id: Some(done.session_id),
        title,
        code: String::new(),
        form: crate::form::Form::new(),
        done: Some(done),
        already: None,
    })?
    .into_response())
}

/// The check-in page again with why it was refused.
fn refuse(
    ctx: &Ctx,
    result: Result<CheckedIn, StoreError>,
    session_id: Option<i64>,
    form: crate::form::Form,
) -> AppResult<Response> {
    let mut form = form;
    if let Err(e) = result {
        form.refuse(e)?;
    }
    let code = form.value("code").to_owned();
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page(ctx, session_id, String::new(), code, form)?).into_response())
}

async fn code_checkin(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let person = own_person(&ctx)?;
    let form = crate::form::Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match attendance::check_in_by_code(&tx, person, form.value("code")).await {
        Ok(done) => {
            tx.commit().await?;
            done_page(&ctx, done)
        }
        result @ Err(_) => {
            tx.rollback().await?;
            attendance::note_refused_check_in(&st.db, person).await?;
            refuse(&ctx, result, None, form)
        }
    }
}

async fn link_page(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let person = own_person(&ctx)?;
    let id = params::id(&id, "课程安排")?;
    let code = params::text(&p, "c").unwrap_or_default().chars().take(32).collect::<String>();
    // The trainee's own class and session, when they are in it.
    let mut title = String::new();
    let mut already = None;
    for c in enrolments::for_person(&st.db, person).await? {
        if let Some(list) = attendance::my_sessions(&st.db, person, c.class_id).await?
            && let Some(s) = list.iter().find(|s| s.session.id == id)
        {
            title = format!("{} · {} {} {}", c.title, s.session.date, s.session.slot.label(), s.session.topic);
            // Opened again after checking in: say so, offer nothing to confirm.
            already = s.mark.map(|m| match s.checked_at {
                Some(t) => {
                    format!("已签到：您已于{}签到（{}），无需重复签到", xuepei_domain::time::second(t), m.label())
                }
                None => format!("已登记考勤（{}），无需签到。如有误请联系班主任更正", m.label()),
            });
        }
    }
    let layout = Layout::new(&ctx, "签到", "my-training");
    render(&CheckinPage {
        layout,
        session_id: Some(id),
        title,
        code,
        form: crate::form::Form::new(),
        done: None,
        already,
    })
}

async fn link_checkin(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let person = own_person(&ctx)?;
    let id = params::id(&id, "课程安排")?;
    let form = crate::form::Form::submitted(fields);
    let code = form.value("code").to_owned();
    let source = if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) { "code" } else { "qr" };
    // Checked outside any transaction; written with the other check-ins of the moment.
    let result = st.checkins.check_in(id, person, &code, source).await;
    match result {
        Ok(done) => done_page(&ctx, done),
        Err(_) => {
            attendance::note_refused_check_in(&st.db, person).await?;
            refuse(&ctx, result, Some(id), form)
        }
    }
}

#[derive(Template)]
#[template(path = "checkin/my_classes.html")]
struct MyClassesPage {
    layout: Layout,
    rows: Vec<MyClass>,
}

async fn my_classes(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let person = own_person(&ctx)?;
    let rows = enrolments::for_person(&st.db, person).await?;
    let layout = Layout::new(&ctx, "我的培训", "my-training").crumb("我的培训", None);
    render(&MyClassesPage { layout, rows })
}

#[derive(Template)]
#[template(path = "checkin/my_class.html")]
struct MyClassPage {
    layout: Layout,
    e: Enrolment,
    c: MyClass,
    sessions: Vec<MySession>,
    form: crate::form::Form,
    can_leave: bool,
    leave: LeaveLimit,
}

/// What the leave form tells the trainee before they ask: the class's hours, the most
/// leave its rule allows, and what is left of it.
struct LeaveLimit {
    class_hours: Hours,
    most: Hours,
    left: Hours,
}

async fn my_class_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    form: crate::form::Form,
    notice: Option<String>,
) -> AppResult<Html<String>> {
    let person = own_person(ctx)?;
    let e = enrolments::own_enrolment(&st.db, person, id).await?.ok_or(StoreError::NotFound("班次"))?;
    let c = enrolments::for_person(&st.db, person)
        .await?
        .into_iter()
        .find(|c| c.class_id == id)
        .ok_or(StoreError::NotFound("班次"))?;
    let sessions = attendance::my_sessions(&st.db, person, id).await?.unwrap_or_default();
    let can_leave = e.status == EnrolmentStatus::Enrolled && !c.class_completed;
    let class_hours = sessions.iter().fold(Hours::ZERO, |t, s| t + s.session.hours);
    let most = xuepei_domain::training::rules::max_leave_hours(c.max_leave, class_hours);
    let leave = LeaveLimit { class_hours, most, left: Ord::max(most - c.leave_hours, Hours::ZERO) };
    let layout = Layout::new(ctx, c.title.clone(), "my-training")
        .crumb("我的培训", Some("/me/training".into()))
        .crumb(c.title.clone(), None)
        .notice(notice);
    render(&MyClassPage { layout, e, c, sessions, form, can_leave, leave })
}

async fn my_class(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    let notice = match params::text(&p, "done") {
        Some("leave") => Some("请假已登记".to_owned()),
        Some("leave_withdrawn") => Some("请假已登记；累计请假超过规定比例，已作退学处理".to_owned()),
        _ => None,
    };
    my_class_page(&st, &ctx, id, crate::form::Form::new(), notice).await
}

async fn my_leave(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let person = own_person(&ctx)?;
    let id = params::id(&id, "班次")?;
    let form = crate::form::Form::submitted(fields);
    let mut errs = Vec::new();
    let input = crate::pages::enrolments::leave_input(&form, &mut errs);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = if errs.is_empty() {
        enrolments::request_own_leave(&tx, id, person, &input).await
    } else {
        Err(StoreError::Invalid(errs))
    };
    save_or_refuse(
        tx,
        result,
        form,
        |a| {
            let done = if a.status == EnrolmentStatus::Withdrawn { "leave_withdrawn" } else { "leave" };
            format!("/me/training/{id}?done={done}")
        },
        async |f| my_class_page(&st, &ctx, id, f, None).await,
    )
    .await
}
