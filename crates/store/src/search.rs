//! Chinese full-text search over study texts, kept in the database (the web servers stay
//! stateless). See `docs/architecture.md`, "Full-text search", for the method and why.
//!
//! # The API other modules call
//!
//! A module that keeps searchable text (materials, meeting minutes, discussion notes,
//! speeches, reflections, study reports) indexes each record **in the same transaction** as
//! the write that changes it, and removes it when the record goes:
//!
//! ```ignore
//! use xuepei_store::search::{self, Doc};
//! search::put(tx.conn(), &Doc {
//!     kind: "meeting",          // a short code of the record's kind (≤ 16 bytes)
//!     id: meeting.id,           // the record's id in its own table
//!     org_id: org.id,           // the owning organisation and its path: who may find it
//!     org_path: &org.path,
//!     title: &title,            // shown in the results; matches here rank first
//!     body: &minutes,           // the searchable text
//!     date: Some(meeting.date), // newer first among equal matches
//! }).await?;                    // insert, or replace what was indexed before
//! search::remove(tx.conn(), "meeting", meeting.id).await?;
//! ```
//!
//! `put` replaces every term of the record, so call it after each change of its title or
//! text. Kind codes with a Chinese label and a link are listed in [`KINDS`]; a module adds
//! its line there. A search ([`search`]) reads only documents in the searcher's scope
//! (their `org_path`, a registered path copy that follows subtree moves).
//!
//! # Tables
//! `search_docs` holds one row per record (kind, id, organisation, title, text, date);
//! `search_postings` one row per distinct term of a document: the term (a CJK character
//! pair or a lower-cased Latin word, `domain::study::search`), the document's path and the
//! term's score there (title hits, body hits, date). Two indexes serve a term in a scope:
//! `(term, org_path, score, doc)` when the scope holds few of its postings (one range,
//! sorted afterwards) and `(term, score, org_path, doc)` when it holds many (read best
//! first, filtered by path, stopping when the page is full).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect, Set, Statement,
    TransactionSession, TransactionTrait, Value,
};
use serde::Serialize;
use xuepei_domain::org::path;
use xuepei_domain::study::search::{self as terms, Query, QueryError};
use xuepei_domain::validate::FieldError;

use crate::entity::{search_doc, search_posting};
use crate::error::{Result, StoreError};
use crate::scope::Scope;
use crate::sql;

/// A record to index.
#[derive(Debug, Clone, Copy)]
pub struct Doc<'a> {
    pub kind: &'static str,
    pub id: i64,
    pub org_id: i64,
    pub org_path: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    pub date: Option<NaiveDate>,
}

/// Kinds of searchable records: code, Chinese label, and the address of a record
/// (`{id}` replaced).
pub const KINDS: &[(&str, &str, &str)] = &[
    ("material", "学习资料", "/materials/{id}"),
    // A meeting's first item, its discussion notes and speakers are one document.
    ("meeting", "会议记录", "/study/meetings/{id}"),
    ("speech", "中心组研讨发言", "/study/sessions/{id}"),
    ("reflection", "心得体会", "/study/logs/{id}"),
    ("study_log", "学习记录", "/study/logs/{id}"),
    ("report", "调研和述学报告", "/study/reports/{id}"),
];

/// The label of a kind code.
pub fn kind_label(code: &str) -> &'static str {
    KINDS.iter().find(|k| k.0 == code).map_or("其他", |k| k.1)
}

/// The address of a record found.
pub fn link(kind: &str, id: i64) -> String {
    KINDS.iter().find(|k| k.0 == kind).map_or_else(String::new, |k| k.2.replace("{id}", &id.to_string()))
}

