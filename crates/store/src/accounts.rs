//! Accounts: who may sign in, with which roles, over which subtree; passwords hashed with
//! argon2id; lock-out after repeated failures. Every change is audited.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, Order, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use xuepei_domain::accounts::{AccountRoles, PASSWORD_HISTORY, check_password, check_username};

use crate::audit::{self, Actor, Entry, Tx, json};
use crate::entity::{account, organization, password_history, password_reset};
use crate::error::{Result, StoreError};
use crate::org::{self, now};
use crate::page::{At, Page};
use crate::scope::Scope;

/// Unique keys of accounts (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[crate::error::UniqueKey {
    index: "ux_accounts_username",
    columns: "accounts.username",
    message: "该用户名已被使用（可能刚被其他管理员同时创建），未保存。请换一个用户名",
}];

/// Security settings (等保 conventions as defaults).
#[derive(Debug, Clone)]
pub struct SecurityPolicy {
    /// Consecutive failed sign-ins before the account is locked.
    pub lockout_threshold: i32,
    pub lockout_minutes: i64,
    /// Sessions end after this much inactivity.
    pub idle_minutes: i64,
    /// Passwords must be changed after this many days (0: never).
    pub password_max_age_days: i64,
    /// Failed sign-ins from one client address, within `throttle_minutes`, before sign-ins
    /// from it are paused for the rest of that time.
    pub throttle_address_failures: i32,
    /// The same for one user name, known or not.
    pub throttle_name_failures: i32,
    pub throttle_minutes: i64,
    /// An account told (or neutrally refused) more than this many identity numbers in a
    /// day as registered outside its scope alerts the security administrator.
    pub id_check_daily_alert: u32,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            lockout_threshold: 5,
            lockout_minutes: 30,
            idle_minutes: 30,
            password_max_age_days: 90,
            throttle_address_failures: 30,
            throttle_name_failures: 10,
            throttle_minutes: 15,
            id_check_daily_alert: crate::idchecks::DEFAULT_DAILY_ALERT,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub person_id: Option<i64>,
    pub org_id: i64,
    pub scope_org_id: i64,
    #[serde(serialize_with = "ser_roles")]
    pub roles: AccountRoles,
    pub must_change_password: bool,
    pub password_changed_at: DateTime<Utc>,
    pub failed_attempts: i32,
    pub locked_until: Option<DateTime<Utc>>,
    pub active: bool,
    pub last_login_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn ser_roles<S: serde::Serializer>(r: &AccountRoles, s: S) -> std::result::Result<S::Ok, S::Error> {
    use xuepei_domain::labels::Labeled;
    s.collect_seq(r.iter().map(|x| x.code()))
}

impl Account {
    pub fn is_locked(&self, at: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|u| u > at)
    }

    /// The password is older than the policy allows.
    pub fn password_expired(&self, policy: &SecurityPolicy, at: DateTime<Utc>) -> bool {
        policy.password_max_age_days > 0 && at - self.password_changed_at > Duration::days(policy.password_max_age_days)
    }
}

impl From<account::Model> for Account {
    fn from(m: account::Model) -> Self {
        Account {
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            person_id: m.person_id,
            org_id: m.org_id,
            scope_org_id: m.scope_org_id,
            roles: AccountRoles(m.roles),
            must_change_password: m.must_change_password,
            password_changed_at: m.password_changed_at,
            failed_attempts: m.failed_attempts,
            locked_until: m.locked_until,
            active: m.active,
            last_login_at: m.last_login_at,
            created_at: m.created_at,
        }
    }
}

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Conflict(format!("密码处理失败：{e}")))
}

/// A real hash to check unknown names against.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("unused-Password-1").unwrap_or_default())
}

fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Random bytes from the operating system, hex-encoded (tokens, CSRF secrets).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// What a new account is.
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub person_id: Option<i64>,
    pub org_id: i64,
    pub scope_org_id: i64,
    pub roles: AccountRoles,
    pub password: String,
    /// The holder must choose a new password at first sign-in.
    pub must_change_password: bool,
}

/// Editable fields of an account.
#[derive(Debug, Clone)]
pub struct AccountChanges {
    pub display_name: String,
    pub person_id: Option<i64>,
    pub org_id: i64,
    pub scope_org_id: i64,
    pub roles: AccountRoles,
    pub active: bool,
}

