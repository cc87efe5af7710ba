//! Practice bases (issue 14 item 3): an application with the 五有 evidence; the county
//! accredits it and recommends within its quota; the city accredits its ten or returns with
//! comments; revocation and review by the level that accredited; the tallies against the
//! quota and the ≥5 + 5; the pages, the Excel export and `GET /api/v1/bases`; another
//! county neither reads nor acts.

use serde_json::Value;
use xuepei_domain::accounts::AccountRole;
use xuepei_domain::org::Sector;
use xuepei_domain::training::bases::{BaseKind, BaseState};
use xuepei_store::bases::{self, BaseInput};
use xuepei_store::org::{self, OrgFilter};
use xuepei_store::{DatabaseConnection, Scope, StoreError, tokens};

use crate::classes::CITY;
use crate::support::*;

const FIVE: [&str; 5] = [
    "村级活动中心培训室，可容纳120人",
    "村党总支书记、村主任2名讲解员",
    "《荆竹村发展集体经济典型材料汇编》",
    "村集体产业园、党群服务中心",
    "专题片《荆竹之变》（15分钟）",
];

fn application(org: &str, name: &str, kind: &str) -> BaseInput {
    BaseInput {
        org: org.into(),
        name: name.into(),
        kind: kind.into(),
        year: "2026".into(),
        address: "云溪区长岭街道".into(),
        contact: "李明".into(),
        phone: "0730-8889364".into(),
        summary: "发展集体经济成效明显".into(),
        evidence: FIVE.map(String::from),
    }
}

/// Codes of `n` organisations of a sector in a county.
async fn codes(db: &DatabaseConnection, county: &str, sector: Sector, n: usize) -> Vec<String> {
    let scope = county_scope(db, county).await;
    let f = OrgFilter { sector: Some(sector), ..Default::default() };
    let all = org::all(db, &scope, &f).await.expect("orgs");
    let out: Vec<String> = all.into_iter().filter(|o| o.code.len() == 12).take(n).map(|o| o.code).collect();
    assert_eq!(out.len(), n, "{county} has {n} of {sector:?}");
    out
}

