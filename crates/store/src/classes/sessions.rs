//! A class's timetable (课程安排): sessions by date and half day, each with its topic,
//! teaching mode, instructor, venue, credit hours and materials, and the secret its
//! rotating check-in codes are derived from. Kept by the organiser's scope and by the
//! delivering institution's; read by every scope that sees the class.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::rules::CampaignRules;
use xuepei_domain::training::{Hours, SessionSlot, TeachingMode};
use xuepei_domain::validate::FieldError;

use super::{Class, ClassStatus, get as get_class, get_for_delivery, self_and_ancestors};
use crate::audit::{Entry, Tx, json};
use crate::entity::{attendance, campaign, class_session, instructor, venue};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::scope::Scope;

pub const TOPIC_MAX: usize = 200;
pub const MATERIALS_MAX: usize = 2000;
/// A half day carries at most this many credit hours.
pub const HALF_DAY_HOURS_MAX: Hours = Hours::whole(4);

/// The default times of a slot, in minutes after midnight.
pub fn default_times(slot: SessionSlot) -> (i64, i64) {
    match slot {
        SessionSlot::Am => (8 * 60 + 30, 11 * 60 + 30),
        SessionSlot::Pm => (14 * 60 + 30, 17 * 60 + 30),
        SessionSlot::Evening => (19 * 60 + 30, 21 * 60 + 30),
    }
}

/// "08:30".
pub fn hhmm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Parses "8:30", "08:30", "08：30"; None when it is not a time of day.
pub fn parse_hhmm(input: &str) -> Option<i64> {
    let s = xuepei_domain::text::compact(input).replace('：', ":");
    let (h, m) = s.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..24).contains(&h) && (0..60).contains(&m) && m.to_string().len() <= 2).then_some(h * 60 + m)
}

/// A session as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionInput {
    pub date: Option<NaiveDate>,
    /// `am`, `pm`, `evening` or 上午, 下午, 晚上.
    pub slot: String,
    /// "HH:MM"; both empty takes the slot's default times.
    pub starts: String,
    pub ends: String,
    pub topic: String,
    /// A teaching mode code or label.
    pub mode: String,
    pub instructor_id: Option<i64>,
    pub venue_id: Option<i64>,
    /// Credit hours, such as "3" or "1.5".
    pub hours: String,
    pub materials: String,
}

/// An instructor or venue a session names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PoolRef {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Session {
    pub id: i64,
    pub class_id: i64,
    pub date: NaiveDate,
    pub slot: SessionSlot,
    /// Minutes after midnight, China time (the slot's default when none was given).
    pub starts_min: i64,
    pub ends_min: i64,
    pub topic: String,
    pub mode: TeachingMode,
    pub instructor: Option<PoolRef>,
    pub venue: Option<PoolRef>,
    pub hours: Hours,
    pub materials: Option<String>,
    /// The key the rotating check-in codes are derived from: never shown or exported.
    #[serde(skip)]
    pub checkin_secret: String,
    pub created_at: DateTime<Utc>,
}

