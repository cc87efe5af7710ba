use sea_orm::entity::prelude::*;

/// A campaign's reporting duties: progress-report interval and summary deadline.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "filing_terms")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    /// The campaign's issuer.
    pub org_id: i64,
    pub org_path: String,
    pub progress_every: String,
    pub progress_days: i32,
    pub summary_deadline: Option<Date>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
