//! Reading spreadsheets as rows of text, streamed, within limits.
//!
//! The format is decided by the file's first bytes, not its name: users rename files.
//! `.xlsx` sheets are read cell by cell from the zip stream; `.xls` sheets are at most
//! 65,536 rows and are read whole; `.csv` is decoded on the fly from UTF-8 (with or
//! without BOM), UTF-16 (with BOM) or, failing UTF-8, GB18030 (a superset of GBK).
//!
//! Files come from users and are not trusted: `.xlsx` and `.xls` containers are checked
//! before a parser sees them (`guard`) and, unless told otherwise, parsed in a child
//! process with its own memory and CPU limits (`isolate`); rows, cells and cell sizes are
//! bounded (`ReadLimits`) for every format.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex, PoisonError};

use calamine::{Data, DataRef, Reader, Xls, Xlsx};
use encoding_rs::{Encoding, GB18030, UTF_8};

use crate::guard;
use crate::isolate::{Session, SheetEvent};
use crate::limits::{Isolation, ReadLimits, ReadOptions};

/// Cells beyond this column are ignored (a stray value in column XFD must not make every
/// row 16,384 cells wide).
pub const MAX_COLUMNS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx = 1,
    Xls = 2,
    Csv = 3,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Xlsx => "Excel工作簿（.xlsx）",
            Format::Xls => "Excel 97-2003工作簿（.xls）",
            Format::Csv => "CSV文本（.csv）",
        }
    }

    pub(crate) fn from_label(label: &str) -> Option<Format> {
        [Format::Xlsx, Format::Xls, Format::Csv].into_iter().find(|f| f.label() == label)
    }

    pub(crate) fn from_tag(tag: u8) -> Option<Format> {
        [Format::Xlsx, Format::Xls, Format::Csv].into_iter().find(|f| *f as u8 == tag)
    }
}

/// Where a file's bytes are.
#[derive(Debug, Clone)]
pub enum Source {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

/// A source as this crate keeps it: bytes are shared, not copied, between readers.
#[derive(Debug, Clone)]
pub(crate) enum Src {
    Path(PathBuf),
    Bytes(Arc<Vec<u8>>),
}

impl From<Source> for Src {
    fn from(s: Source) -> Self {
        match s {
            Source::Path(p) => Src::Path(p),
            Source::Bytes(b) => Src::Bytes(Arc::new(b)),
        }
    }
}

/// Shared bytes as a `Cursor` target.
#[derive(Debug, Clone)]
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("文件不是表格：请上传 .xlsx、.xls 或 .csv 文件（可在Excel中“另存为”Excel工作簿）")]
    NotSpreadsheet,
    #[error("该文件是网页（HTML）格式而非真正的Excel文件，请在Excel中“另存为”Excel工作簿（.xlsx）后再导入")]
    Html,
    /// `detail` is the reading library's own words (often English), shown as technical
    /// information after what to do.
    #[error(
        "文件已损坏或不是有效的{format}，未导入任何数据。请在Excel中打开后“另存为”Excel工作簿（.xlsx）再导入（技术信息：{detail}）"
    )]
    Corrupt { format: &'static str, detail: String },
    #[error("文件中没有任何工作表")]
    NoSheet,
    #[error("无法读取文件：{0}")]
    Io(String),
    /// The container or its content passes a limit; the message says which and what to do.
    #[error("{0}")]
    Refused(String),
    #[error(
        "文件的数据超过{limit}行，超过了一次导入的上限（{limit}行）。请把文件拆分成每个不超过{limit}行的几个文件（可在Excel中把多出的行剪切到新的工作簿），分批导入"
    )]
    TooManyRows { limit: u64 },
    /// The parser crashed, ran out of its memory or time, or stalled: the file is refused,
    /// nothing else is affected.
    #[error(
        "文件无法安全读取（{0}），未导入任何数据。文件可能已损坏或是恶意构造的，请在Excel中打开后“另存为”Excel工作簿（.xlsx）再导入"
    )]
    Unsafe(String),
}

/// One row of a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row number as Excel shows it (CSV: the line number).
    pub number: u64,
    pub cells: Vec<String>,
    /// Cells that held a number too long for Excel to keep exactly (an identity number
    /// typed into a numeric cell loses its last digits).
    pub lossy: Vec<usize>,
}

/// An opened file.
#[derive(Debug)]
pub struct Workbook {
    format: Format,
    source: Src,
    sheets: Vec<String>,
    options: ReadOptions,
    /// The reader process, when it is positioned before a sheet we may read next.
    child: Mutex<Option<Session>>,
}

