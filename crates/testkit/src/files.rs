//! Real spreadsheet files for import tests, built from rows of text.

use rust_xlsxwriter::{Format, Workbook};

/// An `.xlsx` file with the given rows (row 1 first); `numeric` lists (row, col) cells
/// written as numbers, the way Excel stores what users type into unformatted cells.
pub fn xlsx(rows: &[Vec<&str>], numeric: &[(usize, usize)]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if v.is_empty() {
                continue;
            }
            if numeric.contains(&(r, c)) {
                let n: f64 = v.parse().expect("numeric cell");
                ws.write_number(r as u32, c as u16, n).expect("write");
            } else if let Some(serial) = v.strip_prefix("date:") {
                let n: f64 = serial.parse().expect("serial");
                ws.write_number_with_format(r as u32, c as u16, n, &date).expect("write");
            } else {
                ws.write_string(r as u32, c as u16, *v).expect("write");
            }
        }
    }
    wb.save_to_buffer().expect("xlsx")
}

/// A CSV file in UTF-8 (with BOM when asked) or GBK.
pub fn csv(rows: &[Vec<&str>], encoding: Encoding) -> Vec<u8> {
    let text: String = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|c| {
                    if c.contains(',') || c.contains('"') {
                        format!("\"{}\"", c.replace('"', "\"\""))
                    } else {
                        (*c).to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect::<Vec<_>>()
        .join("\r\n");
    match encoding {
        Encoding::Utf8 => text.into_bytes(),
        Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
        Encoding::Gbk => encoding_rs::GBK.encode(&text).0.into_owned(),
    }
}

#[derive(Debug, Clone, Copy)]
pub enum Encoding {
    Utf8,
    Utf8Bom,
    Gbk,
}

/// A roster's header row as real files write it (synonyms, stars, notes in brackets).
pub const ROSTER_HEADER: [&str; 9] =
    ["序号", "名字", "公民身份号码*", "性别", "出生年月", "手机号码", "职务", "身份", "所属党组织"];
