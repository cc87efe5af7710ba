//! `xuepei bench training` at a tiny scale (one county, a few hundred people), so that the
//! benchmark of issue 12 cannot rot: every measure runs and its correctness conditions
//! hold (coverage counts the target, training files hold the history, the bulk enrolment
//! stores everyone, the planner breaks no hard constraint, every check-in is recorded
//! exactly once and every replay is refused, the class's certificates make one page each and
//! every verification under load finds its certificate valid). Times are not asserted: that is the bench's
//! job, in a release build.

use xuepei::bench_training::{self, Goal, TrainingArgs};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_training_runs_at_tiny_scale_and_every_measure_is_correct() {
    // On PostgreSQL runs of the suite the bench measures that server (its own schema);
    // otherwise SQLite (the bench does not cover MySQL).
    let url = std::env::var("TEST_DATABASE_URL").unwrap_or_default();
    let pg = url.starts_with("postgres");
    let dir = tempfile::tempdir().expect("tempdir");
    let args = TrainingArgs {
        people: 300,
        credits: Some(1200),
        sqlite: Some(dir.path().join("bench-training.db")),
        skip_sqlite: pg,
        pg: if pg { url } else { "none".into() },
        enrol: 120,
        checkins: 60,
        planner_small: 2000,
        planner_large: 4000,
        samples: 5,
        area: "430626".into(),
        verify_seconds: 1,
        ..TrainingArgs::default()
    };
    let report = bench_training::measure(&args).await.expect("bench runs");
    bench_training::print_report(&report);
    let backend = if pg { "PostgreSQL" } else { "SQLite" };
    let on_db: Vec<_> = report.rows.iter().filter(|r| r.backend == backend).collect();
    assert_eq!(
        on_db.len(),
        9,
        "two coverage pages, training file, enrolment, check-ins, filing overview, notifications, certificates' PDF, verification"
    );
    assert_eq!(report.rows.len(), 11, "and the two planner runs");
    for r in &report.rows {
        assert!(r.correct, "{} on {}: {}", r.measure, r.backend, r.note);
        assert!(r.figure_ms > 0.0 && r.reference_ms > 0.0, "{} measured beside its reference", r.measure);
    }
    let checkin = on_db.iter().find(|r| matches!(r.goal, Goal::P99(_))).expect("check-in row");
    assert_eq!(checkin.n, 60, "every check-in fired");
    assert!(checkin.note.starts_with("记录 60 行（不同学员 60）"), "{}", checkin.note);
    let enrol = on_db.iter().find(|r| r.measure.starts_with("批量报名")).expect("enrolment row");
    assert_eq!(enrol.note, "在册 120 人");
    let training_file = on_db.iter().find(|r| r.measure.starts_with("个人培训档案")).expect("file row");
    assert_eq!(training_file.note, "每人最多 4 条记录", "1200 records over 300 people");
    assert!(report.notes.iter().any(|n| n.contains("学时记录 1200 条")), "{:?}", report.notes);
    let pdf = on_db.iter().find(|r| r.measure.contains("结业证书合并为一个 PDF")).expect("certificates row");
    assert!(pdf.note.starts_with(&format!("{} 页", pdf.measure.split(' ').next().unwrap_or_default())), "{}", pdf.note);
    let verify = on_db.iter().find(|r| r.measure.starts_with("证书核验")).expect("verification row");
    assert!(verify.n > 32, "every client verified: {}", verify.note);
}
