//! Rotational-training campaigns (轮训工作): the issuing organisation, the document, the
//! period, the rules as data, and the organisations whose subtrees the campaign targets.
//! Both tables copy an organisation's path (registered in `paths`), so a campaign is read
//! by the issuer's scope and by the scopes inside its target area through index ranges.

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
                    .table("campaigns")
                    .col(big_pk_auto("id"))
                    .col(big_integer("issuer_org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len_null("doc_number", 60))
                    .col(string_len("title", 200))
                    .col(string_len("kind", 16))
                    .col(date("start_on"))
                    .col(date("end_on"))
                    .col(date_null("plan_deadline"))
                    // Sectors, roles and rank levels of the target population (JSON).
                    .col(text("target"))
                    // Quotas, batch lengths, the leave limit, topics, materials, modes (JSON).
                    .col(text("rules"))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("campaigns", "issuer_org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "campaigns", "ix_campaigns_org_path", &["org_path", "id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("campaign_targets")
                    .col(big_pk_auto("id"))
                    .col(big_integer("campaign_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .foreign_key(ForeignKey::create().from("campaign_targets", "campaign_id").to("campaigns", "id"))
                    .foreign_key(ForeignKey::create().from("campaign_targets", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "campaign_targets", "ux_campaign_targets", &["campaign_id", "org_id"], true).await?;
        index(manager, "campaign_targets", "ix_campaign_targets_org_path", &["org_path", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["campaign_targets", "campaigns"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
