//! The people import: real roster shapes, every kind of bad row, all-or-nothing, and
//! idempotent re-import — on whichever backend `TEST_DATABASE_URL` names.

use xuepei_domain::people::{Gender, Role};
use xuepei_office::read::Source;
use xuepei_store::page::At;
use xuepei_store::people::{self, Person, PersonFilter, PersonSort};
use xuepei_store::{DatabaseConnection, Scope};
use xuepei_testkit::files::{self, Encoding};
use xuepei_web::jobs::{ImportFailure, ImportKind, ImportOutcome};

use crate::support::*;

async fn run(db: &DatabaseConnection, scope: &Scope, bytes: Vec<u8>, dry_run: bool) -> ImportOutcome {
    run_import(db, scope, ImportKind::People, Source::Bytes(bytes), dry_run).await.expect("import runs")
}

async fn total(db: &DatabaseConnection) -> u64 {
    people::count(db, &Scope::system(), &PersonFilter::default()).await.expect("count").value
}

async fn find(db: &DatabaseConnection, id_number: &str) -> Option<Person> {
    let f = PersonFilter { q: Some(id_number.to_owned()), ..Default::default() };
    let page = people::list(db, &Scope::system(), &f, PersonSort::Org, At::First, 5).await.expect("list");
    page.items.into_iter().map(|r| r.person).find(|p| p.id_number == id_number)
}

fn errors_text(o: &ImportOutcome) -> String {
    o.report.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
}

/// Three people written the ways real rosters write them.
fn messy_roster(ids: &[String; 3]) -> Vec<Vec<String>> {
    let full_width: String = ids[1].chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)).collect();
    vec![
        vec!["云溪区基层党组织书记花名册".into()],
        vec![],
        vec!["填报单位：云溪区委组织部".into(), "".into(), "".into(), "填报日期：2026年11月".into()],
        vec![
            "序号",
            "名  字",
            "公民身份号码（必填）",
            "性别",
            "出生年月",
            "联系电话",
            "入党时间",
            "现任职务",
            "身份",
            "所在党组织",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec![
            "1",
            "张  三",
            &ids[0].to_lowercase(),
            "女",
            "1985.07",
            "138 0730 1234",
            "2010年7月1日",
            "村党总支书记",
            "书记、委员",
            JINGZHU,
        ]
        .into_iter()
        .map(String::from)
        .collect(),
        vec!["2", "李\u{3000}四", &full_width, "", "1979年3月", "0730-8889364", "2008.3", "委员", "委员", "荆竹村"]
            .into_iter()
            .map(String::from)
            .collect(),
        vec!["3", "欧阳修文", &ids[2], "", "", "", "", "", "", "中共云溪区长岭街道八字门社区委员会"]
            .into_iter()
            .map(String::from)
            .collect(),
    ]
}

fn as_refs(rows: &[Vec<String>]) -> Vec<Vec<&str>> {
    rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect()
}

fn three_ids() -> [String; 3] {
    [
        id_number(YUNXI, (1985, 7, 3), 122).replace('X', "x"),
        id_number(YUNXI, (1979, 3, 9), 231),
        id_number(YUNXI, (1990, 1, 1), 341),
    ]
}

#[tokio::test]
async fn a_real_roster_imports_with_every_value_normalised() {
    let db = seeded().await;
    let before = total(&db.conn).await;
    let ids = three_ids();
    let rows = messy_roster(&ids);
    let out = run(&db.conn, &Scope::system(), files::xlsx(&as_refs(&rows), &[]), false).await;
    assert!(out.report.is_ok(), "{}", errors_text(&out));
    assert_eq!(out.header_row, 4);
    assert_eq!((out.report.rows, out.report.inserted), (3, 3));
    assert!(out.report.committed);
    assert_eq!(out.ignored_columns, vec!["序号"]);
    assert_eq!(total(&db.conn).await, before + 3);

    let zhang = find(&db.conn, &ids[0].to_uppercase()).await.expect("张三 stored with upper-case X");
    assert_eq!(zhang.name, "张三");
    assert_eq!(zhang.gender, Gender::Female);
    assert_eq!(zhang.phone.as_deref(), Some("13807301234"));
    assert_eq!(zhang.party_joined_on.map(|d| d.to_string()).as_deref(), Some("2010-07-01"));
    assert!(zhang.roles.contains(Role::Secretary) && zhang.roles.contains(Role::CommitteeMember));
    assert_eq!(zhang.org_id, by_code(&db.conn, JINGZHU).await.id);

    let li = find(&db.conn, &ids[1]).await.expect("李四 found by the half-width number");
    assert_eq!(li.name, "李四");
    assert_eq!(li.phone.as_deref(), Some("07308889364"));
    assert_eq!(li.org_id, by_code(&db.conn, JINGZHU).await.id, "unique short name resolves");
    let ouyang = find(&db.conn, &ids[2]).await.expect("欧阳修文");
    assert_eq!(ouyang.org_id, by_code(&db.conn, BAZIMEN).await.id, "full name resolves");
    db.cleanup().await;
}

