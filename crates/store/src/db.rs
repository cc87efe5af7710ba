//! Connecting to the database chosen by URL scheme, and migrating it.

use std::path::Path;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend};
use sea_orm_migration::MigratorTrait;

use crate::error::{Result, StoreError};
use crate::migration::Migrator;

/// How long a SQLite writer waits for another before giving up.
pub const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Database options beyond the URL.
#[derive(Debug, Clone)]
pub struct DbOptions {
    pub max_connections: u32,
    /// PostgreSQL only: run in this schema (created when missing). Tests use one per test.
    pub pg_schema: Option<String>,
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions { max_connections: 16, pg_schema: None }
    }
}

/// The backend a URL names, or a Chinese explanation of what URLs are accepted.
pub fn backend_of(url: &str) -> Result<DbBackend> {
    if url.starts_with("sqlite:") {
        Ok(DbBackend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(DbBackend::Postgres)
    } else if url.starts_with("mysql://") || url.starts_with("mariadb://") {
        Ok(DbBackend::MySql)
    } else {
        Err(StoreError::Conflict(format!(
            "不支持的数据库地址“{url}”：请使用 sqlite://文件路径、postgres://用户@主机/库名 或 mysql://用户@主机/库名"
        )))
    }
}

/// The SQLite URL of a file, creating its directory.
pub fn sqlite_url(file: &Path) -> Result<String> {
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Conflict(format!("无法创建数据目录 {}：{e}", dir.display())))?;
    }
    Ok(format!("sqlite://{}?mode=rwc", file.display()))
}

/// Connects; SQLite gets WAL, a busy timeout and foreign keys, and its directory is made.
pub async fn connect(url: &str, opts: &DbOptions) -> Result<DatabaseConnection> {
    let backend = backend_of(url)?;
    let mut url = url.replacen("mariadb://", "mysql://", 1);
    if backend == DbBackend::Sqlite {
        let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let file = path.split('?').next().unwrap_or_default();
        if file != ":memory:" && !file.is_empty() {
            url = sqlite_url(Path::new(file))?;
        }
    }
    if let (DbBackend::Postgres, Some(schema)) = (backend, &opts.pg_schema) {
        ensure_pg_schema(&url, schema).await?;
    }
    let mut co = ConnectOptions::new(url);
    co.max_connections(if backend == DbBackend::Sqlite { opts.max_connections.min(8) } else { opts.max_connections })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(SQLITE_BUSY_TIMEOUT)
                .foreign_keys(true)
                // 32 MiB of pages per connection instead of 2: imports and deep list pages
                // over a million people otherwise re-read the same pages from the OS.
                .pragma("cache_size", "-32768")
        });
    if let Some(schema) = &opts.pg_schema {
        co.set_schema_search_path(schema.clone());
    }
    Database::connect(co).await.map_err(|e| {
        StoreError::Conflict(format!(
            "无法连接数据库：{e}。请检查数据库地址（XUEPEI_DATABASE_URL）和数据库服务是否已启动"
        ))
    })
}

async fn ensure_pg_schema(url: &str, schema: &str) -> Result<()> {
    if !schema.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
        return Err(StoreError::Conflict(format!("模式名“{schema}”只能包含小写字母、数字和下划线")));
    }
    let mut co = ConnectOptions::new(url.to_owned());
    co.max_connections(1).sqlx_logging(false);
    let db = Database::connect(co).await.map_err(|e| StoreError::Conflict(format!("无法连接数据库：{e}")))?;
    db.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).await?;
    db.close().await?;
    Ok(())
}

/// Drops a PostgreSQL schema made by [`connect`] (tests clean up after themselves).
pub async fn drop_pg_schema(url: &str, schema: &str) -> Result<()> {
    let mut co = ConnectOptions::new(url.to_owned());
    co.max_connections(1).sqlx_logging(false);
    let db = Database::connect(co).await?;
    db.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
    db.close().await?;
    Ok(())
}

/// Rows written by one import beyond which the planner's statistics are refreshed.
pub const STATISTICS_AFTER_ROWS: u64 = 10_000;

/// Refreshes the planner's statistics of `tables` after a bulk write, so that PostgreSQL and
/// MySQL do not plan the next queries for the table as it was (an empty table's estimates
/// turn a keyset page into a sort of the whole subtree). Autovacuum would catch up later,
/// or never where it is off. SQLite plans well without statistics and is left alone.
pub async fn refresh_statistics(db: &DatabaseConnection, tables: &[&str]) -> Result<()> {
    let list = tables.join(", ");
    match db.get_database_backend() {
        DbBackend::Postgres => db.execute_unprepared(&format!("ANALYZE {list}")).await?,
        DbBackend::MySql => db.execute_unprepared(&format!("ANALYZE TABLE {list}")).await?,
        _ => return Ok(()),
    };
    Ok(())
}

