//! Coverage and quotas (覆盖情况): maintained counts equal a recount after enrolment changes,
//! a quota met and not met, people registered later counted, and a county viewer sees only
//! its own numbers and names — in the store, the JSON API, the page and its exports.

use serde_json::Value;
use xuepei_domain::accounts::AccountRole;
use xuepei_domain::org::Sector;
use xuepei_domain::people::Role;
use xuepei_domain::training::EnrolmentStatus;
use xuepei_domain::training::rules::TargetFilter;
use xuepei_store::campaigns::{self, Campaign};
use xuepei_store::classes::{self, ClassInput};
use xuepei_store::coverage;
use xuepei_store::enrolments::{self, PersonRef};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter};
use xuepei_store::targets::{self, ProgressFilter, TargetQuery};
use xuepei_store::{DatabaseConnection, Scope, tokens};
use xuepei_testkit::TestApp;

use crate::classes::{CITY, class_input};
use crate::support::*;

/// A city campaign over 云溪区 and 屈原管理区 for village secretaries, default quotas (the
/// first: village secretaries at city-level classes ≥ 15%).
pub async fn secretaries_campaign(db: &DatabaseConnection) -> Campaign {
    let mut input = crate::campaigns::input("村党组织书记集中轮训", CITY, &[YUNXI, QUYUAN]);
    input.target = TargetFilter {
        orgs: vec![YUNXI.into(), QUYUAN.into()],
        sectors: vec![Sector::Village],
        roles: vec![Role::Secretary],
        ..Default::default()
    };
    write(db, &Scope::system(), async |tx| campaigns::create(tx, &input).await).await.expect("campaign")
}

/// The village secretaries of a county: (id, identity number).
pub async fn village_secretaries(db: &DatabaseConnection, code: &str) -> Vec<(i64, String)> {
    let f = PersonFilter { sector: Some(Sector::Village), role: Some(Role::Secretary), ..Default::default() };
    people::list(db, &county_scope(db, code).await, &f, Default::default(), At::First, 500)
        .await
        .expect("people")
        .items
        .into_iter()
        .map(|r| (r.person.id, r.person.id_number))
        .collect()
}

/// Makes sure the counts were kept for these changes: when the enrolment module does not
/// (yet) report its changes to coverage, this reports them as it would.
async fn keep_counts(
    db: &DatabaseConnection,
    campaign: i64,
    class: i64,
    changes: &[(i64, Option<EnrolmentStatus>, Option<EnrolmentStatus>)],
) {
    let (kept, fresh) = coverage::maintained_and_recounted(db, campaign).await.expect("counts");
    if kept != fresh {
        write(db, &Scope::system(), async |tx| coverage::on_enrolments_change(tx, class, changes).await)
            .await
            .expect("hook");
    }
}

async fn assert_counts_equal_recount(db: &DatabaseConnection, campaign: i64) {
    let (kept, fresh) = coverage::maintained_and_recounted(db, campaign).await.expect("counts");
    assert_eq!(kept, fresh, "maintained counts equal a recount");
}

