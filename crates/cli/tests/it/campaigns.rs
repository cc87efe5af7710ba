//! Campaigns (轮训工作): issued through the API and the form, refused whole with Chinese
//! reasons, seen by the issuer's scope and by the scopes inside its target, copied.

use serde_json::{Value, json};
use xuepei_domain::accounts::AccountRole;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::rules::{CampaignRules, TargetFilter};
use xuepei_store::campaigns::{self, CampaignInput};
use xuepei_store::page::At;
use xuepei_store::{Scope, tokens};
use xuepei_testkit::TestApp;

use crate::support::*;

/// The city (岳阳市).
const CITY: &str = "430600";

/// A campaign of `issuer` over the target organisations `orgs` (the issuer when empty).
pub fn input(title: &str, issuer: &str, orgs: &[&str]) -> CampaignInput {
    CampaignInput {
        issuer: issuer.into(),
        doc_number: String::new(),
        title: title.into(),
        kind: "rotation".into(),
        start: chrono::NaiveDate::from_ymd_opt(2026, 3, 1),
        end: chrono::NaiveDate::from_ymd_opt(2026, 6, 30),
        plan_deadline: None,
        target: TargetFilter { orgs: orgs.iter().map(|s| (*s).to_owned()).collect(), ..Default::default() },
        rules: CampaignRules::default(),
    }
}

/// A read-write token over the organisation `code`.
async fn token(db: &xuepei_store::DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        tokens::issue(tx, "轮训对接", o.id, true, None, tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let mut rb = match method {
        "POST" => app.raw.post(app.url(path)),
        _ => app.raw.get(app.url(path)),
    };
    rb = rb.bearer_auth(token);
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b.to_string());
    }
    let r = rb.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn count(db: &xuepei_store::DatabaseConnection) -> usize {
    campaigns::list(db, &Scope::system(), At::First, 500).await.expect("list").items.len()
}

fn seed_body() -> Value {
    json!({
        "title": "全市基层党组织书记集中轮训",
        "doc_number": "岳组发〔2015〕5号",
        "kind": "rotation",
        "issuer": CITY,
        "start": "2015-03-01",
        "end": "2015-06-30",
        "plan_deadline": "2015-03-09",
        "target": { "orgs": [YUNXI], "sectors": ["village", "community"], "roles": ["secretary"] },
        "quotas": [{ "name": "村党组织书记参加市级集中培训", "level": "city", "min_percent": 15, "group": { "sectors": ["village"], "roles": ["secretary"] } }],
        "max_leave_fraction": "1/7"
    })
}

#[tokio::test]
async fn the_api_issues_lists_and_reads_a_campaign() {
    let db = seeded().await;
    let app = TestApp::spawn(&db).await;
    let city = token(&db.conn, CITY).await;
    let (s, v) = call(&app, "POST", "/api/v1/campaigns", &city, Some(seed_body())).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().expect("id");
    assert_eq!(v["kind"], "rotation");
    assert_eq!(v["issuer"], CITY);
    assert_eq!(v["target"]["orgs"], json!([YUNXI]));
    assert_eq!(v["target"]["sectors"], json!(["village", "community"]));
    assert_eq!(v["quotas"][0]["level"], "city");
    assert_eq!(v["quotas"][0]["min_percent"], 15);
    assert_eq!(v["max_leave_fraction"], "1/7");
    assert_eq!(v["plan_deadline"], "2015-03-09");
    let (s, got) = call(&app, "GET", &format!("/api/v1/campaigns/{id}"), &city, None).await;
    assert_eq!((s, &got["title"]), (200, &v["title"]), "{got}");
    // The county inside the target sees it; the other county does not.
    let yunxi = token(&db.conn, YUNXI).await;
    let quyuan = token(&db.conn, QUYUAN).await;
    let (s, list) = call(&app, "GET", "/api/v1/campaigns", &yunxi, None).await;
    assert_eq!(s, 200, "{list}");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(call(&app, "GET", &format!("/api/v1/campaigns/{id}"), &yunxi, None).await.0, 200);
    let (s, list) = call(&app, "GET", "/api/v1/campaigns", &quyuan, None).await;
    assert_eq!((s, list["items"].as_array().map(Vec::len)), (200, Some(0)), "{list}");
    let (s, e) = call(&app, "GET", &format!("/api/v1/campaigns/{id}"), &quyuan, None).await;
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("not_found")), "{e}");
    // Defaults: the issuer is the token's organisation and its whole subtree the target.
    let (s, v) = call(
        &app,
        "POST",
        "/api/v1/campaigns",
        &quyuan,
        Some(json!({ "title": "屈原管理区冬训", "kind": "winter", "start": "2026-12-01", "end": "2027-02-28" })),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!((v["issuer"].as_str(), v["target"]["orgs"].clone()), (Some(QUYUAN), json!([QUYUAN])));
    assert_eq!(v["quotas"].as_array().map(Vec::len), Some(3), "the seed quotas by default");
    let (_, list) = call(&app, "GET", "/api/v1/campaigns", &yunxi, None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "another county's campaign stays out: {list}");
    // Paging: newest first, `next` leads on.
    let (s, page) = call(&app, "GET", "/api/v1/campaigns?limit=1", &city, None).await;
    assert_eq!(s, 200);
    assert_eq!(page["items"][0]["title"], "屈原管理区冬训");
    let next = page["next"].as_str().expect("a next page").to_owned();
    let (_, page) = call(&app, "GET", &format!("/api/v1/campaigns?limit=1&after={next}"), &city, None).await;
    assert_eq!((page["items"][0]["id"].as_i64(), page["next"].is_null()), (Some(id), true), "{page}");
    db.cleanup().await;
}

