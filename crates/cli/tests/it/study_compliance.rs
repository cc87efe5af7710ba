//! `GET /api/v1/study/compliance`: first-item compliance per organisation (its own
//! meetings) and the leaders' quotas, only in the token's scope.

use chrono::NaiveDate;
use serde_json::Value;
use xuepei_domain::labels::Labeled;
use xuepei_domain::people::Role;
use xuepei_store::meetings::{self, ItemInput};
use xuepei_store::page::At;
use xuepei_store::people::{self, PersonFilter};
use xuepei_store::study_logs::{self, LogFields, LogInput, PersonRef, StudyMode};
use xuepei_store::{DatabaseConnection, Scope, tokens};
use xuepei_testkit::TestApp;

use crate::meetings::{members, study_meeting};
use crate::support::*;

const TOWN: &str = "430603001";

async fn token(db: &DatabaseConnection, code: &str) -> String {
    let o = by_code(db, code).await;
    write(db, &Scope::system(), async |tx| {
        tokens::issue(tx, "督查对接", o.id, false, None, tokens::OPERATOR_ISSUER).await
    })
    .await
    .expect("token")
    .1
}

async fn get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    let r = app.raw.get(app.url(path)).bearer_auth(token).send().await.expect("request");
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).expect("date")
}

#[tokio::test]
async fn study_compliance_counts_each_organisations_own_meetings_and_the_leaders_quotas() {
    let db = seeded().await;
    let app = TestApp::spawn(&db).await;
    let county = members(&db.conn, YUNXI).await;
    let town = members(&db.conn, TOWN).await;
    // 云溪区: one meeting opening with study, one not; its town: one opening with study.
    let mut late = study_meeting(YUNXI, day(3, 17), &county);
    late.agenda[0] = ItemInput { title: "研究防汛工作".into(), study: None };
    let (ok, exception) = write(&db.conn, &Scope::system(), async |tx| {
        let a = meetings::create(tx, &study_meeting(YUNXI, day(3, 3), &county)).await?;
        let b = meetings::create(tx, &late).await?;
        meetings::create(tx, &study_meeting(TOWN, day(3, 10), &town)).await?;
        Ok((a.id, b.id))
    })
    .await
    .expect("meetings");
    // A leader of the county reads one important speech in March.
    let f = PersonFilter { role: Some(Role::LeadershipMember), ..Default::default() };
    let scope = county_scope(&db.conn, YUNXI).await;
    let home = by_code(&db.conn, YUNXI).await.id;
    let leader = people::list(&db.conn, &scope, &f, Default::default(), At::First, 100)
        .await
        .expect("people")
        .items
        .into_iter()
        .map(|r| r.person)
        .find(|p| p.org_id == home)
        .expect("a leader of the county itself");
    let input = LogInput {
        person: PersonRef::Id(leader.id),
        fields: LogFields {
            mode: StudyMode::SelfStudy.code().into(),
            date: day(3, 20).to_string(),
            title: "习近平总书记在全国两会期间的重要讲话".into(),
            ..Default::default()
        },
        evidence_upload_id: None,
    };
    write(&db.conn, &Scope::system(), async |tx| study_logs::create(tx, None, &input).await).await.expect("log");

    let t = token(&db.conn, YUNXI).await;
    let (s, v) = get(&app, &format!("/api/v1/study/compliance?org={YUNXI}&year=2026&month=3"), &t).await;
    assert_eq!(s, 200, "{v}");
    let orgs = v["orgs"].as_array().expect("orgs");
    let row = |code: &str| orgs.iter().find(|o| o["org"] == code).cloned().unwrap_or(Value::Null);
    let own = row(YUNXI);
    assert_eq!((own["meetings"].as_i64(), own["compliant_first_items"].as_i64()), (Some(2), Some(1)), "{v}");
    assert_eq!(own["exceptions"], serde_json::json!([exception]));
    assert!(!own["exceptions"].as_array().expect("ids").contains(&ok.into()));
    assert_eq!((row(TOWN)["meetings"].as_i64(), row(TOWN)["compliant_first_items"].as_i64()), (Some(1), Some(1)));
    let leaders = v["leaders"].as_array().expect("leaders");
    let me = leaders.iter().find(|l| l["id_number"] == leader.id_number.as_str()).expect("the leader is listed");
    let monthly = me["quotas"]
        .as_array()
        .expect("quotas")
        .iter()
        .find(|q| q["mode"] == "self_study" && q["period"] == "2026-03")
        .cloned()
        .expect("the monthly self-study quota");
    assert_eq!(
        (monthly["required"].as_i64(), monthly["done"].as_i64(), monthly["met"].as_bool()),
        (Some(5), Some(1), Some(false))
    );
    // The token's own organisation by default; a town's token sees only the town.
    let (s, d) = get(&app, "/api/v1/study/compliance?year=2026&month=3", &t).await;
    assert_eq!((s, d["orgs"].as_array().map(Vec::len)), (200, Some(orgs.len())));
    let tt = token(&db.conn, TOWN).await;
    let (s, v) = get(&app, "/api/v1/study/compliance?year=2026&month=3", &tt).await;
    assert_eq!(s, 200);
    assert!(v["orgs"].as_array().expect("orgs").iter().all(|o| o["org"] == TOWN), "{v}");
    assert!(!v.to_string().contains(&leader.id_number), "the county's leader is not the town's business: {v}");
    // Another county's organisation is not found; bad periods are refused in Chinese.
    let q = token(&db.conn, QUYUAN).await;
    let (s, v) = get(&app, &format!("/api/v1/study/compliance?org={YUNXI}&year=2026"), &q).await;
    assert_eq!(s, 404, "{v}");
    assert!(!v.to_string().contains("云溪"), "{v}");
    for bad in ["", "?year=abc", "?year=2026&month=13", "?year=1800"] {
        let (s, v) = get(&app, &format!("/api/v1/study/compliance{bad}"), &t).await;
        assert!(s == 400 || s == 422, "{bad}: {s} {v}");
        assert!(v["error"]["message"].as_str().is_some_and(|m| !m.is_ascii()), "{bad}: {v}");
    }
    db.cleanup().await;
}
