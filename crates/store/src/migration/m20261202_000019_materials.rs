//! The materials library (学习资料: speeches, documents, books, videos) and the full-text
//! search index of every study text (`search_docs`: one row per indexed record;
//! `search_postings`: one row per term of a document — CJK character pairs and Latin
//! words — with the document's path copy and a score, see `store::search`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{binary_text, index, instant, long_text};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        manager
            .create_table(
                Table::create()
                    .table("materials")
                    .col(big_pk_auto("id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    // speech, document, book, video
                    .col(string_len("kind", 16))
                    .col(string_len("title", 200))
                    .col(string_len("source", 100))
                    .col(date("issued_on"))
                    .col(long_text("body", b))
                    // Tags between commas: ",乡村振兴,党建," (a tag filter is one LIKE).
                    .col(string_len("tags", 500))
                    .col(instant("created_at", b, false))
                    .col(instant("updated_at", b, false))
                    .foreign_key(ForeignKey::create().from("materials", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "materials", "ix_materials_org_path", &["org_path", "id"], false).await?;
        // Newest speeches first, for the scope and the organisations above it.
        index(manager, "materials", "ix_materials_kind_date", &["kind", "issued_on", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("search_docs")
                    .col(big_pk_auto("id"))
                    // The record's kind (material, meeting, note, speech, reflection, report) and id.
                    .col(string_len("kind", 16))
                    .col(big_integer("doc_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(string_len("title", 300))
                    .col(long_text("body", b))
                    .col(date_null("issued_on"))
                    .to_owned(),
            )
            .await?;
        index(manager, "search_docs", "ux_search_docs_kind_doc", &["kind", "doc_id"], true).await?;
        index(manager, "search_docs", "ix_search_docs_org_path", &["org_path", "id"], false).await?;

        manager
            .create_table(
                Table::create()
                    .table("search_postings")
                    .col(big_integer("doc"))
                    .col(binary_text(string_len("term", 64), b))
                    .col(binary_text(string_len("org_path", 512), b))
                    .col(big_integer("score"))
                    .primary_key(Index::create().col("doc").col("term"))
                    .to_owned(),
            )
            .await?;
        // A narrow scope: its postings of a term are one range, sorted by score afterwards.
        index(manager, "search_postings", "ix_search_postings_scope", &["term", "org_path", "score", "doc"], false)
            .await?;
        // A broad scope: the term's postings best first, filtered by path until enough.
        index(manager, "search_postings", "ix_search_postings_score", &["term", "score", "org_path", "doc"], false)
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["search_postings", "search_docs", "materials"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
