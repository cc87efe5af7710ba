//! Enrolment in a class (报名): nomination with a waiting list, withdrawal and replacement,
//! leave (请假) with the completion rule, and completion (结业) writing credit records.
//!
//! **Who may do what.** The organiser's scope (`ClassAccess::Manage`) enrols anyone of
//! its scope who lies in the organiser's subtree, in a target organisation of the class's
//! campaign, or under an allocation of the class. A sending organisation's scope
//! (`ClassAccess::Send`) nominates only people of its scope under its own allocations, and
//! no more than the places allocated (enrolled and waitlisted count). The delivering
//! institution keeps attendance and completes the class, but does not enrol.
//!
//! **Reads per viewer.** A class crosses scopes: [`for_organiser`] lists everyone of a
//! class the scope manages or delivers, [`for_sending_org`] only the enrolments whose
//! sending organisation lies in the scope (a county never sees another county's people of
//! a city class), [`for_person`] a trainee's own classes. [`roster`] picks the right one.
//!
//! **All or nothing.** An enrolment request is checked whole; any refused person refuses
//! the request, every refusal named (name and masked identity number) with what to fix.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use xuepei_domain::idcard;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::attendance::{LeaveRequest, check_request, leave_hours};
use xuepei_domain::training::rules::{LeaveOutcome, assess_leave};
use xuepei_domain::training::{AttendanceMark, EnrolmentStatus, Fraction, Hours};
use xuepei_domain::validate::FieldError;

use crate::audit::{Entry, Tx};
use crate::classes::{self, Class, ClassAccess, ClassStatus};
use crate::entity::{
    attendance, campaign_target, class, class_session, credit_record, enrolment, leave_request, organization, person,
};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::page::{At, Page, fetch, page_of};
use crate::scope::{Scope, subtree_cond};

/// Unique keys of enrolments and attendance (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[
    crate::error::UniqueKey {
        index: "ux_enrolments_class_person",
        columns: "enrolments.class_id",
        message: "该学员已在本班名单中（可能刚被其他用户同时报名），未保存。请刷新页面核对",
    },
    crate::error::UniqueKey {
        index: "ux_attendance_session_enrolment",
        columns: "attendance.session_id",
        message: "已签到，无需重复签到（考勤记录已存在）",
    },
];

pub const REASON_MAX: usize = 500;
/// At most this many people in one enrolment request.
pub const BATCH_MAX: usize = 20_000;

/// A person named in a request: by id (pages) or by identity number (API, pasted lists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonRef {
    Id(i64),
    IdNumber(String),
}

impl PersonRef {
    /// The number as typed, normalised (half-width, upper-case X, no spaces).
    fn number(s: &str) -> String {
        xuepei_domain::text::to_halfwidth(s).chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase()
    }
}

/// One person's outcome of an enrolment request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnrolResult {
    pub person_id: i64,
    pub id_number: String,
    pub name: String,
    pub status: EnrolmentStatus,
}

