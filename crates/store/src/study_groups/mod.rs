//! Central study groups (理论学习中心组, seed 004; issue 13 item 2).
//!
//! A group belongs to its committee's organisation (one group per organisation; its path
//! registered in `paths`) and is read and changed in that organisation's scope. Its
//! members (组长, 副组长, 成员) and attendees without membership (列席) are people of that
//! organisation, kept as a JSON document on the row. The body its plans go to
//! (`approver_org_id`) is the organisation itself or one above it, so the approving
//! body's scope always holds the plan: no scope is widened to read it.
//!
//! The rooms beside this one: [`plans`] (annual and thematic plans on their route),
//! [`sessions`] (集中学习研讨 with attendance and speeches), [`reports`] (research topics
//! and annual study reports), [`rules`] (sessions a year, the attendance threshold) and
//! [`ledger`] (the year's book of a group). Rules live in `xuepei_domain::study::groups`.

pub mod ledger;
pub mod plans;
pub mod reports;
pub mod rules;
pub mod sessions;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::{GroupRules, MAX_MEMBERS, MemberRole, YearTally};
use xuepei_domain::study::meetings::Period;

use crate::audit::{Entry, Tx, json};
use crate::classes::OrgRef;
use crate::entity::{organization, study_group, study_session};
pub use crate::meetings::{PersonKey, PersonLabel};
use crate::meetings::{clean, err, key_words, labels, normal_number, org_in_scope, org_refs, people_named, to_json};
use crate::org::now;
use crate::page::{At, Page, fetch, page_of};
use crate::scope::Scope;
use crate::{Result, StoreError};

/// Unique keys of the study-group tables (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[
    crate::error::UniqueKey {
        index: "ux_study_groups_org",
        columns: "study_groups.org_id",
        message: "该单位已有理论学习中心组（可能刚被其他用户同时建立），未保存。请在中心组列表中查找",
    },
    crate::error::UniqueKey {
        index: "ux_study_plans_group_title",
        columns: "study_plans.group_id",
        message: "该中心组本年度已有同名同类的学习计划，未保存。请修改已有的计划或换一个标题",
    },
    crate::error::UniqueKey {
        index: "ux_study_sessions_group_day",
        columns: "study_sessions.group_id",
        message: "该中心组当天已有同一主题的集中学习记录，未保存。请在学习记录中查找并修改",
    },
];

/// A member as the row's JSON keeps them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredMember {
    pub person: i64,
    pub role: MemberRole,
}

/// A group as submitted: the organisation and approving body by code, members by key
/// with a role code or label.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupInput {
    pub org: String,
    pub name: String,
    /// The body plans are submitted to; empty: the organisation above (itself at the top).
    pub approver: String,
    pub members: Vec<(PersonKey, String)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub person: PersonLabel,
    pub role: MemberRole,
    /// The person no longer belongs to the group's organisation (transferred away): shown
    /// as 已调离, never named in a new session.
    pub moved: bool,
}

/// A study group as its pages read it.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub id: i64,
    pub org: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub name: String,
    pub approver: OrgRef,
    #[serde(skip)]
    pub approver_path: String,
    pub members: Vec<Member>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Group {
    pub fn role_of(&self, person_id: i64) -> Option<MemberRole> {
        self.members.iter().find(|m| m.person.id == person_id).map(|m| m.role)
    }

    /// Members counted in the attendance rate (列席 are not).
    pub fn expected(&self) -> u32 {
        u32::try_from(self.members.iter().filter(|m| m.role.is_member()).count()).unwrap_or(u32::MAX)
    }
}

/// A group in a list, with the year's sessions against its rules.
#[derive(Debug, Clone, Serialize)]
pub struct GroupRow {
    pub id: i64,
    pub org: OrgRef,
    pub name: String,
    pub members: usize,
    pub tally: YearTallyView,
}

/// A group's year (or the year up to a month) against its rules, ready to show.
#[derive(Debug, Clone, Serialize)]
pub struct YearTallyView {
    pub sessions: u32,
    pub thematic: u32,
    pub due: u32,
    pub rate: Option<f64>,
    pub below: bool,
    pub shortfalls: Vec<String>,
}

