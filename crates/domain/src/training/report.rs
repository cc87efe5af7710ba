//! Reports drafted from the data (issue 14 item 2): a progress report or a work summary of
//! an organiser, written from the figures xuepei holds in the customary structure of such
//! reports (一、基本情况 二、主要做法 三、存在问题 四、下步打算). The organiser edits the
//! text before filing it; every figure the text states is listed with the view it came from,
//! so the receiver can trace it.
//!
//! Pure: the store gathers [`Facts`]; this module only writes.

use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::Hours;
use super::filing::{FilingKind, TITLE_MAX};
use super::funding::yuan;

/// A view of xuepei a figure is read from; the web layer links it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum View {
    /// The campaign's coverage over the organiser's subtree.
    Coverage,
    /// The campaign's classes (timetables, attendance sheets).
    Classes,
    /// The campaign's funding totals.
    Funds,
}

impl View {
    pub fn label(self) -> &'static str {
        match self {
            View::Coverage => "覆盖情况",
            View::Classes => "班次与课程安排",
            View::Funds => "经费情况",
        }
    }
}

/// One figure the draft states, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub label: String,
    pub value: String,
    pub view: View,
}

/// A quota of the campaign over the organiser's subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaFact {
    pub name: String,
    /// 不低于30% and the like.
    pub required: String,
    /// The share reached (none when the group is empty).
    pub actual: Option<String>,
    pub met: Option<bool>,
}

/// What xuepei holds about one organiser's part of a campaign, as of a day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub kind: FilingKind,
    pub period: u32,
    pub organiser: String,
    pub campaign: String,
    pub campaign_start: NaiveDate,
    pub campaign_end: NaiveDate,
    pub as_of: NaiveDate,
    /// The day it is drafted: coverage is read as of it (a progress report's period may
    /// end earlier).
    pub drafted_on: NaiveDate,
    /// Classes of the campaign organised in the subtree; of them begun by `as_of`, and
    /// completed (结业); past their end day but not completed.
    pub classes: u64,
    pub classes_begun: u64,
    pub classes_completed: u64,
    pub classes_overdue: u64,
    /// Sessions held by `as_of` and their hours.
    pub sessions: u64,
    pub hours: Hours,
    /// Sessions by teaching mode (label, count), most first.
    pub modes: Vec<(String, u64)>,
    /// Topics taught, in the order first taught (a few).
    pub topics: Vec<String>,
    /// On-site sessions by venue (name, count), most used first.
    pub sites: Vec<(String, u64)>,
    /// Coverage over the subtree: target people, planned in a batch, enrolled, trained.
    pub target: i64,
    pub planned: i64,
    pub enrolled: i64,
    pub trained: i64,
    pub quotas: Vec<QuotaFact>,
    /// Attendance marks: present, late, leave, absent.
    pub present: u64,
    pub late: u64,
    pub leave: u64,
    pub absent: u64,
    /// Money in fen: budget and expense; expense by source (label, fen); classes with a
    /// budget or expense over a cap.
    pub budget_fen: i64,
    pub expense_fen: i64,
    pub expense_by_source: Vec<(String, i64)>,
    pub over_cap: u64,
}

/// A drafted report: title, body and the figures it states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub title: String,
    pub body: String,
    pub figures: Vec<Figure>,
}

/// A share "43.8%" of `n` in `d` (one decimal, half up; never 100.0% while one is missing).
pub fn share(n: i64, d: i64) -> String {
    if d <= 0 {
        return "—".to_owned();
    }
    let n = n.clamp(0, d);
    let mut tenths = (n * 2000 + d) / (2 * d);
    if n < d {
        tenths = tenths.min(999);
    }
    format!("{}.{}%", tenths / 10, tenths % 10)
}

const ORDINALS: [&str; 8] = ["一", "二", "三", "四", "五", "六", "七", "八"];

/// Writes numbered points (一是……二是……) as one paragraph.
fn points(items: &[String]) -> String {
    items.iter().zip(ORDINALS).map(|(t, o)| format!("{o}是{t}")).collect::<String>()
}

