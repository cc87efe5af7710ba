//! Classes and batches (班次、期): organised by an organisation, often for a campaign,
//! delivered by an institution, with places allocated to sending organisations and a
//! timetable of sessions (`sessions`); the instructor pool (`instructors`) and the venue
//! list (`venues`) each organisation keeps.
//!
//! A class crosses scopes, so it is read through named conditions (see `visible_cond`),
//! never through a wider scope: the organiser's scope manages it; the delivering
//! institution's scope delivers it (timetable, later attendance and completion); a
//! sending organisation's scope sees it when an allocation or an enrolment of the class
//! lies in the scope — the class, its own allocation, and (in the enrolment functions)
//! only its own people.

pub mod instructors;
pub mod sessions;
pub mod venues;

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use xuepei_domain::labeled_enum;
use xuepei_domain::labels::Labeled;
use xuepei_domain::people::Roles;
use xuepei_domain::training::rules::{Subject, TargetFilter};
use xuepei_domain::training::{ClassLevel, Fraction, Hours};
use xuepei_domain::validate::FieldError;

use crate::audit::{Entry, Tx, json};
use crate::campaigns::{self, Campaign};
use crate::entity::{campaign_target, class, class_allocation, class_session, enrolment, organization};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::page::{At, Page, newest_page, newest_rows};
use crate::scope::{Scope, subtree_cond};

/// Unique keys of classes and their pools (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[
    crate::error::UniqueKey {
        index: "ux_class_allocations",
        columns: "class_allocations.class_id",
        message: "名额分配单位重复（可能刚被其他用户同时修改），未保存。请刷新页面核对后再提交",
    },
    crate::error::UniqueKey {
        index: "ux_venues_org_name",
        columns: "venues.org_id",
        message: "本单位已有同名的教学场地，请换一个名称或修改原有场地",
    },
];

pub const TITLE_MAX: usize = 200;
pub const INSTITUTION_MAX: usize = 100;
pub const HEAD_TEACHER_MAX: usize = 50;
pub const CAPACITY_MAX: i64 = 10_000;
/// The check-in window may open at most this many minutes before or close after a session.
pub const CHECKIN_MINUTES_MAX: i64 = 240;

labeled_enum! {
    /// The kind of delivering institution (承办机构类别).
    pub enum InstitutionKind {
        PartySchool => ("party_school", "党校", ["委党校", "党校（行政学院）"]),
        AdminAcademy => ("admin_academy", "行政学院", []),
        CadreAcademy => ("cadre_academy", "干部学院", ["干部教育学院"]),
        PracticeBase => ("practice_base", "实践基地", ["示范培训实践基地", "培训基地"]),
        Other => ("other", "其他", ["其它"]),
    }
}

labeled_enum! {
    /// Where a class stands.
    pub enum ClassStatus {
        Open => ("open", "进行中", ["未结业"]),
        Completed => ("completed", "已结业", ["结业"]),
    }
}

/// A class as submitted: organisations are named by code and resolved here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassInput {
    pub campaign_id: Option<i64>,
    pub title: String,
    /// Code of the organising organisation, inside the writer's scope.
    pub organiser: String,
    /// A level code (`province`, `city`, `county`, `unit`) or its Chinese label.
    pub level: String,
    /// The delivering institution's name (e.g. 中共岳阳市委党校).
    pub institution: String,
    /// An institution kind code or label; empty means a party school.
    pub institution_kind: String,
    /// Code of the institution when it is an organisation of the writer's scope (its
    /// accounts then keep the timetable and attendance); empty when not.
    pub institution_org: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub capacity: Option<i64>,
    /// Sectors, roles and rank levels of the trainees (`orgs` is not used).
    pub target_group: TargetFilter,
    pub head_teacher: String,
    /// Places per sending organisation: `(org code, places)`.
    pub allocations: Vec<(String, i64)>,
    /// The leave limit as "1/7"; empty takes the campaign's rule, else 1/7.
    pub max_leave: String,
    pub checkin_before_min: Option<i64>,
    pub checkin_after_min: Option<i64>,
}

/// An organisation a class names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrgRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// Places of a class allocated to one sending organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Allocation {
    pub org: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub places: i64,
}

