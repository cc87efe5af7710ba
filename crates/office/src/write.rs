//! `.xlsx` exports written in constant memory: rows go to a temporary file as they come,
//! so an export of a million people needs no more memory than one of a hundred.

use std::path::Path;

use chrono::NaiveDate;
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, XlsxError};

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("生成Excel文件失败：{0}")]
    Xlsx(#[from] XlsxError),
    #[error("Excel工作表最多容纳1,048,576行，请缩小导出范围")]
    TooManyRows,
}

/// A value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Self {
        Cell::Date(d)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Number(n as f64)
    }
}

/// A column of an export.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    /// Width in characters.
    pub width: f64,
}

/// A workbook being written, sheet after sheet: each a title row, a header row, then data.
pub struct Export {
    workbook: Workbook,
    /// The sheet being written (earlier ones are finished).
    sheet: u16,
    columns: usize,
    row: u32,
    /// Data rows of the finished sheets.
    earlier: u64,
    text: Format,
    date: Format,
}

impl std::fmt::Debug for Export {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Export").field("columns", &self.columns).field("row", &self.row).finish()
    }
}

const FIRST_DATA_ROW: u32 = 2;

impl Export {
    /// Starts a sheet named `sheet` with `title` above the headers (the way rosters look
    /// when printed).
    pub fn new(sheet: &str, title: &str, columns: &[Column]) -> Result<Self, WriteError> {
        let headers: Vec<(&str, f64)> = columns.iter().map(|c| (c.header, c.width)).collect();
        Self::with_headers(sheet, title, &headers)
    }

    /// Like [`Self::new`], with headers known only at run time (`(header, width)`): a file's
    /// own columns written back with a remark beside them.
    pub fn with_headers(sheet: &str, title: &str, columns: &[(&str, f64)]) -> Result<Self, WriteError> {
        let mut e = Export {
            workbook: Workbook::new(),
            sheet: 0,
            columns: columns.len(),
            row: FIRST_DATA_ROW,
            earlier: 0,
            text: Format::new().set_num_format("@"),
            date: Format::new().set_num_format("yyyy-mm-dd"),
        };
        e.begin(sheet, title, columns)?;
        Ok(e)
    }

    /// Finishes the sheet being written and starts another laid out the same way (a
    /// book of several tables, such as a study group's ledger).
    pub fn add_sheet(&mut self, sheet: &str, title: &str, columns: &[(&str, f64)]) -> Result<(), WriteError> {
        self.finish_sheet()?;
        self.earlier += self.rows_in_sheet();
        self.sheet += 1;
        self.columns = columns.len();
        self.row = FIRST_DATA_ROW;
        self.begin(sheet, title, columns)
    }

    fn begin(&mut self, sheet: &str, title: &str, columns: &[(&str, f64)]) -> Result<(), WriteError> {
        let title_fmt = Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center);
        let header = Format::new()
            .set_bold()
            .set_background_color(Color::RGB(0xDDE6F2))
            .set_border(FormatBorder::Thin)
            .set_align(FormatAlign::Center);
        let ws = self.workbook.add_worksheet_with_constant_memory()?;
        ws.set_name(sheet)?;
        for (i, (_, width)) in columns.iter().enumerate() {
            ws.set_column_width(i as u16, *width)?;
        }
        let last_col = columns.len().saturating_sub(1) as u16;
        if last_col > 0 {
            ws.merge_range(0, 0, 0, last_col, title, &title_fmt)?;
        } else {
            ws.write_string_with_format(0, 0, title, &title_fmt)?;
        }
        for (i, (text, _)) in columns.iter().enumerate() {
            ws.write_string_with_format(1, i as u16, *text, &header)?;
        }
        ws.set_freeze_panes(FIRST_DATA_ROW, 0)?;
        Ok(())
    }

    /// Appends a data row.
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), WriteError> {
        if self.row >= 1_048_575 {
            return Err(WriteError::TooManyRows);
        }
        let ws = self.workbook.worksheet_from_index(usize::from(self.sheet))?;
        for (i, c) in cells.iter().enumerate().take(self.columns) {
            let col = i as u16;
            match c {
                // Text cells carry the text format so that Excel keeps identity numbers
                // and codes as typed when the user edits them.
                Cell::Text(s) => ws.write_string_with_format(self.row, col, s, &self.text)?,
                Cell::Number(n) => ws.write_number(self.row, col, *n)?,
                Cell::Date(d) => {
                    ws.write_string_with_format(self.row, col, d.format("%Y-%m-%d").to_string(), &self.date)?
                }
                Cell::Empty => ws,
            };
        }
        self.row += 1;
        Ok(())
    }

    fn rows_in_sheet(&self) -> u64 {
        u64::from(self.row - FIRST_DATA_ROW)
    }

    /// Data rows written, over every sheet.
    pub fn rows_written(&self) -> u64 {
        self.earlier + self.rows_in_sheet()
    }

    fn finish_sheet(&mut self) -> Result<(), WriteError> {
        let last_row = self.row.max(FIRST_DATA_ROW + 1) - 1;
        let last_col = self.columns.saturating_sub(1) as u16;
        self.workbook.worksheet_from_index(usize::from(self.sheet))?.autofilter(1, 0, last_row, last_col)?;
        Ok(())
    }

    pub fn save(mut self, path: &Path) -> Result<(), WriteError> {
        self.finish_sheet()?;
        self.workbook.save(path)?;
        Ok(())
    }

    pub fn into_bytes(mut self) -> Result<Vec<u8>, WriteError> {
        self.finish_sheet()?;
        Ok(self.workbook.save_to_buffer()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Source, Workbook as Reader};
    use std::ops::ControlFlow;

    #[test]
    fn an_export_reads_back() {
        let cols = [
            Column { header: "姓名", width: 10.0 },
            Column { header: "身份证号", width: 22.0 },
            Column { header: "出生日期", width: 12.0 },
        ];
        let mut e = Export::new("人员", "人员名册", &cols).expect("new");
        let d = NaiveDate::from_ymd_opt(1949, 12, 31).expect("date");
        e.row(&["张三".into(), "11010519491231002X".into(), d.into()]).expect("row");
        e.row(&["李四".into(), Cell::Empty, Cell::Empty]).expect("row");
        assert_eq!(e.rows_written(), 2);
        let bytes = e.into_bytes().expect("bytes");
        let wb = Reader::open(Source::Bytes(bytes)).expect("open");
        let mut rows = Vec::new();
        wb.read_sheet(0, |r| {
            rows.push(r);
            ControlFlow::Continue(())
        })
        .expect("read");
        assert_eq!(rows[0].cells, vec!["人员名册"]);
        assert_eq!(rows[1].cells, vec!["姓名", "身份证号", "出生日期"]);
        assert_eq!(rows[2].cells, vec!["张三", "11010519491231002X", "1949-12-31"]);
        assert_eq!(rows[3].cells, vec!["李四"]);
        assert_eq!(rows[3].number, 4);
    }
}
