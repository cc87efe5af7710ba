//! People, read and changed within a scope.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, InsertStatement, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DbBackend, EntityTrait, FromQueryResult, JoinType,
    QueryFilter, QueryOrder, QuerySelect, QueryTrait, RelationTrait, Set, Statement, StatementBuilder,
};
use xuepei_domain::idcard;
use xuepei_domain::labels::Labeled;
use xuepei_domain::org::Sector;
use xuepei_domain::people::{Gender, PersonDraft, Profile, RankLevel, Role, Roles};
use xuepei_domain::text::compact;

use crate::audit::{Entry, Tx, json};
use crate::entity::{organization, person};
use crate::error::{Result, StoreError};
use crate::org::{self, Org, contains_cond, now, prefix_cond, suffix_cond};
use crate::page::{At, Page};
use crate::scope::Scope;

/// Unique keys of people (see `error::UniqueKey`).
pub(crate) const UNIQUE_KEYS: &[crate::error::UniqueKey] = &[crate::error::UniqueKey {
    index: "ux_persons_id_number",
    columns: "persons.id_number",
    message: "该身份证号已经登记（可能刚被其他用户同时登记），一个身份证号只能登记一人，未保存。请核对后再提交",
}];

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub id_number: String,
    pub phone: Option<String>,
    pub party_joined_on: Option<NaiveDate>,
    pub position: Option<String>,
    pub rank_level: Option<RankLevel>,
    #[serde(serialize_with = "ser_roles")]
    pub roles: Roles,
    pub org_id: i64,
    pub managing_org_id: Option<i64>,
    #[serde(flatten)]
    pub profile: Profile,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn ser_roles<S: serde::Serializer>(r: &Roles, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(r.iter().map(Role::code))
}

impl Person {
    /// The identity number as lists show it: first 3 and last 4 characters.
    pub fn masked_id(&self) -> String {
        idcard::mask(&self.id_number)
    }
}

impl From<person::Model> for Person {
    fn from(m: person::Model) -> Self {
        Person {
            id: m.id,
            gender: Gender::from_code(&m.gender).unwrap_or(Gender::Male),
            rank_level: m.rank_level.as_deref().and_then(RankLevel::from_code),
            roles: Roles(m.roles),
            name: m.name,
            birth_date: m.birth_date,
            id_number: m.id_number,
            phone: m.phone,
            party_joined_on: m.party_joined_on,
            position: m.position,
            org_id: m.org_id,
            managing_org_id: m.managing_org_id,
            profile: Profile {
                ethnicity: m.ethnicity,
                native_place: m.native_place,
                education: m.education,
                degree: m.degree,
                work_started_on: m.work_started_on,
                position_since: m.position_since,
            },
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A person in a list, with the organisation's name.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PersonRow {
    pub person: Person,
    pub org_name: String,
}

/// What a form or an import row sets on a person, references resolved to ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonInput {
    pub name: String,
    pub id_number: String,
    pub gender: Gender,
    pub birth_date: NaiveDate,
    pub phone: Option<String>,
    pub party_joined_on: Option<NaiveDate>,
    pub position: Option<String>,
    pub rank_level: Option<RankLevel>,
    pub roles: Roles,
    pub org_id: i64,
    pub managing_org_id: Option<i64>,
    pub profile: Profile,
}

impl PersonInput {
    pub fn from_draft(d: &PersonDraft, org_id: i64, managing_org_id: Option<i64>) -> Self {
        PersonInput {
            name: d.name.clone(),
            id_number: d.id.number.clone(),
            gender: d.gender,
            birth_date: d.birth_date,
            phone: d.phone.clone(),
            party_joined_on: d.party_joined_on,
            position: d.position.clone(),
            rank_level: d.rank_level,
            roles: d.roles,
            org_id,
            managing_org_id,
            profile: d.profile.clone(),
        }
    }

