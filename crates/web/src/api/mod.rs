//! The JSON API under `/api/v1/` for other government systems: organisations and people
//! (list with the page filters, read, import), authenticated by API tokens that an
//! administrator issues within a scope. Errors are `{"error": {"code", "message"}}` with
//! Chinese messages. The OpenAPI document at `/api/v1/openapi.json` describes exactly these
//! routes (a test holds them together).

mod bases;
mod campaigns;
mod classes;
mod coverage;
mod enrolments;
mod filings;
mod materials;
mod meetings;
mod openapi;
mod study;
mod study_groups;
mod study_logs;
mod verify;

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::{OrgKind, Sector};
use xuepei_domain::people::{RankLevel, Role};
use xuepei_office::read::Source;
use xuepei_store::org::{self, At, Org, OrgFilter};
use xuepei_store::people::{self, Person, PersonFilter, PersonSort};

use crate::AppState;
use crate::auth::ApiCtx;
use crate::error::AppError;
use crate::jobs::{self, ImportFailure, ImportJob, ImportKind, ImportOutcome};
use crate::kinds::registry;
use crate::routes::{Access, Routes};

pub fn routes(r: Routes) -> Routes {
    let read = Access::Api { write: false };
    let write = Access::Api { write: true };
    let mut r = r
        .get("/api/v1/openapi.json", Access::Public, openapi::document)
        .get("/api/v1/orgs", read, list_orgs)
        .get("/api/v1/orgs/{id}", read, get_org)
        .get("/api/v1/people", read, list_people)
        .get("/api/v1/people/{id}", read, get_person)
        .get("/api/v1/campaigns", read, campaigns::list)
        .post("/api/v1/campaigns", write, campaigns::create)
        .get("/api/v1/campaigns/{id}", read, campaigns::get)
        .get("/api/v1/classes", read, classes::list)
        .post("/api/v1/classes", write, classes::create)
        .get("/api/v1/classes/{id}", read, classes::get)
        .get("/api/v1/classes/{id}/sessions", read, classes::sessions)
        .post("/api/v1/classes/{id}/sessions", write, classes::add_session)
        .get("/api/v1/classes/{id}/enrolments", read, enrolments::list)
        .post("/api/v1/classes/{id}/enrolments", write, enrolments::enrol)
        .post("/api/v1/classes/{id}/leave", write, enrolments::leave)
        .post("/api/v1/classes/{id}/complete", write, enrolments::complete)
        .post("/api/v1/sessions/{id}/attendance", write, enrolments::attendance)
        .get("/api/v1/campaigns/{id}/coverage", read, coverage::get)
        .get("/api/v1/campaigns/{id}/filings", read, filings::list)
        .get("/api/v1/bases", read, bases::list)
        .get("/api/v1/verify/{code}", Access::Public, verify::get)
        .get("/api/v1/people/{id}/credits", read, coverage::credits)
        .get("/api/v1/study-logs", read, study_logs::list)
        .post("/api/v1/study-logs", write, study_logs::create)
        .get("/api/v1/study-groups", read, study_groups::list)
        .get("/api/v1/study-groups/{id}/sessions", read, study_groups::sessions)
        .post("/api/v1/study-groups/{id}/sessions", write, study_groups::create_session)
        .get("/api/v1/study/compliance", read, study::compliance)
        .get("/api/v1/study/oversight", read, study::oversight)
        .get("/api/v1/materials", read, materials::list)
        .post("/api/v1/materials", write, materials::create)
        .get("/api/v1/materials/{id}", read, materials::get)
        .get("/api/v1/search", read, materials::search_docs)
        .get("/api/v1/meetings", read, meetings::list)
        .post("/api/v1/meetings", write, meetings::create);
    // Every registered kind is imported at its own address.
    for &kind in registry() {
        r = r.post(kind.api_import_path(), write, move |st, api, q, h, body| import(st, api, q, h, body, kind));
    }
    r
}

/// An API failure, always JSON.
pub struct ApiError(AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.0.into_json()
    }
}

type ApiResult<T> = Result<T, ApiError>;

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError(AppError::BadRequest(msg.into()))
}

/// Query parameters, strictly: unknown values are errors, not ignored.
struct Q(HashMap<String, String>);

impl Q {
    /// A non-empty, trimmed parameter; one holding control characters is ignored, as on
    /// the pages (PostgreSQL refuses a NUL in any text value).
    fn text(&self, k: &str) -> Option<&str> {
        self.0.get(k).map(|s| s.trim()).filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
    }