#[tokio::test]
async fn bad_campaigns_are_refused_whole_in_chinese() {
    let db = seeded().await;
    let app = TestApp::spawn(&db).await;
    let yunxi = token(&db.conn, YUNXI).await;
    let with = |k: &str, v: Value| {
        let mut b = seed_body();
        b["issuer"] = json!(YUNXI);
        b["target"]["orgs"] = json!([]);
        b[k] = v;
        b
    };
    let mut outside = with("title", json!("越界"));
    outside["target"]["orgs"] = json!([QUYUAN_TOWN]);
    let cases = [
        (with("end", json!("2015-02-01")), "end", "早于开始日期"),
        (with("title", json!("  ")), "title", "标题不能为空"),
        (with("kind", json!("annual")), "kind", "培训类别“annual”无效，可选：rotation"),
        (outside, "target", "不是发文单位“云溪区”或其下级组织"),
        (with("issuer", json!(QUYUAN)), "issuer", "不在您的管理范围内"),
        (with("plan_deadline", json!("2015-07-01")), "plan_deadline", "晚于结束日期"),
        (with("start", json!("2015年3月")), "start", "格式有误，应为YYYY-MM-DD"),
        (with("max_leave_fraction", json!("8/7")), "max_leave_fraction", "大于1"),
    ];
    for (body, field, msg) in cases {
        let (s, v) = call(&app, "POST", "/api/v1/campaigns", &yunxi, Some(body)).await;
        assert_eq!(s, 422, "{field}: {v}");
        assert_eq!(v["error"]["code"], "invalid");
        let fields = v["error"]["fields"].as_array().expect("fields");
        assert!(
            fields.iter().any(|f| f["field"] == field && f["message"].as_str().is_some_and(|m| m.contains(msg))),
            "{field}: {v}"
        );
    }
    // Unknown sector and role codes are listed with the known ones.
    let mut b = with("title", json!("代码"));
    b["target"]["sectors"] = json!(["farm"]);
    let (s, v) = call(&app, "POST", "/api/v1/campaigns", &yunxi, Some(b)).await;
    assert_eq!(s, 422);
    assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("领域代码“farm”无效，可选：")), "{v}");
    // Several mistakes at once are all named.
    let mut b = with("title", json!(""));
    b["end"] = json!("2015-01-01");
    b["kind"] = json!("x");
    b["plan_deadline"] = Value::Null;
    let (_, v) = call(&app, "POST", "/api/v1/campaigns", &yunxi, Some(b)).await;
    assert_eq!(v["error"]["fields"].as_array().map(Vec::len), Some(3), "{v}");
    // An unknown field is a 400 naming the fields.
    let (s, v) = call(&app, "POST", "/api/v1/campaigns", &yunxi, Some(json!({ "name": "x" }))).await;
    assert_eq!(s, 400, "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("可用字段")), "{v}");
    assert_eq!(count(&db.conn).await, 0, "nothing written");
    db.cleanup().await;
}

