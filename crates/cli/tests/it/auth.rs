//! Signing in, lock-out, idle timeout, password rules, CSRF, headers, roles, and hostile
//! text in every kind of field.

use xuepei_domain::accounts::AccountRole;
use xuepei_store::Scope;
use xuepei_store::accounts::SecurityPolicy;
use xuepei_store::org::{self, OrgFilter};
use xuepei_testkit::{TestApp, hidden_csrf};
use xuepei_web::WebConfig;

use crate::support::*;

#[tokio::test]
async fn sign_in_wrong_password_and_sign_out() {
    let db = seeded().await;
    account(&db.conn, "zhang", &[AccountRole::OrgStaff], YUNXI).await;
    let app = TestApp::spawn(&db).await;
    let (s, page) = app.get("/orgs").await;
    assert_eq!(s, 200);
    assert!(page.contains("<h1>登录</h1>"), "pages need a session");
    assert_eq!(app.login("zhang", "Wrong@pass1").await, 200);
    let (_, page) = app.get("/login").await;
    assert!(page.contains("用户名") && page.contains("密码"));
    // Unknown names and wrong passwords read the same.
    let token = hidden_csrf(&app.get("/login").await.1).expect("token");
    let r = app
        .raw
        .post(app.url("/login"))
        .form(&[("_csrf", token.as_str()), ("username", "nobody"), ("password", "x")])
        .send()
        .await
        .expect("post");
    assert!(r.text().await.expect("body").contains("用户名或密码错误"));
    assert_eq!(app.login("zhang", PASSWORD).await, 303);
    let (s, home) = app.get("/").await;
    assert_eq!(s, 200);
    assert!(home.contains("测试zhang") && home.contains("组织部门工作人员") && home.contains("范围：云溪区"));
    let (s, loc, _) = app.post_form("/logout", &[]).await;
    assert_eq!((s, loc.as_deref()), (303, Some("/login?bye=1")));
    let (_, page) = app.get("/orgs").await;
    assert!(page.contains("<h1>登录</h1>"), "the session ended");
    db.cleanup().await;
}

#[tokio::test]
async fn five_failures_lock_the_account_for_thirty_minutes() {
    let db = seeded().await;
    account(&db.conn, "lisi", &[AccountRole::OrgStaff], YUNXI).await;
    let app = TestApp::spawn(&db).await;
    let mut answers = Vec::new();
    for _ in 0..5 {
        let token = hidden_csrf(&app.get("/login").await.1).expect("token");
        let r = app
            .raw
            .post(app.url("/login"))
            .form(&[("_csrf", token.as_str()), ("username", "lisi"), ("password", "Bad@pass12")])
            .send()
            .await
            .expect("post");
        answers.push(login_error(&r.text().await.expect("body")));
    }
    // The failure that locks reads like any other; the lock is told after the right password.
    assert!(answers.iter().all(|a| a == &answers[0]), "{answers:?}");
    assert!(answers[0].starts_with("用户名或密码错误"), "{answers:?}");
    // Even the right password is refused now.
    let token = hidden_csrf(&app.get("/login").await.1).expect("token");
    let r = app
        .raw
        .post(app.url("/login"))
        .form(&[("_csrf", token.as_str()), ("username", "lisi"), ("password", PASSWORD)])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 200);
    assert!(r.text().await.expect("body").contains("账号已被锁定"));
    let a = xuepei_store::accounts::by_username(&db.conn, "lisi").await.expect("account");
    let until = a.locked_until.expect("locked");
    let minutes = (until - chrono::Utc::now()).num_minutes();
    assert!((28..=30).contains(&minutes), "{minutes}");
    // The security administrator unlocks it.
    let sec = signed_in(&db, "anquan", &[AccountRole::SecurityAdmin], YUNXI).await;
    let (s, _, _) = sec.post_form(&format!("/admin/accounts/{}/unlock", a.id), &[]).await;
    assert_eq!(s, 303);
    assert_eq!(app.login("lisi", PASSWORD).await, 303);
    db.cleanup().await;
}

#[tokio::test]
async fn idle_sessions_end() {
    let db = seeded().await;
    account(&db.conn, "wang", &[AccountRole::OrgStaff], YUNXI).await;
    let policy = SecurityPolicy { idle_minutes: 0, ..Default::default() };
    let app = TestApp::spawn_full(&db, WebConfig::default(), policy).await;
    assert_eq!(app.login("wang", PASSWORD).await, 303);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let r = app.raw.get(app.url("/orgs")).send().await.expect("get");
    assert_eq!(r.status(), 303);
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(loc.contains("expired=1"), "{loc}");
    let (_, page) = app.get(&loc).await;
    assert!(page.contains("您已长时间未操作"));
    db.cleanup().await;
}

