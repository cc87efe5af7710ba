//! Check-in to a session (签到): rotating codes, the check-in window and the automatic marks.
//!
//! **Codes.** Each session keeps a random secret. Time is cut into steps of
//! [`STEP_SECS`] seconds; the code of a step is HMAC-SHA256 over the step number keyed by
//! the secret, so nobody without the secret can compute the next one. Two codes are made
//! from each step: a long one carried by the QR code's link (12 hexadecimal characters) and
//! a six-digit short code for those who type it. The current and the previous step are
//! accepted (a code scanned just before it rotated still works); an older one of the last
//! [`EXPIRED_STEPS`] steps is "expired" (a photo sent home later is refused with that
//! reason); anything else is unknown.
//!
//! **Window.** A session opens for check-in `before` minutes ahead of its start and closes
//! `after` minutes after it (30 and 30 by default, per class). A check-in by the start is
//! present, after it late. After the session ends a trainee without a mark is absent, or on
//! leave when a leave request covers the session.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use sha2::{Digest, Sha256};

use super::kinds::{AttendanceMark, SessionSlot};
use crate::time;

/// Seconds a code lasts.
pub const STEP_SECS: i64 = 30;
/// Steps back within which an old code is reported as expired rather than unknown.
pub const EXPIRED_STEPS: i64 = 240;
/// Default minutes before the start and after it during which check-in is open.
pub const DEFAULT_BEFORE_MIN: i32 = 30;
pub const DEFAULT_AFTER_MIN: i32 = 30;

/// HMAC-SHA256 (RFC 2104).
fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    const BLOCK: usize = 64;
    let mut k = [0u8; BLOCK];
    if key.len() > BLOCK {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha256::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(msg);
    let mut outer = Sha256::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The step an instant falls in.
pub fn step_of(t: DateTime<Utc>) -> i64 {
    t.timestamp().div_euclid(STEP_SECS)
}

/// Seconds until the code of `t` rotates.
pub fn seconds_left(t: DateTime<Utc>) -> i64 {
    STEP_SECS - t.timestamp().rem_euclid(STEP_SECS)
}

fn mac(secret: &str, purpose: &str, step: i64) -> [u8; 32] {
    hmac_sha256(secret.as_bytes(), format!("{purpose}:{step}").as_bytes())
}

/// The code the QR link carries for a step: 12 lowercase hexadecimal characters.
pub fn link_code(secret: &str, step: i64) -> String {
    mac(secret, "qr", step)[..6].iter().map(|b| format!("{b:02x}")).collect()
}

/// The six-digit code to type for a step (dynamic truncation as in RFC 4226).
pub fn short_code(secret: &str, step: i64) -> String {
    let h = mac(secret, "short", step);
    let o = usize::from(h[31] & 0x0f);
    let n = u32::from_be_bytes([h[o] & 0x7f, h[o + 1], h[o + 2], h[o + 3]]) % 1_000_000;
    format!("{n:06}")
}

/// What a presented code is worth at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// The current or the previous step's code.
    Valid,
    /// A code of an older step (within [`EXPIRED_STEPS`]).
    Expired,
    Unknown,
}

/// Normalises a typed code: full-width digits, spaces and case do not matter.
pub fn normalize_code(input: &str) -> String {
    crate::text::to_halfwidth(input).chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect()
}

/// Checks a link code or a short code against the session's secret at `now`.
pub fn check_code(secret: &str, code: &str, now: DateTime<Utc>) -> CodeCheck {
    let code = normalize_code(code);
    if code.is_empty() || code.len() > 32 {
        return CodeCheck::Unknown;
    }
    let matches = |step: i64| link_code(secret, step) == code || short_code(secret, step) == code;
    let step = step_of(now);
    if matches(step) || matches(step - 1) {
        return CodeCheck::Valid;
    }
    if (2..=EXPIRED_STEPS).any(|back| matches(step - back)) {
        return CodeCheck::Expired;
    }
    CodeCheck::Unknown
}

/// Default start and end of a slot, in minutes after midnight China time.
pub fn slot_minutes(slot: SessionSlot) -> (i32, i32) {
    match slot {
        SessionSlot::Am => (8 * 60 + 30, 11 * 60 + 30),
        SessionSlot::Pm => (14 * 60 + 30, 17 * 60 + 30),
        SessionSlot::Evening => (19 * 60 + 30, 21 * 60 + 30),
    }
}

/// When a session runs and when check-in is open, as instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub opens: DateTime<Utc>,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub closes: DateTime<Utc>,
}

impl Window {
    /// The window of a session on `date` in `slot`, with its own times when set
    /// (minutes after midnight, China time) and the class's minutes before and after.
    pub fn of(
        date: NaiveDate,
        slot: SessionSlot,
        starts_min: Option<i32>,
        ends_min: Option<i32>,
        before_min: i32,
        after_min: i32,
    ) -> Option<Window> {
        let (ds, de) = slot_minutes(slot);
        let (s, e) = (starts_min.unwrap_or(ds), ends_min.unwrap_or(de));
        let day = time::day_start(date)?;
        let starts = day + Duration::minutes(i64::from(s));
        let ends = day + Duration::minutes(i64::from(e.max(s)));
        Some(Window {
            opens: starts - Duration::minutes(i64::from(before_min.max(0))),
            starts,
            ends,
            closes: starts + Duration::minutes(i64::from(after_min.max(0))),
        })
    }

