//! Telephone numbers: mainland mobile numbers and landlines with an area code.
//!
//! Stored as digits only (spaces, hyphens and brackets removed, a leading +86 dropped).

use crate::text::compact;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    #[error("只能包含数字、空格、短横线和括号")]
    Characters,
    #[error("手机号应为以1开头的11位数字，固定电话应带区号（如0730-8889364）")]
    Shape,
}

/// Normalises and validates a phone number; returns its digits.
pub fn normalize(input: &str) -> Result<String, PhoneError> {
    let s = compact(input);
    let mut digits = String::with_capacity(s.len());
    for (i, c) in s.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '-' | '(' | ')' | '—' | '（' | '）' => {}
            '+' if i == 0 => {}
            _ => return Err(PhoneError::Characters),
        }
    }
    let digits = match digits.strip_prefix("0086").or_else(|| digits.strip_prefix("86")) {
        Some(rest) if rest.len() == 11 && rest.starts_with('1') => rest.to_owned(),
        _ => digits,
    };
    if is_mobile(&digits) || is_landline(&digits) { Ok(digits) } else { Err(PhoneError::Shape) }
}

fn is_mobile(d: &str) -> bool {
    d.len() == 11 && d.starts_with('1') && matches!(d.as_bytes()[1], b'3'..=b'9')
}

/// Area codes are 010 and 02X (three digits, eight-digit local numbers) or four digits
/// (seven- or eight-digit local numbers); local numbers never start with 0 or 1.
fn is_landline(d: &str) -> bool {
    if !d.starts_with('0') {
        return false;
    }
    let area_len = if d.starts_with("010") || d.starts_with("02") { 3 } else { 4 };
    let local = &d[area_len.min(d.len())..];
    let local_ok = matches!(local.len(), 7 | 8) && !local.starts_with('0') && !local.starts_with('1');
    local_ok && (area_len == 4 || local.len() == 8) && d.as_bytes().get(1) != Some(&b'0')
}

/// Shows a landline as area-code-hyphen-number; mobiles unchanged.
pub fn display(digits: &str) -> String {
    if !digits.starts_with('0') || digits.len() < 10 {
        return digits.to_owned();
    }
    let area_len = if digits.starts_with("010") || digits.starts_with("02") { 3 } else { 4 };
    format!("{}-{}", &digits[..area_len], &digits[area_len..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles() {
        assert_eq!(normalize("138 0730 1234").as_deref(), Ok("13807301234"));
        assert_eq!(normalize("+86 138-0730-1234").as_deref(), Ok("13807301234"));
        assert_eq!(normalize("１３８０７３０１２３４").as_deref(), Ok("13807301234"));
        assert_eq!(normalize("12807301234"), Err(PhoneError::Shape));
        assert_eq!(normalize("1380730123"), Err(PhoneError::Shape));
    }

    #[test]
    fn landlines() {
        assert_eq!(normalize("0730-8889364").as_deref(), Ok("07308889364"));
        assert_eq!(normalize("(010)12345678"), Err(PhoneError::Shape));
        assert_eq!(normalize("010-62345678").as_deref(), Ok("01062345678"));
        assert_eq!(normalize("0730—8889364").as_deref(), Ok("07308889364"));
        assert_eq!(normalize("8889364"), Err(PhoneError::Shape));
        assert_eq!(normalize("021-8889364"), Err(PhoneError::Shape));
        assert_eq!(display("07308889364"), "0730-8889364");
        assert_eq!(display("01062345678"), "010-62345678");
    }

    #[test]
    fn letters_are_refused() {
        assert_eq!(normalize("0730-888936a"), Err(PhoneError::Characters));
        assert_eq!(normalize("0730-8889364转12"), Err(PhoneError::Characters));
    }
}
