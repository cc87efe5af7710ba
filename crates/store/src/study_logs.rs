//! Leaders' study log (五种学习方式, 001 §二) with reflection articles, its quota rules and
//! the early warning.
//!
//! **Who reads and writes an entry.** An entry carries the organisation its leader
//! belonged to when it was recorded (`org_id`, `org_path`, registered in `paths`), so the
//! scope's lists are one index range. Staff (`own = None`) read and write the entries of
//! their scope, for leaders registered in it. A leader (`own = Some(person id)`) reads and
//! writes only their own entries, whatever their account's scope. A person outside the
//! scope is answered like one who does not exist.
//!
//! **Quotas** are rows of `study_quota_rules`: the seeded defaults (no issuing body, path
//! `/`) and the rules an issuing body set for its subtree; for a leader, the rule of a mode
//! issued by the deepest body on the leader's organisation chain wins (domain
//! `study::quotas::effective`). Progress counts follow the person (by `person_id`), not
//! the organisation an entry was recorded under.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use xuepei_domain::idcard;
use xuepei_domain::labels::Labeled;
use xuepei_domain::people::{RankLevel, Roles};
use xuepei_domain::text::compact;
use xuepei_domain::validate::FieldError;

pub use xuepei_domain::study::logs::{LogFields, StudyMode};
pub use xuepei_domain::study::quotas::{
    Outlook, Pace, QuotaPeriod, QuotaRule, QuotaSubject, Window, check_required, is_leader, leader_mask, pace,
};

use crate::audit::{Entry, Tx, json};
use crate::entity::{organization, person, study_log, study_quota_rule};
use crate::error::{Result, StoreError, UniqueKey};
use crate::org::now;
use crate::page::{At, Page};
use crate::scope::{Scope, subtree_cond};

/// Unique keys (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[UniqueKey] = &[
    UniqueKey {
        index: "ux_study_logs_entry",
        columns: "study_logs.person_id",
        message: "该学习记录已经登记过（同一人员、学习方式、日期和标题），未重复保存。请刷新后核对",
    },
    UniqueKey {
        index: "ux_study_quota_rules_mode",
        columns: "study_quota_rules.org_path",
        message: "该学习方式的指标已由其他用户同时设置，未保存。请刷新后核对",
    },
];

/// The default rules' path (no issuing body).
const DEFAULT_PATH: &str = "/";