async fn check_refs(
    tx: &Tx,
    roles: AccountRoles,
    org_id: i64,
    scope_org_id: i64,
    person_id: Option<i64>,
) -> Result<()> {
    let (db, scope) = (tx.conn(), tx.scope());
    roles.validate().map_err(|m| StoreError::invalid("roles", m))?;
    if roles.has_admin() && !scope.is_system() {
        return Err(StoreError::Forbidden(
            "三员账号（系统管理员、安全管理员、安全审计员）只能由服务器管理员用命令行创建或调整".into(),
        ));
    }
    org::get(db, scope, org_id).await.map_err(|_| StoreError::invalid("org", "所在单位须在您的管理范围内"))?;
    let s = org::get(db, scope, scope_org_id)
        .await
        .map_err(|_| StoreError::invalid("scope", "管理范围须在您的管理范围之内"))?;
    if !s.active {
        return Err(StoreError::invalid("scope", "管理范围所在的组织已撤销"));
    }
    if let Some(p) = person_id {
        crate::people::get(db, scope, p)
            .await
            .map_err(|_| StoreError::invalid("person", "关联人员须在您的管理范围内"))?;
    }
    Ok(())
}

/// Creates an account within the scope. Administrator roles only from the system scope.
pub async fn create(tx: &Tx, new: &NewAccount) -> Result<Account> {
    let db = tx.conn();
    let username = check_username(&new.username).map_err(|m| StoreError::invalid("username", m))?;
    let display_name = xuepei_domain::org::check_text(&new.display_name, 30, true)
        .map_err(|m| StoreError::invalid("display_name", m))?
        .unwrap_or_default();
    check_password(&new.password, &username).map_err(|m| StoreError::invalid("password", m))?;
    check_refs(tx, new.roles, new.org_id, new.scope_org_id, new.person_id).await?;
    if account::Entity::find().filter(account::Column::Username.eq(username.as_str())).one(db).await?.is_some() {
        return Err(StoreError::invalid("username", format!("用户名“{username}”已被使用")));
    }
    let t = now();
    let m = account::ActiveModel {
        username: Set(username),
        display_name: Set(display_name),
        person_id: Set(new.person_id),
        org_id: Set(new.org_id),
        scope_org_id: Set(new.scope_org_id),
        roles: Set(new.roles.0),
        password_hash: Set(hash_password(&new.password)?),
        password_changed_at: Set(t),
        must_change_password: Set(new.must_change_password),
        failed_attempts: Set(0),
        locked_until: Set(None),
        active: Set(true),
        last_login_at: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let a = Account::from(m);
    tx.record(
        entry(tx, &a, "account.create", format!("新建账号“{}”（{}）", a.username, a.roles.labels()), None, json(&a))
            .await?,
    );
    Ok(a)
}

async fn entry(
    tx: &Tx,
    a: &Account,
    action: &'static str,
    summary: String,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<Entry> {
    let scope_path = organization::Entity::find_by_id(a.scope_org_id)
        .one(tx.conn())
        .await?
        .map_or_else(|| "/".to_owned(), |o| o.path);
    Ok(Entry { action, target_type: "account", target_id: Some(a.id.to_string()), scope_path, summary, before, after })
}

/// One account of the scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Account> {
    account::Entity::find_by_id(id)
        .filter(scope.org_id_cond(account::Column::ScopeOrgId))
        .one(db)
        .await?
        .map(Account::from)
        .ok_or(StoreError::NotFound("账号"))
}

/// Accounts of the scope by user name, found by the start of the name or any part of the
/// holder's name.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    q: Option<&str>,
    at: At<'_>,
    limit: u64,
) -> Result<Page<Account>> {
    let mut c = search_cond(scope, q);
    if let Some(k) = at.key_cond(account::Column::Username) {
        c = c.add(k);
    }
    let (limit, fetch) = crate::page::fetch(limit, 500);
    let mut rows = account::Entity::find().filter(c).order_by(account::Column::Username, at.order()).limit(fetch);
    if let Some(skip) = at.offset(limit) {
        rows = rows.offset(skip);
    }
    Ok(crate::page::page_of(rows.all(db).await?, limit, at, |m| m.username.clone(), Account::from))
}

