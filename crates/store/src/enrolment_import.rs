//! Enrolment from a spreadsheet (报名名单导入): rows of a class number and a person's
//! identity number, enrolled through the same rules as the roster page (responsibility,
//! allocated places, capacity and waiting list, overlapping classes), all or nothing.
//! A class's rows are enrolled in one request; when it is refused they are tried one by
//! one inside the same transaction to report each refusal on its row. Any refusal, or a
//! dry run, rolls everything back.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use xuepei_domain::idcard;
use xuepei_domain::import::RowError;
use xuepei_domain::labels::Labeled;
use xuepei_domain::text::compact;
use xuepei_domain::training::EnrolmentStatus;
use xuepei_domain::validate::{FieldError, Fields};

use crate::DatabaseConnection;
use crate::audit::{Actor, Tx};
use crate::classes;
use crate::enrolments::{self, PersonRef};
use crate::entity::{enrolment, person};
use crate::error::{Result, StoreError};
use crate::imports::ImportReport;
use crate::scope::Scope;

/// The import's column labels by field key (for messages).
pub const LABELS: &[(&str, &str)] = &[("class_id", "班次编号"), ("id_number", "身份证号"), ("name", "姓名")];

/// One checked row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentDraft {
    pub class_id: i64,
    pub id_number: String,
    pub name: String,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// Checks a row's fields (keys `class_id`, `id_number`, `name`).
pub fn validate_row(f: &impl Fields) -> std::result::Result<EnrolmentDraft, Vec<FieldError>> {
    let mut errs = Vec::new();
    let raw = compact(f.get("class_id"));
    let class_id = raw.trim_start_matches('#').parse::<i64>().ok().filter(|n| *n > 0);
    if class_id.is_none() {
        errs.push(err("class_id", format!("班次编号“{raw}”应为正整数，见班次详情页的“班次编号”")));
    }
    let id_number = match idcard::parse(f.get("id_number"), chrono::Utc::now().date_naive()) {
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
    match (class_id, id_number, errs.is_empty()) {
        (Some(class_id), Some(id_number), true) => Ok(EnrolmentDraft { class_id, id_number, name }),
        _ => Err(errs),
    }
}

fn row_error(row: u64, field: &str, message: String) -> RowError {
    let column = LABELS.iter().find(|(k, _)| *k == field).map(|(_, l)| (*l).to_owned());
    RowError { row, column, message }
}

/// Whether an error refuses the request (as opposed to failing it).
fn refusal(e: &StoreError) -> bool {
    matches!(e, StoreError::Invalid(_) | StoreError::Conflict(_) | StoreError::NotFound(_) | StoreError::Forbidden(_))
}

/// The people of the scope among `numbers` (id and name by number), and their statuses
/// in a class: two queries a thousand numbers at a time, not two a row.
async fn current(
    db: &impl ConnectionTrait,
    scope: &Scope,
    class_id: i64,
    numbers: &[&str],
) -> Result<HashMap<String, (String, Option<String>)>> {
    let mut out = HashMap::new();
    for chunk in numbers.chunks(1000) {
        let people: Vec<(i64, String, String)> = person::Entity::find()
            .select_only()
            .columns([person::Column::Id, person::Column::IdNumber, person::Column::Name])
            .filter(person::Column::IdNumber.is_in(chunk.iter().copied()))
            .filter(scope.cond(person::Column::OrgPath))
            .into_tuple()
            .all(db)
            .await?;
        let statuses: HashMap<i64, String> = enrolment::Entity::find()
            .select_only()
            .columns([enrolment::Column::PersonId, enrolment::Column::Status])
            .filter(enrolment::Column::ClassId.eq(class_id))
            .filter(enrolment::Column::PersonId.is_in(people.iter().map(|p| p.0)))
            .into_tuple()
            .all(db)
            .await?
            .into_iter()
            .collect();
        for (id, number, name) in people {
            out.insert(number, (name, statuses.get(&id).cloned()));
        }
    }
    Ok(out)
}

/// Enrols the rows, all or nothing; the report names each refused row.
pub async fn import(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    rows: Vec<(u64, EnrolmentDraft)>,
    invalid: Vec<RowError>,
    dry_run: bool,
) -> Result<ImportReport> {
    let mut report = ImportReport { dry_run, ..Default::default() };
    let invalid_rows: std::collections::HashSet<u64> = invalid.iter().map(|e| e.row).collect();
    report.rows = rows.len() as u64 + invalid_rows.len() as u64;
    for e in invalid {
        report.add_error(e);
    }
    let tx = Tx::begin(db, scope, actor).await?;
    // Rows by class, in file order; each class's rows are enrolled in one request.
    let mut by_class: Vec<(i64, Vec<(u64, &EnrolmentDraft)>)> = Vec::new();
    let mut index: HashMap<i64, usize> = HashMap::new();
    for (row, d) in &rows {
        let i = *index.entry(d.class_id).or_insert_with(|| {
            by_class.push((d.class_id, Vec::new()));
            by_class.len() - 1
        });
        by_class[i].1.push((*row, d));
    }
    for (class_id, rows) in by_class {
        let Ok(class) = classes::get(tx.conn(), scope, class_id).await else {
            for (row, _) in rows {
                report.add_error(row_error(
                    row,
                    "class_id",
                    format!("班次编号{class_id}不存在或不在您的管理范围内，请核对"),
                ));
            }
            continue;
        };
        // Someone already in the class is unchanged: importing a roster again changes nothing.
        let mut joining = Vec::new();
        let numbers: Vec<&str> = rows.iter().map(|(_, d)| d.id_number.as_str()).collect();
        let known = current(tx.conn(), scope, class_id, &numbers).await?;
        for (row, d) in rows {
            match known.get(&d.id_number).cloned() {
                Some((name, _)) if !d.name.is_empty() && d.name != name => report.add_error(row_error(
                    row,
                    "name",
                    format!("姓名“{}”与花名册登记的姓名不一致，请核对身份证号和姓名", d.name),
                )),
                Some((_, Some(s))) if s != EnrolmentStatus::Withdrawn.code() => report.unchanged += 1,
                _ => joining.push((row, d)),
            }
        }
        if joining.is_empty() {
            continue;
        }
        let refs: Vec<PersonRef> = joining.iter().map(|(_, d)| PersonRef::IdNumber(d.id_number.clone())).collect();
        match enrolments::enrol(&tx, class_id, &refs).await {
            Ok(results) => {
                for ((row, _), r) in joining.iter().zip(results) {
                    report.sample_added(*row, || format!("{} {}（{}）", r.name, class.title, r.status.label()));
                    report.inserted += 1;
                }
            }
            Err(e) if refusal(&e) => {
                // The request is refused whole and wrote nothing: find each refused row by
                // enrolling the rows one by one (all is rolled back at the end).
                let before = report.error_count;
                for (row, d) in &joining {
                    match enrolments::enrol(&tx, class_id, &[PersonRef::IdNumber(d.id_number.clone())]).await {
                        Ok(_) => {}
                        Err(e) if refusal(&e) => report.add_error(row_error(*row, "id_number", e.reasons())),
                        Err(other) => return Err(other),
                    }
                }
                if report.error_count == before {
                    report.add_error(row_error(joining[0].0, "class_id", e.reasons()));
                }
            }
            Err(other) => return Err(other),
        }
    }
    report.sort();
    if report.error_count > 0 || dry_run {
        tx.rollback().await?;
        if report.error_count > 0 {
            report.inserted = 0;
        }
        return Ok(report);
    }
    tx.commit().await?;
    report.committed = true;
    Ok(report)
}
