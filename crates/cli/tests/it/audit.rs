//! The audit trail: every write recorded with who, when, where from, before and after; the
//! hash chain catches edited, inserted and deleted entries; archiving keeps everything.

use std::process::Command;

use sea_orm::ConnectionTrait;
use xuepei_domain::accounts::AccountRole;
use xuepei_store::Scope;
use xuepei_store::audit::{self, AuditFilter};

use crate::support::*;

async fn entries(db: &xuepei_store::DatabaseConnection, action: &str) -> Vec<audit::AuditEntry> {
    let f = AuditFilter { action: Some(action.into()), ..Default::default() };
    audit::search(db, &Scope::system(), &f, None, 100).await.expect("search").items
}

#[tokio::test]
async fn every_write_records_who_when_where_and_what() {
    let db = seeded().await;
    let app = signed_in(&db, "wuxi", &[AccountRole::OrgStaff], YUNXI).await;
    let parent = by_code(&db.conn, JINGZHU).await.id.to_string();
    let (_, loc, _) = app
        .post_form(
            "/orgs",
            &[("parent", &parent), ("code", "AU-1"), ("name", "审计支部"), ("kind", "branch"), ("sector", "village")],
        )
        .await;
    let org_path = loc.expect("created").split('?').next().expect("path").to_owned();
    app.post_form(
        &org_path,
        &[("code", "AU-1"), ("name", "审计支部（改）"), ("kind", "branch"), ("sector", "village")],
    )
    .await;
    let created = &entries(&db.conn, "org.create").await[0];
    assert_eq!(created.username, "wuxi");
    assert_eq!(created.ip.as_deref(), Some("127.0.0.1"));
    assert!(created.summary.contains("审计支部") && created.before.is_none());
    assert!(created.after.as_deref().unwrap_or_default().contains("\"code\":\"AU-1\""));
    let updated = &entries(&db.conn, "org.update").await[0];
    assert!(updated.before.as_deref().unwrap_or_default().contains("审计支部\""));
    assert!(updated.after.as_deref().unwrap_or_default().contains("审计支部（改）"));
    assert!((chrono::Utc::now() - updated.at).num_seconds() < 60);
    // Sign-ins and exports are on the record too.
    assert!(entries(&db.conn, "login").await.iter().any(|e| e.username == "wuxi"));
    app.post_form("/people/export.xlsx", &[]).await;
    assert!(entries(&db.conn, "export").await.iter().any(|e| e.username == "wuxi" && e.summary.contains("人员信息")));
    assert!(audit::verify(&db.conn).await.expect("verify").first_bad.is_none());
    db.cleanup().await;
}