/// Drafts the report. Only what the data shows is stated; where a part has no data, the
/// text says so plainly for the organiser to complete.
pub fn draft(f: &Facts) -> Draft {
    let mut figures = Vec::new();
    let mut fig = |label: &str, value: String, view: View| {
        figures.push(Figure { label: label.to_owned(), value: value.clone(), view });
        value
    };
    let summary = f.kind == FilingKind::Summary;
    let mut title = if summary {
        format!("{}关于{}的工作总结", f.organiser, f.campaign)
    } else {
        format!("{}关于{}第{}期进度情况的报告", f.organiser, f.campaign, f.period)
    };
    // A long campaign title would not fit the filing's title: the short form then.
    if title.chars().count() > TITLE_MAX {
        title = if summary {
            format!("{}轮训工作总结", f.organiser)
        } else {
            format!("{}第{}期轮训进度报告", f.organiser, f.period)
        };
        title = title.chars().take(TITLE_MAX).collect();
    }

    // 一、基本情况
    let mut basic = format!(
        "按照“{}”工作部署，{}自{}起组织开展集中轮训{}。截至{}，",
        // Quotes inside quotes become single ones.
        f.campaign.replace('“', "‘").replace('”', "’"),
        f.organiser,
        crate::time::chinese_day(f.campaign_start),
        if summary { format!("，至{}结束", crate::time::chinese_day(f.campaign_end)) } else { String::new() },
        crate::time::chinese_day(f.as_of),
    );
    if f.classes == 0 {
        basic.push_str("本单位尚未在系统中举办班次。");
    } else {
        let classes = fig("安排班次（个）", f.classes.to_string(), View::Classes);
        let begun = fig("已开班（个）", f.classes_begun.to_string(), View::Classes);
        let done = fig("已结业（个）", f.classes_completed.to_string(), View::Classes);
        let _ = write!(basic, "共安排班次{classes}个，已开班{begun}个、结业{done}个");
        if f.sessions > 0 {
            let s = fig("已开展教学（次）", f.sessions.to_string(), View::Classes);
            let h = fig("已开展教学（学时）", f.hours.to_string(), View::Classes);
            let _ = write!(basic, "，开展教学{s}次、{h}学时");
        }
        basic.push('。');
    }
    if f.target > 0 {
        let t = fig("参训对象（人）", f.target.to_string(), View::Coverage);
        let p = fig("已安排参加班次（人）", f.planned.to_string(), View::Coverage);
        let e = fig("已参训（人）", f.enrolled.to_string(), View::Coverage);
        let ep = fig("参训率", share(f.enrolled, f.target), View::Coverage);
        let r = fig("已结业（人）", f.trained.to_string(), View::Coverage);
        let rp = fig("结业率", share(f.trained, f.target), View::Coverage);
        let _ = write!(basic, "全部参训对象{t}人，已安排参加班次{p}人，已参训{e}人（占{ep}），已结业{r}人（占{rp}）。");
    } else {
        basic.push_str("系统中尚无符合本次轮训条件的参训对象，请核对人员信息。");
    }
    let met: Vec<String> = f
        .quotas
        .iter()
        .filter(|q| q.met == Some(true))
        .filter_map(|q| {
            let a = q.actual.clone()?;
            Some(format!(
                "“{}”{}（要求{}）",
                q.name,
                fig(&format!("{}（要求{}）", q.name, q.required), a, View::Coverage),
                q.required
            ))
        })
        .collect();
    if !met.is_empty() {
        let _ = write!(basic, "{}，已达到要求。", met.join("，"));
    }

    // 二、主要做法
    let mut ways = Vec::new();
    if !f.modes.is_empty() {
        let names: Vec<&str> = f.modes.iter().map(|(m, _)| m.as_str()).collect();
        let counts: Vec<String> = f
            .modes
            .iter()
            .map(|(m, n)| format!("{m}{}次", fig(&format!("{m}（次）"), n.to_string(), View::Classes)))
            .collect();
        ways.push(format!("丰富教学形式，采取{}等方式组织教学，其中{}。", names.join("、"), counts.join("、")));
    }
    if !f.topics.is_empty() {
        let topics: String = f.topics.iter().map(|t| format!("“{t}”")).collect();
        ways.push(format!("突出教学内容，围绕{topics}等专题开展教学。"));
    }
    let marks = f.present + f.late + f.leave + f.absent;
    if marks > 0 {
        let m = fig("考勤记录（人次）", marks.to_string(), View::Classes);
        let p = fig("出勤（人次）", f.present.to_string(), View::Classes);
        let rate = fig(
            "出勤率（含迟到）",
            share(i64::try_from(f.present + f.late).unwrap_or(0), i64::try_from(marks).unwrap_or(0)),
            View::Classes,
        );
        let late = fig("迟到（人次）", f.late.to_string(), View::Classes);
        let leave = fig("请假（人次）", f.leave.to_string(), View::Classes);
        let absent = fig("缺勤（人次）", f.absent.to_string(), View::Classes);
        ways.push(format!(
            "严格学员管理，逐次考勤，共记录考勤{m}人次，其中出勤{p}人次、迟到{late}人次、请假{leave}人次、缺勤{absent}人次，出勤率{rate}。"
        ));
    }
    if !f.sites.is_empty() {
        let sites: Vec<&str> = f.sites.iter().map(|(s, _)| s.as_str()).collect();
        ways.push(format!("用好实践教学资源，在{}等地开展现场教学。", sites.join("、")));
    }
    if f.budget_fen > 0 || f.expense_fen > 0 {
        let b = fig("经费预算（元）", yuan(f.budget_fen), View::Funds);
        let e = fig("经费支出（元）", yuan(f.expense_fen), View::Funds);
        let mut t = format!("落实经费保障，安排预算{b}元，已支出{e}元");
        if !f.expense_by_source.is_empty() {
            let by: Vec<String> = f
                .expense_by_source
                .iter()
                .map(|(s, v)| format!("{s}{}元", fig(&format!("经费支出：{s}（元）"), yuan(*v), View::Funds)))
                .collect();
            let _ = write!(t, "，其中{}", by.join("、"));
        }
        t.push('。');
        ways.push(t);
    }
    let ways = if ways.is_empty() {
        "（系统中尚无教学、考勤和经费记录，请补充本单位的主要做法。）".to_owned()
    } else {
        points(&ways)
    };

    // 三、存在问题 and 四、下步打算, each problem with its remedy.
    let mut problems = Vec::new();
    let mut next = Vec::new();
    if f.target > 0 && f.planned < f.target && !summary {
        let n = fig("尚未安排班次（人）", (f.target - f.planned).to_string(), View::Coverage);
        problems.push(format!("还有{n}名参训对象尚未安排班次，离“全覆盖”要求仍有差距。"));
        next.push("抓紧摸清未安排人员情况，编入后续班次，确保参训对象全覆盖。".to_owned());
    }
    if f.target > 0 && f.trained < f.target && summary {
        let n = fig("尚未结业（人）", (f.target - f.trained).to_string(), View::Coverage);
        problems.push(format!("还有{n}名参训对象未完成轮训结业。"));
        next.push("对未完成轮训的人员组织补训，逐人销号。".to_owned());
    }
    let missed: Vec<&QuotaFact> = f.quotas.iter().filter(|q| q.met == Some(false)).collect();
    if !missed.is_empty() {
        let m: Vec<String> = missed
            .iter()
            .map(|q| {
                let actual = match &q.actual {
                    Some(a) => fig(&format!("{}（要求{}）", q.name, q.required), a.clone(), View::Coverage),
                    None => "—".to_owned(),
                };
                format!("“{}”要求{}，目前为{actual}", q.name, q.required)
            })
            .collect();
        problems.push(format!("{}，尚未达到要求。", m.join("；")));
        next.push("按照比例要求调剂名额，优先安排相关人员参加上级班次。".to_owned());
    }
    if f.absent > 0 || f.leave > 0 {
        let mut what = Vec::new();
        if f.leave > 0 {
            what.push(format!("请假{}人次", f.leave));
        }
        if f.absent > 0 {
            what.push(format!("缺勤{}人次", f.absent));
        }
        problems.push(format!("学员出勤仍有不足，共{}，需加强学员管理。", what.join("、")));
        next.push("严格请销假和考勤管理，对请假、缺课人员及时组织补学。".to_owned());
    }
    if f.classes_overdue > 0 {
        let n = fig("已过结束日期未结业（个）", f.classes_overdue.to_string(), View::Classes);
        problems.push(format!("有{n}个班次已过结束日期，尚未办理结业。"));
        next.push("及时办理班次结业，登记学员学时。".to_owned());
    }
    if f.over_cap > 0 {
        let n = fig("经费超出开支标准的班次（个）", f.over_cap.to_string(), View::Funds);
        problems.push(format!("有{n}个班次的经费预算或支出超出开支标准。"));
        next.push("严格执行培训费开支标准，对超标准的经费逐条核查纠正。".to_owned());
    }
    if problems.is_empty() {
        problems.push(if f.classes == 0 && f.target <= 0 {
            "系统中尚无本单位的轮训数据，存在问题请结合实际补充。".to_owned()
        } else {
            "从系统数据看，各项指标均符合要求；在学用结合、成果转化方面仍需进一步加强。".to_owned()
        });
    }
    if summary {
        next.push("巩固轮训成果，推动学习培训常态化、制度化，把学习成果转化为推动工作的实际成效。".to_owned());
    } else {
        next.push("按照实施方案，继续抓好后续班次的组织实施和跟踪管理，确保按期完成轮训任务。".to_owned());
    }

    let mut body = String::new();
    let _ = writeln!(body, "一、基本情况");
    let _ = writeln!(body, "{basic}");
    let _ = writeln!(body, "二、主要做法");
    let _ = writeln!(body, "{ways}");
    let _ = writeln!(body, "三、存在问题");
    let _ = writeln!(body, "{}", points(&problems));
    let _ = writeln!(body, "四、下步打算");
    let _ = writeln!(body, "{}", points(&next));
    if f.drafted_on > f.as_of {
        let _ = write!(
            body,
            "（本报告中的教学、考勤和经费数字截至{}，参训人数为{}的数据，均取自学培系统，起草后请核对修改。）",
            crate::time::chinese_day(f.as_of),
            crate::time::chinese_day(f.drafted_on)
        );
    } else {
        let _ = write!(
            body,
            "（本报告中的数字截至{}，取自学培系统，起草后请核对修改。）",
            crate::time::chinese_day(f.as_of)
        );
    }
    Draft { title, body, figures }
}

