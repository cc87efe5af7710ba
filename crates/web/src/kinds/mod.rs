//! Kinds of records that are imported and exported. A module describes its kind once — the
//! import columns with their synonyms, how a row is checked and written, the permissions,
//! the export and its filter — and registers it in [`registry`]; the import wizard, the
//! JSON API, the command line and the templates then serve it without knowing it.

pub mod credits;
pub mod enrolments;
pub mod materials;
pub mod orgs;
pub mod people;

use std::collections::HashMap;
use std::ops::Deref;
use std::path::Path;
use std::pin::Pin;

use xuepei_domain::accounts::Perm;
use xuepei_domain::import::{ImportSpec, RowView};
use xuepei_store::{DatabaseConnection, Scope};

use crate::exports::ExportError;
use crate::jobs::{Fields, ImportFailure, ImportJob, ImportOutcome, ImportSettings, Run};

/// A future a kind returns through the registry.
pub type BoxFut<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a module registers for one kind of record.
pub trait RecordKind: Send + Sync + 'static {
    /// The import columns, their synonyms and pairs; `spec().kind` is the kind's code, used
    /// in addresses and on the command line.
    fn spec(&self) -> &'static ImportSpec;
    /// What the wizard and the command line call it: "人员花名册".
    fn title(&self) -> &'static str;
    /// What its records are called in a sentence: "人员" (导入人员).
    fn noun(&self) -> &'static str;
    /// Needed to import (and to read the template and the import's pages).
    fn import_perm(&self) -> Perm;
    /// Needed to export.
    fn export_perm(&self) -> Perm;
    /// The most data rows one file may have.
    fn max_rows(&self, settings: &ImportSettings) -> u64;
    /// The choices the template lists for its enumerated columns.
    fn template_choices(&self) -> Vec<(&'static str, Vec<&'static str>)>;
    /// Where the imported records are listed.
    fn list_href(&self) -> &'static str;
    /// The JSON API's import route.
    fn api_import_path(&self) -> &'static str;
    /// The heading over row labels in the preview ("姓名").
    fn label_header(&self) -> &'static str;
    /// Who or what a row of a file is, shown beside its problems ("张三").
    fn row_label(&self, view: &RowView<'_>) -> String;
    /// Reads, checks and writes a file (usually [`crate::jobs::run_file`]).
    fn import<'a>(&'a self, run: Run<'a>, job: ImportJob) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>>;
    /// Checks and writes rows given as fields (usually [`crate::jobs::run_rows`]).
    fn import_rows<'a>(
        &'a self,
        run: Run<'a>,
        rows: Vec<Fields>,
        dry_run: bool,
    ) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>>;
    /// What an export is called: its title, its file name, its audit entry ("人员信息").
    fn export_title(&self) -> &'static str;
    /// Writes the records matching `query` — the list page's filter parameters — to `out`;
    /// returns the row count. A filter naming something outside the scope is "not found".
    fn export<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        scope: &'a Scope,
        query: &'a HashMap<String, String>,
        out: &'a Path,
    ) -> BoxFut<'a, Result<u64, ExportError>>;
    /// The query of a whole export (the command line): every record, dissolved ones too.
    fn whole_query(&self) -> HashMap<String, String> {
        HashMap::new()
    }
}

/// A registered kind: a cheap handle that reads as its [`RecordKind`].
#[derive(Clone, Copy)]
pub struct Kind(&'static dyn RecordKind);

impl Kind {
    pub const fn new(k: &'static dyn RecordKind) -> Self {
        Kind(k)
    }

    /// The kind's code (`people`, `orgs`).
    pub fn code(self) -> &'static str {
        self.0.spec().kind
    }

    /// The registered kind of a code.
    pub fn parse(code: &str) -> Option<Kind> {
        registry().iter().copied().find(|k| k.code() == code)
    }
}

/// Shorthands for the kinds of the base modules, for code that names one (benchmarks,
/// tests); everything else goes through [`registry`].
#[allow(non_upper_case_globals)]
impl Kind {
    pub const People: Kind = people::KIND;
    pub const Orgs: Kind = orgs::KIND;
}

impl Deref for Kind {
    type Target = dyn RecordKind;
    fn deref(&self) -> &Self::Target {
        self.0
    }
}

impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        self.code() == other.code()
    }
}

impl Eq for Kind {}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kind({})", self.code())
    }
}

/// Every kind, in the order pages list them. A module adds its kind here.
static REGISTRY: [Kind; 5] = [people::KIND, orgs::KIND, credits::KIND, enrolments::KIND, materials::KIND];

pub fn registry() -> &'static [Kind] {
    &REGISTRY
}

/// The registered kinds as the command line lists them: "people（人员花名册）、orgs（…）".
pub fn known() -> String {
    registry().iter().map(|k| format!("{}（{}）", k.code(), k.title())).collect::<Vec<_>>().join("、")
}

/// The kind a code names, or a Chinese message listing the known ones.
pub fn lookup(code: &str) -> Result<Kind, String> {
    Kind::parse(code).ok_or_else(|| format!("没有“{code}”这种数据类型。可用的类型：{}", known()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_every_kind_is_complete() {
        let mut codes: Vec<&str> = registry().iter().map(|k| k.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), registry().len(), "codes are unique");
        for k in registry() {
            assert_eq!(Kind::parse(k.code()), Some(*k));
            assert!(!k.title().is_empty() && !k.export_title().is_empty());
            assert!(k.api_import_path().starts_with("/api/v1/") && k.api_import_path().ends_with("/import"));
            assert!(k.spec().columns.iter().any(|c| c.required), "{}: a kind has required columns", k.code());
            crate::jobs::template(*k).expect("a template");
        }
        assert!(lookup("nothing").unwrap_err().contains("people（人员花名册）"));
    }
}
