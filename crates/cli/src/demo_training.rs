//! The demo's rotational training in progress (seed 002): the counties' village-secretary
//! batches made by the planner, each with a four-day timetable over the five topics and
//! the teaching modes; the first batches held (attendance, a leave, completion and credit
//! hours), the later ones still to come — so coverage is partial and quotas both met and
//! not met.

use chrono::NaiveDate;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::Sector;
use xuepei_domain::people::Role;
use xuepei_domain::training::{AttendanceMark, Hours, SessionSlot, TeachingMode};
use xuepei_store::attendance::{self, MarkInput};
use xuepei_store::classes::sessions::{self, SessionInput};
use xuepei_store::enrolments::{self, LeaveInput, PersonRef};
use xuepei_store::page::At;
use xuepei_store::plans::{self, PlanParams};
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, campaigns, org, people};

/// The five topics of the 2015 campaign [002 §二].
const TOPICS: [&str; 5] = [
    "习近平总书记系列重要讲话精神和党的十八大以来党和国家重大方针政策",
    "党章、党的基本知识和党内有关纪律规定",
    "基层依法治理和民主协商的基本要求、基本规章、基本程序",
    "基层党组织基本职责和工作方法",
    "中央和省委、市委关于推进基层社会治理创新的精神和政策",
];

/// What the scenario made.
#[derive(Debug, Default)]
pub struct TrainingSummary {
    pub classes: usize,
    pub enrolled: usize,
    pub completed: u64,
}

/// The timetable of a four-day batch: mornings on the topics, afternoons on the other modes.
fn timetable(start: NaiveDate, days: i64) -> Vec<SessionInput> {
    let modes = [TeachingMode::Experience, TeachingMode::Case, TeachingMode::SiteVisit, TeachingMode::Discussion];
    let mut out = Vec::new();
    for d in 0..days {
        let date = start + chrono::Days::new(d as u64);
        let topic = TOPICS[d as usize % TOPICS.len()];
        out.push(SessionInput {
            date: Some(date),
            slot: SessionSlot::Am.code().into(),
            topic: topic.into(),
            mode: TeachingMode::Lecture.code().into(),
            hours: "3".into(),
            ..SessionInput::default()
        });
        let mode = if d == days - 1 { TeachingMode::Elective } else { modes[d as usize % modes.len()] };
        out.push(SessionInput {
            date: Some(date),
            slot: SessionSlot::Pm.code().into(),
            topic: format!("{}：{}", mode.label(), TOPICS[(d as usize + 3) % TOPICS.len()]),
            mode: mode.code().into(),
            hours: "3".into(),
            ..SessionInput::default()
        });
    }
    out
}

/// Plans, accepts and runs the batches of one county. Returns classes, enrolled, completed.
async fn county(db: &DatabaseConnection, campaign_id: i64, code: &str) -> Result<(usize, usize, u64), String> {
    let o = org::get_by_code(db, &Scope::system(), code).await.map_err(|e| e.to_string())?;
    let scope = Scope::of_org(db, o.id).await.map_err(|e| e.to_string())?;
    let actor = Actor::operator("演示数据");
    let day = |m, d| NaiveDate::from_ymd_opt(2015, m, d);
    let params = PlanParams {
        organiser: code.into(),
        title: format!("2015年{}村党组织书记轮训班", o.display_name()),
        level: "county".into(),
        institution: format!("中共{}委党校", o.display_name()),
        start: day(3, 16),
        end: day(6, 30),
        batch_days: Some(4),
        capacity: Some(60),
        venues: Some(1),
        weekends_off: true,
        holidays: [day(4, 6), day(5, 1), day(6, 22)].into_iter().flatten().collect(),
        max_org_share: "1/1".into(),
        sector: Some(Sector::Village),
        role: Some(Role::Secretary),
        ..PlanParams::default()
    };
    let tx = Tx::begin(db, &scope, &actor).await.map_err(|e| e.to_string())?;
    let made = async {
        let plan = plans::propose(&tx, campaign_id, &params).await?;
        let classes = plans::accept(&tx, plan.id).await?;
        let mut enrolled = 0;
        let mut completed = 0;
        for (i, (&class_id, batch)) in classes.iter().zip(&plan.proposal.batches).enumerate() {
            let mut ids = Vec::new();
            for s in timetable(batch.start, batch.days()) {
                ids.push(sessions::add(&tx, class_id, &s).await?.id);
            }
            enrolled += batch.trainees.len();
            // The first half of the batches has been held.
            if i * 2 >= classes.len() {
                continue;
            }
            for (k, &session) in ids.iter().enumerate() {
                let records: Vec<MarkInput> = batch
                    .trainees
                    .iter()
                    .enumerate()
                    .map(|(n, &t)| MarkInput {
                        who: PersonRef::Id(t),
                        mark: match (n + k) % 23 {
                            0 => AttendanceMark::Late,
                            11 if n % 2 == 0 => AttendanceMark::Leave,
                            _ => AttendanceMark::Present,
                        },
                        reason: String::new(),
                    })
                    .collect();
                attendance::mark(&tx, session, &records).await?;
            }
            // One trainee was called away for most of the course: past 1/7, withdrawn.
            if let Some(&t) = batch.trainees.last() {
                let leave =
                    LeaveInput { hours: Hours::parse("12").ok(), sessions: Vec::new(), reason: "防汛值守".into() };
                enrolments::request_leave(&tx, class_id, &PersonRef::Id(t), &leave).await?;
            }
            completed += enrolments::complete(&tx, class_id).await?.completed;
        }
        Ok::<_, xuepei_store::StoreError>((classes.len(), enrolled, completed))
    }
    .await;
    match made {
        Ok(m) => {
            tx.commit().await.map_err(|e| e.to_string())?;
            Ok(m)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(format!("{}：{}", o.display_name(), e.reasons()))
        }
    }
}

