use sea_orm::entity::prelude::*;

/// How many sessions a study group holds a year, how many of them thematic, and the least
/// attendance rate: of an issuing body, or the seeded default (no body, path "/").
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_group_rules")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: Option<i64>,
    pub org_path: String,
    pub sessions_per_year: i32,
    pub thematic_per_year: i32,
    pub attendance_min: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
