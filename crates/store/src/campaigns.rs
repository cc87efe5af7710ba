//! Rotational-training campaigns (轮训工作): issued by an organisation, with its rules as
//! data and the organisations whose subtrees it targets.
//!
//! A campaign crosses scopes, so it is read through named functions that apply their own
//! rule (see `visible_cond`), never through a wider scope: the issuer's scope sees it, so
//! does every scope that holds one of its target organisations or lies inside one of
//! their subtrees (a county sees the city's campaign that targets the whole city). Only
//! the issuer's scope changes or copies it.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    Set,
};
use serde::Serialize;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::CampaignKind;
use xuepei_domain::training::rules::{CampaignRules, TargetFilter};
use xuepei_domain::validate::FieldError;

use crate::audit::{Entry, Tx, json};
use crate::entity::{campaign, campaign_target, organization};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::page::{At, Page, newest_page, newest_rows};
use crate::scope::Scope;

/// Unique keys of campaigns (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[crate::error::UniqueKey {
    index: "ux_campaign_targets",
    columns: "campaign_targets.campaign_id",
    message: "目标组织重复（可能刚被其他用户同时修改），未保存。请刷新页面核对后再提交",
}];

pub const TITLE_MAX: usize = 200;
pub const DOC_NUMBER_MAX: usize = 60;

/// A campaign as submitted: organisations are named by code and resolved here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignInput {
    /// Code of the issuing organisation, inside the writer's scope.
    pub issuer: String,
    pub doc_number: String,
    pub title: String,
    /// A kind code (`rotation`, `winter`, `thematic`) or its Chinese label.
    pub kind: String,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub plan_deadline: Option<NaiveDate>,
    /// `orgs` are codes inside the issuer's subtree; empty means the issuer itself.
    pub target: TargetFilter,
    pub rules: CampaignRules,
}

/// An organisation a campaign targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetOrg {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub id: i64,
    pub issuer_org_id: i64,
    pub issuer_code: String,
    pub issuer_name: String,
    /// The issuer's path: who may change the campaign.
    pub issuer_path: String,
    pub doc_number: Option<String>,
    pub title: String,
    pub kind: CampaignKind,
    pub start_on: NaiveDate,
    pub end_on: NaiveDate,
    pub plan_deadline: Option<NaiveDate>,
    /// Sectors, roles and rank levels; `orgs` holds the target organisations' codes.
    pub target: TargetFilter,
    pub target_orgs: Vec<TargetOrg>,
    pub rules: CampaignRules,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Campaign {
    /// Whether `scope` may change or copy it: the issuer's scope only.
    pub fn editable_by(&self, scope: &Scope) -> bool {
        scope.contains_path(&self.issuer_path)
    }
}

/// What a validated input resolves to.
struct Resolved {
    issuer: organization::Model,
    kind: CampaignKind,
    doc_number: Option<String>,
    title: String,
    start: NaiveDate,
    end: NaiveDate,
    targets: Vec<organization::Model>,
}

fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// Checks every field and resolves the organisations; every problem at once.
async fn resolve(db: &impl ConnectionTrait, scope: &Scope, input: &CampaignInput) -> Result<Resolved> {
    use xuepei_domain::org::check_text;
    let mut errs = Vec::new();
    let title = match check_text(&input.title, TITLE_MAX, true) {
        Ok(t) => t.unwrap_or_default(),
        Err(m) => {
            errs.push(err("title", format!("标题{m}")));
            String::new()
        }
    };
    let doc_number = check_text(&input.doc_number, DOC_NUMBER_MAX, false).unwrap_or_else(|m| {
        errs.push(err("doc_number", format!("文号{m}")));
        None
    });
    let kind = CampaignKind::parse_label(&input.kind);
    if kind.is_none() {
        let codes: Vec<String> = CampaignKind::ALL.iter().map(|k| format!("{}（{}）", k.code(), k.label())).collect();
        let msg = if input.kind.trim().is_empty() {
            format!("请选择培训类别，可选：{}", codes.join("、"))
        } else {
            format!("培训类别“{}”无效，可选：{}", input.kind.trim(), codes.join("、"))
        };
        errs.push(err("kind", msg));
    }
    if input.start.is_none() {
        errs.push(err("start", "请填写开始日期（YYYY-MM-DD）"));
    }
    if input.end.is_none() {
        errs.push(err("end", "请填写结束日期（YYYY-MM-DD）"));
    }
    for (field, label, d) in [("start", "开始日期", input.start), ("end", "结束日期", input.end)] {
        if let Some(m) = d.and_then(|d| xuepei_domain::dates::implausible(d, label)) {
            errs.push(err(field, m));
        }
    }
    if let (Some(s), Some(e)) = (input.start, input.end)
        && e < s
    {
        errs.push(err("end", format!("结束日期{e}早于开始日期{s}，请改正起止日期")));
    }
    if let (Some(d), Some(e)) = (input.plan_deadline, input.end)
        && d > e
    {
        errs.push(err("plan_deadline", format!("实施方案报备截止日期{d}晚于结束日期{e}，请改正")));
    }
    for m in input.rules.validate() {
        errs.push(err("rules", m));
    }
    let issuer = match input.issuer.trim() {
        "" => {
            errs.push(err("issuer", "请填写发文单位（组织代码）"));
            None
        }
        code => {
            let found = organization::Entity::find()
                .filter(organization::Column::Code.eq(code))
                .filter(scope.cond(organization::Column::Path))
                .one(db)
                .await?;
            if found.is_none() {
                errs.push(err("issuer", format!("发文单位“{code}”不在您的管理范围内，请填写本单位或下级组织的代码")));
            }
            found
        }
    };
    let mut targets = Vec::new();
    if let Some(issuer) = &issuer {
        let mut seen = BTreeSet::new();
        for code in input.target.orgs.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
            if !seen.insert(code.to_owned()) {
                continue;
            }
            // Unknown and outside the issuer's subtree answer alike: existence does not leak.
            let found = organization::Entity::find()
                .filter(organization::Column::Code.eq(code))
                .filter(crate::scope::subtree_cond(organization::Column::Path, &issuer.path))
                .one(db)
                .await?;
            match found {
                Some(o) => targets.push(o),
                None => errs.push(err(
                    "target",
                    format!(
                        "目标组织“{code}”不是发文单位“{}”或其下级组织，请核对组织代码",
                        issuer.short_name.as_deref().unwrap_or(&issuer.name)
                    ),
                )),
            }
        }
        if targets.is_empty() && errs.iter().all(|e| e.field != "target") {
            targets.push(issuer.clone());
        }
    }
    match (issuer, kind, input.start, input.end, errs.is_empty()) {
        (Some(issuer), Some(kind), Some(start), Some(end), true) => {
            Ok(Resolved { issuer, kind, doc_number, title, start, end, targets })
        }
        _ => Err(StoreError::Invalid(errs)),
    }
}

/// Validates an input without writing (a form whose other fields were already refused).
pub async fn check(db: &impl ConnectionTrait, scope: &Scope, input: &CampaignInput) -> Result<()> {
    resolve(db, scope, input).await.map(|_| ())
}

/// The sectors, roles and rank levels, stored as JSON (organisations live in their table).
fn target_json(t: &TargetFilter) -> String {
    let t = TargetFilter { orgs: Vec::new(), ..t.clone() };
    serde_json::to_string(&t).unwrap_or_else(|_| "{}".to_owned())
}

async fn write_targets(db: &impl ConnectionTrait, id: i64, targets: &[organization::Model]) -> Result<()> {
    campaign_target::Entity::delete_many().filter(campaign_target::Column::CampaignId.eq(id)).exec(db).await?;
    for o in targets {
        campaign_target::ActiveModel {
            campaign_id: Set(id),
            org_id: Set(o.id),
            org_path: Set(o.path.clone()),
            ..Default::default()
        }
        .insert(db)
        .await?;
    }
    Ok(())
}

async fn insert(tx: &Tx, r: &Resolved, input: &CampaignInput) -> Result<i64> {
    let t = now();
    let m = campaign::ActiveModel {
        issuer_org_id: Set(r.issuer.id),
        org_path: Set(r.issuer.path.clone()),
        doc_number: Set(r.doc_number.clone()),
        title: Set(r.title.clone()),
        kind: Set(r.kind.code().to_owned()),
        start_on: Set(r.start),
        end_on: Set(r.end),
        plan_deadline: Set(input.plan_deadline),
        target: Set(target_json(&input.target)),
        rules: Set(serde_json::to_string(&input.rules).unwrap_or_default()),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    write_targets(tx.conn(), m.id, &r.targets).await?;
    Ok(m.id)
}

/// Creates a campaign issued by an organisation of the writer's scope.
pub async fn create(tx: &Tx, input: &CampaignInput) -> Result<Campaign> {
    let r = resolve(tx.conn(), tx.scope(), input).await?;
    let id = insert(tx, &r, input).await?;
    let c = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "campaign.create",
        target_type: "campaign",
        target_id: Some(id.to_string()),
        scope_path: c.issuer_path.clone(),
        summary: format!("发布轮训工作“{}”（{}）", c.title, c.issuer_name),
        before: None,
        after: json(&c),
    });
    Ok(c)
}

