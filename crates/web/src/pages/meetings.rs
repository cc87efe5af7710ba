//! Committee meetings and the first agenda item (第一议题): the list with its filters, a
//! meeting's record with its work measures, the short form a secretary fills in on a
//! phone, archiving and the audited correction of a closed record, and first-item
//! compliance per organisation and period with its Excel export.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Form, Path, Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Datelike;
use xuepei_domain::accounts::Perm;
use xuepei_domain::labels::Labeled;
use xuepei_domain::study::meetings::{MeasureStatus, MeetingKind, Period, StudyForm, StudySource};
use xuepei_domain::validate::FieldError;
use xuepei_office::write::{Cell, Export};
use xuepei_store::meetings::{
    self, ComplianceRow, ItemInput, MeasureInput, Meeting, MeetingFilter, MeetingInput, MeetingRow, PersonKey,
    PersonLabel, StudyInput,
};
use xuepei_store::{Tx, org};

use crate::AppState;
use crate::auth::Ctx;
use crate::error::{AppError, AppResult, render};
use crate::form::save_or_refuse;
use crate::layout::Layout;
use crate::pager::{Pager, Paging};
use crate::params::{self, Params};
use crate::routes::{Access, MenuEntry, MenuGroup, Routes};

pub fn routes(r: Routes) -> Routes {
    let view = Access::Page(Perm::STUDY_VIEW);
    let edit = Access::Page(Perm::STUDY_EDIT);
    let approve = Access::Page(Perm::STUDY_APPROVE);
    r.menu(MenuEntry {
        group: MenuGroup::Study,
        order: 10,
        key: "meetings",
        label: "会议第一议题",
        href: "/study/meetings",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .menu(MenuEntry {
        group: MenuGroup::Study,
        order: 11,
        key: "meetings_compliance",
        label: "第一议题落实情况",
        href: "/study/meetings/compliance",
        visible: |can| can(Perm::STUDY_VIEW),
    })
    .audit_labels(&[
        ("meeting.create", "登记党委（党组）会议"),
        ("meeting.update", "修改会议记录"),
        ("meeting.correct", "更正已封存的会议记录"),
        ("meeting.archive", "会议记录归档"),
        ("meeting.measure", "登记成果转化措施"),
        ("meeting.measure_update", "更新措施落实情况"),
    ])
    .get("/study/meetings", view, list)
    .post("/study/meetings", edit, create)
    .get("/study/meetings/new", edit, new_form)
    .get("/study/meetings/compliance", view, compliance)
    .post("/study/meetings/compliance/export", view, compliance_export)
    .get("/study/meetings/{id}", view, detail)
    .post("/study/meetings/{id}", edit, update)
    .get("/study/meetings/{id}/edit", edit, edit_form)
    .post("/study/meetings/{id}/archive", edit, archive)
    .get("/study/meetings/{id}/correct", approve, correct_form)
    .post("/study/meetings/{id}/correct", approve, correct)
    .post("/study/meetings/{id}/measures", edit, add_measure)
    .post("/study/meetings/{id}/measures/{measure}", edit, update_measure)
}

const PAGE_SIZE: u64 = 20;
const FILTER_KEYS: [&str; 5] = ["org", "year", "month", "kind", "compliant"];

fn can(ctx: &Ctx, p: Perm) -> bool {
    ctx.session.account.roles.can(p)
}

fn notice(p: &Params) -> Option<String> {
    Some(
        match params::text(p, "done")? {
            "created" => "会议记录已登记",
            "created_flagged" => "会议记录已登记。注意：本次会议第一项议题不是理论学习，已标记为“第一议题不合规”",
            "updated" => "会议记录已保存",
            "corrected" => "会议记录已更正，更正原因已记入审计日志",
            "archived" => ARCHIVED,
            "measure" => "成果转化措施已登记",
            "measure_updated" => "措施落实情况已更新",
            _ => return None,
        }
        .to_owned(),
    )
}

/// Told when a record has been archived, and when its edit page is opened afterwards:
/// only the propaganda department corrects it.
const ARCHIVED: &str = "会议记录已归档，不能再直接修改。如需修改，请联系宣传部门更正（说明原因，记入审计日志）";

/// The year a view asks for (`year`): none when not given; refused (400) when it is not a
/// year, lies in the future or is implausibly early.
pub(crate) fn view_year(p: &Params) -> Result<Option<i32>, AppError> {
    let Some(text) = params::text(p, "year") else { return Ok(None) };
    let text = xuepei_domain::text::to_halfwidth(text.trim());
    if text.is_empty() {
        return Ok(None);
    }
    let y = text
        .parse::<i32>()
        .ok()
        .filter(|_| text.len() == 4)
        .ok_or_else(|| AppError::BadRequest(format!("年份“{text}”有误，请填写四位年份，如{}", this_year())))?;
    xuepei_domain::study::meetings::check_view_year(y, xuepei_domain::time::today())
        .map(Some)
        .map_err(AppError::BadRequest)
}

fn this_year() -> i32 {
    xuepei_domain::time::today().year()
}

/// The month a view asks for (`month`, 1–12): none when not given; refused (400) otherwise.
pub(crate) fn view_month(p: &Params) -> Result<Option<u32>, AppError> {
    let Some(text) = params::text(p, "month").map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let m = xuepei_domain::text::to_halfwidth(text)
        .parse::<u32>()
        .ok()
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| AppError::BadRequest(format!("月份“{text}”有误，应为1至12")))?;
    Ok(Some(m))
}

/// The organisation a list filters on (`org`, a code): `Ok(None)` when not given, the
/// organisation, or what to tell when no organisation of the scope has that code (the list
/// then shows nothing, with that notice).
pub(crate) async fn view_org(st: &AppState, ctx: &Ctx, p: &Params) -> AppResult<Result<Option<org::Org>, String>> {
    let Some(code) = params::text(p, "org").map(str::trim).filter(|t| !t.is_empty()) else { return Ok(Ok(None)) };
    match org::get_by_code(&st.db, &ctx.scope, code).await {
        Ok(o) => Ok(Ok(Some(o))),
        Err(xuepei_store::StoreError::NotFound(_)) => {
            Ok(Err(format!("组织代码“{code}”不存在或不在您的管理范围内，请核对后重新查询（可留空查看全部）")))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "meetings/list.html")]
struct ListPage {
    layout: Layout,
    rows: Vec<MeetingRow>,
    can_edit: bool,
    pager: Pager,
    org: String,
    year: String,
    month: String,
    kind: String,
    compliant: String,
    kinds: Vec<(&'static str, &'static str)>,
    compliance: Vec<(&'static str, &'static str)>,
}

async fn list(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let paging = Paging::from(&p, PAGE_SIZE);
    let year = view_year(&p)?;
    let month = view_month(&p)?;
    if month.is_some() && year.is_none() {
        return Err(AppError::BadRequest("按月份查询时请同时填写年份".into()));
    }
    let (org, unknown_org) = match view_org(&st, &ctx, &p).await? {
        Ok(o) => (o.map(|o| o.code), None),
        // Asked for exactly this code, which lists nothing: said so above the empty list.
        Err(why) => (params::text(&p, "org").map(str::to_owned), Some(why)),
    };
    let f = MeetingFilter {
        org,
        year,
        month,
        kind: params::labeled::<MeetingKind>(&p, "kind"),
        compliant: match params::text(&p, "compliant") {
            Some("1") => Some(true),
            Some("0") => Some(false),
            _ => None,
        },
    };
    let page = meetings::list(&st.db, &ctx.scope, &f, paging.at, paging.limit()).await?;
    let layout = Layout::new(&ctx, "会议第一议题", "meetings")
        .crumb("理论学习", None)
        .crumb("会议第一议题", None)
        .notice(unknown_org.or_else(|| notice(&p)));
    let keep = |k: &str| params::text(&p, k).unwrap_or_default().to_owned();
    render(&ListPage {
        layout,
        rows: page.items,
        can_edit: can(&ctx, Perm::STUDY_EDIT),
        pager: Pager::new("/study/meetings", &p, &FILTER_KEYS, &paging, (page.prev, page.next), None),
        org: keep("org"),
        year: f.year.map(|y| y.to_string()).unwrap_or_default(),
        month: f.month.map(|m| m.to_string()).unwrap_or_default(),
        kind: f.kind.map(|k| k.code().to_owned()).unwrap_or_default(),
        compliant: keep("compliant"),
        kinds: params::options::<MeetingKind>(),
        compliance: vec![("1", "合规"), ("0", "第一议题不合规")],
    })
}

#[derive(Template)]
#[template(path = "meetings/detail.html")]
struct DetailPage {
    layout: Layout,
    m: Meeting,
    can_edit: bool,
    can_correct: bool,
    people: Vec<(String, String)>,
    statuses: Vec<(&'static str, &'static str)>,
    measure_form: crate::form::Form,
    today: String,
    /// Measures not done and past their due date.
    overdue: usize,
}

async fn detail(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> AppResult<Html<String>> {
    let id = params::id(&id, "会议记录")?;
    let m = meetings::get(&st.db, &ctx.scope, id).await?;
    detail_page(&st, &ctx, m, crate::form::Form::new(), notice(&p)).await
}

async fn detail_page(
    st: &AppState,
    ctx: &Ctx,
    m: Meeting,
    measure_form: crate::form::Form,
    notice: Option<String>,
) -> AppResult<Html<String>> {
    let title = m.title();
    let layout = Layout::new(ctx, title.clone(), "meetings")
        .crumb("会议第一议题", Some("/study/meetings".into()))
        .crumb(title, None)
        .notice(notice);
    let people = person_options(&meetings::people_of(&st.db, &ctx.scope, m.org.id).await?);
    render(&DetailPage {
        layout,
        overdue: m.measures.iter().filter(|x| x.overdue()).count(),
        can_edit: can(ctx, Perm::STUDY_EDIT),
        can_correct: can(ctx, Perm::STUDY_APPROVE) && m.closed,
        m,
        people,
        statuses: params::options::<MeasureStatus>(),
        measure_form,
        today: xuepei_domain::time::today().to_string(),
    })
}

fn person_options(people: &[PersonLabel]) -> Vec<(String, String)> {
    people
        .iter()
        .map(|p| {
            let text = match p.position.as_deref().filter(|s| !s.is_empty()) {
                Some(pos) => format!("{}（{pos}）", p.name),
                None => p.name.clone(),
            };
            (p.id.to_string(), text)
        })
        .collect()
}

/// What the form is for: a new meeting, an edit, or a correction of a closed one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    New,
    Edit(i64),
    Correct(i64),
}

#[derive(Template)]
#[template(path = "meetings/form.html")]
struct FormPage {
    layout: Layout,
    action: String,
    form: crate::form::Form,
    org_name: String,
    org_code: String,
    kinds: Vec<(&'static str, &'static str)>,
    sources: Vec<(&'static str, &'static str)>,
    forms: Vec<(&'static str, &'static str)>,
    people: Vec<(String, String)>,
    materials: Vec<(String, String)>,
    correcting: bool,
    choose_org: bool,
    cancel_href: String,
    today: String,
}

/// The newest important speeches first (the scope's own and those published above it):
/// id, title, and the picker's label.
pub(crate) async fn offered(st: &AppState, ctx: &Ctx) -> AppResult<Vec<(i64, String, String)>> {
    Ok(xuepei_store::materials::offered_speeches(&st.db, &ctx.scope, 30)
        .await?
        .into_iter()
        .map(|m| {
            let label = format!("{} {}（{}）", m.date, m.title, m.source);
            (m.id, m.title, label)
        })
        .collect())
}

/// The organisation a new meeting is recorded for: `org` (a code in the scope) or the
/// scope's own organisation.
async fn form_org(st: &AppState, ctx: &Ctx, code: Option<&str>) -> AppResult<org::Org> {
    match code {
        Some(c) => Ok(org::get_by_code(&st.db, &ctx.scope, c).await?),
        None => match ctx.scope.root_org_id() {
            Some(id) => Ok(org::get(&st.db, &ctx.scope, id).await?),
            None => Err(AppError::BadRequest("请先选择召开会议的单位（组织代码）".into())),
        },
    }
}

async fn form_page(
    st: &AppState,
    ctx: &Ctx,
    mode: Mode,
    o: &org::Org,
    form: crate::form::Form,
) -> AppResult<Html<String>> {
    let (title, action, cancel) = match mode {
        Mode::New => ("登记会议第一议题".to_owned(), "/study/meetings".to_owned(), "/study/meetings".to_owned()),
        Mode::Edit(id) => ("修改会议记录".to_owned(), format!("/study/meetings/{id}"), format!("/study/meetings/{id}")),
        Mode::Correct(id) => {
            ("更正会议记录".to_owned(), format!("/study/meetings/{id}/correct"), format!("/study/meetings/{id}"))
        }
    };
    let layout = Layout::new(ctx, title.clone(), "meetings")
        .crumb("会议第一议题", Some("/study/meetings".into()))
        .crumb(title, None);
    let people = person_options(&meetings::people_of(&st.db, &ctx.scope, o.id).await?);
    let materials = offered(st, ctx).await?.into_iter().map(|(id, _, label)| (id.to_string(), label)).collect();
    render(&FormPage {
        layout,
        action,
        form,
        org_name: o.display_name().to_owned(),
        org_code: o.code.clone(),
        kinds: params::options::<MeetingKind>(),
        sources: params::options::<StudySource>(),
        forms: params::options::<StudyForm>(),
        people,
        materials,
        correcting: matches!(mode, Mode::Correct(_)),
        choose_org: mode == Mode::New,
        cancel_href: cancel,
        today: xuepei_domain::time::today().to_string(),
    })
}

async fn new_form(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let o = form_org(&st, &ctx, params::text(&p, "org")).await?;
    let people = meetings::people_of(&st.db, &ctx.scope, o.id).await?;
    let mut form = crate::form::Form::new()
        .with("org", o.code.clone())
        .with("kind", default_kind(&o).code())
        .with("date", xuepei_domain::time::today().to_string())
        .with("first_is_study", "1")
        .with("study_form", StudyForm::LeadReading.code());
    if let Some(first) = people.first() {
        form.set("chair", first.id.to_string());
        form.set("study_lead", first.id.to_string());
    }
    // Everyone of the body present unless unticked.
    form.set_list("attendees", people.iter().map(|p| p.id.to_string()).collect());
    form.set_list("first_is_study", vec!["1".into()]);
    form_page(&st, &ctx, Mode::New, &o, form).await
}

/// The usual kind of meeting of a body: a working committee's, a party group's
/// (departments), or a committee's.
fn default_kind(o: &org::Org) -> MeetingKind {
    use xuepei_domain::org::OrgKind;
    match o.kind {
        OrgKind::WorkingCommittee => MeetingKind::WorkingCommittee,
        OrgKind::Department => MeetingKind::LeadingGroup,
        _ => MeetingKind::Committee,
    }
}

/// The form filled from a stored meeting.
fn form_of(m: &Meeting) -> crate::form::Form {
    let mut form = crate::form::Form::new()
        .with("org", m.org.code.clone())
        .with("kind", m.kind.code())
        .with("date", m.held_on.to_string())
        .with("chair", m.chair.id.to_string());
    form.set_list("attendees", m.present().map(|a| a.person.id.to_string()).collect());
    form.set("absentees", m.absent().map(|a| format!("{} {}", a.person.name, a.reason)).collect::<Vec<_>>().join("\n"));
    let first = m.items.first();
    match first.and_then(|i| i.study.as_ref()) {
        Some(s) => {
            form.set_list("first_is_study", vec!["1".into()]);
            form.set("first_title", first.map(|i| i.title.clone()).unwrap_or_default());
            form.set("study_title", s.title.clone());
            form.set("study_source", s.source.code());
            form.set("study_lead", s.lead.id.to_string());
            form.set("study_form", s.form.code());
            form.set("study_material", s.materials.first().map(|(id, _)| id.to_string()).unwrap_or_default());
            form.set("study_reference", s.reference.clone());
            form.set("study_notes", s.notes.clone());
            form.set_list("study_speakers", s.speakers.iter().map(|p| p.id.to_string()).collect());
        }
        None => {
            form.set("first_title", first.map(|i| i.title.clone()).unwrap_or_default());
        }
    }
    form.set("other_items", m.items.iter().skip(1).map(|i| i.title.clone()).collect::<Vec<_>>().join("\n"));
    form
}

fn person_id(text: &str) -> Option<PersonKey> {
    text.trim().parse::<i64>().ok().filter(|v| *v > 0).map(PersonKey::Id)
}

/// The form's input and what the form itself refused. `current` keeps the study content
/// of later items that the short form does not show (items recorded through the API).
fn input_of(
    form: &crate::form::Form,
    people: &[PersonLabel],
    materials: &[(i64, String, String)],
    current: Option<&Meeting>,
) -> (MeetingInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let date = plain_date("date", "会议日期", form.value("date"), &mut errs);
    let pick = |key: &'static str, label: &str, errs: &mut Vec<FieldError>| -> Option<PersonKey> {
        match form.value(key).trim() {
            "" => None,
            v => person_id(v).or_else(|| {
                errs.push(FieldError { field: key, message: format!("请从列表中选择{label}") });
                None
            }),
        }
    };
    let chair = pick("chair", "主持人", &mut errs);
    let attendees: Vec<PersonKey> = form.list("attendees").iter().filter_map(|v| person_id(v)).collect();
    // Absentees: one a line, "姓名 原因" (a full-width colon or a space between).
    let mut absentees = Vec::new();
    for line in form.value("absentees").lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (name, reason) = match line.find([' ', '\t', '：', ':', '，', ',', '　']) {
            Some(i) => {
                let sep = line[i..].chars().next().map_or(1, char::len_utf8);
                (line[..i].trim(), line[i + sep..].trim())
            }
            None => (line, ""),
        };
        let found: Vec<&PersonLabel> = people.iter().filter(|p| p.name == name).collect();
        match found.as_slice() {
            [p] => absentees.push((PersonKey::Id(p.id), reason.to_owned())),
            [] => errs.push(FieldError {
                field: "absentees",
                message: format!("缺席人员“{name}”不是本单位登记的人员，请核对姓名（每行：姓名 缺席原因）"),
            }),
            _ => errs.push(FieldError {
                field: "absentees",
                message: format!("本单位有多名“{name}”，请在人员管理中核对后改用接口登记，或联系管理员"),
            }),
        }
    }
    let mut agenda = Vec::new();
    let first_title = form.value("first_title").trim().to_owned();
    if form.is_checked("first_is_study", "1") {
        let material = form.value("study_material").trim().parse::<i64>().ok().filter(|v| *v > 0);
        let mut study_title = form.value("study_title").trim().to_owned();
        if study_title.is_empty()
            && let Some((_, title, _)) = materials.iter().find(|(id, ..)| Some(*id) == material)
        {
            study_title = title.clone();
        }
        agenda.push(ItemInput {
            title: first_title,
            study: Some(StudyInput {
                title: study_title,
                source: form.value("study_source").to_owned(),
                lead: pick("study_lead", "领学人", &mut errs),
                form: form.value("study_form").to_owned(),
                materials: material.into_iter().collect(),
                reference: form.value("study_reference").to_owned(),
                notes: form.value("study_notes").to_owned(),
                speakers: form.list("study_speakers").iter().filter_map(|v| person_id(v)).collect(),
            }),
        });
    } else if !first_title.is_empty() {
        agenda.push(ItemInput { title: first_title, study: None });
    }
    let kept: HashMap<String, StudyInput> = current
        .map(|m| {
            meetings::input_of(m).agenda.into_iter().skip(1).filter_map(|i| i.study.map(|s| (i.title, s))).collect()
        })
        .unwrap_or_default();
    for line in form.value("other_items").lines().map(str::trim).filter(|l| !l.is_empty()) {
        agenda.push(ItemInput { title: line.to_owned(), study: kept.get(line).cloned() });
    }
    let input = MeetingInput {
        org: form.value("org").to_owned(),
        kind: form.value("kind").to_owned(),
        date,
        chair,
        attendees,
        absentees,
        agenda,
    };
    (input, errs)
}

