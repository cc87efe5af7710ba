//! The materials library (issue 13 item 4): added, changed and deleted through the pages
//! and the API (audited, indexed for search), listed with filters, imported through the
//! wizard's kind and exported; the newest speeches offered for a first agenda item include
//! those of the city above; another county sees nothing.

use serde_json::{Value, json};
use xuepei_domain::accounts::AccountRole;
use xuepei_domain::study::materials::{MaterialInput, MaterialKind};
use xuepei_office::read::Source;
use xuepei_store::materials::{self, MaterialFilter};
use xuepei_store::page::At;
use xuepei_store::{Scope, StoreError, tokens};
use xuepei_testkit::{TestApp, files};

use crate::support::*;

const CITY: &str = "430600";

pub fn input(org: &str, title: &str, kind: &str, date: &str, body: &str) -> MaterialInput {
    MaterialInput {
        org: org.into(),
        title: title.into(),
        kind: kind.into(),
        source: "《求是》".into(),
        date: date.into(),
        body: body.into(),
        tags: vec!["党建".into()],
    }
}

/// Adds a material of `org` as the operator; returns its id.
pub async fn seed_material(db: &xuepei_store::DatabaseConnection, org: &str, title: &str, body: &str) -> i64 {
    write(db, &Scope::system(), async |tx| {
        materials::create(tx, &input(org, title, "speech", "2025-06-01", body)).await
    })
    .await
    .expect("material")
    .id
}

