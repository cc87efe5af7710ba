//! Store errors. `Display` texts of the user-facing variants are Chinese and say what to do.

use sea_orm::{DbErr, SqlErr};
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

/// A unique key and what to tell the user when a write collides with it: the index name
/// (PostgreSQL and MySQL name it) and `table.column` (SQLite names the columns).
#[derive(Debug, Clone, Copy)]
pub(crate) struct UniqueKey {
    pub index: &'static str,
    pub columns: &'static str,
    pub message: &'static str,
}

/// The unique keys of every module, each declared beside the module's queries.
const UNIQUE_KEYS: &[&[UniqueKey]] = &[
    crate::org::UNIQUE_KEYS,
    crate::people::UNIQUE_KEYS,
    crate::accounts::UNIQUE_KEYS,
    crate::campaigns::UNIQUE_KEYS,
    crate::classes::UNIQUE_KEYS,
    crate::coverage::UNIQUE_KEYS,
    crate::credits::UNIQUE_KEYS,
    crate::certificates::UNIQUE_KEYS,
    crate::enrolments::UNIQUE_KEYS,
    crate::study_logs::UNIQUE_KEYS,
    crate::meetings::UNIQUE_KEYS,
    crate::study_groups::UNIQUE_KEYS,
];

/// A unique or foreign-key violation (two requests at once, or a row deleted meanwhile)
/// as a conflict the user can act on, never an internal error.
fn constraint_conflict(e: &DbErr) -> Option<String> {
    match e.sql_err()? {
        SqlErr::UniqueConstraintViolation(detail) => {
            let known = UNIQUE_KEYS
                .iter()
                .flat_map(|keys| keys.iter())
                .find(|k| detail.contains(k.index) || detail.contains(k.columns));
            Some(match known {
                Some(k) => k.message.to_owned(),
                None => "与已有数据重复（可能刚被其他用户同时提交），未保存。请刷新页面核对后再提交".to_owned(),
            })
        }
        SqlErr::ForeignKeyConstraintViolation(_) => {
            Some("所引用的数据不存在或刚被删除、修改（可能有其他用户同时操作），未保存。请刷新页面后重试".to_owned())
        }
        _ => None,
    }
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        let text = e.to_string();
        if text.contains("database is locked") || text.contains("SQLITE_BUSY") {
            StoreError::Busy
        } else if let Some(message) = constraint_conflict(&e) {
            StoreError::Conflict(message)
        } else {
            StoreError::Db(e)
        }
    }
}

impl StoreError {
    /// The refusal in words: every field's reason for `Invalid` (whose own text is only
    /// "填写内容有误"), the message otherwise.
    pub fn reasons(&self) -> String {
        match self {
            StoreError::Invalid(errs) => errs.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join("；"),
            other => other.to_string(),
        }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Invalid(vec![FieldError { field, message: message.into() }])
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