async fn create(
    State(st): State<AppState>,
    ctx: Ctx,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let o = form_org(&st, &ctx, Some(form.value("org")).filter(|s| !s.trim().is_empty())).await?;
    let people = meetings::people_of(&st.db, &ctx.scope, o.id).await?;
    let (input, errs) = input_of(&form, &people, &offered(&st, &ctx).await?, None);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked(&tx, &input, errs, async |tx| meetings::create(tx, &input).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |m| format!("/study/meetings/{}?done={}", m.id, if m.compliant { "created" } else { "created_flagged" }),
        async |f| form_page(&st, &ctx, Mode::New, &o, f).await,
    )
    .await
}

/// Writes when the form parsed; otherwise reports the form's and the store's problems
/// together, writing nothing.
async fn checked<T>(
    tx: &Tx,
    input: &MeetingInput,
    errs: Vec<FieldError>,
    write: impl AsyncFnOnce(&Tx) -> Result<T, xuepei_store::StoreError>,
) -> Result<T, xuepei_store::StoreError> {
    crate::form::write_or_report(
        errs,
        async || meetings::check(tx.conn(), tx.scope(), input).await,
        async || write(tx).await,
    )
    .await
}

async fn edit_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "会议记录")?;
    let m = meetings::get(&st.db, &ctx.scope, id).await?;
    if m.closed {
        // The record with why it cannot be edited here and who corrects it.
        let why = if m.archived_at.is_some() {
            "该会议记录已归档，不能再直接修改。".to_owned()
        } else {
            format!("该会议记录召开已超过{}天，已封存，不能再直接修改。", meetings::CLOSE_AFTER_DAYS)
        };
        let who = if can(&ctx, Perm::STUDY_APPROVE) {
            "如需修改，请点击“更正”并说明原因（记入审计日志）"
        } else {
            "如需修改，请联系宣传部门更正（说明原因，记入审计日志）"
        };
        return Ok(detail_page(&st, &ctx, m, crate::form::Form::new(), Some(format!("{why}{who}")))
            .await?
            .into_response());
    }
    let o = org::get(&st.db, &ctx.scope, m.org.id).await?;
    Ok(form_page(&st, &ctx, Mode::Edit(id), &o, form_of(&m)).await?.into_response())
}

