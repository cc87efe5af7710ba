//! Word documents (`.docx`): a small WordprocessingML writer for what xuepei prints —
//! paragraphs of runs, bordered tables, page breaks, page numbers in the footer — and a
//! reader of a document's text, which the tests use to read the files back.
//!
//! Written by hand rather than through a document library: the official-document layout
//! (GB/T 9704, see [`crate::gongwen`]) needs exact control of page margins, the line grid,
//! fonts by script and odd/even page numbers, and the format needs only a handful of parts.

use std::io::{Cursor, Read, Write};

use zip::ZipArchive;
use zip::write::SimpleFileOptions;

/// Why a document could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum DocxError {
    #[error("文档打包失败：{0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("文档写入失败：{0}")]
    Io(#[from] std::io::Error),
    #[error("不是有效的 Word 文档：{0}")]
    Invalid(String),
}

/// Typefaces of official documents; Word substitutes the nearest installed face.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// 方正小标宋简体: the issuing body's mark and the title.
    Title,
    /// 仿宋_GB2312: the body.
    FangSong,
    /// 黑体: first-level headings.
    Hei,
    /// 楷体_GB2312: second-level headings.
    Kai,
    /// 宋体: tables and page numbers.
    Song,
}

impl Face {
    fn name(self) -> &'static str {
        match self {
            Face::Title => "方正小标宋简体",
            Face::FangSong => "仿宋_GB2312",
            Face::Hei => "黑体",
            Face::Kai => "楷体_GB2312",
            Face::Song => "宋体",
        }
    }
}

/// Chinese type sizes in half-points (二号 22 pt, 三号 16 pt, 四号 14 pt, 小四 12 pt, 五号 10.5 pt).
pub mod size {
    pub const ER: u32 = 44;
    pub const SAN: u32 = 32;
    pub const SI: u32 = 28;
    pub const XIAO_SI: u32 = 24;
    pub const WU: u32 = 21;
}

#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    pub text: String,
    pub face: Face,
    pub size: u32,
    pub bold: bool,
    /// `RRGGBB`.
    pub color: Option<&'static str>,
}

