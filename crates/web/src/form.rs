//! The state of a form, shared by every page that has one: the values as submitted (or as
//! stored, to edit), each field's error, and one message for the whole form. Templates show
//! it through the macros in `templates/macros/form.html`; handlers save through
//! [`save_or_refuse`].

use std::collections::HashMap;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use xuepei_domain::validate::{FieldError, Fields};
use xuepei_store::{StoreError, Tx};

use crate::error::{AppResult, form_refusal};

#[derive(Debug, Clone, Default)]
pub struct Form {
    values: HashMap<String, String>,
    /// Keys submitted more than once (a checkbox group), every value in order.
    lists: HashMap<String, Vec<String>>,
    errors: HashMap<&'static str, String>,
    general: Option<String>,
}

impl Form {
    pub fn new() -> Self {
        Form::default()
    }

    /// A form as submitted: repeated keys keep every value.
    pub fn submitted(fields: Vec<(String, String)>) -> Self {
        let mut f = Form::new();
        for (k, v) in fields {
            f.lists.entry(k.clone()).or_default().push(v.clone());
            f.values.insert(k, v);
        }
        f
    }

    /// Sets a value (a stored one to edit, or a default).
    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.values.insert(key.to_owned(), value.into());
    }

    pub fn value(&self, key: &str) -> &str {
        self.values.get(key).map_or("", String::as_str)
    }

    /// Whether a select's current value is `option` (ids and codes alike).
    pub fn is_selected(&self, key: &str, option: &impl std::fmt::Display) -> bool {
        self.value(key) == option.to_string()
    }

    /// Every value of a repeated key.
    pub fn list(&self, key: &str) -> &[String] {
        self.lists.get(key).map_or(&[], Vec::as_slice)
    }

    /// The rows of a table of inputs: the repeated `keys` zipped by position, rows left
    /// wholly empty dropped.
    pub fn rows(&self, keys: &[&str]) -> Vec<Vec<String>> {
        let n = keys.iter().map(|k| self.list(k).len()).max().unwrap_or(0);
        (0..n)
            .map(|i| keys.iter().map(|k| self.list(k).get(i).map_or("", |v| v.trim()).to_owned()).collect::<Vec<_>>())
            .filter(|row| row.iter().any(|v| !v.is_empty()))
            .collect()
    }

    /// The rows to show in a table of inputs: those filled in, then `blanks` empty ones.
    pub fn rows_with_blanks(&self, keys: &[&str], blanks: usize) -> Vec<Vec<String>> {
        let mut rows = self.rows(keys);
        rows.extend(std::iter::repeat_n(vec![String::new(); keys.len()], blanks));
        rows
    }

    /// Sets the repeated `keys` from rows (the inverse of `rows`).
    pub fn set_rows(&mut self, keys: &[&str], rows: &[Vec<String>]) {
        for (i, k) in keys.iter().enumerate() {
            self.set_list(k, rows.iter().map(|r| r.get(i).cloned().unwrap_or_default()).collect());
        }
    }

    /// Whether a checkbox group has `value` ticked.
    pub fn is_checked(&self, key: &str, value: &str) -> bool {
        self.list(key).iter().any(|v| v == value)
    }

    /// Sets a checkbox group's ticked values.
    pub fn set_list(&mut self, key: &str, values: Vec<String>) {
        self.lists.insert(key.to_owned(), values);
    }

    pub fn error(&self, key: &str) -> &str {
        self.errors.get(key).map_or("", String::as_str)
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    pub fn error_count(&self) -> usize {
        self.errors.len()
    }

    /// Every field error's message, by field name (the banner lists them: a field the page
    /// does not show still says what is wrong).
    pub fn messages(&self) -> Vec<&str> {
        let mut v: Vec<(&&str, &String)> = self.errors.iter().collect();
        v.sort();
        v.into_iter().map(|(_, m)| m.as_str()).collect()
    }

    pub fn general(&self) -> Option<&str> {
        self.general.as_deref()
    }

    /// Adds field errors (every one found, so that one submit shows them all).
    pub fn add_errors(&mut self, errors: Vec<FieldError>) {
        for e in errors {
            self.errors.entry(e.field).or_insert(e.message);
        }
    }

    /// Takes what the store refused: field errors beside their fields, a conflict or a
    /// refusal above the form; anything else is an error page.
    pub fn refuse(&mut self, e: StoreError) -> AppResult<()> {
        let (errs, general) = form_refusal(e)?;
        self.add_errors(errs);
        if general.is_some() {
            self.general = general;
        }
        Ok(())
    }
}

impl Fields for Form {
    fn get(&self, key: &str) -> &str {
        self.value(key)
    }
}

/// Commits the change and redirects when it succeeded; otherwise rolls it back and shows
/// the form again with what was refused (422).
pub async fn save_or_refuse<T>(
    tx: Tx,
    result: Result<T, StoreError>,
    mut form: Form,
    done: impl FnOnce(&T) -> String,
    again: impl AsyncFnOnce(Form) -> AppResult<Html<String>>,
) -> AppResult<Response> {
    match result {
        Ok(v) => {
            tx.commit().await?;
            Ok(Redirect::to(&done(&v)).into_response())
        }
        Err(e) => {
            tx.rollback().await?;
            form.refuse(e)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, again(form).await?).into_response())
        }
    }
}

/// Writes through `write` when the form itself refused nothing; otherwise reports the
/// form's refusals together with the store's `check` of the rest (each field once), so
/// that every mistake is shown at once and nothing is written.
pub async fn write_or_report<T>(
    errs: Vec<FieldError>,
    check: impl AsyncFnOnce() -> Result<(), StoreError>,
    write: impl AsyncFnOnce() -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    if errs.is_empty() {
        return write().await;
    }
    let mut all = errs;
    match check().await {
        Ok(()) => {}
        Err(StoreError::Invalid(more)) => {
            let more: Vec<FieldError> = more.into_iter().filter(|m| !all.iter().any(|e| e.field == m.field)).collect();
            all.extend(more);
        }
        Err(other) => return Err(other),
    }
    Err(StoreError::Invalid(all))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_submitted_form_keeps_repeated_keys_and_every_error() {
        let mut f = Form::submitted(vec![
            ("name".into(), "张三".into()),
            ("roles".into(), "secretary".into()),
            ("roles".into(), "committee_member".into()),
        ]);
        assert_eq!(f.value("name"), "张三");
        assert!(f.is_checked("roles", "secretary") && f.is_checked("roles", "committee_member"));
        assert!(!f.is_checked("roles", "principal"));
        f.add_errors(vec![
            FieldError { field: "name", message: "a".into() },
            FieldError { field: "org", message: "b".into() },
        ]);
        assert_eq!((f.error("name"), f.error("org"), f.error("phone")), ("a", "b", ""));
        f.refuse(StoreError::Conflict("代码已被使用".into())).expect("a conflict is shown on the form");
        assert_eq!(f.general(), Some("代码已被使用"));
        assert!(f.refuse(StoreError::Busy).is_err(), "not the form's fault");
    }
}
