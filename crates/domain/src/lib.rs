//! The domain of xuepei: types, validation rules and pure algorithms.
//!
//! Nothing here performs I/O, awaits, or knows about databases; every function can be
//! unit-tested with plain values. Messages meant for users are Simplified Chinese.

pub mod accounts;
pub mod dates;
pub mod divisions;
pub mod files;
pub mod idcard;
pub mod import;
pub mod labels;
pub mod names;
pub mod notifications;
pub mod org;
pub mod people;
pub mod phone;
pub mod study;
pub mod synth;
pub mod text;
pub mod time;
pub mod training;
pub mod validate;