/// A trainee of a class as the rosters show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    pub id: i64,
    pub class_id: i64,
    pub person_id: i64,
    pub name: String,
    pub id_number: String,
    pub org_id: i64,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub status: EnrolmentStatus,
    pub waitlist_seq: Option<i64>,
    pub leave_hours: Hours,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Enrolment {
    pub fn masked_id(&self) -> String {
        idcard::mask(&self.id_number)
    }
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

fn who(p: &person::Model) -> String {
    format!("{}（{}）", p.name, idcard::mask(&p.id_number))
}

/// Every enrolment status of a class, by person.
async fn statuses(db: &impl ConnectionTrait, class_id: i64) -> Result<HashMap<i64, EnrolmentStatus>> {
    let rows: Vec<(i64, String)> = enrolment::Entity::find()
        .select_only()
        .columns([enrolment::Column::PersonId, enrolment::Column::Status])
        .filter(enrolment::Column::ClassId.eq(class_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(p, s)| (p, EnrolmentStatus::from_code(&s).unwrap_or(EnrolmentStatus::Withdrawn)))
        .collect())
}

/// Runs a change of a class's enrolments and reports every status it changed to the
/// coverage counts, in the same transaction (so coverage never recounts after it).
pub(crate) async fn tracked<T>(tx: &Tx, class_id: i64, change: impl AsyncFnOnce() -> Result<T>) -> Result<T> {
    // Touching the class row locks it until commit on PostgreSQL and MySQL, so two changes
    // of one class (the last place taken twice) queue instead of both passing the checks;
    // SQLite's write transactions already queue.
    class::Entity::update_many()
        .col_expr(class::Column::UpdatedAt, Expr::col(class::Column::UpdatedAt))
        .filter(class::Column::Id.eq(class_id))
        .exec(tx.conn())
        .await?;
    let before = statuses(tx.conn(), class_id).await?;
    let out = change().await?;
    let after = statuses(tx.conn(), class_id).await?;
    let mut changes: Vec<(i64, Option<EnrolmentStatus>, Option<EnrolmentStatus>)> = after
        .iter()
        .filter(|(p, s)| before.get(p) != Some(s))
        .map(|(p, s)| (*p, before.get(p).copied(), Some(*s)))
        .collect();
    changes.extend(before.iter().filter(|(p, _)| !after.contains_key(p)).map(|(p, s)| (*p, Some(*s), None)));
    crate::coverage::on_enrolments_change(tx, class_id, &changes).await?;
    Ok(out)
}

fn status_of(m: &enrolment::Model) -> EnrolmentStatus {
    EnrolmentStatus::from_code(&m.status).unwrap_or(EnrolmentStatus::Withdrawn)
}

/// Statuses that hold a place or a waiting-list position.
fn active_codes() -> [&'static str; 2] {
    [EnrolmentStatus::Enrolled.code(), EnrolmentStatus::Waitlisted.code()]
}

/// The reason text: required, at most [`REASON_MAX`] characters.
fn check_reason(input: &str, field: &'static str, what: &str, required: bool) -> Result<Option<String>, FieldError> {
    xuepei_domain::org::check_text(input, REASON_MAX, required).map_err(|m| err(field, format!("{what}{m}")))
}

/// The class for an enrolment write; refused when completed.
async fn open_class(tx: &Tx, class_id: i64) -> Result<Class> {
    let c = classes::get(tx.conn(), tx.scope(), class_id).await?;
    if c.status == ClassStatus::Completed {
        return Err(StoreError::Conflict(format!("班次“{}”已结业，不能再调整学员", c.title)));
    }
    Ok(c)
}

/// Subtrees a managing scope may enrol from: the organiser's, the campaign's targets and
/// the allocations'.
async fn organiser_area(db: &impl ConnectionTrait, c: &Class) -> Result<Vec<String>> {
    let mut area = vec![c.org_path.clone()];
    if let Some(cid) = c.campaign_id {
        let rows: Vec<String> = campaign_target::Entity::find()
            .select_only()
            .column(campaign_target::Column::OrgPath)
            .filter(campaign_target::Column::CampaignId.eq(cid))
            .into_tuple()
            .all(db)
            .await?;
        area.extend(rows);
    }
    area.extend(c.allocations.iter().map(|a| a.org_path.clone()));
    Ok(area)
}

/// Finds the people named, inside the writer's scope; unknown ones are reported by the
/// number or id as given (never revealing whether they exist elsewhere).
async fn find_people(
    db: &impl ConnectionTrait,
    scope: &Scope,
    refs: &[PersonRef],
    errs: &mut Vec<FieldError>,
) -> Result<Vec<person::Model>> {
    let mut ids = Vec::new();
    let mut numbers = Vec::new();
    for r in refs {
        match r {
            PersonRef::Id(i) => ids.push(*i),
            PersonRef::IdNumber(s) => {
                let n = PersonRef::number(s);
                if n.is_empty() {
                    continue;
                }
                numbers.push(n);
            }
        }
    }
    let mut found: Vec<person::Model> = Vec::new();
    for chunk in ids.chunks(1000) {
        found.extend(
            person::Entity::find()
                .filter(person::Column::Id.is_in(chunk.to_vec()))
                .filter(scope.cond(person::Column::OrgPath))
                .all(db)
                .await?,
        );
    }
    for chunk in numbers.chunks(1000) {
        found.extend(
            person::Entity::find()
                .filter(person::Column::IdNumber.is_in(chunk.to_vec()))
                .filter(scope.cond(person::Column::OrgPath))
                .all(db)
                .await?,
        );
    }
    let by_id: HashMap<i64, usize> = found.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
    let by_number: HashMap<&str, usize> = found.iter().enumerate().map(|(i, p)| (p.id_number.as_str(), i)).collect();
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    for r in refs {
        let hit = match r {
            PersonRef::Id(i) => by_id.get(i).copied().ok_or_else(|| format!("编号为{i}的人员")),
            PersonRef::IdNumber(s) => {
                let n = PersonRef::number(s);
                if n.is_empty() {
                    continue;
                }
                by_number.get(n.as_str()).copied().ok_or_else(|| format!("身份证号{}的人员", idcard::mask(&n)))
            }
        };
        match hit {
            Ok(i) => {
                if seen.insert(i) {
                    order.push(i);
                }
            }
            Err(what) => errs
                .push(err("people", format!("{what}不在您的管理范围内或未登记，请核对身份证号（或先在人员库中登记）"))),
        }
    }
    let mut slots: Vec<Option<person::Model>> = found.into_iter().map(Some).collect();
    Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
}

/// Active enrolments (enrolled or waitlisted) of these people in other classes whose
/// dates overlap `c`'s: person id → (class title, start, end).
async fn overlaps(
    db: &impl ConnectionTrait,
    c: &Class,
    people: &[i64],
) -> Result<HashMap<i64, (String, NaiveDate, NaiveDate)>> {
    let mut out = HashMap::new();
    for chunk in people.chunks(1000) {
        let rows = enrolment::Entity::find()
            .filter(enrolment::Column::PersonId.is_in(chunk.to_vec()))
            .filter(enrolment::Column::Status.is_in(active_codes()))
            .filter(enrolment::Column::ClassId.ne(c.id))
            .all(db)
            .await?;
        let class_ids: BTreeSet<i64> = rows.iter().map(|r| r.class_id).collect();
        if class_ids.is_empty() {
            continue;
        }
        let others: HashMap<i64, class::Model> = class::Entity::find()
            .filter(class::Column::Id.is_in(class_ids))
            .filter(class::Column::StartOn.lte(c.end_on))
            .filter(class::Column::EndOn.gte(c.start_on))
            .all(db)
            .await?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        for r in rows {
            if let Some(o) = others.get(&r.class_id) {
                out.entry(r.person_id).or_insert_with(|| (o.title.clone(), o.start_on, o.end_on));
            }
        }
    }
    Ok(out)
}

/// The enrolments of a class for these people.
async fn existing(db: &impl ConnectionTrait, class_id: i64, people: &[i64]) -> Result<HashMap<i64, enrolment::Model>> {
    let mut out = HashMap::new();
    for chunk in people.chunks(1000) {
        for r in enrolment::Entity::find()
            .filter(enrolment::Column::ClassId.eq(class_id))
            .filter(enrolment::Column::PersonId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            out.insert(r.person_id, r);
        }
    }
    Ok(out)
}

/// Places taken (enrolled or completed) in a class.
async fn occupied(db: &impl ConnectionTrait, class_id: i64) -> Result<i64> {
    let n = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(class_id))
        .filter(enrolment::Column::Status.is_in([EnrolmentStatus::Enrolled.code(), EnrolmentStatus::Completed.code()]))
        .count(db)
        .await?;
    Ok(n as i64)
}

async fn max_waitlist_seq(db: &impl ConnectionTrait, class_id: i64) -> Result<i64> {
    let v: Option<Option<i64>> = enrolment::Entity::find()
        .select_only()
        .column_as(enrolment::Column::WaitlistSeq.max(), "m")
        .filter(enrolment::Column::ClassId.eq(class_id))
        .into_tuple()
        .one(db)
        .await?;
    Ok(v.flatten().unwrap_or(0))
}

/// Nominated people (enrolled, waitlisted or completed) under an allocation's subtree.
async fn used_places(db: &impl ConnectionTrait, class_id: i64, alloc_path: &str) -> Result<i64> {
    let n = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(class_id))
        .filter(enrolment::Column::Status.is_in([
            EnrolmentStatus::Enrolled.code(),
            EnrolmentStatus::Waitlisted.code(),
            EnrolmentStatus::Completed.code(),
        ]))
        .filter(subtree_cond(enrolment::Column::OrgPath, alloc_path))
        .count(db)
        .await?;
    Ok(n as i64)
}

