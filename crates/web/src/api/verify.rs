//! Certificate verification in the API: `GET /api/v1/verify/{code}`, public like the
//! `/verify/<code>` page and answering the same facts — the masked name, the class or year,
//! the hours, the issuer, the date and whether the certificate stands — and nothing else.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use xuepei_domain::training::certificate::CodeError;

use crate::AppState;
use crate::error::AppResult;
use crate::pages::certificates::{UNKNOWN, Verification, verification};

pub(super) async fn get(State(st): State<AppState>, Path(typed): Path<String>) -> AppResult<Response> {
    let refuse = |status: StatusCode, code: &str, message: String| {
        (status, Json(json!({ "error": { "code": code, "message": message } }))).into_response()
    };
    Ok(match verification(&st, &typed).await? {
        Verification::Found(v) => Json(json!({
            "code": v.code,
            "kind": v.kind.code(),
            "kind_label": v.kind_label,
            "name": v.name,
            "title": v.title,
            "period": v.period,
            "hours": v.hours,
            "issuer": v.issuer,
            "issued_on": v.issued_on.to_string(),
            "valid": v.valid,
            "state": if v.valid { "valid" } else { "revoked" },
            "revoked_on": v.revoked_on.map(|d| d.to_string()),
        }))
        .into_response(),
        Verification::Bad(e @ CodeError::Malformed) => refuse(StatusCode::BAD_REQUEST, "malformed_code", e.to_string()),
        Verification::Bad(e @ CodeError::Altered) => refuse(StatusCode::BAD_REQUEST, "altered_code", e.to_string()),
        Verification::Unknown => refuse(StatusCode::NOT_FOUND, "not_found", UNKNOWN.to_owned()),
    })
}

pub(super) fn document(doc: &mut Value) {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    doc["paths"]["/api/v1/verify/{code}"] = json!({ "get": {
        "summary": "证书验证（公开，无需令牌）：结业证书或学时证明的真伪和状态",
        "description": "与扫码核验页 /verify/{code} 给出相同的信息：隐去部分姓名的持证人、班次或年度、学时、颁发单位、颁发日期、是否有效。code 为证书上印的18位编号，字母不区分大小写，短横线可省略。编号格式不对返回 400 malformed_code；校验位不符（编号被改动）返回 400 altered_code；未颁发过的编号返回 404 not_found。",
        "security": [],
        "parameters": [{ "name": "code", "in": "path", "required": true, "schema": { "type": "string" } }],
        "responses": {
            "200": { "description": "查到证书（valid 为 false 表示已撤销）", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/CertificateVerification" } } } },
            "400": err("编号格式不对（malformed_code）或校验不符（altered_code）"),
            "404": err("未颁发过此编号的证书（not_found）")
        }
    } });
    doc["components"]["schemas"]["CertificateVerification"] = json!({ "type": "object",
        "required": ["code", "kind", "name", "title", "hours", "issuer", "issued_on", "valid", "state"], "properties": {
        "code": { "type": "string", "description": "证书编号（每4位一组）" },
        "kind": { "type": "string", "enum": ["completion", "hours"], "description": "completion 结业证书，hours 学时证明" },
        "kind_label": { "type": "string" },
        "name": { "type": "string", "description": "持证人姓名，隐去部分" },
        "title": { "type": "string", "description": "培训班次名称，或学时证明的年度" },
        "period": { "type": "string" },
        "hours": { "type": "string", "description": "学时，如 40 或 37.5" },
        "issuer": { "type": "string" },
        "issued_on": { "type": "string", "format": "date" },
        "valid": { "type": "boolean" },
        "state": { "type": "string", "enum": ["valid", "revoked"] },
        "revoked_on": { "type": ["string", "null"], "format": "date" } } });
}
