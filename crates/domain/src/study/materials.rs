//! The materials library (学习资料): speeches, documents, books and videos with their
//! source, date and tags, and the checks of one material as typed.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::validate::FieldError;

/// What a material is. Codes are stored; labels are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaterialKind {
    Speech,
    Document,
    Book,
    Video,
}

impl MaterialKind {
    pub const ALL: [MaterialKind; 4] =
        [MaterialKind::Speech, MaterialKind::Document, MaterialKind::Book, MaterialKind::Video];

    pub fn code(self) -> &'static str {
        match self {
            MaterialKind::Speech => "speech",
            MaterialKind::Document => "document",
            MaterialKind::Book => "book",
            MaterialKind::Video => "video",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MaterialKind::Speech => "讲话",
            MaterialKind::Document => "文件",
            MaterialKind::Book => "书籍",
            MaterialKind::Video => "视频",
        }
    }

    pub fn from_code(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == s)
    }

    /// A code or a Chinese label (讲话, 重要讲话, 文件, 书籍, 图书, 视频), as typed in a sheet.
    pub fn parse(s: &str) -> Option<Self> {
        let s = crate::text::compact(s).to_lowercase();
        Self::from_code(&s).or(match s.as_str() {
            "讲话" | "重要讲话" | "讲话稿" => Some(MaterialKind::Speech),
            "文件" | "文件精神" => Some(MaterialKind::Document),
            "书籍" | "图书" | "原著" | "书" => Some(MaterialKind::Book),
            "视频" | "音视频" => Some(MaterialKind::Video),
            _ => None,
        })
    }
}

pub const TITLE_MAX: usize = 200;
pub const SOURCE_MAX: usize = 100;
pub const BODY_MAX: usize = 200_000;
pub const TAG_MAX: usize = 20;
pub const TAGS_MAX: usize = 10;

/// A material as typed (a form, an API body, a sheet row).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialInput {
    /// The owning organisation's code.
    pub org: String,
    pub title: String,
    /// A kind code or label.
    pub kind: String,
    pub source: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    pub body: String,
    pub tags: Vec<String>,
}

/// A material's fields as checked (the organisation is resolved by the store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedMaterial {
    pub title: String,
    pub kind: MaterialKind,
    pub source: String,
    pub date: NaiveDate,
    pub body: String,
    pub tags: Vec<String>,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// Tags from one cell or field: separated by commas, 、, semicolons or spaces.
pub fn split_tags(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；', ' ', '\u{3000}', '\n'])
        .map(crate::text::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Checks a material, every problem at once. `today` is China's date.
pub fn check(m: &MaterialInput, today: NaiveDate) -> Result<CheckedMaterial, Vec<FieldError>> {
    let mut errs = Vec::new();
    let title = crate::text::trim(&m.title).to_owned();
    if title.is_empty() {
        errs.push(err("title", "请填写资料标题"));
    } else if title.chars().count() > TITLE_MAX {
        errs.push(err("title", format!("资料标题不超过{TITLE_MAX}个字")));
    }
    let kind = match crate::text::trim(&m.kind) {
        "" => {
            errs.push(err("kind", "请选择资料类别（讲话、文件、书籍、视频）"));
            None
        }
        k => {
            let p = MaterialKind::parse(k);
            if p.is_none() {
                errs.push(err("kind", format!("资料类别“{k}”无法识别，请填写讲话、文件、书籍或视频")));
            }
            p
        }
    };
    let source = crate::text::trim(&m.source).to_owned();
    if source.chars().count() > SOURCE_MAX {
        errs.push(err("source", format!("来源不超过{SOURCE_MAX}个字")));
    }
    let date = match crate::text::trim(&m.date) {
        "" => {
            errs.push(err("date", "请填写发布日期（YYYY-MM-DD）"));
            None
        }
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Err(_) => {
                errs.push(err("date", format!("发布日期“{d}”格式有误，请写成YYYY-MM-DD，如2024-03-05")));
                None
            }
            Ok(d) => {
                if let Some(m) = crate::dates::implausible(d, "发布日期") {
                    errs.push(err("date", m));
                    None
                } else if d > today {
                    errs.push(err("date", format!("发布日期{d}晚于今天，请改正")));
                    None
                } else {
                    Some(d)
                }
            }
        },
    };
    let body = m.body.replace('\0', "").replace("\r\n", "\n");
    if body.chars().count() > BODY_MAX {
        errs.push(err("body", format!("正文不超过{BODY_MAX}个字，过长的资料请分篇录入")));
    }
    let mut tags: Vec<String> = Vec::new();
    for t in m.tags.iter().flat_map(|t| split_tags(t)) {
        if t.chars().count() > TAG_MAX {
            errs.push(err("tags", format!("标签“{t}”过长，每个标签不超过{TAG_MAX}个字")));
        } else if !tags.contains(&t) {
            tags.push(t);
        }
    }
    if tags.len() > TAGS_MAX {
        errs.push(err("tags", format!("标签不超过{TAGS_MAX}个")));
    }
    match (errs.is_empty(), kind, date) {
        (true, Some(kind), Some(date)) => Ok(CheckedMaterial { title, kind, source, date, body, tags }),
        _ => Err(errs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn input() -> MaterialInput {
        MaterialInput {
            org: "430602".into(),
            title: "在全国组织工作会议上的讲话".into(),
            kind: "讲话".into(),
            source: "《求是》".into(),
            date: "2024-03-05".into(),
            body: "正文".into(),
            tags: vec!["党建，组织工作".into(), "党建".into()],
        }
    }

    #[test]
    fn kinds_pin_codes_and_read_labels() {
        let codes: Vec<_> = MaterialKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(codes, ["speech", "document", "book", "video"]);
        assert_eq!(MaterialKind::parse("讲话"), Some(MaterialKind::Speech));
        assert_eq!(MaterialKind::parse(" Video "), Some(MaterialKind::Video));
        assert_eq!(MaterialKind::parse("图片"), None);
    }

    #[test]
    fn a_good_material_passes_with_tags_split_and_deduplicated() {
        let c = check(&input(), today()).unwrap();
        assert_eq!(c.kind, MaterialKind::Speech);
        assert_eq!(c.tags, vec!["党建", "组织工作"]);
    }

    #[test]
    fn every_problem_is_named() {
        let m = MaterialInput {
            title: " ".into(),
            kind: "图片".into(),
            date: "2027-01-01".into(),
            tags: vec!["一二三四五六七八九十一二三四五六七八九十一".into()],
            ..input()
        };
        let errs = check(&m, today()).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "kind", "date", "tags"]);
        let m = MaterialInput { date: "2024/3/5".into(), ..input() };
        assert!(check(&m, today()).unwrap_err()[0].message.contains("YYYY-MM-DD"));
        let m = MaterialInput { date: "1850-01-01".into(), ..input() };
        assert!(check(&m, today()).unwrap_err()[0].message.contains("合理范围"));
    }
}
