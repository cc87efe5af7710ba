//! Leaders' study logs in the API: record an entry for a leader of the token's scope
//! (`POST /api/v1/study-logs`), read a leader's entries of a year
//! (`GET /api/v1/study-logs?id_number=&year=`). People are named by identity number, modes
//! by English code, dates `YYYY-MM-DD`; every problem of a body is reported at once (422)
//! and nothing is written.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use xuepei_domain::labels::Labeled;
use xuepei_store::study_logs::{self as store, LogFields, LogInput, PersonRef, StudyLog};
use xuepei_store::{StoreError, Tx};

use super::{ApiResult, Q, bad};
use crate::AppState;
use crate::auth::ApiCtx;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogBody {
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    school: Option<String>,
    #[serde(default)]
    place: Option<String>,
    #[serde(default)]
    audience: Option<String>,
    #[serde(default)]
    note: Option<String>,
    #[serde(default)]
    published_in: Option<String>,
    #[serde(default)]
    published_on: Option<String>,
    #[serde(default)]
    material: Option<i64>,
}

const FIELDS: &str =
    "id_number、mode、date、title、school、place、audience、note、published_in、published_on、material";

/// An entry with English codes.
#[derive(Serialize)]
struct LogJson {
    id: i64,
    mode: &'static str,
    date: String,
    title: String,
    school: Option<String>,
    place: Option<String>,
    audience: Option<String>,
    note: Option<String>,
    published_in: Option<String>,
    published_on: Option<String>,
    material: Option<i64>,
}

impl From<StudyLog> for LogJson {
    fn from(l: StudyLog) -> Self {
        LogJson {
            id: l.id,
            mode: l.mode.code(),
            date: l.date.to_string(),
            title: l.title,
            school: l.school,
            place: l.place,
            audience: l.audience,
            note: l.note,
            published_in: l.published_in,
            published_on: l.published_on.map(|d| d.to_string()),
            material: l.material_id,
        }
    }
}

pub(super) async fn create(State(st): State<AppState>, api: ApiCtx, body: Bytes) -> ApiResult<Response> {
    let b: LogBody = serde_json::from_slice(&body).map_err(|e| {
        bad(format!(
            "JSON 格式或字段有误（第{}行第{}列）：请检查括号、引号、字段名和取值类型。可用字段：{FIELDS}",
            e.line(),
            e.column()
        ))
    })?;
    let o = |v: Option<String>| v.unwrap_or_default();
    let input = LogInput {
        person: PersonRef::Number(b.id_number),
        fields: LogFields {
            mode: b.mode,
            date: b.date,
            title: b.title,
            school: o(b.school),
            place: o(b.place),
            audience: o(b.audience),
            note: o(b.note),
            published_in: o(b.published_in),
            published_on: o(b.published_on),
            material: b.material.map(|id| id.to_string()).unwrap_or_default(),
        },
        evidence_upload_id: None,
    };
    let tx = Tx::begin(&st.db, &api.scope, &api.actor).await?;
    match store::create(&tx, None, &input).await {
        Ok(l) => {
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(json!({ "id": l.id }))).into_response())
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
) -> ApiResult<Json<Value>> {
    let q = Q(q);
    let Some(number) = q.text("id_number") else {
        return Err(bad("请提供参数 id_number（领导干部的身份证号）"));
    };
    let this = xuepei_domain::time::today().year();
    let year = q.int("year", 1990..=i64::from(this))?.map_or(this, |y| y as i32);
    let (leader, logs) = store::for_person(&st.db, &api.scope, None, &PersonRef::Number(number.to_owned()), year)
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => StoreError::NotFound("人员"),
            other => other,
        })?;
    Ok(Json(json!({
        "id_number": leader.id_number,
        "name": leader.name,
        "year": year,
        "items": logs.into_iter().map(LogJson::from).collect::<Vec<_>>(),
    })))
}