/// Text beyond this many characters of a body is kept but not indexed.
pub const MAX_INDEXED_CHARS: usize = 100_000;
/// At most this many results are ranked for one query (the pager stops there).
pub const MAX_RESULTS: usize = 200;
/// Candidates read from one term's postings for one query at most.
const MAX_SCAN: u64 = 4_000;
/// A term with fewer postings than this in the scope is read whole and sorted (the
/// scope's range); with more, it is read best first (the score index).
const NARROW: u64 = 5_000;
const CHUNK: u64 = 100;

fn clip(s: &str, n: usize) -> String {
    s.chars().take(n).map(|c| if c == '\0' { ' ' } else { c }).collect()
}

/// Indexes a record, replacing whatever was indexed for it before. Call it inside the
/// transaction that writes the record.
pub async fn put(db: &impl ConnectionTrait, doc: &Doc<'_>) -> Result<()> {
    let title = clip(doc.title, 300);
    let body: String = doc.body.replace('\0', " ");
    let existing = search_doc::Entity::find()
        .filter(search_doc::Column::Kind.eq(doc.kind))
        .filter(search_doc::Column::DocId.eq(doc.id))
        .one(db)
        .await?;
    let sid = match existing {
        Some(e) => {
            search_posting::Entity::delete_many().filter(search_posting::Column::Doc.eq(e.id)).exec(db).await?;
            let id = e.id;
            let mut m: search_doc::ActiveModel = e.into();
            m.org_id = Set(doc.org_id);
            m.org_path = Set(doc.org_path.to_owned());
            m.title = Set(title.clone());
            m.body = Set(body.clone());
            m.issued_on = Set(doc.date);
            m.update(db).await?;
            id
        }
        None => {
            search_doc::ActiveModel {
                kind: Set(doc.kind.to_owned()),
                doc_id: Set(doc.id),
                org_id: Set(doc.org_id),
                org_path: Set(doc.org_path.to_owned()),
                title: Set(title.clone()),
                body: Set(body.clone()),
                issued_on: Set(doc.date),
                ..Default::default()
            }
            .insert(db)
            .await?
            .id
        }
    };
    let indexed: String = body.chars().take(MAX_INDEXED_CHARS).collect();
    let rows = postings(sid, doc.org_path, &title, &indexed, doc.date);
    insert_postings(db, rows).await
}

/// The postings of one document.
fn postings(sid: i64, org_path: &str, title: &str, body: &str, date: Option<NaiveDate>) -> Vec<search_posting::Model> {
    let tc = terms::term_counts(title);
    let bc = terms::term_counts(body);
    let days = terms::score_days(date);
    let all: HashSet<&String> = tc.keys().chain(bc.keys()).collect();
    all.into_iter()
        .map(|t| search_posting::Model {
            doc: sid,
            term: t.clone(),
            org_path: org_path.to_owned(),
            score: terms::score(tc.get(t).copied().unwrap_or(0), bc.get(t).copied().unwrap_or(0), days),
        })
        .collect()
}

async fn insert_postings(db: &impl ConnectionTrait, rows: Vec<search_posting::Model>) -> Result<()> {
    let per = sql::max_params(db.get_database_backend()) / 4;
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let batch: Vec<search_posting::ActiveModel> = rows.by_ref().take(per).map(Into::into).collect();
        search_posting::Entity::insert_many(batch).exec_without_returning(db).await?;
    }
    Ok(())
}

