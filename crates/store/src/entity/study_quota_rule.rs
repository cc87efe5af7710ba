use sea_orm::entity::prelude::*;

/// A quota rule of the study log, of an issuing body (or a seeded default: no body, path "/").
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_quota_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: Option<i64>,
    pub org_path: String,
    pub mode: String,
    pub period: String,
    pub required: i32,
    pub subject: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
