//! Maintained oversight figures (issue 13 item 6, the speed target).
//!
//! `study_org_figures`: per organisation, year and month (month 0 = the whole year), its
//! committee meetings, those whose first item is theory study, its study-group sessions,
//! the thematic ones and their attendance (present, expected). `meetings` and
//! `study_groups::sessions` add a record's figures in the writer's transaction (an edit
//! takes the old figures off and adds the new ones), so the oversight view of a province
//! and year reads one row per organisation instead of every meeting. The row carries the
//! organisation's path (a registered path copy). Records already stored are counted here.
//!
//! `study_quota_figures`: the leaders' quota figures per organisation and year (year 0:
//! with nothing logged), kept by `quota_figures` — the yearly lines and those met, and per
//! month (`lines01`…, `met01`…) the monthly lines, those met, the leaders behind in the
//! month (`behind01`…) and up to it (`upto01`…). Counted here from the stored tallies.

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{binary_text, index};

#[derive(DeriveMigrationName)]
pub struct Migration;

pub(crate) const TABLE: &str = "study_org_figures";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table(TABLE)
                    .col(big_pk_auto("id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(integer("year"))
                    .col(integer("month"))
                    .col(big_integer("meetings").default(0))
                    .col(big_integer("compliant").default(0))
                    .col(big_integer("sessions").default(0))
                    .col(big_integer("thematic").default(0))
                    .col(big_integer("present").default(0))
                    .col(big_integer("expected").default(0))
                    .foreign_key(ForeignKey::create().from(TABLE, "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, TABLE, "ux_study_org_figures_key", &["org_id", "year", "month"], true).await?;
        index(manager, TABLE, "ix_study_org_figures_period", &["year", "month", "org_path"], false).await?;
        index(manager, TABLE, "ix_study_org_figures_org_path", &["org_path", "id"], false).await?;
        for sql in recount_sql(b) {
            manager.get_connection().execute_unprepared(&sql).await?;
        }

        let q = crate::quota_figures::TABLE;
        let mut t = Table::create();
        t.table(q)
            .col(big_pk_auto("id"))
            .col(big_integer("org_id"))
            .col(binary_text(string_len("org_path", 512), b))
            .col(integer("year"))
            .col(big_integer("leaders").default(0))
            .col(big_integer("year_lines").default(0))
            .col(big_integer("year_met").default(0));
        for g in crate::quota_figures::GROUPS {
            for m in 0..12 {
                t.col(big_integer(Alias::new(crate::quota_figures::month_col(g, m))).default(0));
            }
        }
        t.foreign_key(ForeignKey::create().from(q, "org_id").to("organizations", "id"));
        manager.create_table(t.to_owned()).await?;
        index(manager, q, "ux_study_quota_figures_key", &["org_id", "year"], true).await?;
        index(manager, q, "ix_study_quota_figures_year_path", &["year", "org_path"], false).await?;
        index(manager, q, "ix_study_quota_figures_org_path", &["org_path", "id"], false).await?;
        crate::quota_figures::recount(manager.get_connection(), crate::quota_figures::Leaders::Under("/"))
            .await
            .map_err(|e| DbErr::Migration(e.to_string()))?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(crate::quota_figures::TABLE).to_owned()).await?;
        manager.drop_table(Table::drop().table(TABLE).to_owned()).await
    }
}

/// Counts every stored meeting and session into an empty `study_org_figures`: the months
/// first, then each year from its months. The migration's first fill and the benchmark's
/// after its bulk load.
pub(crate) fn recount_sql(b: DbBackend) -> [String; 2] {
    let (year, month) = match b {
        DbBackend::Postgres => {
            ("CAST(EXTRACT(YEAR FROM held_on) AS INTEGER)", "CAST(EXTRACT(MONTH FROM held_on) AS INTEGER)")
        }
        DbBackend::MySql => ("YEAR(held_on)", "MONTH(held_on)"),
        _ => ("CAST(strftime('%Y', held_on) AS INTEGER)", "CAST(strftime('%m', held_on) AS INTEGER)"),
    };
    let cols = "meetings, compliant, sessions, thematic, present, expected";
    let months = format!(
        "INSERT INTO {TABLE} (org_id, org_path, year, month, {cols}) \
         SELECT org_id, MIN(org_path), y, m, SUM(mt), SUM(ok), SUM(s), SUM(t), SUM(p), SUM(e) FROM (\
           SELECT org_id, org_path, {year} AS y, {month} AS m, 1 AS mt, \
                  CASE WHEN compliant THEN 1 ELSE 0 END AS ok, 0 AS s, 0 AS t, 0 AS p, 0 AS e \
           FROM meetings \
           UNION ALL \
           SELECT org_id, org_path, {year}, {month}, 0, 0, 1, CASE WHEN thematic THEN 1 ELSE 0 END, \
                  present, expected \
           FROM study_sessions\
         ) x GROUP BY org_id, y, m"
    );
    let years = format!(
        "INSERT INTO {TABLE} (org_id, org_path, year, month, {cols}) \
         SELECT org_id, MIN(org_path), year, 0, SUM(meetings), SUM(compliant), SUM(sessions), \
                SUM(thematic), SUM(present), SUM(expected) \
         FROM (SELECT * FROM {TABLE} WHERE month > 0) x GROUP BY org_id, year"
    );
    [months, years]
}