    pub(crate) fn active_model(&self, at: &Placement) -> person::ActiveModel {
        let t = now();
        person::ActiveModel {
            name: Set(self.name.clone()),
            gender: Set(self.gender.code().to_owned()),
            birth_date: Set(self.birth_date),
            id_number: Set(self.id_number.clone()),
            phone: Set(self.phone.clone()),
            party_joined_on: Set(self.party_joined_on),
            position: Set(self.position.clone()),
            rank_level: Set(self.rank_level.map(|r| r.code().to_owned())),
            roles: Set(self.roles.0),
            org_id: Set(self.org_id),
            org_path: Set(at.path.clone()),
            org_sector: Set(at.sector.code().to_owned()),
            managing_org_id: Set(self.managing_org_id),
            ethnicity: Set(self.profile.ethnicity.clone()),
            native_place: Set(self.profile.native_place.clone()),
            education: Set(self.profile.education.clone()),
            degree: Set(self.profile.degree.clone()),
            work_started_on: Set(self.profile.work_started_on),
            position_since: Set(self.profile.position_since),
            created_at: Set(t),
            updated_at: Set(t),
            ..Default::default()
        }
    }

    /// True when saving this input would change nothing.
    pub(crate) fn same_as(&self, m: &person::Model) -> bool {
        self.name == m.name
            && self.gender.code() == m.gender
            && self.birth_date == m.birth_date
            && self.phone == m.phone
            && self.party_joined_on == m.party_joined_on
            && self.position == m.position
            && self.rank_level.map(|r| r.code()) == m.rank_level.as_deref()
            && self.roles.0 == m.roles
            && self.org_id == m.org_id
            && self.managing_org_id == m.managing_org_id
            && self.profile.ethnicity == m.ethnicity
            && self.profile.native_place == m.native_place
            && self.profile.education == m.education
            && self.profile.degree == m.degree
            && self.profile.work_started_on == m.work_started_on
            && self.profile.position_since == m.position_since
    }

