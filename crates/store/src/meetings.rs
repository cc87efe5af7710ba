//! Committee meetings and their first agenda item (第一议题, seed 001 §一).
//!
//! A meeting belongs to its organisation (`org_path`, registered in `paths`): the
//! organisation's scope reads and changes it. Its chair, attendees, absentees, study lead
//! and speakers are people *of that organisation* (`persons.org_id`), looked up only there,
//! so a number registered anywhere else is answered exactly like an unknown one. The
//! ordered agenda and the attendance are JSON documents on the row; whether the first
//! item is theory study is a column (`compliant`), so compliance per organisation and
//! period is one grouped index read. The work measures the study produced
//! (`meeting_measures`) carry the path too and are followed up after the meeting closes.
//!
//! A meeting closes [`CLOSE_AFTER_DAYS`] days after it was held, or when archived
//! (归档); a closed meeting changes only through [`correct`], which needs a reason and is
//! audited with it. Rules live in `xuepei_domain::study::meetings`.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::{Deserialize, Serialize};
use xuepei_domain::idcard;
use xuepei_domain::labels::Labeled;
pub use xuepei_domain::study::meetings::CLOSE_AFTER_DAYS;
use xuepei_domain::study::meetings::{
    self as rules, ItemDraft, MeasureStatus, MeetingKind, Period, Presence, StudyDraft, StudyForm, StudySource, Tally,
};
use xuepei_domain::validate::FieldError;

use crate::audit::{Entry, Tx, json};
use crate::classes::OrgRef;
use crate::entity::{material, meeting, meeting_measure, organization, person};
use crate::error::{Result, StoreError};
use crate::org::now;
use crate::page::{At, Page, fetch, page_of};
use crate::scope::{Scope, subtree_cond};
use crate::study_figures::Share;

/// Unique keys of meetings (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[crate::error::UniqueKey {
    index: "ux_meetings_org_kind_day",
    columns: "meetings.org_id",
    message: "该单位当天已有同一类别的会议记录（可能刚被其他用户同时录入），未保存。请在会议列表中查找并修改",
}];

/// Most people named in one meeting (a body has dozens of members at most).
pub const MAX_PEOPLE: usize = 200;
/// Most work measures of one meeting.
pub const MAX_MEASURES: usize = 100;
/// Longest absence reason, material reference and measure, in characters.
const REASON_MAX: usize = 100;
const REFERENCE_MAX: usize = 500;
pub const MEASURE_MAX: usize = 500;

/// A person named in a meeting: by id (the pages' pickers) or by identity number (the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PersonKey {
    Id(i64),
    Number(String),
}

/// An agenda item's study content as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StudyInput {
    pub title: String,
    /// A source code (`speech`, …) or its Chinese label.
    pub source: String,
    pub lead: Option<PersonKey>,
    /// A form code (`lead_reading`, …) or its label; empty means 领学.
    pub form: String,
    /// Linked materials of the library, by id (when the library exists).
    pub materials: Vec<i64>,
    /// A free-text reference to what was studied (篇目、出处).
    pub reference: String,
    /// Discussion notes (研讨记录).
    pub notes: String,
    pub speakers: Vec<PersonKey>,
}

/// An agenda item as submitted; `study` makes it theory study.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ItemInput {
    pub title: String,
    pub study: Option<StudyInput>,
}

/// A meeting as submitted. The organisation is named by code.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingInput {
    pub org: String,
    /// A kind code (`committee`, …) or its label.
    pub kind: String,
    pub date: Option<NaiveDate>,
    pub chair: Option<PersonKey>,
    pub attendees: Vec<PersonKey>,
    /// Absent members with the reason of each.
    pub absentees: Vec<(PersonKey, String)>,
    pub agenda: Vec<ItemInput>,
}

/// What the row's JSON keeps of an agenda item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredItem {
    title: String,
    study: Option<StoredStudy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredStudy {
    title: String,
    source: StudySource,
    lead: i64,
    form: StudyForm,
    #[serde(default)]
    materials: Vec<i64>,
    #[serde(default)]
    reference: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    speakers: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct StoredAttendance {
    person: i64,
    presence: Presence,
    #[serde(default)]
    reason: String,
}

/// A person as a meeting's pages and the API show them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonLabel {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub masked_id: String,
    pub position: Option<String>,
}

impl PersonLabel {
    pub(crate) fn of(m: &person::Model) -> Self {
        PersonLabel {
            id: m.id,
            name: m.name.clone(),
            id_number: m.id_number.clone(),
            masked_id: idcard::mask(&m.id_number),
            position: m.position.clone(),
        }
    }

    pub(crate) fn gone(id: i64) -> Self {
        PersonLabel {
            id,
            name: format!("（人员{id}已删除）"),
            id_number: String::new(),
            masked_id: String::new(),
            position: None,
        }
    }
}

