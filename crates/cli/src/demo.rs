//! `xuepei demo`: a fresh SQLite database holding the real divisions of 岳阳市 — the city,
//! its 10 county-level areas, 138 towns and streets and 1,899 villages and communities —
//! the city departments and work committees named in the documents, and generated
//! people: a secretary and committee members for every village, community, town and
//! street, and leadership members for the county-level and city bodies.

use std::collections::HashMap;
use std::process::ExitCode;

use xuepei_domain::divisions::{self, Division, DivisionLevel};
use xuepei_domain::idcard::{self, IdNumber};
use xuepei_domain::org::{OrgKind, Sector};
use xuepei_domain::people::{PersonDraft, RankLevel, Role, Roles};
use xuepei_domain::synth::Synth;
use xuepei_store::imports::Present;
use xuepei_store::imports::people::{PeopleImport, today_in_china};
use xuepei_store::org::{self, OrgInput};
use xuepei_store::page::At;
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx};

use crate::commands;
use crate::config::Config;

const YUEYANG: &str = include_str!("../../../assets/divisions/430600-yueyang.csv");

/// What the demo made.
#[derive(Debug, Default)]
pub struct Summary {
    pub orgs: usize,
    pub people: u64,
}

/// The demo accounts' password unless `--password` says otherwise.
pub const DEFAULT_PASSWORD: &str = "Xuepei@2026";

pub async fn run(cfg: &Config, seed_value: u64, no_serve: bool, password: &str) -> Result<ExitCode, String> {
    xuepei_domain::accounts::check_password(password, "").map_err(|e| format!("--password 不符合密码规则：{e}"))?;
    let file = cfg.data_dir.join("demo.db");
    for suffix in ["", "-wal", "-shm"] {
        let p = format!("{}{suffix}", file.display());
        if std::path::Path::new(&p).exists() {
            std::fs::remove_file(&p).map_err(|e| format!("无法删除旧的演示数据库 {p}：{e}"))?;
        }
    }
    let mut demo_cfg = cfg.clone();
    demo_cfg.database_url = xuepei_store::db::sqlite_url(&file).map_err(|e| e.to_string())?;
    let conn = commands::connect(&demo_cfg).await?;
    println!("正在生成演示数据（岳阳市真实行政区划）……");
    let s = seed(&conn, seed_value, None).await?;
    println!("演示数据库：{}（{} 个组织，{} 名人员）", file.display(), s.orgs, s.people);
    let accounts = seed_accounts(&conn, password).await?;
    let campaigns = seed_campaigns(&conn).await?;
    println!("演示轮训工作：{campaigns} 项");
    let city_classes = seed_classes(&conn).await?;
    println!("演示省级示范班和市级班次：{city_classes} 个（含课程表、师资库和教学场地）");
    // The city class's money is entered while it runs: completion settles its books.
    println!("{}", crate::demo_funds::seed_funds(&conn).await?);
    let t = crate::demo_training::seed_training(&conn, DEMO_TRAINING_COUNTIES).await?;
    println!("演示分期轮训：{} 个班次，{} 人报名，{} 人已结业", t.classes, t.enrolled, t.completed);
    println!("{}", crate::demo_certificates::seed_certificates(&conn).await?);
    println!("{}", crate::demo_filings::seed_filings(&conn).await?);
    println!("{}", crate::demo_bases::seed_bases(&conn).await?);
    println!("{}", crate::demo_materials::seed_materials(&conn).await?);
    println!("{}", crate::demo_study_logs::seed_study_logs(&conn).await?);
    println!("{}", crate::demo_meetings::seed_meetings(&conn).await?);
    println!("{}", crate::demo_study_groups::seed_study_groups(&conn).await?);
    println!("{}", crate::demo_notifications::seed_notifications(&conn).await?);
    println!("演示账号（密码均为 {password}）：");
    for (username, what) in &accounts {
        println!("  {username:<12} {what}");
    }
    println!(
        "其他命令默认使用 {}，要对演示数据执行导入、导出等命令，请加参数 --database-url {}",
        cfg.database_url, demo_cfg.database_url
    );
    println!(
        "重置演示数据：再次运行 xuepei demo（会重新生成 {}），或删除 {} 目录。",
        file.display(),
        cfg.data_dir.display()
    );
    if no_serve {
        return Ok(ExitCode::SUCCESS);
    }
    commands::serve_with(&demo_cfg, conn, |addr| {
        println!("学培演示系统已启动：http://{addr}/");
        println!("按 Ctrl-C 停止。");
    })
    .await
}

struct Dept {
    code: &'static str,
    name: &'static str,
    short: &'static str,
    kind: OrgKind,
    sector: Sector,
}

