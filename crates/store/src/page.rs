//! Keyset pagination, the same for every list: ask for one row more than the page holds;
//! if it came, there is a next page, whose cursor is made from the page's last row. No list
//! counts or skips rows to find a page.

/// A page of a keyset-paginated list.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

/// How many rows to fetch for a page of `limit` (clamped to `1..=max`): one more, to see
/// whether a next page exists.
pub(crate) fn fetch(limit: u64, max: u64) -> (u64, u64) {
    let limit = limit.clamp(1, max);
    (limit, limit + 1)
}

/// A page of at most `limit` rows from a `limit + 1` fetch; the next cursor is made from
/// the last row kept.
pub(crate) fn page_of<M, T>(
    mut rows: Vec<M>,
    limit: u64,
    cursor: impl FnOnce(&M) -> String,
    item: impl FnMut(M) -> T,
) -> Page<T> {
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(cursor)
    } else {
        None
    };
    Page { items: rows.into_iter().map(item).collect(), next }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_row_more_means_a_next_page() {
        let (limit, n) = fetch(3, 500);
        assert_eq!((limit, n), (3, 4));
        let p = page_of(vec![1, 2, 3, 4], limit, |r| r.to_string(), |r| r * 10);
        assert_eq!((p.items, p.next), (vec![10, 20, 30], Some("3".to_owned())));
        let p = page_of(vec![1, 2], limit, |r| r.to_string(), |r| r);
        assert_eq!(p.next, None);
        assert_eq!(fetch(0, 500).0, 1);
        assert_eq!(fetch(9999, 500).0, 500);
    }
}
