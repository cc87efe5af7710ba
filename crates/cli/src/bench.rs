//! Benchmarks (not tests).

use std::process::ExitCode;

use clap::Subcommand;

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Import a generated roster at scale and compare with a raw bulk insert.
    Import,
}

pub async fn run(_cfg: &Config, _what: BenchCommand) -> Result<ExitCode, String> {
    Err("尚未实现".into())
}
