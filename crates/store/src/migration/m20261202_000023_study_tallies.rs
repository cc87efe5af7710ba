//! The oversight views' read paths (issue 13 item 6).
//!
//! `study_tallies`: a leader's study-log entries counted per year and mode, one column per
//! month (`m01`…`m12`), kept in step by `study_logs` create/update/delete in the same
//! transaction, so quota completion over a whole area reads one row per leader and mode
//! instead of every entry. The row carries the leader's organisation and path as of their
//! latest entry (a registered path copy). Existing entries are counted here once.
//! Two covering indexes let the period's meetings and study sessions be added up per
//! organisation from the index alone: `meetings (held_on, org_path, compliant)` and
//! `study_sessions (held_on, org_path, thematic, present, expected)`.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{binary_text, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

pub(crate) const MONTHS: [&str; 12] =
    ["m01", "m02", "m03", "m04", "m05", "m06", "m07", "m08", "m09", "m10", "m11", "m12"];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        let mut t = Table::create();
        t.table("study_tallies")
            .col(big_pk_auto("id"))
            .col(big_integer("person_id"))
            .col(big_integer("org_id"))
            .col(binary_text(string_len("org_path", 512), b))
            .col(integer("year"))
            .col(string_len("mode", 20));
        for m in MONTHS {
            t.col(integer(m).default(0));
        }
        t.foreign_key(ForeignKey::create().from("study_tallies", "person_id").to("persons", "id"))
            .foreign_key(ForeignKey::create().from("study_tallies", "org_id").to("organizations", "id"));
        manager.create_table(t.to_owned()).await?;
        index(manager, "study_tallies", "ux_study_tallies_key", &["person_id", "year", "mode"], true).await?;
        index(manager, "study_tallies", "ix_study_tallies_year_path", &["year", "org_path", "person_id"], false)
            .await?;
        index(manager, "study_tallies", "ix_study_tallies_org_path", &["org_path", "id"], false).await?;
        index(manager, "meetings", "ix_meetings_day_path_ok", &["held_on", "org_path", "compliant"], false).await?;
        index(
            manager,
            "study_sessions",
            "ix_study_sessions_day_figures",
            &["held_on", "org_path", "thematic", "present", "expected"],
            false,
        )
        .await?;

        // Count the entries already stored.
        let sql = recount_sql(b);
        manager.get_connection().execute_unprepared(&sql).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("ix_study_sessions_day_figures").table("study_sessions").to_owned())
            .await?;
        manager.drop_index(Index::drop().name("ix_meetings_day_path_ok").table("meetings").to_owned()).await?;
        manager.drop_table(Table::drop().table("study_tallies").to_owned()).await
    }
}

/// Counts every study-log entry into tallies (an empty `study_tallies`): the migration's
/// first fill, and the benchmark's after its bulk load.
pub(crate) fn recount_sql(b: DbBackend) -> String {
    let (year, month) = match b {
        DbBackend::Postgres => {
            ("CAST(EXTRACT(YEAR FROM l.on_date) AS INTEGER)", "CAST(EXTRACT(MONTH FROM l.on_date) AS INTEGER)")
        }
        DbBackend::MySql => ("YEAR(l.on_date)", "MONTH(l.on_date)"),
        _ => ("CAST(strftime('%Y', l.on_date) AS INTEGER)", "CAST(strftime('%m', l.on_date) AS INTEGER)"),
    };
    let sums: Vec<String> = (1..=12).map(|m| format!("SUM(CASE WHEN {month} = {m} THEN 1 ELSE 0 END)")).collect();
    format!(
        "INSERT INTO study_tallies (person_id, org_id, org_path, year, mode, {cols}) \
         SELECT l.person_id, p.org_id, p.org_path, {year}, l.mode, {sums} \
         FROM study_logs l JOIN persons p ON p.id = l.person_id \
         GROUP BY l.person_id, p.org_id, p.org_path, {year}, l.mode",
        cols = MONTHS.join(", "),
        sums = sums.join(", "),
    )
}
