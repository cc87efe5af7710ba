//! `xuepei bench study`: the theory-study figures of issue 13 over the real divisions of
//! 湖南省 (about 31,500 organisations), five years of records, each beside a reference
//! measured in the same run on the same database:
//!
//! * the oversight view (督查统计) of the whole scope for this year, a past year and this
//!   month, and of one county — beside a plain `COUNT(*)` of the period's meetings in the
//!   same subtree range (the least any such view reads);
//! * one leader's progress this month and this year — beside reading their row by key;
//! * the early-warning list of a county (first page) and the first-item compliance of a
//!   county for a month — beside the same `COUNT(*)` over the county.
//!
//! The data: organisations through the import; every organisation's principal, one more
//! leadership member and one member through the benchmark-only raw insert; a study group
//! for every organisation with organisations below it, 12 sessions a year; meetings,
//! sessions and study-log entries spread over the last five years, each table written by
//! `INSERT … SELECT` on the backend (PostgreSQL: 2M meetings and 20M entries by default;
//! SQLite: 2M each); then the tallies recounted from the entries as `study_logs` keeps them.

use crate::bench::{load_average, ms, pct, ph, s, sorted};
use std::future::Future;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{Datelike, NaiveDate};
use clap::Args;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use xuepei_domain::divisions::{self, DivisionLevel};
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::path;
use xuepei_domain::people::{Gender, Role, Roles};
use xuepei_domain::study::quotas::leader_mask;
use xuepei_domain::synth::Synth;
use xuepei_store::db::{self, DbOptions};
use xuepei_store::diag::{self, RawPerson};
use xuepei_store::study_logs::{self, LeaderFilter};
use xuepei_store::{DatabaseConnection, Scope, meetings, org, study_oversight};

use crate::bench::{HUNAN, peak_rss_mb, targets as bench_targets, write_orgs_csv};
use crate::bench_training::{Goal, Report, Row, print_report};

#[derive(Debug, Clone, Args)]
pub struct StudyArgs {
    /// Committee meetings over five years, on PostgreSQL.
    #[arg(long, default_value_t = 2_000_000)]
    pub meetings: usize,
    /// Study-log entries over five years, on PostgreSQL.
    #[arg(long, default_value_t = 20_000_000)]
    pub logs: usize,
    /// Committee meetings on SQLite.
    #[arg(long, default_value_t = 2_000_000)]
    pub sqlite_meetings: usize,
    /// Study-log entries on SQLite.
    #[arg(long, default_value_t = 2_000_000)]
    pub sqlite_logs: usize,
    /// The SQLite database file (replaced; default: in a temporary directory).
    #[arg(long)]
    pub sqlite: Option<PathBuf>,
    /// Measure PostgreSQL only.
    #[arg(long)]
    pub skip_sqlite: bool,
    /// PostgreSQL server to measure (a schema is created and dropped); "none" to skip.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg: String,
    /// Reads per measure.
    #[arg(long, default_value_t = 100)]
    pub samples: usize,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
}

/// Days of history the records spread over.
const SPAN_DAYS: usize = 5 * 365;

pub async fn run(a: StudyArgs) -> Result<ExitCode, String> {
    let tmp = tempfile::tempdir().map_err(s)?;
    let mut report = Report::default();
    let divs = divisions::parse_csv(HUNAN)?;
    report.notes.push(format!("湖南省区划：{} 个组织，每个组织3人（主要负责人、班子成员、一般干部）", divs.len()));
    let orgs_csv = tmp.path().join("hunan-orgs.csv");
    write_orgs_csv(&divs, &orgs_csv)?;
    let sqlite_file = a.sqlite.clone().unwrap_or_else(|| tmp.path().join("bench-study.db"));
    let targets = bench_targets((!a.skip_sqlite).then_some(sqlite_file), &a.pg, "benchstudy").await?;
    for target in &targets {
        let conn = db::connect(&target.url, &DbOptions::default()).await.map_err(s)?;
        let result = on_backend(&a, &conn, target.label, &orgs_csv, &divs, &mut report).await;
        let _ = conn.close().await;
        if let Some((base, schema)) = &target.drop_schema {
            db::drop_pg_schema(base, schema).await.map_err(s)?;
        }
        result?;
    }
    report.peak_mb = peak_rss_mb();
    print_report(&report);
    Ok(ExitCode::SUCCESS)
}

