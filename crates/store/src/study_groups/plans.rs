//! A study group's annual plan (topics by month) and thematic plans on their route: the
//! group drafts and submits, the approving body returns with comments or approves; an
//! approved plan changes only by an audited correction with a reason.

use chrono::{DateTime, Datelike, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::{self as rules, BODY_MAX, PlanAction, PlanKind, PlanState, TITLE_MAX};

use super::Group;
use crate::audit::{Entry, Tx, json};
use crate::entity::{organization, study_plan};
use crate::meetings::{clean, err, to_json};
use crate::org::now;
use crate::scope::Scope;
use crate::{Result, StoreError};

/// A month's topic of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Topic {
    pub month: u32,
    pub topic: String,
}

/// A plan as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanInput {
    pub year: Option<i32>,
    /// A kind code (`annual`, `thematic`) or its label; empty: annual.
    pub kind: String,
    pub title: String,
    pub topics: Vec<Topic>,
    pub body: String,
}

/// A plan as read.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub id: i64,
    pub group_id: i64,
    pub group_name: String,
    #[serde(skip)]
    pub org_path: String,
    /// The body the plan goes to: fixed when it is submitted (the group's approving body
    /// of that moment); before that, the group's approving body of now.
    pub approver: crate::classes::OrgRef,
    #[serde(skip)]
    pub approver_path: String,
    /// The organisation whose account returned or approved the plan last (the approving
    /// body or one above it).
    pub decided_by: Option<crate::classes::OrgRef>,
    pub year: i32,
    pub kind: PlanKind,
    pub title: String,
    pub topics: Vec<Topic>,
    pub body: String,
    pub state: PlanState,
    pub comments: String,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

struct Checked {
    year: i32,
    kind: PlanKind,
    title: String,
    topics: Vec<Topic>,
    body: String,
}

fn check(input: &PlanInput, g: &Group) -> Result<Checked> {
    let mut errs = Vec::new();
    let today = xuepei_domain::time::today();
    let year = match input.year {
        None => {
            errs.push(err("year", "请填写计划年度"));
            None
        }
        Some(y) => match rules::check_plan_year(y, today) {
            Ok(()) => Some(y),
            Err(m) => {
                errs.push(err("year", m));
                None
            }
        },
    };
    let kind = match input.kind.trim() {
        "" => Some(PlanKind::Annual),
        k => PlanKind::parse_label(k),
    };
    if kind.is_none() {
        errs.push(err(
            "kind",
            format!("计划类别“{}”无效，可选：年度学习计划（annual）、专题学习方案（thematic）", input.kind.trim()),
        ));
    }
    let mut title = clean(&input.title, TITLE_MAX, "计划标题", "title", &mut errs);
    if title.is_empty()
        && let (Some(y), Some(PlanKind::Annual)) = (year, kind)
    {
        title = format!("{}{y}年度学习计划", g.name);
    }
    // Only a thematic plan needs a title typed: an annual plan's is made from its year
    // (when the year is refused, that is what to fix, not the title).
    if title.is_empty() && kind == Some(PlanKind::Thematic) && errs.iter().all(|e| e.field != "title") {
        errs.push(err("title", "请填写专题学习方案的标题"));
    }
    let body = clean(&input.body, BODY_MAX, "计划正文", "body", &mut errs);
    let mut topics = Vec::new();
    for t in &input.topics {
        let topic = clean(&t.topic, TITLE_MAX, &format!("{}月学习专题", t.month), "topics", &mut errs);
        if topic.is_empty() {
            continue;
        }
        if !(1..=12).contains(&t.month) {
            errs.push(err("topics", format!("学习专题“{topic}”的月份{}有误，应为1至12", t.month)));
            continue;
        }
        topics.push(Topic { month: t.month, topic });
    }
    topics.sort_by_key(|t| t.month);
    if kind == Some(PlanKind::Annual) && topics.is_empty() && body.is_empty() && errs.is_empty() {
        errs.push(err("topics", "年度学习计划请按月填写学习专题，或填写计划正文"));
    }
    match (year, kind, errs.is_empty()) {
        (Some(year), Some(kind), true) => Ok(Checked { year, kind, title, topics, body }),
        _ => Err(StoreError::Invalid(errs)),
    }
}

