use sea_orm::entity::prelude::*;

/// A study group's session (集中学习研讨) with its attendance and speeches.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub held_on: Date,
    pub topic: String,
    pub thematic: bool,
    pub lead_id: i64,
    /// JSON [{person, presence, reason}].
    pub attendance: String,
    /// JSON [{person, summary}].
    pub speeches: String,
    pub notes: String,
    /// Linked materials' ids, JSON.
    pub materials: String,
    /// Members present and members expected (the attendance rate).
    pub present: i32,
    pub expected: i32,
    pub closed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
