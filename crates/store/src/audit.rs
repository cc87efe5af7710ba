//! The audit trail (全程留痕) and the write handle that feeds it.
//!
//! Every change goes through a [`Tx`]: a transaction bound to a scope and an actor. Changes
//! record entries on it, and [`Tx::commit`] appends them to `audit_log` in the same
//! transaction — no change without its entry. Entries are chained: each holds the SHA-256
//! of its content and of the previous entry's hash, under a sequence number without gaps,
//! so [`verify`] finds any edited, inserted or deleted entry and names the first bad one.
//! Appends lock the single `audit_head` row, which serialises them across processes.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, Order, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::entity::{audit_head, audit_log};
use crate::error::{Result, StoreError};
use crate::org::{Page, now};
use crate::scope::Scope;

/// Who acts: an account (with the address it came from), or the operator at the
/// command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account_id: Option<i64>,
    pub username: String,
    pub ip: Option<String>,
    /// How identity numbers registered outside the actor's scope are answered and watched.
    pub id_checks: crate::idchecks::IdChecks,
}

impl Actor {
    /// The server's operator (command line, demo set-up, housekeeping).
    pub fn operator(what: &str) -> Self {
        Actor {
            account_id: None,
            username: format!("[{what}]"),
            ip: None,
            id_checks: crate::idchecks::IdChecks::OPERATOR,
        }
    }
}

/// One entry to be written.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<String>,
    /// Where it happened (the changed organisation's path), for scoped reading.
    pub scope_path: String,
    pub summary: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// A write transaction bound to a scope and an actor; see the module documentation.
#[derive(Debug)]
pub struct Tx {
    txn: DatabaseTransaction,
    scope: Scope,
    actor: Actor,
    entries: Mutex<Vec<Entry>>,
    /// Identity numbers met outside the scope, written when the transaction ends.
    id_checks: crate::idchecks::Log,
}

impl Tx {
    pub async fn begin(db: &DatabaseConnection, scope: &Scope, actor: &Actor) -> Result<Tx> {
        // SQLite: take the write lock at BEGIN, so that two writers queue instead of the
        // second failing on its stale snapshot; it then sees the first one's rows (a taken
        // code is a validation message, not "busy"). Other backends ignore the mode.
        let options = sea_orm::TransactionOptions {
            sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        let txn = db.begin_with_options(options).await?;
        Ok(Tx {
            txn,
            scope: scope.clone(),
            actor: actor.clone(),
            entries: Mutex::new(Vec::new()),
            id_checks: crate::idchecks::Log::new(db, actor),
        })
    }

    /// The transaction, for reads inside it.
    pub fn conn(&self) -> &DatabaseTransaction {
        &self.txn
    }

    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Notes an identity number found registered outside the scope (see [`crate::idchecks`]).
    pub(crate) fn id_elsewhere(&self, number: &str, what: &str) {
        let path = self.scope.root_path().unwrap_or("/");
        self.id_checks.add(number, path, what);
    }

    pub(crate) fn record(&self, e: Entry) {
        if let Ok(mut v) = self.entries.lock() {
            v.push(e);
        }
    }

    /// Records an event that is not a row change (a login, an export).
    pub fn note(
        &self,
        action: &'static str,
        scope_path: &str,
        summary: impl Into<String>,
        details: Option<serde_json::Value>,
    ) {
        self.record(Entry {
            action,
            target_type: "event",
            target_id: None,
            scope_path: scope_path.to_owned(),
            summary: summary.into(),
            before: None,
            after: details,
        });
    }

    /// Appends the recorded entries and commits, all or nothing.
    pub async fn commit(self) -> Result<()> {
        let entries = self.entries.into_inner().unwrap_or_default();
        if !entries.is_empty() {
            append(&self.txn, &self.actor, entries).await?;
        }
        self.txn.commit().await?;
        self.id_checks.flush().await
    }

    pub async fn rollback(self) -> Result<()> {
        self.txn.rollback().await?;
        self.id_checks.flush().await
    }
}

/// Records an event in a transaction of its own.
pub async fn event(
    db: &DatabaseConnection,
    actor: &Actor,
    scope_path: &str,
    action: &'static str,
    summary: impl Into<String>,
    details: Option<serde_json::Value>,
) -> Result<()> {
    let tx = Tx::begin(db, &Scope::whole(), actor).await?;
    tx.note(action, scope_path, summary, details);
    tx.commit().await
}

pub(crate) fn json<T: Serialize>(v: &T) -> Option<serde_json::Value> {
    serde_json::to_value(v).ok()
}

/// The content an entry's hash covers, each field length-prefixed so that no two
/// different entries can read the same.
#[allow(clippy::too_many_arguments)]
fn entry_hash(
    prev: &str,
    seq: i64,
    at: DateTime<Utc>,
    account_id: Option<i64>,
    username: &str,
    ip: Option<&str>,
    action: &str,
    target_type: &str,
    target_id: Option<&str>,
    scope_path: &str,
    summary: &str,
    before: Option<&str>,
    after: Option<&str>,
) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update(s.len().to_string().as_bytes());
        h.update(b":");
        h.update(s.as_bytes());
        h.update(b"|");
    };
    put(prev);
    put(&seq.to_string());
    put(&at.timestamp_micros().to_string());
    put(&account_id.map(|i| i.to_string()).unwrap_or_default());
    put(username);
    put(ip.unwrap_or("-"));
    put(action);
    put(target_type);
    put(target_id.unwrap_or("-"));
    put(scope_path);
    put(summary);
    put(before.unwrap_or("-"));
    put(after.unwrap_or("-"));
    hex::encode(h.finalize())
}

