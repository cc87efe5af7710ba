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
    /// The last outcome (JSON, written by the caller): the preview's, then the import's.
    pub outcome: Option<String>,
    /// When the import was written (the content is empty from then on).
    pub finished_at: Option<DateTime<Utc>>,
}

/// How long the outcome of a finished import stays readable after the uploads of its
/// time are purged (a result page opened again, a refresh the next morning).
pub const RESULT_DAYS: i64 = 7;

fn scope_key(scope: &Scope) -> String {
    scope.root_path().unwrap_or("/").to_owned()
}

/// Keeps a file uploaded by `owner` (an account id) under its current scope.
pub async fn save(
    db: &impl ConnectionTrait,
    scope: &Scope,
    owner: i64,
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
        owner_account_id: Set(Some(owner)),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(m.id)
}

/// A file this account uploaded under exactly this scope (another account's upload, even
/// in the same scope, is "not found": its rows are that account's business).
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, owner: i64, id: i64) -> Result<Upload> {
    let m = upload::Entity::find_by_id(id)
        .filter(upload::Column::ScopePath.eq(scope_key(scope)))
        .filter(upload::Column::OwnerAccountId.eq(owner))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("上传的文件"))?;
    Ok(Upload {
        id: m.id,
        kind: m.kind,
        filename: m.filename,
        content: m.content,
        created_at: m.created_at,
        outcome: m.outcome,
        finished_at: m.finished_at,
    })
}

/// Keeps an upload's outcome. A finished import drops the file — nothing can confirm it
/// again — and keeps only the outcome, for its result page.
pub async fn record(
    db: &impl ConnectionTrait,
    scope: &Scope,
    owner: i64,
    id: i64,
    outcome: String,
    finished: bool,
) -> Result<()> {
    let mut q = upload::Entity::update_many()
        .col_expr(upload::Column::Outcome, sea_orm::sea_query::Expr::value(Some(outcome)))
        .filter(upload::Column::Id.eq(id))
        .filter(upload::Column::ScopePath.eq(scope_key(scope)))
        .filter(upload::Column::OwnerAccountId.eq(owner));
    if finished {
        q = q
            .col_expr(upload::Column::Content, sea_orm::sea_query::Expr::value(Vec::<u8>::new()))
            .col_expr(upload::Column::Size, sea_orm::sea_query::Expr::value(0i64))
            .col_expr(upload::Column::FinishedAt, sea_orm::sea_query::Expr::value(Some(now())));
    }
    q.exec(db).await?;
    Ok(())
}

pub async fn delete(db: &impl ConnectionTrait, scope: &Scope, owner: i64, id: i64) -> Result<()> {
    upload::Entity::delete_many()
        .filter(upload::Column::Id.eq(id))
        .filter(upload::Column::ScopePath.eq(scope_key(scope)))
        .filter(upload::Column::OwnerAccountId.eq(owner))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes uploads older than `cutoff` that were never imported (abandoned wizards), and
/// the outcomes of imports finished [`RESULT_DAYS`] before it. Housekeeping across scopes.
pub async fn purge_before(db: &impl ConnectionTrait, cutoff: DateTime<Utc>) -> Result<u64> {
    use sea_orm::Condition;
    let results = cutoff - chrono::Duration::days(RESULT_DAYS);
    let stale = Condition::any()
        .add(Condition::all().add(upload::Column::FinishedAt.is_null()).add(upload::Column::CreatedAt.lt(cutoff)))
        .add(upload::Column::FinishedAt.lt(results));
    // Evidence of a credit claim is kept with the claim, not purged as an unfinished import.
    let kept = upload::Column::Kind.ne(crate::credits::EVIDENCE_KIND);
    Ok(upload::Entity::delete_many().filter(stale).filter(kept).exec(db).await?.rows_affected)
}
