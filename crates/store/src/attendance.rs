//! Attendance (考勤): the roll kept by the organiser or the delivering institution, check-in
//! by rotating QR code or short code, and the automatic marks after a session.
//!
//! A check-in is one row of `attendance` under the unique key (session, enrolment): of
//! any number of simultaneous check-ins by one trainee exactly one is written, the others
//! answer "已签到". Check-ins are not audited one by one (the row keeps the time and the
//! source); the roll's marks and corrections are.
//!
//! Automatic marks need no background job: when the roll or the roll-call sheet is read,
//! and when the class is completed, trainees without a mark for a session that has ended
//! are marked absent, or on leave when a leave request covers the session.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use xuepei_domain::idcard;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::attendance::covered_sessions;
use xuepei_domain::training::checkin::{self, CodeCheck, Window};
use xuepei_domain::training::{AttendanceMark, EnrolmentStatus, Hours};
use xuepei_domain::validate::FieldError;

use crate::audit::{Entry, Tx};
use crate::classes::sessions::Session;
use crate::classes::{self, Class};
use crate::enrolments::{PersonRef, apply_leave_rule};
use crate::entity::{attendance, class, class_session, enrolment, leave_request, organization, person};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::scope::Scope;

/// The check-in window of a session of a class.
pub fn window(c: &Class, s: &Session) -> Option<Window> {
    Window::of(
        s.date,
        s.slot,
        i32::try_from(s.starts_min).ok(),
        i32::try_from(s.ends_min).ok(),
        i32::try_from(c.checkin_before_min).unwrap_or(checkin::DEFAULT_BEFORE_MIN),
        i32::try_from(c.checkin_after_min).unwrap_or(checkin::DEFAULT_AFTER_MIN),
    )
}

fn mark_of(code: &str) -> Option<AttendanceMark> {
    AttendanceMark::from_code(code)
}

fn source_label(source: &str) -> &'static str {
    match source {
        "qr" => "扫码签到",
        "code" => "签到码",
        "roll" => "点名",
        "auto" => "自动",
        "leave" => "请假",
        _ => "",
    }
}

/// The trainees who take part (enrolled or completed) in a class.
async fn participants(db: &impl ConnectionTrait, class_id: i64) -> Result<Vec<enrolment::Model>> {
    Ok(enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(class_id))
        .filter(enrolment::Column::Status.is_in([EnrolmentStatus::Enrolled.code(), EnrolmentStatus::Completed.code()]))
        .order_by_asc(enrolment::Column::Id)
        .all(db)
        .await?)
}

/// Gives every participant without a mark the automatic one, for the sessions that have
/// ended (or for all of them when `all`, on completion). `only` restricts to one session.
pub(crate) async fn settle(db: &impl ConnectionTrait, c: &Class, only: Option<i64>) -> Result<()> {
    settle_at(db, c, only, only.is_none(), now()).await
}

