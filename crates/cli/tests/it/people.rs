//! People in the store: duplicate numbers, counters, filters, pagination and scope.

use xuepei_domain::people::{Gender, RankLevel, Role, Roles};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter, PersonInput, PersonSort};
use xuepei_store::{Scope, StoreError};

use crate::support::*;

pub(crate) fn input(name: &str, id: &str, org_id: i64) -> PersonInput {
    let birth = chrono::NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").expect("birth");
    PersonInput {
        name: name.into(),
        id_number: id.into(),
        gender: if (id.as_bytes()[16] - b'0') % 2 == 1 { Gender::Male } else { Gender::Female },
        birth_date: birth,
        phone: None,
        party_joined_on: None,
        position: None,
        rank_level: Some(RankLevel::Other),
        roles: Roles::default(),
        org_id,
        managing_org_id: None,
        profile: Default::default(),
    }
}

#[tokio::test]
async fn create_update_delete_keep_counters_right() {
    let db = seeded().await;
    let sys = Scope::system();
    let a = by_code(&db.conn, JINGZHU).await;
    let b = by_code(&db.conn, BAZIMEN).await;
    let id = id_number(YUNXI, (1990, 1, 1), 11);
    let p =
        write(&db.conn, &sys, async |tx| people::create(tx, &input("测试员", &id, a.id)).await).await.expect("create");
    assert_eq!(by_code(&db.conn, JINGZHU).await.person_count, a.person_count + 1);
    let mut moved = input("测试员", &id, b.id);
    moved.roles.insert(Role::Secretary);
    write(&db.conn, &sys, async |tx| people::update(tx, p.id, &moved).await).await.expect("update");
    assert_eq!(by_code(&db.conn, JINGZHU).await.person_count, a.person_count);
    assert_eq!(by_code(&db.conn, BAZIMEN).await.person_count, b.person_count + 1);
    write(&db.conn, &sys, async |tx| people::delete(tx, p.id).await).await.expect("delete");
    assert_eq!(by_code(&db.conn, BAZIMEN).await.person_count, b.person_count);
    assert!(matches!(people::get(&db.conn, &sys, p.id).await, Err(StoreError::NotFound(_))));
    db.cleanup().await;
}

#[tokio::test]
async fn one_person_per_id_number() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let org = by_code(&db.conn, JINGZHU).await;
    let id = id_number(YUNXI, (1990, 1, 1), 11);
    write(&db.conn, &yunxi, async |tx| people::create(tx, &input("第一人", &id, org.id)).await).await.expect("create");
    match write(&db.conn, &yunxi, async |tx| people::create(tx, &input("第二人", &id, org.id)).await).await {
        Err(StoreError::Invalid(e)) => assert!(e[0].message.contains("已登记为“第一人”"), "{}", e[0].message),
        other => panic!("expected refusal, got {other:?}"),
    }
    // Registered in the other county: refused without saying who.
    let quyuan = by_code(&db.conn, QUYUAN_TOWN).await;
    let other_id = id_number(QUYUAN, (1991, 1, 1), 21);
    write(&db.conn, &Scope::system(), async |tx| people::create(tx, &input("外县人", &other_id, quyuan.id)).await)
        .await
        .expect("create");
    match write(&db.conn, &yunxi, async |tx| people::create(tx, &input("本县人", &other_id, org.id)).await).await {
        Err(StoreError::Invalid(e)) => {
            assert!(e[0].message.contains("您管理范围以外"), "{}", e[0].message);
            assert!(!e[0].message.contains("外县人"));
        }
        other => panic!("expected refusal, got {other:?}"),
    }
    db.cleanup().await;
}

