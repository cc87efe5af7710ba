use sea_orm::entity::prelude::*;

/// A credit-hour record of a person's training file (学时记录).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "credit_records")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub person_id: i64,
    pub on_date: Date,
    pub hours: i64,
    pub source: String,
    pub class_id: Option<i64>,
    pub title: String,
    pub provider: Option<String>,
    pub external_ref: Option<String>,
    pub status: String,
    pub evidence_upload_id: Option<i64>,
    pub reviewed_by: Option<i64>,
    pub reviewed_at: Option<DateTimeUtc>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