fn today() -> NaiveDate {
    xuepei_domain::time::today()
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// An entry as pages and the API read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StudyLog {
    pub id: i64,
    pub person_id: i64,
    pub mode: StudyMode,
    pub date: NaiveDate,
    pub title: String,
    pub school: Option<String>,
    pub place: Option<String>,
    pub audience: Option<String>,
    pub note: Option<String>,
    pub published_in: Option<String>,
    pub published_on: Option<NaiveDate>,
    pub evidence_upload_id: Option<i64>,
    /// The library material studied.
    pub material_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<study_log::Model> for StudyLog {
    fn from(m: study_log::Model) -> Self {
        StudyLog {
            id: m.id,
            person_id: m.person_id,
            mode: StudyMode::from_code(&m.mode).unwrap_or(StudyMode::SelfStudy),
            date: m.on_date,
            title: m.title,
            school: m.school,
            place: m.place,
            audience: m.audience,
            note: m.note,
            published_in: m.published_in,
            published_on: m.published_on,
            evidence_upload_id: m.evidence_upload_id,
            material_id: m.material_id,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

impl StudyLog {
    /// The mode-specific facts in one line ("岳阳市第一中学；初二年级").
    pub fn details(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        for v in [&self.school, &self.place, &self.audience].into_iter().flatten() {
            parts.push(v.clone());
        }
        match (&self.published_in, self.published_on) {
            (Some(p), Some(d)) => parts.push(format!("发表于{p}（{d}）")),
            (Some(p), None) => parts.push(format!("发表于{p}")),
            _ => {}
        }
        parts.join("；")
    }
}

/// Whom an entry is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersonRef {
    Id(i64),
    Number(String),
}

/// A new entry or a change.
#[derive(Debug, Clone)]
pub struct LogInput {
    pub person: PersonRef,
    pub fields: LogFields,
    /// An upload of the writer's, checked by the caller (`uploads::get`).
    pub evidence_upload_id: Option<i64>,
}

/// Who an entry's leader is, as lists show them.
#[derive(Debug, Clone, Serialize)]
pub struct Leader {
    pub id: i64,
    pub name: String,
    #[serde(skip)]
    pub id_number: String,
    pub masked_id: String,
    pub position: Option<String>,
    pub rank_level: Option<RankLevel>,
    #[serde(skip)]
    pub roles: Roles,
    pub org_id: i64,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
}

impl Leader {
    fn of(p: person::Model, org_name: String) -> Self {
        Leader {
            masked_id: idcard::mask(&p.id_number),
            rank_level: p.rank_level.as_deref().and_then(RankLevel::from_code),
            roles: Roles(p.roles),
            id: p.id,
            name: p.name,
            id_number: p.id_number,
            position: p.position,
            org_id: p.org_id,
            org_name,
            org_path: p.org_path,
        }
    }
}

async fn org_names(db: &impl ConnectionTrait, ids: impl IntoIterator<Item = i64>) -> Result<HashMap<i64, String>> {
    let ids: BTreeSet<i64> = ids.into_iter().collect();
    let mut out = HashMap::new();
    let ids: Vec<i64> = ids.into_iter().collect();
    for chunk in ids.chunks(1000) {
        let rows: Vec<(i64, String, Option<String>)> = organization::Entity::find()
            .select_only()
            .columns([organization::Column::Id, organization::Column::Name, organization::Column::ShortName])
            .filter(organization::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        out.extend(rows.into_iter().map(|(id, name, _)| (id, name)));
    }
    Ok(out)
}

/// The person an entry is for: the writer themselves (`own`), or a person of the scope.
/// Anyone else is refused without saying whether they exist.
async fn resolve_person(
    db: &impl ConnectionTrait,
    scope: &Scope,
    own: Option<i64>,
    who: &PersonRef,
) -> Result<std::result::Result<person::Model, FieldError>> {
    let mut q = person::Entity::find();
    q = match who {
        PersonRef::Id(id) => q.filter(person::Column::Id.eq(*id)),
        PersonRef::Number(n) => {
            let n = compact(n).to_ascii_uppercase();
            if n.is_empty() {
                return Ok(Err(err("id_number", "请填写领导干部的身份证号")));
            }
            q.filter(person::Column::IdNumber.eq(n))
        }
    };
    q = match own {
        Some(me) => q.filter(person::Column::Id.eq(me)),
        None => q.filter(scope.cond(person::Column::OrgPath)),
    };
    let shown = match who {
        PersonRef::Number(n) => format!("身份证号{}", idcard::mask(&compact(n))),
        PersonRef::Id(_) => "所选人员".to_owned(),
    };
    Ok(match q.one(db).await? {
        None if own.is_some() => Err(err("id_number", format!("{shown}不是您本人，只能登记本人的学习记录"))),
        None => Err(err("id_number", format!("{shown}不在您管理范围内的人员中，请核对"))),
        Some(p) if !is_leader(Roles(p.roles)) => Err(err(
            "id_number",
            format!(
                "{}的人员信息中没有“班子成员”或“主要负责同志”身份，学习记录只为领导干部登记；如确属领导班子成员，请先在人员信息中补登班子职务",
                p.name
            ),
        )),
        Some(p) => Ok(p),
    })
}

/// Refuses an entry that duplicates one of the person's (same mode, date and title).
async fn duplicate(
    db: &impl ConnectionTrait,
    person_id: i64,
    d: &xuepei_domain::study::logs::LogDraft,
    except: Option<i64>,
) -> Result<Option<FieldError>> {
    let mut q = study_log::Entity::find()
        .filter(study_log::Column::PersonId.eq(person_id))
        .filter(study_log::Column::Mode.eq(d.mode.code()))
        .filter(study_log::Column::OnDate.eq(d.date))
        .filter(study_log::Column::Title.eq(d.title.clone()));
    if let Some(id) = except {
        q = q.filter(study_log::Column::Id.ne(id));
    }
    Ok(q.one(db).await?.map(|m| {
        err(
            "title",
            format!("{}已登记过{}“{}”（{}），请勿重复登记", m.on_date, d.mode.label(), m.title, d.mode.label()),
        )
    }))
}

/// Records an entry for a leader of the scope, or for the writer themselves (`own`).
pub async fn create(tx: &Tx, own: Option<i64>, input: &LogInput) -> Result<StudyLog> {
    let person = resolve_person(tx.conn(), tx.scope(), own, &input.person).await?;
    let (fields, material) = with_material(tx.conn(), tx.scope(), &input.fields).await?;
    let draft = xuepei_domain::study::logs::check(&fields, today());
    let (p, d) = match (person, draft, material) {
        (Ok(p), Ok(d), None) => (p, d),
        (p, d, m) => {
            let mut errs: Vec<FieldError> = p.err().into_iter().collect();
            errs.extend(d.err().unwrap_or_default());
            errs.extend(m);
            return Err(StoreError::Invalid(errs));
        }
    };
    if let Some(e) = duplicate(tx.conn(), p.id, &d, None).await? {
        return Err(StoreError::Invalid(vec![e]));
    }
    let t = now();
    let m = study_log::ActiveModel {
        person_id: Set(p.id),
        org_id: Set(p.org_id),
        org_path: Set(p.org_path.clone()),
        mode: Set(d.mode.code().to_owned()),
        on_date: Set(d.date),
        title: Set(d.title.clone()),
        school: Set(d.school.clone()),
        place: Set(d.place.clone()),
        audience: Set(d.audience.clone()),
        note: Set(d.note.clone()),
        published_in: Set(d.published_in.clone()),
        published_on: Set(d.published_on),
        evidence_upload_id: Set(input.evidence_upload_id),
        material_id: Set(d.material),
        created_by: Set(tx.actor().account_id),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    let log = StudyLog::from(m);
    index(tx, &log, &p.name, p.org_id, &p.org_path).await?;
    tally(tx.conn(), p.id, Some((p.org_id, &p.org_path)), log.mode, log.date, 1).await?;
    // The leader's organisation's quota figures follow their tallies.
    crate::people::leaders_changed(tx.conn(), &[&p]).await?;
    tx.record(Entry {
        action: "study_log.create",
        target_type: "study_log",
        target_id: Some(log.id.to_string()),
        scope_path: p.org_path.clone(),
        summary: format!("登记{}的学习记录：{}“{}”（{}）", p.name, log.mode.label(), log.title, log.date),
        before: None,
        after: json(&log),
    });
    Ok(log)
}

/// The fields with the chosen material's title in an empty title, and the refusal of a
/// material the writer cannot see (in the scope or issued above it, as meetings link them).
async fn with_material(
    db: &impl ConnectionTrait,
    scope: &Scope,
    fields: &LogFields,
) -> Result<(LogFields, Option<FieldError>)> {
    let Ok(Some(id)) = xuepei_domain::study::logs::parse_material(&fields.material) else {
        return Ok((fields.clone(), None));
    };
    let mut f = fields.clone();
    match crate::meetings::linkable(db, scope, &[id]).await?.remove(&id) {
        Some(title) => {
            if f.title.trim().is_empty() {
                f.title = title.chars().take(xuepei_domain::study::logs::TITLE_MAX).collect();
            }
            Ok((f, None))
        }
        None => Ok((f, Some(err("material", "所选学习资料不存在或不在您可查看的范围内，请从资料库中重新选择")))),
    }
}

/// A leader's log is theirs: when they move to another organisation, their entries, tallies
/// and index entries move with them (the new organisation's staff see them, the old one's
/// no longer do). Called by `people::update` inside its transaction.
pub(crate) async fn follow_person(
    db: &impl ConnectionTrait,
    person_id: i64,
    org_id: i64,
    org_path: &str,
) -> Result<()> {
    use sea_orm::sea_query::{Alias, Query};
    for table in ["study_logs", "study_tallies"] {
        let mut q = Query::update();
        q.table(Alias::new(table))
            .value(Alias::new("org_id"), org_id)
            .value(Alias::new("org_path"), org_path)
            .and_where(Expr::col(Alias::new("person_id")).eq(person_id));
        db.execute(&q).await?;
    }
    let entries: Vec<(i64, String)> = study_log::Entity::find()
        .select_only()
        .columns([study_log::Column::Id, study_log::Column::Mode])
        .filter(study_log::Column::PersonId.eq(person_id))
        .into_tuple()
        .all(db)
        .await?;
    for kind in ["study_log", "reflection"] {
        let ids: Vec<i64> = entries
            .iter()
            .filter(|(_, mode)| StudyMode::from_code(mode).map(search_kind) == Some(kind))
            .map(|(id, _)| *id)
            .collect();
        crate::search::relocate(db, kind, &ids, org_id, org_path).await?;
    }
    Ok(())
}

/// The search index's kind of an entry: reflections are their own kind.
fn search_kind(mode: StudyMode) -> &'static str {
    if mode == StudyMode::Reflection { "reflection" } else { "study_log" }
}

/// Indexes an entry's title and notes for full-text search (inside the write's
/// transaction), under its kind; the other kind's row goes (a mode changed). The title
/// found names whose entry it is ("罗婉巧：…"), as two leaders may study the same speech.
async fn index(tx: &Tx, log: &StudyLog, leader: &str, org_id: i64, org_path: &str) -> Result<()> {
    let kind = search_kind(log.mode);
    let other = if kind == "reflection" { "study_log" } else { "reflection" };
    crate::search::remove(tx.conn(), other, log.id).await?;
    let title = format!("{leader}：{}", log.title);
    let body = format!("{}\n{}", log.details(), log.note.as_deref().unwrap_or_default());
    crate::search::put(
        tx.conn(),
        &crate::search::Doc { kind, id: log.id, org_id, org_path, title: &title, body: &body, date: Some(log.date) },
    )
    .await
}

/// Whose entries a reader reaches: their own (a leader), or the scope's (staff).
fn visible(scope: &Scope, own: Option<i64>) -> Condition {
    match own {
        Some(me) => Condition::all().add(study_log::Column::PersonId.eq(me)),
        None => scope.cond(study_log::Column::OrgPath),
    }
}

async fn model(db: &impl ConnectionTrait, scope: &Scope, own: Option<i64>, id: i64) -> Result<study_log::Model> {
    study_log::Entity::find_by_id(id).filter(visible(scope, own)).one(db).await?.ok_or(StoreError::NotFound("学习记录"))
}

/// One entry with its leader.
#[derive(Debug, Clone, Serialize)]
pub struct LogRow {
    pub log: StudyLog,
    pub leader: Leader,
    /// The linked material's title (none when it has left the library).
    pub material: Option<String>,
}

async fn rows_of(db: &impl ConnectionTrait, models: Vec<study_log::Model>) -> Result<Vec<LogRow>> {
    let ids: BTreeSet<i64> = models.iter().map(|m| m.person_id).collect();
    let mut people: HashMap<i64, person::Model> = HashMap::new();
    let ids: Vec<i64> = ids.into_iter().collect();
    for chunk in ids.chunks(1000) {
        for p in person::Entity::find().filter(person::Column::Id.is_in(chunk.iter().copied())).all(db).await? {
            people.insert(p.id, p);
        }
    }
    let names = org_names(db, people.values().map(|p| p.org_id)).await?;
    let titles = crate::meetings::material_titles(db, models.iter().filter_map(|m| m.material_id).collect()).await?;
    Ok(models
        .into_iter()
        .filter_map(|m| {
            let p = people.get(&m.person_id)?.clone();
            let org = names.get(&p.org_id).cloned().unwrap_or_default();
            let material = m.material_id.and_then(|id| titles.get(&id).cloned());
            Some(LogRow { leader: Leader::of(p, org), log: StudyLog::from(m), material })
        })
        .collect())
}

/// An entry the reader reaches.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, own: Option<i64>, id: i64) -> Result<LogRow> {
    let m = model(db, scope, own, id).await?;
    rows_of(db, vec![m]).await?.pop().ok_or(StoreError::NotFound("学习记录"))
}

/// Changes an entry (its person stays).
pub async fn update(tx: &Tx, own: Option<i64>, id: i64, fields: &LogFields) -> Result<StudyLog> {
    let old = model(tx.conn(), tx.scope(), own, id).await?;
    let (fields, material) = with_material(tx.conn(), tx.scope(), fields).await?;
    let d = match (xuepei_domain::study::logs::check(&fields, today()), material) {
        (Ok(d), None) => d,
        (d, m) => return Err(StoreError::Invalid(d.err().unwrap_or_default().into_iter().chain(m).collect())),
    };
    if let Some(e) = duplicate(tx.conn(), old.person_id, &d, Some(id)).await? {
        return Err(StoreError::Invalid(vec![e]));
    }
    let before = StudyLog::from(old.clone());
    let mut am: study_log::ActiveModel = old.clone().into();
    am.mode = Set(d.mode.code().to_owned());
    am.on_date = Set(d.date);
    am.title = Set(d.title.clone());
    am.school = Set(d.school.clone());
    am.place = Set(d.place.clone());
    am.audience = Set(d.audience.clone());
    am.note = Set(d.note.clone());
    am.published_in = Set(d.published_in.clone());
    am.published_on = Set(d.published_on);
    am.material_id = Set(d.material);
    am.updated_at = Set(now());
    let log = StudyLog::from(am.update(tx.conn()).await?);
    let p = person::Entity::find_by_id(old.person_id).one(tx.conn()).await?.ok_or(StoreError::NotFound("人员"))?;
    index(tx, &log, &p.name, old.org_id, &old.org_path).await?;
    if (log.mode, log.date) != (before.mode, before.date) {
        tally(tx.conn(), old.person_id, None, before.mode, before.date, -1).await?;
        tally(tx.conn(), p.id, Some((p.org_id, &p.org_path)), log.mode, log.date, 1).await?;
        crate::people::leaders_changed(tx.conn(), &[&p]).await?;
    }
    tx.record(Entry {
        action: "study_log.update",
        target_type: "study_log",
        target_id: Some(id.to_string()),
        scope_path: old.org_path.clone(),
        summary: format!("修改学习记录：{}“{}”（{}）", log.mode.label(), log.title, log.date),
        before: json(&before),
        after: json(&log),
    });
    Ok(log)
}

/// Deletes an entry.
pub async fn delete(tx: &Tx, own: Option<i64>, id: i64) -> Result<StudyLog> {
    let old = model(tx.conn(), tx.scope(), own, id).await?;
    study_log::Entity::delete_by_id(id).exec(tx.conn()).await?;
    let log = StudyLog::from(old.clone());
    crate::search::remove(tx.conn(), search_kind(log.mode), id).await?;
    tally(tx.conn(), old.person_id, None, log.mode, log.date, -1).await?;
    if let Some(p) = person::Entity::find_by_id(old.person_id).one(tx.conn()).await? {
        crate::people::leaders_changed(tx.conn(), &[&p]).await?;
    }
    tx.record(Entry {
        action: "study_log.delete",
        target_type: "study_log",
        target_id: Some(id.to_string()),
        scope_path: old.org_path,
        summary: format!("删除学习记录：{}“{}”（{}）", log.mode.label(), log.title, log.date),
        before: json(&log),
        after: None,
    });
    Ok(log)
}

/// Adds `delta` to a leader's count of a mode in the month of `date` (`study_tallies`, read
/// by the oversight views), in the writer's transaction. An addition names the leader's
/// organisation now (the row follows the leader's latest entry); a new row starts at 0.
async fn tally(
    db: &impl ConnectionTrait,
    person_id: i64,
    org: Option<(i64, &str)>,
    mode: StudyMode,
    date: NaiveDate,
    delta: i32,
) -> Result<()> {
    use sea_orm::sea_query::{Alias, OnConflict, Query};
    let col = Alias::new(crate::migration::m20261202_000023_study_tallies::MONTHS[date.month0() as usize]);
    let key = Condition::all()
        .add(Expr::col(Alias::new("person_id")).eq(person_id))
        .add(Expr::col(Alias::new("year")).eq(date.year()))
        .add(Expr::col(Alias::new("mode")).eq(mode.code()));
    match org {
        Some((org_id, org_path)) => {
            let mut q = Query::insert();
            q.into_table(Alias::new("study_tallies"))
                .columns([
                    Alias::new("person_id"),
                    Alias::new("org_id"),
                    Alias::new("org_path"),
                    Alias::new("year"),
                    Alias::new("mode"),
                    col.clone(),
                ])
                .values_panic([
                    person_id.into(),
                    org_id.into(),
                    org_path.into(),
                    date.year().into(),
                    mode.code().into(),
                    delta.into(),
                ])
                .on_conflict(
                    OnConflict::columns([Alias::new("person_id"), Alias::new("year"), Alias::new("mode")])
                        .value(col.clone(), Expr::col((Alias::new("study_tallies"), col.clone())).add(delta))
                        .update_columns([Alias::new("org_id"), Alias::new("org_path")])
                        .to_owned(),
                );
            db.execute(&q).await?;
        }
        None => {
            let mut q = Query::update();
            q.table(Alias::new("study_tallies")).value(col.clone(), Expr::col(col).add(delta)).cond_where(key);
            db.execute(&q).await?;
        }
    }
    Ok(())
}

fn year_range(year: i32) -> (NaiveDate, NaiveDate) {
    let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default();
    let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default();
    (start, end)
}

/// A person's entries of a year (newest first), read by staff of the scope or by the
/// person (`own`). The person is found by id or identity number.
pub async fn for_person(
    db: &impl ConnectionTrait,
    scope: &Scope,
    own: Option<i64>,
    who: &PersonRef,
    year: i32,
) -> Result<(Leader, Vec<StudyLog>)> {
    let mut q = person::Entity::find();
    q = match who {
        PersonRef::Id(id) => q.filter(person::Column::Id.eq(*id)),
        PersonRef::Number(n) => q.filter(person::Column::IdNumber.eq(compact(n).to_ascii_uppercase())),
    };
    q = match own {
        Some(me) => q.filter(person::Column::Id.eq(me)),
        None => q.filter(scope.cond(person::Column::OrgPath)),
    };
    let p = q.one(db).await?.ok_or(StoreError::NotFound("人员"))?;
    let (start, end) = year_range(year);
    let mut c = Condition::all()
        .add(study_log::Column::PersonId.eq(p.id))
        .add(study_log::Column::OnDate.gte(start))
        .add(study_log::Column::OnDate.lte(end));
    if own.is_none() {
        // Staff read the entries recorded in their scope.
        c = c.add(scope.cond(study_log::Column::OrgPath));
    }
    let logs = study_log::Entity::find()
        .filter(c)
        .order_by_desc(study_log::Column::OnDate)
        .order_by_desc(study_log::Column::Id)
        .limit(5000)
        .all(db)
        .await?
        .into_iter()
        .map(StudyLog::from)
        .collect();
    let org = org_names(db, [p.org_id]).await?.remove(&p.org_id).unwrap_or_default();
    Ok((Leader::of(p, org), logs))
}

/// What the scope's list of entries shows.
#[derive(Debug, Clone, Default)]
pub struct LogFilter {
    /// Only entries recorded under this organisation's subtree.
    pub under: Option<i64>,
    pub mode: Option<StudyMode>,
    pub year: Option<i32>,
    /// With `year`: one month.
    pub month: Option<u32>,
    pub person: Option<i64>,
}

async fn filter_cond(db: &impl ConnectionTrait, scope: &Scope, f: &LogFilter) -> Result<Condition> {
    let mut c = scope.cond(study_log::Column::OrgPath);
    if let Some(u) = f.under {
        let o = crate::org::get(db, scope, u).await?;
        c = c.add(subtree_cond(study_log::Column::OrgPath, &o.path));
    }
    if let Some(m) = f.mode {
        c = c.add(study_log::Column::Mode.eq(m.code()));
    }
    if let Some(y) = f.year {
        let (mut start, mut end) = year_range(y);
        if let Some(m) = f.month.filter(|m| (1..=12).contains(m)) {
            let w = QuotaPeriod::Month.window(NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(start));
            (start, end) = (w.start, w.end);
        }
        c = c.add(study_log::Column::OnDate.gte(start)).add(study_log::Column::OnDate.lte(end));
    }
    if let Some(p) = f.person {
        c = c.add(study_log::Column::PersonId.eq(p));
    }
    Ok(c)
}

/// A page of the scope's entries, newest entered first (cursors are entry ids).
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    f: &LogFilter,
    at: At<'_>,
    limit: u64,
) -> Result<Page<LogRow>> {
    let mut c = filter_cond(db, scope, f).await?;
    // Newest first: "after" a cursor means older (smaller ids).
    if let Some((cursor, after)) = at.cursor() {
        let id: i64 = cursor.parse().unwrap_or(i64::MAX);
        c = c.add(if after { study_log::Column::Id.lt(id) } else { study_log::Column::Id.gt(id) });
    }
    let (limit, n) = crate::page::fetch(limit, 2000);
    let order = match at.order() {
        sea_orm::Order::Asc => sea_orm::Order::Desc,
        _ => sea_orm::Order::Asc,
    };
    let mut q = study_log::Entity::find().filter(c).order_by(study_log::Column::Id, order).limit(n);
    if let Some(skip) = at.offset(limit) {
        q = q.offset(skip);
    }
    let models = q.all(db).await?;
    let page = crate::page::page_of(models, limit, at, |m| m.id.to_string(), |m| m);
    let items = rows_of(db, page.items).await?;
    Ok(Page { items, next: page.next, prev: page.prev })
}

// ---------------------------------------------------------------------------------------
// Quota rules.

/// A stored rule with its issuing body.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    pub id: i64,
    /// None: the default of 001 §二.
    pub org_id: Option<i64>,
    pub org_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub rule: QuotaRule,
    pub updated_at: DateTime<Utc>,
}

impl RuleRow {
    pub fn is_default(&self) -> bool {
        self.org_id.is_none()
    }
}

fn rule_of(m: &study_quota_rule::Model) -> Option<QuotaRule> {
    Some(QuotaRule {
        mode: StudyMode::from_code(&m.mode)?,
        period: QuotaPeriod::from_code(&m.period)?,
        required: u32::try_from(m.required).ok()?,
        subject: QuotaSubject::from_code(&m.subject)?,
    })
}

/// Every prefix of a path that is an organisation's path ("/1/", "/1/13/", …).
fn ancestors(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, ch) in path.char_indices().skip(1) {
        if ch == '/' {
            out.push(path[..=i].to_owned());
        }
    }
    out
}

