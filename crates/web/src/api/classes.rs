//! Classes in the API: create one (`POST`), list those visible to the token's scope, read
//! one, and its timetable (read, add a session). Codes are English; dates `YYYY-MM-DD`;
//! every problem of a body is reported at once (422) and nothing is written.

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use xuepei_domain::labels::Labeled;
use xuepei_domain::training::rules::TargetFilter;
use xuepei_domain::training::{ClassLevel, Fraction, Hours};
use xuepei_domain::validate::FieldError;
use xuepei_store::classes::sessions::{self, PoolRef, Session, SessionInput};
use xuepei_store::classes::{self as store, Class, ClassFilter, ClassInput, ClassStatus};
use xuepei_store::org::{self, At};
use xuepei_store::{StoreError, Tx};

use super::{ApiResult, ListJson, Q, bad, path_id};
use crate::AppState;
use crate::auth::ApiCtx;
use crate::pages::campaigns::{parse_codes, parse_date};
use crate::pages::classes::{checked_class, checked_session};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct GroupBody {
    #[serde(default)]
    sectors: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    rank_levels: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllocationBody {
    #[serde(default)]
    org: String,
    places: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClassBody {
    campaign_id: Option<i64>,
    #[serde(default)]
    title: String,
    organiser: Option<String>,
    #[serde(default)]
    level: String,
    #[serde(default)]
    start: String,
    #[serde(default)]
    end: String,
    capacity: Option<i64>,
    institution: Option<String>,
    institution_kind: Option<String>,
    institution_org: Option<String>,
    #[serde(default)]
    allocations: Vec<AllocationBody>,
    target_group: Option<GroupBody>,
    head_teacher: Option<String>,
    max_leave: Option<String>,
    checkin_before_min: Option<i64>,
    checkin_after_min: Option<i64>,
}

const FIELDS: &str = "campaign_id、title、organiser、level、start、end、capacity、institution、institution_kind、\
                      institution_org、allocations、target_group、head_teacher、max_leave、checkin_before_min、\
                      checkin_after_min";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionBody {
    #[serde(default)]
    date: String,
    #[serde(default)]
    slot: String,
    #[serde(default)]
    starts: Option<String>,
    #[serde(default)]
    ends: Option<String>,
    #[serde(default)]
    topic: String,
    #[serde(default)]
    mode: String,
    hours: Option<Value>,
    instructor_id: Option<i64>,
    venue_id: Option<i64>,
    materials: Option<String>,
}

const SESSION_FIELDS: &str = "date、slot、starts、ends、topic、mode、hours、instructor_id、venue_id、materials";

#[derive(Serialize)]
pub struct AllocationJson {
    org: String,
    name: String,
    places: i64,
}

/// `{"id", …}`: the class with English codes.
#[derive(Serialize)]
pub struct ClassJson {
    id: i64,
    campaign_id: Option<i64>,
    title: String,
    organiser: String,
    organiser_name: String,
    level: &'static str,
    institution: Option<String>,
    institution_kind: &'static str,
    institution_org: Option<String>,
    start: String,
    end: String,
    capacity: i64,
    target_group: TargetFilter,
    head_teacher: Option<String>,
    allocations: Vec<AllocationJson>,
    max_leave: Fraction,
    checkin_before_min: i64,
    checkin_after_min: i64,
    status: &'static str,
    /// What the token's scope may do: `manage`, `deliver` or `send`.
    access: store::ClassAccess,
    created_at: String,
    updated_at: String,
}

impl ClassJson {
    fn of(c: Class, scope: &xuepei_store::Scope) -> Self {
        ClassJson {
            id: c.id,
            access: c.access(scope),
            campaign_id: c.campaign_id,
            title: c.title,
            organiser: c.organiser.code,
            organiser_name: c.organiser.name,
            level: c.level.code(),
            institution: c.institution,
            institution_kind: c.institution_kind.code(),
            institution_org: c.institution_org.map(|o| o.code),
            start: c.start_on.to_string(),
            end: c.end_on.to_string(),
            capacity: c.capacity,
            target_group: TargetFilter { orgs: Vec::new(), ..c.target_group },
            head_teacher: c.head_teacher,
            allocations: c
                .allocations
                .into_iter()
                .map(|a| AllocationJson { org: a.org.code, name: a.org.name, places: a.places })
                .collect(),
            max_leave: c.max_leave,
            checkin_before_min: c.checkin_before_min,
            checkin_after_min: c.checkin_after_min,
            status: c.status.code(),
            created_at: c.created_at.to_rfc3339(),
            updated_at: c.updated_at.to_rfc3339(),
        }
    }
}

/// `{"id", …}`: a session of the timetable.
#[derive(Serialize)]
pub struct SessionJson {
    id: i64,
    class_id: i64,
    date: String,
    slot: &'static str,
    starts: String,
    ends: String,
    topic: String,
    mode: &'static str,
    hours: Hours,
    instructor: Option<PoolRef>,
    venue: Option<PoolRef>,
    materials: Option<String>,
}

impl From<Session> for SessionJson {
    fn from(s: Session) -> Self {
        SessionJson {
            id: s.id,
            class_id: s.class_id,
            date: s.date.to_string(),
            slot: s.slot.code(),
            starts: s.starts(),
            ends: s.ends(),
            topic: s.topic,
            mode: s.mode.code(),
            hours: s.hours,
            instructor: s.instructor,
            venue: s.venue,
            materials: s.materials,
        }
    }
}

/// The body as a store input, with what the body itself got wrong.
fn input_of(b: ClassBody, organiser: String) -> (ClassInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let start = parse_date("start", "开班日期", &b.start, &mut errs);
    let end = parse_date("end", "结业日期", &b.end, &mut errs);
    let g = b.target_group.unwrap_or_default();
    let target_group = TargetFilter {
        orgs: Vec::new(),
        sectors: parse_codes("target_group", "领域代码", &g.sectors, &mut errs),
        roles: parse_codes("target_group", "班子职务代码", &g.roles, &mut errs),
        rank_levels: parse_codes("target_group", "职级代码", &g.rank_levels, &mut errs),
    };
    let mut allocations = Vec::new();
    for (i, a) in b.allocations.into_iter().enumerate() {
        match a.places {
            Some(p) => allocations.push((a.org, p)),
            None => errs.push(FieldError {
                field: "allocations",
                message: format!("allocations 第{}项缺少 places（名额数）", i + 1),
            }),
        }
    }
    let input = ClassInput {
        campaign_id: b.campaign_id,
        title: b.title,
        organiser,
        level: b.level,
        institution: b.institution.unwrap_or_default(),
        institution_kind: b.institution_kind.unwrap_or_default(),
        institution_org: b.institution_org.unwrap_or_default(),
        start,
        end,
        capacity: b.capacity,
        target_group,
        head_teacher: b.head_teacher.unwrap_or_default(),
        allocations,
        max_leave: b.max_leave.unwrap_or_default(),
        checkin_before_min: b.checkin_before_min,
        checkin_after_min: b.checkin_after_min,
    };
    (input, errs)
}

fn json_error(e: &serde_json::Error, fields: &str) -> super::ApiError {
    bad(format!(
        "JSON 格式或字段有误（第{}行第{}列）：请检查括号、引号、字段名和取值类型。可用字段：{fields}",
        e.line(),
        e.column()
    ))
}

pub(super) async fn create(State(st): State<AppState>, api: ApiCtx, body: Bytes) -> ApiResult<Response> {
    let b: ClassBody = serde_json::from_slice(&body).map_err(|e| json_error(&e, FIELDS))?;
    let organiser = match b.organiser.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => code.to_owned(),
        None => match api.scope.root_org_id() {
            Some(id) => org::get(&st.db, &api.scope, id).await?.code,
            None => String::new(),
        },
    };
    let (input, errs) = input_of(b, organiser);
    let tx = Tx::begin(&st.db, &api.scope, &api.actor).await?;
    match checked_class(&tx, &input, errs, async |tx| store::create(tx, &input).await).await {
        Ok(c) => {
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(ClassJson::of(c, &api.scope))).into_response())
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
) -> ApiResult<Json<ListJson<ClassJson>>> {
    let q = Q(q);
    let limit = q.int("limit", 1..=500)?.unwrap_or(100) as u64;
    let after = q.text("after");
    if after.is_some_and(|a| a.parse::<i64>().is_err()) {
        return Err(bad("参数 after 应为上一页返回的 next"));
    }
    let filter = ClassFilter {
        campaign_id: q.int("campaign_id", 1..=i64::MAX)?,
        status: q.labeled::<ClassStatus>("status")?,
        level: q.labeled::<ClassLevel>("level")?,
    };
    let page = store::list(&st.db, &api.scope, &filter, At::after(after), limit).await?;
    Ok(Json(ListJson {
        items: page.items.into_iter().map(|c| ClassJson::of(c, &api.scope)).collect(),
        next: page.next,
    }))
}

fn not_found(e: StoreError) -> StoreError {
    match e {
        StoreError::NotFound(_) => StoreError::NotFound("班次"),
        other => other,
    }
}

pub(super) async fn get(State(st): State<AppState>, api: ApiCtx, Path(id): Path<String>) -> ApiResult<Json<ClassJson>> {
    let c = store::get(&st.db, &api.scope, path_id(&id)?).await.map_err(not_found)?;
    Ok(Json(ClassJson::of(c, &api.scope)))
}

pub(super) async fn sessions(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
) -> ApiResult<Json<ListJson<SessionJson>>> {
    let list = sessions::list(&st.db, &api.scope, path_id(&id)?).await.map_err(not_found)?;
    Ok(Json(ListJson { items: list.into_iter().map(SessionJson::from).collect(), next: None }))
}

pub(super) async fn add_session(
    State(st): State<AppState>,
    api: ApiCtx,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let class_id = path_id(&id)?;
    let b: SessionBody = serde_json::from_slice(&body).map_err(|e| json_error(&e, SESSION_FIELDS))?;
    let mut errs = Vec::new();
    let date = parse_date("date", "上课日期", &b.date, &mut errs);
    let hours = match b.hours {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            errs.push(FieldError { field: "hours", message: format!("学时“{other}”应为数字，如3或1.5") });
            String::new()
        }
    };
    let input = SessionInput {
        date,
        slot: b.slot,
        starts: b.starts.unwrap_or_default(),
        ends: b.ends.unwrap_or_default(),
        topic: b.topic,
        mode: b.mode,
        instructor_id: b.instructor_id,
        venue_id: b.venue_id,
        hours,
        materials: b.materials.unwrap_or_default(),
    };
    let tx = Tx::begin(&st.db, &api.scope, &api.actor).await?;
    match checked_session(&tx, class_id, &input, errs, async |tx| sessions::add(tx, class_id, &input).await).await {
        Ok(s) => {
            tx.commit().await?;
            Ok((StatusCode::CREATED, Json(SessionJson::from(s))).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(not_found(e).into())
        }
    }
}

/// The routes' part of the OpenAPI document.
pub(super) fn document(doc: &mut Value) {
    use serde_json::json;
    let err = |d: &str| json!({ "description": d, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    let id_param = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    let list_of = |schema: &str| {
        json!({ "type": "object", "required": ["items", "next"], "properties": {
        "items": { "type": "array", "items": { "$ref": format!("#/components/schemas/{schema}") } }, "next": { "type": ["string", "null"] } } })
    };
    doc["paths"]["/api/v1/classes"] = json!({
        "get": {
            "summary": "班次列表（本范围主办、承办或有名额、有学员的班次；新的在前）",
            "parameters": [
                { "name": "campaign_id", "in": "query", "schema": { "type": "integer" }, "description": "只取该轮训工作的班次" },
                { "name": "status", "in": "query", "schema": { "type": "string", "enum": ["open", "completed"] } },
                { "name": "level", "in": "query", "schema": { "type": "string", "enum": ["province", "city", "county", "unit"] } },
                { "name": "after", "in": "query", "schema": { "type": "string" }, "description": "上一页返回的 next" },
                { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 500, "default": 100 } }
            ],
            "responses": { "200": { "description": "成功", "content": { "application/json": { "schema": list_of("Class") } } },
                "400": err("参数有误"), "401": err("缺少或无效的接口令牌") }
        },
        "post": {
            "summary": "新建班次",
            "description": "organiser 为主办单位组织代码，须在令牌范围内（默认为令牌范围的根组织），属于轮训工作时须为发文单位或在其培训范围内。层级 level：province、city、county、unit；承办机构类别 institution_kind：party_school、admin_academy、cadre_academy、practice_base、other。每期天数须符合轮训工作对 target_group 的规定，日期须在轮训工作期间内；allocations 为各派员单位名额，合计不超过 capacity（1至10000）。max_leave 默认取轮训工作的请假上限。任何一处有误则整体拒绝（422），不写入任何数据。",
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/ClassInput" } } } },
            "responses": { "201": { "description": "已新建", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Class" } } } },
                "400": err("JSON 格式或字段有误"), "401": err("缺少或无效的接口令牌"), "403": err("只读令牌不能写入"),
                "409": err("与其他用户同时提交的数据冲突"), "422": err("填写内容有误，未写入（fields 列出全部问题）") }
        }
    });
    doc["paths"]["/api/v1/classes/{id}"] = json!({ "get": {
        "summary": "一个班次（本范围可见的；派员单位只见本单位的名额）",
        "parameters": [id_param.clone()],
        "responses": { "200": { "description": "成功", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Class" } } } },
            "401": err("缺少或无效的接口令牌"), "404": err("不存在或不在令牌的范围内") }
    } });
    doc["paths"]["/api/v1/classes/{id}/sessions"] = json!({
        "get": {
            "summary": "班次的课程表（按时间先后）",
            "parameters": [id_param.clone()],
            "responses": { "200": { "description": "成功", "content": { "application/json": { "schema": list_of("Session") } } },
                "401": err("缺少或无效的接口令牌"), "404": err("不存在或不在令牌的范围内") }
        },
        "post": {
            "summary": "新增一节课程（主办单位或承办机构）",
            "description": "slot：am（上午，默认08:30–11:30）、pm（下午，默认14:30–17:30）、evening（晚上，默认19:30–21:30），可用 starts/ends（HH:MM）指定时间；mode：lecture、experience、case、site_visit、discussion、elective，须为轮训工作采用的教学方式；hours 大于0且不超过4；日期须在班次起止日期内，同一班次的课程时间不得重叠。",
            "parameters": [id_param],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/SessionInput" } } } },
            "responses": { "201": { "description": "已新增", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Session" } } } },
                "400": err("JSON 格式或字段有误"), "401": err("缺少或无效的接口令牌"), "403": err("只读令牌不能写入，或本范围不能安排该班次的课程"),
                "404": err("不存在或不在令牌的范围内"), "422": err("填写内容有误，未写入（fields 列出全部问题）") }
        }
    });
    let group = json!({ "type": "object", "properties": {
        "sectors": { "type": "array", "items": { "type": "string" }, "description": "领域代码" },
        "roles": { "type": "array", "items": { "type": "string" }, "description": "班子职务代码" },
        "rank_levels": { "type": "array", "items": { "type": "string" }, "description": "职级代码" } } });
    let allocation = json!({ "type": "object", "required": ["org", "places"], "properties": {
        "org": { "type": "string", "description": "派员单位组织代码" }, "name": { "type": "string" }, "places": { "type": "integer", "minimum": 0 } } });
    let class_input = json!({ "type": "object", "required": ["title", "level", "start", "end", "capacity"], "additionalProperties": false, "properties": {
        "campaign_id": { "type": ["integer", "null"] }, "title": { "type": "string", "maxLength": 200 },
        "organiser": { "type": ["string", "null"], "description": "主办单位组织代码" },
        "level": { "type": "string", "enum": ["province", "city", "county", "unit"] },
        "start": { "type": "string", "format": "date" }, "end": { "type": "string", "format": "date" },
        "capacity": { "type": "integer", "minimum": 1, "maximum": 10000 },
        "institution": { "type": ["string", "null"], "maxLength": 100, "description": "承办机构名称" },
        "institution_kind": { "type": ["string", "null"], "enum": ["party_school", "admin_academy", "cadre_academy", "practice_base", "other", null] },
        "institution_org": { "type": ["string", "null"], "description": "承办机构在组织树中的组织代码（其账号可安排课程、考勤）" },
        "allocations": { "type": "array", "items": allocation.clone() },
        "target_group": group.clone(),
        "head_teacher": { "type": ["string", "null"], "maxLength": 50 },
        "max_leave": { "type": ["string", "null"], "description": "请假上限，如 1/7" },
        "checkin_before_min": { "type": ["integer", "null"], "minimum": 0, "maximum": 240 },
        "checkin_after_min": { "type": ["integer", "null"], "minimum": 0, "maximum": 240 } } });
    let class = json!({ "type": "object", "required": ["id", "title", "organiser", "level", "start", "end", "capacity", "allocations", "status", "access"], "properties": {
        "id": { "type": "integer" }, "campaign_id": { "type": ["integer", "null"] }, "title": { "type": "string" },
        "organiser": { "type": "string" }, "organiser_name": { "type": "string" }, "level": { "type": "string" },
        "institution": { "type": ["string", "null"] }, "institution_kind": { "type": "string" }, "institution_org": { "type": ["string", "null"] },
        "start": { "type": "string", "format": "date" }, "end": { "type": "string", "format": "date" }, "capacity": { "type": "integer" },
        "target_group": group, "head_teacher": { "type": ["string", "null"] }, "allocations": { "type": "array", "items": allocation },
        "max_leave": { "type": "string" }, "checkin_before_min": { "type": "integer" }, "checkin_after_min": { "type": "integer" },
        "status": { "type": "string", "enum": ["open", "completed"] }, "access": { "type": "string", "enum": ["manage", "deliver", "send"] },
        "created_at": { "type": "string", "format": "date-time" }, "updated_at": { "type": "string", "format": "date-time" } } });
    let pool_ref = json!({ "type": ["object", "null"], "properties": { "id": { "type": "integer" }, "name": { "type": "string" } } });
    let session_input = json!({ "type": "object", "required": ["date", "slot", "topic", "mode", "hours"], "additionalProperties": false, "properties": {
        "date": { "type": "string", "format": "date" }, "slot": { "type": "string", "enum": ["am", "pm", "evening"] },
        "starts": { "type": ["string", "null"], "description": "HH:MM" }, "ends": { "type": ["string", "null"], "description": "HH:MM" },
        "topic": { "type": "string", "maxLength": 200 },
        "mode": { "type": "string", "enum": ["lecture", "experience", "case", "site_visit", "discussion", "elective"] },
        "hours": { "type": "number", "exclusiveMinimum": 0, "maximum": 4 },
        "instructor_id": { "type": ["integer", "null"] }, "venue_id": { "type": ["integer", "null"] }, "materials": { "type": ["string", "null"] } } });
    let session = json!({ "type": "object", "required": ["id", "class_id", "date", "slot", "starts", "ends", "topic", "mode", "hours"], "properties": {
        "id": { "type": "integer" }, "class_id": { "type": "integer" }, "date": { "type": "string", "format": "date" },
        "slot": { "type": "string" }, "starts": { "type": "string" }, "ends": { "type": "string" }, "topic": { "type": "string" },
        "mode": { "type": "string" }, "hours": { "type": "number" }, "instructor": pool_ref.clone(), "venue": pool_ref,
        "materials": { "type": ["string", "null"] } } });
    doc["components"]["schemas"]["ClassInput"] = class_input;
    doc["components"]["schemas"]["Class"] = class;
    doc["components"]["schemas"]["SessionInput"] = session_input;
    doc["components"]["schemas"]["Session"] = session;
}
