use sea_orm::entity::prelude::*;

/// A certificate as issued: what it printed and whether it still stands.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "certificates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub kind: String,
    pub org_id: i64,
    pub org_path: String,
    pub person_id: i64,
    pub class_id: Option<i64>,
    pub year: Option<i32>,
    pub name: String,
    pub title: String,
    pub period: String,
    pub hours: i64,
    pub issuer: String,
    pub issued_on: Date,
    pub revoked_on: Option<Date>,
    pub revoke_reason: Option<String>,
    pub standing_person_id: Option<i64>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
