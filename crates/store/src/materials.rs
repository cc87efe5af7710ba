//! The materials library (学习资料): speeches, documents, books and videos owned by an
//! organisation (`org_path`, registered in `paths`), listed and changed within the scope,
//! indexed for full-text search (`search`, kind `material`) in the same transaction.
//!
//! Materials published above the scope — a city's speeches read by its counties — are
//! offered through [`offered_speeches`], which adds the scope root's ancestors by id; the
//! scope itself is never widened.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, Order, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use xuepei_domain::import::RowError;
use xuepei_domain::org::path;
use xuepei_domain::study::materials::{self as rules, CheckedMaterial, MaterialInput, MaterialKind};
use xuepei_domain::validate::{FieldError, Fields};

use crate::audit::{Actor, Entry, Tx};
use crate::entity::{material, organization};
use crate::error::{Result, StoreError};
use crate::imports::ImportReport;
use crate::org::now;
use crate::page::{At, Page, fetch, page_of};
use crate::scope::Scope;
use crate::search::{self, Doc};

/// The search index's kind code of a material.
pub const SEARCH_KIND: &str = "material";

/// A material as pages and the API read it.
#[derive(Debug, Clone, Serialize)]
pub struct Material {
    pub id: i64,
    pub org_id: i64,
    pub org_code: String,
    pub org_name: String,
    pub kind: MaterialKind,
    pub title: String,
    pub source: String,
    pub date: NaiveDate,
    pub body: String,
    pub tags: Vec<String>,
    #[serde(skip)]
    pub org_path: String,
    pub updated_at: DateTime<Utc>,
}

impl Material {
    pub fn kind_label(&self) -> &'static str {
        self.kind.label()
    }

    pub fn tags_text(&self) -> String {
        self.tags.join("、")
    }

    /// The first characters of the text (lists).
    pub fn excerpt(&self) -> String {
        let s: String = self.body.chars().take(60).collect();
        if self.body.chars().count() > 60 { format!("{s}…") } else { s }
    }
}

/// The list's filters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MaterialFilter {
    pub kind: Option<MaterialKind>,
    pub tag: Option<String>,
    pub year: Option<i32>,
    /// Part of the title or the source.
    pub text: Option<String>,
}

fn stored_tags(tags: &[String]) -> String {
    if tags.is_empty() { String::new() } else { format!(",{},", tags.join(",")) }
}

