//! Filing upward (备案, issue 14 item 1): each organiser of a campaign files its
//! implementation plan, progress reports and work summary with the body on its route.
//!
//! **Who files, with whom.** The organisers of a campaign are its target organisations
//! (the counties it names) or, for a campaign over the issuer's own subtree, the organising
//! bodies nearest below the issuer (a county with its own organisation department, a
//! working committee of a system), plus every organisation the issuer routes explicitly (`filing_routes`); each files with the issuer unless its route names another
//! body of the issuer's subtree (systems with the city organs work committee). Routes and
//! reporting duties (`filing_terms`) are the issuer's to set.
//!
//! **Who sees what.** A filing crosses scopes: it is read by the filer's scope and by the
//! receiver's, through the named functions here ([`visible`]), never by widening a scope.
//! The filer's scope writes and submits; only a scope holding the receiver returns or
//! files it. A filed version is read-only: a new version supersedes it when it is filed,
//! the old one kept as history. Lateness counts China's calendar days from the deadline to
//! the first submission of any version.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::OrgKind;
use xuepei_domain::training::filing::{
    self as rules, BODY_MAX, COMMENTS_MAX, FilingAction, FilingKind, FilingState, Interval, MAX_ATTACHMENTS,
    ProgressEvery, TITLE_MAX,
};
use xuepei_domain::training::report::Figure;
use xuepei_domain::validate::FieldError;

use crate::audit::{Entry, Tx};
use crate::campaigns::{self, Campaign};
use crate::classes::OrgRef;
use crate::entity::{campaign, campaign_target, filing, filing_file, filing_route, filing_term, organization};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::scope::{Scope, subtree_cond};

/// A campaign's reporting duties.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Terms {
    pub plan_deadline: NaiveDate,
    #[serde(skip)]
    pub interval: Interval,
    /// The interval in words (每月末报送一次).
    pub progress: String,
    pub summary_deadline: NaiveDate,
    /// Whether the issuer set them (otherwise the defaults).
    pub set: bool,
}

/// An organiser and the body it files with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filer {
    pub org: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub receiver: OrgRef,
    #[serde(skip)]
    pub receiver_path: String,
    /// The route row, when the issuer set one.
    pub route_id: Option<i64>,
}

impl Filer {
    /// Whether `scope` files for this organiser (see [`Filing::writable_by`]).
    pub fn files_for(&self, scope: &Scope) -> bool {
        files_for(scope, &self.org_path, &self.receiver_path)
    }
}

/// An attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRow {
    pub id: i64,
    pub name: String,
    pub size: i64,
}

/// The figures a drafted text stated, read on `as_of`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drafted {
    pub as_of: NaiveDate,
    pub figures: Vec<Figure>,
}

/// One version of a filing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filing {
    pub id: i64,
    pub campaign_id: i64,
    pub org: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub receiver: OrgRef,
    #[serde(skip)]
    pub receiver_path: String,
    pub kind: FilingKind,
    pub period: u32,
    pub version: u32,
    pub title: String,
    pub body: String,
    pub state: FilingState,
    pub comments: Option<String>,
    pub first_submitted_at: Option<DateTime<Utc>>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub superseded: bool,
    pub files: Vec<FileRow>,
    /// What a text drafted from the data stated (see [`crate::report_drafts`]).
    pub drafted: Option<Drafted>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Filing {
    /// 实施方案 / 第2期进度报告 / 工作总结.
    pub fn what(&self) -> String {
        what(self.kind, self.period)
    }

    /// Whether `scope` writes and submits it: the filer's scope, not the receiver's (which
    /// holds the filer too when the filer lies below it) — no one both files and accepts.
    pub fn writable_by(&self, scope: &Scope) -> bool {
        files_for(scope, &self.org_path, &self.receiver_path)
    }

    /// Whether `scope` returns or files it (a scope holding the receiver).
    pub fn decidable_by(&self, scope: &Scope) -> bool {
        scope.contains_path(&self.receiver_path)
    }
}

/// Whether `scope` files for the organisation at `org_path` with the receiver at
/// `receiver_path` (see [`Filing::writable_by`]).
fn files_for(scope: &Scope, org_path: &str, receiver_path: &str) -> bool {
    scope.contains_path(org_path) && !scope.contains_path(receiver_path)
}

pub fn what(kind: FilingKind, period: u32) -> String {
    if kind == FilingKind::Progress { format!("第{period}期{}", kind.label()) } else { kind.label().to_owned() }
}

/// Where one duty of an organiser stands: the current version (the newest), when it was
/// due and how late its first submission was (or is, while none was made).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Duty {
    pub kind: FilingKind,
    pub period: u32,
    pub deadline: NaiveDate,
    pub current: Option<Filing>,
    /// The filed version in force (the current one, or the one a pending version would replace).
    pub filed_version: Option<u32>,
    pub first_submitted_at: Option<DateTime<Utc>>,
    pub days_late: i64,
    /// Due already (its deadline passed or something was submitted).
    pub due: bool,
}

impl Duty {
    pub fn what(&self) -> String {
        what(self.kind, self.period)
    }

    /// In words for the board: 已备案（第2版） / 已报送待备案 / 逾期3天未报送 / 未到期.
    pub fn status(&self) -> String {
        let late = if self.days_late > 0 { format!("，逾期{}天", self.days_late) } else { String::new() };
        match &self.current {
            None if self.days_late > 0 => format!("未报送{late}"),
            None => "未到报送期限".to_owned(),
            Some(f) => match self.filed_version.filter(|v| *v != f.version) {
                Some(v) => format!("已备案（第{v}版）；第{}版{}{late}", f.version, f.state.label()),
                None => format!("{}（第{}版）{late}", f.state.label(), f.version),
            },
        }
    }
}

/// One organiser's row of the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BoardRow {
    pub filer: Filer,
    pub duties: Vec<Duty>,
}

impl BoardRow {
    pub fn late(&self) -> usize {
        self.duties.iter().filter(|d| d.days_late > 0).count()
    }
}

/// What a scope sees of a campaign's filings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Board {
    pub campaign: Campaign,
    pub terms: Terms,
    pub rows: Vec<BoardRow>,
    /// Whether the scope issued the campaign (sets routes and duties).
    pub issuer: bool,
}

