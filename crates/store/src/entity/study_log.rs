use sea_orm::entity::prelude::*;

/// One entry of a leader's study log (学习记录): a mode of 001 §二 or a reflection.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_logs")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub person_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub mode: String,
    pub on_date: Date,
    pub title: String,
    pub school: Option<String>,
    pub place: Option<String>,
    pub audience: Option<String>,
    pub note: Option<String>,
    pub published_in: Option<String>,
    pub published_on: Option<Date>,
    pub evidence_upload_id: Option<i64>,
    pub created_by: Option<i64>,
    pub material_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
