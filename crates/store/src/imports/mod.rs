//! Imports: every row checked, all rows written in one transaction or none.
//!
//! Callers parse files (xuepei-office) and validate fields (xuepei-domain); the importers
//! here resolve references within the caller's scope, find conflicts with stored data and
//! with other rows of the same file, and write. A dry run does everything but commit.

pub mod orgs;
pub mod people;
mod pg;

use std::collections::BTreeSet;

use xuepei_domain::import::RowError;

/// How many row errors a report keeps (all are counted).
pub const MAX_REPORTED_ERRORS: usize = 1000;

/// How many added and how many changed rows a report shows (all are counted).
pub const MAX_SAMPLES: usize = 200;

/// A row that is (or would be) added: its row number and who or what it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowSample {
    pub row: u64,
    pub label: String,
}

/// One field of a changed record, as shown: its label, the stored value and the new one.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

/// A row that changes (or would change) a stored record, and how.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowChange {
    pub row: u64,
    pub label: String,
    pub fields: Vec<FieldChange>,
}

/// The fields whose shown values differ, `(label, before, after)` each.
pub fn field_changes(fields: impl IntoIterator<Item = (&'static str, String, String)>) -> Vec<FieldChange> {
    fields
        .into_iter()
        .filter(|(_, b, a)| b != a)
        .map(|(f, before, after)| FieldChange { field: f.to_owned(), before, after })
        .collect()
}

/// The outcome of an import or a dry run.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
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
    /// The first [`MAX_SAMPLES`] rows added, in the order written (shown in the preview).
    #[serde(default)]
    pub added: Vec<RowSample>,
    /// The first [`MAX_SAMPLES`] rows that change a stored record, with the fields.
    #[serde(default)]
    pub changed: Vec<RowChange>,
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

    /// Notes an added row while fewer than [`MAX_SAMPLES`] are kept; the label is made
    /// only then, so a large import pays nothing for it.
    pub fn sample_added(&mut self, row: u64, label: impl FnOnce() -> String) {
        if self.added.len() < MAX_SAMPLES {
            self.added.push(RowSample { row, label: label() });
        }
    }

    /// Notes a changed row (and which fields change) while fewer than [`MAX_SAMPLES`] are kept.
    pub fn sample_changed(
        &mut self,
        row: u64,
        label: impl FnOnce() -> String,
        fields: impl FnOnce() -> Vec<FieldChange>,
    ) {
        if self.changed.len() < MAX_SAMPLES {
            self.changed.push(RowChange { row, label: label(), fields: fields() });
        }
    }

    /// Errors in row order (they are found in several passes).
    pub fn sort(&mut self) {
        self.errors.sort_by_key(|e| e.row);
        self.notices.sort_by_key(|e| e.row);
        self.added.sort_by_key(|s| s.row);
        self.changed.sort_by_key(|s| s.row);
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

/// A person as the preview names them: the name and the masked identity number.
pub(crate) fn person_label(p: &crate::people::PersonInput) -> String {
    format!("{}（{}）", p.name, xuepei_domain::idcard::mask(&p.id_number))
}

/// An organisation as the preview names it: "名称（代码）", or its id when unknown.
pub(crate) fn org_label(names: &crate::org::OrgResolver, id: i64) -> String {
    names.get(id).map_or_else(|| format!("#{id}"), |o| xuepei_domain::org::ref_text(&o.name, &o.code))
}

/// Which optional columns a file has: a column absent from the file, like an empty cell,
/// leaves the stored value alone.
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
