//! Central study groups (理论学习中心组, seed 004 §三–§四).
//!
//! A committee's group has members (组长, 副组长, 成员) and people who attend without
//! membership (列席). Its annual study plan (年度学习计划, topics by month) and thematic
//! plans (专题学习方案) go up a route — draft → submitted → returned with comments →
//! approved — to the body that approves them; an approved plan changes only by an audited
//! correction. Its sessions (集中学习研讨) record attendance (出席, 请假, 缺席) against a
//! threshold, the lead learner and the members' speeches; research topics (专题调研课题)
//! have reports and every member writes an annual study report (年度述学). How many
//! sessions a year, how many of them thematic, and the least attendance rate are rules
//! ([`GroupRules`]) with defaults an administrator edits.
//!
//! This module holds those rules without I/O.

use chrono::{Datelike, NaiveDate};

use crate::labeled_enum;

labeled_enum! {
    /// A person's place in a study group.
    pub enum MemberRole {
        Leader => ("leader", "组长", ["中心组组长"]),
        Deputy => ("deputy", "副组长", ["中心组副组长"]),
        Member => ("member", "成员", ["组员", "中心组成员"]),
        Attendee => ("attendee", "列席", ["列席人员", "列席成员"]),
    }
}

impl MemberRole {
    /// Whether the role counts in the attendance rate (列席 does not).
    pub fn is_member(self) -> bool {
        self != MemberRole::Attendee
    }
}

labeled_enum! {
    /// Kind of study plan.
    pub enum PlanKind {
        Annual => ("annual", "年度学习计划", ["年度计划", "学习计划"]),
        Thematic => ("thematic", "专题学习方案", ["专题方案", "专题学习计划"]),
    }
}

labeled_enum! {
    /// Where a plan stands on its route.
    pub enum PlanState {
        Draft => ("draft", "草稿", ["未报送"]),
        Submitted => ("submitted", "已报送待审批", ["已报送", "待审批"]),
        Returned => ("returned", "已退回修改", ["已退回", "退回"]),
        Approved => ("approved", "已审批", ["审批通过", "已批准"]),
    }
}

labeled_enum! {
    /// A step on a plan's route.
    pub enum PlanAction {
        Submit => ("submit", "报送", ["提交"]),
        Return => ("return", "退回修改", ["退回"]),
        Approve => ("approve", "审批通过", ["批准", "通过"]),
    }
}

labeled_enum! {
    /// Attendance at a session (考勤).
    pub enum Presence {
        Present => ("present", "出席", ["参加", "到会"]),
        Leave => ("leave", "请假", ["因公请假", "事假"]),
        Absent => ("absent", "缺席", ["未到", "旷会"]),
    }
}

labeled_enum! {
    /// Kind of a group's written report.
    pub enum ReportKind {
        Research => ("research", "专题调研报告", ["调研课题", "专题调研", "调研报告"]),
        Annual => ("annual", "年度述学报告", ["年度述学", "述学报告"]),
    }
}

impl PlanState {
    /// Whether the group may still change the plan (draft, or returned for changes).
    pub fn editable(self) -> bool {
        matches!(self, PlanState::Draft | PlanState::Returned)
    }
}

/// The state a route step leads to, or why it may not be taken now. Returning needs
/// comments that say what to change.
pub fn next_state(from: PlanState, action: PlanAction, comments: &str) -> Result<PlanState, String> {
    match (from, action) {
        (PlanState::Draft | PlanState::Returned, PlanAction::Submit) => Ok(PlanState::Submitted),
        (PlanState::Submitted, PlanAction::Return) if comments.trim().is_empty() => {
            Err("退回时请填写修改意见，说明需要修改的内容".to_owned())
        }
        (PlanState::Submitted, PlanAction::Return) => Ok(PlanState::Returned),
        (PlanState::Submitted, PlanAction::Approve) => Ok(PlanState::Approved),
        (PlanState::Approved, _) => {
            Err("该计划已审批，不能再报送、退回或审批；如确需更正，请使用“更正”并说明原因".to_owned())
        }
        (PlanState::Submitted, PlanAction::Submit) => Err("该计划已报送，正在等待审批，请勿重复报送".to_owned()),
        (PlanState::Draft | PlanState::Returned, _) => {
            Err(format!("该计划为“{}”状态，尚未报送，审批机关不能{}", from_label(from), action_label(action)))
        }
    }
}

