//! Filing upward (备案, seed 002 closing paragraphs, issue 14 item 1): each organiser of a
//! campaign files its implementation plan (实施方案) with the body on its filing route
//! before the deadline, progress reports (进度报告) at the interval the campaign sets, and a
//! work summary (工作总结) at the end. A filing goes draft → submitted → returned with
//! comments → filed; the route's graph is the study plans' (`study::groups::next_state`),
//! only the last step is called 备案 here. A filed version is read-only: a new version
//! supersedes it and the history is kept. Lateness is counted in China's calendar days.
//!
//! Rules only, no I/O.

use chrono::{DateTime, Datelike, Months, NaiveDate, Utc};

use crate::labeled_enum;
use crate::study::groups::{self, PlanAction, PlanState};

labeled_enum! {
    /// What is filed.
    pub enum FilingKind {
        Plan => ("plan", "实施方案", ["轮训实施方案", "方案", "培训方案"]),
        Progress => ("progress", "进度报告", ["培训情况", "进展情况", "进度"]),
        Summary => ("summary", "工作总结", ["总结", "轮训工作总结"]),
    }
}

labeled_enum! {
    /// Where a filing stands.
    pub enum FilingState {
        Draft => ("draft", "草稿", ["未报送"]),
        Submitted => ("submitted", "已报送待备案", ["已报送", "待备案"]),
        Returned => ("returned", "已退回修改", ["已退回", "退回"]),
        Filed => ("filed", "已备案", ["备案", "已接收"]),
    }
}

labeled_enum! {
    /// A step on a filing's route.
    pub enum FilingAction {
        Submit => ("submit", "报送", ["提交", "上报"]),
        Return => ("return", "退回修改", ["退回"]),
        Accept => ("accept", "予以备案", ["备案", "接收"]),
    }
}

labeled_enum! {
    /// How often progress reports are due.
    pub enum ProgressEvery {
        Days => ("days", "每若干天", ["按天"]),
        Monthly => ("monthly", "每月", ["按月", "月报"]),
    }
}

impl FilingKind {
    /// Whether a filing of this kind needs at least one attachment before it is submitted
    /// (the plan as issued, with its seal).
    pub fn requires_attachment(self) -> bool {
        self == FilingKind::Plan
    }

    /// Whether an organiser files several of this kind in one campaign (one per period).
    pub fn periodic(self) -> bool {
        self == FilingKind::Progress
    }
}

impl FilingState {
    fn plan(self) -> PlanState {
        match self {
            FilingState::Draft => PlanState::Draft,
            FilingState::Submitted => PlanState::Submitted,
            FilingState::Returned => PlanState::Returned,
            FilingState::Filed => PlanState::Approved,
        }
    }

    fn of_plan(s: PlanState) -> Self {
        match s {
            PlanState::Draft => FilingState::Draft,
            PlanState::Submitted => FilingState::Submitted,
            PlanState::Returned => FilingState::Returned,
            PlanState::Approved => FilingState::Filed,
        }
    }

    /// Whether the organiser may still change the text and attachments.
    pub fn editable(self) -> bool {
        self.plan().editable()
    }
}

impl FilingAction {
    fn plan(self) -> PlanAction {
        match self {
            FilingAction::Submit => PlanAction::Submit,
            FilingAction::Return => PlanAction::Return,
            FilingAction::Accept => PlanAction::Approve,
        }
    }

    /// Whether the receiving body takes this step (the organiser only submits).
    pub fn by_receiver(self) -> bool {
        self != FilingAction::Submit
    }
}

