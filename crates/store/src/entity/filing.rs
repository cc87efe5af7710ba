use sea_orm::entity::prelude::*;

/// One version of a plan, progress report or work summary filed upward.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "filings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub receiver_org_id: i64,
    pub receiver_path: String,
    pub kind: String,
    pub period: i32,
    pub version: i32,
    pub title: String,
    pub body: String,
    pub state: String,
    pub comments: Option<String>,
    pub first_submitted_at: Option<DateTimeUtc>,
    pub submitted_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    pub decided_by: Option<String>,
    pub superseded: bool,
    /// JSON of the figures a drafted text stated ([`crate::filings::Drafted`]).
    pub drafted_from: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
