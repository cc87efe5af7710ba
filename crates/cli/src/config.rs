//! Configuration: command-line flags, then environment (`XUEPEI_*`), then an optional TOML
//! file (`--config`, `XUEPEI_CONFIG`, or `./xuepei.toml` when present), then defaults.

use std::path::{Path, PathBuf};

use std::time::Duration;

use serde::Deserialize;
use xuepei_office::{ChildLimits, Isolation, ReadOptions};
use xuepei_store::accounts::SecurityPolicy;
use xuepei_web::jobs::ImportSettings;

/// The TOML file's keys; all optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub upload_limit_mb: Option<usize>,
    pub max_connections: Option<u32>,
    pub lockout_threshold: Option<i32>,
    pub lockout_minutes: Option<i64>,
    pub idle_minutes: Option<i64>,
    pub password_max_age_days: Option<i64>,
    pub login_throttle_address: Option<i32>,
    pub login_throttle_username: Option<i32>,
    pub login_throttle_minutes: Option<i64>,
    pub id_check_alert_per_day: Option<u32>,
    pub audit_retention_days: Option<i64>,
    pub cookie_secure: Option<bool>,
    pub trust_proxy: Option<bool>,
    pub metrics_public: Option<bool>,
    pub public_url: Option<String>,
    /// `[import]`: limits on files to import.
    pub import: Option<ImportFileConfig>,
}

/// The `[import]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportFileConfig {
    pub max_people_rows: Option<u64>,
    pub max_org_rows: Option<u64>,
    pub max_unpacked_mb: Option<u64>,
    pub max_compression_ratio: Option<u64>,
    pub reader_memory_mb: Option<u64>,
    pub reader_cpu_seconds: Option<u64>,
    pub reader_timeout_seconds: Option<u64>,
    pub max_readers: Option<usize>,
    pub reader_queue_seconds: Option<u64>,
}

impl ImportFileConfig {
    /// The settings, with the reader process being this executable.
    fn settings(&self) -> ImportSettings {
        let d = ImportSettings::default();
        let mut limits = d.read.limits.clone();
        if let Some(mb) = self.max_unpacked_mb {
            limits.max_unpacked_bytes = mb.max(1).saturating_mul(1 << 20);
        }
        if let Some(r) = self.max_compression_ratio {
            limits.max_ratio = r.max(10);
        }
        let c = ChildLimits::default();
        let child = ChildLimits {
            program: std::env::current_exe().ok(),
            memory_mb: self.reader_memory_mb.unwrap_or(c.memory_mb).max(256),
            cpu_seconds: self.reader_cpu_seconds.unwrap_or(c.cpu_seconds).max(1),
            idle_timeout: self.reader_timeout_seconds.map_or(c.idle_timeout, |s| Duration::from_secs(s.max(1))),
            max_readers: self.max_readers.unwrap_or(c.max_readers).max(1),
            queue_timeout: self.reader_queue_seconds.map_or(c.queue_timeout, Duration::from_secs),
        };
        ImportSettings {
            people_rows: self.max_people_rows.unwrap_or(d.people_rows).max(1),
            org_rows: self.max_org_rows.unwrap_or(d.org_rows).max(1),
            read: ReadOptions { limits, isolation: Isolation::Child(child) },
        }
    }
}

/// The settings a command runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub listen: String,
    pub data_dir: PathBuf,
    pub upload_limit_mb: usize,
    pub max_connections: u32,
    pub policy: SecurityPolicy,
    /// Audit entries older than this are archived to files (default 184 days, 网络安全法 ≥ 6 months).
    pub audit_retention_days: i64,
    pub cookie_secure: bool,
    pub trust_proxy: bool,
    pub metrics_public: bool,
    /// The address users reach the server at, for QR codes printed on paper.
    pub public_url: Option<String>,
    /// Row limits and the reader process of imports (`[import]`).
    pub import: ImportSettings,
    /// A SQLite file that does not exist yet may be created (serve, migrate, demo, or
    /// `--create-database`); other commands refuse, so a mistyped path or the default
    /// database beside the demo's is not silently a new empty one.
    pub create_database: bool,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_DATA_DIR: &str = "./data";
pub const DEFAULT_UPLOAD_LIMIT_MB: usize = 50;
pub const DEFAULT_AUDIT_RETENTION_DAYS: i64 = 184;

/// Values given on the command line or in the environment (clap reads both).
#[derive(Debug, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub create_database: bool,
    /// `XUEPEI_PUBLIC_URL`.
    pub public_url: Option<String>,
}

impl Config {
    pub fn web(&self) -> xuepei_web::WebConfig {
        xuepei_web::WebConfig {
            upload_limit: self.upload_limit_mb * 1024 * 1024,
            cookie_secure: self.cookie_secure,
            trust_proxy: self.trust_proxy,
            metrics_public: self.metrics_public,
            public_url: self.public_url.clone(),
            import: self.import.clone(),
        }
    }