/// The rules that may bind someone of the scope: the defaults, those issued along the
/// scope root's chain, and those issued inside the scope.
pub(crate) async fn rule_models(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<study_quota_rule::Model>> {
    let mut c = Condition::any().add(study_quota_rule::Column::OrgPath.eq(DEFAULT_PATH));
    if let Some(root) = scope.root_path() {
        c = c.add(study_quota_rule::Column::OrgPath.is_in(ancestors(root)));
    }
    c = c.add(scope.cond(study_quota_rule::Column::OrgPath));
    Ok(study_quota_rule::Entity::find().filter(c).order_by_asc(study_quota_rule::Column::OrgPath).all(db).await?)
}

/// The rules in force for a person of organisation path `path`, among `models`.
pub(crate) fn rules_for_path(models: &[study_quota_rule::Model], path: &str) -> Vec<QuotaRule> {
    let candidates: Vec<(usize, QuotaRule)> = models
        .iter()
        .filter(|m| path.starts_with(m.org_path.as_str()))
        .filter_map(|m| Some((m.org_path.matches('/').count(), rule_of(m)?)))
        .collect();
    xuepei_domain::study::quotas::effective(&candidates)
}

/// The stored rules that bear on the scope (defaults, its chain, inside it), defaults
/// first, and the rules in force at the scope's root.
pub async fn rules(db: &impl ConnectionTrait, scope: &Scope) -> Result<(Vec<RuleRow>, Vec<QuotaRule>)> {
    let models = rule_models(db, scope).await?;
    let names = org_names(db, models.iter().filter_map(|m| m.org_id)).await?;
    let rows = models
        .iter()
        .filter_map(|m| {
            Some(RuleRow {
                id: m.id,
                org_id: m.org_id,
                org_name: m
                    .org_id
                    .and_then(|o| names.get(&o).cloned())
                    .unwrap_or_else(|| "默认规则（理论学习制度规定）".into()),
                org_path: m.org_path.clone(),
                rule: rule_of(m)?,
                updated_at: m.updated_at,
            })
        })
        .collect();
    let root = scope.root_path().unwrap_or(DEFAULT_PATH);
    Ok((rows, rules_for_path(&models, root)))
}

/// A rule as typed.
#[derive(Debug, Clone, Default)]
pub struct RuleFields {
    pub mode: String,
    pub period: String,
    pub required: String,
    pub subject: String,
}

/// Sets the rule of a mode issued by an organisation of the scope (its subtree follows it,
/// unless a body below sets its own); replaces that body's earlier rule of the mode.
pub async fn set_rule(tx: &Tx, org_id: i64, f: &RuleFields) -> Result<RuleRow> {
    let org = crate::org::get(tx.conn(), tx.scope(), org_id).await?;
    let mut errs = Vec::new();
    let mode = xuepei_domain::study::logs::parse_mode(&f.mode).map_err(|e| errs.push(e)).ok();
    let period = QuotaPeriod::from_code(f.period.trim()).or_else(|| QuotaPeriod::parse_label(&f.period));
    if period.is_none() {
        errs.push(err("period", "请选择考核周期（每月或每年）"));
    }
    let required = period.and_then(|p| check_required(p, &f.required).map_err(|m| errs.push(err("required", m))).ok());
    let subject = QuotaSubject::from_code(f.subject.trim()).or_else(|| QuotaSubject::parse_label(&f.subject));
    if subject.is_none() {
        errs.push(err("subject", format!("请选择适用对象（{}）", QuotaSubject::allowed_labels())));
    }
    let (Some(mode), Some(period), Some(required), Some(subject), true) =
        (mode, period, required, subject, errs.is_empty())
    else {
        if period.is_none() && !errs.iter().any(|e| e.field == "required") && f.required.trim().starts_with('-') {
            errs.push(err("required", "要求数量不能为负数"));
        }
        return Err(StoreError::Invalid(errs));
    };
    let rule = QuotaRule { mode, period, required, subject };
    // A body raises what the bodies above it require, never lowers it.
    let above: Vec<study_quota_rule::Model> =
        rule_models(tx.conn(), tx.scope()).await?.into_iter().filter(|m| m.org_path != org.path).collect();
    if let Some(upper) = rules_for_path(&above, &org.path).into_iter().find(|r| r.mode == mode)
        && !xuepei_domain::study::quotas::at_least(&rule, &upper)
    {
        return Err(StoreError::Invalid(vec![err(
            "required",
            format!(
                "上级规定{}{}{}不少于{}{}，本级只能提高要求，不能降低或缩小适用对象",
                upper.subject.label(),
                upper.period.label(),
                mode.label(),
                upper.required,
                mode.unit()
            ),
        )]));
    }
    let old = study_quota_rule::Entity::find()
        .filter(study_quota_rule::Column::OrgPath.eq(org.path.clone()))
        .filter(study_quota_rule::Column::Mode.eq(mode.code()))
        .one(tx.conn())
        .await?;
    let t = now();
    let before = old.as_ref().and_then(rule_of);
    let m = match old {
        Some(o) => {
            let mut am: study_quota_rule::ActiveModel = o.into();
            am.period = Set(period.code().to_owned());
            am.required = Set(required as i32);
            am.subject = Set(subject.code().to_owned());
            am.updated_at = Set(t);
            am.update(tx.conn()).await?
        }
        None => {
            study_quota_rule::ActiveModel {
                org_id: Set(Some(org.id)),
                org_path: Set(org.path.clone()),
                mode: Set(mode.code().to_owned()),
                period: Set(period.code().to_owned()),
                required: Set(required as i32),
                subject: Set(subject.code().to_owned()),
                updated_at: Set(t),
                ..Default::default()
            }
            .insert(tx.conn())
            .await?
        }
    };
    crate::quota_figures::recount(tx.conn(), crate::quota_figures::Leaders::Under(&org.path)).await?;
    let what = if required == 0 {
        format!("{}不作数量要求", mode.label())
    } else {
        format!("{}{}{}不少于{}{}", subject.label(), period.label(), mode.label(), required, mode.unit())
    };
    tx.record(Entry {
        action: "study_quota.set",
        target_type: "study_quota_rule",
        target_id: Some(m.id.to_string()),
        scope_path: org.path.clone(),
        summary: format!("{}设置学习指标：{what}", org.name),
        before: json(&before),
        after: json(&rule),
    });
    Ok(RuleRow { id: m.id, org_id: Some(org.id), org_name: org.name, org_path: org.path, rule, updated_at: t })
}

/// Removes a body's own rule (the one above it applies again). Defaults stay.
pub async fn remove_rule(tx: &Tx, id: i64) -> Result<()> {
    let m = study_quota_rule::Entity::find_by_id(id)
        .filter(study_quota_rule::Column::OrgId.is_not_null())
        .filter(tx.scope().cond(study_quota_rule::Column::OrgPath))
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound("学习指标"))?;
    study_quota_rule::Entity::delete_by_id(id).exec(tx.conn()).await?;
    crate::quota_figures::recount(tx.conn(), crate::quota_figures::Leaders::Under(&m.org_path)).await?;
    let mode = StudyMode::from_code(&m.mode).map_or("", |x| x.label());
    tx.record(Entry {
        action: "study_quota.remove",
        target_type: "study_quota_rule",
        target_id: Some(id.to_string()),
        scope_path: m.org_path.clone(),
        summary: format!("取消本级设置的{mode}学习指标，恢复执行上级或默认规则"),
        before: json(&rule_of(&m)),
        after: None,
    });
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Progress.

/// One quota of a leader in one period.
#[derive(Debug, Clone, Serialize)]
pub struct QuotaLine {
    pub rule: QuotaRule,
    pub window: Window,
    pub pace: Pace,
}

/// A leader's entries counted per mode in a month and a year.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    pub month: HashMap<StudyMode, u32>,
    pub year: HashMap<StudyMode, u32>,
}