#[tokio::test]
async fn a_first_password_must_be_changed_and_meet_the_rules() {
    let db = seeded().await;
    let county = by_code(&db.conn, YUNXI).await;
    let new = xuepei_store::accounts::NewAccount {
        username: "zhao".into(),
        display_name: "赵".into(),
        person_id: None,
        org_id: county.id,
        scope_org_id: county.id,
        roles: xuepei_domain::accounts::AccountRoles::of(&[AccountRole::OrgStaff]),
        password: PASSWORD.into(),
        must_change_password: true,
    };
    write(&db.conn, &Scope::system(), async |tx| xuepei_store::accounts::create(tx, &new).await)
        .await
        .expect("account");
    let app = TestApp::spawn(&db).await;
    assert_eq!(app.login("zhao", PASSWORD).await, 303);
    let r = app.raw.get(app.url("/orgs")).send().await.expect("get");
    assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some("/account/password"));
    for (new, msg) in [("short1A", "至少8位"), ("alllowercase1", "至少三种"), ("Zhao@2026x", "不能包含用户名")]
    {
        let (s, _, body) = app.post_form("/account/password", &[("old", PASSWORD), ("new", new), ("again", new)]).await;
        assert_eq!(s, 422);
        assert!(body.contains(msg), "{new}: {body}");
        assert!(!body.contains(new), "a password is never written back into the page");
    }
    // Every mistake at once, each beside its field.
    let (s, _, body) =
        app.post_form("/account/password", &[("old", "Wrong@1234"), ("new", "short1A"), ("again", "other")]).await;
    assert_eq!(s, 422);
    for msg in ["原密码不正确", "至少8位", "两次输入的新密码不一致", "共3处"] {
        assert!(body.contains(msg), "{msg}: {body}");
    }
    let (_, _, body) = app
        .post_form("/account/password", &[("old", "Wrong@1234"), ("new", "Good@pass99"), ("again", "Good@pass99")])
        .await;
    assert!(body.contains("原密码不正确"));
    let (s, loc, _) = app
        .post_form("/account/password", &[("old", PASSWORD), ("new", "Good@pass99"), ("again", "Good@pass99")])
        .await;
    assert_eq!((s, loc.as_deref()), (303, Some("/login?changed=1")));
    assert_eq!(app.login("zhao", PASSWORD).await, 200, "the old password no longer works");
    assert_eq!(app.login("zhao", "Good@pass99").await, 303);
    assert_eq!(app.raw.get(app.url("/orgs")).send().await.expect("get").status(), 200);
    db.cleanup().await;
}

#[tokio::test]
async fn state_changes_need_the_sessions_csrf_token() {
    let db = seeded().await;
    let app = signed_in(&db, "sun", &[AccountRole::OrgStaff], YUNXI).await;
    let parent = by_code(&db.conn, JINGZHU).await.id.to_string();
    let form = [
        ("parent", parent.as_str()),
        ("code", "CSRF-1"),
        ("name", "伪造的支部"),
        ("kind", "branch"),
        ("sector", "village"),
    ];
    let count = |db| async move {
        org::count(db, &Scope::system(), &OrgFilter { include_inactive: true, ..Default::default() })
            .await
            .expect("count")
    };
    let before = count(&db.conn).await;
    // Missing, forged, and replayed from a session that has ended.
    let r = app.raw.post(app.url("/orgs")).form(&form).send().await.expect("post");
    assert_eq!(r.status(), 403);
    assert!(r.text().await.expect("body").contains("安全校验未通过"));
    let mut forged = vec![("_csrf", "0000000000000000000000000000000000000000000000000000000000000000")];
    forged.extend_from_slice(&form);
    assert_eq!(app.raw.post(app.url("/orgs")).form(&forged).send().await.expect("post").status(), 403);
    let old_token = app.csrf().await;
    app.post_form("/logout", &[]).await;
    assert_eq!(app.login("sun", PASSWORD).await, 303);
    let mut replayed = vec![("_csrf", old_token.as_str())];
    replayed.extend_from_slice(&form);
    assert_eq!(app.raw.post(app.url("/orgs")).form(&replayed).send().await.expect("post").status(), 403);
    // A multipart upload without the token in its address.
    let part = reqwest::multipart::Part::bytes(b"a,b".to_vec()).file_name("x.csv");
    let r = app
        .raw
        .post(app.url("/import/people"))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 403);
    assert_eq!(count(&db.conn).await, before, "nothing written");
    // With the token it works.
    let (s, _, _) = app.post_form("/orgs", &form).await;
    assert_eq!(s, 303);
    db.cleanup().await;
}