/// What a scope may do with a class it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassAccess {
    /// The organiser's scope: everything.
    Manage,
    /// The delivering institution's scope: timetable, attendance, completion.
    Deliver,
    /// A sending organisation's scope: the class and its own people only.
    Send,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Class {
    pub id: i64,
    pub campaign_id: Option<i64>,
    pub campaign_title: Option<String>,
    pub organiser: OrgRef,
    /// The organiser's path: who manages the class.
    #[serde(skip)]
    pub org_path: String,
    pub title: String,
    pub level: ClassLevel,
    pub institution: Option<String>,
    pub institution_kind: InstitutionKind,
    pub institution_org: Option<OrgRef>,
    #[serde(skip)]
    pub institution_path: Option<String>,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    pub capacity: i64,
    pub target_group: TargetFilter,
    pub head_teacher: Option<String>,
    /// For a sending scope only its own allocations.
    pub allocations: Vec<Allocation>,
    pub max_leave: Fraction,
    pub checkin_before_min: i64,
    pub checkin_after_min: i64,
    pub status: ClassStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl Class {
    /// Where the class stands today, as the list shows it: 未开班, 进行中, 待结业 (ended,
    /// completion not yet run) or 已结业.
    pub fn phase(&self) -> &'static str {
        let today = xuepei_domain::time::today();
        match self.status {
            ClassStatus::Completed => ClassStatus::Completed.label(),
            ClassStatus::Open if today < self.start_on => "未开班",
            ClassStatus::Open if today > self.end_on => "待结业",
            ClassStatus::Open => ClassStatus::Open.label(),
        }
    }

    /// What `scope` may do with the class (`Send` for any other scope that sees it).
    pub fn access(&self, scope: &Scope) -> ClassAccess {
        if scope.contains_path(&self.org_path) {
            ClassAccess::Manage
        } else if self.institution_path.as_deref().is_some_and(|p| scope.contains_path(p)) {
            ClassAccess::Deliver
        } else {
            ClassAccess::Send
        }
    }

    /// Whether `scope` may change the class itself (the organiser's scope).
    pub fn manageable_by(&self, scope: &Scope) -> bool {
        self.access(scope) == ClassAccess::Manage
    }

    /// Whether `scope` keeps the timetable (and attendance, completion): organiser or institution.
    pub fn deliverable_by(&self, scope: &Scope) -> bool {
        matches!(self.access(scope), ClassAccess::Manage | ClassAccess::Deliver)
    }

    /// Days, both ends included.
    pub fn days(&self) -> i64 {
        (self.end_on - self.start_on).num_days() + 1
    }

    /// Places allocated in total.
    pub fn allocated(&self) -> i64 {
        self.allocations.iter().map(|a| a.places).sum()
    }
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

fn org_name(o: &organization::Model) -> String {
    o.short_name.clone().unwrap_or_else(|| o.name.clone())
}

fn org_ref(o: &organization::Model) -> OrgRef {
    OrgRef { id: o.id, code: o.code.clone(), name: org_name(o) }
}

/// The paths of `path` and all its ancestors (a pool of these is usable for a class).
pub(crate) fn self_and_ancestors(path: &str) -> Vec<String> {
    let ids = xuepei_domain::org::path::ids(path);
    (1..=ids.len()).map(|n| ids[..n].iter().fold("/".to_owned(), |p, id| format!("{p}{id}/"))).collect()
}

/// The subjects a target group stands for, one per sector (or one with no sector), so that
/// the batch-length rule is checked for every kind of trainee the class takes.
fn subjects_of(group: &TargetFilter) -> Vec<Subject<'static>> {
    let mut roles = Roles::default();
    for r in &group.roles {
        roles.insert(*r);
    }
    let ranks: Vec<_> =
        if group.rank_levels.is_empty() { vec![None] } else { group.rank_levels.iter().map(|r| Some(*r)).collect() };
    let sectors: Vec<_> =
        if group.sectors.is_empty() { vec![None] } else { group.sectors.iter().map(|s| Some(*s)).collect() };
    let mut out = Vec::new();
    for s in &sectors {
        for r in &ranks {
            out.push(Subject { org_codes: &[], sector: *s, roles, rank_level: *r });
        }
    }
    out
}

/// What a validated input resolves to.
struct Resolved {
    campaign: Option<Campaign>,
    organiser: organization::Model,
    title: String,
    level: ClassLevel,
    institution: Option<String>,
    institution_kind: InstitutionKind,
    institution_org: Option<organization::Model>,
    start: NaiveDate,
    end: NaiveDate,
    capacity: i64,
    head_teacher: Option<String>,
    allocations: Vec<(organization::Model, i64)>,
    max_leave: Fraction,
    checkin_before: i64,
    checkin_after: i64,
}

