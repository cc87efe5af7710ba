//! Evidence files of a practice base's 五有 items (issue 14 item 3: each item with photos
//! and files). Read by whoever reads the base ([`crate::bases::get`]); added and removed by
//! the scope that edits its application, while it is editable. A file is taken by its
//! content, not its name (`domain::training::bases::evidence_kind`), and its name is made
//! harmless before it is kept.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::bases::{self as rules, FILES_PER_ITEM, FIVE_ITEMS};
use xuepei_domain::training::filing::safe_filename;
use xuepei_domain::validate::FieldError;

use crate::audit::{Entry, Tx};
use crate::bases::{self, Base};
use crate::entity::base_file;
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::scope::Scope;

/// An evidence file, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaseFile {
    pub id: i64,
    /// The 五有 item's field (venue, guide, material, site, film).
    pub item: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

impl BaseFile {
    pub fn is_photo(&self) -> bool {
        rules::is_photo(&self.mime)
    }

    /// The size in words (12.3 KB, 4.5 MB).
    pub fn size_words(&self) -> String {
        let kb = self.size as f64 / 1024.0;
        if kb < 1024.0 { format!("{kb:.1} KB") } else { format!("{:.1} MB", kb / 1024.0) }
    }
}

fn err(message: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![FieldError { field: "file", message: message.into() }])
}

/// The evidence files of a base the caller has read, by item then upload.
pub async fn of_base(db: &impl ConnectionTrait, b: &Base) -> Result<Vec<BaseFile>> {
    let rows: Vec<(i64, String, String, String, i64, DateTime<Utc>)> = base_file::Entity::find()
        .select_only()
        .columns([
            base_file::Column::Id,
            base_file::Column::Item,
            base_file::Column::Name,
            base_file::Column::Mime,
            base_file::Column::Size,
            base_file::Column::CreatedAt,
        ])
        .filter(base_file::Column::BaseId.eq(b.id))
        .order_by_asc(base_file::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut out: Vec<BaseFile> = rows
        .into_iter()
        .map(|(id, item, name, mime, size, created_at)| BaseFile { id, item, name, mime, size, created_at })
        .collect();
    out.sort_by_key(|f| (FIVE_ITEMS.iter().position(|(k, _)| *k == f.item), f.id));
    Ok(out)
}

/// A base the writer may add evidence to or remove it from.
async fn editable(tx: &Tx, id: i64) -> Result<Base> {
    let b = bases::get(tx.conn(), tx.scope(), id).await?;
    if !b.editable_by(tx.scope()) {
        return Err(StoreError::Conflict(format!(
            "“{}”状态的申报材料不能再修改佐证材料；申报中或被退回的基地由申报单位和所在县市区补充",
            b.state.label()
        )));
    }
    Ok(b)
}

/// Adds a file of evidence to an item (`item` a field of [`FIVE_ITEMS`]).
pub async fn add(tx: &Tx, id: i64, item: &str, name: &str, content: Vec<u8>) -> Result<BaseFile> {
    let Some((item, label)) = FIVE_ITEMS.iter().find(|(k, _)| *k == item.trim()) else {
        let labels: Vec<&str> = FIVE_ITEMS.iter().map(|(_, l)| *l).collect();
        return Err(StoreError::Invalid(vec![FieldError {
            field: "item",
            message: format!("请选择佐证材料对应的“五有”项目（{}）", labels.join("、")),
        }]));
    };
    let b = editable(tx, id).await?;
    if content.is_empty() {
        return Err(err("佐证材料是空文件，请选择要上传的照片或文件"));
    }
    let kind = rules::evidence_kind(name, &content).map_err(err)?;
    let mime = kind.mime;
    let held = of_base(tx.conn(), &b).await?.iter().filter(|f| f.item == *item).count();
    if held >= FILES_PER_ITEM {
        return Err(err(format!("“{label}”最多上传{FILES_PER_ITEM}个佐证材料，请先删除不需要的")));
    }
    let name = xuepei_domain::files::named_as(&safe_filename(name), &kind);
    let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
    let at = now();
    let m = base_file::ActiveModel {
        base_id: Set(b.id),
        item: Set((*item).to_owned()),
        org_id: Set(b.org.id),
        org_path: Set(b.org_path.clone()),
        name: Set(name.clone()),
        mime: Set(mime.to_owned()),
        size: Set(size),
        content: Set(content),
        created_at: Set(at),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    tx.record(Entry {
        action: "base.attach",
        target_type: "practice_base",
        target_id: Some(b.id.to_string()),
        scope_path: b.org_path.clone(),
        summary: format!("为实践基地“{}”的“{label}”上传佐证材料“{name}”", b.name),
        before: None,
        after: Some(serde_json::json!({"item": item, "file": name, "size": size})),
    });
    Ok(BaseFile { id: m.id, item: (*item).to_owned(), name, mime: mime.to_owned(), size, created_at: at })
}

/// Removes a file of evidence.
pub async fn remove(tx: &Tx, id: i64, file_id: i64) -> Result<()> {
    let b = editable(tx, id).await?;
    let m = base_file::Entity::find_by_id(file_id)
        .filter(base_file::Column::BaseId.eq(b.id))
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound("佐证材料"))?;
    base_file::Entity::delete_by_id(m.id).exec(tx.conn()).await?;
    tx.record(Entry {
        action: "base.detach",
        target_type: "practice_base",
        target_id: Some(b.id.to_string()),
        scope_path: b.org_path.clone(),
        summary: format!("删除实践基地“{}”的佐证材料“{}”", b.name, m.name),
        before: Some(serde_json::json!({"item": m.item, "file": m.name})),
        after: None,
    });
    Ok(())
}

/// A file's name, content type and content, for a scope that reads its base.
pub async fn file(
    db: &impl ConnectionTrait,
    scope: &Scope,
    id: i64,
    file_id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let b = bases::get(db, scope, id).await?;
    let m = base_file::Entity::find_by_id(file_id)
        .filter(base_file::Column::BaseId.eq(b.id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("佐证材料"))?;
    Ok((m.name, m.mime, m.content))
}
