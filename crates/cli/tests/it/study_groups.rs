//! Central study groups (理论学习中心组): members of the committee's own people, plans on
//! their route (a unit cannot approve what goes to the body above it; approved plans change
//! only by a correction with a reason), sessions with attendance of members only and the
//! rate against the rules, the ledger's tally, the API's sessions, and another county's
//! groups out of reach.

use chrono::{Datelike, Days};
use serde_json::{Value, json};
use xuepei_domain::study::groups::{GroupRules, PlanAction, PlanState, Presence};
use xuepei_store::meetings::{PersonKey, PersonLabel};
use xuepei_store::study_groups::plans::{self, PlanInput, Topic};
use xuepei_store::study_groups::reports::{self, ReportInput};
use xuepei_store::study_groups::sessions::{self, SessionInput};
use xuepei_store::study_groups::{self, GroupInput, ledger, rules};
use xuepei_store::{DatabaseConnection, Scope, StoreError, audit, tokens};
use xuepei_testkit::TestApp;

use crate::meetings::members;
use crate::support::*;

/// 长岭街道 of 云溪区: its committee's people make the group.
const TOWN: &str = "430603001";

fn reasons(e: &StoreError) -> String {
    e.reasons()
}

fn group_input(people: &[PersonLabel]) -> GroupInput {
    GroupInput {
        org: TOWN.into(),
        name: String::new(),
        approver: YUNXI.into(),
        members: vec![
            (PersonKey::Id(people[0].id), "组长".into()),
            (PersonKey::Id(people[1].id), "deputy".into()),
            (PersonKey::Id(people[2].id), String::new()),
            (PersonKey::Id(people[3].id), "列席".into()),
        ],
    }
}

/// A group of 长岭街道 written as the operator.
async fn seed_group(db: &DatabaseConnection) -> (i64, Vec<PersonLabel>) {
    let people = members(db, TOWN).await;
    assert!(people.len() >= 4, "{people:?}");
    let g = write(db, &Scope::system(), async |tx| study_groups::create(tx, &group_input(&people)).await)
        .await
        .expect("group");
    (g.id, people)
}

/// 长岭街道's group with a plan, a session, a report and its own rules (the move test).
/// Returns (group, plan, session, report).
pub async fn seed_under_town(db: &DatabaseConnection) -> (i64, i64, i64, i64) {
    let (group, people) = seed_group(db).await;
    let year = xuepei_domain::time::today().year();
    write(db, &Scope::system(), async |tx| {
        let plan = plans::create(tx, group, &annual(year)).await?;
        let s = sessions::create(tx, group, &session(&people, 1, "学习党章")).await?;
        let r = reports::create(
            tx,
            group,
            &ReportInput {
                year: Some(year),
                kind: "research".into(),
                person: Some(PersonKey::Id(people[1].id)),
                title: "街道基层治理调研".into(),
                ..Default::default()
            },
        )
        .await?;
        rules::set(tx, TOWN, GroupRules { sessions_per_year: 10, thematic_per_year: 2, attendance_min: 85 }).await?;
        Ok((group, plan.id, s.id, r.id))
    })
    .await
    .expect("study group records")
}

fn annual(year: i32) -> PlanInput {
    PlanInput {
        year: Some(year),
        kind: "annual".into(),
        title: String::new(),
        topics: vec![Topic { month: 1, topic: "学习党的二十大精神".into() }, Topic { month: 2, topic: String::new() }],
        body: String::new(),
    }
}

fn session(people: &[PersonLabel], days_ago: u64, topic: &str) -> SessionInput {
    SessionInput {
        date: Some(xuepei_domain::time::today() - Days::new(days_ago)),
        topic: topic.into(),
        thematic: true,
        lead: Some(PersonKey::Id(people[0].id)),
        attendance: vec![
            (PersonKey::Id(people[0].id), "出席".into(), String::new()),
            (PersonKey::Id(people[1].id), "leave".into(), "因公出差".into()),
            (PersonKey::Id(people[3].id), String::new(), String::new()),
        ],
        speeches: vec![(PersonKey::Id(people[3].id), "结合分管工作谈学习体会".into())],
        notes: "围绕乡村振兴开展研讨。".into(),
        materials: Vec::new(),
    }
}

#[tokio::test]
async fn a_group_is_made_of_its_committees_own_people() {
    let db = seeded().await;
    let people = members(&db.conn, TOWN).await;
    let stranger = members(&db.conn, QUYUAN).await;
    let sys = Scope::system();
    let bad = GroupInput {
        org: TOWN.into(),
        name: String::new(),
        approver: QUYUAN.into(),
        members: vec![
            (PersonKey::Id(stranger[0].id), "成员".into()),
            (PersonKey::Id(people[0].id), "秘书长".into()),
            (PersonKey::Id(people[1].id), "列席".into()),
            (PersonKey::Id(people[1].id), "成员".into()),
        ],
    };
    let e = write(&db.conn, &sys, async |tx| study_groups::create(tx, &bad).await).await.expect_err("refused");
    let r = reasons(&e);
    for want in ["不是本单位或其上级单位", "不是本单位", "秘书长", "重复列入"] {
        assert!(r.contains(want), "{want}: {r}");
    }
    let only_attendees =
        GroupInput { members: vec![(PersonKey::Id(people[0].id), "列席".into())], ..group_input(&people) };
    let e =
        write(&db.conn, &sys, async |tx| study_groups::create(tx, &only_attendees).await).await.expect_err("no member");
    assert!(reasons(&e).contains("至少选择一名中心组成员"), "{}", reasons(&e));
    let g =
        write(&db.conn, &sys, async |tx| study_groups::create(tx, &group_input(&people)).await).await.expect("group");
    assert!(g.name.ends_with("理论学习中心组"), "{}", g.name);
    assert_eq!((g.members.len(), g.expected(), g.approver.code.as_str()), (4, 3, YUNXI), "列席 not expected");
    let e = write(&db.conn, &sys, async |tx| study_groups::create(tx, &group_input(&people)).await)
        .await
        .expect_err("one group per organisation");
    assert!(reasons(&e).contains("已有理论学习中心组"), "{}", reasons(&e));
    // Without an approving body the group reports to the organisation above.
    let town = by_code(&db.conn, TOWN).await;
    let edited = GroupInput { approver: String::new(), ..group_input(&people) };
    let g = write(&db.conn, &sys, async |tx| study_groups::update(tx, g.id, &edited).await).await.expect("edit");
    assert_eq!(Some(g.approver.id), town.parent_id);
    // Another county's scope does not see it.
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    assert!(matches!(study_groups::get(&db.conn, &quyuan, g.id).await, Err(StoreError::NotFound(_))));
    db.cleanup().await;
}