/// Checks every field and resolves the organisations; every problem at once. `existing`
/// is the class being changed (its sessions and enrolments must still fit).
async fn resolve(
    db: &impl ConnectionTrait,
    scope: &Scope,
    input: &ClassInput,
    existing: Option<i64>,
) -> Result<Resolved> {
    use xuepei_domain::org::check_text;
    let mut errs = Vec::new();
    let title = match check_text(&input.title, TITLE_MAX, true) {
        Ok(t) => t.unwrap_or_default(),
        Err(m) => {
            errs.push(err("title", format!("班次名称{m}")));
            String::new()
        }
    };
    let institution = check_text(&input.institution, INSTITUTION_MAX, false).unwrap_or_else(|m| {
        errs.push(err("institution", format!("承办机构{m}")));
        None
    });
    let head_teacher = check_text(&input.head_teacher, HEAD_TEACHER_MAX, false).unwrap_or_else(|m| {
        errs.push(err("head_teacher", format!("班主任{m}")));
        None
    });
    let level = ClassLevel::parse_label(&input.level);
    if level.is_none() {
        let codes: Vec<String> = ClassLevel::ALL.iter().map(|k| format!("{}（{}）", k.code(), k.label())).collect();
        errs.push(err(
            "level",
            if input.level.trim().is_empty() {
                format!("请选择班次层级，可选：{}", codes.join("、"))
            } else {
                format!("班次层级“{}”无效，可选：{}", input.level.trim(), codes.join("、"))
            },
        ));
    }
    let institution_kind = if input.institution_kind.trim().is_empty() {
        Some(InstitutionKind::PartySchool)
    } else {
        InstitutionKind::parse_label(&input.institution_kind)
    };
    if institution_kind.is_none() {
        let codes: Vec<String> =
            InstitutionKind::ALL.iter().map(|k| format!("{}（{}）", k.code(), k.label())).collect();
        errs.push(err(
            "institution_kind",
            format!("承办机构类别“{}”无效，可选：{}", input.institution_kind.trim(), codes.join("、")),
        ));
    }
    let capacity = match input.capacity {
        None => {
            errs.push(err("capacity", format!("请填写班次容量（1至{CAPACITY_MAX}人）")));
            None
        }
        Some(c) if !(1..=CAPACITY_MAX).contains(&c) => {
            errs.push(err("capacity", format!("班次容量应为1至{CAPACITY_MAX}人，现为{c}，请改正")));
            None
        }
        Some(c) => Some(c),
    };
    let mut minutes = |v: Option<i64>, field: &'static str, what: &str| -> i64 {
        match v {
            None => 30,
            Some(m) if (0..=CHECKIN_MINUTES_MAX).contains(&m) => m,
            Some(m) => {
                errs.push(err(field, format!("{what}应为0至{CHECKIN_MINUTES_MAX}分钟，现为{m}，请改正")));
                30
            }
        }
    };
    let checkin_before = minutes(input.checkin_before_min, "checkin_before_min", "签到提前开放时间");
    let checkin_after = minutes(input.checkin_after_min, "checkin_after_min", "签到截止时间（开课后）");
    if input.start.is_none() {
        errs.push(err("start", "请填写开班日期（YYYY-MM-DD）"));
    }
    if input.end.is_none() {
        errs.push(err("end", "请填写结业日期（YYYY-MM-DD）"));
    }
    let mut dates_ok = false;
    for (field, label, d) in [("start", "开班日期", input.start), ("end", "结业日期", input.end)] {
        if let Some(m) = d.and_then(|d| xuepei_domain::dates::implausible(d, label)) {
            errs.push(err(field, m));
        }
    }
    let plausible = |d: NaiveDate| xuepei_domain::dates::PLAUSIBLE_YEARS.contains(&chrono::Datelike::year(&d));
    if let (Some(s), Some(e)) = (input.start, input.end)
        && plausible(s)
        && plausible(e)
    {
        if e < s {
            errs.push(err("end", format!("结业日期{e}早于开班日期{s}，请改正起止日期")));
        } else if (e - s).num_days() > 366 {
            errs.push(err("end", format!("班次从{s}至{e}超过一年，请核对起止日期")));
        } else {
            dates_ok = true;
        }
    }

    // The campaign: one the writer's scope sees.
    let campaign = match input.campaign_id {
        None => None,
        Some(id) => match campaigns::get(db, scope, id).await {
            Ok(c) => Some(c),
            Err(StoreError::NotFound(_)) => {
                errs.push(err("campaign_id", format!("轮训工作（编号{id}）不存在或不在您的管理范围内，请重新选择")));
                None
            }
            Err(e) => return Err(e),
        },
    };
    let max_leave = if input.max_leave.trim().is_empty() {
        campaign.as_ref().map(|c| c.rules.max_leave_fraction).unwrap_or(Fraction::new(1, 7).unwrap_or(Fraction::ONE))
    } else {
        Fraction::parse(&input.max_leave).unwrap_or_else(|m| {
            errs.push(err("max_leave", format!("请假上限：{m}")));
            Fraction::ONE
        })
    };
    if let (Some(c), Some(s), Some(e), true) = (&campaign, input.start, input.end, dates_ok) {
        if s < c.start_on || e > c.end_on {
            errs.push(err(
                "start",
                format!("班次日期{s}至{e}超出轮训工作“{}”的时间范围（{}至{}），请调整", c.title, c.start_on, c.end_on),
            ));
        }
        let days = u32::try_from((e - s).num_days() + 1).unwrap_or(u32::MAX);
        let mut seen = BTreeSet::new();
        for who in subjects_of(&input.target_group) {
            if let Err(m) = c.rules.batch_length_ok(&who, days)
                && seen.insert(m.clone())
            {
                errs.push(err("end", m));
            }
        }
    }
    // The organiser: in the writer's scope, and inside the campaign's target area or its issuer.
    let organiser = match input.organiser.trim() {
        "" => {
            errs.push(err("organiser", "请填写主办单位（组织代码）"));
            None
        }
        code => {
            let found = organization::Entity::find()
                .filter(organization::Column::Code.eq(code))
                .filter(scope.cond(organization::Column::Path))
                .one(db)
                .await?;
            if found.is_none() {
                errs.push(err(
                    "organiser",
                    format!("主办单位“{code}”不在您的管理范围内，请填写本单位或下级组织的代码"),
                ));
            }
            found
        }
    };
    let target_paths: Vec<String> = match &campaign {
        None => Vec::new(),
        Some(c) => campaign_target::Entity::find()
            .filter(campaign_target::Column::CampaignId.eq(c.id))
            .all(db)
            .await?
            .into_iter()
            .map(|t| t.org_path)
            .collect(),
    };
    if let (Some(c), Some(o)) = (&campaign, &organiser)
        && o.id != c.issuer_org_id
        && !target_paths.iter().any(|p| o.path.starts_with(p.as_str()))
    {
        errs.push(err(
            "organiser",
            format!("主办单位“{}”不是轮训工作“{}”的发文单位，也不在其目标范围内，请核对", org_name(o), c.title),
        ));
    }
    let institution_org = match input.institution_org.trim() {
        "" => None,
        code => {
            let found = organization::Entity::find()
                .filter(organization::Column::Code.eq(code))
                .filter(scope.cond(organization::Column::Path))
                .one(db)
                .await?;
            if found.is_none() {
                errs.push(err(
                    "institution_org",
                    format!("承办机构组织代码“{code}”不在您的管理范围内；不在组织树中的承办机构只填写名称即可"),
                ));
            }
            found
        }
    };
    // Allocations: inside the organiser's subtree or the campaign's target area.
    let mut allocations = Vec::new();
    if let Some(o) = &organiser {
        let mut seen = BTreeSet::new();
        let mut sum = 0i64;
        for (code, places) in &input.allocations {
            let code = code.trim();
            if code.is_empty() {
                continue;
            }
            if !seen.insert(code.to_owned()) {
                errs.push(err("allocations", format!("名额分配单位“{code}”重复，请合并为一行")));
                continue;
            }
            if *places < 0 {
                errs.push(err("allocations", format!("分配给“{code}”的名额为{places}，不能为负数")));
            }
            if *places > CAPACITY_MAX {
                errs.push(err(
                    "allocations",
                    format!("分配给“{code}”的名额为{places}，超过班次容量上限{CAPACITY_MAX}"),
                ));
            }
            sum = sum.saturating_add((*places).clamp(0, CAPACITY_MAX));
            let mut area = Condition::any().add(subtree_cond(organization::Column::Path, &o.path));
            for p in &target_paths {
                area = area.add(subtree_cond(organization::Column::Path, p));
            }
            let found =
                organization::Entity::find().filter(organization::Column::Code.eq(code)).filter(area).one(db).await?;
            match found {
                Some(org) => allocations.push((org, (*places).clamp(0, CAPACITY_MAX))),
                None => errs.push(err(
                    "allocations",
                    format!("名额分配单位“{code}”不是主办单位的下级组织，也不在轮训工作的目标范围内，请核对组织代码"),
                )),
            }
        }
        if let Some(c) = capacity
            && sum > c
        {
            errs.push(err("allocations", format!("分配名额合计{sum}人，超过班次容量{c}人，请减少分配名额或增加容量")));
        }
    }
    // A class being changed: its timetable and enrolments must still fit.
    if let Some(id) = existing {
        if let (Some(s), Some(e), true) = (input.start, input.end, dates_ok) {
            let outside = class_session::Entity::find()
                .filter(class_session::Column::ClassId.eq(id))
                .filter(
                    Condition::any().add(class_session::Column::OnDate.lt(s)).add(class_session::Column::OnDate.gt(e)),
                )
                .count(db)
                .await?;
            if outside > 0 {
                errs.push(err(
                    "start",
                    format!("已有{outside}节课程安排在新的起止日期{s}至{e}之外，请先调整课程表再修改日期"),
                ));
            }
        }
        if let Some(c) = capacity {
            let enrolled = enrolment::Entity::find()
                .filter(enrolment::Column::ClassId.eq(id))
                .filter(enrolment::Column::Status.is_in(["enrolled", "completed"]))
                .count(db)
                .await?;
            if enrolled as i64 > c {
                errs.push(err("capacity", format!("本班已有{enrolled}人报名，容量不能少于已报名人数")));
            }
        }
    }
    match (organiser, level, institution_kind, input.start, input.end, capacity, errs.is_empty()) {
        (Some(organiser), Some(level), Some(institution_kind), Some(start), Some(end), Some(capacity), true) => {
            Ok(Resolved {
                campaign,
                organiser,
                title,
                level,
                institution,
                institution_kind,
                institution_org,
                start,
                end,
                capacity,
                head_teacher,
                allocations,
                max_leave,
                checkin_before,
                checkin_after,
            })
        }
        _ => Err(StoreError::Invalid(errs)),
    }
}

