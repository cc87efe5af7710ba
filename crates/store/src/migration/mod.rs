//! Schema migrations, written once for every backend.
//!
//! Backend differences are confined to column definitions here: tree paths and names use
//! a byte-order collation (`C` on PostgreSQL, `utf8mb4_bin` on MySQL; SQLite's default
//! is already binary) so that prefix ranges `path >= p AND path < p'` are exact and served
//! by a plain b-tree index on every backend.

use sea_orm::DbBackend;
use sea_orm_migration::prelude::*;

mod m20261123_000001_foundation;
mod m20261124_000002_accounts;
mod m20261126_000011_sign_in_security;
mod m20261127_000012_person_profile;
mod m20261128_000013_import_outcomes;
mod m20261129_000014_upload_owner;
mod m20261201_000015_campaigns;
mod m20261201_000016_classes;
mod m20261201_000017_coverage;
mod m20261201_000018_plans;
mod m20261202_000019_materials;
mod m20261202_000020_meetings;
mod m20261202_000021_study_logs;
mod m20261202_000022_study_groups;
pub(crate) mod m20261202_000023_study_tallies;
mod m20261202_000024_study_log_material;
mod m20261202_000025_class_funds;
mod m20261202_000026_study_plan_approver;
pub(crate) mod m20261202_000027_study_org_figures;
mod m20261202_000028_filings;
mod m20261203_000029_filing_drafts;
mod m20261203_000030_practice_bases;
mod m20261204_000031_certificates;
mod m20261205_000032_notification_reads;
mod m20261205_000033_fee_caps;
mod m20261205_000034_base_files;

#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_foundation::Migration),
            Box::new(m20261124_000002_accounts::Migration),
            Box::new(m20261126_000011_sign_in_security::Migration),
            Box::new(m20261127_000012_person_profile::Migration),
            Box::new(m20261128_000013_import_outcomes::Migration),
            Box::new(m20261129_000014_upload_owner::Migration),
            Box::new(m20261201_000015_campaigns::Migration),
            Box::new(m20261201_000016_classes::Migration),
            Box::new(m20261201_000017_coverage::Migration),
            Box::new(m20261201_000018_plans::Migration),
            Box::new(m20261202_000019_materials::Migration),
            Box::new(m20261202_000020_meetings::Migration),
            Box::new(m20261202_000021_study_logs::Migration),
            Box::new(m20261202_000022_study_groups::Migration),
            Box::new(m20261202_000023_study_tallies::Migration),
            Box::new(m20261202_000024_study_log_material::Migration),
            Box::new(m20261202_000025_class_funds::Migration),
            Box::new(m20261202_000026_study_plan_approver::Migration),
            Box::new(m20261202_000027_study_org_figures::Migration),
            Box::new(m20261202_000028_filings::Migration),
            Box::new(m20261203_000029_filing_drafts::Migration),
            Box::new(m20261203_000030_practice_bases::Migration),
            Box::new(m20261204_000031_certificates::Migration),
            Box::new(m20261205_000032_notification_reads::Migration),
            Box::new(m20261205_000033_fee_caps::Migration),
            Box::new(m20261205_000034_base_files::Migration),
        ]
    }
}

/// A text column compared byte by byte, for materialized paths and prefix search.
pub(crate) fn binary_text(col: ColumnDef, backend: DbBackend) -> ColumnDef {
    let mut col = col;
    match backend {
        DbBackend::Postgres => col.extra("COLLATE \"C\""),
        DbBackend::MySql => col.extra("COLLATE utf8mb4_bin"),
        _ => &mut col,
    };
    col
}

/// An instant (stored in UTC) with microseconds on every backend; MySQL's TIMESTAMP
/// would drop them and end in 2038, so it gets DATETIME(6).
pub(crate) fn instant(name: &'static str, backend: DbBackend, nullable: bool) -> ColumnDef {
    let mut col = ColumnDef::new(Alias::new(name));
    match backend {
        DbBackend::MySql => col.custom(Alias::new("DATETIME(6)")),
        _ => col.timestamp_with_time_zone(),
    };
    if nullable {
        col.null();
    } else {
        col.not_null();
    }
    col
}

/// A text column for documents longer than MySQL's TEXT (64 KiB): MEDIUMTEXT there.
pub(crate) fn long_text(name: &'static str, backend: DbBackend) -> ColumnDef {
    let mut col = ColumnDef::new(Alias::new(name));
    match backend {
        DbBackend::MySql => col.custom(Alias::new("MEDIUMTEXT")),
        _ => col.text(),
    };
    col.not_null();
    col
}

/// A column for file contents of any size.
pub(crate) fn large_binary(name: &'static str, backend: DbBackend) -> ColumnDef {
    let mut col = ColumnDef::new(Alias::new(name));
    match backend {
        DbBackend::MySql => col.custom(Alias::new("LONGBLOB")),
        _ => col.binary(),
    };
    col.not_null();
    col
}

/// Creates an index.
pub(crate) async fn index(
    manager: &SchemaManager<'_>,
    table: &'static str,
    name: &str,
    cols: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for c in cols {
        stmt.col(*c);
    }
    if unique {
        stmt.unique();
    }
    manager.create_index(stmt.to_owned()).await
}