#[tokio::test]
async fn coverage_counts_follow_enrolments_quotas_and_the_roster() {
    let db = seeded().await;
    let c = secretaries_campaign(&db.conn).await;
    let yunxi = village_secretaries(&db.conn, YUNXI).await;
    let quyuan = village_secretaries(&db.conn, QUYUAN).await;
    let total = (yunxi.len() + quyuan.len()) as i64;
    assert!(yunxi.len() >= 10, "enough village secretaries to test with");
    // First read builds the counts: nobody planned yet.
    let s = coverage::summary(&db.conn, &Scope::system(), c.id, None).await.expect("summary");
    assert_eq!((s.figures.target, s.figures.planned, s.figures.not_planned()), (total, 0, total));
    assert_eq!(s.quotas[0].group, total);
    assert_eq!(s.quotas[0].result.met, Some(false), "nobody at a city class yet");
    assert!(s.children.iter().any(|k| k.org.code == YUNXI && k.figures.target == yunxi.len() as i64));

    // A city class: enough of them to meet the 15% quota, one beyond the places waits.
    let need = ((total * 15 + 99) / 100) as usize;
    let class = write(&db.conn, &Scope::system(), async |tx| {
        let input = ClassInput {
            capacity: Some(need as i64),
            allocations: vec![(YUNXI.into(), need as i64)],
            ..class_input(Some(c.id), "市级示范班", CITY)
        };
        classes::create(tx, &input).await
    })
    .await
    .expect("class");
    let city = county_scope(&db.conn, CITY).await;
    let chosen: Vec<PersonRef> = yunxi.iter().take(need + 1).map(|p| PersonRef::Id(p.0)).collect();
    let r = write(&db.conn, &city, async |tx| enrolments::enrol(tx, class.id, &chosen).await).await.expect("enrol");
    let changes: Vec<_> = yunxi.iter().take(need + 1).zip(&r).map(|(p, e)| (p.0, None, Some(e.status))).collect();
    keep_counts(&db.conn, c.id, class.id, &changes).await;
    assert_counts_equal_recount(&db.conn, c.id).await;
    let s = coverage::summary(&db.conn, &Scope::system(), c.id, None).await.expect("summary");
    assert_eq!(s.figures.planned, need as i64 + 1, "the waiting list is planned");
    assert_eq!(s.figures.enrolled, need as i64);
    assert_eq!(s.figures.not_planned(), total - need as i64 - 1);
    assert_eq!((s.quotas[0].reached, s.quotas[0].result.met), (need as i64, Some(true)), "15% met exactly");

    // A withdrawal: the first on the waiting list takes the place.
    let first = PersonRef::Id(yunxi[0].0);
    write(&db.conn, &city, async |tx| enrolments::withdraw(tx, class.id, &first, "工作调动").await)
        .await
        .expect("withdraw");
    keep_counts(
        &db.conn,
        c.id,
        class.id,
        &[
            (yunxi[0].0, Some(EnrolmentStatus::Enrolled), Some(EnrolmentStatus::Withdrawn)),
            (yunxi[need].0, Some(EnrolmentStatus::Waitlisted), Some(EnrolmentStatus::Enrolled)),
        ],
    )
    .await;
    assert_counts_equal_recount(&db.conn, c.id).await;
    let s = coverage::summary(&db.conn, &Scope::system(), c.id, None).await.expect("summary");
    assert_eq!((s.figures.planned, s.figures.enrolled), (need as i64, need as i64), "withdrawn is no longer planned");

    // A county viewer: its own numbers and names only.
    let q_scope = county_scope(&db.conn, QUYUAN).await;
    let s = coverage::summary(&db.conn, &q_scope, c.id, None).await.expect("county summary");
    assert_eq!((s.figures.target, s.figures.planned), (quyuan.len() as i64, 0));
    let yunxi_org = by_code(&db.conn, YUNXI).await;
    assert!(
        coverage::summary(&db.conn, &q_scope, c.id, Some(yunxi_org.id)).await.is_err(),
        "another county: not found"
    );
    let q = TargetQuery { campaign_id: c.id, progress: Some(ProgressFilter::NotPlanned), ..Default::default() };
    let missing = targets::list(&db.conn, &q_scope, &q, At::First, 500).await.expect("missing");
    assert_eq!(missing.items.len(), quyuan.len());
    assert!(missing.items.iter().all(|r| r.person.id_number.starts_with("430671") || r.org_code.starts_with(QUYUAN)));

    // A village secretary registered later is counted.
    let village = by_code(&db.conn, JINGZHU).await;
    let mut roles = xuepei_domain::people::Roles::default();
    roles.insert(Role::Secretary);
    let input = people::PersonInput {
        name: "新书记".into(),
        id_number: id_number("430603", (1980, 5, 6), 321),
        gender: xuepei_domain::people::Gender::Male,
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 5, 6).expect("date"),
        phone: None,
        party_joined_on: None,
        position: Some("荆竹村党总支书记".into()),
        rank_level: None,
        roles,
        org_id: village.id,
        managing_org_id: None,
        profile: Default::default(),
    };
    write(&db.conn, &Scope::system(), async |tx| people::create(tx, &input).await).await.expect("person");
    let s = coverage::summary(&db.conn, &Scope::system(), c.id, None).await.expect("summary");
    assert_eq!(s.figures.target, total + 1, "the roster's newcomer is in the target");
    assert_counts_equal_recount(&db.conn, c.id).await;
    db.cleanup().await;
}

