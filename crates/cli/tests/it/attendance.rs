//! Attendance: check-in by the rotating QR link or the short code, inside the window only,
//! with an expired, unknown or replayed code refused, once per trainee even when fired
//! concurrently; the projector page; automatic marks after a session.

use chrono::{Duration, Utc};
use xuepei_domain::accounts::{AccountRole, AccountRoles};
use xuepei_domain::training::checkin::{link_code, short_code, step_of};
use xuepei_domain::training::{AttendanceMark, Hours};
use xuepei_store::accounts::{self, NewAccount};
use xuepei_store::attendance;
use xuepei_store::checkins::CheckinWriter;
use xuepei_store::classes::{self, ClassInput};
use xuepei_store::enrolments::{self, PersonRef};
use xuepei_store::{Scope, StoreError};
use xuepei_testkit::TestApp;

use crate::classes::{CITY, class_input, session_input};
use crate::enrolments::people_of;
use crate::support::*;

/// A class running from yesterday (China time) for five days, without a campaign: any
/// session within a day of now falls inside it.
async fn todays_class(db: &xuepei_store::DatabaseConnection, capacity: i64) -> classes::Class {
    let today = xuepei_domain::time::today();
    let input = ClassInput {
        capacity: Some(capacity),
        allocations: vec![],
        start: Some(today - Duration::days(1)),
        end: Some(today + Duration::days(3)),
        ..class_input(None, "今日开班", CITY)
    };
    write(db, &Scope::system(), async |tx| classes::create(tx, &input).await).await.expect("class")
}

/// A session starting `offset` minutes from now (China time) on that day, lasting 50 minutes
/// or until 23:59 — so the test checks the same things at any time of day.
async fn session_at(db: &xuepei_store::DatabaseConnection, class_id: i64, offset: i64) -> i64 {
    let now = xuepei_domain::time::local(Utc::now());
    let mut start = now + Duration::minutes(offset);
    let last = start.date().and_hms_opt(23, 59, 0).expect("time");
    if start >= last {
        start = last - Duration::minutes(1);
    }
    let end = (start + Duration::minutes(50)).min(last);
    let d = start.date();
    let mut input = session_input(
        (chrono::Datelike::year(&d), chrono::Datelike::month(&d), chrono::Datelike::day(&d)),
        if chrono::Timelike::hour(&start) < 12 { "am" } else { "pm" },
        "签到测试",
        "lecture",
        "1",
    );
    input.starts = start.format("%H:%M").to_string();
    input.ends = end.format("%H:%M").to_string();
    write(db, &Scope::system(), async |tx| classes::sessions::add(tx, class_id, &input).await)
        .await
        .expect("session")
        .id
}