/// Checks that people may join the class (scope, responsibility, allocation, overlap,
/// already there). Returns the people in request order, or every refusal.
async fn check_joiners(
    tx: &Tx,
    c: &Class,
    people: &[person::Model],
    errs: &mut Vec<FieldError>,
    leaving: Option<i64>,
) -> Result<HashMap<i64, enrolment::Model>> {
    let db = tx.conn();
    let access = c.access(tx.scope());
    match access {
        ClassAccess::Manage => {
            let area = organiser_area(db, c).await?;
            for p in people {
                if !area.iter().any(|a| p.org_path.starts_with(a.as_str())) {
                    errs.push(err(
                        "people",
                        format!(
                            "{}不属于主办单位{}或本轮训工作的培训对象范围，不能报名本班，请核对人员所在单位",
                            who(p),
                            c.organiser.name
                        ),
                    ));
                }
            }
        }
        ClassAccess::Send => {
            if c.allocations.is_empty() {
                return Err(StoreError::Forbidden(format!(
                    "班次“{}”未给贵单位分配名额，不能报名。如需参训请联系主办单位{}分配名额",
                    c.title, c.organiser.name
                )));
            }
            // Each joiner counts against the innermost allocation of the scope holding them.
            let mut adding: BTreeMap<usize, i64> = BTreeMap::new();
            for p in people {
                let alloc = c
                    .allocations
                    .iter()
                    .enumerate()
                    .filter(|(_, a)| p.org_path.starts_with(a.org_path.as_str()))
                    .max_by_key(|(_, a)| a.org_path.len());
                match alloc {
                    Some((i, _)) => *adding.entry(i).or_default() += 1,
                    None => errs.push(err(
                        "people",
                        format!("{}不属于贵单位获分配名额的单位，只能选派本单位获分配名额范围内的人员", who(p)),
                    )),
                }
            }
            for (i, n) in adding {
                let a = &c.allocations[i];
                let mut used = used_places(db, c.id, &a.org_path).await?;
                if let Some(old) = leaving {
                    // A replacement frees the place of the one it replaces.
                    let m = enrolment::Entity::find_by_id(old).one(db).await?;
                    if m.is_some_and(|m| m.org_path.starts_with(a.org_path.as_str())) {
                        used -= 1;
                    }
                }
                if used + n > a.places {
                    errs.push(err(
                        "people",
                        format!(
                            "超出名额：{}在本班分配名额{}人，已报名{}人，本次新增{}人。请减少人数，或联系主办单位{}增加名额",
                            a.org.name, a.places, used, n, c.organiser.name
                        ),
                    ));
                }
            }
        }
        ClassAccess::Deliver => {
            return Err(StoreError::Forbidden(format!(
                "承办机构不能为班次报名学员，请由主办单位{}或获分配名额的选派单位报名",
                c.organiser.name
            )));
        }
    }
    let ids: Vec<i64> = people.iter().map(|p| p.id).collect();
    let there = existing(db, c.id, &ids).await?;
    let clashes = overlaps(db, c, &ids).await?;
    for p in people {
        if let Some(e) = there.get(&p.id)
            && status_of(e) != EnrolmentStatus::Withdrawn
        {
            errs.push(err("people", format!("{}已在本班学员名单中（{}），无需重复报名", who(p), status_of(e).label())));
            continue;
        }
        if let Some((title, s, e)) = clashes.get(&p.id) {
            errs.push(err(
                "people",
                format!(
                    "{}已报名同期班次“{title}”（{s}至{e}），与本班日期重叠，一人不能同时参加两个班次。请先从该班退出或另选人员",
                    who(p)
                ),
            ));
        }
    }
    Ok(there)
}

/// Enrols people into a class, all or nothing: places first, then the waiting list in
/// request order.
pub async fn enrol(tx: &Tx, class_id: i64, refs: &[PersonRef]) -> Result<Vec<EnrolResult>> {
    tracked(tx, class_id, async || enrol_untracked(tx, class_id, refs).await).await
}

async fn enrol_untracked(tx: &Tx, class_id: i64, refs: &[PersonRef]) -> Result<Vec<EnrolResult>> {
    let c = open_class(tx, class_id).await?;
    if matches!(c.access(tx.scope()), ClassAccess::Deliver) {
        return Err(StoreError::Forbidden(format!(
            "承办机构不能为班次报名学员，请由主办单位{}或获分配名额的选派单位报名",
            c.organiser.name
        )));
    }
    if refs.is_empty() {
        return Err(StoreError::invalid("people", "请选择或填写要报名的人员（身份证号）"));
    }
    if refs.len() > BATCH_MAX {
        return Err(StoreError::invalid("people", format!("一次最多报名{BATCH_MAX}人，请分批提交")));
    }
    let mut errs = Vec::new();
    let people = find_people(tx.conn(), tx.scope(), refs, &mut errs).await?;
    let there = check_joiners(tx, &c, &people, &mut errs, None).await?;
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let db = tx.conn();
    let mut free = c.capacity - occupied(db, c.id).await?;
    let mut seq = max_waitlist_seq(db, c.id).await?;
    let t = now();
    let mut results = Vec::with_capacity(people.len());
    let mut fresh = Vec::new();
    for p in &people {
        let (status, wl) = if free > 0 {
            free -= 1;
            (EnrolmentStatus::Enrolled, None)
        } else {
            seq += 1;
            (EnrolmentStatus::Waitlisted, Some(seq))
        };
        if let Some(old) = there.get(&p.id) {
            // A withdrawn trainee nominated again.
            enrolment::Entity::update_many()
                .col_expr(enrolment::Column::Status, Expr::value(status.code()))
                .col_expr(enrolment::Column::WaitlistSeq, Expr::value(wl))
                .col_expr(enrolment::Column::OrgId, Expr::value(p.org_id))
                .col_expr(enrolment::Column::OrgPath, Expr::value(p.org_path.clone()))
                .col_expr(enrolment::Column::LeaveHours, Expr::value(0i64))
                .col_expr(enrolment::Column::Reason, Expr::value(Option::<String>::None))
                .col_expr(enrolment::Column::UpdatedAt, Expr::value(t))
                .filter(enrolment::Column::Id.eq(old.id))
                .exec(db)
                .await?;
            leave_request::Entity::delete_many().filter(leave_request::Column::EnrolmentId.eq(old.id)).exec(db).await?;
        } else {
            fresh.push(enrolment::ActiveModel {
                class_id: Set(c.id),
                person_id: Set(p.id),
                org_id: Set(p.org_id),
                org_path: Set(p.org_path.clone()),
                status: Set(status.code().to_owned()),
                waitlist_seq: Set(wl),
                leave_hours: Set(0),
                reason: Set(None),
                created_at: Set(t),
                updated_at: Set(t),
                ..Default::default()
            });
        }
        results.push(EnrolResult { person_id: p.id, id_number: p.id_number.clone(), name: p.name.clone(), status });
    }
    let chunk = crate::sql::max_params(db.get_database_backend()) / 12;
    let mut rest = fresh;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(chunk));
        enrolment::Entity::insert_many(rest).exec(db).await?;
        rest = tail;
    }
    let waitlisted = results.iter().filter(|r| r.status == EnrolmentStatus::Waitlisted).count();
    let people_json: Vec<serde_json::Value> = results
        .iter()
        .take(1000)
        .map(|r| serde_json::json!({"姓名": r.name, "身份证号": idcard::mask(&r.id_number), "状态": r.status.label()}))
        .collect();
    tx.record(Entry {
        action: "enrolment.create",
        target_type: "class",
        target_id: Some(c.id.to_string()),
        scope_path: tx.scope().root_path().unwrap_or(&c.org_path).to_owned(),
        summary: format!("为班次“{}”报名{}人（其中候补{}人）", c.title, results.len(), waitlisted),
        before: None,
        after: Some(serde_json::json!({"班次": c.title, "学员": people_json})),
    });
    Ok(results)
}

/// Fills free places from the waiting list, first in order first; returns who moved up.
pub(crate) async fn promote(db: &impl ConnectionTrait, c: &Class) -> Result<Vec<i64>> {
    let free = c.capacity - occupied(db, c.id).await?;
    if free <= 0 {
        return Ok(Vec::new());
    }
    let next = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(c.id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Waitlisted.code()))
        .order_by_asc(enrolment::Column::WaitlistSeq)
        .order_by_asc(enrolment::Column::Id)
        .limit(free as u64)
        .all(db)
        .await?;
    let ids: Vec<i64> = next.iter().map(|m| m.id).collect();
    if !ids.is_empty() {
        enrolment::Entity::update_many()
            .col_expr(enrolment::Column::Status, Expr::value(EnrolmentStatus::Enrolled.code()))
            .col_expr(enrolment::Column::WaitlistSeq, Expr::value(Option::<i64>::None))
            .col_expr(enrolment::Column::UpdatedAt, Expr::value(now()))
            .filter(enrolment::Column::Id.is_in(ids.clone()))
            .exec(db)
            .await?;
    }
    Ok(next.into_iter().map(|m| m.person_id).collect())
}

