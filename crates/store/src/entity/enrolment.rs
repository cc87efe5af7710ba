use sea_orm::entity::prelude::*;

/// A person in a class (学员).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "enrolments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub class_id: i64,
    pub person_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub status: String,
    pub waitlist_seq: Option<i64>,
    pub leave_hours: i64,
    pub reason: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