/// A filing as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilingInput {
    /// The filing organisation's code (inside the writer's scope).
    pub org: String,
    /// A kind code or label.
    pub kind: String,
    /// The progress report's number (empty for a plan or summary).
    pub period: String,
    pub title: String,
    pub body: String,
}

fn err(field: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![FieldError { field, message: message.into() }])
}

fn org_ref(o: &organization::Model) -> OrgRef {
    OrgRef { id: o.id, code: o.code.clone(), name: o.short_name.clone().unwrap_or_else(|| o.name.clone()) }
}

/// A campaign this scope may open for filing: one it sees (issuer, targets) or one where it
/// holds a filer or a receiver of a route.
pub(crate) async fn campaign_for(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Campaign> {
    match campaigns::get(db, scope, id).await {
        Err(StoreError::NotFound(_)) => {
            let holds = filing_route::Entity::find()
                .filter(filing_route::Column::CampaignId.eq(id))
                .filter(
                    Condition::any()
                        .add(scope.cond(filing_route::Column::OrgPath))
                        .add(scope.cond(filing_route::Column::ReceiverPath)),
                )
                .one(db)
                .await?
                .is_some();
            if !holds {
                return Err(StoreError::NotFound("轮训工作"));
            }
            campaigns::get(db, &Scope::whole(), id).await
        }
        other => other,
    }
}

/// The campaign's reporting duties (the issuer's, or the defaults).
pub(crate) async fn terms_of(db: &impl ConnectionTrait, c: &Campaign) -> Result<Terms> {
    let row = filing_term::Entity::find().filter(filing_term::Column::CampaignId.eq(c.id)).one(db).await?;
    let interval = row
        .as_ref()
        .and_then(|t| {
            Some(Interval {
                every: ProgressEvery::from_code(&t.progress_every)?,
                days: u32::try_from(t.progress_days).ok()?,
            })
        })
        .unwrap_or_default();
    Ok(Terms {
        plan_deadline: c.plan_deadline.unwrap_or_else(|| rules::default_plan_deadline(c.start_on)),
        interval,
        progress: interval.describe(),
        summary_deadline: row
            .as_ref()
            .and_then(|t| t.summary_deadline)
            .unwrap_or_else(|| rules::default_summary_deadline(c.end_on)),
        set: row.is_some(),
    })
}

/// Every organiser of the campaign and its receiver (see the module documentation).
async fn filers(db: &impl ConnectionTrait, c: &Campaign) -> Result<Vec<Filer>> {
    let issuer =
        organization::Entity::find_by_id(c.issuer_org_id).one(db).await?.ok_or(StoreError::NotFound("发文单位"))?;
    let mut roots: Vec<String> = campaign_target::Entity::find()
        .select_only()
        .column(campaign_target::Column::OrgPath)
        .filter(campaign_target::Column::CampaignId.eq(c.id))
        .into_tuple()
        .all(db)
        .await?;
    if roots.is_empty() {
        roots.push(issuer.path.clone());
    }
    // A target organisation other than the issuer files itself; a campaign over the
    // issuer's own subtree is filed by the organising bodies in it (parents of a
    // department, working committees).
    let mut candidates: BTreeMap<String, organization::Model> = BTreeMap::new();
    for root in &roots {
        let cond = if *root == issuer.path {
            let parents: Vec<Option<i64>> = organization::Entity::find()
                .select_only()
                .column(organization::Column::ParentId)
                .filter(subtree_cond(organization::Column::Path, root))
                .filter(organization::Column::Kind.eq(OrgKind::Department.code()))
                .filter(organization::Column::Active.eq(true))
                .into_tuple()
                .all(db)
                .await?;
            Condition::all().add(subtree_cond(organization::Column::Path, root)).add(
                Condition::any()
                    .add(organization::Column::Id.is_in(parents.into_iter().flatten()))
                    .add(organization::Column::Kind.eq(OrgKind::WorkingCommittee.code())),
            )
        } else {
            Condition::all().add(organization::Column::Path.eq(root.as_str()))
        };
        let rows =
            organization::Entity::find().filter(cond).filter(organization::Column::Active.eq(true)).all(db).await?;
        for o in rows {
            if o.id != issuer.id {
                candidates.insert(o.path.clone(), o);
            }
        }
    }
    // The nearest below the issuer: none of the others above them.
    let paths: Vec<String> = candidates.keys().cloned().collect();
    candidates.retain(|p, _| !paths.iter().any(|q| q != p && p.starts_with(q.as_str())));
    let routes = filing_route::Entity::find()
        .filter(filing_route::Column::CampaignId.eq(c.id))
        .order_by_asc(filing_route::Column::OrgPath)
        .all(db)
        .await?;
    let ids: BTreeSet<i64> = routes.iter().flat_map(|r| [r.org_id, r.receiver_org_id]).collect();
    let orgs: HashMap<i64, organization::Model> = if ids.is_empty() {
        HashMap::new()
    } else {
        organization::Entity::find()
            .filter(organization::Column::Id.is_in(ids))
            .all(db)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect()
    };
    let mut out: BTreeMap<String, Filer> = candidates
        .into_values()
        .map(|o| {
            let f = Filer {
                org: org_ref(&o),
                org_path: o.path.clone(),
                receiver: org_ref(&issuer),
                receiver_path: issuer.path.clone(),
                route_id: None,
            };
            (o.path, f)
        })
        .collect();
    for r in routes {
        let (Some(o), Some(to)) = (orgs.get(&r.org_id), orgs.get(&r.receiver_org_id)) else { continue };
        out.insert(
            o.path.clone(),
            Filer {
                org: org_ref(o),
                org_path: o.path.clone(),
                receiver: org_ref(to),
                receiver_path: to.path.clone(),
                route_id: Some(r.id),
            },
        );
    }
    Ok(out.into_values().collect())
}

/// The filings of a campaign this scope may read: the filer's or the receiver's.
fn visible(scope: &Scope) -> Condition {
    Condition::any().add(scope.cond(filing::Column::OrgPath)).add(scope.cond(filing::Column::ReceiverPath))
}

async fn build(db: &impl ConnectionTrait, rows: Vec<filing::Model>) -> Result<Vec<Filing>> {
    let ids: BTreeSet<i64> = rows.iter().flat_map(|r| [r.org_id, r.receiver_org_id]).collect();
    let orgs = crate::meetings::org_refs(db, ids).await?;
    let mut files: HashMap<i64, Vec<FileRow>> = HashMap::new();
    if !rows.is_empty() {
        let found: Vec<(i64, i64, String, i64)> = filing_file::Entity::find()
            .select_only()
            .columns([filing_file::Column::Id, filing_file::Column::FilingId, filing_file::Column::Name])
            .column(filing_file::Column::Size)
            .filter(filing_file::Column::FilingId.is_in(rows.iter().map(|r| r.id)))
            .order_by_asc(filing_file::Column::Id)
            .into_tuple()
            .all(db)
            .await?;
        for (id, filing_id, name, size) in found {
            files.entry(filing_id).or_default().push(FileRow { id, name, size });
        }
    }
    let unknown = |id: i64| OrgRef { id, code: String::new(), name: "（已删除的组织）".into() };
    Ok(rows
        .into_iter()
        .map(|r| Filing {
            id: r.id,
            campaign_id: r.campaign_id,
            org: orgs.get(&r.org_id).cloned().unwrap_or_else(|| unknown(r.org_id)),
            org_path: r.org_path,
            receiver: orgs.get(&r.receiver_org_id).cloned().unwrap_or_else(|| unknown(r.receiver_org_id)),
            receiver_path: r.receiver_path,
            kind: FilingKind::from_code(&r.kind).unwrap_or(FilingKind::Plan),
            period: u32::try_from(r.period).unwrap_or(0),
            version: u32::try_from(r.version).unwrap_or(1),
            title: r.title,
            body: r.body,
            state: FilingState::from_code(&r.state).unwrap_or(FilingState::Draft),
            comments: r.comments,
            first_submitted_at: r.first_submitted_at,
            submitted_at: r.submitted_at,
            decided_at: r.decided_at,
            decided_by: r.decided_by,
            superseded: r.superseded,
            files: files.remove(&r.id).unwrap_or_default(),
            drafted: r.drafted_from.as_deref().and_then(|j| serde_json::from_str(j).ok()),
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect())
}

/// Every version of a campaign's filings this scope reads, oldest first.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope, campaign_id: i64) -> Result<Vec<Filing>> {
    campaign_for(db, scope, campaign_id).await?;
    of_campaign(db, scope, campaign_id).await
}

/// [`list`] once the campaign is known to be open to the scope.
async fn of_campaign(db: &impl ConnectionTrait, scope: &Scope, campaign_id: i64) -> Result<Vec<Filing>> {
    let rows = filing::Entity::find()
        .filter(filing::Column::CampaignId.eq(campaign_id))
        .filter(visible(scope))
        .order_by_asc(filing::Column::OrgPath)
        .order_by_asc(filing::Column::Kind)
        .order_by_asc(filing::Column::Period)
        .order_by_asc(filing::Column::Version)
        .all(db)
        .await?;
    build(db, rows).await
}

/// The deadline of a duty.
fn deadline(terms: &Terms, c: &Campaign, kind: FilingKind, period: u32) -> Option<NaiveDate> {
    match kind {
        FilingKind::Plan => Some(terms.plan_deadline),
        FilingKind::Summary => Some(terms.summary_deadline),
        FilingKind::Progress => terms.interval.due(c.start_on, c.end_on, period),
    }
}

/// The board of a campaign for this scope: each organiser it holds or receives from, with
/// where each duty stands on `today`.
pub async fn board(db: &impl ConnectionTrait, scope: &Scope, campaign_id: i64, today: NaiveDate) -> Result<Board> {
    let campaign = campaign_for(db, scope, campaign_id).await?;
    let terms = terms_of(db, &campaign).await?;
    let all = of_campaign(db, scope, campaign_id).await?;
    let mut by_duty: HashMap<(i64, FilingKind, u32), Vec<Filing>> = HashMap::new();
    for f in all {
        by_duty.entry((f.org.id, f.kind, f.period)).or_default().push(f);
    }
    let mut rows = Vec::new();
    for filer in filers(db, &campaign).await? {
        if !scope.contains_path(&filer.org_path) && !scope.contains_path(&filer.receiver_path) {
            continue;
        }
        let mut duties = Vec::new();
        let mut wanted: Vec<(FilingKind, u32, NaiveDate)> = vec![(FilingKind::Plan, 0, terms.plan_deadline)];
        wanted.extend(
            terms
                .interval
                .periods(campaign.start_on, campaign.end_on)
                .into_iter()
                .map(|(n, d)| (FilingKind::Progress, n, d)),
        );
        wanted.push((FilingKind::Summary, 0, terms.summary_deadline));
        for (kind, period, deadline) in wanted {
            let versions = by_duty.remove(&(filer.org.id, kind, period)).unwrap_or_default();
            let first = versions.iter().filter_map(|v| v.first_submitted_at).min();
            let filed_version =
                versions.iter().filter(|v| v.state == FilingState::Filed && !v.superseded).map(|v| v.version).max();
            duties.push(Duty {
                kind,
                period,
                deadline,
                current: versions.into_iter().max_by_key(|v| v.version),
                filed_version,
                first_submitted_at: first,
                days_late: rules::days_late(deadline, first, today),
                due: first.is_some() || deadline < today,
            });
        }
        rows.push(BoardRow { filer, duties });
    }
    Ok(Board { issuer: campaign.editable_by(scope), campaign, terms, rows })
}

/// The campaign's reporting duties, for anyone who opens its filings.
pub async fn terms(db: &impl ConnectionTrait, scope: &Scope, campaign_id: i64) -> Result<(Campaign, Terms)> {
    let c = campaign_for(db, scope, campaign_id).await?;
    let t = terms_of(db, &c).await?;
    Ok((c, t))
}

/// Every organiser of a campaign and the body it files with, for anyone who sees the
/// campaign: the campaign notice names them all (who files with whom is no secret among
/// the bodies the notice is sent to).
pub async fn routes(
    db: &impl ConnectionTrait,
    scope: &Scope,
    campaign_id: i64,
) -> Result<(Campaign, Terms, Vec<Filer>)> {
    let c = campaign_for(db, scope, campaign_id).await?;
    let t = terms_of(db, &c).await?;
    let f = filers(db, &c).await?;
    Ok((c, t, f))
}

async fn issued(tx: &Tx, campaign_id: i64) -> Result<Campaign> {
    let c = campaigns::get(tx.conn(), tx.scope(), campaign_id).await?;
    if !c.editable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!("备案路线和报送要求由发文单位（{}）设定", c.issuer_name)));
    }
    Ok(c)
}

