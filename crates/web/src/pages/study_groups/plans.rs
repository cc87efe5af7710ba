//! A group's annual plan (topics by month) and thematic plans: drafted and changed by the
//! group, submitted to the approving body, returned with comments or approved there, and
//! an approved plan corrected only with a reason (audited). The approver's inbox lists the
//! plans waiting for the bodies of the account's scope.

use askama::Template;
use axum::extract::{Form as AxForm, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::{PlanAction, PlanKind, PlanState};
use xuepei_domain::validate::FieldError;
use xuepei_store::Tx;
use xuepei_store::study_groups::plans::{self as store, Plan, PlanInput, Topic};
use xuepei_store::study_groups::{self as groups, Group};

use super::{can, merged, step, this_year};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::form::{Form, save_or_refuse};
use crate::layout::Layout;
use crate::params::{self, Params};

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "学习计划已保存为草稿；确认无误后请点击“报送”",
            "updated" => "学习计划已保存",
            "submitted" => "学习计划已报送，等待审批",
            "returned" => "学习计划已退回修改，修改意见已告知中心组",
            "approved" => "学习计划已审批通过",
            "corrected" => "学习计划已更正，更正原因已记入审计日志",
            _ => return None,
        }
        .to_owned(),
    )
}

// ---------------------------------------------------------------------------------------
// A plan's page with the steps of its route.

#[derive(Template)]
#[template(path = "study_groups/plan.html")]
struct DetailPage {
    layout: Layout,
    p: Plan,
    can_edit: bool,
    /// The account may decide: it approves, and its scope holds the approving body.
    can_decide: bool,
    can_correct: bool,
    can_audit: bool,
    decision: Form,
}

pub(super) async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "学习计划")?;
    let p = store::get(&st.db, &ctx.scope, id).await?;
    detail_page(&ctx, p, Form::new(), notice(&q))
}

fn detail_page(ctx: &Ctx, p: Plan, decision: Form, notice: Option<String>) -> AppResult<Html<String>> {
    let layout = Layout::new(ctx, p.title.clone(), "study_groups")
        .crumb("理论学习中心组", Some("/study/groups".into()))
        .crumb(p.group_name.clone(), Some(format!("/study/groups/{}?year={}", p.group_id, p.year)))
        .crumb(p.title.clone(), None)
        .notice(notice);
    let approve = can(ctx, Perm::STUDY_APPROVE);
    render(&DetailPage {
        layout,
        can_edit: can(ctx, Perm::STUDY_EDIT) && p.state.editable(),
        can_decide: approve && p.state == PlanState::Submitted && ctx.scope.contains_path(&p.approver_path),
        can_correct: approve && p.state == PlanState::Approved,
        can_audit: can(ctx, Perm::AUDIT_VIEW),
        p,
        decision,
    })
}

// ---------------------------------------------------------------------------------------
// Drafting, changing and correcting.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    New(i64),
    Edit(i64),
    Correct(i64),
}

#[derive(Template)]
#[template(path = "study_groups/plan_form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: Form,
    group_name: String,
    kinds: Vec<(&'static str, &'static str)>,
    /// Month and the topic typed for it, January to December.
    months: Vec<(u32, String)>,
    correcting: bool,
    cancel_href: String,
    /// A new annual plan's year already has one: its id and what to tell about it.
    existing: Option<(i64, String)>,
}

/// The annual plan the year typed on a new plan's form already has, told with what can be
/// done about it (an approved plan changes only by correction).
async fn existing_annual(st: &AppState, ctx: &Ctx, g: &Group, form: &Form) -> AppResult<Option<(i64, String)>> {
    let kind = form.value("kind").trim();
    if !(kind.is_empty() || PlanKind::parse_label(kind) == Some(PlanKind::Annual)) {
        return Ok(None);
    }
    let year = match xuepei_domain::text::to_halfwidth(form.value("year").trim()).parse::<i32>() {
        Ok(y) => y,
        Err(_) => return Ok(None),
    };
    Ok(store::annual(&st.db, &ctx.scope, g.id, year).await?.map(|p| {
        let what = format!(
            "{}{year}年度已有年度学习计划《{}》（{}），每年只制定一份；{}。",
            g.name,
            p.title,
            p.state.label(),
            store::existing_annual_advice(p.state)
        );
        (p.id, what)
    }))
}