/// The OpenAPI entries of these routes.
pub(super) fn document(doc: &mut Value) {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let modes = ["self_study", "lead_learning", "school_lecture", "grassroots", "exchange", "reflection"];
    doc["paths"]["/api/v1/study-logs"] = json!({
        "post": {
            "summary": "登记领导干部的学习记录（五种学习方式、心得体会）",
            "description": "id_number 为领导干部（人员信息中有“班子成员”或“主要负责同志”身份）的身份证号，须在令牌范围内。mode：self_study 平时自学、lead_learning 以会代训领学、school_lecture 进学校讲课（须填 school）、grassroots 基层宣讲、exchange 交流互学，以及 reflection 心得体会（可填 published_in、published_on 发表情况）。date 为 YYYY-MM-DD，不能晚于今天。material 为学习资料库中资料的编号（令牌范围内或上级发布的资料），未填 title 时以资料标题为标题。同一人员、学习方式、日期和标题的记录只能登记一次。任何一处有误则整体拒绝（422，fields 列出全部问题），不写入任何数据。",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/StudyLogInput" } } } },
            "responses": {
                "201": { "description": "已登记", "content": { "application/json": { "schema": { "type": "object", "required": ["id"], "properties": { "id": { "type": "integer" } } } } } },
                "400": err("JSON 格式或字段有误"),
                "401": err("缺少或无效的接口令牌"),
                "403": err("只读令牌不能写入"),
                "409": err("与其他用户同时提交的记录重复"),
                "422": err("填写内容有误，未写入（fields 列出全部问题）")
            }
        },
        "get": {
            "summary": "一名领导干部某年度的学习记录（日期新的在前）",
            "parameters": [
                { "name": "id_number", "in": "query", "required": true, "schema": { "type": "string" }, "description": "身份证号" },
                { "name": "year", "in": "query", "schema": { "type": "integer" }, "description": "年度，默认本年" }
            ],
            "responses": {
                "200": { "description": "成功", "content": { "application/json": { "schema": { "type": "object", "required": ["id_number", "name", "year", "items"], "properties": {
                    "id_number": { "type": "string" }, "name": { "type": "string" }, "year": { "type": "integer" },
                    "items": { "type": "array", "items": { "$ref": "#/components/schemas/StudyLog" } } } } } } },
                "400": err("参数有误"),
                "401": err("缺少或无效的接口令牌"),
                "404": err("人员不存在或不在令牌的范围内")
            }
        }
    });
    let text = json!({ "type": ["string", "null"] });
    doc["components"]["schemas"]["StudyLogInput"] = json!({ "type": "object", "required": ["id_number", "mode", "date"], "additionalProperties": false, "properties": {
        "id_number": { "type": "string" }, "mode": { "type": "string", "enum": modes },
        "date": { "type": "string", "format": "date" }, "title": { "type": "string", "maxLength": 200, "description": "标题（选了 material 时可不填）" },
        "material": { "type": ["integer", "null"], "description": "学习资料编号" },
        "school": { "type": ["string", "null"], "maxLength": 100, "description": "学校（school_lecture 必填）" },
        "place": { "type": ["string", "null"], "maxLength": 200, "description": "地点" },
        "audience": { "type": ["string", "null"], "maxLength": 200, "description": "对象" },
        "note": { "type": ["string", "null"], "maxLength": 1000 },
        "published_in": { "type": ["string", "null"], "maxLength": 100, "description": "心得体会发表的报刊或平台" },
        "published_on": { "type": ["string", "null"], "format": "date" } } });
    doc["components"]["schemas"]["StudyLog"] = json!({ "type": "object", "required": ["id", "mode", "date", "title"], "properties": {
        "id": { "type": "integer" }, "mode": { "type": "string", "enum": modes }, "date": { "type": "string", "format": "date" },
        "title": { "type": "string" }, "school": text, "place": text, "audience": text, "note": text, "published_in": text,
        "published_on": { "type": ["string", "null"], "format": "date" },
        "material": { "type": ["integer", "null"], "description": "学习资料编号" } } });
}
