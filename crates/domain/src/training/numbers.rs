//! Exact quantities of the training rules: credit hours, fractions and percentages.
//!
//! Rules compare these exactly ("exactly 1/7 is still allowed"), so none of them is a
//! float: hours are whole hundredths of an hour (0.25 h, 0.5 h and 0.1 h are all exact),
//! percentages are whole tenths of a percent, fractions are two integers. JSON carries
//! them as plain numbers (`1.5`, `15`) and fractions as text (`"1/7"`).

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Sub};

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::text::{compact, to_halfwidth};

/// Credit hours (学时) in hundredths of an hour.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Hours(i64);

/// The largest number of hours anything in the system may carry (a sanity bound, far above
/// any five-year requirement) so that sums of millions of records never overflow.
const MAX_HOURS: i64 = 1_000_000;

impl Hours {
    pub const ZERO: Hours = Hours(0);

    pub const fn from_hundredths(h: i64) -> Hours {
        Hours(h)
    }
    pub const fn whole(h: i64) -> Hours {
        Hours(h * 100)
    }
    pub const fn hundredths(self) -> i64 {
        self.0
    }
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// From a JSON or spreadsheet number; refuses more than two decimals.
    pub fn from_f64(x: f64) -> Result<Hours, String> {
        if !x.is_finite() || x.abs() > MAX_HOURS as f64 {
            return Err(format!("学时“{x}”超出合理范围，请填写0至{MAX_HOURS}之间的数"));
        }
        let scaled = x * 100.0;
        let r = scaled.round();
        // Binary floats cannot hold 0.1 exactly; anything within a millionth of a hundredth
        // is the decimal the user typed.
        if (scaled - r).abs() > 1e-6 {
            return Err(format!("学时“{x}”最多保留两位小数，如1.5或0.25"));
        }
        Ok(Hours(r as i64))
    }

    /// Parses "1.5", "２", "0.25学时", "3小时". Negative values are refused.
    pub fn parse(input: &str) -> Result<Hours, String> {
        let s = compact(&to_halfwidth(input));
        let s = s.trim_end_matches("学时").trim_end_matches("小时").trim_end_matches(['h', 'H']);
        if s.is_empty() {
            return Err("请填写学时，如1.5".to_owned());
        }
        if s.starts_with('-') {
            return Err(format!("学时“{}”不能为负数，请填写0或正数", input.trim()));
        }
        let bad = || format!("无法识别的学时“{}”，请填写数字，最多两位小数，如1.5", input.trim());
        let (int, frac) = s.split_once('.').unwrap_or((s, ""));
        if int.is_empty() && frac.is_empty()
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        let frac = frac.trim_end_matches('0');
        if frac.len() > 2 {
            return Err(format!("学时“{}”最多保留两位小数，如1.5或0.25", input.trim()));
        }
        let whole: i64 = if int.is_empty() { 0 } else { int.parse().map_err(|_| bad())? };
        if whole > MAX_HOURS {
            return Err(format!("学时“{}”超出合理范围，请填写0至{MAX_HOURS}之间的数", input.trim()));
        }
        let cents: i64 = format!("{frac:0<2}").parse().map_err(|_| bad())?;
        Ok(Hours(whole * 100 + cents))
    }

    /// For charts and display only; rules never compare floats.
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 100.0
    }
}

impl fmt::Display for Hours {
    /// "3", "1.5", "0.25", "-0.5".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        let (int, cents) = (a / 100, a % 100);
        match cents {
            0 => write!(f, "{sign}{int}"),
            c if c % 10 == 0 => write!(f, "{sign}{int}.{}", c / 10),
            c => write!(f, "{sign}{int}.{c:02}"),
        }
    }
}

impl Add for Hours {
    type Output = Hours;
    fn add(self, o: Hours) -> Hours {
        Hours(self.0.saturating_add(o.0))
    }
}
impl AddAssign for Hours {
    fn add_assign(&mut self, o: Hours) {
        *self = *self + o;
    }
}
impl Sub for Hours {
    type Output = Hours;
    fn sub(self, o: Hours) -> Hours {
        Hours(self.0.saturating_sub(o.0))
    }
}
impl Sum for Hours {
    fn sum<I: Iterator<Item = Hours>>(iter: I) -> Hours {
        iter.fold(Hours::ZERO, Add::add)
    }
}

impl Serialize for Hours {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 % 100 == 0 { s.serialize_i64(self.0 / 100) } else { s.serialize_f64(self.as_f64()) }
    }
}

