//! Rotational training in the browser: a county's organisation department creates a class
//! and its timetable, enrols a community secretary, shows the check-in QR on the projector,
//! the secretary checks in from a phone by opening the QR link, the department plans the
//! rest of its secretaries into batches and accepts them, and the coverage changes.

use chrono::{Duration as Days, NaiveDate, Timelike, Utc};
use fantoccini::Locator;
use xuepei_domain::org::Sector;
use xuepei_domain::people::Role;
use xuepei_domain::training::rules::TargetFilter;
use xuepei_store::campaigns::{self, CampaignInput};
use xuepei_store::{Actor, Scope, Tx, accounts, org, people};
use xuepei_testkit::browser::Browser;

use crate::{PASSWORD, demo, sign_in};

/// Fills a text input of the current form.
async fn fill(b: &Browser, name: &str, value: &str) {
    let e = b.client.find(Locator::Css(&format!("[name='{name}']"))).await.unwrap_or_else(|_| panic!("field {name}"));
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

/// Chooses an option of a select by its value.
pub(crate) async fn choose(b: &Browser, name: &str, value: &str) {
    b.client
        .find(Locator::Css(&format!("select[name='{name}'] option[value='{value}']")))
        .await
        .unwrap_or_else(|_| panic!("option {value} of {name}"))
        .click()
        .await
        .expect("choose");
}

pub(crate) async fn submit(b: &Browser, label: &str) {
    // Confirmation dialogs answer yes.
    b.client.execute("window.confirm = function () { return true; };", vec![]).await.expect("confirm");
    b.client
        .find(Locator::XPath(&format!("//button[normalize-space()='{label}']")))
        .await
        .unwrap_or_else(|_| panic!("button {label}"))
        .click()
        .await
        .expect("click");
}

/// The number of the page's path after `prefix` (`/classes/12` → 12).
pub(crate) async fn id_in_url(b: &Browser, prefix: &str) -> i64 {
    for _ in 0..100 {
        let url = b.client.current_url().await.expect("url");
        if let Some(rest) = url.path().strip_prefix(prefix)
            && let Ok(id) = rest.split('/').next().unwrap_or_default().parse::<i64>()
        {
            return id;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no {prefix}… page");
}

#[tokio::test]
async fn a_county_runs_a_class_a_secretary_checks_in_by_phone_and_batches_are_planned() {
    let (db, app) = demo().await;
    let sys = Scope::system();
    // The session starts in ten minutes (China time), on whatever day that is; the class
    // runs from the day before to the day after.
    let starts_at = xuepei_domain::time::local(Utc::now()) + Days::minutes(10);
    let today: NaiveDate = starts_at.date();
    let start = i64::from(starts_at.hour() * 60 + starts_at.minute()).min(23 * 60 + 57);
    let county = org::get_by_code(&db.conn, &sys, "430602").await.expect("county");
    let campaign = {
        let tx = Tx::begin(&db.conn, &sys, &Actor::operator("测试")).await.expect("tx");
        let input = CampaignInput {
            issuer: "430602".into(),
            doc_number: "岳楼组发〔2026〕3号".into(),
            title: "岳阳楼区村（社区）党组织书记集中轮训".into(),
            kind: "rotation".into(),
            start: Some(today - Days::days(10)),
            end: Some(today + Days::days(120)),
            plan_deadline: None,
            target: TargetFilter {
                sectors: vec![Sector::Village, Sector::Community],
                roles: vec![Role::Secretary],
                ..TargetFilter::default()
            },
            rules: Default::default(),
        };
        let c = campaigns::create(&tx, &input).await.expect("campaign");
        tx.commit().await.expect("commit");
        c
    };
    let secretary = {
        let a = accounts::by_username(&db.conn, "shuji").await.expect("account");
        people::get(&db.conn, &sys, a.person_id.expect("a person")).await.expect("person")
    };

    let b = Browser::start().await;
    b.client.set_window_size(1366, 900).await.expect("resize");
    sign_in(&b, &app, "yueyanglou", PASSWORD).await;
    b.wait_for_text("工作台").await;

    // A three-day class around today.
    b.client.goto(&app.url(&format!("/classes/new?campaign_id={}", campaign.id))).await.expect("goto");
    b.wait_for_text("班次名称").await;
    fill(&b, "title", "社区书记示范班").await;
    fill(&b, "organiser", "430602").await;
    choose(&b, "level", "county").await;
    fill(&b, "institution", "中共岳阳楼区委党校").await;
    fill(&b, "start", &(today - Days::days(1)).to_string()).await;
    fill(&b, "end", &(today + Days::days(1)).to_string()).await;
    fill(&b, "capacity", "40").await;
    submit(&b, "保存").await;
    let class = id_in_url(&b, "/classes/").await;
    b.wait_for_text("社区书记示范班").await;
    b.screenshot("31-class").await;

    // A session starting in ten minutes (its check-in window is open now).
    let hhmm = |m: i64| format!("{:02}:{:02}", m / 60, m % 60);
    b.client.goto(&app.url(&format!("/classes/{class}/sessions/new"))).await.expect("goto");
    b.wait_for_text("课程专题").await;
    fill(&b, "date", &today.to_string()).await;
    choose(
        &b,
        "slot",
        if start < 12 * 60 {
            "am"
        } else if start < 18 * 60 {
            "pm"
        } else {
            "evening"
        },
    )
    .await;
    fill(&b, "starts", &hhmm(start)).await;
    fill(&b, "ends", &hhmm((start + 90).min(23 * 60 + 59))).await;
    fill(&b, "topic", "基层党组织基本职责和工作方法").await;
    choose(&b, "mode", "lecture").await;
    fill(&b, "hours", "2").await;
    submit(&b, "保存").await;
    b.wait_for_text("课程安排已保存").await;

    // Enrol the community secretary, found by name.
    b.client.goto(&app.url(&format!("/classes/{class}/enrolments/nominate?q={}", secretary.name))).await.expect("goto");
    b.wait_for_text(&secretary.name).await;
    b.client
        .find(Locator::Css(&format!("input[name=person][value='{}']", secretary.id)))
        .await
        .expect("the secretary")
        .click()
        .await
        .expect("tick");
    submit(&b, "为所选人员报名").await;
    b.wait_for_text("已报名").await;

    // The projector shows the QR and its link.
    let session = {
        let s = xuepei_store::classes::sessions::list(&db.conn, &sys, class).await.expect("sessions");
        s[0].id
    };
    b.client.goto(&app.url(&format!("/sessions/{session}/projector"))).await.expect("goto");
    b.wait_for_text("签到码").await;
    assert!(b.client.find(Locator::Css(".projector-qr svg")).await.is_ok(), "a QR code");
    b.screenshot("32-projector").await;
    let link = b
        .client
        .find(Locator::Css(".projector-url a"))
        .await
        .expect("link")
        .attr("href")
        .await
        .expect("href")
        .expect("an address");
    b.client.find(Locator::Css("body")).await.expect("body");
    b.client.goto(&app.url("/")).await.expect("home");
    b.client.find(Locator::Css("form[action='/logout'] button")).await.expect("logout").click().await.expect("click");
    b.wait_for_text("您已安全退出").await;

    // On a phone: the QR link leads through sign-in and back, and checks in once.
    b.client.set_window_size(360, 740).await.expect("resize");
    b.client.goto(&link).await.expect("open the QR link");
    b.wait_for_text("用户名").await;
    b.client.find(Locator::Css("input[name=username]")).await.expect("user").send_keys("shuji").await.expect("type");
    b.client.find(Locator::Css("input[name=password]")).await.expect("pass").send_keys(PASSWORD).await.expect("type");
    b.client.find(Locator::Css("form button[type=submit]")).await.expect("button").click().await.expect("submit");
    b.wait_for_text("社区书记示范班").await;
    if b.client.find(Locator::XPath("//button[normalize-space()='确认签到']")).await.is_ok() {
        submit(&b, "确认签到").await;
    }
    b.wait_for_text("签到成功").await;
    let width = b.client.execute("return document.documentElement.scrollWidth", vec![]).await.expect("width");
    assert!(width.as_u64().unwrap_or(9999) <= 361, "the check-in page fits the phone: {width}");
    b.screenshot("33-phone-checkin").await;
    // Opening the link again does not check in twice.
    b.client.goto(&link).await.expect("again");
    b.wait_for_text("签到").await;
    if b.client.find(Locator::XPath("//button[normalize-space()='确认签到']")).await.is_ok() {
        submit(&b, "确认签到").await;
    }
    let t = b.wait_for_text("已签到").await;
    assert!(!t.contains("签到成功"), "{t}");
    b.client.goto(&app.url("/me/training")).await.expect("my training");
    b.wait_for_text("社区书记示范班").await;
    b.screenshot("34-phone-my-training").await;
    b.client.find(Locator::Css("button.menu-toggle")).await.expect("menu").click().await.expect("open");
    b.client.find(Locator::Css("form[action='/logout'] button")).await.expect("logout").click().await.expect("click");
    b.wait_for_text("您已安全退出").await;

    // Back at the desk: the roll shows the check-in; plan the other secretaries.
    b.client.set_window_size(1366, 900).await.expect("resize");
    sign_in(&b, &app, "yueyanglou", PASSWORD).await;
    b.wait_for_text("工作台").await;
    b.client.goto(&app.url(&format!("/sessions/{session}/roll"))).await.expect("roll");
    let t = b.wait_for_text(&secretary.name).await;
    assert!(t.contains("出勤"), "checked in on time: {t}");

    let enrolled_before = coverage_enrolled(&db.conn, campaign.id, county.id).await;
    b.client.goto(&app.url(&format!("/campaigns/{}/plans/new", campaign.id))).await.expect("goto");
    b.wait_for_text("生成排期方案").await;
    choose(&b, "organiser", "430602").await;
    choose(&b, "level", "county").await;
    fill(&b, "title", "2026年村（社区）党组织书记轮训班").await;
    fill(&b, "start", &(today + Days::days(7)).to_string()).await;
    fill(&b, "end", &(today + Days::days(100)).to_string()).await;
    fill(&b, "batch_days", "4").await;
    fill(&b, "capacity", "30").await;
    submit(&b, "生成排期方案").await;
    let t = b.wait_for_text("第1期").await;
    assert!(t.contains("未能安排"), "{t}");
    b.screenshot("35-plan").await;
    submit(&b, "确认方案并生成班次").await;
    b.wait_for_text("轮训班第1期").await;
    b.screenshot("36-planned-classes").await;
    let enrolled_after = coverage_enrolled(&db.conn, campaign.id, county.id).await;
    assert!(enrolled_after > enrolled_before, "{enrolled_before} → {enrolled_after}");
    b.client.goto(&app.url(&format!("/campaigns/{}/coverage", campaign.id))).await.expect("coverage");
    let t = b.wait_for_text("覆盖").await;
    assert!(t.contains(&enrolled_after.to_string()), "the page shows {enrolled_after}: {t}");
    b.screenshot("37-coverage").await;
    b.close().await;
    db.cleanup().await;
}

/// The county's enrolled count as the coverage view reads it.
async fn coverage_enrolled(db: &xuepei_store::DatabaseConnection, campaign: i64, county: i64) -> i64 {
    let scope = Scope::of_org(db, county).await.expect("scope");
    xuepei_store::coverage::summary(db, &scope, campaign, None).await.expect("coverage").figures.enrolled
}
