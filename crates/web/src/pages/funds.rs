//! Training funds (经费, issue 14 item 4): a class's budget and expense lines with the caps
//! they break (`/classes/{id}/funds`, the organiser's), and the totals of the scope's
//! classes per campaign, organiser and source (`/funds`, with its Excel export).

use askama::Template;
use axum::extract::{Form as AxForm, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::funding::{
    self, CostKind, DAY_FIELDS, FeeCaps, FundSource, FundStage, HOUR_FIELDS, LecturerTitle, LineFields, VenueClass,
};
use xuepei_office::write::{Cell, Column};
use xuepei_store::Tx;
use xuepei_store::fee_caps::{self, OfScope};
use xuepei_store::funds::{self, ClassFunds, TotalRow};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::exports::{finish, write_in_background};
use crate::form::{Form, save_or_refuse};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::TRAINING_VIEW);
    let edit = Access::Page(Perm::TRAINING_EDIT);
    r.menu(MenuEntry {
        group: MenuGroup::Training,
        order: 40,
        key: "funds",
        label: "培训经费",
        href: "/funds",
        visible: |can| can(Perm::TRAINING_VIEW),
    })
    .audit_labels(&[
        ("fund.add", "登记培训经费"),
        ("fund.remove", "删除培训经费明细"),
        ("fund.venue", "设定培训类别"),
        ("funds.caps", "设定培训费开支标准"),
        ("funds.caps_reset", "恢复执行上级培训费开支标准"),
    ])
    .audit_fields(
        "class_fund",
        &[
            ("stage", "预算或支出"),
            ("line_source", "经费来源"),
            ("amount_fen", "金额（分）"),
            ("lecturer_title", "授课人职称"),
            ("hours", "学时"),
            ("half_days", "半天数"),
            ("note", "说明"),
        ],
    )
    .audit_codes(
        "class_fund",
        &[
            ("stage", |c| FundStage::from_code(c).map(FundStage::label)),
            ("line_source", |c| FundSource::from_code(c).map(FundSource::label)),
            ("kind", |c| CostKind::from_code(c).map(CostKind::label)),
            ("lecturer_title", |c| LecturerTitle::from_code(c).map(LecturerTitle::label)),
        ],
    )
    .get("/funds", view, totals)
    .post("/funds/export", view, totals_export)
    .get("/funds/caps", view, caps_page)
    .post("/funds/caps", edit, set_caps)
    .post("/funds/caps/reset", edit, reset_caps)
    .get("/classes/{id}/funds", edit, class_funds)
    .post("/classes/{id}/funds", edit, add_line)
    .post("/classes/{id}/funds/venue", edit, set_venue)
    .post("/classes/{id}/funds/{line}/delete", edit, remove_line)
}

#[derive(Template)]
#[template(path = "funds/class.html")]
struct ClassPage {
    layout: Layout,
    f: ClassFunds,
    form: Form,
    stages: Vec<(&'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str)>,
    kinds: Vec<(&'static str, &'static str)>,
    titles: Vec<(&'static str, &'static str)>,
    venues: Vec<(&'static str, &'static str)>,
}

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "added" => "经费明细已登记",
            "removed" => "经费明细已删除",
            "venue" => "培训类别已设定，综合定额标准随之调整",
            _ => return None,
        }
        .to_owned(),
    )
}

async fn class_page(st: &AppState, ctx: &Ctx, id: i64, form: Form, notice: Option<String>) -> AppResult<Html<String>> {
    let f = funds::of_class(&st.db, &ctx.scope, id).await?;
    let layout = Layout::new(ctx, format!("培训经费：{}", f.class.title), "funds")
        .crumb("班次", Some("/classes".into()))
        .crumb(f.class.title.clone(), Some(format!("/classes/{id}")))
        .crumb("培训经费", None)
        .notice(notice);
    render(&ClassPage {
        layout,
        f,
        form,
        stages: params::options::<FundStage>(),
        sources: params::options::<FundSource>(),
        kinds: params::options::<CostKind>(),
        titles: params::options::<LecturerTitle>(),
        venues: params::options::<VenueClass>(),
    })
}

async fn class_funds(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "班次")?;
    let form = Form::new().with("stage", FundStage::Expense.code()).with("source", FundSource::Fiscal.code());
    class_page(&st, &ctx, id, form, notice(&p)).await
}

async fn add_line(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let form = Form::submitted(fields);
    let get = |k: &str| form.value(k).to_owned();
    let input = LineFields {
        stage: get("stage"),
        source: get("source"),
        kind: get("kind"),
        amount: get("amount"),
        title: get("title"),
        hours: get("hours"),
        half_days: get("half_days"),
        note: get("note"),
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = funds::add_line(&tx, id, &input).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/classes/{id}/funds?done=added"),
        async |form| class_page(&st, &ctx, id, form, None).await,
    )
    .await
}

async fn set_venue(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let form = Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = funds::set_venue(&tx, id, form.value("venue_class")).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/classes/{id}/funds?done=venue"),
        async |form| class_page(&st, &ctx, id, form, None).await,
    )
    .await
}

async fn remove_line(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, line)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = params::id(&id, "班次")?;
    let line = params::id(&line, "经费明细")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = funds::remove_line(&tx, id, line).await;
    save_or_refuse(
        tx,
        result,
        Form::new(),
        |_| format!("/classes/{id}/funds?done=removed"),
        async |form| class_page(&st, &ctx, id, form, None).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "funds/totals.html")]
