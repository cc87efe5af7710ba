//! PDF documents: certificates (结业证书, 学时证明), one page each, with an embedded subset of
//! the CJK font compiled into the binary (see `build.rs`) and a QR code drawn as vector
//! modules, so a page prints sharp and reads the same on any machine.
//!
//! Page coordinates are points from the top left (A4 landscape, 842 × 595).

use std::sync::OnceLock;

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error(
        "本服务器程序编译时未内置中文字体，无法生成 PDF。请管理员安装 fonts-arphic-uming 字体包后重新编译（scripts/demo.sh 会自动安装）"
    )]
    NoFont,
    #[error("PDF 生成失败：{0}")]
    Write(String),
    #[error("二维码生成失败：{0}")]
    Qr(String),
}

/// One certificate page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificatePage {
    /// 结业证书 or 学时证明.
    pub title: String,
    /// The salutation line, e.g. "张三同志：".
    pub addressee: String,
    /// The body text, wrapped to the page.
    pub body: String,
    /// The issuing body, printed above the date.
    pub issuer: String,
    /// The date of issue as printed (二〇二六年十二月二日).
    pub issued_on: String,
    /// The certificate's code as printed.
    pub code: String,
    /// What the QR code holds: the verification address.
    pub verify_url: String,
}

const PAGE_W: f32 = 842.0;
const PAGE_H: f32 = 595.0;

#[cfg(cjk_font)]
static FONT_BYTES: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/cjk-font.bin"));
#[cfg(cjk_font)]
const FONT_INDEX: &str = include_str!(concat!(env!("OUT_DIR"), "/cjk-font-index.txt"));

/// Whether this build carries a CJK font (PDFs can be made).
pub fn has_font() -> bool {
    font().is_some()
}

fn font() -> Option<&'static (Font, rustybuzz::Face<'static>)> {
    static FONT: OnceLock<Option<(Font, rustybuzz::Face<'static>)>> = OnceLock::new();
    FONT.get_or_init(|| {
        #[cfg(cjk_font)]
        {
            let index: u32 = FONT_INDEX.trim().parse().unwrap_or(0);
            let face = rustybuzz::Face::from_slice(FONT_BYTES, index)?;
            let font = Font::new(krilla::Data::from(FONT_BYTES), index)?;
            Some((font, face))
        }
        #[cfg(not(cjk_font))]
        {
            None
        }
    })
    .as_ref()
}

/// Text width in points at `size` (advances of the font; unknown glyphs count as 1 em).
fn width(face: &rustybuzz::Face<'_>, text: &str, size: f32) -> f32 {
    let upem = f32::from(face.units_per_em() as u16).max(1.0);
    text.chars()
        .map(|c| face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)).map_or(1.0, |a| f32::from(a) / upem))
        .sum::<f32>()
        * size
}

/// Characters a line may not start with (Chinese typesetting: they hang on the line before).
const NO_LINE_START: &str = "，。、；：？！）》」』”’,.;:?!)%";
/// What never ends a line: opening brackets and quotes.
const NO_LINE_END: &str = "（《「『“‘(";

/// Breaks `text` into lines no wider than `max` (any character may end a line, as in
/// Chinese; closing punctuation stays with the character before it).
fn wrap(face: &rustybuzz::Face<'_>, text: &str, size: f32, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for c in para.chars() {
            let mut wider = line.clone();
            wider.push(c);
            if !line.is_empty() && width(face, &wider, size) > max && !NO_LINE_START.contains(c) {
                // A number or Latin word is never split ("2015年"), and an opening bracket
                // or quote goes down with what it opens.
                let chars: Vec<char> = line.chars().collect();
                let mut keep = chars.len();
                if c.is_ascii_alphanumeric() {
                    while keep > 0 && chars[keep - 1].is_ascii_alphanumeric() {
                        keep -= 1;
                    }
                }
                if keep > 0 && NO_LINE_END.contains(chars[keep - 1]) {
                    keep -= 1;
                }
                if keep == 0 {
                    keep = chars.len();
                }
                lines.push(chars[..keep].iter().collect());
                line = chars[keep..].iter().collect();
            }
            line.push(c);
        }
        lines.push(line);
    }
    lines
}

