//! A study group's sessions (集中学习研讨): date, topic, whether a thematic discussion, the
//! lead learner, attendance of the group's people (出席, 请假, 缺席), members' speeches and
//! notes. Only the group's own people may be named; members left out of the attendance
//! count as absent, except the lead learner and those who spoke (they count as present);
//! no one marked on leave or absent leads or speaks. The members present and expected are columns, so attendance rates
//! add up with one grouped read. A session closes like a meeting (30 days after, or when
//! closed explicitly) and then changes only by an audited correction with a reason.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::{self as rules, BODY_MAX, MemberRole, Presence, SPEECH_MAX, TITLE_MAX};
use xuepei_domain::study::meetings::{CLOSE_AFTER_DAYS, Period, is_closed};

use super::{Group, PersonKey, PersonLabel, check_day};
use crate::audit::{Entry, Tx, json};
use crate::classes::OrgRef;
use crate::entity::study_session;
use crate::meetings::{clean, err, key_words, labels, linkable, material_titles, normal_number, to_json};
use crate::org::now;
use crate::scope::Scope;
use crate::study_figures::Share;
use crate::{Result, StoreError};

/// A session as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInput {
    pub date: Option<NaiveDate>,
    pub topic: String,
    pub thematic: bool,
    pub lead: Option<PersonKey>,
    /// A person, a presence code or label, and the reason of a leave or absence.
    pub attendance: Vec<(PersonKey, String, String)>,
    /// Who spoke and a summary of what they said.
    pub speeches: Vec<(PersonKey, String)>,
    pub notes: String,
    pub materials: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredAttendance {
    person: i64,
    presence: Presence,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredSpeech {
    person: i64,
    summary: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SessionAttendance {
    pub person: PersonLabel,
    /// The person's place in the group when read (`None`: no longer in it).
    pub role: Option<MemberRole>,
    pub presence: Presence,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Speech {
    pub person: PersonLabel,
    pub summary: String,
}

/// A session as read.
#[derive(Debug, Clone, Serialize)]
pub struct Session {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    pub org: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub held_on: NaiveDate,
    pub topic: String,
    pub thematic: bool,
    pub lead: PersonLabel,
    pub attendance: Vec<SessionAttendance>,
    pub speeches: Vec<Speech>,
    pub notes: String,
    pub materials: Vec<(i64, String)>,
    pub present: u32,
    pub expected: u32,
    pub rate: Option<f64>,
    pub closed: bool,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Session {
    pub fn title(&self) -> String {
        format!("{}{}集中学习（{}）", self.group_name, if self.thematic { "专题研讨" } else { "" }, self.held_on)
    }

    pub fn with(&self, p: Presence) -> impl Iterator<Item = &SessionAttendance> {
        self.attendance.iter().filter(move |a| a.presence == p)
    }
}

struct Resolved {
    date: NaiveDate,
    topic: String,
    lead: i64,
    attendance: Vec<StoredAttendance>,
    speeches: Vec<StoredSpeech>,
    notes: String,
    materials: Vec<i64>,
    present: i32,
    expected: i32,
}

/// Checks a session against its group: every person named must be one of its people.
/// A `new` session names only the group's current people: members who moved out of its
/// organisation are refused by name (an existing record keeps those it names).
async fn resolve(
    db: &impl ConnectionTrait,
    scope: &Scope,
    g: &Group,
    input: &SessionInput,
    new: bool,
) -> Result<Resolved> {
    let mut errs = Vec::new();
    let moved: BTreeSet<i64> =
        if new { g.members.iter().filter(|m| m.moved).map(|m| m.person.id).collect() } else { BTreeSet::new() };
    let mut told = BTreeSet::new();
    check_day(input.date, "学习日期", "date", &mut errs);
    let topic = clean(&input.topic, TITLE_MAX, "学习主题", "topic", &mut errs);
    if topic.is_empty() && errs.iter().all(|e| e.field != "topic") {
        errs.push(err("topic", "请填写本次集中学习的主题"));
    }
    let notes = clean(&input.notes, BODY_MAX, "学习研讨记录", "notes", &mut errs);
    let by_id: HashMap<i64, MemberRole> = g.members.iter().map(|m| (m.person.id, m.role)).collect();
    let by_number: HashMap<String, i64> = g.members.iter().map(|m| (m.person.id_number.clone(), m.person.id)).collect();
    let mut find = |k: &PersonKey, what: &str, field: &'static str, errs: &mut Vec<_>| -> Option<i64> {
        let id = match k {
            PersonKey::Id(i) => by_id.contains_key(i).then_some(*i),
            PersonKey::Number(n) => by_number.get(&normal_number(n)).copied(),
        };
        if id.is_none() {
            errs.push(err(
                field,
                format!("{what}{}不是{}的成员或列席人员；请先在中心组人员中加入此人", key_words(k), g.name),
            ));
        }
        if let Some(i) = id
            && moved.contains(&i)
        {
            if told.insert(i) {
                let name =
                    g.members.iter().find(|m| m.person.id == i).map(|m| m.person.name.clone()).unwrap_or_default();
                errs.push(err(field, format!("{name}已调离本单位，请先在中心组成员中调整")));
            }
            return None;
        }
        id
    };
    let lead = match &input.lead {
        None => {
            errs.push(err("lead", "请选择领学人"));
            None
        }
        Some(k) => find(k, "领学人", "lead", &mut errs),
    };
    if input.attendance.len() > rules::MAX_MEMBERS || input.speeches.len() > rules::MAX_MEMBERS {
        return Err(StoreError::invalid("attendance", format!("人员超过{}人，请核对", rules::MAX_MEMBERS)));
    }
    let mut attendance = Vec::new();
    let mut seen = BTreeSet::new();
    for (k, presence, reason) in &input.attendance {
        let Some(id) = find(k, "考勤人员中", "attendance", &mut errs) else { continue };
        let name = g.members.iter().find(|m| m.person.id == id).map(|m| m.person.name.clone()).unwrap_or_default();
        let parsed = match presence.trim() {
            "" => Some(Presence::Present),
            p => Presence::parse_label(p),
        };
        let Some(presence) = parsed else {
            errs.push(err("attendance", format!("{name}的考勤“{}”无效，可选：出席、请假、缺席", presence.trim())));
            continue;
        };
        if !seen.insert(id) {
            errs.push(err("attendance", format!("{name}在考勤中重复出现，请只保留一行")));
            continue;
        }
        let reason = clean(reason, 100, "请假或缺席原因", "attendance", &mut errs);
        if presence == Presence::Leave && reason.is_empty() {
            errs.push(err("attendance", format!("请填写{name}的请假事由")));
        }
        attendance.push(StoredAttendance { person: id, presence, reason });
    }
    // The lead learner and those who spoke were evidently there: left out of the attendance,
    // they are recorded present. Other members left out were not there.
    let key_id = |k: &PersonKey| match k {
        PersonKey::Id(i) => by_id.contains_key(i).then_some(*i),
        PersonKey::Number(n) => by_number.get(&normal_number(n)).copied(),
    };
    let active: Vec<i64> = input.lead.iter().chain(input.speeches.iter().map(|(k, _)| k)).filter_map(key_id).collect();
    for id in active {
        if seen.insert(id) {
            attendance.push(StoredAttendance { person: id, presence: Presence::Present, reason: String::new() });
        }
    }
    for m in
        g.members.iter().filter(|m| m.role.is_member() && !seen.contains(&m.person.id) && !moved.contains(&m.person.id))
    {
        attendance.push(StoredAttendance { person: m.person.id, presence: Presence::Absent, reason: String::new() });
    }
    // So the lead learner and those who speak must not be marked on leave or absent.
    let away: HashMap<i64, Presence> =
        attendance.iter().filter(|a| a.presence != Presence::Present).map(|a| (a.person, a.presence)).collect();
    let name_of =
        |id: i64| g.members.iter().find(|m| m.person.id == id).map(|m| m.person.name.clone()).unwrap_or_default();
    let away_words = |p: Presence, id: i64| match p {
        Presence::Leave => format!("{}已登记为请假", name_of(id)),
        _ => format!("{}已登记为缺席", name_of(id)),
    };
    if let Some(l) = lead
        && let Some(p) = away.get(&l)
    {
        errs.push(err("lead", format!("{}，不能担任领学人；请改选领学人或核对考勤", away_words(*p, l))));
    }
    let mut speeches = Vec::new();
    for (k, summary) in &input.speeches {
        let Some(id) = find(k, "发言人", "speeches", &mut errs) else { continue };
        if let Some(p) = away.get(&id) {
            errs.push(err("speeches", format!("{}，不能登记发言；发言人应为出席人员，请核对考勤", away_words(*p, id))));
            continue;
        }
        let summary = clean(summary, SPEECH_MAX, "发言摘要", "speeches", &mut errs);
        if summary.is_empty() {
            let name = g.members.iter().find(|m| m.person.id == id).map(|m| m.person.name.clone()).unwrap_or_default();
            errs.push(err("speeches", format!("请填写{name}的发言摘要")));
            continue;
        }
        speeches.push(StoredSpeech { person: id, summary });
    }
    let mut materials = input.materials.clone();
    materials.sort_unstable();
    materials.dedup();
    if !materials.is_empty() {
        let found = linkable(db, scope, &materials).await?;
        for m in materials.iter().filter(|m| !found.contains_key(m)) {
            errs.push(err("materials", format!("关联的学习资料（编号{m}）不存在或不在可用范围内，请重新选择")));
        }
    }
    let members = |p: Presence| {
        attendance.iter().filter(|a| a.presence == p && by_id.get(&a.person).is_some_and(|r| r.is_member())).count()
    };
    let present = i32::try_from(members(Presence::Present)).unwrap_or(i32::MAX);
    let expected_now = g.members.iter().filter(|m| m.role.is_member() && !moved.contains(&m.person.id)).count();
    let expected = i32::try_from(expected_now).unwrap_or(i32::MAX);
    match (input.date, lead, errs.is_empty()) {
        (Some(date), Some(lead), true) => {
            Ok(Resolved { date, topic, lead, attendance, speeches, notes, materials, present, expected })
        }
        _ => Err(StoreError::Invalid(errs)),
    }
}

async fn duplicate(db: &impl ConnectionTrait, group_id: i64, r: &Resolved, except: Option<i64>) -> Result<()> {
    let mut q = study_session::Entity::find()
        .select_only()
        .column(study_session::Column::Id)
        .filter(study_session::Column::GroupId.eq(group_id))
        .filter(study_session::Column::HeldOn.eq(r.date))
        .filter(study_session::Column::Topic.eq(r.topic.clone()));
    if let Some(id) = except {
        q = q.filter(study_session::Column::Id.ne(id));
    }
    match q.into_tuple::<i64>().one(db).await? {
        Some(other) => Err(StoreError::invalid(
            "topic",
            format!("{}已登记过主题为“{}”的集中学习（编号{other}），请勿重复登记", r.date, r.topic),
        )),
        None => Ok(()),
    }
}

/// Keeps the full-text index of a session's speeches and notes in step.
async fn index(tx: &Tx, id: i64, g: &Group, r: &Resolved) -> Result<()> {
    let mut body = r.notes.clone();
    for s in &r.speeches {
        body.push('\n');
        body.push_str(&s.summary);
    }
    crate::search::put(
        tx.conn(),
        &crate::search::Doc {
            kind: "speech",
            id,
            org_id: g.org.id,
            org_path: &g.org_path,
            title: &format!("{}集中学习（{}）：{}", g.name, r.date, r.topic),
            body: &body,
            date: Some(r.date),
        },
    )
    .await
}

/// Validates a session without writing (a request whose other fields were already refused).
pub async fn check(db: &impl ConnectionTrait, scope: &Scope, group_id: i64, input: &SessionInput) -> Result<()> {
    let g = super::get(db, scope, group_id).await?;
    resolve(db, scope, &g, input, true).await.map(|_| ())
}

/// Records a session of a group in the writer's scope.
pub async fn create(tx: &Tx, group_id: i64, input: &SessionInput) -> Result<Session> {
    let g = super::get(tx.conn(), tx.scope(), group_id).await?;
    let r = resolve(tx.conn(), tx.scope(), &g, input, true).await?;
    crate::meetings::refuse_backdated(input.date, "学习日期", "date")?;
    duplicate(tx.conn(), g.id, &r, None).await?;
    let t = now();
    let row = study_session::ActiveModel {
        group_id: Set(g.id),
        org_id: Set(g.org.id),
        org_path: Set(g.org_path.clone()),
        held_on: Set(r.date),
        topic: Set(r.topic.clone()),
        thematic: Set(input.thematic),
        lead_id: Set(r.lead),
        attendance: Set(to_json(&r.attendance)),
        speeches: Set(to_json(&r.speeches)),
        notes: Set(r.notes.clone()),
        materials: Set(to_json(&r.materials)),
        present: Set(r.present),
        expected: Set(r.expected),
        closed_at: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    crate::study_figures::changed(tx.conn(), None, Some(Share::session(&row))).await?;
    index(tx, row.id, &g, &r).await?;
    let after = get(tx.conn(), tx.scope(), row.id).await?;
    tx.record(Entry {
        action: "study_session.create",
        target_type: "study_session",
        target_id: Some(row.id.to_string()),
        scope_path: g.org_path.clone(),
        summary: format!("登记{}：{}，出席{}/{}人", after.title(), after.topic, after.present, after.expected),
        before: None,
        after: json(&after),
    });
    Ok(after)
}

async fn write(tx: &Tx, id: i64, g: &Group, input: &SessionInput, r: &Resolved) -> Result<()> {
    duplicate(tx.conn(), g.id, r, Some(id)).await?;
    let share = |s: Option<study_session::Model>| s.as_ref().map(Share::session);
    let before = share(study_session::Entity::find_by_id(id).one(tx.conn()).await?);
    study_session::Entity::update_many()
        .col_expr(study_session::Column::HeldOn, Expr::value(r.date))
        .col_expr(study_session::Column::Topic, Expr::value(r.topic.clone()))
        .col_expr(study_session::Column::Thematic, Expr::value(input.thematic))
        .col_expr(study_session::Column::LeadId, Expr::value(r.lead))
        .col_expr(study_session::Column::Attendance, Expr::value(to_json(&r.attendance)))
        .col_expr(study_session::Column::Speeches, Expr::value(to_json(&r.speeches)))
        .col_expr(study_session::Column::Notes, Expr::value(r.notes.clone()))
        .col_expr(study_session::Column::Materials, Expr::value(to_json(&r.materials)))
        .col_expr(study_session::Column::Present, Expr::value(r.present))
        .col_expr(study_session::Column::Expected, Expr::value(r.expected))
        .col_expr(study_session::Column::UpdatedAt, Expr::value(now()))
        .filter(study_session::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let after = share(study_session::Entity::find_by_id(id).one(tx.conn()).await?);
    crate::study_figures::changed(tx.conn(), before, after).await?;
    index(tx, id, g, r).await
}

fn closed_refusal(s: &Session) -> StoreError {
    let why = if s.closed_at.is_some() { "已封存".to_owned() } else { format!("已超过{CLOSE_AFTER_DAYS}天") };
    StoreError::Forbidden(format!("该次集中学习记录{why}，不能直接修改；如确需更正，请由宣传部门使用“更正”并说明原因"))
}

/// Changes an open session.
pub async fn update(tx: &Tx, id: i64, input: &SessionInput) -> Result<Session> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    if before.closed {
        return Err(closed_refusal(&before));
    }
    let g = super::get(tx.conn(), tx.scope(), before.group_id).await?;
    let r = resolve(tx.conn(), tx.scope(), &g, input, false).await?;
    if input.date != Some(before.held_on) {
        crate::meetings::refuse_backdated(input.date, "学习日期", "date")?;
    }
    write(tx, id, &g, input, &r).await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "study_session.update",
        target_type: "study_session",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("修改{}", after.title()),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// Corrects a closed session with a reason, audited together.
pub async fn correct(tx: &Tx, id: i64, input: &SessionInput, reason: &str) -> Result<Session> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    if !before.closed {
        return Err(StoreError::Conflict("该次集中学习记录尚未封存，请直接修改".into()));
    }
    let mut errs = Vec::new();
    let reason = clean(reason, 200, "更正原因", "reason", &mut errs);
    if reason.is_empty() && errs.is_empty() {
        errs.push(err("reason", "请填写更正原因（如“补录请假人员”）"));
    }
    let g = super::get(tx.conn(), tx.scope(), before.group_id).await?;
    let r = match resolve(tx.conn(), tx.scope(), &g, input, false).await {
        Ok(r) if errs.is_empty() => r,
        Ok(_) => return Err(StoreError::Invalid(errs)),
        Err(StoreError::Invalid(more)) => {
            errs.extend(more);
            return Err(StoreError::Invalid(errs));
        }
        Err(e) => return Err(e),
    };
    write(tx, id, &g, input, &r).await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "study_session.correct",
        target_type: "study_session",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("更正{}，原因：{reason}", after.title()),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// Closes a session's record (封存): from now on it changes only by correction.
pub async fn close(tx: &Tx, id: i64) -> Result<Session> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    if before.closed_at.is_some() {
        return Err(StoreError::Conflict("该次集中学习记录已经封存".into()));
    }
    study_session::Entity::update_many()
        .col_expr(study_session::Column::ClosedAt, Expr::value(now()))
        .col_expr(study_session::Column::UpdatedAt, Expr::value(now()))
        .filter(study_session::Column::Id.eq(id))
        .filter(study_session::Column::ClosedAt.is_null())
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "study_session.close",
        target_type: "study_session",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("封存{}", after.title()),
        before: None,
        after: None,
    });
    Ok(after)
}

fn broken(id: i64, e: serde_json::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(format!("study session {id}: {e}")))
}

/// Builds sessions of one group from their rows: people and materials read once for all.
async fn build(db: &impl ConnectionTrait, g: &Group, rows: Vec<study_session::Model>) -> Result<Vec<Session>> {
    let mut docs = Vec::with_capacity(rows.len());
    for r in rows {
        let att: Vec<StoredAttendance> = serde_json::from_str(&r.attendance).map_err(|e| broken(r.id, e))?;
        let sp: Vec<StoredSpeech> = serde_json::from_str(&r.speeches).map_err(|e| broken(r.id, e))?;
        let mats: Vec<i64> = serde_json::from_str(&r.materials).map_err(|e| broken(r.id, e))?;
        docs.push((r, att, sp, mats));
    }
    let ids: Vec<i64> = docs
        .iter()
        .flat_map(|(r, a, s, _)| {
            std::iter::once(r.lead_id).chain(a.iter().map(|x| x.person)).chain(s.iter().map(|x| x.person))
        })
        .collect();
    let people = labels(db, ids).await?;
    let titles = material_titles(db, docs.iter().flat_map(|d| d.3.iter().copied()).collect()).await?;
    let label = |id: i64| people.get(&id).cloned().unwrap_or_else(|| PersonLabel::gone(id));
    let today = xuepei_domain::time::today();
    Ok(docs
        .into_iter()
        .map(|(r, att, sp, mats)| {
            let (present, expected) = (u32::try_from(r.present).unwrap_or(0), u32::try_from(r.expected).unwrap_or(0));
            Session {
                id: r.id,
                group_id: g.id,
                group_name: g.name.clone(),
                org: g.org.clone(),
                org_path: r.org_path,
                held_on: r.held_on,
                topic: r.topic,
                thematic: r.thematic,
                lead: label(r.lead_id),
                attendance: att
                    .into_iter()
                    .map(|a| SessionAttendance {
                        person: label(a.person),
                        role: g.role_of(a.person),
                        presence: a.presence,
                        reason: a.reason,
                    })
                    .collect(),
                speeches: sp.into_iter().map(|s| Speech { person: label(s.person), summary: s.summary }).collect(),
                notes: r.notes,
                materials: mats
                    .iter()
                    .map(|id| (*id, titles.get(id).cloned().unwrap_or_else(|| format!("（资料{id}已删除）"))))
                    .collect(),
                present,
                expected,
                rate: rules::attendance_rate(present, expected),
                closed: is_closed(r.held_on, r.closed_at.is_some(), today),
                closed_at: r.closed_at,
                created_at: r.created_at,
                updated_at: r.updated_at,
            }
        })
        .collect())
}

/// A session of a group in the scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Session> {
    let row = study_session::Entity::find_by_id(id)
        .filter(scope.cond(study_session::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("集中学习记录"))?;
    let g = super::get(db, scope, row.group_id).await?;
    build(db, &g, vec![row]).await?.pop().ok_or(StoreError::NotFound("集中学习记录"))
}

/// A group's sessions in a period (a year or a month), by date.
pub async fn of_group(db: &impl ConnectionTrait, scope: &Scope, group_id: i64, period: Period) -> Result<Vec<Session>> {
    let g = super::get(db, scope, group_id).await?;
    let (from, until) = period.range();
    let rows = study_session::Entity::find()
        .filter(study_session::Column::GroupId.eq(g.id))
        .filter(scope.cond(study_session::Column::OrgPath))
        .filter(study_session::Column::HeldOn.gte(from))
        .filter(study_session::Column::HeldOn.lt(until))
        .order_by_asc(study_session::Column::HeldOn)
        .order_by_asc(study_session::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    build(db, &g, rows).await
}

/// The input that reproduces a session (to edit or correct it), people by id.
pub fn input_of(s: &Session) -> SessionInput {
    SessionInput {
        date: Some(s.held_on),
        topic: s.topic.clone(),
        thematic: s.thematic,
        lead: Some(PersonKey::Id(s.lead.id)),
        attendance: s
            .attendance
            .iter()
            .map(|a| (PersonKey::Id(a.person.id), a.presence.code().to_owned(), a.reason.clone()))
            .collect(),
        speeches: s.speeches.iter().map(|x| (PersonKey::Id(x.person.id), x.summary.clone())).collect(),
        notes: s.notes.clone(),
        materials: s.materials.iter().map(|(id, _)| *id).collect(),
    }
}
