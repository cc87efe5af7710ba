//! Notifications (issue 14 item 6), read off the records for one signed-in account: what its
//! scope must file soon or has let pass, what was returned to it, what waits for its
//! decision, places allocated to it still to fill, classes starting tomorrow and practice
//! bases to review. Only the reads are stored (`notification_reads`, by the stable key the
//! domain describes); everything else is derived through the scoped functions of each
//! module, never a wider query.

use std::collections::{BTreeMap, HashSet};

use chrono::{Days, NaiveDate};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use xuepei_domain::labels::Labeled;
use xuepei_domain::notifications::{self as rules, KEY_MAX, NoticeKind, Notification};
use xuepei_domain::training::bases::BaseState;
use xuepei_domain::training::filing::FilingState;

use crate::entity::{campaign, class, class_allocation, enrolment, notification_read, practice_base};
use crate::error::Result;
use crate::org::now;
use crate::scope::Scope;

/// Who the notifications are for: the account and what its roles let it see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Viewer {
    pub account_id: i64,
    /// The account's own person (a trainee's own classes).
    pub person_id: Option<i64>,
    /// Reads the training records of the scope (filings, classes, bases).
    pub training: bool,
    /// Acts on them (files, fills allocations, reviews bases).
    pub acts: bool,
}

/// Campaigns whose filings are watched: those that ended at most this long ago (the
/// summary is due after the end).
const CAMPAIGN_TAIL_DAYS: u64 = 120;
/// Most campaigns and allocations read for one account.
const MOST_CAMPAIGNS: u64 = 30;
const MOST_ALLOCATIONS: u64 = 100;

/// Every notification for the viewer on `today`, each marked read or not, in the order
/// the list shows them; at most [`rules::LIST_MAX`].
pub async fn list(db: &impl ConnectionTrait, scope: &Scope, v: &Viewer, today: NaiveDate) -> Result<Vec<Notification>> {
    let mut items = derive(db, scope, v, today).await?;
    let read = read_keys(db, v.account_id, &items).await?;
    for n in &mut items {
        n.read = read.contains(&n.key);
    }
    rules::sort(&mut items);
    items.truncate(rules::LIST_MAX);
    Ok(items)
}

/// How many are unread.
pub async fn unread(db: &impl ConnectionTrait, scope: &Scope, v: &Viewer, today: NaiveDate) -> Result<usize> {
    let items = derive(db, scope, v, today).await?;
    let read = read_keys(db, v.account_id, &items).await?;
    Ok(items.iter().filter(|n| !read.contains(&n.key)).count())
}

/// Marks read the viewer's notifications of these keys (all of them for `None`); keys that
/// are not the viewer's notifications today are ignored. Returns how many were newly read.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    scope: &Scope,
    v: &Viewer,
    today: NaiveDate,
    keys: Option<&[String]>,
) -> Result<usize> {
    let items = derive(db, scope, v, today).await?;
    let read = read_keys(db, v.account_id, &items).await?;
    let wanted: Option<HashSet<&str>> = keys.map(|k| k.iter().map(String::as_str).collect());
    let fresh: Vec<&str> = items
        .iter()
        .map(|n| n.key.as_str())
        .filter(|k| !read.contains(*k) && wanted.as_ref().is_none_or(|w| w.contains(k)))
        .collect();
    let at = now();
    for chunk in fresh.chunks(200) {
        let mut ins = Query::insert();
        ins.into_table(notification_read::Entity).columns([
            notification_read::Column::AccountId,
            notification_read::Column::Key,
            notification_read::Column::ReadAt,
        ]);
        for k in chunk {
            ins.values_panic([v.account_id.into(), (*k).into(), at.into()]);
        }
        // Two tabs marking the same notification: the second does nothing.
        ins.on_conflict(
            OnConflict::columns([notification_read::Column::AccountId, notification_read::Column::Key])
                .do_nothing_on([notification_read::Column::AccountId])
                .to_owned(),
        );
        db.execute(&ins).await?;
    }
    Ok(fresh.len())
}

