//! The people import: streamed, batched, one transaction.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait, QueryFilter};
use xuepei_domain::idcard;
use xuepei_domain::import::RowError;
use xuepei_domain::people::{PERSON_IMPORT, PersonDraft};

use super::{ImportReport, Present, pg};
use crate::audit::{Actor, Entry, Tx, json};
use crate::entity::person;
use crate::error::{Result, StoreError};
use crate::org::{self, OrgResolver};
use crate::people::{Person, PersonInput, Placement, bulk_insert};
use crate::scope::Scope;
use crate::sql;

/// Columns of the persons table written per row (sizes MySQL's insert batches).
const PERSON_COLUMNS: usize = 22;
/// Rows per batch where a batch is one JSON parameter (SQLite, PostgreSQL): ~2.5 MB of
/// text, and an `IN (…)` list of identity numbers when some are registered. Larger batches
/// cost SQLite less: its statement journal copies each page an INSERT … SELECT changes once
/// per statement, and at a million people a batch of 10,000 revisits many pages.
const JSON_BATCH: usize = 10_000;
/// SQLite page cache of the import's connection while it runs, in KiB: index pages of a
/// million people are revisited at random, and with the server's 32 MiB they are written
/// out and read back mid-transaction. The connection's own size is restored before commit
/// (a failed import leaves it until the pool retires the connection).
const SQLITE_IMPORT_CACHE_KIB: i64 = 64 * 1024;

struct Pending {
    row: u64,
    input: PersonInput,
    at: Placement,
}

/// A batch being inserted on a task of its own while the next one is read and resolved, so
/// that the database never waits for us: its rows, and the count inserted with the time
/// the database took.
struct InFlight {
    batch: Vec<Pending>,
    task: tokio::task::JoinHandle<(Result<u64>, Duration)>,
}

/// An import in progress. Feed rows in file order with [`Self::push`] and
/// [`Self::push_invalid`], then [`Self::finish`].
pub struct PeopleImport {
    db: DatabaseConnection,
    /// Shared with the insert in flight, which holds it until it ends.
    tx: Arc<Tx>,
    /// What is imported (a file name), for the audit trail.
    source: String,
    scope: Scope,
    resolver: OrgResolver,
    present: Present,
    dry_run: bool,
    /// Packed identity number → the row that first had it.
    seen: HashMap<u64, u64>,
    pending: Vec<Pending>,
    in_flight: Option<InFlight>,
    batch: usize,
    /// SQLite: the connection's `cache_size` to restore when the import ends.
    cache_size: Option<i64>,
    /// People stored before this import (counted at its first full batch).
    existing: Option<u64>,
    /// The secondary indexes of `persons` dropped for this import, to be rebuilt before
    /// commit (see [`Self::defer_indexes`]).
    deferred: Option<Deferred>,
    /// PostgreSQL: how a batch is written (see [`pg`]).
    row_type: Option<pg::RowType>,
    /// Change of each organisation's people counter.
    deltas: HashMap<i64, i64>,
    /// Organisations a leader joined, left or changed in (their quota figures are recounted).
    leader_orgs: BTreeSet<i64>,
    /// `created_at` of every row this import inserts.
    stamp: chrono::DateTime<chrono::Utc>,
    report: ImportReport,
    timings: Timings,
}

/// Indexes set aside by [`PeopleImport::defer_indexes`].
#[derive(Debug)]
enum Deferred {
    /// SQLite: the statements that rebuild them.
    Sqlite(Vec<String>),
    Postgres(pg::SetAside),
}

/// Where an import's time goes, logged when it ends.
#[derive(Debug, Default)]
struct Timings {
    lookup: Duration,
    /// The database's time on the bulk inserts…
    insert: Duration,
    /// …and how much of it the import spent waiting rather than reading the next batch.
    wait: Duration,
    update: Duration,
    /// Rebuilding deferred indexes before commit.
    reindex: Duration,
}

