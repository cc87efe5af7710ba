//! Committee meetings and the first agenda item (第一议题制度, seed 001 §一).
//!
//! Every meeting of a party committee, leading party group or working committee opens
//! with theory study: the first item's content comes from the latest important speeches,
//! important instructions, original works or major central decisions (§一(一)); it is led
//! or relayed by the principal leader or a team member, preferably as a discussion
//! (§一(三)), and its results become work measures (学习成果转化为工作思路和政策措施).
//!
//! This module holds the rules without I/O: the codes, the check of an agenda, whether a
//! meeting's first item is compliant, the tally of compliance per organisation and period,
//! and when a meeting is closed to ordinary edits.

use chrono::{Datelike, Days, NaiveDate};

use crate::labeled_enum;

labeled_enum! {
    /// Kind of meeting (会议类别): the body that meets.
    pub enum MeetingKind {
        Committee => ("committee", "党委会议", ["党委会", "党委（扩大）会议", "常委会", "常委会议"]),
        LeadingGroup => ("leading_group", "党组会议", ["党组会", "党组（扩大）会议"]),
        WorkingCommittee => ("working_committee", "党工委会议", ["党工委会", "工委会议"]),
    }
}

labeled_enum! {
    /// Where the first item's study content comes from (第一议题学习内容来源, 001 §一(一)).
    pub enum StudySource {
        Speech => ("speech", "最新重要讲话", ["重要讲话", "习近平总书记最新重要讲话"]),
        Instruction => ("instruction", "重要指示批示精神", ["重要指示批示", "指示批示"]),
        Original => ("original", "原文原著", ["原著", "经典原著"]),
        Decision => ("decision", "中央重大决策部署", ["重大决策部署", "决策部署"]),
    }
}

labeled_enum! {
    /// How the first item was studied (学习方式, 001 §一(三)).
    pub enum StudyForm {
        LeadReading => ("lead_reading", "领学", ["领读", "领学领读"]),
        Relay => ("relay", "传达", ["传达学习"]),
        Discussion => ("discussion", "研讨", ["研讨交流", "交流研讨", "讨论"]),
    }
}

labeled_enum! {
    /// Follow-up of a work measure (成果转化落实情况).
    pub enum MeasureStatus {
        NotStarted => ("not_started", "未开始", ["未启动"]),
        InProgress => ("in_progress", "推进中", ["正在推进", "进行中"]),
        Done => ("done", "已完成", ["完成", "已落实"]),
    }
}

labeled_enum! {
    /// Whether a member of the body attended (出席 / 缺席).
    pub enum Presence {
        Present => ("present", "出席", ["参会", "到会"]),
        Absent => ("absent", "缺席", ["请假", "未到会"]),
    }
}

/// After this many days a meeting's record is closed: it changes only through a
/// correction with a reason (or earlier, when it is archived explicitly).
pub const CLOSE_AFTER_DAYS: u64 = 30;

/// Longest agenda accepted (a committee meeting has a handful of items).
pub const MAX_ITEMS: usize = 40;
/// Longest item or study title, in characters.
pub const TITLE_MAX: usize = 200;
/// Longest discussion notes, in characters.
pub const NOTES_MAX: usize = 20_000;

/// The study content of an agenda item as submitted (people already resolved or not).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StudyDraft<'a> {
    pub title: &'a str,
    pub source: Option<StudySource>,
    /// Whether a lead (a person) was named.
    pub has_lead: bool,
    pub form: Option<StudyForm>,
}

/// An agenda item as submitted: its title and, for theory study, its study content.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ItemDraft<'a> {
    pub title: &'a str,
    pub study: Option<StudyDraft<'a>>,
}

/// One problem of an agenda: which item (from 1, or 0 for the agenda as a whole), the
/// field (`title`, `study.title`, …) and what to fix, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaProblem {
    pub item: usize,
    pub field: &'static str,
    pub message: String,
}