impl<'de> Deserialize<'de> for Hours {
    /// Accepts a number or a string; a sign is kept so that validation can say what is wrong.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Hours;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("学时数，如1.5")
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Hours, E> {
                Hours::from_f64(x).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, x: i64) -> Result<Hours, E> {
                Hours::from_f64(x as f64).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, x: u64) -> Result<Hours, E> {
                Hours::from_f64(x as f64).map_err(E::custom)
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Hours, E> {
                match s.trim().strip_prefix('-') {
                    Some(rest) => Hours::parse(rest).map(|h| Hours(-h.0)),
                    None => Hours::parse(s),
                }
                .map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// An exact fraction `num/den` with `den > 0`, such as the leave limit 1/7.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fraction {
    num: u32,
    den: u32,
}

impl Fraction {
    pub const ONE: Fraction = Fraction { num: 1, den: 1 };

    /// Builds `num/den`; refuses a zero denominator and values above 1 (every fraction in
    /// the rules is a share of something).
    pub fn new(num: u32, den: u32) -> Result<Fraction, String> {
        if den == 0 {
            return Err("分数的分母不能为0，请写成如1/7".to_owned());
        }
        if num > den {
            return Err(format!("比例{num}/{den}大于1，请填写不超过1的比例，如1/7"));
        }
        Ok(Fraction { num, den })
    }
    pub const fn num(self) -> u32 {
        self.num
    }
    pub const fn den(self) -> u32 {
        self.den
    }

    /// Parses "1/7", "１／７", "0.5", "50%", "1".
    pub fn parse(input: &str) -> Result<Fraction, String> {
        let s = compact(&to_halfwidth(input));
        let bad = || format!("无法识别的比例“{}”，请写成如1/7、0.5或50%", input.trim());
        let digits = |t: &str| -> Result<u32, String> {
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            t.parse().map_err(|_| bad())
        };
        if let Some((n, d)) = s.split_once('/') {
            return Fraction::new(digits(n)?, digits(d)?);
        }
        let (body, den) = match s.strip_suffix('%') {
            Some(p) => (p, 100u32),
            None => (s.as_str(), 1u32),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if frac.len() > 4 {
            return Err(bad());
        }
        let scale = 10u32.pow(frac.len() as u32);
        let int = if int.is_empty() && !frac.is_empty() { 0 } else { digits(int)? };
        let frac = if frac.is_empty() { 0 } else { digits(frac)? };
        let num = int.checked_mul(scale).and_then(|v| v.checked_add(frac)).ok_or_else(bad)?;
        Fraction::new(num, den.checked_mul(scale).ok_or_else(bad)?)
    }

    /// `floor(n × self)`.
    pub fn floor_of(self, n: u64) -> u64 {
        n * u64::from(self.num) / u64::from(self.den)
    }

    /// Whether `part ≤ self × whole`, exactly.
    pub fn allows(self, part: i64, whole: i64) -> bool {
        i128::from(part) * i128::from(self.den) <= i128::from(whole) * i128::from(self.num)
    }
}

impl fmt::Display for Fraction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.num, self.den)
    }
}

impl Serialize for Fraction {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fraction {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Fraction;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("比例，如\"1/7\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Fraction, E> {
                Fraction::parse(s).map_err(E::custom)
            }
            fn visit_f64<E: de::Error>(self, x: f64) -> Result<Fraction, E> {
                Fraction::parse(&x.to_string()).map_err(E::custom)
            }
            fn visit_u64<E: de::Error>(self, x: u64) -> Result<Fraction, E> {
                Fraction::parse(&x.to_string()).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, x: i64) -> Result<Fraction, E> {
                Fraction::parse(&x.to_string()).map_err(E::custom)
            }
        }
        d.deserialize_any(V)
    }
}

/// A percentage in tenths of a percent: `Percent::tenths(155)` is 15.5 %.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(u32);

impl Percent {
    pub const fn tenths(t: u32) -> Percent {
        Percent(t)
    }
    pub const fn whole(p: u32) -> Percent {
        Percent(p * 10)
    }
    pub const fn as_tenths(self) -> u32 {
        self.0
    }

    /// From a JSON number such as 15 or 15.5; refuses negatives and more than one decimal.
    pub fn from_f64(x: f64) -> Result<Percent, String> {
        if !x.is_finite() || !(0.0..=1000.0).contains(&x) {
            return Err(format!("百分比“{x}”超出范围，请填写0至100之间的数"));
        }
        let scaled = x * 10.0;
        let r = scaled.round();
        if (scaled - r).abs() > 1e-6 {
            return Err(format!("百分比“{x}”最多保留一位小数，如15或15.5"));
        }
        Ok(Percent(r as u32))
    }
}

