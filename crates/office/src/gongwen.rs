//! Official documents (公文) in the layout of GB/T 9704-2012 — the issuing body's red mark,
//! the document number over the red line, the title, the addressees, the body with its
//! numbered headings, the attachment note, the signature block and date, the imprint —
//! and the practice-base application form (申报表), both as `.docx`.

use chrono::NaiveDate;
use xuepei_domain::time::chinese_day;

use crate::docx::{
    self, Align, Block, Cell, Document, DocxError, Face, Page, PageNumbers, Para, Row, Run, Table, size,
};

/// Red of the issuing body's mark and the separator line.
const RED: &str = "FF0000";

/// An attachment printed after the body, on its own page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annex {
    pub title: String,
    /// Column headers and rows of a table; no headers means `lines` only.
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub lines: Vec<String>,
}

/// A document in the official layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gongwen {
    /// 发文机关标志 ("中共岳阳市委组织部文件"); none for a document without a header (a plan).
    pub mark: Option<String>,
    /// 发文字号 (岳组发〔2026〕3号).
    pub number: Option<String>,
    pub title: String,
    /// 主送机关, without the closing colon.
    pub addressees: Option<String>,
    /// The body's paragraphs; a paragraph opening with 一、 is a first-level heading, with
    /// （一） a second-level one.
    pub body: Vec<String>,
    /// 附件说明: the attachments' names.
    pub attachments: Vec<String>,
    /// 发文机关署名 and 成文日期.
    pub signer: String,
    pub date: NaiveDate,
    /// 印发机关 for the imprint at the end; none leaves it out.
    pub printed_by: Option<String>,
    pub annexes: Vec<Annex>,
}

/// How a body paragraph is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// 一、 in 黑体.
    First,
    /// （一） in 楷体.
    Second,
    Text,
}

/// The level of a body paragraph, by its numbering.
pub fn level(p: &str) -> Level {
    let p = p.trim_start();
    let numerals = "一二三四五六七八九十";
    let head: String = p.chars().take_while(|c| numerals.contains(*c)).collect();
    if !head.is_empty() && head.chars().count() <= 3 && p[head.len()..].starts_with('、') {
        return Level::First;
    }
    for (open, close) in [('（', '）'), ('(', ')')] {
        if let Some(rest) = p.strip_prefix(open) {
            let inner: String = rest.chars().take_while(|c| numerals.contains(*c)).collect();
            if !inner.is_empty() && inner.chars().count() <= 3 && rest[inner.len()..].starts_with(close) {
                return Level::Second;
            }
        }
    }
    Level::Text
}

fn body_para(text: &str) -> Para {
    let face = match level(text) {
        Level::First => Face::Hei,
        Level::Second => Face::Kai,
        Level::Text => Face::FangSong,
    };
    Para::text(text.trim(), face, size::SAN).indent(2)
}

/// The mark's size: 36 pt unless the name would not fit the 156 mm text width in one line.
fn mark_size(mark: &str) -> u32 {
    let n = mark.chars().count().max(1) as u32;
    // The text width in half-points (156 mm ≈ 442 pt), shared by n characters.
    (884 / n).clamp(28, 72)
}

fn blank() -> Para {
    Para::text("", Face::FangSong, size::SAN)
}