struct TotalsPage {
    layout: Layout,
    rows: Vec<TotalRow>,
    budget: String,
    expense: String,
    export_href: String,
}

async fn totals(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let campaign = params::num(&p, "campaign").filter(|v| *v > 0);
    let rows = funds::totals(&st.db, &ctx.scope, campaign).await?;
    let layout = Layout::new(&ctx, "培训经费", "funds").crumb("教育培训", None).crumb("培训经费", None);
    render(&TotalsPage {
        layout,
        budget: funding::yuan(rows.iter().map(|r| r.budget_fen).sum()),
        expense: funding::yuan(rows.iter().map(|r| r.expense_fen).sum()),
        rows,
        export_href: campaign.map_or_else(|| "/funds/export".to_owned(), |c| format!("/funds/export?campaign={c}")),
    })
}

const TOTAL_COLUMNS: [Column; 6] = [
    Column { header: "轮训工作", width: 36.0 },
    Column { header: "主办单位", width: 24.0 },
    Column { header: "经费来源", width: 14.0 },
    Column { header: "预算（元）", width: 14.0 },
    Column { header: "支出（元）", width: 14.0 },
    Column { header: "结余（元）", width: 14.0 },
];

async fn totals_export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let campaign = params::num(&p, "campaign").filter(|v| *v > 0);
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    super::send_export(&st, &ctx, "培训经费", |path| async move {
        let rows = funds::totals(&db, &scope, campaign).await?;
        let (tx, handle) = write_in_background(path, "培训经费", "培训经费".to_owned(), &TOTAL_COLUMNS).await;
        let money = |f: i64| Cell::Number(f as f64 / 100.0);
        let batch: Vec<Vec<Cell>> = rows
            .iter()
            .map(|r| {
                vec![
                    r.campaign.clone().unwrap_or_else(|| "（不属于轮训工作）".into()).into(),
                    r.organiser.clone().into(),
                    r.line_source.label().into(),
                    money(r.budget_fen),
                    money(r.expense_fen),
                    money(r.budget_fen - r.expense_fen),
                ]
            })
            .collect();
        let _ = tx.send(batch).await;
        finish(tx, handle).await
    })
    .await
}

#[derive(Template)]
#[template(path = "funds/caps.html")]
struct CapsPage {
    layout: Layout,
    c: OfScope,
    form: Form,
    can_edit: bool,
    /// (field, label) of each cap, in the form's order.
    fields: Vec<(&'static str, String)>,
}

/// The caps' fields with their labels, each with the figure in force above (the most it
/// may be).
fn cap_fields(above: &FeeCaps) -> Vec<(&'static str, String)> {
    let ceiling = above.fields();
    let mut out: Vec<(&'static str, String, &'static str)> = VenueClass::ALL
        .iter()
        .zip(DAY_FIELDS)
        .map(|(v, f)| (f, format!("{}综合定额", v.label()), "元/人·天"))
        .collect();
    out.push(("full_days", "全额计算的天数".into(), "天"));
    out.push(("long_percent", "超出天数的计算比例".into(), "%"));
    out.extend(LecturerTitle::ALL.iter().zip(HOUR_FIELDS).map(|(t, f)| (f, format!("{}讲课费", t.label()), "元/学时")));
    out.push(("hours_per_half_day", "每半天讲课学时上限".into(), "学时"));
    out.into_iter()
        .map(|(f, label, unit)| {
            let most = ceiling.get(f).map(String::as_str).unwrap_or_default();
            (f, format!("{label}（{unit}，上级标准{most}）"))
        })
        .collect()
}

async fn caps_view(st: &AppState, ctx: &Ctx, form: Option<Form>, notice: Option<String>) -> AppResult<Html<String>> {
    let c = fee_caps::of_scope(&st.db, &ctx.scope).await?;
    // The root's own figures when it set them, else those it follows now.
    let form = form.unwrap_or_else(|| {
        let mut f = Form::new();
        for (k, v) in c.own.unwrap_or(c.here.caps).fields() {
            f.set(&k, v);
        }
        f
    });
    let fields = cap_fields(&c.above.caps);
    let layout = Layout::new(ctx, "培训费开支标准", "funds")
        .crumb("培训经费", Some("/funds".into()))
        .crumb("开支标准", None)
        .notice(notice);
    render(&CapsPage { layout, c, form, can_edit: ctx.session.account.roles.can(Perm::TRAINING_EDIT), fields })
}

async fn caps_page(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let notice = match params::text(&p, "done") {
        Some("set") => Some("本级培训费开支标准已设定，本级和下级主办的班次按此核对".to_owned()),
        Some("reset") => Some("已恢复执行上级标准".to_owned()),
        _ => None,
    };
    caps_view(&st, &ctx, None, notice).await
}

async fn set_caps(
    State(st): State<AppState>,
    ctx: Ctx,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = Form::submitted(fields);
    let input: funding::CapFields = FeeCaps::default()
        .fields()
        .into_keys()
        .map(|k| {
            let v = form.value(&k).to_owned();
            (k, v)
        })
        .collect();
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = fee_caps::set(&tx, &input).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| "/funds/caps?done=set".to_owned(),
        async |form| caps_view(&st, &ctx, Some(form), None).await,
    )
    .await
}

async fn reset_caps(State(st): State<AppState>, ctx: Ctx) -> AppResult<Response> {
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    fee_caps::clear(&tx).await?;
    tx.commit().await?;
    Ok(Redirect::to("/funds/caps?done=reset").into_response())
}
