//! Identity numbers registered outside the asker's scope (issue 11): only organisation
//! departments are told so, everyone else gets a neutral refusal; every such number is
//! counted per account and day and audited, and over the daily threshold the security
//! administrator is alerted.

use xuepei_domain::accounts::AccountRole;
use xuepei_store::accounts::SecurityPolicy;
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter, PersonSort};
use xuepei_testkit::{TestApp, files};
use xuepei_web::WebConfig;

use crate::support::*;

/// What a role registering at county level and above is told.
const TOLD: &str = "已在您管理范围以外的单位登记";
/// What everyone else is told.
const NEUTRAL: &str = "该身份证号不能在此登记";

async fn signed_in_with(
    db: &xuepei_testkit::TestDb,
    username: &str,
    roles: &[AccountRole],
    scope_code: &str,
    policy: &SecurityPolicy,
) -> TestApp {
    account(&db.conn, username, roles, scope_code).await;
    let app = TestApp::spawn_full(db, WebConfig::default(), policy.clone()).await;
    assert_eq!(app.login(username, PASSWORD).await, 303, "sign-in of {username}");
    app
}

/// The part of a page between `id="{id}"` and the end of its element.
fn element(page: &str, id: &str) -> Option<String> {
    let i = page.find(&format!("id=\"{id}\""))?;
    Some(page[i..].split("</div>").next().unwrap_or_default().to_owned())
}