impl Counts {
    pub fn month_of(&self, m: StudyMode) -> u32 {
        self.month.get(&m).copied().unwrap_or(0)
    }
    pub fn year_of(&self, m: StudyMode) -> u32 {
        self.year.get(&m).copied().unwrap_or(0)
    }
}

/// A leader's progress at a day: counts of the day's month and year, and each quota.
#[derive(Debug, Clone, Serialize)]
pub struct Progress {
    pub leader: Leader,
    pub day: NaiveDate,
    pub counts: Counts,
    pub lines: Vec<QuotaLine>,
}

impl Progress {
    /// Whether the early-warning list names this leader.
    pub fn warned(&self) -> bool {
        self.lines.iter().any(|l| l.pace.outlook.warns())
    }

    pub fn warnings(&self) -> Vec<&QuotaLine> {
        self.lines.iter().filter(|l| l.pace.outlook.warns()).collect()
    }

    pub fn month_label(&self) -> String {
        QuotaPeriod::Month.window(self.day).label()
    }
}

/// Counts entries of `people` per (person, mode) between two days.
async fn counts_between(
    db: &impl ConnectionTrait,
    people: &[i64],
    start: NaiveDate,
    end: NaiveDate,
) -> Result<HashMap<(i64, StudyMode), u32>> {
    let mut out = HashMap::new();
    for chunk in people.chunks(500) {
        let rows: Vec<(i64, String, i64)> = study_log::Entity::find()
            .select_only()
            .column(study_log::Column::PersonId)
            .column(study_log::Column::Mode)
            .column_as(Expr::col(study_log::Column::Id).count(), "n")
            .filter(study_log::Column::PersonId.is_in(chunk.iter().copied()))
            .filter(study_log::Column::OnDate.gte(start))
            .filter(study_log::Column::OnDate.lte(end))
            .group_by(study_log::Column::PersonId)
            .group_by(study_log::Column::Mode)
            .into_tuple()
            .all(db)
            .await?;
        for (p, mode, n) in rows {
            if let Some(m) = StudyMode::from_code(&mode) {
                out.insert((p, m), u32::try_from(n).unwrap_or(u32::MAX));
            }
        }
    }
    Ok(out)
}

