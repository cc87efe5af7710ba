//! What a cadre roster carries beyond identity: 民族, 籍贯, 学历, 学位, 参加工作时间, 任现职时间.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Added one column per statement: SQLite's ALTER TABLE takes one at a time.
fn columns() -> [ColumnDef; 6] {
    [
        string_len_null("ethnicity", 20),
        string_len_null("native_place", 60),
        string_len_null("education", 60),
        string_len_null("degree", 60),
        date_null("work_started_on"),
        date_null("position_since"),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for mut col in columns() {
            manager.alter_table(Table::alter().table("persons").add_column(&mut col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in columns() {
            manager
                .alter_table(Table::alter().table("persons").drop_column(Alias::new(col.get_column_name())).to_owned())
                .await?;
        }
        Ok(())
    }
}
