//! A group's written reports: research topics (专题调研课题) with their reports, and each
//! member's annual study report (年度述学, one per member and year). The owner is one of
//! the group's people; reports are searchable.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::{BODY_MAX, ReportKind, TITLE_MAX};

use super::{Group, PersonKey, PersonLabel, check_day};
use crate::audit::{Entry, Tx, json};
use crate::entity::study_report;
use crate::meetings::{clean, err, key_words, labels, normal_number};
use crate::org::now;
use crate::scope::Scope;
use crate::{Result, StoreError};

/// A report as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportInput {
    pub year: Option<i32>,
    /// `research` or `annual` (or their labels).
    pub kind: String,
    pub person: Option<PersonKey>,
    pub title: String,
    pub body: String,
    /// When the report was finished (a research topic still under way has none).
    pub done_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    #[serde(skip)]
    pub org_path: String,
    pub year: i32,
    pub kind: ReportKind,
    pub person: PersonLabel,
    pub title: String,
    pub body: String,
    pub done_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

struct Checked {
    year: i32,
    kind: ReportKind,
    person: i64,
    title: String,
    body: String,
}

fn check(g: &Group, input: &ReportInput) -> Result<Checked> {
    let mut errs = Vec::new();
    let this_year = xuepei_domain::time::today().year();
    let year = match input.year {
        None => {
            errs.push(err("year", "请填写年度"));
            None
        }
        Some(y) if y > this_year => {
            errs.push(err("year", format!("{y}年尚未到来，请填写本年度或以前的年度")));
            None
        }
        Some(y) if y < this_year - 10 => {
            errs.push(err("year", format!("{y}年过早，请核对")));
            None
        }
        Some(y) => Some(y),
    };
    let kind = ReportKind::parse_label(&input.kind);
    if kind.is_none() {
        errs.push(err("kind", "请选择类别：专题调研报告（research）或年度述学报告（annual）"));
    }
    let person = match &input.person {
        None => {
            errs.push(err(
                "person",
                match kind {
                    Some(ReportKind::Annual) => "请选择述学人（写这份年度述学报告的中心组成员）",
                    Some(ReportKind::Research) => "请选择调研课题负责人",
                    None => "请选择报告人（课题负责人或述学人）",
                },
            ));
            None
        }
        Some(k) => {
            let id = match k {
                PersonKey::Id(i) => g.role_of(*i).map(|_| *i),
                PersonKey::Number(n) => {
                    let n = normal_number(n);
                    g.members.iter().find(|m| m.person.id_number == n).map(|m| m.person.id)
                }
            };
            if id.is_none() {
                errs.push(err("person", format!("{}不是{}的成员，请核对", key_words(k), g.name)));
            }
            id
        }
    };
    let mut title = clean(&input.title, TITLE_MAX, "标题", "title", &mut errs);
    if title.is_empty()
        && kind == Some(ReportKind::Annual)
        && let (Some(y), Some(p)) = (year, person)
        && let Some(m) = g.members.iter().find(|m| m.person.id == p)
    {
        title = format!("{}{y}年度述学报告", m.person.name);
    }
    // A research report is named by its topic; an annual study report's title is made
    // from its author and year, so only what is really missing is told.
    if title.is_empty() && kind == Some(ReportKind::Research) && errs.iter().all(|e| e.field != "title") {
        errs.push(err("title", "请填写调研课题名称"));
    }
    let body = clean(&input.body, BODY_MAX, "报告正文", "body", &mut errs);
    if kind == Some(ReportKind::Annual) && body.is_empty() && errs.iter().all(|e| e.field != "body") {
        errs.push(err("body", "请填写述学报告正文"));
    }
    if input.done_on.is_some() {
        check_day(input.done_on, "完成日期", "done_on", &mut errs);
    }
    match (year, kind, person, errs.is_empty()) {
        (Some(year), Some(kind), Some(person), true) => Ok(Checked { year, kind, person, title, body }),
        _ => Err(StoreError::Invalid(errs)),
    }
}

/// One annual study report per member and year.
async fn annual_taken(db: &impl ConnectionTrait, g: &Group, c: &Checked, except: Option<i64>) -> Result<()> {
    if c.kind != ReportKind::Annual {
        return Ok(());
    }
    let mut q = study_report::Entity::find()
        .select_only()
        .column(study_report::Column::Id)
        .filter(study_report::Column::GroupId.eq(g.id))
        .filter(study_report::Column::Year.eq(c.year))
        .filter(study_report::Column::Kind.eq(ReportKind::Annual.code()))
        .filter(study_report::Column::PersonId.eq(c.person));
    if let Some(id) = except {
        q = q.filter(study_report::Column::Id.ne(id));
    }
    match q.into_tuple::<i64>().one(db).await? {
        Some(other) => Err(StoreError::invalid(
            "person",
            format!("此人{}年度的述学报告已登记（编号{other}），每人每年一份，请修改已有的报告", c.year),
        )),
        None => Ok(()),
    }
}