fn hash_of(m: &audit_log::Model) -> String {
    entry_hash(
        &m.prev_hash,
        m.seq,
        m.at,
        m.account_id,
        &m.username,
        m.ip.as_deref(),
        &m.action,
        &m.target_type,
        m.target_id.as_deref(),
        &m.scope_path,
        &m.summary,
        m.before.as_deref(),
        m.after.as_deref(),
    )
}

async fn lock_head(txn: &DatabaseTransaction) -> Result<audit_head::Model> {
    // A no-op UPDATE takes the row lock until the transaction ends.
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::LastSeq, Expr::col(audit_head::Column::LastSeq))
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    audit_head::Entity::find_by_id(1).one(txn).await?.ok_or_else(|| StoreError::Conflict("审计日志链头缺失".into()))
}

async fn append(txn: &DatabaseTransaction, actor: &Actor, entries: Vec<Entry>) -> Result<()> {
    let head = lock_head(txn).await?;
    let at = now();
    let mut seq = head.last_seq;
    let mut prev = head.last_hash;
    let mut models = Vec::with_capacity(entries.len());
    for e in entries {
        seq += 1;
        let before = e.before.map(|v| v.to_string());
        let after = e.after.map(|v| v.to_string());
        let summary: String = e.summary.chars().take(250).collect();
        let hash = entry_hash(
            &prev,
            seq,
            at,
            actor.account_id,
            &actor.username,
            actor.ip.as_deref(),
            e.action,
            e.target_type,
            e.target_id.as_deref(),
            &e.scope_path,
            &summary,
            before.as_deref(),
            after.as_deref(),
        );
        models.push(audit_log::ActiveModel {
            seq: Set(seq),
            at: Set(at),
            account_id: Set(actor.account_id),
            username: Set(actor.username.clone()),
            ip: Set(actor.ip.clone()),
            action: Set(e.action.to_owned()),
            target_type: Set(e.target_type.to_owned()),
            target_id: Set(e.target_id),
            scope_path: Set(e.scope_path),
            summary: Set(summary),
            before: Set(before),
            after: Set(after),
            prev_hash: Set(prev.clone()),
            hash: Set(hash.clone()),
            ..Default::default()
        });
        prev = hash;
    }
    while !models.is_empty() {
        let rest = models.split_off(models.len().min(500));
        audit_log::Entity::insert_many(std::mem::replace(&mut models, rest)).exec_without_returning(txn).await?;
    }
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::LastSeq, Expr::value(seq))
        .col_expr(audit_head::Column::LastHash, Expr::value(prev))
        .filter(audit_head::Column::Id.eq(1))
        .exec(txn)
        .await?;
    Ok(())
}

/// An audit entry as shown and exported.
#[derive(Debug, Clone, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub account_id: Option<i64>,
    pub username: String,
    pub ip: Option<String>,
    pub action: String,
    pub target_type: String,
    pub target_id: Option<String>,
    pub scope_path: String,
    pub summary: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub hash: String,
    pub prev_hash: String,
}

impl From<audit_log::Model> for AuditEntry {
    fn from(m: audit_log::Model) -> Self {
        AuditEntry {
            seq: m.seq,
            at: m.at,
            account_id: m.account_id,
            username: m.username,
            ip: m.ip,
            action: m.action,
            target_type: m.target_type,
            target_id: m.target_id,
            scope_path: m.scope_path,
            summary: m.summary,
            before: m.before,
            after: m.after,
            hash: m.hash,
            prev_hash: m.prev_hash,
        }
    }
}

/// Filters of the audit search.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub username: Option<String>,
    /// An action code prefix (`org.`, `person.update`, `login`).
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub ip: Option<String>,
}