/// The study content of an agenda item, as read.
#[derive(Debug, Clone, Serialize)]
pub struct Study {
    pub title: String,
    pub source: StudySource,
    pub lead: PersonLabel,
    pub form: StudyForm,
    /// Linked materials of the library: id and title.
    pub materials: Vec<(i64, String)>,
    pub reference: String,
    pub notes: String,
    pub speakers: Vec<PersonLabel>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub title: String,
    pub study: Option<Study>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Attendance {
    pub person: PersonLabel,
    pub presence: Presence,
    pub reason: String,
}

/// A work measure and its follow-up.
#[derive(Debug, Clone, Serialize)]
pub struct Measure {
    pub id: i64,
    pub meeting_id: i64,
    pub content: String,
    pub owner: PersonLabel,
    pub status: MeasureStatus,
    pub due_on: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
    pub updated_at: DateTime<Utc>,
}

impl Measure {
    /// Not done and past its due date (已逾期) today.
    pub fn overdue(&self) -> bool {
        rules::measure_overdue(self.status, self.due_on, xuepei_domain::time::today())
    }
}

/// A meeting as its pages read it.
#[derive(Debug, Clone, Serialize)]
pub struct Meeting {
    pub id: i64,
    pub org: OrgRef,
    #[serde(skip)]
    pub org_path: String,
    pub kind: MeetingKind,
    pub held_on: NaiveDate,
    pub chair: PersonLabel,
    pub compliant: bool,
    pub items: Vec<Item>,
    pub attendance: Vec<Attendance>,
    pub measures: Vec<Measure>,
    pub archived_at: Option<DateTime<Utc>>,
    /// Closed to ordinary edits (archived, or held more than 30 days ago).
    pub closed: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Meeting {
    /// "岳阳楼区委 党委会议（2026-03-02）".
    pub fn title(&self) -> String {
        format!("{} {}（{}）", self.org.name, self.kind.label(), self.held_on)
    }

    /// The first item's study, when the first item is theory study.
    pub fn first_study(&self) -> Option<&Study> {
        self.items.first().and_then(|i| i.study.as_ref())
    }

    pub fn present(&self) -> impl Iterator<Item = &Attendance> {
        self.attendance.iter().filter(|a| a.presence == Presence::Present)
    }

    pub fn absent(&self) -> impl Iterator<Item = &Attendance> {
        self.attendance.iter().filter(|a| a.presence == Presence::Absent)
    }
}

/// A meeting in a list.
#[derive(Debug, Clone, Serialize)]
pub struct MeetingRow {
    pub id: i64,
    pub org: OrgRef,
    pub kind: MeetingKind,
    pub held_on: NaiveDate,
    pub chair: PersonLabel,
    pub compliant: bool,
    pub study_source: Option<StudySource>,
    /// The first item's title (its study title when it is theory study).
    pub first_item: String,
    pub items: usize,
    pub closed: bool,
}

/// Filters of the meetings list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeetingFilter {
    /// Exactly this organisation (by code), not its subtree.
    pub org: Option<String>,
    pub year: Option<i32>,
    pub month: Option<u32>,
    pub kind: Option<MeetingKind>,
    pub compliant: Option<bool>,
}

pub(crate) fn err(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// Free text of a form: trimmed, line breaks kept, other control characters refused.
pub(crate) fn clean(text: &str, max: usize, label: &str, field: &'static str, errs: &mut Vec<FieldError>) -> String {
    let t = text.replace("\r\n", "\n").replace('\r', "\n");
    let t = t.trim();
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        errs.push(err(field, format!("{label}含有不可见的控制字符，请删除后重新填写")));
        return String::new();
    }
    if t.chars().count() > max {
        errs.push(err(field, format!("{label}超过{max}个字，请精简")));
    }
    t.to_owned()
}

/// The input checked and resolved.
struct Resolved {
    org: organization::Model,
    kind: MeetingKind,
    date: NaiveDate,
    chair: i64,
    items: Vec<StoredItem>,
    attendance: Vec<StoredAttendance>,
    compliant: bool,
}

/// The people of `org` named by `keys`, read in one query each way.
pub(crate) async fn people_named(
    db: &impl ConnectionTrait,
    org_id: i64,
    keys: &[&PersonKey],
) -> Result<(HashMap<i64, person::Model>, HashMap<String, i64>)> {
    let ids: BTreeSet<i64> =
        keys.iter().filter_map(|k| if let PersonKey::Id(i) = k { Some(*i) } else { None }).collect();
    let numbers: BTreeSet<String> = keys
        .iter()
        .filter_map(|k| if let PersonKey::Number(n) = k { Some(normal_number(n)) } else { None })
        .filter(|n| !n.is_empty())
        .collect();
    let mut by_id = HashMap::new();
    let mut by_number = HashMap::new();
    if ids.is_empty() && numbers.is_empty() {
        return Ok((by_id, by_number));
    }
    let mut any = Condition::any();
    if !ids.is_empty() {
        any = any.add(person::Column::Id.is_in(ids));
    }
    if !numbers.is_empty() {
        any = any.add(person::Column::IdNumber.is_in(numbers));
    }
    // Only the organisation's own people: a number registered elsewhere is not found here.
    for p in person::Entity::find().filter(person::Column::OrgId.eq(org_id)).filter(any).all(db).await? {
        by_number.insert(p.id_number.clone(), p.id);
        by_id.insert(p.id, p);
    }
    Ok((by_id, by_number))
}

pub(crate) fn normal_number(n: &str) -> String {
    xuepei_domain::text::compact(n).to_ascii_uppercase()
}

/// How a person key is named in a refusal: the number as the caller gave it, masked.
pub(crate) fn key_words(k: &PersonKey) -> String {
    match k {
        PersonKey::Id(i) => format!("编号{i}的人员"),
        PersonKey::Number(n) => format!("身份证号“{}”", idcard::mask(&normal_number(n))),
    }
}

pub(crate) async fn org_in_scope(
    db: &impl ConnectionTrait,
    scope: &Scope,
    code: &str,
) -> Result<Option<organization::Model>> {
    Ok(organization::Entity::find()
        .filter(organization::Column::Code.eq(code))
        .filter(scope.cond(organization::Column::Path))
        .one(db)
        .await?)
}

/// Checks every field and resolves the people; every problem at once.
async fn resolve(db: &impl ConnectionTrait, scope: &Scope, input: &MeetingInput, today: NaiveDate) -> Result<Resolved> {
    let mut errs = Vec::new();
    let org = match input.org.trim() {
        "" => {
            errs.push(err("org", "请填写召开会议的单位（组织代码）"));
            None
        }
        code => {
            let o = org_in_scope(db, scope, code).await?;
            if o.is_none() {
                errs.push(err("org", format!("单位“{code}”不在您的管理范围内，请填写本单位或下级单位的组织代码")));
            }
            o
        }
    };
    let kind = MeetingKind::parse_label(&input.kind);
    if kind.is_none() {
        let codes: Vec<String> = MeetingKind::ALL.iter().map(|k| format!("{}（{}）", k.label(), k.code())).collect();
        errs.push(err(
            "kind",
            match input.kind.trim() {
                "" => format!("请选择会议类别：{}", codes.join("、")),
                k => format!("会议类别“{k}”无效，可选：{}", codes.join("、")),
            },
        ));
    }
    match input.date {
        None => errs.push(err("date", "请填写会议日期（YYYY-MM-DD）")),
        Some(d) if d > today => errs.push(err("date", format!("会议日期{d}晚于今天，不能登记尚未召开的会议"))),
        Some(d) => {
            if let Some(m) = xuepei_domain::dates::implausible(d, "会议日期") {
                errs.push(err("date", m));
            }
        }
    }
    // Every person named, checked against the organisation's own people.
    let mut keys: Vec<&PersonKey> = Vec::new();
    keys.extend(input.chair.iter());
    keys.extend(input.attendees.iter());
    keys.extend(input.absentees.iter().map(|(k, _)| k));
    for it in &input.agenda {
        if let Some(s) = &it.study {
            keys.extend(s.lead.iter());
            keys.extend(s.speakers.iter());
        }
    }
    if keys.len() > MAX_PEOPLE * 3 {
        errs.push(err("attendees", format!("会议涉及的人员超过{MAX_PEOPLE}人，请核对")));
        return Err(StoreError::Invalid(errs));
    }
    let (people, by_number) = match &org {
        Some(o) => people_named(db, o.id, &keys).await?,
        None => (HashMap::new(), HashMap::new()),
    };
    let org_name = org.as_ref().map(|o| o.short_name.clone().unwrap_or_else(|| o.name.clone())).unwrap_or_default();
    let mut not_member = BTreeSet::new();
    let mut find = |k: &PersonKey, field: &'static str, what: &str, errs: &mut Vec<FieldError>| -> Option<i64> {
        let id = match k {
            PersonKey::Id(i) => people.contains_key(i).then_some(*i),
            PersonKey::Number(n) => by_number.get(&normal_number(n)).copied(),
        };
        if id.is_none() && org.is_some() && not_member.insert((field, format!("{k:?}"))) {
            errs.push(err(
                field,
                format!("{what}{}不是本单位（{org_name}）的人员，请核对；会议人员须为本单位登记的人员", key_words(k)),
            ));
        }
        id
    };
    let chair = match &input.chair {
        None => {
            errs.push(err("chair", "请选择会议主持人"));
            None
        }
        Some(k) => find(k, "chair", "主持人", &mut errs),
    };
    let mut attendance: Vec<StoredAttendance> = Vec::new();
    let mut seen = BTreeSet::new();
    if input.attendees.len() + input.absentees.len() > MAX_PEOPLE {
        errs.push(err("attendees", format!("出席和缺席人员合计超过{MAX_PEOPLE}人，请核对")));
    }
    for k in &input.attendees {
        if let Some(id) = find(k, "attendees", "出席人员中", &mut errs)
            && seen.insert(id)
        {
            attendance.push(StoredAttendance { person: id, presence: Presence::Present, reason: String::new() });
        }
    }
    for (k, reason) in &input.absentees {
        let reason = clean(reason, REASON_MAX, "缺席原因", "absentees", &mut errs);
        if let Some(id) = find(k, "absentees", "缺席人员中", &mut errs) {
            if !seen.insert(id) {
                let name = people.get(&id).map(|p| p.name.clone()).unwrap_or_default();
                errs.push(err("absentees", format!("{name}同时列为出席和缺席，请核对")));
                continue;
            }
            if reason.is_empty() {
                let name = people.get(&id).map(|p| p.name.clone()).unwrap_or_default();
                errs.push(err("absentees", format!("请填写{name}的缺席原因")));
            }
            attendance.push(StoredAttendance { person: id, presence: Presence::Absent, reason });
        }
    }
    // Those absent neither chair, lead the study nor speak in the discussion.
    let absent: BTreeSet<i64> =
        attendance.iter().filter(|a| a.presence == Presence::Absent).map(|a| a.person).collect();
    let name_of = |id: i64| people.get(&id).map(|p| p.name.clone()).unwrap_or_default();
    if let Some(c) = chair
        && absent.contains(&c)
    {
        errs.push(err("chair", format!("{}已登记为缺席，不能担任主持人；请改选主持人或核对缺席人员", name_of(c))));
    }
    // The agenda: the domain's rule for its shape, then the people and texts of each item.
    let drafts: Vec<ItemDraft<'_>> = input
        .agenda
        .iter()
        .map(|it| ItemDraft {
            title: &it.title,
            study: it.study.as_ref().map(|s| StudyDraft {
                title: &s.title,
                source: StudySource::parse_label(&s.source),
                has_lead: s.lead.is_some(),
                form: StudyForm::parse_label(&s.form),
            }),
        })
        .collect();
    for p in rules::check_agenda(&drafts) {
        let field = match p.field {
            "study.title" => "study_title",
            "study.source" => "study_source",
            "study.lead" => "study_lead",
            _ if p.item <= 1 && p.field == "title" => "first_title",
            _ => "agenda",
        };
        errs.push(err(field, p.message));
    }
    let compliant = rules::first_item_compliant(&drafts);
    let mut items = Vec::with_capacity(input.agenda.len());
    for (i, it) in input.agenda.iter().enumerate() {
        let n = i + 1;
        let study = match &it.study {
            None => None,
            Some(s) => {
                let source = StudySource::parse_label(&s.source);
                if source.is_none() && !s.source.trim().is_empty() {
                    let codes: Vec<String> =
                        StudySource::ALL.iter().map(|k| format!("{}（{}）", k.label(), k.code())).collect();
                    errs.push(err(
                        "study_source",
                        format!("第{n}项议题的来源类别“{}”无效，可选：{}", s.source.trim(), codes.join("、")),
                    ));
                }
                let form = match s.form.trim() {
                    "" => Some(StudyForm::LeadReading),
                    f => StudyForm::parse_label(f),
                };
                if form.is_none() {
                    let codes: Vec<String> =
                        StudyForm::ALL.iter().map(|k| format!("{}（{}）", k.label(), k.code())).collect();
                    errs.push(err(
                        "study_form",
                        format!("第{n}项议题的学习方式“{}”无效，可选：{}", s.form.trim(), codes.join("、")),
                    ));
                }
                let lead =
                    s.lead.as_ref().and_then(|k| find(k, "study_lead", &format!("第{n}项议题的领学人"), &mut errs));
                if let Some(l) = lead
                    && absent.contains(&l)
                {
                    errs.push(err(
                        "study_lead",
                        format!("{}已登记为缺席，不能担任第{n}项议题的领学人；请改选领学人或核对缺席人员", name_of(l)),
                    ));
                }
                let mut speakers = Vec::new();
                for k in &s.speakers {
                    if let Some(id) = find(k, "study_speakers", &format!("第{n}项议题的发言人中"), &mut errs)
                        && !speakers.contains(&id)
                    {
                        if absent.contains(&id) {
                            errs.push(err(
                                "study_speakers",
                                format!("{}已登记为缺席，不能作为第{n}项议题的研讨发言人，请核对", name_of(id)),
                            ));
                        }
                        speakers.push(id);
                    }
                }
                let reference = clean(&s.reference, REFERENCE_MAX, "学习材料出处", "study_reference", &mut errs);
                let notes = clean(&s.notes, rules::NOTES_MAX, "研讨记录", "study_notes", &mut errs);
                let mut materials: Vec<i64> = s.materials.clone();
                materials.sort_unstable();
                materials.dedup();
                if !materials.is_empty() {
                    let found = linkable(db, scope, &materials).await?;
                    for m in materials.iter().filter(|m| !found.contains_key(m)) {
                        errs.push(err(
                            "study_materials",
                            format!(
                                "第{n}项议题关联的学习资料（编号{m}）不存在或不在本单位及上级发布的范围内，请重新选择"
                            ),
                        ));
                    }
                }
                match (source, lead, form) {
                    (Some(source), Some(lead), Some(form)) => Some(StoredStudy {
                        title: s.title.trim().to_owned(),
                        source,
                        lead,
                        form,
                        materials,
                        reference,
                        notes,
                        speakers,
                    }),
                    _ => None,
                }
            }
        };
        let mut title = it.title.trim().to_owned();
        if title.chars().any(char::is_control) {
            errs.push(err(
                if n == 1 { "first_title" } else { "agenda" },
                format!("第{n}项议题名称含有不可见的控制字符"),
            ));
            title.clear();
        }
        if title.is_empty()
            && let Some(s) = &study
        {
            title = rules::item_title_of(&s.title);
        }
        items.push(StoredItem { title, study });
    }
    match (org, kind, input.date, chair, errs.is_empty()) {
        (Some(org), Some(kind), Some(date), Some(chair), true) => {
            Ok(Resolved { org, kind, date, chair, items, attendance, compliant })
        }
        _ => Err(StoreError::Invalid(errs)),
    }
}

