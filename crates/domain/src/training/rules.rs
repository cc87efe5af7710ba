//! A campaign's rules as data: batch length, quotas, the leave limit, credit-hour
//! requirements and online-course credit. The defaults are the seed documents' numbers;
//! an issuing body edits them, and the store keeps them as JSON.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::org::Sector;
use crate::people::{RankLevel, Role, Roles};

use super::kinds::{ClassLevel, TeachingMode};
use super::numbers::{Fraction, Hours, Percent};

/// Who a rule applies to. An empty list means "any"; `orgs` are organisation codes whose
/// subtrees are included.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetFilter {
    #[serde(default)]
    pub orgs: Vec<String>,
    #[serde(default)]
    pub sectors: Vec<Sector>,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub rank_levels: Vec<RankLevel>,
}

/// The facts about one person that target filters look at.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Codes of the person's organisation and all its ancestors.
    pub org_codes: &'a [&'a str],
    /// The sector of the person's organisation.
    pub sector: Option<Sector>,
    pub roles: Roles,
    pub rank_level: Option<RankLevel>,
}

impl TargetFilter {
    pub fn is_empty(&self) -> bool {
        self.orgs.is_empty() && self.sectors.is_empty() && self.roles.is_empty() && self.rank_levels.is_empty()
    }

    pub fn matches(&self, s: &Subject<'_>) -> bool {
        (self.orgs.is_empty() || self.orgs.iter().any(|o| s.org_codes.contains(&o.as_str())))
            && (self.sectors.is_empty() || s.sector.is_some_and(|x| self.sectors.contains(&x)))
            && (self.roles.is_empty() || self.roles.iter().any(|r| s.roles.contains(*r)))
            && (self.rank_levels.is_empty() || s.rank_level.is_some_and(|x| self.rank_levels.contains(&x)))
    }

    /// The sectors, roles and rank levels in words: "村、社区；书记".
    pub fn words(&self) -> String {
        use crate::labels::Labeled;
        let part = |v: Vec<&str>| v.join("、");
        [
            part(self.sectors.iter().map(|x| x.label()).collect()),
            part(self.roles.iter().map(|x| x.label()).collect()),
            part(self.rank_levels.iter().map(|x| x.label()).collect()),
        ]
        .into_iter()
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("；")
    }

    /// Reads the words `words` writes (labels or codes of sectors, roles and rank levels,
    /// separated by 、，; or spaces); an unknown word is refused by name.
    pub fn parse_words(text: &str) -> Result<TargetFilter, String> {
        use crate::labels::Labeled;
        let mut t = TargetFilter::default();
        let text = crate::text::to_halfwidth(text);
        for w in text.split(['、', ',', '，', ';', '；', ' ', '/']).map(str::trim).filter(|w| !w.is_empty()) {
            if let Some(x) = Sector::parse_label(w) {
                if !t.sectors.contains(&x) {
                    t.sectors.push(x);
                }
            } else if let Some(x) = Role::parse_label(w) {
                if !t.roles.contains(&x) {
                    t.roles.push(x);
                }
            } else if let Some(x) = RankLevel::parse_label(w) {
                if !t.rank_levels.contains(&x) {
                    t.rank_levels.push(x);
                }
            } else {
                return Err(format!("“{w}”不是领域、班子职务或职级，请填写如“村、社区、书记”"));
            }
        }
        Ok(t)
    }

    fn village_and_community_secretaries() -> TargetFilter {
        TargetFilter {
            sectors: vec![Sector::Village, Sector::Community],
            roles: vec![Role::Secretary],
            ..TargetFilter::default()
        }
    }
}

/// Days per batch for one target group [002 §一].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchLengthRule {
    pub name: String,
    #[serde(default)]
    pub group: TargetFilter,
    pub min_days: u32,
    pub max_days: u32,
}

impl BatchLengthRule {
    /// A rule for anyone.
    pub fn any(min_days: u32, max_days: u32) -> BatchLengthRule {
        BatchLengthRule { name: "各类参训对象".to_owned(), group: TargetFilter::default(), min_days, max_days }
    }

