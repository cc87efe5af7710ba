//! Person names as rosters write them.
//!
//! Rosters pad two-character names to the width of three ("张  三"); those spaces are
//! dropped. Names of some ethnic groups join parts with a middle dot, written in many
//! look-alike characters; they are unified to U+00B7.

use crate::text::{is_cjk, to_halfwidth};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("不能为空")]
    Empty,
    #[error("至少应有2个字")]
    TooShort,
    #[error("不能超过{0}个字")]
    TooLong(usize),
    #[error("含有不能出现在姓名中的字符“{0}”")]
    Character(char),
}

pub const MAX_NAME_CHARS: usize = 40;

/// Normalises a person's name and checks that it looks like one.
pub fn normalize_person_name(input: &str) -> Result<String, NameError> {
    let half = to_halfwidth(input);
    let has_latin = half.chars().any(|c| c.is_ascii_alphabetic());
    let mut out = String::with_capacity(half.len());
    for c in half.chars() {
        let c = match c {
            '•' | '・' | '．' | '∙' | '⋅' | '‧' | '●' => '·',
            c => c,
        };
        if c.is_whitespace() {
            // Latin names keep single spaces between words; Chinese names lose them all.
            if has_latin && !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            continue;
        }
        if !(is_cjk(c) || c == '·' || (has_latin && (c.is_ascii_alphabetic() || c == '-' || c == '.'))) {
            return Err(NameError::Character(c));
        }
        out.push(c);
    }
    let out = out.trim_end().trim_matches('·').to_owned();
    let n = out.chars().count();
    match n {
        0 => Err(NameError::Empty),
        1 => Err(NameError::TooShort),
        n if n > MAX_NAME_CHARS => Err(NameError::TooLong(MAX_NAME_CHARS)),
        _ => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_two_character_names_are_joined() {
        assert_eq!(normalize_person_name("张  三").as_deref(), Ok("张三"));
        assert_eq!(normalize_person_name("张\u{3000}三").as_deref(), Ok("张三"));
        assert_eq!(normalize_person_name(" 欧阳 修文 ").as_deref(), Ok("欧阳修文"));
    }

    #[test]
    fn middle_dots_are_unified() {
        assert_eq!(normalize_person_name("阿卜杜•热合曼").as_deref(), Ok("阿卜杜·热合曼"));
    }

    #[test]
    fn bad_names_are_refused() {
        assert_eq!(normalize_person_name("  "), Err(NameError::Empty));
        assert_eq!(normalize_person_name("张"), Err(NameError::TooShort));
        assert_eq!(normalize_person_name("张3"), Err(NameError::Character('3')));
        assert_eq!(normalize_person_name("<b>张三</b>"), Err(NameError::Character('<')));
    }
}