impl Run {
    pub fn new(text: impl Into<String>, face: Face, size: u32) -> Run {
        Run { text: text.into(), face, size, bold: false, color: None }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Align {
    #[default]
    Both,
    Left,
    Center,
    Right,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Para {
    pub runs: Vec<Run>,
    pub align: Align,
    /// First-line indent in characters (2 for body text).
    pub indent_chars: u32,
    /// Right indent in characters (the signature block sits 4 characters from the right).
    pub right_chars: u32,
    /// Exact line height in twips; `None` follows the document grid.
    pub line: Option<u32>,
    /// Space before and after, in twips.
    pub before: u32,
    pub after: u32,
    /// A rule under the paragraph: colour and width in eighths of a point (the red line).
    pub rule: Option<(&'static str, u32)>,
    /// Starts a new page.
    pub page_break_before: bool,
    pub keep_next: bool,
}

impl Para {
    pub fn text(text: impl Into<String>, face: Face, size: u32) -> Para {
        Para { runs: vec![Run::new(text, face, size)], ..Para::default() }
    }

    pub fn empty() -> Para {
        Para::default()
    }

    pub fn align(mut self, a: Align) -> Para {
        self.align = a;
        self
    }

    pub fn indent(mut self, chars: u32) -> Para {
        self.indent_chars = chars;
        self
    }
}

/// One cell: its paragraphs, the grid columns it spans and whether it continues the cell
/// above (a vertical merge).
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub paras: Vec<Para>,
    pub span: u32,
    pub merge_up: bool,
    /// Minimum height hint for the row is on [`Row`]; this centres the text vertically.
    pub center: bool,
}

impl Cell {
    pub fn new(paras: Vec<Para>) -> Cell {
        Cell { paras, span: 1, merge_up: false, center: true }
    }

    pub fn span(mut self, n: u32) -> Cell {
        self.span = n.max(1);
        self
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub cells: Vec<Cell>,
    /// Minimum height in twips.
    pub min_height: Option<u32>,
}

/// A table with all borders; `widths` are the grid columns in twips.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub widths: Vec<u32>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Para(Para),
    Table(Table),
}

/// Page geometry in twips (1 mm = 56.7 twips) and the line grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub width: u32,
    pub height: u32,
    pub top: u32,
    pub bottom: u32,
    pub left: u32,
    pub right: u32,
    /// Distance of the footer from the page's bottom edge.
    pub footer: u32,
    /// Lines per page of the grid, if any.
    pub grid_lines: Option<u32>,
}

impl Page {
    /// A4 portrait with the margins of GB/T 9704: top 37 mm, bottom 35 mm, left 28 mm,
    /// right 26 mm, 22 lines (of 28 characters of 三号, which the width gives).
    pub const GONGWEN: Page = Page {
        width: 11906,
        height: 16838,
        top: 2098,
        bottom: 1984,
        left: 1588,
        right: 1474,
        footer: 1134,
        grid_lines: Some(22),
    };

    /// A4 portrait with 25 mm margins, no grid (forms).
    pub const FORM: Page = Page {
        width: 11906,
        height: 16838,
        top: 1417,
        bottom: 1417,
        left: 1417,
        right: 1417,
        footer: 850,
        grid_lines: None,
    };

    /// The width of the text area.
    pub fn text_width(&self) -> u32 {
        self.width - self.left - self.right
    }
}

/// How pages are numbered in the footer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageNumbers {
    None,
    /// "— 1 —", odd pages at the right and even pages at the left, one character in (GB/T 9704).
    OddRightEvenLeft,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    /// The file's title property.
    pub title: String,
    pub page: Page,
    pub numbers: PageNumbers,
    pub blocks: Vec<Block>,
}

fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Characters XML 1.0 forbids are dropped rather than making the file unreadable.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn run_xml(out: &mut String, r: &Run) {
    let f = esc(r.face.name());
    out.push_str("<w:r><w:rPr>");
    // Latin text and digits in Times New Roman, Chinese in the document's face.
    out.push_str(&format!(
        "<w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"{f}\" w:cs=\"Times New Roman\" w:hint=\"eastAsia\"/>"
    ));
    if r.bold {
        out.push_str("<w:b/>");
    }
    if let Some(c) = r.color {
        out.push_str(&format!("<w:color w:val=\"{c}\"/>"));
    }
    out.push_str(&format!("<w:sz w:val=\"{0}\"/><w:szCs w:val=\"{0}\"/></w:rPr>", r.size));
    // Line breaks and tabs inside a run become Word's own elements.
    for (i, line) in r.text.split('\n').enumerate() {
        if i > 0 {
            out.push_str("<w:br/>");
        }
        for (j, part) in line.split('\t').enumerate() {
            if j > 0 {
                out.push_str("<w:tab/>");
            }
            if !part.is_empty() {
                out.push_str(&format!("<w:t xml:space=\"preserve\">{}</w:t>", esc(part)));
            }
        }
    }
    out.push_str("</w:r>");
}

fn para_xml(out: &mut String, p: &Para) {
    out.push_str("<w:p><w:pPr>");
    if p.keep_next {
        out.push_str("<w:keepNext/>");
    }
    if p.page_break_before {
        out.push_str("<w:pageBreakBefore/>");
    }
    if let Some((color, sz)) = p.rule {
        out.push_str(&format!(
            "<w:pBdr><w:bottom w:val=\"single\" w:sz=\"{sz}\" w:space=\"6\" w:color=\"{color}\"/></w:pBdr>"
        ));
    }
    match p.line {
        Some(l) => out.push_str(&format!(
            "<w:spacing w:before=\"{}\" w:after=\"{}\" w:line=\"{l}\" w:lineRule=\"exact\"/>",
            p.before, p.after
        )),
        None => out.push_str(&format!("<w:spacing w:before=\"{}\" w:after=\"{}\"/>", p.before, p.after)),
    }
    if p.indent_chars > 0 || p.right_chars > 0 {
        // In characters for Word, and in twips of the paragraph's type size for readers
        // that ignore the character units.
        let em = p.runs.first().map_or(320, |r| r.size * 10);
        out.push_str(&format!(
            "<w:ind w:firstLineChars=\"{}\" w:firstLine=\"{}\" w:rightChars=\"{}\" w:right=\"{}\"/>",
            p.indent_chars * 100,
            p.indent_chars * em,
            p.right_chars * 100,
            p.right_chars * em
        ));
    }
    let jc = match p.align {
        Align::Both => "both",
        Align::Left => "left",
        Align::Center => "center",
        Align::Right => "right",
    };
    out.push_str(&format!("<w:jc w:val=\"{jc}\"/>"));
    // The paragraph mark takes the size of its first run, so empty lines keep the grid.
    if let Some(r) = p.runs.first() {
        out.push_str(&format!("<w:rPr><w:sz w:val=\"{0}\"/><w:szCs w:val=\"{0}\"/></w:rPr>", r.size));
    }
    out.push_str("</w:pPr>");
    for r in &p.runs {
        run_xml(out, r);
    }
    out.push_str("</w:p>");
}

fn table_xml(out: &mut String, t: &Table) {
    let total: u32 = t.widths.iter().sum();
    out.push_str(&format!(
        "<w:tbl><w:tblPr><w:tblW w:w=\"{total}\" w:type=\"dxa\"/><w:jc w:val=\"center\"/><w:tblBorders>"
    ));
    for side in ["top", "left", "bottom", "right", "insideH", "insideV"] {
        out.push_str(&format!("<w:{side} w:val=\"single\" w:sz=\"6\" w:space=\"0\" w:color=\"000000\"/>"));
    }
    out.push_str("</w:tblBorders><w:tblLayout w:type=\"fixed\"/><w:tblCellMar><w:left w:w=\"85\" w:type=\"dxa\"/><w:right w:w=\"85\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr><w:tblGrid>");
    for w in &t.widths {
        out.push_str(&format!("<w:gridCol w:w=\"{w}\"/>"));
    }
    out.push_str("</w:tblGrid>");
    for row in &t.rows {
        out.push_str("<w:tr>");
        if let Some(h) = row.min_height {
            out.push_str(&format!("<w:trPr><w:cantSplit/><w:trHeight w:val=\"{h}\" w:hRule=\"atLeast\"/></w:trPr>"));
        }
        let mut col = 0usize;
        for c in &row.cells {
            let span = c.span as usize;
            let w: u32 = t.widths.iter().skip(col).take(span).sum();
            col += span;
            out.push_str(&format!("<w:tc><w:tcPr><w:tcW w:w=\"{w}\" w:type=\"dxa\"/>"));
            if c.span > 1 {
                out.push_str(&format!("<w:gridSpan w:val=\"{}\"/>", c.span));
            }
            if c.merge_up {
                out.push_str("<w:vMerge/>");
            }
            if c.center {
                out.push_str("<w:vAlign w:val=\"center\"/>");
            }
            out.push_str("</w:tcPr>");
            if c.paras.is_empty() || c.merge_up {
                // Every cell holds a paragraph, even an empty or merged one.
                para_xml(out, &Para::empty());
            } else {
                for p in &c.paras {
                    para_xml(out, p);
                }
            }
            out.push_str("</w:tc>");
        }
        out.push_str("</w:tr>");
    }
    out.push_str("</w:tbl>");
}

const NS: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"";

fn document_xml(d: &Document) -> String {
    let mut out = format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:document {NS}><w:body>");
    for b in &d.blocks {
        match b {
            Block::Para(p) => para_xml(&mut out, p),
            Block::Table(t) => table_xml(&mut out, t),
        }
    }
    let p = d.page;
    out.push_str("<w:sectPr>");
    match d.numbers {
        PageNumbers::None => {}
        PageNumbers::OddRightEvenLeft => out.push_str(
            "<w:footerReference w:type=\"default\" r:id=\"rIdFooterOdd\"/><w:footerReference w:type=\"even\" r:id=\"rIdFooterEven\"/>",
        ),
    }
    out.push_str(&format!(
        "<w:pgSz w:w=\"{}\" w:h=\"{}\"/><w:pgMar w:top=\"{}\" w:right=\"{}\" w:bottom=\"{}\" w:left=\"{}\" w:header=\"851\" w:footer=\"{}\" w:gutter=\"0\"/>",
        p.width, p.height, p.top, p.right, p.bottom, p.left, p.footer
    ));
    if let Some(lines) = p.grid_lines {
        // A grid of lines only: a character grid makes LibreOffice spread characters of
        // any size other than the default over whole cells.
        let pitch = (p.height - p.top - p.bottom) / lines;
        out.push_str(&format!("<w:docGrid w:type=\"lines\" w:linePitch=\"{pitch}\"/>"));
    }
    out.push_str("</w:sectPr></w:body></w:document>");
    out
}

/// A footer with the page number one character in from the `align` edge (a full-width
/// space keeps it in the text).
fn footer_xml(align: Align) -> String {
    let mut p = Para { runs: vec![], align, ..Para::default() };
    p.runs.push(Run::new(if align == Align::Left { "\u{3000}" } else { "" }, Face::Song, size::SI));
    let mut out = format!("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:ftr {NS}>");
    let mut body = String::new();
    para_xml(&mut body, &p);
    // The field goes inside the paragraph, before its closing tag.
    let field = {
        let mut f = String::new();
        run_xml(&mut f, &Run::new("— ", Face::Song, size::SI));
        f.push_str("<w:r><w:fldChar w:fldCharType=\"begin\"/></w:r><w:r><w:instrText xml:space=\"preserve\"> PAGE </w:instrText></w:r><w:r><w:fldChar w:fldCharType=\"separate\"/></w:r>");
        run_xml(&mut f, &Run::new("1", Face::Song, size::SI));
        f.push_str("<w:r><w:fldChar w:fldCharType=\"end\"/></w:r>");
        run_xml(&mut f, &Run::new(" —", Face::Song, size::SI));
        if align == Align::Right {
            run_xml(&mut f, &Run::new("\u{3000}", Face::Song, size::SI));
        }
        f
    };
    let at = body.rfind("</w:p>").unwrap_or(body.len());
    body.insert_str(at, &field);
    out.push_str(&body);
    out.push_str("</w:ftr>");
    out
}

fn styles_xml() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:styles {NS}><w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii=\"Times New Roman\" w:hAnsi=\"Times New Roman\" w:eastAsia=\"仿宋_GB2312\" w:cs=\"Times New Roman\"/><w:kern w:val=\"2\"/><w:sz w:val=\"32\"/><w:szCs w:val=\"32\"/><w:lang w:val=\"en-US\" w:eastAsia=\"zh-CN\" w:bidi=\"ar-SA\"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:widowControl w:val=\"0\"/><w:jc w:val=\"both\"/></w:pPr></w:pPrDefault></w:docDefaults><w:style w:type=\"paragraph\" w:default=\"1\" w:styleId=\"Normal\"><w:name w:val=\"Normal\"/><w:qFormat/></w:style><w:style w:type=\"table\" w:default=\"1\" w:styleId=\"TableNormal\"><w:name w:val=\"Normal Table\"/><w:tblPr><w:tblInd w:w=\"0\" w:type=\"dxa\"/><w:tblCellMar><w:top w:w=\"0\" w:type=\"dxa\"/><w:left w:w=\"108\" w:type=\"dxa\"/><w:bottom w:w=\"0\" w:type=\"dxa\"/><w:right w:w=\"108\" w:type=\"dxa\"/></w:tblCellMar></w:tblPr></w:style></w:styles>"
    )
}