async fn update(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "会议记录")?;
    let current = meetings::get(&st.db, &ctx.scope, id).await?;
    let o = org::get(&st.db, &ctx.scope, current.org.id).await?;
    let form = crate::form::Form::submitted(fields);
    let people = meetings::people_of(&st.db, &ctx.scope, o.id).await?;
    let (input, errs) = input_of(&form, &people, &offered(&st, &ctx).await?, Some(&current));
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked(&tx, &input, errs, async |tx| meetings::update(tx, id, &input).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/study/meetings/{id}?done=updated"),
        async |f| form_page(&st, &ctx, Mode::Edit(id), &o, f).await,
    )
    .await
}

async fn correct_form(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "会议记录")?;
    let m = meetings::get(&st.db, &ctx.scope, id).await?;
    if !m.closed {
        return Ok(Redirect::to(&format!("/study/meetings/{id}/edit")).into_response());
    }
    let o = org::get(&st.db, &ctx.scope, m.org.id).await?;
    Ok(form_page(&st, &ctx, Mode::Correct(id), &o, form_of(&m)).await?.into_response())
}

async fn correct(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "会议记录")?;
    let current = meetings::get(&st.db, &ctx.scope, id).await?;
    let o = org::get(&st.db, &ctx.scope, current.org.id).await?;
    let form = crate::form::Form::submitted(fields);
    let people = meetings::people_of(&st.db, &ctx.scope, o.id).await?;
    let (input, mut errs) = input_of(&form, &people, &offered(&st, &ctx).await?, Some(&current));
    if form.value("reason").trim().is_empty() {
        errs.push(FieldError {
            field: "reason", message: "请填写更正原因（如“记录时漏填研讨发言人”）".into()
        });
    }
    let reason = form.value("reason").to_owned();
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = checked(&tx, &input, errs, async |tx| meetings::correct(tx, id, &input, &reason).await).await;
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/study/meetings/{id}?done=corrected"),
        async |f| form_page(&st, &ctx, Mode::Correct(id), &o, f).await,
    )
    .await
}