#[tokio::test]
async fn a_plan_goes_up_its_route_and_changes_only_by_correction_once_approved() {
    let db = seeded().await;
    let (group, _) = seed_group(&db.conn).await;
    let year = xuepei_domain::time::today().year();
    let town = county_scope(&db.conn, TOWN).await;
    let county = county_scope(&db.conn, YUNXI).await;
    let e =
        write(&db.conn, &town, async |tx| plans::create(tx, group, &annual(year - 1)).await).await.expect_err("past");
    assert!(reasons(&e).contains("已经结束"), "{}", reasons(&e));
    let p = write(&db.conn, &town, async |tx| plans::create(tx, group, &annual(year)).await).await.expect("draft");
    assert_eq!((p.state, p.topics.len()), (PlanState::Draft, 1), "empty months dropped");
    assert!(p.title.contains(&format!("{year}年度学习计划")), "{}", p.title);
    let e = write(&db.conn, &town, async |tx| plans::create(tx, group, &annual(year)).await).await.expect_err("second");
    assert!(reasons(&e).contains("每年只制定一份"), "{}", reasons(&e));
    let step = async |scope: &Scope, action, comments: &str| {
        write(&db.conn, scope, async |tx| plans::act(tx, p.id, action, comments).await).await
    };
    assert!(step(&county, PlanAction::Approve, "").await.is_err(), "not submitted yet");
    assert_eq!(step(&town, PlanAction::Submit, "").await.expect("submit").state, PlanState::Submitted);
    let e = write(&db.conn, &town, async |tx| plans::update(tx, p.id, &annual(year)).await).await.expect_err("locked");
    assert!(matches!(e, StoreError::Forbidden(_)), "{e:?}");
    // The town may not decide on what it files with the district.
    let e = step(&town, PlanAction::Approve, "").await.expect_err("not the approver");
    assert!(matches!(&e, StoreError::Forbidden(m) if m.contains("云溪区")), "{e:?}");
    let e = step(&county, PlanAction::Return, "  ").await.expect_err("comments needed");
    assert!(reasons(&e).contains("修改意见"), "{}", reasons(&e));
    let back = step(&county, PlanAction::Return, "请补充专题研讨安排").await.expect("return");
    assert_eq!((back.state, back.comments.as_str()), (PlanState::Returned, "请补充专题研讨安排"));
    let mut changed = annual(year);
    changed.topics.push(Topic { month: 6, topic: "专题研讨：基层治理".into() });
    write(&db.conn, &town, async |tx| plans::update(tx, p.id, &changed).await).await.expect("edit returned");
    step(&town, PlanAction::Submit, "").await.expect("resubmit");
    assert_eq!(plans::awaiting(&db.conn, &county).await.expect("inbox").len(), 1);
    assert!(plans::awaiting(&db.conn, &town).await.expect("town inbox").is_empty(), "not the town's to decide");
    assert_eq!(step(&county, PlanAction::Approve, "同意").await.expect("approve").state, PlanState::Approved);
    assert!(step(&county, PlanAction::Approve, "").await.is_err(), "once");
    let e = write(&db.conn, &town, async |tx| plans::update(tx, p.id, &changed).await).await.expect_err("read-only");
    assert!(matches!(&e, StoreError::Forbidden(m) if m.contains("更正")), "{e:?}");
    let e =
        write(&db.conn, &county, async |tx| plans::correct(tx, p.id, &changed, " ").await).await.expect_err("reason");
    assert!(reasons(&e).contains("更正原因"), "{}", reasons(&e));
    changed.topics[0].topic = "学习习近平新时代中国特色社会主义思想".into();
    let fixed = write(&db.conn, &county, async |tx| plans::correct(tx, p.id, &changed, "根据上级通知调整专题").await)
        .await
        .expect("correct");
    assert_eq!(
        (fixed.state, fixed.topics[0].topic.as_str()),
        (PlanState::Approved, "学习习近平新时代中国特色社会主义思想")
    );
    let trail = audit::search(&db.conn, &Scope::system(), &Default::default(), None, 50).await.expect("audit");
    let text = format!("{:?}", trail.items);
    assert!(text.contains("根据上级通知调整专题") && text.contains("study_plan.approve"), "audited");
    db.cleanup().await;
}

#[tokio::test]
async fn sessions_record_attendance_of_the_groups_people_only() {
    let db = seeded().await;
    let (group, people) = seed_group(&db.conn).await;
    let stranger = members(&db.conn, YUNXI).await;
    let town = county_scope(&db.conn, TOWN).await;
    let s = write(&db.conn, &town, async |tx| {
        sessions::create(tx, group, &session(&people, 3, "学习乡村振兴重要论述")).await
    })
    .await
    .expect("session");
    // Leader present, deputy on leave, member left out (absent), attendee present but not counted.
    assert_eq!((s.present, s.expected, s.rate), (1, 3, Some(33.3)));
    assert_eq!(s.with(Presence::Absent).count(), 1, "the member left out");
    assert!(!s.closed);
    let mut bad = session(&people, 2, "学习党章");
    bad.attendance.push((PersonKey::Id(stranger[0].id), "出席".into(), String::new()));
    bad.attendance[1].2.clear();
    bad.date = Some(xuepei_domain::time::today() + Days::new(1));
    let e = write(&db.conn, &town, async |tx| sessions::create(tx, group, &bad).await).await.expect_err("refused");
    let r = reasons(&e);
    for want in ["晚于今天", "不是", "请假事由"] {
        assert!(r.contains(want), "{want}: {r}");
    }
    let e = write(&db.conn, &town, async |tx| {
        sessions::create(tx, group, &session(&people, 3, "学习乡村振兴重要论述")).await
    })
    .await
    .expect_err("duplicate");
    assert!(reasons(&e).contains("请勿重复登记"), "{}", reasons(&e));
    let closed = write(&db.conn, &town, async |tx| sessions::close(tx, s.id).await).await.expect("close");
    assert!(closed.closed);
    let e = write(&db.conn, &town, async |tx| sessions::update(tx, s.id, &session(&people, 3, "改")).await)
        .await
        .expect_err("closed");
    assert!(matches!(e, StoreError::Forbidden(_)), "{e:?}");
    let fixed = write(&db.conn, &town, async |tx| {
        sessions::correct(tx, s.id, &session(&people, 3, "学习乡村振兴重要论述（补录）"), "补录主题").await
    })
    .await
    .expect("correct");
    assert!(fixed.topic.ends_with("（补录）"));
    // A session more than 30 days old is closed without being closed by hand.
    let old = write(&db.conn, &town, async |tx| sessions::create(tx, group, &session(&people, 40, "学习党史")).await)
        .await
        .expect("old");
    assert!(old.closed);
    // Search finds the speeches.
    let found = xuepei_store::search::search(&db.conn, &town, "学习体会", None, 1, 20).await.expect("search");
    assert!(found.items.iter().any(|h| h.kind == "speech" && h.id == s.id), "{:?}", found.items);
    // The lead learner is not deleted from under the record: the refusal says what holds them.
    let e = write(&db.conn, &town, async |tx| xuepei_store::people::delete(tx, people[0].id).await)
        .await
        .expect_err("held");
    assert!(matches!(&e, StoreError::Conflict(m) if m.contains("领学的中心组学习记录")), "{e:?}");
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    assert!(matches!(sessions::get(&db.conn, &quyuan, s.id).await, Err(StoreError::NotFound(_))));
    db.cleanup().await;
}

