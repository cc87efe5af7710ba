//! `xuepei bench training`: the rotational-training figures of issue 12 on the 湖南省
//! dataset (about 29,500 villages and communities, 1,000,000 people), each beside a
//! reference measured in the same run on the same database:
//!
//! * the coverage page (summary from the maintained counts plus the first page of missing
//!   names) for the province and for one county — beside a plain `COUNT(*)` of the people
//!   in the same subtree range;
//! * one person's training file (records and credit status) — beside reading their row;
//! * a bulk enrolment of 10,000 people — beside a raw multi-row insert of the same rows;
//! * the batch planner for 30,000 and 620,000 trainees, with `planner::check` — beside
//!   sorting the trainees by the planner's order (the O(n log n) floor);
//! * 500 check-ins fired at once, each counted exactly once — beside 500 concurrent
//!   one-row insert transactions;
//! * the receiving body's filing overview (`bench_filings`) and a 100-person class's
//!   certificates as one PDF and their verification under 32 clients (`bench_certificates`).
//!
//! The data: the province's organisations through the import, people through the
//! benchmark-only raw insert (every village's first person its secretary, the second its
//! deputy), a campaign for every village and community secretary, and five years of credit
//! history (5 records a person by default) written by one `INSERT … SELECT` per backend.

use crate::bench::{load_average, ms, pct, ph, s, sorted};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use chrono::{Days, NaiveDate, Timelike};
use clap::Args;
use sea_orm::sea_query::{Alias, Query};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use xuepei_domain::divisions;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::{Sector, path};
use xuepei_domain::people::{Gender, Role, Roles};
use xuepei_domain::synth::Synth;
use xuepei_domain::training::checkin;
use xuepei_domain::training::numbers::Fraction;
use xuepei_domain::training::planner::{self, Calendar, Duty, PlanInput, Trainee};
use xuepei_domain::training::rules::{BatchLengthRule, CampaignRules, TargetFilter};
use xuepei_store::campaigns::{self, CampaignInput};
use xuepei_store::classes::sessions::{self, SessionInput};
use xuepei_store::classes::{self, ClassInput};
use xuepei_store::db::{self, DbOptions};
use xuepei_store::diag::{self, RawPerson};
use xuepei_store::enrolments::{self, PersonRef};
use xuepei_store::page::At;
use xuepei_store::targets::{self, ProgressFilter, TargetQuery};
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, coverage, credits, org};

use crate::bench::{HUNAN, peak_rss_mb, targets as bench_targets, villages, write_orgs_csv};

#[derive(Debug, Clone, Args)]
pub struct TrainingArgs {
    /// People loaded (every village's first person is its secretary).
    #[arg(long, default_value_t = 1_000_000)]
    pub people: usize,
    /// Credit records of history (default: 5 a person, one a year over 5 years).
    #[arg(long)]
    pub credits: Option<usize>,
    /// The SQLite database file (replaced; default: in a temporary directory).
    #[arg(long)]
    pub sqlite: Option<PathBuf>,
    /// Measure PostgreSQL only.
    #[arg(long)]
    pub skip_sqlite: bool,
    /// PostgreSQL server to measure (a schema is created and dropped); "none" to skip.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg: String,
    /// People in the bulk enrolment.
    #[arg(long, default_value_t = 10_000)]
    pub enrol: usize,
    /// Check-ins fired at once.
    #[arg(long, default_value_t = 500)]
    pub checkins: usize,
    /// Trainees of the two planner runs.
    #[arg(long, default_value_t = 30_000)]
    pub planner_small: usize,
    #[arg(long, default_value_t = 620_000)]
    pub planner_large: usize,
    /// Reads per page measure.
    #[arg(long, default_value_t = 100)]
    pub samples: usize,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Only this division's subtree (and the province above it): a quick run on one city
    /// or county, e.g. 430626.
    #[arg(long, default_value = "430000")]
    pub area: String,
    /// Seconds of each load run on `/verify/<code>` and its reference, 32 clients.
    #[arg(long, default_value_t = 10)]
    pub verify_seconds: u64,
}

impl Default for TrainingArgs {
    fn default() -> Self {
        TrainingArgs {
            people: 1_000_000,
            credits: None,
            sqlite: None,
            skip_sqlite: false,
            pg: "postgres://postgres@127.0.0.1:5432/test".into(),
            enrol: 10_000,
            checkins: 500,
            planner_small: 30_000,
            planner_large: 620_000,
            samples: 100,
            seed: 2026,
            area: "430000".into(),
            verify_seconds: 10,
        }
    }
}