impl Session {
    pub fn starts(&self) -> String {
        hhmm(self.starts_min)
    }
    pub fn ends(&self) -> String {
        hhmm(self.ends_min)
    }
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

struct Resolved {
    date: NaiveDate,
    slot: SessionSlot,
    times: Option<(i64, i64)>,
    topic: String,
    mode: TeachingMode,
    hours: Hours,
    materials: Option<String>,
}

pub(crate) fn effective(m: &class_session::Model) -> (i64, i64) {
    let slot = SessionSlot::from_code(&m.slot).unwrap_or(SessionSlot::Am);
    match (m.starts_min, m.ends_min) {
        (Some(s), Some(e)) => (i64::from(s), i64::from(e)),
        _ => default_times(slot),
    }
}

/// Checks every field against the class, its campaign and the pools; every problem at once.
async fn resolve(
    db: &impl ConnectionTrait,
    class: &Class,
    input: &SessionInput,
    existing: Option<i64>,
) -> Result<Resolved> {
    use xuepei_domain::org::check_text;
    let mut errs = Vec::new();
    match input.date {
        None => errs.push(err("date", "请填写上课日期（YYYY-MM-DD）")),
        Some(d) if d < class.start_on || d > class.end_on => errs.push(err(
            "date",
            format!("上课日期{d}不在本班次的起止日期（{}至{}）之内，请改正", class.start_on, class.end_on),
        )),
        _ => {}
    }
    let slot = SessionSlot::parse_label(&input.slot);
    if slot.is_none() {
        errs.push(err(
            "slot",
            if input.slot.trim().is_empty() {
                "请选择时段：am（上午）、pm（下午）或evening（晚上）".to_owned()
            } else {
                format!("时段“{}”无效，可选：am（上午）、pm（下午）、evening（晚上）", input.slot.trim())
            },
        ));
    }
    let times = match (input.starts.trim(), input.ends.trim()) {
        ("", "") => None,
        (s, e) => match (parse_hhmm(s), parse_hhmm(e)) {
            (Some(s), Some(e)) if s < e => Some((s, e)),
            (Some(_), Some(_)) => {
                errs.push(err("ends", "下课时间应晚于上课时间，请改正"));
                None
            }
            _ => {
                errs.push(err(
                    "starts",
                    "上课、下课时间应同时填写，格式为HH:MM（如08:30），或都不填（按时段默认时间）",
                ));
                None
            }
        },
    };
    let topic = match check_text(&input.topic, TOPIC_MAX, true) {
        Ok(t) => t.unwrap_or_default(),
        Err(m) => {
            errs.push(err("topic", format!("课程专题{m}")));
            String::new()
        }
    };
    let materials = check_text(&input.materials, MATERIALS_MAX, false).unwrap_or_else(|m| {
        errs.push(err("materials", format!("学习材料{m}")));
        None
    });
    let mode = TeachingMode::parse_label(&input.mode);
    match mode {
        None => {
            let codes: Vec<String> =
                TeachingMode::ALL.iter().map(|k| format!("{}（{}）", k.code(), k.label())).collect();
            errs.push(err(
                "mode",
                if input.mode.trim().is_empty() {
                    format!("请选择教学方式，可选：{}", codes.join("、"))
                } else {
                    format!("教学方式“{}”无效，可选：{}", input.mode.trim(), codes.join("、"))
                },
            ));
        }
        Some(m) => {
            if let Some(cid) = class.campaign_id
                && let Some(c) = campaign::Entity::find_by_id(cid).one(db).await?
            {
                let rules: CampaignRules = serde_json::from_str(&c.rules).unwrap_or_default();
                if !rules.modes.is_empty() && !rules.modes.contains(&m) {
                    let allowed: Vec<&str> = rules.modes.iter().map(|m| m.label()).collect();
                    errs.push(err(
                        "mode",
                        format!("轮训工作“{}”不采用“{}”教学方式，可选：{}", c.title, m.label(), allowed.join("、")),
                    ));
                }
            }
        }
    }
    let hours = match Hours::parse(&input.hours) {
        Ok(h) if h <= Hours::ZERO => {
            errs.push(err("hours", "学时应大于0，请填写如3或1.5"));
            None
        }
        Ok(h) if h > HALF_DAY_HOURS_MAX => {
            errs.push(err("hours", format!("半天课程最多{HALF_DAY_HOURS_MAX}学时，现为{h}，请改正")));
            None
        }
        Ok(h) => Some(h),
        Err(m) => {
            errs.push(err("hours", m));
            None
        }
    };
    let usable = self_and_ancestors(&class.org_path);
    if let Some(id) = input.instructor_id {
        let ok = instructor::Entity::find_by_id(id)
            .filter(instructor::Column::Active.eq(true))
            .filter(instructor::Column::OrgPath.is_in(usable.clone()))
            .one(db)
            .await?
            .is_some();
        if !ok {
            errs.push(err("instructor_id", "所选授课教师不在主办单位及其上级的师资库中（或已停用），请重新选择"));
        }
    }
    if let Some(id) = input.venue_id {
        let ok = venue::Entity::find_by_id(id)
            .filter(venue::Column::Active.eq(true))
            .filter(venue::Column::OrgPath.is_in(usable))
            .one(db)
            .await?
            .is_some();
        if !ok {
            errs.push(err("venue_id", "所选教学场地不在主办单位及其上级的场地清单中（或已停用），请重新选择"));
        }
    }
    // Two sessions of a class may not overlap.
    if let (Some(date), Some(slot)) = (input.date, slot) {
        let (s, e) = times.unwrap_or_else(|| default_times(slot));
        let others = class_session::Entity::find()
            .filter(class_session::Column::ClassId.eq(class.id))
            .filter(class_session::Column::OnDate.eq(date))
            .all(db)
            .await?;
        for o in others.iter().filter(|o| Some(o.id) != existing) {
            let (os, oe) = effective(o);
            if s < oe && os < e {
                errs.push(err(
                    "starts",
                    format!("与同日已有课程“{}”（{}–{}）时间重叠，请调整时段或时间", o.topic, hhmm(os), hhmm(oe)),
                ));
            }
        }
    }
    match (input.date, slot, mode, hours, errs.is_empty()) {
        (Some(date), Some(slot), Some(mode), Some(hours), true) => {
            Ok(Resolved { date, slot, times, topic, mode, hours, materials })
        }
        _ => Err(StoreError::Invalid(errs)),
    }
}

/// Validates a session without writing (a form whose other fields were already refused).
pub async fn check(db: &impl ConnectionTrait, scope: &Scope, class_id: i64, input: &SessionInput) -> Result<()> {
    let class = get_class(db, scope, class_id).await?;
    resolve(db, &class, input, None).await.map(|_| ())
}

fn open(class: &Class) -> Result<()> {
    if class.status == ClassStatus::Completed {
        return Err(StoreError::Conflict("本班次已结业，课程表不能再修改".to_owned()));
    }
    Ok(())
}

/// Adds a session to a class's timetable (organiser or delivering institution).
pub async fn add(tx: &Tx, class_id: i64, input: &SessionInput) -> Result<Session> {
    let class = get_for_delivery(tx, class_id).await?;
    open(&class)?;
    let r = resolve(tx.conn(), &class, input, None).await?;
    let m = class_session::ActiveModel {
        class_id: Set(class.id),
        on_date: Set(r.date),
        slot: Set(r.slot.code().to_owned()),
        starts_min: Set(r.times.map(|t| t.0 as i32)),
        ends_min: Set(r.times.map(|t| t.1 as i32)),
        topic: Set(r.topic.clone()),
        mode: Set(r.mode.code().to_owned()),
        instructor_id: Set(input.instructor_id),
        venue_id: Set(input.venue_id),
        hours: Set(r.hours.hundredths()),
        materials: Set(r.materials.clone()),
        checkin_secret: Set(crate::accounts::random_hex(16)),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    let s = build(tx.conn(), vec![m]).await?.pop().ok_or(StoreError::NotFound("课程安排"))?;
    tx.record(Entry {
        action: "class.session.add",
        target_type: "class",
        target_id: Some(class.id.to_string()),
        scope_path: class.org_path.clone(),
        summary: format!("班次“{}”新增课程“{}”（{} {}）", class.title, s.topic, s.date, s.slot.label()),
        before: None,
        after: json(&s),
    });
    Ok(s)
}

/// A session and its class, for a writer who keeps the timetable.
async fn for_write(tx: &Tx, id: i64) -> Result<(Class, class_session::Model)> {
    let m = class_session::Entity::find_by_id(id).one(tx.conn()).await?.ok_or(StoreError::NotFound("课程安排"))?;
    let class = get_for_delivery(tx, m.class_id).await.map_err(|e| match e {
        StoreError::NotFound(_) => StoreError::NotFound("课程安排"),
        e => e,
    })?;
    open(&class)?;
    Ok((class, m))
}

/// Changes a session; its check-in secret is kept.
pub async fn update(tx: &Tx, id: i64, input: &SessionInput) -> Result<Session> {
    let (class, m) = for_write(tx, id).await?;
    let before = build(tx.conn(), vec![m]).await?.pop();
    let r = resolve(tx.conn(), &class, input, Some(id)).await?;
    class_session::Entity::update_many()
        .col_expr(class_session::Column::OnDate, Expr::value(r.date))
        .col_expr(class_session::Column::Slot, Expr::value(r.slot.code()))
        .col_expr(class_session::Column::StartsMin, Expr::value(r.times.map(|t| t.0 as i32)))
        .col_expr(class_session::Column::EndsMin, Expr::value(r.times.map(|t| t.1 as i32)))
        .col_expr(class_session::Column::Topic, Expr::value(r.topic.clone()))
        .col_expr(class_session::Column::Mode, Expr::value(r.mode.code()))
        .col_expr(class_session::Column::InstructorId, Expr::value(input.instructor_id))
        .col_expr(class_session::Column::VenueId, Expr::value(input.venue_id))
        .col_expr(class_session::Column::Hours, Expr::value(r.hours.hundredths()))
        .col_expr(class_session::Column::Materials, Expr::value(r.materials.clone()))
        .filter(class_session::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let m = class_session::Entity::find_by_id(id).one(tx.conn()).await?.ok_or(StoreError::NotFound("课程安排"))?;
    let s = build(tx.conn(), vec![m]).await?.pop().ok_or(StoreError::NotFound("课程安排"))?;
    tx.record(Entry {
        action: "class.session.update",
        target_type: "class",
        target_id: Some(class.id.to_string()),
        scope_path: class.org_path.clone(),
        summary: format!("班次“{}”修改课程“{}”（{} {}）", class.title, s.topic, s.date, s.slot.label()),
        before: before.as_ref().and_then(json),
        after: json(&s),
    });
    Ok(s)
}

/// Deletes a session that has no attendance yet.
pub async fn delete(tx: &Tx, id: i64) -> Result<()> {
    let (class, m) = for_write(tx, id).await?;
    let marks = attendance::Entity::find().filter(attendance::Column::SessionId.eq(id)).count(tx.conn()).await?;
    if marks > 0 {
        return Err(StoreError::Conflict(format!("该课程已有{marks}条考勤记录，不能删除；如需调整，请修改课程内容")));
    }
    let before = build(tx.conn(), vec![m]).await?.pop();
    class_session::Entity::delete_by_id(id).exec(tx.conn()).await?;
    tx.record(Entry {
        action: "class.session.delete",
        target_type: "class",
        target_id: Some(class.id.to_string()),
        scope_path: class.org_path.clone(),
        summary: format!(
            "班次“{}”删除课程“{}”",
            class.title,
            before.as_ref().map(|s| s.topic.as_str()).unwrap_or_default()
        ),
        before: before.as_ref().and_then(json),
        after: None,
    });
    Ok(())
}

/// Sessions from rows, with their instructors' and venues' names.
async fn build(db: &impl ConnectionTrait, rows: Vec<class_session::Model>) -> Result<Vec<Session>> {
    let iids: Vec<i64> = rows.iter().filter_map(|m| m.instructor_id).collect();
    let vids: Vec<i64> = rows.iter().filter_map(|m| m.venue_id).collect();
    let instructors: HashMap<i64, String> = if iids.is_empty() {
        HashMap::new()
    } else {
        instructor::Entity::find()
            .filter(instructor::Column::Id.is_in(iids))
            .all(db)
            .await?
            .into_iter()
            .map(|i| (i.id, i.name))
            .collect()
    };
    let venues: HashMap<i64, String> = if vids.is_empty() {
        HashMap::new()
    } else {
        venue::Entity::find()
            .filter(venue::Column::Id.is_in(vids))
            .all(db)
            .await?
            .into_iter()
            .map(|v| (v.id, v.name))
            .collect()
    };
    Ok(rows
        .into_iter()
        .map(|m| {
            let (starts_min, ends_min) = effective(&m);
            Session {
                id: m.id,
                class_id: m.class_id,
                date: m.on_date,
                slot: SessionSlot::from_code(&m.slot).unwrap_or(SessionSlot::Am),
                starts_min,
                ends_min,
                topic: m.topic,
                mode: TeachingMode::from_code(&m.mode).unwrap_or(TeachingMode::Lecture),
                instructor: m
                    .instructor_id
                    .map(|id| PoolRef { id, name: instructors.get(&id).cloned().unwrap_or_default() }),
                venue: m.venue_id.map(|id| PoolRef { id, name: venues.get(&id).cloned().unwrap_or_default() }),
                hours: Hours::from_hundredths(m.hours),
                materials: m.materials,
                checkin_secret: m.checkin_secret,
                created_at: m.created_at,
            }
        })
        .collect())
}

/// The timetable of a class visible to the scope, in time order.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope, class_id: i64) -> Result<Vec<Session>> {
    let class = get_class(db, scope, class_id).await?;
    let rows = class_session::Entity::find()
        .filter(class_session::Column::ClassId.eq(class.id))
        .order_by_asc(class_session::Column::OnDate)
        .order_by_asc(class_session::Column::Id)
        .all(db)
        .await?;
    let mut out = build(db, rows).await?;
    out.sort_by_key(|s| (s.date, s.starts_min, s.id));
    Ok(out)
}

/// One session of a class visible to the scope (not found otherwise).
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Session> {
    let m = class_session::Entity::find_by_id(id).one(db).await?.ok_or(StoreError::NotFound("课程安排"))?;
    get_class(db, scope, m.class_id).await.map_err(|e| match e {
        StoreError::NotFound(_) => StoreError::NotFound("课程安排"),
        e => e,
    })?;
    build(db, vec![m]).await?.pop().ok_or(StoreError::NotFound("课程安排"))
}
