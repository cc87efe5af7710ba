//! Quotas of the study log and the early warning (学习预警).
//!
//! A quota rule says how many entries of one mode a leader owes per month or per year, and
//! whom it binds. The defaults are the numbers of 001 §二 (domain.md §3):
//! - self-study: at least 5 important speeches read a month, every leader (§二(一));
//! - lectures at schools: at least 2 a year, district/county-level party and government
//!   leadership members (§二(三)) — people of rank 县处级 or above.
//!
//! The other modes and reflections carry no number in the seeds, hence no default rule; an
//! issuing body may add one (stored rules are data, this module only checks them).
//!
//! **Who is a leader** (the people quota rules apply to): a person holding the role
//! 班子成员 (leadership member) or 主要负责同志 (principal) in their organisation's
//! leadership — the roles the roster records for the members of a committee's team
//! (党委、党工委、党组 and the bodies they lead). Secretaries and committee members of
//! branches without these roles are not bound.
//!
//! **Pace** (the early warning): at a day of a period, the *expected* count is the quota
//! times the share of the period's days already over (today not counted, since it is not
//! over), rounded down. An entry behind that line means the leader will miss the quota at
//! the current pace. So the first day of a month warns nobody, a quota already met never
//! warns, and a leader with nothing done is warned as soon as one whole entry was due.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use super::logs::StudyMode;
use crate::labeled_enum;
use crate::labels::Labeled;
use crate::people::{RankLevel, Role, Roles};

labeled_enum! {
    /// The period a quota counts over.
    pub enum QuotaPeriod {
        Month => ("month", "每月", ["月", "每月度"]),
        Year => ("year", "每年", ["年", "每年度"]),
    }
}

labeled_enum! {
    /// Whom a quota binds.
    pub enum QuotaSubject {
        Leaders => ("leaders", "领导干部（班子成员、主要负责同志）", ["领导干部"]),
        CountyLeaders => ("county_leaders", "县处级及以上领导班子成员", ["区级领导", "县级领导"]),
    }
}

/// One quota rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct QuotaRule {
    pub mode: StudyMode,
    pub period: QuotaPeriod,
    /// Entries owed per period; 0 switches the mode's quota off.
    pub required: u32,
    pub subject: QuotaSubject,
}

/// The defaults of 001 §二.
pub const DEFAULT_RULES: [QuotaRule; 2] = [
    QuotaRule { mode: StudyMode::SelfStudy, period: QuotaPeriod::Month, required: 5, subject: QuotaSubject::Leaders },
    QuotaRule {
        mode: StudyMode::SchoolLecture,
        period: QuotaPeriod::Year,
        required: 2,
        subject: QuotaSubject::CountyLeaders,
    },
];

/// Whether the roles make a person a leader bound by quota rules.
pub fn is_leader(roles: Roles) -> bool {
    roles.contains(Role::LeadershipMember) || roles.contains(Role::Principal)
}

/// The stored role bits of a leader (for a query's `roles & mask <> 0`).
pub fn leader_mask() -> i32 {
    Role::LeadershipMember.bit() | Role::Principal.bit()
}

impl QuotaSubject {
    /// Whether the rule binds a person of these roles and rank.
    pub fn covers(self, roles: Roles, rank: Option<RankLevel>) -> bool {
        is_leader(roles)
            && match self {
                QuotaSubject::Leaders => true,
                QuotaSubject::CountyLeaders => matches!(rank, Some(RankLevel::County | RankLevel::Bureau)),
            }
    }
}

impl QuotaPeriod {
    /// The most a rule of this period may ask (more is a typing slip: 5 a day is absurd).
    pub fn max_required(self) -> u32 {
        match self {
            QuotaPeriod::Month => 60,
            QuotaPeriod::Year => 365,
        }
    }

    /// The period holding `d`.
    pub fn window(self, d: NaiveDate) -> Window {
        let (start, end) = match self {
            QuotaPeriod::Month => {
                let start = d.with_day(1).unwrap_or(d);
                let next = start.checked_add_months(chrono::Months::new(1)).unwrap_or(start);
                (start, next.pred_opt().unwrap_or(start))
            }
            QuotaPeriod::Year => (
                NaiveDate::from_ymd_opt(d.year(), 1, 1).unwrap_or(d),
                NaiveDate::from_ymd_opt(d.year(), 12, 31).unwrap_or(d),
            ),
        };
        Window { period: self, start, end }
    }

