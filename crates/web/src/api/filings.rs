//! Filing upward in the API: `GET /api/v1/campaigns/{id}/filings` — each organiser the
//! token's scope holds or receives from, its receiver, and each duty (plan, progress
//! reports, summary) with its deadline, state, when it was submitted and filed, and how
//! many days late. Codes are English, dates `YYYY-MM-DD`.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::{Value, json};
use xuepei_domain::labels::Labeled;
use xuepei_store::StoreError;
use xuepei_store::filings::{self as store, Board};

use super::{ApiResult, path_id};
use crate::AppState;
use crate::auth::ApiCtx;

#[derive(Serialize)]
struct DutyJson {
    kind: &'static str,
    /// The progress report's number (0 for a plan or summary).
    period: u32,
    deadline: String,
    /// `not_started` while nothing is written; otherwise the newest version's state.
    state: &'static str,
    version: Option<u32>,
    filed_version: Option<u32>,
    filing_id: Option<i64>,
    title: Option<String>,
    first_submitted_at: Option<String>,
    submitted_at: Option<String>,
    decided_at: Option<String>,
    comments: Option<String>,
    days_late: i64,
    late: bool,
}

#[derive(Serialize)]
struct FilerJson {
    org: String,
    org_name: String,
    receiver: String,
    receiver_name: String,
    late: usize,
    duties: Vec<DutyJson>,
}

#[derive(Serialize)]
pub(super) struct FilingsJson {
    campaign_id: i64,
    title: String,
    plan_deadline: String,
    summary_deadline: String,
    progress: String,
    filers: Vec<FilerJson>,
}

fn local(t: Option<chrono::DateTime<chrono::Utc>>) -> Option<String> {
    t.map(|t| xuepei_domain::time::local(t).format("%Y-%m-%dT%H:%M:%S+08:00").to_string())
}

impl From<Board> for FilingsJson {
    fn from(b: Board) -> Self {
        FilingsJson {
            campaign_id: b.campaign.id,
            title: b.campaign.title,
            plan_deadline: b.terms.plan_deadline.to_string(),
            summary_deadline: b.terms.summary_deadline.to_string(),
            progress: b.terms.progress,
            filers: b
                .rows
                .into_iter()
                .map(|r| FilerJson {
                    late: r.late(),
                    org: r.filer.org.code,
                    org_name: r.filer.org.name,
                    receiver: r.filer.receiver.code,
                    receiver_name: r.filer.receiver.name,
                    duties: r
                        .duties
                        .into_iter()
                        .map(|d| DutyJson {
                            kind: d.kind.code(),
                            period: d.period,
                            deadline: d.deadline.to_string(),
                            state: d.current.as_ref().map_or("not_started", |f| f.state.code()),
                            version: d.current.as_ref().map(|f| f.version),
                            filed_version: d.filed_version,
                            filing_id: d.current.as_ref().map(|f| f.id),
                            title: d.current.as_ref().map(|f| f.title.clone()),
                            first_submitted_at: local(d.first_submitted_at),
                            submitted_at: local(d.current.as_ref().and_then(|f| f.submitted_at)),
                            decided_at: local(d.current.as_ref().and_then(|f| f.decided_at)),
                            comments: d.current.as_ref().and_then(|f| f.comments.clone()),
                            days_late: d.days_late,
                            late: d.days_late > 0,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

pub(super) async fn list(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
) -> ApiResult<Json<FilingsJson>> {
    let today = xuepei_domain::time::today();
    let b = store::board(&st.db, &api.scope, path_id(&id)?, today).await.map_err(|e| match e {
        StoreError::NotFound(_) => StoreError::NotFound("轮训工作"),
        other => other,
    })?;
    Ok(Json(b.into()))
}

pub(super) fn document(doc: &mut Value) {
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    doc["paths"]["/api/v1/campaigns/{id}/filings"] = json!({ "get": {
        "summary": "轮训工作的备案情况：谁报送了什么、何时报送、状态、是否逾期",
        "description": "列出令牌范围内的报送单位（本范围的单位，或向本范围报送备案的单位）。每个单位的 duties 依次为实施方案（plan）、各期进度报告（progress，period 为期次）和工作总结（summary）；state 为 not_started（未起草）、draft（草稿）、submitted（已报送待备案）、returned（已退回修改）、filed（已备案）。days_late 按北京时间的日历天数计算：已报送的按首次报送日，未报送的按今天。",
        "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }],
        "responses": {
            "200": { "description": "成功", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Filings" } } } },
            "401": err("缺少或无效的接口令牌"),
            "404": err("不存在或不在令牌的范围内")
        }
    } });
    let text = json!({ "type": "string" });
    let opt = json!({ "type": ["string", "null"] });
    let when = json!({ "type": ["string", "null"], "format": "date-time" });
    let duty = json!({ "type": "object", "required": ["kind", "period", "deadline", "state", "days_late", "late"], "properties": {
        "kind": { "type": "string", "enum": ["plan", "progress", "summary"] }, "period": { "type": "integer" },
        "deadline": { "type": "string", "format": "date" },
        "state": { "type": "string", "enum": ["not_started", "draft", "submitted", "returned", "filed"] },
        "version": { "type": ["integer", "null"] }, "filed_version": { "type": ["integer", "null"] },
        "filing_id": { "type": ["integer", "null"] }, "title": opt, "comments": opt,
        "first_submitted_at": when, "submitted_at": when, "decided_at": when,
        "days_late": { "type": "integer" }, "late": { "type": "boolean" } } });
    let filer = json!({ "type": "object", "required": ["org", "org_name", "receiver", "receiver_name", "late", "duties"], "properties": {
        "org": { "type": "string", "description": "报送单位组织代码" }, "org_name": text,
        "receiver": { "type": "string", "description": "接收备案单位组织代码" }, "receiver_name": text,
        "late": { "type": "integer", "description": "逾期事项数" },
        "duties": { "type": "array", "items": duty } } });
    doc["components"]["schemas"]["Filings"] = json!({ "type": "object",
        "required": ["campaign_id", "title", "plan_deadline", "summary_deadline", "progress", "filers"],
        "properties": {
            "campaign_id": { "type": "integer" }, "title": text, "progress": text,
            "plan_deadline": { "type": "string", "format": "date" }, "summary_deadline": { "type": "string", "format": "date" },
            "filers": { "type": "array", "items": filer } } });
}
