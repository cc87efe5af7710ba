//! Certificates (issue 14 item 5): completion certificates of a completed class issued once
//! per trainee, printed as one PDF whose text and QR code are read back (the QR code leads
//! to a working verification page), verification without signing in that reveals the
//! masked name and nothing else, revocation, altered, malformed and forged codes told
//! apart, certificates of a year's hours, and other counties refused.

use std::process::Command;

use serde_json::Value;
use xuepei_domain::accounts::AccountRole;
use xuepei_domain::training::certificate::{mask_name, new_code, parse_code};
use xuepei_store::enrolments::PersonRef;
use xuepei_store::{Scope, StoreError, certificates, enrolments};
use xuepei_testkit::TestApp;

use crate::classes::CITY;
use crate::enrolments::{attend, city_class, people_of, seven_sessions};
use crate::support::*;

/// Runs a poppler tool (installed by `scripts/test-all.sh`) on a PDF; returns what it
/// writes to stdout (pdftotext is told so by "-", pdftoppm does so without an output root).
fn poppler(tool: &str, args: &[&str], pdf: &[u8]) -> Vec<u8> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("c.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = Command::new(tool)
        .args(args)
        .arg(&path)
        .args((tool == "pdftotext").then_some("-"))
        .output()
        .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by scripts/test-all.sh) cannot run: {e}"));
    assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// The QR codes on the PDF's `page`, decoded from the page rendered in grey at 200 dpi
/// (a phone's camera sees the 3.5 cm code at least as sharply).
fn qr_codes(pdf: &[u8], page: u32) -> Vec<String> {
    let n = page.to_string();
    let pgm = poppler("pdftoppm", &["-gray", "-r", "200", "-f", &n, "-l", &n], pdf);
    // A binary PGM: "P5", width, height, max value, one whitespace, then the pixels.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        while pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        let start = at;
        while !pgm[at].is_ascii_whitespace() {
            at += 1;
        }
        fields.push(String::from_utf8_lossy(&pgm[start..at]).into_owned());
    }
    assert_eq!(fields[0], "P5");
    let (w, h): (usize, usize) = (fields[1].parse().expect("width"), fields[2].parse().expect("height"));
    let pixels = &pgm[at + 1..];
    assert_eq!(pixels.len(), w * h);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| pixels[y * w + x]);
    img.detect_grids().into_iter().filter_map(|g| g.decode().ok().map(|(_, text)| text)).collect()
}

/// A city class with three trainees of 云溪区 who attended every session, completed.
async fn completed_class(db: &xuepei_testkit::TestDb) -> (i64, Vec<(i64, String, String)>) {
    let c = city_class(&db.conn, "市级示范班（证书）", 30).await;
    let sessions = seven_sessions(&db.conn, c.id).await;
    let p = people_of(&db.conn, YUNXI, 3).await;
    let sys = Scope::system();
    write(&db.conn, &sys, async |tx| {
        enrolments::enrol(tx, c.id, &p.iter().map(|x| PersonRef::Id(x.0)).collect::<Vec<_>>()).await
    })
    .await
    .expect("enrol");
    // Before completion there is nothing to certify.
    let e = write(&db.conn, &sys, async |tx| certificates::issue_for_class(tx, c.id).await)
        .await
        .expect_err("not completed");
    assert!(e.reasons().contains("尚未办理结业"), "{e:?}");
    attend(&db.conn, &sessions, &p.iter().map(|x| x.0).collect::<Vec<_>>(), &[]).await;
    write(&db.conn, &sys, async |tx| enrolments::complete(tx, c.id).await).await.expect("complete");
    (c.id, p)
}

async fn pdf_of(app: &TestApp, path: &str) -> (u16, String, Vec<u8>) {
    let token = app.csrf().await;
    let r = app.raw.post(app.url(path)).form(&[("_csrf", token.as_str())]).send().await.expect("request");
    let status = r.status().as_u16();
    let kind = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, kind, r.bytes().await.expect("body").to_vec())
}

/// GET without any session or token, as a stranger scanning the paper.
async fn anonymous(url: &str) -> (u16, String) {
    let r = reqwest::get(url).await.expect("request");
    (r.status().as_u16(), r.text().await.expect("body"))
}

