//! Leaders' quota figures kept per organisation and year (`study_quota_figures`,
//! migration 000027), read by the oversight view instead of every leader's tallies.
//!
//! A row of year 0 holds what the organisation's leaders owe with nothing logged (their
//! lines, all unmet — see `domain::study::quota_share`); a row of year Y holds what their
//! entries of Y change in that (lines met, behind or not). The view of Y adds both rows.
//! Whatever changes a leader's share — an entry written or removed, a person's roles, rank
//! or organisation, a quota rule, a subtree moved under other rules — recounts the
//! organisations concerned from their leaders and tallies ([`recount`]), in the writer's
//! transaction and after locking those organisations' rows, so two writers of one
//! organisation take turns and the second counts what the first committed.

use std::collections::{BTreeMap, HashMap};

use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use xuepei_domain::labels::Labeled;
use xuepei_domain::people::{RankLevel, Roles};
use xuepei_domain::study::logs::StudyMode;
use xuepei_domain::study::quota_share::{QuotaShare, share};
use xuepei_domain::study::quotas::{QuotaPeriod, QuotaRule, QuotaSubject, leader_mask};

use crate::entity::{organization, person, study_quota_rule};
use crate::error::Result;
use crate::migration::m20261202_000023_study_tallies::MONTHS;
use crate::scope::{Scope, subtree_cond, subtree_cond_named};

pub(crate) const TABLE: &str = "study_quota_figures";

/// The per-month column groups of a row (`lines01`…, `met01`…, `behind01`…, `upto01`…).
pub(crate) const GROUPS: [&str; 4] = ["lines", "met", "behind", "upto"];

pub(crate) fn month_col(group: &str, m0: usize) -> String {
    format!("{group}{:02}", m0 + 1)
}

/// Whose figures to recount: the leaders of some organisations, or of a subtree.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Leaders<'a> {
    OfOrgs(&'a [i64]),
    Under(&'a str),
}

/// The quota rules along every chain, as (issuing path, rule): a small table read whole,
/// by explicit columns (the migration that creates the figures also fills them).
async fn all_rules(db: &impl ConnectionTrait) -> Result<Vec<(String, QuotaRule)>> {
    let rows: Vec<(String, String, String, i32, String)> = study_quota_rule::Entity::find()
        .select_only()
        .columns([
            study_quota_rule::Column::OrgPath,
            study_quota_rule::Column::Mode,
            study_quota_rule::Column::Period,
            study_quota_rule::Column::Required,
            study_quota_rule::Column::Subject,
        ])
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(path, mode, period, required, subject)| {
            let rule = QuotaRule {
                mode: StudyMode::from_code(&mode)?,
                period: QuotaPeriod::from_code(&period)?,
                required: u32::try_from(required).ok()?,
                subject: QuotaSubject::from_code(&subject)?,
            };
            Some((path, rule))
        })
        .collect())
}