    /// The fields that differ from the stored row, as the import preview shows them
    /// (`org_name` names an organisation by id).
    pub(crate) fn changes(
        &self,
        m: &person::Model,
        org_name: impl Fn(i64) -> String,
    ) -> Vec<crate::imports::FieldChange> {
        use xuepei_domain::people::PERSON_IMPORT as S;
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let gender = |code: &str| Gender::from_code(code).map_or_else(|| code.to_owned(), |g| g.label().to_owned());
        let rank = |code: Option<&str>| {
            code.map(|c| RankLevel::from_code(c).map_or_else(|| c.to_owned(), |r| r.label().to_owned()))
                .unwrap_or_default()
        };
        let org = |id: Option<i64>| id.map(&org_name).unwrap_or_default();
        let p = &self.profile;
        crate::imports::field_changes([
            (S.label("name"), m.name.clone(), self.name.clone()),
            (S.label("gender"), gender(&m.gender), self.gender.label().to_owned()),
            (S.label("birth_date"), m.birth_date.to_string(), self.birth_date.to_string()),
            (S.label("phone"), text(&m.phone), text(&self.phone)),
            (S.label("party_joined_on"), date(m.party_joined_on), date(self.party_joined_on)),
            (S.label("position"), text(&m.position), text(&self.position)),
            (S.label("rank_level"), rank(m.rank_level.as_deref()), rank(self.rank_level.map(|r| r.code()))),
            (S.label("roles"), Roles(m.roles).labels(), self.roles.labels()),
            (S.label("ethnicity"), text(&m.ethnicity), text(&p.ethnicity)),
            (S.label("native_place"), text(&m.native_place), text(&p.native_place)),
            (S.label("education"), text(&m.education), text(&p.education)),
            (S.label("degree"), text(&m.degree), text(&p.degree)),
            (S.label("work_started_on"), date(m.work_started_on), date(p.work_started_on)),
            (S.label("position_since"), date(m.position_since), date(p.position_since)),
            (S.label("org"), org(Some(m.org_id)), org(Some(self.org_id))),
            (S.label("managing_org"), org(m.managing_org_id), org(self.managing_org_id)),
        ])
    }
}

/// SQLite: the batch is one JSON array of rows (arrays), unpacked by `jsonb_each`. The text
/// never changes, so the connection's cached prepared statement serves every batch, and one
/// bound value replaces ~30,000 (binding and clearing them cost more than the inserts).
/// `jsonb_each` hands each row over in SQLite's binary JSON, which `->>` reads as is;
/// `json_each` would render it as text for `->>` to parse again (a fifth of the time).
/// `WHERE true` tells the parser that `ON CONFLICT` is the upsert clause, not a join's.
const SQLITE_BULK: &str = "INSERT INTO persons (name, gender, birth_date, id_number, phone, party_joined_on, position, \
     rank_level, roles, org_id, org_path, org_sector, managing_org_id, ethnicity, native_place, education, degree, \
     work_started_on, position_since, created_at, updated_at) \
     SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, value->>7, value->>8, \
     value->>9, value->>10, value->>11, value->>12, value->>13, value->>14, value->>15, value->>16, value->>17, \
     value->>18, ?2, ?2 FROM jsonb_each(?1) WHERE true ON CONFLICT (id_number) DO NOTHING";

/// PostgreSQL: the same JSON unpacked server-side by `jsonb_array_elements`, cast to the
/// columns' types; the instant is bound as `timestamptz` as the single-row path binds it.
const POSTGRES_BULK: &str = "INSERT INTO persons (name, gender, birth_date, id_number, phone, party_joined_on, \
     position, rank_level, roles, org_id, org_path, org_sector, managing_org_id, ethnicity, native_place, education, \
     degree, work_started_on, position_since, created_at, updated_at) \
     SELECT r->>0, r->>1, (r->>2)::date, r->>3, r->>4, (r->>5)::date, r->>6, r->>7, (r->>8)::integer, \
     (r->>9)::bigint, r->>10, r->>11, (r->>12)::bigint, r->>13, r->>14, r->>15, r->>16, (r->>17)::date, \
     (r->>18)::date, $2, $2 FROM jsonb_array_elements($1::jsonb) AS r ON CONFLICT (id_number) DO NOTHING";

/// The statement that inserts people in bulk, skipping identity numbers already registered
/// (the importer's fast path); the count of rows it affects is the count inserted, except
/// on MySQL, which counts skipped rows too (see the importer). Every row gets
/// `created_at = updated_at = stamp`.
///
/// SQLite and PostgreSQL receive the batch as one JSON parameter beside the stamp (see
/// [`SQLITE_BULK`], [`POSTGRES_BULK`]); values are written as the single-row path binds
/// them (dates `YYYY-MM-DD`, NULL as `null`), so rows read back the same either way. MySQL
/// gets a multi-row INSERT sized to its parameter limit.
pub(crate) fn bulk_insert(backend: DbBackend, rows: &[(&PersonInput, &Placement)], stamp: DateTime<Utc>) -> Statement {
    let sql = match backend {
        DbBackend::Sqlite => SQLITE_BULK,
        DbBackend::Postgres => POSTGRES_BULK,
        _ => return backend.build(&insert_statement(rows, stamp)),
    };
    Statement::from_sql_and_values(backend, sql, [bulk_json(rows).into(), stamp.into()])
}

/// A new person's values in the column order of [`insert_statement`].
fn row_values(p: &PersonInput, at: &Placement, stamp: DateTime<Utc>) -> [sea_orm::Value; 21] {
    [
        p.name.clone().into(),
        p.gender.code().into(),
        p.birth_date.into(),
        p.id_number.clone().into(),
        p.phone.clone().into(),
        p.party_joined_on.into(),
        p.position.clone().into(),
        p.rank_level.map(|r| r.code().to_owned()).into(),
        p.roles.0.into(),
        p.org_id.into(),
        at.path.clone().into(),
        at.sector.code().into(),
        p.managing_org_id.into(),
        p.profile.ethnicity.clone().into(),
        p.profile.native_place.clone().into(),
        p.profile.education.clone().into(),
        p.profile.degree.clone().into(),
        p.profile.work_started_on.into(),
        p.profile.position_since.into(),
        stamp.into(),
        stamp.into(),
    ]
}

/// The rows as a JSON array of arrays, in the column order of [`SQLITE_BULK`] without the
/// instants.
fn bulk_json(rows: &[(&PersonInput, &Placement)]) -> String {
    use std::fmt::Write;
    fn text(out: &mut String, s: &str) {
        if s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
            out.push_str(&serde_json::Value::from(s).to_string());
        } else {
            out.push('"');
            out.push_str(s);
            out.push('"');
        }
    }
    fn opt_text(out: &mut String, s: Option<&str>) {
        match s {
            Some(s) => text(out, s),
            None => out.push_str("null"),
        }
    }
    fn date(out: &mut String, d: Option<NaiveDate>) {
        match d {
            // `YYYY-MM-DD`, as sqlx binds a date on SQLite.
            Some(d) => {
                let _ = write!(out, "\"{d}\"");
            }
            None => out.push_str("null"),
        }
    }
    let mut out = String::with_capacity(rows.len() * 320 + 2);
    out.push('[');
    for (i, (p, at)) in rows.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        text(&mut out, &p.name);
        out.push(',');
        text(&mut out, p.gender.code());
        out.push(',');
        date(&mut out, Some(p.birth_date));
        out.push(',');
        text(&mut out, &p.id_number);
        out.push(',');
        opt_text(&mut out, p.phone.as_deref());
        out.push(',');
        date(&mut out, p.party_joined_on);
        out.push(',');
        opt_text(&mut out, p.position.as_deref());
        out.push(',');
        opt_text(&mut out, p.rank_level.map(|r| r.code()));
        let _ = write!(out, ",{},{},", p.roles.0, p.org_id);
        text(&mut out, &at.path);
        out.push(',');
        text(&mut out, at.sector.code());
        match p.managing_org_id {
            Some(id) => {
                let _ = write!(out, ",{id},");
            }
            None => out.push_str(",null,"),
        }
        let f = &p.profile;
        opt_text(&mut out, f.ethnicity.as_deref());
        out.push(',');
        opt_text(&mut out, f.native_place.as_deref());
        out.push(',');
        opt_text(&mut out, f.education.as_deref());
        out.push(',');
        opt_text(&mut out, f.degree.as_deref());
        out.push(',');
        date(&mut out, f.work_started_on);
        out.push(',');
        date(&mut out, f.position_since);
        out.push(']');
    }
    out.push(']');
    out
}