/// The state a step leads to, or why it may not be taken now (in Chinese, saying what to
/// do instead). The graph is the study plans'; the words are the filing's.
pub fn next_state(from: FilingState, action: FilingAction, comments: &str) -> Result<FilingState, String> {
    match groups::next_state(from.plan(), action.plan(), comments) {
        Ok(to) => Ok(FilingState::of_plan(to)),
        Err(_) => Err(match (from, action) {
            (FilingState::Filed, FilingAction::Submit) => {
                "该材料已备案，不能再次报送或修改；如需调整，请“新建版本”，新版本报送备案后取代本版本".to_owned()
            }
            (FilingState::Filed, _) => "该材料已备案，不能再退回或重复备案".to_owned(),
            (FilingState::Submitted, FilingAction::Return) => "退回时请填写修改意见，说明需要修改的内容".to_owned(),
            (FilingState::Submitted, FilingAction::Submit) => {
                "该材料已报送，正在等待接收单位备案，请勿重复报送".to_owned()
            }
            (FilingState::Draft | FilingState::Returned, _) => {
                format!("该材料为“{}”状态，尚未报送，接收单位不能{}", label(from), label(action))
            }
            _ => "该操作不适用于当前状态".to_owned(),
        }),
    }
}

fn label<T: crate::labels::Labeled>(v: T) -> &'static str {
    v.label()
}

/// The plan deadline of a campaign that names none: 9 March of the year the campaign
/// starts (seed 002: notice of 3 March, 集中轮训方案请于3月9日前上报备案) or, for a campaign
/// starting after it, [`PLAN_DAYS_AFTER_START`] days after its start.
pub fn default_plan_deadline(campaign_start: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(campaign_start.year(), 3, 9).filter(|d| *d >= campaign_start).unwrap_or_else(|| {
        campaign_start.checked_add_days(chrono::Days::new(PLAN_DAYS_AFTER_START)).unwrap_or(campaign_start)
    })
}

/// Days from the notice to the plan deadline in seed 002 (3 March → 9 March, rounded up).
pub const PLAN_DAYS_AFTER_START: u64 = 8;

/// The work summary is due this many days after the campaign ends unless it says otherwise.
pub const SUMMARY_DAYS_AFTER_END: u64 = 15;

/// The summary deadline of a campaign that names none.
pub fn default_summary_deadline(campaign_end: NaiveDate) -> NaiveDate {
    campaign_end.checked_add_days(chrono::Days::new(SUMMARY_DAYS_AFTER_END)).unwrap_or(campaign_end)
}

/// Most days between progress reports.
pub const MAX_EVERY_DAYS: u32 = 366;

/// When progress reports are due: every `days` days from the campaign's start, or at the
/// end of each month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub every: ProgressEvery,
    /// Days between reports (for `Days`).
    pub days: u32,
}

impl Default for Interval {
    fn default() -> Self {
        Interval { every: ProgressEvery::Monthly, days: 30 }
    }
}

impl Interval {
    /// Checks an interval as typed: `every` a code or label, `days` a whole number for
    /// `Days`.
    pub fn parse(every: &str, days: &str) -> Result<Interval, String> {
        use crate::labels::Labeled;
        let e = ProgressEvery::parse_label(every)
            .ok_or_else(|| format!("请选择进度报告周期（{}）", ProgressEvery::allowed_labels()))?;
        let d = match e {
            ProgressEvery::Monthly => 30,
            ProgressEvery::Days => {
                let d: u32 = days.trim().parse().map_err(|_| {
                    format!("进度报告间隔天数“{}”不是整数，请填写1至{MAX_EVERY_DAYS}之间的天数", days.trim())
                })?;
                if !(1..=MAX_EVERY_DAYS).contains(&d) {
                    return Err(format!("进度报告间隔天数须在1至{MAX_EVERY_DAYS}之间，请改正"));
                }
                d
            }
        };
        Ok(Interval { every: e, days: d })
    }

    /// The due date of the `n`-th progress report (from 1) of a campaign starting on
    /// `start`, or none when it would fall after `end` (no report is due then).
    pub fn due(self, start: NaiveDate, end: NaiveDate, n: u32) -> Option<NaiveDate> {
        if n == 0 {
            return None;
        }
        let d = match self.every {
            ProgressEvery::Days => start.checked_add_days(chrono::Days::new(u64::from(self.days) * u64::from(n)))?,
            ProgressEvery::Monthly => {
                let first = NaiveDate::from_ymd_opt(start.year(), start.month(), 1)?;
                // The last day of the n-th month counted from the start's month.
                first.checked_add_months(Months::new(n))?.pred_opt()?
            }
        };
        (d <= end).then_some(d)
    }

