//! The people import's bulk insert (one JSON parameter per batch on SQLite, an array literal
//! of rows on PostgreSQL, a multi-row INSERT on MySQL) stores a person exactly as the
//! single-row path (`active_model().insert()`) does: every column, NULLs, dates and instants
//! — on whichever backend `TEST_DATABASE_URL` names.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use xuepei_domain::people::validate_person;
use xuepei_store::imports::Present;
use xuepei_store::imports::people::{PeopleImport, today_in_china};
use xuepei_store::page::At;
use xuepei_store::people::{self, Person, PersonFilter, PersonInput, PersonSort};
use xuepei_store::{Actor, DatabaseConnection, Scope};

use crate::support::*;

/// The columns compared as stored, beside the id, the number and the instants.
const COLUMNS: [&str; 18] = [
    "name",
    "gender",
    "birth_date",
    "phone",
    "party_joined_on",
    "position",
    "rank_level",
    "roles",
    "org_id",
    "org_path",
    "org_sector",
    "managing_org_id",
    "ethnicity",
    "native_place",
    "education",
    "degree",
    "work_started_on",
    "position_since",
];

/// A person's columns as the database holds them: SQLite's `quote()` also shows the
/// storage class (text, integer, NULL), the others their text.
async fn stored(db: &DatabaseConnection, id: i64) -> Vec<Option<String>> {
    let backend = db.get_database_backend();
    let exprs: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| match backend {
            DbBackend::Sqlite => format!("quote({c}) AS c{i}"),
            DbBackend::Postgres => format!("CAST({c} AS TEXT) AS c{i}"),
            _ => format!("CAST({c} AS CHAR) AS c{i}"),
        })
        .collect();
    let sql = format!("SELECT {} FROM persons WHERE id = {id}", exprs.join(", "));
    let row = db.query_one_raw(Statement::from_string(backend, sql)).await.expect("query").expect("row");
    (0..COLUMNS.len()).map(|i| row.try_get::<Option<String>>("", &format!("c{i}")).expect("column")).collect()
}

/// SQLite keeps instants as text: the text sqlx writes for the value read back.
async fn sqlite_instants(db: &DatabaseConnection, p: &Person) {
    if db.get_database_backend() != DbBackend::Sqlite {
        return;
    }
    let sql = format!("SELECT created_at, updated_at FROM persons WHERE id = {}", p.id);
    let row = db.query_one_raw(Statement::from_string(DbBackend::Sqlite, sql)).await.expect("query").expect("row");
    let written = p.created_at.to_rfc3339_opts(SecondsFormat::AutoSi, false);
    for col in ["created_at", "updated_at"] {
        assert_eq!(row.try_get::<String>("", col).expect("text"), written, "{col} of {}", p.name);
    }
}

async fn find(db: &DatabaseConnection, id_number: &str) -> Person {
    let f = PersonFilter { q: Some(id_number.to_owned()), ..Default::default() };
    let page = people::list(db, &Scope::system(), &f, PersonSort::Org, At::First, 5).await.expect("list");
    page.items.into_iter().map(|r| r.person).find(|p| p.id_number == id_number).expect("stored")
}

/// A roster row: everything filled, including characters JSON escapes, characters special
/// to PostgreSQL's array and row literals (`"\(),{}` and a space) and one beyond the Basic
/// Multilingual Plane, or only what is required (the rest must stay NULL).
fn fields(full: bool, id: &str) -> Vec<(&'static str, String)> {
    let mut f = vec![("name", "欧阳𠮷".to_owned()), ("id_number", id.to_owned()), ("org_code", JINGZHU.to_owned())];
    if full {
        for (k, v) in [
            ("phone", "13807301234"),
            ("party_joined_on", "1998.07"),
            ("position", "村\"两委\"(委员),副主任 {甲} \\"),
            ("rank_level", "乡科级"),
            ("roles", "书记、委员"),
            ("managing_org", YUNXI),
            ("ethnicity", "土家"),
            ("native_place", "湖南岳阳"),
            ("education", "大学"),
            ("degree", "学士"),
            ("work_started_on", "1996年8月"),
            ("position_since", "2021.06"),
        ] {
            f.push((k, v.to_owned()));
        }
    }
    f
}

#[tokio::test]
async fn people_from_the_bulk_import_read_back_as_the_single_row_path_writes_them() {
    let db = seeded().await;
    let sys = Scope::system();
    let village = by_code(&db.conn, JINGZHU).await;
    let county = by_code(&db.conn, YUNXI).await;
    let today = today_in_china();
    for (n, full) in [(0, true), (1, false)] {
        let single_id = id_number(YUNXI, (1975, 3, 9), 710 + n);
        let bulk_id = id_number(YUNXI, (1975, 3, 9), 720 + n);
        let draft = |id: &str| {
            let f = fields(full, id);
            let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            validate_person(&pairs[..], today).expect("a valid row")
        };
        let started = Utc::now();

        let input = PersonInput::from_draft(&draft(&single_id), village.id, full.then_some(county.id));
        write(&db.conn, &sys, async |tx| people::create(tx, &input).await).await.expect("single-row path");

        let mut import =
            PeopleImport::begin(&db.conn, sys.clone(), &Actor::operator("测试"), "bulk", Present::default(), false)
                .await
                .expect("begin");
        import.push(2, draft(&bulk_id)).await.expect("push");
        let report = import.finish().await.expect("finish");
        assert_eq!((report.inserted, report.error_count), (1, 0), "{:?}", report.errors);
        let ended = Utc::now();

        let (a, b) = (find(&db.conn, &single_id).await, find(&db.conn, &bulk_id).await);
        if full {
            assert!(a.profile.ethnicity.is_some() && a.managing_org_id.is_some() && a.position.is_some());
        } else {
            assert!(a.profile.ethnicity.is_none() && a.phone.is_none() && a.party_joined_on.is_none());
        }
        let comparable = |p: &Person| Person {
            id: 0,
            id_number: String::new(),
            created_at: DateTime::<Utc>::MIN_UTC,
            updated_at: DateTime::<Utc>::MIN_UTC,
            ..p.clone()
        };
        assert_eq!(comparable(&b), comparable(&a), "every field but the id, the number and the instants");
        assert_eq!(stored(&db.conn, b.id).await, stored(&db.conn, a.id).await, "stored alike, NULLs as NULL");
        for p in [&a, &b] {
            assert_eq!(p.created_at, p.updated_at, "{}", p.id_number);
            // Microseconds are the finest precision every backend keeps.
            let window = chrono::Duration::microseconds(1);
            assert!(p.created_at >= started - window && p.created_at <= ended + window, "{}", p.created_at);
            sqlite_instants(&db.conn, p).await;
        }
    }
    db.cleanup().await;
}