/// Validates an input without writing (a form whose other fields were already refused).
pub async fn check(db: &impl ConnectionTrait, scope: &Scope, input: &ClassInput) -> Result<()> {
    resolve(db, scope, input, None).await.map(|_| ())
}

/// The sectors, roles and rank levels of the target group, as JSON.
fn group_json(t: &TargetFilter) -> String {
    let t = TargetFilter { orgs: Vec::new(), ..t.clone() };
    serde_json::to_string(&t).unwrap_or_else(|_| "{}".to_owned())
}

async fn write_allocations(
    db: &impl ConnectionTrait,
    id: i64,
    allocations: &[(organization::Model, i64)],
) -> Result<()> {
    class_allocation::Entity::delete_many().filter(class_allocation::Column::ClassId.eq(id)).exec(db).await?;
    for (o, places) in allocations {
        class_allocation::ActiveModel {
            class_id: Set(id),
            org_id: Set(o.id),
            org_path: Set(o.path.clone()),
            places: Set(i32::try_from(*places).unwrap_or(i32::MAX)),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

fn capacity_i32(c: i64) -> i32 {
    i32::try_from(c).unwrap_or(i32::MAX)
}

/// Creates a class organised by an organisation of the writer's scope.
pub async fn create(tx: &Tx, input: &ClassInput) -> Result<Class> {
    let r = resolve(tx.conn(), tx.scope(), input, None).await?;
    let t = now();
    let m = class::ActiveModel {
        campaign_id: Set(r.campaign.as_ref().map(|c| c.id)),
        org_id: Set(r.organiser.id),
        org_path: Set(r.organiser.path.clone()),
        title: Set(r.title.clone()),
        institution: Set(r.institution.clone()),
        institution_kind: Set(r.institution_kind.code().to_owned()),
        institution_org_id: Set(r.institution_org.as_ref().map(|o| o.id)),
        institution_path: Set(r.institution_org.as_ref().map(|o| o.path.clone())),
        level: Set(r.level.code().to_owned()),
        start_on: Set(r.start),
        end_on: Set(r.end),
        capacity: Set(capacity_i32(r.capacity)),
        target_group: Set(group_json(&input.target_group)),
        head_teacher: Set(r.head_teacher.clone()),
        max_leave: Set(r.max_leave.to_string()),
        checkin_before_min: Set(r.checkin_before as i32),
        checkin_after_min: Set(r.checkin_after as i32),
        status: Set(ClassStatus::Open.code().to_owned()),
        created_at: Set(t),
        updated_at: Set(t),
        completed_at: Set(None),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    write_allocations(tx.conn(), m.id, &r.allocations).await?;
    let c = get(tx.conn(), tx.scope(), m.id).await?;
    tx.record(Entry {
        action: "class.create",
        target_type: "class",
        target_id: Some(m.id.to_string()),
        scope_path: c.org_path.clone(),
        summary: format!("新建班次“{}”（{}，{}至{}）", c.title, c.organiser.name, c.start_on, c.end_on),
        before: None,
        after: json(&c),
    });
    Ok(c)
}

/// A class the writer's scope manages; one it only sees is refused, one it cannot see is
/// not found.
pub(crate) async fn get_for_manage(tx: &Tx, id: i64) -> Result<Class> {
    let c = get(tx.conn(), tx.scope(), id).await?;
    if !c.manageable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!("本班次由{}主办，只有主办单位可以修改", c.organiser.name)));
    }
    Ok(c)
}

/// A class whose timetable the writer's scope keeps (organiser or delivering institution).
pub(crate) async fn get_for_delivery(tx: &Tx, id: i64) -> Result<Class> {
    let c = get(tx.conn(), tx.scope(), id).await?;
    if !c.deliverable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!(
            "本班次由{}主办，只有主办单位和承办机构可以安排课程",
            c.organiser.name
        )));
    }
    Ok(c)
}

