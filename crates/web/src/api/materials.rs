//! Materials and full-text search in the API: add a material (`POST /api/v1/materials`),
//! list the token's scope's materials, read one, and search every indexed study text of
//! the scope (`GET /api/v1/search?q=`). Bad bodies and queries are refused with the reason.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use xuepei_domain::study::materials::{MaterialInput, MaterialKind};
use xuepei_store::materials::{self as store, Material, MaterialFilter};
use xuepei_store::org::At;
use xuepei_store::{StoreError, Tx, search};

use super::{ApiResult, ListJson, Q, bad, path_id};
use crate::AppState;
use crate::auth::ApiCtx;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MaterialBody {
    #[serde(default)]
    org: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    tags: Vec<String>,
}

const FIELDS: &str = "org、title、kind、source、date、body、tags";

/// A material with English codes.
#[derive(Serialize)]
pub struct MaterialJson {
    id: i64,
    org: String,
    org_name: String,
    title: String,
    kind: &'static str,
    source: String,
    date: String,
    body: String,
    tags: Vec<String>,
}

impl From<Material> for MaterialJson {
    fn from(m: Material) -> Self {
        MaterialJson {
            id: m.id,
            org: m.org_code,
            org_name: m.org_name,
            title: m.title,
            kind: m.kind.code(),
            source: m.source,
            date: m.date.to_string(),
            body: m.body,
            tags: m.tags,
        }
    }
}

pub(super) async fn create(State(st): State<AppState>, api: ApiCtx, body: Bytes) -> ApiResult<Response> {
    let b: MaterialBody = serde_json::from_slice(&body).map_err(|e| {
        bad(format!(
            "JSON 格式或字段有误（第{}行第{}列）：请检查括号、引号、字段名和取值类型。可用字段：{FIELDS}",
            e.line(),
            e.column()
        ))
    })?;
    // The API takes codes only; the pages and sheets also take Chinese labels.
    let kind = b.kind.trim();
    if !kind.is_empty() && MaterialKind::from_code(kind).is_none() {
        return Err(StoreError::Invalid(vec![xuepei_domain::validate::FieldError {
            field: "kind",
            message: format!("kind 的取值“{kind}”无效，可选：speech、document、book、video"),
        }])
        .into());
    }
    let input = MaterialInput {
        org: b.org,
        title: b.title,
        kind: b.kind,
        source: b.source,
        date: b.date,
        body: b.body,
        tags: b.tags,
    };
    let tx = Tx::begin(&st.db, &api.scope, &api.actor).await?;
    match store::create(&tx, &input).await {
        Ok(m) => {
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(serde_json::json!({ "id": m.id }))).into_response())
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
) -> ApiResult<Json<ListJson<MaterialJson>>> {
    let q = Q(q);
    let kind = match q.text("kind") {
        None => None,
        Some(k) => Some(
            MaterialKind::from_code(k)
                .ok_or_else(|| bad(format!("参数 kind 的取值“{k}”无效，可选：speech、document、book、video")))?,
        ),
    };
    let f = MaterialFilter {
        kind,
        tag: q.text("tag").map(str::to_owned),
        year: q.int("year", 1900..=2100)?.map(|y| y as i32),
        text: q.text("q").map(str::to_owned),
    };
    let limit = q.int("limit", 1..=500)?.unwrap_or(100) as u64;
    let after = q.text("after");
    if after.is_some_and(|a| a.parse::<i64>().is_err()) {
        return Err(bad("参数 after 应为上一页返回的 next"));
    }
    let page = store::list(&st.db, &api.scope, &f, At::after(after), limit).await?;
    Ok(Json(ListJson { items: page.items.into_iter().map(MaterialJson::from).collect(), next: page.next }))
}

pub(super) async fn get(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
) -> ApiResult<Json<MaterialJson>> {
    Ok(Json(store::read(&st.db, &api.scope, path_id(&id)?).await?.into()))
}

#[derive(Serialize)]
pub struct SearchItem {
    kind: String,
    id: i64,
    title: String,
    snippet: String,
}

#[derive(Serialize)]
pub struct SearchJson {
    items: Vec<SearchItem>,
    page: u64,
    has_next: bool,
}

