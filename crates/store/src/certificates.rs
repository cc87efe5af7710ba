//! Certificates (issue 14 item 5): completion certificates (结业证书) for a completed class
//! and certificates of a person's credited hours in a year (学时证明).
//!
//! A certificate is a snapshot of what it printed (name, class, period, hours, issuer,
//! date), kept by the issuing body's path, with a random code ([`certificate`]) that the
//! printed QR code carries. Who reads them:
//! - the class's organiser or delivering institution, for the class ([`for_class`]);
//! - the scope holding the issuing body, for one certificate ([`get`]) and a person's
//!   ([`for_person`]);
//! - anyone holding the code, through [`verify`], which returns the public facts alone
//!   (masked name, title, hours, issuer, date, standing) and nothing else.
//!
//! Issuing is idempotent per class and trainee: one standing completion certificate each.

use std::collections::{BTreeSet, HashMap};

use crate::classes::ClassStatus;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use xuepei_domain::labels::Labeled;
use xuepei_domain::time::today;
use xuepei_domain::training::certificate::{self as rules, CertificateKind};
use xuepei_domain::training::{EnrolmentStatus, Hours};

use crate::audit::{Entry, Tx};
use crate::classes;
use crate::entity::{certificate, credit_record, enrolment, organization, person};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::scope::Scope;

/// Unique keys of certificates (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[
    crate::error::UniqueKey {
        index: "ux_certificates_code",
        columns: "certificates.code",
        message: "证书编号重复（极小概率事件），未保存。请重新颁发",
    },
    crate::error::UniqueKey {
        index: "ux_certificates_standing",
        columns: "certificates.class_id",
        message: "本班次的结业证书正由他人同时颁发，未重复颁发。请刷新页面查看",
    },
];

pub const REASON_MAX: usize = 200;

/// A certificate as the issuing body sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Certificate {
    pub id: i64,
    pub code: String,
    pub kind: CertificateKind,
    pub org_id: i64,
    pub person_id: i64,
    pub class_id: Option<i64>,
    pub year: Option<i32>,
    pub name: String,
    pub title: String,
    pub period: String,
    pub hours: Hours,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub revoked_on: Option<NaiveDate>,
    pub revoke_reason: Option<String>,
}

impl Certificate {
    pub fn display_code(&self) -> String {
        rules::display_code(&self.code)
    }
    pub fn is_valid(&self) -> bool {
        self.revoked_on.is_none()
    }
    /// The sentence the certificate states.
    pub fn body(&self) -> String {
        match self.kind {
            CertificateKind::Completion => format!(
                "于{}参加{}举办的“{}”，完成规定的学习任务，计{}学时，经考核准予结业。\n特发此证。",
                self.period, self.issuer, self.title, self.hours
            ),
            CertificateKind::Hours => format!(
                "{}参加教育培训，经{}认定累计{}学时（{}）。\n特此证明。",
                self.title, self.issuer, self.hours, self.period
            ),
        }
    }
}

impl From<certificate::Model> for Certificate {
    fn from(m: certificate::Model) -> Self {
        Certificate {
            id: m.id,
            code: m.code,
            kind: CertificateKind::from_code(&m.kind).unwrap_or(CertificateKind::Completion),
            org_id: m.org_id,
            person_id: m.person_id,
            class_id: m.class_id,
            year: m.year,
            name: m.name,
            title: m.title,
            period: m.period,
            hours: Hours::from_hundredths(m.hours),
            issuer: m.issuer,
            issued_on: m.issued_on,
            revoked_on: m.revoked_on,
            revoke_reason: m.revoke_reason,
        }
    }
}

/// What a verification shows: nothing a stranger should not learn from the paper itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub code: String,
    pub kind: CertificateKind,
    pub kind_label: &'static str,
    /// The holder's name, masked.
    pub name: String,
    pub title: String,
    pub period: String,
    pub hours: String,
    pub issuer: String,
    pub issued_on: NaiveDate,
    pub valid: bool,
    pub revoked_on: Option<NaiveDate>,
}

fn new_code() -> String {
    let mut random = [0u8; 10];
    OsRng.fill_bytes(&mut random);
    rules::new_code(random)
}