#[tokio::test]
async fn pages_carry_the_security_headers() {
    let db = seeded().await;
    let app = signed_in(&db, "qian", &[AccountRole::OrgStaff], YUNXI).await;
    for path in ["/login", "/", "/orgs", "/no/such/page"] {
        let r = app.raw.get(app.url(path)).send().await.expect("get");
        let h = r.headers();
        let csp = h.get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
                && csp.contains("frame-ancestors 'none'"),
            "{path}: {csp}"
        );
        assert_eq!(h.get("x-frame-options").and_then(|v| v.to_str().ok()), Some("DENY"), "{path}");
        assert_eq!(h.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"), "{path}");
    }
    let body = app.get("/orgs").await.1;
    assert!(!body.contains("<script>") && !body.contains("onclick="), "no inline script anywhere");
    let cookie_page = reqwest::get(app.url("/login")).await.expect("get");
    let set = cookie_page.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(set.contains("HttpOnly"), "{set}");
    db.cleanup().await;
}

#[tokio::test]
async fn the_three_administrators_are_separate_and_limited_to_their_work() {
    let db = seeded().await;
    let county = by_code(&db.conn, YUNXI).await;
    let both = xuepei_store::accounts::NewAccount {
        username: "both".into(),
        display_name: "兼任".into(),
        person_id: None,
        org_id: county.id,
        scope_org_id: county.id,
        roles: xuepei_domain::accounts::AccountRoles::of(&[AccountRole::SystemAdmin, AccountRole::AuditAdmin]),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    let e = write(&db.conn, &Scope::system(), async |tx| xuepei_store::accounts::create(tx, &both).await)
        .await
        .unwrap_err();
    assert!(format!("{e:?}").contains("三员分立"));
    let auditor = signed_in(&db, "shenji", &[AccountRole::AuditAdmin], YUNXI).await;
    assert_eq!(auditor.raw.get(auditor.url("/orgs")).send().await.expect("get").status(), 403);
    assert_eq!(auditor.raw.get(auditor.url("/admin/audit")).send().await.expect("get").status(), 200);
    let admin = signed_in(&db, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    assert_eq!(admin.raw.get(admin.url("/admin/audit")).send().await.expect("get").status(), 403);
    // The system administrator cannot make administrator accounts in the interface.
    let (s, _, body) = admin
        .post_form(
            "/admin/accounts",
            &[
                ("username", "newaudit"),
                ("display_name", "新审计"),
                ("roles", "audit_admin"),
                ("org", YUNXI),
                ("scope", YUNXI),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("只能选择业务角色"), "{body}");
    // The menu shows only what the role may use.
    let home = auditor.get("/").await.1;
    assert!(home.contains("审计日志") && !home.contains("组织机构") && !home.contains("账号管理"));
    // The security administrator resets business accounts, but neither another
    // administrator's password (whoever sees it could sign in as them) nor their own.
    let security = signed_in(&db, "anquan", &[AccountRole::SecurityAdmin], YUNXI).await;
    let id_of = async |name: &str| xuepei_store::accounts::by_username(&db.conn, name).await.expect("account").id;
    let (s, _, body) = security.post_form(&format!("/admin/accounts/{}/password", id_of("shenji").await), &[]).await;
    assert_eq!(s, 403, "{body}");
    assert!(body.contains("只能由服务器管理员用命令行重置"), "{body}");
    let (s, _, _) = security.post_form(&format!("/admin/accounts/{}/password", id_of("anquan").await), &[]).await;
    assert_eq!(s, 400);
    assert_eq!(TestApp::spawn(&db).await.login("shenji", PASSWORD).await, 303, "the auditor's password stands");
    account(&db.conn, "yewu", &[AccountRole::OrgStaff], YUNXI).await;
    let (s, _, body) = security.post_form(&format!("/admin/accounts/{}/password", id_of("yewu").await), &[]).await;
    assert_eq!(s, 200);
    assert!(body.contains("密码已重置"), "{body}");
    assert_eq!(TestApp::spawn(&db).await.login("yewu", PASSWORD).await, 200, "the old password no longer works");
    db.cleanup().await;
}

#[tokio::test]
async fn guesses_sent_in_parallel_each_count_towards_the_lock() {
    let db = seeded().await;
    account(&db.conn, "bingfa", &[AccountRole::OrgStaff], YUNXI).await;
    let policy = SecurityPolicy::default();
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..policy.lockout_threshold {
        let (conn, policy) = (db.conn.clone(), policy.clone());
        guesses.spawn(async move {
            xuepei_store::accounts::authenticate(&conn, "bingfa", &format!("Wrong@pass{i}"), None, &policy).await
        });
    }
    for r in guesses.join_all().await {
        r.expect("authenticate");
    }
    let a = xuepei_store::accounts::by_username(&db.conn, "bingfa").await.expect("account");
    assert!(
        a.locked_until.is_some_and(|u| u > chrono::Utc::now()),
        "locked after {} parallel guesses",
        policy.lockout_threshold
    );
    let app = TestApp::spawn(&db).await;
    assert_eq!(app.login("bingfa", PASSWORD).await, 200, "even the right password waits out the lock");
    db.cleanup().await;
}

#[tokio::test]
async fn hostile_text_is_refused_or_shown_escaped_and_sql_stays_data() {
    let db = seeded().await;
    let app = signed_in(&db, "zhou", &[AccountRole::OrgStaff], YUNXI).await;
    let parent = by_code(&db.conn, JINGZHU).await.id.to_string();
    // Markup brackets are refused in names, with the reason.
    let (s, _, body) = app
        .post_form(
            "/orgs",
            &[
                ("parent", &parent),
                ("code", "X-1"),
                ("name", "<script>alert(1)</script>"),
                ("kind", "branch"),
                ("sector", "village"),
            ],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("不能包含字符“&#60;”"), "{body}");
    assert!(!body.contains("<script>alert(1)</script>"));
    // SQL-looking and quote-laden text is stored as text and shown escaped.
    let sql = "x'); DROP TABLE organizations; -- & \"引号\"";
    let (s, loc, _) = app
        .post_form(
            "/orgs",
            &[("parent", &parent), ("code", "X-2"), ("name", sql), ("kind", "branch"), ("sector", "village")],
        )
        .await;
    assert_eq!(s, 303, "accepted as a name");
    let page = app.get(&loc.expect("location")).await.1;
    let shown = page.split("<h1>").nth(1).and_then(|h| h.split("</h1>").next()).unwrap_or_default().to_owned();
    assert!(shown.starts_with("x&#39;); DROP TABLE organizations; -- &#38; &#34;引号&#34;"), "escaped: {shown}");
    assert!(org::get_by_code(&db.conn, &Scope::system(), "X-2").await.is_ok(), "the table is intact");
    let (s, list) = app.get("/people?q=%27%20OR%201%3D1%20--").await;
    assert_eq!(s, 200);
    assert!(list.contains("共 0 人"), "a search is a search");
    // Overlong and empty fields.
    let long = "很".repeat(101);
    let (_, _, body) = app
        .post_form(
            "/orgs",
            &[("parent", &parent), ("code", "X-3"), ("name", &long), ("kind", "branch"), ("sector", "village")],
        )
        .await;
    assert!(body.contains("不能超过100个字"));
    let (_, _, body) = app.post_form("/people", &[("name", ""), ("id_number", ""), ("org", "")]).await;
    assert!(body.matches("不能为空").count() >= 3, "{body}");
    db.cleanup().await;
}

/// The message of a sign-in page ("" when there is none).
fn login_error(page: &str) -> String {
    let key = "id=\"login-error\">";
    page.find(key).and_then(|i| page[i + key.len()..].split("</div>").next()).unwrap_or_default().to_owned()
}

/// One sign-in from a client address (behind a trusted proxy): status and message.
async fn attempt(app: &TestApp, ip: &str, username: &str, password: &str) -> (u16, String) {
    let page = app.raw.get(app.url("/login")).send().await.expect("page").text().await.expect("body");
    let token = hidden_csrf(&page).expect("token");
    let r = app
        .raw
        .post(app.url("/login"))
        .header("x-forwarded-for", ip)
        .form(&[("_csrf", token.as_str()), ("username", username), ("password", password)])
        .send()
        .await
        .expect("post");
    let status = r.status().as_u16();
    (status, login_error(&r.text().await.expect("body")))
}

async fn trail(db: &xuepei_store::DatabaseConnection, action: &str) -> Vec<xuepei_store::audit::AuditEntry> {
    let f = xuepei_store::audit::AuditFilter { action: Some(action.into()), ..Default::default() };
    xuepei_store::audit::search(db, &Scope::system(), &f, None, 500).await.expect("search").items
}

#[tokio::test]
async fn failed_sign_ins_read_the_same_and_are_throttled_by_name_and_by_address() {
    let db = seeded().await;
    account(&db.conn, "known", &[AccountRole::OrgStaff], YUNXI).await;
    account(&db.conn, "other", &[AccountRole::OrgStaff], YUNXI).await;
    account(&db.conn, "suoding", &[AccountRole::OrgStaff], YUNXI).await;
    let policy = SecurityPolicy {
        throttle_name_failures: 3,
        throttle_address_failures: 5,
        lockout_threshold: 10,
        ..Default::default()
    };
    let app = TestApp::spawn_full(&db, WebConfig { trust_proxy: true, ..Default::default() }, policy).await;
    // An unknown name and a wrong password read the same.
    let (s, wrong) = attempt(&app, "10.0.0.1", "known", "Wrong@pass1").await;
    assert_eq!(s, 200);
    assert!(wrong.starts_with("用户名或密码错误"), "{wrong}");
    let (s, unknown) = attempt(&app, "10.0.0.2", "ghost", "Wrong@pass1").await;
    assert_eq!((s, &unknown), (200, &wrong));
    // Unknown names are paused too: after three failures nothing more reaches the trail.
    for ip in ["10.0.0.3", "10.0.0.4", "10.0.0.5", "10.0.0.6"] {
        assert_eq!(attempt(&app, ip, "ghost", "Wrong@pass2").await, (200, wrong.clone()), "{ip}");
    }
    let ghost = trail(&db.conn, "login.failed").await.into_iter().filter(|e| e.summary.contains("ghost")).count();
    assert_eq!(ghost, 3, "paused attempts are not each recorded");
    assert!(trail(&db.conn, "login.throttled").await.iter().any(|e| e.summary.contains("用户名“ghost”")));
    // A known name paused after three failures refuses even the right password, alike.
    for ip in ["10.0.0.7", "10.0.0.8"] {
        attempt(&app, ip, "known", "Wrong@pass3").await;
    }
    assert_eq!(attempt(&app, "10.0.0.9", "known", PASSWORD).await, (200, wrong.clone()));
    // One address spraying many names is paused for every name, known or not.
    for n in 0..5 {
        assert_eq!(attempt(&app, "10.9.9.9", &format!("spray{n}"), "Spring@2026").await.0, 200);
    }
    assert_eq!(attempt(&app, "10.9.9.9", "other", PASSWORD).await, (200, wrong.clone()));
    assert_eq!(attempt(&app, "10.9.9.8", "other", PASSWORD).await.0, 303, "other addresses are not paused");
    app.post_form("/logout", &[]).await;
    // A locked account answers a wrong password like any other; the lock is told only to
    // whoever knows the password.
    let id = xuepei_store::accounts::by_username(&db.conn, "suoding").await.expect("account").id;
    write(&db.conn, &Scope::system(), async |tx| {
        xuepei_store::accounts::set_lock(tx, id, Some(xuepei_store::accounts::indefinitely())).await
    })
    .await
    .expect("lock");
    assert_eq!(attempt(&app, "10.1.0.1", "suoding", "Wrong@pass4").await, (200, wrong.clone()));
    let (s, told) = attempt(&app, "10.1.0.2", "suoding", PASSWORD).await;
    assert_eq!(s, 200);
    assert!(told.contains("账号已被锁定"), "{told}");
    db.cleanup().await;
}

#[tokio::test]
async fn a_reset_password_is_split_between_the_security_and_the_system_administrator() {
    let db = seeded().await;
    account(&db.conn, "yewu", &[AccountRole::OrgStaff], YUNXI).await;
    let id = xuepei_store::accounts::by_username(&db.conn, "yewu").await.expect("account").id;
    let security = signed_in(&db, "anquan", &[AccountRole::SecurityAdmin], YUNXI).await;
    let (s, _, body) = security.post_form(&format!("/admin/accounts/{id}/password"), &[]).await;
    assert_eq!(s, 200, "{body}");
    let shown = |body: &str, key: &str| {
        let key = format!("id=\"{key}\">");
        body.find(&key).map(|i| body[i + key.len()..].split('<').next().unwrap_or_default().to_owned())
    };
    let first = shown(&body, "temp-password").expect("first half shown");
    let holder = TestApp::spawn(&db).await;
    assert_eq!(holder.login("yewu", &first).await, 200, "what the security administrator saw does not sign in");
    let (_, again) = security.get(&format!("/admin/accounts/{id}")).await;
    assert!(shown(&again, "temp-password-second").is_none(), "the security administrator never sees the rest");
    let admin = signed_in(&db, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    let (_, page) = admin.get(&format!("/admin/accounts/{id}")).await;
    let second = shown(&page, "temp-password-second").expect("second half shown to the system administrator");
    assert!(shown(&page, "temp-password").is_none());
    assert_eq!(holder.login("yewu", &second).await, 200);
    assert_eq!(holder.login("yewu", &format!("{first}{second}")).await, 303, "both halves together sign in");
    let r = holder.raw.get(holder.url("/orgs")).send().await.expect("get");
    assert_eq!(r.headers().get("location").and_then(|v| v.to_str().ok()), Some("/account/password"));
    let full = format!("{first}{second}");
    let (s, _, _) = holder
        .post_form("/account/password", &[("old", &full), ("new", "Own@pass2026"), ("again", "Own@pass2026")])
        .await;
    assert_eq!(s, 303);
    let (_, page) = admin.get(&format!("/admin/accounts/{id}")).await;
    assert!(shown(&page, "temp-password-second").is_none(), "gone once the holder chose a password");
    db.cleanup().await;
}

#[tokio::test]
async fn the_three_administrators_cannot_lock_one_another() {
    let db = seeded().await;
    account(&db.conn, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    account(&db.conn, "shenji", &[AccountRole::AuditAdmin], YUNXI).await;
    account(&db.conn, "yewu", &[AccountRole::OrgStaff], YUNXI).await;
    let security = signed_in(&db, "anquan", &[AccountRole::SecurityAdmin], YUNXI).await;
    let id_of = async |name: &str| xuepei_store::accounts::by_username(&db.conn, name).await.expect("account").id;
    for admin in ["xitong", "shenji"] {
        let (s, _, body) = security.post_form(&format!("/admin/accounts/{}/lock", id_of(admin).await), &[]).await;
        assert_eq!(s, 403, "{admin}: {body}");
        assert!(body.contains("三员账号不能在网页上被锁定"), "{body}");
        assert_eq!(TestApp::spawn(&db).await.login(admin, PASSWORD).await, 303, "{admin} still signs in");
    }
    let (s, _, _) = security.post_form(&format!("/admin/accounts/{}/lock", id_of("yewu").await), &[]).await;
    assert_eq!(s, 303, "business accounts are locked as before");
    db.cleanup().await;
}

#[tokio::test]
async fn a_session_in_use_outlives_a_one_minute_idle_timeout() {
    use sea_orm::ConnectionTrait;
    use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
    let db = seeded().await;
    account(&db.conn, "wang", &[AccountRole::OrgStaff], YUNXI).await;
    let policy = SecurityPolicy { idle_minutes: 1, ..Default::default() };
    let app = TestApp::spawn_full(&db, WebConfig::default(), policy).await;
    assert_eq!(app.login("wang", PASSWORD).await, 303);
    let now = chrono::Utc::now();
    // Last seen 45 s ago; this request is activity and must be recorded as such.
    let mut q = Query::update();
    q.table(Alias::new("sessions")).value(Alias::new("last_seen_at"), now - chrono::Duration::seconds(45));
    db.conn.execute(&q).await.expect("age the session");
    assert_eq!(app.raw.get(app.url("/orgs")).send().await.expect("get").status(), 200);
    // 25 s later (the stored time moved back, if it was not refreshed): still in use.
    let mut q = Query::update();
    q.table(Alias::new("sessions"))
        .value(Alias::new("last_seen_at"), now - chrono::Duration::seconds(70))
        .and_where(Expr::col(Alias::new("last_seen_at")).lt(now - chrono::Duration::seconds(40)));
    db.conn.execute(&q).await.expect("time passes");
    let r = app.raw.get(app.url("/orgs")).send().await.expect("get");
    assert_eq!(r.status(), 200, "active 25 s ago, yet signed out: {:?}", r.headers().get("location"));
    db.cleanup().await;
}

#[tokio::test]
async fn cookies_are_secure_when_the_request_came_over_https() {
    let db = seeded().await;
    account(&db.conn, "https1", &[AccountRole::OrgStaff], YUNXI).await;
    let app = TestApp::spawn_with(&db, WebConfig { trust_proxy: true, ..Default::default() }).await;
    // A client without a cookie jar (a jar keeps Secure cookies from plain HTTP).
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let sign_in = async |proto: Option<&str>| {
        let with_proto = |rb: reqwest::RequestBuilder| match proto {
            Some(p) => rb.header("x-forwarded-proto", p),
            None => rb,
        };
        let r = with_proto(client.get(app.url("/login"))).send().await.expect("page");
        let login_cookie = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let pair = login_cookie.split(';').next().unwrap_or_default().to_owned();
        let token = hidden_csrf(&r.text().await.expect("body")).expect("token");
        let r = with_proto(client.post(app.url("/login")))
            .header("cookie", pair)
            .form(&[("_csrf", token.as_str()), ("username", "https1"), ("password", PASSWORD)])
            .send()
            .await
            .expect("post");
        assert_eq!(r.status(), 303);
        let session = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        (login_cookie, session)
    };
    let (login_cookie, session) = sign_in(Some("https")).await;
    assert!(login_cookie.contains("; Secure") && session.contains("; Secure"), "{login_cookie} / {session}");
    let (login_cookie, session) = sign_in(None).await;
    assert!(!login_cookie.contains("Secure") && !session.contains("Secure"), "plain HTTP: {session}");
    // Without a trusted proxy the header is the client's word and changes nothing.
    let direct = TestApp::spawn(&db).await;
    let r = client.get(direct.url("/login")).header("x-forwarded-proto", "https").send().await.expect("page");
    assert!(!r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or_default().contains("Secure"));
    db.cleanup().await;
}

#[tokio::test]
async fn the_csrf_token_is_never_taken_from_the_address() {
    let db = seeded().await;
    let app = signed_in(&db, "dizhi", &[AccountRole::OrgStaff], YUNXI).await;
    let token = app.csrf().await;
    let r = app.raw.post(app.url(&format!("/switch?_csrf={token}"))).form(&[("all", "1")]).send().await.expect("post");
    assert_eq!(r.status(), 403, "a token in the address is refused");
    // The upload form sends it as its first field, not in its address.
    let (_, page) = app.get("/import/people").await;
    assert!(!page.contains("_csrf="), "no token in any address of the page");
    let file = || {
        let bytes =
            xuepei_testkit::files::xlsx(&[vec!["姓名", "身份证号", "所在党组织"], vec!["甲", "1", JINGZHU]], &[]);
        reqwest::multipart::Part::bytes(bytes).file_name("花名册.xlsx")
    };
    let first = reqwest::multipart::Form::new().text("_csrf", token.clone()).part("file", file());
    let r = app.raw.post(app.url("/import/people")).multipart(first).send().await.expect("upload");
    assert_eq!(r.status(), 422, "checked and previewed");
    let last = reqwest::multipart::Form::new().part("file", file()).text("_csrf", token.clone());
    let r = app.raw.post(app.url("/import/people")).multipart(last).send().await.expect("upload");
    assert_eq!(r.status(), 403, "the token must come first");
    let forged = reqwest::multipart::Form::new().text("_csrf", "0".repeat(64)).part("file", file());
    let r = app.raw.post(app.url("/import/people")).multipart(forged).send().await.expect("upload");
    assert_eq!(r.status(), 403);
    db.cleanup().await;
}

/// Guessing the current password on the change form counts as failed sign-ins: at the
/// threshold the account is locked, its session ended, and each guess is audited.
#[tokio::test]
async fn guessing_the_current_password_locks_the_account() {
    let db = seeded().await;
    let app = signed_in(&db, "caishi", &[AccountRole::OrgStaff], YUNXI).await;
    for i in 1..5 {
        let (s, _, body) = app
            .post_form("/account/password", &[("old", "Guess@2026x"), ("new", "Good@pass99"), ("again", "Good@pass99")])
            .await;
        assert_eq!(s, 422, "guess {i}");
        assert!(body.contains("原密码不正确"), "{body}");
    }
    let (s, loc, _) = app
        .post_form("/account/password", &[("old", "Guess@2026y"), ("new", "Good@pass99"), ("again", "Good@pass99")])
        .await;
    assert_eq!((s, loc.as_deref()), (303, Some("/login?locked=1")));
    let r = app.raw.get(app.url("/people")).send().await.expect("get");
    assert_eq!(r.status(), 303, "the session has ended");
    assert_eq!(app.login("caishi", PASSWORD).await, 200, "locked: even the right password waits");
    let trail = xuepei_store::audit::search(
        &db.conn,
        &Scope::system(),
        &xuepei_store::audit::AuditFilter::default(),
        None,
        100,
    )
    .await
    .expect("trail")
    .items;
    assert_eq!(trail.iter().filter(|e| e.summary.contains("修改密码时原密码错误")).count(), 4);
    assert!(trail.iter().any(|e| e.action == "account.locked" && e.summary.contains("caishi")));
    db.cleanup().await;
}

#[tokio::test]
async fn a_new_password_may_not_repeat_the_last_few() {
    let db = seeded().await;
    let app = signed_in(&db, "lishi", &[AccountRole::OrgStaff], YUNXI).await;
    let mut current = PASSWORD.to_owned();
    for next in ["Second@pass1", "Third@pass1"] {
        let (s, _, body) =
            app.post_form("/account/password", &[("old", &current), ("new", next), ("again", next)]).await;
        assert_eq!(s, 303, "{body}");
        assert_eq!(app.login("lishi", next).await, 303);
        current = next.to_owned();
    }
    for earlier in [PASSWORD, "Second@pass1"] {
        let (s, _, body) =
            app.post_form("/account/password", &[("old", &current), ("new", earlier), ("again", earlier)]).await;
        assert_eq!(s, 422, "{earlier}");
        assert!(body.contains("不能与最近5次使用过的密码相同"), "{body}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn exports_are_posts_so_a_link_elsewhere_cannot_export() {
    let db = seeded().await;
    let app = signed_in(&db, "daochu", &[AccountRole::OrgStaff], YUNXI).await;
    let exports = async || trail(&db.conn, "export").await.into_iter().filter(|e| e.username == "daochu").count();
    // What a link or an image on another site would send: the cookie, no token.
    for path in ["/people/export.xlsx", "/orgs/export.xlsx"] {
        let r = app.raw.get(app.url(path)).send().await.expect("get");
        assert_eq!(r.status(), 405, "{path}");
        let r = app.raw.post(app.url(path)).form(&[("q", "")]).send().await.expect("post");
        assert_eq!(r.status(), 403, "{path}");
    }
    assert_eq!(exports().await, 0, "nothing exported, nothing recorded");
    let (_, page) = app.get("/people").await;
    assert!(page.contains("method=\"post\" action=\"/people/export.xlsx"), "the page exports with a form");
    let (s, _, _) = app.post_form("/people/export.xlsx", &[]).await;
    assert_eq!(s, 200);
    assert_eq!(exports().await, 1);
    db.cleanup().await;
}

/// A form posted after the session ended changes nothing and leads to sign-in and back
/// to the page the form was on, instead of a refusal that loses the page.
#[tokio::test]
async fn a_form_sent_after_the_session_ended_leads_to_sign_in_and_back() {
    let db = seeded().await;
    let app = signed_in(&db, "yunxi", &[AccountRole::OrgStaff], YUNXI).await;
    let token = app.csrf().await;
    let r = app.raw.post(app.url("/logout")).form(&[("_csrf", token.as_str())]).send().await.expect("logout");
    assert_eq!(r.status().as_u16(), 303);
    let before = xuepei_store::people::count(&db.conn, &Scope::system(), &Default::default()).await.expect("count");
    let r = app
        .raw
        .post(app.url("/people"))
        .header("referer", app.url("/people/new?org=5"))
        .form(&[("_csrf", token.as_str()), ("name", "张三"), ("id_number", "11010519491231002X")])
        .send()
        .await
        .expect("post");
    assert_eq!(r.status().as_u16(), 303);
    let to = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(to.starts_with("/login?next=") && to.contains("people%2Fnew"), "{to}");
    let after = xuepei_store::people::count(&db.conn, &Scope::system(), &Default::default()).await.expect("count");
    assert_eq!(before.value, after.value, "nothing written");
    // A referer on another site is not followed.
    let r = app
        .raw
        .post(app.url("/people"))
        .header("referer", "https://evil.example/people/new")
        .form(&[("_csrf", "x")])
        .send()
        .await
        .expect("post");
    let to = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert_eq!(to, "/login?next=%2F");
    db.cleanup().await;
}