/// The document's blocks.
fn blocks(g: &Gongwen) -> Vec<Block> {
    let mut out = Vec::new();
    let push = |out: &mut Vec<Block>, p: Para| out.push(Block::Para(p));
    if let Some(mark) = &g.mark {
        let mut p = Para::text(mark, Face::Title, mark_size(mark)).align(Align::Center);
        p.runs[0].color = Some(RED);
        p.line = Some(mark_size(mark) * 10 + 200);
        push(&mut out, p);
        push(&mut out, blank());
        let mut num = Para::text(g.number.clone().unwrap_or_default(), Face::FangSong, size::SAN).align(Align::Center);
        num.rule = Some((RED, 18));
        push(&mut out, num);
        push(&mut out, blank());
    }
    for line in g.title.split('\n').filter(|l| !l.trim().is_empty()) {
        push(&mut out, Para::text(line.trim(), Face::Title, size::ER).align(Align::Center));
    }
    push(&mut out, blank());
    if let Some(a) = &g.addressees {
        push(&mut out, Para::text(format!("{a}："), Face::FangSong, size::SAN).align(Align::Both));
    }
    for p in g.body.iter().filter(|p| !p.trim().is_empty()) {
        push(&mut out, body_para(p));
    }
    if !g.attachments.is_empty() {
        push(&mut out, blank());
        let many = g.attachments.len() > 1;
        for (i, a) in g.attachments.iter().enumerate() {
            let name = if many { format!("{}．{a}", i + 1) } else { a.clone() };
            let text = if i == 0 { format!("附件：{name}") } else { name };
            // Later names line up under the first one (附件： is three characters).
            push(&mut out, Para::text(text, Face::FangSong, size::SAN).indent(if i == 0 { 2 } else { 5 }));
        }
    }
    push(&mut out, blank());
    push(&mut out, blank());
    let mut signer = Para::text(&g.signer, Face::FangSong, size::SAN).align(Align::Right);
    signer.right_chars = 2;
    push(&mut out, signer);
    let mut date = Para::text(chinese_day(g.date), Face::FangSong, size::SAN).align(Align::Right);
    date.right_chars = 4;
    push(&mut out, date);
    if let Some(by) = &g.printed_by {
        push(&mut out, blank());
        let mut top = Para::text("", Face::FangSong, size::SI);
        top.rule = Some(("000000", 8));
        push(&mut out, top);
        let mut imprint = Para {
            runs: vec![Run::new(format!("{by}\t{}印发", chinese_day(g.date)), Face::FangSong, size::SI)],
            ..Para::default()
        };
        imprint.rule = Some(("000000", 8));
        imprint.align = Align::Left;
        push(&mut out, imprint);
    }
    for (i, annex) in g.annexes.iter().enumerate() {
        let label = if g.annexes.len() > 1 { format!("附件{}", i + 1) } else { "附件".to_owned() };
        let mut head = Para::text(label, Face::Hei, size::SAN).align(Align::Left);
        head.page_break_before = true;
        push(&mut out, head);
        push(&mut out, blank());
        push(&mut out, Para::text(&annex.title, Face::Title, size::ER).align(Align::Center));
        push(&mut out, blank());
        for l in &annex.lines {
            push(&mut out, body_para(l));
        }
        if !annex.headers.is_empty() {
            out.push(Block::Table(annex_table(&annex.headers, &annex.rows)));
        }
    }
    out
}

fn cell(text: &str, align: Align) -> Cell {
    Cell::new(text.split('\n').map(|l| Para::text(l, Face::Song, size::XIAO_SI).align(align)).collect())
}

fn annex_table(headers: &[String], rows: &[Vec<String>]) -> Table {
    let total = Page::GONGWEN.text_width();
    let n = headers.len().max(1) as u32;
    let widths = vec![total / n; n as usize];
    let mut out = vec![Row { cells: headers.iter().map(|h| cell(h, Align::Center)).collect(), min_height: Some(500) }];
    for r in rows {
        out.push(Row { cells: r.iter().map(|c| cell(c, Align::Center)).collect(), min_height: Some(500) });
    }
    Table { widths, rows: out }
}

/// The document as `.docx`.
pub fn write(g: &Gongwen) -> Result<Vec<u8>, DocxError> {
    docx::write(&Document {
        title: g.title.replace('\n', ""),
        page: Page::GONGWEN,
        numbers: PageNumbers::OddRightEvenLeft,
        blocks: blocks(g),
    })
}

