//! Notifications (issue 14 item 6) are derived from the records; what is kept is only which
//! of them an account has read, by the notification's stable key.

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
                    .table("notification_reads")
                    .col(big_pk_auto("id"))
                    .col(big_integer("account_id"))
                    .col(binary_text(string_len("key", 200), b))
                    .col(instant("read_at", b, false))
                    .foreign_key(ForeignKey::create().from("notification_reads", "account_id").to("accounts", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "notification_reads", "ux_notification_reads_key", &["account_id", "key"], true).await?;
        index(manager, "notification_reads", "ix_notification_reads_at", &["read_at"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("notification_reads").to_owned()).await
    }
}
