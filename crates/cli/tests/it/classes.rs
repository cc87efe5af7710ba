//! Classes (班次): created by an organiser for a campaign, refused whole with Chinese
//! reasons, managed by the organiser's scope, seen by sending organisations, hidden from
//! others; the timetable with its own rules; the instructor pool and the venue list.

use chrono::NaiveDate;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::Sector;
use xuepei_domain::people::Role;
use xuepei_domain::training::rules::TargetFilter;
use xuepei_domain::training::{Hours, TeachingMode};
use xuepei_store::campaigns::{self, Campaign};
use xuepei_store::classes::sessions::{self, SessionInput};
use xuepei_store::classes::{self, ClassAccess, ClassFilter, ClassInput};
use xuepei_store::page::At;
use xuepei_store::{Scope, StoreError};

use crate::support::*;

/// The city (岳阳市).
pub const CITY: &str = "430600";

pub fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// A city campaign (2026-03-01 to 2026-06-30) over 云溪区 and 屈原管理区.
pub async fn city_campaign(db: &xuepei_store::DatabaseConnection) -> Campaign {
    let input = crate::campaigns::input("全市村（社区）党组织书记轮训", CITY, &[YUNXI, QUYUAN]);
    write(db, &Scope::system(), async |tx| campaigns::create(tx, &input).await).await.expect("campaign")
}

/// A four-day class of village secretaries organised by `organiser`.
pub fn class_input(campaign: Option<i64>, title: &str, organiser: &str) -> ClassInput {
    ClassInput {
        campaign_id: campaign,
        title: title.into(),
        organiser: organiser.into(),
        level: "city".into(),
        institution: "中共岳阳市委党校".into(),
        institution_kind: "party_school".into(),
        start: day(2026, 4, 13),
        end: day(2026, 4, 16),
        capacity: Some(60),
        target_group: TargetFilter {
            sectors: vec![Sector::Village],
            roles: vec![Role::Secretary],
            ..TargetFilter::default()
        },
        allocations: vec![(YUNXI.into(), 30), (QUYUAN.into(), 20)],
        ..ClassInput::default()
    }
}

pub fn session_input(date: (i32, u32, u32), slot: &str, topic: &str, mode: &str, hours: &str) -> SessionInput {
    SessionInput {
        date: day(date.0, date.1, date.2),
        slot: slot.into(),
        topic: topic.into(),
        mode: mode.into(),
        hours: hours.into(),
        ..SessionInput::default()
    }
}

fn fields(e: StoreError) -> Vec<(String, String)> {
    match e {
        StoreError::Invalid(v) => v.into_iter().map(|f| (f.field.to_owned(), f.message)).collect(),
        other => panic!("expected a validation error, got {other:?}"),
    }
}

fn has(errs: &[(String, String)], field: &str, text: &str) -> bool {
    errs.iter().any(|(f, m)| f == field && m.contains(text))
}

