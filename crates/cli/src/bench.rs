//! `xuepei bench import`: generates a roster at scale over the real divisions of 湖南省
//! (about 29,500 villages and communities) — a 1,000,000-row CSV and a 100,000-row `.xlsx` —
//! imports each into SQLite and PostgreSQL, and prints rows per second and peak memory beside
//! two references measured in the same run on the same rows: a raw bulk insert through the
//! same driver, and the database's own bulk loader (`sqlite3`'s `.import`, `psql`'s `\copy`)
//! reading the rows' final column values into a copy of the persons table with the same
//! unique index (the import's table also has three more indexes and two foreign keys).
//!
//! Every measured step runs in a child process (`xuepei bench child …` or the database's
//! shell) so that its peak resident memory (VmHWM) is its own.

use std::collections::HashMap;
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use xuepei_domain::divisions::{self, Division, DivisionLevel};
use xuepei_domain::labels::Labeled;
use xuepei_domain::people::Gender;
use xuepei_domain::synth::Synth;
use xuepei_office::read::Source;
use xuepei_store::db::{self, DbOptions};
use xuepei_store::diag::{self, RawPerson};
use xuepei_store::imports::people::today_in_china;
use xuepei_store::{Actor, Scope, org};
use xuepei_web::jobs::{self, ImportKind};

use crate::config::Config;

pub(crate) const HUNAN: &str = include_str!("../../../assets/divisions/430000-hunan.csv");

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import a generated roster at scale and compare with a raw bulk insert.
    Import(ImportArgs),
    /// Serve the 1,000,000-person data and load pages with wrk, beside a trivial route.
    Web(WebArgs),
    /// One measured step, in its own process (used by `bench import`).
    #[command(hide = true)]
    Child(ChildArgs),
    /// Rotational training at province scale: coverage, training files, enrolment, planner, check-ins, filing overview.
    Training(crate::bench_training::TrainingArgs),
    /// Chinese full-text search over 1,000,000 study texts and people by any part of the name.
    Search(crate::bench_search::SearchArgs),
    /// Theory study over five years of records: oversight, a leader's progress, warnings, compliance.
    Study(crate::bench_study::StudyArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// People in the CSV roster.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// People in the .xlsx roster.
    #[arg(long, default_value_t = 100_000)]
    xlsx_rows: usize,
    /// PostgreSQL server to measure (a schema is created and dropped); "none" to skip.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pg: String,
    /// Where the generated files and the SQLite database go (default: a temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
    /// Measure PostgreSQL only.
    #[arg(long)]
    skip_sqlite: bool,
}