/// The city-level bodies named in the documents [002 heading and §五(一)].
const CITY_BODIES: &[Dept] = &[
    Dept {
        code: "430600-ZZB",
        name: "中共岳阳市委组织部",
        short: "市委组织部",
        kind: OrgKind::Department,
        sector: Sector::Organ,
    },
    Dept {
        code: "430600-XCB",
        name: "中共岳阳市委宣传部",
        short: "市委宣传部",
        kind: OrgKind::Department,
        sector: Sector::Organ,
    },
    Dept {
        code: "430600-JGGW",
        name: "中共岳阳市直属机关工作委员会",
        short: "市直机关工委",
        kind: OrgKind::WorkingCommittee,
        sector: Sector::Organ,
    },
    Dept {
        code: "430600-GZW",
        name: "中共岳阳市人民政府国有资产监督管理委员会委员会",
        short: "市国资委党委",
        kind: OrgKind::Committee,
        sector: Sector::StateEnterprise,
    },
    Dept {
        code: "430600-FGW",
        name: "中共岳阳市非公有制经济组织工作委员会",
        short: "市非公有制经济组织党工委",
        kind: OrgKind::WorkingCommittee,
        sector: Sector::NonPublic,
    },
    Dept {
        code: "430600-SZW",
        name: "中共岳阳市社会组织工作委员会",
        short: "市社会组织党工委",
        kind: OrgKind::WorkingCommittee,
        sector: Sector::Social,
    },
    Dept {
        code: "430600-JKQ",
        name: "中共岳阳经济技术开发区工作委员会",
        short: "岳阳经济技术开发区",
        kind: OrgKind::WorkingCommittee,
        sector: Sector::Organ,
    },
    Dept {
        code: "430600-CLJ",
        name: "中共城陵矶临港产业新区工作委员会",
        short: "城陵矶临港产业新区",
        kind: OrgKind::WorkingCommittee,
        sector: Sector::Organ,
    },
    Dept {
        code: "430600-NHQ",
        name: "中共南湖风景区工作委员会",
        short: "南湖风景区",
        kind: OrgKind::WorkingCommittee,
        sector: Sector::Organ,
    },
];

/// Organs under the organs work committee named in the documents [002 §五(一)].
const ORGANS: &[(&str, &str, &str)] = &[
    ("430600-CZJ", "中共岳阳市财政局机关委员会", "市财政局机关党委"),
    ("430600-SFJ", "中共岳阳市司法局机关委员会", "市司法局机关党委"),
];

/// Generated people of one organisation, before insertion.
struct Member {
    roles: &'static [Role],
    position: String,
    rank: RankLevel,
    male_share: f64,
}

fn member(roles: &'static [Role], position: String, rank: RankLevel, male_share: f64) -> Member {
    Member { roles, position, rank, male_share }
}

impl Member {
    /// Plausible ages for the post: leaders of a city are in their fifties, of a county in
    /// their forties and fifties; a village secretary is rarely under 30.
    fn ages(&self) -> (u32, u32) {
        let heads = self.roles.contains(&Role::Secretary) || self.roles.contains(&Role::DeputySecretary);
        match (self.rank, heads) {
            (RankLevel::Bureau, _) => (50, 59),
            (RankLevel::County, true) => (45, 57),
            (RankLevel::County, false) => (40, 57),
            (RankLevel::Township, true) => (35, 52),
            (RankLevel::Township, false) => (28, 52),
            (RankLevel::Other, true) => (32, 60),
            (RankLevel::Other, false) => (24, 58),
        }
    }
}

