//! The pages over HTTP: the tree, lists, details, forms, the import wizard and exports.

use reqwest::multipart::{Form, Part};
use xuepei_domain::accounts::AccountRole;
use xuepei_store::Scope;
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter};
use xuepei_testkit::{TestApp, files};
use xuepei_web::WebConfig;

use crate::support::*;

#[tokio::test]
async fn pages_render_the_tree_and_its_people() {
    let db = seeded().await;
    let app = signed_in(&db, "tester", &[AccountRole::OrgStaff], "430600").await;
    let (s, body) = app.get("/healthz").await;
    assert_eq!((s, body.as_str()), (200, "ok"));
    let (s, body) = app.get("/orgs").await;
    assert_eq!(s, 200);
    assert!(body.contains("岳阳市") && body.contains("云溪区") && body.contains("下级"), "{body}");
    let county = by_code(&db.conn, YUNXI).await;
    let (s, frag) = app.get(&format!("/orgs/{}/children", county.id)).await;
    assert_eq!(s, 200);
    assert!(frag.contains("长岭街道") && !frag.contains("<html"));
    let village = by_code(&db.conn, JINGZHU).await;
    let (s, detail) = app.get(&format!("/orgs/{}", village.id)).await;
    assert_eq!(s, 200);
    assert!(detail.contains("中共云溪区长岭街道荆竹村总支部委员会") && detail.contains("430603001203"));
    let (s, list) = app.get("/orgs/list?q=%E8%8D%86%E7%AB%B9").await;
    assert_eq!(s, 200);
    assert!(list.contains("荆竹村"));

    let someone = someone_under(&db.conn, &village.code).await;
    let (s, page) = app.get(&format!("/people?q={}", xuepei_web_enc(&someone.name))).await;
    assert_eq!(s, 200);
    assert!(page.contains(&someone.name));
    assert!(page.contains(&someone.masked_id()), "numbers are shown masked");
    assert!(!page.contains(&someone.id_number), "never in full in lists");
    let (s, p) = app.get(&format!("/people/{}", someone.id)).await;
    assert_eq!(s, 200);
    assert!(p.contains(&someone.name) && !p.contains(&someone.id_number));
    db.cleanup().await;
}

