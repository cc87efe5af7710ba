//! Coverage of a campaign and a person's credit hours in the API. Numbers and names are
//! the token scope's only: coverage counts the scope's (or one of its organisations')
//! subtree, and the missing names are its people; a training file is read only for a
//! person the scope sees. The import of credit records is the `credits` kind's address.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::Serialize;
use serde_json::{Value, json};
use xuepei_domain::labels::Labeled;
use xuepei_store::coverage::{self, percent_number};
use xuepei_store::credits;
use xuepei_store::org::{self, At};
use xuepei_store::targets::{self, ProgressFilter, TargetQuery};

use super::{ApiError, ApiResult, Q, path_id};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::AppError;

#[derive(Serialize)]
struct MissingJson {
    id_number: String,
    name: String,
    org: String,
    org_name: String,
}

#[derive(Serialize)]
struct QuotaJson {
    name: String,
    level: &'static str,
    required_percent: f64,
    actual_percent: Option<f64>,
    met: Option<bool>,
    group: i64,
    reached: i64,
}

/// `GET /api/v1/campaigns/{id}/coverage?org=ORG_CODE&after=CURSOR&limit=N`.
pub async fn get(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let q = Q(q);
    let id = path_id(&id)?;
    let org_id = match q.text("org") {
        Some(code) => Some(
            org::get_by_code(&st.db, &api.scope, code)
                .await
                .map_err(|_| {
                    ApiError(AppError::NotFound(format!("参数 org：组织代码“{code}”不存在或不在令牌的范围内，请核对")))
                })?
                .id,
        ),
        None => None,
    };
    let limit = q.int("limit", 1..=500)?.unwrap_or(100) as u64;
    let c = coverage::summary(&st.db, &api.scope, id, org_id).await?;
    let under = c.org.as_ref().map(|o| o.id);
    let tq = TargetQuery { campaign_id: id, under, progress: Some(ProgressFilter::NotPlanned), ..Default::default() };
    let missing = targets::list(&st.db, &api.scope, &tq, At::after(q.text("after")), limit).await?;
    let f = c.figures;
    Ok(Json(json!({
        "campaign_id": id,
        "org": c.org.as_ref().map(|o| o.code.clone()),
        "org_name": c.org.as_ref().map(|o| o.name.clone()),
        "target": f.target,
        "planned": f.planned,
        "enrolled": f.enrolled,
        "trained": f.trained,
        "not_planned": f.not_planned(),
        "missing": missing.items.into_iter().map(|r| MissingJson {
            id_number: r.person.id_number,
            name: r.person.name,
            org: r.org_code,
            org_name: r.org_name,
        }).collect::<Vec<_>>(),
        "missing_next": missing.next,
        "quotas": c.quotas.into_iter().map(|l| QuotaJson {
            name: l.name,
            level: l.level.code(),
            required_percent: percent_number(l.result.required_percent),
            actual_percent: l.result.actual_percent.map(percent_number),
            met: l.result.met,
            group: l.group,
            reached: l.reached,
        }).collect::<Vec<_>>(),
        "children": c.children.into_iter().map(|k| json!({
            "org": k.org.code,
            "org_name": k.org.name,
            "target": k.figures.target,
            "planned": k.figures.planned,
            "enrolled": k.figures.enrolled,
            "trained": k.figures.trained,
        })).collect::<Vec<_>>(),
        "refreshed_at": c.refreshed_at.to_rfc3339(),
    })))
}

/// A person named by id or by identity number, in the token's scope.
async fn person_ref(st: &AppState, api: &ApiCtx, s: &str) -> ApiResult<i64> {
    let s = s.trim();
    if s.len() >= 15 {
        return credits::person_id_by_number(&st.db, &api.scope, None, s)
            .await
            .map_err(|_| ApiError(AppError::NotFound("人员不存在或不在令牌的范围内".into())));
    }
    path_id(s)
}

/// `GET /api/v1/people/{id}/credits`: `{id}` is the person's id (as `/api/v1/people/{id}`)
/// or identity number.
pub async fn credits(State(st): State<AppState>, api: ApiCtx, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    let pid = person_ref(&st, &api, &id).await?;
    let f = credits::for_person(&st.db, &api.scope, None, pid).await?;
    let s = f.status;
    Ok(Json(json!({
        "person": { "id": f.person.id, "id_number": f.person.id_number, "name": f.person.name },
        "records": f.records.iter().map(|r| json!({
            "date": r.date.to_string(),
            "hours": r.hours,
            "source": r.source.code(),
            "class_id": r.class_id,
            "title": r.title,
            "provider": r.provider,
            "external_ref": r.external_ref,
            "status": r.status.code(),
        })).collect::<Vec<_>>(),
        "year_hours": s.year_hours,
        "five_year_hours": s.five_year_hours,
        "required_hours": s.required_hours,
        "period": { "start": s.period.start.to_string(), "end": s.period.end.to_string(), "years": s.period.years, "label": s.period.label() },
        "period_hours": s.period_hours,
        "shortfall": s.shortfall,
        "behind": s.behind,
    })))
}

