//! Lenient reading of query strings and path segments: a malformed value is a Chinese
//! 404 or is ignored, never a framework error page in English.

use std::collections::HashMap;

use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use xuepei_domain::labels::Labeled;
use xuepei_domain::validate::FieldError;

use crate::error::AppError;

pub type Params = HashMap<String, String>;

/// A path id; anything else is "not found".
pub fn id(s: &str, what: &str) -> Result<i64, AppError> {
    // Only the id as the pages write it: "01" and "+1" are other addresses.
    Some(s)
        .filter(|s| s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0'))
        .and_then(|s| s.parse::<i64>().ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| AppError::NotFound(format!("{what}不存在或不在您的管理范围内")))
}

/// A non-empty, trimmed parameter. One holding control characters is ignored: no search
/// means them, and a NUL is refused by PostgreSQL in any text value.
pub fn text<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.get(key).map(|s| s.trim()).filter(|s| !s.is_empty() && !s.chars().any(char::is_control))
}

/// A urlencoded form body without invisible format characters in its names and values
/// (`text::strip_invisible`); the body as sent when it has none.
pub fn without_invisible(body: axum::body::Bytes) -> axum::body::Bytes {
    let Ok(pairs) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body) else { return body };
    if !pairs.iter().any(|(k, v)| [k, v].iter().any(|t| t.chars().any(xuepei_domain::text::is_invisible_format))) {
        return body;
    }
    let clean: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| {
            (xuepei_domain::text::strip_invisible(k).into_owned(), xuepei_domain::text::strip_invisible(v).into_owned())
        })
        .collect();
    serde_urlencoded::to_string(&clean).map_or(body, axum::body::Bytes::from)
}

pub fn num(p: &Params, key: &str) -> Option<i64> {
    text(p, key).and_then(|s| s.parse().ok())
}

/// An organisation chosen from a form's list: empty means none, anything but an id is
/// refused (the list only posts ids).
pub fn chosen_id(p: &Params, key: &'static str, what: &str) -> Result<Option<i64>, FieldError> {
    match text(p, key) {
        None => Ok(None),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|v| *v > 0)
            .map(Some)
            .ok_or_else(|| FieldError { field: key, message: format!("请从列表中选择{what}") }),
    }
}

/// A validated form and its chosen id together, or every error of the two.
pub fn with_choice<A, B>(
    form: Result<A, Vec<FieldError>>,
    choice: Result<B, FieldError>,
) -> Result<(A, B), Vec<FieldError>> {
    match (form, choice) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => {
            let mut errs = a.err().unwrap_or_default();
            errs.extend(b.err());
            Err(errs)
        }
    }
}

/// An enumeration given by code; unknown codes are ignored.
pub fn labeled<T: Labeled>(p: &Params, key: &str) -> Option<T> {
    text(p, key).and_then(T::from_code)
}

pub fn flag(p: &Params, key: &str) -> bool {
    matches!(text(p, key), Some("1" | "on" | "true"))
}

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// A query string from pairs, skipping empty values.
pub fn query(pairs: &[(&str, Option<String>)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter_map(|(k, v)| v.as_ref().filter(|v| !v.is_empty()).map(|v| format!("{k}={}", enc(v))))
        .collect();
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

/// The query string that keeps the request's filters `keys` (an export of what the list
/// shows).
pub fn keep(p: &Params, keys: &[&str]) -> String {
    let pairs: Vec<(&str, Option<String>)> = keys.iter().map(|k| (*k, text(p, k).map(str::to_owned))).collect();
    query(&pairs)
}

/// A labelled enumeration as `(code, label)` choices for a select.
pub fn options<T: Labeled>() -> Vec<(&'static str, &'static str)> {
    T::ALL.iter().map(|v| (v.code(), v.label())).collect()
}