async fn same_title(db: &impl ConnectionTrait, group_id: i64, c: &Checked, except: Option<i64>) -> Result<bool> {
    let mut q = study_plan::Entity::find()
        .select_only()
        .column(study_plan::Column::Id)
        .filter(study_plan::Column::GroupId.eq(group_id))
        .filter(study_plan::Column::Year.eq(c.year))
        .filter(study_plan::Column::Kind.eq(c.kind.code()))
        .filter(study_plan::Column::Title.eq(c.title.clone()));
    if let Some(id) = except {
        q = q.filter(study_plan::Column::Id.ne(id));
    }
    Ok(q.into_tuple::<i64>().one(db).await?.is_some())
}

/// A group has one annual plan a year: the one there is, if any.
async fn annual_taken(
    db: &impl ConnectionTrait,
    group_id: i64,
    c: &Checked,
    except: Option<i64>,
) -> Result<Option<study_plan::Model>> {
    if c.kind != PlanKind::Annual {
        return Ok(None);
    }
    annual_of(db, group_id, c.year, except).await
}

async fn annual_of(
    db: &impl ConnectionTrait,
    group_id: i64,
    year: i32,
    except: Option<i64>,
) -> Result<Option<study_plan::Model>> {
    let mut q = study_plan::Entity::find()
        .filter(study_plan::Column::GroupId.eq(group_id))
        .filter(study_plan::Column::Year.eq(year))
        .filter(study_plan::Column::Kind.eq(PlanKind::Annual.code()));
    if let Some(id) = except {
        q = q.filter(study_plan::Column::Id.ne(id));
    }
    Ok(q.order_by_asc(study_plan::Column::Id).one(db).await?)
}

/// A group's annual plan of a year, if it has one (the plan form links to it).
pub async fn annual(db: &impl ConnectionTrait, scope: &Scope, group_id: i64, year: i32) -> Result<Option<Plan>> {
    match annual_of(db, group_id, year, None).await? {
        Some(row) if scope.contains_path(&row.org_path) => Ok(build(db, scope, vec![row]).await?.pop()),
        _ => Ok(None),
    }
}

/// What to do about the annual plan a year already has, by where it stands.
pub fn existing_annual_advice(state: PlanState) -> &'static str {
    match state {
        PlanState::Draft | PlanState::Returned => "请打开该计划修改后报送",
        PlanState::Submitted => "该计划已报送，正在等待审批；如需修改，请联系审批机关退回",
        PlanState::Approved => {
            "该计划已审批，不能直接修改；如确需调整，请由有更正权限的人员（宣传部门）使用“更正”并说明原因"
        }
    }
}

async fn refuse_duplicates(db: &impl ConnectionTrait, g: &Group, c: &Checked, except: Option<i64>) -> Result<()> {
    if let Some(other) = annual_taken(db, g.id, c, except).await? {
        let state = PlanState::from_code(&other.state).unwrap_or(PlanState::Draft);
        return Err(StoreError::invalid(
            "year",
            format!(
                "{}{}年度已有年度学习计划《{}》（编号{}，{}），每年只制定一份；{}",
                g.name,
                c.year,
                other.title,
                other.id,
                state.label(),
                existing_annual_advice(state)
            ),
        ));
    }
    if same_title(db, g.id, c, except).await? {
        return Err(StoreError::invalid("title", format!("{}年度已有标题为“{}”的计划，请换一个标题", c.year, c.title)));
    }
    Ok(())
}

