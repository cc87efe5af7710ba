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
