use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_throttle")]
pub struct Model {
    /// `ip:<address>` or `user:<name>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub window_start: DateTimeUtc,
    pub failures: i32,
    /// The pause that began in this window is on the audit trail.
    pub noted: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
