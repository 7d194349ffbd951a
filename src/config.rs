//! The configuration: built-in defaults < `ticketing.toml` < `TICKETING_*`
//! environment < command-line flags. The shipped `ticketing.toml` carries every
//! key with its default and a comment; a test holds the two equal.

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
};

use serde::{Deserialize, Serialize};

/// The shipped default configuration file, embedded so `config show` and the
/// tests can see exactly what an operator gets.
pub const DEFAULT_TOML: &str = include_str!("../ticketing.toml");

/// Environment variables with a meaning of their own rather than a config key.
const RESERVED_ENV: &[&str] = &["TICKETING_CONFIG", "TICKETING_DB", "TICKETING_LOG", "TICKETING_LOG_FORMAT"];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("config file {path}: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("config key {key}: {message}")]
    Invalid { key: String, message: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub database: DatabaseConfig,
    pub auth: AuthConfig,
    pub ui: UiConfig,
    pub metrics: MetricsConfig,
    pub limits: LimitsConfig,
    pub mail: MailConfig,
    pub subjects: Vec<SubjectEntry>,
}

/// Email notifications (off by default): where to send, and the sender's timers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    pub enabled: bool,
    /// `smtp://host:25` (STARTTLS when offered), `smtp://host:587?tls=required`
    /// (STARTTLS or fail), `smtps://host:465` (TLS from the start); a user
    /// and password may be given as `smtp://user:password@host`.
    pub url: String,
    /// The SMTP password, when not in the URL (or `TICKETING_MAIL_PASSWORD`).
    pub password: String,
    /// A file holding the SMTP password (its first line).
    pub password_file: String,
    /// The sender, e.g. `Support <support@example.com>`.
    pub from: String,
    /// The start of every link in an email; empty: `server.public_url`.
    pub public_url: String,
    /// Events on one ticket for one person within this many seconds go out as one email.
    pub coalesce_secs: u64,
    /// Attempts before a notification is given up as dead.
    pub max_attempts: u32,
    /// The longest wait between two attempts (the backoff doubles up to it).
    pub retry_max_delay_secs: u64,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            url: String::new(),
            password: String::new(),
            password_file: String::new(),
            from: String::new(),
            public_url: String::new(),
            coalesce_secs: 60,
            max_attempts: 12,
            retry_max_delay_secs: 900,
        }
    }
}

impl MailConfig {
    /// The start of links in emails, without a trailing `/`.
    pub fn link_base(&self, server: &ServerConfig) -> String {
        let own = self.public_url.trim().trim_end_matches('/');
        if own.is_empty() { server.base_url() } else { own.to_string() }
    }
}

/// Per-account limits on writes, so that one account cannot flood the
/// database with tickets and messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Writes (new tickets, messages, changes) one account may make per
    /// minute, sustained; 0 turns the limit off.
    pub writes_per_minute: u32,
    /// How many writes may come at once before the per-minute rate applies.
    pub write_burst: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self { writes_per_minute: 60, write_burst: 20 }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    pub enabled: bool,
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub bind: String,
    pub body_limit_bytes: u64,
    pub request_timeout_secs: u64,
    /// A connection that has not sent a whole request head within this many
    /// seconds is closed; so is a keep-alive connection idle for as long.
    pub header_read_timeout_secs: u64,
    /// Connections served at once; past it, new ones wait to be accepted.
    pub max_connections: u32,
    /// Proxies (CIDRs or addresses) whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<String>,
    /// Where people reach the product (`https://support.example.com`):
    /// invitation links start with it. Empty: `http://` and `bind`.
    pub public_url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    Full,
    Normal,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// A `postgres://` URL selects PostgreSQL (env `TICKETING_DATABASE_URL`,
    /// flag `--database-url`); empty, the SQLite file at `path` is used.
    pub url: String,
    /// Connections the server keeps to PostgreSQL (unused on SQLite).
    pub pool_size: u32,
    pub path: PathBuf,
    pub synchronous: Synchronous,
    pub busy_timeout_ms: u64,
    pub read_pool_size: u32,
    pub max_write_batch: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    pub token_ttl_minutes: u64,
    /// How long an invitation link (a new account's, or a reset) works.
    pub invitation_ttl_hours: u64,
    pub secret: String,
    pub secret_file: String,
    pub password: PasswordConfig,
    pub rate_limit: RateLimitConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PasswordConfig {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
    /// Password hashes computed at once (each takes `memory_kib`); a few
    /// times as many may wait, and past that a sign-in is answered 503.
    pub max_concurrent: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Failed sign-ins allowed per minute from one client address.
    pub per_address_per_minute: u32,
    /// Failed sign-ins allowed per minute for one email from one address.
    pub per_email_per_minute: u32,
    /// Failed sign-ins allowed per minute for one email from all addresses
    /// together; addresses that signed in to it before are exempt.
    pub per_email_all_addresses_per_minute: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    pub poll_interval_secs: u32,
}

