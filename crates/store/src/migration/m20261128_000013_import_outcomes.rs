//! The import wizard keeps each upload's outcome — the preview's, then the import's — so
//! that the bad rows can be downloaded and the result page survives a refresh.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

use super::instant;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// JSON of any length (a report lists up to a thousand problems); MySQL's TEXT stops at 64 KB.
fn outcome(backend: DbBackend) -> ColumnDef {
    let mut col = ColumnDef::new(Alias::new("outcome"));
    match backend {
        DbBackend::MySql => col.custom(Alias::new("LONGTEXT")),
        _ => col.text(),
    };
    col.null();
    col
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        // One column per statement: SQLite's ALTER TABLE takes one at a time.
        for mut col in [outcome(b), instant("finished_at", b, true)] {
            manager.alter_table(Table::alter().table("uploads").add_column(&mut col).to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for col in ["outcome", "finished_at"] {
            manager.alter_table(Table::alter().table("uploads").drop_column(Alias::new(col)).to_owned()).await?;
        }
        Ok(())
    }
}
