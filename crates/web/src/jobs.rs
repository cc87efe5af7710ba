//! Import and export jobs, shared by the web pages and the command line.
//!
//! An import reads and validates rows on a blocking thread and hands them in batches
//! to the async side, which resolves and writes them: parsing and the database work run
//! on different cores, and memory stays bounded by the channel.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::Path;

use tokio::sync::mpsc;
use xuepei_domain::import::{ColumnMap, HeaderError, HeaderScan, ImportSpec, RowError, RowView, ScanStep};
use xuepei_domain::org::{ORG_IMPORT, OrgDraft, validate_org};
use xuepei_domain::people::{PERSON_IMPORT, PersonDraft, validate_person};
use xuepei_domain::validate::FieldError;
use xuepei_office::read::{Row, Source, Workbook};
use xuepei_office::{ReadError, ReadLimits, ReadOptions};
use xuepei_store::imports::{ImportReport, Present, orgs, people};
use xuepei_store::{Actor, DatabaseConnection, Scope, StoreError};

/// What is imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    People,
    Orgs,
}

impl ImportKind {
    pub fn spec(self) -> &'static ImportSpec {
        match self {
            ImportKind::People => &PERSON_IMPORT,
            ImportKind::Orgs => &ORG_IMPORT,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "people" => Some(ImportKind::People),
            "orgs" => Some(ImportKind::Orgs),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        self.spec().kind
    }
}

/// How many rows go to the database side at a time.
const BATCH: usize = 1000;
/// Organisation files are held whole; this bounds them (the default of
/// `ImportSettings::org_rows`).
pub const MAX_ORG_ROWS: u64 = 200_000;
/// The default of `ImportSettings::people_rows`.
pub const MAX_PEOPLE_ROWS: u64 = 1_000_000;

/// How files are read for imports: the row limit of each kind, the other limits, and the
/// reader process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportSettings {
    pub people_rows: u64,
    pub org_rows: u64,
    /// Everything else; `read.limits.max_rows` is replaced by the kind's limit.
    pub read: ReadOptions,
}

impl Default for ImportSettings {
    fn default() -> Self {
        ImportSettings { people_rows: MAX_PEOPLE_ROWS, org_rows: MAX_ORG_ROWS, read: ReadOptions::default() }
    }
}

impl ImportSettings {
    /// The read options of one kind of import.
    pub fn options(&self, kind: ImportKind) -> ReadOptions {
        let rows = match kind {
            ImportKind::People => self.people_rows,
            ImportKind::Orgs => self.org_rows,
        };
        let base = &self.read.limits;
        let limits = ReadLimits { max_rows: rows, max_cells: ReadLimits::with_rows(rows).max_cells, ..base.clone() };
        ReadOptions { limits, isolation: self.read.isolation.clone() }
    }
}

/// The result of a completed import or dry run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ImportOutcome {
    pub report: ImportReport,
    pub sheet: String,
    pub header_row: u64,
    /// Header cells that were not recognised and were skipped.
    pub ignored_columns: Vec<String>,
}

