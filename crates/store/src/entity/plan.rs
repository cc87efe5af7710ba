use sea_orm::entity::prelude::*;

/// A batch plan of one organiser for a campaign (分期分批方案).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub title: String,
    pub params: String,
    pub input: String,
    pub proposal: String,
    pub status: String,
    pub trainees: i32,
    pub batches: i32,
    pub unplaced: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