impl YearTallyView {
    pub fn of(t: &YearTally, rules: GroupRules, month: Option<u32>) -> Self {
        let rate = t.rate();
        YearTallyView {
            sessions: t.sessions,
            thematic: t.thematic,
            due: rules.due_by(month),
            rate,
            below: xuepei_domain::study::groups::below_threshold(rate, rules),
            shortfalls: t.shortfalls(rules, month),
        }
    }
}

/// Filters of the groups list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupFilter {
    /// This organisation's subtree (by code).
    pub org: Option<String>,
}

struct Resolved {
    org: organization::Model,
    name: String,
    approver: organization::Model,
    members: Vec<StoredMember>,
}

async fn resolve(db: &impl ConnectionTrait, scope: &Scope, input: &GroupInput) -> Result<Resolved> {
    let mut errs = Vec::new();
    let org = match input.org.trim() {
        "" => {
            errs.push(err("org", "请填写中心组所在单位（组织代码）"));
            None
        }
        code => {
            let o = org_in_scope(db, scope, code).await?;
            if o.is_none() {
                errs.push(err("org", format!("单位“{code}”不在您的管理范围内，请填写本单位或下级单位的组织代码")));
            }
            o
        }
    };
    let mut name = clean(&input.name, 100, "中心组名称", "name", &mut errs);
    if name.is_empty()
        && let Some(o) = &org
    {
        name = format!("{}理论学习中心组", o.name);
    }
    // The approving body: the organisation or one above it (by path), never elsewhere.
    let approver = match &org {
        None => None,
        Some(o) => {
            let above = xuepei_domain::org::path::ids(&o.path);
            let wanted = input.approver.trim();
            let found = if wanted.is_empty() {
                let parent = above.iter().rev().nth(1).copied().unwrap_or(o.id);
                organization::Entity::find_by_id(parent).one(db).await?
            } else {
                organization::Entity::find()
                    .filter(organization::Column::Code.eq(wanted))
                    .filter(organization::Column::Id.is_in(above))
                    .one(db)
                    .await?
            };
            if found.is_none() {
                errs.push(err(
                    "approver",
                    format!("审批机关“{wanted}”不是本单位或其上级单位，学习计划只能报本单位党委（党组）或上级党委审批"),
                ));
            }
            found
        }
    };
    let mut members = Vec::new();
    if input.members.len() > MAX_MEMBERS {
        errs.push(err("members", format!("中心组人员超过{MAX_MEMBERS}人，请核对")));
    } else if let Some(o) = &org {
        let keys: Vec<&PersonKey> = input.members.iter().map(|(k, _)| k).collect();
        let (people, by_number) = people_named(db, o.id, &keys).await?;
        let mut seen = BTreeSet::new();
        for (k, role) in &input.members {
            let id = match k {
                PersonKey::Id(i) => people.contains_key(i).then_some(*i),
                PersonKey::Number(n) => by_number.get(&normal_number(n)).copied(),
            };
            let Some(id) = id else {
                errs.push(err("members", format!("{}不是本单位（{}）登记的人员，请核对", key_words(k), o.name)));
                continue;
            };
            let parsed = match role.trim() {
                "" => Some(MemberRole::Member),
                r => MemberRole::parse_label(r),
            };
            let Some(role) = parsed else {
                errs.push(err(
                    "members",
                    format!("{}的身份“{}”无效，可选：组长、副组长、成员、列席", people[&id].name, role.trim()),
                ));
                continue;
            };
            if !seen.insert(id) {
                errs.push(err("members", format!("{}重复列入中心组，请删除重复的一行", people[&id].name)));
                continue;
            }
            members.push(StoredMember { person: id, role });
        }
    }
    if org.is_some() && !members.iter().any(|m| m.role.is_member()) && errs.iter().all(|e| e.field != "members") {
        errs.push(err("members", "请至少选择一名中心组成员（组长、副组长或成员）"));
    }
    match (org, approver, errs.is_empty()) {
        (Some(org), Some(approver), true) => Ok(Resolved { org, name, approver, members }),
        _ => Err(StoreError::Invalid(errs)),
    }
}

