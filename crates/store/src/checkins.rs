//! Check-ins by group commit. When a class of hundreds checks in within a minute, one
//! transaction per trainee (and five reads to check each) makes every one wait behind all
//! the others. Here a request only joins a queue; the writer task takes every request
//! waiting at that moment, reads the facts of all of them in five queries (sessions,
//! classes, enrolments, marks, pauses), judges each on its own
//! ([`attendance::judge`]), writes those that pass with one multi-row insert in one
//! transaction, and answers each request on its own — the same answers one transaction
//! per request would give.
//!
//! Exactly once still holds: the facts are read inside the batch's transaction (SQLite
//! takes its write lock at BEGIN), a trainee twice in one batch is written once and the
//! second told "已签到", and if the batch fails anyway (another server process wrote one
//! of the rows in between) every request of it is checked and written again in a
//! transaction of its own, where the unique key (session, enrolment) answers the late one.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait, QueryFilter, Set,
    TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};
use xuepei_domain::labels::Labeled;

use crate::attendance::{self, CheckedIn, Facts, Prepared};
use crate::entity::{attendance as row, class, class_session, enrolment};
use crate::error::{Result, StoreError};
use crate::org::now;

/// Requests taken into one transaction at most (seven values a row, within every
/// backend's limit on parameters).
const BATCH: usize = 500;

struct Request {
    session_id: i64,
    person_id: i64,
    code: String,
    source: &'static str,
    /// When the request came: the window and the code are judged at this time.
    at: DateTime<Utc>,
    reply: oneshot::Sender<Result<CheckedIn>>,
}

/// The check-in writer of one server process; shared behind an `Arc`.
pub struct CheckinWriter {
    db: DatabaseConnection,
    queue: OnceLock<mpsc::UnboundedSender<Request>>,
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
    /// (`source` is `qr` or `code`).
    pub async fn check_in(&self, session_id: i64, person_id: i64, code: &str, source: &str) -> Result<CheckedIn> {
        let source = if source == "code" { "code" } else { "qr" };
        let (reply, answer) = oneshot::channel();
        // Started on first use, inside the runtime that serves the requests.
        let queue = self.queue.get_or_init(|| {
            let (tx, rx) = mpsc::unbounded_channel();
            tokio::spawn(write_loop(self.db.clone(), rx));
            tx
        });
        let r = Request { session_id, person_id, code: code.to_owned(), source, at: now(), reply };
        queue.send(r).map_err(|_| StoreError::Busy)?;
        // The writer gone (the server shutting down): try again shortly.
        answer.await.map_err(|_| StoreError::Busy)?
    }
}

/// Runs until the writer is dropped: takes what is waiting, writes it, answers.
async fn write_loop(db: DatabaseConnection, mut rx: mpsc::UnboundedReceiver<Request>) {
    let mut batch = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut batch, BATCH).await > 0 {
        let requests = std::mem::take(&mut batch);
        match write_batch(&db, &requests).await {
            Ok(answers) => {
                for (r, a) in requests.into_iter().zip(answers) {
                    let _ = r.reply.send(a);
                }
            }
            Err(_) => {
                for r in requests {
                    let a = one_by_one(&db, &r).await;
                    let _ = r.reply.send(a);
                }
            }
        }
    }
}

/// Judges and writes a batch in one transaction; one answer per request, in order.
async fn write_batch(db: &DatabaseConnection, requests: &[Request]) -> Result<Vec<Result<CheckedIn>>> {
    let txn = db.begin_with_options(immediate()).await?;
    let facts = BatchFacts::read(&txn, requests).await?;
    let mut answers = Vec::with_capacity(requests.len());
    let mut written: HashMap<(i64, i64), Prepared> = HashMap::new();
    let mut rows = Vec::new();
    for r in requests {
        let answer = attendance::judge(&facts.of(r), &r.code, r.at).and_then(|p| {
            let key = (p.session_id, p.enrolment_id);
            if let Some(first) = written.get(&key) {
                return Err(attendance::already(first.mark, Some(first.at)));
            }
            rows.push(row::ActiveModel {
                session_id: Set(p.session_id),
                enrolment_id: Set(p.enrolment_id),
                mark: Set(p.mark.code().to_owned()),
                checked_at: Set(Some(p.at)),
                source: Set(r.source.to_owned()),
                reason: Set(None),
                updated_at: Set(p.at),
                ..Default::default()
            });
            let done = p.done();
            written.insert(key, p);
            Ok(done)
        });
        answers.push(answer);
    }
    if !rows.is_empty() {
        row::Entity::insert_many(rows).exec_without_returning(&txn).await?;
    }
    txn.commit().await?;
    Ok(answers)
}

