//! The plain subcommands: serve, migrate, import, export, backup.

use std::path::Path;
use std::process::ExitCode;

use xuepei_office::read::Source;
use xuepei_store::Actor;
use xuepei_store::db::{self, DbOptions};
use xuepei_store::{DatabaseConnection, Scope, org};
use xuepei_web::AppState;
use xuepei_web::jobs::{self, ImportFailure, Stage};
use xuepei_web::kinds;

use crate::config::Config;

pub async fn connect(cfg: &Config) -> Result<DatabaseConnection, String> {
    if let Some(file) = sqlite_file(&cfg.database_url).filter(|f| !cfg.create_database && !f.exists()) {
        return Err(format!(
            "数据库文件 {} 不存在，未执行任何操作。\n\
             如要使用演示数据库，请加参数 --database-url sqlite://{}（或设置环境变量 XUEPEI_DATABASE_URL）；\n\
             如确要新建一个空数据库，请加参数 --create-database，或先运行 xuepei migrate。",
            file.display(),
            cfg.data_dir.join("demo.db").display()
        ));
    }
    eprintln!("数据库：{}", redact(&cfg.database_url));
    let opts = DbOptions { max_connections: cfg.max_connections, ..Default::default() };
    let conn = db::connect(&cfg.database_url, &opts).await.map_err(|e| e.to_string())?;
    db::migrate(&conn).await.map_err(|e| format!("数据库迁移失败：{e}"))?;
    Ok(conn)
}

/// The file of a SQLite URL (None for other backends and in-memory databases).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or_default();
    (!file.is_empty() && file != ":memory:").then(|| std::path::PathBuf::from(file))
}

/// A database URL without its password, to print.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
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
    let housekeeping = tokio::spawn(housekeeping(conn.clone(), cfg.clone()));
    let state = AppState::new(conn, cfg.web(), cfg.policy.clone());
    xuepei_web::serve(listener, state, shutdown_signal()).await.map_err(|e| e.to_string())?;
    housekeeping.abort();
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Daily: archive audit entries past retention to files (never dropping them), and remove
/// abandoned uploads.
async fn housekeeping(conn: DatabaseConnection, cfg: Config) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(24 * 3600));
    loop {
        tick.tick().await;
        let cutoff = chrono::Utc::now() - chrono::Duration::days(cfg.audit_retention_days);
        match xuepei_store::audit::archive_before(&conn, cutoff, &cfg.data_dir.join("audit-archive")).await {
            Ok(Some((file, n))) => tracing::info!(entries = n, file = %file.display(), "audit entries archived"),
            Ok(None) => {}
            Err(e) => tracing::error!(error = %e, "audit archiving failed"),
        }
        let _ = xuepei_store::uploads::purge_before(&conn, chrono::Utc::now() - chrono::Duration::hours(24)).await;
    }
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

/// Rows between two progress lines of a long import.
pub const PROGRESS_EVERY: u64 = 10_000;

/// Progress on standard error: a line every [`PROGRESS_EVERY`] rows, one when the rows are
/// all read (for a long file), and one every half minute while nothing else was said.
fn progress_lines(dry_run: bool) -> (jobs::Progress, tokio::task::JoinHandle<()>) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};
    let started = std::time::Instant::now();
    let said = Arc::new(AtomicU64::new(0));
    let last = said.clone();
    let progress = jobs::Progress::reporting(PROGRESS_EVERY, move |stage, rows| {
        let secs = started.elapsed().as_secs();
        match stage {
            Stage::Reading => eprintln!("进度：已读取并检查{rows}行（{secs}秒）"),
            Stage::Writing if rows >= PROGRESS_EVERY => {
                let what = if dry_run { "正在与已有数据核对" } else { "正在核对并写入数据库" };
                eprintln!("进度：共读取{rows}行，{what}……");
            }
            Stage::Writing | Stage::Done => return,
        }
        last.store(secs, Ordering::Relaxed);
    });
    let watched = progress.clone();
    let ticker = tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(30));
        tick.tick().await;
        loop {
            tick.tick().await;
            let secs = started.elapsed().as_secs();
            if watched.stage() != Stage::Done && secs >= said.load(Ordering::Relaxed) + 30 {
                eprintln!("进度：仍在处理，已读取{}行（{secs}秒）", watched.rows());
                said.store(secs, Ordering::Relaxed);
            }
        }
    });
    (progress, ticker)
}

