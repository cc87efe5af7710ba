use sea_orm::entity::prelude::*;

/// A meeting of a party committee, leading party group or working committee (党委（党组）会议)
/// with its agenda; the first item's compliance is kept as a column for the oversight views.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "meetings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub kind: String,
    pub held_on: Date,
    pub chair_id: i64,
    /// Whether the first agenda item is theory study (第一议题).
    pub compliant: bool,
    /// The first item's source category when it is theory study.
    pub study_source: Option<String>,
    /// The ordered agenda items, JSON (see `meetings::Item`).
    pub agenda: String,
    /// Attendance of the body's members, JSON (see `meetings::Attendance`).
    pub attendance: String,
    pub archived_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