/// `?q=TEXT[&kind=material][&page=N][&limit=N]`: ranked, within the token's scope.
pub(super) async fn search_docs(
    State(st): State<AppState>,
    api: ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<SearchJson>> {
    let raw = q.get("q").map(String::as_str).unwrap_or_default();
    let q = Q(q.clone());
    let limit = q.int("limit", 1..=50)?.unwrap_or(20) as u64;
    let max_page = (search::MAX_RESULTS as u64).div_ceil(limit) as i64;
    let page = q.int("page", 1..=max_page)?.unwrap_or(1) as u64;
    let r = search::search(&st.db, &api.scope, raw, q.text("kind"), page, limit).await?;
    Ok(Json(SearchJson {
        items: r
            .items
            .into_iter()
            .map(|h| SearchItem { kind: h.kind, id: h.id, title: h.title, snippet: h.snippet })
            .collect(),
        page: r.page,
        has_next: r.has_next,
    }))
}

/// The OpenAPI entries of these routes.
pub(super) fn document(doc: &mut serde_json::Value) {
    use serde_json::json;
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let text = json!({ "type": "string" });
    doc["paths"]["/api/v1/materials"] = json!({
        "get": {
            "summary": "学习资料列表（令牌范围内，新录入的在前）",
            "parameters": [
                { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["speech", "document", "book", "video"] } },
                { "name": "tag", "in": "query", "schema": { "type": "string" }, "description": "标签" },
                { "name": "year", "in": "query", "schema": { "type": "integer" }, "description": "发布年份" },
                { "name": "q", "in": "query", "schema": { "type": "string" }, "description": "标题或来源中的文字" },
                { "name": "after", "in": "query", "schema": { "type": "string" }, "description": "上一页返回的 next" },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 } }
            ],
            "responses": {
                "200": { "description": "成功", "content": { "application/json": { "schema": {
                    "type": "object", "required": ["items", "next"],
                    "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/Material" } }, "next": { "type": ["string", "null"] } } } } } },
                "400": err("参数有误"),
                "401": err("缺少或无效的接口令牌")
            }
        },
        "post": {
            "summary": "新增学习资料",
            "description": "org 为所属单位的组织代码（须在令牌范围内）；kind 为 speech（讲话）、document（文件）、book（书籍）、video（视频）；date 为 YYYY-MM-DD，不能晚于今天；tags 为标签数组（每个不超过20字，最多10个）。资料随即进入全文检索。",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/MaterialInput" } } } },
            "responses": {
                "201": { "description": "已新增", "content": { "application/json": { "schema": { "type": "object", "required": ["id"], "properties": { "id": { "type": "integer" } } } } } },
                "400": err("JSON 格式或字段有误"),
                "401": err("缺少或无效的接口令牌"),
                "403": err("只读令牌不能写入"),
                "422": err("内容有误（fields 列出每一处），未写入")
            }
        }
    });
    doc["paths"]["/api/v1/materials/{id}"] = json!({ "get": {
        "summary": "一份学习资料",
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
        "responses": {
            "200": { "description": "成功", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Material" } } } },
            "401": err("缺少或无效的接口令牌"),
            "404": err("不存在或不在令牌的范围内")
        }
    } });
    doc["paths"]["/api/v1/search"] = json!({ "get": {
        "summary": "全文检索（令牌范围内的学习资料、会议记录、研讨发言、心得体会、述学报告）",
        "description": "q 为检索词（不超过64个字）：至少两个连续汉字，或一个英文单词、数字；多个词用空格分开，须同时出现；引号、星号、AND/OR 等不作运算符。结果按相关度排列（标题命中在前，出现次数多的在前，日期新的在前），最多200条；snippet 为命中处附近的正文，已作 HTML 转义，命中的词用 <mark> 标出。kind 为 material（学习资料）、meeting（会议记录，含第一议题研讨记录）、speech（中心组研讨发言和记录）、study_log（学习记录）、reflection（心得体会）、report（调研和述学报告）。",
        "parameters": [
            { "name": "q", "in": "query", "required": true, "schema": { "type": "string", "maxLength": 64 } },
            { "name": "kind", "in": "query", "schema": { "type": "string", "enum": ["material", "meeting", "speech", "study_log", "reflection", "report"] } },
            { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1, "default": 1 } },
            { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 50, "default": 20 } }
        ],
        "responses": {
            "200": { "description": "成功", "content": { "application/json": { "schema": {
                "type": "object", "required": ["items"],
                "properties": {
                    "items": { "type": "array", "items": { "type": "object", "required": ["kind", "id", "title", "snippet"], "properties": {
                        "kind": { "type": "string", "enum": ["material", "meeting", "speech", "study_log", "reflection", "report"] }, "id": { "type": "integer" }, "title": text, "snippet": text } } },
                    "page": { "type": "integer" }, "has_next": { "type": "boolean" } } } } } },
            "400": err("参数有误"),
            "401": err("缺少或无效的接口令牌"),
            "422": err("检索词为空、过长或没有可检索的文字")
        }
    } });
    doc["components"]["schemas"]["MaterialInput"] = json!({ "type": "object", "required": ["org", "title", "kind", "date"], "properties": {
        "org": text, "title": text, "kind": { "type": "string", "enum": ["speech", "document", "book", "video"] },
        "source": text, "date": { "type": "string", "format": "date" }, "body": text,
        "tags": { "type": "array", "items": { "type": "string" } } } });
    doc["components"]["schemas"]["Material"] = json!({ "type": "object", "required": ["id", "org", "title", "kind", "date"], "properties": {
        "id": { "type": "integer" }, "org": text, "org_name": text, "title": text,
        "kind": { "type": "string", "enum": ["speech", "document", "book", "video"] },
        "source": text, "date": { "type": "string", "format": "date" }, "body": text,
        "tags": { "type": "array", "items": { "type": "string" } } } });
}