/// Indexes many records not indexed before (an import, the benchmark's load): multi-row
/// inserts of the documents, then of their postings, in the caller's transaction. A record
/// already indexed is refused by the unique key (use [`put`] to replace one).
pub async fn put_new(db: &impl ConnectionTrait, docs: &[Doc<'_>]) -> Result<()> {
    let backend = db.get_database_backend();
    // Eight columns a document row.
    for chunk in docs.chunks((sql::max_params(backend) / 8).min(2_000)) {
        let rows: Vec<search_doc::ActiveModel> = chunk
            .iter()
            .map(|d| search_doc::ActiveModel {
                kind: Set(d.kind.to_owned()),
                doc_id: Set(d.id),
                org_id: Set(d.org_id),
                org_path: Set(d.org_path.to_owned()),
                title: Set(clip(d.title, 300)),
                body: Set(d.body.replace('\0', " ")),
                issued_on: Set(d.date),
                ..Default::default()
            })
            .collect();
        search_doc::Entity::insert_many(rows).exec_without_returning(db).await?;
        // The new rows' ids, by kind and record id.
        let mut ids: HashMap<(String, i64), i64> = HashMap::new();
        let kinds: HashSet<&str> = chunk.iter().map(|d| d.kind).collect();
        for k in kinds {
            let of_kind: Vec<i64> = chunk.iter().filter(|d| d.kind == k).map(|d| d.id).collect();
            for m in search_doc::Entity::find()
                .filter(search_doc::Column::Kind.eq(k))
                .filter(search_doc::Column::DocId.is_in(of_kind))
                .all(db)
                .await?
            {
                ids.insert((m.kind, m.doc_id), m.id);
            }
        }
        let mut rows = Vec::new();
        for d in chunk {
            let Some(&sid) = ids.get(&(d.kind.to_owned(), d.id)) else { continue };
            let body: String = d.body.chars().take(MAX_INDEXED_CHARS).collect();
            rows.extend(postings(sid, d.org_path, &clip(d.title, 300), &body, d.date));
        }
        insert_postings(db, rows).await?;
    }
    Ok(())
}

/// Moves records' index entries to another organisation (their record moved with a person).
pub(crate) async fn relocate(
    db: &impl ConnectionTrait,
    kind: &str,
    ids: &[i64],
    org_id: i64,
    org_path: &str,
) -> Result<()> {
    for chunk in ids.chunks(500) {
        let docs: Vec<i64> = search_doc::Entity::find()
            .filter(search_doc::Column::Kind.eq(kind))
            .filter(search_doc::Column::DocId.is_in(chunk.iter().copied()))
            .all(db)
            .await?
            .into_iter()
            .map(|d| d.id)
            .collect();
        if docs.is_empty() {
            continue;
        }
        search_doc::Entity::update_many()
            .col_expr(search_doc::Column::OrgId, sea_orm::sea_query::Expr::val(org_id))
            .col_expr(search_doc::Column::OrgPath, sea_orm::sea_query::Expr::val(org_path))
            .filter(search_doc::Column::Id.is_in(docs.clone()))
            .exec(db)
            .await?;
        search_posting::Entity::update_many()
            .col_expr(search_posting::Column::OrgPath, sea_orm::sea_query::Expr::val(org_path))
            .filter(search_posting::Column::Doc.is_in(docs))
            .exec(db)
            .await?;
    }
    Ok(())
}

/// Removes a record from the index (nothing happens when it was not indexed).
pub async fn remove(db: &impl ConnectionTrait, kind: &str, id: i64) -> Result<()> {
    let existing = search_doc::Entity::find()
        .filter(search_doc::Column::Kind.eq(kind))
        .filter(search_doc::Column::DocId.eq(id))
        .one(db)
        .await?;
    if let Some(e) = existing {
        search_posting::Entity::delete_many().filter(search_posting::Column::Doc.eq(e.id)).exec(db).await?;
        search_doc::Entity::delete_by_id(e.id).exec(db).await?;
    }
    Ok(())
}

/// One record found.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub kind: String,
    pub id: i64,
    pub title: String,
    /// The title, HTML-escaped, with the query's words in `<mark>`.
    #[serde(skip)]
    pub title_html: String,
    /// Part of the text around the first match, HTML-escaped, words in `<mark>`.
    pub snippet: String,
    #[serde(skip)]
    pub date: Option<NaiveDate>,
}

impl Hit {
    pub fn kind_label(&self) -> &'static str {
        kind_label(&self.kind)
    }

    pub fn link(&self) -> String {
        link(&self.kind, self.id)
    }
}

