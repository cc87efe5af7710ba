//! Training files and credit hours (培训档案、学时): the status against the rank's rule
//! (550 h over 5 years for county level, 90 h a year below), imports from other platforms
//! all or nothing and idempotent, claims approved by the managing department, and each
//! reader limited to what is theirs.

use serde_json::{Value, json};
use xuepei_domain::accounts::{AccountRole, AccountRoles};
use xuepei_domain::people::RankLevel;
use xuepei_store::accounts::{self, NewAccount};
use xuepei_store::credits::{self, ClaimInput, Status};
use xuepei_store::page::At;
use xuepei_store::people::{self, Person, PersonFilter};
use xuepei_store::{DatabaseConnection, Scope, StoreError, tokens};
use xuepei_testkit::TestApp;

use crate::support::*;

async fn someone(db: &DatabaseConnection, code: &str, rank: RankLevel) -> Person {
    let f = PersonFilter { rank_level: Some(rank), ..Default::default() };
    people::list(db, &county_scope(db, code).await, &f, Default::default(), At::First, 1)
        .await
        .expect("people")
        .items
        .remove(0)
        .person
}

async fn token(db: &DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        tokens::issue(tx, "网院对接", o.id, true, None, tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut rb = if method == "POST" { app.raw.post(app.url(path)) } else { app.raw.get(app.url(path)) };
    rb = rb.bearer_auth(token);
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b.to_string());
    }
    let r = rb.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// `n` records of `hours` each on consecutive days of a month of 2026 (January, or
/// February for tags from "B" on that would otherwise fill a day beyond 24 hours).
fn rows(p: &Person, n: u32, hours: u32, tag: &str) -> Vec<Value> {
    let month = if tag == "B" { 2 } else { 1 };
    (1..=n)
        .map(|d| {
            json!({ "id_number": p.id_number, "name": p.name, "title": format!("网络专题{tag}{d}"), "date": format!("2026-{month:02}-{d:02}"),
                    "hours": hours.to_string(), "provider": "湖南省干部网络学院", "external_ref": format!("{tag}-{d}") })
        })
        .collect()
}

#[tokio::test]
async fn credits_status_follows_the_rank_rule_and_imports_are_idempotent() {
    let db = seeded().await;
    let app = TestApp::spawn(&db).await;
    let t = token(&db.conn, YUNXI).await;
    let senior = someone(&db.conn, YUNXI, RankLevel::County).await;
    let junior = someone(&db.conn, YUNXI, RankLevel::Township).await;
    // County level: 500 hours are not enough over five years.
    let (status, v) =
        call(&app, "POST", "/api/v1/credits/import", &t, Some(Value::Array(rows(&senior, 25, 20, "A")))).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["inserted"], 25);
    let (status, f) = call(&app, "GET", &format!("/api/v1/people/{}/credits", senior.id), &t, None).await;
    assert_eq!(status, 200, "{f}");
    assert_eq!((f["five_year_hours"].as_i64(), f["required_hours"].as_i64()), (Some(500), Some(550)));
    assert_eq!(f["period"]["label"], "2022年至2026年");
    assert_eq!(f["behind"], true);
    assert_eq!(f["records"].as_array().map(Vec::len), Some(25));
    assert_eq!(f["records"][0]["source"], "import");
    assert!(
        f["records"][0]["class_id"].is_null()
            && f["records"][0]["date"].is_string()
            && f["records"][0]["title"].is_string()
    );
    call(&app, "POST", "/api/v1/credits/import", &t, Some(json!({ "rows": rows(&senior, 3, 20, "B") }))).await;
    // By identity number too.
    let (_, f) = call(&app, "GET", &format!("/api/v1/people/{}/credits", senior.id_number), &t, None).await;
    assert_eq!((f["five_year_hours"].as_i64(), f["behind"].as_bool()), (Some(560), Some(false)));

    // Below county level: 90 hours a year; minutes of online study are converted.
    call(&app, "POST", "/api/v1/credits/import", &t, Some(Value::Array(rows(&junior, 4, 20, "C")))).await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let (behind, _) = credits::behind(&db.conn, &yunxi, None, None, 10_000).await.expect("behind");
    assert!(behind.iter().any(|b| b.person.id == junior.id), "80 of 90 hours: behind");
    assert!(behind.iter().all(|b| b.person.id != senior.id));
    let mut more = rows(&junior, 1, 0, "D");
    more[0]["hours"] = Value::Null;
    more[0]["minutes"] = json!("45");
    more.extend(rows(&junior, 9, 1, "E").into_iter().map(|mut r| {
        r["minutes"] = json!("");
        r
    }));
    let (status, v) = call(&app, "POST", "/api/v1/credits/import", &t, Some(Value::Array(more.clone()))).await;
    assert_eq!((status, v["inserted"].as_i64()), (200, Some(10)), "{v}");
    let file = credits::for_person(&db.conn, &yunxi, None, junior.id).await.expect("file");
    assert_eq!(file.status.year_hours, xuepei_domain::training::Hours::whole(90));
    assert!(!file.status.behind);
    // The same file again changes nothing.
    let (status, v) = call(&app, "POST", "/api/v1/credits/import", &t, Some(Value::Array(more))).await;
    assert_eq!((status, v["inserted"].as_i64(), v["unchanged"].as_i64()), (200, Some(0), Some(10)), "{v}");

    // All or nothing: an unknown person, impossible hours and someone of another county.
    let other = someone_under(&db.conn, QUYUAN).await;
    let mut bad = rows(&junior, 1, 2, "F");
    let row = |id: &str, date: &str, hours: &str| json!({ "id_number": id, "name": "", "title": "某课程", "date": date, "hours": hours, "provider": "网院", "external_ref": "" });
    bad.push(row(&id_number("430603", (1970, 1, 1), 901), "2026-02-01", "2"));
    bad.push(row(&junior.id_number, "2026-02-02", "30"));
    bad.push(row(&junior.id_number, "2026-02-03", "0"));
    bad.push(row(&other.id_number, "2026-02-04", "2"));
    bad.push(row(&junior.id_number, "2030-02-04", "2"));
    let (status, v) = call(&app, "POST", "/api/v1/credits/import", &t, Some(Value::Array(bad))).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["error_count"], 5, "{v}");
    let text = v.to_string();
    for m in ["不在您管理范围内", "24学时", "大于0", "晚于今天"] {
        assert!(text.contains(m), "{m}: {text}");
    }
    assert!(!text.contains(&other.name), "the other county's person is not named");
    let after = credits::for_person(&db.conn, &yunxi, None, junior.id).await.expect("file");
    assert_eq!(after.records.len(), file.records.len(), "nothing written");
    // Another county's person: not found, by id or number.
    for r in [other.id.to_string(), other.id_number.clone()] {
        let (status, _) = call(&app, "GET", &format!("/api/v1/people/{r}/credits"), &t, None).await;
        assert_eq!(status, 404);
    }
    db.cleanup().await;
}

