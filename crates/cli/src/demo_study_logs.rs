//! The demo's leaders' study logs (001 §二): a year of 岳阳楼区's county leaders' five-mode
//! entries and reflection articles (some published), the current and last month of its
//! township and street teams — and one county leader behind on self-study and lectures,
//! for a new user to find on 学习预警. Some self-study entries name a speech of the library.

use chrono::{Datelike, Days, Months, NaiveDate};
use xuepei_domain::labels::Labeled;
use xuepei_domain::people::{RankLevel, Role};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter};
use xuepei_store::study_logs::{self, LogFields, LogInput, PersonRef, StudyMode};
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, org};

/// 岳阳楼区.
pub const COUNTY: &str = "430602";

const SPEECHES: [&str; 12] = [
    "习近平总书记在中央政治局集体学习时的重要讲话",
    "习近平总书记在湖南考察时的重要讲话",
    "习近平总书记在全国组织工作会议上的重要讲话",
    "习近平总书记关于党的建设的重要思想",
    "《习近平谈治国理政》第四卷有关篇目",
    "习近平总书记在中央经济工作会议上的重要讲话",
    "习近平总书记在中央纪委全会上的重要讲话",
    "习近平总书记在新时代推动中部地区崛起座谈会上的重要讲话",
    "习近平总书记关于“三农”工作的重要论述",
    "习近平总书记在全国宣传思想文化工作会议上的重要讲话",
    "《习近平新时代中国特色社会主义思想学习纲要》有关章节",
    "习近平总书记关于长江经济带发展的重要讲话",
];

const SCHOOLS: [&str; 4] = ["岳阳市第一中学", "岳阳市第十四中学", "岳阳楼区洞庭南路小学", "岳阳楼区东升小学"];

const PLACES: [&str; 4] = ["区委常委会", "区政府常务会议", "全区宣传思想工作会议", "全区基层党建工作推进会"];

/// What the scenario made.
#[derive(Debug, Default)]
pub struct StudySummary {
    pub leaders: usize,
    pub entries: usize,
    /// The leader left behind on self-study.
    pub behind: String,
}

impl std::fmt::Display for StudySummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "演示领导干部学习记录：岳阳楼区 {} 名领导干部，{} 条记录（{}自学进度滞后，见“学习预警”）",
            self.leaders, self.entries, self.behind
        )
    }
}

fn fields(mode: StudyMode, date: NaiveDate, title: impl Into<String>) -> LogFields {
    LogFields { mode: mode.code().into(), date: date.to_string(), title: title.into(), ..Default::default() }
}

/// The first day of the month `back` months before today's.
fn month_start(today: NaiveDate, back: u32) -> NaiveDate {
    let first = today.with_day(1).unwrap_or(today);
    first.checked_sub_months(Months::new(back)).unwrap_or(first)
}

/// Day `n` (from 0) of the month starting `start`: at most its last day, never after today.
fn day(start: NaiveDate, n: u64, today: NaiveDate) -> NaiveDate {
    let last = start.checked_add_months(Months::new(1)).and_then(|d| d.pred_opt()).unwrap_or(start);
    let d = start.checked_add_days(Days::new(n)).unwrap_or(start);
    std::cmp::min(std::cmp::min(d, last), today)
}

/// A year of one county leader's entries; `behind` reads 2 speeches a month, gives no
/// lecture.
fn county_year(today: NaiveDate, i: usize, behind: bool) -> Vec<LogFields> {
    let mut out = Vec::new();
    for back in (0..12u32).rev() {
        let start = month_start(today, back);
        if start > today {
            continue;
        }
        let reads = if behind { 2 } else { 5 + (i + back as usize) % 3 };
        for k in 0..reads {
            let d = day(start, (k as u64) * 5 + (i as u64 % 3), today);
            let title = SPEECHES[(k + i + back as usize) % SPEECHES.len()];
            out.push(fields(StudyMode::SelfStudy, d, format!("{title}（{}月第{}篇）", start.month(), k + 1)));
        }
        let meeting = PLACES[(i + back as usize) % PLACES.len()];
        out.push(LogFields {
            place: meeting.into(),
            ..fields(
                StudyMode::LeadLearning,
                day(start, 9, today),
                format!("在{meeting}上领学{}", SPEECHES[back as usize]),
            )
        });
        if back.is_multiple_of(2) {
            out.push(LogFields {
                place: "区委理论学习中心组".into(),
                ..fields(
                    StudyMode::Exchange,
                    day(start, 14, today),
                    format!("交流学习体会：{}", SPEECHES[(back as usize + 3) % 12]),
                )
            });
        }
        if back % 3 == 1 {
            out.push(LogFields {
                place: ["岳阳楼街道", "洞庭街道", "奇家岭街道", "郭镇乡"][(i + back as usize) % 4].into(),
                audience: "社区党员、群众代表".into(),
                ..fields(StudyMode::Grassroots, day(start, 17, today), "党的创新理论进基层宣讲")
            });
        }
        if back % 3 == 2 {
            let d = day(start, 20, today);
            let published = (i + back as usize).is_multiple_of(2);
            let on = std::cmp::min(d + Days::new(7), today);
            out.push(LogFields {
                published_in: if published {
                    ["岳阳日报", "学习强国湖南学习平台"][i % 2].into()
                } else {
                    String::new()
                },
                published_on: if published { on.to_string() } else { String::new() },
                ..fields(
                    StudyMode::Reflection,
                    d,
                    format!("学思践悟：把学习成果转化为推动发展的思路举措（{}月）", start.month()),
                )
            });
        }
    }
    // Lectures at schools this calendar year: two (one for the second leader), none for
    // the one behind.
    let year_start = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
    let lectures = if behind {
        0
    } else if i == 1 {
        1
    } else {
        2
    };
    for k in 0..lectures {
        let d = std::cmp::max(year_start, today - Days::new(30 + 90 * k as u64 + i as u64));
        out.push(LogFields {
            school: SCHOOLS[(i + k) % SCHOOLS.len()].into(),
            audience: ["高一年级", "六年级", "初二年级"][(i + k) % 3].into(),
            ..fields(StudyMode::SchoolLecture, d, ["思政课：新时代青年的使命担当", "形势政策课：奋进中的岳阳"][k % 2])
        });
    }
    out
}

