//! Dashboard figures per scope, computed from the maintained counters and kept for a
//! minute: the page says when they were computed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use xuepei_domain::org::Sector;
use xuepei_store::org::{self, SubtreeTotals};
use xuepei_store::people::{self, PeopleCount, PersonFilter};
use xuepei_store::{DatabaseConnection, Result, Scope};

/// How long figures are reused.
pub const FRESHNESS: Duration = Duration::from_secs(60);

#[derive(Debug, Clone)]
pub struct Stats {
    pub computed_at: DateTime<Utc>,
    pub totals: SubtreeTotals,
    /// (sector, organisations, direct people)
    pub by_sector: Vec<(Sector, i64, i64)>,
    /// The scope root's children: (id, name, organisations in subtree, people in subtree).
    pub children: Vec<(i64, String, i64, i64)>,
}

#[derive(Debug, Default)]
pub struct StatsCache {
    entries: Mutex<HashMap<String, (Instant, Arc<Stats>)>>,
    counts: Mutex<HashMap<String, (Instant, PeopleCount)>>,
}

/// How long a filtered list's count is reused (paging through one filter asks it again
/// and again; an unfiltered count comes from the maintained counters and is never cached).
pub const COUNT_FRESHNESS: Duration = Duration::from_secs(30);

impl StatsCache {
    /// The people count of a list filter, reused for [`COUNT_FRESHNESS`] when it had to be
    /// counted.
    pub async fn people_count(&self, db: &DatabaseConnection, scope: &Scope, f: &PersonFilter) -> Result<PeopleCount> {
        if !f.narrows() {
            return people::count(db, scope, f).await;
        }
        let key = format!("{}|{f:?}", scope.root_path().unwrap_or("/"));
        if let Ok(map) = self.counts.lock()
            && let Some((at, c)) = map.get(&key)
            && at.elapsed() < COUNT_FRESHNESS
        {
            return Ok(*c);
        }
        let c = people::count(db, scope, f).await?;
        if let Ok(mut map) = self.counts.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(key, (Instant::now(), c));
        }
        Ok(c)
    }

    pub async fn get(&self, db: &DatabaseConnection, scope: &Scope) -> Result<Arc<Stats>> {
        let key = scope.root_path().unwrap_or("/").to_owned();
        if let Ok(map) = self.entries.lock()
            && let Some((at, s)) = map.get(&key)
            && at.elapsed() < FRESHNESS
        {
            return Ok(Arc::clone(s));
        }
        let totals = org::scope_totals(db, scope).await?;
        let by_sector = org::sector_breakdown(db, scope).await?;
        let mut children = Vec::new();
        for root in org::children(db, scope, None, false).await? {
            for c in org::children(db, scope, Some(root.org.id), false).await? {
                children.push((c.org.id, c.org.display_name().to_owned(), c.descendants + 1, c.people));
            }
        }
        children.sort_by_key(|c| std::cmp::Reverse(c.3));
        let stats = Arc::new(Stats { computed_at: Utc::now(), totals, by_sector, children });
        if let Ok(mut map) = self.entries.lock() {
            if map.len() > 10_000 {
                map.clear();
            }
            map.insert(key, (Instant::now(), Arc::clone(&stats)));
        }
        Ok(stats)
    }
}
