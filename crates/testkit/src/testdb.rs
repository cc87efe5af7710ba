//! A database of its own for every test, on the backend named by `TEST_DATABASE_URL` (a
//! temporary SQLite file when unset).
//!
//! Migrating and seeding take most of a test's time, so each is done once: a *template* is
//! made per build of the test executable (and per day) and copied for every test — a file copy
//! on SQLite, a schema copied into a schema on PostgreSQL, a database copied table by table
//! (DDL and `INSERT … SELECT`) on MySQL/MariaDB. nextest runs every test in its own process, so
//! templates live where all processes see them (a directory beside the executable, or the
//! database server) and are made under a lock (a file lock, an advisory or named lock) that the
//! system releases if the maker dies. Making one also removes the templates of earlier builds
//! and the databases of test processes that were killed before their drop guard ran.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use sea_orm::{ConnectionTrait, Statement};
use xuepei_store::db::{self, DbOptions};
use xuepei_store::{DatabaseConnection, DbBackend};

/// A database of one's own for one test. Dropping it deletes the database, also when the test
/// panics; [`TestDb::cleanup`] does the same after closing the connections first.
#[derive(Debug)]
pub struct TestDb {
    pub conn: DatabaseConnection,
    /// A URL that reaches the same database (for the command line under test).
    pub url: String,
    pub backend: DbBackend,
    cleanup: Cleanup,
    /// The server session that made the database, kept to drop it without connecting again.
    admin: Option<DatabaseConnection>,
    _dir: Option<tempfile::TempDir>,
}

#[derive(Debug)]
enum Cleanup {
    None,
    PgSchema { base_url: String, schema: String },
    MySqlDatabase { base_url: String, name: String },
}

impl Cleanup {
    /// Drops the test's database, on `admin` if given (the session that made it).
    async fn run(self, admin: Option<DatabaseConnection>) {
        let base_url = match &self {
            Cleanup::None => return,
            Cleanup::PgSchema { base_url, .. } | Cleanup::MySqlDatabase { base_url, .. } => base_url,
        };
        let admin = match admin {
            Some(a) => a,
            None => match self::admin(base_url).await {
                Ok(a) => a,
                Err(_) => return,
            },
        };
        match &self {
            Cleanup::None => {}
            Cleanup::PgSchema { schema, .. } => {
                // A panicking test never closed its pool: a session left inside a
                // transaction would make DROP wait on its locks.
                let _ = admin
                    .execute_unprepared(&format!(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                         WHERE application_name = '{schema}' AND pid <> pg_backend_pid()"
                    ))
                    .await;
                // Never hang a test run (see below).
                let _ = admin.execute_unprepared("SET lock_timeout = '10s'").await;
                let _ = admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
            }
            Cleanup::MySqlDatabase { name, .. } => {
                // The same on MySQL, whose sessions are found by their database.
                // (The id's type differs between MySQL and MariaDB: read it as text.)
                let sessions = format!(
                    "SELECT CAST(ID AS CHAR) AS id FROM information_schema.PROCESSLIST \
                     WHERE DB = '{name}' AND ID <> CONNECTION_ID()"
                );
                for row in admin.query_all_raw(stmt(&admin, &sessions)).await.unwrap_or_default() {
                    if let Ok(id) = row.try_get::<String>("", "id") {
                        let _ = admin.execute_unprepared(&format!("KILL CONNECTION {id}")).await;
                    }
                }
                // Never hang a test run: a database that cannot be dropped now is left to the
                // sweep for databases of ended processes.
                let _ = admin.execute_unprepared("SET SESSION lock_wait_timeout = 10").await;
                let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await;
            }
        }
        let _ = admin.close().await;
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let cleanup = std::mem::replace(&mut self.cleanup, Cleanup::None);
        if matches!(cleanup, Cleanup::None) {
            return;
        }
        // Drop cannot await, and the test's runtime may be the one unwinding: drop the
        // database from a thread with a runtime (and so a connection) of its own.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                rt.block_on(cleanup.run(None));
            }
        })
        .join();
    }
}

