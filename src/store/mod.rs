//! The storage seam. [`Store`] is what the rest of the program holds: one
//! async method per use case (defined beside its rules in
//! [`crate::service`]), each its own transaction. Below it, a backend
//! implements the small storage primitives of [`Tx`] and nothing else: the
//! rules are written once, over `&mut dyn Tx`, and run unchanged on every
//! backend.
//!
//! - [`sqlite`]: one SQLite file; reads on a few reader threads, writes
//!   through one writer thread that commits waiting requests together.
//! - [`postgres`]: one PostgreSQL database that several servers share; each
//!   use case one transaction on a pooled connection, locking what its rule
//!   checks.

pub mod postgres;
pub mod records;
mod sql;
pub mod sqlite;
mod tx;

use std::{future::Future, path::Path, pin::Pin};

pub use records::*;
pub use tx::{AccountTx, AuditTx, CoverageTx, MailTx, TicketTx, Tx};

use crate::{config::DatabaseConfig, domain::FieldError};

/// A rule's future, borrowing its transaction and its arguments.
pub type BoxFuture<'t, T> = Pin<Box<dyn Future<Output = T> + Send + 't>>;

/// A rule: runs on a transaction with its arguments. Plain functions (never
/// closures over a connection), so that a backend can run one again when it
/// must retry a transaction.
pub type Rule<A, R> = for<'t> fn(&'t mut dyn Tx, &'t A) -> BoxFuture<'t, StoreResult<R>>;

/// What a use case can end in besides success. The first four are answers
/// for the client; `Internal` is our failure, whose cause is kept for the
/// log and never shown.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("{detail}")]
    Forbidden { code: &'static str, detail: String },
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Internal(InternalError),
}

/// A failure inside a backend (a driver error, a lost thread); opaque above
/// the seam.
#[derive(Debug)]
pub struct InternalError(Box<dyn std::error::Error + Send + Sync>);

impl std::fmt::Display for InternalError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl StoreError {
    pub fn invalid(error: FieldError) -> Self {
        StoreError::Invalid(vec![error])
    }

    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        StoreError::Conflict { code, detail: detail.into() }
    }

    pub fn forbidden(code: &'static str, detail: impl Into<String>) -> Self {
        StoreError::Forbidden { code, detail: detail.into() }
    }

    /// An internal failure with a message of ours.
    pub fn internal(message: impl Into<String>) -> Self {
        StoreError::Internal(InternalError(message.into().into()))
    }

    /// An internal failure caused by a driver's error.
    pub(crate) fn from_driver(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        StoreError::Internal(InternalError(Box::new(error)))
    }

    /// Whether this is the client's doing (and so no reason to alarm anyone).
    pub fn is_client_error(&self) -> bool {
        !matches!(self, StoreError::Internal(_))
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The storage, whichever backend holds it. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Set when mail is on: events then write their emails to the outbox.
    mail: Option<crate::service::notify::MailPolicy>,
}

#[derive(Clone)]
enum Backend {
    Sqlite(sqlite::Db),
    Postgres(postgres::Db),
}

/// Figures a backend keeps about itself, for metrics.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreStats {
    /// Write requests waiting to run.
    pub queued: i64,
    /// Write requests committed in the last group commit.
    pub last_batch: u64,
    /// Write transactions committed.
    pub batches: u64,
    /// Write requests run.
    pub jobs: u64,
    /// The database's size on disk.
    pub size_bytes: u64,
}

impl Store {
    /// Opens (creating if needed) and migrates the configured database.
    pub fn open(cfg: &DatabaseConfig) -> StoreResult<Store> {
        let backend = if cfg.is_postgres() {
            Backend::Postgres(postgres::Db::open(cfg)?)
        } else {
            Backend::Sqlite(sqlite::Db::open(cfg)?)
        };
        Ok(Store { backend, mail: None })
    }

