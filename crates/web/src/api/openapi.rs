//! The OpenAPI 3 document of the API, built here beside the routes it describes.

use axum::Json;
use serde_json::{Value, json};

fn error_response(desc: &str) -> Value {
    json!({ "description": desc, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn list_params(extra: &[(&str, &str)]) -> Value {
    let mut p = vec![
        json!({ "name": "q", "in": "query", "schema": { "type": "string" }, "description": "名称（或代码、身份证号）开头" }),
        json!({ "name": "under", "in": "query", "schema": { "type": "integer", "minimum": 1 }, "description": "只取该组织及其下级" }),
        json!({ "name": "after", "in": "query", "schema": { "type": "string" }, "description": "上一页返回的 next" }),
        json!({ "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 } }),
    ];
    for (name, desc) in extra {
        p.push(json!({ "name": name, "in": "query", "schema": { "type": "string" }, "description": desc }));
    }
    Value::Array(p)
}

fn import_op(what: &str, summary: &str) -> Value {
    json!({
        "summary": summary,
        "description": format!("请求体为 .xlsx/.xls/.csv 文件（任意非 JSON 的 Content-Type），或 JSON {{\"rows\": [{{…}}]}}，字段同{what}导入模板；已有记录中未提供的字段保持不变，提供的空值则清空，因此同一次提交的各行须包含相同的字段。全部行无误才写入；dry_run=true 只检查。"),
        "parameters": [
            { "name": "dry_run", "in": "query", "schema": { "type": "boolean", "default": false } },
            { "name": "filename", "in": "query", "schema": { "type": "string" }, "description": "文件名（记入审计日志）" }
        ],
        "requestBody": { "required": true, "content": {
            "application/json": { "schema": { "$ref": "#/components/schemas/ImportRows" } },
            "application/octet-stream": { "schema": { "type": "string", "format": "binary" } }
        } },
        "responses": {
            "200": { "description": "导入（或预检）成功", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ImportReport" } } } },
            "422": { "description": "有错误行，未写入任何数据", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ImportReport" } } } },
            "400": error_response("文件或请求格式有误"),
            "401": error_response("缺少或无效的接口令牌"),
            "403": error_response("只读令牌不能导入"),
            "413": error_response("超过上传大小限制")
        }
    })
}

fn get_op(summary: &str, schema: &str) -> Value {
    json!({
        "summary": summary,
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
        "responses": {
            "200": { "description": "成功", "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } },
            "401": error_response("缺少或无效的接口令牌"),
            "404": error_response("不存在或不在令牌的范围内")
        }
    })
}

fn list_op(summary: &str, schema: &str, extra: &[(&str, &str)]) -> Value {
    json!({
        "summary": summary,
        "parameters": list_params(extra),
        "responses": {
            "200": { "description": "成功", "content": { "application/json": { "schema": {
                "type": "object", "required": ["items", "next"],
                "properties": { "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{schema}") } }, "next": { "type": ["string", "null"] } }
            } } } },
            "400": error_response("参数有误"),
            "401": error_response("缺少或无效的接口令牌")
        }
    })
}

fn campaign_ops() -> (Value, Value) {
    let list = json!({
        "summary": "轮训工作列表（本范围发布的，及培训范围包含本范围的；新的在前）",
        "parameters": [
            { "name": "after", "in": "query", "schema": { "type": "string" }, "description": "上一页返回的 next" },
            { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 } }
        ],
        "responses": {
            "200": { "description": "成功", "content": { "application/json": { "schema": {
                "type": "object", "required": ["items", "next"],
                "properties": { "items": { "type": "array", "items": { "$ref": "#/components/schemas/Campaign" } }, "next": { "type": ["string", "null"] } }
            } } } },
            "400": error_response("参数有误"),
            "401": error_response("缺少或无效的接口令牌")
        }
    });
    let create = json!({
        "summary": "发布轮训工作",
        "description": "issuer 为发文单位的组织代码，须在令牌范围内，默认为令牌范围的根组织；target.orgs 为培训范围（组织代码，须为发文单位或其下级，默认为发文单位）。培训类别 kind：rotation（集中轮训）、winter（冬训）、thematic（专题培训）；层级 level：province、city、county、unit。未提供 quotas 时采用文件默认的比例要求，max_leave_fraction 默认 1/7。日期为 YYYY-MM-DD。任何一处有误则整体拒绝（422，fields 列出全部问题），不写入任何数据。",
        "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CampaignInput" } } } },
        "responses": {
            "201": { "description": "已发布", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Campaign" } } } },
            "400": error_response("JSON 格式或字段有误"),
            "401": error_response("缺少或无效的接口令牌"),
            "403": error_response("只读令牌不能写入"),
            "409": error_response("与其他用户同时提交的数据冲突"),
            "422": error_response("填写内容有误，未写入（fields 列出全部问题）")
        }
    });
    (list, create)
}

fn campaign_schemas() -> (Value, Value) {
    let target = json!({ "type": "object", "properties": {
        "orgs": { "type": "array", "items": { "type": "string" }, "description": "组织代码（含其下级）" },
        "sectors": { "type": "array", "items": { "type": "string" }, "description": "领域代码" },
        "roles": { "type": "array", "items": { "type": "string" }, "description": "班子职务代码" },
        "rank_levels": { "type": "array", "items": { "type": "string" }, "description": "职级代码" } } });
    let quota = json!({ "type": "object", "required": ["name", "level", "min_percent"], "properties": {
        "name": { "type": "string" }, "level": { "type": "string", "enum": ["province", "city", "county", "unit"] },
        "min_percent": { "type": "number", "minimum": 0, "maximum": 100 }, "group": { "oneOf": [{ "$ref": "#/components/schemas/Target" }, { "type": "null" }] } } });
    let input = json!({ "type": "object", "required": ["title", "kind", "start", "end"], "additionalProperties": false, "properties": {
        "title": { "type": "string", "maxLength": 200 }, "doc_number": { "type": ["string", "null"], "maxLength": 60 },
        "kind": { "type": "string", "enum": ["rotation", "winter", "thematic"] }, "issuer": { "type": ["string", "null"], "description": "发文单位组织代码" },
        "start": { "type": "string", "format": "date" }, "end": { "type": "string", "format": "date" },
        "plan_deadline": { "type": ["string", "null"], "format": "date", "description": "实施方案报备截止日期，不晚于结束日期" },
        "target": { "$ref": "#/components/schemas/Target" },
        "quotas": { "type": "array", "items": { "$ref": "#/components/schemas/Quota" } },
        "max_leave_fraction": { "type": "string", "description": "请假上限占本班总学时的比例，如 1/7" },
        "batch_lengths": { "type": "array", "description": "每期天数规则，按顺序第一条符合的适用；未提供时采用文件默认", "items": { "type": "object", "required": ["min_days", "max_days"], "properties": {
            "name": { "type": "string" }, "group": { "$ref": "#/components/schemas/Target" }, "min_days": { "type": "integer", "minimum": 1 }, "max_days": { "type": "integer", "maximum": 366 } } } },
        "modes": { "type": "array", "items": { "type": "string", "enum": ["lecture", "experience", "case", "site_visit", "discussion", "elective"] }, "description": "允许的教学方式，默认全部" },
        "topics": { "type": "array", "items": { "type": "string", "maxLength": 200 }, "description": "轮训内容，默认为文件所列五项" },
        "materials": { "type": "array", "items": { "type": "string", "maxLength": 200 }, "description": "学习材料" } } });
    let campaign = json!({ "type": "object", "required": ["id", "title", "kind", "issuer", "issuer_name", "start", "end", "target", "quotas", "batch_lengths", "max_leave_fraction"], "properties": {
        "id": { "type": "integer" }, "title": { "type": "string" }, "doc_number": { "type": ["string", "null"] },
        "kind": { "type": "string" }, "issuer": { "type": "string" }, "issuer_name": { "type": "string" },
        "start": { "type": "string", "format": "date" }, "end": { "type": "string", "format": "date" }, "plan_deadline": { "type": ["string", "null"], "format": "date" },
        "target": { "$ref": "#/components/schemas/Target" }, "quotas": { "type": "array", "items": { "$ref": "#/components/schemas/Quota" } },
        "batch_lengths": { "type": "array", "items": { "type": "object", "required": ["name", "min_days", "max_days"], "properties": {
            "name": { "type": "string" }, "group": { "$ref": "#/components/schemas/Target" }, "min_days": { "type": "integer" }, "max_days": { "type": "integer" } } } },
        "max_leave_fraction": { "type": "string" }, "modes": { "type": "array", "items": { "type": "string" } },
        "topics": { "type": "array", "items": { "type": "string" } }, "materials": { "type": "array", "items": { "type": "string" } },
        "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" } } });
    let schemas = json!({ "Target": target, "Quota": quota, "CampaignInput": input });
    (schemas, campaign)
}

