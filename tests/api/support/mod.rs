//! The test harness: a real database, the real router driven with
//! `oneshot` (no socket), and a named fixture.
//!
//! The database is a SQLite file in a temp dir, or, when
//! `TICKETING_TEST_DATABASE_URL` names a PostgreSQL server (a database
//! there that the test role may create databases from), a database of the
//! test's own, created from a template migrated once per run. The suite
//! runs once per backend (`scripts/test`); tests of what only one backend
//! has say so and skip on the other (see [`sqlite_only`]).

#![allow(dead_code)]

pub mod pg;
pub mod process;
pub mod smtp;

use std::{net::SocketAddr, path::PathBuf};

use axum::{
    Router,
    body::Body,
    extract::connect_info::MockConnectInfo,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

use ticketing::{
    access::Acting,
    app::AppState,
    config::Config,
    domain::{AccountKind, Actor, AdminId, AdminRole, AuditMeta, CompanyId, Email, Name, Subject},
    service::accounts::{Credential, NewAdmin, NewUser},
};

pub const SECRET: &str = "test-secret-that-is-long-enough-0123456789";
pub const PASSWORD: &str = "correct horse battery";

/// A running app over a fresh database.
pub struct TestApp {
    pub state: AppState,
    pub router: Router,
    _dir: tempfile::TempDir,
    pub db_path: PathBuf,
    /// The test's own PostgreSQL database, when the suite runs on PostgreSQL.
    pub pg_url: Option<String>,
}

/// Whether this run of the suite is on PostgreSQL.
pub fn on_postgres() -> bool {
    pg::server_url().is_some()
}

/// Skips the calling test on SQLite, saying why; true when skipped. For
/// what only several writers at once can show.
pub fn postgres_only(what: &str) -> bool {
    if !on_postgres() {
        eprintln!("skipped on SQLite (PostgreSQL only: {what})");
        return true;
    }
    false
}

/// Skips the calling test on PostgreSQL, saying why; true when skipped.
/// For what only SQLite has (its file, its query planner, its lock file).
pub fn sqlite_only(what: &str) -> bool {
    if on_postgres() {
        eprintln!("skipped on PostgreSQL (SQLite only: {what})");
        return true;
    }
    false
}

/// A cheap argon2 cost so tests stay fast; production uses OWASP's.
pub fn test_config(dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.database.path = dir.join("test.db");
    config.auth.secret = SECRET.into();
    config.auth.password.memory_kib = 256;
    config.auth.password.iterations = 1;
    config.auth.rate_limit.per_address_per_minute = 10_000;
    config.auth.rate_limit.per_email_per_minute = 10_000;
    config.metrics.enabled = true;
    // Load tests write fast; the write limit has its own tests.
    config.limits.writes_per_minute = 0;
    config
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_config(|_| {}).await
    }

    pub async fn with_config(change: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = test_config(dir.path());
        let pg_url = pg::server_url().map(|_| pg::fresh_database());
        if let Some(url) = &pg_url {
            config.database.url = url.clone();
            config.database.pool_size = 8;
        }
        change(&mut config);
        let pg_url = pg_url.filter(|_| config.database.is_postgres()).map(|_| config.database.url.clone());
        let db_path = config.database.path.clone();
        let state = AppState::open(config).expect("app opens");
        let router =
            ticketing::http::router(state.clone()).layer(MockConnectInfo(SocketAddr::from(([127, 0, 0, 1], 40000))));
        TestApp { state, router, _dir: dir, db_path, pg_url }
    }

    pub fn req(&self, method: Method, path: &str) -> Req<'_> {
        Req { app: self, method, path: path.to_string(), headers: Vec::new(), body: None, peer: None }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.req(Method::GET, path)
    }

    pub fn post(&self, path: &str, body: Value) -> Req<'_> {
        self.req(Method::POST, path).json(body)
    }

    pub fn patch(&self, path: &str, body: Value) -> Req<'_> {
        self.req(Method::PATCH, path).json(body)
    }

    pub fn put(&self, path: &str, body: Value) -> Req<'_> {
        self.req(Method::PUT, path).json(body)
    }

    /// A token as the server would issue it at login.
    pub fn user_token(&self, id: i64) -> String {
        let version = self.sql_i64(&format!("SELECT token_version FROM users WHERE id = {id}"));
        self.state.keys.issue(AccountKind::User, id, version).expect("token").0
    }

    pub fn admin_token(&self, id: i64) -> String {
        let version = self.sql_i64(&format!("SELECT token_version FROM platform_admins WHERE id = {id}"));
        self.state.keys.issue(AccountKind::Admin, id, version).expect("token").0
    }

    /// Runs one integer-valued query on a side connection (a boolean
    /// counts as 0 or 1).
    pub fn sql_i64(&self, sql: &str) -> i64 {
        if let Some(url) = &self.pg_url {
            return pg::first_i64(url, sql);
        }
        let conn = rusqlite::Connection::open(&self.db_path).expect("open");
        conn.query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    /// Runs one text-valued query on a side connection (JSON as its text).
    pub fn sql_text(&self, sql: &str) -> String {
        if let Some(url) = &self.pg_url {
            return pg::first_text(url, sql);
        }
        let conn = rusqlite::Connection::open(&self.db_path).expect("open");
        conn.query_row(sql, [], |r| r.get(0)).expect(sql)
    }

    pub fn sql_exec(&self, sql: &str) {
        if let Some(url) = &self.pg_url {
            return pg::exec(url, sql);
        }
        let conn = rusqlite::Connection::open(&self.db_path).expect("open");
        conn.execute_batch(sql).expect(sql);
    }

    pub fn count(&self, table: &str) -> i64 {
        self.sql_i64(&format!("SELECT count(*) FROM {table}"))
    }

    pub fn audit_count(&self, action: &str) -> i64 {
        self.sql_i64(&format!("SELECT count(*) FROM platform_audit_log WHERE action = '{action}'"))
    }

    /// Everything a request could write to, for "nothing was written" checks.
    pub fn write_counts(&self) -> [i64; 4] {
        [
            self.count("tickets"),
            self.count("ticket_messages"),
            self.count("platform_audit_log"),
            self.count("ticket_coverage"),
        ]
    }
}

