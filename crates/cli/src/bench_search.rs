//! `xuepei bench search`: Chinese full-text search at scale (issue 13 item 5) — N study
//! texts (default 1,000,000) written from realistic study vocabulary over the real divisions
//! of an area (default 岳阳市), indexed through `search::put_new`, then the p95 of two-,
//! three- and four-character and mixed queries in one county's scope and in the whole
//! scope, each beside a reference measured in the same run on the same table:
//! `SELECT … FROM search_docs WHERE <scope> AND (title LIKE '%q%' OR body LIKE '%q%') LIMIT 20`
//! (what a search without the index does). People found by any part of their name
//! (`people::list` with `q`) are measured too, beside a 20-row primary-key read.

use crate::bench::{load_average, ms, pct, ph, s};
use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use chrono::{Days, NaiveDate};
use clap::Args;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use xuepei_domain::divisions;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::path;
use xuepei_domain::people::{Gender, Role, Roles};
use xuepei_domain::synth::Synth;
use xuepei_store::db::{self, DbOptions};
use xuepei_store::diag::{self, RawPerson};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter, PersonSort};
use xuepei_store::search::{self, Doc};
use xuepei_store::{DatabaseConnection, Scope, org};

use crate::bench::{HUNAN, peak_rss_mb, targets as bench_targets, villages, write_orgs_csv};
use crate::bench_training::{Goal, Report, Row, print_report};

#[derive(Debug, Clone, Args)]
pub struct SearchArgs {
    /// Study texts indexed.
    #[arg(long, default_value_t = 1_000_000)]
    pub docs: usize,
    /// People loaded for the name search.
    #[arg(long, default_value_t = 1_000_000)]
    pub people: usize,
    /// The SQLite database file (replaced; default: in a temporary directory).
    #[arg(long)]
    pub sqlite: Option<std::path::PathBuf>,
    /// Measure PostgreSQL only.
    #[arg(long)]
    pub skip_sqlite: bool,
    /// PostgreSQL server to measure (a schema is created and dropped); "none" to skip.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub pg: String,
    /// Queries per measure.
    #[arg(long, default_value_t = 100)]
    pub samples: usize,
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// The division whose organisations own the texts (and the province above it).
    #[arg(long, default_value = "430600")]
    pub area: String,
    /// Keep the loaded data (the SQLite file given by --sqlite, the PostgreSQL schema
    /// `benchsearch_kept`) and reuse it when it is already there: measure again after a
    /// change without indexing again.
    #[arg(long)]
    pub keep: bool,
}

/// Words and phrases of study texts (seeds 001, 003, 004 and common usage).
const VOCABULARY: &[&str] = &[
    "学习贯彻",
    "习近平新时代中国特色社会主义思想",
    "党的二十大精神",
    "乡村振兴",
    "基层党建",
    "理论学习中心组",
    "第一议题",
    "全面从严治党",
    "高质量发展",
    "意识形态工作",
    "党史学习教育",
    "主题教育",
    "以学铸魂",
    "以学增智",
    "以学正风",
    "以学促干",
    "调查研究",
    "群众路线",
    "作风建设",
    "共同富裕",
    "中国式现代化",
    "新发展理念",
    "生态文明建设",
    "长江经济带",
    "洞庭湖生态保护",
    "安全生产",
    "营商环境",
    "民生实事",
    "数字政府",
    "基层治理",
    "党建引领",
    "干部队伍建设",
    "组织生活会",
    "三会一课",
    "专题研讨",
    "交流发言",
    "领学",
    "传达学习",
    "深刻领会",
    "坚决贯彻落实",
    "结合工作实际",
    "推动工作落地见效",
    "守正创新",
    "担当作为",
    "防范化解重大风险",
    "粮食安全",
    "产业发展",
    "5G基站",
    "AI赋能",
    "2024年",
];

const CONNECTORS: &[&str] = &["，", "。", "；", "、", "，要", "，进一步", "，切实", "。全体党员干部要"];
const TITLE_ENDS: &[&str] = &["学习心得", "研讨发言", "会议记录", "专题报告", "年度述学报告", "学习材料"];
const KINDS: &[&str] = &["material", "meeting", "note", "speech", "reflection", "report"];

fn text(synth: &mut Synth, words: usize) -> String {
    let mut t = String::new();
    for i in 0..words {
        t.push_str(VOCABULARY[synth.below(VOCABULARY.len())]);
        if i + 1 < words {
            t.push_str(CONNECTORS[synth.below(CONNECTORS.len())]);
        }
    }
    t.push('。');
    t
}