#[tokio::test]
async fn classes_are_managed_by_the_organiser_seen_by_senders_and_hidden_from_others() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let city = county_scope(&db.conn, CITY).await;
    let only_yunxi = ClassInput {
        allocations: vec![(YUNXI.into(), 30)],
        ..class_input(Some(c.id), "市级示范班第一期", CITY)
    };
    let class = write(&db.conn, &city, async |tx| classes::create(tx, &only_yunxi).await).await.expect("class");
    assert_eq!((class.organiser.code.as_str(), class.level.code(), class.capacity), (CITY, "city", 60));
    assert_eq!(class.max_leave.to_string(), "1/7", "the campaign's leave rule");
    assert_eq!(class.days(), 4);
    assert_eq!(class.campaign_title.as_deref(), Some("全市村（社区）党组织书记轮训"));
    assert_eq!(classes::get(&db.conn, &city, class.id).await.expect("get").access(&city), ClassAccess::Manage);
    // 云溪区 sends trainees: it sees the class and its own allocation only.
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let seen = classes::get(&db.conn, &yunxi, class.id).await.expect("the sending county sees it");
    assert_eq!(seen.access(&yunxi), ClassAccess::Send);
    assert_eq!(seen.allocations.iter().map(|a| a.org.code.as_str()).collect::<Vec<_>>(), vec![YUNXI]);
    // 屈原管理区 has no allocation: no trace of the class.
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    assert!(matches!(classes::get(&db.conn, &quyuan, class.id).await, Err(StoreError::NotFound(_))));
    let list = classes::list(&db.conn, &quyuan, &ClassFilter::default(), At::First, 50).await.expect("list");
    assert!(list.items.is_empty(), "another county lists nothing");
    assert!(classes::list_for_campaign(&db.conn, &quyuan, c.id).await.expect("list").is_empty());
    let list =
        classes::list(&db.conn, &yunxi, &ClassFilter { campaign_id: Some(c.id), ..Default::default() }, At::First, 50)
            .await
            .expect("list");
    assert_eq!(list.items.len(), 1);
    // Only the organiser changes it; a sender is refused, another county finds nothing.
    let mut changed = classes::input_of(&class);
    changed.capacity = Some(80);
    match write(&db.conn, &yunxi, async |tx| classes::update(tx, class.id, &changed).await).await {
        Err(StoreError::Forbidden(m)) => assert!(m.contains("只有主办单位"), "{m}"),
        other => panic!("expected refusal, got {other:?}"),
    }
    assert!(matches!(
        write(&db.conn, &quyuan, async |tx| classes::update(tx, class.id, &changed).await).await,
        Err(StoreError::NotFound(_))
    ));
    let after = write(&db.conn, &city, async |tx| classes::update(tx, class.id, &changed).await).await.expect("update");
    assert_eq!(after.capacity, 80);
    // The delivering institution keeps the timetable but does not manage the class.
    let mut delivered = class_input(Some(c.id), "云溪区村党组织书记轮训班", YUNXI);
    delivered.level = "county".into();
    delivered.allocations = vec![];
    delivered.institution_org = JINGZHU.into();
    let own = write(&db.conn, &yunxi, async |tx| classes::create(tx, &delivered).await).await.expect("county class");
    let village = county_scope(&db.conn, JINGZHU).await;
    let got = classes::get(&db.conn, &village, own.id).await.expect("the institution sees it");
    assert_eq!(got.access(&village), ClassAccess::Deliver);
    let s = write(&db.conn, &village, async |tx| {
        sessions::add(tx, own.id, &session_input((2026, 4, 13), "am", "党的十八届四中全会精神", "lecture", "3")).await
    })
    .await
    .expect("the institution adds a session");
    assert_eq!(s.checkin_secret.len(), 32);
    assert!(matches!(
        write(&db.conn, &village, async |tx| classes::update(tx, own.id, &delivered).await).await,
        Err(StoreError::Forbidden(_))
    ));
    // Deleting: only while nobody is enrolled; the audit trail records it.
    write(&db.conn, &yunxi, async |tx| classes::delete(tx, own.id).await).await.expect("delete");
    assert!(matches!(classes::get(&db.conn, &yunxi, own.id).await, Err(StoreError::NotFound(_))));
    let report = xuepei_store::audit::verify(&db.conn).await.expect("verify");
    assert!(report.first_bad.is_none(), "the trail verifies");
    db.cleanup().await;
}

