//! The demo's data: the real divisions of 岳阳市 and a roster for every body.

use xuepei_domain::org::Sector;
use xuepei_domain::people::Role;
use xuepei_store::Scope;
use xuepei_store::org::{self, OrgFilter};
use xuepei_store::people::{self, PersonFilter};
use xuepei_testkit::TestDb;

#[tokio::test]
async fn the_demo_holds_the_real_yueyang_tree_with_people_everywhere() {
    let db = TestDb::new().await;
    let s = xuepei::demo::seed(&db.conn, 1, None).await.expect("seed");
    let sys = Scope::system();
    let count = |sector| {
        let f = OrgFilter { sector: Some(sector), ..Default::default() };
        let conn = db.conn.clone();
        async move { org::count(&conn, &Scope::system(), &f).await.expect("count") }
    };
    let villages = count(Sector::Village).await + count(Sector::Community).await;
    let towns = count(Sector::Township).await + count(Sector::Street).await;
    assert_eq!(villages, 1899);
    assert_eq!(towns, 138);
    let city = org::get_by_code(&db.conn, &sys, "430600").await.expect("city");
    let counties: Vec<_> = org::children(&db.conn, &sys, Some(city.id), false)
        .await
        .expect("children")
        .into_iter()
        .filter(|n| n.org.code.len() == 6)
        .collect();
    assert_eq!(counties.len(), 10);
    assert!(counties.iter().any(|c| c.org.short_name.as_deref() == Some("平江县")));
    let secretaries =
        people::count(&db.conn, &sys, &PersonFilter { role: Some(Role::Secretary), ..Default::default() })
            .await
            .expect("count");
    // One secretary for every village, community, town, street, county and the city.
    assert_eq!(secretaries.value, 1899 + 138 + 10 + 1);
    assert!(s.people > 8000, "{}", s.people);
    assert!(s.orgs > 2000);
    // The campaigns of seeds 002 and 000, seen from a county inside the city.
    assert_eq!(xuepei::demo::seed_campaigns(&db.conn).await.expect("campaigns"), 2);
    let county = Scope::of_org(&db.conn, counties[0].org.id).await.expect("scope");
    let seen = xuepei_store::campaigns::list(&db.conn, &county, xuepei_store::page::At::First, 10).await.expect("list");
    assert_eq!(seen.items.len(), 2);
    // The province demonstration class and the city classes, with timetables and pools.
    assert_eq!(xuepei::demo::seed_classes(&db.conn).await.expect("classes"), 3);
    let city_classes = xuepei_store::classes::list(
        &db.conn,
        &county,
        &xuepei_store::classes::ClassFilter::default(),
        xuepei_store::page::At::First,
        50,
    )
    .await
    .expect("classes")
    .items;
    assert_eq!(city_classes.len(), 3, "a county sees the classes it has places in");
    let mut modes = std::collections::BTreeSet::new();
    for c in &city_classes {
        let timetable = xuepei_store::classes::sessions::list(&db.conn, &county, c.id).await.expect("timetable");
        modes.extend(timetable.iter().map(|s| s.mode));
        assert!(xuepei_store::classes::class_hours(&db.conn, c.id).await.expect("hours").hundredths() > 0);
    }
    assert_eq!(modes.len(), 6, "all six teaching modes");
    // The city class's money is entered while it runs.
    let said = xuepei::demo_funds::seed_funds(&db.conn).await.expect("funds");
    assert!(said.contains("6条"), "{said}");
    // The campaign in progress: the counties' batches planned, half of them held.
    let t =
        xuepei::demo_training::seed_training(&db.conn, xuepei::demo::DEMO_TRAINING_COUNTIES).await.expect("training");
    assert!(t.classes >= 3 && t.enrolled > 100, "{t:?}");
    assert!(t.completed > 0 && (t.completed as usize) < t.enrolled, "partial: {t:?}");
    let yunxi = Scope::of_org(&db.conn, org::get_by_code(&db.conn, &sys, "430603").await.expect("county").id)
        .await
        .expect("scope");
    let classes = xuepei_store::classes::list_for_campaign(&db.conn, &yunxi, seen.items[1].id.min(seen.items[0].id))
        .await
        .expect("classes");
    // Its own batches, and the city's classes it sends trainees to.
    let (own, above): (Vec<_>, Vec<_>) = classes.iter().partition(|c| c.organiser.code == "430603");
    assert!(!own.is_empty() && own.iter().all(|c| c.title.contains("云溪区")), "a county sees its own batches");
    assert!(above.iter().all(|c| c.organiser.code == "430600"), "and the city's classes with its places");
    // Quotas both met and not met: 云溪区 sent its village secretaries to the city class.
    let campaign = seen.items[1].id.min(seen.items[0].id);
    let village_quota = |c: &xuepei_store::coverage::Coverage| c.quotas[0].result.met;
    let met = xuepei_store::coverage::summary(&db.conn, &yunxi, campaign, None).await.expect("coverage");
    assert_eq!(village_quota(&met), Some(true), "{:?}", met.quotas[0]);
    let yyl = Scope::of_org(&db.conn, org::get_by_code(&db.conn, &sys, "430602").await.expect("county").id)
        .await
        .expect("scope");
    let missed = xuepei_store::coverage::summary(&db.conn, &yyl, campaign, None).await.expect("coverage");
    assert_eq!(village_quota(&missed), Some(false), "{:?}", missed.quotas[0]);
    // The city class's funds, settled when it completes: budget and expenses, one lecture
    // fee above the cap.
    let city = Scope::of_org(&db.conn, org::get_by_code(&db.conn, &sys, "430600").await.expect("city").id)
        .await
        .expect("scope");
    let rows = xuepei_store::funds::totals(&db.conn, &city, Some(campaign)).await.expect("totals");
    assert!(rows.iter().any(|r| r.budget_fen > 0) && rows.iter().any(|r| r.expense_fen > 0), "{rows:?}");
    let class = above.iter().find(|c| c.title.contains("城区社区和村")).expect("the city class");
    let f = xuepei_store::funds::of_class(&db.conn, &city, class.id).await.expect("funds");
    assert_eq!(f.flags.len(), 1, "{:?}", f.flags);
    assert!(f.flags[0].rule.contains("讲课费"), "{:?}", f.flags);
    assert!(f.settled(), "the city class has completed: its books are closed");
    // Plans filed with the city: on time, late, returned, awaiting; the rest not yet filed.
    xuepei::demo_filings::seed_filings(&db.conn).await.expect("filings");
    let b = xuepei_store::filings::board(&db.conn, &city, campaign, xuepei_domain::time::today()).await.expect("board");
    let counties = ["430602", "430603", "430611", "430621", "430623", "430624", "430626", "430671", "430681", "430682"];
    for code in counties {
        let r = b.rows.iter().find(|r| r.filer.org.code == code).expect("every county files");
        assert_eq!(r.filer.receiver.code, "430600", "with the city");
    }
    let plan = |code: &str| b.rows.iter().find(|r| r.filer.org.code == code).expect("county").duties[0].clone();
    use xuepei_domain::training::filing::FilingState::*;
    let state = |code: &str| plan(code).current.map(|f| f.state);
    assert_eq!((state("430602"), plan("430602").days_late), (Some(Filed), 0));
    assert_eq!((state("430611"), plan("430611").days_late), (Some(Filed), 7));
    assert_eq!(state("430621"), Some(Returned));
    assert_eq!(state("430623"), Some(Submitted));
    assert_eq!(state("430626"), None);
    assert!(plan("430626").days_late > 0, "not filed, late");
    // 云溪区's first progress report, drafted from its classes and attendance.
    let yunxi = b.rows.iter().find(|r| r.filer.org.code == "430603").expect("yunxi");
    let report = yunxi
        .duties
        .iter()
        .find(|d| d.kind == xuepei_domain::training::filing::FilingKind::Progress && d.period == 1)
        .and_then(|d| d.current.clone())
        .expect("a drafted progress report");
    assert_eq!(report.state, Draft);
    assert!(report.body.contains("一、基本情况") && report.body.contains("出勤率"), "{}", report.body);
    assert!(report.drafted.is_some_and(|d| d.figures.len() > 10));
    // Practice bases: 平江县 has its 5 + 5, the others fall short; the city accredited four.
    xuepei::demo_bases::seed_bases(&db.conn).await.expect("bases");
    let year: i32 = xuepei_domain::time::today().format("%Y").to_string().parse().expect("year");
    let t = xuepei_store::bases::tallies(&db.conn, &city, year).await.expect("tallies");
    let of = |c: &str| t.iter().find(|x| x.county.code == c).expect("county").clone();
    assert!(of("430626").county_met() && !of("430602").county_met() && !of("430603").county_met());
    assert_eq!(t.iter().map(|x| x.city_accredited.0 + x.city_accredited.1).sum::<u32>(), 4);
    assert_eq!(of("430602").recommended, (1, 2), "岳阳楼区's quota, used");
    db.cleanup().await;
}
