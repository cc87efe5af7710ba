//! The `xuepei` binary as an operator runs it.

use std::process::{Command, Output};

use xuepei_store::people::{self, PersonFilter};
use xuepei_store::{DbBackend, Scope};
use xuepei_testkit::files;

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

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn import_dry_run_prints_each_bad_row_and_fails_then_imports_once() {
    let db = seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let good = id_number(YUNXI, (1980, 1, 1), 11);
    let bad = wrong_check(&id_number(YUNXI, (1981, 1, 1), 21));
    let third = id_number(YUNXI, (1982, 1, 1), 31);
    let rows = vec![
        vec!["某某区基层党组织书记花名册"],
        vec![],
        vec!["姓名", "身份证号", "出生日期", "所在党组织"],
        vec!["张三", &good, "", JINGZHU],
        vec!["李四", &bad, "", JINGZHU],
        vec!["王五", &third, "2015年2月30日", JINGZHU],
    ];
    let file = dir.path().join("roster.xlsx");
    std::fs::write(&file, files::xlsx(&rows, &[])).expect("write");
    let path = file.to_string_lossy().to_string();
    let before = people::count(&db.conn, &Scope::system(), &PersonFilter::default()).await.expect("count").value;

    let out = xuepei(&db.url, &["import", "people", &path, "--dry-run"]);
    let text = stdout(&out);
    assert!(!out.status.success(), "non-zero exit when a row is bad");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("第5行 身份证号: 校验位不正确"), "{text}\n{}", stderr(&out));
    assert!(lines[1].starts_with("第6行 出生日期: 日期“2015年2月30日”不存在"), "{text}");
    assert!(text.contains("发现2处错误，未导入任何数据"), "{text}");

    // Without --dry-run and with bad rows: still nothing written.
    let out = xuepei(&db.url, &["import", "people", &path]);
    assert!(!out.status.success());
    assert_eq!(people::count(&db.conn, &Scope::system(), &PersonFilter::default()).await.expect("count").value, before);

    let fixed = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["张三", &good, JINGZHU]];
    std::fs::write(&file, files::xlsx(&fixed, &[])).expect("write");
    let out = xuepei(&db.url, &["import", "people", &path, "--dry-run"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("将新增1条"));
    let out = xuepei(&db.url, &["import", "people", &path]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("已新增1条"), "{}", stdout(&out));
    let out = xuepei(&db.url, &["import", "people", &path]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("重复导入，数据没有变化"), "{}", stdout(&out));
    assert_eq!(
        people::count(&db.conn, &Scope::system(), &PersonFilter::default()).await.expect("count").value,
        before + 1
    );
    db.cleanup().await;
}

#[tokio::test]
async fn import_refuses_unreadable_files_and_organisations_outside_org() {
    let db = seeded().await;
    let out = xuepei(&db.url, &["import", "people", "/nonexistent/花名册.xlsx"]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("无法读取文件"), "{}", stderr(&out));
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("x.csv");
    let id = id_number(YUNXI, (1980, 1, 1), 11);
    let rows = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["张三", &id, QUYUAN_TOWN]];
    std::fs::write(&file, files::csv(&rows, files::Encoding::Gbk)).expect("write");
    let out = xuepei(&db.url, &["import", "people", &file.to_string_lossy(), "--org", YUNXI]);
    assert!(!out.status.success());
    assert!(stdout(&out).contains("第2行 所在党组织: 在您的管理范围内未找到组织“430671101”"), "{}", stdout(&out));
    db.cleanup().await;
}

