//! Reports drafted from the data (issue 14 item 2): a county's progress report and work
//! summary are written from its classes, sessions, attendance, coverage and money in the
//! four customary parts, each figure kept with the view it came from; another county's
//! classes never count; only the filer drafts, only a report or summary, only while it is
//! editable; the page drafts on creation and again on request.

use xuepei_domain::accounts::AccountRole;
use xuepei_domain::training::AttendanceMark;
use xuepei_domain::training::filing::FilingKind;
use xuepei_domain::training::funding::LineFields;
use xuepei_domain::training::report::{self, View};
use xuepei_store::classes::{self, ClassInput};
use xuepei_store::enrolments::PersonRef;
use xuepei_store::filings::{self, FilingInput};
use xuepei_store::{StoreError, attendance, coverage, enrolments, funds, report_drafts};

use crate::classes::{CITY, city_campaign, class_input, day, session_input};
use crate::enrolments::people_of;
use crate::support::*;

fn today() -> chrono::NaiveDate {
    xuepei_domain::time::today()
}

/// A county class of the campaign organised by `code`, with a lecture and a site visit.
async fn county_class(
    db: &xuepei_store::DatabaseConnection,
    campaign: i64,
    code: &str,
    title: &str,
) -> (i64, Vec<i64>) {
    let scope = county_scope(db, code).await;
    let input = ClassInput { level: "county".into(), allocations: vec![], ..class_input(Some(campaign), title, code) };
    let c = write(db, &scope, async |tx| classes::create(tx, &input).await).await.expect("class");
    let mut sessions = Vec::new();
    for s in [
        session_input((2026, 4, 13), "am", "学习贯彻党的二十大精神", "lecture", "3"),
        session_input((2026, 4, 14), "pm", "乡村振兴实地观摩", "site_visit", "2.5"),
    ] {
        let s = write(db, &scope, async |tx| classes::sessions::add(tx, c.id, &s).await).await.expect("session");
        sessions.push(s.id);
    }
    (c.id, sessions)
}

fn progress(org: &str) -> FilingInput {
    FilingInput {
        org: org.into(),
        kind: "进度报告".into(),
        period: "2".into(),
        title: "进度报告".into(),
        body: String::new(),
    }
}

