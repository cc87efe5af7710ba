//! Who must be trained, by whom (参训对象): a campaign's target list for an organising body.
//!
//! **The rule** [000 §三(一), 002 §五(一)]: the target population of a campaign is the people
//! of its target organisations' subtrees (`campaign_targets`) whose organisation's sector,
//!班子职务 (roles) and rank level match the campaign's `TargetFilter` — read from the live
//! roster, so people registered later appear and people who left drop out of the list
//! (their enrolments and credit records stay). Among them, an organising body `O` must
//! train the people it is responsible for under the management-authority relation
//! (干部管理权限, `persons.managing_org_id`):
//!
//! * the people whose management authority is one of `O`'s departments (its 组织部) or `O`
//!   itself — so the city trains the leadership members of the counties and city
//!   departments directly below it, whose authority is the city's organisation department,
//!   and each county trains its own cadres, whose authority is the county's department;
//! * people with no recorded authority are trained by affiliation (按党组织隶属关系): by the
//!   nearest organising body above them — `O` takes those of its subtree that do not lie
//!   under a narrower organising body (an organisation inside `O`'s subtree that has a
//!   department of its own, or a working committee of a system: 市直机关工委, 非公党工委 …).
//!
//! The list is always limited to the viewer's scope as well.

use std::collections::HashMap;

use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, RelationTrait, StatementBuilder,
};
use serde::Serialize;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::{OrgKind, Sector, path};
use xuepei_domain::people::{RankLevel, Role, Roles};
use xuepei_domain::training::rules::{CampaignRules, TargetFilter};
use xuepei_domain::training::{ClassLevel, EnrolmentStatus};

use crate::entity::{campaign, campaign_target, class, enrolment, organization, person};
use crate::error::{Result, StoreError};
use crate::org::{self, Org};
use crate::page::{At, Page};
use crate::people::{COUNT_CAP, PeopleCount, Person};
use crate::scope::Scope;

/// A campaign's target as the store evaluates it: organisation subtrees as path ranges.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    pub campaign_id: i64,
    pub target: Group,
    /// One per quota of `rules.quotas`, in order: the level and the group (within the target).
    pub quotas: Vec<(ClassLevel, Option<Group>)>,
}

/// A `TargetFilter` with its organisations resolved to path ranges.
#[derive(Debug, Clone, Default)]
pub(crate) struct Group {
    /// `[lo, hi)` path ranges; empty means anywhere.
    pub ranges: Vec<(String, String)>,
    pub filter: TargetFilter,
}

/// The facts about one person that targets look at.
#[derive(Debug, Clone, FromQueryResult)]
pub(crate) struct Facts {
    pub id: i64,
    pub org_id: i64,
    pub org_path: String,
    pub org_sector: String,
    pub roles: i32,
    pub rank_level: Option<String>,
}

impl Group {
    pub fn matches(&self, f: &Facts) -> bool {
        let t = &self.filter;
        (self.ranges.is_empty() || self.ranges.iter().any(|(lo, hi)| f.org_path >= *lo && f.org_path < *hi))
            && (t.sectors.is_empty() || Sector::from_code(&f.org_sector).is_some_and(|s| t.sectors.contains(&s)))
            && (t.roles.is_empty() || t.roles.iter().any(|r| Roles(f.roles).contains(*r)))
            && (t.rank_levels.is_empty()
                || f.rank_level.as_deref().and_then(RankLevel::from_code).is_some_and(|r| t.rank_levels.contains(&r)))
    }

    /// The group as a condition on `persons` (one index range per organisation).
    pub fn cond(&self) -> Condition {
        let t = &self.filter;
        let mut c = Condition::all();
        if !self.ranges.is_empty() {
            let mut any = Condition::any();
            for (lo, hi) in &self.ranges {
                any = any.add(
                    Condition::all()
                        .add(person::Column::OrgPath.gte(lo.as_str()))
                        .add(person::Column::OrgPath.lt(hi.as_str())),
                );
            }
            c = c.add(any);
        }
        if !t.sectors.is_empty() {
            c = c.add(person::Column::OrgSector.is_in(t.sectors.iter().map(|s| s.code())));
        }
        if !t.roles.is_empty() {
            let mask = t.roles.iter().fold(0, |m, r| m | r.bit());
            c = c.add(Expr::col((person::Entity, person::Column::Roles)).bit_and(mask).ne(0));
        }
        if !t.rank_levels.is_empty() {
            c = c.add(person::Column::RankLevel.is_in(t.rank_levels.iter().map(|r| r.code())));
        }
        c
    }
}