pub fn build() -> Value {
    let mut doc = base();
    let (list, create) = campaign_ops();
    doc["paths"]["/api/v1/campaigns"] = json!({ "get": list, "post": create });
    doc["paths"]["/api/v1/campaigns/{id}"] = json!({ "get": get_op("一项轮训工作（本范围可见的）", "Campaign") });
    let (schemas, campaign) = campaign_schemas();
    for (k, v) in schemas.as_object().into_iter().flatten() {
        doc["components"]["schemas"][k] = v.clone();
    }
    doc["components"]["schemas"]["Campaign"] = campaign;
    super::coverage::document(&mut doc);
    super::filings::document(&mut doc);
    super::bases::document(&mut doc);
    super::verify::document(&mut doc);
    super::classes::document(&mut doc);
    super::enrolments::document(&mut doc);
    super::materials::document(&mut doc);
    super::study_logs::document(&mut doc);
    super::study::document(&mut doc);
    super::meetings::document(&mut doc);
    super::study_groups::document(&mut doc);
    // Every registered kind's import, described from its registration.
    for kind in crate::kinds::registry() {
        let what = kind.noun();
        doc["paths"][kind.api_import_path()] = json!({ "post": import_op(what, &format!("导入{what}")) });
    }
    doc
}

fn base() -> Value {
    json!({
        "openapi": "3.1.0",
        "info": { "title": "学培 xuepei 接口", "version": env!("CARGO_PKG_VERSION"), "description": "组织机构和人员数据的查询与导入。令牌由管理员在“系统管理—接口令牌”签发，只能访问签发范围内的数据。" },
        "servers": [{ "url": "/" }],
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/orgs": { "get": list_op("组织列表（按组织代码排序）", "Org", &[("sector", "领域代码"), ("kind", "组织类别代码"), ("include_inactive", "是否包含已撤销（true/false）")]) },
            "/api/v1/orgs/{id}": { "get": get_op("一个组织", "Org") },
            "/api/v1/people": { "get": list_op("人员列表", "Person", &[("sector", "所在组织的领域代码"), ("role", "身份代码"), ("rank", "职级代码"), ("sort", "org（默认）或 name")]) },
            "/api/v1/people/{id}": { "get": get_op("一名人员", "Person") }
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "description": "接口令牌，形如 xp_…" } },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object", "required": ["code", "message"], "properties": { "code": { "type": "string" }, "message": { "type": "string" }, "fields": { "type": ["array", "null"] } } } } },
                "Org": { "type": "object", "required": ["id", "code", "name", "kind", "sector", "active", "person_count", "subtree_people", "subtree_orgs"], "properties": {
                    "id": { "type": "integer" }, "code": { "type": "string" }, "name": { "type": "string" }, "short_name": { "type": ["string", "null"] },
                    "kind": { "type": "string" }, "sector": { "type": "string" }, "parent_id": { "type": ["integer", "null"] }, "authority_org_id": { "type": ["integer", "null"] },
                    "active": { "type": "boolean" }, "person_count": { "type": "integer" }, "subtree_people": { "type": "integer" }, "subtree_orgs": { "type": "integer" } } },
                "Person": { "type": "object", "required": ["id", "name", "gender", "birth_date", "id_number", "roles", "org_id"], "properties": {
                    "id": { "type": "integer" }, "name": { "type": "string" }, "gender": { "type": "string" }, "birth_date": { "type": "string", "format": "date" },
                    "id_number": { "type": "string" }, "phone": { "type": ["string", "null"] }, "party_joined_on": { "type": ["string", "null"], "format": "date" },
                    "position": { "type": ["string", "null"] }, "rank_level": { "type": ["string", "null"] }, "roles": { "type": "array", "items": { "type": "string" } },
                    "org_id": { "type": "integer" }, "managing_org_id": { "type": ["integer", "null"] },
                    "ethnicity": { "type": ["string", "null"], "description": "民族，如“汉族”" }, "native_place": { "type": ["string", "null"], "description": "籍贯" },
                    "education": { "type": ["string", "null"], "description": "学历" }, "degree": { "type": ["string", "null"], "description": "学位" },
                    "work_started_on": { "type": ["string", "null"], "format": "date", "description": "参加工作时间" },
                    "position_since": { "type": ["string", "null"], "format": "date", "description": "任现职时间" } } },
                "ImportRows": { "type": "object", "required": ["rows"], "properties": { "rows": { "type": "array", "items": { "type": "object", "additionalProperties": { "type": ["string", "number", "null"] } } } } },
                "ImportReport": { "type": "object", "required": ["dry_run", "committed", "rows", "inserted", "updated", "unchanged", "error_count", "errors", "summary"], "properties": {
                    "dry_run": { "type": "boolean" }, "committed": { "type": "boolean" }, "rows": { "type": "integer" }, "inserted": { "type": "integer" },
                    "updated": { "type": "integer" }, "unchanged": { "type": "integer" }, "error_count": { "type": "integer" },
                    "errors": { "type": "array", "items": { "type": "object", "required": ["row", "message"], "properties": { "row": { "type": "integer" }, "column": { "type": ["string", "null"] }, "message": { "type": "string" } } } },
                    "notices": { "type": "array" }, "summary": { "type": "string" } } }
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}