fn read_tags(s: &str) -> Vec<String> {
    s.split(',').filter(|t| !t.is_empty()).map(str::to_owned).collect()
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// `LIKE` pattern for a part of a text, its wildcards escaped (with `\`).
fn like_part(s: &str) -> String {
    let mut out = String::from("%");
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

fn like(col: material::Column, pattern: String) -> sea_orm::sea_query::SimpleExpr {
    use sea_orm::sea_query::ExprTrait;
    Expr::col((material::Entity, col)).like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\'))
}

async fn orgs_of(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, (String, String)>> {
    let ids: Vec<i64> = ids.into_iter().collect();
    let mut out = HashMap::new();
    for chunk in ids.chunks(1000) {
        for o in
            organization::Entity::find().filter(organization::Column::Id.is_in(chunk.iter().copied())).all(db).await?
        {
            out.insert(o.id, (o.code, o.short_name.unwrap_or(o.name)));
        }
    }
    Ok(out)
}

async fn views(db: &impl ConnectionTrait, rows: Vec<material::Model>) -> Result<Vec<Material>> {
    let orgs = orgs_of(db, rows.iter().map(|m| m.org_id).collect::<std::collections::BTreeSet<_>>()).await?;
    Ok(rows
        .into_iter()
        .map(|m| {
            let (code, name) = orgs.get(&m.org_id).cloned().unwrap_or_default();
            Material {
                id: m.id,
                org_id: m.org_id,
                org_code: code,
                org_name: name,
                kind: MaterialKind::from_code(&m.kind).unwrap_or(MaterialKind::Document),
                title: m.title,
                source: m.source,
                date: m.issued_on,
                body: m.body,
                tags: read_tags(&m.tags),
                org_path: m.org_path,
                updated_at: m.updated_at,
            }
        })
        .collect())
}

/// What a reader of the scope may read: the scope's materials and those published by the
/// organisations above the scope's root (a city's speeches are read by its counties);
/// only the scope's own are changed.
pub(crate) fn readable(scope: &Scope) -> Condition {
    let mut visible = Condition::any().add(scope.cond(material::Column::OrgPath));
    if let Some(root) = scope.root_path() {
        let above: Vec<i64> = path::ids(root).into_iter().filter(|id| Some(*id) != scope.root_org_id()).collect();
        if !above.is_empty() {
            visible = visible.add(material::Column::OrgId.is_in(above));
        }
    }
    visible
}

/// A material the scope may read (its own, or published above it).
pub async fn read(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Material> {
    let m = material::Entity::find_by_id(id)
        .filter(readable(scope))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("学习资料"))?;
    views(db, vec![m]).await?.pop().ok_or(StoreError::NotFound("学习资料"))
}

/// A material of the scope, to change.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Material> {
    let m = material::Entity::find_by_id(id)
        .filter(scope.cond(material::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("学习资料"))?;
    views(db, vec![m]).await?.pop().ok_or(StoreError::NotFound("学习资料"))
}

/// The filter within `visible` (what the scope reads, or its own).
fn filter_cond(visible: Condition, f: &MaterialFilter) -> Condition {
    let mut c = Condition::all().add(visible);
    if let Some(k) = f.kind {
        c = c.add(material::Column::Kind.eq(k.code()));
    }
    if let Some(t) = f.tag.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        c = c.add(like(material::Column::Tags, like_part(&format!(",{t},"))));
    }
    if let Some(y) = f.year
        && let (Some(a), Some(b)) = (NaiveDate::from_ymd_opt(y, 1, 1), NaiveDate::from_ymd_opt(y, 12, 31))
    {
        c = c.add(material::Column::IssuedOn.gte(a)).add(material::Column::IssuedOn.lte(b));
    }
    if let Some(t) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let p = like_part(t);
        c = c
            .add(Condition::any().add(like(material::Column::Title, p.clone())).add(like(material::Column::Source, p)));
    }
    c
}

/// A page of the materials the scope reads, newest publication date first (then newest
/// entry); cursors are `date~id`.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    f: &MaterialFilter,
    at: At<'_>,
    limit: u64,
) -> Result<Page<Material>> {
    let mut c = filter_cond(readable(scope), f);
    let (limit, n) = fetch(limit, 500);
    if let Some((cursor, after)) = at.cursor() {
        let key = cursor
            .split_once('~')
            .and_then(|(d, id)| Some((NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?, id.parse::<i64>().ok()?)));
        let cols = Expr::tuple([
            Expr::col((material::Entity, material::Column::IssuedOn)),
            Expr::col((material::Entity, material::Column::Id)),
        ]);
        // A cursor not of this list reads from the start.
        if let Some((d, id)) = key {
            let k = Expr::tuple([Expr::val(d), Expr::val(id)]);
            c = c.add(if after { cols.lt(k) } else { cols.gt(k) });
        }
    }
    let order = match at.order() {
        Order::Asc => Order::Desc,
        _ => Order::Asc,
    };
    let mut q = material::Entity::find()
        .filter(c)
        .order_by(material::Column::IssuedOn, order.clone())
        .order_by(material::Column::Id, order)
        .limit(n);
    if let Some(skip) = at.offset(limit) {
        q = q.offset(skip);
    }
    let rows = q.all(db).await?;
    let kept: Vec<(NaiveDate, i64)> = rows.iter().map(|m| (m.issued_on, m.id)).collect();
    let mut built: HashMap<i64, Material> = views(db, rows).await?.into_iter().map(|m| (m.id, m)).collect();
    let p = page_of(kept, limit, at, |(d, id)| format!("{d}~{id}"), |(_, id)| built.remove(&id));
    Ok(Page { items: p.items.into_iter().flatten().collect(), next: p.next, prev: p.prev })
}

