use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "persons")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub gender: String,
    pub birth_date: Date,
    pub id_number: String,
    pub phone: Option<String>,
    pub party_joined_on: Option<Date>,
    pub position: Option<String>,
    pub rank_level: Option<String>,
    pub roles: i32,
    pub org_id: i64,
    /// Copy of the organisation's path, so that a subtree's people are one index range.
    pub org_path: String,
    /// Copy of the organisation's sector, so that sector filters need no join.
    pub org_sector: String,
    pub managing_org_id: Option<i64>,
    pub ethnicity: Option<String>,
    pub native_place: Option<String>,
    pub education: Option<String>,
    pub degree: Option<String>,
    pub work_started_on: Option<Date>,
    pub position_since: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::organization::Entity",
        from = "Column::OrgId",
        to = "super::organization::Column::Id"
    )]
    Organization,
}

impl ActiveModelBehavior for ActiveModel {}