/// The document as `.docx` bytes.
pub fn write(d: &Document) -> Result<Vec<u8>, DocxError> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let opts = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let footers = !matches!(d.numbers, PageNumbers::None);
    let mut types = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml\"/><Override PartName=\"/word/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml\"/><Override PartName=\"/word/settings.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.settings+xml\"/><Override PartName=\"/docProps/core.xml\" ContentType=\"application/vnd.openxmlformats-package.core-properties+xml\"/>",
    );
    let mut rels = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rIdStyles\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/><Relationship Id=\"rIdSettings\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/settings\" Target=\"settings.xml\"/>",
    );
    if footers {
        for (id, file) in [("rIdFooterOdd", "footer1.xml"), ("rIdFooterEven", "footer2.xml")] {
            types.push_str(&format!("<Override PartName=\"/word/{file}\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml\"/>"));
            rels.push_str(&format!("<Relationship Id=\"{id}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer\" Target=\"{file}\"/>"));
        }
    }
    types.push_str("</Types>");
    rels.push_str("</Relationships>");
    let even_odd = if d.numbers == PageNumbers::OddRightEvenLeft { "<w:evenAndOddHeaders/>" } else { "" };
    let settings = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:settings {NS}>{even_odd}<w:defaultTabStop w:val=\"420\"/><w:characterSpacingControl w:val=\"compressPunctuation\"/><w:compat><w:compatSetting w:name=\"compatibilityMode\" w:uri=\"http://schemas.microsoft.com/office/word\" w:val=\"15\"/></w:compat></w:settings>"
    );
    let core = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><cp:coreProperties xmlns:cp=\"http://schemas.openxmlformats.org/package/2006/metadata/core-properties\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:dcterms=\"http://purl.org/dc/terms/\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><dc:title>{}</dc:title><dc:creator>xuepei</dc:creator></cp:coreProperties>",
        esc(&d.title)
    );
    let parts: Vec<(&str, String)> = [
        ("[Content_Types].xml", types),
        ("_rels/.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"word/document.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties\" Target=\"docProps/core.xml\"/></Relationships>".to_owned()),
        ("docProps/core.xml", core),
        ("word/document.xml", document_xml(d)),
        ("word/styles.xml", styles_xml()),
        ("word/settings.xml", settings),
        ("word/_rels/document.xml.rels", rels),
    ]
    .into_iter()
    .collect();
    for (name, body) in parts {
        zip.start_file(name, opts)?;
        zip.write_all(body.as_bytes())?;
    }
    if footers {
        let (odd, even) = (footer_xml(Align::Right), footer_xml(Align::Left));
        zip.start_file("word/footer1.xml", opts)?;
        zip.write_all(odd.as_bytes())?;
        zip.start_file("word/footer2.xml", opts)?;
        zip.write_all(even.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}

/// At most this much document XML is read back (a generated document is far smaller).
const READ_MAX: u64 = 64 << 20;

/// The text of a document's body: one line per paragraph; a table row's cells joined by
/// tabs, one row per line (a cell's paragraphs joined by spaces).
pub fn text(bytes: &[u8]) -> Result<String, DocxError> {
    use quick_xml::Reader;
    use quick_xml::events::Event;
    let mut zip = ZipArchive::new(Cursor::new(bytes))?;
    let mut xml = String::new();
    zip.by_name("word/document.xml")?.take(READ_MAX).read_to_string(&mut xml)?;
    let mut reader = Reader::from_str(&xml);
    let mut out = String::new();
    let (mut in_text, mut depth_tc, mut para) = (false, 0usize, String::new());
    let mut row: Vec<String> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| DocxError::Invalid(e.to_string()))? {
            Event::Start(e) => match e.name().as_ref() {
                "w:t" => in_text = true,
                "w:tc" => {
                    depth_tc += 1;
                    row.push(String::new());
                }
                "w:p" => para.clear(),
                _ => {}
            },
            Event::Empty(e) => match e.name().as_ref() {
                "w:tab" => para.push('\t'),
                "w:br" => para.push('\n'),
                _ => {}
            },
            Event::Text(t) if in_text => {
                para.push_str(&t.xml10_content());
            }
            Event::GeneralRef(r) if in_text => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    para.push(c);
                    continue;
                }
                para.push_str(match r.into_inner().as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                });
            }
            Event::End(e) => match e.name().as_ref() {
                "w:t" => in_text = false,
                "w:p" => {
                    if depth_tc > 0 {
                        if let Some(cell) = row.last_mut() {
                            if !cell.is_empty() && !para.is_empty() {
                                cell.push(' ');
                            }
                            cell.push_str(&para);
                        }
                    } else {
                        out.push_str(&para);
                        out.push('\n');
                    }
                    para.clear();
                }
                "w:tc" => depth_tc = depth_tc.saturating_sub(1),
                "w:tr" => {
                    out.push_str(&row.join("\t"));
                    out.push('\n');
                    row.clear();
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

/// The text of one named part (a footer, the core properties), for the tests.
pub fn part(bytes: &[u8], name: &str) -> Result<String, DocxError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes))?;
    let mut s = String::new();
    zip.by_name(name)?.take(READ_MAX).read_to_string(&mut s)?;
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_reads_back_paragraphs_and_tables() {
        let d = Document {
            title: "测试 <&>".into(),
            page: Page::GONGWEN,
            numbers: PageNumbers::OddRightEvenLeft,
            blocks: vec![
                Block::Para(Para::text("关于开展轮训的通知", Face::Title, size::ER).align(Align::Center)),
                Block::Para(Para::text("正文 a<b & c>\"d\"\u{1}", Face::FangSong, size::SAN).indent(2)),
                Block::Table(Table {
                    widths: vec![2000, 6000],
                    rows: vec![Row {
                        cells: vec![
                            Cell::new(vec![Para::text("名称", Face::Song, size::XIAO_SI)]),
                            Cell::new(vec![
                                Para::text("第一行", Face::Song, size::XIAO_SI),
                                Para::text("第二行", Face::Song, size::XIAO_SI),
                            ]),
                        ],
                        min_height: Some(600),
                    }],
                }),
            ],
        };
        let bytes = write(&d).unwrap();
        let t = text(&bytes).unwrap();
        assert_eq!(t, "关于开展轮训的通知\n正文 a<b & c>\"d\"\n名称\t第一行 第二行\n");
        let core = part(&bytes, "docProps/core.xml").unwrap();
        assert!(core.contains("测试 &lt;&amp;&gt;"));
        assert!(part(&bytes, "word/footer1.xml").unwrap().contains("PAGE"));
        assert!(part(&bytes, "word/settings.xml").unwrap().contains("evenAndOddHeaders"));
        let doc = part(&bytes, "word/document.xml").unwrap();
        // A4 with the GB/T 9704 margins and a 22-line grid.
        assert!(doc.contains("w:w=\"11906\" w:h=\"16838\""));
        assert!(doc.contains("w:top=\"2098\""));
        assert!(doc.contains("w:linePitch=\"579\""));
    }

    #[test]
    fn rejects_what_is_not_a_document() {
        assert!(text(b"not a zip").is_err());
    }
}