    /// Whether a batch of `days` days meets the rule, with the reason when it does not.
    pub fn check(&self, days: u32) -> Result<(), String> {
        if (self.min_days..=self.max_days).contains(&days) {
            return Ok(());
        }
        let range = if self.min_days == self.max_days {
            format!("{}天", self.min_days)
        } else {
            format!("{}至{}天", self.min_days, self.max_days)
        };
        Err(format!("{}每期应为{range}，现为{days}天，请调整每期天数", self.name))
    }
}

/// A coverage quota: at least `min_percent` of the group trained at `level` or above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaRule {
    pub name: String,
    pub level: ClassLevel,
    pub min_percent: Percent,
    #[serde(default)]
    pub group: Option<TargetFilter>,
}

/// The outcome of a quota. With nobody in the group the quota is not applicable:
/// `actual_percent` and `met` are `None` (JSON null) rather than a misleading 0 % or 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaResult {
    pub required_percent: Percent,
    pub actual_percent: Option<Percent>,
    pub met: Option<bool>,
}

impl QuotaResult {
    /// "达标", "未达标", "不适用".
    pub fn status_label(&self) -> &'static str {
        match self.met {
            Some(true) => "达标",
            Some(false) => "未达标",
            None => "不适用（无参训对象）",
        }
    }
}

/// Evaluates a quota exactly: met when `numerator / denominator ≥ required`. The actual
/// percentage has one decimal, truncated (never rounded up), so that a displayed 15.0 %
/// against a 15 % requirement is always met and 14.96 % shows as 14.9 %.
pub fn evaluate_quota(required_percent: Percent, numerator: u64, denominator: u64) -> QuotaResult {
    if denominator == 0 {
        return QuotaResult { required_percent, actual_percent: None, met: None };
    }
    let n = u128::from(numerator) * 1000;
    let d = u128::from(denominator);
    let actual = u32::try_from(n / d).unwrap_or(u32::MAX);
    QuotaResult {
        required_percent,
        actual_percent: Some(Percent::tenths(actual)),
        met: Some(n >= u128::from(required_percent.as_tenths()) * d),
    }
}

impl QuotaRule {
    pub fn evaluate(&self, numerator: u64, denominator: u64) -> QuotaResult {
        evaluate_quota(self.min_percent, numerator, denominator)
    }
}

/// What a leave request does to an enrolment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LeaveOutcome {
    Allowed,
    /// Beyond the limit: the trainee is withdrawn (退学), with the reason to show.
    Withdrawn {
        reason: String,
    },
}

/// Whether `leave_hours` of leave in a class of `class_hours` stays within `max` (exactly
/// the limit is still allowed). Exact: `leave × den ≤ class × num`.
pub fn leave_allowed(max: Fraction, class_hours: Hours, leave_hours: Hours) -> bool {
    max.allows(leave_hours.hundredths(), class_hours.hundredths())
}

/// The most leave a trainee may take in a class of `class_hours` (exactly the limit is
/// still allowed), rounded down to the hundredth.
pub fn max_leave_hours(max: Fraction, class_hours: Hours) -> Hours {
    let h = class_hours.hundredths().max(0);
    Hours::from_hundredths(h * i64::from(max.num()) / i64::from(max.den()))
}

/// The leave rule with its reasons. `leave_hours` is the trainee's total leave in the class,
/// this request included. Err when the numbers themselves are wrong.
pub fn assess_leave(max: Fraction, class_hours: Hours, leave_hours: Hours) -> Result<LeaveOutcome, String> {
    if leave_hours.is_negative() {
        return Err(format!("请假学时不能为负数（现为{leave_hours}），请填写正数"));
    }
    if class_hours <= Hours::ZERO {
        return Err("本班尚未安排课程学时，无法计算请假比例，请先完善课程表".to_owned());
    }
    if leave_hours > class_hours {
        return Err(format!("请假学时{leave_hours}超过本班总学时{class_hours}，请核对请假学时"));
    }
    if leave_allowed(max, class_hours, leave_hours) {
        return Ok(LeaveOutcome::Allowed);
    }
    Ok(LeaveOutcome::Withdrawn {
        reason: format!("累计请假{leave_hours}学时，超过本班总学时{class_hours}的{max}，按规定作退学处理"),
    })
}

