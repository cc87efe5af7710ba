//! Filing upward (备案, issue 14 item 1): the campaigns with filings (`/filings`), a
//! campaign's board of who filed what and who is late (`/campaigns/{id}/filings`, with the
//! issuer's routes and reporting duties, and its Excel export), a filing with its versions,
//! attachments and the receiver's decision (`/filings/{id}`).

use askama::Template;
use axum::extract::{Form as AxForm, Multipart, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::filing::{FilingAction, FilingKind, FilingState, ProgressEvery};
use xuepei_domain::training::report::{self, View};
use xuepei_office::gongwen::{self, Gongwen};
use xuepei_office::write::{Cell, Column};
use xuepei_store::filings::{self as store, Board, Filer, Filing, FilingInput};
use xuepei_store::report_drafts;
use xuepei_store::{StoreError, Tx};

use crate::AppState;
use crate::auth::Ctx;
use crate::documents::{Header, send_docx};
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
        order: 35,
        key: "filings",
        label: "方案报告备案",
        href: "/filings",
        visible: |can| can(Perm::TRAINING_VIEW),
    })
    .audit_labels(&[
        ("filing.create", "起草备案材料"),
        ("filing.update", "修改备案材料"),
        ("filing.attach", "上传备案附件"),
        ("filing.detach", "删除备案附件"),
        ("filing.submit", "报送备案"),
        ("filing.return", "退回备案材料"),
        ("filing.accept", "予以备案"),
        ("filing.version", "新建备案材料版本"),
        ("filing.terms", "设定报送要求"),
        ("filing.route", "设定备案路线"),
        ("filing.route_remove", "删除备案路线"),
        ("filing.times", "补记报送时间"),
        ("filing.draft", "根据系统数据起草"),
        ("filing.document", "导出备案材料（公文格式）"),
    ])
    .audit_fields(
        "filing",
        &[
            ("kind", "材料类别"),
            ("period", "期次"),
            ("version", "版本"),
            ("title", "标题"),
            ("body", "正文"),
            ("state", "状态"),
            ("comments", "意见"),
            ("receiver", "接收单位"),
            ("file", "附件"),
        ],
    )
    .audit_codes(
        "filing",
        &[
            ("kind", |c| FilingKind::from_code(c).map(FilingKind::label)),
            ("state", |c| FilingState::from_code(c).map(FilingState::label)),
        ],
    )
    .get("/filings", view, index)
    .get("/campaigns/{id}/filings", view, board)
    .post("/campaigns/{id}/filings/export", view, export)
    .post("/campaigns/{id}/filings/terms", edit, set_terms)
    .post("/campaigns/{id}/filings/routes", edit, set_route)
    .post("/campaigns/{id}/filings/routes/{route}/delete", edit, remove_route)
    .get("/campaigns/{id}/filings/new", edit, new_form)
    .post("/campaigns/{id}/filings", edit, create)
    .get("/filings/{id}", view, detail)
    .post("/filings/{id}", edit, update)
    .post("/filings/{id}/files", edit, add_file)
    .get("/filings/{id}/files/{file}", view, download)
    .post("/filings/{id}/files/{file}/delete", edit, remove_file)
    .post("/filings/{id}/submit", edit, submit)
    .post("/filings/{id}/decide", edit, decide)
    .post("/filings/{id}/version", edit, new_version)
    .post("/filings/{id}/draft", edit, draft)
    .post("/filings/{id}/docx", view, docx)
}

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "草稿已保存；上传附件后即可报送",
            "drafted" => "已根据系统数据起草标题和正文，请核对修改后保存、报送；所引用的数字见“起草所依据的数据”",
            "updated" => "修改已保存",
            "attached" => "附件已上传",
            "detached" => "附件已删除",
            "submitted" => "已报送，等待接收单位备案",
            "returned" => "已退回修改，报送单位将看到修改意见",
            "accepted" => "已予以备案",
            "version" => "已新建版本：修改后报送，备案后取代原版本",
            "terms" => "报送要求已保存",
            "route" => "备案路线已保存",
            "route_removed" => "备案路线已删除，该单位改向发文单位报送",
            _ => return None,
        }
        .to_owned(),
    )
}

// ---------------------------------------------------------------------------------------
// The campaigns with filings.