#[tokio::test]
async fn csv_in_utf8_with_and_without_bom_and_in_gbk() {
    let db = seeded().await;
    for (i, enc) in [Encoding::Utf8, Encoding::Utf8Bom, Encoding::Gbk].into_iter().enumerate() {
        let id = id_number(YUNXI, (1970 + i as i32, 5, 6), 11);
        let name = ["周文华", "吴建国", "郑秀英"][i];
        let rows = vec![vec!["姓名", "身份证号", "所在党组织"], vec![name, &id, JINGZHU]];
        let out = run(&db.conn, &Scope::system(), files::csv(&rows, enc), false).await;
        assert!(out.report.is_ok(), "{enc:?}: {}", errors_text(&out));
        assert_eq!(find(&db.conn, &id).await.map(|p| p.name).as_deref(), Some(name), "{enc:?}");
    }
    db.cleanup().await;
}

#[tokio::test]
async fn an_xls_roster_with_date_and_number_cells() {
    let db = seeded().await;
    let bytes = include_bytes!("../fixtures/roster.xls").to_vec();
    let out = run(&db.conn, &Scope::system(), bytes, false).await;
    assert!(out.report.is_ok(), "{}", errors_text(&out));
    assert_eq!(out.report.inserted, 2);
    let zhao = find(&db.conn, "430603198002140022").await.expect("赵敏");
    assert_eq!(zhao.name, "赵敏");
    assert_eq!(zhao.birth_date.to_string(), "1980-02-14");
    assert_eq!(zhao.phone.as_deref(), Some("13907301111"));
    assert_eq!(zhao.gender, Gender::Female);
    db.cleanup().await;
}

#[tokio::test]
async fn every_bad_row_is_reported_by_row_and_column_and_nothing_is_written() {
    let db = seeded().await;
    // An extra village with a short name that already exists, for the ambiguity case.
    let town = by_code(&db.conn, "430603101").await;
    let second = xuepei_store::org::OrgInput {
        code: "430603101299".into(),
        name: "中共云溪区陆城镇荆竹村总支部委员会".into(),
        short_name: Some("荆竹村".into()),
        kind: xuepei_domain::org::OrgKind::GeneralBranch,
        sector: xuepei_domain::org::Sector::Village,
        parent_id: Some(town.id),
        authority_org_id: None,
    };
    write(&db.conn, &Scope::system(), async |tx| xuepei_store::org::create(tx, &second).await)
        .await
        .expect("second 荆竹村");
    let before = total(&db.conn).await;
    let good = id_number(YUNXI, (1980, 1, 1), 11);
    let dup = id_number(YUNXI, (1981, 1, 1), 21);
    let bad_date_in_id = {
        let first17 = format!("{YUNXI}19850230123");
        format!("{first17}{}", xuepei_domain::idcard::check_char(first17.as_bytes()))
    };
    let rows: Vec<Vec<String>> = vec![
        vec!["姓名", "身份证号", "性别", "出生日期", "联系电话", "所在党组织"],
        vec!["好人", &good, "", "", "", JINGZHU], // row 2: fine
        vec!["错校验", &wrong_check(&id_number(YUNXI, (1982, 2, 2), 31)), "", "", "", JINGZHU], // row 3
        vec!["坏日期", &id_number(YUNXI, (1983, 3, 3), 41), "", "1983-02-30", "", JINGZHU], // row 4
        vec!["号内日期", &bad_date_in_id, "", "", "", JINGZHU], // row 5
        vec!["重复甲", &dup, "", "", "", JINGZHU], // row 6
        vec!["重复乙", &dup, "", "", "", JINGZHU], // row 7
        vec!["无此组织", &id_number(YUNXI, (1984, 4, 4), 51), "", "", "", "不存在的村"], // row 8
        vec!["重名组织", &id_number(YUNXI, (1985, 5, 5), 61), "", "", "", "荆竹村"], // row 9
        vec!["坏电话", &id_number(YUNXI, (1986, 6, 6), 71), "", "", "12345", JINGZHU], // row 10
        vec!["性别错", &id_number(YUNXI, (1987, 7, 7), 81), "女", "", "", JINGZHU], // row 11 (odd → male)
        vec!["", &id_number(YUNXI, (1988, 8, 8), 91), "", "", "", JINGZHU], // row 12
    ]
    .into_iter()
    .map(|r| r.into_iter().map(String::from).collect())
    .collect();
    let out = run(&db.conn, &Scope::system(), files::xlsx(&as_refs(&rows), &[]), false).await;
    let text = errors_text(&out);
    assert!(!out.report.committed);
    assert_eq!(total(&db.conn).await, before, "nothing written");
    assert!(find(&db.conn, &good).await.is_none(), "not even the good row");
    for expected in [
        "第3行 身份证号: 校验位不正确",
        "第4行 出生日期: 日期“1983年2月30日”不存在",
        "第5行 身份证号: 出生日期“1985年02月30日”不存在",
        "第7行 身份证号: 与第6行的身份证号重复",
        "第8行 所在党组织: 在您的管理范围内未找到组织“不存在的村”",
        "第9行 所在党组织: “荆竹村”作为简称对应多个组织",
        "第10行 联系电话: 手机号应为以1开头的11位数字",
        "第11行 性别: 与身份证号不一致（身份证号显示为男）",
        "第12行 姓名: 不能为空",
    ] {
        assert!(text.contains(expected), "missing «{expected}» in:\n{text}");
    }
    assert!(text.contains("430603101299"), "ambiguity lists the candidates' codes:\n{text}");
    assert_eq!(out.report.error_count, 9, "{text}");
    assert!(out.report.summary().contains("未导入任何数据"));
    db.cleanup().await;
}

