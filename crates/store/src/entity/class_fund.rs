use sea_orm::entity::prelude::*;

/// A budget or expense line of a class (经费), in fen.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "class_funds")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub class_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub stage: String,
    pub source: String,
    pub kind: String,
    pub amount_fen: i64,
    pub lecturer_title: Option<String>,
    pub hours: Option<i32>,
    pub half_days: Option<i32>,
    pub note: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
