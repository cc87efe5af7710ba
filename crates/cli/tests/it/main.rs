//! Integration tests: one binary, run once per backend (`TEST_DATABASE_URL`).

mod support;

mod api;
mod audit;
mod auth;
mod cli;
mod demo;
mod export;
mod import_orgs;
mod import_people;
mod orgs;
mod people;
mod scope;
mod web;
