//! The organisations import. Organisation files are small (a province has about 30,000
//! organisations), so rows are held in memory, checked as a whole — references between
//! rows of the file, cycles, codes used elsewhere — and then written parents first.

use std::collections::{HashMap, HashSet};

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};
use xuepei_domain::import::RowError;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::{ORG_IMPORT, OrgDraft, path, ref_text};

use super::{ImportReport, Present};
use crate::audit::{Actor, Tx};
use crate::entity::organization;
use crate::error::Result;
use crate::org::{self, OrgInput, OrgResolver};
use crate::scope::Scope;

/// Where a row's parent (or authority) is: another row of the file, or a stored
/// organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Row(usize),
    Stored(i64),
}

fn label(key: &str) -> Option<String> {
    Some(ORG_IMPORT.label(key).to_owned())
}

/// Imports validated rows (`(row number, draft)`); `invalid` are rows that already failed
/// field validation, reported with the rest.
pub async fn import(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    rows: Vec<(u64, OrgDraft)>,
    invalid: Vec<RowError>,
    present: &Present,
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
    let resolver = OrgResolver::load(txn, scope).await?;

    // Codes: unique in the file, and not taken outside the scope.
    let mut first_row: HashMap<&str, u64> = HashMap::new();
    for (row, d) in &rows {
        if let Some(first) = first_row.insert(&d.code, *row) {
            first_row.insert(&d.code, first);
            report.add_error(RowError {
                row: *row,
                column: label("code"),
                message: format!("与第{first}行的组织代码重复"),
            });
        }
    }
    let unknown: Vec<String> =
        rows.iter().map(|(_, d)| d.code.clone()).filter(|c| resolver.by_code(c).is_none_or(|o| !o.in_scope)).collect();
    let mut taken_elsewhere = HashSet::new();
    for chunk in unknown.chunks(1000) {
        let found: Vec<String> = organization::Entity::find()
            .select_only()
            .column(organization::Column::Code)
            .filter(organization::Column::Code.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(txn)
            .await?;
        taken_elsewhere.extend(found);
    }
    for (row, d) in &rows {
        if taken_elsewhere.contains(&d.code) {
            report.add_error(RowError {
                row: *row,
                column: label("code"),
                message: format!("组织代码“{}”已被您管理范围以外的组织使用，请核对", d.code),
            });
        }
    }

    // References: rows of the file first (by code, then unique name), then stored ones.
    let by_code: HashMap<&str, usize> = rows.iter().enumerate().map(|(i, (_, d))| (d.code.as_str(), i)).collect();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, (_, d)) in rows.iter().enumerate() {
        by_name.entry(d.name.as_str()).or_default().push(i);
        if let Some(s) = &d.short_name {
            by_name.entry(s.as_str()).or_default().push(i);
        }
    }
    let resolve = |text: &str, authority: bool| -> std::result::Result<Target, String> {
        let (name, bracketed) = org::path_ref_parts(text);
        let code = bracketed.unwrap_or_else(|| xuepei_domain::text::compact(name).to_ascii_uppercase());
        if let Some(&i) = by_code.get(code.as_str()) {
            return Ok(Target::Row(i));
        }
        let stored = if authority { resolver.resolve_authority(text) } else { resolver.resolve(text) };
        let in_file = by_name.get(name).map(Vec::as_slice).unwrap_or_default();
        match (in_file, stored) {
            ([i], Err(_)) => Ok(Target::Row(*i)),
            ([i], Ok(o)) if o.code == rows[*i].1.code => Ok(Target::Row(*i)),
            ([], Ok(o)) => match by_code.get(o.code.as_str()) {
                Some(&i) => Ok(Target::Row(i)),
                None => Ok(Target::Stored(o.id)),
            },
            ([], Err(e)) => Err(e),
            _ => Err(format!("“{name}”对应多个组织（本表或已有数据中），请改填组织代码")),
        }
    };

    let parent_named = |t: Target, text: &str| match t {
        Target::Row(j) => {
            let d = &rows[j].1;
            xuepei_domain::org::name_agrees(text, &d.code, &d.name, d.short_name.as_deref())
        }
        Target::Stored(id) => resolver.get(id).is_some_and(|o| resolver.names(o, text)),
    };
    let root_id = scope.root_org_id();
    let mut parents: Vec<Option<Target>> = Vec::with_capacity(rows.len());
    let mut authorities: Vec<Option<Target>> = Vec::with_capacity(rows.len());
    for (row, d) in &rows {
        let existing = resolver.by_code(&d.code).filter(|o| o.in_scope);
        let is_root = existing.is_some_and(|o| Some(o.id) == root_id);
        let parent = match (&d.parent_ref, is_root) {
            // The scope's own root cannot be moved by this caller; its parent cell is
            // ignored so that an export of the scope imports back unchanged.
            (_, true) => existing.and_then(|o| o.parent_id).map(Target::Stored),
            (Some(p), false) => match resolve(p, false) {
                Ok(t) => match d.parent_name_check.as_deref() {
                    Some(n) if !parent_named(t, n) => {
                        let (code, name) = match t {
                            Target::Row(j) => (rows[j].1.code.clone(), rows[j].1.name.clone()),
                            Target::Stored(id) => {
                                resolver.get(id).map(|o| (o.code.clone(), o.name.clone())).unwrap_or_default()
                            }
                        };
                        report.add_error(RowError {
                            row: *row,
                            column: label("parent"),
                            message: format!("上级组织代码“{code}”对应的是“{name}”，与上级组织“{n}”不一致，请核对"),
                        });
                        None
                    }
                    _ => Some(t),
                },
                Err(e) => {
                    report.add_error(RowError { row: *row, column: label("parent"), message: e });
                    None
                }
            },
            (None, false) if scope.is_system() => None,
            (None, false) => {
                report.add_error(RowError {
                    row: *row,
                    column: label("parent"),
                    message: "请填写上级组织（只能在您管理的组织之下新增）".into(),
                });
                None
            }
        };
        parents.push(parent);
        let authority = match &d.authority_ref {
            Some(a) => match resolve(a, true) {
                Ok(t) => Some(t),
                Err(e) => {
                    report.add_error(RowError { row: *row, column: label("authority"), message: e });
                    None
                }
            },
            None => None,
        };
        authorities.push(authority);
    }

    // Cycles: walk up from each row through the file's new parents and stored parents.
    let stored_parent = |id: i64| resolver_parent(&resolver, id);
    let code_to_row: &HashMap<&str, usize> = &by_code;
    for (i, (row, d)) in rows.iter().enumerate() {
        let mut seen = HashSet::new();
        let mut node = parents[i];
        let mut chain = vec![d.code.clone()];
        while let Some(t) = node {
            let (key, next) = match t {
                Target::Row(j) => (rows[j].1.code.clone(), parents[j]),
                Target::Stored(id) => match resolver_code(&resolver, id) {
                    Some(code) => match code_to_row.get(code.as_str()) {
                        Some(&j) => (rows[j].1.code.clone(), parents[j]),
                        None => (code, stored_parent(id).map(Target::Stored)),
                    },
                    None => break,
                },
            };
            chain.push(key.clone());
            if key == d.code {
                report.add_error(RowError {
                    row: *row,
                    column: label("parent"),
                    message: format!("上级组织关系形成循环：{}", chain.join(" → ")),
                });
                break;
            }
            if !seen.insert(key) || chain.len() > 64 {
                break;
            }
            node = next;
        }
    }

    if report.error_count > 0 {
        tx.rollback().await?;
        report.sort();
        return Ok(report);
    }

    // How the preview names a parent or authority: a row of the file or a stored one.
    let target_label = |t: Option<Target>| match t {
        Some(Target::Row(j)) => ref_text(&rows[j].1.name, &rows[j].1.code),
        Some(Target::Stored(id)) => super::org_label(&resolver, id),
        None => String::new(),
    };

    // Write parents before children.
    let order = topological(&parents);
    let mut ids: Vec<Option<i64>> = vec![None; rows.len()];
    // Organisations added under each existing or new ancestor, applied once at the end.
    let mut added: HashMap<i64, i64> = HashMap::new();
    for &i in &order {
        if let Some(o) = resolver.by_code(&rows[i].1.code).filter(|o| o.in_scope) {
            ids[i] = Some(o.id);
        }
    }
    for &i in &order {
        let (row, d) = &rows[i];
        let parent_id = match parents[i] {
            Some(Target::Row(j)) => ids[j],
            Some(Target::Stored(id)) => Some(id),
            None => None,
        };
        let authority_org_id = match authorities[i] {
            Some(Target::Row(j)) => ids[j],
            Some(Target::Stored(id)) => Some(id),
            None => None,
        };
        match ids[i] {
            Some(id) => {
                let current = org::get(txn, scope, id).await?;
                let input = OrgInput {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    short_name: if present.has("short_name") {
                        d.short_name.clone()
                    } else {
                        current.short_name.clone()
                    },
                    kind: d.kind,
                    sector: d.sector,
                    parent_id: if present.has("parent") { parent_id } else { current.parent_id },
                    authority_org_id: if present.has("authority") {
                        authority_org_id
                    } else {
                        current.authority_org_id
                    },
                };
                let same = input.code == current.code
                    && input.name == current.name
                    && input.short_name == current.short_name
                    && input.kind == current.kind
                    && input.sector == current.sector
                    && input.parent_id == current.parent_id
                    && input.authority_org_id == current.authority_org_id;
                if same {
                    report.unchanged += 1;
                } else {
                    report.updated += 1;
                    report.sample_changed(
                        *row,
                        || ref_text(&d.name, &d.code),
                        || {
                            let stored =
                                |id: Option<i64>| id.map(|id| super::org_label(&resolver, id)).unwrap_or_default();
                            let parent_after = if present.has("parent") {
                                target_label(parents[i])
                            } else {
                                stored(current.parent_id)
                            };
                            let authority_after = if present.has("authority") {
                                target_label(authorities[i])
                            } else {
                                stored(current.authority_org_id)
                            };
                            super::field_changes([
                                (ORG_IMPORT.label("name"), current.name.clone(), input.name.clone()),
                                (
                                    ORG_IMPORT.label("short_name"),
                                    current.short_name.clone().unwrap_or_default(),
                                    input.short_name.clone().unwrap_or_default(),
                                ),
                                (
                                    ORG_IMPORT.label("kind"),
                                    current.kind.label().to_owned(),
                                    input.kind.label().to_owned(),
                                ),
                                (
                                    ORG_IMPORT.label("sector"),
                                    current.sector.label().to_owned(),
                                    input.sector.label().to_owned(),
                                ),
                                (ORG_IMPORT.label("parent"), stored(current.parent_id), parent_after),
                                (ORG_IMPORT.label("authority"), stored(current.authority_org_id), authority_after),
                            ])
                        },
                    );
                    if !dry_run {
                        if input.parent_id != current.parent_id && !added.is_empty() {
                            // A move carries the subtree's counters; they must hold this
                            // file's new organisations first.
                            org::add_orgs(tx.conn(), &added).await?;
                            added.clear();
                        }
                        org::update(&tx, id, &input).await.map_err(|e| with_row(e, *row))?;
                    }
                }
            }
            None => {
                report.inserted += 1;
                report.sample_added(*row, || ref_text(&d.name, &d.code));
                let input = OrgInput {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    short_name: d.short_name.clone(),
                    kind: d.kind,
                    sector: d.sector,
                    parent_id,
                    authority_org_id,
                };
                if dry_run {
                    // A placeholder id lets children of new rows be counted too.
                    ids[i] = Some(-1 - i as i64);
                    continue;
                }
                let parent_path = match parent_id {
                    Some(pid) => {
                        let p = org::get(txn, scope, pid).await.map_err(|e| with_row(e, *row))?;
                        if !p.active {
                            report.add_error(RowError {
                                row: *row,
                                column: label("parent"),
                                message: format!("上级组织“{}”已撤销，不能在其下新增组织", p.display_name()),
                            });
                            continue;
                        }
                        Some(p.path)
                    }
                    None => None,
                };
                let created = org::insert_org_row(&tx, &input, parent_path.as_deref()).await?;
                for a in parent_path.as_deref().map(path::ids).unwrap_or_default() {
                    *added.entry(a).or_default() += 1;
                }
                ids[i] = Some(created.id);
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
    org::add_orgs(tx.conn(), &added).await?;
    tx.note(
        "org.import",
        scope.root_path().unwrap_or("/"),
        format!("导入组织：新增{}个，更新{}个，未变化{}个", report.inserted, report.updated, report.unchanged),
        None,
    );
    tx.commit().await?;
    report.committed = true;
    if report.inserted + report.updated >= crate::db::STATISTICS_AFTER_ROWS {
        // The rows are committed; stale statistics only slow later queries down.
        if let Err(e) = crate::db::refresh_statistics(db, &["organizations"]).await {
            tracing::warn!(error = %e, "refreshing planner statistics failed");
        }
    }
    Ok(report)
}

fn with_row(e: crate::StoreError, row: u64) -> crate::StoreError {
    match e {
        crate::StoreError::Invalid(fe) => crate::StoreError::Conflict(
            fe.iter()
                .map(|f| format!("第{row}行 {}: {}", ORG_IMPORT.label(f.field), f.message))
                .collect::<Vec<_>>()
                .join("；"),
        ),
        other => other,
    }
}

fn resolver_parent(r: &OrgResolver, id: i64) -> Option<i64> {
    r.get(id).and_then(|o| o.parent_id)
}

fn resolver_code(r: &OrgResolver, id: i64) -> Option<String> {
    r.get(id).map(|o| o.code.clone())
}

/// Row indices ordered so that a row comes after the file row that is its parent.
fn topological(parents: &[Option<Target>]) -> Vec<usize> {
    let mut order = Vec::with_capacity(parents.len());
    let mut state = vec![0u8; parents.len()]; // 0 new, 1 visiting, 2 done
    for start in 0..parents.len() {
        let mut stack = vec![start];
        while let Some(&i) = stack.last() {
            match state[i] {
                2 => {
                    stack.pop();
                }
                1 => {
                    state[i] = 2;
                    order.push(i);
                    stack.pop();
                }
                _ => {
                    state[i] = 1;
                    if let Some(Target::Row(p)) = parents[i]
                        && state[p] == 0
                    {
                        stack.push(p);
                    }
                }
            }
        }
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parents_come_first() {
        let parents = vec![Some(Target::Row(2)), None, Some(Target::Row(1)), Some(Target::Stored(9))];
        let order = topological(&parents);
        let pos = |i| order.iter().position(|&x| x == i).expect("present");
        assert!(pos(1) < pos(2) && pos(2) < pos(0));
        assert_eq!(order.len(), 4);
    }
}
