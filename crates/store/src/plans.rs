//! Batch plans (分期分批方案): the planner run over an organiser's target list, kept as a
//! draft while the organiser moves people, splits and merges batches, then accepted —
//! which creates one class per batch and enrols its people in one transaction.
//!
//! A plan belongs to its organiser (`org_path`, registered in `paths`): the organiser's
//! scope reads and changes it. Its trainees come from `targets` for that organiser
//! (who trains whom), so a plan never names anyone outside the organiser's responsibility;
//! people already in a batch of the campaign are left out. The planner (domain
//! `training::planner`) is deterministic, so the same roster and parameters give the
//! same proposal.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde::{Deserialize, Serialize};
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::Sector;
use xuepei_domain::people::{RankLevel, Role};
use xuepei_domain::training::planner::{self, Calendar, Duty, Plan, PlanInput, Trainee};
use xuepei_domain::training::rules::{BatchLengthRule, Subject, TargetFilter};
use xuepei_domain::training::{ClassLevel, Fraction};
use xuepei_domain::validate::FieldError;

use crate::audit::{Entry, Tx, json};
use crate::campaigns::{self, Campaign};
use crate::classes::{self, ClassInput, OrgRef};
use crate::enrolments::{self, PersonRef};
use crate::entity::{organization, plan};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::page::At;
use crate::scope::Scope;
use crate::targets::{self, ProgressFilter, TargetQuery};

/// The most trainees one plan holds (the planner itself handles national scale; a page
/// and a transaction of this size stay reasonable).
pub const MAX_TRAINEES: usize = 50_000;

/// What the organiser asks the planner for. Organisations are named by code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanParams {
    /// The organising body (its target list is planned), inside the writer's scope.
    pub organiser: String,
    /// The classes' title; batches are numbered after it (“…第3期”).
    pub title: String,
    /// Level of the classes (`province`, `city`, `county`, `unit` or the Chinese label).
    pub level: String,
    /// The delivering institution's name.
    pub institution: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub batch_days: Option<u32>,
    pub capacity: Option<u32>,
    /// Batches that may run at once (parallel venues).
    pub venues: Option<u32>,
    pub weekends_off: bool,
    pub holidays: Vec<NaiveDate>,
    /// Weekend days made working days (调休上班).
    pub workdays: Vec<NaiveDate>,
    /// At most this share of one organisation's target people in one batch, "1/2".
    pub max_org_share: String,
    /// Organisations whose people go first (e.g. 软弱涣散党组织), by code.
    pub priority_orgs: Vec<String>,
    /// A part of the target list: an organisation's subtree, a sector, a role, a rank.
    pub under: String,
    pub sector: Option<Sector>,
    pub role: Option<Role>,
    pub rank_level: Option<RankLevel>,
    /// Known unavailability: (ID number, first day, last day).
    pub unavailable: Vec<(String, NaiveDate, NaiveDate)>,
}

/// A trainee as the plan's pages show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    pub name: String,
    pub org: String,
    pub masked_id: String,
}

/// What a plan row keeps: the planner's input and who each trainee is.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    input: PlanInput,
    labels: HashMap<i64, Label>,
}

/// A draft is adjusted and accepted; an accepted plan has become classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum PlanStatus {
    Draft,
    Accepted,
}

impl PlanStatus {
    fn code(self) -> &'static str {
        match self {
            PlanStatus::Draft => "draft",
            PlanStatus::Accepted => "accepted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::Draft => "草稿（待确认）",
            PlanStatus::Accepted => "已确认（已生成班次）",
        }
    }
}

/// A plan as pages read it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub id: i64,
    pub campaign_id: i64,
    pub organiser: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub title: String,
    pub params: PlanParams,
    pub input: PlanInput,
    pub proposal: Plan,
    pub labels: HashMap<i64, Label>,
    pub status: PlanStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
}

