//! Filing upward in the browser: a county files its implementation plan from a phone
//! (360 px) — draft, attachment, submission — the city returns it with comments on a
//! desktop (1366 px), the county corrects and refiles it, the city files it; then the
//! county drafts its first progress report from the data and sees where each figure came
//! from.

use chrono::Duration as Days;
use fantoccini::Locator;
use xuepei_domain::org::Sector;
use xuepei_domain::people::Role;
use xuepei_domain::training::rules::TargetFilter;
use xuepei_store::campaigns::{self, CampaignInput};
use xuepei_store::{Actor, Scope, Tx};
use xuepei_testkit::browser::Browser;

use crate::training::{choose, id_in_url, submit};
use crate::{PASSWORD, demo, fill, no_sideways_scroll, sign_in};

async fn as_user(b: &Browser, app: &xuepei_testkit::TestApp, username: &str, width: u32) {
    b.client.delete_all_cookies().await.expect("sign out");
    b.client.set_window_size(width, 900).await.expect("resize");
    sign_in(b, app, username, PASSWORD).await;
    b.wait_for_text("退出").await;
}

#[tokio::test]
async fn a_county_files_its_plan_by_phone_the_city_returns_it_and_files_the_second_try() {
    let (db, app) = demo().await;
    let today = xuepei_domain::time::today();
    let campaign = {
        let tx = Tx::begin(&db.conn, &Scope::system(), &Actor::operator("测试")).await.expect("tx");
        let input = CampaignInput {
            issuer: "430600".into(),
            doc_number: "岳组发〔2026〕8号".into(),
            title: "全市村（社区）党组织书记集中轮训".into(),
            kind: "rotation".into(),
            start: Some(today - Days::days(20)),
            end: Some(today + Days::days(100)),
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
    let b = Browser::start().await;

    // 岳阳楼区 drafts its plan from a phone.
    as_user(&b, &app, "yueyanglou", 360).await;
    b.client.goto(&app.url(&format!("/campaigns/{}/filings/new", campaign.id))).await.expect("goto");
    b.wait_for_text("起草备案材料").await;
    no_sideways_scroll(&b, "起草备案材料").await;
    choose(&b, "kind", "plan").await;
    fill(&b, "title", "岳阳楼区村（社区）党组织书记集中轮训实施方案").await;
    fill(&b, "body", "一、指导思想\n二、培训对象\n三、方法步骤").await;
    submit(&b, "保存").await;
    let id = id_in_url(&b, "/filings/").await;
    b.wait_for_text("草稿已保存").await;
    // The issued plan attached, then submitted.
    let path = std::env::temp_dir().join(format!("xuepei-plan-{id}.pdf"));
    std::fs::write(&path, b"%PDF-1.4 plan").expect("file");
    b.client
        .find(Locator::Css("#upload-form input[type=file]"))
        .await
        .expect("file input")
        .send_keys(&path.to_string_lossy())
        .await
        .expect("choose file");
    submit(&b, "上传").await;
    b.wait_for_text("附件已上传").await;
    submit(&b, "报送备案").await;
    b.wait_for_text("已报送，等待接收单位备案").await;
    no_sideways_scroll(&b, "已报送的实施方案").await;
    b.screenshot("filing-01-phone-submitted").await;

    // The city returns it with comments.
    as_user(&b, &app, "city", 1366).await;
    b.client.goto(&app.url(&format!("/filings/{id}"))).await.expect("goto");
    b.wait_for_text("予以备案").await;
    fill(&b, "comments", "请补充分期安排和经费预算").await;
    submit(&b, "退回修改").await;
    b.wait_for_text("已退回修改").await;

    // 岳阳楼区 hears of it by the bell, opens the notification and lands on the plan,
    // reads the comments, corrects the text and refiles.
    as_user(&b, &app, "yueyanglou", 360).await;
    let badge = b.client.find(Locator::Css("#bell .badge")).await.expect("the bell counts").text().await.expect("n");
    assert!(badge.parse::<u32>().is_ok_and(|n| n >= 1), "{badge}");
    b.client.find(Locator::Css("#bell")).await.expect("bell").click().await.expect("open");
    let list = b.wait_for_text("通知提醒").await;
    assert!(list.contains("已被岳阳市退回修改：请补充分期安排和经费预算"), "{list}");
    no_sideways_scroll(&b, "通知提醒").await;
    b.screenshot("filing-01b-phone-notifications").await;
    b.client
        .find(Locator::XPath("//tr[contains(., '退回修改')]//button[normalize-space()='去办理']"))
        .await
        .expect("the notification's button")
        .click()
        .await
        .expect("open the matter");
    let page = b.wait_for_text("请补充分期安排和经费预算").await;
    assert!(b.client.current_url().await.expect("url").path().ends_with(&format!("/filings/{id}")));
    assert!(page.contains("已退回修改"), "{page}");
    fill(&b, "body", "一、指导思想\n二、培训对象\n三、方法步骤\n四、分期安排\n五、经费预算").await;
    submit(&b, "保存").await;
    b.wait_for_text("修改已保存").await;
    submit(&b, "报送备案").await;
    b.wait_for_text("已报送，等待接收单位备案").await;

    // The city files it; the board shows it filed.
    as_user(&b, &app, "city", 1366).await;
    b.client.goto(&app.url(&format!("/filings/{id}"))).await.expect("goto");
    b.wait_for_text("予以备案").await;
    submit(&b, "予以备案").await;
    b.wait_for_text("已予以备案").await;
    b.client.goto(&app.url(&format!("/campaigns/{}/filings", campaign.id))).await.expect("goto");
    let board = b.wait_for_text("备案情况").await;
    assert!(board.contains("岳阳楼区") && board.contains("已备案"), "{board}");
    b.screenshot("filing-02-city-board").await;

    // 岳阳楼区's first progress report, drafted from the data.
    as_user(&b, &app, "yueyanglou", 360).await;
    b.client.goto(&app.url(&format!("/campaigns/{}/filings/new", campaign.id))).await.expect("goto");
    b.wait_for_text("起草备案材料").await;
    choose(&b, "kind", "progress").await;
    fill(&b, "period", "1").await;
    submit(&b, "保存").await;
    let page = b.wait_for_text("起草所依据的数据").await;
    assert!(page.contains("一、基本情况") && page.contains("四、下步打算"), "{page}");
    assert!(page.contains("参训对象（人）") && page.contains("覆盖情况"), "{page}");
    no_sideways_scroll(&b, "根据系统数据起草的进度报告").await;
    b.screenshot("filing-03-phone-drafted-report").await;
    let _ = std::fs::remove_file(&path);
    b.close().await;
    db.cleanup().await;
}
