//! Time as users read it: instants are stored in UTC and shown in China's time
//! (Asia/Shanghai, UTC+8 all year — China keeps no daylight saving time).

use std::borrow::Borrow;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// China's offset from UTC.
const OFFSET: Duration = Duration::hours(8);

/// An instant as the wall-clock time in China.
pub fn local(t: impl Borrow<DateTime<Utc>>) -> NaiveDateTime {
    t.borrow().naive_utc() + OFFSET
}

/// `2026-11-30 20:15`.
pub fn minute(t: impl Borrow<DateTime<Utc>>) -> String {
    local(t).format("%Y-%m-%d %H:%M").to_string()
}

/// `2026-11-30 20:15:07`.
pub fn second(t: impl Borrow<DateTime<Utc>>) -> String {
    local(t).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// `20:15`.
pub fn clock(t: impl Borrow<DateTime<Utc>>) -> String {
    local(t).format("%H:%M").to_string()
}

/// Today's date in China.
/// A day as Chinese text reads it: 2026年3月9日.
pub fn chinese_day(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

pub fn today() -> NaiveDate {
    local(Utc::now()).date()
}

/// The instant a day in China begins (None for years that mean nothing here and would
/// overflow the arithmetic).
pub fn day_start(d: NaiveDate) -> Option<DateTime<Utc>> {
    if !(1900..=9999).contains(&chrono::Datelike::year(&d)) {
        return None;
    }
    Some(Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?) - OFFSET)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shanghai_is_eight_hours_ahead_across_midnight() {
        let t = Utc.with_ymd_and_hms(2026, 11, 30, 17, 5, 9).single().expect("valid");
        assert_eq!(second(t), "2026-12-01 01:05:09");
        assert_eq!(minute(t), "2026-12-01 01:05");
        assert_eq!(clock(t), "01:05");
        let d = NaiveDate::from_ymd_opt(2026, 12, 1).expect("valid");
        assert_eq!(day_start(d), Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).single());
        assert_eq!(day_start(NaiveDate::MIN), None);
    }
}
