//! Training funds (经费, seed 002 §五(二), domain.md §3): a class's budget and expense
//! lines by source, checked against the fee caps of 中央和国家机关培训费管理办法 — a
//! comprehensive cap per person-day by venue class (760 / 650 / 550 yuan), days beyond 30
//! at 70%, and lecture fees per hour by the instructor's title with at most 4 hours a half
//! day. The caps are a rule an issuing body may change ([`FeeCaps`]); amounts are in fen
//! (分) so that no sum is rounded.

use serde::{Deserialize, Serialize};

use crate::validate::FieldError;

use crate::labeled_enum;
use crate::labels::Labeled;

labeled_enum! {
    /// Where money comes from (002 §五(二): 财政支持、党费补充、上级培训经费).
    pub enum FundSource {
        Fiscal => ("fiscal", "财政资金", ["财政", "财政拨款"]),
        PartyDues => ("party_dues", "党费", ["党费补充", "党费拨付"]),
        HigherLevel => ("higher_level", "上级培训经费", ["上级经费", "上级拨款"]),
        Other => ("other", "其他", ["其它", "自筹"]),
    }
}

labeled_enum! {
    /// A line planned (预算) or spent (支出).
    pub enum FundStage {
        Budget => ("budget", "预算", ["预算数", "计划"]),
        Expense => ("expense", "支出", ["实际支出", "决算", "开支"]),
    }
}

labeled_enum! {
    /// What a line pays for: the comprehensive per-person-day items, or lecture fees.
    pub enum CostKind {
        Comprehensive => ("comprehensive", "综合定额（住宿、伙食、场地、资料、交通、其他）", ["综合定额", "住宿", "伙食", "场地", "资料费", "交通费"]),
        Lecture => ("lecture", "师资费（讲课费）", ["讲课费", "师资费"]),
    }
}

labeled_enum! {
    /// The venue class the comprehensive cap depends on.
    pub enum VenueClass {
        First => ("first", "一类培训", ["一类"]),
        Second => ("second", "二类培训", ["二类"]),
        Third => ("third", "三类培训", ["三类"]),
    }
}

labeled_enum! {
    /// The instructor's title the lecture-fee cap depends on.
    pub enum LecturerTitle {
        Associate => ("associate", "副高级职称", ["副高", "副教授", "副研究员"]),
        Full => ("full", "正高级职称", ["正高", "教授", "研究员"]),
        Eminent => ("eminent", "院士、全国知名专家", ["院士", "知名专家"]),
        Other => ("other", "其他人员（参照副高级）", ["其他", "其它"]),
    }
}

/// The caps in force (defaults: the 2017 measures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeCaps {
    /// Yuan per person-day, by venue class (first, second, third).
    pub per_day: [i64; 3],
    /// Days up to this many are paid in full; later days at `long_percent`.
    pub full_days: u32,
    pub long_percent: i64,
    /// Yuan per lecture hour, by title (associate, full, eminent, other).
    pub per_hour: [i64; 4],
    pub hours_per_half_day: u32,
}

impl Default for FeeCaps {
    fn default() -> Self {
        FeeCaps {
            per_day: [760, 650, 550],
            full_days: 30,
            long_percent: 70,
            per_hour: [500, 1000, 1500, 500],
            hours_per_half_day: 4,
        }
    }
}

impl FeeCaps {
    fn day_cap_fen(&self, venue: VenueClass) -> i64 {
        let i = match venue {
            VenueClass::First => 0,
            VenueClass::Second => 1,
            VenueClass::Third => 2,
        };
        self.per_day[i] * 100
    }

    /// The comprehensive cap of a class in fen: people × (full days at the day cap + later
    /// days at the reduced share).
    pub fn comprehensive_cap(&self, venue: VenueClass, people: u32, days: u32) -> i64 {
        let day = self.day_cap_fen(venue);
        let full = i64::from(days.min(self.full_days));
        let long = i64::from(days.saturating_sub(self.full_days));
        i64::from(people) * (full * day + long * day * self.long_percent / 100)
    }