/// Recounts the figures of the leaders `which` names (see the module documentation).
pub(crate) async fn recount(db: &impl ConnectionTrait, which: Leaders<'_>) -> Result<()> {
    let backend = db.get_database_backend();
    let mut orgs: Vec<i64> = Vec::new();
    if let Leaders::OfOrgs(ids) = which {
        orgs = ids.to_vec();
        orgs.sort_unstable();
        orgs.dedup();
        if orgs.is_empty() {
            return Ok(());
        }
        // Writers of one organisation take turns (SQLite has one writer anyway).
        for chunk in orgs.chunks(500) {
            organization::Entity::find()
                .select_only()
                .column(organization::Column::Id)
                .filter(organization::Column::Id.is_in(chunk.iter().copied()))
                .lock_exclusive()
                .into_tuple::<i64>()
                .all(db)
                .await?;
        }
    }
    // MySQL's repeatable read would read the snapshot taken before the lock was granted;
    // a locking read reads what the writer before us committed.
    let lock = backend == DbBackend::MySql && matches!(which, Leaders::OfOrgs(_));
    let rules = all_rules(db).await?;
    let mut leaders: Vec<(i64, i64, String, i32, Option<String>)> = Vec::new();
    let select = || {
        person::Entity::find()
            .select_only()
            .columns([
                person::Column::Id,
                person::Column::OrgId,
                person::Column::OrgPath,
                person::Column::Roles,
                person::Column::RankLevel,
            ])
            .filter(Expr::col(person::Column::Roles).bit_and(leader_mask()).ne(0))
    };
    match which {
        Leaders::OfOrgs(_) => {
            for chunk in orgs.chunks(500) {
                let mut q = select().filter(person::Column::OrgId.is_in(chunk.iter().copied()));
                if lock {
                    q = q.lock_shared();
                }
                leaders.extend(q.into_tuple().all(db).await?);
            }
        }
        Leaders::Under(path) => {
            leaders = select().filter(subtree_cond(person::Column::OrgPath, path)).into_tuple().all(db).await?;
        }
    }

    // Each leader's tallies by year: mode → month counts.
    let mut tallies: HashMap<i64, BTreeMap<i32, HashMap<StudyMode, [u32; 12]>>> = HashMap::new();
    let t = Alias::new("study_tallies");
    for chunk in leaders.chunks(1000) {
        let mut q = Query::select();
        q.from(t.clone()).columns([Alias::new("person_id"), Alias::new("year"), Alias::new("mode")]);
        for m in MONTHS {
            q.column(Alias::new(m));
        }
        q.and_where(Expr::col(Alias::new("person_id")).is_in(chunk.iter().map(|l| l.0)));
        if lock {
            q.lock_shared();
        }
        for r in db.query_all(&q).await? {
            let (pid, year, mode): (i64, i32, String) =
                (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?);
            let Some(mode) = StudyMode::from_code(&mode) else { continue };
            let mut months = [0u32; 12];
            for (i, slot) in months.iter_mut().enumerate() {
                *slot = u32::try_from(r.try_get_by_index::<i32>(3 + i)?).unwrap_or(0);
            }
            tallies.entry(pid).or_default().entry(year).or_default().insert(mode, months);
        }
    }

    // Shares added up per organisation and year (0: nothing logged).
    let mut in_force: HashMap<String, Vec<QuotaRule>> = HashMap::new();
    let mut rows: BTreeMap<(i64, i32), (String, QuotaShare)> = BTreeMap::new();
    for (pid, org_id, path, roles, rank) in &leaders {
        let rules_here = in_force.entry(path.clone()).or_insert_with(|| rules_at(&rules, path));
        let (roles, rank) = (Roles(*roles), rank.as_deref().and_then(RankLevel::from_code));
        let base = share(rules_here, roles, rank, |_, _| 0);
        if base.is_zero() {
            continue;
        }
        rows.entry((*org_id, 0)).or_insert_with(|| (path.clone(), QuotaShare::default())).1.add(&base, 1);
        for (year, counts) in tallies.get(pid).into_iter().flatten() {
            let mut d = share(rules_here, roles, rank, |mode, m| counts.get(&mode).map_or(0, |c| c[m]));
            d.add(&base, -1);
            if !d.is_zero() {
                rows.entry((*org_id, *year)).or_insert_with(|| (path.clone(), QuotaShare::default())).1.add(&d, 1);
            }
        }
    }

    let mut del = Query::delete();
    del.from_table(Alias::new(TABLE));
    match which {
        Leaders::OfOrgs(_) => {
            for chunk in orgs.chunks(500) {
                let mut d = del.clone();
                d.and_where(Expr::col(Alias::new("org_id")).is_in(chunk.iter().copied()));
                db.execute(&d).await?;
            }
        }
        Leaders::Under(path) => {
            del.cond_where(subtree_cond_named("org_path", path));
            db.execute(&del).await?;
        }
    }
    write(db, rows).await
}

