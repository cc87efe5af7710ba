//! The campaign notice (轮训通知) written from the campaign's data in the customary order
//! of 002: who and when, what, how, the quotas, the filing duties and the discipline. Each
//! paragraph states only what the campaign holds; the organiser never retypes a number.

use chrono::NaiveDate;

use crate::labels::Labeled;
use crate::time::chinese_day;
use crate::training::rules::{CampaignRules, TargetFilter};

/// An organiser and the body it files with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub filer: String,
    pub receiver: String,
}

/// What the notice is written from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeFacts {
    pub issuer: String,
    pub title: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    /// The target organisations' names and the sectors, roles and ranks in words.
    pub target_orgs: Vec<String>,
    pub target: TargetFilter,
    pub rules: CampaignRules,
    pub plan_deadline: Option<NaiveDate>,
    pub routes: Vec<Route>,
    /// The progress-report interval in words (每月末报送一次).
    pub progress: String,
    pub summary_deadline: Option<NaiveDate>,
}

const NUMERALS: [&str; 10] = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];

fn numeral(i: usize) -> String {
    NUMERALS.get(i).map_or_else(|| (i + 1).to_string(), |s| (*s).to_owned())
}

/// Who is trained, in words: 岳阳楼区、华容县所辖村、社区的书记（乡科级）.
fn whom(orgs: &str, t: &TargetFilter) -> String {
    let join = |v: Vec<&str>| v.join("、");
    let sectors = join(t.sectors.iter().map(|x| x.label()).collect());
    let roles = join(t.roles.iter().map(|x| x.label()).collect());
    let levels = join(t.rank_levels.iter().map(|x| x.label()).collect());
    let place = if sectors.is_empty() { orgs.to_owned() } else { format!("{orgs}所辖{sectors}") };
    let people = if roles.is_empty() { "党员干部".to_owned() } else { roles };
    let levels = if levels.is_empty() { String::new() } else { format!("（{levels}）") };
    format!("{place}的{people}{levels}")
}