/// Progress of leaders at `day`, in the order given.
async fn progress_of(
    db: &impl ConnectionTrait,
    rules: &[study_quota_rule::Model],
    leaders: Vec<Leader>,
    day: NaiveDate,
    today: NaiveDate,
) -> Result<Vec<Progress>> {
    let ids: Vec<i64> = leaders.iter().map(|l| l.id).collect();
    let month = QuotaPeriod::Month.window(day);
    let year = QuotaPeriod::Year.window(day);
    let m_counts = counts_between(db, &ids, month.start, std::cmp::min(month.end, today)).await?;
    let y_counts = counts_between(db, &ids, year.start, std::cmp::min(year.end, today)).await?;
    Ok(leaders
        .into_iter()
        .map(|l| {
            let mut counts = Counts::default();
            for m in StudyMode::ALL {
                counts.month.insert(*m, m_counts.get(&(l.id, *m)).copied().unwrap_or(0));
                counts.year.insert(*m, y_counts.get(&(l.id, *m)).copied().unwrap_or(0));
            }
            let lines = rules_for_path(rules, &l.org_path)
                .into_iter()
                .filter(|r| r.subject.covers(l.roles, l.rank_level))
                .map(|rule| {
                    let (window, done) = match rule.period {
                        QuotaPeriod::Month => (month, counts.month_of(rule.mode)),
                        QuotaPeriod::Year => (year, counts.year_of(rule.mode)),
                    };
                    QuotaLine { rule, window, pace: pace(rule.required, done, &window, today) }
                })
                .collect();
            Progress { leader: l, day, counts, lines }
        })
        .collect())
}

