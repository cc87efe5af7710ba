//! Leaders' study log (五种学习方式, 001 §二): entries through the API and the pages, every
//! kind of bad input refused with nothing written, quota rules with their defaults and a
//! body's own rule, progress and the early warning, a leader reaching only their own log,
//! and the scope's lists and exports.

use chrono::Datelike;
use serde_json::{Value, json};
use xuepei_domain::accounts::{AccountRole, AccountRoles};
use xuepei_domain::labels::Labeled;
use xuepei_domain::people::{RankLevel, Role};
use xuepei_domain::study::quotas::{QuotaPeriod, pace};
use xuepei_store::accounts::{self, NewAccount};
use xuepei_store::page::At;
use xuepei_store::people::{self, Person, PersonFilter};
use xuepei_store::study_logs::{self, LeaderFilter, LogFields, LogInput, PersonRef, RuleFields, StudyMode};
use xuepei_store::{DatabaseConnection, Scope, StoreError, tokens};
use xuepei_testkit::TestApp;

use crate::support::*;

/// Leaders of a county of a rank (county leaders sit at the county, township teams below).
async fn leaders(db: &DatabaseConnection, code: &str, rank: RankLevel) -> Vec<Person> {
    let f = PersonFilter { role: Some(Role::LeadershipMember), rank_level: Some(rank), ..Default::default() };
    people::list(db, &county_scope(db, code).await, &f, Default::default(), At::First, 20)
        .await
        .expect("people")
        .items
        .into_iter()
        .map(|r| r.person)
        .collect()
}

async fn token(db: &DatabaseConnection, code: &str, write_: bool) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        tokens::issue(tx, "学习平台对接", o.id, write_, None, tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Option<String>) -> (u16, Value) {
    let mut rb = if method == "POST" { app.raw.post(app.url(path)) } else { app.raw.get(app.url(path)) };
    rb = rb.bearer_auth(token);
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b);
    }
    let r = rb.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// What the form would submit for `p` unchanged (managed by its organisation).
fn input_of(p: &Person) -> people::PersonInput {
    people::PersonInput {
        name: p.name.clone(),
        id_number: p.id_number.clone(),
        gender: p.gender,
        birth_date: p.birth_date,
        phone: p.phone.clone(),
        party_joined_on: p.party_joined_on,
        position: p.position.clone(),
        rank_level: p.rank_level,
        roles: p.roles,
        org_id: p.org_id,
        managing_org_id: None,
        profile: p.profile.clone(),
    }
}

fn today() -> chrono::NaiveDate {
    xuepei_domain::time::today()
}

fn entry(mode: StudyMode, title: &str) -> LogFields {
    LogFields { mode: mode.code().into(), date: today().to_string(), title: title.into(), ..Default::default() }
}

async fn add(db: &DatabaseConnection, scope: &Scope, who: &Person, fields: LogFields) -> study_logs::StudyLog {
    let input = LogInput { person: PersonRef::Id(who.id), fields, evidence_upload_id: None };
    write(db, scope, async |tx| study_logs::create(tx, None, &input).await).await.expect("entry")
}

async fn entries(db: &DatabaseConnection, who: &Person) -> usize {
    study_logs::for_person(db, &Scope::system(), None, &PersonRef::Id(who.id), today().year())
        .await
        .expect("entries")
        .1
        .len()
}

