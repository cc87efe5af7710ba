//! Practice bases (示范培训实践基地, issue 14 item 3): the year's bases and each county's
//! standing against its quota and the ≥5 + 5 (`/bases`, with the city's quota form and the
//! Excel export), an application with its 五有 evidence (`/bases/new`, `/bases/{id}`), and
//! the steps: county accreditation and recommendation, the city's accreditation or return,
//! revocation and the yearly review.

use askama::Template;
use axum::extract::{Form as AxForm, Multipart, Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Datelike;
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::Sector;
use xuepei_domain::training::bases::{self as rules, BaseAction, BaseKind, BaseState, FIVE_ITEMS};
use xuepei_office::gongwen::{self, BaseForm};
use xuepei_office::write::{Cell, Column};
use xuepei_store::base_files::{self, BaseFile};
use xuepei_store::bases::{self as store, Base, BaseFilter, BaseInput, CountyTally};
use xuepei_store::org::{self, OrgFilter};
use xuepei_store::{StoreError, Tx};

use crate::AppState;
use crate::auth::Ctx;
use crate::documents::{self, send_docx};
use crate::error::{AppResult, render};
use crate::exports::{finish, write_in_background};
use crate::form::{Form, save_or_refuse};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};
use crate::upload;

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::TRAINING_VIEW);
    let edit = Access::Page(Perm::TRAINING_EDIT);
    r.menu(MenuEntry {
        group: MenuGroup::Training,
        order: 40,
        key: "bases",
        label: "示范培训实践基地",
        href: "/bases",
        visible: |can| can(Perm::TRAINING_VIEW),
    })
    .audit_labels(&[
        ("base.create", "申报实践基地"),
        ("base.update", "修改实践基地申报材料"),
        ("base.accredit_county", "实践基地县级授牌"),
        ("base.recommend", "推荐市级实践基地"),
        ("base.accredit_city", "实践基地市级授牌"),
        ("base.return", "退回实践基地推荐"),
        ("base.revoke", "撤销实践基地授牌"),
        ("base.review", "实践基地年度复核"),
        ("base.quota", "设定实践基地推荐名额"),
        ("base.form", "导出实践基地申报表"),
        ("base.attach", "上传实践基地佐证材料"),
        ("base.detach", "删除实践基地佐证材料"),
    ])
    .audit_fields(
        "practice_base",
        &[
            ("name", "基地名称"),
            ("kind", "类型"),
            ("year", "年度"),
            ("state", "状态"),
            ("evidence", "五有材料"),
            ("comments", "意见"),
            ("county_on", "县级授牌日期"),
            ("city_on", "市级授牌日期"),
            ("review_note", "复核情况"),
        ],
    )
    .audit_codes(
        "practice_base",
        &[
            ("kind", |c| BaseKind::from_code(c).map(BaseKind::label)),
            ("state", |c| BaseState::from_code(c).map(BaseState::label)),
        ],
    )
    .get("/bases", view, index)
    .post("/bases/export", view, export)
    .post("/bases/quotas", edit, set_quota)
    .get("/bases/new", edit, new_form)
    .post("/bases", edit, create)
    .get("/bases/{id}", view, detail)
    .post("/bases/{id}", edit, update)
    .post("/bases/{id}/act", edit, act)
    .post("/bases/{id}/review", edit, review)
    .post("/bases/{id}/application.docx", view, application_docx)
    .post("/bases/{id}/files", edit, add_evidence)
    .get("/bases/{id}/files/{file}", view, evidence_file)
    .post("/bases/{id}/files/{file}/delete", edit, remove_evidence)
}

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "申报材料已保存",
            "updated" => "修改已保存",
            "accredit_county" => "已县级授牌",
            "recommend" => "已推荐市级，等待市级审核授牌",
            "accredit_city" => "已市级授牌",
            "return" => "已退回县市区",
            "revoke" => "已撤销授牌",
            "reviewed" => "年度复核情况已记录",
            "quota" => "推荐名额已保存",
            "attached" => "佐证材料已上传",
            "detached" => "佐证材料已删除",
            _ => return None,
        }
        .to_owned(),
    )
}

fn this_year() -> i32 {
    xuepei_domain::time::today().year()
}