async fn archive(State(st): State<AppState>, ctx: Ctx, Path(id): Path<String>) -> AppResult<Response> {
    let id = params::id(&id, "会议记录")?;
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    match meetings::archive(&tx, id).await {
        Ok(_) => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/study/meetings/{id}?done=archived")).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            Err(e.into())
        }
    }
}

fn measure_input(form: &crate::form::Form) -> (MeasureInput, Vec<FieldError>) {
    let mut errs = Vec::new();
    let due_on = crate::pages::campaigns::parse_date("due_on", "完成时限", form.value("due_on"), &mut errs);
    let done_on = crate::pages::campaigns::parse_date("done_on", "完成日期", form.value("done_on"), &mut errs);
    let owner = match form.value("owner").trim() {
        "" => None,
        v => person_id(v).or_else(|| {
            errs.push(FieldError { field: "owner", message: "请从列表中选择责任人".into() });
            None
        }),
    };
    let input = MeasureInput {
        content: form.value("content").to_owned(),
        owner,
        status: form.value("status").to_owned(),
        due_on,
        done_on,
    };
    (input, errs)
}

/// Saves a measure, or shows the meeting again with what was refused (422).
async fn save_measure(
    st: &AppState,
    ctx: &Ctx,
    meeting_id: i64,
    measure_id: Option<i64>,
    fields: Vec<(String, String)>,
) -> AppResult<Response> {
    let form = crate::form::Form::submitted(fields);
    let (input, errs) = measure_input(&form);
    let tx = Tx::begin(&st.db, &ctx.scope, &ctx.actor).await?;
    let result = if !errs.is_empty() {
        // Ask the store too, so that every problem shows at once.
        match meetings::get(tx.conn(), tx.scope(), meeting_id).await {
            Ok(_) => Err(xuepei_store::StoreError::Invalid(errs)),
            Err(e) => Err(e),
        }
    } else {
        match measure_id {
            None => meetings::add_measure(&tx, meeting_id, &input).await,
            Some(mid) => meetings::update_measure(&tx, meeting_id, mid, &input).await,
        }
    };
    let done = if measure_id.is_some() { "measure_updated" } else { "measure" };
    save_or_refuse(
        tx,
        result,
        form,
        |_| format!("/study/meetings/{meeting_id}?done={done}#measures"),
        async |f| {
            let m = meetings::get(&st.db, &ctx.scope, meeting_id).await?;
            detail_page(st, ctx, m, f, None).await
        },
    )
    .await
}

