//! Notifications (issue 14 item 6): read off the records for each account's scope — a
//! deadline approaching or passed, a plan returned, filings waiting for the receiver, places
//! to fill, a class starting tomorrow (also on the trainee's own account), a base to review;
//! the bell's unread count; marking one or all read; a second return is a new notification;
//! another county sees none of it.

use chrono::{Duration, NaiveDate};
use xuepei_domain::accounts::AccountRole;
use xuepei_store::Scope;
use xuepei_store::bases::{self, BaseInput};
use xuepei_store::campaigns::{self, CampaignInput};
use xuepei_store::classes::{self, ClassInput};
use xuepei_store::enrolments::{self, PersonRef};
use xuepei_store::filings::{self, FilingInput};

use crate::classes::{CITY, class_input};
use crate::support::*;

fn today() -> NaiveDate {
    xuepei_domain::time::today()
}

/// A campaign of the city over both counties, running now, whose plans are due `due` days
/// from today (negative: passed).
fn campaign(title: &str, due: i64) -> CampaignInput {
    CampaignInput {
        start: Some(today() - Duration::days(20)),
        end: Some(today() + Duration::days(40)),
        plan_deadline: Some(today() + Duration::days(due)),
        ..crate::campaigns::input(title, CITY, &[YUNXI, QUYUAN])
    }
}

/// The row of the list holding `text`: its key, and whether it is unread.
fn row<'a>(page: &'a str, text: &str) -> Option<(&'a str, bool)> {
    let tr = page.split("<tr").find(|r| r.contains(text))?;
    let key = tr.split("name=\"key\" value=\"").nth(1)?.split('"').next()?;
    Some((key, tr.starts_with(" class=\"unread\"")))
}

fn unread_count(page: &str) -> usize {
    page.split("id=\"unread-count\">")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .and_then(|n| n.parse().ok())
        .expect("count")
}

/// The bell's number in the top bar (0 when it shows none).
fn bell(page: &str) -> usize {
    let a = page.split("id=\"bell\"").nth(1).expect("bell").split("</a>").next().expect("bell");
    a.split("class=\"badge\">").nth(1).and_then(|s| s.split('<').next()).map_or(0, |n| n.parse().expect("number"))
}

