//! Excel exports of organisations and people. Pages are fetched from the database on the
//! async side and written by a blocking thread, a batch at a time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use tokio::sync::mpsc;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::ref_text;
use xuepei_domain::phone;
use xuepei_office::write::{Cell, Column, Export};
use xuepei_store::audit::{AuditFilter, TrailView};
use xuepei_store::org::{OrgFilter, OrgResolver};
use xuepei_store::people::{PersonFilter, PersonSort};
use xuepei_store::{DatabaseConnection, Scope, StoreError, org, people};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Write(String),
}

const PEOPLE_COLUMNS: [Column; 17] = [
    Column { header: "姓名", width: 10.0 },
    Column { header: "身份证号", width: 22.0 },
    Column { header: "性别", width: 6.0 },
    Column { header: "出生日期", width: 12.0 },
    Column { header: "民族", width: 8.0 },
    Column { header: "籍贯", width: 12.0 },
    Column { header: "联系电话", width: 15.0 },
    Column { header: "入党时间", width: 12.0 },
    Column { header: "参加工作时间", width: 12.0 },
    Column { header: "学历", width: 10.0 },
    Column { header: "学位", width: 8.0 },
    Column { header: "职务", width: 24.0 },
    Column { header: "任现职时间", width: 12.0 },
    Column { header: "职级", width: 9.0 },
    Column { header: "班子职务", width: 16.0 },
    Column { header: "所在党组织", width: 48.0 },
    Column { header: "干部管理单位", width: 30.0 },
];

const ORG_COLUMNS: [Column; 9] = [
    Column { header: "组织代码", width: 16.0 },
    Column { header: "组织名称", width: 44.0 },
    Column { header: "简称", width: 16.0 },
    Column { header: "上级组织", width: 44.0 },
    Column { header: "组织类别", width: 12.0 },
    Column { header: "所属领域", width: 14.0 },
    Column { header: "干部管理单位", width: 30.0 },
    Column { header: "状态", width: 8.0 },
    Column { header: "直属人员数", width: 10.0 },
];

/// Runs `write` over batches of rows on a blocking thread and saves to `out`.
async fn write_in_background(
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

async fn finish(
    tx: mpsc::Sender<Vec<Vec<Cell>>>,
    handle: tokio::task::JoinHandle<Result<u64, String>>,
) -> Result<u64, ExportError> {
    drop(tx);
    handle.await.map_err(|e| ExportError::Write(e.to_string()))?.map_err(ExportError::Write)
}

/// Exports the people matching `filter` to an `.xlsx` file; returns the row count.
pub async fn people_xlsx(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &PersonFilter,
    out: &Path,
    title: &str,
) -> Result<u64, ExportError> {
    let names = org_names(db, scope).await?;
    let (tx, handle) = write_in_background(out.to_owned(), "人员", title.to_owned(), &PEOPLE_COLUMNS).await;
    let mut after: Option<String> = None;
    loop {
        let page = people::list(db, scope, filter, PersonSort::Org, after.as_deref(), 2000).await?;
        let batch = page
            .items
            .into_iter()
            .map(|r| {
                let p = r.person;
                vec![
                    p.name.into(),
                    p.id_number.into(),
                    p.gender.label().into(),
                    p.birth_date.into(),
                    p.profile.ethnicity.into(),
                    p.profile.native_place.into(),
                    p.phone.map(|ph| phone::display(&ph)).into(),
                    p.party_joined_on.into(),
                    p.profile.work_started_on.into(),
                    p.profile.education.into(),
                    p.profile.degree.into(),
                    p.position.into(),
                    p.profile.position_since.into(),
                    p.rank_level.map(|r| r.label()).into(),
                    p.roles.labels().into(),
                    names.get(&p.org_id).cloned().into(),
                    p.managing_org_id.and_then(|m| names.get(&m).cloned()).into(),
                ]
            })
            .collect();
        if tx.send(batch).await.is_err() {
            break;
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    finish(tx, handle).await
}

/// Exports the organisations matching `filter`.
pub async fn orgs_xlsx(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &OrgFilter,
    out: &Path,
    title: &str,
) -> Result<u64, ExportError> {
    let names = org_names(db, scope).await?;
    let all = org::all(db, scope, filter).await?;
    let (tx, handle) = write_in_background(out.to_owned(), "组织", title.to_owned(), &ORG_COLUMNS).await;
    for chunk in all.chunks(2000) {
        let batch = chunk
            .iter()
            .map(|o| {
                vec![
                    o.code.clone().into(),
                    o.name.clone().into(),
                    o.short_name.clone().into(),
                    o.parent_id.and_then(|p| names.get(&p).cloned()).into(),
                    o.kind.label().into(),
                    o.sector.label().into(),
                    o.authority_org_id.and_then(|a| names.get(&a).cloned()).into(),
                    (if o.active { "正常" } else { "已撤销" }).into(),
                    o.person_count.into(),
                ]
            })
            .collect();
        if tx.send(batch).await.is_err() {
            break;
        }
    }
    finish(tx, handle).await
}

/// "名称（代码）" of every organisation the caller may name, by id.
async fn org_names(db: &DatabaseConnection, scope: &Scope) -> Result<HashMap<i64, String>, StoreError> {
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