fn period_of(start: NaiveDate, end: NaiveDate) -> String {
    let f = xuepei_domain::time::chinese_day;
    if start == end {
        f(start)
    } else if start.year() == end.year() {
        format!("{}至{}月{}日", f(start), end.month(), end.day())
    } else {
        format!("{}至{}", f(start), f(end))
    }
}

async fn org_name(db: &impl ConnectionTrait, id: i64) -> Result<String> {
    let name: Option<String> = organization::Entity::find_by_id(id)
        .select_only()
        .column(organization::Column::Name)
        .into_tuple()
        .one(db)
        .await?;
    name.ok_or(StoreError::NotFound("组织"))
}

/// What issuing for a class did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Issued {
    /// Certificates issued now.
    pub issued: u64,
    /// Trainees who already held a standing certificate.
    pub already: u64,
    /// Trainees whose certificate was revoked: not issued again unless asked one by one
    /// ([`reissue`]), so that a revocation is never undone by the next round of issuing.
    pub revoked: u64,
}

/// Issues a completion certificate to every completed trainee of a completed class who
/// never held one, in the organiser's name, for the hours their credit record holds.
pub async fn issue_for_class(tx: &Tx, class_id: i64) -> Result<Issued> {
    let db = tx.conn();
    let c = classes::get(db, tx.scope(), class_id).await?;
    if !c.deliverable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!("班次“{}”的结业证书只能由主办单位或承办机构颁发", c.title)));
    }
    if c.status != ClassStatus::Completed {
        return Err(StoreError::invalid(
            "class",
            format!("班次“{}”尚未办理结业，不能颁发结业证书。请先办理结业", c.title),
        ));
    }
    let completed: Vec<i64> = enrolment::Entity::find()
        .select_only()
        .column(enrolment::Column::PersonId)
        .filter(enrolment::Column::ClassId.eq(c.id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed.code()))
        .into_tuple()
        .all(db)
        .await?;
    if completed.is_empty() {
        return Err(StoreError::invalid("class", format!("班次“{}”没有结业学员，无需颁发结业证书", c.title)));
    }
    let held: Vec<(i64, Option<i64>)> = certificate::Entity::find()
        .select_only()
        .columns([certificate::Column::PersonId, certificate::Column::StandingPersonId])
        .filter(certificate::Column::ClassId.eq(c.id))
        .into_tuple()
        .all(db)
        .await?;
    let standing: BTreeSet<i64> = held.iter().filter_map(|(_, s)| *s).collect();
    let ever: BTreeSet<i64> = held.iter().map(|(p, _)| *p).collect();
    let todo: Vec<i64> = completed.iter().copied().filter(|p| !ever.contains(p)).collect();
    let issued = insert_completion(tx, &c, &todo).await?;
    if issued > 0 {
        tx.record(Entry {
            action: "certificate.issue",
            target_type: "class",
            target_id: Some(c.id.to_string()),
            scope_path: c.org_path.clone(),
            summary: format!("班次“{}”颁发结业证书{}份", c.title, issued),
            before: None,
            after: Some(serde_json::json!({"班次": c.title, "颁发份数": issued, "已有证书": standing.len()})),
        });
    }
    Ok(Issued { issued, already: standing.len() as u64, revoked: (ever.len() - standing.len()) as u64 })
}