impl fmt::Display for Percent {
    /// "15%", "15.5%".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 % 10 {
            0 => write!(f, "{}%", self.0 / 10),
            d => write!(f, "{}.{d}%", self.0 / 10),
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0.is_multiple_of(10) { s.serialize_u32(self.0 / 10) } else { s.serialize_f64(f64::from(self.0) / 10.0) }
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let x = f64::deserialize(d)?;
        Percent::from_f64(x).map_err(de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde::de::IntoDeserializer;
    use serde::de::value::Error as DeError;

    fn de_hours_f64(x: f64) -> Result<Hours, DeError> {
        Hours::deserialize(x.into_deserializer())
    }

    #[test]
    fn hours_parse_and_display() {
        assert_eq!(Hours::parse("1.5"), Ok(Hours::from_hundredths(150)));
        assert_eq!(Hours::parse("０.２５学时"), Ok(Hours::from_hundredths(25)));
        assert_eq!(Hours::parse("3小时"), Ok(Hours::whole(3)));
        assert_eq!(Hours::parse(".5"), Ok(Hours::from_hundredths(50)));
        assert_eq!(Hours::parse("2.50"), Ok(Hours::from_hundredths(250)));
        assert!(Hours::parse("1.333").unwrap_err().contains("两位小数"));
        assert!(Hours::parse("-1").unwrap_err().contains("负数"));
        assert!(Hours::parse("abc").is_err());
        assert!(Hours::parse(".").is_err());
        assert!(Hours::parse("").is_err());
        assert_eq!(Hours::from_hundredths(150).to_string(), "1.5");
        assert_eq!(Hours::from_hundredths(25).to_string(), "0.25");
        assert_eq!(Hours::whole(3).to_string(), "3");
        assert_eq!(Hours::from_hundredths(-50).to_string(), "-0.5");
    }

    #[test]
    fn hours_from_json_numbers_are_exact_decimals() {
        assert_eq!(de_hours_f64(0.1), Ok(Hours::from_hundredths(10)));
        assert_eq!(de_hours_f64(-0.5), Ok(Hours::from_hundredths(-50)));
        assert!(de_hours_f64(0.125).is_err());
        assert!(de_hours_f64(f64::NAN).is_err());
        assert_eq!(
            Hours::deserialize("2.25".into_deserializer()) as Result<_, DeError>,
            Ok(Hours::from_hundredths(225))
        );
    }

    #[test]
    fn fractions_parse_in_every_spelling() {
        assert_eq!(Fraction::parse("1/7"), Fraction::new(1, 7));
        assert_eq!(Fraction::parse("１／７"), Fraction::new(1, 7));
        assert_eq!(Fraction::parse("0.5"), Fraction::new(5, 10));
        assert_eq!(Fraction::parse("50%"), Fraction::new(50, 100));
        assert_eq!(Fraction::parse("1"), Ok(Fraction::ONE));
        assert!(Fraction::parse("1/0").unwrap_err().contains("分母"));
        assert!(Fraction::parse("8/7").unwrap_err().contains("大于1"));
        assert!(Fraction::parse("a/7").is_err());
        assert_eq!(Fraction::new(1, 7).map(|f| f.to_string()), Ok("1/7".to_owned()));
        let de: Result<Fraction, DeError> = Fraction::deserialize("1/7".into_deserializer());
        assert_eq!(de.ok(), Fraction::new(1, 7).ok());
    }

    #[test]
    fn fraction_comparison_is_exact_at_the_boundary() {
        let f = Fraction::new(1, 7).expect("valid");
        assert!(f.allows(100, 700));
        assert!(!f.allows(101, 700));
        assert_eq!(f.floor_of(20), 2);
    }

    #[test]
    fn percent_display_and_bounds() {
        assert_eq!(Percent::whole(15).to_string(), "15%");
        assert_eq!(Percent::tenths(155).to_string(), "15.5%");
        assert_eq!(Percent::from_f64(15.5), Ok(Percent::tenths(155)));
        assert!(Percent::from_f64(-1.0).is_err());
        assert!(Percent::from_f64(15.55).is_err());
    }

    proptest! {
        #[test]
        fn hours_display_parses_back(h in 0i64..10_000_000) {
            let hours = Hours::from_hundredths(h);
            prop_assert_eq!(Hours::parse(&hours.to_string()), Ok(hours));
            prop_assert_eq!(Hours::from_f64(hours.as_f64()), Ok(hours));
        }

        #[test]
        fn fraction_display_parses_back(den in 1u32..1000, num in 0u32..1000) {
            let num = num % (den + 1);
            let f = Fraction::new(num, den).expect("num ≤ den");
            prop_assert_eq!(Fraction::parse(&f.to_string()), Ok(f));
        }
    }
}
