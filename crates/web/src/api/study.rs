//! Theory-study oversight in the API: first-item compliance of each organisation and the
//! leaders' quotas, in the token's scope.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Query, State};
use serde_json::{Value, json};
use xuepei_store::{meetings, org, study_logs, study_oversight};

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
    let sessions = study_oversight::own_sessions(&st.db, &api.scope, &code, year, month).await?;
    let orgs: Vec<Value> = rows
        .into_iter()
        .map(|r| {
            json!({
                "org": r.org.code,
                "name": r.org.name,
                "meetings": r.meetings,
                "compliant_first_items": r.compliant_first_items,
                "exceptions": r.exceptions,
                // The organisation's own study group (none: 0 held, 0 planned, rate null).
                "sessions_held": sessions.get(&r.org.id).map_or(0, |x| x.held),
                "sessions_planned": sessions.get(&r.org.id).map_or(0, |x| x.planned),
                "attendance_rate": sessions.get(&r.org.id).and_then(|x| x.attendance_rate),
            })
        })
        .collect();
    Ok(Json(json!({ "org": code, "year": year, "month": month, "orgs": orgs, "leaders": leaders })))
}

/// `GET /api/v1/study/oversight?org=ORG_CODE&year=YYYY[&month=M]`: the oversight view —
/// the organisation's own records, each direct child's subtree, and the total.
pub(super) async fn oversight(
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
    let o = study_oversight::overview(&st.db, &api.scope, &code, year, month).await?;
    let row = |r: &study_oversight::OverviewRow| {
        let f = &r.figures;
        json!({
            "org": r.org.code, "name": r.org.name, "kind": r.kind,
            "meetings": f.meetings, "compliant_first_items": f.compliant, "compliance_rate": f.compliance_rate(),
            "study_groups": f.groups, "sessions_held": f.sessions, "thematic_held": f.thematic,
            "sessions_planned": f.planned, "thematic_planned": f.thematic_planned,
            "attendance_rate": f.attendance_rate(), "attendance_min": r.attendance_min,
            "attendance_below": r.attendance_below(),
            "leaders": f.leaders, "quota_lines_met": f.lines_met, "quota_lines": f.lines, "leaders_behind": f.behind,
        })
    };
    let rows: Vec<Value> = o.rows.iter().map(row).collect();
    Ok(Json(json!({ "org": o.org.code, "year": o.year, "month": o.month, "rows": rows, "total": row(&o.total) })))
}

pub(super) fn document(doc: &mut Value) {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    doc["paths"]["/api/v1/study/compliance"] = json!({
        "get": {
            "summary": "理论学习督查：第一议题落实情况与领导干部学习任务完成情况（令牌范围内）",
            "description": "orgs 含所查单位及其下级中召开过会议的单位，每行只计本单位自身的会议（不含下级）；第一议题带 study 的会议为合规，exceptions 列出不合规会议的 id。leaders 为适用学习任务规则的人员（默认为范围内各级党委（党组）班子成员和主要负责同志），period 为月度任务的 YYYY-MM 或年度任务的 YYYY。sessions_held、sessions_planned、attendance_rate 为该单位本级理论学习中心组在所查期间的集中学习次数、按规则应开展次数（按月查看时为全年次数在该月的均分）和出勤率（到会人次/应到人次，百分数，一位小数；无集中学习时为 null）；未建中心组的单位为 0、0、null。",
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
                            "sessions_held": { "type": "integer" }, "sessions_planned": { "type": "integer" },
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
    let row = json!({ "type": "object", "properties": {
        "org": { "type": "string" }, "name": { "type": "string" },
        "kind": { "type": "string", "enum": ["own", "child", "total"] },
        "meetings": { "type": "integer" }, "compliant_first_items": { "type": "integer" },
        "compliance_rate": { "type": ["number", "null"] }, "study_groups": { "type": "integer" },
        "sessions_held": { "type": "integer" }, "thematic_held": { "type": "integer" },
        "sessions_planned": { "type": "integer" }, "thematic_planned": { "type": "integer" },
        "attendance_rate": { "type": ["number", "null"] }, "attendance_min": { "type": "integer" },
        "attendance_below": { "type": "boolean" }, "leaders": { "type": "integer" },
        "quota_lines_met": { "type": "integer" }, "quota_lines": { "type": "integer" },
        "leaders_behind": { "type": "integer" } } });
    doc["paths"]["/api/v1/study/oversight"] = json!({
        "get": {
            "summary": "理论学习督查统计：本级、各直属下级（含其所属单位）与合计（令牌范围内）",
            "description": "rows 第一行为所查单位本级（kind=own，只计本单位自身的记录），其后每个直属下级一行（kind=child，含其所属各级单位），total 为合计。会议与第一议题合规、中心组数、集中学习与专题研讨次数、按规则应开展次数（按月为全年次数在该月的均分）、出勤率（百分数）及是否低于该单位适用的下限、适用学习任务的领导干部人数、任务完成项/总项（年度任务每人一项；月度任务按所查月份，或按年查看时逐月计）和未完成人数。",
            "parameters": [
                { "name": "org", "in": "query", "schema": { "type": "string" }, "description": "组织代码，默认为令牌所属单位" },
                { "name": "year", "in": "query", "required": true, "schema": { "type": "integer", "minimum": 1990, "maximum": 2100 } },
                { "name": "month", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 12 } }
            ],
            "responses": {
                "200": { "description": "成功", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["rows", "total"],
                    "properties": { "org": { "type": "string" }, "year": { "type": "integer" },
                        "month": { "type": ["integer", "null"] }, "rows": { "type": "array", "items": row.clone() }, "total": row } } } } },
                "400": err("参数有误"), "401": err("缺少或无效的接口令牌"), "404": err("组织不存在或不在令牌的范围内"),
                "422": err("年份或月份无效")
            }
        }
    });
}
