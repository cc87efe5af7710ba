//! `xuepei`: the one binary. Subcommands serve the web application, run the demo, migrate,
//! import, export, back up and benchmark.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use xuepei::{bench, commands, demo};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use xuepei::config::{Config, Overrides};

#[derive(Debug, Parser)]
#[command(name = "xuepei", version, about = "学培：干部理论学习和教育培训管理系统")]
struct Cli {
    /// Configuration file (TOML).
    #[arg(long, global = true, env = "XUEPEI_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://FILE, postgres://USER@HOST/DB or mysql://USER@HOST/DB.
    #[arg(long, global = true, env = "XUEPEI_DATABASE_URL")]
    database_url: Option<String>,
    /// Data directory (the default SQLite file lives here).
    #[arg(long = "data", global = true, env = "XUEPEI_DATA_DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    /// People (人员花名册)
    People,
    /// Organisations (党组织和单位)
    Orgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the web server.
    Serve {
        /// Address to listen on.
        #[arg(long, env = "XUEPEI_LISTEN")]
        listen: Option<String>,
    },
    /// Create a fresh demo database on real 岳阳市 divisions and serve it.
    Demo {
        #[arg(long, env = "XUEPEI_LISTEN")]
        listen: Option<String>,
        /// Seed of the generated people.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Only create the database, do not serve.
        #[arg(long)]
        no_serve: bool,
    },
    /// Apply database migrations.
    Migrate {
        /// Only show applied and pending migrations.
        #[arg(long)]
        status: bool,
    },
    /// Import organisations or people from .xlsx, .xls or .csv.
    Import {
        kind: Kind,
        file: PathBuf,
        /// Check every row and report, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import into the subtree of this organisation code only.
        #[arg(long)]
        org: Option<String>,
    },
    /// Export organisations or people to .xlsx.
    Export {
        kind: Kind,
        #[arg(long)]
        out: PathBuf,
        /// Only the subtree of this organisation code.
        #[arg(long)]
        org: Option<String>,
    },
    /// Write a consistent copy of the database.
    Backup {
        #[arg(long)]
        out: PathBuf,
    },
    /// Benchmarks (not tests): generate data at scale, measure, print a table.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("错误：{msg}");
            ExitCode::FAILURE
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("XUEPEI_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn"));
    let json = std::env::var("XUEPEI_LOG_FORMAT").is_ok_and(|v| v == "json");
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(cli: Cli) -> Result<ExitCode, String> {
    let listen = match &cli.command {
        Command::Serve { listen } | Command::Demo { listen, .. } => listen.clone(),
        _ => None,
    };
    let cfg =
        Config::load(Overrides { config: cli.config, database_url: cli.database_url, listen, data_dir: cli.data_dir })?;
    match cli.command {
        Command::Serve { .. } => commands::serve(&cfg).await,
        Command::Demo { seed, no_serve, .. } => demo::run(&cfg, seed, no_serve).await,
        Command::Migrate { status } => commands::migrate(&cfg, status).await,
        Command::Import { kind, file, dry_run, org } => {
            commands::import(&cfg, kind.into(), &file, dry_run, org.as_deref()).await
        }
        Command::Export { kind, out, org } => commands::export(&cfg, kind.into(), &out, org.as_deref()).await,
        Command::Backup { out } => commands::backup(&cfg, &out).await,
        Command::Bench { what } => bench::run(&cfg, what).await,
    }
}

impl From<Kind> for xuepei_web::jobs::ImportKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::People => xuepei_web::jobs::ImportKind::People,
            Kind::Orgs => xuepei_web::jobs::ImportKind::Orgs,
        }
    }
}
