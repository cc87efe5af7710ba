//! Batch planning (分期分批): the organiser asks the planner for batches over its target
//! list, sees the proposal with everyone it could not place and why, moves people,
//! splits and merges batches, and accepts — which creates the classes and enrolments.

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::Sector;
use xuepei_domain::people::{RankLevel, Role};
use xuepei_domain::training::ClassLevel;
use xuepei_domain::validate::FieldError;
use xuepei_store::campaigns::{self, Campaign};
use xuepei_store::page::At;
use xuepei_store::plans::{self, Adjustment, PlanParams, PlanSummary, PlanView};
use xuepei_store::{StoreError, Tx, targets};

use super::campaigns::parse_date;
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
    r.get("/campaigns/{id}/plans", view, list)
        .get("/campaigns/{id}/plans/new", edit, new_form)
        .post("/campaigns/{id}/plans", edit, create)
        .get("/plans/{id}", view, detail)
        .post("/plans/{id}/adjust", edit, adjust)
        .post("/plans/{id}/accept", edit, accept)
        .post("/plans/{id}/delete", edit, discard)
        .audit_labels(&[
            ("plan.create", "生成排期方案"),
            ("plan.adjust", "调整排期方案"),
            ("plan.accept", "确认排期方案"),
            ("plan.delete", "删除排期方案"),
        ])
}

/// Batches shown per page of a proposal.
const BATCHES_PER_PAGE: u64 = 20;

#[derive(Template)]
#[template(path = "plans/list.html")]
struct ListPage {
    layout: Layout,
    c: Campaign,
    rows: Vec<PlanSummary>,
    can_edit: bool,
}

fn campaign_layout(ctx: &Ctx, c: &Campaign, title: &str) -> Layout {
    Layout::new(ctx, title.to_owned(), "campaigns")
        .crumb("轮训工作", Some("/campaigns".into()))
        .crumb(c.title.clone(), Some(format!("/campaigns/{}", c.id)))
        .crumb(title.to_owned(), None)
}

async fn list(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "轮训工作")?;
    let c = campaigns::get(&st.db, &ctx.scope, id).await?;
    let rows = plans::list_for_campaign(&st.db, &ctx.scope, id).await?;
    let notice = (params::text(&p, "done") == Some("deleted")).then(|| "排期方案已删除".to_owned());
    let layout = campaign_layout(&ctx, &c, "分期排期").notice(notice);
    render(&ListPage { layout, c, rows, can_edit: ctx.session.account.roles.can(Perm::TRAINING_EDIT) })
}

#[derive(Template)]
#[template(path = "plans/form.html")]
struct FormPage {
    layout: Layout,
    c: Campaign,
    form: crate::form::Form,
    organisers: Vec<(String, String)>,
    levels: Vec<(&'static str, &'static str)>,
    sectors: Vec<(&'static str, &'static str)>,
    roles: Vec<(&'static str, &'static str)>,
    ranks: Vec<(&'static str, &'static str)>,
}

async fn form_page(st: &AppState, ctx: &Ctx, c: Campaign, form: crate::form::Form) -> AppResult<Html<String>> {
    let organisers = targets::organisers(&st.db, &ctx.scope)
        .await?
        .into_iter()
        .map(|o| (o.code.clone(), o.display_name().to_owned()))
        .collect();
    let layout = campaign_layout(ctx, &c, "自动分期排期");
    render(&FormPage {
        layout,
        c,
        form,
        organisers,
        levels: params::options::<ClassLevel>(),
        sectors: params::options::<Sector>(),
        roles: params::options::<Role>(),
        ranks: params::options::<RankLevel>(),
    })
}

async fn new_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "轮训工作")?;
    let c = campaigns::get(&st.db, &ctx.scope, id).await?;
    let mut form = crate::form::Form::new()
        .with("start", c.start_on.to_string())
        .with("end", c.end_on.to_string())
        .with("batch_days", "3")
        .with("capacity", "50")
        .with("venues", "1")
        .with("max_org_share", "1/2");
    // Weekends are rest days unless the organiser says otherwise.
    form.set_list("weekends_off", vec!["1".to_owned()]);
    if let Some(o) = targets::organisers(&st.db, &ctx.scope).await?.first() {
        form.set("organiser", o.code.clone());
        // The city (no level above it in the tree but the province) runs city classes.
        let city = o.parent_id.is_none() || o.depth <= 1;
        form.set("level", if city { ClassLevel::City.code() } else { ClassLevel::County.code() });
        form.set("title", format!("{}{}培训班", o.display_name(), c.kind.label()));
    }
    form_page(&st, &ctx, c, form).await
}