fn xuepei(url: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xuepei"))
        .args(args)
        .env("XUEPEI_DATABASE_URL", url)
        .env("XUEPEI_LOG", "warn")
        .output()
        .expect("runs");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[tokio::test]
async fn audit_verify_catches_an_edited_row() {
    let db = seeded().await;
    let (ok, text) = xuepei(&db.url, &["audit", "verify"]);
    assert!(ok, "{text}");
    assert!(text.contains("链条校验通过"));
    let head = audit::verify(&db.conn).await.expect("verify").last_hash;
    assert!(head.len() == 64 && text.contains("链头哈希") && text.contains(&head), "{text}");
    db.conn.execute_unprepared("UPDATE audit_log SET summary = '无事发生' WHERE seq = 3").await.expect("tamper");
    let (ok, text) = xuepei(&db.url, &["audit", "verify"]);
    assert!(!ok);
    assert!(text.contains("第3条记录的内容与其哈希不符（记录被篡改）"), "{text}");
    db.cleanup().await;
}

#[tokio::test]
async fn deleted_and_inserted_entries_are_caught() {
    let db = seeded().await;
    let head = audit::verify(&db.conn).await.expect("verify");
    assert!(head.first_bad.is_none() && head.checked > 5);
    db.conn.execute_unprepared("DELETE FROM audit_log WHERE seq = 4").await.expect("tamper");
    let r = audit::verify(&db.conn).await.expect("verify");
    assert_eq!(r.first_bad.as_ref().map(|b| b.0), Some(4));
    assert!(r.first_bad.expect("bad").1.contains("缺失"));
    db.cleanup().await;

    let db = seeded().await;
    // A forged entry slipped in by renumbering the ones after it.
    db.conn.execute_unprepared("UPDATE audit_log SET seq = seq + 1000000 WHERE seq >= 5").await.expect("shift");
    db.conn.execute_unprepared("UPDATE audit_log SET seq = seq - 999999 WHERE seq >= 1000000").await.expect("shift");
    // `before` and `after` are keywords in MySQL.
    let q = if db.backend == xuepei_store::DbBackend::MySql { '`' } else { '"' };
    let sql = format!(
        "INSERT INTO audit_log (seq, at, account_id, username, ip, action, target_type, target_id, scope_path, summary, {q}before{q}, {q}after{q}, prev_hash, hash) \
         SELECT 5, at, account_id, username, ip, action, target_type, target_id, scope_path, '伪造的记录', {q}before{q}, {q}after{q}, hash, hash FROM audit_log WHERE seq = 4"
    );
    db.conn.execute_unprepared(&sql).await.expect("insert");
    let r = audit::verify(&db.conn).await.expect("verify");
    assert_eq!(r.first_bad.as_ref().map(|b| b.0), Some(5), "{r:?}");
    db.cleanup().await;

    let db = seeded().await;
    // The newest entries removed from the end.
    db.conn.execute_unprepared("DELETE FROM audit_log WHERE seq > 6").await.expect("truncate");
    let r = audit::verify(&db.conn).await.expect("verify");
    assert!(r.first_bad.expect("bad").1.contains("末尾被删除"));
    db.cleanup().await;

    let db = seeded().await;
    // An entry added after the end without moving the chain's head.
    let last = audit::verify(&db.conn).await.expect("verify").last_seq;
    let q = if db.backend == xuepei_store::DbBackend::MySql { '`' } else { '"' };
    let sql = format!(
        "INSERT INTO audit_log (seq, at, account_id, username, ip, action, target_type, target_id, scope_path, summary, {q}before{q}, {q}after{q}, prev_hash, hash) \
         SELECT seq + 1, at, account_id, username, ip, action, target_type, target_id, scope_path, '伪造的记录', {q}before{q}, {q}after{q}, hash, hash FROM audit_log WHERE seq = {last}"
    );
    db.conn.execute_unprepared(&sql).await.expect("insert");
    let r = audit::verify(&db.conn).await.expect("verify");
    assert_eq!(r.first_bad.as_ref().map(|b| b.0), Some(last + 1), "{r:?}");
    assert!(r.first_bad.expect("bad").1.contains("链头之后"));
    db.cleanup().await;
}

#[tokio::test]
async fn archiving_takes_a_run_from_the_start_even_when_the_clock_stepped_back() {
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let db = seeded().await;
    let before = audit::verify(&db.conn).await.expect("verify");
    // Entry 3 carries a later time than the cutoff, those after it an earlier one.
    let later = chrono::Utc::now() + chrono::Duration::days(1);
    let mut q = Query::update();
    q.table(Alias::new("audit_log")).value(Alias::new("at"), later).and_where(Expr::col(Alias::new("seq")).eq(3));
    db.conn.execute(&q).await.expect("clock");
    let dir = tempfile::tempdir().expect("dir");
    let (file, n) = audit::archive_before(&db.conn, chrono::Utc::now() + chrono::Duration::seconds(1), dir.path())
        .await
        .expect("archive")
        .expect("something archived");
    assert_eq!(n, 2, "entries 1 and 2 only");
    assert_eq!(std::fs::read_to_string(&file).expect("archive file").lines().count(), 2);
    let kept = db
        .conn
        .query_one_raw(sea_orm::Statement::from_string(db.backend, "SELECT COUNT(*) AS n FROM audit_log"))
        .await
        .expect("count")
        .expect("row")
        .try_get::<i64>("", "n")
        .expect("n");
    assert_eq!(kept as u64, before.checked - 2, "nothing deleted that was not written to the file");
    db.cleanup().await;
}

#[tokio::test]
async fn old_entries_are_archived_to_a_file_and_the_chain_still_verifies() {
    let db = seeded().await;
    let before = audit::verify(&db.conn).await.expect("verify");
    let dir = tempfile::tempdir().expect("dir");
    let (file, n) = audit::archive_before(&db.conn, chrono::Utc::now() + chrono::Duration::seconds(1), dir.path())
        .await
        .expect("archive")
        .expect("something archived");
    assert_eq!(n, before.checked);
    let lines = std::fs::read_to_string(&file).expect("archive file").lines().count() as u64;
    assert_eq!(lines, n, "every entry is in the file");
    // New writes chain on from the archived anchor.
    account(&db.conn, "chen", &[AccountRole::OrgStaff], YUNXI).await;
    let after = audit::verify(&db.conn).await.expect("verify");
    assert!(after.first_bad.is_none(), "{after:?}");
    assert_eq!(after.first_seq, before.last_seq + 1);
    db.cleanup().await;
}

/// The text of an exported workbook's first sheet.
fn sheet_text(bytes: Vec<u8>) -> String {
    let mut text = String::new();
    xuepei_office::read::Workbook::open(xuepei_office::read::Source::Bytes(bytes))
        .expect("xlsx")
        .read_sheet(0, |row| {
            text.push_str(&row.cells.join("|"));
            text.push('\n');
            std::ops::ControlFlow::Continue(())
        })
        .expect("read");
    text
}

#[tokio::test]
async fn the_auditor_sees_every_entry_with_details_in_chinese() {
    let db = seeded().await;
    account(&db.conn, "yunxi1", &[AccountRole::OrgStaff], YUNXI).await;
    account(&db.conn, "quyuan1", &[AccountRole::OrgStaff], QUYUAN).await;
    // A sign-in under a name that does not exist belongs to no organisation.
    let anyone = xuepei_testkit::TestApp::spawn(&db).await;
    assert_eq!(anyone.login("nosuchname", "Wrong@pass1").await, 200);
    // A change with details before and after.
    let staff = signed_in(&db, "wuxi", &[AccountRole::OrgStaff], YUNXI).await;
    let parent = by_code(&db.conn, JINGZHU).await.id.to_string();
    let (_, loc, _) = staff
        .post_form(
            "/orgs",
            &[("parent", &parent), ("code", "AU-9"), ("name", "审计支部"), ("kind", "branch"), ("sector", "village")],
        )
        .await;
    let org_path = loc.expect("created").split('?').next().expect("path").to_owned();
    staff
        .post_form(
            &org_path,
            &[("code", "AU-9"), ("name", "审计支部（改）"), ("kind", "branch"), ("sector", "village")],
        )
        .await;
    let auditor = signed_in(&db, "shenji", &[AccountRole::AuditAdmin], YUNXI).await;
    let page = auditor.get("/admin/audit?action=login.failed").await.1;
    assert!(page.contains("用户名“nosuchname”不存在"), "{page}");
    let page = auditor.get("/admin/audit?action=account.").await.1;
    assert!(page.contains("yunxi1") && page.contains("quyuan1"), "the whole trail, not one county's");
    // The count is the chain's: no gaps.
    let chain = audit::verify(&db.conn).await.expect("verify");
    let page = auditor.get("/admin/audit").await.1;
    assert!(page.contains(&format!("共 {} 条", chain.checked)), "chain holds {}", chain.checked);
    // Details read as Chinese field names and values, changed fields marked.
    let page = auditor.get("/admin/audit?action=org.update").await.1;
    assert!(page.contains("<th>名称</th>") && page.contains("<th>组织类别</th>"), "{page}");
    assert!(page.contains("<td>党支部</td>") && page.contains("<td>村</td>"), "{page}");
    assert!(page.contains("class=\"changed\"><th>名称</th><td>审计支部</td><td>审计支部（改）</td>"), "{page}");
    assert!(!page.contains("&#34;kind&#34;") && !page.contains("\"kind\""), "no raw JSON");
    let r = auditor
        .client
        .post(auditor.url("/admin/audit/export.xlsx"))
        .form(&[("_csrf", auditor.csrf().await)])
        .send()
        .await
        .expect("export");
    assert_eq!(r.status(), 200);
    let text = sheet_text(r.bytes().await.expect("bytes").to_vec());
    assert!(text.contains("nosuchname") && text.contains("quyuan1"), "the export holds every entry");
    assert!(text.contains("名称：审计支部（改）") && text.contains("组织类别：党支部"), "{text}");
    assert!(!text.contains("\"kind\""), "no raw JSON in the export");
    // One row per entry of the chain (the export's own entry follows the file).
    let rows = text.lines().filter(|l| l.split('|').next().is_some_and(|c| c.parse::<f64>().is_ok())).count() as u64;
    assert_eq!(rows, chain.checked, "every entry of the chain is exported");
    let (s, _, body) = auditor.post_form("/admin/audit/verify", &[]).await;
    assert_eq!(s, 200);
    assert!(body.contains("校验通过"));
    // Dates at the ends of the calendar are ignored, not a failure.
    let (s, _) = auditor.get("/admin/audit?from=-262143-01-01&to=%2B262142-12-31").await;
    assert_eq!(s, 200);
    db.cleanup().await;
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_address_is_the_one_it_added() {
    let db = seeded().await;
    account(&db.conn, "daili", &[AccountRole::OrgStaff], YUNXI).await;
    let config = xuepei_web::WebConfig { trust_proxy: true, ..Default::default() };
    let app = xuepei_testkit::TestApp::spawn_full(&db, config, Default::default()).await;
    let page = app.raw.get(app.url("/login")).send().await.expect("page").text().await.expect("body");
    let token = xuepei_testkit::hidden_csrf(&page).expect("token");
    let r = app
        .raw
        .post(app.url("/login"))
        .header("x-forwarded-for", "6.6.6.6, 10.1.2.3")
        .form(&[("_csrf", token.as_str()), ("username", "daili"), ("password", PASSWORD)])
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), 303);
    let login = entries(&db.conn, "login").await.into_iter().find(|e| e.username == "daili").expect("recorded");
    assert_eq!(login.ip.as_deref(), Some("10.1.2.3"), "the client-supplied first entry is not trusted");
    db.cleanup().await;
}
