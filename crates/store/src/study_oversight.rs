//! Theory-study oversight (督查统计, issue 13 item 6): for the propaganda department, by
//! organisation and period, first-item compliance of committee meetings, study-group
//! sessions held against plan with their attendance, and leaders' quota completion.
//!
//! [`overview`] answers for one organisation of the scope: a row of its own records (本级),
//! a row per direct child with the child's whole subtree added up, and the total. Every
//! figure comes from a grouped read over the asked subtree's index range — meetings and
//! sessions from the figures kept per organisation and month (`study_figures`, one row per
//! organisation whatever the number of records), groups by path range, quota completion
//! from the figures kept per organisation and year (`quota_figures`) — and records are put
//! in their row in
//! memory by their path ([`row_of`]); nothing is read per row. Drill-down is the same
//! view for a child.
//!
//! **Planned sessions**: each group's rules (`study_group_rules`, the deepest issuing body
//! above the group wins) give its sessions and thematic sessions a year; a month's plan is
//! that month's even share (`domain::study::oversight::planned`), so the twelve months add
//! up to the year. **Quotas**: as `study_logs::quota_progress` — a yearly quota is one
//! line over the year; a monthly quota is one line for the asked month or, for a year,
//! one per month up to the current one. A leader is behind when any line is not met.

use std::collections::{BTreeMap, HashMap};

use chrono::Datelike;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use xuepei_domain::study::groups::GroupRules;
use xuepei_domain::study::meetings::Period;
pub use xuepei_domain::study::oversight::{Figures, planned, row_of};

use crate::classes::OrgRef;
use crate::entity::{organization, study_group, study_group_rule, study_session};
use crate::error::{Result, StoreError};
use crate::meetings::org_in_scope;
use crate::scope::{Scope, subtree_cond};
use crate::sql::sum_i64;

/// Which records a row adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// The asked organisation's own records (本级).
    Own,
    /// A direct child with its whole subtree.
    Child,
    /// Everything under the asked organisation.
    Total,
}

/// One row of the view.
#[derive(Debug, Clone, Serialize)]
pub struct OverviewRow {
    pub org: OrgRef,
    pub kind: RowKind,
    /// The child has organisations below it (a drill-down shows more than one row).
    pub has_children: bool,
    pub figures: Figures,
    /// The least attendance rate in force at the row's organisation, in percent.
    pub attendance_min: u32,
}

impl OverviewRow {
    pub fn attendance_below(&self) -> bool {
        self.figures.attendance_below(self.attendance_min)
    }
}

/// The oversight view of an organisation and period.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub org: OrgRef,
    /// The organisation above, when the scope holds it (the way back up).
    pub parent: Option<OrgRef>,
    pub year: i32,
    pub month: Option<u32>,
    /// The own row first, then the children by code.
    pub rows: Vec<OverviewRow>,
    pub total: OverviewRow,
}

impl Overview {
    /// "2026年" or "2026年3月".
    pub fn period_label(&self) -> String {
        Period { year: self.year, month: self.month }.label()
    }
}

fn org_ref(o: &organization::Model) -> OrgRef {
    OrgRef { id: o.id, code: o.code.clone(), name: o.short_name.clone().unwrap_or_else(|| o.name.clone()) }
}

fn n32(v: i64) -> u32 {
    u32::try_from(std::cmp::max(v, 0)).unwrap_or(u32::MAX)
}

/// "/1/13/208/" → ["/", "/1/", "/1/13/", "/1/13/208/"].
fn chain(path: &str) -> Vec<String> {
    let mut out = vec!["/".to_owned()];
    let mut acc = String::from("/");
    for part in path.split('/').filter(|s| !s.is_empty()) {
        acc.push_str(part);
        acc.push('/');
        out.push(acc.clone());
    }
    out
}

/// The study-group rules bearing on a subtree: the default, those issued above its root
/// and those issued inside it (a handful of rows), by issuing path.
async fn group_rules(db: &impl ConnectionTrait, root_path: &str) -> Result<BTreeMap<String, GroupRules>> {
    let rows = study_group_rule::Entity::find()
        .filter(
            Condition::any()
                .add(study_group_rule::Column::OrgPath.is_in(chain(root_path)))
                .add(subtree_cond(study_group_rule::Column::OrgPath, root_path)),
        )
        .all(db)
        .await?;
    let n = |v: i32| u32::try_from(v).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|m| {
            let r = GroupRules {
                sessions_per_year: n(m.sessions_per_year),
                thematic_per_year: n(m.thematic_per_year),
                attendance_min: n(m.attendance_min),
            };
            (m.org_path, r)
        })
        .collect())
}