#[tokio::test]
async fn classes_refuse_bad_input_whole_in_chinese() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let city = county_scope(&db.conn, CITY).await;
    let try_create = async |input: ClassInput| {
        fields(write(&db.conn, &city, async |tx| classes::create(tx, &input).await).await.expect_err("refused"))
    };
    // Reversed dates.
    let e = try_create(ClassInput { end: day(2026, 4, 10), ..class_input(Some(c.id), "倒置", CITY) }).await;
    assert!(has(&e, "end", "早于开班日期"), "{e:?}");
    // A batch of village secretaries of six days: the rule says 3 to 5.
    let e = try_create(ClassInput { end: day(2026, 4, 18), ..class_input(Some(c.id), "过长", CITY) }).await;
    assert!(has(&e, "end", "村、社区党组织书记每期应为3至5天，现为6天"), "{e:?}");
    // Other secretaries: about three days (2 to 4).
    let firms = TargetFilter { sectors: vec![Sector::NonPublic], roles: vec![Role::Secretary], ..Default::default() };
    let e =
        try_create(ClassInput {
            end: day(2026, 4, 17), target_group: firms, ..class_input(Some(c.id), "非公", CITY)
        })
        .await;
    assert!(has(&e, "end", "其他领域基层党组织书记每期应为2至4天，现为5天"), "{e:?}");
    // Outside the campaign's period.
    let e = try_create(ClassInput {
        start: day(2026, 7, 1),
        end: day(2026, 7, 3),
        ..class_input(Some(c.id), "越期", CITY)
    })
    .await;
    assert!(has(&e, "start", "超出轮训工作"), "{e:?}");
    // Allocation overflow, duplicates, negative places, an organisation outside the area.
    let e = try_create(ClassInput {
        capacity: Some(40),
        allocations: vec![(YUNXI.into(), 30), (QUYUAN.into(), 20), (YUNXI.into(), 1), ("430602".into(), 1)],
        ..class_input(Some(c.id), "超额", CITY)
    })
    .await;
    assert!(has(&e, "allocations", "合计51人，超过班次容量40人"), "{e:?}");
    assert!(has(&e, "allocations", "重复") && has(&e, "allocations", "“430602”不是主办单位的下级组织"), "{e:?}");
    let e = try_create(ClassInput { capacity: Some(0), ..class_input(Some(c.id), "零", CITY) }).await;
    assert!(has(&e, "capacity", "1至10000"), "{e:?}");
    // Several mistakes at once are all named.
    let e = try_create(ClassInput {
        title: " ".into(),
        level: "national".into(),
        end: day(2026, 4, 1),
        ..class_input(Some(c.id), "", CITY)
    })
    .await;
    assert!(
        has(&e, "title", "班次名称不能为空") && has(&e, "level", "班次层级“national”无效") && has(&e, "end", "早于")
    );
    // An organiser outside the writer's scope, or outside the campaign's target area.
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let e = fields(
        write(&db.conn, &yunxi, async |tx| classes::create(tx, &class_input(Some(c.id), "越权", QUYUAN)).await)
            .await
            .expect_err("refused"),
    );
    assert!(has(&e, "organiser", "不在您的管理范围内"), "{e:?}");
    let only_quyuan = crate::campaigns::input("屈原专项", CITY, &[QUYUAN]);
    let q = write(&db.conn, &Scope::system(), async |tx| campaigns::create(tx, &only_quyuan).await).await.expect("c");
    let e = fields(
        write(&db.conn, &yunxi, async |tx| {
            classes::create(tx, &ClassInput { allocations: vec![], ..class_input(Some(q.id), "不在目标内", YUNXI) })
                .await
        })
        .await
        .expect_err("refused"),
    );
    // 云溪区 cannot see a campaign that targets only 屈原.
    assert!(has(&e, "campaign_id", "不存在或不在您的管理范围内"), "{e:?}");
    let list = classes::list(&db.conn, &Scope::system(), &ClassFilter::default(), At::First, 50).await.expect("list");
    assert!(list.items.is_empty(), "nothing written");
    db.cleanup().await;
}

