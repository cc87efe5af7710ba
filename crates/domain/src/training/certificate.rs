//! Certificates (结业证书, 学时证明) and their verification codes.
//!
//! A code is 16 random characters (80 bits, Crockford's base-32 alphabet: no I, L, O or U)
//! and 2 check characters. The check is a weighted sum modulo the prime 1021, so any one
//! changed character and any two swapped neighbours are told apart from a code that was
//! never issued: "altered" versus "not found". Codes are printed in groups of four
//! (`K7QH-2M9D-XW4T-R8NB-5F`); input may carry dashes, spaces and lower case.

use serde::Serialize;

/// What a certificate proves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificateKind {
    /// 结业证书: one trainee completed one class.
    Completion,
    /// 学时证明: a person's credited training hours in a year.
    Hours,
}

impl CertificateKind {
    pub fn code(self) -> &'static str {
        match self {
            CertificateKind::Completion => "completion",
            CertificateKind::Hours => "hours",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            CertificateKind::Completion => "结业证书",
            CertificateKind::Hours => "学时证明",
        }
    }
    pub fn from_code(s: &str) -> Option<CertificateKind> {
        match s {
            "completion" => Some(CertificateKind::Completion),
            "hours" => Some(CertificateKind::Hours),
            _ => None,
        }
    }
}

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const BODY: usize = 16;
/// Length of a code without separators.
pub const CODE_LEN: usize = BODY + 2;

/// Why a typed or scanned code is not a code xuepei could have issued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("证书编号格式不正确：应为18位字母和数字（可含短横线），请核对后重新输入")]
    Malformed,
    #[error("证书编号校验不符：编号被改动或输入有误，此证书不能确认为真")]
    Altered,
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

fn check(body: &[u8]) -> [u8; 2] {
    let sum = body.iter().enumerate().map(|(i, &c)| value(c).unwrap_or(0) * (i as u32 + 1)).sum::<u32>() % 1021;
    [ALPHABET[(sum / 32) as usize], ALPHABET[(sum % 32) as usize]]
}

/// A new code from 10 random bytes (the caller draws them from the system's generator).
pub fn new_code(random: [u8; 10]) -> String {
    let mut bits: u128 = 0;
    for b in random {
        bits = (bits << 8) | u128::from(b);
    }
    let mut body = [0u8; BODY];
    for (i, slot) in body.iter_mut().enumerate() {
        *slot = ALPHABET[((bits >> (5 * (BODY - 1 - i))) & 31) as usize];
    }
    let mut code = String::with_capacity(CODE_LEN);
    code.extend(body.iter().map(|&b| b as char));
    code.extend(check(&body).iter().map(|&b| b as char));
    code
}

/// The canonical form of a typed code: separators dropped, upper case, and the letters
/// people confuse read as the digits they look like (O → 0, I and L → 1). What Chinese
/// input methods and copying bring along is forgiven: full-width letters, digits, dashes
/// and spaces, a "编号：" label before it, or the whole verification address.
pub fn parse_code(input: &str) -> Result<String, CodeError> {
    if input.len() > 256 {
        return Err(CodeError::Malformed);
    }
    // The part after the last slash (a pasted address) and after a label's colon.
    let input = input.rsplit('/').next().unwrap_or_default();
    let input = input.rsplit(['：', ':']).next().unwrap_or_default();
    let mut out = Vec::with_capacity(CODE_LEN);
    for c in input.trim().chars() {
        // Full-width ASCII (U+FF01–FF5E) as the ASCII it stands for.
        let c = match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            other => other,
        };
        match c.to_ascii_uppercase() {
            '-' | ' ' | '\u{3000}' | '\u{2010}'..='\u{2015}' | '\u{2212}' => {}
            'O' => out.push(b'0'),
            'I' | 'L' => out.push(b'1'),
            c if c.is_ascii() && value(c as u8).is_some() => out.push(c as u8),
            _ => return Err(CodeError::Malformed),
        }
    }
    if out.len() != CODE_LEN {
        return Err(CodeError::Malformed);
    }
    if check(&out[..BODY]) != [out[BODY], out[BODY + 1]] {
        return Err(CodeError::Altered);
    }
    Ok(String::from_utf8(out).unwrap_or_default())
}

/// A code as printed: groups of four.
pub fn display_code(code: &str) -> String {
    code.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
}

/// A name as verification shows it: the surname kept, the given name masked (张*, 张*明,
/// 欧**娜), so a scan confirms a certificate without publishing whom it names in full.
pub fn mask_name(name: &str) -> String {
    let chars: Vec<char> = name.trim().chars().collect();
    match chars.len() {
        0 => String::new(),
        1 => "*".to_owned(),
        2 => format!("{}*", chars[0]),
        n => format!("{}{}{}", chars[0], "*".repeat(n - 2), chars[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_code_parses_back_in_any_typed_form() {
        let code = new_code([7, 200, 13, 99, 1, 0, 255, 42, 17, 128]);
        assert_eq!(code.len(), CODE_LEN);
        assert_eq!(parse_code(&code), Ok(code.clone()));
        assert_eq!(parse_code(&display_code(&code)), Ok(code.clone()));
        assert_eq!(parse_code(&display_code(&code).to_lowercase()), Ok(code.clone()));
        assert_eq!(display_code(&code).len(), CODE_LEN + 4);
        // As Chinese input methods and copying bring it.
        let wide: String = display_code(&code)
            .chars()
            .map(|c| if c == '-' { '－' } else { char::from_u32(c as u32 + 0xfee0).unwrap_or(c) })
            .collect();
        assert_eq!(parse_code(&wide), Ok(code.clone()));
        assert_eq!(parse_code(&format!("编号：{}", display_code(&code).replace('-', "—"))), Ok(code.clone()));
        assert_eq!(parse_code(&format!("https://px.example.gov.cn/verify/{code}")), Ok(code.clone()));
        assert_eq!(
            parse_code(&format!("\u{3000}{}\u{3000}", display_code(&code).replace('-', "\u{3000}"))),
            Ok(code.clone())
        );
    }

    #[test]
    fn every_single_change_and_swap_is_caught() {
        let code = new_code([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        let bytes = code.as_bytes();
        for i in 0..CODE_LEN {
            for &a in ALPHABET {
                if a == bytes[i] {
                    continue;
                }
                let mut b = bytes.to_vec();
                b[i] = a;
                let s = String::from_utf8(b).expect("ascii");
                assert_eq!(parse_code(&s), Err(CodeError::Altered), "{s}");
            }
        }
        for i in 0..BODY - 1 {
            if bytes[i] == bytes[i + 1] {
                continue;
            }
            let mut b = bytes.to_vec();
            b.swap(i, i + 1);
            let s = String::from_utf8(b).expect("ascii");
            assert_eq!(parse_code(&s), Err(CodeError::Altered), "{s}");
        }
    }

    #[test]
    fn malformed_codes_are_told_apart() {
        for bad in ["", "ABC", "张三", "<script>", &"A".repeat(100), "0123456789ABCDEFGHU"] {
            assert_eq!(parse_code(bad), Err(CodeError::Malformed), "{bad}");
        }
    }

    #[test]
    fn names_are_masked_but_the_surname_kept() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("李小明"), "李*明");
        assert_eq!(mask_name("欧阳娜娜"), "欧**娜");
        assert_eq!(mask_name("王"), "*");
    }
}
