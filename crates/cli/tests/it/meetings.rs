//! Committee meetings and the first agenda item (第一议题): recorded through the API and
//! the phone-sized form, a non-study first item flagged, bad input refused whole in
//! Chinese, measures followed up, closed records corrected only with a reason, compliance
//! per organisation and period with its drill-down and export, and another county's
//! meetings out of reach.

use chrono::{Datelike, Days, NaiveDate};
use serde_json::{Value, json};
use xuepei_domain::accounts::AccountRole;
use xuepei_store::meetings::{
    self, ItemInput, MeasureInput, MeetingFilter, MeetingInput, PersonKey, PersonLabel, StudyInput,
};
use xuepei_store::page::At;
use xuepei_store::{DatabaseConnection, Scope, StoreError, tokens};
use xuepei_testkit::TestApp;

use crate::support::*;

/// 长岭街道, a town of 云溪区 with its own committee members.
const TOWN: &str = "430603001";

/// The people of the organisation `code` itself (its committee, leaders first).
pub async fn members(db: &DatabaseConnection, code: &str) -> Vec<PersonLabel> {
    let o = by_code(db, code).await;
    let people = meetings::people_of(db, &Scope::system(), o.id).await.expect("people");
    assert!(people.len() >= 3, "{code} has a committee: {people:?}");
    people
}

/// A meeting of `code` on `date` whose first item is theory study led by its first member.
pub fn study_meeting(code: &str, date: NaiveDate, people: &[PersonLabel]) -> MeetingInput {
    MeetingInput {
        org: code.into(),
        kind: "committee".into(),
        date: Some(date),
        chair: Some(PersonKey::Id(people[0].id)),
        attendees: people.iter().take(3).map(|p| PersonKey::Id(p.id)).collect(),
        absentees: Vec::new(),
        agenda: vec![
            ItemInput {
                title: String::new(),
                study: Some(StudyInput {
                    title: "习近平总书记关于乡村振兴的重要讲话".into(),
                    source: "speech".into(),
                    lead: Some(PersonKey::Id(people[0].id)),
                    form: "discussion".into(),
                    notes: "结合本地产业发展交流学习体会。".into(),
                    speakers: vec![PersonKey::Id(people[1].id)],
                    ..Default::default()
                }),
            },
            ItemInput { title: "研究部署秋冬季防火工作".into(), study: None },
        ],
    }
}

