//! Diagnostics for operators and benchmarks: how the database runs the hot queries.

use sea_orm::{ConnectionTrait, DbBackend, Statement};
use xuepei_domain::org::path;

use crate::error::Result;

/// The query plan of a subtree range over organisations, as the backend prints it
/// (`ANALYZE` first, so that the plan reflects the data).
pub async fn explain_subtree(db: &impl ConnectionTrait, subtree: &str) -> Result<String> {
    let (lo, hi) = path::subtree_range(subtree);
    let backend = db.get_database_backend();
    let (analyze, explain, column) = match backend {
        DbBackend::Sqlite => ("ANALYZE organizations", "EXPLAIN QUERY PLAN", "detail"),
        DbBackend::Postgres => ("ANALYZE organizations", "EXPLAIN", "QUERY PLAN"),
        _ => ("ANALYZE TABLE organizations", "EXPLAIN FORMAT=JSON", "EXPLAIN"),
    };
    db.execute_unprepared(analyze).await?;
    // The bounds are paths of digits and slashes, built here; no user text reaches this.
    let sql = format!("{explain} SELECT id FROM organizations WHERE path >= '{lo}' AND path < '{hi}'");
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await?;
    Ok(rows.iter().map(|r| r.try_get::<String>("", column).unwrap_or_default()).collect::<Vec<_>>().join("\n"))
}
