//! The training file and credit hours (培训档案、学时).
//!
//! A person's credit records come from three sources: `class` (written when a class of
//! xuepei completes), `import` (records of other platforms, e.g. the provincial online
//! college's export) and `claim` (a person's claim of other recognised training with
//! evidence, pending until their managing department approves it — 学时认定). Only approved
//! records count. A file follows the person, not an organisation: it is read when the
//! person is visible to the scope, or by the person themselves ([`for_person`]); a claim is
//! reviewed by the scope holding the person's management authority (干部管理单位), or the
//! person's own organisation when none is recorded.
//!
//! Reading one file is one index range on `(person_id, on_date)`; the "who is behind" list
//! walks the scope's people in tree order and sums each batch's records in one grouped
//! query, stopping once a page is full.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use xuepei_domain::idcard;
use xuepei_domain::import::RowError;
use xuepei_domain::text::compact;
use xuepei_domain::training::Hours;
use xuepei_domain::training::rules::{CreditEntry, CreditRules, CreditStatus, OnlineCreditRule, credit_status};
use xuepei_domain::validate::{FieldError, Fields};

use crate::audit::{Actor, Entry, Tx, json};
use crate::entity::{credit_record, organization, person};
use crate::error::{Result, StoreError};
use crate::imports::ImportReport;
use crate::org::now;
use crate::page::{At, Page};
use crate::people::Person;
use crate::scope::Scope;

/// Unique keys of credit records (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[crate::error::UniqueKey {
    index: "ux_credit_records_external",
    columns: "credit_records.person_id",
    message: "该学时记录已经存在（可能刚被同时导入），未保存。请刷新后核对",
}];

/// More hours than any one training record may carry (a year of full days).
pub const MAX_RECORD_HOURS: Hours = Hours::whole(2000);
/// The most hours one day may hold.
pub const MAX_DAY_HOURS: Hours = Hours::whole(24);
pub const TITLE_MAX: usize = 200;
pub const PROVIDER_MAX: usize = 100;
pub const REF_MAX: usize = 100;

/// Where a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Class,
    Import,
    Claim,
}

impl Source {
    pub fn code(self) -> &'static str {
        match self {
            Source::Class => "class",
            Source::Import => "import",
            Source::Claim => "claim",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Source::Class => "本系统培训班",
            Source::Import => "其他平台导入",
            Source::Claim => "个人申报认定",
        }
    }
    fn from_code(s: &str) -> Source {
        match s {
            "class" => Source::Class,
            "claim" => Source::Claim,
            _ => Source::Import,
        }
    }
}

/// Whether a record counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Approved,
    Pending,
    Rejected,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Approved => "approved",
            Status::Pending => "pending",
            Status::Rejected => "rejected",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Approved => "已认定",
            Status::Pending => "待审核",
            Status::Rejected => "未通过",
        }
    }
    fn from_code(s: &str) -> Status {
        match s {
            "pending" => Status::Pending,
            "rejected" => Status::Rejected,
            _ => Status::Approved,
        }
    }
}

/// One record of a training file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditRecord {
    pub id: i64,
    pub person_id: i64,
    pub date: NaiveDate,
    pub hours: Hours,
    pub source: Source,
    pub class_id: Option<i64>,
    pub title: String,
    pub provider: Option<String>,
    pub external_ref: Option<String>,
    pub status: Status,
    pub evidence_upload_id: Option<i64>,
    pub note: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<credit_record::Model> for CreditRecord {
    fn from(m: credit_record::Model) -> Self {
        CreditRecord {
            id: m.id,
            person_id: m.person_id,
            date: m.on_date,
            hours: Hours::from_hundredths(m.hours),
            source: Source::from_code(&m.source),
            class_id: m.class_id,
            title: m.title,
            provider: m.provider,
            external_ref: m.external_ref,
            status: Status::from_code(&m.status),
            evidence_upload_id: m.evidence_upload_id,
            note: m.note,
            reviewed_at: m.reviewed_at,
            created_at: m.created_at,
        }
    }
}

/// A person's training file: their records, newest first, and where they stand.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingFile {
    pub person: Person,
    pub org_name: String,
    pub records: Vec<CreditRecord>,
    pub status: CreditStatus,
}