#[tokio::test]
async fn a_village_secretary_cannot_learn_where_numbers_are_registered_and_is_watched() {
    let db = seeded().await;
    let policy = SecurityPolicy { id_check_daily_alert: 3, ..Default::default() };
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    let outsiders: Vec<_> = people::list(&db.conn, &quyuan, &PersonFilter::default(), PersonSort::Org, At::First, 4)
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|r| r.person)
        .collect();
    assert_eq!(outsiders.len(), 4);
    let county = signed_in_with(&db, "xianzzb", &[AccountRole::OrgStaff], YUNXI, &policy).await;
    let secretary = signed_in_with(&db, "cunshuji", &[AccountRole::UnitSecretary], JINGZHU, &policy).await;

    // The people form: still refused (one number, one person), but only the county's
    // organisation department learns that the number exists elsewhere.
    let form = [("name", "张三"), ("id_number", outsiders[0].id_number.as_str()), ("org", JINGZHU)];
    let (s, _, body) = county.post_form("/people", &form).await;
    assert_eq!(s, 422);
    assert!(body.contains(TOLD), "{body}");
    let (s, _, body) = secretary.post_form("/people", &form).await;
    assert_eq!(s, 422);
    assert!(body.contains(NEUTRAL) && !body.contains(TOLD), "{body}");
    assert!(!body.contains(&outsiders[0].name));

    // The import preview, a row at a time: the same neutral refusal for each.
    let mut rows = vec![vec!["姓名".to_owned(), "身份证号".to_owned(), "所在党组织".to_owned()]];
    for p in &outsiders[1..] {
        rows.push(vec!["李四".to_owned(), p.id_number.clone(), JINGZHU.to_owned()]);
    }
    let rows: Vec<Vec<&str>> = rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect();
    let part = reqwest::multipart::Part::bytes(files::xlsx(&rows, &[])).file_name("探查.xlsx");
    let upload = reqwest::multipart::Form::new().text("_csrf", secretary.csrf().await).part("file", part);
    let r = secretary.raw.post(secretary.url("/import/people")).multipart(upload).send().await.expect("upload");
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("body");
    assert_eq!(body.matches(NEUTRAL).count(), 3, "{body}");
    assert!(!body.contains(TOLD), "{body}");

    // The JSON API: a token is no role and gets the neutral refusal too.
    let admin = signed_in_with(&db, "xitong", &[AccountRole::SystemAdmin], YUNXI, &policy).await;
    let (s, _, body) =
        admin.post_form("/admin/tokens", &[("name", "对接"), ("scope", JINGZHU), ("can_write", "1")]).await;
    assert_eq!(s, 200, "{body}");
    let i = body.find("id=\"issued-token\">").expect("token shown") + "id=\"issued-token\">".len();
    let token = body[i..i + body[i..].find('<').expect("end")].to_owned();
    let rows = serde_json::json!({ "rows": [{ "name": "王五", "id_number": outsiders[0].id_number, "org": JINGZHU }] });
    let r = admin
        .raw
        .post(admin.url("/api/v1/people/import?dry_run=true"))
        .bearer_auth(&token)
        .json(&rows)
        .send()
        .await
        .expect("api");
    assert_eq!(r.status(), 422);
    let v: serde_json::Value = r.json().await.expect("json");
    let msg = v["errors"][0]["message"].as_str().unwrap_or_default().to_owned();
    assert!(msg.contains(NEUTRAL), "{v}");

    // The secretary's 4 numbers today pass the threshold of 3: the security administrator
    // is alerted (recording runs as the refused request's transaction ends).
    let security = signed_in_with(&db, "anquan", &[AccountRole::SecurityAdmin], "430600", &policy).await;
    let mut alert = None;
    for _ in 0..50 {
        alert = element(&security.get("/admin/accounts").await.1, "id-check-alerts");
        if alert.as_deref().is_some_and(|a| a.contains("4次")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let alert = alert.expect("an alert on the accounts page");
    assert!(alert.contains("cunshuji") && alert.contains("4次"), "{alert}");
    assert!(!alert.contains("xianzzb"), "one number is no alert: {alert}");
    let home = element(&security.get("/").await.1, "id-check-alerts").expect("an alert on the home page");
    assert!(home.contains("cunshuji"), "{home}");

    // Each request that met such numbers is on the trail, and so is the alert.
    let auditor = signed_in_with(&db, "shenji", &[AccountRole::AuditAdmin], "430600", &policy).await;
    let page = auditor.get("/admin/audit?action=idcheck.outside&user=cunshuji").await.1;
    assert!(page.contains("登记人员：1个身份证号") && page.contains("3个身份证号"), "{page}");
    assert!(page.contains("已作中性拒绝"), "{page}");
    let page = auditor.get("/admin/audit?action=security.alert").await.1;
    assert!(page.contains("安全告警：账号“cunshuji”"), "{page}");
    assert_eq!(page.matches("安全告警：账号").count(), 1, "once a day: {page}");
    db.cleanup().await;
}

/// A token issued on the command line counts under no account; when it passes the threshold
/// the security administrator of the whole tree is alerted all the same.
#[tokio::test]
async fn a_command_line_token_probing_numbers_alerts_the_security_administrator() {
    let db = seeded().await;
    let policy = SecurityPolicy { id_check_daily_alert: 3, ..Default::default() };
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    let outsiders = people::list(&db.conn, &quyuan, &PersonFilter::default(), PersonSort::Org, At::First, 4)
        .await
        .expect("list")
        .items;
    let village = by_code(&db.conn, JINGZHU).await;
    let (_, token) = write(&db.conn, &xuepei_store::Scope::system(), async |tx| {
        xuepei_store::tokens::issue(tx, "命令行对接", village.id, true, None, xuepei_store::tokens::OPERATOR_ISSUER)
            .await
    })
    .await
    .expect("token");
    let security = signed_in_with(&db, "anquan", &[AccountRole::SecurityAdmin], "430600", &policy).await;
    let rows: Vec<_> = outsiders
        .iter()
        .map(|r| serde_json::json!({ "name": "赵六", "id_number": r.person.id_number, "org": JINGZHU }))
        .collect();
    let r = security
        .raw
        .post(security.url("/api/v1/people/import?dry_run=true"))
        .bearer_auth(&token)
        .json(&serde_json::json!({ "rows": rows }))
        .send()
        .await
        .expect("api");
    assert_eq!(r.status(), 422);
    let mut alert = None;
    for _ in 0..50 {
        alert = element(&security.get("/admin/accounts").await.1, "id-check-alerts");
        if alert.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let alert = alert.expect("an alert on the accounts page");
    assert!(alert.contains("命令行签发的接口令牌") && alert.contains("4次"), "{alert}");
    // A county's security administrator is not shown the whole tree's command-line tokens.
    let county = signed_in_with(&db, "xianquan", &[AccountRole::SecurityAdmin], YUNXI, &policy).await;
    assert!(element(&county.get("/admin/accounts").await.1, "id-check-alerts").is_none());
    db.cleanup().await;
}
