//! The instructor pool (师资库) each organisation keeps: leading cadres, experts and
//! scholars, excellent secretaries, party-school teachers. Kept by the owning
//! organisation's scope; a class's organiser may use the pools of its own organisation
//! and its ancestors.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use xuepei_domain::labeled_enum;
use xuepei_domain::labels::Labeled;
use xuepei_domain::validate::FieldError;

use super::{OrgRef, org_ref, self_and_ancestors};
use crate::audit::{Entry, Tx, json};
use crate::entity::{instructor, organization, person};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::page::{At, Page, fetch, page_of};
use crate::scope::Scope;

labeled_enum! {
    /// The kind of an instructor.
    pub enum InstructorKind {
        Leader => ("leader", "领导干部", ["领导", "党政领导"]),
        Expert => ("expert", "专家学者", ["专家", "学者"]),
        Secretary => ("secretary", "优秀书记", ["优秀党组织书记", "书记"]),
        Teacher => ("teacher", "党校教师", ["教师", "党校老师"]),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InstructorInput {
    /// Code of the owning organisation, inside the writer's scope.
    pub org: String,
    pub name: String,
    pub kind: String,
    /// 职称职务.
    pub title: String,
    pub unit: String,
    pub phone: String,
    /// Subjects the instructor teaches.
    pub topics: String,
    /// The instructor's ID number when they are a person of the writer's scope.
    pub id_number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instructor {
    pub id: i64,
    pub org: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub name: String,
    pub kind: InstructorKind,
    pub title: Option<String>,
    pub unit: Option<String>,
    pub phone: Option<String>,
    pub person_id: Option<i64>,
    pub topics: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

struct Resolved {
    org: organization::Model,
    name: String,
    kind: InstructorKind,
    title: Option<String>,
    unit: Option<String>,
    phone: Option<String>,
    topics: Option<String>,
    person_id: Option<i64>,
}

async fn resolve(db: &impl ConnectionTrait, scope: &Scope, input: &InstructorInput) -> Result<Resolved> {
    use xuepei_domain::org::check_text;
    let mut errs = Vec::new();
    let name = check_text(&input.name, 50, true).unwrap_or_else(|m| {
        errs.push(err("name", format!("姓名{m}")));
        None
    });
    let title = check_text(&input.title, 60, false).unwrap_or_else(|m| {
        errs.push(err("title", format!("职称职务{m}")));
        None
    });
    let unit = check_text(&input.unit, 100, false).unwrap_or_else(|m| {
        errs.push(err("unit", format!("工作单位{m}")));
        None
    });
    let topics = check_text(&input.topics, 1000, false).unwrap_or_else(|m| {
        errs.push(err("topics", format!("授课专题{m}")));
        None
    });
    let phone = match input.phone.trim() {
        "" => None,
        p => match xuepei_domain::phone::normalize(p) {
            Ok(d) => Some(d),
            Err(e) => {
                errs.push(err("phone", format!("联系电话{e}")));
                None
            }
        },
    };
    let kind = InstructorKind::parse_label(&input.kind);
    if kind.is_none() {
        errs.push(err("kind", format!("请选择师资类别：{}", InstructorKind::allowed_labels())));
    }
    let org = organization::Entity::find()
        .filter(organization::Column::Code.eq(input.org.trim()))
        .filter(scope.cond(organization::Column::Path))
        .one(db)
        .await?;
    if org.is_none() {
        errs.push(err(
            "org",
            format!("所属单位“{}”不在您的管理范围内，请填写本单位或下级组织的代码", input.org.trim()),
        ));
    }
    let person_id = match input.id_number.trim() {
        "" => None,
        id => {
            let found = person::Entity::find()
                .filter(person::Column::IdNumber.eq(id.to_uppercase()))
                .filter(scope.cond(person::Column::OrgPath))
                .one(db)
                .await?;
            if found.is_none() {
                errs.push(err(
                    "id_number",
                    format!("身份证号“{id}”不是您管理范围内的人员；不在花名册中的教师不填身份证号即可"),
                ));
            }
            found.map(|p| p.id)
        }
    };
    match (org, name, kind, errs.is_empty()) {
        (Some(org), Some(name), Some(kind), true) => {
            Ok(Resolved { org, name, kind, title, unit, phone, topics, person_id })
        }
        _ => Err(StoreError::Invalid(errs)),
    }
}

fn build(m: instructor::Model, org: Option<&organization::Model>) -> Instructor {
    Instructor {
        id: m.id,
        org: org.map(org_ref).unwrap_or(OrgRef { id: m.org_id, code: String::new(), name: String::new() }),
        org_path: m.org_path,
        name: m.name,
        kind: InstructorKind::from_code(&m.kind).unwrap_or(InstructorKind::Expert),
        title: m.title,
        unit: m.unit,
        phone: m.phone,
        person_id: m.person_id,
        topics: m.topics,
        active: m.active,
        created_at: m.created_at,
    }
}

async fn assemble(db: &impl ConnectionTrait, rows: Vec<instructor::Model>) -> Result<Vec<Instructor>> {
    let ids: Vec<i64> = rows.iter().map(|m| m.org_id).collect();
    let orgs: std::collections::HashMap<i64, organization::Model> = if ids.is_empty() {
        Default::default()
    } else {
        organization::Entity::find()
            .filter(organization::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|m| {
            let o = orgs.get(&m.org_id);
            build(m, o)
        })
        .collect())
}

/// An instructor of the scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Instructor> {
    let m = instructor::Entity::find_by_id(id)
        .filter(scope.cond(instructor::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("授课教师"))?;
    assemble(db, vec![m]).await?.pop().ok_or(StoreError::NotFound("授课教师"))
}

pub async fn create(tx: &Tx, input: &InstructorInput) -> Result<Instructor> {
    let r = resolve(tx.conn(), tx.scope(), input).await?;
    let m = instructor::ActiveModel {
        org_id: Set(r.org.id),
        org_path: Set(r.org.path.clone()),
        name: Set(r.name),
        kind: Set(r.kind.code().to_owned()),
        title: Set(r.title),
        unit: Set(r.unit),
        phone: Set(r.phone),
        person_id: Set(r.person_id),
        topics: Set(r.topics),
        active: Set(true),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    let v = get(tx.conn(), tx.scope(), m.id).await?;
    tx.record(Entry {
        action: "instructor.create",
        target_type: "instructor",
        target_id: Some(v.id.to_string()),
        scope_path: v.org_path.clone(),
        summary: format!("新增授课教师“{}”（{}）", v.name, v.org.name),
        before: None,
        after: json(&v),
    });
    Ok(v)
}

pub async fn update(tx: &Tx, id: i64, input: &InstructorInput) -> Result<Instructor> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    let r = resolve(tx.conn(), tx.scope(), input).await?;
    instructor::Entity::update_many()
        .col_expr(instructor::Column::OrgId, Expr::value(r.org.id))
        .col_expr(instructor::Column::OrgPath, Expr::value(r.org.path.clone()))
        .col_expr(instructor::Column::Name, Expr::value(r.name))
        .col_expr(instructor::Column::Kind, Expr::value(r.kind.code()))
        .col_expr(instructor::Column::Title, Expr::value(r.title))
        .col_expr(instructor::Column::Unit, Expr::value(r.unit))
        .col_expr(instructor::Column::Phone, Expr::value(r.phone))
        .col_expr(instructor::Column::PersonId, Expr::value(r.person_id))
        .col_expr(instructor::Column::Topics, Expr::value(r.topics))
        .filter(instructor::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "instructor.update",
        target_type: "instructor",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("修改授课教师“{}”（{}）", after.name, after.org.name),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// Stops (or resumes) offering an instructor for new sessions; sessions that name them keep them.
pub async fn set_active(tx: &Tx, id: i64, active: bool) -> Result<Instructor> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    instructor::Entity::update_many()
        .col_expr(instructor::Column::Active, Expr::value(active))
        .filter(instructor::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: if active { "instructor.activate" } else { "instructor.deactivate" },
        target_type: "instructor",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("{}授课教师“{}”", if active { "启用" } else { "停用" }, after.name),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// A page of the instructors of the scope, by id.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope, at: At<'_>, limit: u64) -> Result<Page<Instructor>> {
    let mut c = Condition::all().add(scope.cond(instructor::Column::OrgPath));
    let (limit, n) = fetch(limit, 500);
    if let Some((cursor, after)) = at.cursor() {
        let key: i64 = cursor.parse().unwrap_or(if after { 0 } else { i64::MAX });
        c = c.add(if after { instructor::Column::Id.gt(key) } else { instructor::Column::Id.lt(key) });
    }
    let mut q = instructor::Entity::find().filter(c).order_by(instructor::Column::Id, at.order()).limit(n);
    if let Some(skip) = at.offset(limit) {
        q = q.offset(skip);
    }
    let rows = q.all(db).await?;
    let kept: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let mut built: std::collections::HashMap<i64, Instructor> =
        assemble(db, rows).await?.into_iter().map(|v| (v.id, v)).collect();
    let p = page_of(kept, limit, at, |id| id.to_string(), |id| built.remove(&id));
    Ok(Page { items: p.items.into_iter().flatten().collect(), next: p.next, prev: p.prev })
}

/// The active instructors a class organised at `organiser_path` may use: its own
/// organisation's pool and its ancestors' (a named crossing: a county class uses the city's).
pub async fn usable_for(db: &impl ConnectionTrait, organiser_path: &str) -> Result<Vec<Instructor>> {
    let rows = instructor::Entity::find()
        .filter(instructor::Column::Active.eq(true))
        .filter(instructor::Column::OrgPath.is_in(self_and_ancestors(organiser_path)))
        .order_by_asc(instructor::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    assemble(db, rows).await
}
