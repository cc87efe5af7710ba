//! Who must be trained by whom (参训对象): the city's list holds the county leadership
//! members it manages, a county's list its own cadres; people registered later appear;
//! a county sees no other county's list.

use xuepei_domain::people::{Gender, Role, Roles};
use xuepei_domain::training::rules::TargetFilter;
use xuepei_store::campaigns::{self, Campaign};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonInput};
use xuepei_store::targets::{self, ProgressFilter, TargetQuery, TargetRow};
use xuepei_store::{DatabaseConnection, Scope};

use crate::classes::CITY;
use crate::support::*;

async fn leaders_campaign(db: &DatabaseConnection) -> Campaign {
    let mut input = crate::campaigns::input("领导干部集中轮训", CITY, &[CITY]);
    input.target = TargetFilter { orgs: vec![CITY.into()], roles: vec![Role::LeadershipMember], ..Default::default() };
    write(db, &Scope::system(), async |tx| campaigns::create(tx, &input).await).await.expect("campaign")
}

async fn list_of(db: &DatabaseConnection, scope: &Scope, campaign: i64, organiser: &str) -> Vec<TargetRow> {
    let o = by_code(db, organiser).await;
    let q = TargetQuery { campaign_id: campaign, organiser: Some(o.id), ..Default::default() };
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let p = targets::list(db, scope, &q, At::after(after.as_deref()), 7).await.expect("list");
        out.extend(p.items);
        match p.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(targets::count(db, scope, &q).await.expect("count").value, out.len() as u64, "count = list");
    out
}

#[tokio::test]
async fn targets_the_city_trains_county_leaders_and_each_county_its_own_cadres() {
    let db = seeded().await;
    let c = leaders_campaign(&db.conn).await;
    let sys = Scope::system();
    let city_list = list_of(&db.conn, &sys, c.id, CITY).await;
    assert!(city_list.iter().all(|r| r.person.roles.contains(Role::LeadershipMember)));
    assert!(
        city_list
            .iter()
            .any(|r| r.org_code == YUNXI && r.person.position.as_deref().is_some_and(|p| p.contains("书记"))),
        "the county's secretary is trained by the city"
    );
    assert!(city_list.iter().any(|r| r.org_code == CITY), "the city's own leaders, by affiliation");
    assert!(
        city_list.iter().all(|r| r.org_code.len() <= 6),
        "no township cadres on the city's list: {:?}",
        city_list.iter().map(|r| &r.org_code).collect::<Vec<_>>()
    );
    let county_list = list_of(&db.conn, &sys, c.id, YUNXI).await;
    assert!(!county_list.is_empty());
    assert!(
        county_list.iter().all(|r| r.org_code.starts_with(YUNXI) && r.org_code != YUNXI),
        "the county trains its townships' leadership, not its own leaders"
    );
    assert!(county_list.iter().all(|r| r.progress == targets::Progress::NotPlanned));
    let ids: std::collections::HashSet<i64> = city_list.iter().map(|r| r.person.id).collect();
    assert!(county_list.iter().all(|r| !ids.contains(&r.person.id)), "nobody on both lists");

    // Registered later: on the list at once.
    let town = by_code(&db.conn, "430603001").await;
    let dept = by_code(&db.conn, &format!("{YUNXI}-ZZB")).await;
    let mut roles = Roles::default();
    roles.insert(Role::LeadershipMember);
    let input = PersonInput {
        name: "新委员".into(),
        id_number: id_number("430603", (1985, 7, 8), 412),
        gender: Gender::Female,
        birth_date: chrono::NaiveDate::from_ymd_opt(1985, 7, 8).expect("date"),
        phone: None,
        party_joined_on: None,
        position: Some("长岭街道党工委委员".into()),
        rank_level: None,
        roles,
        org_id: town.id,
        managing_org_id: Some(dept.id),
        profile: Default::default(),
    };
    let p = write(&db.conn, &sys, async |tx| people::create(tx, &input).await).await.expect("person");
    let again = list_of(&db.conn, &sys, c.id, YUNXI).await;
    assert_eq!(again.len(), county_list.len() + 1);
    assert!(again.iter().any(|r| r.person.id == p.id));

    // The county's own view; another county's organiser is not found.
    let y = county_scope(&db.conn, YUNXI).await;
    assert_eq!(list_of(&db.conn, &y, c.id, YUNXI).await.len(), again.len());
    let quyuan = by_code(&db.conn, QUYUAN).await;
    let q = TargetQuery { campaign_id: c.id, organiser: Some(quyuan.id), ..Default::default() };
    assert!(targets::list(&db.conn, &y, &q, At::First, 10).await.is_err());
    // Progress filter: nobody planned, so "not yet planned" is everyone.
    let q = TargetQuery {
        campaign_id: c.id,
        organiser: Some(by_code(&db.conn, YUNXI).await.id),
        progress: Some(ProgressFilter::NotTrained),
        ..Default::default()
    };
    assert_eq!(targets::count(&db.conn, &y, &q).await.expect("count").value, again.len() as u64);
    db.cleanup().await;
}