async fn group_of(db: &impl ConnectionTrait, filter: &TargetFilter) -> Result<Group> {
    let mut ranges = Vec::new();
    if !filter.orgs.is_empty() {
        let rows: Vec<String> = organization::Entity::find()
            .select_only()
            .column(organization::Column::Path)
            .filter(organization::Column::Code.is_in(filter.orgs.iter().map(String::as_str)))
            .into_tuple()
            .all(db)
            .await?;
        // A group naming only unknown organisations matches nobody, not everybody.
        if rows.is_empty() {
            ranges.push((String::new(), String::new()));
        }
        ranges.extend(rows.iter().map(|p| path::subtree_range(p)));
    }
    Ok(Group { ranges, filter: TargetFilter { orgs: Vec::new(), ..filter.clone() } })
}

/// Loads a campaign's target (no visibility check: callers check first).
pub(crate) async fn ctx(db: &impl ConnectionTrait, campaign_id: i64) -> Result<Ctx> {
    let c = campaign::Entity::find_by_id(campaign_id).one(db).await?.ok_or(StoreError::NotFound("轮训工作"))?;
    let paths: Vec<String> = campaign_target::Entity::find()
        .select_only()
        .column(campaign_target::Column::OrgPath)
        .filter(campaign_target::Column::CampaignId.eq(campaign_id))
        .into_tuple()
        .all(db)
        .await?;
    let mut ranges: Vec<(String, String)> = paths.iter().map(|p| path::subtree_range(p)).collect();
    if ranges.is_empty() {
        ranges.push(path::subtree_range(&c.org_path));
    }
    let filter: TargetFilter = serde_json::from_str(&c.target).unwrap_or_default();
    let rules: CampaignRules = serde_json::from_str(&c.rules).unwrap_or_default();
    let mut quotas = Vec::new();
    for q in &rules.quotas {
        let g = match &q.group {
            Some(g) => Some(group_of(db, g).await?),
            None => None,
        };
        quotas.push((q.level, g));
    }
    Ok(Ctx { campaign_id, target: Group { ranges, filter: TargetFilter { orgs: Vec::new(), ..filter } }, quotas })
}

/// How far a person of the target has come in a campaign (the best of their enrolments).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Progress {
    /// Not in any batch of the campaign (or withdrawn from every one).
    NotPlanned,
    /// On a waiting list.
    Planned,
    Enrolled,
    Trained,
}

impl Progress {
    pub fn label(self) -> &'static str {
        match self {
            Progress::NotPlanned => "未安排",
            Progress::Planned => "已安排（候补）",
            Progress::Enrolled => "已报名",
            Progress::Trained => "已结业",
        }
    }

    pub(crate) fn of_status(s: EnrolmentStatus) -> Progress {
        match s {
            EnrolmentStatus::Withdrawn => Progress::NotPlanned,
            EnrolmentStatus::Waitlisted => Progress::Planned,
            EnrolmentStatus::Enrolled => Progress::Enrolled,
            EnrolmentStatus::Completed => Progress::Trained,
        }
    }
}

/// A filter on progress: who has not yet reached a stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgressFilter {
    NotPlanned,
    NotEnrolled,
    NotTrained,
}

impl ProgressFilter {
    pub const ALL: [ProgressFilter; 3] =
        [ProgressFilter::NotPlanned, ProgressFilter::NotEnrolled, ProgressFilter::NotTrained];

