//! Coverage and quotas of a campaign (覆盖情况、比例要求), from maintained aggregates.
//!
//! `coverage_counts` keeps, per campaign and organisation, the counts of the organisation's
//! own people of the campaign's target (quota `-1`) and of each quota's group (quota `i`):
//! `target` (in the population), `planned` (in a batch: waitlisted, enrolled or completed),
//! `enrolled` (enrolled or completed) and `trained` (completed). For a quota row the last
//! three count enrolments in classes at the quota's level or above; a quota is evaluated on
//! `enrolled` (people taking part in a class of that level) over the group.
//!
//! A subtree's figures are one range sum over the `(campaign_id, org_path, …)` index, at any
//! size. The enrolment side is maintained in the writer's transaction through
//! [`on_enrolment_change`] / [`on_enrolments_change`] (called after the enrolment row is
//! written). The target side follows the roster: a campaign's counts are rebuilt from the
//! roster ([`refresh`]) the first time they are read, when the campaign changed since, and
//! when the roster's fingerprint (people in the tree, highest person id) moved — so people
//! registered later are counted; edits of a person's role or rank are counted at the next
//! rebuild (the page's 重新统计 button, or `refresh`). The campaign's enrolments have a
//! fingerprint too (count, highest id, status-weighted sum, read from an index) that the
//! maintaining functions keep current, so an enrolment change no writer reported makes the
//! next read rebuild rather than show stale figures.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, StatementBuilder, TransactionTrait,
};
use serde::Serialize;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::rules::QuotaResult;
use xuepei_domain::training::{ClassLevel, EnrolmentStatus, Percent};

use crate::audit::Tx;
use crate::campaigns::{self, Campaign};
use crate::entity::{class, enrolment, organization, person};
use crate::error::Result;
use crate::org::{self, Org, now};
use crate::scope::Scope;
use crate::sql;
use crate::targets::{self, Ctx, Facts};

mod counts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "coverage_counts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub campaign_id: i64,
        pub org_id: i64,
        pub org_path: String,
        pub quota: i32,
        pub target: i64,
        pub planned: i64,
        pub enrolled: i64,
        pub trained: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod refreshed {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "coverage_campaigns")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub campaign_id: i64,
        pub refreshed_at: DateTimeUtc,
        pub roster_people: i64,
        pub roster_max_id: i64,
        pub enrol_count: i64,
        pub enrol_max_id: i64,
        pub enrol_sum: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Drops a campaign's maintained counts (the campaign is being deleted).
pub(crate) async fn forget_campaign(db: &impl ConnectionTrait, campaign_id: i64) -> Result<()> {
    counts::Entity::delete_many().filter(counts::Column::CampaignId.eq(campaign_id)).exec(db).await?;
    refreshed::Entity::delete_many().filter(refreshed::Column::CampaignId.eq(campaign_id)).exec(db).await?;
    Ok(())
}

/// Unique keys (see `error::UniqueKey`): two rebuilds at once.
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[
    crate::error::UniqueKey {
        index: "ux_coverage_counts",
        columns: "coverage_counts.campaign_id",
        message: "覆盖情况正在由其他用户同时重新统计，请稍后刷新页面",
    },
    crate::error::UniqueKey {
        index: "ux_coverage_campaigns",
        columns: "coverage_campaigns.campaign_id",
        message: "覆盖情况正在由其他用户同时重新统计，请稍后刷新页面",
    },
];

/// The four counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub target: i64,
    pub planned: i64,
    pub enrolled: i64,
    pub trained: i64,
}

impl Figures {
    /// Target people not yet in any batch.
    pub fn not_planned(&self) -> i64 {
        Ord::max(self.target - self.planned, 0)
    }

    /// A share of the target, "43.8%" for 14 of 32 (one decimal, rounded half up), never
    /// "100.0%" while someone is missing.
    pub fn percent(&self, n: impl std::borrow::Borrow<i64>) -> String {
        xuepei_domain::training::report::share(*n.borrow(), self.target)
    }
}

/// One quota of the campaign, evaluated over a subtree.
#[derive(Debug, Clone, Serialize)]
pub struct QuotaLine {
    pub name: String,
    pub level: ClassLevel,
    /// People of the group in the subtree.
    pub group: i64,
    /// Of them, enrolled or completed in a class at the quota's level or above.
    pub reached: i64,
    pub trained: i64,
    pub result: QuotaResult,
}