/// The facts of a batch's requests, read with one query per table.
struct BatchFacts {
    paused: HashSet<i64>,
    sessions: HashMap<i64, class_session::Model>,
    classes: HashMap<i64, class::Model>,
    enrolments: HashMap<(i64, i64), enrolment::Model>,
    marks: HashMap<(i64, i64), row::Model>,
}

impl BatchFacts {
    async fn read(db: &DatabaseTransaction, requests: &[Request]) -> Result<BatchFacts> {
        let people: Vec<i64> = requests.iter().map(|r| r.person_id).collect::<HashSet<_>>().into_iter().collect();
        let at = requests.iter().map(|r| r.at).max().unwrap_or_else(now);
        let paused = crate::throttle::checkin_paused_many(db, &people, at).await?;
        let sids: HashSet<i64> = requests.iter().map(|r| r.session_id).collect();
        let sessions: HashMap<i64, class_session::Model> =
            by_key(class_session::Entity::find().filter(class_session::Column::Id.is_in(sids)), db, |s| s.id).await?;
        let cids: HashSet<i64> = sessions.values().map(|s| s.class_id).collect();
        let enrolments = if cids.is_empty() {
            HashMap::new()
        } else {
            let q = enrolment::Entity::find()
                .filter(enrolment::Column::ClassId.is_in(cids.iter().copied()))
                .filter(enrolment::Column::PersonId.is_in(people.iter().copied()));
            by_key(q, db, |e| (e.class_id, e.person_id)).await?
        };
        // Classes and marks only of enrolled trainees' sessions: their own records.
        let enrolled: Vec<&enrolment::Model> = enrolments
            .values()
            .filter(|e| e.status == xuepei_domain::training::EnrolmentStatus::Enrolled.code())
            .collect();
        let (classes, marks) = if enrolled.is_empty() {
            (HashMap::new(), HashMap::new())
        } else {
            let cids: HashSet<i64> = enrolled.iter().map(|e| e.class_id).collect();
            let eids: HashSet<i64> = enrolled.iter().map(|e| e.id).collect();
            let classes = by_key(class::Entity::find().filter(class::Column::Id.is_in(cids)), db, |c| c.id).await?;
            let q = row::Entity::find()
                .filter(row::Column::SessionId.is_in(sessions.keys().copied()))
                .filter(row::Column::EnrolmentId.is_in(eids));
            (classes, by_key(q, db, |a| (a.session_id, a.enrolment_id)).await?)
        };
        Ok(BatchFacts { paused, sessions, classes, enrolments, marks })
    }

    fn of(&self, r: &Request) -> Facts<'_> {
        let session = self.sessions.get(&r.session_id);
        let enrolment = session.and_then(|s| self.enrolments.get(&(s.class_id, r.person_id)));
        Facts {
            paused: self.paused.contains(&r.person_id),
            session,
            class: session.and_then(|s| self.classes.get(&s.class_id)),
            enrolment,
            mark: enrolment.and_then(|e| self.marks.get(&(r.session_id, e.id))),
        }
    }
}

async fn by_key<E: EntityTrait, K: std::hash::Hash + Eq>(
    q: sea_orm::Select<E>,
    db: &impl ConnectionTrait,
    key: impl Fn(&E::Model) -> K,
) -> Result<HashMap<K, E::Model>> {
    Ok(q.all(db).await?.into_iter().map(|m| (key(&m), m)).collect())
}

/// Checks and writes one check-in in a transaction of its own.
async fn one_by_one(db: &DatabaseConnection, r: &Request) -> Result<CheckedIn> {
    let txn = db.begin_with_options(immediate()).await?;
    let p = attendance::prepare_check_in(&txn, r.session_id, r.person_id, &r.code, r.at).await?;
    let done = attendance::record_check_in(&txn, &p, r.source).await?;
    txn.commit().await?;
    Ok(done)
}

/// SQLite takes the write lock at BEGIN, so that the facts are read under it.
fn immediate() -> sea_orm::TransactionOptions {
    sea_orm::TransactionOptions {
        sqlite_transaction_mode: Some(sea_orm::SqliteTransactionMode::Immediate),
        ..Default::default()
    }
}
