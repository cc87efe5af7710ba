//! Committee meetings in the API: record one with its ordered agenda (`POST`), list an
//! organisation's meetings of a year. People are named by identity number and must be of
//! the meeting's organisation; an agenda item without `study` is not theory study. Every
//! problem of a body is reported at once (422) and nothing is written.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::meetings::{MeetingKind, Period};
use xuepei_domain::validate::FieldError;
use xuepei_store::meetings::{
    self as store, ItemInput, MeetingFilter, MeetingInput, MeetingRow, PersonKey, StudyInput,
};
use xuepei_store::org::{self, At};
use xuepei_store::{StoreError, Tx};

use super::{ApiResult, ListJson, Q, bad};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::pages::campaigns::parse_date;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StudyBody {
    #[serde(default)]
    title: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    lead: Option<String>,
    #[serde(default)]
    form: String,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    notes: Option<String>,
    #[serde(default)]
    speakers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ItemBody {
    #[serde(default)]
    title: String,
    #[serde(default)]
    study: Option<StudyBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AbsenteeBody {
    id_number: String,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MeetingBody {
    #[serde(default)]
    org: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    chair: Option<String>,
    #[serde(default)]
    attendees: Vec<String>,
    #[serde(default)]
    absentees: Vec<AbsenteeBody>,
    #[serde(default)]
    agenda: Vec<ItemBody>,
}

const FIELDS: &str = "org、kind、date、chair、attendees、absentees、agenda（每项 title、study：title、source、lead、form、reference、notes、speakers）";

/// A meeting in a list, with English codes and people by identity number.
#[derive(Serialize)]
pub struct MeetingJson {
    id: i64,
    org: String,
    org_name: String,
    kind: &'static str,
    date: String,
    chair: String,
    first_item: String,
    first_item_compliant: bool,
    study_source: Option<&'static str>,
    items: usize,
    closed: bool,
}

impl From<MeetingRow> for MeetingJson {
    fn from(m: MeetingRow) -> Self {
        MeetingJson {
            id: m.id,
            org: m.org.code,
            org_name: m.org.name,
            kind: m.kind.code(),
            date: m.held_on.to_string(),
            chair: m.chair.id_number,
            first_item: m.first_item,
            first_item_compliant: m.compliant,
            study_source: m.study_source.map(|s| s.code()),
            items: m.items,
            closed: m.closed,
        }
    }
}

fn number(n: &str) -> PersonKey {
    PersonKey::Number(n.to_owned())
}

/// A date of the API: exactly `YYYY-MM-DD` (no sign, no extra digits); empty is `None`.
pub(super) fn strict_date(
    field: &'static str,
    label: &str,
    text: &str,
    errs: &mut Vec<FieldError>,
) -> Option<chrono::NaiveDate> {
    let t = text.trim();
    if !t.is_empty() && !xuepei_domain::study::meetings::plain_date_shape(t) {
        errs.push(FieldError {
            field, message: format!("{label}“{t}”格式有误，应为YYYY-MM-DD，如2026-03-09")
        });
        return None;
    }
    parse_date(field, label, t, errs)
}

/// Refuses a body that is not a JSON object (an array would be read as an object with
/// every field missing).
pub(super) fn object_body(body: &[u8]) -> ApiResult<()> {
    let first = body.iter().find(|c| !c.is_ascii_whitespace());
    if first == Some(&b'{') {
        Ok(())
    } else {
        Err(bad("请求体应为 JSON 对象（以 { 开头），请按接口说明提交字段"))
    }
}

/// The body as a store input, with what the body itself got wrong. Codes only: the API
/// does not take the Chinese labels the forms accept.
fn input_of(b: MeetingBody) -> (MeetingInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let date = strict_date("date", "会议日期", &b.date, &mut errs);
    let code_of = |field: &'static str, what: &str, v: &str, codes: &[&str], errs: &mut Vec<FieldError>| {
        let v = v.trim();
        if !v.is_empty() && !codes.contains(&v) {
            errs.push(FieldError { field, message: format!("{what}“{v}”无效，可选：{}", codes.join("、")) });
        }
    };
    let kinds: Vec<&str> = MeetingKind::ALL.iter().map(|k| k.code()).collect();
    code_of("kind", "会议类别 kind", &b.kind, &kinds, &mut errs);
    let sources = ["speech", "instruction", "original", "decision"];
    let forms = ["lead_reading", "relay", "discussion"];
    let agenda = b
        .agenda
        .into_iter()
        .enumerate()
        .map(|(i, it)| {
            let n = i + 1;
            ItemInput {
                title: it.title,
                study: it.study.map(|s| {
                    code_of("study_source", &format!("agenda 第{n}项的 study.source"), &s.source, &sources, &mut errs);
                    code_of("study_form", &format!("agenda 第{n}项的 study.form"), &s.form, &forms, &mut errs);
                    StudyInput {
                        title: s.title,
                        source: s.source,
                        lead: s.lead.as_deref().map(str::trim).filter(|l| !l.is_empty()).map(number),
                        form: s.form,
                        materials: Vec::new(),
                        reference: s.reference.unwrap_or_default(),
                        notes: s.notes.unwrap_or_default(),
                        speakers: s.speakers.iter().map(|p| number(p)).collect(),
                    }
                }),
            }
        })
        .collect();
    let input = MeetingInput {
        org: b.org,
        kind: b.kind,
        date,
        chair: b.chair.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(number),
        attendees: b.attendees.iter().map(|p| number(p)).collect(),
        absentees: b.absentees.into_iter().map(|a| (number(&a.id_number), a.reason)).collect(),
        agenda,
    };
    (input, errs)
}

pub(super) async fn create(State(st): State<AppState>, api: ApiCtx, body: Bytes) -> ApiResult<Response> {
    object_body(&body)?;
    let b: MeetingBody = serde_json::from_slice(&body).map_err(|e| {
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
        async || store::check(tx.conn(), tx.scope(), &input).await,
        async || store::create(&tx, &input).await,
    )
    .await;
    match result {
        Ok(m) => {
            tx.commit().await?;
            let body = serde_json::json!({ "id": m.id, "first_item_compliant": m.compliant });
            Ok((StatusCode::CREATED, Json(body)).into_response())
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
) -> ApiResult<Json<ListJson<MeetingJson>>> {
    let q = Q(q);
    let limit = q.int("limit", 1..=500)?.unwrap_or(100) as u64;
    let year = q.int("year", 1..=9999)?.map(|y| y as i32);
    if let Some(y) = year {
        Period::new(y, None).map_err(bad)?;
    }
    let month = q.int("month", 1..=12)?.map(|m| m as u32);
    if month.is_some() && year.is_none() {
        return Err(bad("按月份查询时请同时给出 year"));
    }
    let org = match q.text("org") {
        // An organisation outside the token's scope is "not found", as an unknown one.
        Some(code) => Some(org::get_by_code(&st.db, &api.scope, code).await?.code),
        None => None,
    };
    let kind = q.labeled::<MeetingKind>("kind")?;
    let compliant = match q.text("compliant") {
        None => None,
        Some("true" | "1") => Some(true),
        Some("false" | "0") => Some(false),
        Some(_) => return Err(bad("参数 compliant 应为 true 或 false")),
    };
    let f = MeetingFilter { org, year, month, kind, compliant };
    let page = store::list(&st.db, &api.scope, &f, At::after(q.text("after")), limit).await.map_err(|e| match e {
        StoreError::Invalid(_) => bad("参数 after 应为上一页返回的 next"),
        other => other.into(),
    })?;
    Ok(Json(ListJson { items: page.items.into_iter().map(MeetingJson::from).collect(), next: page.next }))
}

/// The routes' part of the OpenAPI document.
pub(super) fn document(doc: &mut Value) {
    use serde_json::json;
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    doc["paths"]["/api/v1/meetings"] = json!({
        "get": {
            "summary": "党委（党组、党工委）会议列表（令牌范围内；会议日期新的在前）",
            "parameters": [
                { "name": "org", "in": "query", "schema": { "type": "string" }, "description": "组织代码：只取该单位自身的会议（不含下级）" },
                { "name": "year", "in": "query", "schema": { "type": "integer", "minimum": 1990, "maximum": 2100 }, "description": "会议年份" },
                { "name": "month", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 12 }, "description": "会议月份（须同时给出 year）" },
                { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["committee", "leading_group", "working_committee"] } },
                { "name": "compliant", "in": "query", "schema": { "type": "boolean" }, "description": "第一议题是否为理论学习" },
                { "name": "after", "in": "query", "schema": { "type": "string" }, "description": "上一页返回的 next" },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 } }
            ],
            "responses": {
                "200": { "description": "成功", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["items", "next"],
                    "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/Meeting" } }, "next": { "type": ["string", "null"] } } } } } },
                "400": err("参数有误"), "401": err("缺少或无效的接口令牌"), "404": err("组织不存在或不在令牌的范围内")
            }
        },
        "post": {
            "summary": "登记一次党委（党组、党工委）会议及其议题",
            "description": "org 为召开会议的单位的组织代码（须在令牌范围内）；kind：committee（党委会议）、leading_group（党组会议）、working_committee（党工委会议）；date 为 YYYY-MM-DD，不能晚于今天；同一单位同一天同类会议只登记一次。chair、attendees、study.lead、study.speakers、absentees[].id_number 为身份证号，须为该单位登记的人员。agenda 按顺序列出议题，至少一项；带 study 的议题为理论学习，study 须有 title、source（speech 最新重要讲话、instruction 重要指示批示精神、original 原文原著、decision 中央重大决策部署）和 lead，form 为 lead_reading（领学，默认）、relay（传达）或 discussion（研讨）。第一项议题没有 study 的会议照常登记，first_item_compliant 为 false（第一议题不合规）。任何一处有误则整体拒绝（422，fields 列出全部问题），不写入任何数据。",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/MeetingInput" } } } },
            "responses": {
                "201": { "description": "已登记", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["id", "first_item_compliant"],
                    "properties": { "id": { "type": "integer" }, "first_item_compliant": { "type": "boolean" } } } } } },
                "400": err("JSON 格式或字段有误"), "401": err("缺少或无效的接口令牌"), "403": err("只读令牌不能写入"),
                "409": err("与其他用户同时提交的数据冲突"), "422": err("填写内容有误，未写入（fields 列出全部问题）")
            }
        }
    });
    let study = json!({ "type": "object", "required": ["title", "source", "lead"], "additionalProperties": false, "properties": {
        "title": { "type": "string", "maxLength": 200, "description": "所学讲话、文件或篇目" },
        "source": { "type": "string", "enum": ["speech", "instruction", "original", "decision"] },
        "lead": { "type": "string", "description": "领学人身份证号（主要负责同志或一名班子成员）" },
        "form": { "type": "string", "enum": ["lead_reading", "relay", "discussion"], "default": "lead_reading" },
        "reference": { "type": "string", "maxLength": 500, "description": "出处" },
        "notes": { "type": "string", "maxLength": 20000, "description": "研讨记录" },
        "speakers": { "type": "array", "items": { "type": "string" }, "description": "研讨发言人身份证号" } } });
    doc["components"]["schemas"]["MeetingInput"] = json!({
        "type": "object", "required": ["org", "kind", "date", "chair", "agenda"], "additionalProperties": false, "properties": {
            "org": { "type": "string" },
            "kind": { "type": "string", "enum": ["committee", "leading_group", "working_committee"] },
            "date": { "type": "string", "format": "date" },
            "chair": { "type": "string", "description": "主持人身份证号" },
            "attendees": { "type": "array", "items": { "type": "string" }, "description": "出席人员身份证号" },
            "absentees": { "type": "array", "items": { "type": "object", "required": ["id_number", "reason"], "properties": {
                "id_number": { "type": "string" }, "reason": { "type": "string", "maxLength": 100 } } }, "description": "缺席人员及原因" },
            "agenda": { "type": "array", "minItems": 1, "items": { "type": "object", "additionalProperties": false, "properties": {
                "title": { "type": "string", "maxLength": 200 }, "study": study } } } } });
    doc["components"]["schemas"]["Meeting"] = json!({
        "type": "object", "required": ["id", "org", "kind", "date", "chair", "first_item_compliant"], "properties": {
            "id": { "type": "integer" }, "org": { "type": "string" }, "org_name": { "type": "string" },
            "kind": { "type": "string" }, "date": { "type": "string", "format": "date" },
            "chair": { "type": "string", "description": "主持人身份证号" },
            "first_item": { "type": "string", "description": "第一项议题（理论学习时为学习内容）" },
            "first_item_compliant": { "type": "boolean" },
            "study_source": { "type": ["string", "null"] },
            "items": { "type": "integer", "description": "议题数" },
            "closed": { "type": "boolean", "description": "记录已封存（已归档或召开超过30天）" } } });
}