async fn settle_at(
    db: &impl ConnectionTrait,
    c: &Class,
    only: Option<i64>,
    all: bool,
    at: DateTime<Utc>,
) -> Result<()> {
    let sessions = classes::sessions::list(db, &Scope::whole(), c.id).await?;
    let due: Vec<&Session> = sessions
        .iter()
        .filter(|s| only.is_none_or(|o| o == s.id))
        .filter(|s| all || window(c, s).is_some_and(|w| w.ended(at)))
        .collect();
    if due.is_empty() {
        return Ok(());
    }
    let es: Vec<enrolment::Model> =
        participants(db, c.id).await?.into_iter().filter(|e| e.status == EnrolmentStatus::Enrolled.code()).collect();
    if es.is_empty() {
        return Ok(());
    }
    let eids: Vec<i64> = es.iter().map(|e| e.id).collect();
    let mut covered: HashMap<i64, BTreeSet<i64>> = HashMap::new();
    for chunk in eids.chunks(1000) {
        for r in leave_request::Entity::find()
            .filter(leave_request::Column::EnrolmentId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            let req = xuepei_domain::training::attendance::LeaveRequest {
                hours: Hours::from_hundredths(r.hours),
                sessions: serde_json::from_str(&r.sessions).unwrap_or_default(),
            };
            covered.entry(r.enrolment_id).or_default().extend(covered_sessions(&[req]));
        }
    }
    let t = now();
    for s in due {
        let marked: BTreeSet<i64> = attendance::Entity::find()
            .filter(attendance::Column::SessionId.eq(s.id))
            .all(db)
            .await?
            .into_iter()
            .map(|a| a.enrolment_id)
            .collect();
        let rows: Vec<attendance::ActiveModel> = es
            .iter()
            .filter(|e| !marked.contains(&e.id))
            .map(|e| {
                let leave = covered.get(&e.id).is_some_and(|c| c.contains(&s.id));
                attendance::ActiveModel {
                    session_id: Set(s.id),
                    enrolment_id: Set(e.id),
                    mark: Set(checkin::automatic_mark(leave).code().to_owned()),
                    checked_at: Set(None),
                    source: Set(if leave { "leave" } else { "auto" }.to_owned()),
                    reason: Set(None),
                    updated_at: Set(t),
                    ..Default::default()
                }
            })
            .collect();
        for chunk in rows.chunks(2000) {
            attendance::Entity::insert_many(chunk.to_vec()).exec(db).await?;
        }
    }
    Ok(())
}

/// The class and session for the organiser or the delivering institution.
async fn for_delivery(db: &impl ConnectionTrait, scope: &Scope, session_id: i64) -> Result<(Class, Session)> {
    let s = classes::sessions::get(db, scope, session_id).await?;
    let c = classes::get(db, scope, s.class_id).await?;
    if !c.deliverable_by(scope) {
        return Err(StoreError::Forbidden(format!("班次“{}”的考勤只能由主办单位或承办机构办理", c.title)));
    }
    Ok((c, s))
}

/// One trainee's line of a roll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RollRow {
    pub enrolment_id: i64,
    pub person_id: i64,
    pub name: String,
    pub id_number: String,
    pub org_name: String,
    pub mark: Option<AttendanceMark>,
    pub checked_at: Option<DateTime<Utc>>,
    pub source: String,
    pub reason: Option<String>,
}

impl RollRow {
    pub fn masked_id(&self) -> String {
        idcard::mask(&self.id_number)
    }
    pub fn source_label(&self) -> &'static str {
        source_label(&self.source)
    }
    pub fn mark_code(&self) -> &'static str {
        self.mark.map_or("", |m| m.code())
    }
}

/// The roll of a session (点名).
#[derive(Debug, Clone, Serialize)]
pub struct Roll {
    pub class: Class,
    pub session: Session,
    pub window: String,
    pub ended: bool,
    pub rows: Vec<RollRow>,
}

async fn people_and_orgs(
    db: &impl ConnectionTrait,
    es: &[enrolment::Model],
) -> Result<(HashMap<i64, person::Model>, HashMap<i64, String>)> {
    let mut people = HashMap::new();
    let pids: Vec<i64> = es.iter().map(|e| e.person_id).collect();
    for chunk in pids.chunks(1000) {
        for p in person::Entity::find().filter(person::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            people.insert(p.id, p);
        }
    }
    let oids: BTreeSet<i64> = es.iter().map(|e| e.org_id).collect();
    let orgs = if oids.is_empty() {
        HashMap::new()
    } else {
        organization::Entity::find()
            .filter(organization::Column::Id.is_in(oids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.short_name.unwrap_or(o.name)))
            .collect()
    };
    Ok((people, orgs))
}

