//! The demo's central study groups (004): 岳阳楼区委's group and two street groups, each
//! with members, this year's annual plan (the district's approved, one street's waiting
//! for approval, the other's returned with comments), monthly sessions over the past
//! eleven months with attendance and speeches, research topics and annual study reports.
//! One street group studied only every other month, for a new user to find short of
//! sessions on the group list and in its ledger.

use chrono::{Datelike, Days, Months};
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::{MemberRole, PlanAction, Presence, ReportKind};
use xuepei_store::meetings::{self, PersonKey, PersonLabel};
use xuepei_store::study_groups::plans::{self, PlanInput, Topic};
use xuepei_store::study_groups::reports::{self, ReportInput};
use xuepei_store::study_groups::sessions::{self, SessionInput};
use xuepei_store::study_groups::{self, GroupInput};
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, org};

use crate::demo_meetings::COUNTY;

/// Monthly topics of an annual plan.
const TOPICS: [&str; 12] = [
    "深入学习贯彻党的二十大精神",
    "学习习近平新时代中国特色社会主义思想的世界观和方法论",
    "学习习近平总书记考察湖南重要讲话精神",
    "学习习近平总书记关于党的建设的重要思想",
    "学习习近平经济思想，推动高质量发展",
    "学习习近平生态文明思想，守护好一江碧水",
    "学习习近平法治思想",
    "学习习近平总书记关于基层治理的重要论述",
    "学习习近平文化思想",
    "学习习近平总书记关于全面从严治党的重要论述",
    "学习中央经济工作会议精神",
    "学习习近平总书记关于乡村振兴的重要论述",
];

const SPEECHES: [&str; 4] = [
    "结合分管工作谈了学习体会，提出要把学习成果转化为推动工作的具体举措。",
    "联系本领域实际，查找了工作中的短板弱项，提出了三条改进措施。",
    "围绕学习专题作了交流发言，建议加强调查研究，推动政策落地见效。",
    "谈了对学习内容的理解，表示要以学促干、真抓实干。",
];

/// What the scenario made.
#[derive(Debug, Default)]
pub struct GroupsSummary {
    pub groups: usize,
    pub sessions: usize,
    pub reports: usize,
    pub short: Vec<String>,
}

impl std::fmt::Display for GroupsSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "演示理论学习中心组：{} 个中心组，{} 次集中学习，{} 份调研和述学报告；集中学习次数不足的：{}（见“理论学习中心组”）",
            self.groups,
            self.sessions,
            self.reports,
            self.short.join("、")
        )
    }
}

fn role_of(i: usize, n: usize) -> MemberRole {
    match i {
        0 => MemberRole::Leader,
        1 => MemberRole::Deputy,
        _ if i == n - 1 && n > 5 => MemberRole::Attendee,
        _ => MemberRole::Member,
    }
}

