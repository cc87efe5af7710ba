//! Evidence files of a practice base's 五有 items (issue 14 item 3: photos, files), kept by
//! the host organisation's path (a registered path copy) like the base itself.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{binary_text, index, instant, large_binary};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("base_files")
                    .col(big_pk_auto("id"))
                    .col(big_integer("base_id"))
                    // The 五有 item: venue, guide, material, site, film.
                    .col(string_len("item", 16))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("name", 200))
                    .col(string_len("mime", 100))
                    .col(big_integer("size"))
                    .col(large_binary("content", b))
                    .col(instant("created_at", b, false))
                    .foreign_key(ForeignKey::create().from("base_files", "base_id").to("practice_bases", "id"))
                    .foreign_key(ForeignKey::create().from("base_files", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "base_files", "ix_base_files_base", &["base_id", "id"], false).await?;
        index(manager, "base_files", "ix_base_files_org_path", &["org_path", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("base_files").to_owned()).await
    }
}
