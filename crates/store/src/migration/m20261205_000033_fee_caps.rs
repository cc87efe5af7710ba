//! Fee caps an organisation sets for its classes and those below it (issue 14 item 4: the
//! caps are configurable; the defaults are the national ones). Kept by the organisation's
//! path (a registered path copy).

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
                    .table("fee_caps")
                    .col(big_pk_auto("id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    // The caps as JSON (`FeeCaps`).
                    .col(text("caps"))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("fee_caps", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "fee_caps", "ux_fee_caps_org", &["org_id"], true).await?;
        index(manager, "fee_caps", "ix_fee_caps_org_path", &["org_path", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("fee_caps").to_owned()).await
    }
}
