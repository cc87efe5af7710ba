//! The organisation tree: subtree totals, moves, cycles, deactivation, scope isolation,
//! and that subtree queries are served by the path index on every backend.

use xuepei_domain::org::{OrgKind, Sector};
use xuepei_store::org::{self, OrgFilter, OrgInput};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter};
use xuepei_store::{Scope, StoreError};

use crate::support::*;

pub(crate) fn input(code: &str, name: &str, parent: i64) -> OrgInput {
    OrgInput {
        code: code.into(),
        name: name.into(),
        short_name: None,
        kind: OrgKind::Branch,
        sector: Sector::Organ,
        parent_id: Some(parent),
        authority_org_id: None,
    }
}

#[tokio::test]
async fn subtree_totals_come_from_the_counters() {
    let db = seeded().await;
    let sys = Scope::system();
    let county = by_code(&db.conn, YUNXI).await;
    let totals = org::subtree_totals(&db.conn, &sys, county.id).await.expect("totals");
    let people_count = people::count(&db.conn, &sys, &PersonFilter { under: Some(county.id), ..Default::default() })
        .await
        .expect("count");
    assert_eq!(totals.people as u64, people_count.value);
    // 云溪区 itself, its 2 departments, 5 towns and streets, 56 villages and communities.
    assert_eq!(totals.orgs, 1 + 2 + 5 + 56);
    let kids = org::children(&db.conn, &sys, Some(county.id), false).await.expect("children");
    assert_eq!(kids.len(), 7);
    let sum: i64 = kids.iter().map(|k| k.people).sum::<i64>() + county.person_count;
    assert_eq!(sum, totals.people);
    db.cleanup().await;
}

