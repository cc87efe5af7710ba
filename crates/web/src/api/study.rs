//! Theory-study oversight in the API: first-item compliance of each organisation and the
//! leaders' quotas, in the token's scope.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use serde_json::{Value, json};
use xuepei_store::{meetings, org, study_logs};

use super::{ApiResult, Q, bad};
use crate::AppState;
use crate::auth::ApiCtx;

/// `GET /api/v1/study/compliance?org=ORG_CODE&year=YYYY[&month=M]`: the organisation (the
/// token's own when `org` is left out) and each one below it that held meetings, each
/// counting its own meetings; and the leaders a quota rule applies to, with each quota of
/// the period.
pub(super) async fn compliance(
    State(st): State<AppState>,
    api: ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let q = Q(q);
    let year = q.int("year", 1..=9999)?.ok_or_else(|| bad("请给出参数 year（年份，如 2026）"))? as i32;
    let month = q.int("month", 1..=12)?.map(|m| m as u32);
    let code = match q.text("org") {
        Some(code) => code.to_owned(),
        None => org::get(&st.db, &api.scope, api.token.scope_org_id).await?.code,
    };
    let rows = meetings::compliance(&st.db, &api.scope, &code, year, month).await?;
    let leaders = study_logs::quota_progress(&st.db, &api.scope, &code, year, month).await?;
    let orgs: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "org": r.org.code,
                "name": r.org.name,
                "meetings": r.meetings,
                "compliant_first_items": r.compliant_first_items,
                "exceptions": r.exceptions,
                // Study-group sessions are not recorded yet (issue 13, item 2).
                "sessions_held": Value::Null,
                "sessions_planned": Value::Null,
                "attendance_rate": Value::Null,
            })
        })
        .collect();
    Ok(Json(json!({ "org": code, "year": year, "month": month, "orgs": orgs, "leaders": leaders })))
}

pub(super) fn document(doc: &mut Value) {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    doc["paths"]["/api/v1/study/compliance"] = json!({
        "get": {
            "summary": "理论学习督查：第一议题落实情况与领导干部学习任务完成情况（令牌范围内）",
            "description": "orgs 含所查单位及其下级中召开过会议的单位，每行只计本单位自身的会议（不含下级）；第一议题带 study 的会议为合规，exceptions 列出不合规会议的 id。leaders 为适用学习任务规则的人员（默认为范围内各级党委（党组）班子成员和主要负责同志），period 为月度任务的 YYYY-MM 或年度任务的 YYYY。sessions_held、sessions_planned、attendance_rate 为理论学习中心组的集中学习次数与出勤率，中心组学习记录功能上线前为 null。",
            "parameters": [
                { "name": "org", "in": "query", "schema": { "type": "string" }, "description": "组织代码，默认为令牌所属单位" },
                { "name": "year", "in": "query", "required": true, "schema": { "type": "integer", "minimum": 1990, "maximum": 2100 } },
                { "name": "month", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 12 }, "description": "只看该月（月度任务与该月会议）" }
            ],
            "responses": {
                "200": { "description": "成功", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["orgs", "leaders"],
                    "properties": {
                        "orgs": { "type": "array", "items": { "type": "object", "properties": {
                            "org": { "type": "string" }, "name": { "type": "string" },
                            "meetings": { "type": "integer" }, "compliant_first_items": { "type": "integer" },
                            "exceptions": { "type": "array", "items": { "type": "integer" } },
                            "sessions_held": { "type": ["integer", "null"] }, "sessions_planned": { "type": ["integer", "null"] },
                            "attendance_rate": { "type": ["number", "null"] } } } },
                        "leaders": { "type": "array", "items": { "type": "object", "properties": {
                            "id_number": { "type": "string" }, "name": { "type": "string" },
                            "quotas": { "type": "array", "items": { "type": "object", "properties": {
                                "mode": { "type": "string", "enum": ["self_study", "lead_learning", "school_lecture", "grassroots", "exchange"] },
                                "period": { "type": "string" }, "required": { "type": "integer" },
                                "done": { "type": "integer" }, "met": { "type": "boolean" } } } } } } } } } } } },
                "400": err("参数有误"), "401": err("缺少或无效的接口令牌"), "404": err("组织不存在或不在令牌的范围内"),
                "422": err("年份或月份无效")
            }
        }
    });
}