async fn form_page(st: &AppState, ctx: &Ctx, mode: Mode, g: &Group, form: Form) -> AppResult<Html<String>> {
    let existing = match mode {
        Mode::New(_) => existing_annual(st, ctx, g, &form).await?,
        Mode::Edit(_) | Mode::Correct(_) => None,
    };
    let (title, action, cancel) = match mode {
        Mode::New(gid) => {
            ("制定学习计划".to_owned(), format!("/study/groups/{gid}/plans"), format!("/study/groups/{gid}"))
        }
        Mode::Edit(id) => ("修改学习计划".to_owned(), format!("/study/plans/{id}"), format!("/study/plans/{id}")),
        Mode::Correct(id) => {
            ("更正已审批的学习计划".to_owned(), format!("/study/plans/{id}/correct"), format!("/study/plans/{id}"))
        }
    };
    let layout = Layout::new(ctx, title.clone(), "study_groups")
        .crumb("理论学习中心组", Some("/study/groups".into()))
        .crumb(g.name.clone(), Some(format!("/study/groups/{}", g.id)))
        .crumb(title, None);
    let typed = form.list("topic");
    let months = (1..=12u32).map(|m| (m, typed.get(m as usize - 1).cloned().unwrap_or_default())).collect();
    render(&FormPage {
        layout,
        action,
        group_name: g.name.clone(),
        kinds: params::options::<PlanKind>(),
        months,
        correcting: matches!(mode, Mode::Correct(_)),
        cancel_href: cancel,
        existing,
        form,
    })
}

fn form_of(p: &Plan) -> Form {
    let mut form = Form::new()
        .with("year", p.year.to_string())
        .with("kind", p.kind.code())
        .with("title", p.title.clone())
        .with("body", p.body.clone());
    let mut months = vec![String::new(); 12];
    for t in &p.topics {
        if let Some(slot) = months.get_mut(t.month as usize - 1) {
            if !slot.is_empty() {
                slot.push('；');
            }
            slot.push_str(&t.topic);
        }
    }
    form.set_list("topic", months);
    form
}

/// The plan typed on the form; a month left empty has no topic.
fn input_of(form: &Form) -> (PlanInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let year_text = xuepei_domain::text::to_halfwidth(form.value("year").trim());
    let year = match year_text.as_str() {
        "" => None,
        t => t.parse::<i32>().ok().or_else(|| {
            errs.push(FieldError {
                field: "year", message: format!("计划年度“{t}”有误，请填写四位年份，如2027")
            });
            None
        }),
    };
    let topics = form
        .list("topic")
        .iter()
        .take(12)
        .enumerate()
        .filter(|(_, t)| !t.trim().is_empty())
        .map(|(i, t)| Topic { month: i as u32 + 1, topic: t.clone() })
        .collect();
    let input = PlanInput {
        year,
        kind: form.value("kind").to_owned(),
        title: form.value("title").to_owned(),
        topics,
        body: form.value("body").to_owned(),
    };
    (input, errs)
}

pub(super) async fn new_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let gid = params::id(&id, "理论学习中心组")?;
    let g = groups::get(&st.db, &ctx.scope, gid).await?;
    let form = Form::new().with("year", this_year().to_string()).with("kind", PlanKind::Annual.code());
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
    let result = merged(errs, store::create(&tx, gid, &input).await);
    save_or_refuse(
        tx,
        result,
        form,
        |p| format!("/study/plans/{}?done=created", p.id),
        async |f| form_page(&st, &ctx, Mode::New(gid), &g, f).await,
    )
    .await
}