/// The year asked for: a plausible one, or this year.
fn year_of(p: &Params) -> i32 {
    params::num(p, "year")
        .and_then(|y| i32::try_from(y).ok())
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or_else(this_year)
}

// ---------------------------------------------------------------------------------------
// The year's bases.

#[derive(Template)]
#[template(path = "bases/index.html")]
struct IndexPage {
    layout: Layout,
    year: i32,
    export_href: String,
    state: String,
    states: Vec<(&'static str, &'static str)>,
    bases: Vec<Base>,
    tallies: Vec<CountyTally>,
    city: (u32, u32),
    quota: Form,
    /// Whether the viewer sets quotas (a scope above the counties).
    sets_quotas: bool,
    /// Whether the viewer may apply (training editors).
    can_apply: bool,
    city_villages: u32,
    city_communities: u32,
    county_min: u32,
}

async fn index_page(st: &AppState, ctx: &Ctx, p: &Params, quota: Form) -> AppResult<Html<String>> {
    let year = year_of(p);
    let state = params::labeled::<BaseState>(p, "state");
    let bases = store::list(&st.db, &ctx.scope, &BaseFilter { year: Some(year), state, county_id: None }).await?;
    let tallies = store::tallies(&st.db, &ctx.scope, year).await?;
    let city = tallies.iter().fold((0, 0), |a, t| (a.0 + t.city_accredited.0, a.1 + t.city_accredited.1));
    let sets_quotas = tallies.iter().any(|t| Some(t.county.id) != ctx.scope.root_org_id());
    let layout = Layout::new(ctx, "示范培训实践基地", "bases")
        .crumb("教育培训", None)
        .crumb("示范培训实践基地", None)
        .notice(notice(p));
    render(&IndexPage {
        layout,
        year,
        export_href: format!("/bases/export?year={year}"),
        state: state.map(|s| s.code().to_owned()).unwrap_or_default(),
        states: params::options::<BaseState>(),
        bases,
        tallies,
        city,
        quota,
        sets_quotas,
        can_apply: ctx.session.account.roles.can(Perm::TRAINING_EDIT),
        city_villages: rules::CITY_VILLAGES,
        city_communities: rules::CITY_COMMUNITIES,
        county_min: rules::COUNTY_MIN,
    })
}

async fn index(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    index_page(&st, &ctx, &p, Form::new()).await
}

async fn set_quota(
    State(st): State<AppState>,
    ctx: Ctx,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = Form::submitted(fields);
    let year = form.value("year").to_owned();
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::set_quota(
        &tx,
        form.value("county"),
        form.value("year"),
        form.value("villages"),
        form.value("communities"),
    )
    .await;
    let mut p = Params::new();
    p.insert("year".into(), year.clone());
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/bases?year={}&done=quota#quotas", params::enc(&year)),
        async |form| index_page(&st, &ctx, &p, form).await,
    )
    .await
}

const EXPORT_COLUMNS: [Column; 16] = [
    Column { header: "基地名称", width: 30.0 },
    Column { header: "类型", width: 8.0 },
    Column { header: "所在单位", width: 24.0 },
    Column { header: "县市区", width: 14.0 },
    Column { header: "年度", width: 8.0 },
    Column { header: "状态", width: 12.0 },
    Column { header: "县级授牌日期", width: 14.0 },
    Column { header: "市级授牌日期", width: 14.0 },
    Column { header: "有满足培训需要的场所", width: 30.0 },
    Column { header: "有熟悉情况的讲解员", width: 30.0 },
    Column { header: "有生动具体的典型材料", width: 30.0 },
    Column { header: "有可供参观学习的现场", width: 30.0 },
    Column { header: "有特色明显的专题片", width: 30.0 },
    Column { header: "意见", width: 30.0 },
    Column { header: "年度复核", width: 30.0 },
    Column { header: "现场教学次数", width: 12.0 },
];