/// A child organisation's figures (the drill-down).
#[derive(Debug, Clone, Serialize)]
pub struct ChildLine {
    pub org: Org,
    pub figures: Figures,
}

/// Coverage of a campaign over one organisation's subtree, as a scope sees it.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub campaign: Campaign,
    /// The organisation whose subtree is counted (none: the whole system scope).
    pub org: Option<Org>,
    pub figures: Figures,
    pub quotas: Vec<QuotaLine>,
    pub children: Vec<ChildLine>,
    pub refreshed_at: DateTime<Utc>,
}

fn rank(s: EnrolmentStatus) -> u8 {
    match s {
        EnrolmentStatus::Withdrawn => 0,
        EnrolmentStatus::Waitlisted => 1,
        EnrolmentStatus::Enrolled => 2,
        EnrolmentStatus::Completed => 3,
    }
}

/// One enrolment as counting sees it: class, status, class level.
type Enrol = (i64, EnrolmentStatus, ClassLevel);

/// What one person adds to their organisation's rows: `(quota, [target, planned,
/// enrolled, trained])`.
fn contributions(ctx: &Ctx, f: &Facts, enrols: &[Enrol]) -> Vec<(i32, [i64; 4])> {
    if !ctx.target.matches(f) {
        return Vec::new();
    }
    let best = |pred: &dyn Fn(ClassLevel) -> bool| {
        enrols.iter().filter(|(_, _, l)| pred(*l)).map(|(_, s, _)| rank(*s)).max().unwrap_or(0)
    };
    let v = |b: u8| [1, i64::from(b >= 1), i64::from(b >= 2), i64::from(b >= 3)];
    let mut out = vec![(-1, v(best(&|_| true)))];
    for (i, (level, group)) in ctx.quotas.iter().enumerate() {
        if group.as_ref().is_none_or(|g| g.matches(f)) {
            out.push((i as i32, v(best(&|l| l.at_least(*level)))));
        }
    }
    out
}

/// The enrolments of people in the campaign's classes, `person → [(class, status, level)]`.
async fn enrolments_of(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    ids: Option<&[i64]>,
) -> Result<HashMap<i64, Vec<Enrol>>> {
    let mut out: HashMap<i64, Vec<Enrol>> = HashMap::new();
    let chunks: Vec<Option<&[i64]>> = match ids {
        Some(ids) => ids.chunks(1000).map(Some).collect(),
        None => vec![None],
    };
    for chunk in chunks {
        let mut q = Query::select();
        q.column((enrolment::Entity, enrolment::Column::PersonId))
            .column((enrolment::Entity, enrolment::Column::ClassId))
            .column((enrolment::Entity, enrolment::Column::Status))
            .column((class::Entity, class::Column::Level))
            .from(enrolment::Entity)
            .inner_join(
                class::Entity,
                Expr::col((class::Entity, class::Column::Id)).equals((enrolment::Entity, enrolment::Column::ClassId)),
            )
            .and_where(Expr::col((class::Entity, class::Column::CampaignId)).eq(campaign_id));
        if let Some(c) = chunk {
            q.and_where(Expr::col((enrolment::Entity, enrolment::Column::PersonId)).is_in(c.iter().copied()));
        }
        let stmt = StatementBuilder::build(&q, &db.get_database_backend());
        for r in db.query_all_raw(stmt).await? {
            let pid: i64 = r.try_get_by_index(0)?;
            let cid: i64 = r.try_get_by_index(1)?;
            let s: String = r.try_get_by_index(2)?;
            let l: String = r.try_get_by_index(3)?;
            let (Some(s), Some(l)) = (EnrolmentStatus::from_code(&s), ClassLevel::from_code(&l)) else { continue };
            out.entry(pid).or_default().push((cid, s, l));
        }
    }
    Ok(out)
}

async fn facts_of(db: &impl ConnectionTrait, ids: &[i64]) -> Result<Vec<Facts>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(1000) {
        out.extend(
            person::Entity::find()
                .select_only()
                .columns([
                    person::Column::Id,
                    person::Column::OrgId,
                    person::Column::OrgPath,
                    person::Column::OrgSector,
                    person::Column::Roles,
                    person::Column::RankLevel,
                ])
                .filter(person::Column::Id.is_in(chunk.iter().copied()))
                .into_model::<Facts>()
                .all(db)
                .await?,
        );
    }
    Ok(out)
}