/// The executable under test, as names: `bin` for its test target (stable across rebuilds),
/// `build` for this build of it and today's date.
#[derive(Debug)]
struct Build {
    bin: String,
    build: String,
}

fn hex8(h: impl Hash) -> String {
    let mut s = DefaultHasher::new();
    h.hash(&mut s);
    format!("{:08x}", s.finish() & 0xffff_ffff)
}

fn this_build() -> &'static Build {
    static BUILD: OnceLock<Build> = OnceLock::new();
    BUILD.get_or_init(|| {
        let exe = std::env::current_exe().unwrap_or_default();
        let path = exe.to_string_lossy();
        let path = path.trim_end_matches(" (deleted)");
        // Without cargo's `-<hash>` suffix, which changes with the dependencies: the templates
        // of earlier builds of the same test target are then found and removed.
        let target = match path.rsplit_once('-') {
            Some((stem, hash)) if hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => stem,
            _ => path,
        };
        // /proc/self/exe is the file this process runs even after a rebuild replaced it on disk.
        let meta = std::fs::metadata("/proc/self/exe").or_else(|_| std::fs::metadata(path)).ok();
        let modified = meta.as_ref().and_then(|m| m.modified().ok());
        #[cfg(unix)]
        let inode = meta.as_ref().map(std::os::unix::fs::MetadataExt::ino);
        #[cfg(not(unix))]
        let inode = None::<u64>;
        // The date too: seeded rows carry the time they were made (audit entries, password
        // dates), which must not grow older than a day while the executable stays the same.
        let today = chrono::Utc::now().date_naive();
        Build { bin: hex8(target), build: hex8((path, meta.map(|m| m.len()), modified, inode, today)) }
    })
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A name for one test's database: the executable's, the process id (to find the databases of
/// killed processes), a counter and the time (for a reused process id).
fn unique_name() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let b = this_build();
    format!("xt_{}_{}_{}_{}", b.bin, std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed), nanos % 1_000_000)
}

/// The database name of template `name` for this build on a server backend.
fn server_template(name: &str) -> String {
    let b = this_build();
    format!("xtpl_{}_{}_{name}", b.bin, b.build)
}

/// Whether the database named like [`unique_name`] for this executable belongs to a process
/// that no longer runs (killed by a timeout, so no drop ran). Only known where /proc is.
fn orphaned(db_name: &str) -> bool {
    let prefix = format!("xt_{}_", this_build().bin);
    let Some(pid) = db_name.strip_prefix(&prefix).and_then(|r| r.split('_').next()) else { return false };
    Path::new("/proc/self").exists() && !Path::new("/proc").join(pid).exists()
}

fn stmt(conn: &DatabaseConnection, sql: &str) -> Statement {
    Statement::from_string(conn.get_database_backend(), sql.to_owned())
}

/// One connection to the server's base database: session state (a lock, `USE`) stays put.
async fn admin(base: &str) -> xuepei_store::Result<DatabaseConnection> {
    db::connect(base, &DbOptions { max_connections: 1, pg_schema: None }).await
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with ://");
    let (rest, query) = rest.split_once('?').map_or((rest, None), |(r, q)| (r, Some(q)));
    let host = rest.split_once('/').map_or(rest, |(h, _)| h);
    match query {
        Some(q) => format!("{scheme}://{host}/{name}?{q}"),
        None => format!("{scheme}://{host}/{name}"),
    }
}

impl TestDb {
    /// A migrated, empty database.
    pub async fn new() -> TestDb {
        Self::from_template("migrated", async |_| {}).await
    }