/// A multi-row INSERT of people that skips identity numbers already registered (MySQL's
/// bulk path); every row gets `created_at = stamp`.
fn insert_statement(rows: &[(&PersonInput, &Placement)], stamp: DateTime<Utc>) -> InsertStatement {
    use person::Column as C;
    let mut q = Query::insert();
    q.into_table(person::Entity).columns([
        C::Name,
        C::Gender,
        C::BirthDate,
        C::IdNumber,
        C::Phone,
        C::PartyJoinedOn,
        C::Position,
        C::RankLevel,
        C::Roles,
        C::OrgId,
        C::OrgPath,
        C::OrgSector,
        C::ManagingOrgId,
        C::Ethnicity,
        C::NativePlace,
        C::Education,
        C::Degree,
        C::WorkStartedOn,
        C::PositionSince,
        C::CreatedAt,
        C::UpdatedAt,
    ]);
    for (p, at) in rows {
        q.values_panic(row_values(p, at, stamp).map(Expr::val));
    }
    q.on_conflict(OnConflict::column(C::IdNumber).do_nothing_on([C::IdNumber]).to_owned());
    q.to_owned()
}

/// Where a person sits in the tree: what their row copies from their organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Placement {
    pub path: String,
    pub sector: Sector,
}

impl From<&Org> for Placement {
    fn from(o: &Org) -> Self {
        Placement { path: o.path.clone(), sector: o.sector }
    }
}

/// Filters for people lists.
#[derive(Debug, Clone, Default)]
pub struct PersonFilter {
    /// Any part of a name; the start of an identity number, or its last four characters,
    /// when it is digits.
    pub q: Option<String>,
    /// The sector of the person's organisation.
    pub sector: Option<Sector>,
    pub role: Option<Role>,
    pub rank_level: Option<RankLevel>,
    /// Only this organisation's subtree (must lie in the scope).
    pub under: Option<i64>,
    /// Only the people of this organisation itself, not of those below it (must lie in
    /// the scope).
    pub direct: Option<i64>,
}

impl PersonFilter {
    /// Filters beyond the subtree: those that the maintained counters cannot answer.
    pub fn narrows(&self) -> bool {
        self.q.as_deref().is_some_and(|q| !q.trim().is_empty())
            || self.sector.is_some()
            || self.role.is_some()
            || self.rank_level.is_some()
            || self.direct.is_some()
    }
}

