//! Import jobs, shared by the wizard, the JSON API and the command line, for every kind of
//! record a module registers (`crate::kinds`).
//!
//! An import reads and validates rows on a blocking thread and hands them in batches
//! to the async side, which resolves and writes them: parsing and the database work run
//! on different cores, and memory stays bounded by the channel. Each kind supplies its row
//! validation and its writer (an [`Importer`]); reading, limits, the isolated reader
//! process, progress and the outcome are the same for all.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use xuepei_domain::import::{ColumnMap, HeaderError, HeaderScan, ImportSpec, RowError, RowView, ScanStep};
use xuepei_domain::validate::FieldError;
use xuepei_office::read::{Row, Source, Workbook};
use xuepei_office::{ReadError, ReadLimits, ReadOptions};
use xuepei_store::imports::{ImportReport, Present};
use xuepei_store::{Actor, DatabaseConnection, Scope, StoreError};

pub use crate::kinds::Kind as ImportKind;

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
    /// Everything else; `read.limits.max_rows` is the limit of kinds without their own
    /// setting, and is replaced by the kind's limit.
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
        let rows = kind.max_rows(self);
        let base = &self.read.limits;
        let limits = ReadLimits { max_rows: rows, max_cells: ReadLimits::with_rows(rows).max_cells, ..base.clone() };
        ReadOptions { limits, isolation: self.read.isolation.clone() }
    }
}

/// Where a running import is: shared between the job and whoever watches it (the command
/// line's progress lines, the wizard's progress endpoint).
#[derive(Clone, Default)]
pub struct Progress(Arc<ProgressState>);

/// What a watcher is told: the stage and the rows read so far.
type Report = Box<dyn Fn(Stage, u64) + Send + Sync>;

#[derive(Default)]
struct ProgressState {
    rows: AtomicU64,
    stage: AtomicU8,
    /// Called every `.0` rows and at each change of stage.
    report: Option<(u64, Report)>,
}

/// What a running import is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading and checking rows (and, for people, writing them as they come).
    Reading,
    /// All rows read; the last checks, writes and the commit.
    Writing,
    Done,
}

impl Stage {
    pub fn code(self) -> &'static str {
        match self {
            Stage::Reading => "reading",
            Stage::Writing => "writing",
            Stage::Done => "done",
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Progress").field("rows", &self.rows()).field("stage", &self.stage()).finish()
    }
}

impl Progress {
    /// Progress that is only read (by polling).
    pub fn new() -> Self {
        Progress::default()
    }

    /// Progress that also calls `f` every `every` rows and at each change of stage.
    pub fn reporting(every: u64, f: impl Fn(Stage, u64) + Send + Sync + 'static) -> Self {
        Progress(Arc::new(ProgressState { report: Some((every.max(1), Box::new(f))), ..Default::default() }))
    }

    /// Data rows read so far.
    pub fn rows(&self) -> u64 {
        self.0.rows.load(Ordering::Relaxed)
    }

    pub fn stage(&self) -> Stage {
        match self.0.stage.load(Ordering::Relaxed) {
            0 => Stage::Reading,
            1 => Stage::Writing,
            _ => Stage::Done,
        }
    }

    fn row(&self) {
        let n = self.0.rows.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some((every, f)) = &self.0.report
            && n.is_multiple_of(*every)
        {
            f(Stage::Reading, n);
        }
    }

    fn set(&self, stage: Stage) {
        let code = match stage {
            Stage::Reading => 0,
            Stage::Writing => 1,
            Stage::Done => 2,
        };
        if self.0.stage.swap(code, Ordering::Relaxed) != code
            && let Some((_, f)) = &self.0.report
        {
            f(stage, self.rows());
        }
    }
}

/// The imports running in this server process, by a key the page chose, so that the page
/// can show how far one has come. Entries go after an hour.
#[derive(Debug, Default)]
pub struct ProgressBoard(Mutex<HashMap<String, (Instant, Progress)>>);

impl ProgressBoard {
    const KEEP: Duration = Duration::from_secs(3600);

    /// Starts watching an import under `key`.
    pub fn start(&self, key: String) -> Progress {
        let p = Progress::new();
        if let Ok(mut m) = self.0.lock() {
            m.retain(|_, (at, _)| at.elapsed() < Self::KEEP);
            // A bound on what one process keeps, whatever clients send.
            if m.len() < 10_000 {
                m.insert(key, (Instant::now(), p.clone()));
            }
        }
        p
    }