#[tokio::test]
async fn the_ledger_tallies_the_year_against_rules_an_administrator_sets() {
    let db = seeded().await;
    let (group, people) = seed_group(&db.conn).await;
    let county = county_scope(&db.conn, YUNXI).await;
    let today = xuepei_domain::time::today();
    write(&db.conn, &county, async |tx| {
        // Within this year: day 0 is today, the other a few days before (never last year's).
        sessions::create(tx, group, &session(&people, 0, "学习一")).await?;
        let back = u64::from(today.ordinal0().min(5));
        sessions::create(tx, group, &SessionInput { thematic: false, ..session(&people, back, "学习二") }).await?;
        reports::create(
            tx,
            group,
            &ReportInput {
                year: Some(today.year()),
                kind: "annual".into(),
                person: Some(PersonKey::Id(people[0].id)),
                title: String::new(),
                body: "本年度学习情况。".into(),
                done_on: None,
            },
        )
        .await
    })
    .await
    .expect("records");
    let e = write(&db.conn, &county, async |tx| {
        rules::set(tx, YUNXI, GroupRules { sessions_per_year: 2, thematic_per_year: 3, attendance_min: 0 }).await
    })
    .await
    .expect_err("bad rules");
    assert!(reasons(&e).contains("专题研讨次数不能多于") && reasons(&e).contains("出勤率下限"), "{}", reasons(&e));
    let l = ledger::ledger(&db.conn, &county, group, today.year()).await.expect("ledger");
    assert_eq!((l.sessions.len(), l.tally.sessions, l.tally.thematic), (2, 2, 1));
    assert_eq!(l.rules, GroupRules::default());
    assert_eq!(l.reports.len(), 1);
    assert!(l.tally.below, "33% is under 80%");
    // The district may not lower what the default requires; the administrator may.
    let low = GroupRules { sessions_per_year: 1, thematic_per_year: 1, attendance_min: 30 };
    let e = write(&db.conn, &county, async |tx| rules::set(tx, YUNXI, low).await).await.expect_err("lowered");
    assert!(reasons(&e).contains("本级只能提高要求，不能降低"), "{}", reasons(&e));
    write(&db.conn, &Scope::system(), async |tx| rules::set(tx, YUNXI, low).await).await.expect("rules");
    let l = ledger::ledger(&db.conn, &county, group, today.year()).await.expect("ledger");
    assert_eq!(l.rules.attendance_min, 30);
    assert!(l.tally.shortfalls.is_empty() && !l.tally.below, "{:?}", l.tally);
    // The town's scope sees the district's rule but may not set one for the district.
    let town = county_scope(&db.conn, TOWN).await;
    assert!(rules::list(&db.conn, &town).await.expect("rules").iter().any(|r| r.attendance_min == 30));
    let e =
        write(&db.conn, &town, async |tx| rules::set(tx, YUNXI, GroupRules::default()).await).await.expect_err("above");
    assert!(reasons(&e).contains("不在您的管理范围内"), "{}", reasons(&e));
    db.cleanup().await;
}