/// The credit rules in force (the national regulations' numbers).
pub fn rules() -> CreditRules {
    CreditRules::default()
}

fn today() -> NaiveDate {
    xuepei_domain::time::today()
}

/// The person if the scope sees them or they are `own` (the signed-in person).
async fn person_for(
    db: &impl ConnectionTrait,
    scope: &Scope,
    own: Option<i64>,
    person_id: i64,
) -> Result<person::Model> {
    let mut visible = Condition::any().add(scope.cond(person::Column::OrgPath));
    if let Some(me) = own {
        visible = visible.add(person::Column::Id.eq(me));
    }
    person::Entity::find_by_id(person_id).filter(visible).one(db).await?.ok_or(StoreError::NotFound("人员"))
}

/// The id of the person with this identity number, if the scope sees them or it is `own`.
pub async fn person_id_by_number(
    db: &impl ConnectionTrait,
    scope: &Scope,
    own: Option<i64>,
    id_number: &str,
) -> Result<i64> {
    let number = compact(id_number).to_ascii_uppercase();
    let mut visible = Condition::any().add(scope.cond(person::Column::OrgPath));
    if let Some(me) = own {
        visible = visible.add(person::Column::Id.eq(me));
    }
    let id: Option<i64> = person::Entity::find()
        .select_only()
        .column(person::Column::Id)
        .filter(person::Column::IdNumber.eq(number))
        .filter(visible)
        .into_tuple()
        .one(db)
        .await?;
    id.ok_or(StoreError::NotFound("人员"))
}