impl std::fmt::Debug for PeopleImport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeopleImport").field("report", &self.report).finish_non_exhaustive()
    }
}

fn label(key: &str) -> Option<String> {
    Some(PERSON_IMPORT.label(key).to_owned())
}

impl PeopleImport {
    pub async fn begin(
        db: &DatabaseConnection,
        scope: Scope,
        actor: &Actor,
        source: &str,
        present: Present,
        dry_run: bool,
    ) -> Result<Self> {
        let tx = Tx::begin(db, &scope, actor).await?;
        let cache_size = grow_sqlite_cache(tx.conn()).await?;
        let resolver = OrgResolver::load(tx.conn(), &scope).await?;
        let backend = tx.conn().get_database_backend();
        let batch = match backend {
            DbBackend::MySql => (sql::max_params(DbBackend::MySql) / PERSON_COLUMNS).min(2000),
            _ => JSON_BATCH,
        };
        let row_type = match backend {
            DbBackend::Postgres => Some(pg::RowType::load(tx.conn()).await?),
            _ => None,
        };
        Ok(PeopleImport {
            db: db.clone(),
            tx: Arc::new(tx),
            source: source.chars().take(100).collect(),
            scope,
            resolver,
            present,
            dry_run,
            seen: HashMap::new(),
            pending: Vec::with_capacity(batch),
            in_flight: None,
            batch,
            cache_size,
            existing: None,
            deferred: None,
            row_type,
            deltas: HashMap::new(),
            leader_orgs: BTreeSet::new(),
            stamp: org::now(),
            report: ImportReport { dry_run, ..Default::default() },
            timings: Timings::default(),
        })
    }

    /// A row that failed field validation.
    pub fn push_invalid(&mut self, errors: Vec<RowError>) {
        if !errors.is_empty() {
            self.report.rows += 1;
        }
        for e in errors {
            self.report.add_error(e);
        }
    }

    /// A row that passed field validation.
    pub async fn push(&mut self, row: u64, draft: PersonDraft) -> Result<()> {
        self.report.rows += 1;
        let err = |column: &str, message: String| RowError { row, column: label(column), message };
        if draft.id.converted {
            self.report.add_notice(err("id_number", format!("15位旧号码已转换为18位：{}", draft.id.number)));
        }
        if let Some(packed) = idcard::pack(&draft.id.number)
            && let Some(first) = self.seen.insert(packed, row)
        {
            self.seen.insert(packed, first);
            self.report.add_error(err("id_number", format!("与第{first}行的身份证号重复，同一人只能出现一次")));
            return Ok(());
        }
        let target = match self.resolver.resolve(&draft.org_ref) {
            Ok(o) if !o.active => Err(format!("“{}”已撤销，不能导入人员", o.name)),
            Ok(o) if draft.org_name_check.as_deref().is_some_and(|n| !self.resolver.names(o, n)) => Err(format!(
                "组织代码“{}”对应的是“{}”，与所在党组织“{}”不一致，请核对",
                draft.org_ref,
                o.name,
                draft.org_name_check.as_deref().unwrap_or_default()
            )),
            Ok(o) => Ok((o.id, Placement { path: o.path.clone(), sector: o.sector })),
            Err(e) => Err(e),
        };
        let managing = match draft.managing_org_ref.as_deref() {
            Some(r) => self.resolver.resolve_authority(r).map(|o| Some(o.id)),
            None => Ok(None),
        };
        match (target, managing) {
            (Ok((org_id, at)), Ok(managing)) => {
                let input = PersonInput::from_draft(&draft, org_id, managing);
                self.pending.push(Pending { row, input, at });
                if self.pending.len() >= self.batch {
                    // Boxed: the flush's state is large, and this future is made per row.
                    Box::pin(self.flush()).await?;
                }
            }
            (t, m) => {
                if let Err(e) = t {
                    self.report.add_error(err("org", e));
                }
                if let Err(e) = m {
                    self.report.add_error(err("managing_org", e));
                }
            }
        }
        Ok(())
    }