fn search_cond(scope: &Scope, q: Option<&str>) -> Condition {
    let mut c = scope.org_id_cond(account::Column::ScopeOrgId);
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        c = c.add(
            Condition::any()
                .add(org::prefix_cond(account::Column::Username, &q.to_ascii_lowercase()))
                .add(org::contains_cond(account::Column::DisplayName, q)),
        );
    }
    c
}

/// How many accounts [`list`] finds (all of the scope's without `q`).
pub async fn count(db: &impl ConnectionTrait, scope: &Scope, q: Option<&str>) -> Result<u64> {
    let c = search_cond(scope, q);
    Ok(account::Entity::find().filter(c).count(db).await?)
}

/// Changes roles, scope, unit, link to a person, or disables the account.
pub async fn update(tx: &Tx, id: i64, ch: &AccountChanges) -> Result<Account> {
    let db = tx.conn();
    let before = get(db, tx.scope(), id).await?;
    if before.roles.has_admin() && !tx.scope().is_system() {
        return Err(StoreError::Forbidden("三员账号只能由服务器管理员用命令行调整".into()));
    }
    let display_name = xuepei_domain::org::check_text(&ch.display_name, 30, true)
        .map_err(|m| StoreError::invalid("display_name", m))?
        .unwrap_or_default();
    check_refs(tx, ch.roles, ch.org_id, ch.scope_org_id, ch.person_id).await?;
    account::Entity::update_many()
        .col_expr(account::Column::DisplayName, Expr::value(display_name))
        .col_expr(account::Column::PersonId, Expr::value(ch.person_id))
        .col_expr(account::Column::OrgId, Expr::value(ch.org_id))
        .col_expr(account::Column::ScopeOrgId, Expr::value(ch.scope_org_id))
        .col_expr(account::Column::Roles, Expr::value(ch.roles.0))
        .col_expr(account::Column::Active, Expr::value(ch.active))
        .col_expr(account::Column::UpdatedAt, Expr::value(now()))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    if !ch.active || ch.scope_org_id != before.scope_org_id || ch.roles != before.roles {
        crate::sessions::end_all(db, id).await?;
    }
    let after = get(db, &Scope::whole(), id).await?;
    tx.record(
        entry(tx, &after, "account.update", format!("修改账号“{}”", after.username), json(&before), json(&after))
            .await?,
    );
    Ok(after)
}

/// Sets a password chosen by an administrator (the holder must change it) or by the
/// holder; ends the account's other sessions.
pub async fn set_password(tx: &Tx, id: i64, password: &str, must_change: bool) -> Result<()> {
    let db = tx.conn();
    let a = get(db, tx.scope(), id).await?;
    // Whoever is shown a reset password can sign in as the holder: a security administrator
    // resetting another administrator would break 三员分立.
    if must_change && a.roles.has_admin() && !tx.scope().is_system() {
        return Err(StoreError::Forbidden("三员账号的密码只能由服务器管理员用命令行重置".into()));
    }
    check_password(password, &a.username).map_err(|m| StoreError::invalid("password", m))?;
    let current = account::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("账号"))?;
    if !must_change && repeats_recent(db, &current, password).await? {
        return Err(StoreError::invalid(
            "password",
            format!("新密码不能与最近{PASSWORD_HISTORY}次使用过的密码相同，请另设一个"),
        ));
    }
    remember_password(db, id, current.password_hash).await?;
    // A reset awaiting its holder ends with any new password.
    password_reset::Entity::delete_many().filter(password_reset::Column::AccountId.eq(id)).exec(db).await?;
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash_password(password)?))
        .col_expr(account::Column::PasswordChangedAt, Expr::value(now()))
        .col_expr(account::Column::MustChangePassword, Expr::value(must_change))
        .col_expr(account::Column::FailedAttempts, Expr::value(0))
        .col_expr(account::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(account::Column::UpdatedAt, Expr::value(now()))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    crate::sessions::end_all(db, id).await?;
    let (action, summary) = if must_change {
        ("account.reset_password", format!("重置账号“{}”的密码", a.username))
    } else {
        ("account.change_password", format!("账号“{}”修改了密码", a.username))
    };
    tx.record(entry(tx, &a, action, summary, None, None).await?);
    Ok(())
}