    /// "08:00 至 09:00" in China time.
    pub fn label(&self) -> String {
        format!("{} 至 {}", time::clock(self.opens), time::clock(self.closes))
    }

    /// Whether the session is over (automatic marks apply).
    pub fn ended(&self, now: DateTime<Utc>) -> bool {
        now >= self.ends
    }

    /// The mark of a check-in at `at`, or why it is refused.
    pub fn assess(&self, at: DateTime<Utc>) -> Result<AttendanceMark, String> {
        if at < self.opens {
            return Err(format!(
                "签到尚未开始：本次课程签到时间为{} {}，请届时再签到",
                time::local(self.opens).format("%Y-%m-%d"),
                self.label()
            ));
        }
        if at > self.closes {
            return Err(format!(
                "签到已结束：本次课程签到时间为{} {}，如确已到课请联系班主任补登",
                time::local(self.opens).format("%Y-%m-%d"),
                self.label()
            ));
        }
        Ok(if at <= self.starts { AttendanceMark::Present } else { AttendanceMark::Late })
    }
}

/// The mark given automatically to a trainee without one once the session has ended.
pub fn automatic_mark(covered_by_leave: bool) -> AttendanceMark {
    if covered_by_leave { AttendanceMark::Leave } else { AttendanceMark::Absent }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn hmac_matches_rfc_4231_case_2() {
        let mac = hmac_sha256(b"Jefe", b"what do ya want for nothing?");
        let hex: String = mac.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(hex, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    }

    #[test]
    fn codes_rotate_and_the_previous_step_is_still_accepted() {
        let t = Utc.with_ymd_and_hms(2026, 3, 2, 0, 10, 5).single().expect("valid");
        let s = step_of(t);
        let secret = "s3cret";
        assert_eq!(short_code(secret, s).len(), 6);
        assert!(short_code(secret, s).bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(link_code(secret, s).len(), 12);
        assert_ne!(link_code(secret, s), link_code(secret, s + 1));
        assert_ne!(link_code(secret, s), link_code("other", s));
        assert_eq!(check_code(secret, &link_code(secret, s), t), CodeCheck::Valid);
        assert_eq!(check_code(secret, &short_code(secret, s - 1), t), CodeCheck::Valid);
        assert_eq!(check_code(secret, &link_code(secret, s - 2), t), CodeCheck::Expired);
        assert_eq!(check_code(secret, &link_code(secret, s - 100), t), CodeCheck::Expired);
        assert_eq!(check_code(secret, &link_code(secret, s + 1), t), CodeCheck::Unknown);
        assert_eq!(check_code(secret, "zzzz", t), CodeCheck::Unknown);
        assert_eq!(check_code(secret, "", t), CodeCheck::Unknown);
        assert_eq!(check_code("other", &link_code(secret, s), t), CodeCheck::Unknown);
        let typed: String =
            short_code(secret, s).chars().map(|c| char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)).collect();
        assert_eq!(check_code(secret, &format!(" {typed} "), t), CodeCheck::Valid);
        assert!((1..=STEP_SECS).contains(&seconds_left(t)));
    }

    #[test]
    fn window_defaults_to_half_an_hour_each_side_of_the_start() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).expect("valid");
        let w = Window::of(d, SessionSlot::Am, None, None, 30, 30).expect("window");
        // 08:30 China time is 00:30 UTC.
        let at = |h, m, s| Utc.with_ymd_and_hms(2026, 3, 2, h, m, s).single().expect("valid");
        assert_eq!(w.starts, at(0, 30, 0));
        assert!(w.assess(at(23, 59, 59) - Duration::days(1)).unwrap_err().contains("尚未开始"));
        assert_eq!(w.assess(at(0, 0, 0)), Ok(AttendanceMark::Present));
        assert_eq!(w.assess(at(0, 30, 0)), Ok(AttendanceMark::Present));
        assert_eq!(w.assess(at(0, 30, 1)), Ok(AttendanceMark::Late));
        assert_eq!(w.assess(at(1, 0, 0)), Ok(AttendanceMark::Late));
        let late = w.assess(at(1, 0, 1)).unwrap_err();
        assert!(late.contains("签到已结束") && late.contains("08:00 至 09:00"), "{late}");
        assert!(!w.ended(at(3, 29, 59)));
        assert!(w.ended(at(3, 30, 0)));
        let own = Window::of(d, SessionSlot::Pm, Some(15 * 60), Some(16 * 60), 10, 5).expect("window");
        assert_eq!(own.label(), "14:50 至 15:05");
        assert_eq!(automatic_mark(true), AttendanceMark::Leave);
        assert_eq!(automatic_mark(false), AttendanceMark::Absent);
    }
}