/// The titles of the materials a scope may link, of those asked: its own, and those
/// published by the organisations above its root (a city's speeches, read by its counties).
pub(crate) async fn linkable(db: &impl ConnectionTrait, scope: &Scope, ids: &[i64]) -> Result<HashMap<i64, String>> {
    if ids.is_empty() || ids.len() > 50 {
        return Ok(HashMap::new());
    }
    Ok(material::Entity::find()
        .filter(material::Column::Id.is_in(ids.to_vec()))
        .filter(crate::materials::readable(scope))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.title))
        .collect())
}

/// Titles of materials linked earlier (checked when they were linked), by id.
pub(crate) async fn material_titles(db: &impl ConnectionTrait, ids: BTreeSet<i64>) -> Result<HashMap<i64, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(material::Entity::find()
        .filter(material::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.title))
        .collect())
}

/// Validates an input without writing (a form whose other fields were already refused).
pub async fn check(db: &impl ConnectionTrait, scope: &Scope, input: &MeetingInput) -> Result<()> {
    resolve(db, scope, input, xuepei_domain::time::today()).await.map(|_| ())
}

/// Another meeting of the same body, kind and day (the unique key, told before the insert).
async fn duplicate(db: &impl ConnectionTrait, r: &Resolved, except: Option<i64>) -> Result<Option<i64>> {
    let mut q = meeting::Entity::find()
        .select_only()
        .column(meeting::Column::Id)
        .filter(meeting::Column::OrgId.eq(r.org.id))
        .filter(meeting::Column::Kind.eq(r.kind.code()))
        .filter(meeting::Column::HeldOn.eq(r.date));
    if let Some(id) = except {
        q = q.filter(meeting::Column::Id.ne(id));
    }
    Ok(q.into_tuple().one(db).await?)
}