/// The rules in force at `path`: the deepest issuing body above it (itself included).
fn rules_at(rules: &BTreeMap<String, GroupRules>, path: &str) -> GroupRules {
    chain(path).iter().rev().find_map(|p| rules.get(p).copied()).unwrap_or_default()
}

/// Checks the period as the views take it: a plausible year not after this one.
fn period(year: i32, month: Option<u32>) -> Result<Period> {
    let p = Period::new(year, month).map_err(|m| StoreError::invalid("year", m))?;
    let this = xuepei_domain::time::today().year();
    if year > this {
        return Err(StoreError::invalid("year", format!("{year}年尚未开始，请选择{this}年或以前的年份")));
    }
    Ok(p)
}

/// The oversight view of organisation `org_code` (in the scope) for a year or a month.
pub async fn overview(
    db: &impl ConnectionTrait,
    scope: &Scope,
    org_code: &str,
    year: i32,
    month: Option<u32>,
) -> Result<Overview> {
    let p = period(year, month)?;
    let root = org_in_scope(db, scope, org_code.trim()).await?.ok_or(StoreError::NotFound("组织"))?;

    // The rows: the own one, then the direct children by code.
    let children = organization::Entity::find()
        .filter(organization::Column::ParentId.eq(root.id))
        .filter(scope.cond(organization::Column::Path))
        .order_by_asc(organization::Column::Code)
        .all(db)
        .await?;
    let parent = match root.parent_id {
        Some(pid) => organization::Entity::find_by_id(pid)
            .filter(scope.cond(organization::Column::Path))
            .one(db)
            .await?
            .map(|o| org_ref(&o)),
        None => None,
    };
    let grules = group_rules(db, &root.path).await?;
    let mut rows: Vec<OverviewRow> = Vec::with_capacity(children.len() + 1);
    rows.push(OverviewRow {
        org: org_ref(&root),
        kind: RowKind::Own,
        has_children: false,
        figures: Figures::default(),
        attendance_min: rules_at(&grules, &root.path).attendance_min,
    });
    let mut slot: HashMap<String, usize> = HashMap::new();
    for c in &children {
        slot.insert(c.path.clone(), rows.len());
        rows.push(OverviewRow {
            org: org_ref(c),
            kind: RowKind::Child,
            has_children: c.subtree_orgs > 1,
            figures: Figures::default(),
            attendance_min: rules_at(&grules, &c.path).attendance_min,
        });
    }
    let root_path = root.path.clone();
    let index_of = |path: &str| -> Option<usize> {
        match row_of(&root_path, path)? {
            None => Some(0),
            Some(child) => slot.get(child).copied(),
        }
    };

    // Meetings and sessions of the period, as kept per organisation (`study_figures`),
    // summed by the database per row.
    for (key, c) in crate::study_figures::by_child(db, scope, &root.path, p.year, p.month).await? {
        let Some(i) = index_of(&key) else { continue };
        let f = &mut rows[i].figures;
        let n = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
        f.meetings += n(c[0]);
        f.compliant += n(c[1]);
        f.sessions += n(c[2]);
        f.thematic += n(c[3]);
        f.present += u64::try_from(c[4]).unwrap_or(0);
        f.expected += u64::try_from(c[5]).unwrap_or(0);
    }

    // Study groups and what their rules plan for the period.
    let groups: Vec<String> = study_group::Entity::find()
        .select_only()
        .column(study_group::Column::OrgPath)
        .filter(scope.cond(study_group::Column::OrgPath))
        .filter(subtree_cond(study_group::Column::OrgPath, &root.path))
        .into_tuple()
        .all(db)
        .await?;
    for path in groups {
        if let Some(i) = index_of(&path) {
            let (s, t) = planned(rules_at(&grules, &path), p.month);
            let f = &mut rows[i].figures;
            f.groups += 1;
            f.planned += s;
            f.thematic_planned += t;
        }
    }

    quotas(db, scope, &root.path, p, &mut rows, &index_of).await?;

    let mut total = OverviewRow {
        org: org_ref(&root),
        kind: RowKind::Total,
        has_children: !children.is_empty(),
        figures: Figures::default(),
        attendance_min: rules_at(&grules, &root.path).attendance_min,
    };
    for r in &rows {
        total.figures.add(&r.figures);
    }
    Ok(Overview { org: org_ref(&root), parent, year: p.year, month: p.month, rows, total })
}