fn head(source: &Src) -> Result<Vec<u8>, ReadError> {
    match source {
        Src::Bytes(b) => Ok(b[..b.len().min(8192)].to_vec()),
        Src::Path(p) => {
            let mut f = File::open(p).map_err(|e| ReadError::Io(e.to_string()))?;
            let mut buf = vec![0; 8192];
            let mut n = 0;
            while n < buf.len() {
                match f.read(&mut buf[n..]) {
                    Ok(0) => break,
                    Ok(k) => n += k,
                    Err(e) => return Err(ReadError::Io(e.to_string())),
                }
            }
            buf.truncate(n);
            Ok(buf)
        }
    }
}

fn source_len(source: &Src) -> Result<u64, ReadError> {
    match source {
        Src::Bytes(b) => Ok(b.len() as u64),
        Src::Path(p) => std::fs::metadata(p).map(|m| m.len()).map_err(|e| ReadError::Io(e.to_string())),
    }
}

/// Decides a file's format from its first bytes.
pub fn detect(head: &[u8]) -> Result<Format, ReadError> {
    const OLE: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if head.starts_with(b"PK\x03\x04") {
        return Ok(Format::Xlsx);
    }
    if head.starts_with(&OLE) {
        return Ok(Format::Xls);
    }
    if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
        return Ok(Format::Csv);
    }
    let lower: Vec<u8> = head.iter().take(512).map(u8::to_ascii_lowercase).collect();
    let text = String::from_utf8_lossy(&lower);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with("<html")
        || trimmed.starts_with("<!doctype")
        || trimmed.starts_with("<table")
        || trimmed.starts_with("<?xml")
    {
        return Err(ReadError::Html);
    }
    let binary = head.contains(&0) || head.iter().filter(|b| **b < 0x09 || (0x0E..0x20).contains(*b)).count() > 4;
    if binary || head.starts_with(b"%PDF") {
        return Err(ReadError::NotSpreadsheet);
    }
    Ok(Format::Csv)
}

impl Workbook {
    /// Opens a trusted file (one we wrote) in this process, with the default limits.
    pub fn open(source: Source) -> Result<Self, ReadError> {
        Self::open_with(source, &ReadOptions::in_process())
    }

    /// Opens an untrusted file: checked, bounded, and parsed where `options` say.
    pub fn open_with(source: Source, options: &ReadOptions) -> Result<Self, ReadError> {
        let source = Src::from(source);
        let limits = &options.limits;
        if source_len(&source)? > limits.max_input_bytes {
            return Err(ReadError::Refused(format!(
                "文件超过{}MB，超过了读取上限，请拆分后分批导入",
                limits.max_input_bytes >> 20
            )));
        }
        let h = head(&source)?;
        let format = if h.is_empty() { Format::Csv } else { detect(&h)? };
        let mut child = None;
        let sheets = match (format, &options.isolation) {
            (Format::Csv, _) => {
                count_csv(&source, limits)?;
                vec!["CSV".into()]
            }
            (_, Isolation::InProcess) => {
                check(format, &source, limits)?;
                with_reader(&source, |r| match format {
                    Format::Xlsx => Xlsx::new(r).map(|wb: Xlsx<_>| wb.sheet_names()).map_err(|e| corrupt(format, e)),
                    _ => Xls::new(r).map(|wb: Xls<_>| wb.sheet_names()).map_err(|e| corrupt(format, e)),
                })?
            }
            (_, Isolation::Child(c)) => {
                let s = Session::start(c, &source, 0, limits)?;
                let names = s.names.clone();
                child = Some(s);
                names
            }
        };
        if sheets.is_empty() {
            return Err(ReadError::NoSheet);
        }
        Ok(Workbook { format, source, sheets, options: options.clone(), child: Mutex::new(child) })
    }

    pub fn format(&self) -> Format {
        self.format
    }

    pub fn sheet_names(&self) -> &[String] {
        &self.sheets
    }