fn duplicate_refusal(r: &Resolved, other: i64) -> StoreError {
    StoreError::Invalid(vec![err(
        "date",
        format!(
            "{}在{}已有一次{}的记录（编号{other}），同一单位同一天同类会议只登记一次；如需补充请修改该记录",
            r.org.short_name.as_deref().unwrap_or(&r.org.name),
            r.date,
            r.kind.label()
        ),
    )])
}

pub(crate) fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".to_owned())
}

/// The minutes as searchable text: the agenda's titles, the study titles and the notes.
fn minutes_text(items: &[StoredItem]) -> (String, String) {
    let title =
        items.first().map(|i| i.study.as_ref().map_or(i.title.clone(), |s| s.title.clone())).unwrap_or_default();
    let mut body = String::new();
    for i in items {
        body.push_str(&i.title);
        body.push('\n');
        if let Some(s) = &i.study {
            body.push_str(&s.title);
            body.push('\n');
            body.push_str(&s.reference);
            body.push('\n');
            body.push_str(&s.notes);
            body.push('\n');
        }
    }
    (title, body)
}

/// Keeps the full-text index of a meeting's minutes in step, in the caller's transaction.
async fn index_minutes(tx: &Tx, id: i64, r: &Resolved) -> Result<()> {
    let (first, body) = minutes_text(&r.items);
    let name = r.org.short_name.as_deref().unwrap_or(&r.org.name);
    let title = format!("{name}{}（{}）：{first}", r.kind.label(), r.date);
    crate::search::put(
        tx.conn(),
        &crate::search::Doc {
            kind: "meeting",
            id,
            org_id: r.org.id,
            org_path: &r.org.path,
            title: &title,
            body: &body,
            date: Some(r.date),
        },
    )
    .await
}

/// Refuses a day entered too long ago (before the previous year) for a new or edited
/// record; a correction keeps its record's old day.
pub(crate) fn refuse_backdated(d: Option<NaiveDate>, what: &str, field: &'static str) -> Result<()> {
    match d {
        Some(d) => xuepei_domain::study::meetings::check_entry_date(d, what, xuepei_domain::time::today())
            .map_err(|m| StoreError::invalid(field, m)),
        None => Ok(()),
    }
}

