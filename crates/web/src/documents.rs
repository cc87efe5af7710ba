//! Word documents generated from the data (issue 14 item 5): the header a user may adjust
//! before downloading (the issuing body's mark, the document number, the date, the
//! addressees — everything else comes from the records), and the audited download.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use xuepei_domain::dates::{self, Precision};
use xuepei_domain::org::check_text;
use xuepei_office::docx::DocxError;
use xuepei_store::audit as audit_log;

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult};
use crate::form::Form;
use crate::params::{self, Params};

/// The adjustable header of an official document, with the record's defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub mark: String,
    pub number: String,
    pub date: NaiveDate,
    pub addressees: String,
}

impl Header {
    /// The form for the page (`doc_mark`, `doc_number`, `doc_date`, `doc_to`).
    pub fn form(&self) -> Form {
        Form::new()
            .with("doc_mark", self.mark.clone())
            .with("doc_number", self.number.clone())
            .with("doc_date", self.date.format("%Y-%m-%d").to_string())
            .with("doc_to", self.addressees.clone())
    }

    /// The body that signs and prints the document: the one its mark names (中共岳阳市委
    /// 组织部文件 → 中共岳阳市委组织部), else `default` (the record's organisation).
    pub fn signer(&self, default: &str) -> String {
        match self.mark.trim().strip_suffix("文件") {
            Some(body) if !body.trim().is_empty() => body.trim().to_owned(),
            _ => default.to_owned(),
        }
    }

    /// The header as posted, each field absent or blank keeping its default; every
    /// problem named at once.
    pub fn posted(defaults: Header, p: &Params) -> AppResult<Header> {
        let mut h = defaults;
        let mut errs = Vec::new();
        for (key, label, max, slot) in [
            ("doc_mark", "发文机关标志", 40, &mut h.mark),
            ("doc_number", "发文字号", 60, &mut h.number),
            ("doc_to", "主送机关", 1000, &mut h.addressees),
        ] {
            if let Some(v) = p.get(key) {
                // Addressees typed on several lines are one line of the document, the
                // groups separated by "，" as customary.
                let v = v.lines().map(str::trim).filter(|l| !l.is_empty()).collect::<Vec<_>>().join("，");
                match check_text(&v, max, false) {
                    Ok(Some(t)) => *slot = t,
                    Ok(None) => {}
                    Err(m) => errs.push(format!("{label}{m}")),
                }
            }
        }
        if let Some(v) = params::text(p, "doc_date") {
            match dates::parse(v) {
                Ok(d) if d.precision == Precision::Day => h.date = d.date,
                Ok(_) => errs.push("成文日期应写到日，如2026年3月3日".to_owned()),
                Err(e) => errs.push(format!("成文日期：{e}")),
            }
        }
        if errs.is_empty() { Ok(h) } else { Err(AppError::BadRequest(errs.join("；"))) }
    }
}

/// MIME type of `.docx`.
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// Builds the document off the async workers, records the download in the audit trail
/// under `action` and sends it as `file`.docx.
pub async fn send_docx(
    st: &AppState,
    ctx: &Ctx,
    action: &'static str,
    what: String,
    file: String,
    build: impl FnOnce() -> Result<Vec<u8>, DocxError> + Send + 'static,
) -> AppResult<Response> {
    let bytes = tokio::task::spawn_blocking(build)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    audit_log::event(
        &st.db,
        &ctx.actor,
        ctx.scope.root_path().unwrap_or("/"),
        action,
        format!("导出{what}"),
        Some(serde_json::json!({ "what": what })),
    )
    .await?;
    Ok(attachment(bytes, DOCX, &format!("{file}.docx")))
}

/// A file to download, named in UTF-8 (with an ASCII fallback for old clients).
pub fn attachment(bytes: Vec<u8>, mime: &str, name: &str) -> Response {
    named(bytes, mime, name, "attachment")
}

/// A named file the browser shows in place (a photo), its name kept for saving it.
pub fn inline(bytes: Vec<u8>, mime: &str, name: &str) -> Response {
    named(bytes, mime, name, "inline")
}

fn named(bytes: Vec<u8>, mime: &str, name: &str, disposition: &str) -> Response {
    // The plain-ASCII fallback name keeps only a plain extension.
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| e)
        .filter(|e| !e.is_empty() && e.len() <= 8 && e.bytes().all(|b| b.is_ascii_alphanumeric()))
        .unwrap_or("bin");
    let encoded = params::enc(name);
    (
        [
            (header::CONTENT_TYPE, mime.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("{disposition}; filename=\"document.{ext}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}