async fn read_keys(db: &impl ConnectionTrait, account_id: i64, items: &[Notification]) -> Result<HashSet<String>> {
    if items.is_empty() {
        return Ok(HashSet::new());
    }
    let mut out = HashSet::new();
    let keys: Vec<&str> = items.iter().map(|n| n.key.as_str()).collect();
    for chunk in keys.chunks(500) {
        let rows: Vec<String> = notification_read::Entity::find()
            .select_only()
            .column(notification_read::Column::Key)
            .filter(notification_read::Column::AccountId.eq(account_id))
            .filter(notification_read::Column::Key.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows);
    }
    Ok(out)
}

/// The notifications of the moment, unread-marks aside.
async fn derive(db: &impl ConnectionTrait, scope: &Scope, v: &Viewer, today: NaiveDate) -> Result<Vec<Notification>> {
    let mut out = Vec::new();
    if v.training {
        filings(db, scope, v, today, &mut out).await?;
        classes_tomorrow(db, scope, today, &mut out).await?;
        if v.acts {
            allocations(db, scope, today, &mut out).await?;
            bases(db, scope, &mut out).await?;
        }
    }
    if let Some(person) = v.person_id {
        own_classes(db, person, today, &mut out).await?;
        // A trainee's own class is told once, in the trainee's words.
        let own: HashSet<String> = out
            .iter()
            .filter_map(|n| n.key.strip_prefix("my_class_tomorrow:"))
            .map(|rest| format!("class_tomorrow:{rest}"))
            .collect();
        out.retain(|n| !own.contains(&n.key));
    }
    out.retain(|n| n.key.len() <= KEY_MAX);
    Ok(out)
}

/// Deadlines and returns for the organisers the scope files for; what waits for the
/// scope's decision and who is late, for the bodies it receives for.
async fn filings(
    db: &impl ConnectionTrait,
    scope: &Scope,
    v: &Viewer,
    today: NaiveDate,
    out: &mut Vec<Notification>,
) -> Result<()> {
    let since = today.checked_sub_days(Days::new(CAMPAIGN_TAIL_DAYS)).unwrap_or(today);
    let ids: Vec<i64> = campaign::Entity::find()
        .select_only()
        .column(campaign::Column::Id)
        .filter(crate::campaigns::visible_cond(scope))
        .filter(campaign::Column::EndOn.gte(since))
        .order_by_desc(campaign::Column::Id)
        .limit(MOST_CAMPAIGNS)
        .into_tuple()
        .all(db)
        .await?;
    for id in ids {
        let board = crate::filings::board(db, scope, id, today).await?;
        let title = &board.campaign.title;
        let href = format!("/campaigns/{id}/filings");
        // The receiver's side, counted per duty across its organisers.
        let mut waiting = 0usize;
        let mut late: BTreeMap<(String, NaiveDate), usize> = BTreeMap::new();
        for row in &board.rows {
            let files = row.filer.files_for(scope);
            for d in &row.duties {
                let what = d.what();
                let submitted = d.first_submitted_at.is_some();
                if files && v.acts {
                    let org = &row.filer.org.name;
                    match &d.current {
                        Some(f) if f.state == FilingState::Returned => out.push(Notification::new(
                            format!("filing_returned:{}:{}", f.id, f.decided_at.map_or(0, |t| t.timestamp_micros())),
                            NoticeKind::FilingReturned,
                            format!(
                                "{org}的{what}（{title}）已被{}退回修改：{}",
                                f.receiver.name,
                                f.comments.as_deref().unwrap_or("请查看修改意见")
                            ),
                            format!("/filings/{}", f.id),
                            d.deadline,
                        )),
                        _ if !submitted => {
                            if let Some(kind) = rules::deadline_notice(d.deadline, today) {
                                out.push(Notification::new(
                                    format!(
                                        "{}:{id}:{}:{}:{}:{}",
                                        kind.code(),
                                        row.filer.org.id,
                                        d.kind.code(),
                                        d.period,
                                        d.deadline
                                    ),
                                    kind,
                                    format!(
                                        "{org}的{what}（{title}）应于{}前报送{}，{}",
                                        xuepei_domain::time::chinese_day(d.deadline),
                                        row.filer.receiver.name,
                                        rules::days_word(d.deadline, today)
                                    ),
                                    href.clone(),
                                    d.deadline,
                                ));
                            }
                        }
                        _ => {}
                    }
                }
                if scope.contains_path(&row.filer.receiver_path) && !files {
                    if d.current.as_ref().is_some_and(|f| f.state == FilingState::Submitted) {
                        waiting += 1;
                    }
                    if !submitted && d.deadline < today {
                        *late.entry((what, d.deadline)).or_default() += 1;
                    }
                }
            }
        }
        if waiting > 0 && v.acts {
            out.push(Notification::new(
                format!("filings_waiting:{id}:{waiting}"),
                NoticeKind::FilingsWaiting,
                format!("{title}：{waiting}份材料已报送，等待备案或退回"),
                href.clone(),
                today,
            ));
        }
        for ((what, deadline), n) in late {
            out.push(Notification::new(
                format!("filers_late:{id}:{what}:{deadline}:{n}"),
                NoticeKind::FilersLate,
                format!("{title}：{n}个单位的{what}逾期未报送（期限{}）", xuepei_domain::time::chinese_day(deadline)),
                href.clone(),
                deadline,
            ));
        }
    }
    Ok(())
}

