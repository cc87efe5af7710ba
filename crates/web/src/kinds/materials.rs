//! Study materials (学习资料) as a kind of record: speeches, documents, books and videos
//! imported all or nothing, each owned by an organisation named by its code; a material
//! with the same organisation, title and date is replaced. The export lists the materials
//! matching the list page's filters (`kind`, `tag`, `year`, `q`).

use std::collections::HashMap;
use std::path::Path;

use xuepei_domain::accounts::Perm;
use xuepei_domain::import::{Column as SpecColumn, ImportSpec, RowError, RowView};
use xuepei_domain::study::materials::{MaterialInput, MaterialKind};
use xuepei_domain::validate::Fields as _;
use xuepei_office::read::Row;
use xuepei_office::write::{Cell, Column};
use xuepei_store::imports::{ImportReport, Present};
use xuepei_store::materials::{self, MaterialFilter};
use xuepei_store::{Actor, DatabaseConnection, Scope};

use super::{BoxFut, Kind, RecordKind};
use crate::exports::{ExportError, finish, write_in_background};
use crate::jobs::{self, Fields, ImportFailure, ImportJob, ImportOutcome, ImportSettings, Importer, Run, Session};
use crate::params;

/// The materials kind.
#[derive(Debug, Clone, Copy)]
pub struct Materials;

pub const KIND: Kind = Kind::new(&Materials);

/// The most rows one file may hold (each row is a whole text).
const MAX_ROWS: u64 = 20_000;
/// The most materials one export writes.
const MAX_EXPORT: u64 = 100_000;

pub const MATERIAL_IMPORT: ImportSpec = ImportSpec {
    kind: "materials",
    title: "学习资料",
    columns: &[
        SpecColumn {
            key: "org",
            label: "所属单位代码",
            synonyms: &["组织代码", "单位代码", "所属单位", "发布单位代码"],
            required: true,
            example: "430602",
            help: "本单位或下级单位的组织代码",
        },
        SpecColumn {
            key: "title",
            label: "标题",
            synonyms: &["资料标题", "题目", "名称", "资料名称"],
            required: true,
            example: "在全国组织工作会议上的讲话",
            help: "不超过200字",
        },
        SpecColumn {
            key: "kind",
            label: "类别",
            synonyms: &["资料类别", "类型", "资料类型"],
            required: true,
            example: "讲话",
            help: "讲话、文件、书籍或视频",
        },
        SpecColumn {
            key: "source",
            label: "来源",
            synonyms: &["出处", "刊物", "发布机构", "资料来源"],
            required: false,
            example: "《求是》",
            help: "如《求是》、新华社",
        },
        SpecColumn {
            key: "date",
            label: "发布日期",
            synonyms: &["日期", "发表日期", "印发日期", "出版日期"],
            required: true,
            example: "2024-03-05",
            help: "YYYY-MM-DD，不能晚于今天",
        },
        SpecColumn {
            key: "body",
            label: "正文",
            synonyms: &["内容", "全文", "摘要", "正文内容"],
            required: false,
            example: "",
            help: "可检索的全文或摘要",
        },
        SpecColumn {
            key: "tags",
            label: "标签",
            synonyms: &["关键词", "主题词", "标签/关键词"],
            required: false,
            example: "党建、乡村振兴",
            help: "多个标签用顿号或逗号分隔，每个不超过20字",
        },
    ],
    pairs: &[],
};

impl RecordKind for Materials {
    fn spec(&self) -> &'static ImportSpec {
        &MATERIAL_IMPORT
    }
    fn title(&self) -> &'static str {
        "学习资料"
    }
    fn noun(&self) -> &'static str {
        "学习资料"
    }
    fn import_perm(&self) -> Perm {
        Perm::STUDY_EDIT
    }
    fn export_perm(&self) -> Perm {
        Perm::STUDY_VIEW
    }
    fn max_rows(&self, _settings: &ImportSettings) -> u64 {
        MAX_ROWS
    }
    fn template_choices(&self) -> Vec<(&'static str, Vec<&'static str>)> {
        vec![("kind", MaterialKind::ALL.iter().map(|k| k.label()).collect())]
    }
    fn list_href(&self) -> &'static str {
        "/materials"
    }
    fn api_import_path(&self) -> &'static str {
        "/api/v1/materials/import"
    }
    fn label_header(&self) -> &'static str {
        "标题"
    }
    fn row_label(&self, view: &RowView<'_>) -> String {
        view.get("title").trim().chars().take(30).collect()
    }
    fn import<'a>(&'a self, run: Run<'a>, job: ImportJob) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>> {
        Box::pin(jobs::run_file(self, &MATERIAL_IMPORT, run, job))
    }
    fn import_rows<'a>(
        &'a self,
        run: Run<'a>,
        rows: Vec<Fields>,
        dry_run: bool,
    ) -> BoxFut<'a, Result<ImportOutcome, ImportFailure>> {
        Box::pin(jobs::run_rows(self, &MATERIAL_IMPORT, run, rows, dry_run))
    }
    fn export_title(&self) -> &'static str {
        "学习资料"
    }
    fn export<'a>(
        &'a self,
        db: &'a DatabaseConnection,
        scope: &'a Scope,
        query: &'a HashMap<String, String>,
        out: &'a Path,
    ) -> BoxFut<'a, Result<u64, ExportError>> {
        Box::pin(async move { materials_xlsx(db, scope, &filter_of(query), out, self.export_title()).await })
    }
}