/// How a figure is judged against its target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Goal {
    /// p95 below this many milliseconds.
    P95(f64),
    /// p99 below this many milliseconds.
    P99(f64),
    /// The whole run below this many milliseconds.
    Total(f64),
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    pub measure: String,
    pub backend: &'static str,
    pub n: usize,
    pub p50_ms: f64,
    /// p95, p99 or the total, as the goal says.
    pub figure_ms: f64,
    pub goal: Goal,
    pub reference: String,
    pub reference_ms: f64,
    pub load: f64,
    /// A correctness condition of the measure (rows counted, constraints held) and its note.
    pub correct: bool,
    pub note: String,
}

impl Row {
    pub fn pass(&self) -> bool {
        self.correct
            && match self.goal {
                Goal::P95(t) | Goal::P99(t) | Goal::Total(t) => self.figure_ms < t,
            }
    }
}

/// What a run measured.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
    pub peak_mb: f64,
}

pub async fn run(a: TrainingArgs) -> Result<ExitCode, String> {
    let report = measure(&a).await?;
    print_report(&report);
    Ok(ExitCode::SUCCESS)
}

pub fn print_report(r: &Report) {
    println!();
    for n in &r.notes {
        println!("{n}");
    }
    println!();
    println!("| 指标 | 数据库 | n | p50 ms | p95/p99/合计 ms | 目标 | 参照 | 参照 ms | 比值 | 负载 | 结果 | 说明 |");
    println!("|---|---|---:|---:|---:|---|---|---:|---:|---:|---|---|");
    for x in &r.rows {
        let (kind, target) = match x.goal {
            Goal::P95(t) => ("p95", t),
            Goal::P99(t) => ("p99", t),
            Goal::Total(t) => ("合计", t),
        };
        println!(
            "| {} | {} | {} | {:.2} | {kind} {:.2} | {kind} < {target:.0} ms | {} | {:.2} | {:.1}× | {:.1} | {} | {} |",
            x.measure,
            x.backend,
            x.n,
            x.p50_ms,
            x.figure_ms,
            x.reference,
            x.reference_ms,
            x.figure_ms / x.reference_ms.max(1e-6),
            x.load,
            if x.pass() { "通过" } else { "未通过" },
            x.note
        );
    }
    println!();
    println!("峰值内存（整个进程，含数据生成）：{:.0} MB", r.peak_mb);
}

/// Runs every measure on every database and the planner once.
pub async fn measure(a: &TrainingArgs) -> Result<Report, String> {
    let tmp = tempfile::tempdir().map_err(s)?;
    let mut report = Report::default();
    let divs = in_area(divisions::parse_csv(HUNAN)?, &a.area)?;
    let vs = villages(&divs);
    if vs.is_empty() {
        return Err(format!("区划 {} 下没有村和社区", a.area));
    }
    report.notes.push(format!("湖南省区划（{}）：{} 个组织，其中村和社区 {} 个", a.area, divs.len(), vs.len()));
    let orgs_csv = tmp.path().join("hunan-orgs.csv");
    write_orgs_csv(&divs, &orgs_csv)?;
    let sqlite_file = a.sqlite.clone().unwrap_or_else(|| tmp.path().join("bench-training.db"));
    let targets = bench_targets((!a.skip_sqlite).then_some(sqlite_file), &a.pg, "benchtrain").await?;
    for target in &targets {
        let conn = db::connect(&target.url, &DbOptions::default()).await.map_err(s)?;
        let result = on_backend(a, &conn, target.label, &orgs_csv, &vs, &mut report).await;
        let _ = conn.close().await;
        if let Some((base, schema)) = &target.drop_schema {
            db::drop_pg_schema(base, schema).await.map_err(s)?;
        }
        result?;
    }
    planner_rows(a, &mut report);
    report.peak_mb = peak_rss_mb();
    Ok(report)
}

/// The divisions of `area`'s subtree and those above it.
fn in_area(divs: Vec<divisions::Division>, area: &str) -> Result<Vec<divisions::Division>, String> {
    let parent: HashMap<String, Option<String>> =
        divs.iter().map(|d| (d.code.clone(), d.parent_code.clone())).collect();
    if !parent.contains_key(area) {
        return Err(format!("湖南省区划中没有代码 {area}，请改正 --area"));
    }
    let mut above = HashSet::new();
    let mut at = Some(area.to_owned());
    while let Some(c) = at {
        at = parent.get(&c).cloned().flatten();
        above.insert(c);
    }
    let inside = |code: &str| {
        let mut at = Some(code.to_owned());
        while let Some(c) = at {
            if c == area {
                return true;
            }
            at = parent.get(&c).cloned().flatten();
        }
        false
    };
    Ok(divs.into_iter().filter(|d| above.contains(&d.code) || inside(&d.code)).collect())
}