async fn add_measure(
    State(st): State<AppState>,
    ctx: Ctx,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "会议记录")?;
    save_measure(&st, &ctx, id, None, fields).await
}

async fn update_measure(
    State(st): State<AppState>,
    ctx: Ctx,
    Path((id, measure)): Path<(String, String)>,
    Form(fields): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let id = params::id(&id, "会议记录")?;
    let measure = params::id(&measure, "措施")?;
    save_measure(&st, &ctx, id, Some(measure), fields).await
}

/// The period and organisation a compliance view asks for (defaults: the scope's own
/// organisation, this year).
struct ComplianceAsk {
    org: org::Org,
    period: Period,
}

async fn compliance_ask(st: &AppState, ctx: &Ctx, p: &Params) -> AppResult<ComplianceAsk> {
    let org = form_org(st, ctx, params::text(p, "org")).await?;
    let year = view_year(p)?.unwrap_or_else(this_year);
    let month = view_month(p)?;
    let period = Period::new(year, month).map_err(AppError::BadRequest)?;
    Ok(ComplianceAsk { org, period })
}

#[derive(Template)]
#[template(path = "meetings/compliance.html")]
struct CompliancePage {
    layout: Layout,
    rows: Vec<ComplianceRow>,
    org: String,
    year: String,
    month: String,
    period: String,
    export_action: String,
    totals: (u32, u32, usize),
}

