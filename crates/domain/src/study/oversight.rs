//! Oversight figures of theory study (督查统计, issue 13 item 6): what one row of the
//! propaganda department's view adds up — first-item compliance, study-group sessions
//! against plan with their attendance, and leaders' quota completion — and which row a
//! record's organisation falls in. No I/O.

use serde::Serialize;

use super::groups::{GroupRules, attendance_rate};

/// The figures of one row: an organisation's own records, a child's subtree, or the total.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub meetings: u32,
    pub compliant: u32,
    pub groups: u32,
    pub sessions: u32,
    pub thematic: u32,
    /// Sessions the groups' rules call for in the period.
    pub planned: u32,
    pub thematic_planned: u32,
    pub present: u64,
    pub expected: u64,
    /// Leaders a quota rule applies to.
    pub leaders: u32,
    /// Quota lines (a leader's quota of a mode in a period) met, and all of them.
    pub lines_met: u32,
    pub lines: u32,
    /// Leaders with at least one line not met.
    pub behind: u32,
}

impl Figures {
    /// Adds another row's figures (the total row).
    pub fn add(&mut self, o: &Figures) {
        self.meetings += o.meetings;
        self.compliant += o.compliant;
        self.groups += o.groups;
        self.sessions += o.sessions;
        self.thematic += o.thematic;
        self.planned += o.planned;
        self.thematic_planned += o.thematic_planned;
        self.present += o.present;
        self.expected += o.expected;
        self.leaders += o.leaders;
        self.lines_met += o.lines_met;
        self.lines += o.lines;
        self.behind += o.behind;
    }

    /// Compliant first items in percent, one decimal; `None` without meetings.
    pub fn compliance_rate(&self) -> Option<f64> {
        percent(u64::from(self.compliant), u64::from(self.meetings))
    }

    /// Members present over members expected, in percent; `None` when nobody was expected.
    pub fn attendance_rate(&self) -> Option<f64> {
        match (u32::try_from(self.present), u32::try_from(self.expected)) {
            (Ok(p), Ok(e)) => attendance_rate(p, e),
            _ => percent(self.present, self.expected),
        }
    }

    /// Whether the attendance rate falls short of `min` percent (no sessions: not short).
    pub fn attendance_below(&self, min: u32) -> bool {
        self.attendance_rate().is_some_and(|r| r < f64::from(min))
    }

    /// Quota lines met in percent; `None` without lines.
    pub fn quota_rate(&self) -> Option<f64> {
        percent(u64::from(self.lines_met), u64::from(self.lines))
    }

    /// Sessions still missing against plan.
    pub fn sessions_short(&self) -> u32 {
        self.planned.saturating_sub(self.sessions)
    }
}

fn percent(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// Sessions (and thematic sessions) a group's rules plan for a period: the year's numbers
/// for a year; for a month, that month's even share — what is due by its end less what
/// was due by the end of the month before — so the twelve months add up to the year.
pub fn planned(rules: GroupRules, month: Option<u32>) -> (u32, u32) {
    let share = |per_year: u32| match month {
        None => per_year,
        Some(m) => {
            let m = m.clamp(1, 12);
            (per_year * m).div_ceil(12) - (per_year * (m - 1)).div_ceil(12)
        }
    };
    (share(rules.sessions_per_year), share(rules.thematic_per_year))
}

/// Which row of the view of `root` (an organisation path) a record of organisation path
/// `path` falls in: `Some(None)` for the root's own records, `Some(Some(child path))` for
/// those under a direct child, `None` outside the root's subtree.
pub fn row_of<'a>(root: &str, path: &'a str) -> Option<Option<&'a str>> {
    let rest = path.strip_prefix(root)?;
    if rest.is_empty() {
        return Some(None);
    }
    let end = rest.find('/')?;
    Some(Some(&path[..root.len() + end + 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_by_path() {
        assert_eq!(row_of("/1/13/", "/1/13/"), Some(None));
        assert_eq!(row_of("/1/13/", "/1/13/208/"), Some(Some("/1/13/208/")));
        assert_eq!(row_of("/1/13/", "/1/13/208/3001/"), Some(Some("/1/13/208/")));
        assert_eq!(row_of("/1/13/", "/1/130/"), None);
        assert_eq!(row_of("/1/13/", "/1/"), None);
        assert_eq!(row_of("/", "/7/8/"), Some(Some("/7/")));
    }

    #[test]
    fn monthly_shares_add_up_to_the_year() {
        let r = GroupRules { sessions_per_year: 12, thematic_per_year: 4, attendance_min: 80 };
        assert_eq!(planned(r, None), (12, 4));
        assert_eq!(planned(r, Some(1)), (1, 1));
        assert_eq!(planned(r, Some(2)), (1, 0));
        let (s, t): (u32, u32) = (1..=12).map(|m| planned(r, Some(m))).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert_eq!((s, t), (12, 4));
        let odd = GroupRules { sessions_per_year: 10, thematic_per_year: 3, attendance_min: 80 };
        let (s, t): (u32, u32) = (1..=12).map(|m| planned(odd, Some(m))).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1));
        assert_eq!((s, t), (10, 3));
    }

    #[test]
    fn rates_and_totals() {
        let mut a = Figures {
            meetings: 4,
            compliant: 3,
            present: 9,
            expected: 12,
            lines: 3,
            lines_met: 1,
            ..Default::default()
        };
        assert_eq!(a.compliance_rate(), Some(75.0));
        assert_eq!(a.attendance_rate(), Some(75.0));
        assert!(a.attendance_below(80));
        assert!(!a.attendance_below(75));
        assert_eq!(a.quota_rate(), Some(33.3));
        let b = Figures {
            meetings: 1,
            compliant: 1,
            present: 3,
            expected: 3,
            planned: 12,
            sessions: 5,
            ..Default::default()
        };
        a.add(&b);
        assert_eq!((a.meetings, a.compliant, a.present, a.expected), (5, 4, 12, 15));
        assert_eq!(a.attendance_rate(), Some(80.0));
        assert!(!a.attendance_below(80));
        assert_eq!(a.sessions_short(), 7);
        let none = Figures::default();
        assert_eq!((none.compliance_rate(), none.attendance_rate(), none.quota_rate()), (None, None, None));
        assert!(!none.attendance_below(80));
    }
}