    /// Writes a batch and reconciles it with stored people. While the file is clean the
    /// batch is inserted at once, skipping numbers already registered, on a task of its own;
    /// the next flush waits for it and, only when some numbers were skipped, reads the
    /// stored rows and compares (a re-import, an update). After the first bad row nothing
    /// more is written, but checking goes on so that every bad row is reported.
    async fn flush(&mut self) -> Result<()> {
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(self.batch));
        // The batch in flight first: one insert at a time, and its outcome (a name that
        // does not match) decides whether this batch is written.
        self.settle().await?;
        if batch.is_empty() {
            return Ok(());
        }
        if self.report.error_count > 0 {
            return self.reconcile(batch, false).await;
        }
        if batch.len() >= self.batch {
            self.defer_indexes().await?;
        }
        let rows: Vec<(&PersonInput, &Placement)> = batch.iter().map(|p| (&p.input, &p.at)).collect();
        let stmt = match &self.row_type {
            Some(t) => {
                let plain = matches!(&self.deferred, Some(Deferred::Postgres(d)) if d.empty);
                pg::insert(t.literal(&rows), self.stamp, plain)
            }
            None => bulk_insert(self.tx.conn().get_database_backend(), &rows, self.stamp),
        };
        drop(rows);
        let tx = Arc::clone(&self.tx);
        let task = tokio::spawn(async move {
            let started = Instant::now();
            let inserted = tx.conn().execute_raw(stmt).await.map(|r| r.rows_affected()).map_err(StoreError::from);
            (inserted, started.elapsed())
        });
        self.in_flight = Some(InFlight { batch, task });
        Ok(())
    }

    /// Once this import has inserted at least as many people as were stored before it (an
    /// initial load, or one that at least doubles the table), drops the non-unique indexes
    /// of `persons`, in the import's transaction, to be rebuilt before commit: one sorted
    /// build costs a fraction of the random inserts into three b-trees that a million
    /// people make. The unique index stays, for `ON CONFLICT` and re-imports; a rollback
    /// restores them all.
    ///
    /// Locks: on SQLite other connections keep reading the committed schema, indexes
    /// included (WAL). On PostgreSQL the foreign keys go too, and the load holds ACCESS
    /// EXCLUSIVE locks on `persons` and `organizations` until commit: every request reading
    /// either waits while it runs (see [`pg`]), so a dry run (the wizard's preview) sets
    /// nothing aside there. MySQL is left as it is.
    async fn defer_indexes(&mut self) -> Result<()> {
        let conn = self.tx.conn();
        let backend = conn.get_database_backend();
        if self.deferred.is_some() || !matches!(backend, DbBackend::Sqlite | DbBackend::Postgres) {
            return Ok(());
        }
        let existing = match self.existing {
            Some(n) => n,
            None => {
                let stmt = sea_orm::Statement::from_string(backend, "SELECT COUNT(*) AS n FROM persons");
                let n: i64 = match conn.query_one_raw(stmt).await? {
                    Some(r) => r.try_get("", "n")?,
                    None => 0,
                };
                let n = u64::try_from(n).unwrap_or(0);
                self.existing = Some(n);
                n
            }
        };
        if self.report.inserted < existing {
            return Ok(());
        }
        if backend == DbBackend::Postgres {
            if self.dry_run {
                // A preview: slower, but no one waits for it.
                return Ok(());
            }
            self.deferred = Some(Deferred::Postgres(pg::set_aside(conn).await?));
            return Ok(());
        }
        let stmt = sea_orm::Statement::from_string(
            backend,
            "SELECT m.name AS name, m.sql AS sql FROM sqlite_master m JOIN pragma_index_list('persons') l \
             ON l.name = m.name WHERE l.\"unique\" = 0 AND m.sql IS NOT NULL",
        );
        let mut rebuild = Vec::new();
        for r in conn.query_all_raw(stmt).await? {
            let (name, sql): (String, String) = (r.try_get("", "name")?, r.try_get("", "sql")?);
            conn.execute_unprepared(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\""))).await?;
            rebuild.push(sql);
        }
        self.deferred = Some(Deferred::Sqlite(rebuild));
        Ok(())
    }

    /// Notes an organisation whose quota figures change when a person of these roles
    /// joins, leaves or changes there.
    fn leader_joined(&mut self, org_id: i64, roles: i32) {
        if roles & xuepei_domain::study::quotas::leader_mask() != 0 {
            self.leader_orgs.insert(org_id);
        }
    }

    /// Waits for the batch in flight, if any, and counts it.
    async fn settle(&mut self) -> Result<()> {
        let Some(InFlight { batch, task }) = self.in_flight.take() else {
            return Ok(());
        };
        let started = Instant::now();
        let (inserted, busy) = task.await.map_err(|e| StoreError::Conflict(format!("写入人员时出错：{e}")))?;
        self.timings.wait += started.elapsed();
        self.timings.insert += busy;
        let inserted = inserted?;
        // MySQL counts a skipped duplicate as affected (sqlx sets CLIENT_FOUND_ROWS), so
        // there the stored rows are always read.
        let exact = self.tx.conn().get_database_backend() != DbBackend::MySql;
        if exact && inserted as usize == batch.len() {
            for p in &batch {
                *self.deltas.entry(p.input.org_id).or_default() += 1;
                self.leader_joined(p.input.org_id, p.input.roles.0);
            }
            self.report.inserted += inserted;
            let room = super::MAX_SAMPLES.saturating_sub(self.report.added.len());
            for p in batch.iter().take(room) {
                self.report.sample_added(p.row, || super::person_label(&p.input));
            }
            return Ok(());
        }
        self.reconcile(batch, true).await
    }

    /// Sorts a batch into people new, unchanged and changed by reading the stored rows;
    /// `written`: the new ones were inserted. Changes are written while the file is clean.
    async fn reconcile(&mut self, batch: Vec<Pending>, written: bool) -> Result<()> {
        // Rows stamped by this import are ours; the others were registered before it.
        let started = Instant::now();
        let numbers: Vec<String> = batch.iter().map(|p| p.input.id_number.clone()).collect();
        let existing: HashMap<String, person::Model> = person::Entity::find()
            .filter(person::Column::IdNumber.is_in(numbers))
            .filter(person::Column::CreatedAt.ne(self.stamp))
            .all(self.tx.conn())
            .await?
            .into_iter()
            .map(|m| (m.id_number.clone(), m))
            .collect();
        self.timings.lookup += started.elapsed();
        let mut updates = Vec::new();
        for p in batch {
            let Some(m) = existing.get(&p.input.id_number) else {
                self.report.inserted += 1;
                self.report.sample_added(p.row, || super::person_label(&p.input));
                if written {
                    *self.deltas.entry(p.input.org_id).or_default() += 1;
                    self.leader_joined(p.input.org_id, p.input.roles.0);
                }
                continue;
            };
            let err = |message: String| RowError { row: p.row, column: label("id_number"), message };
            if !self.scope.contains_path(&m.org_path) {
                // Told plainly only to those allowed to know; counted either way.
                self.tx.id_elsewhere(&p.input.id_number, &format!("导入人员（{}）", self.source));
                let msg = if self.tx.actor().id_checks.told {
                    "该身份证号已在您管理范围以外的单位登记，不能导入；如需调入，请联系上级组织部门"
                } else {
                    crate::idchecks::refusal(false)
                };
                self.report.add_error(err(msg.into()));
            } else if m.name != p.input.name {
                self.report.add_error(err(format!(
                    "该身份证号已登记为“{}”，与本行姓名“{}”不一致，请核对身份证号",
                    m.name, p.input.name
                )));
            } else {
                let input = self.merge_absent(p.input, m);
                if input.same_as(m) {
                    self.report.unchanged += 1;
                } else {
                    let names = &self.resolver;
                    self.report.sample_changed(
                        p.row,
                        || super::person_label(&input),
                        || input.changes(m, |id| super::org_label(names, id)),
                    );
                    updates.push((m.id, m.org_id, m.created_at, Person::from(m.clone()), Pending { input, ..p }));
                }
            }
        }
        self.report.updated += updates.len() as u64;
        if self.report.error_count > 0 {
            return Ok(());
        }
        let started = Instant::now();
        for (id, old_org, created_at, before, p) in updates {
            let mut am = p.input.active_model(&p.at);
            am.id = sea_orm::Set(id);
            am.created_at = sea_orm::Set(created_at);
            let after = person::Entity::update(am).exec(self.tx.conn()).await?;
            self.leader_joined(old_org, before.roles.0);
            self.leader_joined(after.org_id, after.roles);
            if old_org != p.input.org_id {
                crate::study_logs::follow_person(self.tx.conn(), id, after.org_id, &after.org_path).await?;
            }
            self.tx.record(Entry {
                action: "person.update",
                target_type: "person",
                target_id: Some(id.to_string()),
                scope_path: after.org_path.clone(),
                summary: format!("导入时修改人员“{}”的信息（第{}行）", after.name, p.row),
                before: json(&before),
                after: json(&Person::from(after)),
            });
            if old_org != p.input.org_id {
                *self.deltas.entry(old_org).or_default() -= 1;
                *self.deltas.entry(p.input.org_id).or_default() += 1;
            }
        }
        self.timings.update += started.elapsed();
        Ok(())
    }

    /// Keeps the stored value of every optional field that the row leaves empty or the file
    /// has no column for: a roster sent with only some columns filled never wipes what is
    /// held (a value is cleared on the person's form).
    fn merge_absent(&self, mut input: PersonInput, m: &person::Model) -> PersonInput {
        let keep = |key: &str, blank: bool| blank || !self.present.has(key);
        if keep("phone", input.phone.is_none()) {
            input.phone = m.phone.clone();
        }
        if keep("party_joined_on", input.party_joined_on.is_none()) {
            input.party_joined_on = m.party_joined_on;
        }
        if keep("position", input.position.is_none()) {
            input.position = m.position.clone();
        }
        if keep("rank_level", input.rank_level.is_none()) {
            input.rank_level = m
                .rank_level
                .as_deref()
                .and_then(<xuepei_domain::people::RankLevel as xuepei_domain::labels::Labeled>::from_code);
        }
        if keep("roles", input.roles.0 == 0) {
            input.roles = xuepei_domain::people::Roles(m.roles);
        }
        if keep("managing_org", input.managing_org_id.is_none()) {
            input.managing_org_id = m.managing_org_id;
        }
        let p = &mut input.profile;
        if keep("ethnicity", p.ethnicity.is_none()) {
            p.ethnicity = m.ethnicity.clone();
        }
        if keep("native_place", p.native_place.is_none()) {
            p.native_place = m.native_place.clone();
        }
        if keep("education", p.education.is_none()) {
            p.education = m.education.clone();
        }
        if keep("degree", p.degree.is_none()) {
            p.degree = m.degree.clone();
        }
        if keep("work_started_on", p.work_started_on.is_none()) {
            p.work_started_on = m.work_started_on;
        }
        if keep("position_since", p.position_since.is_none()) {
            p.position_since = m.position_since;
        }
        input
    }

    /// Writes what is left and commits — or rolls everything back when any row was bad or
    /// this is a dry run.
    pub async fn finish(mut self) -> Result<ImportReport> {
        self.flush().await?;
        self.settle().await?;
        let tx = Arc::try_unwrap(self.tx).map_err(|_| StoreError::Conflict("导入尚未写完，无法提交".into()))?;
        if let Some(size) = self.cache_size {
            tx.conn().execute_unprepared(&format!("PRAGMA cache_size = {size}")).await?;
        }
        let commit = self.report.error_count == 0 && !self.dry_run;
        if let Some(deferred) = self.deferred.take().filter(|_| commit) {
            let started = Instant::now();
            match deferred {
                // After the page cache has shrunk back: each sort holds up to `cache_size`
                // in memory before it spills to temporary files.
                Deferred::Sqlite(indexes) => {
                    for sql in indexes {
                        tx.conn().execute_unprepared(&sql).await?;
                    }
                }
                Deferred::Postgres(set_aside) => set_aside.restore(tx.conn()).await?,
            }
            self.timings.reindex = started.elapsed();
        }
        let mut report = self.report;
        report.sort();
        if report.error_count > 0 || self.dry_run {
            tx.rollback().await?;
            if report.error_count > 0 {
                // Counts of a failed file mean nothing.
                report.inserted = 0;
                report.updated = 0;
                report.unchanged = 0;
            }
            return Ok(report);
        }
        let started = Instant::now();
        org::add_people(tx.conn(), &self.deltas).await?;
        let leader_orgs: Vec<i64> = self.leader_orgs.iter().copied().collect();
        crate::quota_figures::recount(tx.conn(), crate::quota_figures::Leaders::OfOrgs(&leader_orgs)).await?;
        let recount = started.elapsed();
        let started = Instant::now();
        tx.note(
            "person.import",
            tx.scope().root_path().unwrap_or("/"),
            format!("导入人员（{}）：新增{}人，更新{}人，未变化{}人", self.source, report.inserted, report.updated, report.unchanged),
            Some(serde_json::json!({ "source": self.source, "rows": report.rows, "inserted": report.inserted, "updated": report.updated })),
        );
        tx.commit().await?;
        tracing::info!(
            rows = report.rows,
            lookup_ms = self.timings.lookup.as_millis() as u64,
            insert_ms = self.timings.insert.as_millis() as u64,
            insert_wait_ms = self.timings.wait.as_millis() as u64,
            update_ms = self.timings.update.as_millis() as u64,
            reindex_ms = self.timings.reindex.as_millis() as u64,
            counters_ms = recount.as_millis() as u64,
            commit_ms = started.elapsed().as_millis() as u64,
            "people import committed"
        );
        report.committed = true;
        if report.inserted + report.updated >= crate::db::STATISTICS_AFTER_ROWS {
            // The rows are committed; stale statistics only slow later queries down.
            if let Err(e) = crate::db::refresh_statistics(&self.db, &["persons", "organizations"]).await {
                tracing::warn!(error = %e, "refreshing planner statistics failed");
            }
        }
        Ok(report)
    }
}

