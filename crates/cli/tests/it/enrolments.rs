//! Enrolment (报名): the waiting list and promotion, overlap, responsibility and allocation
//! refused whole; leave with the 1/7 rule; completion writing credit records; each viewer
//! sees only what is theirs — in the store, the JSON API and the pages.

use serde_json::{Value, json};
use xuepei_domain::accounts::AccountRole;
use xuepei_domain::training::{AttendanceMark, EnrolmentStatus, Hours};
use xuepei_store::attendance::{self, MarkInput};
use xuepei_store::classes::{self, ClassInput};
use xuepei_store::enrolments::{self, EnrolmentFilter, LeaveInput, PersonRef};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter};
use xuepei_store::{Scope, StoreError, tokens};
use xuepei_testkit::TestApp;

use crate::classes::{CITY, city_campaign, class_input, day, session_input};
use crate::support::*;

/// People of an organisation's subtree: (id, identity number, name).
pub async fn people_of(db: &xuepei_store::DatabaseConnection, code: &str, n: u64) -> Vec<(i64, String, String)> {
    let scope = county_scope(db, code).await;
    people::list(db, &scope, &PersonFilter::default(), Default::default(), At::First, n)
        .await
        .expect("people")
        .items
        .into_iter()
        .map(|r| (r.person.id, r.person.id_number, r.person.name))
        .collect()
}

fn ids(p: &[(i64, String, String)]) -> Vec<PersonRef> {
    p.iter().map(|x| PersonRef::Id(x.0)).collect()
}