/// Drafts a plan of a group in the writer's scope.
pub async fn create(tx: &Tx, group_id: i64, input: &PlanInput) -> Result<Plan> {
    let g = super::get(tx.conn(), tx.scope(), group_id).await?;
    let c = check(input, &g)?;
    refuse_duplicates(tx.conn(), &g, &c, None).await?;
    let t = now();
    let row = study_plan::ActiveModel {
        group_id: Set(g.id),
        org_id: Set(g.org.id),
        org_path: Set(g.org_path.clone()),
        year: Set(c.year),
        kind: Set(c.kind.code().to_owned()),
        title: Set(c.title),
        topics: Set(to_json(&c.topics)),
        body: Set(c.body),
        state: Set(PlanState::Draft.code().to_owned()),
        comments: Set(String::new()),
        submitted_at: Set(None),
        decided_at: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    let after = get(tx.conn(), tx.scope(), row.id).await?;
    tx.record(Entry {
        action: "study_plan.create",
        target_type: "study_plan",
        target_id: Some(row.id.to_string()),
        scope_path: g.org_path,
        summary: format!("起草{}《{}》", after.kind.label(), after.title),
        before: None,
        after: json(&after),
    });
    Ok(after)
}

async fn write(tx: &Tx, id: i64, c: Checked) -> Result<()> {
    study_plan::Entity::update_many()
        .col_expr(study_plan::Column::Year, Expr::value(c.year))
        .col_expr(study_plan::Column::Kind, Expr::value(c.kind.code()))
        .col_expr(study_plan::Column::Title, Expr::value(c.title))
        .col_expr(study_plan::Column::Topics, Expr::value(to_json(&c.topics)))
        .col_expr(study_plan::Column::Body, Expr::value(c.body))
        .col_expr(study_plan::Column::UpdatedAt, Expr::value(now()))
        .filter(study_plan::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Changes a draft or a returned plan.
pub async fn update(tx: &Tx, id: i64, input: &PlanInput) -> Result<Plan> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    if !before.state.editable() {
        return Err(StoreError::Forbidden(match before.state {
            PlanState::Approved => "该计划已审批，不能直接修改；如确需更正，请使用“更正”并说明原因".to_owned(),
            _ => "该计划已报送，正在等待审批，不能修改；如需修改请联系审批机关退回".to_owned(),
        }));
    }
    let g = super::get(tx.conn(), tx.scope(), before.group_id).await?;
    let c = check(input, &g)?;
    refuse_duplicates(tx.conn(), &g, &c, Some(id)).await?;
    write(tx, id, c).await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "study_plan.update",
        target_type: "study_plan",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("修改{}《{}》", after.kind.label(), after.title),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// Takes a step on the plan's route. Submitting is the group's (its scope); returning and
/// approving are the approving body's: the actor's scope must hold that body.
pub async fn act(tx: &Tx, id: i64, action: PlanAction, comments: &str) -> Result<Plan> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    let mut errs = Vec::new();
    let comments = clean(comments, 1000, "审批意见", "comments", &mut errs);
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    // Submitting fixes the approving body on the plan: the group's of this moment. Returning
    // and approving are checked against the body it was submitted to, never the group's
    // approving body of now (which may have changed since).
    let approver_now = if action == PlanAction::Submit {
        Some(super::get(tx.conn(), tx.scope(), before.group_id).await?.approver)
    } else {
        None
    };
    if matches!(action, PlanAction::Return | PlanAction::Approve) && !tx.scope().contains_path(&before.approver_path) {
        return Err(StoreError::Forbidden(format!(
            "该计划报{}审批，只有{}的账号可以退回或审批",
            before.approver.name, before.approver.name
        )));
    }
    if action == PlanAction::Submit && before.year < xuepei_domain::time::today().year() {
        return Err(StoreError::invalid("year", format!("{}年已经结束，不能再报送该年度的计划", before.year)));
    }
    let state = rules::next_state(before.state, action, &comments).map_err(StoreError::Conflict)?;
    let t = now();
    let mut q = study_plan::Entity::update_many()
        .col_expr(study_plan::Column::State, Expr::value(state.code()))
        .col_expr(study_plan::Column::UpdatedAt, Expr::value(t));
    q = match action {
        PlanAction::Submit => q.col_expr(study_plan::Column::SubmittedAt, Expr::value(t)),
        PlanAction::Return | PlanAction::Approve => q
            .col_expr(study_plan::Column::DecidedAt, Expr::value(t))
            .col_expr(study_plan::Column::Comments, Expr::value(comments.clone())),
    };
    // The state read is the state changed: a concurrent step finds nothing to update.
    let done = q
        .filter(study_plan::Column::Id.eq(id))
        .filter(study_plan::Column::State.eq(before.state.code()))
        .exec(tx.conn())
        .await?;
    if done.rows_affected == 0 {
        return Err(StoreError::Conflict("该计划的状态刚被其他用户改变，请刷新后再操作".into()));
    }
    let route = study_plan::Entity::update_many().filter(study_plan::Column::Id.eq(id));
    match (action, approver_now) {
        (PlanAction::Submit, Some(a)) => {
            route.col_expr(study_plan::Column::ApproverOrgId, Expr::value(a.id)).exec(tx.conn()).await?;
        }
        (PlanAction::Return | PlanAction::Approve, _) => {
            // The deciding organisation: the account's own (the approving body or a body
            // above it); the system scope decides as the approving body.
            let by = tx.scope().root_org_id().unwrap_or(before.approver.id);
            route
                .col_expr(study_plan::Column::ApproverOrgId, Expr::value(before.approver.id))
                .col_expr(study_plan::Column::DecidedOrgId, Expr::value(by))
                .exec(tx.conn())
                .await?;
        }
        _ => {}
    }
    let after = get(tx.conn(), tx.scope(), id).await?;
    let (code, words) = match action {
        PlanAction::Submit => ("study_plan.submit", format!("报送{}审批", after.approver.name)),
        PlanAction::Return => ("study_plan.return", format!("经{}退回修改，意见：{comments}", decider(&after))),
        PlanAction::Approve => ("study_plan.approve", format!("经{}审批通过", decider(&after))),
    };
    tx.record(Entry {
        action: code,
        target_type: "study_plan",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("{}《{}》{words}", after.kind.label(), after.title),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// Corrects an approved plan: the change and its reason go to the audit trail together.
pub async fn correct(tx: &Tx, id: i64, input: &PlanInput, reason: &str) -> Result<Plan> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    if before.state != PlanState::Approved {
        return Err(StoreError::Conflict("该计划尚未审批，请直接修改".into()));
    }
    let mut errs = Vec::new();
    let reason = clean(reason, 200, "更正原因", "reason", &mut errs);
    if reason.is_empty() && errs.is_empty() {
        errs.push(err("reason", "请填写更正原因（如“根据上级通知调整第三季度专题”）"));
    }
    let g = super::get(tx.conn(), tx.scope(), before.group_id).await?;
    // A past year's plan is corrected in its year; a plan moved to another year meets the
    // usual year rules (an open year, one annual plan a year).
    let mut input = input.clone();
    let wanted = *input.year.get_or_insert(before.year);
    let checked = if wanted == before.year {
        check_for_correction(&input, &g, before.year)
    } else if before.year < xuepei_domain::time::today().year() {
        Err(StoreError::invalid(
            "year",
            format!("{}年已经结束，该年度的计划只能在本年度内更正，不能改到其他年度", before.year),
        ))
    } else {
        check(&input, &g).map_err(|e| match e {
            StoreError::Invalid(mut more) => {
                for m in more.iter_mut().filter(|m| m.field == "year") {
                    m.message = format!("计划年度不能由{}年更正为{wanted}年：{}", before.year, m.message);
                }
                StoreError::Invalid(more)
            }
            other => other,
        })
    };
    let c = match (checked, errs.is_empty()) {
        (Ok(c), true) => c,
        (Ok(_), false) => return Err(StoreError::Invalid(errs)),
        (Err(StoreError::Invalid(more)), _) => {
            errs.extend(more);
            return Err(StoreError::Invalid(errs));
        }
        (Err(e), _) => return Err(e),
    };
    refuse_duplicates(tx.conn(), &g, &c, Some(id)).await?;
    write(tx, id, c).await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "study_plan.correct",
        target_type: "study_plan",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("更正已审批的《{}》，原因：{reason}", after.title),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// The plan check without the open-year rule (a correction keeps its year).
fn check_for_correction(input: &PlanInput, g: &Group, year: i32) -> Result<Checked> {
    match check(input, g) {
        Err(StoreError::Invalid(errs)) => {
            let rest: Vec<_> = errs.into_iter().filter(|e| e.field != "year").collect();
            if rest.is_empty() {
                // Only the year was refused: re-check with a year that is open, keep the real one.
                let mut open = input.clone();
                open.year = Some(xuepei_domain::time::today().year());
                let mut c = check(&open, g)?;
                c.year = year;
                Ok(c)
            } else {
                Err(StoreError::Invalid(rest))
            }
        }
        other => other,
    }
}

fn broken(id: i64, e: serde_json::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(format!("study plan {id}: {e}")))
}

fn decider(p: &Plan) -> &str {
    p.decided_by.as_ref().map_or(p.approver.name.as_str(), |o| o.name.as_str())
}

async fn build(db: &impl ConnectionTrait, scope: &Scope, rows: Vec<study_plan::Model>) -> Result<Vec<Plan>> {
    let mut groups: std::collections::HashMap<i64, Group> = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    let org_ids: std::collections::BTreeSet<i64> =
        rows.iter().flat_map(|m| [m.approver_org_id, m.decided_org_id]).flatten().collect();
    let orgs = crate::meetings::org_refs(db, org_ids.iter().copied()).await?;
    let paths: std::collections::HashMap<i64, String> = if org_ids.is_empty() {
        std::collections::HashMap::new()
    } else {
        organization::Entity::find()
            .filter(organization::Column::Id.is_in(org_ids.iter().copied().collect::<Vec<_>>()))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o.path))
            .collect()
    };
    for r in rows {
        let stored = r.approver_org_id.and_then(|id| Some((orgs.get(&id)?.clone(), paths.get(&id)?.clone())));
        let decided_by = r.decided_org_id.and_then(|id| orgs.get(&id).cloned());
        if let std::collections::hash_map::Entry::Vacant(v) = groups.entry(r.group_id) {
            v.insert(super::get(db, scope, r.group_id).await?);
        }
        let g = &groups[&r.group_id];
        out.push(Plan {
            id: r.id,
            group_id: r.group_id,
            group_name: g.name.clone(),
            org_path: r.org_path,
            approver: stored.as_ref().map_or_else(|| g.approver.clone(), |(o, _)| o.clone()),
            approver_path: stored.map_or_else(|| g.approver_path.clone(), |(_, p)| p),
            decided_by,
            year: r.year,
            kind: PlanKind::from_code(&r.kind).unwrap_or(PlanKind::Annual),
            title: r.title,
            topics: serde_json::from_str(&r.topics).map_err(|e| broken(r.id, e))?,
            body: r.body,
            state: PlanState::from_code(&r.state).unwrap_or(PlanState::Draft),
            comments: r.comments,
            submitted_at: r.submitted_at,
            decided_at: r.decided_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        });
    }
    Ok(out)
}

/// A plan of a group in the scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Plan> {
    let row = study_plan::Entity::find_by_id(id)
        .filter(scope.cond(study_plan::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("学习计划"))?;
    build(db, scope, vec![row]).await?.pop().ok_or(StoreError::NotFound("学习计划"))
}

/// A group's plans, of one year or all, newest year first.
pub async fn of_group(db: &impl ConnectionTrait, scope: &Scope, group_id: i64, year: Option<i32>) -> Result<Vec<Plan>> {
    let mut q = study_plan::Entity::find()
        .filter(study_plan::Column::GroupId.eq(group_id))
        .filter(scope.cond(study_plan::Column::OrgPath));
    if let Some(y) = year {
        q = q.filter(study_plan::Column::Year.eq(y));
    }
    let rows = q
        .order_by_desc(study_plan::Column::Year)
        .order_by_asc(study_plan::Column::Kind)
        .order_by_asc(study_plan::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    build(db, scope, rows).await
}

/// Plans waiting for a decision of a body in the scope (the approver's inbox).
pub async fn awaiting(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<Plan>> {
    let rows = study_plan::Entity::find()
        .filter(scope.cond(study_plan::Column::OrgPath))
        .filter(study_plan::Column::State.eq(PlanState::Submitted.code()))
        .order_by_asc(study_plan::Column::SubmittedAt)
        .limit(500)
        .all(db)
        .await?;
    Ok(build(db, scope, rows).await?.into_iter().filter(|p| scope.contains_path(&p.approver_path)).collect())
}

/// The input that reproduces a plan (to edit or correct it).
pub fn input_of(p: &Plan) -> PlanInput {
    PlanInput {
        year: Some(p.year),
        kind: p.kind.code().to_owned(),
        title: p.title.clone(),
        topics: p.topics.clone(),
        body: p.body.clone(),
    }
}
