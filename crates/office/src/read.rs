//! Reading spreadsheets as rows of text, streamed.
//!
//! The format is decided by the file's first bytes, not its name: users rename files.
//! `.xlsx` sheets are read cell by cell from the zip stream; `.xls` sheets are at most
//! 65,536 rows and are read whole; `.csv` is decoded on the fly from UTF-8 (with or
//! without BOM), UTF-16 (with BOM) or, failing UTF-8, GB18030 (a superset of GBK).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::ops::ControlFlow;
use std::path::PathBuf;
use std::rc::Rc;

use calamine::{Data, DataRef, Reader, Xls, Xlsx};
use encoding_rs::{Encoding, GB18030, UTF_8};

/// Cells beyond this column are ignored (a stray value in column XFD must not make every
/// row 16,384 cells wide).
pub const MAX_COLUMNS: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xlsx,
    Xls,
    Csv,
}

impl Format {
    pub fn label(self) -> &'static str {
        match self {
            Format::Xlsx => "Excel工作簿（.xlsx）",
            Format::Xls => "Excel 97-2003工作簿（.xls）",
            Format::Csv => "CSV文本（.csv）",
        }
    }
}

/// Where a file's bytes are.
#[derive(Debug, Clone)]
pub enum Source {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("文件不是表格：请上传 .xlsx、.xls 或 .csv 文件（可在Excel中“另存为”Excel工作簿）")]
    NotSpreadsheet,
    #[error("该文件是网页（HTML）格式而非真正的Excel文件，请在Excel中“另存为”Excel工作簿（.xlsx）后再导入")]
    Html,
    #[error("文件已损坏或不是有效的{format}：{detail}")]
    Corrupt { format: &'static str, detail: String },
    #[error("文件中没有任何工作表")]
    NoSheet,
    #[error("无法读取文件：{0}")]
    Io(String),
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
    source: Source,
    sheets: Vec<String>,
}

