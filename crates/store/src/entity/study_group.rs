use sea_orm::entity::prelude::*;

/// A central study group (理论学习中心组) of a committee, its members as JSON.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub name: String,
    /// The body its plans are submitted to (the group's organisation or one above it).
    pub approver_org_id: i64,
    /// Members and attendees without membership, JSON (see `study_groups::Member`).
    pub members: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