fn fill(r: u8, g: u8, b: u8) -> Fill {
    Fill { paint: rgb::Color::new(r, g, b).into(), opacity: NormalizedF32::ONE, rule: Default::default() }
}

fn frame(surface: &mut krilla::surface::Surface<'_>, inset: f32, line: f32) {
    let mut pb = PathBuilder::new();
    if let Some(r) = Rect::from_xywh(inset, inset, PAGE_W - 2.0 * inset, PAGE_H - 2.0 * inset) {
        pb.push_rect(r);
    }
    if let Some(path) = pb.finish() {
        surface.set_fill(None);
        surface.set_stroke(Some(Stroke {
            paint: rgb::Color::new(166, 30, 30).into(),
            width: line,
            ..Default::default()
        }));
        surface.draw_path(&path);
        surface.set_stroke(None);
    }
}

/// Draws the QR code of `text` with its top left at (x, y), `side` points wide.
fn qr(surface: &mut krilla::surface::Surface<'_>, text: &str, x: f32, y: f32, side: f32) -> Result<(), PdfError> {
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| PdfError::Qr(e.to_string()))?;
    let n = code.width();
    // Four modules of quiet zone on each side, white.
    let module = side / (n as f32 + 8.0);
    let mut pb = PathBuilder::new();
    if let Some(r) = Rect::from_xywh(x, y, side, side) {
        pb.push_rect(r);
    }
    if let Some(p) = pb.finish() {
        surface.set_fill(Some(fill(255, 255, 255)));
        surface.draw_path(&p);
    }
    let colors = code.to_colors();
    let mut pb = PathBuilder::new();
    for row in 0..n {
        // Runs of dark modules as one rectangle each.
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == qrcode::Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                if let Some(r) = Rect::from_xywh(
                    x + (start as f32 + 4.0) * module,
                    y + (row as f32 + 4.0) * module,
                    (col - start) as f32 * module,
                    module,
                ) {
                    pb.push_rect(r);
                }
            } else {
                col += 1;
            }
        }
    }
    if let Some(p) = pb.finish() {
        surface.set_fill(Some(fill(0, 0, 0)));
        surface.draw_path(&p);
    }
    Ok(())
}

/// The certificates as one PDF, a page each.
pub fn certificates(title: &str, pages: &[CertificatePage]) -> Result<Vec<u8>, PdfError> {
    let (font, face) = font().ok_or(PdfError::NoFont)?;
    let mut doc = Document::new();
    doc.set_metadata(Metadata::new().title(title.to_owned()).creator("学培 xuepei".to_owned()));
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Write("页面尺寸无效".into()))?;
    for p in pages {
        let mut page = doc.start_page_with(settings.clone());
        let mut s = page.surface();
        frame(&mut s, 24.0, 3.0);
        frame(&mut s, 32.0, 0.8);
        let text = |s: &mut krilla::surface::Surface<'_>, x: f32, y: f32, size: f32, t: &str| {
            s.draw_text(Point::from_xy(x, y), font.clone(), size, t, false, TextDirection::Auto);
        };
        // Title, red, centred and letter-spaced as certificates are.
        s.set_fill(Some(fill(166, 30, 30)));
        let spaced: String = p.title.chars().map(|c| c.to_string()).collect::<Vec<_>>().join("  ");
        let tw = width(face, &spaced, 40.0);
        text(&mut s, (PAGE_W - tw) / 2.0, 130.0, 40.0, &spaced);
        s.set_fill(Some(fill(0, 0, 0)));
        let code_line = format!("编号：{}", p.code);
        text(&mut s, PAGE_W - 70.0 - width(face, &code_line, 11.0), 70.0, 11.0, &code_line);
        text(&mut s, 110.0, 200.0, 20.0, &p.addressee);
        let mut y = 245.0;
        for (i, line) in wrap(face, &format!("\u{3000}\u{3000}{}", p.body), 20.0, PAGE_W - 220.0).iter().enumerate() {
            if i > 6 {
                break;
            }
            text(&mut s, 110.0, y, 20.0, line);
            y += 36.0;
        }
        let right = PAGE_W - 110.0;
        text(&mut s, right - width(face, &p.issuer, 18.0), 470.0, 18.0, &p.issuer);
        text(&mut s, right - width(face, &p.issued_on, 18.0), 505.0, 18.0, &p.issued_on);
        qr(&mut s, &p.verify_url, 70.0, 415.0, 100.0)?;
        text(&mut s, 72.0, 530.0, 9.0, "扫码验证证书真伪");
        drop(s);
        page.finish();
    }
    doc.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
}