#[tokio::test]
async fn study_logs_api_records_an_entry_and_refuses_bad_input_writing_nothing() {
    let db = seeded().await;
    let app = TestApp::spawn(&db).await;
    let t = token(&db.conn, YUNXI, true).await;
    let leader = leaders(&db.conn, YUNXI, RankLevel::County).await.remove(0);
    let other = leaders(&db.conn, QUYUAN, RankLevel::County).await.remove(0);
    let day = today().to_string();
    let body = json!({ "id_number": leader.id_number, "mode": "self_study", "date": day, "title": "习近平总书记在中央政治局集体学习时的重要讲话", "school": null, "place": "" });
    let (status, v) = call(&app, "POST", "/api/v1/study-logs", &t, Some(body.to_string())).await;
    assert_eq!(status, 201, "{v}");
    let id = v["id"].as_i64().expect("id");
    // A lecture at a school, and a reflection with where it was published.
    let lecture = json!({ "id_number": leader.id_number, "mode": "school_lecture", "date": day, "title": "思政课：新时代的青年使命", "school": "岳阳市第一中学", "place": "高二年级" });
    let (status, v) = call(&app, "POST", "/api/v1/study-logs", &t, Some(lecture.to_string())).await;
    assert_eq!(status, 201, "{v}");
    let reflection = json!({ "id_number": leader.id_number, "mode": "reflection", "date": day, "title": "把学习成果转化为工作思路", "published_in": "岳阳日报", "published_on": day });
    let (status, v) = call(&app, "POST", "/api/v1/study-logs", &t, Some(reflection.to_string())).await;
    assert_eq!(status, 201, "{v}");
    let (status, v) = call(
        &app,
        "GET",
        &format!("/api/v1/study-logs?id_number={}&year={}", leader.id_number, today().year()),
        &t,
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!((v["name"].as_str(), v["items"].as_array().map(Vec::len)), (Some(leader.name.as_str()), Some(3)));
    let modes: Vec<&str> = v["items"].as_array().expect("items").iter().filter_map(|i| i["mode"].as_str()).collect();
    assert!(modes.contains(&"school_lecture") && modes.contains(&"self_study") && modes.contains(&"reflection"));
    let lec = v["items"].as_array().expect("items").iter().find(|i| i["mode"] == "school_lecture").expect("lecture");
    assert_eq!((lec["school"].as_str(), lec["date"].as_str()), (Some("岳阳市第一中学"), Some(day.as_str())));
    assert!(v["items"].as_array().expect("items").iter().any(|i| i["id"].as_i64() == Some(id)));

    // The same entry sent twice at once: one is written, the other refused (never a 500).
    let twice = json!({ "id_number": leader.id_number, "mode": "exchange", "date": day, "title": "同时提交的交流" });
    let (x, y) = tokio::join!(
        call(&app, "POST", "/api/v1/study-logs", &t, Some(twice.to_string())),
        call(&app, "POST", "/api/v1/study-logs", &t, Some(twice.to_string()))
    );
    let mut statuses = [x.0, y.0];
    statuses.sort_unstable();
    assert!(statuses[0] == 201 && matches!(statuses[1], 409 | 422), "{x:?} {y:?}");
    // Bad input of every kind: a 4xx with a Chinese reason, nothing written.
    let before = entries(&db.conn, &leader).await;
    let tomorrow = (today() + chrono::Days::new(1)).to_string();
    let cases: Vec<(Value, u16, &str)> = vec![
        (body.clone(), 422, "已登记过"),
        (
            json!({ "id_number": leader.id_number, "mode": "self_study", "date": tomorrow, "title": "明天的学习" }),
            422,
            "晚于今天",
        ),
        (
            json!({ "id_number": leader.id_number, "mode": "school_lecture", "date": day, "title": "无校讲课" }),
            422,
            "学校",
        ),
        (json!({ "id_number": leader.id_number, "mode": "reading", "date": day, "title": "x" }), 422, "self_study"),
        (
            json!({ "id_number": leader.id_number, "mode": "self_study", "date": "2026/3/1", "title": "x" }),
            422,
            "YYYY-MM-DD",
        ),
        (
            json!({ "id_number": leader.id_number, "mode": "self_study", "date": "1900-03-01", "title": "x" }),
            422,
            "合理范围",
        ),
        (json!({ "id_number": leader.id_number, "mode": "self_study", "date": day, "title": "" }), 422, "请填写"),
        (
            json!({ "id_number": other.id_number, "mode": "self_study", "date": day, "title": "越界" }),
            422,
            "不在您管理范围内",
        ),
        (
            json!({ "id_number": id_number("430603", (1970, 1, 1), 991), "mode": "self_study", "date": day, "title": "无此人" }),
            422,
            "不在您管理范围内",
        ),
        (
            json!({ "id_number": leader.id_number, "mode": "self_study", "date": day, "title": "x", "unknown": 1 }),
            400,
            "可用字段",
        ),
    ];
    for (b, expect, words) in cases {
        let (status, v) = call(&app, "POST", "/api/v1/study-logs", &t, Some(b.to_string())).await;
        assert_eq!(status, expect, "{b}: {v}");
        let msg = v["error"]["message"].as_str().unwrap_or_default();
        assert!(v["error"]["code"].is_string() && msg.contains(words), "{b}: {v}");
        assert!(!msg.contains(&other.name), "the other county's leader is not named: {msg}");
    }
    let (status, _) = call(&app, "POST", "/api/v1/study-logs", &t, Some("{\"id_number\": ".into())).await;
    assert_eq!(status, 400);
    // Someone who is no leader (a village branch's committee member).
    let f = PersonFilter { role: Some(Role::CommitteeMember), ..Default::default() };
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let plain = people::list(&db.conn, &yunxi, &f, Default::default(), At::First, 50)
        .await
        .expect("people")
        .items
        .into_iter()
        .map(|r| r.person)
        .find(|p| !xuepei_domain::study::quotas::is_leader(p.roles))
        .expect("a branch member");
    let b = json!({ "id_number": plain.id_number, "mode": "self_study", "date": day, "title": "x" });
    let (status, v) = call(&app, "POST", "/api/v1/study-logs", &t, Some(b.to_string())).await;
    assert_eq!(status, 422);
    assert!(v["error"]["message"].as_str().unwrap_or_default().contains("班子成员"), "{v}");
    assert_eq!(entries(&db.conn, &leader).await, before, "nothing written");
    assert_eq!(entries(&db.conn, &plain).await, 0);
    // A read-only token writes nothing; another county's leader is not found; id_number is needed.
    let ro = token(&db.conn, YUNXI, false).await;
    let fresh = json!({ "id_number": leader.id_number, "mode": "exchange", "date": day, "title": "调研座谈交流" });
    let (status, _) = call(&app, "POST", "/api/v1/study-logs", &ro, Some(fresh.to_string())).await;
    assert_eq!(status, 403);
    let (status, v) = call(&app, "GET", &format!("/api/v1/study-logs?id_number={}", other.id_number), &t, None).await;
    assert_eq!(status, 404);
    assert!(!v.to_string().contains(&other.name));
    let (status, _) = call(&app, "GET", "/api/v1/study-logs", &t, None).await;
    assert_eq!(status, 400);
    let (status, _) =
        call(&app, "GET", &format!("/api/v1/study-logs?id_number={}&year=3000", leader.id_number), &t, None).await;
    assert_eq!(status, 400);
    // The OpenAPI document describes both.
    let (_, doc) = call(&app, "GET", "/api/v1/openapi.json", &t, None).await;
    assert!(
        doc["paths"]["/api/v1/study-logs"]["post"].is_object() && doc["paths"]["/api/v1/study-logs"]["get"].is_object()
    );
    db.cleanup().await;
}

#[tokio::test]
async fn study_logs_quotas_defaults_own_rules_progress_and_warnings() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let county = leaders(&db.conn, YUNXI, RankLevel::County).await;
    let township = leaders(&db.conn, YUNXI, RankLevel::Township).await;
    let (a, b, c) = (&county[0], &county[1], &township[0]);
    for i in 0..3 {
        add(&db.conn, &yunxi, a, entry(StudyMode::SelfStudy, &format!("重要讲话{i}"))).await;
    }
    for i in 0..5 {
        add(&db.conn, &yunxi, b, entry(StudyMode::SelfStudy, &format!("重要讲话{i}"))).await;
    }
    for t in ["党课一", "党课二"] {
        let f = LogFields { school: "云溪区第一中学".into(), ..entry(StudyMode::SchoolLecture, t) };
        add(&db.conn, &yunxi, b, f).await;
    }
    let (year, month) = (today().year(), today().month());
    let rows = study_logs::quota_progress(&db.conn, &yunxi, YUNXI, year, Some(month)).await.expect("progress");
    let find = |p: &Person| rows.iter().find(|r| r.id_number == p.id_number).expect("a leader").clone();
    let key = format!("{year:04}-{month:02}");
    let ra = find(a);
    let self_a = ra.quotas.iter().find(|q| q.mode == StudyMode::SelfStudy).expect("self-study");
    assert_eq!((self_a.period.as_str(), self_a.required, self_a.done, self_a.met), (key.as_str(), 5, 3, false));
    let lec_a = ra.quotas.iter().find(|q| q.mode == StudyMode::SchoolLecture).expect("county leaders lecture");
    assert_eq!((lec_a.period.clone(), lec_a.required, lec_a.done, lec_a.met), (format!("{year:04}"), 2, 0, false));
    let rb = find(b);
    assert!(rb.quotas.iter().all(|q| q.met), "{:?}", rb.quotas);
    let rc = find(c);
    assert!(rc.quotas.iter().all(|q| q.mode != StudyMode::SchoolLecture), "township leaders give no lectures by rule");
    assert!(rows.iter().all(|r| !r.id_number.starts_with("430671")), "only the county's leaders");
    let json = serde_json::to_value(&ra).expect("json");
    assert_eq!(json["quotas"][0]["mode"], "self_study");
    assert!(json["id_number"].is_string() && json["name"].is_string() && json["quotas"][0]["met"].is_boolean());
    // A whole year: one monthly line per month so far.
    let whole = study_logs::quota_progress(&db.conn, &yunxi, YUNXI, year, None).await.expect("year");
    let lines = whole.iter().find(|r| r.id_number == a.id_number).expect("a").quotas.len();
    assert_eq!(lines, month as usize + 1);
    assert!(study_logs::quota_progress(&db.conn, &yunxi, YUNXI, year, Some(13)).await.is_err());
    assert!(study_logs::quota_progress(&db.conn, &yunxi, QUYUAN, year, None).await.is_err(), "another county");

    // The county raises self-study to 8 a month; the city's default stays for others.
    let yunxi_org = by_code(&db.conn, YUNXI).await;
    let set = |required: &str| RuleFields {
        mode: "self_study".into(),
        period: "month".into(),
        required: required.into(),
        subject: "leaders".into(),
    };
    for bad in ["-1", "1000", "abc"] {
        match write(&db.conn, &yunxi, async |tx| study_logs::set_rule(tx, yunxi_org.id, &set(bad)).await).await {
            Err(StoreError::Invalid(e)) => assert_eq!(e[0].field, "required", "{bad}: {e:?}"),
            other => panic!("{bad}: expected refusal, got {other:?}"),
        }
    }
    let quyuan_org = by_code(&db.conn, QUYUAN).await;
    assert!(
        write(&db.conn, &yunxi, async |tx| study_logs::set_rule(tx, quyuan_org.id, &set("8")).await).await.is_err(),
        "not another county's rules"
    );
    let rule = write(&db.conn, &yunxi, async |tx| study_logs::set_rule(tx, yunxi_org.id, &set("8")).await)
        .await
        .expect("rule");
    let rows = study_logs::quota_progress(&db.conn, &yunxi, YUNXI, year, Some(month)).await.expect("progress");
    let self_b = rows.iter().find(|r| r.id_number == b.id_number).expect("b").quotas[0].clone();
    assert_eq!((self_b.required, self_b.done, self_b.met), (8, 5, false));
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    let (_, in_force) = study_logs::rules(&db.conn, &quyuan).await.expect("rules");
    assert_eq!(in_force.iter().find(|r| r.mode == StudyMode::SelfStudy).map(|r| r.required), Some(5));
    let (rows_y, in_force_y) = study_logs::rules(&db.conn, &yunxi).await.expect("rules");
    assert_eq!(in_force_y.iter().find(|r| r.mode == StudyMode::SelfStudy).map(|r| r.required), Some(8));
    assert!(rows_y.iter().any(|r| r.is_default()) && rows_y.iter().any(|r| r.id == rule.id));
    assert!(
        write(&db.conn, &quyuan, async |tx| study_logs::remove_rule(tx, rule.id).await).await.is_err(),
        "another county cannot remove it"
    );
    write(&db.conn, &yunxi, async |tx| study_logs::remove_rule(tx, rule.id).await).await.expect("remove");
    let (_, in_force_y) = study_logs::rules(&db.conn, &yunxi).await.expect("rules");
    assert_eq!(in_force_y.iter().find(|r| r.mode == StudyMode::SelfStudy).map(|r| r.required), Some(5));

    // Reflections and log titles are found by full-text search, in scope only; a deleted
    // entry leaves the index.
    let r = add(
        &db.conn,
        &yunxi,
        a,
        LogFields {
            published_in: "岳阳日报".into(), ..entry(StudyMode::Reflection, "洞庭湖生态保护的学习体会")
        },
    )
    .await;
    let found = xuepei_store::search::search(&db.conn, &yunxi, "洞庭", None, 1, 20).await.expect("search");
    assert!(found.items.iter().any(|h| h.kind == "reflection" && h.id == r.id), "{:?}", found.items);
    let found = xuepei_store::search::search(&db.conn, &yunxi, "重要讲话", None, 1, 50).await.expect("search");
    assert!(found.items.iter().any(|h| h.kind == "study_log"), "{:?}", found.items);
    let quyuan_scope = county_scope(&db.conn, QUYUAN).await;
    let elsewhere = xuepei_store::search::search(&db.conn, &quyuan_scope, "洞庭", None, 1, 20).await.expect("search");
    assert!(elsewhere.items.iter().all(|h| h.id != r.id || h.kind != "reflection"), "not in another county");
    write(&db.conn, &yunxi, async |tx| study_logs::delete(tx, None, r.id).await).await.expect("delete");
    let found = xuepei_store::search::search(&db.conn, &yunxi, "洞庭", None, 1, 20).await.expect("search");
    assert!(found.items.iter().all(|h| !(h.kind == "reflection" && h.id == r.id)), "removed from the index");

    // The early warning follows the pace rule of the domain, for each leader.
    let (all, _) = study_logs::leaders(&db.conn, &yunxi, &LeaderFilter::default(), None, 500).await.expect("leaders");
    let (warned, _) =
        study_logs::leaders(&db.conn, &yunxi, &LeaderFilter { warned: true, ..Default::default() }, None, 500)
            .await
            .expect("warned");
    let pa = all.iter().find(|p| p.leader.id == a.id).expect("a");
    let month_w = QuotaPeriod::Month.window(today());
    let year_w = QuotaPeriod::Year.window(today());
    let expect_a = pace(5, 3, &month_w, today()).outlook.warns() || pace(2, 0, &year_w, today()).outlook.warns();
    assert_eq!(pa.warned(), expect_a);
    assert_eq!(warned.iter().any(|p| p.leader.id == a.id), expect_a);
    assert!(!warned.iter().any(|p| p.leader.id == b.id), "quotas met: never warned");
    assert!(warned.iter().all(|p| p.warned()));
    assert_eq!(warned.len(), all.iter().filter(|p| p.warned()).count());
    assert!(
        all.iter().all(|p| !p.leader.org_path.is_empty() && xuepei_domain::study::quotas::is_leader(p.leader.roles))
    );
    // Paging in tree order.
    let (first, next) = study_logs::leaders(&db.conn, &yunxi, &LeaderFilter::default(), None, 2).await.expect("page");
    let (second, _) =
        study_logs::leaders(&db.conn, &yunxi, &LeaderFilter::default(), next.as_deref(), 2).await.expect("page 2");
    assert_eq!(first.len(), 2);
    assert_eq!(second[0].leader.id, all[2].leader.id);
    db.cleanup().await;
}

