//! The demo's committee meetings (001 §一): a year of 岳阳楼区's district committee
//! meetings, twice a month, and monthly meetings of two of its street committees, each
//! opening with theory study (the newest important speech of the library first when
//! there is one), with discussion notes, speakers and the work measures they produced —
//! except a few whose first item was business, for a new user to find on
//! 第一议题落实情况.

use chrono::{Datelike, Days, Months, NaiveDate};
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::meetings::{MeasureStatus, StudyForm, StudySource};
use xuepei_store::meetings::{self, ItemInput, MeasureInput, MeetingInput, PersonKey, PersonLabel, StudyInput};
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, org};

/// 岳阳楼区.
pub const COUNTY: &str = "430602";

/// What was studied, by source category.
const STUDIES: [(&str, StudySource); 12] = [
    ("习近平总书记在湖南考察时的重要讲话", StudySource::Speech),
    ("习近平总书记关于防汛救灾工作的重要指示精神", StudySource::Instruction),
    ("《习近平谈治国理政》第四卷《坚持以人民为中心的发展思想》", StudySource::Original),
    ("党中央关于推动长江经济带高质量发展的决策部署", StudySource::Decision),
    ("习近平总书记在全国组织工作会议上的重要讲话", StudySource::Speech),
    ("习近平总书记关于基层治理的重要指示精神", StudySource::Instruction),
    ("《习近平新时代中国特色社会主义思想学习纲要》有关章节", StudySource::Original),
    ("中央经济工作会议精神", StudySource::Decision),
    ("习近平总书记在新时代推动中部地区崛起座谈会上的重要讲话", StudySource::Speech),
    ("习近平总书记关于安全生产的重要指示批示精神", StudySource::Instruction),
    ("《论党的自我革命》有关篇目", StudySource::Original),
    ("党中央关于全面推进乡村振兴的决策部署", StudySource::Decision),
];

const BUSINESS: [&str; 6] = [
    "研究部署防汛抗旱工作",
    "审议区重点项目推进情况",
    "研究优化营商环境工作",
    "研究城市更新和老旧小区改造工作",
    "听取安全生产工作汇报",
    "研究全区基层党建工作",
];

const MEASURES: [&str; 6] = [
    "制定贯彻落实工作方案，明确责任单位和完成时限",
    "开展专题调研，形成调研报告",
    "修订完善相关工作制度",
    "召开专题推进会，逐项督办落实",
    "将学习成果纳入年度重点工作清单",
    "组织党员干部开展专题宣讲",
];

/// What the scenario made.
#[derive(Debug, Default)]
pub struct MeetingsSummary {
    pub meetings: usize,
    pub flagged: usize,
    pub measures: usize,
}

impl std::fmt::Display for MeetingsSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "演示会议第一议题：岳阳楼区 {} 次党委（党工委）会议，{} 项成果转化措施，其中 {} 次第一项议题不是理论学习（见“第一议题落实情况”）",
            self.meetings, self.measures, self.flagged
        )
    }
}

/// A meeting of `code`'s committee on `date`; `study` selects what opened it (none: business).
fn meeting(
    code: &str,
    kind: &str,
    date: NaiveDate,
    people: &[PersonLabel],
    study: Option<usize>,
    n: usize,
    offered: &[(i64, String)],
) -> MeetingInput {
    let person = |i: usize| PersonKey::Id(people[i % people.len()].id);
    let business = ItemInput { title: BUSINESS[n % BUSINESS.len()].into(), study: None };
    let mut agenda = Vec::new();
    if let Some(s) = study {
        let (title, source) = STUDIES[s % STUDIES.len()];
        // The newest important speeches of the library open some meetings.
        let linked = (source == StudySource::Speech).then(|| offered.get(n % offered.len().max(1))).flatten();
        let form = [StudyForm::Discussion, StudyForm::LeadReading, StudyForm::Relay][n % 3];
        agenda.push(ItemInput {
            title: String::new(),
            study: Some(StudyInput {
                title: linked.map_or_else(|| title.to_owned(), |(_, t)| t.clone()),
                source: source.code().into(),
                // The principal leads most; a team member now and then.
                lead: Some(if n % 4 == 3 { person(1 + n % 3) } else { person(0) }),
                form: form.code().into(),
                materials: linked.map(|(id, _)| *id).into_iter().collect(),
                reference: String::new(),
                notes: format!(
                    "{}领学后，与会同志结合分管工作交流学习体会，一致认为要把学习成果转化为推动工作的具体举措。",
                    people[0].name
                ),
                speakers: (1..people.len().min(4)).map(person).collect(),
            }),
        });
    }
    agenda.push(business);
    agenda.push(ItemInput { title: BUSINESS[(n + 3) % BUSINESS.len()].into(), study: None });
    // Now and then a member is away: never the chair, the lead learner or a speaker
    // (those absent neither chair, lead nor speak).
    let busy: Vec<PersonKey> = agenda
        .iter()
        .filter_map(|i| i.study.as_ref())
        .flat_map(|s| s.lead.iter().chain(s.speakers.iter()).cloned())
        .chain(std::iter::once(person(0)))
        .collect();
    let away = (n % 3 == 1 && people.len() > 4)
        .then(|| (1..people.len()).rev().map(person).find(|k| !busy.contains(k)))
        .flatten();
    let attendees: Vec<PersonKey> = (0..people.len()).map(person).filter(|k| Some(k) != away.as_ref()).collect();
    let absentees: Vec<(PersonKey, String)> = away.into_iter().map(|k| (k, "外出参加培训".to_owned())).collect();
    MeetingInput {
        org: code.into(),
        kind: kind.into(),
        date: Some(date),
        chair: Some(person(0)),
        attendees,
        absentees,
        agenda,
    }
}

