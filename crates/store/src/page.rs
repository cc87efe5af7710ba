//! Keyset pagination, the same for every list: ask for one row more than the page holds;
//! if it came, there is a page beyond, whose cursor is made from the page's edge row. Pages
//! before a cursor and the last page are read backwards through the same index; only a
//! jump to a numbered page skips rows.

use std::collections::HashMap;

use sea_orm::sea_query::SimpleExpr;
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect};

use crate::error::Result;

/// A page of a keyset-paginated list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
    /// The cursor of the previous page (`before` it), when there is one.
    pub prev: Option<String>,
}

/// Where a page starts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum At<'a> {
    #[default]
    First,
    /// The rows after a cursor (a page's `next`).
    After(&'a str),
    /// The rows before a cursor (a page's `prev`).
    Before(&'a str),
    /// The last rows.
    Last,
    /// The page of this number (from 1), found by skipping the rows before it.
    Number(u64),
}

impl<'a> At<'a> {
    /// The page after `cursor`, or the first page.
    pub fn after(cursor: Option<&'a str>) -> Self {
        cursor.map_or(At::First, At::After)
    }

    /// Rows are read backwards (and the page turned round) for these.
    fn backwards(&self) -> bool {
        matches!(self, At::Before(_) | At::Last)
    }

    /// The order rows are fetched in, for an ascending list.
    pub(crate) fn order(&self) -> Order {
        if self.backwards() { Order::Desc } else { Order::Asc }
    }

    /// The cursor and whether rows come after it (`true`) or before it.
    pub(crate) fn cursor(&self) -> Option<(&'a str, bool)> {
        match *self {
            At::After(c) => Some((c, true)),
            At::Before(c) => Some((c, false)),
            _ => None,
        }
    }

    /// Rows to skip: only for a numbered page.
    pub(crate) fn offset(&self, limit: u64) -> Option<u64> {
        match *self {
            At::Number(n) if n > 1 => Some((n - 1).saturating_mul(limit)),
            _ => None,
        }
    }

    /// The condition of a list ordered by one unique column.
    pub(crate) fn key_cond(&self, col: impl ColumnTrait) -> Option<SimpleExpr> {
        self.cursor().map(|(c, after)| if after { col.gt(c) } else { col.lt(c) })
    }
}

/// How many rows to fetch for a page of `limit` (clamped to `1..=max`): one more, to see
/// whether a page lies beyond.
pub(crate) fn fetch(limit: u64, max: u64) -> (u64, u64) {
    let limit = limit.clamp(1, max);
    (limit, limit + 1)
}

/// A page of at most `limit` rows from a `limit + 1` fetch made in `at`'s order; the
/// cursors are made from the first and last rows kept.
pub(crate) fn page_of<M, T>(
    mut rows: Vec<M>,
    limit: u64,
    at: At<'_>,
    cursor: impl Fn(&M) -> String,
    item: impl FnMut(M) -> T,
) -> Page<T> {
    let beyond = rows.len() as u64 > limit;
    rows.truncate(limit as usize);
    if at.backwards() {
        rows.reverse();
    }
    let (first, last) = (rows.first().map(&cursor), rows.last().map(&cursor));
    let (prev, next) = match at {
        At::First | At::Number(0 | 1) => (None, last.filter(|_| beyond)),
        At::After(_) | At::Number(_) => (first, last.filter(|_| beyond)),
        At::Before(_) => (first.filter(|_| beyond), last),
        At::Last => (first.filter(|_| beyond), None),
    };
    Page { items: rows.into_iter().map(item).collect(), next, prev }
}

/// The rows of a newest-first list keyed by an integer id column (campaigns, classes):
/// forwards is descending ids, so the cursor comparisons turn round. Returns the rows in
/// fetch order and the page size; [`newest_page`] makes the page once they are built.
pub(crate) async fn newest_rows<E: EntityTrait>(
    db: &impl ConnectionTrait,
    cond: Condition,
    id: E::Column,
    at: At<'_>,
    limit: u64,
) -> Result<(Vec<E::Model>, u64)> {
    let (limit, n) = fetch(limit, 500);
    // `cond` may hold an OR: the key condition goes beside it, not inside it.
    let mut c = Condition::all().add(cond);
    if let Some((cursor, after)) = at.cursor() {
        let key: i64 = cursor.parse().unwrap_or(if after { i64::MAX } else { 0 });
        c = c.add(if after { id.lt(key) } else { id.gt(key) });
    }
    let order = if at.order() == Order::Asc { Order::Desc } else { Order::Asc };
    let mut q = E::find().filter(c).order_by(id, order).limit(n);
    if let Some(skip) = at.offset(limit) {
        q = q.offset(skip);
    }
    Ok((q.all(db).await?, limit))
}

/// The page of [`newest_rows`]: `ids` in fetch order, `built` the items by id.
pub(crate) fn newest_page<T>(ids: Vec<i64>, limit: u64, at: At<'_>, mut built: HashMap<i64, T>) -> Page<T> {
    let p = page_of(ids, limit, at, |id| id.to_string(), |id| built.remove(&id));
    Page { items: p.items.into_iter().flatten().collect(), next: p.next, prev: p.prev }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_more_means_a_page_beyond() {
        let (limit, n) = fetch(3, 500);
        assert_eq!((limit, n), (3, 4));
        let s = |r: &i32| r.to_string();
        let p = page_of(vec![1, 2, 3, 4], limit, At::First, s, |r| r * 10);
        assert_eq!((p.items, p.next, p.prev), (vec![10, 20, 30], Some("3".to_owned()), None));
        let p = page_of(vec![1, 2], limit, At::First, s, |r| r);
        assert_eq!((p.next, p.prev), (None, None));
        let p = page_of(vec![4, 5], limit, At::After("3"), s, |r| r);
        assert_eq!((p.next, p.prev), (None, Some("4".to_owned())));
        assert_eq!(fetch(0, 500).0, 1);
        assert_eq!(fetch(9999, 500).0, 500);
    }

    #[test]
    fn pages_read_backwards_come_in_list_order() {
        let s = |r: &i32| r.to_string();
        // Before "7", fetched descending: 6, 5, 4 and one more.
        let p = page_of(vec![6, 5, 4, 3], 3, At::Before("7"), s, |r| r);
        assert_eq!((p.items, p.prev, p.next), (vec![4, 5, 6], Some("4".to_owned()), Some("6".to_owned())));
        let p = page_of(vec![2, 1], 3, At::Before("3"), s, |r| r);
        assert_eq!((p.items, p.prev, p.next), (vec![1, 2], None, Some("2".to_owned())));
        let p = page_of(vec![9, 8, 7, 6], 3, At::Last, s, |r| r);
        assert_eq!((p.items, p.prev, p.next), (vec![7, 8, 9], Some("7".to_owned()), None));
        assert_eq!(At::Number(3).offset(20), Some(40));
        assert_eq!(At::Number(1).offset(20), None);
        assert_eq!(At::Last.order(), Order::Desc);
    }
}
