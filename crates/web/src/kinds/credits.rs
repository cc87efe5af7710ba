//! Credit-hour records (学时记录) as a kind of record: records of other platforms — the
//! provincial online college's export among them — imported all or nothing, people named
//! by identity number; minutes of online study are converted by the online-course rule.
//! The export lists the records of one person (`person`) or of the scope's people.

use std::collections::HashMap;
use std::path::Path;

use xuepei_domain::accounts::Perm;
use xuepei_domain::import::{Column as SpecColumn, ImportSpec, RowError, RowView};
use xuepei_domain::training::rules::OnlineCreditRule;
use xuepei_domain::validate::Fields as _;
use xuepei_office::read::Row;
use xuepei_office::write::{Cell, Column};
use xuepei_store::credits::{self, CreditDraft};
use xuepei_store::imports::{ImportReport, Present};
use xuepei_store::{Actor, DatabaseConnection, Scope};

use super::{BoxFut, Kind, RecordKind};
use crate::exports::{ExportError, finish, write_in_background};
use crate::jobs::{self, Fields, ImportFailure, ImportJob, ImportOutcome, ImportSettings, Importer, Run, Session};
use crate::params;

/// The credit records kind.
#[derive(Debug, Clone, Copy)]
pub struct Credits;

pub const KIND: Kind = Kind::new(&Credits);

/// The most rows one file may hold.
const MAX_ROWS: u64 = 200_000;

pub const CREDIT_IMPORT: ImportSpec = ImportSpec {
    kind: "credits",
    title: "学时记录",
    columns: &[
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
        SpecColumn {
            key: "title",
            label: "培训名称",
            synonyms: &["课程名称", "课程", "班次名称", "培训项目", "培训班名称", "学习内容"],
            required: true,
            example: "学习贯彻党的二十大精神专题网络培训",
            help: "",
        },
        SpecColumn {
            key: "date",
            label: "培训日期",
            synonyms: &["完成日期", "完成时间", "学习日期", "结业日期", "日期", "学习时间"],
            required: true,
            example: "2026-03-15",
            help: "不能晚于今天",
        },
        SpecColumn {
            key: "hours",
            label: "学时",
            synonyms: &["获得学时", "学时数", "认定学时", "折算学时", "学分"],
            required: false,
            example: "1.5",
            help: "大于0，最多两位小数；一天合计不超过24学时。不填时按“学习时长（分钟）”折算",
        },
        SpecColumn {
            key: "minutes",
            label: "学习时长（分钟）",
            synonyms: &["学习时长", "时长", "观看时长", "学习时长分钟"],
            required: false,
            example: "",
            help: "网络课程：30分钟及以上计1学时，15至29分钟计0.5学时，不足15分钟计0.25学时",
        },
        SpecColumn {
            key: "provider",
            label: "培训机构/平台",
            synonyms: &["培训机构", "培训平台", "平台", "来源平台", "主办单位", "培训单位", "学习平台"],
            required: true,
            example: "湖南省干部网络学院",
            help: "",
        },
        SpecColumn {
            key: "external_ref",
            label: "记录编号",
            synonyms: &["编号", "记录号", "学习记录编号", "流水号", "记录ID"],
            required: false,
            example: "HNGB-2026-000123",
            help: "平台上的记录编号；同一人员、平台和编号再次导入时不会重复",
        },
    ],
    pairs: &[],
};

impl RecordKind for Credits {
    fn spec(&self) -> &'static ImportSpec {
        &CREDIT_IMPORT
    }
    fn title(&self) -> &'static str {
        "学时记录"
    }
    fn noun(&self) -> &'static str {
        "学时记录"
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
        "/credits/behind"
    }
    fn api_import_path(&self) -> &'static str {
        "/api/v1/credits/import"
    }
    fn label_header(&self) -> &'static str {
        "姓名"
    }
    fn row_label(&self, view: &RowView<'_>) -> String {
        let name = xuepei_domain::text::compact(view.get("name"));
        if name.is_empty() { xuepei_domain::idcard::mask(view.get("id_number").trim()) } else { name }
    }
    fn import<'a>(&'a self, run: Run<'a>, job: ImportJob) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>> {
        Box::pin(jobs::run_file(self, &CREDIT_IMPORT, run, job))
    }
    fn import_rows<'a>(
        &'a self,
        run: Run<'a>,
        rows: Vec<Fields>,
        dry_run: bool,
    ) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>> {
        Box::pin(jobs::run_rows(self, &CREDIT_IMPORT, run, rows, dry_run))
    }
    fn export_title(&self) -> &'static str {
        "学时记录"
    }
    fn export<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        scope: &'a Scope,
        query: &'a HashMap<String, String>,
        out: &'a Path,
    ) -> BoxFut<'a, Result<u64, ExportError>> {
        Box::pin(async move {
            let person: Option<i64> = params::num(query, "person");
            credits_xlsx(db, scope, person, out, self.export_title()).await
        })
    }
}