/// List orders, each backed by an index with the id as tie-breaker.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PersonSort {
    /// By organisation (tree order), the default.
    #[default]
    Org,
    /// By name.
    Name,
}

/// How many people a filter matches; counts beyond [`COUNT_CAP`] are not exact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct PeopleCount {
    pub value: u64,
    /// The count stopped at the cap: "more than `value`".
    pub capped: bool,
}

pub const COUNT_CAP: u64 = 10_000;

/// A filter as SQL: the subtree as one path range (the narrower of the scope and `under`),
/// kept apart so that a cursor can tighten its lower bound, and the other conditions.
struct Conditions {
    /// `[lo, hi)` over `org_path`; none for the whole system.
    range: Option<(String, String)>,
    rest: Condition,
    under: Option<Org>,
}

impl Conditions {
    /// All conditions, the range's lower bound raised to `from` or its upper bound lowered
    /// to `to` (inclusive) when given. A single bound each way matters: SQLite uses one
    /// bound of an index range and would otherwise start at the subtree's edge and walk to
    /// the cursor.
    fn with_bounds(self, from: Option<&str>, to: Option<&str>) -> Condition {
        let (lo, hi) = match self.range {
            Some((lo, hi)) => (Some(lo), Some(hi)),
            None => (None, None),
        };
        let lo = match (lo, from) {
            (Some(l), Some(f)) => Some(if f > l.as_str() { f.to_owned() } else { l }),
            (l, f) => l.or(f.map(str::to_owned)),
        };
        let mut c = self.rest;
        if let Some(lo) = lo {
            c = c.add(person::Column::OrgPath.gte(lo));
        }
        match (hi, to) {
            (Some(h), Some(t)) if t < h.as_str() => c = c.add(person::Column::OrgPath.lte(t)),
            (Some(h), _) => c = c.add(person::Column::OrgPath.lt(h)),
            (None, Some(t)) => c = c.add(person::Column::OrgPath.lte(t)),
            (None, None) => {}
        }
        c
    }
}

async fn condition(db: &impl ConnectionTrait, scope: &Scope, f: &PersonFilter) -> Result<Conditions> {
    let mut c = Condition::all();
    let mut under = None;
    let mut range = scope.root_path().map(xuepei_domain::org::path::subtree_range);
    if let Some(id) = f.under {
        let o = org::get(db, scope, id).await?;
        range = Some(xuepei_domain::org::path::subtree_range(&o.path));
        under = Some(o);
    }
    if let Some(q) = f.q.as_deref().map(compact).filter(|q| !q.is_empty()) {
        let upper = q.to_ascii_uppercase();
        let id_char = |b: u8| b.is_ascii_digit() || b == b'X';
        let id_like = upper.bytes().all(id_char) && upper.bytes().next().is_some_and(|b| b.is_ascii_digit());
        // A number as the list shows it, masked in the middle: its start and its end.
        let masked = upper
            .split_once('*')
            .map(|(head, rest)| (head, rest.trim_start_matches('*')))
            .filter(|(head, tail)| head.bytes().all(|b| b.is_ascii_digit()) && tail.bytes().all(id_char))
            .filter(|(head, tail)| head.len() + tail.len() >= 4);
        c = c.add(match (upper.len(), masked) {
            (_, Some((head, tail))) => Condition::all()
                .add(prefix_cond(person::Column::IdNumber, head))
                .add(suffix_cond(person::Column::IdNumber, tail)),
            // The last four characters the list shows, or the start of a number.
            (4, None) if id_like => Condition::any()
                .add(suffix_cond(person::Column::IdNumber, &upper))
                .add(prefix_cond(person::Column::IdNumber, &upper)),
            (_, None) if id_like => prefix_cond(person::Column::IdNumber, &upper),
            _ => contains_cond(person::Column::Name, &q),
        });
    }
    if let Some(id) = f.direct {
        let o = org::get(db, scope, id).await?;
        c = c.add(person::Column::OrgId.eq(o.id));
    }
    if let Some(s) = f.sector {
        c = c.add(person::Column::OrgSector.eq(s.code()));
    }
    if let Some(r) = f.role {
        c = c.add(Expr::col((person::Entity, person::Column::Roles)).bit_and(r.bit()).ne(0));
    }
    if let Some(r) = f.rank_level {
        c = c.add(person::Column::RankLevel.eq(r.code()));
    }
    Ok(Conditions { range, rest: c, under })
}