/// Writes completion certificates of `c` for `people`: names and hours as they stand now.
async fn insert_completion(tx: &Tx, c: &classes::Class, people: &[i64]) -> Result<u64> {
    let db = tx.conn();
    let mut hours: HashMap<i64, i64> = HashMap::new();
    let mut names: HashMap<i64, String> = HashMap::new();
    for chunk in people.chunks(1000) {
        let rows: Vec<(i64, i64)> = credit_record::Entity::find()
            .select_only()
            .columns([credit_record::Column::PersonId, credit_record::Column::Hours])
            .filter(credit_record::Column::ClassId.eq(c.id))
            .filter(credit_record::Column::PersonId.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        hours.extend(rows);
        let rows: Vec<(i64, String)> = person::Entity::find()
            .select_only()
            .columns([person::Column::Id, person::Column::Name])
            .filter(person::Column::Id.is_in(chunk.to_vec()))
            .into_tuple()
            .all(db)
            .await?;
        names.extend(rows);
    }
    let issuer = org_name(db, c.organiser.id).await?;
    let (t, on) = (now(), today());
    let period = period_of(c.start_on, c.end_on);
    let rows: Vec<certificate::ActiveModel> = people
        .iter()
        .map(|pid| certificate::ActiveModel {
            code: Set(new_code()),
            kind: Set(CertificateKind::Completion.code().to_owned()),
            org_id: Set(c.organiser.id),
            org_path: Set(c.org_path.clone()),
            person_id: Set(*pid),
            class_id: Set(Some(c.id)),
            year: Set(Some(c.end_on.year())),
            name: Set(names.get(pid).cloned().unwrap_or_default()),
            title: Set(c.title.clone()),
            period: Set(period.clone()),
            hours: Set(hours.get(pid).copied().unwrap_or_default()),
            issuer: Set(issuer.clone()),
            issued_on: Set(on),
            revoked_on: Set(None),
            revoke_reason: Set(None),
            standing_person_id: Set(Some(*pid)),
            created_at: Set(t),
            ..Default::default()
        })
        .collect();
    let issued = rows.len() as u64;
    let chunk = crate::sql::max_params(db.get_database_backend()) / 20;
    let mut rest = rows;
    while !rest.is_empty() {
        let tail = rest.split_off(rest.len().min(chunk));
        certificate::Entity::insert_many(rest).exec(db).await?;
        rest = tail;
    }
    Ok(issued)
}

/// Issues anew the completion certificate a revoked one stood for (the trainee's name and
/// hours as they are now), when the trainee holds no standing one.
pub async fn reissue(tx: &Tx, revoked_id: i64) -> Result<Certificate> {
    let db = tx.conn();
    let old = get(db, tx.scope(), revoked_id).await?;
    let (Some(class_id), CertificateKind::Completion) = (old.class_id, old.kind) else {
        return Err(StoreError::invalid("certificate", "学时证明请在人员的“证书”页面重新开具"));
    };
    if old.is_valid() {
        return Err(StoreError::Conflict(format!("证书{}仍然有效，无需重新颁发", old.display_code())));
    }
    let c = classes::get(db, tx.scope(), class_id).await?;
    if !c.deliverable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!("班次“{}”的结业证书只能由主办单位或承办机构颁发", c.title)));
    }
    let completed = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(c.id))
        .filter(enrolment::Column::PersonId.eq(old.person_id))
        .filter(enrolment::Column::Status.eq(EnrolmentStatus::Completed.code()))
        .one(db)
        .await?
        .is_some();
    if !completed {
        return Err(StoreError::invalid(
            "certificate",
            format!("{}不是本班次的结业学员，不能重新颁发结业证书", old.name),
        ));
    }
    let standing = certificate::Entity::find()
        .filter(certificate::Column::ClassId.eq(c.id))
        .filter(certificate::Column::StandingPersonId.eq(old.person_id))
        .one(db)
        .await?;
    if let Some(s) = standing {
        return Err(StoreError::Conflict(format!(
            "{}已持有本班次的有效证书{}，无需重新颁发",
            old.name,
            rules::display_code(&s.code)
        )));
    }
    insert_completion(tx, &c, &[old.person_id]).await?;
    let new = certificate::Entity::find()
        .filter(certificate::Column::ClassId.eq(c.id))
        .filter(certificate::Column::StandingPersonId.eq(old.person_id))
        .one(db)
        .await?
        .map(Certificate::from)
        .ok_or(StoreError::NotFound("证书"))?;
    tx.record(Entry {
        action: "certificate.reissue",
        target_type: "certificate",
        target_id: Some(new.id.to_string()),
        scope_path: c.org_path.clone(),
        summary: format!("为{}重新颁发班次“{}”的结业证书", new.name, c.title),
        before: Some(serde_json::json!({"编号": old.display_code(), "状态": "已撤销"})),
        after: Some(serde_json::json!({"编号": new.display_code(), "学时": new.hours.to_string()})),
    });
    Ok(new)
}