/// The newest important speeches for a first agenda item: the scope's own and those
/// published by the organisations above the scope's root (a city's speeches are read by
/// its counties), newest date first.
pub async fn offered_speeches(db: &impl ConnectionTrait, scope: &Scope, limit: u64) -> Result<Vec<Material>> {
    let rows = material::Entity::find()
        .filter(material::Column::Kind.eq(MaterialKind::Speech.code()))
        .filter(readable(scope))
        .order_by_desc(material::Column::IssuedOn)
        .order_by_desc(material::Column::Id)
        .limit(limit.clamp(1, 200))
        .all(db)
        .await?;
    views(db, rows).await
}

async fn org_in_scope(db: &impl ConnectionTrait, scope: &Scope, code: &str) -> Result<Option<organization::Model>> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Code.eq(code.trim()))
        .filter(scope.cond(organization::Column::Path))
        .one(db)
        .await?)
}

/// Checks a material and resolves its organisation in the scope, every problem at once.
async fn check(
    db: &impl ConnectionTrait,
    scope: &Scope,
    m: &MaterialInput,
) -> Result<(organization::Model, CheckedMaterial)> {
    let mut errs = Vec::new();
    let org = match m.org.trim() {
        "" => {
            errs.push(err("org", "请选择资料所属单位"));
            None
        }
        code => {
            let o = org_in_scope(db, scope, code).await?;
            if o.is_none() {
                errs.push(err("org", format!("单位“{code}”不在您的管理范围内，请选择本单位或下级单位")));
            }
            o
        }
    };
    let checked = match rules::check(m, xuepei_domain::time::today()) {
        Ok(c) => Some(c),
        Err(e) => {
            errs.extend(e);
            None
        }
    };
    match (org, checked, errs.is_empty()) {
        (Some(o), Some(c), true) => Ok((o, c)),
        _ => Err(StoreError::Invalid(errs)),
    }
}

fn audit_json(c: &CheckedMaterial, org: &organization::Model) -> serde_json::Value {
    serde_json::json!({
        "org": org.code, "title": c.title, "kind": c.kind.code(), "source": c.source,
        "date": c.date, "tags": c.tags, "body_chars": c.body.chars().count(),
    })
}

async fn index(db: &impl ConnectionTrait, id: i64, org: &organization::Model, c: &CheckedMaterial) -> Result<()> {
    let body = if c.source.is_empty() { c.body.clone() } else { format!("{}\n{}", c.source, c.body) };
    search::put(
        db,
        &Doc {
            kind: SEARCH_KIND,
            id,
            org_id: org.id,
            org_path: &org.path,
            title: &c.title,
            body: &body,
            date: Some(c.date),
        },
    )
    .await
}