pub async fn import(
    cfg: &Config,
    kind: &str,
    file: &Path,
    dry_run: bool,
    org_code: Option<&str>,
) -> Result<ExitCode, String> {
    let kind = kinds::lookup(kind)?;
    jobs::check_readable(file).map_err(|e| e.to_string())?;
    let conn = connect(cfg).await?;
    let scope = scope_of(&conn, org_code).await?;
    let started = std::time::Instant::now();
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let job =
        jobs::ImportJob { kind, source: Source::Path(file.to_owned()), name, dry_run, settings: cfg.import.clone() };
    let (progress, ticker) = progress_lines(dry_run);
    let outcome = jobs::import_with(&conn, &scope, &Actor::operator("命令行"), job, &progress).await;
    ticker.abort();
    let outcome = match outcome {
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
        kind = kind.code(),
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

/// Exports every record of a kind in the scope (dissolved ones too) to `out`.
pub async fn export(cfg: &Config, kind: &str, out: &Path, org_code: Option<&str>) -> Result<ExitCode, String> {
    let kind = kinds::lookup(kind)?;
    let conn = connect(cfg).await?;
    let scope = scope_of(&conn, org_code).await?;
    let n = kind.export(&conn, &scope, &kind.whole_query(), out).await.map_err(|e| e.to_string())?;
    println!("已导出{n}行（{}）到 {}", kind.export_title(), out.display());
    Ok(ExitCode::SUCCESS)
}

pub async fn backup(cfg: &Config, out: &Path) -> Result<ExitCode, String> {
    let conn = connect(cfg).await?;
    db::backup(&conn, &cfg.database_url, out).await.map_err(|e| e.to_string())?;
    let size = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    println!("已备份到 {}（{:.1} MB）", out.display(), size as f64 / 1_048_576.0);
    Ok(ExitCode::SUCCESS)
}

/// `xuepei user …`: the operator's account tools (the first administrators are made here).
pub mod user {
    use std::process::ExitCode;

    use xuepei_domain::accounts::AccountRoles;
    use xuepei_store::accounts::{self, NewAccount};
    use xuepei_store::{Actor, Scope, Tx, org};

    use super::connect;
    use crate::config::Config;

    fn actor() -> Actor {
        Actor::operator("命令行")
    }

    /// A random password that meets the rules.
    pub fn random_password() -> String {
        let h = accounts::random_hex(8);
        format!("Xp-{}{}", &h[..8], h[8..].to_uppercase())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn add(
        cfg: &Config,
        username: &str,
        name: &str,
        roles: &str,
        scope_code: &str,
        org_code: Option<&str>,
        password: Option<String>,
        must_change: bool,
    ) -> Result<ExitCode, String> {
        let conn = connect(cfg).await?;
        let sys = Scope::system();
        let roles = AccountRoles::parse(roles)?;
        let scope_org = org::get_by_code(&conn, &sys, &scope_code.to_ascii_uppercase())
            .await
            .map_err(|_| format!("未找到组织代码“{scope_code}”"))?;
        let org_id = match org_code {
            Some(c) => {
                org::get_by_code(&conn, &sys, &c.to_ascii_uppercase())
                    .await
                    .map_err(|_| format!("未找到组织代码“{c}”"))?
                    .id
            }
            None => scope_org.id,
        };
        let generated = password.is_none();
        let password = password.unwrap_or_else(random_password);
        let tx = Tx::begin(&conn, &sys, &actor()).await.map_err(|e| e.to_string())?;
        let new = NewAccount {
            username: username.to_owned(),
            display_name: name.to_owned(),
            person_id: None,
            org_id,
            scope_org_id: scope_org.id,
            roles,
            password: password.clone(),
            must_change_password: must_change,
        };
        let a = accounts::create(&tx, &new).await.map_err(super::explain)?;
        tx.commit().await.map_err(|e| e.to_string())?;
        println!("已创建账号 {}（{}，管理范围：{}）", a.username, a.roles.labels(), scope_org.name);
        if generated {
            println!("初始密码：{password}");
        }
        if must_change {
            println!("首次登录须修改密码。");
        }
        Ok(ExitCode::SUCCESS)
    }

    pub async fn reset(cfg: &Config, username: &str, password: Option<String>) -> Result<ExitCode, String> {
        let conn = connect(cfg).await?;
        let a = accounts::by_username(&conn, username).await.map_err(|_| format!("账号“{username}”不存在"))?;
        let generated = password.is_none();
        let password = password.unwrap_or_else(random_password);
        let tx = Tx::begin(&conn, &Scope::system(), &actor()).await.map_err(|e| e.to_string())?;
        accounts::set_password(&tx, a.id, &password, true).await.map_err(super::explain)?;
        accounts::set_lock(&tx, a.id, None).await.map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        println!(
            "已重置账号 {} 的密码并解锁{}，下次登录须修改密码。",
            a.username,
            if generated { format!("，临时密码：{password}") } else { String::new() }
        );
        Ok(ExitCode::SUCCESS)
    }

    pub async fn lock(cfg: &Config, username: &str, locked: bool) -> Result<ExitCode, String> {
        let conn = connect(cfg).await?;
        let a = accounts::by_username(&conn, username).await.map_err(|_| format!("账号“{username}”不存在"))?;
        let tx = Tx::begin(&conn, &Scope::system(), &actor()).await.map_err(|e| e.to_string())?;
        accounts::set_lock(&tx, a.id, locked.then(accounts::indefinitely)).await.map_err(|e| e.to_string())?;
        tx.commit().await.map_err(|e| e.to_string())?;
        println!("{}账号 {}", if locked { "已锁定" } else { "已解锁" }, a.username);
        Ok(ExitCode::SUCCESS)
    }

    pub async fn list(cfg: &Config) -> Result<ExitCode, String> {
        let conn = connect(cfg).await?;
        let mut after: Option<String> = None;
        loop {
            let page =
                accounts::list(&conn, &Scope::system(), None, xuepei_store::page::At::after(after.as_deref()), 500)
                    .await
                    .map_err(|e| e.to_string())?;
            for a in &page.items {
                let state = if !a.active {
                    "停用"
                } else if a.is_locked(chrono::Utc::now()) {
                    "锁定"
                } else {
                    "正常"
                };
                println!("{}\t{}\t{}\t{}", a.username, a.display_name, a.roles.labels(), state);
            }
            match page.next {
                Some(n) => after = Some(n),
                None => break,
            }
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// `xuepei audit …`: verification, archiving and export of the trail.
pub mod audit {
    use std::path::Path;
    use std::process::ExitCode;

    use xuepei_store::Scope;
    use xuepei_store::audit;

    use super::connect;
    use crate::config::Config;

    pub async fn verify(cfg: &Config) -> Result<ExitCode, String> {
        let conn = connect(cfg).await?;
        let r = audit::verify(&conn).await.map_err(|e| e.to_string())?;
        match r.first_bad {
            None => {
                println!("审计日志完整：第{}条至第{}条共{}条记录，链条校验通过。", r.first_seq, r.last_seq, r.checked);
                println!("链头哈希（请另行留存，用于发现末尾记录被整体删除）：第{}条 {}", r.last_seq, r.last_hash);
                Ok(ExitCode::SUCCESS)
            }
            Some((seq, why)) => {
                println!("审计日志校验未通过：{why}。第一处问题在第{seq}条（之前{}条完好）。", r.checked);
                Ok(ExitCode::FAILURE)
            }
        }
    }

    pub async fn archive(cfg: &Config, days: Option<i64>, dir: Option<&Path>) -> Result<ExitCode, String> {
        let conn = connect(cfg).await?;
        let days = days.unwrap_or(cfg.audit_retention_days);
        let dir = dir.map(Path::to_path_buf).unwrap_or_else(|| cfg.data_dir.join("audit-archive"));
        let cutoff = chrono::Utc::now() - chrono::Duration::days(days);
        match audit::archive_before(&conn, cutoff, &dir).await.map_err(|e| e.to_string())? {
            Some((file, n)) => println!("已将{n}条{days}天前的审计记录归档到 {}", file.display()),
            None => println!("没有{days}天前的审计记录需要归档"),
        }
        Ok(ExitCode::SUCCESS)
    }

    pub async fn export(cfg: &Config, out: &Path) -> Result<ExitCode, String> {
        let conn = connect(cfg).await?;
        let n = xuepei_web::exports::audit_xlsx(&conn, &Scope::system(), &Default::default(), out)
            .await
            .map_err(|e| e.to_string())?;
        println!("已导出{n}条审计记录到 {}", out.display());
        Ok(ExitCode::SUCCESS)
    }
}

/// `xuepei token …`: API tokens issued by the server's operator (for scripts and other
/// systems), audited like those issued on the web page.
pub mod token {
    use std::process::ExitCode;

    use xuepei_store::{Actor, Scope, Tx, org, tokens};

    use super::connect;
    use crate::config::Config;

    pub async fn issue(
        cfg: &Config,
        org_code: &str,
        write: bool,
        days: Option<i64>,
        name: Option<&str>,
    ) -> Result<ExitCode, String> {
        if days.is_some_and(|d| d <= 0 || d > 3660) {
            return Err("--days 须为1至3660之间的天数（不指定则长期有效）".into());
        }
        let conn = connect(cfg).await?;
        let sys = Scope::system();
        let o = org::get_by_code(&conn, &sys, &org_code.to_ascii_uppercase())
            .await
            .map_err(|_| format!("未找到组织代码“{org_code}”"))?;
        let name = name.map_or_else(|| format!("命令行签发（{}）", o.display_name()), str::to_owned);
        let tx = Tx::begin(&conn, &sys, &Actor::operator("命令行")).await.map_err(|e| e.to_string())?;
        let (tok, secret) =
            tokens::issue(&tx, &name, o.id, write, days, tokens::OPERATOR_ISSUER).await.map_err(super::explain)?;
        tx.commit().await.map_err(|e| e.to_string())?;
        println!(
            "已签发接口令牌 #{}“{}”：{}，范围：{}（{}），{}。令牌只显示这一次，请妥善保存：",
            tok.id,
            tok.name,
            if tok.can_write { "可读写" } else { "只读" },
            o.display_name(),
            o.code,
            tok.expires_at
                .map_or_else(|| "长期有效".to_owned(), |e| format!("有效期至{}", xuepei_domain::time::minute(e))),
        );
        println!("{secret}");
        Ok(ExitCode::SUCCESS)
    }

    pub async fn list(cfg: &Config) -> Result<ExitCode, String> {
        let conn = connect(cfg).await?;
        let sys = Scope::system();
        let all = tokens::list(&conn, &sys).await.map_err(|e| e.to_string())?;
        let orgs = org::get_many(&conn, &sys, &all.iter().map(|t| t.scope_org_id).collect::<Vec<_>>())
            .await
            .map_err(|e| e.to_string())?;
        println!("编号\t名称\t前缀\t权限\t范围\t状态\t最近使用");
        let now = chrono::Utc::now();
        for t in &all {
            let state = if t.revoked_at.is_some() {
                "已吊销".to_owned()
            } else if !t.usable(now) {
                "已过期".to_owned()
            } else {
                t.expires_at.map_or_else(|| "有效".to_owned(), |e| format!("有效至{}", xuepei_domain::time::minute(e)))
            };
            println!(
                "{}\t{}\t{}…\t{}\t{}\t{}\t{}",
                t.id,
                t.name,
                t.prefix,
                if t.can_write { "读写" } else { "只读" },
                orgs.get(&t.scope_org_id).map_or("", |o| o.display_name()),
                state,
                t.last_used_at.map_or_else(|| "未使用".to_owned(), xuepei_domain::time::minute),
            );
        }
        if all.is_empty() {
            println!("（没有接口令牌）");
        }
        Ok(ExitCode::SUCCESS)
    }

    pub async fn revoke(cfg: &Config, id: i64) -> Result<ExitCode, String> {
        let conn = connect(cfg).await?;
        let tx = Tx::begin(&conn, &Scope::system(), &Actor::operator("命令行")).await.map_err(|e| e.to_string())?;
        let tok = tokens::revoke(&tx, id).await.map_err(|_| format!("接口令牌 #{id} 不存在"))?;
        tx.commit().await.map_err(|e| e.to_string())?;
        println!("已吊销接口令牌 #{}“{}”", tok.id, tok.name);
        Ok(ExitCode::SUCCESS)
    }
}

/// A store error as one line for the operator, with field messages spelled out.
pub fn explain(e: xuepei_store::StoreError) -> String {
    match e {
        xuepei_store::StoreError::Invalid(errs) => {
            errs.iter().map(|f| format!("{}：{}", f.field, f.message)).collect::<Vec<_>>().join("；")
        }
        other => other.to_string(),
    }
}
