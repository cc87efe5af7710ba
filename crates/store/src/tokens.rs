//! API tokens for other government systems: issued by an administrator within a scope,
//! read-only or allowed to import, optionally expiring, revocable. Only a hash is kept.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order, QueryFilter, QueryOrder,
    Set,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::accounts::random_hex;
use crate::audit::{Entry, Tx, json};
use crate::entity::{account, api_token, organization};
use crate::error::{Result, StoreError};
use crate::org::{self, now};
use crate::scope::Scope;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub name: String,
    /// The first characters, to recognise a token without revealing it.
    pub prefix: String,
    pub scope_org_id: i64,
    pub can_write: bool,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl ApiToken {
    pub fn usable(&self, at: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > at)
    }
}

impl From<api_token::Model> for ApiToken {
    fn from(m: api_token::Model) -> Self {
        ApiToken {
            id: m.id,
            name: m.name,
            prefix: m.prefix,
            scope_org_id: m.scope_org_id,
            can_write: m.can_write,
            created_by: m.created_by,
            created_at: m.created_at,
            expires_at: m.expires_at,
            revoked_at: m.revoked_at,
            last_used_at: m.last_used_at,
        }
    }
}

fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The issuer recorded for tokens issued at the command line (`xuepei token issue`).
pub const OPERATOR_ISSUER: i64 = 0;

/// Issues a token over an organisation of the issuer's scope; the token itself is
/// returned once and never stored.
pub async fn issue(
    tx: &Tx,
    name: &str,
    scope_org_id: i64,
    can_write: bool,
    valid_days: Option<i64>,
    created_by: i64,
) -> Result<(ApiToken, String)> {
    let db = tx.conn();
    let name =
        xuepei_domain::org::check_text(name, 50, true).map_err(|m| StoreError::invalid("name", m))?.unwrap_or_default();
    let o = org::get(db, tx.scope(), scope_org_id)
        .await
        .map_err(|_| StoreError::invalid("scope", "令牌的范围须在您的管理范围内"))?;
    let token = format!("xp_{}", random_hex(24));
    let t = now();
    let m = api_token::ActiveModel {
        name: Set(name),
        token_hash: Set(hash(&token)),
        prefix: Set(token[..10].to_owned()),
        scope_org_id: Set(scope_org_id),
        can_write: Set(can_write),
        created_by: Set(created_by),
        created_at: Set(t),
        expires_at: Set(valid_days.filter(|d| *d > 0).map(|d| t + Duration::days(d))),
        revoked_at: Set(None),
        last_used_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let tok = ApiToken::from(m);
    tx.record(Entry {
        action: "token.issue",
        target_type: "token",
        target_id: Some(tok.id.to_string()),
        scope_path: o.path,
        summary: format!(
            "签发接口令牌“{}”（{}，范围：{}）",
            tok.name,
            if can_write { "可读写" } else { "只读" },
            o.name
        ),
        before: None,
        after: json(&tok),
    });
    Ok((tok, token))
}

/// Tokens over organisations of the scope, newest first.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<ApiToken>> {
    let rows = api_token::Entity::find()
        .filter(scope.org_id_cond(api_token::Column::ScopeOrgId))
        .order_by(api_token::Column::Id, Order::Desc)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(ApiToken::from).collect())
}

/// Revokes a token at once.
pub async fn revoke(tx: &Tx, id: i64) -> Result<ApiToken> {
    let db = tx.conn();
    let m = api_token::Entity::find_by_id(id)
        .filter(tx.scope().org_id_cond(api_token::Column::ScopeOrgId))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("接口令牌"))?;
    api_token::Entity::update_many()
        .col_expr(api_token::Column::RevokedAt, Expr::value(Some(now())))
        .filter(api_token::Column::Id.eq(id))
        .exec(db)
        .await?;
    let path =
        organization::Entity::find_by_id(m.scope_org_id).one(db).await?.map_or_else(|| "/".to_owned(), |o| o.path);
    let tok = ApiToken::from(m);
    tx.record(Entry {
        action: "token.revoke",
        target_type: "token",
        target_id: Some(id.to_string()),
        scope_path: path,
        summary: format!("吊销接口令牌“{}”", tok.name),
        before: json(&tok),
        after: None,
    });
    Ok(tok)
}

/// Why a presented token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Unknown,
    Revoked,
    Expired,
    /// The account that issued it is disabled, or its organisation was dissolved.
    Inactive,
}

/// The token and scope behind a bearer token, or why not.
pub async fn authenticate(
    db: &DatabaseConnection,
    token: &str,
) -> Result<std::result::Result<(ApiToken, Scope), Refusal>> {
    if !token.starts_with("xp_") || token.len() > 100 {
        return Ok(Err(Refusal::Unknown));
    }
    let Some(m) = api_token::Entity::find().filter(api_token::Column::TokenHash.eq(hash(token))).one(db).await? else {
        return Ok(Err(Refusal::Unknown));
    };
    let at = now();
    let tok = ApiToken::from(m);
    if tok.revoked_at.is_some() {
        return Ok(Err(Refusal::Revoked));
    }
    if tok.expires_at.is_some_and(|e| e <= at) {
        return Ok(Err(Refusal::Expired));
    }
    // A token acts for its issuer over its organisation: only while both are active. The
    // server's operator (command line) is no account and cannot be deactivated.
    let issuer_active = tok.created_by == OPERATOR_ISSUER
        || account::Entity::find_by_id(tok.created_by).one(db).await?.is_some_and(|a| a.active);
    let org_active = organization::Entity::find_by_id(tok.scope_org_id).one(db).await?.is_some_and(|o| o.active);
    if !issuer_active || !org_active {
        return Ok(Err(Refusal::Inactive));
    }
    if tok.last_used_at.is_none_or(|u| at - u > Duration::seconds(60)) {
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(Some(at)))
            .filter(api_token::Column::Id.eq(tok.id))
            .exec(db)
            .await?;
    }
    let scope = Scope::of_org_id(db, tok.scope_org_id).await?;
    Ok(Ok((tok, scope)))
}
