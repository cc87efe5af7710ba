//! A group's sessions (集中学习研讨): the form a secretary fills in — on a phone too —
//! with a row of attendance per person of the group, the lead learner and members'
//! speeches; the record with its rate against the threshold; closing (封存) and the
//! audited correction of a closed record.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form as AxForm, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::{GroupRules, Presence, below_threshold};
use xuepei_domain::validate::FieldError;
use xuepei_store::study_groups::sessions::{self as store, Session, SessionInput};
use xuepei_store::study_groups::{self as groups, Group, rules};
use xuepei_store::{StoreError, Tx};

use super::{can, member_options, person_id, step};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::form::{Form, save_or_refuse};
use crate::layout::Layout;
use crate::params::{self, Params};

const ATTENDANCE: [&str; 3] = ["att_person", "att_presence", "att_reason"];
const SPEECHES: [&str; 2] = ["sp_person", "sp_summary"];
/// Empty speech rows offered below those filled in.
const SPEECH_BLANKS: usize = 3;

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "集中学习记录已登记",
            "updated" => "集中学习记录已保存",
            "closed" => "集中学习记录已封存，此后只能由宣传部门说明原因后更正",
            "corrected" => "集中学习记录已更正，更正原因已记入审计日志",
            _ => return None,
        }
        .to_owned(),
    )
}

// ---------------------------------------------------------------------------------------
// A session's record.

#[derive(Template)]
#[template(path = "study_groups/session.html")]
struct DetailPage {
    layout: Layout,
    s: Session,
    rules: GroupRules,
    below: bool,
    can_edit: bool,
    can_correct: bool,
}

pub(super) async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "集中学习记录")?;
    let s = store::get(&st.db, &ctx.scope, id).await?;
    let rules = rules::for_path(&st.db, &s.org_path).await?;
    let title = s.title();
    let layout = Layout::new(&ctx, title.clone(), "study_groups")
        .crumb("理论学习中心组", Some("/study/groups".into()))
        .crumb(s.group_name.clone(), Some(format!("/study/groups/{}", s.group_id)))
        .crumb(title, None)
        .notice(notice(&p));
    render(&DetailPage {
        layout,
        below: below_threshold(s.rate, rules),
        rules,
        can_edit: can(&ctx, Perm::STUDY_EDIT) && !s.closed,
        can_correct: can(&ctx, Perm::STUDY_APPROVE) && s.closed,
        s,
    })
}

// ---------------------------------------------------------------------------------------
// The form.

/// A person of the group on the attendance table.
struct AttendanceRow {
    id: String,
    name: String,
    role: &'static str,
    presence: String,
    reason: String,
}

struct SpeechRow {
    person: String,
    summary: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    New(i64),
    Edit(i64),
    Correct(i64),
}

#[derive(Template)]
#[template(path = "study_groups/session_form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: Form,
    group_name: String,
    people: Vec<(String, String)>,
    attendance: Vec<AttendanceRow>,
    presences: Vec<(&'static str, &'static str)>,
    speeches: Vec<SpeechRow>,
    materials: Vec<(String, String)>,
    correcting: bool,
    cancel_href: String,
    /// Today, the latest date the date pickers offer.
    today: String,
}

/// The newest important speeches first, for linking (id, label).
async fn offered(st: &AppState, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    Ok(xuepei_store::materials::offered_speeches(&st.db, &ctx.scope, 30)
        .await?
        .into_iter()
        .map(|m| (m.id.to_string(), format!("{} {}（{}）", m.date, m.title, m.source)))
        .collect())
}

