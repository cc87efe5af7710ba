//! Accounts, sessions, API tokens and the hash-chained audit trail.

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
                    .table("accounts")
                    .col(big_pk_auto("id"))
                    .col(binary_text(string_len("username", 32), b))
                    .col(string_len("display_name", 60))
                    .col(big_integer_null("person_id"))
                    .col(big_integer("org_id"))
                    .col(big_integer("scope_org_id"))
                    .col(integer("roles"))
                    .col(string_len("password_hash", 255))
                    .col(instant("password_changed_at", b, false))
                    .col(boolean("must_change_password").default(true))
                    .col(integer("failed_attempts").default(0))
                    .col(instant("locked_until", b, true))
                    .col(boolean("active").default(true))
                    .col(instant("last_login_at", b, true))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("accounts", "person_id").to("persons", "id"))
                    .foreign_key(ForeignKey::create().from("accounts", "org_id").to("organizations", "id"))
                    .foreign_key(ForeignKey::create().from("accounts", "scope_org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "accounts", "ux_accounts_username", &["username"], true).await?;
        index(manager, "accounts", "ix_accounts_scope", &["scope_org_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("sessions")
                    .col(string_len("id", 64).primary_key())
                    .col(big_integer("account_id"))
                    .col(string_len("csrf_token", 64))
                    .col(big_integer_null("current_org_id"))
                    .col(instant("created_at", b, false))
                    .col(instant("last_seen_at", b, false))
                    .col(string_len_null("ip", 64))
                    .col(string_len_null("user_agent", 255))
                    .foreign_key(ForeignKey::create().from("sessions", "account_id").to("accounts", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "sessions", "ix_sessions_account", &["account_id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("api_tokens")
                    .col(big_pk_auto("id"))
                    .col(string_len("name", 100))
                    .col(string_len("token_hash", 64))
                    .col(string_len("prefix", 16))
                    .col(big_integer("scope_org_id"))
                    .col(boolean("can_write").default(false))
                    .col(big_integer("created_by"))
                    .col(instant("created_at", b, false))
                    .col(instant("expires_at", b, true))
                    .col(instant("revoked_at", b, true))
                    .col(instant("last_used_at", b, true))
                    .foreign_key(ForeignKey::create().from("api_tokens", "scope_org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "api_tokens", "ux_api_tokens_hash", &["token_hash"], true).await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_log")
                    .col(big_pk_auto("id"))
                    .col(big_integer("seq"))
                    .col(instant("at", b, false))
                    .col(big_integer_null("account_id"))
                    .col(string_len("username", 64))
                    .col(string_len_null("ip", 64))
                    .col(string_len("action", 64))
                    .col(string_len("target_type", 32))
                    .col(string_len_null("target_id", 64))
                    .col(binary_text(string_len("scope_path", 512), b))
                    .col(string_len("summary", 500))
                    .col(text_null("before"))
                    .col(text_null("after"))
                    .col(string_len("prev_hash", 64))
                    .col(string_len("hash", 64))
                    .to_owned(),
            )
            .await?;
        index(manager, "audit_log", "ux_audit_log_seq", &["seq"], true).await?;
        index(manager, "audit_log", "ix_audit_log_scope", &["scope_path", "seq"], false).await?;
        index(manager, "audit_log", "ix_audit_log_at", &["at"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("audit_head")
                    .col(integer("id").primary_key())
                    .col(big_integer("last_seq"))
                    .col(string_len("last_hash", 64))
                    .col(big_integer("archived_seq"))
                    .col(string_len("archived_hash", 64))
                    .to_owned(),
            )
            .await?;
        let genesis = "0".repeat(64);
        manager
            .exec_stmt(
                Query::insert()
                    .into_table("audit_head")
                    .columns(["id", "last_seq", "last_hash", "archived_seq", "archived_hash"])
                    .values_panic([1.into(), 0i64.into(), genesis.clone().into(), 0i64.into(), genesis.into()])
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["audit_head", "audit_log", "api_tokens", "sessions", "accounts"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