impl PlanView {
    pub fn label(&self, id: i64) -> Label {
        self.labels.get(&id).cloned().unwrap_or_else(|| Label {
            name: format!("编号{id}"),
            org: String::new(),
            masked_id: String::new(),
        })
    }
}

/// A plan in a list (without its trainees).
#[derive(Debug, Clone, Serialize)]
pub struct PlanSummary {
    pub id: i64,
    pub organiser: String,
    pub title: String,
    pub status: PlanStatus,
    pub trainees: i32,
    pub batches: i32,
    pub unplaced: i32,
    pub updated_at: DateTime<Utc>,
}

/// An organiser's change to a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adjustment {
    /// Move a trainee into batch `to` (index).
    Move { trainee: i64, to: usize },
    /// Split batch `batch`, moving its last `count` people to a new batch in the first
    /// free slot of the window.
    Split { batch: usize, count: usize },
    /// Merge batch `from` into batch `into`.
    Merge { into: usize, from: usize },
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// The parameters checked and resolved.
struct Resolved {
    campaign: Campaign,
    organiser: organization::Model,
    level: ClassLevel,
    input: PlanInput,
}

async fn org_in_scope(db: &impl ConnectionTrait, scope: &Scope, code: &str) -> Result<Option<organization::Model>> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Code.eq(code))
        .filter(scope.cond(organization::Column::Path))
        .one(db)
        .await?)
}

/// The batch-length rule of the trainees: the campaign's rule for their group; when
/// they fall under different rules, the days all of them allow.
fn length_rule(
    campaign: &Campaign,
    people: &[(Trainee, Option<Sector>, xuepei_domain::people::Roles, Option<RankLevel>)],
) -> std::result::Result<BatchLengthRule, String> {
    let mut names = BTreeSet::new();
    let (mut min, mut max) = (1u32, u32::MAX);
    for (_, sector, roles, rank) in people {
        let subject = Subject { org_codes: &[], sector: *sector, roles: *roles, rank_level: *rank };
        if let Some(r) = campaign.rules.batch_length_for(&subject)
            && names.insert(r.name.clone())
        {
            min = min.max(r.min_days);
            max = max.min(r.max_days);
        }
    }
    if names.is_empty() {
        return Ok(BatchLengthRule::any(1, 30));
    }
    let name = names.into_iter().collect::<Vec<_>>().join("、");
    if min > max {
        return Err(format!(
            "所选参训对象分属每期天数不同的规则（{name}），请按参训对象分别排期（用“领域”“班子职务”筛选）"
        ));
    }
    Ok(BatchLengthRule { name, group: TargetFilter::default(), min_days: min, max_days: max })
}

/// The parameters as checked: organiser, part of the list, level, share, priority paths.
struct Checked {
    organiser: organization::Model,
    under: Option<organization::Model>,
    level: ClassLevel,
    share: Fraction,
    priority: Vec<String>,
}