/// One person of the roster: the village's first person is its secretary, the second its
/// deputy; village cadres rank "other".
fn raw_person(
    synth: &mut Synth,
    i: usize,
    village: &divisions::Division,
    org: &(i64, String, &'static str),
    today: NaiveDate,
    nv: usize,
) -> RawPerson {
    let gender = synth.gender(0.55);
    let birth = synth.birth_date(today, 25, 60);
    let id = synth.id_number(&village.code[..6], birth, gender);
    let birth = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").unwrap_or(birth);
    let joined = synth.party_joined_on(birth, today);
    let mut roles = Roles::default();
    let position = if i < nv {
        roles.insert(Role::Secretary);
        "党组织书记"
    } else if i < 2 * nv {
        roles.insert(Role::DeputySecretary);
        "党组织副书记"
    } else {
        roles.insert(Role::CommitteeMember);
        "党员"
    };
    RawPerson {
        name: synth.name(gender),
        id_number: id,
        gender: if gender == Gender::Male { Gender::Male.code() } else { Gender::Female.code() },
        birth_date: birth,
        phone: Some(synth.mobile()),
        party_joined_on: Some(joined),
        position: Some(format!("{}{position}", village.short_name())),
        rank_level: Some("other"),
        roles: roles.0,
        org_id: org.0,
        org_path: org.1.clone(),
        org_sector: org.2,
    }
}

async fn exec(conn: &DatabaseConnection, sql: &str) -> Result<(), String> {
    conn.execute_unprepared(sql).await.map(|_| ()).map_err(s)
}

pub(crate) async fn scalar(conn: &DatabaseConnection, sql: &str, values: Vec<sea_orm::Value>) -> Result<i64, String> {
    let b = conn.get_database_backend();
    let row = conn.query_one_raw(Statement::from_sql_and_values(b, sql, values)).await.map_err(s)?;
    match row {
        Some(r) => r.try_get_by_index::<i64>(0).map_err(s),
        None => Ok(0),
    }
}

async fn ids(conn: &DatabaseConnection, sql: &str) -> Result<Vec<i64>, String> {
    let b = conn.get_database_backend();
    let rows = conn.query_all_raw(Statement::from_string(b, sql.to_owned())).await.map_err(s)?;
    rows.iter().map(|r| r.try_get_by_index::<i64>(0).map_err(s)).collect()
}

/// Five years of credit history: `per` records a person, spread over the last five years,
/// in one `INSERT … SELECT` (the backend generates the rows).
async fn load_credits(conn: &DatabaseConnection, per: usize, today: NaiveDate) -> Result<(), String> {
    let b = conn.get_database_backend();
    let span = 5 * 365 / per.max(1) as i64;
    let values: Vec<sea_orm::Value> = vec![today.into(), chrono::Utc::now().into()];
    let sql = match b {
        DbBackend::Postgres => format!(
            "INSERT INTO credit_records (person_id, on_date, hours, source, title, provider, external_ref, status, created_at)
             SELECT p.id, $1::date - (k.n * {span} + (p.id * 37) % {span})::int, 400 + (p.id % 9) * 100, 'import',
                    '湖南干部网络学院在线课程', '湖南干部网络学院', 'bench-' || k.n, 'approved', $2
             FROM persons p CROSS JOIN generate_series(0, {}) AS k(n)",
            per - 1
        ),
        _ => format!(
            "WITH RECURSIVE k(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < {})
             INSERT INTO credit_records (person_id, on_date, hours, source, title, provider, external_ref, status, created_at)
             SELECT p.id, date(?1, '-' || (k.n * {span} + (p.id * 37) % {span}) || ' days'), 400 + (p.id % 9) * 100,
                    'import', '湖南干部网络学院在线课程', '湖南干部网络学院', 'bench-' || k.n, 'approved', ?2
             FROM persons p CROSS JOIN k",
            per - 1
        ),
    };
    conn.execute_raw(Statement::from_sql_and_values(b, sql, values)).await.map_err(s)?;
    Ok(())
}

struct Loaded {
    province: org::Org,
    county: org::Org,
    secretaries: Vec<i64>,
    campaign_id: i64,
}

/// Organisations, people, credit history and the campaign.
async fn load(
    a: &TrainingArgs,
    conn: &DatabaseConnection,
    label: &str,
    orgs_csv: &std::path::Path,
    vs: &[&divisions::Division],
    report: &mut Report,
) -> Result<Loaded, String> {
    let sys = Scope::system();
    let operator = Actor::operator("bench");
    db::migrate(conn).await.map_err(s)?;
    let t = Instant::now();
    let inserted = crate::bench::import_orgs(conn, orgs_csv).await?;
    let org_secs = t.elapsed().as_secs_f64();

    let t = Instant::now();
    let paths = diag::org_paths(conn).await.map_err(s)?;
    let today = xuepei_domain::time::today();
    let mut synth = Synth::new(a.seed);
    let mut chunk = Vec::with_capacity(50_000);
    for i in 0..a.people {
        let v = vs[i % vs.len()];
        let o = paths.get(&v.code).ok_or_else(|| format!("组织 {} 未导入", v.code))?;
        chunk.push(raw_person(&mut synth, i, v, o, today, vs.len()));
        if chunk.len() == 50_000 || i + 1 == a.people {
            diag::raw_insert_persons(conn, &chunk).await.map_err(s)?;
            chunk.clear();
        }
    }
    let people_secs = t.elapsed().as_secs_f64();

    let per = (a.credits.unwrap_or(5 * a.people) / a.people.max(1)).max(1);
    let t = Instant::now();
    load_credits(conn, per, today).await?;
    let credit_rows = scalar(conn, "SELECT CAST(COUNT(*) AS BIGINT) FROM credit_records", vec![]).await?;
    let credit_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    // Statistics as a database in steady use has them (PostgreSQL: only the bench's schema).
    let analyze = match conn.get_database_backend() {
        DbBackend::Postgres => "ANALYZE organizations, persons, credit_records",
        _ => "ANALYZE",
    };
    exec(conn, analyze).await?;
    let analyze_secs = t.elapsed().as_secs_f64();
    report.notes.push(format!(
        "{label}：数据准备 组织 {} 个 {org_secs:.1}s（导入）；人员 {} 人 {people_secs:.1}s（基准专用原始插入）；学时记录 {credit_rows} 条（每人 {per} 条，近5年）{credit_secs:.1}s（INSERT … SELECT）；ANALYZE {analyze_secs:.1}s",
        inserted, a.people
    ));

    let province = org::get_by_code(conn, &sys, "430000").await.map_err(s)?;
    // The county measured: 平江县 on the whole province, else the first village's county.
    let county_code = if a.area == "430000" { "430626" } else { &vs[0].code[..6] };
    let county = org::get_by_code(conn, &sys, county_code).await.map_err(s)?;
    let mask = Role::Secretary.bit();
    let secretaries = ids(conn, &format!("SELECT id FROM persons WHERE (roles & {mask}) <> 0 ORDER BY id")).await?;
    let input = CampaignInput {
        issuer: province.code.clone(),
        doc_number: "湘组发〔2026〕1号".into(),
        title: "全省村（社区）党组织书记集中轮训".into(),
        kind: "rotation".into(),
        start: Some(today - Days::new(10)),
        end: Some(today + Days::new(170)),
        plan_deadline: None,
        target: TargetFilter {
            orgs: vec![province.code.clone()],
            sectors: vec![Sector::Village, Sector::Community],
            roles: vec![Role::Secretary],
            ..Default::default()
        },
        rules: CampaignRules::default(),
    };
    let tx = Tx::begin(conn, &sys, &operator).await.map_err(s)?;
    let c = campaigns::create(&tx, &input).await.map_err(crate::commands::explain)?;
    tx.commit().await.map_err(s)?;
    Ok(Loaded { province, county, secretaries, campaign_id: c.id })
}

pub(crate) fn class_input(campaign: i64, title: &str, organiser: &str, start: NaiveDate, capacity: i64) -> ClassInput {
    ClassInput {
        campaign_id: Some(campaign),
        title: title.into(),
        organiser: organiser.into(),
        level: "province".into(),
        institution: "中共湖南省委党校".into(),
        institution_kind: "party_school".into(),
        start: Some(start),
        end: Some(start + Days::new(3)),
        capacity: Some(capacity),
        target_group: TargetFilter {
            sectors: vec![Sector::Village, Sector::Community],
            roles: vec![Role::Secretary],
            ..Default::default()
        },
        ..ClassInput::default()
    }
}

async fn new_class(conn: &DatabaseConnection, input: &ClassInput) -> Result<classes::Class, String> {
    let tx = Tx::begin(conn, &Scope::system(), &Actor::operator("bench")).await.map_err(s)?;
    let c = classes::create(&tx, input).await.map_err(crate::commands::explain)?;
    tx.commit().await.map_err(s)?;
    Ok(c)
}

async fn on_backend(
    a: &TrainingArgs,
    conn: &DatabaseConnection,
    label: &'static str,
    orgs_csv: &std::path::Path,
    vs: &[&divisions::Division],
    report: &mut Report,
) -> Result<(), String> {
    let l = load(a, conn, label, orgs_csv, vs, report).await?;
    let b = conn.get_database_backend();
    let today = xuepei_domain::time::today();

    // ---- coverage: the first read builds the counts (noted, not measured)
    let prov_scope = Scope::of_org(conn, l.province.id).await.map_err(s)?;
    let county_scope = Scope::of_org(conn, l.county.id).await.map_err(s)?;
    let t = Instant::now();
    let first = coverage::summary(conn, &prov_scope, l.campaign_id, None).await.map_err(s)?;
    report.notes.push(format!(
        "{label}：覆盖情况首次统计（从花名册重建，之后读维护的汇总）{:.1}s，全省参训对象 {} 人",
        t.elapsed().as_secs_f64(),
        first.figures.target
    ));
    if b == DbBackend::Postgres {
        // What autovacuum does within a minute of a rebuild (the counts' index-only scans
        // need the visibility map): the steady state the pages are read in.
        exec(conn, "VACUUM (ANALYZE) coverage_counts").await?;
        report
            .notes
            .push(format!("{label}：重建后先 VACUUM (ANALYZE) coverage_counts（自动清理在稳定运行中会做的事）"));
    }
    let county_label = format!("一个县（{}）", l.county.code);
    for (what, scope, o) in [("全省", &prov_scope, &l.province), (county_label.as_str(), &county_scope, &l.county)] {
        let load = load_average();
        let mut times = Vec::new();
        let (mut parts_summary, mut parts_missing) = (Vec::new(), Vec::new());
        let mut target = 0;
        for _ in 0..a.samples {
            let t = Instant::now();
            let c = coverage::summary(conn, scope, l.campaign_id, None).await.map_err(s)?;
            parts_summary.push(ms(t));
            let t2 = Instant::now();
            let q = TargetQuery {
                campaign_id: l.campaign_id,
                under: c.org.as_ref().map(|o| o.id),
                progress: Some(ProgressFilter::NotPlanned),
                ..Default::default()
            };
            let missing = targets::list(conn, scope, &q, At::First, 50).await.map_err(s)?;
            parts_missing.push(ms(t2));
            times.push(ms(t));
            target = c.figures.target;
            std::hint::black_box(missing);
        }
        let (lo, hi) = path::subtree_range(&o.path);
        let mut refs = Vec::new();
        for _ in 0..a.samples {
            let t = Instant::now();
            scalar(
                conn,
                &ph(b, "SELECT CAST(COUNT(*) AS BIGINT) FROM persons WHERE org_path >= ? AND org_path < ?"),
                vec![lo.clone().into(), hi.clone().into()],
            )
            .await?;
            refs.push(ms(t));
        }
        let times = sorted(times);
        let refs = sorted(refs);
        report.rows.push(Row {
            measure: format!("覆盖情况页（{what}：汇总+下级+未安排名单首页）"),
            backend: label,
            n: a.samples,
            p50_ms: pct(&times, 50.0),
            figure_ms: pct(&times, 95.0),
            goal: Goal::P95(100.0),
            reference: "同范围人员 COUNT(*) p95".into(),
            reference_ms: pct(&refs, 95.0),
            load,
            correct: target > 0,
            note: format!(
                "参训对象 {target} 人；其中汇总（含各下级）p95 {:.1} ms，未安排名单首页（50人）p95 {:.1} ms",
                pct(&sorted(parts_summary), 95.0),
                pct(&sorted(parts_missing), 95.0)
            ),
        });
    }

    // ---- one person's training file
    {
        let load = load_average();
        let step = (l.secretaries.len() / a.samples.max(1)).max(1);
        let who: Vec<i64> = l.secretaries.iter().step_by(step).take(a.samples).copied().collect();
        let mut times = Vec::new();
        let mut records = 0;
        for pid in &who {
            let t = Instant::now();
            let f = credits::for_person(conn, &prov_scope, None, *pid).await.map_err(s)?;
            times.push(ms(t));
            records = records.max(f.records.len());
        }
        let mut refs = Vec::new();
        for pid in &who {
            let t = Instant::now();
            let r = conn
                .query_one_raw(Statement::from_sql_and_values(
                    b,
                    ph(b, "SELECT * FROM persons WHERE id = ?"),
                    [(*pid).into()],
                ))
                .await
                .map_err(s)?;
            refs.push(ms(t));
            std::hint::black_box(r);
        }
        let (times, refs) = (sorted(times), sorted(refs));
        report.rows.push(Row {
            measure: "个人培训档案（学时记录+达标情况）".into(),
            backend: label,
            n: who.len(),
            p50_ms: pct(&times, 50.0),
            figure_ms: pct(&times, 95.0),
            goal: Goal::P95(20.0),
            reference: "读一行人员记录 p95".into(),
            reference_ms: pct(&refs, 95.0),
            load,
            correct: records > 0,
            note: format!("每人最多 {records} 条记录"),
        });
    }

    // ---- bulk enrolment of 10,000 people
    let enrol_n = a.enrol.min(l.secretaries.len() / 2).min(classes::CAPACITY_MAX as usize);
    let chosen: Vec<i64> = l.secretaries.iter().take(enrol_n).copied().collect();
    {
        let start = today + Days::new(30);
        let main = new_class(
            conn,
            &class_input(l.campaign_id, "全省村（社区）党组织书记示范培训班", &l.province.code, start, enrol_n as i64),
        )
        .await?;
        let refc = new_class(
            conn,
            &class_input(l.campaign_id, "参照班（原始插入）", &l.province.code, start + Days::new(7), enrol_n as i64),
        )
        .await?;
        let rows: Vec<(i64, String)> = {
            let mut out = Vec::with_capacity(chosen.len());
            for part in chosen.chunks(1000) {
                let list = part.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                let st =
                    Statement::from_string(b, format!("SELECT id, org_id, org_path FROM persons WHERE id IN ({list})"));
                for r in conn.query_all_raw(st).await.map_err(s)? {
                    let org_id: i64 = r.try_get_by_index(1).map_err(s)?;
                    let p: String = r.try_get_by_index(2).map_err(s)?;
                    out.push((org_id, p));
                }
            }
            out
        };
        let load = load_average();
        // Reference: the same rows, multi-row INSERTs in one transaction, no checks.
        // Twice, the faster counted (the first pays for cold pages).
        let mut ref_ms = f64::MAX;
        for _ in 0..2 {
            let t = Instant::now();
            raw_enrolments(conn, refc.id, &chosen, &rows).await?;
            ref_ms = ref_ms.min(ms(t));
            exec(conn, &format!("DELETE FROM enrolments WHERE class_id = {}", refc.id)).await?;
        }
        let refs: Vec<PersonRef> = chosen.iter().map(|id| PersonRef::Id(*id)).collect();
        let t = Instant::now();
        let tx = Tx::begin(conn, &prov_scope, &Actor::operator("bench")).await.map_err(s)?;
        let results = enrolments::enrol(&tx, main.id, &refs).await.map_err(crate::commands::explain)?;
        tx.commit().await.map_err(s)?;
        let took = ms(t);
        let stored = scalar(
            conn,
            &ph(b, "SELECT CAST(COUNT(*) AS BIGINT) FROM enrolments WHERE class_id = ? AND status = 'enrolled'"),
            vec![main.id.into()],
        )
        .await?;
        report.rows.push(Row {
            measure: format!("批量报名 {enrol_n} 人（一个事务，含全部校验）"),
            backend: label,
            n: enrol_n,
            p50_ms: took,
            figure_ms: took,
            goal: Goal::Total(2000.0),
            reference: format!("原始插入 {enrol_n} 行（两次取快）"),
            reference_ms: ref_ms,
            load,
            correct: stored == enrol_n as i64 && results.len() == enrol_n,
            note: format!("在册 {stored} 人"),
        });
    }

    // ---- concurrent check-ins
    checkins(a, conn, label, &l, &chosen, report).await?;
    // ---- the receiving body's filing overview
    crate::bench_filings::board(a.samples, conn, label, &l.province, l.campaign_id, report).await?;
    // ---- a class's certificates as one PDF, and their verification under load
    let rest = &l.secretaries[chosen.len().min(l.secretaries.len())..];
    crate::bench_certificates::measure(a.verify_seconds, conn, label, &l.province, l.campaign_id, rest, report).await?;
    Ok(())
}

/// The reference of the bulk enrolment: ready rows, multi-row INSERTs, one transaction.
async fn raw_enrolments(
    conn: &DatabaseConnection,
    class_id: i64,
    people: &[i64],
    orgs: &[(i64, String)],
) -> Result<(), String> {
    use sea_orm::TransactionTrait;
    let now = chrono::Utc::now();
    // The store's own batch size for enrolments (a few thousand rows a statement).
    let batch = 2000;
    let txn = conn.begin().await.map_err(s)?;
    for (ps, os) in people.chunks(batch).zip(orgs.chunks(batch)) {
        let mut q = Query::insert();
        q.into_table(Alias::new("enrolments")).columns(
            ["class_id", "person_id", "org_id", "org_path", "status", "leave_hours", "created_at", "updated_at"]
                .map(Alias::new),
        );
        for (p, (org_id, org_path)) in ps.iter().zip(os) {
            q.values_panic([
                class_id.into(),
                (*p).into(),
                (*org_id).into(),
                org_path.clone().into(),
                "enrolled".into(),
                0i64.into(),
                now.into(),
                now.into(),
            ]);
        }
        txn.execute(&q).await.map_err(s)?;
    }
    txn.commit().await.map_err(s)?;
    Ok(())
}

async fn checkins(
    a: &TrainingArgs,
    conn: &DatabaseConnection,
    label: &'static str,
    l: &Loaded,
    taken: &[i64],
    report: &mut Report,
) -> Result<(), String> {
    let b = conn.get_database_backend();
    // The class, its session and the clock all read one instant (China time), so the run
    // holds at any hour, midnight included.
    let local = xuepei_domain::time::local(chrono::Utc::now());
    let today = local.date();
    let taken: HashSet<i64> = taken.iter().copied().collect();
    let pool =
        ids(conn, &format!("SELECT id FROM persons ORDER BY id DESC LIMIT {}", taken.len() + a.checkins)).await?;
    let people: Vec<i64> = pool.into_iter().filter(|p| !taken.contains(p)).take(a.checkins).collect();
    let n = people.len();
    let c = new_class(conn, &class_input(l.campaign_id, "签到测试班", &l.province.code, today, n as i64)).await?;
    // A session starting this minute: check-in is open from half an hour before the start to
    // half an hour after it, so late in the evening it stays open past midnight too.
    let now_min = i64::from(local.hour() * 60 + local.minute());
    let starts = now_min.min(23 * 60 + 58);
    let ends = (starts + 50).min(23 * 60 + 59);
    let slot = if starts < 12 * 60 {
        "am"
    } else if starts < 18 * 60 {
        "pm"
    } else {
        "evening"
    };
    let tx = Tx::begin(conn, &Scope::system(), &Actor::operator("bench")).await.map_err(s)?;
    let session = sessions::add(
        &tx,
        c.id,
        &SessionInput {
            date: Some(local.date()),
            slot: slot.into(),
            starts: sessions::hhmm(starts),
            ends: sessions::hhmm(ends),
            topic: "学习贯彻党的路线方针政策".into(),
            mode: "lecture".into(),
            hours: "1".into(),
            ..SessionInput::default()
        },
    )
    .await
    .map_err(crate::commands::explain)?;
    let refs: Vec<PersonRef> = people.iter().map(|p| PersonRef::Id(*p)).collect();
    enrolments::enrol(&tx, c.id, &refs).await.map_err(crate::commands::explain)?;
    tx.commit().await.map_err(s)?;
    let secret = session.checkin_secret.clone();

    // Reference: n one-row insert transactions fired at once, through the same pool.
    exec(conn, "CREATE TABLE bench_checkin_reference (n BIGINT PRIMARY KEY, at_text VARCHAR(40) NOT NULL)").await?;
    let ref_times = fire(n, |i| {
        let conn = conn.clone();
        async move {
            let tx = Tx::begin(&conn, &Scope::system(), &Actor::operator("bench")).await.map_err(s)?;
            let b = conn.get_database_backend();
            tx.conn()
                .execute_raw(Statement::from_sql_and_values(
                    b,
                    ph(b, "INSERT INTO bench_checkin_reference (n, at_text) VALUES (?, ?)"),
                    [(i as i64).into(), chrono::Utc::now().to_rfc3339().into()],
                ))
                .await
                .map_err(s)?;
            tx.commit().await.map_err(s)
        }
    })
    .await;
    exec(conn, "DROP TABLE bench_checkin_reference").await?;
    let ref_errors = ref_times.iter().filter(|r| r.is_err()).count();
    let refs = sorted(ref_times.into_iter().filter_map(Result::ok).collect());

    let load = load_average();
    let people = Arc::new(people);
    // One writer, as one server process has.
    let writer = Arc::new(xuepei_store::checkins::CheckinWriter::new(conn.clone()));
    let fire_once = |people: Arc<Vec<i64>>, secret: String, sid: i64| {
        let writer = writer.clone();
        move |i: usize| {
            let writer = writer.clone();
            let people = people.clone();
            let secret = secret.clone();
            async move {
                let code = checkin::link_code(&secret, checkin::step_of(chrono::Utc::now()));
                writer.check_in(sid, people[i], &code, "qr").await.map(|_| ()).map_err(s)
            }
        }
    };
    let times = fire(n, fire_once(people.clone(), secret.clone(), session.id)).await;
    let failures: Vec<String> = times.iter().filter_map(|r| r.as_ref().err().cloned()).collect();
    let times = sorted(times.into_iter().filter_map(Result::ok).collect());
    // The same people again, at once: every replay refused, nothing written twice.
    let replays = fire(n.min(100), fire_once(people.clone(), secret, session.id)).await;
    let replay_ok = replays.iter().filter(|r| r.is_ok()).count();
    let sql = ph(
        b,
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(COUNT(DISTINCT enrolment_id) AS BIGINT) FROM attendance WHERE session_id = ?",
    );
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(b, sql, [session.id.into()]))
        .await
        .map_err(s)?
        .ok_or("no count")?;
    let rows: i64 = row.try_get_by_index(0).map_err(s)?;
    let distinct: i64 = row.try_get_by_index(1).map_err(s)?;
    let correct = failures.is_empty() && replay_ok == 0 && rows == n as i64 && distinct == n as i64;
    let mut note = format!(
        "记录 {rows} 行（不同学员 {distinct}），失败 {}，重复签到 {} 次全部拒绝",
        failures.len(),
        replays.len()
    );
    if replay_ok > 0 {
        note = format!("{note}——但有 {replay_ok} 次重复签到被接受");
    }
    if let Some(f) = failures.first() {
        note = format!("{note}；首个失败：{f}");
    }
    if ref_errors > 0 {
        note = format!("{note}；参照失败 {ref_errors} 次");
    }
    report.rows.push(Row {
        measure: format!("{n} 人同时签到（逐人校验，合并提交）"),
        backend: label,
        n,
        p50_ms: pct(&times, 50.0),
        figure_ms: pct(&times, 99.0),
        goal: Goal::P99(200.0),
        reference: format!("{n} 个单行插入事务同时提交 p99"),
        reference_ms: pct(&refs, 99.0),
        load,
        correct,
        note,
    });
    Ok(())
}