async fn form_page(st: &AppState, ctx: &Ctx, mode: Mode, g: &Group, form: Form) -> AppResult<Html<String>> {
    // A new session names only the group's current people: members who moved away are
    // not offered (the store refuses them by name).
    let current;
    let g = if matches!(mode, Mode::New(_)) {
        current = Group { members: g.members.iter().filter(|m| !m.moved).cloned().collect(), ..g.clone() };
        &current
    } else {
        g
    };
    let (title, action, cancel) = match mode {
        Mode::New(gid) => {
            ("登记集中学习".to_owned(), format!("/study/groups/{gid}/sessions"), format!("/study/groups/{gid}"))
        }
        Mode::Edit(id) => {
            ("修改集中学习记录".to_owned(), format!("/study/sessions/{id}"), format!("/study/sessions/{id}"))
        }
        Mode::Correct(id) => {
            ("更正集中学习记录".to_owned(), format!("/study/sessions/{id}/correct"), format!("/study/sessions/{id}"))
        }
    };
    let layout = Layout::new(ctx, title.clone(), "study_groups")
        .crumb("理论学习中心组", Some("/study/groups".into()))
        .crumb(g.name.clone(), Some(format!("/study/groups/{}", g.id)))
        .crumb(title, None);
    // Each of the group's people once, with what was typed or stored (present by default).
    let typed: HashMap<String, (String, String)> =
        form.rows(&ATTENDANCE).into_iter().map(|r| (r[0].clone(), (r[1].clone(), r[2].clone()))).collect();
    let attendance = g
        .members
        .iter()
        .map(|m| {
            let id = m.person.id.to_string();
            let (presence, reason) =
                typed.get(&id).cloned().unwrap_or_else(|| (Presence::Present.code().to_owned(), String::new()));
            AttendanceRow { name: m.person.name.clone(), role: m.role.label(), presence, reason, id }
        })
        .collect();
    let speeches = form
        .rows_with_blanks(&SPEECHES, SPEECH_BLANKS)
        .into_iter()
        .map(|r| SpeechRow { person: r[0].clone(), summary: r[1].clone() })
        .collect();
    render(&FormPage {
        today: xuepei_domain::time::today().to_string(),
        layout,
        action,
        group_name: g.name.clone(),
        people: member_options(g),
        attendance,
        presences: params::options::<Presence>(),
        speeches,
        materials: offered(st, ctx).await?,
        correcting: matches!(mode, Mode::Correct(_)),
        cancel_href: cancel,
        form,
    })
}

fn form_of(s: &Session) -> Form {
    let mut form = Form::new()
        .with("date", s.held_on.to_string())
        .with("topic", s.topic.clone())
        .with("lead", s.lead.id.to_string())
        .with("notes", s.notes.clone());
    if s.thematic {
        form.set_list("thematic", vec!["1".into()]);
    }
    let rows: Vec<Vec<String>> = s
        .attendance
        .iter()
        .map(|a| vec![a.person.id.to_string(), a.presence.code().to_owned(), a.reason.clone()])
        .collect();
    form.set_rows(&ATTENDANCE, &rows);
    let rows: Vec<Vec<String>> = s.speeches.iter().map(|x| vec![x.person.id.to_string(), x.summary.clone()]).collect();
    form.set_rows(&SPEECHES, &rows);
    form.set_list("materials", s.materials.iter().map(|(id, _)| id.to_string()).collect());
    form
}

fn input_of(form: &Form) -> (SessionInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let date = crate::pages::meetings::plain_date("date", "学习日期", form.value("date"), &mut errs);
    let lead = match form.value("lead").trim() {
        "" => None,
        v => person_id(v).or_else(|| {
            errs.push(FieldError { field: "lead", message: "请从列表中选择领学人".into() });
            None
        }),
    };
    let mut attendance = Vec::new();
    for r in form.rows(&ATTENDANCE) {
        match person_id(&r[0]) {
            Some(k) => attendance.push((k, r[1].clone(), r[2].clone())),
            None => errs.push(FieldError {
                field: "attendance", message: "考勤人员有误，请刷新页面后重新填写".into()
            }),
        }
    }
    let mut speeches = Vec::new();
    for r in form.rows(&SPEECHES) {
        match person_id(&r[0]) {
            Some(k) => speeches.push((k, r[1].clone())),
            None => errs.push(FieldError {
                field: "speeches",
                message: "请为每条发言摘要选择发言人（不需要的行请清空摘要）".into(),
            }),
        }
    }
    let mut materials = Vec::new();
    for m in form.list("materials").iter().map(|m| m.trim()).filter(|m| !m.is_empty()) {
        match m.parse::<i64>() {
            Ok(id) if id > 0 => materials.push(id),
            _ => errs.push(FieldError { field: "materials", message: "请从列表中选择学习资料".into() }),
        }
    }
    let input = SessionInput {
        date,
        topic: form.value("topic").to_owned(),
        thematic: form.is_checked("thematic", "1"),
        lead,
        attendance,
        speeches,
        notes: form.value("notes").to_owned(),
        materials,
    };
    (input, errs)
}