/// Checks the parameters (not yet the target list), every problem at once.
async fn check_params(
    db: &impl ConnectionTrait,
    scope: &Scope,
    campaign: &Campaign,
    p: &PlanParams,
) -> Result<Checked> {
    let mut errs = Vec::new();
    let organiser = match p.organiser.trim() {
        "" => {
            errs.push(err("organiser", "请选择组织培训的单位"));
            None
        }
        code => {
            let o = org_in_scope(db, scope, code).await?;
            if o.is_none() {
                errs.push(err("organiser", format!("组织单位“{code}”不在您的管理范围内，请选择本单位或下级单位")));
            }
            o
        }
    };
    let under = match (p.under.trim(), &organiser) {
        ("", _) | (_, None) => None,
        (code, Some(org)) => {
            let o = org_in_scope(db, scope, code).await?.filter(|u| u.path.starts_with(&org.path));
            if o.is_none() {
                errs.push(err("under", format!("范围“{code}”不是组织单位或其下级组织，请改正")));
            }
            o
        }
    };
    let title = p.title.trim();
    if title.is_empty() {
        errs.push(err("title", "请填写班次名称，如“2015年村（社区）党组织书记轮训班”"));
    } else if title.chars().count() > classes::TITLE_MAX - 8 {
        errs.push(err("title", format!("班次名称不超过{}个字", classes::TITLE_MAX - 8)));
    }
    let level = ClassLevel::parse_label(&p.level);
    if level.is_none() {
        errs.push(err("level", "请选择班次层级"));
    }
    match (p.start, p.end) {
        (None, _) => errs.push(err("start", "请填写排期开始日期（YYYY-MM-DD）")),
        (_, None) => errs.push(err("end", "请填写排期结束日期（YYYY-MM-DD）")),
        (Some(s), Some(e)) if e < s => errs.push(err("end", format!("结束日期{e}早于开始日期{s}，请改正"))),
        (Some(s), Some(e)) if s < campaign.start_on || e > campaign.end_on => errs.push(err(
            "start",
            format!("排期须在轮训工作期间（{}至{}）内，请改正起止日期", campaign.start_on, campaign.end_on),
        )),
        _ => {}
    }
    if !p.batch_days.is_some_and(|d| (1..=60).contains(&d)) {
        errs.push(err("batch_days", "请填写每期天数（1至60）"));
    }
    if !p.capacity.is_some_and(|c| (1..=10_000).contains(&c)) {
        errs.push(err("capacity", "请填写每期人数上限（1至10000）"));
    }
    if !p.venues.is_some_and(|v| (1..=planner::MAX_VENUES).contains(&v)) {
        errs.push(err("venues", format!("请填写可同时开班的场地数（1至{}）", planner::MAX_VENUES)));
    }
    let share = match p.max_org_share.trim() {
        "" => Fraction::ONE,
        s => Fraction::parse(s).unwrap_or_else(|m| {
            errs.push(err("max_org_share", format!("同一单位每期参训比例{m}")));
            Fraction::ONE
        }),
    };
    let mut priority = Vec::new();
    for code in p.priority_orgs.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        match org_in_scope(db, scope, code).await? {
            Some(o) => priority.push(o.path),
            None => errs.push(err("priority_orgs", format!("优先组织“{code}”不在您的管理范围内，请核对组织代码"))),
        }
    }
    match (organiser, level, errs.is_empty()) {
        (Some(organiser), Some(level), true) => Ok(Checked { organiser, under, level, share, priority }),
        _ => Err(StoreError::Invalid(errs)),
    }
}

/// Validates parameters without planning (a form whose other fields were already refused).
pub async fn check(db: &impl ConnectionTrait, scope: &Scope, campaign_id: i64, p: &PlanParams) -> Result<()> {
    let campaign = campaigns::get(db, scope, campaign_id).await?;
    check_params(db, scope, &campaign, p).await.map(|_| ())
}