/// A meeting of `code` with one work measure, written as the operator: (meeting, measure).
pub async fn seed_meeting(db: &DatabaseConnection, code: &str, date: NaiveDate) -> (i64, i64) {
    let people = members(db, code).await;
    write(db, &Scope::system(), async |tx| {
        let m = meetings::create(tx, &study_meeting(code, date, &people)).await?;
        let x = meetings::add_measure(
            tx,
            m.id,
            &MeasureInput {
                content: "制定产业帮扶工作方案".into(),
                owner: Some(PersonKey::Id(people[1].id)),
                ..Default::default()
            },
        )
        .await?;
        Ok((m.id, x.id))
    })
    .await
    .expect("meeting")
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

async fn token(db: &DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        tokens::issue(tx, "会议对接", o.id, true, None, tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Option<String>) -> (u16, Value) {
    let mut rb = match method {
        "POST" => app.raw.post(app.url(path)),
        _ => app.raw.get(app.url(path)),
    };
    rb = rb.bearer_auth(token);
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b);
    }
    let r = rb.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn body(org: &str, date: &str, people: &[PersonLabel], study_first: bool) -> Value {
    let study =
        json!({ "title": "论党的自我革命", "source": "original", "lead": people[1].id_number, "form": "lead_reading" });
    let mut agenda = vec![json!({ "title": "研究年度重点工作" })];
    let studied = json!({ "title": "学习《论党的自我革命》", "study": study });
    if study_first {
        agenda.insert(0, studied);
    } else {
        agenda.push(studied);
    }
    json!({
        "org": org,
        "kind": "committee",
        "date": date,
        "chair": people[0].id_number,
        "attendees": [people[0].id_number, people[1].id_number, people[2].id_number],
        "agenda": agenda
    })
}

async fn count(db: &DatabaseConnection) -> usize {
    meetings::list(db, &Scope::system(), &MeetingFilter::default(), At::First, 500).await.expect("list").items.len()
}

#[tokio::test]
async fn the_api_records_meetings_and_flags_a_first_item_that_is_not_study() {
    let db = seeded().await;
    let app = TestApp::spawn(&db).await;
    let yunxi = token(&db.conn, YUNXI).await;
    let county = members(&db.conn, YUNXI).await;
    let town = members(&db.conn, TOWN).await;
    let (s, v) =
        call(&app, "POST", "/api/v1/meetings", &yunxi, Some(body(YUNXI, "2025-03-03", &county, true).to_string()))
            .await;
    assert_eq!(s, 201, "{v}");
    assert_eq!(v["first_item_compliant"], true, "{v}");
    let compliant = v["id"].as_i64().expect("id");
    // Study as the second item: recorded, and flagged.
    let (s, v) =
        call(&app, "POST", "/api/v1/meetings", &yunxi, Some(body(YUNXI, "2025-03-17", &county, false).to_string()))
            .await;
    assert_eq!((s, &v["first_item_compliant"]), (201, &json!(false)), "{v}");
    let flagged = v["id"].as_i64().expect("id");
    // A town below the county, in another month.
    let (s, v) =
        call(&app, "POST", "/api/v1/meetings", &yunxi, Some(body(TOWN, "2025-04-02", &town, true).to_string())).await;
    assert_eq!(s, 201, "{v}");
    let town_meeting = v["id"].as_i64().expect("id");

    // The county's own meetings of the year, newest first.
    let (s, list) = call(&app, "GET", &format!("/api/v1/meetings?org={YUNXI}&year=2025"), &yunxi, None).await;
    assert_eq!(s, 200, "{list}");
    let ids: Vec<i64> = list["items"].as_array().expect("items").iter().filter_map(|i| i["id"].as_i64()).collect();
    assert_eq!(ids, vec![flagged, compliant], "{list}");
    assert_eq!(list["items"][1]["kind"], "committee");
    assert_eq!(list["items"][1]["study_source"], "original");
    assert_eq!(list["items"][1]["chair"], county[0].id_number.as_str());
    assert_eq!(list["items"][0]["first_item_compliant"], false);
    let (_, list) = call(&app, "GET", "/api/v1/meetings?year=2024", &yunxi, None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(0), "another year: {list}");
    let (_, list) = call(&app, "GET", "/api/v1/meetings?compliant=false", &yunxi, None).await;
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");
    // Paging through the scope's three.
    let (_, page) = call(&app, "GET", "/api/v1/meetings?limit=2", &yunxi, None).await;
    let next = page["next"].as_str().expect("next").to_owned();
    let (_, page) = call(&app, "GET", &format!("/api/v1/meetings?limit=2&after={next}"), &yunxi, None).await;
    assert_eq!(page["items"][0]["id"].as_i64(), Some(compliant), "{page}");

    // Compliance per organisation: each its own meetings, the county first.
    let rows =
        meetings::compliance(&db.conn, &county_scope(&db.conn, YUNXI).await, YUNXI, 2025, None).await.expect("rows");
    let got: Vec<(&str, u32, u32, Vec<i64>)> =
        rows.iter().map(|r| (r.org.code.as_str(), r.meetings, r.compliant_first_items, r.exceptions.clone())).collect();
    assert_eq!(got, vec![(YUNXI, 2, 1, vec![flagged]), (TOWN, 1, 1, vec![])]);
    let march = meetings::compliance(&db.conn, &Scope::system(), YUNXI, 2025, Some(3)).await.expect("march");
    assert_eq!(march.len(), 1, "the town held none in March: {march:?}");
    let town_only = meetings::compliance(&db.conn, &Scope::system(), TOWN, 2025, Some(4)).await.expect("town");
    assert_eq!((town_only[0].meetings, town_only[0].exceptions.len()), (1, 0));
    // Another county's token sees none of it, and is not told the county exists.
    let quyuan = token(&db.conn, QUYUAN).await;
    let (s, e) = call(&app, "GET", &format!("/api/v1/meetings?org={YUNXI}"), &quyuan, None).await;
    assert_eq!((s, e["error"]["code"].as_str()), (404, Some("not_found")), "{e}");
    let (s, list) = call(&app, "GET", "/api/v1/meetings", &quyuan, None).await;
    assert_eq!((s, list["items"].as_array().map(Vec::len)), (200, Some(0)), "{list}");
    assert!(matches!(
        meetings::compliance(&db.conn, &county_scope(&db.conn, QUYUAN).await, YUNXI, 2025, None).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(meetings::get(&db.conn, &county_scope(&db.conn, QUYUAN).await, town_meeting).await.is_err());
    // The minutes are searchable in the county's scope.
    let found =
        xuepei_store::search::search(&db.conn, &county_scope(&db.conn, YUNXI).await, "自我革命", None, 1, 20).await;
    assert!(format!("{found:?}").contains("meeting"), "{found:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn bad_meetings_are_refused_whole_in_chinese() {
    let db = seeded().await;
    let app = TestApp::spawn(&db).await;
    let yunxi = token(&db.conn, YUNXI).await;
    let county = members(&db.conn, YUNXI).await;
    let town = members(&db.conn, TOWN).await;
    let other = someone_under(&db.conn, QUYUAN).await;
    let good = body(YUNXI, "2025-05-06", &county, true);
    let with = |f: &dyn Fn(&mut Value)| {
        let mut b = good.clone();
        f(&mut b);
        b.to_string()
    };
    let tomorrow = (xuepei_domain::time::today() + Days::new(1)).to_string();
    let cases: Vec<(String, &str)> = vec![
        (with(&|b| b["agenda"] = json!([])), "会议没有议题"),
        (with(&|b| b["agenda"][0]["study"]["title"] = json!("")), "学习内容没有标题"),
        (with(&|b| b["agenda"][0]["study"]["source"] = json!("")), "没有来源类别"),
        (with(&|b| b["agenda"][0]["study"]["source"] = json!("newspaper")), "source“newspaper”无效，可选：speech"),
        (with(&|b| b["agenda"][0]["study"]["lead"] = Value::Null), "没有领学人"),
        (with(&|b| b["agenda"][0]["study"]["form"] = json!("sing")), "form“sing”无效"),
        (with(&|b| b["date"] = json!(tomorrow)), "晚于今天"),
        (with(&|b| b["date"] = json!("2025-02-30")), "格式有误"),
        (with(&|b| b["date"] = json!("1900-01-02")), "超出合理范围"),
        (with(&|b| b["kind"] = json!("party")), "会议类别 kind“party”无效"),
        (with(&|b| b["org"] = json!(QUYUAN)), "不在您的管理范围内"),
        // A member of the town is not of the county's committee; another county's person
        // is answered the same way, without a name.
        (with(&|b| b["chair"] = json!(town[0].id_number)), "主持人身份证号"),
        (with(&|b| b["attendees"] = json!([other.id_number])), "不是本单位（云溪区）的人员"),
        (with(&|b| b["agenda"][0]["study"]["lead"] = json!("43060319900101123X")), "领学人身份证号"),
    ];
    for (b, expected) in &cases {
        let (s, e) = call(&app, "POST", "/api/v1/meetings", &yunxi, Some(b.clone())).await;
        assert_eq!(s, 422, "{expected}: {e}");
        let text = e.to_string();
        assert!(text.contains(expected), "{expected}: {text}");
        assert!(!text.contains(&other.name), "the other county's person is not named: {text}");
    }
    // Several problems at once, every one reported.
    let (s, e) = call(
        &app,
        "POST",
        "/api/v1/meetings",
        &yunxi,
        Some(with(&|b| {
            b["date"] = json!(tomorrow);
            b["agenda"][0]["study"]["title"] = json!("");
            b["chair"] = Value::Null;
        })),
    )
    .await;
    assert_eq!(s, 422);
    let fields: Vec<&str> =
        e["error"]["fields"].as_array().expect("fields").iter().filter_map(|f| f["field"].as_str()).collect();
    for f in ["date", "study_title", "chair"] {
        assert!(fields.contains(&f), "{f} in {e}");
    }
    for (b, status) in [("{", 400), ("{\"org\": 1}", 400), ("{\"mood\": \"x\"}", 400)] {
        let (s, e) = call(&app, "POST", "/api/v1/meetings", &yunxi, Some(b.to_owned())).await;
        assert_eq!(s, status, "{b}: {e}");
        assert!(e["error"]["message"].as_str().is_some_and(|m| m.contains("JSON")), "{e}");
    }
    assert_eq!(count(&db.conn).await, 0, "nothing written");
    // The same body, kind and day twice: the second is refused.
    let (s, _) = call(&app, "POST", "/api/v1/meetings", &yunxi, Some(good.to_string())).await;
    assert_eq!(s, 201);
    let (s, e) = call(&app, "POST", "/api/v1/meetings", &yunxi, Some(good.to_string())).await;
    assert_eq!(s, 422, "{e}");
    assert!(e.to_string().contains("同一单位同一天同类会议只登记一次"), "{e}");
    assert_eq!(count(&db.conn).await, 1);
    // Query parameters are checked too.
    for q in ["year=abc", "year=1066", "month=3", "compliant=maybe", "kind=x", "limit=0", "after=zzz"] {
        let (s, e) = call(&app, "GET", &format!("/api/v1/meetings?{q}"), &yunxi, None).await;
        assert_eq!(s, 400, "{q}: {e}");
    }
    db.cleanup().await;
}

/// The form's fields for a meeting of the county (people by id).
fn form_fields<'a>(people: &'a [(String, String)], date: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("org", YUNXI),
        ("kind", "committee"),
        ("date", date),
        ("chair", people[0].0.as_str()),
        ("first_is_study", "1"),
        ("study_title", "习近平总书记在湖南考察时的重要讲话"),
        ("study_source", "speech"),
        ("study_lead", people[0].0.as_str()),
        ("study_form", "discussion"),
        ("study_notes", "一、提高政治站位。\n二、抓好贯彻落实。"),
        ("study_speakers", people[1].0.as_str()),
        ("study_speakers", people[2].0.as_str()),
        ("attendees", people[0].0.as_str()),
        ("attendees", people[1].0.as_str()),
        ("attendees", people[2].0.as_str()),
        ("other_items", "研究部署防汛工作\n审议年度预算"),
    ]
}

#[tokio::test]
async fn a_secretary_records_a_meeting_on_the_form_and_follows_up_its_measures() {
    let db = seeded().await;
    let county = members(&db.conn, YUNXI).await;
    let people: Vec<(String, String)> = county.iter().map(|p| (p.id.to_string(), p.name.clone())).collect();
    let app = signed_in(&db, "xcb", &[AccountRole::PropagandaStaff], YUNXI).await;
    let (s, page) = app.get("/study/meetings/new").await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains(&county[0].name) && page.contains("第一项议题为理论学习"), "the committee to choose from");
    let today = xuepei_domain::time::today().to_string();
    // Refused whole: a bad date, a study without a source, an absentee who is not a member.
    let mut bad = form_fields(&people, "2025-13-01");
    bad.retain(|(k, _)| *k != "study_source");
    bad.push(("absentees", "查无此人 出差"));
    let (s, _, page) = app.post_form("/study/meetings", &bad).await;
    assert_eq!(s, 422, "{page}");
    for m in ["格式有误", "没有来源类别", "缺席人员“查无此人”不是本单位登记的人员"] {
        assert!(page.contains(m), "{m}");
    }
    assert!(page.contains("习近平总书记在湖南考察时的重要讲话"), "what was typed stays");
    assert_eq!(count(&db.conn).await, 0);
    // Recorded, with an absentee and the reason.
    let absent = format!("{} 外出学习", county[3].name);
    let mut fields = form_fields(&people, &today);
    fields.push(("absentees", &absent));
    let (s, loc, _) = app.post_form("/study/meetings", &fields).await;
    assert_eq!(s, 303);
    let loc = loc.expect("location");
    assert!(loc.ends_with("?done=created"), "{loc}");
    let id: i64 =
        loc.trim_start_matches("/study/meetings/").split('?').next().and_then(|x| x.parse().ok()).expect("id");
    let (s, page) = app.get(&loc).await;
    assert_eq!(s, 200);
    for t in [
        "习近平总书记在湖南考察时的重要讲话",
        "最新重要讲话",
        "研讨",
        "二、抓好贯彻落实。",
        "外出学习",
        "审议年度预算",
        "会议记录已登记",
    ] {
        assert!(page.contains(t), "{t}");
    }
    // A second meeting of the same kind that day is refused on the form.
    let (s, _, page) = app.post_form("/study/meetings", &form_fields(&people, &today)).await;
    assert_eq!(s, 422);
    assert!(page.contains("同一单位同一天同类会议只登记一次"));
    // Edited while open: the first item is no longer study, so it is flagged.
    let mut edit: Vec<(&str, &str)> =
        form_fields(&people, &today).into_iter().filter(|(k, _)| *k != "first_is_study").collect();
    edit.push(("first_title", "研究部署招商引资工作"));
    let (s, loc, _) = app.post_form(&format!("/study/meetings/{id}"), &edit).await;
    assert_eq!((s, loc.as_deref()), (303, Some(format!("/study/meetings/{id}?done=updated").as_str())));
    let (_, list) = app.get("/study/meetings?compliant=0").await;
    assert!(list.contains("研究部署招商引资工作") && list.contains("一议题不合规"), "flagged in the list");
    let (_, list) = app.get("/study/meetings?compliant=1").await;
    assert!(!list.contains("研究部署招商引资工作"));
    let (s, _, _) = app.post_form(&format!("/study/meetings/{id}"), &form_fields(&people, &today)).await;
    assert_eq!(s, 303, "and back to study");

    // Work measures: added, refused without an owner, finished with a date.
    let (s, _, page) = app.post_form(&format!("/study/meetings/{id}/measures"), &[("content", "开展专题调研")]).await;
    assert_eq!(s, 422);
    assert!(page.contains("请选择责任人"));
    let owner = people[1].0.as_str();
    let (s, _, _) = app
        .post_form(
            &format!("/study/meetings/{id}/measures"),
            &[("content", "开展专题调研"), ("owner", owner), ("status", "in_progress")],
        )
        .await;
    assert_eq!(s, 303);
    let m = meetings::get(&db.conn, &Scope::system(), id).await.expect("meeting");
    let mid = m.measures[0].id;
    let url = format!("/study/meetings/{id}/measures/{mid}");
    let (s, _, page) = app.post_form(&url, &[("content", "开展专题调研"), ("owner", owner), ("status", "done")]).await;
    assert_eq!(s, 422);
    assert!(page.contains("已完成的措施请填写完成日期"));
    let (s, _, _) = app
        .post_form(&url, &[("content", "开展专题调研"), ("owner", owner), ("status", "done"), ("done_on", &today)])
        .await;
    assert_eq!(s, 303);
    let (_, page) = app.get(&format!("/study/meetings/{id}")).await;
    assert!(page.contains("已完成"), "the follow-up shows");

    // Archived: read-only; a correction needs the approve right and a reason.
    let (s, _, _) = app.post_form(&format!("/study/meetings/{id}/archive"), &[]).await;
    assert_eq!(s, 303);
    let (s, _, page) = app.post_form(&format!("/study/meetings/{id}"), &form_fields(&people, &today)).await;
    assert_eq!(s, 422, "the form again, with why");
    assert!(page.contains("已归档，不能直接修改"));
    assert_eq!(meetings::get(&db.conn, &Scope::system(), id).await.expect("meeting").items.len(), 3, "unchanged");
    let (s, _, page) = app.post_form(&format!("/study/meetings/{id}/correct"), &form_fields(&people, &today)).await;
    assert_eq!(s, 422);
    assert!(page.contains("请填写更正原因"));
    let mut fix = form_fields(&people, &today);
    fix.retain(|(k, _)| *k != "study_title");
    fix.push(("study_title", "习近平总书记在湖南考察时的重要讲话精神"));
    fix.push(("reason", "学习内容标题记录不全"));
    let (s, loc, _) = app.post_form(&format!("/study/meetings/{id}/correct"), &fix).await;
    assert_eq!((s, loc.as_deref()), (303, Some(format!("/study/meetings/{id}?done=corrected").as_str())));
    let m = meetings::get(&db.conn, &Scope::system(), id).await.expect("meeting");
    assert_eq!(m.first_study().map(|s| s.title.as_str()), Some("习近平总书记在湖南考察时的重要讲话精神"));
    let f = xuepei_store::audit::AuditFilter { action: Some("meeting.correct".into()), ..Default::default() };
    let trail = xuepei_store::audit::search(&db.conn, &Scope::system(), &f, None, 100).await.expect("trail").items;
    assert!(
        format!("{trail:?}").contains("原因：学习内容标题记录不全"),
        "the correction and its reason are in the audit trail"
    );
    // Measures are still followed up after the record closed.
    let (s, _, _) = app
        .post_form(&format!("/study/meetings/{id}/measures"), &[("content", "形成调研报告"), ("owner", owner)])
        .await;
    assert_eq!(s, 303);
    // A unit secretary records meetings but may not correct a closed one.
    let secretary = signed_in(&db, "shuji", &[AccountRole::UnitSecretary], YUNXI).await;
    let (s, _) = secretary.get(&format!("/study/meetings/{id}/correct")).await;
    assert_eq!(s, 403);
    let (s, _, _) = secretary.post_form(&format!("/study/meetings/{id}/correct"), &fix).await;
    assert_eq!(s, 403);
    db.cleanup().await;
}

#[tokio::test]
async fn compliance_drills_down_and_exports() {
    let db = seeded().await;
    let county = members(&db.conn, YUNXI).await;
    let (ok, _) = seed_meeting(&db.conn, YUNXI, day(2025, 6, 3)).await;
    let (town_ok, _) = seed_meeting(&db.conn, TOWN, day(2025, 6, 10)).await;
    let mut flagged = study_meeting(YUNXI, day(2025, 6, 24), &county);
    flagged.agenda.reverse();
    let bad =
        write(&db.conn, &Scope::system(), async |tx| meetings::create(tx, &flagged).await).await.expect("flagged");
    assert!(!bad.compliant);
    // A meeting held long ago is closed without archiving.
    assert!(bad.closed && bad.archived_at.is_none());
    let app = signed_in(&db, "checker", &[AccountRole::Inspector], YUNXI).await;
    let (s, page) = app.get(&format!("/study/meetings/compliance?org={YUNXI}&year=2025&month=6")).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("云溪区2025年6月") && page.contains("长岭街道"), "both organisations");
    assert!(page.contains(&format!("/study/meetings/{}", bad.id)), "the exception links to its meeting");
    assert!(page.contains("合计：会议3次，第一议题合规2次，不合规1次"), "{page}");
    for (q, expect) in [("year=2025&month=13", 400), ("year=abc", 400), ("org=430671", 404)] {
        let (s, _) = app.get(&format!("/study/meetings/compliance?{q}")).await;
        assert_eq!(s, expect, "{q}");
    }
    // The drill-down lists the organisation's own meetings.
    let (_, list) = app.get(&format!("/study/meetings?org={YUNXI}&year=2025&month=6&compliant=0")).await;
    assert!(
        list.contains(&format!("/study/meetings/{}\"", bad.id)) && !list.contains(&format!("/study/meetings/{ok}\""))
    );
    let (_, list) = app.get(&format!("/study/meetings?org={TOWN}&year=2025")).await;
    assert!(list.contains(&format!("/study/meetings/{town_ok}\"")));
    // The export: one row per organisation, the exception described.
    let csrf = app.csrf().await;
    let r = app
        .raw
        .post(app.url(&format!("/study/meetings/compliance/export?org={YUNXI}&year=2025")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("export");
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.expect("bytes");
    let mut text = String::new();
    let wb = xuepei_office::read::Workbook::open(xuepei_office::read::Source::Bytes(bytes.to_vec())).expect("xlsx");
    let _ = wb.read_sheet(0, |row| {
        text.push_str(&row.cells.join("|"));
        text.push('\n');
        std::ops::ControlFlow::Continue(())
    });
    assert!(text.contains("云溪区|430603|2|1|50%"), "{text}");
    assert!(text.contains("2025-06-24 党委会议（第一项议题：研究部署秋冬季防火工作）"), "{text}");
    assert!(text.contains("长岭街道|430603001|1|1|100%"), "{text}");
    // An inspector reads but does not record.
    let (s, _) = app.get("/study/meetings/new").await;
    assert_eq!(s, 403);
    db.cleanup().await;
}

#[tokio::test]
async fn another_countys_meetings_are_out_of_reach() {
    let db = seeded().await;
    let (theirs, measure) = seed_meeting(&db.conn, QUYUAN, day(2025, 7, 1)).await;
    let quyuan = members(&db.conn, QUYUAN).await;
    let app = signed_in(&db, "xcb2", &[AccountRole::PropagandaStaff], YUNXI).await;
    for path in [
        format!("/study/meetings/{theirs}"),
        format!("/study/meetings/{theirs}/edit"),
        format!("/study/meetings/{theirs}/correct"),
        format!("/study/meetings/new?org={QUYUAN}"),
    ] {
        let (s, page) = app.get(&path).await;
        assert_eq!(s, 404, "{path}");
        assert!(!page.contains(&quyuan[0].name), "{path}");
    }
    let fields =
        [("org", QUYUAN), ("kind", "committee"), ("date", "2025-07-02"), ("content", "越界"), ("reason", "越界")];
    for path in [
        "/study/meetings".to_owned(),
        format!("/study/meetings/{theirs}"),
        format!("/study/meetings/{theirs}/archive"),
        format!("/study/meetings/{theirs}/correct"),
        format!("/study/meetings/{theirs}/measures"),
        format!("/study/meetings/{theirs}/measures/{measure}"),
    ] {
        let (s, _, page) = app.post_form(&path, &fields).await;
        assert!(matches!(s, 403 | 404 | 422), "{path}: {s}");
        assert!(!page.contains(&quyuan[0].name), "{path}");
    }
    let (_, list) = app.get("/study/meetings").await;
    assert!(!list.contains("屈原"), "not listed");
    let m = meetings::get(&db.conn, &Scope::system(), theirs).await.expect("theirs");
    assert!(m.archived_at.is_none() && m.measures.len() == 1, "unchanged");
    db.cleanup().await;
}

#[tokio::test]
async fn the_demo_holds_a_year_of_yueyanglou_meetings_with_exceptions_to_find() {
    let db = xuepei_testkit::TestDb::from_template("yueyanglou_1", async |conn| {
        xuepei::demo::seed(conn, 1, Some(&[xuepei::demo_meetings::COUNTY])).await.expect("seed");
    })
    .await;
    let s = xuepei::demo_meetings::seed_meetings(&db.conn).await.expect("meetings");
    assert!(s.meetings >= 30, "{s:?}");
    assert!(s.flagged >= 2 && s.flagged < s.meetings / 5, "a few exceptions: {s:?}");
    assert!(s.measures > 10, "{s:?}");
    let county = county_scope(&db.conn, xuepei::demo_meetings::COUNTY).await;
    let today = xuepei_domain::time::today();
    let mut rows = Vec::new();
    for year in [today.year() - 1, today.year()] {
        rows.extend(meetings::compliance(&db.conn, &county, "430602", year, None).await.expect("compliance"));
    }
    let total: u32 = rows.iter().map(|r| r.meetings).sum();
    assert_eq!(total as usize, s.meetings, "{rows:?}");
    assert!(rows.iter().filter(|r| r.org.code != "430602").count() >= 2, "street committees too: {rows:?}");
    let exceptions: usize = rows.iter().map(|r| r.exceptions.len()).sum();
    assert_eq!(exceptions, s.flagged);
    db.cleanup().await;
}

#[tokio::test]
async fn hostile_form_input_is_refused_with_reasons_and_nothing_written() {
    let db = seeded().await;
    let county = members(&db.conn, YUNXI).await;
    let people: Vec<(String, String)> = county.iter().map(|p| (p.id.to_string(), p.name.clone())).collect();
    let app = signed_in(&db, "xcb3", &[AccountRole::PropagandaStaff], YUNXI).await;
    let huge = "研".repeat(20_001);
    let many = vec!["议题"; 45].join("\n");
    let ctrl = "学习\u{1}内容";
    let duplicate = format!("{} 出差", county[0].name);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("study_notes", huge.as_str())], "研讨记录超过20000个字"),
        (vec![("other_items", many.as_str())], "超过40项"),
        (vec![("study_reference", ctrl)], "控制字符"),
        (vec![("absentees", duplicate.as_str())], "同时列为出席和缺席"),
        (vec![("chair", "abc")], "请从列表中选择主持人"),
        (vec![("study_lead", "999999999")], "不是本单位（云溪区）的人员"),
        (vec![("study_material", "999999999")], "学习资料（编号999999999）不存在"),
        (vec![("kind", "<script>")], "script&#62;”无效，可选"),
    ];
    for (extra, expected) in &cases {
        let mut fields: Vec<(&str, &str)> = form_fields(&people, "2025-08-05")
            .into_iter()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .collect();
        fields.extend(extra.iter().copied());
        let (s, _, page) = app.post_form("/study/meetings", &fields).await;
        assert_eq!(s, 422, "{expected}");
        assert!(page.contains(expected), "{expected}");
        assert!(!page.contains("<script>"), "escaped");
    }
    for path in ["/study/meetings/abc", "/study/meetings/-1", "/study/meetings/99999999999999999999"] {
        let (s, _) = app.get(path).await;
        assert_eq!(s, 404, "{path}");
    }
    let (s, _) = app.get("/study/meetings?year=abc&month=99&kind=zzz&compliant=maybe&after=bad").await;
    assert!(matches!(s, 200 | 400 | 422), "a bad filter is ignored or refused, never a 500: {s}");
    assert_eq!(count(&db.conn).await, 0, "nothing written");
    db.cleanup().await;
}

