use sea_orm::entity::prelude::*;

/// A work measure a meeting's study produced (学习成果转化), with its owner and follow-up.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meeting_measures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub meeting_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub content: String,
    pub owner_id: i64,
    pub status: String,
    pub due_on: Option<Date>,
    pub done_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