/// Names of people by id (for messages).
async fn names(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<String>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = person::Entity::find().filter(person::Column::Id.is_in(ids.to_vec())).all(db).await?;
    Ok(rows.iter().map(who).collect())
}

/// The enrolment of one person in a class, as a writer of the scope may touch it: the
/// organiser and the institution any, a sending scope only its own people.
async fn enrolment_for_write(tx: &Tx, c: &Class, who_ref: &PersonRef) -> Result<(enrolment::Model, person::Model)> {
    let db = tx.conn();
    let p = match who_ref {
        PersonRef::Id(id) => person::Entity::find_by_id(*id).one(db).await?,
        PersonRef::IdNumber(n) => {
            person::Entity::find().filter(person::Column::IdNumber.eq(PersonRef::number(n))).one(db).await?
        }
    }
    .ok_or(StoreError::NotFound("学员"))?;
    let e = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(c.id))
        .filter(enrolment::Column::PersonId.eq(p.id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("学员"))?;
    let sees = match c.access(tx.scope()) {
        ClassAccess::Manage | ClassAccess::Deliver => true,
        ClassAccess::Send => tx.scope().contains_path(&e.org_path),
    };
    if !sees {
        return Err(StoreError::NotFound("学员"));
    }
    Ok((e, p))
}

/// Outcome of a withdrawal or replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Withdrawal {
    pub withdrawn: String,
    /// Who moved up from the waiting list (name and masked number).
    pub promoted: Vec<String>,
}

/// Withdraws a trainee (退学) with a reason; the first waitlisted moves up.
pub async fn withdraw(tx: &Tx, class_id: i64, who_ref: &PersonRef, reason: &str) -> Result<Withdrawal> {
    tracked(tx, class_id, async || withdraw_untracked(tx, class_id, who_ref, reason).await).await
}

async fn withdraw_untracked(tx: &Tx, class_id: i64, who_ref: &PersonRef, reason: &str) -> Result<Withdrawal> {
    let c = open_class(tx, class_id).await?;
    let reason = check_reason(reason, "reason", "退学原因", true).map_err(|e| StoreError::Invalid(vec![e]))?;
    let (e, p) = enrolment_for_write(tx, &c, who_ref).await?;
    let st = status_of(&e);
    if !matches!(st, EnrolmentStatus::Enrolled | EnrolmentStatus::Waitlisted) {
        return Err(StoreError::Conflict(format!("{}当前状态为“{}”，不能退学", who(&p), st.label())));
    }
    set_withdrawn(tx.conn(), e.id, reason.as_deref().unwrap_or_default(), None).await?;
    let promoted = names(tx.conn(), &promote(tx.conn(), &c).await?).await?;
    tx.record(Entry {
        action: "enrolment.withdraw",
        target_type: "enrolment",
        target_id: Some(e.id.to_string()),
        scope_path: e.org_path.clone(),
        summary: format!("{}退出班次“{}”：{}", who(&p), c.title, reason.clone().unwrap_or_default()),
        before: Some(serde_json::json!({"状态": st.label()})),
        after: Some(
            serde_json::json!({"状态": EnrolmentStatus::Withdrawn.label(), "原因": reason, "候补递补": promoted}),
        ),
    });
    Ok(Withdrawal { withdrawn: who(&p), promoted })
}

async fn set_withdrawn(db: &impl ConnectionTrait, id: i64, reason: &str, leave: Option<Hours>) -> Result<()> {
    let mut q = enrolment::Entity::update_many()
        .col_expr(enrolment::Column::Status, Expr::value(EnrolmentStatus::Withdrawn.code()))
        .col_expr(enrolment::Column::WaitlistSeq, Expr::value(Option::<i64>::None))
        .col_expr(enrolment::Column::Reason, Expr::value(reason.to_owned()))
        .col_expr(enrolment::Column::UpdatedAt, Expr::value(now()));
    if let Some(h) = leave {
        q = q.col_expr(enrolment::Column::LeaveHours, Expr::value(h.hundredths()));
    }
    q.filter(enrolment::Column::Id.eq(id)).exec(db).await?;
    Ok(())
}

/// Replaces one trainee by another (换人) in one transaction: the new one takes the old
/// one's place (or waiting-list position); a sending scope stays within its allocation.
pub async fn replace(tx: &Tx, class_id: i64, old: &PersonRef, new: &PersonRef, reason: &str) -> Result<EnrolResult> {
    tracked(tx, class_id, async || replace_untracked(tx, class_id, old, new, reason).await).await
}

