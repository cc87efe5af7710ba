//! The demo's notifications (issue 14 item 6): a campaign running now, so that the bell has
//! something to say on the day the demo is made — the city's winter campaign with plans due
//! in four days, 岳阳楼区's plan returned with comments, and a class of the city starting
//! tomorrow with places for 岳阳楼区 and 平江县, in which 郭亮社区's secretary (the `shuji`
//! account) is enrolled. Notifications are derived from these records; nothing is stored
//! for them.

use chrono::{Datelike, Duration};
use xuepei_domain::org::Sector;
use xuepei_domain::people::Role;
use xuepei_domain::training::rules::TargetFilter;
use xuepei_store::campaigns::CampaignInput;
use xuepei_store::classes::ClassInput;
use xuepei_store::enrolments::PersonRef;
use xuepei_store::filings::FilingInput;
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, accounts, campaigns, classes, enrolments, filings};

/// Writes the scenario; says what it made.
pub async fn seed_notifications(db: &DatabaseConnection) -> Result<String, String> {
    let e = |x: xuepei_store::StoreError| x.reasons();
    let actor = Actor::operator("演示数据");
    let today = xuepei_domain::time::today();
    let sys = Scope::system();
    let city_org = xuepei_store::org::get_by_code(db, &sys, "430600").await.map_err(e)?;
    let city = Scope::of_org(db, city_org.id).await.map_err(e)?;
    let title = "全市村（社区）“两委”干部冬训";
    let input = CampaignInput {
        issuer: "430600".into(),
        doc_number: String::new(),
        title: title.into(),
        kind: "rotation".into(),
        // From the first of the month, so the first monthly report falls due at its end.
        start: today.with_day(1),
        end: Some(today + Duration::days(75)),
        plan_deadline: Some(today + Duration::days(4)),
        target: TargetFilter { orgs: vec!["430602".into(), "430626".into()], ..Default::default() },
        rules: Default::default(),
    };
    let tx = Tx::begin(db, &city, &actor).await.map_err(e)?;
    let c = campaigns::create(&tx, &input).await.map_err(e)?;
    tx.commit().await.map_err(|x| x.to_string())?;

    // 岳阳楼区 files its plan; the city returns it.
    let county = xuepei_store::org::get_by_code(db, &city, "430602").await.map_err(e)?;
    let own = Scope::of_org(db, county.id).await.map_err(e)?;
    let plan = FilingInput {
        org: "430602".into(),
        kind: "plan".into(),
        period: String::new(),
        title: "岳阳楼区村（社区）“两委”干部冬训实施方案".into(),
        body: "一、指导思想\n二、培训对象\n全区村（社区）“两委”干部。\n三、方法步骤\n分两期举办。".into(),
    };
    let tx = Tx::begin(db, &own, &actor).await.map_err(e)?;
    let f = filings::create(&tx, c.id, &plan).await.map_err(e)?;
    filings::add_file(&tx, f.id, "岳阳楼区冬训实施方案.txt", plan.body.clone().into_bytes()).await.map_err(e)?;
    filings::submit(&tx, f.id).await.map_err(e)?;
    tx.commit().await.map_err(|x| x.to_string())?;
    let tx = Tx::begin(db, &city, &actor).await.map_err(e)?;
    filings::decide(&tx, f.id, "return", "请补充分期安排和师资名单后重新报送").await.map_err(e)?;
    tx.commit().await.map_err(|x| x.to_string())?;

    // A class of the city starting tomorrow, places for both counties.
    let class = ClassInput {
        campaign_id: Some(c.id),
        title: "全市村（社区）党组织书记冬训示范班".into(),
        organiser: "430600".into(),
        level: "city".into(),
        institution: "中共岳阳市委党校".into(),
        institution_kind: "party_school".into(),
        start: Some(today + Duration::days(1)),
        end: Some(today + Duration::days(4)),
        capacity: Some(60),
        target_group: TargetFilter {
            sectors: vec![Sector::Village, Sector::Community],
            roles: vec![Role::Secretary],
            ..Default::default()
        },
        allocations: vec![("430602".into(), 20), ("430626".into(), 15)],
        ..ClassInput::default()
    };
    let tx = Tx::begin(db, &city, &actor).await.map_err(e)?;
    let k = classes::create(&tx, &class).await.map_err(e)?;
    tx.commit().await.map_err(|x| x.to_string())?;
    let mut enrolled = 0;
    if let Some(person) = accounts::by_username(db, "shuji").await.ok().and_then(|a| a.person_id) {
        let tx = Tx::begin(db, &city, &actor).await.map_err(e)?;
        enrolled = enrolments::enrol(&tx, k.id, &[PersonRef::Id(person)]).await.map_err(e)?.len();
        tx.commit().await.map_err(|x| x.to_string())?;
    }
    Ok(format!(
        "演示通知提醒：“{title}”实施方案4天后截止（岳阳楼区方案被退回）；“{}”明天开班，岳阳楼区、平江县名额待填报{}（登录后见右上角铃铛）",
        k.title,
        if enrolled > 0 { "，郭亮社区书记已报名" } else { "" }
    ))
}