#[tokio::test]
async fn classes_timetable_refuses_sessions_outside_overlapping_or_in_modes_not_allowed() {
    let db = seeded().await;
    let mut ci = crate::campaigns::input("只讲授和讨论的轮训", CITY, &[YUNXI, QUYUAN]);
    ci.rules.modes = vec![TeachingMode::Lecture, TeachingMode::Discussion, TeachingMode::Case];
    let c = write(&db.conn, &Scope::system(), async |tx| campaigns::create(tx, &ci).await).await.expect("campaign");
    let city = county_scope(&db.conn, CITY).await;
    let class = write(&db.conn, &city, async |tx| classes::create(tx, &class_input(Some(c.id), "课程表", CITY)).await)
        .await
        .expect("class");
    let add =
        async |input: SessionInput| write(&db.conn, &city, async |tx| sessions::add(tx, class.id, &input).await).await;
    let am = add(session_input((2026, 4, 13), "am", "习近平总书记系列重要讲话精神", "lecture", "3")).await.expect("am");
    assert_eq!((am.starts(), am.ends()), ("08:30".to_owned(), "11:30".to_owned()), "the slot's default times");
    let mut pm = session_input((2026, 4, 13), "下午", "基层党建典型案例", "案例分析", "2.5");
    pm.starts = "14:00".into();
    pm.ends = "16:30".into();
    let pm = add(pm).await.expect("pm");
    assert_eq!((pm.starts_min, pm.mode), (14 * 60, TeachingMode::Case));
    // Outside the class's dates.
    let e = fields(add(session_input((2026, 4, 20), "am", "越期", "lecture", "3")).await.expect_err("outside"));
    assert!(has(&e, "date", "不在本班次的起止日期"), "{e:?}");
    // Overlapping another session of the same day.
    let mut late = session_input((2026, 4, 13), "pm", "重叠", "discussion", "1");
    late.starts = "16:00".into();
    late.ends = "17:00".into();
    let e = fields(add(late).await.expect_err("overlap"));
    assert!(has(&e, "starts", "与同日已有课程“基层党建典型案例”（14:00–16:30）时间重叠"), "{e:?}");
    // A mode the campaign does not use; too many hours for a half day; several at once.
    let e = fields(add(session_input((2026, 4, 14), "am", "参观", "site_visit", "5")).await.expect_err("mode"));
    assert!(has(&e, "mode", "不采用“现场观摩”教学方式"), "{e:?}");
    assert!(has(&e, "hours", "半天课程最多4学时"), "{e:?}");
    let e = fields(add(session_input((2026, 4, 14), "night", "", "x", "-1")).await.expect_err("all"));
    assert!(has(&e, "slot", "时段“night”无效") && has(&e, "topic", "不能为空") && has(&e, "mode", "教学方式“x”无效"));
    // Total hours are the sum of the sessions (the 1/7 rule's base).
    assert_eq!(classes::class_hours(&db.conn, class.id).await.expect("hours"), Hours::from_hundredths(550));
    // Moving a session keeps its check-in secret; the timetable is in time order.
    let mut moved = session_input((2026, 4, 14), "evening", "讨论", "discussion", "2");
    moved.materials = "《中国共产党章程》".into();
    let m = write(&db.conn, &city, async |tx| sessions::update(tx, pm.id, &moved).await).await.expect("update");
    assert_eq!((m.checkin_secret.as_str(), m.ends()), (pm.checkin_secret.as_str(), "21:30".to_owned()));
    let list = sessions::list(&db.conn, &city, class.id).await.expect("timetable");
    assert_eq!(list.iter().map(|s| s.id).collect::<Vec<_>>(), vec![am.id, pm.id]);
    // Narrowing the class's dates past a session is refused.
    let mut shorter = classes::input_of(&class);
    shorter.end = day(2026, 4, 13);
    shorter.target_group = TargetFilter::default();
    shorter.start = day(2026, 4, 12);
    let e =
        fields(write(&db.conn, &city, async |tx| classes::update(tx, class.id, &shorter).await).await.expect_err("x"));
    assert!(has(&e, "start", "已有1节课程安排在新的起止日期"), "{e:?}");
    // Another county reads no session of it.
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    let alone = ClassInput { allocations: vec![(YUNXI.into(), 10)], ..class_input(Some(c.id), "仅云溪", CITY) };
    let other = write(&db.conn, &city, async |tx| classes::create(tx, &alone).await).await.expect("class");
    assert!(matches!(sessions::list(&db.conn, &quyuan, other.id).await, Err(StoreError::NotFound(_))));
    write(&db.conn, &city, async |tx| sessions::delete(tx, am.id).await).await.expect("delete");
    assert_eq!(classes::class_hours(&db.conn, class.id).await.expect("hours"), Hours::whole(2));
    db.cleanup().await;
}

