use sea_orm::entity::prelude::*;

/// A class or batch (班次、期) of a campaign.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "classes")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: Option<i64>,
    pub org_id: i64,
    pub org_path: String,
    pub title: String,
    pub institution: Option<String>,
    pub institution_kind: String,
    pub institution_org_id: Option<i64>,
    pub institution_path: Option<String>,
    pub level: String,
    pub start_on: Date,
    pub end_on: Date,
    pub capacity: i32,
    pub target_group: String,
    pub head_teacher: Option<String>,
    pub max_leave: String,
    pub checkin_before_min: i32,
    pub checkin_after_min: i32,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub completed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
