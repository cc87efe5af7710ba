//! Practice bases (示范培训实践基地, issue 14 item 3): applications with the 五有 evidence,
//! accreditation by the county, recommendation to the city within the county's quota, the
//! city's accreditation (at most 10 villages and 10 communities a year) or return, yearly
//! review and revocation. The rules are `domain::training::bases`.
//!
//! **Who does what.** A base belongs to its host organisation (a village, a community, or
//! another unit of a county) and to the county above it, both kept as path copies. A scope
//! holding the host drafts and edits the application; the county's own scope accredits it
//! at county level and recommends it; a scope strictly above the county (the city) accredits
//! or returns what was recommended, and sets the counties' quotas. Each level revokes and
//! reviews what it accredited. Everyone in whose scope the host lies reads it.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Serialize;
use xuepei_domain::divisions::{DivisionLevel, level_of};
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::path;
use xuepei_domain::training::bases::{self as rules, BaseAction, BaseKind, BaseState, FIVE_ITEMS, Quota};
use xuepei_domain::validate::FieldError;

use crate::audit::{Entry, Tx};
use crate::classes::OrgRef;
use crate::entity::{base_quota, class_session, organization, practice_base, venue};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::scope::{Scope, subtree_cond};

/// An application as submitted (organisations by code).
#[derive(Debug, Clone, Default)]
pub struct BaseInput {
    pub org: String,
    pub name: String,
    pub kind: String,
    pub year: String,
    pub address: String,
    pub contact: String,
    pub phone: String,
    pub summary: String,
    /// The 五有 evidence, in the order of [`FIVE_ITEMS`].
    pub evidence: [String; 5],
}

/// A base as the pages and the API see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Base {
    pub id: i64,
    pub org: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub county: OrgRef,
    #[serde(skip)]
    pub county_path: String,
    pub name: String,
    pub kind: BaseKind,
    pub year: i32,
    pub address: String,
    pub contact: String,
    pub phone: String,
    pub summary: String,
    pub evidence: [String; 5],
    pub state: BaseState,
    pub comments: Option<String>,
    /// When the county accredited it (县级授牌), and when the city did (市级授牌).
    pub county_on: Option<NaiveDate>,
    pub city_on: Option<NaiveDate>,
    pub reviewed_on: Option<NaiveDate>,
    pub review_note: Option<String>,
    /// The venue it is for on-site teaching, and how many sessions were held there.
    pub venue_id: Option<i64>,
    pub uses: u64,
}

impl Base {
    /// The 五有 items without evidence.
    pub fn missing(&self) -> Vec<&'static str> {
        let e: [&str; 5] = std::array::from_fn(|i| self.evidence[i].as_str());
        rules::missing(&e)
    }

    /// (item, evidence) pairs for the page.
    pub fn items(&self) -> Vec<(&'static str, &str)> {
        FIVE_ITEMS.iter().zip(&self.evidence).map(|((_, label), e)| (*label, e.as_str())).collect()
    }

    /// Whether `scope` is the county's own (accredits at county level, recommends).
    pub fn county_acts(&self, scope: &Scope) -> bool {
        scope.root_path() == Some(self.county_path.as_str())
    }

    /// Whether `scope` lies strictly above the county (the city: accredits, returns).
    pub fn city_acts(&self, scope: &Scope) -> bool {
        scope.contains_path(&self.county_path) && scope.root_path() != Some(self.county_path.as_str())
    }

    /// The level it is accredited at now, if any: the city's, else the county's.
    pub fn level(&self) -> Option<&'static str> {
        match self.state {
            BaseState::City => Some("city"),
            BaseState::Revoked | BaseState::Draft => None,
            _ => self.county_on.map(|_| "county"),
        }
    }

    /// Whether `scope` is the level that accredited it (reviews and revokes it).
    pub fn accredited_by(&self, scope: &Scope) -> bool {
        match self.level() {
            Some("county") => self.county_acts(scope),
            Some(_) => self.city_acts(scope),
            None => false,
        }
    }

    /// Whether `scope` edits the application.
    pub fn editable_by(&self, scope: &Scope) -> bool {
        rules::editable(self.state) && scope.contains_path(&self.org_path) && !self.city_acts(scope)
    }
}