/// Dates typed one per line (or separated by commas).
fn parse_dates(field: &'static str, label: &str, text: &str, errs: &mut Vec<FieldError>) -> Vec<NaiveDate> {
    text.split(['\n', ',', '，', '、', ';', '；', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .filter_map(|s| parse_date(field, label, s, errs))
        .collect()
}

/// Lines "身份证号 开始日期 [结束日期]".
fn parse_unavailable(text: &str, errs: &mut Vec<FieldError>) -> Vec<(String, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let parts: Vec<&str> = line.split([' ', '\t', ',', '，', '~', '～', '至']).filter(|s| !s.is_empty()).collect();
        let label = format!("不能参训日期第{}行", n + 1);
        match parts.as_slice() {
            [id, from] | [id, from, _] if parts.len() <= 3 => {
                let from_d = parse_date("unavailable", &label, from, errs);
                let to_d = parts.get(2).map_or(from_d, |t| parse_date("unavailable", &label, t, errs));
                if let (Some(f), Some(t)) = (from_d, to_d) {
                    out.push(((*id).to_owned(), f, t));
                }
            }
            _ => errs.push(FieldError {
                field: "unavailable",
                message: format!(
                    "{label}格式有误，应为“身份证号 开始日期 结束日期”，如 430602196501011234 2015-03-09 2015-03-10"
                ),
            }),
        }
    }
    out
}

fn number(field: &'static str, label: &str, text: &str, errs: &mut Vec<FieldError>) -> Option<u32> {
    let t = xuepei_domain::text::to_halfwidth(text.trim());
    if t.is_empty() {
        return None;
    }
    t.parse().ok().or_else(|| {
        errs.push(FieldError { field, message: format!("{label}应为整数，现为“{}”", text.trim()) });
        None
    })
}

fn code_of<T: Labeled>(field: &'static str, label: &str, text: &str, errs: &mut Vec<FieldError>) -> Option<T> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    T::parse_label(t).or_else(|| {
        errs.push(FieldError { field, message: format!("{label}“{t}”无效，请从列表中选择") });
        None
    })
}

fn params_of(form: &crate::form::Form) -> (PlanParams, Vec<FieldError>) {
    let mut errs = Vec::new();
    let p = PlanParams {
        organiser: form.value("organiser").to_owned(),
        title: form.value("title").to_owned(),
        level: form.value("level").to_owned(),
        institution: form.value("institution").to_owned(),
        start: parse_date("start", "开始日期", form.value("start"), &mut errs),
        end: parse_date("end", "结束日期", form.value("end"), &mut errs),
        batch_days: number("batch_days", "每期天数", form.value("batch_days"), &mut errs),
        capacity: number("capacity", "每期人数上限", form.value("capacity"), &mut errs),
        venues: number("venues", "可同时开班的场地数", form.value("venues"), &mut errs),
        weekends_off: form.is_checked("weekends_off", "1"),
        holidays: parse_dates("holidays", "节假日", form.value("holidays"), &mut errs),
        workdays: parse_dates("workdays", "调休上班日", form.value("workdays"), &mut errs),
        max_org_share: form.value("max_org_share").to_owned(),
        priority_orgs: super::campaigns::split_codes(form.value("priority_orgs")),
        under: form.value("under").to_owned(),
        sector: code_of("sector", "领域", form.value("sector"), &mut errs),
        role: code_of("role", "班子职务", form.value("role"), &mut errs),
        rank_level: code_of("rank_level", "职级", form.value("rank_level"), &mut errs),
        unavailable: parse_unavailable(form.value("unavailable"), &mut errs),
    };
    (p, errs)
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let c = campaigns::get(&st.db, &ctx.scope, id).await?;
    let form = crate::form::Form::submitted(fields);
    let (input, errs) = params_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = crate::form::write_or_report(
        errs,
        async || plans::check(tx.conn(), tx.scope(), id, &input).await,
        async || plans::propose(&tx, id, &input).await,
    )
    .await;
    save_or_refuse(
        tx,
        result,
        form,
        |p| format!("/plans/{}?done=created", p.id),
        async |f| form_page(&st, &ctx, c, f).await,
    )
    .await
}

/// One batch as the page shows it.
struct BatchRow {
    index: usize,
    start: NaiveDate,
    end: NaiveDate,
    venue: u32,
    people: Vec<(i64, plans::Label)>,
}

#[derive(Template)]
#[template(path = "plans/detail.html")]
struct DetailPage {
    layout: Layout,
    p: PlanView,
    batches: Vec<BatchRow>,
    unplaced: Vec<(plans::Label, String)>,
    can_edit: bool,
    /// The person being moved (`?move=ID`) and the batches they may go to.
    moving: Option<(i64, plans::Label)>,
    numbers: Vec<usize>,
    pager: Pager,
    error: Option<String>,
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(q): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "排期方案")?;
    let p = plans::get(&st.db, &ctx.scope, id).await?;
    detail_page(&ctx, p, &q, None)
}

