use sea_orm::entity::prelude::*;

/// A research topic with its report (专题调研课题) or a member's annual study report (年度述学).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_reports")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub year: i32,
    pub kind: String,
    pub person_id: i64,
    pub title: String,
    pub body: String,
    pub done_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
