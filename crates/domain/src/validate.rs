//! Field-level validation shared by forms and import rows.

use std::collections::HashMap;

/// One field that failed validation: its key and the Chinese reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// Raw text fields by key: an import row, a submitted form, a JSON body.
pub trait Fields {
    /// The field's text, or "" when absent.
    fn get(&self, key: &str) -> &str;

    /// Records the error of a field check and passes its value on.
    fn collect<T>(&self, errors: &mut Vec<FieldError>, field: &'static str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(message) => {
                errors.push(FieldError { field, message });
                None
            }
        }
    }
}

impl Fields for HashMap<String, String> {
    fn get(&self, key: &str) -> &str {
        HashMap::get(self, key).map_or("", String::as_str)
    }
}

impl Fields for [(&str, &str)] {
    fn get(&self, key: &str) -> &str {
        self.iter().find(|(k, _)| *k == key).map_or("", |(_, v)| v)
    }
}

impl<const N: usize> Fields for [(&str, &str); N] {
    fn get(&self, key: &str) -> &str {
        Fields::get(self.as_slice(), key)
    }
}