    /// Calls `visit` with each non-empty row of sheet `index`, in order, until it breaks.
    pub fn read_sheet(&self, index: usize, mut visit: impl FnMut(Row) -> ControlFlow<()>) -> Result<(), ReadError> {
        let name = self.sheets.get(index).ok_or(ReadError::NoSheet)?.clone();
        let limits = &self.options.limits;
        match (self.format, &self.options.isolation) {
            (Format::Csv, _) => read_csv(&self.source, limits, &mut visit),
            (Format::Xlsx, Isolation::InProcess) => with_reader(&self.source, |r| {
                let mut wb: Xlsx<_> = Xlsx::new(r).map_err(|e| corrupt(Format::Xlsx, e))?;
                xlsx_rows(&mut wb, &name, limits, &mut visit)
            }),
            (Format::Xls, Isolation::InProcess) => with_reader(&self.source, |r| {
                let mut wb: Xls<_> = Xls::new(r).map_err(|e| corrupt(Format::Xls, e))?;
                xls_rows(&mut wb, index, limits, &mut visit)
            }),
            (_, Isolation::Child(c)) => {
                let mut slot = self.child.lock().unwrap_or_else(PoisonError::into_inner);
                let mut session = match slot.take() {
                    Some(s) if s.next_sheet == index => s,
                    _ => Session::start(c, &self.source, index, limits)?,
                };
                // A session stopped early, or that failed, is dropped: the child is killed.
                if session.stream_sheet(index, limits, &mut visit)? {
                    *slot = Some(session);
                }
                Ok(())
            }
        }
    }
}

fn corrupt(format: Format, e: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt { format: format.label(), detail: e.to_string() }
}

/// Runs the container checks of `format` on the source.
fn check(format: Format, source: &Src, limits: &ReadLimits) -> Result<(), ReadError> {
    match format {
        Format::Xlsx => with_reader(source, |r| guard::check_xlsx(r, limits)),
        Format::Xls => guard::check_xls(&bytes_of(source, limits)?, limits),
        Format::Csv => Ok(()),
    }
}

/// The whole file in memory (`.xls` files are small: at most 65,536 rows).
fn bytes_of(source: &Src, limits: &ReadLimits) -> Result<Arc<Vec<u8>>, ReadError> {
    match source {
        Src::Bytes(b) => Ok(Arc::clone(b)),
        Src::Path(p) => {
            let f = File::open(p).map_err(|e| ReadError::Io(e.to_string()))?;
            let mut data = Vec::new();
            f.take(limits.max_input_bytes.saturating_add(1))
                .read_to_end(&mut data)
                .map_err(|e| ReadError::Io(e.to_string()))?;
            Ok(Arc::new(data))
        }
    }
}

/// Runs `f` over a seekable reader of the source.
fn with_reader<T>(source: &Src, f: impl FnOnce(Box<dyn ReadSeek>) -> Result<T, ReadError>) -> Result<T, ReadError> {
    f(reader(source)?)
}

fn reader(source: &Src) -> Result<Box<dyn ReadSeek>, ReadError> {
    Ok(match source {
        Src::Bytes(b) => Box::new(Cursor::new(Shared(Arc::clone(b)))),
        Src::Path(p) => {
            let file = File::open(p).map_err(|e| ReadError::Io(e.to_string()))?;
            Box::new(BufReader::with_capacity(256 * 1024, file))
        }
    })
}

pub(crate) trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

/// Reads sheet (index, name) into a visitor.
type SheetReader<'a> = dyn FnMut(usize, &str, &mut dyn FnMut(Row) -> ControlFlow<()>) -> Result<(), ReadError> + 'a;

/// The child side: checks the file, reports its sheet names, then streams sheets from
/// `from` on until `on_event` breaks.
pub(crate) fn stream_workbook(
    source: &Src,
    from: usize,
    limits: &ReadLimits,
    mut on_event: impl FnMut(SheetEvent<'_>) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    if source_len(source)? > limits.max_input_bytes {
        return Err(ReadError::Refused(format!(
            "文件超过{}MB，超过了读取上限，请拆分后分批导入",
            limits.max_input_bytes >> 20
        )));
    }
    let format = detect(&head(source)?)?;
    if format == Format::Csv {
        return Err(ReadError::NotSpreadsheet);
    }
    check(format, source, limits)?;
    let mut each_sheet = |names: &[String], read: &mut SheetReader<'_>| -> Result<(), ReadError> {
        if on_event(SheetEvent::Names(names)).is_break() {
            return Ok(());
        }
        for (i, name) in names.iter().enumerate().skip(from) {
            if on_event(SheetEvent::Start(i)).is_break() {
                return Ok(());
            }
            let mut stopped = false;
            read(i, name, &mut |row: Row| {
                let flow = on_event(SheetEvent::Row(&row));
                stopped = flow.is_break();
                flow
            })?;
            if stopped || on_event(SheetEvent::End(i)).is_break() {
                return Ok(());
            }
        }
        Ok(())
    };
    match format {
        Format::Xlsx => {
            let mut wb: Xlsx<_> = Xlsx::new(reader(source)?).map_err(|e| corrupt(format, e))?;
            let names = wb.sheet_names();
            if names.is_empty() {
                return Err(ReadError::NoSheet);
            }
            each_sheet(&names, &mut |_, name, visit| xlsx_rows(&mut wb, name, limits, visit))
        }
        _ => {
            let mut wb: Xls<_> = Xls::new(reader(source)?).map_err(|e| corrupt(format, e))?;
            let names = wb.sheet_names();
            if names.is_empty() {
                return Err(ReadError::NoSheet);
            }
            each_sheet(&names, &mut |i, _, visit| xls_rows(&mut wb, i, limits, visit))
        }
    }
}