    fn labeled<T: Labeled>(&self, k: &str) -> ApiResult<Option<T>> {
        match self.text(k) {
            None => Ok(None),
            Some(v) => T::from_code(v).map(Some).ok_or_else(|| {
                let codes: Vec<&str> = T::ALL.iter().map(|x| x.code()).collect();
                bad(format!("参数 {k} 的取值“{v}”无效，可选：{}", codes.join("、")))
            }),
        }
    }

    fn int(&self, k: &str, range: std::ops::RangeInclusive<i64>) -> ApiResult<Option<i64>> {
        match self.text(k) {
            None => Ok(None),
            Some(v) => v
                .parse::<i64>()
                .ok()
                .filter(|n| range.contains(n))
                .map(Some)
                .ok_or_else(|| bad(format!("参数 {k} 应为 {} 至 {} 之间的整数", range.start(), range.end()))),
        }
    }

    fn flag(&self, k: &str) -> ApiResult<bool> {
        match self.text(k) {
            None | Some("false" | "0") => Ok(false),
            Some("true" | "1") => Ok(true),
            Some(_) => Err(bad(format!("参数 {k} 应为 true 或 false"))),
        }
    }
}

fn path_id(s: &str) -> ApiResult<i64> {
    s.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or_else(|| ApiError(AppError::NotFound("不存在或不在令牌的范围内".into())))
}

#[derive(Serialize)]
pub struct OrgJson {
    id: i64,
    code: String,
    name: String,
    short_name: Option<String>,
    kind: &'static str,
    sector: &'static str,
    parent_id: Option<i64>,
    authority_org_id: Option<i64>,
    active: bool,
    person_count: i64,
    subtree_people: i64,
    subtree_orgs: i64,
}

impl From<Org> for OrgJson {
    fn from(o: Org) -> Self {
        OrgJson {
            id: o.id,
            code: o.code,
            name: o.name,
            short_name: o.short_name,
            kind: o.kind.code(),
            sector: o.sector.code(),
            parent_id: o.parent_id,
            authority_org_id: o.authority_org_id,
            active: o.active,
            person_count: o.person_count,
            subtree_people: o.subtree_people,
            subtree_orgs: o.subtree_orgs,
        }
    }
}

#[derive(Serialize)]
pub struct PersonJson {
    id: i64,
    name: String,
    gender: &'static str,
    birth_date: String,
    id_number: String,
    phone: Option<String>,
    party_joined_on: Option<String>,
    position: Option<String>,
    rank_level: Option<&'static str>,
    roles: Vec<&'static str>,
    org_id: i64,
    managing_org_id: Option<i64>,
    ethnicity: Option<String>,
    native_place: Option<String>,
    education: Option<String>,
    degree: Option<String>,
    work_started_on: Option<String>,
    position_since: Option<String>,
}

impl From<Person> for PersonJson {
    fn from(p: Person) -> Self {
        PersonJson {
            id: p.id,
            name: p.name,
            gender: p.gender.code(),
            birth_date: p.birth_date.to_string(),
            id_number: p.id_number,
            phone: p.phone,
            party_joined_on: p.party_joined_on.map(|d| d.to_string()),
            position: p.position,
            rank_level: p.rank_level.map(|r| r.code()),
            roles: p.roles.iter().map(|r| r.code()).collect(),
            org_id: p.org_id,
            managing_org_id: p.managing_org_id,
            ethnicity: p.profile.ethnicity,
            native_place: p.profile.native_place,
            education: p.profile.education,
            degree: p.profile.degree,
            work_started_on: p.profile.work_started_on.map(|d| d.to_string()),
            position_since: p.profile.position_since.map(|d| d.to_string()),
        }
    }
}

#[derive(Serialize)]
struct ListJson<T> {
    items: Vec<T>,
    next: Option<String>,
}