/// Issues a certificate of a person's approved hours in `year`, in the name of the
/// scope's own organisation (which must hold the person).
pub async fn issue_hours(tx: &Tx, person_id: i64, year: i32) -> Result<Certificate> {
    let db = tx.conn();
    let p = crate::people::get(db, tx.scope(), person_id).await?;
    let this_year = today().year();
    if !(2000..=this_year).contains(&year) {
        return Err(StoreError::invalid("year", format!("年度应在2000年至{this_year}年之间")));
    }
    let issuer_id = tx
        .scope()
        .root_org_id()
        .ok_or(StoreError::Forbidden("学时证明须以具体单位的名义开具，请先切换到本单位".into()))?;
    let (from, to) = (
        NaiveDate::from_ymd_opt(year, 1, 1).ok_or(StoreError::NotFound("年度"))?,
        NaiveDate::from_ymd_opt(year, 12, 31).ok_or(StoreError::NotFound("年度"))?,
    );
    let hours: Vec<i64> = credit_record::Entity::find()
        .select_only()
        .column(credit_record::Column::Hours)
        .filter(credit_record::Column::PersonId.eq(p.id))
        .filter(credit_record::Column::Status.eq("approved"))
        .filter(credit_record::Column::OnDate.between(from, to))
        .into_tuple()
        .all(db)
        .await?;
    let total: i64 = hours.iter().sum();
    if total <= 0 {
        return Err(StoreError::invalid(
            "year",
            format!("{}同志{}年度没有已认定的学时，不能开具学时证明", p.name, year),
        ));
    }
    let issuer = org_name(db, issuer_id).await?;
    let path = tx.scope().root_path().unwrap_or("/").to_owned();
    let on = today();
    let upto = if year == this_year { on } else { to };
    let m = certificate::ActiveModel {
        code: Set(new_code()),
        kind: Set(CertificateKind::Hours.code().to_owned()),
        org_id: Set(issuer_id),
        org_path: Set(path.clone()),
        person_id: Set(p.id),
        class_id: Set(None),
        year: Set(Some(year)),
        name: Set(p.name.clone()),
        title: Set(format!("{year}年度")),
        period: Set(format!("{}，共{}条培训记录", period_of(from, upto), hours.len())),
        hours: Set(total),
        issuer: Set(issuer),
        issued_on: Set(on),
        revoked_on: Set(None),
        revoke_reason: Set(None),
        standing_person_id: Set(None),
        created_at: Set(now()),
        ..Default::default()
    };
    let id = certificate::Entity::insert(m).exec(db).await?.last_insert_id;
    let cert =
        Certificate::from(certificate::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("证书"))?);
    // The new certificate supersedes the issuer's earlier ones of the person and year: the
    // hours may have changed, and two standing papers must not say different things.
    let superseded = certificate::Entity::update_many()
        .col_expr(certificate::Column::RevokedOn, Expr::value(on))
        .col_expr(certificate::Column::RevokeReason, Expr::value(format!("已由证书{}取代", cert.display_code())))
        .filter(certificate::Column::Kind.eq(CertificateKind::Hours.code()))
        .filter(certificate::Column::PersonId.eq(p.id))
        .filter(certificate::Column::Year.eq(year))
        .filter(certificate::Column::OrgId.eq(issuer_id))
        .filter(certificate::Column::RevokedOn.is_null())
        .filter(certificate::Column::Id.ne(cert.id))
        .exec(db)
        .await?
        .rows_affected;
    tx.record(Entry {
        action: "certificate.issue_hours",
        target_type: "certificate",
        target_id: Some(cert.id.to_string()),
        scope_path: path,
        summary: format!("为{}开具{}年度学时证明（{}学时）", cert.name, year, cert.hours),
        before: None,
        after: Some(serde_json::json!({"编号": cert.display_code(), "学时": cert.hours.to_string(), "取代此前证书": superseded})),
    });
    Ok(cert)
}