/// The roll of a session, automatic marks given first when it has ended.
pub async fn roll(tx: &Tx, session_id: i64) -> Result<Roll> {
    let db = tx.conn();
    let (c, s) = for_delivery(db, tx.scope(), session_id).await?;
    let w = window(&c, &s);
    let ended = w.is_some_and(|w| w.ended(now()));
    if ended {
        settle(db, &c, Some(s.id)).await?;
    }
    let es = participants(db, c.id).await?;
    let marks: HashMap<i64, attendance::Model> = attendance::Entity::find()
        .filter(attendance::Column::SessionId.eq(s.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.enrolment_id, a))
        .collect();
    let (people, orgs) = people_and_orgs(db, &es).await?;
    let mut rows: Vec<RollRow> = es
        .iter()
        .map(|e| {
            let p = people.get(&e.person_id);
            let a = marks.get(&e.id);
            RollRow {
                enrolment_id: e.id,
                person_id: e.person_id,
                name: p.map(|p| p.name.clone()).unwrap_or_default(),
                id_number: p.map(|p| p.id_number.clone()).unwrap_or_default(),
                org_name: orgs.get(&e.org_id).cloned().unwrap_or_default(),
                mark: a.and_then(|a| mark_of(&a.mark)),
                checked_at: a.and_then(|a| a.checked_at),
                source: a.map(|a| a.source.clone()).unwrap_or_default(),
                reason: a.and_then(|a| a.reason.clone()),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.org_name.cmp(&b.org_name).then(a.enrolment_id.cmp(&b.enrolment_id)));
    Ok(Roll { window: w.map(|w| w.label()).unwrap_or_default(), class: c, session: s, ended, rows })
}

/// One mark of a roll as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkInput {
    pub who: PersonRef,
    pub mark: AttendanceMark,
    /// Required when it changes an existing mark.
    pub reason: String,
}

/// What a roll submission did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MarkSummary {
    pub created: u64,
    pub corrected: u64,
    pub unchanged: u64,
    /// Trainees withdrawn because 'leave' marks took them past the limit.
    pub withdrawn: Vec<String>,
}

/// Marks attendance from the roll (点名), all or nothing: every person must be a trainee
/// of the class; changing an existing mark needs a reason and is audited.
pub async fn mark(tx: &Tx, session_id: i64, records: &[MarkInput]) -> Result<MarkSummary> {
    // A 'leave' mark can withdraw a trainee: the coverage counts follow.
    let class_id = class_session::Entity::find_by_id(session_id).one(tx.conn()).await?.map(|s| s.class_id);
    match class_id {
        Some(c) => crate::enrolments::tracked(tx, c, async || mark_untracked(tx, session_id, records).await).await,
        None => mark_untracked(tx, session_id, records).await,
    }
}