async fn export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let year = year_of(&p);
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    super::send_export(&st, &ctx, "实践基地", |path| async move {
        let bases = store::list(&db, &scope, &BaseFilter { year: Some(year), ..Default::default() }).await?;
        let (tx, handle) =
            write_in_background(path, "实践基地", format!("{year}年度示范培训实践基地"), &EXPORT_COLUMNS).await;
        let batch: Vec<Vec<Cell>> = bases
            .into_iter()
            .map(|b| {
                let mut r: Vec<Cell> = vec![
                    b.name.clone().into(),
                    b.kind.label().into(),
                    b.org.name.clone().into(),
                    b.county.name.clone().into(),
                    Cell::Number(f64::from(b.year)),
                    b.state.label().into(),
                    b.county_on.map_or(Cell::Empty, |d| d.to_string().into()),
                    b.city_on.map_or(Cell::Empty, |d| d.to_string().into()),
                ];
                r.extend(b.evidence.iter().map(|e| Cell::from(e.clone())));
                r.push(b.comments.clone().map_or(Cell::Empty, Cell::from));
                r.push(b.review_note.clone().map_or(Cell::Empty, |n| {
                    format!("{}：{n}", b.reviewed_on.map(|d| d.to_string()).unwrap_or_default()).into()
                }));
                r.push(b.venue_id.map_or(Cell::Empty, |_| Cell::Number(b.uses as f64)));
                r
            })
            .collect();
        let _ = tx.send(batch).await;
        finish(tx, handle).await
    })
    .await
}

// ---------------------------------------------------------------------------------------
// An application.

#[derive(Template)]
#[template(path = "bases/form.html")]
struct FormPage {
    layout: Layout,
    form: Form,
    action: String,
    back_href: String,
    kinds: Vec<(&'static str, &'static str)>,
    items: [(&'static str, &'static str); 5],
    hosts: Vec<(String, String)>,
}

/// Villages and communities offered for the host field (a county has a few hundred; a
/// wider scope types the code).
const HOSTS_MAX: usize = 1500;

async fn hosts(st: &AppState, ctx: &Ctx) -> AppResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    for sector in [Sector::Village, Sector::Community] {
        let f = OrgFilter { sector: Some(sector), ..Default::default() };
        out.extend(org::all(&st.db, &ctx.scope, &f).await?.into_iter().map(|o| (o.code.clone(), o.name)));
    }
    if out.len() > HOSTS_MAX {
        out.clear();
    }
    out.sort();
    Ok(out)
}

async fn form_page(st: &AppState, ctx: &Ctx, form: Form, base: Option<&Base>) -> AppResult<Html<String>> {
    let (title, action, back) = match base {
        Some(b) => (format!("修改申报材料：{}", b.name), format!("/bases/{}", b.id), format!("/bases/{}", b.id)),
        None => ("申报示范培训实践基地".to_owned(), "/bases".to_owned(), "/bases".to_owned()),
    };
    let layout =
        Layout::new(ctx, title.clone(), "bases").crumb("示范培训实践基地", Some("/bases".into())).crumb(title, None);
    render(&FormPage {
        layout,
        form,
        action,
        back_href: back,
        kinds: params::options::<BaseKind>(),
        items: FIVE_ITEMS,
        hosts: hosts(st, ctx).await?,
    })
}

fn input_of(form: &Form) -> BaseInput {
    let get = |k: &str| form.value(k).to_owned();
    BaseInput {
        org: get("org"),
        name: get("name"),
        kind: get("kind"),
        year: get("year"),
        address: get("address"),
        contact: get("contact"),
        phone: get("phone"),
        summary: get("summary"),
        evidence: FIVE_ITEMS.map(|(k, _)| get(k)),
    }
}

async fn new_form(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    form_page(&st, &ctx, Form::new().with("year", this_year().to_string()), None).await
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::create(&tx, &input_of(&form)).await;
    save_or_refuse(
        tx,
        result,
        form,
        |b| format!("/bases/{}?done=created", b.id),
        async |form| form_page(&st, &ctx, form, None).await,
    )
    .await
}

#[derive(Template)]
#[template(path = "bases/detail.html")]
struct DetailPage {
    layout: Layout,
    b: Base,
    /// The 五有 items' evidence files.
    files: Vec<BaseFile>,
    upload: Form,
    /// The viewer adds and removes evidence (the application is editable by its scope).
    can_attach: bool,
    item_options: Vec<(&'static str, &'static str)>,
    missing: Vec<&'static str>,
    edit: Option<Form>,
    steps: Form,
    can_county: bool,
    can_city: bool,
    can_revoke: bool,
    review: Form,
    kinds: Vec<(&'static str, &'static str)>,
    items: [(&'static str, &'static str); 5],
    hosts: Vec<(String, String)>,
}