#[tokio::test]
async fn certificates_print_with_a_qr_code_that_verifies_and_say_when_revoked_altered_or_forged() {
    let db = seeded().await;
    let (class_id, people) = completed_class(&db).await;
    let app = signed_in(&db, "cityzzb", &[AccountRole::OrgStaff], CITY).await;

    // Issued through the page, once per trainee however often the button is pressed.
    let (s, loc, _) = app.post_form(&format!("/classes/{class_id}/certificates"), &[]).await;
    assert_eq!(
        (s, loc.as_deref()),
        (303, Some(&*format!("/classes/{class_id}/certificates?issued=3&already=0&revoked=0")))
    );
    let (s, loc, _) = app.post_form(&format!("/classes/{class_id}/certificates"), &[]).await;
    assert_eq!(
        (s, loc.as_deref()),
        (303, Some(&*format!("/classes/{class_id}/certificates?issued=0&already=3&revoked=0")))
    );
    // The notice says numbers only, whatever the address carries.
    let (_, page) = app.get(&format!("/classes/{class_id}/certificates?issued=1份，请访问evil&already=x")).await;
    assert!(!page.contains("evil"), "{page}");
    let city = county_scope(&db.conn, CITY).await;
    let list = certificates::for_class(&db.conn, &city, class_id).await.expect("list");
    assert_eq!(list.len(), 3);
    let (s, page) = app.get(&format!("/classes/{class_id}/certificates")).await;
    assert_eq!(s, 200);
    assert!(list.iter().all(|c| page.contains(&c.display_code())), "{page}");

    // One PDF for the class: a page per trainee with the name, the class and the hours.
    let (s, kind, pdf) = pdf_of(&app, &format!("/classes/{class_id}/certificates.pdf")).await;
    assert_eq!((s, kind.as_str()), (200, "application/pdf"), "{}", String::from_utf8_lossy(&pdf));
    let text = String::from_utf8(poppler("pdftotext", &["-layout"], &pdf)).expect("utf-8 text");
    let squeezed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    assert!(squeezed.contains("结业证书"), "{text}");
    assert!(squeezed.contains("市级示范班（证书）"), "{text}");
    assert!(squeezed.contains("21学时"), "{text}");
    assert_eq!(text.matches('\u{c}').count(), 3, "three pages");
    for (_, _, name) in &people {
        assert!(squeezed.contains(&format!("{name}同志")), "{name} in {text}");
    }
    // The first page's QR code is the verification address of that trainee's certificate.
    let codes = qr_codes(&pdf, 1);
    assert_eq!(codes.len(), 1, "{codes:?}");
    let first = &list[0];
    assert_eq!(codes[0], app.url(&format!("/verify/{}", first.code)));
    assert!(squeezed.contains(&first.display_code()), "the code is printed too");

    // Scanning it: no sign-in; the masked name, class, hours, issuer, standing; no more.
    let (s, page) = anonymous(&codes[0]).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("真实有效"), "{page}");
    assert!(page.contains(&mask_name(&first.name)), "{page}");
    assert!(page.contains("市级示范班（证书）") && page.contains(">21<"), "{page}");
    let holder = people.iter().find(|p| p.0 == first.person_id).expect("holder");
    assert!(!page.contains(&holder.2) || holder.2.chars().count() < 2, "the full name is not shown");
    assert!(!page.contains(&holder.1), "no identity number");
    // Typed in lower case with spaces, it goes to the certificate's own address.
    let typed = first.display_code().to_lowercase().replace('-', "%20");
    let r = app.raw.get(app.url(&format!("/verify?code={typed}"))).send().await.expect("typed");
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"].to_str().ok(), Some(&*format!("/verify/{}", first.code)));

    // The API answers the same facts, publicly.
    let r = reqwest::get(app.url(&format!("/api/v1/verify/{}", first.code))).await.expect("api");
    assert_eq!(r.status().as_u16(), 200);
    let v: Value = r.json().await.expect("json");
    assert_eq!(
        (v["valid"].as_bool(), v["state"].as_str(), v["hours"].as_str()),
        (Some(true), Some("valid"), Some("21"))
    );
    assert_eq!(v["name"].as_str(), Some(mask_name(&first.name).as_str()));
    assert_eq!(v["kind"], "completion");
    let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
    for hidden in ["id", "person_id", "id_number", "org_id", "class_id", "revoke_reason"] {
        assert!(!keys.iter().any(|k| *k == hidden), "{hidden} must not be revealed: {keys:?}");
    }

    // Revoked with a reason: verification says so, printing is refused.
    let (s, _, body) = app.post_form(&format!("/certificates/{}/revoke", first.id), &[("reason", "  ")]).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("请填写撤销原因"), "{body}");
    let (s, _, body) = app.post_form(&format!("/certificates/{}/revoke", first.id), &[("reason", "\u{0}\u{7}")]).await;
    assert_eq!(s, 422, "{body}");
    assert!(body.contains("控制字符"), "{body}");
    let (s, loc, _) = app.post_form(&format!("/certificates/{}/revoke", first.id), &[("reason", "学员信息有误")]).await;
    assert_eq!((s, loc), (303, Some(format!("/certificates/{}?done=revoked", first.id))));
    let (_, page) = anonymous(&codes[0]).await;
    assert!(page.contains("撤销，不再有效") && !page.contains("真实有效") && !page.contains("一致即为真"), "{page}");
    let v: Value = reqwest::get(app.url(&format!("/api/v1/verify/{}", first.code)))
        .await
        .expect("api")
        .json()
        .await
        .expect("json");
    assert_eq!((v["valid"].as_bool(), v["state"].as_str()), (Some(false), Some("revoked")));
    assert!(v.get("revoke_reason").is_none());
    let (s, _, body) = pdf_of(&app, &format!("/certificates/{}/pdf", first.id)).await;
    assert_eq!(s, 400, "{}", String::from_utf8_lossy(&body));
    let (s, _, body) = app.post_form(&format!("/certificates/{}/revoke", first.id), &[("reason", "再次")]).await;
    assert_eq!(s, 422, "revoked once");
    assert!(body.contains("无需重复撤销"), "{body}");
    // The class's PDF now holds the two standing certificates; issuing again does not undo
    // the revocation: the trainee is issued anew only when asked, one by one.
    let (_, _, pdf) = pdf_of(&app, &format!("/classes/{class_id}/certificates.pdf")).await;
    assert_eq!(String::from_utf8_lossy(&poppler("pdftotext", &[], &pdf)).matches('\u{c}').count(), 2);
    let (_, loc, _) = app.post_form(&format!("/classes/{class_id}/certificates"), &[]).await;
    assert_eq!(loc, Some(format!("/classes/{class_id}/certificates?issued=0&already=2&revoked=1")));
    let (_, page) = app.get(loc.as_deref().expect("notice")).await;
    assert!(page.contains("1名学员的证书已撤销，未自动重新颁发"), "{page}");
    let (s, loc, _) = app.post_form(&format!("/certificates/{}/reissue", first.id), &[]).await;
    assert_eq!(s, 303);
    let (_, page) = app.get(loc.as_deref().expect("the new certificate")).await;
    assert!(page.contains("已重新颁发") && !page.contains(&first.display_code()), "{page}");
    let (s, _, body) = app.post_form(&format!("/certificates/{}/reissue", first.id), &[]).await;
    assert_eq!(s, 422);
    assert!(body.contains("已持有本班次的有效证书"), "{body}");

    // Altered (one character changed), malformed, forged (well formed, never issued).
    let mut altered: Vec<char> = first.code.chars().collect();
    altered[3] = if altered[3] == 'X' { 'Y' } else { 'X' };
    let altered: String = altered.into_iter().collect();
    let forged = new_code([7; 10]);
    assert!(parse_code(&forged).is_ok());
    for (code, status, api_code, says) in [
        (altered.as_str(), 400, "altered_code", "校验不符"),
        ("12345", 400, "malformed_code", "格式不正确"),
        ("<img src=x onerror=alert(1)>", 400, "malformed_code", "格式不正确"),
        (forged.as_str(), 404, "not_found", "未查到"),
    ] {
        let (s, page) = anonymous(&app.url(&format!("/verify/{}", code))).await;
        assert_eq!(s, status, "{code}: {page}");
        assert!(page.contains(says), "{code}: {page}");
        assert!(!page.contains("<img src=x"), "escaped");
        let r = reqwest::get(app.url(&format!("/api/v1/verify/{}", code))).await.expect("api");
        assert_eq!(r.status().as_u16(), status);
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["error"]["code"], api_code, "{v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| m.contains(says)), "{v}");
    }

    // Every step is in the audit trail with its Chinese label.
    let (_, audit) = signed_in(&db, "auditor", &[AccountRole::AuditAdmin], CITY).await.get("/admin/audit").await;
    for label in ["颁发结业证书", "撤销证书", "打印证书"] {
        assert!(audit.contains(label), "{label}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn certificates_of_a_class_are_the_organisers_and_a_years_hours_are_certified_by_the_unit() {
    let db = seeded().await;
    let (class_id, people) = completed_class(&db).await;
    let city = county_scope(&db.conn, CITY).await;
    write(&db.conn, &city, async |tx| certificates::issue_for_class(tx, class_id).await).await.expect("issue");
    let list = certificates::for_class(&db.conn, &city, class_id).await.expect("list");
    let cert = &list[0];

    // 屈原 has nothing to do with the class; 云溪区 sent the trainees but does not issue
    // nor revoke the city's certificates: refused in the store and in the pages.
    for code in [QUYUAN, YUNXI] {
        let other = county_scope(&db.conn, code).await;
        assert!(certificates::for_class(&db.conn, &other, class_id).await.is_err(), "{code}");
        assert!(matches!(certificates::get(&db.conn, &other, cert.id).await, Err(StoreError::NotFound(_))), "{code}");
        let e = write(&db.conn, &other, async |tx| certificates::issue_for_class(tx, class_id).await).await;
        assert!(e.is_err(), "{code}");
        let e = write(&db.conn, &other, async |tx| certificates::revoke(tx, cert.id, "越权").await).await;
        assert!(e.is_err(), "{code}");
        let app = signed_in(&db, &format!("staff{code}"), &[AccountRole::OrgStaff], code).await;
        for path in [format!("/classes/{class_id}/certificates"), format!("/certificates/{}", cert.id)] {
            let (s, _) = app.get(&path).await;
            assert!(s == 403 || s == 404, "{code} GET {path}: {s}");
        }
        for path in [
            format!("/classes/{class_id}/certificates"),
            format!("/classes/{class_id}/certificates.pdf"),
            format!("/certificates/{}/pdf", cert.id),
        ] {
            let (s, _, _) = pdf_of(&app, &path).await;
            assert!(s == 403 || s == 404, "{code} POST {path}: {s}");
        }
        let (s, _, _) = app.post_form(&format!("/certificates/{}/revoke", cert.id), &[("reason", "越权")]).await;
        assert!(s == 403 || s == 404, "{code} revoke: {s}");
    }
    assert!(certificates::get(&db.conn, &city, cert.id).await.expect("still").is_valid());

    // A certificate of the year's hours, issued by 云溪区 for one of its people.
    let yunxi = signed_in(&db, "yxzzb", &[AccountRole::OrgStaff], YUNXI).await;
    let pid = people[0].0;
    let (s, page) = yunxi.get(&format!("/people/{pid}/certificates")).await;
    assert_eq!(s, 200, "{page}");
    let (s, _, body) = yunxi.post_form(&format!("/people/{pid}/certificates"), &[("year", "二〇二六")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("请填写四位数字的年度"), "{body}");
    let (s, _, body) = yunxi.post_form(&format!("/people/{pid}/certificates"), &[("year", "2019")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("没有已认定的学时"), "{body}");
    let (s, loc, _) = yunxi.post_form(&format!("/people/{pid}/certificates"), &[("year", "2026")]).await;
    assert_eq!(s, 303);
    let loc = loc.expect("to the certificate");
    let (s, page) = yunxi.get(&loc).await;
    assert_eq!(s, 200);
    assert!(page.contains("学时证明") && page.contains("21"), "{page}");
    let (s, kind, pdf) = pdf_of(&yunxi, &format!("{}/pdf", loc.split('?').next().expect("path"))).await;
    assert_eq!((s, kind.as_str()), (200, "application/pdf"));
    let text: String = String::from_utf8(poppler("pdftotext", &[], &pdf))
        .expect("text")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(text.contains("学时证明") && text.contains("2026年度") && text.contains("21学时"), "{text}");
    let url = qr_codes(&pdf, 1).pop().expect("a QR code");
    let (s, page) = anonymous(&url).await;
    assert_eq!(s, 200);
    assert!(page.contains("学时证明") && page.contains("真实有效"), "{page}");
    // Issued again, it supersedes the first: one standing certificate a year and issuer.
    let (_, again, _) = yunxi.post_form(&format!("/people/{pid}/certificates"), &[("year", "2026")]).await;
    assert_ne!(again.as_deref(), Some(loc.as_str()));
    let (_, page) = anonymous(&url).await;
    assert!(page.contains("撤销，不再有效"), "the first one is superseded: {page}");
    // With the public address configured, the QR code carries it, not the request's host.
    let config = xuepei_web::WebConfig { public_url: Some("https://px.example.gov.cn".into()), ..Default::default() };
    let public = TestApp::spawn_with(&db, config).await;
    assert_eq!(public.login("yxzzb", PASSWORD).await, 303);
    let path = again.expect("second").split('?').next().expect("path").to_owned();
    let (_, page) = public.get(&path).await;
    assert!(page.contains("https://px.example.gov.cn/verify/"), "{page}");
    let (_, _, pdf) = pdf_of(&public, &format!("{path}/pdf")).await;
    let qr = qr_codes(&pdf, 1).pop().expect("a QR code");
    assert!(qr.starts_with("https://px.example.gov.cn/verify/"), "{qr}");
    // The city, viewing 云溪区 through the switcher, does not issue in 云溪区's name.
    let city_app = signed_in(&db, "cityzzb2", &[AccountRole::OrgStaff], CITY).await;
    let yunxi_org = by_code(&db.conn, YUNXI).await;
    let (s, _, _) = city_app.post_form("/switch", &[("org_id", &yunxi_org.id.to_string())]).await;
    assert_eq!(s, 303);
    let (s, _, body) = city_app.post_form(&format!("/people/{pid}/certificates"), &[("year", "2026")]).await;
    assert_eq!(s, 422);
    assert!(body.contains("请先切换回本单位的范围"), "{body}");
    // 屈原 cannot certify a 云溪区 person's hours.
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    assert!(write(&db.conn, &quyuan, async |tx| certificates::issue_hours(tx, pid, 2026).await).await.is_err());
    db.cleanup().await;
}

#[tokio::test]
async fn certificates_issued_twice_at_once_stand_once_per_trainee() {
    let db = seeded().await;
    let (class_id, people) = completed_class(&db).await;
    let city = county_scope(&db.conn, CITY).await;
    for round in 0..2 {
        let (a, b) = tokio::join!(
            write(&db.conn, &city, async |tx| certificates::issue_for_class(tx, class_id).await),
            write(&db.conn, &city, async |tx| certificates::issue_for_class(tx, class_id).await),
        );
        // Both may succeed (one issuing none) or one is told of the clash; never an error
        // for the user to decode, never a second standing certificate.
        for r in [&a, &b] {
            if let Err(e) = r {
                assert!(matches!(e, StoreError::Conflict(m) if m.contains("同时颁发")), "{e:?}");
            }
        }
        let issued: u64 = [&a, &b].iter().filter_map(|r| r.as_ref().ok()).map(|i| i.issued).sum();
        assert_eq!(issued, if round == 0 { 3 } else { 0 }, "round {round}: {a:?} / {b:?}");
        let list = certificates::for_class(&db.conn, &city, class_id).await.expect("list");
        assert_eq!(list.iter().filter(|c| c.is_valid()).count(), people.len(), "round {round}");
    }
    // One revoked, then issued anew twice at once: one new certificate stands.
    let list = certificates::for_class(&db.conn, &city, class_id).await.expect("list");
    write(&db.conn, &city, async |tx| certificates::revoke(tx, list[0].id, "姓名有误").await).await.expect("revoke");
    let (a, b) = tokio::join!(
        write(&db.conn, &city, async |tx| certificates::reissue(tx, list[0].id).await),
        write(&db.conn, &city, async |tx| certificates::reissue(tx, list[0].id).await),
    );
    assert_eq!([&a, &b].iter().filter(|r| r.is_ok()).count(), 1, "{a:?} / {b:?}");
    for e in [a, b].into_iter().filter_map(Result::err) {
        assert!(matches!(&e, StoreError::Conflict(m) if m.contains("同时颁发") || m.contains("已持有")), "{e:?}");
    }
    let list = certificates::for_class(&db.conn, &city, class_id).await.expect("list");
    assert_eq!((list.len(), list.iter().filter(|c| c.is_valid()).count()), (4, 3));
    db.cleanup().await;
}