/// A campaign the writer's scope issued; one it only sees is refused, one it cannot see
/// is not found.
async fn get_for_write(tx: &Tx, id: i64) -> Result<Campaign> {
    let c = get(tx.conn(), tx.scope(), id).await?;
    if !c.editable_by(tx.scope()) {
        return Err(StoreError::Forbidden(format!("本轮训工作由{}发布，只有发文单位可以修改或复制", c.issuer_name)));
    }
    Ok(c)
}

/// Changes a campaign (the issuer may also hand it to another organisation of its scope).
pub async fn update(tx: &Tx, id: i64, input: &CampaignInput) -> Result<Campaign> {
    let before = get_for_write(tx, id).await?;
    let r = resolve(tx.conn(), tx.scope(), input).await?;
    campaign::Entity::update_many()
        .col_expr(campaign::Column::IssuerOrgId, Expr::value(r.issuer.id))
        .col_expr(campaign::Column::OrgPath, Expr::value(r.issuer.path.clone()))
        .col_expr(campaign::Column::DocNumber, Expr::value(r.doc_number.clone()))
        .col_expr(campaign::Column::Title, Expr::value(r.title.clone()))
        .col_expr(campaign::Column::Kind, Expr::value(r.kind.code()))
        .col_expr(campaign::Column::StartOn, Expr::value(r.start))
        .col_expr(campaign::Column::EndOn, Expr::value(r.end))
        .col_expr(campaign::Column::PlanDeadline, Expr::value(input.plan_deadline))
        .col_expr(campaign::Column::Target, Expr::value(target_json(&input.target)))
        .col_expr(campaign::Column::Rules, Expr::value(serde_json::to_string(&input.rules).unwrap_or_default()))
        .col_expr(campaign::Column::UpdatedAt, Expr::value(now()))
        .filter(campaign::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    write_targets(tx.conn(), id, &r.targets).await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "campaign.update",
        target_type: "campaign",
        target_id: Some(id.to_string()),
        scope_path: after.issuer_path.clone(),
        summary: format!("修改轮训工作“{}”（{}）", after.title, after.issuer_name),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// The input that reproduces a campaign (to edit it, or to copy it into a new one).
pub fn input_of(c: &Campaign) -> CampaignInput {
    CampaignInput {
        issuer: c.issuer_code.clone(),
        doc_number: c.doc_number.clone().unwrap_or_default(),
        title: c.title.clone(),
        kind: c.kind.code().to_owned(),
        start: Some(c.start_on),
        end: Some(c.end_on),
        plan_deadline: c.plan_deadline,
        target: c.target.clone(),
        rules: c.rules.clone(),
    }
}

/// Copies a campaign into a new one of the same issuer, titled as a copy: rules, target
/// and dates are kept for the issuing body to adjust.
pub async fn copy(tx: &Tx, id: i64) -> Result<Campaign> {
    let source = get_for_write(tx, id).await?;
    let mut input = input_of(&source);
    let suffix = "（副本）";
    let room = TITLE_MAX - suffix.chars().count();
    input.title = format!("{}{suffix}", source.title.chars().take(room).collect::<String>());
    let r = resolve(tx.conn(), tx.scope(), &input).await?;
    let new_id = insert(tx, &r, &input).await?;
    let c = get(tx.conn(), tx.scope(), new_id).await?;
    tx.record(Entry {
        action: "campaign.copy",
        target_type: "campaign",
        target_id: Some(new_id.to_string()),
        scope_path: c.issuer_path.clone(),
        summary: format!("复制轮训工作“{}”为新的轮训工作", source.title),
        before: None,
        after: json(&c),
    });
    Ok(c)
}

/// Deletes a campaign that nothing has been built on yet (a copy made by mistake, say):
/// refused, naming what is in the way, once it has classes or batch plans.
pub async fn delete(tx: &Tx, id: i64) -> Result<()> {
    let c = get_for_write(tx, id).await?;
    let db = tx.conn();
    let classes =
        crate::entity::class::Entity::find().filter(crate::entity::class::Column::CampaignId.eq(id)).count(db).await?;
    let plans =
        crate::entity::plan::Entity::find().filter(crate::entity::plan::Column::CampaignId.eq(id)).count(db).await?;
    if classes > 0 || plans > 0 {
        return Err(StoreError::Conflict(format!(
            "本轮训工作已有{classes}个班次、{plans}个分期方案，不能删除；如不再使用，请先删除这些班次和方案"
        )));
    }
    crate::coverage::forget_campaign(db, id).await?;
    campaign_target::Entity::delete_many().filter(campaign_target::Column::CampaignId.eq(id)).exec(db).await?;
    campaign::Entity::delete_by_id(id).exec(db).await?;
    tx.record(Entry {
        action: "campaign.delete",
        target_type: "campaign",
        target_id: Some(id.to_string()),
        scope_path: c.issuer_path.clone(),
        summary: format!("删除轮训工作“{}”", c.title),
        before: json(&c),
        after: None,
    });
    Ok(())
}

/// Visibility: the issuer lies in the scope, or a target organisation lies in the scope,
/// or the scope's root lies inside a target organisation's subtree (the target's path is
/// a prefix of the root's: one `IN` over the root's ancestors).
pub(crate) fn visible_cond(scope: &Scope) -> Condition {
    let Some(root) = scope.root_path() else {
        return Condition::all();
    };
    let ancestors: Vec<String> = {
        let ids = xuepei_domain::org::path::ids(root);
        (1..=ids.len()).map(|n| ids[..n].iter().fold("/".to_owned(), |p, id| format!("{p}{id}/"))).collect()
    };
    let mut sub = Query::select();
    sub.column(campaign_target::Column::CampaignId).from(campaign_target::Entity).cond_where(
        Condition::any()
            .add(scope.cond(campaign_target::Column::OrgPath))
            .add(campaign_target::Column::OrgPath.is_in(ancestors)),
    );
    Condition::any().add(scope.cond(campaign::Column::OrgPath)).add(campaign::Column::Id.in_subquery(sub.to_owned()))
}

/// Builds campaigns from rows: issuer and target organisations read in one query each.
/// Organisations are read whatever the scope: a visible campaign shows who issued it and
/// which organisations it targets.
async fn assemble(db: &impl ConnectionTrait, rows: Vec<campaign::Model>) -> Result<Vec<Campaign>> {
    let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
    let targets = if ids.is_empty() {
        Vec::new()
    } else {
        campaign_target::Entity::find()
            .filter(campaign_target::Column::CampaignId.is_in(ids))
            .order_by_asc(campaign_target::Column::Id)
            .all(db)
            .await?
    };
    let org_ids: BTreeSet<i64> = rows.iter().map(|m| m.issuer_org_id).chain(targets.iter().map(|t| t.org_id)).collect();
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
    let name = |o: &organization::Model| o.short_name.clone().unwrap_or_else(|| o.name.clone());
    let mut by_campaign: HashMap<i64, Vec<TargetOrg>> = HashMap::new();
    for t in &targets {
        if let Some(o) = orgs.get(&t.org_id) {
            by_campaign.entry(t.campaign_id).or_default().push(TargetOrg {
                id: o.id,
                code: o.code.clone(),
                name: o.name.clone(),
            });
        }
    }
    Ok(rows
        .into_iter()
        .map(|m| {
            let issuer = orgs.get(&m.issuer_org_id);
            let target_orgs = by_campaign.remove(&m.id).unwrap_or_default();
            let mut target: TargetFilter = serde_json::from_str(&m.target).unwrap_or_default();
            target.orgs = target_orgs.iter().map(|o| o.code.clone()).collect();
            Campaign {
                id: m.id,
                issuer_org_id: m.issuer_org_id,
                issuer_code: issuer.map(|o| o.code.clone()).unwrap_or_default(),
                issuer_name: issuer.map(name).unwrap_or_default(),
                issuer_path: m.org_path,
                doc_number: m.doc_number,
                title: m.title,
                kind: CampaignKind::from_code(&m.kind).unwrap_or(CampaignKind::Rotation),
                start_on: m.start_on,
                end_on: m.end_on,
                plan_deadline: m.plan_deadline,
                target,
                target_orgs,
                rules: serde_json::from_str(&m.rules).unwrap_or_default(),
                created_at: m.created_at,
                updated_at: m.updated_at,
            }
        })
        .collect())
}

/// One campaign visible to the scope.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Campaign> {
    let m = campaign::Entity::find_by_id(id)
        .filter(visible_cond(scope))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("轮训工作"))?;
    assemble(db, vec![m]).await?.pop().ok_or(StoreError::NotFound("轮训工作"))
}

/// A page of the campaigns visible to the scope, newest first; cursors are ids.
pub async fn list(db: &impl ConnectionTrait, scope: &Scope, at: At<'_>, limit: u64) -> Result<Page<Campaign>> {
    let (rows, limit) =
        newest_rows::<campaign::Entity>(db, visible_cond(scope), campaign::Column::Id, at, limit).await?;
    let ids = rows.iter().map(|m| m.id).collect();
    let built = assemble(db, rows).await?.into_iter().map(|c| (c.id, c)).collect();
    Ok(newest_page(ids, limit, at, built))
}
