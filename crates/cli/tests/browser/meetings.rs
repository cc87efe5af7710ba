//! A village party secretary (书记) records committee meetings from a phone (360 px): the
//! meetings page opened from the folded menu, 登记会议, a first item of theory study and a
//! second ordinary item; then a meeting opening with business, flagged 一议题不合规 and
//! listed among the exceptions of 第一议题落实情况; and two refused forms that save nothing.

use chrono::Days;
use fantoccini::Locator;
use xuepei_store::meetings::{self, MeetingFilter, PersonLabel};
use xuepei_store::page::At;
use xuepei_store::{Scope, org};
use xuepei_testkit::TestDb;
use xuepei_testkit::browser::Browser;

use crate::{PASSWORD, demo, fill, no_sideways_scroll, sign_in};

async fn choose(b: &Browser, name: &str, value: &str) {
    b.client
        .find(Locator::Css(&format!("select[name='{name}'] option[value='{value}']")))
        .await
        .unwrap_or_else(|_| panic!("option {value} of {name}"))
        .click()
        .await
        .expect("choose");
}

async fn click(b: &Browser, css: &str) {
    b.client.find(Locator::Css(css)).await.unwrap_or_else(|_| panic!("{css}")).click().await.expect("click");
}

/// Opens a page of the menu as a phone user does: the menu button, then the entry.
async fn from_menu(b: &Browser, label: &str) {
    click(b, "button.menu-toggle").await;
    let link = Locator::XPath(&format!("//nav[@id='nav']//a[normalize-space(.)='{label}']"));
    for _ in 0..20 {
        if b.client.find(Locator::Css("#nav.open")).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    b.client.find(link).await.unwrap_or_else(|_| panic!("menu entry {label}")).click().await.expect("click");
}

async fn submit(b: &Browser) {
    click(b, "main form.form button[type=submit]").await;
}

async fn count(db: &TestDb) -> usize {
    meetings::list(&db.conn, &Scope::system(), &MeetingFilter::default(), At::First, 100)
        .await
        .expect("meetings")
        .items
        .len()
}

/// The meeting's id from the address of its page.
async fn shown_id(b: &Browser) -> i64 {
    let url = b.client.current_url().await.expect("url");
    let id = url.path().trim_start_matches("/study/meetings/");
    id.parse().unwrap_or_else(|_| panic!("a meeting's page: {url}"))
}

#[tokio::test]
async fn a_secretary_records_meetings_and_their_first_item_from_a_phone() {
    let (db, app) = demo().await;
    let sys = Scope::system();
    let b = Browser::start().await;
    b.client.set_window_size(360, 740).await.expect("resize");
    sign_in(&b, &app, "shuji", PASSWORD).await;
    b.wait_for_text("退出").await;
    from_menu(&b, "会议第一议题").await;
    let t = b.wait_for_text("没有符合条件的会议记录").await;
    assert!(t.contains("登记会议"), "a secretary may record: {t}");
    no_sideways_scroll(&b, "会议列表").await;
    b.client.find(Locator::LinkText("登记会议")).await.expect("登记会议").click().await.expect("click");
    b.wait_for_text("登记会议第一议题").await;
    no_sideways_scroll(&b, "登记会议").await;
    b.screenshot("meetings-01-phone-form").await;

    // The body is the secretary's village; its people are the ones to pick.
    let code = b.client.find(Locator::Css("form.form input[name=org]")).await.expect("org").prop("value").await;
    let code = code.expect("value").expect("an organisation");
    let village = org::get_by_code(&db.conn, &sys, &code).await.expect("village");
    let people: Vec<PersonLabel> = meetings::people_of(&db.conn, &sys, village.id).await.expect("people");
    assert!(people.len() >= 2, "a chair and a lead among {people:?}");
    let (chair, lead) = (&people[0], &people[1]);
    // Someone whose name no one else of the village bears stays away, with a reason.
    let away = people[2..].iter().rev().find(|p| people.iter().filter(|q| q.name == p.name).count() == 1);

    let today = xuepei_domain::time::today();
    assert_eq!(count(&db).await, 0);
    choose(&b, "kind", "committee").await;
    fill(&b, "date", &today.to_string()).await;
    choose(&b, "chair", &chair.id.to_string()).await;
    if let Some(p) = away {
        click(&b, &format!("input[name=attendees][value='{}']", p.id)).await;
        fill(&b, "absentees", &format!("{} 外出学习", p.name)).await;
    }
    fill(&b, "study_title", "习近平总书记在湖南考察时的重要讲话精神").await;
    choose(&b, "study_source", "speech").await;
    choose(&b, "study_lead", &lead.id.to_string()).await;
    choose(&b, "study_form", "discussion").await;
    fill(&b, "other_items", "研究村级集体经济发展项目").await;
    no_sideways_scroll(&b, "登记会议（已填写）").await;
    submit(&b).await;
    let t = b.wait_for_text("会议记录已登记").await;
    assert!(!t.contains("一议题不合规"), "{t}");
    assert!(t.contains("理论学习（合规）"), "{t}");
    assert!(t.contains("习近平总书记在湖南考察时的重要讲话精神") && t.contains("研究村级集体经济发展项目"), "{t}");
    assert!(t.contains("最新重要讲话") && t.contains("研讨") && t.contains(&lead.name), "{t}");
    if let Some(p) = away {
        assert!(t.contains(&format!("{}（外出学习）", p.name)), "{t}");
    }
    no_sideways_scroll(&b, "会议记录").await;
    b.screenshot("meetings-02-phone-compliant").await;
    let first = meetings::get(&db.conn, &sys, shown_id(&b).await).await.expect("saved");
    assert!(first.compliant);
    assert_eq!(first.items.len(), 2);
    assert_eq!(first.chair.id, chair.id);
    assert_eq!(first.first_study().map(|s| s.lead.id), Some(lead.id));

    // A meeting that opens with business: saved, and flagged.
    let yesterday = today.checked_sub_days(Days::new(1)).expect("yesterday");
    from_menu(&b, "会议第一议题").await;
    b.wait_for_text("习近平总书记在湖南考察时的重要讲话精神").await;
    b.client.find(Locator::LinkText("登记会议")).await.expect("登记会议").click().await.expect("click");
    b.wait_for_text("登记会议第一议题").await;
    fill(&b, "date", &yesterday.to_string()).await;
    click(&b, "input[name=first_is_study][value='1']").await;
    fill(&b, "first_title", "研究部署汛期安全工作").await;
    submit(&b).await;
    let t = b.wait_for_text("会议记录已登记").await;
    assert!(t.contains("一议题不合规") && t.contains("第一项议题不是理论学习"), "{t}");
    no_sideways_scroll(&b, "不合规的会议记录").await;
    b.screenshot("meetings-03-phone-flagged").await;
    let flagged = shown_id(&b).await;
    assert!(!meetings::get(&db.conn, &sys, flagged).await.expect("saved").compliant);

    // Among the exceptions of the village's year.
    from_menu(&b, "第一议题落实情况").await;
    b.wait_for_text("第一议题落实情况").await;
    fill(&b, "year", &yesterday.format("%Y").to_string()).await;
    click(&b, "form.filters button[type=submit]").await;
    b.wait_for_text(&format!("会议{flagged}")).await;
    let link = format!("table.data a[href='/study/meetings/{flagged}']");
    assert!(b.client.find(Locator::Css(&link)).await.is_ok(), "the flagged meeting is an exception");
    let compliant = format!("table.data a[href='/study/meetings/{}']", first.id);
    assert!(b.client.find(Locator::Css(&compliant)).await.is_err(), "the compliant one is not");
    no_sideways_scroll(&b, "第一议题落实情况").await;
    b.screenshot("meetings-04-phone-compliance").await;

    // Refused: a study item without its lead, then a meeting without any item.
    b.client.goto(&app.url("/study/meetings/new")).await.expect("form");
    b.wait_for_text("登记会议第一议题").await;
    fill(&b, "date", &today.checked_sub_days(Days::new(2)).expect("day").to_string()).await;
    fill(&b, "study_title", "党的二十届四中全会精神").await;
    choose(&b, "study_source", "decision").await;
    choose(&b, "study_lead", "").await;
    submit(&b).await;
    let t = b.wait_for_text("没有领学人").await;
    assert!(t.contains("填写内容有误"), "{t}");
    let kept = b.client.find(Locator::Css("[name=study_title]")).await.expect("title").prop("value").await;
    assert_eq!(kept.expect("value").as_deref(), Some("党的二十届四中全会精神"), "what was typed stays");
    no_sideways_scroll(&b, "未通过的表单").await;
    b.screenshot("meetings-05-phone-no-lead").await;
    assert_eq!(count(&db).await, 2, "nothing saved");
    click(&b, "input[name=first_is_study][value='1']").await;
    fill(&b, "first_title", "").await;
    fill(&b, "other_items", "").await;
    submit(&b).await;
    let t = b.wait_for_text("会议没有议题").await;
    assert!(t.contains("请至少填写一项议题"), "{t}");
    assert_eq!(count(&db).await, 2, "nothing saved");
    b.close().await;
    db.cleanup().await;
}