/// The group of an organisation, if it has one (the unique key, told before the insert).
async fn of_org_id(db: &impl ConnectionTrait, org_id: i64) -> Result<Option<i64>> {
    Ok(study_group::Entity::find()
        .select_only()
        .column(study_group::Column::Id)
        .filter(study_group::Column::OrgId.eq(org_id))
        .into_tuple()
        .one(db)
        .await?)
}

/// Sets up the study group of an organisation of the writer's scope.
pub async fn create(tx: &Tx, input: &GroupInput) -> Result<Group> {
    let r = resolve(tx.conn(), tx.scope(), input).await?;
    if let Some(other) = of_org_id(tx.conn(), r.org.id).await? {
        return Err(StoreError::invalid(
            "org",
            format!("{}已有理论学习中心组（编号{other}），每个单位只设一个中心组，请修改已有的中心组", r.org.name),
        ));
    }
    let t = now();
    let g = study_group::ActiveModel {
        org_id: Set(r.org.id),
        org_path: Set(r.org.path.clone()),
        name: Set(r.name.clone()),
        approver_org_id: Set(r.approver.id),
        members: Set(to_json(&r.members)),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    let after = get(tx.conn(), tx.scope(), g.id).await?;
    tx.record(Entry {
        action: "study_group.create",
        target_type: "study_group",
        target_id: Some(g.id.to_string()),
        scope_path: r.org.path,
        summary: format!("建立{}（{}人）", after.name, after.members.len()),
        before: None,
        after: json(&after),
    });
    Ok(after)
}

/// Changes a group's name, approving body or members; its organisation stays.
pub async fn update(tx: &Tx, id: i64, input: &GroupInput) -> Result<Group> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    if input.org.trim() != before.org.code {
        return Err(StoreError::invalid("org", "中心组所在单位不能修改；如建错了单位，请在正确的单位重新建立"));
    }
    let r = resolve(tx.conn(), tx.scope(), input).await?;
    if r.approver.id != before.approver.id {
        check_approver_change(tx, &before).await?;
    }
    study_group::Entity::update_many()
        .col_expr(study_group::Column::Name, Expr::value(r.name))
        .col_expr(study_group::Column::ApproverOrgId, Expr::value(r.approver.id))
        .col_expr(study_group::Column::Members, Expr::value(to_json(&r.members)))
        .col_expr(study_group::Column::UpdatedAt, Expr::value(now()))
        .filter(study_group::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "study_group.update",
        target_type: "study_group",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("修改{}（{}人）", after.name, after.members.len()),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// A group's approving body is changed only by that body or one above it (never by the
/// group's own organisation when the body is above it), and not while a plan waits for it.
async fn check_approver_change(tx: &Tx, g: &Group) -> Result<()> {
    if !tx.scope().contains_path(&g.approver_path) {
        return Err(StoreError::Forbidden(format!(
            "{}的学习计划报{}审批，审批机关只能由{}或其上级党委更改，本单位不能自行更改；如确需调整，请联系{}",
            g.name, g.approver.name, g.approver.name, g.approver.name
        )));
    }
    let pending: Option<(i64, String)> = crate::entity::study_plan::Entity::find()
        .select_only()
        .column(crate::entity::study_plan::Column::Id)
        .column(crate::entity::study_plan::Column::Title)
        .filter(crate::entity::study_plan::Column::GroupId.eq(g.id))
        .filter(crate::entity::study_plan::Column::State.eq(xuepei_domain::study::groups::PlanState::Submitted.code()))
        .into_tuple()
        .one(tx.conn())
        .await?;
    if let Some((id, title)) = pending {
        return Err(StoreError::Conflict(format!(
            "《{title}》（编号{id}）已报送{}，正在等待审批，审批或退回前不能更改审批机关",
            g.approver.name
        )));
    }
    Ok(())
}

pub(crate) fn members_of(m: &study_group::Model) -> Result<Vec<StoredMember>> {
    serde_json::from_str(&m.members)
        .map_err(|e| StoreError::Db(sea_orm::DbErr::Custom(format!("study group {}: {e}", m.id))))
}

/// Builds groups from their rows: organisations and people read once for all.
async fn build(db: &impl ConnectionTrait, rows: Vec<study_group::Model>) -> Result<Vec<Group>> {
    let mut docs = Vec::with_capacity(rows.len());
    for r in rows {
        let members = members_of(&r)?;
        docs.push((r, members));
    }
    // Ids collected first: an iterator of closures held across an await is not `Send`
    // for every lifetime, and the handlers' futures must be.
    let org_ids: Vec<i64> = docs.iter().flat_map(|(r, _)| [r.org_id, r.approver_org_id]).collect();
    let orgs = org_refs(db, org_ids).await?;
    let approver_paths: HashMap<i64, String> = organization::Entity::find()
        .filter(organization::Column::Id.is_in(docs.iter().map(|(r, _)| r.approver_org_id).collect::<BTreeSet<_>>()))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, o.path))
        .collect();
    let person_ids: Vec<i64> = docs.iter().flat_map(|(_, m)| m.iter().map(|x| x.person)).collect();
    let homes: HashMap<i64, i64> = if person_ids.is_empty() {
        HashMap::new()
    } else {
        crate::entity::person::Entity::find()
            .select_only()
            .column(crate::entity::person::Column::Id)
            .column(crate::entity::person::Column::OrgId)
            .filter(crate::entity::person::Column::Id.is_in(person_ids.iter().copied().collect::<BTreeSet<_>>()))
            .into_tuple::<(i64, i64)>()
            .all(db)
            .await?
            .into_iter()
            .collect()
    };
    let people = labels(db, person_ids).await?;
    let org = |id: i64| orgs.get(&id).cloned().unwrap_or(OrgRef { id, code: String::new(), name: String::new() });
    Ok(docs
        .into_iter()
        .map(|(r, members)| Group {
            id: r.id,
            org: org(r.org_id),
            org_path: r.org_path,
            name: r.name,
            approver: org(r.approver_org_id),
            approver_path: approver_paths.get(&r.approver_org_id).cloned().unwrap_or_default(),
            members: members
                .into_iter()
                .map(|m| Member {
                    person: people.get(&m.person).cloned().unwrap_or_else(|| PersonLabel::gone(m.person)),
                    role: m.role,
                    moved: homes.get(&m.person).is_some_and(|&o| o != r.org_id),
                })
                .collect(),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// A group of an organisation in the scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Group> {
    let row = study_group::Entity::find_by_id(id)
        .filter(scope.cond(study_group::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("理论学习中心组"))?;
    build(db, vec![row]).await?.pop().ok_or(StoreError::NotFound("理论学习中心组"))
}

/// The input that reproduces a group (to edit it).
pub fn input_of(g: &Group) -> GroupInput {
    GroupInput {
        org: g.org.code.clone(),
        name: g.name.clone(),
        approver: g.approver.code.clone(),
        members: g.members.iter().map(|m| (PersonKey::Id(m.person.id), m.role.code().to_owned())).collect(),
    }
}

/// Each group's sessions of a period, tallied (one grouped read).
pub(crate) async fn tallies(
    db: &impl ConnectionTrait,
    group_ids: &[i64],
    period: Period,
) -> Result<HashMap<i64, YearTally>> {
    let mut out: HashMap<i64, YearTally> = HashMap::new();
    if group_ids.is_empty() {
        return Ok(out);
    }
    let (from, until) = period.range();
    let rows: Vec<(i64, bool, i32, i32)> = study_session::Entity::find()
        .select_only()
        .columns([
            study_session::Column::GroupId,
            study_session::Column::Thematic,
            study_session::Column::Present,
            study_session::Column::Expected,
        ])
        .filter(study_session::Column::GroupId.is_in(group_ids.iter().copied()))
        .filter(study_session::Column::HeldOn.gte(from))
        .filter(study_session::Column::HeldOn.lt(until))
        .into_tuple()
        .all(db)
        .await?;
    for (g, thematic, present, expected) in rows {
        out.entry(g).or_default().add(
            thematic,
            u32::try_from(present).unwrap_or(0),
            u32::try_from(expected).unwrap_or(0),
        );
    }
    Ok(out)
}

/// A page of the groups in the scope (by organisation path), each with its sessions of
/// the year — up to `month` when one is given — against its rules.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    f: &GroupFilter,
    period: Period,
    at: At<'_>,
    limit: u64,
) -> Result<Page<GroupRow>> {
    let mut q = study_group::Entity::find().filter(scope.cond(study_group::Column::OrgPath));
    if let Some(code) = f.org.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        match org_in_scope(db, scope, code).await? {
            Some(o) => q = q.filter(crate::scope::subtree_cond(study_group::Column::OrgPath, &o.path)),
            None => return Ok(Page { items: Vec::new(), next: None, prev: None }),
        }
    }
    let (limit, n) = fetch(limit, 200);
    if let Some((cursor, after)) = at.cursor() {
        let Some((p, id)) = cursor.rsplit_once('_').and_then(|(p, id)| Some((p.to_owned(), id.parse::<i64>().ok()?)))
        else {
            return Err(StoreError::invalid("after", "翻页参数有误，请从第一页重新查看"));
        };
        let (path, key) = (study_group::Column::OrgPath, study_group::Column::Id);
        q = q.filter(if after {
            sea_orm::Condition::any()
                .add(path.gt(p.clone()))
                .add(sea_orm::Condition::all().add(path.eq(p)).add(key.gt(id)))
        } else {
            sea_orm::Condition::any()
                .add(path.lt(p.clone()))
                .add(sea_orm::Condition::all().add(path.eq(p)).add(key.lt(id)))
        });
    }
    let order = at.order();
    let mut q =
        q.order_by(study_group::Column::OrgPath, order.clone()).order_by(study_group::Column::Id, order).limit(n);
    if let Some(skip) = at.offset(limit) {
        q = q.offset(skip);
    }
    let rows = q.all(db).await?;
    let groups = build(db, rows.clone()).await?;
    let ids: Vec<i64> = groups.iter().map(|g| g.id).collect();
    let tallies = tallies(db, &ids, period).await?;
    let paths: Vec<&str> = groups.iter().map(|g| g.org_path.as_str()).collect();
    let rules = rules::for_paths(db, paths).await?;
    let mut by_id: HashMap<i64, GroupRow> = groups
        .into_iter()
        .map(|g| {
            let t = tallies.get(&g.id).copied().unwrap_or_default();
            let r = rules.get(&g.org_path).copied().unwrap_or_default();
            let row = GroupRow {
                id: g.id,
                org: g.org,
                name: g.name,
                members: g.members.len(),
                tally: YearTallyView::of(&t, r, period.month),
            };
            (row.id, row)
        })
        .collect();
    let p = page_of(rows, limit, at, |m| format!("{}_{}", m.org_path, m.id), |m| by_id.remove(&m.id));
    Ok(Page { items: p.items.into_iter().flatten().collect(), next: p.next, prev: p.prev })
}

/// Every group in the scope, id and name with the organisation, for pickers and the API.
pub async fn all(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<Group>> {
    let rows = study_group::Entity::find()
        .filter(scope.cond(study_group::Column::OrgPath))
        .order_by_asc(study_group::Column::OrgPath)
        .limit(2000)
        .all(db)
        .await?;
    build(db, rows).await
}

/// A date typed for a session or report, checked: not in the future, plausible.
pub(crate) fn check_day(
    d: Option<NaiveDate>,
    what: &str,
    field: &'static str,
    errs: &mut Vec<xuepei_domain::validate::FieldError>,
) {
    match d {
        None => errs.push(err(field, format!("请填写{what}（YYYY-MM-DD）"))),
        Some(d) if d > xuepei_domain::time::today() => {
            errs.push(err(field, format!("{what}{d}晚于今天，不能登记尚未发生的事项")))
        }
        Some(d) => {
            if let Some(m) = xuepei_domain::dates::implausible(d, what) {
                errs.push(err(field, m));
            }
        }
    }
}