    /// A copy of template `name` (lower-case letters, digits and `_`): a migrated database
    /// that `fill` wrote to once for this build of the test executable. `fill` must give the
    /// same result every time; a new build or a new day makes the template again.
    pub async fn from_template(name: &str, fill: impl AsyncFn(&DatabaseConnection)) -> TestDb {
        assert!(
            !name.is_empty()
                && name.len() <= 24
                && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'),
            "template name {name:?}: 1 to 24 lower-case letters, digits or _"
        );
        let url = std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.trim().is_empty());
        match url.as_deref() {
            None => Self::sqlite(name, &fill).await,
            Some(u) if u.starts_with("sqlite") => Self::sqlite(name, &fill).await,
            Some(u) if u.starts_with("postgres") => Self::postgres(u, name, &fill).await,
            Some(u) if u.starts_with("mysql") || u.starts_with("mariadb") => Self::mysql(u, name, &fill).await,
            Some(u) => panic!("TEST_DATABASE_URL has an unknown scheme: {u}"),
        }
    }

    async fn sqlite(name: &str, fill: &impl AsyncFn(&DatabaseConnection)) -> TestDb {
        let b = this_build();
        let templates = sqlite_template_dir();
        let template = templates.join(format!("{}-{}-{name}.db", b.bin, b.build));
        let dir = tempfile::tempdir().expect("temp dir");
        let file = dir.path().join("test.db");
        let mut attempt = 0;
        loop {
            if !template.exists() {
                make_sqlite_template(&templates, &template, fill).await;
            }
            match std::fs::copy(&template, &file) {
                Ok(_) => break,
                // A newer build of the same tests removed it meanwhile: make it again.
                Err(_) if attempt < 2 => attempt += 1,
                Err(e) => panic!("copying the test template {}: {e}", template.display()),
            }
        }
        let url = db::sqlite_url(&file).expect("sqlite url");
        let conn = db::connect(&url, &DbOptions::default()).await.expect("sqlite connects");
        TestDb { conn, url, backend: DbBackend::Sqlite, cleanup: Cleanup::None, admin: None, _dir: Some(dir) }
    }

    async fn postgres(base: &str, name: &str, fill: &impl AsyncFn(&DatabaseConnection)) -> TestDb {
        let template = server_template(name);
        let schema = unique_name();
        let admin =
            admin(base).await.unwrap_or_else(|e| panic!("PostgreSQL at TEST_DATABASE_URL is not reachable: {e}"));
        let mut attempt = 0;
        loop {
            if !pg_template_ready(&admin, &template).await {
                make_pg_template(&admin, base, &template, fill).await;
            }
            match admin.execute_unprepared(&pg_copy_schema(&template, &schema)).await {
                Ok(_) => break,
                // A newer build of the same tests removed it meanwhile: make it again.
                Err(_) if attempt < 2 => {
                    let _ = admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await;
                    attempt += 1;
                }
                Err(e) => panic!("copying the test template {template}: {e}"),
            }
        }
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        let cleanup = Cleanup::PgSchema { base_url: base.to_owned(), schema: schema.clone() };
        // The application name lets the drop guard end sessions a panicking test left open.
        let opts = DbOptions { max_connections: 8, pg_schema: None };
        let conn = match db::connect(&format!("{url}&application_name={schema}"), &opts).await {
            Ok(c) => c,
            Err(e) => {
                cleanup.run(Some(admin)).await;
                panic!("PostgreSQL test schema connects: {e}")
            }
        };
        TestDb { conn, url, backend: DbBackend::Postgres, cleanup, admin: Some(admin), _dir: None }
    }

    async fn mysql(base: &str, name: &str, fill: &impl AsyncFn(&DatabaseConnection)) -> TestDb {
        let template = server_template(name);
        let db_name = unique_name();
        let admin = admin(base).await.unwrap_or_else(|e| panic!("MySQL at TEST_DATABASE_URL is not reachable: {e}"));
        let mut attempt = 0;
        loop {
            if !mysql_template_ready(&admin, &template).await {
                make_mysql_template(&admin, base, &template, fill).await;
            }
            match copy_mysql_database(&admin, &template, &db_name).await {
                Ok(()) => break,
                // As on PostgreSQL; the copy is not one transaction here, so drop what it made.
                Err(_) if attempt < 2 => {
                    let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {db_name}")).await;
                    attempt += 1;
                }
                Err(e) => panic!("copying the test template {template}: {e}"),
            }
        }
        let url = with_database(base, &db_name);
        let cleanup = Cleanup::MySqlDatabase { base_url: base.to_owned(), name: db_name };
        let conn = match db::connect(&url, &DbOptions::default()).await {
            Ok(c) => c,
            Err(e) => {
                cleanup.run(Some(admin)).await;
                panic!("MySQL test database connects: {e}")
            }
        };
        TestDb { conn, url, backend: DbBackend::MySql, cleanup, admin: Some(admin), _dir: None }
    }

    /// Closes the connections and deletes the database (dropping the value does the same).
    pub async fn cleanup(mut self) {
        let _ = self.conn.close_by_ref().await;
        std::mem::replace(&mut self.cleanup, Cleanup::None).run(self.admin.take()).await;
    }
}