/// The practice-base application form (党员干部示范培训实践基地申报表).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BaseForm {
    pub name: String,
    pub county: String,
    pub applicant: String,
    pub kind: String,
    pub year: String,
    pub address: String,
    pub contact: String,
    pub phone: String,
    pub summary: String,
    /// The 五有 items: (standard, evidence); no evidence means not met.
    pub items: Vec<(String, String)>,
    /// 县市区委组织部意见 and 市委组织部审核意见, with their dates when decided.
    pub county_opinion: String,
    pub county_date: Option<NaiveDate>,
    pub city_opinion: String,
    pub city_date: Option<NaiveDate>,
}

fn label(text: &str) -> Cell {
    Cell::new(vec![Para::text(text, Face::Hei, size::XIAO_SI).align(Align::Center)])
}

fn value(text: &str) -> Cell {
    cell(text, Align::Left)
}

/// An opinion cell: the text, then the seal and the date (blank for a hand signature).
fn opinion(text: &str, date: Option<NaiveDate>) -> Cell {
    let mut paras: Vec<Para> = text.split('\n').map(|l| Para::text(l, Face::Song, size::XIAO_SI).indent(2)).collect();
    paras.push(Para::text("", Face::Song, size::XIAO_SI));
    paras.push(Para::text("（盖章）", Face::Song, size::XIAO_SI).align(Align::Right));
    let day = date.map_or_else(|| "年　　月　　日".to_owned(), chinese_day);
    paras.push(Para::text(day, Face::Song, size::XIAO_SI).align(Align::Right));
    Cell::new(paras)
}