/// Why an import could not run at all (as opposed to rows being bad).
#[derive(Debug, thiserror::Error)]
pub enum ImportFailure {
    /// The file itself: unreadable, not a spreadsheet, no header, a missing column.
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

enum Item<T> {
    Valid(u64, T),
    Invalid(Vec<RowError>),
}

enum Msg<T> {
    Header { sheet: String, map: ColumnMap },
    Rows(Vec<Item<T>>),
    Fatal(String),
}

fn row_errors(spec: &ImportSpec, row: u64, errs: Vec<FieldError>) -> Vec<RowError> {
    errs.into_iter()
        .map(|e| RowError { row, column: Some(spec.label(e.field).to_owned()), message: e.message })
        .collect()
}

/// Reads the first sheet that has a header and validates its rows on this (blocking)
/// thread, sending them on.
fn produce<T: Send + 'static>(
    source: Source,
    options: &ReadOptions,
    spec: &'static ImportSpec,
    validate: impl Fn(&RowView<'_>, &Row) -> Result<T, Vec<RowError>>,
    tx: mpsc::Sender<Msg<T>>,
) {
    let send = |m: Msg<T>| tx.blocking_send(m).is_ok();
    let wb = match Workbook::open_with(source, options) {
        Ok(wb) => wb,
        Err(e) => {
            send(Msg::Fatal(e.to_string()));
            return;
        }
    };
    let mut first_error: Option<HeaderError> = None;
    for (index, name) in wb.sheet_names().iter().enumerate() {
        let mut scan = HeaderScan::new(spec);
        let mut map: Option<ColumnMap> = None;
        let mut failed: Option<HeaderError> = None;
        let mut batch: Vec<Item<T>> = Vec::with_capacity(BATCH);
        let mut closed = false;
        let mut data_rows = 0u64;
        let mut too_many = false;
        let result = wb.read_sheet(index, |row| {
            let Some(m) = &map else {
                match scan.push(row.number, &row.cells) {
                    ScanStep::More => return ControlFlow::Continue(()),
                    ScanStep::Found(found) => {
                        if !send(Msg::Header { sheet: name.clone(), map: found.clone() }) {
                            closed = true;
                            return ControlFlow::Break(());
                        }
                        map = Some(found);
                        return ControlFlow::Continue(());
                    }
                    ScanStep::Failed(e) => {
                        failed = Some(e);
                        return ControlFlow::Break(());
                    }
                }
            };
            let view = RowView { spec, map: m, cells: &row.cells };
            if view.is_blank() {
                return ControlFlow::Continue(());
            }
            data_rows += 1;
            if data_rows > options.limits.max_rows {
                too_many = true;
                return ControlFlow::Break(());
            }
            batch.push(match validate(&view, &row) {
                Ok(v) => Item::Valid(row.number, v),
                Err(e) => Item::Invalid(e),
            });
            if batch.len() >= BATCH && !send(Msg::Rows(std::mem::take(&mut batch))) {
                closed = true;
                return ControlFlow::Break(());
            }
            ControlFlow::Continue(())
        });
        if closed {
            return;
        }
        if too_many {
            send(Msg::Fatal(ReadError::TooManyRows { limit: options.limits.max_rows }.to_string()));
            return;
        }
        if let Err(e) = result {
            send(Msg::Fatal(e.to_string()));
            return;
        }
        if map.is_some() {
            if !batch.is_empty() {
                send(Msg::Rows(batch));
            }
            return;
        }
        let e = failed.unwrap_or_else(|| scan.end());
        let sheet_note = if wb.sheet_names().len() > 1 { format!("工作表“{name}”：") } else { String::new() };
        first_error.get_or_insert(HeaderError::clone(&e));
        if !matches!(e, HeaderError::NotFound { .. } | HeaderError::Empty) {
            send(Msg::Fatal(format!("{sheet_note}{e}")));
            return;
        }
    }
    let e = first_error.unwrap_or(HeaderError::Empty);
    send(Msg::Fatal(e.to_string()));
}

/// An identity number typed into a numeric Excel cell has lost its last digits; say so
/// rather than report a wrong check digit.
fn lossy_id_error(spec: &ImportSpec, view: &RowView<'_>, row: &Row) -> Option<RowError> {
    let pos = view.map.position(spec, "id_number")?;
    row.lossy.contains(&pos).then(|| RowError {
        row: row.number,
        column: Some(spec.label("id_number").to_owned()),
        message: "该单元格是数字格式，Excel只保留15位有效数字，后几位已丢失。请把该列设为“文本”格式后重新填写身份证号"
            .into(),
    })
}

/// What an import reads, and who runs it.
#[derive(Debug, Clone)]
pub struct ImportJob {
    pub kind: ImportKind,
    pub source: Source,
    /// The file's name as the user gave it (for the audit trail).
    pub name: String,
    pub dry_run: bool,
    /// Limits and the reader process (`WebConfig::import` on the server).
    pub settings: ImportSettings,
}

/// Runs an import (or a dry run) of a file into the caller's scope.
pub async fn import(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    job: ImportJob,
) -> Result<ImportOutcome, ImportFailure> {
    match job.kind {
        ImportKind::People => import_people(db, scope, actor, job).await,
        ImportKind::Orgs => import_orgs(db, scope, actor, job).await,
    }
}

async fn import_people(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    job: ImportJob,
) -> Result<ImportOutcome, ImportFailure> {
    let options = job.settings.options(ImportKind::People);
    let ImportJob { source, name, dry_run, .. } = job;
    let spec = &PERSON_IMPORT;
    let today = people::today_in_china();
    let (tx, mut rx) = mpsc::channel::<Msg<PersonDraft>>(8);
    let producer = tokio::task::spawn_blocking(move || {
        produce(
            source,
            &options,
            spec,
            move |view, row| {
                if let Some(e) = lossy_id_error(spec, view, row) {
                    return Err(vec![e]);
                }
                validate_person(view, today).map_err(|e| row_errors(spec, row.number, e))
            },
            tx,
        );
    });
    let mut job: Option<(people::PeopleImport, String, ColumnMap)> = None;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Header { sheet, map } => {
                let present = Present::all(map.present_keys(spec));
                let imp = people::PeopleImport::begin(db, scope.clone(), actor, &name, present, dry_run).await?;
                job = Some((imp, sheet, map));
            }
            Msg::Rows(items) => {
                let Some((imp, ..)) = job.as_mut() else { continue };
                for item in items {
                    match item {
                        Item::Valid(row, draft) => imp.push(row, draft).await?,
                        Item::Invalid(errs) => imp.push_invalid(errs),
                    }
                }
            }
            Msg::Fatal(e) => return Err(ImportFailure::File(e)),
        }
    }
    finished(producer).await?;
    let (imp, sheet, map) = job.ok_or_else(|| ImportFailure::File(HeaderError::Empty.to_string()))?;
    let report = imp.finish().await?;
    Ok(ImportOutcome { report, sheet, header_row: map.header_row, ignored_columns: map.ignored })
}