impl ServerConfig {
    /// The start of every link the product hands out, without a trailing `/`.
    pub fn base_url(&self) -> String {
        let configured = self.public_url.trim().trim_end_matches('/');
        if configured.is_empty() { format!("http://{}", self.bind) } else { configured.to_string() }
    }

    /// The trusted proxies as networks; a bare address is a network of one.
    pub fn trusted_proxy_nets(&self) -> Result<Vec<ipnet::IpNet>, String> {
        self.trusted_proxies
            .iter()
            .map(|raw| {
                let raw = raw.trim();
                raw.parse::<ipnet::IpNet>()
                    .or_else(|_| raw.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("{raw:?} is not an address or a CIDR such as 10.0.0.0/8"))
            })
            .collect()
    }
}

/// One catalogue entry: a subject and its finer sub-subjects.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubjectEntry {
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub sub_subjects: Vec<String>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:5000".into(),
            body_limit_bytes: 64 * 1024,
            request_timeout_secs: 30,
            header_read_timeout_secs: 10,
            max_connections: 1024,
            trusted_proxies: Vec::new(),
            public_url: String::new(),
        }
    }
}

impl DatabaseConfig {
    /// Whether the database is PostgreSQL (`url` set) rather than the SQLite file.
    pub fn is_postgres(&self) -> bool {
        !self.url.is_empty()
    }

    /// Where the data lives, for messages: the file, or the URL without its password.
    pub fn location(&self) -> String {
        if self.is_postgres() { crate::store::redact_url(&self.url) } else { self.path.display().to_string() }
    }
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: String::new(),
            pool_size: 16,
            path: PathBuf::from("ticketing.db"),
            synchronous: Synchronous::Full,
            busy_timeout_ms: 5000,
            read_pool_size: 4,
            max_write_batch: 64,
        }
    }
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            token_ttl_minutes: 720,
            invitation_ttl_hours: 168,
            secret: String::new(),
            secret_file: String::new(),
            password: PasswordConfig::default(),
            rate_limit: RateLimitConfig::default(),
        }
    }
}

impl Default for PasswordConfig {
    /// OWASP's argon2id recommendation: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self { memory_kib: 19456, iterations: 2, parallelism: 1, max_concurrent: 4 }
    }
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self { per_address_per_minute: 100, per_email_per_minute: 10, per_email_all_addresses_per_minute: 100 }
    }
}

impl Default for UiConfig {
    fn default() -> Self {
        Self { poll_interval_secs: 5 }
    }
}