fn audit_cond(scope: &Scope, f: &AuditFilter) -> Condition {
    let mut c = scope.cond(audit_log::Column::ScopePath);
    if let Some(u) = f.username.as_deref().filter(|s| !s.is_empty()) {
        c = c.add(audit_log::Column::Username.eq(u));
    }
    if let Some(a) = f.action.as_deref().filter(|s| !s.is_empty()) {
        c = c.add(crate::org::prefix_cond(audit_log::Column::Action, a));
    }
    if let Some(t) = f.from {
        c = c.add(audit_log::Column::At.gte(t));
    }
    if let Some(t) = f.to {
        c = c.add(audit_log::Column::At.lt(t));
    }
    if let Some(ip) = f.ip.as_deref().filter(|s| !s.is_empty()) {
        c = c.add(audit_log::Column::Ip.eq(ip));
    }
    c
}

/// Entries of the scope, newest first; `before` is the previous page's last sequence
/// number.
pub async fn search(
    db: &impl ConnectionTrait,
    scope: &Scope,
    f: &AuditFilter,
    before: Option<i64>,
    limit: u64,
) -> Result<Page<AuditEntry>> {
    let mut c = audit_cond(scope, f);
    if let Some(b) = before {
        c = c.add(audit_log::Column::Seq.lt(b));
    }
    let (limit, fetch) = crate::page::fetch(limit, 5000);
    let rows =
        audit_log::Entity::find().filter(c).order_by(audit_log::Column::Seq, Order::Desc).limit(fetch).all(db).await?;
    // Newest first; only the older pages are offered.
    Ok(crate::page::page_of(rows, limit, crate::page::At::First, |m| m.seq.to_string(), AuditEntry::from))
}

/// The outcome of a verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    pub checked: u64,
    pub first_seq: i64,
    pub last_seq: i64,
    /// The first entry that fails, with the reason.
    pub first_bad: Option<(i64, String)>,
    /// The head's hash, for the operator to record outside the database: a chain cut off at
    /// the end with its head rewritten no longer ends in it.
    pub last_hash: String,
}

/// Walks the whole chain from the last archived entry. Operator tool, unscoped.
pub async fn verify(db: &DatabaseConnection) -> Result<VerifyReport> {
    let head = audit_head::Entity::find_by_id(1)
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Conflict("审计日志链头缺失".into()))?;
    let mut expected_seq = head.archived_seq + 1;
    let mut prev = head.archived_hash.clone();
    let mut checked = 0;
    let mut after = head.archived_seq;
    let bad = |seq: i64, why: String, checked: u64| VerifyReport {
        checked,
        first_seq: head.archived_seq + 1,
        last_seq: seq,
        first_bad: Some((seq, why)),
        last_hash: head.last_hash.clone(),
    };
    loop {
        // Up to the head read above: entries appended while this runs are for the next check.
        let rows = audit_log::Entity::find()
            .filter(audit_log::Column::Seq.gt(after))
            .filter(audit_log::Column::Seq.lte(head.last_seq))
            .order_by(audit_log::Column::Seq, Order::Asc)
            .limit(5000)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for m in rows {
            if m.seq != expected_seq {
                let why = if m.seq > expected_seq {
                    format!("第{expected_seq}条至第{}条记录缺失（被删除）", m.seq - 1)
                } else {
                    format!("第{}条记录序号异常", m.seq)
                };
                return Ok(bad(expected_seq, why, checked));
            }
            if m.prev_hash != prev {
                return Ok(bad(
                    m.seq,
                    format!("第{}条记录与前一条的链接不符（记录被插入或前一条被改动）", m.seq),
                    checked,
                ));
            }
            if hash_of(&m) != m.hash {
                return Ok(bad(m.seq, format!("第{}条记录的内容与其哈希不符（记录被篡改）", m.seq), checked));
            }
            prev = m.hash.clone();
            expected_seq += 1;
            checked += 1;
        }
    }
    if expected_seq - 1 != head.last_seq || prev != head.last_hash {
        let why = if expected_seq - 1 < head.last_seq {
            format!("第{}条至第{}条记录缺失（末尾被删除）", expected_seq, head.last_seq)
        } else {
            "链头与最后一条记录不符".to_owned()
        };
        return Ok(bad(expected_seq, why, checked));
    }
    // An entry beyond the current head was not appended through the chain.
    let head_now = audit_head::Entity::find_by_id(1).one(db).await?.map_or(head.last_seq, |h| h.last_seq);
    if let Some(extra) = audit_log::Entity::find()
        .filter(audit_log::Column::Seq.gt(head_now))
        .order_by(audit_log::Column::Seq, Order::Asc)
        .one(db)
        .await?
    {
        return Ok(bad(extra.seq, format!("第{}条记录在链头之后（记录被插入）", extra.seq), checked));
    }
    Ok(VerifyReport {
        checked,
        first_seq: head.archived_seq + 1,
        last_seq: head.last_seq,
        first_bad: None,
        last_hash: head.last_hash.clone(),
    })
}