async fn index(tx: &Tx, id: i64, g: &Group, c: &Checked, done_on: Option<NaiveDate>) -> Result<()> {
    crate::search::put(
        tx.conn(),
        &crate::search::Doc {
            kind: "report",
            id,
            org_id: g.org.id,
            org_path: &g.org_path,
            title: &c.title,
            body: &c.body,
            date: done_on,
        },
    )
    .await
}

/// Records a report of a group in the writer's scope.
pub async fn create(tx: &Tx, group_id: i64, input: &ReportInput) -> Result<Report> {
    let g = super::get(tx.conn(), tx.scope(), group_id).await?;
    let c = check(&g, input)?;
    crate::meetings::refuse_backdated(input.done_on, "完成日期", "done_on")?;
    annual_taken(tx.conn(), &g, &c, None).await?;
    let t = now();
    let row = study_report::ActiveModel {
        group_id: Set(g.id),
        org_id: Set(g.org.id),
        org_path: Set(g.org_path.clone()),
        year: Set(c.year),
        kind: Set(c.kind.code().to_owned()),
        person_id: Set(c.person),
        title: Set(c.title.clone()),
        body: Set(c.body.clone()),
        done_on: Set(input.done_on),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    index(tx, row.id, &g, &c, input.done_on).await?;
    let after = get(tx.conn(), tx.scope(), row.id).await?;
    tx.record(Entry {
        action: "study_report.create",
        target_type: "study_report",
        target_id: Some(row.id.to_string()),
        scope_path: g.org_path,
        summary: format!("登记{}《{}》（{}）", after.kind.label(), after.title, after.person.name),
        before: None,
        after: json(&after),
    });
    Ok(after)
}

/// Changes a report.
pub async fn update(tx: &Tx, id: i64, input: &ReportInput) -> Result<Report> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    let g = super::get(tx.conn(), tx.scope(), before.group_id).await?;
    let c = check(&g, input)?;
    if input.done_on != before.done_on {
        crate::meetings::refuse_backdated(input.done_on, "完成日期", "done_on")?;
    }
    annual_taken(tx.conn(), &g, &c, Some(id)).await?;
    study_report::Entity::update_many()
        .col_expr(study_report::Column::Year, Expr::value(c.year))
        .col_expr(study_report::Column::Kind, Expr::value(c.kind.code()))
        .col_expr(study_report::Column::PersonId, Expr::value(c.person))
        .col_expr(study_report::Column::Title, Expr::value(c.title.clone()))
        .col_expr(study_report::Column::Body, Expr::value(c.body.clone()))
        .col_expr(study_report::Column::DoneOn, Expr::value(input.done_on))
        .col_expr(study_report::Column::UpdatedAt, Expr::value(now()))
        .filter(study_report::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    index(tx, id, &g, &c, input.done_on).await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "study_report.update",
        target_type: "study_report",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("修改{}《{}》", after.kind.label(), after.title),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

async fn build(db: &impl ConnectionTrait, g: &Group, rows: Vec<study_report::Model>) -> Result<Vec<Report>> {
    let ids: Vec<i64> = rows.iter().map(|r| r.person_id).collect();
    let people = labels(db, ids).await?;
    Ok(rows
        .into_iter()
        .map(|r| Report {
            id: r.id,
            group_id: g.id,
            group_name: g.name.clone(),
            org_path: r.org_path,
            year: r.year,
            kind: ReportKind::from_code(&r.kind).unwrap_or(ReportKind::Research),
            person: people.get(&r.person_id).cloned().unwrap_or_else(|| PersonLabel::gone(r.person_id)),
            title: r.title,
            body: r.body,
            done_on: r.done_on,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// A report of a group in the scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Report> {
    let row = study_report::Entity::find_by_id(id)
        .filter(scope.cond(study_report::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("报告"))?;
    let g = super::get(db, scope, row.group_id).await?;
    build(db, &g, vec![row]).await?.pop().ok_or(StoreError::NotFound("报告"))
}

/// A group's reports of a year: research first, then annual reports, each by id.
pub async fn of_group(db: &impl ConnectionTrait, scope: &Scope, group_id: i64, year: i32) -> Result<Vec<Report>> {
    let g = super::get(db, scope, group_id).await?;
    let rows = study_report::Entity::find()
        .filter(study_report::Column::GroupId.eq(g.id))
        .filter(scope.cond(study_report::Column::OrgPath))
        .filter(study_report::Column::Year.eq(year))
        .order_by_desc(study_report::Column::Kind)
        .order_by_asc(study_report::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    build(db, &g, rows).await
}

/// The input that reproduces a report (to edit it).
pub fn input_of(r: &Report) -> ReportInput {
    ReportInput {
        year: Some(r.year),
        kind: r.kind.code().to_owned(),
        person: Some(PersonKey::Id(r.person.id)),
        title: r.title.clone(),
        body: r.body.clone(),
        done_on: r.done_on,
    }
}