async fn exec(conn: &DatabaseConnection, sql: String, values: Vec<sea_orm::Value>) -> Result<u64, String> {
    let b = conn.get_database_backend();
    let r = conn.execute_raw(Statement::from_sql_and_values(b, sql, values)).await.map_err(s)?;
    Ok(r.rows_affected())
}

/// `k` from 0 to `n - 1` as a row source named `k(n)`: PostgreSQL's `generate_series`, a
/// recursive CTE on SQLite (put before the INSERT).
fn series(b: DbBackend, from: usize, to: usize) -> (String, String) {
    match b {
        DbBackend::Postgres => (String::new(), format!("generate_series({from}, {}) AS k(n)", to - 1)),
        _ => (
            format!("WITH RECURSIVE k(n) AS (SELECT {from} UNION ALL SELECT n + 1 FROM k WHERE n < {}) ", to - 1),
            "k".into(),
        ),
    }
}

/// `today` minus an SQL expression of days.
fn days_before(b: DbBackend, days: &str) -> String {
    match b {
        DbBackend::Postgres => format!("(CAST(? AS DATE) - CAST({days} AS INTEGER))"),
        _ => format!("date(?, '-' || ({days}) || ' days')"),
    }
}

/// The organisation of every org's first person (its principal, the meetings' chair).
const CHAIRS: &str = "(SELECT org_id, MIN(org_path) AS org_path, MIN(id) AS chair FROM persons GROUP BY org_id)";