/// Keeps the counts right after one enrolment changed (call it after writing the row, in
/// the same transaction): `from` is the enrolment's status before (`None`: it did not
/// exist), `to` after (`None`: deleted).
pub async fn on_enrolment_change(
    tx: &Tx,
    class_id: i64,
    person_id: i64,
    from: Option<EnrolmentStatus>,
    to: Option<EnrolmentStatus>,
) -> Result<()> {
    on_enrolments_change(tx, class_id, &[(person_id, from, to)]).await
}

/// [`on_enrolment_change`] for many people of one class at once (bulk enrolment,
/// completion): a few statements whatever the number.
pub async fn on_enrolments_change(
    tx: &Tx,
    class_id: i64,
    changes: &[(i64, Option<EnrolmentStatus>, Option<EnrolmentStatus>)],
) -> Result<()> {
    apply_changes(tx.conn(), class_id, changes).await
}

pub(crate) async fn apply_changes(
    db: &impl ConnectionTrait,
    class_id: i64,
    changes: &[(i64, Option<EnrolmentStatus>, Option<EnrolmentStatus>)],
) -> Result<()> {
    let changes: Vec<_> = changes.iter().filter(|(_, f, t)| f != t).copied().collect();
    if changes.is_empty() {
        return Ok(());
    }
    let Some(c) = class::Entity::find_by_id(class_id).one(db).await? else { return Ok(()) };
    let Some(campaign_id) = c.campaign_id else { return Ok(()) };
    // Counts never built: the first read builds them from scratch.
    if refreshed::Entity::find().filter(refreshed::Column::CampaignId.eq(campaign_id)).one(db).await?.is_none() {
        return Ok(());
    }
    let level = ClassLevel::from_code(&c.level).unwrap_or(ClassLevel::Unit);
    let ctx = targets::ctx(db, campaign_id).await?;
    let ids: Vec<i64> = changes.iter().map(|(p, ..)| *p).collect();
    let facts = facts_of(db, &ids).await?;
    let enrols = enrolments_of(db, campaign_id, Some(&ids)).await?;
    let from: HashMap<i64, Option<EnrolmentStatus>> = changes.iter().map(|(p, f, _)| (*p, *f)).collect();
    let mut deltas: HashMap<(i64, i32), [i64; 4]> = HashMap::new();
    let mut paths: HashMap<i64, String> = HashMap::new();
    let empty = Vec::new();
    for f in &facts {
        let after = enrols.get(&f.id).unwrap_or(&empty);
        let mut before: Vec<Enrol> = after.iter().filter(|(cid, ..)| *cid != class_id).copied().collect();
        if let Some(Some(s)) = from.get(&f.id) {
            before.push((class_id, *s, level));
        }
        for (q, v) in contributions(&ctx, f, after) {
            let d = deltas.entry((f.org_id, q)).or_default();
            for i in 0..4 {
                d[i] += v[i];
            }
        }
        for (q, v) in contributions(&ctx, f, &before) {
            let d = deltas.entry((f.org_id, q)).or_default();
            for i in 0..4 {
                d[i] -= v[i];
            }
        }
        paths.insert(f.org_id, f.org_path.clone());
    }
    // One multi-row upsert per chunk adds the deltas (a bulk enrolment touches thousands of
    // organisations; a statement each would be thousands of round trips).
    let rows: Vec<((i64, i32), [i64; 4])> = deltas.into_iter().filter(|(_, d)| d.iter().any(|x| *x != 0)).collect();
    let backend = db.get_database_backend();
    let add = |c: &str| match backend {
        sea_orm::DbBackend::MySql => Expr::cust(format!("{c} + VALUES({c})")),
        _ => Expr::cust(format!("coverage_counts.{c} + excluded.{c}")),
    };
    for chunk in rows.chunks(sql::max_params(backend) / 8) {
        let mut ins = Query::insert();
        ins.into_table(counts::Entity).columns([
            counts::Column::CampaignId,
            counts::Column::OrgId,
            counts::Column::OrgPath,
            counts::Column::Quota,
            counts::Column::Target,
            counts::Column::Planned,
            counts::Column::Enrolled,
            counts::Column::Trained,
        ]);
        for ((org_id, quota), d) in chunk {
            ins.values_panic([
                campaign_id.into(),
                (*org_id).into(),
                paths.get(org_id).cloned().unwrap_or_default().into(),
                (*quota).into(),
                d[0].into(),
                d[1].into(),
                d[2].into(),
                d[3].into(),
            ]);
        }
        ins.on_conflict(
            OnConflict::columns([counts::Column::CampaignId, counts::Column::OrgId, counts::Column::Quota])
                .values([
                    (counts::Column::Target, add("target")),
                    (counts::Column::Planned, add("planned")),
                    (counts::Column::Enrolled, add("enrolled")),
                    (counts::Column::Trained, add("trained")),
                ])
                .to_owned(),
        );
        db.execute(&ins).await?;
    }
    note_enrolments(db, campaign_id).await
}