fn head(source: &Source) -> Result<Vec<u8>, ReadError> {
    match source {
        Source::Bytes(b) => Ok(b[..b.len().min(8192)].to_vec()),
        Source::Path(p) => {
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
    pub fn open(source: Source) -> Result<Self, ReadError> {
        let h = head(&source)?;
        if h.is_empty() {
            return Ok(Workbook { format: Format::Csv, source, sheets: vec!["CSV".into()] });
        }
        let format = detect(&h)?;
        let sheets = match format {
            Format::Csv => vec!["CSV".into()],
            Format::Xlsx => with_reader(&source, |r| {
                let wb: Xlsx<_> = Xlsx::new(r).map_err(|e| corrupt(format, e))?;
                Ok(wb.sheet_names())
            })?,
            Format::Xls => with_reader(&source, |r| {
                let wb: Xls<_> = Xls::new(r).map_err(|e| corrupt(format, e))?;
                Ok(wb.sheet_names())
            })?,
        };
        if sheets.is_empty() {
            return Err(ReadError::NoSheet);
        }
        Ok(Workbook { format, source, sheets })
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
        match self.format {
            Format::Csv => read_csv(&self.source, &mut visit),
            Format::Xlsx => with_reader(&self.source, |r| read_xlsx(r, &name, &mut visit)),
            Format::Xls => with_reader(&self.source, |r| read_xls(r, index, &mut visit)),
        }
    }
}

fn corrupt(format: Format, e: impl std::fmt::Display) -> ReadError {
    ReadError::Corrupt { format: format.label(), detail: e.to_string() }
}

/// Runs `f` over a seekable reader of the source.
fn with_reader<T>(source: &Source, f: impl FnOnce(Box<dyn ReadSeek>) -> Result<T, ReadError>) -> Result<T, ReadError> {
    match source {
        Source::Bytes(b) => f(Box::new(Cursor::new(b.clone()))),
        Source::Path(p) => {
            let file = File::open(p).map_err(|e| ReadError::Io(e.to_string()))?;
            f(Box::new(BufReader::with_capacity(256 * 1024, file)))
        }
    }
}

trait ReadSeek: Read + Seek {}
impl<T: Read + Seek> ReadSeek for T {}

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

fn emit(row: &mut Option<Row>, visit: &mut impl FnMut(Row) -> ControlFlow<()>) -> ControlFlow<()> {
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

fn read_xlsx(
    r: Box<dyn ReadSeek>,
    sheet: &str,
    visit: &mut impl FnMut(Row) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    let mut wb: Xlsx<_> = Xlsx::new(r).map_err(|e| corrupt(Format::Xlsx, e))?;
    let mut cells = wb.worksheet_cells_reader(sheet).map_err(|e| corrupt(Format::Xlsx, e))?;
    let mut current: Option<Row> = None;
    while let Some(cell) = cells.next_cell().map_err(|e| corrupt(Format::Xlsx, e))? {
        let (r, c) = cell.get_position();
        let (r, c) = (u64::from(r) + 1, c as usize);
        if current.as_ref().is_some_and(|row| row.number != r) && emit(&mut current, visit).is_break() {
            return Ok(());
        }
        if c >= MAX_COLUMNS {
            continue;
        }
        let row = current.get_or_insert_with(|| Row { number: r, cells: Vec::new(), lossy: Vec::new() });
        let (text, lossy) = data_ref_text(cell.get_value());
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

fn read_xls(
    r: Box<dyn ReadSeek>,
    index: usize,
    visit: &mut impl FnMut(Row) -> ControlFlow<()>,
) -> Result<(), ReadError> {
    let mut wb: Xls<_> = Xls::new(r).map_err(|e| corrupt(Format::Xls, e))?;
    let range = wb.worksheet_range_at(index).ok_or(ReadError::NoSheet)?.map_err(|e| corrupt(Format::Xls, e))?;
    let Some((r0, c0)) = range.start() else { return Ok(()) };
    for (i, data) in range.rows().enumerate() {
        let mut row =
            Row { number: u64::from(r0) + i as u64 + 1, cells: vec![String::new(); c0 as usize], lossy: Vec::new() };
        for v in data.iter().take(MAX_COLUMNS.saturating_sub(c0 as usize)) {
            let (text, lossy) = data_text(v);
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

fn read_csv(source: &Source, visit: &mut impl FnMut(Row) -> ControlFlow<()>) -> Result<(), ReadError> {
    let h = head(source)?;
    let enc = sniff_encoding(&h);
    let sample = enc.decode(&h).0;
    let first_line = sample.lines().next().unwrap_or_default();
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') { b'\t' } else { b',' };
    let raw: Box<dyn Read> = match source {
        Source::Bytes(b) => Box::new(Cursor::new(b.clone())),
        Source::Path(p) => Box::new(File::open(p).map_err(|e| ReadError::Io(e.to_string()))?),
    };
    let decoded = encoding_rs_io::DecodeReaderBytesBuilder::new().encoding(Some(enc)).bom_override(true).build(raw);
    // The csv crate skips blank lines without counting them; line numbers are counted here.
    let newlines = Rc::new(RefCell::new(NewlineLog::default()));
    let decoded =
        LineCounter { inner: decoded, offset: 0, line_start: 0, line_has_text: false, log: Rc::clone(&newlines) };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(256 * 1024)
        .from_reader(decoded);
    let mut record = csv::StringRecord::new();
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => return Ok(()),
            Ok(true) => {
                let number = record.position().map_or(0, |p| newlines.borrow_mut().line_at(p.byte()));
                let cells = record.iter().take(MAX_COLUMNS).map(str::to_owned).collect();
                if emit(&mut Some(Row { number, cells, lossy: Vec::new() }), visit).is_break() {
                    return Ok(());
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                return Err(ReadError::Corrupt {
                    format: Format::Csv.label(), detail: format!("第{line}行附近：{e}")
                });
            }
        }
    }
}

/// Lines read so far and not yet passed: where each starts and whether it is blank.
#[derive(Debug, Default)]
struct NewlineLog {
    pending: VecDeque<(u64, bool)>,
    passed: u64,
}

impl NewlineLog {
    /// The 1-based line number of a record whose position is `offset` (offsets only
    /// grow): the first non-blank line starting at or after it. The csv crate places a
    /// record at the blank lines before it, or at the `\n` of the previous CRLF.
    fn line_at(&mut self, offset: u64) -> u64 {
        while let Some(&(start, blank)) = self.pending.front() {
            if start < offset || blank {
                self.pending.pop_front();
                self.passed += 1;
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
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut log = self.log.borrow_mut();
        for (i, b) in buf[..n].iter().enumerate() {
            match b {
                b'\n' => {
                    log.pending.push_back((self.line_start, !self.line_has_text));
                    self.line_start = self.offset + i as u64 + 1;
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
}
