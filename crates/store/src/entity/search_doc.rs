use sea_orm::entity::prelude::*;

/// One indexed record of the full-text search (a material, a meeting's minutes, …).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_docs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub doc_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub title: String,
    pub body: String,
    pub issued_on: Option<Date>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
