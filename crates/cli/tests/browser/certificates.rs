//! Certificates in the browser, from a phone (360 px): 岳阳楼区 issues a certificate of a
//! cadre's hours, a stranger (not signed in) types its code on the verification page and
//! sees it valid with the name masked; the county revokes it and the same check says so.

use fantoccini::Locator;
use xuepei_store::{Actor, Scope, Tx, credits};
use xuepei_testkit::browser::Browser;

use crate::training::submit;
use crate::{PASSWORD, demo, fill, no_sideways_scroll, sign_in};

#[tokio::test]
async fn a_certificate_is_issued_and_verified_from_a_phone_then_revoked() {
    let (db, app) = demo().await;
    let person = xuepei_testkit::someone_under(&db.conn, "430602").await;
    let today = xuepei_domain::time::today();
    {
        let tx = Tx::begin(&db.conn, &Scope::system(), &Actor::operator("测试")).await.expect("tx");
        let input = credits::ClaimInput {
            person_id: person.id,
            title: "全市基层党建专题培训".into(),
            date: today.to_string(),
            hours: "12".into(),
            ..Default::default()
        };
        let r = credits::claim(&tx, None, &input).await.expect("claim");
        credits::review(&tx, r.id, true, "").await.expect("approve");
        tx.commit().await.expect("commit");
    }
    let b = Browser::start().await;
    b.client.set_window_size(360, 740).await.expect("resize");
    sign_in(&b, &app, "yueyanglou", PASSWORD).await;
    b.wait_for_text("退出").await;

    // The county issues the year's certificate from the person's page.
    b.client.goto(&app.url(&format!("/people/{}/certificates", person.id))).await.expect("goto");
    b.wait_for_text("开具学时证明").await;
    no_sideways_scroll(&b, "证书").await;
    submit(&b, "开具学时证明").await;
    let page = b.wait_for_text("学时证明已开具").await;
    assert!(page.contains("12"), "{page}");
    let code = b.client.find(Locator::Id("certificate-code")).await.expect("code").text().await.expect("text");
    let certificate_url = b.client.current_url().await.expect("url").to_string();
    no_sideways_scroll(&b, "学时证明").await;

    // A stranger types the printed code, in lower case, on a phone.
    b.client.delete_all_cookies().await.expect("sign out");
    b.client.goto(&app.url("/verify")).await.expect("goto");
    b.wait_for_text("证书编号").await;
    fill(&b, "code", &code.to_lowercase()).await;
    submit(&b, "核验").await;
    let page = b.wait_for_text("真实有效").await;
    let masked = xuepei_domain::training::certificate::mask_name(&person.name);
    assert!(page.contains(&masked), "{page}");
    assert!(!page.contains(&person.name), "the full name stays hidden: {page}");
    assert!(page.contains("12") && page.contains("岳阳楼区"), "{page}");
    no_sideways_scroll(&b, "证书验证").await;
    b.screenshot("40-verify-phone").await;

    // The county revokes it; the same check now says so.
    sign_in(&b, &app, "yueyanglou", PASSWORD).await;
    b.wait_for_text("退出").await;
    b.client.goto(&certificate_url).await.expect("goto");
    b.wait_for_text("撤销证书").await;
    fill(&b, "reason", "学时登记有误").await;
    submit(&b, "撤销证书").await;
    b.wait_for_text("证书已撤销").await;
    b.client.delete_all_cookies().await.expect("sign out");
    b.client.goto(&app.url(&format!("/verify?code={code}"))).await.expect("goto");
    let page = b.wait_for_text("不再有效").await;
    assert!(!page.contains("真实有效"), "{page}");
    b.close().await;
    db.cleanup().await;
}