#[derive(Debug, Args)]
pub struct WebArgs {
    /// People loaded before measuring.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
    /// PostgreSQL server to measure (a schema is created and dropped); "none" to skip.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pg: String,
    /// Measure PostgreSQL only.
    #[arg(long)]
    skip_sqlite: bool,
    /// Seconds per page.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Concurrent connections.
    #[arg(long, default_value_t = 32)]
    connections: u32,
    /// Where the generated files and the SQLite database go (default: a temporary directory).
    #[arg(long)]
    work_dir: Option<PathBuf>,
    #[arg(long, default_value_t = 2026)]
    seed: u64,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Job {
    /// Our import of the file.
    Import,
    /// The raw reference: the file's rows parsed into memory first (untimed), then inserted.
    Raw,
}

#[derive(Debug, Args)]
pub struct ChildArgs {
    #[arg(long, value_enum)]
    job: Job,
    #[arg(long)]
    db: String,
    #[arg(long)]
    file: PathBuf,
}

pub async fn run(_cfg: &Config, what: BenchCommand) -> Result<ExitCode, String> {
    match what {
        BenchCommand::Import(a) => import_bench(a).await,
        BenchCommand::Web(a) => web_bench(a).await,
        BenchCommand::Child(c) => child(c).await,
        BenchCommand::Training(a) => crate::bench_training::run(a).await,
        BenchCommand::Search(a) => crate::bench_search::run(a).await,
        BenchCommand::Study(a) => crate::bench_study::run(a).await,
    }
}

/// A measurement printed by a child as one line of `key=value` pairs.
#[derive(Debug, Clone, Default)]
struct Measured {
    rows: u64,
    seconds: f64,
    peak_mb: f64,
}

impl Measured {
    /// The faster run, with the larger peak of the two.
    fn faster(self, other: Measured) -> Measured {
        let peak_mb = self.peak_mb.max(other.peak_mb);
        let m = if other.seconds < self.seconds { other } else { self };
        Measured { peak_mb, ..m }
    }
}

/// Imports the organisations' file through the import, as users load them; returns how
/// many were inserted.
pub(crate) async fn import_orgs(conn: &xuepei_store::DatabaseConnection, csv: &Path) -> Result<u64, String> {
    let job = jobs::ImportJob {
        kind: ImportKind::Orgs,
        source: Source::Path(csv.to_owned()),
        name: "bench".into(),
        dry_run: false,
        settings: jobs::ImportSettings::default(),
    };
    let out = jobs::import(conn, &Scope::system(), &Actor::operator("bench"), job).await.map_err(s)?;
    if !out.report.is_ok() {
        return Err(format!("组织导入失败：{:?}", out.report.errors.first()));
    }
    Ok(out.report.inserted)
}

/// An error as the benchmark's message.
pub(crate) fn s<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

/// Milliseconds since `t`.
pub(crate) fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// Percentile (nearest rank) of sorted milliseconds.
pub(crate) fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

pub(crate) fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// `?` placeholders as the backend writes them.
pub(crate) fn ph(b: sea_orm::DbBackend, sql: &str) -> String {
    if b != sea_orm::DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut out = String::new();
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// The machine's one-minute load average (other work sharing the cores skews a run).
pub(crate) fn load_average() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or(0.0)
}

pub(crate) fn peak_rss_mb() -> f64 {
    status_mb("VmHWM:")
}

/// A memory figure of this process's `/proc/self/status` (`VmHWM:`, `VmRSS:`), MB.
pub(crate) fn status_mb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

async fn child(c: ChildArgs) -> Result<ExitCode, String> {
    let conn = db::connect(&c.db, &DbOptions::default()).await.map_err(|e| e.to_string())?;
    let (rows, seconds) = match c.job {
        Job::Import => {
            let t = Instant::now();
            let job = jobs::ImportJob {
                kind: ImportKind::People,
                source: Source::Path(c.file.clone()),
                name: "bench".into(),
                dry_run: false,
                settings: jobs::ImportSettings::default(),
            };
            let out = jobs::import(&conn, &Scope::system(), &Actor::operator("bench"), job)
                .await
                .map_err(|e| e.to_string())?;
            if !out.report.is_ok() {
                return Err(format!("import failed: {:?}", out.report.errors.first()));
            }
            (out.report.inserted, t.elapsed().as_secs_f64())
        }
        Job::Raw => {
            let rows = load_raw(&conn, &c.file).await?;
            let t = Instant::now();
            diag::raw_insert_persons(&conn, &rows).await.map_err(|e| e.to_string())?;
            (rows.len() as u64, t.elapsed().as_secs_f64())
        }
    };
    println!("rows={rows} seconds={seconds:.3} peak_mb={:.1}", peak_rss_mb());
    Ok(ExitCode::SUCCESS)
}

/// The raw reference's rows: the generated file read with the simplest possible parser
/// (the bench's own format, no validation) and organisations looked up in a map.
async fn load_raw(conn: &xuepei_store::DatabaseConnection, file: &Path) -> Result<Vec<RawPerson>, String> {
    let paths = diag::org_paths(conn).await.map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    let wb = xuepei_office::read::Workbook::open(Source::Path(file.to_owned())).map_err(|e| e.to_string())?;
    let mut header_seen = false;
    let mut err = None;
    wb.read_sheet(0, |row| {
        if !header_seen {
            header_seen = true;
            return std::ops::ControlFlow::Continue(());
        }
        match raw_row(&row.cells, &paths) {
            Some(r) => out.push(r),
            None => {
                err = Some(format!("bad generated row {}", row.number));
                return std::ops::ControlFlow::Break(());
            }
        }
        std::ops::ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())?;
    match err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn raw_row(c: &[String], paths: &HashMap<String, (i64, String, &'static str)>) -> Option<RawPerson> {
    let (org_id, org_path, org_sector) = paths.get(c.get(8)?)?.clone();
    Some(RawPerson {
        name: c.first()?.clone(),
        id_number: c.get(1)?.clone(),
        gender: if c.get(2)? == "男" { Gender::Male.code() } else { Gender::Female.code() },
        birth_date: c.get(3)?.parse().ok()?,
        phone: c.get(4).cloned(),
        party_joined_on: c.get(5)?.parse().ok(),
        position: c.get(6).cloned(),
        rank_level: Some("other"),
        roles: 4,
        org_id,
        org_path,
        org_sector,
    })
}

/// The columns an import writes, in the order of the bulk loaders' CSV.
const VALUE_COLUMNS: [&str; 21] = [
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
    "ethnicity",
    "native_place",
    "education",
    "degree",
    "work_started_on",
    "position_since",
    "created_at",
    "updated_at",
];

/// The roster's rows as the final column values of `persons` (what the bulk loaders read):
/// organisations resolved, NULL as an empty field, instants as sqlx writes them on SQLite.
async fn write_values_csv(conn: &xuepei_store::DatabaseConnection, roster: &Path, out: &Path) -> Result<(), String> {
    let paths = diag::org_paths(conn).await.map_err(|e| e.to_string())?;
    let stamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false);
    let mut w = csv::Writer::from_writer(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(out).map_err(|e| e.to_string())?,
    ));
    w.write_record(VALUE_COLUMNS).map_err(|e| e.to_string())?;
    let wb = xuepei_office::read::Workbook::open(Source::Path(roster.to_owned())).map_err(|e| e.to_string())?;
    let mut err = None;
    let mut header_seen = false;
    wb.read_sheet(0, |row| {
        if !header_seen {
            header_seen = true;
            return std::ops::ControlFlow::Continue(());
        }
        let Some(r) = raw_row(&row.cells, &paths) else {
            err = Some(format!("bad generated row {}", row.number));
            return std::ops::ControlFlow::Break(());
        };
        let opt = |v: Option<String>| v.unwrap_or_default();
        let record = [
            r.name,
            r.gender.to_owned(),
            r.birth_date.to_string(),
            r.id_number,
            opt(r.phone),
            opt(r.party_joined_on.map(|d| d.to_string())),
            opt(r.position),
            opt(r.rank_level.map(str::to_owned)),
            r.roles.to_string(),
            r.org_id.to_string(),
            r.org_path,
            r.org_sector.to_owned(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            stamp.clone(),
            stamp.clone(),
        ];
        if let Err(e) = w.write_record(&record) {
            err = Some(e.to_string());
            return std::ops::ControlFlow::Break(());
        }
        std::ops::ControlFlow::Continue(())
    })
    .map_err(|e| e.to_string())?;
    if let Some(e) = err {
        return Err(e);
    }
    w.flush().map_err(|e| e.to_string())
}

/// Which copy of `persons` a bulk loader fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reference {
    /// The same columns and unique index only (the reference the target is set against).
    Unique,
    /// Also the other indexes and the foreign key of every row: what the import maintains.
    Full,
}

/// The database's own bulk loader, the physical reference: the rows' final values loaded
/// from CSV into a copy of `persons`, in one transaction, by the database's shell run as a
/// child process (timed from start to exit).
enum Loader {
    /// `sqlite3`'s `.import`: the unique copy in a scratch file, the full one in the
    /// benchmark's database (its foreign key needs `organizations`); the page cache is the
    /// one the import's connection gets.
    Sqlite { scratch: PathBuf, bench: PathBuf },
    /// `psql`'s `\copy` into tables of the benchmark's schema.
    Postgres { url: String, schema: String },
}

/// The shells the references need, or a polite refusal.
fn check_shells(sqlite: bool, pg: bool) -> Result<(), String> {
    let has =
        |program: &str| std::process::Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success());
    if sqlite && !has("sqlite3") {
        return Err(
            "未找到 sqlite3 命令行工具，基准需要用它的 .import 作参照（Debian：apt-get install sqlite3）".into()
        );
    }
    if pg && !has("psql") {
        return Err(
            "未找到 psql，基准需要用它的 \\copy 作参照（Debian：apt-get install postgresql-client），或用 --pg none 跳过 PostgreSQL"
                .into(),
        );
    }
    Ok(())
}

/// SQLite's `persons` columns as the migrations make them (`rowid` stands in for `id`:
/// `.import` fills every column it is given, and cannot write NULL, so the full copy's
/// only foreign key is the organisation's — the import's rows have no managing one).
const SQLITE_REFERENCE_COLUMNS: &str = "name varchar(60) NOT NULL, gender varchar(8) NOT NULL,
  birth_date date_text NOT NULL, id_number varchar(18) NOT NULL, phone varchar(20), party_joined_on date_text,
  position varchar(200), rank_level varchar(16), roles integer NOT NULL DEFAULT 0, org_id integer NOT NULL,
  org_path varchar(512) NOT NULL, org_sector varchar(32) NOT NULL, managing_org_id integer, ethnicity varchar(20),
  native_place varchar(60), education varchar(60), degree varchar(60), work_started_on date_text,
  position_since date_text, created_at timestamp_with_timezone_text NOT NULL,
  updated_at timestamp_with_timezone_text NOT NULL";

/// `PRAGMA cache_size` of the SQLite references: what the import's connection uses.
const SQLITE_REFERENCE_CACHE: &str = "-65536";

impl Loader {
    async fn prepare(target: &Target, conn: &xuepei_store::DatabaseConnection, dir: &Path) -> Result<Loader, String> {
        match (&target.drop_schema, &target.sqlite_file) {
            (Some((base, schema)), _) => {
                for copy in [Reference::Unique, Reference::Full] {
                    let table = format!("{schema}.{}", Self::table(copy));
                    diag::create_reference_table(conn, &table, copy == Reference::Full)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok(Loader::Postgres { url: base.clone(), schema: schema.clone() })
            }
            (None, Some(bench)) => Ok(Loader::Sqlite { scratch: dir.join("reference.db"), bench: bench.clone() }),
            (None, None) => Err("no database for the reference".into()),
        }
    }

    fn table(copy: Reference) -> &'static str {
        match copy {
            Reference::Unique => "bench_reference",
            Reference::Full => "bench_reference_full",
        }
    }

