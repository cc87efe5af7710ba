//! Identity numbers found registered outside the asker's scope.
//!
//! Registering a person (a form, an import row, an API row) refuses a number that is
//! already registered — uniqueness holds everywhere — and so tells the asker that the
//! number exists somewhere. Roles that register people at county level and above are told
//! so plainly; everyone else gets a neutral refusal that names nothing. Either way each
//! such number is counted per account and day (`id_checks`), each request that met any is
//! on the audit trail, and when an account passes the daily threshold the security
//! administrator is alerted (an audit entry, and a notice on their pages) — so that a
//! secretary running a city's numbers through the import preview is seen the same day.
//!
//! The count is kept on the [`crate::Tx`] that asked and written after that transaction
//! ends (committed or not: a refused import is rolled back, its questions still count).

use std::sync::Mutex;

use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, Order, QueryFilter, QueryOrder};

use crate::audit::{Actor, Tx};
use crate::entity::{account, id_check};
use crate::error::Result;
use crate::org::now;
use crate::scope::Scope;

/// The default daily number of such identity numbers after which the security
/// administrator is alerted.
pub const DEFAULT_DAILY_ALERT: u32 = 20;

/// How an actor is answered, and watched, when a number it enters is registered outside
/// its scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdChecks {
    /// Told that the number is registered elsewhere; otherwise a neutral refusal.
    pub told: bool,
    /// More than this many such numbers in a day alert the security administrator.
    pub daily_alert: u32,
}

impl IdChecks {
    /// The server's operator: told, never counted.
    pub const OPERATOR: IdChecks = IdChecks { told: true, daily_alert: u32::MAX };
}

impl Default for IdChecks {
    fn default() -> Self {
        IdChecks { told: false, daily_alert: DEFAULT_DAILY_ALERT }
    }
}

/// The refusal of a number registered outside the asker's scope.
pub(crate) fn refusal(told: bool) -> &'static str {
    if told {
        "该身份证号已在您管理范围以外的单位登记，请联系上级组织部门核实"
    } else {
        "该身份证号不能在此登记。请核对号码；如确属本单位人员，请联系县级以上组织部门办理"
    }
}

/// How many numbers an audit entry lists (the count says how many there were).
const SAMPLE: usize = 10;

#[derive(Debug)]
struct Pending {
    count: u64,
    numbers: Vec<String>,
    scope_path: String,
    what: String,
}

/// The numbers a transaction met, written when it ends (see the module documentation).
#[derive(Debug)]
pub(crate) struct Log {
    db: DatabaseConnection,
    actor: Actor,
    pending: Mutex<Option<Pending>>,
}

impl Log {
    pub(crate) fn new(db: &DatabaseConnection, actor: &Actor) -> Self {
        Log { db: db.clone(), actor: actor.clone(), pending: Mutex::new(None) }
    }

    /// A number found registered outside the scope; `what` says where it was entered.
    pub(crate) fn add(&self, number: &str, scope_path: &str, what: &str) {
        if let Ok(mut p) = self.pending.lock() {
            let p = p.get_or_insert_with(|| Pending {
                count: 0,
                numbers: Vec::new(),
                scope_path: scope_path.to_owned(),
                what: what.chars().take(100).collect(),
            });
            p.count += 1;
            if p.numbers.len() < SAMPLE {
                p.numbers.push(number.to_owned());
            }
        }
    }

    fn take(&self) -> Option<Pending> {
        self.pending.lock().ok().and_then(|mut p| p.take())
    }

    /// Writes what was met; called after the transaction ended.
    pub(crate) async fn flush(&self) -> Result<()> {
        match self.take() {
            Some(p) => record(self.db.clone(), self.actor.clone(), p).await,
            None => Ok(()),
        }
    }
}

impl Drop for Log {
    /// A transaction dropped on an error path still counts what it asked.
    fn drop(&mut self) {
        let Some(p) = self.take() else { return };
        let (db, actor) = (self.db.clone(), self.actor.clone());
        match tokio::runtime::Handle::try_current() {
            Ok(h) => {
                h.spawn(async move {
                    if let Err(e) = record(db, actor, p).await {
                        tracing::error!(error = %e, "recording identity checks failed");
                    }
                });
            }
            Err(_) => tracing::error!(count = p.count, "identity checks not recorded: no runtime"),
        }
    }
}

/// Boxed: it runs a [`Tx`] of its own, whose commit flushes its (empty) log.
fn record(db: DatabaseConnection, actor: Actor, p: Pending) -> BoxFuture {
    Box::pin(async move { record_now(&db, &actor, p).await })
}

type BoxFuture = std::pin::Pin<Box<dyn Future<Output = Result<()>> + Send>>;