async fn replace_untracked(
    tx: &Tx,
    class_id: i64,
    old: &PersonRef,
    new: &PersonRef,
    reason: &str,
) -> Result<EnrolResult> {
    let c = open_class(tx, class_id).await?;
    let mut errs = Vec::new();
    let reason = check_reason(reason, "reason", "换人原因", true).unwrap_or_else(|e| {
        errs.push(e);
        None
    });
    let (e, p_old) = enrolment_for_write(tx, &c, old).await?;
    let st = status_of(&e);
    if !matches!(st, EnrolmentStatus::Enrolled | EnrolmentStatus::Waitlisted) {
        return Err(StoreError::Conflict(format!("{}当前状态为“{}”，不能被替换", who(&p_old), st.label())));
    }
    let people = find_people(tx.conn(), tx.scope(), std::slice::from_ref(new), &mut errs).await?;
    let there = check_joiners(tx, &c, &people, &mut errs, Some(e.id)).await?;
    if let Some(p) = people.first()
        && p.id == p_old.id
    {
        errs.push(err("new", "替换人员与原学员为同一人，请选择另一名人员"));
    }
    let Some(p_new) = people.into_iter().next().filter(|_| errs.is_empty()) else {
        return Err(StoreError::Invalid(errs));
    };
    let db = tx.conn();
    set_withdrawn(db, e.id, &format!("由{}替换：{}", p_new.name, reason.clone().unwrap_or_default()), None).await?;
    let t = now();
    if let Some(prev) = there.get(&p_new.id) {
        enrolment::Entity::update_many()
            .col_expr(enrolment::Column::Status, Expr::value(e.status.clone()))
            .col_expr(enrolment::Column::WaitlistSeq, Expr::value(e.waitlist_seq))
            .col_expr(enrolment::Column::OrgId, Expr::value(p_new.org_id))
            .col_expr(enrolment::Column::OrgPath, Expr::value(p_new.org_path.clone()))
            .col_expr(enrolment::Column::LeaveHours, Expr::value(0i64))
            .col_expr(enrolment::Column::Reason, Expr::value(Option::<String>::None))
            .col_expr(enrolment::Column::UpdatedAt, Expr::value(t))
            .filter(enrolment::Column::Id.eq(prev.id))
            .exec(db)
            .await?;
        leave_request::Entity::delete_many().filter(leave_request::Column::EnrolmentId.eq(prev.id)).exec(db).await?;
    } else {
        enrolment::ActiveModel {
            class_id: Set(c.id),
            person_id: Set(p_new.id),
            org_id: Set(p_new.org_id),
            org_path: Set(p_new.org_path.clone()),
            status: Set(e.status.clone()),
            waitlist_seq: Set(e.waitlist_seq),
            leave_hours: Set(0),
            reason: Set(None),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    tx.record(Entry {
        action: "enrolment.replace",
        target_type: "enrolment",
        target_id: Some(e.id.to_string()),
        scope_path: e.org_path.clone(),
        summary: format!("班次“{}”：{}替换{}", c.title, who(&p_new), who(&p_old)),
        before: Some(serde_json::json!({"学员": who(&p_old), "状态": st.label()})),
        after: Some(serde_json::json!({"学员": who(&p_new), "状态": st.label(), "原因": reason})),
    });
    Ok(EnrolResult { person_id: p_new.id, id_number: p_new.id_number, name: p_new.name, status: st })
}

// ---------------------------------------------------------------------------------------
// Leave

/// The class's sessions with their hours.
pub(crate) async fn session_hours(db: &impl ConnectionTrait, class_id: i64) -> Result<BTreeMap<i64, Hours>> {
    let rows: Vec<(i64, i64)> = class_session::Entity::find()
        .select_only()
        .column(class_session::Column::Id)
        .column(class_session::Column::Hours)
        .filter(class_session::Column::ClassId.eq(class_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|(id, h)| (id, Hours::from_hundredths(h))).collect())
}

/// The leave requests of enrolments, by enrolment.
async fn requests_of(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, Vec<LeaveRequest>>> {
    let mut out: HashMap<i64, Vec<LeaveRequest>> = HashMap::new();
    for chunk in ids.chunks(1000) {
        for r in leave_request::Entity::find()
            .filter(leave_request::Column::EnrolmentId.is_in(chunk.to_vec()))
            .all(db)
            .await?
        {
            let sessions: Vec<i64> = serde_json::from_str(&r.sessions).unwrap_or_default();
            out.entry(r.enrolment_id)
                .or_default()
                .push(LeaveRequest { hours: Hours::from_hundredths(r.hours), sessions });
        }
    }
    Ok(out)
}

/// Sessions marked 'leave' per enrolment.
async fn leave_marks_of(db: &impl ConnectionTrait, ids: &[i64]) -> Result<HashMap<i64, Vec<i64>>> {
    let mut out: HashMap<i64, Vec<i64>> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<(i64, i64)> = attendance::Entity::find()
            .select_only()
            .column(attendance::Column::EnrolmentId)
            .column(attendance::Column::SessionId)
            .filter(attendance::Column::EnrolmentId.is_in(chunk.to_vec()))
            .filter(attendance::Column::Mark.eq(AttendanceMark::Leave.code()))
            .into_tuple()
            .all(db)
            .await?;
        for (e, s) in rows {
            out.entry(e).or_default().push(s);
        }
    }
    Ok(out)
}

/// Each enrolment's leave: sessions covered by requests ∪ sessions marked 'leave', each
/// once, plus hours-only requests.
pub(crate) async fn leave_totals(
    db: &impl ConnectionTrait,
    sessions: &BTreeMap<i64, Hours>,
    ids: &[i64],
) -> Result<HashMap<i64, Hours>> {
    let reqs = requests_of(db, ids).await?;
    let marks = leave_marks_of(db, ids).await?;
    Ok(ids
        .iter()
        .map(|id| {
            let r = reqs.get(id).map(Vec::as_slice).unwrap_or(&[]);
            let m = marks.get(id).map(Vec::as_slice).unwrap_or(&[]);
            (*id, leave_hours(sessions, r, m))
        })
        .collect())
}

/// What a leave request did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeaveAnswer {
    /// `enrolled` (still in the class) or `withdrawn` (past the limit).
    pub status: EnrolmentStatus,
    pub leave_hours: Hours,
    pub class_hours: Hours,
    /// The limit as a fraction ("1/7").
    pub max_leave: String,
    pub message: String,
    /// Who moved up from the waiting list when the trainee was withdrawn.
    pub promoted: Vec<String>,
}

/// Applies the leave rule to one enrolment after its leave changed: records the total,
/// and withdraws the trainee past the limit (promoting the waiting list).
pub(crate) async fn apply_leave_rule(
    tx: &Tx,
    c: &Class,
    e: &enrolment::Model,
    p: &person::Model,
) -> Result<LeaveAnswer> {
    let db = tx.conn();
    let sessions = session_hours(db, c.id).await?;
    let class_hours: Hours = sessions.values().copied().sum();
    let total = leave_totals(db, &sessions, &[e.id]).await?.remove(&e.id).unwrap_or_default();
    let max = c.max_leave;
    let outcome = assess_leave(max, class_hours, total).map_err(|m| StoreError::invalid("hours", m))?;
    match outcome {
        LeaveOutcome::Allowed => {
            enrolment::Entity::update_many()
                .col_expr(enrolment::Column::LeaveHours, Expr::value(total.hundredths()))
                .col_expr(enrolment::Column::UpdatedAt, Expr::value(now()))
                .filter(enrolment::Column::Id.eq(e.id))
                .exec(db)
                .await?;
            Ok(LeaveAnswer {
                status: status_of(e),
                leave_hours: total,
                class_hours,
                max_leave: max.to_string(),
                message: format!("{}累计请假{total}学时，本班总学时{class_hours}，未超过{max}的规定", who(p)),
                promoted: Vec::new(),
            })
        }
        LeaveOutcome::Withdrawn { reason } => {
            set_withdrawn(db, e.id, &reason, Some(total)).await?;
            let promoted = names(db, &promote(db, c).await?).await?;
            tx.record(Entry {
                action: "enrolment.withdraw",
                target_type: "enrolment",
                target_id: Some(e.id.to_string()),
                scope_path: e.org_path.clone(),
                summary: format!("{}在班次“{}”{}", who(p), c.title, reason),
                before: Some(serde_json::json!({"状态": status_of(e).label()})),
                after: Some(serde_json::json!({"状态": EnrolmentStatus::Withdrawn.label(), "原因": reason, "候补递补": promoted})),
            });
            Ok(LeaveAnswer {
                status: EnrolmentStatus::Withdrawn,
                leave_hours: total,
                class_hours,
                max_leave: max.to_string(),
                message: format!("{}{reason}", who(p)),
                promoted,
            })
        }
    }
}

/// A leave request as submitted: hours alone, or the sessions it covers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LeaveInput {
    pub hours: Option<Hours>,
    pub sessions: Vec<i64>,
    pub reason: String,
}