#[tokio::test]
async fn an_id_number_of_someone_else_or_outside_the_scope_is_refused() {
    let db = seeded().await;
    let yunxi = county_scope(&db.conn, YUNXI).await;
    // Someone already on the 屈原管理区 roster.
    let quyuan = by_code(&db.conn, QUYUAN).await;
    let outsider = someone_under(&db.conn, QUYUAN).await;
    // Someone on the 云溪区 roster.
    let insider = someone_under(&db.conn, YUNXI).await;
    let cross = id_number(YUNXI, (1990, 2, 2), 11);
    let rows = vec![
        vec!["姓名", "身份证号", "所在党组织"],
        vec!["冒名者", insider.id_number.as_str(), JINGZHU],
        vec![outsider.name.as_str(), outsider.id_number.as_str(), JINGZHU],
        vec!["跨县者", &cross, QUYUAN_TOWN],
    ];
    let out = run(&db.conn, &yunxi, files::xlsx(&rows, &[]), false).await;
    let text = errors_text(&out);
    assert!(
        text.contains(&format!("第2行 身份证号: 该身份证号已登记为“{}”，与本行姓名“冒名者”不一致", insider.name)),
        "{text}"
    );
    assert!(text.contains("第3行 身份证号: 该身份证号已在您管理范围以外的单位登记"), "{text}");
    assert!(!text.contains(&quyuan.name), "nothing about the other county is revealed:\n{text}");
    assert!(text.contains(&format!("第4行 所在党组织: 在您的管理范围内未找到组织“{QUYUAN_TOWN}”")), "{text}");
    let still = find(&db.conn, &outsider.id_number).await.expect("outsider");
    assert_eq!(still.org_id, outsider.org_id, "the other county's person was not moved");
    db.cleanup().await;
}

#[tokio::test]
async fn file_level_problems_are_explained() {
    let db = seeded().await;
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            files::xlsx(&[vec!["姓名", "联系电话", "所在党组织"], vec!["张三", "13800000000", JINGZHU]], &[]),
            "缺少必填列：身份证号",
        ),
        (b"PK\x03\x04 this is not really a zip".to_vec(), "文件已损坏或不是有效的Excel工作簿"),
        (vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'], "文件不是表格"),
        (Vec::new(), "文件中没有任何内容"),
        (files::csv(&[vec!["甲", "乙"], vec!["1", "2"]], Encoding::Utf8), "未找到表头"),
        (files::xlsx(&[vec!["姓名", "身份证号", "姓名", "所在党组织"]], &[]), "“姓名”出现了两次（第A列和第C列）"),
    ];
    for (bytes, expected) in cases {
        match run_import(&db.conn, &Scope::system(), ImportKind::People, Source::Bytes(bytes), false).await {
            Err(ImportFailure::File(msg)) => assert!(msg.contains(expected), "«{expected}» not in «{msg}»"),
            other => panic!("expected a file error with «{expected}», got {other:?}"),
        }
    }
    db.cleanup().await;
}

