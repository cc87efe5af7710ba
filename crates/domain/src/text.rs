//! Character-level normalisation shared by every parser of user input.

/// Maps full-width ASCII variants (U+FF01–U+FF5E) and the ideographic space (U+3000) to
/// their ASCII forms; everything else is kept. Used for codes, numbers and header names,
/// never for free text such as organisation names, whose punctuation users chose.
pub fn to_halfwidth(s: &str) -> String {
    s.chars().map(halfwidth_char).collect()
}

fn halfwidth_char(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

/// Half-width form with every kind of white space removed (including no-break spaces).
pub fn compact(s: &str) -> String {
    // Control characters too: a NUL is refused by PostgreSQL in any text value.
    s.chars()
        .map(halfwidth_char)
        .filter(|c| !c.is_whitespace() && !c.is_control() && *c != '\u{00A0}' && *c != '\u{FEFF}')
        .collect()
}

/// Trims white space of every kind, including the ideographic space and the BOM.
pub fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}' || c == '\u{00A0}')
}

/// True for characters that change how text around them is shown without showing
/// themselves: bidirectional overrides and isolates, zero-width characters, the BOM and the
/// line and paragraph separators. In a name or an official header they can make text read
/// differently than it is stored.
pub fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// The text without invisible format characters: line and paragraph separators become
/// line breaks, the others go. Pasted text often carries them and they never mean anything
/// in a Chinese document; left in, a field of nothing but U+200B reads as filled.
pub fn strip_invisible(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_invisible_format) {
        return std::borrow::Cow::Borrowed(s);
    }
    s.chars()
        .filter_map(|c| match c {
            '\u{2028}' | '\u{2029}' => Some('\n'),
            c if is_invisible_format(c) => None,
            c => Some(c),
        })
        .collect::<String>()
        .into()
}

/// True when the character is a CJK unified ideograph (the characters of Chinese names).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_and_zero_width_characters_are_invisible_formats() {
        assert!("X\u{202E}1".chars().any(is_invisible_format));
        assert!("\u{200B}".chars().all(is_invisible_format) && "\u{2066}".chars().all(is_invisible_format));
        assert!(!"岳组发〔2026〕3号".chars().any(is_invisible_format));
    }

    #[test]
    fn invisible_format_characters_are_stripped() {
        assert_eq!(strip_invisible("\u{200B}\u{200B}"), "");
        assert_eq!(strip_invisible("基地\u{202E}名称"), "基地名称");
        assert_eq!(strip_invisible("一\u{2028}二"), "一\n二");
        assert!(matches!(strip_invisible("岳阳市"), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn halfwidth_maps_digits_letters_and_space() {
        assert_eq!(to_halfwidth("４３０６０２１９８５０７０３１２３Ｘ"), "43060219850703123X");
        assert_eq!(to_halfwidth("姓　名（必填）"), "姓 名(必填)");
    }

    #[test]
    fn compact_removes_all_spaces() {
        assert_eq!(compact(" 身份证\u{3000}号 \t"), "身份证号");
        assert_eq!(compact("\u{FEFF}姓名"), "姓名");
    }

    #[test]
    fn cjk_detection() {
        assert!(is_cjk('张'));
        assert!(!is_cjk('A'));
        assert!(!is_cjk('·'));
    }
}