/// Checks the parameters and builds the planner's input from the organiser's target list.
async fn resolve(
    db: &impl ConnectionTrait,
    scope: &Scope,
    campaign_id: i64,
    p: &PlanParams,
) -> Result<(Resolved, HashMap<i64, Label>)> {
    let campaign = campaigns::get(db, scope, campaign_id).await?;
    let Checked { organiser, under, level, share, priority } = check_params(db, scope, &campaign, p).await?;

    // The organiser's target list, not yet in any batch of the campaign.
    let q = TargetQuery {
        campaign_id,
        organiser: Some(organiser.id),
        under: under.as_ref().map(|u| u.id),
        sector: p.sector,
        role: p.role,
        rank_level: p.rank_level,
        progress: Some(ProgressFilter::NotPlanned),
    };
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let at = cursor.as_deref().map_or(At::First, At::After);
        let page = targets::list(db, scope, &q, at, 2000).await?;
        rows.extend(page.items);
        if rows.len() > MAX_TRAINEES {
            return Err(StoreError::Invalid(vec![err(
                "under",
                format!("参训对象超过{MAX_TRAINEES}人，请按下级单位或领域分别排期"),
            )]));
        }
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    if rows.is_empty() {
        return Err(StoreError::Invalid(vec![err("under", "所选范围内没有尚未安排的参训对象，请调整范围或筛选条件")]));
    }
    // A township's people travel together: the group is the parent of their organisation.
    let org_ids: BTreeSet<i64> = rows.iter().map(|r| r.person.org_id).collect();
    let orgs: HashMap<i64, organization::Model> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(org_ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o))
        .collect();
    let mut by_id: HashMap<String, i64> = HashMap::new();
    let mut labels = HashMap::new();
    let mut people = Vec::with_capacity(rows.len());
    for r in rows {
        let p_ = &r.person;
        let org = orgs.get(&p_.org_id);
        let path = org.map(|o| o.path.as_str()).unwrap_or_default();
        by_id.insert(p_.id_number.clone(), p_.id);
        labels.insert(p_.id, Label { name: p_.name.clone(), org: r.org_name.clone(), masked_id: p_.masked_id() });
        let t = Trainee {
            id: p_.id,
            name: p_.name.clone(),
            org: p_.org_id,
            group: org.and_then(|o| o.parent_id).unwrap_or(p_.org_id),
            duty: Duty::from_roles(p_.roles),
            priority: priority.iter().any(|pp| path.starts_with(pp.as_str())),
            unavailable: Vec::new(),
        };
        people.push((t, org.and_then(|o| Sector::from_code(&o.sector)), p_.roles, p_.rank_level));
    }
    let mut errs = Vec::new();
    let index: HashMap<i64, usize> = people.iter().enumerate().map(|(i, (t, ..))| (t.id, i)).collect();
    for (id_number, from, to) in &p.unavailable {
        let Some(&i) = by_id.get(id_number.trim()).and_then(|id| index.get(id)) else {
            errs.push(err(
                "unavailable",
                format!(
                    "不能参训日期中的身份证号“{}”不在本次排期的参训对象中，请核对",
                    xuepei_domain::idcard::mask(id_number.trim())
                ),
            ));
            continue;
        };
        if to < from || (*to - *from).num_days() > 366 {
            errs.push(err("unavailable", format!("{}的不能参训日期{from}至{to}有误，请改正", people[i].0.name)));
            continue;
        }
        people[i].0.unavailable.extend(from.iter_days().take_while(|d| d <= to));
    }
    let rule = length_rule(&campaign, &people).map_err(|m| StoreError::Invalid(vec![err("batch_days", m)]))?;
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let input = PlanInput {
        trainees: people.into_iter().map(|(t, ..)| t).collect(),
        start: p.start.unwrap_or(campaign.start_on),
        end: p.end.unwrap_or(campaign.end_on),
        batch_days: p.batch_days.unwrap_or(3),
        length_rule: rule,
        capacity: p.capacity.unwrap_or(1),
        venues: p.venues.unwrap_or(1),
        calendar: Calendar { weekends_off: p.weekends_off, holidays: p.holidays.clone(), workdays: p.workdays.clone() },
        max_org_share: share,
    };
    Ok((Resolved { campaign, organiser, level, input }, labels))
}

fn planner_refusal(e: planner::PlanError) -> StoreError {
    let field = match e {
        planner::PlanError::WindowReversed { .. } | planner::PlanError::WindowTooLong { .. } => "end",
        planner::PlanError::BatchLength(_) | planner::PlanError::BadRule { .. } => "batch_days",
        planner::PlanError::ZeroCapacity => "capacity",
        planner::PlanError::Venues(_) => "venues",
        planner::PlanError::ZeroShare => "max_org_share",
        planner::PlanError::DuplicateTrainee(_) => "under",
    };
    StoreError::Invalid(vec![err(field, e.to_string())])
}