/// A credit-hour requirement: `hours` within `years` calendar years ending this year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRequirement {
    pub hours: Hours,
    pub years: u32,
}

/// Credit-hour requirements by rank (干部教育培训工作条例, 2023).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditRules {
    /// County level (县处级) and above.
    pub senior: CreditRequirement,
    /// Township level (乡科级) and below, and people without a rank.
    pub junior: CreditRequirement,
}

impl Default for CreditRules {
    fn default() -> Self {
        CreditRules {
            senior: CreditRequirement { hours: Hours::whole(550), years: 5 },
            junior: CreditRequirement { hours: Hours::whole(90), years: 1 },
        }
    }
}

impl CreditRules {
    pub fn requirement_for(&self, rank: Option<RankLevel>) -> CreditRequirement {
        match rank {
            Some(RankLevel::Bureau | RankLevel::County) => self.senior,
            _ => self.junior,
        }
    }
}

/// One credit record as the rules see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditEntry {
    pub date: NaiveDate,
    pub hours: Hours,
}

/// The calendar years a requirement is measured over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditPeriod {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub years: u32,
}

impl CreditPeriod {
    /// The `years` calendar years ending with `today`'s year.
    pub fn ending(today: NaiveDate, years: u32) -> CreditPeriod {
        let years = years.max(1);
        let first = today.year() - (years as i32 - 1);
        CreditPeriod {
            start: NaiveDate::from_ymd_opt(first, 1, 1).unwrap_or(NaiveDate::MIN),
            end: NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(NaiveDate::MAX),
            years,
        }
    }

    /// "2026年" or "2022年至2026年".
    pub fn label(&self) -> String {
        if self.start.year() == self.end.year() {
            format!("{}年", self.end.year())
        } else {
            format!("{}年至{}年", self.start.year(), self.end.year())
        }
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        (self.start..=self.end).contains(&d)
    }
}

/// A person's standing against the credit rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditStatus {
    /// This calendar year, up to today.
    pub year_hours: Hours,
    /// This and the four previous calendar years, up to today.
    pub five_year_hours: Hours,
    pub required_hours: Hours,
    pub period: CreditPeriod,
    /// Hours inside `period`, the figure compared with `required_hours`.
    pub period_hours: Hours,
    pub shortfall: Hours,
    /// Not yet reached the requirement of the current period.
    pub behind: bool,
}

/// Sums a person's records against the requirement of their rank. Records dated after
/// `today` are ignored (a class not yet held earns nothing).
pub fn credit_status(
    rules: &CreditRules,
    rank: Option<RankLevel>,
    records: &[CreditEntry],
    today: NaiveDate,
) -> CreditStatus {
    let req = rules.requirement_for(rank);
    let period = CreditPeriod::ending(today, req.years);
    let year = CreditPeriod::ending(today, 1);
    let five = CreditPeriod::ending(today, 5);
    let sum = |p: &CreditPeriod| -> Hours {
        records.iter().filter(|r| r.date <= today && p.contains(r.date)).map(|r| r.hours).sum()
    };
    let period_hours = sum(&period);
    let shortfall = if period_hours >= req.hours { Hours::ZERO } else { req.hours - period_hours };
    CreditStatus {
        year_hours: sum(&year),
        five_year_hours: sum(&five),
        required_hours: req.hours,
        period,
        period_hours,
        shortfall,
        behind: shortfall > Hours::ZERO,
    }
}

/// One tier of online-course credit: a course of at least `min_minutes` earns `hours`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineTier {
    pub min_minutes: u32,
    pub hours: Hours,
}

/// Online-course credit by length (one provincial platform's practice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnlineCreditRule {
    pub tiers: Vec<OnlineTier>,
}

impl Default for OnlineCreditRule {
    fn default() -> Self {
        OnlineCreditRule {
            tiers: vec![
                OnlineTier { min_minutes: 30, hours: Hours::whole(1) },
                OnlineTier { min_minutes: 15, hours: Hours::from_hundredths(50) },
                OnlineTier { min_minutes: 0, hours: Hours::from_hundredths(25) },
            ],
        }
    }
}