    /// Loads `values` into an empty copy of the table and checks that every row arrived.
    async fn load(
        &self,
        conn: &xuepei_store::DatabaseConnection,
        copy: Reference,
        values: &Path,
        rows: u64,
    ) -> Result<Measured, String> {
        let path = values.to_str().filter(|p| !p.contains(['\'', '"'])).ok_or("工作目录的路径不能含引号")?;
        let table = Self::table(copy);
        let (seconds, loaded) = match self {
            Loader::Sqlite { scratch, bench } => {
                let file = match copy {
                    Reference::Unique => {
                        for suffix in ["", "-wal", "-shm"] {
                            let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
                        }
                        scratch
                    }
                    Reference::Full => bench,
                };
                let mut ddl = format!(
                    "PRAGMA journal_mode = WAL;\nDROP TABLE IF EXISTS {table};\nCREATE TABLE {table} ({SQLITE_REFERENCE_COLUMNS}"
                );
                match copy {
                    Reference::Unique => ddl.push_str(");\n"),
                    Reference::Full => ddl.push_str(&format!(
                        ", FOREIGN KEY (org_id) REFERENCES organizations (id));
CREATE INDEX ix_{table}_org_path ON {table} (org_path);
CREATE INDEX ix_{table}_org ON {table} (org_id);
CREATE INDEX ix_{table}_name ON {table} (name);\n"
                    )),
                }
                ddl.push_str(&format!("CREATE UNIQUE INDEX ux_{table}_id_number ON {table} (id_number);\n"));
                shell("sqlite3", &[file.as_os_str()], &ddl)?;
                let script = format!(
                    "PRAGMA foreign_keys = ON;\nPRAGMA synchronous = NORMAL;\nPRAGMA cache_size = {SQLITE_REFERENCE_CACHE};\n.bail on\n.mode csv\n.import --skip 1 \"{path}\" {table}\n"
                );
                let t = Instant::now();
                shell("sqlite3", &[file.as_os_str()], &script)?;
                let seconds = t.elapsed().as_secs_f64();
                let count = shell("sqlite3", &[file.as_os_str()], &format!("SELECT count(*) FROM {table};\n"))?;
                if copy == Reference::Full {
                    shell("sqlite3", &[file.as_os_str()], &format!("DROP TABLE {table};\n"))?;
                }
                (seconds, count.trim().parse::<u64>().unwrap_or(0))
            }
            Loader::Postgres { url, schema } => {
                let table = format!("{schema}.{table}");
                diag::clear_reference_table(conn, &table, false).await.map_err(|e| e.to_string())?;
                let copy = format!(
                    "\\copy {table} ({}) FROM '{path}' WITH (FORMAT csv, HEADER true)",
                    VALUE_COLUMNS.join(", ")
                );
                let args = [url.as_ref(), "-X".as_ref(), "-q".as_ref(), "-v".as_ref(), "ON_ERROR_STOP=1".as_ref()];
                let t = Instant::now();
                shell("psql", &[&args[..], &["-c".as_ref(), copy.as_ref()]].concat(), "")?;
                let seconds = t.elapsed().as_secs_f64();
                (seconds, diag::count_rows(conn, &table).await.map_err(|e| e.to_string())?)
            }
        };
        if loaded != rows {
            return Err(format!("参照装载只写入了 {loaded} 行（应为 {rows} 行）"));
        }
        Ok(Measured { rows, seconds, peak_mb: 0.0 })
    }