#[tokio::test]
async fn a_progress_report_is_drafted_from_the_countys_own_data_and_only_by_the_filer() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    let city = county_scope(&db.conn, CITY).await;
    let (class_id, sessions) = county_class(&db.conn, c.id, YUNXI, "云溪区第一期").await;
    // 屈原管理区's class: never in 云溪区's report.
    county_class(&db.conn, c.id, QUYUAN, "屈原第一期").await;
    let p = people_of(&db.conn, YUNXI, 3).await;
    let refs: Vec<PersonRef> = p.iter().map(|x| PersonRef::Id(x.0)).collect();
    write(&db.conn, &yunxi, async |tx| enrolments::enrol(tx, class_id, &refs).await).await.expect("enrol");
    let marks = [
        attendance::MarkInput { who: refs[0].clone(), mark: AttendanceMark::Present, reason: String::new() },
        attendance::MarkInput { who: refs[1].clone(), mark: AttendanceMark::Late, reason: String::new() },
        attendance::MarkInput { who: refs[2].clone(), mark: AttendanceMark::Absent, reason: String::new() },
    ];
    write(&db.conn, &yunxi, async |tx| attendance::mark(tx, sessions[0], &marks).await).await.expect("marks");
    for (stage, amount) in [("budget", "10000"), ("expense", "8000.5")] {
        let l = LineFields {
            stage: stage.into(),
            source: "fiscal".into(),
            kind: "comprehensive".into(),
            amount: amount.into(),
            ..Default::default()
        };
        write(&db.conn, &yunxi, async |tx| funds::add_line(tx, class_id, &l).await).await.expect("fund line");
    }

    let f = write(&db.conn, &yunxi, async |tx| filings::create(tx, c.id, &progress(YUNXI)).await).await.expect("draft");
    let facts = report_drafts::facts(&db.conn, &yunxi, f.id, today()).await.expect("facts");
    assert_eq!((facts.kind, facts.period, facts.organiser.as_str()), (FilingKind::Progress, 2, "云溪区"));
    // The second monthly report covers up to the end of April.
    assert_eq!((facts.as_of, facts.drafted_on), (day(2026, 4, 30).expect("day"), today()));
    assert_eq!((facts.classes, facts.classes_begun, facts.classes_completed, facts.classes_overdue), (1, 1, 0, 1));
    assert_eq!((facts.sessions, facts.hours.to_string()), (2, "5.5".to_owned()));
    assert_eq!(facts.modes, [("专题辅导".to_owned(), 1), ("现场观摩".to_owned(), 1)]);
    assert_eq!(facts.topics, ["学习贯彻党的二十大精神", "乡村振兴实地观摩"]);
    assert!(facts.sites.is_empty(), "a site visit without a venue names no place: {:?}", facts.sites);
    assert_eq!((facts.present, facts.late, facts.leave, facts.absent), (1, 1, 0, 1));
    assert_eq!((facts.budget_fen, facts.expense_fen), (1_000_000, 800_050));
    assert_eq!(facts.expense_by_source, [("财政资金".to_owned(), 800_050)]);
    // Coverage is the county's, as its coverage page shows it.
    let cov = coverage::summary(&db.conn, &yunxi, c.id, None).await.expect("coverage");
    assert_eq!([facts.target, facts.planned, facts.enrolled, facts.trained], cov.figures.as_array());
    assert!(facts.target >= 3 && facts.enrolled == 3, "{facts:?}");

    let d = report::draft(&facts);
    let done =
        write(&db.conn, &yunxi, async |tx| report_drafts::write(tx, f.id, facts.as_of, &d).await).await.expect("w");
    assert_eq!(done.title, "云溪区关于全市村（社区）党组织书记轮训第2期进度情况的报告");
    assert!(done.body.starts_with("一、基本情况\n按照“全市村（社区）党组织书记轮训”工作部署"), "{}", done.body);
    assert!(done.body.contains("共安排班次1个，已开班1个、结业0个，开展教学2次、5.5学时"), "{}", done.body);
    assert!(done.body.contains("缺勤1人次"), "{}", done.body);
    assert!(done.body.contains("有1个班次已过结束日期"), "{}", done.body);
    assert!(!done.body.contains("屈原"), "another county's class counted: {}", done.body);
    let drafted = done.drafted.clone().expect("figures kept");
    assert_eq!(drafted.as_of, facts.as_of);
    assert!(done.body.contains("截至2026年4月30日"), "{}", done.body);
    assert!(drafted.figures.iter().any(|g| g.view == View::Funds && g.value == "8000.50"));
    assert!(drafted.figures.iter().any(|g| g.view == View::Coverage && g.value == facts.target.to_string()));
    // The receiver reads what it was drafted from.
    let seen = filings::get(&db.conn, &city, f.id).await.expect("receiver reads");
    assert_eq!(seen.drafted, Some(drafted));

    // Only the filer drafts: the receiver is refused, another county does not see it.
    let e = report_drafts::facts(&db.conn, &city, f.id, today()).await.expect_err("receiver");
    assert!(matches!(&e, StoreError::Forbidden(m) if m.contains("接收单位")), "{e:?}");
    let e = report_drafts::facts(&db.conn, &quyuan, f.id, today()).await.expect_err("other county");
    assert!(matches!(e, StoreError::NotFound(_)), "{e:?}");
    let e =
        write(&db.conn, &quyuan, async |tx| report_drafts::write(tx, f.id, today(), &d).await).await.expect_err("w");
    assert!(matches!(e, StoreError::NotFound(_)), "{e:?}");
    // Not an implementation plan; not once submitted.
    let plan = FilingInput { kind: "plan".into(), period: String::new(), ..progress(YUNXI) };
    let pf = write(&db.conn, &yunxi, async |tx| filings::create(tx, c.id, &plan).await).await.expect("plan");
    let e = report_drafts::facts(&db.conn, &yunxi, pf.id, today()).await.expect_err("plan");
    assert!(matches!(&e, StoreError::Invalid(errs) if errs[0].message.contains("实施方案")), "{e:?}");
    write(&db.conn, &yunxi, async |tx| filings::submit(tx, f.id).await).await.expect("submit");
    let e = report_drafts::facts(&db.conn, &yunxi, f.id, today()).await.expect_err("submitted");
    assert!(matches!(&e, StoreError::Conflict(m) if m.contains("已报送")), "{e:?}");
    let e = write(&db.conn, &yunxi, async |tx| report_drafts::write(tx, f.id, today(), &d).await).await.expect_err("w");
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    db.cleanup().await;
}

