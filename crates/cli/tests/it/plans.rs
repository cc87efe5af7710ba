//! Batch planning (分期分批): the planner over a county's target list, adjusted and accepted
//! into classes and enrolments in one transaction, refused whole with Chinese reasons, and
//! invisible to another county.

use chrono::{Datelike, NaiveDate, Weekday};
use xuepei_domain::accounts::AccountRole;
use xuepei_domain::org::Sector;
use xuepei_domain::people::Role;
use xuepei_domain::training::planner;
use xuepei_domain::training::rules::TargetFilter;
use xuepei_store::classes;
use xuepei_store::plans::{self, Adjustment, PlanParams, PlanStatus};
use xuepei_store::targets::{self, ProgressFilter, TargetQuery};
use xuepei_store::{Scope, StoreError};

use crate::support::*;

fn day(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// A county campaign for its village and community secretaries.
async fn campaign(db: &xuepei_store::DatabaseConnection) -> i64 {
    let scope = county_scope(db, YUNXI).await;
    let mut input = crate::campaigns::input("云溪区村（社区）书记轮训", YUNXI, &[]);
    input.target = TargetFilter {
        sectors: vec![Sector::Village, Sector::Community],
        roles: vec![Role::Secretary],
        ..TargetFilter::default()
    };
    write(db, &scope, async |tx| xuepei_store::campaigns::create(tx, &input).await).await.expect("campaign").id
}

fn params(batch_days: u32, capacity: u32) -> PlanParams {
    PlanParams {
        organiser: YUNXI.into(),
        title: "2026年村（社区）党组织书记轮训班".into(),
        level: "county".into(),
        institution: "中共云溪区委党校".into(),
        start: day(2026, 3, 2),
        end: day(2026, 6, 30),
        batch_days: Some(batch_days),
        capacity: Some(capacity),
        venues: Some(1),
        weekends_off: true,
        max_org_share: "1/1".into(),
        ..PlanParams::default()
    }
}

fn refusal(e: StoreError) -> String {
    match e {
        StoreError::Invalid(errs) => errs.into_iter().map(|e| e.message).collect::<Vec<_>>().join("；"),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[tokio::test]
async fn a_county_plans_its_secretaries_adjusts_and_accepts_the_batches() {
    let db = seeded().await;
    let id = campaign(&db.conn).await;
    let scope = county_scope(&db.conn, YUNXI).await;
    let q = TargetQuery {
        campaign_id: id,
        organiser: Some(by_code(&db.conn, YUNXI).await.id),
        progress: Some(ProgressFilter::NotPlanned),
        ..TargetQuery::default()
    };
    let target = targets::count(&db.conn, &scope, &q).await.expect("count").value;
    assert!(target >= 6, "the seed holds secretaries to plan ({target})");

    // Two days is outside the 3–5 days the campaign's rule gives secretaries.
    let e = write(&db.conn, &scope, async |tx| plans::propose(tx, id, &params(2, 4)).await).await.expect_err("2 days");
    assert!(refusal(e).contains("3至5天"), "the rule is named");

    let p = write(&db.conn, &scope, async |tx| plans::propose(tx, id, &params(3, 4)).await).await.expect("plan");
    assert_eq!(p.status, PlanStatus::Draft);
    assert_eq!(p.input.trainees.len() as u64, target, "the whole not-yet-planned target list");
    assert!(planner::check(&p.input, &p.proposal).is_empty(), "no hard constraint broken");
    let placed: usize = p.proposal.batches.iter().map(|b| b.trainees.len()).sum();
    assert_eq!(placed + p.proposal.unplaced.len(), p.input.trainees.len());
    for b in &p.proposal.batches {
        assert!(b.trainees.len() <= 4);
        assert_eq!(b.days(), 3);
        let mut d = b.start;
        while d <= b.end {
            assert!(!matches!(d.weekday(), Weekday::Sat | Weekday::Sun), "no class on a weekend: {d}");
            d = d.succ_opt().expect("day");
        }
    }
    assert!(p.proposal.batches.len() >= 2);

    // Split a batch, move someone into the new one, and refuse a merge that would pass
    // the capacity.
    let before = p.proposal.batches.len();
    let p = write(&db.conn, &scope, async |tx| plans::adjust(tx, p.id, Adjustment::Split { batch: 1, count: 1 }).await)
        .await
        .map_err(refusal)
        .expect("split");
    assert_eq!(p.proposal.batches.len(), before + 1);
    let fresh = p.proposal.batches.iter().position(|b| b.trainees.len() == 1).expect("the new batch");
    let someone = p.proposal.batches[0].trainees[0];
    let p = write(&db.conn, &scope, async |tx| {
        plans::adjust(tx, p.id, Adjustment::Move { trainee: someone, to: fresh }).await
    })
    .await
    .map_err(refusal)
    .expect("move");
    assert!(p.proposal.batches.iter().any(|b| b.trainees.contains(&someone) && b.trainees.len() == 2));
    let full = p.proposal.batches.iter().position(|b| b.trainees.len() == 4);
    if let Some(full) = full {
        let other = (0..p.proposal.batches.len()).find(|&i| i != full).expect("another batch");
        let e = write(&db.conn, &scope, async |tx| {
            plans::adjust(tx, p.id, Adjustment::Merge { into: full, from: other }).await
        })
        .await
        .expect_err("over capacity");
        assert!(refusal(e).contains("人"), "the capacity is named");
    }
    assert!(planner::check(&p.input, &p.proposal).is_empty());

    // Accepting creates one class per batch with its people enrolled.
    let made =
        write(&db.conn, &scope, async |tx| plans::accept(tx, p.id).await).await.map_err(refusal).expect("accept");
    assert_eq!(made.len(), p.proposal.batches.len());
    let listed = classes::list_for_campaign(&db.conn, &scope, id).await.expect("classes");
    assert_eq!(listed.len(), made.len());
    for (i, b) in p.proposal.batches.iter().enumerate() {
        let c = listed.iter().find(|c| c.id == made[i]).expect("class");
        assert_eq!((c.start_on, c.end_on), (b.start, b.end));
        assert!(c.title.ends_with(&format!("第{}期", i + 1)));
        let roster = xuepei_store::enrolments::counts(&db.conn, &scope, c.id).await.expect("counts");
        assert_eq!(roster.get("enrolled").copied().unwrap_or(0), b.trainees.len() as u64);
    }
    let left = targets::count(&db.conn, &scope, &q).await.expect("count").value;
    assert_eq!(left, p.proposal.unplaced.len() as u64, "only the unplaced are still to plan");

    // An accepted plan is not adjusted again.
    let e =
        write(&db.conn, &scope, async |tx| plans::adjust(tx, p.id, Adjustment::Move { trainee: someone, to: 0 }).await)
            .await
            .expect_err("accepted");
    assert!(matches!(e, StoreError::Forbidden(_)));
}

#[tokio::test]
async fn a_plan_whose_class_is_refused_writes_nothing() {
    let db = seeded().await;
    let id = campaign(&db.conn).await;
    let scope = county_scope(&db.conn, YUNXI).await;
    let p = write(&db.conn, &scope, async |tx| plans::propose(tx, id, &params(3, 4)).await).await.expect("plan");
    // A batch whose dates reach outside the campaign once it is shortened: the class of the
    // last batch is refused, so no class of the plan is created.
    let mut input = crate::campaigns::input("云溪区村（社区）书记轮训", YUNXI, &[]);
    input.end = Some(p.proposal.batches[0].end);
    input.target.sectors = vec![Sector::Village, Sector::Community];
    input.target.roles = vec![Role::Secretary];
    write(&db.conn, &scope, async |tx| xuepei_store::campaigns::update(tx, id, &input).await).await.expect("shorten");
    let e = write(&db.conn, &scope, async |tx| plans::accept(tx, p.id).await).await.expect_err("refused");
    assert!(refusal(e).contains("期"), "the batch is named");
    assert!(classes::list_for_campaign(&db.conn, &scope, id).await.expect("classes").is_empty());
    assert_eq!(plans::get(&db.conn, &scope, p.id).await.expect("plan").status, PlanStatus::Draft);
}

#[tokio::test]
async fn bad_planner_input_is_refused_with_every_reason() {
    let db = seeded().await;
    let id = campaign(&db.conn).await;
    let scope = county_scope(&db.conn, YUNXI).await;
    let bad = PlanParams {
        organiser: QUYUAN.into(),
        start: day(2026, 6, 1),
        end: day(2026, 5, 1),
        capacity: Some(0),
        max_org_share: "2/1".into(),
        ..params(3, 4)
    };
    let msg = refusal(write(&db.conn, &scope, async |tx| plans::propose(tx, id, &bad).await).await.expect_err("bad"));
    for part in ["不在您的管理范围内", "早于开始日期", "每期人数上限"] {
        assert!(msg.contains(part), "{part} in {msg}");
    }
    // Nobody can be placed in a window too short for one batch: each is reported with why.
    let short = PlanParams { start: day(2026, 3, 6), end: day(2026, 3, 8), ..params(3, 4) };
    let p = write(&db.conn, &scope, async |tx| plans::propose(tx, id, &short).await).await.expect("plan");
    assert!(p.proposal.batches.is_empty());
    assert_eq!(p.proposal.unplaced.len(), p.input.trainees.len());
    assert!(p.proposal.unplaced.iter().all(|u| !u.reason.is_empty()));
    let e = write(&db.conn, &scope, async |tx| plans::accept(tx, p.id).await).await.expect_err("empty");
    assert!(refusal(e).contains("没有任何一期"));
}

#[tokio::test]
async fn another_county_finds_no_trace_of_a_plan() {
    let db = seeded().await;
    let id = campaign(&db.conn).await;
    let scope = county_scope(&db.conn, YUNXI).await;
    let p = write(&db.conn, &scope, async |tx| plans::propose(tx, id, &params(3, 4)).await).await.expect("plan");
    let other = county_scope(&db.conn, QUYUAN).await;
    assert!(matches!(plans::get(&db.conn, &other, p.id).await, Err(StoreError::NotFound(_))));
    let e = write(&db.conn, &other, async |tx| plans::accept(tx, p.id).await).await.expect_err("not found");
    assert!(matches!(e, StoreError::NotFound(_)));
    assert!(plans::get(&db.conn, &Scope::system(), p.id).await.is_ok());

    // Through the pages: the organiser's account plans, adjusts and sees its plan; the other
    // county's account gets 404.
    let app = signed_in(&db, "ystaff", &[AccountRole::OrgStaff], YUNXI).await;
    let (status, body) = app.get(&format!("/plans/{}", p.id)).await;
    assert_eq!(status, 200);
    assert!(body.contains("第1期") && body.contains("确认方案并生成班次"), "{body}");
    let (status, _, _) =
        app.post_form(&format!("/plans/{}/adjust", p.id), &[("action", "split"), ("batch", "1"), ("count", "1")]).await;
    assert_eq!(status, 303, "a split through the page");
    let (status, _) = app.get(&format!("/campaigns/{id}/plans/new")).await;
    assert_eq!(status, 200);
    let (status, _, body) = app
        .post_form(
            &format!("/campaigns/{id}/plans"),
            &[
                ("organiser", YUNXI),
                ("title", "二批"),
                ("level", "county"),
                ("start", "2026-03-02"),
                ("end", "2026-02-01"),
                ("batch_days", "3"),
                ("capacity", "x"),
                ("venues", "1"),
            ],
        )
        .await;
    assert_eq!(status, 422, "the form is shown again");
    assert!(body.contains("早于开始日期") && body.contains("每期人数上限应为整数"), "{body}");
    let other_app = signed_in(&db, "qstaff", &[AccountRole::OrgStaff], QUYUAN).await;
    let (status, body) = other_app.get(&format!("/plans/{}", p.id)).await;
    assert_eq!(status, 404);
    assert!(!body.contains("轮训班"));
}