#[tokio::test]
async fn notifications_follow_the_records_for_each_account_and_are_marked_read() {
    let db = seeded().await;
    let sys = Scope::system();
    let city = county_scope(&db.conn, CITY).await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let soon = write(&db.conn, &sys, async |tx| campaigns::create(tx, &campaign("夏季村干部轮训", 3)).await)
        .await
        .expect("campaign");
    write(&db.conn, &sys, async |tx| campaigns::create(tx, &campaign("春季社区干部轮训", -2)).await)
        .await
        .expect("campaign");
    // 云溪区 files its plan for the summer campaign; the city returns it.
    let input = FilingInput {
        org: YUNXI.into(),
        kind: "plan".into(),
        period: String::new(),
        title: "云溪区夏季村干部轮训实施方案".into(),
        body: "一、指导思想".into(),
    };
    let f = write(&db.conn, &yunxi, async |tx| filings::create(tx, soon.id, &input).await).await.expect("draft");
    write(&db.conn, &yunxi, async |tx| filings::add_file(tx, f.id, "方案.pdf", b"%PDF".to_vec()).await)
        .await
        .expect("file");
    write(&db.conn, &yunxi, async |tx| filings::submit(tx, f.id).await).await.expect("submitted");
    write(&db.conn, &city, async |tx| filings::decide(tx, f.id, "return", "请补充课程安排").await)
        .await
        .expect("returned");
    // A class of the city starting tomorrow, with places for both counties; one trainee of
    // 云溪区 enrolled, with an account of their own.
    let class = ClassInput {
        start: Some(today() + Duration::days(1)),
        end: Some(today() + Duration::days(4)),
        ..class_input(None, "村党组织书记示范培训班", CITY)
    };
    let class: classes::Class =
        write(&db.conn, &sys, async |tx| classes::create(tx, &class).await).await.expect("class");
    let trainee = crate::enrolments::people_of(&db.conn, YUNXI, 1).await.remove(0);
    write(&db.conn, &sys, async |tx| enrolments::enrol(tx, class.id, &[PersonRef::Id(trainee.0)]).await)
        .await
        .expect("enrol");
    // A complete base application of 云溪区, waiting for the county.
    let base = BaseInput {
        org: JINGZHU.into(),
        name: "金珠村示范培训实践基地".into(),
        kind: "village".into(),
        year: today().format("%Y").to_string(),
        evidence: ["培训室120平方米", "讲解员2名", "典型材料汇编", "产业园现场", "专题片《金珠之变》"]
            .map(String::from),
        ..BaseInput::default()
    };
    write(&db.conn, &yunxi, async |tx| bases::create(tx, &base).await).await.expect("base");

    // 云溪区: its plan returned with the comments, the other campaign's plan overdue, its
    // places to fill, the class tomorrow and the base to review; the bell counts them.
    let county = signed_in(&db, "yxzzb", &[AccountRole::OrgStaff], YUNXI).await;
    let (status, page) = county.get("/notifications").await;
    assert_eq!(status, 200, "{page}");
    let (returned, unread) = row(&page, "已被").expect("returned plan");
    assert!(unread && returned.starts_with("filing_returned:"), "{page}");
    assert!(page.contains("请补充课程安排"), "the comments are quoted: {page}");
    assert!(row(&page, "春季社区干部轮训）应于").is_some_and(|r| r.0.starts_with("deadline_passed:")), "{page}");
    assert!(page.contains("已逾期2天"), "{page}");
    assert!(page.contains("30个名额，已报名1人，尚有29个名额待填报"), "云溪区's places, one filled: {page}");
    assert!(page.contains("村党组织书记示范培训班”明天"), "{page}");
    assert!(page.contains("金珠村示范培训实践基地") && page.contains("请审核"), "{page}");
    assert!(!page.contains("尚有20个名额"), "屈原's allocation is not 云溪区's business: {page}");
    let total = unread_count(&page);
    assert!(total >= 5, "{total}");
    let (_, home) = county.get("/").await;
    assert_eq!(bell(&home), total, "the bell shows the unread count");

    // Opening one marks it read and goes to the matter; a foreign address is not followed.
    let (status, loc, _) =
        county.post_form("/notifications/read", &[("key", returned), ("next", &format!("/filings/{}", f.id))]).await;
    assert_eq!((status, loc.as_deref()), (303, Some(format!("/filings/{}", f.id).as_str())));
    let (_, page) = county.get("/notifications").await;
    assert_eq!(row(&page, "已被").map(|r| r.1), Some(false), "read now: {page}");
    assert_eq!(unread_count(&page), total - 1);
    let (_, home) = county.get("/").await;
    assert_eq!(bell(&home), total - 1, "the bell forgets its count once something is read");
    // A form refused and shown again keeps the bell's number.
    let (status, _, body) = county.post_form(&format!("/filings/{}", f.id), &[("title", ""), ("body", "")]).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(bell(&body), total - 1, "{body}");
    let key = row(&page, "尚有29个名额").expect("allocation").0.to_owned();
    let (status, loc, _) =
        county.post_form("/notifications/read", &[("key", &key), ("next", "//evil.example/phish")]).await;
    assert_eq!((status, loc.as_deref()), (303, Some("/notifications?done=one")));
    // Marked read from a filtered list: back to the same filter (an unknown kind dropped).
    let (status, loc, _) = county
        .post_form("/notifications/read", &[("key", &key), ("show", "unread"), ("kind", "allocation_to_fill")])
        .await;
    assert_eq!((status, loc.as_deref()), (303, Some("/notifications?done=one&show=unread&kind=allocation_to_fill")));
    let (_, loc, _) = county.post_form("/notifications/read", &[("key", &key), ("kind", "<x>")]).await;
    assert_eq!(loc.as_deref(), Some("/notifications?done=one"));
    // No key: refused in Chinese; without the CSRF token: refused.
    let (status, _, body) = county.post_form("/notifications/read", &[]).await;
    assert_eq!(status, 400);
    assert!(body.contains("请选择要标记为已读的通知"), "{body}");
    let r = county.raw.post(county.url("/notifications/read")).form(&[("all", "1")]).send().await.expect("post");
    assert_eq!(r.status().as_u16(), 403);
    // All read: the bell shows no number; the unread filter is empty.
    let (status, loc, _) = county.post_form("/notifications/read", &[("all", "1")]).await;
    assert_eq!((status, loc.as_deref()), (303, Some("/notifications?done=all")));
    let (_, page) = county.get("/notifications?show=unread").await;
    assert_eq!(unread_count(&page), 0);
    assert!(page.contains("没有未读通知"), "{page}");
    assert_eq!(bell(&page), 0);

    // Filled places and a settled matter leave the list; a second return is news again.
    write(&db.conn, &yunxi, async |tx| filings::update(tx, f.id, &input.title, "一、指导思想\n二、课程安排").await)
        .await
        .expect("corrected");
    write(&db.conn, &yunxi, async |tx| filings::submit(tx, f.id).await).await.expect("again");
    let city_app = signed_in(&db, "szzb", &[AccountRole::OrgStaff], CITY).await;
    let (_, page) = city_app.get("/notifications").await;
    assert!(page.contains("夏季村干部轮训：1份材料已报送，等待备案或退回"), "{page}");
    assert!(page.contains("春季社区干部轮训：2个单位的实施方案逾期未报送"), "{page}");
    assert!(page.contains("村党组织书记示范培训班”明天"), "the organiser hears of its class: {page}");
    assert!(!page.contains("金珠村"), "the county decides on a draft, not the city: {page}");
    write(&db.conn, &city, async |tx| filings::decide(tx, f.id, "return", "请注明培训地点").await)
        .await
        .expect("returned again");
    let (_, page) = county.get("/notifications").await;
    assert_eq!(unread_count(&page), 1, "only the second return is unread: {page}");
    assert!(row(&page, "请注明培训地点").is_some_and(|r| r.1), "{page}");
    assert!(!page.contains("请补充课程安排"), "the first return is settled: {page}");

    // 屈原管理区 sees its own deadline approaching and its own places, nothing of 云溪区.
    let other = signed_in(&db, "qyzzb", &[AccountRole::OrgStaff], QUYUAN).await;
    let (_, page) = other.get("/notifications").await;
    assert!(page.contains("夏季村干部轮训）应于") && page.contains("还有3天截止"), "{page}");
    assert!(page.contains("尚有20个名额待填报"), "{page}");
    assert!(!page.contains("云溪区") && !page.contains("金珠村"), "{page}");
    // Marking 云溪区's notification from 屈原 changes nothing.
    let (_, loc, _) = other.post_form("/notifications/read", &[("key", returned)]).await;
    assert_eq!(loc.as_deref(), Some("/notifications?done=one"));
    let (_, page) = other.get("/notifications").await;
    assert!(!page.contains(returned));

    // The trainee hears of their own class, on their own account.
    let phone = crate::attendance::trainee_app(&db, "trainee9", trainee.0, YUNXI).await;
    let (status, page) = phone.get("/notifications").await;
    assert_eq!(status, 200);
    assert!(page.contains("您参加的“村党组织书记示范培训班”明天") && page.contains("请按时报到"), "{page}");
    assert!(page.contains(&format!("/me/training/{}", class.id)), "{page}");
    assert_eq!(bell(&page), 1);
    assert_eq!(page.matches("data-label=\"内容\"").count(), 1, "a trainee sees only their own: {page}");
}