async fn load(
    a: &StudyArgs,
    conn: &DatabaseConnection,
    label: &str,
    orgs_csv: &std::path::Path,
    divs: &[divisions::Division],
    report: &mut Report,
) -> Result<(), String> {
    let b = conn.get_database_backend();
    let (n_meetings, n_logs) = match b {
        DbBackend::Postgres => (a.meetings, a.logs),
        _ => (a.sqlite_meetings, a.sqlite_logs),
    };
    db::migrate(conn).await.map_err(s)?;
    let t = Instant::now();
    let inserted = crate::bench::import_orgs(conn, orgs_csv).await?;
    let org_secs = t.elapsed().as_secs_f64();

    // Three people an organisation: the principal (also secretary) and a leadership member,
    // ranked by the organisation's level, and a member.
    let t = Instant::now();
    let paths = diag::org_paths(conn).await.map_err(s)?;
    let today = xuepei_domain::time::today();
    let mut synth = Synth::new(a.seed);
    let mut chunk = Vec::with_capacity(30_000);
    for (i, d) in divs.iter().enumerate() {
        let o = paths.get(&d.code).ok_or_else(|| format!("组织 {} 未导入", d.code))?;
        let rank = match d.level {
            DivisionLevel::Province | DivisionLevel::City => "bureau",
            DivisionLevel::County => "county",
            DivisionLevel::Town => "township",
            DivisionLevel::Village => "other",
        };
        for k in 0..3 {
            let mut roles = Roles::default();
            match k {
                0 => {
                    roles.insert(Role::Principal);
                    roles.insert(Role::Secretary);
                }
                1 => roles.insert(Role::LeadershipMember),
                _ => roles.insert(Role::CommitteeMember),
            }
            let gender = synth.gender(0.55);
            let birth = synth.birth_date(today, 28, 58);
            let id = synth.id_number(&d.code[..6], birth, gender);
            let birth = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").unwrap_or(birth);
            chunk.push(RawPerson {
                name: synth.name(gender),
                id_number: id,
                gender: if gender == Gender::Male { Gender::Male.code() } else { Gender::Female.code() },
                birth_date: birth,
                phone: None,
                party_joined_on: None,
                position: None,
                rank_level: Some(if k < 2 { rank } else { "other" }),
                roles: roles.0,
                org_id: o.0,
                org_path: o.1.clone(),
                org_sector: o.2,
            });
        }
        if chunk.len() >= 30_000 || i + 1 == divs.len() {
            diag::raw_insert_persons(conn, &chunk).await.map_err(s)?;
            chunk.clear();
        }
    }
    let people_secs = t.elapsed().as_secs_f64();

    let now: sea_orm::Value = chrono::Utc::now().into();
    let day: sea_orm::Value = today.into();
    let norgs = paths.len().max(1);

    // Meetings: the same number for every organisation, a committee meeting every `span`
    // days; one in ten's first item is not theory study.
    let t = Instant::now();
    let per = n_meetings.div_ceil(norgs).max(1);
    let span = (SPAN_DAYS / per).max(1);
    let (with, k) = series(b, 0, per);
    let held = days_before(b, &format!("k.n * {span} + c.org_id % {span}"));
    let sql = format!(
        "{with}INSERT INTO meetings (org_id, org_path, kind, held_on, chair_id, compliant, study_source, agenda, attendance, created_at, updated_at)
         SELECT c.org_id, c.org_path, 'committee', {held}, c.chair, (k.n + c.org_id) % 10 <> 0,
                CASE WHEN (k.n + c.org_id) % 10 <> 0 THEN 'speech' END, '[]', '[]', ?, ?
         FROM {CHAIRS} c CROSS JOIN {k}"
    );
    let nm = exec(conn, ph(b, &sql), vec![day.clone(), now.clone(), now.clone()]).await?;
    let meeting_secs = t.elapsed().as_secs_f64();

    // Study groups of every organisation with organisations below it; 12 sessions a year,
    // every third thematic; 8 to 10 of 10 members present.
    let t = Instant::now();
    let sql = "INSERT INTO study_groups (org_id, org_path, name, approver_org_id, members, created_at, updated_at) \
               SELECT id, path, name || '党委理论学习中心组', COALESCE(parent_id, id), '[]', ?, ? \
               FROM organizations WHERE subtree_orgs > 1";
    let ng = exec(conn, ph(b, sql), vec![now.clone(), now.clone()]).await?;
    let (with, k) = series(b, 0, 60);
    let held = days_before(b, "k.n * 30 + g.id % 30");
    let sql = format!(
        "{with}INSERT INTO study_sessions (group_id, org_id, org_path, held_on, topic, thematic, lead_id, attendance, speeches, notes, materials, present, expected, closed_at, created_at, updated_at)
         SELECT g.id, g.org_id, g.org_path, {held}, '集中学习研讨' || k.n, k.n % 3 = 0, c.chair, '[]', '[]', '', '',
                8 + (k.n + g.id) % 3, 10, ?, ?, ?
         FROM study_groups g JOIN {CHAIRS} c ON c.org_id = g.org_id CROSS JOIN {k}"
    );
    let ns = exec(conn, ph(b, &sql), vec![day.clone(), now.clone(), now.clone(), now.clone()]).await?;
    let group_secs = t.elapsed().as_secs_f64();

    // Study-log entries of every leader, in ten slices: mostly self-study, some of every
    // other mode (a lecture names its school).
    let t = Instant::now();
    let leaders = 2 * norgs;
    let per = n_logs.div_ceil(leaders).max(1);
    let span_days = (SPAN_DAYS as f64 / per as f64).max(1.0 / 8.0);
    let mut nl = 0;
    let slice = per.div_ceil(10);
    let mut from = 0;
    while from < per {
        let to = (from + slice).min(per);
        let (with, k) = series(b, from, to);
        // Entries fall on day floor(k * span) (several a day when span < 1) and never
        // collide: the title carries k.
        let on = days_before(b, &format!("CAST(k.n * {span_days} AS INTEGER)"));
        let sql = format!(
            "{with}INSERT INTO study_logs (person_id, org_id, org_path, mode, on_date, title, school, created_at, updated_at)
             SELECT p.id, p.org_id, p.org_path,
                    CASE k.n % 20 WHEN 0 THEN 'school_lecture' WHEN 1 THEN 'lead_learning' WHEN 2 THEN 'lead_learning'
                         WHEN 3 THEN 'grassroots' WHEN 4 THEN 'exchange' WHEN 5 THEN 'reflection' ELSE 'self_study' END,
                    {on}, '学习习近平总书记重要讲话第' || k.n || '篇',
                    CASE WHEN k.n % 20 = 0 THEN '中共湖南省委党校' END, ?, ?
             FROM persons p CROSS JOIN {k} WHERE (p.roles & {mask}) <> 0",
            mask = leader_mask()
        );
        nl += exec(conn, ph(b, &sql), vec![day.clone(), now.clone(), now.clone()]).await?;
        from = to;
    }
    let log_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let nt = diag::recount_study_tallies(conn).await.map_err(s)?;
    let tally_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let nf = diag::recount_study_figures(conn).await.map_err(s)?;
    let nq = diag::recount_study_quota(conn).await.map_err(s)?;
    let figure_secs = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let analyze = match b {
        DbBackend::Postgres => {
            "ANALYZE organizations, persons, meetings, study_groups, study_sessions, study_logs, study_tallies, study_org_figures, study_quota_figures"
        }
        _ => "ANALYZE",
    };
    conn.execute_unprepared(analyze).await.map_err(s)?;
    report.notes.push(format!(
        "{label}：组织 {} 个 {org_secs:.1}s（导入）；人员 {} 人 {people_secs:.1}s（原始插入）；会议 {nm} 次 {meeting_secs:.1}s；\
         中心组 {ng} 个、集中学习 {ns} 次 {group_secs:.1}s；学习记录 {nl} 条 {log_secs:.1}s；\
         学习记录按月汇总 {nt} 行 {tally_secs:.1}s；会议与集中学习按单位逐月汇总 {nf} 行、领导干部学习量按单位逐年汇总 {nq} 行 {figure_secs:.1}s；ANALYZE {:.1}s（均为 INSERT … SELECT，近5年）",
        inserted,
        3 * divs.len(),
        t.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Times `n` runs of `f`, in milliseconds, sorted.
async fn timed<F, Fut, T>(n: usize, mut f: F) -> Result<(Vec<f64>, Option<T>), String>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let mut times = Vec::with_capacity(n);
    let mut last = None;
    for i in 0..n {
        let t = Instant::now();
        let v = f(i).await?;
        times.push(ms(t));
        last = Some(v);
    }
    Ok((sorted(times), last))
}

/// The reference: the period's meetings in the subtree, counted.
async fn count_meetings(
    conn: &DatabaseConnection,
    samples: usize,
    subtree: &str,
    from: NaiveDate,
    until: NaiveDate,
) -> Result<(f64, i64), String> {
    let b = conn.get_database_backend();
    let (lo, hi) = path::subtree_range(subtree);
    let sql = ph(
        b,
        "SELECT CAST(COUNT(*) AS BIGINT) FROM meetings WHERE held_on >= ? AND held_on < ? AND org_path >= ? AND org_path < ?",
    );
    let (times, n) = timed(samples, |_| {
        let sql = sql.clone();
        let values: Vec<sea_orm::Value> = vec![from.into(), until.into(), lo.clone().into(), hi.clone().into()];
        async move {
            let row = conn.query_one_raw(Statement::from_sql_and_values(b, sql, values)).await.map_err(s)?;
            row.map_or(Ok(0), |r| r.try_get_by_index::<i64>(0).map_err(s))
        }
    })
    .await?;
    Ok((pct(&times, 95.0), n.unwrap_or(0)))
}

fn year_range(year: i32, month: Option<u32>) -> (NaiveDate, NaiveDate) {
    let start = NaiveDate::from_ymd_opt(year, month.unwrap_or(1), 1).unwrap_or_default();
    let end = match month {
        Some(12) | None => NaiveDate::from_ymd_opt(year + 1, 1, 1),
        Some(m) => NaiveDate::from_ymd_opt(year, m + 1, 1),
    };
    (start, end.unwrap_or_default())
}

async fn on_backend(
    a: &StudyArgs,
    conn: &DatabaseConnection,
    label: &'static str,
    orgs_csv: &std::path::Path,
    divs: &[divisions::Division],
    report: &mut Report,
) -> Result<(), String> {
    load(a, conn, label, orgs_csv, divs, report).await?;
    let sys = Scope::system();
    let province = org::get_by_code(conn, &sys, "430000").await.map_err(s)?;
    let county = org::get_by_code(conn, &sys, "430626").await.map_err(s)?;
    let whole = Scope::of_org(conn, province.id).await.map_err(s)?;
    let county_scope = Scope::of_org(conn, county.id).await.map_err(s)?;
    let today = xuepei_domain::time::today();
    let this_year = today.year();

    // ---- the oversight view
    let views: [(&str, &Scope, &org::Org, i32, Option<u32>); 4] = [
        ("全省，本年", &whole, &province, this_year, None),
        ("全省，上一年（12个月的任务）", &whole, &province, this_year - 1, None),
        ("全省，本月", &whole, &province, this_year, Some(today.month())),
        ("一个县（平江县），本年", &county_scope, &county, this_year, None),
    ];
    for (what, scope, o, year, month) in views {
        let load = load_average();
        let (times, view) = timed(a.samples, |_| async move {
            study_oversight::overview(conn, scope, &o.code, year, month).await.map_err(s)
        })
        .await?;
        let view = view.ok_or("没有测量")?;
        let (from, until) = year_range(year, month);
        let (ref_ms, counted) = count_meetings(conn, a.samples, &o.path, from, until).await?;
        let f = &view.total.figures;
        report.rows.push(Row {
            measure: format!("督查统计 {what}"),
            backend: label,
            n: a.samples,
            p50_ms: pct(&times, 50.0),
            figure_ms: pct(&times, 95.0),
            goal: Goal::P95(200.0),
            reference: "同范围同期会议 COUNT(*)".into(),
            reference_ms: ref_ms,
            load,
            correct: i64::from(f.meetings) == counted && f.leaders > 0 && f.sessions > 0,
            note: format!(
                "{}行；会议{}次（第一议题{}）、集中学习{}/{}次、领导干部{}人（{}人未完成）",
                view.rows.len(),
                f.meetings,
                f.compliant,
                f.sessions,
                f.planned,
                f.leaders,
                f.behind
            ),
        });
    }

    // ---- one leader's progress
    let b = conn.get_database_backend();
    let rows = conn
        .query_all_raw(Statement::from_string(
            b,
            format!("SELECT id FROM persons WHERE (roles & {}) <> 0 ORDER BY id", leader_mask()),
        ))
        .await
        .map_err(s)?;
    let leader_ids: Vec<i64> =
        rows.iter().map(|r| r.try_get_by_index::<i64>(0)).collect::<Result<_, _>>().map_err(s)?;
    let mut synth = Synth::new(a.seed + 1);
    let picks: Vec<i64> = (0..a.samples).map(|_| leader_ids[synth.below(leader_ids.len())]).collect();
    let load = load_average();
    let (times, progress) = timed(a.samples, |i| {
        let (scope, id) = (&whole, picks[i]);
        async move { study_logs::progress(conn, scope, None, id).await.map_err(s) }
    })
    .await?;
    let progress = progress.ok_or("没有测量")?;
    let sql = ph(b, "SELECT * FROM persons WHERE id = ?");
    let (refs, _) = timed(a.samples, |i| {
        let (sql, id) = (sql.clone(), picks[i]);
        async move { conn.query_one_raw(Statement::from_sql_and_values(b, sql, [id.into()])).await.map_err(s) }
    })
    .await?;
    let year_done: u32 = progress.counts.year.values().sum();
    report.rows.push(Row {
        measure: "一名领导干部的学习进度（本月、本年）".into(),
        backend: label,
        n: a.samples,
        p50_ms: pct(&times, 50.0),
        figure_ms: pct(&times, 95.0),
        goal: Goal::P95(20.0),
        reference: "按主键读本人".into(),
        reference_ms: pct(&refs, 95.0),
        load,
        correct: !progress.lines.is_empty() && year_done > 0,
        note: format!("末次：本年{year_done}条、{}项任务", progress.lines.len()),
    });

    // ---- a county's early-warning list and first-item compliance
    let (from, until) = year_range(this_year, Some(today.month()));
    let (ref_ms, _) = count_meetings(conn, a.samples, &county.path, from, until).await?;
    let load = load_average();
    let f = LeaderFilter { under: Some(county.id), warned: true };
    let (times, warned) = timed(a.samples, |_| {
        let (scope, f) = (&county_scope, &f);
        async move { study_logs::leaders(conn, scope, f, None, 20).await.map_err(s) }
    })
    .await?;
    let warned = warned.ok_or("没有测量")?;
    report.rows.push(Row {
        measure: "一个县的预警名单（第一页20人）".into(),
        backend: label,
        n: a.samples,
        p50_ms: pct(&times, 50.0),
        figure_ms: pct(&times, 95.0),
        goal: Goal::P95(200.0),
        reference: "同县本月会议 COUNT(*)".into(),
        reference_ms: ref_ms,
        load,
        correct: warned.0.iter().all(|p| p.warned()),
        note: format!("{}人", warned.0.len()),
    });
    let load = load_average();
    let (times, rows) = timed(a.samples, |_| {
        let (scope, code) = (&county_scope, county.code.clone());
        async move { meetings::compliance(conn, scope, &code, this_year, Some(today.month())).await.map_err(s) }
    })
    .await?;
    let rows = rows.ok_or("没有测量")?;
    let held: u32 = rows.iter().map(|r| r.meetings).sum();
    let (_, counted) = count_meetings(conn, 1, &county.path, from, until).await?;
    report.rows.push(Row {
        measure: "一个县本月第一议题落实情况（逐个组织）".into(),
        backend: label,
        n: a.samples,
        p50_ms: pct(&times, 50.0),
        figure_ms: pct(&times, 95.0),
        goal: Goal::P95(200.0),
        reference: "同县本月会议 COUNT(*)".into(),
        reference_ms: ref_ms,
        load,
        correct: i64::from(held) == counted,
        note: format!("{}个组织、会议{held}次", rows.len()),
    });
    Ok(())
}