async fn record_now(db: &DatabaseConnection, actor: &Actor, p: Pending) -> Result<()> {
    let Some(account_id) = actor.account_id else { return Ok(()) };
    let today = xuepei_domain::time::today();
    let t = now();
    let tx = Tx::begin(db, &Scope::whole(), actor).await?;
    let conn = tx.conn();
    let mut ins = Query::insert();
    ins.into_table(id_check::Entity)
        .columns([
            id_check::Column::AccountId,
            id_check::Column::OnDay,
            id_check::Column::Checks,
            id_check::Column::Alerted,
            id_check::Column::UpdatedAt,
        ])
        .values_panic([account_id.into(), today.into(), 0i64.into(), false.into(), t.into()])
        .on_conflict(
            OnConflict::columns([id_check::Column::AccountId, id_check::Column::OnDay])
                .do_nothing_on([id_check::Column::AccountId])
                .to_owned(),
        );
    conn.execute(&ins).await?;
    let n = i64::try_from(p.count).unwrap_or(i64::MAX);
    id_check::Entity::update_many()
        .col_expr(id_check::Column::Checks, Expr::col(id_check::Column::Checks).add(n))
        .col_expr(id_check::Column::UpdatedAt, Expr::value(t))
        .filter(id_check::Column::AccountId.eq(account_id))
        .filter(id_check::Column::OnDay.eq(today))
        .exec(conn)
        .await?;
    let row = id_check::Entity::find()
        .filter(id_check::Column::AccountId.eq(account_id))
        .filter(id_check::Column::OnDay.eq(today))
        .one(conn)
        .await?;
    let total = row.as_ref().map_or(n, |r| r.checks);
    let answer = if actor.id_checks.told { "已告知在范围以外登记" } else { "已作中性拒绝" };
    tx.note(
        "idcheck.outside",
        &p.scope_path,
        format!("{}：{}个身份证号已在管理范围以外登记（{answer}），该账号今日累计{total}个", p.what, p.count),
        Some(serde_json::json!({
            "count": p.count,
            "numbers": p.numbers,
            "told": actor.id_checks.told,
            "today_total": total,
            "daily_alert": actor.id_checks.daily_alert,
        })),
    );
    if let Some(r) = row
        && total > i64::from(actor.id_checks.daily_alert)
        && !r.alerted
    {
        // Once a day per account, whichever request crossed the line first.
        let claimed = id_check::Entity::update_many()
            .col_expr(id_check::Column::Alerted, Expr::value(true))
            .filter(id_check::Column::Id.eq(r.id))
            .filter(id_check::Column::Alerted.eq(false))
            .exec(conn)
            .await?
            .rows_affected;
        if claimed > 0 {
            tx.note(
                "security.alert",
                &p.scope_path,
                format!(
                    "安全告警：账号“{}”今日已有{total}个身份证号查询结果为在其管理范围以外登记，超过每日{}个的告警阈值，请安全管理员核实",
                    actor.username, actor.id_checks.daily_alert
                ),
                Some(serde_json::json!({ "account_id": account_id, "today_total": total })),
            );
        }
    }
    tx.commit().await
}

/// An account over the threshold today, for the security administrator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub checks: i64,
}

/// Accounts of the scope that set off the alert today, most questions first.
pub async fn alerts_today(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<Alert>> {
    let rows = id_check::Entity::find()
        .filter(id_check::Column::OnDay.eq(xuepei_domain::time::today()))
        .filter(id_check::Column::Alerted.eq(true))
        .order_by(id_check::Column::Checks, Order::Desc)
        .all(db)
        .await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.account_id).collect();
    let accounts: std::collections::HashMap<i64, account::Model> = account::Entity::find()
        .filter(account::Column::Id.is_in(ids))
        .filter(scope.org_id_cond(account::Column::ScopeOrgId))
        .all(db)
        .await?
        .into_iter()
        .map(|a| (a.id, a))
        .collect();
    // Tokens issued on the command line count under no account: their alerts go to the
    // security administrators of a whole tree.
    let whole_tree = scope.root_path().is_none_or(|p| xuepei_domain::org::path::depth(p) <= 1);
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            if r.account_id == crate::tokens::OPERATOR_ISSUER {
                return whole_tree.then(|| Alert {
                    account_id: r.account_id,
                    username: "命令行签发的接口令牌".into(),
                    display_name: "服务器管理员签发".into(),
                    checks: r.checks,
                });
            }
            let a = accounts.get(&r.account_id)?;
            Some(Alert {
                account_id: a.id,
                username: a.username.clone(),
                display_name: a.display_name.clone(),
                checks: r.checks,
            })
        })
        .collect())
}
