//! The `xuepei` binary's commands, as a library so that tests drive them directly.
#![allow(clippy::print_stdout, clippy::print_stderr)]

pub mod bench;
pub mod bench_certificates;
pub mod bench_filings;
pub mod bench_search;
pub mod bench_study;
pub mod bench_training;
pub mod commands;
pub mod config;
pub mod demo;
pub mod demo_bases;
pub mod demo_certificates;
pub mod demo_filings;
pub mod demo_funds;
pub mod demo_materials;
pub mod demo_meetings;
pub mod demo_notifications;
pub mod demo_study_groups;
pub mod demo_study_logs;
pub mod demo_training;