    pub fn code(self) -> &'static str {
        match self {
            ProgressFilter::NotPlanned => "not_planned",
            ProgressFilter::NotEnrolled => "not_enrolled",
            ProgressFilter::NotTrained => "not_trained",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProgressFilter::NotPlanned => "尚未安排",
            ProgressFilter::NotEnrolled => "尚未报名",
            ProgressFilter::NotTrained => "尚未结业",
        }
    }

    pub fn from_code(s: &str) -> Option<ProgressFilter> {
        Self::ALL.into_iter().find(|p| p.code() == s)
    }

    /// The enrolment statuses that mean the stage is reached.
    fn reached(self) -> &'static [&'static str] {
        match self {
            ProgressFilter::NotPlanned => &["waitlisted", "enrolled", "completed"],
            ProgressFilter::NotEnrolled => &["enrolled", "completed"],
            ProgressFilter::NotTrained => &["completed"],
        }
    }
}

/// `EXISTS` an enrolment of the person (outer `persons` row) in a class of the campaign
/// with one of `statuses`.
fn enrolment_exists(campaign_id: i64, statuses: &[&str]) -> SelectStatement {
    Query::select()
        .expr(Expr::val(1))
        .from(enrolment::Entity)
        .inner_join(
            class::Entity,
            Expr::col((class::Entity, class::Column::Id)).equals((enrolment::Entity, enrolment::Column::ClassId)),
        )
        .and_where(
            Expr::col((enrolment::Entity, enrolment::Column::PersonId)).equals((person::Entity, person::Column::Id)),
        )
        .and_where(Expr::col((class::Entity, class::Column::CampaignId)).eq(campaign_id))
        .and_where(Expr::col((enrolment::Entity, enrolment::Column::Status)).is_in(statuses.iter().copied()))
        .to_owned()
}

/// Filters of a target list.
#[derive(Debug, Clone, Default)]
pub struct TargetQuery {
    pub campaign_id: i64,
    /// The organising body whose list it is (who trains whom); none: the whole target in
    /// the scope (coverage's "missing" names).
    pub organiser: Option<i64>,
    /// Only this organisation's subtree (in the scope).
    pub under: Option<i64>,
    pub sector: Option<Sector>,
    pub role: Option<Role>,
    pub rank_level: Option<RankLevel>,
    pub progress: Option<ProgressFilter>,
}

/// One person of a target list.
#[derive(Debug, Clone, Serialize)]
pub struct TargetRow {
    pub person: Person,
    pub org_name: String,
    pub org_code: String,
    pub progress: Progress,
}

/// The condition on `persons` naming who organiser `o` trains (see the module's rule).
async fn trainer_cond(db: &impl ConnectionTrait, o: &Org) -> Result<Condition> {
    let mut managed: Vec<i64> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Id)
        .filter(organization::Column::ParentId.eq(o.id))
        .filter(organization::Column::Kind.eq(OrgKind::Department.code()))
        .into_tuple()
        .all(db)
        .await?;
    managed.push(o.id);
    // Narrower organising bodies inside `o`'s subtree: parents of departments, and the
    // working committees of the systems.
    let (lo, hi) = path::subtree_range(&o.path);
    let dept_parents: Vec<Option<i64>> = organization::Entity::find()
        .select_only()
        .column(organization::Column::ParentId)
        .filter(organization::Column::Path.gte(lo.as_str()))
        .filter(organization::Column::Path.lt(hi.as_str()))
        .filter(organization::Column::Kind.eq(OrgKind::Department.code()))
        .into_tuple()
        .all(db)
        .await?;
    let mut bodies: Vec<i64> = dept_parents.into_iter().flatten().filter(|id| *id != o.id).collect();
    bodies.sort_unstable();
    bodies.dedup();
    let mut sub_paths: Vec<String> = organization::Entity::find()
        .select_only()
        .column(organization::Column::Path)
        .filter(organization::Column::Path.gte(lo.as_str()))
        .filter(organization::Column::Path.lt(hi.as_str()))
        .filter(organization::Column::Id.ne(o.id))
        .filter(
            Condition::any()
                .add(organization::Column::Kind.eq(OrgKind::WorkingCommittee.code()))
                .add(organization::Column::Id.is_in(bodies)),
        )
        .into_tuple()
        .all(db)
        .await?;
    sub_paths.sort();
    // Drop bodies inside other listed bodies: their ranges are already excluded.
    let mut kept: Vec<String> = Vec::new();
    for p in sub_paths {
        if !kept.last().is_some_and(|k| p.starts_with(k.as_str())) {
            kept.push(p);
        }
    }
    let mut by_affiliation = Condition::all()
        .add(person::Column::ManagingOrgId.is_null())
        .add(person::Column::OrgPath.gte(lo.as_str()))
        .add(person::Column::OrgPath.lt(hi.as_str()));
    for p in &kept {
        let (l, h) = path::subtree_range(p);
        by_affiliation =
            by_affiliation.add(Condition::any().add(person::Column::OrgPath.lt(l)).add(person::Column::OrgPath.gte(h)));
    }
    Ok(Condition::any().add(person::Column::ManagingOrgId.is_in(managed)).add(by_affiliation))
}