/// A request being built.
pub struct Req<'a> {
    app: &'a TestApp,
    method: Method,
    path: String,
    headers: Vec<(String, String)>,
    body: Option<Vec<u8>>,
    peer: Option<SocketAddr>,
}

impl<'a> Req<'a> {
    /// Sends the request as if from this address (default 127.0.0.1).
    pub fn sent_from(mut self, ip: &str) -> Self {
        self.peer = Some(SocketAddr::new(ip.parse().expect("an IP address"), 40000));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub fn company(self, id: i64) -> Self {
        self.header("x-company-id", &id.to_string())
    }

    pub fn json(mut self, body: Value) -> Self {
        self.body = Some(body.to_string().into_bytes());
        self.header("content-type", "application/json")
    }

    pub fn raw_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }

    pub async fn send(self) -> Resp {
        let mut builder = Request::builder().method(self.method).uri(&self.path);
        for (k, v) in &self.headers {
            builder = builder.header(k, v);
        }
        let mut request = builder.body(self.body.map(Body::from).unwrap_or_else(Body::empty)).expect("request");
        if let Some(peer) = self.peer {
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
        }
        let response = self.app.router.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body").to_bytes().to_vec();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Resp { status, headers, bytes, json }
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub bytes: Vec<u8>,
    pub json: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts the status, showing the body when it is not the expected one.
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status.as_u16(), status, "body: {}", String::from_utf8_lossy(&self.bytes));
        self
    }

    /// Asserts a problem+json answer with this status and code.
    pub fn problem(self, status: u16, code: &str) -> Self {
        let resp = self.expect(status);
        assert_eq!(resp.header(header::CONTENT_TYPE.as_str()), Some("application/problem+json"));
        assert_eq!(resp.json["status"], status);
        assert_eq!(resp.json["code"], code, "{}", resp.json);
        assert!(resp.json["request_id"].is_string(), "problems carry the request id");
        resp
    }

    pub fn ids(&self) -> Vec<i64> {
        self.json["items"].as_array().expect("items").iter().map(|t| t["id"].as_i64().expect("id")).collect()
    }
}

/// The named fixture: two companies, a manager of each, a manager of both, a
/// disabled manager, an owner, an admin, three support agents and a disabled
/// admin; and three tickets.
pub struct Seed {
    pub acme: i64,
    pub globex: i64,
    pub acme_manager: i64,
    pub globex_manager: i64,
    pub both_manager: i64,
    pub disabled_manager: i64,
    pub owner: i64,
    pub admin: i64,
    /// Covers `billing`.
    pub support_billing: i64,
    /// Covers `website`.
    pub support_web: i64,
    /// Covers nothing; the billing ticket is assigned to them.
    pub support_assigned: i64,
    pub disabled_admin: i64,
    /// Acme, subject billing, assigned to `support_assigned`.
    pub acme_billing: i64,
    /// The opening message of `acme_billing`.
    pub acme_billing_opening: i64,
    /// Acme, subject website, unassigned.
    pub acme_web: i64,
    /// Globex, subject email, unassigned.
    pub globex_email: i64,
}