/// Sets up the groups. Idempotent only on empty study-group tables (the demo's).
pub async fn seed_study_groups(db: &DatabaseConnection) -> Result<GroupsSummary, String> {
    let e = |e: xuepei_store::StoreError| e.reasons();
    let sys = Scope::system();
    let county = org::get_by_code(db, &sys, COUNTY).await.map_err(|e| e.to_string())?;
    let scope = Scope::of_org(db, county.id).await.map_err(|e| e.to_string())?;
    let mut bodies: Vec<(String, i64)> = vec![(county.code.clone(), county.id)];
    for node in org::children(db, &scope, Some(county.id), false).await.map_err(|e| e.to_string())? {
        if bodies.len() >= 3 {
            break;
        }
        let people = meetings::people_of(db, &scope, node.org.id).await.map_err(|e| e.to_string())?;
        if people.len() >= 4 && node.org.code.len() == 9 {
            bodies.push((node.org.code.clone(), node.org.id));
        }
    }
    let today = xuepei_domain::time::today();
    let first = today.checked_sub_months(Months::new(11)).and_then(|d| d.with_day(1)).ok_or("日期计算出错")?;
    let tx = Tx::begin(db, &scope, &Actor::operator("演示数据")).await.map_err(|e| e.to_string())?;
    let mut s = GroupsSummary::default();
    for (b, (code, org_id)) in bodies.iter().enumerate() {
        let people: Vec<PersonLabel> = meetings::people_of(tx.conn(), &scope, *org_id)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .take(9)
            .collect();
        if people.len() < 3 {
            continue;
        }
        let n = people.len();
        let g = study_groups::create(
            &tx,
            &GroupInput {
                org: code.clone(),
                name: String::new(),
                // The district's group reports to the district committee itself; streets to the district.
                approver: county.code.clone(),
                members: people
                    .iter()
                    .enumerate()
                    .map(|(i, p)| (PersonKey::Id(p.id), role_of(i, n).code().to_owned()))
                    .collect(),
            },
        )
        .await
        .map_err(e)?;
        s.groups += 1;
        let plan = plans::create(
            &tx,
            g.id,
            &PlanInput {
                year: Some(today.year()),
                kind: String::new(),
                title: String::new(),
                topics: TOPICS
                    .iter()
                    .enumerate()
                    .map(|(i, t)| Topic { month: u32::try_from(i + 1).unwrap_or(1), topic: (*t).to_owned() })
                    .collect(),
                body: format!(
                    "为深入学习贯彻习近平新时代中国特色社会主义思想，推动{}理论学习中心组学习制度化、规范化，制定本计划。全年集中学习不少于12次，其中专题研讨不少于4次。",
                    g.org.name
                ),
            },
        )
        .await
        .map_err(e)?;
        plans::act(&tx, plan.id, PlanAction::Submit, "").await.map_err(e)?;
        match b {
            0 => {
                plans::act(&tx, plan.id, PlanAction::Approve, "同意。").await.map_err(e)?;
            }
            1 => {
                plans::act(&tx, plan.id, PlanAction::Return, "请补充第三季度专题研讨安排，明确每次研讨的领学人。")
                    .await
                    .map_err(e)?;
            }
            _ => {}
        }
        // Sessions: monthly for the district, every other month for the first street.
        let mut month = first;
        let mut m = 0usize;
        while month <= today {
            let date = month + Days::new(9 + (b as u64));
            if date <= today && !(b == 1 && m % 2 == 1) {
                let thematic = m % 3 == 2;
                let lead_at = if m % 4 == 3 { 1 } else { 0 };
                let lead = PersonKey::Id(people[lead_at].id);
                // Who was there: the lead learner always; now and then someone on leave or absent.
                let presence: Vec<(Presence, &str)> = (0..n)
                    .map(|i| match (i + m) % 7 {
                        3 if i > 0 && i != lead_at => (Presence::Leave, "因公出差"),
                        5 if i > 1 && i != lead_at && m.is_multiple_of(2) => (Presence::Absent, "未请假"),
                        _ => (Presence::Present, ""),
                    })
                    .collect();
                let attendance = people
                    .iter()
                    .zip(&presence)
                    .map(|(p, (presence, reason))| {
                        (PersonKey::Id(p.id), presence.code().to_owned(), (*reason).to_owned())
                    })
                    .collect();
                // Only those present speak: up to three of them besides the group leader.
                let speeches = (1..n)
                    .filter(|&i| presence[i].0 == Presence::Present)
                    .take(3)
                    .map(|i| {
                        (
                            PersonKey::Id(people[i].id),
                            format!("{}{}", people[i].name, SPEECHES[(i + m) % SPEECHES.len()]),
                        )
                    })
                    .collect();
                let topic = TOPICS[(month.month() as usize + 11) % 12];
                sessions::create(
                    &tx,
                    g.id,
                    &SessionInput {
                        date: Some(date),
                        topic: if thematic { format!("专题研讨：{topic}") } else { topic.to_owned() },
                        thematic,
                        lead: Some(lead),
                        attendance,
                        speeches,
                        notes: format!("{}主持学习并领学，与会同志逐一交流发言。", people[0].name),
                        materials: Vec::new(),
                    },
                )
                .await
                .map_err(e)?;
                s.sessions += 1;
            }
            m += 1;
            month = month.checked_add_months(Months::new(1)).ok_or("日期计算出错")?;
        }
        reports::create(
            &tx,
            g.id,
            &ReportInput {
                year: Some(today.year()),
                kind: ReportKind::Research.code().into(),
                person: Some(PersonKey::Id(people[1].id)),
                title: format!("关于{}基层治理现代化的调研报告", g.org.name),
                body: "一、基本情况\n二、存在的问题\n三、对策建议".into(),
                done_on: Some(today - Days::new(20)),
            },
        )
        .await
        .map_err(e)?;
        s.reports += 1;
        for p in people.iter().take(3) {
            reports::create(
                &tx,
                g.id,
                &ReportInput {
                    year: Some(today.year()),
                    kind: ReportKind::Annual.code().into(),
                    person: Some(PersonKey::Id(p.id)),
                    title: String::new(),
                    body: format!(
                        "本年度，{}坚持把学习习近平新时代中国特色社会主义思想作为首要政治任务，参加中心组集中学习，自学重要讲话，开展调查研究，以学促干。",
                        p.name
                    ),
                    done_on: Some(today),
                },
            )
            .await
            .map_err(e)?;
            s.reports += 1;
        }
        let rows = study_groups::ledger::ledger(tx.conn(), &scope, g.id, today.year()).await.map_err(e)?;
        if !rows.tally.shortfalls.is_empty() {
            s.short.push(g.name.clone());
        }
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(s)
}
