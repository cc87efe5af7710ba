//! Training funds of a class (经费, issue 14 item 4): budget and expense lines by source
//! and kind, the venue class, and the lines checked against the fee caps
//! (`domain::training::funding`). Only the organiser's scope reads and writes a class's
//! money: a sending organisation or the delivering institution sees the class, not its
//! budget. Totals per campaign, organiser and source add up the scope's classes.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::Serialize;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::funding::{
    self as rules, Breach, ClassTerms, CostKind, CostLine, FeeCaps, FundSource, FundStage, Lecture, LecturerTitle,
    LineFields, VenueClass,
};
use xuepei_domain::training::kinds::EnrolmentStatus;

use crate::audit::{Entry, Tx};
use crate::classes::{self, Class};
use crate::entity::{class, class_fund, class_fund_term, enrolment};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::scope::Scope;

/// A stored line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FundLine {
    pub id: i64,
    pub stage: FundStage,
    pub line_source: FundSource,
    pub kind: CostKind,
    pub amount_fen: i64,
    pub lecturer_title: Option<LecturerTitle>,
    pub hours: Option<u32>,
    pub half_days: Option<u32>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl FundLine {
    fn of(m: class_fund::Model) -> Option<Self> {
        let n = |v: Option<i32>| v.and_then(|x| u32::try_from(x).ok());
        Some(FundLine {
            id: m.id,
            stage: FundStage::from_code(&m.stage)?,
            line_source: FundSource::from_code(&m.source)?,
            kind: CostKind::from_code(&m.kind)?,
            amount_fen: m.amount_fen,
            lecturer_title: m.lecturer_title.as_deref().and_then(LecturerTitle::from_code),
            hours: n(m.hours),
            half_days: n(m.half_days),
            note: m.note,
            created_at: m.created_at,
        })
    }

    fn cost(&self) -> CostLine {
        let lecture = match (self.lecturer_title, self.hours, self.half_days) {
            (Some(title), Some(hours), Some(half_days)) => {
                Some(Lecture { title, hours, half_days, fee_fen: self.amount_fen })
            }
            _ => None,
        };
        CostLine { source: self.line_source, kind: self.kind, amount_fen: self.amount_fen, lecture }
    }

    pub fn yuan(&self) -> String {
        rules::yuan(self.amount_fen)
    }
}

/// A breach of a cap by the budget or the expenses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flag {
    pub stage: FundStage,
    /// The line broken (its id), none for the class's comprehensive total.
    pub line_id: Option<i64>,
    pub over_yuan: String,
    pub rule: String,
}

/// A stage's money per source and in all, in yuan.
#[derive(Debug, Clone, Serialize)]
pub struct StageTotal {
    pub stage: FundStage,
    pub by_source: Vec<(FundSource, String)>,
    pub total: String,
}

/// A class's money as its organiser sees it.
#[derive(Debug, Clone, Serialize)]
pub struct ClassFunds {
    pub class: Class,
    /// None until the organiser says where the class is held (the third class assumed).
    pub venue: Option<VenueClass>,
    /// Trainees enrolled or completed (the class's capacity while none are).
    pub people: u32,
    pub days: u32,
    pub caps: FeeCaps,
    /// The organisations whose caps apply (empty: the national defaults).
    pub caps_set_by: Vec<String>,
    /// The comprehensive cap of the class, in yuan.
    pub cap_yuan: String,
    pub lines: Vec<FundLine>,
    pub totals: Vec<StageTotal>,
    pub flags: Vec<Flag>,
}

impl ClassFunds {
    /// Whether the books are closed: the class is completed (经费结算).
    pub fn settled(&self) -> bool {
        self.class.status == classes::ClassStatus::Completed
    }

    /// The flags of one line.
    pub fn flags_of(&self, line: &FundLine) -> Vec<&Flag> {
        self.flags.iter().filter(|f| f.line_id == Some(line.id)).collect()
    }