    /// Every progress-report period of a campaign: (number, due date).
    pub fn periods(self, start: NaiveDate, end: NaiveDate) -> Vec<(u32, NaiveDate)> {
        (1..=400).map_while(|n| self.due(start, end, n).map(|d| (n, d))).collect()
    }

    /// In words: 每月末 or 每15天.
    pub fn describe(self) -> String {
        match self.every {
            ProgressEvery::Monthly => "每月末报送一次".to_owned(),
            ProgressEvery::Days => format!("自轮训开始每{}天报送一次", self.days),
        }
    }
}

/// How late something first submitted at `submitted` (none: not yet) is against
/// `deadline`, in China's calendar days, judged on `today` while it is not submitted.
/// Zero when on time. A filing submitted on the deadline day is on time.
pub fn days_late(deadline: NaiveDate, submitted: Option<DateTime<Utc>>, today: NaiveDate) -> i64 {
    let day = match submitted {
        Some(t) => crate::time::local(t).date(),
        None => today,
    };
    (day - deadline).num_days().max(0)
}

/// Longest title of a filing.
pub const TITLE_MAX: usize = 200;
/// Longest text of a filing, in characters.
pub const BODY_MAX: usize = 50_000;
/// Longest comments of a return.
pub const COMMENTS_MAX: usize = 2_000;
/// Most attachments of one version.
pub const MAX_ATTACHMENTS: usize = 10;
/// Longest kept file name, in characters.
pub const FILENAME_MAX: usize = 120;