fn messages(e: StoreError) -> Vec<String> {
    match e {
        StoreError::Invalid(v) => v.into_iter().map(|f| f.message).collect(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A city class of the city campaign with `capacity` places (30 for 云溪区, 20 for 屈原).
pub async fn city_class(db: &xuepei_store::DatabaseConnection, title: &str, capacity: i64) -> classes::Class {
    let c = city_campaign(db).await;
    let mut input = ClassInput { capacity: Some(capacity), ..class_input(Some(c.id), title, CITY) };
    if capacity < 50 {
        input.allocations.clear();
    }
    write(db, &Scope::system(), async |tx| classes::create(tx, &input).await).await.expect("class")
}

/// Seven sessions of 3 hours (21 hours: 1/7 is exactly 3 hours) on the class's four days.
pub async fn seven_sessions(db: &xuepei_store::DatabaseConnection, class_id: i64) -> Vec<i64> {
    let mut out = Vec::new();
    for (i, (d, slot)) in
        [(13, "am"), (13, "pm"), (14, "am"), (14, "pm"), (15, "am"), (15, "pm"), (16, "am")].into_iter().enumerate()
    {
        let input = session_input((2026, 4, d), slot, &format!("专题{}", i + 1), "lecture", "3");
        let s = write(db, &Scope::system(), async |tx| classes::sessions::add(tx, class_id, &input).await)
            .await
            .expect("session");
        out.push(s.id);
    }
    out
}

async fn status_of(db: &xuepei_store::DatabaseConnection, class_id: i64, person: i64) -> EnrolmentStatus {
    let p = enrolments::for_organiser(db, &Scope::system(), class_id, &EnrolmentFilter::default(), At::First, 1000)
        .await
        .expect("roster");
    p.items.into_iter().find(|e| e.person_id == person).expect("enrolled").status
}

#[tokio::test]
async fn enrolments_fill_places_then_the_waiting_list_and_promote_in_order() {
    let db = seeded().await;
    let c = city_class(&db.conn, "市级示范班", 3).await;
    let city = county_scope(&db.conn, CITY).await;
    let p = people_of(&db.conn, YUNXI, 5).await;
    let r = write(&db.conn, &city, async |tx| enrolments::enrol(tx, c.id, &ids(&p)).await).await.expect("enrol");
    let st: Vec<EnrolmentStatus> = r.iter().map(|x| x.status).collect();
    use EnrolmentStatus::*;
    assert_eq!(st, [Enrolled, Enrolled, Enrolled, Waitlisted, Waitlisted]);
    // Already there: refused, naming the person.
    let again = write(&db.conn, &city, async |tx| enrolments::enrol(tx, c.id, &ids(&p[..1])).await).await;
    let m = messages(again.expect_err("twice"));
    assert!(m[0].contains(&p[0].2) && m[0].contains("已在本班学员名单中"), "{m:?}");
    // Withdrawing an enrolled trainee promotes the first waitlisted, not the second.
    let w = write(&db.conn, &city, async |tx| enrolments::withdraw(tx, c.id, &PersonRef::Id(p[1].0), "工作调动").await)
        .await
        .expect("withdraw");
    assert_eq!(w.promoted.len(), 1);
    assert_eq!(status_of(&db.conn, c.id, p[3].0).await, Enrolled);
    assert_eq!(status_of(&db.conn, c.id, p[4].0).await, Waitlisted);
    assert_eq!(status_of(&db.conn, c.id, p[1].0).await, Withdrawn);
    // A reason is required.
    let no_reason =
        write(&db.conn, &city, async |tx| enrolments::withdraw(tx, c.id, &PersonRef::Id(p[0].0), " ").await).await;
    assert!(messages(no_reason.expect_err("reason"))[0].contains("退学原因"));
    // Replacement: the new one takes the old one's place in one step.
    let q = people_of(&db.conn, QUYUAN, 1).await;
    let rep = write(&db.conn, &city, async |tx| {
        enrolments::replace(tx, c.id, &PersonRef::Id(p[0].0), &PersonRef::IdNumber(q[0].1.clone()), "另有任务").await
    })
    .await
    .expect("replace");
    assert_eq!(rep.status, Enrolled);
    assert_eq!(status_of(&db.conn, c.id, q[0].0).await, Enrolled);
    assert_eq!(status_of(&db.conn, c.id, p[0].0).await, Withdrawn);
    assert_eq!(status_of(&db.conn, c.id, p[4].0).await, Waitlisted, "a replacement frees no place");
    db.cleanup().await;
}

#[tokio::test]
async fn enrolments_are_all_or_nothing_and_refuse_overlap_responsibility_and_allocation() {
    let db = seeded().await;
    let c = city_class(&db.conn, "市级一班", 60).await;
    let city = county_scope(&db.conn, CITY).await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let p = people_of(&db.conn, YUNXI, 40).await;
    let q = people_of(&db.conn, QUYUAN, 3).await;
    // An overlapping class of the same dates.
    let other = write(&db.conn, &Scope::system(), async |tx| {
        let input =
            ClassInput { capacity: Some(10), allocations: vec![], ..class_input(None, "同期另一班", CITY) };
        classes::create(tx, &input).await
    })
    .await
    .expect("class");
    write(&db.conn, &city, async |tx| enrolments::enrol(tx, other.id, &ids(&p[..1])).await).await.expect("enrol");
    let mixed: Vec<PersonRef> =
        ids(&p[..3]).into_iter().chain([PersonRef::IdNumber("110101199001011237".into())]).collect();
    let m = messages(
        write(&db.conn, &city, async |tx| enrolments::enrol(tx, c.id, &mixed).await).await.expect_err("refused"),
    );
    assert!(m.iter().any(|x| x.contains(&p[0].2) && x.contains("同期另一班") && x.contains("重叠")), "{m:?}");
    assert!(m.iter().any(|x| x.contains("110***********1237") && x.contains("不在您的管理范围")), "{m:?}");
    let none = enrolments::for_organiser(&db.conn, &city, c.id, &EnrolmentFilter::default(), At::First, 100)
        .await
        .expect("roster");
    assert!(none.items.is_empty(), "nothing half-written");
    // A county nominates only its own people, within its 30 places.
    let m = messages(
        write(&db.conn, &yunxi, async |tx| enrolments::enrol(tx, c.id, &ids(&q[..1])).await)
            .await
            .expect_err("other county"),
    );
    assert!(m[0].contains("不在您的管理范围"), "{m:?}");
    let m = messages(
        write(&db.conn, &yunxi, async |tx| enrolments::enrol(tx, c.id, &ids(&p[1..32])).await)
            .await
            .expect_err("overflow"),
    );
    assert!(m.iter().any(|x| x.contains("超出名额") && x.contains("30")), "{m:?}");
    let ok = write(&db.conn, &yunxi, async |tx| enrolments::enrol(tx, c.id, &ids(&p[1..31])).await)
        .await
        .expect("within places");
    assert_eq!(ok.len(), 30);
    // A class outside the organiser's responsibility: a 屈原 person cannot join a 云溪 class.
    let county_class = write(&db.conn, &Scope::system(), async |tx| {
        let input = ClassInput {
            level: "county".into(),
            allocations: vec![],
            start: day(2026, 5, 11),
            end: day(2026, 5, 13),
            ..class_input(None, "云溪区一期", YUNXI)
        };
        classes::create(tx, &input).await
    })
    .await
    .expect("class");
    let m = messages(
        write(&db.conn, &city, async |tx| enrolments::enrol(tx, county_class.id, &ids(&q[..1])).await)
            .await
            .expect_err("outside"),
    );
    assert!(m[0].contains(&q[0].2) && m[0].contains("不属于主办单位"), "{m:?}");
    // Each viewer: the county sees only its own people; the other county sees nothing.
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    write(&db.conn, &quyuan, async |tx| enrolments::enrol(tx, c.id, &ids(&q)).await).await.expect("quyuan");
    let mine =
        enrolments::roster(&db.conn, &quyuan, c.id, &EnrolmentFilter::default(), At::First, 100).await.expect("roster");
    assert_eq!(mine.items.len(), 3);
    assert!(mine.items.iter().all(|e| q.iter().any(|x| x.0 == e.person_id)));
    let all =
        enrolments::roster(&db.conn, &city, c.id, &EnrolmentFilter::default(), At::First, 100).await.expect("roster");
    assert_eq!(all.items.len(), 33);
    assert!(matches!(
        enrolments::for_organiser(&db.conn, &quyuan, c.id, &EnrolmentFilter::default(), At::First, 100).await,
        Err(StoreError::Forbidden(_))
    ));
    db.cleanup().await;
}

#[tokio::test]
async fn enrolments_leave_exactly_one_seventh_is_allowed_beyond_withdraws_and_a_mark_counts_once() {
    let db = seeded().await;
    let c = city_class(&db.conn, "市级二班", 2).await;
    let sessions = seven_sessions(&db.conn, c.id).await;
    let city = county_scope(&db.conn, CITY).await;
    let p = people_of(&db.conn, YUNXI, 3).await;
    write(&db.conn, &city, async |tx| enrolments::enrol(tx, c.id, &ids(&p)).await).await.expect("enrol");
    let leave = |hours: Option<i64>, sessions: Vec<i64>| LeaveInput {
        hours: hours.map(Hours::from_hundredths),
        sessions,
        reason: "参加防汛".into(),
    };
    // Bad requests: negative hours, sessions of another class.
    let m = messages(
        write(&db.conn, &city, async |tx| {
            enrolments::request_leave(tx, c.id, &PersonRef::Id(p[0].0), &leave(Some(-100), vec![])).await
        })
        .await
        .expect_err("negative"),
    );
    assert!(m[0].contains("负数"), "{m:?}");
    let m = messages(
        write(&db.conn, &city, async |tx| {
            enrolments::request_leave(tx, c.id, &PersonRef::Id(p[0].0), &leave(None, vec![999_999])).await
        })
        .await
        .expect_err("outside"),
    );
    assert!(m[0].contains("不属于本班"), "{m:?}");
    // One session (3 of 21 hours) on leave, and the roll marks the same session 'leave':
    // still 3 hours, exactly 1/7, allowed.
    let a = write(&db.conn, &city, async |tx| {
        enrolments::request_leave(tx, c.id, &PersonRef::Id(p[0].0), &leave(None, vec![sessions[0]])).await
    })
    .await
    .expect("leave");
    assert_eq!((a.status, a.leave_hours), (EnrolmentStatus::Enrolled, Hours::whole(3)));
    let marks = [MarkInput { who: PersonRef::Id(p[0].0), mark: AttendanceMark::Leave, reason: String::new() }];
    write(&db.conn, &city, async |tx| attendance::mark(tx, sessions[0], &marks).await).await.expect("mark");
    assert_eq!(status_of(&db.conn, c.id, p[0].0).await, EnrolmentStatus::Enrolled, "counted once");
    // 0.01 hour more passes 1/7: withdrawn, and the waitlisted third moves up.
    let a = write(&db.conn, &city, async |tx| {
        enrolments::request_leave(tx, c.id, &PersonRef::Id(p[0].0), &leave(Some(1), vec![])).await
    })
    .await
    .expect("leave");
    assert_eq!(a.status, EnrolmentStatus::Withdrawn);
    assert!(a.message.contains("退学"), "{}", a.message);
    assert_eq!(a.promoted.len(), 1);
    assert_eq!(status_of(&db.conn, c.id, p[2].0).await, EnrolmentStatus::Enrolled);
    // Completion: the others complete with 21 hours less their leave.
    let third = [MarkInput { who: PersonRef::Id(p[2].0), mark: AttendanceMark::Leave, reason: String::new() }];
    write(&db.conn, &city, async |tx| attendance::mark(tx, sessions[3], &third).await).await.expect("mark");
    attend(&db.conn, &sessions, &[p[1].0, p[2].0], &[(sessions[3], p[2].0)]).await;
    let done = write(&db.conn, &city, async |tx| enrolments::complete(tx, c.id).await).await.expect("complete");
    assert_eq!(done.completed, 2);
    assert!(done.not_completed.is_empty());
    let again = write(&db.conn, &city, async |tx| enrolments::complete(tx, c.id).await).await.expect("again");
    assert_eq!(again.completed, 2, "re-running is harmless");
    let records = credit_hours(&db.conn, c.id).await;
    assert_eq!(records, vec![(p[1].0, 2100), (p[2].0, 1800)]);
    db.cleanup().await;
}

/// Marks `people` present at `sessions`, except the (session, person) pairs in `skip`.
pub async fn attend(db: &xuepei_store::DatabaseConnection, sessions: &[i64], people: &[i64], skip: &[(i64, i64)]) {
    for &sid in sessions {
        let marks: Vec<MarkInput> = people
            .iter()
            .filter(|p| !skip.contains(&(sid, **p)))
            .map(|p| MarkInput { who: PersonRef::Id(*p), mark: AttendanceMark::Present, reason: "补录考勤".into() })
            .collect();
        write(db, &Scope::system(), async |tx| attendance::mark(tx, sid, &marks).await).await.expect("marks");
    }
}

/// Credit records written for a class: (person, hundredths), by person.
pub async fn credit_hours(db: &xuepei_store::DatabaseConnection, class_id: i64) -> Vec<(i64, i64)> {
    use sea_orm::{ConnectionTrait, Statement};
    let sql = format!(
        "SELECT person_id, hours FROM credit_records WHERE class_id = {class_id} AND source = 'class' \
         AND status = 'approved' ORDER BY person_id"
    );
    let rows = db.query_all_raw(Statement::from_string(db.get_database_backend(), sql)).await.expect("query");
    rows.iter()
        .map(|r| (r.try_get_by_index::<i64>(0).expect("id"), r.try_get_by_index::<i64>(1).expect("hours")))
        .collect()
}

/// A read-write token over the organisation `code`.
pub async fn token(db: &xuepei_store::DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        tokens::issue(tx, "培训对接", o.id, true, None, tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

pub async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Option<Value>) -> (u16, Value) {
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
async fn enrolments_through_the_api_each_county_sees_only_its_own_people() {
    let db = seeded().await;
    let c = city_class(&db.conn, "市级API班", 60).await;
    let sessions = seven_sessions(&db.conn, c.id).await;
    let app = TestApp::spawn(&db).await;
    let (city, yunxi, quyuan) =
        (token(&db.conn, CITY).await, token(&db.conn, YUNXI).await, token(&db.conn, QUYUAN).await);
    let p = people_of(&db.conn, YUNXI, 3).await;
    let q = people_of(&db.conn, QUYUAN, 2).await;
    let numbers = |v: &[(i64, String, String)]| v.iter().map(|x| x.1.clone()).collect::<Vec<_>>();
    // All or nothing: one unknown number refuses the whole body.
    let mut bad = numbers(&p);
    bad.push("110101199001011237".into());
    let (s, v) =
        call(&app, "POST", &format!("/api/v1/classes/{}/enrolments", c.id), &yunxi, Some(json!({ "id_numbers": bad })))
            .await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("不在您的管理范围"), "{v}");
    // Each county nominates its own people.
    let (s, v) = call(
        &app,
        "POST",
        &format!("/api/v1/classes/{}/enrolments", c.id),
        &yunxi,
        Some(json!({ "id_numbers": numbers(&p) })),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["results"].as_array().map(Vec::len), Some(3));
    assert_eq!(v["results"][0]["status"], "enrolled");
    assert_eq!(v["results"][0]["id_number"], p[0].1.as_str());
    let (s, v) = call(
        &app,
        "POST",
        &format!("/api/v1/classes/{}/enrolments", c.id),
        &quyuan,
        Some(json!({ "id_numbers": numbers(&q) })),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // A county's token sees only its own people; the city sees everyone.
    let (s, v) = call(&app, "GET", &format!("/api/v1/classes/{}/enrolments", c.id), &quyuan, None).await;
    assert_eq!(s, 200, "{v}");
    let text = v.to_string();
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2));
    assert!(p.iter().all(|x| !text.contains(&x.1) && !text.contains(&x.2)), "no trace of the other county: {text}");
    let (_, v) = call(&app, "GET", &format!("/api/v1/classes/{}/enrolments", c.id), &city, None).await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(5));
    assert!(v["items"].as_array().into_iter().flatten().all(|i| i["status"] == "enrolled" && i["name"].is_string()));
    // Leave: exactly 3 of 21 hours is allowed, more withdraws.
    let leave = |id: &str, hours: Value| json!({ "id_number": id, "hours": hours, "reason": "防汛值班" });
    let (s, v) =
        call(&app, "POST", &format!("/api/v1/classes/{}/leave", c.id), &city, Some(leave(&p[0].1, json!(-1)))).await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("负数"), "{v}");
    let (s, v) =
        call(&app, "POST", &format!("/api/v1/classes/{}/leave", c.id), &city, Some(leave(&p[0].1, json!(3)))).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("enrolled")), "{v}");
    let (s, v) =
        call(&app, "POST", &format!("/api/v1/classes/{}/leave", c.id), &city, Some(leave(&p[0].1, json!(0.5)))).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("withdrawn")), "{v}");
    // Another county cannot touch this county's trainee.
    let (s, _) =
        call(&app, "POST", &format!("/api/v1/classes/{}/leave", c.id), &quyuan, Some(leave(&p[1].1, json!(1)))).await;
    assert_eq!(s, 404);
    // Attendance from the roll: the session marked 'leave' for one; a bad status refuses all.
    let att = |recs: Value| json!({ "records": recs });
    let (s, v) = call(
        &app,
        "POST",
        &format!("/api/v1/sessions/{}/attendance", sessions[0]),
        &city,
        Some(att(json!([{ "id_number": p[1].1, "status": "present" }, { "id_number": q[0].1, "status": "asleep" }]))),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    let (s, v) = call(
        &app,
        "POST",
        &format!("/api/v1/sessions/{}/attendance", sessions[0]),
        &city,
        Some(att(json!([{ "id_number": p[1].1, "status": "present" }, { "id_number": q[0].1, "status": "leave" }]))),
    )
    .await;
    assert_eq!((s, v["created"].as_u64()), (200, Some(2)), "{v}");
    // A correction needs a reason.
    let (s, v) = call(
        &app,
        "POST",
        &format!("/api/v1/sessions/{}/attendance", sessions[0]),
        &city,
        Some(att(json!([{ "id_number": p[1].1, "status": "late" }]))),
    )
    .await;
    assert_eq!(s, 422, "{v}");
    assert!(v.to_string().contains("更正原因"), "{v}");
    let (s, v) = call(
        &app,
        "POST",
        &format!("/api/v1/sessions/{}/attendance", sessions[0]),
        &city,
        Some(att(json!([{ "id_number": p[1].1, "status": "late", "reason": "核对签到记录" }]))),
    )
    .await;
    assert_eq!((s, v["corrected"].as_u64()), (200, Some(1)), "{v}");
    // A county token cannot keep attendance nor complete the city's class.
    let (s, _) = call(&app, "POST", &format!("/api/v1/classes/{}/complete", c.id), &yunxi, None).await;
    assert_eq!(s, 403);
    let f = EnrolmentFilter { status: Some(EnrolmentStatus::Enrolled) };
    let everyone: Vec<i64> = enrolments::roster(&db.conn, &Scope::system(), c.id, &f, At::First, 100)
        .await
        .expect("roster")
        .items
        .iter()
        .map(|e| e.person_id)
        .collect();
    attend(&db.conn, &sessions[1..], &everyone, &[]).await;
    let (s, v) = call(&app, "POST", &format!("/api/v1/classes/{}/complete", c.id), &city, None).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["completed"], 4);
    assert_eq!(v["not_completed"].as_array().map(Vec::len), Some(0));
    // Credit records: 21 hours, less 3 for the one on leave.
    let records = credit_hours(&db.conn, c.id).await;
    assert_eq!(records.len(), 4);
    assert!(records.contains(&(q[0].0, 1800)) && records.contains(&(p[1].0, 2100)), "{records:?}");
    let (s, v) = call(&app, "POST", &format!("/api/v1/classes/{}/complete", c.id), &city, None).await;
    assert_eq!((s, v["completed"].as_u64()), (200, Some(4)));
    assert_eq!(credit_hours(&db.conn, c.id).await.len(), 4, "no second record");
    db.cleanup().await;
}

