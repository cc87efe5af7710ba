//! Sign-in throttling, password history, split password resets, and the daily count of
//! identity numbers found registered outside the asker's scope (issue 11).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{index, instant};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        // Failed sign-ins per client address and per user name (known or not), in a window.
        manager
            .create_table(
                Table::create()
                    .table("login_throttle")
                    .col(string_len("id", 160).primary_key())
                    .col(instant("window_start", b, false))
                    .col(integer("failures").default(0))
                    .col(boolean("noted").default(false))
                    .to_owned(),
            )
            .await?;
        // Hashes of an account's earlier passwords (a new one may not repeat them).
        manager
            .create_table(
                Table::create()
                    .table("password_history")
                    .col(big_pk_auto("id"))
                    .col(big_integer("account_id"))
                    .col(string_len("password_hash", 255))
                    .col(instant("created_at", b, false))
                    .foreign_key(ForeignKey::create().from("password_history", "account_id").to("accounts", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "password_history", "ix_password_history_account", &["account_id", "id"], false).await?;
        // A reset awaiting its holder: the half of the temporary password that the system
        // administrator hands over (the security administrator saw only the other half).
        manager
            .create_table(
                Table::create()
                    .table("password_resets")
                    .col(big_integer("account_id").primary_key())
                    .col(string_len("second_half", 32))
                    .col(big_integer_null("reset_by"))
                    .col(instant("created_at", b, false))
                    .foreign_key(ForeignKey::create().from("password_resets", "account_id").to("accounts", "id"))
                    .to_owned(),
            )
            .await?;
        // How many identity numbers each account was told are registered outside its scope,
        // per day (China time), and whether the security administrator was alerted.
        manager
            .create_table(
                Table::create()
                    .table("id_checks")
                    .col(big_pk_auto("id"))
                    .col(big_integer("account_id"))
                    .col(date("on_day"))
                    .col(big_integer("checks").default(0))
                    .col(boolean("alerted").default(false))
                    .col(instant("updated_at", b, false))
                    .to_owned(),
            )
            .await?;
        index(manager, "id_checks", "ux_id_checks_account_day", &["account_id", "on_day"], true).await?;
        index(manager, "id_checks", "ix_id_checks_day", &["on_day", "checks"], false).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["id_checks", "password_resets", "password_history", "login_throttle"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