    /// Whether the line is a comprehensive one of a stage whose comprehensive total breaks
    /// the cap (the breach is the class's, not one line's).
    pub fn in_total_over(&self, line: &FundLine) -> bool {
        line.kind == CostKind::Comprehensive && self.flags.iter().any(|f| f.line_id.is_none() && f.stage == line.stage)
    }

    /// How much the expenses exceed a budget that was entered, in yuan.
    pub fn over_budget(&self) -> Option<String> {
        let total =
            |stage: FundStage| -> i64 { self.lines.iter().filter(|l| l.stage == stage).map(|l| l.amount_fen).sum() };
        let (budget, expense) = (total(FundStage::Budget), total(FundStage::Expense));
        (budget > 0 && expense > budget).then(|| rules::yuan(expense - budget))
    }
}

/// The class, when the scope organises it (others are told it is not found).
async fn managed(db: &impl ConnectionTrait, scope: &Scope, class_id: i64) -> Result<Class> {
    let c = classes::get(db, scope, class_id).await?;
    if !c.manageable_by(scope) {
        return Err(StoreError::NotFound("班次"));
    }
    Ok(c)
}

/// The class, when the scope organises it and its books are open: a completed class's
/// money is settled (经费结算) and its lines, like the class itself, no longer change.
async fn open_books(tx: &Tx, class_id: i64) -> Result<Class> {
    let c = managed(tx.conn(), tx.scope(), class_id).await?;
    if c.status == classes::ClassStatus::Completed {
        return Err(StoreError::Conflict(format!(
            "班次“{}”已办理结业，经费账目已结清，不能再登记、删除经费明细或修改培训类别",
            c.title
        )));
    }
    Ok(c)
}

/// Trainees counted against the per-person-day cap: those enrolled or completed, or the
/// capacity while none are.
async fn people_of(db: &impl ConnectionTrait, c: &Class) -> Result<u32> {
    let n: i64 = enrolment::Entity::find()
        .filter(enrolment::Column::ClassId.eq(c.id))
        .filter(enrolment::Column::Status.is_in([EnrolmentStatus::Enrolled.code(), EnrolmentStatus::Completed.code()]))
        .select_only()
        .column_as(Expr::col(enrolment::Column::Id).count(), "n")
        .into_tuple()
        .one(db)
        .await?
        .unwrap_or(0);
    let n = if n > 0 { n } else { c.capacity };
    Ok(u32::try_from(std::cmp::max(n, 0)).unwrap_or(u32::MAX))
}