/// Whether a line is the note a drafted text ends with (where its figures came from), for
/// the editor only: documents printed from the text leave it out.
pub fn is_drafting_note(line: &str) -> bool {
    let l = line.trim();
    l.starts_with("（本报告中的") && l.ends_with("起草后请核对修改。）")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> Facts {
        let d = |m, day| NaiveDate::from_ymd_opt(2026, m, day).expect("date");
        Facts {
            kind: FilingKind::Progress,
            period: 2,
            organiser: "云溪区".into(),
            campaign: "学习贯彻集中轮训".into(),
            campaign_start: d(3, 1),
            campaign_end: d(6, 30),
            as_of: d(4, 30),
            drafted_on: d(4, 30),
            classes: 4,
            classes_begun: 3,
            classes_completed: 2,
            classes_overdue: 1,
            sessions: 12,
            hours: Hours::from_hundredths(3600),
            modes: vec![("专题辅导".into(), 8), ("现场观摩".into(), 4)],
            topics: vec!["党的二十大精神".into(), "乡村振兴".into()],
            sites: vec![("张谷英村".into(), 4)],
            target: 320,
            planned: 300,
            enrolled: 280,
            trained: 140,
            quotas: vec![QuotaFact {
                name: "村（社区）书记".into(),
                required: "不低于30%".into(),
                actual: Some("25.0%".into()),
                met: Some(false),
            }],
            present: 900,
            late: 20,
            leave: 30,
            absent: 10,
            budget_fen: 12_000_000,
            expense_fen: 8_000_050,
            expense_by_source: vec![("财政资金".into(), 8_000_050)],
            over_cap: 1,
        }
    }

    #[test]
    fn a_progress_report_states_the_figures_in_the_customary_four_parts() {
        let d = draft(&facts());
        let note = d.body.lines().last().expect("note");
        assert!(is_drafting_note(note), "{note}");
        assert_eq!(d.body.lines().filter(|l| is_drafting_note(l)).count(), 1, "only the note");
        assert_eq!(d.title, "云溪区关于学习贯彻集中轮训第2期进度情况的报告");
        let heads: Vec<&str> = d.body.lines().filter(|l| l.chars().count() <= 6).collect();
        assert_eq!(heads, ["一、基本情况", "二、主要做法", "三、存在问题", "四、下步打算"]);
        for s in [
            "截至2026年4月30日",
            "共安排班次4个，已开班3个、结业2个，开展教学12次、36学时",
            "全部参训对象320人，已安排参加班次300人，已参训280人（占87.5%），已结业140人（占43.8%）",
            "采取专题辅导、现场观摩等方式组织教学，其中专题辅导8次、现场观摩4次",
            "围绕“党的二十大精神”“乡村振兴”等专题",
            "出勤900人次、迟到20人次、请假30人次、缺勤10人次，出勤率95.8%",
            "在张谷英村等地开展现场教学",
            "安排预算120000.00元，已支出80000.50元，其中财政资金80000.50元",
            "还有20名参训对象尚未安排班次",
            "“村（社区）书记”要求不低于30%，目前为25.0%，尚未达到要求",
            "有1个班次已过结束日期",
            "有1个班次的经费预算或支出超出开支标准",
            "继续抓好后续班次",
        ] {
            assert!(d.body.contains(s), "missing {s} in\n{}", d.body);
        }
        // Every figure stated is listed with its view.
        for (label, value, view) in [
            ("参训对象（人）", "320", View::Coverage),
            ("结业率", "43.8%", View::Coverage),
            ("经费支出（元）", "80000.50", View::Funds),
            ("已开展教学（学时）", "36", View::Classes),
            ("村（社区）书记（要求不低于30%）", "25.0%", View::Coverage),
        ] {
            assert!(
                d.figures.iter().any(|f| f.label == label && f.value == value && f.view == view),
                "{label} = {value} not listed: {:?}",
                d.figures
            );
        }
        for f in &d.figures {
            assert!(d.body.contains(&f.value), "{} = {} listed but not stated", f.label, f.value);
        }
    }

    #[test]
    fn a_summary_with_nothing_recorded_says_so_and_names_no_problem_it_cannot_see() {
        let mut f = facts();
        f.kind = FilingKind::Summary;
        f.classes = 0;
        f.classes_begun = 0;
        f.classes_completed = 0;
        f.classes_overdue = 0;
        f.sessions = 0;
        f.modes.clear();
        f.topics.clear();
        f.sites.clear();
        f.target = 0;
        f.quotas.clear();
        (f.present, f.late, f.leave, f.absent) = (0, 0, 0, 0);
        (f.budget_fen, f.expense_fen, f.over_cap) = (0, 0, 0);
        f.expense_by_source.clear();
        let d = draft(&f);
        assert_eq!(d.title, "云溪区关于学习贯彻集中轮训的工作总结");
        assert!(d.body.contains("至2026年6月30日结束"));
        assert!(d.body.contains("本单位尚未在系统中举办班次"));
        // A campaign whose name quotes: single quotes inside the double ones.
        f.campaign = "全市村（社区）“两委”干部冬训".into();
        assert!(draft(&f).body.contains("按照“全市村（社区）‘两委’干部冬训”工作部署"));
        assert!(d.body.contains("请补充本单位的主要做法"));
        assert!(d.body.contains("系统中尚无本单位的轮训数据"));
        assert!(d.body.contains("巩固轮训成果"));
        assert!(d.figures.is_empty());
    }

    #[test]
    fn a_met_quota_is_stated_with_its_share_and_a_long_title_is_shortened() {
        let mut f = facts();
        f.quotas[0].actual = Some("35.0%".into());
        f.quotas[0].met = Some(true);
        f.campaign = "轮".repeat(190);
        let d = draft(&f);
        assert!(d.body.contains("“村（社区）书记”35.0%（要求不低于30%），已达到要求"), "{}", d.body);
        assert_eq!(d.title, "云溪区第2期轮训进度报告");
        for g in &d.figures {
            assert!(d.body.contains(&g.value), "{} = {} listed but not stated", g.label, g.value);
        }
        for s in ["迟到（人次）", "请假（人次）", "缺勤（人次）", "经费支出：财政资金（元）"]
        {
            assert!(d.figures.iter().any(|g| g.label == s), "{s} not listed");
        }
    }

    #[test]
    fn a_summary_names_those_not_trained() {
        let mut f = facts();
        f.kind = FilingKind::Summary;
        let d = draft(&f);
        assert!(d.body.contains("还有180名参训对象未完成轮训结业"), "{}", d.body);
        assert!(!d.body.contains("尚未安排班次"), "one problem, said once: {}", d.body);
    }

    #[test]
    fn shares_never_round_up_to_whole() {
        assert_eq!(share(999, 1000), "99.9%");
        assert_eq!(share(1, 3), "33.3%");
        assert_eq!(share(5, 0), "—");
    }
}