/// Checks an agenda: at least one item, each titled, each study item with a title, a
/// source category and a lead (its form defaults to 领学). Every problem at once.
pub fn check_agenda(items: &[ItemDraft<'_>]) -> Vec<AgendaProblem> {
    let mut out = Vec::new();
    let mut add = |item: usize, field: &'static str, message: String| out.push(AgendaProblem { item, field, message });
    if items.is_empty() {
        add(0, "agenda", "会议没有议题：请至少填写一项议题，第一项议题原则上应为理论学习".to_owned());
        return out;
    }
    if items.len() > MAX_ITEMS {
        add(0, "agenda", format!("议题共{}项，超过{MAX_ITEMS}项，请核对", items.len()));
    }
    for (i, it) in items.iter().enumerate() {
        let n = i + 1;
        let title = it.title.trim();
        let study_title = it.study.map(|s| s.title.trim()).unwrap_or_default();
        // A study item may go without its own title: the study title names it (a missing
        // study title is told once, below). Any other item needs its name.
        if title.is_empty() && it.study.is_none() {
            add(n, "title", format!("第{n}项议题不是理论学习，请填写议题名称"));
        }
        if title.chars().count() > TITLE_MAX {
            add(n, "title", format!("第{n}项议题名称超过{TITLE_MAX}个字，请精简"));
        }
        let Some(s) = it.study else { continue };
        if study_title.is_empty() {
            add(n, "study.title", format!("第{n}项议题的学习内容没有标题，请填写所学讲话、文件或篇目的名称"));
        } else if study_title.chars().count() > TITLE_MAX {
            add(n, "study.title", format!("第{n}项议题的学习内容标题超过{TITLE_MAX}个字，请精简"));
        }
        if s.source.is_none() {
            add(n, "study.source", format!("第{n}项议题的学习内容没有来源类别，请选择：{}", allowed::<StudySource>()));
        }
        if !s.has_lead {
            add(n, "study.lead", format!("第{n}项议题没有领学人，请选择主要负责同志或一名班子成员"));
        }
    }
    out
}

fn allowed<T: crate::labels::Labeled>() -> String {
    T::ALL.iter().map(|v| format!("{}（{}）", v.label(), v.code())).collect::<Vec<_>>().join("、")
}

/// Whether the first agenda item is theory study (第一议题合规): it carries study content.
/// An agenda that opens with anything else — or has no items — is flagged (第一议题不合规).
pub fn first_item_compliant(items: &[ItemDraft<'_>]) -> bool {
    items.first().is_some_and(|i| i.study.is_some())
}

/// The item title made of a study title when the item has none: "学习" and the study
/// title, unless that already starts with 学习 (no "学习学习…").
pub fn item_title_of(study_title: &str) -> String {
    let t = study_title.trim();
    if t.starts_with("学习") { t.to_owned() } else { format!("学习{t}") }
}

/// Whether a work measure is overdue on `today`: not done and past its due date.
pub fn measure_overdue(status: MeasureStatus, due_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    status != MeasureStatus::Done && due_on.is_some_and(|d| d < today)
}

/// How many years back the views (lists, ledgers, compliance) look.
/// The earliest day a meeting, session or report may be entered on: the first day of the
/// previous year. Older records would be sealed the moment they are written; they are not
/// entered with ordinary edit rights.
pub fn earliest_entry(today: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(today.year() - 1, 1, 1).unwrap_or(today)
}

/// Refuses a day before [`earliest_entry`], naming the earliest allowed day.
pub fn check_entry_date(d: NaiveDate, what: &str, today: NaiveDate) -> Result<(), String> {
    let earliest = earliest_entry(today);
    if d < earliest {
        return Err(format!(
            "{what}{d}过早：只能登记本年度和上一年度的记录（{earliest}及以后），请核对日期；更早的记录不能补录"
        ));
    }
    Ok(())
}

/// A date typed exactly as `YYYY-MM-DD` (ASCII digits; no sign, no extra digits; blanks
/// around it ignored). Empty is not a date; callers treat it as missing.
pub fn plain_date_shape(text: &str) -> bool {
    let t = text.trim();
    t.len() == 10 && t.bytes().enumerate().all(|(i, c)| if i == 4 || i == 7 { c == b'-' } else { c.is_ascii_digit() })
}

pub const VIEW_YEARS_BACK: i32 = 20;

/// Checks a year asked for in a view: not after this year (a year not begun has nothing
/// to show and nothing to fall short of), nor implausibly early.
pub fn check_view_year(year: i32, today: NaiveDate) -> Result<i32, String> {
    let now = today.year();
    if year > now {
        return Err(format!("{year}年尚未到来，只能查看{now}年及以前的记录，请重新选择年份"));
    }
    if year < now - VIEW_YEARS_BACK {
        return Err(format!("年份{year}过早，请选择{}年至{now}年之间的年份", now - VIEW_YEARS_BACK));
    }
    Ok(year)
}

/// Whether a meeting is closed to ordinary edits on `today`: archived, or held more than
/// [`CLOSE_AFTER_DAYS`] days ago.
pub fn is_closed(held_on: NaiveDate, archived: bool, today: NaiveDate) -> bool {
    archived || held_on.checked_add_days(Days::new(CLOSE_AFTER_DAYS)).is_some_and(|d| d < today)
}

/// A period of compliance: a year, or one month of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    pub month: Option<u32>,
}

impl Period {
    /// A checked period: a plausible year and a month from 1 to 12.
    pub fn new(year: i32, month: Option<u32>) -> Result<Period, String> {
        if !crate::dates::PLAUSIBLE_YEARS.contains(&year) {
            return Err(format!(
                "年份{year}超出合理范围（{}年至{}年），请核对",
                crate::dates::PLAUSIBLE_YEARS.start(),
                crate::dates::PLAUSIBLE_YEARS.end()
            ));
        }
        if let Some(m) = month
            && !(1..=12).contains(&m)
        {
            return Err(format!("月份{m}有误，应为1至12"));
        }
        Ok(Period { year, month })
    }

    /// First day and the day after the last: `[from, until)`.
    pub fn range(self) -> (NaiveDate, NaiveDate) {
        let first = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN);
        match self.month {
            None => (first(self.year, 1), first(self.year + 1, 1)),
            Some(12) => (first(self.year, 12), first(self.year + 1, 1)),
            Some(m) => (first(self.year, m), first(self.year, m + 1)),
        }
    }

    pub fn contains(self, d: NaiveDate) -> bool {
        let (from, until) = self.range();
        d >= from && d < until
    }

    /// "2026年" or "2026年3月".
    pub fn label(self) -> String {
        match self.month {
            None => format!("{}年", self.year),
            Some(m) => format!("{}年{m}月", self.year),
        }
    }
}