/// A cursor is the sort key and the id, `~` between them: printable, so that it passes
/// through links and forms as it is (the key may hold `~`; the id after the last one never).
const CURSOR_SEP: char = '~';

fn parse_cursor(after: &str) -> Option<(String, i64)> {
    let (key, id) = after.rsplit_once(CURSOR_SEP)?;
    Some((key.to_owned(), id.parse().ok()?))
}

#[derive(FromQueryResult)]
struct WithOrgName {
    #[sea_orm(nested)]
    person: person::Model,
    org_name: Option<String>,
}

/// A page of people, keyset-paginated (`at` names a cursor of a page before, a number or
/// an end).
pub async fn list(
    db: &impl ConnectionTrait,
    scope: &Scope,
    f: &PersonFilter,
    sort: PersonSort,
    at: At<'_>,
    limit: u64,
) -> Result<Page<PersonRow>> {
    let conds = condition(db, scope, f).await?;
    let key_col = match sort {
        PersonSort::Org => person::Column::OrgPath,
        PersonSort::Name => person::Column::Name,
    };
    let cursor = at.cursor().and_then(|(c, after)| Some((parse_cursor(c)?, after)));
    let bound = match (&cursor, sort) {
        (Some(((k, _), after)), PersonSort::Org) => Some((k.as_str(), *after)),
        _ => None,
    };
    let (from, to) = match bound {
        Some((k, true)) => (Some(k), None),
        Some((k, false)) => (None, Some(k)),
        None => (None, None),
    };
    let mut c = conds.with_bounds(from, to);
    if let Some(((k, id), after)) = cursor {
        // (key, id) > (k, id): a row-value comparison that the (key, id) index serves.
        let cols = Expr::tuple([Expr::col((person::Entity, key_col)), Expr::col((person::Entity, person::Column::Id))]);
        let edge = Expr::tuple([Expr::val(k.clone()), Expr::val(id)]);
        if after {
            if sort == PersonSort::Name {
                c = c.add(person::Column::Name.gte(k));
            }
            c = c.add(cols.gt(edge));
        } else {
            if sort == PersonSort::Name {
                c = c.add(person::Column::Name.lte(k));
            }
            c = c.add(cols.lt(edge));
        }
    }
    let (limit, fetch) = crate::page::fetch(limit, 500);
    // The organisation's name comes in the same query: a page is one round trip.
    let mut q = person::Entity::find()
        .column_as(organization::Column::Name, "org_name")
        .join(JoinType::LeftJoin, person::Relation::Organization.def())
        .filter(c)
        .order_by(key_col, at.order())
        .order_by(person::Column::Id, at.order())
        .limit(fetch);
    if let Some(skip) = at.offset(limit) {
        q = q.offset(skip);
    }
    let rows: Vec<WithOrgName> = q.into_model().all(db).await?;
    let cursor = |r: &WithOrgName| {
        let m = &r.person;
        let k = match sort {
            PersonSort::Org => &m.org_path,
            PersonSort::Name => &m.name,
        };
        format!("{k}{CURSOR_SEP}{}", m.id)
    };
    Ok(crate::page::page_of(rows, limit, at, cursor, |r| PersonRow {
        person: Person::from(r.person),
        org_name: r.org_name.unwrap_or_default(),
    }))
}