/// Builds the organisations and people — of every county-level area, or of those whose
/// codes are given (tests use a few) — and returns counts.
pub async fn seed(db: &DatabaseConnection, rng_seed: u64, counties: Option<&[&str]>) -> Result<Summary, String> {
    let divs: Vec<Division> = divisions::parse_csv(YUEYANG)?
        .into_iter()
        .filter(|d| {
            d.level == DivisionLevel::City || counties.is_none_or(|cs| cs.iter().any(|c| d.code.starts_with(c)))
        })
        .collect();
    let system = Scope::system();
    let actor = Actor::operator("演示数据");
    let tx = Tx::begin(db, &system, &actor).await.map_err(|e| e.to_string())?;
    let mut ids: HashMap<String, i64> = HashMap::new();
    let mut names: HashMap<String, String> = HashMap::new();
    let mut orgs = 0;
    let create = async |input: OrgInput| -> Result<i64, String> {
        let o = org::create(&tx, &input).await.map_err(|e| format!("{}：{e}", input.name))?;
        Ok(o.id)
    };

    let city = divs.iter().find(|d| d.level == DivisionLevel::City).ok_or("缺少市级区划")?;
    let city_id = create(OrgInput {
        code: city.code.clone(),
        name: city.party_org_name(None, None),
        short_name: Some(city.name.clone()),
        kind: OrgKind::Committee,
        sector: Sector::Organ,
        parent_id: None,
        authority_org_id: None,
    })
    .await?;
    ids.insert(city.code.clone(), city_id);
    orgs += 1;
    for d in CITY_BODIES {
        let id = create(OrgInput {
            code: d.code.into(),
            name: d.name.into(),
            short_name: Some(d.short.into()),
            kind: d.kind,
            sector: d.sector,
            parent_id: Some(city_id),
            authority_org_id: None,
        })
        .await?;
        ids.insert(d.code.into(), id);
        orgs += 1;
    }
    let city_dept = ids["430600-ZZB"];
    for (code, name, short) in ORGANS {
        let id = create(OrgInput {
            code: (*code).into(),
            name: (*name).into(),
            short_name: Some((*short).into()),
            kind: OrgKind::Committee,
            sector: Sector::Organ,
            parent_id: Some(ids["430600-JGGW"]),
            authority_org_id: Some(city_dept),
        })
        .await?;
        ids.insert((*code).into(), id);
        orgs += 1;
    }

    // Counties, each with its organisation and propaganda departments.
    let mut county_dept: HashMap<String, i64> = HashMap::new();
    for d in divs.iter().filter(|d| d.level == DivisionLevel::County) {
        let id = create(OrgInput {
            code: d.code.clone(),
            name: d.party_org_name(None, None),
            short_name: Some(d.name.clone()),
            kind: d.org_kind(),
            sector: Sector::Organ,
            parent_id: Some(city_id),
            authority_org_id: Some(city_dept),
        })
        .await?;
        ids.insert(d.code.clone(), id);
        names.insert(d.code.clone(), d.name.clone());
        orgs += 1;
        let committee = committee_word(&d.name);
        for (suffix, dept) in [("ZZB", "组织部"), ("XCB", "宣传部")] {
            let code = format!("{}-{suffix}", d.code);
            let did = create(OrgInput {
                code: code.clone(),
                name: format!("中共{committee}{dept}"),
                short_name: Some(format!("{}{dept}", committee.trim_start_matches("岳阳市"))),
                kind: OrgKind::Department,
                sector: Sector::Organ,
                parent_id: Some(id),
                authority_org_id: None,
            })
            .await?;
            ids.insert(code, did);
            orgs += 1;
            if suffix == "ZZB" {
                county_dept.insert(d.code.clone(), did);
            }
        }
    }
    let county_of = |d: &Division| d.code[..6].to_owned();
    for d in divs.iter().filter(|d| d.level == DivisionLevel::Town) {
        let county = county_of(d);
        let id = create(OrgInput {
            code: d.code.clone(),
            name: d.party_org_name(names.get(&county).map(String::as_str), None),
            short_name: Some(d.name.clone()),
            kind: d.org_kind(),
            sector: d.sector(),
            parent_id: ids.get(&county).copied(),
            authority_org_id: county_dept.get(&county).copied(),
        })
        .await?;
        ids.insert(d.code.clone(), id);
        names.insert(d.code.clone(), d.name.clone());
        orgs += 1;
    }
    for d in divs.iter().filter(|d| d.level == DivisionLevel::Village) {
        let county = county_of(d);
        let town = d.code[..9].to_owned();
        let id = create(OrgInput {
            code: d.code.clone(),
            name: d.party_org_name(names.get(&county).map(String::as_str), names.get(&town).map(String::as_str)),
            short_name: Some(d.short_name()),
            kind: d.org_kind(),
            sector: d.sector(),
            parent_id: ids.get(&town).copied(),
            authority_org_id: county_dept.get(&county).copied(),
        })
        .await?;
        ids.insert(d.code.clone(), id);
        orgs += 1;
    }
    tx.commit().await.map_err(|e| e.to_string())?;

    // People, through the same importer as a roster file.
    let today = today_in_china();
    let mut synth = Synth::new(rng_seed);
    let mut imp = PeopleImport::begin(
        db,
        system,
        &actor,
        "演示数据",
        Present::all([
            "phone",
            "party_joined_on",
            "position",
            "rank_level",
            "roles",
            "managing_org",
            "ethnicity",
            "native_place",
            "education",
            "degree",
            "work_started_on",
            "position_since",
        ]),
        false,
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut row = 1u64;
    let mut add = async |synth: &mut Synth,
                         org_code: &str,
                         region: &str,
                         m: &Member,
                         managing: Option<&str>|
           -> Result<(), String> {
        let gender = synth.gender(m.male_share);
        let (min_age, max_age) = m.ages();
        let birth = synth.birth_date(today, min_age, max_age);
        let number = synth.id_number(region, birth, gender);
        let id: IdNumber = idcard::parse(&number, today).map_err(|e| e.to_string())?;
        let mut roles = Roles::default();
        for r in m.roles {
            roles.insert(*r);
        }
        let draft = PersonDraft {
            name: synth.name(gender),
            gender: id.gender,
            birth_date: id.birth_date,
            phone: Some(synth.mobile()),
            party_joined_on: Some(synth.party_joined_on(id.birth_date, today)),
            position: Some(m.position.clone()),
            rank_level: Some(m.rank),
            roles,
            profile: synth.profile(id.birth_date, m.rank, today),
            org_ref: org_code.to_owned(),
            org_name_check: None,
            managing_org_ref: managing.map(str::to_owned),
            id,
        };
        row += 1;
        imp.push(row, draft).await.map_err(|e| e.to_string())
    };

    use Role::{CommitteeMember as Member_, DeputySecretary, LeadershipMember, Principal, Secretary};
    // City leadership and staff of the city bodies.
    for m in [
        member(&[Secretary, Principal, LeadershipMember], "市委书记".into(), RankLevel::Bureau, 0.9),
        member(&[DeputySecretary, LeadershipMember], "市委副书记、市长".into(), RankLevel::Bureau, 0.8),
        member(&[DeputySecretary, LeadershipMember], "市委副书记".into(), RankLevel::Bureau, 0.7),
        member(&[LeadershipMember], "市委常委、组织部部长".into(), RankLevel::Bureau, 0.7),
        member(&[LeadershipMember], "市委常委、宣传部部长".into(), RankLevel::Bureau, 0.6),
    ] {
        add(&mut synth, &city.code, "430602", &m, None).await?;
    }
    for d in CITY_BODIES.iter().take(6) {
        let posts = if d.kind == OrgKind::Department {
            ["副部长", "干部教育科科长", "一级主任科员"]
        } else {
            ["专职副书记", "办公室主任", "一级主任科员"]
        };
        for (pos, rank) in posts.into_iter().zip([RankLevel::County, RankLevel::Township, RankLevel::Other]) {
            add(
                &mut synth,
                d.code,
                "430602",
                &member(&[], format!("{}{pos}", d.short), rank, 0.55),
                Some("430600-ZZB"),
            )
            .await?;
        }
    }
    for d in divs.iter().filter(|d| d.level == DivisionLevel::County) {
        let body = committee_word(&d.name);
        let body = body.trim_start_matches("岳阳市");
        let head = county_head(&d.name);
        let dept = format!("{}-ZZB", d.code);
        let leaders = [
            member(&[Secretary, Principal, LeadershipMember], format!("{body}书记"), RankLevel::County, 0.9),
            member(&[DeputySecretary, LeadershipMember], format!("{body}副书记、{head}"), RankLevel::County, 0.8),
            member(&[DeputySecretary, LeadershipMember], format!("{body}副书记"), RankLevel::County, 0.7),
            member(&[LeadershipMember], format!("{body}常委、组织部部长"), RankLevel::County, 0.7),
            member(&[LeadershipMember], format!("{body}常委、宣传部部长"), RankLevel::County, 0.6),
            member(&[LeadershipMember], format!("{body}常委、纪委书记"), RankLevel::County, 0.7),
            member(&[LeadershipMember], format!("{body}常委、政法委书记"), RankLevel::County, 0.8),
            member(&[LeadershipMember], format!("{body}常委、统战部部长"), RankLevel::County, 0.6),
            member(&[LeadershipMember], format!("{body}常委、常务副{head}"), RankLevel::County, 0.7),
        ];
        for m in &leaders {
            // The city department trains county leadership members [000 §三(一)].
            add(&mut synth, &d.code, &d.code, m, Some("430600-ZZB")).await?;
        }
        for (suffix, dept_name) in [("ZZB", "组织部"), ("XCB", "宣传部")] {
            let code = format!("{}-{suffix}", d.code);
            for (pos, rank) in [
                ("副部长", RankLevel::Township),
                ("干部教育科科长", RankLevel::Township),
                ("一级科员", RankLevel::Other),
            ] {
                add(&mut synth, &code, &d.code, &member(&[], format!("{dept_name}{pos}"), rank, 0.5), Some(&dept))
                    .await?;
            }
        }
    }
    for d in divs.iter().filter(|d| d.level == DivisionLevel::Town) {
        let county = county_of(d);
        let dept = format!("{county}-ZZB");
        let street = d.sector() == Sector::Street;
        let body = if street { "党工委" } else { "党委" };
        let head = if street {
            "办事处主任"
        } else if d.name.ends_with('乡') {
            "乡长"
        } else {
            "镇长"
        };
        let team = [
            member(
                &[Secretary, Principal, LeadershipMember],
                format!("{}{body}书记", d.name),
                RankLevel::Township,
                0.85,
            ),
            member(
                &[DeputySecretary, LeadershipMember],
                format!("{}{body}副书记、{head}", d.name),
                RankLevel::Township,
                0.75,
            ),
            member(
                &[DeputySecretary, LeadershipMember],
                format!("{}{body}专职副书记", d.name),
                RankLevel::Township,
                0.6,
            ),
            member(&[Member_, LeadershipMember], format!("{}{body}委员、组织委员", d.name), RankLevel::Township, 0.55),
            member(&[Member_, LeadershipMember], format!("{}{body}委员、宣传委员", d.name), RankLevel::Township, 0.5),
            member(&[Member_, LeadershipMember], format!("{}{body}委员、纪委书记", d.name), RankLevel::Township, 0.6),
        ];
        for m in &team {
            add(&mut synth, &d.code, &county, m, Some(&dept)).await?;
        }
    }
    for d in divs.iter().filter(|d| d.level == DivisionLevel::Village) {
        let county = county_of(d);
        let dept = format!("{county}-ZZB");
        let short = d.short_name();
        let body = if d.org_kind() == OrgKind::GeneralBranch { "党总支" } else { "党委" };
        add(
            &mut synth,
            &d.code,
            &county,
            &member(&[Secretary, Member_], format!("{short}{body}书记"), RankLevel::Other, 0.8),
            Some(&dept),
        )
        .await?;
        let members = 2 + synth.below(3);
        for (i, role) in ["组织委员", "宣传委员", "纪检委员", "青年委员"].iter().take(members).enumerate()
        {
            let share = if i == 0 { 0.6 } else { 0.45 };
            add(
                &mut synth,
                &d.code,
                &county,
                &member(&[Member_], format!("{short}{body}{role}"), RankLevel::Other, share),
                Some(&dept),
            )
            .await?;
        }
    }
    let report = imp.finish().await.map_err(|e| e.to_string())?;
    if !report.is_ok() {
        let first = report.errors.first().map(ToString::to_string).unwrap_or_default();
        return Err(format!("生成演示人员失败：{first}"));
    }
    Ok(Summary { orgs, people: report.inserted })
}

/// The county-level committee's everyday name: "岳阳楼区委", "岳阳县委", "汨罗市委",
/// "岳阳市屈原管理区党工委".
fn committee_word(name: &str) -> String {
    if name.ends_with("管理区") { format!("{name}党工委") } else { format!("{name}委") }
}

/// The title of a county-level government's head.
fn county_head(name: &str) -> &'static str {
    if name.ends_with("管理区") {
        "管委会主任"
    } else if name.ends_with('区') {
        "区长"
    } else if name.ends_with('县') {
        "县长"
    } else {
        "市长"
    }
}