/// The compliance of one organisation's own meetings in a period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    pub meetings: u32,
    pub compliant: u32,
    /// The meetings whose first item was not theory study, in the order added.
    pub exceptions: Vec<i64>,
}

impl Tally {
    pub fn add(&mut self, meeting_id: i64, compliant: bool) {
        self.meetings += 1;
        if compliant {
            self.compliant += 1;
        } else {
            self.exceptions.push(meeting_id);
        }
    }

    /// Compliant share in percent, one decimal; `None` without meetings.
    pub fn rate(&self) -> Option<f64> {
        (self.meetings > 0).then(|| (f64::from(self.compliant) * 1000.0 / f64::from(self.meetings)).round() / 10.0)
    }

    pub fn all_compliant(&self) -> bool {
        self.exceptions.is_empty()
    }
}

/// Checks a work measure's dates against its status: a finished measure says when it was
/// finished, no date lies before the meeting or in the future. Returns the problems.
pub fn check_measure(
    status: MeasureStatus,
    held_on: NaiveDate,
    due_on: Option<NaiveDate>,
    done_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    if let Some(d) = due_on
        && d < held_on
    {
        out.push(("due_on", format!("完成时限{d}早于会议日期{held_on}，请改正")));
    }
    if let Some(d) = due_on
        && d.year() > held_on.year() + 10
    {
        out.push(("due_on", format!("完成时限{d}过远，请核对")));
    }
    match (status, done_on) {
        (MeasureStatus::Done, None) => out.push(("done_on", "已完成的措施请填写完成日期".to_owned())),
        (MeasureStatus::Done, Some(d)) if d > today => {
            out.push(("done_on", format!("完成日期{d}晚于今天，不能填写将来的日期")))
        }
        (MeasureStatus::Done, Some(d)) if d < held_on => {
            out.push(("done_on", format!("完成日期{d}早于会议日期{held_on}，请改正")))
        }
        (MeasureStatus::NotStarted | MeasureStatus::InProgress, Some(_)) => {
            out.push(("done_on", "尚未完成的措施不填写完成日期；完成后请将状态改为“已完成”".to_owned()))
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labeled;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn study(title: &str) -> StudyDraft<'_> {
        StudyDraft { title, source: Some(StudySource::Speech), has_lead: true, form: Some(StudyForm::LeadReading) }
    }

    #[test]
    fn codes_are_pinned() {
        let codes = |v: &[&str]| v.join(",");
        assert_eq!(
            codes(&MeetingKind::ALL.iter().map(|k| k.code()).collect::<Vec<_>>()),
            "committee,leading_group,working_committee"
        );
        assert_eq!(
            codes(&StudySource::ALL.iter().map(|k| k.code()).collect::<Vec<_>>()),
            "speech,instruction,original,decision"
        );
        assert_eq!(
            codes(&StudyForm::ALL.iter().map(|k| k.code()).collect::<Vec<_>>()),
            "lead_reading,relay,discussion"
        );
        assert_eq!(
            codes(&MeasureStatus::ALL.iter().map(|k| k.code()).collect::<Vec<_>>()),
            "not_started,in_progress,done"
        );
        assert_eq!(MeetingKind::parse_label("党组会"), Some(MeetingKind::LeadingGroup));
        assert_eq!(StudySource::parse_label("原文原著"), Some(StudySource::Original));
    }

    #[test]
    fn the_first_item_must_be_theory_study() {
        let studied = [ItemDraft { title: "学习习近平总书记重要讲话", study: Some(study("重要讲话")) }];
        assert!(first_item_compliant(&studied));
        let business_first = [
            ItemDraft { title: "研究年度预算", study: None },
            ItemDraft { title: "学习重要讲话", study: Some(study("重要讲话")) },
        ];
        assert!(!first_item_compliant(&business_first), "study as the second item does not count");
        assert!(!first_item_compliant(&[]), "no agenda, no first item");
        assert!(check_agenda(&business_first).is_empty(), "a non-compliant agenda is recorded, only flagged");
    }

    #[test]
    fn an_agenda_is_checked_whole() {
        let p = check_agenda(&[]);
        assert_eq!(p.len(), 1);
        assert!(p[0].message.contains("会议没有议题"), "{}", p[0].message);
        let items = [
            ItemDraft { title: "", study: Some(StudyDraft { title: " ", source: None, has_lead: false, form: None }) },
            ItemDraft { title: " ", study: None },
        ];
        let p = check_agenda(&items);
        let fields: Vec<(usize, &str)> = p.iter().map(|x| (x.item, x.field)).collect();
        assert_eq!(
            fields,
            vec![(1, "study.title"), (1, "study.source"), (1, "study.lead"), (2, "title")],
            "a study item is not asked for its own name, only for its study title: {p:?}"
        );
        assert!(p[1].message.contains("最新重要讲话（speech）"), "{}", p[1].message);
        assert!(p[3].message.contains("不是理论学习，请填写议题名称"), "{}", p[3].message);
        // A study item named only by its study title is fine.
        assert!(check_agenda(&[ItemDraft { title: "", study: Some(study("论党的自我革命")) }]).is_empty());
        let long = "议".repeat(TITLE_MAX + 1);
        assert_eq!(check_agenda(&[ItemDraft { title: &long, study: None }])[0].field, "title");
        let many = vec![ItemDraft { title: "x", study: None }; MAX_ITEMS + 1];
        assert_eq!(check_agenda(&many)[0].field, "agenda");
    }

    #[test]
    fn generated_item_titles_do_not_double_study() {
        assert_eq!(item_title_of("论党的自我革命"), "学习论党的自我革命");
        assert_eq!(item_title_of("学习习近平总书记关于基层治理的重要论述"), "学习习近平总书记关于基层治理的重要论述");
    }

    #[test]
    fn overdue_measures_and_view_years() {
        let today = d(2026, 12, 2);
        assert!(measure_overdue(MeasureStatus::InProgress, Some(d(2026, 12, 1)), today));
        assert!(measure_overdue(MeasureStatus::NotStarted, Some(d(2026, 1, 1)), today));
        assert!(!measure_overdue(MeasureStatus::InProgress, Some(today), today), "due today is not late yet");
        assert!(!measure_overdue(MeasureStatus::Done, Some(d(2026, 1, 1)), today));
        assert!(!measure_overdue(MeasureStatus::NotStarted, None, today));
        assert_eq!(check_view_year(2026, today), Ok(2026));
        assert!(check_view_year(2027, today).unwrap_err().contains("2027年尚未到来"));
        assert!(check_view_year(1999, today).unwrap_err().contains("过早"));
    }

    #[test]
    fn a_meeting_closes_thirty_days_after_it_was_held_or_when_archived() {
        let held = d(2026, 3, 1);
        assert!(!is_closed(held, false, held));
        assert!(!is_closed(held, false, d(2026, 3, 31)), "the 30th day after is still open");
        assert!(is_closed(held, false, d(2026, 4, 1)));
        assert!(is_closed(held, true, held), "archived at once");
    }

    #[test]
    fn periods_are_years_or_months() {
        let p = Period::new(2026, None).expect("year");
        assert_eq!(p.range(), (d(2026, 1, 1), d(2027, 1, 1)));
        assert_eq!(Period::new(2026, Some(12)).expect("dec").range(), (d(2026, 12, 1), d(2027, 1, 1)));
        let feb = Period::new(2024, Some(2)).expect("feb");
        assert_eq!(feb.range(), (d(2024, 2, 1), d(2024, 3, 1)));
        assert!(feb.contains(d(2024, 2, 29)) && !feb.contains(d(2024, 3, 1)));
        assert_eq!(feb.label(), "2024年2月");
        assert!(Period::new(2026, Some(13)).unwrap_err().contains("月份13"));
        assert!(Period::new(1066, None).unwrap_err().contains("超出合理范围"));
    }

    #[test]
    fn a_tally_lists_its_exceptions() {
        let mut t = Tally::default();
        assert_eq!(t.rate(), None);
        t.add(1, true);
        t.add(2, false);
        t.add(3, true);
        assert_eq!((t.meetings, t.compliant, t.exceptions.clone()), (3, 2, vec![2]));
        assert_eq!(t.rate(), Some(66.7));
        assert!(!t.all_compliant());
    }

    #[test]
    fn measures_say_when_they_were_finished() {
        let (held, today) = (d(2026, 3, 1), d(2026, 5, 1));
        assert!(check_measure(MeasureStatus::InProgress, held, Some(d(2026, 6, 30)), None, today).is_empty());
        assert!(check_measure(MeasureStatus::Done, held, None, Some(d(2026, 4, 2)), today).is_empty());
        let f = |s, due, done| -> Vec<&str> {
            check_measure(s, held, due, done, today).into_iter().map(|(f, _)| f).collect()
        };
        assert_eq!(f(MeasureStatus::Done, None, None), vec!["done_on"]);
        assert_eq!(f(MeasureStatus::Done, None, Some(d(2026, 5, 2))), vec!["done_on"], "not in the future");
        assert_eq!(f(MeasureStatus::NotStarted, None, Some(d(2026, 4, 2))), vec!["done_on"]);
        assert_eq!(f(MeasureStatus::NotStarted, Some(d(2026, 2, 1)), None), vec!["due_on"]);
    }
}

#[cfg(test)]
mod entry_date_tests {
    use super::*;

    #[test]
    fn only_this_year_and_last_may_be_entered() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap();
        assert_eq!(earliest_entry(today), NaiveDate::from_ymd_opt(2025, 1, 1).unwrap());
        assert!(check_entry_date(NaiveDate::from_ymd_opt(2025, 1, 1).unwrap(), "会议日期", today).is_ok());
        let e = check_entry_date(NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(), "会议日期", today).unwrap_err();
        assert!(e.contains("2025-01-01"), "{e}");
    }

    #[test]
    fn a_date_is_exactly_ten_plain_characters() {
        assert!(plain_date_shape(" 2026-01-01 "));
        for bad in ["+002026-01-01", "2026-1-01", "20260101", "2026/01/01", "２０２６-01-01"] {
            assert!(!plain_date_shape(bad), "{bad}");
        }
    }
}