fn err(field: &'static str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![FieldError { field, message: message.into() }])
}

fn of(m: practice_base::Model, orgs: &BTreeMap<i64, OrgRef>) -> Base {
    let unknown = |id: i64| OrgRef { id, code: String::new(), name: "（已删除的组织）".into() };
    Base {
        id: m.id,
        org: orgs.get(&m.org_id).cloned().unwrap_or_else(|| unknown(m.org_id)),
        org_path: m.org_path,
        county: orgs.get(&m.county_org_id).cloned().unwrap_or_else(|| unknown(m.county_org_id)),
        county_path: m.county_path,
        name: m.name,
        kind: BaseKind::from_code(&m.kind).unwrap_or(BaseKind::Other),
        year: m.year,
        address: m.address,
        contact: m.contact,
        phone: m.phone,
        summary: m.summary,
        evidence: [m.venue, m.guide, m.material, m.site, m.film],
        state: BaseState::from_code(&m.state).unwrap_or(BaseState::Draft),
        comments: m.comments,
        county_on: m.county_on,
        city_on: m.city_on,
        reviewed_on: m.reviewed_on,
        review_note: m.review_note,
        venue_id: m.venue_id,
        uses: 0,
    }
}

async fn build(db: &impl ConnectionTrait, rows: Vec<practice_base::Model>) -> Result<Vec<Base>> {
    let refs = crate::meetings::org_refs(db, rows.iter().flat_map(|r| [r.org_id, r.county_org_id])).await?;
    let orgs: BTreeMap<i64, OrgRef> = refs.into_iter().collect();
    // Sessions held at each base's venue (one grouped read).
    let venues: Vec<i64> = rows.iter().filter_map(|r| r.venue_id).collect();
    let mut uses: BTreeMap<i64, i64> = BTreeMap::new();
    for chunk in venues.chunks(500) {
        let found: Vec<(i64, i64)> = class_session::Entity::find()
            .select_only()
            .column(class_session::Column::VenueId)
            .column_as(class_session::Column::Id.count(), "n")
            .filter(class_session::Column::VenueId.is_in(chunk.to_vec()))
            .group_by(class_session::Column::VenueId)
            .into_tuple()
            .all(db)
            .await?;
        uses.extend(found);
    }
    Ok(rows
        .into_iter()
        .map(|m| {
            let n = m.venue_id.and_then(|v| uses.get(&v)).copied().unwrap_or(0);
            Base { uses: u64::try_from(n).unwrap_or(0), ..of(m, &orgs) }
        })
        .collect())
}

/// What the list shows: a year, a state, a county (by id).
#[derive(Debug, Clone, Default)]
pub struct BaseFilter {
    pub year: Option<i32>,
    pub state: Option<BaseState>,
    pub county_id: Option<i64>,
}

/// Most bases a list returns (a city has a few hundred at most).
pub const LIST_MAX: u64 = 2000;

/// The bases whose host lies in the scope, by county and name.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope, f: &BaseFilter) -> Result<Vec<Base>> {
    let mut q = practice_base::Entity::find().filter(scope.cond(practice_base::Column::OrgPath));
    if let Some(y) = f.year {
        q = q.filter(practice_base::Column::Year.eq(y));
    }
    if let Some(s) = f.state {
        q = q.filter(practice_base::Column::State.eq(s.code()));
    }
    if let Some(c) = f.county_id {
        q = q.filter(practice_base::Column::CountyOrgId.eq(c));
    }
    let rows = q
        .order_by_asc(practice_base::Column::CountyPath)
        .order_by_asc(practice_base::Column::Name)
        .order_by_asc(practice_base::Column::Id)
        .limit(LIST_MAX)
        .all(db)
        .await?;
    build(db, rows).await
}

/// One base the scope reads.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Base> {
    let m = practice_base::Entity::find_by_id(id)
        .filter(scope.cond(practice_base::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("实践基地"))?;
    Ok(build(db, vec![m]).await?.remove(0))
}

/// The nearest organisation on `org_path` (itself included) at `level`, read along the
/// path (the chain above a visible organisation, never a wider listing).
async fn ancestor_at(
    db: &impl ConnectionTrait,
    org_path: &str,
    level: DivisionLevel,
) -> Result<Option<organization::Model>> {
    let ids = path::ids(org_path);
    let rows = organization::Entity::find().filter(organization::Column::Id.is_in(ids.clone())).all(db).await?;
    Ok(ids.iter().rev().find_map(|id| rows.iter().find(|o| o.id == *id && level_of(&o.code) == Some(level)).cloned()))
}

