//! Fee caps an organisation sets for its classes and the classes of the organisations below
//! it (issue 14 item 4: configurable caps, defaults in domain.md §3). A class is judged by
//! the caps in force at its organiser: each cap the strictest of the national default and
//! every organisation on the organiser's path that set one. A level sets caps no looser than
//! those in force above it ([`FeeCaps::parse`]); it sets them only for its own scope's root.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use xuepei_domain::org::path;
use xuepei_domain::training::funding::{CapFields, FeeCaps};

use crate::audit::{Entry, Tx};
use crate::classes::OrgRef;
use crate::entity::{fee_cap, organization};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::scope::Scope;

/// The caps in force at an organisation, and who set the strictest of them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InForce {
    pub caps: FeeCaps,
    /// The organisations on the path that set caps, nearest last (empty: the defaults).
    pub set_by: Vec<OrgRef>,
    /// When the nearest of them set its caps.
    pub updated_at: Option<DateTime<Utc>>,
}

/// The caps set on these organisations' rows, in the order of `ids` (a path, root first).
async fn rows_on(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<fee_cap::Model>> {
    let mut rows = fee_cap::Entity::find().filter(fee_cap::Column::OrgId.is_in(ids.to_vec())).all(db).await?;
    rows.sort_by_key(|r| ids.iter().position(|id| *id == r.org_id));
    Ok(rows)
}

/// The caps in force given the rows on a path, root first: each the strictest of the
/// national default and every row. A row that does not parse is ignored rather than
/// loosen anything.
fn fold<'a>(rows: impl Iterator<Item = &'a fee_cap::Model>, names: &HashMap<i64, OrgRef>) -> InForce {
    let mut f = InForce { caps: FeeCaps::default(), set_by: Vec::new(), updated_at: None };
    for r in rows {
        if let Ok(c) = serde_json::from_str::<FeeCaps>(&r.caps) {
            f.caps = f.caps.tighter(c);
        }
        f.set_by.extend(names.get(&r.org_id).cloned());
        f.updated_at = Some(r.updated_at);
    }
    f
}

/// The caps in force at the organisation of `org_path` (its own included).
pub async fn in_force(db: &impl ConnectionTrait, org_path: &str) -> Result<InForce> {
    let rows = rows_on(db, &path::ids(org_path)).await?;
    let names = crate::meetings::org_refs(db, rows.iter().map(|r| r.org_id)).await?;
    Ok(fold(rows.iter(), &names))
}

/// The scope root's caps: those in force there, those in force above it (the ceiling of
/// what it may set) and those it set itself, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OfScope {
    pub org: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub here: InForce,
    pub above: InForce,
    pub own: Option<FeeCaps>,
}

/// The scope root's caps, read in one pass over its path.
pub async fn of_scope(db: &impl ConnectionTrait, scope: &Scope) -> Result<OfScope> {
    let Some(id) = scope.root_org_id() else {
        return Err(StoreError::Forbidden("培训费开支标准由各级组织部门为本级设定，请先切换到具体单位".into()));
    };
    let o = organization::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("组织"))?;
    let org = OrgRef { id: o.id, code: o.code.clone(), name: o.short_name.clone().unwrap_or_else(|| o.name.clone()) };
    let rows = rows_on(db, &path::ids(&o.path)).await?;
    let names = crate::meetings::org_refs(db, rows.iter().map(|r| r.org_id)).await?;
    let own = rows.iter().find(|r| r.org_id == o.id).and_then(|r| serde_json::from_str::<FeeCaps>(&r.caps).ok());
    Ok(OfScope {
        here: fold(rows.iter(), &names),
        above: fold(rows.iter().filter(|r| r.org_id != o.id), &names),
        own,
        org,
        org_path: o.path,
    })
}

/// Sets the scope root's caps from the form, no looser than those above it.
pub async fn set(tx: &Tx, fields: &CapFields) -> Result<FeeCaps> {
    let before = of_scope(tx.conn(), tx.scope()).await?;
    let caps = FeeCaps::parse(fields, &before.above.caps).map_err(StoreError::Invalid)?;
    let existing = fee_cap::Entity::find().filter(fee_cap::Column::OrgId.eq(before.org.id)).one(tx.conn()).await?;
    let mut m = match existing {
        Some(e) => fee_cap::ActiveModel { id: Set(e.id), ..Default::default() },
        None => fee_cap::ActiveModel {
            org_id: Set(before.org.id),
            org_path: Set(before.org_path.clone()),
            ..Default::default()
        },
    };
    m.caps = Set(serde_json::to_string(&caps).unwrap_or_default());
    m.updated_at = Set(now());
    m.save(tx.conn()).await?;
    tx.record(Entry {
        action: "funds.caps",
        target_type: "fee_caps",
        target_id: Some(before.org.id.to_string()),
        scope_path: before.org_path.clone(),
        summary: format!(
            "设定{}培训费开支标准：综合定额{}/{}/{}元/人·天",
            before.org.name, caps.per_day[0], caps.per_day[1], caps.per_day[2]
        ),
        before: crate::audit::json(&before.here.caps),
        after: crate::audit::json(&caps),
    });
    Ok(caps)
}

/// Drops the scope root's own caps: those above it apply again.
pub async fn clear(tx: &Tx) -> Result<()> {
    let before = of_scope(tx.conn(), tx.scope()).await?;
    if before.own.is_none() {
        return Err(StoreError::Conflict(format!("{}未设定本级标准，执行的是上级标准", before.org.name)));
    }
    fee_cap::Entity::delete_many().filter(fee_cap::Column::OrgId.eq(before.org.id)).exec(tx.conn()).await?;
    tx.record(Entry {
        action: "funds.caps_reset",
        target_type: "fee_caps",
        target_id: Some(before.org.id.to_string()),
        scope_path: before.org_path.clone(),
        summary: format!("{}恢复执行上级培训费开支标准", before.org.name),
        before: crate::audit::json(&before.here.caps),
        after: crate::audit::json(&before.above.caps),
    });
    Ok(())
}