/// A person's training file, read by a scope that sees them or by the person (`own`).
pub async fn for_person(
    db: &impl ConnectionTrait,
    scope: &Scope,
    own: Option<i64>,
    person_id: i64,
) -> Result<TrainingFile> {
    let p = person_for(db, scope, own, person_id).await?;
    let org_name: Option<String> = organization::Entity::find_by_id(p.org_id)
        .select_only()
        .column(organization::Column::Name)
        .into_tuple()
        .one(db)
        .await?;
    let records: Vec<CreditRecord> = credit_record::Entity::find()
        .filter(credit_record::Column::PersonId.eq(person_id))
        .order_by_desc(credit_record::Column::OnDate)
        .order_by_desc(credit_record::Column::Id)
        .limit(5000)
        .all(db)
        .await?
        .into_iter()
        .map(CreditRecord::from)
        .collect();
    let person = Person::from(p);
    let entries: Vec<CreditEntry> = records
        .iter()
        .filter(|r| r.status == Status::Approved)
        .map(|r| CreditEntry { date: r.date, hours: r.hours })
        .collect();
    let status = credit_status(&rules(), person.rank_level, &entries, today());
    Ok(TrainingFile { person, org_name: org_name.unwrap_or_default(), records, status })
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// A claim as submitted.
#[derive(Debug, Clone, Default)]
pub struct ClaimInput {
    pub person_id: i64,
    pub title: String,
    pub date: String,
    pub hours: String,
    pub provider: String,
    pub note: String,
    /// An upload of the claimant's, checked by the caller (`uploads::get`).
    pub evidence_upload_id: Option<i64>,
}

fn check_date(field: &'static str, text: &str, errs: &mut Vec<FieldError>) -> Option<NaiveDate> {
    if text.trim().is_empty() {
        errs.push(err(field, "请填写培训日期（如2026-03-15）"));
        return None;
    }
    match xuepei_domain::dates::parse(text) {
        Ok(d) if d.date > today() => {
            errs.push(err(field, format!("培训日期{}晚于今天，不能登记尚未参加的培训", d.date)));
            None
        }
        Ok(d) if d.date.year() < 1990 => {
            errs.push(err(field, format!("培训日期{}过早，请核对", d.date)));
            None
        }
        Ok(d) => Some(d.date),
        Err(e) => {
            errs.push(err(field, e.to_string()));
            None
        }
    }
}

/// Checks hours: positive, at most one record's cap.
pub fn check_hours(h: Hours) -> std::result::Result<Hours, String> {
    if h <= Hours::ZERO {
        return Err(format!("学时应大于0（现为{h}），请填写实际学时"));
    }
    if h > MAX_RECORD_HOURS {
        return Err(format!("学时{h}超出一条记录的合理上限{MAX_RECORD_HOURS}，请核对"));
    }
    Ok(h)
}

/// Submits a claim (pending until the managing department reviews it), for a person the
/// scope sees or the claimant themselves (`own`).
pub async fn claim(tx: &Tx, own: Option<i64>, input: &ClaimInput) -> Result<CreditRecord> {
    let p = person_for(tx.conn(), tx.scope(), own, input.person_id).await?;
    let mut errs = Vec::new();
    let title = xuepei_domain::org::check_text(&input.title, TITLE_MAX, true).unwrap_or_else(|m| {
        errs.push(err("title", format!("培训名称{m}")));
        None
    });
    if title.is_none() && errs.is_empty() {
        errs.push(err("title", "请填写培训名称"));
    }
    let provider = xuepei_domain::org::check_text(&input.provider, PROVIDER_MAX, false).unwrap_or_else(|m| {
        errs.push(err("provider", format!("培训机构{m}")));
        None
    });
    let note = xuepei_domain::org::check_text(&input.note, 500, false).unwrap_or_else(|m| {
        errs.push(err("note", format!("说明{m}")));
        None
    });
    let date = check_date("date", &input.date, &mut errs);
    let hours = match Hours::parse(&input.hours).and_then(check_hours) {
        Ok(h) if h > MAX_DAY_HOURS && input.note.trim().is_empty() => {
            errs.push(err("hours", format!("学时{h}超过一天24学时，多日培训请在说明中写明起止日期")));
            None
        }
        Ok(h) => Some(h),
        Err(m) => {
            errs.push(err("hours", m));
            None
        }
    };
    let (Some(title), Some(date), Some(hours), true) = (title, date, hours, errs.is_empty()) else {
        return Err(StoreError::Invalid(errs));
    };
    let m = credit_record::ActiveModel {
        person_id: Set(p.id),
        on_date: Set(date),
        hours: Set(hours.hundredths()),
        source: Set(Source::Claim.code().to_owned()),
        class_id: Set(None),
        title: Set(title),
        provider: Set(provider),
        external_ref: Set(None),
        status: Set(Status::Pending.code().to_owned()),
        evidence_upload_id: Set(input.evidence_upload_id),
        reviewed_by: Set(None),
        reviewed_at: Set(None),
        note: Set(note),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    let r = CreditRecord::from(m);
    tx.record(Entry {
        action: "credit.claim",
        target_type: "credit_record",
        target_id: Some(r.id.to_string()),
        scope_path: p.org_path.clone(),
        summary: format!("“{}”申报学时：{}，{}学时", p.name, r.title, r.hours),
        before: None,
        after: json(&r),
    });
    Ok(r)
}

/// People whose claims the scope reviews: their management authority lies in the scope,
/// or none is recorded and they do.
fn reviewable_cond(scope: &Scope) -> Condition {
    Condition::any()
        .add(scope.org_id_cond(person::Column::ManagingOrgId))
        .add(Condition::all().add(person::Column::ManagingOrgId.is_null()).add(scope.cond(person::Column::OrgPath)))
}

/// A claim waiting for review, with who made it.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimRow {
    pub record: CreditRecord,
    pub person_name: String,
    pub id_number: String,
    pub org_name: String,
}

/// Claims waiting for the scope's review, oldest first (cursors are record ids).
pub async fn pending(db: &impl ConnectionTrait, scope: &Scope, at: At<'_>, limit: u64) -> Result<Page<ClaimRow>> {
    let mut c = Condition::all().add(credit_record::Column::Status.eq(Status::Pending.code())).add(
        credit_record::Column::PersonId.in_subquery(sea_orm::QueryTrait::into_query(
            person::Entity::find().select_only().column(person::Column::Id).filter(reviewable_cond(scope)),
        )),
    );
    if let Some(k) = at.key_cond(credit_record::Column::Id) {
        c = c.add(k);
    }
    let (limit, n) = crate::page::fetch(limit, 500);
    let rows = credit_record::Entity::find()
        .filter(c)
        .order_by(credit_record::Column::Id, at.order())
        .limit(n)
        .all(db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.person_id).collect();
    let people: HashMap<i64, (String, String, i64)> = person::Entity::find()
        .select_only()
        .columns([person::Column::Id, person::Column::Name, person::Column::IdNumber, person::Column::OrgId])
        .filter(person::Column::Id.is_in(ids))
        .into_tuple::<(i64, String, String, i64)>()
        .all(db)
        .await?
        .into_iter()
        .map(|(id, n, num, o)| (id, (n, num, o)))
        .collect();
    let org_ids: Vec<i64> = people.values().map(|p| p.2).collect();
    let orgs: HashMap<i64, String> = organization::Entity::find()
        .select_only()
        .columns([organization::Column::Id, organization::Column::Name])
        .filter(organization::Column::Id.is_in(org_ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    Ok(crate::page::page_of(
        rows,
        limit,
        at,
        |m| m.id.to_string(),
        |m| {
            let (name, number, org) = people.get(&m.person_id).cloned().unwrap_or_default();
            ClaimRow {
                person_name: name,
                id_number: idcard::mask(&number),
                org_name: orgs.get(&org).cloned().unwrap_or_default(),
                record: CreditRecord::from(m),
            }
        },
    ))
}

/// Approves or rejects a pending claim (a rejection needs a reason), by the scope that
/// reviews the person's claims.
pub async fn review(tx: &Tx, record_id: i64, approve: bool, reason: &str) -> Result<CreditRecord> {
    let db = tx.conn();
    let m = credit_record::Entity::find_by_id(record_id)
        .filter(credit_record::Column::PersonId.in_subquery(sea_orm::QueryTrait::into_query(
            person::Entity::find().select_only().column(person::Column::Id).filter(reviewable_cond(tx.scope())),
        )))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("学时申报"))?;
    if m.status != Status::Pending.code() {
        return Err(StoreError::invalid(
            "status",
            format!("该申报已处理（{}），不能重复审核", Status::from_code(&m.status).label()),
        ));
    }
    // Nobody reviews their own claim (学时认定 is the managing department's check).
    if let Some(account) = tx.actor().account_id {
        let own = crate::entity::account::Entity::find_by_id(account).one(db).await?.and_then(|a| a.person_id);
        if own == Some(m.person_id) {
            return Err(StoreError::Forbidden("本人的学时申报不能由本人审核，请由所在单位的其他工作人员审核".into()));
        }
    }
    let reason = reason.trim();
    if !approve && reason.is_empty() {
        return Err(StoreError::invalid("reason", "不予认定时请填写理由，以便申报人了解原因"));
    }
    if reason.chars().count() > 500 || reason.chars().any(char::is_control) {
        return Err(StoreError::invalid("reason", "理由不能超过500字，且不能含有控制字符"));
    }
    let before = CreditRecord::from(m.clone());
    let status = if approve { Status::Approved } else { Status::Rejected };
    let note = match (before.note.as_deref(), reason) {
        (_, "") => before.note.clone(),
        (Some(n), r) => Some(format!("{n}\n审核意见：{r}")),
        (None, r) => Some(format!("审核意见：{r}")),
    };
    let mut am: credit_record::ActiveModel = m.into();
    am.status = Set(status.code().to_owned());
    am.reviewed_by = Set(tx.actor().account_id);
    am.reviewed_at = Set(Some(now()));
    am.note = Set(note);
    let after = CreditRecord::from(am.update(db).await?);
    let p = person::Entity::find_by_id(after.person_id).one(db).await?;
    let (name, path) = p.map(|p| (p.name, p.org_path)).unwrap_or_default();
    tx.record(Entry {
        action: if approve { "credit.approve" } else { "credit.reject" },
        target_type: "credit_record",
        target_id: Some(record_id.to_string()),
        scope_path: path,
        summary: format!(
            "{}“{}”的学时申报：{}，{}学时{}",
            if approve { "认定" } else { "不予认定" },
            name,
            after.title,
            after.hours,
            if reason.is_empty() { String::new() } else { format!("（{reason}）") }
        ),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// One row of an import of records from another platform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditDraft {
    pub id_number: String,
    pub name: String,
    pub title: String,
    pub date: NaiveDate,
    pub hours: Hours,
    pub provider: String,
    /// The record's number at the provider; when absent, one is made from the date, the
    /// title and the hours, so that importing the same file again changes nothing.
    pub external_ref: String,
}

/// Checks an import row's fields (keys: `id_number`, `name`, `title`, `date`, `hours`,
/// `minutes`, `provider`, `external_ref`); minutes of online study are converted by `online`.
pub fn validate_row(f: &impl Fields, online: &OnlineCreditRule) -> std::result::Result<CreditDraft, Vec<FieldError>> {
    let mut errs = Vec::new();
    let id_number = match idcard::parse(f.get("id_number"), today()) {
        Ok(n) => Some(n.number),
        Err(e) => {
            errs.push(err("id_number", e.to_string()));
            None
        }
    };
    let name = compact(f.get("name"));
    if name.chars().count() > 50 {
        errs.push(err("name", "姓名不能超过50个字"));
    }
    let title = match xuepei_domain::org::check_text(f.get("title"), TITLE_MAX, true) {
        Ok(Some(t)) => Some(t),
        Ok(None) => {
            errs.push(err("title", "请填写培训名称"));
            None
        }
        Err(m) => {
            errs.push(err("title", format!("培训名称{m}")));
            None
        }
    };
    let date = check_date("date", f.get("date"), &mut errs);
    let hours = if !f.get("hours").trim().is_empty() {
        Hours::parse(f.get("hours"))
    } else if !f.get("minutes").trim().is_empty() {
        compact(f.get("minutes"))
            .trim_end_matches("分钟")
            .parse::<f64>()
            .ok()
            .filter(|m| m.is_finite() && *m >= 0.0 && *m < 1e7)
            .map(|m| online.credit_for(m.round() as u32))
            .ok_or_else(|| format!("学习时长“{}”应为分钟数，如45", f.get("minutes").trim()))
    } else {
        Err("请填写学时（或学习时长（分钟））".to_owned())
    };
    let hours = match hours.and_then(check_hours) {
        Ok(h) if h > MAX_DAY_HOURS => {
            errs.push(err("hours", format!("学时{h}超过一天24学时，不可能在一天内完成，请按实际学时填写")));
            None
        }
        Ok(h) => Some(h),
        Err(m) => {
            errs.push(err("hours", m));
            None
        }
    };
    let provider = match xuepei_domain::org::check_text(f.get("provider"), PROVIDER_MAX, true) {
        Ok(Some(p)) => Some(p),
        Ok(None) => {
            errs.push(err("provider", "请填写培训机构或平台名称（如：湖南省干部网络学院）"));
            None
        }
        Err(m) => {
            errs.push(err("provider", format!("培训机构/平台{m}")));
            None
        }
    };
    let reference = match xuepei_domain::org::check_text(f.get("external_ref"), REF_MAX, false) {
        Ok(r) => r,
        Err(m) => {
            errs.push(err("external_ref", format!("记录编号{m}")));
            None
        }
    };
    match (id_number, title, date, hours, provider, errs.is_empty()) {
        (Some(id_number), Some(title), Some(date), Some(hours), Some(provider), true) => {
            let external_ref = reference.unwrap_or_else(|| {
                let mut s: String = format!("{date}|{}|{title}", hours.hundredths()).chars().take(REF_MAX).collect();
                s.shrink_to_fit();
                s
            });
            Ok(CreditDraft { id_number, name, title, date, hours, provider, external_ref })
        }
        _ => Err(errs),
    }
}

/// Imports records from another platform, all or nothing: people must be registered in the
/// scope (and named as registered when a name is given); a day may hold at most 24 hours; a
/// record already imported (same person, provider and number) is unchanged or updated.
pub async fn import(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    rows: Vec<(u64, CreditDraft)>,
    invalid: Vec<RowError>,
    dry_run: bool,
) -> Result<ImportReport> {
    let mut report = ImportReport { dry_run, ..Default::default() };
    let invalid_rows: HashSet<u64> = invalid.iter().map(|e| e.row).collect();
    report.rows = rows.len() as u64 + invalid_rows.len() as u64;
    for e in invalid {
        report.add_error(e);
    }
    let tx = Tx::begin(db, scope, actor).await?;
    let txn = tx.conn();
    // People by number, in the scope, a thousand at a time.
    let numbers: Vec<String> = {
        let mut v: Vec<String> = rows.iter().map(|(_, d)| d.id_number.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    let mut people: HashMap<String, (i64, String, String)> = HashMap::new();
    for chunk in numbers.chunks(1000) {
        let found: Vec<(i64, String, String, String)> = person::Entity::find()
            .select_only()
            .columns([person::Column::Id, person::Column::IdNumber, person::Column::Name, person::Column::OrgPath])
            .filter(person::Column::IdNumber.is_in(chunk.iter().cloned()))
            .filter(scope.cond(person::Column::OrgPath))
            .into_tuple()
            .all(txn)
            .await?;
        for (id, num, name, path) in found {
            people.insert(num, (id, name, path));
        }
    }
    let col = |k: &str| Some(CREDIT_LABELS.iter().find(|(key, _)| *key == k).map_or(k, |(_, l)| l).to_owned());
    // Hours per person and day: the file's rows plus what is stored.
    let mut per_day: HashMap<(i64, NaiveDate), Hours> = HashMap::new();
    let mut keys_seen: HashMap<(i64, String, String), u64> = HashMap::new();
    let mut good: Vec<(u64, i64, &CreditDraft)> = Vec::new();
    for (row, d) in &rows {
        let Some((pid, name, _)) = people.get(&d.id_number) else {
            report.add_error(RowError {
                row: *row,
                column: col("id_number"),
                message: format!(
                    "身份证号{}不在您管理范围内的人员花名册中，请先登记该人员或核对身份证号",
                    idcard::mask(&d.id_number)
                ),
            });
            continue;
        };
        if !d.name.is_empty() && d.name != *name {
            report.add_error(RowError {
                row: *row,
                column: col("name"),
                message: format!("姓名“{}”与花名册登记的姓名不一致，请核对身份证号和姓名", d.name),
            });
            continue;
        }
        let key = (*pid, d.provider.clone(), d.external_ref.clone());
        if let Some(first) = keys_seen.get(&key) {
            report.add_error(RowError {
                row: *row,
                column: col("external_ref"),
                message: format!("与第{first}行是同一条记录（同一人员、平台和记录编号），请删除重复行"),
            });
            continue;
        }
        keys_seen.insert(key, *row);
        good.push((*row, *pid, d));
    }
    // Stored records of these people by key, and their hours per day.
    let pids: Vec<i64> = good.iter().map(|(_, p, _)| *p).collect::<HashSet<_>>().into_iter().collect();
    let mut stored: HashMap<(i64, String, String), credit_record::Model> = HashMap::new();
    for chunk in pids.chunks(1000) {
        for m in credit_record::Entity::find()
            .filter(credit_record::Column::PersonId.is_in(chunk.iter().copied()))
            .filter(credit_record::Column::Status.ne(Status::Rejected.code()))
            .all(txn)
            .await?
        {
            if let (Some(p), Some(r)) = (m.provider.clone(), m.external_ref.clone()) {
                stored.insert((m.person_id, p, r), m.clone());
            }
            *per_day.entry((m.person_id, m.on_date)).or_default() += Hours::from_hundredths(m.hours);
        }
    }
    let mut to_insert = Vec::new();
    let mut to_update = Vec::new();
    for (row, pid, d) in &good {
        let key = (*pid, d.provider.clone(), d.external_ref.clone());
        let old = stored.get(&key);
        if let Some(o) = old {
            // The stored record's hours are replaced, not added.
            *per_day.entry((*pid, o.on_date)).or_default() += Hours::ZERO - Hours::from_hundredths(o.hours);
        }
        let day = per_day.entry((*pid, d.date)).or_default();
        *day += d.hours;
        if *day > MAX_DAY_HOURS {
            report.add_error(RowError {
                row: *row,
                column: col("hours"),
                message: format!("该人员{}当天的学时合计{}，超过一天24学时，请核对培训日期和学时", d.date, *day),
            });
            continue;
        }
        match old {
            Some(o) if o.on_date == d.date && o.hours == d.hours.hundredths() && o.title == d.title => {
                report.unchanged += 1;
            }
            Some(o) => {
                to_update.push((o.id, *d));
                report.updated += 1;
            }
            None => {
                report.sample_added(*row, || format!("{} {}", d.name, d.title));
                to_insert.push((*pid, *d));
                report.inserted += 1;
            }
        }
    }
    report.sort();
    if report.error_count > 0 || dry_run {
        tx.rollback().await?;
        if report.error_count > 0 {
            report.inserted = 0;
            report.updated = 0;
        }
        return Ok(report);
    }
    let t = now();
    for chunk in to_insert.chunks(500) {
        let models = chunk.iter().map(|(pid, d)| credit_record::ActiveModel {
            person_id: Set(*pid),
            on_date: Set(d.date),
            hours: Set(d.hours.hundredths()),
            source: Set(Source::Import.code().to_owned()),
            class_id: Set(None),
            title: Set(d.title.clone()),
            provider: Set(Some(d.provider.clone())),
            external_ref: Set(Some(d.external_ref.clone())),
            status: Set(Status::Approved.code().to_owned()),
            evidence_upload_id: Set(None),
            reviewed_by: Set(None),
            reviewed_at: Set(None),
            note: Set(None),
            created_at: Set(t),
            ..Default::default()
        });
        credit_record::Entity::insert_many(models).exec(txn).await?;
    }
    for (id, d) in &to_update {
        credit_record::Entity::update_many()
            .col_expr(credit_record::Column::OnDate, Expr::value(d.date))
            .col_expr(credit_record::Column::Hours, Expr::value(d.hours.hundredths()))
            .col_expr(credit_record::Column::Title, Expr::value(d.title.clone()))
            .filter(credit_record::Column::Id.eq(*id))
            .exec(txn)
            .await?;
    }
    tx.note(
        "credit.import",
        scope.root_path().unwrap_or("/"),
        format!("导入学时记录：新增{}条，更新{}条，未变化{}条", report.inserted, report.updated, report.unchanged),
        None,
    );
    tx.commit().await?;
    report.committed = true;
    Ok(report)
}

/// The import's column labels by field key (for messages).
pub const CREDIT_LABELS: &[(&str, &str)] = &[
    ("id_number", "身份证号"),
    ("name", "姓名"),
    ("title", "培训名称"),
    ("date", "培训日期"),
    ("hours", "学时"),
    ("minutes", "学习时长（分钟）"),
    ("provider", "培训机构/平台"),
    ("external_ref", "记录编号"),
];

/// A person behind the requirement.
#[derive(Debug, Clone, Serialize)]
pub struct BehindRow {
    pub person: Person,
    pub org_name: String,
    pub status: CreditStatus,
}

/// A page of the scope's people (under `under` when given) whose approved hours are below
/// their rank's requirement, in tree order. `after` is a cursor from a previous page; at
/// most 20,000 people are examined per call, and `next` is where to go on.
pub async fn behind(
    db: &impl ConnectionTrait,
    scope: &Scope,
    under: Option<i64>,
    after: Option<&str>,
    limit: usize,
) -> Result<(Vec<BehindRow>, Option<String>)> {
    use sea_orm::sea_query::ExprTrait;
    let mut base = Condition::all().add(scope.cond(person::Column::OrgPath));
    if let Some(id) = under {
        let o = crate::org::get(db, scope, id).await?;
        base = base.add(crate::scope::subtree_cond(person::Column::OrgPath, &o.path));
    }
    let today = today();
    let rules = rules();
    let start = xuepei_domain::training::rules::CreditPeriod::ending(today, 5).start;
    let mut out: Vec<(person::Model, CreditStatus)> = Vec::new();
    let mut cursor: Option<(String, i64)> =
        after.and_then(|a| a.rsplit_once('~')).and_then(|(k, id)| Some((k.to_owned(), id.parse().ok()?)));
    let mut scanned = 0usize;
    let mut next = None;
    'outer: loop {
        let mut c = base.clone();
        if let Some((k, id)) = &cursor {
            let cols = Expr::tuple([
                Expr::col((person::Entity, person::Column::OrgPath)),
                Expr::col((person::Entity, person::Column::Id)),
            ]);
            c = c
                .add(person::Column::OrgPath.gte(k.as_str()))
                .add(cols.gt(Expr::tuple([Expr::val(k.clone()), Expr::val(*id)])));
        }
        let page = person::Entity::find()
            .filter(c)
            .order_by_asc(person::Column::OrgPath)
            .order_by_asc(person::Column::Id)
            .limit(500)
            .all(db)
            .await?;
        if page.is_empty() {
            break;
        }
        let ids: Vec<i64> = page.iter().map(|m| m.id).collect();
        let mut entries: HashMap<i64, Vec<CreditEntry>> = HashMap::new();
        let rows: Vec<(i64, NaiveDate, i64)> = credit_record::Entity::find()
            .select_only()
            .columns([credit_record::Column::PersonId, credit_record::Column::OnDate, credit_record::Column::Hours])
            .filter(credit_record::Column::PersonId.is_in(ids))
            .filter(credit_record::Column::OnDate.gte(start))
            .filter(credit_record::Column::OnDate.lte(today))
            .filter(credit_record::Column::Status.eq(Status::Approved.code()))
            .into_tuple()
            .all(db)
            .await?;
        for (pid, date, h) in rows {
            entries.entry(pid).or_default().push(CreditEntry { date, hours: Hours::from_hundredths(h) });
        }
        let full = page.len() == 500;
        for m in page {
            let rank = m
                .rank_level
                .as_deref()
                .and_then(<xuepei_domain::people::RankLevel as xuepei_domain::labels::Labeled>::from_code);
            let s = credit_status(&rules, rank, entries.get(&m.id).map_or(&[][..], |v| v), today);
            scanned += 1;
            cursor = Some((m.org_path.clone(), m.id));
            if s.behind {
                out.push((m, s));
                if out.len() > limit {
                    break 'outer;
                }
            }
        }
        if !full {
            break;
        }
        if scanned >= 20_000 {
            next = cursor.as_ref().map(|(k, id)| format!("{k}~{id}"));
            break;
        }
    }
    if out.len() > limit {
        out.truncate(limit);
        next = out.last().map(|(m, _)| format!("{}~{}", m.org_path, m.id));
    }
    let org_ids: Vec<i64> = out.iter().map(|(m, _)| m.org_id).collect();
    let orgs: HashMap<i64, String> = organization::Entity::find()
        .select_only()
        .columns([organization::Column::Id, organization::Column::Name])
        .filter(organization::Column::Id.is_in(org_ids))
        .into_tuple::<(i64, String)>()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let rows = out
        .into_iter()
        .map(|(m, status)| BehindRow {
            org_name: orgs.get(&m.org_id).cloned().unwrap_or_default(),
            person: Person::from(m),
            status,
        })
        .collect();
    Ok((rows, next))
}

/// The upload kind of a claim's evidence (kept as long as its claim, never purged).
pub const EVIDENCE_KIND: &str = "evidence";

/// The evidence file of a record (name and content), for a scope that sees the person or
/// reviews their claims.
pub async fn evidence(db: &impl ConnectionTrait, scope: &Scope, record_id: i64) -> Result<(String, Vec<u8>)> {
    let visible = Condition::any().add(scope.cond(person::Column::OrgPath)).add(reviewable_cond(scope));
    let m = credit_record::Entity::find_by_id(record_id)
        .filter(credit_record::Column::PersonId.in_subquery(sea_orm::QueryTrait::into_query(
            person::Entity::find().select_only().column(person::Column::Id).filter(visible),
        )))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("学时记录"))?;
    let id = m.evidence_upload_id.ok_or(StoreError::NotFound("证明材料"))?;
    let u = crate::entity::upload::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("证明材料"))?;
    Ok((u.filename, u.content))
}
