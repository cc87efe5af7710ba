//! The organisations import: rows referring to each other, cycles, codes, idempotence
//! and the export → import round trip.

use xuepei_office::read::Source;
use xuepei_store::org::{self, OrgFilter};
use xuepei_store::{DatabaseConnection, Scope};
use xuepei_testkit::files;
use xuepei_web::jobs::{ImportKind, ImportOutcome};

use crate::support::*;

async fn run(db: &DatabaseConnection, scope: &Scope, rows: &[Vec<&str>], dry_run: bool) -> ImportOutcome {
    run_import(db, scope, ImportKind::Orgs, Source::Bytes(files::xlsx(rows, &[])), dry_run).await.expect("import runs")
}

fn errors(o: &ImportOutcome) -> String {
    o.report.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

const HEADER: [&str; 6] = ["组织代码", "组织名称", "简称", "上级组织", "组织类别", "所属领域"];

#[tokio::test]
async fn rows_may_name_parents_later_in_the_file_and_import_again_unchanged() {
    let db = seeded().await;
    let sys = Scope::system();
    let rows = vec![
        vec!["云溪区委机关组织名册"],
        HEADER.to_vec(),
        // The child comes before its parent, which is named by its full name.
        vec![
            "YX-JG-01",
            "中共云溪区委办公室支部委员会",
            "区委办支部",
            "中共云溪区直属机关工作委员会",
            "支部",
            "党政机关",
        ],
        vec!["YX-JG", "中共云溪区直属机关工作委员会", "区直机关工委", YUNXI, "工委", "机关"],
        vec!["YX-JG-02", "中共云溪区财政局支部委员会", "区财政局支部", "YX-JG", "党支部", "机关"],
    ];
    let out = run(&db.conn, &sys, &rows, false).await;
    assert!(out.report.is_ok(), "{}", errors(&out));
    assert_eq!(out.report.inserted, 3);
    let parent = by_code(&db.conn, "YX-JG").await;
    let child = by_code(&db.conn, "YX-JG-01").await;
    assert_eq!(child.parent_id, Some(parent.id));
    assert!(child.path.starts_with(&parent.path));
    assert_eq!(parent.parent_id, Some(by_code(&db.conn, YUNXI).await.id));
    assert_eq!(child.kind, xuepei_domain::org::OrgKind::Branch);
    assert_eq!(parent.kind, xuepei_domain::org::OrgKind::WorkingCommittee);

    let again = run(&db.conn, &sys, &rows, false).await;
    assert_eq!((again.report.inserted, again.report.updated, again.report.unchanged), (0, 0, 3), "{}", errors(&again));

    // A renamed row is an update.
    let mut renamed = rows.clone();
    renamed[4][2] = "财政局支部";
    let changed = run(&db.conn, &sys, &renamed, false).await;
    assert_eq!((changed.report.inserted, changed.report.updated), (0, 1));
    assert_eq!(
        org::get(&db.conn, &sys, by_code(&db.conn, "YX-JG-02").await.id).await.expect("org").short_name.as_deref(),
        Some("财政局支部")
    );
    db.cleanup().await;
}

#[tokio::test]
async fn cycles_and_moves_under_oneself_are_refused_and_nothing_is_written() {
    let db = seeded().await;
    let sys = Scope::system();
    let town = by_code(&db.conn, "430603001").await;
    // Two new rows naming each other.
    let pair = vec![
        HEADER.to_vec(),
        vec!["C-A", "甲组织", "", "C-B", "党支部", "机关"],
        vec!["C-B", "乙组织", "", "C-A", "党支部", "机关"],
    ];
    let out = run(&db.conn, &sys, &pair, false).await;
    assert!(errors(&out).contains("第2行 上级组织: 上级组织关系形成循环：C-A → C-B → C-A"), "{}", errors(&out));
    assert!(org::get_by_code(&db.conn, &sys, "C-A").await.is_err());
    // An existing town moved under its own village.
    let under_itself =
        vec![HEADER.to_vec(), vec!["430603001", "中共云溪区长岭街道工作委员会", "长岭街道", JINGZHU, "党工委", "街道"]];
    let out = run(&db.conn, &sys, &under_itself, false).await;
    let text = errors(&out);
    assert!(text.contains("第2行 上级组织: 上级组织关系形成循环：430603001 → 430603001203 → 430603001"), "{text}");
    assert_eq!(by_code(&db.conn, "430603001").await.path, town.path, "not moved");
    db.cleanup().await;
}

#[tokio::test]
async fn codes_labels_and_scope_are_checked() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let rows = vec![
        HEADER.to_vec(),
        vec!["N-1", "新支部一", "", JINGZHU, "支部", "村"],
        vec!["N-1", "新支部二", "", JINGZHU, "支部", "村"],
        vec![QUYUAN_TOWN, "冒用外县代码", "", JINGZHU, "支部", "村"],
        vec!["N-3", "无上级", "", "", "支部", "村"],
        vec!["N-4", "怪类别", "", JINGZHU, "兴趣小组", "火星"],
        vec!["N-5", "外县上级", "", "430671001", "支部", "村"],
    ];
    let out = run(&db.conn, &yunxi, &rows, false).await;
    let text = errors(&out);
    for expected in [
        "第3行 组织代码: 与第2行的组织代码重复",
        "第4行 组织代码: 组织代码“430671101”已被您管理范围以外的组织使用",
        "第5行 上级组织: 请填写上级组织",
        "第6行 组织类别: “兴趣小组”不是可选值，可选：党委、党工委",
        "第6行 所属领域: “火星”不是可选值",
        "第7行 上级组织: 在您的管理范围内未找到组织“430671001”",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
    assert!(org::get_by_code(&db.conn, &Scope::system(), "N-1").await.is_err(), "nothing written");
    db.cleanup().await;
}

#[tokio::test]
async fn an_export_imports_back_unchanged() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("orgs.xlsx");
    let filter = OrgFilter { include_inactive: true, ..Default::default() };
    let n = xuepei_web::exports::orgs_xlsx(&db.conn, &yunxi, &filter, &path, "组织机构").await.expect("export");
    assert_eq!(n, 1 + 2 + 5 + 56);
    let out = run_import(&db.conn, &yunxi, ImportKind::Orgs, Source::Path(path), false).await.expect("import");
    assert!(out.report.is_ok(), "{}", errors(&out));
    assert_eq!((out.report.inserted, out.report.updated, out.report.unchanged), (0, 0, n));
    db.cleanup().await;
}