#[tokio::test]
async fn an_id_typed_into_a_number_cell_is_explained() {
    let db = seeded().await;
    let id = id_number(YUNXI, (1980, 2, 2), 11).replace('X', "1");
    let rows = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["数字格式", id.as_str(), JINGZHU]];
    // 18 digits as a number: Excel keeps 15 significant digits.
    let out = run(&db.conn, &Scope::system(), files::xlsx(&rows, &[(1, 1)]), false).await;
    let text = errors_text(&out);
    assert!(text.contains("第2行 身份证号: 该单元格是数字格式"), "{text}");
    db.cleanup().await;
}

#[tokio::test]
async fn a_dry_run_checks_everything_and_writes_nothing() {
    let db = seeded().await;
    let before = total(&db.conn).await;
    let ids = three_ids();
    let out = run(&db.conn, &Scope::system(), files::xlsx(&as_refs(&messy_roster(&ids)), &[]), true).await;
    assert!(out.report.is_ok(), "{}", errors_text(&out));
    assert_eq!(out.report.inserted, 3);
    assert!(!out.report.committed && out.report.dry_run);
    assert!(out.report.summary().contains("将新增3条"));
    assert_eq!(total(&db.conn).await, before);
    assert!(find(&db.conn, &ids[2]).await.is_none());
    db.cleanup().await;
}

#[tokio::test]
async fn importing_the_same_file_again_changes_nothing_and_says_so() {
    let db = seeded().await;
    let ids = three_ids();
    let bytes = files::xlsx(&as_refs(&messy_roster(&ids)), &[]);
    let first = run(&db.conn, &Scope::system(), bytes.clone(), false).await;
    assert_eq!(first.report.inserted, 3, "{}", errors_text(&first));
    let stored = find(&db.conn, &ids[2]).await.expect("stored");
    let count = total(&db.conn).await;
    let again = run(&db.conn, &Scope::system(), bytes, false).await;
    assert_eq!((again.report.inserted, again.report.updated, again.report.unchanged), (0, 0, 3));
    assert!(again.report.summary().contains("重复导入，数据没有变化"), "{}", again.report.summary());
    assert_eq!(total(&db.conn).await, count);
    assert_eq!(find(&db.conn, &ids[2]).await.expect("still there").updated_at, stored.updated_at, "row not rewritten");

    // A changed phone is an update; a file without the phone column leaves phones alone.
    let mut rows = messy_roster(&ids);
    rows[4][5] = "139 0000 0000".into();
    let changed = run(&db.conn, &Scope::system(), files::xlsx(&as_refs(&rows), &[]), false).await;
    assert_eq!((changed.report.inserted, changed.report.updated, changed.report.unchanged), (0, 1, 2));
    let no_phone: Vec<Vec<&str>> = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["张三", &ids[0], JINGZHU]];
    run(&db.conn, &Scope::system(), files::xlsx(&no_phone, &[]), false).await;
    let zhang = find(&db.conn, &ids[0].to_uppercase()).await.expect("张三");
    assert_eq!(zhang.phone.as_deref(), Some("13900000000"));
    db.cleanup().await;
}

#[tokio::test]
async fn an_old_fifteen_digit_number_is_converted_and_noted() {
    let db = seeded().await;
    let rows = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["老号码", "430603650412123", JINGZHU]];
    let out = run(&db.conn, &Scope::system(), files::xlsx(&rows, &[]), false).await;
    assert!(out.report.is_ok(), "{}", errors_text(&out));
    assert_eq!(out.report.notice_count, 1);
    assert!(out.report.notices[0].to_string().contains("15位旧号码已转换为18位"));
    let p = find(&db.conn, &id_number(YUNXI, (1965, 4, 12), 123)).await.expect("stored as 18 digits");
    assert_eq!(p.name, "老号码");
    let bad = vec![vec!["姓名", "身份证号", "所在党组织"], vec!["坏号码", "430603651312123", JINGZHU]];
    let out = run(&db.conn, &Scope::system(), files::xlsx(&bad, &[]), false).await;
    assert!(
        errors_text(&out).contains("第2行 身份证号: 15位旧号码中的出生日期“1965年13月12日”不存在"),
        "{}",
        errors_text(&out)
    );
    db.cleanup().await;
}