async fn mark_untracked(tx: &Tx, session_id: i64, records: &[MarkInput]) -> Result<MarkSummary> {
    let db = tx.conn();
    let (c, s) = for_delivery(db, tx.scope(), session_id).await?;
    if c.status == classes::ClassStatus::Completed {
        return Err(StoreError::Conflict(format!("班次“{}”已结业，考勤不能再修改", c.title)));
    }
    if records.is_empty() {
        return Err(StoreError::invalid("records", "请至少填写一名学员的考勤"));
    }
    let es = participants(db, c.id).await?;
    let (people, _) = people_and_orgs(db, &es).await?;
    let by_person: HashMap<i64, &enrolment::Model> = es.iter().map(|e| (e.person_id, e)).collect();
    let by_number: HashMap<&str, &enrolment::Model> =
        es.iter().filter_map(|e| people.get(&e.person_id).map(|p| (p.id_number.as_str(), e))).collect();
    let existing: HashMap<i64, attendance::Model> = attendance::Entity::find()
        .filter(attendance::Column::SessionId.eq(s.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.enrolment_id, a))
        .collect();
    let mut errs = Vec::new();
    let mut plan: Vec<(&enrolment::Model, AttendanceMark, Option<String>)> = Vec::new();
    let mut seen = BTreeSet::new();
    for r in records {
        let e = match &r.who {
            PersonRef::Id(id) => by_person.get(id).copied(),
            PersonRef::IdNumber(n) => {
                let n: String = xuepei_domain::text::to_halfwidth(n)
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect::<String>()
                    .to_uppercase();
                by_number.get(n.as_str()).copied()
            }
        };
        let Some(e) = e else {
            let what = match &r.who {
                PersonRef::Id(id) => format!("编号为{id}的人员"),
                PersonRef::IdNumber(n) => format!("身份证号{}的人员", idcard::mask(n.trim())),
            };
            errs.push(FieldError {
                field: "records",
                message: format!("{what}不是本班在册学员，不能登记考勤，请核对"),
            });
            continue;
        };
        if !seen.insert(e.id) {
            continue;
        }
        let reason = match xuepei_domain::org::check_text(&r.reason, crate::enrolments::REASON_MAX, false) {
            Ok(v) => v,
            Err(m) => {
                errs.push(FieldError { field: "records", message: format!("更正原因{m}") });
                None
            }
        };
        if let Some(old) = existing.get(&e.id)
            && old.mark != r.mark.code()
            && reason.is_none()
        {
            let name = people.get(&e.person_id).map(|p| p.name.as_str()).unwrap_or_default();
            errs.push(FieldError {
                field: "records",
                message: format!(
                    "{name}已有考勤“{}”，改为“{}”须填写更正原因",
                    mark_of(&old.mark).map_or("", |m| m.label()),
                    r.mark.label()
                ),
            });
            continue;
        }
        plan.push((e, r.mark, reason));
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let t = now();
    let mut sum = MarkSummary::default();
    let mut leave_changed = Vec::new();
    let mut created_names = Vec::new();
    for (e, m, reason) in plan {
        let p = people.get(&e.person_id);
        let who = p.map(|p| format!("{}（{}）", p.name, idcard::mask(&p.id_number))).unwrap_or_default();
        match existing.get(&e.id) {
            Some(old) if old.mark == m.code() => sum.unchanged += 1,
            Some(old) => {
                attendance::Entity::update_many()
                    .col_expr(attendance::Column::Mark, Expr::value(m.code()))
                    .col_expr(attendance::Column::Source, Expr::value("roll"))
                    .col_expr(attendance::Column::Reason, Expr::value(reason.clone()))
                    .col_expr(attendance::Column::UpdatedAt, Expr::value(t))
                    .filter(attendance::Column::Id.eq(old.id))
                    .exec(db)
                    .await?;
                sum.corrected += 1;
                if old.mark == AttendanceMark::Leave.code() || m == AttendanceMark::Leave {
                    leave_changed.push(e);
                }
                let before = mark_of(&old.mark).map_or("", |x| x.label());
                tx.record(Entry {
                    action: "attendance.correct",
                    target_type: "attendance",
                    target_id: Some(old.id.to_string()),
                    scope_path: e.org_path.clone(),
                    summary: format!(
                        "更正{who}在班次“{}”{} {}课程的考勤：{before}→{}（{}）",
                        c.title,
                        s.date,
                        s.slot.label(),
                        m.label(),
                        reason.clone().unwrap_or_default()
                    ),
                    before: Some(serde_json::json!({"考勤": before, "来源": source_label(&old.source)})),
                    after: Some(serde_json::json!({"考勤": m.label(), "来源": "点名", "更正原因": reason})),
                });
            }
            None => {
                attendance::ActiveModel {
                    session_id: Set(s.id),
                    enrolment_id: Set(e.id),
                    mark: Set(m.code().to_owned()),
                    checked_at: Set(None),
                    source: Set("roll".to_owned()),
                    reason: Set(reason),
                    updated_at: Set(t),
                    ..Default::default()
                }
                .insert(db)
                .await?;
                sum.created += 1;
                if m == AttendanceMark::Leave {
                    leave_changed.push(e);
                }
                created_names.push(format!("{who}：{}", m.label()));
            }
        }
    }
    if !created_names.is_empty() {
        tx.record(Entry {
            action: "attendance.roll",
            target_type: "class_session",
            target_id: Some(s.id.to_string()),
            scope_path: c.org_path.clone(),
            summary: format!("班次“{}”{} {}课程点名{}人", c.title, s.date, s.slot.label(), created_names.len()),
            before: None,
            after: Some(serde_json::json!({"考勤": created_names.into_iter().take(1000).collect::<Vec<_>>()})),
        });
    }
    for e in leave_changed {
        if e.status != EnrolmentStatus::Enrolled.code() {
            continue;
        }
        let Some(p) = people.get(&e.person_id) else { continue };
        let a = apply_leave_rule(tx, &c, e, p).await?;
        if a.status == EnrolmentStatus::Withdrawn {
            sum.withdrawn.push(a.message);
        }
    }
    Ok(sum)
}

/// A successful check-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckedIn {
    pub session_id: i64,
    pub class_title: String,
    pub topic: String,
    pub mark: AttendanceMark,
    pub at: DateTime<Utc>,
}