#[tokio::test]
async fn the_pages_draft_a_summary_on_creation_and_again_on_request() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    county_class(&db.conn, c.id, YUNXI, "云溪区第一期").await;
    let county = signed_in(&db, "yxzzb", &[AccountRole::OrgStaff], YUNXI).await;
    let (status, page) = county.get(&format!("/campaigns/{}/filings/new", c.id)).await;
    assert!(status == 200 && page.contains("根据系统数据起草标题和正文"), "{page}");
    assert!(page.contains(r#"name="draft" value="1" checked"#), "drafting is the default: {page}");
    let (_, page) = county.get(&format!("/campaigns/{}/filings/new?kind=plan", c.id)).await;
    assert!(!page.contains(r#"name="draft" value="1" checked"#), "a plan is not drafted from the data: {page}");
    let board = format!("/campaigns/{}/filings", c.id);
    let (status, loc, body) =
        county.post_form(&board, &[("org", YUNXI), ("kind", "工作总结"), ("title", ""), ("draft", "1")]).await;
    assert_eq!(status, 303, "{body}");
    let loc = loc.expect("location");
    assert!(loc.ends_with("?done=drafted"), "{loc}");
    let id: i64 = loc.trim_start_matches("/filings/").split('?').next().and_then(|s| s.parse().ok()).expect("id");
    let (status, page) = county.get(&loc).await;
    assert_eq!(status, 200);
    for s in [
        "云溪区关于全市村（社区）党组织书记轮训的工作总结",
        "二、主要做法",
        "起草所依据的数据",
        &format!("/campaigns/{}/coverage?org=", c.id),
        &format!("/classes?campaign={}", c.id),
        "根据系统数据起草</button>",
    ] {
        assert!(page.contains(s), "missing {s}: {page}");
    }
    // Edited by hand, drafted again on request: the data's text is back.
    let (status, _, _) =
        county.post_form(&format!("/filings/{id}"), &[("title", "手改的标题"), ("body", "手改的正文")]).await;
    assert_eq!(status, 303);
    let (status, loc, _) = county.post_form(&format!("/filings/{id}/draft"), &[]).await;
    assert_eq!((status, loc), (303, Some(format!("/filings/{id}?done=drafted#edit"))));
    let (_, page) = county.get(&format!("/filings/{id}")).await;
    assert!(page.contains("开展教学2次") && !page.contains("手改的正文"), "{page}");

    // The receiver sees the figures, but drafts nothing.
    let city = signed_in(&db, "szzb", &[AccountRole::OrgStaff], CITY).await;
    let (status, page) = city.get(&format!("/filings/{id}")).await;
    assert!(
        status == 200 && page.contains("起草所依据的数据") && !page.contains("根据系统数据起草</button>"),
        "{page}"
    );
    let (status, _, body) = city.post_form(&format!("/filings/{id}/draft"), &[]).await;
    assert!(status == 403 || status == 409 || status == 422, "{status}");
    assert!(body.contains("接收单位"), "{body}");
    // Another county: not found.
    let other = signed_in(&db, "qyzzb", &[AccountRole::OrgStaff], QUYUAN).await;
    assert_eq!(other.post_form(&format!("/filings/{id}/draft"), &[]).await.0, 404);
    // A plan is drafted by hand: the checkbox is ignored, the title required.
    let (status, _, body) =
        county.post_form(&board, &[("org", YUNXI), ("kind", "plan"), ("title", ""), ("draft", "1")]).await;
    assert_eq!(status, 422);
    assert!(body.contains("请填写标题"), "{body}");
    db.cleanup().await;
}
