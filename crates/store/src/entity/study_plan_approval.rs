use sea_orm::entity::prelude::*;

/// The approval columns of `study_plans`: the body a plan was submitted to (fixed when it
/// is submitted) and the body that returned or approved it. `None` while never submitted
/// or decided.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "study_plans")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub approver_org_id: Option<i64>,
    pub decided_org_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