fn refused(message: impl Into<String>) -> StoreError {
    StoreError::invalid("code", message)
}

/// Checks a trainee in to a session with a code from the projector (link code or short
/// code). `person_id` is the signed-in account's own person.
pub async fn check_in(tx: &Tx, session_id: i64, person_id: i64, code: &str, source: &str) -> Result<CheckedIn> {
    check_in_at(tx, session_id, person_id, code, source, now()).await
}

async fn check_in_at(
    tx: &Tx,
    session_id: i64,
    person_id: i64,
    code: &str,
    source: &str,
    at: DateTime<Utc>,
) -> Result<CheckedIn> {
    let p = prepare_check_in(tx.conn(), session_id, person_id, code, at).await?;
    record_check_in(tx.conn(), &p, source).await
}

/// A check-in that passed every check, to be written.
pub(crate) struct Prepared {
    pub(crate) session_id: i64,
    pub(crate) enrolment_id: i64,
    pub(crate) mark: AttendanceMark,
    pub(crate) at: DateTime<Utc>,
    pub(crate) class_title: String,
    pub(crate) topic: String,
}

impl Prepared {
    pub(crate) fn done(&self) -> CheckedIn {
        CheckedIn {
            session_id: self.session_id,
            class_title: self.class_title.clone(),
            topic: self.topic.clone(),
            mark: self.mark,
            at: self.at,
        }
    }
}

/// The answer to a check-in for a session where the trainee already has a mark.
pub(crate) fn already_marked(a: &attendance::Model) -> StoreError {
    already(mark_of(&a.mark).unwrap_or(AttendanceMark::Present), a.checked_at)
}

/// The answer to a second check-in: when the first was, or which mark the roll gave.
pub(crate) fn already(m: AttendanceMark, checked_at: Option<DateTime<Utc>>) -> StoreError {
    StoreError::Conflict(match (m.attended(), checked_at) {
        (true, Some(t)) => {
            format!("已签到：您已于{}签到（{}），无需重复签到", xuepei_domain::time::second(t), m.label())
        }
        _ => format!("已登记考勤（{}），无需签到。如有误请联系班主任更正", m.label()),
    })
}

/// What a check-in is judged on: read for one request ([`prepare_check_in`]) or for a
/// whole batch at once (`checkins`).
pub(crate) struct Facts<'a> {
    /// The person's check-ins are paused after too many refusals.
    pub(crate) paused: bool,
    pub(crate) session: Option<&'a class_session::Model>,
    pub(crate) class: Option<&'a class::Model>,
    pub(crate) enrolment: Option<&'a enrolment::Model>,
    /// The trainee's mark for the session, if there is one already.
    pub(crate) mark: Option<&'a attendance::Model>,
}