async fn token(db: &DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        tokens::issue(tx, "中心组对接", o.id, true, None, tokens::OPERATOR_ISSUER).await
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

#[tokio::test]
async fn the_api_lists_groups_and_records_sessions_by_identity_number() {
    let db = seeded().await;
    let (group, people) = seed_group(&db.conn).await;
    let app = TestApp::spawn(&db).await;
    let ours = token(&db.conn, YUNXI).await;
    let theirs = token(&db.conn, QUYUAN).await;
    let (status, list) = call(&app, "GET", "/api/v1/study-groups", &ours, None).await;
    assert_eq!(status, 200, "{list}");
    let g = list["items"].as_array().expect("items").iter().find(|g| g["id"] == group).expect("listed").clone();
    assert_eq!(g["org"], TOWN);
    assert_eq!(g["members"][3]["role"], "attendee");
    let (_, other) = call(&app, "GET", "/api/v1/study-groups", &theirs, None).await;
    assert!(other["items"].as_array().expect("items").is_empty(), "{other}");
    let date = (xuepei_domain::time::today() - Days::new(1)).to_string();
    let path = format!("/api/v1/study-groups/{group}/sessions");
    let body = json!({
        "date": date, "topic": "专题研讨：党的自我革命", "thematic": true, "lead": people[0].id_number,
        "attendance": [
            { "id_number": people[0].id_number, "presence": "present" },
            { "id_number": people[1].id_number, "presence": "present" },
            { "id_number": people[2].id_number, "presence": "leave", "reason": "参加培训" }
        ],
        "speeches": [{ "id_number": people[1].id_number, "summary": "谈了学习体会" }]
    });
    let (status, made) = call(&app, "POST", &path, &ours, Some(body.clone())).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!((made["present"].as_u64(), made["expected"].as_u64()), (Some(2), Some(3)));
    assert_eq!(made["attendance_rate"].as_f64(), Some(66.7));
    let (status, again) = call(&app, "POST", &path, &ours, Some(body.clone())).await;
    assert_eq!(status, 422, "duplicate: {again}");
    let mut bad = body.clone();
    bad["topic"] = json!("另一主题");
    bad["attendance"][0]["presence"] = json!("maybe");
    bad["speeches"][0]["id_number"] = json!(members(&db.conn, YUNXI).await[0].id_number);
    bad["lead"] = json!("");
    let (status, err) = call(&app, "POST", &path, &ours, Some(bad)).await;
    assert_eq!(status, 422, "{err}");
    let text = err.to_string();
    for want in ["maybe", "领学人", "不是"] {
        assert!(text.contains(want), "{want}: {text}");
    }
    let (status, _) = call(&app, "POST", &path, &ours, Some(json!({ "date": date, "oops": 1 }))).await;
    assert_eq!(status, 400, "unknown field");
    let (status, read) = call(&app, "GET", &path, &ours, None).await;
    assert_eq!(status, 200);
    let items = read["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "nothing half-written: {read}");
    assert_eq!(items[0]["attendance"][2]["presence"], "leave");
    // Another county's token: the group does not exist for it.
    for method in ["GET", "POST"] {
        let (status, e) = call(&app, method, &path, &theirs, (method == "POST").then(|| body.clone())).await;
        assert_eq!(status, 404, "{method}: {e}");
    }
    let (status, _) = call(&app, "GET", "/api/v1/study-groups/abc/sessions", &ours, None).await;
    assert_eq!(status, 404);
    let (status, _) = call(&app, "GET", &format!("{path}?year=20x6"), &ours, None).await;
    assert_eq!(status, 400);
    db.cleanup().await;
}

#[tokio::test]
async fn the_demo_holds_groups_with_one_short_of_sessions() {
    let db = xuepei_testkit::TestDb::from_template("yueyanglou_1", async |conn| {
        xuepei::demo::seed(conn, 1, Some(&[xuepei::demo_meetings::COUNTY])).await.expect("seed");
    })
    .await;
    let s = xuepei::demo_study_groups::seed_study_groups(&db.conn).await.expect("groups");
    assert_eq!(s.groups, 3, "{s:?}");
    assert!(s.sessions >= 20 && s.reports >= 6, "{s:?}");
    assert!(!s.short.is_empty(), "a group short of sessions to find: {s:?}");
    let county = county_scope(&db.conn, xuepei::demo_meetings::COUNTY).await;
    let waiting = plans::awaiting(&db.conn, &county).await.expect("inbox");
    assert_eq!(waiting.len(), 1, "one street's plan waits for the district");
    db.cleanup().await;
}

#[tokio::test]
async fn the_pages_show_a_group_take_its_plan_up_the_route_and_print_its_ledger() {
    let db = seeded().await;
    let (group, plan, session, report) = seed_under_town(&db.conn).await;
    let town = signed_in(&db, "zxz_town", &[xuepei_domain::accounts::AccountRole::UnitSecretary], TOWN).await;
    let county = signed_in(&db, "zxz_county", &[xuepei_domain::accounts::AccountRole::PropagandaStaff], YUNXI).await;
    let year = xuepei_domain::time::today().year();
    for path in [
        "/study/groups".to_owned(),
        format!("/study/groups/{group}"),
        format!("/study/plans/{plan}"),
        format!("/study/sessions/{session}"),
        format!("/study/reports/{report}"),
        format!("/study/groups/{group}/ledger?year={year}"),
        "/study/group-rules".to_owned(),
    ] {
        let (status, page) = county.get(&path).await;
        assert_eq!(status, 200, "{path}: {page}");
        assert!(page.contains("长岭街道"), "{path} names the group's organisation");
    }
    let (_, ledger) = county.get(&format!("/study/groups/{group}/ledger?year={year}")).await;
    assert!(ledger.contains("学习党章") && ledger.contains("因公出差"), "sessions and leave in the ledger");
    // The unit submits; the district returns without comments (refused), then approves.
    let (status, _, _) = town.post_form(&format!("/study/plans/{plan}/submit"), &[]).await;
    assert_eq!(status, 303);
    let (_, inbox) = county.get("/study/plans/awaiting").await;
    assert!(inbox.contains(&format!("/study/plans/{plan}")), "waiting in the district's inbox");
    let (status, _, page) = town.post_form(&format!("/study/plans/{plan}/approve"), &[]).await;
    assert!(matches!(status, 403 | 422), "the unit does not approve what it files: {status} {page}");
    let (status, _, page) = county.post_form(&format!("/study/plans/{plan}/return"), &[("comments", " ")]).await;
    assert_eq!(status, 422);
    assert!(page.contains("修改意见"), "{page}");
    let (status, _, _) = county.post_form(&format!("/study/plans/{plan}/approve"), &[("comments", "同意")]).await;
    assert_eq!(status, 303);
    let p = plans::get(&db.conn, &Scope::system(), plan).await.expect("plan");
    assert_eq!(p.state, PlanState::Approved);
    // The ledger's Excel: one sheet per part of the book.
    let csrf = county.csrf().await;
    let r = county
        .raw
        .post(county.url(&format!("/study/groups/{group}/ledger/export?year={year}")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("export");
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.expect("bytes");
    let wb = xuepei_office::read::Workbook::open(xuepei_office::read::Source::Bytes(bytes.to_vec())).expect("xlsx");
    assert_eq!(wb.sheet_names(), ["学习计划", "集中学习", "考勤", "发言", "调研与述学"]);
    db.cleanup().await;
}

#[tokio::test]
async fn oversight_adds_up_each_child_with_its_subtree_and_stays_in_scope() {
    let db = seeded().await;
    seed_under_town(&db.conn).await;
    crate::meetings::seed_meeting(&db.conn, TOWN, xuepei_domain::time::today() - Days::new(2)).await;
    let county = county_scope(&db.conn, YUNXI).await;
    let year = xuepei_domain::time::today().year();
    let o = xuepei_store::study_oversight::overview(&db.conn, &county, YUNXI, year, None).await.expect("overview");
    let town = o.rows.iter().find(|r| r.org.code == TOWN).expect("the town is a child row");
    let f = town.figures;
    assert_eq!((f.meetings, f.compliant, f.groups, f.sessions, f.thematic), (1, 1, 1, 1, 1), "{f:?}");
    assert_eq!((f.present, f.expected), (1, 3), "the session's attendance");
    assert_eq!(town.attendance_min, 85, "the town's own rule");
    assert_eq!(o.total.figures.sessions, 1);
    // The town's own view has the same figures as its own row.
    let own = xuepei_store::study_oversight::overview(&db.conn, &county, TOWN, year, None).await.expect("town");
    assert_eq!(own.total.figures.sessions, 1);
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    assert!(matches!(
        xuepei_store::study_oversight::overview(&db.conn, &quyuan, YUNXI, year, None).await,
        Err(StoreError::NotFound(_))
    ));
    // The page, its export and the API answer with the same rows.
    let app = signed_in(&db, "zxz_xcb", &[xuepei_domain::accounts::AccountRole::PropagandaStaff], YUNXI).await;
    let (status, page) = app.get(&format!("/study/oversight?org={YUNXI}&year={year}")).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("长岭街道"), "{page}");
    let tok = token(&db.conn, YUNXI).await;
    let (status, json) =
        call(&app, "GET", &format!("/api/v1/study/compliance?org={TOWN}&year={year}"), &tok, None).await;
    assert_eq!(status, 200, "{json}");
    let row = json["orgs"].as_array().expect("orgs").iter().find(|r| r["org"] == TOWN).expect("town").clone();
    assert_eq!(row["sessions_held"], 1, "{row}");
    assert!(row["attendance_rate"].as_f64().is_some_and(|r| (r - 33.3).abs() < 0.1), "{row}");
    let (status, json) =
        call(&app, "GET", &format!("/api/v1/study/oversight?org={YUNXI}&year={year}"), &tok, None).await;
    assert_eq!(status, 200, "{json}");
    db.cleanup().await;
}

#[tokio::test]
async fn those_on_leave_or_absent_neither_lead_nor_speak() {
    let db = seeded().await;
    let (group, people) = seed_group(&db.conn).await;
    let town = county_scope(&db.conn, TOWN).await;
    // The deputy on leave leads, and speaks.
    let mut bad = session(&people, 2, "学习党章");
    bad.lead = Some(PersonKey::Id(people[1].id));
    bad.speeches.push((PersonKey::Id(people[1].id), "谈学习体会".into()));
    let e = write(&db.conn, &town, async |tx| sessions::create(tx, group, &bad).await).await.expect_err("refused");
    let r = reasons(&e);
    assert!(r.contains(&format!("{}已登记为请假，不能担任领学人", people[1].name)), "{r}");
    assert!(r.contains(&format!("{}已登记为请假，不能登记发言", people[1].name)), "{r}");
    // Marked absent outright.
    let mut bad = session(&people, 2, "学习党章");
    bad.attendance.push((PersonKey::Id(people[2].id), "缺席".into(), String::new()));
    bad.speeches = vec![(PersonKey::Id(people[2].id), "谈学习体会".into())];
    let e = write(&db.conn, &town, async |tx| sessions::create(tx, group, &bad).await).await.expect_err("refused");
    assert!(reasons(&e).contains(&format!("{}已登记为缺席，不能登记发言", people[2].name)), "{}", reasons(&e));
    // A member left out of the attendance who spoke was there: recorded present, not absent.
    let mut spoke = session(&people, 2, "学习党章");
    spoke.speeches.push((PersonKey::Id(people[2].id), "谈学习体会".into()));
    let s = write(&db.conn, &town, async |tx| sessions::create(tx, group, &spoke).await).await.expect("session");
    assert!(s.with(Presence::Present).any(|a| a.person.id == people[2].id), "{:?}", s.attendance);
    assert_eq!((s.present, s.expected), (2, 3), "the leader and the speaker; the deputy on leave");
    db.cleanup().await;
}

#[tokio::test]
async fn refusals_of_plans_and_reports_say_only_what_is_really_missing() {
    let db = seeded().await;
    let (group, people) = seed_group(&db.conn).await;
    let town = county_scope(&db.conn, TOWN).await;
    let year = xuepei_domain::time::today().year();
    // An annual plan for a closed year: the year is what is wrong, not a title.
    let e = write(&db.conn, &town, async |tx| plans::create(tx, group, &annual(year - 1)).await)
        .await
        .expect_err("closed year");
    let r = reasons(&e);
    assert!(r.contains("已经结束") && !r.contains("专题学习方案的标题"), "{r}");
    // An annual study report saved empty: the author and the text, not a research topic.
    let empty = ReportInput { year: Some(year), kind: "annual".into(), ..Default::default() };
    let e = write(&db.conn, &town, async |tx| reports::create(tx, group, &empty).await).await.expect_err("empty");
    let r = reasons(&e);
    assert!(r.contains("请选择述学人") && r.contains("述学报告正文") && !r.contains("调研课题名称"), "{r}");
    // The same on the pages.
    let app = signed_in(&db, "zxz_town", &[xuepei_domain::accounts::AccountRole::UnitSecretary], TOWN).await;
    for y in ["abc", &(year - 1).to_string()] {
        let (s, _, page) =
            app.post_form(&format!("/study/groups/{group}/plans"), &[("year", y), ("kind", "annual")]).await;
        assert_eq!(s, 422, "{page}");
        assert!(!page.contains("请填写专题学习方案的标题"), "{y}: {page}");
    }
    let (s, _, page) = app.post_form(&format!("/study/groups/{group}/reports"), &[("kind", "annual")]).await;
    assert_eq!(s, 422, "{page}");
    assert!(!page.contains("请填写调研课题名称") && page.contains("请选择述学人"), "{page}");
    // Date pickers on the session and report forms, up to today.
    let today = xuepei_domain::time::today();
    for path in [format!("/study/groups/{group}/sessions/new"), format!("/study/groups/{group}/reports/new")] {
        let (_, page) = app.get(&path).await;
        assert!(page.contains(&format!("type=\"date\" max=\"{today}\"")), "{path}: {page}");
    }
    let _ = people;
    db.cleanup().await;
}

#[tokio::test]
async fn a_year_that_has_an_annual_plan_says_so_and_links_to_it() {
    let db = seeded().await;
    let (group, plan, _, _) = seed_under_town(&db.conn).await;
    let town = signed_in(&db, "zxz_town", &[xuepei_domain::accounts::AccountRole::UnitSecretary], TOWN).await;
    let county = signed_in(&db, "zxz_county", &[xuepei_domain::accounts::AccountRole::PropagandaStaff], YUNXI).await;
    let year = xuepei_domain::time::today().year().to_string();
    let (s, page) = town.get(&format!("/study/groups/{group}/plans/new")).await;
    assert_eq!(s, 200);
    assert!(page.contains("已有年度学习计划") && page.contains(&format!("href=\"/study/plans/{plan}\"")), "{page}");
    // Returned: the decision's time is labelled as the return's.
    let (s, _, _) = town.post_form(&format!("/study/plans/{plan}/submit"), &[]).await;
    assert_eq!(s, 303);
    let (s, _, _) = county.post_form(&format!("/study/plans/{plan}/return"), &[("comments", "补充专题")]).await;
    assert_eq!(s, 303);
    let (_, page) = town.get(&format!("/study/plans/{plan}")).await;
    assert!(page.contains("退回时间") && !page.contains("审批时间"), "{page}");
    // Approved: a second annual plan is refused, saying that only a correction changes it.
    town.post_form(&format!("/study/plans/{plan}/submit"), &[]).await;
    let (s, _, _) = county.post_form(&format!("/study/plans/{plan}/approve"), &[("comments", "同意")]).await;
    assert_eq!(s, 303);
    let (_, page) = town.get(&format!("/study/plans/{plan}")).await;
    assert!(page.contains("审批时间") && !page.contains("退回时间"));
    let fields = [("year", year.as_str()), ("kind", "annual"), ("body", "全年学习安排")];
    let (s, _, page) = town.post_form(&format!("/study/groups/{group}/plans"), &fields).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("每年只制定一份") && page.contains("更正") && !page.contains("请修改已有的计划"), "{page}");
    assert!(page.contains(&format!("href=\"/study/plans/{plan}\"")), "linked: {page}");
    db.cleanup().await;
}

#[tokio::test]
async fn group_pages_refuse_years_not_begun_and_do_not_offer_them() {
    let db = seeded().await;
    let (group, _, _, _) = seed_under_town(&db.conn).await;
    let app = signed_in(&db, "zxz_county", &[xuepei_domain::accounts::AccountRole::PropagandaStaff], YUNXI).await;
    let year = xuepei_domain::time::today().year();
    let next = year + 1;
    for (path, want) in [
        (format!("/study/groups/{group}?year={next}"), "尚未到来"),
        (format!("/study/groups/{group}/ledger?year=2099"), "尚未到来"),
        (format!("/study/groups/{group}/ledger?year=1999"), "过早"),
        ("/study/groups?year=1900".to_owned(), "过早"),
        ("/study/groups?year=abc".to_owned(), "年份“abc”有误"),
        ("/study/groups?year=2025&month=13".to_owned(), "月份"),
    ] {
        let (s, page) = app.get(&path).await;
        assert_eq!(s, 400, "{path}");
        assert!(page.contains(want), "{path}: {page}");
    }
    let (s, page) = app.get(&format!("/study/groups/{group}")).await;
    assert_eq!(s, 200);
    assert!(page.contains(&format!("<option value=\"{year}\"")), "this year offered");
    assert!(!page.contains(&format!("<option value=\"{next}\"")), "next year not offered: {page}");
    let (s, page) = app.get("/study/groups?org=999").await;
    assert_eq!(s, 200);
    assert!(page.contains("组织代码“999”不存在或不在您的管理范围内"), "{page}");
    db.cleanup().await;
}

#[tokio::test]
async fn the_demo_sessions_have_their_lead_and_speakers_present() {
    let db = xuepei_testkit::TestDb::from_template("yueyanglou_1", async |conn| {
        xuepei::demo::seed(conn, 1, Some(&[xuepei::demo_meetings::COUNTY])).await.expect("seed");
    })
    .await;
    xuepei::demo_study_groups::seed_study_groups(&db.conn).await.expect("groups");
    let county = county_scope(&db.conn, xuepei::demo_meetings::COUNTY).await;
    let year = xuepei_domain::time::today().year();
    let (mut speeches, mut away) = (0, 0);
    for g in study_groups::all(&db.conn, &county).await.expect("groups") {
        for y in [year - 1, year] {
            let l = ledger::ledger(&db.conn, &county, g.id, y).await.expect("ledger");
            for s in &l.sessions {
                let present: Vec<i64> = s.with(Presence::Present).map(|a| a.person.id).collect();
                away += s.attendance.len() - present.len();
                assert!(present.contains(&s.lead.id), "{}: the lead learner was there", s.title());
                for sp in &s.speeches {
                    speeches += 1;
                    assert!(
                        present.contains(&sp.person.id),
                        "{}: {} spoke but was not there",
                        s.title(),
                        sp.person.name
                    );
                }
            }
        }
    }
    assert!(speeches > 0 && away > 0, "speeches and absences still to show");
    db.cleanup().await;
}

#[tokio::test]
async fn a_lower_body_raises_its_rules_but_never_lowers_them() {
    let db = seeded().await;
    let county = county_scope(&db.conn, YUNXI).await;
    let town = county_scope(&db.conn, TOWN).await;
    write(&db.conn, &county, async |tx| {
        rules::set(tx, YUNXI, GroupRules { sessions_per_year: 14, thematic_per_year: 5, attendance_min: 85 }).await
    })
    .await
    .expect("the district raises the default");
    let e = write(&db.conn, &town, async |tx| {
        rules::set(tx, TOWN, GroupRules { sessions_per_year: 1, thematic_per_year: 0, attendance_min: 1 }).await
    })
    .await
    .expect_err("the street lowers the district's");
    let r = reasons(&e);
    for want in ["不少于14次", "不少于5次", "不低于85%", "本级只能提高要求，不能降低"] {
        assert!(r.contains(want), "{want}: {r}");
    }
    // Nothing written: the street still follows the district.
    let t = by_code(&db.conn, TOWN).await;
    assert_eq!(rules::for_path(&db.conn, &t.path).await.expect("rules").sessions_per_year, 14);
    write(&db.conn, &town, async |tx| {
        rules::set(tx, TOWN, GroupRules { sessions_per_year: 14, thematic_per_year: 6, attendance_min: 90 }).await
    })
    .await
    .expect("raising is fine");
    db.cleanup().await;
}

#[tokio::test]
async fn a_plan_is_decided_only_by_the_body_it_was_submitted_to() {
    let db = seeded().await;
    let (group, people) = seed_group(&db.conn).await;
    let year = xuepei_domain::time::today().year();
    let town = county_scope(&db.conn, TOWN).await;
    let county = county_scope(&db.conn, YUNXI).await;
    let yunxi = by_code(&db.conn, YUNXI).await;
    let city = Scope::of_org(&db.conn, yunxi.parent_id.expect("city")).await.expect("city scope");
    let p = write(&db.conn, &town, async |tx| plans::create(tx, group, &annual(year)).await).await.expect("draft");
    write(&db.conn, &town, async |tx| plans::act(tx, p.id, PlanAction::Submit, "").await).await.expect("submit");
    // The street may not make itself its own approving body.
    let own = GroupInput { approver: TOWN.into(), ..group_input(&people) };
    let e = write(&db.conn, &town, async |tx| study_groups::update(tx, group, &own).await).await.expect_err("self");
    assert!(matches!(&e, StoreError::Forbidden(m) if m.contains("本单位不能自行更改")), "{e:?}");
    // Nor may the district change it while the plan waits.
    let e =
        write(&db.conn, &county, async |tx| study_groups::update(tx, group, &own).await).await.expect_err("pending");
    assert!(matches!(&e, StoreError::Conflict(m) if m.contains("等待审批")), "{e:?}");
    // Even if the group's approving body were changed behind the plan's back, the plan
    // stays with the body it went to.
    let t = by_code(&db.conn, TOWN).await;
    use sea_orm::ConnectionTrait;
    db.conn
        .execute_unprepared(&format!("UPDATE study_groups SET approver_org_id = {} WHERE id = {group}", t.id))
        .await
        .expect("moved");
    let e = write(&db.conn, &town, async |tx| plans::act(tx, p.id, PlanAction::Approve, "自批").await)
        .await
        .expect_err("self-approval");
    assert!(matches!(&e, StoreError::Forbidden(m) if m.contains("云溪区")), "{e:?}");
    let back = plans::get(&db.conn, &town, p.id).await.expect("plan");
    assert_eq!((back.state, back.approver.code.as_str()), (PlanState::Submitted, YUNXI));
    db.conn
        .execute_unprepared(&format!("UPDATE study_groups SET approver_org_id = {} WHERE id = {group}", yunxi.id))
        .await
        .expect("back");
    // A body above the approving body may decide; the record names who did.
    let done = write(&db.conn, &city, async |tx| plans::act(tx, p.id, PlanAction::Approve, "同意").await)
        .await
        .expect("approve");
    assert_eq!(done.approver.code, YUNXI);
    let by = done.decided_by.expect("decided by");
    assert_eq!(Some(by.id), yunxi.parent_id, "the city decided");
    // Once nothing waits, the district (the approving body) may change it.
    let g = write(&db.conn, &county, async |tx| study_groups::update(tx, group, &own).await).await.expect("district");
    assert_eq!(g.approver.code, TOWN);
    assert_eq!(plans::get(&db.conn, &town, p.id).await.expect("plan").approver.code, YUNXI, "kept on the plan");
    db.cleanup().await;
}

#[tokio::test]
async fn correcting_a_plans_year_applies_it_or_says_why_not() {
    let db = seeded().await;
    let (group, _) = seed_group(&db.conn).await;
    let year = xuepei_domain::time::today().year();
    let town = county_scope(&db.conn, TOWN).await;
    let county = county_scope(&db.conn, YUNXI).await;
    let p = write(&db.conn, &town, async |tx| {
        let p = plans::create(tx, group, &PlanInput { title: "年度计划".into(), ..annual(year) }).await?;
        plans::act(tx, p.id, PlanAction::Submit, "").await
    })
    .await
    .expect("submitted");
    write(&db.conn, &county, async |tx| plans::act(tx, p.id, PlanAction::Approve, "同意").await).await.expect("ok");
    let mut input = plans::input_of(&plans::get(&db.conn, &county, p.id).await.expect("plan"));
    input.year = Some(year - 1);
    let e = write(&db.conn, &county, async |tx| plans::correct(tx, p.id, &input, "年度填错").await)
        .await
        .expect_err("a closed year");
    assert!(reasons(&e).contains(&format!("不能由{year}年更正为{}年", year - 1)), "{}", reasons(&e));
    assert_eq!(plans::get(&db.conn, &county, p.id).await.expect("plan").year, year, "unchanged");
    input.year = Some(year + 1);
    let fixed =
        write(&db.conn, &county, async |tx| plans::correct(tx, p.id, &input, "年度填错").await).await.expect("applied");
    assert_eq!(fixed.year, year + 1, "the corrected year is the plan's year");
    db.cleanup().await;
}

#[tokio::test]
async fn sessions_and_reports_are_not_backdated_past_last_year() {
    let db = seeded().await;
    let (group, people) = seed_group(&db.conn).await;
    let town = county_scope(&db.conn, TOWN).await;
    let today = xuepei_domain::time::today();
    let earliest = xuepei_domain::study::meetings::earliest_entry(today);
    let old = SessionInput { date: Some(earliest - Days::new(1)), ..session(&people, 0, "补录学习") };
    let e = write(&db.conn, &town, async |tx| sessions::create(tx, group, &old).await).await.expect_err("old");
    assert!(reasons(&e).contains(&earliest.to_string()), "{}", reasons(&e));
    let ancient = SessionInput {
        date: Some(chrono::NaiveDate::from_ymd_opt(1990, 1, 1).expect("day")),
        ..session(&people, 0, "补录学习")
    };
    assert!(write(&db.conn, &town, async |tx| sessions::create(tx, group, &ancient).await).await.is_err());
    let report = ReportInput {
        year: Some(today.year()),
        kind: "research".into(),
        person: Some(PersonKey::Id(people[1].id)),
        title: "补录调研".into(),
        done_on: Some(chrono::NaiveDate::from_ymd_opt(1990, 1, 1).expect("day")),
        ..Default::default()
    };
    let e = write(&db.conn, &town, async |tx| reports::create(tx, group, &report).await).await.expect_err("old");
    assert!(reasons(&e).contains("只能登记本年度和上一年度的记录"), "{}", reasons(&e));
    db.cleanup().await;
}

#[tokio::test]
async fn a_member_who_moved_away_is_shown_so_and_not_named_in_a_new_session() {
    let db = seeded().await;
    let (group, people) = seed_group(&db.conn).await;
    let app = TestApp::spawn(&db).await;
    let ours = token(&db.conn, YUNXI).await;
    // people[2] (a member) is transferred to another county.
    let away = by_code(&db.conn, QUYUAN).await;
    use sea_orm::ConnectionTrait;
    db.conn
        .execute_unprepared(&format!(
            "UPDATE persons SET org_id = {}, org_path = '{}' WHERE id = {}",
            away.id, away.path, people[2].id
        ))
        .await
        .expect("moved");
    let g = study_groups::get(&db.conn, &Scope::system(), group).await.expect("group");
    assert!(g.members.iter().any(|m| m.person.id == people[2].id && m.moved), "shown as moved");
    let date = (xuepei_domain::time::today() - Days::new(1)).to_string();
    let path = format!("/api/v1/study-groups/{group}/sessions");
    let body = json!({
        "date": date, "topic": "学习党章", "lead": people[2].id_number,
        "attendance": [{ "id_number": people[2].id_number, "presence": "present" }],
        "speeches": [{ "id_number": people[2].id_number, "summary": "谈体会" }]
    });
    let (status, e) = call(&app, "POST", &path, &ours, Some(body)).await;
    assert_eq!(status, 422, "{e}");
    assert!(e.to_string().contains(&format!("{}已调离本单位，请先在中心组成员中调整", people[2].name)), "{e}");
    let body = json!({ "date": date, "topic": "学习党章", "lead": people[0].id_number });
    let (status, made) = call(&app, "POST", &path, &ours, Some(body)).await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["expected"].as_u64(), Some(2), "the one who left is not expected");
    for b in ["[]", "[{}]"] {
        let (status, e) = call(&app, "POST", &path, &ours, Some(serde_json::from_str::<Value>(b).expect("json"))).await;
        assert_eq!(status, 400, "{b}: {e}");
        assert!(e.to_string().contains("请求体应为 JSON 对象"), "{e}");
    }
    let body = json!({ "date": format!("+00{date}"), "topic": "学习党章二", "lead": people[0].id_number });
    let (status, e) = call(&app, "POST", &path, &ours, Some(body)).await;
    assert_eq!(status, 422, "{e}");
    assert!(e.to_string().contains("格式有误"), "{e}");
    // The group page says so.
    let web = signed_in(&db, "zxz_moved", &[xuepei_domain::accounts::AccountRole::UnitSecretary], TOWN).await;
    let (s, page) = web.get(&format!("/study/groups/{group}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("已调离"), "{page}");
    let (s, form) = web.get(&format!("/study/groups/{group}/sessions/new")).await;
    assert_eq!(s, 200);
    assert!(!form.contains(&people[2].name), "the one who left is not offered: {form}");
    let signed = format!("+00{date}");
    let lead = people[0].id.to_string();
    let (s, _, page) = web
        .post_form(
            &format!("/study/groups/{group}/sessions"),
            &[("date", signed.as_str()), ("topic", "学习党章三"), ("lead", lead.as_str())],
        )
        .await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("格式有误"), "{page}");
    db.cleanup().await;
}

/// The oversight view reads the figures kept per organisation and month as meetings and
/// sessions are written; after edits that move a meeting to another month, drop its study
/// item and change a session's attendance, they equal a recount from the records.
#[tokio::test]
async fn kept_oversight_figures_follow_every_edit_and_agree_with_a_recount() {
    let db = seeded().await;
    let (group, people) = seed_group(&db.conn).await;
    let today = xuepei_domain::time::today();
    // Today's records, so that "this month" holds them whatever the date.
    let (moved, _) = crate::meetings::seed_meeting(&db.conn, TOWN, today).await;
    let s = write(&db.conn, &Scope::system(), async |tx| {
        sessions::create(tx, group, &session(&people, 0, "学习党章")).await
    })
    .await
    .expect("session");
    let county = county_scope(&db.conn, YUNXI).await;
    let now = xuepei_store::study_oversight::overview(&db.conn, &county, YUNXI, today.year(), Some(today.month()))
        .await
        .expect("view");
    let f = now.rows.iter().find(|r| r.org.code == TOWN).expect("the town's row").figures;
    let before = (f.meetings, f.compliant, f.sessions, f.present, f.expected);
    // The meeting moves 40 days back (another month) and its first item is no longer study;
    // the session is no longer thematic and one more member is present.
    let earlier = today - Days::new(40);
    let members_of_town = members(&db.conn, TOWN).await;
    let mut input = crate::meetings::study_meeting(TOWN, earlier, &members_of_town);
    input.agenda.reverse();
    let mut edit = session(&people, 0, "学习党章");
    edit.thematic = false;
    edit.attendance[1].1 = "出席".into();
    edit.attendance[1].2.clear();
    write(&db.conn, &Scope::system(), async |tx| {
        xuepei_store::meetings::update(tx, moved, &input).await?;
        sessions::update(tx, s.id, &edit).await
    })
    .await
    .expect("edits");
    let periods = [
        (today.year(), None),
        (today.year(), Some(today.month())),
        (earlier.year(), None),
        (earlier.year(), Some(earlier.month())),
    ];
    let view = async || {
        let mut out = Vec::new();
        // The county's rows and, a level down, the town's: each row summed by the database
        // from the paths below it.
        for code in [YUNXI, TOWN] {
            for (y, m) in periods {
                let o = xuepei_store::study_oversight::overview(&db.conn, &county, code, y, m).await.expect("view");
                out.push(o.rows.iter().map(|r| (r.org.code.clone(), r.figures)).collect::<Vec<_>>());
            }
        }
        out
    };
    let kept = view().await;
    let month = &kept[1];
    let town = month.iter().find(|(c, _)| c == TOWN).expect("the town's row").1;
    assert_eq!(
        (town.meetings, town.compliant, town.sessions, town.thematic, town.present, town.expected),
        (before.0 - 1, before.1 - 1, before.2, 0, before.3 + 1, before.4),
        "this month lost the moved meeting and holds the edited session"
    );
    let then = kept[3].iter().find(|(c, _)| c == TOWN).expect("the earlier month's row").1;
    assert_eq!((then.meetings, then.compliant), (1, 0), "the moved meeting, not compliant, in its new month");
    let rows = xuepei_store::diag::recount_study_figures(&db.conn).await.expect("recount");
    assert!(rows >= 3, "two months and their year: {rows}");
    assert_eq!(view().await, kept, "the kept figures equal a recount from the records");
    db.cleanup().await;
}