fn float_text(f: f64) -> (String, bool) {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        (format!("{}", f as i64), false)
    } else if f.fract() == 0.0 {
        // Excel keeps 15 significant digits; anything longer was rounded on entry.
        (format!("{f:.0}"), true)
    } else {
        (format!("{f}"), false)
    }
}

fn date_text(y: u16, m: u8, d: u8) -> String {
    format!("{y:04}-{m:02}-{d:02}")
}

fn data_ref_text(v: &DataRef<'_>) -> (String, bool) {
    match v {
        DataRef::Int(i) => (i.to_string(), false),
        DataRef::Float(f) => float_text(*f),
        DataRef::String(s) => (s.clone(), false),
        DataRef::SharedString(s) => ((*s).to_owned(), false),
        DataRef::Bool(b) => ((if *b { "是" } else { "否" }).to_owned(), false),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            (date_text(y, m, d), false)
        }
        DataRef::DateTime(dt) => float_text(dt.as_f64()),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => (s.clone(), false),
        DataRef::Error(e) => (format!("#{e}"), false),
        DataRef::Empty => (String::new(), false),
    }
}

fn data_text(v: &Data) -> (String, bool) {
    match v {
        Data::Int(i) => (i.to_string(), false),
        Data::Float(f) => float_text(*f),
        Data::String(s) => (s.clone(), false),
        Data::Bool(b) => ((if *b { "是" } else { "否" }).to_owned(), false),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            (date_text(y, m, d), false)
        }
        Data::DateTime(dt) => float_text(dt.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => (s.clone(), false),
        Data::Error(e) => (format!("#{e}"), false),
        Data::Empty => (String::new(), false),
    }
}

fn emit<V: FnMut(Row) -> ControlFlow<()> + ?Sized>(row: &mut Option<Row>, visit: &mut V) -> ControlFlow<()> {
    match row.take() {
        Some(mut r) => {
            while r.cells.last().is_some_and(|c| c.is_empty()) {
                r.cells.pop();
            }
            if r.cells.is_empty() { ControlFlow::Continue(()) } else { visit(r) }
        }
        None => ControlFlow::Continue(()),
    }
}

/// What one sheet has cost so far.
struct Budget<'a> {
    limits: &'a ReadLimits,
    rows: u64,
    cells: u64,
}

impl<'a> Budget<'a> {
    fn new(limits: &'a ReadLimits) -> Self {
        Budget { limits, rows: 0, cells: 0 }
    }

    fn row(&mut self) -> Result<(), ReadError> {
        self.rows += 1;
        if self.rows > self.limits.file_rows() {
            return Err(ReadError::TooManyRows { limit: self.limits.max_rows });
        }
        Ok(())
    }

    fn cell(&mut self) -> Result<(), ReadError> {
        self.cells += 1;
        if self.cells > self.limits.max_cells {
            return Err(guard::too_many_cells(self.limits));
        }
        Ok(())
    }

    fn text(&self, text: &str, row: u64, col: usize) -> Result<(), ReadError> {
        let max = self.limits.max_cell_chars;
        if text.len() > max && text.chars().count() > max {
            return Err(ReadError::Refused(format!(
                "第{row}行第{}列的内容超过{max}个字符（Excel单元格的上限），请检查该单元格后重新导入",
                col + 1
            )));
        }
        Ok(())
    }
}