/// Judges a check-in on its facts: who may check in, once, in the window, with a current
/// code. Plain rows, not the assembled class and session: this runs for every trainee of
/// a class within a minute, and needs only the times, the secret and two titles.
pub(crate) fn judge(f: &Facts<'_>, code: &str, at: DateTime<Utc>) -> Result<Prepared> {
    if f.paused {
        return Err(paused());
    }
    // Not a session of one's classes, whether it exists or not: one answer, naming nothing.
    let not_mine = || {
        StoreError::Forbidden(
            "您不是该课程所属班次的在册学员（未报名、候补或已退学），或课程不存在，无法签到。如有疑问请联系班主任"
                .into(),
        )
    };
    let s = f.session.ok_or_else(not_mine)?;
    let e = f.enrolment.filter(|e| e.status == EnrolmentStatus::Enrolled.code()).ok_or_else(not_mine)?;
    let c = f.class.ok_or_else(not_mine)?;
    if let Some(a) = f.mark {
        return Err(already_marked(a));
    }
    let (starts, ends) = classes::sessions::effective(s);
    let slot =
        xuepei_domain::training::SessionSlot::from_code(&s.slot).unwrap_or(xuepei_domain::training::SessionSlot::Am);
    let w = Window::of(
        s.on_date,
        slot,
        i32::try_from(starts).ok(),
        i32::try_from(ends).ok(),
        c.checkin_before_min,
        c.checkin_after_min,
    )
    .ok_or_else(|| refused("课程日期无效，无法签到，请联系班主任"))?;
    let mark = w.assess(at).map_err(refused)?;
    // A typed six-digit code is told only "wrong or expired": which of the two is a hint
    // to someone guessing. The QR link's long code says which.
    let typed = code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit());
    match checkin::check_code(&s.checkin_secret, code, at) {
        CodeCheck::Valid => {}
        CodeCheck::Expired | CodeCheck::Unknown if typed => return Err(refused(WRONG_TYPED_CODE)),
        CodeCheck::Expired => {
            return Err(refused("签到码已过期（二维码每30秒更新一次），请扫描屏幕上的最新二维码或输入最新的6位签到码"));
        }
        CodeCheck::Unknown => return Err(refused("签到码无效，请扫描屏幕上的二维码或核对6位签到码后重试")),
    }
    Ok(Prepared {
        session_id: s.id,
        enrolment_id: e.id,
        mark,
        at,
        class_title: c.title.clone(),
        topic: s.topic.clone(),
    })
}

/// Checks one check-in (reads only), reading its facts one by one.
pub(crate) async fn prepare_check_in(
    db: &impl ConnectionTrait,
    session_id: i64,
    person_id: i64,
    code: &str,
    at: DateTime<Utc>,
) -> Result<Prepared> {
    let paused = crate::throttle::checkin_paused(db, person_id, at).await?;
    let s = class_session::Entity::find_by_id(session_id).one(db).await?;
    let e = match &s {
        Some(s) => {
            enrolment::Entity::find()
                .filter(enrolment::Column::ClassId.eq(s.class_id))
                .filter(enrolment::Column::PersonId.eq(person_id))
                .one(db)
                .await?
        }
        None => None,
    };
    // The class and the mark are read only for an enrolled trainee: their own record.
    let enrolled = e.as_ref().filter(|e| e.status == EnrolmentStatus::Enrolled.code());
    let (c, a) = match (&s, enrolled) {
        (Some(s), Some(e)) => (
            class::Entity::find_by_id(s.class_id).one(db).await?,
            attendance::Entity::find()
                .filter(attendance::Column::SessionId.eq(s.id))
                .filter(attendance::Column::EnrolmentId.eq(e.id))
                .one(db)
                .await?,
        ),
        _ => (None, None),
    };
    let facts = Facts { paused, session: s.as_ref(), class: c.as_ref(), enrolment: e.as_ref(), mark: a.as_ref() };
    judge(&facts, code, at)
}