#[derive(Template)]
#[template(path = "filings/index.html")]
struct IndexPage {
    layout: Layout,
    inbox: Vec<(i64, String, u64)>,
    campaigns: Vec<xuepei_store::campaigns::Campaign>,
}

async fn index(State(st): State<AppState>, ctx: Ctx) -> AppResult<Html<String>> {
    let inbox = store::inbox(&st.db, &ctx.scope).await?;
    let campaigns = xuepei_store::campaigns::list(&st.db, &ctx.scope, xuepei_store::page::At::First, 50).await?.items;
    let layout = Layout::new(&ctx, "方案报告备案", "filings").crumb("教育培训", None).crumb("方案报告备案", None);
    render(&IndexPage { layout, inbox, campaigns })
}

// ---------------------------------------------------------------------------------------
// A campaign's board.

#[derive(Template)]
#[template(path = "filings/board.html")]
struct BoardPage {
    layout: Layout,
    b: Board,
    view: BoardView,
    /// (filers, duties filed, waiting, returned, late, not submitted) before filtering.
    counts: [usize; 6],
    kinds: Vec<(&'static str, &'static str)>,
    shows: Vec<(&'static str, &'static str)>,
    /// Every organiser and its route, whatever the board shows.
    filers: Vec<Filer>,
    mine: Vec<Filer>,
    terms: Form,
    route: Form,
    everies: Vec<(&'static str, &'static str)>,
    export_href: String,
}

/// What of the board is shown: organisers whose name holds `q`, duties of a kind, in a
/// state.
#[derive(Debug, Clone, Default)]
struct BoardView {
    q: String,
    kind: String,
    show: String,
}

const BOARD_SHOWS: [(&str, &str); 5] = [
    ("late", "逾期"),
    ("waiting", "已报送待备案"),
    ("returned", "已退回修改"),
    ("filed", "已备案"),
    ("missing", "未报送"),
];

impl BoardView {
    fn of(p: &Params) -> Self {
        let pick = |k: &str, ok: &dyn Fn(&str) -> bool| params::text(p, k).filter(|v| ok(v)).unwrap_or("").to_owned();
        BoardView {
            q: params::text(p, "q").map(|v| v.chars().take(50).collect()).unwrap_or_default(),
            kind: pick("kind", &|v| FilingKind::from_code(v).is_some()),
            show: pick("show", &|v| BOARD_SHOWS.iter().any(|(c, _)| *c == v)),
        }
    }

    fn is_filtered(&self) -> bool {
        !(self.q.is_empty() && self.kind.is_empty() && self.show.is_empty())
    }

    fn shows(&self, d: &store::Duty) -> bool {
        let state = d.current.as_ref().map(|f| f.state);
        (self.kind.is_empty() || d.kind.code() == self.kind)
            && match self.show.as_str() {
                "late" => d.days_late > 0,
                "waiting" => state == Some(FilingState::Submitted),
                "returned" => state == Some(FilingState::Returned),
                "filed" => d.filed_version.is_some(),
                "missing" => d.due && matches!(state, None | Some(FilingState::Draft)),
                _ => true,
            }
    }
}

impl BoardPage {
    /// Whether the viewer files for this organiser.
    fn files_for(&self, org_id: &i64) -> bool {
        self.mine.iter().any(|m| m.org.id == *org_id)
    }
}