impl Seed {
    pub async fn new(app: &TestApp) -> Seed {
        let hash = app.state.hasher.hash(PASSWORD).expect("hash");
        let store = &app.state.store;
        let company = |name: &str| store.create_company(Name::parse(name).unwrap(), Actor::Cli, AuditMeta::default());
        let (acme, globex) = (company("Acme").await.unwrap(), company("Globex").await.unwrap());
        let user = |email: &str, name: &str, companies: &[CompanyId]| {
            let user = NewUser {
                email: Email::parse(email).unwrap(),
                name: Name::parse(name).unwrap(),
                credential: Credential::Password(hash.clone()),
                companies: companies.to_vec(),
            };
            async move { store.create_user(user, Acting::Cli, AuditMeta::default()).await.unwrap().get() }
        };
        let acme_manager = user("ada@acme.test", "Ada", &[acme]).await;
        let globex_manager = user("gus@globex.test", "Gus", &[globex]).await;
        let both_manager = user("bo@both.test", "Bo", &[acme, globex]).await;
        let disabled_manager = user("dee@acme.test", "Dee", &[acme]).await;
        let admin = |email: &str, name: &str, role: AdminRole| {
            let admin = NewAdmin {
                email: Email::parse(email).unwrap(),
                name: Name::parse(name).unwrap(),
                role,
                credential: Credential::Password(hash.clone()),
            };
            async move { store.create_admin(admin, Acting::Cli, AuditMeta::default()).await.unwrap().get() }
        };
        let owner = admin("owner@platform.test", "Olivia", AdminRole::PlatformOwner).await;
        let admin_id = admin("admin@platform.test", "Adam", AdminRole::PlatformAdmin).await;
        let support_billing = admin("billing@platform.test", "Bea", AdminRole::PlatformSupport).await;
        let support_web = admin("web@platform.test", "Wes", AdminRole::PlatformSupport).await;
        let support_assigned = admin("sal@platform.test", "Sal", AdminRole::PlatformSupport).await;
        let disabled_admin = admin("dan@platform.test", "Dan", AdminRole::PlatformSupport).await;
        for (agent, subject) in [(support_billing, "billing"), (support_web, "website")] {
            let subjects = vec![Subject::parse(subject).unwrap()];
            store.replace_coverage(AdminId(owner), AdminId(agent), subjects, AuditMeta::default()).await.unwrap();
        }
        let mut seed = Seed {
            acme: acme.get(),
            globex: globex.get(),
            acme_manager,
            globex_manager,
            both_manager,
            disabled_manager,
            owner,
            admin: admin_id,
            support_billing,
            support_web,
            support_assigned,
            disabled_admin,
            acme_billing: 0,
            acme_billing_opening: 0,
            acme_web: 0,
            globex_email: 0,
        };
        seed.acme_billing = create_ticket(app, seed.acme_manager, seed.acme, "billing", "Invoice is wrong").await;
        let opened =
            app.get(&format!("/api/support/tickets/{}", seed.acme_billing)).bearer(&app.user_token(acme_manager));
        seed.acme_billing_opening = opened.send().await.expect(200).json["messages"][0]["id"].as_i64().expect("id");
        seed.acme_web = create_ticket(app, seed.acme_manager, seed.acme, "website", "Contact form not sending").await;
        seed.globex_email = create_ticket(app, seed.globex_manager, seed.globex, "email", "Mail bounces").await;
        app.patch(
            &format!("/platform-admin/tickets/{}/assign", seed.acme_billing),
            serde_json::json!({"admin_id": seed.support_assigned}),
        )
        .bearer(&app.admin_token(seed.owner))
        .send()
        .await
        .expect(200);
        // Tokens are taken before disabling, so they are otherwise valid.
        seed
    }

    /// Disables the two disabled accounts (after their tokens were taken).
    pub fn disable_accounts(&self, app: &TestApp) {
        app.sql_exec(&format!(
            "UPDATE users SET active = FALSE WHERE id = {}; UPDATE platform_admins SET active = FALSE WHERE id = {};",
            self.disabled_manager, self.disabled_admin
        ));
    }
}

/// Opens a ticket through the API as a manager; returns its id.
pub async fn create_ticket(app: &TestApp, user: i64, company: i64, subject: &str, description: &str) -> i64 {
    app.post("/api/support/tickets", serde_json::json!({"subject": subject, "description": description}))
        .bearer(&app.user_token(user))
        .company(company)
        .send()
        .await
        .expect(201)
        .json["ticket"]["id"]
        .as_i64()
        .expect("id")
}
