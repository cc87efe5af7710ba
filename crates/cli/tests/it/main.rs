//! Integration tests: one binary, run once per backend (`TEST_DATABASE_URL`).

mod support;

mod api;
mod attendance;
mod audit;
mod auth;
mod bench_training;
mod campaigns;
mod classes;
mod cli;
mod conflicts;
mod coverage;
mod credits;
mod demo;
mod enrolment_import;
mod enrolments;
mod export;
mod funds;
mod hostile;
mod import_bulk;
mod import_orgs;
mod import_people;
mod kinds;
mod materials;
mod meetings;
mod orgs;
mod people;
mod plans;
mod registrations;
mod scope;
mod search;
mod study_compliance;
mod study_groups;
mod study_logs;
mod targets;
mod web;