/// Records a meeting of an organisation of the writer's scope.
pub async fn create(tx: &Tx, input: &MeetingInput) -> Result<Meeting> {
    let r = resolve(tx.conn(), tx.scope(), input, xuepei_domain::time::today()).await?;
    refuse_backdated(Some(r.date), "会议日期", "date")?;
    if let Some(other) = duplicate(tx.conn(), &r, None).await? {
        return Err(duplicate_refusal(&r, other));
    }
    let t = now();
    let m = meeting::ActiveModel {
        org_id: Set(r.org.id),
        org_path: Set(r.org.path.clone()),
        kind: Set(r.kind.code().to_owned()),
        held_on: Set(r.date),
        chair_id: Set(r.chair),
        compliant: Set(r.compliant),
        study_source: Set(first_source(&r.items)),
        agenda: Set(to_json(&r.items)),
        attendance: Set(to_json(&r.attendance)),
        archived_at: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    crate::study_figures::changed(tx.conn(), None, Some(Share::meeting(&m))).await?;
    index_minutes(tx, m.id, &r).await?;
    let after = get(tx.conn(), tx.scope(), m.id).await?;
    tx.record(Entry {
        action: "meeting.create",
        target_type: "meeting",
        target_id: Some(m.id.to_string()),
        scope_path: r.org.path.clone(),
        summary: format!("登记{}{}", after.title(), if r.compliant { "" } else { "（第一议题不是理论学习）" }),
        before: None,
        after: json(&after),
    });
    Ok(after)
}

fn first_source(items: &[StoredItem]) -> Option<String> {
    items.first().and_then(|i| i.study.as_ref()).map(|s| s.source.code().to_owned())
}

async fn write_changes(tx: &Tx, id: i64, r: &Resolved) -> Result<()> {
    if let Some(other) = duplicate(tx.conn(), r, Some(id)).await? {
        return Err(duplicate_refusal(r, other));
    }
    let share = |m: Option<meeting::Model>| m.as_ref().map(Share::meeting);
    let before = share(meeting::Entity::find_by_id(id).one(tx.conn()).await?);
    meeting::Entity::update_many()
        .col_expr(meeting::Column::OrgId, Expr::value(r.org.id))
        .col_expr(meeting::Column::OrgPath, Expr::value(r.org.path.clone()))
        .col_expr(meeting::Column::Kind, Expr::value(r.kind.code()))
        .col_expr(meeting::Column::HeldOn, Expr::value(r.date))
        .col_expr(meeting::Column::ChairId, Expr::value(r.chair))
        .col_expr(meeting::Column::Compliant, Expr::value(r.compliant))
        .col_expr(meeting::Column::StudySource, Expr::value(first_source(&r.items)))
        .col_expr(meeting::Column::Agenda, Expr::value(to_json(&r.items)))
        .col_expr(meeting::Column::Attendance, Expr::value(to_json(&r.attendance)))
        .col_expr(meeting::Column::UpdatedAt, Expr::value(now()))
        .filter(meeting::Column::Id.eq(id))
        .exec(tx.conn())
        .await?;
    let after = share(meeting::Entity::find_by_id(id).one(tx.conn()).await?);
    crate::study_figures::changed(tx.conn(), before, after).await?;
    // Measures follow their meeting's organisation.
    meeting_measure::Entity::update_many()
        .col_expr(meeting_measure::Column::OrgId, Expr::value(r.org.id))
        .col_expr(meeting_measure::Column::OrgPath, Expr::value(r.org.path.clone()))
        .filter(meeting_measure::Column::MeetingId.eq(id))
        .exec(tx.conn())
        .await?;
    index_minutes(tx, id, r).await
}

/// The meeting's people of another organisation would not be its members: a meeting keeps
/// its organisation on edit (a correction may not move it either).
fn same_org(before: &Meeting, input: &MeetingInput) -> Result<()> {
    if input.org.trim() != before.org.code {
        return Err(StoreError::invalid(
            "org",
            format!("会议的召开单位（{}）不能修改；如登记错了单位，请在正确的单位重新登记", before.org.name),
        ));
    }
    Ok(())
}

/// Changes an open meeting. A closed one is refused: it changes only by [`correct`].
pub async fn update(tx: &Tx, id: i64, input: &MeetingInput) -> Result<Meeting> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    if before.closed {
        return Err(closed_refusal(&before));
    }
    same_org(&before, input)?;
    let r = resolve(tx.conn(), tx.scope(), input, xuepei_domain::time::today()).await?;
    if r.date != before.held_on {
        refuse_backdated(Some(r.date), "会议日期", "date")?;
    }
    write_changes(tx, id, &r).await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "meeting.update",
        target_type: "meeting",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("修改{}", after.title()),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

fn closed_refusal(m: &Meeting) -> StoreError {
    let why =
        if m.archived_at.is_some() { "已归档".to_owned() } else { format!("召开已超过{CLOSE_AFTER_DAYS}天") };
    StoreError::Forbidden(format!("该会议记录{why}，不能直接修改；如确需更正，请由宣传部门使用“更正”并说明原因"))
}

/// Corrects a closed meeting: the change and its reason go to the audit trail together.
pub async fn correct(tx: &Tx, id: i64, input: &MeetingInput, reason: &str) -> Result<Meeting> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    let mut errs = Vec::new();
    let reason = clean(reason, 200, "更正原因", "reason", &mut errs);
    if reason.is_empty() && errs.is_empty() {
        errs.push(err("reason", "请填写更正原因（如“记录时漏填研讨发言人”）"));
    }
    if !before.closed {
        return Err(StoreError::Conflict("该会议记录尚未封存，请直接修改".into()));
    }
    same_org(&before, input)?;
    let r = match resolve(tx.conn(), tx.scope(), input, xuepei_domain::time::today()).await {
        Ok(r) if errs.is_empty() => r,
        Ok(_) => return Err(StoreError::Invalid(errs)),
        Err(StoreError::Invalid(more)) => {
            errs.extend(more);
            return Err(StoreError::Invalid(errs));
        }
        Err(e) => return Err(e),
    };
    write_changes(tx, id, &r).await?;
    // A corrected record stays sealed: a meeting closed by age whose date is corrected to
    // a recent day would otherwise reopen, so it is archived now if it was not.
    meeting::Entity::update_many()
        .col_expr(meeting::Column::ArchivedAt, Expr::value(now()))
        .filter(meeting::Column::Id.eq(id))
        .filter(meeting::Column::ArchivedAt.is_null())
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "meeting.correct",
        target_type: "meeting",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("更正{}，原因：{reason}", after.title()),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}

/// Archives a meeting (归档): from now on it is read-only except by correction.
pub async fn archive(tx: &Tx, id: i64) -> Result<Meeting> {
    let before = get(tx.conn(), tx.scope(), id).await?;
    if before.archived_at.is_some() {
        return Err(StoreError::Conflict("该会议记录已经归档".into()));
    }
    meeting::Entity::update_many()
        .col_expr(meeting::Column::ArchivedAt, Expr::value(now()))
        .col_expr(meeting::Column::UpdatedAt, Expr::value(now()))
        .filter(meeting::Column::Id.eq(id))
        .filter(meeting::Column::ArchivedAt.is_null())
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), id).await?;
    tx.record(Entry {
        action: "meeting.archive",
        target_type: "meeting",
        target_id: Some(id.to_string()),
        scope_path: after.org_path.clone(),
        summary: format!("归档{}", after.title()),
        before: None,
        after: None,
    });
    Ok(after)
}