fn entry(name: &str, label: &str, subs: &[&str]) -> SubjectEntry {
    SubjectEntry {
        name: name.into(),
        label: label.into(),
        sub_subjects: subs.iter().map(|s| (*s).to_string()).collect(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            server: ServerConfig::default(),
            database: DatabaseConfig::default(),
            auth: AuthConfig::default(),
            ui: UiConfig::default(),
            metrics: MetricsConfig::default(),
            limits: LimitsConfig::default(),
            mail: MailConfig::default(),
            subjects: vec![
                entry("website", "Website", &["contact", "content", "layout", "performance", "forms"]),
                entry("billing", "Billing", &["invoice", "payment", "refund", "plan"]),
                entry("account", "Account", &["login", "users", "permissions", "profile"]),
                entry("domain", "Domain", &["dns", "transfer", "renewal", "ssl"]),
                entry("email", "Email", &["delivery", "mailbox", "spam", "setup"]),
                entry("other", "Other", &["question", "feedback"]),
            ],
        }
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub db: Option<PathBuf>,
    pub database_url: Option<String>,
    pub bind: Option<String>,
}

impl Config {
    /// Parses a config file's text; errors name the file, the line and the key.
    pub fn from_toml(text: &str, path: &Path) -> Result<Self, ConfigError> {
        toml::from_str(text).map_err(|e| {
            // One line: where, then what (the message names the key).
            let place = e.span().map(|span| {
                let before = &text[..span.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!("line {line}, column {column}: ")
            });
            let message = format!("{}{}", place.unwrap_or_default(), e.message().trim()).replace('\n', " ");
            ConfigError::Parse { path: path.to_owned(), message }
        })
    }

    /// Loads the configuration. `file` is the `--config` path; without one,
    /// `./ticketing.toml` is read when it exists. `env` is the process
    /// environment (passed in so tests need not touch the real one).
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|source| ConfigError::Read { path: path.to_owned(), source })?;
                Self::from_toml(&text, path)?
            }
            None => {
                let path = Path::new("ticketing.toml");
                match std::fs::read_to_string(path) {
                    Ok(text) => Self::from_toml(&text, path)?,
                    Err(_) => Self::default(),
                }
            }
        };
        config.apply_env(env)?;
        if let Some(db) = &overrides.db {
            config.database.path = db.clone();
        }
        if let Some(url) = &overrides.database_url {
            config.database.url = url.clone();
        }
        if let Some(bind) = &overrides.bind {
            config.server.bind = bind.clone();
        }
        config.validate()?;
        Ok(config)
    }

    /// Applies `TICKETING_<SECTION>_<KEY>` variables. Every scalar key can be
    /// set this way; the subject catalogue (a list of tables) only in the file.
    fn apply_env(&mut self, env: impl IntoIterator<Item = (String, String)>) -> Result<(), ConfigError> {
        let mut root = toml::Value::try_from(&*self)
            .map_err(|e| ConfigError::Invalid { key: "(config)".into(), message: e.to_string() })?;
        let mut changed = false;
        for (var, value) in env {
            let Some(rest) = var.strip_prefix("TICKETING_") else {
                continue;
            };
            if RESERVED_ENV.contains(&var.as_str()) {
                continue;
            }
            let Some(slot) = find_key(&mut root, rest) else {
                eprintln!("warning: ignoring unknown environment variable {var}");
                continue;
            };
            *slot = match slot {
                toml::Value::String(_) => toml::Value::String(value),
                toml::Value::Integer(_) => toml::Value::Integer(value.trim().parse().map_err(|_| {
                    ConfigError::Env { var: var.clone(), message: format!("expected a whole number, got {value:?}") }
                })?),
                toml::Value::Boolean(_) => toml::Value::Boolean(value.trim().parse().map_err(|_| {
                    ConfigError::Env { var: var.clone(), message: format!("expected true or false, got {value:?}") }
                })?),
                // A list of strings, comma-separated (e.g. the trusted proxies).
                toml::Value::Array(items) if items.iter().all(toml::Value::is_str) => toml::Value::Array(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                        .map(|v| toml::Value::String(v.to_string()))
                        .collect(),
                ),
                _ => {
                    return Err(ConfigError::Env {
                        var,
                        message: "this key can only be set in the config file".into(),
                    });
                }
            };
            changed = true;
            // Check each variable as it comes, so a bad one is named.
            root.clone()
                .try_into::<Config>()
                .map_err(|e| ConfigError::Env { var: var.clone(), message: e.to_string() })?;
        }
        if changed {
            *self = root
                .try_into()
                .map_err(|e| ConfigError::Invalid { key: "(environment)".into(), message: e.to_string() })?;
        }
        Ok(())
    }

    /// Checks what types alone cannot say; the error names the key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, message: &str| Err(ConfigError::Invalid { key: key.into(), message: message.into() });
        if self.server.bind.parse::<SocketAddr>().is_err() {
            return bad("server.bind", "expected an address such as 127.0.0.1:5000");
        }
        if self.server.body_limit_bytes < 1024 || self.server.body_limit_bytes > 16 * 1024 * 1024 {
            return bad("server.body_limit_bytes", "must be between 1024 and 16777216");
        }
        if self.server.request_timeout_secs == 0 {
            return bad("server.request_timeout_secs", "must be at least 1");
        }
        if self.server.header_read_timeout_secs == 0 || self.server.header_read_timeout_secs > 3600 {
            return bad("server.header_read_timeout_secs", "must be between 1 and 3600");
        }
        if self.server.max_connections == 0 || self.server.max_connections > 1_000_000 {
            return bad("server.max_connections", "must be between 1 and 1000000");
        }
        if let Err(e) = self.server.trusted_proxy_nets() {
            return bad("server.trusted_proxies", &e);
        }
        if self.database.path.as_os_str().is_empty() {
            return bad("database.path", "must not be empty");
        }
        if !self.database.url.is_empty() && !crate::store::is_postgres_url(&self.database.url) {
            return bad(
                "database.url",
                "must start with postgres:// or postgresql:// (or be empty for the SQLite file)",
            );
        }
        if self.database.is_postgres() && self.auth.secret.is_empty() && self.auth.secret_file.is_empty() {
            return bad(
                "auth.secret",
                "must be set (or auth.secret_file) on PostgreSQL: every server must sign with the same secret",
            );
        }
        if self.database.pool_size == 0 || self.database.pool_size > 1000 {
            return bad("database.pool_size", "must be between 1 and 1000");
        }
        if self.database.read_pool_size == 0 || self.database.read_pool_size > 64 {
            return bad("database.read_pool_size", "must be between 1 and 64");
        }
        if self.database.max_write_batch == 0 || self.database.max_write_batch > 10_000 {
            return bad("database.max_write_batch", "must be between 1 and 10000");
        }
        if self.auth.token_ttl_minutes == 0 || self.auth.token_ttl_minutes > 60 * 24 * 90 {
            return bad("auth.token_ttl_minutes", "must be between 1 and 129600 (90 days)");
        }
        if self.mail.enabled {
            let url = self.mail.url.trim();
            if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                return bad("mail.url", "must be smtp://host:port or smtps://host:port when mail is enabled");
            }
            if !self.mail.from.contains('@') {
                return bad("mail.from", "must be the sender's address, e.g. Support <support@example.com>");
            }
            if self.mail.public_url.trim().is_empty() && self.server.public_url.trim().is_empty() {
                return bad("mail.public_url", "is required when mail is enabled (the start of links in emails)");
            }
            let link = self.mail.public_url.trim();
            if !(link.is_empty() || link.starts_with("https://") || link.starts_with("http://")) {
                return bad("mail.public_url", "must start with https:// (or http://)");
            }
            if self.mail.max_attempts == 0 || self.mail.max_attempts > 100 {
                return bad("mail.max_attempts", "must be between 1 and 100");
            }
            if self.mail.retry_max_delay_secs == 0 || self.mail.coalesce_secs > 3600 {
                return bad("mail.retry_max_delay_secs", "must be at least 1 (and mail.coalesce_secs at most 3600)");
            }
        }
        if self.auth.invitation_ttl_hours == 0 || self.auth.invitation_ttl_hours > 24 * 90 {
            return bad("auth.invitation_ttl_hours", "must be between 1 and 2160 (90 days)");
        }
        let url = self.server.public_url.trim();
        if !(url.is_empty() || url.starts_with("https://") || url.starts_with("http://")) {
            return bad("server.public_url", "must start with https:// (or http://), e.g. https://support.example.com");
        }
        if !self.auth.secret.is_empty() && self.auth.secret.len() < 32 {
            return bad("auth.secret", "must be at least 32 bytes long");
        }
        let p = &self.auth.password;
        if p.memory_kib < 8 * p.parallelism.max(1) || p.iterations == 0 || p.parallelism == 0 {
            return bad(
                "auth.password",
                "memory_kib must be at least 8 per lane; iterations and parallelism at least 1",
            );
        }
        if self.auth.rate_limit.per_address_per_minute == 0 {
            return bad("auth.rate_limit.per_address_per_minute", "must be at least 1");
        }
        if self.auth.rate_limit.per_email_per_minute == 0 {
            return bad("auth.rate_limit.per_email_per_minute", "must be at least 1");
        }
        if self.auth.rate_limit.per_email_all_addresses_per_minute == 0 {
            return bad("auth.rate_limit.per_email_all_addresses_per_minute", "must be at least 1");
        }
        if p.max_concurrent == 0 || p.max_concurrent > 256 {
            return bad("auth.password.max_concurrent", "must be between 1 and 256");
        }
        if self.limits.writes_per_minute > 0 && self.limits.write_burst == 0 {
            return bad("limits.write_burst", "must be at least 1 when limits.writes_per_minute is set");
        }
        if !self.metrics.token.is_empty() && self.metrics.token.len() < 16 {
            return bad("metrics.token", "must be at least 16 characters long");
        }
        if self.ui.poll_interval_secs == 0 || self.ui.poll_interval_secs > 3600 {
            return bad("ui.poll_interval_secs", "must be between 1 and 3600");
        }
        let mut seen = std::collections::HashSet::new();
        for s in &self.subjects {
            if crate::domain::Subject::parse(&s.name).is_err() {
                return bad("subjects.name", &format!("{:?} is not a valid subject name", s.name));
            }
            if !seen.insert(s.name.as_str()) {
                return bad("subjects.name", &format!("{:?} appears twice", s.name));
            }
            for sub in &s.sub_subjects {
                if crate::domain::Subject::parse(sub).is_err() {
                    return bad("subjects.sub_subjects", &format!("{sub:?} is not a valid sub-subject"));
                }
            }
        }
        Ok(())
    }

    /// The configuration as TOML with secrets redacted.
    pub fn redacted_toml(&self) -> String {
        let mut copy = self.clone();
        if !copy.auth.secret.is_empty() {
            copy.auth.secret = "(redacted)".into();
        }
        if !copy.metrics.token.is_empty() {
            copy.metrics.token = "(redacted)".into();
        }
        if !copy.mail.password.is_empty() {
            copy.mail.password = "(redacted)".into();
        }
        if let Some((scheme, rest)) = copy.mail.url.split_once("://")
            && let Some((credentials, host)) = rest.rsplit_once('@')
        {
            let user = credentials.split(':').next().unwrap_or_default();
            copy.mail.url = format!("{scheme}://{user}:(redacted)@{host}");
        }
        copy.database.url = crate::store::redact_url(&copy.database.url);
        toml::to_string(&copy).unwrap_or_default()
    }

    /// Where the token signing secret comes from, never the secret itself.
    pub fn secret_source(&self) -> String {
        if !self.auth.secret.is_empty() {
            "auth.secret (the config file or TICKETING_AUTH_SECRET)".to_string()
        } else if !self.auth.secret_file.is_empty() {
            format!("auth.secret_file {}", self.auth.secret_file)
        } else {
            let path = self.generated_secret_path();
            let state = if path.exists() { "exists" } else { "made on first start" };
            format!("generated, kept in {} ({state})", path.display())
        }
    }

    /// The lock file a running server holds, beside the database.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.database.path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".lock");
        self.database.path.with_file_name(name)
    }

    /// Where the generated signing secret is kept: beside the database.
    pub fn generated_secret_path(&self) -> PathBuf {
        let mut name = self.database.path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        name.push(".secret");
        self.database.path.with_file_name(name)
    }
}