/// A read-write token over the organisation `code`.
pub async fn token(db: &xuepei_store::DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        tokens::issue(tx, "资料对接", o.id, true, None, tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

pub async fn call(app: &TestApp, method: &str, path: &str, token: &str, body: Option<&str>) -> (u16, Value) {
    let mut rb = match method {
        "POST" => app.raw.post(app.url(path)),
        _ => app.raw.get(app.url(path)),
    };
    rb = rb.bearer_auth(token);
    if let Some(b) = body {
        rb = rb.header("content-type", "application/json").body(b.to_owned());
    }
    let r = rb.send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn refusal(e: StoreError) -> String {
    match e {
        StoreError::Invalid(errs) => errs.into_iter().map(|e| e.message).collect::<Vec<_>>().join("；"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn propaganda_staff_add_change_list_and_delete_materials_through_the_pages() {
    let db = seeded().await;
    let app = signed_in(&db, "xuanchuan", &[AccountRole::PropagandaStaff], YUNXI).await;
    let (s, body) = app.get("/materials/new").await;
    assert_eq!(s, 200, "{body}");
    assert!(body.contains("新增学习资料") && body.contains(YUNXI), "the own organisation is the default");

    // Every mistake at once, nothing written.
    let (s, _, body) = app
        .post_form(
            "/materials",
            &[("title", ""), ("kind", "picture"), ("date", "1850-01-01"), ("org", QUYUAN), ("body", "x")],
        )
        .await;
    assert_eq!(s, 422, "{body}");
    for m in ["请填写资料标题", "资料类别“picture”无法识别", "超出合理范围", "不在您的管理范围内"]
    {
        assert!(body.contains(m), "{m} in the refusal");
    }
    let (s, _, body) = app
        .post_form("/materials", &[("title", "t"), ("kind", "speech"), ("date", "2030-01-01"), ("org", YUNXI)])
        .await;
    assert_eq!(s, 422);
    assert!(body.contains("晚于今天"), "a future date is refused");
    let scope = county_scope(&db.conn, YUNXI).await;
    assert!(
        materials::list(&db.conn, &scope, &MaterialFilter::default(), At::First, 20)
            .await
            .expect("list")
            .items
            .is_empty()
    );

    let (s, loc, _) = app
        .post_form(
            "/materials",
            &[
                ("title", "在全区乡村振兴工作会议上的讲话"),
                ("kind", "speech"),
                ("source", "云溪区委办"),
                ("date", "2025-03-05"),
                ("org", YUNXI),
                ("tags", "乡村振兴、党建"),
                ("body", "全面推进乡村振兴。\n抓党建促振兴。"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    let loc = loc.expect("redirect");
    assert!(loc.starts_with("/materials/") && loc.ends_with("?done=created"), "{loc}");
    let id: i64 = loc["/materials/".len()..loc.find('?').expect("query")].parse().expect("id");
    let (s, body) = app.get(&loc).await;
    assert_eq!(s, 200);
    for part in ["在全区乡村振兴工作会议上的讲话", "讲话", "云溪区委办", "2025-03-05", "乡村振兴", "抓党建促振兴。"]
    {
        assert!(body.contains(part), "{part} on the page");
    }
    // Edited: another kind and date; the list filters find it by kind, tag, year and text.
    let (s, _, _) = app
        .post_form(
            &format!("/materials/{id}"),
            &[
                ("title", "在全区乡村振兴工作会议上的讲话"),
                ("kind", "document"),
                ("source", "云溪区委办"),
                ("date", "2024-11-20"),
                ("org", YUNXI),
                ("tags", "乡村振兴"),
                ("body", "全面推进乡村振兴。"),
            ],
        )
        .await;
    assert_eq!(s, 303);
    for (q, found) in [
        ("?kind=document", true),
        ("?kind=speech", false),
        ("?tag=乡村振兴", true),
        ("?tag=党建", false),
        ("?year=2024", true),
        ("?year=2025", false),
        ("?q=工作会议", true),
        ("?q=云溪区委", true),
        ("?q=%25", false),
    ] {
        let (s, body) = app.get(&format!("/materials{q}")).await;
        assert_eq!(s, 200);
        assert_eq!(body.contains("在全区乡村振兴工作会议上的讲话"), found, "filter {q}");
    }
    // The export holds what the list shows.
    let (s, _, body) = app.post_form("/materials/export.xlsx?kind=document", &[]).await;
    assert_eq!(s, 200, "{body}");
    let trail =
        xuepei_store::audit::search(&db.conn, &Scope::system(), &Default::default(), None, 50).await.expect("trail");
    let actions: Vec<&str> = trail.items.iter().map(|e| e.action.as_str()).collect();
    assert!(actions.contains(&"material.create") && actions.contains(&"material.update"), "{actions:?}");

    let (s, loc, _) = app.post_form(&format!("/materials/{id}/delete"), &[]).await;
    assert_eq!((s, loc.as_deref()), (303, Some("/materials?done=deleted")));
    let (s, _) = app.get(&format!("/materials/{id}")).await;
    assert_eq!(s, 404);
    let hits = xuepei_store::search::search(&db.conn, &scope, "振兴", None, 1, 20).await.expect("search");
    assert!(hits.items.is_empty(), "a deleted material leaves the index");
}

#[tokio::test]
async fn the_api_adds_and_lists_materials_in_the_tokens_scope_only() {
    let db = seeded().await;
    let app = TestApp::spawn(&db).await;
    let yunxi = token(&db.conn, YUNXI).await;
    let quyuan = token(&db.conn, QUYUAN).await;
    let body = json!({
        "org": YUNXI, "title": "习近平关于基层党建的重要论述", "kind": "book", "source": "人民出版社",
        "date": "2024-01-10", "body": "基层党建是全部工作的基础。", "tags": ["党建", "基层"]
    })
    .to_string();
    let (s, v) = call(&app, "POST", "/api/v1/materials", &yunxi, Some(&body)).await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().expect("id");
    let (s, v) = call(&app, "GET", "/api/v1/materials?kind=book&tag=基层", &yunxi, None).await;
    assert_eq!(s, 200);
    assert_eq!(v["items"][0]["id"].as_i64(), Some(id), "{v}");
    assert_eq!(v["items"][0]["tags"], json!(["党建", "基层"]));
    assert_eq!(v["items"][0]["kind"], "book");
    let (s, v) = call(&app, "GET", &format!("/api/v1/materials/{id}"), &yunxi, None).await;
    assert_eq!((s, v["title"].as_str()), (200, Some("习近平关于基层党建的重要论述")));
    // The other county's token sees nothing and cannot write into this county.
    let (s, v) = call(&app, "GET", "/api/v1/materials", &quyuan, None).await;
    assert_eq!(s, 200);
    assert_eq!(v["items"], json!([]));
    let (s, _) = call(&app, "GET", &format!("/api/v1/materials/{id}"), &quyuan, None).await;
    assert_eq!(s, 404);
    let (s, v) = call(&app, "POST", "/api/v1/materials", &quyuan, Some(&body)).await;
    assert_eq!(s, 422, "{v}");
    // Bad bodies: every reason, Chinese, 4xx, nothing written.
    for (b, status, part) in [
        ("{", 400, "JSON 格式"),
        (r#"{"org":"430603","title":"t","kind":"speech","date":"2024-01-01","extra":1}"#, 400, "可用字段"),
        (r#"{"org":"430603","title":"t","kind":"讲话","date":"2024-01-01"}"#, 422, "speech、document、book、video"),
        (r#"{"org":"430603","title":"","kind":"speech","date":"2024-13-01"}"#, 422, "YYYY-MM-DD"),
        (
            r#"{"org":"430603","title":"t","kind":"video","date":"2024-01-01","tags":["一二三四五六七八九十一二三四五六七八九十一"]}"#,
            422,
            "标签",
        ),
    ] {
        let (s, v) = call(&app, "POST", "/api/v1/materials", &yunxi, Some(b)).await;
        assert_eq!(s, status, "{b}: {v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        assert!(v.to_string().contains(part), "{part} in {v}");
    }
    let (s, v) = call(&app, "GET", "/api/v1/materials?kind=picture", &yunxi, None).await;
    assert_eq!(s, 400, "{v}");
    let (_, v) = call(&app, "GET", "/api/v1/materials", &yunxi, None).await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(1), "nothing else was written");
}

#[tokio::test]
async fn materials_import_through_the_kind_all_or_nothing_and_again_unchanged() {
    let db = seeded().await;
    let scope = county_scope(&db.conn, YUNXI).await;
    let kind = xuepei_web::kinds::materials::KIND;
    let header = vec!["所属单位代码", "标题", "类别", "来源", "发布日期", "正文", "标签"];
    let good = files::xlsx(
        &[
            header.clone(),
            vec![YUNXI, "关于加强理论学习的通知", "文件", "区委办", "2024-02-01", "认真组织学习。", "理论学习"],
            vec![JINGZHU, "乡村振兴学习材料", "书籍", "", "2023年5月6日", "乡村振兴", "乡村振兴，党建"],
        ],
        &[],
    );
    let out = run_import(&db.conn, &scope, kind, Source::Bytes(good.clone()), false).await.expect("import");
    assert!(out.report.committed, "{:?}", out.report.errors);
    assert_eq!(out.report.inserted, 2);
    let again = run_import(&db.conn, &scope, kind, Source::Bytes(good), false).await.expect("again");
    assert_eq!((again.report.inserted, again.report.unchanged), (0, 2), "importing the same file changes nothing");
    let all = materials::list(&db.conn, &scope, &MaterialFilter::default(), At::First, 20).await.expect("list");
    assert_eq!(all.items.len(), 2);
    assert!(all.items.iter().any(|m| m.kind == MaterialKind::Book && m.date.to_string() == "2023-05-06"));
    // Imported materials are searchable at once.
    let hits = xuepei_store::search::search(&db.conn, &scope, "理论学习", None, 1, 20).await.expect("search");
    assert_eq!(hits.items.len(), 1);

    // A bad row refuses the whole file, each problem named by row.
    let bad = files::xlsx(
        &[
            header,
            vec![YUNXI, "正确的一行", "讲话", "", "2024-02-01", "", ""],
            vec![QUYUAN, "外县的资料", "讲话", "", "2024-02-01", "", ""],
            vec![YUNXI, "", "图片", "", "明天", "", ""],
        ],
        &[],
    );
    let out = run_import(&db.conn, &scope, kind, Source::Bytes(bad), false).await.expect("report");
    assert!(!out.report.committed);
    let msgs: Vec<String> = out.report.errors.iter().map(|e| format!("{}:{}", e.row, e.message)).collect();
    assert!(msgs.iter().any(|m| m.starts_with("3:") && m.contains("不在您的管理范围内")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.starts_with("4:") && m.contains("请填写资料标题")), "{msgs:?}");
    let all = materials::list(&db.conn, &scope, &MaterialFilter::default(), At::First, 20).await.expect("list");
    assert_eq!(all.items.len(), 2, "nothing of the bad file was written");
}

#[tokio::test]
async fn the_newest_speeches_offered_include_the_citys_but_not_another_countys() {
    let db = seeded().await;
    let sys = Scope::system();
    for (org, title, kind, date) in [
        (CITY, "市委书记在全市学习会上的讲话", "speech", "2025-05-01"),
        (YUNXI, "区委书记在区委理论学习中心组上的讲话", "speech", "2025-04-01"),
        (YUNXI, "区委文件", "document", "2025-06-01"),
        (QUYUAN, "外县书记的讲话", "speech", "2025-06-02"),
        (JINGZHU, "村支书的讲话", "speech", "2024-01-01"),
    ] {
        write(&db.conn, &sys, async |tx| materials::create(tx, &input(org, title, kind, date, "")).await)
            .await
            .expect("material");
    }
    let scope = county_scope(&db.conn, YUNXI).await;
    let offered = materials::offered_speeches(&db.conn, &scope, 10).await.expect("offered");
    let titles: Vec<&str> = offered.iter().map(|m| m.title.as_str()).collect();
    assert_eq!(titles, ["市委书记在全市学习会上的讲话", "区委书记在区委理论学习中心组上的讲话", "村支书的讲话"]);
    // The library lists the city's too, newest publication first, never another county's.
    let read = materials::list(&db.conn, &scope, &MaterialFilter::default(), At::First, 20).await.expect("list");
    let titles: Vec<&str> = read.items.iter().map(|m| m.title.as_str()).collect();
    assert_eq!(
        titles,
        ["区委文件", "市委书记在全市学习会上的讲话", "区委书记在区委理论学习中心组上的讲话", "村支书的讲话"]
    );
    // Two to a page: the date-and-id cursor carries on where the page ended.
    let first = materials::list(&db.conn, &scope, &MaterialFilter::default(), At::First, 2).await.expect("page 1");
    let next = first.next.clone().expect("a second page");
    let second =
        materials::list(&db.conn, &scope, &MaterialFilter::default(), At::after(Some(&next)), 2).await.expect("page 2");
    let titles: Vec<&str> = second.items.iter().map(|m| m.title.as_str()).collect();
    assert_eq!(titles, ["区委书记在区委理论学习中心组上的讲话", "村支书的讲话"]);
    // The city's is read, not changed; the export holds only the county's own.
    let city = read.items[1].id;
    assert_eq!(materials::read(&db.conn, &scope, city).await.expect("read").org_code, CITY);
    assert!(matches!(materials::get(&db.conn, &scope, city).await, Err(StoreError::NotFound(_))));
    let e = write(&db.conn, &scope, async |tx| materials::delete(tx, city).await).await.expect_err("the city's");
    assert!(matches!(e, StoreError::NotFound(_)));
    let own = materials::all(&db.conn, &scope, &MaterialFilter::default(), 100).await.expect("own");
    assert!(own.len() == 3 && own.iter().all(|m| m.org_code.starts_with(YUNXI)));
    // Another county cannot read, change or delete this county's material.
    let id = own[0].id;
    assert!(matches!(
        materials::read(&db.conn, &county_scope(&db.conn, QUYUAN).await, id).await,
        Err(StoreError::NotFound(_))
    ));
    let other = county_scope(&db.conn, QUYUAN).await;
    assert!(matches!(materials::get(&db.conn, &other, id).await, Err(StoreError::NotFound(_))));
    let e = write(&db.conn, &other, async |tx| materials::delete(tx, id).await).await.expect_err("not found");
    assert!(matches!(e, StoreError::NotFound(_)));
    let e = write(&db.conn, &other, async |tx| {
        materials::update(tx, id, &input(QUYUAN, "改", "speech", "2025-01-01", "")).await
    })
    .await
    .expect_err("not found");
    assert!(matches!(e, StoreError::NotFound(_)));
    // A county cannot put a material under the city.
    let e = write(&db.conn, &scope, async |tx| {
        materials::create(tx, &input(CITY, "冒名", "speech", "2025-01-01", "")).await
    })
    .await
    .expect_err("outside");
    assert!(refusal(e).contains("不在您的管理范围内"));
    // The pages: the city's material is read without the buttons that change it.
    let app = signed_in(&db, "xcb", &[AccountRole::PropagandaStaff], YUNXI).await;
    let (status, page) = app.get(&format!("/materials/{city}")).await;
    assert!(status == 200 && page.contains("市委书记在全市学习会上的讲话"), "{page}");
    assert!(!page.contains(&format!("/materials/{city}/edit")), "{page}");
    assert_eq!(app.get(&format!("/materials/{city}/edit")).await.0, 404);
    let (_, page) = app.get("/materials").await;
    assert!(page.contains("市委书记在全市学习会上的讲话") && !page.contains("外县书记的讲话"), "{page}");
}

/// `xuepei import materials FILE` and `xuepei export materials --out FILE` at the command
/// line: the registry's kind, read back.
#[tokio::test]
async fn the_command_line_imports_and_exports_materials() {
    let db = seeded().await;
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("资料.xlsx");
    let rows = vec![
        vec!["所属单位代码", "标题", "类别", "来源", "发布日期", "正文", "标签"],
        vec![YUNXI, "命令行导入的讲话", "讲话", "新华社", "2024-07-01", "推进基层党建高质量发展", "党建"],
    ];
    std::fs::write(&file, files::xlsx(&rows, &[])).expect("write");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_xuepei"))
            .args(args)
            .env("XUEPEI_DATABASE_URL", &db.url)
            .env("XUEPEI_LOG", "warn")
            .env_remove("XUEPEI_CONFIG")
            .output()
            .expect("runs")
    };
    let out = run(&["import", "materials", &file.to_string_lossy()]);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let scope = county_scope(&db.conn, YUNXI).await;
    let hits = xuepei_store::search::search(&db.conn, &scope, "党建", None, 1, 20).await.expect("search");
    assert_eq!(hits.items.iter().map(|h| h.title.as_str()).collect::<Vec<_>>(), ["命令行导入的讲话"]);
    let back = dir.path().join("导出.xlsx");
    let out = run(&["export", "materials", "--out", &back.to_string_lossy()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = run_import(&db.conn, &scope, xuepei_web::kinds::materials::KIND, Source::Path(back), false)
        .await
        .expect("the export reads back");
    assert_eq!((again.report.unchanged, again.report.inserted), (1, 0), "{:?}", again.report.errors);
}
