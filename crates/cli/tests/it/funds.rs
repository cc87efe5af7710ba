//! Training funds (issue 14 item 4): a class's budget and expense lines by source, checked
//! against the fee caps with the rule each breach breaks, written only by the organiser's
//! scope (a sending county sees the class, not its money), refused whole with Chinese
//! reasons; totals per campaign, organiser and source, and their Excel export.

use xuepei_domain::accounts::AccountRole;
use xuepei_domain::training::funding::{CostKind, FundSource, FundStage, LineFields};
use xuepei_store::classes::{self, ClassInput};
use xuepei_store::{Scope, StoreError, funds};

use crate::classes::{CITY, city_campaign, class_input};
use crate::support::*;

fn line(stage: &str, source: &str, kind: &str, amount: &str) -> LineFields {
    LineFields {
        stage: stage.into(),
        source: source.into(),
        kind: kind.into(),
        amount: amount.into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn funds_of_a_class_are_checked_against_the_caps_and_kept_by_the_organiser() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let city = county_scope(&db.conn, CITY).await;
    let input = ClassInput {
        allocations: vec![(YUNXI.into(), 30)],
        ..class_input(Some(c.id), "市级示范班第一期", CITY)
    };
    let class = write(&db.conn, &city, async |tx| classes::create(tx, &input).await).await.expect("class");
    // 60 places (no one enrolled yet), 4 days, third class by default: 60 × 4 × 550 = 132,000 yuan.
    let f = funds::of_class(&db.conn, &city, class.id).await.expect("funds");
    assert_eq!((f.people, f.days, f.cap_yuan.as_str(), f.venue), (60, 4, "132000.00", None));
    for l in [
        line("budget", "fiscal", "comprehensive", "100000"),
        line("budget", "party_dues", "comprehensive", "32000"),
        line("expense", "fiscal", "comprehensive", "90,000.50"),
        line("expense", "上级培训经费", "综合定额", "42000"),
    ] {
        write(&db.conn, &city, async |tx| funds::add_line(tx, class.id, &l).await).await.expect("line");
    }
    let lecture = LineFields {
        title: "正高".into(),
        hours: "3".into(),
        half_days: "1".into(),
        ..line("expense", "fiscal", "lecture", "3500")
    };
    write(&db.conn, &city, async |tx| funds::add_line(tx, class.id, &lecture).await).await.expect("lecture");
    let f = funds::of_class(&db.conn, &city, class.id).await.expect("funds");
    assert_eq!(f.lines.len(), 5);
    let budget = f.totals.iter().find(|t| t.stage == FundStage::Budget).expect("budget");
    assert_eq!(budget.total, "132000.00");
    let expense = f.totals.iter().find(|t| t.stage == FundStage::Expense).expect("expense");
    assert_eq!(expense.total, "135500.50");
    assert!(expense.by_source.iter().any(|(s, y)| *s == FundSource::HigherLevel && y == "42000.00"));
    // The expenses' comprehensive total is 132,000.50: 0.50 over; the professor's 3 hours
    // allow 3,000: 500 over. The budget is within.
    let rules: Vec<(FundStage, Option<i64>, &str)> =
        f.flags.iter().map(|x| (x.stage, x.line_id, x.over_yuan.as_str())).collect();
    let lecture_id = f.lines.last().expect("lecture").id;
    assert_eq!(rules, [(FundStage::Expense, None, "0.50"), (FundStage::Expense, Some(lecture_id), "500.00")]);
    assert!(f.flags[1].rule.contains("正高级职称每学时不超过1000元"), "{}", f.flags[1].rule);
    // Each comprehensive expense line is part of the total over the cap; the expenses
    // exceed the budget.
    assert!(
        f.lines
            .iter()
            .filter(|l| l.stage == FundStage::Expense && l.kind == CostKind::Comprehensive)
            .all(|l| f.in_total_over(l))
    );
    assert!(f.lines.iter().filter(|l| l.stage == FundStage::Budget).all(|l| !f.in_total_over(l)));
    assert_eq!(f.over_budget().as_deref(), Some("3500.50"));
    // A first-class venue raises the cap: the comprehensive total is within.
    write(&db.conn, &city, async |tx| funds::set_venue(tx, class.id, "一类培训").await).await.expect("venue");
    let f = funds::of_class(&db.conn, &city, class.id).await.expect("funds");
    assert_eq!((f.cap_yuan.as_str(), f.flags.len()), ("182400.00", 1));

    // Bad input: refused whole with every reason, nothing written.
    let e = write(&db.conn, &city, async |tx| funds::add_line(tx, class.id, &line("", "x", "", "-3")).await)
        .await
        .expect_err("refused");
    let StoreError::Invalid(errs) = e else { panic!("{e:?}") };
    let fields: Vec<&str> = errs.iter().map(|x| x.field).collect();
    assert_eq!(fields, ["stage", "source", "kind", "amount"]);
    assert_eq!(funds::of_class(&db.conn, &city, class.id).await.expect("funds").lines.len(), 5);

    // 云溪区 sends trainees: it sees the class, not its money, and cannot write it.
    let yunxi = county_scope(&db.conn, YUNXI).await;
    assert!(classes::get(&db.conn, &yunxi, class.id).await.is_ok());
    assert!(matches!(funds::of_class(&db.conn, &yunxi, class.id).await, Err(StoreError::NotFound(_))));
    let l = line("expense", "fiscal", "comprehensive", "1");
    let e = write(&db.conn, &yunxi, async |tx| funds::add_line(tx, class.id, &l).await).await.expect_err("not theirs");
    assert!(matches!(e, StoreError::NotFound(_)));
    let e =
        write(&db.conn, &yunxi, async |tx| funds::remove_line(tx, class.id, lecture_id).await).await.expect_err("no");
    assert!(matches!(e, StoreError::NotFound(_)));
    assert!(funds::totals(&db.conn, &yunxi, None).await.expect("totals").is_empty());

    // Totals per campaign, organiser and source.
    let rows = funds::totals(&db.conn, &city, Some(c.id)).await.expect("totals");
    let fiscal = rows.iter().find(|r| r.line_source == FundSource::Fiscal).expect("fiscal");
    assert_eq!((fiscal.budget_fen, fiscal.expense_fen), (10_000_000, 9_000_050 + 350_000));
    assert_eq!(fiscal.campaign.as_deref(), Some("全市村（社区）党组织书记轮训"));
    db.cleanup().await;
}

#[tokio::test]
async fn funds_pages_record_a_line_show_the_breach_and_export_the_totals() {
    let db = seeded().await;
    let c = city_campaign(&db.conn).await;
    let city = county_scope(&db.conn, CITY).await;
    let input = class_input(Some(c.id), "市级示范班第二期", CITY);
    let class = write(&db.conn, &city, async |tx| classes::create(tx, &input).await).await.expect("class");
    let app = signed_in(&db, "zzb", &[AccountRole::OrgStaff], CITY).await;
    let (status, page) = app.get(&format!("/classes/{}", class.id)).await;
    assert!(status == 200 && page.contains(&format!("/classes/{}/funds", class.id)), "{page}");
    let (status, page) = app.get(&format!("/classes/{}/funds", class.id)).await;
    assert!(status == 200 && page.contains("综合定额标准") && page.contains("尚未登记经费明细"), "{page}");
    let path = format!("/classes/{}/funds", class.id);
    let form = [
        ("stage", "expense"),
        ("source", "fiscal"),
        ("kind", "lecture"),
        ("amount", "2600"),
        ("title", "associate"),
        ("hours", "5"),
        ("half_days", "1"),
    ];
    let (status, loc, body) = app.post_form(&path, &form).await;
    assert_eq!(status, 303, "{body}");
    assert_eq!(loc.as_deref(), Some(format!("{path}?done=added").as_str()));
    let (_, page) = app.get(&format!("{path}?done=added")).await;
    assert!(
        page.contains("经费明细已登记") && page.contains("超出开支标准") && page.contains("每半天不超过4学时"),
        "{page}"
    );
    // A bad amount: the form again with the reason, nothing written.
    let (status, _, body) = app
        .post_form(&path, &[("stage", "budget"), ("source", "fiscal"), ("kind", "comprehensive"), ("amount", "一万")])
        .await;
    assert_eq!(status, 422);
    assert!(body.contains("金额“一万”格式有误"), "{body}");
    let (status, page) = app.get("/funds").await;
    assert!(status == 200 && page.contains("全市村（社区）党组织书记轮训") && page.contains("2600.00"), "{page}");
    let csrf = app.csrf().await;
    let r = app.raw.post(app.url("/funds/export")).form(&[("_csrf", csrf.as_str())]).send().await.expect("export");
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.expect("bytes");
    let wb = xuepei_office::read::Workbook::open(xuepei_office::read::Source::Bytes(bytes.to_vec())).expect("xlsx");
    assert_eq!(wb.sheet_names(), ["培训经费"]);
    // Another county's staff: not found.
    let other = signed_in(&db, "qyzzb", &[AccountRole::OrgStaff], QUYUAN).await;
    assert_eq!(other.get(&path).await.0, 404);
    assert_eq!(other.post_form(&path, &form).await.0, 404);
    db.cleanup().await;
}

#[tokio::test]
async fn a_county_tightens_the_fee_caps_for_its_classes_never_loosens_them() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let input = ClassInput { allocations: vec![], ..class_input(None, "云溪区村干部培训班", YUNXI) };
    let class = write(&db.conn, &yunxi, async |tx| classes::create(tx, &input).await).await.expect("class");
    write(&db.conn, &yunxi, async |tx| {
        funds::add_line(tx, class.id, &line("budget", "fiscal", "comprehensive", "120000")).await
    })
    .await
    .expect("line");
    // The national caps: 60 × 4 × 550 = 132,000, within.
    let f = funds::of_class(&db.conn, &yunxi, class.id).await.expect("funds");
    assert!(f.flags.is_empty() && f.caps_set_by.is_empty(), "{:?}", f.flags);

    let county = signed_in(&db, "yxcw", &[AccountRole::OrgStaff], YUNXI).await;
    let (status, page) = county.get("/funds/caps").await;
    assert!(status == 200 && page.contains("国家标准（默认）") && page.contains("value=\"550\""), "{page}");
    let mut fields: Vec<(String, String)> =
        xuepei_domain::training::funding::FeeCaps::default().fields().into_iter().collect();
    let set = |fields: &mut Vec<(String, String)>, k: &str, v: &str| {
        fields.iter_mut().filter(|f| f.0 == k).for_each(|f| f.1 = v.to_owned());
    };
    // Looser than the national caps, and not a number: refused whole with the reasons.
    set(&mut fields, "day_third", "600");
    set(&mut fields, "hour_full", "千");
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, _, page) = county.post_form("/funds/caps", &form).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("不能高于上级标准550") && page.contains("讲课费应为整数"), "{page}");
    assert!(funds::of_class(&db.conn, &yunxi, class.id).await.expect("funds").caps_set_by.is_empty());
    // Tighter: 450 a day for the third class. The county's class is now over its cap.
    set(&mut fields, "day_third", "450");
    set(&mut fields, "hour_full", "800");
    let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (status, loc, _) = county.post_form("/funds/caps", &form).await;
    assert_eq!((status, loc.as_deref()), (303, Some("/funds/caps?done=set")));
    let f = funds::of_class(&db.conn, &yunxi, class.id).await.expect("funds");
    assert_eq!((f.cap_yuan.as_str(), f.caps_set_by.len()), ("108000.00", 1), "60 × 4 × 450");
    assert_eq!(f.flags.len(), 1, "{:?}", f.flags);
    let (_, page) = county.get(&format!("/classes/{}/funds", class.id)).await;
    assert!(page.contains("执行云溪区设定的标准"), "{page}");
    // A town of the county may tighten further but not exceed the county's 450.
    let town = Scope::of_org(&db.conn, by_code(&db.conn, "430603001").await.id).await.expect("town");
    let mut f2 = xuepei_domain::training::funding::FeeCaps::default().fields();
    let e = write(&db.conn, &town, async |tx| xuepei_store::fee_caps::set(tx, &f2).await).await.expect_err("looser");
    assert!(
        matches!(&e, StoreError::Invalid(errs) if errs.iter().any(|x| x.field == "day_third" && x.message.contains("450"))),
        "{e:?}"
    );
    f2.insert("day_third".into(), "400".into());
    f2.insert("hour_full".into(), "800".into());
    write(&db.conn, &town, async |tx| xuepei_store::fee_caps::set(tx, &f2).await).await.expect("tighter");
    // The city's classes keep the national caps; the county's trail has the change.
    let city = county_scope(&db.conn, CITY).await;
    assert!(xuepei_store::fee_caps::of_scope(&db.conn, &city).await.expect("city").here.set_by.is_empty());
    let trail = xuepei_store::audit::search(
        &db.conn,
        &Scope::system(),
        &xuepei_store::audit::AuditFilter { action: Some("funds.caps".into()), ..Default::default() },
        None,
        10,
    )
    .await
    .expect("trail")
    .items;
    assert_eq!(trail.len(), 2);
    // Back to the caps above: the class is within again.
    let (status, loc, _) = county.post_form("/funds/caps/reset", &[]).await;
    assert_eq!((status, loc.as_deref()), (303, Some("/funds/caps?done=reset")));
    assert!(funds::of_class(&db.conn, &yunxi, class.id).await.expect("funds").flags.is_empty());
    let (status, _, body) = county.post_form("/funds/caps/reset", &[]).await;
    assert_eq!(status, 409, "nothing of its own to drop: {body}");
    // A trainee's account may not set caps.
    let viewer = signed_in(&db, "yxjg", &[AccountRole::TrainingInstitution], YUNXI).await;
    assert_eq!(viewer.post_form("/funds/caps", &form).await.0, 403);
}