#[tokio::test]
async fn the_form_issues_a_campaign_and_the_pages_follow_visibility() {
    let db = seeded().await;
    // The city issues a campaign over the whole city; 屈原 one of its own.
    let city =
        write(&db.conn, &Scope::system(), async |tx| campaigns::create(tx, &input("全市集中轮训", CITY, &[])).await)
            .await
            .expect("city campaign");
    let quyuan =
        write(&db.conn, &Scope::system(), async |tx| campaigns::create(tx, &input("屈原自办轮训", QUYUAN, &[])).await)
            .await
            .expect("county campaign");
    let staff = signed_in(&db, "yxstaff", &[AccountRole::OrgStaff], YUNXI).await;
    let (s, body) = staff.get("/").await;
    assert!(s == 200 && body.contains("轮训工作") && body.contains("教育培训"), "menu entry");
    // The form refuses every mistake at once, keeping what was typed.
    let (s, _, body) = staff
        .post_form(
            "/campaigns",
            &[
                ("title", ""),
                ("kind", "x"),
                ("issuer", YUNXI),
                ("start", "2026-05-01"),
                ("end", "2026-04-01"),
                ("max_leave", "1/7"),
            ],
        )
        .await;
    assert_eq!(s, 422, "{body}");
    for msg in ["标题不能为空", "培训类别“x”无效", "早于开始日期", "共3处"] {
        assert!(body.contains(msg), "{msg}: {body}");
    }
    assert_eq!(count(&db.conn).await, 2, "nothing written");
    let (s, loc, body) = staff
        .post_form(
            "/campaigns",
            &[
                ("title", "云溪区村（社区）党组织书记轮训"),
                ("doc_number", "云组发〔2026〕3号"),
                ("kind", "rotation"),
                ("issuer", YUNXI),
                ("start", "2026-03-01"),
                ("end", "2026-06-30"),
                ("plan_deadline", "2026-03-09"),
                ("sectors", "village"),
                ("sectors", "community"),
                ("roles", "secretary"),
                ("max_leave", "1/7"),
            ],
        )
        .await;
    assert_eq!(s, 303, "{body}");
    let loc = loc.expect("redirect");
    let (s, body) = staff.get(&loc).await;
    assert_eq!(s, 200);
    for text in [
        "云组发〔2026〕3号",
        "集中轮训",
        "村、社区党组织书记：每期3至5天",
        "市级及以上培训不少于15%",
        "1/7",
        "领域：村、社区",
    ] {
        assert!(body.contains(text), "{text}: {body}");
    }
    // The list shows the county's own and the city's, not the other county's.
    let (_, list) = staff.get("/campaigns").await;
    assert!(list.contains("全市集中轮训") && list.contains("云溪区村（社区）党组织书记轮训"), "{list}");
    assert!(!list.contains("屈原自办轮训"), "{list}");
    // The city's campaign is read, not changed, by the county.
    let (s, body) = staff.get(&format!("/campaigns/{}", city.id)).await;
    assert!(s == 200 && !body.contains("/copy"), "read-only for the county");
    assert_eq!(staff.get(&format!("/campaigns/{}/edit", city.id)).await.0, 403);
    assert_eq!(staff.post_form(&format!("/campaigns/{}/copy", city.id), &[]).await.0, 403);
    assert_eq!(staff.get(&format!("/campaigns/{}", quyuan.id)).await.0, 404);
    assert_eq!(staff.post_form(&format!("/campaigns/{}/copy", quyuan.id), &[]).await.0, 404);
    // A city campaign that targets only 屈原 is not the county's business.
    let only = write(&db.conn, &Scope::system(), async |tx| {
        campaigns::create(tx, &input("屈原片区专项轮训", CITY, &[QUYUAN])).await
    })
    .await
    .expect("targeted campaign");
    assert_eq!(staff.get(&format!("/campaigns/{}", only.id)).await.0, 404);
    // The issuer copies its campaign into a new one and edits it.
    let id: i64 = loc.trim_start_matches("/campaigns/").split('?').next().and_then(|s| s.parse().ok()).expect("id");
    let (s, copied, _) = staff.post_form(&format!("/campaigns/{id}/copy"), &[]).await;
    assert_eq!(s, 303);
    let (_, body) = staff.get(copied.as_deref().expect("redirect")).await;
    assert!(body.contains("云溪区村（社区）党组织书记轮训（副本）") && body.contains("已复制"), "{body}");
    let (s, _, body) = staff
        .post_form(
            &format!("/campaigns/{id}"),
            &[
                ("title", "改后的标题"),
                ("kind", "winter"),
                ("issuer", YUNXI),
                ("start", "2026-11-01"),
                ("end", "2027-01-31"),
                ("max_leave", "1/5"),
            ],
        )
        .await;
    assert_eq!(s, 303, "{body}");
    let c = campaigns::get(&db.conn, &Scope::system(), id).await.expect("campaign");
    assert_eq!(
        (c.title.as_str(), c.kind.code(), c.rules.max_leave_fraction.to_string()),
        ("改后的标题", "winter", "1/5".to_owned())
    );
    // A copy made by mistake is deleted by its issuer; not by another scope, and not once
    // a class is built on it.
    assert_eq!(staff.post_form(&format!("/campaigns/{}/delete", city.id), &[]).await.0, 403);
    assert_eq!(staff.post_form(&format!("/campaigns/{}/delete", quyuan.id), &[]).await.0, 404);
    let copy_id: i64 = copied_id(&copied);
    let (s, to, _) = staff.post_form(&format!("/campaigns/{copy_id}/delete"), &[]).await;
    assert_eq!((s, to.as_deref()), (303, Some("/campaigns?done=deleted")));
    let (_, body) = staff.get("/campaigns?done=deleted").await;
    assert!(body.contains("轮训工作已删除") && !body.contains("（副本）"), "{body}");
    assert!(campaigns::get(&db.conn, &Scope::system(), copy_id).await.is_err(), "gone");
    let class = xuepei_store::classes::ClassInput {
        level: "county".into(),
        start: chrono::NaiveDate::from_ymd_opt(2026, 11, 9),
        end: chrono::NaiveDate::from_ymd_opt(2026, 11, 11),
        allocations: vec![],
        ..crate::classes::class_input(Some(id), "云溪区第一期", YUNXI)
    };
    let yunxi = county_scope(&db.conn, YUNXI).await;
    write(&db.conn, &yunxi, async |tx| xuepei_store::classes::create(tx, &class).await).await.expect("class");
    let (s, _, body) = staff.post_form(&format!("/campaigns/{id}/delete"), &[]).await;
    assert_eq!(s, 409, "{body}");
    assert!(body.contains("已有1个班次") && body.contains("不能删除"), "{body}");
    assert!(campaigns::get(&db.conn, &Scope::system(), id).await.is_ok(), "kept");
    let report = xuepei_store::audit::verify(&db.conn).await.expect("verify");
    assert!(report.first_bad.is_none(), "the trail verifies");
    db.cleanup().await;
}