fn xlsx_rows<R: Read + Seek, V: FnMut(Row) -> ControlFlow<()> + ?Sized>(
    wb: &mut Xlsx<R>,
    sheet: &str,
    limits: &ReadLimits,
    visit: &mut V,
) -> Result<(), ReadError> {
    let mut budget = Budget::new(limits);
    let mut cells = wb.worksheet_cells_reader(sheet).map_err(|e| corrupt(Format::Xlsx, e))?;
    let mut current: Option<Row> = None;
    let mut last_row = None;
    while let Some(cell) = cells.next_cell().map_err(|e| corrupt(Format::Xlsx, e))? {
        let (r, c) = cell.get_position();
        let (r, c) = (u64::from(r) + 1, c as usize);
        budget.cell()?;
        if last_row != Some(r) {
            budget.row()?;
            last_row = Some(r);
        }
        if current.as_ref().is_some_and(|row| row.number != r) && emit(&mut current, visit).is_break() {
            return Ok(());
        }
        if c >= limits.max_columns {
            continue;
        }
        let row = current.get_or_insert_with(|| Row { number: r, cells: Vec::new(), lossy: Vec::new() });
        let (text, lossy) = data_ref_text(cell.get_value());
        budget.text(&text, r, c)?;
        if row.cells.len() <= c {
            row.cells.resize(c + 1, String::new());
        }
        row.cells[c] = text;
        if lossy {
            row.lossy.push(c);
        }
    }
    let _ = emit(&mut current, visit);
    Ok(())
}

fn xls_rows<R: Read + Seek, V: FnMut(Row) -> ControlFlow<()> + ?Sized>(
    wb: &mut Xls<R>,
    index: usize,
    limits: &ReadLimits,
    visit: &mut V,
) -> Result<(), ReadError> {
    let mut budget = Budget::new(limits);
    let range = wb.worksheet_range_at(index).ok_or(ReadError::NoSheet)?.map_err(|e| corrupt(Format::Xls, e))?;
    let Some((r0, c0)) = range.start() else { return Ok(()) };
    for (i, data) in range.rows().enumerate() {
        budget.row()?;
        let number = u64::from(r0) + i as u64 + 1;
        let mut row =
            Row { number, cells: vec![String::new(); (c0 as usize).min(limits.max_columns)], lossy: Vec::new() };
        for v in data.iter().take(limits.max_columns.saturating_sub(c0 as usize)) {
            if !matches!(v, Data::Empty) {
                budget.cell()?;
            }
            let (text, lossy) = data_text(v);
            budget.text(&text, number, row.cells.len())?;
            if lossy {
                row.lossy.push(row.cells.len());
            }
            row.cells.push(text);
        }
        if emit(&mut Some(row), visit).is_break() {
            break;
        }
    }
    Ok(())
}

/// Picks the text encoding of a CSV file from its first bytes.
pub fn sniff_encoding(head: &[u8]) -> &'static Encoding {
    if let Some((enc, _)) = Encoding::for_bom(head) {
        return enc;
    }
    // A multi-byte character may be cut at the end of the sample.
    let mut end = head.len();
    for _ in 0..3 {
        match std::str::from_utf8(&head[..end]) {
            Ok(_) => return UTF_8,
            Err(e) if e.error_len().is_none() => end = e.valid_up_to(),
            Err(_) => return GB18030,
        }
    }
    GB18030
}

/// Read-ahead of the CSV parser; a record is refused once this much beyond its limit
/// has been read without the record ending.
const CSV_BUFFER: usize = 256 * 1024;
const ROW_TOO_LONG: &str = "xuepei: CSV record too long";

type CsvReader = csv::Reader<LineCounter<Box<dyn Read>>>;

fn csv_reader(source: &Src, limits: &ReadLimits) -> Result<(CsvReader, Rc<RefCell<NewlineLog>>), ReadError> {
    let h = head(source)?;
    let enc = sniff_encoding(&h);
    let sample = enc.decode(&h).0;
    let first_line = sample.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') { b'\t' } else { b',' };
    let raw: Box<dyn Read> = match source {
        Src::Bytes(b) => Box::new(Cursor::new(Shared(Arc::clone(b)))),
        Src::Path(p) => Box::new(File::open(p).map_err(|e| ReadError::Io(e.to_string()))?),
    };
    let decoded: Box<dyn Read> =
        Box::new(encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(enc)).bom_override(true).build(raw));
    // The csv crate skips blank lines without counting them; line numbers are counted here.
    let log = Rc::new(RefCell::new(NewlineLog::default()));
    let counter = LineCounter {
        inner: decoded,
        offset: 0,
        line_start: 0,
        line_has_text: false,
        log: Rc::clone(&log),
        max_unended: (limits.max_row_bytes + 2 * CSV_BUFFER) as u64,
    };
    let rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(CSV_BUFFER)
        .from_reader(counter);
    Ok((rdr, log))
}

