//! Throttling of failed sign-ins, by client address and by user name — known or not, so
//! that spraying one password over many names, or flooding the trail with one unknown
//! name, is paused like guessing one account's password. Counted in the database (fixed
//! windows per key), so that every server process sees the same counts.
//!
//! While a key is paused, sign-ins under it are refused without checking the password and
//! without an audit entry each (the pause itself is one entry), and the answer is the same
//! as for a wrong password.

use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::accounts::SecurityPolicy;
use crate::audit::Tx;
use crate::entity::login_throttle;
use crate::error::Result;

/// What is counted: a client address or a user name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Key {
    Address(String),
    Name(String),
}

impl Key {
    fn id(&self) -> String {
        match self {
            Key::Address(a) => format!("ip:{}", a.chars().take(64).collect::<String>()),
            Key::Name(n) => format!("user:{}", n.chars().take(64).collect::<String>()),
        }
    }

    fn limit(&self, p: &SecurityPolicy) -> i32 {
        match self {
            Key::Address(_) => p.throttle_address_failures,
            Key::Name(_) => p.throttle_name_failures,
        }
    }

    fn describe(&self) -> String {
        match self {
            Key::Address(a) => format!("来源地址 {a}"),
            Key::Name(n) => format!("用户名“{n}”"),
        }
    }
}

fn window(p: &SecurityPolicy) -> Duration {
    Duration::minutes(Ord::max(p.throttle_minutes, 1))
}

/// The keys of a sign-in attempt.
pub(crate) fn keys(name: &str, ip: Option<&str>) -> Vec<Key> {
    let mut k = vec![Key::Name(name.to_owned())];
    if let Some(ip) = ip {
        k.push(Key::Address(ip.to_owned()));
    }
    k
}

/// Whether any key is paused now.
pub(crate) async fn paused(
    db: &impl ConnectionTrait,
    keys: &[Key],
    p: &SecurityPolicy,
    at: DateTime<Utc>,
) -> Result<bool> {
    let ids: Vec<String> = keys.iter().map(Key::id).collect();
    let rows = login_throttle::Entity::find()
        .filter(login_throttle::Column::Id.is_in(ids))
        .filter(login_throttle::Column::WindowStart.gt(at - window(p)))
        .all(db)
        .await?;
    Ok(rows.iter().any(|r| keys.iter().any(|k| k.id() == r.id && r.failures >= k.limit(p))))
}

/// Counts a failed sign-in under each key, inside the transaction that records it; the
/// failure that starts a pause notes it on the trail once.
pub(crate) async fn fail(tx: &Tx, keys: &[Key], p: &SecurityPolicy, at: DateTime<Utc>) -> Result<()> {
    let db = tx.conn();
    for k in keys {
        let id = k.id();
        let mut ins = Query::insert();
        ins.into_table(login_throttle::Entity)
            .columns([
                login_throttle::Column::Id,
                login_throttle::Column::WindowStart,
                login_throttle::Column::Failures,
                login_throttle::Column::Noted,
            ])
            .values_panic([id.clone().into(), at.into(), 0i32.into(), false.into()])
            .on_conflict(
                OnConflict::column(login_throttle::Column::Id).do_nothing_on([login_throttle::Column::Id]).to_owned(),
            );
        db.execute(&ins).await?;
        // A window that has run out starts again.
        login_throttle::Entity::update_many()
            .col_expr(login_throttle::Column::WindowStart, Expr::value(at))
            .col_expr(login_throttle::Column::Failures, Expr::value(0))
            .col_expr(login_throttle::Column::Noted, Expr::value(false))
            .filter(login_throttle::Column::Id.eq(id.as_str()))
            .filter(login_throttle::Column::WindowStart.lte(at - window(p)))
            .exec(db)
            .await?;
        login_throttle::Entity::update_many()
            .col_expr(login_throttle::Column::Failures, Expr::col(login_throttle::Column::Failures).add(1))
            .filter(login_throttle::Column::Id.eq(id.as_str()))
            .exec(db)
            .await?;
        let Some(row) = login_throttle::Entity::find_by_id(id.clone()).one(db).await? else { continue };
        if row.failures >= k.limit(p) && !row.noted {
            let claimed = login_throttle::Entity::update_many()
                .col_expr(login_throttle::Column::Noted, Expr::value(true))
                .filter(login_throttle::Column::Id.eq(id.as_str()))
                .filter(login_throttle::Column::Noted.eq(false))
                .exec(db)
                .await?
                .rows_affected;
            if claimed > 0 {
                let until = row.window_start + window(p);
                tx.note(
                    "login.throttled",
                    "/",
                    format!(
                        "{}在{}分钟内登录失败{}次，暂停其登录至{}",
                        k.describe(),
                        Ord::max(p.throttle_minutes, 1),
                        row.failures,
                        xuepei_domain::time::clock(until)
                    ),
                    Some(serde_json::json!({ "key": id, "failures": row.failures, "until": until })),
                );
            }
        }
    }
    Ok(())
}

