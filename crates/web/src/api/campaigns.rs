//! Campaigns in the API: issue one (`POST`), list those visible to the token's scope,
//! read one. Codes are English; dates `YYYY-MM-DD`; every problem of a body is reported
//! at once (422) and nothing is written.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::rules::{BatchLengthRule, CampaignRules, QuotaRule, TargetFilter};
use xuepei_domain::training::{ClassLevel, Fraction, Percent};
use xuepei_domain::validate::FieldError;
use xuepei_store::campaigns::{self as store, Campaign, CampaignInput};
use xuepei_store::org::{self, At};
use xuepei_store::{StoreError, Tx};

use super::{ApiResult, ListJson, Q, bad, path_id};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::pages::campaigns::{checked, parse_codes, parse_date};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct TargetBody {
    #[serde(default)]
    orgs: Vec<String>,
    #[serde(default)]
    sectors: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    rank_levels: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QuotaBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    level: String,
    min_percent: Option<f64>,
    group: Option<TargetBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CampaignBody {
    #[serde(default)]
    title: String,
    #[serde(default)]
    doc_number: Option<String>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    #[serde(default)]
    plan_deadline: Option<String>,
    #[serde(default)]
    target: Option<TargetBody>,
    #[serde(default)]
    quotas: Option<Vec<QuotaBody>>,
    #[serde(default)]
    max_leave_fraction: Option<String>,
    #[serde(default)]
    batch_lengths: Option<Vec<BatchLengthBody>>,
    #[serde(default)]
    modes: Option<Vec<String>>,
    #[serde(default)]
    topics: Option<Vec<String>>,
    #[serde(default)]
    materials: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchLengthBody {
    #[serde(default)]
    name: String,
    #[serde(default)]
    group: Option<TargetBody>,
    min_days: u32,
    max_days: u32,
}

const FIELDS: &str = "title、doc_number、kind、issuer、start、end、plan_deadline、target、quotas、max_leave_fraction、batch_lengths、modes、topics、materials";

/// `{"id", …}`: the campaign with English codes.
#[derive(Serialize)]
pub struct CampaignJson {
    id: i64,
    title: String,
    doc_number: Option<String>,
    kind: &'static str,
    issuer: String,
    issuer_name: String,
    start: String,
    end: String,
    plan_deadline: Option<String>,
    target: TargetFilter,
    quotas: Vec<QuotaRule>,
    batch_lengths: Vec<BatchLengthRule>,
    max_leave_fraction: Fraction,
    modes: Vec<&'static str>,
    topics: Vec<String>,
    materials: Vec<String>,
    created_at: String,
    updated_at: String,
}

impl From<Campaign> for CampaignJson {
    fn from(c: Campaign) -> Self {
        CampaignJson {
            id: c.id,
            title: c.title,
            doc_number: c.doc_number,
            kind: c.kind.code(),
            issuer: c.issuer_code,
            issuer_name: c.issuer_name,
            start: c.start_on.to_string(),
            end: c.end_on.to_string(),
            plan_deadline: c.plan_deadline.map(|d| d.to_string()),
            target: c.target,
            quotas: c.rules.quotas,
            batch_lengths: c.rules.batch_lengths,
            max_leave_fraction: c.rules.max_leave_fraction,
            modes: c.rules.modes.iter().map(|m| m.code()).collect(),
            topics: c.rules.topics,
            materials: c.rules.materials,
            created_at: c.created_at.to_rfc3339(),
            updated_at: c.updated_at.to_rfc3339(),
        }
    }
}

fn target_of(field: &'static str, t: TargetBody, errs: &mut Vec<FieldError>) -> TargetFilter {
    TargetFilter {
        orgs: t.orgs.into_iter().map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect(),
        sectors: parse_codes(field, "领域代码", &t.sectors, errs),
        roles: parse_codes(field, "班子职务代码", &t.roles, errs),
        rank_levels: parse_codes(field, "职级代码", &t.rank_levels, errs),
    }
}

/// The body as a store input, with what the body itself got wrong.
fn input_of(b: CampaignBody, issuer: String) -> (CampaignInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let start = parse_date("start", "开始日期", &b.start, &mut errs);
    let end = parse_date("end", "结束日期", &b.end, &mut errs);
    let plan_deadline =
        parse_date("plan_deadline", "实施方案报备截止日期", b.plan_deadline.as_deref().unwrap_or(""), &mut errs);
    let target = target_of("target", b.target.unwrap_or_default(), &mut errs);
    let mut rules = CampaignRules::default();
    if let Some(quotas) = b.quotas {
        rules.quotas = quotas
            .into_iter()
            .enumerate()
            .filter_map(|(i, q)| {
                let n = i + 1;
                let level = ClassLevel::from_code(q.level.trim());
                if level.is_none() {
                    let codes: Vec<&str> = ClassLevel::ALL.iter().map(|l| l.code()).collect();
                    errs.push(FieldError {
                        field: "quotas",
                        message: format!("quotas 第{n}项的层级“{}”无效，可选：{}", q.level.trim(), codes.join("、")),
                    });
                }
                let percent = match q.min_percent.map(Percent::from_f64) {
                    Some(Ok(p)) => Some(p),
                    Some(Err(m)) => {
                        errs.push(FieldError { field: "quotas", message: format!("quotas 第{n}项：{m}") });
                        None
                    }
                    None => {
                        errs.push(FieldError {
                            field: "quotas",
                            message: format!("quotas 第{n}项缺少 min_percent（0至100）"),
                        });
                        None
                    }
                };
                let group = q.group.map(|g| target_of("quotas", g, &mut errs));
                Some(QuotaRule { name: q.name.trim().to_owned(), level: level?, min_percent: percent?, group })
            })
            .collect();
    }
    if let Some(rows) = b.batch_lengths {
        rules.batch_lengths = rows
            .into_iter()
            .map(|r| {
                let group = r.group.map(|g| target_of("batch_lengths", g, &mut errs)).unwrap_or_default();
                let name = if r.name.trim().is_empty() { group.words() } else { r.name.trim().to_owned() };
                BatchLengthRule { name, group, min_days: r.min_days, max_days: r.max_days }
            })
            .collect();
    }
    if let Some(modes) = b.modes {
        rules.modes = parse_codes("modes", "教学方式代码", &modes, &mut errs);
    }
    if let Some(t) = b.topics {
        rules.topics = t.into_iter().map(|x| x.trim().to_owned()).collect();
    }
    if let Some(m) = b.materials {
        rules.materials = m.into_iter().map(|x| x.trim().to_owned()).collect();
    }
    if let Some(f) = b.max_leave_fraction {
        match Fraction::parse(&f) {
            Ok(f) => rules.max_leave_fraction = f,
            Err(m) => errs.push(FieldError { field: "max_leave_fraction", message: m }),
        }
    }
    let input = CampaignInput {
        issuer,
        doc_number: b.doc_number.unwrap_or_default(),
        title: b.title,
        kind: b.kind,
        start,
        end,
        plan_deadline,
        target,
        rules,
    };
    (input, errs)
}

pub(super) async fn create(State(st): State<AppState>, api: ApiCtx, body: Bytes) -> ApiResult<Response> {
    let b: CampaignBody = serde_json::from_slice(&body).map_err(|e| {
        bad(format!(
            "JSON 格式或字段有误（第{}行第{}列）：请检查括号、引号、字段名和取值类型。可用字段：{FIELDS}",
            e.line(),
            e.column()
        ))
    })?;
    let issuer = match b.issuer.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => code.to_owned(),
        None => match api.scope.root_org_id() {
            Some(id) => org::get(&st.db, &api.scope, id).await?.code,
            None => String::new(),
        },
    };
    let (input, errs) = input_of(b, issuer);
    let tx = Tx::begin(&st.db, &api.scope, &api.actor).await?;
    match checked(&tx, &input, errs, async |tx| store::create(tx, &input).await).await {
        Ok(c) => {
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(CampaignJson::from(c))).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

pub(super) async fn list(
    State(st): State<AppState>,
    api: ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ListJson<CampaignJson>>> {
    let q = Q(q);
    let limit = q.int("limit", 1..=500)?.unwrap_or(100) as u64;
    let after = q.text("after");
    if after.is_some_and(|a| a.parse::<i64>().is_err()) {
        return Err(bad("参数 after 应为上一页返回的 next"));
    }
    let page = store::list(&st.db, &api.scope, At::after(after), limit).await?;
    Ok(Json(ListJson { items: page.items.into_iter().map(CampaignJson::from).collect(), next: page.next }))
}

pub(super) async fn get(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
) -> ApiResult<Json<CampaignJson>> {
    let c = store::get(&st.db, &api.scope, path_id(&id)?).await.map_err(|e| match e {
        StoreError::NotFound(_) => StoreError::NotFound("轮训工作"),
        other => other,
    })?;
    Ok(Json(c.into()))
}