#[tokio::test]
async fn moving_a_subtree_carries_its_organisations_and_people() {
    let db = seeded().await;
    let sys = Scope::system();
    let town = by_code(&db.conn, "430603001").await; // 长岭街道
    let village = by_code(&db.conn, JINGZHU).await;
    let target = by_code(&db.conn, "430603101").await; // 陆城镇
    let moved = write(&db.conn, &sys, async |tx| org::move_subtree(tx, town.id, target.id).await).await.expect("move");
    assert!(moved.path.starts_with(&target.path));
    assert_eq!(moved.depth, target.depth + 1);
    let village_after = org::get(&db.conn, &sys, village.id).await.expect("village");
    assert!(village_after.path.starts_with(&moved.path), "descendant path rewritten");
    assert_eq!(village_after.depth, village.depth + 1);
    // The village's secretary is now found under the new parent by a real query.
    let f = PersonFilter {
        under: Some(target.id),
        role: Some(xuepei_domain::people::Role::Secretary),
        ..Default::default()
    };
    let mut found = false;
    let mut after: Option<String> = None;
    loop {
        let page =
            people::list(&db.conn, &sys, &f, Default::default(), At::after(after.as_deref()), 100).await.expect("list");
        found |= page.items.iter().any(|r| r.person.org_id == village.id);
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert!(found, "people follow their organisation");
    let old_parent =
        org::subtree_totals(&db.conn, &Scope::system(), by_code(&db.conn, YUNXI).await.id).await.expect("totals");
    assert_eq!(old_parent.orgs, 1 + 2 + 5 + 56, "still inside the county");
    db.cleanup().await;
}

/// The path registry: after a move, every table that copies an organisation's path agrees
/// with the tree. Every registered table must hold rows inside the moved subtree here, so
/// a module that registers a table must also seed it in this scenario.
#[tokio::test]
async fn every_registered_path_copy_follows_a_move() {
    let db = seeded().await;
    let sys = Scope::system();
    let town = by_code(&db.conn, "430603001").await; // 长岭街道, with its villages' people
    let town_scope = Scope::of_org(&db.conn, town.id).await.expect("scope");
    let upload = xuepei_store::uploads::save(&db.conn, &town_scope, 1, "people", "名册.xlsx", b"x".to_vec())
        .await
        .expect("upload");
    // A campaign issued by the town that targets one of its villages: both tables copy paths.
    let campaign = write(&db.conn, &sys, async |tx| {
        xuepei_store::campaigns::create(tx, &crate::campaigns::input("街道轮训", "430603001", &[JINGZHU])).await
    })
    .await
    .expect("campaign");
    // Its coverage counts (a row per organisation with target people) copy paths too.
    xuepei_store::coverage::summary(&db.conn, &sys, campaign.id, None).await.expect("coverage");
    // A batch plan of the county for it (the county trains the village's people).
    write(&db.conn, &county_scope(&db.conn, YUNXI).await, async |tx| {
        let p = xuepei_store::plans::PlanParams {
            organiser: YUNXI.into(),
            title: "街道轮训班".into(),
            level: "unit".into(),
            start: campaign.start_on.into(),
            end: campaign.end_on.into(),
            batch_days: Some(3),
            capacity: Some(50),
            venues: Some(1),
            weekends_off: true,
            ..Default::default()
        };
        xuepei_store::plans::propose(tx, campaign.id, &p).await
    })
    .await
    .expect("plan");
    // A class of the town with one of its villagers enrolled: enrolments copy the path.
    let villager = crate::enrolments::people_of(&db.conn, JINGZHU, 1).await;
    write(&db.conn, &sys, async |tx| {
        let input = xuepei_store::classes::ClassInput {
            level: "county".into(),
            // Places for a village, delivered by it (an institution of the tree): both copy paths.
            allocations: vec![(JINGZHU.into(), 5)],
            institution_org: JINGZHU.into(),
            ..crate::classes::class_input(None, "街道书记班", "430603001")
        };
        let c = xuepei_store::classes::create(tx, &input).await?;
        // The town's instructor pool and venue list copy the town's path.
        let town_code = "430603001".to_owned();
        xuepei_store::classes::venues::create(
            tx,
            &xuepei_store::classes::venues::VenueInput {
                org: town_code.clone(),
                name: "街道党校教室".into(),
                kind: "classroom".into(),
                ..Default::default()
            },
        )
        .await?;
        xuepei_store::classes::instructors::create(
            tx,
            &xuepei_store::classes::instructors::InstructorInput {
                org: town_code,
                name: "街道讲师".into(),
                kind: "teacher".into(),
                ..Default::default()
            },
        )
        .await?;
        // Its funds copy the organiser's path.
        let l = xuepei_domain::training::funding::LineFields {
            stage: "budget".into(),
            source: "fiscal".into(),
            kind: "comprehensive".into(),
            amount: "1000".into(),
            ..Default::default()
        };
        xuepei_store::funds::add_line(tx, c.id, &l).await?;
        xuepei_store::funds::set_venue(tx, c.id, "third").await?;
        xuepei_store::enrolments::enrol(tx, c.id, &[xuepei_store::enrolments::PersonRef::Id(villager[0].0)]).await
    })
    .await
    .expect("enrolment");
    // A committee meeting of the town with a work measure: both copy the town's path.
    crate::meetings::seed_meeting(&db.conn, "430603001", chrono::NaiveDate::from_ymd_opt(2025, 5, 6).expect("day"))
        .await;
    crate::study_logs::seed_under_town(&db.conn).await;
    crate::study_groups::seed_under_town(&db.conn).await;
    // The county files its plan for a city campaign on a route the city set, with an
    // attachment: routes, duties, filings and files copy the county's and the city's paths.
    let c = crate::classes::city_campaign(&db.conn).await;
    write(&db.conn, &sys, async |tx| {
        use xuepei_store::filings;
        filings::set_route(tx, c.id, YUNXI, crate::classes::CITY).await?;
        filings::set_terms(tx, c.id, "monthly", "", None).await
    })
    .await
    .expect("route");
    write(&db.conn, &county_scope(&db.conn, YUNXI).await, async |tx| {
        use xuepei_store::filings;
        let input = filings::FilingInput {
            org: YUNXI.into(),
            kind: "plan".into(),
            title: "云溪区实施方案".into(),
            ..Default::default()
        };
        let f = filings::create(tx, c.id, &input).await?;
        filings::add_file(tx, f.id, "方案.pdf", b"%PDF".to_vec()).await?;
        filings::submit(tx, f.id).await
    })
    .await
    .expect("filing");
    // A practice base of a village of the town, and the county's quota: both copy paths.
    write(&db.conn, &sys, async |tx| xuepei_store::bases::set_quota(tx, YUNXI, "2026", "1", "1").await)
        .await
        .expect("quota");
    write(&db.conn, &county_scope(&db.conn, YUNXI).await, async |tx| {
        let input = xuepei_store::bases::BaseInput {
            org: JINGZHU.into(),
            name: "荆竹村实践基地".into(),
            kind: "village".into(),
            ..Default::default()
        };
        let b = xuepei_store::bases::create(tx, &input).await?;
        xuepei_store::base_files::add(tx, b.id, "venue", "培训室.png", b"\x89PNG\r\n\x1a\n".to_vec()).await
    })
    .await
    .expect("base and its evidence");
    // A material of the town, indexed for search: the material, its document and postings.
    crate::materials::seed_material(&db.conn, "430603001", "街道学习资料", "街道党建学习").await;
    // A certificate of the villager's hours, issued by the town: it copies the town's path.
    write(&db.conn, &sys, async |tx| {
        let input = xuepei_store::credits::ClaimInput {
            person_id: villager[0].0,
            title: "乡村振兴专题培训".into(),
            date: "2025-05-20".into(),
            hours: "8".into(),
            provider: "区委党校".into(),
            note: String::new(),
            evidence_upload_id: None,
        };
        let r = xuepei_store::credits::claim(tx, None, &input).await?;
        xuepei_store::credits::review(tx, r.id, true, "").await
    })
    .await
    .expect("hours");
    write(&db.conn, &Scope::of_org(&db.conn, town.id).await.expect("town"), async |tx| {
        xuepei_store::certificates::issue_hours(tx, villager[0].0, 2025).await
    })
    .await
    .expect("certificate");
    // The county's own fee caps: they copy its path.
    write(&db.conn, &county_scope(&db.conn, YUNXI).await, async |tx| {
        xuepei_store::fee_caps::set(tx, &xuepei_domain::training::funding::FeeCaps::default().fields()).await
    })
    .await
    .expect("caps");
    let before = xuepei_store::paths::disagreements(&db.conn).await.expect("check");
    for (table, rows, wrong) in &before {
        assert!(*rows > 0, "{table}: seed rows of every registered table in this scenario");
        assert_eq!(*wrong, 0, "{table} agrees before the move");
    }
    // The whole county moves (the plan's organiser with it), the town inside it.
    let (county, into) = (by_code(&db.conn, YUNXI).await, by_code(&db.conn, QUYUAN).await);
    write(&db.conn, &sys, async |tx| org::move_subtree(tx, county.id, into.id).await).await.expect("move");
    let after = xuepei_store::paths::disagreements(&db.conn).await.expect("check");
    assert_eq!(after.len(), xuepei_store::paths::PATH_COPIES.len());
    for (table, _, wrong) in &after {
        assert_eq!(*wrong, 0, "{table}: every path copy rewritten by the move");
    }
    let moved_scope = Scope::of_org(&db.conn, town.id).await.expect("scope");
    assert!(moved_scope.root_path().expect("path").starts_with(&into.path));
    xuepei_store::uploads::get(&db.conn, &moved_scope, 1, upload).await.expect("the upload follows its scope");
    db.cleanup().await;
}

#[tokio::test]
async fn a_subtree_cannot_move_under_itself() {
    let db = seeded().await;
    let sys = Scope::system();
    let town = by_code(&db.conn, "430603001").await;
    let village = by_code(&db.conn, JINGZHU).await;
    for target in [town.id, village.id] {
        match write(&db.conn, &sys, async |tx| org::move_subtree(tx, town.id, target).await).await {
            Err(StoreError::Invalid(e)) => {
                assert!(e[0].message.contains("不能把“长岭街道”移动到它自己或其下级组织"), "{}", e[0].message)
            }
            other => panic!("expected refusal, got {other:?}"),
        }
    }
    assert_eq!(org::get(&db.conn, &sys, town.id).await.expect("town").path, town.path, "unchanged");
    db.cleanup().await;
}

#[tokio::test]
async fn deactivation_keeps_history_and_can_be_undone() {
    let db = seeded().await;
    let sys = Scope::system();
    let town = by_code(&db.conn, "430603001").await;
    let before_people = org::subtree_totals(&db.conn, &Scope::system(), town.id).await.expect("totals").people;
    let n = write(&db.conn, &sys, async |tx| org::deactivate(tx, town.id).await).await.expect("deactivate");
    assert!(n > 1, "the whole subtree");
    let village = org::get(&db.conn, &sys, by_code(&db.conn, JINGZHU).await.id).await.expect("still readable");
    assert!(!village.active);
    let listed = org::list(&db.conn, &sys, &OrgFilter { q: Some("荆竹".into()), ..Default::default() }, At::First, 10)
        .await
        .expect("list");
    assert!(listed.items.is_empty(), "inactive organisations drop out of lists");
    let with_inactive = OrgFilter { q: Some("荆竹".into()), include_inactive: true, ..Default::default() };
    assert_eq!(org::list(&db.conn, &sys, &with_inactive, At::First, 10).await.expect("list").items.len(), 1);
    assert_eq!(
        org::subtree_totals(&db.conn, &Scope::system(), town.id).await.expect("totals").people,
        before_people,
        "people stay"
    );
    // No new organisations under a deactivated one.
    match write(&db.conn, &sys, async |tx| org::create(tx, &input("T-NEW", "新支部", village.id)).await).await {
        Err(StoreError::Invalid(e)) => assert!(e[0].message.contains("已撤销")),
        other => panic!("expected refusal, got {other:?}"),
    }
    // The town's own staff cannot undo what the level above decided.
    let town_scope = Scope::of_org(&db.conn, town.id).await.expect("scope");
    match write(&db.conn, &town_scope, async |tx| org::reactivate(tx, town.id, true).await).await {
        Err(StoreError::Forbidden(m)) => assert!(m.contains("请由上级组织办理"), "{m}"),
        other => panic!("expected refusal, got {other:?}"),
    }
    assert!(!org::get(&db.conn, &sys, town.id).await.expect("town").active);
    write(&db.conn, &sys, async |tx| org::reactivate(tx, town.id, true).await).await.expect("reactivate");
    assert!(org::get(&db.conn, &sys, village.id).await.expect("village").active);
    db.cleanup().await;
}

#[tokio::test]
async fn a_county_cannot_see_or_change_another_county() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let other = by_code(&db.conn, QUYUAN_TOWN).await;
    let own = by_code(&db.conn, JINGZHU).await;
    assert!(matches!(org::get(&db.conn, &yunxi, other.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(org::get_by_code(&db.conn, &yunxi, QUYUAN_TOWN).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        write(&db.conn, &yunxi, async |tx| org::create(tx, &input("T-X", "越权支部", other.id)).await).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        write(&db.conn, &yunxi, async |tx| org::move_subtree(tx, own.id, other.id).await).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        write(&db.conn, &yunxi, async |tx| org::move_subtree(tx, other.id, own.id).await).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        write(&db.conn, &yunxi, async |tx| org::deactivate(tx, other.id).await).await,
        Err(StoreError::NotFound(_))
    ));
    let all = org::all(&db.conn, &yunxi, &OrgFilter::default()).await.expect("all");
    assert!(all.iter().all(|o| o.code.starts_with(YUNXI)), "only 云溪区's organisations are listed");
    assert!(!all.is_empty());
    // The scope's own root cannot be moved or deactivated by the county itself.
    let root = by_code(&db.conn, YUNXI).await;
    assert!(matches!(
        write(&db.conn, &yunxi, async |tx| org::deactivate(tx, root.id).await).await,
        Err(StoreError::Forbidden(_))
    ));
    // Top-level organisations are the system's to create.
    let mut top = input("T-TOP", "顶级组织", root.id);
    top.parent_id = None;
    assert!(matches!(
        write(&db.conn, &yunxi, async |tx| org::create(tx, &top).await).await,
        Err(StoreError::Invalid(_))
    ));
    db.cleanup().await;
}

#[tokio::test]
async fn codes_are_unique() {
    let db = seeded().await;
    let sys = Scope::system();
    let parent = by_code(&db.conn, "430603001").await;
    match write(&db.conn, &sys, async |tx| org::create(tx, &input(JINGZHU, "重复代码", parent.id)).await).await {
        Err(StoreError::Invalid(e)) => assert!(e[0].message.contains("已被使用")),
        other => panic!("expected refusal, got {other:?}"),
    }
    db.cleanup().await;
}

#[tokio::test]
async fn subtree_queries_use_the_path_index() {
    let db = seeded().await;
    let county = by_code(&db.conn, YUNXI).await;
    let plan = xuepei_store::diag::explain_subtree(&db.conn, &county.path, true).await.expect("explain");
    assert!(plan.contains("ix_organizations_path"), "the subtree range must use the path index:\n{plan}");
    db.cleanup().await;
}

#[tokio::test]
async fn maintained_counters_match_a_rebuild_after_every_kind_of_write() {
    use xuepei_domain::labels::Labeled;
    use xuepei_domain::people::{Gender, Roles};
    use xuepei_office::read::Source;
    use xuepei_store::people::PersonInput;
    use xuepei_web::jobs::ImportKind;
    let db = seeded().await;
    let sys = Scope::system();
    // An import, a move across counties, a new organisation, and people created, moved and deleted.
    let (a_id, b_id) = (id_number(YUNXI, (1980, 1, 1), 11), id_number(YUNXI, (1981, 1, 1), 21));
    let rows = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["甲某", &a_id, JINGZHU], vec!["乙某", &b_id, BAZIMEN]];
    let out =
        run_import(&db.conn, &sys, ImportKind::People, Source::Bytes(xuepei_testkit::files::xlsx(&rows, &[])), false)
            .await
            .expect("import");
    assert!(out.report.committed);
    // Organisations imported under new organisations of the same file: their ancestors'
    // counters are added up and applied once at the end — and before a later row of the
    // file moves one of those ancestors (the town above 荆竹村 goes under the new 工委).
    let town = by_code(&db.conn, "430603001").await;
    let (town_kind, town_sector) = (town.kind.label(), town.sector.label());
    let orgs = vec![
        vec!["组织代码", "组织名称", "上级组织", "组织类别", "所属领域"],
        vec!["CNT-W", "计数工委", YUNXI, "工委", "机关"],
        vec!["CNT-W-1", "计数一支部", "CNT-W", "党支部", "机关"],
        vec!["CNT-W-2", "计数二支部", "CNT-W", "党支部", "机关"],
        vec!["CNT-J-1", "计数村支部", JINGZHU, "党支部", "机关"],
        vec![&town.code, &town.name, "CNT-W", town_kind, town_sector],
    ];
    let out =
        run_import(&db.conn, &sys, ImportKind::Orgs, Source::Bytes(xuepei_testkit::files::xlsx(&orgs, &[])), false)
            .await
            .expect("import");
    assert_eq!((out.report.inserted, out.report.updated), (4, 1), "{:?}", out.report.errors);
    let w = by_code(&db.conn, "CNT-W").await;
    assert_eq!(w.subtree_orgs, 3 + town.subtree_orgs + 1, "the moved town arrives with its new 村支部");
    write(&db.conn, &sys, async |tx| org::move_subtree(tx, town.id, by_code(&db.conn, QUYUAN).await.id).await)
        .await
        .expect("move");
    let jz = by_code(&db.conn, JINGZHU).await.id;
    let new_org =
        write(&db.conn, &sys, async |tx| org::create(tx, &input("CNT-1", "计数支部", jz)).await).await.expect("create");
    let person = |name: &str, seq: u32, org_id| PersonInput {
        name: name.into(),
        id_number: id_number(YUNXI, (1990, 5, 5), seq),
        gender: if seq % 2 == 1 { Gender::Male } else { Gender::Female },
        birth_date: chrono::NaiveDate::from_ymd_opt(1990, 5, 5).expect("date"),
        phone: None,
        party_joined_on: None,
        position: None,
        rank_level: None,
        roles: Roles::default(),
        org_id,
        managing_org_id: None,
        profile: Default::default(),
    };
    let a = write(&db.conn, &sys, async |tx| people::create(tx, &person("丙某", 31, new_org.id)).await)
        .await
        .expect("create");
    write(&db.conn, &sys, async |tx| people::create(tx, &person("丁某", 42, new_org.id)).await).await.expect("create");
    let qt = by_code(&db.conn, QUYUAN_TOWN).await.id;
    write(&db.conn, &sys, async |tx| people::update(tx, a.id, &person("丙某", 31, qt)).await).await.expect("update");
    let b = people::list(
        &db.conn,
        &sys,
        &PersonFilter { under: Some(town.id), ..Default::default() },
        Default::default(),
        At::First,
        1,
    )
    .await
    .expect("list")
    .items
    .remove(0);
    write(&db.conn, &sys, async |tx| people::delete(tx, b.person.id).await).await.expect("delete");
    write(&db.conn, &sys, async |tx| org::deactivate(tx, new_org.id).await).await.expect("deactivate");

    let maintained = org::counters(&db.conn).await.expect("counters");
    org::rebuild_counters(&db.conn).await.expect("rebuild");
    let rebuilt = org::counters(&db.conn).await.expect("counters");
    let differing: Vec<_> = maintained.iter().filter(|(id, v)| rebuilt.get(id) != Some(v)).collect();
    assert!(differing.is_empty(), "counters drifted: {differing:?}");
    db.cleanup().await;
}