/// Beside the test executables (`target/<profile>/test-templates`), so `cargo clean` removes
/// them; the system's temporary directory when the executable is elsewhere.
fn sqlite_template_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    match exe.parent() {
        Some(deps) if deps.file_name().is_some_and(|n| n == "deps") => {
            deps.parent().unwrap_or(deps).join("test-templates")
        }
        _ => std::env::temp_dir().join("xuepei-test-templates"),
    }
}

async fn make_sqlite_template(dir: &Path, template: &Path, fill: &impl AsyncFn(&DatabaseConnection)) {
    let b = this_build();
    std::fs::create_dir_all(dir).expect("template directory");
    let lock = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(format!("{}.lock", b.bin)))
        .expect("template lock file");
    // Released when the file closes, also when this process dies: no stale lock to clear.
    let lock = tokio::task::spawn_blocking(move || lock.lock().map(|()| lock))
        .await
        .expect("lock task")
        .expect("template lock");
    if template.exists() {
        return;
    }
    let work = tempfile::tempdir_in(dir).expect("template work dir");
    let url = db::sqlite_url(&work.path().join("make.db")).expect("sqlite url");
    let conn = db::connect(&url, &DbOptions::default()).await.expect("sqlite connects");
    db::migrate(&conn).await.expect("migrations apply");
    fill(&conn).await;
    // One self-contained file (no -wal beside it), published whole by the rename.
    let out = work.path().join("out.db");
    let target = out.to_string_lossy().replace('\'', "''");
    conn.execute_unprepared(&format!("VACUUM INTO '{target}'")).await.expect("vacuum into");
    let _ = conn.close().await;
    let prefix = format!("{}-", b.bin);
    let ours = format!("{}-{}-", b.bin, b.build);
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        if file_name.starts_with(&prefix) && !file_name.starts_with(&ours) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    std::fs::rename(&out, template).expect("publish template");
    drop(lock);
}

/// On PostgreSQL a template is a schema of the base database and each test gets a copy of it
/// in a schema of its own. Measured against `CREATE DATABASE … TEMPLATE`, this is faster: a
/// `DROP DATABASE` forces a checkpoint, which under the suite's writes took 0.3–2.8 s.
async fn pg_template_ready(admin: &DatabaseConnection, template: &str) -> bool {
    let sql = format!(
        "SELECT 1 AS ok FROM pg_namespace WHERE nspname = '{template}' \
         AND obj_description(oid, 'pg_namespace') = '{PG_READY}'"
    );
    admin.query_one_raw(stmt(admin, &sql)).await.expect("query pg_namespace").is_some()
}

/// The comment that marks a template schema complete, its last step.
const PG_READY: &str = "xuepei test template";

