//! Leaders' study log (学习记录) in the five modes of 001 §二, plus reflection articles
//! (心得体会) as a sixth kind of entry of the same log.
//!
//! Reflections are kept in the same log rather than a table of their own: they belong to
//! the same person, are dated and titled like every entry, are counted against quota rules
//! the same way (a propaganda department may set one), and are read on the same pages and
//! in the same ledger. Only their mode-specific fields differ (where and when published).
//!
//! Pure checks: a raw entry (text fields, as a form or a JSON body gives them) becomes a
//! [`LogDraft`] or every problem found, in Chinese.

use chrono::{Datelike, NaiveDate};

use crate::labeled_enum;
use crate::labels::Labeled;
use crate::org::check_text;
use crate::text::to_halfwidth;
use crate::validate::FieldError;

labeled_enum! {
    /// The kind of a study-log entry: the five modes of 001 §二 and reflection articles.
    pub enum StudyMode {
        SelfStudy => ("self_study", "平时自学", ["自学", "个人自学"]),
        LeadLearning => ("lead_learning", "以会代训领学", ["领学", "以会代训"]),
        SchoolLecture => ("school_lecture", "进学校讲课", ["进校讲课", "讲课", "进学校"]),
        Grassroots => ("grassroots", "基层宣讲", ["宣讲", "沉到基层宣讲"]),
        Exchange => ("exchange", "交流互学", ["交流", "在交流中互学"]),
        Reflection => ("reflection", "心得体会", ["学习心得", "心得"]),
    }
}

impl StudyMode {
    /// The five modes of 001 §二 (without reflections).
    pub const FIVE: [StudyMode; 5] = [
        StudyMode::SelfStudy,
        StudyMode::LeadLearning,
        StudyMode::SchoolLecture,
        StudyMode::Grassroots,
        StudyMode::Exchange,
    ];

    /// What the title means for this mode (form labels and messages).
    pub fn title_label(self) -> &'static str {
        match self {
            StudyMode::SelfStudy => "学习内容（篇目）",
            StudyMode::LeadLearning => "领学内容",
            StudyMode::SchoolLecture => "讲课题目",
            StudyMode::Grassroots => "宣讲主题",
            StudyMode::Exchange => "交流主题",
            StudyMode::Reflection => "文章标题",
        }
    }

    /// The unit an entry counts as ("篇", "次").
    pub fn unit(self) -> &'static str {
        match self {
            StudyMode::SelfStudy | StudyMode::Reflection => "篇",
            _ => "次",
        }
    }
}

pub const TITLE_MAX: usize = 200;
pub const SCHOOL_MAX: usize = 100;
pub const PLACE_MAX: usize = 200;
pub const AUDIENCE_MAX: usize = 200;
pub const NOTE_MAX: usize = 1000;
pub const PUBLISHED_IN_MAX: usize = 100;

/// An entry as typed: every field text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogFields {
    pub mode: String,
    pub date: String,
    pub title: String,
    /// The school of a lecture (进学校讲课).
    pub school: String,
    /// Where: the meeting of a lead-learning, the place of preaching or exchange.
    pub place: String,
    /// Who listened (宣讲对象), or the class of a lecture.
    pub audience: String,
    pub note: String,
    /// Where a reflection was published (报刊、平台); empty when not published.
    pub published_in: String,
    pub published_on: String,
    /// The library material studied, by id (a choice from the materials offered); empty
    /// when none.
    pub material: String,
}

/// A checked entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogDraft {
    pub mode: StudyMode,
    pub date: NaiveDate,
    pub title: String,
    pub school: Option<String>,
    pub place: Option<String>,
    pub audience: Option<String>,
    pub note: Option<String>,
    pub published_in: Option<String>,
    pub published_on: Option<NaiveDate>,
    /// The library material studied (its visibility is the store's to check).
    pub material: Option<i64>,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// A date typed as `YYYY-MM-DD`, not after `today`, in a plausible year.
pub fn check_date(field: &'static str, label: &str, text: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    let t = to_halfwidth(text.trim());
    if t.is_empty() {
        return Err(err(field, format!("请填写{label}（YYYY-MM-DD，如{today}）")));
    }
    let d = NaiveDate::parse_from_str(&t, "%Y-%m-%d")
        .map_err(|_| err(field, format!("{label}“{}”格式有误，应为YYYY-MM-DD，如{today}", text.trim())))?;
    if let Some(m) = crate::dates::implausible(d, label) {
        return Err(err(field, m));
    }
    if d > today {
        return Err(err(field, format!("{label}{d}晚于今天（{today}），不能登记尚未发生的学习")));
    }
    Ok(d)
}