/// How many people match: from the maintained counters when only the subtree is
/// filtered, else counted up to [`COUNT_CAP`].
pub async fn count(db: &impl ConnectionTrait, scope: &Scope, f: &PersonFilter) -> Result<PeopleCount> {
    let conds = condition(db, scope, f).await?;
    let under = conds.under.clone();
    let c = conds.with_bounds(None, None);
    if !f.narrows() {
        let totals = match &under {
            Some(o) => org::subtree_totals(db, scope, o.id).await?,
            None => org::scope_totals(db, scope).await?,
        };
        return Ok(PeopleCount { value: u64::try_from(totals.people).unwrap_or(0), capped: false });
    }
    let inner =
        person::Entity::find().select_only().column(person::Column::Id).filter(c).limit(COUNT_CAP + 1).into_query();
    let mut outer = Query::select();
    outer.expr_as(Expr::cust("COUNT(*)"), "n").from_subquery(inner, "sub");
    let stmt = StatementBuilder::build(&outer, &db.get_database_backend());
    let n: i64 = match db.query_one_raw(stmt).await? {
        Some(row) => row.try_get("", "n")?,
        None => 0,
    };
    let n = u64::try_from(n).unwrap_or(0);
    Ok(PeopleCount { value: Ord::min(n, COUNT_CAP), capped: n > COUNT_CAP })
}

/// One person.
pub async fn get(db: &impl ConnectionTrait, scope: &Scope, id: i64) -> Result<Person> {
    person::Entity::find_by_id(id)
        .filter(scope.cond(person::Column::OrgPath))
        .one(db)
        .await?
        .map(Person::from)
        .ok_or(StoreError::NotFound("人员"))
}

async fn target_org(db: &impl ConnectionTrait, scope: &Scope, input: &PersonInput) -> Result<Org> {
    let o =
        org::get(db, scope, input.org_id).await.map_err(|_| StoreError::invalid("org", "请选择您管理范围内的组织"))?;
    if !o.active {
        return Err(StoreError::invalid("org", format!("“{}”已撤销，不能登记人员", o.display_name())));
    }
    if let Some(m) = input.managing_org_id {
        let ok = org::get(db, scope, m).await.is_ok()
            || org::authority_candidates(db, scope).await?.iter().any(|o| o.id == m);
        if !ok {
            return Err(StoreError::invalid("managing_org", "干部管理单位须为本级或上级的组织部门"));
        }
    }
    Ok(o)
}

async fn check_id_free(tx: &Tx, id_number: &str, except: Option<i64>) -> Result<()> {
    let mut q = person::Entity::find().filter(person::Column::IdNumber.eq(id_number));
    if let Some(id) = except {
        q = q.filter(person::Column::Id.ne(id));
    }
    if let Some(other) = q.one(tx.conn()).await? {
        // Say who only when the caller may see them; outside the scope, say that it is
        // registered elsewhere only to those allowed to know, and count the question.
        let msg = if tx.scope().contains_path(&other.org_path) {
            format!("该身份证号已登记为“{}”，同一身份证号只能登记一人", other.name)
        } else {
            tx.id_elsewhere(id_number, if except.is_some() { "修改人员" } else { "登记人员" });
            crate::idchecks::refusal(tx.actor().id_checks.told).to_owned()
        };
        return Err(StoreError::invalid("id_number", msg));
    }
    Ok(())
}

/// Registers a person in an organisation of the scope.
pub async fn create(tx: &Tx, input: &PersonInput) -> Result<Person> {
    let (db, scope) = (tx.conn(), tx.scope());
    let o = target_org(db, scope, input).await?;
    check_id_free(tx, &input.id_number, None).await?;
    let m = input.active_model(&Placement::from(&o)).insert(db).await?;
    org::add_people(db, &HashMap::from([(o.id, 1)])).await?;
    leaders_changed(db, &[&m]).await?;
    let p = Person::from(m);
    tx.record(Entry {
        action: "person.create",
        target_type: "person",
        target_id: Some(p.id.to_string()),
        scope_path: o.path.clone(),
        summary: format!("登记人员“{}”（{}）", p.name, o.name),
        before: None,
        after: json(&p),
    });
    Ok(p)
}

