//! An upload belongs to the account that uploaded it: only that account may preview,
//! download the bad rows of, confirm or read the result of its import.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Uploads from before have no owner and can no longer be used (they expire anyway).
        manager
            .alter_table(Table::alter().table("uploads").add_column(big_integer_null("owner_account_id")).to_owned())
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(Table::alter().table("uploads").drop_column(Alias::new("owner_account_id")).to_owned())
            .await
    }
}
