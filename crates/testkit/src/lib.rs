//! Test support: a database per test on the backend named by `TEST_DATABASE_URL` (a
//! temporary SQLite file when unset), copied from a template made once per build; the
//! application on a random port; real spreadsheet files built on the fly.

pub mod browser;
pub mod files;
pub mod hostile;
mod testdb;

pub use testdb::TestDb;

use tokio::sync::oneshot;
use xuepei_office::{ChildLimits, Isolation};
use xuepei_store::DatabaseConnection;
use xuepei_store::accounts::SecurityPolicy;
use xuepei_store::page::At;
use xuepei_web::jobs::ImportSettings;
use xuepei_web::{AppState, WebConfig};

/// The `xuepei` executable built with the tests (it parses imported files in a child
/// process): `NEXTEST_BIN_EXE_xuepei` or `CARGO_BIN_EXE_xuepei` when set at run time, else
/// `target/<profile>/xuepei` beside the test binary in `target/<profile>/deps/`.
pub fn xuepei_bin() -> Option<std::path::PathBuf> {
    let exe = if cfg!(windows) { "xuepei.exe" } else { "xuepei" };
    ["NEXTEST_BIN_EXE_xuepei", "CARGO_BIN_EXE_xuepei"]
        .iter()
        .filter_map(|v| std::env::var_os(v).map(std::path::PathBuf::from))
        .chain(std::env::current_exe().ok().and_then(|t| Some(t.parent()?.parent()?.join(exe))))
        .find(|p| p.is_file())
}

/// Import settings for tests: the defaults, with the reader being the `xuepei` executable.
pub fn import_settings() -> ImportSettings {
    let mut s = ImportSettings::default();
    s.read.isolation = Isolation::Child(ChildLimits { program: xuepei_bin(), ..ChildLimits::default() });
    s
}

/// The application served on a random loopback port.
#[derive(Debug)]
pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub client: reqwest::Client,
    /// A client that does not follow redirects, to check them.
    pub raw: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    csrf_token: std::sync::Mutex<Option<String>>,
}

/// The value of the first hidden `_csrf` field of a page.
pub fn hidden_csrf(page: &str) -> Option<String> {
    let key = "name=\"_csrf\" value=\"";
    let i = page.find(key)?;
    let rest = &page[i + key.len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

impl TestApp {
    pub async fn spawn(db: &TestDb) -> TestApp {
        Self::spawn_with(db, WebConfig::default()).await
    }

    pub async fn spawn_with(db: &TestDb, config: WebConfig) -> TestApp {
        Self::spawn_full(db, config, SecurityPolicy::default()).await
    }

    pub async fn spawn_full(db: &TestDb, mut config: WebConfig, policy: SecurityPolicy) -> TestApp {
        // The test binary is not the reader: point imports at the `xuepei` executable.
        if let Isolation::Child(c) = &mut config.import.read.isolation
            && c.program.is_none()
        {
            c.program = xuepei_bin();
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let state = AppState::new(db.conn.clone(), config, policy);
        let (stop, stopped) = oneshot::channel::<()>();
        let s = state.clone();
        tokio::spawn(async move {
            let _ = xuepei_web::serve(listener, s, async move {
                let _ = stopped.await;
            })
            .await;
        });
        // Both clients share one cookie jar, hence one session.
        let jar = std::sync::Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder().cookie_provider(jar.clone()).build().expect("client");
        let raw = reqwest::Client::builder()
            .cookie_provider(jar)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        TestApp {
            base: format!("http://{addr}"),
            state,
            client,
            raw,
            stop: Some(stop),
            csrf_token: std::sync::Mutex::new(None),
        }
    }

    /// Signs in; returns the status of the sign-in POST (303 on success).
    pub async fn login(&self, username: &str, password: &str) -> u16 {
        let page = self.raw.get(self.url("/login")).send().await.expect("login page").text().await.expect("body");
        let token = hidden_csrf(&page).expect("login form has a CSRF field");
        let r = self
            .raw
            .post(self.url("/login"))
            .form(&[("_csrf", token.as_str()), ("username", username), ("password", password), ("next", "/")])
            .send()
            .await
            .expect("login");
        *self.csrf_token.lock().expect("lock") = None;
        r.status().as_u16()
    }

    /// The session's CSRF token, read from a page once.
    pub async fn csrf(&self) -> String {
        if let Some(t) = self.csrf_token.lock().expect("lock").clone() {
            return t;
        }
        let page = self.raw.get(self.url("/account/password")).send().await.expect("page").text().await.expect("body");
        let t = hidden_csrf(&page).unwrap_or_default();
        *self.csrf_token.lock().expect("lock") = Some(t.clone());
        t
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET, returning status and body text.
    pub async fn get(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.url(path)).send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    /// POST a form (with the session's CSRF token) without following the redirect; returns
    /// status, Location and body.
    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, Option<String>, String) {
        let token = self.csrf().await;
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        fields.extend_from_slice(form);
        let r = self.raw.post(self.url(path)).form(&fields).send().await.expect("request");
        let status = r.status().as_u16();
        let loc = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        (status, loc, r.text().await.expect("body"))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
    }
}

/// Someone on the roster of the organisation `code` or below it.
pub async fn someone_under(db: &DatabaseConnection, code: &str) -> xuepei_store::people::Person {
    use xuepei_store::people::{self, PersonFilter, PersonSort};
    use xuepei_store::{Scope, org};
    let o = org::get_by_code(db, &Scope::system(), code).await.expect("organisation");
    let f = PersonFilter { under: Some(o.id), ..Default::default() };
    people::list(db, &Scope::system(), &f, PersonSort::Org, At::First, 1).await.expect("list").items.remove(0).person
}
