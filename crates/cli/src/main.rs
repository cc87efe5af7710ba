//! `xuepei`: the one binary. Subcommands serve the web application, run the demo, migrate,
//! import, export, back up and benchmark.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use xuepei::{bench, commands, demo};

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    /// Create the SQLite database file if it does not exist (serve, migrate and demo always may).
    #[arg(long, global = true)]
    create_database: bool,
    /// The address users reach the server at (https://HOST), printed in certificates' QR
    /// codes; default: the address each request came to.
    #[arg(long, global = true, env = "XUEPEI_PUBLIC_URL")]
    public_url: Option<String>,
    #[command(subcommand)]
    command: Command,
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
        /// Password of the demo accounts.
        #[arg(long, default_value = xuepei::demo::DEFAULT_PASSWORD)]
        password: String,
    },
    /// Apply database migrations.
    Migrate {
        /// Only show applied and pending migrations.
        #[arg(long)]
        status: bool,
    },
    /// Import records of a registered kind (people, orgs, …) from .xlsx, .xls or .csv.
    Import {
        /// The kind of record: people (人员花名册), orgs (党组织和单位), or any other
        /// registered kind; an unknown kind lists them.
        kind: String,
        file: PathBuf,
        /// Check every row and report, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Import into the subtree of this organisation code only.
        #[arg(long)]
        org: Option<String>,
    },
    /// Export records of a registered kind (people, orgs, …) to .xlsx.
    Export {
        /// The kind of record, as for import.
        kind: String,
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
    /// Manage accounts (the first administrators are made here).
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// Issue, list or revoke API tokens (for scripts and other systems).
    Token {
        #[command(subcommand)]
        what: TokenCommand,
    },
    /// Verify, archive or export the audit trail.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Internal: parse one spreadsheet in a separate process with its own memory and CPU
    /// limits, for the server and `import` (frames on standard output).
    #[command(name = "read-sheet", hide = true)]
    ReadSheet {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Benchmarks (not tests): generate data at scale, measure, print a table.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account.
    Add {
        username: String,
        /// The holder's name.
        #[arg(long)]
        name: String,
        /// Roles, by code or Chinese name, comma-separated (system_admin, security_admin,
        /// audit_admin, org_staff, propaganda_staff, unit_secretary, training_institution,
        /// inspector, cadre).
        #[arg(long)]
        role: String,
        /// Code of the organisation whose subtree the account sees.
        #[arg(long)]
        scope: String,
        /// Code of the account's own unit (default: the scope's organisation).
        #[arg(long)]
        org: Option<String>,
        /// Initial password (default: generated and printed).
        #[arg(long, env = "XUEPEI_NEW_PASSWORD")]
        password: Option<String>,
        /// Do not require a new password at first sign-in.
        #[arg(long)]
        keep_password: bool,
    },
    /// Reset a password (and unlock); the holder must change it.
    Reset {
        username: String,
        #[arg(long, env = "XUEPEI_NEW_PASSWORD")]
        password: Option<String>,
    },
    /// Lock an account.
    Lock { username: String },
    /// Unlock an account.
    Unlock { username: String },
    /// List accounts.
    List,
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Issue a token over an organisation's subtree; prints the token alone on the last line.
    Issue {
        /// Code of the organisation whose subtree the token may see.
        #[arg(long)]
        org: String,
        /// The token may also import (write); default read-only.
        #[arg(long)]
        write: bool,
        /// Valid for this many days (default: until revoked).
        #[arg(long)]
        days: Option<i64>,
        /// What the token is for (shown in lists and the audit trail).
        #[arg(long)]
        name: Option<String>,
    },
    /// List tokens.
    List,
    /// Revoke a token by its number.
    Revoke { id: i64 },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the hash chain; names the first bad entry.
    Verify,
    /// Move old entries to a JSON-lines file.
    Archive {
        /// Older than this many days (default: the configured retention, 184).
        #[arg(long)]
        days: Option<i64>,
        #[arg(long)]
        dir: Option<PathBuf>,
    },
    /// Export the trail to .xlsx.
    Export {
        #[arg(long)]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::ReadSheet { args } = &cli.command {
        // The reader process: no runtime, no logging, no configuration.
        return xuepei_office::isolate::child_main(args);
    }
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
    let create_database = cli.create_database
        || matches!(
            cli.command,
            Command::Serve { .. } | Command::Demo { .. } | Command::Migrate { .. } | Command::Bench { .. }
        );
    let cfg = Config::load(Overrides {
        config: cli.config,
        database_url: cli.database_url,
        listen,
        data_dir: cli.data_dir,
        create_database,
        public_url: cli.public_url,
    })?;
    match cli.command {
        Command::Serve { .. } => commands::serve(&cfg).await,
        Command::Demo { seed, no_serve, password, .. } => demo::run(&cfg, seed, no_serve, &password).await,
        Command::Migrate { status } => commands::migrate(&cfg, status).await,
        Command::Import { kind, file, dry_run, org } => {
            commands::import(&cfg, &kind, &file, dry_run, org.as_deref()).await
        }
        Command::Export { kind, out, org } => commands::export(&cfg, &kind, &out, org.as_deref()).await,
        Command::Backup { out } => commands::backup(&cfg, &out).await,
        Command::User { what } => match what {
            UserCommand::Add { username, name, role, scope, org, password, keep_password } => {
                commands::user::add(&cfg, &username, &name, &role, &scope, org.as_deref(), password, !keep_password)
                    .await
            }
            UserCommand::Reset { username, password } => commands::user::reset(&cfg, &username, password).await,
            UserCommand::Lock { username } => commands::user::lock(&cfg, &username, true).await,
            UserCommand::Unlock { username } => commands::user::lock(&cfg, &username, false).await,
            UserCommand::List => commands::user::list(&cfg).await,
        },
        Command::Token { what } => match what {
            TokenCommand::Issue { org, write, days, name } => {
                commands::token::issue(&cfg, &org, write, days, name.as_deref()).await
            }
            TokenCommand::List => commands::token::list(&cfg).await,
            TokenCommand::Revoke { id } => commands::token::revoke(&cfg, id).await,
        },
        Command::Audit { what } => match what {
            AuditCommand::Verify => commands::audit::verify(&cfg).await,
            AuditCommand::Archive { days, dir } => commands::audit::archive(&cfg, days, dir.as_deref()).await,
            AuditCommand::Export { out } => commands::audit::export(&cfg, &out).await,
        },
        Command::Bench { what } => bench::run(&cfg, what).await,
        Command::ReadSheet { .. } => Err("read-sheet 是内部命令".into()),
    }
}