/// Writes a checked check-in: one insert (the unique index answers a second one at once).
pub(crate) async fn record_check_in(db: &impl ConnectionTrait, p: &Prepared, source: &str) -> Result<CheckedIn> {
    attendance::ActiveModel {
        session_id: Set(p.session_id),
        enrolment_id: Set(p.enrolment_id),
        mark: Set(p.mark.code().to_owned()),
        checked_at: Set(Some(p.at)),
        source: Set(source.to_owned()),
        reason: Set(None),
        updated_at: Set(p.at),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(p.done())
}

/// Checks a trainee in with a six-digit code typed on the short-code page: the session is
/// the one of their classes whose check-in is open now and whose code matches.
pub async fn check_in_by_code(tx: &Tx, person_id: i64, code: &str) -> Result<CheckedIn> {
    let db = tx.conn();
    let at = now();
    if crate::throttle::checkin_paused(db, person_id, at).await? {
        return Err(paused());
    }
    let code = checkin::normalize_code(code);
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused("请输入屏幕上显示的6位数字签到码"));
    }
    let es = enrolment::Entity::find()
        .filter(enrolment::Column::PersonId.eq(person_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled.code()))
        .all(db)
        .await?;
    let today = xuepei_domain::time::local(at).date();
    let whole = Scope::whole();
    let mut open = Vec::new();
    for e in &es {
        let sids: Vec<i64> = class_session::Entity::find()
            .filter(class_session::Column::ClassId.eq(e.class_id))
            .filter(class_session::Column::OnDate.gte(today - Duration::days(1)))
            .filter(class_session::Column::OnDate.lte(today + Duration::days(1)))
            .all(db)
            .await?
            .into_iter()
            .map(|s| s.id)
            .collect();
        if sids.is_empty() {
            continue;
        }
        let c = classes::get(db, &whole, e.class_id).await?;
        for sid in sids {
            let s = classes::sessions::get(db, &whole, sid).await?;
            if window(&c, &s).is_some_and(|w| w.opens <= at && at <= w.closes) {
                open.push(s);
            }
        }
    }
    if open.is_empty() {
        return Err(refused("您当前没有处于签到时间内的课程（签到时间一般为开课前后30分钟），请核对课程时间"));
    }
    for s in &open {
        if checkin::check_code(&s.checkin_secret, &code, at) == CodeCheck::Valid {
            return check_in_at(tx, s.id, person_id, &code, "code", at).await;
        }
    }
    Err(refused(WRONG_TYPED_CODE))
}

/// Refused check-ins a person may make in a while before check-in pauses for them.
pub use crate::throttle::{CHECKIN_FAILURES, CHECKIN_MINUTES};

const WRONG_TYPED_CODE: &str = "签到码不正确或已过期，请核对屏幕上最新的6位签到码后重试";

fn paused() -> StoreError {
    StoreError::Forbidden(format!(
        "签到失败次数过多，请{}分钟后再试；如确已到场，请联系班主任在点名册中登记",
        CHECKIN_MINUTES
    ))
}

/// Counts a refused check-in of a person (call it after the refused check-in's transaction
/// ended): past the limit, their check-ins pause for a while.
pub async fn note_refused_check_in(db: &impl ConnectionTrait, person_id: i64) -> Result<()> {
    crate::throttle::checkin_failed(db, person_id, now()).await
}

/// What the projector shows for a session (full screen, refreshed every step).
#[derive(Debug, Clone, Serialize)]
pub struct Projector {
    pub class_title: String,
    pub session: Session,
    pub window: String,
    pub link_code: String,
    pub short_code: String,
    pub seconds_left: i64,
    pub checked_in: u64,
    pub expected: u64,
}

/// The current codes of a session, for the organiser or the delivering institution.
pub async fn projector(db: &impl ConnectionTrait, scope: &Scope, session_id: i64) -> Result<Projector> {
    let (c, s) = for_delivery(db, scope, session_id).await?;
    let at = now();
    let step = checkin::step_of(at);
    let marks = attendance::Entity::find().filter(attendance::Column::SessionId.eq(s.id)).all(db).await?;
    let checked_in = marks.iter().filter(|a| a.checked_at.is_some()).count() as u64;
    let expected = participants(db, c.id).await?.len() as u64;
    Ok(Projector {
        class_title: c.title.clone(),
        window: window(&c, &s).map(|w| w.label()).unwrap_or_default(),
        link_code: checkin::link_code(&s.checkin_secret, step),
        short_code: checkin::short_code(&s.checkin_secret, step),
        seconds_left: checkin::seconds_left(at),
        checked_in,
        expected,
        session: s,
    })
}

/// The roll-call sheet of a class (签到表): trainees by sessions.
#[derive(Debug, Clone, Serialize)]
pub struct Sheet {
    pub class: Class,
    pub sessions: Vec<Session>,
    pub rows: Vec<SheetRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SheetRow {
    pub name: String,
    pub id_number: String,
    pub org_name: String,
    pub status: EnrolmentStatus,
    pub marks: Vec<Option<AttendanceMark>>,
    pub leave_hours: Hours,
}

impl SheetRow {
    pub fn masked_id(&self) -> String {
        idcard::mask(&self.id_number)
    }
    /// The marks as short labels for a printed cell ("" when none).
    pub fn cells(&self) -> Vec<&'static str> {
        self.marks.iter().map(|m| m.map_or("", |m| m.label())).collect()
    }
}