async fn file_leave(
    tx: &Tx,
    c: &Class,
    e: enrolment::Model,
    p: person::Model,
    input: &LeaveInput,
) -> Result<LeaveAnswer> {
    let st = status_of(&e);
    if st != EnrolmentStatus::Enrolled {
        return Err(StoreError::Conflict(format!("{}当前状态为“{}”，不能请假", who(&p), st.label())));
    }
    let mut errs = Vec::new();
    let reason = check_reason(&input.reason, "reason", "请假事由", true).unwrap_or_else(|e| {
        errs.push(e);
        None
    });
    let sessions = session_hours(tx.conn(), c.id).await?;
    let req = match check_request(&sessions, input.hours, &input.sessions) {
        Ok(r) => Some(r),
        Err(ms) => {
            errs.extend(ms.into_iter().map(|m| err(if input.sessions.is_empty() { "hours" } else { "sessions" }, m)));
            None
        }
    };
    let Some(req) = req.filter(|_| errs.is_empty()) else {
        return Err(StoreError::Invalid(errs));
    };
    let m = leave_request::ActiveModel {
        enrolment_id: Set(e.id),
        hours: Set(req.hours.hundredths()),
        reason: Set(reason.clone().unwrap_or_default()),
        sessions: Set(serde_json::to_string(&req.sessions).unwrap_or_else(|_| "[]".to_owned())),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    tx.record(Entry {
        action: "leave.create",
        target_type: "leave_request",
        target_id: Some(m.id.to_string()),
        scope_path: e.org_path.clone(),
        summary: format!("{}在班次“{}”请假{}学时：{}", who(&p), c.title, req.hours, reason.clone().unwrap_or_default()),
        before: None,
        after: Some(serde_json::json!({"学时": req.hours.to_string(), "课程": req.sessions, "事由": reason})),
    });
    apply_leave_rule(tx, c, &e, &p).await
}

/// Files a leave request for a trainee (by the organiser, the institution, or the
/// trainee's sending organisation).
pub async fn request_leave(tx: &Tx, class_id: i64, who_ref: &PersonRef, input: &LeaveInput) -> Result<LeaveAnswer> {
    tracked(tx, class_id, async || request_leave_untracked(tx, class_id, who_ref, input).await).await
}

async fn request_leave_untracked(
    tx: &Tx,
    class_id: i64,
    who_ref: &PersonRef,
    input: &LeaveInput,
) -> Result<LeaveAnswer> {
    let c = open_class(tx, class_id).await?;
    let (e, p) = enrolment_for_write(tx, &c, who_ref).await?;
    file_leave(tx, &c, e, p, input).await
}

/// A trainee asks for leave in their own class (我的培训). `person_id` is the signed-in
/// account's own person.
pub async fn request_own_leave(tx: &Tx, class_id: i64, person_id: i64, input: &LeaveInput) -> Result<LeaveAnswer> {
    tracked(tx, class_id, async || request_own_leave_untracked(tx, class_id, person_id, input).await).await
}

async fn request_own_leave_untracked(
    tx: &Tx,
    class_id: i64,
    person_id: i64,
    input: &LeaveInput,
) -> Result<LeaveAnswer> {
    let db = tx.conn();
    let e = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(class_id))
        .filter(enrolment::Column::PersonId.eq(person_id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("班次"))?;
    let p = person::Entity::find_by_id(person_id).one(db).await?.ok_or(StoreError::NotFound("学员"))?;
    // The trainee's own enrolment was found above: reading its class is their own record.
    let c = classes::get(db, &Scope::whole(), class_id).await?;
    if c.status == ClassStatus::Completed {
        return Err(StoreError::Conflict(format!("班次“{}”已结业，不能再请假", c.title)));
    }
    file_leave(tx, &c, e, p, input).await
}

/// One leave request as the lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leave {
    pub id: i64,
    pub enrolment_id: i64,
    pub name: String,
    pub id_number: String,
    pub hours: Hours,
    pub sessions: Vec<i64>,
    pub reason: String,
    pub created_at: DateTime<Utc>,
}

impl Leave {
    pub fn masked_id(&self) -> String {
        idcard::mask(&self.id_number)
    }
}

/// The leave requests of a class the viewer may see (a sending scope its own people's).
pub async fn leave_list(db: &impl ConnectionTrait, scope: &Scope, class_id: i64) -> Result<Vec<Leave>> {
    let c = classes::get(db, scope, class_id).await?;
    let mut q = enrolment::Entity::find().filter(enrolment::Column::ClassId.eq(c.id));
    if !c.deliverable_by(scope) {
        q = q.filter(scope.cond(enrolment::Column::OrgPath));
    }
    let es = q.all(db).await?;
    leaves_of(db, es).await
}