/// The certificates of a class, for its organiser or delivering institution.
pub async fn for_class(db: &impl ConnectionTrait, scope: &Scope, class_id: i64) -> Result<Vec<Certificate>> {
    let c = classes::get(db, scope, class_id).await?;
    if !c.deliverable_by(scope) {
        return Err(StoreError::Forbidden(format!("班次“{}”的结业证书只有主办单位和承办机构可以查看", c.title)));
    }
    Ok(certificate::Entity::find()
        .filter(certificate::Column::ClassId.eq(c.id))
        .order_by_asc(certificate::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .map(Certificate::from)
        .collect())
}

/// A person's certificates that the scope issued (or that bodies below it issued).
pub async fn for_person(db: &impl ConnectionTrait, scope: &Scope, person_id: i64) -> Result<Vec<Certificate>> {
    Ok(certificate::Entity::find()
        .filter(certificate::Column::PersonId.eq(person_id))
        .filter(scope.cond(certificate::Column::OrgPath))
        .order_by_desc(certificate::Column::Id)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(Certificate::from)
        .collect())
}

/// One certificate, for the scope holding its issuer or the class's deliverer.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Certificate> {
    let m = certificate::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("证书"))?;
    if scope.contains_path(&m.org_path) {
        return Ok(m.into());
    }
    if let Some(class_id) = m.class_id
        && classes::get(db, scope, class_id).await.is_ok_and(|c| c.deliverable_by(scope))
    {
        return Ok(m.into());
    }
    Err(StoreError::NotFound("证书"))
}

/// Revokes a standing certificate, with the reason (verification then says so).
pub async fn revoke(tx: &Tx, id: i64, reason: &str) -> Result<Certificate> {
    let db = tx.conn();
    let c = get(db, tx.scope(), id).await?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::invalid("reason", "请填写撤销原因"));
    }
    if reason.chars().count() > REASON_MAX {
        return Err(StoreError::invalid("reason", format!("撤销原因不超过{REASON_MAX}个字")));
    }
    if reason.chars().any(char::is_control) {
        return Err(StoreError::invalid("reason", "撤销原因不能含有控制字符，请重新填写"));
    }
    if !c.is_valid() {
        return Err(StoreError::Conflict(format!(
            "证书{}已于{}撤销，无需重复撤销",
            c.display_code(),
            c.revoked_on.unwrap_or_default()
        )));
    }
    let on = today();
    let done = certificate::Entity::update_many()
        .col_expr(certificate::Column::RevokedOn, Expr::value(on))
        .col_expr(certificate::Column::RevokeReason, Expr::value(reason.to_owned()))
        .col_expr(certificate::Column::StandingPersonId, Expr::value(Option::<i64>::None))
        .filter(certificate::Column::Id.eq(c.id))
        .filter(certificate::Column::RevokedOn.is_null())
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Err(StoreError::Conflict("该证书刚被他人撤销，请刷新后查看".into()));
    }
    tx.record(Entry {
        action: "certificate.revoke",
        target_type: "certificate",
        target_id: Some(c.id.to_string()),
        scope_path: tx.scope().root_path().unwrap_or("/").to_owned(),
        summary: format!("撤销{}的{}（{}）", c.name, c.kind.label(), c.display_code()),
        before: Some(serde_json::json!({"状态": "有效"})),
        after: Some(serde_json::json!({"状态": "已撤销", "原因": reason})),
    });
    Ok(Certificate { revoked_on: Some(on), revoke_reason: Some(reason.to_owned()), ..c })
}

/// What a code verifies to: `Ok(None)` when no certificate has it (a forged code whose
/// check characters happen to fit). Public: anyone holding the paper may ask.
pub async fn verify(db: &impl ConnectionTrait, code: &str) -> Result<Option<Verified>> {
    let Some(m) = certificate::Entity::find().filter(certificate::Column::Code.eq(code)).one(db).await? else {
        return Ok(None);
    };
    let c = Certificate::from(m);
    Ok(Some(Verified {
        code: c.display_code(),
        kind: c.kind,
        kind_label: c.kind.label(),
        name: rules::mask_name(&c.name),
        title: c.title.clone(),
        period: c.period.clone(),
        hours: c.hours.to_string(),
        issuer: c.issuer.clone(),
        issued_on: c.issued_on,
        valid: c.is_valid(),
        revoked_on: c.revoked_on,
    }))
}
