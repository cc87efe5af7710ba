//! Two requests creating the same thing at once: one wins, the other is told what clashed
//! (a conflict or a validation message), never an internal error or "busy" — on every
//! backend. Several rounds, so that the two transactions really interleave.

use xuepei_domain::accounts::{AccountRole, AccountRoles};
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::{OrgKind, Sector};
use xuepei_store::accounts::{self, NewAccount};
use xuepei_store::{Scope, StoreError, org, people};

use crate::support::*;

/// Runs two creates concurrently and checks the outcome: exactly one succeeded and the
/// other was refused with a message for the user.
async fn race<T: std::fmt::Debug>(what: &str, a: xuepei_store::Result<T>, b: xuepei_store::Result<T>) {
    let refusals: Vec<&StoreError> = [&a, &b].into_iter().filter_map(|r| r.as_ref().err()).collect();
    assert_eq!(refusals.len(), 1, "{what}: exactly one of two concurrent creates succeeds: {a:?} / {b:?}");
    match refusals[0] {
        StoreError::Conflict(m) => assert!(!m.is_empty() && !m.contains("数据库"), "{what}: {m}"),
        StoreError::Invalid(errs) => assert!(!errs.is_empty(), "{what}"),
        other => panic!("{what}: the loser must get a conflict or validation message, got {other:?}"),
    }
}

#[tokio::test]
async fn concurrent_creates_of_one_organisation_code() {
    let db = seeded().await;
    let sys = Scope::system();
    let parent = by_code(&db.conn, YUNXI).await;
    for round in 0..4 {
        let code = format!("9906030{round:02}");
        let one = crate::orgs::input(&code, "并发测试支部甲", parent.id);
        let two = crate::orgs::input(&code, "并发测试支部乙", parent.id);
        let (a, b) = tokio::join!(
            write(&db.conn, &sys, async |tx| org::create(tx, &one).await),
            write(&db.conn, &sys, async |tx| org::create(tx, &two).await),
        );
        race("organisation code", a, b).await;
    }
    db.cleanup().await;
}

#[tokio::test]
async fn concurrent_registrations_of_one_id_number() {
    let db = seeded().await;
    let sys = Scope::system();
    let village = by_code(&db.conn, JINGZHU).await;
    for round in 0..4 {
        let id = id_number("430603", (1980, 1, 1 + round), 11 + round);
        let one = crate::people::input("并发甲", &id, village.id);
        let two = crate::people::input("并发乙", &id, village.id);
        let (a, b) = tokio::join!(
            write(&db.conn, &sys, async |tx| people::create(tx, &one).await),
            write(&db.conn, &sys, async |tx| people::create(tx, &two).await),
        );
        race("identity number", a, b).await;
    }
    db.cleanup().await;
}

#[tokio::test]
async fn concurrent_accounts_with_one_username() {
    let db = seeded().await;
    let sys = Scope::system();
    let county = by_code(&db.conn, YUNXI).await;
    let new = |username: &str, name: &str| NewAccount {
        username: username.into(),
        display_name: name.into(),
        person_id: None,
        org_id: county.id,
        scope_org_id: county.id,
        roles: AccountRoles::of(&[AccountRole::OrgStaff]),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    for round in 0..4 {
        let username = format!("race{round}");
        let (one, two) = (new(&username, "并发甲"), new(&username, "并发乙"));
        let (a, b) = tokio::join!(
            write(&db.conn, &sys, async |tx| accounts::create(tx, &one).await),
            write(&db.conn, &sys, async |tx| accounts::create(tx, &two).await),
        );
        race("username", a, b).await;
    }
    db.cleanup().await;
}

/// Through HTTP: the same organisation created twice at once answers 303 (or 200 with the
/// form) and a refusal with a Chinese message, never 500.
#[tokio::test]
async fn concurrent_form_posts_never_answer_500() {
    let db = seeded().await;
    let app = signed_in(&db, "racer", &[AccountRole::OrgStaff], YUNXI).await;
    let parent = by_code(&db.conn, YUNXI).await;
    let (kind, sector) = (OrgKind::Branch.label(), Sector::Organ.label());
    let parent_id = parent.id.to_string();
    let form = |name: &'static str| {
        [("code", "990603099"), ("name", name), ("kind", kind), ("sector", sector), ("parent", parent_id.as_str())]
    };
    let (one, two) = (form("并发甲"), form("并发乙"));
    let (a, b) = tokio::join!(app.post_form("/orgs", &one), app.post_form("/orgs", &two));
    let statuses = [a.0, b.0];
    assert!(statuses.iter().all(|s| *s != 500), "no internal error: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 303).count(), 1, "one created: {statuses:?} {} {}", a.2, b.2);
    let created = org::get_by_code(&db.conn, &Scope::system(), "990603099").await.expect("created");
    assert!(created.name.starts_with("并发"));
    db.cleanup().await;
}