    async fn drop_tables(&self, conn: &xuepei_store::DatabaseConnection) -> Result<(), String> {
        match self {
            Loader::Sqlite { scratch, .. } => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", scratch.display()));
                }
            }
            Loader::Postgres { schema, .. } => {
                for copy in [Reference::Unique, Reference::Full] {
                    let table = format!("{schema}.{}", Self::table(copy));
                    diag::clear_reference_table(conn, &table, true).await.map_err(|e| e.to_string())?;
                }
            }
        }
        Ok(())
    }
}

/// Runs a database shell with `input` on its standard input; its standard output.
fn shell(program: &str, args: &[&std::ffi::OsStr], input: &str) -> Result<String, String> {
    use std::io::Write;
    let mut child = std::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("{program}: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(input.as_bytes()).map_err(|e| format!("{program}: {e}"))?;
    }
    let out = child.wait_with_output().map_err(|e| format!("{program}: {e}"))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() || !stderr.trim().is_empty() {
        return Err(format!("{program} 失败：{}", stderr.trim()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

const ROSTER_HEADER: [&str; 9] =
    ["姓名", "身份证号", "性别", "出生日期", "联系电话", "入党时间", "职务", "身份", "所在党组织"];

/// One generated person as the cells of the bench's roster.
fn person_cells(s: &mut Synth, village: &Division, today: chrono::NaiveDate) -> [String; 9] {
    let gender = s.gender(0.55);
    let birth = s.birth_date(today, 25, 60);
    let id = s.id_number(&village.code[..6], birth, gender);
    let birth = chrono::NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").unwrap_or(birth);
    let joined = s.party_joined_on(birth, today);
    [
        s.name(gender),
        id,
        gender.label().to_owned(),
        birth.to_string(),
        s.mobile(),
        joined.to_string(),
        format!("{}党员", village.short_name()),
        "委员".to_owned(),
        village.code.clone(),
    ]
}

pub(crate) fn villages(divs: &[Division]) -> Vec<&Division> {
    divs.iter().filter(|d| d.level == DivisionLevel::Village).collect()
}

pub(crate) fn write_orgs_csv(divs: &[Division], path: &Path) -> Result<usize, String> {
    let names: HashMap<&str, &str> = divs.iter().map(|d| (d.code.as_str(), d.name.as_str())).collect();
    let mut w = csv::Writer::from_path(path).map_err(|e| e.to_string())?;
    w.write_record(["组织代码", "组织名称", "简称", "上级组织", "组织类别", "所属领域"]).map_err(|e| e.to_string())?;
    for d in divs {
        let county = if d.code.len() >= 9 { names.get(&d.code[..6]).copied() } else { None };
        let town = if d.code.len() == 12 { names.get(&d.code[..9]).copied() } else { None };
        w.write_record([
            d.code.as_str(),
            &d.party_org_name(county, town),
            &d.short_name(),
            d.parent_code.as_deref().unwrap_or(""),
            d.org_kind().label(),
            d.sector().label(),
        ])
        .map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())?;
    Ok(divs.len())
}

fn write_roster_csv(s: &mut Synth, vs: &[&Division], n: usize, path: &Path) -> Result<(), String> {
    let today = today_in_china();
    let mut w = csv::Writer::from_writer(BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(path).map_err(|e| e.to_string())?,
    ));
    w.write_record(ROSTER_HEADER).map_err(|e| e.to_string())?;
    for i in 0..n {
        w.write_record(person_cells(s, vs[i % vs.len()], today)).map_err(|e| e.to_string())?;
    }
    w.flush().map_err(|e| e.to_string())?;
    Ok(())
}

fn write_roster_xlsx(s: &mut Synth, vs: &[&Division], n: usize, path: &Path) -> Result<(), String> {
    use rust_xlsxwriter::{Format, Workbook};
    let today = today_in_china();
    let mut wb = Workbook::new();
    let text = Format::new().set_num_format("@");
    let ws = wb.add_worksheet_with_constant_memory().map_err(|e| e.to_string())?;
    for (c, h) in ROSTER_HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h).map_err(|e| e.to_string())?;
    }
    for i in 0..n {
        // Offset so that the xlsx people live in other villages than the first CSV rows.
        let cells = person_cells(s, vs[(i * 7 + 3) % vs.len()], today);
        for (c, v) in cells.iter().enumerate() {
            ws.write_string_with_format(i as u32 + 1, c as u16, v, &text).map_err(|e| e.to_string())?;
        }
    }
    wb.save(path).map_err(|e| e.to_string())
}

fn measure(db_url: &str, job: Job, file: &Path) -> Result<Measured, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let job = match job {
        Job::Import => "import",
        Job::Raw => "raw",
    };
    let out = std::process::Command::new(exe)
        .args(["bench", "child", "--job", job, "--db", db_url, "--file"])
        .arg(file)
        .env("XUEPEI_LOG", std::env::var("XUEPEI_LOG").unwrap_or_else(|_| "warn".into()))
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "{job} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_default();
    let get = |k: &str| {
        line.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{k}=")))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    Ok(Measured { rows: get("rows") as u64, seconds: get("seconds"), peak_mb: get("peak_mb") })
}

pub(crate) struct Target {
    pub(crate) label: &'static str,
    pub(crate) url: String,
    /// SQLite: the database file.
    pub(crate) sqlite_file: Option<PathBuf>,
    pub(crate) drop_schema: Option<(String, String)>,
}

/// The databases to measure: a fresh SQLite file unless skipped, and a new schema on the
/// PostgreSQL server unless `pg` is "none".
pub(crate) async fn targets(sqlite: Option<PathBuf>, pg: &str, prefix: &str) -> Result<Vec<Target>, String> {
    if let Some(file) = &sqlite {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", file.display()));
        }
    }
    target_list(sqlite, pg, &format!("{prefix}_{}", std::process::id()), true).await
}