/// Sets a campaign's reporting duties (the issuer's scope): the progress-report interval
/// (`every` a code or label, `days` for `days`) and the summary deadline (empty: 15 days
/// after the campaign ends).
pub async fn set_terms(
    tx: &Tx,
    campaign_id: i64,
    every: &str,
    days: &str,
    summary: Option<NaiveDate>,
) -> Result<Terms> {
    let c = issued(tx, campaign_id).await?;
    let interval = Interval::parse(every, days).map_err(|m| err("progress_every", m))?;
    if let Some(d) = summary {
        if d < c.start_on {
            return Err(err("summary_deadline", format!("工作总结报送期限不能早于轮训开始日期（{}）", c.start_on)));
        }
        let latest = c.end_on.checked_add_days(chrono::Days::new(366)).unwrap_or(c.end_on);
        if d > latest {
            return Err(err("summary_deadline", format!("工作总结报送期限不能晚于轮训结束后一年（{latest}）")));
        }
    }
    // Progress reports already written keep their periods: the interval changes only before.
    let current = terms_of(tx.conn(), &c).await?.interval;
    if interval != current {
        let written = filing::Entity::find()
            .filter(filing::Column::CampaignId.eq(c.id))
            .filter(filing::Column::Kind.eq(FilingKind::Progress.code()))
            .one(tx.conn())
            .await?;
        if written.is_some() {
            return Err(err(
                "progress_every",
                format!("已有单位起草或报送了进度报告，进度报告周期不能再改变（现为{}）", current.describe()),
            ));
        }
    }
    let existing = filing_term::Entity::find().filter(filing_term::Column::CampaignId.eq(c.id)).one(tx.conn()).await?;
    let mut m = match existing {
        Some(e) => e.into(),
        None => filing_term::ActiveModel {
            campaign_id: Set(c.id),
            org_id: Set(c.issuer_org_id),
            org_path: Set(c.issuer_path.clone()),
            ..Default::default()
        },
    };
    m.progress_every = Set(interval.every.code().to_owned());
    m.progress_days = Set(i32::try_from(interval.days).unwrap_or(30));
    m.summary_deadline = Set(summary);
    m.updated_at = Set(now());
    m.save(tx.conn()).await?;
    let t = terms_of(tx.conn(), &c).await?;
    tx.record(Entry {
        action: "filing.terms",
        target_type: "campaign",
        target_id: Some(c.id.to_string()),
        scope_path: c.issuer_path.clone(),
        summary: format!(
            "设定“{}”报送要求：进度报告{}，工作总结{}前报送",
            c.title,
            t.interval.describe(),
            t.summary_deadline
        ),
        before: None,
        after: Some(serde_json::json!({
            "progress_every": interval.every.code(),
            "progress_days": interval.days,
            "summary_deadline": t.summary_deadline.to_string(),
        })),
    });
    Ok(t)
}