impl OnlineCreditRule {
    /// Credit for a course of `minutes`: the highest tier reached; a zero-length course earns nothing.
    pub fn credit_for(&self, minutes: u32) -> Hours {
        if minutes == 0 {
            return Hours::ZERO;
        }
        self.tiers.iter().filter(|t| minutes >= t.min_minutes).map(|t| t.hours).max().unwrap_or(Hours::ZERO)
    }
}

/// Every rule of a campaign. `Clone` is how a campaign is copied into a new one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignRules {
    /// First matching rule applies; keep a catch-all last.
    pub batch_lengths: Vec<BatchLengthRule>,
    pub quotas: Vec<QuotaRule>,
    pub max_leave_fraction: Fraction,
    #[serde(default)]
    pub credits: CreditRules,
    #[serde(default)]
    pub online_credits: OnlineCreditRule,
    /// Teaching modes the campaign's classes may use [002 §三]; all six by default.
    #[serde(default = "all_modes")]
    pub modes: Vec<TeachingMode>,
    /// Content topics (轮训内容) [002 §二 has five].
    #[serde(default = "default_topics")]
    pub topics: Vec<String>,
    /// Required study materials (学习材料) [000 §三(三)].
    #[serde(default)]
    pub materials: Vec<String>,
}

/// The five topics of the 2015 campaign [002 §二].
pub const TOPICS_2015: [&str; 5] = [
    "习近平总书记系列重要讲话精神和党的十八大以来党和国家重大方针政策",
    "党章、党的基本知识和党内有关纪律规定",
    "基层依法治理和民主协商的基本要求、基本规章、基本程序",
    "基层党组织基本职责和工作方法",
    "中央和省委、市委关于推进基层社会治理创新的精神和政策",
];

fn default_topics() -> Vec<String> {
    TOPICS_2015.iter().map(|t| (*t).to_owned()).collect()
}

/// At most this many topics or materials, each at most `TEXT_MAX` characters.
pub const LIST_MAX: usize = 30;
pub const TEXT_MAX: usize = 200;

fn all_modes() -> Vec<TeachingMode> {
    <TeachingMode as crate::labels::Labeled>::ALL.to_vec()
}

impl Default for CampaignRules {
    /// The 2015 岳阳 grassroots-secretary campaign [002] plus the national regulations.
    fn default() -> Self {
        let secretaries_of =
            |sectors: Vec<Sector>| TargetFilter { sectors, roles: vec![Role::Secretary], ..TargetFilter::default() };
        CampaignRules {
            batch_lengths: vec![
                BatchLengthRule {
                    name: "村、社区党组织书记".to_owned(),
                    group: TargetFilter::village_and_community_secretaries(),
                    min_days: 3,
                    max_days: 5,
                },
                // "每期一般掌握在3天左右": about three days, read as 2 to 4.
                BatchLengthRule { name: "其他领域基层党组织书记".to_owned(), ..BatchLengthRule::any(2, 4) },
            ],
            quotas: vec![
                QuotaRule {
                    name: "村党组织书记参加市级集中培训".to_owned(),
                    level: ClassLevel::City,
                    min_percent: Percent::whole(15),
                    group: Some(secretaries_of(vec![Sector::Village])),
                },
                QuotaRule {
                    name: "乡镇（街道）党（工）委书记由市委组织部集中培训".to_owned(),
                    level: ClassLevel::City,
                    min_percent: Percent::whole(100),
                    group: Some(secretaries_of(vec![Sector::Township, Sector::Street])),
                },
                QuotaRule {
                    name: "各系统基层党组织书记参加市级集中培训".to_owned(),
                    level: ClassLevel::City,
                    min_percent: Percent::whole(15),
                    group: Some(secretaries_of(vec![
                        Sector::Organ,
                        Sector::Institution,
                        Sector::StateEnterprise,
                        Sector::NonPublic,
                        Sector::Social,
                    ])),
                },
            ],
            max_leave_fraction: Fraction::new(1, 7).unwrap_or(Fraction::ONE),
            credits: CreditRules::default(),
            online_credits: OnlineCreditRule::default(),
            modes: all_modes(),
            topics: default_topics(),
            materials: Vec::new(),
        }
    }
}

