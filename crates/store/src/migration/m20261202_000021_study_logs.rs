//! Leaders' study log (five modes and reflections) and its quota rules.
//!
//! `study_logs`: one entry of a leader, scoped by the organisation the leader belonged to
//! when it was recorded (`org_id`, `org_path`); the unique key (person, mode, date, title)
//! refuses duplicates and serves the per-mode counts of a person's period.
//! `study_quota_rules`: quota rules as data. The defaults of 001 §二 are seeded here with no
//! issuing organisation (`org_id` NULL, `org_path` '/'); an issuing body's own rule of a
//! mode overrides the ones above it for its subtree.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{binary_text, index, instant};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("study_logs")
                    .col(big_pk_auto("id"))
                    .col(big_integer("person_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    // self_study, lead_learning, school_lecture, grassroots, exchange, reflection
                    .col(string_len("mode", 20))
                    .col(date("on_date"))
                    .col(string_len("title", 200))
                    .col(string_len_null("school", 100))
                    .col(string_len_null("place", 200))
                    .col(string_len_null("audience", 200))
                    .col(text_null("note"))
                    .col(string_len_null("published_in", 100))
                    .col(date_null("published_on"))
                    .col(big_integer_null("evidence_upload_id"))
                    // The account that entered it (the leader, or staff for them).
                    .col(big_integer_null("created_by"))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("study_logs", "person_id").to("persons", "id"))
                    .foreign_key(ForeignKey::create().from("study_logs", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "study_logs", "ix_study_logs_org_path", &["org_path", "id"], false).await?;
        index(manager, "study_logs", "ux_study_logs_entry", &["person_id", "mode", "on_date", "title"], true).await?;
        index(manager, "study_logs", "ix_study_logs_person_date", &["person_id", "on_date"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("study_quota_rules")
                    .col(big_pk_auto("id"))
                    // The issuing body; NULL for the seeded defaults.
                    .col(big_integer_null("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("mode", 20))
                    // month, year
                    .col(string_len("period", 10))
                    .col(integer("required"))
                    // leaders, county_leaders
                    .col(string_len("subject", 20))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("study_quota_rules", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "study_quota_rules", "ix_study_quota_rules_org_path", &["org_path", "id"], false).await?;
        index(manager, "study_quota_rules", "ux_study_quota_rules_mode", &["org_path", "mode"], true).await?;
        let now = chrono::Utc::now();
        for (mode, period, required, subject) in
            [("self_study", "month", 5, "leaders"), ("school_lecture", "year", 2, "county_leaders")]
        {
            manager
                .exec_stmt(
                    Query::insert()
                        .into_table("study_quota_rules")
                        .columns(["org_path", "mode", "period", "required", "subject", "updated_at"])
                        .values_panic([
                            "/".into(),
                            mode.into(),
                            period.into(),
                            required.into(),
                            subject.into(),
                            now.into(),
                        ])
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["study_quota_rules", "study_logs"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
