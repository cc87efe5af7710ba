//! The oversight figures kept per organisation and month (`study_org_figures`, migration
//! 000027): each meeting and study-group session adds its counts to its organisation's
//! month and year rows in the writer's transaction, so the oversight view reads one row
//! per organisation, however many records there are. The additions are atomic upserts of
//! `column + n`, so concurrent writers never lose a count.

use chrono::{Datelike, NaiveDate};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};

use crate::entity::{meeting, study_session};
use crate::error::Result;
use crate::migration::m20261202_000027_study_org_figures::TABLE;
use crate::scope::{Scope, subtree_cond_named};

/// What one record adds to its organisation's month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Share {
    org_id: i64,
    org_path: String,
    day: NaiveDate,
    /// meetings, compliant, sessions, thematic, present, expected
    counts: [i64; 6],
}

const COLUMNS: [&str; 6] = ["meetings", "compliant", "sessions", "thematic", "present", "expected"];

impl Share {
    pub(crate) fn meeting(m: &meeting::Model) -> Self {
        Share {
            org_id: m.org_id,
            org_path: m.org_path.clone(),
            day: m.held_on,
            counts: [1, i64::from(m.compliant), 0, 0, 0, 0],
        }
    }

    pub(crate) fn session(s: &study_session::Model) -> Self {
        Share {
            org_id: s.org_id,
            org_path: s.org_path.clone(),
            day: s.held_on,
            counts: [0, 0, 1, i64::from(s.thematic), i64::from(s.present), i64::from(s.expected)],
        }
    }
}

/// Takes `before`'s share off and adds `after`'s (either may be absent: a new record, or
/// one whose share does not change is written once).
pub(crate) async fn changed(db: &impl ConnectionTrait, before: Option<Share>, after: Option<Share>) -> Result<()> {
    if before == after {
        return Ok(());
    }
    if let Some(b) = before {
        add(db, &b, -1).await?;
    }
    if let Some(a) = after {
        add(db, &a, 1).await?;
    }
    Ok(())
}

/// Adds `sign` × the share to its month's and its year's rows.
async fn add(db: &impl ConnectionTrait, s: &Share, sign: i64) -> Result<()> {
    let t = Alias::new(TABLE);
    for month in [i32::try_from(s.day.month()).unwrap_or(0), 0] {
        let mut q = Query::insert();
        let mut cols = vec![Alias::new("org_id"), Alias::new("org_path"), Alias::new("year"), Alias::new("month")];
        cols.extend(COLUMNS.iter().map(|c| Alias::new(*c)));
        let mut values: Vec<sea_orm::sea_query::SimpleExpr> =
            vec![s.org_id.into(), s.org_path.clone().into(), s.day.year().into(), month.into()];
        values.extend(s.counts.iter().map(|n| Expr::value(sign * n)));
        let mut on = OnConflict::columns([Alias::new("org_id"), Alias::new("year"), Alias::new("month")]);
        for (c, n) in COLUMNS.iter().zip(s.counts) {
            on.value(Alias::new(*c), Expr::col((t.clone(), Alias::new(*c))).add(sign * n));
        }
        on.update_column(Alias::new("org_path"));
        q.into_table(t.clone()).columns(cols).values_panic(values).on_conflict(on.to_owned());
        db.execute(&q).await?;
    }
    Ok(())
}

/// The period's counts summed by the database per row of the oversight view under
/// `root_path` (the root's own row and each child's subtree; see `sql::child_key`), in
/// [`COLUMNS`] order: a few rows, however many organisations there are.
pub(crate) async fn by_child(
    db: &impl ConnectionTrait,
    scope: &Scope,
    root_path: &str,
    year: i32,
    month: Option<u32>,
) -> Result<Vec<(String, [i64; 6])>> {
    let backend = db.get_database_backend();
    let month = month.and_then(|m| i32::try_from(m).ok()).unwrap_or(0);
    let key = crate::sql::child_key(backend, "org_path", root_path.len());
    let mut q = Query::select();
    q.from(Alias::new(TABLE)).expr(Expr::cust(key.clone()));
    for c in COLUMNS {
        q.expr(crate::sql::sum_i64(backend, c));
    }
    q.and_where(Expr::col(Alias::new("year")).eq(year))
        .and_where(Expr::col(Alias::new("month")).eq(month))
        .cond_where(scope.root_path().map_or_else(sea_orm::Condition::all, |p| subtree_cond_named("org_path", p)))
        .cond_where(subtree_cond_named("org_path", root_path))
        .add_group_by([Expr::cust(key)]);
    let mut out = Vec::new();
    for row in db.query_all(&q).await? {
        let mut counts = [0i64; 6];
        for (i, slot) in counts.iter_mut().enumerate() {
            *slot = row.try_get_by_index(i + 1)?;
        }
        out.push((row.try_get_by_index(0)?, counts));
    }
    Ok(out)
}