async fn compliance(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Html<String>> {
    let ask = compliance_ask(&st, &ctx, &p).await?;
    let rows = meetings::compliance(&st.db, &ctx.scope, &ask.org.code, ask.period.year, ask.period.month).await?;
    let totals = rows
        .iter()
        .fold((0, 0, 0), |(m, c, e), r| (m + r.meetings, c + r.compliant_first_items, e + r.exceptions.len()));
    let layout = Layout::new(&ctx, "第一议题落实情况", "meetings_compliance")
        .crumb("理论学习", None)
        .crumb("第一议题落实情况", None);
    let month = ask.period.month.map(|m| m.to_string()).unwrap_or_default();
    let query = params::query(&[
        ("org", Some(ask.org.code.clone())),
        ("year", Some(ask.period.year.to_string())),
        ("month", Some(month.clone())),
    ]);
    render(&CompliancePage {
        layout,
        rows,
        org: ask.org.code.clone(),
        year: ask.period.year.to_string(),
        month,
        period: format!("{}{}", ask.org.display_name(), ask.period.label()),
        export_action: format!("/study/meetings/compliance/export{query}"),
        totals,
    })
}

async fn compliance_export(State(st): State<AppState>, ctx: Ctx, Query(p): Query<Params>) -> AppResult<Response> {
    let ask = compliance_ask(&st, &ctx, &p).await?;
    let rows = meetings::compliance(&st.db, &ctx.scope, &ask.org.code, ask.period.year, ask.period.month).await?;
    // The exceptions' dates and first items, for the sheet.
    let mut details: HashMap<i64, (String, String)> = HashMap::new();
    let f = MeetingFilter {
        year: Some(ask.period.year),
        month: ask.period.month,
        compliant: Some(false),
        ..Default::default()
    };
    for r in rows.iter().filter(|r| !r.exceptions.is_empty()) {
        let page = meetings::list(
            &st.db,
            &ctx.scope,
            &MeetingFilter { org: Some(r.org.code.clone()), ..f.clone() },
            xuepei_store::page::At::First,
            500,
        )
        .await?;
        for m in page.items {
            details.insert(m.id, (format!("{} {}", m.held_on, m.kind.label()), m.first_item));
        }
    }
    let what = format!("第一议题落实情况_{}{}", ask.org.display_name(), ask.period.label());
    let title = format!("{}{}党委（党组）会议第一议题落实情况", ask.org.display_name(), ask.period.label());
    crate::pages::send_export(&st, &ctx, &what, |path| async move {
        let w = |e: xuepei_office::write::WriteError| crate::exports::ExportError::Write(e.to_string());
        let columns: Vec<(&str, f64)> = vec![
            ("单位", 24.0),
            ("组织代码", 14.0),
            ("会议次数", 10.0),
            ("第一议题合规", 12.0),
            ("合规率", 10.0),
            ("不合规会议", 60.0),
        ];
        let mut x = Export::with_headers("第一议题", &title, &columns).map_err(w)?;
        for r in &rows {
            let exceptions: Vec<String> = r
                .exceptions
                .iter()
                .map(|id| match details.get(id) {
                    Some((when, first)) => format!("{when}（第一项议题：{first}）"),
                    None => format!("会议{id}"),
                })
                .collect();
            x.row(&[
                Cell::Text(r.org.name.clone()),
                Cell::Text(r.org.code.clone()),
                Cell::from(i64::from(r.meetings)),
                Cell::from(i64::from(r.compliant_first_items)),
                Cell::Text(r.rate().map(|v| format!("{v}%")).unwrap_or_else(|| "—".into())),
                Cell::Text(exceptions.join("；")),
            ])
            .map_err(w)?;
        }
        let n = x.rows_written();
        x.save(&path).map_err(w)?;
        Ok(n)
    })
    .await
}

/// A date of a meeting or session form: exactly `YYYY-MM-DD` (the date picker's format);
/// "+002026-01-01" and the like are refused, not read as a date.
pub(super) fn plain_date(
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
    crate::pages::campaigns::parse_date(field, label, t, errs)
}