#[tokio::test]
async fn a_file_mixing_new_changed_and_unchanged_people_is_reconciled_row_by_row() {
    let db = seeded().await;
    let ids = three_ids();
    run(&db.conn, &Scope::system(), files::xlsx(&as_refs(&messy_roster(&ids)), &[]), false).await;
    let village = by_code(&db.conn, JINGZHU).await;
    let newcomer = id_number(YUNXI, (1991, 9, 9), 11);
    let mut rows = messy_roster(&ids);
    rows[5][7] = "组织委员".into(); // 李四 changes position
    rows.push(
        ["4", "新来者", newcomer.as_str(), "", "", "", "", "", "", JINGZHU].into_iter().map(String::from).collect(),
    );
    let out = run(&db.conn, &Scope::system(), files::xlsx(&as_refs(&rows), &[]), false).await;
    assert!(out.report.is_ok(), "{}", errors_text(&out));
    assert_eq!((out.report.inserted, out.report.updated, out.report.unchanged), (1, 1, 2));
    assert_eq!(find(&db.conn, &ids[1]).await.and_then(|p| p.position).as_deref(), Some("组织委员"));
    assert_eq!(find(&db.conn, &newcomer).await.map(|p| p.name).as_deref(), Some("新来者"));
    // The counter follows: 张三, 李四 and the newcomer are in 荆竹村.
    assert_eq!(by_code(&db.conn, JINGZHU).await.person_count, village.person_count + 1);
    db.cleanup().await;
}

/// A roster in the template's layout with only some cells filled leaves every value it
/// leaves empty as it was: nothing held is wiped by a blank cell.
#[tokio::test]
async fn blank_cells_of_a_roster_never_wipe_what_is_held() {
    let db = seeded().await;
    let ids = three_ids();
    run(&db.conn, &Scope::system(), files::xlsx(&as_refs(&messy_roster(&ids)), &[]), false).await;
    let before = find(&db.conn, &ids[0]).await.expect("张三");
    assert!(before.phone.is_some() && before.party_joined_on.is_some());
    let mut rows = messy_roster(&ids);
    // 张三 again: the position changes, every other optional cell is empty.
    rows[4] = ["1", "张三", ids[0].as_str(), "", "", "", "", "乡镇党委委员", "", JINGZHU]
        .into_iter()
        .map(String::from)
        .collect();
    let out = run(&db.conn, &Scope::system(), files::xlsx(&as_refs(&rows), &[]), false).await;
    assert!(out.report.is_ok(), "{}", errors_text(&out));
    let after = find(&db.conn, &ids[0]).await.expect("张三");
    assert_eq!(after.position.as_deref(), Some("乡镇党委委员"));
    assert_eq!((after.phone, after.party_joined_on), (before.phone, before.party_joined_on));
    db.cleanup().await;
}

#[tokio::test]
async fn planner_statistics_are_refreshed_after_bulk_writes() {
    use sea_orm::{ConnectionTrait, Statement};
    let db = seeded().await;
    let people = total(&db.conn).await as f64;
    xuepei_store::db::refresh_statistics(&db.conn, &["persons", "organizations"]).await.expect("refresh");
    if db.backend == xuepei_store::DbBackend::Postgres {
        // ANALYZE writes the row estimate into the catalogue (0 or -1 before).
        let row = db
            .conn
            .query_one_raw(Statement::from_string(
                db.backend,
                "SELECT reltuples::float8 AS n FROM pg_class WHERE oid = 'persons'::regclass",
            ))
            .await
            .expect("query")
            .expect("row");
        let estimate: f64 = row.try_get("", "n").expect("n");
        assert_eq!(estimate, people, "the planner knows how many people there are");
    }
    db.cleanup().await;
}