async fn list_orgs(
    State(st): State<AppState>,
    api: ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ListJson<OrgJson>>> {
    let q = Q(q);
    let f = OrgFilter {
        q: q.text("q").map(str::to_owned),
        sector: q.labeled::<Sector>("sector")?,
        kind: q.labeled::<OrgKind>("kind")?,
        under: q.int("under", 1..=i64::MAX)?,
        include_inactive: q.flag("include_inactive")?,
    };
    let limit = q.int("limit", 1..=500)?.unwrap_or(100) as u64;
    let page = org::list(&st.db, &api.scope, &f, At::after(q.text("after")), limit).await?;
    Ok(Json(ListJson { items: page.items.into_iter().map(OrgJson::from).collect(), next: page.next }))
}

async fn get_org(State(st): State<AppState>, api: ApiCtx, Path(id): Path<String>) -> ApiResult<Json<OrgJson>> {
    Ok(Json(org::get(&st.db, &api.scope, path_id(&id)?).await?.into()))
}

async fn list_people(
    State(st): State<AppState>,
    api: ApiCtx,
    Query(q): Query<HashMap<String, String>>,
) -> ApiResult<Json<ListJson<PersonJson>>> {
    let q = Q(q);
    let f = PersonFilter {
        q: q.text("q").map(str::to_owned),
        sector: q.labeled::<Sector>("sector")?,
        role: q.labeled::<Role>("role")?,
        rank_level: q.labeled::<RankLevel>("rank")?,
        under: q.int("under", 1..=i64::MAX)?,
        direct: None,
    };
    let sort = match q.text("sort") {
        None | Some("org") => PersonSort::Org,
        Some("name") => PersonSort::Name,
        Some(v) => return Err(bad(format!("参数 sort 的取值“{v}”无效，可选：org、name"))),
    };
    let limit = q.int("limit", 1..=500)?.unwrap_or(100) as u64;
    let page = people::list(&st.db, &api.scope, &f, sort, At::after(q.text("after")), limit).await?;
    Ok(Json(ListJson { items: page.items.into_iter().map(|r| PersonJson::from(r.person)).collect(), next: page.next }))
}

async fn get_person(State(st): State<AppState>, api: ApiCtx, Path(id): Path<String>) -> ApiResult<Json<PersonJson>> {
    Ok(Json(people::get(&st.db, &api.scope, path_id(&id)?).await?.into()))
}

/// The body is a spreadsheet file (any content type but JSON) or JSON
/// `{"rows": [{"name": "…", "id_number": "…", …}]}` with the import's field keys.
async fn import(
    State(st): State<AppState>,
    api: ApiCtx,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
    kind: ImportKind,
) -> ApiResult<Response> {
    let q = Q(q);
    let dry_run = q.flag("dry_run")?;
    if body.len() > st.config.upload_limit {
        return Err(ApiError(AppError::TooLarge(format!(
            "请求内容超过上传大小限制（{}MB）",
            st.config.upload_limit / 1_048_576
        ))));
    }
    if body.is_empty() {
        return Err(bad("请求内容为空：请提交表格文件，或 JSON {\"rows\": [...]}"));
    }
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let result = if is_json {
        let rows = parse_rows(kind, &body)?;
        jobs::import_rows(&st.db, &api.scope, &api.actor, kind, rows, dry_run).await
    } else {
        let name = q.text("filename").unwrap_or("接口提交").to_owned();
        jobs::import(
            &st.db,
            &api.scope,
            &api.actor,
            ImportJob { kind, source: Source::Bytes(body.to_vec()), name, dry_run, settings: st.config.import.clone() },
        )
        .await
    };
    match result {
        Ok(outcome) => {
            let status = if outcome.report.is_ok() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
            Ok((status, Json(report_json(&outcome))).into_response())
        }
        Err(ImportFailure::File(m)) => Err(bad(m)),
        Err(ImportFailure::Store(e)) => Err(e.into()),
    }
}

/// `{"rows": [{…}]}` with string values (numbers are accepted as their text).
fn parse_rows(kind: ImportKind, body: &[u8]) -> ApiResult<Vec<HashMap<String, String>>> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| bad(format!("JSON 格式错误（第{}行第{}列）：请检查括号、引号和逗号", e.line(), e.column())))?;
    // `{"rows": [...]}`, or the array itself.
    let rows = v
        .as_array()
        .or_else(|| v.get("rows").and_then(Value::as_array))
        .ok_or_else(|| bad("JSON 中缺少数组 rows：应为 {\"rows\": [{…}, …]}"))?;
    if rows.len() > 100_000 {
        return Err(bad("一次最多提交100000行，请分批提交"));
    }
    let keys: Vec<&str> = kind.spec().columns.iter().map(|c| c.key).collect();
    let mut out = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        let obj = r.as_object().ok_or_else(|| bad(format!("rows 的第{}项应为对象", i + 1)))?;
        let mut m = HashMap::new();
        for (k, val) in obj {
            if !keys.contains(&k.as_str()) {
                return Err(bad(format!("rows 的第{}项含有未知字段“{k}”，可用字段：{}", i + 1, keys.join("、"))));
            }
            let text = match val {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Null => String::new(),
                _ => return Err(bad(format!("rows 的第{}项的字段“{k}”应为字符串", i + 1))),
            };
            m.insert(k.clone(), text);
        }
        out.push(m);
    }
    Ok(out)
}

fn report_json(o: &ImportOutcome) -> Value {
    let r = &o.report;
    serde_json::json!({
        "dry_run": r.dry_run,
        "committed": r.committed,
        "rows": r.rows,
        "inserted": r.inserted,
        "updated": r.updated,
        "unchanged": r.unchanged,
        "error_count": r.error_count,
        "errors": r.errors,
        "notices": r.notices,
        "summary": r.summary(),
    })
}
