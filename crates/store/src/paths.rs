//! The registry of tables that keep a copy of an organisation's path.
//!
//! A scoped table carries its owning organisation's path (`org_path`, byte-ordered, indexed
//! with the id) so that "the rows of a subtree" is one index range. Every such copy is
//! listed here, once: moving a subtree rewrites every listed column in the same transaction,
//! and the registry test moves a subtree and checks each listed table against the tree.
//! A new module's table adds its line here (and rows to that test's scenario).

use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Query};

use crate::error::Result;
use crate::scope::subtree_cond_named;
use crate::sql;

/// One column that copies an organisation's path.
#[derive(Debug, Clone, Copy)]
pub struct PathCopy {
    pub table: &'static str,
    pub path_column: &'static str,
    /// The column naming the organisation whose path is copied; `None` for a scope copy
    /// (an upload keeps the uploader's scope root path, `/` for the whole tree).
    pub org_column: Option<&'static str>,
}

/// Every path copy in the schema (the organisations' own `path` is the original).
pub const PATH_COPIES: &[PathCopy] = &[
    PathCopy { table: "persons", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "uploads", path_column: "scope_path", org_column: None },
    PathCopy { table: "campaigns", path_column: "org_path", org_column: Some("issuer_org_id") },
    PathCopy { table: "campaign_targets", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "plans", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "enrolments", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "venues", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "instructors", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "classes", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "classes", path_column: "institution_path", org_column: Some("institution_org_id") },
    PathCopy { table: "class_allocations", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "coverage_counts", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "materials", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "search_docs", path_column: "org_path", org_column: Some("org_id") },
    // A posting copies its document's path (the organisation is the document's).
    PathCopy { table: "search_postings", path_column: "org_path", org_column: None },
    PathCopy { table: "study_logs", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "meetings", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "meeting_measures", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "study_groups", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "study_plans", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "study_sessions", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "study_reports", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "study_group_rules", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "study_quota_rules", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "study_tallies", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "study_org_figures", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "study_quota_figures", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "class_funds", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "class_fund_terms", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "filing_routes", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "filing_routes", path_column: "receiver_path", org_column: Some("receiver_org_id") },
    PathCopy { table: "filing_terms", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "filings", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "filings", path_column: "receiver_path", org_column: Some("receiver_org_id") },
    PathCopy { table: "filing_files", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "practice_bases", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "practice_bases", path_column: "county_path", org_column: Some("county_org_id") },
    PathCopy { table: "base_quotas", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "base_files", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "certificates", path_column: "org_path", org_column: Some("org_id") },
    PathCopy { table: "fee_caps", path_column: "org_path", org_column: Some("org_id") },
];

/// Rewrites every registered copy under `old_prefix` to start with `new_prefix` (inside
/// the caller's transaction, as a subtree moves).
pub(crate) async fn rewrite_prefix(db: &impl ConnectionTrait, old_prefix: &str, new_prefix: &str) -> Result<()> {
    let backend = db.get_database_backend();
    for c in PATH_COPIES {
        let mut q = Query::update();
        q.table(Alias::new(c.table))
            .value(Alias::new(c.path_column), sql::replace_prefix(backend, c.path_column, new_prefix, old_prefix.len()))
            .cond_where(subtree_cond_named(c.path_column, old_prefix));
        db.execute(&q).await?;
    }
    Ok(())
}

/// For each registered table, how many rows it holds and how many of their path copies
/// disagree with the organisation tree (operator check; the registry test requires 0).
#[cfg(feature = "operator")]
pub async fn disagreements(db: &impl ConnectionTrait) -> Result<Vec<(&'static str, i64, i64)>> {
    let backend = db.get_database_backend();
    let mut out = Vec::new();
    for c in PATH_COPIES {
        let (t, p) = (c.table, c.path_column);
        let wrong = match c.org_column {
            Some(o) => format!("SELECT COUNT(*) FROM {t} x JOIN organizations g ON g.id = x.{o} WHERE x.{p} <> g.path"),
            None => format!(
                "SELECT COUNT(*) FROM {t} x WHERE x.{p} <> '/' \
                 AND NOT EXISTS (SELECT 1 FROM organizations g WHERE g.path = x.{p})"
            ),
        };
        let rows = count(db, backend, &format!("SELECT COUNT(*) FROM {t}")).await?;
        out.push((t, rows, count(db, backend, &wrong).await?));
    }
    Ok(out)
}

#[cfg(feature = "operator")]
async fn count(db: &impl ConnectionTrait, backend: sea_orm::DbBackend, sql: &str) -> Result<i64> {
    // Table and column names come from the registry above; no user text reaches this.
    let row = db.query_one_raw(sea_orm::Statement::from_string(backend, sql.to_owned())).await?;
    Ok(row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0))
}
