//! The pager of every list: first, previous, numbered pages around the current one, next,
//! last, a jump to a page number and a page size. Previous, next and last read through the
//! list's index from a cursor or an end; only numbered pages skip rows.

use xuepei_store::page::At;

use crate::params::{self, Params};

/// The page sizes a user may choose.
pub const SIZES: [u64; 3] = [20, 50, 100];

/// Beyond this a page number is not taken (it would only skip rows to show nothing).
const MAX_NUMBER: u64 = 1_000_000;

/// Which page a request asks for, and how large.
#[derive(Debug, Clone, Copy)]
pub struct Paging<'a> {
    pub at: At<'a>,
    pub size: u64,
    default_size: u64,
    /// The page's number when the request knows it.
    number: Option<u64>,
    /// The rows of the last page when the total is known, so that it is the page its
    /// number names.
    last_rows: Option<u64>,
}

impl<'a> Paging<'a> {
    /// Reads `after`, `before`, `last`, `page` and `size`; anything malformed is the first
    /// page at the default size.
    pub fn from(p: &'a Params, default_size: u64) -> Self {
        let size = params::num(p, "size").and_then(|s| u64::try_from(s).ok()).filter(|s| SIZES.contains(s));
        let number = params::num(p, "page").and_then(|n| u64::try_from(n).ok()).map(|n| n.clamp(1, MAX_NUMBER));
        let at = match (params::text(p, "after"), params::text(p, "before"), params::flag(p, "last"), number) {
            (Some(c), _, _, _) => At::After(c),
            (None, Some(c), _, _) => At::Before(c),
            (None, None, true, _) => At::Last,
            (None, None, false, Some(n)) => At::Number(n),
            _ => At::First,
        };
        let number = match at {
            At::First => Some(1),
            _ => number,
        };
        Paging { at, size: size.unwrap_or(default_size), default_size, number, last_rows: None }
    }

    /// With the list's total known, a page number beyond the last becomes the last page.
    pub fn within(mut self, total: Option<u64>) -> Self {
        if let Some(total) = total {
            if matches!(self.at, At::Number(n) if n > pages(total, self.size)) {
                self.at = At::Last;
            }
            self.last_rows = Some(match total % self.size {
                0 => self.size,
                rest => rest,
            });
        }
        self
    }

    /// How many rows to ask the store for.
    pub fn limit(&self) -> u64 {
        match (self.at, self.last_rows) {
            (At::Last, Some(rows)) => rows,
            _ => self.size,
        }
    }
}

fn pages(total: u64, size: u64) -> u64 {
    total.div_ceil(size.max(1)).max(1)
}