/// A file name as kept and offered for download: the last path component only, control
/// characters, quotes and characters that mean something to a shell or a file system
/// replaced, leading dots removed, at most [`FILENAME_MAX`] characters; an empty result
/// becomes `附件`.
pub fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .map(|c| {
            if c.is_control() || matches!(c, '"' | '\'' | '<' | '>' | ':' | '|' | '?' | '*' | ';' | '`' | '$' | '%') {
                '_'
            } else {
                c
            }
        })
        .filter(|c| !crate::text::is_invisible_format(*c))
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    let kept: String = if trimmed.chars().count() > FILENAME_MAX {
        // Keep the extension.
        match trimmed.rfind('.') {
            Some(i) if trimmed.len() - i <= 10 => {
                let ext = &trimmed[i..];
                let head: String = trimmed[..i].chars().take(FILENAME_MAX - ext.chars().count()).collect();
                format!("{head}{ext}")
            }
            _ => trimmed.chars().take(FILENAME_MAX).collect(),
        }
    } else {
        trimmed.to_owned()
    };
    if kept.is_empty() { "附件".to_owned() } else { kept }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labeled;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("day")
    }

    #[test]
    fn the_route_is_the_study_plans_with_filing_words() {
        use FilingAction::*;
        use FilingState::*;
        assert_eq!(next_state(Draft, Submit, ""), Ok(Submitted));
        assert_eq!(next_state(Submitted, Accept, ""), Ok(Filed));
        assert!(next_state(Submitted, Return, "  ").unwrap_err().contains("修改意见"));
        assert_eq!(next_state(Submitted, Return, "请补充师资安排"), Ok(Returned));
        assert_eq!(next_state(Returned, Submit, ""), Ok(Submitted));
        let e = next_state(Filed, Submit, "").unwrap_err();
        assert!(e.contains("已备案") && e.contains("新建版本"), "{e}");
        assert!(next_state(Filed, Accept, "").unwrap_err().contains("已备案"));
        assert!(next_state(Submitted, Submit, "").unwrap_err().contains("请勿重复报送"));
        assert!(next_state(Draft, Accept, "").unwrap_err().contains("尚未报送"));
        assert!(next_state(Returned, Return, "x").unwrap_err().contains("尚未报送"));
        assert!(Draft.editable() && Returned.editable() && !Submitted.editable() && !Filed.editable());
        assert!(Return.by_receiver() && Accept.by_receiver() && !Submit.by_receiver());
    }

    #[test]
    fn codes_are_pinned() {
        let kinds: Vec<&str> = FilingKind::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(kinds, ["plan", "progress", "summary"]);
        let states: Vec<&str> = FilingState::ALL.iter().map(|k| k.code()).collect();
        assert_eq!(states, ["draft", "submitted", "returned", "filed"]);
        assert_eq!(FilingKind::parse_label("实施方案"), Some(FilingKind::Plan));
        assert!(FilingKind::Plan.requires_attachment() && !FilingKind::Summary.requires_attachment());
    }

    #[test]
    fn lateness_counts_china_calendar_days() {
        let deadline = day(2015, 3, 9);
        let at = |s: &str| DateTime::parse_from_rfc3339(s).expect("instant").with_timezone(&Utc);
        // 23:30 UTC on 8 March is 07:30 on 9 March in China: on the deadline day, on time.
        assert_eq!(days_late(deadline, Some(at("2015-03-08T23:30:00Z")), day(2015, 4, 1)), 0);
        // 16:30 UTC on 9 March is 00:30 on 10 March in China: one day late.
        assert_eq!(days_late(deadline, Some(at("2015-03-09T16:30:00Z")), day(2015, 4, 1)), 1);
        assert_eq!(days_late(deadline, Some(at("2015-03-16T02:00:00Z")), day(2015, 4, 1)), 7);
        // Early is not negative lateness.
        assert_eq!(days_late(deadline, Some(at("2015-03-01T02:00:00Z")), day(2015, 4, 1)), 0);
        // Not submitted: judged on today.
        assert_eq!(days_late(deadline, None, day(2015, 3, 9)), 0);
        assert_eq!(days_late(deadline, None, day(2015, 3, 12)), 3);
    }

    #[test]
    fn deadlines_default_to_the_seed_and_intervals_are_checked() {
        assert_eq!(default_plan_deadline(day(2015, 3, 1)), day(2015, 3, 9));
        // A campaign starting after 9 March: eight days after its start, never before it.
        assert_eq!(default_plan_deadline(day(2017, 12, 1)), day(2017, 12, 9));
        assert_eq!(default_summary_deadline(day(2015, 12, 31)), day(2016, 1, 15));
        let monthly = Interval::parse("每月", "").expect("monthly");
        assert_eq!(
            monthly.periods(day(2015, 3, 1), day(2015, 6, 30)).iter().map(|p| p.1).collect::<Vec<_>>(),
            [day(2015, 3, 31), day(2015, 4, 30), day(2015, 5, 31), day(2015, 6, 30)]
        );
        let every = Interval::parse("days", "45").expect("days");
        assert_eq!(every.due(day(2015, 3, 1), day(2015, 6, 30), 1), Some(day(2015, 4, 15)));
        assert_eq!(every.due(day(2015, 3, 1), day(2015, 6, 30), 3), None);
        assert_eq!(every.periods(day(2015, 3, 1), day(2015, 6, 30)).len(), 2);
        assert!(Interval::parse("days", "0").unwrap_err().contains("1至366"));
        assert!(Interval::parse("days", "十").unwrap_err().contains("不是整数"));
        assert!(Interval::parse("weekly", "").unwrap_err().contains("进度报告周期"));
    }

    #[test]
    fn hostile_file_names_are_made_harmless() {
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("C:\\temp\\方案.docx"), "方案.docx");
        assert_eq!(safe_filename("a\"b<c>.pdf"), "a_b_c_.pdf");
        assert_eq!(safe_filename("\u{202e}fdp.exe"), "fdp.exe");
        assert_eq!(safe_filename(".."), "附件");
        assert_eq!(safe_filename("   "), "附件");
        assert_eq!(safe_filename("line\r\nbreak.txt"), "line__break.txt");
        let long = format!("{}.docx", "长".repeat(300));
        let s = safe_filename(&long);
        assert_eq!(s.chars().count(), FILENAME_MAX);
        assert!(s.ends_with(".docx"));
    }
}