/// A leader's progress this month and this year, read by the leader (`own`) or by staff
/// of the scope.
pub async fn progress(db: &impl ConnectionTrait, scope: &Scope, own: Option<i64>, person_id: i64) -> Result<Progress> {
    let mut q = person::Entity::find_by_id(person_id);
    q = match own {
        Some(me) => q.filter(person::Column::Id.eq(me)),
        None => q.filter(scope.cond(person::Column::OrgPath)),
    };
    let p = q.one(db).await?.ok_or(StoreError::NotFound("人员"))?;
    let org = org_names(db, [p.org_id]).await?.remove(&p.org_id).unwrap_or_default();
    let leader = Leader::of(p, org);
    // The rules along the leader's own chain (their scope may be only themselves).
    let mut c = Condition::any().add(study_quota_rule::Column::OrgPath.eq(DEFAULT_PATH));
    c = c.add(study_quota_rule::Column::OrgPath.is_in(ancestors(&leader.org_path)));
    let rules = study_quota_rule::Entity::find().filter(c).all(db).await?;
    let today = today();
    progress_of(db, &rules, vec![leader], today, today).await?.pop().ok_or(StoreError::NotFound("人员"))
}

/// What the leaders' progress list shows.
#[derive(Debug, Clone, Default)]
pub struct LeaderFilter {
    pub under: Option<i64>,
    /// Only those the early warning names.
    pub warned: bool,
}

