//! The receiving body's filing overview (备案情况, issue 14's speed target) inside
//! `xuepei bench training`: on the province campaign, the cities file with the province and
//! every county with its city (a route each); each files its plan (filed) and a progress
//! report (awaiting), then the province's board of all of them is read, beside a count of
//! the same filings.

use std::time::Instant;

use xuepei_domain::divisions::{DivisionLevel, level_of};
use xuepei_store::filings::{self, FilingInput};
use xuepei_store::notifications;
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx};

use crate::bench::{load_average, ms, pct, ph, s, sorted};
use crate::bench_training::{Goal, Report, Row};

/// Files for every organiser and measures the province's board `samples` times.
pub async fn board(
    samples: usize,
    conn: &DatabaseConnection,
    label: &'static str,
    province: &xuepei_store::org::Org,
    campaign_id: i64,
    report: &mut Report,
) -> Result<(), String> {
    let explain = crate::commands::explain;
    let actor = Actor::operator("bench");
    let prov = Scope::of_org(conn, province.id).await.map_err(s)?;
    let today = xuepei_domain::time::today();
    // Every county files with its city.
    let counties: Vec<(String, String)> = xuepei_store::org::all(conn, &prov, &Default::default())
        .await
        .map_err(s)?
        .into_iter()
        .filter(|o| level_of(&o.code) == Some(DivisionLevel::County))
        .map(|o| (o.code.clone(), format!("{}00", &o.code[..4])))
        .collect();
    let t = Instant::now();
    let tx = Tx::begin(conn, &prov, &actor).await.map_err(s)?;
    for (county, city) in &counties {
        if xuepei_store::org::get_by_code(tx.conn(), &prov, city).await.is_ok() {
            filings::set_route(&tx, campaign_id, county, city).await.map_err(explain)?;
        }
    }
    tx.commit().await.map_err(s)?;
    // Each organiser files its plan and its first progress report; the plans are filed.
    let filers = filings::board(conn, &prov, campaign_id, today).await.map_err(s)?.rows;
    for r in &filers {
        let own = Scope::of_org(conn, r.filer.org.id).await.map_err(s)?;
        let tx = Tx::begin(conn, &own, &actor).await.map_err(s)?;
        let input = |kind: &str, period: &str, what: &str| FilingInput {
            org: r.filer.org.code.clone(),
            kind: kind.into(),
            period: period.into(),
            title: format!("{}{what}", r.filer.org.name),
            body: "一、基本情况\n二、主要做法\n三、存在问题\n四、下步打算".into(),
        };
        let plan = filings::create(&tx, campaign_id, &input("plan", "", "轮训实施方案")).await.map_err(explain)?;
        filings::add_file(&tx, plan.id, "实施方案.pdf", b"%PDF-1.4".to_vec()).await.map_err(explain)?;
        filings::submit(&tx, plan.id).await.map_err(explain)?;
        let progress =
            filings::create(&tx, campaign_id, &input("progress", "1", "第1期进度报告")).await.map_err(explain)?;
        filings::submit(&tx, progress.id).await.map_err(explain)?;
        tx.commit().await.map_err(s)?;
        let receiver = Scope::of_org(conn, r.filer.receiver.id).await.map_err(s)?;
        let tx = Tx::begin(conn, &receiver, &actor).await.map_err(s)?;
        filings::decide(&tx, plan.id, "accept", "").await.map_err(explain)?;
        tx.commit().await.map_err(s)?;
    }
    let prep = t.elapsed().as_secs_f64();

    let load = load_average();
    let mut times = Vec::new();
    let mut shown = (0, 0, 0);
    for _ in 0..samples {
        let t = Instant::now();
        let b = filings::board(conn, &prov, campaign_id, today).await.map_err(s)?;
        times.push(ms(t));
        shown = (
            b.rows.len(),
            b.rows.iter().filter(|r| r.duties[0].filed_version.is_some()).count(),
            b.rows
                .iter()
                .filter(|r| r.duties.iter().any(|d| d.current.as_ref().is_some_and(|f| f.period == 1)))
                .count(),
        );
    }
    let b = conn.get_database_backend();
    let mut refs = Vec::new();
    for _ in 0..samples {
        let t = Instant::now();
        crate::bench_training::scalar(
            conn,
            &ph(b, "SELECT CAST(COUNT(*) AS BIGINT) FROM filings WHERE campaign_id = ?"),
            vec![campaign_id.into()],
        )
        .await?;
        refs.push(ms(t));
    }
    let (times, refs) = (sorted(times), sorted(refs));
    let n = filers.len();
    report.rows.push(Row {
        measure: format!("备案情况表（全省 {n} 个报送单位，每单位方案+进度报告）"),
        backend: label,
        n: samples,
        p50_ms: pct(&times, 50.0),
        figure_ms: pct(&times, 95.0),
        goal: Goal::P95(100.0),
        reference: "同一轮训工作备案材料 COUNT(*) p95".into(),
        reference_ms: pct(&refs, 95.0),
        load,
        correct: shown == (n, n, n) && n > 0,
        note: format!(
            "报送单位 {} 个（其中县市区向所在市州报送 {} 个），实施方案已备案 {}，进度报告已报送 {}；数据准备 {prep:.1}s",
            shown.0,
            counties.len(),
            shown.1,
            shown.2
        ),
    });

    // The province's notifications, derived as its bell does once a minute: the campaign's
    // board and every other source, for an organisation-department account.
    let viewer = notifications::Viewer { account_id: 0, person_id: None, training: true, acts: true };
    let mut times = Vec::new();
    let mut found = 0;
    for _ in 0..samples {
        let t = Instant::now();
        found = notifications::list(conn, &prov, &viewer, today).await.map_err(s)?.len();
        times.push(ms(t));
    }
    let times = sorted(times);
    report.rows.push(Row {
        measure: "通知提醒（全省组织部门账号，每分钟计算一次）".into(),
        backend: label,
        n: samples,
        p50_ms: pct(&times, 50.0),
        figure_ms: pct(&times, 95.0),
        goal: Goal::P95(200.0),
        reference: "同一轮训工作备案材料 COUNT(*) p95".into(),
        reference_ms: pct(&refs, 95.0),
        load,
        correct: found > 0,
        note: format!("通知 {found} 条（所有报送单位的进度报告已报送，待备案）"),
    });
    Ok(())
}
