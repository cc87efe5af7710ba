//! End-to-end tests in headless Chromium over the demo data of 岳阳楼区 and 平江县 with the
//! demo accounts: sign-in, lock-out, the tree, the import wizard, export, sign-out, scope by
//! URL, a phone-sized screen. Screenshots of the main pages are saved as artifacts.

use std::time::Duration;

use fantoccini::Locator;
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter, PersonSort};
use xuepei_store::{Scope, org};
use xuepei_testkit::browser::Browser;
use xuepei_testkit::{TestApp, TestDb, files};

mod bases;
mod certificates;
mod filings;
mod meetings;
mod study_logs;
mod training;

const PASSWORD: &str = "Demo@2026pass";

async fn demo() -> (TestDb, TestApp) {
    // Seeded once per build (hashing the accounts' passwords is slow) and copied per test.
    let db = TestDb::from_template("browser_demo", async |conn| {
        xuepei::demo::seed(conn, 3, Some(&["430602", "430626"])).await.expect("seed");
        xuepei::demo::seed_accounts(conn, PASSWORD).await.expect("accounts");
    })
    .await;
    let app = TestApp::spawn(&db).await;
    (db, app)
}

async fn sign_in(b: &Browser, app: &TestApp, username: &str, password: &str) {
    b.client.goto(&app.url("/login")).await.expect("login page");
    b.client.find(Locator::Css("input[name=username]")).await.expect("user").send_keys(username).await.expect("type");
    b.client.find(Locator::Css("input[name=password]")).await.expect("pass").send_keys(password).await.expect("type");
    b.client.find(Locator::Css("form button[type=submit]")).await.expect("button").click().await.expect("submit");
}

/// Types `value` into the field named `name`, replacing what it held. A date field takes
/// its value as the date picker sets it (typed digits follow the browser's locale order).
async fn fill(b: &Browser, name: &str, value: &str) {
    let e = b.client.find(Locator::Css(&format!("[name='{name}']"))).await.unwrap_or_else(|_| panic!("field {name}"));
    if e.attr("type").await.expect("type").as_deref() == Some("date") {
        let js = "const e = document.querySelector(\"[name='\" + arguments[0] + \"']\"); e.value = arguments[1]; \
                  e.dispatchEvent(new Event('change', { bubbles: true }));";
        b.client.execute(js, vec![serde_json::json!(name), serde_json::json!(value)]).await.expect("set date");
        return;
    }
    e.clear().await.expect("clear");
    e.send_keys(value).await.expect("type");
}

/// The page is no wider than the window: nothing to scroll sideways.
async fn no_sideways_scroll(b: &Browser, what: &str) {
    let w = b
        .client
        .execute("return [document.documentElement.scrollWidth, window.innerWidth]", vec![])
        .await
        .expect("width");
    let (scroll, window) = (w[0].as_u64().unwrap_or(u64::MAX), w[1].as_u64().unwrap_or(0));
    assert!(scroll <= window + 1, "{what}: no sideways scrolling ({scroll} px in a {window} px window)");
}