/// The campaign visible to the scope, and the list's whole condition.
async fn condition(db: &impl ConnectionTrait, scope: &Scope, q: &TargetQuery) -> Result<(Ctx, Condition)> {
    crate::campaigns::get(db, scope, q.campaign_id).await?;
    let ctx = ctx(db, q.campaign_id).await?;
    let mut c = Condition::all().add(scope.cond(person::Column::OrgPath)).add(ctx.target.cond());
    if let Some(id) = q.under {
        let o = org::get(db, scope, id).await?;
        c = c.add(crate::scope::subtree_cond(person::Column::OrgPath, &o.path));
    }
    if let Some(id) = q.organiser {
        let o = org::get(db, scope, id).await?;
        c = c.add(trainer_cond(db, &o).await?);
    }
    if let Some(s) = q.sector {
        c = c.add(person::Column::OrgSector.eq(s.code()));
    }
    if let Some(r) = q.role {
        c = c.add(Expr::col((person::Entity, person::Column::Roles)).bit_and(r.bit()).ne(0));
    }
    if let Some(r) = q.rank_level {
        c = c.add(person::Column::RankLevel.eq(r.code()));
    }
    if let Some(p) = q.progress {
        c = c.add(Expr::exists(enrolment_exists(q.campaign_id, p.reached())).not());
    }
    Ok((ctx, c))
}

#[derive(FromQueryResult)]
struct WithOrg {
    #[sea_orm(nested)]
    person: person::Model,
    org_name: Option<String>,
    org_code: Option<String>,
}

const CURSOR_SEP: char = '~';

/// Each person's progress in the campaign (best enrolment), for a page of people.
pub(crate) async fn progress_of(
    db: &impl ConnectionTrait,
    campaign_id: i64,
    ids: &[i64],
) -> Result<HashMap<i64, Progress>> {
    let mut out = HashMap::new();
    for chunk in ids.chunks(1000) {
        let q = Query::select()
            .column((enrolment::Entity, enrolment::Column::PersonId))
            .column((enrolment::Entity, enrolment::Column::Status))
            .from(enrolment::Entity)
            .inner_join(
                class::Entity,
                Expr::col((class::Entity, class::Column::Id)).equals((enrolment::Entity, enrolment::Column::ClassId)),
            )
            .and_where(Expr::col((class::Entity, class::Column::CampaignId)).eq(campaign_id))
            .and_where(Expr::col((enrolment::Entity, enrolment::Column::PersonId)).is_in(chunk.iter().copied()))
            .to_owned();
        let stmt = StatementBuilder::build(&q, &db.get_database_backend());
        let mut rows: Vec<(i64, String)> = Vec::new();
        for r in db.query_all_raw(stmt).await? {
            rows.push((r.try_get_by_index(0)?, r.try_get_by_index(1)?));
        }
        for (pid, s) in rows {
            let p = EnrolmentStatus::from_code(&s).map_or(Progress::NotPlanned, Progress::of_status);
            let e = out.entry(pid).or_insert(Progress::NotPlanned);
            if p > *e {
                *e = p;
            }
        }
    }
    Ok(out)
}