/// The roll-call sheet, with the automatic marks of ended sessions given first.
pub async fn sheet(tx: &Tx, class_id: i64) -> Result<Sheet> {
    let db = tx.conn();
    let c = classes::get(db, tx.scope(), class_id).await?;
    if !c.deliverable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!("班次“{}”的签到表只能由主办单位或承办机构查看", c.title)));
    }
    settle_at(db, &c, None, false, now()).await?;
    let sessions = classes::sessions::list(db, tx.scope(), c.id).await?;
    let es = participants(db, c.id).await?;
    let (people, orgs) = people_and_orgs(db, &es).await?;
    let sids: Vec<i64> = sessions.iter().map(|s| s.id).collect();
    let mut marks: HashMap<(i64, i64), AttendanceMark> = HashMap::new();
    for chunk in sids.chunks(500) {
        for a in attendance::Entity::find().filter(attendance::Column::SessionId.is_in(chunk.to_vec())).all(db).await? {
            if let Some(m) = mark_of(&a.mark) {
                marks.insert((a.enrolment_id, a.session_id), m);
            }
        }
    }
    let mut rows: Vec<SheetRow> = es
        .iter()
        .map(|e| {
            let p = people.get(&e.person_id);
            SheetRow {
                name: p.map(|p| p.name.clone()).unwrap_or_default(),
                id_number: p.map(|p| p.id_number.clone()).unwrap_or_default(),
                org_name: orgs.get(&e.org_id).cloned().unwrap_or_default(),
                status: EnrolmentStatus::from_code(&e.status).unwrap_or(EnrolmentStatus::Enrolled),
                marks: sids.iter().map(|sid| marks.get(&(e.id, *sid)).copied()).collect(),
                leave_hours: Hours::from_hundredths(e.leave_hours),
            }
        })
        .collect();
    rows.sort_by(|a, b| a.org_name.cmp(&b.org_name).then(a.name.cmp(&b.name)));
    Ok(Sheet { class: c, sessions, rows })
}

/// One session of a trainee's own class (我的培训).
#[derive(Debug, Clone, Serialize)]
pub struct MySession {
    pub session: Session,
    pub window: String,
    pub mark: Option<AttendanceMark>,
    pub checked_at: Option<DateTime<Utc>>,
    /// Check-in is open now and the trainee has no mark yet.
    pub open_now: bool,
}

/// A trainee's timetable of one class with their marks (None when not in the class).
pub async fn my_sessions(db: &impl ConnectionTrait, person_id: i64, class_id: i64) -> Result<Option<Vec<MySession>>> {
    let Some(e) = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(class_id))
        .filter(enrolment::Column::PersonId.eq(person_id))
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let whole = Scope::whole();
    let c = classes::get(db, &whole, class_id).await?;
    let sessions = classes::sessions::list(db, &whole, class_id).await?;
    let marks: HashMap<i64, attendance::Model> = attendance::Entity::find()
        .filter(attendance::Column::EnrolmentId.eq(e.id))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.session_id, a))
        .collect();
    let at = now();
    let enrolled = e.status == EnrolmentStatus::Enrolled.code();
    Ok(Some(
        sessions
            .into_iter()
            .map(|s| {
                let w = window(&c, &s);
                let a = marks.get(&s.id);
                MySession {
                    window: w.map(|w| w.label()).unwrap_or_default(),
                    mark: a.and_then(|a| mark_of(&a.mark)),
                    checked_at: a.and_then(|a| a.checked_at),
                    open_now: enrolled && a.is_none() && w.is_some_and(|w| w.opens <= at && at <= w.closes),
                    session: s,
                }
            })
            .collect(),
    ))
}

/// A session's check-in secret (tests compute codes of other steps with it).
#[cfg(feature = "operator")]
pub async fn checkin_secret(db: &impl ConnectionTrait, session_id: i64) -> Result<String> {
    Ok(class_session::Entity::find_by_id(session_id)
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("课程安排"))?
        .checkin_secret)
}