async fn import_orgs(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    job: ImportJob,
) -> Result<ImportOutcome, ImportFailure> {
    let options = job.settings.options(ImportKind::Orgs);
    let max_rows = options.limits.max_rows;
    let ImportJob { source, dry_run, .. } = job;
    let spec = &ORG_IMPORT;
    let (tx, mut rx) = mpsc::channel::<Msg<OrgDraft>>(8);
    let producer = tokio::task::spawn_blocking(move || {
        produce(
            source,
            &options,
            spec,
            move |view, row| validate_org(view).map_err(|e| row_errors(spec, row.number, e)),
            tx,
        );
    });
    let mut header: Option<(String, ColumnMap)> = None;
    let mut valid = Vec::new();
    let mut invalid = Vec::new();
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Header { sheet, map } => header = Some((sheet, map)),
            Msg::Rows(items) => {
                for item in items {
                    match item {
                        Item::Valid(row, d) => valid.push((row, d)),
                        Item::Invalid(e) => invalid.extend(e),
                    }
                }
                if (valid.len() + invalid.len()) as u64 > max_rows {
                    return Err(ImportFailure::File(ReadError::TooManyRows { limit: max_rows }.to_string()));
                }
            }
            Msg::Fatal(e) => return Err(ImportFailure::File(e)),
        }
    }
    finished(producer).await?;
    let (sheet, map) = header.ok_or_else(|| ImportFailure::File(HeaderError::Empty.to_string()))?;
    let present = Present::all(map.present_keys(spec));
    let report = orgs::import(db, scope, actor, valid, invalid, &present, dry_run).await?;
    Ok(ImportOutcome { report, sheet, header_row: map.header_row, ignored_columns: map.ignored })
}

/// Waits for the file reader; a reader that stopped abnormally (a panic inside the
/// spreadsheet library on a malformed file) has sent only part of the rows, so nothing
/// may be written.
async fn finished(producer: tokio::task::JoinHandle<()>) -> Result<(), ImportFailure> {
    producer.await.map_err(|e| {
        tracing::error!(error = %e, "the file reader stopped abnormally");
        ImportFailure::File(
            "读取文件时发生异常，文件可能已损坏，未导入任何数据。请用 Excel 打开后另存为 .xlsx 再导入".into(),
        )
    })
}