/// The list page's filters from its query parameters (unknown values are ignored).
pub fn filter_of(p: &HashMap<String, String>) -> MaterialFilter {
    MaterialFilter {
        kind: params::text(p, "kind").and_then(MaterialKind::from_code),
        tag: params::text(p, "tag").map(str::to_owned),
        year: params::num(p, "year").and_then(|y| i32::try_from(y).ok()),
        text: params::text(p, "q").map(str::to_owned),
    }
}

/// Files are checked whole: the session holds the rows until the end.
#[derive(Debug)]
pub struct MaterialSession {
    db: DatabaseConnection,
    scope: Scope,
    actor: Actor,
    dry_run: bool,
    valid: Vec<(u64, MaterialInput)>,
    invalid: Vec<RowError>,
}

impl Importer for Materials {
    type Draft = MaterialInput;
    type Session = MaterialSession;

    fn validator(&self) -> impl Fn(&RowView<'_>, &Row) -> Result<MaterialInput, Vec<RowError>> + Send + 'static {
        move |view, row| materials::validate_row(view).map_err(|e| jobs::row_errors(&MATERIAL_IMPORT, row.number, e))
    }

    fn validate_fields(&self, row: u64, fields: &Fields) -> Result<MaterialInput, Vec<RowError>> {
        materials::validate_row(fields).map_err(|e| jobs::row_errors(&MATERIAL_IMPORT, row, e))
    }

    async fn begin(
        &self,
        run: Run<'_>,
        _source: &str,
        _present: Present,
        dry_run: bool,
    ) -> Result<MaterialSession, ImportFailure> {
        Ok(MaterialSession {
            db: run.db.clone(),
            scope: run.scope.clone(),
            actor: run.actor.clone(),
            dry_run,
            valid: Vec::new(),
            invalid: Vec::new(),
        })
    }
}

impl Session<MaterialInput> for MaterialSession {
    async fn push(&mut self, row: u64, draft: MaterialInput) -> Result<(), ImportFailure> {
        self.valid.push((row, draft));
        Ok(())
    }
    fn push_invalid(&mut self, errors: Vec<RowError>) -> Result<(), ImportFailure> {
        self.invalid.extend(errors);
        Ok(())
    }
    async fn finish(self) -> Result<ImportReport, ImportFailure> {
        let s = self;
        Ok(materials::import(&s.db, &s.scope, &s.actor, s.valid, s.invalid, s.dry_run).await?)
    }
}

const COLUMNS: [Column; 8] = [
    Column { header: "所属单位代码", width: 14.0 },
    Column { header: "所属单位", width: 20.0 },
    Column { header: "标题", width: 40.0 },
    Column { header: "类别", width: 8.0 },
    Column { header: "来源", width: 16.0 },
    Column { header: "发布日期", width: 12.0 },
    Column { header: "正文", width: 60.0 },
    Column { header: "标签", width: 24.0 },
];

/// Exports the scope's materials matching the filter (newest entry first); the file reads
/// back through the import.
pub async fn materials_xlsx(
    db: &DatabaseConnection,
    scope: &Scope,
    filter: &MaterialFilter,
    out: &Path,
    title: &str,
) -> Result<u64, ExportError> {
    let (tx, handle) = write_in_background(out.to_owned(), "学习资料", title.to_owned(), &COLUMNS).await;
    let rows = materials::all(db, scope, filter, MAX_EXPORT).await?;
    for chunk in rows.chunks(500) {
        let batch: Vec<Vec<Cell>> = chunk
            .iter()
            .map(|m| {
                vec![
                    m.org_code.clone().into(),
                    m.org_name.clone().into(),
                    m.title.clone().into(),
                    m.kind.label().into(),
                    m.source.clone().into(),
                    m.date.into(),
                    // A cell holds at most 32,767 characters (Excel's limit).
                    m.body.chars().take(32_000).collect::<String>().into(),
                    m.tags_text().into(),
                ]
            })
            .collect();
        if tx.send(batch).await.is_err() {
            break;
        }
    }
    finish(tx, handle).await
}