/// The password is the current one or one of the last few (the history keeps
/// `PASSWORD_HISTORY - 1` earlier hashes).
async fn repeats_recent(db: &impl ConnectionTrait, current: &account::Model, password: &str) -> Result<bool> {
    if verify_password(&current.password_hash, password) {
        return Ok(true);
    }
    let earlier = password_history::Entity::find()
        .filter(password_history::Column::AccountId.eq(current.id))
        .order_by(password_history::Column::Id, Order::Desc)
        .limit(PASSWORD_HISTORY.saturating_sub(1) as u64)
        .all(db)
        .await?;
    Ok(earlier.iter().any(|h| verify_password(&h.password_hash, password)))
}

/// Keeps the hash being replaced, and only as many as the rule looks back.
async fn remember_password(db: &impl ConnectionTrait, id: i64, hash: String) -> Result<()> {
    password_history::ActiveModel {
        account_id: Set(id),
        password_hash: Set(hash),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(db)
    .await?;
    // A handful of rows per account: trimmed here, in order.
    let old: Vec<i64> = password_history::Entity::find()
        .filter(password_history::Column::AccountId.eq(id))
        .order_by(password_history::Column::Id, Order::Desc)
        .all(db)
        .await?
        .into_iter()
        .skip(PASSWORD_HISTORY.saturating_sub(1))
        .map(|h| h.id)
        .collect();
    if !old.is_empty() {
        password_history::Entity::delete_many().filter(password_history::Column::Id.is_in(old)).exec(db).await?;
    }
    Ok(())
}

/// A reset by the security administrator, in two halves (三员分立: no one of them can sign
/// in as the holder). The temporary password is set as any reset's; the security
/// administrator is shown the first half (returned), the second half is kept for the system
/// administrators of the account's scope to hand over (see [`pending_reset`]) until the
/// holder sets a new password. The holder signs in with both halves, one after the other.
pub async fn reset_password_split(tx: &Tx, id: i64) -> Result<String> {
    let a = get(tx.conn(), tx.scope(), id).await?;
    let (first, second) = loop {
        let (f, s) = (format!("Xp{}", random_hex(4)), format!("#{}", random_hex(4).to_uppercase()));
        // Random hex could spell a short user name.
        if check_password(&format!("{f}{s}"), &a.username).is_ok() {
            break (f, s);
        }
    };
    set_password(tx, id, &format!("{first}{second}"), true).await?;
    password_reset::ActiveModel {
        account_id: Set(id),
        second_half: Set(second),
        reset_by: Set(tx.actor().account_id),
        created_at: Set(now()),
    }
    .insert(tx.conn())
    .await?;
    Ok(first)
}

/// The second half of a reset awaiting the holder of an account of the scope.
pub async fn pending_reset(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Option<PendingReset>> {
    let a = get(db, scope, id).await?;
    Ok(password_reset::Entity::find_by_id(a.id)
        .one(db)
        .await?
        .map(|r| PendingReset { second_half: r.second_half, created_at: r.created_at }))
}

/// See [`pending_reset`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingReset {
    pub second_half: String,
    pub created_at: DateTime<Utc>,
}

/// Checks the current password before a holder sets a new one.
/// What a check of the current password found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    Right,
    Wrong,
    /// Wrong once too often: the account is locked and its sessions are ended.
    Locked,
}

/// Checks an account's current password (to change it), counting a wrong one as a failed
/// sign-in would: a session left open must not let anyone guess the password unhindered.
pub async fn check_current_password(
    db: &DatabaseConnection,
    actor: &Actor,
    id: i64,
    password: &str,
    policy: &SecurityPolicy,
) -> Result<PasswordCheck> {
    let m = account::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("账号"))?;
    if verify_password(&m.password_hash, password) {
        return Ok(PasswordCheck::Right);
    }
    let scope_path =
        organization::Entity::find_by_id(m.scope_org_id).one(db).await?.map_or_else(|| "/".to_owned(), |o| o.path);
    let tx = Tx::begin(db, &Scope::whole(), actor).await?;
    let locked = count_failure(&tx, &m, policy, now(), &scope_path, "修改密码时原密码错误").await?;
    if locked {
        crate::sessions::end_all(tx.conn(), m.id).await?;
    }
    tx.commit().await?;
    Ok(if locked { PasswordCheck::Locked } else { PasswordCheck::Wrong })
}