/// Makes template schema `template` under an advisory lock held by `admin`'s session.
async fn make_pg_template(
    admin: &DatabaseConnection,
    base: &str,
    template: &str,
    fill: &impl AsyncFn(&DatabaseConnection),
) {
    let key = format!("hashtext('xtpl_{}')", this_build().bin);
    admin.execute_unprepared(&format!("SELECT pg_advisory_lock({key})")).await.expect("advisory lock");
    if !pg_template_ready(admin, template).await {
        // A half-made one of a maker that died.
        admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {template} CASCADE")).await.expect("drop");
        let conn = db::connect(base, &DbOptions { max_connections: 8, pg_schema: Some(template.to_owned()) })
            .await
            .expect("template connects");
        db::migrate(&conn).await.expect("migrations apply");
        fill(&conn).await;
        let _ = conn.close().await;
        let unsupported = format!(
            "SELECT ((SELECT count(*) FROM pg_class c WHERE c.relnamespace = '{template}'::regnamespace \
                AND c.relkind NOT IN ('r', 'i', 'S')) \
             + (SELECT count(*) FROM pg_class s WHERE s.relnamespace = '{template}'::regnamespace \
                AND s.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend d \
                WHERE d.classid = 'pg_class'::regclass AND d.objid = s.oid AND d.deptype = 'i')) \
             + (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = '{template}'::regnamespace) \
             + (SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid \
                WHERE c.relnamespace = '{template}'::regnamespace AND NOT t.tgisinternal) \
             + (SELECT count(*) FROM pg_type t WHERE t.typnamespace = '{template}'::regnamespace \
                AND t.typtype IN ('e', 'd', 'r', 'm')))::int8 AS n"
        );
        let n: i64 = admin
            .query_one_raw(stmt(admin, &unsupported))
            .await
            .expect("count objects")
            .expect("a row")
            .try_get("", "n")
            .expect("a count");
        assert!(
            n == 0,
            "the migrations made {n} objects (views, functions, triggers, types or sequences of no identity \
             column) that the per-test copy of a template does not copy: teach `pg_copy_schema` them"
        );
        let names = admin
            .query_all_raw(stmt(admin, "SELECT nspname AS name FROM pg_namespace WHERE nspname LIKE 'xt%'"))
            .await
            .expect("list schemas");
        for name in stale_databases(names, template) {
            let _ = admin.execute_unprepared(&format!("DROP SCHEMA IF EXISTS {name} CASCADE")).await;
        }
        admin
            .execute_unprepared(&format!("COMMENT ON SCHEMA {template} IS '{PG_READY}'"))
            .await
            .expect("mark the template ready");
    }
    let _ = admin.execute_unprepared(&format!("SELECT pg_advisory_unlock({key})")).await;
}