async fn board_page(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    terms: Form,
    route: Form,
    n: Option<String>,
    view: BoardView,
) -> AppResult<Html<String>> {
    let mut b = store::board(&st.db, &ctx.scope, id, xuepei_domain::time::today()).await?;
    let duties = || b.rows.iter().flat_map(|r| r.duties.iter());
    let state = |d: &store::Duty| d.current.as_ref().map(|f| f.state);
    let counts = [
        b.rows.len(),
        duties().filter(|d| d.filed_version.is_some()).count(),
        duties().filter(|d| state(d) == Some(FilingState::Submitted)).count(),
        duties().filter(|d| state(d) == Some(FilingState::Returned)).count(),
        duties().filter(|d| d.days_late > 0).count(),
        duties().filter(|d| d.due && matches!(state(d), None | Some(FilingState::Draft))).count(),
    ];
    let filers = b.rows.iter().map(|r| r.filer.clone()).collect();
    if view.is_filtered() {
        b.rows.retain_mut(|r| {
            r.duties.retain(|d| view.shows(d));
            !r.duties.is_empty() && (view.q.is_empty() || r.filer.org.name.contains(view.q.as_str()))
        });
    }
    let mine = store::my_filers(&st.db, &ctx.scope, id).await?;
    let terms = if terms.has_errors() || terms.general().is_some() {
        terms
    } else {
        terms
            .with("progress_every", b.terms.interval.every.code())
            .with("progress_days", b.terms.interval.days.to_string())
            .with("summary_deadline", b.terms.summary_deadline.to_string())
    };
    let layout = Layout::new(ctx, format!("备案情况：{}", b.campaign.title), "filings")
        .crumb("方案报告备案", Some("/filings".into()))
        .crumb(b.campaign.title.clone(), Some(format!("/campaigns/{id}")))
        .crumb("备案情况", None)
        .notice(n);
    render(&BoardPage {
        layout,
        b,
        view,
        counts,
        mine,
        terms,
        route,
        everies: params::options::<ProgressEvery>(),
        kinds: params::options::<FilingKind>(),
        shows: BOARD_SHOWS.to_vec(),
        filers,
        export_href: format!("/campaigns/{id}/filings/export"),
    })
}

async fn board(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "轮训工作")?;
    board_page(&st, &ctx, id, Form::new(), Form::new(), notice(&p), BoardView::of(&p)).await
}

async fn set_terms(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let form = Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let mut errs = Vec::new();
    let summary =
        super::campaigns::parse_date("summary_deadline", "工作总结报送期限", form.value("summary_deadline"), &mut errs);
    let result = if errs.is_empty() {
        store::set_terms(&tx, id, form.value("progress_every"), form.value("progress_days"), summary).await
    } else {
        Err(StoreError::Invalid(errs))
    };
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/campaigns/{id}/filings?done=terms#terms"),
        async |form| board_page(&st, &ctx, id, form, Form::new(), None, BoardView::default()).await,
    )
    .await
}

async fn set_route(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let form = Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::set_route(&tx, id, form.value("org"), form.value("receiver")).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/campaigns/{id}/filings?done=route#routes"),
        async |form| board_page(&st, &ctx, id, Form::new(), form, None, BoardView::default()).await,
    )
    .await
}

async fn remove_route(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, route)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let route = params::id(&route, "备案路线")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    store::remove_route(&tx, id, route).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/campaigns/{id}/filings?done=route_removed#routes")).into_response())
}

const BOARD_COLUMNS: [Column; 8] = [
    Column { header: "报送单位", width: 24.0 },
    Column { header: "接收单位", width: 24.0 },
    Column { header: "材料", width: 16.0 },
    Column { header: "报送期限", width: 12.0 },
    Column { header: "状态", width: 16.0 },
    Column { header: "版本", width: 8.0 },
    Column { header: "首次报送时间", width: 18.0 },
    Column { header: "逾期天数", width: 10.0 },
];

async fn export(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    super::send_export(&st, &ctx, "备案情况", |path| async move {
        let b = store::board(&db, &scope, id, xuepei_domain::time::today()).await?;
        let (tx, handle) = write_in_background(path, "备案情况", b.campaign.title.clone(), &BOARD_COLUMNS).await;
        let mut batch: Vec<Vec<Cell>> = Vec::new();
        for r in &b.rows {
            for d in &r.duties {
                batch.push(vec![
                    r.filer.org.name.clone().into(),
                    r.filer.receiver.name.clone().into(),
                    d.what().into(),
                    d.deadline.to_string().into(),
                    d.status().into(),
                    d.current.as_ref().map_or(Cell::Empty, |f| Cell::Number(f64::from(f.version))),
                    d.first_submitted_at.map_or(Cell::Empty, |t| xuepei_domain::time::minute(t).into()),
                    Cell::Number(d.days_late as f64),
                ]);
            }
        }
        let _ = tx.send(batch).await;
        finish(tx, handle).await
    })
    .await
}

// ---------------------------------------------------------------------------------------
// Starting a filing.

#[derive(Template)]
#[template(path = "filings/form.html")]
struct NewPage {
    layout: Layout,
    campaign_id: i64,
    back_href: String,
    form: Form,
    orgs: Vec<(String, String)>,
    kinds: Vec<(&'static str, &'static str)>,
    progress: String,
    drafting: [(&'static str, &'static str); 1],
}

