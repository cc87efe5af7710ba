//! Resident identity card numbers (公民身份号码, GB 11643-1999).
//!
//! An 18-character number is 6 digits of region, 8 of birth date, 3 of sequence (odd for
//! men, even for women) and a check character computed by ISO 7064 MOD 11-2. Old 15-digit
//! numbers (two-digit year, no check character) are converted to 18 when their date is
//! valid, and refused with the reason otherwise.

use chrono::{Datelike, NaiveDate};

use crate::people::Gender;
use crate::text::compact;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [u8; 11] = *b"10X98765432";
/// Province-level region codes in use (first two digits).
const PROVINCES: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44",
    "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
];

/// Why an identity number was refused. `Display` is the Chinese message shown to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdNumberError {
    #[error("不能为空")]
    Empty,
    #[error("应为18位（或15位旧号码），实际为{0}位")]
    Length(usize),
    #[error("只能包含数字，最后一位可以是X")]
    Characters,
    #[error("前两位“{0}”不是有效的省级行政区划代码")]
    Region(String),
    #[error("出生日期“{0}”不存在")]
    BirthDate(String),
    #[error("出生日期“{0}”晚于今天")]
    FutureBirthDate(String),
    #[error("出生日期“{0}”早于1900年")]
    AncientBirthDate(String),
    #[error("校验位不正确（按前17位计算应为{expected}），请核对号码")]
    CheckDigit { expected: char },
    #[error("15位旧号码中的出生日期“{0}”不存在，无法转换为18位，请提供18位号码")]
    OldNumberDate(String),
}

/// A valid, normalised 18-character identity number and what it encodes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdNumber {
    pub number: String,
    pub birth_date: NaiveDate,
    pub gender: Gender,
    /// The input was a 15-digit number converted to 18.
    pub converted: bool,
}

/// Computes the check character for the first 17 digits.
pub fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    char::from(CHECK_CHARS[(sum % 11) as usize])
}

/// Parses and validates a number as typed: full-width digits, spaces and a lower-case `x`
/// are accepted; `today` bounds the birth date.
pub fn parse(input: &str, today: NaiveDate) -> Result<IdNumber, IdNumberError> {
    let mut s = compact(input).to_ascii_uppercase();
    if s.is_empty() {
        return Err(IdNumberError::Empty);
    }
    let mut converted = false;
    match s.len() {
        18 => {}
        15 => {
            if !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(IdNumberError::Characters);
            }
            let date = format!("19{}", &s[6..12]);
            if parse_yyyymmdd(&date).is_none() {
                return Err(IdNumberError::OldNumberDate(show_date(&date)));
            }
            let first17 = format!("{}19{}", &s[..6], &s[6..]);
            s = format!("{first17}{}", check_char(first17.as_bytes()));
            converted = true;
        }
        n => {
            return Err(if s.chars().count() != n { IdNumberError::Characters } else { IdNumberError::Length(n) });
        }
    }
    let bytes = s.as_bytes();
    if !bytes[..17].iter().all(u8::is_ascii_digit) || !(bytes[17].is_ascii_digit() || bytes[17] == b'X') {
        return Err(IdNumberError::Characters);
    }
    if !PROVINCES.contains(&&s[..2]) {
        return Err(IdNumberError::Region(s[..2].to_owned()));
    }
    let birth = parse_yyyymmdd(&s[6..14]).ok_or_else(|| IdNumberError::BirthDate(show_date(&s[6..14])))?;
    if birth > today {
        return Err(IdNumberError::FutureBirthDate(show_date(&s[6..14])));
    }
    if birth.year() < 1900 {
        return Err(IdNumberError::AncientBirthDate(show_date(&s[6..14])));
    }
    let expected = check_char(&bytes[..17]);
    if char::from(bytes[17]) != expected {
        return Err(IdNumberError::CheckDigit { expected });
    }
    let gender = if (bytes[16] - b'0') % 2 == 1 { Gender::Male } else { Gender::Female };
    Ok(IdNumber { number: s, birth_date: birth, gender, converted })
}

fn parse_yyyymmdd(s: &str) -> Option<NaiveDate> {
    let y = s.get(..4)?.parse().ok()?;
    let m = s.get(4..6)?.parse().ok()?;
    let d = s.get(6..8)?.parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
}

fn show_date(s: &str) -> String {
    format!("{}年{}月{}日", &s[..4], &s[4..6], &s[6..8])
}

/// Masks a number for display: the first 3 and last 4 characters stay visible.
pub fn mask(number: &str) -> String {
    let chars: Vec<char> = number.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let mut out: String = chars[..3].iter().collect();
    out.push_str(&"*".repeat(chars.len() - 7));
    out.extend(&chars[chars.len() - 4..]);
    out
}