/// A cadre account linked to a person (the trainee on a phone).
pub(crate) async fn trainee_app(db: &xuepei_testkit::TestDb, username: &str, person_id: i64, code: &str) -> TestApp {
    let o = by_code(&db.conn, code).await;
    let new = NewAccount {
        username: username.into(),
        display_name: format!("学员{username}"),
        person_id: Some(person_id),
        org_id: o.id,
        scope_org_id: o.id,
        roles: AccountRoles::of(&[AccountRole::Cadre]),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    write(&db.conn, &Scope::system(), async |tx| accounts::create(tx, &new).await).await.expect("account");
    let app = TestApp::spawn(db).await;
    assert_eq!(app.login(username, PASSWORD).await, 303);
    app
}

#[tokio::test]
async fn attendance_check_in_by_link_once_inside_the_window_with_fresh_codes_only() {
    let db = seeded().await;
    let c = todays_class(&db.conn, 10).await;
    let sid = session_at(&db.conn, c.id, -10).await;
    let p = people_of(&db.conn, YUNXI, 2).await;
    write(&db.conn, &Scope::system(), async |tx| enrolments::enrol(tx, c.id, &[PersonRef::Id(p[0].0)]).await)
        .await
        .expect("enrol");
    let secret = attendance::checkin_secret(&db.conn, sid).await.expect("secret");
    let step = step_of(Utc::now());
    let phone = trainee_app(&db, "trainee1", p[0].0, YUNXI).await;
    // Not signed in: the login keeps the link.
    let anon = TestApp::spawn(&db).await;
    let r =
        anon.raw.get(anon.url(&format!("/checkin/{sid}?c={}", link_code(&secret, step)))).send().await.expect("get");
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(loc.starts_with("/login?next=") && loc.contains("checkin"), "{loc}");
    // The link page carries the code to confirm.
    let (s, body) = phone.get(&format!("/checkin/{sid}?c={}", link_code(&secret, step))).await;
    assert_eq!(s, 200);
    assert!(body.contains("确认签到") && body.contains(&link_code(&secret, step)));
    // Expired and unknown codes are refused.
    let (s, _, body) = phone.post_form(&format!("/checkin/{sid}"), &[("code", &link_code(&secret, step - 4))]).await;
    assert_eq!(s, 422);
    assert!(body.contains("已过期"), "{body}");
    let (s, _, body) = phone.post_form(&format!("/checkin/{sid}"), &[("code", "0123456789ab")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("签到码无效"), "{body}");
    // The current code checks in, late (ten minutes after the start), with the time.
    let (s, _, body) =
        phone.post_form(&format!("/checkin/{sid}"), &[("code", &link_code(&secret, step_of(Utc::now())))]).await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("签到成功") && body.contains("迟到"), "{body}");
    // Twice: refused, saying when.
    let (s, _, body) =
        phone.post_form(&format!("/checkin/{sid}"), &[("code", &short_code(&secret, step_of(Utc::now())))]).await;
    assert_eq!(s, 422, "shown again with the refusal");
    assert!(body.contains("已签到") && body.contains("您已于"), "{body}");
    // Someone not in the class cannot check in.
    let other = trainee_app(&db, "trainee2", p[1].0, YUNXI).await;
    let (s, _, body) =
        other.post_form(&format!("/checkin/{sid}"), &[("code", &link_code(&secret, step_of(Utc::now())))]).await;
    assert!(s == 403 || s == 422, "{s} {body}");
    assert!(body.contains("不是该课程所属班次的在册学员"), "{body}");
    // 我的培训 shows the class and the mark.
    let (s, body) = phone.get("/me/training").await;
    assert_eq!(s, 200);
    assert!(body.contains("今日开班"));
    let (s, body) = phone.get(&format!("/me/training/{}", c.id)).await;
    assert_eq!(s, 200);
    assert!(body.contains("签到测试") && body.contains("迟到"), "{body}");
    // The leave form names the limit before one asks (1 hour, 1/7 of it).
    assert!(
        body.contains("本班共 1 学时") && body.contains("最多 0.14 学时") && body.contains("尚可请假 0.14 学时"),
        "{body}"
    );
    // The projector page: a QR code of the absolute link and the six-digit code.
    let staff = signed_in(&db, "citystaff", &[AccountRole::OrgStaff], CITY).await;
    let (s, body) = staff.get(&format!("/sessions/{sid}/projector")).await;
    assert_eq!(s, 200);
    assert!(
        body.contains("<svg")
            && body.contains(&format!("/checkin/{sid}?c="))
            && body.contains("http-equiv=\"refresh\"")
    );
    let (s, body) = staff.get(&format!("/sessions/{sid}/roll")).await;
    assert_eq!(s, 200);
    assert!(body.contains(&p[0].2) && body.contains("扫码签到"), "{body}");
    // A county's staff cannot show another organiser's codes.
    let county = signed_in(&db, "qystaff", &[AccountRole::OrgStaff], QUYUAN).await;
    let (s, body) = county.get(&format!("/sessions/{sid}/projector")).await;
    assert!(s == 403 || s == 404, "{s}");
    assert!(!body.contains(&format!("/checkin/{sid}?c=")), "no code of another organiser's session");
    db.cleanup().await;
}

#[tokio::test]
async fn attendance_window_and_short_code_entry() {
    let db = seeded().await;
    let c = todays_class(&db.conn, 10).await;
    let p = people_of(&db.conn, YUNXI, 1).await;
    write(&db.conn, &Scope::system(), async |tx| enrolments::enrol(tx, c.id, &[PersonRef::Id(p[0].0)]).await)
        .await
        .expect("enrol");
    let phone = trainee_app(&db, "trainee3", p[0].0, YUNXI).await;
    // Tomorrow's session is not open yet.
    let d = xuepei_domain::time::today() + Duration::days(1);
    let input = session_input(
        (chrono::Datelike::year(&d), chrono::Datelike::month(&d), chrono::Datelike::day(&d)),
        "am",
        "明日专题",
        "lecture",
        "3",
    );
    let tomorrow = write(&db.conn, &Scope::system(), async |tx| classes::sessions::add(tx, c.id, &input).await)
        .await
        .expect("session");
    let secret = attendance::checkin_secret(&db.conn, tomorrow.id).await.expect("secret");
    let (s, _, body) = phone
        .post_form(&format!("/checkin/{}", tomorrow.id), &[("code", &link_code(&secret, step_of(Utc::now())))])
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("签到尚未开始"), "{body}");
    // No session open now: the short-code page says so.
    let (s, _, body) = phone.post_form("/checkin", &[("code", "123456")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("没有处于签到时间内的课程") || body.contains("签到码不正确"), "{body}");
    // A session starting in 20 minutes: open, and the short code checks in as present.
    {
        let sid = session_at(&db.conn, c.id, 20).await;
        let secret = attendance::checkin_secret(&db.conn, sid).await.expect("secret");
        let (s, _, body) = phone.post_form("/checkin", &[("code", "000000x")]).await;
        assert_eq!(s, 422, "{body}");
        let (s, _, body) = phone.post_form("/checkin", &[("code", &short_code(&secret, step_of(Utc::now())))]).await;
        assert_eq!(s, 200, "{body}");
        assert!(body.contains("签到成功") && body.contains("出勤"), "{body}");
    }
    // A session that closed (started 45 minutes ago): refused.
    {
        let sid = session_at(&db.conn, c.id, -45).await;
        let secret = attendance::checkin_secret(&db.conn, sid).await.expect("secret");
        let (s, _, body) =
            phone.post_form(&format!("/checkin/{sid}"), &[("code", &link_code(&secret, step_of(Utc::now())))]).await;
        assert_eq!(s, 422);
        assert!(body.contains("签到已结束"), "{body}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn attendance_concurrent_check_ins_are_each_recorded_exactly_once() {
    let db = seeded().await;
    let c = todays_class(&db.conn, 60).await;
    let sid = session_at(&db.conn, c.id, 5).await;
    let p = people_of(&db.conn, YUNXI, 25).await;
    let refs: Vec<PersonRef> = p.iter().map(|x| PersonRef::Id(x.0)).collect();
    write(&db.conn, &Scope::system(), async |tx| enrolments::enrol(tx, c.id, &refs).await).await.expect("enrol");
    let secret = attendance::checkin_secret(&db.conn, sid).await.expect("secret");
    let code = link_code(&secret, step_of(Utc::now()));
    // Every trainee fires three times at once: 75 tasks, through two writers as two server
    // processes would (each batches its own, and gets one trainee twice in a batch); the
    // database keeps one row per trainee.
    let writers = [
        std::sync::Arc::new(CheckinWriter::new(db.conn.clone())),
        std::sync::Arc::new(CheckinWriter::new(db.conn.clone())),
    ];
    let mut tasks = Vec::new();
    for (i, (pid, _, _)) in p.iter().chain(p.iter()).chain(p.iter()).enumerate() {
        let (w, code, pid) = (writers[i % 2].clone(), code.clone(), *pid);
        tasks.push(tokio::spawn(async move { w.check_in(sid, pid, &code, "qr").await }));
    }
    let (mut ok, mut twice) = (0, 0);
    for t in tasks {
        match t.await.expect("task") {
            Ok(done) => {
                assert_eq!(done.mark, AttendanceMark::Present);
                ok += 1;
            }
            Err(StoreError::Conflict(m)) => {
                assert!(m.contains("已签到"), "{m}");
                twice += 1;
            }
            Err(e) => panic!("unexpected: {e:?}"),
        }
    }
    assert_eq!((ok, twice), (25, 50));
    let tx =
        xuepei_store::Tx::begin(&db.conn, &Scope::system(), &xuepei_store::Actor::operator("测试")).await.expect("tx");
    let roll = attendance::roll(&tx, sid).await.expect("roll");
    tx.rollback().await.expect("rollback");
    assert_eq!(roll.rows.len(), 25);
    assert!(roll.rows.iter().all(|r| r.mark == Some(AttendanceMark::Present) && r.checked_at.is_some()));
    db.cleanup().await;
}

#[tokio::test]
async fn attendance_after_a_session_unmarked_trainees_are_absent_or_on_leave() {
    let db = seeded().await;
    let c = crate::enrolments::city_class(&db.conn, "往期班", 10).await;
    let sessions = crate::enrolments::seven_sessions(&db.conn, c.id).await;
    let p = people_of(&db.conn, YUNXI, 3).await;
    let refs: Vec<PersonRef> = p.iter().map(|x| PersonRef::Id(x.0)).collect();
    let city = county_scope(&db.conn, CITY).await;
    write(&db.conn, &city, async |tx| enrolments::enrol(tx, c.id, &refs).await).await.expect("enrol");
    let input = enrolments::LeaveInput { hours: None, sessions: vec![sessions[1]], reason: "请假".into() };
    write(&db.conn, &city, async |tx| enrolments::request_leave(tx, c.id, &PersonRef::Id(p[1].0), &input).await)
        .await
        .expect("leave");
    let marks =
        [attendance::MarkInput { who: PersonRef::Id(p[0].0), mark: AttendanceMark::Present, reason: String::new() }];
    write(&db.conn, &city, async |tx| attendance::mark(tx, sessions[1], &marks).await).await.expect("mark");
    let roll = write(&db.conn, &city, async |tx| attendance::roll(tx, sessions[1]).await).await.expect("roll");
    let mark_of = |pid: i64| roll.rows.iter().find(|r| r.person_id == pid).and_then(|r| r.mark);
    assert_eq!(mark_of(p[0].0), Some(AttendanceMark::Present));
    assert_eq!(mark_of(p[1].0), Some(AttendanceMark::Leave), "covered by leave");
    assert_eq!(mark_of(p[2].0), Some(AttendanceMark::Absent), "no mark after the session");
    // The automatic 'leave' mark is the same leave: still 3 hours.
    let e = enrolments::own_enrolment(&db.conn, p[1].0, c.id).await.expect("read").expect("enrolled");
    assert_eq!(e.leave_hours, Hours::whole(3));
    db.cleanup().await;
}

#[tokio::test]
async fn attendance_guessing_the_short_code_pauses_check_in() {
    let db = seeded().await;
    let c = todays_class(&db.conn, 10).await;
    let p = people_of(&db.conn, YUNXI, 1).await;
    write(&db.conn, &Scope::system(), async |tx| enrolments::enrol(tx, c.id, &[PersonRef::Id(p[0].0)]).await)
        .await
        .expect("enrol");
    let sid = session_at(&db.conn, c.id, 10).await;
    let secret = attendance::checkin_secret(&db.conn, sid).await.expect("secret");
    let phone = trainee_app(&db, "guesser", p[0].0, YUNXI).await;
    let right = short_code(&secret, step_of(Utc::now()));
    let wrong: Vec<String> = (0..20u32)
        .map(|n| format!("{:06}", (n * 7919 + 13) % 1_000_000))
        .filter(|c| *c != right && *c != short_code(&secret, step_of(Utc::now()) - 1))
        .take(attendance::CHECKIN_FAILURES as usize)
        .collect();
    for (n, code) in wrong.iter().enumerate() {
        let url = if n % 2 == 0 { format!("/checkin/{sid}") } else { "/checkin".to_owned() };
        let (s, _, body) = phone.post_form(&url, &[("code", code)]).await;
        assert_eq!(s, 422, "{body}");
        assert!(body.contains("签到码不正确或已过期"), "a typed code is told only wrong or expired: {body}");
    }
    // Now even the right code waits: guessing a million codes is out of reach.
    let (s, _, body) =
        phone.post_form(&format!("/checkin/{sid}"), &[("code", &short_code(&secret, step_of(Utc::now())))]).await;
    assert_eq!(s, 422);
    assert!(body.contains("签到失败次数过多"), "{body}");
    // Someone not in the class learns nothing about it.
    let other = people_of(&db.conn, YUNXI, 2).await;
    let stranger = trainee_app(&db, "stranger", other[1].0, YUNXI).await;
    let (s, _, body) = stranger.post_form(&format!("/checkin/{sid}"), &[("code", "123456")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("不是该课程所属班次的在册学员") && !body.contains(&c.title), "{body}");
    db.cleanup().await;
}

#[tokio::test]
async fn attendance_a_class_completes_only_after_its_last_session() {
    let db = seeded().await;
    let c = todays_class(&db.conn, 10).await;
    let p = people_of(&db.conn, YUNXI, 1).await;
    write(&db.conn, &Scope::system(), async |tx| enrolments::enrol(tx, c.id, &[PersonRef::Id(p[0].0)]).await)
        .await
        .expect("enrol");
    session_at(&db.conn, c.id, 30).await;
    match write(&db.conn, &Scope::system(), async |tx| enrolments::complete(tx, c.id).await).await {
        Err(StoreError::Conflict(m)) => assert!(m.contains("尚未结束"), "{m}"),
        other => panic!("completion before the last session ended: {other:?}"),
    }
    let f = xuepei_store::credits::for_person(&db.conn, &Scope::system(), None, p[0].0).await.expect("file");
    assert!(f.records.is_empty(), "no hours credited");
    db.cleanup().await;
}