/// The forms of the base's page, each as submitted when it was refused.
#[derive(Default)]
struct Forms {
    steps: Form,
    review: Form,
    edit: Option<Form>,
    upload: Form,
}

async fn detail_page(st: &AppState, ctx: &Ctx, id: i64, forms: Forms, n: Option<String>) -> AppResult<Html<String>> {
    let Forms { steps, review, edit, upload } = forms;
    let b = store::get(&st.db, &ctx.scope, id).await?;
    let files = base_files::of_base(&st.db, &b).await?;
    let can_revoke = b.accredited_by(&ctx.scope);
    // A refusal of a form this viewer is not shown is said above the page.
    let shown = |f: &Form| f.has_errors() || f.general().is_some();
    let mut steps = steps;
    if let Some(f) = edit.as_ref().filter(|f| shown(f) && !b.editable_by(&ctx.scope)) {
        steps = f.clone();
    }
    if shown(&review) && !can_revoke {
        steps = review.clone();
    }
    let edit = if b.editable_by(&ctx.scope) {
        Some(edit.unwrap_or_else(|| {
            let mut f = Form::new()
                .with("org", b.org.code.clone())
                .with("name", b.name.clone())
                .with("kind", b.kind.code())
                .with("year", b.year.to_string())
                .with("address", b.address.clone())
                .with("contact", b.contact.clone())
                .with("phone", b.phone.clone())
                .with("summary", b.summary.clone());
            for ((k, _), e) in FIVE_ITEMS.iter().zip(&b.evidence) {
                f.set(k, e.clone());
            }
            f
        }))
    } else {
        None
    };
    let layout = Layout::new(ctx, b.name.clone(), "bases")
        .crumb("示范培训实践基地", Some(format!("/bases?year={}", b.year)))
        .crumb(b.name.clone(), None)
        .notice(n);
    let edit_open = edit.is_some();
    let can_attach = b.editable_by(&ctx.scope) && ctx.session.account.roles.can(Perm::TRAINING_EDIT);
    let can_county =
        b.county_acts(&ctx.scope) && matches!(b.state, BaseState::Draft | BaseState::Returned | BaseState::County);
    let can_city = b.city_acts(&ctx.scope) && b.state == BaseState::Recommended;
    render(&DetailPage {
        layout,
        files,
        upload,
        can_attach,
        item_options: FIVE_ITEMS.iter().map(|(k, l)| (*k, *l)).collect(),
        missing: b.missing(),
        b,
        edit,
        steps,
        can_county,
        can_city,
        can_revoke,
        review,
        kinds: params::options::<BaseKind>(),
        items: FIVE_ITEMS,
        hosts: if edit_open { hosts(st, ctx).await? } else { Vec::new() },
    })
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "实践基地")?;
    detail_page(&st, &ctx, id, Forms::default(), notice(&p)).await
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "实践基地")?;
    let form = Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::update(&tx, id, &input_of(&form)).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/bases/{id}?done=updated"),
        async |form| detail_page(&st, &ctx, id, Forms { edit: Some(form), ..Forms::default() }, None).await,
    )
    .await
}

async fn act(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "实践基地")?;
    let form = Form::submitted(fields);
    let action = form.value("action").to_owned();
    let done = BaseAction::parse_label(&action).map_or("updated", BaseAction::code);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::act(&tx, id, &action, form.value("reason")).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/bases/{id}?done={done}"),
        async |form| detail_page(&st, &ctx, id, Forms { steps: form, ..Forms::default() }, None).await,
    )
    .await
}

async fn review(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "实践基地")?;
    let form = Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::review(&tx, id, form.value("note")).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/bases/{id}?done=reviewed"),
        async |form| detail_page(&st, &ctx, id, Forms { review: form, ..Forms::default() }, None).await,
    )
    .await
}