/// A page of a target list in tree order, keyset-paginated on `(org_path, id)`.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    q: &TargetQuery,
    at: At<'_>,
    limit: u64,
) -> Result<Page<TargetRow>> {
    let (_, mut c) = condition(db, scope, q).await?;
    if let Some((cur, after)) = at.cursor()
        && let Some((k, id)) =
            cur.rsplit_once(CURSOR_SEP).and_then(|(k, id)| Some((k.to_owned(), id.parse::<i64>().ok()?)))
    {
        let cols = Expr::tuple([
            Expr::col((person::Entity, person::Column::OrgPath)),
            Expr::col((person::Entity, person::Column::Id)),
        ]);
        let edge = Expr::tuple([Expr::val(k.clone()), Expr::val(id)]);
        c = if after {
            c.add(person::Column::OrgPath.gte(k)).add(cols.gt(edge))
        } else {
            c.add(person::Column::OrgPath.lte(k)).add(cols.lt(edge))
        };
    }
    let (limit, n) = crate::page::fetch(limit, 2000);
    let mut sel = person::Entity::find()
        .column_as(organization::Column::Name, "org_name")
        .column_as(organization::Column::Code, "org_code")
        .join(JoinType::LeftJoin, person::Relation::Organization.def())
        .filter(c)
        .order_by(person::Column::OrgPath, at.order())
        .order_by(person::Column::Id, at.order())
        .limit(n);
    if let Some(skip) = at.offset(limit) {
        sel = sel.offset(skip);
    }
    let rows: Vec<WithOrg> = sel.into_model().all(db).await?;
    let ids: Vec<i64> = rows.iter().map(|r| r.person.id).collect();
    let progress = progress_of(db, q.campaign_id, &ids).await?;
    Ok(crate::page::page_of(
        rows,
        limit,
        at,
        |r| format!("{}{CURSOR_SEP}{}", r.person.org_path, r.person.id),
        |r| TargetRow {
            progress: progress.get(&r.person.id).copied().unwrap_or(Progress::NotPlanned),
            person: Person::from(r.person),
            org_name: r.org_name.unwrap_or_default(),
            org_code: r.org_code.unwrap_or_default(),
        },
    ))
}

/// How many people a target list holds, counted up to [`COUNT_CAP`].
pub async fn count(db: &impl ConnectionTrait, scope: &Scope, q: &TargetQuery) -> Result<PeopleCount> {
    let (_, c) = condition(db, scope, q).await?;
    let inner =
        person::Entity::find().select_only().column(person::Column::Id).filter(c).limit(COUNT_CAP + 1).into_query();
    let mut outer = Query::select();
    outer.expr_as(Expr::cust("COUNT(*)"), "n").from_subquery(inner, "sub");
    let stmt = StatementBuilder::build(&outer, &db.get_database_backend());
    let n: i64 = match db.query_one_raw(stmt).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    let n = u64::try_from(n).unwrap_or(0);
    Ok(PeopleCount { value: Ord::min(n, COUNT_CAP), capped: n > COUNT_CAP })
}

/// The organising bodies a viewer may pick for a target list: the scope's root, and the
/// organisations of the scope that have a department or are working committees (systems).
pub async fn organisers(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<Org>> {
    let parents: Vec<Option<i64>> = organization::Entity::find()
        .select_only()
        .column(organization::Column::ParentId)
        .filter(scope.cond(organization::Column::Path))
        .filter(organization::Column::Kind.eq(OrgKind::Department.code()))
        .limit(2000)
        .into_tuple()
        .all(db)
        .await?;
    let mut ids: Vec<i64> = parents.into_iter().flatten().collect();
    ids.extend(scope.root_org_id());
    let rows = organization::Entity::find()
        .filter(scope.cond(organization::Column::Path))
        .filter(
            Condition::any()
                .add(organization::Column::Id.is_in(ids))
                .add(organization::Column::Kind.eq(OrgKind::WorkingCommittee.code())),
        )
        .order_by_asc(organization::Column::Path)
        .limit(500)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Org::from).collect())
}
