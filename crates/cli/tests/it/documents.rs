//! Documents generated from the data (issue 14 item 5): the campaign notice and a filed
//! plan in the official layout (GB/T 9704) and the practice base's application form, as
//! `.docx` read back here; the header adjustable, bad headers refused with the reason,
//! other counties' records not found, every download audited.

use xuepei_domain::accounts::AccountRole;
use xuepei_office::docx;
use xuepei_store::audit::{self, AuditFilter};
use xuepei_store::bases::{self, BaseInput};
use xuepei_store::filings::{self, FilingInput};
use xuepei_store::{Scope, campaigns};
use xuepei_testkit::TestApp;

use crate::classes::{CITY, city_campaign};
use crate::support::*;

/// Posts a download form; the status, the content type and the bytes.
async fn download(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> (u16, String, Vec<u8>) {
    let csrf = app.csrf().await;
    let mut form: Vec<(&str, &str)> = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let r = app.raw.post(app.url(path)).form(&form).send().await.expect("download");
    let status = r.status().as_u16();
    let kind = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (status, kind, r.bytes().await.expect("bytes").to_vec())
}

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

#[tokio::test]
async fn the_campaign_notice_is_written_from_the_campaign_in_the_official_layout() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let city = signed_in(&db, "szzb", &[AccountRole::OrgStaff], CITY).await;
    let (status, page) = city.get(&format!("/campaigns/{}", c.id)).await;
    assert!(status == 200 && page.contains(&format!("/campaigns/{}/notice.docx", c.id)), "{page}");

    // With the defaults: the issuer's mark, the title as a notice, the target counties as
    // addressees, the campaign's dates, deadlines and organisers, the signature and date.
    let path = format!("/campaigns/{}/notice.docx", c.id);
    let (status, kind, bytes) = download(&city, &path, &[]).await;
    assert_eq!((status, kind.as_str()), (200, DOCX));
    let text = docx::text(&bytes).expect("docx");
    let l = lines(&text);
    let issuer = &c.issuer_name;
    assert_eq!(l[0], format!("{issuer}文件"));
    assert_eq!(l[1], format!("关于开展{}的通知", c.title));
    let targets: Vec<&str> = c.target_orgs.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(l[2], format!("{}：", targets.join("，")), "{text}");
    assert!(text.contains("2026年3月1日至2026年6月30日"), "{text}");
    assert!(text.contains("集中轮训实施方案请于2026年3月9日前上报备案"), "{text}");
    assert!(text.contains(&format!("备案，云溪区、岳阳市屈原管理区报{issuer}。")), "{text}");
    assert!(text.contains("一、轮训对象和时间") && text.contains("二、轮训内容"), "{text}");
    assert!(text.contains("附件：集中轮训实施方案等材料报送安排"), "{text}");
    assert!(text.contains(&format!("1\t云溪区\t{issuer}\t2026年3月9日前")), "{text}");
    let today = xuepei_domain::time::chinese_day(xuepei_domain::time::today());
    assert!(text.contains(&format!("{issuer}\n{today}\n")), "signed and dated the day it was issued: {text}");
    let xml = docx::part(&bytes, "word/document.xml").expect("xml");
    assert!(xml.contains("w:color w:val=\"FF0000\"") && xml.contains("w:top=\"2098\""), "red mark, GB/T 9704 margins");

    // The header adjusted: mark, number, date, addressees.
    let (status, _, bytes) = download(
        &city,
        &path,
        &[
            ("doc_mark", "中共岳阳市委组织部文件"),
            ("doc_number", "岳组发〔2026〕3号"),
            ("doc_date", "2026-03-03"),
            ("doc_to", "各县市区委组织部\r\n市直各单位\n"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let text = docx::text(&bytes).expect("docx");
    let l = lines(&text);
    assert_eq!(
        &l[..4],
        &[
            "中共岳阳市委组织部文件",
            "岳组发〔2026〕3号",
            &format!("关于开展{}的通知", c.title),
            "各县市区委组织部，市直各单位："
        ]
    );
    assert!(text.contains("中共岳阳市委组织部\n2026年3月3日\n"), "signed by the body the mark names: {text}");

    // A bad header: refused with the reasons, no file.
    let (status, kind, body) =
        download(&city, &path, &[("doc_date", "2026-02-30"), ("doc_number", &"号".repeat(61))]).await;
    let body = String::from_utf8_lossy(&body);
    assert_eq!(status, 400, "{body}");
    assert!(!kind.contains("wordprocessingml"));
    assert!(body.contains("成文日期") && body.contains("不存在") && body.contains("发文字号"), "{body}");

    // A county inside the campaign reads the same notice; a campaign of another county is
    // not found; the downloads are in the audit trail.
    let county = signed_in(&db, "yxzzb", &[AccountRole::OrgStaff], YUNXI).await;
    assert_eq!(download(&county, &path, &[]).await.0, 200);
    let own = crate::campaigns::input("云溪区村干部轮训", YUNXI, &[]);
    let own = write(&db.conn, &Scope::system(), async |tx| campaigns::create(tx, &own).await).await.expect("campaign");
    let other = signed_in(&db, "qyzzb", &[AccountRole::OrgStaff], QUYUAN).await;
    assert_eq!(download(&other, &format!("/campaigns/{}/notice.docx", own.id), &[]).await.0, 404);
    assert_eq!(download(&other, "/campaigns/abc/notice.docx", &[]).await.0, 404);
    let f = AuditFilter { action: Some("campaign.notice".into()), ..Default::default() };
    let trail = audit::search(&db.conn, &Scope::system(), &f, None, 50).await.expect("trail").items;
    assert_eq!(trail.len(), 3, "two by the city and one by the county, none refused: {trail:?}");
}

#[tokio::test]
async fn a_filed_plan_and_a_base_application_come_out_as_word_documents() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let input = FilingInput {
        org: YUNXI.into(),
        kind: "plan".into(),
        period: String::new(),
        title: "云溪区村（社区）党组织书记集中轮训实施方案".into(),
        // Ending with the note of a text drafted from the data, which the document omits.
        body:
            "根据市委组织部通知要求，制定本方案。\n一、指导思想\n（一）总体要求\n全区村（社区）党组织书记分3期轮训。\n\
               （本报告中的数字截至2026年3月31日，取自学培系统，起草后请核对修改。）"
                .into(),
    };
    let f = write(&db.conn, &yunxi, async |tx| filings::create(tx, c.id, &input).await).await.expect("draft");
    write(&db.conn, &yunxi, async |tx| {
        filings::add_file(tx, f.id, "经费预算表.xlsx", b"PK\x03\x04[Content_Types].xml xl/workbook.xml".to_vec()).await
    })
    .await
    .expect("file");

    let county = signed_in(&db, "yxzzb", &[AccountRole::OrgStaff], YUNXI).await;
    let (_, page) = county.get(&format!("/filings/{}", f.id)).await;
    assert!(page.contains(&format!("/filings/{}/docx", f.id)) && page.contains("发文机关标志"), "{page}");
    let (status, kind, bytes) =
        download(&county, &format!("/filings/{}/docx", f.id), &[("doc_number", "云组发〔2026〕2号")]).await;
    assert_eq!((status, kind.as_str()), (200, DOCX));
    let text = docx::text(&bytes).expect("docx");
    let l = lines(&text);
    let city_name = &c.issuer_name;
    assert_eq!(
        &l[..8],
        &[
            "云溪区文件",
            "云组发〔2026〕2号",
            "云溪区村（社区）党组织书记集中轮训实施方案",
            &format!("{city_name}："),
            "根据市委组织部通知要求，制定本方案。",
            "一、指导思想",
            "（一）总体要求",
            "全区村（社区）党组织书记分3期轮训。",
        ]
    );
    assert!(text.contains("附件：经费预算表\n"), "{text}");
    assert!(!text.contains("起草后请核对修改"), "the drafting note stays out: {text}");
    let xml = docx::part(&bytes, "word/document.xml").expect("xml");
    assert!(xml.contains("黑体") && xml.contains("楷体_GB2312"), "headings set by level");
    // The city, which receives it, reads it too; another county does not.
    let city = signed_in(&db, "szzb", &[AccountRole::OrgStaff], CITY).await;
    assert_eq!(download(&city, &format!("/filings/{}/docx", f.id), &[]).await.0, 200);
    let other = signed_in(&db, "qyzzb", &[AccountRole::OrgStaff], QUYUAN).await;
    assert_eq!(download(&other, &format!("/filings/{}/docx", f.id), &[]).await.0, 404);

    // The application form of a base, with its 五有 evidence and the county's opinion.
    let base = BaseInput {
        org: JINGZHU.into(),
        name: "荆竹村实践基地".into(),
        kind: "village".into(),
        year: "2026".into(),
        address: "云溪区陆城镇荆竹村".into(),
        contact: "李明".into(),
        phone: "0730-8889364".into(),
        summary: "发展集体经济成效明显\n村党总支战斗堡垒作用突出".into(),
        evidence: ["村部培训室可容纳120人", "", "典型材料汇编", "村集体产业园", ""].map(String::from),
    };
    let b = write(&db.conn, &yunxi, async |tx| bases::create(tx, &base).await).await.expect("base");
    let (_, page) = county.get(&format!("/bases/{}", b.id)).await;
    assert!(page.contains(&format!("/bases/{}/application.docx", b.id)), "{page}");
    let (status, kind, bytes) = download(&county, &format!("/bases/{}/application.docx", b.id), &[]).await;
    assert_eq!((status, kind.as_str()), (200, DOCX));
    let text = docx::text(&bytes).expect("docx");
    assert!(text.starts_with("党员干部示范培训实践基地申报表\n"), "{text}");
    for row in [
        "基地名称\t荆竹村实践基地",
        "所在县市区\t云溪区\t基地类型\t村",
        "申报年度\t2026年",
        "详细地址\t云溪区陆城镇荆竹村",
        "联系人\t李明\t联系电话\t0730-8889364",
        "基本情况\t发展集体经济成效明显 村党总支战斗堡垒作用突出",
        "有满足培训需要的场所\t是\t村部培训室可容纳120人",
        "有熟悉情况的讲解员\t否\t",
        "有特色明显的专题片\t否\t",
        "县市区委组织部意见\t（盖章） 年　　月　　日",
    ] {
        assert!(text.contains(row), "{row} in {text}");
    }
    assert_eq!(download(&other, &format!("/bases/{}/application.docx", b.id), &[]).await.0, 404);
    assert_eq!(download(&other, "/bases/999999/application.docx", &[]).await.0, 404);
}