async fn new_page(st: &AppState, ctx: &Ctx, id: i64, form: Form) -> AppResult<Html<String>> {
    let (c, terms) = store::terms(&st.db, &ctx.scope, id).await?;
    let mine = store::my_filers(&st.db, &ctx.scope, id).await?;
    let orgs =
        mine.iter().map(|f| (f.org.code.clone(), format!("{}（向{}报送）", f.org.name, f.receiver.name))).collect();
    let layout = Layout::new(ctx, "起草备案材料", "filings")
        .crumb("方案报告备案", Some("/filings".into()))
        .crumb(c.title.clone(), Some(format!("/campaigns/{id}/filings")))
        .crumb("起草", None);
    render(&NewPage {
        drafting: [("1", "根据系统数据起草标题和正文（进度报告、工作总结适用，起草后可修改）")],
        layout,
        campaign_id: id,
        back_href: format!("/campaigns/{id}/filings"),
        form,
        orgs,
        kinds: params::options::<FilingKind>(),
        progress: terms.progress,
    })
}

async fn new_form(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "轮训工作")?;
    // Reports and summaries are drafted from the data unless the organiser unticks it; a
    // plan is written by the organiser.
    let mut form = Form::new();
    for k in ["org", "kind", "period"] {
        if let Some(v) = params::text(&p, k) {
            form.set(k, v);
        }
    }
    if FilingKind::parse_label(form.value("kind")) != Some(FilingKind::Plan) {
        form.set_list("draft", vec!["1".into()]);
    }
    if form.value("org").is_empty()
        && let [only] = store::my_filers(&st.db, &ctx.scope, id).await?.as_slice()
    {
        form.set("org", only.org.code.clone());
    }
    new_page(&st, &ctx, id, form).await
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "轮训工作")?;
    let form = Form::submitted(fields);
    let get = |k: &str| form.value(k).to_owned();
    // Drafting from the data writes the title too: a blank one is filled for the moment.
    let drafting = form.value("draft") == "1"
        && FilingKind::parse_label(form.value("kind").trim()).is_some_and(|k| k != FilingKind::Plan);
    let mut title = get("title");
    if drafting && title.trim().is_empty() {
        title = format!("{}（根据系统数据起草）", form.value("kind").trim());
    }
    let input = FilingInput { org: get("org"), kind: get("kind"), period: get("period"), title, body: get("body") };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::create(&tx, id, &input).await;
    if drafting && let Ok(f) = &result {
        let fid = f.id;
        tx.commit().await?;
        // The plain draft is kept when drafting fails; its page offers drafting again and
        // says why not then.
        let done = if draft_from_data(&st, &ctx, fid).await.is_ok() { "drafted" } else { "created" };
        return Ok(Redirect::to(&format!("/filings/{fid}?done={done}")).into_response());
    }
    save_or_refuse(
        tx,
        result,
        form,
        |f| format!("/filings/{}?done=created", f.id),
        async |form| new_page(&st, &ctx, id, form).await,
    )
    .await
}

// ---------------------------------------------------------------------------------------
// A filing.

#[derive(Template)]
#[template(path = "filings/detail.html")]
struct DetailPage {
    layout: Layout,
    /// Whether the text can be drafted from the data (a progress report or summary the
    /// viewer files, still editable).
    draftable: bool,
    f: Filing,
    versions: Vec<Filing>,
    can_write: bool,
    can_decide: bool,
    newest: bool,
    text: Form,
    upload: Form,
    decision: Form,
    upload_mb: usize,
    /// The document's adjustable header.
    doc: Form,
}

struct Forms {
    text: Form,
    upload: Form,
    decision: Form,
}

impl Forms {
    fn none() -> Self {
        Forms { text: Form::new(), upload: Form::new(), decision: Form::new() }
    }
}