/// The city class for community and village secretaries takes twelve of 云溪区's village
/// secretaries and is held: 云溪区 meets the 15% city-level quota, the other counties not.
async fn city_class(db: &DatabaseConnection, campaign_id: i64) -> Result<u64, String> {
    use xuepei_store::people::{PersonFilter, PersonSort};
    let sys = Scope::system();
    let all = xuepei_store::classes::list_for_campaign(db, &sys, campaign_id).await.map_err(|e| e.to_string())?;
    let Some(class) = all.into_iter().find(|c| c.title.contains("城区社区和村")) else {
        return Ok(0);
    };
    let yunxi = org::get_by_code(db, &sys, "430603").await.map_err(|e| e.to_string())?;
    let f = PersonFilter {
        under: Some(yunxi.id),
        role: Some(Role::Secretary),
        sector: Some(Sector::Village),
        ..PersonFilter::default()
    };
    let found = people::list(db, &sys, &f, PersonSort::Org, At::First, 12).await.map_err(|e| e.to_string())?;
    let ids: Vec<i64> = found.items.iter().map(|r| r.person.id).collect();
    let tx = Tx::begin(db, &sys, &Actor::operator("演示数据")).await.map_err(|e| e.to_string())?;
    let done = async {
        enrolments::enrol(&tx, class.id, &ids.iter().map(|&i| PersonRef::Id(i)).collect::<Vec<_>>()).await?;
        for s in sessions::list(tx.conn(), &sys, class.id).await? {
            let marks: Vec<MarkInput> = ids
                .iter()
                .map(|&i| MarkInput { who: PersonRef::Id(i), mark: AttendanceMark::Present, reason: String::new() })
                .collect();
            attendance::mark(&tx, s.id, &marks).await?;
        }
        Ok::<_, xuepei_store::StoreError>(enrolments::complete(&tx, class.id).await?.completed)
    }
    .await;
    match done {
        Ok(n) => {
            tx.commit().await.map_err(|e| e.to_string())?;
            Ok(n)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(format!("{}：{}", class.title, e.reasons()))
        }
    }
}

/// Runs the counties' batches of the 2015 grassroots-secretary campaign (the demo's first
/// campaign). Counties without village secretaries in the data are skipped.
pub async fn seed_training(db: &DatabaseConnection, counties: &[&str]) -> Result<TrainingSummary, String> {
    let all = campaigns::list(db, &Scope::system(), At::First, 50).await.map_err(|e| e.to_string())?.items;
    let Some(c) = all.iter().find(|c| c.title == "全市基层党组织书记集中轮训") else {
        return Ok(TrainingSummary::default());
    };
    let mut sum = TrainingSummary { completed: city_class(db, c.id).await?, ..TrainingSummary::default() };
    for code in counties {
        match county(db, c.id, code).await {
            Ok((classes, enrolled, completed)) => {
                sum.classes += classes;
                sum.enrolled += enrolled;
                sum.completed += completed;
            }
            // A county with no one left to plan is not an error of the demo.
            Err(e) if e.contains("没有尚未安排的参训对象") => {}
            Err(e) => return Err(e),
        }
    }
    Ok(sum)
}