async fn org_by_code(db: &impl ConnectionTrait, code: &str, field: &'static str) -> Result<organization::Model> {
    organization::Entity::find()
        .filter(organization::Column::Code.eq(code.trim()))
        .one(db)
        .await?
        .ok_or_else(|| err(field, format!("组织代码“{}”不存在，请核对", code.trim())))
}

/// Routes an organiser's filings to a receiver (the issuer's scope; both organisations in
/// the issuer's subtree, the receiver not the filer itself or below it).
pub async fn set_route(tx: &Tx, campaign_id: i64, org: &str, receiver: &str) -> Result<Filer> {
    let c = issued(tx, campaign_id).await?;
    if org.trim().is_empty() {
        return Err(err("org", "请填写报送单位的组织代码"));
    }
    if receiver.trim().is_empty() {
        return Err(err("receiver", "请填写接收备案单位的组织代码"));
    }
    let o = org_by_code(tx.conn(), org, "org").await?;
    let to = org_by_code(tx.conn(), receiver, "receiver").await?;
    if !o.path.starts_with(&c.issuer_path) || o.id == c.issuer_org_id {
        return Err(err("org", format!("报送单位须是{}的下级组织", c.issuer_name)));
    }
    if !to.path.starts_with(&c.issuer_path) {
        return Err(err("receiver", format!("接收备案单位须是{}或其下级组织", c.issuer_name)));
    }
    if to.path.starts_with(&o.path) {
        return Err(err("receiver", "接收备案单位不能是报送单位自身或其下级组织"));
    }
    let pending = filing::Entity::find()
        .filter(filing::Column::CampaignId.eq(c.id))
        .filter(filing::Column::OrgId.eq(o.id))
        .filter(filing::Column::State.eq(FilingState::Submitted.code()))
        .one(tx.conn())
        .await?;
    if pending.is_some() {
        return Err(err("org", "该单位有已报送待备案的材料，请接收单位处理后再调整备案路线"));
    }
    let existing = filing_route::Entity::find()
        .filter(filing_route::Column::CampaignId.eq(c.id))
        .filter(filing_route::Column::OrgId.eq(o.id))
        .one(tx.conn())
        .await?;
    let mut m: filing_route::ActiveModel = match existing {
        Some(e) => e.into(),
        None => filing_route::ActiveModel {
            campaign_id: Set(c.id),
            org_id: Set(o.id),
            org_path: Set(o.path.clone()),
            ..Default::default()
        },
    };
    m.receiver_org_id = Set(to.id);
    m.receiver_path = Set(to.path.clone());
    m.updated_at = Set(now());
    let saved = m.save(tx.conn()).await?;
    follow_route(tx, c.id, o.id, to.id, &to.path).await?;
    let id = match saved.id {
        Set(v) | ActiveValue::Unchanged(v) => v,
        ActiveValue::NotSet => 0,
    };
    tx.record(Entry {
        action: "filing.route",
        target_type: "campaign",
        target_id: Some(c.id.to_string()),
        scope_path: c.issuer_path.clone(),
        summary: format!("设定“{}”备案路线：{}向{}报送备案", c.title, org_ref(&o).name, org_ref(&to).name),
        before: None,
        after: Some(serde_json::json!({"org": o.code, "receiver": to.code})),
    });
    Ok(Filer { org: org_ref(&o), org_path: o.path, receiver: org_ref(&to), receiver_path: to.path, route_id: Some(id) })
}

