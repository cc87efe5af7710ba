//! Fixtures shared by the tests: a database seeded with two real counties of 岳阳市
//! (云溪区 430603 and 屈原管理区 430671) and their people, and valid generated identities.

use chrono::NaiveDate;
use xuepei_domain::accounts::{AccountRole, AccountRoles};
use xuepei_domain::idcard::check_char;
use xuepei_office::read::Source;
use xuepei_store::accounts::{self, NewAccount};
use xuepei_store::org::{self, Org};
use xuepei_store::{Actor, DatabaseConnection, Scope, Tx};
pub use xuepei_testkit::someone_under;
use xuepei_testkit::{TestApp, TestDb};
use xuepei_web::jobs::{self, ImportFailure, ImportKind, ImportOutcome};

pub const YUNXI: &str = "430603";
pub const QUYUAN: &str = "430671";
/// 荆竹村, a village of 长岭街道 in 云溪区.
pub const JINGZHU: &str = "430603001203";
/// 八字门社区 in 云溪区.
pub const BAZIMEN: &str = "430603001002";
/// A village of 屈原管理区.
pub const QUYUAN_TOWN: &str = "430671101";

/// A database holding the city, its departments, 云溪区 and 屈原管理区 with people: a copy
/// of a template seeded once per build of the tests.
pub async fn seeded() -> TestDb {
    TestDb::from_template("yunxi_quyuan_7", async |conn| {
        xuepei::demo::seed(conn, 7, Some(&[YUNXI, QUYUAN])).await.expect("seed");
    })
    .await
}

pub async fn by_code(db: &DatabaseConnection, code: &str) -> Org {
    org::get_by_code(db, &Scope::system(), code).await.expect("org exists")
}

pub async fn county_scope(db: &DatabaseConnection, code: &str) -> Scope {
    let o = by_code(db, code).await;
    Scope::of_org(db, o.id).await.expect("scope")
}

/// A valid identity number for the given region, birth date and sequence.
pub fn id_number(region: &str, birth: (i32, u32, u32), seq: u32) -> String {
    let d = NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).expect("date");
    let first17 = format!("{region}{}{seq:03}", d.format("%Y%m%d"));
    format!("{first17}{}", check_char(first17.as_bytes()))
}

/// The same number with a wrong check character.
pub fn wrong_check(id: &str) -> String {
    let last = id.chars().last().expect("non-empty");
    let bad = if last == '1' { '2' } else { '1' };
    format!("{}{bad}", &id[..17])
}

/// Runs a change in a transaction as the test operator: committed when it succeeds.
pub async fn write<T>(
    db: &DatabaseConnection,
    scope: &Scope,
    f: impl AsyncFnOnce(&Tx) -> xuepei_store::Result<T>,
) -> xuepei_store::Result<T> {
    let tx = Tx::begin(db, scope, &Actor::operator("测试")).await?;
    let r = f(&tx).await;
    match r {
        Ok(v) => {
            tx.commit().await?;
            Ok(v)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e)
        }
    }
}

/// Runs an import as the test operator.
pub async fn run_import(
    db: &DatabaseConnection,
    scope: &Scope,
    kind: ImportKind,
    source: Source,
    dry_run: bool,
) -> Result<ImportOutcome, ImportFailure> {
    jobs::import(
        db,
        scope,
        &Actor::operator("测试"),
        jobs::ImportJob {
            kind, source, name: "测试文件".into(), dry_run, settings: xuepei_testkit::import_settings()
        },
    )
    .await
}

pub const PASSWORD: &str = "Test@2026pass";

/// Creates an account over the subtree of `scope_code`; returns its user name.
pub async fn account(db: &DatabaseConnection, username: &str, roles: &[AccountRole], scope_code: &str) -> String {
    let scope_org = by_code(db, scope_code).await;
    let new = NewAccount {
        username: username.into(),
        display_name: format!("测试{username}"),
        person_id: None,
        org_id: scope_org.id,
        scope_org_id: scope_org.id,
        roles: AccountRoles::of(roles),
        password: PASSWORD.into(),
        must_change_password: false,
    };
    write(db, &Scope::system(), async |tx| accounts::create(tx, &new).await).await.expect("account");
    username.to_owned()
}

/// The app, signed in as a new account with the given roles over `scope_code`.
pub async fn signed_in(db: &TestDb, username: &str, roles: &[AccountRole], scope_code: &str) -> TestApp {
    account(&db.conn, username, roles, scope_code).await;
    let app = TestApp::spawn(db).await;
    assert_eq!(app.login(username, PASSWORD).await, 303, "sign-in of {username}");
    app
}

/// Posts for an Excel download (with the CSRF token): the status and, when served, the
/// first sheet's cells joined by "|".
pub async fn xlsx_text(app: &TestApp, path: &str) -> (u16, String) {
    let csrf = app.csrf().await;
    let r = app.raw.post(app.url(path)).form(&[("_csrf", csrf.as_str())]).send().await.expect("download");
    let status = r.status().as_u16();
    if status != 200 {
        return (status, String::new());
    }
    let wb =
        xuepei_office::read::Workbook::open(Source::Bytes(r.bytes().await.expect("bytes").to_vec())).expect("workbook");
    let mut cells: Vec<String> = Vec::new();
    wb.read_sheet(0, |r| {
        cells.extend(r.cells);
        std::ops::ControlFlow::Continue(())
    })
    .expect("read");
    (status, cells.join("|"))
}