fn conflict(e: StoreError) -> String {
    match e {
        StoreError::Conflict(m) => m,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn bases_are_accredited_by_county_and_city_within_quota_with_all_five_items() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    let city = county_scope(&db.conn, CITY).await;
    let villages = codes(&db.conn, YUNXI, Sector::Village, 2).await;

    // An application without two of the five items: saved, but neither accredited nor recommended.
    let mut thin = application(&villages[0], "荆竹村党员干部示范培训实践基地", "村");
    thin.evidence[1] = String::new();
    thin.evidence[4] = "  ".into();
    let a = write(&db.conn, &yunxi, async |tx| bases::create(tx, &thin).await).await.expect("application");
    assert_eq!((a.state, a.kind, a.county.code.as_str()), (BaseState::Draft, BaseKind::Village, YUNXI));
    let e =
        write(&db.conn, &yunxi, async |tx| bases::act(tx, a.id, "accredit_county", "").await).await.expect_err("3/5");
    let m = conflict(e);
    assert!(m.contains("有熟悉情况的讲解员、有特色明显的专题片"), "{m}");
    // Completed, the county accredits it; the city cannot accredit what was not recommended.
    write(&db.conn, &yunxi, async |tx| bases::update(tx, a.id, &application(&villages[0], &a.name, "village")).await)
        .await
        .expect("completed");
    let a = write(&db.conn, &yunxi, async |tx| bases::act(tx, a.id, "县级授牌", "").await).await.expect("county");
    assert_eq!((a.state, a.level()), (BaseState::County, Some("county")));
    assert!(a.county_on.is_some());
    let e =
        write(&db.conn, &city, async |tx| bases::act(tx, a.id, "accredit_city", "").await).await.expect_err("not yet");
    assert!(conflict(e).contains("“县级授牌”状态的基地不能市级授牌"));
    // The city neither accredits at county level nor recommends; the county not at city level.
    let e = write(&db.conn, &city, async |tx| bases::act(tx, a.id, "recommend", "").await).await.expect_err("city");
    assert!(matches!(&e, StoreError::Forbidden(m) if m.contains("云溪区组织部门")), "{e:?}");
    // Recommended within 云溪区's quota of one village; a second village is over it.
    let a = write(&db.conn, &yunxi, async |tx| bases::act(tx, a.id, "recommend", "").await).await.expect("recommend");
    assert_eq!(a.state, BaseState::Recommended);
    let e = write(&db.conn, &yunxi, async |tx| bases::act(tx, a.id, "accredit_city", "").await).await.expect_err("own");
    assert!(matches!(e, StoreError::Forbidden(_)), "{e:?}");
    // The host named as the list shows it (its full name) rather than by code.
    let host = by_code(&db.conn, &villages[1]).await;
    let b = write(&db.conn, &yunxi, async |tx| {
        bases::create(tx, &application(&format!(" {} ", host.name), "第二村基地", "village")).await
    })
    .await
    .expect("second");
    assert_eq!(b.org.code, villages[1]);
    let e = write(&db.conn, &yunxi, async |tx| bases::act(tx, b.id, "recommend", "").await).await.expect_err("quota");
    let m = conflict(e);
    assert!(m.contains("推荐名额1个") && m.contains("已有1个"), "{m}");
    // The city raises the quota to two villages: now it goes.
    write(&db.conn, &city, async |tx| bases::set_quota(tx, YUNXI, "2026", "2", "1").await).await.expect("quota");
    let yx = by_code(&db.conn, YUNXI).await;
    let q = bases::quota_of(&db.conn, yx.id, &yx.name, 2025).await.expect("quota");
    assert_eq!((q.villages, q.communities), (1, 1), "a quota is the year's: 2025 keeps the seed's");
    let e = write(&db.conn, &yunxi, async |tx| bases::set_quota(tx, YUNXI, "2026", "9", "9").await)
        .await
        .expect_err("own quota");
    assert!(matches!(e, StoreError::Forbidden(_)), "{e:?}");
    write(&db.conn, &yunxi, async |tx| bases::act(tx, b.id, "recommend", "").await)
        .await
        .expect("within the new quota");
    // Two villages recommended: the quota cannot drop below them.
    let e = write(&db.conn, &city, async |tx| bases::set_quota(tx, YUNXI, "2026", "1", "0").await)
        .await
        .expect_err("below the recommended");
    let StoreError::Invalid(errs) = e else { panic!("{e:?}") };
    assert_eq!(errs.len(), 1, "{errs:?}");
    assert!(errs[0].field == "villages" && errs[0].message.contains("已推荐村2个"), "{errs:?}");
    let q = bases::quota_of(&db.conn, yx.id, &yx.name, 2026).await.expect("quota");
    assert_eq!((q.villages, q.communities), (2, 1), "unchanged");

    // The city returns one with comments (required) and accredits the other.
    let e = write(&db.conn, &city, async |tx| bases::act(tx, b.id, "return", " ").await).await.expect_err("comments");
    assert!(conflict(e).contains("意见"));
    let b = write(&db.conn, &city, async |tx| bases::act(tx, b.id, "return", "请补充专题片").await).await.expect("ret");
    assert_eq!((b.state, b.comments.as_deref()), (BaseState::Returned, Some("请补充专题片")));
    let a = write(&db.conn, &city, async |tx| bases::act(tx, a.id, "accredit_city", "").await).await.expect("city");
    assert_eq!((a.state, a.level()), (BaseState::City, Some("city")));
    assert!(a.city_on.is_some() && a.county_on.is_some(), "both accreditations kept");
    // Accredited, it is a venue of the city: a county class puts an on-site session there,
    // and the base counts the use.
    let venue = a.venue_id.expect("a venue");
    let usable =
        xuepei_store::classes::venues::usable_for(&db.conn, &by_code(&db.conn, YUNXI).await.path).await.expect("v");
    assert!(usable.iter().any(|v| v.id == venue && v.org.code == CITY), "{usable:?}");
    let c = crate::classes::city_campaign(&db.conn).await;
    let input = xuepei_store::classes::ClassInput {
        level: "county".into(),
        allocations: vec![],
        ..crate::classes::class_input(Some(c.id), "云溪区现场教学班", YUNXI)
    };
    write(&db.conn, &yunxi, async |tx| {
        let class = xuepei_store::classes::create(tx, &input).await?;
        let s = xuepei_store::classes::sessions::SessionInput {
            venue_id: Some(venue),
            ..crate::classes::session_input((2026, 4, 14), "pm", "荆竹村现场教学", "site_visit", "3")
        };
        xuepei_store::classes::sessions::add(tx, class.id, &s).await
    })
    .await
    .expect("an on-site session at the base");
    assert_eq!(bases::get(&db.conn, &city, a.id).await.expect("base").uses, 1);

    // Tallies: 云溪区 recommended 1 village, accredited 1 itself (short of 5 + 5), the city 1.
    let t = bases::tallies(&db.conn, &city, 2026).await.expect("tallies");
    let yx = t.iter().find(|t| t.county.code == YUNXI).expect("yunxi");
    assert_eq!(
        (yx.quota.villages, yx.recommended, yx.county_accredited, yx.city_accredited),
        (2, (1, 0), (1, 0), (1, 0))
    );
    assert!(!yx.county_met());
    let qy = t.iter().find(|t| t.county.code == QUYUAN).expect("quyuan");
    assert_eq!((qy.quota.villages, qy.quota.communities), (1, 1), "the seed's default");

    // Another county reads nothing and acts on nothing; revocation by the city, with a reason.
    let e = bases::get(&db.conn, &quyuan, a.id).await.expect_err("other county");
    assert!(matches!(e, StoreError::NotFound(_)));
    let e = write(&db.conn, &quyuan, async |tx| bases::act(tx, a.id, "revoke", "x").await).await.expect_err("other");
    assert!(matches!(e, StoreError::NotFound(_)));
    let e =
        write(&db.conn, &yunxi, async |tx| bases::act(tx, a.id, "revoke", "复核不合格").await).await.expect_err("c");
    assert!(matches!(e, StoreError::Forbidden(_)), "the county does not revoke the city's: {e:?}");
    write(&db.conn, &city, async |tx| bases::review(tx, a.id, "五有保持良好，开展现场教学6次").await)
        .await
        .expect("review");
    let a =
        write(&db.conn, &city, async |tx| bases::act(tx, a.id, "revoke", "年度复核不合格").await).await.expect("rv");
    assert_eq!((a.state, a.level()), (BaseState::Revoked, None));
    let usable =
        xuepei_store::classes::venues::usable_for(&db.conn, &by_code(&db.conn, YUNXI).await.path).await.expect("v");
    assert!(!usable.iter().any(|v| v.id == venue), "a revoked base is no longer offered");
    assert_eq!(a.review_note.as_deref(), Some("五有保持良好，开展现场教学6次"));

    // Bad input, refused whole: an organisation outside the scope, no name, a bad kind and year.
    let bad = BaseInput {
        org: "430671101001".into(),
        name: String::new(),
        kind: "工厂".into(),
        year: "1880".into(),
        phone: "abc-不是电话".into(),
        ..application("", "", "")
    };
    match write(&db.conn, &yunxi, async |tx| bases::create(tx, &bad).await).await.expect_err("bad") {
        StoreError::Invalid(errs) => {
            let fields: Vec<&str> = errs.iter().map(|e| e.field).collect();
            for f in ["org", "name", "kind", "year", "phone"] {
                assert!(fields.contains(&f), "{f} refused: {errs:?}");
            }
        }
        other => panic!("{other:?}"),
    }
    // Not the county itself, not a village called a community, not a second base of a host.
    for (input, field, says) in [
        (application(YUNXI, "云溪区基地", "other"), "org", "而不是县市区本身"),
        (application(&villages[1], "第二村基地", "community"), "kind", "不是社区"),
        (application(&villages[1], "第二村又一基地", "village"), "org", "不能重复申报"),
    ] {
        match write(&db.conn, &yunxi, async |tx| bases::create(tx, &input).await).await.expect_err(says) {
            StoreError::Invalid(errs) => {
                assert!(errs.iter().any(|e| e.field == field && e.message.contains(says)), "{says}: {errs:?}")
            }
            other => panic!("{other:?}"),
        }
    }
    // A recommendation of another kind than village or community is refused.
    let other = write(&db.conn, &yunxi, async |tx| {
        bases::create(tx, &application("430603001", "长岭街道合作社基地", "other")).await
    })
    .await
    .expect("other kind");
    let e =
        write(&db.conn, &yunxi, async |tx| bases::act(tx, other.id, "recommend", "").await).await.expect_err("other");
    assert!(conflict(e).contains("村和社区"));
    db.cleanup().await;
}

async fn token(db: &DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        tokens::issue(tx, "基地对接", o.id, false, None, tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

#[tokio::test]
async fn base_pages_apply_accredit_and_export_and_the_api_lists_accredited_bases() {
    let db = seeded().await;
    let county = signed_in(&db, "yxzzb", &[AccountRole::OrgStaff], YUNXI).await;
    let (status, page) = county.get("/bases").await;
    assert!(status == 200 && page.contains("云溪区") && page.contains("申报实践基地"), "{page}");
    let (status, page) = county.get("/bases/new").await;
    assert!(status == 200 && page.contains("有可供参观学习的现场"), "{page}");
    assert!(page.contains(&format!(r#"<option value="{BAZIMEN}">"#)), "the county's communities offered: {page}");
    // A missing name and evidence: told beside the field; then saved.
    let (status, _, body) = county.post_form("/bases", &[("org", BAZIMEN), ("name", ""), ("kind", "community")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("请填写基地名称"), "{body}");
    let mut fields = vec![("org", BAZIMEN), ("name", "八字门社区实践基地"), ("kind", "community"), ("year", "2026")];
    fields.extend(["venue", "guide", "material", "site", "film"].into_iter().zip(FIVE));
    let (status, loc, body) = county.post_form("/bases", &fields).await;
    assert_eq!(status, 303, "{body}");
    let loc = loc.expect("location");
    let id: i64 = loc.trim_start_matches("/bases/").split('?').next().and_then(|s| s.parse().ok()).expect("id");
    let (_, page) = county.get(&loc).await;
    assert!(page.contains("县级授牌</button>") && page.contains("推荐市级</button>"), "{page}");
    let (status, loc, _) = county.post_form(&format!("/bases/{id}/act"), &[("action", "recommend")]).await;
    assert_eq!((status, loc), (303, Some(format!("/bases/{id}?done=recommend"))));

    // The city accredits it from the page.
    let city = signed_in(&db, "szzb", &[AccountRole::OrgStaff], CITY).await;
    let (_, page) = city.get(&format!("/bases/{id}")).await;
    assert!(page.contains("市级授牌</button>") && !page.contains("推荐市级</button>"), "{page}");
    let (status, _, body) = city.post_form(&format!("/bases/{id}/act"), &[("action", "return"), ("reason", "")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("退回时请填写意见"), "{body}");
    let (status, _, _) = city.post_form(&format!("/bases/{id}/act"), &[("action", "accredit_city")]).await;
    assert_eq!(status, 303);
    let (status, _, body) = city
        .post_form("/bases/quotas", &[("county", YUNXI), ("year", "2026"), ("villages", "x"), ("communities", "1")])
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("村名额须是0至50之间的整数"), "{body}");

    // Another county: not found.
    let other = signed_in(&db, "qyzzb", &[AccountRole::OrgStaff], QUYUAN).await;
    assert_eq!(other.get(&format!("/bases/{id}")).await.0, 404);
    assert_eq!(other.post_form(&format!("/bases/{id}/act"), &[("action", "revoke"), ("reason", "x")]).await.0, 404);

    // The Excel export holds it.
    let csrf = city.csrf().await;
    let r =
        city.raw.post(city.url("/bases/export?year=2026")).form(&[("_csrf", csrf.as_str())]).send().await.expect("x");
    assert_eq!(r.status().as_u16(), 200);
    let wb =
        xuepei_office::read::Workbook::open(xuepei_office::read::Source::Bytes(r.bytes().await.expect("b").to_vec()))
            .expect("xlsx");
    assert_eq!(wb.sheet_names(), ["实践基地"]);

    // The API: accredited bases of the token's scope, with level and year; bad parameters refused.
    let get = |t: String, path: &'static str| {
        let app = &city;
        async move {
            let r = app.raw.get(app.url(path)).bearer_auth(t).send().await.expect("api");
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, v) = get(token(&db.conn, CITY).await, "/api/v1/bases?year=2026").await;
    assert_eq!(status, 200, "{v}");
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!((items[0]["level"].as_str(), items[0]["year"].as_i64()), (Some("city"), Some(2026)));
    assert_eq!((items[0]["org"].as_str(), items[0]["county"].as_str()), (Some(BAZIMEN), Some(YUNXI)));
    let (status, v) = get(token(&db.conn, QUYUAN).await, "/api/v1/bases").await;
    assert_eq!((status, v["items"].as_array().map(Vec::len)), (200, Some(0)), "{v}");
    let (status, v) = get(token(&db.conn, CITY).await, "/api/v1/bases?level=province").await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains("city")), "{v}");
    let (status, _) = get(token(&db.conn, CITY).await, "/api/v1/bases?year=abc").await;
    assert_eq!(status, 400);
    db.cleanup().await;
}

/// Posts a file of evidence for the item; status, Location and body.
async fn upload(
    app: &xuepei_testkit::TestApp,
    id: i64,
    item: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Option<String>, String) {
    let form = reqwest::multipart::Form::new()
        .text("_csrf", app.csrf().await)
        .text("item", item.to_owned())
        .part("file", reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()));
    let r = app.raw.post(app.url(&format!("/bases/{id}/files"))).multipart(form).send().await.expect("upload");
    let status = r.status().as_u16();
    let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
    (status, loc, r.text().await.expect("body"))
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";

#[tokio::test]
async fn evidence_photos_and_files_are_kept_per_item_checked_by_content_and_scoped() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let b =
        write(&db.conn, &yunxi, async |tx| bases::create(tx, &application(JINGZHU, "荆竹村实践基地", "village")).await)
            .await
            .expect("base");
    let county = signed_in(&db, "yxzzb", &[AccountRole::OrgStaff], YUNXI).await;
    let (_, page) = county.get(&format!("/bases/{}", b.id)).await;
    assert!(page.contains("id=\"evidence-form\"") && page.contains("尚未上传照片或文件"), "{page}");

    // A photo of the venue and the film's PDF synopsis: kept under their items.
    let (status, loc, body) = upload(&county, b.id, "venue", "培训室.png", PNG.to_vec()).await;
    assert_eq!(
        (status, loc.as_deref()),
        (303, Some(format!("/bases/{}?done=attached#evidence", b.id).as_str())),
        "{body}"
    );
    let (status, _, _) = upload(&county, b.id, "film", "..\\专题片\u{202e}介绍.pdf", b"%PDF-1.7 x".to_vec()).await;
    assert_eq!(status, 303);
    let (_, page) = county.get(&format!("/bases/{}", b.id)).await;
    let img = page.split("<img src=\"").nth(1).and_then(|s| s.split('"').next()).expect("photo shown").to_owned();
    assert!(page.contains("培训室.png") && !page.contains('\u{202e}'), "{page}");
    // The photo is shown in place, never as a page of the site; the PDF is downloaded.
    let r = county.raw.get(county.url(&img)).send().await.expect("photo");
    let h = r.headers().clone();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(h.get("content-type").and_then(|v| v.to_str().ok()), Some("image/png"));
    assert!(h.get("content-disposition").and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("inline")));
    assert_eq!(h.get("x-content-type-options").and_then(|v| v.to_str().ok()), Some("nosniff"));
    assert!(h.get("content-security-policy").and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("sandbox")));
    assert_eq!(r.bytes().await.expect("bytes").as_ref(), PNG);
    // The application form names the files beside the item.
    let csrf = county.csrf().await;
    let r = county
        .raw
        .post(county.url(&format!("/bases/{}/application.docx", b.id)))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("docx");
    let text = xuepei_office::docx::text(&r.bytes().await.expect("bytes")).expect("docx text");
    assert!(text.contains("（附：培训室.png）"), "{text}");

    // Refused whole, with the reason: content that is no photo or document whatever its
    // name, no item, an empty file, a sixth file of an item.
    let (status, _, body) = upload(&county, b.id, "venue", "现场照片.jpg", b"MZ\x90\0\x03".to_vec()).await;
    assert_eq!(status, 422);
    assert!(body.contains("只能上传照片"), "{body}");
    // A plain zip named as Word is no Word file.
    let (status, _, body) = upload(&county, b.id, "venue", "说明.docx", b"PK\x03\x04..evil.exe..".to_vec()).await;
    assert!(status == 422 && body.contains("只能上传照片"), "{body}");
    // A PDF named to run when opened is kept under a name that says PDF.
    let (status, _, _) = upload(&county, b.id, "site", "现场.bat", b"%PDF-1.4\nstart calc".to_vec()).await;
    assert_eq!(status, 303);
    let (_, page) = county.get(&format!("/bases/{}", b.id)).await;
    assert!(page.contains("现场.bat.pdf"), "{page}");
    let (status, _, body) = upload(&county, b.id, "", "a.png", PNG.to_vec()).await;
    assert!(status == 422 && body.contains("请选择佐证材料对应的“五有”项目"), "{body}");
    let (status, _, body) = upload(&county, b.id, "venue", "a.png", Vec::new()).await;
    assert!(status == 422 && body.contains("请选择要上传的佐证材料"), "{body}");
    for n in 2..=5 {
        assert_eq!(upload(&county, b.id, "venue", &format!("{n}.png"), PNG.to_vec()).await.0, 303);
    }
    let (status, _, body) = upload(&county, b.id, "venue", "6.png", PNG.to_vec()).await;
    assert!(status == 422 && body.contains("最多上传5个"), "{body}");

    // Another county neither reads, adds nor removes.
    let other = signed_in(&db, "qyzzb", &[AccountRole::OrgStaff], QUYUAN).await;
    assert_eq!(other.get(&img).await.0, 404);
    assert_eq!(upload(&other, b.id, "venue", "x.png", PNG.to_vec()).await.0, 404);
    let file_id = img.rsplit('/').next().expect("id").to_owned();
    let (status, _, _) = other.post_form(&format!("/bases/{}/files/{file_id}/delete", b.id), &[]).await;
    assert_eq!(status, 404);
    // The county removes one; once accredited the evidence is closed.
    let (status, loc, _) = county.post_form(&format!("/bases/{}/files/{file_id}/delete", b.id), &[]).await;
    assert_eq!((status, loc), (303, Some(format!("/bases/{}?done=detached#evidence", b.id))));
    assert_eq!(county.get(&img).await.0, 404);
    write(&db.conn, &yunxi, async |tx| bases::act(tx, b.id, "accredit_county", "").await).await.expect("accredited");
    let (status, _, body) = upload(&county, b.id, "site", "x.png", PNG.to_vec()).await;
    assert!(status == 422 && body.contains("不能再修改佐证材料"), "{status} {body}");
    let trail = xuepei_store::audit::search(
        &db.conn,
        &Scope::system(),
        &xuepei_store::audit::AuditFilter { action: Some("base.attach".into()), ..Default::default() },
        None,
        50,
    )
    .await
    .expect("trail")
    .items;
    assert_eq!(trail.len(), 7, "every file added is in the trail");
}