/// A year an application or quota may be for: 2000 to next year.
fn year_of(text: &str) -> Option<i32> {
    let next = xuepei_domain::time::today().year() + 1;
    text.trim().parse::<i32>().ok().filter(|y| (2000..=next).contains(y))
}

const NAME_MAX: usize = 100;
const LINE_MAX: usize = 200;
const ITEM_MAX: usize = 500;
const SUMMARY_MAX: usize = 20_000;

/// The application checked whole: (host org, county, fields) or every reason at once.
async fn checked(
    db: &impl ConnectionTrait,
    scope: &Scope,
    i: &BaseInput,
    except: Option<i64>,
) -> Result<(organization::Model, organization::Model, practice_base::ActiveModel)> {
    let mut errs = Vec::new();
    let mut bad = |field: &'static str, m: String| errs.push(FieldError { field, message: m });
    let text = |v: &str| v.trim().to_owned();
    let too_long = |v: &str, n: usize| v.trim().chars().count() > n;
    let has_nul = [&i.name, &i.address, &i.contact, &i.phone, &i.summary].iter().any(|v| v.contains('\0'))
        || i.evidence.iter().any(|v| v.contains('\0'));
    if has_nul {
        bad("summary", "内容含有无法保存的控制字符，请删除后重新提交".into());
    }
    if i.name.trim().is_empty() {
        bad("name", "请填写基地名称（如：××村党员干部示范培训实践基地）".into());
    } else if too_long(&i.name, NAME_MAX) {
        bad("name", format!("基地名称不超过{NAME_MAX}个字"));
    }
    let kind = BaseKind::parse_label(i.kind.trim());
    if kind.is_none() {
        bad("kind", format!("请选择基地类型（{}）", BaseKind::allowed_labels()));
    }
    let this_year = xuepei_domain::time::today().year();
    let year = match i.year.trim() {
        "" => Some(this_year),
        y => year_of(y),
    };
    if year.is_none() {
        bad("year", format!("申报年度须是2000至{}之间的年份，如{this_year}", this_year + 1));
    }
    for (v, field, label) in
        [(&i.address, "address", "地址"), (&i.contact, "contact", "联系人"), (&i.phone, "phone", "联系电话")]
    {
        if too_long(v, if field == "address" { LINE_MAX } else { 50 }) {
            bad(field, format!("{label}过长，请精简"));
        }
    }
    if !i.phone.trim().is_empty()
        && !too_long(&i.phone, 50)
        && let Err(e) = xuepei_domain::phone::normalize(&i.phone)
    {
        bad("phone", format!("联系电话“{}”{e}", i.phone.trim()));
    }
    if too_long(&i.summary, SUMMARY_MAX) {
        bad("summary", format!("基本情况不超过{SUMMARY_MAX}个字"));
    }
    for (e, (field, label)) in i.evidence.iter().zip(FIVE_ITEMS) {
        if too_long(e, ITEM_MAX) {
            bad(field, format!("“{label}”的说明不超过{ITEM_MAX}个字"));
        }
    }
    let host = if i.org.trim().is_empty() {
        bad("org", "请填写基地所在的村、社区或单位的组织代码".into());
        None
    } else {
        // A code, "名称（代码）", or a name (full or short) that names one organisation.
        let (name, code) = xuepei_domain::org::split_ref(&i.org);
        let code = code.unwrap_or(name);
        let by_code = organization::Entity::find()
            .filter(organization::Column::Code.eq(code))
            .filter(scope.cond(organization::Column::Path))
            .one(db)
            .await?;
        let found = match by_code {
            Some(o) => vec![o],
            None => {
                organization::Entity::find()
                    .filter(
                        Condition::any()
                            .add(organization::Column::Name.eq(name))
                            .add(organization::Column::ShortName.eq(name)),
                    )
                    .filter(scope.cond(organization::Column::Path))
                    .limit(2)
                    .all(db)
                    .await?
            }
        };
        match <[_; 1]>::try_from(found) {
            Ok([o]) => Some(o),
            Err(v) if v.len() > 1 => {
                bad("org", format!("名称为“{name}”的组织不止一个，请从列表中选择或填写组织代码"));
                None
            }
            Err(_) => {
                bad("org", format!("组织“{}”不存在或不在您的管理范围内，请从列表中选择", i.org.trim()));
                None
            }
        }
    };
    let county = match &host {
        Some(h) => match ancestor_at(db, &h.path, DivisionLevel::County).await? {
            Some(c) => Some(c),
            None => {
                bad(
                    "org",
                    format!(
                        "“{}”不在任何县市区之下；实践基地由所在县市区推荐和授牌，请选择县市区内的村、社区或单位",
                        h.name
                    ),
                );
                None
            }
        },
        None => None,
    };
    let (Some(host), Some(county), Some(kind), Some(year)) = (host, county, kind, year) else {
        return Err(StoreError::Invalid(errs));
    };
    // The host is a unit below the county, of the kind chosen.
    let sector = xuepei_domain::org::Sector::from_code(&host.sector);
    if host.id == county.id {
        errs.push(FieldError {
            field: "org",
            message: format!("请填写{}下属的村、社区或单位，而不是县市区本身", county.name),
        });
    } else if let Some(need) = match kind {
        BaseKind::Village => Some(xuepei_domain::org::Sector::Village),
        BaseKind::Community => Some(xuepei_domain::org::Sector::Community),
        BaseKind::Other => None,
    } && sector != Some(need)
    {
        errs.push(FieldError {
            field: "kind",
            message: format!("“{}”不是{}，请核对基地类型或所在单位", host.name, kind.label()),
        });
    }
    // One base per host while it stands (a revoked one may apply again).
    let mut same = practice_base::Entity::find()
        .filter(practice_base::Column::OrgId.eq(host.id))
        .filter(practice_base::Column::State.ne(BaseState::Revoked.code()));
    if let Some(id) = except {
        same = same.filter(practice_base::Column::Id.ne(id));
    }
    if let Some(o) = same.one(db).await? {
        let state = BaseState::from_code(&o.state).map_or("", BaseState::label);
        errs.push(FieldError {
            field: "org",
            message: format!(
                "{}已有实践基地“{}”（{}年度，{state}），不能重复申报；如需更新请修改原申报材料",
                host.name, o.name, o.year
            ),
        });
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let [venue, guide, material, site, film] = i.evidence.clone().map(|e| e.trim().to_owned());
    let m = practice_base::ActiveModel {
        org_id: Set(host.id),
        org_path: Set(host.path.clone()),
        county_org_id: Set(county.id),
        county_path: Set(county.path.clone()),
        name: Set(text(&i.name)),
        kind: Set(kind.code().to_owned()),
        year: Set(year),
        address: Set(text(&i.address)),
        contact: Set(text(&i.contact)),
        phone: Set(text(&i.phone)),
        summary: Set(i.summary.trim_end().to_owned()),
        venue: Set(venue),
        guide: Set(guide),
        material: Set(material),
        site: Set(site),
        film: Set(film),
        ..Default::default()
    };
    Ok((host, county, m))
}

/// Starts an application (申报中) of an organisation in the writer's scope.
pub async fn create(tx: &Tx, input: &BaseInput) -> Result<Base> {
    let (host, county, mut m) = checked(tx.conn(), tx.scope(), input, None).await?;
    if tx.scope().contains_path(&county.path) && tx.scope().root_path() != Some(county.path.as_str()) {
        return Err(StoreError::Forbidden("实践基地由所在县市区或基地所在单位申报；市级负责审核授牌".into()));
    }
    let t = now();
    m.state = Set(BaseState::Draft.code().to_owned());
    m.created_at = Set(t);
    m.updated_at = Set(t);
    let m = m.insert(tx.conn()).await?;
    let b = build(tx.conn(), vec![m]).await?.remove(0);
    tx.record(Entry {
        action: "base.create",
        target_type: "practice_base",
        target_id: Some(b.id.to_string()),
        scope_path: b.org_path.clone(),
        summary: format!("{}申报实践基地“{}”（{}，{}年度）", host.name, b.name, b.kind.label(), b.year),
        before: None,
        after: crate::audit::json(&b),
    });
    Ok(b)
}

/// Changes an application still being prepared or returned by the city.
pub async fn update(tx: &Tx, id: i64, input: &BaseInput) -> Result<Base> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    if !before.editable_by(tx.scope()) {
        return Err(StoreError::Conflict(if rules::editable(before.state) {
            "申报材料由基地所在单位或县市区填写，市级只审核授牌".into()
        } else {
            format!("该基地{}，申报材料不能再修改", before.state.label())
        }));
    }
    let (_, _, mut m) = checked(tx.conn(), tx.scope(), input, Some(id)).await?;
    m.id = Set(id);
    m.updated_at = Set(now());
    m.update(tx.conn()).await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "base.update",
        target_type: "practice_base",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("修改实践基地“{}”的申报材料", after.name),
        before: crate::audit::json(&before),
        after: crate::audit::json(&after),
    });
    Ok(after)
}