/// Drafts and returned filings of an organiser follow its route (the old receiver no longer
/// reads them); submitted and filed ones stay with the body that received them.
async fn follow_route(tx: &Tx, campaign_id: i64, org_id: i64, receiver_id: i64, receiver_path: &str) -> Result<()> {
    filing::Entity::update_many()
        .col_expr(filing::Column::ReceiverOrgId, Expr::value(receiver_id))
        .col_expr(filing::Column::ReceiverPath, Expr::value(receiver_path.to_owned()))
        .filter(filing::Column::CampaignId.eq(campaign_id))
        .filter(filing::Column::OrgId.eq(org_id))
        .filter(filing::Column::State.is_in([FilingState::Draft.code(), FilingState::Returned.code()]))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Removes a route (the organiser files with the issuer again, if it is one by default).
pub async fn remove_route(tx: &Tx, campaign_id: i64, route_id: i64) -> Result<()> {
    let c = issued(tx, campaign_id).await?;
    let r = filing_route::Entity::find_by_id(route_id)
        .filter(filing_route::Column::CampaignId.eq(c.id))
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound("备案路线"))?;
    filing_route::Entity::delete_by_id(r.id).exec(tx.conn()).await?;
    follow_route(tx, c.id, r.org_id, c.issuer_org_id, &c.issuer_path).await?;
    tx.record(Entry {
        action: "filing.route_remove",
        target_type: "campaign",
        target_id: Some(c.id.to_string()),
        scope_path: c.issuer_path.clone(),
        summary: format!("删除“{}”的一条备案路线", c.title),
        before: Some(serde_json::json!({"org_id": r.org_id, "receiver_org_id": r.receiver_org_id})),
        after: None,
    });
    Ok(())
}

pub(crate) fn checked_text(title: &str, body: &str) -> Result<(String, String)> {
    let mut errs = Vec::new();
    let title = title.trim();
    if title.is_empty() {
        errs.push(FieldError { field: "title", message: "请填写标题".into() });
    } else if title.chars().count() > TITLE_MAX {
        errs.push(FieldError { field: "title", message: format!("标题不超过{TITLE_MAX}字，请精简") });
    }
    if body.chars().count() > BODY_MAX {
        errs.push(FieldError {
            field: "body", message: format!("正文不超过{BODY_MAX}字；更长的材料请作为附件上传")
        });
    }
    if body.contains('\0') || title.contains('\0') {
        errs.push(FieldError {
            field: "body", message: "内容含有无法保存的控制字符，请删除后重新提交".into()
        });
    }
    if errs.is_empty() { Ok((title.to_owned(), body.trim_end().to_owned())) } else { Err(StoreError::Invalid(errs)) }
}