/// Runs `n` tasks released together; each one's milliseconds from the release to its end.
async fn fire<F, Fut>(n: usize, f: F) -> Vec<Result<f64, String>>
where
    F: Fn(usize) -> Fut,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let gate = Arc::new(tokio::sync::Barrier::new(n + 1));
    let mut handles = Vec::with_capacity(n);
    for i in 0..n {
        let fut = f(i);
        let gate = gate.clone();
        handles.push(tokio::spawn(async move {
            gate.wait().await;
            let t = Instant::now();
            fut.await.map(|()| ms(t))
        }));
    }
    gate.wait().await;
    let mut out = Vec::with_capacity(n);
    for h in handles {
        out.push(h.await.unwrap_or_else(|e| Err(e.to_string())));
    }
    out
}

/// A planner input of `n` trainees at the shape of the national target: secretaries and
/// deputies of one organisation in pairs, townships of 30, a priority group, some people
/// unavailable on a day; the spring window, 5-day batches of 60 and enough venues.
fn planner_input(n: usize) -> PlanInput {
    let start = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap_or_default();
    let trainees: Vec<Trainee> = (0..n as i64)
        .map(|k| Trainee {
            id: k,
            name: String::new(),
            org: k / 2,
            group: k / 30,
            duty: if k % 2 == 0 { Duty::Secretary } else { Duty::Deputy },
            priority: k % 97 == 0,
            unavailable: if k % 13 == 0 { vec![start + Days::new((k % 90) as u64)] } else { Vec::new() },
        })
        .collect();
    let mut input = PlanInput {
        trainees,
        start,
        end: NaiveDate::from_ymd_opt(2026, 6, 30).unwrap_or_default(),
        batch_days: 5,
        length_rule: BatchLengthRule::any(3, 5),
        capacity: 60,
        venues: 1,
        calendar: Calendar::default(),
        max_org_share: Fraction::new(1, 2).unwrap_or(Fraction::ONE),
    };
    let slots = planner::slots(&input).len().max(1);
    // Room for everyone with a tenth to spare.
    let need = (n as f64 * 1.1 / (slots as f64 * f64::from(input.capacity))).ceil() as u32;
    input.venues = need.clamp(1, planner::MAX_VENUES);
    input
}