/// Moves entries older than `cutoff` to a JSON-lines file in `dir` (never dropping them
/// silently): the file is written and synced before the rows are deleted, and the chain's
/// anchor moves to the last archived entry. Returns the file and the count.
pub async fn archive_before(
    db: &DatabaseConnection,
    cutoff: DateTime<Utc>,
    dir: &Path,
) -> Result<Option<(PathBuf, u64)>> {
    use std::io::Write;
    let txn = db.begin().await?;
    lock_head(&txn).await?;
    // A contiguous run from the start of the chain: entries before the first one at or after
    // the cutoff (by sequence, not by time, so a clock that stepped back loses nothing).
    let boundary = audit_log::Entity::find()
        .filter(audit_log::Column::At.gte(cutoff))
        .order_by(audit_log::Column::Seq, Order::Asc)
        .one(&txn)
        .await?
        .map(|m| m.seq);
    let mut old = audit_log::Entity::find().order_by(audit_log::Column::Seq, Order::Asc);
    if let Some(b) = boundary {
        old = old.filter(audit_log::Column::Seq.lt(b));
    }
    let old = old.all(&txn).await?;
    let Some(last) = old.last() else {
        txn.rollback().await?;
        return Ok(None);
    };
    let (first_seq, last_seq, last_hash) = (old[0].seq, last.seq, last.hash.clone());
    std::fs::create_dir_all(dir)
        .map_err(|e| StoreError::Conflict(format!("无法创建归档目录 {}：{e}", dir.display())))?;
    let file = dir.join(format!("audit-{first_seq:010}-{last_seq:010}.jsonl"));
    let mut w = std::io::BufWriter::new(
        std::fs::File::create(&file).map_err(|e| StoreError::Conflict(format!("无法写入 {}：{e}", file.display())))?,
    );
    for m in &old {
        let line =
            serde_json::to_string(&AuditEntry::from(m.clone())).map_err(|e| StoreError::Conflict(e.to_string()))?;
        writeln!(w, "{line}").map_err(|e| StoreError::Conflict(e.to_string()))?;
    }
    let f = w.into_inner().map_err(|e| StoreError::Conflict(e.to_string()))?;
    f.sync_all().map_err(|e| StoreError::Conflict(e.to_string()))?;
    audit_log::Entity::delete_many().filter(audit_log::Column::Seq.lte(last_seq)).exec(&txn).await?;
    audit_head::Entity::update_many()
        .col_expr(audit_head::Column::ArchivedSeq, Expr::value(last_seq))
        .col_expr(audit_head::Column::ArchivedHash, Expr::value(last_hash))
        .filter(audit_head::Column::Id.eq(1))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(Some((file, old.len() as u64)))
}

/// What a signed-in account reads of the trail. The audit administrator reads all of it,
/// whatever the account's scope: 三员 are roles of the whole system, and a view cut to a
/// subtree hides entries that belong to no organisation (sign-ins with unknown names,
/// throttling) — the sequence then shows gaps and the count differs from the chain.
#[derive(Debug, Clone)]
pub struct TrailView {
    scope: Scope,
}

impl TrailView {
    /// The view of an account (its roles read from the database), else of `scope`.
    pub async fn of_account(db: &impl ConnectionTrait, account_id: i64, scope: &Scope) -> Result<TrailView> {
        use xuepei_domain::accounts::{AccountRole, AccountRoles};
        let a = crate::entity::account::Entity::find_by_id(account_id)
            .one(db)
            .await?
            .ok_or(StoreError::NotFound("账号"))?;
        let whole = a.active && AccountRoles(a.roles).contains(AccountRole::AuditAdmin);
        Ok(TrailView { scope: if whole { Scope::whole() } else { scope.clone() } })
    }

    /// Entries, newest first (see [`search`]).
    pub async fn search(
        &self,
        db: &impl ConnectionTrait,
        f: &AuditFilter,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Page<AuditEntry>> {
        search(db, &self.scope, f, before, limit).await
    }

    pub async fn count(&self, db: &impl ConnectionTrait, f: &AuditFilter) -> Result<u64> {
        count(db, &self.scope, f).await
    }
}

/// The view of a scope (no wider than the scope itself).
impl From<&Scope> for TrailView {
    fn from(scope: &Scope) -> Self {
        TrailView { scope: scope.clone() }
    }
}

/// How many entries the scope holds (for the audit page).
pub async fn count(db: &impl ConnectionTrait, scope: &Scope, f: &AuditFilter) -> Result<u64> {
    use sea_orm::PaginatorTrait;
    Ok(audit_log::Entity::find().filter(audit_cond(scope, f)).count(db).await?)
}