#[tokio::test]
async fn a_completed_class_has_its_books_closed() {
    use crate::enrolments::{attend, city_class, people_of, seven_sessions};
    use xuepei_store::enrolments::{self, PersonRef};
    let db = seeded().await;
    let sys = Scope::system();
    let c = city_class(&db.conn, "市级示范班（结算）", 30).await;
    let sessions = seven_sessions(&db.conn, c.id).await;
    let p: Vec<i64> = people_of(&db.conn, YUNXI, 2).await.into_iter().map(|x| x.0).collect();
    write(&db.conn, &sys, async |tx| {
        enrolments::enrol(tx, c.id, &p.iter().map(|&i| PersonRef::Id(i)).collect::<Vec<_>>()).await
    })
    .await
    .expect("enrol");
    let city = county_scope(&db.conn, CITY).await;
    let l = line("expense", "fiscal", "comprehensive", "800");
    let kept = write(&db.conn, &city, async |tx| funds::add_line(tx, c.id, &l).await).await.expect("while open");
    attend(&db.conn, &sessions, &p, &[]).await;
    write(&db.conn, &sys, async |tx| enrolments::complete(tx, c.id).await).await.expect("complete");

    // Completion settles the books: no line added or removed, no venue changed.
    let e = write(&db.conn, &city, async |tx| funds::add_line(tx, c.id, &l).await).await.expect_err("closed");
    assert!(matches!(&e, StoreError::Conflict(m) if m.contains("结业") && m.contains("经费账目已结清")), "{e:?}");
    let e = write(&db.conn, &city, async |tx| funds::remove_line(tx, c.id, kept.id).await).await.expect_err("closed");
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    let e = write(&db.conn, &city, async |tx| funds::set_venue(tx, c.id, "first").await).await.expect_err("closed");
    assert!(matches!(e, StoreError::Conflict(_)), "{e:?}");
    let f = funds::of_class(&db.conn, &city, c.id).await.expect("still readable");
    assert!(f.settled());
    assert_eq!((f.lines.len(), f.venue), (1, None), "nothing written");

    // Through the page: the forms are gone, a post is refused with the reason.
    let app = signed_in(&db, "zzb", &[AccountRole::OrgStaff], CITY).await;
    let path = format!("/classes/{}/funds", c.id);
    let (status, page) = app.get(&path).await;
    assert!(status == 200 && page.contains("经费账目已结清") && !page.contains("id=\"fund-form\""), "{page}");
    let form = [("stage", "expense"), ("source", "fiscal"), ("kind", "comprehensive"), ("amount", "100")];
    let (status, _, body) = app.post_form(&path, &form).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("已办理结业") && body.contains("经费账目已结清"), "{body}");
    let (status, _, body) = app.post_form(&format!("{path}/{}/delete", kept.id), &[]).await;
    assert!(status == 422 && body.contains("已办理结业"), "{body}");
    assert_eq!(funds::of_class(&db.conn, &city, c.id).await.expect("funds").lines.len(), 1);
    db.cleanup().await;
}