/// The application form as `.docx`.
pub fn base_form(f: &BaseForm) -> Result<Vec<u8>, DocxError> {
    let widths = vec![1700, 2836, 1700, 2836];
    let row = |cells: Vec<Cell>, h: u32| Row { cells, min_height: Some(h) };
    let mut rows = vec![
        row(vec![label("基地名称"), value(&f.name).span(3)], 620),
        row(vec![label("所在县市区"), value(&f.county), label("基地类型"), value(&f.kind)], 620),
        row(vec![label("申报单位"), value(&f.applicant), label("申报年度"), value(&f.year)], 620),
        row(vec![label("详细地址"), value(&f.address).span(3)], 620),
        row(vec![label("联系人"), value(&f.contact), label("联系电话"), value(&f.phone)], 620),
        row(vec![label("基本情况"), value(&f.summary).span(3)], 2600),
        row(vec![label("“五有”标准"), label("是否具备"), label("佐证材料").span(2)], 620),
    ];
    for (item, evidence) in &f.items {
        let met = if evidence.trim().is_empty() { "否" } else { "是" };
        rows.push(row(vec![value(item), cell(met, Align::Center), value(evidence).span(2)], 800));
    }
    rows.push(row(vec![label("县市区委组织部意见"), opinion(&f.county_opinion, f.county_date).span(3)], 2000));
    rows.push(row(vec![label("市委组织部审核意见"), opinion(&f.city_opinion, f.city_date).span(3)], 2000));
    let mut blocks = vec![
        Block::Para(Para::text("党员干部示范培训实践基地申报表", Face::Title, size::ER).align(Align::Center)),
        Block::Para(Para::text("", Face::Song, size::XIAO_SI)),
        Block::Table(Table { widths, rows }),
    ];
    blocks.push(Block::Para(Para::text(
        "注：“五有”标准即有满足培训需要的场所、有熟悉情况的讲解员、有生动具体的典型材料、有可供参观学习的现场、有特色明显的专题片，均须具备并附佐证材料。",
        Face::Song,
        size::WU,
    )));
    docx::write(&Document {
        title: format!("{}申报表", f.name), page: Page::FORM, numbers: PageNumbers::None, blocks
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn recognises_heading_levels() {
        assert_eq!(level("一、轮训对象和时间"), Level::First);
        assert_eq!(level("十二、其他"), Level::First);
        assert_eq!(level("（三）现场观摩。到先进基层党组织"), Level::Second);
        assert_eq!(level("(一)切实落实责任"), Level::Second);
        assert_eq!(level("一是加强领导"), Level::Text);
        assert_eq!(level("此次集中轮训对象是"), Level::Text);
        assert_eq!(level("（注）"), Level::Text);
    }

    #[test]
    fn lays_out_an_official_document_in_order() {
        let g = Gongwen {
            mark: Some("中共岳阳市委组织部文件".into()),
            number: Some("岳组发〔2026〕3号".into()),
            title: "关于对基层党组织书记进行集中轮训的\n通知".into(),
            addressees: Some("各县市区委组织部".into()),
            body: vec!["现将有关事项通知如下。".into(), "一、轮训对象和时间".into(), "（一）对象。".into()],
            attachments: vec!["党员干部示范培训实践基地申报表".into(), "备案安排".into()],
            signer: "中共岳阳市委组织部".into(),
            date: d(2026, 3, 3),
            printed_by: Some("中共岳阳市委组织部办公室".into()),
            annexes: vec![Annex {
                title: "备案安排".into(),
                headers: vec!["单位".into(), "报送对象".into()],
                rows: vec![vec!["华容县".into(), "市委组织部".into()]],
                lines: vec![],
            }],
        };
        let bytes = write(&g).unwrap();
        let text = docx::text(&bytes).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
        assert_eq!(
            &lines[..9],
            &[
                "中共岳阳市委组织部文件",
                "岳组发〔2026〕3号",
                "关于对基层党组织书记进行集中轮训的",
                "通知",
                "各县市区委组织部：",
                "现将有关事项通知如下。",
                "一、轮训对象和时间",
                "（一）对象。",
                "附件：1．党员干部示范培训实践基地申报表",
            ]
        );
        assert!(text.contains("中共岳阳市委组织部\n2026年3月3日\n"));
        assert!(text.contains("中共岳阳市委组织部办公室\t2026年3月3日印发"));
        assert!(text.contains("单位\t报送对象\n华容县\t市委组织部\n"));
        let xml = docx::part(&bytes, "word/document.xml").unwrap();
        // The mark in red 小标宋, headings in 黑体 and 楷体, the red line under the number.
        assert!(xml.contains("w:eastAsia=\"方正小标宋简体\""));
        assert!(xml.contains("w:color w:val=\"FF0000\""));
        assert!(xml.contains("w:bottom w:val=\"single\" w:sz=\"18\" w:space=\"6\" w:color=\"FF0000\""));
        assert!(xml.contains("w:eastAsia=\"黑体\""));
        assert!(xml.contains("w:eastAsia=\"楷体_GB2312\""));
        assert!(xml.contains("<w:pageBreakBefore/>"));
    }

    #[test]
    fn fills_the_application_form() {
        let f = BaseForm {
            name: "张谷英村".into(),
            county: "岳阳县".into(),
            items: vec![
                ("有满足培训需要的场所".into(), "村部会议室120座".into()),
                ("有熟悉情况的讲解员".into(), String::new()),
            ],
            county_opinion: "同意推荐".into(),
            county_date: Some(d(2026, 3, 20)),
            ..BaseForm::default()
        };
        let text = docx::text(&base_form(&f).unwrap()).unwrap();
        assert!(text.starts_with("党员干部示范培训实践基地申报表\n"));
        assert!(text.contains("基地名称\t张谷英村\n"));
        assert!(text.contains("有满足培训需要的场所\t是\t村部会议室120座\n"));
        assert!(text.contains("有熟悉情况的讲解员\t否\t\n"));
        assert!(text.contains("同意推荐 （盖章） 2026年3月20日"), "{text}");
        assert!(text.contains("市委组织部审核意见\t（盖章） 年　　月　　日"), "{text}");
    }
}
