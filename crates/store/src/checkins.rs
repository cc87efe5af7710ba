//! Check-ins written by group commit. When a class of hundreds checks in within a minute,
//! one transaction per trainee makes each wait for every commit before it (SQLite has one
//! writer; PostgreSQL and MariaDB flush the log per commit). Each request is checked on its
//! own, outside any transaction ([`attendance::prepare_check_in`]); the writer task then
//! takes every checked request waiting at that moment and writes them in one transaction
//! with one multi-row insert, and answers each request on its own.
//!
//! Exactly once still holds: inside the batch's transaction the rows already present are
//! read and those trainees answered "已签到", a trainee twice in one batch is written once,
//! and if the batch fails anyway (another server process wrote one of the rows in between),
//! every request of it is written again in a transaction of its own, where the unique key
//! (session, enrolment) answers the late one.

use std::collections::HashSet;
use std::sync::OnceLock;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set, TransactionTrait};
use tokio::sync::{mpsc, oneshot};
use xuepei_domain::labels::Labeled;

use crate::attendance::{self, CheckedIn, Prepared, already_marked};
use crate::entity::attendance as row;
use crate::error::{Result, StoreError};
use crate::org::now;

/// Rows written by one transaction at most (seven values a row, within every backend's
/// limit on parameters).
const BATCH: usize = 500;

struct Job {
    p: Prepared,
    source: &'static str,
    reply: oneshot::Sender<Result<CheckedIn>>,
}

/// The check-in writer of one server process; cheap to share behind an `Arc`.
pub struct CheckinWriter {
    db: DatabaseConnection,
    queue: OnceLock<mpsc::UnboundedSender<Job>>,
}

impl std::fmt::Debug for CheckinWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckinWriter").field("started", &self.queue.get().is_some()).finish()
    }
}

impl CheckinWriter {
    pub fn new(db: DatabaseConnection) -> Self {
        CheckinWriter { db, queue: OnceLock::new() }
    }

    /// Checks a trainee in to a session with the code from the QR link or the projector
    /// (`source` is `qr` or `code`); the same answers as one transaction would give.
    pub async fn check_in(&self, session_id: i64, person_id: i64, code: &str, source: &str) -> Result<CheckedIn> {
        let p = attendance::prepare_check_in(&self.db, session_id, person_id, code, now()).await?;
        let source = if source == "code" { "code" } else { "qr" };
        let (reply, answer) = oneshot::channel();
        // Started on first use, inside the runtime that serves the requests.
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(write_loop(self.db.clone(), rx));
            tx
        });
        queue.send(Job { p, source, reply }).map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The writer task is gone (the server is shutting down): try again shortly.
fn stopped() -> StoreError {
    StoreError::Busy
}

/// Runs until the writer is dropped: takes what is waiting, writes it, answers.
async fn write_loop(db: DatabaseConnection, mut rx: mpsc::UnboundedReceiver<Job>) {
    let mut jobs = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut jobs, BATCH).await > 0 {
        write_batch(&db, std::mem::take(&mut jobs)).await;
    }
}

async fn write_batch(db: &DatabaseConnection, jobs: Vec<Job>) {
    // The first request of a trainee for a session is written; a second one in the same
    // batch is answered like a second request after the first was written.
    let mut seen = HashSet::new();
    let (first, again): (Vec<Job>, Vec<Job>) =
        jobs.into_iter().partition(|j| seen.insert((j.p.session_id, j.p.enrolment_id)));
    match insert_new(db, &first).await {
        Ok(present) => {
            for j in first {
                let answer =
                    match present.iter().find(|a| a.session_id == j.p.session_id && a.enrolment_id == j.p.enrolment_id)
                    {
                        Some(a) => Err(already_marked(a)),
                        None => Ok(j.p.done()),
                    };
                let _ = j.reply.send(answer);
            }
        }
        Err(_) => {
            for j in first {
                let answer = one_by_one(db, &j).await;
                let _ = j.reply.send(answer);
            }
        }
    }
    for j in again {
        let answer = match existing(db, &j.p).await {
            Ok(Some(a)) => Err(already_marked(&a)),
            Ok(None) => one_by_one(db, &j).await,
            Err(e) => Err(e),
        };
        let _ = j.reply.send(answer);
    }
}

/// The row of a check-in's session and enrolment, if there is one.
async fn existing(db: &DatabaseConnection, p: &Prepared) -> Result<Option<row::Model>> {
    Ok(row::Entity::find()
        .filter(row::Column::SessionId.eq(p.session_id))
        .filter(row::Column::EnrolmentId.eq(p.enrolment_id))
        .one(db)
        .await?)
}

/// Writes one check-in in a transaction of its own (the unique key answers a late twin).
async fn one_by_one(db: &DatabaseConnection, j: &Job) -> Result<CheckedIn> {
    let txn = db.begin_with_options(immediate()).await?;
    let done = attendance::record_check_in(&txn, &j.p, j.source).await?;
    txn.commit().await?;
    Ok(done)
}

/// SQLite takes the write lock at BEGIN, so that the batch reads the rows present under it.
fn immediate() -> sea_orm::TransactionOptions {
    sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    }
}

/// Writes the batch's check-ins that have no row yet, in one transaction; returns the rows
/// found already present (their trainees are told when they checked in).
async fn insert_new(db: &DatabaseConnection, jobs: &[Job]) -> Result<Vec<row::Model>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let txn = db.begin_with_options(immediate()).await?;
    let sessions: HashSet<i64> = jobs.iter().map(|j| j.p.session_id).collect();
    let enrolments: Vec<i64> = jobs.iter().map(|j| j.p.enrolment_id).collect();
    let present: Vec<row::Model> = row::Entity::find()
        .filter(row::Column::SessionId.is_in(sessions))
        .filter(row::Column::EnrolmentId.is_in(enrolments))
        .all(&txn)
        .await?;
    let pairs: HashSet<(i64, i64)> = present.iter().map(|a| (a.session_id, a.enrolment_id)).collect();
    let rows: Vec<row::ActiveModel> = jobs
        .iter()
        .filter(|j| !pairs.contains(&(j.p.session_id, j.p.enrolment_id)))
        .map(|j| row::ActiveModel {
            session_id: Set(j.p.session_id),
            enrolment_id: Set(j.p.enrolment_id),
            mark: Set(j.p.mark.code().to_owned()),
            checked_at: Set(Some(j.p.at)),
            source: Set(j.source.to_owned()),
            reason: Set(None),
            updated_at: Set(j.p.at),
            ..Default::default()
        })
        .collect();
    if !rows.is_empty() {
        row::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    Ok(present)
}