/// Imports rows given as field maps (the JSON API); a row's number is its position.
pub async fn import_rows(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    kind: ImportKind,
    rows: Vec<HashMap<String, String>>,
    dry_run: bool,
) -> Result<ImportOutcome, ImportFailure> {
    let spec = kind.spec();
    let present_keys: Vec<&'static str> =
        spec.columns.iter().map(|c| c.key).filter(|k| rows.iter().any(|r| r.contains_key(*k))).collect();
    // A field given for some rows only would clear it in the others: refused instead.
    let missing = |row: u64, r: &HashMap<String, String>| -> Vec<RowError> {
        present_keys
            .iter()
            .filter(|k| !r.contains_key(**k))
            .map(|k| RowError {
                row,
                column: Some(spec.label(k).to_owned()),
                message: format!("缺少字段“{k}”：同一次提交的各行须包含相同的字段（不修改的字段请在所有行中省略）"),
            })
            .collect()
    };
    let present = Present::all(present_keys.iter().copied());
    let report = match kind {
        ImportKind::People => {
            let today = people::today_in_china();
            let mut imp =
                people::PeopleImport::begin(db, scope.clone(), actor, "接口提交（JSON）", present, dry_run).await?;
            for (i, r) in rows.iter().enumerate() {
                let row = i as u64 + 1;
                let absent = missing(row, r);
                if !absent.is_empty() {
                    imp.push_invalid(absent);
                    continue;
                }
                match validate_person(r, today) {
                    Ok(d) => imp.push(row, d).await?,
                    Err(e) => imp.push_invalid(row_errors(spec, row, e)),
                }
            }
            imp.finish().await?
        }
        ImportKind::Orgs => {
            let mut valid = Vec::new();
            let mut invalid = Vec::new();
            for (i, r) in rows.iter().enumerate() {
                let row = i as u64 + 1;
                let absent = missing(row, r);
                if !absent.is_empty() {
                    invalid.extend(absent);
                    continue;
                }
                match validate_org(r) {
                    Ok(d) => valid.push((row, d)),
                    Err(e) => invalid.extend(row_errors(spec, row, e)),
                }
            }
            orgs::import(db, scope, actor, valid, invalid, &present, dry_run).await?
        }
    };
    Ok(ImportOutcome { report, sheet: "JSON".into(), header_row: 0, ignored_columns: Vec::new() })
}

/// Writes the import template of a kind.
pub fn template(kind: ImportKind) -> Result<Vec<u8>, xuepei_office::WriteError> {
    use xuepei_domain::labels::Labeled;
    use xuepei_domain::org::{OrgKind, Sector};
    use xuepei_domain::people::{Gender, RankLevel};
    fn labels<T: Labeled>() -> Vec<&'static str> {
        T::ALL.iter().map(|v| v.label()).collect()
    }
    let choices = match kind {
        ImportKind::People => vec![("gender", labels::<Gender>()), ("rank_level", labels::<RankLevel>())],
        ImportKind::Orgs => vec![("kind", labels::<OrgKind>()), ("sector", labels::<Sector>())],
    };
    xuepei_office::template::template(kind.spec(), &choices)
}

/// Whether a path's file exists and is readable, for clear command-line messages.
pub fn check_readable(path: &Path) -> Result<(), ImportFailure> {
    std::fs::metadata(path)
        .map(|_| ())
        .map_err(|e| ImportFailure::File(format!("无法读取文件 {}：{e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_reader_that_stopped_abnormally_refuses_the_import() {
        let ok = tokio::task::spawn_blocking(|| ());
        assert!(finished(ok).await.is_ok());
        let broken = tokio::task::spawn_blocking(|| panic!("malformed sheet"));
        match finished(broken).await {
            Err(ImportFailure::File(msg)) => assert!(msg.contains("未导入任何数据"), "{msg}"),
            Err(ImportFailure::Store(e)) => panic!("expected a file error, got {e:?}"),
            Ok(()) => panic!("a reader that panicked must refuse the import"),
        }
    }
}
