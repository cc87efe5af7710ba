use sea_orm::entity::prelude::*;

/// One term of one indexed document, with the document's path and the term's score there.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "search_postings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub doc: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub term: String,
    pub org_path: String,
    pub score: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