/// Starts a filing (a draft) of an organiser of the campaign in the writer's scope. One
/// line of versions per duty: a second draft is refused; a filed one gets a new version
/// through [`new_version`].
pub async fn create(tx: &Tx, campaign_id: i64, input: &FilingInput) -> Result<Filing> {
    let c = campaign_for(tx.conn(), tx.scope(), campaign_id).await?;
    let terms = terms_of(tx.conn(), &c).await?;
    let mut errs = Vec::new();
    let kind = FilingKind::parse_label(input.kind.trim());
    if kind.is_none() {
        errs.push(FieldError {
            field: "kind", message: format!("请选择材料类别（{}）", FilingKind::allowed_labels())
        });
    }
    let period: u32 = match kind {
        Some(FilingKind::Progress) => match input.period.trim().parse::<u32>() {
            Ok(n) if deadline(&terms, &c, FilingKind::Progress, n).is_some() => n,
            _ => {
                let n = terms.interval.periods(c.start_on, c.end_on).len();
                errs.push(FieldError {
                    field: "period",
                    message: format!("进度报告期次须是1至{n}之间的整数（{}）", terms.interval.describe()),
                });
                0
            }
        },
        _ => 0,
    };
    let text = checked_text(&input.title, &input.body);
    if let Err(StoreError::Invalid(e)) = &text {
        errs.extend(e.iter().cloned());
    }
    let filer = if input.org.trim().is_empty() {
        errs.push(FieldError { field: "org", message: "请选择报送单位".into() });
        None
    } else {
        let all = filers(tx.conn(), &c).await?;
        match all.into_iter().find(|f| f.org.code == input.org.trim()) {
            Some(f) if files_for(tx.scope(), &f.org_path, &f.receiver_path) => Some(f),
            _ => {
                errs.push(FieldError {
                    field: "org",
                    message: format!(
                        "“{}”不是本次轮训工作中由您报送的单位（接收备案的单位不代为起草）；报送单位见备案情况表，如需增加请联系发文单位设定备案路线",
                        input.org.trim()
                    ),
                });
                None
            }
        }
    };
    let (Some(kind), Some(filer), Ok((title, body))) = (kind, filer, text) else {
        return Err(StoreError::Invalid(errs));
    };
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let existing = filing::Entity::find()
        .filter(filing::Column::CampaignId.eq(c.id))
        .filter(filing::Column::OrgId.eq(filer.org.id))
        .filter(filing::Column::Kind.eq(kind.code()))
        .filter(filing::Column::Period.eq(i32::try_from(period).unwrap_or(0)))
        .order_by_desc(filing::Column::Version)
        .one(tx.conn())
        .await?;
    if let Some(e) = existing {
        return Err(StoreError::Conflict(format!(
            "{}的{}已有记录（第{}版，编号{}），请打开该记录修改，已备案的请“新建版本”",
            filer.org.name,
            what(kind, period),
            e.version,
            e.id
        )));
    }
    let t = now();
    let m = filing::ActiveModel {
        campaign_id: Set(c.id),
        org_id: Set(filer.org.id),
        org_path: Set(filer.org_path.clone()),
        receiver_org_id: Set(filer.receiver.id),
        receiver_path: Set(filer.receiver_path.clone()),
        kind: Set(kind.code().to_owned()),
        period: Set(i32::try_from(period).unwrap_or(0)),
        version: Set(1),
        title: Set(title),
        body: Set(body),
        state: Set(FilingState::Draft.code().to_owned()),
        superseded: Set(false),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    let f = build(tx.conn(), vec![m]).await?.remove(0);
    tx.record(Entry {
        action: "filing.create",
        target_type: "filing",
        target_id: Some(f.id.to_string()),
        scope_path: f.org_path.clone(),
        summary: format!("{}起草“{}”{}：{}", f.org.name, c.title, f.what(), f.title),
        before: None,
        after: crate::audit::json(&f),
    });
    Ok(f)
}

/// A filing this scope reads (the filer's or the receiver's).
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Filing> {
    let m =
        filing::Entity::find_by_id(id).filter(visible(scope)).one(db).await?.ok_or(StoreError::NotFound("备案材料"))?;
    Ok(build(db, vec![m]).await?.remove(0))
}

/// Every version of the same duty as `f` (oldest first), for its history.
pub async fn versions(db: &impl ConnectionTrait, scope: &Scope, f: &Filing) -> Result<Vec<Filing>> {
    let rows = filing::Entity::find()
        .filter(filing::Column::CampaignId.eq(f.campaign_id))
        .filter(filing::Column::OrgId.eq(f.org.id))
        .filter(filing::Column::Kind.eq(f.kind.code()))
        .filter(filing::Column::Period.eq(i32::try_from(f.period).unwrap_or(0)))
        .filter(visible(scope))
        .order_by_asc(filing::Column::Version)
        .all(db)
        .await?;
    build(db, rows).await
}

/// A filing the writer's scope files (the filer's), still editable.
pub(crate) async fn editable(tx: &Tx, id: i64) -> Result<Filing> {
    let f = get(tx.conn(), tx.scope(), id).await?;
    if !f.writable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!("{}的材料由该单位填写和报送，接收单位只能退回或备案", f.org.name)));
    }
    if !f.state.editable() {
        return Err(StoreError::Conflict(match f.state {
            FilingState::Filed => "该材料已备案，不能修改；如需调整，请“新建版本”".to_owned(),
            _ => "该材料已报送，正在等待接收单位备案，不能修改；如需修改请联系接收单位退回".to_owned(),
        }));
    }
    Ok(f)
}

/// Changes a draft's or a returned filing's title and text.
pub async fn update(tx: &Tx, id: i64, title: &str, body: &str) -> Result<Filing> {
    let before = editable(tx, id).await?;
    let (title, body) = checked_text(title, body)?;
    filing::Entity::update_many()
        .col_expr(filing::Column::Title, Expr::value(title))
        .col_expr(filing::Column::Body, Expr::value(body))
        .col_expr(filing::Column::UpdatedAt, Expr::value(now()))
        .filter(filing::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "filing.update",
        target_type: "filing",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("{}修改{}：{}", after.org.name, after.what(), after.title),
        before: crate::audit::json(&before),
        after: crate::audit::json(&after),
    });
    Ok(after)
}

/// Attaches a file (name made harmless) to a draft or returned filing.
pub async fn add_file(tx: &Tx, id: i64, name: &str, content: Vec<u8>) -> Result<FileRow> {
    let f = editable(tx, id).await?;
    if content.is_empty() {
        return Err(err("file", "附件是空文件，请选择要上传的文件"));
    }
    if f.files.len() >= MAX_ATTACHMENTS {
        return Err(err("file", format!("每份材料最多{MAX_ATTACHMENTS}个附件，请先删除不需要的附件")));
    }
    let kind = xuepei_domain::files::sniff(name, &content)
        .filter(|k| !matches!(k.family, xuepei_domain::files::Family::Video))
        .ok_or_else(|| {
            err(
                "file",
                "附件只能是 PDF、Word、WPS、OFD、Excel 文件、照片或纯文本；该文件的内容不是这些格式，请转换后再上传",
            )
        })?;
    let name = xuepei_domain::files::named_as(&rules::safe_filename(name), &kind);
    let size = i64::try_from(content.len()).unwrap_or(i64::MAX);
    let m = filing_file::ActiveModel {
        filing_id: Set(f.id),
        org_id: Set(f.org.id),
        org_path: Set(f.org_path.clone()),
        name: Set(name.clone()),
        size: Set(size),
        content: Set(content),
        created_at: Set(now()),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    tx.record(Entry {
        action: "filing.attach",
        target_type: "filing",
        target_id: Some(f.id.to_string()),
        scope_path: f.org_path.clone(),
        summary: format!("{}为{}上传附件“{}”", f.org.name, f.what(), name),
        before: None,
        after: Some(serde_json::json!({"file": name, "size": size})),
    });
    Ok(FileRow { id: m.id, name, size })
}

/// Removes an attachment of a draft or returned filing.
pub async fn remove_file(tx: &Tx, id: i64, file_id: i64) -> Result<()> {
    let f = editable(tx, id).await?;
    let file = f.files.iter().find(|x| x.id == file_id).ok_or(StoreError::NotFound("附件"))?;
    filing_file::Entity::delete_by_id(file_id).exec(tx.conn()).await?;
    tx.record(Entry {
        action: "filing.detach",
        target_type: "filing",
        target_id: Some(f.id.to_string()),
        scope_path: f.org_path.clone(),
        summary: format!("{}删除{}的附件“{}”", f.org.name, f.what(), file.name),
        before: Some(serde_json::json!({"file": file.name})),
        after: None,
    });
    Ok(())
}

/// An attachment's name and content, for a scope that reads its filing.
pub async fn file(db: &impl ConnectionTrait, scope: &Scope, id: i64, file_id: i64) -> Result<(String, Vec<u8>)> {
    let f = get(db, scope, id).await?;
    let m = filing_file::Entity::find_by_id(file_id)
        .filter(filing_file::Column::FilingId.eq(f.id))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("附件"))?;
    Ok((m.name, m.content))
}