/// The demo accounts, each over the subtree its role needs; those whose organisation is not
/// in the seeded data are skipped. Returns `(user name, description)`.
/// The campaigns of seeds 002 and 000, issued by the city: the 2015 grassroots-secretary
/// campaign (the city's notice of 2015-03-03 on the province's 湘组发〔2015〕15号; the seed
/// gives the city's notice no number) and the 2017–18 leaders' campaign. The city
/// committee issues them, since only its subtree holds the counties they target.
/// The counties whose village-secretary batches the demo plans and runs.
pub const DEMO_TRAINING_COUNTIES: &[&str] = &["430602", "430603", "430626"];

pub async fn seed_campaigns(db: &DatabaseConnection) -> Result<usize, String> {
    use xuepei_domain::training::rules::{CampaignRules, TargetFilter};
    use xuepei_store::campaigns::{self, CampaignInput};
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d);
    let plan = [
        CampaignInput {
            issuer: "430600".into(),
            doc_number: String::new(),
            title: "全市基层党组织书记集中轮训".into(),
            kind: "rotation".into(),
            start: day(2015, 3, 1),
            end: day(2015, 12, 31),
            plan_deadline: day(2015, 3, 9),
            target: TargetFilter { roles: vec![Role::Secretary], ..TargetFilter::default() },
            rules: CampaignRules::default(),
        },
        CampaignInput {
            issuer: "430600".into(),
            doc_number: String::new(),
            title: "领导干部学习贯彻党的十九大精神集中轮训".into(),
            kind: "rotation".into(),
            start: day(2017, 12, 1),
            end: day(2018, 6, 30),
            plan_deadline: None,
            target: TargetFilter { rank_levels: vec![RankLevel::County], ..TargetFilter::default() },
            // Seed 000 §三: the report and the thought, read in the original, with its materials.
            rules: CampaignRules {
                quotas: Vec::new(),
                topics: vec![
                    "党的十九大精神和习近平新时代中国特色社会主义思想".into(),
                    "党的十九大报告和党章".into(),
                    "联系实际的专题研讨".into(),
                ],
                materials: [
                    "《习近平谈治国理政》第一卷、第二卷",
                    "《习近平新时代中国特色社会主义思想学习纲要》",
                    "《中国共产党第十九次全国代表大会文件汇编》",
                    "《党的十九大报告辅导读本》",
                    "《党的十九大报告学习辅导百问》",
                    "电视专题片《将改革进行到底》《法治中国》《大国外交》《巡视利剑》《辉煌中国》《强军》《不忘初心、继续前进》",
                ]
                .into_iter()
                .map(str::to_owned)
                .collect(),
                ..CampaignRules::default()
            },
        },
    ];
    let tx = Tx::begin(db, &Scope::system(), &Actor::operator("演示数据")).await.map_err(|e| e.to_string())?;
    for input in &plan {
        if let Err(e) = campaigns::create(&tx, input).await {
            let _ = tx.rollback().await;
            return Err(format!("{}：{e}", input.title));
        }
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(plan.len())
}