/// Walks the leaders of the scope (under `under`) in tree order from a cursor `path~id`,
/// a batch at a time.
async fn leader_batch(
    db: &impl ConnectionTrait,
    base: &Condition,
    cursor: Option<&(String, i64)>,
    n: u64,
) -> Result<Vec<person::Model>> {
    let mut c = base.clone();
    if let Some((k, id)) = cursor {
        let cols = Expr::tuple([
            Expr::col((person::Entity, person::Column::OrgPath)),
            Expr::col((person::Entity, person::Column::Id)),
        ]);
        c = c
            .add(person::Column::OrgPath.gte(k.as_str()))
            .add(cols.gt(Expr::tuple([Expr::val(k.clone()), Expr::val(*id)])));
    }
    Ok(person::Entity::find()
        .filter(c)
        .order_by_asc(person::Column::OrgPath)
        .order_by_asc(person::Column::Id)
        .limit(n)
        .all(db)
        .await?)
}

async fn leaders_cond(db: &impl ConnectionTrait, scope: &Scope, under: Option<i64>) -> Result<Condition> {
    let mut base = scope
        .cond(person::Column::OrgPath)
        .add(Expr::col((person::Entity, person::Column::Roles)).bit_and(leader_mask()).ne(0));
    if let Some(id) = under {
        let o = crate::org::get(db, scope, id).await?;
        base = base.add(subtree_cond(person::Column::OrgPath, &o.path));
    }
    Ok(base)
}

fn parse_cursor(after: Option<&str>) -> Option<(String, i64)> {
    after.and_then(|a| a.rsplit_once('~')).and_then(|(k, id)| Some((k.to_owned(), id.parse().ok()?)))
}