/// What the pager macro shows.
#[derive(Debug, Clone)]
pub struct Pager {
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub last: Option<String>,
    /// Numbered pages around the current one; no link for the current page.
    pub numbers: Vec<(u64, Option<String>)>,
    pub number: Option<u64>,
    pub pages: Option<u64>,
    pub size: u64,
    pub sizes: &'static [u64],
    /// The jump form: the list's path and the filters it keeps.
    pub action: String,
    pub hidden: Vec<(&'static str, String)>,
    /// Nothing to page through at the default size: the pager is not shown.
    pub single: bool,
    /// A size other than the list's default, which the filter form keeps.
    pub chosen_size: Option<u64>,
}

impl Pager {
    /// The pager of a page of `path` (filters `keys` kept), whose cursors are `prev` and
    /// `next`; `total` when the list's length is known exactly.
    pub fn new(
        path: &str,
        p: &Params,
        keys: &[&'static str],
        paging: &Paging<'_>,
        page: (Option<String>, Option<String>),
        total: Option<u64>,
    ) -> Pager {
        let (prev, next) = page;
        let mut hidden: Vec<(&'static str, String)> =
            keys.iter().filter_map(|k| params::text(p, k).map(|v| (*k, v.to_owned()))).collect();
        if paging.size != paging.default_size {
            hidden.push(("size", paging.size.to_string()));
        }
        let href = |extra: &[(&str, Option<String>)]| {
            let mut pairs: Vec<(&str, Option<String>)> = hidden.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
            pairs.extend_from_slice(extra);
            format!("{path}{}", params::query(&pairs))
        };
        let pages = total.map(|t| pages(t, paging.size));
        let number = match paging.at {
            At::Last => pages,
            At::Number(n) => Some(n),
            _ => paging.number,
        }
        .map(|n| pages.map_or(n, |last| n.min(last)));
        let step = |d: i64| number.and_then(|n| n.checked_add_signed(d)).filter(|n| *n >= 1).map(|n| n.to_string());
        let at_start = number == Some(1) || (paging.at == At::First);
        let at_end = next.is_none();
        let numbers = match (number, pages) {
            (Some(n), Some(last)) if last > 1 => (n.saturating_sub(2).max(1)..=(n + 2).min(last))
                .map(|k| (k, (k != n).then(|| href(&[("page", Some(k.to_string()))]))))
                .collect(),
            _ => Vec::new(),
        };
        let single = at_start && prev.is_none() && next.is_none() && paging.size == paging.default_size;
        Pager {
            single,
            chosen_size: (paging.size != paging.default_size).then_some(paging.size),
            first: (!at_start).then(|| href(&[])),
            prev: prev.map(|c| href(&[("before", Some(c)), ("page", step(-1))])),
            next: next.map(|c| href(&[("after", Some(c)), ("page", step(1))])),
            last: (!at_end).then(|| href(&[("last", Some("1".into()))])),
            numbers,
            number,
            pages,
            size: paging.size,
            sizes: &SIZES,
            action: path.to_owned(),
            hidden: hidden.into_iter().filter(|(k, _)| *k != "size").collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn numbered_pages_surround_the_current_one() {
        let p = params(&[("q", "李"), ("page", "5"), ("size", "50")]);
        let paging = Paging::from(&p, 20);
        assert_eq!((paging.at, paging.size), (At::Number(5), 50));
        let pager = Pager::new("/people", &p, &["q"], &paging, (Some("a".into()), Some("b".into())), Some(1417));
        assert_eq!(pager.pages, Some(29));
        assert_eq!(pager.numbers.iter().map(|(n, _)| *n).collect::<Vec<_>>(), vec![3, 4, 5, 6, 7]);
        assert!(pager.numbers[2].1.is_none(), "the current page is no link");
        assert_eq!(pager.numbers[0].1.as_deref(), Some("/people?q=%E6%9D%8E&size=50&page=3"));
        assert_eq!(pager.prev.as_deref(), Some("/people?q=%E6%9D%8E&size=50&before=a&page=4"));
        assert_eq!(pager.next.as_deref(), Some("/people?q=%E6%9D%8E&size=50&after=b&page=6"));
        assert_eq!(pager.last.as_deref(), Some("/people?q=%E6%9D%8E&size=50&last=1"));
        assert_eq!(pager.first.as_deref(), Some("/people?q=%E6%9D%8E&size=50"));
        assert_eq!(pager.hidden, vec![("q", "李".to_owned())]);
    }

    #[test]
    fn malformed_paging_is_the_first_page_and_a_number_too_far_the_last() {
        for bad in ["x", "-3", "99999999999999999999"] {
            let p = params(&[("page", bad), ("size", "7")]);
            let paging = Paging::from(&p, 20);
            assert_eq!(paging.at, At::First, "{bad}");
            assert_eq!(paging.size, 20);
        }
        let p = params(&[("page", "2000000")]);
        assert_eq!(Paging::from(&p, 20).at, At::Number(MAX_NUMBER));
        let p = params(&[("page", "400")]);
        assert_eq!(Paging::from(&p, 20).within(Some(100)).at, At::Last);
        // The last page of 95 rows at 20 a page holds the 15 that page 5 holds.
        assert_eq!(Paging::from(&p, 20).within(Some(95)).limit(), 15);
        let p = params(&[("last", "1")]);
        let paging = Paging::from(&p, 20);
        let pager = Pager::new("/x", &p, &[], &paging, (Some("c".into()), None), Some(95));
        assert_eq!((pager.number, pager.last.is_none(), pager.first.is_some()), (Some(5), true, true));
    }
}
