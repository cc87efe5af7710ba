//! Certificates (issue 14 item 5): completion certificates (结业证书) of a class and
//! certificates of a year's hours (学时证明), each a snapshot of what it printed, with the
//! code a QR scan verifies. Kept by the issuing body's path (a registered path copy).

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
                    .table("certificates")
                    .col(big_pk_auto("id"))
                    .col(string_len("code", 18))
                    .col(string_len("kind", 12))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(big_integer("person_id"))
                    .col(big_integer_null("class_id"))
                    .col(integer_null("year"))
                    // What the certificate printed, as printed.
                    .col(string_len("name", 50))
                    .col(string_len("title", 200))
                    .col(string_len("period", 100))
                    .col(big_integer("hours"))
                    .col(string_len("issuer", 100))
                    .col(date("issued_on"))
                    .col(date_null("revoked_on"))
                    .col(string_len_null("revoke_reason", 200))
                    // The trainee while a completion certificate stands (cleared on
                    // revocation): one standing certificate per class and trainee, held by
                    // the unique index on every backend, however requests race.
                    .col(big_integer_null("standing_person_id"))
                    .col(instant("created_at", b, false))
                    .foreign_key(ForeignKey::create().from("certificates", "org_id").to("organizations", "id"))
                    .foreign_key(ForeignKey::create().from("certificates", "person_id").to("persons", "id"))
                    .foreign_key(ForeignKey::create().from("certificates", "class_id").to("classes", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "certificates", "ux_certificates_code", &["code"], true).await?;
        index(manager, "certificates", "ix_certificates_org_path", &["org_path", "id"], false).await?;
        index(manager, "certificates", "ux_certificates_standing", &["class_id", "standing_person_id"], true).await?;
        index(manager, "certificates", "ix_certificates_person", &["person_id", "id"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("certificates").to_owned()).await
    }
}