/// This and last month's self-study of a township or street team member.
fn team_months(today: NaiveDate, i: usize) -> Vec<LogFields> {
    let mut out = Vec::new();
    for back in [1u32, 0] {
        let start = month_start(today, back);
        for k in 0..(4 + i % 3) {
            let d = day(start, (k as u64) * 6, today);
            let title = SPEECHES[(k + i) % SPEECHES.len()];
            out.push(fields(StudyMode::SelfStudy, d, format!("{title}（{}月第{}篇）", start.month(), k + 1)));
        }
    }
    out
}

/// Writes the scenario (the organisations and people must exist: `demo::seed`).
pub async fn seed_study_logs(db: &DatabaseConnection) -> Result<StudySummary, String> {
    let e = |x: xuepei_store::StoreError| x.reasons();
    let county = org::get_by_code(db, &Scope::system(), COUNTY).await.map_err(e)?;
    let scope = Scope::of_org(db, county.id).await.map_err(e)?;
    let today = xuepei_domain::time::today();
    let mut leaders = Vec::new();
    for role in [Role::LeadershipMember, Role::Principal] {
        let f = PersonFilter { role: Some(role), ..Default::default() };
        let mut after: Option<String> = None;
        loop {
            let page =
                people::list(db, &scope, &f, Default::default(), At::after(after.as_deref()), 500).await.map_err(e)?;
            leaders.extend(page.items.into_iter().map(|r| r.person));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
    }
    leaders.sort_by_key(|p| p.id);
    leaders.dedup_by_key(|p| p.id);
    let mut summary = StudySummary { leaders: leaders.len(), ..Default::default() };
    // Every fifth self-study names a speech of the library issued by then (its title
    // becomes the entry's).
    let speeches = xuepei_store::materials::offered_speeches(db, &scope, 50).await.map_err(e)?;
    let tx = Tx::begin(db, &scope, &Actor::operator("演示数据")).await.map_err(e)?;
    let mut county_leaders = 0usize;
    for (n, p) in leaders.iter().enumerate() {
        let county_level = p.org_id == county.id && matches!(p.rank_level, Some(RankLevel::County | RankLevel::Bureau));
        let entries = if county_level {
            // The fourth county leader (常委、组织部部长) is the one behind.
            let behind = county_leaders == 3;
            if behind {
                summary.behind = p.name.clone();
            }
            county_leaders += 1;
            county_year(today, county_leaders, behind)
        } else {
            team_months(today, n)
        };
        for (k, mut f) in entries.into_iter().enumerate() {
            if f.mode == StudyMode::SelfStudy.code() && k % 5 == 0 {
                let read: Vec<_> = speeches.iter().filter(|m| m.date.to_string() <= f.date).collect();
                if let Some(m) = read.get((n + k) % read.len().max(1)) {
                    f.material = m.id.to_string();
                    f.title = String::new();
                }
            }
            let input = LogInput { person: PersonRef::Id(p.id), fields: f, evidence_upload_id: None };
            match study_logs::create(&tx, None, &input).await {
                Ok(_) => summary.entries += 1,
                // Two entries landing on the same day and title (a month cut short by
                // today): the second is simply not written.
                Err(xuepei_store::StoreError::Invalid(_)) => {}
                Err(other) => return Err(other.reasons()),
            }
        }
    }
    tx.commit().await.map_err(e)?;
    Ok(summary)
}