    pub fn get(&self, key: &str) -> Option<Progress> {
        self.0.lock().ok()?.get(key).map(|(_, p)| p.clone())
    }
}

/// The result of a completed import or dry run.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ImportOutcome {
    pub report: ImportReport,
    pub sheet: String,
    pub header_row: u64,
    /// Header cells that were not recognised and were skipped.
    pub ignored_columns: Vec<String>,
    /// Who or what each bad row is ("张三"), by row number, when the file was read again
    /// to name them ([`name_bad_rows`]).
    #[serde(default)]
    pub names: BTreeMap<u64, String>,
}

impl ImportOutcome {
    /// The name of a row, or "" when unknown.
    pub fn name_of(&self, row: &u64) -> &str {
        self.names.get(row).map_or("", String::as_str)
    }
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

/// The connection, scope, actor and progress an import runs with.
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    pub db: &'a DatabaseConnection,
    pub scope: &'a Scope,
    pub actor: &'a Actor,
    pub progress: &'a Progress,
}

/// One row given as fields (the JSON API): field key → text.
pub type Fields = HashMap<String, String>;

/// What a kind implements to be imported: how a row is checked and how checked rows are
/// written. [`run_file`] and [`run_rows`] drive it.
pub trait Importer: Sync {
    /// A row that passed its field checks.
    type Draft: Send + 'static;
    type Session: Session<Self::Draft>;
    /// Checks one row of a file; runs on the reader thread.
    fn validator(&self) -> impl Fn(&RowView<'_>, &Row) -> Result<Self::Draft, Vec<RowError>> + Send + 'static;
    /// Checks one row given as fields; `row` is its position.
    fn validate_fields(&self, row: u64, fields: &Fields) -> Result<Self::Draft, Vec<RowError>>;
    /// Starts writing: `present` are the optional columns the file has, `source` names it
    /// for the audit trail.
    fn begin(
        &self,
        run: Run<'_>,
        source: &str,
        present: Present,
        dry_run: bool,
    ) -> impl Future<Output = Result<Self::Session, ImportFailure>> + Send;
}

/// An import being written: rows in file order, then [`Session::finish`].
pub trait Session<D>: Send {
    fn push(&mut self, row: u64, draft: D) -> impl Future<Output = Result<(), ImportFailure>> + Send;
    /// A row that failed its field checks.
    fn push_invalid(&mut self, errors: Vec<RowError>) -> Result<(), ImportFailure>;
    /// Writes what is left and commits — or rolls back when a row was bad or on a dry run.
    fn finish(self) -> impl Future<Output = Result<ImportReport, ImportFailure>> + Send;
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

/// Field errors as row errors, labelled with the spec's column names.
pub fn row_errors(spec: &ImportSpec, row: u64, errs: Vec<FieldError>) -> Vec<RowError> {
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
    progress: &Progress,
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
            progress.row();
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
    import_with(db, scope, actor, job, &Progress::new()).await
}

/// [`import`], reporting how far it has come on `progress`.
pub async fn import_with(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    job: ImportJob,
    progress: &Progress,
) -> Result<ImportOutcome, ImportFailure> {
    let kind = job.kind;
    let out = kind.import(Run { db, scope, actor, progress }, job).await;
    progress.set(Stage::Done);
    out
}

/// Imports rows given as field maps (the JSON API); a row's number is its position.
pub async fn import_rows(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    kind: ImportKind,
    rows: Vec<Fields>,
    dry_run: bool,
) -> Result<ImportOutcome, ImportFailure> {
    kind.import_rows(Run { db, scope, actor, progress: &Progress::new() }, rows, dry_run).await
}

/// A report of rows that were not all good shows no rows as added or changed.
fn settle(mut report: ImportReport) -> ImportReport {
    if !report.is_ok() {
        report.added.clear();
        report.changed.clear();
    }
    report
}

/// Reads, checks and writes a file for an [`Importer`]: the body of a kind's
/// `RecordKind::import`.
pub async fn run_file<K: Importer>(
    importer: &K,
    spec: &'static ImportSpec,
    run: Run<'_>,
    job: ImportJob,
) -> Result<ImportOutcome, ImportFailure> {
    let options = job.settings.options(job.kind);
    let ImportJob { source, name, dry_run, .. } = job;
    let validate = importer.validator();
    let (tx, mut rx) = mpsc::channel::<Msg<K::Draft>>(8);
    let progress = run.progress.clone();
    progress.set(Stage::Reading);
    let producer = tokio::task::spawn_blocking(move || produce(source, &options, spec, validate, &progress, tx));
    let mut session: Option<(K::Session, String, ColumnMap)> = None;
    while let Some(msg) = rx.recv().await {
        match msg {
            Msg::Header { sheet, map } => {
                let present = Present::all(map.present_keys(spec));
                session = Some((importer.begin(run, &name, present, dry_run).await?, sheet, map));
            }
            Msg::Rows(items) => {
                let Some((s, ..)) = session.as_mut() else { continue };
                for item in items {
                    match item {
                        Item::Valid(row, draft) => s.push(row, draft).await?,
                        Item::Invalid(errs) => s.push_invalid(errs)?,
                    }
                }
            }
            Msg::Fatal(e) => return Err(ImportFailure::File(e)),
        }
    }
    finished(producer).await?;
    let (s, sheet, map) = session.ok_or_else(|| ImportFailure::File(HeaderError::Empty.to_string()))?;
    run.progress.set(Stage::Writing);
    let report = settle(s.finish().await?);
    Ok(ImportOutcome {
        report,
        sheet,
        header_row: map.header_row,
        ignored_columns: map.ignored,
        names: BTreeMap::new(),
    })
}

/// Checks and writes rows given as fields for an [`Importer`]: the body of a kind's
/// `RecordKind::import_rows`.
pub async fn run_rows<K: Importer>(
    importer: &K,
    spec: &'static ImportSpec,
    run: Run<'_>,
    rows: Vec<Fields>,
    dry_run: bool,
) -> Result<ImportOutcome, ImportFailure> {
    let present_keys: Vec<&'static str> =
        spec.columns.iter().map(|c| c.key).filter(|k| rows.iter().any(|r| r.contains_key(*k))).collect();
    // A field given for some rows only would clear it in the others: refused instead.
    let missing = |row: u64, r: &Fields| -> Vec<RowError> {
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
    let mut s = importer.begin(run, "接口提交（JSON）", present, dry_run).await?;
    for (i, r) in rows.iter().enumerate() {
        let row = i as u64 + 1;
        let absent = missing(row, r);
        if !absent.is_empty() {
            s.push_invalid(absent)?;
            continue;
        }
        match importer.validate_fields(row, r) {
            Ok(d) => s.push(row, d).await?,
            Err(e) => s.push_invalid(e)?,
        }
    }
    let report = settle(s.finish().await?);
    Ok(ImportOutcome {
        report,
        sheet: "JSON".into(),
        header_row: 0,
        ignored_columns: Vec::new(),
        names: BTreeMap::new(),
    })
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

/// Writes the import template of a kind.
pub fn template(kind: ImportKind) -> Result<Vec<u8>, xuepei_office::WriteError> {
    xuepei_office::template::template(kind.spec(), &kind.template_choices())
}

/// Some rows of a file read again: its header cells and the cells of the rows asked for,
/// as the file has them.
#[derive(Debug, Clone, Default)]
pub struct FileRows {
    pub header: Vec<String>,
    pub rows: BTreeMap<u64, Vec<String>>,
    /// Who or what each row is (`RecordKind::row_label`).
    pub labels: BTreeMap<u64, String>,
}

/// Reads the rows `wanted` of the sheet an import read (`sheet`), through the same limits
/// and reader process, stopping after the last one.
pub async fn read_rows(
    kind: ImportKind,
    source: Source,
    settings: &ImportSettings,
    sheet: &str,
    wanted: BTreeSet<u64>,
) -> Result<FileRows, ImportFailure> {
    let options = settings.options(kind);
    let sheet = sheet.to_owned();
    let reader = tokio::task::spawn_blocking(move || -> Result<FileRows, String> {
        let mut out = FileRows::default();
        let Some(&last) = wanted.last() else { return Ok(out) };
        let wb = Workbook::open_with(source, &options).map_err(|e| e.to_string())?;
        let index = wb.sheet_names().iter().position(|n| *n == sheet).unwrap_or(0);
        let spec = kind.spec();
        let mut scan = HeaderScan::new(spec);
        let mut map: Option<ColumnMap> = None;
        wb.read_sheet(index, |row| {
            let Some(m) = &map else {
                return match scan.push(row.number, &row.cells) {
                    ScanStep::More => ControlFlow::Continue(()),
                    ScanStep::Found(found) => {
                        out.header = row.cells.clone();
                        map = Some(found);
                        ControlFlow::Continue(())
                    }
                    ScanStep::Failed(_) => ControlFlow::Break(()),
                };
            };
            if wanted.contains(&row.number) {
                out.labels.insert(row.number, kind.row_label(&RowView { spec, map: m, cells: &row.cells }));
                out.rows.insert(row.number, row.cells);
            }
            if row.number >= last { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
        })
        .map_err(|e| e.to_string())?;
        Ok(out)
    });
    reader.await.map_err(|e| ImportFailure::File(e.to_string()))?.map_err(ImportFailure::File)
}

/// Names the person (or organisation) on each bad row of an outcome, reading the file
/// again up to the last bad row. Without a name the row still shows its number.
pub async fn name_bad_rows(kind: ImportKind, source: Source, settings: &ImportSettings, outcome: &mut ImportOutcome) {
    let wanted: BTreeSet<u64> = outcome.report.errors.iter().map(|e| e.row).filter(|r| *r > 0).collect();
    if wanted.is_empty() {
        return;
    }
    match read_rows(kind, source, settings, &outcome.sheet, wanted).await {
        Ok(f) => outcome.names = f.labels.into_iter().filter(|(_, l)| !l.is_empty()).collect(),
        Err(e) => tracing::warn!(error = %e, "naming the bad rows failed"),
    }
}

/// The bad rows of an outcome as an `.xlsx`: the original row number, the file's own cells
/// under its own headers, and a 错误原因 column — to correct and import again (the two
/// added columns are not import columns, so they are ignored then).
pub async fn bad_rows_xlsx(
    kind: ImportKind,
    source: Source,
    settings: &ImportSettings,
    filename: &str,
    outcome: &ImportOutcome,
) -> Result<Vec<u8>, ImportFailure> {
    let mut reasons: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for e in &outcome.report.errors {
        let text = match &e.column {
            Some(c) => format!("{c}：{}", e.message),
            None => e.message.clone(),
        };
        reasons.entry(e.row).or_default().push(text);
    }
    let file = read_rows(kind, source, settings, &outcome.sheet, reasons.keys().copied().collect()).await?;
    let r = &outcome.report;
    let mut title = format!("{}导入问题行（{filename}）", kind.title());
    if r.error_count > r.errors.len() as u64 {
        title.push_str(&format!("：共{}处问题，仅列出前{}处", r.error_count, r.errors.len()));
    }
    let width = file.rows.values().map(Vec::len).chain([file.header.len()]).max().unwrap_or(0);
    let bytes = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, xuepei_office::WriteError> {
        use xuepei_office::write::{Cell, Export};
        let mut headers: Vec<String> = vec!["原行号".into()];
        for i in 0..width {
            match file.header.get(i).map(|h| h.trim()).filter(|h| !h.is_empty()) {
                Some(h) => headers.push(h.to_owned()),
                None => headers.push(format!("{}列", xuepei_domain::import::column_letters(i))),
            }
        }
        headers.push("错误原因".into());
        let mut cols: Vec<(&str, f64)> = headers.iter().map(|h| (h.as_str(), 14.0)).collect();
        if let Some(first) = cols.first_mut() {
            first.1 = 8.0;
        }
        if let Some(last) = cols.last_mut() {
            last.1 = 60.0;
        }
        let mut x = Export::with_headers("问题行", &title, &cols)?;
        for (row, why) in &reasons {
            let mut cells = vec![Cell::Number(*row as f64)];
            let original = file.rows.get(row).map(Vec::as_slice).unwrap_or_default();
            cells.extend((0..width).map(|i| Cell::from(original.get(i).cloned().unwrap_or_default())));
            cells.push(Cell::from(why.join("；")));
            x.row(&cells)?;
        }
        x.into_bytes()
    })
    .await
    .map_err(|e| ImportFailure::File(e.to_string()))?
    .map_err(|e| ImportFailure::File(e.to_string()))?;
    Ok(bytes)
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

    #[test]
    fn progress_reports_every_n_rows_and_each_stage() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let p = Progress::reporting(2, move |stage, n| s.lock().expect("lock").push((stage, n)));
        p.set(Stage::Reading);
        for _ in 0..5 {
            p.row();
        }
        p.set(Stage::Writing);
        p.set(Stage::Writing);
        p.set(Stage::Done);
        assert_eq!(p.rows(), 5);
        assert_eq!(
            *seen.lock().expect("lock"),
            vec![(Stage::Reading, 2), (Stage::Reading, 4), (Stage::Writing, 5), (Stage::Done, 5)]
        );
    }
}
