//! Exports: what is in the scope, all of it, readable by Excel and by our own import.

use std::ops::ControlFlow;

use xuepei_office::read::{Source, Workbook};
use xuepei_store::Scope;
use xuepei_store::people::{self, PersonFilter};
use xuepei_web::jobs::ImportKind;

use crate::support::*;

fn read(path: &std::path::Path) -> Vec<Vec<String>> {
    let wb = Workbook::open(Source::Path(path.to_owned())).expect("open");
    let mut rows = Vec::new();
    wb.read_sheet(0, |r| {
        rows.push(r.cells);
        ControlFlow::Continue(())
    })
    .expect("read");
    rows
}

#[tokio::test]
async fn people_export_holds_the_scope_and_imports_back_unchanged() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let expected = people::count(&db.conn, &yunxi, &PersonFilter::default()).await.expect("count").value;
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("people.xlsx");
    let n = xuepei_web::exports::people_xlsx(&db.conn, &yunxi, &PersonFilter::default(), &path, "人员信息")
        .await
        .expect("export");
    assert_eq!(n, expected);
    let rows = read(&path);
    assert_eq!(rows[0], vec!["人员信息"]);
    assert_eq!(rows[1][..3], ["姓名", "身份证号", "性别"]);
    assert_eq!(rows.len() as u64, expected + 2);
    let org_col = rows[1].iter().position(|h| h == "所在党组织").expect("organisation column");
    assert!(rows[2..].iter().all(|r| r[org_col].contains("（430603")), "every row belongs to 云溪区");
    let out = run_import(&db.conn, &yunxi, ImportKind::People, Source::Path(path), false).await.expect("import");
    assert!(out.report.is_ok(), "{:?}", out.report.errors.first());
    assert_eq!((out.report.inserted, out.report.updated, out.report.unchanged), (0, 0, expected));
    db.cleanup().await;
}

#[tokio::test]
async fn a_filtered_export_holds_only_the_filter() {
    let db = seeded().await;
    let village = by_code(&db.conn, JINGZHU).await;
    let f = PersonFilter { under: Some(village.id), ..Default::default() };
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("v.xlsx");
    let n = xuepei_web::exports::people_xlsx(&db.conn, &Scope::system(), &f, &path, "荆竹村").await.expect("export");
    assert_eq!(n as i64, village.person_count);
    assert_eq!(read(&path).len() as i64, village.person_count + 2);
    db.cleanup().await;
}