/// Inserts the rows, a few hundred a statement.
async fn write(db: &impl ConnectionTrait, rows: BTreeMap<(i64, i32), (String, QuotaShare)>) -> Result<()> {
    let mut cols: Vec<Alias> =
        ["org_id", "org_path", "year", "leaders", "year_lines", "year_met"].into_iter().map(Alias::new).collect();
    for g in GROUPS {
        cols.extend((0..12).map(|m| Alias::new(month_col(g, m))));
    }
    let rows: Vec<_> = rows.into_iter().collect();
    for chunk in rows.chunks(200) {
        let mut q = Query::insert();
        q.into_table(Alias::new(TABLE)).columns(cols.clone());
        for ((org_id, year), (path, s)) in chunk {
            let mut v: Vec<sea_orm::sea_query::SimpleExpr> = vec![
                (*org_id).into(),
                path.clone().into(),
                (*year).into(),
                s.leaders.into(),
                s.year_lines.into(),
                s.year_met.into(),
            ];
            for g in [&s.lines, &s.met, &s.behind, &s.behind_upto] {
                v.extend(g.iter().map(|n| Expr::value(*n)));
            }
            q.values_panic(v);
        }
        db.execute(&q).await?;
    }
    Ok(())
}

/// The rules in force at `path` among (issuing path, rule) pairs: the deepest issuing
/// body's rule of each mode.
pub(crate) fn rules_at(rules: &[(String, QuotaRule)], path: &str) -> Vec<QuotaRule> {
    let candidates: Vec<(usize, QuotaRule)> =
        rules.iter().filter(|(p, _)| path.starts_with(p.as_str())).map(|(p, r)| (p.matches('/').count(), *r)).collect();
    xuepei_domain::study::quotas::effective(&candidates)
}

/// The figures' select for year `year` over `months` (a month's view names one month; a
/// year's, every month up to the last one counted): leaders bound, quota lines, lines met
/// and leaders behind, summed; the caller adds where and grouping.
fn select(
    backend: DbBackend,
    scope: &Scope,
    year: i32,
    months: &[u32],
    month_view: bool,
) -> sea_orm::sea_query::SelectStatement {
    let last = months.iter().copied().max().unwrap_or(12).clamp(1, 12) as usize - 1;
    let sum = |cols: Vec<String>| crate::sql::sum_i64(backend, &cols.join(" + "));
    let pick = |g: &str| months.iter().map(|&m| month_col(g, m as usize - 1)).collect::<Vec<_>>();
    let mut lines = pick("lines");
    lines.push("year_lines".into());
    let mut met = pick("met");
    met.push("year_met".into());
    let behind = month_col(if month_view { "behind" } else { "upto" }, last);
    let mut q = Query::select();
    q.from(Alias::new(TABLE))
        .expr(sum(vec!["leaders".into()]))
        .expr(sum(lines))
        .expr(sum(met))
        .expr(sum(vec![behind]))
        .and_where(Expr::col(Alias::new("year")).is_in([0, year]))
        .cond_where(scope.root_path().map_or_else(Condition::all, |p| subtree_cond_named("org_path", p)));
    q
}

fn four(r: &sea_orm::QueryResult, from: usize) -> Result<[i64; 4]> {
    Ok([
        r.try_get_by_index(from)?,
        r.try_get_by_index(from + 1)?,
        r.try_get_by_index(from + 2)?,
        r.try_get_by_index(from + 3)?,
    ])
}

/// Per row of the oversight view under `root_path` (the root's own row and each child's
/// subtree; see `sql::child_key`), within the scope: leaders bound, quota lines, lines met
/// and leaders behind (see [`select`]).
pub(crate) async fn by_child(
    db: &impl ConnectionTrait,
    scope: &Scope,
    root_path: &str,
    year: i32,
    months: &[u32],
    month_view: bool,
) -> Result<Vec<(String, [i64; 4])>> {
    let backend = db.get_database_backend();
    let key = crate::sql::child_key(backend, "org_path", root_path.len());
    let mut q = select(backend, scope, year, months, month_view);
    q.expr(Expr::cust(key.clone()))
        .cond_where(subtree_cond_named("org_path", root_path))
        .add_group_by([Expr::cust(key)]);
    let mut out = Vec::new();
    for r in db.query_all(&q).await? {
        out.push((r.try_get_by_index(4)?, four(&r, 0)?));
    }
    Ok(out)
}