fn planner_rows(a: &TrainingArgs, report: &mut Report) {
    for (n, target_ms) in [(a.planner_small, 1000.0), (a.planner_large, 20_000.0)] {
        let input = planner_input(n);
        let load = load_average();
        // Reference: the trainees sorted by the planner's order (its O(n log n) floor).
        let t = Instant::now();
        let mut order: Vec<&Trainee> = input.trainees.iter().collect();
        order.sort_by_key(|x| (!x.priority, x.group, x.org, x.duty, x.id));
        let ref_ms = ms(t);
        std::hint::black_box(order);
        let t = Instant::now();
        let result = planner::plan(&input);
        let took = ms(t);
        let (correct, note) = match result {
            Ok(p) => {
                let t = Instant::now();
                let violations = planner::check(&input, &p);
                let check_ms = ms(t);
                let placed: usize = p.batches.iter().map(|b| b.trainees.len()).sum();
                let ok = violations.is_empty() && p.violations.is_empty() && placed + p.unplaced.len() == n;
                (
                    ok,
                    format!(
                        "{} 期，{} 个场地，安排 {placed} 人，未能安排 {} 人，违反硬约束 {} 处（planner::check {check_ms:.0} ms）",
                        p.batches.len(),
                        input.venues,
                        p.unplaced.len(),
                        violations.len()
                    ),
                )
            }
            Err(e) => (false, format!("排期失败：{e}")),
        };
        report.rows.push(Row {
            measure: format!("自动分期排期 {n} 人"),
            backend: "（内存）",
            n,
            p50_ms: took,
            figure_ms: took,
            goal: Goal::Total(target_ms),
            reference: "按排期顺序排序".into(),
            reference_ms: ref_ms,
            load,
            correct,
            note,
        });
    }
}