/// Changes a class (the organiser's scope only).
pub async fn update(tx: &Tx, id: i64, input: &ClassInput) -> Result<Class> {
    let before = get_for_manage(tx, id).await?;
    if before.status == ClassStatus::Completed {
        return Err(StoreError::Conflict("本班次已结业，不能再修改".to_owned()));
    }
    let r = resolve(tx.conn(), tx.scope(), input, Some(id)).await?;
    class::Entity::update_many()
        .col_expr(class::Column::CampaignId, Expr::value(r.campaign.as_ref().map(|c| c.id)))
        .col_expr(class::Column::OrgId, Expr::value(r.organiser.id))
        .col_expr(class::Column::OrgPath, Expr::value(r.organiser.path.clone()))
        .col_expr(class::Column::Title, Expr::value(r.title.clone()))
        .col_expr(class::Column::Institution, Expr::value(r.institution.clone()))
        .col_expr(class::Column::InstitutionKind, Expr::value(r.institution_kind.code()))
        .col_expr(class::Column::InstitutionOrgId, Expr::value(r.institution_org.as_ref().map(|o| o.id)))
        .col_expr(class::Column::InstitutionPath, Expr::value(r.institution_org.as_ref().map(|o| o.path.clone())))
        .col_expr(class::Column::Level, Expr::value(r.level.code()))
        .col_expr(class::Column::StartOn, Expr::value(r.start))
        .col_expr(class::Column::EndOn, Expr::value(r.end))
        .col_expr(class::Column::Capacity, Expr::value(capacity_i32(r.capacity)))
        .col_expr(class::Column::TargetGroup, Expr::value(group_json(&input.target_group)))
        .col_expr(class::Column::HeadTeacher, Expr::value(r.head_teacher.clone()))
        .col_expr(class::Column::MaxLeave, Expr::value(r.max_leave.to_string()))
        .col_expr(class::Column::CheckinBeforeMin, Expr::value(r.checkin_before as i32))
        .col_expr(class::Column::CheckinAfterMin, Expr::value(r.checkin_after as i32))
        .col_expr(class::Column::UpdatedAt, Expr::value(now()))
        .filter(class::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    write_allocations(tx.conn(), id, &r.allocations).await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "class.update",
        target_type: "class",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("修改班次“{}”（{}）", after.title, after.organiser.name),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// Deletes a class nobody has enrolled in, with its timetable and allocations.
pub async fn delete(tx: &Tx, id: i64) -> Result<()> {
    let before = get_for_manage(tx, id).await?;
    let enrolled = enrolment::Entity::find().filter(enrolment::Column::ClassId.eq(id)).count(tx.conn()).await?;
    if enrolled > 0 {
        return Err(StoreError::Conflict(format!(
            "本班次已有{enrolled}条报名记录，不能删除；如需取消，请先办理退学或调整报名"
        )));
    }
    class_session::Entity::delete_many().filter(class_session::Column::ClassId.eq(id)).exec(tx.conn()).await?;
    class_allocation::Entity::delete_many().filter(class_allocation::Column::ClassId.eq(id)).exec(tx.conn()).await?;
    class::Entity::delete_by_id(id).exec(tx.conn()).await?;
    tx.record(Entry {
        action: "class.delete",
        target_type: "class",
        target_id: Some(id.to_string()),
        scope_path: before.org_path.clone(),
        summary: format!("删除班次“{}”（{}）", before.title, before.organiser.name),
        before: json(&before),
        after: None,
    });
    Ok(())
}

/// The input that reproduces a class (to edit it).
pub fn input_of(c: &Class) -> ClassInput {
    ClassInput {
        campaign_id: c.campaign_id,
        title: c.title.clone(),
        organiser: c.organiser.code.clone(),
        level: c.level.code().to_owned(),
        institution: c.institution.clone().unwrap_or_default(),
        institution_kind: c.institution_kind.code().to_owned(),
        institution_org: c.institution_org.as_ref().map(|o| o.code.clone()).unwrap_or_default(),
        start: Some(c.start_on),
        end: Some(c.end_on),
        capacity: Some(c.capacity),
        target_group: c.target_group.clone(),
        head_teacher: c.head_teacher.clone().unwrap_or_default(),
        allocations: c.allocations.iter().map(|a| (a.org.code.clone(), a.places)).collect(),
        max_leave: c.max_leave.to_string(),
        checkin_before_min: Some(c.checkin_before_min),
        checkin_after_min: Some(c.checkin_after_min),
    }
}

/// Visibility: the organiser or the delivering institution lies in the scope, or an
/// allocation or an enrolment of the class names an organisation of the scope.
pub(crate) fn visible_cond(scope: &Scope) -> Condition {
    if scope.is_system() {
        return Condition::all();
    }
    let mut alloc = Query::select();
    alloc
        .column(class_allocation::Column::ClassId)
        .from(class_allocation::Entity)
        .cond_where(scope.cond(class_allocation::Column::OrgPath));
    let mut enrol = Query::select();
    enrol.column(enrolment::Column::ClassId).from(enrolment::Entity).cond_where(scope.cond(enrolment::Column::OrgPath));
    Condition::any()
        .add(scope.cond(class::Column::OrgPath))
        .add(scope.cond(class::Column::InstitutionPath))
        .add(class::Column::Id.in_subquery(alloc.to_owned()))
        .add(class::Column::Id.in_subquery(enrol.to_owned()))
}

/// Builds classes from rows: organisations, campaigns and allocations read in one query
/// each. A sending scope keeps only its own allocations.
async fn assemble(db: &impl ConnectionTrait, scope: &Scope, rows: Vec<class::Model>) -> Result<Vec<Class>> {
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let allocs = if ids.is_empty() {
        Vec::new()
    } else {
        class_allocation::Entity::find()
            .filter(class_allocation::Column::ClassId.is_in(ids))
            .order_by_asc(class_allocation::Column::Id)
            .all(db)
            .await?
    };
    let org_ids: BTreeSet<i64> = rows
        .iter()
        .flat_map(|m| [Some(m.org_id), m.institution_org_id])
        .flatten()
        .chain(allocs.iter().map(|a| a.org_id))
        .collect();
    let orgs: HashMap<i64, organization::Model> = if org_ids.is_empty() {
        HashMap::new()
    } else {
        organization::Entity::find()
            .filter(organization::Column::Id.is_in(org_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect()
    };
    let campaign_ids: BTreeSet<i64> = rows.iter().filter_map(|m| m.campaign_id).collect();
    let titles: HashMap<i64, String> = if campaign_ids.is_empty() {
        HashMap::new()
    } else {
        crate::entity::campaign::Entity::find()
            .filter(crate::entity::campaign::Column::Id.is_in(campaign_ids))
            .all(db)
            .await?
            .into_iter()
            .map(|c| (c.id, c.title))
            .collect()
    };
    let mut by_class: HashMap<i64, Vec<Allocation>> = HashMap::new();
    for a in &allocs {
        if let Some(o) = orgs.get(&a.org_id) {
            by_class.entry(a.class_id).or_default().push(Allocation {
                org: org_ref(o),
                org_path: a.org_path.clone(),
                places: i64::from(a.places),
            });
        }
    }
    let missing = OrgRef { id: 0, code: String::new(), name: String::new() };
    Ok(rows
        .into_iter()
        .map(|m| {
            let mut c = Class {
                id: m.id,
                campaign_id: m.campaign_id,
                campaign_title: m.campaign_id.and_then(|id| titles.get(&id).cloned()),
                organiser: orgs.get(&m.org_id).map(org_ref).unwrap_or_else(|| missing.clone()),
                org_path: m.org_path,
                title: m.title,
                level: ClassLevel::from_code(&m.level).unwrap_or(ClassLevel::County),
                institution: m.institution,
                institution_kind: InstitutionKind::from_code(&m.institution_kind).unwrap_or(InstitutionKind::Other),
                institution_org: m.institution_org_id.and_then(|id| orgs.get(&id)).map(org_ref),
                institution_path: m.institution_path,
                start_on: m.start_on,
                end_on: m.end_on,
                capacity: i64::from(m.capacity),
                target_group: serde_json::from_str(&m.target_group).unwrap_or_default(),
                head_teacher: m.head_teacher,
                allocations: by_class.remove(&m.id).unwrap_or_default(),
                max_leave: Fraction::parse(&m.max_leave).unwrap_or(Fraction::ONE),
                checkin_before_min: i64::from(m.checkin_before_min),
                checkin_after_min: i64::from(m.checkin_after_min),
                status: ClassStatus::from_code(&m.status).unwrap_or(ClassStatus::Open),
                created_at: m.created_at,
                updated_at: m.updated_at,
                completed_at: m.completed_at,
            };
            if c.access(scope) == ClassAccess::Send {
                c.allocations.retain(|a| scope.contains_path(&a.org_path));
            }
            c
        })
        .collect())
}

/// One class visible to the scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Class> {
    let m =
        class::Entity::find_by_id(id).filter(visible_cond(scope)).one(db).await?.ok_or(StoreError::NotFound("班次"))?;
    assemble(db, scope, vec![m]).await?.pop().ok_or(StoreError::NotFound("班次"))
}

/// The classes of these ids visible to the scope.
pub async fn by_ids(db: &impl ConnectionTrait, scope: &Scope, ids: &[i64]) -> Result<Vec<Class>> {
    let rows =
        class::Entity::find().filter(visible_cond(scope)).filter(class::Column::Id.is_in(ids.to_vec())).all(db).await?;
    assemble(db, scope, rows).await
}

/// Filters of the class list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClassFilter {
    pub campaign_id: Option<i64>,
    pub status: Option<ClassStatus>,
    pub level: Option<ClassLevel>,
}

/// A page of the classes visible to the scope, newest first; cursors are ids.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    filter: &ClassFilter,
    at: At<'_>,
    limit: u64,
) -> Result<Page<Class>> {
    let mut c = Condition::all().add(visible_cond(scope));
    if let Some(id) = filter.campaign_id {
        c = c.add(class::Column::CampaignId.eq(id));
    }
    if let Some(s) = filter.status {
        c = c.add(class::Column::Status.eq(s.code()));
    }
    if let Some(l) = filter.level {
        c = c.add(class::Column::Level.eq(l.code()));
    }
    let (rows, limit) = newest_rows::<class::Entity>(db, c, class::Column::Id, at, limit).await?;
    let ids = rows.iter().map(|m| m.id).collect();
    let built = assemble(db, scope, rows).await?.into_iter().map(|c| (c.id, c)).collect();
    Ok(newest_page(ids, limit, at, built))
}

/// The classes of a campaign visible to the scope, by start date (at most 500).
pub async fn list_for_campaign(db: &impl ConnectionTrait, scope: &Scope, campaign_id: i64) -> Result<Vec<Class>> {
    let rows = class::Entity::find()
        .filter(Condition::all().add(visible_cond(scope)).add(class::Column::CampaignId.eq(campaign_id)))
        .order_by_asc(class::Column::StartOn)
        .order_by_asc(class::Column::Id)
        .limit(500)
        .all(db)
        .await?;
    assemble(db, scope, rows).await
}

/// Places used of each allocation, in the order of `c.allocations`: the class's enrolled
/// and completed trainees sent from the allocation's organisation or below. `c` is a class
/// read for the scope, so a sending scope counts only its own allocations.
pub async fn allocation_usage(db: &impl ConnectionTrait, c: &Class) -> Result<Vec<i64>> {
    let mut out = Vec::with_capacity(c.allocations.len());
    for a in &c.allocations {
        out.push(places_used(db, c.id, &a.org_path).await?);
    }
    Ok(out)
}

/// Places used of an allocation (at `alloc_path`) of a class the caller has read: its
/// enrolled and completed trainees sent from there or below.
pub(crate) async fn places_used(db: &impl ConnectionTrait, class_id: i64, alloc_path: &str) -> Result<i64> {
    let n = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(class_id))
        .filter(enrolment::Column::Status.is_in(["enrolled", "completed"]))
        .filter(subtree_cond(enrolment::Column::OrgPath, alloc_path))
        .count(db)
        .await?;
    Ok(n as i64)
}

/// A class's total hours: the sum of its sessions (what the 1/7 leave rule is measured on).
/// The caller has already read the class through a visible function.
pub async fn class_hours(db: &impl ConnectionTrait, class_id: i64) -> Result<Hours> {
    let rows: Vec<i64> = class_session::Entity::find()
        .select_only()
        .column(class_session::Column::Hours)
        .filter(class_session::Column::ClassId.eq(class_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().map(Hours::from_hundredths).sum())
}