/// A page of the scope's leaders with their progress this month and this year, in tree
/// order; with `warned`, only those the early warning names (at most 20,000 leaders are
/// examined per call; `next` goes on from where it stopped).
pub async fn leaders(
    db: &impl ConnectionTrait,
    scope: &Scope,
    f: &LeaderFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<Progress>, Option<String>)> {
    let base = leaders_cond(db, scope, f.under).await?;
    let rules = rule_models(db, scope).await?;
    let today = today();
    let mut cursor = parse_cursor(after);
    let mut out: Vec<Progress> = Vec::new();
    let mut scanned = 0usize;
    let batch = if f.warned { 500 } else { std::cmp::min(limit as u64 + 1, 2001) };
    loop {
        let page = leader_batch(db, &base, cursor.as_ref(), batch).await?;
        let full = page.len() as u64 == batch;
        if page.is_empty() {
            return Ok((out, None));
        }
        scanned += page.len();
        cursor = page.last().map(|p| (p.org_path.clone(), p.id));
        let names = org_names(db, page.iter().map(|p| p.org_id)).await?;
        let people: Vec<Leader> = page
            .into_iter()
            .map(|p| {
                let n = names.get(&p.org_id).cloned().unwrap_or_default();
                Leader::of(p, n)
            })
            .collect();
        for pr in progress_of(db, &rules, people, today, today).await? {
            if !f.warned || pr.warned() {
                out.push(pr);
            }
        }
        if out.len() > limit {
            out.truncate(limit);
            let next = out.last().map(|p| format!("{}~{}", p.leader.org_path, p.leader.id));
            return Ok((out, next));
        }
        if !full {
            return Ok((out, None));
        }
        if scanned >= 20_000 {
            return Ok((out, cursor.map(|(k, id)| format!("{k}~{id}"))));
        }
    }
}

/// One quota of a leader for the compliance figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuotaStatus {
    pub mode: StudyMode,
    /// "YYYY-MM" for a monthly quota, "YYYY" for a yearly one.
    pub period: String,
    pub required: u32,
    pub done: u32,
    pub met: bool,
}

/// A leader's quotas in a year (and month).
#[derive(Debug, Clone, Serialize)]
pub struct LeaderQuotas {
    #[serde(skip)]
    pub person_id: i64,
    pub id_number: String,
    pub name: String,
    #[serde(skip)]
    pub org_name: String,
    pub quotas: Vec<QuotaStatus>,
}

/// The quotas of every leader under organisation `org` (a code, in the scope) for `year`:
/// yearly quotas over the year; monthly quotas for `month`, or, without one, for every
/// month of the year up to the current one. Leaders in tree order.
pub async fn quota_progress(
    db: &impl ConnectionTrait,
    scope: &Scope,
    org: &str,
    year: i32,
    month: Option<u32>,
) -> Result<Vec<LeaderQuotas>> {
    let today = today();
    let o = crate::org::get_by_code(db, scope, org).await?;
    if let Some(m) = month
        && !(1..=12).contains(&m)
    {
        return Err(StoreError::invalid("month", format!("月份{m}无效，应为1至12")));
    }
    if year > today.year() || !xuepei_domain::dates::PLAUSIBLE_YEARS.contains(&year) {
        return Err(StoreError::invalid("year", format!("年份{year}无效，请填写{}年以前的年份", today.year())));
    }
    let months: Vec<u32> = match month {
        Some(m) => vec![m],
        None if year == today.year() => (1..=today.month()).collect(),
        None => (1..=12).collect(),
    };
    let base = leaders_cond(db, scope, Some(o.id)).await?;
    let rules = rule_models(db, scope).await?;
    let (ys, ye) = year_range(year);
    let mut out = Vec::new();
    let mut cursor: Option<(String, i64)> = None;
    loop {
        let page = leader_batch(db, &base, cursor.as_ref(), 1000).await?;
        if page.is_empty() {
            break;
        }
        let full = page.len() == 1000;
        cursor = page.last().map(|p| (p.org_path.clone(), p.id));
        let ids: Vec<i64> = page.iter().map(|p| p.id).collect();
        // Per person, mode and month of the year: one grouped read of the year's dates.
        let mut per_month: HashMap<(i64, StudyMode, u32), u32> = HashMap::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<(i64, String, NaiveDate)> = study_log::Entity::find()
                .select_only()
                .columns([study_log::Column::PersonId, study_log::Column::Mode, study_log::Column::OnDate])
                .filter(study_log::Column::PersonId.is_in(chunk.iter().copied()))
                .filter(study_log::Column::OnDate.gte(ys))
                .filter(study_log::Column::OnDate.lte(ye))
                .into_tuple()
                .all(db)
                .await?;
            for (p, mode, d) in rows {
                if let Some(m) = StudyMode::from_code(&mode) {
                    *per_month.entry((p, m, d.month())).or_default() += 1;
                }
            }
        }
        let names = org_names(db, page.iter().map(|p| p.org_id)).await?;
        for p in page {
            let roles = Roles(p.roles);
            let rank = p.rank_level.as_deref().and_then(RankLevel::from_code);
            let mut quotas = Vec::new();
            for rule in rules_for_path(&rules, &p.org_path).into_iter().filter(|r| r.subject.covers(roles, rank)) {
                let done_in = |m: u32| per_month.get(&(p.id, rule.mode, m)).copied().unwrap_or(0);
                match rule.period {
                    QuotaPeriod::Year => {
                        let done: u32 = (1..=12).map(done_in).sum();
                        quotas.push(QuotaStatus {
                            mode: rule.mode,
                            period: format!("{year:04}"),
                            required: rule.required,
                            done,
                            met: done >= rule.required,
                        });
                    }
                    QuotaPeriod::Month => {
                        for &m in &months {
                            let done = done_in(m);
                            quotas.push(QuotaStatus {
                                mode: rule.mode,
                                period: format!("{year:04}-{m:02}"),
                                required: rule.required,
                                done,
                                met: done >= rule.required,
                            });
                        }
                    }
                }
            }
            out.push(LeaderQuotas {
                person_id: p.id,
                org_name: names.get(&p.org_id).cloned().unwrap_or_default(),
                id_number: p.id_number,
                name: p.name,
                quotas,
            });
        }
        if !full {
            break;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_of_a_path() {
        assert_eq!(ancestors("/1/13/208/"), vec!["/1/", "/1/13/", "/1/13/208/"]);
        assert!(ancestors("/").is_empty());
    }
}