    pub fn load(o: Overrides) -> Result<Config, String> {
        let file = match &o.config {
            Some(p) => Some(read(p)?),
            None if Path::new("xuepei.toml").exists() => Some(read(Path::new("xuepei.toml"))?),
            None => None,
        }
        .unwrap_or_default();
        let data_dir = o.data_dir.or(file.data_dir).unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR));
        let database_url = o
            .database_url
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", data_dir.join("xuepei.db").display()));
        Ok(Config {
            database_url,
            listen: o.listen.or(file.listen).unwrap_or_else(|| DEFAULT_LISTEN.to_owned()),
            data_dir,
            upload_limit_mb: file.upload_limit_mb.unwrap_or(DEFAULT_UPLOAD_LIMIT_MB),
            max_connections: file.max_connections.unwrap_or(16),
            policy: {
                let d = SecurityPolicy::default();
                SecurityPolicy {
                    lockout_threshold: file.lockout_threshold.unwrap_or(d.lockout_threshold).max(1),
                    lockout_minutes: file.lockout_minutes.unwrap_or(d.lockout_minutes).max(1),
                    idle_minutes: file.idle_minutes.unwrap_or(d.idle_minutes).max(1),
                    password_max_age_days: file.password_max_age_days.unwrap_or(d.password_max_age_days).max(0),
                    throttle_address_failures: file
                        .login_throttle_address
                        .unwrap_or(d.throttle_address_failures)
                        .max(1),
                    throttle_name_failures: file.login_throttle_username.unwrap_or(d.throttle_name_failures).max(1),
                    throttle_minutes: file.login_throttle_minutes.unwrap_or(d.throttle_minutes).max(1),
                    id_check_daily_alert: file.id_check_alert_per_day.unwrap_or(d.id_check_daily_alert),
                }
            },
            audit_retention_days: file.audit_retention_days.unwrap_or(DEFAULT_AUDIT_RETENTION_DAYS).max(1),
            cookie_secure: file.cookie_secure.unwrap_or(false),
            trust_proxy: file.trust_proxy.unwrap_or(false),
            metrics_public: file.metrics_public.unwrap_or(false),
            public_url: match o.public_url.or(file.public_url) {
                Some(u) => Some(public_url(&u)?),
                None => None,
            },
            import: file.import.unwrap_or_default().settings(),
            create_database: o.create_database,
        })
    }
}

/// The public address as configured: http(s), a host, no path, query or trailing slash.
fn public_url(u: &str) -> Result<String, String> {
    let u = u.trim().trim_end_matches('/');
    let host = u.strip_prefix("https://").or_else(|| u.strip_prefix("http://")).unwrap_or_default();
    let ok = !host.is_empty()
        && host.len() < 200
        && host.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b));
    if ok {
        Ok(u.to_owned())
    } else {
        Err(format!("public_url “{u}”有误：应为 https://域名 或 http://地址:端口 的形式，不含路径"))
    }
}

fn read(p: &Path) -> Result<FileConfig, String> {
    let text = std::fs::read_to_string(p).map_err(|e| format!("无法读取配置文件 {}：{e}", p.display()))?;
    toml::from_str(&text).map_err(|e| format!("配置文件 {} 有误：{e}", p.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_beat_file_beat_defaults() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.toml");
        std::fs::write(&p, "listen = \"0.0.0.0:9000\"\ndatabase_url = \"postgres://a@b/c\"\nupload_limit_mb = 5\n")
            .expect("write");
        let c = Config::load(Overrides { config: Some(p.clone()), ..Default::default() }).expect("load");
        assert_eq!(c.listen, "0.0.0.0:9000");
        assert_eq!(c.database_url, "postgres://a@b/c");
        assert_eq!(c.upload_limit_mb, 5);
        let c = Config::load(Overrides { config: Some(p), listen: Some("127.0.0.1:1".into()), ..Default::default() })
            .expect("load");
        assert_eq!(c.listen, "127.0.0.1:1");
        let c = Config::load(Overrides { data_dir: Some("/srv/x".into()), ..Default::default() }).expect("load");
        assert_eq!(c.database_url, "sqlite:///srv/x/xuepei.db?mode=rwc");
    }

    #[test]
    fn import_limits_come_from_the_import_table() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.toml");
        let d = Config::load(Overrides::default()).expect("load");
        assert_eq!((d.import.people_rows, d.import.org_rows), (1_000_000, 200_000));
        std::fs::write(
            &p,
            "[import]\nmax_people_rows = 5000\nmax_org_rows = 300\nmax_unpacked_mb = 64\nreader_memory_mb = 512\nreader_timeout_seconds = 9\nmax_readers = 3\n",
        )
        .expect("write");
        let c = Config::load(Overrides { config: Some(p.clone()), ..Default::default() }).expect("load");
        let web = c.web().import;
        assert_eq!((web.people_rows, web.org_rows), (5000, 300));
        let people = web.options(xuepei_web::jobs::ImportKind::People);
        assert_eq!(people.limits.max_rows, 5000);
        assert_eq!(people.limits.max_unpacked_bytes, 64 << 20);
        match people.isolation {
            Isolation::Child(c) => {
                assert_eq!((c.memory_mb, c.idle_timeout, c.max_readers), (512, Duration::from_secs(9), 3));
                assert_eq!(c.program, std::env::current_exe().ok(), "the reader is this executable");
            }
            Isolation::InProcess => panic!("imports are parsed in a child process"),
        }
        std::fs::write(&p, "[import]\nmax_rows = 1\n").expect("write");
        assert!(Config::load(Overrides { config: Some(p), ..Default::default() }).is_err(), "unknown keys are refused");
    }

    #[test]
    fn a_bad_file_is_explained() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("x.toml");
        std::fs::write(&p, "listne = 1\n").expect("write");
        let e = Config::load(Overrides { config: Some(p), ..Default::default() }).unwrap_err();
        assert!(e.contains("配置文件"), "{e}");
    }
}