pub(crate) async fn org_refs(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, OrgRef>> {
    let ids: BTreeSet<i64> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(organization::Entity::find()
        .filter(organization::Column::Id.is_in(ids))
        .all(db)
        .await?
        .into_iter()
        .map(|o| (o.id, OrgRef { id: o.id, code: o.code, name: o.short_name.unwrap_or(o.name) }))
        .collect())
}

pub(crate) async fn labels(
    db: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, PersonLabel>> {
    let ids: BTreeSet<i64> = ids.into_iter().collect();
    let mut out = HashMap::new();
    let all: Vec<i64> = ids.into_iter().collect();
    for chunk in all.chunks(500) {
        for p in person::Entity::find().filter(person::Column::Id.is_in(chunk.to_vec())).all(db).await? {
            out.insert(p.id, PersonLabel::of(&p));
        }
    }
    Ok(out)
}

fn broken(id: i64, e: serde_json::Error) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Custom(format!("meeting {id}: {e}")))
}

fn parse_doc(m: &meeting::Model) -> Result<(Vec<StoredItem>, Vec<StoredAttendance>)> {
    let items: Vec<StoredItem> = serde_json::from_str(&m.agenda).map_err(|e| broken(m.id, e))?;
    let att: Vec<StoredAttendance> = serde_json::from_str(&m.attendance).map_err(|e| broken(m.id, e))?;
    Ok((items, att))
}

fn measure_of(m: meeting_measure::Model, people: &HashMap<i64, PersonLabel>) -> Measure {
    Measure {
        id: m.id,
        meeting_id: m.meeting_id,
        owner: people.get(&m.owner_id).cloned().unwrap_or_else(|| PersonLabel::gone(m.owner_id)),
        content: m.content,
        status: MeasureStatus::from_code(&m.status).unwrap_or(MeasureStatus::NotStarted),
        due_on: m.due_on,
        done_on: m.done_on,
        updated_at: m.updated_at,
    }
}

/// A meeting of an organisation in the scope, with its people and measures.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Meeting> {
    let m = meeting::Entity::find_by_id(id)
        .filter(scope.cond(meeting::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("会议记录"))?;
    let (items, att) = parse_doc(&m)?;
    let measures = meeting_measure::Entity::find()
        .filter(meeting_measure::Column::MeetingId.eq(id))
        .order_by_asc(meeting_measure::Column::Id)
        .all(db)
        .await?;
    let mut ids: Vec<i64> = vec![m.chair_id];
    ids.extend(att.iter().map(|a| a.person));
    for s in items.iter().filter_map(|i| i.study.as_ref()) {
        ids.push(s.lead);
        ids.extend(s.speakers.iter().copied());
    }
    ids.extend(measures.iter().map(|x| x.owner_id));
    let people = labels(db, ids).await?;
    let label = |id: i64| people.get(&id).cloned().unwrap_or_else(|| PersonLabel::gone(id));
    let titles = material_titles(
        db,
        items.iter().filter_map(|i| i.study.as_ref()).flat_map(|s| s.materials.iter().copied()).collect(),
    )
    .await?;
    let org = org_refs(db, [m.org_id]).await?.remove(&m.org_id).ok_or(StoreError::NotFound("组织"))?;
    let today = xuepei_domain::time::today();
    Ok(Meeting {
        id: m.id,
        org,
        kind: MeetingKind::from_code(&m.kind).unwrap_or(MeetingKind::Committee),
        held_on: m.held_on,
        chair: label(m.chair_id),
        compliant: m.compliant,
        items: items
            .into_iter()
            .map(|i| Item {
                title: i.title,
                study: i.study.map(|s| Study {
                    title: s.title,
                    source: s.source,
                    lead: label(s.lead),
                    form: s.form,
                    materials: s
                        .materials
                        .iter()
                        .map(|id| (*id, titles.get(id).cloned().unwrap_or_else(|| format!("（资料{id}已删除）"))))
                        .collect(),
                    reference: s.reference,
                    notes: s.notes,
                    speakers: s.speakers.iter().map(|&p| label(p)).collect(),
                }),
            })
            .collect(),
        attendance: att
            .into_iter()
            .map(|a| Attendance { person: label(a.person), presence: a.presence, reason: a.reason })
            .collect(),
        measures: measures.into_iter().map(|x| measure_of(x, &people)).collect(),
        closed: rules::is_closed(m.held_on, m.archived_at.is_some(), today),
        archived_at: m.archived_at,
        org_path: m.org_path,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// The input that reproduces a meeting (to edit or correct it), people by id.
pub fn input_of(m: &Meeting) -> MeetingInput {
    MeetingInput {
        org: m.org.code.clone(),
        kind: m.kind.code().to_owned(),
        date: Some(m.held_on),
        chair: Some(PersonKey::Id(m.chair.id)),
        attendees: m.present().map(|a| PersonKey::Id(a.person.id)).collect(),
        absentees: m.absent().map(|a| (PersonKey::Id(a.person.id), a.reason.clone())).collect(),
        agenda: m
            .items
            .iter()
            .map(|i| ItemInput {
                title: i.title.clone(),
                study: i.study.as_ref().map(|s| StudyInput {
                    title: s.title.clone(),
                    source: s.source.code().to_owned(),
                    lead: Some(PersonKey::Id(s.lead.id)),
                    form: s.form.code().to_owned(),
                    materials: s.materials.iter().map(|(id, _)| *id).collect(),
                    reference: s.reference.clone(),
                    notes: s.notes.clone(),
                    speakers: s.speakers.iter().map(|p| PersonKey::Id(p.id)).collect(),
                }),
            })
            .collect(),
    }
}

/// The list's conditions: scope, organisation, period, kind, compliance.
async fn list_cond(db: &impl ConnectionTrait, scope: &Scope, f: &MeetingFilter) -> Result<Option<Condition>> {
    let mut c = Condition::all().add(scope.cond(meeting::Column::OrgPath));
    if let Some(code) = f.org.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        match org_in_scope(db, scope, code).await? {
            Some(o) => c = c.add(meeting::Column::OrgId.eq(o.id)),
            None => return Ok(None),
        }
    }
    if let Some(y) = f.year {
        let p = Period::new(y, f.month).map_err(|m| StoreError::invalid("year", m))?;
        let (from, until) = p.range();
        c = c.add(meeting::Column::HeldOn.gte(from)).add(meeting::Column::HeldOn.lt(until));
    }
    if let Some(k) = f.kind {
        c = c.add(meeting::Column::Kind.eq(k.code()));
    }
    if let Some(ok) = f.compliant {
        c = c.add(meeting::Column::Compliant.eq(ok));
    }
    Ok(Some(c))
}

/// A cursor of the list: `date_id`.
fn cursor_of(m: &meeting::Model) -> String {
    format!("{}_{}", m.held_on, m.id)
}

fn parse_cursor(c: &str) -> Option<(NaiveDate, i64)> {
    let (d, id) = c.split_once('_')?;
    Some((NaiveDate::parse_from_str(d, "%Y-%m-%d").ok()?, id.parse().ok()?))
}

/// A page of the meetings in the scope, newest first (by date, then id); an unknown
/// organisation filter lists nothing.
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    f: &MeetingFilter,
    at: At<'_>,
    limit: u64,
) -> Result<Page<MeetingRow>> {
    let Some(mut c) = list_cond(db, scope, f).await? else {
        return Ok(Page { items: Vec::new(), next: None, prev: None });
    };
    let (limit, n) = fetch(limit, 500);
    // Newest first: forwards runs down the (date, id) order.
    if let Some((cursor, after)) = at.cursor() {
        let Some((d, id)) = parse_cursor(cursor) else {
            return Err(StoreError::invalid("after", "翻页参数有误，请从第一页重新查看"));
        };
        let (day, key) = (meeting::Column::HeldOn, meeting::Column::Id);
        c = c.add(if after {
            Condition::any().add(day.lt(d)).add(Condition::all().add(day.eq(d)).add(key.lt(id)))
        } else {
            Condition::any().add(day.gt(d)).add(Condition::all().add(day.eq(d)).add(key.gt(id)))
        });
    }
    let order = match at.order() {
        sea_orm::Order::Asc => sea_orm::Order::Desc,
        _ => sea_orm::Order::Asc,
    };
    let mut q = meeting::Entity::find()
        .filter(c)
        .order_by(meeting::Column::HeldOn, order.clone())
        .order_by(meeting::Column::Id, order)
        .limit(n);
    if let Some(skip) = at.offset(limit) {
        q = q.offset(skip);
    }
    let rows = q.all(db).await?;
    let orgs = org_refs(db, rows.iter().map(|m| m.org_id)).await?;
    let people = labels(db, rows.iter().map(|m| m.chair_id)).await?;
    let today = xuepei_domain::time::today();
    let mut out = Vec::with_capacity(rows.len());
    for m in &rows {
        let (items, _) = parse_doc(m)?;
        let first_item = items
            .first()
            .map(|i| i.study.as_ref().map_or_else(|| i.title.clone(), |s| s.title.clone()))
            .unwrap_or_default();
        out.push(MeetingRow {
            id: m.id,
            org: orgs.get(&m.org_id).cloned().unwrap_or(OrgRef {
                id: m.org_id,
                code: String::new(),
                name: String::new(),
            }),
            kind: MeetingKind::from_code(&m.kind).unwrap_or(MeetingKind::Committee),
            held_on: m.held_on,
            chair: people.get(&m.chair_id).cloned().unwrap_or_else(|| PersonLabel::gone(m.chair_id)),
            compliant: m.compliant,
            study_source: m.study_source.as_deref().and_then(StudySource::from_code),
            first_item,
            items: items.len(),
            closed: rules::is_closed(m.held_on, m.archived_at.is_some(), today),
        });
    }
    let mut by_id: HashMap<i64, MeetingRow> = out.into_iter().map(|r| (r.id, r)).collect();
    let p = page_of(rows, limit, at, cursor_of, |m| by_id.remove(&m.id));
    Ok(Page { items: p.items.into_iter().flatten().collect(), next: p.next, prev: p.prev })
}

/// The people of an organisation in the scope, for the pickers of a meeting's form
/// (leaders first: principals, secretaries, leadership members, then by id).
pub async fn people_of(db: &impl ConnectionTrait, scope: &Scope, org_id: i64) -> Result<Vec<PersonLabel>> {
    let mut rows = person::Entity::find()
        .filter(person::Column::OrgId.eq(org_id))
        .filter(scope.cond(person::Column::OrgPath))
        .order_by_asc(person::Column::Id)
        .limit(MAX_PEOPLE as u64)
        .all(db)
        .await?;
    rows.sort_by_key(|p| (std::cmp::Reverse(p.roles != 0), p.id));
    Ok(rows.iter().map(PersonLabel::of).collect())
}

/// One organisation's own meetings in a period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComplianceRow {
    pub org: OrgRef,
    pub meetings: u32,
    pub compliant_first_items: u32,
    /// The meetings whose first item was not theory study (ids, by date).
    pub exceptions: Vec<i64>,
}

