//! Coverage of rotational-training campaigns, kept as maintained aggregates (覆盖情况).
//!
//! `coverage_counts` holds, per campaign and organisation, the counts of that
//! organisation's *own* people (like `organizations.person_count`): the campaign's target
//! population (`quota = -1`) and, for each quota of the campaign's rules (`quota = i`, its
//! position in `rules.quotas`), the quota's group. A subtree's figures are one index range
//! summed over `(campaign_id, org_path)` — the counts are in the index, so the sum reads
//! the index alone. The path copy is registered in `paths`.
//!
//! `coverage_campaigns` records when a campaign's counts were last rebuilt from the roster
//! and the fingerprints of the roster and of the campaign's enrolments then, so that a
//! changed roster, campaign or enrolment that no writer reported is rebuilt.

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
                    .table("coverage_counts")
                    .col(big_pk_auto("id"))
                    .col(big_integer("campaign_id"))
                    .col(big_integer("org_id"))
                    .col(binary_text(string_len("org_path", 512), b))
                    // -1: the campaign's target; i ≥ 0: the group of quota i.
                    .col(integer("quota"))
                    .col(big_integer("target").default(0))
                    .col(big_integer("planned").default(0))
                    .col(big_integer("enrolled").default(0))
                    .col(big_integer("trained").default(0))
                    .foreign_key(ForeignKey::create().from("coverage_counts", "campaign_id").to("campaigns", "id"))
                    .foreign_key(ForeignKey::create().from("coverage_counts", "org_id").to("organizations", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "coverage_counts", "ux_coverage_counts", &["campaign_id", "org_id", "quota"], true).await?;
        index(
            manager,
            "coverage_counts",
            "ix_coverage_counts_range",
            &["campaign_id", "org_path", "quota", "target", "planned", "enrolled", "trained"],
            false,
        )
        .await?;
        index(manager, "coverage_counts", "ix_coverage_counts_org_path", &["org_path", "id"], false).await?;
        manager
            .create_table(
                Table::create()
                    .table("coverage_campaigns")
                    .col(big_pk_auto("id"))
                    .col(big_integer("campaign_id"))
                    .col(instant("refreshed_at", b, false))
                    .col(big_integer("roster_people"))
                    .col(big_integer("roster_max_id"))
                    // The campaign's enrolments then: how many, the highest id and a sum
                    // weighted by status, so that a change nobody reported is noticed.
                    .col(big_integer("enrol_count").default(0))
                    .col(big_integer("enrol_max_id").default(0))
                    .col(big_integer("enrol_sum").default(0))
                    .foreign_key(ForeignKey::create().from("coverage_campaigns", "campaign_id").to("campaigns", "id"))
                    .to_owned(),
            )
            .await?;
        index(manager, "coverage_campaigns", "ux_coverage_campaigns", &["campaign_id"], true).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for t in ["coverage_campaigns", "coverage_counts"] {
            manager.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