/// A page of results.
#[derive(Debug, Clone, Serialize)]
pub struct Results {
    pub items: Vec<Hit>,
    /// The page shown (from 1).
    pub page: u64,
    pub has_next: bool,
}

/// A statement with placeholders in the backend's style.
struct Sql {
    backend: DbBackend,
    text: String,
    values: Vec<Value>,
}

impl Sql {
    fn new(backend: DbBackend) -> Self {
        Sql { backend, text: String::new(), values: Vec::new() }
    }

    fn p(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        match self.backend {
            DbBackend::Postgres => format!("${}", self.values.len()),
            _ => "?".to_owned(),
        }
    }

    fn stmt(self) -> Statement {
        Statement::from_sql_and_values(self.backend, self.text, self.values)
    }
}

/// ` AND p.org_path >= lo AND p.org_path < hi` for a scope (nothing for the whole tree).
fn scope_range(s: &mut Sql, scope: &Scope, alias: &str) -> String {
    match scope.root_path() {
        None => String::new(),
        Some(root) => {
            let (lo, hi) = path::subtree_range(root);
            let (a, b) = (s.p(lo), s.p(hi));
            format!(" AND {alias}.org_path >= {a} AND {alias}.org_path < {b}")
        }
    }
}

/// How many postings of a term lie in the scope, counted up to `cap`.
async fn postings_in_scope(db: &impl ConnectionTrait, scope: &Scope, term: &str, cap: u64) -> Result<u64> {
    let mut s = Sql::new(db.get_database_backend());
    let t = s.p(term);
    let range = scope_range(&mut s, scope, "p");
    s.text =
        format!("SELECT COUNT(*) FROM (SELECT 1 AS x FROM search_postings p WHERE p.term = {t}{range} LIMIT {cap}) c");
    let row = db.query_one_raw(s.stmt()).await?;
    Ok(row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0).max(0) as u64)
}

/// Index hint for a backend that takes one (SQLite, MySQL); PostgreSQL takes none (a
/// common term is read with sorting disabled, see `driver_postings`).
fn hint(backend: DbBackend, narrow: bool) -> String {
    let ix = if narrow { "ix_search_postings_scope" } else { "ix_search_postings_score" };
    match backend {
        DbBackend::Sqlite => format!(" INDEXED BY {ix}"),
        DbBackend::MySql => format!(" FORCE INDEX ({ix})"),
        _ => String::new(),
    }
}

/// Postings of the driving term in the scope (search_docs ids), best score first, `limit`
/// of them from `offset`. Nothing else is joined in: the plan is one index range read in
/// order (a term the scope holds many of stops at the page), whatever the backend's
/// planner makes of other conditions.
#[allow(clippy::too_many_arguments)]
async fn driver_postings(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: &Scope,
    driver: &str,
    kind: Option<&str>,
    narrow: bool,
    offset: u64,
    limit: u64,
) -> Result<Vec<i64>> {
    let backend = db.get_database_backend();
    let mut s = Sql::new(backend);
    let t = s.p(driver);
    let range = scope_range(&mut s, scope, "p");
    let mut text = format!("SELECT p.doc FROM search_postings p{}", hint(backend, narrow));
    let mut cond = format!(" WHERE p.term = {t}{range}");
    if let Some(k) = kind {
        text.push_str(" JOIN search_docs d ON d.id = p.doc");
        let k = s.p(k.to_owned());
        cond.push_str(&format!(" AND d.kind = {k}"));
    }
    text.push_str(&cond);
    text.push_str(&format!(" ORDER BY p.score DESC, p.org_path DESC, p.doc DESC LIMIT {limit} OFFSET {offset}"));
    s.text = text;
    let rows = if backend == DbBackend::Postgres && !narrow {
        // PostgreSQL takes no index hint. Its estimate of a term's rows in a path range can
        // be far off (statistics behind a bulk load, or a term and a range that are not
        // independent), and then it reads the whole range of the scope index and sorts it
        // (measured: 17 s for 学习 in a city of 350,000 postings, against milliseconds in
        // score order). Without sorting allowed, the order can only come from the score index.
        let txn = db.begin().await?;
        txn.execute_unprepared("SET LOCAL enable_sort = off").await?;
        let rows = txn.query_all_raw(s.stmt()).await?;
        txn.execute_unprepared("SET LOCAL enable_sort TO DEFAULT").await?;
        txn.commit().await?;
        rows
    } else {
        db.query_all_raw(s.stmt()).await?
    };
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(r.try_get_by_index::<i64>(0)?);
    }
    Ok(out)
}

