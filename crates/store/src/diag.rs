//! Diagnostics for operators and benchmarks: how the database runs the hot queries.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, TransactionTrait};
use xuepei_domain::org::path;

use crate::error::Result;

/// The query plan of a subtree range over organisations, as the backend prints it
/// (`ANALYZE` first, so that the plan reflects the data). With `prefer_index`, sequential
/// scans are discouraged on PostgreSQL, which picks them for small tables: the plan then
/// shows whether the path index can serve the range at all.
#[cfg(feature = "operator")]
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

#[cfg(feature = "bench")]
/// A person row as the raw-insert reference of the import benchmark takes it.
#[derive(Debug, Clone)]
pub struct RawPerson {
    pub name: String,
    pub gender: &'static str,
    pub birth_date: chrono::NaiveDate,
    pub id_number: String,
    pub phone: Option<String>,
    pub party_joined_on: Option<chrono::NaiveDate>,
    pub position: Option<String>,
    pub rank_level: Option<&'static str>,
    pub roles: i32,
    pub org_id: i64,
    pub org_path: String,
    pub org_sector: &'static str,
}

/// The physical reference of the import benchmark: multi-row INSERTs of ready rows, in
/// batches of the importer's size, in one transaction, through the same driver — no
/// parsing, validation or lookups. Benchmark-only, unscoped by design.
#[cfg(feature = "bench")]
pub async fn raw_insert_persons(db: &DatabaseConnection, rows: &[RawPerson]) -> Result<()> {
    use sea_orm::sea_query::{Alias, Query};
    let now = crate::org::now();
    let cols = [
        "name",
        "gender",
        "birth_date",
        "id_number",
        "phone",
        "party_joined_on",
        "position",
        "rank_level",
        "roles",
        "org_id",
        "org_path",
        "org_sector",
        "managing_org_id",
        "created_at",
        "updated_at",
    ];
    let batch = (crate::sql::max_params(db.get_database_backend()) / 16).min(2000);
    let txn = db.begin().await?;
    for chunk in rows.chunks(batch) {
        let mut q = Query::insert();
        q.into_table(Alias::new("persons")).columns(cols.iter().map(|c| Alias::new(*c)));
        for r in chunk {
            q.values_panic([
                r.name.clone().into(),
                r.gender.into(),
                r.birth_date.into(),
                r.id_number.clone().into(),
                r.phone.clone().into(),
                r.party_joined_on.into(),
                r.position.clone().into(),
                r.rank_level.map(str::to_owned).into(),
                r.roles.into(),
                r.org_id.into(),
                r.org_path.clone().into(),
                r.org_sector.into(),
                Option::<i64>::None.into(),
                now.into(),
                now.into(),
            ]);
        }
        txn.execute(&q).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Removes every person and zeroes the counters (between benchmark runs, in the
/// benchmark's own database: on PostgreSQL the truncation cascades to accounts bound to
/// people, which a plain TRUNCATE refuses because of their foreign key).
#[cfg(feature = "bench")]
pub async fn reset_people(db: &DatabaseConnection) -> Result<()> {
    let stmt = match db.get_database_backend() {
        DbBackend::Postgres => "TRUNCATE persons CASCADE",
        _ => "DELETE FROM persons",
    };
    db.execute_unprepared(stmt).await?;
    db.execute_unprepared("UPDATE organizations SET person_count = 0, subtree_people = 0").await?;
    Ok(())
}

/// `(id, path)` of every organisation by code (the raw reference resolves codes with it).
#[cfg(feature = "bench")]
pub async fn org_paths(
    db: &DatabaseConnection,
) -> Result<std::collections::HashMap<String, (i64, String, &'static str)>> {
    use xuepei_domain::labels::Labeled;
    let r = crate::org::OrgResolver::load(db, &crate::Scope::whole()).await?;
    Ok(r.iter().map(|o| (o.code.clone(), (o.id, o.path.clone(), o.sector.code()))).collect())
}

/// A bulk loader's table of the import benchmark on PostgreSQL (`psql`'s `\copy` fills
/// it): an empty copy of `persons` with the same columns and defaults, and either only its
/// unique index or (`full`) all its indexes and foreign keys. `table` is a name the
/// benchmark makes.
#[cfg(feature = "bench")]
pub async fn create_reference_table(db: &DatabaseConnection, table: &str, full: bool) -> Result<()> {
    if full {
        db.execute_unprepared(&format!("CREATE TABLE {table} (LIKE persons INCLUDING ALL)")).await?;
        for col in ["org_id", "managing_org_id"] {
            db.execute_unprepared(&format!(
                "ALTER TABLE {table} ADD FOREIGN KEY ({col}) REFERENCES organizations (id)"
            ))
            .await?;
        }
        return Ok(());
    }
    db.execute_unprepared(&format!("CREATE TABLE {table} (LIKE persons INCLUDING DEFAULTS INCLUDING IDENTITY)"))
        .await?;
    let index = table.rsplit('.').next().unwrap_or(table);
    db.execute_unprepared(&format!("CREATE UNIQUE INDEX ux_{index}_id_number ON {table} (id_number)")).await?;
    Ok(())
}

/// Empties a benchmark table (`TRUNCATE`), or drops it.
#[cfg(feature = "bench")]
pub async fn clear_reference_table(db: &DatabaseConnection, table: &str, drop: bool) -> Result<()> {
    let verb = if drop { "DROP TABLE" } else { "TRUNCATE" };
    db.execute_unprepared(&format!("{verb} {table}")).await?;
    Ok(())
}

/// Rows in a benchmark table.
#[cfg(feature = "bench")]
pub async fn count_rows(db: &DatabaseConnection, table: &str) -> Result<u64> {
    let backend = db.get_database_backend();
    let int = if backend == DbBackend::MySql { "SIGNED" } else { "BIGINT" };
    let sql = format!("SELECT CAST(COUNT(*) AS {int}) AS n FROM {table}");
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await?;
    let n: i64 = match row {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// Recounts `study_tallies` from every study-log entry (after a benchmark's bulk load of
/// entries that bypassed `study_logs`); returns the tally rows.
#[cfg(feature = "bench")]
pub async fn recount_study_tallies(db: &DatabaseConnection) -> Result<u64> {
    use crate::migration::m20261202_000023_study_tallies::recount_sql;
    db.execute_unprepared("DELETE FROM study_tallies").await?;
    db.execute_unprepared(&recount_sql(db.get_database_backend())).await?;
    count_rows(db, "study_tallies").await
}

/// Recounts the oversight figures per organisation and month from the stored meetings and
/// sessions (after the benchmark's bulk load), returning the rows written.
#[cfg(feature = "bench")]
pub async fn recount_study_figures(db: &DatabaseConnection) -> Result<u64> {
    use crate::migration::m20261202_000027_study_org_figures::{TABLE, recount_sql};
    db.execute_unprepared(&format!("DELETE FROM {TABLE}")).await?;
    for sql in recount_sql(db.get_database_backend()) {
        db.execute_unprepared(&sql).await?;
    }
    count_rows(db, TABLE).await
}

/// Recounts the leaders' quota figures of the whole tree from their tallies (after a bulk
/// load that wrote the tallies directly), returning the rows written.
#[cfg(feature = "bench")]
pub async fn recount_study_quota(db: &DatabaseConnection) -> Result<u64> {
    crate::quota_figures::recount(db, crate::quota_figures::Leaders::Under("/")).await?;
    count_rows(db, crate::quota_figures::TABLE).await
}
