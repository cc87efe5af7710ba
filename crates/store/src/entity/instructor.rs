use sea_orm::entity::prelude::*;

/// A teacher of the instructor pool (师资库).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "instructors")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub name: String,
    pub kind: String,
    pub title: Option<String>,
    pub unit: Option<String>,
    pub phone: Option<String>,
    pub person_id: Option<i64>,
    pub topics: Option<String>,
    pub active: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