/// One round trip that copies schema `from` into a new schema `to`: the tables (columns,
/// defaults, checks, identities), their rows, the keys, constraints and indexes under their
/// own names (a test checks a plan uses an index by name), and where each identity stands.
/// The definitions are read with `from` as the search path, so they name its tables without
/// the schema, and run with `to` as the search path.
fn pg_copy_schema(from: &str, to: &str) -> String {
    format!(
        r#"CREATE SCHEMA {to};
DO $$
DECLARE
  stmts text[] := '{{}}';
  s text;
  r record;
  pos record;
BEGIN
  PERFORM set_config('search_path', '{from}', true);
  FOR r IN SELECT c.relname FROM pg_class c WHERE c.relnamespace = '{from}'::regnamespace AND c.relkind = 'r' LOOP
    stmts := stmts
      || format('CREATE TABLE %I (LIKE {from}.%I INCLUDING ALL EXCLUDING INDEXES)', r.relname, r.relname)
      || format('INSERT INTO %I OVERRIDING SYSTEM VALUE SELECT * FROM {from}.%I', r.relname, r.relname);
  END LOOP;
  FOR r IN SELECT k.conrelid::regclass::text AS t, k.conname, pg_get_constraintdef(k.oid) AS def
           FROM pg_constraint k
           WHERE k.connamespace = '{from}'::regnamespace AND k.contype IN ('p', 'u', 'x', 'f')
           ORDER BY k.contype = 'f' LOOP
    stmts := stmts || format('ALTER TABLE %s ADD CONSTRAINT %I %s', r.t, r.conname, r.def);
  END LOOP;
  -- pg_get_indexdef names the table with its schema whatever the search path.
  FOR r IN SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
           WHERE c.relnamespace = '{from}'::regnamespace
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) LOOP
    stmts := stmts || replace(r.def, ' ON {from}.', ' ON ');
  END LOOP;
  FOR r IN SELECT c.relname AS t, a.attname AS col, pg_get_serial_sequence(format('%I', c.relname), a.attname) AS seq
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           WHERE c.relnamespace = '{from}'::regnamespace AND c.relkind = 'r' AND a.attidentity <> '' LOOP
    EXECUTE format('SELECT last_value, is_called FROM %s', r.seq) INTO pos;
    stmts := stmts || format('SELECT setval(pg_get_serial_sequence(%L, %L), %s, %L)', r.t, r.col, pos.last_value, pos.is_called);
  END LOOP;
  PERFORM set_config('search_path', '{to}', true);
  FOREACH s IN ARRAY stmts LOOP
    EXECUTE s;
  END LOOP;
END $$;"#
    )
}

/// Of the databases (schemas on PostgreSQL) named, the templates of older builds of this
/// executable and the test databases of its killed processes.
fn stale_databases(rows: Vec<sea_orm::QueryResult>, template: &str) -> Vec<String> {
    let b = this_build();
    let ours = format!("xtpl_{}_", b.bin);
    let this = format!("xtpl_{}_{}_", b.bin, b.build);
    rows.into_iter()
        .filter_map(|r| r.try_get::<String>("", "name").ok())
        .filter(|n| n != template && ((n.starts_with(&ours) && !n.starts_with(&this)) || orphaned(n)))
        .collect()
}

/// A table in the template that says it is complete (MySQL has no schema comments).
const MYSQL_READY: &str = "xt_template_ready";

async fn mysql_template_ready(admin: &DatabaseConnection, template: &str) -> bool {
    let sql = format!(
        "SELECT 1 AS ok FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{template}' AND TABLE_NAME = '{MYSQL_READY}'"
    );
    admin.query_one_raw(stmt(admin, &sql)).await.expect("query information_schema").is_some()
}

/// Makes template database `template` on MySQL under a named lock held by `admin`'s session.
async fn make_mysql_template(
    admin: &DatabaseConnection,
    base: &str,
    template: &str,
    fill: &impl AsyncFn(&DatabaseConnection),
) {
    let lock = format!("'xtpl_{}'", this_build().bin);
    admin.execute_unprepared(&format!("DO GET_LOCK({lock}, 600)")).await.expect("named lock");
    if !mysql_template_ready(admin, template).await {
        admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {template}")).await.expect("drop");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {template} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
            .await
            .expect("create template");
        let conn = db::connect(&with_database(base, template), &DbOptions::default()).await.expect("template connects");
        db::migrate(&conn).await.expect("migrations apply");
        fill(&conn).await;
        let _ = conn.close().await;
        let names = admin
            .query_all_raw(stmt(
                admin,
                "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'xt%'",
            ))
            .await
            .expect("list databases");
        for name in stale_databases(names, template) {
            let _ = admin.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name}")).await;
        }
        admin
            .execute_unprepared(&format!("CREATE TABLE {template}.{MYSQL_READY} (ok INT)"))
            .await
            .expect("mark the template ready");
    }
    let _ = admin.execute_unprepared(&format!("DO RELEASE_LOCK({lock})")).await;
}

