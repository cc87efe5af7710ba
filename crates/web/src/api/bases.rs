//! Practice bases in the API: `GET /api/v1/bases` — the accredited bases in the token's
//! scope, with level (`city` or `county`) and year; `?year=` and `?level=` narrow them,
//! `?state=` lists applications of any state instead. Codes are English, dates `YYYY-MM-DD`.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use chrono::Datelike;
use serde_json::{Value, json};
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::bases::BaseState;
use xuepei_store::bases::{self as store, Base, BaseFilter};

use super::{ApiResult, Q, bad};
use crate::AppState;
use crate::auth::ApiCtx;

fn base_json(b: &Base) -> Value {
    json!({
        "id": b.id,
        "name": b.name,
        "kind": b.kind.code(),
        "org": b.org.code,
        "org_name": b.org.name,
        "county": b.county.code,
        "county_name": b.county.name,
        "year": b.year,
        "state": b.state.code(),
        "level": b.level(),
        "county_accredited_on": b.county_on.map(|d| d.to_string()),
        "city_accredited_on": b.city_on.map(|d| d.to_string()),
        "accredited_on": b.city_on.or(b.county_on).filter(|_| b.level().is_some()).map(|d| d.to_string()),
        "missing": b.missing(),
        "venue_id": b.venue_id,
        "sessions_held": b.uses,
    })
}

pub(super) async fn list(
    State(st): State<AppState>,
    api: ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let q = Q(q);
    let this = xuepei_domain::time::today().year();
    let year = q.int("year", 2000..=i64::from(this) + 1)?.map(|y| y as i32);
    let state = q.labeled::<BaseState>("state")?;
    let level = match q.text("level") {
        None => None,
        Some(l @ ("city" | "county")) => Some(l.to_owned()),
        Some(other) => return Err(bad(format!("参数 level 的取值“{other}”无效，可选：city、county"))),
    };
    let bases = store::list(&st.db, &api.scope, &BaseFilter { year, state, county_id: None }).await?;
    let items: Vec<Value> = bases
        .iter()
        // Without a state asked for, the accredited ones (a base being applied for or
        // revoked is not a base yet, or no longer).
        .filter(|b| state.is_some() || b.level().is_some())
        .filter(|b| level.as_deref().is_none_or(|l| b.level() == Some(l)))
        .map(base_json)
        .collect();
    Ok(Json(json!({ "year": year, "items": items })))
}

pub(super) fn document(doc: &mut Value) {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let states: Vec<&str> = BaseState::ALL.iter().map(|s| s.code()).collect();
    doc["paths"]["/api/v1/bases"] = json!({ "get": {
        "summary": "示范培训实践基地：已授牌的基地及其层级和年度",
        "description": "列出令牌范围内已授牌的基地（level 为 city 市级授牌或 county 县级授牌；市级授牌的基地同时保留县级授牌日期）。year 为申报年度；level 只列该层级；给出 state 时改为列出该状态的全部基地（draft 申报中、county 县级授牌、recommended 已推荐市级、city 市级授牌、returned 市级退回、revoked 已撤销）。missing 列出尚缺的“五有”项目。",
        "parameters": [
            { "name": "year", "in": "query", "schema": { "type": "integer" }, "description": "申报年度，默认全部" },
            { "name": "level", "in": "query", "schema": { "type": "string", "enum": ["city", "county"] } },
            { "name": "state", "in": "query", "schema": { "type": "string", "enum": states } }
        ],
        "responses": {
            "200": { "description": "成功", "content": { "application/json": { "schema": { "type": "object", "required": ["items"], "properties": {
                "year": { "type": ["integer", "null"] },
                "items": { "type": "array", "items": { "$ref": "#/components/schemas/PracticeBase" } } } } } } },
            "400": err("参数有误"),
            "401": err("缺少或无效的接口令牌")
        }
    } });
    let date = json!({ "type": ["string", "null"], "format": "date" });
    doc["components"]["schemas"]["PracticeBase"] = json!({ "type": "object",
        "required": ["id", "name", "kind", "org", "county", "year", "state", "level"], "properties": {
        "id": { "type": "integer" }, "name": { "type": "string" },
        "kind": { "type": "string", "enum": ["village", "community", "other"] },
        "org": { "type": "string" }, "org_name": { "type": "string" },
        "county": { "type": "string" }, "county_name": { "type": "string" },
        "year": { "type": "integer" }, "state": { "type": "string", "enum": states },
        "level": { "type": ["string", "null"], "enum": ["city", "county", null] },
        "accredited_on": date, "county_accredited_on": date, "city_accredited_on": date,
        "missing": { "type": "array", "items": { "type": "string" } },
        "venue_id": { "type": ["integer", "null"], "description": "授牌后列入的教学场地编号（课程安排中选用）" },
        "sessions_held": { "type": "integer", "description": "在该基地安排的现场教学次数" } } });
}
