//! The import wizard: upload → preview of every bad row → confirm. The uploaded file is
//! kept in the database between the steps, so any server process can finish it.

use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::accounts::Perm;
use xuepei_office::read::Source;
use xuepei_store::uploads;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::jobs::{self, ImportFailure, ImportKind, ImportOutcome};
use crate::layout::Layout;
use crate::params;
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    // Each kind also requires its own module's permission (`kind_of`).
    let edit = Access::Page(Perm::PEOPLE_EDIT);
    r.get("/import", edit, || async { Redirect::to("/import/people") })
        .get("/import/{kind}", edit, upload_form)
        .post("/import/{kind}", edit, upload)
        .get("/import/{kind}/template.xlsx", edit, template)
        .post("/import/{kind}/{upload}/confirm", edit, confirm)
}

/// The kind named in the URL, when the account may edit its module.
fn kind_of(ctx: &Ctx, s: &str) -> AppResult<ImportKind> {
    let kind = ImportKind::parse(s).ok_or_else(|| AppError::NotFound("没有这种导入类型".into()))?;
    let perm = match kind {
        ImportKind::People => Perm::PEOPLE_EDIT,
        ImportKind::Orgs => Perm::ORGS_EDIT,
    };
    if !ctx.session.account.roles.can(perm) {
        return Err(AppError::Forbidden("您没有导入这类数据的权限".into()));
    }
    Ok(kind)
}

fn kind_title(k: ImportKind) -> &'static str {
    match k {
        ImportKind::People => "人员花名册",
        ImportKind::Orgs => "党组织和单位",
    }
}

#[derive(Template)]
#[template(path = "import/upload.html")]
struct UploadPage {
    layout: Layout,
    kind: &'static str,
    title: &'static str,
    columns: Vec<(&'static str, bool, &'static str)>,
    limit_mb: usize,
    error: Option<String>,
}

fn upload_page(st: &AppState, ctx: &Ctx, kind: ImportKind, error: Option<String>) -> AppResult<Html<String>> {
    let layout = Layout::new(ctx, format!("导入{}", kind_title(kind)), "import")
        .crumb("数据导入", None)
        .crumb(kind_title(kind), None);
    render(&UploadPage {
        layout,
        kind: kind.code(),
        title: kind_title(kind),
        columns: kind.spec().columns.iter().map(|c| (c.label, c.required, c.help)).collect(),
        limit_mb: st.config.upload_limit / (1024 * 1024),
        error,
    })
}

async fn upload_form(State(st): State<AppState>, ctx: Ctx, Path(kind): Path<String>) -> AppResult<Html<String>> {
    upload_page(&st, &ctx, kind_of(&ctx, &kind)?, None)
}

async fn template(ctx: Ctx, Path(kind): Path<String>) -> AppResult<Response> {
    let kind = kind_of(&ctx, &kind)?;
    let bytes = jobs::template(kind).map_err(|e| AppError::Internal(e.to_string()))?;
    let name = params::enc(&format!("{}导入模板.xlsx", kind_title(kind)));
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"template.xlsx\"; filename*=UTF-8''{name}")),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Template)]
#[template(path = "import/result.html")]
struct ResultPage {
    layout: Layout,
    kind: &'static str,
    filename: String,
    outcome: ImportOutcome,
    upload_id: i64,
}

/// Reads the `file` field, refusing empty and oversized files with a clear message.
async fn read_file(st: &AppState, mut mp: Multipart) -> Result<(String, Vec<u8>), String> {
    let limit = st.config.upload_limit;
    let too_large = || format!("文件超过上传大小限制（{}MB），请拆分后分批导入", limit / (1024 * 1024));
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => return Err("请选择要导入的文件".into()),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err("上传未完成或格式有误，请重新选择文件上传".into()),
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field.file_name().unwrap_or("上传文件").to_owned();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(_) => return Err(too_large()),
        };
        if bytes.len() > limit {
            return Err(too_large());
        }
        if bytes.is_empty() {
            return Err(if name == "上传文件" || name.is_empty() {
                "请选择要导入的文件".into()
            } else {
                format!("文件“{name}”是空的")
            });
        }
        // No copy when the body arrived in one piece.
        return Ok((name, Vec::from(bytes)));
    }
}

