//! People (人员花名册) as a kind of record: the roster import, streamed and written in
//! batches, and the export with the list page's filters.

use std::collections::HashMap;
use std::path::Path;

use xuepei_domain::accounts::Perm;
use xuepei_domain::import::{ImportSpec, RowError, RowView};
use xuepei_domain::labels::Labeled;
use xuepei_domain::people::{Gender, PERSON_IMPORT, PersonDraft, RankLevel, validate_person};
use xuepei_domain::phone;
use xuepei_domain::validate::Fields as _;
use xuepei_office::read::Row;
use xuepei_office::write::{Cell, Column};
use xuepei_store::imports::{ImportReport, Present, people as importer};
use xuepei_store::page::At;
use xuepei_store::people::{self as repo, PersonFilter, PersonSort};
use xuepei_store::{DatabaseConnection, Scope, org};

use super::{BoxFut, Kind, RecordKind};
use crate::exports::{ExportError, finish, org_names, write_in_background};
use crate::jobs::{self, Fields, ImportFailure, ImportJob, ImportOutcome, ImportSettings, Importer, Run, Session};
use crate::params::{self, Params};

/// The people kind.
#[derive(Debug, Clone, Copy)]
pub struct People;

pub const KIND: Kind = Kind::new(&People);

/// The people matching a list page's (or an export's) query parameters.
pub fn filter(p: &Params) -> PersonFilter {
    PersonFilter {
        q: params::text(p, "q").map(str::to_owned),
        sector: params::labeled(p, "sector"),
        role: params::labeled(p, "role"),
        rank_level: params::labeled(p, "rank"),
        under: params::num(p, "under"),
        direct: params::num(p, "direct"),
    }
}

impl RecordKind for People {
    fn spec(&self) -> &'static ImportSpec {
        &PERSON_IMPORT
    }
    fn title(&self) -> &'static str {
        "人员花名册"
    }
    fn noun(&self) -> &'static str {
        "人员"
    }
    fn import_perm(&self) -> Perm {
        Perm::PEOPLE_EDIT
    }
    fn export_perm(&self) -> Perm {
        Perm::PEOPLE_EDIT
    }
    fn max_rows(&self, settings: &ImportSettings) -> u64 {
        settings.people_rows
    }
    fn template_choices(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![("gender", labels::<Gender>()), ("rank_level", labels::<RankLevel>())]
    }
    fn list_href(&self) -> &'static str {
        "/people"
    }
    fn api_import_path(&self) -> &'static str {
        "/api/v1/people/import"
    }
    fn label_header(&self) -> &'static str {
        "姓名"
    }
    fn row_label(&self, view: &RowView<'_>) -> String {
        xuepei_domain::text::compact(view.get("name"))
    }
    fn import<'a>(&'a self, run: Run<'a>, job: ImportJob) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>> {
        Box::pin(jobs::run_file(self, &PERSON_IMPORT, run, job))
    }
    fn import_rows<'a>(
        &'a self,
        run: Run<'a>,
        rows: Vec<Fields>,
        dry_run: bool,
    ) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>> {
        Box::pin(jobs::run_rows(self, &PERSON_IMPORT, run, rows, dry_run))
    }
    fn export_title(&self) -> &'static str {
        "人员信息"
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
            people_xlsx(db, scope, &f, out, self.export_title()).await
        })
    }
}

fn labels<T: Labeled>() -> Vec<&'static str> {
    T::ALL.iter().map(|v| v.label()).collect()
}

/// An identity number typed into a numeric Excel cell has lost its last digits; say so
/// rather than report a wrong check digit.
fn lossy_id_error(spec: &ImportSpec, view: &RowView<'_>, row: &Row) -> Option<RowError> {
    let pos = view.map.position(spec, "id_number")?;
    row.lossy.contains(&pos).then(|| RowError {
        row: row.number,
        column: Some(spec.label("id_number").to_owned()),
        message: "该单元格是数字格式，Excel只保留15位有效数字，后几位已丢失。请把该列设为“文本”格式后重新填写身份证号"
            .into(),
    })
}

impl Importer for People {
    type Draft = PersonDraft;
    type Session = importer::PeopleImport;

