//! The demo's filing upward (issue 14 item 1): in the 2015 grassroots-secretary campaign
//! (plans due 9 March, seed 002), the counties file their implementation plans with the
//! city organisation department — two on time, one a week late, one returned with
//! comments, one awaiting the city's decision, the rest not yet filed — and the city organs
//! work committee's units file with it (a route), so a new user sees the board, the late
//! flags and the city's inbox; 云溪区's first progress report is drafted from the data.

use chrono::{DateTime, NaiveDate, Utc};
use xuepei_domain::training::report;
use xuepei_store::filings::{self, FilingInput};
use xuepei_store::page::At;
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx, campaigns, report_drafts};

/// Beijing time on a day of 2015, as stored (UTC).
fn at(m: u32, d: u32, hour: u32) -> Option<DateTime<Utc>> {
    let local = NaiveDate::from_ymd_opt(2015, m, d)?.and_hms_opt(hour, 30, 0)?;
    Some(DateTime::from_naive_utc_and_offset(local - chrono::Duration::hours(8), Utc))
}

/// A month and day of 2015.
type Day = (u32, u32);
/// A decision and its day: accept, or return with comments.
type Decision = Option<(&'static str, Day)>;

/// (county code, name, submitted, decision; none: awaiting the city).
const PLANS: [(&str, &str, Day, Decision); 5] = [
    ("430602", "岳阳楼区", (3, 5), Some(("accept", (3, 6)))),
    ("430603", "云溪区", (3, 6), Some(("accept", (3, 9)))),
    ("430611", "君山区", (3, 16), Some(("accept", (3, 18)))),
    ("430621", "岳阳县", (3, 8), Some(("return", (3, 10)))),
    ("430623", "华容县", (3, 9), None),
];

/// Writes the scenario after the training demo; says what it made.
pub async fn seed_filings(db: &DatabaseConnection) -> Result<String, String> {
    let e = |x: xuepei_store::StoreError| x.reasons();
    let sys = Scope::system();
    let all = campaigns::list(db, &sys, At::First, 50).await.map_err(e)?.items;
    let Some(c) = all.iter().find(|c| c.title == "全市基层党组织书记集中轮训") else {
        return Ok("演示备案：未找到轮训工作，跳过".into());
    };
    let actor = Actor::operator("演示数据");
    let city = Scope::of_org(db, c.issuer_org_id).await.map_err(e)?;
    // The city sets the routes and duties: every county files with it (a route each,
    // whatever departments the tree holds).
    let tx = Tx::begin(db, &city, &actor).await.map_err(e)?;
    for code in ["430602", "430603", "430611", "430621", "430623", "430624", "430626", "430671", "430681", "430682"] {
        filings::set_route(&tx, c.id, code, "430600").await.map_err(e)?;
    }
    filings::set_terms(&tx, c.id, "monthly", "", NaiveDate::from_ymd_opt(2016, 1, 15)).await.map_err(e)?;
    tx.commit().await.map_err(|x| x.to_string())?;
    let mut made = 0;
    for (code, name, (m, d), decision) in PLANS {
        // Each county drafts, attaches and submits its own plan …
        let county = xuepei_store::org::get_by_code(db, &city, code).await.map_err(e)?;
        let own = Scope::of_org(db, county.id).await.map_err(e)?;
        let input = FilingInput {
            org: code.into(),
            kind: "plan".into(),
            period: String::new(),
            title: format!("{name}基层党组织书记集中轮训实施方案"),
            body: format!(
                "一、指导思想\n深入学习贯彻党的十八大和十八届三中、四中全会精神……\n二、培训对象\n{name}所有村（社区）党组织书记。\n\
                 三、培训内容\n按照市委组织部通知确定的五个方面内容。\n四、方法步骤\n分期分批，每期不少于3天。\n五、组织保障\n经费从财政培训经费和管理党费中列支。"
            ),
        };
        let tx = Tx::begin(db, &own, &actor).await.map_err(e)?;
        let f = filings::create(&tx, c.id, &input).await.map_err(e)?;
        let text = input.body.clone().into_bytes();
        filings::add_file(&tx, f.id, &format!("{name}集中轮训实施方案（印发稿）.txt"), text).await.map_err(e)?;
        filings::submit(&tx, f.id).await.map_err(e)?;
        tx.commit().await.map_err(|x| x.to_string())?;
        // … and the city decides, the dates of 2015 recorded.
        let tx = Tx::begin(db, &city, &actor).await.map_err(e)?;
        if let Some((action, _)) = decision {
            let comments = if action == "return" {
                "请补充参训对象名单、分期安排和经费预算后重新报送"
            } else {
                ""
            };
            filings::decide(&tx, f.id, action, comments).await.map_err(e)?;
        }
        let submitted = at(m, d, 10).ok_or("演示日期有误")?;
        let decided = decision.and_then(|(_, (dm, dd))| at(dm, dd, 16));
        filings::record_times(&tx, f.id, submitted, decided).await.map_err(e)?;
        tx.commit().await.map_err(|x| x.to_string())?;
        made += 1;
    }
    // 云溪区 drafts its first progress report from the data, left for it to edit and submit.
    let yunxi = xuepei_store::org::get_by_code(db, &city, "430603").await.map_err(e)?;
    let own = Scope::of_org(db, yunxi.id).await.map_err(e)?;
    let input = FilingInput {
        org: yunxi.code.clone(),
        kind: "progress".into(),
        period: "1".into(),
        title: "第1期进度报告".into(),
        body: String::new(),
    };
    let tx = Tx::begin(db, &own, &actor).await.map_err(e)?;
    let f = filings::create(&tx, c.id, &input).await.map_err(e)?;
    tx.commit().await.map_err(|x| x.to_string())?;
    let today = xuepei_domain::time::today();
    let facts = report_drafts::facts(db, &own, f.id, today).await.map_err(e)?;
    let tx = Tx::begin(db, &own, &actor).await.map_err(e)?;
    report_drafts::write(&tx, f.id, facts.as_of, &report::draft(&facts)).await.map_err(e)?;
    tx.commit().await.map_err(|x| x.to_string())?;
    Ok(format!(
        "演示方案备案：“{}”{made}个县市区报送实施方案（2个按期备案、1个逾期7天、1个被退回、1个待备案，其余未报送）；云溪区第1期进度报告已根据系统数据起草（草稿）",
        c.title
    ))
}