/// The mode given by code or label; unknown ones are refused with the list of codes.
pub fn parse_mode(text: &str) -> Result<StudyMode, FieldError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(err("mode", "请选择学习方式"));
    }
    StudyMode::from_code(t).or_else(|| StudyMode::parse_label(t)).ok_or_else(|| {
        let codes: Vec<String> = StudyMode::ALL.iter().map(|m| format!("{}（{}）", m.code(), m.label())).collect();
        err("mode", format!("学习方式“{t}”无效，可选：{}", codes.join("、")))
    })
}

/// The material chosen: empty for none, else a positive id.
pub fn parse_material(text: &str) -> Result<Option<i64>, FieldError> {
    let t = to_halfwidth(text.trim());
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<i64>() {
        Ok(id) if id > 0 => Ok(Some(id)),
        _ => Err(err("material", format!("学习资料编号“{}”无效，请从资料库中重新选择", text.trim()))),
    }
}

/// Checks an entry, every problem at once.
pub fn check(f: &LogFields, today: NaiveDate) -> Result<LogDraft, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mode = parse_mode(&f.mode).map_err(|e| errs.push(e)).ok();
    let date_label = match mode {
        Some(StudyMode::Reflection) => "撰写日期",
        Some(StudyMode::SchoolLecture) => "讲课日期",
        Some(StudyMode::Grassroots) => "宣讲日期",
        _ => "学习日期",
    };
    let date = check_date("date", date_label, &f.date, today).map_err(|e| errs.push(e)).ok();
    let title_label = mode.map_or("标题", StudyMode::title_label);
    let mut text = |field: &'static str, label: &str, value: &str, max: usize, required: bool| match check_text(
        value, max, required,
    ) {
        Ok(v) => v,
        Err(m) => {
            let m = if m == "不能为空" { format!("请填写{label}") } else { format!("{label}{m}") };
            errs.push(err(field, m));
            None
        }
    };
    let title = text("title", title_label, &f.title, TITLE_MAX, true);
    let school_required = mode == Some(StudyMode::SchoolLecture);
    let school = text("school", "学校", &f.school, SCHOOL_MAX, false);
    let place = text("place", "地点", &f.place, PLACE_MAX, false);
    let audience = text("audience", "对象", &f.audience, AUDIENCE_MAX, false);
    let note = text("note", "说明", &f.note, NOTE_MAX, false);
    let published_in = text("published_in", "发表刊物（平台）", &f.published_in, PUBLISHED_IN_MAX, false);
    if school_required && school.is_none() && !errs.iter().any(|e| e.field == "school") {
        errs.push(err("school", "进学校讲课须填写学校名称（如：岳阳市第一中学）"));
    }
    let published_on = match to_halfwidth(f.published_on.trim()).as_str() {
        "" => None,
        _ => match check_date("published_on", "发表日期", &f.published_on, today) {
            Ok(d) => Some(d),
            Err(e) => {
                errs.push(e);
                None
            }
        },
    };
    if published_on.is_some() && published_in.is_none() && !errs.iter().any(|e| e.field == "published_in") {
        errs.push(err("published_in", "填写了发表日期，请同时填写发表的报刊或平台"));
    }
    if let (Some(p), Some(d)) = (published_on, date)
        && p < d
    {
        errs.push(err("published_on", format!("发表日期{p}早于撰写日期{d}，请核对")));
    }
    if mode.is_some_and(|m| m != StudyMode::Reflection) && (published_in.is_some() || published_on.is_some()) {
        errs.push(err("published_in", "只有心得体会需要填写发表情况，请清空发表刊物和发表日期"));
    }
    if mode.is_some_and(|m| m != StudyMode::SchoolLecture) && school.is_some() {
        errs.push(err("school", "只有进学校讲课需要填写学校，请清空或改选学习方式"));
    }
    let material = match parse_material(&f.material) {
        Ok(m) => m,
        Err(e) => {
            errs.push(e);
            None
        }
    };
    match (mode, date, title, errs.is_empty()) {
        (Some(mode), Some(date), Some(title), true) => {
            Ok(LogDraft { mode, date, title, school, place, audience, note, published_in, published_on, material })
        }
        _ => Err(errs),
    }
}

