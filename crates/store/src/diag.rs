//! Diagnostics for operators and benchmarks: how the database runs the hot queries.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use xuepei_domain::org::path;

use crate::error::Result;

/// The query plan of a subtree range over organisations, as the backend prints it
/// (`ANALYZE` first, so that the plan reflects the data). With `prefer_index`, sequential
/// scans are discouraged on PostgreSQL, which picks them for small tables: the plan then
/// shows whether the path index can serve the range at all.
pub async fn explain_subtree(db: &DatabaseConnection, subtree: &str, prefer_index: bool) -> Result<String> {
    let (lo, hi) = path::subtree_range(subtree);
    let backend = db.get_database_backend();
    let (analyze, explain, column) = match backend {
        DbBackend::Sqlite => ("ANALYZE organizations", "EXPLAIN QUERY PLAN", "detail"),
        DbBackend::Postgres => ("ANALYZE organizations", "EXPLAIN", "QUERY PLAN"),
        _ => ("ANALYZE TABLE organizations", "EXPLAIN FORMAT=JSON", "EXPLAIN"),
    };
    db.execute_unprepared(analyze).await?;
    // One connection for the setting and the query.
    let txn = db.begin().await?;
    if prefer_index && backend == DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL enable_seqscan = off").await?;
    }
    // The bounds are paths of digits and slashes, built here; no user text reaches this.
    let sql = format!("{explain} SELECT id FROM organizations WHERE path >= '{lo}' AND path < '{hi}'");
    let rows = txn.query_all_raw(Statement::from_string(backend, sql)).await?;
    txn.commit().await?;
    Ok(rows.iter().map(|r| r.try_get::<String>("", column).unwrap_or_default()).collect::<Vec<_>>().join("\n"))
}
