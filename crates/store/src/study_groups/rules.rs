//! How often study groups study and the least attendance (`study_group_rules`): a seeded
//! default at path "/" and an issuing body's own rules for its subtree; a group follows the
//! rules of the nearest body above it (itself included).

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::Serialize;
use xuepei_domain::study::groups::GroupRules;

use crate::audit::{Entry, Tx, json};
use crate::classes::OrgRef;
use crate::entity::study_group_rule;
use crate::meetings::{err, org_refs};
use crate::org::now;
use crate::scope::Scope;
use crate::{Result, StoreError};

/// A rule row as its page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct RuleRow {
    pub id: i64,
    /// The issuing body; `None` for the default.
    pub org: Option<OrgRef>,
    #[serde(skip)]
    pub org_path: String,
    pub sessions_per_year: u32,
    pub thematic_per_year: u32,
    pub attendance_min: u32,
    pub updated_at: DateTime<Utc>,
}

impl RuleRow {
    pub fn rules(&self) -> GroupRules {
        GroupRules {
            sessions_per_year: self.sessions_per_year,
            thematic_per_year: self.thematic_per_year,
            attendance_min: self.attendance_min,
        }
    }
}

fn of(m: &study_group_rule::Model) -> GroupRules {
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    GroupRules {
        sessions_per_year: n(m.sessions_per_year),
        thematic_per_year: n(m.thematic_per_year),
        attendance_min: n(m.attendance_min),
    }
}

/// "/1/13/208/" → ["/", "/1/", "/1/13/", "/1/13/208/"].
fn ancestors(path: &str) -> Vec<String> {
    let mut out = vec!["/".to_owned()];
    let mut acc = String::from("/");
    for part in path.split('/').filter(|s| !s.is_empty()) {
        acc.push_str(part);
        acc.push('/');
        out.push(acc.clone());
    }
    out
}

/// The rules in force at each of the given organisation paths (one read).
pub async fn for_paths<'a>(
    db: &impl ConnectionTrait,
    paths: impl IntoIterator<Item = &'a str>,
) -> Result<HashMap<String, GroupRules>> {
    let paths: BTreeSet<&str> = paths.into_iter().collect();
    let wanted: BTreeSet<String> = paths.iter().flat_map(|p| ancestors(p)).collect();
    let rows: HashMap<String, GroupRules> = study_group_rule::Entity::find()
        .filter(study_group_rule::Column::OrgPath.is_in(wanted))
        .all(db)
        .await?
        .iter()
        .map(|m| (m.org_path.clone(), of(m)))
        .collect();
    Ok(paths
        .into_iter()
        .map(|p| {
            let r = ancestors(p).iter().rev().find_map(|a| rows.get(a).copied()).unwrap_or_default();
            (p.to_owned(), r)
        })
        .collect())
}

/// The rules in force at one organisation path.
pub async fn for_path(db: &impl ConnectionTrait, path: &str) -> Result<GroupRules> {
    Ok(for_paths(db, [path]).await?.remove(path).unwrap_or_default())
}

/// The rules in force above an organisation: those of the nearest body above it (the
/// default at the top), its own left out.
pub async fn in_force_above(db: &impl ConnectionTrait, path: &str) -> Result<GroupRules> {
    let mut above = ancestors(path);
    above.retain(|a| a != path);
    let rows: HashMap<String, GroupRules> = study_group_rule::Entity::find()
        .filter(study_group_rule::Column::OrgPath.is_in(above.clone()))
        .all(db)
        .await?
        .iter()
        .map(|m| (m.org_path.clone(), of(m)))
        .collect();
    Ok(above.iter().rev().find_map(|a| rows.get(a).copied()).unwrap_or_default())
}

/// The rule rows a scope sees: the default, those of the bodies above its root, and its own.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<RuleRow>> {
    let above: Vec<String> = scope.root_path().map(ancestors).unwrap_or_default();
    let rows = study_group_rule::Entity::find()
        .filter(
            sea_orm::Condition::any()
                .add(scope.cond(study_group_rule::Column::OrgPath))
                .add(study_group_rule::Column::OrgPath.is_in(above))
                .add(study_group_rule::Column::OrgId.is_null()),
        )
        .order_by_asc(study_group_rule::Column::OrgPath)
        .all(db)
        .await?;
    let orgs = org_refs(db, rows.iter().filter_map(|r| r.org_id)).await?;
    Ok(rows
        .iter()
        .map(|m| {
            let r = of(m);
            RuleRow {
                id: m.id,
                org: m.org_id.and_then(|id| orgs.get(&id).cloned()),
                org_path: m.org_path.clone(),
                sessions_per_year: r.sessions_per_year,
                thematic_per_year: r.thematic_per_year,
                attendance_min: r.attendance_min,
                updated_at: m.updated_at,
            }
        })
        .collect())
}