/// A year asked for in a query or a form: plausible, and not after this one.
pub fn check_year(year: i32, today: NaiveDate) -> Result<i32, String> {
    if !crate::dates::PLAUSIBLE_YEARS.contains(&year) || year > today.year() {
        return Err(format!(
            "年份{year}无效，请填写{}至{}之间的年份",
            crate::dates::PLAUSIBLE_YEARS.start(),
            today.year()
        ));
    }
    Ok(year)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 6, 15).expect("date")
    }

    fn fields(mode: &str, date: &str, title: &str) -> LogFields {
        LogFields { mode: mode.into(), date: date.into(), title: title.into(), ..Default::default() }
    }

    #[test]
    fn codes_are_pinned() {
        let codes: Vec<&str> = StudyMode::ALL.iter().map(|m| m.code()).collect();
        assert_eq!(codes, ["self_study", "lead_learning", "school_lecture", "grassroots", "exchange", "reflection"]);
        assert_eq!(StudyMode::parse_label("自学"), Some(StudyMode::SelfStudy));
    }

    #[test]
    fn a_self_study_needs_a_title_and_a_past_date() {
        let d = check(&fields("self_study", "2026-06-15", "习近平总书记在…的重要讲话"), today()).expect("ok");
        assert_eq!((d.mode, d.date.day()), (StudyMode::SelfStudy, 15));
        let e = check(&fields("self_study", "2026-06-16", " "), today()).expect_err("refused");
        let fields_: Vec<&str> = e.iter().map(|x| x.field).collect();
        assert_eq!(fields_, ["date", "title"]);
        assert!(e[0].message.contains("晚于今天"), "{}", e[0].message);
        for bad in ["2026/6/1", "15-06-2026", "1980-01-01", "0026-01-01"] {
            assert!(check(&fields("self_study", bad, "x"), today()).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_lecture_needs_a_school_and_unknown_modes_are_named() {
        let e = check(&fields("school_lecture", "2026-05-01", "思政课"), today()).expect_err("no school");
        assert_eq!(e[0].field, "school");
        let ok =
            LogFields { school: "岳阳市第一中学".into(), ..fields("school_lecture", "2026-05-01", "思政课") };
        assert_eq!(check(&ok, today()).expect("ok").school.as_deref(), Some("岳阳市第一中学"));
        let e = check(&fields("reading", "2026-05-01", "x"), today()).expect_err("unknown");
        assert!(e[0].message.contains("self_study") && e[0].message.contains("reading"), "{}", e[0].message);
        let wrong = LogFields { school: "某校".into(), ..fields("grassroots", "2026-05-01", "宣讲") };
        assert_eq!(check(&wrong, today()).expect_err("school only for lectures")[0].field, "school");
    }

    #[test]
    fn publication_belongs_to_reflections_and_follows_writing() {
        let r = LogFields {
            published_in: "岳阳日报".into(),
            published_on: "2026-06-10".into(),
            ..fields("reflection", "2026-06-01", "学习体会")
        };
        let d = check(&r, today()).expect("ok");
        assert_eq!(d.published_in.as_deref(), Some("岳阳日报"));
        let early = LogFields { published_on: "2026-05-01".into(), ..r.clone() };
        assert!(check(&early, today()).expect_err("before writing")[0].message.contains("早于"));
        let nowhere = LogFields { published_in: String::new(), ..r.clone() };
        assert_eq!(check(&nowhere, today()).expect_err("where")[0].field, "published_in");
        let not_reflection = LogFields { mode: "exchange".into(), ..r };
        assert!(check(&not_reflection, today()).is_err());
    }

    #[test]
    fn a_material_is_a_positive_id_or_none() {
        let base = fields("self_study", "2026-06-01", "重要讲话");
        assert_eq!(check(&base, today()).expect("none").material, None);
        let chosen = LogFields { material: " １２ ".into(), ..base.clone() };
        assert_eq!(check(&chosen, today()).expect("chosen").material, Some(12));
        for bad in ["0", "-3", "abc", "99999999999999999999"] {
            let e = check(&LogFields { material: bad.into(), ..base.clone() }, today()).expect_err(bad);
            assert_eq!(e[0].field, "material", "{bad}");
            assert!(e[0].message.contains("资料库"), "{}", e[0].message);
        }
    }

    #[test]
    fn years_are_plausible_and_not_ahead() {
        assert_eq!(check_year(2026, today()), Ok(2026));
        assert!(check_year(2027, today()).is_err());
        assert!(check_year(1900, today()).is_err());
    }
}