    /// The lecture-fee cap per hour in fen.
    pub fn hour_cap(&self, title: LecturerTitle) -> i64 {
        let i = match title {
            LecturerTitle::Associate => 0,
            LecturerTitle::Full => 1,
            LecturerTitle::Eminent => 2,
            LecturerTitle::Other => 3,
        };
        self.per_hour[i] * 100
    }
}

/// The form fields of the caps, in the order of [`FeeCaps::per_day`] and
/// [`FeeCaps::per_hour`].
pub const DAY_FIELDS: [&str; 3] = ["day_first", "day_second", "day_third"];
pub const HOUR_FIELDS: [&str; 4] = ["hour_associate", "hour_full", "hour_eminent", "hour_other"];

/// The caps as typed, by form field.
pub type CapFields = std::collections::HashMap<String, String>;

impl FeeCaps {
    /// Each cap the stricter of the two (a level's caps under those set above it later).
    pub fn tighter(self, other: FeeCaps) -> FeeCaps {
        let min = |a: [i64; 4], b: [i64; 4]| std::array::from_fn(|i| a[i].min(b[i]));
        FeeCaps {
            per_day: std::array::from_fn(|i| self.per_day[i].min(other.per_day[i])),
            full_days: self.full_days.min(other.full_days),
            long_percent: self.long_percent.min(other.long_percent),
            per_hour: min(self.per_hour, other.per_hour),
            hours_per_half_day: self.hours_per_half_day.min(other.hours_per_half_day),
        }
    }

    /// The caps as form fields.
    pub fn fields(&self) -> CapFields {
        let mut f = CapFields::new();
        for (name, v) in DAY_FIELDS.iter().zip(self.per_day) {
            f.insert((*name).to_owned(), v.to_string());
        }
        for (name, v) in HOUR_FIELDS.iter().zip(self.per_hour) {
            f.insert((*name).to_owned(), v.to_string());
        }
        f.insert("full_days".into(), self.full_days.to_string());
        f.insert("long_percent".into(), self.long_percent.to_string());
        f.insert("hours_per_half_day".into(), self.hours_per_half_day.to_string());
        f
    }