/// Writes when the form parsed; otherwise reports the form's and the store's problems
/// together, writing nothing.
async fn checked<T>(
    tx: &Tx,
    group_id: i64,
    input: &SessionInput,
    errs: Vec<FieldError>,
    write: impl AsyncFnOnce(&Tx) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    crate::form::write_or_report(
        errs,
        async || store::check(tx.conn(), tx.scope(), group_id, input).await,
        async || write(tx).await,
    )
    .await
}

pub(super) async fn new_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let gid = params::id(&id, "理论学习中心组")?;
    let g = groups::get(&st.db, &ctx.scope, gid).await?;
    let mut form = Form::new().with("date", xuepei_domain::time::today().to_string());
    if let Some(lead) = g.members.iter().find(|m| m.role.is_member() && !m.moved) {
        form.set("lead", lead.person.id.to_string());
    }
    form_page(&st, &ctx, Mode::New(gid), &g, form).await
}

pub(super) async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let gid = params::id(&id, "理论学习中心组")?;
    let g = groups::get(&st.db, &ctx.scope, gid).await?;
    let form = Form::submitted(fields);
    let (input, errs) = input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked(&tx, gid, &input, errs, async |tx| store::create(tx, gid, &input).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |s| format!("/study/sessions/{}?done=created", s.id),
        async |f| form_page(&st, &ctx, Mode::New(gid), &g, f).await,
    )
    .await
}

pub(super) async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "集中学习记录")?;
    let s = store::get(&st.db, &ctx.scope, id).await?;
    if s.closed {
        return Ok(Redirect::to(&format!("/study/sessions/{id}")).into_response());
    }
    let g = groups::get(&st.db, &ctx.scope, s.group_id).await?;
    Ok(form_page(&st, &ctx, Mode::Edit(id), &g, form_of(&s)).await?.into_response())
}

pub(super) async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "集中学习记录")?;
    let s = store::get(&st.db, &ctx.scope, id).await?;
    let g = groups::get(&st.db, &ctx.scope, s.group_id).await?;
    let form = Form::submitted(fields);
    let (input, errs) = input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked(&tx, g.id, &input, errs, async |tx| store::update(tx, id, &input).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/study/sessions/{id}?done=updated"),
        async |f| form_page(&st, &ctx, Mode::Edit(id), &g, f).await,
    )
    .await
}

pub(super) async fn close(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "集中学习记录")?;
    step(&st, &ctx, format!("/study/sessions/{id}?done=closed"), async |tx| store::close(tx, id).await).await
}

pub(super) async fn correct_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "集中学习记录")?;
    let s = store::get(&st.db, &ctx.scope, id).await?;
    if !s.closed {
        return Ok(Redirect::to(&format!("/study/sessions/{id}/edit")).into_response());
    }
    let g = groups::get(&st.db, &ctx.scope, s.group_id).await?;
    Ok(form_page(&st, &ctx, Mode::Correct(id), &g, form_of(&s)).await?.into_response())
}

pub(super) async fn correct(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "集中学习记录")?;
    let s = store::get(&st.db, &ctx.scope, id).await?;
    let g = groups::get(&st.db, &ctx.scope, s.group_id).await?;
    let form = Form::submitted(fields);
    let (input, mut errs) = input_of(&form);
    if form.value("reason").trim().is_empty() {
        errs.push(FieldError {
            field: "reason", message: "请填写更正原因（如“补录请假人员”）".into()
        });
    }
    let reason = form.value("reason").to_owned();
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked(&tx, g.id, &input, errs, async |tx| store::correct(tx, id, &input, &reason).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/study/sessions/{id}?done=corrected"),
        async |f| form_page(&st, &ctx, Mode::Correct(id), &g, f).await,
    )
    .await
}
