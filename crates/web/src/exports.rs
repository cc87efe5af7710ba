//! Excel exports: pages are fetched from the database on the async side and written by a
//! blocking thread, a batch at a time. Each kind of record writes its own export
//! (`crate::kinds`); the audit trail's is here, as it is not a kind one imports.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;
use xuepei_domain::org::ref_text;
use xuepei_office::write::{Cell, Column, Export};
use xuepei_store::audit::{AuditFilter, TrailView};
use xuepei_store::org::OrgResolver;
use xuepei_store::{DatabaseConnection, Scope, StoreError};

pub use crate::kinds::orgs::orgs_xlsx;
pub use crate::kinds::people::people_xlsx;

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Write(String),
}

/// Runs `write` over batches of rows on a blocking thread and saves to `out`.
pub(crate) async fn write_in_background(
    out: PathBuf,
    sheet: &'static str,
    title: String,
    columns: &'static [Column],
) -> (mpsc::Sender<Vec<Vec<Cell>>>, tokio::task::JoinHandle<Result<u64, String>>) {
    let (tx, mut rx) = mpsc::channel::<Vec<Vec<Cell>>>(4);
    let handle = tokio::task::spawn_blocking(move || {
        let mut e = Export::new(sheet, &title, columns).map_err(|e| e.to_string())?;
        while let Some(batch) = rx.blocking_recv() {
            for r in batch {
                e.row(&r).map_err(|e| e.to_string())?;
            }
        }
        let n = e.rows_written();
        e.save(&out).map_err(|e| e.to_string())?;
        Ok(n)
    });
    (tx, handle)
}

pub(crate) async fn finish(
    tx: mpsc::Sender<Vec<Vec<Cell>>>,
    handle: tokio::task::JoinHandle<Result<u64, String>>,
) -> Result<u64, ExportError> {
    drop(tx);
    handle.await.map_err(|e| ExportError::Write(e.to_string()))?.map_err(ExportError::Write)
}

/// "名称（代码）" of every organisation the caller may name, by id.
pub(crate) async fn org_names(db: &DatabaseConnection, scope: &Scope) -> Result<HashMap<i64, String>, StoreError> {
    let r = OrgResolver::load(db, scope).await?;
    Ok(r.iter().map(|o| (o.id, ref_text(&o.name, &o.code))).collect())
}

const AUDIT_COLUMNS: [Column; 9] = [
    Column { header: "序号", width: 9.0 },
    Column { header: "时间", width: 20.0 },
    Column { header: "账号", width: 14.0 },
    Column { header: "地址", width: 16.0 },
    Column { header: "操作", width: 12.0 },
    Column { header: "内容", width: 50.0 },
    Column { header: "修改前", width: 40.0 },
    Column { header: "修改后", width: 40.0 },
    Column { header: "哈希", width: 66.0 },
];

/// Exports the audit entries the account reads (see [`TrailView`]) matching `f`, newest
/// first, the details before and after in Chinese.
pub async fn audit_xlsx(
    db: &DatabaseConnection,
    view: impl Into<TrailView>,
    f: &AuditFilter,
    out: &Path,
) -> Result<u64, ExportError> {
    use crate::pages::audit::{action_label, details_text, local};
    let view = view.into();
    let (tx, handle) = write_in_background(out.to_owned(), "审计日志", "审计日志".to_owned(), &AUDIT_COLUMNS).await;
    let mut before = None;
    loop {
        let page = view.search(db, f, before, 5000).await?;
        let batch = page
            .items
            .into_iter()
            .map(|e| {
                let before = details_text(&e.target_type, &e.action, e.before.as_deref());
                let after = details_text(&e.target_type, &e.action, e.after.as_deref());
                vec![
                    Cell::Number(e.seq as f64),
                    local(e.at).into(),
                    e.username.into(),
                    e.ip.into(),
                    action_label(&e.action).into(),
                    e.summary.into(),
                    before.into(),
                    after.into(),
                    e.hash.into(),
                ]
            })
            .collect();
        if tx.send(batch).await.is_err() {
            break;
        }
        match page.next.and_then(|n| n.parse().ok()) {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    finish(tx, handle).await
}