/// Submits a draft or returned filing to the receiver on its route.
pub async fn submit(tx: &Tx, id: i64) -> Result<Filing> {
    let f = get(tx.conn(), tx.scope(), id).await?;
    if !f.writable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!("{}的材料由该单位报送", f.org.name)));
    }
    let to = rules::next_state(f.state, FilingAction::Submit, "").map_err(StoreError::Conflict)?;
    let mut errs = Vec::new();
    if f.kind.requires_attachment() && f.files.is_empty() {
        errs.push(FieldError {
            field: "file",
            message: format!("报送{}须上传正式印发的方案文件（盖章扫描件或电子文件）作为附件", f.kind.label()),
        });
    }
    if f.body.trim().is_empty() && f.files.is_empty() {
        errs.push(FieldError {
            field: "body", message: "正文和附件不能都为空，请填写正文或上传附件".into()
        });
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    // The route in force when it is submitted.
    let c = campaigns::get(tx.conn(), &Scope::whole(), f.campaign_id).await?;
    let filer = filers(tx.conn(), &c).await?.into_iter().find(|x| x.org.id == f.org.id).ok_or_else(|| {
        StoreError::Conflict(format!("{}已不在本次轮训工作的报送单位中，请联系发文单位核实备案路线", f.org.name))
    })?;
    let t = now();
    filing::Entity::update_many()
        .col_expr(filing::Column::State, Expr::value(to.code()))
        .col_expr(filing::Column::ReceiverOrgId, Expr::value(filer.receiver.id))
        .col_expr(filing::Column::ReceiverPath, Expr::value(filer.receiver_path.clone()))
        .col_expr(filing::Column::SubmittedAt, Expr::value(Some(t)))
        .col_expr(filing::Column::FirstSubmittedAt, Expr::value(Some(f.first_submitted_at.unwrap_or(t))))
        .col_expr(filing::Column::UpdatedAt, Expr::value(t))
        .filter(filing::Column::Id.eq(f.id))
        .filter(filing::Column::State.eq(f.state.code()))
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "filing.submit",
        target_type: "filing",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!(
            "{}向{}报送{}（第{}版）：{}",
            after.org.name,
            after.receiver.name,
            after.what(),
            after.version,
            after.title
        ),
        before: Some(serde_json::json!({"state": f.state.code()})),
        after: Some(serde_json::json!({"state": to.code(), "receiver": after.receiver.code})),
    });
    Ok(after)
}

/// The receiver returns a submitted filing with comments or files it. Filing a new version
/// supersedes the version filed before it.
pub async fn decide(tx: &Tx, id: i64, action: &str, comments: &str) -> Result<Filing> {
    let f = get(tx.conn(), tx.scope(), id).await?;
    let action = FilingAction::parse_label(action.trim())
        .filter(|a| a.by_receiver())
        .ok_or_else(|| err("action", "请选择“退回修改”或“予以备案”"))?;
    if !f.decidable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!(
            "{}的{}由{}备案，您所在单位不能退回或备案",
            f.org.name,
            f.what(),
            f.receiver.name
        )));
    }
    let comments = comments.trim();
    if comments.chars().count() > COMMENTS_MAX {
        return Err(err("comments", format!("意见不超过{COMMENTS_MAX}字，请精简")));
    }
    let to = rules::next_state(f.state, action, comments)
        .map_err(|m| if f.state == FilingState::Submitted { err("comments", m) } else { StoreError::Conflict(m) })?;
    let t = now();
    let updated = filing::Entity::update_many()
        .col_expr(filing::Column::State, Expr::value(to.code()))
        .col_expr(
            filing::Column::Comments,
            // The decision's own opinion: filing without one clears an earlier return's.
            Expr::value((!comments.is_empty()).then(|| comments.to_owned())),
        )
        .col_expr(filing::Column::DecidedAt, Expr::value(Some(t)))
        .col_expr(filing::Column::DecidedBy, Expr::value(Some(tx.actor().username.clone())))
        .col_expr(filing::Column::UpdatedAt, Expr::value(t))
        .filter(filing::Column::Id.eq(f.id))
        .filter(filing::Column::State.eq(FilingState::Submitted.code()))
        .exec(tx.conn())
        .await?;
    if updated.rows_affected != 1 {
        return Err(StoreError::Conflict("该材料的状态已被他人改变，请刷新后再操作".into()));
    }
    if to == FilingState::Filed {
        filing::Entity::update_many()
            .col_expr(filing::Column::Superseded, Expr::value(true))
            .filter(filing::Column::CampaignId.eq(f.campaign_id))
            .filter(filing::Column::OrgId.eq(f.org.id))
            .filter(filing::Column::Kind.eq(f.kind.code()))
            .filter(filing::Column::Period.eq(i32::try_from(f.period).unwrap_or(0)))
            .filter(filing::Column::Version.lt(i32::try_from(f.version).unwrap_or(1)))
            .filter(filing::Column::State.eq(FilingState::Filed.code()))
            .exec(tx.conn())
            .await?;
    }
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: if to == FilingState::Filed { "filing.accept" } else { "filing.return" },
        target_type: "filing",
        target_id: Some(id.to_string()),
        scope_path: after.receiver_path.clone(),
        summary: format!(
            "{}对{}的{}（第{}版）{}",
            after.receiver.name,
            after.org.name,
            after.what(),
            after.version,
            action.label()
        ),
        before: Some(serde_json::json!({"state": f.state.code()})),
        after: Some(serde_json::json!({"state": to.code(), "comments": comments})),
    });
    Ok(after)
}