impl ComplianceRow {
    pub fn rate(&self) -> Option<f64> {
        Tally { meetings: self.meetings, compliant: self.compliant_first_items, exceptions: Vec::new() }.rate()
    }
}

/// First-item compliance in a period: the organisation `org` (a code in the scope) and
/// each organisation below it that held meetings, each counting its own meetings (not its
/// subtree's), by path order. Two grouped reads over the subtree's meetings of the period.
pub async fn compliance(
    db: &impl ConnectionTrait,
    scope: &Scope,
    org: &str,
    year: i32,
    month: Option<u32>,
) -> Result<Vec<ComplianceRow>> {
    let period = Period::new(year, month).map_err(|m| StoreError::invalid("year", m))?;
    let root = org_in_scope(db, scope, org.trim()).await?.ok_or(StoreError::NotFound("组织"))?;
    let (from, until) = period.range();
    let within = || {
        Condition::all()
            .add(scope.cond(meeting::Column::OrgPath))
            .add(subtree_cond(meeting::Column::OrgPath, &root.path))
            .add(meeting::Column::HeldOn.gte(from))
            .add(meeting::Column::HeldOn.lt(until))
    };
    let compliant: Vec<(i64, i64)> = meeting::Entity::find()
        .select_only()
        .column(meeting::Column::OrgId)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .filter(within().add(meeting::Column::Compliant.eq(true)))
        .group_by(meeting::Column::OrgId)
        .into_tuple()
        .all(db)
        .await?;
    let exceptions: Vec<(i64, i64)> = meeting::Entity::find()
        .select_only()
        .column(meeting::Column::OrgId)
        .column(meeting::Column::Id)
        .filter(within().add(meeting::Column::Compliant.eq(false)))
        .order_by_asc(meeting::Column::HeldOn)
        .order_by_asc(meeting::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut tallies: BTreeMap<i64, Tally> = BTreeMap::new();
    tallies.insert(root.id, Tally::default());
    for (org_id, n) in compliant {
        let t = tallies.entry(org_id).or_default();
        t.meetings += u32::try_from(n).unwrap_or(u32::MAX);
        t.compliant += u32::try_from(n).unwrap_or(u32::MAX);
    }
    for (org_id, id) in exceptions {
        tallies.entry(org_id).or_default().add(id, false);
    }
    let orgs: Vec<organization::Model> =
        organization::Entity::find().filter(organization::Column::Id.is_in(tallies.keys().copied())).all(db).await?;
    let mut rows: Vec<(String, ComplianceRow)> = orgs
        .into_iter()
        .filter_map(|o| {
            let t = tallies.remove(&o.id)?;
            Some((
                o.path.clone(),
                ComplianceRow {
                    org: OrgRef { id: o.id, code: o.code, name: o.short_name.unwrap_or(o.name) },
                    meetings: t.meetings,
                    compliant_first_items: t.compliant,
                    exceptions: t.exceptions,
                },
            ))
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(rows.into_iter().map(|(_, r)| r).collect())
}

/// A work measure as submitted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MeasureInput {
    pub content: String,
    pub owner: Option<PersonKey>,
    /// A status code or label; empty means 未开始.
    pub status: String,
    pub due_on: Option<NaiveDate>,
    pub done_on: Option<NaiveDate>,
}

struct MeasureChecked {
    content: String,
    owner: i64,
    status: MeasureStatus,
}

async fn check_measure(db: &impl ConnectionTrait, m: &Meeting, input: &MeasureInput) -> Result<MeasureChecked> {
    let mut errs = Vec::new();
    let content = clean(&input.content, MEASURE_MAX, "措施内容", "content", &mut errs);
    if content.is_empty() && errs.is_empty() {
        errs.push(err("content", "请填写转化形成的工作思路或政策措施"));
    }
    let status = match input.status.trim() {
        "" => Some(MeasureStatus::NotStarted),
        s => MeasureStatus::parse_label(s),
    };
    if status.is_none() {
        errs.push(err("status", format!("落实状态“{}”无效，可选：未开始、推进中、已完成", input.status.trim())));
    }
    let owner = match &input.owner {
        None => {
            errs.push(err("owner", "请选择责任人"));
            None
        }
        Some(k) => {
            let (people, by_number) = people_named(db, m.org.id, &[k]).await?;
            let id = match k {
                PersonKey::Id(i) => people.contains_key(i).then_some(*i),
                PersonKey::Number(n) => by_number.get(&normal_number(n)).copied(),
            };
            if id.is_none() {
                errs.push(err("owner", format!("责任人{}不是本单位（{}）的人员，请核对", key_words(k), m.org.name)));
            }
            id
        }
    };
    if let Some(s) = status {
        for (field, message) in
            rules::check_measure(s, m.held_on, input.due_on, input.done_on, xuepei_domain::time::today())
        {
            errs.push(err(field, message));
        }
    }
    match (owner, status, errs.is_empty()) {
        (Some(owner), Some(status), true) => Ok(MeasureChecked { content, owner, status }),
        _ => Err(StoreError::Invalid(errs)),
    }
}

/// Adds a work measure to a meeting (also after it closed: measures are followed up).
pub async fn add_measure(tx: &Tx, meeting_id: i64, input: &MeasureInput) -> Result<Measure> {
    let m = get(tx.conn(), tx.scope(), meeting_id).await?;
    if m.measures.len() >= MAX_MEASURES {
        return Err(StoreError::invalid("content", format!("每次会议最多登记{MAX_MEASURES}项措施")));
    }
    let c = check_measure(tx.conn(), &m, input).await?;
    let t = now();
    let row = meeting_measure::ActiveModel {
        meeting_id: Set(m.id),
        org_id: Set(m.org.id),
        org_path: Set(m.org_path.clone()),
        content: Set(c.content),
        owner_id: Set(c.owner),
        status: Set(c.status.code().to_owned()),
        due_on: Set(input.due_on),
        done_on: Set(input.done_on),
        created_at: Set(t),
        updated_at: Set(t),
        ..Default::default()
    }
    .insert(tx.conn())
    .await?;
    let people = labels(tx.conn(), [row.owner_id]).await?;
    let out = measure_of(row, &people);
    tx.record(Entry {
        action: "meeting.measure",
        target_type: "meeting",
        target_id: Some(m.id.to_string()),
        scope_path: m.org_path.clone(),
        summary: format!("为{}登记成果转化措施：{}", m.title(), out.content.chars().take(60).collect::<String>()),
        before: None,
        after: json(&out),
    });
    Ok(out)
}

/// Changes a work measure's content, owner or follow-up.
pub async fn update_measure(tx: &Tx, meeting_id: i64, measure_id: i64, input: &MeasureInput) -> Result<Measure> {
    let m = get(tx.conn(), tx.scope(), meeting_id).await?;
    let before = m.measures.iter().find(|x| x.id == measure_id).cloned().ok_or(StoreError::NotFound("措施"))?;
    let c = check_measure(tx.conn(), &m, input).await?;
    // A sealed meeting's measures are followed up (status, date done), not rewritten.
    if m.closed {
        let mut changed = Vec::new();
        if c.content != before.content {
            changed.push("措施内容");
        }
        if c.owner != before.owner.id {
            changed.push("责任人");
        }
        if input.due_on != before.due_on {
            changed.push("完成时限");
        }
        if !changed.is_empty() {
            return Err(StoreError::Forbidden(format!(
                "该会议记录已封存，措施只能更新落实状态和完成日期，不能修改{}；如确需修改，请由宣传部门使用“更正”并说明原因",
                changed.join("、")
            )));
        }
    }
    meeting_measure::Entity::update_many()
        .col_expr(meeting_measure::Column::Content, Expr::value(c.content))
        .col_expr(meeting_measure::Column::OwnerId, Expr::value(c.owner))
        .col_expr(meeting_measure::Column::Status, Expr::value(c.status.code()))
        .col_expr(meeting_measure::Column::DueOn, Expr::value(input.due_on))
        .col_expr(meeting_measure::Column::DoneOn, Expr::value(input.done_on))
        .col_expr(meeting_measure::Column::UpdatedAt, Expr::value(now()))
        .filter(meeting_measure::Column::Id.eq(measure_id))
        .filter(meeting_measure::Column::MeetingId.eq(meeting_id))
        .exec(tx.conn())
        .await?;
    let after = get(tx.conn(), tx.scope(), meeting_id)
        .await?
        .measures
        .into_iter()
        .find(|x| x.id == measure_id)
        .ok_or(StoreError::NotFound("措施"))?;
    tx.record(Entry {
        action: "meeting.measure_update",
        target_type: "meeting",
        target_id: Some(m.id.to_string()),
        scope_path: m.org_path.clone(),
        summary: format!(
            "更新{}的措施落实情况：{}（{}）",
            m.title(),
            after.content.chars().take(40).collect::<String>(),
            after.status.label()
        ),
        before: json(&before),
        after: json(&after),
    });
    Ok(after)
}