/// Packs a valid 18-character number into a `u64` (check character X as 10), for compact
/// duplicate detection over millions of rows.
pub fn pack(number: &str) -> Option<u64> {
    let b = number.as_bytes();
    if b.len() != 18 {
        return None;
    }
    let mut v: u64 = 0;
    for d in &b[..17] {
        v = v * 10 + u64::from(d.checked_sub(b'0')?);
    }
    let last = if b[17] == b'X' { 10 } else { u64::from(b[17].checked_sub(b'0')?) };
    Some(v * 11 + last)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
    }

    #[test]
    fn accepts_valid_number_and_reads_birth_and_gender() {
        // 11010519491231002X is the standard's own example (female, 1949-12-31).
        let id = parse("11010519491231002X", today()).expect("valid");
        assert_eq!(id.birth_date, NaiveDate::from_ymd_opt(1949, 12, 31).expect("date"));
        assert_eq!(id.gender, Gender::Female);
        assert!(!id.converted);
    }

    #[test]
    fn lower_case_x_and_full_width_digits_are_normalised() {
        assert_eq!(parse("11010519491231002x", today()).expect("valid").number, "11010519491231002X");
        assert_eq!(
            parse("１１０１０５ １９４９１２３１ ００２Ｘ", today()).expect("valid").number,
            "11010519491231002X"
        );
    }

    #[test]
    fn wrong_check_digit_names_the_expected_one() {
        let err = parse("110105194912310021", today()).unwrap_err();
        assert_eq!(err, IdNumberError::CheckDigit { expected: 'X' });
        assert!(err.to_string().contains("应为X"));
    }

    #[test]
    fn impossible_birth_date_is_refused() {
        let mut first17 = b"43060219850230123".to_vec();
        let c = check_char(&first17) as u8;
        first17.push(c);
        let s = String::from_utf8(first17).expect("ascii");
        assert_eq!(parse(&s, today()).unwrap_err(), IdNumberError::BirthDate("1985年02月30日".into()));
    }

    #[test]
    fn fifteen_digit_numbers_are_converted_or_refused() {
        let id = parse("430602850703123", today()).expect("convertible");
        assert!(id.converted);
        assert_eq!(&id.number[..17], "43060219850703123");
        assert_eq!(id.number.len(), 18);
        assert_eq!(id.gender, Gender::Male);
        assert!(matches!(parse("430602851303123", today()), Err(IdNumberError::OldNumberDate(_))));
    }

    #[test]
    fn length_characters_region_and_future_dates() {
        assert_eq!(parse("", today()), Err(IdNumberError::Empty));
        assert_eq!(parse("1234", today()), Err(IdNumberError::Length(4)));
        assert_eq!(parse("43060219850703123A", today()), Err(IdNumberError::Characters));
        let mut b = b"99060219850703123".to_vec();
        b.push(check_char(&b) as u8);
        assert!(matches!(parse(std::str::from_utf8(&b).unwrap_or_default(), today()), Err(IdNumberError::Region(_))));
        let mut f = b"43060220990101123".to_vec();
        f.push(check_char(&f) as u8);
        assert!(matches!(
            parse(std::str::from_utf8(&f).unwrap_or_default(), today()),
            Err(IdNumberError::FutureBirthDate(_))
        ));
    }

    #[test]
    fn mask_keeps_first_three_and_last_four() {
        assert_eq!(mask("11010519491231002X"), "110***********002X");
    }

    proptest! {
        #[test]
        fn any_17_digits_with_computed_check_round_trip(
            region in prop::sample::select(PROVINCES.to_vec()),
            rest in "[0-9]{4}",
            day in 0u32..20_000,
            seq in 0u32..1000,
        ) {
            let birth = NaiveDate::from_ymd_opt(1950, 1, 1).unwrap_or_default() + chrono::Days::new(u64::from(day));
            let first17 = format!("{region}{rest}{}{seq:03}", birth.format("%Y%m%d"));
            let number = format!("{first17}{}", check_char(first17.as_bytes()));
            let id = parse(&number, today()).expect("valid by construction");
            prop_assert_eq!(id.birth_date, birth);
            prop_assert_eq!(id.gender == Gender::Male, seq % 2 == 1);
            // Changing any one of the first 17 digits must break the check.
            let mut bad = number.clone().into_bytes();
            bad[10] = if bad[10] == b'9' { b'0' } else { bad[10] + 1 };
            let bad = String::from_utf8(bad).unwrap_or_default();
            prop_assert!(parse(&bad, today()).is_err());
            prop_assert_eq!(pack(&number).map(|v| v % 11 == 10), Some(number.ends_with('X')));
        }
    }
}