#[tokio::test]
async fn credits_claims_wait_for_the_managing_department() {
    let db = seeded().await;
    let junior = someone(&db.conn, YUNXI, RankLevel::Township).await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let input = ClaimInput {
        person_id: junior.id,
        title: "全省乡镇党委书记示范培训班".into(),
        date: "2026-05-20".into(),
        hours: "40".into(),
        provider: "省委党校".into(),
        note: "2026年5月16日至20日，共5天".into(),
        evidence_upload_id: None,
    };
    // Every problem at once.
    let bad = ClaimInput { title: String::new(), date: "2099-01-01".into(), hours: "-3".into(), ..input.clone() };
    match write(&db.conn, &yunxi, async |tx| credits::claim(tx, None, &bad).await).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e.len(), 3, "{e:?}"),
        other => panic!("expected refusal, got {other:?}"),
    }
    let r = write(&db.conn, &yunxi, async |tx| credits::claim(tx, None, &input).await).await.expect("claim");
    assert_eq!(r.status, Status::Pending);
    let f = credits::for_person(&db.conn, &yunxi, None, junior.id).await.expect("file");
    assert_eq!(f.status.year_hours, xuepei_domain::training::Hours::ZERO, "pending claims do not count");
    // The town is not the managing department; another county does not see it.
    let town = county_scope(&db.conn, "430603001").await;
    assert!(write(&db.conn, &town, async |tx| credits::review(tx, r.id, true, "").await).await.is_err());
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    assert!(credits::pending(&db.conn, &quyuan, At::First, 50).await.expect("pending").items.is_empty());
    let pending = credits::pending(&db.conn, &yunxi, At::First, 50).await.expect("pending");
    assert!(pending.items.iter().any(|c| c.record.id == r.id));
    // A rejection needs a reason; approval counts the hours.
    match write(&db.conn, &yunxi, async |tx| credits::review(tx, r.id, false, " ").await).await {
        Err(StoreError::Invalid(e)) => assert!(e[0].message.contains("理由")),
        other => panic!("expected refusal, got {other:?}"),
    }
    write(&db.conn, &yunxi, async |tx| credits::review(tx, r.id, true, "材料齐全").await).await.expect("approve");
    let f = credits::for_person(&db.conn, &yunxi, None, junior.id).await.expect("file");
    assert_eq!(f.status.year_hours, xuepei_domain::training::Hours::whole(40));
    assert!(
        write(&db.conn, &yunxi, async |tx| credits::review(tx, r.id, false, "重复").await).await.is_err(),
        "once only"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn credits_pages_file_claim_review_and_my_hours() {
    let db = seeded().await;
    let junior = someone(&db.conn, YUNXI, RankLevel::Township).await;
    let staff = signed_in(&db, "cstaff", &[AccountRole::OrgStaff], YUNXI).await;
    let (status, page) = staff.get(&format!("/people/{}/credits", junior.id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("培训档案") && page.contains("本年度学时") && page.contains("尚差90学时"), "{page}");
    // A claim with its evidence.
    let csrf = staff.csrf().await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .text("title", "党性教育专题培训")
        .text("date", "2026-06-01")
        .text("hours", "8")
        .text("provider", "井冈山干部学院")
        .part("evidence", reqwest::multipart::Part::bytes(b"certificate".to_vec()).file_name("结业证书.pdf"));
    let r = staff
        .raw
        .post(staff.url(&format!("/people/{}/credits/claims", junior.id)))
        .multipart(form)
        .send()
        .await
        .expect("claim");
    assert_eq!(r.status().as_u16(), 303);
    let (_, claims) = staff.get("/credits/claims").await;
    assert!(claims.contains("党性教育专题培训") && claims.contains("附证明材料"), "{claims}");
    let pending =
        credits::pending(&db.conn, &county_scope(&db.conn, YUNXI).await, At::First, 10).await.expect("pending");
    let id = pending.items[0].record.id;
    let r = staff.raw.get(staff.url(&format!("/credits/records/{id}/evidence"))).send().await.expect("evidence");
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), b"certificate");
    let (status, _, body) = staff.post_form(&format!("/credits/claims/{id}/reject"), &[("reason", "")]).await;
    assert_eq!(status, 422, "a rejection needs a reason");
    assert!(body.contains("理由"));
    let (status, loc, _) = staff.post_form(&format!("/credits/claims/{id}/approve"), &[]).await;
    assert_eq!((status, loc.as_deref()), (303, Some("/credits/claims?done=approved")));
    let (_, page) = staff.get(&format!("/people/{}/credits", junior.id)).await;
    assert!(page.contains("尚差82学时"), "{page}");
    // Who is behind, and its export.
    let (status, page) = staff.get("/credits/behind").await;
    assert_eq!(status, 200);
    assert!(page.contains("学时未达标人员") && !page.contains("屈原"));
    let csrf = staff.csrf().await;
    let r = staff
        .raw
        .post(staff.url("/credits/behind/export"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("export");
    assert_eq!(r.status().as_u16(), 200);
    let text = crate::coverage::xlsx_text(&r.bytes().await.expect("bytes"));
    assert!(text.contains("尚差学时") && !text.contains("430671"));

    // The trainee's own hours.
    let scope_org = by_code(&db.conn, YUNXI).await;
    let new = NewAccount {
        username: "trainee".into(),
        display_name: "学员".into(),
        person_id: Some(junior.id),
        org_id: junior.org_id,
        scope_org_id: scope_org.id,
        roles: AccountRoles::of(&[AccountRole::Cadre]),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    write(&db.conn, &Scope::system(), async |tx| accounts::create(tx, &new).await).await.expect("account");
    let me = TestApp::spawn(&db).await;
    assert_eq!(me.login("trainee", PASSWORD).await, 303);
    let (status, page) = me.get("/me/credits").await;
    assert_eq!(status, 200);
    assert!(page.contains("我的学时") && page.contains("党性教育专题培训") && page.contains("申报学时"), "{page}");
    let (_, page) = me.get("/me").await;
    assert!(page.contains("/me/credits"));
    // Someone else's file is not theirs to read.
    let other = someone(&db.conn, YUNXI, RankLevel::County).await;
    let (status, _) = me.get(&format!("/people/{}/credits", other.id)).await;
    assert!(matches!(status, 403 | 404));
    db.cleanup().await;
}

#[tokio::test]
async fn credits_import_reads_the_online_colleges_spreadsheet() {
    let db = seeded().await;
    let app = TestApp::spawn(&db).await;
    let t = token(&db.conn, YUNXI).await;
    let p = someone(&db.conn, YUNXI, RankLevel::Township).await;
    // The provincial online college's export: its own headers, minutes instead of hours.
    let file = xuepei_testkit::files::xlsx(
        &[
            vec!["序号", "学员姓名", "身份证号码", "课程名称", "完成时间", "学习时长(分钟)", "学习平台", "记录ID"],
            vec![
                "1",
                &p.name,
                &p.id_number,
                "习近平新时代中国特色社会主义思想概论",
                "2026-03-02",
                "45",
                "湖南干部教育培训网络学院",
                "HN-1",
            ],
            vec![
                "2",
                &p.name,
                &p.id_number,
                "基层党组织建设专题",
                "2026-03-03",
                "20",
                "湖南干部教育培训网络学院",
                "HN-2",
            ],
        ],
        &[],
    );
    let r = app
        .raw
        .post(app.url("/api/v1/credits/import?filename=网院导出.xlsx"))
        .bearer_auth(&t)
        .header("content-type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .body(file.clone())
        .send()
        .await
        .expect("import");
    let status = r.status().as_u16();
    let v: Value = r.json().await.expect("json");
    assert_eq!((status, v["inserted"].as_i64()), (200, Some(2)), "{v}");
    let f = credits::for_person(&db.conn, &county_scope(&db.conn, YUNXI).await, None, p.id).await.expect("file");
    assert_eq!(
        f.status.year_hours,
        xuepei_domain::training::Hours::from_hundredths(150),
        "45 min → 1 h, 20 min → 0.5 h"
    );
    // The same file again: nothing new.
    let r = app.raw.post(app.url("/api/v1/credits/import")).bearer_auth(&t).body(file).send().await.expect("again");
    let v: Value = r.json().await.expect("json");
    assert_eq!((v["inserted"].as_i64(), v["unchanged"].as_i64()), (Some(0), Some(2)), "{v}");
    // The template names the columns in Chinese.
    let staff = signed_in(&db, "tstaff", &[AccountRole::OrgStaff], YUNXI).await;
    let r = staff.raw.get(staff.url("/import/credits/template.xlsx")).send().await.expect("template");
    assert_eq!(r.status().as_u16(), 200);
    let text = crate::coverage::xlsx_text(&r.bytes().await.expect("bytes"));
    for h in ["身份证号", "姓名", "培训名称", "培训日期", "学时", "培训机构/平台", "记录编号"]
    {
        assert!(text.contains(h), "{h}: {text}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn credits_evidence_outlives_the_purge_of_unfinished_imports() {
    let db = seeded().await;
    let scope = county_scope(&db.conn, YUNXI).await;
    let evidence =
        xuepei_store::uploads::save(&db.conn, &scope, 1, credits::EVIDENCE_KIND, "证书.pdf", b"pdf".to_vec())
            .await
            .expect("evidence");
    let import =
        xuepei_store::uploads::save(&db.conn, &scope, 1, "people", "名册.xlsx", b"x".to_vec()).await.expect("upload");
    let purged = xuepei_store::uploads::purge_before(&db.conn, chrono::Utc::now() + chrono::Duration::days(400))
        .await
        .expect("purge");
    assert_eq!(purged, 1, "the unfinished import only");
    assert!(xuepei_store::uploads::get(&db.conn, &scope, 1, evidence).await.is_ok(), "evidence kept");
    assert!(xuepei_store::uploads::get(&db.conn, &scope, 1, import).await.is_err());
    db.cleanup().await;
}

#[tokio::test]
async fn credits_nobody_reviews_their_own_claim() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let someone = someone(&db.conn, YUNXI, RankLevel::Township).await;
    let county = by_code(&db.conn, YUNXI).await;
    // A department staff member who is also the claimant.
    let new = NewAccount {
        username: "selfreview".into(),
        display_name: someone.name.clone(),
        person_id: Some(someone.id),
        org_id: county.id,
        scope_org_id: county.id,
        roles: AccountRoles::of(&[AccountRole::OrgStaff]),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    write(&db.conn, &Scope::system(), async |tx| accounts::create(tx, &new).await).await.expect("account");
    let input = ClaimInput {
        person_id: someone.id,
        title: "党校进修班".into(),
        date: "2026-05-20".into(),
        hours: "8".into(),
        provider: "省委党校".into(),
        note: String::new(),
        evidence_upload_id: None,
    };
    let r = write(&db.conn, &yunxi, async |tx| credits::claim(tx, None, &input).await).await.expect("claim");
    let app = TestApp::spawn(&db).await;
    assert_eq!(app.login("selfreview", PASSWORD).await, 303);
    let (status, _, body) = app.post_form(&format!("/credits/claims/{}/approve", r.id), &[]).await;
    assert!(status == 403 || status == 422, "{status} {body}");
    assert!(body.contains("本人的学时申报不能由本人审核"), "{body}");
    let f = credits::for_person(&db.conn, &yunxi, None, someone.id).await.expect("file");
    assert!(f.records.iter().all(|x| x.status == Status::Pending), "still pending");
    // Another member of the department may.
    write(&db.conn, &yunxi, async |tx| credits::review(tx, r.id, true, "材料齐全").await).await.expect("approve");
    db.cleanup().await;
}