async fn add_evidence(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    mp: Multipart,
) -> AppResult<Response> {
    let id = params::id(&id, "实践基地")?;
    let u = match upload::read_file(&st, mp, "file", "佐证材料").await {
        Ok(u) => u,
        Err(m) => {
            let mut upload = Form::new();
            upload.refuse(StoreError::invalid("file", m))?;
            let page = detail_page(&st, &ctx, id, Forms { upload, ..Forms::default() }, None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let item = u.field("item").to_owned();
    let (name, bytes) = u.file.unwrap_or_default();
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = base_files::add(&tx, id, &item, &name, bytes).await;
    save_or_refuse(
        tx,
        result,
        Form::new().with("item", item.clone()),
        |_| format!("/bases/{id}?done=attached#evidence"),
        async |upload| detail_page(&st, &ctx, id, Forms { upload, ..Forms::default() }, None).await,
    )
    .await
}

async fn remove_evidence(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = params::id(&id, "实践基地")?;
    let file = params::id(&file, "佐证材料")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = base_files::remove(&tx, id, file).await;
    save_or_refuse(
        tx,
        result,
        Form::new(),
        |_| format!("/bases/{id}?done=detached#evidence"),
        async |upload| detail_page(&st, &ctx, id, Forms { upload, ..Forms::default() }, None).await,
    )
    .await
}

/// An evidence file: a photo shown in the page, anything else downloaded; never run as a
/// page of this site.
async fn evidence_file(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = params::id(&id, "实践基地")?;
    let file = params::id(&file, "佐证材料")?;
    let (name, mime, content) = base_files::file(&st.db, &ctx.scope, id, file).await?;
    let mut resp = if rules::is_photo(&mime) {
        documents::inline(content, &mime, &name)
    } else {
        documents::attachment(content, &mime, &name)
    };
    let csp = HeaderValue::from_static("default-src 'none'; sandbox");
    resp.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    Ok(resp)
}

/// The county's and the city's opinions as the record states them (blank for a hand
/// signature when neither has decided).
fn opinions(b: &Base) -> (String, String) {
    let county = match (b.county_on, b.state) {
        (_, BaseState::Recommended | BaseState::City | BaseState::Returned) => {
            if b.county_on.is_some() {
                "已授予县级示范培训实践基地，同意推荐为市级示范培训实践基地。"
            } else {
                "同意推荐为市级示范培训实践基地。"
            }
        }
        (Some(_), _) => "同意授予县级示范培训实践基地。",
        (None, _) => "",
    };
    let city = match b.state {
        BaseState::City => "同意授予市级示范培训实践基地。".to_owned(),
        BaseState::Returned => format!("退回。{}", b.comments.clone().unwrap_or_default()),
        _ => String::new(),
    };
    (county.to_owned(), city)
}

/// The application form (申报表 of 002) filled from the record, as Word.
async fn application_docx(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "实践基地")?;
    let b = store::get(&st.db, &ctx.scope, id).await?;
    let files = base_files::of_base(&st.db, &b).await?;
    let (county_opinion, city_opinion) = opinions(&b);
    let form = BaseForm {
        name: b.name.clone(),
        county: b.county.name.clone(),
        applicant: b.org.name.clone(),
        kind: b.kind.label().to_owned(),
        year: format!("{}年", b.year),
        address: b.address.clone(),
        contact: b.contact.clone(),
        phone: b.phone.clone(),
        summary: b.summary.clone(),
        items: FIVE_ITEMS
            .iter()
            .zip(b.items())
            .map(|((key, _), (label, e))| {
                // The evidence files are named after the item's text (附：…).
                let names: Vec<&str> = files.iter().filter(|f| f.item == *key).map(|f| f.name.as_str()).collect();
                let e = match (e.is_empty(), names.is_empty()) {
                    (_, true) => e.to_owned(),
                    (true, false) => format!("附：{}", names.join("、")),
                    (false, false) => format!("{e}（附：{}）", names.join("、")),
                };
                (label.to_owned(), e)
            })
            .collect(),
        county_opinion,
        // The recommendation has no date of its own; the county's accreditation has.
        county_date: b.county_on,
        city_opinion,
        city_date: b.city_on,
    };
    let what = format!("{}申报表", b.name);
    send_docx(&st, &ctx, "base.form", what, format!("实践基地申报表_{}", b.name), move || {
        gongwen::base_form(&form)
    })
    .await
}