#[tokio::test]
async fn export_migrate_and_backup() {
    let db = seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let out_file = dir.path().join("云溪区人员.xlsx");
    let out = xuepei(&db.url, &["export", "people", "--out", &out_file.to_string_lossy(), "--org", YUNXI]);
    assert!(out.status.success(), "{}", stderr(&out));
    let county = by_code(&db.conn, YUNXI).await;
    let expected =
        people::count(&db.conn, &Scope::system(), &PersonFilter { under: Some(county.id), ..Default::default() })
            .await
            .expect("count")
            .value;
    assert!(stdout(&out).contains(&format!("已导出{expected}行")), "{}", stdout(&out));
    let out = xuepei(&db.url, &["export", "orgs", "--out", &dir.path().join("orgs.xlsx").to_string_lossy()]);
    assert!(out.status.success(), "{}", stderr(&out));

    let out = xuepei(&db.url, &["migrate", "--status"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("m20261123_000001_foundation") && stdout(&out).contains("待执行的迁移（0）"),
        "{}",
        stdout(&out)
    );

    let backup = dir.path().join("backup.db");
    let out = xuepei(&db.url, &["backup", "--out", &backup.to_string_lossy()]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let size = std::fs::metadata(&backup).expect("backup written").len();
    assert!(size > 10_000, "{size}");
    if db.backend == DbBackend::Sqlite {
        // The copy is a database that serves the same data.
        let url = xuepei_store::db::sqlite_url(&backup).expect("url");
        let copy = xuepei_store::db::connect(&url, &Default::default()).await.expect("opens");
        let n = people::count(&copy, &Scope::system(), &PersonFilter::default()).await.expect("count").value;
        assert_eq!(n, people::count(&db.conn, &Scope::system(), &PersonFilter::default()).await.expect("count").value);
    }
    let again = xuepei(&db.url, &["backup", "--out", &backup.to_string_lossy()]);
    assert!(!again.status.success());
    assert!(stderr(&again).contains("已存在"));
    db.cleanup().await;
}

/// `xuepei token`: the operator issues a token for a script, which then reads its scope
/// only through the API; the issue is audited; list shows it; revoke ends it.
#[tokio::test]
async fn tokens_are_issued_listed_and_revoked_from_the_command_line() {
    let db = seeded().await;
    let out = xuepei(&db.url, &["token", "issue", "--org", YUNXI, "--days", "30", "--name", "培训数据同步"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    let token = text.lines().last().expect("token on the last line").trim().to_owned();
    assert!(token.starts_with("xp_") && !token.contains(' '), "the last line is the token alone: {text}");
    assert!(text.contains("只读") && text.contains("有效期至"), "{text}");

    let app = xuepei_testkit::TestApp::spawn(&db).await;
    let get = |path: &str| app.raw.get(app.url(path)).bearer_auth(&token).send();
    let r = get("/api/v1/orgs?limit=500").await.expect("request");
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    let codes: Vec<&str> = v["items"].as_array().expect("items").iter().filter_map(|o| o["code"].as_str()).collect();
    assert!(!codes.is_empty() && codes.iter().all(|c| c.starts_with(YUNXI)), "the token sees its county only");
    let r = app
        .raw
        .post(app.url("/api/v1/people/import"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("[]")
        .send()
        .await
        .expect("request");
    assert_eq!(r.status().as_u16(), 403, "read-only without --write");

    let trail = xuepei_store::audit::search(&db.conn, &Scope::system(), &Default::default(), None, 50)
        .await
        .expect("audit")
        .items;
    assert!(
        trail.iter().any(|e| e.action == "token.issue" && e.summary.contains("培训数据同步")),
        "the issue is audited"
    );

    let out = xuepei(&db.url, &["token", "list"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let line = stdout(&out).lines().find(|l| l.contains("培训数据同步")).expect("listed").to_owned();
    assert!(line.contains("只读") && line.contains(&token[..10]) && !line.contains(&token), "{line}");
    let id = line.split('\t').next().expect("id").to_owned();

    let out = xuepei(&db.url, &["token", "revoke", &id]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(get("/api/v1/orgs").await.expect("request").status().as_u16(), 401, "revoked");
    let out = xuepei(&db.url, &["token", "revoke", "999999"]);
    assert!(!out.status.success() && stderr(&out).contains("不存在"));
    let out = xuepei(&db.url, &["token", "issue", "--org", "999999"]);
    assert!(!out.status.success() && stderr(&out).contains("未找到组织代码"));
    let out = xuepei(&db.url, &["token", "issue", "--org", YUNXI, "--write", "--days", "0"]);
    assert!(!out.status.success() && stderr(&out).contains("--days"));
    db.cleanup().await;
}

/// A command pointed at a SQLite file that does not exist refuses (naming the file and the
/// demo database) instead of creating an empty database and exporting nothing.
#[tokio::test]
async fn commands_refuse_a_database_that_does_not_exist() {
    let dir = tempfile::tempdir().expect("dir");
    let missing = dir.path().join("xuepei.db");
    let url = format!("sqlite://{}?mode=rwc", missing.display());
    let out_file = dir.path().join("people.xlsx");
    let out = xuepei(&url, &["export", "people", "--out", &out_file.to_string_lossy()]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("不存在") && err.contains("demo.db") && err.contains("--create-database"), "{err}");
    assert!(!missing.exists() && !out_file.exists(), "nothing created");

    let out = xuepei(&url, &["export", "people", "--out", &out_file.to_string_lossy(), "--create-database"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains(&format!("数据库：{url}")), "says which database: {}", stderr(&out));
    assert!(missing.exists());
}