async fn leaves_of(db: &impl ConnectionTrait, es: Vec<enrolment::Model>) -> Result<Vec<Leave>> {
    let ids: Vec<i64> = es.iter().map(|e| e.id).collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let people: HashMap<i64, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(es.iter().map(|e| e.person_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let by_e: HashMap<i64, i64> = es.iter().map(|e| (e.id, e.person_id)).collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        for r in leave_request::Entity::find()
            .filter(leave_request::Column::EnrolmentId.is_in(chunk.to_vec()))
            .order_by_asc(leave_request::Column::Id)
            .all(db)
            .await?
        {
            let p = by_e.get(&r.enrolment_id).and_then(|pid| people.get(pid));
            out.push(Leave {
                id: r.id,
                enrolment_id: r.enrolment_id,
                name: p.map(|p| p.name.clone()).unwrap_or_default(),
                id_number: p.map(|p| p.id_number.clone()).unwrap_or_default(),
                hours: Hours::from_hundredths(r.hours),
                sessions: serde_json::from_str(&r.sessions).unwrap_or_default(),
                reason: r.reason,
                created_at: r.created_at,
            });
        }
    }
    out.sort_by_key(|l| l.id);
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// Completion

/// A trainee not completed, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotCompleted {
    pub id_number: String,
    pub name: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Completion {
    /// Trainees completed (this run and before).
    pub completed: u64,
    pub not_completed: Vec<NotCompleted>,
}

/// Completes a class (结业): every enrolled trainee within the leave rule is completed and
/// gets one credit record (the class's hours less their leave), the others are withdrawn
/// with the reason. Sessions without a mark are settled first. Running it again changes
/// nothing and writes no second record.
pub async fn complete(tx: &Tx, class_id: i64) -> Result<Completion> {
    tracked(tx, class_id, async || complete_untracked(tx, class_id).await).await
}

async fn complete_untracked(tx: &Tx, class_id: i64) -> Result<Completion> {
    let c = classes::get(tx.conn(), tx.scope(), class_id).await?;
    if !c.deliverable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!("班次“{}”只能由主办单位或承办机构办理结业", c.title)));
    }
    let db = tx.conn();
    let sessions = session_hours(db, c.id).await?;
    let class_hours: Hours = sessions.values().copied().sum();
    if class_hours <= Hours::ZERO {
        return Err(StoreError::invalid("class", "本班尚未安排课程（总学时为0），不能结业。请先完善课程表"));
    }
    // A class is completed once its last session has ended, not before.
    let list = classes::sessions::list(db, tx.scope(), c.id).await?;
    if let Some(last) = list.iter().max_by_key(|s| (s.date, s.ends_min)) {
        let ends = last.date.and_hms_opt(0, 0, 0).map(|d| d + chrono::Duration::minutes(last.ends_min));
        if ends.is_some_and(|e| e > xuepei_domain::time::local(now())) {
            return Err(StoreError::Conflict(format!(
                "班次“{}”的最后一次课程（{} {}）尚未结束，不能结业。请在课程全部结束、考勤登记完毕后办理结业",
                c.title,
                last.date,
                last.ends()
            )));
        }
    }
    crate::attendance::settle(db, &c, None).await?;
    let es = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(c.id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Enrolled.code()))
        .all(db)
        .await?;
    let ids: Vec<i64> = es.iter().map(|e| e.id).collect();
    let totals = leave_totals(db, &sessions, &ids).await?;
    // Hours of sessions missed without leave (缺勤): never credited, and they count with
    // leave against the limit — an absence is no better than an approved leave.
    let mut absent: HashMap<i64, Hours> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let rows: Vec<(i64, i64)> = attendance::Entity::find()
            .select_only()
            .columns([attendance::Column::EnrolmentId, attendance::Column::SessionId])
            .filter(attendance::Column::EnrolmentId.is_in(chunk.to_vec()))
            .filter(attendance::Column::Mark.eq(AttendanceMark::Absent.code()))
            .into_tuple()
            .all(db)
            .await?;
        for (e, sid) in rows {
            *absent.entry(e).or_default() += sessions.get(&sid).copied().unwrap_or_default();
        }
    }
    let people: HashMap<i64, person::Model> = {
        let mut m = HashMap::new();
        let pids: Vec<i64> = es.iter().map(|e| e.person_id).collect();
        for chunk in pids.chunks(1000) {
            for p in person::Entity::find().filter(person::Column::Id.is_in(chunk.to_vec())).all(db).await? {
                m.insert(p.id, p);
            }
        }
        m
    };
    let have: BTreeSet<i64> = credit_record::Entity::find()
        .select_only()
        .column(credit_record::Column::PersonId)
        .filter(credit_record::Column::ClassId.eq(c.id))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let t = now();
    let mut done = Vec::new();
    let mut written = 0usize;
    let mut records = Vec::new();
    let mut not_completed = Vec::new();
    for e in &es {
        let leave = totals.get(&e.id).copied().unwrap_or_default();
        let missed = leave + absent.get(&e.id).copied().unwrap_or_default();
        let p = people.get(&e.person_id);
        let outcome = assess_leave(c.max_leave, class_hours, missed);
        match outcome {
            Ok(LeaveOutcome::Allowed) => {
                done.push(e.id);
                if !have.contains(&e.person_id) {
                    written += 1;
                    records.push(credit_record::ActiveModel {
                        person_id: Set(e.person_id),
                        on_date: Set(c.end_on),
                        hours: Set((class_hours - missed).hundredths()),
                        source: Set("class".to_owned()),
                        class_id: Set(Some(c.id)),
                        title: Set(c.title.clone()),
                        provider: Set(None),
                        external_ref: Set(None),
                        status: Set("approved".to_owned()),
                        evidence_upload_id: Set(None),
                        reviewed_by: Set(None),
                        reviewed_at: Set(None),
                        note: Set(None),
                        created_at: Set(t),
                        ..Default::default()
                    });
                }
            }
            Ok(LeaveOutcome::Withdrawn { reason }) | Err(reason) => {
                set_withdrawn(db, e.id, &reason, Some(leave)).await?;
                not_completed.push(NotCompleted {
                    id_number: p.map(|p| p.id_number.clone()).unwrap_or_default(),
                    name: p.map(|p| p.name.clone()).unwrap_or_default(),
                    reason,
                });
            }
        }
    }
    let done_set: BTreeSet<i64> = done.iter().copied().collect();
    for chunk in done.chunks(1000) {
        enrolment::Entity::update_many()
            .col_expr(enrolment::Column::Status, Expr::value(EnrolmentStatus::Completed.code()))
            .col_expr(enrolment::Column::UpdatedAt, Expr::value(t))
            .filter(enrolment::Column::Id.is_in(chunk.to_vec()))
            .exec(db)
            .await?;
    }
    for (e, leave) in es.iter().filter_map(|e| totals.get(&e.id).map(|l| (e, l))) {
        if *leave != Hours::from_hundredths(e.leave_hours) && done_set.contains(&e.id) {
            enrolment::Entity::update_many()
                .col_expr(enrolment::Column::LeaveHours, Expr::value(leave.hundredths()))
                .filter(enrolment::Column::Id.eq(e.id))
                .exec(db)
                .await?;
        }
    }
    let mut rest = records;
    let chunk = crate::sql::max_params(db.get_database_backend()) / 16;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(chunk));
        credit_record::Entity::insert_many(rest).exec(db).await?;
        rest = tail;
    }
    let was_open = c.status != ClassStatus::Completed;
    class::Entity::update_many()
        .col_expr(class::Column::Status, Expr::value(ClassStatus::Completed.code()))
        .col_expr(class::Column::CompletedAt, Expr::value(c.completed_at.unwrap_or(t)))
        .col_expr(class::Column::UpdatedAt, Expr::value(t))
        .filter(class::Column::Id.eq(c.id))
        .exec(db)
        .await?;
    let completed = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(c.id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed.code()))
        .count(db)
        .await?;
    if was_open || !done.is_empty() || !not_completed.is_empty() {
        tx.record(Entry {
            action: "class.complete",
            target_type: "class",
            target_id: Some(c.id.to_string()),
            scope_path: c.org_path.clone(),
            summary: format!(
                "班次“{}”结业：结业{}人，未结业{}人，写入学时记录{}条",
                c.title,
                completed,
                not_completed.len(),
                written
            ),
            before: Some(serde_json::json!({"状态": c.status.label()})),
            after: Some(serde_json::json!({
                "状态": ClassStatus::Completed.label(),
                "结业人数": completed,
                "未结业": not_completed.iter().map(|n| format!("{}（{}）：{}", n.name, idcard::mask(&n.id_number), n.reason)).collect::<Vec<_>>(),
            })),
        });
    }
    Ok(Completion { completed, not_completed })
}

// ---------------------------------------------------------------------------------------
// Reads

/// Filters of a roster.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnrolmentFilter {
    pub status: Option<EnrolmentStatus>,
}

async fn build(db: &impl ConnectionTrait, rows: Vec<enrolment::Model>) -> Result<Vec<Enrolment>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let pids: Vec<i64> = rows.iter().map(|r| r.person_id).collect();
    let oids: BTreeSet<i64> = rows.iter().map(|r| r.org_id).collect();
    let people: HashMap<i64, person::Model> = person::Entity::find()
        .filter(person::Column::Id.is_in(pids))
        .all(db)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect();
    let orgs: HashMap<i64, String> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(oids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.short_name.unwrap_or(o.name)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|m| {
            let p = people.get(&m.person_id);
            Enrolment {
                id: m.id,
                class_id: m.class_id,
                person_id: m.person_id,
                name: p.map(|p| p.name.clone()).unwrap_or_default(),
                id_number: p.map(|p| p.id_number.clone()).unwrap_or_default(),
                org_id: m.org_id,
                org_name: orgs.get(&m.org_id).cloned().unwrap_or_default(),
                status: status_of(&m),
                org_path: m.org_path,
                waitlist_seq: m.waitlist_seq,
                leave_hours: Hours::from_hundredths(m.leave_hours),
                reason: m.reason,
                created_at: m.created_at,
                updated_at: m.updated_at,
            }
        })
        .collect())
}