/// A county's 花名册 as offices keep it: the organisation's name and its code side by side,
/// and the profile columns every roster carries. The code decides; a name that disagrees
/// with the code is a row error naming both; 民族, 籍贯, 学历, 学位 and the two dates are kept.
#[tokio::test]
async fn county_rosters_with_name_and_code_and_profile_columns() {
    let db = seeded().await;
    let sys = Scope::system();
    let village = by_code(&db.conn, JINGZHU).await;
    let short = village.short_name.clone().expect("short name");
    let other = by_code(&db.conn, BAZIMEN).await;
    let ids = [id_number(YUNXI, (1975, 3, 9), 41), id_number(YUNXI, (1980, 6, 1), 52)];
    let header = [
        "序号",
        "姓名",
        "性别",
        "民族",
        "出生年月",
        "籍贯",
        "入党时间",
        "参加工作时间",
        "学历",
        "学位",
        "身份证号",
        "现任职务",
        "任现职时间",
        "联系电话",
        "手机号码",
        "所在党组织",
        "组织代码",
    ];
    let row = |i: usize, name: &str, org_name: &str| -> Vec<String> {
        [
            &(i + 1).to_string(),
            name,
            "",
            "土家",
            "",
            "湖南岳阳",
            "1998.07",
            "1996年8月",
            "大学",
            "学士",
            &ids[i],
            "村党总支书记",
            "2021.06",
            "",
            "13807301234",
            org_name,
            JINGZHU,
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let mut rows: Vec<Vec<String>> =
        vec![vec!["荆竹村党员干部花名册".into()], header.iter().map(|s| s.to_string()).collect()];
    rows.push(row(0, "张三", &format!("{short}党总支")));
    let file = files::xlsx(&rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect::<Vec<_>>(), &[]);
    let o = run(&db.conn, &sys, file, false).await;
    assert_eq!(o.report.error_count, 0, "a real roster is readable: {}", errors_text(&o));
    assert_eq!(o.report.inserted, 1);
    let p = find(&db.conn, &ids[0]).await.expect("imported");
    assert_eq!(p.org_id, village.id);
    assert_eq!(p.phone.as_deref(), Some("13807301234"), "the mobile column fills in an empty 联系电话");
    assert_eq!(p.profile.ethnicity.as_deref(), Some("土家族"));
    assert_eq!(p.profile.native_place.as_deref(), Some("湖南岳阳"));
    assert_eq!((p.profile.education.as_deref(), p.profile.degree.as_deref()), (Some("大学"), Some("学士")));
    assert_eq!(p.profile.work_started_on, chrono::NaiveDate::from_ymd_opt(1996, 8, 1));
    assert_eq!(p.profile.position_since, chrono::NaiveDate::from_ymd_opt(2021, 6, 1));
    assert!(o.ignored_columns.iter().all(|c| c != "民族"), "民族 is read, not ignored: {:?}", o.ignored_columns);

    // The code names 荆竹村 but the name another organisation: refused, naming both.
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    let other_name = other.short_name.clone().unwrap_or(other.name.clone());
    rows.push(row(1, "李四", &other_name));
    let file = files::xlsx(&rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect::<Vec<_>>(), &[]);
    let o = run(&db.conn, &sys, file, false).await;
    let text = errors_text(&o);
    assert_eq!(o.report.error_count, 1, "{text}");
    assert!(text.contains(JINGZHU) && text.contains(&village.name) && text.contains(&other_name), "{text}");
    assert!(find(&db.conn, &ids[1]).await.is_none(), "nothing written");

    // Bad profile values are row errors that say what to write.
    let mut bad = row(1, "李四", &short);
    bad[3] = "火星族".into();
    bad[7] = "1970年1月".into(); // before the 14th birthday
    let rows = [header.iter().map(|s| s.to_string()).collect::<Vec<_>>(), bad];
    let file = files::xlsx(&rows.iter().map(|r| r.iter().map(String::as_str).collect()).collect::<Vec<_>>(), &[]);
    let text = errors_text(&run(&db.conn, &sys, file, true).await);
    assert!(text.contains("民族: “火星族”不是民族名称"), "{text}");
    assert!(text.contains("参加工作时间: 早于年满14周岁"), "{text}");
    db.cleanup().await;
}

/// Exported people import back unchanged, profile included.
#[tokio::test]
async fn an_export_with_profiles_imports_back_unchanged() {
    let db = seeded().await;
    let sys = Scope::system();
    let county = county_scope(&db.conn, YUNXI).await;
    let dir = tempfile::tempdir().expect("dir");
    let out = dir.path().join("people.xlsx");
    let n = xuepei_web::exports::people_xlsx(&db.conn, &county, &PersonFilter::default(), &out, "人员")
        .await
        .expect("export");
    assert!(n > 0);
    let bytes = std::fs::read(&out).expect("read");
    let o = run(&db.conn, &county, bytes, true).await;
    assert_eq!(o.report.error_count, 0, "{}", errors_text(&o));
    assert_eq!((o.report.inserted, o.report.updated), (0, 0), "nothing changes: {}", o.report.summary());
    assert_eq!(o.report.unchanged, n);
    let someone = someone_under(&db.conn, YUNXI).await;
    let p = people::get(&db.conn, &sys, someone.id).await.expect("person");
    assert!(p.profile.ethnicity.is_some() && p.profile.work_started_on.is_some(), "the demo fills the profile");
    db.cleanup().await;
}

/// The secondary indexes of `persons` as the database lists them.
async fn person_indexes(db: &DatabaseConnection) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => {
            "SELECT name AS n FROM sqlite_master WHERE type = 'index' AND tbl_name = 'persons' \
                              AND name NOT LIKE 'sqlite_%'"
        }
        DbBackend::Postgres => {
            "SELECT indexname AS n FROM pg_indexes WHERE tablename = 'persons' \
                                AND schemaname = current_schema()"
        }
        _ => {
            "SELECT DISTINCT index_name AS n FROM information_schema.statistics WHERE table_name = 'persons' \
              AND table_schema = DATABASE()"
        }
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.expect("indexes");
    let mut names: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "n").expect("name")).collect();
    names.sort();
    names
}