    fn validator(&self) -> impl Fn(&RowView<'_>, &Row) -> Result<PersonDraft, Vec<RowError>> + Send + 'static {
        let spec = &PERSON_IMPORT;
        let today = importer::today_in_china();
        move |view, row| {
            if let Some(e) = lossy_id_error(spec, view, row) {
                return Err(vec![e]);
            }
            validate_person(view, today).map_err(|e| jobs::row_errors(spec, row.number, e))
        }
    }

    fn validate_fields(&self, row: u64, fields: &Fields) -> Result<PersonDraft, Vec<RowError>> {
        validate_person(fields, importer::today_in_china()).map_err(|e| jobs::row_errors(&PERSON_IMPORT, row, e))
    }

    async fn begin(
        &self,
        run: Run<'_>,
        source: &str,
        present: Present,
        dry_run: bool,
    ) -> Result<importer::PeopleImport, ImportFailure> {
        Ok(importer::PeopleImport::begin(run.db, run.scope.clone(), run.actor, source, present, dry_run).await?)
    }
}

/// The store's streaming importer is the session as it is.
impl Session<PersonDraft> for importer::PeopleImport {
    async fn push(&mut self, row: u64, draft: PersonDraft) -> Result<(), ImportFailure> {
        Ok(importer::PeopleImport::push(self, row, draft).await?)
    }
    fn push_invalid(&mut self, errors: Vec<RowError>) -> Result<(), ImportFailure> {
        importer::PeopleImport::push_invalid(self, errors);
        Ok(())
    }
    async fn finish(self) -> Result<ImportReport, ImportFailure> {
        Ok(importer::PeopleImport::finish(self).await?)
    }
}

const COLUMNS: [Column; 17] = [
    Column { header: "姓名", width: 10.0 },
    Column { header: "身份证号", width: 22.0 },
    Column { header: "性别", width: 6.0 },
    Column { header: "出生日期", width: 12.0 },
    Column { header: "民族", width: 8.0 },
    Column { header: "籍贯", width: 12.0 },
    Column { header: "联系电话", width: 15.0 },
    Column { header: "入党时间", width: 12.0 },
    Column { header: "参加工作时间", width: 12.0 },
    Column { header: "学历", width: 10.0 },
    Column { header: "学位", width: 8.0 },
    Column { header: "职务", width: 24.0 },
    Column { header: "任现职时间", width: 12.0 },
    Column { header: "职级", width: 9.0 },
    Column { header: "班子职务", width: 16.0 },
    Column { header: "所在党组织", width: 48.0 },
    Column { header: "干部管理单位", width: 30.0 },
];

/// Exports the people matching `filter` to an `.xlsx` file; returns the row count.
pub async fn people_xlsx(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &PersonFilter,
    out: &Path,
    title: &str,
) -> Result<u64, ExportError> {
    let names = org_names(db, scope).await?;
    let (tx, handle) = write_in_background(out.to_owned(), "人员", title.to_owned(), &COLUMNS).await;
    let mut after: Option<String> = None;
    loop {
        let page = repo::list(db, scope, filter, PersonSort::Org, At::after(after.as_deref()), 2000).await?;
        let batch = page
            .items
            .into_iter()
            .map(|r| {
                let p = r.person;
                vec![
                    p.name.into(),
                    p.id_number.into(),
                    p.gender.label().into(),
                    p.birth_date.into(),
                    p.profile.ethnicity.into(),
                    p.profile.native_place.into(),
                    p.phone.map(|ph| phone::display(&ph)).into(),
                    p.party_joined_on.into(),
                    p.profile.work_started_on.into(),
                    p.profile.education.into(),
                    p.profile.degree.into(),
                    p.position.into(),
                    p.profile.position_since.into(),
                    p.rank_level.map(|r| r.label()).into(),
                    p.roles.labels().into(),
                    names.get(&p.org_id).cloned().into(),
                    p.managing_org_id.and_then(|m| names.get(&m).cloned()).into(),
                ]
            })
            .collect::<Vec<Vec<Cell>>>();
        if tx.send(batch).await.is_err() {
            break;
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    finish(tx, handle).await
}