/// On SQLite, raises the page cache of the transaction's connection to
/// [`SQLITE_IMPORT_CACHE_KIB`] when it is smaller, and returns the `cache_size` to restore.
async fn grow_sqlite_cache(conn: &sea_orm::DatabaseTransaction) -> Result<Option<i64>> {
    let backend = conn.get_database_backend();
    if backend != DbBackend::Sqlite {
        return Ok(None);
    }
    let pragma = |name: &str| {
        let stmt = sea_orm::Statement::from_string(backend, format!("PRAGMA {name}"));
        let name = name.to_owned();
        async move {
            let row = conn.query_one_raw(stmt).await?;
            Ok::<i64, StoreError>(match row {
                Some(r) => r.try_get("", &name)?,
                None => 0,
            })
        }
    };
    let (size, page) = (pragma("cache_size").await?, pragma("page_size").await?);
    // Negative: KiB; positive: pages.
    let kib = if size < 0 { -size } else { size * page / 1024 };
    if kib >= SQLITE_IMPORT_CACHE_KIB {
        return Ok(None);
    }
    conn.execute_unprepared(&format!("PRAGMA cache_size = -{SQLITE_IMPORT_CACHE_KIB}")).await?;
    Ok(Some(size))
}

/// Today's date in China (UTC+8), for validating dates of birth and membership.
pub fn today_in_china() -> NaiveDate {
    xuepei_domain::time::today()
}
