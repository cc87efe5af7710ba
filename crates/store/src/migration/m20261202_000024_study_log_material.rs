//! The library material a study-log entry studied (issue 13 item 4: materials are linked
//! from meetings, sessions and logs). No foreign key: a material withdrawn from the
//! library leaves the entry, which then shows no link.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("study_logs").add_column(big_integer_null("material_id")).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("study_logs").drop_column("material_id").to_owned()).await
    }
}