async fn detail_page(st: &AppState, ctx: &Ctx, id: i64, forms: Forms, n: Option<String>) -> AppResult<Html<String>> {
    let f = store::get(&st.db, &ctx.scope, id).await?;
    let versions = store::versions(&st.db, &ctx.scope, &f).await?;
    let newest = versions.iter().map(|v| v.version).max().unwrap_or(f.version) == f.version;
    let text = if forms.text.has_errors() || forms.text.general().is_some() {
        forms.text
    } else {
        Form::new().with("title", f.title.clone()).with("body", f.body.clone())
    };
    let (c, _) = store::terms(&st.db, &ctx.scope, f.campaign_id).await?;
    let layout = Layout::new(ctx, format!("{}：{}", f.org.name, f.what()), "filings")
        .crumb("方案报告备案", Some("/filings".into()))
        .crumb(c.title, Some(format!("/campaigns/{}/filings", f.campaign_id)))
        .crumb(format!("{}{}", f.org.name, f.what()), None)
        .notice(n);
    let draftable = f.kind != FilingKind::Plan && f.state.editable() && f.writable_by(&ctx.scope);
    let doc = doc_header(&f).form();
    render(&DetailPage {
        doc,
        draftable,
        layout,
        can_write: f.writable_by(&ctx.scope),
        can_decide: f.decidable_by(&ctx.scope) && f.state == FilingState::Submitted,
        newest,
        f,
        versions,
        text,
        upload: forms.upload,
        decision: forms.decision,
        upload_mb: st.config.upload_limit / 1_048_576,
    })
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "备案材料")?;
    detail_page(&st, &ctx, id, Forms::none(), notice(&p)).await
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "备案材料")?;
    let form = Form::submitted(fields);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::update(&tx, id, form.value("title"), form.value("body")).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/filings/{id}?done=updated"),
        async |form| detail_page(&st, &ctx, id, Forms { text: form, ..Forms::none() }, None).await,
    )
    .await
}

async fn add_file(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>, mp: Multipart) -> AppResult<Response> {
    let id = params::id(&id, "备案材料")?;
    let (name, bytes) = match crate::upload::read_file(&st, mp, "file", "附件").await {
        Ok(u) => u.file.unwrap_or_default(),
        Err(m) => {
            let mut upload = Form::new();
            upload.refuse(StoreError::invalid("file", m))?;
            let page = detail_page(&st, &ctx, id, Forms { upload, ..Forms::none() }, None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::add_file(&tx, id, &name, bytes).await;
    save_or_refuse(
        tx,
        result,
        Form::new(),
        |_| format!("/filings/{id}?done=attached#files"),
        async |form| detail_page(&st, &ctx, id, Forms { upload: form, ..Forms::none() }, None).await,
    )
    .await
}

async fn remove_file(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = params::id(&id, "备案材料")?;
    let file = params::id(&file, "附件")?;
    step(&st, &ctx, id, format!("/filings/{id}?done=detached#files"), Forms::none(), async |tx| {
        store::remove_file(tx, id, file).await
    })
    .await
}

async fn download(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, file)): Path<(String, String)>,
) -> AppResult<Response> {
    let id = params::id(&id, "备案材料")?;
    let file = params::id(&file, "附件")?;
    let (name, content) = store::file(&st.db, &ctx.scope, id, file).await?;
    Ok(crate::documents::attachment(content, "application/octet-stream", &name))
}

/// One step on a filing: done, or the filing shown again with why not (422).
async fn step<T>(
    st: &AppState,
    ctx: &Ctx,
    id: i64,
    done: String,
    forms: Forms,
    write: impl AsyncFnOnce(&Tx) -> Result<T, StoreError>,
) -> AppResult<Response> {
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = write(&tx).await;
    let Forms { text, upload, decision } = forms;
    save_or_refuse(
        tx,
        result,
        decision,
        |_| done,
        async |decision| detail_page(st, ctx, id, Forms { text, upload, decision }, None).await,
    )
    .await
}

async fn submit(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "备案材料")?;
    // What is missing (the attachment, the text) is said above the filing, not beside a field.
    step(&st, &ctx, id, format!("/filings/{id}?done=submitted"), Forms::none(), async |tx| {
        store::submit(tx, id).await.map_err(|e| match e {
            StoreError::Invalid(errs) => {
                StoreError::Conflict(errs.into_iter().map(|e| e.message).collect::<Vec<_>>().join("；"))
            }
            other => other,
        })
    })
    .await
}