fn xuepei_web_enc(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn unknown_pages_and_ids_answer_in_chinese() {
    let db = seeded().await;
    let app = signed_in(&db, "tester", &[AccountRole::OrgStaff], "430600").await;
    for path in
        ["/no/such/page", "/orgs/999999", "/orgs/abc", "/people/-1", "/people/1%27%20OR%201=1", "/import/unknown"]
    {
        let (s, body) = app.get(path).await;
        assert_eq!(s, 404, "{path}");
        assert!(body.contains("不存在"), "{path}: {body}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn forms_validate_in_chinese_and_write_nothing_when_wrong() {
    let db = seeded().await;
    let app = signed_in(&db, "tester", &[AccountRole::OrgStaff], "430600").await;
    let parent = by_code(&db.conn, JINGZHU).await;
    let pid = parent.id.to_string();
    let (s, _, body) = app
        .post_form(
            "/orgs",
            &[
                ("parent", &pid),
                ("code", "坏 代码!"),
                ("name", ""),
                ("kind", "branch"),
                ("sector", "village"),
                ("authority", "市委组织部"),
            ],
        )
        .await;
    assert_eq!(s, 422, "shown again with what to fix");
    assert!(body.contains("只能包含数字、字母和短横线") && body.contains("不能为空"), "{body}");
    assert!(body.contains("请从列表中选择干部管理单位"), "a forged reference is refused, not dropped: {body}");
    let (s, loc, _) = app
        .post_form(
            "/orgs",
            &[
                ("parent", &pid),
                ("code", "JZ-01"),
                ("name", "荆竹村第一党支部"),
                ("kind", "branch"),
                ("sector", "village"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    assert!(loc.expect("location").contains("done=created"));
    let created = by_code(&db.conn, "JZ-01").await;
    assert_eq!(created.parent_id, Some(parent.id));

    let bad_id = wrong_check(&id_number(YUNXI, (1988, 8, 8), 11));
    let org_ref = JINGZHU;
    let (s, _, body) = app
        .post_form(
            "/people",
            &[("name", "<script>alert(1)</script>"), ("id_number", &bad_id), ("org", org_ref), ("managing_org", "x")],
        )
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("请从列表中选择干部管理单位"), "{body}");
    assert!(body.contains("校验位不正确") && body.contains("含有不能出现在姓名中的字符"), "{body}");
    assert!(!body.contains("<script>alert(1)</script>"), "user text is escaped");
    let good = id_number(YUNXI, (1988, 8, 8), 11);
    let (s, loc, _) = app
        .post_form(
            "/people",
            &[
                ("name", "王  芳"),
                ("id_number", &good),
                ("org", org_ref),
                ("roles", "secretary"),
                ("roles", "committee_member"),
            ],
        )
        .await;
    assert_eq!(s, 303, "created");
    let id: i64 =
        loc.expect("location").trim_start_matches("/people/").split('?').next().expect("id").parse().expect("numeric");
    let p = people::get(&db.conn, &Scope::system(), id).await.expect("stored");
    assert_eq!(p.name, "王芳");
    assert_eq!(p.roles.labels(), "书记、委员");
    db.cleanup().await;
}

/// Posts a people file to the import wizard (the CSRF token in its header; the page's
/// form sends it as the first field instead, see `auth::multipart_uploads_carry_the_token_first`).
async fn upload_people(app: &TestApp, form: Form) -> reqwest::Response {
    let token = app.csrf().await;
    app.client
        .post(app.url("/import/people"))
        .header("x-csrf-token", token)
        .multipart(form)
        .send()
        .await
        .expect("upload")
}

#[tokio::test]
async fn the_import_wizard_previews_bad_rows_then_imports_the_fixed_file() {
    let db = seeded().await;
    let app = signed_in(&db, "tester", &[AccountRole::OrgStaff], "430600").await;
    let good = id_number(YUNXI, (1980, 1, 1), 11);
    let bad = wrong_check(&id_number(YUNXI, (1981, 1, 1), 21));
    let upload = |rows: Vec<Vec<&str>>| {
        let bytes = files::xlsx(&rows, &[]);
        Form::new().part("file", Part::bytes(bytes).file_name("花名册.xlsx"))
    };
    let rows = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["甲", &good, JINGZHU], vec!["乙乙", &bad, JINGZHU]];
    let r = upload_people(&app, upload(rows)).await;
    assert_eq!(r.status(), 422);
    let body = r.text().await.expect("body");
    assert!(body.contains("第3行") && body.contains("校验位不正确"), "{body}");
    assert!(body.contains("第2行") && body.contains("至少应有2个字"), "{body}");
    assert!(!body.contains("确认导入</button>"), "no confirm button while rows are bad");

    let fixed = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["甲甲", &good, JINGZHU]];
    let r = upload_people(&app, upload(fixed)).await;
    let body = r.text().await.expect("body");
    assert!(body.contains("预检通过") && body.contains("将新增1条"), "{body}");
    let action = body
        .split("action=\"")
        .filter_map(|a| a.split('"').next())
        .find(|a| a.ends_with("/confirm"))
        .expect("confirm form")
        .to_owned();
    assert!(
        people::list(
            &db.conn,
            &Scope::system(),
            &PersonFilter { q: Some(good.clone()), ..Default::default() },
            Default::default(),
            At::First,
            1
        )
        .await
        .expect("list")
        .items
        .is_empty()
    );
    // An upload left for more than an hour is no longer confirmed.
    let age = async |at: chrono::DateTime<chrono::Utc>| {
        use sea_orm::ConnectionTrait;
        use sea_orm::sea_query::{Alias, Query};
        let mut q = Query::update();
        q.table(Alias::new("uploads")).value(Alias::new("created_at"), at);
        db.conn.execute(&q).await.expect("age the upload");
    };
    age(chrono::Utc::now() - chrono::Duration::hours(2)).await;
    let r = app.client.post(app.url(&action)).form(&[("_csrf", app.csrf().await)]).send().await.expect("confirm");
    assert_eq!(r.status(), 404);
    assert!(r.text().await.expect("body").contains("上传的文件已过期"));
    age(chrono::Utc::now()).await;
    let r = app.client.post(app.url(&action)).form(&[("_csrf", app.csrf().await)]).send().await.expect("confirm");
    let body = r.text().await.expect("body");
    assert!(body.contains("导入完成") && body.contains("已新增1条"), "{body}");
    let found = people::list(
        &db.conn,
        &Scope::system(),
        &PersonFilter { q: Some(good), ..Default::default() },
        Default::default(),
        At::First,
        1,
    )
    .await
    .expect("list");
    assert_eq!(found.items.len(), 1);
    // Sent again, it shows the result instead of importing a second time (issue 11).
    let r = app.client.post(app.url(&action)).form(&[("_csrf", app.csrf().await)]).send().await.expect("confirm again");
    assert_eq!(r.status(), 200);
    let body = r.text().await.expect("body");
    assert!(body.contains("导入完成") && body.contains("已新增1条"), "{body}");
    db.cleanup().await;
}

#[tokio::test]
async fn oversized_and_empty_uploads_are_refused_in_chinese() {
    let db = seeded().await;
    account(&db.conn, "tester", &[AccountRole::OrgStaff], "430600").await;
    let app = TestApp::spawn_with(&db, WebConfig { upload_limit: 1024 * 1024, ..Default::default() }).await;
    assert_eq!(app.login("tester", PASSWORD).await, 303);
    let big = vec![b'a'; 1024 * 1024 + 10];
    let form = Form::new().part("file", Part::bytes(big).file_name("big.csv"));
    let r = upload_people(&app, form).await;
    assert_eq!(r.status(), 413);
    assert!(r.text().await.expect("body").contains("文件超过上传大小限制（1MB）"));
    let form = Form::new().part("file", Part::bytes(Vec::new()).file_name("empty.xlsx"));
    let r = upload_people(&app, form).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("是空的"));
    let form = Form::new().part("file", Part::bytes(b"%PDF-1.4 not a sheet".to_vec()).file_name("x.pdf"));
    let r = upload_people(&app, form).await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.expect("body").contains("文件不是表格"));
    db.cleanup().await;
}

#[tokio::test]
async fn exports_download_as_xlsx() {
    let db = seeded().await;
    let app = signed_in(&db, "tester", &[AccountRole::OrgStaff], "430600").await;
    let county = by_code(&db.conn, YUNXI).await;
    for path in [
        format!("/people/export.xlsx?under={}", county.id),
        "/orgs/export.xlsx".to_owned(),
        "/import/people/template.xlsx".to_owned(),
    ] {
        // Exports are POSTs with the session's token; the import template is a plain download.
        let r = if path.contains("export") {
            app.client.post(app.url(&path)).form(&[("_csrf", app.csrf().await)]).send().await.expect("download")
        } else {
            app.client.get(app.url(&path)).send().await.expect("download")
        };
        assert_eq!(r.status(), 200, "{path}");
        let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(ct.contains("spreadsheetml"), "{path}: {ct}");
        let cd = r.headers().get("content-disposition").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(cd.contains("attachment") && cd.contains("UTF-8''"), "{cd}");
        let bytes = r.bytes().await.expect("bytes");
        assert!(bytes.starts_with(b"PK"), "{path}: a real xlsx");
        xuepei_office::read::Workbook::open(xuepei_office::read::Source::Bytes(bytes.to_vec())).expect("readable");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn metrics_and_health_for_operators() {
    let db = seeded().await;
    let app = signed_in(&db, "tester", &[AccountRole::OrgStaff], "430600").await;
    app.get("/orgs").await;
    let (s, text) = app.get("/metrics").await;
    assert_eq!(s, 200);
    assert!(text.contains("# TYPE xuepei_http_requests_total counter"), "{text}");
    assert!(text.contains("xuepei_http_request_duration_seconds_bucket{le=\"0.1\"}"));
    let served: u64 = text
        .lines()
        .find(|l| l.starts_with("xuepei_http_requests_total{class=\"2xx\"}"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(served >= 2, "{text}");
    assert_eq!(app.get("/healthz").await, (200, "ok".to_owned()));
    db.cleanup().await;
}

#[tokio::test]
async fn the_switcher_narrows_the_view_within_the_scope() {
    let db = seeded().await;
    let app = signed_in(&db, "tester", &[AccountRole::OrgStaff], "430600").await;
    let village = by_code(&db.conn, JINGZHU).await;
    let (s, loc, body) = app.post_form("/switch", &[("org", JINGZHU)]).await;
    assert_eq!((s, loc.as_deref()), (303, Some("/")), "{body}");
    let home = app.get("/").await.1;
    assert!(home.contains("范围：荆竹村（岳阳市内）"), "{home}");
    let list = app.get("/people").await.1;
    assert!(list.contains(&format!("共 {} 人", village.person_count)), "only the village's people");
    // A button names the organisation by id; an empty entry is refused with a message.
    let county = by_code(&db.conn, YUNXI).await;
    let (s, _, _) = app.post_form("/switch", &[("org_id", &county.id.to_string())]).await;
    assert_eq!(s, 303);
    assert!(app.get("/").await.1.contains(&format!("范围：{}（岳阳市内）", county.display_name())));
    let (s, _, body) = app.post_form("/switch", &[("org", " ")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("请填写要切换到的组织代码或名称"), "{body}");
    // A name outside the scope is refused beside the field, what was typed kept.
    let (s, _, body) = app.post_form("/switch", &[("org", "不存在的单位")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("未找到组织“不存在的单位”") && body.contains("value=\"不存在的单位\""), "{body}");
    let (s, _, _) = app.post_form("/switch", &[("all", "1")]).await;
    assert_eq!(s, 303);
    assert!(app.get("/").await.1.contains("范围：岳阳市"));
    db.cleanup().await;
}

/// Pages link the CSS and JS by content-hashed URLs that are cached as immutable, so an
/// upgrade never runs against stale files.
#[tokio::test]
async fn assets_are_linked_by_content_hash() {
    let db = xuepei_testkit::TestDb::new().await;
    let app = TestApp::spawn(&db).await;
    let (_, page) = app.get("/login").await;
    let links: Vec<&str> = page.split('"').filter(|s| s.starts_with("/assets/app.")).collect();
    let href = |ext: &str| links.iter().find(|l| l.ends_with(&format!(".{ext}"))).copied().unwrap_or_default();
    for (ext, kind) in [("css", "text/css"), ("js", "text/javascript")] {
        let url = href(ext);
        assert!(url.len() > "/assets/app..css".len() + 8, "hashed {ext} URL: {url}");
        let r = app.raw.get(app.url(url)).send().await.expect("asset");
        assert_eq!(r.status().as_u16(), 200, "{url}");
        let h = |k: &str| r.headers().get(k).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        assert!(h("content-type").starts_with(kind));
        assert!(h("cache-control").contains("immutable"), "{}", h("cache-control"));
    }
    db.cleanup().await;
}

/// One submit reports every problem of the person form, the organisation's included, and
/// keeps what was typed (the ticked roles too).
#[tokio::test]
async fn the_person_form_reports_every_error_at_once() {
    let db = seeded().await;
    let app = signed_in(&db, "yunxi", &[AccountRole::OrgStaff], YUNXI).await;
    let form = [
        ("name", "张"),
        ("id_number", "123"),
        ("phone", "12"),
        ("ethnicity", "火星族"),
        ("roles", "secretary"),
        ("roles", "committee_member"),
        ("org", "没有这个组织"),
    ];
    let (status, _, body) = app.post_form("/people", &form).await;
    assert_eq!(status, 422);
    for expected in ["身份证号", "不是民族名称", "在您的管理范围内未找到组织“没有这个组织”", "共5处"]
    {
        assert!(body.contains(expected), "«{expected}» in one answer");
    }
    assert!(body.contains("value=\"没有这个组织\""), "what was typed stays");
    assert_eq!(body.matches(" checked>").count(), 2, "both ticked roles stay ticked");
    db.cleanup().await;
}

/// Error pages are Chinese and, for a signed-in user, inside the layout with the menu; a
/// form's address typed into the browser is a Chinese 405, not the framework's English.
#[tokio::test]
async fn error_pages_stay_inside_the_layout_in_chinese() {
    let db = seeded().await;
    let app = signed_in(&db, "yunxi", &[AccountRole::OrgStaff], YUNXI).await;
    let (status, body) = app.get("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(
        body.contains("页面或数据不存在") && body.contains("人员信息") && body.contains("action=\"/logout\""),
        "menu"
    );
    let (status, body) = app.get("/people/999999999").await;
    assert_eq!(status, 404);
    assert!(body.contains("人员信息") && body.contains("不存在"), "a missing record keeps the menu");
    let (status, body) = app.get("/orgs/1/deactivate").await;
    assert_eq!(status, 405);
    assert!(body.contains("该地址不能这样访问") && body.contains("人员信息"), "{body}");
    let r = app.raw.get(app.url("/api/v1/orgs/import")).send().await.expect("request");
    assert_eq!(r.status().as_u16(), 405);
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v["error"]["code"], "method_not_allowed");
    // Signed out: the same Chinese page, without a menu.
    let anon = TestApp::spawn(&db).await;
    let (status, body) = anon.get("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(body.contains("页面或数据不存在") && !body.contains("action=\"/logout\""), "no menu when signed out");
    db.cleanup().await;
}

/// A village secretary's home shows the village's own roster and offers no scope switcher
/// (there is nothing below a village); a cadre's home shows their own record.
#[tokio::test]
async fn homes_show_what_is_theirs() {
    let db = seeded().await;
    let shuji = signed_in(&db, "shuji", &[AccountRole::UnitSecretary], JINGZHU).await;
    let (status, body) = shuji.get("/").await;
    assert_eq!(status, 200);
    let someone = someone_under(&db.conn, JINGZHU).await;
    assert!(body.contains("本组织人员") && body.contains(&someone.name), "the village's roster");
    assert!(!body.contains("下属单位人员数"), "no chart of units it does not have");
    assert!(!body.contains("href=\"/switch\""), "no switcher for a village");
    let county = signed_in(&db, "yunxi", &[AccountRole::OrgStaff], YUNXI).await;
    let (_, body) = county.get("/").await;
    assert!(body.contains("href=\"/switch\"") && body.contains("下属单位人员数"), "a county switches and sees units");

    let village = by_code(&db.conn, JINGZHU).await;
    let new = xuepei_store::accounts::NewAccount {
        username: "ganbu".into(),
        display_name: someone.name.clone(),
        person_id: Some(someone.id),
        org_id: village.id,
        scope_org_id: village.id,
        roles: xuepei_domain::accounts::AccountRoles::of(&[AccountRole::Cadre]),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    write(&db.conn, &Scope::system(), async |tx| xuepei_store::accounts::create(tx, &new).await).await.expect("cadre");
    let cadre = TestApp::spawn(&db).await;
    assert_eq!(cadre.login("ganbu", PASSWORD).await, 303);
    let (_, body) = cadre.get("/").await;
    assert!(body.contains("我的信息") && body.contains(&someone.name) && body.contains(&village.name), "own record");
    assert!(!body.contains("href=\"/switch\""));
    // "我的信息" holds every fact of the record, as the detail page does.
    let (_, me) = cadre.get("/me").await;
    for label in ["入党时间", "民族", "学历", "参加工作时间", "干部管理单位", &village.name] {
        assert!(me.contains(label), "{label} on /me");
    }
    // Nothing to switch to: the switcher is refused, not an empty form.
    assert_eq!(cadre.get("/switch").await.0, 403);
    assert_eq!(shuji.get("/switch").await.0, 403);
    db.cleanup().await;
}

/// The organisation picker offers organisations of the user's scope only, in the form
/// every reference field reads.
#[tokio::test]
async fn the_organisation_picker_stays_in_scope() {
    let db = seeded().await;
    let app = signed_in(&db, "yunxi", &[AccountRole::OrgStaff], YUNXI).await;
    let village = by_code(&db.conn, JINGZHU).await;
    let short = village.short_name.clone().expect("short name");
    let r = app.client.get(app.url(&format!("/orgs/pick?q={}", xuepei_web_enc(&short)))).send().await.expect("pick");
    assert_eq!(r.status().as_u16(), 200);
    let v: serde_json::Value = r.json().await.expect("json");
    let values: Vec<&str> = v.as_array().expect("list").iter().filter_map(|o| o["value"].as_str()).collect();
    assert!(values.iter().any(|x| x.contains(JINGZHU)), "{values:?}");
    let r = app.client.get(app.url(&format!("/orgs/pick?q={QUYUAN}"))).send().await.expect("pick");
    let v: serde_json::Value = r.json().await.expect("json");
    assert_eq!(v.as_array().map(Vec::len), Some(0), "another county's organisations are not offered");
    db.cleanup().await;
}

/// The account form reports every problem in one answer (it once took six submits).
#[tokio::test]
async fn the_account_form_reports_every_error_at_once() {
    let db = seeded().await;
    let admin = signed_in(&db, "xitong", &[AccountRole::SystemAdmin], YUNXI).await;
    let form =
        [("username", "1x"), ("display_name", ""), ("org", "没有这个单位"), ("scope", "也没有"), ("password", "short")];
    let (status, _, body) = admin.post_form("/admin/accounts", &form).await;
    assert_eq!(status, 422);
    for expected in ["用户名", "不能为空", "请至少选择一个角色", "所在单位", "管理范围", "密码至少8位", "共6处"]
    {
        assert!(body.contains(expected), "«{expected}» in one answer");
    }
    let (status, _, body) = admin
        .post_form(
            "/admin/accounts",
            &[
                ("username", "lisi"),
                ("display_name", "李四"),
                ("roles", "org_staff"),
                ("org", YUNXI),
                ("scope", YUNXI),
                ("password", "short"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("共1处") && body.contains("checked"), "only the password left; the role stays ticked");
    db.cleanup().await;
}

/// An upload is its uploader's: another account of the same county cannot confirm it,
/// read its result or download its bad rows.
#[tokio::test]
async fn an_upload_belongs_to_the_account_that_made_it() {
    let db = seeded().await;
    let a = signed_in(&db, "uploader", &[AccountRole::OrgStaff], YUNXI).await;
    let b = signed_in(&db, "neighbour", &[AccountRole::OrgStaff], YUNXI).await;
    let good = id_number(YUNXI, (1980, 2, 2), 13);
    let bad = wrong_check(&id_number(YUNXI, (1981, 2, 2), 23));
    let rows = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["甲甲", &good, JINGZHU], vec!["乙乙", &bad, JINGZHU]];
    let form = Form::new().part("file", Part::bytes(files::xlsx(&rows, &[])).file_name("花名册.xlsx"));
    let body = upload_people(&a, form).await.text().await.expect("body");
    let errors = body
        .split("action=\"")
        .filter_map(|x| x.split('"').next())
        .find(|x| x.ends_with("/errors.xlsx"))
        .expect("bad-rows download")
        .to_owned();
    let base = errors.trim_end_matches("/errors.xlsx").to_owned();
    for (method, path) in
        [("POST", errors.clone()), ("POST", format!("{base}/confirm")), ("GET", format!("{base}/result"))]
    {
        let token = b.csrf().await;
        let r = match method {
            "POST" => b.raw.post(b.url(&path)).form(&[("_csrf", token.as_str())]).send().await,
            _ => b.raw.get(b.url(&path)).send().await,
        }
        .expect("request");
        assert_eq!(r.status().as_u16(), 404, "{method} {path} by another account");
        let text = r.text().await.unwrap_or_default();
        assert!(!text.contains(&bad) && !text.contains("乙乙"), "nothing of the upload shows");
    }
    let token = a.csrf().await;
    let r = a.raw.post(a.url(&errors)).form(&[("_csrf", token.as_str())]).send().await.expect("own download");
    assert_eq!(r.status().as_u16(), 200, "the uploader still downloads its bad rows");
    db.cleanup().await;
}

/// A NUL or other control character in a search or a user name is no 500 on any backend
/// (PostgreSQL refuses NUL in text values).
#[tokio::test]
async fn control_characters_in_input_never_answer_500() {
    let db = seeded().await;
    let app = signed_in(&db, "yunxi", &[AccountRole::OrgStaff], YUNXI).await;
    for path in ["/orgs/pick?q=%00", "/people?q=%00", "/orgs/list?q=a%00b", "/people?q=%01%02"] {
        let (status, _) = app.get(path).await;
        assert!(status < 500, "{path}: {status}");
    }
    // Typed organisation references: refused beside the field, before any lookup.
    let village = by_code(&db.conn, JINGZHU).await;
    for (path, form) in [
        ("/switch", vec![("org", "a\u{0}b")]),
        ("/people", vec![("name", "张三"), ("id_number", "430602198001010011"), ("org", "x\u{0}y")]),
        ("/switch", vec![("org", "岳".repeat(5000).leak() as &str)]),
    ] {
        let (status, _, body) = app.post_form(path, &form).await;
        assert_eq!(status, 422, "{path}: {body}");
        assert!(body.contains("控制字符") || body.contains("不能超过100个字"), "{path}: {body}");
    }
    let (status, _, body) = app.post_form(&format!("/orgs/{}/move", village.id), &[("parent", "x\u{0}y")]).await;
    assert!(status < 500, "move: {status} {body}");
    // What the framework refuses before a handler runs is answered in Chinese too.
    for path in ["/people/%ff", "/orgs/%ff/children", "/import/people/%ff/result"] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(body.contains("格式不正确") && !body.contains("Invalid"), "{path}: {body}");
    }
    let r = app
        .raw
        .post(app.url("/people"))
        .header("x-csrf-token", app.csrf().await)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("post");
    assert_eq!(r.status(), 415);
    let body = r.text().await.expect("body");
    assert!(body.contains("请通过系统页面上的表单提交") && !body.contains("Content-Type"), "{body}");
    let anon = TestApp::spawn(&db).await;
    let (status, _, body) = anon.post_form("/login", &[("username", "a\u{0}b"), ("password", "x")]).await;
    assert!(status < 500, "sign-in with a NUL: {status} {body}");
    db.cleanup().await;
}

/// The people list's links page by cursor: "next" then "previous" come back to the same
/// rows, and a cursor alone (without a page number) is honoured.
#[tokio::test]
async fn the_people_list_pages_by_cursor_over_http() {
    let db = seeded().await;
    let app = signed_in(&db, "yunxi", &[AccountRole::OrgStaff], YUNXI).await;
    let link = |page: &str, rel: &str| -> String {
        let i = page.find(&format!("rel=\"{rel}\"")).unwrap_or_else(|| panic!("a {rel} link: {page}"));
        let start = page[..i].rfind("href=\"").expect("href") + 6;
        page[start..start + page[start..].find('"').expect("end")].replace("&amp;", "&").replace("&#38;", "&")
    };
    let first_row = |page: &str| -> String {
        let i = page.find("<a href=\"/people/").expect("a row");
        page[i..i + 40].to_owned()
    };
    let (_, page1) = app.get("/people").await;
    let next = link(&page1, "next");
    assert!(next.contains("after=") && next.contains("page=2"), "{next}");
    let (_, page2) = app.get(&next).await;
    assert_ne!(first_row(&page2), first_row(&page1), "the next page holds other people");
    assert!(
        page2.contains("aria-current=\"page\">2<"),
        "page 2 is marked: {}",
        &page2[page2.find("pager").unwrap_or(0)..]
    );
    // Without the page number the cursor still leads to the same rows.
    let bare = next.split('&').filter(|p| !p.starts_with("page=")).collect::<Vec<_>>().join("&");
    assert_eq!(first_row(&app.get(&bare).await.1), first_row(&page2), "{bare}");
    let (_, back) = app.get(&link(&page2, "prev")).await;
    assert_eq!(first_row(&back), first_row(&page1), "previous comes back");
    // Malformed paging is the first page, never an error.
    for q in ["page=abc", "page=-1", "size=7", "before=%00", "after=zzz~x", "last=1&size=100"] {
        let (s, body) = app.get(&format!("/people?{q}")).await;
        assert_eq!(s, 200, "{q}: {body}");
    }
    db.cleanup().await;
}