/// Like [`targets`], but the SQLite file is kept as it is and the PostgreSQL schema has a
/// fixed name and is not dropped: a benchmark's data loaded once, measured many times.
pub(crate) async fn kept_targets(sqlite: Option<PathBuf>, pg: &str, schema: &str) -> Result<Vec<Target>, String> {
    target_list(sqlite, pg, schema, false).await
}

async fn target_list(sqlite: Option<PathBuf>, pg: &str, schema: &str, drop: bool) -> Result<Vec<Target>, String> {
    let mut targets = Vec::new();
    if let Some(file) = sqlite {
        targets.push(Target {
            label: "SQLite",
            url: db::sqlite_url(&file).map_err(|e| e.to_string())?,
            sqlite_file: Some(file),
            drop_schema: None,
        });
    }
    if pg != "none" {
        let sep = if pg.contains('?') { '&' } else { '?' };
        db::connect(pg, &DbOptions { max_connections: 1, pg_schema: Some(schema.to_owned()) })
            .await
            .map_err(|e| e.to_string())?;
        targets.push(Target {
            label: "PostgreSQL",
            url: format!("{pg}{sep}options=-c%20search_path%3D{schema}"),
            sqlite_file: None,
            drop_schema: drop.then(|| (pg.to_owned(), schema.to_owned())),
        });
    }
    Ok(targets)
}

