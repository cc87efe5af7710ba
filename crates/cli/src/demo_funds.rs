//! The demo's training funds (issue 14 item 4): the city class for community and village
//! secretaries budgeted from the city's fiscal funds and party dues, its expenses recorded,
//! and one lecture fee above the cap for a new user to find on the class's 培训经费 page.

use xuepei_domain::training::funding::LineFields;
use xuepei_store::page::At;
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, campaigns, classes, funds};

fn line(stage: &str, source: &str, kind: &str, amount: &str, note: &str) -> LineFields {
    LineFields {
        stage: stage.into(),
        source: source.into(),
        kind: kind.into(),
        amount: amount.into(),
        note: note.into(),
        ..Default::default()
    }
}

/// Writes the scenario after the training demo; says what it made.
pub async fn seed_funds(db: &DatabaseConnection) -> Result<String, String> {
    let e = |x: xuepei_store::StoreError| x.reasons();
    let sys = Scope::system();
    let all = campaigns::list(db, &sys, At::First, 50).await.map_err(e)?.items;
    let Some(c) = all.iter().find(|c| c.title == "全市基层党组织书记集中轮训") else {
        return Ok("演示培训经费：未找到轮训工作，跳过".into());
    };
    let Some(class) = classes::list_for_campaign(db, &sys, c.id)
        .await
        .map_err(e)?
        .into_iter()
        .find(|k| k.title.contains("城区社区和村"))
    else {
        return Ok("演示培训经费：未找到市级班次，跳过".into());
    };
    let professor = LineFields {
        title: "full".into(),
        hours: "4".into(),
        half_days: "1".into(),
        ..line("expense", "fiscal", "lecture", "4800", "市委党校教授专题授课")
    };
    let lines = [
        line("budget", "fiscal", "comprehensive", "20000", "市财政培训经费"),
        line("budget", "party_dues", "comprehensive", "6000", "市委组织部管理党费"),
        line("budget", "fiscal", "lecture", "6000", "师资费"),
        line("expense", "fiscal", "comprehensive", "21360", "住宿、伙食和场地"),
        line("expense", "party_dues", "comprehensive", "4200", "学习资料和交通"),
        professor,
    ];
    let tx = Tx::begin(db, &sys, &Actor::operator("演示数据")).await.map_err(e)?;
    funds::set_venue(&tx, class.id, "third").await.map_err(e)?;
    for l in &lines {
        funds::add_line(&tx, class.id, l).await.map_err(e)?;
    }
    tx.commit().await.map_err(|x| x.to_string())?;
    // 平江县 holds its own classes to a stricter comprehensive cap for the third class.
    let pingjiang = xuepei_store::org::get_by_code(db, &sys, "430626").await.map_err(e)?;
    let mut caps = xuepei_domain::training::funding::FeeCaps::default().fields();
    caps.insert("day_third".into(), "500".into());
    let tx = Tx::begin(db, &Scope::of_org(db, pingjiang.id).await.map_err(e)?, &Actor::operator("演示数据"))
        .await
        .map_err(e)?;
    xuepei_store::fee_caps::set(&tx, &caps).await.map_err(e)?;
    tx.commit().await.map_err(|x| x.to_string())?;
    Ok(format!(
        "演示培训经费：“{}”预算和支出{}条（一条讲课费超出标准）；平江县从严设定三类培训综合定额每人每天500元",
        class.title,
        lines.len()
    ))
}