    /// "YYYY-MM" for a month, "YYYY" for a year.
    pub fn key(self, d: NaiveDate) -> String {
        match self {
            QuotaPeriod::Month => format!("{:04}-{:02}", d.year(), d.month()),
            QuotaPeriod::Year => format!("{:04}", d.year()),
        }
    }
}

/// Checks a rule's number as typed: a whole number from 0 (no quota) to the period's
/// maximum.
pub fn check_required(period: QuotaPeriod, text: &str) -> Result<u32, String> {
    let t = crate::text::to_halfwidth(text.trim());
    if t.is_empty() {
        return Err("请填写要求数量（0表示不作要求）".into());
    }
    let n: i64 = t.parse().map_err(|_| format!("要求数量“{}”应为整数", text.trim()))?;
    if n < 0 {
        return Err(format!("要求数量不能为负数（现为{n}）"));
    }
    let max = period.max_required();
    if n > i64::from(max) {
        return Err(format!("要求数量{n}不合理：{}不超过{max}", period.label()));
    }
    Ok(n as u32)
}

/// A period's first and last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub period: QuotaPeriod,
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Window {
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    /// Days of the period over before `today` (0 on its first day, all once it ended).
    pub fn elapsed(&self, today: NaiveDate) -> i64 {
        (today - self.start).num_days().clamp(0, self.days())
    }

    pub fn key(&self) -> String {
        self.period.key(self.start)
    }

    /// "2026年6月", "2026年".
    pub fn label(&self) -> String {
        match self.period {
            QuotaPeriod::Month => format!("{}年{}月", self.start.year(), self.start.month()),
            QuotaPeriod::Year => format!("{}年", self.start.year()),
        }
    }
}

/// Where a leader stands against a quota.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outlook {
    /// Done.
    Met,
    /// Not yet done, but at or ahead of the pace.
    OnTrack,
    /// Behind the pace: will miss the quota at the current pace (warned).
    Behind,
    /// The period is over and the quota was not met.
    Missed,
}

impl Outlook {
    pub fn label(self) -> &'static str {
        match self {
            Outlook::Met => "已完成",
            Outlook::OnTrack => "进度正常",
            Outlook::Behind => "进度滞后",
            Outlook::Missed => "未完成",
        }
    }

    /// Whether the leader is named on the early-warning list.
    pub fn warns(self) -> bool {
        matches!(self, Outlook::Behind | Outlook::Missed)
    }
}

/// A quota's progress at a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Pace {
    pub required: u32,
    pub done: u32,
    /// What the pace line asks by today (whole entries).
    pub expected: u32,
    pub outlook: Outlook,
}

impl Pace {
    pub fn met(&self) -> bool {
        self.done >= self.required
    }

    /// How many are still owed.
    pub fn short(&self) -> u32 {
        self.required.saturating_sub(self.done)
    }
}

/// The pace of `done` entries against `required` in `w`, seen on `today`: behind when
/// fewer are done than the days over would owe, rounded to the nearest whole entry (half
/// an entry owed already counts; fewer does not, so the first days of a month warn nobody).
pub fn pace(required: u32, done: u32, w: &Window, today: NaiveDate) -> Pace {
    let days = w.days().max(1);
    let elapsed = w.elapsed(today);
    let expected = u32::try_from((2 * i64::from(required) * elapsed + days) / (2 * days)).unwrap_or(required);
    let outlook = if done >= required {
        Outlook::Met
    } else if today > w.end {
        Outlook::Missed
    } else if done < expected {
        Outlook::Behind
    } else {
        Outlook::OnTrack
    };
    Pace { required, done, expected, outlook }
}

/// Whether `rule` asks at least what `upper` asks: of everyone `upper` binds, and as many
/// entries a year (a monthly quota counts twelve times).
pub fn at_least(rule: &QuotaRule, upper: &QuotaRule) -> bool {
    let yearly = |r: &QuotaRule| match r.period {
        QuotaPeriod::Month => r.required * 12,
        QuotaPeriod::Year => r.required,
    };
    let wide_enough = rule.subject == upper.subject || rule.subject == QuotaSubject::Leaders;
    wide_enough && yearly(rule) >= yearly(upper)
}