/// Uploads older than this are abandoned: purged, and no longer confirmed.
fn upload_cutoff() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::from_std(crate::UPLOAD_TTL).unwrap_or_default()
}

async fn upload(State(st): State<AppState>, ctx: Ctx, Path(kind): Path<String>, mp: Multipart) -> AppResult<Response> {
    let kind = kind_of(&ctx, &kind)?;
    let (filename, bytes) = match read_file(&st, mp).await {
        Ok(f) => f,
        Err(msg) => {
            let status =
                if msg.contains("大小限制") { StatusCode::PAYLOAD_TOO_LARGE } else { StatusCode::BAD_REQUEST };
            return Ok((status, upload_page(&st, &ctx, kind, Some(msg))?).into_response());
        }
    };
    let job = jobs::ImportJob {
        kind,
        source: Source::Bytes(bytes.clone()),
        name: filename.clone(),
        dry_run: true,
        settings: st.config.import.clone(),
    };
    match jobs::import(&st.db, &ctx.scope, &ctx.actor, job).await {
        Ok(outcome) => {
            // Kept for the confirmation once it has been read: a file refused as unreadable
            // or hostile is never stored.
            let _ = uploads::purge_before(&st.db, upload_cutoff()).await;
            let upload_id = uploads::save(&st.db, &ctx.scope, kind.code(), &filename, bytes).await?;
            let layout = Layout::new(&ctx, "导入预检", "import")
                .crumb("数据导入", Some(format!("/import/{}", kind.code())))
                .crumb("预检结果", None);
            let status = if outcome.report.is_ok() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            Ok((status, render(&ResultPage { layout, kind: kind.code(), filename, outcome, upload_id })?)
                .into_response())
        }
        Err(ImportFailure::File(msg)) => {
            Ok((StatusCode::BAD_REQUEST, upload_page(&st, &ctx, kind, Some(format!("“{filename}”无法导入：{msg}")))?)
                .into_response())
        }
        Err(ImportFailure::Store(e)) => Err(AppError::Store(e)),
    }
}

async fn confirm(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((kind, upload_id)): Path<(String, String)>,
) -> AppResult<Response> {
    let kind = kind_of(&ctx, &kind)?;
    let upload_id = params::id(&upload_id, "上传的文件")?;
    let expired = upload_cutoff();
    let up = uploads::get(&st.db, &ctx.scope, upload_id)
        .await
        .ok()
        .filter(|u| u.created_at >= expired)
        .ok_or_else(|| AppError::NotFound("上传的文件已过期或不存在，请重新上传".into()))?;
    if up.kind != kind.code() {
        return Err(AppError::BadRequest("文件类型与导入类型不一致，请重新上传".into()));
    }
    let job = jobs::ImportJob {
        kind,
        source: Source::Bytes(up.content),
        name: up.filename.clone(),
        dry_run: false,
        settings: st.config.import.clone(),
    };
    match jobs::import(&st.db, &ctx.scope, &ctx.actor, job).await {
        Ok(outcome) => {
            if outcome.report.committed {
                uploads::delete(&st.db, &ctx.scope, upload_id).await?;
                st.metrics.imports.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                st.metrics
                    .import_rows
                    .fetch_add(outcome.report.inserted + outcome.report.updated, std::sync::atomic::Ordering::Relaxed);
            }
            let layout = Layout::new(&ctx, "导入结果", "import")
                .crumb("数据导入", Some(format!("/import/{}", kind.code())))
                .crumb("导入结果", None);
            Ok(render(&ResultPage { layout, kind: kind.code(), filename: up.filename, outcome, upload_id })?
                .into_response())
        }
        Err(ImportFailure::File(msg)) => {
            Ok((StatusCode::BAD_REQUEST, upload_page(&st, &ctx, kind, Some(msg))?).into_response())
        }
        Err(ImportFailure::Store(e)) => Err(AppError::Store(e)),
    }
}
