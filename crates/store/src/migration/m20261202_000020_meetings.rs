//! Committee meetings and their first agenda item (issue 13 item 1): `meetings` (the
//! agenda and attendance as JSON documents beside the columns the oversight views read)
//! and `meeting_measures` (the work measures a meeting's study produced, followed up
//! after the meeting is closed). Both carry their organisation's path.

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
                    .table("meetings")
                    .col(big_pk_auto("id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    // committee, leading_group, working_committee
                    .col(string_len("kind", 24))
                    .col(date("held_on"))
                    .col(big_integer("chair_id"))
                    .col(boolean("compliant"))
                    .col(string_len_null("study_source", 16))
                    .col(long_text("agenda", b))
                    .col(long_text("attendance", b))
                    .col(instant("archived_at", b, true))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("meetings", "org_id").to("organizations", "id"))
                    .foreign_key(ForeignKey::create().from("meetings", "chair_id").to("persons", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "meetings", "ix_meetings_org_path", &["org_path", "id"], false).await?;
        // One meeting of a body's kind a day; also the organisation's meetings by date.
        index(manager, "meetings", "ux_meetings_org_kind_day", &["org_id", "kind", "held_on"], true).await?;
        index(manager, "meetings", "ix_meetings_org_day", &["org_id", "held_on"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("meeting_measures")
                    .col(big_pk_auto("id"))
                    .col(big_integer("meeting_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("content", 500))
                    .col(big_integer("owner_id"))
                    // not_started, in_progress, done
                    .col(string_len("status", 16))
                    .col(date_null("due_on"))
                    .col(date_null("done_on"))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("meeting_measures", "meeting_id").to("meetings", "id"))
                    .foreign_key(ForeignKey::create().from("meeting_measures", "org_id").to("organizations", "id"))
                    .foreign_key(ForeignKey::create().from("meeting_measures", "owner_id").to("persons", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "meeting_measures", "ix_meeting_measures_org_path", &["org_path", "id"], false).await?;
        index(manager, "meeting_measures", "ix_meeting_measures_meeting", &["meeting_id", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("meeting_measures").to_owned()).await?;
        manager.drop_table(Table::drop().table("meetings").to_owned()).await
    }
}
