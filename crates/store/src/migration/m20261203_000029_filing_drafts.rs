//! Reports drafted from the data (issue 14 item 2): a filing keeps the figures its drafted
//! text stated and the day they were read, so the receiver can trace each one.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut col = super::long_text("drafted_from", manager.get_database_backend());
        col.null();
        manager.alter_table(Table::alter().table("filings").add_column(&mut col).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.alter_table(Table::alter().table("filings").drop_column(Alias::new("drafted_from")).to_owned()).await
    }
}