/// A correct password clears its name's count (never the address's: one valid account
/// must not reset a sprayer's count).
pub(crate) async fn clear_name(db: &impl ConnectionTrait, name: &str) -> Result<()> {
    login_throttle::Entity::delete_many()
        .filter(login_throttle::Column::Id.eq(Key::Name(name.to_owned()).id()))
        .exec(db)
        .await?;
    Ok(())
}

/// Refused check-ins of one person: at most this many in [`CHECKIN_MINUTES`], so that the
/// six-digit code (two of a million valid at a time) cannot be guessed by trying.
pub const CHECKIN_FAILURES: i32 = 10;
pub const CHECKIN_MINUTES: i64 = 10;

fn checkin_key(person_id: i64) -> String {
    format!("checkin:{person_id}")
}

/// Whether a person's check-ins are paused after too many refusals.
pub(crate) async fn checkin_paused(db: &impl ConnectionTrait, person_id: i64, at: DateTime<Utc>) -> Result<bool> {
    Ok(login_throttle::Entity::find_by_id(checkin_key(person_id))
        .filter(login_throttle::Column::WindowStart.gt(at - Duration::minutes(CHECKIN_MINUTES)))
        .filter(login_throttle::Column::Failures.gte(CHECKIN_FAILURES))
        .one(db)
        .await?
        .is_some())
}

/// Of these people, those whose check-ins are paused (one read for a batch).
pub(crate) async fn checkin_paused_many(
    db: &impl ConnectionTrait,
    person_ids: &[i64],
    at: DateTime<Utc>,
) -> Result<std::collections::HashSet<i64>> {
    if person_ids.is_empty() {
        return Ok(Default::default());
    }
    let keys: Vec<String> = person_ids.iter().map(|p| checkin_key(*p)).collect();
    Ok(login_throttle::Entity::find()
        .filter(login_throttle::Column::Id.is_in(keys))
        .filter(login_throttle::Column::WindowStart.gt(at - Duration::minutes(CHECKIN_MINUTES)))
        .filter(login_throttle::Column::Failures.gte(CHECKIN_FAILURES))
        .all(db)
        .await?
        .into_iter()
        .filter_map(|t| t.id.strip_prefix("checkin:").and_then(|p| p.parse().ok()))
        .collect())
}

/// Counts a refused check-in (outside the check-in's own transaction, which was undone).
pub(crate) async fn checkin_failed(db: &impl ConnectionTrait, person_id: i64, at: DateTime<Utc>) -> Result<()> {
    let id = checkin_key(person_id);
    let mut ins = Query::insert();
    ins.into_table(login_throttle::Entity)
        .columns([
            login_throttle::Column::Id,
            login_throttle::Column::WindowStart,
            login_throttle::Column::Failures,
            login_throttle::Column::Noted,
        ])
        .values_panic([id.clone().into(), at.into(), 0i32.into(), false.into()])
        .on_conflict(
            OnConflict::column(login_throttle::Column::Id).do_nothing_on([login_throttle::Column::Id]).to_owned(),
        );
    db.execute(&ins).await?;
    login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::WindowStart, Expr::value(at))
        .col_expr(login_throttle::Column::Failures, Expr::value(0))
        .filter(login_throttle::Column::Id.eq(id.as_str()))
        .filter(login_throttle::Column::WindowStart.lte(at - Duration::minutes(CHECKIN_MINUTES)))
        .exec(db)
        .await?;
    login_throttle::Entity::update_many()
        .col_expr(login_throttle::Column::Failures, Expr::col(login_throttle::Column::Failures).add(1))
        .filter(login_throttle::Column::Id.eq(id.as_str()))
        .exec(db)
        .await?;
    Ok(())
}
