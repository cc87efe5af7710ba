//! Calendar dates as people type them into rosters.
//!
//! Accepted: `2015-03-03`, `2015.3.3`, `2015/3/3`, `2015年3月3日`, `20150303`, year and
//! month only (`1985.07`, `1985年7月`, `198507`), a date followed by a time, and Excel
//! serial numbers (days since 1899-12-30, the 1900 date system).

use chrono::{Datelike, Days, NaiveDate};

use crate::text::{compact, to_halfwidth};

/// How much of a date was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    Day,
    /// Only year and month: stored as the first of the month.
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlexDate {
    pub date: NaiveDate,
    pub precision: Precision,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("无法识别的日期“{0}”，请写成2015-03-03或2015年3月3日")]
    Format(String),
    #[error("日期“{0}”不存在")]
    NotExist(String),
    #[error("日期“{0}”超出合理范围（1900年至2100年）")]
    Range(String),
}

/// Parses a date cell. An empty cell is the caller's concern.
pub fn parse(input: &str) -> Result<FlexDate, DateError> {
    let fmt_err = || DateError::Format(input.trim().to_owned());
    // A time after the date ("2015-03-03 08:00:00", "2015-03-03T08:00") is ignored.
    let half = to_halfwidth(input.trim());
    let head = match half.find(':') {
        Some(colon) => match half[..colon].rfind(|c: char| c.is_whitespace() || c == 'T') {
            Some(i) => &half[..i],
            None => return Err(fmt_err()),
        },
        None => half.as_str(),
    };
    let s = compact(head);
    let date_part = s.as_str();
    let date_part = date_part.trim_end_matches(['日', '号']);

    let groups: Vec<&str> = date_part.split(['-', '/', '.', '年', '月', '_']).collect();
    if groups.iter().any(|g| !g.bytes().all(|b| b.is_ascii_digit())) {
        return Err(fmt_err());
    }
    let groups: Vec<&str> = if date_part.ends_with('月') { groups[..groups.len() - 1].to_vec() } else { groups };
    if groups.iter().any(|g| g.is_empty()) {
        return Err(fmt_err());
    }
    match groups.as_slice() {
        [one] => match one.len() {
            8 => ymd(&one[..4], &one[4..6], &one[6..8], input),
            6 => ym(&one[..4], &one[4..6], input),
            1..=5 => serial(one.parse().map_err(|_| fmt_err())?, input),
            _ => Err(fmt_err()),
        },
        [y, m] if y.len() == 4 && (1..=2).contains(&m.len()) => ym(y, m, input),
        // "31229.5" is a serial with a time fraction.
        [n, _frac] if (1..=5).contains(&n.len()) && date_part.contains('.') => {
            serial(n.parse().map_err(|_| fmt_err())?, input)
        }
        [y, m, d] if y.len() == 4 && (1..=2).contains(&m.len()) && (1..=2).contains(&d.len()) => ymd(y, m, d, input),
        _ => Err(fmt_err()),
    }
}

fn ymd(y: &str, m: &str, d: &str, input: &str) -> Result<FlexDate, DateError> {
    let (y, m, d): (i32, u32, u32) = (num(y, input)?, num(m, input)?, num(d, input)?);
    check_year(y, input)?;
    let date = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| DateError::NotExist(format!("{y}年{m}月{d}日")))?;
    Ok(FlexDate { date, precision: Precision::Day })
}

fn ym(y: &str, m: &str, input: &str) -> Result<FlexDate, DateError> {
    let (y, m): (i32, u32) = (num(y, input)?, num(m, input)?);
    check_year(y, input)?;
    let date = NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(|| DateError::NotExist(format!("{y}年{m}月")))?;
    Ok(FlexDate { date, precision: Precision::Month })
}

fn num<T: std::str::FromStr>(s: &str, input: &str) -> Result<T, DateError> {
    s.parse().map_err(|_| DateError::Format(input.trim().to_owned()))
}

fn check_year(y: i32, input: &str) -> Result<(), DateError> {
    if (1900..=2100).contains(&y) { Ok(()) } else { Err(DateError::Range(input.trim().to_owned())) }
}

fn serial(n: u32, input: &str) -> Result<FlexDate, DateError> {
    let date = from_excel_serial(f64::from(n)).ok_or_else(|| DateError::Range(input.trim().to_owned()))?;
    check_year(date.year(), input)?;
    Ok(FlexDate { date, precision: Precision::Day })
}

/// Converts an Excel serial day number (1900 date system, with Excel's phantom
/// 1900-02-29 at serial 60) to a date.
pub fn from_excel_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as u64;
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    // Serials before the phantom day count from one day later.
    let days = if days < 61 { days + 1 } else { days };
    base.checked_add_days(Days::new(days))
}

/// The years a training date may fall in: a typing slip (0015, 20155) is refused rather
/// than stored, and a credit record never lands in year 0.
pub const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1990..=2100;

/// Why a date of a training record is refused, if it is.
pub fn implausible(d: NaiveDate, label: &str) -> Option<String> {
    (!PLAUSIBLE_YEARS.contains(&d.year())).then(|| {
        format!("{label}{d}超出合理范围（{}年至{}年），请核对", PLAUSIBLE_YEARS.start(), PLAUSIBLE_YEARS.end())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).expect("valid")
    }

    #[test]
    fn day_formats() {
        for s in [
            "2015-03-03",
            "2015.3.3",
            "2015/3/3",
            "2015年3月3日",
            "20150303",
            "２０１５－０３－０３",
            "2015-03-03 08:30:00",
            "2015-03-03T08:30",
            "2015年3月3号",
        ] {
            assert_eq!(parse(s), Ok(FlexDate { date: d(2015, 3, 3), precision: Precision::Day }), "{s}");
        }
    }

    #[test]
    fn month_formats() {
        for s in ["1985.07", "1985年7月", "1985-7", "198507", "1985/07"] {
            assert_eq!(parse(s), Ok(FlexDate { date: d(1985, 7, 1), precision: Precision::Month }), "{s}");
        }
    }

    #[test]
    fn excel_serials() {
        assert_eq!(parse("42066").map(|f| f.date), Ok(d(2015, 3, 3)));
        assert_eq!(parse("42066.5").map(|f| f.date), Ok(d(2015, 3, 3)));
        assert_eq!(from_excel_serial(1.0), Some(d(1900, 1, 1)));
        assert_eq!(from_excel_serial(59.0), Some(d(1900, 2, 28)));
        assert_eq!(from_excel_serial(61.0), Some(d(1900, 3, 1)));
    }

    #[test]
    fn impossible_and_unreadable_dates() {
        assert_eq!(parse("2015-02-30"), Err(DateError::NotExist("2015年2月30日".into())));
        assert_eq!(parse("1985.13"), Err(DateError::NotExist("1985年13月".into())));
        assert!(matches!(parse("明年"), Err(DateError::Format(_))));
        assert!(matches!(parse("15-3-3"), Err(DateError::Format(_))));
        assert!(matches!(parse("1850-01-01"), Err(DateError::Range(_))));
        assert!(matches!(parse("2015--03"), Err(DateError::Format(_))));
    }
}
