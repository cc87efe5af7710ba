//! Import templates: the header row of a spec (required columns starred), text-formatted
//! columns so that Excel keeps identity numbers intact, drop-down lists for enumerated
//! columns, and a notes sheet saying what each column takes.

use rust_xlsxwriter::{Color, DataValidation, Format, FormatAlign, FormatBorder, Workbook};
use xuepei_domain::import::ImportSpec;

use crate::write::WriteError;

/// Rows offered for data entry with drop-downs.
const ENTRY_ROWS: u32 = 5000;

/// Builds the template of `spec`; `choices` gives drop-down values per column key.
pub fn template(spec: &ImportSpec, choices: &[(&str, Vec<&str>)]) -> Result<Vec<u8>, WriteError> {
    let mut wb = Workbook::new();
    let title = Format::new().set_bold().set_font_size(14).set_align(FormatAlign::Center);
    let head = Format::new().set_bold().set_background_color(Color::RGB(0xDDE6F2)).set_border(FormatBorder::Thin);
    let required = head.clone().set_font_color(Color::RGB(0xC00000));
    let text = Format::new().set_num_format("@");
    let ws = wb.add_worksheet();
    ws.set_name(format!("{}导入", spec.title))?;
    let last = spec.columns.len().saturating_sub(1) as u16;
    ws.merge_range(0, 0, 0, last, &format!("{}（带*为必填列，第3行起填写，请勿修改表头）", spec.title), &title)?;
    for (i, c) in spec.columns.iter().enumerate() {
        let col = i as u16;
        let (label, fmt) = if c.required { (format!("*{}", c.label), &required) } else { (c.label.to_owned(), &head) };
        ws.write_string_with_format(1, col, &label, fmt)?;
        ws.set_column_width(
            col,
            (c.label.chars().count() as f64 * 2.2 + 4.0).max(c.example.chars().count() as f64 * 1.2 + 2.0),
        )?;
        ws.set_column_format(col, &text)?;
        if let Some((_, values)) = choices.iter().find(|(k, _)| *k == c.key) {
            let dv = DataValidation::new().allow_list_strings(values)?.ignore_blank(true);
            ws.add_data_validation(2, col, ENTRY_ROWS, col, &dv)?;
        }
    }
    ws.set_freeze_panes(2, 0)?;

    let notes = wb.add_worksheet();
    notes.set_name("填写说明")?;
    for (i, h) in ["列名", "是否必填", "填写要求", "示例"].iter().enumerate() {
        notes.write_string_with_format(0, i as u16, *h, &head)?;
    }
    for (r, c) in spec.columns.iter().enumerate() {
        let r = r as u32 + 1;
        notes.write_string(r, 0, c.label)?;
        notes.write_string(r, 1, if c.required { "必填" } else { "选填" })?;
        let also = if c.synonyms.is_empty() {
            String::new()
        } else {
            format!("（表头也可写作：{}）", c.synonyms.join("、"))
        };
        notes.write_string(r, 2, format!("{}{also}", c.help))?;
        notes.write_string_with_format(r, 3, c.example, &text)?;
    }
    notes.set_column_width(0, 14)?;
    notes.set_column_width(1, 10)?;
    notes.set_column_width(2, 80)?;
    notes.set_column_width(3, 36)?;
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read::{Source, Workbook as Reader};
    use std::ops::ControlFlow;
    use xuepei_domain::import::find_header;
    use xuepei_domain::people::PERSON_IMPORT;

    #[test]
    fn the_template_header_is_recognised() {
        let bytes = template(&PERSON_IMPORT, &[("gender", vec!["男", "女"])]).expect("template");
        let wb = Reader::open(Source::Bytes(bytes)).expect("open");
        assert_eq!(wb.sheet_names().len(), 2);
        let mut rows = Vec::new();
        wb.read_sheet(0, |r| {
            rows.push(Ok::<_, ()>((r.number, r.cells)));
            ControlFlow::Continue(())
        })
        .expect("read");
        let map = find_header(&PERSON_IMPORT, &mut rows.into_iter()).expect("io").expect("header");
        assert_eq!(map.header_row, 2);
        assert!(map.positions.iter().all(Option::is_some));
    }
}