/// The city-level classes of the 2015 grassroots-secretary campaign [002 §五(一)]: a
/// province demonstration class and two city classes (township and street secretaries;
/// central-urban community secretaries with 15% of the village secretaries), each with a
/// timetable over the five topics and the six teaching modes, delivered by the city's
/// party school with the city's instructor pool and venues. Returns the classes made.
pub async fn seed_classes(db: &DatabaseConnection) -> Result<usize, String> {
    use xuepei_domain::labels::Labeled;
    use xuepei_domain::training::rules::TargetFilter;
    use xuepei_domain::training::{SessionSlot, TeachingMode};
    use xuepei_store::classes::instructors::{self, InstructorInput};
    use xuepei_store::classes::sessions::{self, SessionInput};
    use xuepei_store::classes::venues::{self, VenueInput};
    use xuepei_store::classes::{self, ClassInput};
    const TOPICS: [&str; 5] = [
        "习近平总书记系列重要讲话精神和党的十八大以来党和国家重大方针政策",
        "党章、党的基本知识和党内有关纪律规定",
        "基层依法治理和民主协商的基本要求、基本规章、基本程序",
        "基层党组织基本职责和工作方法",
        "中央和省委、市委关于推进基层社会治理创新的精神和政策",
    ];
    let sys = Scope::system();
    let all = xuepei_store::campaigns::list(db, &sys, At::First, 50).await.map_err(|e| e.to_string())?.items;
    let Some(campaign) = all.iter().find(|c| c.title == "全市基层党组织书记集中轮训") else {
        return Ok(0);
    };
    let Ok(city) = org::get_by_code(db, &sys, "430600").await else {
        return Ok(0);
    };
    let counties: Vec<String> = org::children(db, &sys, Some(city.id), false)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|n| n.org.code.len() == 6)
        .map(|n| n.org.code)
        .collect();
    let day = |m, d| chrono::NaiveDate::from_ymd_opt(2015, m, d);
    let secretaries_of =
        |sectors: Vec<Sector>| TargetFilter { sectors, roles: vec![Role::Secretary], ..TargetFilter::default() };
    let tx = Tx::begin(db, &sys, &Actor::operator("演示数据")).await.map_err(|e| e.to_string())?;
    let made = async {
        // The city's instructor pool and venues.
        let pool = [
            ("周建华", "leader", "市委常委、组织部部长", "中共岳阳市委组织部", "基层党建工作责任制"),
            ("陈立新", "expert", "教授", "中共岳阳市委党校", "基层社会治理创新"),
            ("刘慧敏", "expert", "副教授", "湖南理工学院马克思主义学院", "基层依法治理和民主协商"),
            ("张志强", "secretary", "村党总支书记", "岳阳县张谷英镇张谷英村", "发展村级集体经济"),
            ("李红梅", "secretary", "社区党委书记", "岳阳楼区洞庭街道", "创建文明和谐社区"),
            ("王丽", "teacher", "党建教研室主任", "中共岳阳市委党校", "党章党规、党员教育管理"),
        ];
        let mut people = Vec::new();
        for (name, kind, title, unit, topics) in pool {
            let input = InstructorInput {
                org: city.code.clone(),
                name: name.into(),
                kind: kind.into(),
                title: title.into(),
                unit: unit.into(),
                topics: topics.into(),
                ..InstructorInput::default()
            };
            people.push(instructors::create(&tx, &input).await?);
        }
        let mut places = Vec::new();
        for (name, kind, address, capacity) in [
            ("市委党校第一报告厅", "classroom", "岳阳市岳阳楼区学院路", 300),
            ("张谷英村现场教学点", "site", "岳阳县张谷英镇", 80),
            ("洞庭街道党员干部示范培训实践基地", "base", "岳阳楼区洞庭街道", 60),
        ] {
            let input = VenueInput {
                org: city.code.clone(),
                name: name.into(),
                kind: kind.into(),
                address: address.into(),
                capacity: Some(capacity),
                note: String::new(),
            };
            places.push(venues::create(&tx, &input).await?);
        }
        let by_kind = |k: &str| people.iter().filter(|i| i.kind.code() == k).map(|i| i.id).collect::<Vec<_>>();
        let (leaders, experts, secretaries, teachers) =
            (by_kind("leader"), by_kind("expert"), by_kind("secretary"), by_kind("teacher"));
        let plan = [
            (
                "2015年全省村（社区）党组织书记示范培训班（岳阳班）",
                "province",
                "中共湖南省委党校",
                secretaries_of(vec![Sector::Village, Sector::Community]),
                (day(4, 13), day(4, 17)),
                4,
            ),
            (
                "2015年全市乡镇（街道）党（工）委书记集中轮训班",
                "city",
                "中共岳阳市委党校",
                secretaries_of(vec![Sector::Township, Sector::Street]),
                (day(5, 11), day(5, 13)),
                14,
            ),
            (
                "2015年全市城区社区和村党组织书记集中轮训班",
                "city",
                "中共岳阳市委党校",
                secretaries_of(vec![Sector::Community, Sector::Village]),
                (day(6, 8), day(6, 11)),
                12,
            ),
        ];
        let mut n = 0;
        for (title, level, institution, group, (start, end), each) in plan {
            let input = ClassInput {
                campaign_id: Some(campaign.id),
                title: title.into(),
                organiser: city.code.clone(),
                level: level.into(),
                institution: institution.into(),
                institution_kind: "party_school".into(),
                start,
                end,
                capacity: Some((each * counties.len().max(1)) as i64),
                target_group: group,
                head_teacher: "王丽".into(),
                allocations: counties.iter().map(|c| (c.clone(), each as i64)).collect(),
                ..ClassInput::default()
            };
            let class = classes::create(&tx, &input).await?;
            // Mornings: the five topics by lecture; afternoons and evenings: the other modes.
            let days = class.days();
            let mut k = 0usize;
            for d in 0..days {
                let date = class.start_on + chrono::Days::new(d as u64);
                let pick = |v: &Vec<i64>, i: usize| v.get(i % v.len().max(1)).copied();
                let mut add = Vec::new();
                add.push((
                    SessionSlot::Am,
                    TOPICS[d as usize % TOPICS.len()].to_owned(),
                    TeachingMode::Lecture,
                    if d == 0 { pick(&leaders, 0) } else { pick(&experts, d as usize).or(pick(&teachers, 0)) },
                    Some(places[0].id),
                    "3",
                ));
                let (mode, who, venue) = match d % 3 {
                    0 => (TeachingMode::Experience, pick(&secretaries, d as usize), Some(places[0].id)),
                    1 => (TeachingMode::SiteVisit, pick(&secretaries, d as usize), Some(places[1].id)),
                    _ => (TeachingMode::Case, pick(&teachers, 0), Some(places[0].id)),
                };
                add.push((
                    SessionSlot::Pm,
                    format!("{}：{}", mode.label(), TOPICS[(d as usize + 3) % TOPICS.len()]),
                    mode,
                    who,
                    venue,
                    "3",
                ));
                if d < 2 || d == days - 1 {
                    let mode = match d {
                        0 => TeachingMode::Discussion,
                        1 => TeachingMode::Elective,
                        _ => TeachingMode::Discussion,
                    };
                    let topic = if mode == TeachingMode::Elective {
                        "菜单选学：发展村级集体经济、创建文明和谐社区、软弱涣散党组织整顿转化（任选其一）".to_owned()
                    } else {
                        format!("分组讨论：{}", TOPICS[(d as usize + 1) % TOPICS.len()])
                    };
                    let venue = if mode == TeachingMode::Elective { Some(places[2].id) } else { Some(places[0].id) };
                    add.push((SessionSlot::Evening, topic, mode, None, venue, "2"));
                }
                for (slot, topic, mode, instructor_id, venue_id, hours) in add {
                    let s = SessionInput {
                        date: Some(date),
                        slot: slot.code().into(),
                        topic,
                        mode: mode.code().into(),
                        instructor_id,
                        venue_id,
                        hours: hours.into(),
                        materials: if k == 0 {
                            "《中国共产党章程》《中国共产党党员领导干部廉洁从政若干准则》".into()
                        } else {
                            String::new()
                        },
                        ..SessionInput::default()
                    };
                    sessions::add(&tx, class.id, &s).await?;
                    k += 1;
                }
            }
            n += 1;
        }
        Ok::<_, xuepei_store::StoreError>(n)
    }
    .await;
    match made {
        Ok(n) => {
            tx.commit().await.map_err(|e| e.to_string())?;
            Ok(n)
        }
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e.reasons())
        }
    }
}

