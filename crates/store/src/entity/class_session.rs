use sea_orm::entity::prelude::*;

/// One session of a class's timetable (课程安排).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "class_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub class_id: i64,
    pub on_date: Date,
    pub slot: String,
    pub starts_min: Option<i32>,
    pub ends_min: Option<i32>,
    pub topic: String,
    pub mode: String,
    pub instructor_id: Option<i64>,
    pub venue_id: Option<i64>,
    pub hours: i64,
    pub materials: Option<String>,
    pub checkin_secret: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