/// The open classes meeting `cond` that start on `day`: (id, title, institution).
async fn starting(
    db: &impl ConnectionTrait,
    cond: Condition,
    day: NaiveDate,
) -> Result<Vec<(i64, String, Option<String>)>> {
    Ok(class::Entity::find()
        .select_only()
        .columns([class::Column::Id, class::Column::Title, class::Column::Institution])
        .filter(cond)
        .filter(class::Column::StartOn.eq(day))
        .filter(class::Column::Status.eq("open"))
        .order_by_asc(class::Column::Id)
        .limit(rules::LIST_MAX as u64)
        .into_tuple()
        .all(db)
        .await?)
}

/// Classes the scope sees that start tomorrow.
async fn classes_tomorrow(
    db: &impl ConnectionTrait,
    scope: &Scope,
    today: NaiveDate,
    out: &mut Vec<Notification>,
) -> Result<()> {
    let Some(tomorrow) = today.checked_add_days(Days::new(1)) else { return Ok(()) };
    for (id, title, institution) in starting(db, crate::classes::visible_cond(scope), tomorrow).await? {
        let at = institution.map(|i| format!("在{i}")).unwrap_or_default();
        out.push(Notification::new(
            format!("class_tomorrow:{id}:{tomorrow}"),
            NoticeKind::ClassTomorrow,
            format!("班次“{title}”明天（{}）{at}开班", xuepei_domain::time::chinese_day(tomorrow)),
            format!("/classes/{id}"),
            tomorrow,
        ));
    }
    Ok(())
}

/// A trainee's own classes starting tomorrow.
async fn own_classes(
    db: &impl ConnectionTrait,
    person: i64,
    today: NaiveDate,
    out: &mut Vec<Notification>,
) -> Result<()> {
    let Some(tomorrow) = today.checked_add_days(Days::new(1)) else { return Ok(()) };
    let mut mine = Query::select();
    mine.column(enrolment::Column::ClassId)
        .from(enrolment::Entity)
        .and_where(enrolment::Column::PersonId.eq(person))
        .and_where(enrolment::Column::Status.eq("enrolled"));
    let cond = Condition::all().add(class::Column::Id.in_subquery(mine.to_owned()));
    for (id, title, institution) in starting(db, cond, tomorrow).await? {
        let at = institution.map(|i| format!("，地点：{i}")).unwrap_or_default();
        out.push(Notification::new(
            format!("my_class_tomorrow:{id}:{tomorrow}"),
            NoticeKind::ClassTomorrow,
            format!("您参加的“{title}”明天（{}）开班{at}，请按时报到", xuepei_domain::time::chinese_day(tomorrow)),
            format!("/me/training/{id}"),
            tomorrow,
        ));
    }
    Ok(())
}