#[tokio::test]
async fn sign_in_browse_the_tree_and_sign_out() {
    let (db, app) = demo().await;
    let b = Browser::start().await;
    b.client.goto(&app.url("/orgs")).await.expect("goto");
    b.wait_for_text("用户名").await;
    b.screenshot("01-login").await;
    sign_in(&b, &app, "city", PASSWORD).await;
    let home = b.wait_for_text("工作台").await;
    assert!(home.contains("市委组织部") && home.contains("人员"));
    b.screenshot("02-home").await;
    b.client.find(Locator::LinkText("组织机构")).await.expect("menu").click().await.expect("click");
    b.wait_for_text("岳阳楼区").await;
    // Open 岳阳楼区: its towns load into the tree.
    let county = org::get_by_code(&db.conn, &Scope::system(), "430602").await.expect("county");
    let summary = b
        .client
        .find(Locator::Css(&format!("details[data-children='/orgs/{}/children'] > summary", county.id)))
        .await
        .expect("node");
    summary.click().await.expect("open");
    b.wait_for_text("岳阳楼街道").await;
    b.screenshot("03-tree").await;
    b.client.find(Locator::LinkText("岳阳楼街道")).await.expect("town").click().await.expect("click");
    b.wait_for_text("组织代码").await;
    b.screenshot("04-org-detail").await;
    b.client.find(Locator::LinkText("人员信息")).await.expect("menu").click().await.expect("click");
    let list = b.wait_for_text("人员信息").await;
    assert!(list.contains("***"), "numbers are masked");
    b.screenshot("05-people").await;
    b.client.find(Locator::Css("table.data tbody a")).await.expect("a person").click().await.expect("click");
    b.wait_for_text("身份证号").await;
    b.screenshot("06-person").await;
    b.client.find(Locator::Css("form[action='/logout'] button")).await.expect("logout").click().await.expect("click");
    b.wait_for_text("您已安全退出").await;
    b.client.goto(&app.url("/people")).await.expect("goto");
    b.wait_for_text("用户名").await;
    b.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account() {
    let (db, app) = demo().await;
    let b = Browser::start().await;
    // Every failure reads the same (nothing tells a guesser that the name exists or that
    // the account is now locked); the lock is told after the right password.
    for _ in 1..=5 {
        sign_in(&b, &app, "pingjiang", "Wrong@pass1").await;
        let t = b.wait_for_text("用户名或密码错误").await;
        assert!(!t.contains("账号已被锁定"), "{t}");
    }
    sign_in(&b, &app, "pingjiang", PASSWORD).await;
    b.wait_for_text("账号已被锁定").await;
    b.screenshot("07-locked").await;
    b.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn the_import_wizard_reports_a_bad_row_then_imports_the_fixed_file() {
    let (db, app) = demo().await;
    let b = Browser::start().await;
    sign_in(&b, &app, "yueyanglou", PASSWORD).await;
    b.wait_for_text("工作台").await;
    let dir = tempfile::tempdir().expect("dir");
    let good = "430602199001011235";
    let rows = |second: &str| {
        files::xlsx(
            &[
                vec!["岳阳楼区党员花名册"],
                vec![],
                vec!["姓名", "身份证号", "所在党组织"],
                vec!["浏览甲", good, "430602001001"],
                vec!["浏览乙", second, "430602001001"],
            ],
            &[],
        )
    };
    let bad_file = dir.path().join("花名册-有误.xlsx");
    std::fs::write(&bad_file, rows("430602199002021234")).expect("write"); // check digit should be 2
    b.client.goto(&app.url("/import/people")).await.expect("goto");
    b.client
        .find(Locator::Css("input[type=file]"))
        .await
        .expect("input")
        .send_keys(&bad_file.to_string_lossy())
        .await
        .expect("choose");
    b.client.find(Locator::Css("form.upload button[type=submit]")).await.expect("submit").click().await.expect("click");
    let t = b.wait_for_text("发现问题").await;
    assert!(t.contains("第5行") && t.contains("校验位不正确"), "{t}");
    assert!(t.contains("浏览乙") && t.contains("下载问题行"), "the bad row names its person: {t}");
    b.screenshot("08-import-errors").await;
    let fixed = dir.path().join("花名册.xlsx");
    std::fs::write(&fixed, rows("430602199002021232")).expect("write");
    b.client.find(Locator::LinkText("改正原文件后重新上传")).await.expect("again").click().await.expect("click");
    b.client
        .find(Locator::Css("input[type=file]"))
        .await
        .expect("input")
        .send_keys(&fixed.to_string_lossy())
        .await
        .expect("choose");
    b.client.find(Locator::Css("form.upload button[type=submit]")).await.expect("submit").click().await.expect("click");
    let t = b.wait_for_text("预检通过").await;
    assert!(t.contains("将新增的记录（2条）") && t.contains("浏览甲"), "{t}");
    b.screenshot("09-import-preview").await;
    b.client.find(Locator::XPath("//button[text()='确认导入']")).await.expect("confirm").click().await.expect("click");
    let t = b.wait_for_text("导入完成").await;
    assert!(t.contains("已新增2条"), "{t}");
    b.screenshot("10-import-done").await;
    // Refreshing the result shows it again, not "expired".
    b.client.refresh().await.expect("refresh");
    let t = b.wait_for_text("导入完成").await;
    assert!(t.contains("已新增2条") && !t.contains("已过期"), "{t}");
    let f = PersonFilter { q: Some(good.into()), ..Default::default() };
    assert_eq!(
        people::list(&db.conn, &Scope::system(), &f, PersonSort::Org, At::First, 5).await.expect("list").items.len(),
        1
    );
    b.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn export_gives_an_xlsx_and_other_counties_stay_out_of_reach() {
    let (db, app) = demo().await;
    let b = Browser::start().await;
    sign_in(&b, &app, "yueyanglou", PASSWORD).await;
    b.wait_for_text("工作台").await;
    b.client.goto(&app.url("/people")).await.expect("goto");
    // The export is a form posting the session's token (never a plain link); submit what
    // the form holds, as the browser would.
    b.client.find(Locator::Css("form.export button")).await.expect("export form");
    let answer = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1]; const f = document.querySelector('form.export');
             fetch(f.action, { method: 'POST', credentials: 'same-origin', body: new URLSearchParams(new FormData(f)) })
               .then(r => r.arrayBuffer().then(buf => done([r.status, r.headers.get('content-type'), buf.byteLength])))
               .catch(e => done([0, String(e), 0]));",
            vec![],
        )
        .await
        .expect("fetch");
    assert_eq!(answer[0], 200, "{answer}");
    assert!(answer[1].as_str().unwrap_or_default().contains("spreadsheetml"), "{answer}");
    assert!(answer[2].as_u64().unwrap_or(0) > 5000, "{answer}");
    // A person of 平江县, opened by address.
    let other = xuepei_testkit::someone_under(&db.conn, "430626").await;
    b.client.goto(&app.url(&format!("/people/{}", other.id))).await.expect("goto");
    let t = b.wait_for_text("不存在").await;
    assert!(!t.contains(&other.name), "nothing of 平江县 shows");
    b.screenshot("11-other-county").await;
    b.close().await;
    db.cleanup().await;
}

#[tokio::test]
async fn pages_fit_a_phone_and_administration_pages_render() {
    let (db, app) = demo().await;
    let b = Browser::start().await;
    b.client.set_window_size(360, 740).await.expect("resize");
    sign_in(&b, &app, "city", PASSWORD).await;
    b.wait_for_text("工作台").await;
    b.client.goto(&app.url("/people")).await.expect("goto");
    b.wait_for_text("人员信息").await;
    let width = b.client.execute("return document.documentElement.scrollWidth", vec![]).await.expect("width");
    assert!(width.as_u64().unwrap_or(9999) <= 361, "no sideways scrolling of the page: {width}");
    b.client.find(Locator::Css("button.menu-toggle")).await.expect("menu button").click().await.expect("click");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(b.client.find(Locator::Css("#nav.open")).await.is_ok(), "the menu opens");
    b.screenshot("12-phone-people").await;
    b.client.set_window_size(1280, 900).await.expect("resize");
    b.client.find(Locator::Css("form[action='/logout'] button")).await.expect("logout").click().await.expect("click");
    b.wait_for_text("您已安全退出").await;
    for (user, path, name, needle) in [
        ("admin", "/admin/accounts", "13-accounts", "账号管理"),
        ("admin", "/admin/tokens", "14-tokens", "接口令牌"),
        ("auditor", "/admin/audit", "15-audit", "审计日志"),
    ] {
        sign_in(&b, &app, user, PASSWORD).await;
        b.wait_for_text("工作台").await;
        b.client.goto(&app.url(path)).await.expect("goto");
        b.wait_for_text(needle).await;
        b.screenshot(name).await;
        b.client
            .find(Locator::Css("form[action='/logout'] button"))
            .await
            .expect("logout")
            .click()
            .await
            .expect("click");
        b.wait_for_text("您已安全退出").await;
    }
    b.close().await;
    db.cleanup().await;
}

/// A session that ends while a form is open: submitting leads to sign-in, and after it the
/// form comes back with what was typed; a tree node opened after the end leads to sign-in
/// instead of showing the sign-in page inside the tree.
#[tokio::test]
async fn what_was_typed_survives_an_ended_session() {
    let (db, app) = demo().await;
    let b = Browser::start().await;
    sign_in(&b, &app, "yueyanglou", PASSWORD).await;
    b.wait_for_text("工作台").await;
    b.client.goto(&app.url("/people/new")).await.expect("form");
    b.wait_for_text("登记人员").await;
    b.client.find(Locator::Css("input[name=name]")).await.expect("name").send_keys("欧阳晓明").await.expect("type");
    b.client
        .find(Locator::Css("input[name=position]"))
        .await
        .expect("pos")
        .send_keys("村委会主任")
        .await
        .expect("type");
    // The session ends (as after the idle timeout): the server forgets it.
    sqlx_end_sessions(&db).await;
    b.client.find(Locator::Css("main form button[type=submit]")).await.expect("save").click().await.expect("submit");
    b.wait_for_text("用户名").await;
    // Sign in on the page the server led to, which knows where to go back.
    b.client.find(Locator::Css("input[name=username]")).await.expect("user").send_keys("yueyanglou").await.expect("u");
    b.client.find(Locator::Css("input[name=password]")).await.expect("pass").send_keys(PASSWORD).await.expect("p");
    b.client.find(Locator::Css("form button[type=submit]")).await.expect("button").click().await.expect("submit");
    let page = b.wait_for_text("已恢复登录过期前填写的内容").await;
    assert!(page.contains("登记人员"), "back on the form");
    let name = b.client.find(Locator::Css("input[name=name]")).await.expect("name").prop("value").await.expect("value");
    assert_eq!(name.as_deref(), Some("欧阳晓明"));
    b.screenshot("20-form-restored").await;

    // The tree after the session ended.
    b.client.goto(&app.url("/orgs")).await.expect("tree");
    b.wait_for_text("岳阳楼街道").await;
    sqlx_end_sessions(&db).await;
    let town = org::get_by_code(&db.conn, &Scope::system(), "430602001").await.expect("town");
    b.client
        .find(Locator::Css(&format!("details[data-children='/orgs/{}/children'] > summary", town.id)))
        .await
        .expect("node")
        .click()
        .await
        .expect("open");
    let page = b.wait_for_text("用户名").await;
    assert!(!page.contains("下级"), "the sign-in page, not the tree");
    b.close().await;
    db.cleanup().await;
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// What one account typed before its session ended is not given to another account that
/// signs in next in the same browser tab.
#[tokio::test]
async fn a_draft_goes_back_only_to_the_account_that_typed_it() {
    let (db, app) = demo().await;
    let b = Browser::start().await;
    sign_in(&b, &app, "yueyanglou", PASSWORD).await;
    b.wait_for_text("工作台").await;
    b.client.goto(&app.url("/people/new")).await.expect("form");
    b.wait_for_text("登记人员").await;
    b.client.find(Locator::Css("input[name=name]")).await.expect("name").send_keys("欧阳晓明").await.expect("type");
    sqlx_end_sessions(&db).await;
    b.client.find(Locator::Css("main form button[type=submit]")).await.expect("save").click().await.expect("submit");
    b.wait_for_text("用户名").await;
    b.client.find(Locator::Css("input[name=username]")).await.expect("user").send_keys("pingjiang").await.expect("u");
    b.client.find(Locator::Css("input[name=password]")).await.expect("pass").send_keys(PASSWORD).await.expect("p");
    b.client.find(Locator::Css("form button[type=submit]")).await.expect("button").click().await.expect("submit");
    let page = b.wait_for_text("登记人员").await;
    assert!(!page.contains("已恢复登录过期前填写的内容"), "{page}");
    let name = b.client.find(Locator::Css("input[name=name]")).await.expect("name").prop("value").await.expect("value");
    assert_eq!(name.as_deref(), Some(""), "another account's typing stays away");
    b.close().await;
    db.cleanup().await;
}

/// Ends every session, as the idle timeout would.
async fn sqlx_end_sessions(db: &TestDb) {
    use sea_orm::ConnectionTrait;
    db.conn.execute_unprepared("DELETE FROM sessions").await.expect("end sessions");
}

/// Every demo account, on a desktop (1366 px) and a phone (360 px), opens every page of its
/// menu: each renders inside the layout without an error and without sideways scrolling,
/// and the menu offers nothing the account may not use. Screenshots of every page.
#[tokio::test]
async fn every_demo_account_uses_every_page_of_its_menu_at_both_widths() {
    let (db, app) = demo().await;
    let b = Browser::start().await;
    let accounts =
        ["admin", "security", "auditor", "city", "yueyanglou", "pingjiang", "xuanchuan", "lingdao", "shuji", "ganbu"];
    for (width, height) in [(1366, 900), (360, 740)] {
        b.client.set_window_size(width, height).await.expect("resize");
        for user in accounts {
            b.client.delete_all_cookies().await.expect("sign out");
            sign_in(&b, &app, user, PASSWORD).await;
            b.wait_for_text("退出").await;
            let hrefs = b
                .client
                .execute("return [...document.querySelectorAll('#nav a')].map(a => a.getAttribute('href'))", vec![])
                .await
                .expect("menu");
            let hrefs: Vec<String> = serde_json::from_value(hrefs).expect("hrefs");
            assert!(hrefs.contains(&"/".to_owned()), "{user}: a home page");
            for href in &hrefs {
                b.client.goto(&app.url(href)).await.expect("goto");
                let state = b
                    .client
                    .execute(
                        "return [document.querySelector('.error-page') === null, \
                         document.documentElement.scrollWidth, !!document.querySelector('#nav')]",
                        vec![],
                    )
                    .await
                    .expect("state");
                let text = b.text().await;
                assert_eq!(state[0], true, "{user} at {width}px: {href} shows an error: {text}");
                assert_eq!(state[2], true, "{user} at {width}px: {href} is inside the layout");
                let scroll = state[1].as_u64().unwrap_or(u64::MAX);
                assert!(scroll <= u64::from(width) + 1, "{user} at {width}px: {href} scrolls sideways ({scroll} px)");
                let slug = if href == "/" { "home".to_owned() } else { href.trim_matches('/').replace('/', "-") };
                b.screenshot(&format!("w{width}-{user}-{slug}")).await;
            }
        }
    }
    b.close().await;
    db.cleanup().await;
}

/// Paging as a user does it: page numbers, previous and next, the last page, a jump to a
/// number with another page size; and finding a person by the last four digits the list
/// shows and by a part of the name.
#[tokio::test]
async fn the_people_list_pages_both_ways_jumps_and_finds_by_the_shown_digits() {
    let (db, app) = demo().await;
    let b = Browser::start().await;
    for (width, height) in [(1366, 900), (360, 740)] {
        b.client.set_window_size(width, height).await.expect("resize");
        b.client.delete_all_cookies().await.expect("sign out");
        sign_in(&b, &app, "city", PASSWORD).await;
        b.wait_for_text("退出").await;
        b.client.goto(&app.url("/people")).await.expect("list");
        b.wait_for_text("共 ").await;
        let names = async || {
            let v = b
                .client
                .execute(
                    "return [...document.querySelectorAll('table.data tbody td:first-child')].map(t => t.innerText)",
                    vec![],
                )
                .await
                .expect("names");
            serde_json::from_value::<Vec<String>>(v).expect("names")
        };
        let current = async || {
            let v = b
                .client
                .execute("const c = document.querySelector('.page-num.current'); return c ? c.innerText : ''", vec![])
                .await
                .expect("current");
            v.as_str().unwrap_or_default().to_owned()
        };
        let click = async |css: &str| {
            b.client.find(Locator::Css(css)).await.expect(css).click().await.expect("click");
            tokio::time::sleep(Duration::from_millis(300)).await;
        };
        let first = names().await;
        assert_eq!(first.len(), 20, "twenty to a page");
        assert_eq!(current().await, "1");
        click(".pager a[rel=next]").await;
        assert_eq!(current().await, "2");
        let second = names().await;
        assert_ne!(second, first);
        click(".pager a[rel=prev]").await;
        assert_eq!((current().await, names().await), ("1".to_owned(), first.clone()), "back where it began");
        b.client
            .find(Locator::XPath("//a[@class='page-num' and normalize-space(.)='2']"))
            .await
            .expect("page 2")
            .click()
            .await
            .expect("click");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(current().await, "2", "a numbered page");
        assert_eq!(names().await, second);
        let pages = b
            .client
            .execute("return document.querySelector('.pager-jump input[name=page]').max", vec![])
            .await
            .expect("max");
        let pages: u64 = pages.as_str().and_then(|s| s.parse().ok()).expect("the number of pages");
        b.client
            .find(Locator::XPath("//nav[@class='pager']//a[contains(., '末页')]"))
            .await
            .expect("last")
            .click()
            .await
            .expect("click");
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(current().await, pages.to_string(), "the last page");
        assert!(b.client.find(Locator::Css(".pager a[rel=next]")).await.is_err(), "nothing after the last page");
        // A jump to page 3 with 50 to a page.
        let input = b.client.find(Locator::Css(".pager-jump input[name=page]")).await.expect("jump");
        input.clear().await.expect("clear");
        input.send_keys("3").await.expect("type");
        b.client
            .execute("document.querySelector('.pager-jump select[name=size]').value = '50'", vec![])
            .await
            .expect("size");
        click(".pager-jump button").await;
        assert_eq!(current().await, "3");
        assert_eq!(names().await.len(), 50, "fifty to a page");
        let url = b.client.current_url().await.expect("url");
        assert!(url.as_str().contains("size=50") && url.as_str().contains("page=3"), "{url}");
        b.client.execute("document.querySelector('.pager').scrollIntoView()", vec![]).await.expect("scroll");
        b.screenshot(&format!("w{width}-people-page-3")).await;

        // The last four characters the masked list shows find the person.
        let shown = b
            .client
            .execute("return document.querySelector('table.data tbody td.mono').innerText", vec![])
            .await
            .expect("masked");
        let shown = shown.as_str().expect("text").trim().to_owned();
        let tail: String = shown.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
        let on_page = names().await;
        let name = on_page[0].clone();
        let long = on_page.iter().find(|n| n.chars().count() >= 3).unwrap_or(&name).clone();
        b.client.goto(&app.url("/people")).await.expect("list");
        let field = b.client.find(Locator::Css("form.filters input[name=q]")).await.expect("q");
        field.send_keys(&tail).await.expect("type");
        click("form.filters button[type=submit]").await;
        let found = names().await;
        assert!(found.contains(&name), "“{tail}” finds {name}: {found:?}");
        // The end of a name, without its first character.
        let part: String = long.chars().skip(1).collect();
        b.client.goto(&app.url(&format!("/people?size=100&q={}", urlencode(&part)))).await.expect("search");
        let found = names().await;
        assert!(found.contains(&long), "“{part}” finds {long}: {found:?}");
        assert!(found.iter().all(|n| n.contains(&part)), "only names holding “{part}”");
        b.screenshot(&format!("w{width}-people-found")).await;
    }
    b.close().await;
    db.cleanup().await;
}
