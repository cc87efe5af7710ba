//! Central study groups in the API: the groups of the token's scope with their members, and
//! a group's sessions (集中学习研讨) with attendance — read a year's, record one. People are
//! named by identity number and must be the group's members or attendees; members left out
//! of `attendance` count as absent. Every problem of a body is reported at once (422) and
//! nothing is written.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::groups::Presence;
use xuepei_domain::study::meetings::Period;
use xuepei_domain::validate::FieldError;
use xuepei_store::study_groups::sessions::{self, Session, SessionInput};
use xuepei_store::study_groups::{self, Group, PersonKey};
use xuepei_store::{StoreError, Tx};

use super::{ApiResult, ListJson, Q, bad, path_id};
use crate::AppState;
use crate::auth::ApiCtx;

#[derive(Serialize)]
struct MemberJson {
    id_number: String,
    name: String,
    role: &'static str,
}

#[derive(Serialize)]
pub struct GroupJson {
    id: i64,
    org: String,
    org_name: String,
    name: String,
    approver: String,
    members: Vec<MemberJson>,
}

impl From<Group> for GroupJson {
    fn from(g: Group) -> Self {
        GroupJson {
            id: g.id,
            org: g.org.code,
            org_name: g.org.name,
            name: g.name,
            approver: g.approver.code,
            members: g
                .members
                .into_iter()
                .map(|m| MemberJson { id_number: m.person.id_number, name: m.person.name, role: m.role.code() })
                .collect(),
        }
    }
}

#[derive(Serialize)]
struct AttendanceJson {
    id_number: String,
    name: String,
    presence: &'static str,
    reason: String,
}

#[derive(Serialize)]
struct SpeechJson {
    id_number: String,
    name: String,
    summary: String,
}

#[derive(Serialize)]
pub struct SessionJson {
    id: i64,
    group_id: i64,
    date: String,
    topic: String,
    thematic: bool,
    lead: String,
    present: u32,
    expected: u32,
    attendance_rate: Option<f64>,
    attendance: Vec<AttendanceJson>,
    speeches: Vec<SpeechJson>,
    notes: String,
    closed: bool,
}

impl From<Session> for SessionJson {
    fn from(s: Session) -> Self {
        SessionJson {
            id: s.id,
            group_id: s.group_id,
            date: s.held_on.to_string(),
            topic: s.topic,
            thematic: s.thematic,
            lead: s.lead.id_number,
            present: s.present,
            expected: s.expected,
            attendance_rate: s.rate,
            attendance: s
                .attendance
                .into_iter()
                .map(|a| AttendanceJson {
                    id_number: a.person.id_number,
                    name: a.person.name,
                    presence: a.presence.code(),
                    reason: a.reason,
                })
                .collect(),
            speeches: s
                .speeches
                .into_iter()
                .map(|x| SpeechJson { id_number: x.person.id_number, name: x.person.name, summary: x.summary })
                .collect(),
            notes: s.notes,
            closed: s.closed,
        }
    }
}

fn not_found(e: StoreError) -> StoreError {
    match e {
        StoreError::NotFound(_) => StoreError::NotFound("理论学习中心组"),
        other => other,
    }
}

/// `GET /api/v1/study-groups`: the groups of the token's scope, by organisation.
pub(super) async fn list(State(st): State<AppState>, api: ApiCtx) -> ApiResult<Json<ListJson<GroupJson>>> {
    let groups = study_groups::all(&st.db, &api.scope).await?;
    Ok(Json(ListJson { items: groups.into_iter().map(GroupJson::from).collect(), next: None }))
}

