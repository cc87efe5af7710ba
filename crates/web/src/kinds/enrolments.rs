//! Enrolments (报名名单) as a kind of record: a class number and a person's identity
//! number per row, enrolled all or nothing through the roster's rules. The export is one
//! class's roster as the scope may see it (`class`): the organiser all of it, a sending
//! organisation its own people.

use std::collections::HashMap;
use std::path::Path;

use xuepei_domain::accounts::Perm;
use xuepei_domain::import::{Column as SpecColumn, ImportSpec, RowError, RowView};
use xuepei_domain::labels::Labeled;
use xuepei_domain::validate::Fields as _;
use xuepei_office::read::Row;
use xuepei_office::write::{Cell, Column};
use xuepei_store::classes::{self, ClassFilter};
use xuepei_store::enrolment_import::{self, EnrolmentDraft};
use xuepei_store::enrolments::{self, EnrolmentFilter};
use xuepei_store::imports::{ImportReport, Present};
use xuepei_store::page::At;
use xuepei_store::{Actor, DatabaseConnection, Scope};

use super::{BoxFut, Kind, RecordKind};
use crate::exports::{ExportError, finish, write_in_background};
use crate::jobs::{self, Fields, ImportFailure, ImportJob, ImportOutcome, ImportSettings, Importer, Run, Session};
use crate::params;

/// The enrolments kind.
#[derive(Debug, Clone, Copy)]
pub struct Enrolments;

pub const KIND: Kind = Kind::new(&Enrolments);

/// The most rows one file may hold (each is enrolled on its own).
const MAX_ROWS: u64 = 20_000;

pub const ENROLMENT_IMPORT: ImportSpec = ImportSpec {
    kind: "enrolments",
    title: "报名名单",
    columns: &[
        SpecColumn {
            key: "class_id",
            label: "班次编号",
            synonyms: &["班次", "班次ID", "班级编号", "期次编号"],
            required: true,
            example: "12",
            help: "见班次详情页的“班次编号”",
        },
        SpecColumn {
            key: "id_number",
            label: "身份证号",
            synonyms: &["身份证号码", "公民身份号码", "证件号码", "身份证"],
            required: true,
            example: "430602197001010011",
            help: "须为已登记在花名册中的人员",
        },
        SpecColumn {
            key: "name",
            label: "姓名",
            synonyms: &["学员姓名", "学员", "人员姓名"],
            required: false,
            example: "张三",
            help: "填写时须与花名册一致",
        },
    ],
    pairs: &[],
};

impl RecordKind for Enrolments {
    fn spec(&self) -> &'static ImportSpec {
        &ENROLMENT_IMPORT
    }
    fn title(&self) -> &'static str {
        "报名名单"
    }
    fn noun(&self) -> &'static str {
        "报名"
    }
    fn import_perm(&self) -> Perm {
        Perm::TRAINING_EDIT
    }
    fn export_perm(&self) -> Perm {
        Perm::TRAINING_VIEW
    }
    fn max_rows(&self, _settings: &ImportSettings) -> u64 {
        MAX_ROWS
    }
    fn template_choices(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        Vec::new()
    }
    fn list_href(&self) -> &'static str {
        "/classes"
    }
    fn api_import_path(&self) -> &'static str {
        "/api/v1/enrolments/import"
    }
    fn label_header(&self) -> &'static str {
        "姓名"
    }
    fn row_label(&self, view: &RowView<'_>) -> String {
        let name = xuepei_domain::text::compact(view.get("name"));
        if name.is_empty() { xuepei_domain::idcard::mask(view.get("id_number").trim()) } else { name }
    }
    fn import<'a>(&'a self, run: Run<'a>, job: ImportJob) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>> {
        Box::pin(jobs::run_file(self, &ENROLMENT_IMPORT, run, job))
    }
    fn import_rows<'a>(
        &'a self,
        run: Run<'a>,
        rows: Vec<Fields>,
        dry_run: bool,
    ) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>> {
        Box::pin(jobs::run_rows(self, &ENROLMENT_IMPORT, run, rows, dry_run))
    }
    fn export_title(&self) -> &'static str {
        "学员名单"
    }
    fn export<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        scope: &'a Scope,
        query: &'a HashMap<String, String>,
        out: &'a Path,
    ) -> BoxFut<'a, Result<u64, ExportError>> {
        Box::pin(async move {
            let class: Option<i64> = params::num(query, "class");
            roster_xlsx(db, scope, class, out, self.export_title()).await
        })
    }
}