#[tokio::test]
async fn study_logs_a_leader_logs_from_a_phone_and_reaches_only_their_own_log() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let county = leaders(&db.conn, YUNXI, RankLevel::County).await;
    let (me, colleague) = (&county[0], &county[1]);
    let theirs = add(&db.conn, &yunxi, colleague, entry(StudyMode::Grassroots, "深入社区宣讲")).await;
    let scope_org = by_code(&db.conn, YUNXI).await;
    let new = NewAccount {
        username: "leader".into(),
        display_name: me.name.clone(),
        person_id: Some(me.id),
        org_id: me.org_id,
        scope_org_id: scope_org.id,
        roles: AccountRoles::of(&[AccountRole::Cadre]),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    write(&db.conn, &Scope::system(), async |tx| accounts::create(tx, &new).await).await.expect("account");
    let app = TestApp::spawn(&db).await;
    assert_eq!(app.login("leader", PASSWORD).await, 303);
    let (status, page) = app.get("/me/study").await;
    assert_eq!(status, 200);
    let day = today().to_string();
    assert!(page.contains("我的学习") && page.contains("登记学习"), "{page}");
    assert!(page.contains(&format!("value=\"{day}\"")) && page.contains("type=\"date\""), "today preset: {page}");
    assert!(page.contains("平时自学") && page.contains("进学校讲课"), "{page}");
    assert!(!page.contains("深入社区宣讲"), "not the colleague's entries");
    let (_, home) = app.get("/me").await;
    assert!(home.contains("/me/study") || app.get("/").await.1.contains("/me/study"), "in the menu");
    // The home page shows the quotas with a shortcut to logging.
    let (_, home) = app.get("/").await;
    assert!(home.contains("id=\"home-study\"") && home.contains("平时自学") && home.contains("登记学习"), "{home}");
    // Three fields for a self-study.
    let (status, loc, _) = app
        .post_form("/me/study/logs", &[("mode", "self_study"), ("date", &day), ("title", "《习近平谈治国理政》第四卷")])
        .await;
    assert_eq!((status, loc.as_deref()), (303, Some("/me/study?done=created")));
    let (_, page) = app.get("/me/study?done=created").await;
    assert!(page.contains("《习近平谈治国理政》第四卷") && page.contains("学习记录已登记"), "{page}");
    // A lecture without a school, a future date: shown again with the reasons, nothing written.
    let tomorrow = (today() + chrono::Days::new(1)).to_string();
    let (status, _, body) =
        app.post_form("/me/study/logs", &[("mode", "school_lecture"), ("date", &tomorrow), ("title", "思政课")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("晚于今天") && body.contains("学校名称") && body.contains("思政课"), "{body}");
    assert_eq!(entries(&db.conn, me).await, 1);
    // Edit one's own entry; another's is not found, to read, change or delete.
    let (_, mine) =
        study_logs::for_person(&db.conn, &yunxi, None, &PersonRef::Id(me.id), today().year()).await.expect("mine");
    let id = mine[0].id;
    let (status, page) = app.get(&format!("/me/study/logs/{id}")).await;
    assert!(status == 200 && page.contains("修改学习记录"), "{page}");
    let (status, loc, _) = app
        .post_form(
            &format!("/me/study/logs/{id}"),
            &[("mode", "self_study"), ("date", &day), ("title", "《习近平谈治国理政》第四卷（二）")],
        )
        .await;
    assert_eq!((status, loc.as_deref()), (303, Some("/me/study?done=updated")));
    for path in [format!("/me/study/logs/{}", theirs.id)] {
        let (status, _) = app.get(&path).await;
        assert_eq!(status, 404);
    }
    let (status, _, _) = app
        .post_form(
            &format!("/me/study/logs/{}", theirs.id),
            &[("mode", "self_study"), ("date", &day), ("title", "篡改")],
        )
        .await;
    assert_eq!(status, 404);
    let (status, _, _) = app.post_form(&format!("/me/study/logs/{}/delete", theirs.id), &[]).await;
    assert_eq!(status, 404);
    let row = study_logs::get(&db.conn, &yunxi, None, theirs.id).await.expect("still there");
    assert_eq!(row.log.title, "深入社区宣讲");
    // The staff pages are not a leader's.
    for path in ["/study/leaders", "/study/logs", "/study/quotas", &format!("/study/logs/{}", theirs.id)] {
        let (status, _) = app.get(path).await;
        assert_eq!(status, 403, "{path}");
    }
    let (status, loc, _) = app.post_form(&format!("/me/study/logs/{id}/delete"), &[]).await;
    assert_eq!((status, loc.as_deref()), (303, Some("/me/study?done=deleted")));
    assert_eq!(entries(&db.conn, me).await, 0);
    db.cleanup().await;
}

#[tokio::test]
async fn study_logs_staff_pages_lists_exports_and_quota_rules() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let leader = leaders(&db.conn, YUNXI, RankLevel::County).await.remove(0);
    add(&db.conn, &yunxi, &leader, entry(StudyMode::LeadLearning, "在区委常委会上领学")).await;
    let staff = signed_in(&db, "xcb", &[AccountRole::PropagandaStaff], YUNXI).await;
    let (status, page) = staff.get("/study/leaders").await;
    assert_eq!(status, 200);
    assert!(page.contains("领导干部学习进度") && page.contains(&leader.name) && !page.contains("屈原"), "{page}");
    let (status, page) = staff.get("/study/warnings").await;
    assert!(status == 200 && page.contains("学习预警"), "{page}");
    let (status, page) = staff.get(&format!("/study/people/{}", leader.id)).await;
    assert!(status == 200 && page.contains("在区委常委会上领学"), "{page}");
    let (status, page) = staff.get("/study/logs?mode=lead_learning").await;
    assert!(status == 200 && page.contains("在区委常委会上领学"), "{page}");
    let (_, page) = staff.get("/study/logs?mode=grassroots").await;
    assert!(page.contains("暂无学习记录"));
    // Entry on a leader's behalf.
    let (status, page) = staff.get(&format!("/study/logs/new?person={}", leader.id)).await;
    assert!(status == 200 && page.contains(&leader.id_number), "{page}");
    let day = today().to_string();
    let (status, loc, body) = staff
        .post_form(
            "/study/logs",
            &[
                ("id_number", &leader.id_number),
                ("mode", "grassroots"),
                ("date", &day),
                ("title", "党的创新理论进社区"),
                ("place", "八字门社区"),
                ("audience", "社区党员群众"),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let loc = loc.expect("location");
    let (status, page) = staff.get(&loc).await;
    assert!(status == 200 && page.contains("八字门社区") && page.contains("社区党员群众"), "{page}");
    let (status, _, body) = staff
        .post_form(
            "/study/logs",
            &[
                ("id_number", &leader.id_number),
                ("mode", "grassroots"),
                ("date", &day),
                ("title", "党的创新理论进社区"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("已登记过"), "{body}");
    // Exports.
    for path in ["/study/logs/export?mode=grassroots", "/study/leaders/export", "/study/leaders/export?warned=1"] {
        let csrf = staff.csrf().await;
        let r = staff.raw.post(staff.url(path)).form(&[("_csrf", csrf.as_str())]).send().await.expect("export");
        assert_eq!(r.status().as_u16(), 200, "{path}");
        let text = crate::coverage::xlsx_text(&r.bytes().await.expect("bytes"));
        assert!(!text.contains("430671"), "{path}");
        if path.starts_with("/study/logs") {
            assert!(text.contains("党的创新理论进社区") && !text.contains("在区委常委会上领学"), "{text}");
        } else {
            assert!(text.contains("指标完成情况"), "{text}");
        }
    }
    // Quota rules: propaganda staff set one for the county; bad numbers are refused.
    let (status, page) = staff.get("/study/quotas").await;
    assert!(status == 200 && page.contains("默认规则") && page.contains("设置本级指标"), "{page}");
    let (status, _, body) = staff
        .post_form(
            "/study/quotas",
            &[("mode", "grassroots"), ("period", "year"), ("required", "-2"), ("subject", "leaders")],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("负数"), "{body}");
    let (status, loc, _) = staff
        .post_form(
            "/study/quotas",
            &[("mode", "grassroots"), ("period", "year"), ("required", "4"), ("subject", "leaders")],
        )
        .await;
    assert_eq!((status, loc.as_deref()), (303, Some("/study/quotas?done=set")));
    let (_, page) = staff.get("/study/quotas").await;
    assert!(page.contains("基层宣讲每年不少于4次"), "{page}");
    // Below what the default (above the county) asks, or of fewer people: refused.
    for (period, required, subject) in [
        ("month", "3", "leaders"),
        ("month", "0", "leaders"),
        ("year", "50", "leaders"),
        ("month", "5", "county_leaders"),
    ] {
        let form = [("mode", "self_study"), ("period", period), ("required", required), ("subject", subject)];
        let (status, _, body) = staff.post_form("/study/quotas", &form).await;
        assert_eq!(status, 422, "{period} {required} {subject}");
        assert!(body.contains("只能提高要求"), "{body}");
    }
    let (_, page) = staff.get(&format!("/study/people/{}", leader.id)).await;
    assert!(page.contains("基层宣讲"), "{page}");
    assert!(page.contains("各月平时自学") && page.contains("1月"), "the months of the year: {page}");
    // Org staff read, do not set rules or enter logs.
    let org = signed_in(&db, "zzb", &[AccountRole::OrgStaff], YUNXI).await;
    let (status, _) = org.get("/study/leaders").await;
    assert_eq!(status, 200);
    let (status, _, _) = org
        .post_form(
            "/study/quotas",
            &[("mode", "grassroots"), ("period", "year"), ("required", "9"), ("subject", "leaders")],
        )
        .await;
    assert_eq!(status, 403);
    let (status, _, _) = org
        .post_form(
            "/study/logs",
            &[("id_number", &leader.id_number), ("mode", "exchange"), ("date", &day), ("title", "x")],
        )
        .await;
    assert_eq!(status, 403);
    // The audit trail names what was done.
    let (_, audit) = signed_in(&db, "auditor", &[AccountRole::AuditAdmin], YUNXI).await.get("/admin/audit").await;
    assert!(audit.contains("设置学习指标") || audit.contains("登记学习记录"), "{audit}");
    // Its details read in Chinese: the fields by name, the codes by label.
    assert!(audit.contains("学习方式") && audit.contains("以会代训领学") && audit.contains("考核周期"), "{audit}");
    assert!(!audit.contains("其他（mode）") && !audit.contains("其他（title）"), "{audit}");
    db.cleanup().await;
}

/// What the route-by-route scope test needs of the other county (屈原管理区): an entry of
/// one of its leaders, a quota rule it set, and that leader (id and identity number).
pub struct OtherStudy {
    pub log: i64,
    pub rule: i64,
    pub leader: i64,
    pub id_number: String,
}

pub async fn seed_other(db: &DatabaseConnection) -> OtherStudy {
    let quyuan = county_scope(db, QUYUAN).await;
    let leader = leaders(db, QUYUAN, RankLevel::County).await.remove(0);
    let log = add(db, &quyuan, &leader, entry(StudyMode::Grassroots, "外县宣讲")).await;
    let org = by_code(db, QUYUAN).await;
    let f =
        RuleFields { mode: "exchange".into(), period: "year".into(), required: "3".into(), subject: "leaders".into() };
    let rule = write(db, &quyuan, async |tx| study_logs::set_rule(tx, org.id, &f).await).await.expect("rule");
    OtherStudy { log: log.id, rule: rule.id, leader: leader.id, id_number: leader.id_number }
}

/// For the path registry's test: an entry and a quota rule under 长岭街道 (430603001).
pub async fn seed_under_town(db: &DatabaseConnection) {
    let town = by_code(db, "430603001").await;
    let scope = Scope::of_org(db, town.id).await.expect("scope");
    let f = PersonFilter { role: Some(Role::LeadershipMember), ..Default::default() };
    let leader = people::list(db, &scope, &f, Default::default(), At::First, 1).await.expect("people").items.remove(0);
    add(db, &scope, &leader.person, entry(StudyMode::SelfStudy, "街道班子成员自学")).await;
    let f = RuleFields {
        mode: "self_study".into(),
        period: "month".into(),
        required: "6".into(),
        subject: "leaders".into(),
    };
    write(db, &scope, async |tx| study_logs::set_rule(tx, town.id, &f).await).await.expect("rule");
}

#[tokio::test]
async fn study_logs_demo_holds_a_year_of_yueyanglou_with_one_leader_behind() {
    let db = xuepei_testkit::TestDb::from_template("yueyanglou_7", async |conn| {
        xuepei::demo::seed(conn, 7, Some(&[xuepei::demo_study_logs::COUNTY])).await.expect("seed");
    })
    .await;
    xuepei::demo_materials::seed_materials(&db.conn).await.expect("materials");
    let s = xuepei::demo_study_logs::seed_study_logs(&db.conn).await.expect("study logs");
    assert!(s.leaders > 9 && s.entries > 500, "{s}");
    assert!(!s.behind.is_empty());
    let county = county_scope(&db.conn, xuepei::demo_study_logs::COUNTY).await;
    let (year, month) = (today().year(), today().month());
    let rows = study_logs::quota_progress(&db.conn, &county, xuepei::demo_study_logs::COUNTY, year, None)
        .await
        .expect("progress");
    let behind = rows.iter().find(|r| r.name == s.behind).expect("the leader behind");
    let monthly: Vec<_> = behind.quotas.iter().filter(|q| q.mode == StudyMode::SelfStudy).collect();
    assert_eq!(monthly.len(), month as usize);
    assert!(monthly.iter().all(|q| !q.met && q.done <= 2), "{monthly:?}");
    assert!(behind.quotas.iter().any(|q| q.mode == StudyMode::SchoolLecture && q.done == 0));
    // Others met their past months.
    let others_met = rows
        .iter()
        .filter(|r| r.name != s.behind)
        .filter(|r| r.quotas.iter().any(|q| q.mode == StudyMode::SchoolLecture))
        .all(|r| {
            r.quotas
                .iter()
                .filter(|q| q.mode == StudyMode::SelfStudy && q.period != format!("{year:04}-{month:02}"))
                .all(|q| q.met)
        });
    assert!(others_met);
    let f = study_logs::LogFilter { mode: Some(StudyMode::Reflection), ..Default::default() };
    let reflections = study_logs::list(&db.conn, &county, &f, At::First, 500).await.expect("reflections").items;
    assert!(!reflections.is_empty() && reflections.iter().any(|r| r.log.published_in.is_some()));
    // Some self-study entries name a speech of the library, issued on or before the day.
    let f = study_logs::LogFilter { mode: Some(StudyMode::SelfStudy), ..Default::default() };
    let reads = study_logs::list(&db.conn, &county, &f, At::First, 500).await.expect("self-study").items;
    let named: Vec<_> = reads.iter().filter(|r| r.log.material_id.is_some()).collect();
    assert!(!named.is_empty() && named.len() < reads.len(), "{} of {}", named.len(), reads.len());
    assert!(named.iter().all(|r| r.material.as_deref() == Some(r.log.title.as_str())));
    db.cleanup().await;
}

#[tokio::test]
async fn study_logs_an_entry_names_a_library_material_of_its_scope_or_above() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let own = crate::materials::seed_material(&db.conn, YUNXI, "习近平总书记在湖南考察时的重要讲话", "").await;
    let above = crate::materials::seed_material(&db.conn, "430600", "习近平总书记关于党的建设的重要思想", "").await;
    let other = crate::materials::seed_material(&db.conn, QUYUAN, "屈原区的学习材料", "").await;
    let leader = leaders(&db.conn, YUNXI, RankLevel::County).await.remove(0);
    let day = today().to_string();

    // The staff form offers the county's and the city's speeches, not another county's.
    let staff = signed_in(&db, "xcb", &[AccountRole::PropagandaStaff], YUNXI).await;
    let (status, page) = staff.get(&format!("/study/logs/new?person={}", leader.id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("name=\"material\"") && page.contains(&format!("value=\"{own}\"")), "{page}");
    assert!(page.contains(&format!("value=\"{above}\"")) && !page.contains("屈原区的学习材料"), "{page}");
    // Chosen with no title: the material's title is the entry's.
    let (status, loc, body) = staff
        .post_form(
            "/study/logs",
            &[
                ("id_number", &leader.id_number),
                ("mode", "self_study"),
                ("date", &day),
                ("title", ""),
                ("material", &own.to_string()),
            ],
        )
        .await;
    assert_eq!(status, 303, "{body}");
    let id: i64 = loc.as_deref().and_then(|l| l.split('/').nth(3)?.split('?').next()?.parse().ok()).expect("id");
    let row = study_logs::get(&db.conn, &yunxi, None, id).await.expect("entry");
    assert_eq!(row.log.material_id, Some(own));
    assert_eq!(
        (row.log.title.as_str(), row.material.as_deref()),
        ("习近平总书记在湖南考察时的重要讲话", Some("习近平总书记在湖南考察时的重要讲话"))
    );
    let (_, page) = staff.get(&format!("/study/logs/{id}")).await;
    assert!(page.contains(&format!("href=\"/materials/{own}\"")), "{page}");
    // Another county's material, or a made-up id: refused with the reason, nothing written.
    let before = entries(&db.conn, &leader).await;
    for bad in [other.to_string(), "999999999".into(), "第一篇".into()] {
        let (status, _, body) = staff
            .post_form(
                "/study/logs",
                &[
                    ("id_number", &leader.id_number),
                    ("mode", "self_study"),
                    ("date", &day),
                    ("title", "自学"),
                    ("material", &bad),
                ],
            )
            .await;
        assert_eq!(status, 422, "{bad}");
        assert!(body.contains("资料库"), "{bad}: {body}");
    }
    assert_eq!(entries(&db.conn, &leader).await, before);

    // Through the API: `material` names it, the title may be left out; GET returns it.
    let t = token(&db.conn, YUNXI, true).await;
    let app = TestApp::spawn(&db).await;
    let body = json!({ "id_number": leader.id_number, "mode": "self_study", "date": day, "material": above });
    let (status, v) = call(&app, "POST", "/api/v1/study-logs", &t, Some(body.to_string())).await;
    assert_eq!(status, 201, "{v}");
    let (status, v) = call(&app, "GET", &format!("/api/v1/study-logs?id_number={}", leader.id_number), &t, None).await;
    assert_eq!(status, 200, "{v}");
    let items = v["items"].as_array().expect("items");
    assert!(
        items
            .iter()
            .any(|i| i["material"].as_i64() == Some(above) && i["title"] == "习近平总书记关于党的建设的重要思想"),
        "{v}"
    );
    let body =
        json!({ "id_number": leader.id_number, "mode": "self_study", "date": day, "material": other, "title": "越权" });
    let (status, v) = call(&app, "POST", "/api/v1/study-logs", &t, Some(body.to_string())).await;
    assert_eq!(status, 422, "{v}");
    assert!(v.to_string().contains("material"), "{v}");
    let (status, _) = call(
        &app,
        "POST",
        "/api/v1/study-logs",
        &t,
        Some(
            json!({ "id_number": leader.id_number, "mode": "self_study", "date": day, "material": "第一篇" })
                .to_string(),
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(entries(&db.conn, &leader).await, before + 1);
    db.cleanup().await;
}

/// The oversight view's quota figures (counted by the database from the tallies, region
/// by region of uniform rules) agree with each leader's own quota lines read from the
/// entries, for the year and for the month, with a town that set its own rule.
#[tokio::test]
async fn oversight_quota_figures_agree_with_every_leaders_own_lines() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let county = leaders(&db.conn, YUNXI, RankLevel::County).await;
    let township = leaders(&db.conn, YUNXI, RankLevel::Township).await;
    for k in 0..5 {
        add(&db.conn, &yunxi, &county[0], entry(StudyMode::SelfStudy, &format!("重要讲话第{k}篇"))).await;
    }
    for k in 0..2 {
        let f = LogFields {
            school: "岳阳市第一中学".into(), ..entry(StudyMode::SchoolLecture, &format!("思政课{k}"))
        };
        add(&db.conn, &yunxi, &county[0], f).await;
        add(&db.conn, &yunxi, &county[1], entry(StudyMode::SelfStudy, &format!("重要讲话第{k}篇"))).await;
    }
    for k in 0..6 {
        add(&db.conn, &yunxi, &township[0], entry(StudyMode::SelfStudy, &format!("重要讲话第{k}篇"))).await;
    }
    // The first township leader's town asks six a month of its own leaders.
    let rule = RuleFields {
        mode: "self_study".into(),
        period: "month".into(),
        required: "6".into(),
        subject: "leaders".into(),
    };
    write(&db.conn, &yunxi, async |tx| study_logs::set_rule(tx, township[0].org_id, &rule).await).await.expect("rule");
    quota_figures_match_own_lines(&db.conn, &yunxi, YUNXI).await;
    let (year, month) = (today().year(), today().month());
    let own = study_logs::quota_progress(&db.conn, &yunxi, YUNXI, year, Some(month)).await.expect("progress");
    let town_leader = own.iter().find(|r| r.person_id == township[0].id).expect("the town's leader");
    let line = town_leader.quotas.iter().find(|q| q.period == format!("{year:04}-{month:02}")).expect("this month");
    assert_eq!((line.required, line.done, line.met), (6, 6, true));
    db.cleanup().await;
}

/// The oversight view's quota figures for the year and this month equal the sums of each
/// leader's own quota lines (read from the entries).
async fn quota_figures_match_own_lines(db: &DatabaseConnection, scope: &Scope, code: &str) {
    let (year, month) = (today().year(), today().month());
    for m in [None, Some(month)] {
        let o = xuepei_store::study_oversight::overview(db, scope, code, year, m).await.expect("overview");
        let own = study_logs::quota_progress(db, scope, code, year, m).await.expect("progress");
        let bound: Vec<_> = own.iter().filter(|r| !r.quotas.is_empty()).collect();
        let lines: usize = bound.iter().map(|r| r.quotas.len()).sum();
        let met: usize = bound.iter().map(|r| r.quotas.iter().filter(|q| q.met).count()).sum();
        let behind = bound.iter().filter(|r| r.quotas.iter().any(|q| !q.met)).count();
        let f = o.total.figures;
        assert_eq!(
            (f.leaders as usize, f.lines as usize, f.lines_met as usize, f.behind as usize),
            (bound.len(), lines, met, behind),
            "{code} {m:?}"
        );
    }
}

/// The quota figures kept per organisation follow every change of a leader's share — an
/// entry removed or moved to another month, a rank changed, a leader transferred, a rule
/// set and removed — and equal a recount of the whole tree afterwards.
#[tokio::test]
async fn kept_quota_figures_follow_every_change_and_agree_with_a_recount() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    let county = leaders(&db.conn, YUNXI, RankLevel::County).await;
    let township = leaders(&db.conn, YUNXI, RankLevel::Township).await;
    let mut logs = Vec::new();
    for k in 0..5 {
        logs.push(add(&db.conn, &yunxi, &county[0], entry(StudyMode::SelfStudy, &format!("重要讲话第{k}篇"))).await);
        add(&db.conn, &yunxi, &township[0], entry(StudyMode::SelfStudy, &format!("重要讲话第{k}篇"))).await;
    }
    quota_figures_match_own_lines(&db.conn, &yunxi, YUNXI).await;
    let met_before =
        xuepei_store::study_oversight::overview(&db.conn, &yunxi, YUNXI, today().year(), Some(today().month()))
            .await
            .expect("view")
            .total
            .figures
            .lines_met;
    // One entry removed: the county leader no longer meets this month's five.
    write(&db.conn, &yunxi, async |tx| study_logs::delete(tx, None, logs[0].id).await).await.expect("deleted");
    quota_figures_match_own_lines(&db.conn, &yunxi, YUNXI).await;
    let met_after =
        xuepei_store::study_oversight::overview(&db.conn, &yunxi, YUNXI, today().year(), Some(today().month()))
            .await
            .expect("view")
            .total
            .figures
            .lines_met;
    assert!(met_after < met_before, "a line no longer met: {met_before} → {met_after}");
    // Another moved to the first of January (another month of the year).
    let jan = chrono::NaiveDate::from_ymd_opt(today().year(), 1, 1).expect("day");
    let moved = LogFields { date: jan.to_string(), ..entry(StudyMode::SelfStudy, "重要讲话第1篇") };
    write(&db.conn, &yunxi, async |tx| study_logs::update(tx, None, logs[1].id, &moved).await).await.expect("moved");
    quota_figures_match_own_lines(&db.conn, &yunxi, YUNXI).await;
    // A rank changed and a leader transferred to another county.
    let demoted = people::PersonInput { rank_level: Some(RankLevel::Township), ..input_of(&county[1]) };
    let transferred = people::PersonInput { org_id: by_code(&db.conn, QUYUAN).await.id, ..input_of(&township[0]) };
    write(&db.conn, &Scope::system(), async |tx| {
        people::update(tx, county[1].id, &demoted).await?;
        people::update(tx, township[0].id, &transferred).await
    })
    .await
    .expect("people changed");
    quota_figures_match_own_lines(&db.conn, &yunxi, YUNXI).await;
    quota_figures_match_own_lines(&db.conn, &quyuan, QUYUAN).await;
    // A county rule set, then removed.
    let rule = RuleFields {
        mode: "self_study".into(),
        period: "month".into(),
        required: "8".into(),
        subject: "leaders".into(),
    };
    let set = write(&db.conn, &yunxi, async |tx| study_logs::set_rule(tx, county[0].org_id, &rule).await)
        .await
        .expect("rule");
    quota_figures_match_own_lines(&db.conn, &yunxi, YUNXI).await;
    write(&db.conn, &yunxi, async |tx| study_logs::remove_rule(tx, set.id).await).await.expect("removed");
    quota_figures_match_own_lines(&db.conn, &yunxi, YUNXI).await;
    let kept = |scope: Scope, code: &'static str| {
        let db = &db.conn;
        async move {
            let mut out = Vec::new();
            for m in [None, Some(today().month()), Some(1)] {
                let o =
                    xuepei_store::study_oversight::overview(db, &scope, code, today().year(), m).await.expect("view");
                out.push(o.rows.iter().map(|r| (r.org.code.clone(), r.figures)).collect::<Vec<_>>());
            }
            out
        }
    };
    let (a, b) = (kept(yunxi.clone(), YUNXI).await, kept(quyuan.clone(), QUYUAN).await);
    let n = xuepei_store::diag::recount_study_quota(&db.conn).await.expect("recount");
    assert!(n > 0);
    assert_eq!((kept(yunxi.clone(), YUNXI).await, kept(quyuan.clone(), QUYUAN).await), (a, b), "kept = recounted");
    db.cleanup().await;
}

/// A leader moved to another county takes their log along: the new county's staff read it,
/// the old county's no longer reach it, and their counts go with them.
#[tokio::test]
async fn a_transferred_leaders_log_follows_them_to_the_new_county() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    let leader = leaders(&db.conn, YUNXI, RankLevel::County).await.remove(0);
    let log = add(&db.conn, &yunxi, &leader, entry(StudyMode::SelfStudy, "调任前的自学：鲲鹏展翅")).await;
    let refl = add(&db.conn, &yunxi, &leader, entry(StudyMode::Reflection, "调任前的心得：鲲鹏之志")).await;
    // The city moves the leader to 屈原管理区.
    let input = people::PersonInput { org_id: by_code(&db.conn, QUYUAN).await.id, ..input_of(&leader) };
    write(&db.conn, &Scope::system(), async |tx| people::update(tx, leader.id, &input).await).await.expect("moved");
    for id in [log.id, refl.id] {
        assert!(
            matches!(study_logs::get(&db.conn, &yunxi, None, id).await, Err(StoreError::NotFound(_))),
            "old county"
        );
        let e =
            write(&db.conn, &yunxi, async |tx| study_logs::delete(tx, None, id).await).await.expect_err("not theirs");
        assert!(matches!(e, StoreError::NotFound(_)));
        assert_eq!(study_logs::get(&db.conn, &quyuan, None, id).await.expect("new county").leader.id, leader.id);
    }
    let found = xuepei_store::search::search(&db.conn, &quyuan, "鲲鹏", None, 1, 20).await.expect("search");
    assert_eq!(found.items.len(), 2, "both entries are found in the new county");
    assert!(found.items.iter().all(|h| h.title.starts_with(&format!("{}：", leader.name))), "whose entry it is");
    let old = xuepei_store::search::search(&db.conn, &yunxi, "鲲鹏", None, 1, 20).await.expect("search");
    assert!(old.items.is_empty(), "and no longer in the old one");
    let o =
        xuepei_store::study_oversight::overview(&db.conn, &quyuan, QUYUAN, today().year(), None).await.expect("view");
    assert!(o.total.figures.leaders >= 1);
    let p = study_logs::progress(&db.conn, &quyuan, None, leader.id).await.expect("progress");
    assert_eq!(p.counts.year_of(StudyMode::SelfStudy), 1);
    db.cleanup().await;
}

/// A cadre who is no leader is told why there is nothing to log, without the form, the
/// quota lines or an exhortation to log.
#[tokio::test]
async fn a_cadre_who_is_no_leader_is_told_why_there_is_nothing_to_log() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let all = people::list(&db.conn, &yunxi, &PersonFilter::default(), Default::default(), At::First, 200)
        .await
        .expect("people");
    let p = all
        .items
        .into_iter()
        .map(|r| r.person)
        .find(|p| !study_logs::is_leader(p.roles))
        .expect("a member who is no leader");
    let new = NewAccount {
        username: "member".into(),
        display_name: p.name.clone(),
        person_id: Some(p.id),
        org_id: p.org_id,
        scope_org_id: p.org_id,
        roles: AccountRoles::of(&[AccountRole::Cadre]),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    write(&db.conn, &Scope::system(), async |tx| accounts::create(tx, &new).await).await.expect("account");
    let app = TestApp::spawn(&db).await;
    assert_eq!(app.login("member", PASSWORD).await, 303);
    let (status, page) = app.get("/me/study").await;
    assert_eq!(status, 200);
    assert!(page.contains("无需在此登记") && !page.contains("仍请及时登记"), "{page}");
    assert!(!page.contains("id=\"log-form\"") && !page.contains("学习记录</h2>"), "{page}");
    let (status, _, _) = app
        .post_form("/me/study/logs", &[("mode", "self_study"), ("date", &today().to_string()), ("title", "x")])
        .await;
    assert_eq!(status, 422, "refused by the store too");
    db.cleanup().await;
}