fn csv_error(e: &csv::Error, limits: &ReadLimits) -> ReadError {
    let line = e.position().map_or(0, |p| p.line());
    if let csv::ErrorKind::Io(io) = e.kind()
        && io.to_string() == ROW_TOO_LONG
    {
        return ReadError::Refused(format!(
            "文件中有一行超过{}KB（可能是引号没有配对，使后面的内容都被当成了同一个单元格），请检查后重新导入",
            limits.max_row_bytes / 1024
        ));
    }
    ReadError::Corrupt { format: Format::Csv.label(), detail: format!("第{line}行附近：{e}") }
}

/// Refuses a CSV file with more records than the limit before any row is handed on. A
/// file with fewer lines than the limit is not parsed twice.
fn count_csv(source: &Src, limits: &ReadLimits) -> Result<(), ReadError> {
    let newlines = match source {
        Src::Bytes(b) => memchr::memchr_iter(b'\n', b).count() as u64,
        Src::Path(p) => {
            let mut f = File::open(p).map_err(|e| ReadError::Io(e.to_string()))?;
            let mut buf = vec![0u8; 1 << 20];
            let mut n = 0u64;
            loop {
                match f.read(&mut buf) {
                    Ok(0) => break,
                    Ok(k) => n += memchr::memchr_iter(b'\n', &buf[..k]).count() as u64,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(ReadError::Io(e.to_string())),
                }
            }
            n
        }
    };
    if newlines < limits.file_rows() {
        return Ok(());
    }
    let (mut rdr, log) = csv_reader(source, limits)?;
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    loop {
        match rdr.read_byte_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                rows += 1;
                if rows > limits.file_rows() {
                    return Err(ReadError::TooManyRows { limit: limits.max_rows });
                }
                let mut log = log.borrow_mut();
                log.unended = 0;
                if let Some(p) = record.position() {
                    log.line_at(p.byte());
                }
            }
            Err(e) => return Err(csv_error(&e, limits)),
        }
    }
}

fn read_csv(
    source: &Src,
    limits: &ReadLimits,
    visit: &mut impl FnMut(Row) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    let (mut rdr, newlines) = csv_reader(source, limits)?;
    let mut budget = Budget::new(limits);
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                budget.row()?;
                let number = {
                    let mut log = newlines.borrow_mut();
                    log.unended = 0;
                    record.position().map_or(0, |p| log.line_at(p.byte()))
                };
                let mut cells = Vec::with_capacity(record.len().min(limits.max_columns));
                for (c, text) in record.iter().enumerate() {
                    budget.cell()?;
                    if c < limits.max_columns {
                        budget.text(text, number, c)?;
                        cells.push(text.to_owned());
                    }
                }
                if emit(&mut Some(Row { number, cells, lossy: Vec::new() }), visit).is_break() {
                    return Ok(());
                }
            }
            Err(e) => return Err(csv_error(&e, limits)),
        }
    }
}

/// Lines read so far and not yet passed: where each starts and whether it is blank (runs
/// of blank lines are kept as one entry with a count, so blank lines cost no memory).
#[derive(Debug, Default)]
struct NewlineLog {
    pending: VecDeque<(u64, bool, u64)>,
    passed: u64,
    /// Bytes read since the last record ended.
    unended: u64,
}

impl NewlineLog {
    fn push(&mut self, start: u64, blank: bool) {
        if blank && let Some(back) = self.pending.back_mut().filter(|b| b.1) {
            back.2 += 1;
            return;
        }
        self.pending.push_back((start, blank, 1));
    }

    /// The 1-based line number of a record whose position is `offset` (offsets only
    /// grow): the first non-blank line starting at or after it. The csv crate places a
    /// record at the blank lines before it, or at the `\n` of the previous CRLF.
    fn line_at(&mut self, offset: u64) -> u64 {
        while let Some(&(start, blank, count)) = self.pending.front() {
            if start < offset || blank {
                self.pending.pop_front();
                self.passed += count;
            } else {
                break;
            }
        }
        self.passed + 1
    }
}