/// Of the documents `ids`, those that hold `term`: one probe of the `(doc, term)` key each.
async fn holding(db: &impl ConnectionTrait, ids: &[i64], term: &str) -> Result<HashSet<i64>> {
    if ids.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(search_posting::Entity::find()
        .select_only()
        .column(search_posting::Column::Doc)
        .filter(search_posting::Column::Term.eq(term))
        .filter(search_posting::Column::Doc.is_in(ids.iter().copied()))
        .into_tuple::<i64>()
        .all(db)
        .await?
        .into_iter()
        .collect())
}

/// Candidates: a page of the driving term's postings, keeping the documents that hold
/// every other term too (checked a term at a time on the survivors).
#[allow(clippy::too_many_arguments)]
async fn candidates(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: &Scope,
    driver: &str,
    others: &[&str],
    kind: Option<&str>,
    narrow: bool,
    offset: u64,
    limit: u64,
) -> Result<(Vec<i64>, u64)> {
    let mut ids = driver_postings(db, scope, driver, kind, narrow, offset, limit).await?;
    let read = ids.len() as u64;
    for o in others {
        if ids.is_empty() {
            break;
        }
        let has = holding(db, &ids, o).await?;
        ids.retain(|i| has.contains(i));
    }
    Ok((ids, read))
}

async fn docs(db: &impl ConnectionTrait, scope: &Scope, ids: &[i64]) -> Result<HashMap<i64, search_doc::Model>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(search_doc::Entity::find()
        .filter(search_doc::Column::Id.is_in(ids.iter().copied()))
        .filter(scope.cond(search_doc::Column::OrgPath))
        .all(db)
        .await?
        .into_iter()
        .map(|d| (d.id, d))
        .collect())
}

fn hit(d: &search_doc::Model, q: &Query) -> Hit {
    Hit {
        kind: d.kind.clone(),
        id: d.doc_id,
        title: d.title.clone(),
        title_html: terms::highlight(&d.title, q),
        snippet: terms::snippet(&d.body, q, 80),
        date: d.issued_on,
    }
}

/// Reads a query as typed, refusing it with the reason (field `q`).
pub fn parse(raw: &str) -> Result<Query> {
    Query::parse(raw)
        .map_err(|e: QueryError| StoreError::Invalid(vec![FieldError { field: "q", message: e.to_string() }]))
}

/// Searches the documents in the scope (optionally of one kind): every word of the query
/// in the title or the text, best first (title matches, then more occurrences, then newer).
pub async fn search(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: &Scope,
    raw: &str,
    kind: Option<&str>,
    page: u64,
    per_page: u64,
) -> Result<Results> {
    search_tuned(db, scope, raw, kind, page, per_page, NARROW).await
}

