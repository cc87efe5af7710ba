//! Spreadsheet imports: column specifications, header detection and row errors.
//!
//! Real rosters rarely start at A1: a merged title ("某某区基层党组织书记花名册"), a date
//! line and blank rows come first, and column names vary ("身份证号", "公民身份号码",
//! "身份证号码 *"). The header is the first row among the first [`HEADER_SCAN_ROWS`] that
//! names at least two known columns.

use std::fmt;

use crate::text::compact;
use crate::validate::Fields;

/// How many leading rows may precede the header.
pub const HEADER_SCAN_ROWS: usize = 30;

/// One importable column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Field key, shared with forms and `validate_*`.
    pub key: &'static str,
    /// The name in the template.
    pub label: &'static str,
    /// Other names found in real rosters.
    pub synonyms: &'static [&'static str],
    pub required: bool,
    /// A sample value for the template.
    pub example: &'static str,
    /// What to write, for the template's notes row.
    pub help: &'static str,
}

/// What one kind of import reads.
#[derive(Debug)]
pub struct ImportSpec {
    pub kind: &'static str,
    pub title: &'static str,
    pub columns: &'static [Column],
    /// Columns that name one thing two ways, `(exact, other)`: a roster may carry both (the
    /// organisation's code beside its name). Either satisfies a required column; when both
    /// are present the row is resolved by the exact one and the other is checked against it.
    pub pairs: &'static [(&'static str, &'static str)],
}

impl ImportSpec {
    pub fn label(&self, key: &str) -> &'static str {
        self.columns.iter().find(|c| c.key == key).map_or("", |c| c.label)
    }

    /// The column that names the same thing as `key` (its pair), if any.
    fn partner(&self, key: &str) -> Option<&'static str> {
        self.pairs.iter().find_map(|&(a, b)| {
            if a == key {
                Some(b)
            } else if b == key {
                Some(a)
            } else {
                None
            }
        })
    }
}

