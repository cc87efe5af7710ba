//! Store errors. `Display` texts of the user-facing variants are Chinese and say what to do.

use sea_orm::DbErr;
use xuepei_domain::validate::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Absent, or outside the caller's scope: the two are deliberately indistinguishable.
    #[error("{0}不存在或不在您的管理范围内")]
    NotFound(&'static str),
    /// The request conflicts with existing data; the message says how.
    #[error("{0}")]
    Conflict(String),
    /// Field validation failed.
    #[error("填写内容有误")]
    Invalid(Vec<FieldError>),
    /// The caller's role or scope does not allow this.
    #[error("{0}")]
    Forbidden(String),
    /// SQLite is held by a long write (an import): retry shortly.
    #[error("系统正忙（可能正在导入数据），请稍后再试")]
    Busy,
    #[error("数据库错误：{0}")]
    Db(DbErr),
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        let text = e.to_string();
        if text.contains("database is locked") || text.contains("SQLITE_BUSY") {
            StoreError::Busy
        } else {
            StoreError::Db(e)
        }
    }
}

impl StoreError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Invalid(vec![FieldError { field, message: message.into() }])
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
