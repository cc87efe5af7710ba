//! Filing upward (备案, issue 14 item 1).
//!
//! `filing_routes`: with whom an organiser of a campaign files (counties with the city
//! organisation department, systems with the city organs work committee); an organiser
//! without a row files with the campaign's issuer. `filing_terms`: how often progress
//! reports are due and when the work summary is, per campaign (defaults when absent).
//! `filings`: one version of a plan, progress report or summary, kept by the filer's path
//! and the receiver's path (both registered path copies). `filing_files`: its attachments.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{binary_text, index, instant, large_binary, long_text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("filing_routes")
                    .col(big_pk_auto("id"))
                    .col(big_integer("campaign_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(big_integer("receiver_org_id"))
                    .col(binary_text(string_len("receiver_path", 512), b))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("filing_routes", "campaign_id").to("campaigns", "id"))
                    .foreign_key(ForeignKey::create().from("filing_routes", "org_id").to("organizations", "id"))
                    .foreign_key(
                        ForeignKey::create().from("filing_routes", "receiver_org_id").to("organizations", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "filing_routes", "ux_filing_routes_org", &["campaign_id", "org_id"], true).await?;
        index(manager, "filing_routes", "ix_filing_routes_org_path", &["org_path", "id"], false).await?;
        index(manager, "filing_routes", "ix_filing_routes_receiver_path", &["receiver_path", "id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("filing_terms")
                    .col(big_pk_auto("id"))
                    .col(big_integer("campaign_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("progress_every", 12))
                    .col(integer("progress_days"))
                    .col(date_null("summary_deadline"))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("filing_terms", "campaign_id").to("campaigns", "id"))
                    .foreign_key(ForeignKey::create().from("filing_terms", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "filing_terms", "ux_filing_terms_campaign", &["campaign_id"], true).await?;
        index(manager, "filing_terms", "ix_filing_terms_org_path", &["org_path", "id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("filings")
                    .col(big_pk_auto("id"))
                    .col(big_integer("campaign_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(big_integer("receiver_org_id"))
                    .col(binary_text(string_len("receiver_path", 512), b))
                    .col(string_len("kind", 12))
                    // 0 for a plan or summary; the progress report's number.
                    .col(integer("period"))
                    .col(integer("version"))
                    .col(string_len("title", 200))
                    .col(long_text("body", b))
                    .col(string_len("state", 12))
                    .col(text_null("comments"))
                    // Kept through returns: lateness counts from the first submission.
                    .col(instant("first_submitted_at", b, true))
                    .col(instant("submitted_at", b, true))
                    .col(instant("decided_at", b, true))
                    .col(string_len_null("decided_by", 100))
                    // A filed version a later filed version replaced.
                    .col(boolean("superseded").default(false))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("filings", "campaign_id").to("campaigns", "id"))
                    .foreign_key(ForeignKey::create().from("filings", "org_id").to("organizations", "id"))
                    .foreign_key(ForeignKey::create().from("filings", "receiver_org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "filings", "ux_filings_version", &["campaign_id", "org_id", "kind", "period", "version"], true)
            .await?;
        index(manager, "filings", "ix_filings_org_path", &["org_path", "id"], false).await?;
        index(manager, "filings", "ix_filings_receiver_path", &["receiver_path", "id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("filing_files")
                    .col(big_pk_auto("id"))
                    .col(big_integer("filing_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("name", 200))
                    .col(big_integer("size"))
                    .col(large_binary("content", b))
                    .col(instant("created_at", b, false))
                    .foreign_key(ForeignKey::create().from("filing_files", "filing_id").to("filings", "id"))
                    .foreign_key(ForeignKey::create().from("filing_files", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "filing_files", "ix_filing_files_filing", &["filing_id", "id"], false).await?;
        index(manager, "filing_files", "ix_filing_files_org_path", &["org_path", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["filing_files", "filings", "filing_terms", "filing_routes"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
