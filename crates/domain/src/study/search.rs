//! Chinese full-text search terms: how a text is cut into index terms, how a query is read,
//! how a hit is scored and how a snippet is highlighted. No I/O; the store keeps the terms
//! in an ordinary indexed table (see `docs/architecture.md`, "Full-text search").
//!
//! * Text is normalised character by character (full-width ASCII to half-width, letters
//!   lower-cased), so positions in the normalised text are positions in the original.
//! * A run of CJK characters gives each pair of neighbours as a term (学习党建 → 学习, 习党,
//!   党建): a two-character word is one term, a longer one several. A run of Latin letters
//!   and digits is one term (lower-cased, at most [`MAX_WORD`] characters).
//! * A query is split into parts at spaces and punctuation; every part must occur in the
//!   title or the body (all words, no operators: `AND`, `OR`, `NOT`, quotes, `*`, `%` are
//!   ignored as words or separators). A part's terms find candidates; the part itself,
//!   as a phrase, confirms them.

use std::collections::HashMap;

use crate::text::is_cjk;

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 64;
/// At most this many parts (words) in a query.
pub const MAX_PARTS: usize = 8;
/// Latin words and numbers are indexed up to this many characters.
pub const MAX_WORD: usize = 32;
/// Occurrences counted per term, in a title and in a body (more changes nothing).
pub const MAX_TITLE_HITS: u32 = 9;
pub const MAX_BODY_HITS: u32 = 999;

/// Normalises one character: full-width ASCII to ASCII, letters lower-cased (only when
/// that gives one character, so that the text keeps its length).
pub fn norm_char(c: char) -> char {
    let c = match c {
        '\u{3000}' => ' ',
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        _ => c,
    };
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let mut l = c.to_lowercase();
    match (l.next(), l.next()) {
        (Some(x), None) => x,
        _ => c,
    }
}

/// The text normalised, one character for one.
pub fn normalize(s: &str) -> String {
    s.chars().map(norm_char).collect()
}

/// Whether a (normalised) character belongs to a Latin word or number.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// A run of characters of one class in a normalised text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run<'a> {
    Cjk(&'a [char]),
    Word(&'a [char]),
}

fn runs(chars: &[char]) -> Vec<Run<'_>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let class = if is_cjk(c) {
            1
        } else if is_word_char(c) {
            2
        } else {
            i += 1;
            continue;
        };
        let start = i;
        while i < chars.len() && {
            let d = chars[i];
            if class == 1 { is_cjk(d) } else { is_word_char(d) }
        } {
            i += 1;
        }
        let run = &chars[start..i];
        out.push(if class == 1 { Run::Cjk(run) } else { Run::Word(run) });
    }
    out
}

fn word_term(w: &[char]) -> String {
    w.iter().take(MAX_WORD).collect()
}

/// The index terms of a text and how often each occurs (normalised first).
pub fn term_counts(text: &str) -> HashMap<String, u32> {
    let chars: Vec<char> = text.chars().map(norm_char).collect();
    let mut out: HashMap<String, u32> = HashMap::new();
    for run in runs(&chars) {
        match run {
            Run::Cjk(r) => {
                for w in r.windows(2) {
                    *out.entry(w.iter().collect()).or_default() += 1;
                }
            }
            Run::Word(w) => *out.entry(word_term(w)).or_default() += 1,
        }
    }
    out
}

/// A posting's score: title occurrences above body occurrences above the date (days since
/// 1970, newer higher). Fits in 32 bits.
pub fn score(title_hits: u32, body_hits: u32, days: i64) -> i64 {
    let t = i64::from(title_hits.min(MAX_TITLE_HITS));
    let b = i64::from(body_hits.min(MAX_BODY_HITS));
    (t * 1000 + b) * 100_000 + days.clamp(0, 99_999)
}

/// The date part of a score.
pub fn score_days(date: Option<chrono::NaiveDate>) -> i64 {
    date.map_or(0, |d| (d - chrono::NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or_default()).num_days())
}

/// Why a query cannot be searched.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("请输入检索词")]
    Empty,
    #[error("检索词过长（{0}个字），请不超过{MAX_QUERY_CHARS}个字")]
    TooLong(usize),
    #[error("检索词中没有可检索的文字，请输入汉字、字母或数字")]
    NoWords,
    #[error("请至少输入两个连续的汉字（如“学习”“党建”），或一个英文单词、数字")]
    TooShort,
}

/// A query as searched: its parts (phrases that must all occur) and the terms of each.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Normalised parts, longest first (the order marks are placed in).
    pub parts: Vec<String>,
    /// Every distinct term of every part.
    pub terms: Vec<String>,
}

