use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub issuer_org_id: i64,
    /// The issuing organisation's path.
    pub org_path: String,
    pub doc_number: Option<String>,
    pub title: String,
    pub kind: String,
    pub start_on: Date,
    pub end_on: Date,
    pub plan_deadline: Option<Date>,
    pub target: String,
    pub rules: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