/// Sets the rules of an issuing body in the writer's scope (its root, or below it), for
/// its subtree; a body's second setting replaces its first.
pub async fn set(tx: &Tx, org_code: &str, rules: GroupRules) -> Result<RuleRow> {
    let problems = rules.check();
    if !problems.is_empty() {
        return Err(StoreError::Invalid(problems.into_iter().map(|(f, m)| err(f, m)).collect()));
    }
    let org = crate::meetings::org_in_scope(tx.conn(), tx.scope(), org_code.trim())
        .await?
        .ok_or_else(|| StoreError::invalid("org", "发布单位不在您的管理范围内，请选择本单位或下级单位"))?;
    // A body raises what the rules in force above it require, never lowers them (the
    // system administrator, who keeps the defaults, is not bound by them).
    if tx.scope().root_org_id().is_some() {
        let upper = in_force_above(tx.conn(), &org.path).await?;
        let mut errs = Vec::new();
        if rules.sessions_per_year < upper.sessions_per_year {
            errs.push(err(
                "sessions_per_year",
                format!(
                    "上级规定中心组每年集中学习不少于{}次，本级只能提高要求，不能降低（请填写不少于{}的次数）",
                    upper.sessions_per_year, upper.sessions_per_year
                ),
            ));
        }
        if rules.thematic_per_year < upper.thematic_per_year {
            errs.push(err(
                "thematic_per_year",
                format!(
                    "上级规定每年专题研讨不少于{}次，本级只能提高要求，不能降低（请填写不少于{}的次数）",
                    upper.thematic_per_year, upper.thematic_per_year
                ),
            ));
        }
        if rules.attendance_min < upper.attendance_min {
            errs.push(err(
                "attendance_min",
                format!(
                    "上级规定出勤率不低于{}%，本级只能提高要求，不能降低（请填写不低于{}的百分数）",
                    upper.attendance_min, upper.attendance_min
                ),
            ));
        }
        if !errs.is_empty() {
            return Err(StoreError::Invalid(errs));
        }
    }
    let existing = study_group_rule::Entity::find()
        .filter(study_group_rule::Column::OrgPath.eq(org.path.clone()))
        .one(tx.conn())
        .await?;
    let as_i32 = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    let before = existing.as_ref().map(of);
    match existing {
        Some(e) => {
            study_group_rule::Entity::update_many()
                .col_expr(study_group_rule::Column::SessionsPerYear, Expr::value(as_i32(rules.sessions_per_year)))
                .col_expr(study_group_rule::Column::ThematicPerYear, Expr::value(as_i32(rules.thematic_per_year)))
                .col_expr(study_group_rule::Column::AttendanceMin, Expr::value(as_i32(rules.attendance_min)))
                .col_expr(study_group_rule::Column::UpdatedAt, Expr::value(now()))
                .filter(study_group_rule::Column::Id.eq(e.id))
                .exec(tx.conn())
                .await?;
        }
        None => {
            study_group_rule::ActiveModel {
                org_id: Set(Some(org.id)),
                org_path: Set(org.path.clone()),
                sessions_per_year: Set(as_i32(rules.sessions_per_year)),
                thematic_per_year: Set(as_i32(rules.thematic_per_year)),
                attendance_min: Set(as_i32(rules.attendance_min)),
                updated_at: Set(now()),
                ..Default::default()
            }
            .insert(tx.conn())
            .await?;
        }
    }
    let row = list(tx.conn(), tx.scope())
        .await?
        .into_iter()
        .find(|r| r.org_path == org.path)
        .ok_or(StoreError::NotFound("学习规则"))?;
    tx.record(Entry {
        action: "study_group.rules",
        target_type: "study_group_rule",
        target_id: Some(row.id.to_string()),
        scope_path: org.path.clone(),
        summary: format!(
            "设置{}及下级中心组学习规则：每年集中学习不少于{}次，其中专题研讨不少于{}次，出勤率不低于{}%",
            org.name, rules.sessions_per_year, rules.thematic_per_year, rules.attendance_min
        ),
        before: before.map(|b| serde_json::json!({"sessions_per_year": b.sessions_per_year, "thematic_per_year": b.thematic_per_year, "attendance_min": b.attendance_min})),
        after: json(&row),
    });
    Ok(row)
}

/// Removes an issuing body's rules (its subtree then follows the body above); the default
/// stays.
pub async fn remove(tx: &Tx, id: i64) -> Result<()> {
    let row = study_group_rule::Entity::find_by_id(id)
        .filter(tx.scope().cond(study_group_rule::Column::OrgPath))
        .filter(study_group_rule::Column::OrgId.is_not_null())
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound("学习规则"))?;
    study_group_rule::Entity::delete_by_id(id).exec(tx.conn()).await?;
    tx.record(Entry {
        action: "study_group.rules_remove",
        target_type: "study_group_rule",
        target_id: Some(id.to_string()),
        scope_path: row.org_path.clone(),
        summary: "删除本单位中心组学习规则，改用上级规则".to_owned(),
        before: Some(serde_json::json!({"sessions_per_year": row.sessions_per_year, "thematic_per_year": row.thematic_per_year, "attendance_min": row.attendance_min})),
        after: None,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ancestors_run_from_the_top() {
        assert_eq!(ancestors("/1/13/"), vec!["/", "/1/", "/1/13/"]);
        assert_eq!(ancestors("/"), vec!["/"]);
    }
}