#[tokio::test]
async fn enrolments_pages_show_a_county_only_its_own_people_of_a_city_class() {
    let db = seeded().await;
    let c = city_class(&db.conn, "市级页面班", 60).await;
    seven_sessions(&db.conn, c.id).await;
    let p = people_of(&db.conn, YUNXI, 2).await;
    let q = people_of(&db.conn, QUYUAN, 2).await;
    let city = signed_in(&db, "citystaff", &[AccountRole::OrgStaff], CITY).await;
    let numbers = p.iter().chain(q.iter()).map(|x| x.1.as_str()).collect::<Vec<_>>().join("\n");
    let (s, loc, body) = city.post_form(&format!("/classes/{}/enrolments", c.id), &[("id_numbers", &numbers)]).await;
    assert_eq!(s, 303, "{body}");
    assert!(loc.unwrap_or_default().contains("done=enrolled&n=4"));
    let (s, body) = city.get(&format!("/classes/{}/enrolments", c.id)).await;
    assert_eq!(s, 200);
    assert!(body.contains(&p[0].2) && body.contains(&q[0].2), "the organiser sees everyone");
    // Choosing people starts from the class's target group; the user may widen it.
    let (s, body) = city.get(&format!("/classes/{}/enrolments/nominate", c.id)).await;
    assert_eq!(s, 200);
    assert!(
        body.contains(r#"<option value="village" selected>"#)
            && body.contains(r#"<option value="secretary" selected>"#)
            && body.contains("data-check-all=\"person\""),
        "{body}"
    );
    let (_, body) = city.get(&format!("/classes/{}/enrolments/nominate?sector=&role=", c.id)).await;
    assert!(!body.contains(r#"<option value="village" selected>"#), "widened: {body}");
    // A bad paste is refused whole, naming the person.
    let (s, _, body) = city.post_form(&format!("/classes/{}/enrolments", c.id), &[("id_numbers", &p[0].1)]).await;
    assert_eq!(s, 422);
    assert!(body.contains("已在本班学员名单中") && body.contains(&p[0].2), "{body}");
    // The county's staff: only their own people, in the roster, the leave list and nowhere
    // the sheet (the organiser's and the institution's only).
    let county = signed_in(&db, "qystaff", &[AccountRole::OrgStaff], QUYUAN).await;
    let (s, body) = county.get(&format!("/classes/{}/enrolments", c.id)).await;
    assert_eq!(s, 200);
    assert!(body.contains(&q[0].2) && body.contains(&q[1].2));
    assert!(!body.contains(&p[0].2) && !body.contains(&p[1].2), "no trace of another county");
    let (s, body) = county.get(&format!("/classes/{}/leave", c.id)).await;
    assert_eq!(s, 200);
    assert!(!body.contains(&p[0].2));
    let (s, _) = county.get(&format!("/classes/{}/sheet", c.id)).await;
    assert_eq!(s, 403);
    let (s, _, _) = county.post_form(&format!("/classes/{}/sheet.xlsx", c.id), &[]).await;
    assert_eq!(s, 403);
    // Its roster as Excel: its own trainees, none of the other county's.
    let (status, text) = xlsx_text(&county, &format!("/classes/{}/enrolments/export.xlsx", c.id)).await;
    assert_eq!(status, 200);
    assert!(text.contains(&q[0].1) && !text.contains(&p[0].1), "{text}");
    // And on paper: its own trainees, masked, none of the other county's.
    let (s, page) = county.get(&format!("/classes/{}/enrolments/print", c.id)).await;
    assert!(s == 200 && page.contains(&q[0].2) && !page.contains(&p[0].2), "{page}");
    assert!(!page.contains(&q[0].1), "numbers are masked on paper");
    // Leave is recorded by picking one's own trainee from the roster (numbers are masked,
    // none is typed); another county's trainee cannot be picked by id.
    let (_, body) = county.get(&format!("/classes/{}/leave", c.id)).await;
    assert!(body.contains(&format!(r#"<option value="{}">"#, q[1].0)) && !body.contains(&p[0].2), "{body}");
    let (s, _, body) = county
        .post_form(
            &format!("/classes/{}/leave", c.id),
            &[("person", &p[0].0.to_string()), ("hours", "1"), ("reason", "越界")],
        )
        .await;
    assert_eq!(s, 404, "{body}");
    let (s, loc, body) = county
        .post_form(
            &format!("/classes/{}/leave", c.id),
            &[("person", &q[1].0.to_string()), ("hours", "1"), ("reason", "发烧")],
        )
        .await;
    assert_eq!(s, 303, "{body}");
    assert!(loc.unwrap_or_default().contains("done=leave"));
    let (_, body) = county.get(&format!("/classes/{}/leave", c.id)).await;
    assert!(body.contains("发烧") && body.contains(&q[1].2), "{body}");
    // The county withdraws its own trainee, not the other county's.
    let (s, _, body) =
        county.post_form(&format!("/classes/{}/enrolments/{}/withdraw", c.id, p[0].0), &[("reason", "越界")]).await;
    assert!(s == 404 || s == 422, "{s} {body}");
    assert!(!body.contains(&p[0].2));
    let (s, loc, _) =
        county.post_form(&format!("/classes/{}/enrolments/{}/withdraw", c.id, q[0].0), &[("reason", "工作调动")]).await;
    assert_eq!(s, 303);
    assert!(loc.unwrap_or_default().contains("done=withdrawn"));
    // The organiser's roll-call sheet as Excel has everyone.
    let token = city.csrf().await;
    let r = city
        .raw
        .post(city.url(&format!("/classes/{}/sheet.xlsx", c.id)))
        .form(&[("_csrf", token.as_str())])
        .send()
        .await
        .expect("export");
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.expect("bytes");
    assert!(bytes.starts_with(b"PK"));
    // Completion from the page: the trainee absent from two sessions (6 of 21 hours, past
    // 1/7) is not completed.
    let sessions: Vec<i64> = classes::sessions::list(&db.conn, &Scope::system(), c.id)
        .await
        .expect("sessions")
        .iter()
        .map(|s| s.id)
        .collect();
    let present: Vec<i64> = p.iter().chain(q.iter()).map(|x| x.0).filter(|id| *id != q[0].0).collect();
    let (absent, rest) = present.split_last().expect("people");
    attend(&db.conn, &sessions, rest, &[]).await;
    attend(&db.conn, &sessions[2..], &[*absent], &[]).await;
    let (s, loc, _) = city.post_form(&format!("/classes/{}/complete", c.id), &[]).await;
    assert_eq!(s, 303);
    let loc = loc.unwrap_or_default();
    assert!(loc.contains(&format!("done=completed&n={}", rest.len())), "{loc}");
    db.cleanup().await;
}