async fn import_bench(a: ImportArgs) -> Result<ExitCode, String> {
    check_shells(!a.skip_sqlite, a.pg != "none")?;
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = a.work_dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let divs = divisions::parse_csv(HUNAN)?;
    let vs = villages(&divs);
    println!("湖南省区划：{} 个组织，其中村和社区 {} 个", divs.len(), vs.len());

    let t = Instant::now();
    let orgs_csv = dir.join("hunan-orgs.csv");
    write_orgs_csv(&divs, &orgs_csv)?;
    let mut synth = Synth::new(a.seed);
    let roster_csv = dir.join(format!("roster-{}.csv", a.rows));
    write_roster_csv(&mut synth, &vs, a.rows, &roster_csv)?;
    let roster_xlsx = dir.join(format!("roster-{}.xlsx", a.xlsx_rows));
    write_roster_xlsx(&mut synth, &vs, a.xlsx_rows, &roster_xlsx)?;
    let mb = |p: &Path| std::fs::metadata(p).map(|m| m.len() as f64 / 1_048_576.0).unwrap_or(0.0);
    println!(
        "生成数据 {:.1}s：{}（{:.1} MB），{}（{:.1} MB）",
        t.elapsed().as_secs_f64(),
        roster_csv.display(),
        mb(&roster_csv),
        roster_xlsx.display(),
        mb(&roster_xlsx)
    );

    let targets = targets((!a.skip_sqlite).then(|| dir.join("bench.db")), &a.pg, "bench").await?;

    let mut table = Vec::new();
    let mut notes = Vec::new();
    for target in &targets {
        let conn = db::connect(&target.url, &DbOptions::default()).await.map_err(|e| e.to_string())?;
        db::migrate(&conn).await.map_err(|e| e.to_string())?;
        let t = Instant::now();
        let job = jobs::ImportJob {
            kind: ImportKind::Orgs,
            source: Source::Path(orgs_csv.clone()),
            name: "bench".into(),
            dry_run: false,
            settings: jobs::ImportSettings::default(),
        };
        let out =
            jobs::import(&conn, &Scope::system(), &Actor::operator("bench"), job).await.map_err(|e| e.to_string())?;
        if !out.report.is_ok() {
            return Err(format!("组织导入失败：{:?}", out.report.errors.first()));
        }
        let org_secs = t.elapsed().as_secs_f64();
        notes.push(format!(
            "{}：导入湖南省 {} 个组织用时 {:.1}s（{:.0} 行/秒）",
            target.label,
            out.report.inserted,
            org_secs,
            out.report.inserted as f64 / org_secs
        ));
        notes.extend(subtree_timings(&conn, target.label).await?);
        let loader = Loader::prepare(target, &conn, &dir).await?;

        for (input, file, rows) in [("CSV", &roster_csv, a.rows), ("XLSX", &roster_xlsx, a.xlsx_rows)] {
            let values = dir.join(format!("values-{}-{}.csv", target.label.to_lowercase(), rows));
            write_values_csv(&conn, file, &values).await?;
            // Runs of a few seconds vary much from one to the next: the fastest of three.
            let runs = if rows <= 200_000 { 3 } else { 1 };
            let mut best: Option<[Measured; 4]> = None;
            let load_before = load_average();
            for _ in 0..runs {
                let unique = loader.load(&conn, Reference::Unique, &values, rows as u64).await?;
                let full = loader.load(&conn, Reference::Full, &values, rows as u64).await?;
                diag::reset_people(&conn).await.map_err(|e| e.to_string())?;
                let raw = measure(&target.url, Job::Raw, file)?;
                diag::reset_people(&conn).await.map_err(|e| e.to_string())?;
                let imp = measure(&target.url, Job::Import, file)?;
                let run = [imp, unique, full, raw];
                best = Some(match best {
                    Some(b) => std::array::from_fn(|i| b[i].clone().faster(run[i].clone())),
                    None => run,
                });
            }
            let _ = std::fs::remove_file(&values);
            if let Some(best) = best {
                table.push((target.label, input, runs, (load_before, load_average()), best));
            }
        }
        loader.drop_tables(&conn).await?;
        let _ = conn.close().await;
        if let Some((base, schema)) = &target.drop_schema {
            db::drop_pg_schema(base, schema).await.map_err(|e| e.to_string())?;
        }
    }

    println!();
    for n in &notes {
        println!("{n}");
    }
    println!();
    println!(
        "| 数据库 | 文件 | 行数 | 测量次数（取最快） | 负载（前→后） | 导入 行/秒 | 批量装载（同唯一索引） 行/秒 | 导入/批量装载 | 批量装载（persons 全部索引和外键） 行/秒 | 导入/它 | 原始批量插入 行/秒 | 导入/原始 | 导入峰值内存 MB | 原始插入峰值内存 MB |"
    );
    println!("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (db_label, input, runs, (load_before, load_after), [imp, unique, full, raw]) in &table {
        let rate = |m: &Measured| m.rows as f64 / m.seconds.max(1e-9);
        let loader = if *db_label == "SQLite" { "sqlite3 .import" } else { "psql \\copy" };
        println!(
            "| {db_label} | {input} | {} | {runs} | {load_before:.1}→{load_after:.1} | {:.0} | {:.0}（{loader}） | {:.0}% | {:.0} | {:.0}% | {:.0} | {:.0}% | {:.0} | {:.0} |",
            imp.rows,
            rate(imp),
            rate(unique),
            100.0 * rate(imp) / rate(unique),
            rate(full),
            100.0 * rate(imp) / rate(full),
            rate(raw),
            100.0 * rate(imp) / rate(raw),
            imp.peak_mb,
            raw.peak_mb
        );
    }
    if a.work_dir.is_none() {
        drop(tmp);
    }
    Ok(ExitCode::SUCCESS)
}