/// Finds the scalar slot named by an environment suffix such as
/// `AUTH_RATE_LIMIT_PER_EMAIL_PER_MINUTE`, walking nested tables.
fn find_key<'a>(table: &'a mut toml::Value, name: &str) -> Option<&'a mut toml::Value> {
    let toml::Value::Table(map) = table else {
        return None;
    };
    let key = map
        .keys()
        .find(|k| {
            let upper = k.to_ascii_uppercase();
            name == upper || (name.starts_with(&upper) && name[upper.len()..].starts_with('_') && map[*k].is_table())
        })?
        .clone();
    let value = map.get_mut(&key)?;
    let upper = key.to_ascii_uppercase();
    if name == upper {
        return if value.is_table() { None } else { Some(value) };
    }
    find_key(value, &name[upper.len() + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    #[test]
    fn the_shipped_file_parses_and_equals_the_built_in_defaults() {
        let shipped = Config::from_toml(DEFAULT_TOML, Path::new("ticketing.toml")).expect("shipped config parses");
        assert_eq!(shipped, Config::default());
        shipped.validate().expect("shipped config is valid");
        let website = shipped.subjects.iter().find(|s| s.name == "website").expect("website subject");
        assert!(website.sub_subjects.iter().any(|s| s == "contact"));
    }

    #[test]
    fn an_unknown_key_fails_naming_the_key() {
        let err = Config::from_toml("[server]\nbnid = \"x\"\n", Path::new("t.toml")).unwrap_err().to_string();
        assert!(err.contains("bnid"), "{err}");
        let err = Config::from_toml("colour = 1\n", Path::new("t.toml")).unwrap_err().to_string();
        assert!(err.contains("colour"), "{err}");
    }

    #[test]
    fn a_bad_value_fails_naming_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nbind = \"not an address\"\n").unwrap();
        let err = Config::load(Some(&path), env(&[]), &Overrides::default()).unwrap_err().to_string();
        assert!(err.contains("server.bind"), "{err}");
        std::fs::write(&path, "[database]\nsynchronous = \"sometimes\"\n").unwrap();
        let err = Config::load(Some(&path), env(&[]), &Overrides::default()).unwrap_err().to_string();
        assert!(err.contains("sometimes"), "{err}");
    }

    #[test]
    fn env_overrides_the_file_and_flags_override_env() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[server]\nbind = \"127.0.0.1:6000\"\n[auth]\ntoken_ttl_minutes = 10\n").unwrap();
        let cfg = Config::load(Some(&path), env(&[]), &Overrides::default()).unwrap();
        assert_eq!(cfg.server.bind, "127.0.0.1:6000");
        assert_eq!(cfg.auth.token_ttl_minutes, 10);

        let vars = env(&[
            ("TICKETING_SERVER_BIND", "127.0.0.1:7000"),
            ("TICKETING_AUTH_TOKEN_TTL_MINUTES", "20"),
            ("TICKETING_AUTH_RATE_LIMIT_PER_EMAIL_PER_MINUTE", "3"),
            ("TICKETING_DATABASE_SYNCHRONOUS", "normal"),
        ]);
        let cfg = Config::load(Some(&path), vars.clone(), &Overrides::default()).unwrap();
        assert_eq!(cfg.server.bind, "127.0.0.1:7000");
        assert_eq!(cfg.auth.token_ttl_minutes, 20);
        assert_eq!(cfg.auth.rate_limit.per_email_per_minute, 3);
        assert_eq!(cfg.database.synchronous, Synchronous::Normal);

        let flags = Overrides { bind: Some("127.0.0.1:8000".into()), db: Some("x.db".into()), database_url: None };
        let cfg = Config::load(Some(&path), vars, &flags).unwrap();
        assert_eq!(cfg.server.bind, "127.0.0.1:8000");
        assert_eq!(cfg.database.path, PathBuf::from("x.db"));
    }

    #[test]
    fn trusted_proxies_come_comma_separated_from_the_environment_and_bad_ones_are_named() {
        let vars = env(&[("TICKETING_SERVER_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1,,::1")]);
        let cfg = Config::load(None, vars, &Overrides::default()).unwrap();
        assert_eq!(cfg.server.trusted_proxies, ["10.0.0.0/8", "127.0.0.1", "::1"]);
        assert_eq!(cfg.server.trusted_proxy_nets().unwrap().len(), 3);
        let err = Config::load(
            None,
            env(&[("TICKETING_SERVER_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local")]),
            &Overrides::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("server.trusted_proxies") && err.contains("proxy.local"), "{err}");
    }

    #[test]
    fn a_bad_env_value_fails_naming_the_variable() {
        let err = Config::load(None, env(&[("TICKETING_AUTH_TOKEN_TTL_MINUTES", "soon")]), &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("TICKETING_AUTH_TOKEN_TTL_MINUTES"), "{err}");
    }

    #[test]
    fn mail_needs_its_url_sender_and_link_base_when_enabled() {
        let mut cfg = Config::default();
        cfg.mail.enabled = true;
        let key = |cfg: &Config| match cfg.validate() {
            Err(ConfigError::Invalid { key, .. }) => key,
            other => format!("{other:?}"),
        };
        assert_eq!(key(&cfg), "mail.url");
        cfg.mail.url = "smtp://127.0.0.1:2525".into();
        assert_eq!(key(&cfg), "mail.from");
        cfg.mail.from = "Support <support@example.com>".into();
        assert_eq!(key(&cfg), "mail.public_url");
        cfg.server.public_url = "https://support.example.com".into();
        assert!(cfg.validate().is_ok());
        assert_eq!(cfg.mail.link_base(&cfg.server), "https://support.example.com");
        cfg.mail.public_url = "https://mail-links.example.com/".into();
        assert_eq!(cfg.mail.link_base(&cfg.server), "https://mail-links.example.com");
        cfg.mail.enabled = false;
        cfg.mail.url = "gopher://nowhere".into();
        assert!(cfg.validate().is_ok(), "an unused [mail] is not checked");
    }

    #[test]
    fn config_show_redacts_secrets() {
        let mut cfg = Config::default();
        cfg.auth.secret = "a-very-secret-signing-key-0123456789".into();
        cfg.metrics.token = "scrape-token-0123456789".into();
        cfg.mail.url = "smtp://ada:smtp-pass-0123@mail.example:587?tls=required".into();
        cfg.mail.password = "another-smtp-pass".into();
        let shown = cfg.redacted_toml();
        assert!(!shown.contains("a-very-secret") && !shown.contains("scrape-token"), "{shown}");
        assert!(!shown.contains("smtp-pass-0123") && !shown.contains("another-smtp-pass"), "{shown}");
        assert!(shown.contains("smtp://ada:(redacted)@mail.example:587?tls=required"), "{shown}");
        assert!(shown.contains("(redacted)"));
    }

    #[test]
    fn config_show_names_the_secret_source_only() {
        let mut cfg = Config::default();
        cfg.database.path = PathBuf::from("/nonexistent/t.db");
        assert_eq!(cfg.secret_source(), "generated, kept in /nonexistent/t.db.secret (made on first start)");
        cfg.auth.secret_file = "/run/keys/ticketing".into();
        assert_eq!(cfg.secret_source(), "auth.secret_file /run/keys/ticketing");
        cfg.auth.secret = "a-very-secret-signing-key-0123456789".into();
        assert!(cfg.secret_source().starts_with("auth.secret "));
        assert!(!cfg.secret_source().contains("a-very"));
    }

    #[test]
    fn the_generated_secret_lives_beside_the_database() {
        let mut cfg = Config::default();
        cfg.database.path = PathBuf::from("/var/lib/t/main.db");
        assert_eq!(cfg.generated_secret_path(), PathBuf::from("/var/lib/t/main.db.secret"));
    }
}