/// Applies pending migrations.
pub async fn migrate(db: &DatabaseConnection) -> Result<()> {
    Migrator::up(db, None).await?;
    Ok(())
}

/// Names of applied and pending migrations.
pub async fn migration_status(db: &DatabaseConnection) -> Result<(Vec<String>, Vec<String>)> {
    let applied = Migrator::get_applied_migrations(db).await?.iter().map(|m| m.name().to_owned()).collect();
    let pending = Migrator::get_pending_migrations(db).await?.iter().map(|m| m.name().to_owned()).collect();
    Ok((applied, pending))
}

/// Writes a consistent copy of the database to `out`: SQLite with `VACUUM INTO` (safe
/// while the server runs), PostgreSQL with `pg_dump --format=custom`, MySQL with
/// `mysqldump`.
pub async fn backup(db: &DatabaseConnection, url: &str, out: &Path) -> Result<()> {
    if out.exists() {
        return Err(StoreError::Conflict(format!("目标文件 {} 已存在，请换一个文件名或先删除它", out.display())));
    }
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Conflict(format!("无法创建目录 {}：{e}", dir.display())))?;
    }
    match db.get_database_backend() {
        DbBackend::Sqlite => {
            let target = out.to_string_lossy().replace('\'', "''");
            db.execute_unprepared(&format!("VACUUM INTO '{target}'")).await?;
            Ok(())
        }
        DbBackend::Postgres => {
            let file = out.to_string_lossy();
            let mut args = vec!["--format=custom", "--no-owner", "--file", &file];
            // A deployment confined to one schema (search_path in the URL) dumps that schema.
            let schema_arg = pg_search_path(url).map(|s| format!("--schema={s}"));
            if let Some(a) = &schema_arg {
                args.push(a);
            }
            args.push(url);
            run_dump("pg_dump", &args, "postgresql-client").await
        }
        _ => {
            let file = std::fs::File::create(out)
                .map_err(|e| StoreError::Conflict(format!("无法写入 {}：{e}", out.display())))?;
            let status =
                tokio::process::Command::new("mysqldump").args(mysql_args(url)).stdout(file).status().await.map_err(
                    |_| {
                        StoreError::Conflict(
                            "未找到 mysqldump，请安装 MariaDB/MySQL 客户端（Debian：apt-get install mariadb-client）"
                                .into(),
                        )
                    },
                )?;
            if status.success() { Ok(()) } else { Err(StoreError::Conflict(format!("mysqldump 失败（{status}）"))) }
        }
    }
}

async fn run_dump(program: &str, args: &[&str], package: &str) -> Result<()> {
    let out = tokio::process::Command::new(program).args(args).output().await.map_err(|_| {
        StoreError::Conflict(format!("未找到 {program}，请安装数据库客户端（Debian：apt-get install {package}）"))
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!("{program} 失败：{}", String::from_utf8_lossy(&out.stderr).trim())))
    }
}

/// The schema named by `options=-c search_path=X` in a PostgreSQL URL.
fn pg_search_path(url: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    let options = query.split('&').find_map(|kv| kv.strip_prefix("options="))?;
    let decoded = options.replace("%20", " ").replace("%3D", "=").replace("%3d", "=").replace('+', " ");
    let value = decoded.split("search_path=").nth(1)?;
    let schema: String = value.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    (!schema.is_empty()).then_some(schema)
}

/// `mysql://user:pass@host:port/db` as mysqldump arguments.
fn mysql_args(url: &str) -> Vec<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let (auth, hostdb) = rest.rsplit_once('@').unwrap_or(("root", rest));
    let (user, pass) = auth.split_once(':').unwrap_or((auth, ""));
    let (hostport, dbq) = hostdb.split_once('/').unwrap_or((hostdb, ""));
    let dbname = dbq.split('?').next().unwrap_or_default();
    let (host, port) = hostport.split_once(':').unwrap_or((hostport, "3306"));
    let mut args = vec![
        format!("--host={host}"),
        format!("--port={port}"),
        format!("--user={user}"),
        "--single-transaction".into(),
    ];
    if !pass.is_empty() {
        args.push(format!("--password={pass}"));
    }
    args.push(dbname.to_owned());
    args
}

/// Connections the pool holds open (for metrics).
pub fn pool_size(db: &DatabaseConnection) -> u32 {
    match db.get_database_backend() {
        DbBackend::Sqlite => db.get_sqlite_connection_pool().size(),
        DbBackend::Postgres => db.get_postgres_connection_pool().size(),
        _ => db.get_mysql_connection_pool().size(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_path_from_url() {
        assert_eq!(pg_search_path("postgres://a@h/db?options=-c%20search_path%3Dxt_1").as_deref(), Some("xt_1"));
        assert_eq!(pg_search_path("postgres://a@h/db"), None);
        assert_eq!(mysql_args("mysql://root@127.0.0.1:3306/test").last().map(String::as_str), Some("test"));
    }
}