/// A new version (a draft copying the text and attachments) of a filed filing, to be
/// submitted and filed in its place. Only from the newest version, when it is filed.
pub async fn new_version(tx: &Tx, id: i64) -> Result<Filing> {
    let f = get(tx.conn(), tx.scope(), id).await?;
    if !f.writable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!("{}的材料由该单位新建版本", f.org.name)));
    }
    let newest = versions(tx.conn(), tx.scope(), &f).await?.into_iter().map(|v| v.version).max().unwrap_or(f.version);
    if f.state != FilingState::Filed || newest != f.version {
        return Err(StoreError::Conflict(if newest != f.version {
            format!("已有更新的第{newest}版，请在最新版本上操作")
        } else {
            "尚未备案的材料直接修改即可，不需要新建版本".to_owned()
        }));
    }
    // The new version goes to the body on the route now.
    let c = campaigns::get(tx.conn(), &Scope::whole(), f.campaign_id).await?;
    let route = filers(tx.conn(), &c).await?.into_iter().find(|x| x.org.id == f.org.id);
    let (receiver_id, receiver_path) =
        route.map_or_else(|| (f.receiver.id, f.receiver_path.clone()), |r| (r.receiver.id, r.receiver_path));
    let t = now();
    let m = filing::ActiveModel {
        campaign_id: Set(f.campaign_id),
        org_id: Set(f.org.id),
        org_path: Set(f.org_path.clone()),
        receiver_org_id: Set(receiver_id),
        receiver_path: Set(receiver_path),
        kind: Set(f.kind.code().to_owned()),
        period: Set(i32::try_from(f.period).unwrap_or(0)),
        version: Set(i32::try_from(f.version + 1).unwrap_or(i32::MAX)),
        title: Set(f.title.clone()),
        body: Set(f.body.clone()),
        state: Set(FilingState::Draft.code().to_owned()),
        first_submitted_at: Set(f.first_submitted_at),
        superseded: Set(false),
        drafted_from: Set(f.drafted.as_ref().and_then(|d| serde_json::to_string(d).ok())),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    for x in &f.files {
        let src = filing_file::Entity::find_by_id(x.id).one(tx.conn()).await?.ok_or(StoreError::NotFound("附件"))?;
        filing_file::ActiveModel {
            filing_id: Set(m.id),
            org_id: Set(src.org_id),
            org_path: Set(src.org_path),
            name: Set(src.name),
            size: Set(src.size),
            content: Set(src.content),
            created_at: Set(t),
            ..Default::default()
        }
        .insert(tx.conn())
        .await?;
    }
    let after = get(tx.conn(), tx.scope(), m.id).await?;
    tx.record(Entry {
        action: "filing.version",
        target_type: "filing",
        target_id: Some(after.id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!(
            "{}新建{}第{}版（取代已备案的第{}版）",
            after.org.name,
            after.what(),
            after.version,
            f.version
        ),
        before: None,
        after: crate::audit::json(&after),
    });
    Ok(after)
}

/// The organisers of a campaign the writer may file for (in the scope), for the form.
pub async fn my_filers(db: &impl ConnectionTrait, scope: &Scope, campaign_id: i64) -> Result<Vec<Filer>> {
    let c = campaign_for(db, scope, campaign_id).await?;
    Ok(filers(db, &c).await?.into_iter().filter(|f| files_for(scope, &f.org_path, &f.receiver_path)).collect())
}

/// Campaigns with filings the scope files or receives, newest first (for the menu page):
/// (campaign id, title, submitted awaiting this scope's decision).
pub async fn inbox(db: &impl ConnectionTrait, scope: &Scope) -> Result<Vec<(i64, String, u64)>> {
    // Two grouped reads: the campaigns with filings the scope reads, and of those the
    // submitted ones the scope receives.
    let campaigns: Vec<i64> = filing::Entity::find()
        .select_only()
        .column(filing::Column::CampaignId)
        .filter(visible(scope))
        .group_by(filing::Column::CampaignId)
        .into_tuple()
        .all(db)
        .await?;
    if campaigns.is_empty() {
        return Ok(Vec::new());
    }
    let waiting: HashMap<i64, i64> = filing::Entity::find()
        .select_only()
        .column(filing::Column::CampaignId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(scope.cond(filing::Column::ReceiverPath))
        .filter(filing::Column::State.eq(FilingState::Submitted.code()))
        .group_by(filing::Column::CampaignId)
        .into_tuple()
        .all(db)
        .await?
        .into_iter()
        .collect();
    let mut titles: Vec<(i64, String)> = campaign::Entity::find()
        .select_only()
        .columns([campaign::Column::Id, campaign::Column::Title])
        .filter(campaign::Column::Id.is_in(campaigns))
        .into_tuple()
        .all(db)
        .await?;
    titles.sort_unstable_by_key(|t| std::cmp::Reverse(t.0));
    Ok(titles
        .into_iter()
        .map(|(id, title)| (id, title, waiting.get(&id).map_or(0, |n| u64::try_from(*n).unwrap_or(0))))
        .collect())
}

/// Records when a filing was submitted and decided, for history entered after the fact (the
/// demo's 2015 campaign; a department entering last year's paper ledger): the operator's
/// capability only, recorded in the audit trail.
#[cfg(feature = "operator")]
pub async fn record_times(
    tx: &Tx,
    id: i64,
    submitted: DateTime<Utc>,
    decided: Option<DateTime<Utc>>,
) -> Result<Filing> {
    let f = get(tx.conn(), tx.scope(), id).await?;
    filing::Entity::update_many()
        .col_expr(filing::Column::FirstSubmittedAt, Expr::value(Some(submitted)))
        .col_expr(filing::Column::SubmittedAt, Expr::value(Some(submitted)))
        .col_expr(filing::Column::DecidedAt, Expr::value(decided))
        .filter(filing::Column::Id.eq(f.id))
        .exec(tx.conn())
        .await?;
    tx.record(Entry {
        action: "filing.times",
        target_type: "filing",
        target_id: Some(id.to_string()),
        scope_path: f.org_path.clone(),
        summary: format!("补记{}{}的报送时间", f.org.name, f.what()),
        before: None,
        after: Some(serde_json::json!({"submitted_at": submitted, "decided_at": decided})),
    });
    get(tx.conn(), tx.scope(), id).await
}