/// The rule in force for a person from the rules along their organisation's chain: each
/// candidate is `(depth, rule)`, the deepest issuing body's rule of a mode wins (a body's
/// own rule overrides the one above it; the defaults sit at depth 0).
pub fn effective(candidates: &[(usize, QuotaRule)]) -> Vec<QuotaRule> {
    let mut out: Vec<(usize, QuotaRule)> = Vec::new();
    for &(depth, rule) in candidates {
        match out.iter_mut().find(|(_, r)| r.mode == rule.mode) {
            Some(slot) if slot.0 < depth => *slot = (depth, rule),
            Some(_) => {}
            None => out.push((depth, rule)),
        }
    }
    let mut rules: Vec<QuotaRule> = out.into_iter().map(|(_, r)| r).filter(|r| r.required > 0).collect();
    rules.sort_by_key(|r| r.mode);
    rules
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("date")
    }

    fn roles(rs: &[Role]) -> Roles {
        let mut r = Roles::default();
        for x in rs {
            r.insert(*x);
        }
        r
    }

    #[test]
    fn defaults_are_the_seeds_numbers() {
        assert_eq!(DEFAULT_RULES[0].required, 5);
        assert_eq!((DEFAULT_RULES[0].mode, DEFAULT_RULES[0].period), (StudyMode::SelfStudy, QuotaPeriod::Month));
        assert_eq!((DEFAULT_RULES[1].required, DEFAULT_RULES[1].period), (2, QuotaPeriod::Year));
        let codes: Vec<&str> = QuotaPeriod::ALL.iter().map(|p| p.code()).collect();
        assert_eq!(codes, ["month", "year"]);
        let codes: Vec<&str> = QuotaSubject::ALL.iter().map(|p| p.code()).collect();
        assert_eq!(codes, ["leaders", "county_leaders"]);
    }

    #[test]
    fn who_is_bound() {
        let member = roles(&[Role::LeadershipMember]);
        let principal = roles(&[Role::Secretary, Role::Principal]);
        let branch = roles(&[Role::Secretary, Role::CommitteeMember]);
        assert!(QuotaSubject::Leaders.covers(member, Some(RankLevel::Township)));
        assert!(QuotaSubject::Leaders.covers(principal, None));
        assert!(!QuotaSubject::Leaders.covers(branch, Some(RankLevel::County)), "a branch secretary is no leader");
        assert!(QuotaSubject::CountyLeaders.covers(member, Some(RankLevel::County)));
        assert!(QuotaSubject::CountyLeaders.covers(member, Some(RankLevel::Bureau)));
        assert!(!QuotaSubject::CountyLeaders.covers(member, Some(RankLevel::Township)));
        assert!(!QuotaSubject::CountyLeaders.covers(member, None));
        assert_eq!(leader_mask(), 8 | 16);
    }

    #[test]
    fn windows_and_keys() {
        let w = QuotaPeriod::Month.window(d(2024, 2, 17));
        assert_eq!((w.start, w.end, w.days(), w.key()), (d(2024, 2, 1), d(2024, 2, 29), 29, "2024-02".to_owned()));
        let w = QuotaPeriod::Month.window(d(2026, 12, 31));
        assert_eq!(w.end, d(2026, 12, 31));
        let y = QuotaPeriod::Year.window(d(2026, 6, 15));
        assert_eq!(
            (y.start, y.end, y.key(), y.label()),
            (d(2026, 1, 1), d(2026, 12, 31), "2026".into(), "2026年".into())
        );
        assert_eq!(w.elapsed(d(2026, 12, 1)), 0);
        assert_eq!(w.elapsed(d(2027, 3, 1)), 31);
        assert_eq!(w.elapsed(d(2026, 11, 1)), 0, "before the period");
    }

    #[test]
    fn first_day_of_the_month_warns_nobody() {
        let w = QuotaPeriod::Month.window(d(2026, 6, 1));
        let p = pace(5, 0, &w, d(2026, 6, 1));
        assert_eq!((p.expected, p.outlook), (0, Outlook::OnTrack));
        assert!(!p.outlook.warns());
    }

    #[test]
    fn zero_done_is_warned_once_half_an_entry_was_due() {
        let w = QuotaPeriod::Month.window(d(2026, 6, 1));
        // 30 days, 5 owed: half an entry is owed after 3 days are over (5 × 3 / 30).
        assert_eq!(pace(5, 0, &w, d(2026, 6, 3)).outlook, Outlook::OnTrack);
        let p = pace(5, 0, &w, d(2026, 6, 4));
        assert_eq!((p.expected, p.outlook), (1, Outlook::Behind));
        assert!(p.outlook.warns());
        assert_eq!(pace(5, 1, &w, d(2026, 6, 7)).outlook, Outlook::OnTrack);
        // Mid-month with one done: two were due.
        assert_eq!(pace(5, 1, &w, d(2026, 6, 16)).outlook, Outlook::Behind);
        // The last day with one still owed is a warning.
        let last = pace(5, 4, &w, d(2026, 6, 30));
        assert_eq!((last.expected, last.outlook, last.short()), (5, Outlook::Behind, 1));
        assert_eq!(pace(5, 4, &w, d(2026, 6, 27)).outlook, Outlook::OnTrack);
    }

    #[test]
    fn a_met_quota_never_warns_and_a_past_period_is_missed() {
        let w = QuotaPeriod::Month.window(d(2026, 6, 1));
        for today in [d(2026, 6, 1), d(2026, 6, 20), d(2026, 7, 5)] {
            let p = pace(5, 7, &w, today);
            assert_eq!(p.outlook, Outlook::Met);
            assert!(p.met() && !p.outlook.warns());
        }
        let p = pace(5, 3, &w, d(2026, 7, 1));
        assert_eq!((p.expected, p.outlook), (5, Outlook::Missed));
        assert!(p.outlook.warns());
        // A yearly quota of 2 lectures: half of one is owed from April 3 (92 of 365 days
        // over); one lecture by December is behind (2 × 335 / 365 = 1.84 owed).
        let y = QuotaPeriod::Year.window(d(2026, 1, 1));
        assert_eq!(pace(2, 0, &y, d(2026, 4, 2)).outlook, Outlook::OnTrack);
        assert_eq!(pace(2, 0, &y, d(2026, 4, 3)).outlook, Outlook::Behind);
        assert_eq!(pace(2, 1, &y, d(2026, 9, 30)).outlook, Outlook::OnTrack);
        assert_eq!(pace(2, 1, &y, d(2026, 12, 2)).outlook, Outlook::Behind);
        assert_eq!(pace(2, 0, &y, d(2026, 1, 1)).outlook, Outlook::OnTrack);
    }

    #[test]
    fn a_rule_below_asks_at_least_as_much_of_as_many() {
        let upper = QuotaRule {
            mode: StudyMode::SelfStudy,
            period: QuotaPeriod::Month,
            required: 5,
            subject: QuotaSubject::Leaders,
        };
        assert!(at_least(&QuotaRule { required: 6, ..upper }, &upper));
        assert!(at_least(&upper, &upper));
        assert!(!at_least(&QuotaRule { required: 0, ..upper }, &upper));
        assert!(!at_least(&QuotaRule { subject: QuotaSubject::CountyLeaders, ..upper }, &upper));
        assert!(at_least(&QuotaRule { period: QuotaPeriod::Year, required: 60, ..upper }, &upper));
        assert!(!at_least(&QuotaRule { period: QuotaPeriod::Year, required: 59, ..upper }, &upper));
        let lectures =
            QuotaRule { subject: QuotaSubject::CountyLeaders, period: QuotaPeriod::Year, required: 2, ..upper };
        assert!(at_least(&QuotaRule { subject: QuotaSubject::Leaders, ..lectures }, &lectures), "wider is more");
    }

    #[test]
    fn numbers_are_checked() {
        assert_eq!(check_required(QuotaPeriod::Month, "5"), Ok(5));
        assert_eq!(check_required(QuotaPeriod::Month, "０"), Ok(0));
        for bad in ["-1", "61", "abc", "", "2.5"] {
            assert!(check_required(QuotaPeriod::Month, bad).is_err(), "{bad}");
        }
        assert!(check_required(QuotaPeriod::Year, "365").is_ok());
        assert!(check_required(QuotaPeriod::Year, "100000").is_err());
    }

    #[test]
    fn the_deepest_rule_wins_and_zero_switches_off() {
        let base = DEFAULT_RULES;
        let county = QuotaRule { required: 8, ..base[0] };
        let off = QuotaRule { required: 0, ..base[1] };
        let rules = effective(&[(0, base[0]), (0, base[1]), (3, county)]);
        assert_eq!(rules.iter().map(|r| r.required).collect::<Vec<_>>(), vec![8, 2]);
        let rules = effective(&[(3, county), (0, base[0]), (0, base[1]), (2, off)]);
        assert_eq!(rules, vec![county], "the lecture rule switched off below");
    }
}