fn from_label(s: PlanState) -> &'static str {
    crate::labels::Labeled::label(s)
}

fn action_label(a: PlanAction) -> &'static str {
    crate::labels::Labeled::label(a)
}

/// A plan's year is open for a new plan or a change from the year before it (plans are
/// written ahead) until its end; a past year is closed.
pub fn check_plan_year(year: i32, today: NaiveDate) -> Result<(), String> {
    if year < today.year() {
        return Err(format!("{year}年已经结束，不能再为已结束的年度制定或修改学习计划"));
    }
    if year > today.year() + 1 {
        return Err(format!("只能制定本年度或下一年度的学习计划，{year}年过远，请核对"));
    }
    Ok(())
}

/// Longest title of a plan, session topic or report.
pub const TITLE_MAX: usize = 200;
/// Longest text of a plan, notes or a report, in characters.
pub const BODY_MAX: usize = 50_000;
/// Longest summary of a speech.
pub const SPEECH_MAX: usize = 2_000;
/// Most people in a group (members and attendees).
pub const MAX_MEMBERS: usize = 100;

/// How often a group studies and the least attendance: the defaults, or an issuing body's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct GroupRules {
    pub sessions_per_year: u32,
    pub thematic_per_year: u32,
    /// Least attendance rate, in percent.
    pub attendance_min: u32,
}

impl Default for GroupRules {
    /// 12 sessions a year (monthly), 4 of them thematic discussions (quarterly), 80%.
    fn default() -> Self {
        GroupRules { sessions_per_year: 12, thematic_per_year: 4, attendance_min: 80 }
    }
}

impl GroupRules {
    /// The rules' problems: sessions 1–100 a year, thematic ones no more than all, a rate
    /// from 1 to 100 percent.
    pub fn check(self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if !(1..=100).contains(&self.sessions_per_year) {
            out.push(("sessions_per_year", "每年集中学习次数应为1至100次".to_owned()));
        }
        if self.thematic_per_year > self.sessions_per_year {
            out.push(("thematic_per_year", "专题研讨次数不能多于集中学习总次数".to_owned()));
        }
        if !(1..=100).contains(&self.attendance_min) {
            out.push(("attendance_min", "出勤率下限应为1%至100%".to_owned()));
        }
        out
    }

    /// Sessions due by the end of `month` of a year at an even pace (all of them for a year).
    pub fn due_by(self, month: Option<u32>) -> u32 {
        match month {
            None => self.sessions_per_year,
            Some(m) => (self.sessions_per_year * m.min(12)).div_ceil(12),
        }
    }
}

/// Attendance rate in percent, one decimal; `None` when nobody was expected.
pub fn attendance_rate(present: u32, expected: u32) -> Option<f64> {
    (expected > 0).then(|| (f64::from(present) * 1000.0 / f64::from(expected)).round() / 10.0)
}

/// Whether a rate falls short of the rule's threshold.
pub fn below_threshold(rate: Option<f64>, rules: GroupRules) -> bool {
    rate.is_some_and(|r| r < f64::from(rules.attendance_min))
}

/// A group's year against its rules: what it held and what it falls short of.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct YearTally {
    pub sessions: u32,
    pub thematic: u32,
    pub present: u32,
    pub expected: u32,
}

impl YearTally {
    pub fn add(&mut self, thematic: bool, present: u32, expected: u32) {
        self.sessions += 1;
        self.thematic += u32::from(thematic);
        self.present += present;
        self.expected += expected;
    }

    pub fn rate(&self) -> Option<f64> {
        attendance_rate(self.present, self.expected)
    }