/// The class's money: lines, totals per stage and source, and what breaks a cap.
pub async fn of_class(db: &impl ConnectionTrait, scope: &Scope, class_id: i64) -> Result<ClassFunds> {
    let c = managed(db, scope, class_id).await?;
    let venue = class_fund_term::Entity::find()
        .filter(class_fund_term::Column::ClassId.eq(c.id))
        .one(db)
        .await?
        .and_then(|t| VenueClass::from_code(&t.venue_class));
    let lines: Vec<FundLine> = class_fund::Entity::find()
        .filter(class_fund::Column::ClassId.eq(c.id))
        .order_by_asc(class_fund::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter_map(FundLine::of)
        .collect();
    let people = people_of(db, &c).await?;
    let days = std::cmp::max(u32::try_from((c.end_on - c.start_on).num_days() + 1).unwrap_or(1), 1);
    let in_force = crate::fee_caps::in_force(db, &c.org_path).await?;
    let caps = in_force.caps;
    let terms = ClassTerms { venue: venue.unwrap_or(VenueClass::Third), people, days };
    let mut totals = Vec::new();
    let mut flags = Vec::new();
    for stage in FundStage::ALL {
        let of_stage: Vec<&FundLine> = lines.iter().filter(|l| l.stage == *stage).collect();
        let costs: Vec<CostLine> = of_stage.iter().map(|l| l.cost()).collect();
        let by_source = rules::by_source(&costs).into_iter().map(|(s, f)| (s, rules::yuan(f))).collect();
        totals.push(StageTotal {
            stage: *stage,
            by_source,
            total: rules::yuan(costs.iter().map(|l| l.amount_fen).sum()),
        });
        for Breach { line, over_fen, rule } in rules::check(&caps, terms, &costs) {
            flags.push(Flag {
                stage: *stage,
                line_id: line.map(|i| of_stage[i].id),
                over_yuan: rules::yuan(over_fen),
                rule,
            });
        }
    }
    let cap_yuan = rules::yuan(caps.comprehensive_cap(terms.venue, people, days));
    let caps_set_by = in_force.set_by.iter().map(|o| o.name.clone()).collect();
    Ok(ClassFunds { class: c, venue, people, days, caps, caps_set_by, cap_yuan, lines, totals, flags })
}

/// Adds a line to a class the scope organises.
pub async fn add_line(tx: &Tx, class_id: i64, f: &LineFields) -> Result<FundLine> {
    let c = open_books(tx, class_id).await?;
    let d = rules::check_line(f).map_err(StoreError::Invalid)?;
    let lecture = d.line.lecture;
    let i32_of = |v: u32| i32::try_from(v).unwrap_or(i32::MAX);
    let m = class_fund::ActiveModel {
        class_id: Set(c.id),
        org_id: Set(c.organiser.id),
        org_path: Set(c.org_path.clone()),
        stage: Set(d.stage.code().to_owned()),
        source: Set(d.line.source.code().to_owned()),
        kind: Set(d.line.kind.code().to_owned()),
        amount_fen: Set(d.line.amount_fen),
        lecturer_title: Set(lecture.map(|l| l.title.code().to_owned())),
        hours: Set(lecture.map(|l| i32_of(l.hours))),
        half_days: Set(lecture.map(|l| i32_of(l.half_days))),
        note: Set(d.note.clone()),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    let line = FundLine::of(m).ok_or(StoreError::NotFound("经费明细"))?;
    tx.record(Entry {
        action: "fund.add",
        target_type: "class_fund",
        target_id: Some(line.id.to_string()),
        scope_path: c.org_path.clone(),
        summary: format!(
            "“{}”登记{}：{}{} {}元",
            c.title,
            line.stage.label(),
            line.line_source.label(),
            short_kind(line.kind),
            line.yuan()
        ),
        before: None,
        after: crate::audit::json(&line),
    });
    Ok(line)
}

fn short_kind(k: CostKind) -> &'static str {
    match k {
        CostKind::Comprehensive => "综合定额",
        CostKind::Lecture => "师资费",
    }
}

/// Removes a line of a class the scope organises.
pub async fn remove_line(tx: &Tx, class_id: i64, line_id: i64) -> Result<()> {
    let c = open_books(tx, class_id).await?;
    let m = class_fund::Entity::find_by_id(line_id)
        .filter(class_fund::Column::ClassId.eq(c.id))
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound("经费明细"))?;
    class_fund::Entity::delete_by_id(m.id).exec(tx.conn()).await?;
    let line = FundLine::of(m);
    tx.record(Entry {
        action: "fund.remove",
        target_type: "class_fund",
        target_id: Some(line_id.to_string()),
        scope_path: c.org_path.clone(),
        summary: format!(
            "“{}”删除经费明细{}",
            c.title,
            line.as_ref().map(|l| format!("（{}元）", l.yuan())).unwrap_or_default()
        ),
        before: line.as_ref().and_then(crate::audit::json),
        after: None,
    });
    Ok(())
}

