//! Filing upward (issue 14 item 1): organisers file their implementation plan with the body
//! on their route; draft → submitted → returned with comments → filed; a filed version is
//! read-only and a new version supersedes it, the history kept; lateness in China's
//! calendar days; the receiver's board, the pages and `GET /api/v1/campaigns/{id}/filings`;
//! another county neither reads nor decides.

use chrono::NaiveDate;
use serde_json::Value;
use xuepei_domain::accounts::AccountRole;
use xuepei_domain::training::filing::{FilingKind, FilingState};
use xuepei_store::filings::{self, FilingInput};
use xuepei_store::{DatabaseConnection, StoreError, tokens};

use crate::classes::{CITY, city_campaign};
use crate::support::*;

fn plan(org: &str) -> FilingInput {
    FilingInput {
        org: org.into(),
        kind: "plan".into(),
        period: String::new(),
        title: "关于开展村（社区）党组织书记集中轮训的实施方案".into(),
        body: "一、指导思想\n二、培训对象\n三、方法步骤".into(),
    }
}

fn today() -> NaiveDate {
    xuepei_domain::time::today()
}

fn field_error(e: StoreError, field: &str) -> String {
    match e {
        StoreError::Invalid(errs) => {
            errs.into_iter().find(|f| f.field == field).map(|f| f.message).unwrap_or_else(|| panic!("no {field} error"))
        }
        other => panic!("expected a refusal of {field}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_plan_is_submitted_returned_filed_and_superseded_with_lateness_and_scope() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let city = county_scope(&db.conn, CITY).await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let quyuan = county_scope(&db.conn, QUYUAN).await;

    // The city's board: both counties file with the city; nothing submitted, late since 9 March.
    let b = filings::board(&db.conn, &city, c.id, today()).await.expect("board");
    assert_eq!(b.terms.plan_deadline, NaiveDate::from_ymd_opt(2026, 3, 9).expect("day"));
    let mut codes: Vec<&str> = b.rows.iter().map(|r| r.filer.org.code.as_str()).collect();
    codes.sort_unstable();
    assert_eq!(codes, [YUNXI, QUYUAN], "the target counties file");
    assert!(b.rows.iter().all(|r| r.filer.receiver.code == CITY));
    let plan_duty = &b.rows[0].duties[0];
    assert_eq!(plan_duty.kind, FilingKind::Plan);
    assert_eq!(plan_duty.days_late, (today() - plan_duty.deadline).num_days().max(0));
    // Monthly progress reports March–June, then the summary.
    assert_eq!(b.rows[0].duties.iter().filter(|d| d.kind == FilingKind::Progress).count(), 4);
    assert_eq!(b.rows[0].duties.last().expect("summary").kind, FilingKind::Summary);

    // 云溪区 drafts its plan; submitting it without the issued plan attached is refused.
    let f = write(&db.conn, &yunxi, async |tx| filings::create(tx, c.id, &plan(YUNXI)).await).await.expect("draft");
    assert_eq!((f.state, f.version, f.receiver.code.as_str()), (FilingState::Draft, 1, CITY));
    let e = write(&db.conn, &yunxi, async |tx| filings::submit(tx, f.id).await).await.expect_err("no attachment");
    assert!(field_error(e, "file").contains("附件"));
    // A second plan of the same county is refused; another county cannot file for it.
    let e = write(&db.conn, &yunxi, async |tx| filings::create(tx, c.id, &plan(YUNXI)).await).await.expect_err("twice");
    assert!(matches!(&e, StoreError::Conflict(m) if m.contains("已有记录")), "{e:?}");
    let e =
        write(&db.conn, &quyuan, async |tx| filings::create(tx, c.id, &plan(YUNXI)).await).await.expect_err("other");
    assert!(field_error(e, "org").contains("不是本次轮训工作中由您报送的单位"));
    // A progress report of a period that does not exist.
    let bad = FilingInput { kind: "进度报告".into(), period: "9".into(), ..plan(YUNXI) };
    let e = write(&db.conn, &yunxi, async |tx| filings::create(tx, c.id, &bad).await).await.expect_err("period");
    assert!(field_error(e, "period").contains("1至4"));

    let hostile = "..\\..\\实施方案\u{202e}xcod.exe";
    // Not a Word file whatever the name says; an executable is no attachment.
    for bytes in [b"PK\x03\x04..evil.exe".to_vec(), b"MZ\x90\0\x03\0".to_vec()] {
        let e = write(&db.conn, &yunxi, async |tx| filings::add_file(tx, f.id, "方案.docx", bytes.clone()).await)
            .await
            .expect_err("not a document");
        assert!(field_error(e, "file").contains("附件只能是"));
    }
    let file = write(&db.conn, &yunxi, async |tx| filings::add_file(tx, f.id, hostile, b"%PDF-1.7".to_vec()).await)
        .await
        .expect("attach");
    assert!(!file.name.contains('\\') && !file.name.contains('\u{202e}'), "{}", file.name);
    assert!(file.name.ends_with(".exe.pdf"), "the name says what it is: {}", file.name);
    let f = write(&db.conn, &yunxi, async |tx| filings::submit(tx, f.id).await).await.expect("submitted");
    assert_eq!(f.state, FilingState::Submitted);
    let first = f.first_submitted_at.expect("first submission");

    // Another county neither reads nor decides; the filer does not decide its own filing.
    assert!(matches!(filings::get(&db.conn, &quyuan, f.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(filings::file(&db.conn, &quyuan, f.id, file.id).await, Err(StoreError::NotFound(_))));
    let e =
        write(&db.conn, &quyuan, async |tx| filings::decide(tx, f.id, "accept", "").await).await.expect_err("other");
    assert!(matches!(e, StoreError::NotFound(_)));
    let e = write(&db.conn, &yunxi, async |tx| filings::decide(tx, f.id, "accept", "").await).await.expect_err("own");
    assert!(matches!(&e, StoreError::Forbidden(m) if m.contains("您所在单位不能退回或备案")), "{e:?}");
    // Submitted: not editable.
    let e = write(&db.conn, &yunxi, async |tx| filings::update(tx, f.id, "改", "").await).await.expect_err("locked");
    assert!(matches!(&e, StoreError::Conflict(m) if m.contains("等待接收单位备案")), "{e:?}");

    // The receiver neither writes nor submits for the county (no one files and accepts).
    let e = write(&db.conn, &city, async |tx| filings::update(tx, f.id, "市里代改", "").await).await.expect_err("city");
    assert!(matches!(&e, StoreError::Forbidden(m) if m.contains("接收单位只能退回或备案")), "{e:?}");
    let e = write(&db.conn, &city, async |tx| filings::create(tx, c.id, &plan(QUYUAN)).await).await.expect_err("city");
    assert!(field_error(e, "org").contains("接收备案的单位不代为起草"));
    // The city returns it: comments required.
    let e = write(&db.conn, &city, async |tx| filings::decide(tx, f.id, "return", " ").await).await.expect_err("why");
    assert!(field_error(e, "comments").contains("修改意见"));
    let f = write(&db.conn, &city, async |tx| filings::decide(tx, f.id, "退回修改", "请补充师资安排").await)
        .await
        .expect("returned");
    assert_eq!((f.state, f.comments.as_deref()), (FilingState::Returned, Some("请补充师资安排")));
    write(&db.conn, &yunxi, async |tx| filings::update(tx, f.id, &f.title, "一、指导思想\n四、师资安排").await)
        .await
        .expect("corrected");
    let f = write(&db.conn, &yunxi, async |tx| filings::submit(tx, f.id).await).await.expect("again");
    assert_eq!(f.first_submitted_at, Some(first), "lateness counts from the first submission");
    let f = write(&db.conn, &city, async |tx| filings::decide(tx, f.id, "accept", "").await).await.expect("filed");
    assert_eq!(f.comments, None, "the return's comments are not the filing's opinion");
    assert_eq!(f.state, FilingState::Filed);
    let e = write(&db.conn, &city, async |tx| filings::decide(tx, f.id, "accept", "").await).await.expect_err("twice");
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");

    // Filed: read-only; a new version supersedes it once filed, the history kept.
    let e = write(&db.conn, &yunxi, async |tx| filings::update(tx, f.id, "改", "").await).await.expect_err("filed");
    assert!(matches!(&e, StoreError::Conflict(m) if m.contains("新建版本")), "{e:?}");
    let e = write(&db.conn, &yunxi, async |tx| filings::add_file(tx, f.id, "x.pdf", b"x".to_vec()).await)
        .await
        .expect_err("filed");
    assert!(matches!(e, StoreError::Conflict(_)));
    let v2 = write(&db.conn, &yunxi, async |tx| filings::new_version(tx, f.id).await).await.expect("v2");
    assert_eq!((v2.version, v2.state, v2.files.len()), (2, FilingState::Draft, 1));
    let e = write(&db.conn, &yunxi, async |tx| filings::new_version(tx, f.id).await).await.expect_err("old");
    assert!(matches!(&e, StoreError::Conflict(m) if m.contains("第2版")), "{e:?}");
    write(&db.conn, &yunxi, async |tx| filings::submit(tx, v2.id).await).await.expect("v2 submitted");
    let b = filings::board(&db.conn, &city, c.id, today()).await.expect("board");
    let duty = &b.rows.iter().find(|r| r.filer.org.code == YUNXI).expect("yunxi").duties[0];
    assert_eq!((duty.filed_version, duty.current.as_ref().map(|f| f.version)), (Some(1), Some(2)));
    assert!(duty.status().starts_with("已备案（第1版）；第2版已报送"), "{}", duty.status());
    write(&db.conn, &city, async |tx| filings::decide(tx, v2.id, "accept", "").await).await.expect("v2 filed");
    let versions = filings::versions(&db.conn, &yunxi, &v2).await.expect("versions");
    assert_eq!(versions.iter().map(|v| (v.version, v.superseded)).collect::<Vec<_>>(), [(1, true), (2, false)]);
    let b = filings::board(&db.conn, &city, c.id, today()).await.expect("board");
    let duty = &b.rows.iter().find(|r| r.filer.org.code == YUNXI).expect("yunxi").duties[0];
    assert_eq!(duty.filed_version, Some(2));
    let expected_late = (xuepei_domain::time::local(first).date() - duty.deadline).num_days().max(0);
    assert_eq!(duty.days_late, expected_late);

    // 屈原管理区 sees only its own row; 云溪区's plan is not on it.
    let b = filings::board(&db.conn, &quyuan, c.id, today()).await.expect("board");
    assert_eq!(b.rows.len(), 1);
    assert_eq!(b.rows[0].filer.org.code, QUYUAN);
    assert!(filings::list(&db.conn, &quyuan, c.id).await.expect("list").is_empty());
    db.cleanup().await;
}

#[tokio::test]
async fn routes_and_duties_are_the_issuers_and_a_routed_filing_goes_to_its_receiver() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let city = county_scope(&db.conn, CITY).await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    // Only the issuer sets routes and duties.
    let e = write(&db.conn, &yunxi, async |tx| filings::set_route(tx, c.id, QUYUAN, YUNXI).await)
        .await
        .expect_err("not the issuer");
    assert!(matches!(&e, StoreError::Forbidden(m) if m.contains("发文单位")), "{e:?}");
    let e = write(&db.conn, &city, async |tx| filings::set_route(tx, c.id, QUYUAN, QUYUAN_TOWN).await)
        .await
        .expect_err("below the filer");
    assert!(field_error(e, "receiver").contains("不能是报送单位自身或其下级"));
    let e = write(&db.conn, &city, async |tx| filings::set_route(tx, c.id, "999999", YUNXI).await)
        .await
        .expect_err("unknown");
    assert!(field_error(e, "org").contains("不存在"));
    write(&db.conn, &city, async |tx| filings::set_route(tx, c.id, QUYUAN, YUNXI).await).await.expect("route");
    let e = write(&db.conn, &city, async |tx| filings::set_terms(tx, c.id, "days", "0", None).await)
        .await
        .expect_err("days");
    assert!(field_error(e, "progress_every").contains("1至366"));
    let summary = NaiveDate::from_ymd_opt(2026, 7, 10);
    let t = write(&db.conn, &city, async |tx| filings::set_terms(tx, c.id, "按天", "45", summary).await)
        .await
        .expect("terms");
    assert_eq!((t.interval.days, Some(t.summary_deadline)), (45, summary));
    // 45 days from 1 March: 15 April and 30 May.
    let b = filings::board(&db.conn, &city, c.id, today()).await.expect("board");
    let q = b.rows.iter().find(|r| r.filer.org.code == QUYUAN).expect("quyuan");
    assert_eq!(q.filer.receiver.code, YUNXI);
    let progress: Vec<NaiveDate> =
        q.duties.iter().filter(|d| d.kind == FilingKind::Progress).map(|d| d.deadline).collect();
    assert_eq!(
        progress,
        [NaiveDate::from_ymd_opt(2026, 4, 15), NaiveDate::from_ymd_opt(2026, 5, 30)].map(Option::unwrap)
    );

    // 屈原管理区's progress report goes to 云溪区, which decides it; the city, holding 云溪区, may too.
    let input = FilingInput {
        org: QUYUAN.into(),
        kind: "progress".into(),
        period: "1".into(),
        title: "屈原管理区轮训进度报告（第1期）".into(),
        body: "已举办2期，培训120人。".into(),
    };
    let f = write(&db.conn, &quyuan, async |tx| filings::create(tx, c.id, &input).await).await.expect("draft");
    let f = write(&db.conn, &quyuan, async |tx| filings::submit(tx, f.id).await)
        .await
        .expect("submitted (no attachment needed)");
    assert_eq!(f.receiver.code, YUNXI);
    // Reporting duties no longer change once a progress report is written.
    let e = write(&db.conn, &city, async |tx| filings::set_terms(tx, c.id, "monthly", "", None).await)
        .await
        .expect_err("periods in use");
    assert!(field_error(e, "progress_every").contains("不能再改变"));
    // While it waits, its route is not changed.
    let e =
        write(&db.conn, &city, async |tx| filings::set_route(tx, c.id, QUYUAN, CITY).await).await.expect_err("pending");
    assert!(field_error(e, "org").contains("待备案"));
    let seen = filings::board(&db.conn, &yunxi, c.id, today()).await.expect("receiver's board");
    assert!(seen.rows.iter().any(|r| r.filer.org.code == QUYUAN), "the receiver sees who files with it");
    let f = write(&db.conn, &yunxi, async |tx| filings::decide(tx, f.id, "accept", "").await).await.expect("filed");
    assert_eq!(f.state, FilingState::Filed);
    // A draft follows a changed route: the old receiver no longer reads it.
    let summary = FilingInput { kind: "summary".into(), period: String::new(), ..input };
    let draft = write(&db.conn, &quyuan, async |tx| filings::create(tx, c.id, &summary).await).await.expect("draft");
    assert!(filings::get(&db.conn, &yunxi, draft.id).await.is_ok(), "the receiver on the route reads it");
    write(&db.conn, &city, async |tx| filings::set_route(tx, c.id, QUYUAN, CITY).await).await.expect("rerouted");
    assert!(matches!(filings::get(&db.conn, &yunxi, draft.id).await, Err(StoreError::NotFound(_))));
    assert_eq!(filings::get(&db.conn, &city, draft.id).await.expect("city").receiver.code, CITY);
    db.cleanup().await;
}

async fn token(db: &DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &xuepei_store::Scope::system(), async |tx| {
        tokens::issue(tx, "备案对接", o.id, false, None, tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

#[tokio::test]
async fn filing_pages_and_api_draft_attach_submit_return_and_show_who_is_late() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let county = signed_in(&db, "yxzzb", &[AccountRole::OrgStaff], YUNXI).await;
    let (status, page) = county.get("/filings").await;
    assert!(status == 200 && page.contains(&format!("/campaigns/{}/filings", c.id)), "{page}");
    let board = format!("/campaigns/{}/filings", c.id);
    let (status, page) = county.get(&board).await;
    assert!(status == 200 && page.contains("未报送，逾期") && page.contains("起草"), "{page}");
    // A draft through the form: a missing title is told beside the field.
    let (status, _, body) = county.post_form(&board, &[("org", YUNXI), ("kind", "plan"), ("title", "")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("请填写标题"), "{body}");
    let (status, loc, body) = county
        .post_form(&board, &[("org", YUNXI), ("kind", "plan"), ("title", "云溪区轮训实施方案"), ("body", "正文")])
        .await;
    assert_eq!(status, 303, "{body}");
    let loc = loc.expect("location");
    let id: i64 = loc.trim_start_matches("/filings/").split('?').next().and_then(|s| s.parse().ok()).expect("id");
    // Submitting without the attachment: the page again with the reason.
    let (status, _, body) = county.post_form(&format!("/filings/{id}/submit"), &[]).await;
    assert_eq!(status, 422);
    assert!(body.contains("须上传正式印发的方案文件"), "{body}");
    let csrf = county.csrf().await;
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf)
        .part("file", reqwest::multipart::Part::bytes(b"%PDF-1.4".to_vec()).file_name("云溪区实施方案.pdf"));
    let r = county.raw.post(county.url(&format!("/filings/{id}/files"))).multipart(form).send().await.expect("upload");
    assert_eq!(r.status().as_u16(), 303);
    let (status, loc, _) = county.post_form(&format!("/filings/{id}/submit"), &[]).await;
    assert_eq!((status, loc), (303, Some(format!("/filings/{id}?done=submitted"))));

    // The city returns it from the page; without comments it is told why.
    let city = signed_in(&db, "szzb", &[AccountRole::OrgStaff], CITY).await;
    let (status, page) = city.get(&format!("/filings/{id}")).await;
    assert!(status == 200 && page.contains("予以备案") && page.contains("云溪区实施方案.pdf"), "{page}");
    // Nothing but invisible characters is no comment either.
    for comments in ["", "\u{200b}\u{200b}", "\u{202e}\u{2060}"] {
        let (status, _, body) =
            city.post_form(&format!("/filings/{id}/decide"), &[("action", "return"), ("comments", comments)]).await;
        assert_eq!(status, 422);
        assert!(body.contains("修改意见"), "{body}");
    }
    let (status, _, _) = city
        .post_form(&format!("/filings/{id}/decide"), &[("action", "return"), ("comments", "请补充\u{200b}经费预算")])
        .await;
    assert_eq!(status, 303);
    let (_, page) = county.get(&format!("/filings/{id}")).await;
    assert!(page.contains("已退回修改") && page.contains("请补充经费预算"), "the comment kept without U+200B: {page}");

    // Another county's staff: not found, page, file and decision alike.
    let other = signed_in(&db, "qyzzb", &[AccountRole::OrgStaff], QUYUAN).await;
    assert_eq!(other.get(&format!("/filings/{id}")).await.0, 404);
    assert_eq!(other.post_form(&format!("/filings/{id}/decide"), &[("action", "accept")]).await.0, 404);
    assert_eq!(other.post_form(&format!("/filings/{id}/submit"), &[]).await.0, 404);

    // The board filtered: by state, by the organiser's name; the counts stay the whole's.
    let table = |page: &str| {
        page.split("id=\"filing-board\"").nth(1).and_then(|t| t.split("</table>").next()).unwrap_or("").to_owned()
    };
    let (_, page) = city.get(&format!("{board}?show=returned")).await;
    let t = table(&page);
    assert!(t.contains("云溪区") && !t.contains("屈原") && t.contains("已退回修改"), "{t}");
    assert!(page.contains("已退回修改1项"), "{page}");
    let (_, page) = city.get(&format!("{board}?q=%E5%B1%88%E5%8E%9F&kind=plan")).await;
    let t = table(&page);
    assert!(t.contains("屈原") && !t.contains("云溪区"), "{t}");
    let (_, page) = city.get(&format!("{board}?q=%E5%B1%88%E5%8E%9F&show=filed")).await;
    assert!(table(&page).contains("没有符合条件的报送事项"), "{page}");
    let (status, page) = city.get(&format!("{board}?show=%3Cx%3E&kind=zzz")).await;
    assert!(
        status == 200 && table(&page).contains("云溪区") && table(&page).contains("屈原"),
        "unknown filters are ignored"
    );

    // The board's Excel export.
    let csrf = city.csrf().await;
    let r = city
        .raw
        .post(city.url(&format!("{board}/export")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("export");
    assert_eq!(r.status().as_u16(), 200);
    let wb = xuepei_office::read::Workbook::open(xuepei_office::read::Source::Bytes(
        r.bytes().await.expect("bytes").to_vec(),
    ))
    .expect("xlsx");
    assert_eq!(wb.sheet_names(), ["备案情况"]);

    // The API: the city sees both counties, 屈原管理区 only itself.
    let api = |t: String, path: String| {
        let app = &city;
        async move {
            let r = app.raw.get(app.url(&path)).bearer_auth(t).send().await.expect("api");
            (r.status().as_u16(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let path = format!("/api/v1/campaigns/{}/filings", c.id);
    let (status, v) = api(token(&db.conn, CITY).await, path.clone()).await;
    assert_eq!(status, 200, "{v}");
    let filers = v["filers"].as_array().expect("filers");
    assert_eq!(filers.len(), 2);
    let yx = filers.iter().find(|f| f["org"] == YUNXI).expect("yunxi");
    assert_eq!(yx["receiver"], CITY);
    let plan = &yx["duties"][0];
    assert_eq!(
        (plan["kind"].as_str(), plan["state"].as_str(), plan["version"].as_i64()),
        (Some("plan"), Some("returned"), Some(1))
    );
    assert_eq!(plan["deadline"], "2026-03-09");
    assert!(plan["days_late"].as_i64().expect("days") > 0 && plan["late"] == true);
    let qy = filers.iter().find(|f| f["org"] == QUYUAN).expect("quyuan");
    assert_eq!(qy["duties"][0]["state"], "not_started");
    let (status, v) = api(token(&db.conn, QUYUAN).await, path.clone()).await;
    assert_eq!(status, 200);
    assert_eq!(v["filers"].as_array().expect("filers").len(), 1);
    assert!(!v.to_string().contains("云溪区轮训实施方案"));
    let (status, v) = api(token(&db.conn, CITY).await, "/api/v1/campaigns/999999/filings".into()).await;
    assert_eq!(status, 404);
    assert!(v["error"]["message"].as_str().expect("message").contains("轮训工作"));
    db.cleanup().await;
}
