//! The venue list (教学场地) each organisation keeps: classrooms, on-site teaching points,
//! practice bases. Kept by the owning organisation's scope; a class's organiser may use the
//! venues of its own organisation and its ancestors.

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
use crate::entity::{organization, venue};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::page::{At, Page, fetch, page_of};
use crate::scope::Scope;

labeled_enum! {
    /// The kind of a venue.
    pub enum VenueKind {
        Classroom => ("classroom", "教室", ["课堂", "报告厅", "会议室"]),
        Site => ("site", "现场教学点", ["现场教学", "教学点"]),
        Base => ("base", "实践基地", ["示范培训实践基地", "培训基地"]),
        Other => ("other", "其他", ["其它"]),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VenueInput {
    /// Code of the owning organisation, inside the writer's scope.
    pub org: String,
    pub name: String,
    pub kind: String,
    pub address: String,
    pub capacity: Option<i64>,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Venue {
    pub id: i64,
    pub org: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub name: String,
    pub kind: VenueKind,
    pub address: Option<String>,
    pub capacity: Option<i64>,
    pub note: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

struct Resolved {
    org: organization::Model,
    name: String,
    kind: VenueKind,
    address: Option<String>,
    capacity: Option<i32>,
    note: Option<String>,
}

async fn resolve(db: &impl ConnectionTrait, scope: &Scope, input: &VenueInput) -> Result<Resolved> {
    use xuepei_domain::org::check_text;
    let mut errs = Vec::new();
    let name = check_text(&input.name, 100, true).unwrap_or_else(|m| {
        errs.push(err("name", format!("场地名称{m}")));
        None
    });
    let address = check_text(&input.address, 200, false).unwrap_or_else(|m| {
        errs.push(err("address", format!("地址{m}")));
        None
    });
    let note = check_text(&input.note, 1000, false).unwrap_or_else(|m| {
        errs.push(err("note", format!("备注{m}")));
        None
    });
    let kind = VenueKind::parse_label(&input.kind);
    if kind.is_none() {
        errs.push(err("kind", format!("请选择场地类别：{}", VenueKind::allowed_labels())));
    }
    let capacity = match input.capacity {
        None => None,
        Some(c) if (1..=100_000).contains(&c) => Some(c as i32),
        Some(c) => {
            errs.push(err("capacity", format!("容纳人数应为1至100000，现为{c}，请改正或不填")));
            None
        }
    };
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
    match (org, name, kind, errs.is_empty()) {
        (Some(org), Some(name), Some(kind), true) => Ok(Resolved { org, name, kind, address, capacity, note }),
        _ => Err(StoreError::Invalid(errs)),
    }
}

/// Validates an input without writing (a form whose other fields were already refused).
pub async fn check(db: &impl ConnectionTrait, scope: &Scope, input: &VenueInput) -> Result<()> {
    resolve(db, scope, input).await.map(|_| ())
}

fn build(m: venue::Model, org: Option<&organization::Model>) -> Venue {
    Venue {
        id: m.id,
        org: org.map(org_ref).unwrap_or(OrgRef { id: m.org_id, code: String::new(), name: String::new() }),
        org_path: m.org_path,
        name: m.name,
        kind: VenueKind::from_code(&m.kind).unwrap_or(VenueKind::Other),
        address: m.address,
        capacity: m.capacity.map(i64::from),
        note: m.note,
        active: m.active,
        created_at: m.created_at,
    }
}

async fn assemble(db: &impl ConnectionTrait, rows: Vec<venue::Model>) -> Result<Vec<Venue>> {
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

/// A venue of the scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Venue> {
    let m = venue::Entity::find_by_id(id)
        .filter(scope.cond(venue::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("教学场地"))?;
    assemble(db, vec![m]).await?.pop().ok_or(StoreError::NotFound("教学场地"))
}

pub async fn create(tx: &Tx, input: &VenueInput) -> Result<Venue> {
    let r = resolve(tx.conn(), tx.scope(), input).await?;
    let m = venue::ActiveModel {
        org_id: Set(r.org.id),
        org_path: Set(r.org.path.clone()),
        name: Set(r.name),
        kind: Set(r.kind.code().to_owned()),
        address: Set(r.address),
        capacity: Set(r.capacity),
        note: Set(r.note),
        active: Set(true),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    let v = get(tx.conn(), tx.scope(), m.id).await?;
    tx.record(Entry {
        action: "venue.create",
        target_type: "venue",
        target_id: Some(v.id.to_string()),
        scope_path: v.org_path.clone(),
        summary: format!("新增教学场地“{}”（{}）", v.name, v.org.name),
        before: None,
        after: json(&v),
    });
    Ok(v)
}

pub async fn update(tx: &Tx, id: i64, input: &VenueInput) -> Result<Venue> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    let r = resolve(tx.conn(), tx.scope(), input).await?;
    venue::Entity::update_many()
        .col_expr(venue::Column::OrgId, Expr::value(r.org.id))
        .col_expr(venue::Column::OrgPath, Expr::value(r.org.path.clone()))
        .col_expr(venue::Column::Name, Expr::value(r.name))
        .col_expr(venue::Column::Kind, Expr::value(r.kind.code()))
        .col_expr(venue::Column::Address, Expr::value(r.address))
        .col_expr(venue::Column::Capacity, Expr::value(r.capacity))
        .col_expr(venue::Column::Note, Expr::value(r.note))
        .filter(venue::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "venue.update",
        target_type: "venue",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("修改教学场地“{}”（{}）", after.name, after.org.name),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// Stops (or resumes) offering a venue for new sessions; sessions that name it keep it.
pub async fn set_active(tx: &Tx, id: i64, active: bool) -> Result<Venue> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    venue::Entity::update_many()
        .col_expr(venue::Column::Active, Expr::value(active))
        .filter(venue::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: if active { "venue.activate" } else { "venue.deactivate" },
        target_type: "venue",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("{}教学场地“{}”", if active { "启用" } else { "停用" }, after.name),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// A page of the venues of the scope, by id.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope, at: At<'_>, limit: u64) -> Result<Page<Venue>> {
    let mut c = Condition::all().add(scope.cond(venue::Column::OrgPath));
    let (limit, n) = fetch(limit, 500);
    if let Some((cursor, after)) = at.cursor() {
        let key: i64 = cursor.parse().unwrap_or(if after { 0 } else { i64::MAX });
        c = c.add(if after { venue::Column::Id.gt(key) } else { venue::Column::Id.lt(key) });
    }
    let mut q = venue::Entity::find().filter(c).order_by(venue::Column::Id, at.order()).limit(n);
    if let Some(skip) = at.offset(limit) {
        q = q.offset(skip);
    }
    let rows = q.all(db).await?;
    let kept: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let mut built: std::collections::HashMap<i64, Venue> =
        assemble(db, rows).await?.into_iter().map(|v| (v.id, v)).collect();
    let p = page_of(kept, limit, at, |id| id.to_string(), |id| built.remove(&id));
    Ok(Page { items: p.items.into_iter().flatten().collect(), next: p.next, prev: p.prev })
}

/// The active venues a class organised at `organiser_path` may use: its own organisation's
/// and its ancestors' (a named crossing: a county class uses the city's venues).
pub async fn usable_for(db: &impl ConnectionTrait, organiser_path: &str) -> Result<Vec<Venue>> {
    let rows = venue::Entity::find()
        .filter(venue::Column::Active.eq(true))
        .filter(venue::Column::OrgPath.is_in(self_and_ancestors(organiser_path)))
        .order_by_asc(venue::Column::Id)
        .limit(1000)
        .all(db)
        .await?;
    assemble(db, rows).await
}