/// Adds the leaders' quota completion to the rows from the figures kept per organisation
/// and year (`quota_figures`), summed by the database per row.
async fn quotas(
    db: &impl ConnectionTrait,
    scope: &Scope,
    root_path: &str,
    p: Period,
    rows: &mut [OverviewRow],
    index_of: &impl Fn(&str) -> Option<usize>,
) -> Result<()> {
    let today = xuepei_domain::time::today();
    let months: Vec<u32> = match p.month {
        Some(m) => vec![m],
        None if p.year == today.year() => (1..=today.month()).collect(),
        None => (1..=12).collect(),
    };
    for (key, [leaders, lines, met, behind]) in
        crate::quota_figures::by_child(db, scope, root_path, p.year, &months, p.month.is_some()).await?
    {
        let Some(i) = index_of(&key) else { continue };
        let f = &mut rows[i].figures;
        f.leaders += n32(leaders);
        f.lines += n32(lines);
        f.lines_met += n32(met);
        f.behind += n32(behind);
    }
    Ok(())
}

/// Study-group sessions of each organisation's own group in a period, for the API's
/// compliance rows: held, planned by the rules, and the attendance rate.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OwnSessions {
    pub held: u32,
    pub planned: u32,
    pub attendance_rate: Option<f64>,
}

/// [`OwnSessions`] of every organisation with a study group under `org_code` (in the
/// scope), by organisation id: two grouped reads.
pub async fn own_sessions(
    db: &impl ConnectionTrait,
    scope: &Scope,
    org_code: &str,
    year: i32,
    month: Option<u32>,
) -> Result<HashMap<i64, OwnSessions>> {
    let p = Period::new(year, month).map_err(|m| StoreError::invalid("year", m))?;
    let root = org_in_scope(db, scope, org_code.trim()).await?.ok_or(StoreError::NotFound("组织"))?;
    let (from, until) = p.range();
    let backend = db.get_database_backend();
    let grules = group_rules(db, &root.path).await?;
    let groups: Vec<(i64, String)> = study_group::Entity::find()
        .select_only()
        .columns([study_group::Column::OrgId, study_group::Column::OrgPath])
        .filter(scope.cond(study_group::Column::OrgPath))
        .filter(subtree_cond(study_group::Column::OrgPath, &root.path))
        .into_tuple()
        .all(db)
        .await?;
    let mut out: HashMap<i64, Figures> = HashMap::new();
    for (org_id, path) in groups {
        let f = out.entry(org_id).or_default();
        f.groups += 1;
        f.planned += planned(rules_at(&grules, &path), p.month).0;
    }
    let sessions: Vec<(i64, i64, i64, i64)> = study_session::Entity::find()
        .select_only()
        .column(study_session::Column::OrgId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(sum_i64(backend, "present"), "p")
        .column_as(sum_i64(backend, "expected"), "e")
        .filter(study_session::Column::HeldOn.gte(from))
        .filter(study_session::Column::HeldOn.lt(until))
        .filter(scope.cond(study_session::Column::OrgPath))
        .filter(subtree_cond(study_session::Column::OrgPath, &root.path))
        .group_by(study_session::Column::OrgId)
        .into_tuple()
        .all(db)
        .await?;
    for (org_id, n, pr, e) in sessions {
        let f = out.entry(org_id).or_default();
        f.sessions += n32(n);
        f.present += u64::try_from(pr).unwrap_or(0);
        f.expected += u64::try_from(e).unwrap_or(0);
    }
    Ok(out
        .into_iter()
        .map(|(id, f)| (id, OwnSessions { held: f.sessions, planned: f.planned, attendance_rate: f.attendance_rate() }))
        .collect())
}
