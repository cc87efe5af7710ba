//! The bell's unread count (issue 14 item 6), kept a minute per account and scope so that
//! pages do not derive the notifications on every view. Any change made through the site
//! (a plan returned, a class set up, a notification read) forgets every count, so the bell
//! is never behind what this server wrote.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use xuepei_domain::accounts::Perm;
use xuepei_store::Scope;
use xuepei_store::notifications::{self, Viewer};
use xuepei_store::sessions::Session;

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// After a change that went through (a write that redirects, an API write that answered
/// 2xx), the counts are derived anew.
pub async fn forget_on_write(State(st): State<AppState>, req: Request, next: Next) -> Response {
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let resp = next.run(req).await;
    if write && (resp.status().is_redirection() || resp.status().is_success()) {
        st.bells.clear();
    }
    resp
}

/// How long a counted bell stands before it is counted again.
const FRESH: Duration = Duration::from_secs(60);
/// Accounts whose counts are kept at most (a busy day's signed-in users).
const MOST_KEPT: usize = 20_000;

/// The unread counts of the accounts seen lately, by (account, scope root).
#[derive(Debug, Default)]
pub struct Bells {
    counts: Mutex<HashMap<(i64, i64), (Instant, usize)>>,
}

pub(crate) fn viewer(session: &Session) -> Viewer {
    let a = &session.account;
    Viewer {
        account_id: a.id,
        person_id: a.person_id.filter(|_| a.roles.can(Perm::OWN_VIEW)),
        training: a.roles.can(Perm::TRAINING_VIEW),
        acts: a.roles.can(Perm::TRAINING_EDIT),
    }
}

impl Bells {
    /// The unread count for the session's account in `scope`; `None` when it could not be
    /// counted (the page shows the bell without a number rather than fail).
    pub async fn count(&self, st: &AppState, session: &Session, scope: &Scope) -> Option<usize> {
        let key = (session.account.id, scope.root_org_id().unwrap_or(0));
        if let Some((at, n)) = self.lock().get(&key)
            && at.elapsed() < FRESH
        {
            return Some(*n);
        }
        let today = xuepei_domain::time::today();
        match notifications::unread(&st.db, scope, &viewer(session), today).await {
            Ok(n) => {
                let mut m = self.lock();
                if m.len() >= MOST_KEPT {
                    m.retain(|_, (at, _)| at.elapsed() < FRESH);
                }
                m.insert(key, (Instant::now(), n));
                Some(n)
            }
            Err(e) => {
                tracing::warn!(error = %e, "counting notifications failed");
                None
            }
        }
    }

    /// The count last made for the session's account in `scope`, however old (for a page
    /// shown again after a refused form, which does not count anew).
    pub fn peek(&self, session: &Session, scope: &Scope) -> Option<usize> {
        self.lock().get(&(session.account.id, scope.root_org_id().unwrap_or(0))).map(|(_, n)| *n)
    }

    /// Drops every count.
    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(i64, i64), (Instant, usize)>> {
        self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