impl Query {
    /// Reads what a user typed. Operators and punctuation separate words; a query of only
    /// single CJK characters is refused (two characters make the shortest term).
    pub fn parse(raw: &str) -> Result<Query, QueryError> {
        let raw = crate::text::trim(raw);
        if raw.is_empty() {
            return Err(QueryError::Empty);
        }
        let n = raw.chars().count();
        if n > MAX_QUERY_CHARS {
            return Err(QueryError::TooLong(n));
        }
        let chars: Vec<char> = raw.chars().map(norm_char).collect();
        // Parts: maximal sequences of CJK and word characters (a mixed "5g基站" stays whole).
        let mut parts: Vec<String> = Vec::new();
        let mut cur = String::new();
        let mut raw_chars = raw.chars();
        let mut raw_cur = String::new();
        for &c in &chars {
            let orig = raw_chars.next().unwrap_or(c);
            if is_cjk(c) || is_word_char(c) {
                cur.push(c);
                raw_cur.push(orig);
            } else if !cur.is_empty() {
                push_part(&mut parts, std::mem::take(&mut cur), std::mem::take(&mut raw_cur));
            }
        }
        if !cur.is_empty() {
            push_part(&mut parts, cur, raw_cur);
        }
        if parts.is_empty() {
            return Err(QueryError::NoWords);
        }
        parts.truncate(MAX_PARTS);
        let mut terms: Vec<String> = Vec::new();
        for p in &parts {
            let pc: Vec<char> = p.chars().collect();
            for run in runs(&pc) {
                let new: Vec<String> = match run {
                    Run::Cjk(r) => r.windows(2).map(|w| w.iter().collect()).collect(),
                    Run::Word(w) => vec![word_term(w)],
                };
                for t in new {
                    if !terms.contains(&t) {
                        terms.push(t);
                    }
                }
            }
        }
        if terms.is_empty() {
            return Err(QueryError::TooShort);
        }
        parts.sort_by_key(|p| std::cmp::Reverse(p.chars().count()));
        Ok(Query { parts, terms })
    }

    /// Whether the document holds every part (title and body normalised).
    pub fn matches(&self, title: &str, body: &str) -> bool {
        self.parts.iter().all(|p| title.contains(p.as_str()) || body.contains(p.as_str()))
    }

    /// The document's score for this query: occurrences of the parts in the title and body.
    pub fn score(&self, title: &str, body: &str, days: i64) -> i64 {
        let count = |h: &str| self.parts.iter().map(|p| h.matches(p.as_str()).count() as u32).sum::<u32>();
        score(count(title), count(body), days)
    }
}

fn push_part(parts: &mut Vec<String>, part: String, raw: String) {
    // Operators typed in capitals are words of a search syntax we do not have.
    if matches!(raw.as_str(), "AND" | "OR" | "NOT") {
        return;
    }
    if !parts.contains(&part) {
        parts.push(part);
    }
}

/// Escapes text for HTML.
pub fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
}

/// The text (characters `from..to` of `orig`) escaped, with every part marked `<mark>`.
fn marked(orig: &[char], normal: &[char], from: usize, to: usize, parts: &[Vec<char>]) -> String {
    let mut out = String::new();
    let mut plain = String::new();
    let mut i = from;
    while i < to {
        let hit = parts.iter().find(|p| !p.is_empty() && i + p.len() <= to && normal[i..i + p.len()] == p[..]);
        match hit {
            Some(p) => {
                escape(&plain, &mut out);
                plain.clear();
                out.push_str("<mark>");
                escape(&orig[i..i + p.len()].iter().collect::<String>(), &mut out);
                out.push_str("</mark>");
                i += p.len();
            }
            None => {
                let c = orig[i];
                plain.push(if c.is_whitespace() { ' ' } else { c });
                i += 1;
            }
        }
    }
    escape(&plain, &mut out);
    out
}

/// The whole text, HTML-escaped, with the query's parts marked (for a title).
pub fn highlight(text: &str, q: &Query) -> String {
    let orig: Vec<char> = text.chars().collect();
    let normal: Vec<char> = orig.iter().map(|&c| norm_char(c)).collect();
    let parts: Vec<Vec<char>> = q.parts.iter().map(|p| p.chars().collect()).collect();
    marked(&orig, &normal, 0, orig.len(), &parts)
}

