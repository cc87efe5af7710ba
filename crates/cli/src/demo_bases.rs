//! The demo's practice bases (seed 002 §四): villages and communities of three counties
//! apply with the 五有; 平江县 has accredited its 5 + 5, 岳阳楼区 and 云溪区 fall short; the
//! counties recommend within their quotas; the city accredits some, returns one with
//! comments and has one still to decide; one application still lacks two items.

use xuepei_domain::org::Sector;
use xuepei_store::bases::{self, BaseInput};
use xuepei_store::org::{self, OrgFilter};
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx};

/// (county, villages accredited by the county, communities accredited, the villages and
/// communities it recommends, and what the city does with them: accredit, return, wait).
type Plan = (&'static str, usize, usize, &'static [(&'static str, &'static str)]);

const PLANS: [Plan; 3] = [
    ("430602", 2, 5, &[("village", "accredit_city"), ("community", "accredit_city"), ("community", "accredit_city")]),
    ("430626", 5, 5, &[("village", "accredit_city"), ("community", "return")]),
    ("430603", 2, 1, &[("village", "wait")]),
];

fn evidence(name: &str) -> [String; 5] {
    [
        format!("{name}党群服务中心培训室，可容纳100人"),
        format!("{name}党组织书记等讲解员3名"),
        format!("《{name}基层治理和集体经济发展典型材料》"),
        format!("{name}产业基地、党员先锋岗示范点"),
        format!("专题片《{name}的新变化》（12分钟）"),
    ]
}

/// Writes the scenario; says what it made.
pub async fn seed_bases(db: &DatabaseConnection) -> Result<String, String> {
    let e = |x: xuepei_store::StoreError| x.reasons();
    let actor = Actor::operator("演示数据");
    let sys = Scope::system();
    let year = xuepei_domain::time::today().format("%Y").to_string();
    let city = org::get_by_code(db, &sys, "430600").await.map_err(e)?;
    let city_scope = Scope::of_org(db, city.id).await.map_err(e)?;
    let mut made = 0;
    for (code, villages, communities, recommended) in PLANS {
        let county = org::get_by_code(db, &sys, code).await.map_err(e)?;
        let scope = Scope::of_org(db, county.id).await.map_err(e)?;
        let of = async |sector: Sector, n: usize| -> Result<Vec<org::Org>, String> {
            let f = OrgFilter { sector: Some(sector), ..Default::default() };
            Ok(org::all(db, &scope, &f).await.map_err(e)?.into_iter().filter(|o| o.code.len() == 12).take(n).collect())
        };
        let nv = villages.max(recommended.iter().filter(|r| r.0 == "village").count());
        let nc = communities.max(recommended.iter().filter(|r| r.0 == "community").count());
        let mut hosts: Vec<(org::Org, &str)> =
            of(Sector::Village, nv).await?.into_iter().map(|o| (o, "village")).collect();
        hosts.extend(of(Sector::Community, nc).await?.into_iter().map(|o| (o, "community")));
        let tx = Tx::begin(db, &scope, &actor).await.map_err(e)?;
        let mut ids: Vec<(i64, &str)> = Vec::new();
        for (o, kind) in &hosts {
            let name = o.display_name().to_owned();
            let input = BaseInput {
                org: o.code.clone(),
                name: format!("{name}党员干部示范培训实践基地"),
                kind: (*kind).into(),
                year: year.clone(),
                summary: format!("{name}在基层社会治理、服务党员群众和发展集体经济等方面特点突出、成效明显。"),
                evidence: evidence(&name),
                ..Default::default()
            };
            ids.push((bases::create(&tx, &input).await.map_err(e)?.id, kind));
            made += 1;
        }
        // The county accredits its own, then recommends within its quota.
        let mut left = (villages, communities);
        for (id, kind) in &ids {
            let n = if *kind == "village" { &mut left.0 } else { &mut left.1 };
            if *n > 0 {
                *n -= 1;
                bases::act(&tx, *id, "accredit_county", "").await.map_err(e)?;
            }
        }
        let mut picks = Vec::new();
        for (kind, step) in recommended {
            let Some(pos) = ids.iter().position(|(_, k)| k == kind) else { continue };
            let (id, _) = ids.remove(pos);
            bases::act(&tx, id, "recommend", "").await.map_err(e)?;
            picks.push((id, *step));
        }
        tx.commit().await.map_err(|x| x.to_string())?;
        let tx = Tx::begin(db, &city_scope, &actor).await.map_err(e)?;
        for (id, step) in picks {
            match step {
                "accredit_city" => drop(bases::act(&tx, id, step, "").await.map_err(e)?),
                "return" => {
                    drop(bases::act(&tx, id, step, "请补充专题片的播放时长和讲解员名单后重新推荐").await.map_err(e)?)
                }
                _ => {}
            }
        }
        tx.commit().await.map_err(|x| x.to_string())?;
    }
    // One application still lacks two of the five items.
    let county = org::get_by_code(db, &sys, "430603").await.map_err(e)?;
    let scope = Scope::of_org(db, county.id).await.map_err(e)?;
    let f = OrgFilter { sector: Some(Sector::Village), ..Default::default() };
    if let Some(o) = org::all(db, &scope, &f).await.map_err(e)?.into_iter().filter(|o| o.code.len() == 12).nth(3) {
        let mut ev = evidence(o.display_name());
        ev[1].clear();
        ev[4].clear();
        let input = BaseInput {
            org: o.code.clone(),
            name: format!("{}党员干部示范培训实践基地", o.display_name()),
            kind: "village".into(),
            year,
            evidence: ev,
            ..Default::default()
        };
        let tx = Tx::begin(db, &scope, &actor).await.map_err(e)?;
        bases::create(&tx, &input).await.map_err(e)?;
        tx.commit().await.map_err(|x| x.to_string())?;
        made += 1;
    }
    Ok(format!(
        "演示示范培训实践基地：{made} 个（平江县县级授牌村、社区各5个，岳阳楼区、云溪区不足；市级已授牌4个、退回1个、待审核1个；1个申报缺“五有”两项）"
    ))
}