/// Sets the venue class of a class the scope organises.
pub async fn set_venue(tx: &Tx, class_id: i64, venue: &str) -> Result<VenueClass> {
    let c = open_books(tx, class_id).await?;
    let v = VenueClass::from_code(venue.trim()).or_else(|| VenueClass::parse_label(venue)).ok_or_else(|| {
        StoreError::invalid("venue_class", format!("请选择培训类别（{}）", VenueClass::allowed_labels()))
    })?;
    let old = class_fund_term::Entity::find().filter(class_fund_term::Column::ClassId.eq(c.id)).one(tx.conn()).await?;
    let before = old.as_ref().and_then(|o| VenueClass::from_code(&o.venue_class));
    match old {
        Some(o) => {
            let mut am: class_fund_term::ActiveModel = o.into();
            am.venue_class = Set(v.code().to_owned());
            am.updated_at = Set(now());
            am.update(tx.conn()).await?;
        }
        None => {
            class_fund_term::ActiveModel {
                class_id: Set(c.id),
                org_id: Set(c.organiser.id),
                org_path: Set(c.org_path.clone()),
                venue_class: Set(v.code().to_owned()),
                updated_at: Set(now()),
                ..Default::default()
            }
            .insert(tx.conn())
            .await?;
        }
    }
    tx.record(Entry {
        action: "fund.venue",
        target_type: "class",
        target_id: Some(c.id.to_string()),
        scope_path: c.org_path.clone(),
        summary: format!("“{}”培训类别定为{}", c.title, v.label()),
        before: before.map(|b| serde_json::json!({ "venue_class": b.label() })),
        after: Some(serde_json::json!({ "venue_class": v.label() })),
    });
    Ok(v)
}

/// One row of the totals: a campaign (or none), an organiser, a source, budget and expense.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TotalRow {
    pub campaign: Option<String>,
    pub organiser: String,
    pub line_source: FundSource,
    pub budget_fen: i64,
    pub expense_fen: i64,
}

impl TotalRow {
    /// Budget, expense and what is left, in yuan.
    pub fn yuan(&self) -> [String; 3] {
        [self.budget_fen, self.expense_fen, self.budget_fen - self.expense_fen].map(rules::yuan)
    }
}

/// Totals of the scope's classes per campaign, organiser and source (one grouped read).
pub async fn totals(db: &impl ConnectionTrait, scope: &Scope, campaign_id: Option<i64>) -> Result<Vec<TotalRow>> {
    let mut q = class_fund::Entity::find()
        .select_only()
        .column(class_fund::Column::ClassId)
        .column(class_fund::Column::Source)
        .column(class_fund::Column::Stage)
        .column_as(crate::sql::sum_i64(db.get_database_backend(), "amount_fen"), "total")
        .filter(scope.cond(class_fund::Column::OrgPath))
        .group_by(class_fund::Column::ClassId)
        .group_by(class_fund::Column::Source)
        .group_by(class_fund::Column::Stage);
    if let Some(id) = campaign_id {
        let ids: Vec<i64> = class::Entity::find()
            .select_only()
            .column(class::Column::Id)
            .filter(class::Column::CampaignId.eq(id))
            .filter(scope.cond(class::Column::OrgPath))
            .into_tuple()
            .all(db)
            .await?;
        q = q.filter(class_fund::Column::ClassId.is_in(ids));
    }
    let rows: Vec<(i64, String, String, i64)> = q.into_tuple().all(db).await?;
    let class_ids: Vec<i64> = rows.iter().map(|r| r.0).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    let mut about: BTreeMap<i64, (Option<String>, String)> = BTreeMap::new();
    for chunk in class_ids.chunks(500) {
        for c in classes::by_ids(db, scope, chunk).await? {
            about.insert(c.id, (c.campaign_title.clone(), c.organiser.name.clone()));
        }
    }
    let mut out: BTreeMap<(Option<String>, String, FundSource), (i64, i64)> = BTreeMap::new();
    for (class_id, source, stage, total) in rows {
        let (Some((campaign, organiser)), Some(source), Some(stage)) =
            (about.get(&class_id), FundSource::from_code(&source), FundStage::from_code(&stage))
        else {
            continue;
        };
        let e = out.entry((campaign.clone(), organiser.clone(), source)).or_default();
        match stage {
            FundStage::Budget => e.0 += total,
            FundStage::Expense => e.1 += total,
        }
    }
    Ok(out
        .into_iter()
        .map(|((campaign, organiser, line_source), (budget_fen, expense_fen))| TotalRow {
            campaign,
            organiser,
            line_source,
            budget_fen,
            expense_fen,
        })
        .collect())
}
