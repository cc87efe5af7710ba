//! Server-rendered pages, one module per feature; each declares its routes with the access
//! they require.

mod accounts;
pub(crate) mod attendance;
pub(crate) mod audit;
mod bases;
pub(crate) mod campaigns;
pub(crate) mod certificates;
mod checkin;
pub(crate) mod classes;
mod coverage;
mod credits;
pub(crate) mod enrolments;
mod filings;
mod funds;
mod home;
mod imports;
mod materials;
mod meetings;
mod notice;
mod notifications;
mod orgs;
mod oversight;
mod people;
mod plans;
mod pools;
mod search;
mod session;
mod study_groups;
pub(crate) mod study_logs;
mod targets;
mod tokens;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use xuepei_store::audit as audit_log;

use crate::auth::Ctx;
use crate::error::AppError;
use crate::routes::Routes;

pub fn routes() -> Routes {
    let r = Routes::new();
    let r = session::routes(r);
    let r = home::routes(r);
    let r = notifications::routes(r);
    let r = orgs::routes(r);
    let r = people::routes(r);
    let r = imports::routes(r);
    let r = accounts::routes(r);
    let r = tokens::routes(r);
    let r = campaigns::routes(r);
    let r = notice::routes(r);
    let r = classes::routes(r);
    let r = enrolments::routes(r);
    let r = attendance::routes(r);
    let r = checkin::routes(r);
    let r = pools::routes(r);
    let r = plans::routes(r);
    let r = coverage::routes(r);
    let r = targets::routes(r);
    let r = credits::routes(r);
    let r = certificates::routes(r);
    let r = funds::routes(r);
    let r = filings::routes(r);
    let r = bases::routes(r);
    let r = study_logs::routes(r);
    let r = materials::routes(r);
    let r = meetings::routes(r);
    let r = oversight::routes(r);
    let r = study_groups::routes(r);
    let r = search::routes(r);
    let r = audit::routes(r);
    crate::api::routes(r)
}

/// Writes an export to a temporary file and streams it as a download named
/// `<what>_<date>.xlsx`, after recording in the audit trail who exported what. The file
/// name is given in UTF-8 for browsers, with an ASCII fallback.
pub async fn send_export<F, Fut>(st: &crate::AppState, ctx: &Ctx, what: &str, write: F) -> Result<Response, AppError>
where
    F: FnOnce(std::path::PathBuf) -> Fut,
    Fut: Future<Output = Result<u64, crate::exports::ExportError>>,
{
    let dir = tempfile::tempdir().map_err(|e| AppError::Internal(e.to_string()))?;
    let path = dir.path().join("export.xlsx");
    let rows = write(path.clone()).await.map_err(|e| match e {
        crate::exports::ExportError::Store(s) => AppError::Store(s),
        crate::exports::ExportError::Write(w) => AppError::Internal(w),
    })?;
    audit_log::event(
        &st.db,
        &ctx.actor,
        ctx.scope.root_path().unwrap_or("/"),
        "export",
        format!("导出{what}（{rows}行）"),
        Some(serde_json::json!({ "rows": rows, "what": what })),
    )
    .await?;
    let file = tokio::fs::File::open(&path).await.map_err(|e| AppError::Internal(e.to_string()))?;
    let len = file.metadata().await.map_err(|e| AppError::Internal(e.to_string()))?.len();
    // The open handle keeps the data readable after the directory is removed.
    drop(dir);
    let body = axum::body::Body::from_stream(tokio_util::io::ReaderStream::new(file));
    let encoded = crate::params::enc(&format!("{what}_{}.xlsx", today_stamp()));
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"export.xlsx\"; filename*=UTF-8''{encoded}")),
            (header::CONTENT_LENGTH, len.to_string()),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response())
}

/// Exports a registered kind's records matching the list page's `query`, when the
/// account holds the kind's export permission.
pub async fn send_kind_export(
    st: &crate::AppState,
    ctx: &Ctx,
    kind: crate::kinds::Kind,
    query: &crate::params::Params,
) -> Result<Response, AppError> {
    if !ctx.session.account.roles.can(kind.export_perm()) {
        return Err(AppError::Forbidden(format!("您没有导出{}的权限", kind.export_title())));
    }
    let (db, scope) = (st.db.clone(), ctx.scope.clone());
    send_export(st, ctx, kind.export_title(), |path| async move { kind.export(&db, &scope, query, &path).await }).await
}

/// Today's date for export file names.
fn today_stamp() -> String {
    xuepei_store::imports::people::today_in_china().format("%Y%m%d").to_string()
}

/// Where the user came from is a local path; anything else goes home.
/// What a redirect target keeps as it is: printable ASCII (already-encoded `%XX` stays).
const NOT_ASCII: &percent_encoding::AsciiSet = &percent_encoding::CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>');

pub fn safe_next(next: Option<&str>) -> String {
    match next {
        // Browsers drop tabs and line breaks from a URL, so "/\t/host" would become "//host".
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.chars().any(char::is_control)
                && !n.starts_with("/login") =>
        {
            // A Location header carries ASCII: anything else goes percent-encoded.
            percent_encoding::utf8_percent_encode(n, NOT_ASCII).to_string()
        }
        _ => "/".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        for (next, expected) in [
            (Some("/people?q=张三&page=2"), "/people?q=%E5%BC%A0%E4%B8%89&page=2"),
            (Some("/orgs/5"), "/orgs/5"),
            (None, "/"),
            (Some("https://evil.example/"), "/"),
            (Some("//evil.example/"), "/"),
            (Some("/\\evil.example/"), "/"),
            (Some("/\t/evil.example/"), "/"),
            (Some("/\n/evil.example/"), "/"),
            (Some("/login?next=/"), "/"),
        ] {
            assert_eq!(safe_next(next), expected, "{next:?}");
        }
    }
}
