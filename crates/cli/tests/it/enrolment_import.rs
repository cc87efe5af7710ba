//! Enrolment through the import wizard's mechanism (a class number and an identity number
//! per row): all or nothing, each refusal on its row, the roster's rules applied, and the
//! roster exported in the same columns.

use xuepei_office::read::{Source, Workbook};
use xuepei_store::Scope;
use xuepei_store::classes;
use xuepei_store::enrolments;
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter, PersonSort};
use xuepei_testkit::files;
use xuepei_web::kinds::Kind;

use crate::classes::{city_campaign, class_input};
use crate::support::*;

fn kind() -> Kind {
    Kind::parse("enrolments").expect("registered")
}

/// The first `n` people under `code`.
async fn people_under(db: &xuepei_store::DatabaseConnection, code: &str, n: u64) -> Vec<people::Person> {
    let o = by_code(db, code).await;
    let f = PersonFilter { under: Some(o.id), ..Default::default() };
    people::list(db, &Scope::system(), &f, PersonSort::Org, At::First, n)
        .await
        .expect("people")
        .items
        .into_iter()
        .map(|r| r.person)
        .collect()
}

#[tokio::test]
async fn a_spreadsheet_enrols_all_or_nothing_and_the_roster_exports_back() {
    let db = seeded().await;
    let campaign = city_campaign(&db.conn).await;
    let class = write(&db.conn, &Scope::system(), async |tx| {
        classes::create(tx, &class_input(Some(campaign.id), "市级示范班", "430600")).await
    })
    .await
    .expect("class");
    let ours = people_under(&db.conn, YUNXI, 3).await;
    let theirs = people_under(&db.conn, QUYUAN, 1).await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let id = class.id.to_string();

    // A bad file: an unknown class, a person outside the county, a name that disagrees,
    // a malformed number; every problem on its row, nothing written.
    let bad = files::xlsx(
        &[
            vec!["班次编号", "身份证号", "姓名"],
            vec![&id, &ours[0].id_number, &ours[0].name],
            vec!["999999", &ours[1].id_number, ""],
            vec![&id, &theirs[0].id_number, ""],
            vec![&id, &ours[2].id_number, "别人"],
            vec![&id, "4306", ""],
        ],
        &[],
    );
    let out = run_import(&db.conn, &yunxi, kind(), Source::Bytes(bad), false).await.expect("report");
    let r = &out.report;
    assert!(!r.committed);
    let rows: Vec<u64> = r.errors.iter().map(|e| e.row).collect();
    assert_eq!(rows, vec![3, 4, 5, 6], "{:?}", r.errors);
    assert!(r.errors[0].message.contains("班次编号999999不存在"), "{:?}", r.errors[0]);
    assert!(r.errors[2].message.contains("姓名“别人”"), "{:?}", r.errors[2]);
    let counts = enrolments::counts(&db.conn, &Scope::system(), class.id).await.expect("counts");
    assert_eq!(counts.values().sum::<u64>(), 0, "nothing written");

    // The good file enrols; a dry run first writes nothing.
    let good = files::xlsx(
        &[
            vec!["班次", "身份证号码", "学员姓名"],
            vec![&id, &ours[0].id_number, &ours[0].name],
            vec![&id, &ours[1].id_number, ""],
        ],
        &[],
    );
    let dry = run_import(&db.conn, &yunxi, kind(), Source::Bytes(good.clone()), true).await.expect("dry");
    assert_eq!((dry.report.inserted, dry.report.committed), (2, false));
    let done = run_import(&db.conn, &yunxi, kind(), Source::Bytes(good.clone()), false).await.expect("import");
    assert!(done.report.committed && done.report.errors.is_empty(), "{:?}", done.report.errors);
    let counts = enrolments::counts(&db.conn, &Scope::system(), class.id).await.expect("counts");
    assert_eq!(counts.get("enrolled").copied(), Some(2));
    // The same file again changes nothing.
    let again = run_import(&db.conn, &yunxi, kind(), Source::Bytes(good), false).await.expect("again");
    assert_eq!((again.report.unchanged, again.report.inserted, again.report.error_count), (2, 0, 0));

    // The county's export of the city class holds its own people only, and reads back.
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("roster.xlsx");
    let n = xuepei_web::kinds::enrolments::roster_xlsx(&db.conn, &yunxi, Some(class.id), &path, "学员名单")
        .await
        .expect("export");
    assert_eq!(n, 2);
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    let other = xuepei_web::kinds::enrolments::roster_xlsx(
        &db.conn,
        &quyuan,
        Some(class.id),
        &dir.path().join("q.xlsx"),
        "学员名单",
    )
    .await;
    match other {
        Ok(rows) => assert_eq!(rows, 0, "another county sees none of them"),
        Err(e) => assert!(e.to_string().contains("不存在"), "{e}"),
    }
    let wb = Workbook::open(Source::Path(path.clone())).expect("open");
    let mut rows = Vec::new();
    wb.read_sheet(0, |r| {
        rows.push(r.cells);
        std::ops::ControlFlow::Continue(())
    })
    .expect("read");
    let text = format!("{rows:?}");
    assert!(text.contains("班次编号") && text.contains(&ours[0].id_number), "{text}");
    db.cleanup().await;
}