/// Changes a person; moving them to another organisation keeps counters right.
pub async fn update(tx: &Tx, id: i64, input: &PersonInput) -> Result<Person> {
    let (db, scope) = (tx.conn(), tx.scope());
    let before = person::Entity::find_by_id(id)
        .filter(scope.cond(person::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("人员"))?;
    let o = target_org(db, scope, input).await?;
    if input.id_number != before.id_number {
        check_id_free(tx, &input.id_number, Some(id)).await?;
    }
    let mut am = input.active_model(&Placement::from(&o));
    am.id = Set(id);
    am.created_at = Set(before.created_at);
    let m = am.update(db).await?;
    if before.org_id != o.id {
        org::add_people(db, &HashMap::from([(before.org_id, -1), (o.id, 1)])).await?;
        crate::study_logs::follow_person(db, id, o.id, &o.path).await?;
    }
    leaders_changed(db, &[&before, &m]).await?;
    let after = Person::from(m);
    tx.record(Entry {
        action: "person.update",
        target_type: "person",
        target_id: Some(id.to_string()),
        scope_path: o.path.clone(),
        summary: format!("修改人员“{}”的信息", after.name),
        before: json(&Person::from(before)),
        after: json(&after),
    });
    Ok(after)
}

/// Recounts the quota figures of the organisations of these versions of people that are
/// leaders (a leader added, removed, moved, or whose roles or rank changed).
pub(crate) async fn leaders_changed(db: &impl ConnectionTrait, versions: &[&person::Model]) -> Result<()> {
    let mask = xuepei_domain::study::quotas::leader_mask();
    let orgs: Vec<i64> = versions.iter().filter(|p| p.roles & mask != 0).map(|p| p.org_id).collect();
    crate::quota_figures::recount(db, crate::quota_figures::Leaders::OfOrgs(&orgs)).await
}

/// What other modules hold of a person (kinds of records, in Chinese), so that a deletion
/// is refused with a reason instead of a foreign-key error or orphaned rows.
async fn records_of(db: &impl ConnectionTrait, id: i64) -> Result<Vec<&'static str>> {
    use crate::entity::{
        account, credit_record, enrolment, meeting, meeting_measure, study_log, study_report, study_session,
    };
    let mut out = Vec::new();
    let found = [
        (account::Entity::find().filter(account::Column::PersonId.eq(id)).one(db).await?.is_some(), "登录账号"),
        (enrolment::Entity::find().filter(enrolment::Column::PersonId.eq(id)).one(db).await?.is_some(), "培训报名记录"),
        (
            credit_record::Entity::find().filter(credit_record::Column::PersonId.eq(id)).one(db).await?.is_some(),
            "学时记录",
        ),
        (meeting::Entity::find().filter(meeting::Column::ChairId.eq(id)).one(db).await?.is_some(), "主持的会议记录"),
        (
            meeting_measure::Entity::find().filter(meeting_measure::Column::OwnerId.eq(id)).one(db).await?.is_some(),
            "负责的成果转化措施",
        ),
        (study_log::Entity::find().filter(study_log::Column::PersonId.eq(id)).one(db).await?.is_some(), "学习记录"),
        (
            study_session::Entity::find().filter(study_session::Column::LeadId.eq(id)).one(db).await?.is_some(),
            "领学的中心组学习记录",
        ),
        (
            study_report::Entity::find().filter(study_report::Column::PersonId.eq(id)).one(db).await?.is_some(),
            "调研或述学报告",
        ),
    ];
    for (held, what) in found {
        if held {
            out.push(what);
        }
    }
    Ok(out)
}

/// Removes a person from the roster.
pub async fn delete(tx: &Tx, id: i64) -> Result<Person> {
    let (db, scope) = (tx.conn(), tx.scope());
    let m = person::Entity::find_by_id(id)
        .filter(scope.cond(person::Column::OrgPath))
        .one(db)
        .await?
        .ok_or(StoreError::NotFound("人员"))?;
    let held = records_of(db, id).await?;
    if !held.is_empty() {
        return Err(StoreError::Conflict(format!(
            "“{}”已有{}，删除会使这些记录失去对应人员，未删除。如此人已调离，请修改其所在单位",
            m.name,
            held.join("、")
        )));
    }
    let org_path = m.org_path.clone();
    person::Entity::delete_by_id(id).exec(db).await?;
    leaders_changed(db, &[&m]).await?;
    let p = Person::from(m);
    org::add_people(db, &HashMap::from([(p.org_id, -1)])).await?;
    tx.record(Entry {
        action: "person.delete",
        target_type: "person",
        target_id: Some(id.to_string()),
        scope_path: org_path,
        summary: format!("删除人员“{}”", p.name),
        before: json(&p),
        after: None,
    });
    Ok(p)
}