/// Places allocated to organisations of the scope in classes not yet started, still to
/// fill with nominations.
async fn allocations(
    db: &impl ConnectionTrait,
    scope: &Scope,
    today: NaiveDate,
    out: &mut Vec<Notification>,
) -> Result<()> {
    let mut open = Query::select();
    open.column(class::Column::Id)
        .from(class::Entity)
        .and_where(class::Column::StartOn.gte(today))
        .and_where(class::Column::Status.eq("open"));
    let allocs = class_allocation::Entity::find()
        .filter(scope.cond(class_allocation::Column::OrgPath))
        .filter(class_allocation::Column::ClassId.in_subquery(open.to_owned()))
        .order_by_asc(class_allocation::Column::ClassId)
        .limit(MOST_ALLOCATIONS)
        .all(db)
        .await?;
    if allocs.is_empty() {
        return Ok(());
    }
    let class_ids: Vec<i64> = allocs.iter().map(|a| a.class_id).collect();
    let classes: BTreeMap<i64, (String, NaiveDate)> = class::Entity::find()
        .select_only()
        .columns([class::Column::Id, class::Column::Title, class::Column::StartOn])
        .filter(class::Column::Id.is_in(class_ids))
        .into_tuple::<(i64, String, NaiveDate)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, t, s)| (id, (t, s)))
        .collect();
    let names = crate::meetings::org_refs(db, allocs.iter().map(|a| a.org_id)).await?;
    for a in allocs {
        let Some((title, start)) = classes.get(&a.class_id) else { continue };
        let used = u64::try_from(crate::classes::places_used(db, a.class_id, &a.org_path).await?).unwrap_or(0);
        let places = u64::try_from(a.places).unwrap_or(0);
        if used >= places {
            continue;
        }
        let org = names.get(&a.org_id).map_or("本单位", |o| o.name.as_str());
        out.push(Notification::new(
            format!("allocation_to_fill:{}:{}:{places}", a.class_id, a.org_id),
            NoticeKind::AllocationToFill,
            format!(
                "班次“{title}”（{}开班）分配给{org}{places}个名额，已报名{used}人，尚有{}个名额待填报",
                xuepei_domain::time::chinese_day(*start),
                places - used
            ),
            format!("/classes/{}/enrolments", a.class_id),
            *start,
        ));
    }
    Ok(())
}

/// Practice bases waiting for this scope: complete applications the county decides on, the
/// county's bases the city returned, and recommendations the city accredits.
async fn bases(db: &impl ConnectionTrait, scope: &Scope, out: &mut Vec<Notification>) -> Result<()> {
    let Some(root) = scope.root_path() else { return Ok(()) };
    let rows = practice_base::Entity::find()
        .filter(scope.cond(practice_base::Column::CountyPath))
        .filter(practice_base::Column::State.is_in([
            BaseState::Draft.code(),
            BaseState::Returned.code(),
            BaseState::Recommended.code(),
        ]))
        .filter(
            Condition::any()
                .add(practice_base::Column::CountyPath.eq(root))
                .add(practice_base::Column::State.eq(BaseState::Recommended.code())),
        )
        .order_by_asc(practice_base::Column::Id)
        .limit(rules::LIST_MAX as u64)
        .all(db)
        .await?;
    for b in rows {
        let state = BaseState::from_code(&b.state).unwrap_or(BaseState::Draft);
        let own = b.county_path == root;
        let complete = [&b.venue, &b.guide, &b.material, &b.site, &b.film].iter().all(|s| !s.trim().is_empty());
        let stamp = b.updated_at.timestamp_micros();
        let day = b.updated_at.date_naive();
        let (kind, text) = match state {
            BaseState::Draft if own && complete => (
                NoticeKind::BaseToReview,
                format!("实践基地“{}”（{}年度）申报材料已齐全，请审核：县级授牌或推荐市级", b.name, b.year),
            ),
            BaseState::Returned if own => (
                NoticeKind::BaseReturned,
                format!("实践基地“{}”被市级退回：{}", b.name, b.comments.as_deref().unwrap_or("请查看意见")),
            ),
            BaseState::Recommended if !own => (
                NoticeKind::BaseToReview,
                format!("实践基地“{}”（{}年度）已推荐市级，等待市级授牌或退回", b.name, b.year),
            ),
            _ => continue,
        };
        out.push(Notification::new(
            format!("{}:{}:{}:{stamp}", kind.code(), b.id, state.code()),
            kind,
            text,
            format!("/bases/{}", b.id),
            day,
        ));
    }
    Ok(())
}
