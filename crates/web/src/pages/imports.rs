//! The import wizard, for every registered kind of record: upload → preview (the rows to
//! be added and changed, every bad row with who is on it, downloadable with the reasons)
//! → confirm → a result page that survives a refresh. The uploaded file and each outcome
//! are kept in the database between the steps, so any server process can go on.

use askama::Template;
use axum::Json;
use axum::extract::{Form, Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_office::read::Source;
use xuepei_store::audit as audit_log;
use xuepei_store::uploads::{self, Upload};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::jobs::{self, ImportFailure, ImportOutcome, Progress};
use crate::kinds::{Kind, registry};
use crate::layout::Layout;
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    // The kind is in the address, so each handler checks the kind's own permission
    // (`kind_of`); the route only requires a signed-in account.
    let a = Access::SignedIn;
    r.menu(MenuEntry {
        group: MenuGroup::Registry,
        order: 20,
        key: "import",
        label: "数据导入",
        href: "/import",
        visible: |can| registry().iter().any(|k| can(k.import_perm())),
    })
    .get("/import", a, first_kind)
    .get("/import/progress/{job}", a, progress)
    .get("/import/{kind}", a, upload_form)
    .post("/import/{kind}", a, upload)
    .get("/import/{kind}/template.xlsx", a, template)
    .post("/import/{kind}/{upload}/confirm", a, confirm)
    .get("/import/{kind}/{upload}/result", a, result)
    .post("/import/{kind}/{upload}/errors.xlsx", a, bad_rows)
}

/// The kind named in the address, when the account may import it.
fn kind_of(ctx: &Ctx, code: &str) -> AppResult<Kind> {
    let kind = Kind::parse(code).ok_or_else(|| AppError::NotFound(format!("没有“{code}”这种导入类型")))?;
    if !ctx.session.account.roles.can(kind.import_perm()) {
        return Err(AppError::Forbidden(format!("您没有导入{}的权限", kind.title())));
    }
    Ok(kind)
}

/// The kinds the account may import, as the wizard's tabs.
fn tabs(ctx: &Ctx) -> Vec<Kind> {
    registry().iter().copied().filter(|k| ctx.session.account.roles.can(k.import_perm())).collect()
}

async fn first_kind(ctx: Ctx) -> AppResult<Redirect> {
    let k = tabs(&ctx).into_iter().next().ok_or_else(|| AppError::Forbidden("您没有导入数据的权限".into()))?;
    Ok(Redirect::to(&format!("/import/{}", k.code())))
}

/// A page's key for a job's progress: random, and only its account can read it.
fn new_job() -> String {
    xuepei_store::accounts::random_hex(12)
}

fn progress_key(ctx: &Ctx, job: &str) -> Option<String> {
    let ok = !job.is_empty() && job.len() <= 64 && job.bytes().all(|b| b.is_ascii_hexdigit());
    ok.then(|| format!("{}:{job}", ctx.session.account.id))
}

/// Progress watched under the page's key, if it sent one.
fn watch(st: &AppState, ctx: &Ctx, job: Option<&str>) -> Progress {
    match job.and_then(|j| progress_key(ctx, j)) {
        Some(key) => st.progress.start(key),
        None => Progress::new(),
    }
}

/// How far an import of this account has come (polled by the page while it waits).
async fn progress(State(st): State<AppState>, ctx: Ctx, Path(job): Path<String>) -> Json<serde_json::Value> {
    Json(match progress_key(&ctx, &job).and_then(|k| st.progress.get(&k)) {
        Some(p) => serde_json::json!({ "rows": p.rows(), "stage": p.stage().code() }),
        None => serde_json::json!({ "rows": 0, "stage": "unknown" }),
    })
}

#[derive(Template)]
#[template(path = "import/upload.html")]
struct UploadPage {
    layout: Layout,
    kind: Kind,
    tabs: Vec<Kind>,
    columns: Vec<(&'static str, bool, &'static str)>,
    limit_mb: usize,
    error: Option<String>,
    job: String,
}

fn upload_page(st: &AppState, ctx: &Ctx, kind: Kind, error: Option<String>) -> AppResult<Html<String>> {
    let layout =
        Layout::new(ctx, format!("导入{}", kind.title()), "import").crumb("数据导入", None).crumb(kind.title(), None);
    render(&UploadPage {
        layout,
        kind,
        tabs: tabs(ctx),
        columns: kind.spec().columns.iter().map(|c| (c.label, c.required, c.help)).collect(),
        limit_mb: st.config.upload_limit / (1024 * 1024),
        error,
        job: new_job(),
    })
}

async fn upload_form(State(st): State<AppState>, ctx: Ctx, Path(kind): Path<String>) -> AppResult<Html<String>> {
    upload_page(&st, &ctx, kind_of(&ctx, &kind)?, None)
}

async fn template(ctx: Ctx, Path(kind): Path<String>) -> AppResult<Response> {
    let kind = kind_of(&ctx, &kind)?;
    let bytes = jobs::template(kind).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(xlsx(&format!("{}导入模板.xlsx", kind.title()), "template.xlsx", bytes))
}