/// A county's recommendation quota of a year: its row, or the seed's numbers.
pub async fn quota_of(db: &impl ConnectionTrait, county_id: i64, county_name: &str, year: i32) -> Result<Quota> {
    let row = base_quota::Entity::find()
        .filter(base_quota::Column::OrgId.eq(county_id))
        .filter(base_quota::Column::Year.eq(year))
        .one(db)
        .await?;
    Ok(row.map_or_else(
        || rules::default_quota(county_name),
        |r| Quota {
            villages: u32::try_from(r.villages).unwrap_or(0),
            communities: u32::try_from(r.communities).unwrap_or(0),
        },
    ))
}

/// Bases of a kind and year in `states` under `path` (not counting `except`).
async fn count(
    db: &impl ConnectionTrait,
    path: &str,
    column: practice_base::Column,
    kind: BaseKind,
    year: i32,
    states: &[BaseState],
    except: i64,
) -> Result<u32> {
    let n = practice_base::Entity::find()
        .filter(subtree_cond(column, path))
        .filter(practice_base::Column::Kind.eq(kind.code()))
        .filter(practice_base::Column::Year.eq(year))
        .filter(practice_base::Column::State.is_in(states.iter().map(|s| s.code())))
        .filter(practice_base::Column::Id.ne(except))
        .count(db)
        .await?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// Takes a step: county accreditation or recommendation (the county's scope), city
/// accreditation or return (a scope above the county), revocation (the level that
/// accredited). `reason` is the comment a return or revocation needs.
pub async fn act(tx: &Tx, id: i64, action: &str, reason: &str) -> Result<Base> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    let Some(action) = BaseAction::parse_label(action.trim()) else {
        return Err(StoreError::Conflict(format!("请选择办理事项（{}）", BaseAction::allowed_labels())));
    };
    let scope = tx.scope();
    let by_county = match action {
        BaseAction::AccreditCounty | BaseAction::Recommend => true,
        BaseAction::AccreditCity | BaseAction::Return => false,
        BaseAction::Revoke => match before.level() {
            Some(level) => level == "county",
            None => return Err(StoreError::Conflict(format!("“{}”的基地没有授牌，无需撤销", before.state.label()))),
        },
    };
    if by_county && !before.county_acts(scope) {
        return Err(StoreError::Forbidden(format!("{}由{}组织部门办理", action.label(), before.county.name)));
    }
    if !by_county && !before.city_acts(scope) {
        return Err(StoreError::Forbidden(format!(
            "{}由市级组织部门办理，{}组织部门可在推荐名额内推荐",
            action.label(),
            before.county.name
        )));
    }
    if reason.contains('\0') || reason.chars().count() > 2000 {
        return Err(err("reason", "意见不超过2000个字，且不能含有控制字符"));
    }
    let (used, limit) = match action {
        BaseAction::Recommend => {
            let q = quota_of(tx.conn(), before.county.id, &before.county.name, before.year).await?;
            let states = [BaseState::Recommended, BaseState::City];
            let used = count(
                tx.conn(),
                &before.county_path,
                practice_base::Column::CountyPath,
                before.kind,
                before.year,
                &states,
                id,
            )
            .await?;
            (used, q.of(before.kind))
        }
        BaseAction::AccreditCity => {
            // The city's ten are counted over the city the county belongs to.
            let city = ancestor_at(tx.conn(), &before.county_path, DivisionLevel::City).await?;
            let over = city.map_or_else(|| scope.root_path().unwrap_or("/").to_owned(), |c| c.path);
            let used = count(
                tx.conn(),
                &over,
                practice_base::Column::CountyPath,
                before.kind,
                before.year,
                &[BaseState::City],
                id,
            )
            .await?;
            (used, rules::city_cap(before.kind))
        }
        _ => (0, 0),
    };
    let missing = before.missing();
    let to = rules::next_state(before.state, action, before.kind, &missing, used, limit, reason)
        .map_err(StoreError::Conflict)?;
    let today = xuepei_domain::time::today();
    let mut q = practice_base::Entity::update_many()
        .col_expr(practice_base::Column::State, Expr::value(to.code()))
        .col_expr(practice_base::Column::UpdatedAt, Expr::value(now()))
        .filter(practice_base::Column::Id.eq(id))
        // The state read above: a concurrent step loses rather than both passing the quota.
        .filter(practice_base::Column::State.eq(before.state.code()));
    match to {
        BaseState::County => q = q.col_expr(practice_base::Column::CountyOn, Expr::value(Some(today))),
        BaseState::City => q = q.col_expr(practice_base::Column::CityOn, Expr::value(Some(today))),
        _ => {}
    }
    if matches!(action, BaseAction::Return | BaseAction::Revoke) {
        q = q.col_expr(practice_base::Column::Comments, Expr::value(Some(reason.trim().to_owned())));
    }
    if q.exec(tx.conn()).await?.rows_affected != 1 {
        return Err(StoreError::Conflict("该基地刚被其他用户办理，请刷新页面后再试".into()));
    }
    match to {
        BaseState::County => place_venue(tx, &before, &before.county_path).await?,
        BaseState::City => {
            let city = ancestor_at(tx.conn(), &before.county_path, DivisionLevel::City).await?;
            place_venue(tx, &before, city.as_ref().map_or(before.county_path.as_str(), |c| c.path.as_str())).await?
        }
        BaseState::Revoked => {
            if let Some(v) = before.venue_id {
                venue::Entity::update_many()
                    .col_expr(venue::Column::Active, Expr::value(false))
                    .filter(venue::Column::Id.eq(v))
                    .exec(tx.conn())
                    .await?;
            }
        }
        _ => {}
    }
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: match action {
            BaseAction::AccreditCounty => "base.accredit_county",
            BaseAction::Recommend => "base.recommend",
            BaseAction::AccreditCity => "base.accredit_city",
            BaseAction::Return => "base.return",
            BaseAction::Revoke => "base.revoke",
        },
        target_type: "practice_base",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("实践基地“{}”（{}）：{}", after.name, after.county.name, action.label()),
        before: crate::audit::json(&before),
        after: crate::audit::json(&after),
    });
    Ok(after)
}

