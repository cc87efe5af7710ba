//! The plain subcommands: serve, migrate, import, export, backup.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use xuepei_office::read::Source;
use xuepei_store::db::{self, DbOptions};
use xuepei_store::org::OrgFilter;
use xuepei_store::people::PersonFilter;
use xuepei_store::{DatabaseConnection, Scope, org};
use xuepei_web::jobs::{self, ImportFailure, ImportKind};
use xuepei_web::{AppState, WebConfig};

use crate::config::Config;

pub async fn connect(cfg: &Config) -> Result<DatabaseConnection, String> {
    let opts = DbOptions { max_connections: cfg.max_connections, ..Default::default() };
    let conn = db::connect(&cfg.database_url, &opts).await.map_err(|e| e.to_string())?;
    db::migrate(&conn).await.map_err(|e| format!("数据库迁移失败：{e}"))?;
    Ok(conn)
}

pub async fn serve(cfg: &Config) -> Result<ExitCode, String> {
    let conn = connect(cfg).await?;
    serve_with(cfg, conn, |_| {}).await
}

/// Binds, reports the address through `on_ready`, and serves until Ctrl-C or SIGTERM.
pub async fn serve_with(
    cfg: &Config,
    conn: DatabaseConnection,
    on_ready: impl FnOnce(std::net::SocketAddr),
) -> Result<ExitCode, String> {
    let listener = tokio::net::TcpListener::bind(&cfg.listen)
        .await
        .map_err(|e| format!("无法监听地址 {}：{e}（端口可能已被占用，可用 --listen 换一个）", cfg.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    on_ready(addr);
    let state = AppState { db: conn, config: Arc::new(WebConfig { upload_limit: cfg.upload_limit_mb * 1024 * 1024 }) };
    xuepei_web::serve(listener, state, shutdown_signal()).await.map_err(|e| e.to_string())?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}

pub async fn migrate(cfg: &Config, status_only: bool) -> Result<ExitCode, String> {
    let conn = db::connect(&cfg.database_url, &DbOptions::default()).await.map_err(|e| e.to_string())?;
    if !status_only {
        db::migrate(&conn).await.map_err(|e| format!("数据库迁移失败：{e}"))?;
    }
    let (applied, pending) = db::migration_status(&conn).await.map_err(|e| e.to_string())?;
    println!("已执行的迁移（{}）：", applied.len());
    for m in applied {
        println!("  {m}");
    }
    println!(
        "待执行的迁移（{}）：{}",
        pending.len(),
        if pending.is_empty() { "无".to_owned() } else { pending.join("、") }
    );
    Ok(ExitCode::SUCCESS)
}

/// The command line acts as the system (the operator of the server), narrowed to an
/// organisation's subtree by `--org`.
async fn scope_of(conn: &DatabaseConnection, org_code: Option<&str>) -> Result<Scope, String> {
    match org_code {
        None => Ok(Scope::system()),
        Some(code) => {
            let system = Scope::system();
            let code = xuepei_domain::org::normalize_code(code).map_err(|e| format!("组织代码{e}"))?;
            let o = org::get_by_code(conn, &system, &code).await.map_err(|_| format!("未找到组织代码“{code}”"))?;
            system.narrow(conn, o.id).await.map_err(|e| e.to_string())
        }
    }
}

pub async fn import(
    cfg: &Config,
    kind: ImportKind,
    file: &Path,
    dry_run: bool,
    org_code: Option<&str>,
) -> Result<ExitCode, String> {
    jobs::check_readable(file).map_err(|e| e.to_string())?;
    let conn = connect(cfg).await?;
    let scope = scope_of(&conn, org_code).await?;
    let started = std::time::Instant::now();
    let outcome = match jobs::import(&conn, &scope, kind, Source::Path(file.to_owned()), dry_run).await {
        Ok(o) => o,
        Err(ImportFailure::File(msg)) => return Err(format!("{}：{msg}", file.display())),
        Err(ImportFailure::Store(e)) => return Err(e.to_string()),
    };
    let r = &outcome.report;
    for e in &r.errors {
        println!("{e}");
    }
    if r.error_count > r.errors.len() as u64 {
        println!("……（共{}处错误，仅列出前{}处）", r.error_count, r.errors.len());
    }
    for n in &r.notices {
        println!("提示 {n}");
    }
    if !outcome.ignored_columns.is_empty() {
        println!("提示 以下列未识别，已忽略：{}", outcome.ignored_columns.join("、"));
    }
    println!("{}", r.summary());
    tracing::info!(
        rows = r.rows,
        inserted = r.inserted,
        updated = r.updated,
        unchanged = r.unchanged,
        errors = r.error_count,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "import finished"
    );
    Ok(if r.is_ok() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

pub async fn export(cfg: &Config, kind: ImportKind, out: &Path, org_code: Option<&str>) -> Result<ExitCode, String> {
    let conn = connect(cfg).await?;
    let scope = scope_of(&conn, org_code).await?;
    let n = match kind {
        ImportKind::People => {
            xuepei_web::exports::people_xlsx(&conn, &scope, &PersonFilter::default(), out, "人员信息").await
        }
        ImportKind::Orgs => {
            xuepei_web::exports::orgs_xlsx(
                &conn,
                &scope,
                &OrgFilter { include_inactive: true, ..Default::default() },
                out,
                "组织机构",
            )
            .await
        }
    }
    .map_err(|e| e.to_string())?;
    println!("已导出{n}行到 {}", out.display());
    Ok(ExitCode::SUCCESS)
}

pub async fn backup(cfg: &Config, out: &Path) -> Result<ExitCode, String> {
    let conn = connect(cfg).await?;
    db::backup(&conn, &cfg.database_url, out).await.map_err(|e| e.to_string())?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!("已备份到 {}（{:.1} MB）", out.display(), size as f64 / 1_048_576.0);
    Ok(ExitCode::SUCCESS)
}