/// An `.xlsx` download named in UTF-8, with an ASCII fallback.
fn xlsx(name: &str, fallback: &str, bytes: Vec<u8>) -> Response {
    let name = params::enc(name);
    (
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{name}")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// What the outcome page shows: a preview, or the result of an import.
#[derive(Template)]
#[template(path = "import/result.html")]
struct ResultPage {
    layout: Layout,
    kind: Kind,
    filename: String,
    outcome: ImportOutcome,
    upload_id: i64,
    /// The confirmation's progress key.
    job: String,
}

impl ResultPage {
    fn new(ctx: &Ctx, kind: Kind, filename: String, outcome: ImportOutcome, upload_id: i64) -> Self {
        let title = if outcome.report.committed { "导入结果" } else { "导入预检" };
        let layout = Layout::new(ctx, title, "import")
            .crumb("数据导入", Some(format!("/import/{}", kind.code())))
            .crumb(title, None);
        ResultPage { layout, kind, filename, outcome, upload_id, job: new_job() }
    }

    /// More rows are added (or changed) than the preview lists.
    fn more_added(&self) -> bool {
        self.outcome.report.inserted > self.outcome.report.added.len() as u64
    }

    fn more_changed(&self) -> bool {
        self.outcome.report.updated > self.outcome.report.changed.len() as u64
    }

    fn errors_href(&self) -> String {
        format!("/import/{}/{}/errors.xlsx", self.kind.code(), self.upload_id)
    }
}

/// Reads the form's `job` and `file` fields (the CSRF field comes first and is checked
/// before), refusing empty and oversized files with a clear message.
async fn read_file(st: &AppState, mut mp: Multipart) -> (Option<String>, Result<(String, Vec<u8>), String>) {
    let limit = st.config.upload_limit;
    let too_large = || format!("文件超过上传大小限制（{}MB），请拆分后分批导入", limit / (1024 * 1024));
    let mut job = None;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return (job, Err("请选择要导入的文件".into())),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return (job, Err(too_large())),
            Err(_) => return (job, Err("上传未完成或格式有误，请重新选择文件上传".into())),
        };
        match field.name() {
            Some("job") => {
                job = field.text().await.ok().filter(|t| t.len() <= 64);
                continue;
            }
            Some("file") => {}
            _ => continue,
        }
        let name = field.file_name().unwrap_or("上传文件").to_owned();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(_) => return (job, Err(too_large())),
        };
        if bytes.len() > limit {
            return (job, Err(too_large()));
        }
        if bytes.is_empty() {
            let msg = if name == "上传文件" || name.is_empty() {
                "请选择要导入的文件".into()
            } else {
                format!("文件“{name}”是空的")
            };
            return (job, Err(msg));
        }
        // No copy when the body arrived in one piece.
        return (job, Ok((name, Vec::from(bytes))));
    }
}

/// Uploads older than this are abandoned: purged, and no longer confirmed.
fn upload_cutoff() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::from_std(crate::UPLOAD_TTL).unwrap_or_default()
}

fn outcome_json(o: &ImportOutcome) -> AppResult<String> {
    serde_json::to_string(o).map_err(|e| AppError::Internal(e.to_string()))
}