/// Subtree reads at province scale: totals of the province, a city and a county, and the
/// province's children, each timed (median of 20) with the plan's first line.
async fn subtree_timings(conn: &xuepei_store::DatabaseConnection, label: &str) -> Result<Vec<String>, String> {
    let sys = Scope::system();
    let mut out = Vec::new();
    for code in ["430000", "430600", "430626"] {
        let o = org::get_by_code(conn, &sys, code).await.map_err(|e| e.to_string())?;
        let mut times = Vec::new();
        let mut totals = None;
        for _ in 0..20 {
            let t = Instant::now();
            totals = Some(org::subtree_totals(conn, &sys, o.id).await.map_err(|e| e.to_string())?);
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        let plan = diag::explain_subtree(conn, &o.path, false).await.map_err(|e| e.to_string())?;
        let uses_index = plan.contains("ix_organizations_path");
        out.push(format!(
            "{label}：{}（{}）子树统计 {} 个组织，中位数 {:.2} ms，{}",
            o.display_name(),
            code,
            totals.map_or(0, |t| t.orgs),
            times[times.len() / 2],
            if uses_index {
                "走路径索引"
            } else {
                "全表扫描（该范围覆盖大部分行时优化器的选择）"
            }
        ));
    }
    Ok(out)
}

/// What wrk measured for one page.
#[derive(Debug, Clone, Default)]
struct Load {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: u64,
}

fn parse_duration_ms(s: &str) -> f64 {
    let (num, unit) = s.trim().split_at(s.trim().find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len()));
    let v: f64 = num.parse().unwrap_or(0.0);
    match unit {
        "us" => v / 1000.0,
        "s" => v * 1000.0,
        "m" => v * 60_000.0,
        _ => v,
    }
}

fn parse_wrk(out: &str) -> Load {
    let mut l = Load::default();
    for line in out.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("50%") {
            l.p50_ms = parse_duration_ms(v);
        } else if let Some(v) = t.strip_prefix("99%") {
            l.p99_ms = parse_duration_ms(v);
        } else if let Some(v) = t.strip_prefix("Requests/sec:") {
            l.rps = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = t.strip_prefix("Non-2xx or 3xx responses:") {
            l.errors += v.trim().parse::<u64>().unwrap_or(0);
        } else if let Some(v) = t.strip_prefix("Socket errors:") {
            l.errors += v.split(',').filter_map(|p| p.split_whitespace().last()?.parse::<u64>().ok()).sum::<u64>();
        }
    }
    l
}

async fn wrk(url: &str, cookie: &str, duration: u64, connections: u32) -> Result<Load, String> {
    let out = tokio::process::Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connections}"),
            &format!("-d{duration}s"),
            "--latency",
            "-H",
            &format!("Cookie: {cookie}"),
            url,
        ])
        .output()
        .await
        .map_err(|_| "未找到 wrk，请先安装（Debian：apt-get install wrk）".to_owned())?;
    if !out.status.success() {
        return Err(format!("wrk 失败：{}", String::from_utf8_lossy(&out.stderr)));
    }
    Ok(parse_wrk(&String::from_utf8_lossy(&out.stdout)))
}

