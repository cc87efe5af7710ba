//! A leader logs a self-study and a lecture at a school from a phone (360 px): the short
//! form on 我的学习 with today's date preset, in well under a minute, without sideways
//! scrolling.

use std::time::Instant;

use fantoccini::Locator;
use xuepei_domain::accounts::{AccountRole, AccountRoles};
use xuepei_domain::people::{RankLevel, Role};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter};
use xuepei_store::{Actor, Scope, Tx, accounts, org};
use xuepei_testkit::browser::Browser;

use crate::{PASSWORD, demo, fill, no_sideways_scroll, sign_in};

#[tokio::test]
async fn a_leader_logs_a_self_study_and_a_lecture_from_a_phone() {
    let (db, app) = demo().await;
    let sys = Scope::system();
    let county = org::get_by_code(&db.conn, &sys, "430602").await.expect("county");
    let scope = Scope::of_org(&db.conn, county.id).await.expect("scope");
    let f =
        PersonFilter { role: Some(Role::LeadershipMember), rank_level: Some(RankLevel::County), ..Default::default() };
    let leader =
        people::list(&db.conn, &scope, &f, Default::default(), At::First, 1).await.expect("people").items.remove(0);
    let tx = Tx::begin(&db.conn, &sys, &Actor::operator("测试")).await.expect("tx");
    let new = accounts::NewAccount {
        username: "lingdao2".into(),
        display_name: leader.person.name.clone(),
        person_id: Some(leader.person.id),
        org_id: leader.person.org_id,
        scope_org_id: leader.person.org_id,
        roles: AccountRoles::of(&[AccountRole::Cadre]),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    accounts::create(&tx, &new).await.expect("account");
    tx.commit().await.expect("commit");

    let b = Browser::start().await;
    b.client.set_window_size(360, 740).await.expect("resize");
    sign_in(&b, &app, "lingdao2", PASSWORD).await;
    b.wait_for_text("退出").await;
    let started = Instant::now();
    b.client.goto(&app.url("/me/study")).await.expect("goto");
    b.wait_for_text("登记学习").await;
    no_sideways_scroll(&b, "我的学习").await;
    // Self-study is chosen and today is filled in: the title is all there is to type.
    fill(&b, "title", "习近平总书记在湖南考察时的重要讲话").await;
    b.client.find(Locator::Css("#log-form button[type=submit]")).await.expect("button").click().await.expect("submit");
    b.wait_for_text("学习记录已登记").await;
    b.screenshot("study-01-phone-self-study").await;
    // A lecture: the mode, the title and the school.
    b.client
        .find(Locator::Css("select[name='mode'] option[value='school_lecture']"))
        .await
        .expect("option")
        .click()
        .await
        .expect("choose");
    fill(&b, "title", "思政课：新时代青年的使命担当").await;
    fill(&b, "school", "岳阳市第一中学").await;
    b.client.find(Locator::Css("#log-form button[type=submit]")).await.expect("button").click().await.expect("submit");
    let text = b.wait_for_text("学习记录已登记").await;
    assert!(text.contains("岳阳市第一中学") && text.contains("思政课"), "{text}");
    no_sideways_scroll(&b, "我的学习（已登记）").await;
    b.screenshot("study-02-phone-lecture").await;
    assert!(started.elapsed().as_secs() < 60, "both entries in under a minute: {:?}", started.elapsed());
    b.close().await;
    db.cleanup().await;
}