#[tokio::test]
async fn a_filed_plan_asks_nothing_more_and_foreign_keys_are_not_marked() {
    let db = seeded().await;
    let sys = Scope::system();
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let city = county_scope(&db.conn, CITY).await;
    let c = write(&db.conn, &sys, async |tx| campaigns::create(tx, &campaign("秋季轮训", 5)).await)
        .await
        .expect("campaign");
    let viewer =
        |account_id| xuepei_store::notifications::Viewer { account_id, person_id: None, training: true, acts: true };
    let account = account(&db.conn, "yx2", &[AccountRole::OrgStaff], YUNXI).await;
    let id = xuepei_store::accounts::by_username(&db.conn, &account).await.expect("account").id;
    let list = async |scope: &Scope| xuepei_store::notifications::list(&db.conn, scope, &viewer(id), today()).await;
    let before = list(&yunxi).await.expect("list");
    assert!(before.iter().any(|n| n.key.contains(&format!("deadline_soon:{}", c.id)) || n.text.contains("秋季轮训")));
    let input = FilingInput {
        org: YUNXI.into(),
        kind: "plan".into(),
        period: String::new(),
        title: "方案".into(),
        body: "正文".into(),
    };
    let f = write(&db.conn, &yunxi, async |tx| filings::create(tx, c.id, &input).await).await.expect("draft");
    write(&db.conn, &yunxi, async |tx| filings::add_file(tx, f.id, "a.pdf", b"%PDF".to_vec()).await)
        .await
        .expect("file");
    write(&db.conn, &yunxi, async |tx| filings::submit(tx, f.id).await).await.expect("submitted");
    write(&db.conn, &city, async |tx| filings::decide(tx, f.id, "accept", "").await).await.expect("filed");
    let after = list(&yunxi).await.expect("list");
    assert!(
        !after.iter().any(|n| n.text.contains("秋季轮训") && n.text.contains("实施方案")),
        "the filed plan asks nothing more: {after:?}"
    );
    // Marking read a key that is not the viewer's is ignored.
    let n = xuepei_store::notifications::mark_read(
        &db.conn,
        &yunxi,
        &viewer(id),
        today(),
        Some(&["filing_returned:999:0".to_owned()]),
    )
    .await
    .expect("mark");
    assert_eq!(n, 0);
}