fn copied_id(redirect: &Option<String>) -> i64 {
    redirect
        .as_deref()
        .and_then(|l| l.trim_start_matches("/campaigns/").split('?').next())
        .and_then(|s| s.parse().ok())
        .expect("copy id")
}

#[tokio::test]
async fn copying_keeps_the_rules_and_only_the_issuer_may_write() {
    let db = seeded().await;
    let mut i = input("全市集中轮训", CITY, &[YUNXI, QUYUAN]);
    i.rules.max_leave_fraction = xuepei_domain::training::Fraction::new(1, 6).expect("fraction");
    let c = write(&db.conn, &Scope::system(), async |tx| campaigns::create(tx, &i).await).await.expect("campaign");
    let city = county_scope(&db.conn, CITY).await;
    let copy = write(&db.conn, &city, async |tx| campaigns::copy(tx, c.id).await).await.expect("copy");
    assert_ne!(copy.id, c.id);
    assert_eq!(copy.title, "全市集中轮训（副本）");
    assert_eq!((copy.rules, copy.target.orgs.clone()), (c.rules.clone(), vec![YUNXI.to_owned(), QUYUAN.to_owned()]));
    let yunxi = county_scope(&db.conn, YUNXI).await;
    match write(&db.conn, &yunxi, async |tx| campaigns::copy(tx, c.id).await).await {
        Err(xuepei_store::StoreError::Forbidden(m)) => assert!(m.contains("只有发文单位"), "{m}"),
        other => panic!("expected refusal, got {other:?}"),
    }
    assert!(campaigns::get(&db.conn, &yunxi, c.id).await.is_ok(), "a target county reads it");
    db.cleanup().await;
}