/// Makes the accredited base a venue (实践基地) of the accrediting body at `owner_path`, so
/// the body's classes and those below it put on-site sessions there: its venue moves up to
/// the city when the city accredits it; a venue of that body with the same name is reused.
async fn place_venue(tx: &Tx, b: &Base, owner_path: &str) -> Result<()> {
    let owner = organization::Entity::find()
        .filter(organization::Column::Id.is_in(path::ids(owner_path)))
        .filter(organization::Column::Path.eq(owner_path))
        .one(tx.conn())
        .await?
        .ok_or(StoreError::NotFound("组织"))?;
    let name: String = b.name.chars().take(100).collect();
    let same = venue::Entity::find()
        .filter(venue::Column::OrgId.eq(owner.id))
        .filter(venue::Column::Name.eq(name.clone()))
        .one(tx.conn())
        .await?;
    let id = match (b.venue_id, same) {
        (_, Some(v)) => v.id,
        (Some(v), None) => v,
        (None, None) => {
            venue::ActiveModel {
                org_id: Set(owner.id),
                org_path: Set(owner.path.clone()),
                name: Set(name),
                kind: Set(crate::classes::venues::VenueKind::Base.code().to_owned()),
                address: Set(Some(b.address.clone()).filter(|a| !a.is_empty())),
                note: Set(Some(format!("示范培训实践基地（{}）", b.org.name))),
                active: Set(true),
                created_at: Set(now()),
                ..Default::default()
            }
            .insert(tx.conn())
            .await?
            .id
        }
    };
    venue::Entity::update_many()
        .col_expr(venue::Column::OrgId, Expr::value(owner.id))
        .col_expr(venue::Column::OrgPath, Expr::value(owner.path.clone()))
        .col_expr(venue::Column::Active, Expr::value(true))
        .filter(venue::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    practice_base::Entity::update_many()
        .col_expr(practice_base::Column::VenueId, Expr::value(Some(id)))
        .filter(practice_base::Column::Id.eq(b.id))
        .exec(tx.conn())
        .await?;
    Ok(())
}

/// Records the yearly review of an accredited base by the level that accredited it.
pub async fn review(tx: &Tx, id: i64, note: &str) -> Result<Base> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    if !before.accredited_by(tx.scope()) {
        return Err(StoreError::Forbidden("年度复核由授牌的组织部门办理，且只适用于已授牌的基地".into()));
    }
    let note = note.trim();
    if note.is_empty() || note.contains('\0') || note.chars().count() > ITEM_MAX {
        return Err(err(
            "note",
            format!("请填写复核情况（不超过{ITEM_MAX}个字），如：五有标准保持良好，本年度开展现场教学6次"),
        ));
    }
    practice_base::Entity::update_many()
        .col_expr(practice_base::Column::ReviewedOn, Expr::value(Some(xuepei_domain::time::today())))
        .col_expr(practice_base::Column::ReviewNote, Expr::value(Some(note.to_owned())))
        .col_expr(practice_base::Column::UpdatedAt, Expr::value(now()))
        .filter(practice_base::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "base.review",
        target_type: "practice_base",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("实践基地“{}”年度复核：{note}", after.name),
        before: crate::audit::json(&before),
        after: crate::audit::json(&after),
    });
    Ok(after)
}

