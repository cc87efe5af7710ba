//! Practice bases in the browser: a county applies for a base from a phone (360 px), adds a
//! photo of the venue as evidence and recommends it; the city, warned by its bell, accredits
//! it on a desktop (1366 px); the county's fee caps are tightened in the same session.

use fantoccini::Locator;
use xuepei_store::org::{self, OrgFilter};
use xuepei_store::{Scope, org::Org};
use xuepei_testkit::browser::Browser;

use crate::training::{choose, id_in_url, submit};
use crate::{PASSWORD, demo, fill, no_sideways_scroll, sign_in};

async fn as_user(b: &Browser, app: &xuepei_testkit::TestApp, username: &str, width: u32) {
    b.client.delete_all_cookies().await.expect("sign out");
    b.client.set_window_size(width, 900).await.expect("resize");
    sign_in(b, app, username, PASSWORD).await;
    b.wait_for_text("退出").await;
}

/// A village of 岳阳楼区 in the demo.
async fn a_village(db: &xuepei_store::DatabaseConnection) -> Org {
    let county = org::get_by_code(db, &Scope::system(), "430602").await.expect("county");
    let scope = Scope::of_org(db, county.id).await.expect("scope");
    let f = OrgFilter { sector: Some(xuepei_domain::org::Sector::Village), ..Default::default() };
    org::all(db, &scope, &f).await.expect("villages").into_iter().next().expect("a village")
}

#[tokio::test]
async fn a_county_applies_for_a_base_with_a_photo_by_phone_and_the_city_accredits_it() {
    let (db, app) = demo().await;
    let village = a_village(&db.conn).await;
    let b = Browser::start().await;

    // 岳阳楼区 applies from a phone with all five items.
    as_user(&b, &app, "yueyanglou", 360).await;
    b.client.goto(&app.url("/bases/new")).await.expect("goto");
    b.wait_for_text("申报示范培训实践基地").await;
    no_sideways_scroll(&b, "申报实践基地").await;
    fill(&b, "org", &village.code).await;
    fill(&b, "name", "示范村党员干部示范培训实践基地").await;
    choose(&b, "kind", "village").await;
    for (field, text) in [
        ("venue", "村级活动中心培训室，可容纳100人"),
        ("guide", "讲解员2名"),
        ("material", "《集体经济发展典型材料》"),
        ("site", "村集体产业园"),
        ("film", "专题片《村庄之变》"),
    ] {
        fill(&b, field, text).await;
    }
    submit(&b, "保存").await;
    let id = id_in_url(&b, "/bases/").await;
    b.wait_for_text("申报材料已保存").await;

    // A photo of the venue as evidence: shown on the page.
    let path = std::env::temp_dir().join(format!("xuepei-venue-{id}.png"));
    std::fs::write(&path, b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("photo");
    choose(&b, "item", "venue").await;
    b.client
        .find(Locator::Css("#evidence-form input[type=file]"))
        .await
        .expect("file input")
        .send_keys(&path.to_string_lossy())
        .await
        .expect("choose file");
    submit(&b, "上传").await;
    let page = b.wait_for_text("佐证材料已上传").await;
    assert!(page.contains(&format!("xuepei-venue-{id}.png")), "{page}");
    assert!(b.client.find(Locator::Css("#evidence-files img")).await.is_ok(), "the photo is shown");
    no_sideways_scroll(&b, "佐证材料").await;
    b.screenshot("base-01-phone-evidence").await;
    submit(&b, "推荐市级").await;
    b.wait_for_text("已推荐市级").await;

    // The city's bell tells of the recommendation; it accredits the base.
    as_user(&b, &app, "city", 1366).await;
    b.client.goto(&app.url("/notifications")).await.expect("goto");
    let list = b.wait_for_text("通知提醒").await;
    assert!(list.contains("示范村党员干部示范培训实践基地”（"), "{list}");
    b.client
        .find(Locator::XPath("//tr[contains(., '示范村党员干部示范培训实践基地')]//button[normalize-space()='去办理']"))
        .await
        .expect("the notification's button")
        .click()
        .await
        .expect("open");
    b.wait_for_text("市级授牌").await;
    assert!(b.client.current_url().await.expect("url").path().ends_with(&format!("/bases/{id}")));
    submit(&b, "市级授牌").await;
    let page = b.wait_for_text("已市级授牌").await;
    assert!(!page.contains("id=\"evidence-form\""), "the evidence is closed once accredited");
    b.screenshot("base-02-city-accredited").await;

    // 岳阳楼区 holds its classes to a stricter cap; a looser one is refused beside the field.
    as_user(&b, &app, "yueyanglou", 360).await;
    b.client.goto(&app.url("/funds/caps")).await.expect("goto");
    b.wait_for_text("设定本级标准").await;
    fill(&b, "day_third", "600").await;
    submit(&b, "保存本级标准").await;
    b.wait_for_text("不能高于上级标准550").await;
    fill(&b, "day_third", "500").await;
    submit(&b, "保存本级标准").await;
    let page = b.wait_for_text("本级培训费开支标准已设定").await;
    assert!(page.contains("三类500元"), "{page}");
    no_sideways_scroll(&b, "培训费开支标准").await;
    b.screenshot("base-03-phone-fee-caps").await;
    let _ = std::fs::remove_file(&path);
    b.close().await;
    db.cleanup().await;
}