impl CampaignRules {
    pub fn batch_length_for(&self, who: &Subject<'_>) -> Option<&BatchLengthRule> {
        self.batch_lengths.iter().find(|r| r.group.matches(who))
    }

    /// Whether a batch of `days` days suits the group `who` belongs to (no matching rule: any length).
    pub fn batch_length_ok(&self, who: &Subject<'_>, days: u32) -> Result<(), String> {
        self.batch_length_for(who).map_or(Ok(()), |r| r.check(days))
    }

    pub fn leave_allowed(&self, class_hours: Hours, leave_hours: Hours) -> bool {
        leave_allowed(self.max_leave_fraction, class_hours, leave_hours)
    }

    /// Every inconsistency in the rules, each saying what to fix (empty when valid).
    pub fn validate(&self) -> Vec<String> {
        let mut errors = Vec::new();
        for r in &self.batch_lengths {
            if r.name.trim().is_empty() {
                errors.push("每期天数规则须填写适用对象名称".to_owned());
            }
            if r.min_days == 0 || r.min_days > r.max_days {
                errors.push(format!(
                    "“{}”每期天数应至少1天且最少天数不大于最多天数（现为{}至{}天），请改正",
                    r.name, r.min_days, r.max_days
                ));
            }
            if r.max_days > 366 {
                errors.push(format!("“{}”每期最多{}天，超出一年，请改正", r.name, r.max_days));
            }
        }
        for q in &self.quotas {
            if q.name.trim().is_empty() {
                errors.push("比例要求须填写名称".to_owned());
            }
            if q.min_percent > Percent::whole(100) {
                errors.push(format!("“{}”的比例{}超过100%，请填写0至100之间的数", q.name, q.min_percent));
            }
        }
        for (label, r) in [("县处级以上", self.credits.senior), ("乡科级及以下", self.credits.junior)] {
            if r.years == 0 || r.years > 10 {
                errors.push(format!("{label}学时要求的周期应为1至10年（现为{}年），请改正", r.years));
            }
            if r.hours.is_negative() {
                errors.push(format!("{label}学时要求不能为负数，请改正"));
            }
        }
        if self.modes.is_empty() {
            errors.push("请至少选择一种教学方式".to_owned());
        }
        for (label, list) in [("轮训内容", &self.topics), ("学习材料", &self.materials)] {
            if list.len() > LIST_MAX {
                errors.push(format!("{label}最多{LIST_MAX}项（现有{}项），请精简", list.len()));
            }
            if let Some(t) = list.iter().find(|t| t.trim().is_empty() || t.chars().count() > TEXT_MAX) {
                errors.push(format!("{label}每项应为1至{TEXT_MAX}个字：“{}”", t.chars().take(20).collect::<String>()));
            }
        }
        if self.online_credits.tiers.iter().any(|t| t.hours.is_negative()) {
            errors.push("网络课程折算学时不能为负数，请改正".to_owned());
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_most_leave_is_the_share_of_the_hours_rounded_down() {
        let seventh = Fraction::new(1, 7).expect("1/7");
        assert_eq!(max_leave_hours(seventh, Hours::from_hundredths(2800)), Hours::from_hundredths(400));
        assert_eq!(max_leave_hours(seventh, Hours::from_hundredths(3000)), Hours::from_hundredths(428));
        assert!(leave_allowed(seventh, Hours::from_hundredths(3000), Hours::from_hundredths(428)));
        assert!(!leave_allowed(seventh, Hours::from_hundredths(3000), Hours::from_hundredths(429)));
        assert_eq!(max_leave_hours(seventh, Hours::ZERO), Hours::ZERO);
    }

    #[test]
    fn target_words_read_back() {
        let t = TargetFilter::parse_words("村、社区；书记 县处级").expect("words");
        assert_eq!(t.sectors, vec![Sector::Village, Sector::Community]);
        assert_eq!(t.roles, vec![Role::Secretary]);
        assert_eq!(t.rank_levels.len(), 1);
        assert_eq!(TargetFilter::parse_words(&t.words()).expect("again"), t);
        let e = TargetFilter::parse_words("村、书记、张三").expect_err("unknown word");
        assert!(e.contains("“张三”"), "{e}");
        assert!(TargetFilter::parse_words("").expect("empty").is_empty());
        assert_eq!(CampaignRules::default().topics.len(), 5, "002 §二 has five topics");
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("valid date")
    }

    fn secretary(sector: Sector) -> (Roles, Option<Sector>) {
        let mut roles = Roles::default();
        roles.insert(Role::Secretary);
        (roles, Some(sector))
    }

    #[test]
    fn village_secretaries_get_three_to_five_days_others_about_three() {
        let rules = CampaignRules::default();
        let (roles, sector) = secretary(Sector::Village);
        let village = Subject { org_codes: &["430602"], sector, roles, rank_level: None };
        assert_eq!(rules.batch_length_ok(&village, 5), Ok(()));
        let err = rules.batch_length_ok(&village, 2).unwrap_err();
        assert_eq!(err, "村、社区党组织书记每期应为3至5天，现为2天，请调整每期天数");
        let (roles, sector) = secretary(Sector::NonPublic);
        let firm = Subject { org_codes: &[], sector, roles, rank_level: None };
        assert_eq!(rules.batch_length_ok(&firm, 3), Ok(()));
        assert!(rules.batch_length_ok(&firm, 5).is_err());
    }

    #[test]
    fn target_filter_matches_org_subtrees_and_roles() {
        let f = TargetFilter { orgs: vec!["4306".into()], roles: vec![Role::DeputySecretary], ..Default::default() };
        let mut roles = Roles::default();
        roles.insert(Role::DeputySecretary);
        let s = Subject { org_codes: &["430602001", "430602", "4306"], sector: None, roles, rank_level: None };
        assert!(f.matches(&s));
        let s = Subject { org_codes: &["4307"], ..s };
        assert!(!f.matches(&s));
        assert!(TargetFilter::default().matches(&s));
    }

    #[test]
    fn quota_met_exactly_at_the_line_and_not_applicable_without_people() {
        let q = evaluate_quota(Percent::whole(15), 15, 100);
        assert_eq!(
            q,
            QuotaResult {
                required_percent: Percent::whole(15),
                actual_percent: Some(Percent::whole(15)),
                met: Some(true)
            }
        );
        let q = evaluate_quota(Percent::whole(15), 1496, 10_000);
        assert_eq!(q.actual_percent, Some(Percent::tenths(149)));
        assert_eq!(q.met, Some(false));
        let q = evaluate_quota(Percent::whole(15), 2, 13);
        assert_eq!(q.actual_percent, Some(Percent::tenths(153)));
        assert_eq!(q.met, Some(true));
        let q = evaluate_quota(Percent::whole(15), 0, 0);
        assert_eq!((q.actual_percent, q.met, q.status_label()), (None, None, "不适用（无参训对象）"));
    }

    #[test]
    fn exactly_one_seventh_of_leave_is_allowed_a_quarter_hour_more_withdraws() {
        let max = Fraction::new(1, 7).expect("valid");
        let class = Hours::whole(28);
        assert!(leave_allowed(max, class, Hours::whole(4)));
        assert!(!leave_allowed(max, class, Hours::from_hundredths(425)));
        // 7.5 h class: the limit 1.0714… h is not a whole number of hundredths.
        let class = Hours::from_hundredths(750);
        assert!(leave_allowed(max, class, Hours::from_hundredths(107)));
        assert!(!leave_allowed(max, class, Hours::from_hundredths(108)));
        assert_eq!(assess_leave(max, Hours::whole(28), Hours::whole(4)), Ok(LeaveOutcome::Allowed));
        match assess_leave(max, Hours::whole(28), Hours::whole(5)) {
            Ok(LeaveOutcome::Withdrawn { reason }) => assert!(reason.contains("1/7") && reason.contains("退学")),
            other => panic!("expected withdrawal, got {other:?}"),
        }
        assert!(assess_leave(max, Hours::whole(28), Hours::whole(-1)).unwrap_err().contains("负数"));
        assert!(assess_leave(max, Hours::ZERO, Hours::whole(1)).unwrap_err().contains("课程表"));
        assert!(assess_leave(max, Hours::whole(2), Hours::whole(3)).unwrap_err().contains("超过本班总学时"));
    }

    #[test]
    fn credit_status_for_county_and_township_ranks() {
        let rules = CreditRules::default();
        let today = d(2026, 6, 30);
        let records = [
            CreditEntry { date: d(2021, 12, 31), hours: Hours::whole(100) }, // outside 2022–2026
            CreditEntry { date: d(2022, 1, 1), hours: Hours::whole(300) },
            CreditEntry { date: d(2026, 3, 1), hours: Hours::from_hundredths(4050) },
            CreditEntry { date: d(2026, 7, 1), hours: Hours::whole(60) }, // future
        ];
        let s = credit_status(&rules, Some(RankLevel::County), &records, today);
        assert_eq!(s.year_hours, Hours::from_hundredths(4050));
        assert_eq!(s.five_year_hours, Hours::from_hundredths(34050));
        assert_eq!(s.required_hours, Hours::whole(550));
        assert_eq!(s.period.label(), "2022年至2026年");
        assert_eq!(s.shortfall, Hours::from_hundredths(20950));
        assert!(s.behind);
        let s = credit_status(&rules, Some(RankLevel::Township), &records, today);
        assert_eq!(
            (s.required_hours, s.period.label(), s.period_hours),
            (Hours::whole(90), "2026年".to_owned(), s.year_hours)
        );
        assert!(s.behind);
        let more = [CreditEntry { date: d(2026, 1, 2), hours: Hours::whole(90) }];
        assert!(!credit_status(&rules, None, &more, today).behind);
    }

    #[test]
    fn online_course_credit_tiers() {
        let r = OnlineCreditRule::default();
        assert_eq!(r.credit_for(45), Hours::whole(1));
        assert_eq!(r.credit_for(30), Hours::whole(1));
        assert_eq!(r.credit_for(29), Hours::from_hundredths(50));
        assert_eq!(r.credit_for(15), Hours::from_hundredths(50));
        assert_eq!(r.credit_for(14), Hours::from_hundredths(25));
        assert_eq!(r.credit_for(0), Hours::ZERO);
    }

    #[test]
    fn default_rules_are_valid_and_bad_ones_say_what_to_fix() {
        assert!(CampaignRules::default().validate().is_empty());
        let mut r = CampaignRules::default();
        r.batch_lengths[0].min_days = 6;
        r.quotas[0].min_percent = Percent::whole(120);
        let errors = r.validate();
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].contains("请改正"));
    }

    proptest! {
        #[test]
        fn leave_rule_matches_rational_arithmetic(class in 1i64..100_000, leave in 0i64..100_000, num in 0u32..10, den in 1u32..20) {
            let num = num.min(den);
            let max = Fraction::new(num, den).expect("valid");
            let allowed = leave_allowed(max, Hours::from_hundredths(class), Hours::from_hundredths(leave));
            prop_assert_eq!(allowed, leave * i64::from(den) <= class * i64::from(num));
        }

        #[test]
        fn quota_actual_is_truncated_and_consistent_with_met(req in 0u32..=1000, num in 0u64..100_000, extra in 0u64..100_000) {
            let den = num + extra;
            let q = evaluate_quota(Percent::tenths(req), num, den);
            if den == 0 {
                prop_assert_eq!(q.met, None);
            } else {
                let actual = q.actual_percent.expect("applicable").as_tenths();
                prop_assert!(u64::from(actual) * den <= num * 1000);
                prop_assert!((u64::from(actual) + 1) * den > num * 1000);
                // Truncation keeps what is shown consistent with the verdict.
                prop_assert_eq!(q.met, Some(actual >= req));
            }
        }
    }
}
