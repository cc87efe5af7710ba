//! Training funds (issue 14 item 4). `class_funds`: a class's budget and expense lines by
//! source and kind, in fen, a lecture fee with the instructor's title, hours and half days;
//! scoped by the organiser's path (a registered path copy). `class_fund_terms`: the venue
//! class the comprehensive cap of a class depends on.

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
                    .table("class_funds")
                    .col(big_pk_auto("id"))
                    .col(big_integer("class_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("stage", 12))
                    .col(string_len("source", 16))
                    .col(string_len("kind", 16))
                    .col(big_integer("amount_fen"))
                    .col(string_len_null("lecturer_title", 16))
                    .col(integer_null("hours"))
                    .col(integer_null("half_days"))
                    .col(string_len_null("note", 200))
                    .col(instant("created_at", b, false))
                    .foreign_key(ForeignKey::create().from("class_funds", "class_id").to("classes", "id"))
                    .foreign_key(ForeignKey::create().from("class_funds", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "class_funds", "ix_class_funds_org_path", &["org_path", "id"], false).await?;
        index(manager, "class_funds", "ix_class_funds_class", &["class_id", "id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("class_fund_terms")
                    .col(big_pk_auto("id"))
                    .col(big_integer("class_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("venue_class", 12))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("class_fund_terms", "class_id").to("classes", "id"))
                    .foreign_key(ForeignKey::create().from("class_fund_terms", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "class_fund_terms", "ux_class_fund_terms_class", &["class_id"], true).await?;
        index(manager, "class_fund_terms", "ix_class_fund_terms_org_path", &["org_path", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("class_fund_terms").to_owned()).await?;
        manager.drop_table(Table::drop().table("class_funds").to_owned()).await
    }
}
