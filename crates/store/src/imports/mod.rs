//! Imports: every row checked, all rows written in one transaction or none.
//!
//! Callers parse files (xuepei-office) and validate fields (xuepei-domain); the importers
//! here resolve references within the caller's scope, find conflicts with stored data and
//! with other rows of the same file, and write. A dry run does everything but commit.

pub mod orgs;
pub mod people;

use std::collections::BTreeSet;

use xuepei_domain::import::RowError;

/// How many row errors a report keeps (all are counted).
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// The outcome of an import or a dry run.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// Data rows read (blank rows excluded).
    pub rows: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    /// The first [`MAX_REPORTED_ERRORS`] problems, in row order.
    pub errors: Vec<RowError>,
    pub error_count: u64,
    /// Things done that the user should know of (a 15-digit number converted, …).
    pub notices: Vec<RowError>,
    pub notice_count: u64,
    pub dry_run: bool,
    /// The rows were written.
    pub committed: bool,
}

impl ImportReport {
    pub fn add_error(&mut self, e: RowError) {
        self.error_count += 1;
        if self.errors.len() < MAX_REPORTED_ERRORS {
            self.errors.push(e);
        }
    }

    pub fn add_notice(&mut self, e: RowError) {
        self.notice_count += 1;
        if self.notices.len() < MAX_REPORTED_ERRORS {
            self.notices.push(e);
        }
    }

    pub fn is_ok(&self) -> bool {
        self.error_count == 0
    }

    /// Errors in row order (they are found in several passes).
    pub fn sort(&mut self) {
        self.errors.sort_by_key(|e| e.row);
        self.notices.sort_by_key(|e| e.row);
    }

    /// One line in Chinese: what happened, or what would happen.
    pub fn summary(&self) -> String {
        if self.error_count > 0 {
            return format!(
                "共{}行，发现{}处错误，未导入任何数据。请按提示修改后重新导入。",
                self.rows, self.error_count
            );
        }
        let verb = if self.committed { "已" } else { "将" };
        let mut s = format!(
            "共{}行：{verb}新增{}条，{verb}更新{}条，{}条与现有数据相同未作改动。",
            self.rows, self.inserted, self.updated, self.unchanged
        );
        if self.inserted == 0 && self.updated == 0 && self.rows > 0 {
            s.push_str("（重复导入，数据没有变化）");
        }
        if self.dry_run {
            s.push_str("（预检，未写入）");
        }
        s
    }
}

/// Which optional columns a file has: a column absent from the file leaves the stored
/// value alone, while an empty cell in a present column clears it.
#[derive(Debug, Clone, Default)]
pub struct Present(pub BTreeSet<&'static str>);

impl Present {
    pub fn all(keys: impl IntoIterator<Item = &'static str>) -> Self {
        Present(keys.into_iter().collect())
    }
    pub fn has(&self, key: &str) -> bool {
        self.0.contains(key)
    }
}