    /// The same storage, with events writing emails to the outbox (`Some`) or not.
    pub fn with_mail(mut self, policy: Option<crate::service::notify::MailPolicy>) -> Store {
        self.mail = policy;
        self
    }

    /// Whether events write emails, and how they wait for company.
    pub fn mail(&self) -> Option<crate::service::notify::MailPolicy> {
        self.mail
    }

    /// Runs a read-only rule in one consistent snapshot.
    pub(crate) async fn read<A, R>(&self, args: A, rule: Rule<A, R>) -> StoreResult<R>
    where
        A: Send + Sync + 'static,
        R: Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(db) => db.read(args, rule).await,
            Backend::Postgres(db) => db.read(args, rule).await,
        }
    }

    /// Runs a read-only rule of one statement, which needs no snapshot of its
    /// own (the account check every request makes, a sign-in's lookup).
    pub(crate) async fn lookup<A, R>(&self, args: A, rule: Rule<A, R>) -> StoreResult<R>
    where
        A: Send + Sync + 'static,
        R: Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(db) => db.lookup(args, rule).await,
            Backend::Postgres(db) => db.lookup(args, rule).await,
        }
    }

    /// Runs a rule in its own write transaction: everything it writes
    /// commits together, or nothing does.
    pub(crate) async fn write<A, R>(&self, args: A, rule: Rule<A, R>) -> StoreResult<R>
    where
        A: Send + Sync + 'static,
        R: Send + 'static,
    {
        match &self.backend {
            Backend::Sqlite(db) => db.write(args, rule).await,
            Backend::Postgres(db) => db.write(args, rule).await,
        }
    }

    /// Checks that the database answers (for `/healthz`).
    pub async fn ping(&self) -> StoreResult<()> {
        self.lookup((), |tx, ()| tx.ping()).await
    }

    pub fn stats(&self) -> StoreStats {
        match &self.backend {
            Backend::Sqlite(db) => db.stats(),
            Backend::Postgres(db) => db.stats(),
        }
    }

    /// Where the data lives, for logs and messages (a file path, or the
    /// URL without its password).
    pub fn location(&self) -> String {
        match &self.backend {
            Backend::Sqlite(db) => db.path().display().to_string(),
            Backend::Postgres(db) => db.location(),
        }
    }

    /// Whether several servers may share this storage (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }
}

/// Applies the migrations not yet applied; returns how many ran.
pub fn migrate(cfg: &DatabaseConfig) -> StoreResult<usize> {
    if cfg.is_postgres() { postgres::migrate(cfg) } else { sqlite::migrate_file(cfg) }
}

/// Whether `url` names a PostgreSQL database (`postgres://` or `postgresql://`).
pub fn is_postgres_url(url: &str) -> bool {
    postgres::is_url(url)
}

/// A database URL with its password replaced, for logs and `config show`.
pub fn redact_url(url: &str) -> String {
    postgres::redact(url)
}

/// Integrity, foreign keys and the audit log against the tickets: every
/// problem found, one sentence each. Full scans: an offline tool.
pub fn check(cfg: &DatabaseConfig) -> StoreResult<Vec<String>> {
    if cfg.is_postgres() { postgres::check(cfg) } else { sqlite::check_file(cfg) }
}

/// Writes a consistent copy of the database to `target`, which must not
/// exist, while it is in use; the copy is readable by its owner only.
pub fn backup(cfg: &DatabaseConfig, target: &Path) -> StoreResult<()> {
    if cfg.is_postgres() { postgres::backup(cfg, target) } else { sqlite::backup_file(cfg, target) }
}

/// Replaces the database with a copy made by [`backup`], after checking it;
/// the replaced database is kept beside it (its path is returned). The
/// caller holds the server lock.
pub fn restore(cfg: &DatabaseConfig, copy: &Path) -> StoreResult<Option<std::path::PathBuf>> {
    if cfg.is_postgres() { postgres::restore(cfg, copy) } else { sqlite::restore_file(cfg, copy) }
}
