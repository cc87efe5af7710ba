//! Batch plans (分期分批方案): the planner's input and proposal for one organiser of a
//! campaign, kept as a draft while the organiser adjusts it, then accepted (which creates
//! the classes and enrolments). Input and proposal are JSON documents that can hold tens
//! of thousands of trainees, hence a long text column on MySQL.

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
                    .table("plans")
                    .col(big_pk_auto("id"))
                    .col(big_integer("campaign_id"))
                    // The organiser whose target list is planned.
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("title", 200))
                    // What the organiser asked for (window, rule, capacity, class facts).
                    .col(text("params"))
                    // The planner's input (trainees) and its current proposal.
                    .col(long_text("input", b))
                    .col(long_text("proposal", b))
                    // draft, accepted
                    .col(string_len("status", 16))
                    .col(integer("trainees"))
                    .col(integer("batches"))
                    .col(integer("unplaced"))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .col(instant("accepted_at", b, true))
                    .foreign_key(ForeignKey::create().from("plans", "campaign_id").to("campaigns", "id"))
                    .foreign_key(ForeignKey::create().from("plans", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "plans", "ix_plans_org_path", &["org_path", "id"], false).await?;
        index(manager, "plans", "ix_plans_campaign", &["campaign_id", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("plans").to_owned()).await
    }
}