/// `GET /api/v1/study-groups/{id}/sessions?year=YYYY`: a group's sessions of a year (this
/// year by default), by date.
pub(super) async fn sessions(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ListJson<SessionJson>>> {
    let q = Q(q);
    let year = match q.int("year", 1..=9999)? {
        Some(y) => y as i32,
        None => xuepei_domain::time::today().year(),
    };
    let period = Period::new(year, None).map_err(bad)?;
    let list = sessions::of_group(&st.db, &api.scope, path_id(&id)?, period).await.map_err(not_found)?;
    Ok(Json(ListJson { items: list.into_iter().map(SessionJson::from).collect(), next: None }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AttendanceBody {
    id_number: String,
    #[serde(default)]
    presence: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SpeechBody {
    id_number: String,
    #[serde(default)]
    summary: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionBody {
    #[serde(default)]
    date: String,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    thematic: bool,
    #[serde(default)]
    lead: Option<String>,
    #[serde(default)]
    attendance: Vec<AttendanceBody>,
    #[serde(default)]
    speeches: Vec<SpeechBody>,
    #[serde(default)]
    notes: String,
}

const FIELDS: &str =
    "date、topic、thematic、lead、attendance（id_number、presence、reason）、speeches（id_number、summary）、notes";

fn number(n: &str) -> PersonKey {
    PersonKey::Number(n.trim().to_owned())
}

/// The body as a store input, with what the body itself got wrong (codes only).
fn input_of(b: SessionBody) -> (SessionInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let date = super::meetings::strict_date("date", "学习日期", &b.date, &mut errs);
    let codes: Vec<&str> = Presence::ALL.iter().map(|p| p.code()).collect();
    for a in &b.attendance {
        let p = a.presence.trim();
        if !p.is_empty() && !codes.contains(&p) {
            errs.push(FieldError {
                field: "attendance",
                message: format!("attendance 的 presence“{p}”无效，可选：{}", codes.join("、")),
            });
        }
    }
    let input = SessionInput {
        date,
        topic: b.topic,
        thematic: b.thematic,
        lead: b.lead.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(number),
        attendance: b.attendance.into_iter().map(|a| (number(&a.id_number), a.presence, a.reason)).collect(),
        speeches: b.speeches.into_iter().map(|s| (number(&s.id_number), s.summary)).collect(),
        notes: b.notes,
        materials: Vec::new(),
    };
    (input, errs)
}

/// `POST /api/v1/study-groups/{id}/sessions`: records a session with its attendance.
pub(super) async fn create_session(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let group_id = path_id(&id)?;
    super::meetings::object_body(&body)?;
    let b: SessionBody = serde_json::from_slice(&body).map_err(|e| {
        bad(format!(
            "JSON 格式或字段有误（第{}行第{}列）：请检查括号、引号、字段名和取值类型。可用字段：{FIELDS}",
            e.line(),
            e.column()
        ))
    })?;
    let (input, errs) = input_of(b);
    let tx = Tx::begin(&st.db, &api.scope, &api.actor).await?;
    let result = crate::form::write_or_report(
        errs,
        async || sessions::check(tx.conn(), tx.scope(), group_id, &input).await,
        async || sessions::create(&tx, group_id, &input).await,
    )
    .await;
    match result {
        Ok(s) => {
            tx.commit().await?;
            let body = json!({ "id": s.id, "present": s.present, "expected": s.expected, "attendance_rate": s.rate });
            Ok((StatusCode::CREATED, Json(body)).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(not_found(e).into())
        }
    }
}

/// The routes' part of the OpenAPI document.
pub(super) fn document(doc: &mut Value) {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" }, "description": "中心组 id（见 GET /api/v1/study-groups）" });
    doc["paths"]["/api/v1/study-groups"] = json!({
        "get": {
            "summary": "理论学习中心组及其成员（令牌范围内，按单位排列）",
            "responses": {
                "200": { "description": "成功", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["items"],
                    "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/StudyGroup" } }, "next": { "type": "null" } } } } } },
                "401": err("缺少或无效的接口令牌")
            }
        }
    });
    doc["paths"]["/api/v1/study-groups/{id}/sessions"] = json!({
        "get": {
            "summary": "中心组某年度的集中学习记录及考勤（按日期排列）",
            "parameters": [id, { "name": "year", "in": "query", "schema": { "type": "integer", "minimum": 1990, "maximum": 2100 }, "description": "年度，默认本年" }],
            "responses": {
                "200": { "description": "成功", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["items"],
                    "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/StudySession" } }, "next": { "type": "null" } } } } } },
                "400": err("参数有误"), "401": err("缺少或无效的接口令牌"), "404": err("中心组不存在或不在令牌的范围内")
            }
        },
        "post": {
            "summary": "登记中心组一次集中学习（研讨）及考勤",
            "description": "date 为 YYYY-MM-DD，不能晚于今天；topic 为学习主题（同一天同一主题只登记一次）；thematic 为 true 表示专题研讨；lead 为领学人身份证号。attendance 列出考勤：id_number、presence（present 出席、leave 请假、absent 缺席，默认 present）、reason（请假须填事由）；未列出的中心组成员按缺席计。speeches 为发言：id_number、summary。所有人员须为该中心组的成员或列席人员。出勤率 = 出席成员 / 成员总数（列席人员不计）。任何一处有误则整体拒绝（422），不写入任何数据。",
            "parameters": [id],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/StudySessionInput" } } } },
            "responses": {
                "201": { "description": "已登记", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["id", "present", "expected", "attendance_rate"],
                    "properties": { "id": { "type": "integer" }, "present": { "type": "integer" }, "expected": { "type": "integer" },
                        "attendance_rate": { "type": ["number", "null"], "description": "出勤率（%）" } } } } } },
                "400": err("JSON 格式或字段有误"), "401": err("缺少或无效的接口令牌"), "403": err("只读令牌不能写入"),
                "404": err("中心组不存在或不在令牌的范围内"), "409": err("与其他用户同时提交的数据冲突"),
                "422": err("填写内容有误，未写入（fields 列出全部问题）")
            }
        }
    });
    let person = |d: &str| json!({ "type": "string", "description": d });
    doc["components"]["schemas"]["StudyGroup"] = json!({
        "type": "object", "required": ["id", "org", "name", "members"], "properties": {
            "id": { "type": "integer" }, "org": { "type": "string" }, "org_name": { "type": "string" },
            "name": { "type": "string" }, "approver": { "type": "string", "description": "学习计划的审批机关（组织代码）" },
            "members": { "type": "array", "items": { "type": "object", "properties": {
                "id_number": person("身份证号"), "name": { "type": "string" },
                "role": { "type": "string", "enum": ["leader", "deputy", "member", "attendee"] } } } } } });
    doc["components"]["schemas"]["StudySessionInput"] = json!({
        "type": "object", "required": ["date", "topic", "lead"], "additionalProperties": false, "properties": {
            "date": { "type": "string", "format": "date" },
            "topic": { "type": "string", "maxLength": 200 },
            "thematic": { "type": "boolean", "default": false },
            "lead": person("领学人身份证号"),
            "attendance": { "type": "array", "items": { "type": "object", "required": ["id_number"], "additionalProperties": false, "properties": {
                "id_number": person("身份证号"), "presence": { "type": "string", "enum": ["present", "leave", "absent"], "default": "present" },
                "reason": { "type": "string", "maxLength": 100 } } } },
            "speeches": { "type": "array", "items": { "type": "object", "required": ["id_number", "summary"], "additionalProperties": false, "properties": {
                "id_number": person("发言人身份证号"), "summary": { "type": "string", "maxLength": 2000 } } } },
            "notes": { "type": "string", "maxLength": 50000 } } });
    doc["components"]["schemas"]["StudySession"] = json!({
        "type": "object", "required": ["id", "date", "topic", "present", "expected"], "properties": {
            "id": { "type": "integer" }, "group_id": { "type": "integer" }, "date": { "type": "string", "format": "date" },
            "topic": { "type": "string" }, "thematic": { "type": "boolean" }, "lead": person("领学人身份证号"),
            "present": { "type": "integer" }, "expected": { "type": "integer" },
            "attendance_rate": { "type": ["number", "null"] },
            "attendance": { "type": "array", "items": { "type": "object", "properties": {
                "id_number": { "type": "string" }, "name": { "type": "string" },
                "presence": { "type": "string", "enum": ["present", "leave", "absent"] }, "reason": { "type": "string" } } } },
            "speeches": { "type": "array", "items": { "type": "object", "properties": {
                "id_number": { "type": "string" }, "name": { "type": "string" }, "summary": { "type": "string" } } } },
            "notes": { "type": "string" }, "closed": { "type": "boolean" } } });
}
