//! Uploaded files awaiting confirmation (the import wizard). Kept in the database so that
//! any server process behind a load balancer can finish what another began.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::upload;
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::scope::Scope;

#[derive(Debug, Clone)]
pub struct Upload {
    pub id: i64,
    pub kind: String,
    pub filename: String,
    pub content: Vec<u8>,
    pub created_at: DateTime<Utc>,
}

fn scope_key(scope: &Scope) -> String {
    scope.root_path().unwrap_or("/").to_owned()
}

pub async fn save(
    db: &impl ConnectionTrait,
    scope: &Scope,
    kind: &str,
    filename: &str,
    content: Vec<u8>,
) -> Result<i64> {
    let m = upload::ActiveModel {
        kind: Set(kind.to_owned()),
        filename: Set(filename.chars().take(200).collect()),
        size: Set(content.len() as i64),
        content: Set(content),
        scope_path: Set(scope_key(scope)),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(m.id)
}

/// A file uploaded under exactly this scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Upload> {
    let m = upload::Entity::find_by_id(id)
        .filter(upload::Column::ScopePath.eq(scope_key(scope)))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("上传的文件"))?;
    Ok(Upload { id: m.id, kind: m.kind, filename: m.filename, content: m.content, created_at: m.created_at })
}

pub async fn delete(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<()> {
    upload::Entity::delete_many()
        .filter(upload::Column::Id.eq(id))
        .filter(upload::Column::ScopePath.eq(scope_key(scope)))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes uploads older than `cutoff` (abandoned wizards). Housekeeping across scopes.
pub async fn purge_before(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64> {
    Ok(upload::Entity::delete_many().filter(upload::Column::CreatedAt.lt(cutoff)).exec(db).await?.rows_affected)
}