/// Describes these routes in the OpenAPI document.
pub(super) fn document(doc: &mut Value) {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    doc["paths"]["/api/v1/campaigns/{id}/coverage"] = json!({ "get": {
        "summary": "轮训工作的覆盖情况和比例要求（仅令牌范围内的数字和名单）",
        "description": "org 为组织代码（须在令牌范围内），默认为令牌范围的根组织；统计该组织及其下级。planned 为已安排进某期（含候补），enrolled 为已报名或已结业，trained 为已结业。missing 为尚未安排的参训对象，分页：missing_next 作为 after 取下一页。比例要求按该层级及以上班次的参训人数（已报名或已结业）计算，无对象时 actual_percent 与 met 为 null。",
        "parameters": [
            { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } },
            { "name": "org", "in": "query", "schema": { "type": "string" }, "description": "组织代码" },
            { "name": "after", "in": "query", "schema": { "type": "string" }, "description": "上一页返回的 missing_next" },
            { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 } }
        ],
        "responses": {
            "200": { "description": "成功", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Coverage" } } } },
            "400": err("参数有误"),
            "401": err("缺少或无效的接口令牌"),
            "404": err("不存在或不在令牌的范围内")
        }
    } });
    doc["paths"]["/api/v1/people/{id}/credits"] = json!({ "get": {
        "summary": "一名人员的培训档案和学时",
        "description": "{id} 为人员编号或身份证号。records 含全部来源（class 本系统培训班、import 其他平台导入、claim 个人申报）及状态（approved 已认定、pending 待审核、rejected 未通过），只有已认定的计入学时。县处级及以上按5年550学时、其他按每年90学时要求。",
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
        "responses": {
            "200": { "description": "成功", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Credits" } } } },
            "401": err("缺少或无效的接口令牌"),
            "404": err("不存在或不在令牌的范围内")
        }
    } });
    let count = json!({ "type": "integer" });
    doc["components"]["schemas"]["Coverage"] = json!({ "type": "object",
        "required": ["target", "planned", "enrolled", "trained", "missing", "quotas"],
        "properties": {
            "campaign_id": count, "org": { "type": ["string", "null"] }, "org_name": { "type": ["string", "null"] },
            "target": count, "planned": count, "enrolled": count, "trained": count, "not_planned": count,
            "missing": { "type": "array", "items": { "type": "object", "required": ["id_number", "name", "org"], "properties": {
                "id_number": { "type": "string" }, "name": { "type": "string" }, "org": { "type": "string", "description": "组织代码" }, "org_name": { "type": "string" } } } },
            "missing_next": { "type": ["string", "null"] },
            "quotas": { "type": "array", "items": { "type": "object", "required": ["name", "required_percent", "actual_percent", "met"], "properties": {
                "name": { "type": "string" }, "level": { "type": "string" }, "required_percent": { "type": "number" },
                "actual_percent": { "type": ["number", "null"] }, "met": { "type": ["boolean", "null"] }, "group": count, "reached": count } } },
            "children": { "type": "array", "items": { "type": "object" } },
            "refreshed_at": { "type": "string", "format": "date-time" }
        } });
    doc["components"]["schemas"]["Credits"] = json!({ "type": "object",
        "required": ["records", "year_hours", "five_year_hours", "required_hours", "period"],
        "properties": {
            "person": { "type": "object" },
            "records": { "type": "array", "items": { "type": "object", "required": ["date", "hours", "source", "class_id", "title"], "properties": {
                "date": { "type": "string", "format": "date" }, "hours": { "type": "number" }, "source": { "type": "string", "enum": ["class", "import", "claim"] },
                "class_id": { "type": ["integer", "null"] }, "title": { "type": "string" }, "provider": { "type": ["string", "null"] },
                "external_ref": { "type": ["string", "null"] }, "status": { "type": "string", "enum": ["approved", "pending", "rejected"] } } } },
            "year_hours": { "type": "number" }, "five_year_hours": { "type": "number" }, "required_hours": { "type": "number" },
            "period": { "type": "object", "properties": { "start": { "type": "string", "format": "date" }, "end": { "type": "string", "format": "date" }, "years": { "type": "integer" }, "label": { "type": "string" } } },
            "period_hours": { "type": "number" }, "shortfall": { "type": "number" }, "behind": { "type": "boolean" }
        } });
}