async fn upload(State(st): State<AppState>, ctx: Ctx, Path(kind): Path<String>, mp: Multipart) -> AppResult<Response> {
    let kind = kind_of(&ctx, &kind)?;
    let (job, file) = read_file(&st, mp).await;
    let (filename, bytes) = match file {
        Ok(f) => f,
        Err(msg) => {
            let status =
                if msg.contains("大小限制") { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
            return Ok((status, upload_page(&st, &ctx, kind, Some(msg))?).into_response());
        }
    };
    let settings = &st.config.import;
    let run = jobs::ImportJob {
        kind,
        source: Source::Bytes(bytes.clone()),
        name: filename.clone(),
        dry_run: true,
        settings: settings.clone(),
    };
    let progress = watch(&st, &ctx, job.as_deref());
    match jobs::import_with(&st.db, &ctx.scope, &ctx.actor, run, &progress).await {
        Ok(mut outcome) => {
            if !outcome.report.is_ok() {
                jobs::name_bad_rows(kind, Source::Bytes(bytes.clone()), settings, &mut outcome).await;
            }
            // Kept for the confirmation once it has been read: a file refused as unreadable
            // or hostile is never stored.
            let _ = uploads::purge_before(&st.db, upload_cutoff()).await;
            let upload_id =
                uploads::save(&st.db, &ctx.scope, ctx.session.account.id, kind.code(), &filename, bytes).await?;
            uploads::record(&st.db, &ctx.scope, ctx.session.account.id, upload_id, outcome_json(&outcome)?, false)
                .await?;
            let status = if outcome.report.is_ok() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            Ok((status, render(&ResultPage::new(&ctx, kind, filename, outcome, upload_id))?).into_response())
        }
        Err(ImportFailure::File(msg)) => {
            Ok((StatusCode::BAD_REQUEST, upload_page(&st, &ctx, kind, Some(format!("“{filename}”无法导入：{msg}")))?)
                .into_response())
        }
        Err(ImportFailure::Store(e)) => Err(AppError::Store(e)),
    }
}

/// An upload of this scope: a finished import's outcome whenever it is kept, a file
/// awaiting confirmation for an hour.
async fn stored(st: &AppState, ctx: &Ctx, kind: Kind, upload_id: &str) -> AppResult<Upload> {
    let upload_id = params::id(upload_id, "上传的文件")?;
    let expired = upload_cutoff();
    let up = uploads::get(&st.db, &ctx.scope, ctx.session.account.id, upload_id)
        .await
        .ok()
        .filter(|u| u.finished_at.is_some() || u.created_at >= expired)
        .ok_or_else(|| AppError::NotFound("上传的文件已过期或不存在，请重新上传".into()))?;
    if up.kind != kind.code() {
        return Err(AppError::BadRequest("文件类型与导入类型不一致，请重新上传".into()));
    }
    Ok(up)
}

fn result_href(kind: Kind, upload_id: i64) -> String {
    format!("/import/{}/{upload_id}/result", kind.code())
}

async fn confirm(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((kind, upload_id)): Path<(String, String)>,
    Form(form): Form<Params>,
) -> AppResult<Response> {
    let kind = kind_of(&ctx, &kind)?;
    let up = stored(&st, &ctx, kind, &upload_id).await?;
    if up.finished_at.is_some() {
        // Sent again (a second click, the browser's resubmission): the result, not a
        // second import.
        return Ok(Redirect::to(&result_href(kind, up.id)).into_response());
    }
    let settings = &st.config.import;
    let run = jobs::ImportJob {
        kind,
        source: Source::Bytes(up.content.clone()),
        name: up.filename.clone(),
        dry_run: false,
        settings: settings.clone(),
    };
    let progress = watch(&st, &ctx, params::text(&form, "job"));
    match jobs::import_with(&st.db, &ctx.scope, &ctx.actor, run, &progress).await {
        Ok(mut outcome) => {
            let committed = outcome.report.committed;
            if committed {
                st.metrics.imports.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                st.metrics
                    .import_rows
                    .fetch_add(outcome.report.inserted + outcome.report.updated, std::sync::atomic::Ordering::Relaxed);
            } else {
                // The data changed since the preview: the file stays, to download its bad rows.
                jobs::name_bad_rows(kind, Source::Bytes(up.content), settings, &mut outcome).await;
            }
            uploads::record(&st.db, &ctx.scope, ctx.session.account.id, up.id, outcome_json(&outcome)?, committed)
                .await?;
            Ok(Redirect::to(&result_href(kind, up.id)).into_response())
        }
        Err(ImportFailure::File(msg)) => {
            Ok((StatusCode::BAD_REQUEST, upload_page(&st, &ctx, kind, Some(msg))?).into_response())
        }
        Err(ImportFailure::Store(e)) => Err(AppError::Store(e)),
    }
}

/// The kept outcome of an upload (the preview's, or the import's).
fn outcome_of(up: &Upload) -> AppResult<ImportOutcome> {
    up.outcome
        .as_deref()
        .and_then(|o| serde_json::from_str(o).ok())
        .ok_or_else(|| AppError::NotFound("上传的文件已过期或不存在，请重新上传".into()))
}

/// The outcome page again: refreshing it, or coming back to it, shows the same result.
async fn result(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((kind, upload_id)): Path<(String, String)>,
) -> AppResult<Html<String>> {
    let kind = kind_of(&ctx, &kind)?;
    let up = stored(&st, &ctx, kind, &upload_id).await?;
    let outcome = outcome_of(&up)?;
    render(&ResultPage::new(&ctx, kind, up.filename, outcome, up.id))
}

/// The bad rows of a checked file as `.xlsx`: the file's own cells and a 错误原因 column.
async fn bad_rows(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((kind, upload_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let kind = kind_of(&ctx, &kind)?;
    let up = stored(&st, &ctx, kind, &upload_id).await?;
    let outcome = outcome_of(&up)?;
    if outcome.report.is_ok() || up.finished_at.is_some() {
        return Err(AppError::NotFound("该文件没有问题行".into()));
    }
    let bytes =
        match jobs::bad_rows_xlsx(kind, Source::Bytes(up.content), &st.config.import, &up.filename, &outcome).await {
            Ok(b) => b,
            Err(ImportFailure::File(m)) => return Err(AppError::BadRequest(m)),
            Err(ImportFailure::Store(e)) => return Err(AppError::Store(e)),
        };
    let rows = outcome.report.errors.iter().map(|e| e.row).collect::<std::collections::BTreeSet<_>>().len();
    audit_log::event(
        &st.db,
        &ctx.actor,
        ctx.scope.root_path().unwrap_or("/"),
        "export",
        format!("导出导入问题行（{}，{rows}行）", up.filename),
        Some(serde_json::json!({ "rows": rows, "what": "导入问题行", "kind": kind.code() })),
    )
    .await?;
    let stem = up.filename.rsplit_once('.').map_or(up.filename.as_str(), |(s, _)| s);
    Ok(xlsx(&format!("{stem}_问题行.xlsx"), "errors.xlsx", bytes))
}