/// Records the year of meetings. Idempotent only on an empty meetings table (the demo's).
pub async fn seed_meetings(db: &DatabaseConnection) -> Result<MeetingsSummary, String> {
    let sys = Scope::system();
    let county = org::get_by_code(db, &sys, COUNTY).await.map_err(|e| e.to_string())?;
    let scope = Scope::of_org(db, county.id).await.map_err(|e| e.to_string())?;
    let mut bodies = vec![(county.code.clone(), county.id, 2u32, "committee")];
    for node in org::children(db, &scope, Some(county.id), false).await.map_err(|e| e.to_string())? {
        if bodies.len() >= 3 {
            break;
        }
        let people = meetings::people_of(db, &scope, node.org.id).await.map_err(|e| e.to_string())?;
        if people.len() >= 3 && node.org.code.len() == 9 {
            let kind = match node.org.kind {
                xuepei_domain::org::OrgKind::WorkingCommittee => "working_committee",
                _ => "committee",
            };
            bodies.push((node.org.code.clone(), node.org.id, 1, kind));
        }
    }
    let offered: Vec<(i64, String)> = xuepei_store::materials::offered_speeches(db, &scope, 12)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(|m| (m.id, m.title))
        .collect();
    let today = xuepei_domain::time::today();
    let first = today.checked_sub_months(Months::new(11)).and_then(|d| d.with_day(1)).ok_or("日期计算出错")?;
    let tx = Tx::begin(db, &scope, &Actor::operator("演示数据")).await.map_err(|e| e.to_string())?;
    let mut s = MeetingsSummary::default();
    let mut n = 0usize;
    for (code, org_id, per_month, kind) in &bodies {
        let people = meetings::people_of(tx.conn(), &scope, *org_id).await.map_err(|e| e.to_string())?;
        if people.len() < 3 {
            continue;
        }
        let mut month = first;
        while month <= today {
            for k in 0..*per_month {
                let date = month + Days::new((if k == 0 { 4 } else { 18 }) + (n as u64 % 3));
                if date > today {
                    continue;
                }
                // A few meetings opened with business: the county's in its fourth and ninth
                // months, a street's in its sixth.
                let months_in = (month.year() - first.year()) * 12 + month.month() as i32 - first.month() as i32;
                let business_first = (code.len() == 6 && k == 1 && (months_in == 3 || months_in == 8))
                    || (code.len() == 9 && months_in == 5);
                let input = meeting(code, kind, date, &people, (!business_first).then_some(n), n, &offered);
                let m = meetings::create(&tx, &input).await.map_err(|e| format!("{code} {date}：{}", e.reasons()))?;
                s.meetings += 1;
                if !m.compliant {
                    s.flagged += 1;
                }
                if !business_first && n.is_multiple_of(2) {
                    let done = date + Days::new(20);
                    let (status, done_on) = match n % 6 {
                        0 if done <= today => (MeasureStatus::Done, Some(done)),
                        2 => (MeasureStatus::InProgress, None),
                        _ => (MeasureStatus::NotStarted, None),
                    };
                    let measure = MeasureInput {
                        content: MEASURES[n % MEASURES.len()].into(),
                        owner: Some(PersonKey::Id(people[1 + n % (people.len() - 1)].id)),
                        status: status.code().into(),
                        due_on: Some(date + Days::new(60)),
                        done_on,
                    };
                    meetings::add_measure(&tx, m.id, &measure).await.map_err(|e| e.reasons())?;
                    s.measures += 1;
                }
                n += 1;
            }
            month = month.checked_add_months(Months::new(1)).ok_or("日期计算出错")?;
        }
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(s)
}