#[tokio::test]
async fn absent_people_neither_chair_lead_the_study_nor_speak() {
    let db = seeded().await;
    let people = members(&db.conn, YUNXI).await;
    let today = xuepei_domain::time::today();
    let mut input = study_meeting(YUNXI, today, &people);
    // The chair and lead learner, and a speaker, listed as absent.
    input.attendees = vec![PersonKey::Id(people[2].id)];
    input.absentees =
        vec![(PersonKey::Id(people[0].id), "外出开会".into()), (PersonKey::Id(people[1].id), "请假".into())];
    let e =
        write(&db.conn, &Scope::system(), async |tx| meetings::create(tx, &input).await).await.expect_err("refused");
    let r = e.reasons();
    for want in [
        format!("{}已登记为缺席，不能担任主持人", people[0].name),
        format!("{}已登记为缺席，不能担任第1项议题的领学人", people[0].name),
        format!("{}已登记为缺席，不能作为第1项议题的研讨发言人", people[1].name),
    ] {
        assert!(r.contains(&want), "{want}: {r}");
    }
    assert_eq!(count(&db.conn).await, 0, "nothing written");
    // The same on the form.
    let app = signed_in(&db, "xcb", &[AccountRole::PropagandaStaff], YUNXI).await;
    let ids: Vec<(String, String)> = people.iter().map(|p| (p.id.to_string(), p.name.clone())).collect();
    let day = today.to_string();
    let mut fields: Vec<(&str, &str)> =
        form_fields(&ids, &day).into_iter().filter(|(k, _)| *k != "attendees").collect();
    let away = format!("{} 外出开会", people[0].name);
    fields.push(("absentees", &away));
    let (s, _, page) = app.post_form("/study/meetings", &fields).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains(&format!("{}已登记为缺席，不能担任主持人", people[0].name)), "{page}");
    assert_eq!(count(&db.conn).await, 0);
    db.cleanup().await;
}

