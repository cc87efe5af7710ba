use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "uploads")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub filename: String,
    pub content: Vec<u8>,
    pub size: i64,
    /// The uploader's scope; only callers whose scope contains it may use the file.
    pub scope_path: String,
    /// The account that uploaded it; only that account may use it.
    pub owner_account_id: Option<i64>,
    pub created_at: DateTimeUtc,
    /// The last outcome (JSON): the preview's, then the import's.
    pub outcome: Option<String>,
    /// When the import was written; the content is dropped then, the outcome kept.
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