/// Counts a wrong password against the account and locks it at the threshold (counted in
/// the database, so that guesses sent in parallel each count); audited as `what`. Returns
/// whether it locked the account.
async fn count_failure(
    tx: &Tx,
    m: &account::Model,
    policy: &SecurityPolicy,
    at: DateTime<Utc>,
    scope_path: &str,
    what: &str,
) -> Result<bool> {
    account::Entity::update_many()
        .col_expr(account::Column::FailedAttempts, Expr::col(account::Column::FailedAttempts).add(1))
        .filter(account::Column::Id.eq(m.id))
        .exec(tx.conn())
        .await?;
    let failures =
        account::Entity::find_by_id(m.id).one(tx.conn()).await?.map_or(policy.lockout_threshold, |a| a.failed_attempts);
    if failures < policy.lockout_threshold {
        tx.note("login.failed", scope_path, format!("{what}：账号“{}”密码错误（第{failures}次）", m.username), None);
        return Ok(false);
    }
    let until = at + Duration::minutes(policy.lockout_minutes);
    account::Entity::update_many()
        .col_expr(account::Column::FailedAttempts, Expr::value(0))
        .col_expr(account::Column::LockedUntil, Expr::value(Some(until)))
        .filter(account::Column::Id.eq(m.id))
        .exec(tx.conn())
        .await?;
    tx.note(
        "account.locked",
        scope_path,
        format!("账号“{}”连续{failures}次密码错误，锁定{}分钟", m.username, policy.lockout_minutes),
        None,
    );
    Ok(true)
}

/// Locks an account (until a time, or indefinitely) and ends its sessions; or unlocks it.
pub async fn set_lock(tx: &Tx, id: i64, until: Option<DateTime<Utc>>) -> Result<Account> {
    let db = tx.conn();
    let before = get(db, tx.scope(), id).await?;
    // 三员分立: the security administrator must not shut the system administrator or the
    // auditor out (nor anyone another administrator).
    if until.is_some() && before.roles.has_admin() && !tx.scope().is_system() {
        return Err(StoreError::Forbidden("三员账号不能在网页上被锁定；确需锁定时，由服务器管理员用命令行办理".into()));
    }
    // MySQL's driver sends an instant as a TIMESTAMP, which ends in 2038: MariaDB stores an
    // indefinite lock (year 9999) as nothing at all. The wall-clock UTC time goes in as a
    // DATETIME instead, which the column is.
    let stored: sea_orm::Value = match (db.get_database_backend(), until) {
        (sea_orm::DbBackend::MySql, Some(u)) => u.naive_utc().into(),
        _ => until.into(),
    };
    account::Entity::update_many()
        .col_expr(account::Column::LockedUntil, Expr::value(stored))
        .col_expr(account::Column::FailedAttempts, Expr::value(0))
        .col_expr(account::Column::UpdatedAt, Expr::value(now()))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    if until.is_some() {
        crate::sessions::end_all(db, id).await?;
    }
    let after = get(db, &Scope::whole(), id).await?;
    let summary = if until.is_some() {
        format!("锁定账号“{}”", after.username)
    } else {
        format!("解锁账号“{}”", after.username)
    };
    tx.record(
        entry(
            tx,
            &after,
            if until.is_some() { "account.lock" } else { "account.unlock" },
            summary,
            json(&before.locked_until),
            json(&after.locked_until),
        )
        .await?,
    );
    Ok(after)
}

/// A lock that does not end by itself.
pub fn indefinitely() -> DateTime<Utc> {
    DateTime::from_timestamp(253_402_214_400, 0).unwrap_or_else(Utc::now)
}

/// How a sign-in went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Login {
    Ok(Account),
    /// Every failure reads the same: an unknown name, a wrong password (also of a locked or
    /// disabled account), or a sign-in refused unchecked while its name or address is
    /// paused (see [`crate::throttle`]).
    Rejected,
    /// The right password of a locked account: told to the holder only.
    Locked {
        until: DateTime<Utc>,
    },
    /// The right password of a disabled account.
    Disabled,
}