async fn decide(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(fields): AxForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "备案材料")?;
    let form = Form::submitted(fields);
    let action = form.value("action").to_owned();
    let comments = form.value("comments").to_owned();
    let done = if FilingAction::parse_label(&action) == Some(FilingAction::Accept) { "accepted" } else { "returned" };
    let forms = Forms { decision: form, ..Forms::none() };
    step(&st, &ctx, id, format!("/filings/{id}?done={done}"), forms, async |tx| {
        store::decide(tx, id, &action, &comments).await
    })
    .await
}

/// Where a figure of a drafted text is read (the filer's part of the campaign).
pub fn source_href(f: &Filing, view: &View) -> String {
    match view {
        View::Coverage => format!("/campaigns/{}/coverage?org={}", f.campaign_id, f.org.id),
        View::Classes => format!("/classes?campaign={}", f.campaign_id),
        View::Funds => format!("/funds?campaign={}", f.campaign_id),
    }
}

/// Drafts a progress report or summary from what xuepei holds today (China time).
async fn draft_from_data(st: &AppState, ctx: &Ctx, id: i64) -> Result<Filing, StoreError> {
    let as_of = xuepei_domain::time::today();
    let facts = report_drafts::facts(&st.db, &ctx.scope, id, as_of).await?;
    let d = report::draft(&facts);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let f = report_drafts::write(&tx, id, facts.as_of, &d).await?;
    tx.commit().await?;
    Ok(f)
}

async fn draft(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "备案材料")?;
    match draft_from_data(&st, &ctx, id).await {
        Ok(_) => Ok(Redirect::to(&format!("/filings/{id}?done=drafted#edit")).into_response()),
        // Refused: the filing again with why (an invalid kind or state said above it).
        Err(e) => {
            step(&st, &ctx, id, String::new(), Forms::none(), async |_| {
                Err::<(), _>(match e {
                    StoreError::Invalid(errs) => {
                        StoreError::Conflict(errs.into_iter().map(|e| e.message).collect::<Vec<_>>().join("；"))
                    }
                    other => other,
                })
            })
            .await
        }
    }
}

async fn new_version(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "备案材料")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = store::new_version(&tx, id).await;
    save_or_refuse(
        tx,
        result,
        Form::new(),
        |f| format!("/filings/{}?done=version", f.id),
        async |decision| detail_page(&st, &ctx, id, Forms { decision, ..Forms::none() }, None).await,
    )
    .await
}

/// A filing's document header by default: its organisation's mark, the day it was (last)
/// submitted — today while it was not — and the receiving body as the addressee.
fn doc_header(f: &Filing) -> Header {
    Header {
        mark: format!("{}文件", f.org.name),
        number: String::new(),
        date: f.submitted_at.map_or_else(xuepei_domain::time::today, |t| xuepei_domain::time::local(t).date()),
        addressees: f.receiver.name.clone(),
    }
}

/// The filing (a plan, a report, a summary) as a Word document in the official layout:
/// its own title and text, its attachments named, signed by the filing organisation.
async fn docx(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    AxForm(p): AxForm<Params>,
) -> AppResult<Response> {
    let id = params::id(&id, "备案材料")?;
    let f = store::get(&st.db, &ctx.scope, id).await?;
    let h = Header::posted(doc_header(&f), &p)?;
    let attachments = f
        .files
        .iter()
        .map(|x| match x.name.rsplit_once('.') {
            Some((stem, _)) if !stem.is_empty() => stem.to_owned(),
            _ => x.name.clone(),
        })
        .collect();
    let signer = h.signer(&f.org.name);
    let g = Gongwen {
        mark: Some(h.mark).filter(|m| !m.is_empty()),
        number: Some(h.number).filter(|n| !n.is_empty()),
        title: f.title.clone(),
        addressees: Some(h.addressees).filter(|a| !a.is_empty()),
        // The drafting note is for the editor, not the document filed.
        body: f.body.lines().filter(|l| !report::is_drafting_note(l)).map(str::to_owned).collect(),
        attachments,
        signer: signer.clone(),
        date: h.date,
        printed_by: Some(signer),
        annexes: vec![],
    };
    let what = format!("{}{}（第{}版）", f.org.name, f.what(), f.version);
    let file = format!("{}_{}", f.what(), f.org.name);
    send_docx(&st, &ctx, "filing.document", what, file, move || gongwen::write(&g)).await
}
