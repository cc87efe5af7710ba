//! Organisations (党组织和单位) as a kind of record: the import, checked as a whole file
//! (references between rows, cycles) and written parents first, and the export.

use std::collections::HashMap;
use std::path::Path;

use xuepei_domain::accounts::Perm;
use xuepei_domain::import::{ImportSpec, RowError, RowView};
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::{ORG_IMPORT, OrgDraft, OrgKind, Sector, ref_text, validate_org};
use xuepei_domain::validate::Fields as _;
use xuepei_office::read::Row;
use xuepei_office::write::{Cell, Column};
use xuepei_store::imports::{ImportReport, Present, orgs as importer};
use xuepei_store::org::{self, OrgFilter};
use xuepei_store::{Actor, DatabaseConnection, Scope};

use super::{BoxFut, Kind, RecordKind};
use crate::exports::{ExportError, finish, org_names, write_in_background};
use crate::jobs::{self, Fields, ImportFailure, ImportJob, ImportOutcome, ImportSettings, Importer, Run, Session};
use crate::params::{self, Params};

/// The organisations kind.
#[derive(Debug, Clone, Copy)]
pub struct Orgs;

pub const KIND: Kind = Kind::new(&Orgs);

/// The organisations matching a list page's (or an export's) query parameters.
pub fn filter(p: &Params) -> OrgFilter {
    OrgFilter {
        q: params::text(p, "q").map(str::to_owned),
        sector: params::labeled(p, "sector"),
        kind: params::labeled(p, "kind"),
        under: params::num(p, "under"),
        include_inactive: params::flag(p, "inactive"),
    }
}

impl RecordKind for Orgs {
    fn spec(&self) -> &'static ImportSpec {
        &ORG_IMPORT
    }
    fn title(&self) -> &'static str {
        "党组织和单位"
    }
    fn noun(&self) -> &'static str {
        "组织"
    }
    fn import_perm(&self) -> Perm {
        Perm::ORGS_EDIT
    }
    fn export_perm(&self) -> Perm {
        Perm::ORGS_EDIT
    }
    fn max_rows(&self, settings: &ImportSettings) -> u64 {
        settings.org_rows
    }
    fn template_choices(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![("kind", labels::<OrgKind>()), ("sector", labels::<Sector>())]
    }
    fn list_href(&self) -> &'static str {
        "/orgs"
    }
    fn api_import_path(&self) -> &'static str {
        "/api/v1/orgs/import"
    }
    fn label_header(&self) -> &'static str {
        "组织"
    }
    fn row_label(&self, view: &RowView<'_>) -> String {
        let (name, code) = (view.get("name"), view.get("code"));
        if code.is_empty() { name.to_owned() } else { ref_text(name, code) }
    }
    fn import<'a>(&'a self, run: Run<'a>, job: ImportJob) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>> {
        Box::pin(jobs::run_file(self, &ORG_IMPORT, run, job))
    }
    fn import_rows<'a>(
        &'a self,
        run: Run<'a>,
        rows: Vec<Fields>,
        dry_run: bool,
    ) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>> {
        Box::pin(jobs::run_rows(self, &ORG_IMPORT, run, rows, dry_run))
    }
    fn export_title(&self) -> &'static str {
        "组织机构"
    }
    fn export<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        scope: &'a Scope,
        query: &'a HashMap<String, String>,
        out: &'a Path,
    ) -> BoxFut<'a, Result<u64, ExportError>> {
        Box::pin(async move {
            let f = filter(query);
            if let Some(id) = f.under {
                org::get(db, scope, id).await?;
            }
            orgs_xlsx(db, scope, &f, out, self.export_title()).await
        })
    }
    fn whole_query(&self) -> HashMap<String, String> {
        HashMap::from([("inactive".to_owned(), "1".to_owned())])
    }
}

fn labels<T: Labeled>() -> Vec<&'static str> {
    T::ALL.iter().map(|v| v.label()).collect()
}

/// Organisation files are checked whole: the session holds the rows until the end.
#[derive(Debug)]
pub struct OrgSession {
    db: DatabaseConnection,
    scope: Scope,
    actor: Actor,
    present: Present,
    dry_run: bool,
    valid: Vec<(u64, OrgDraft)>,
    invalid: Vec<RowError>,
}

impl Importer for Orgs {
    type Draft = OrgDraft;
    type Session = OrgSession;

    fn validator(&self) -> impl Fn(&RowView<'_>, &Row) -> Result<OrgDraft, Vec<RowError>> + Send + 'static {
        |view, row| validate_org(view).map_err(|e| jobs::row_errors(&ORG_IMPORT, row.number, e))
    }

    fn validate_fields(&self, row: u64, fields: &Fields) -> Result<OrgDraft, Vec<RowError>> {
        validate_org(fields).map_err(|e| jobs::row_errors(&ORG_IMPORT, row, e))
    }

    async fn begin(
        &self,
        run: Run<'_>,
        _source: &str,
        present: Present,
        dry_run: bool,
    ) -> Result<OrgSession, ImportFailure> {
        Ok(OrgSession {
            db: run.db.clone(),
            scope: run.scope.clone(),
            actor: run.actor.clone(),
            present,
            dry_run,
            valid: Vec::new(),
            invalid: Vec::new(),
        })
    }
}

impl Session<OrgDraft> for OrgSession {
    async fn push(&mut self, row: u64, draft: OrgDraft) -> Result<(), ImportFailure> {
        self.valid.push((row, draft));
        Ok(())
    }
    fn push_invalid(&mut self, errors: Vec<RowError>) -> Result<(), ImportFailure> {
        self.invalid.extend(errors);
        Ok(())
    }
    async fn finish(self) -> Result<ImportReport, ImportFailure> {
        let s = self;
        Ok(importer::import(&s.db, &s.scope, &s.actor, s.valid, s.invalid, &s.present, s.dry_run).await?)
    }
}

const COLUMNS: [Column; 9] = [
    Column { header: "组织代码", width: 16.0 },
    Column { header: "组织名称", width: 44.0 },
    Column { header: "简称", width: 16.0 },
    Column { header: "上级组织", width: 44.0 },
    Column { header: "组织类别", width: 12.0 },
    Column { header: "所属领域", width: 14.0 },
    Column { header: "干部管理单位", width: 30.0 },
    Column { header: "状态", width: 8.0 },
    Column { header: "直属人员数", width: 10.0 },
];

/// Exports the organisations matching `filter`.
pub async fn orgs_xlsx(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &OrgFilter,
    out: &Path,
    title: &str,
) -> Result<u64, ExportError> {
    let names = org_names(db, scope).await?;
    let all = org::all(db, scope, filter).await?;
    let (tx, handle) = write_in_background(out.to_owned(), "组织", title.to_owned(), &COLUMNS).await;
    for chunk in all.chunks(2000) {
        let batch = chunk
            .iter()
            .map(|o| {
                vec![
                    o.code.clone().into(),
                    o.name.clone().into(),
                    o.short_name.clone().into(),
                    o.parent_id.and_then(|p| names.get(&p).cloned()).into(),
                    o.kind.label().into(),
                    o.sector.label().into(),
                    o.authority_org_id.and_then(|a| names.get(&a).cloned()).into(),
                    (if o.active { "正常" } else { "已撤销" }).into(),
                    o.person_count.into(),
                ]
            })
            .collect::<Vec<Vec<Cell>>>();
        if tx.send(batch).await.is_err() {
            break;
        }
    }
    finish(tx, handle).await
}
