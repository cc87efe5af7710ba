//! Practice bases (示范培训实践基地, issue 14 item 3).
//!
//! `practice_bases`: an application with the 五有 evidence and where it stands, kept by the
//! host organisation's path and the recommending county's path (both registered path
//! copies). `base_quotas`: how many villages and communities a county recommends to the
//! city a year (the seed's numbers when absent). An accredited base is a venue (`venues`,
//! kind `base`) of the accrediting body, so the timetables use it and its uses are counted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{binary_text, index, instant};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        let mut t = Table::create();
        t.table("practice_bases")
            .col(big_pk_auto("id"))
            .col(big_integer("org_id"))
            .col(binary_text(string_len("org_path", 512), b))
            .col(big_integer("county_org_id"))
            .col(binary_text(string_len("county_path", 512), b))
            .col(string_len("name", 100))
            .col(string_len("kind", 12))
            .col(integer("year"))
            .col(string_len("address", 200))
            .col(string_len("contact", 50))
            .col(string_len("phone", 30))
            .col(text("summary"));
        for item in ["venue", "guide", "material", "site", "film"] {
            t.col(string_len(item, 500));
        }
        t.col(string_len("state", 12))
            .col(text_null("comments"))
            // When the county accredited it, and when the city did.
            .col(date_null("county_on"))
            .col(date_null("city_on"))
            .col(date_null("reviewed_on"))
            .col(string_len_null("review_note", 500))
            // The venue it became for on-site teaching once accredited (owned by the
            // accrediting body, so that body's classes and those below it use it).
            .col(big_integer_null("venue_id"))
            .col(instant("created_at", b, false))
            .col(instant("updated_at", b, false))
            .foreign_key(ForeignKey::create().from("practice_bases", "org_id").to("organizations", "id"))
            .foreign_key(ForeignKey::create().from("practice_bases", "county_org_id").to("organizations", "id"))
            .foreign_key(ForeignKey::create().from("practice_bases", "venue_id").to("venues", "id"));
        manager.create_table(t.to_owned()).await?;
        index(manager, "practice_bases", "ix_practice_bases_org_path", &["org_path", "id"], false).await?;
        index(manager, "practice_bases", "ix_practice_bases_county_path", &["county_path", "id"], false).await?;
        index(manager, "practice_bases", "ix_practice_bases_county", &["county_org_id", "year", "kind"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("base_quotas")
                    .col(big_pk_auto("id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(integer("year"))
                    .col(integer("villages"))
                    .col(integer("communities"))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("base_quotas", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "base_quotas", "ux_base_quotas_org", &["org_id", "year"], true).await?;
        index(manager, "base_quotas", "ix_base_quotas_org_path", &["org_path", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["base_quotas", "practice_bases"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