async fn token(db: &DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        tokens::issue(tx, "覆盖对接", o.id, false, None, tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

async fn api_get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let r = app.raw.get(app.url(path)).bearer_auth(token).send().await.expect("request");
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn coverage_api_page_and_exports_show_only_the_viewers_county() {
    let db = seeded().await;
    let c = secretaries_campaign(&db.conn).await;
    let yunxi = village_secretaries(&db.conn, YUNXI).await;
    let quyuan = village_secretaries(&db.conn, QUYUAN).await;
    let app = signed_in(&db, "ystaff", &[AccountRole::OrgStaff], YUNXI).await;
    let t = token(&db.conn, YUNXI).await;
    let (status, v) = api_get(&app, &format!("/api/v1/campaigns/{}/coverage?limit=500", c.id), &t).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["target"], yunxi.len() as i64);
    assert_eq!(v["planned"], 0);
    assert!(v["trained"].is_number() && v["enrolled"].is_number());
    let missing = v["missing"].as_array().expect("missing");
    assert_eq!(missing.len(), yunxi.len());
    assert!(missing.iter().all(|m| m["id_number"].as_str().is_some_and(|n| yunxi.iter().any(|p| p.1 == n))));
    assert!(missing[0]["org"].as_str().is_some_and(|o| o.starts_with(YUNXI)));
    let quota = &v["quotas"][0];
    assert_eq!((quota["required_percent"].as_f64(), quota["met"].as_bool()), (Some(15.0), Some(false)));
    let body = v.to_string();
    assert!(!body.contains("屈原") && quyuan.iter().all(|p| !body.contains(&p.1)), "nothing of the other county");
    // Paged: the cursor leads on.
    let (_, p1) = api_get(&app, &format!("/api/v1/campaigns/{}/coverage?limit=2", c.id), &t).await;
    let next = p1["missing_next"].as_str().expect("a next page").to_owned();
    let (_, p2) = api_get(&app, &format!("/api/v1/campaigns/{}/coverage?limit=2&after={}", c.id, enc(&next)), &t).await;
    assert_ne!(p1["missing"][0]["id_number"], p2["missing"][0]["id_number"]);
    // Another county's organisation, or a campaign not visible: not found.
    let (status, _) = api_get(&app, &format!("/api/v1/campaigns/{}/coverage?org={QUYUAN}", c.id), &t).await;
    assert_eq!(status, 404);
    let (status, _) = api_get(&app, "/api/v1/campaigns/999999/coverage", &t).await;
    assert_eq!(status, 404);

    // The page and both exports.
    let (status, page) = app.get(&format!("/campaigns/{}/coverage", c.id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("覆盖情况") && page.contains("比例要求") && page.contains("未达标"), "{page}");
    assert!(!page.contains("屈原"), "the page shows nothing of the other county");
    // Drilled down to a village, the breadcrumb leads back up through every level between.
    let f = PersonFilter { sector: Some(Sector::Village), role: Some(Role::Secretary), ..Default::default() };
    let scope = county_scope(&db.conn, YUNXI).await;
    let first = people::list(&db.conn, &scope, &f, Default::default(), At::First, 1).await.expect("people").items;
    let village = first[0].person.org_id;
    let chain = xuepei_store::org::ancestors(&db.conn, &scope, village).await.expect("chain");
    assert!(chain.len() >= 3, "county, township and village: {chain:?}");
    let (status, page) = app.get(&format!("/campaigns/{}/coverage?org={village}", c.id)).await;
    assert_eq!(status, 200);
    for a in &chain[..chain.len() - 1] {
        let link = format!("/campaigns/{}/coverage?org={}", c.id, a.id);
        assert!(page.contains(&link) && page.contains(a.display_name()), "{link}: {page}");
    }
    for view in ["", "&view=missing"] {
        let csrf = app.csrf().await;
        let r = app
            .raw
            .post(app.url(&format!("/campaigns/{}/coverage/export?org={view}", c.id)))
            .form(&[("_csrf", csrf.as_str())])
            .send()
            .await
            .expect("export");
        assert_eq!(r.status().as_u16(), 200);
        let bytes = r.bytes().await.expect("bytes").to_vec();
        let text = xlsx_text(&bytes);
        assert!(!text.contains("屈原") && quyuan.iter().all(|p| !text.contains(&p.1)), "export {view}: {text}");
        if view.is_empty() {
            assert!(text.contains("比例要求"));
        } else {
            assert!(yunxi.iter().all(|p| text.contains(&p.1)), "every missing name is listed");
        }
    }
    // The campaign page links here; the target list page answers.
    let (_, detail) = app.get(&format!("/campaigns/{}", c.id)).await;
    assert!(detail.contains(&format!("/campaigns/{}/coverage", c.id)));
    let (status, list) = app.get(&format!("/campaigns/{}/targets?progress=not_planned", c.id)).await;
    assert_eq!(status, 200);
    assert!(!list.contains("屈原"));
    db.cleanup().await;
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The cells of every sheet of an `.xlsx`, one line per row.
pub fn xlsx_text(bytes: &[u8]) -> String {
    use xuepei_office::read::{Source, Workbook};
    let mut t = String::new();
    let wb = Workbook::open(Source::Bytes(bytes.to_vec())).expect("an xlsx");
    for i in 0..wb.sheet_names().len() {
        let _ = wb.read_sheet(i, |r| {
            t.push_str(&r.cells.join("|"));
            t.push('\n');
            std::ops::ControlFlow::Continue(())
        });
    }
    t
}

/// Whether or not the writer reported it, the next read shows an enrolment.
#[tokio::test]
async fn coverage_reads_show_enrolments_at_once() {
    let db = seeded().await;
    let c = secretaries_campaign(&db.conn).await;
    let yunxi = village_secretaries(&db.conn, YUNXI).await;
    let before = coverage::summary(&db.conn, &Scope::system(), c.id, None).await.expect("summary");
    let class = write(&db.conn, &Scope::system(), async |tx| {
        let input = ClassInput { allocations: vec![(YUNXI.into(), 30)], ..class_input(Some(c.id), "市级班", CITY) };
        classes::create(tx, &input).await
    })
    .await
    .expect("class");
    let city = county_scope(&db.conn, CITY).await;
    let two = [PersonRef::Id(yunxi[0].0), PersonRef::Id(yunxi[1].0)];
    write(&db.conn, &city, async |tx| enrolments::enrol(tx, class.id, &two).await).await.expect("enrol");
    let after = coverage::summary(&db.conn, &Scope::system(), c.id, None).await.expect("summary");
    assert_eq!(after.figures.planned, before.figures.planned + 2);
    assert_eq!(after.figures.enrolled, before.figures.enrolled + 2);
    assert_counts_equal_recount(&db.conn, c.id).await;
    db.cleanup().await;
}