#[tokio::test]
async fn filters_and_keyset_pages_cover_everyone_once() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let total = people::count(&db.conn, &yunxi, &PersonFilter::default()).await.expect("count").value;
    for sort in [PersonSort::Org, PersonSort::Name] {
        let mut seen = std::collections::HashSet::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = people::list(&db.conn, &yunxi, &PersonFilter::default(), sort, At::after(after.as_deref()), 37)
                .await
                .expect("page");
            for r in &page.items {
                assert!(seen.insert(r.person.id), "person listed twice");
            }
            pages += 1;
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert_eq!(seen.len() as u64, total, "{sort:?}");
        assert!(pages > 1);
    }
    // Filters.
    let secretaries = PersonFilter { role: Some(Role::Secretary), ..Default::default() };
    let page = people::list(&db.conn, &yunxi, &secretaries, PersonSort::Org, At::First, 500).await.expect("list");
    assert!(page.items.iter().all(|r| r.person.roles.contains(Role::Secretary)));
    // Every village, community, town, street and the county have one secretary.
    assert_eq!(page.items.len(), 1 + 5 + 56);
    // Only an organisation's own people, not those below it.
    let county = by_code(&db.conn, YUNXI).await;
    let direct = PersonFilter { direct: Some(county.id), ..Default::default() };
    let own = people::list(&db.conn, &yunxi, &direct, PersonSort::Org, At::First, 500).await.expect("list");
    assert!(own.items.iter().all(|r| r.person.org_id == county.id));
    assert_eq!(own.items.len() as i64, county.person_count);
    assert!(people::count(&db.conn, &yunxi, &direct).await.expect("count").value < total);
    let villages = PersonFilter { sector: Some(xuepei_domain::org::Sector::Village), ..Default::default() };
    let vcount = people::count(&db.conn, &yunxi, &villages).await.expect("count");
    assert!(vcount.value > 0 && vcount.value < total && !vcount.capped);
    let someone = page.items[3].person.clone();
    let by_name = PersonFilter { q: Some(someone.name.chars().take(2).collect()), ..Default::default() };
    let hits = people::list(&db.conn, &yunxi, &by_name, PersonSort::Name, At::First, 500).await.expect("list");
    assert!(hits.items.iter().any(|r| r.person.id == someone.id));
    assert!(hits.items.iter().all(|r| r.person.name.contains(&someone.name.chars().take(2).collect::<String>())));
    let by_id = PersonFilter { q: Some(someone.id_number[..12].to_owned()), ..Default::default() };
    let hits = people::list(&db.conn, &yunxi, &by_id, PersonSort::Org, At::First, 500).await.expect("list");
    assert!(hits.items.iter().any(|r| r.person.id == someone.id));
    db.cleanup().await;
}

/// Pages read backwards from a cursor, the last page and a numbered page show the same
/// rows as walking forwards, in the same order, on both sorts.
#[tokio::test]
async fn pages_before_a_cursor_the_last_and_a_numbered_page_agree_with_walking_forwards() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let f = PersonFilter::default();
    for sort in [PersonSort::Org, PersonSort::Name] {
        let mut forward: Vec<Vec<i64>> = Vec::new();
        let mut cursors: Vec<(Option<String>, Option<String>)> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = people::list(&db.conn, &yunxi, &f, sort, At::after(after.as_deref()), 29).await.expect("page");
            forward.push(page.items.iter().map(|r| r.person.id).collect());
            cursors.push((page.prev.clone(), page.next.clone()));
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        assert!(forward.len() > 3, "{sort:?}");
        assert!(cursors[0].0.is_none(), "no page before the first");
        // Back from each page's `prev`: the page before it.
        for i in 1..forward.len() {
            let prev = cursors[i].0.as_deref().expect("a page before");
            let page = people::list(&db.conn, &yunxi, &f, sort, At::Before(prev), 29).await.expect("page");
            let ids: Vec<i64> = page.items.iter().map(|r| r.person.id).collect();
            assert_eq!(ids, forward[i - 1], "{sort:?}: back from page {}", i + 1);
            assert_eq!(page.prev.is_some(), i > 1, "{sort:?}: more pages before page {i}");
            assert!(page.next.is_some());
        }
        // The last page asked for as many rows as it holds.
        let rows = forward.last().expect("pages").len() as u64;
        let last = people::list(&db.conn, &yunxi, &f, sort, At::Last, rows).await.expect("last");
        let ids: Vec<i64> = last.items.iter().map(|r| r.person.id).collect();
        assert_eq!(&ids, forward.last().expect("pages"), "{sort:?}: the last page");
        assert!(last.next.is_none() && last.prev.is_some());
        for n in [1, 2, forward.len()] {
            let page = people::list(&db.conn, &yunxi, &f, sort, At::Number(n as u64), 29).await.expect("page");
            let ids: Vec<i64> = page.items.iter().map(|r| r.person.id).collect();
            assert_eq!(ids, forward[n - 1], "{sort:?}: page {n}");
        }
    }
    db.cleanup().await;
}