/// The foreign keys of `persons` as the database lists them (column → referenced table).
async fn person_foreign_keys(db: &DatabaseConnection) -> Vec<String> {
    use sea_orm::{ConnectionTrait, DbBackend, Statement};
    let backend = db.get_database_backend();
    let sql = match backend {
        DbBackend::Sqlite => "SELECT \"from\" || '>' || \"table\" AS n FROM pragma_foreign_key_list('persons')",
        DbBackend::Postgres => {
            "SELECT pg_get_constraintdef(oid) AS n FROM pg_constraint WHERE conrelid = 'persons'::regclass \
             AND contype = 'f'"
        }
        _ => {
            "SELECT CONCAT(column_name, '>', referenced_table_name) AS n FROM information_schema.key_column_usage \
             WHERE table_name = 'persons' AND table_schema = DATABASE() AND referenced_table_name IS NOT NULL"
        }
    };
    let rows = db.query_all_raw(Statement::from_string(backend, sql)).await.expect("foreign keys");
    let mut keys: Vec<String> = rows.iter().map(|r| r.try_get::<String>("", "n").expect("key")).collect();
    keys.sort();
    keys
}

/// An import larger than what is stored (which SQLite and PostgreSQL write with their
/// secondary indexes set aside) commits with every index back in place and serving queries; one that fails at its
/// last row leaves the table and its indexes as they were.
#[tokio::test]
async fn a_large_import_leaves_every_index_in_place() {
    let db = seeded().await;
    let indexes = person_indexes(&db.conn).await;
    assert!(indexes.len() >= 4, "{indexes:?}");
    let before = total(&db.conn).await;
    // A full batch (10,000 rows) after as many as were stored: the one that sets them aside.
    let rows = (before as u32).div_ceil(10_000) * 10_000 + 12_000;
    let mut bad = crate::kinds::large_roster(rows);
    bad.extend_from_slice(format!("坏行,123,{JINGZHU}\n").as_bytes());
    let out = run(&db.conn, &Scope::system(), bad, false).await;
    assert_eq!(out.report.error_count, 1, "{}", errors_text(&out));
    assert_eq!((total(&db.conn).await, person_indexes(&db.conn).await), (before, indexes.clone()), "rolled back whole");
    let out = run(&db.conn, &Scope::system(), crate::kinds::large_roster(rows), false).await;
    assert!(out.report.is_ok(), "{}", errors_text(&out));
    assert_eq!(out.report.inserted, u64::from(rows));
    assert_eq!(total(&db.conn).await, before + u64::from(rows));
    assert_eq!(person_indexes(&db.conn).await, indexes, "every index is back");
    // The indexes serve: by name, by organisation (the list) and the counters agree.
    let f = PersonFilter { q: Some("进度甲".into()), ..Default::default() };
    assert_eq!(people::count(&db.conn, &Scope::system(), &f).await.expect("count").value, u64::from(rows.div_ceil(4)));
    let village = by_code(&db.conn, JINGZHU).await;
    let direct = PersonFilter { direct: Some(village.id), ..Default::default() };
    let n = people::count(&db.conn, &Scope::system(), &direct).await.expect("count");
    assert!(n.capped || n.value >= u64::from(rows), "{n:?}");
    db.cleanup().await;
}

/// Organisations and no people: the county of Yunxi with one village, where every import
/// of people is an initial load.
async fn without_people() -> xuepei_testkit::TestDb {
    xuepei_testkit::TestDb::from_template("yunxi_no_people", async |conn| {
        use xuepei_domain::org::{OrgKind, Sector};
        use xuepei_store::org::{self, OrgInput};
        write(conn, &Scope::system(), async |tx| {
            let county = org::create(
                tx,
                &OrgInput {
                    code: YUNXI.into(),
                    name: "中共岳阳市云溪区委员会".into(),
                    short_name: Some("云溪区".into()),
                    kind: OrgKind::Committee,
                    sector: Sector::Organ,
                    parent_id: None,
                    authority_org_id: None,
                },
            )
            .await?;
            org::create(
                tx,
                &OrgInput {
                    code: JINGZHU.into(),
                    name: "中共云溪区荆竹村委员会".into(),
                    short_name: Some("荆竹村".into()),
                    kind: OrgKind::Committee,
                    sector: Sector::Village,
                    parent_id: Some(county.id),
                    authority_org_id: None,
                },
            )
            .await?;
            Ok(())
        })
        .await
        .expect("organisations");
    })
    .await
}