/// Files are checked whole: the session holds the rows until the end.
#[derive(Debug)]
pub struct CreditSession {
    db: DatabaseConnection,
    scope: Scope,
    actor: Actor,
    dry_run: bool,
    valid: Vec<(u64, CreditDraft)>,
    invalid: Vec<RowError>,
}

impl Importer for Credits {
    type Draft = CreditDraft;
    type Session = CreditSession;

    fn validator(&self) -> impl Fn(&RowView<'_>, &Row) -> Result<CreditDraft, Vec<RowError>> + Send + 'static {
        let online = OnlineCreditRule::default();
        move |view, row| {
            credits::validate_row(view, &online).map_err(|e| jobs::row_errors(&CREDIT_IMPORT, row.number, e))
        }
    }

    fn validate_fields(&self, row: u64, fields: &Fields) -> Result<CreditDraft, Vec<RowError>> {
        credits::validate_row(fields, &OnlineCreditRule::default())
            .map_err(|e| jobs::row_errors(&CREDIT_IMPORT, row, e))
    }

    async fn begin(
        &self,
        run: Run<'_>,
        _source: &str,
        _present: Present,
        dry_run: bool,
    ) -> Result<CreditSession, ImportFailure> {
        Ok(CreditSession {
            db: run.db.clone(),
            scope: run.scope.clone(),
            actor: run.actor.clone(),
            dry_run,
            valid: Vec::new(),
            invalid: Vec::new(),
        })
    }
}

impl Session<CreditDraft> for CreditSession {
    async fn push(&mut self, row: u64, draft: CreditDraft) -> Result<(), ImportFailure> {
        self.valid.push((row, draft));
        Ok(())
    }
    fn push_invalid(&mut self, errors: Vec<RowError>) -> Result<(), ImportFailure> {
        self.invalid.extend(errors);
        Ok(())
    }
    async fn finish(self) -> Result<ImportReport, ImportFailure> {
        let s = self;
        Ok(credits::import(&s.db, &s.scope, &s.actor, s.valid, s.invalid, s.dry_run).await?)
    }
}

const COLUMNS: [Column; 9] = [
    Column { header: "姓名", width: 10.0 },
    Column { header: "身份证号", width: 22.0 },
    Column { header: "培训名称", width: 40.0 },
    Column { header: "培训日期", width: 12.0 },
    Column { header: "学时", width: 8.0 },
    Column { header: "来源", width: 14.0 },
    Column { header: "培训机构/平台", width: 24.0 },
    Column { header: "记录编号", width: 20.0 },
    Column { header: "状态", width: 8.0 },
];

/// Exports the records of one person, or of every person of the scope (tree order).
pub async fn credits_xlsx(
    db: &DatabaseConnection,
    scope: &Scope,
    person: Option<i64>,
    out: &Path,
    title: &str,
) -> Result<u64, ExportError> {
    use xuepei_store::page::At;
    use xuepei_store::people::{self as repo, PersonFilter, PersonSort};
    let (tx, handle) = write_in_background(out.to_owned(), "学时记录", title.to_owned(), &COLUMNS).await;
    let mut after: Option<String> = None;
    loop {
        let (people, next) = match person {
            Some(id) => (vec![repo::get(db, scope, id).await?], None),
            None => {
                let page =
                    repo::list(db, scope, &PersonFilter::default(), PersonSort::Org, At::after(after.as_deref()), 200)
                        .await?;
                (page.items.into_iter().map(|r| r.person).collect(), page.next)
            }
        };
        let mut batch: Vec<Vec<Cell>> = Vec::new();
        for p in people {
            let file = credits::for_person(db, scope, None, p.id).await?;
            for r in file.records {
                batch.push(vec![
                    p.name.clone().into(),
                    p.id_number.clone().into(),
                    r.title.into(),
                    r.date.into(),
                    Cell::Number(r.hours.as_f64()),
                    r.source.label().into(),
                    r.provider.unwrap_or_default().into(),
                    r.external_ref.unwrap_or_default().into(),
                    r.status.label().into(),
                ]);
            }
        }
        if tx.send(batch).await.is_err() {
            break;
        }
        match next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    finish(tx, handle).await
}