/// A read-write token over the organisation `code`.
async fn token(db: &xuepei_store::DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        xuepei_store::tokens::issue(tx, "班次对接", o.id, true, None, xuepei_store::tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

async fn call(
    app: &xuepei_testkit::TestApp,
    method: &str,
    path: &str,
    token: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
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
    (status, r.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn classes_api_round_trip_and_refusals() {
    use serde_json::json;
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let app = xuepei_testkit::TestApp::spawn(&db).await;
    let city = token(&db.conn, CITY).await;
    let body = json!({
        "campaign_id": c.id, "title": "全市村党组织书记示范班", "organiser": CITY, "level": "city",
        "start": "2026-04-13", "end": "2026-04-16", "capacity": 60,
        "institution": "中共岳阳市委党校", "institution_kind": "party_school",
        "allocations": [{ "org": YUNXI, "places": 30 }],
        "target_group": { "sectors": ["village"], "roles": ["secretary"] }
    });
    let (s, v) = call(&app, "POST", "/api/v1/classes", &city, Some(body.clone())).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().expect("id");
    assert_eq!(
        (v["organiser"].as_str(), v["level"].as_str(), v["capacity"].as_i64()),
        (Some(CITY), Some("city"), Some(60))
    );
    assert_eq!((v["max_leave"].as_str(), v["access"].as_str()), (Some("1/7"), Some("manage")));
    assert_eq!(v["allocations"], json!([{ "org": YUNXI, "name": "云溪区", "places": 30 }]), "{v}");
    // The minimal body of the issue.
    let (s, v2) = call(
        &app,
        "POST",
        "/api/v1/classes",
        &city,
        Some(json!({ "campaign_id": c.id, "title": "市级班", "organiser": CITY, "level": "city", "start": "2026-05-11", "end": "2026-05-13", "capacity": 40 })),
    )
    .await;
    assert_eq!(s, 201, "{v2}");
    let (s, got) = call(&app, "GET", &format!("/api/v1/classes/{id}"), &city, None).await;
    assert_eq!((s, &got["title"]), (200, &v["title"]), "{got}");
    // Sessions: created, listed in time order, refused whole.
    let (s, sess) = call(
        &app,
        "POST",
        &format!("/api/v1/classes/{id}/sessions"),
        &city,
        Some(json!({ "date": "2026-04-13", "slot": "am", "topic": "党章党规", "mode": "lecture", "hours": 3 })),
    )
    .await;
    assert_eq!(s, 201, "{sess}");
    assert_eq!(
        (sess["starts"].as_str(), sess["ends"].as_str(), sess["hours"].as_i64()),
        (Some("08:30"), Some("11:30"), Some(3))
    );
    assert!(sess.get("checkin_secret").is_none(), "the secret never leaves");
    let (s, e) = call(
        &app,
        "POST",
        &format!("/api/v1/classes/{id}/sessions"),
        &city,
        Some(json!({ "date": "2026-04-20", "slot": "dawn", "topic": "x", "mode": "lecture", "hours": 1.5 })),
    )
    .await;
    assert_eq!((s, e["error"]["code"].as_str()), (422, Some("invalid")), "{e}");
    assert_eq!(e["error"]["fields"].as_array().map(Vec::len), Some(2), "{e}");
    let (s, list) = call(&app, "GET", &format!("/api/v1/classes/{id}/sessions"), &city, None).await;
    assert_eq!((s, list["items"].as_array().map(Vec::len)), (200, Some(1)), "{list}");
    // A sending county reads the class and its own places; another county nothing.
    let yunxi = token(&db.conn, YUNXI).await;
    let quyuan = token(&db.conn, QUYUAN).await;
    let (s, seen) = call(&app, "GET", &format!("/api/v1/classes/{id}"), &yunxi, None).await;
    assert_eq!((s, seen["access"].as_str()), (200, Some("send")), "{seen}");
    let (s, list) = call(&app, "GET", &format!("/api/v1/classes?campaign_id={}", c.id), &yunxi, None).await;
    assert_eq!((s, list["items"].as_array().map(Vec::len)), (200, Some(1)), "only the class with its places: {list}");
    let (s, e) = call(&app, "GET", &format!("/api/v1/classes/{id}"), &quyuan, None).await;
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("not_found")), "{e}");
    let (s, list) = call(&app, "GET", "/api/v1/classes", &quyuan, None).await;
    assert_eq!((s, list["items"].as_array().map(Vec::len)), (200, Some(0)), "{list}");
    let (s, _) = call(
        &app,
        "POST",
        &format!("/api/v1/classes/{id}/sessions"),
        &yunxi,
        Some(json!({ "date": "2026-04-13", "slot": "pm", "topic": "x", "mode": "lecture", "hours": 3 })),
    )
    .await;
    assert_eq!(s, 403, "a sender does not keep the timetable");
    // Bad classes: refused whole, in Chinese; an unknown field is a 400.
    let mut bad = body.clone();
    bad["end"] = json!("2026-04-19");
    bad["capacity"] = json!(20);
    let (s, e) = call(&app, "POST", "/api/v1/classes", &city, Some(bad)).await;
    assert_eq!(s, 422, "{e}");
    let msgs = e["error"]["fields"].to_string();
    assert!(msgs.contains("现为7天") && msgs.contains("超过班次容量20人"), "{e}");
    let (s, e) = call(&app, "POST", "/api/v1/classes", &city, Some(json!({ "name": "x" }))).await;
    assert_eq!(s, 400, "{e}");
    let (_, all) = call(&app, "GET", "/api/v1/classes", &city, None).await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2), "nothing more written");
    db.cleanup().await;
}

