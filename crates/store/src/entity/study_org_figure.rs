use sea_orm::entity::prelude::*;

/// An organisation's oversight figures of a month (month 0: the year), kept by
/// `study_figures` as meetings and sessions are written.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_org_figures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub year: i32,
    pub month: i32,
    pub meetings: i64,
    pub compliant: i64,
    pub sessions: i64,
    pub thematic: i64,
    pub present: i64,
    pub expected: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
