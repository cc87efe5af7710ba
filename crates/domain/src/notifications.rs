//! Notifications inside xuepei (issue 14 item 6): what asks for a user's attention — a
//! filing deadline approaching or passed, a plan returned, filings waiting to be filed, a
//! place allocation to fill, a class starting tomorrow, a practice base to review.
//!
//! **Derived, not sent.** A notification is not a stored message: it is read off the
//! records each time (the deadline, the state, the allocation), so it can never disagree
//! with them and disappears when the matter is settled. What is stored is only which
//! notifications an account has read, by a stable key. A key names the matter *and its
//! moment* (the deadline, the submission, the decision), so a plan returned a second time is
//! a new, unread notification. Nothing leaves the machine.
//!
//! Rules only, no I/O.

use chrono::NaiveDate;
use serde::Serialize;

use crate::labeled_enum;
use crate::labels::Labeled;

labeled_enum! {
    /// What a notification is about.
    pub enum NoticeKind {
        DeadlineSoon => ("deadline_soon", "报送期限临近", []),
        DeadlinePassed => ("deadline_passed", "逾期未报送", []),
        FilingReturned => ("filing_returned", "材料被退回", []),
        FilingsWaiting => ("filings_waiting", "待备案材料", []),
        FilersLate => ("filers_late", "下级逾期未报送", []),
        AllocationToFill => ("allocation_to_fill", "名额待填报", []),
        ClassTomorrow => ("class_tomorrow", "明日开班", []),
        BaseToReview => ("base_to_review", "实践基地待审核", []),
        BaseReturned => ("base_returned", "实践基地被退回", []),
    }
}

impl NoticeKind {
    /// Whether it asks the reader to do something (rather than to know something).
    pub fn asks(self) -> bool {
        !matches!(self, NoticeKind::ClassTomorrow | NoticeKind::FilersLate)
    }

    /// Whether it tells of something overdue or refused (shown in red).
    pub fn urgent(self) -> bool {
        matches!(self, NoticeKind::DeadlinePassed | NoticeKind::FilingReturned | NoticeKind::BaseReturned)
    }
}

/// Days before a deadline from which it is announced.
pub const SOON_DAYS: i64 = 7;

/// Most notifications listed at once (the count still counts them all).
pub const LIST_MAX: usize = 300;

/// Longest key stored (the column's width).
pub const KEY_MAX: usize = 200;

/// One notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notification {
    /// Stable: the matter and its moment (see the module documentation).
    pub key: String,
    pub kind: NoticeKind,
    /// What it says, in a sentence.
    pub text: String,
    /// Where the matter is handled.
    pub href: String,
    /// The day it concerns (a deadline, a start), for ordering.
    pub on: NaiveDate,
    pub read: bool,
}

impl Notification {
    pub fn new(key: String, kind: NoticeKind, text: String, href: String, on: NaiveDate) -> Self {
        Notification { key, kind, text, href, on, read: false }
    }
}

/// What a deadline not yet met asks on `today`: passed, approaching (within
/// [`SOON_DAYS`]), or nothing yet.
pub fn deadline_notice(deadline: NaiveDate, today: NaiveDate) -> Option<NoticeKind> {
    let left = (deadline - today).num_days();
    if left < 0 {
        Some(NoticeKind::DeadlinePassed)
    } else if left <= SOON_DAYS {
        Some(NoticeKind::DeadlineSoon)
    } else {
        None
    }
}

/// "今天" / "明天" / "还有3天" / "已逾期2天" for a deadline.
pub fn days_word(deadline: NaiveDate, today: NaiveDate) -> String {
    match (deadline - today).num_days() {
        0 => "今天截止".to_owned(),
        1 => "明天截止".to_owned(),
        n if n > 0 => format!("还有{n}天截止"),
        n => format!("已逾期{}天", -n),
    }
}

/// Orders notifications as the list shows them: unread first, then the urgent, then by
/// the day they concern (soonest first), then by key.
pub fn sort(items: &mut [Notification]) {
    items.sort_by(|a, b| {
        a.read.cmp(&b.read).then(b.kind.urgent().cmp(&a.kind.urgent())).then(a.on.cmp(&b.on)).then(a.key.cmp(&b.key))
    });
}

/// Whether `href` is a place inside xuepei (a path, never another site): where a read
/// notification may send the browser.
pub fn local_href(href: &str) -> bool {
    href.starts_with('/')
        && !href.starts_with("//")
        && !href.contains('\\')
        && href.chars().all(|c| c.is_ascii_graphic())
}

/// The kinds among `items`, as (code, label) for a filter, in their order.
pub fn kinds_of(items: &[Notification]) -> Vec<(&'static str, &'static str)> {
    NoticeKind::ALL.iter().filter(|k| items.iter().any(|n| n.kind == **k)).map(|k| (k.code(), k.label())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, m, day).unwrap()
    }

    #[test]
    fn a_deadline_is_announced_a_week_ahead_and_flagged_once_passed() {
        assert_eq!(deadline_notice(d(3, 9), d(3, 1)), None);
        assert_eq!(deadline_notice(d(3, 9), d(3, 2)), Some(NoticeKind::DeadlineSoon));
        assert_eq!(deadline_notice(d(3, 9), d(3, 9)), Some(NoticeKind::DeadlineSoon));
        assert_eq!(deadline_notice(d(3, 9), d(3, 10)), Some(NoticeKind::DeadlinePassed));
        assert_eq!(days_word(d(3, 9), d(3, 9)), "今天截止");
        assert_eq!(days_word(d(3, 9), d(3, 8)), "明天截止");
        assert_eq!(days_word(d(3, 9), d(3, 4)), "还有5天截止");
        assert_eq!(days_word(d(3, 9), d(3, 12)), "已逾期3天");
    }

    #[test]
    fn unread_and_urgent_come_first() {
        let n = |k: &str, kind, on, read| Notification {
            key: k.into(),
            kind,
            text: String::new(),
            href: "/".into(),
            on,
            read,
        };
        let mut v = vec![
            n("a", NoticeKind::ClassTomorrow, d(3, 2), false),
            n("b", NoticeKind::DeadlinePassed, d(3, 9), true),
            n("c", NoticeKind::DeadlinePassed, d(3, 9), false),
            n("d", NoticeKind::DeadlineSoon, d(3, 1), false),
        ];
        sort(&mut v);
        let keys: Vec<&str> = v.iter().map(|x| x.key.as_str()).collect();
        assert_eq!(keys, ["c", "d", "a", "b"]);
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert!(local_href("/filings/3"));
        assert!(!local_href("//evil.example/x"));
        assert!(!local_href("https://evil.example/"));
        assert!(!local_href("/\\evil"));
        assert!(!local_href("/a\nb"));
        assert!(!local_href("/\u{3000}/evil.example"));
    }
}