pub async fn seed_accounts(db: &DatabaseConnection, password: &str) -> Result<Vec<(String, String)>, String> {
    use xuepei_domain::accounts::{AccountRole as R, AccountRoles};
    use xuepei_store::accounts::{self, NewAccount};
    use xuepei_store::people::{self, PersonFilter, PersonSort};
    let sys = Scope::system();
    let tx = Tx::begin(db, &sys, &Actor::operator("演示数据")).await.map_err(|e| e.to_string())?;
    let code = async |c: &str| org::get_by_code(tx.conn(), &sys, c).await.ok().map(|o| o.id);
    let mut made = Vec::new();
    let plan: [(&str, &str, R, &str, &str, &str); 7] = [
        ("admin", "系统管理员", R::SystemAdmin, "430600", "430600-ZZB", "系统管理员（全市）"),
        ("security", "安全管理员", R::SecurityAdmin, "430600", "430600-ZZB", "安全管理员（全市）"),
        ("auditor", "安全审计员", R::AuditAdmin, "430600", "430600-ZZB", "安全审计员（全市）"),
        ("city", "市委组织部", R::OrgStaff, "430600", "430600-ZZB", "市委组织部（全市）"),
        ("yueyanglou", "岳阳楼区委组织部", R::OrgStaff, "430602", "430602-ZZB", "岳阳楼区委组织部"),
        ("pingjiang", "平江县委组织部", R::OrgStaff, "430626", "430626-ZZB", "平江县委组织部"),
        (
            "xuanchuan",
            "岳阳楼区委宣传部",
            R::PropagandaStaff,
            "430602",
            "430602-XCB",
            "岳阳楼区委宣传部（理论学习督查、中心组学习计划审批）",
        ),
    ];
    for (username, name, role, scope, unit, what) in plan {
        let (Some(scope_id), Some(org_id)) = (code(scope).await, code(unit).await) else { continue };
        let new = NewAccount {
            username: username.into(),
            display_name: name.into(),
            person_id: None,
            org_id,
            scope_org_id: scope_id,
            roles: AccountRoles::of(&[role]),
            password: password.into(),
            must_change_password: false,
        };
        accounts::create(&tx, &new).await.map_err(commands::explain)?;
        made.push((username.to_owned(), what.to_owned()));
    }
    // A leadership member of 岳阳楼区委 who keeps their own five-mode study log.
    if let Some(county) = code("430602").await {
        let f = PersonFilter { direct: Some(county), role: Some(Role::LeadershipMember), ..Default::default() };
        let found =
            people::list(tx.conn(), &sys, &f, PersonSort::Org, At::First, 1).await.map_err(|e| e.to_string())?;
        if let Some(leader) = found.items.into_iter().next() {
            let new = NewAccount {
                username: "lingdao".into(),
                display_name: leader.person.name.clone(),
                person_id: Some(leader.person.id),
                org_id: county,
                scope_org_id: county,
                roles: AccountRoles::of(&[R::Cadre]),
                password: password.into(),
                must_change_password: false,
            };
            accounts::create(&tx, &new).await.map_err(commands::explain)?;
            made.push(("lingdao".to_owned(), format!("岳阳楼区领导干部{}（本人学习记录）", leader.person.name)));
        }
    }
    // A village secretary and a cadre of the same village, each linked to their record.
    if let Some(county) = code("430602").await {
        let f = PersonFilter {
            under: Some(county),
            role: Some(Role::Secretary),
            sector: Some(Sector::Community),
            ..Default::default()
        };
        let found =
            people::list(tx.conn(), &sys, &f, PersonSort::Org, At::First, 1).await.map_err(|e| e.to_string())?;
        if let Some(sec) = found.items.into_iter().next() {
            let village = org::get(tx.conn(), &sys, sec.person.org_id).await.map_err(|e| e.to_string())?;
            let members = people::list(
                tx.conn(),
                &sys,
                &PersonFilter { under: Some(village.id), ..Default::default() },
                PersonSort::Org,
                At::First,
                10,
            )
            .await
            .map_err(|e| e.to_string())?;
            let cadre = members.items.into_iter().find(|r| r.person.id != sec.person.id);
            let mut pairs = vec![("shuji", sec.person.clone(), R::UnitSecretary, "书记")];
            if let Some(c) = cadre {
                pairs.push(("ganbu", c.person, R::Cadre, "干部"));
            }
            for (username, person, role, what) in pairs {
                let new = NewAccount {
                    username: username.into(),
                    display_name: person.name.clone(),
                    person_id: Some(person.id),
                    org_id: village.id,
                    scope_org_id: village.id,
                    roles: AccountRoles::of(&[role]),
                    password: password.into(),
                    must_change_password: false,
                };
                accounts::create(&tx, &new).await.map_err(commands::explain)?;
                made.push((username.to_owned(), format!("{}{what}{}", village.display_name(), person.name)));
            }
        }
    }
    tx.commit().await.map_err(|e| e.to_string())?;
    Ok(made)
}