/// Header text as compared: half-width, without spaces, asterisks and bracketed notes
/// ("姓名（必填）" → "姓名"), lower case.
pub fn header_key(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0u32;
    for c in compact(s).chars() {
        match c {
            '(' | '[' | '【' | '〔' => depth += 1,
            ')' | ']' | '】' | '〕' => depth = depth.saturating_sub(1),
            '*' | '※' | ':' | '：' => {}
            _ if depth == 0 => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

/// Where each column of a spec sits in the sheet.
#[derive(Debug, Clone)]
pub struct ColumnMap {
    /// The header's row number as Excel shows it (1-based).
    pub header_row: u64,
    /// Cell index per spec column, aligned with `ImportSpec::columns`.
    pub positions: Vec<Option<usize>>,
    /// A second header that matched the same column by another name ("联系电话" beside
    /// "手机号码"): its cell is read when the first one is empty.
    pub fallbacks: Vec<Option<usize>>,
    /// Header cells that matched nothing, ignored.
    pub ignored: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HeaderError {
    #[error(
        "未找到表头：前{scanned}行中没有同时包含“{expected}”等列名的行。请使用导入模板，或检查文件是否为UTF-8或GBK编码的表格"
    )]
    NotFound { scanned: usize, expected: String },
    #[error("第{row}行表头缺少必填列：{missing}")]
    Missing { row: u64, missing: String },
    #[error("第{row}行表头中“{label}”出现了两次（第{first}列和第{second}列），请删除多余的一列")]
    Duplicate { row: u64, label: &'static str, first: String, second: String },
    #[error("文件中没有任何内容")]
    Empty,
}

/// Excel's column letters: 0 → A, 26 → AA.
pub fn column_letters(mut index: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (index % 26) as u8);
        if index < 26 {
            break;
        }
        index = index / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// The spec column a header cell names, and how exactly: 0 for the label itself, then the
/// synonyms in their listed order.
fn match_column(spec: &ImportSpec, cell: &str) -> Option<(usize, usize)> {
    let key = header_key(cell);
    if key.is_empty() {
        return None;
    }
    spec.columns.iter().enumerate().find_map(|(i, c)| {
        if header_key(c.label) == key {
            return Some((i, 0));
        }
        c.synonyms.iter().position(|s| header_key(s) == key).map(|rank| (i, rank + 1))
    })
}

/// Finds the header among a sheet's first rows, fed one row at a time.
#[derive(Debug)]
pub struct HeaderScan<'a> {
    spec: &'a ImportSpec,
    scanned: usize,
    any_content: bool,
}

/// What a row told a [`HeaderScan`].
#[derive(Debug)]
pub enum ScanStep {
    /// Not the header; feed the next row.
    More,
    Found(ColumnMap),
    Failed(HeaderError),
}

impl<'a> HeaderScan<'a> {
    pub fn new(spec: &'a ImportSpec) -> Self {
        HeaderScan { spec, scanned: 0, any_content: false }
    }

    pub fn push(&mut self, row_no: u64, cells: &[String]) -> ScanStep {
        if cells.iter().all(|c| c.trim().is_empty()) {
            return ScanStep::More;
        }
        self.any_content = true;
        self.scanned += 1;
        let matches: Vec<(usize, Option<(usize, usize)>)> =
            cells.iter().enumerate().map(|(i, c)| (i, match_column(self.spec, c))).collect();
        if matches.iter().filter(|(_, m)| m.is_some()).count() >= 2 {
            return match build_map(self.spec, row_no, cells, &matches) {
                Ok(map) => ScanStep::Found(map),
                Err(e) => ScanStep::Failed(e),
            };
        }
        if self.scanned >= HEADER_SCAN_ROWS { ScanStep::Failed(self.not_found()) } else { ScanStep::More }
    }

    /// The error when the rows ran out before a header.
    pub fn end(self) -> HeaderError {
        if self.any_content { self.not_found() } else { HeaderError::Empty }
    }

    fn not_found(&self) -> HeaderError {
        let expected = self.spec.columns.iter().filter(|c| c.required).map(|c| c.label).collect::<Vec<_>>().join("”“");
        HeaderError::NotFound { scanned: self.scanned, expected }
    }
}

/// Reads rows until the header and maps the spec's columns; the iterator is left at the
/// first data row. Rows are `(row number as Excel shows it, cells)`.
pub fn find_header<E>(
    spec: &ImportSpec,
    rows: &mut impl Iterator<Item = Result<(u64, Vec<String>), E>>,
) -> Result<Result<ColumnMap, HeaderError>, E> {
    let mut scan = HeaderScan::new(spec);
    for row in rows.by_ref() {
        let (row_no, cells) = row?;
        match scan.push(row_no, &cells) {
            ScanStep::More => {}
            ScanStep::Found(map) => return Ok(Ok(map)),
            ScanStep::Failed(e) => return Ok(Err(e)),
        }
    }
    Ok(Err(scan.end()))
}

impl ColumnMap {
    /// The keys of the spec's columns present in the file.
    pub fn present_keys(&self, spec: &ImportSpec) -> Vec<&'static str> {
        spec.columns.iter().zip(&self.positions).filter(|(_, p)| p.is_some()).map(|(c, _)| c.key).collect()
    }

    /// The cell index of a column key.
    pub fn position(&self, spec: &ImportSpec, key: &str) -> Option<usize> {
        spec.columns.iter().position(|c| c.key == key).and_then(|i| self.positions[i])
    }
}

fn build_map(
    spec: &ImportSpec,
    row: u64,
    cells: &[String],
    matches: &[(usize, Option<(usize, usize)>)],
) -> Result<ColumnMap, HeaderError> {
    let mut positions: Vec<Option<(usize, usize)>> = vec![None; spec.columns.len()];
    let mut fallbacks = vec![None; spec.columns.len()];
    let mut ignored = Vec::new();
    for &(cell_index, m) in matches {
        let Some((col, rank)) = m else {
            if !cells[cell_index].trim().is_empty() {
                ignored.push(cells[cell_index].trim().to_owned());
            }
            continue;
        };
        match positions[col] {
            None => positions[col] = Some((cell_index, rank)),
            Some((first, first_rank)) => {
                // The same header twice is ambiguous; two names for one column are not:
                // the more exact name is read, the other fills in where it is empty.
                if header_key(&cells[first]) == header_key(&cells[cell_index]) || fallbacks[col].is_some() {
                    return Err(HeaderError::Duplicate {
                        row,
                        label: spec.columns[col].label,
                        first: column_letters(first),
                        second: column_letters(cell_index),
                    });
                }
                if rank < first_rank {
                    positions[col] = Some((cell_index, rank));
                    fallbacks[col] = Some(first);
                } else {
                    fallbacks[col] = Some(cell_index);
                }
            }
        }
    }
    let positions: Vec<Option<usize>> = positions.into_iter().map(|p| p.map(|(i, _)| i)).collect();
    let present = |key: &str| spec.columns.iter().zip(&positions).any(|(c, p)| c.key == key && p.is_some());
    let missing: Vec<&str> = spec
        .columns
        .iter()
        .zip(&positions)
        .filter(|(c, p)| c.required && p.is_none() && !spec.partner(c.key).is_some_and(present))
        .map(|(c, _)| c.label)
        .collect();
    if !missing.is_empty() {
        return Err(HeaderError::Missing { row, missing: missing.join("、") });
    }
    Ok(ColumnMap { header_row: row, positions, fallbacks, ignored })
}

/// One data row seen through a column map.
#[derive(Debug)]
pub struct RowView<'a> {
    pub spec: &'a ImportSpec,
    pub map: &'a ColumnMap,
    pub cells: &'a [String],
}