pub(super) async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "学习计划")?;
    let p = store::get(&st.db, &ctx.scope, id).await?;
    if !p.state.editable() {
        return Ok(Redirect::to(&format!("/study/plans/{id}")).into_response());
    }
    let g = groups::get(&st.db, &ctx.scope, p.group_id).await?;
    Ok(form_page(&st, &ctx, Mode::Edit(id), &g, form_of(&p)).await?.into_response())
}

pub(super) async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "学习计划")?;
    let p = store::get(&st.db, &ctx.scope, id).await?;
    let g = groups::get(&st.db, &ctx.scope, p.group_id).await?;
    let form = Form::submitted(fields);
    let (input, errs) = input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = merged(errs, store::update(&tx, id, &input).await);
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/study/plans/{id}?done=updated"),
        async |f| form_page(&st, &ctx, Mode::Edit(id), &g, f).await,
    )
    .await
}

pub(super) async fn correct_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "学习计划")?;
    let p = store::get(&st.db, &ctx.scope, id).await?;
    if p.state != PlanState::Approved {
        return Ok(Redirect::to(&format!("/study/plans/{id}")).into_response());
    }
    let g = groups::get(&st.db, &ctx.scope, p.group_id).await?;
    Ok(form_page(&st, &ctx, Mode::Correct(id), &g, form_of(&p)).await?.into_response())
}

pub(super) async fn correct(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "学习计划")?;
    let p = store::get(&st.db, &ctx.scope, id).await?;
    let g = groups::get(&st.db, &ctx.scope, p.group_id).await?;
    let form = Form::submitted(fields);
    let (input, errs) = input_of(&form);
    let reason = form.value("reason").to_owned();
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = merged(errs, store::correct(&tx, id, &input, &reason).await);
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/study/plans/{id}?done=corrected"),
        async |f| form_page(&st, &ctx, Mode::Correct(id), &g, f).await,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// The route: submit, return with comments, approve.

pub(super) async fn submit(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "学习计划")?;
    step(&st, &ctx, format!("/study/plans/{id}?done=submitted"), async |tx| {
        store::act(tx, id, PlanAction::Submit, "").await
    })
    .await
}

/// Returns or approves; a refusal (no comments, not this body's to decide, already
/// decided) shows the plan again with why.
async fn decide(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    action: PlanAction,
    fields: Vec<(String, String)>,
) -> AppResult<Response> {
    let form = Form::submitted(fields);
    let comments = form.value("comments").to_owned();
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = if action == PlanAction::Return && comments.trim().is_empty() {
        // Told beside the field rather than above the plan.
        match store::get(tx.conn(), tx.scope(), id).await {
            Ok(_) => Err(xuepei_store::StoreError::invalid("comments", "退回时请填写修改意见，说明需要修改的内容")),
            Err(e) => Err(e),
        }
    } else {
        store::act(&tx, id, action, &comments).await
    };
    let done = if action == PlanAction::Return { "returned" } else { "approved" };
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/study/plans/{id}?done={done}"),
        async |f| {
            let p = store::get(&st.db, &ctx.scope, id).await?;
            detail_page(ctx, p, f, None)
        },
    )
    .await
}

pub(super) async fn send_back(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "学习计划")?;
    decide(&st, &ctx, id, PlanAction::Return, fields).await
}

pub(super) async fn approve(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "学习计划")?;
    decide(&st, &ctx, id, PlanAction::Approve, fields).await
}

// ---------------------------------------------------------------------------------------
// The approver's inbox.

#[derive(Template)]
#[template(path = "study_groups/awaiting.html")]
struct AwaitingPage {
    layout: Layout,
    plans: Vec<Plan>,
}

pub(super) async fn awaiting(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let plans = store::awaiting(&st.db, &ctx.scope).await?;
    let layout =
        Layout::new(&ctx, "学习计划审批", "study_plans_awaiting").crumb("理论学习", None).crumb("学习计划审批", None);
    render(&AwaitingPage { layout, plans })
}