/// Checks a sign-in, counting failures (per account, locking it at the threshold; per
/// name and per address, pausing them — see [`crate::throttle`]). Every outcome is audited
/// with the address it came from, except attempts refused while paused (the pause is).
pub async fn authenticate(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
    ip: Option<&str>,
    policy: &SecurityPolicy,
) -> Result<Login> {
    use crate::throttle;
    let name: String = xuepei_domain::text::compact(username).to_ascii_lowercase().chars().take(64).collect();
    let at = now();
    let keys = throttle::keys(&name, ip);
    if throttle::paused(db, &keys, policy, at).await? {
        return Ok(Login::Rejected);
    }
    let found = account::Entity::find().filter(account::Column::Username.eq(name.as_str())).one(db).await?;
    let actor = |id: Option<i64>| Actor {
        account_id: id,
        username: name.chars().take(32).collect(),
        ip: ip.map(str::to_owned),
        id_checks: crate::idchecks::IdChecks::default(),
    };
    let Some(m) = found else {
        // Spend the same time as a real check, so that timing does not tell names apart.
        let _ = verify_password(dummy_hash(), password);
        let who = actor(None);
        let tx = Tx::begin(db, &Scope::whole(), &who).await?;
        throttle::fail(&tx, &keys, policy, at).await?;
        tx.note("login.failed", "/", format!("登录失败：用户名“{}”不存在", who.username), None);
        tx.commit().await?;
        return Ok(Login::Rejected);
    };
    let scope_path =
        organization::Entity::find_by_id(m.scope_org_id).one(db).await?.map_or_else(|| "/".to_owned(), |o| o.path);
    let who = actor(Some(m.id));
    let locked = m.locked_until.filter(|u| *u > at);
    if !verify_password(&m.password_hash, password) {
        let tx = Tx::begin(db, &Scope::whole(), &who).await?;
        throttle::fail(&tx, &keys, policy, at).await?;
        if !m.active || locked.is_some() {
            let state = if m.active { "处于锁定状态" } else { "已停用" };
            tx.note("login.failed", &scope_path, format!("登录失败：账号“{}”{state}，且密码错误", m.username), None);
            tx.commit().await?;
            return Ok(Login::Rejected);
        }
        count_failure(&tx, &m, policy, at, &scope_path, "登录失败").await?;
        tx.commit().await?;
        return Ok(Login::Rejected);
    }
    // The password is right: now the holder may learn why they cannot sign in.
    if !m.active {
        audit::event(db, &who, &scope_path, "login.failed", format!("登录失败：账号“{}”已停用", m.username), None)
            .await?;
        return Ok(Login::Disabled);
    }
    if let Some(until) = locked {
        audit::event(
            db,
            &who,
            &scope_path,
            "login.failed",
            format!("登录失败：账号“{}”处于锁定状态", m.username),
            None,
        )
        .await?;
        return Ok(Login::Locked { until });
    }
    let tx = Tx::begin(db, &Scope::whole(), &who).await?;
    // A guess sent in parallel may have locked the account while this password was checked.
    let res = account::Entity::update_many()
        .col_expr(account::Column::FailedAttempts, Expr::value(0))
        .col_expr(account::Column::LockedUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(account::Column::LastLoginAt, Expr::value(Some(at)))
        .filter(account::Column::Id.eq(m.id))
        .filter(Condition::any().add(account::Column::LockedUntil.is_null()).add(account::Column::LockedUntil.lte(at)))
        .exec(tx.conn())
        .await?;
    if res.rows_affected == 0 {
        tx.rollback().await?;
        let until = account::Entity::find_by_id(m.id).one(db).await?.and_then(|a| a.locked_until).unwrap_or(at);
        return Ok(Login::Locked { until });
    }
    throttle::clear_name(tx.conn(), &name).await?;
    tx.note("login", &scope_path, format!("账号“{}”登录", m.username), None);
    tx.commit().await?;
    let m = account::Entity::find_by_id(m.id).one(db).await?.ok_or(StoreError::NotFound("账号"))?;
    Ok(Login::Ok(Account::from(m)))
}

/// Looks an account up by user name for the command line (the operator's tool).
pub async fn by_username(db: &impl ConnectionTrait, username: &str) -> Result<Account> {
    let name = xuepei_domain::text::compact(username).to_ascii_lowercase();
    account::Entity::find()
        .filter(account::Column::Username.eq(name.as_str()))
        .one(db)
        .await?
        .map(Account::from)
        .ok_or(StoreError::NotFound("账号"))
}