/// The roster's fingerprint: people in the tree (root counters) and the highest id.
async fn fingerprint(db: &impl ConnectionTrait) -> Result<(i64, i64)> {
    let backend = db.get_database_backend();
    let people: Option<i64> = organization::Entity::find()
        .select_only()
        .column_as(sql::sum_i64(backend, "subtree_people"), "n")
        .filter(organization::Column::ParentId.is_null())
        .into_tuple()
        .one(db)
        .await?;
    let max: Option<Option<i64>> =
        person::Entity::find().select_only().column_as(person::Column::Id.max(), "m").into_tuple().one(db).await?;
    Ok((people.unwrap_or(0), max.flatten().unwrap_or(0)))
}

/// The campaign's enrolments as one fingerprint: how many, the highest id, and a sum
/// weighted by status — read from the `(class_id, status, id)` index alone.
async fn enrol_print(db: &impl ConnectionTrait, campaign_id: i64) -> Result<(i64, i64, i64)> {
    let backend = db.get_database_backend();
    let (p, int) = match backend {
        sea_orm::DbBackend::Postgres => ("$1", "BIGINT"),
        sea_orm::DbBackend::MySql => ("?", "SIGNED"),
        _ => ("?", "BIGINT"),
    };
    let sql = format!(
        "SELECT CAST(COUNT(*) AS {int}), CAST(COALESCE(MAX(e.id), 0) AS {int}), \
         CAST(COALESCE(SUM(CASE e.status WHEN 'waitlisted' THEN 1 WHEN 'enrolled' THEN 10 \
         WHEN 'completed' THEN 100 ELSE 1000 END), 0) AS {int}) \
         FROM enrolments e JOIN classes c ON c.id = e.class_id WHERE c.campaign_id = {p}"
    );
    let row = db.query_one_raw(sea_orm::Statement::from_sql_and_values(backend, sql, [campaign_id.into()])).await?;
    Ok(match row {
        Some(r) => (r.try_get_by_index(0)?, r.try_get_by_index(1)?, r.try_get_by_index(2)?),
        None => (0, 0, 0),
    })
}

