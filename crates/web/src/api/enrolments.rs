//! Enrolment, leave, attendance and completion in the API. People are named by identity
//! number; a sending organisation's token sees and touches only its own people. Every
//! request is all or nothing: any refused person refuses the whole body (422, every
//! problem listed) and nothing is written.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::{AttendanceMark, EnrolmentStatus, Hours};
use xuepei_domain::validate::FieldError;
use xuepei_store::attendance::{self, MarkInput};
use xuepei_store::enrolments::{self, EnrolmentFilter, LeaveInput, PersonRef};
use xuepei_store::page::At;
use xuepei_store::{StoreError, Tx};

use super::{ApiResult, Q, bad, path_id};
use crate::AppState;
use crate::auth::ApiCtx;

fn body<T: DeserializeOwned>(bytes: &[u8], fields: &str) -> ApiResult<T> {
    serde_json::from_slice(bytes).map_err(|e| {
        bad(format!(
            "JSON 格式或字段有误（第{}行第{}列）：请检查括号、引号、字段名和取值类型。可用字段：{fields}",
            e.line(),
            e.column()
        ))
    })
}

/// Runs a write in a transaction bound to the token: committed when it succeeds.
async fn write<T>(st: &AppState, api: &ApiCtx, f: impl AsyncFnOnce(&Tx) -> xuepei_store::Result<T>) -> ApiResult<T> {
    let tx = Tx::begin(&st.db, &api.scope, &api.actor).await?;
    match f(&tx).await {
        Ok(v) => {
            tx.commit().await?;
            Ok(v)
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrolBody {
    id_numbers: Vec<String>,
}

/// `POST /api/v1/classes/{id}/enrolments` `{"id_numbers": [...]}`.
pub(super) async fn enrol(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let id = path_id(&id)?;
    let b: EnrolBody = body(&bytes, "id_numbers")?;
    let refs: Vec<PersonRef> = b.id_numbers.into_iter().map(PersonRef::IdNumber).collect();
    let results = write(&st, &api, async |tx| enrolments::enrol(tx, id, &refs).await).await?;
    let results: Vec<Value> =
        results.iter().map(|r| json!({"id_number": r.id_number, "status": r.status.code()})).collect();
    Ok(Json(json!({ "results": results })))
}

/// `GET /api/v1/classes/{id}/enrolments`: everyone for the organiser and the institution,
/// only the token's own people for a sending organisation.
pub(super) async fn list(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<Value>> {
    let id = path_id(&id)?;
    let q = Q(q);
    let limit = q.int("limit", 1..=1000)?.unwrap_or(1000) as u64;
    let after = q.text("after");
    if after.is_some_and(|a| a.parse::<i64>().is_err()) {
        return Err(bad("参数 after 应为上一页返回的 next"));
    }
    let f = EnrolmentFilter { status: q.labeled::<EnrolmentStatus>("status")? };
    let page = enrolments::roster(&st.db, &api.scope, id, &f, At::after(after), limit).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|e| {
            json!({
                "id_number": e.id_number,
                "name": e.name,
                "status": e.status.code(),
                "org": e.org_name,
                "leave_hours": e.leave_hours,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items, "next": page.next })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LeaveBody {
    id_number: String,
    #[serde(default)]
    hours: Option<Value>,
    #[serde(default)]
    sessions: Vec<i64>,
    #[serde(default)]
    reason: String,
}

/// `POST /api/v1/classes/{id}/leave` `{"id_number", "hours", "reason"}` (or `sessions`).
pub(super) async fn leave(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let id = path_id(&id)?;
    let b: LeaveBody = body(&bytes, "id_number、hours、sessions、reason")?;
    let hours = match &b.hours {
        None | Some(Value::Null) => None,
        Some(v) => match serde_json::from_value::<Hours>(v.clone()) {
            Ok(h) => Some(h),
            Err(e) => {
                return Err(StoreError::Invalid(vec![FieldError { field: "hours", message: e.to_string() }]).into());
            }
        },
    };
    let input = LeaveInput { hours, sessions: b.sessions, reason: b.reason };
    let who = PersonRef::IdNumber(b.id_number);
    let a = write(&st, &api, async |tx| enrolments::request_leave(tx, id, &who, &input).await).await?;
    Ok(Json(json!({
        "status": a.status.code(),
        "leave_hours": a.leave_hours,
        "class_hours": a.class_hours,
        "max_leave_fraction": a.max_leave,
        "message": a.message,
        "promoted": a.promoted,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RecordBody {
    id_number: String,
    status: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttendanceBody {
    records: Vec<RecordBody>,
}

/// `POST /api/v1/sessions/{id}/attendance` `{"records": [{"id_number", "status"}]}`.
pub(super) async fn attendance(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
    bytes: Bytes,
) -> ApiResult<Json<Value>> {
    let id = path_id(&id)?;
    let b: AttendanceBody = body(&bytes, "records（id_number、status、reason）")?;
    let mut errs = Vec::new();
    let mut records = Vec::new();
    for (i, r) in b.records.into_iter().enumerate() {
        match AttendanceMark::from_code(r.status.trim()) {
            Some(mark) => records.push(MarkInput { who: PersonRef::IdNumber(r.id_number), mark, reason: r.reason }),
            None => errs.push(FieldError {
                field: "records",
                message: format!(
                    "records 第{}项的考勤状态“{}”无效，可选：present、late、absent、leave",
                    i + 1,
                    r.status.trim()
                ),
            }),
        }
    }
    if !errs.is_empty() {
        return Err(StoreError::Invalid(errs).into());
    }
    let s = write(&st, &api, async |tx| attendance::mark(tx, id, &records).await).await?;
    Ok(Json(json!({
        "created": s.created,
        "corrected": s.corrected,
        "unchanged": s.unchanged,
        "withdrawn": s.withdrawn,
    })))
}

/// `POST /api/v1/classes/{id}/complete`.
pub(super) async fn complete(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let id = path_id(&id)?;
    let c = write(&st, &api, async |tx| enrolments::complete(tx, id).await).await?;
    let not: Vec<Value> =
        c.not_completed.iter().map(|n| json!({"id_number": n.id_number, "name": n.name, "reason": n.reason})).collect();
    Ok(Json(json!({ "completed": c.completed, "not_completed": not })))
}

/// The OpenAPI description of these routes.
pub(super) fn document(doc: &mut Value) {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    let ok = |schema: Value| json!({ "description": "成功", "content": { "application/json": { "schema": schema } } });
    let body = |schema: Value| json!({ "required": true, "content": { "application/json": { "schema": schema } } });
    let write_errors = |doc_ok: Value| {
        json!({ "200": doc_ok, "400": err("JSON 格式或字段有误"), "401": err("缺少或无效的接口令牌"),
            "403": err("只读令牌，或令牌范围无权办理此事项"), "404": err("不存在或不在令牌的范围内"),
            "409": err("与当前状态或其他用户同时提交的数据冲突"), "422": err("有误，整体拒绝，未写入（fields 列出全部问题）") })
    };
    doc["paths"]["/api/v1/classes/{id}/enrolments"] = json!({
        "get": {
            "summary": "班次学员名单：主办单位、承办机构见全部学员，派员单位只见本单位的学员",
            "parameters": [id_param.clone(),
                { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["enrolled", "waitlisted", "withdrawn", "completed"] } },
                { "name": "after", "in": "query", "schema": { "type": "string" }, "description": "上一页返回的 next" },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 1000 } }],
            "responses": { "200": ok(json!({ "type": "object", "required": ["items"], "properties": {
                "items": { "type": "array", "items": { "type": "object", "required": ["id_number", "name", "status"], "properties": {
                    "id_number": { "type": "string" }, "name": { "type": "string" },
                    "status": { "type": "string", "enum": ["enrolled", "waitlisted", "withdrawn", "completed"] },
                    "org": { "type": "string", "description": "派出单位" }, "leave_hours": { "type": "number" } } } },
                "next": { "type": ["string", "null"] } } })),
                "400": err("参数有误"), "401": err("缺少或无效的接口令牌"), "404": err("不存在或不在令牌的范围内") }
        },
        "post": {
            "summary": "报名（按身份证号，全部无误才写入）",
            "description": "主办单位可为其下级、轮训工作培训范围和各名额单位的人员报名；派员单位只能在分配名额内选派本单位人员。容量已满时进入候补名单（waitlisted），有人退学时按顺序自动递补。与其他班次日期重叠、已在本班、不在范围内或超出名额的，整体拒绝并逐人说明原因。",
            "parameters": [id_param.clone()],
            "requestBody": body(json!({ "type": "object", "required": ["id_numbers"], "additionalProperties": false, "properties": {
                "id_numbers": { "type": "array", "items": { "type": "string" }, "maxItems": 20000 } } })),
            "responses": write_errors(ok(json!({ "type": "object", "required": ["results"], "properties": {
                "results": { "type": "array", "items": { "type": "object", "required": ["id_number", "status"], "properties": {
                    "id_number": { "type": "string" }, "status": { "type": "string", "enum": ["enrolled", "waitlisted"] } } } } } })))
        }
    });
    doc["paths"]["/api/v1/classes/{id}/leave"] = json!({ "post": {
        "summary": "请假：按学时（hours）或课程（sessions，本班课程编号）",
        "description": "累计请假（请假课程与考勤为“请假”的课程合并，每节只计一次，另加只填学时的请假）超过本班总学时的请假上限（默认1/7，恰好1/7仍允许）时，作退学处理（status 为 withdrawn），候补人员自动递补。学时须大于0，课程须属于本班。",
        "parameters": [id_param.clone()],
        "requestBody": body(json!({ "type": "object", "required": ["id_number", "reason"], "additionalProperties": false, "properties": {
            "id_number": { "type": "string" }, "hours": { "type": "number", "exclusiveMinimum": 0 },
            "sessions": { "type": "array", "items": { "type": "integer" } }, "reason": { "type": "string", "maxLength": 500 } } })),
        "responses": write_errors(ok(json!({ "type": "object", "required": ["status", "leave_hours", "class_hours"], "properties": {
            "status": { "type": "string", "enum": ["enrolled", "withdrawn"] }, "leave_hours": { "type": "number" },
            "class_hours": { "type": "number" }, "max_leave_fraction": { "type": "string" }, "message": { "type": "string" },
            "promoted": { "type": "array", "items": { "type": "string" } } } })))
    } });
    doc["paths"]["/api/v1/sessions/{id}/attendance"] = json!({ "post": {
        "summary": "登记考勤（点名）：present、late、absent、leave",
        "description": "只能由主办单位或承办机构登记；修改已有考勤须填写 reason（更正原因），记入审计日志。任何一人有误则整体拒绝。",
        "parameters": [id_param.clone()],
        "requestBody": body(json!({ "type": "object", "required": ["records"], "additionalProperties": false, "properties": {
            "records": { "type": "array", "items": { "type": "object", "required": ["id_number", "status"], "additionalProperties": false, "properties": {
                "id_number": { "type": "string" }, "status": { "type": "string", "enum": ["present", "late", "absent", "leave"] },
                "reason": { "type": "string", "description": "更正原因（修改已有考勤时必填）" } } } } } })),
        "responses": write_errors(ok(json!({ "type": "object", "properties": {
            "created": { "type": "integer" }, "corrected": { "type": "integer" }, "unchanged": { "type": "integer" },
            "withdrawn": { "type": "array", "items": { "type": "string" } } } })))
    } });
    doc["paths"]["/api/v1/classes/{id}/complete"] = json!({ "post": {
        "summary": "结业：按请假规定为在册学员结业并写入学时记录",
        "description": "未登记考勤的课程先按缺勤（有请假的按请假）补记；请假未超过上限的学员结业，写入一条学时记录（本班总学时减去请假学时，来源 class）；其余列入 not_completed 并说明原因。重复调用不会重复写入。",
        "parameters": [id_param],
        "responses": write_errors(ok(json!({ "type": "object", "required": ["completed", "not_completed"], "properties": {
            "completed": { "type": "integer" },
            "not_completed": { "type": "array", "items": { "type": "object", "required": ["id_number", "reason"], "properties": {
                "id_number": { "type": "string" }, "name": { "type": "string" }, "reason": { "type": "string" } } } } } })))
    } });
}
