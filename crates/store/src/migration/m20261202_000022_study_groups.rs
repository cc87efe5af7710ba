//! Central study groups (理论学习中心组, seed 004, issue 13 item 2): `study_groups` (one per
//! committee, its members as a JSON document), `study_plans` (the annual plan and thematic
//! plans on their approval route), `study_sessions` (集中学习研讨 with attendance and
//! speeches; the counts the oversight views add up are columns), `study_reports`
//! (research topics with their reports and each member's annual study report) and
//! `study_group_rules` (sessions a year, thematic ones among them, the attendance
//! threshold: data with seeded defaults). Every scoped table carries its organisation's path.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{binary_text, index, instant, long_text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("study_groups")
                    .col(big_pk_auto("id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("name", 100))
                    // The body plans are submitted to: the group's organisation or one above it.
                    .col(big_integer("approver_org_id"))
                    .col(long_text("members", b))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("study_groups", "org_id").to("organizations", "id"))
                    .foreign_key(ForeignKey::create().from("study_groups", "approver_org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "study_groups", "ix_study_groups_org_path", &["org_path", "id"], false).await?;
        index(manager, "study_groups", "ux_study_groups_org", &["org_id"], true).await?;
        manager
            .create_table(
                Table::create()
                    .table("study_plans")
                    .col(big_pk_auto("id"))
                    .col(big_integer("group_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(integer("year"))
                    // annual, thematic
                    .col(string_len("kind", 12))
                    .col(string_len("title", 200))
                    // Topics by month, JSON [{month, topic}].
                    .col(long_text("topics", b))
                    .col(long_text("body", b))
                    // draft, submitted, returned, approved
                    .col(string_len("state", 12))
                    .col(string_len("comments", 1000))
                    .col(instant("submitted_at", b, true))
                    .col(instant("decided_at", b, true))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("study_plans", "group_id").to("study_groups", "id"))
                    .foreign_key(ForeignKey::create().from("study_plans", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "study_plans", "ix_study_plans_org_path", &["org_path", "id"], false).await?;
        index(manager, "study_plans", "ux_study_plans_group_title", &["group_id", "year", "kind", "title"], true)
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("study_sessions")
                    .col(big_pk_auto("id"))
                    .col(big_integer("group_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(date("held_on"))
                    .col(string_len("topic", 200))
                    // A thematic discussion (专题研讨).
                    .col(boolean("thematic"))
                    .col(big_integer("lead_id"))
                    // [{person, presence, reason}] and [{person, summary}].
                    .col(long_text("attendance", b))
                    .col(long_text("speeches", b))
                    .col(long_text("notes", b))
                    .col(string_len("materials", 1000))
                    // Members present and members expected: the attendance rate's terms.
                    .col(integer("present"))
                    .col(integer("expected"))
                    .col(instant("closed_at", b, true))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("study_sessions", "group_id").to("study_groups", "id"))
                    .foreign_key(ForeignKey::create().from("study_sessions", "org_id").to("organizations", "id"))
                    .foreign_key(ForeignKey::create().from("study_sessions", "lead_id").to("persons", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "study_sessions", "ix_study_sessions_org_path", &["org_path", "id"], false).await?;
        index(manager, "study_sessions", "ux_study_sessions_group_day", &["group_id", "held_on", "topic"], true)
            .await?;
        index(manager, "study_sessions", "ix_study_sessions_day_path", &["held_on", "org_path"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("study_reports")
                    .col(big_pk_auto("id"))
                    .col(big_integer("group_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(integer("year"))
                    // research, annual
                    .col(string_len("kind", 12))
                    .col(big_integer("person_id"))
                    .col(string_len("title", 200))
                    .col(long_text("body", b))
                    .col(date_null("done_on"))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("study_reports", "group_id").to("study_groups", "id"))
                    .foreign_key(ForeignKey::create().from("study_reports", "org_id").to("organizations", "id"))
                    .foreign_key(ForeignKey::create().from("study_reports", "person_id").to("persons", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "study_reports", "ix_study_reports_org_path", &["org_path", "id"], false).await?;
        index(manager, "study_reports", "ix_study_reports_group_year", &["group_id", "year", "kind"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("study_group_rules")
                    .col(big_pk_auto("id"))
                    // The issuing body; NULL for the seeded default.
                    .col(big_integer_null("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(integer("sessions_per_year"))
                    .col(integer("thematic_per_year"))
                    // Least attendance rate, in percent.
                    .col(integer("attendance_min"))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("study_group_rules", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "study_group_rules", "ux_study_group_rules_path", &["org_path"], true).await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("study_group_rules")
                    .columns(["org_path", "sessions_per_year", "thematic_per_year", "attendance_min", "updated_at"])
                    .values_panic(["/".into(), 12.into(), 4.into(), 80.into(), chrono::Utc::now().into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["study_group_rules", "study_reports", "study_sessions", "study_plans", "study_groups"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