    /// The caps an organisation sets for its classes and those below it, checked: whole
    /// numbers in range, and none above `ceiling` (the caps of the level above: a lower
    /// level may tighten them, never loosen). Every fault is named.
    pub fn parse(f: &CapFields, ceiling: &FeeCaps) -> Result<FeeCaps, Vec<FieldError>> {
        let mut errs = Vec::new();
        let mut num = |field: &'static str, what: &str, lo: i64, hi: i64, above: i64, unit: &str| -> i64 {
            let text = crate::text::compact(f.get(field).map(String::as_str).unwrap_or_default());
            if text.is_empty() {
                errs.push(FieldError { field, message: format!("请填写{what}（{unit}）") });
                return 0;
            }
            match text.parse::<i64>() {
                Ok(v) if v < lo || v > hi => {
                    errs.push(FieldError {
                        field, message: format!("{what}应为{lo}至{hi}之间的整数（{unit}）")
                    });
                    0
                }
                Ok(v) if v > above => {
                    errs.push(FieldError {
                        field,
                        message: format!("{what}不能高于上级标准{above}{unit}；下级只能从严确定标准"),
                    });
                    0
                }
                Ok(v) => v,
                Err(_) => {
                    errs.push(FieldError {
                        field, message: format!("{what}应为整数（{unit}），不能含有小数点或文字")
                    });
                    0
                }
            }
        };
        let mut caps = FeeCaps::default();
        for (i, v) in VenueClass::ALL.iter().enumerate() {
            let what = format!("{}综合定额", v.label());
            caps.per_day[i] = num(DAY_FIELDS[i], &what, 1, 100_000, ceiling.per_day[i], "元/人·天");
        }
        for (i, t) in LecturerTitle::ALL.iter().enumerate() {
            let what = format!("{}讲课费", t.label());
            caps.per_hour[i] = num(HOUR_FIELDS[i], &what, 1, 100_000, ceiling.per_hour[i], "元/学时");
        }
        // More days at the full rate and a higher share beyond them both loosen the cap.
        let full = num("full_days", "全额计算的天数", 1, 366, i64::from(ceiling.full_days), "天");
        caps.full_days = u32::try_from(full).unwrap_or(0);
        caps.long_percent = num("long_percent", "超出天数的计算比例", 0, 100, ceiling.long_percent, "%");
        let hours =
            num("hours_per_half_day", "每半天讲课学时上限", 1, 8, i64::from(ceiling.hours_per_half_day), "学时");
        caps.hours_per_half_day = u32::try_from(hours).unwrap_or(0);
        if errs.is_empty() {
            // The classes and titles keep their order: a lower class or title never pays more.
            let order = |field, what: &str, lower: i64, higher: i64, higher_what: &str| {
                (lower > higher)
                    .then(|| FieldError { field, message: format!("{what}不能高于{higher_what}（{higher}）") })
            };
            let [first, second, third] = caps.per_day;
            let [associate, full, eminent, other] = caps.per_hour;
            errs.extend(
                [
                    order(DAY_FIELDS[1], "二类培训综合定额", second, first, "一类培训"),
                    order(DAY_FIELDS[2], "三类培训综合定额", third, second, "二类培训"),
                    order(HOUR_FIELDS[1], "正高级职称讲课费", full, eminent, "院士、全国知名专家"),
                    order(HOUR_FIELDS[0], "副高级职称讲课费", associate, full, "正高级职称"),
                    order(HOUR_FIELDS[3], "其他人员讲课费", other, associate, "副高级职称"),
                ]
                .into_iter()
                .flatten(),
            );
        }
        if errs.is_empty() { Ok(caps) } else { Err(errs) }
    }
}

/// A class as its costs are judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassTerms {
    pub venue: VenueClass,
    pub people: u32,
    pub days: u32,
}

/// One lecture paid for: the instructor's title, hours and half days taught, the fee.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lecture {
    pub title: LecturerTitle,
    pub hours: u32,
    pub half_days: u32,
    pub fee_fen: i64,
}

/// A cost line: its source and kind, the amount, and for a lecture fee its terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CostLine {
    pub source: FundSource,
    pub kind: CostKind,
    pub amount_fen: i64,
    pub lecture: Option<Lecture>,
}

/// A cap broken, with the rule it breaks in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach {
    /// The line (by position) or `None` for the class's comprehensive total.
    pub line: Option<usize>,
    pub over_fen: i64,
    pub rule: String,
}

/// Yuan with two decimals, as ledgers print money ("1234.50").
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let f = fen.abs();
    format!("{sign}{}.{:02}", f / 100, f % 100)
}