/// Copies the template's tables with their keys, indexes and rows into a new database, in
/// one round trip. `SHOW CREATE TABLE` keeps the foreign keys that `CREATE TABLE … LIKE`
/// would drop; they name their tables without a database, so they point into the copy.
async fn copy_mysql_database(admin: &DatabaseConnection, template: &str, target: &str) -> Result<(), String> {
    let list = format!(
        "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = '{template}' \
         AND TABLE_TYPE = 'BASE TABLE' AND TABLE_NAME <> '{MYSQL_READY}'"
    );
    let tables: Vec<String> = admin
        .query_all_raw(stmt(admin, &list))
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter_map(|r| r.try_get::<String>("", "name").ok())
        .collect();
    if tables.is_empty() {
        return Err(format!("template {template} has no tables"));
    }
    let mut script = format!(
        "CREATE DATABASE {target} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; USE {target}; \
         SET FOREIGN_KEY_CHECKS = 0;\n"
    );
    for t in &tables {
        let row = admin
            .query_one_raw(stmt(admin, &format!("SHOW CREATE TABLE {template}.`{t}`")))
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no DDL for {t}"))?;
        let ddl: String = row.try_get("", "Create Table").map_err(|e| e.to_string())?;
        script.push_str(&ddl);
        script.push_str(";\n");
    }
    for t in &tables {
        script.push_str(&format!("INSERT INTO `{t}` SELECT * FROM {template}.`{t}`;\n"));
    }
    script.push_str("SET FOREIGN_KEY_CHECKS = 1;");
    admin.execute_unprepared(&script).await.map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sea_orm::TransactionTrait;

    use super::*;

    /// Where a test database lives: its directory on SQLite, its name on a server.
    fn place(db: &TestDb) -> String {
        match (&db.cleanup, &db._dir) {
            (Cleanup::PgSchema { schema, .. }, _) => schema.clone(),
            (Cleanup::MySqlDatabase { name, .. }, _) => name.clone(),
            (Cleanup::None, dir) => dir.as_ref().expect("a directory").path().display().to_string(),
        }
    }

    /// A test that fails while holding a transaction open leaves no database behind
    /// (run it with `TEST_DATABASE_URL` set to try a server).
    #[test]
    fn a_failing_test_leaves_no_database_behind() {
        let (sender, receiver) = std::sync::mpsc::channel();
        let failed = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            rt.block_on(async {
                let db = TestDb::new().await;
                sender.send((db.backend, place(&db))).expect("send");
                let tx = db.conn.begin().await.expect("begin");
                tx.execute_unprepared("DELETE FROM sessions").await.expect("delete");
                panic!("the test fails with its transaction open");
            })
        })
        .join();
        assert!(failed.is_err());
        let (backend, place) = receiver.recv().expect("the test ran");
        let base = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
        let sql = match backend {
            DbBackend::Sqlite => return assert!(!Path::new(&place).exists(), "{place} remains"),
            DbBackend::Postgres => format!("SELECT 1 AS ok FROM pg_namespace WHERE nspname = '{place}'"),
            _ => format!("SELECT 1 AS ok FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '{place}'"),
        };
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        rt.block_on(async {
            let admin = admin(&base).await.expect("connects");
            assert!(admin.query_one_raw(stmt(&admin, &sql)).await.expect("query").is_none(), "{place} remains");
        });
    }

    #[tokio::test]
    async fn a_new_database_is_migrated_and_empty() {
        let db = TestDb::new().await;
        let (applied, pending) = db::migration_status(&db.conn).await.expect("status");
        assert!(!applied.is_empty() && pending.is_empty());
        let row = db.conn.query_one_raw(stmt(&db.conn, "SELECT COUNT(*) AS n FROM organizations")).await;
        assert_eq!(row.expect("count").expect("row").try_get::<i64>("", "n").expect("n"), 0);
        db.cleanup().await;
    }
}
