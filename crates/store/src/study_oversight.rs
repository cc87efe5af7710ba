//! Theory-study oversight (督查统计, issue 13 item 6): for the propaganda department, by
//! organisation and period, first-item compliance of committee meetings, study-group
//! sessions held against plan with their attendance, and leaders' quota completion.
//!
//! [`overview`] answers for one organisation of the scope: a row of its own records (本级),
//! a row per direct child with the child's whole subtree added up, and the total. Every
//! figure comes from a grouped read over the asked subtree's index range — meetings and
//! sessions per organisation path through covering indexes on `(held_on, org_path, …)`,
//! groups and leaders by path range, quota completion from `study_tallies` (one row per
//! leader, year and mode, kept by `study_logs`) — and records are put in their row in
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
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;
use xuepei_domain::labels::Labeled;
use xuepei_domain::people::RankLevel;
use xuepei_domain::study::groups::GroupRules;
use xuepei_domain::study::meetings::Period;
pub use xuepei_domain::study::oversight::{Figures, planned, row_of};
use xuepei_domain::study::quotas::{QuotaPeriod, QuotaRule, QuotaSubject, leader_mask};

use crate::classes::OrgRef;
use crate::entity::{meeting, organization, study_group, study_group_rule, study_session};
use crate::error::{Result, StoreError};
use crate::meetings::org_in_scope;
use crate::migration::m20261202_000023_study_tallies::MONTHS;
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
    let (from, until) = p.range();
    let backend = db.get_database_backend();

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

    // Meetings of the period, per organisation path and compliance (covering index).
    let meetings: Vec<(String, bool, i64)> = meeting::Entity::find()
        .select_only()
        .column(meeting::Column::OrgPath)
        .column(meeting::Column::Compliant)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(meeting::Column::HeldOn.gte(from))
        .filter(meeting::Column::HeldOn.lt(until))
        .filter(scope.cond(meeting::Column::OrgPath))
        .filter(subtree_cond(meeting::Column::OrgPath, &root.path))
        .group_by(meeting::Column::OrgPath)
        .group_by(meeting::Column::Compliant)
        .into_tuple()
        .all(db)
        .await?;
    for (path, ok, n) in meetings {
        if let Some(i) = index_of(&path) {
            let f = &mut rows[i].figures;
            f.meetings += n32(n);
            if ok {
                f.compliant += n32(n);
            }
        }
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

    // Sessions held in the period with their attendance, per organisation path.
    let sessions: Vec<(String, i64, i64, i64, i64)> = study_session::Entity::find()
        .select_only()
        .column(study_session::Column::OrgPath)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(sum_i64(backend, "CASE WHEN thematic THEN 1 ELSE 0 END"), "t")
        .column_as(sum_i64(backend, "present"), "p")
        .column_as(sum_i64(backend, "expected"), "e")
        .filter(study_session::Column::HeldOn.gte(from))
        .filter(study_session::Column::HeldOn.lt(until))
        .filter(scope.cond(study_session::Column::OrgPath))
        .filter(subtree_cond(study_session::Column::OrgPath, &root.path))
        .group_by(study_session::Column::OrgPath)
        .into_tuple()
        .all(db)
        .await?;
    for (path, n, t, pr, e) in sessions {
        if let Some(i) = index_of(&path) {
            let f = &mut rows[i].figures;
            f.sessions += n32(n);
            f.thematic += n32(t);
            f.present += u64::try_from(pr).unwrap_or(0);
            f.expected += u64::try_from(e).unwrap_or(0);
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

/// Adds the leaders' quota completion to the rows, counted by the database: one grouped
/// read per region of uniform rules (the subtree less the subtrees of bodies inside it
/// that issued their own rules, then each of those likewise), each leader's tally rows
/// joined by person (so a leader who moved keeps their counts) and judged against the
/// region's rules in the query; a row per organisation path comes back, not per leader.
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
    let models = crate::study_logs::rule_models(db, scope).await?;
    let mut inner: Vec<&str> = models
        .iter()
        .map(|m| m.org_path.as_str())
        .filter(|q| q.len() > root_path.len() && q.starts_with(root_path))
        .collect();
    inner.sort_unstable();
    inner.dedup();
    for region in std::iter::once(root_path).chain(inner.iter().copied()) {
        let rules = crate::study_logs::rules_for_path(&models, region);
        if rules.is_empty() {
            continue;
        }
        let nested: Vec<&str> =
            inner.iter().copied().filter(|q| q.len() > region.len() && q.starts_with(region)).collect();
        let q = region_query(db.get_database_backend(), region, &nested, p.year, &months, &rules);
        for r in db.query_all(&q).await? {
            let path: String = r.try_get_by_index(0)?;
            let Some(i) = index_of(&path) else { continue };
            let n = |k: usize| r.try_get_by_index::<i64>(k).map(n32);
            let f = &mut rows[i].figures;
            f.leaders += n(1)?;
            f.lines += n(2)?;
            f.lines_met += n(3)?;
            f.behind += n(4)?;
        }
    }
    Ok(())
}

/// The grouped read of one region: per organisation path, the leaders a rule binds, their
/// quota lines, the lines met and the leaders with a line not met. Only integers and the
/// modes' and ranks' fixed codes are written into the SQL; the paths are bound values.
fn region_query(
    backend: sea_orm::DbBackend,
    region: &str,
    nested: &[&str],
    year: i32,
    months: &[u32],
    rules: &[QuotaRule],
) -> SelectStatement {
    let p = Alias::new("p");
    let mut q = Query::select();
    q.column((p.clone(), Alias::new("org_path"))).from_as(Alias::new("persons"), p.clone());
    let (mut bound, mut lines, mut met) = (Vec::new(), Vec::new(), Vec::new());
    for (i, rule) in rules.iter().enumerate() {
        let t = format!("t{i}");
        q.join_as(
            JoinType::LeftJoin,
            Alias::new("study_tallies"),
            Alias::new(&t),
            Expr::cust(format!("{t}.person_id = p.id AND {t}.year = {year} AND {t}.mode = '{}'", rule.mode.code())),
        );
        let covers = match rule.subject {
            QuotaSubject::Leaders => "1 = 1".to_owned(),
            QuotaSubject::CountyLeaders => {
                format!("p.rank_level IN ('{}', '{}')", RankLevel::County.code(), RankLevel::Bureau.code())
            }
        };
        let month = |m: u32| format!("COALESCE({t}.{}, 0)", MONTHS[(m - 1) as usize]);
        let (n, done) = match rule.period {
            QuotaPeriod::Year => {
                let total: Vec<String> = (1..=12).map(month).collect();
                (1, format!("CASE WHEN {} >= {} THEN 1 ELSE 0 END", total.join(" + "), rule.required))
            }
            QuotaPeriod::Month => {
                let each: Vec<String> = months
                    .iter()
                    .map(|&m| format!("CASE WHEN {} >= {} THEN 1 ELSE 0 END", month(m), rule.required))
                    .collect();
                (months.len(), each.join(" + "))
            }
        };
        lines.push(format!("CASE WHEN {covers} THEN {n} ELSE 0 END"));
        met.push(format!("CASE WHEN {covers} THEN {done} ELSE 0 END"));
        bound.push(covers);
    }
    let (lines, met) = (lines.join(" + "), met.join(" + "));
    q.expr(sum_i64(backend, &format!("CASE WHEN {} THEN 1 ELSE 0 END", bound.join(" OR "))))
        .expr(sum_i64(backend, &lines))
        .expr(sum_i64(backend, &met))
        .expr(sum_i64(backend, &format!("CASE WHEN {met} < {lines} THEN 1 ELSE 0 END")));
    let path = || Expr::col((Alias::new("p"), Alias::new("org_path")));
    let (lo, hi) = xuepei_domain::org::path::subtree_range(region);
    q.and_where(path().gte(lo)).and_where(path().lt(hi));
    for n in nested {
        let (lo, hi) = xuepei_domain::org::path::subtree_range(n);
        q.cond_where(Condition::any().add(path().lt(lo)).add(path().gte(hi)));
    }
    q.and_where(Expr::col((p.clone(), Alias::new("roles"))).bit_and(leader_mask()).ne(0))
        .group_by_col((p, Alias::new("org_path")));
    q
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