async fn web_bench(a: WebArgs) -> Result<ExitCode, String> {
    use xuepei_domain::accounts::{AccountRole, AccountRoles};
    use xuepei_store::accounts::{self, NewAccount, SecurityPolicy};
    let tmp = tempfile::tempdir().map_err(|e| e.to_string())?;
    let dir = a.work_dir.clone().unwrap_or_else(|| tmp.path().to_owned());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let divs = divisions::parse_csv(HUNAN)?;
    let vs = villages(&divs);
    let orgs_csv = dir.join("hunan-orgs.csv");
    write_orgs_csv(&divs, &orgs_csv)?;
    let roster_csv = dir.join(format!("roster-{}.csv", a.rows));
    if !roster_csv.exists() {
        write_roster_csv(&mut Synth::new(a.seed), &vs, a.rows, &roster_csv)?;
    }
    let targets = targets((!a.skip_sqlite).then(|| dir.join("bench-web.db")), &a.pg, "benchweb").await?;
    let operator = Actor::operator("bench");
    let mut table = Vec::new();
    for target in &targets {
        let conn = db::connect(&target.url, &DbOptions::default()).await.map_err(|e| e.to_string())?;
        db::migrate(&conn).await.map_err(|e| e.to_string())?;
        for (kind, file) in [(ImportKind::Orgs, &orgs_csv), (ImportKind::People, &roster_csv)] {
            let t = Instant::now();
            let job = jobs::ImportJob {
                kind,
                source: Source::Path(file.clone()),
                name: "bench".into(),
                dry_run: false,
                settings: jobs::ImportSettings::default(),
            };
            let out = jobs::import(&conn, &Scope::system(), &operator, job).await.map_err(|e| e.to_string())?;
            if !out.report.is_ok() {
                return Err(format!("数据准备失败：{:?}", out.report.errors.first()));
            }
            println!("{}：导入{}行用时 {:.1}s", target.label, out.report.inserted, t.elapsed().as_secs_f64());
        }
        let province = org::get_by_code(&conn, &Scope::system(), "430000").await.map_err(|e| e.to_string())?;
        let password = "Load@2026test";
        let tx = xuepei_store::Tx::begin(&conn, &Scope::system(), &operator).await.map_err(|e| e.to_string())?;
        let new = NewAccount {
            username: "bench".into(),
            display_name: "基准测试".into(),
            person_id: None,
            org_id: province.id,
            scope_org_id: province.id,
            roles: AccountRoles::of(&[AccountRole::OrgStaff]),
            password: password.into(),
            must_change_password: false,
        };
        accounts::create(&tx, &new).await.map_err(crate::commands::explain)?;
        tx.commit().await.map_err(|e| e.to_string())?;

        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let base = format!("http://{}", listener.local_addr().map_err(|e| e.to_string())?);
        let state =
            xuepei_web::AppState::new(conn.clone(), xuepei_web::WebConfig::default(), SecurityPolicy::default());
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(xuepei_web::serve(listener, state, async move {
            let _ = stop_rx.await;
        }));
        let cookie = sign_in(&base, "bench", password).await?;
        // A page deep in the filtered list: the cursor of a village 80% of the way down.
        let mut paths: Vec<String> = org::all(&conn, &Scope::system(), &Default::default())
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|o| o.sector == xuepei_domain::org::Sector::Village)
            .map(|o| o.path)
            .collect();
        paths.sort();
        let deep = paths.get(paths.len() * 4 / 5).cloned().unwrap_or_default();
        let pages = [
            ("参考：/healthz", "/healthz".to_owned()),
            ("人员列表首页", "/people".to_owned()),
            (
                "人员列表（领域=村，深处一页）",
                format!("/people?sector=village&after={}", xuepei_web_enc(&format!("{deep}\t0"))),
            ),
            ("首页统计（含图表）", "/".to_owned()),
        ];
        let client = reqwest::Client::new();
        for (label, path) in &pages {
            let r = client
                .get(format!("{base}{path}"))
                .header("cookie", &cookie)
                .send()
                .await
                .map_err(|e| e.to_string())?;
            if r.status() != 200 {
                return Err(format!("{label} 返回 {}", r.status()));
            }
            let load = wrk(&format!("{base}{path}"), &cookie, a.duration, a.connections).await?;
            println!("{} {label}：{:.0} 请求/秒，p99 {:.1} ms", target.label, load.rps, load.p99_ms);
            table.push((target.label, *label, load));
        }
        let _ = stop_tx.send(());
        let _ = server.await;
        let _ = conn.close().await;
        if let Some((base, schema)) = &target.drop_schema {
            db::drop_pg_schema(base, schema).await.map_err(|e| e.to_string())?;
        }
    }
    println!();
    println!("| 数据库 | 页面 | 请求/秒 | p50 ms | p99 ms | 吞吐/参考 | 错误 |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    for (db_label, page, l) in &table {
        let reference = table
            .iter()
            .find(|(d, p, _)| d == db_label && p.starts_with("参考"))
            .map_or(1.0, |(_, _, r)| r.rps.max(1e-9));
        println!(
            "| {db_label} | {page} | {:.0} | {:.1} | {:.1} | {:.0}% | {} |",
            l.rps,
            l.p50_ms,
            l.p99_ms,
            100.0 * l.rps / reference,
            l.errors
        );
    }
    if a.work_dir.is_none() {
        drop(tmp);
    }
    Ok(ExitCode::SUCCESS)
}

fn xuepei_web_enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Signs in through the pages and returns the session cookie.
pub(crate) async fn sign_in(base: &str, username: &str, password: &str) -> Result<String, String> {
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().map_err(|e| e.to_string())?;
    let page = client.get(format!("{base}/login")).send().await.map_err(|e| e.to_string())?;
    let login_cookie = page
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_owned();
    let body = page.text().await.map_err(|e| e.to_string())?;
    let token =
        body.split("name=\"_csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or_default().to_owned();
    let r = client
        .post(format!("{base}/login"))
        .header("cookie", login_cookie)
        .form(&[("_csrf", token.as_str()), ("username", username), ("password", password), ("next", "/")])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    r.headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .filter(|c| c.starts_with("xp_session="))
        .map(str::to_owned)
        .ok_or_else(|| "登录失败".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_output_is_read() {
        let out = "Running 1s test\n  Latency Distribution\n     50%  812.00us\n     75%    1.20ms\n     99%   12.50ms\n  1000 requests\nRequests/sec:   2345.67\nNon-2xx or 3xx responses: 3\n";
        let l = parse_wrk(out);
        assert!((l.p50_ms - 0.812).abs() < 1e-9);
        assert!((l.p99_ms - 12.5).abs() < 1e-9);
        assert!((l.rps - 2345.67).abs() < 1e-9);
        assert_eq!(l.errors, 3);
    }
}