/// Notes the campaign's enrolment fingerprint after maintained counts were changed.
async fn note_enrolments(db: &impl ConnectionTrait, campaign_id: i64) -> Result<()> {
    let (n, max, sum) = enrol_print(db, campaign_id).await?;
    refreshed::Entity::update_many()
        .col_expr(refreshed::Column::EnrolCount, Expr::value(n))
        .col_expr(refreshed::Column::EnrolMaxId, Expr::value(max))
        .col_expr(refreshed::Column::EnrolSum, Expr::value(sum))
        .filter(refreshed::Column::CampaignId.eq(campaign_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Counts of a campaign computed from the rows themselves, `(org, quota) → counts` with
/// each organisation's path (what a rebuild writes; tests compare it with the maintained
/// rows).
async fn recount_rows(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
) -> Result<(BTreeMap<(i64, i32), [i64; 4]>, HashMap<i64, String>)> {
    let mut out: BTreeMap<(i64, i32), [i64; 4]> = BTreeMap::new();
    let mut paths: HashMap<i64, String> = HashMap::new();
    let enrols = enrolments_of(db, ctx.campaign_id, None).await?;
    let empty = Vec::new();
    let mut last = 0i64;
    loop {
        let page: Vec<Facts> = person::Entity::find()
            .select_only()
            .columns([
                person::Column::Id,
                person::Column::OrgId,
                person::Column::OrgPath,
                person::Column::OrgSector,
                person::Column::Roles,
                person::Column::RankLevel,
            ])
            .filter(ctx.target.cond())
            .filter(person::Column::Id.gt(last))
            .order_by_asc(person::Column::Id)
            .limit(20_000)
            .into_model::<Facts>()
            .all(db)
            .await?;
        let Some(l) = page.last() else { break };
        last = l.id;
        for f in &page {
            for (q, v) in contributions(ctx, f, enrols.get(&f.id).unwrap_or(&empty)) {
                let e = out.entry((f.org_id, q)).or_default();
                for i in 0..4 {
                    e[i] += v[i];
                }
            }
            paths.entry(f.org_id).or_insert_with(|| f.org_path.clone());
        }
    }
    Ok((out, paths))
}

/// Rebuilds a campaign's counts from the roster and the enrolments, in `db`'s transaction.
async fn rebuild_in(db: &impl ConnectionTrait, campaign_id: i64) -> Result<DateTime<Utc>> {
    let ctx = targets::ctx(db, campaign_id).await?;
    let (print_people, print_max) = fingerprint(db).await?;
    let (enrol_count, enrol_max_id, enrol_sum) = enrol_print(db, campaign_id).await?;
    let (rows, paths) = recount_rows(db, &ctx).await?;
    counts::Entity::delete_many().filter(counts::Column::CampaignId.eq(campaign_id)).exec(db).await?;
    let rows: Vec<_> = rows.into_iter().collect();
    for chunk in rows.chunks(500) {
        let models = chunk.iter().map(|((org_id, quota), v)| counts::ActiveModel {
            campaign_id: Set(campaign_id),
            org_id: Set(*org_id),
            org_path: Set(paths.get(org_id).cloned().unwrap_or_default()),
            quota: Set(*quota),
            target: Set(v[0]),
            planned: Set(v[1]),
            enrolled: Set(v[2]),
            trained: Set(v[3]),
            ..Default::default()
        });
        counts::Entity::insert_many(models).exec(db).await?;
    }
    refreshed::Entity::delete_many().filter(refreshed::Column::CampaignId.eq(campaign_id)).exec(db).await?;
    let t = now();
    refreshed::ActiveModel {
        campaign_id: Set(campaign_id),
        refreshed_at: Set(t),
        roster_people: Set(print_people),
        roster_max_id: Set(print_max),
        enrol_count: Set(enrol_count),
        enrol_max_id: Set(enrol_max_id),
        enrol_sum: Set(enrol_sum),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(t)
}

/// Rebuilds the counts of a campaign visible to the scope (the page's 重新统计).
pub async fn refresh(db: &DatabaseConnection, scope: &Scope, campaign_id: i64) -> Result<DateTime<Utc>> {
    campaigns::get(db, scope, campaign_id).await?;
    rebuild(db, campaign_id).await
}

pub(crate) async fn rebuild(db: &DatabaseConnection, campaign_id: i64) -> Result<DateTime<Utc>> {
    let options = sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    let txn = db.begin_with_options(options).await?;
    let t = rebuild_in(&txn, campaign_id).await?;
    txn.commit().await?;
    Ok(t)
}

/// Rebuilds the counts of every campaign (operator repair).
#[cfg(feature = "operator")]
pub async fn rebuild_all(db: &DatabaseConnection) -> Result<u64> {
    let ids: Vec<i64> = crate::entity::campaign::Entity::find()
        .select_only()
        .column(crate::entity::campaign::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    for id in &ids {
        rebuild(db, *id).await?;
    }
    Ok(ids.len() as u64)
}

/// The maintained rows of a campaign and a fresh recount, `(org, quota) → counts` with
/// zero rows left out (operator check: tests require them equal).
#[cfg(feature = "operator")]
pub async fn maintained_and_recounted(
    db: &DatabaseConnection,
    campaign_id: i64,
) -> Result<(BTreeMap<(i64, i32), [i64; 4]>, BTreeMap<(i64, i32), [i64; 4]>)> {
    let stored: BTreeMap<(i64, i32), [i64; 4]> = counts::Entity::find()
        .filter(counts::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| ((m.org_id, m.quota), [m.target, m.planned, m.enrolled, m.trained]))
        .filter(|(_, v)| v.iter().any(|x| *x != 0))
        .collect();
    let ctx = targets::ctx(db, campaign_id).await?;
    let (fresh, _) = recount_rows(db, &ctx).await?;
    Ok((stored, fresh.into_iter().filter(|(_, v)| v.iter().any(|x| *x != 0)).collect()))
}

/// Rebuilds when never built, when the campaign changed since, or when the roster moved.
async fn ensure_fresh(db: &DatabaseConnection, campaign: &Campaign) -> Result<DateTime<Utc>> {
    let r = refreshed::Entity::find().filter(refreshed::Column::CampaignId.eq(campaign.id)).one(db).await?;
    if let Some(r) = r {
        let (people, max) = fingerprint(db).await?;
        let enrolments = enrol_print(db, campaign.id).await?;
        if r.refreshed_at >= campaign.updated_at
            && r.roster_people == people
            && r.roster_max_id == max
            && (r.enrol_count, r.enrol_max_id, r.enrol_sum) == enrolments
        {
            return Ok(r.refreshed_at);
        }
    }
    match rebuild(db, campaign.id).await {
        Ok(t) => Ok(t),
        // Another request rebuilt it at the same moment: read theirs.
        Err(crate::StoreError::Conflict(_)) => Ok(now()),
        Err(e) => Err(e),
    }
}

/// Sums of a campaign's rows over a path range, by quota.
async fn sums(db: &impl ConnectionTrait, campaign_id: i64, range: Option<&str>) -> Result<HashMap<i32, Figures>> {
    let backend = db.get_database_backend();
    let mut c = Condition::all().add(counts::Column::CampaignId.eq(campaign_id));
    if let Some(p) = range {
        c = c.add(crate::scope::subtree_cond(counts::Column::OrgPath, p));
    }
    let rows: Vec<(i32, i64, i64, i64, i64)> = counts::Entity::find()
        .select_only()
        .column(counts::Column::Quota)
        .column_as(sql::sum_i64(backend, "target"), "t")
        .column_as(sql::sum_i64(backend, "planned"), "p")
        .column_as(sql::sum_i64(backend, "enrolled"), "e")
        .column_as(sql::sum_i64(backend, "trained"), "r")
        .filter(c)
        .group_by(counts::Column::Quota)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(q, t, p, e, r)| (q, Figures { target: t, planned: p, enrolled: e, trained: r }))
        .collect())
}

/// Coverage of a campaign visible to the scope, over `org`'s subtree (an organisation of
/// the scope; none: the scope's root), with each child organisation's figures.
pub async fn summary(
    db: &DatabaseConnection,
    scope: &Scope,
    campaign_id: i64,
    org_id: Option<i64>,
) -> Result<Coverage> {
    let campaign = campaigns::get(db, scope, campaign_id).await?;
    let org = match org_id.or(scope.root_org_id()) {
        Some(id) => Some(org::get(db, scope, id).await?),
        // The whole tree: its one root when there is one (a province, a city).
        None => {
            let mut roots = org::children(db, scope, None, false).await?;
            if roots.len() == 1 { roots.pop().map(|r| r.org) } else { None }
        }
    };
    let refreshed_at = ensure_fresh(db, &campaign).await?;
    let range = org.as_ref().map(|o| o.path.as_str());
    let all = sums(db, campaign_id, range).await?;
    let figures = all.get(&-1).copied().unwrap_or_default();
    let quotas = campaign
        .rules
        .quotas
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let f = all.get(&(i as i32)).copied().unwrap_or_default();
            QuotaLine {
                name: q.name.clone(),
                level: q.level,
                group: f.target,
                reached: f.enrolled,
                trained: f.trained,
                result: q.evaluate(Ord::max(f.enrolled, 0) as u64, Ord::max(f.target, 0) as u64),
            }
        })
        .collect();
    let kids = org::children(db, scope, org.as_ref().map(|o| o.id), false).await?;
    let mut children = Vec::new();
    for k in kids.into_iter().filter(|k| Some(k.org.id) != org.as_ref().map(|o| o.id)) {
        let f = sums(db, campaign_id, Some(&k.org.path)).await?.get(&-1).copied().unwrap_or_default();
        children.push(ChildLine { org: k.org, figures: f });
    }
    Ok(Coverage { campaign, org, figures, quotas, children, refreshed_at })
}

/// Percent as the API reports it (a number with one decimal).
pub fn percent_number(p: Percent) -> f64 {
    f64::from(p.as_tenths()) / 10.0
}

impl Figures {
    /// The counts as an array (tests, exports).
    pub fn as_array(self) -> [i64; 4] {
        [self.target, self.planned, self.enrolled, self.trained]
    }
}

#[cfg(test)]
mod tests {
    use super::Figures;

    #[test]
    fn percent_rounds_half_up_and_never_shows_a_full_target_while_someone_is_missing() {
        let f = |target| Figures { target, ..Figures::default() };
        assert_eq!(f(32).percent(14), "43.8%");
        assert_eq!(f(3).percent(1), "33.3%");
        assert_eq!(f(3).percent(2), "66.7%");
        assert_eq!(f(10_000).percent(9_999), "99.9%");
        assert_eq!(f(10_000).percent(10_000), "100.0%");
        assert_eq!(f(8).percent(0), "0.0%");
        assert_eq!(f(0).percent(0), "—");
    }
}
