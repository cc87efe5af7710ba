//! A group's written reports: research topics (专题调研课题) with their reports, and each
//! member's annual study report (年度述学).

use askama::Template;
use axum::extract::{Form as AxForm, Path, Query, State};
use axum::response::{Html, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::ReportKind;
use xuepei_domain::validate::FieldError;
use xuepei_store::Tx;
use xuepei_store::study_groups::reports::{self as store, Report, ReportInput};
use xuepei_store::study_groups::{self as groups, Group};

use super::{can, member_options, merged, person_id, this_year};
use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppResult, render};
use crate::form::{Form, save_or_refuse};
use crate::layout::Layout;
use crate::params::{self, Params};

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "报告已登记",
            "updated" => "报告已保存",
            _ => return None,
        }
        .to_owned(),
    )
}

#[derive(Template)]
#[template(path = "study_groups/report.html")]
struct DetailPage {
    layout: Layout,
    r: Report,
    can_edit: bool,
}

pub(super) async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "报告")?;
    let r = store::get(&st.db, &ctx.scope, id).await?;
    let layout = Layout::new(&ctx, r.title.clone(), "study_groups")
        .crumb("理论学习中心组", Some("/study/groups".into()))
        .crumb(r.group_name.clone(), Some(format!("/study/groups/{}?year={}", r.group_id, r.year)))
        .crumb(r.title.clone(), None)
        .notice(notice(&p));
    render(&DetailPage { layout, can_edit: can(&ctx, Perm::STUDY_EDIT), r })
}

#[derive(Template)]
#[template(path = "study_groups/report_form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: Form,
    group_name: String,
    kinds: Vec<(&'static str, &'static str)>,
    people: Vec<(String, String)>,
    cancel_href: String,
    /// Today, the latest date the date pickers offer.
    today: String,
}

fn form_page(ctx: &Ctx, editing: Option<i64>, g: &Group, form: Form) -> AppResult<Html<String>> {
    let (title, action, cancel) = match editing {
        None => (
            "登记调研报告或述学报告".to_owned(),
            format!("/study/groups/{}/reports", g.id),
            format!("/study/groups/{}", g.id),
        ),
        Some(id) => ("修改报告".to_owned(), format!("/study/reports/{id}"), format!("/study/reports/{id}")),
    };
    let layout = Layout::new(ctx, title.clone(), "study_groups")
        .crumb("理论学习中心组", Some("/study/groups".into()))
        .crumb(g.name.clone(), Some(format!("/study/groups/{}", g.id)))
        .crumb(title, None);
    render(&FormPage {
        today: xuepei_domain::time::today().to_string(),
        layout,
        action,
        group_name: g.name.clone(),
        kinds: params::options::<ReportKind>(),
        people: member_options(g),
        cancel_href: cancel,
        form,
    })
}

fn form_of(r: &Report) -> Form {
    Form::new()
        .with("year", r.year.to_string())
        .with("kind", r.kind.code())
        .with("person", r.person.id.to_string())
        .with("title", r.title.clone())
        .with("body", r.body.clone())
        .with("done_on", r.done_on.map(|d| d.to_string()).unwrap_or_default())
}

fn input_of(form: &Form) -> (ReportInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let year_text = xuepei_domain::text::to_halfwidth(form.value("year").trim());
    let year = match year_text.as_str() {
        "" => None,
        t => t.parse::<i32>().ok().or_else(|| {
            errs.push(FieldError {
                field: "year", message: format!("年度“{t}”有误，请填写四位年份，如2026")
            });
            None
        }),
    };
    let person = match form.value("person").trim() {
        "" => None,
        v => person_id(v).or_else(|| {
            errs.push(FieldError { field: "person", message: "请从列表中选择报告人".into() });
            None
        }),
    };
    let done_on = crate::pages::campaigns::parse_date("done_on", "完成日期", form.value("done_on"), &mut errs);
    let input = ReportInput {
        year,
        kind: form.value("kind").to_owned(),
        person,
        title: form.value("title").to_owned(),
        body: form.value("body").to_owned(),
        done_on,
    };
    (input, errs)
}

pub(super) async fn new_form(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let gid = params::id(&id, "理论学习中心组")?;
    let g = groups::get(&st.db, &ctx.scope, gid).await?;
    let kind = params::labeled::<ReportKind>(&p, "kind").unwrap_or(ReportKind::Research);
    let form = Form::new().with("year", this_year().to_string()).with("kind", kind.code());
    form_page(&ctx, None, &g, form)
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
        |r| format!("/study/reports/{}?done=created", r.id),
        async |f| form_page(&ctx, None, &g, f),
    )
    .await
}

pub(super) async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Html<String>> {
    let id = params::id(&id, "报告")?;
    let r = store::get(&st.db, &ctx.scope, id).await?;
    let g = groups::get(&st.db, &ctx.scope, r.group_id).await?;
    form_page(&ctx, Some(id), &g, form_of(&r))
}

pub(super) async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "报告")?;
    let r = store::get(&st.db, &ctx.scope, id).await?;
    let g = groups::get(&st.db, &ctx.scope, r.group_id).await?;
    let form = Form::submitted(fields);
    let (input, errs) = input_of(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = merged(errs, store::update(&tx, id, &input).await);
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/study/reports/{id}?done=updated"),
        async |f| form_page(&ctx, Some(id), &g, f),
    )
    .await
}
