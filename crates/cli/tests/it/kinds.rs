//! One import-and-export mechanism for every kind of record (issue 10): each registered kind
//! is served by the wizard, the JSON API and the command line; unknown kinds are refused in
//! Chinese; a kind's permission holds. And the wizard's preview (issue 11): the rows to be
//! added and changed, who is on each bad row, the bad rows as Excel with their reasons, a
//! result page that survives a refresh, and progress for long jobs.

use std::process::{Command, Output};

use reqwest::multipart::{Form, Part};
use xuepei_domain::accounts::AccountRole;
use xuepei_office::read::{Source, Workbook};
use xuepei_store::people::{self, PersonFilter};
use xuepei_store::{Scope, accounts, tokens};
use xuepei_testkit::{TestApp, files};
use xuepei_web::kinds::registry;

use crate::support::*;

fn xuepei(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xuepei"))
        .args(args)
        .env("XUEPEI_DATABASE_URL", url)
        .env("XUEPEI_LOG", "warn")
        .env_remove("XUEPEI_CONFIG")
        .output()
        .expect("runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Posts a file to the wizard of `code` as the page does: the token first, then the job's
/// key, then the file.
async fn upload(app: &TestApp, code: &str, name: &str, bytes: Vec<u8>, job: Option<&str>) -> reqwest::Response {
    let mut form = Form::new().text("_csrf", app.csrf().await);
    if let Some(j) = job {
        form = form.text("job", j.to_owned());
    }
    let form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    app.raw.post(app.url(&format!("/import/{code}"))).multipart(form).send().await.expect("upload")
}

/// The address of the preview's confirm form.
fn confirm_action(page: &str) -> String {
    page.split("action=\"")
        .filter_map(|a| a.split('"').next())
        .find(|a| a.ends_with("/confirm"))
        .unwrap_or_else(|| panic!("a confirm form in:\n{page}"))
        .to_owned()
}

/// Every cell of the first sheet, row by row.
fn sheet(bytes: &[u8]) -> Vec<Vec<String>> {
    let wb = Workbook::open(Source::Bytes(bytes.to_vec())).expect("a readable xlsx");
    let mut rows = Vec::new();
    wb.read_sheet(0, |r| {
        rows.push(r.cells);
        std::ops::ControlFlow::Continue(())
    })
    .expect("read");
    rows
}

async fn people_total(db: &xuepei_store::DatabaseConnection) -> u64 {
    people::count(db, &Scope::system(), &PersonFilter::default()).await.expect("count").value
}

#[tokio::test]
async fn every_registered_kind_is_served_by_the_wizard_the_api_and_the_command_line() {
    let db = seeded().await;
    // Organisation and propaganda staff together may import every kind (materials are study records).
    let app = signed_in(&db, "kinds", &[AccountRole::OrgStaff, AccountRole::PropagandaStaff], YUNXI).await;
    let issuer = accounts::by_username(&db.conn, "kinds").await.expect("account");
    let county = by_code(&db.conn, YUNXI).await;
    let (_, token) = write(&db.conn, &Scope::system(), async |tx| {
        tokens::issue(tx, "类型测试", county.id, true, None, issuer.id).await
    })
    .await
    .expect("token");
    let dir = tempfile::tempdir().expect("dir");
    let (_, menu) = app.get("/").await;
    assert!(menu.contains("数据导入"), "the menu offers the wizard");
    // Records of the county of every kind, so that each export has rows to import back: a
    // credit record from another platform, and an enrolment in a city class.
    let someone = someone_under(&db.conn, YUNXI).await;
    let credit = serde_json::json!([{ "id_number": someone.id_number, "title": "网络专题班", "date": "2026-03-01",
        "hours": "2", "provider": "湖南省干部网络学院", "external_ref": "K-1" }]);
    let r = app
        .raw
        .post(app.url("/api/v1/credits/import"))
        .bearer_auth(&token)
        .json(&credit)
        .send()
        .await
        .expect("credits");
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    let campaign = crate::classes::city_campaign(&db.conn).await;
    write(&db.conn, &Scope::system(), async |tx| {
        let c = xuepei_store::classes::create(tx, &crate::classes::class_input(Some(campaign.id), "市级班", "430600"))
            .await?;
        xuepei_store::enrolments::enrol(tx, c.id, &[xuepei_store::enrolments::PersonRef::Id(someone.id)]).await
    })
    .await
    .expect("enrolment");
    // A study material of the county.
    crate::materials::seed_material(&db.conn, YUNXI, "区委理论学习中心组学习材料", "学习党建").await;
    for kind in registry() {
        let code = kind.code();
        // The command line exports the county's records of the kind, and checks them back.
        let file = dir.path().join(format!("{code}.xlsx"));
        let out = xuepei(&db.url, &["export", code, "--out", &file.to_string_lossy(), "--org", YUNXI]);
        assert!(out.status.success(), "export {code}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains(kind.export_title()), "{}", text(&out.stdout));
        assert!(
            !text(&out.stdout).contains("共0行") && !text(&out.stdout).contains("（0行）"),
            "{code}: seed records of every kind above: {}",
            text(&out.stdout)
        );
        let out = xuepei(&db.url, &["import", code, &file.to_string_lossy(), "--dry-run", "--org", YUNXI]);
        assert!(out.status.success(), "import {code}: {}{}", text(&out.stdout), text(&out.stderr));
        assert!(text(&out.stdout).contains("重复导入，数据没有变化"), "{code}: {}", text(&out.stdout));
        let bytes = std::fs::read(&file).expect("exported file");

        // The wizard: its page and tab, its template, a preview of the same file.
        let (s, page) = app.get(&format!("/import/{code}")).await;
        assert_eq!(s, 200, "{code}");
        assert!(page.contains(&format!("导入{}", kind.title())), "{code}");
        for other in registry() {
            assert!(page.contains(&format!("href=\"/import/{}\"", other.code())), "{code}: a tab per kind");
        }
        let r = app.client.get(app.url(&format!("/import/{code}/template.xlsx"))).send().await.expect("template");
        assert_eq!(r.status(), 200, "{code}");
        let template = sheet(&r.bytes().await.expect("bytes"));
        let required = kind.spec().columns.iter().find(|c| c.required).expect("a required column");
        assert!(
            template.iter().flatten().any(|c| c.contains(required.label)),
            "{code}: the template names its columns"
        );
        let r = upload(&app, code, "导出.xlsx", bytes.clone(), None).await;
        let page = r.text().await.expect("body");
        assert!(page.contains("预检通过") && page.contains(kind.title()), "{code}: {page}");

        // The API: the kind's own address takes the file.
        let r = app
            .raw
            .post(app.url(&format!("{}?dry_run=true&filename=x.xlsx", kind.api_import_path())))
            .bearer_auth(&token)
            .header("content-type", "application/octet-stream")
            .body(bytes)
            .send()
            .await
            .expect("api");
        assert_eq!(r.status(), 200, "{code}");
        let v: serde_json::Value = r.json().await.expect("json");
        assert_eq!((v["error_count"].as_u64(), v["inserted"].as_u64()), (Some(0), Some(0)), "{code}: {v}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn an_unknown_kind_is_refused_in_chinese_everywhere() {
    let db = seeded().await;
    let app = signed_in(&db, "unknown", &[AccountRole::OrgStaff], YUNXI).await;
    for path in ["/import/cadres", "/import/cadres/template.xlsx", "/import/cadres/1/result"] {
        let (s, body) = app.get(path).await;
        assert_eq!(s, 404, "{path}");
        assert!(body.contains("没有“cadres”这种导入类型"), "{path}: {body}");
    }
    let r = upload(&app, "cadres", "x.csv", b"a,b\n1,2".to_vec(), None).await;
    assert_eq!(r.status(), 404);
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("x.csv");
    std::fs::write(&file, "姓名,身份证号\n").expect("write");
    for args in [
        vec!["import", "cadres", file.to_str().expect("path")],
        vec!["export", "cadres", "--out", file.to_str().expect("path")],
    ] {
        let out = xuepei(&db.url, &args);
        assert!(!out.status.success(), "{args:?}");
        let err = text(&out.stderr);
        assert!(err.contains("没有“cadres”这种数据类型"), "{err}");
        for kind in registry() {
            assert!(err.contains(&format!("{}（{}）", kind.code(), kind.title())), "the known kinds are listed: {err}");
        }
    }
    db.cleanup().await;
}

#[tokio::test]
async fn a_kinds_permission_is_enforced() {
    let db = seeded().await;
    // May read people and organisations (and study records), may import none of them.
    let reader = signed_in(&db, "reader", &[AccountRole::Inspector], YUNXI).await;
    let (_, home) = reader.get("/").await;
    assert!(!home.contains("数据导入"), "no wizard in the menu");
    assert_eq!(reader.get("/import").await.0, 403);
    let roster =
        files::xlsx(&[vec!["姓名", "身份证号", "所在党组织"], vec!["甲甲", "430603198001010011", JINGZHU]], &[]);
    for kind in registry() {
        let code = kind.code();
        let (s, body) = reader.get(&format!("/import/{code}")).await;
        assert_eq!(s, 403, "{code}");
        assert!(body.contains(&format!("您没有导入{}的权限", kind.title())), "{body}");
        assert_eq!(reader.get(&format!("/import/{code}/template.xlsx")).await.0, 403, "{code}");
        assert_eq!(upload(&reader, code, "x.xlsx", roster.clone(), None).await.status(), 403, "{code}");
    }
    // An account that may import sees a tab per kind it may import.
    let staff = signed_in(&db, "staff", &[AccountRole::OrgStaff], YUNXI).await;
    let r = staff.raw.get(staff.url("/import")).send().await.expect("import");
    assert_eq!(r.status(), 303);
    let (s, page) = staff.get("/import/people").await;
    assert_eq!(s, 200);
    assert!(page.contains("href=\"/import/orgs\"") && page.contains("href=\"/import/people\""), "{page}");
    db.cleanup().await;
}

#[tokio::test]
async fn the_preview_lists_added_and_changed_rows_and_names_the_person_on_bad_rows() {
    let db = seeded().await;
    let app = signed_in(&db, "preview", &[AccountRole::OrgStaff], YUNXI).await;
    let known = someone_under(&db.conn, JINGZHU).await;
    let new_id = id_number(YUNXI, (1955, 4, 4), 41);
    let rows = vec![
        vec!["姓名", "身份证号", "所在党组织", "职务"],
        vec![known.name.as_str(), known.id_number.as_str(), JINGZHU, "预检测试职务"],
        vec!["新来者", &new_id, JINGZHU, "村委委员"],
    ];
    let r = upload(&app, "people", "花名册.xlsx", files::xlsx(&rows, &[]), None).await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.expect("body");
    assert!(page.contains("将新增的记录（1条）") && page.contains("将修改的记录（1条）"), "{page}");
    let masked = xuepei_domain::idcard::mask(&new_id);
    assert!(page.contains(&format!("新来者（{masked}）")), "the added row is named: {page}");
    let before = known.position.clone().unwrap_or_default();
    let changed =
        page.split("<tr>").find(|r| r.contains(&known.name) && r.contains("预检测试职务")).unwrap_or_default();
    assert!(changed.contains("第2行") && changed.contains("职务"), "the changed row and field: {page}");
    if !before.is_empty() {
        assert!(changed.contains(&before), "the value before is shown: {changed}");
    }
    assert!(!page.contains(&known.id_number), "identity numbers are masked in the preview");

    // Bad rows: each names the person on it, and they download with their reasons.
    let bad = wrong_check(&id_number(YUNXI, (1956, 5, 5), 51));
    let wang = id_number(YUNXI, (1957, 6, 6), 61);
    let rows = vec![
        vec!["云溪区花名册"],
        vec!["序号", "姓名", "身份证号", "所在党组织"],
        vec!["1", "甲甲", &new_id, JINGZHU],
        vec!["2", "李四", &bad, JINGZHU],
        vec!["3", "王五", &wang, "不存在的村"],
    ];
    let r = upload(&app, "people", "有误.xlsx", files::xlsx(&rows, &[]), None).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.expect("body");
    let row_of =
        |n: &str| page.split("<tr>").find(|r| r.contains(&format!(">第{n}行<"))).unwrap_or_default().to_owned();
    assert!(row_of("4").contains("李四") && row_of("4").contains("校验位不正确"), "{page}");
    assert!(row_of("5").contains("王五") && row_of("5").contains("不存在的村"), "{page}");
    assert!(!page.contains("将新增的记录"), "nothing is listed as added while rows are bad");
    let href = page
        .split("action=\"")
        .filter_map(|a| a.split('"').next())
        .find(|a| a.ends_with("/errors.xlsx"))
        .expect("a download of the bad rows")
        .to_owned();
    let r = app.client.post(app.url(&href)).form(&[("_csrf", app.csrf().await)]).send().await.expect("download");
    assert_eq!(r.status(), 200);
    let cd = r.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(cd.contains("attachment"), "{cd}");
    let bytes = r.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"PK"), "a real xlsx");
    let cells = sheet(&bytes);
    let header = cells.iter().find(|r| r.first().is_some_and(|c| c == "原行号")).expect("a header row");
    assert_eq!(header, &["原行号", "序号", "姓名", "身份证号", "所在党组织", "错误原因"], "{cells:?}");
    let data: Vec<&Vec<String>> =
        cells.iter().skip_while(|r| r.first().is_none_or(|c| c != "原行号")).skip(1).collect();
    assert_eq!(data.len(), 2, "only the bad rows: {cells:?}");
    assert_eq!((data[0][0].as_str(), data[0][2].as_str(), data[0][3].as_str()), ("4", "李四", bad.as_str()));
    assert!(data[0][5].contains("身份证号：校验位不正确"), "{:?}", data[0]);
    assert_eq!(data[1][2], "王五");
    assert!(data[1][5].contains("所在党组织") && data[1][5].contains("不存在的村"), "{:?}", data[1]);
    db.cleanup().await;
}

#[tokio::test]
async fn refreshing_the_result_page_shows_the_result() {
    let db = seeded().await;
    let app = signed_in(&db, "refresh", &[AccountRole::OrgStaff], YUNXI).await;
    let id = id_number(YUNXI, (1958, 7, 7), 71);
    let rows = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["刷新者", &id, JINGZHU]];
    let r = upload(&app, "people", "刷新.xlsx", files::xlsx(&rows, &[]), None).await;
    let action = confirm_action(&r.text().await.expect("body"));
    let before = people_total(&db.conn).await;
    let r = app.raw.post(app.url(&action)).form(&[("_csrf", app.csrf().await)]).send().await.expect("confirm");
    assert_eq!(r.status(), 303, "the import answers with the result's address");
    let result = r.headers().get("location").and_then(|v| v.to_str().ok()).expect("location").to_owned();
    assert!(result.ends_with("/result"), "{result}");
    for _ in 0..2 {
        let (s, page) = app.get(&result).await;
        assert_eq!(s, 200);
        assert!(page.contains("导入完成") && page.contains("已新增1条") && page.contains("刷新者"), "{page}");
        assert!(!page.contains("已过期"), "{page}");
    }
    // The confirmation sent again (the browser's resubmission) leads to the same result.
    let r = app.raw.post(app.url(&action)).form(&[("_csrf", app.csrf().await)]).send().await.expect("again");
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some(result.as_str()));
    assert_eq!(people_total(&db.conn).await, before + 1, "imported once");
    // Another county's account cannot read it.
    let other = signed_in(&db, "other", &[AccountRole::OrgStaff], QUYUAN).await;
    assert_eq!(other.get(&result).await.0, 404);
    db.cleanup().await;
}

/// A roster of `n` valid people of 荆竹村, born before anyone the seed makes.
pub(crate) fn large_roster(n: u32) -> Vec<u8> {
    let mut out = String::from("姓名,身份证号,所在党组织\n");
    for i in 0..n {
        let birth = (1930 + (i / 1000 % 25) as i32, 1 + i / 25_000 % 12, 1 + (i / 1000) % 28);
        let id = id_number(YUNXI, birth, i % 1000);
        out.push_str(&format!("进度{},{id},{JINGZHU}\n", ["甲", "乙", "丙", "丁"][i as usize % 4]));
    }
    out.into_bytes()
}

#[tokio::test]
async fn progress_is_shown_for_long_imports_on_the_command_line_and_in_the_page() {
    let db = seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("large.csv");
    std::fs::write(&file, large_roster(25_000)).expect("write");
    let out = xuepei(&db.url, &["import", "people", &file.to_string_lossy(), "--dry-run"]);
    let err = text(&out.stderr);
    assert!(out.status.success(), "{}{err}", text(&out.stdout));
    assert!(err.contains("进度：已读取并检查10000行") && err.contains("进度：已读取并检查20000行"), "{err}");
    assert!(err.contains("进度：共读取25000行"), "{err}");
    assert!(text(&out.stdout).contains("将新增25000条"), "{}", text(&out.stdout));

    // The page's import is watched under the key its form carries.
    let app = signed_in(&db, "progress", &[AccountRole::OrgStaff], YUNXI).await;
    let (_, page) = app.get("/import/people").await;
    assert!(page.contains("data-job=\"") && page.contains("data-progress"), "{page}");
    let (s, v) = app.get("/import/progress/0123abcd").await;
    assert_eq!(s, 200);
    assert!(v.contains("\"unknown\""), "{v}");
    let r = upload(&app, "people", "large.csv", large_roster(3000), Some("0123abcd")).await;
    assert_eq!(r.status(), 200);
    let (_, v) = app.get("/import/progress/0123abcd").await;
    let v: serde_json::Value = serde_json::from_str(&v).expect("json");
    assert_eq!((v["stage"].as_str(), v["rows"].as_u64()), (Some("done"), Some(3000)), "{v}");
    // Another account does not see it.
    let other = signed_in(&db, "other", &[AccountRole::OrgStaff], YUNXI).await;
    assert!(other.get("/import/progress/0123abcd").await.1.contains("\"unknown\""));
    db.cleanup().await;
}