/// An initial load (no people stored: PostgreSQL sets the secondary indexes and the foreign
/// keys aside and inserts without `ON CONFLICT`, SQLite sets the indexes aside): a preview
/// writes nothing; one that fails at its last row leaves no row, every index and every foreign key; one that commits
/// leaves them all and the counters right; the same file again changes nothing; a file that changes some people
/// updates them in place (same ids), counters unchanged.
#[tokio::test]
async fn an_initial_load_is_all_or_nothing_and_reimports_in_place() {
    let db = without_people().await;
    let indexes = person_indexes(&db.conn).await;
    assert!(indexes.len() >= 4, "{indexes:?}");
    let keys = person_foreign_keys(&db.conn).await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert_eq!(total(&db.conn).await, 0);
    let rows = 12_000u32;
    // A preview (which on PostgreSQL sets nothing aside) counts what would be added.
    let preview = run(&db.conn, &Scope::system(), crate::kinds::large_roster(rows), true).await;
    assert!(preview.report.is_ok(), "{}", errors_text(&preview));
    assert_eq!((preview.report.inserted, preview.report.committed), (u64::from(rows), false));
    assert_eq!((total(&db.conn).await, person_indexes(&db.conn).await), (0, indexes.clone()));
    let mut bad = crate::kinds::large_roster(rows);
    bad.extend_from_slice(format!("坏行,123,{JINGZHU}\n").as_bytes());
    let out = run(&db.conn, &Scope::system(), bad, false).await;
    assert_eq!(out.report.error_count, 1, "{}", errors_text(&out));
    assert_eq!((total(&db.conn).await, person_indexes(&db.conn).await), (0, indexes.clone()), "rolled back whole");
    assert_eq!(person_foreign_keys(&db.conn).await, keys);
    assert_eq!(by_code(&db.conn, JINGZHU).await.person_count, 0);

    let roster = crate::kinds::large_roster(rows);
    let out = run(&db.conn, &Scope::system(), roster.clone(), false).await;
    assert!(out.report.is_ok(), "{}", errors_text(&out));
    assert_eq!((out.report.inserted, out.report.updated), (u64::from(rows), 0));
    assert_eq!(total(&db.conn).await, u64::from(rows));
    assert_eq!(person_indexes(&db.conn).await, indexes, "every index is back");
    assert_eq!(person_foreign_keys(&db.conn).await, keys, "every foreign key is back");
    let village = by_code(&db.conn, JINGZHU).await;
    assert_eq!(
        (village.person_count, by_code(&db.conn, YUNXI).await.subtree_people),
        (i64::from(rows), i64::from(rows))
    );
    let f = PersonFilter { q: Some("进度乙".into()), ..Default::default() };
    assert_eq!(people::count(&db.conn, &Scope::system(), &f).await.expect("count").value, u64::from(rows / 4));

    let again = run(&db.conn, &Scope::system(), roster.clone(), false).await;
    assert!(again.report.is_ok(), "{}", errors_text(&again));
    assert_eq!((again.report.inserted, again.report.updated, again.report.unchanged), (0, 0, u64::from(rows)));

    // The same people, a phone for the last 50 of them: updated where they are.
    let text = String::from_utf8(roster).expect("utf-8");
    let mut lines = text.lines();
    let mut changed = format!("{},联系电话\n", lines.next().expect("header"));
    let people_lines: Vec<&str> = lines.collect();
    let last: Vec<String> = people_lines[people_lines.len() - 50..]
        .iter()
        .map(|l| l.split(',').nth(1).expect("number").to_owned())
        .collect();
    let before = find(&db.conn, &last[0]).await.expect("stored");
    for (i, l) in people_lines.iter().enumerate() {
        let phone = if i >= people_lines.len() - 50 { format!("1380730{:04}", i % 10_000) } else { String::new() };
        changed.push_str(&format!("{l},{phone}\n"));
    }
    let out = run(&db.conn, &Scope::system(), changed.into_bytes(), false).await;
    assert!(out.report.is_ok(), "{}", errors_text(&out));
    assert_eq!((out.report.inserted, out.report.updated, out.report.unchanged), (0, 50, u64::from(rows) - 50));
    let after = find(&db.conn, &last[0]).await.expect("stored");
    assert_eq!((after.id, after.created_at), (before.id, before.created_at), "updated in place");
    assert!(after.phone.as_deref().is_some_and(|p| p.starts_with("1380730")), "{:?}", after.phone);
    assert_eq!(total(&db.conn).await, u64::from(rows));
    assert_eq!(by_code(&db.conn, JINGZHU).await.person_count, i64::from(rows), "counters unchanged");
    db.cleanup().await;
}