#[tokio::test]
async fn the_issuing_body_edits_every_rule_in_the_form_and_the_api() {
    let db = seeded().await;
    let staff = signed_in(&db, "yxrules", &[AccountRole::OrgStaff], YUNXI).await;
    let (s, body) = staff.get("/campaigns/new").await;
    assert_eq!(s, 200);
    assert!(body.contains("村、社区；书记") && body.contains("党章、党的基本知识"), "defaults shown as editable rows");
    let base = [
        ("rules_form", "1"),
        ("title", "云溪区书记轮训"),
        ("kind", "rotation"),
        ("issuer", YUNXI),
        ("start", "2026-03-01"),
        ("end", "2026-06-30"),
        ("max_leave", "1/5"),
    ];
    // Bad rows are refused together, naming the row.
    let mut bad = base.to_vec();
    bad.extend([
        ("bl_name", "村书记"),
        ("bl_group", "村、书记、张三"),
        ("bl_min", "3"),
        ("bl_max", "5"),
        ("q_name", "市级比例"),
        ("q_level", ""),
        ("q_percent", "120"),
        ("q_group", ""),
    ]);
    let (s, _, body) = staff.post_form("/campaigns", &bad).await;
    assert_eq!(s, 422, "{body}");
    for msg in ["每期天数第1行", "“张三”不是领域", "比例要求第1行", "请至少选择一种教学方式"]
    {
        assert!(body.contains(msg), "{msg}: {body}");
    }
    assert_eq!(count(&db.conn).await, 0, "nothing written");
    let mut good = base.to_vec();
    good.extend([
        ("bl_name", "村书记"),
        ("bl_group", "村、书记"),
        ("bl_min", "4"),
        ("bl_max", "6"),
        ("bl_name", ""),
        ("bl_group", ""),
        ("bl_min", ""),
        ("bl_max", ""),
        ("q_name", "村书记参加市级培训"),
        ("q_level", "city"),
        ("q_percent", "20"),
        ("q_group", "村、书记"),
        ("modes", "lecture"),
        ("modes", "site_visit"),
        ("topics", "党章党规\n基层治理"),
        ("materials", "《习近平谈治国理政》第二卷"),
    ]);
    let (s, loc, body) = staff.post_form("/campaigns", &good).await;
    assert_eq!(s, 303, "{body}");
    let id: i64 =
        loc.expect("location").trim_start_matches("/campaigns/").split('?').next().expect("id").parse().expect("id");
    let c = campaigns::get(&db.conn, &Scope::system(), id).await.expect("campaign");
    assert_eq!(c.rules.batch_lengths.len(), 1);
    assert_eq!((c.rules.batch_lengths[0].min_days, c.rules.batch_lengths[0].max_days), (4, 6));
    assert_eq!(c.rules.quotas.len(), 1);
    assert_eq!(c.rules.quotas[0].min_percent.to_string(), "20%");
    assert_eq!(c.rules.modes.len(), 2);
    assert_eq!(c.rules.topics, vec!["党章党规".to_owned(), "基层治理".to_owned()]);
    assert_eq!(c.rules.max_leave_fraction.to_string(), "1/5");
    let (_, detail) = staff.get(&format!("/campaigns/{id}")).await;
    assert!(detail.contains("现场观摩") && detail.contains("基层治理") && detail.contains("习近平谈治国理政"));

    // The API takes the same rules.
    let token = token(&db.conn, YUNXI).await;
    let app = TestApp::spawn(&db).await;
    let body = json!({
        "title": "接口轮训", "kind": "thematic", "start": "2026-03-01", "end": "2026-04-30",
        "batch_lengths": [{ "name": "全体", "min_days": 2, "max_days": 2 }],
        "modes": ["lecture", "discussion"], "topics": ["专题一"], "materials": ["材料一"]
    });
    let (s, v) = call(&app, "POST", "/api/v1/campaigns", &token, Some(body)).await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["batch_lengths"][0]["max_days"], 2);
    assert_eq!(v["modes"], json!(["lecture", "discussion"]));
    assert_eq!(v["topics"], json!(["专题一"]));
    let (s, v) = call(&app, "POST", "/api/v1/campaigns", &token, Some(json!({
        "title": "错误", "kind": "rotation", "start": "2026-03-01", "end": "2026-04-30", "modes": ["lecture", "walk"]
    })))
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("walk"), "{v}");
}