/// Files are checked whole: the session holds the rows until the end.
#[derive(Debug)]
pub struct EnrolmentSession {
    db: DatabaseConnection,
    scope: Scope,
    actor: Actor,
    dry_run: bool,
    valid: Vec<(u64, EnrolmentDraft)>,
    invalid: Vec<RowError>,
}

impl Importer for Enrolments {
    type Draft = EnrolmentDraft;
    type Session = EnrolmentSession;

    fn validator(&self) -> impl Fn(&RowView<'_>, &Row) -> Result<EnrolmentDraft, Vec<RowError>> + Send + 'static {
        |view, row| enrolment_import::validate_row(view).map_err(|e| jobs::row_errors(&ENROLMENT_IMPORT, row.number, e))
    }

    fn validate_fields(&self, row: u64, fields: &Fields) -> Result<EnrolmentDraft, Vec<RowError>> {
        enrolment_import::validate_row(fields).map_err(|e| jobs::row_errors(&ENROLMENT_IMPORT, row, e))
    }

    async fn begin(
        &self,
        run: Run<'_>,
        _source: &str,
        _present: Present,
        dry_run: bool,
    ) -> Result<EnrolmentSession, ImportFailure> {
        Ok(EnrolmentSession {
            db: run.db.clone(),
            scope: run.scope.clone(),
            actor: run.actor.clone(),
            dry_run,
            valid: Vec::new(),
            invalid: Vec::new(),
        })
    }
}

impl Session<EnrolmentDraft> for EnrolmentSession {
    async fn push(&mut self, row: u64, draft: EnrolmentDraft) -> Result<(), ImportFailure> {
        self.valid.push((row, draft));
        Ok(())
    }
    fn push_invalid(&mut self, errors: Vec<RowError>) -> Result<(), ImportFailure> {
        self.invalid.extend(errors);
        Ok(())
    }
    async fn finish(self) -> Result<ImportReport, ImportFailure> {
        let s = self;
        Ok(enrolment_import::import(&s.db, &s.scope, &s.actor, s.valid, s.invalid, s.dry_run).await?)
    }
}

const COLUMNS: [Column; 6] = [
    Column { header: "班次编号", width: 10.0 },
    Column { header: "身份证号", width: 22.0 },
    Column { header: "姓名", width: 10.0 },
    Column { header: "所在单位", width: 30.0 },
    Column { header: "状态", width: 10.0 },
    Column { header: "请假学时", width: 10.0 },
];

/// A class's roster as the scope may see it — or, without a class, the rosters of every
/// class the scope sees — in columns whose first three import back.
pub async fn roster_xlsx(
    db: &DatabaseConnection,
    scope: &Scope,
    class: Option<i64>,
    out: &Path,
    title: &str,
) -> Result<u64, ExportError> {
    let classes = match class {
        // Refused before the file starts when the class is not visible.
        Some(id) => vec![classes::get(db, scope, id).await?.id],
        None => {
            let mut ids = Vec::new();
            let mut after: Option<String> = None;
            loop {
                let page = classes::list(db, scope, &ClassFilter::default(), At::after(after.as_deref()), 500).await?;
                ids.extend(page.items.iter().map(|c| c.id));
                match page.next {
                    Some(n) => after = Some(n),
                    None => break,
                }
            }
            ids
        }
    };
    let (tx, handle) = write_in_background(out.to_owned(), "学员名单", title.to_owned(), &COLUMNS).await;
    'classes: for class in classes {
        let mut after: Option<String> = None;
        loop {
            let page =
                enrolments::roster(db, scope, class, &EnrolmentFilter::default(), At::after(after.as_deref()), 500)
                    .await?;
            let batch: Vec<Vec<Cell>> = page
                .items
                .into_iter()
                .map(|e| {
                    vec![
                        Cell::Number(e.class_id as f64),
                        e.id_number.into(),
                        e.name.into(),
                        e.org_name.into(),
                        e.status.label().into(),
                        Cell::Number(e.leave_hours.as_f64()),
                    ]
                })
                .collect();
            if tx.send(batch).await.is_err() {
                break 'classes;
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
    }
    finish(tx, handle).await
}