pub async fn run(a: SearchArgs) -> Result<ExitCode, String> {
    let tmp = tempfile::tempdir().map_err(s)?;
    let mut report = Report::default();
    let all = divisions::parse_csv(HUNAN)?;
    let parent: HashMap<String, Option<String>> = all.iter().map(|d| (d.code.clone(), d.parent_code.clone())).collect();
    let inside = |code: &str| {
        let mut at = Some(code.to_owned());
        while let Some(c) = at {
            if c == a.area {
                return true;
            }
            at = parent.get(&c).cloned().flatten();
        }
        false
    };
    let mut above = Vec::new();
    let mut at = parent.get(&a.area).cloned().flatten();
    while let Some(c) = at {
        at = parent.get(&c).cloned().flatten();
        above.push(c);
    }
    if !parent.contains_key(&a.area) {
        return Err(format!("湖南省区划中没有代码 {}，请改正 --area", a.area));
    }
    let divs: Vec<divisions::Division> =
        all.into_iter().filter(|d| inside(&d.code) || above.contains(&d.code)).collect();
    let vs = villages(&divs);
    if vs.is_empty() {
        return Err(format!("区划 {} 下没有村和社区", a.area));
    }
    report.notes.push(format!(
        "区划 {}：{} 个组织（村和社区 {} 个）；学习文本 {} 篇，人员 {} 人",
        a.area,
        divs.len(),
        vs.len(),
        a.docs,
        a.people
    ));
    let orgs_csv = tmp.path().join("orgs.csv");
    write_orgs_csv(&divs, &orgs_csv)?;
    let sqlite_file = a.sqlite.clone().unwrap_or_else(|| tmp.path().join("bench-search.db"));
    if a.keep && !a.skip_sqlite && a.sqlite.is_none() {
        return Err("--keep 需要同时用 --sqlite 指定保留的数据库文件".into());
    }
    let targets = if a.keep {
        crate::bench::kept_targets((!a.skip_sqlite).then_some(sqlite_file), &a.pg, "benchsearch_kept").await?
    } else {
        bench_targets((!a.skip_sqlite).then_some(sqlite_file), &a.pg, "benchsearch").await?
    };
    for target in &targets {
        let conn = db::connect(&target.url, &DbOptions::default()).await.map_err(s)?;
        let result = on_backend(&a, &conn, target.label, &orgs_csv, &vs, &mut report).await;
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

async fn on_backend(
    a: &SearchArgs,
    conn: &DatabaseConnection,
    label: &'static str,
    orgs_csv: &std::path::Path,
    vs: &[&divisions::Division],
    report: &mut Report,
) -> Result<(), String> {
    let sys = Scope::system();
    db::migrate(conn).await.map_err(s)?;
    let loaded = a.keep && search::sizes(conn).await.map_err(s)?.0 >= a.docs as u64;
    if loaded {
        report.notes.push(format!("{label}：沿用保留的数据（--keep），未重新索引"));
    } else {
        load(a, conn, label, orgs_csv, vs, report).await?;
    }
    let root = org::get_by_code(conn, &sys, &a.area).await.map_err(s)?;
    let county = org::get_by_code(conn, &sys, &vs[0].code[..6]).await.map_err(s)?;
    measure(a, conn, label, &root, &county, report).await
}

/// Indexes the texts and loads the people.
async fn load(
    a: &SearchArgs,
    conn: &DatabaseConnection,
    label: &'static str,
    orgs_csv: &std::path::Path,
    vs: &[&divisions::Division],
    report: &mut Report,
) -> Result<(), String> {
    crate::bench::import_orgs(conn, orgs_csv).await?;
    let paths = diag::org_paths(conn).await.map_err(s)?;
    let mut synth = Synth::new(a.seed);
    let today = xuepei_domain::time::today();

    // ---- the texts: villages' and towns' (a village's parent is its town)
    let t = Instant::now();
    let owners: Vec<(i64, String)> = vs
        .iter()
        .flat_map(|v| {
            let own = paths.get(&v.code).cloned();
            let town = v.parent_code.as_ref().and_then(|p| paths.get(p)).cloned();
            own.into_iter().chain(town)
        })
        .map(|(id, p, _)| (id, p))
        .collect();
    let mut batch: Vec<(String, String, &'static str, i64, usize, NaiveDate)> = Vec::new();
    for i in 0..a.docs {
        let owner = synth.below(owners.len());
        let title = format!(
            "{}{}{}",
            VOCABULARY[synth.below(VOCABULARY.len())],
            VOCABULARY[synth.below(VOCABULARY.len())],
            TITLE_ENDS[synth.below(TITLE_ENDS.len())]
        );
        let n = 8 + synth.below(10);
        let mut body = text(&mut synth, n);
        // A rare phrase, in one text of 5,000: the narrow path of a term.
        if i % 5_000 == 0 {
            body.push_str("参观平江起义纪念馆，接受革命传统教育。");
        }
        let date = today.checked_sub_days(Days::new(synth.below(5 * 365) as u64)).unwrap_or(today);
        batch.push((title, body, KINDS[i % KINDS.len()], 10_000_000 + i as i64, owner, date));
        if batch.len() == 2_000 || i + 1 == a.docs {
            let docs: Vec<Doc<'_>> = batch
                .iter()
                .map(|(title, body, kind, id, owner, date)| Doc {
                    kind,
                    id: *id,
                    org_id: owners[*owner].0,
                    org_path: &owners[*owner].1,
                    title,
                    body,
                    date: Some(*date),
                })
                .collect();
            let txn = sea_orm::TransactionTrait::begin(conn).await.map_err(s)?;
            search::put_new(&txn, &docs).await.map_err(s)?;
            txn.commit().await.map_err(s)?;
            batch.clear();
        }
    }
    let (ndocs, npostings) = search::sizes(conn).await.map_err(s)?;
    let index_secs = t.elapsed().as_secs_f64();

    // ---- people for the name search
    let t = Instant::now();
    let mut chunk = Vec::with_capacity(20_000);
    for i in 0..a.people {
        let v = vs[i % vs.len()];
        let o = paths.get(&v.code).ok_or_else(|| format!("组织 {} 未导入", v.code))?;
        let gender = synth.gender(0.55);
        let birth = synth.birth_date(today, 25, 60);
        let id = synth.id_number(&v.code[..6], birth, gender);
        let birth = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").unwrap_or(birth);
        let mut roles = Roles::default();
        roles.insert(Role::CommitteeMember);
        chunk.push(RawPerson {
            name: synth.name(gender),
            id_number: id,
            gender: if gender == Gender::Male { Gender::Male.code() } else { Gender::Female.code() },
            birth_date: birth,
            phone: None,
            party_joined_on: None,
            position: None,
            rank_level: Some("other"),
            roles: roles.0,
            org_id: o.0,
            org_path: o.1.clone(),
            org_sector: o.2,
        });
        if chunk.len() == 20_000 || i + 1 == a.people {
            diag::raw_insert_persons(conn, &chunk).await.map_err(s)?;
            chunk.clear();
        }
    }
    let people_secs = t.elapsed().as_secs_f64();
    // The steady state of a server: statistics gathered and, on PostgreSQL, the visibility
    // map set (what autovacuum does after a bulk load) so that index-only scans skip the heap.
    let analyze = match conn.get_database_backend() {
        DbBackend::Postgres => "VACUUM ANALYZE search_docs, search_postings, persons, organizations",
        _ => "ANALYZE",
    };
    let t = Instant::now();
    conn.execute_unprepared(analyze).await.map_err(s)?;
    report.notes.push(format!(
        "{label}：索引 {ndocs} 篇、词项 {npostings} 条，用时 {index_secs:.1}s（{:.0} 篇/秒）；人员 {} 人 {people_secs:.1}s（基准专用原始插入）；{analyze} {:.1}s",
        ndocs as f64 / index_secs.max(1e-6),
        a.people,
        t.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// The queries' p95 in the area and in its first county (by the first village).
async fn measure(
    a: &SearchArgs,
    conn: &DatabaseConnection,
    label: &'static str,
    root: &org::Org,
    county: &org::Org,
    report: &mut Report,
) -> Result<(), String> {
    let whole = Scope::of_org(conn, root.id).await.map_err(s)?;
    let county_scope = Scope::of_org(conn, county.id).await.map_err(s)?;
    let scopes = [
        (format!("全域（{}）", root.code), &whole, root),
        (format!("一个县（{}）", county.code), &county_scope, county),
    ];
    let queries: [(&str, &str); 8] = [
        ("两字·常见", "学习"),
        ("两字", "振兴"),
        ("两字·少见", "洞庭"),
        ("三字", "新时代"),
        ("四字", "乡村振兴"),
        ("四字·罕见", "平江起义"),
        ("四字·两词", "党建 引领"),
        ("中英混合", "5G基站"),
    ];
    let b = conn.get_database_backend();
    for (scope_label, scope, o) in &scopes {
        for (what, q) in queries {
            let load = load_average();
            let mut times = Vec::with_capacity(a.samples);
            let mut found = 0;
            for _ in 0..a.samples {
                let t = Instant::now();
                let r = search::search(conn, scope, q, None, 1, 20).await.map_err(s)?;
                times.push(ms(t));
                found = r.items.len();
            }
            times.sort_by(f64::total_cmp);
            // Reference: a LIKE over the same table and scope, 20 rows.
            let (lo, hi) = path::subtree_range(&o.path);
            let word = q.split(' ').next().unwrap_or(q);
            let like = format!("%{word}%");
            let sql = ph(
                b,
                "SELECT id FROM search_docs WHERE org_path >= ? AND org_path < ? AND (title LIKE ? OR body LIKE ?) LIMIT 20",
            );
            let mut refs = Vec::new();
            for _ in 0..a.samples.clamp(1, 20) {
                let t = Instant::now();
                let rows = conn
                    .query_all_raw(Statement::from_sql_and_values(
                        b,
                        sql.clone(),
                        [lo.clone().into(), hi.clone().into(), like.clone().into(), like.clone().into()],
                    ))
                    .await
                    .map_err(s)?;
                refs.push(ms(t));
                std::hint::black_box(rows);
            }
            refs.sort_by(f64::total_cmp);
            report.rows.push(Row {
                measure: format!("检索“{q}”（{what}），{scope_label}"),
                backend: label,
                n: a.samples,
                p50_ms: pct(&times, 50.0),
                figure_ms: pct(&times, 95.0),
                goal: Goal::P95(100.0),
                reference: format!("LIKE '%{word}%' 同范围取20条"),
                reference_ms: pct(&refs, 95.0),
                load,
                // The rare phrase lies in the whole area; a county may hold none of it.
                correct: found > 0 || q == "平江起义",
                note: format!("首页{found}条"),
            });
        }
    }

    // ---- people by any part of the name
    let sample =
        people::list(conn, &county_scope, &PersonFilter::default(), PersonSort::Org, At::First, 50).await.map_err(s)?;
    let parts: Vec<String> = sample
        .items
        .iter()
        .filter_map(|r| {
            let c: Vec<char> = r.person.name.chars().collect();
            (c.len() >= 2).then(|| c[1..].iter().collect())
        })
        .take(10)
        .collect();
    let ids: Vec<i64> = sample.items.iter().map(|r| r.person.id).take(20).collect();
    for (scope_label, scope, _) in &scopes {
        let load = load_average();
        let mut times = Vec::new();
        let mut found = 0;
        for i in 0..a.samples {
            let part = &parts[i % parts.len().max(1)];
            let f = PersonFilter { q: Some(part.clone()), ..Default::default() };
            let t = Instant::now();
            let r = people::list(conn, scope, &f, PersonSort::Org, At::First, 20).await.map_err(s)?;
            times.push(ms(t));
            found += r.items.len();
        }
        times.sort_by(f64::total_cmp);
        let in_list = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let mut refs = Vec::new();
        for _ in 0..a.samples {
            let t = Instant::now();
            let rows = conn
                .query_all_raw(Statement::from_string(b, format!("SELECT * FROM persons WHERE id IN ({in_list})")))
                .await
                .map_err(s)?;
            refs.push(ms(t));
            std::hint::black_box(rows);
        }
        refs.sort_by(f64::total_cmp);
        report.rows.push(Row {
            measure: format!("人员姓名任意部分（如“{}”），{scope_label}", parts.first().cloned().unwrap_or_default()),
            backend: label,
            n: a.samples,
            p50_ms: pct(&times, 50.0),
            figure_ms: pct(&times, 95.0),
            goal: Goal::P95(100.0),
            reference: "按主键读20人".into(),
            reference_ms: pct(&refs, 95.0),
            load,
            correct: found > 0,
            note: format!("平均每次{}人", found / a.samples.max(1)),
        });
    }
    Ok(())
}