/// [`search`] with the threshold between a narrow and a broad term given (tests reach the
/// broad path with a few documents; the benchmark compares the two).
#[doc(hidden)]
pub async fn search_tuned(
    db: &(impl ConnectionTrait + TransactionTrait),
    scope: &Scope,
    raw: &str,
    kind: Option<&str>,
    page: u64,
    per_page: u64,
    narrow_below: u64,
) -> Result<Results> {
    let q = parse(raw)?;
    let per_page = per_page.clamp(1, 50);
    let max_page = (MAX_RESULTS as u64).div_ceil(per_page);
    let page = page.clamp(1, max_page);
    if let Some(k) = kind
        && !KINDS.iter().any(|x| x.0 == k)
    {
        return Err(StoreError::Invalid(vec![FieldError {
            field: "kind",
            message: format!("类别“{k}”不存在，请从列表中选择"),
        }]));
    }
    // The rarest term in the scope drives; the others filter.
    let mut counted = Vec::with_capacity(q.terms.len());
    for t in &q.terms {
        let n = postings_in_scope(db, scope, t, narrow_below).await?;
        if n == 0 {
            return Ok(Results { items: Vec::new(), page, has_next: false });
        }
        counted.push((n, t.as_str()));
    }
    counted.sort();
    let (n, driver) = counted[0];
    let narrow = n < narrow_below;
    let others: Vec<&str> = counted[1..].iter().map(|c| c.1).collect();

    // One term that is the whole query: the postings' order is the ranking.
    if q.parts.len() == 1 && q.terms.len() == 1 && q.terms[0] == q.parts[0] {
        let offset = (page - 1) * per_page;
        let ids = driver_postings(db, scope, driver, kind, narrow, offset, per_page + 1).await?;
        let has_next = ids.len() as u64 > per_page && page < max_page;
        let found = docs(db, scope, &ids).await?;
        let items = ids.iter().take(per_page as usize).filter_map(|i| found.get(i)).map(|d| hit(d, &q)).collect();
        return Ok(Results { items, page, has_next });
    }

    // Otherwise the candidates are confirmed on their text (every part as a phrase) and
    // ranked by the query's own score.
    // Candidates come best driving-term score first; enough are confirmed for the page
    // asked and one more (so that the order within it is the query's own).
    let want = ((page * per_page + 1) as usize).clamp(50, MAX_RESULTS);
    let mut ranked: Vec<(i64, i64, search_doc::Model)> = Vec::new();
    let (mut offset, mut chunk) = (0, CHUNK);
    while ranked.len() < want && offset < MAX_SCAN {
        let (ids, read) = candidates(db, scope, driver, &others, kind, narrow, offset, chunk).await?;
        let found = docs(db, scope, &ids).await?;
        for id in &ids {
            if let Some(d) = found.get(id) {
                let (t, b) = (terms::normalize(&d.title), terms::normalize(&d.body));
                if q.matches(&t, &b) {
                    ranked.push((q.score(&t, &b, terms::score_days(d.issued_on)), d.id, d.clone()));
                }
            }
        }
        if read < chunk {
            break;
        }
        // Not enough yet (the words seldom meet in one text): read on in larger steps.
        offset += chunk;
        chunk = (chunk * 2).min(1_000);
    }
    ranked.sort_by_key(|r| std::cmp::Reverse((r.0, r.1)));
    ranked.truncate(MAX_RESULTS);
    let from = ((page - 1) * per_page) as usize;
    let items: Vec<Hit> = ranked.iter().skip(from).take(per_page as usize).map(|r| hit(&r.2, &q)).collect();
    let has_next = ranked.len() > from + per_page as usize;
    Ok(Results { items, page, has_next })
}

/// How many documents and postings the index holds (the benchmark, diagnostics).
pub async fn sizes(db: &impl ConnectionTrait) -> Result<(u64, u64)> {
    let backend = db.get_database_backend();
    let mut out = [0u64; 2];
    for (i, t) in ["search_docs", "search_postings"].iter().enumerate() {
        let row = db.query_one_raw(Statement::from_string(backend, format!("SELECT COUNT(*) FROM {t}"))).await?;
        out[i] = row.and_then(|r| r.try_get_by_index::<i64>(0).ok()).unwrap_or(0).max(0) as u64;
    }
    Ok((out[0], out[1]))
}