/// A date as certificates print it: 二〇二六年十二月二日.
pub fn chinese_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    const DIGITS: [char; 10] = ['〇', '一', '二', '三', '四', '五', '六', '七', '八', '九'];
    let year: String =
        d.year().to_string().chars().filter_map(|c| c.to_digit(10).map(|n| DIGITS[n as usize])).collect();
    let small = |n: u32| -> String {
        match n {
            0..=9 => DIGITS[n as usize].to_string(),
            10 => "十".to_owned(),
            11..=19 => format!("十{}", DIGITS[(n - 10) as usize]),
            _ if n.is_multiple_of(10) => format!("{}十", DIGITS[(n / 10) as usize]),
            _ => format!("{}十{}", DIGITS[(n / 10) as usize], DIGITS[(n % 10) as usize]),
        }
    };
    format!("{year}年{}月{}日", small(d.month()), small(d.day()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_in_chinese_numerals() {
        let d = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(chinese_date(d(2026, 12, 2)), "二〇二六年十二月二日");
        assert_eq!(chinese_date(d(2025, 3, 10)), "二〇二五年三月十日");
        assert_eq!(chinese_date(d(2025, 10, 31)), "二〇二五年十月三十一日");
        assert_eq!(chinese_date(d(2030, 1, 20)), "二〇三〇年一月二十日");
    }

    #[test]
    fn lines_break_within_the_width_and_punctuation_never_starts_a_line() {
        let Some((_, face)) = font() else { return };
        let text = "于二〇二六年三月十日至三月十四日参加岳阳市学习贯彻党的二十届三中全会精神集中轮训第一期，完成全部学习任务，共计二十一学时。经考核准予结业，特发“结业证书”以资鼓励。";
        let lines = wrap(face, text, 20.0, 200.0);
        assert!(lines.len() > 2, "{lines:?}");
        assert_eq!(lines.concat(), text);
        for l in &lines {
            assert!(!l.starts_with('，') && !l.starts_with('。'), "{lines:?}");
            assert!(!l.ends_with('（') && !l.ends_with('“'), "{lines:?}");
            // A hanging punctuation mark may overrun by one character at most.
            assert!(width(face, l, 20.0) <= 200.0 + 20.0, "{l}");
        }
        // An opening bracket that would end the line goes down with its word.
        let exact = format!("{}（乙）", "甲".repeat(9));
        let lines = wrap(face, &exact, 20.0, width(face, &"甲".repeat(10), 20.0));
        assert_eq!(lines, ["甲".repeat(9), "（乙）".to_owned()]);
        // A year is not split across lines, nor parted from its bracket.
        let year = format!("{}（2015年）", "甲".repeat(8));
        let lines = wrap(face, &year, 20.0, width(face, &format!("{}（20", "甲".repeat(8)), 20.0));
        assert_eq!(lines, ["甲".repeat(8), "（2015年）".to_owned()]);
    }

    #[test]
    fn a_certificate_is_a_pdf_with_the_font_embedded() {
        if !has_font() {
            assert!(matches!(certificates("x", &[]), Err(PdfError::NoFont)));
            return;
        }
        let page = CertificatePage {
            title: "结业证书".into(),
            addressee: "张三同志：".into(),
            body: "参加培训，准予结业。".into(),
            issuer: "中共岳阳市委组织部".into(),
            issued_on: chinese_date(chrono::NaiveDate::from_ymd_opt(2026, 12, 2).expect("date")),
            code: "ABCD-EFGH".into(),
            verify_url: "http://127.0.0.1/verify/ABCD".into(),
        };
        let pdf = certificates("结业证书", &[page.clone(), page]).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let s = String::from_utf8_lossy(&pdf);
        assert!(s.contains("/FontFile2") || s.contains("/FontFile3"), "the font is embedded");
        assert_eq!(s.matches("/Type/Page/").count(), 2, "one page each");
    }
}