/// About `width` characters of the body around the first match, HTML-escaped, with the
/// query's parts marked and "…" where the text was cut.
pub fn snippet(body: &str, q: &Query, width: usize) -> String {
    let orig: Vec<char> = body.chars().collect();
    let normal: Vec<char> = orig.iter().map(|&c| norm_char(c)).collect();
    let parts: Vec<Vec<char>> = q.parts.iter().map(|p| p.chars().collect()).collect();
    let first = (0..normal.len()).find(|&i| {
        parts.iter().any(|p| !p.is_empty() && i + p.len() <= normal.len() && normal[i..i + p.len()] == p[..])
    });
    let start = first.map_or(0, |i| i.saturating_sub(width / 4));
    let end = (start + width).min(orig.len());
    let start = end.saturating_sub(width).min(start);
    let mut out = String::new();
    if start > 0 {
        out.push('…');
    }
    out.push_str(&marked(&orig, &normal, start, end, &parts));
    if end < orig.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bigrams_and_words() {
        let t = term_counts("学习党建，学习ＡＩ与5G基站 AI");
        assert_eq!(t.get("学习"), Some(&2));
        assert_eq!(t.get("习党"), Some(&1));
        assert_eq!(t.get("党建"), Some(&1));
        assert_eq!(t.get("ai"), Some(&2));
        assert_eq!(t.get("5g"), Some(&1));
        assert_eq!(t.get("基站"), Some(&1));
        assert_eq!(t.get("与"), None);
        // A comma breaks a run: no pair across it.
        assert_eq!(t.get("建学"), None);
    }

    #[test]
    fn queries_of_two_three_four_characters_and_mixed() {
        let q = Query::parse("学习").unwrap();
        assert_eq!(q.terms, vec!["学习"]);
        let q = Query::parse("党建引领").unwrap();
        assert_eq!(q.terms, vec!["党建", "建引", "引领"]);
        let q = Query::parse("振兴 乡村").unwrap();
        assert_eq!(q.parts.len(), 2);
        let q = Query::parse("  ５Ｇ基站 ").unwrap();
        assert_eq!(q.parts, vec!["5g基站"]);
        assert_eq!(q.terms, vec!["5g", "基站"]);
        let q = Query::parse("学习 AND 党建 OR \"振兴\"*").unwrap();
        assert_eq!(q.terms, vec!["学习", "党建", "振兴"]);
    }

    #[test]
    fn hostile_queries_are_refused_or_reduced() {
        assert_eq!(Query::parse("   "), Err(QueryError::Empty));
        assert_eq!(Query::parse("\"*%_'();--"), Err(QueryError::NoWords));
        assert_eq!(Query::parse("党"), Err(QueryError::TooShort));
        assert!(matches!(Query::parse(&"学".repeat(65)), Err(QueryError::TooLong(65))));
        let q = Query::parse("' OR 1=1; DROP TABLE x; --").unwrap();
        assert!(q.parts.contains(&"drop".to_owned()));
        let q = Query::parse("%学习_").unwrap();
        assert_eq!(q.parts, vec!["学习"]);
    }

    #[test]
    fn scores_rank_title_then_count_then_date() {
        assert!(score(1, 0, 0) > score(0, 999, 99_999));
        assert!(score(0, 3, 0) > score(0, 2, 99_999));
        assert!(score(0, 2, 20_000) > score(0, 2, 19_999));
        assert!(score(MAX_TITLE_HITS + 5, MAX_BODY_HITS + 5, 200_000) < i64::from(i32::MAX));
        let q = Query::parse("学习").unwrap();
        assert!(q.score("学习", "", 0) > q.score("标题", "学习学习", 0));
    }

    #[test]
    fn matching_needs_every_part_as_a_phrase() {
        let q = Query::parse("乡村振兴 党建").unwrap();
        assert!(q.matches(&normalize("关于党建"), &normalize("推进乡村振兴")));
        assert!(!q.matches(&normalize("关于党建"), &normalize("乡村的振兴")));
    }

    #[test]
    fn snippets_are_escaped_and_marked() {
        let q = Query::parse("学习").unwrap();
        let s = snippet("<b>开头</b>认真学习&贯彻", &q, 40);
        assert_eq!(s, "&lt;b&gt;开头&lt;/b&gt;认真<mark>学习</mark>&amp;贯彻");
        let long = format!("{}深入学习{}", "甲".repeat(100), "乙".repeat(100));
        let s = snippet(&long, &q, 20);
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.contains("<mark>学习</mark>"));
        assert_eq!(highlight("AI 与 ai", &Query::parse("ai").unwrap()), "<mark>AI</mark> 与 <mark>ai</mark>");
    }
}
