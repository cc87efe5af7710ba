//! Accounts: who may sign in, with which roles, over which subtree; passwords hashed with
//! argon2id; lock-out after repeated failures. Every change is audited.

use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, Order, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde::Serialize;
use xuepei_domain::accounts::{AccountRoles, check_password, check_username};

use crate::audit::{self, Actor, Entry, Tx, json};
use crate::entity::{account, organization};
use crate::error::{Result, StoreError};
use crate::org::{self, Page, now};
use crate::scope::Scope;

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
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy { lockout_threshold: 5, lockout_minutes: 30, idle_minutes: 30, password_max_age_days: 90 }
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

/// Accounts of the scope by user name; `after` is the previous page's last name.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    q: Option<&str>,
    after: Option<&str>,
    limit: u64,
) -> Result<Page<Account>> {
    let mut c = scope.org_id_cond(account::Column::ScopeOrgId);
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        c = c.add(
            Condition::any()
                .add(org::prefix_cond(account::Column::Username, &q.to_ascii_lowercase()))
                .add(account::Column::DisplayName.eq(q)),
        );
    }
    if let Some(a) = after {
        c = c.add(account::Column::Username.gt(a));
    }
    let limit = limit.clamp(1, 500);
    let mut rows = account::Entity::find()
        .filter(c)
        .order_by(account::Column::Username, Order::Asc)
        .limit(limit + 1)
        .all(db)
        .await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|m| m.username.clone())
    } else {
        None
    };
    Ok(Page { items: rows.into_iter().map(Account::from).collect(), next })
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
    let after = get(db, &Scope::system(), id).await?;
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

/// Checks the current password before a holder sets a new one.
pub async fn check_current_password(db: &impl ConnectionTrait, id: i64, password: &str) -> Result<bool> {
    let m = account::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("账号"))?;
    Ok(verify_password(&m.password_hash, password))
}

/// Locks an account (until a time, or indefinitely) and ends its sessions; or unlocks it.
pub async fn set_lock(tx: &Tx, id: i64, until: Option<DateTime<Utc>>) -> Result<Account> {
    let db = tx.conn();
    let before = get(db, tx.scope(), id).await?;
    account::Entity::update_many()
        .col_expr(account::Column::LockedUntil, Expr::value(until))
        .col_expr(account::Column::FailedAttempts, Expr::value(0))
        .col_expr(account::Column::UpdatedAt, Expr::value(now()))
        .filter(account::Column::Id.eq(id))
        .exec(db)
        .await?;
    if until.is_some() {
        crate::sessions::end_all(db, id).await?;
    }
    let after = get(db, &Scope::system(), id).await?;
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
    /// Unknown user name or wrong password (not told apart).
    Rejected {
        attempts_left: Option<i32>,
    },
    Locked {
        until: DateTime<Utc>,
    },
    Disabled,
}

/// Checks a sign-in, counting failures and locking the account at the threshold. Every
/// outcome is audited with the address it came from.
pub async fn authenticate(
    db: &DatabaseConnection,
    username: &str,
    password: &str,
    ip: Option<&str>,
    policy: &SecurityPolicy,
) -> Result<Login> {
    let name = xuepei_domain::text::compact(username).to_ascii_lowercase();
    let found = account::Entity::find().filter(account::Column::Username.eq(name.as_str())).one(db).await?;
    let at = now();
    let actor = |id: Option<i64>| Actor {
        account_id: id,
        username: name.chars().take(32).collect(),
        ip: ip.map(str::to_owned),
    };
    let Some(m) = found else {
        // Spend the same time as a real check, so that timing does not tell names apart.
        let _ = verify_password(dummy_hash(), password);
        audit::event(
            db,
            &actor(None),
            "/",
            "login.failed",
            format!("登录失败：用户名“{}”不存在", actor(None).username),
            None,
        )
        .await?;
        return Ok(Login::Rejected { attempts_left: None });
    };
    let scope_path =
        organization::Entity::find_by_id(m.scope_org_id).one(db).await?.map_or_else(|| "/".to_owned(), |o| o.path);
    let who = actor(Some(m.id));
    if !m.active {
        audit::event(db, &who, &scope_path, "login.failed", format!("登录失败：账号“{}”已停用", m.username), None)
            .await?;
        return Ok(Login::Disabled);
    }
    if let Some(until) = m.locked_until.filter(|u| *u > at) {
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
    if !verify_password(&m.password_hash, password) {
        let tx = Tx::begin(db, &Scope::system(), &who).await?;
        // Counted in the database, so that guesses sent in parallel each count.
        account::Entity::update_many()
            .col_expr(account::Column::FailedAttempts, Expr::col(account::Column::FailedAttempts).add(1))
            .filter(account::Column::Id.eq(m.id))
            .exec(tx.conn())
            .await?;
        let failures = account::Entity::find_by_id(m.id)
            .one(tx.conn())
            .await?
            .map_or(policy.lockout_threshold, |a| a.failed_attempts);
        if failures >= policy.lockout_threshold {
            let until = at + Duration::minutes(policy.lockout_minutes);
            account::Entity::update_many()
                .col_expr(account::Column::FailedAttempts, Expr::value(0))
                .col_expr(account::Column::LockedUntil, Expr::value(Some(until)))
                .filter(account::Column::Id.eq(m.id))
                .exec(tx.conn())
                .await?;
            tx.note(
                "account.locked",
                &scope_path,
                format!("账号“{}”连续{failures}次密码错误，锁定{}分钟", m.username, policy.lockout_minutes),
                None,
            );
            tx.commit().await?;
            return Ok(Login::Locked { until });
        }
        tx.note("login.failed", &scope_path, format!("登录失败：账号“{}”密码错误（第{failures}次）", m.username), None);
        tx.commit().await?;
        return Ok(Login::Rejected { attempts_left: Some(policy.lockout_threshold - failures) });
    }
    let tx = Tx::begin(db, &Scope::system(), &who).await?;
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

/// How many accounts the scope holds, by state (for the dashboard of administrators).
pub async fn count(db: &impl ConnectionTrait, scope: &Scope) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(account::Entity::find().filter(scope.org_id_cond(account::Column::ScopeOrgId)).count(db).await?)
}