#[tokio::test]
async fn a_study_item_gets_its_name_from_the_study_without_doubling_and_is_not_asked_for_one() {
    let db = seeded().await;
    let people = members(&db.conn, YUNXI).await;
    let today = xuepei_domain::time::today();
    let mut input = study_meeting(YUNXI, today, &people);
    if let Some(s) = input.agenda[0].study.as_mut() {
        s.title = "学习习近平总书记关于基层治理的重要论述".into();
    }
    let m = write(&db.conn, &Scope::system(), async |tx| meetings::create(tx, &input).await).await.expect("meeting");
    assert_eq!(m.items[0].title, "学习习近平总书记关于基层治理的重要论述", "not 学习学习…");
    // Saved empty on the form (the first item ticked as study, as the new form comes):
    // told what the study lacks, not that the item has no name.
    let app = signed_in(&db, "xcb", &[AccountRole::PropagandaStaff], YUNXI).await;
    let (s, _, page) = app.post_form("/study/meetings", &[("org", YUNXI), ("first_is_study", "1")]).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("学习内容没有标题"), "{page}");
    assert!(!page.contains("没有名称"), "the placeholder says a study item's name may be left empty: {page}");
    db.cleanup().await;
}

#[tokio::test]
async fn the_meeting_pages_say_what_a_new_user_needs() {
    let db = seeded().await;
    let today = xuepei_domain::time::today();
    let held = today - Days::new(40);
    let (late, _) = seed_meeting(&db.conn, YUNXI, held).await;
    let people = members(&db.conn, YUNXI).await;
    // A measure due ten days ago and not done: overdue.
    write(&db.conn, &Scope::system(), async |tx| {
        meetings::add_measure(
            tx,
            late,
            &MeasureInput {
                content: "完成防汛物资储备".into(),
                owner: Some(PersonKey::Id(people[1].id)),
                status: "in_progress".into(),
                due_on: Some(today - Days::new(10)),
                done_on: None,
            },
        )
        .await
    })
    .await
    .expect("measure");
    let secretary = signed_in(&db, "shuji", &[AccountRole::UnitSecretary], YUNXI).await;
    let (s, page) = secretary.get(&format!("/study/meetings/{late}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("已逾期"), "an overdue measure is flagged: {page}");
    assert_eq!(page.matches("已逾期</span>").count(), 1, "only the overdue one (the other has no due date)");
    assert!(!page.contains("<option value=\"\">未开始"), "未开始 is offered once, as the real status");
    assert_eq!(page.matches(">未开始</option>").count(), 3, "one per status select (two measures and the new one)");
    assert!(page.contains("name=\"due_on\"") && page.contains("type=\"date\""), "date pickers");
    assert!(page.contains(&format!("max=\"{today}\"")), "no finishing date after today");
    // The new meeting form: a date picker up to today.
    let (_, page) = secretary.get("/study/meetings/new").await;
    assert!(page.contains(&format!("type=\"date\" max=\"{today}\"")), "{page}");
    // Archived by the secretary: told who corrects it; the edit page says so too.
    let (open, _) = seed_meeting(&db.conn, YUNXI, today).await;
    let (s, loc, _) = secretary.post_form(&format!("/study/meetings/{open}/archive"), &[]).await;
    assert_eq!(s, 303);
    let (_, page) = secretary.get(&loc.expect("location")).await;
    assert!(page.contains("请联系宣传部门更正") && !page.contains("此后只能通过"), "{page}");
    let (s, page) = secretary.get(&format!("/study/meetings/{open}/edit")).await;
    assert_eq!(s, 200, "not a silent redirect");
    assert!(page.contains("已归档，不能再直接修改") && page.contains("请联系宣传部门更正"), "{page}");
    // A flagged meeting: 第一议题不合规 in full, everywhere.
    let mut business = study_meeting(YUNXI, today - Days::new(1), &people);
    business.agenda.swap(0, 1);
    write(&db.conn, &Scope::system(), async |tx| meetings::create(tx, &business).await).await.expect("flagged");
    let (_, list) = secretary.get("/study/meetings").await;
    assert!(list.contains("第一议题不合规"), "{list}");
    assert!(!list.replace("第一议题不合规", "").contains("一议题不合规"), "never the clipped 一议题不合规");
    // Filters: a bad or future year is refused, an unknown organisation is told.
    for (q, want) in [
        ("year=abc", "年份“abc”有误"),
        ("year=2099", "尚未到来"),
        ("year=1999", "过早"),
        ("year=2025&month=13", "月份"),
    ] {
        let (s, page) = secretary.get(&format!("/study/meetings?{q}")).await;
        assert_eq!(s, 400, "{q}");
        assert!(page.contains(want), "{q}: {page}");
    }
    let (s, page) = secretary.get("/study/meetings?org=999").await;
    assert_eq!(s, 200);
    assert!(page.contains("组织代码“999”不存在或不在您的管理范围内"), "{page}");
    db.cleanup().await;
}

#[tokio::test]
async fn the_demo_meetings_hold_no_absentee_who_chairs_leads_or_speaks() {
    let db = xuepei_testkit::TestDb::from_template("yueyanglou_1", async |conn| {
        xuepei::demo::seed(conn, 1, Some(&[xuepei::demo_meetings::COUNTY])).await.expect("seed");
    })
    .await;
    xuepei::demo_meetings::seed_meetings(&db.conn).await.expect("meetings");
    let county = county_scope(&db.conn, xuepei::demo_meetings::COUNTY).await;
    let page = meetings::list(&db.conn, &county, &MeetingFilter::default(), At::First, 500).await.expect("list");
    let mut absences = 0;
    for row in page.items {
        let m = meetings::get(&db.conn, &county, row.id).await.expect("meeting");
        let absent: Vec<i64> = m.absent().map(|a| a.person.id).collect();
        absences += absent.len();
        assert!(!absent.contains(&m.chair.id), "{}", m.title());
        for s in m.items.iter().filter_map(|i| i.study.as_ref()) {
            assert!(!absent.contains(&s.lead.id), "{}", m.title());
            assert!(s.speakers.iter().all(|p| !absent.contains(&p.id)), "{}", m.title());
        }
        assert!(m.items.iter().all(|i| !i.title.starts_with("学习学习")), "{:?}", m.items[0].title);
    }
    assert!(absences > 0, "the demo still has absences to show");
    db.cleanup().await;
}

#[tokio::test]
async fn a_sealed_meetings_measures_are_followed_up_not_rewritten() {
    let db = seeded().await;
    let people = members(&db.conn, TOWN).await;
    let today = xuepei_domain::time::today();
    let (id, mid) = seed_meeting(&db.conn, TOWN, today).await;
    let town = county_scope(&db.conn, TOWN).await;
    write(&db.conn, &town, async |tx| meetings::archive(tx, id).await).await.expect("archive");
    let same = MeasureInput {
        content: "制定产业帮扶工作方案".into(),
        owner: Some(PersonKey::Id(people[1].id)),
        status: "done".into(),
        due_on: None,
        done_on: Some(today),
    };
    let rewrite = async |input: MeasureInput| {
        write(&db.conn, &town, async |tx| meetings::update_measure(tx, id, mid, &input).await).await
    };
    for (input, word) in [
        (MeasureInput { content: "另写一项措施".into(), ..same.clone() }, "措施内容"),
        (MeasureInput { owner: Some(PersonKey::Id(people[2].id)), ..same.clone() }, "责任人"),
        (MeasureInput { due_on: Some(today), ..same.clone() }, "完成时限"),
    ] {
        let e = rewrite(input).await.expect_err("rewritten");
        assert!(matches!(&e, StoreError::Forbidden(m) if m.contains(word) && m.contains("已封存")), "{e:?}");
    }
    let x = rewrite(same.clone()).await.expect("the follow-up");
    use xuepei_domain::labels::Labeled;
    assert_eq!((x.content.as_str(), x.owner.id, x.status.code()), ("制定产业帮扶工作方案", people[1].id, "done"));
    db.cleanup().await;
}

#[tokio::test]
async fn a_corrected_meeting_stays_sealed_even_with_a_recent_date() {
    let db = seeded().await;
    let people = members(&db.conn, TOWN).await;
    let today = xuepei_domain::time::today();
    let old = today - Days::new(120);
    let (id, _) = seed_meeting(&db.conn, TOWN, old).await;
    assert!(meetings::get(&db.conn, &Scope::system(), id).await.expect("meeting").closed, "closed by age");
    let fixed = study_meeting(TOWN, today, &people);
    let m = write(&db.conn, &Scope::system(), async |tx| meetings::correct(tx, id, &fixed, "会议日期记录有误").await)
        .await
        .expect("corrected");
    assert_eq!(m.held_on, today);
    assert!(m.closed, "still sealed after the correction");
    let e = write(&db.conn, &Scope::system(), async |tx| meetings::update(tx, id, &fixed).await)
        .await
        .expect_err("no plain edit");
    assert!(matches!(e, StoreError::Forbidden(_)), "{e:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn records_older_than_last_year_are_not_entered_and_api_bodies_are_objects_with_plain_dates() {
    let db = seeded().await;
    let app = TestApp::spawn(&db).await;
    let yunxi = token(&db.conn, YUNXI).await;
    let county = members(&db.conn, YUNXI).await;
    let today = xuepei_domain::time::today();
    let earliest = xuepei_domain::study::meetings::earliest_entry(today);
    let too_old = (earliest - Days::new(1)).to_string();
    for date in [too_old.as_str(), "1991-01-01"] {
        let (s, e) =
            call(&app, "POST", "/api/v1/meetings", &yunxi, Some(body(YUNXI, date, &county, true).to_string())).await;
        assert_eq!(s, 422, "{date}: {e}");
        assert!(e.to_string().contains(&earliest.to_string()), "names the earliest day: {e}");
    }
    // Not a JSON object, or a date with a sign: refused, never read as something else.
    for b in ["[]", "[1, 2]", "\"x\""] {
        let (s, e) = call(&app, "POST", "/api/v1/meetings", &yunxi, Some(b.to_owned())).await;
        assert_eq!(s, 400, "{b}: {e}");
        assert!(e.to_string().contains("请求体应为 JSON 对象"), "{e}");
    }
    let signed = format!("+00{}", earliest.format("%Y-%m-%d"));
    let (s, e) =
        call(&app, "POST", "/api/v1/meetings", &yunxi, Some(body(YUNXI, &signed, &county, true).to_string())).await;
    assert_eq!(s, 422, "{e}");
    assert!(e.to_string().contains("格式有误"), "{e}");
    assert_eq!(count(&db.conn).await, 0, "nothing written");
    // The earliest day itself is fine; a plain edit may not move it further back.
    let (s, made) = call(
        &app,
        "POST",
        "/api/v1/meetings",
        &yunxi,
        Some(body(YUNXI, &earliest.to_string(), &county, true).to_string()),
    )
    .await;
    assert_eq!(s, 201, "{made}");
    let town = members(&db.conn, TOWN).await;
    let e = write(&db.conn, &Scope::system(), async |tx| {
        meetings::create(tx, &study_meeting(TOWN, day(1990, 1, 1), &town)).await
    })
    .await
    .expect_err("backdated");
    assert!(reasons_of(&e).contains("只能登记本年度和上一年度的记录"), "{}", reasons_of(&e));
    db.cleanup().await;
}

fn reasons_of(e: &StoreError) -> String {
    e.reasons()
}