fn counts(p: &Plan, input: &PlanInput) -> (i32, i32, i32) {
    let n = |x: usize| i32::try_from(x).unwrap_or(i32::MAX);
    (n(input.trainees.len()), n(p.batches.len()), n(p.unplaced.len()))
}

/// Runs the planner over the organiser's target list and keeps the proposal as a draft.
pub async fn propose(tx: &Tx, campaign_id: i64, params: &PlanParams) -> Result<PlanView> {
    let (r, labels) = resolve(tx.conn(), tx.scope(), campaign_id, params).await?;
    let proposal = planner::plan(&r.input).map_err(planner_refusal)?;
    let (trainees, batches, unplaced) = counts(&proposal, &r.input);
    let t = now();
    let title = params.title.trim().to_owned();
    let stored = Stored { input: r.input, labels };
    let m = plan::ActiveModel {
        campaign_id: Set(r.campaign.id),
        org_id: Set(r.organiser.id),
        org_path: Set(r.organiser.path.clone()),
        title: Set(title.clone()),
        params: Set(serde_json::to_string(&PlanParams { level: r.level.code().to_owned(), ..params.clone() })
            .unwrap_or_default()),
        input: Set(serde_json::to_string(&stored).unwrap_or_default()),
        proposal: Set(serde_json::to_string(&proposal).unwrap_or_default()),
        status: Set(PlanStatus::Draft.code().to_owned()),
        trainees: Set(trainees),
        batches: Set(batches),
        unplaced: Set(unplaced),
        created_at: Set(t),
        updated_at: Set(t),
        accepted_at: Set(None),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    tx.record(Entry {
        action: "plan.create",
        target_type: "plan",
        target_id: Some(m.id.to_string()),
        scope_path: r.organiser.path.clone(),
        summary: format!("生成分期排期方案“{title}”：{trainees}人、{batches}期、未能安排{unplaced}人"),
        before: None,
        after: Some(serde_json::json!({ "campaign_id": r.campaign.id, "trainees": trainees, "batches": batches, "unplaced": unplaced })),
    });
    get(tx.conn(), tx.scope(), m.id).await
}

fn view(m: plan::Model, organiser: OrgRef) -> Result<PlanView> {
    let broken = |e: serde_json::Error| StoreError::Db(sea_orm::DbErr::Custom(format!("plan {}: {e}", m.id)));
    let stored: Stored = serde_json::from_str(&m.input).map_err(broken)?;
    let proposal: Plan = serde_json::from_str(&m.proposal).map_err(broken)?;
    Ok(PlanView {
        id: m.id,
        campaign_id: m.campaign_id,
        organiser,
        org_path: m.org_path,
        title: m.title,
        params: serde_json::from_str(&m.params).unwrap_or_default(),
        input: stored.input,
        proposal,
        labels: stored.labels,
        status: if m.status == PlanStatus::Accepted.code() { PlanStatus::Accepted } else { PlanStatus::Draft },
        created_at: m.created_at,
        updated_at: m.updated_at,
        accepted_at: m.accepted_at,
    })
}

async fn org_ref(db: &impl ConnectionTrait, id: i64) -> Result<OrgRef> {
    let o = organization::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("组织"))?;
    Ok(OrgRef { id: o.id, code: o.code, name: o.short_name.unwrap_or(o.name) })
}

/// A plan of an organiser in the scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<PlanView> {
    let m = plan::Entity::find_by_id(id)
        .filter(scope.cond(plan::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("排期方案"))?;
    let organiser = org_ref(db, m.org_id).await?;
    view(m, organiser)
}