/// Checks a class's cost lines against the caps: the comprehensive lines together against
/// the class's cap, each lecture against its hourly cap and the hours a half day.
pub fn check(caps: &FeeCaps, class: ClassTerms, lines: &[CostLine]) -> Vec<Breach> {
    let mut out = Vec::new();
    let comprehensive: i64 = lines.iter().filter(|l| l.kind == CostKind::Comprehensive).map(|l| l.amount_fen).sum();
    let cap = caps.comprehensive_cap(class.venue, class.people, class.days);
    if comprehensive > cap {
        let long = if class.days > caps.full_days {
            format!("，超过{}天的部分按{}%计", caps.full_days, caps.long_percent)
        } else {
            String::new()
        };
        out.push(Breach {
            line: None,
            over_fen: comprehensive - cap,
            rule: format!(
                "综合定额合计{}元超过标准{}元（{}每人每天{}元 × {}人 × {}天{long}）",
                yuan(comprehensive),
                yuan(cap),
                class.venue.label(),
                caps.day_cap_fen(class.venue) / 100,
                class.people,
                class.days
            ),
        });
    }
    for (i, l) in lines.iter().enumerate() {
        let Some(lec) = l.lecture.filter(|_| l.kind == CostKind::Lecture) else { continue };
        let max_hours = lec.half_days.max(1) * caps.hours_per_half_day;
        if lec.hours > max_hours {
            out.push(Breach {
                line: Some(i),
                over_fen: 0,
                rule: format!(
                    "讲课{}学时超过{}个半天的上限{}学时（每半天不超过{}学时）",
                    lec.hours,
                    lec.half_days.max(1),
                    max_hours,
                    caps.hours_per_half_day
                ),
            });
        }
        let hour_cap = caps.hour_cap(lec.title);
        let paid_hours = i64::from(lec.hours.min(max_hours));
        if lec.fee_fen > hour_cap * paid_hours {
            out.push(Breach {
                line: Some(i),
                over_fen: lec.fee_fen - hour_cap * paid_hours,
                rule: format!(
                    "讲课费{}元超过标准{}元（{}每学时不超过{}元 × {}学时）",
                    yuan(lec.fee_fen),
                    yuan(hour_cap * paid_hours),
                    lec.title.label(),
                    hour_cap / 100,
                    paid_hours
                ),
            });
        }
    }
    out
}

/// Totals per source, in the order of [`FundSource::ALL`], sources without lines left out.
pub fn by_source(lines: &[CostLine]) -> Vec<(FundSource, i64)> {
    FundSource::ALL
        .iter()
        .map(|s| (*s, lines.iter().filter(|l| l.source == *s).map(|l| l.amount_fen).sum::<i64>()))
        .filter(|(s, sum)| *sum != 0 || lines.iter().any(|l| l.source == *s))
        .collect()
}

/// The largest amount a line may carry: 100 million yuan.
pub const MAX_FEN: i64 = 10_000_000_000;

/// Yuan as typed ("12,345.6", full-width digits, "元" after) in fen; refused when not a
/// non-negative amount with at most two decimals.
pub fn parse_yuan(text: &str) -> Result<i64, String> {
    let t: String = crate::text::to_halfwidth(text.trim()).chars().filter(|c| *c != ',' && *c != '，').collect();
    let t = t.trim_end_matches('元').trim();
    if t.is_empty() {
        return Err("请填写金额（元），如：12000 或 12000.50".into());
    }
    let bad = || format!("金额“{}”格式有误，应为大于0的数字，最多两位小数，如：12000.50", text.trim());
    let (whole, frac) = t.split_once('.').unwrap_or((t, ""));
    if whole.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || frac.len() > 2
    {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let frac: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
    let fen = whole.checked_mul(100).and_then(|w| w.checked_add(frac)).filter(|f| *f <= MAX_FEN);
    fen.ok_or_else(|| format!("金额“{}”超过1亿元，请核对", text.trim()))
}

/// A cost line as typed in a form or a file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineFields {
    pub stage: String,
    pub source: String,
    pub kind: String,
    pub amount: String,
    /// For a lecture fee: the instructor's title, hours and half days.
    pub title: String,
    pub hours: String,
    pub half_days: String,
    pub note: String,
}

/// A checked line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineDraft {
    pub stage: FundStage,
    pub line: CostLine,
    pub note: Option<String>,
}