/// A name is found by any part of it; an identity number by its last four characters (what
/// the masked list shows) or its start; wildcard characters are taken literally.
#[tokio::test]
async fn people_are_found_by_any_part_of_the_name_and_the_last_four_id_characters() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let sys = Scope::system();
    let village = by_code(&db.conn, JINGZHU).await;
    let id = id_number(YUNXI, (1980, 5, 17), 417);
    write(&db.conn, &yunxi, async |tx| people::create(tx, &input("欧阳明轩", &id, village.id)).await)
        .await
        .expect("create");
    let find = async |scope: &Scope, q: &str| {
        let f = PersonFilter { q: Some(q.to_owned()), ..Default::default() };
        people::list(&db.conn, scope, &f, PersonSort::Org, At::First, 500).await.expect("list").items
    };
    for part in ["明轩", "阳明", "轩", "欧阳明轩"] {
        let hits = find(&yunxi, part).await;
        assert!(hits.iter().any(|r| r.person.id_number == id), "by “{part}”");
        assert!(hits.iter().all(|r| r.person.name.contains(part)), "only names holding “{part}”");
    }
    let tail = &id[14..];
    let hits = find(&yunxi, tail).await;
    assert!(hits.iter().any(|r| r.person.id_number == id), "by the last four: {tail}");
    assert!(hits.iter().all(|r| r.person.id_number.ends_with(tail) || r.person.id_number.starts_with(tail)));
    assert!(find(&yunxi, &id[..10]).await.iter().any(|r| r.person.id_number == id), "by the start");
    assert!(find(&yunxi, &id[..3]).await.iter().any(|r| r.person.id_number == id), "by the first digits");
    // Pasted as the list shows it, masked in the middle.
    let masked = format!("{}{}{}", &id[..3], "*".repeat(11), &id[14..]);
    let hits = find(&yunxi, &masked).await;
    assert!(hits.iter().any(|r| r.person.id_number == id), "by {masked}");
    assert!(hits.iter().all(|r| r.person.id_number.starts_with(&id[..3]) && r.person.id_number.ends_with(&id[14..])));
    for wild in ["%", "_", "明%", "!"] {
        assert!(find(&yunxi, wild).await.is_empty(), "“{wild}” is literal");
    }
    // Another county's search does not reach this person.
    let quyuan = county_scope(&db.conn, QUYUAN).await;
    assert!(find(&quyuan, "明轩").await.iter().all(|r| r.person.id_number != id));
    assert!(find(&sys, "明轩").await.iter().any(|r| r.person.id_number == id));
    db.cleanup().await;
}

#[tokio::test]
async fn a_county_cannot_read_or_change_another_countys_people() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    let quyuan = by_code(&db.conn, QUYUAN).await;
    let f = PersonFilter { under: Some(quyuan.id), ..Default::default() };
    let outsider = someone_under(&db.conn, QUYUAN).await;
    assert!(matches!(people::get(&db.conn, &yunxi, outsider.id).await, Err(StoreError::NotFound(_))));
    assert!(matches!(
        write(&db.conn, &yunxi, async |tx| people::delete(tx, outsider.id).await).await,
        Err(StoreError::NotFound(_))
    ));
    let own = by_code(&db.conn, JINGZHU).await;
    let changed = input(&outsider.name, &outsider.id_number, own.id);
    assert!(matches!(
        write(&db.conn, &yunxi, async |tx| people::update(tx, outsider.id, &changed).await).await,
        Err(StoreError::NotFound(_))
    ));
    // Registering someone into the other county's organisation is refused.
    let new = input("越权者", &id_number(YUNXI, (1990, 3, 3), 11), quyuan.id);
    assert!(matches!(
        write(&db.conn, &yunxi, async |tx| people::create(tx, &new).await).await,
        Err(StoreError::Invalid(_))
    ));
    // Lists and searches stay inside.
    let all = people::list(
        &db.conn,
        &yunxi,
        &PersonFilter { q: Some(outsider.name.clone()), ..Default::default() },
        PersonSort::Name,
        At::First,
        500,
    )
    .await
    .expect("list");
    assert!(all.items.iter().all(|r| r.person.id != outsider.id));
    assert!(matches!(
        people::list(&db.conn, &yunxi, &f, PersonSort::Org, At::First, 10).await,
        Err(StoreError::NotFound(_))
    ));
    db.cleanup().await;
}

#[tokio::test]
async fn the_sector_filter_follows_an_organisations_change_of_sector() {
    let db = seeded().await;
    let sys = Scope::system();
    let village = xuepei_store::org::get(&db.conn, &sys, by_code(&db.conn, JINGZHU).await.id).await.expect("village");
    let in_sector = |s| PersonFilter { under: Some(village.id), sector: Some(s), ..Default::default() };
    let n = |f: PersonFilter| {
        let conn = db.conn.clone();
        async move { people::count(&conn, &Scope::system(), &f).await.expect("count").value }
    };
    let before = n(in_sector(xuepei_domain::org::Sector::Village)).await;
    assert_eq!(before as i64, village.person_count);
    let input = xuepei_store::org::OrgInput {
        code: village.code.clone(),
        name: village.name.clone(),
        short_name: village.short_name.clone(),
        kind: village.kind,
        sector: xuepei_domain::org::Sector::Community,
        parent_id: village.parent_id,
        authority_org_id: village.authority_org_id,
    };
    write(&db.conn, &sys, async |tx| xuepei_store::org::update(tx, village.id, &input).await).await.expect("update");
    assert_eq!(n(in_sector(xuepei_domain::org::Sector::Village)).await, 0);
    assert_eq!(n(in_sector(xuepei_domain::org::Sector::Community)).await, before);
    db.cleanup().await;
}