async fn insert(tx: &Tx, org: &organization::Model, c: &CheckedMaterial) -> Result<i64> {
    let t = now();
    let m = material::ActiveModel {
        org_id: Set(org.id),
        org_path: Set(org.path.clone()),
        kind: Set(c.kind.code().to_owned()),
        title: Set(c.title.clone()),
        source: Set(c.source.clone()),
        issued_on: Set(c.date),
        body: Set(c.body.clone()),
        tags: Set(stored_tags(&c.tags)),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    index(tx.conn(), m.id, org, c).await?;
    Ok(m.id)
}

/// Adds a material of an organisation in the writer's scope (audited, indexed).
pub async fn create(tx: &Tx, input: &MaterialInput) -> Result<Material> {
    let (org, c) = check(tx.conn(), tx.scope(), input).await?;
    let id = insert(tx, &org, &c).await?;
    tx.record(Entry {
        action: "material.create",
        target_type: "material",
        target_id: Some(id.to_string()),
        scope_path: org.path.clone(),
        summary: format!("新增学习资料“{}”（{}）", c.title, c.kind.label()),
        before: None,
        after: Some(audit_json(&c, &org)),
    });
    get(tx.conn(), tx.scope(), id).await
}

async fn write_fields(tx: &Tx, id: i64, org: &organization::Model, c: &CheckedMaterial) -> Result<()> {
    material::Entity::update_many()
        .col_expr(material::Column::OrgId, Expr::value(org.id))
        .col_expr(material::Column::OrgPath, Expr::value(org.path.clone()))
        .col_expr(material::Column::Kind, Expr::value(c.kind.code()))
        .col_expr(material::Column::Title, Expr::value(c.title.clone()))
        .col_expr(material::Column::Source, Expr::value(c.source.clone()))
        .col_expr(material::Column::IssuedOn, Expr::value(c.date))
        .col_expr(material::Column::Body, Expr::value(c.body.clone()))
        .col_expr(material::Column::Tags, Expr::value(stored_tags(&c.tags)))
        .col_expr(material::Column::UpdatedAt, Expr::value(now()))
        .filter(material::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    index(tx.conn(), id, org, c).await
}

/// Changes a material of the scope (it may move to another organisation in the scope).
pub async fn update(tx: &Tx, id: i64, input: &MaterialInput) -> Result<Material> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    let (org, c) = check(tx.conn(), tx.scope(), input).await?;
    write_fields(tx, id, &org, &c).await?;
    tx.record(Entry {
        action: "material.update",
        target_type: "material",
        target_id: Some(id.to_string()),
        scope_path: org.path.clone(),
        summary: format!("修改学习资料“{}”", c.title),
        before: Some(serde_json::json!({
            "org": before.org_code, "title": before.title, "kind": before.kind.code(), "source": before.source,
            "date": before.date, "tags": before.tags, "body_chars": before.body.chars().count(),
        })),
        after: Some(audit_json(&c, &org)),
    });
    get(tx.conn(), tx.scope(), id).await
}

/// Deletes a material of the scope and its index entries.
pub async fn delete(tx: &Tx, id: i64) -> Result<()> {
    let m = get(tx.conn(), tx.scope(), id).await?;
    search::remove(tx.conn(), SEARCH_KIND, id).await?;
    material::Entity::delete_by_id(id).exec(tx.conn()).await?;
    tx.record(Entry {
        action: "material.delete",
        target_type: "material",
        target_id: Some(id.to_string()),
        scope_path: m.org_path.clone(),
        summary: format!("删除学习资料“{}”", m.title),
        before: Some(serde_json::json!({ "org": m.org_code, "title": m.title, "kind": m.kind.code(), "date": m.date })),
        after: None,
    });
    Ok(())
}

/// The import's column labels by field key (for messages).
pub const LABELS: &[(&str, &str)] = &[
    ("org", "所属单位代码"),
    ("title", "标题"),
    ("kind", "类别"),
    ("source", "来源"),
    ("date", "发布日期"),
    ("body", "正文"),
    ("tags", "标签"),
];

/// An import row's fields (keys as in [`LABELS`]), checked without the database.
pub fn validate_row(f: &impl Fields) -> std::result::Result<MaterialInput, Vec<FieldError>> {
    let input = MaterialInput {
        org: f.get("org").trim().to_owned(),
        title: f.get("title").to_owned(),
        kind: f.get("kind").to_owned(),
        source: f.get("source").to_owned(),
        date: normalise_date(f.get("date")),
        body: f.get("body").to_owned(),
        tags: vec![f.get("tags").to_owned()],
    };
    let mut errs = match rules::check(&input, xuepei_domain::time::today()) {
        Ok(_) => Vec::new(),
        Err(e) => e,
    };
    if input.org.is_empty() {
        errs.insert(0, err("org", "请填写资料所属单位的组织代码"));
    }
    if errs.is_empty() { Ok(input) } else { Err(errs) }
}

/// A sheet's date cell (2024/3/5, 2024年3月5日, an Excel serial) as `YYYY-MM-DD`; left as
/// typed when it cannot be read (the check names it).
fn normalise_date(s: &str) -> String {
    match xuepei_domain::dates::parse(s) {
        Ok(d) if d.precision == xuepei_domain::dates::Precision::Day => d.date.to_string(),
        _ => s.trim().to_owned(),
    }
}

/// Imports materials, all or nothing: organisations must be in the scope; a material with
/// the same organisation, title and date as a stored one replaces it (importing the same
/// file again changes nothing).
pub async fn import(
    db: &DatabaseConnection,
    scope: &Scope,
    actor: &Actor,
    rows: Vec<(u64, MaterialInput)>,
    invalid: Vec<RowError>,
    dry_run: bool,
) -> Result<ImportReport> {
    let mut report = ImportReport { dry_run, ..Default::default() };
    let invalid_rows: std::collections::HashSet<u64> = invalid.iter().map(|e| e.row).collect();
    report.rows = rows.len() as u64 + invalid_rows.len() as u64;
    for e in invalid {
        report.add_error(e);
    }
    let col = |k: &str| Some(LABELS.iter().find(|(key, _)| *key == k).map_or(k, |(_, l)| l).to_owned());
    let tx = Tx::begin(db, scope, actor).await?;
    let mut orgs: HashMap<String, Option<organization::Model>> = HashMap::new();
    let mut seen: HashMap<(i64, String, NaiveDate), u64> = HashMap::new();
    let mut good: Vec<(u64, organization::Model, CheckedMaterial)> = Vec::new();
    for (row, input) in &rows {
        let code = input.org.trim().to_owned();
        if !orgs.contains_key(&code) {
            let o = org_in_scope(tx.conn(), scope, &code).await?;
            orgs.insert(code.clone(), o);
        }
        let Some(org) = orgs.get(&code).cloned().flatten() else {
            report.add_error(RowError {
                row: *row,
                column: col("org"),
                message: format!("组织代码“{code}”不在您的管理范围内，请核对"),
            });
            continue;
        };
        let c = match rules::check(input, xuepei_domain::time::today()) {
            Ok(c) => c,
            Err(errs) => {
                for e in errs {
                    report.add_error(RowError { row: *row, column: col(e.field), message: e.message });
                }
                continue;
            }
        };
        let key = (org.id, c.title.clone(), c.date);
        if let Some(first) = seen.get(&key) {
            report.add_error(RowError {
                row: *row,
                column: col("title"),
                message: format!("与第{first}行是同一份资料（同一单位、标题和发布日期），请删除重复行"),
            });
            continue;
        }
        seen.insert(key, *row);
        good.push((*row, org, c));
    }
    let mut to_insert = Vec::new();
    let mut to_update = Vec::new();
    for (row, org, c) in good {
        let old = material::Entity::find()
            .filter(material::Column::OrgId.eq(org.id))
            .filter(material::Column::Title.eq(c.title.clone()))
            .filter(material::Column::IssuedOn.eq(c.date))
            .one(tx.conn())
            .await?;
        match old {
            Some(o)
                if o.kind == c.kind.code()
                    && o.source == c.source
                    && o.body == c.body
                    && o.tags == stored_tags(&c.tags) =>
            {
                report.unchanged += 1;
            }
            Some(o) => {
                report.updated += 1;
                to_update.push((o.id, org, c));
            }
            None => {
                report.inserted += 1;
                report.sample_added(row, || format!("{}（{}）", c.title, c.kind.label()));
                to_insert.push((org, c));
            }
        }
    }
    report.sort();
    if report.error_count > 0 || dry_run {
        tx.rollback().await?;
        if report.error_count > 0 {
            report.inserted = 0;
            report.updated = 0;
        }
        return Ok(report);
    }
    for (org, c) in &to_insert {
        insert(&tx, org, c).await?;
    }
    for (id, org, c) in &to_update {
        write_fields(&tx, *id, org, c).await?;
    }
    tx.note(
        "material.import",
        scope.root_path().unwrap_or("/"),
        format!("导入学习资料：新增{}份，更新{}份，未变化{}份", report.inserted, report.updated, report.unchanged),
        None,
    );
    tx.commit().await?;
    report.committed = true;
    Ok(report)
}

/// Every material of the scope's own matching the filter, newest first (exports, which
/// import again: those published above are not the scope's to import), up to `max`.
pub async fn all(db: &impl ConnectionTrait, scope: &Scope, f: &MaterialFilter, max: u64) -> Result<Vec<Material>> {
    let rows = material::Entity::find()
        .filter(filter_cond(scope.cond(material::Column::OrgPath), f))
        .order_by_desc(material::Column::IssuedOn)
        .order_by_desc(material::Column::Id)
        .limit(max)
        .all(db)
        .await?;
    views(db, rows).await
}