fn detail_page(ctx: &Ctx, p: PlanView, q: &Params, error: Option<String>) -> AppResult<Html<String>> {
    // The proposal is in memory: the pager's cursors are batch positions.
    let total = p.proposal.batches.len();
    let paging = Paging::from(q, BATCHES_PER_PAGE).within(Some(total as u64));
    let size = usize::try_from(paging.size).unwrap_or(20);
    let from = match paging.at {
        At::First => 0,
        At::Number(n) => usize::try_from(n.saturating_sub(1)).unwrap_or(0).saturating_mul(size),
        At::Last => total.saturating_sub(usize::try_from(paging.limit()).unwrap_or(size)),
        At::After(c) => c.parse().unwrap_or(0),
        At::Before(c) => c.parse::<usize>().unwrap_or(0).saturating_sub(size),
    }
    .min(total);
    let to = (from + size).min(total);
    let pager = Pager::new(
        &format!("/plans/{}", p.id),
        q,
        &[],
        &paging,
        ((from > 0).then(|| from.to_string()), (to < total).then(|| to.to_string())),
        Some(total as u64),
    );
    let batches = p
        .proposal
        .batches
        .iter()
        .enumerate()
        .skip(from)
        .take(to - from)
        .map(|(i, b)| BatchRow {
            index: i + 1,
            start: b.start,
            end: b.end,
            venue: b.venue + 1,
            people: b.trainees.iter().map(|&t| (t, p.label(t))).collect(),
        })
        .collect();
    let unplaced = p.proposal.unplaced.iter().map(|u| (p.label(u.trainee), u.reason.clone())).collect();
    let moving = params::text(q, "move")
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|t| p.labels.contains_key(t))
        .map(|t| (t, p.label(t)));
    let notice = params::text(q, "done").and_then(|d| match d {
        "created" => Some("已生成排期方案，请核对后确认；确认后将生成班次并为学员报名".to_owned()),
        "adjusted" => Some("排期方案已调整".to_owned()),
        _ => None,
    });
    let layout = Layout::new(ctx, p.title.clone(), "campaigns")
        .crumb("轮训工作", Some("/campaigns".into()))
        .crumb("分期排期", Some(format!("/campaigns/{}/plans", p.campaign_id)))
        .crumb(p.title.clone(), None)
        .notice(notice);
    let can_edit = ctx.session.account.roles.can(Perm::TRAINING_EDIT) && p.status == plans::PlanStatus::Draft;
    render(&DetailPage { layout, numbers: (1..=total).collect(), batches, unplaced, can_edit, moving, pager, error, p })
}

fn index_of(form: &crate::form::Form, key: &str) -> Option<usize> {
    form.value(key).trim().parse::<usize>().ok().filter(|n| *n >= 1).map(|n| n - 1)
}

async fn adjust(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "排期方案")?;
    let form = crate::form::Form::submitted(fields);
    let a = match form.value("action") {
        "move" => form
            .value("trainee")
            .parse::<i64>()
            .ok()
            .zip(index_of(&form, "to"))
            .map(|(trainee, to)| Adjustment::Move { trainee, to }),
        "split" => index_of(&form, "batch")
            .zip(form.value("count").trim().parse::<usize>().ok().filter(|n| *n > 0))
            .map(|(batch, count)| Adjustment::Split { batch, count }),
        "merge" => {
            index_of(&form, "into").zip(index_of(&form, "from")).map(|(into, from)| Adjustment::Merge { into, from })
        }
        _ => None,
    };
    let Some(a) = a else {
        let p = plans::get(&st.db, &ctx.scope, id).await?;
        return Ok(detail_page(
            &ctx,
            p,
            &Params::default(),
            Some("调整内容不完整：请填写期次（从1开始）和人数".into()),
        )?
        .into_response());
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match plans::adjust(&tx, id, a).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/plans/{id}?done=adjusted")).into_response())
        }
        Err(e @ StoreError::Invalid(_)) => {
            drop(tx);
            let p = plans::get(&st.db, &ctx.scope, id).await?;
            let msg = e.reasons();
            Ok(detail_page(&ctx, p, &Params::default(), Some(msg))?.into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn accept(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "排期方案")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match plans::accept(&tx, id).await {
        Ok(_) => {
            tx.commit().await?;
            let p = plans::get(&st.db, &ctx.scope, id).await?;
            Ok(Redirect::to(&format!("/classes?campaign={}&done=planned", p.campaign_id)).into_response())
        }
        Err(e @ StoreError::Invalid(_)) => {
            drop(tx);
            let p = plans::get(&st.db, &ctx.scope, id).await?;
            let msg = e.reasons();
            Ok(detail_page(&ctx, p, &Params::default(), Some(format!("未能生成班次，方案未作改动：{msg}")))?
                .into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn discard(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "排期方案")?;
    let p = plans::get(&st.db, &ctx.scope, id).await?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    plans::discard(&tx, id).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/campaigns/{}/plans?done=deleted", p.campaign_id)).into_response())
}
