//! Storage for xuepei: one code path over SQLite, PostgreSQL and MySQL.
//!
//! Every repository function takes a [`Scope`]; the table models are private, so data
//! leaves this crate only through scoped functions.

pub mod accounts;
pub mod attendance;
pub mod audit;
pub mod base_files;
pub mod bases;
pub mod campaigns;
pub mod certificates;
pub mod checkins;
pub mod classes;
pub mod coverage;
pub mod credits;
pub mod db;
#[cfg(feature = "operator")]
pub mod diag;
pub mod enrolment_import;
pub mod enrolments;
mod entity;
pub mod error;
pub mod fee_caps;
pub mod filings;
pub mod funds;
pub mod idchecks;
pub mod imports;
pub mod materials;
pub mod meetings;
mod migration;
pub mod notifications;
pub mod org;
pub mod page;
pub mod paths;
pub mod people;
pub mod plans;
pub(crate) mod quota_figures;
pub mod report_drafts;
pub mod scope;
pub mod search;
pub mod sessions;
mod sql;
pub(crate) mod study_figures;
pub mod study_groups;
pub mod study_logs;
pub mod study_oversight;
pub mod targets;
mod throttle;
pub mod tokens;
pub mod uploads;

pub use audit::{Actor, Tx};
pub use error::{Result, StoreError};
pub use scope::Scope;
pub use sea_orm::{DatabaseConnection, DbBackend, TransactionTrait};