/// The body's paragraphs; headings carry their numbering (一、 / （一）), which the
/// document layout recognises.
pub fn body(f: &NoticeFacts) -> Vec<String> {
    let mut out = Vec::new();
    out.push(format!(
        "为深入贯彻落实中央和省委、市委关于加强干部教育培训和基层党组织建设的部署要求，{}决定开展{}。现将有关事项通知如下。",
        f.issuer,
        f.title.trim_start_matches("关于").trim_end_matches("的通知").trim_start_matches("开展")
    ));
    let mut sections: Vec<(String, Vec<String>)> = Vec::new();

    let mut who = Vec::new();
    let orgs = if f.target_orgs.is_empty() { f.issuer.clone() } else { f.target_orgs.join("、") };
    who.push(format!("此次集中轮训对象是{}。", whom(&orgs, &f.target)));
    who.push(format!(
        "轮训时间为{}至{}，分期分批进行，确保在规定时间内完成轮训任务。",
        chinese_day(f.start),
        chinese_day(f.end)
    ));
    for b in &f.rules.batch_lengths {
        let days = if b.min_days == b.max_days {
            format!("{}天", b.min_days)
        } else {
            format!("{}至{}天", b.min_days, b.max_days)
        };
        who.push(format!("{}每期培训时间为{days}。", b.name));
    }
    sections.push(("轮训对象和时间".into(), who));

    if !f.rules.topics.is_empty() || !f.rules.materials.is_empty() {
        let mut what: Vec<String> =
            f.rules.topics.iter().enumerate().map(|(i, t)| format!("（{}）{t}。", numeral(i))).collect();
        if !f.rules.materials.is_empty() {
            what.push(format!("学习材料：{}。", f.rules.materials.join("、")));
        }
        sections.push(("轮训内容".into(), what));
    }

    if !f.rules.modes.is_empty() {
        let modes: Vec<&str> = f.rules.modes.iter().map(|m| m.label()).collect();
        sections.push((
            "方法步骤".into(),
            vec![format!("轮训采取{}等方式进行，注重理论联系实际，增强培训的针对性和实效性。", modes.join("、"))],
        ));
    }

    let mut asks = Vec::new();
    for q in &f.rules.quotas {
        // A name that already says how the group is trained ("村党组织书记参加市级集中培训")
        // is not told the level again.
        if q.name.contains("培训") {
            asks.push(format!("{}的比例不低于{}。", q.name, q.min_percent));
        } else {
            asks.push(format!("{}参加{}及以上集中培训的比例不低于{}。", q.name, q.level.label(), q.min_percent));
        }
    }
    asks.push(format!("参训学员请假累计不得超过培训时长的{}，超过的按规定作退学处理。", f.rules.max_leave_fraction));
    let c = &f.rules.credits;
    // "每年" for one year, "每3年" for several.
    let per = |years: u32| if years == 1 { "每年".to_owned() } else { format!("每{years}年") };
    asks.push(format!(
        "县处级以上干部{}年内累计参加培训不少于{}学时，其他干部{}不少于{}学时。",
        c.senior.years,
        c.senior.hours,
        per(c.junior.years),
        c.junior.hours
    ));
    sections.push(("有关要求".into(), asks));

    let mut filing = Vec::new();
    if let Some(d) = f.plan_deadline {
        let mut receivers: Vec<(&str, Vec<&str>)> = Vec::new();
        for r in &f.routes {
            match receivers.iter_mut().find(|(x, _)| *x == r.receiver) {
                Some((_, filers)) => filers.push(&r.filer),
                None => receivers.push((&r.receiver, vec![&r.filer])),
            }
        }
        let whom = receivers
            .iter()
            .map(|(rec, filers)| {
                if filers.len() > 3 {
                    format!("{}等{}个单位报{rec}", filers[..3].join("、"), filers.len())
                } else {
                    format!("{}报{rec}", filers.join("、"))
                }
            })
            .collect::<Vec<_>>()
            .join("；");
        let whom = if whom.is_empty() { String::new() } else { format!("，{whom}") };
        filing.push(format!("集中轮训实施方案请于{}前上报备案{whom}。", chinese_day(d)));
    }
    if !f.progress.is_empty() {
        filing.push(format!("培训期间要及时上报培训情况（{}），总结推介经验，同时做好资料收集存档工作。", f.progress));
    }
    match f.summary_deadline {
        Some(d) => filing.push(format!("轮训工作结束后，请于{}前上报工作总结。", chinese_day(d))),
        None => filing.push("轮训工作结束后要及时上报工作总结。".into()),
    }
    sections.push(("工作要求".into(), filing));

    sections.push((
        "加强组织领导".into(),
        vec![
            "各级要切实加强对轮训工作的组织和领导，统筹安排好培训班次、人员、课程、师资，抓好具体组织。".into(),
            "轮训工作要认真贯彻中央八项规定精神，严守纪律，厉行节约，严禁以培训名义公款吃喝、游山玩水。".into(),
        ],
    ));

    for (i, (head, paras)) in sections.into_iter().enumerate() {
        out.push(format!("{}、{head}", numeral(i)));
        out.extend(paras);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::training::rules::{BatchLengthRule, QuotaRule};
    use crate::training::{ClassLevel, Percent};

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn states_the_campaigns_own_figures_in_order() {
        let rules = CampaignRules {
            batch_lengths: vec![BatchLengthRule { name: "村党组织书记".into(), ..BatchLengthRule::any(5, 7) }],
            quotas: vec![QuotaRule {
                name: "村党组织书记".into(),
                level: ClassLevel::City,
                min_percent: Percent::whole(15),
                group: None,
            }],
            ..CampaignRules::default()
        };
        let f = NoticeFacts {
            issuer: "中共岳阳市委组织部".into(),
            title: "关于对基层党组织书记进行集中轮训的通知".into(),
            start: d(2026, 3, 1),
            end: d(2026, 6, 30),
            target_orgs: vec!["岳阳楼区".into(), "华容县".into()],
            target: TargetFilter {
                sectors: vec![crate::org::Sector::Village, crate::org::Sector::Community],
                roles: vec![crate::people::Role::Secretary],
                ..TargetFilter::default()
            },
            rules,
            plan_deadline: Some(d(2026, 3, 9)),
            routes: vec![
                Route { filer: "岳阳楼区委组织部".into(), receiver: "市委组织部".into() },
                Route { filer: "市直单位".into(), receiver: "市直机关工委".into() },
            ],
            progress: "每月末报送一次".into(),
            summary_deadline: Some(d(2026, 7, 15)),
        };
        let b = body(&f).join("\n");
        assert!(b.contains("决定开展对基层党组织书记进行集中轮训"), "{b}");
        assert!(b.contains("一、轮训对象和时间"));
        assert!(b.contains("此次集中轮训对象是岳阳楼区、华容县所辖村、社区的书记。"), "{b}");
        assert!(b.contains("2026年3月1日至2026年6月30日"));
        assert!(b.contains("村党组织书记每期培训时间为5至7天"));
        assert!(b.contains("村党组织书记参加市级及以上集中培训的比例不低于15%"));
        assert!(b.contains("请于2026年3月9日前上报备案，岳阳楼区委组织部报市委组织部；市直单位报市直机关工委"));
        assert!(b.contains("请于2026年7月15日前上报工作总结"));
        assert!(b.contains("其他干部每年不少于90学时"), "{b}");
        // Sections are numbered in order, without gaps.
        assert!(b.contains("五、工作要求") && b.contains("六、加强组织领导"));
    }
}