async fn page(
    db: &impl ConnectionTrait,
    class_id: i64,
    only: Option<&Scope>,
    f: &EnrolmentFilter,
    at: At<'_>,
    limit: u64,
) -> Result<Page<Enrolment>> {
    let mut c = Condition::all().add(enrolment::Column::ClassId.eq(class_id));
    if let Some(s) = only {
        c = c.add(s.cond(enrolment::Column::OrgPath));
    }
    if let Some(st) = f.status {
        c = c.add(enrolment::Column::Status.eq(st.code()));
    }
    let (limit, n) = fetch(limit, 1000);
    if let Some(k) = at.key_cond(enrolment::Column::Id) {
        c = c.add(k);
    }
    let mut q = enrolment::Entity::find().filter(c).order_by(enrolment::Column::Id, at.order()).limit(n);
    if let Some(skip) = at.offset(limit) {
        q = q.offset(skip);
    }
    let rows = q.all(db).await?;
    let kept: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let mut built: HashMap<i64, Enrolment> = build(db, rows).await?.into_iter().map(|e| (e.id, e)).collect();
    let p = page_of(kept, limit, at, |id| id.to_string(), |id| built.remove(&id));
    Ok(Page { items: p.items.into_iter().flatten().collect(), next: p.next, prev: p.prev })
}

/// Everyone of a class the scope manages or delivers.
pub async fn for_organiser(
    db: &impl ConnectionTrait,
    scope: &Scope,
    class_id: i64,
    f: &EnrolmentFilter,
    at: At<'_>,
    limit: u64,
) -> Result<Page<Enrolment>> {
    let c = classes::get(db, scope, class_id).await?;
    if !c.deliverable_by(scope) {
        return Err(StoreError::Forbidden("只有主办单位和承办机构可以查看全部学员".to_owned()));
    }
    page(db, c.id, None, f, at, limit).await
}

/// Only the enrolments of a class whose sending organisation lies in the scope.
pub async fn for_sending_org(
    db: &impl ConnectionTrait,
    scope: &Scope,
    class_id: i64,
    f: &EnrolmentFilter,
    at: At<'_>,
    limit: u64,
) -> Result<Page<Enrolment>> {
    let c = classes::get(db, scope, class_id).await?;
    page(db, c.id, Some(scope), f, at, limit).await
}

/// The roster as the scope may see it: all for the organiser and the institution, the
/// scope's own people for anyone else who sees the class.
pub async fn roster(
    db: &impl ConnectionTrait,
    scope: &Scope,
    class_id: i64,
    f: &EnrolmentFilter,
    at: At<'_>,
    limit: u64,
) -> Result<Page<Enrolment>> {
    let c = classes::get(db, scope, class_id).await?;
    let only = (!c.deliverable_by(scope)).then_some(scope);
    page(db, c.id, only, f, at, limit).await
}

/// Counts by status of what the scope may see of a class.
pub async fn counts(db: &impl ConnectionTrait, scope: &Scope, class_id: i64) -> Result<BTreeMap<&'static str, u64>> {
    let c = classes::get(db, scope, class_id).await?;
    let mut q = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::Status)
        .column_as(enrolment::Column::Id.count(), "n")
        .filter(enrolment::Column::ClassId.eq(c.id))
        .group_by(enrolment::Column::Status);
    if !c.deliverable_by(scope) {
        q = q.filter(scope.cond(enrolment::Column::OrgPath));
    }
    let rows: Vec<(String, i64)> = q.into_tuple().all(db).await?;
    let mut out = BTreeMap::new();
    for s in EnrolmentStatus::ALL {
        out.insert(s.code(), 0);
    }
    for (s, n) in rows {
        if let Some(st) = EnrolmentStatus::from_code(&s) {
            out.insert(st.code(), n as u64);
        }
    }
    Ok(out)
}

/// A class of a trainee's own (我的培训).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MyClass {
    pub class_id: i64,
    pub title: String,
    pub institution: Option<String>,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    pub status: EnrolmentStatus,
    pub class_completed: bool,
    pub leave_hours: Hours,
    pub reason: Option<String>,
    /// The class's leave limit, a share of its hours.
    pub max_leave: Fraction,
}

/// A trainee's own classes, newest first (`person_id` is the signed-in account's person).
pub async fn for_person(db: &impl ConnectionTrait, person_id: i64) -> Result<Vec<MyClass>> {
    let es = enrolment::Entity::find()
        .filter(enrolment::Column::PersonId.eq(person_id))
        .order_by_desc(enrolment::Column::Id)
        .limit(200)
        .all(db)
        .await?;
    if es.is_empty() {
        return Ok(Vec::new());
    }
    let cs: HashMap<i64, class::Model> = class::Entity::find()
        .filter(class::Column::Id.is_in(es.iter().map(|e| e.class_id).collect::<Vec<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let mut out: Vec<MyClass> = es
        .iter()
        .filter_map(|e| {
            let c = cs.get(&e.class_id)?;
            Some(MyClass {
                class_id: c.id,
                title: c.title.clone(),
                institution: c.institution.clone(),
                start_on: c.start_on,
                end_on: c.end_on,
                status: status_of(e),
                class_completed: c.status == ClassStatus::Completed.code(),
                leave_hours: Hours::from_hundredths(e.leave_hours),
                reason: e.reason.clone(),
                max_leave: Fraction::parse(&c.max_leave).unwrap_or(Fraction::ONE),
            })
        })
        .collect();
    out.sort_by(|a, b| b.start_on.cmp(&a.start_on).then(b.class_id.cmp(&a.class_id)));
    Ok(out)
}

/// A trainee's own enrolment in one class (None when not enrolled).
pub async fn own_enrolment(db: &impl ConnectionTrait, person_id: i64, class_id: i64) -> Result<Option<Enrolment>> {
    let e = enrolment::Entity::find()
        .filter(enrolment::Column::PersonId.eq(person_id))
        .filter(enrolment::Column::ClassId.eq(class_id))
        .one(db)
        .await?;
    Ok(build(db, e.into_iter().collect()).await?.pop())
}

/// Places used under each allocation of a class the scope sees (a sending scope only its
/// own allocations): (organisation id, nominated people — enrolled, waitlisted or completed).
pub async fn allocation_usage(db: &impl ConnectionTrait, scope: &Scope, class_id: i64) -> Result<Vec<(i64, i64)>> {
    let c = classes::get(db, scope, class_id).await?;
    let mut out = Vec::with_capacity(c.allocations.len());
    for a in &c.allocations {
        out.push((a.org.id, used_places(db, c.id, &a.org_path).await?));
    }
    Ok(out)
}