/// Sets a county's quota of a year (a scope strictly above the county).
pub async fn set_quota(tx: &Tx, county_code: &str, year: &str, villages: &str, communities: &str) -> Result<Quota> {
    if county_code.trim().is_empty() {
        return Err(err("county", "请填写县市区代码，如430602"));
    }
    let Some(year) = year_of(year) else {
        return Err(err("year", format!("年度须是2000至{}之间的年份", xuepei_domain::time::today().year() + 1)));
    };
    let county = crate::org::get_by_code(tx.conn(), tx.scope(), county_code.trim())
        .await
        .map_err(|_| err("county", format!("县市区代码“{}”不存在或不在您的管理范围内", county_code.trim())))?;
    if level_of(&county.code) != Some(DivisionLevel::County) {
        return Err(err("county", format!("“{}”不是县市区，推荐名额按县市区设定", county.name)));
    }
    if tx.scope().root_path() == Some(county.path.as_str()) {
        return Err(StoreError::Forbidden("推荐名额由市级组织部门设定".into()));
    }
    let n = |v: &str, field: &'static str, label: &str| {
        v.trim()
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= 50)
            .ok_or_else(|| err(field, format!("{label}名额须是0至50之间的整数")))
    };
    let q = Quota { villages: n(villages, "villages", "村")?, communities: n(communities, "communities", "社区")? };
    // A quota never drops below the recommendations the county has already made that year.
    let recommended = [BaseState::Recommended, BaseState::City];
    let mut errs = Vec::new();
    for (kind, field, asked) in
        [(BaseKind::Village, "villages", q.villages), (BaseKind::Community, "communities", q.communities)]
    {
        let used =
            count(tx.conn(), &county.path, practice_base::Column::CountyPath, kind, year, &recommended, 0).await?;
        if asked < used {
            errs.push(FieldError {
                field,
                message: format!(
                    "{}{year}年度已推荐{}{used}个，名额不能少于已推荐数；如需调减，请先退回多出的推荐",
                    county.name,
                    kind.label()
                ),
            });
        }
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs));
    }
    let before = quota_of(tx.conn(), county.id, &county.name, year).await?;
    let existing = base_quota::Entity::find()
        .filter(base_quota::Column::OrgId.eq(county.id))
        .filter(base_quota::Column::Year.eq(year))
        .one(tx.conn())
        .await?;
    let mut m = match existing {
        Some(e) => base_quota::ActiveModel { id: Set(e.id), ..Default::default() },
        None => base_quota::ActiveModel {
            org_id: Set(county.id),
            org_path: Set(county.path.clone()),
            year: Set(year),
            ..Default::default()
        },
    };
    m.villages = Set(i32::try_from(q.villages).unwrap_or(0));
    m.communities = Set(i32::try_from(q.communities).unwrap_or(0));
    m.updated_at = Set(now());
    m.save(tx.conn()).await?;
    tx.record(Entry {
        action: "base.quota",
        target_type: "base_quota",
        target_id: Some(county.id.to_string()),
        scope_path: county.path.clone(),
        summary: format!("设定{}{year}年度实践基地推荐名额：村{}个、社区{}个", county.name, q.villages, q.communities),
        before: crate::audit::json(&before),
        after: crate::audit::json(&q),
    });
    Ok(q)
}

