//! The demo's certificates (issue 14 item 5): completion certificates for every completed
//! class of the secretaries' campaign, one revoked (issued to the wrong person), and a
//! certificate of the year's hours; the output names a valid and a revoked code to try at
//! `/verify/<code>` (or by scanning the printed PDF's QR code).

use chrono::Datelike;
use xuepei_store::page::At;
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, campaigns, certificates, classes};

/// Writes the scenario after the training demo; says what it made.
pub async fn seed_certificates(db: &DatabaseConnection) -> Result<String, String> {
    let e = |x: xuepei_store::StoreError| x.reasons();
    let sys = Scope::system();
    let all = campaigns::list(db, &sys, At::First, 50).await.map_err(e)?.items;
    let Some(c) = all.iter().find(|c| c.title == "全市基层党组织书记集中轮训") else {
        return Ok("演示证书：未找到轮训工作，跳过".into());
    };
    let done: Vec<classes::Class> = classes::list_for_campaign(db, &sys, c.id)
        .await
        .map_err(e)?
        .into_iter()
        .filter(|k| k.status == classes::ClassStatus::Completed)
        .collect();
    let actor = Actor::operator("演示数据");
    let tx = Tx::begin(db, &sys, &actor).await.map_err(e)?;
    let mut issued = 0;
    for k in &done {
        issued += certificates::issue_for_class(&tx, k.id).await.map_err(e)?.issued;
    }
    tx.commit().await.map_err(|x| x.to_string())?;
    let Some(city_class) = done.iter().find(|k| k.title.contains("城区社区和村")) else {
        return Ok(format!("演示证书：颁发结业证书{issued}份"));
    };
    let list = certificates::for_class(db, &sys, city_class.id).await.map_err(e)?;
    let (Some(valid), Some(wrong)) = (list.first(), list.last().filter(|_| list.len() > 1)) else {
        return Ok(format!("演示证书：颁发结业证书{issued}份"));
    };
    let tx = Tx::begin(db, &sys, &actor).await.map_err(e)?;
    certificates::revoke(&tx, wrong.id, "学员信息登记有误，已更正后重新颁发").await.map_err(e)?;
    tx.commit().await.map_err(|x| x.to_string())?;
    let organiser = Scope::of_org(db, city_class.organiser.id).await.map_err(e)?;
    let tx = Tx::begin(db, &organiser, &actor).await.map_err(e)?;
    let hours = certificates::issue_hours(&tx, valid.person_id, city_class.end_on.year()).await.map_err(e)?;
    tx.commit().await.map_err(|x| x.to_string())?;
    Ok(format!(
        "演示证书：颁发结业证书{issued}份、学时证明1份，撤销1份；扫码核验示例：/verify/{}（有效），/verify/{}（已撤销），/verify/{}（学时证明）",
        valid.code, wrong.code, hours.code
    ))
}
