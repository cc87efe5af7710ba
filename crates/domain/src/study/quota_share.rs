//! What one leader adds to their organisation's quota figures (the oversight view's
//! 领导干部学习完成情况), so the figures can be kept per organisation and year instead of
//! recounted from every leader at each view.
//!
//! A share holds, for a year, the leader's quota lines and the lines met — a yearly rule is
//! one line over the year, a monthly rule one line per month — and whether they are behind
//! in each month (a line of that month or a yearly line not met) and up to each month (a
//! line of any month so far or a yearly line not met). The view of a year up to month M
//! adds the yearly lines and months 1..=M and reads "behind up to M"; the view of month m
//! adds the yearly lines and month m and reads "behind in m", as `quota_progress` judges
//! one leader.

use super::logs::StudyMode;
use super::quotas::{QuotaPeriod, QuotaRule};
use crate::people::{RankLevel, Roles};

/// One leader's (or, added up, an organisation's) quota figures of a year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaShare {
    /// Leaders a rule binds.
    pub leaders: i64,
    pub year_lines: i64,
    pub year_met: i64,
    pub lines: [i64; 12],
    pub met: [i64; 12],
    /// Leaders with a line of the month, or a yearly line, not met.
    pub behind: [i64; 12],
    /// Leaders with a line of a month up to this one, or a yearly line, not met.
    pub behind_upto: [i64; 12],
}

/// A leader's share of a year: the rules in force at their organisation, their roles and
/// rank, and their entries of a mode in a month (`count(mode, month0)`).
pub fn share(
    rules: &[QuotaRule],
    roles: Roles,
    rank: Option<RankLevel>,
    count: impl Fn(StudyMode, usize) -> u32,
) -> QuotaShare {
    let mut s = QuotaShare::default();
    let bound: Vec<&QuotaRule> = rules.iter().filter(|r| r.subject.covers(roles, rank)).collect();
    if bound.is_empty() {
        return s;
    }
    s.leaders = 1;
    for r in bound {
        match r.period {
            QuotaPeriod::Year => {
                s.year_lines += 1;
                let total: u32 = (0..12).map(|m| count(r.mode, m)).sum();
                s.year_met += i64::from(total >= r.required);
            }
            QuotaPeriod::Month => {
                for m in 0..12 {
                    s.lines[m] += 1;
                    s.met[m] += i64::from(count(r.mode, m) >= r.required);
                }
            }
        }
    }
    let year_missed = s.year_met < s.year_lines;
    let mut missed_so_far = year_missed;
    for m in 0..12 {
        let missed = year_missed || s.met[m] < s.lines[m];
        missed_so_far |= missed;
        s.behind[m] = i64::from(missed);
        s.behind_upto[m] = i64::from(missed_so_far);
    }
    s
}

impl QuotaShare {
    /// `self + sign × o`, field by field.
    pub fn add(&mut self, o: &QuotaShare, sign: i64) {
        self.leaders += sign * o.leaders;
        self.year_lines += sign * o.year_lines;
        self.year_met += sign * o.year_met;
        for m in 0..12 {
            self.lines[m] += sign * o.lines[m];
            self.met[m] += sign * o.met[m];
            self.behind[m] += sign * o.behind[m];
            self.behind_upto[m] += sign * o.behind_upto[m];
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == QuotaShare::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::Role;
    use crate::study::quotas::DEFAULT_RULES;

    fn leader() -> Roles {
        Roles(Role::LeadershipMember.bit())
    }

    #[test]
    fn a_county_leader_owes_five_speeches_a_month_and_two_lectures_a_year() {
        // Five speeches in January and March, two lectures in all.
        let count = |mode: StudyMode, m: usize| match mode {
            StudyMode::SelfStudy if m == 0 || m == 2 => 5,
            StudyMode::SchoolLecture if m == 5 => 2,
            _ => 0,
        };
        let s = share(&DEFAULT_RULES, leader(), Some(RankLevel::County), count);
        assert_eq!((s.leaders, s.year_lines, s.year_met), (1, 1, 1));
        assert_eq!(s.lines, [1; 12]);
        assert_eq!(&s.met[..4], &[1, 0, 1, 0]);
        assert_eq!(&s.behind[..4], &[0, 1, 0, 1], "behind in the months short of five");
        assert_eq!(&s.behind_upto[..4], &[0, 1, 1, 1], "behind from February on");
    }

    #[test]
    fn a_missed_yearly_line_puts_every_month_behind_and_others_are_not_bound() {
        let s = share(&DEFAULT_RULES, leader(), Some(RankLevel::County), |_, _| 5);
        assert_eq!((s.year_lines, s.year_met), (1, 1), "five lectures in a month count for the year");
        let s =
            share(&DEFAULT_RULES, leader(), Some(RankLevel::County), |m, _| u32::from(m == StudyMode::SelfStudy) * 5);
        assert_eq!(s.behind, [1; 12], "no lecture: behind in every month");
        // A township leader is bound by the monthly rule only; a cadre who is no leader by none.
        let s = share(&DEFAULT_RULES, leader(), Some(RankLevel::Township), |_, _| 0);
        assert_eq!((s.leaders, s.year_lines, s.lines[0]), (1, 0, 1));
        assert!(share(&DEFAULT_RULES, Roles::default(), Some(RankLevel::County), |_, _| 0).is_zero());
        let mut sum = s;
        sum.add(&s, 1);
        assert_eq!(sum.leaders, 2);
        sum.add(&s, -2);
        assert!(sum.is_zero());
    }
}