struct LineCounter<R> {
    inner: R,
    offset: u64,
    line_start: u64,
    line_has_text: bool,
    log: Rc<RefCell<NewlineLog>>,
    max_unended: u64,
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.log.borrow().unended > self.max_unended {
            return Err(std::io::Error::other(ROW_TOO_LONG));
        }
        let n = self.inner.read(buf)?;
        let mut log = self.log.borrow_mut();
        log.unended += n as u64;
        for (i, b) in buf[..n].iter().enumerate() {
            match b {
                b'\n' => {
                    log.push(self.line_start, !self.line_has_text);
                    let next = self.offset + i as u64 + 1;
                    if !self.line_has_text {
                        // Blank lines belong to no record: a long run of them is no long row.
                        log.unended = log.unended.saturating_sub(next - self.line_start);
                    }
                    self.line_start = next;
                    self.line_has_text = false;
                }
                b'\r' => {}
                _ => self.line_has_text = true,
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows_of(source: Source) -> Vec<Row> {
        let wb = Workbook::open(source).expect("opens");
        let mut out = Vec::new();
        wb.read_sheet(0, |r| {
            out.push(r);
            ControlFlow::Continue(())
        })
        .expect("reads");
        out
    }

    #[test]
    fn utf8_csv_with_bom_and_blank_lines() {
        let text = "\u{feff}名册\r\n\r\n\n姓名,身份证号\n\"张三\n\",11010519491231002X\n\n\n王五,1";
        let rows = rows_of(Source::Bytes(text.as_bytes().to_vec()));
        assert_eq!(rows.len(), 4);
        assert_eq!(rows[0].cells, vec!["名册"]);
        assert_eq!(rows[1].number, 4);
        assert_eq!(rows[2].cells, vec!["张三\n", "11010519491231002X"]);
        assert_eq!(rows[2].number, 5);
        assert_eq!(rows[3].number, 9);
    }

    #[test]
    fn gbk_csv_is_decoded() {
        let (bytes, _, _) = GB18030.encode("姓名,身份证号\n李四,11010519491231002X\n");
        assert_eq!(sniff_encoding(&bytes), GB18030);
        let rows = rows_of(Source::Bytes(bytes.into_owned()));
        assert_eq!(rows[1].cells[0], "李四");
    }

    #[test]
    fn binary_and_html_files_are_refused() {
        assert_eq!(detect(b"%PDF-1.7\n"), Err(ReadError::NotSpreadsheet));
        assert_eq!(detect(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0]), Err(ReadError::NotSpreadsheet));
        assert_eq!(detect(b"<html><table>"), Err(ReadError::Html));
        assert!(matches!(Workbook::open(Source::Bytes(b"PK\x03\x04garbage".to_vec())), Err(ReadError::Corrupt { .. })));
        assert!(matches!(
            Workbook::open(Source::Bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 1, 2].to_vec())),
            Err(ReadError::Corrupt { .. })
        ));
    }

    #[test]
    fn long_numbers_are_flagged() {
        assert_eq!(float_text(13807301234.0), ("13807301234".into(), false));
        assert!(float_text(4.30602198507031e17).1);
        assert_eq!(float_text(1.5), ("1.5".into(), false));
    }

    #[test]
    fn tab_separated_text() {
        let rows = rows_of(Source::Bytes("姓名\t身份证号\n王五\t1\n".as_bytes().to_vec()));
        assert_eq!(rows[1].cells, vec!["王五", "1"]);
    }

    fn open_limited(bytes: Vec<u8>, limits: ReadLimits) -> Result<Workbook, ReadError> {
        Workbook::open_with(Source::Bytes(bytes), &ReadOptions { limits, isolation: Isolation::InProcess })
    }

    fn read_all(wb: &Workbook) -> Result<Vec<Row>, ReadError> {
        let mut out = Vec::new();
        wb.read_sheet(0, |r| {
            out.push(r);
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    #[test]
    fn csv_rows_are_limited_before_any_row_is_read() {
        let rows = |n| ReadLimits { extra_rows: 1, ..ReadLimits::with_rows(n) };
        let text = "姓名,身份证号\n".to_owned() + &"张三,1\n".repeat(5);
        assert_eq!(open_limited(text.clone().into_bytes(), rows(4)).err(), Some(ReadError::TooManyRows { limit: 4 }));
        let wb = open_limited(text.into_bytes(), rows(5)).expect("a header and five rows fit");
        assert_eq!(read_all(&wb).expect("reads").len(), 6);
        // Blank lines are not rows.
        let blanks = "姓名\n".to_owned() + &"\n".repeat(100) + "张三\n";
        let wb = open_limited(blanks.into_bytes(), ReadLimits::with_rows(2)).expect("opens");
        let rows = read_all(&wb).expect("reads");
        assert_eq!(rows[1].number, 102);
        // A run of blank lines longer than a row may be is still no row.
        let limits = ReadLimits { max_row_bytes: 64 * 1024, ..ReadLimits::with_rows(3) };
        let gap = "姓名\n张三\n".to_owned() + &"\r\n".repeat(200_000) + "李四\n";
        let wb = open_limited(gap.into_bytes(), limits).expect("opens");
        let rows = read_all(&wb).expect("blank lines are skipped, however many");
        assert_eq!((rows.len(), rows[2].number), (3, 200_003));
        let e = ReadError::TooManyRows { limit: 5 }.to_string();
        assert!(e.contains("5行") && e.contains("拆分"), "{e}");
    }

    #[test]
    fn a_csv_record_that_never_ends_or_a_huge_cell_is_refused() {
        let limits = ReadLimits { max_row_bytes: 64 * 1024, ..ReadLimits::default() };
        let open_quote = format!("姓名,身份证号\n\"张三{}", "很长\n".repeat(400_000));
        let wb = open_limited(open_quote.into_bytes(), limits.clone()).expect("opens");
        let e = read_all(&wb).unwrap_err().to_string();
        assert!(e.contains("超过64KB") && e.contains("引号"), "{e}");
        let long_cell = format!("姓名,简介\n张三,{}\n", "字".repeat(40_000));
        let wb = open_limited(long_cell.into_bytes(), ReadLimits::default()).expect("opens");
        let e = read_all(&wb).unwrap_err().to_string();
        assert!(e.contains("第2行第2列") && e.contains("32767"), "{e}");
        // Columns beyond the limit are dropped, not refused.
        let wide = format!("{}\n", "a,".repeat(1000));
        let wb = open_limited(wide.into_bytes(), ReadLimits::default()).expect("opens");
        assert_eq!(read_all(&wb).expect("reads")[0].cells.len(), MAX_COLUMNS);
    }

    #[test]
    fn blank_lines_cost_no_memory() {
        let mut log = NewlineLog::default();
        for i in 0..1_000_000 {
            log.push(i, true);
        }
        log.push(1_000_000, false);
        assert_eq!(log.pending.len(), 2);
        assert_eq!(log.line_at(1_000_000), 1_000_001);
    }

    #[test]
    fn xlsx_and_xls_rows_are_limited_in_process() {
        use crate::guard::tests::{mini_xlsx, sheet_xml};
        let rows: Vec<&[&str]> = vec![&["姓名", "身份证号"], &["张三", "1"], &["李四", "2"]];
        let x = mini_xlsx(&sheet_xml(&rows), None);
        let wb = open_limited(x.clone(), ReadLimits::default()).expect("opens");
        assert_eq!(read_all(&wb).expect("reads").len(), 3);
        // Refused by the container check before the parser runs.
        let rows = |n| ReadLimits { extra_rows: 0, ..ReadLimits::with_rows(n) };
        assert_eq!(open_limited(x, rows(2)).err(), Some(ReadError::TooManyRows { limit: 2 }));
        let long = "长".repeat(40);
        let x = mini_xlsx(&sheet_xml(&[&["姓名"], &[long.as_str()]]), None);
        let wb = open_limited(x, ReadLimits { max_cell_chars: 30, ..ReadLimits::default() }).expect("opens");
        assert!(read_all(&wb).unwrap_err().to_string().contains("第2行第1列"));
        let xls = include_bytes!("../../cli/tests/fixtures/roster.xls").to_vec();
        let wb = open_limited(xls.clone(), ReadLimits::default()).expect("opens");
        let n = read_all(&wb).expect("reads").len() as u64;
        let wb = open_limited(xls, rows(n - 1)).expect("opens");
        assert_eq!(read_all(&wb).err(), Some(ReadError::TooManyRows { limit: n - 1 }));
    }

    #[test]
    fn a_missing_reader_program_is_one_refused_file() {
        use crate::guard::tests::{mini_xlsx, sheet_xml};
        use crate::limits::ChildLimits;
        let x = mini_xlsx(&sheet_xml(&[&["a"]]), None);
        let opts = ReadOptions {
            limits: ReadLimits::default(),
            isolation: Isolation::Child(ChildLimits {
                program: Some("/nonexistent/xuepei".into()),
                ..ChildLimits::default()
            }),
        };
        let e = Workbook::open_with(Source::Bytes(x.clone()), &opts).unwrap_err().to_string();
        assert!(e.contains("无法启动文件读取进程"), "{e}");
        // A program that is not the reader (it prints something else and exits).
        let opts = ReadOptions {
            isolation: Isolation::Child(ChildLimits { program: Some("/bin/echo".into()), ..ChildLimits::default() }),
            ..opts
        };
        let e = Workbook::open_with(Source::Bytes(x), &opts).unwrap_err().to_string();
        assert!(e.contains("文件无法安全读取"), "{e}");
    }
}