impl RowView<'_> {
    /// True when every mapped cell is empty (spacer and footer rows are skipped).
    pub fn is_blank(&self) -> bool {
        self.map
            .positions
            .iter()
            .chain(&self.map.fallbacks)
            .flatten()
            .all(|&i| self.cells.get(i).is_none_or(|c| c.trim().is_empty()))
    }
}

impl Fields for RowView<'_> {
    fn get(&self, key: &str) -> &str {
        let Some(col) = self.spec.columns.iter().position(|c| c.key == key) else { return "" };
        let cell = |p: Option<usize>| p.and_then(|i| self.cells.get(i)).map_or("", |s| s.trim());
        match cell(self.map.positions[col]) {
            "" => cell(self.map.fallbacks[col]),
            v => v,
        }
    }
}

/// A problem with one row of an import, as shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowError {
    /// The row number as Excel shows it.
    pub row: u64,
    /// The column's label, when the problem belongs to one column.
    pub column: Option<String>,
    pub message: String,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "第{}行 {}: {}", self.row, c, self.message),
            None => write!(f, "第{}行: {}", self.row, self.message),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: ImportSpec = ImportSpec {
        kind: "t",
        title: "测试",
        columns: &[
            Column { key: "name", label: "姓名", synonyms: &["名字"], required: true, example: "", help: "" },
            Column {
                key: "id",
                label: "身份证号",
                synonyms: &["公民身份号码", "身份证号码"],
                required: true,
                example: "",
                help: "",
            },
            Column {
                key: "phone", label: "联系电话", synonyms: &["手机号"], required: false, example: "", help: ""
            },
            Column {
                key: "org",
                label: "所在党组织",
                synonyms: &["党组织名称"],
                required: true,
                example: "",
                help: "",
            },
            Column { key: "org_code", label: "组织代码", synonyms: &[], required: false, example: "", help: "" },
        ],
        pairs: &[("org_code", "org")],
    };

    fn rows(v: Vec<Vec<&str>>) -> impl Iterator<Item = Result<(u64, Vec<String>), ()>> {
        v.into_iter().enumerate().map(|(i, r)| Ok((i as u64 + 1, r.into_iter().map(String::from).collect())))
    }

    #[test]
    fn header_below_title_and_blank_rows_with_synonyms() {
        let mut it = rows(vec![
            vec!["某某区基层党组织书记花名册", "", ""],
            vec!["", "", ""],
            vec!["序号", "名  字", "公民身份号码（必填）", "备注", "党组织名称"],
            vec!["1", "张三", "x", "", "荆竹村"],
        ]);
        let map = find_header(&SPEC, &mut it).expect("io").expect("found");
        assert_eq!(map.header_row, 3);
        assert_eq!(map.positions, vec![Some(1), Some(2), None, Some(4), None]);
        assert_eq!(map.ignored, vec!["序号", "备注"]);
        let (n, cells) = it.next().expect("row").expect("io");
        assert_eq!(n, 4);
        let view = RowView { spec: &SPEC, map: &map, cells: &cells };
        assert_eq!(view.get("name"), "张三");
        assert_eq!(view.get("phone"), "");
    }

    #[test]
    fn full_width_and_starred_headers_match() {
        assert_eq!(header_key("*身份证号"), "身份证号");
        assert_eq!(header_key("身份证号码＊"), "身份证号码");
        assert_eq!(header_key("联系电话（手机）"), "联系电话");
    }

    #[test]
    fn missing_and_duplicate_columns() {
        let mut it = rows(vec![vec!["姓名", "手机号", "所在党组织"]]);
        assert_eq!(
            find_header(&SPEC, &mut it).expect("io").unwrap_err(),
            HeaderError::Missing { row: 1, missing: "身份证号".into() }
        );
        // The same header twice cannot be resolved.
        let mut it = rows(vec![vec!["姓名", "身份证号", "身份证号", "所在党组织"]]);
        assert!(matches!(find_header(&SPEC, &mut it).expect("io"), Err(HeaderError::Duplicate { .. })));
        let mut it = rows(vec![vec!["a", "b"], vec!["c", "d"]]);
        assert!(matches!(find_header(&SPEC, &mut it).expect("io"), Err(HeaderError::NotFound { .. })));
        let mut it = rows(vec![]);
        assert_eq!(find_header(&SPEC, &mut it).expect("io").unwrap_err(), HeaderError::Empty);
    }

    #[test]
    fn two_names_for_one_column_read_the_exact_one_first() {
        let mut it = rows(vec![
            vec!["姓名", "身份证号", "名字", "手机号", "联系电话", "所在党组织"],
            vec!["张三", "x", "张 三", "13800000000", "", "荆竹村"],
            vec!["李四", "y", "", "13900000000", "0730-1234567", "荆竹村"],
        ]);
        let map = find_header(&SPEC, &mut it).expect("io").expect("a real roster stays readable");
        assert_eq!(map.positions[..3], [Some(0), Some(1), Some(4)]);
        assert_eq!(map.fallbacks[..3], [Some(2), None, Some(3)]);
        let (_, first) = it.next().expect("row").expect("io");
        let view = RowView { spec: &SPEC, map: &map, cells: &first };
        assert_eq!((view.get("name"), view.get("phone")), ("张三", "13800000000"), "empty exact cell falls back");
        let (_, second) = it.next().expect("row").expect("io");
        let view = RowView { spec: &SPEC, map: &map, cells: &second };
        assert_eq!(view.get("phone"), "0730-1234567", "the label wins over the synonym");
    }

    #[test]
    fn a_pair_satisfies_a_required_column_either_way() {
        for header in [vec!["姓名", "身份证号", "组织代码"], vec!["姓名", "身份证号", "所在党组织", "组织代码"]]
        {
            let mut it = rows(vec![header.clone()]);
            let map = find_header(&SPEC, &mut it).expect("io").unwrap_or_else(|e| panic!("{header:?}: {e}"));
            assert_eq!(map.position(&SPEC, "org_code"), Some(header.len() - 1));
        }
        let mut it = rows(vec![vec!["姓名", "身份证号", "联系电话"]]);
        assert_eq!(
            find_header(&SPEC, &mut it).expect("io").unwrap_err(),
            HeaderError::Missing { row: 1, missing: "所在党组织".into() }
        );
    }

    #[test]
    fn letters() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }

    #[test]
    fn row_errors_read_like_excel() {
        let e = RowError { row: 5, column: Some("身份证号".into()), message: "校验位不正确".into() };
        assert_eq!(e.to_string(), "第5行 身份证号: 校验位不正确");
    }
}