/// The plans of a campaign made by organisers in the scope, newest first.
pub async fn list_for_campaign(db: &impl ConnectionTrait, scope: &Scope, campaign_id: i64) -> Result<Vec<PlanSummary>> {
    let rows = plan::Entity::find()
        .filter(plan::Column::CampaignId.eq(campaign_id))
        .filter(scope.cond(plan::Column::OrgPath))
        .order_by_desc(plan::Column::Id)
        .all(db)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for m in rows {
        let organiser = org_ref(db, m.org_id).await?;
        out.push(PlanSummary {
            id: m.id,
            organiser: organiser.name,
            title: m.title,
            status: if m.status == PlanStatus::Accepted.code() { PlanStatus::Accepted } else { PlanStatus::Draft },
            trainees: m.trainees,
            batches: m.batches,
            unplaced: m.unplaced,
            updated_at: m.updated_at,
        });
    }
    Ok(out)
}

async fn draft_for_write(tx: &Tx, id: i64) -> Result<PlanView> {
    let p = get(tx.conn(), tx.scope(), id).await?;
    if p.status == PlanStatus::Accepted {
        return Err(StoreError::Forbidden("该排期方案已确认并生成班次，不能再调整；请到班次中调整学员".into()));
    }
    Ok(p)
}

async fn save_proposal(tx: &Tx, p: &PlanView, proposal: &Plan) -> Result<()> {
    let (_, batches, unplaced) = counts(proposal, &p.input);
    plan::Entity::update_many()
        .col_expr(plan::Column::Proposal, Expr::value(serde_json::to_string(proposal).unwrap_or_default()))
        .col_expr(plan::Column::Batches, Expr::value(batches))
        .col_expr(plan::Column::Unplaced, Expr::value(unplaced))
        .col_expr(plan::Column::UpdatedAt, Expr::value(now()))
        .filter(plan::Column::Id.eq(p.id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Applies an adjustment to a draft; a change that would break a hard constraint is
/// refused with the reason.
pub async fn adjust(tx: &Tx, id: i64, a: Adjustment) -> Result<PlanView> {
    let p = draft_for_write(tx, id).await?;
    let refused = |e: planner::AdjustError| StoreError::Invalid(vec![err("adjust", e.to_string())]);
    let (next, summary) = match a {
        Adjustment::Move { trainee, to } => (
            planner::move_trainee(&p.input, &p.proposal, trainee, to).map_err(refused)?,
            format!("将{}调整到第{}期", p.label(trainee).name, to + 1),
        ),
        Adjustment::Split { batch, count } => {
            let Some(b) = p.proposal.batches.get(batch) else {
                return Err(refused(planner::AdjustError::NoSuchBatch(batch)));
            };
            let moved: Vec<i64> = b.trainees.iter().rev().take(count).copied().collect();
            let used: BTreeSet<(NaiveDate, u32)> = p.proposal.batches.iter().map(|b| (b.start, b.venue)).collect();
            let free = planner::slots(&p.input)
                .into_iter()
                .flat_map(|(s, e)| (0..p.input.venues).map(move |v| (s, e, v)))
                .find(|(s, _, v)| !used.contains(&(*s, *v)));
            let Some((start, end, venue)) = free else {
                return Err(StoreError::Invalid(vec![err(
                    "adjust",
                    "排期范围内没有空余的期次可供拆分，请延长日期范围或增加场地后重新排期",
                )]));
            };
            (
                planner::split_batch(&p.input, &p.proposal, batch, &moved, start, end, venue).map_err(refused)?,
                format!("拆分第{}期（{}人移至{start}开始的新一期）", batch + 1, moved.len()),
            )
        }
        Adjustment::Merge { into, from } => (
            planner::merge_batches(&p.input, &p.proposal, into, from).map_err(refused)?,
            format!("将第{}期并入第{}期", from + 1, into + 1),
        ),
    };
    save_proposal(tx, &p, &next).await?;
    tx.record(Entry {
        action: "plan.adjust",
        target_type: "plan",
        target_id: Some(id.to_string()),
        scope_path: p.org_path.clone(),
        summary: format!("调整分期排期方案“{}”：{summary}", p.title),
        before: None,
        after: None,
    });
    get(tx.conn(), tx.scope(), id).await
}

/// Accepts a draft: one class per batch, its people enrolled, all in the caller's
/// transaction (a refusal of any class or person refuses the whole plan).
pub async fn accept(tx: &Tx, id: i64) -> Result<Vec<i64>> {
    let p = draft_for_write(tx, id).await?;
    // Claimed by a conditional update: of two accepts at once, the second waits for the
    // first's row lock and then finds no draft.
    let claimed = plan::Entity::update_many()
        .col_expr(plan::Column::Status, Expr::value(PlanStatus::Accepted.code()))
        .filter(plan::Column::Id.eq(id))
        .filter(plan::Column::Status.eq(PlanStatus::Draft.code()))
        .exec(tx.conn())
        .await?
        .rows_affected;
    if claimed == 0 {
        return Err(StoreError::Conflict(
            "该排期方案已被确认（可能刚由其他用户确认），请刷新页面查看生成的班次".into(),
        ));
    }
    if p.proposal.batches.is_empty() {
        return Err(StoreError::Invalid(vec![err("adjust", "方案中没有任何一期，无法生成班次")]));
    }
    let group = TargetFilter {
        orgs: Vec::new(),
        sectors: p.params.sector.into_iter().collect(),
        roles: p.params.role.into_iter().collect(),
        rank_levels: p.params.rank_level.into_iter().collect(),
    };
    let mut class_ids = Vec::with_capacity(p.proposal.batches.len());
    for (i, b) in p.proposal.batches.iter().enumerate() {
        let input = ClassInput {
            campaign_id: Some(p.campaign_id),
            title: format!("{}第{}期", p.title, i + 1),
            organiser: p.organiser.code.clone(),
            level: p.params.level.clone(),
            institution: p.params.institution.clone(),
            start: Some(b.start),
            end: Some(b.end),
            capacity: Some(i64::from(p.input.capacity)),
            target_group: group.clone(),
            ..ClassInput::default()
        };
        let class = classes::create(tx, &input).await.map_err(|e| prefix(e, &format!("第{}期", i + 1)))?;
        let people: Vec<PersonRef> = b.trainees.iter().map(|&t| PersonRef::Id(t)).collect();
        enrolments::enrol(tx, class.id, &people).await.map_err(|e| prefix(e, &format!("第{}期", i + 1)))?;
        class_ids.push(class.id);
    }
    plan::Entity::update_many()
        .col_expr(plan::Column::Status, Expr::value(PlanStatus::Accepted.code()))
        .col_expr(plan::Column::AcceptedAt, Expr::value(now()))
        .col_expr(plan::Column::UpdatedAt, Expr::value(now()))
        .filter(plan::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    tx.record(Entry {
        action: "plan.accept",
        target_type: "plan",
        target_id: Some(id.to_string()),
        scope_path: p.org_path.clone(),
        summary: format!("确认分期排期方案“{}”，生成{}个班次", p.title, class_ids.len()),
        before: None,
        after: json(&class_ids),
    });
    Ok(class_ids)
}

/// Names the batch in each message of a refusal.
fn prefix(e: StoreError, what: &str) -> StoreError {
    match e {
        StoreError::Invalid(errs) => StoreError::Invalid(
            errs.into_iter()
                .map(|f| FieldError { field: f.field, message: format!("{what}：{}", f.message) })
                .collect(),
        ),
        other => other,
    }
}

/// Discards a draft.
pub async fn discard(tx: &Tx, id: i64) -> Result<()> {
    let p = draft_for_write(tx, id).await?;
    plan::Entity::delete_by_id(id).exec(tx.conn()).await?;
    tx.record(Entry {
        action: "plan.delete",
        target_type: "plan",
        target_id: Some(id.to_string()),
        scope_path: p.org_path.clone(),
        summary: format!("删除分期排期方案“{}”", p.title),
        before: None,
        after: None,
    });
    Ok(())
}
