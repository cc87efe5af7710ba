use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organizations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub code: String,
    pub name: String,
    pub short_name: Option<String>,
    pub kind: String,
    pub sector: String,
    pub parent_id: Option<i64>,
    pub path: String,
    pub depth: i32,
    pub authority_org_id: Option<i64>,
    pub active: bool,
    /// People attached directly.
    pub person_count: i64,
    /// People in the whole subtree, this organisation included.
    pub subtree_people: i64,
    /// Organisations in the whole subtree, this one included.
    pub subtree_orgs: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