    /// What the group falls short of by the end of the period (a year, or a month of it).
    pub fn shortfalls(&self, rules: GroupRules, month: Option<u32>) -> Vec<String> {
        let mut out = Vec::new();
        let due = rules.due_by(month);
        if self.sessions < due {
            out.push(format!("集中学习{}次，应不少于{due}次，差{}次", self.sessions, due - self.sessions));
        }
        let thematic_due = match month {
            None => rules.thematic_per_year,
            Some(m) => (rules.thematic_per_year * m.min(12)).div_ceil(12),
        };
        if self.thematic < thematic_due {
            out.push(format!("专题研讨{}次，应不少于{thematic_due}次", self.thematic));
        }
        if let Some(r) = self.rate()
            && below_threshold(Some(r), rules)
        {
            out.push(format!("平均出勤率{r}%，低于{}%", rules.attendance_min));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::labels::Labeled;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    #[test]
    fn codes_are_pinned() {
        let codes = |v: Vec<&str>| v.join(",");
        assert_eq!(codes(MemberRole::ALL.iter().map(|k| k.code()).collect()), "leader,deputy,member,attendee");
        assert_eq!(codes(PlanState::ALL.iter().map(|k| k.code()).collect()), "draft,submitted,returned,approved");
        assert_eq!(codes(Presence::ALL.iter().map(|k| k.code()).collect()), "present,leave,absent");
        assert_eq!(codes(ReportKind::ALL.iter().map(|k| k.code()).collect()), "research,annual");
        assert_eq!(Presence::parse_label("请假"), Some(Presence::Leave));
        assert!(!MemberRole::Attendee.is_member() && MemberRole::Deputy.is_member());
    }

    #[test]
    fn a_plan_goes_up_its_route() {
        use PlanAction::*;
        use PlanState::*;
        assert_eq!(next_state(Draft, Submit, ""), Ok(Submitted));
        assert_eq!(next_state(Submitted, Approve, ""), Ok(Approved));
        assert!(next_state(Submitted, Return, " ").unwrap_err().contains("修改意见"));
        assert_eq!(next_state(Submitted, Return, "补充第三季度专题"), Ok(Returned));
        assert_eq!(next_state(Returned, Submit, ""), Ok(Submitted));
        assert!(next_state(Draft, Approve, "").unwrap_err().contains("尚未报送"));
        assert!(next_state(Submitted, Submit, "").unwrap_err().contains("请勿重复"));
        assert!(next_state(Approved, Submit, "").unwrap_err().contains("更正"));
        assert!(Draft.editable() && Returned.editable() && !Submitted.editable() && !Approved.editable());
    }

    #[test]
    fn past_years_are_closed_to_plans() {
        let today = d(2026, 12, 1);
        assert!(check_plan_year(2026, today).is_ok());
        assert!(check_plan_year(2027, today).is_ok(), "next year's plan is written ahead");
        assert!(check_plan_year(2025, today).unwrap_err().contains("已经结束"));
        assert!(check_plan_year(2029, today).is_err());
    }

    #[test]
    fn rules_are_checked_and_paced() {
        let r = GroupRules::default();
        assert_eq!((r.sessions_per_year, r.thematic_per_year, r.attendance_min), (12, 4, 80));
        assert!(r.check().is_empty());
        let bad = GroupRules { sessions_per_year: 0, thematic_per_year: 3, attendance_min: 101 };
        let fields: Vec<&str> = bad.check().into_iter().map(|(f, _)| f).collect();
        assert_eq!(fields, vec!["sessions_per_year", "thematic_per_year", "attendance_min"]);
        assert_eq!(r.due_by(None), 12);
        assert_eq!(r.due_by(Some(3)), 3);
        let ten = GroupRules { sessions_per_year: 10, ..r };
        assert_eq!(ten.due_by(Some(1)), 1, "rounded up: a month never expects nothing");
        assert_eq!(ten.due_by(Some(6)), 5);
    }

    #[test]
    fn attendance_and_shortfalls() {
        assert_eq!(attendance_rate(0, 0), None);
        assert_eq!(attendance_rate(7, 9), Some(77.8));
        let r = GroupRules::default();
        assert!(below_threshold(Some(77.8), r) && !below_threshold(Some(80.0), r) && !below_threshold(None, r));
        let mut t = YearTally::default();
        for i in 0..10 {
            t.add(i % 5 == 0, 8, 10);
        }
        assert_eq!((t.sessions, t.thematic, t.rate()), (10, 2, Some(80.0)));
        let s = t.shortfalls(r, None);
        assert_eq!(s.len(), 2, "{s:?}");
        assert!(s[0].contains("差2次") && s[1].contains("专题研讨2次"));
        assert!(t.shortfalls(r, Some(6)).is_empty(), "on pace at mid-year");
        t.add(false, 0, 10);
        assert!(t.shortfalls(r, Some(6)).iter().any(|x| x.contains("低于80%")));
    }
}
