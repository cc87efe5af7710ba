//! Organisations, people and uploaded files.

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
                    .table("organizations")
                    .col(big_pk_auto("id"))
                    .col(binary_text(string_len("code", 32), b))
                    .col(binary_text(string_len("name", 200), b))
                    .col(binary_text(string_len_null("short_name", 100), b))
                    .col(string_len("kind", 32))
                    .col(string_len("sector", 32))
                    .col(big_integer_null("parent_id"))
                    .col(binary_text(string_len("path", 512), b))
                    .col(integer("depth"))
                    .col(big_integer_null("authority_org_id"))
                    .col(boolean("active").default(true))
                    .col(big_integer("person_count").default(0))
                    .col(big_integer("subtree_people").default(0))
                    .col(big_integer("subtree_orgs").default(1))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("organizations", "parent_id").to("organizations", "id"))
                    .foreign_key(
                        ForeignKey::create().from("organizations", "authority_org_id").to("organizations", "id"),
                    )
                    .to_owned(),
            )
            .await?;
        index(manager, "organizations", "ux_organizations_code", &["code"], true).await?;
        index(manager, "organizations", "ix_organizations_path", &["path"], false).await?;
        index(manager, "organizations", "ix_organizations_parent", &["parent_id"], false).await?;
        index(manager, "organizations", "ix_organizations_name", &["name"], false).await?;
        index(manager, "organizations", "ix_organizations_short_name", &["short_name"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("persons")
                    .col(big_pk_auto("id"))
                    .col(binary_text(string_len("name", 60), b))
                    .col(string_len("gender", 8))
                    .col(date("birth_date"))
                    .col(binary_text(string_len("id_number", 18), b))
                    .col(string_len_null("phone", 20))
                    .col(date_null("party_joined_on"))
                    .col(string_len_null("position", 200))
                    .col(string_len_null("rank_level", 16))
                    .col(integer("roles").default(0))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("org_sector", 32))
                    .col(big_integer_null("managing_org_id"))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("persons", "org_id").to("organizations", "id"))
                    .foreign_key(ForeignKey::create().from("persons", "managing_org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "persons", "ux_persons_id_number", &["id_number"], true).await?;
        index(manager, "persons", "ix_persons_org_path", &["org_path", "id"], false).await?;
        index(manager, "persons", "ix_persons_org", &["org_id"], false).await?;
        index(manager, "persons", "ix_persons_name", &["name"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("uploads")
                    .col(big_pk_auto("id"))
                    .col(string_len("kind", 16))
                    .col(string_len("filename", 255))
                    .col(large_binary("content", b))
                    .col(big_integer("size"))
                    .col(binary_text(string_len("scope_path", 512), b))
                    .col(instant("created_at", b, false))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["uploads", "persons", "organizations"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