/// A county's standing in a year: quota and recommendations, county accreditations against
/// the ≥5 + 5, city accreditations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CountyTally {
    pub county: OrgRef,
    pub quota: Quota,
    /// Recommended or accredited by the city: villages, communities.
    pub recommended: (u32, u32),
    /// Accredited by the county itself: villages, communities.
    pub county_accredited: (u32, u32),
    pub city_accredited: (u32, u32),
}

impl CountyTally {
    /// Whether the county has accredited its ≥5 villages and ≥5 communities.
    pub fn county_met(&self) -> bool {
        self.county_accredited.0 >= rules::COUNTY_MIN && self.county_accredited.1 >= rules::COUNTY_MIN
    }
}

/// The counties of the scope with their year's figures (one grouped read), counties with no
/// base included.
pub async fn tallies(db: &impl ConnectionTrait, scope: &Scope, year: i32) -> Result<Vec<CountyTally>> {
    let counties: Vec<organization::Model> = organization::Entity::find()
        .filter(scope.cond(organization::Column::Path))
        .filter(organization::Column::Active.eq(true))
        .filter(organization::Column::Code.like("______"))
        .order_by_asc(organization::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .filter(|o| level_of(&o.code) == Some(DivisionLevel::County))
        .collect();
    let rows: Vec<(i64, String, String, Option<NaiveDate>)> = practice_base::Entity::find()
        .select_only()
        .column(practice_base::Column::CountyOrgId)
        .column(practice_base::Column::Kind)
        .column(practice_base::Column::State)
        .column(practice_base::Column::CountyOn)
        .filter(scope.cond(practice_base::Column::OrgPath))
        .filter(practice_base::Column::Year.eq(year))
        .into_tuple()
        .all(db)
        .await?;
    let quotas: BTreeMap<i64, (i32, i32)> = base_quota::Entity::find()
        .filter(scope.cond(base_quota::Column::OrgPath))
        .filter(base_quota::Column::Year.eq(year))
        .all(db)
        .await?
        .into_iter()
        .map(|q| (q.org_id, (q.villages, q.communities)))
        .collect();
    Ok(counties
        .into_iter()
        .map(|c| {
            let quota = quotas.get(&c.id).map_or_else(
                || rules::default_quota(&c.name),
                |(v, m)| Quota {
                    villages: u32::try_from(*v).unwrap_or(0),
                    communities: u32::try_from(*m).unwrap_or(0),
                },
            );
            let pair = |counted: &dyn Fn(BaseState, bool) -> bool| {
                let n = |k: BaseKind| {
                    rows.iter()
                        .filter(|r| r.0 == c.id && r.1 == k.code())
                        .filter(|r| BaseState::from_code(&r.2).is_some_and(|s| counted(s, r.3.is_some())))
                        .count() as u32
                };
                (n(BaseKind::Village), n(BaseKind::Community))
            };
            CountyTally {
                quota,
                recommended: pair(&|s, _| matches!(s, BaseState::Recommended | BaseState::City)),
                // A county's own accreditation stands while the base is recommended or
                // accredited by the city, until revoked.
                county_accredited: pair(&|s, county| county && s != BaseState::Revoked),
                city_accredited: pair(&|s, _| s == BaseState::City),
                county: OrgRef { id: c.id, code: c.code, name: c.short_name.unwrap_or(c.name) },
            }
        })
        .collect())
}