/// Checks a line, every problem at once.
pub fn check_line(f: &LineFields) -> Result<LineDraft, Vec<FieldError>> {
    let mut errs = Vec::new();
    let mut pick = |field: &'static str, what: &str, allowed: String, found: Option<()>| {
        if found.is_none() {
            errs.push(FieldError { field, message: format!("请选择{what}（{allowed}）") });
        }
    };
    let stage = FundStage::from_code(f.stage.trim()).or_else(|| FundStage::parse_label(&f.stage));
    pick("stage", "预算或支出", FundStage::allowed_labels(), stage.map(|_| ()));
    let source = FundSource::from_code(f.source.trim()).or_else(|| FundSource::parse_label(&f.source));
    pick("source", "经费来源", FundSource::allowed_labels(), source.map(|_| ()));
    let kind = CostKind::from_code(f.kind.trim()).or_else(|| CostKind::parse_label(&f.kind));
    pick("kind", "开支类别", "综合定额、师资费".into(), kind.map(|_| ()));
    let amount = parse_yuan(&f.amount)
        .and_then(|fen| {
            if fen == 0 { Err("金额为0，不必登记；请填写大于0的金额".to_owned()) } else { Ok(fen) }
        })
        .map_err(|m| errs.push(FieldError { field: "amount", message: m }))
        .ok();
    let note = f.note.trim();
    if note.chars().count() > 200 {
        errs.push(FieldError { field: "note", message: "说明不能超过200字".into() });
    }
    let number = |field: &'static str, label: &str, text: &str, max: u32, errs: &mut Vec<FieldError>| {
        match crate::text::to_halfwidth(text.trim()).parse::<u32>() {
            Ok(n) if (1..=max).contains(&n) => Some(n),
            _ => {
                errs.push(FieldError { field, message: format!("请填写{label}（1至{max}的整数）") });
                None
            }
        }
    };
    // A lecture fee spent names its terms (the caps depend on them); a budgeted one may.
    let any_term = !(f.title.trim().is_empty() && f.hours.trim().is_empty() && f.half_days.trim().is_empty());
    let lecture = if kind == Some(CostKind::Lecture) && (stage != Some(FundStage::Budget) || any_term) {
        let title = LecturerTitle::from_code(f.title.trim()).or_else(|| LecturerTitle::parse_label(&f.title));
        if title.is_none() {
            errs.push(FieldError {
                field: "title",
                message: format!("师资费请选择授课人职称（{}）", LecturerTitle::allowed_labels()),
            });
        }
        let hours = number("hours", "授课学时", &f.hours, 200, &mut errs);
        let half_days = number("half_days", "授课半天数", &f.half_days, 100, &mut errs);
        match (title, hours, half_days, amount) {
            (Some(title), Some(hours), Some(half_days), Some(fee_fen)) => {
                Some(Lecture { title, hours, half_days, fee_fen })
            }
            _ => None,
        }
    } else {
        if any_term && kind != Some(CostKind::Lecture) {
            errs.push(FieldError {
                field: "title",
                message: "职称、学时和半天数只用于师资费，请清空或改选开支类别".into(),
            });
        }
        None
    };
    match (stage, source, kind, amount, errs.is_empty()) {
        (Some(stage), Some(source), Some(kind), Some(amount_fen), true) => Ok(LineDraft {
            stage,
            line: CostLine { source, kind, amount_fen, lecture },
            note: (!note.is_empty()).then(|| note.to_owned()),
        }),
        _ => Err(errs),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_are_set_in_range_and_only_tightened_below() {
        let national = FeeCaps::default();
        assert_eq!(FeeCaps::parse(&national.fields(), &national), Ok(national));
        let mut f = national.fields();
        f.insert("day_third".into(), "500".into());
        f.insert("long_percent".into(), "60".into());
        let tighter = FeeCaps::parse(&f, &national).expect("tighter");
        assert_eq!((tighter.per_day[2], tighter.long_percent), (500, 60));
        // Looser than the level above, out of range, or not a number: each named.
        f.insert("day_first".into(), "800".into());
        f.insert("hours_per_half_day".into(), "9".into());
        f.insert("hour_full".into(), "一千".into());
        f.remove("full_days");
        let errs = FeeCaps::parse(&f, &national).expect_err("refused");
        let by = |field: &str| errs.iter().find(|e| e.field == field).map(|e| e.message.clone()).unwrap_or_default();
        assert!(by("day_first").contains("不能高于上级标准760"), "{errs:?}");
        assert!(by("hours_per_half_day").contains("1至8"), "{errs:?}");
        assert!(by("hour_full").contains("应为整数"), "{errs:?}");
        assert!(by("full_days").contains("请填写全额计算的天数"), "{errs:?}");
        assert_eq!(errs.len(), 4);
        // Below a county that tightened, the tighter caps are the ceiling.
        let errs = FeeCaps::parse(&national.fields(), &tighter).expect_err("looser than the county");
        assert_eq!(errs.iter().map(|e| e.field).collect::<Vec<_>>(), ["day_third", "long_percent"]);
        // A lower class or title may not pay more than a higher one.
        let mut f = national.fields();
        f.insert("day_third".into(), "５００".into());
        assert_eq!(FeeCaps::parse(&f, &national).map(|c| c.per_day[2]), Ok(500), "full-width digits are read");
        f.insert("day_first".into(), "100".into());
        let errs = FeeCaps::parse(&f, &national).expect_err("out of order");
        assert!(
            errs.len() == 1 && errs[0].field == "day_second" && errs[0].message.contains("一类培训（100）"),
            "{errs:?}"
        );
        let t = national.tighter(tighter);
        assert_eq!((t.per_day, t.long_percent, t.full_days), ([760, 650, 500], 60, 30));
    }

    fn comp(source: FundSource, yuan: i64) -> CostLine {
        CostLine { source, kind: CostKind::Comprehensive, amount_fen: yuan * 100, lecture: None }
    }

    fn lecture(title: LecturerTitle, hours: u32, half_days: u32, yuan: i64) -> CostLine {
        CostLine {
            source: FundSource::Fiscal,
            kind: CostKind::Lecture,
            amount_fen: yuan * 100,
            lecture: Some(Lecture { title, hours, half_days, fee_fen: yuan * 100 }),
        }
    }

    #[test]
    fn a_line_of_nothing_is_refused() {
        let f = LineFields {
            stage: "expense".into(),
            source: "fiscal".into(),
            kind: "comprehensive".into(),
            amount: "0.00".into(),
            ..Default::default()
        };
        let e = check_line(&f).expect_err("zero");
        assert!(e[0].field == "amount" && e[0].message.contains("大于0"), "{e:?}");
        assert!(check_line(&LineFields { amount: "0.01".into(), ..f }).is_ok());
    }

    #[test]
    fn the_comprehensive_cap_by_venue_class_and_the_reduced_share_after_thirty_days() {
        let caps = FeeCaps::default();
        assert_eq!(caps.comprehensive_cap(VenueClass::First, 50, 5), 50 * 5 * 76_000);
        assert_eq!(caps.comprehensive_cap(VenueClass::Third, 1, 30), 30 * 55_000);
        // 31 days: the 31st at 70%.
        assert_eq!(caps.comprehensive_cap(VenueClass::Second, 2, 31), 2 * (30 * 65_000 + 45_500));
    }

    #[test]
    fn a_class_within_the_cap_passes_and_one_over_names_the_rule() {
        let caps = FeeCaps::default();
        let class = ClassTerms { venue: VenueClass::Third, people: 100, days: 7 };
        // 100 × 7 × 550 = 385,000 yuan.
        let lines = [comp(FundSource::Fiscal, 300_000), comp(FundSource::PartyDues, 85_000)];
        assert!(check(&caps, class, &lines).is_empty());
        let over = [comp(FundSource::Fiscal, 300_000), comp(FundSource::PartyDues, 85_001)];
        let b = check(&caps, class, &over);
        assert_eq!((b.len(), b[0].line, b[0].over_fen), (1, None, 100));
        assert!(b[0].rule.contains("385000.00") && b[0].rule.contains("三类培训每人每天550元"), "{}", b[0].rule);
    }

    #[test]
    fn lecture_fees_by_title_and_hours_a_half_day() {
        let caps = FeeCaps::default();
        let class = ClassTerms { venue: VenueClass::Second, people: 40, days: 3 };
        // A professor, 4 hours in one half day: up to 4,000 yuan.
        assert!(check(&caps, class, &[lecture(LecturerTitle::Full, 4, 1, 4_000)]).is_empty());
        let b = check(&caps, class, &[lecture(LecturerTitle::Full, 4, 1, 4_001)]);
        assert_eq!((b[0].line, b[0].over_fen), (Some(0), 100));
        assert!(b[0].rule.contains("正高级职称每学时不超过1000元"), "{}", b[0].rule);
        // Six hours in one half day break the hours rule, and only four are paid.
        let b = check(&caps, class, &[lecture(LecturerTitle::Associate, 6, 1, 3_000)]);
        assert_eq!(b.len(), 2, "{b:?}");
        assert!(b[0].rule.contains("每半天不超过4学时") && b[1].over_fen == 100_000, "{b:?}");
        // An eminent expert over two half days.
        assert!(check(&caps, class, &[lecture(LecturerTitle::Eminent, 8, 2, 12_000)]).is_empty());
    }

    #[test]
    fn amounts_are_yuan_with_at_most_two_decimals() {
        assert_eq!(parse_yuan("12,345.6"), Ok(1_234_560));
        assert_eq!(parse_yuan("１２０００元"), Ok(1_200_000));
        assert_eq!(parse_yuan("0.05"), Ok(5));
        for bad in ["", "-5", "1.234", "abc", "1e5", ".5", "100000001"] {
            assert!(parse_yuan(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_line_is_checked_whole() {
        let ok = LineFields {
            stage: "expense".into(),
            source: "党费".into(),
            kind: "lecture".into(),
            amount: "3000".into(),
            title: "正高".into(),
            hours: "3".into(),
            half_days: "1".into(),
            note: String::new(),
        };
        let d = check_line(&ok).expect("ok");
        assert_eq!((d.stage, d.line.source, d.line.amount_fen), (FundStage::Expense, FundSource::PartyDues, 300_000));
        assert_eq!(d.line.lecture.map(|l| (l.title, l.hours)), Some((LecturerTitle::Full, 3)));
        let e = check_line(&LineFields::default()).expect_err("empty");
        let fields: Vec<&str> = e.iter().map(|x| x.field).collect();
        assert_eq!(fields, ["stage", "source", "kind", "amount"]);
        let no_terms = LineFields { title: String::new(), hours: "0".into(), ..ok.clone() };
        let fields: Vec<&str> = check_line(&no_terms).expect_err("terms").iter().map(|x| x.field).collect();
        assert_eq!(fields, ["title", "hours"]);
        let stray = LineFields { kind: "comprehensive".into(), ..ok.clone() };
        assert_eq!(check_line(&stray).expect_err("stray")[0].field, "title");
        // A budgeted lecture fee may leave its terms for later.
        let planned = LineFields {
            stage: "budget".into(),
            title: String::new(),
            hours: String::new(),
            half_days: String::new(),
            ..ok
        };
        assert_eq!(check_line(&planned).expect("budget").line.lecture, None);
    }

    #[test]
    fn totals_by_source_and_money_as_yuan() {
        let lines = [comp(FundSource::Fiscal, 100), comp(FundSource::HigherLevel, 50), comp(FundSource::Fiscal, 1)];
        assert_eq!(by_source(&lines), [(FundSource::Fiscal, 10_100), (FundSource::HigherLevel, 5_000)]);
        assert_eq!((yuan(123_456), yuan(5), yuan(-250)), ("1234.56".into(), "0.05".into(), "-2.50".into()));
        let codes: Vec<&str> = FundSource::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, ["fiscal", "party_dues", "higher_level", "other"]);
    }
}