#[tokio::test]
async fn classes_pages_create_a_class_its_timetable_and_the_pools() {
    use xuepei_domain::accounts::AccountRole;
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let staff = signed_in(&db, "ystaff", &[AccountRole::OrgStaff], YUNXI).await;
    let (s, body) = staff.get("/").await;
    assert!(s == 200 && body.contains("班次管理") && body.contains("师资库") && body.contains("教学场地"), "menu");
    // The pools.
    let (s, _, body) = staff
        .post_form("/venues", &[("org", YUNXI), ("name", "区委党校报告厅"), ("kind", "classroom"), ("capacity", "120")])
        .await;
    assert_eq!(s, 303, "{body}");
    let (s, _, body) = staff
        .post_form(
            "/instructors",
            &[
                ("org", YUNXI),
                ("name", "李明"),
                ("kind", "teacher"),
                ("title", "区委党校讲师"),
                ("phone", "13800001111"),
            ],
        )
        .await;
    assert_eq!(s, 303, "{body}");
    let (s, _, body) =
        staff.post_form("/instructors", &[("org", YUNXI), ("name", ""), ("kind", "x"), ("phone", "12")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("姓名不能为空") && body.contains("请选择师资类别") && body.contains("联系电话"), "{body}");
    let (_, list) = staff.get("/instructors").await;
    assert!(list.contains("李明") && list.contains("党校教师"), "{list}");
    // The class form refuses every mistake at once and keeps what was typed.
    let (s, _, body) = staff
        .post_form(
            "/classes",
            &[
                ("campaign_id", &c.id.to_string()),
                ("title", "云溪区村书记班"),
                ("organiser", YUNXI),
                ("level", "county"),
                ("start", "2026-04-20"),
                ("end", "2026-04-13"),
                ("capacity", "abc"),
                ("alloc_org", QUYUAN),
                ("alloc_places", "5"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    for msg in ["早于开班日期", "班次容量“abc”应为整数", "云溪区村书记班"] {
        assert!(body.contains(msg), "{msg}: {body}");
    }
    let (s, loc, body) = staff
        .post_form(
            "/classes",
            &[
                ("campaign_id", &c.id.to_string()),
                ("title", "云溪区村书记班"),
                ("organiser", YUNXI),
                ("level", "county"),
                ("start", "2026-04-13"),
                ("end", "2026-04-15"),
                ("capacity", "40"),
                ("sectors", "village"),
                ("roles", "secretary"),
                ("alloc_org", "430603001"),
                ("alloc_places", "10"),
                ("alloc_org", ""),
                ("alloc_places", ""),
            ],
        )
        .await;
    assert_eq!(s, 303, "{body}");
    let loc = loc.expect("redirect");
    let id: i64 = loc.trim_start_matches("/classes/").split('?').next().and_then(|s| s.parse().ok()).expect("id");
    // A session with the pools' instructor and venue.
    let (_, form) = staff.get(&format!("/classes/{id}/sessions/new")).await;
    assert!(form.contains("李明") && form.contains("区委党校报告厅"), "the pools are offered: {form}");
    let pick = |html: &str, name: &str| {
        let at = html.find(name).expect("option");
        let before = &html[..at];
        let v = before.rfind("value=\"").expect("value");
        before[v + 7..].split('"').next().unwrap_or_default().to_owned()
    };
    let (iid, vid) = (pick(&form, "李明"), pick(&form, "区委党校报告厅"));
    let (s, _, body) = staff
        .post_form(
            &format!("/classes/{id}/sessions"),
            &[
                ("date", "2026-04-13"),
                ("slot", "am"),
                ("topic", "学习党章"),
                ("mode", "lecture"),
                ("hours", "3"),
                ("instructor_id", &iid),
                ("venue_id", &vid),
            ],
        )
        .await;
    assert_eq!(s, 303, "{body}");
    let (s, _, body) = staff
        .post_form(
            &format!("/classes/{id}/sessions"),
            &[("date", "2026-04-30"), ("slot", "am"), ("topic", "越期"), ("mode", "lecture"), ("hours", "9")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("不在本班次的起止日期") && body.contains("半天课程最多4学时"), "{body}");
    // Two of 长岭街道's people enrolled: the allocation shows its places used.
    let two = crate::enrolments::people_of(&db.conn, JINGZHU, 2).await;
    let refs: Vec<_> = two.iter().map(|p| xuepei_store::enrolments::PersonRef::Id(p.0)).collect();
    write(&db.conn, &county_scope(&db.conn, YUNXI).await, async |tx| {
        xuepei_store::enrolments::enrol(tx, id, &refs).await
    })
    .await
    .expect("enrol");
    let (_, page) = staff.get(&loc).await;
    assert!(page.contains("<td data-label=\"分配名额\">10</td><td data-label=\"已报名\">2</td>"), "{page}");
    for text in ["云溪区村书记班", "学习党章", "专题辅导", "李明", "区委党校报告厅", "共1节，3学时", "长岭街道"]
    {
        assert!(page.contains(text), "{text}: {page}");
    }
    let (s, tt) = staff.get(&format!("/classes/{id}/timetable")).await;
    assert!(s == 200 && tt.contains("云溪区村书记班课程表") && tt.contains("08:30–11:30"), "{tt}");
    // The timetable as Excel: the same rows.
    let (status, text) = xlsx_text(&staff, &format!("/classes/{id}/timetable.xlsx")).await;
    assert_eq!(status, 200);
    for cell in ["课程专题", "学习党章", "专题辅导", "李明", "区委党校报告厅", "08:30–11:30"] {
        assert!(text.contains(cell), "{cell}: {text}");
    }
    // The campaign page lists its classes with a link to add one.
    let (_, cp) = staff.get(&format!("/campaigns/{}", c.id)).await;
    assert!(cp.contains("云溪区村书记班") && cp.contains(&format!("/classes/new?campaign_id={}", c.id)), "{cp}");
    // The list filters by campaign and level.
    let (_, list) = staff.get(&format!("/classes?campaign={}&level=county", c.id)).await;
    assert!(list.contains("云溪区村书记班"), "{list}");
    let (_, list) = staff.get("/classes?level=province").await;
    assert!(!list.contains("云溪区村书记班"), "{list}");
    db.cleanup().await;
}

#[tokio::test]
async fn classes_use_the_pools_of_the_organiser_and_its_ancestors_only() {
    use xuepei_store::classes::instructors::{self, InstructorInput};
    use xuepei_store::classes::venues::{self, VenueInput};
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let (city, yunxi, quyuan) =
        (county_scope(&db.conn, CITY).await, county_scope(&db.conn, YUNXI).await, county_scope(&db.conn, QUYUAN).await);
    let teacher = |org: &str, name: &str| InstructorInput {
        org: org.into(),
        name: name.into(),
        kind: "teacher".into(),
        ..InstructorInput::default()
    };
    let city_teacher = write(&db.conn, &city, async |tx| instructors::create(tx, &teacher(CITY, "市委党校教师")).await)
        .await
        .expect("i");
    let other_teacher =
        write(&db.conn, &quyuan, async |tx| instructors::create(tx, &teacher(QUYUAN, "屈原教师")).await)
            .await
            .expect("i");
    let hall =
        VenueInput {
            org: YUNXI.into(), name: "区委党校报告厅".into(), kind: "教室".into(), ..Default::default()
        };
    let hall = write(&db.conn, &yunxi, async |tx| venues::create(tx, &hall).await).await.expect("venue");
    // The same name twice in one organisation is a conflict in Chinese.
    let again =
        VenueInput {
            org: YUNXI.into(), name: "区委党校报告厅".into(), kind: "classroom".into(), ..Default::default()
        };
    match write(&db.conn, &yunxi, async |tx| venues::create(tx, &again).await).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains("同名的教学场地"), "{m}"),
        other => panic!("expected a conflict, got {other:?}"),
    }
    // A pool entry outside the writer's scope is refused; one of another county is not found.
    let e = fields(
        write(&db.conn, &yunxi, async |tx| instructors::create(tx, &teacher(QUYUAN, "越界")).await)
            .await
            .expect_err("x"),
    );
    assert!(has(&e, "org", "不在您的管理范围内"), "{e:?}");
    assert!(matches!(instructors::get(&db.conn, &yunxi, other_teacher.id).await, Err(StoreError::NotFound(_))));
    // A county class uses its own venue and the city's teacher, not another county's.
    let mut input = class_input(Some(c.id), "云溪区班", YUNXI);
    input.level = "county".into();
    input.allocations = vec![];
    let class = write(&db.conn, &yunxi, async |tx| classes::create(tx, &input).await).await.expect("class");
    let usable: Vec<String> =
        instructors::usable_for(&db.conn, &class.org_path).await.expect("pool").into_iter().map(|i| i.name).collect();
    assert_eq!(usable, vec!["市委党校教师".to_owned()]);
    let mut s = session_input((2026, 4, 13), "am", "党章", "lecture", "3");
    s.instructor_id = Some(city_teacher.id);
    s.venue_id = Some(hall.id);
    let added = write(&db.conn, &yunxi, async |tx| sessions::add(tx, class.id, &s).await).await.expect("session");
    assert_eq!(added.instructor.map(|i| i.name).as_deref(), Some("市委党校教师"));
    let mut s2 = session_input((2026, 4, 13), "pm", "案例", "case", "3");
    s2.instructor_id = Some(other_teacher.id);
    let e = fields(write(&db.conn, &yunxi, async |tx| sessions::add(tx, class.id, &s2).await).await.expect_err("x"));
    assert!(has(&e, "instructor_id", "不在主办单位及其上级的师资库中"), "{e:?}");
    // A deactivated venue is no longer offered.
    write(&db.conn, &yunxi, async |tx| venues::set_active(tx, hall.id, false).await).await.expect("off");
    let mut s3 = session_input((2026, 4, 14), "am", "讨论", "discussion", "2");
    s3.venue_id = Some(hall.id);
    let e = fields(write(&db.conn, &yunxi, async |tx| sessions::add(tx, class.id, &s3).await).await.expect_err("x"));
    assert!(has(&e, "venue_id", "已停用"), "{e:?}");
    assert!(venues::usable_for(&db.conn, &class.org_path).await.expect("venues").is_empty());
    db.cleanup().await;
}

#[tokio::test]
async fn classes_refuse_absurd_dates_and_allocations_without_failing() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let bad = ClassInput {
        start: day(0, 1, 1),
        end: day(9999, 12, 29),
        capacity: Some(5),
        allocations: vec![(YUNXI.into(), i64::MAX), (QUYUAN.into(), i64::MAX)],
        ..class_input(Some(c.id), "荒谬班", CITY)
    };
    match write(&db.conn, &Scope::system(), async |tx| classes::create(tx, &bad).await).await {
        Err(StoreError::Invalid(e)) => {
            let all = format!("{e:?}");
            assert!(all.contains("超出合理范围") && all.contains("超过班次容量上限"), "{all}");
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
    let bad_campaign =
        campaigns::CampaignInput { start: day(15, 3, 1), ..crate::campaigns::input("年份笔误", CITY, &[]) };
    match write(&db.conn, &Scope::system(), async |tx| campaigns::create(tx, &bad_campaign).await).await {
        Err(StoreError::Invalid(e)) => assert!(format!("{e:?}").contains("超出合理范围"), "{e:?}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    db.cleanup().await;
}
