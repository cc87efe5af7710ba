use sea_orm::entity::prelude::*;

/// A study group's annual plan or thematic plan (年度学习计划, 专题学习方案) on its route.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub group_id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub year: i32,
    pub kind: String,
    pub title: String,
    /// Topics by month, JSON.
    pub topics: String,
    pub body: String,
    pub state: String,
    /// The approving body's latest comments (on return or approval).
    pub comments: String,
    pub submitted_at: Option<DateTimeUtc>,
    pub decided_at: Option<DateTimeUtc>,
    /// The body the plan was submitted to (fixed when it is submitted).
    pub approver_org_id: Option<i64>,
    /// The body that returned or approved it.
    pub decided_org_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
