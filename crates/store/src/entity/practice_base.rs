use sea_orm::entity::prelude::*;

/// A practice base (示范培训实践基地): its application, 五有 evidence and standing.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "practice_bases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub county_org_id: i64,
    pub county_path: String,
    pub name: String,
    pub kind: String,
    pub year: i32,
    pub address: String,
    pub contact: String,
    pub phone: String,
    pub summary: String,
    pub venue: String,
    pub guide: String,
    pub material: String,
    pub site: String,
    pub film: String,
    pub state: String,
    pub comments: Option<String>,
    pub county_on: Option<Date>,
    pub city_on: Option<Date>,
    pub reviewed_on: Option<Date>,
    pub review_note: Option<String>,
    pub venue_id: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
