//! Sign-in sessions, kept in the database so that any server process can serve any
//! request. The cookie holds a random token; the table holds only its SHA-256.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

use crate::accounts::{Account, SecurityPolicy, random_hex};
use crate::entity::{account, session};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::scope::Scope;

/// A live session: who, over which subtree, and the token forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub key: String,
    pub account: Account,
    /// The scope in force: the account's, or a narrower one chosen with the switcher.
    pub scope: Scope,
    /// The account's whole scope.
    pub base_scope: Scope,
    pub csrf: String,
    pub current_org_id: Option<i64>,
    pub last_seen_at: DateTime<Utc>,
    /// The password must be changed before anything else (first sign-in, reset, expired).
    pub password_change_due: bool,
}

/// What a cookie token led to.
#[derive(Debug, Clone)]
pub enum Lookup {
    Valid(Box<Session>),
    /// Timed out for inactivity (and removed).
    Expired,
    Missing,
}

fn key_of(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Opens a session; returns the cookie token.
pub async fn create(
    db: &impl ConnectionTrait,
    account_id: i64,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<String> {
    let token = random_hex(32);
    let t = now();
    session::ActiveModel {
        id: Set(key_of(&token)),
        account_id: Set(account_id),
        csrf_token: Set(random_hex(32)),
        current_org_id: Set(None),
        created_at: Set(t),
        last_seen_at: Set(t),
        ip: Set(ip.map(|s| s.chars().take(64).collect())),
        user_agent: Set(user_agent.map(|s| s.chars().take(255).collect())),
    }
    .insert(db)
    .await?;
    Ok(token)
}

/// How stale the recorded last activity may get before a request refreshes it: a quarter
/// of the idle timeout, at most a minute — finer than the timeout, so that a session in use
/// never times out between refreshes, and not every request writes.
fn refresh_interval(policy: &SecurityPolicy) -> Duration {
    Duration::minutes(policy.idle_minutes.max(0)).checked_div(4).unwrap_or_default().min(Duration::seconds(60))
}

/// Finds the session of a cookie token, ending it when idle too long or when the account
/// is disabled or locked; refreshes its last activity (see [`refresh_interval`]).
pub async fn lookup(db: &DatabaseConnection, token: &str, policy: &SecurityPolicy) -> Result<Lookup> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(Lookup::Missing);
    }
    let key = key_of(token);
    let Some(s) = session::Entity::find_by_id(key.clone()).one(db).await? else { return Ok(Lookup::Missing) };
    let at = now();
    if at - s.last_seen_at > Duration::minutes(policy.idle_minutes) {
        session::Entity::delete_by_id(key).exec(db).await?;
        return Ok(Lookup::Expired);
    }
    let Some(a) = account::Entity::find_by_id(s.account_id).one(db).await? else { return Ok(Lookup::Missing) };
    let account = Account::from(a);
    if !account.active || account.is_locked(at) {
        end_all(db, account.id).await?;
        return Ok(Lookup::Missing);
    }
    let base_scope = Scope::of_org_id(db, account.scope_org_id).await?;
    let scope = match s.current_org_id {
        Some(o) => base_scope.narrow(db, o).await.unwrap_or_else(|_| base_scope.clone()),
        None => base_scope.clone(),
    };
    if at - s.last_seen_at > refresh_interval(policy) {
        session::Entity::update_many()
            .col_expr(session::Column::LastSeenAt, Expr::value(at))
            .filter(session::Column::Id.eq(key.as_str()))
            .exec(db)
            .await?;
    }
    let password_change_due = account.must_change_password || account.password_expired(policy, at);
    Ok(Lookup::Valid(Box::new(Session {
        password_change_due,
        key,
        account,
        scope,
        base_scope,
        csrf: s.csrf_token,
        current_org_id: s.current_org_id,
        last_seen_at: s.last_seen_at,
    })))
}

/// Narrows the session to an organisation inside the account's scope (the switcher), or
/// back to the whole scope.
pub async fn switch_org(db: &DatabaseConnection, s: &Session, org_id: Option<i64>) -> Result<()> {
    if let Some(o) = org_id {
        s.base_scope.narrow(db, o).await.map_err(|_| StoreError::NotFound("组织"))?;
    }
    session::Entity::update_many()
        .col_expr(session::Column::CurrentOrgId, Expr::value(org_id))
        .filter(session::Column::Id.eq(s.key.as_str()))
        .exec(db)
        .await?;
    Ok(())
}

/// Ends one session (sign-out).
pub async fn end(db: &impl ConnectionTrait, key: &str) -> Result<()> {
    session::Entity::delete_by_id(key.to_owned()).exec(db).await?;
    Ok(())
}

/// Ends every session of an account (locked, disabled, password changed).
pub async fn end_all(db: &impl ConnectionTrait, account_id: i64) -> Result<u64> {
    Ok(session::Entity::delete_many().filter(session::Column::AccountId.eq(account_id)).exec(db).await?.rows_affected)
}

/// Sessions of an account (for the security administrator).
pub async fn count_for(db: &impl ConnectionTrait, account_id: i64) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(session::Entity::find().filter(session::Column::AccountId.eq(account_id)).count(db).await?)
}
