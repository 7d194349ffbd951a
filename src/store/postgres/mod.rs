//! The PostgreSQL backend: several servers over one database. Each use case
//! is one transaction on a pooled connection (deadpool-postgres): reads in
//! one `REPEATABLE READ` snapshot, writes under `READ COMMITTED` with the
//! rows their rules check locked (`FOR UPDATE` on the ticket, `FOR SHARE`
//! on an admin named in the change), so a check stays true until the
//! write commits. A transaction that fails on a serialization failure or a
//! deadlock is run again, a bounded number of times; a unique violation
//! that a rule's own check could not see coming (two servers creating the
//! same email at once) is a 409. Times come from the database's clock, so
//! servers with skewed clocks agree on the order of events.
//!
//! The rules run here unchanged, over the same primitives as on SQLite.

mod accounts;
mod audit;
mod copy;
mod coverage;
mod mail;
mod ops;
mod query;
mod scope;
mod tickets;
mod values;

use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use tokio_postgres::{NoTls, Row, error::SqlState, types::ToSql};

pub use copy::{CopyReport, copy_from_sqlite};
pub use ops::{SharedLock, backup, check, hold_shared_lock, migrate, restore};
pub use query::Sql;
pub use tickets::{list_sql, search_query};

use super::{InternalError, Rule, StoreError, StoreResult, StoreStats};
use crate::config::DatabaseConfig;

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        if e.code() == Some(&SqlState::UNIQUE_VIOLATION) {
            // A rule checks before it inserts; only a concurrent insert of
            // the same key on another connection gets here.
            return StoreError::conflict(
                "conflict",
                "Another request made the same change at the same time; try again",
            );
        }
        StoreError::from_driver(e)
    }
}

impl From<deadpool_postgres::PoolError> for StoreError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        StoreError::from_driver(e)
    }
}

/// Whether the transaction failed only because it ran beside another one
/// (a serialization failure or a deadlock): running it again can succeed.
fn retryable(error: &StoreError) -> bool {
    let StoreError::Internal(InternalError(inner)) = error else { return false };
    inner
        .downcast_ref::<tokio_postgres::Error>()
        .and_then(|e| e.code())
        .is_some_and(|code| *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED)
}

/// How many times a transaction runs at most before its error is answered.
const ATTEMPTS: u32 = 5;

/// Whether `url` names a PostgreSQL database.
pub fn is_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

/// The URL with its password replaced, for logs and `config show`.
pub fn redact(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| Some((scheme, rest.rsplit_once('@')?))) {
        Some((scheme, (credentials, host))) if credentials.contains(':') => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:(redacted)@{host}")
        }
        _ => url.to_string(),
    }
}

/// The URL of database `name` on the server `url` names (its other
/// settings kept): for tools that make databases, such as the benchmark and
/// the test harness.
pub fn database_url(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

pub(crate) fn driver_config(cfg: &DatabaseConfig) -> StoreResult<tokio_postgres::Config> {
    let mut pg: tokio_postgres::Config = cfg.url.parse().map_err(|e: tokio_postgres::Error| {
        StoreError::internal(format!("database.url is not a PostgreSQL URL: {e}"))
    })?;
    if pg.get_application_name().is_none() {
        pg.application_name("ticketing");
    }
    pg.connect_timeout(Duration::from_secs(10));
    Ok(pg)
}

/// One transaction on a pooled connection: what the primitives run on.
pub struct PgTx<'c> {
    client: &'c deadpool_postgres::ClientWrapper,
    /// A write transaction: what it reads to check is locked (a read-only
    /// snapshot cannot lock, and needs no lock).
    writing: bool,
}

impl PgTx<'_> {
    /// `clause` (`FOR UPDATE ...`) in a write transaction, nothing in a read.
    fn lock(&self, clause: &'static str) -> &'static str {
        if self.writing { clause } else { "" }
    }

    async fn rows(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Vec<Row>> {
        let statement = self.client.prepare_cached(sql).await?;
        Ok(self.client.query(&statement, params).await?)
    }

    async fn opt(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Option<Row>> {
        Ok(self.rows(sql, params).await?.into_iter().next())
    }

    async fn one(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<Row> {
        self.opt(sql, params).await?.ok_or_else(|| StoreError::internal(format!("no row from {sql}")))
    }

    async fn exec(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> StoreResult<u64> {
        let statement = self.client.prepare_cached(sql).await?;
        Ok(self.client.execute(&statement, params).await?)
    }

    async fn built(&self, sql: &Sql) -> StoreResult<Vec<Row>> {
        self.rows(sql.text(), &sql.params()).await
    }
}

#[derive(Clone)]
pub(crate) struct Db {
    pool: Pool,
    location: String,
}

/// What a use case asks of its transaction.
#[derive(Clone, Copy)]
enum Mode {
    /// One consistent snapshot, no writes.
    Read,
    /// One statement: no transaction needed.
    Lookup,
    /// Writes; the rules lock what they check.
    Write,
}

impl Db {
    /// Connects, applies the pending migrations (under an advisory lock, so
    /// two servers starting at once take turns) and makes the pool.
    pub(crate) fn open(cfg: &DatabaseConfig) -> StoreResult<Db> {
        let pg = driver_config(cfg)?;
        migrate(cfg)?;
        let manager = Manager::from_config(pg, NoTls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(cfg.pool_size as usize)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(Duration::from_secs(30)))
            .create_timeout(Some(Duration::from_secs(10)))
            .build()
            .map_err(|e| StoreError::internal(format!("cannot make the connection pool: {e}")))?;
        Ok(Db { pool, location: redact(&cfg.url) })
    }

    pub(crate) fn location(&self) -> String {
        self.location.clone()
    }

    pub(crate) fn stats(&self) -> StoreStats {
        let status = self.pool.status();
        StoreStats { queued: status.waiting as i64, ..StoreStats::default() }
    }

    pub(crate) async fn read<A: Send + Sync + 'static, R: Send + 'static>(
        &self,
        args: A,
        rule: Rule<A, R>,
    ) -> StoreResult<R> {
        self.run(Mode::Read, args, rule).await
    }

    pub(crate) async fn lookup<A: Send + Sync + 'static, R: Send + 'static>(
        &self,
        args: A,
        rule: Rule<A, R>,
    ) -> StoreResult<R> {
        self.run(Mode::Lookup, args, rule).await
    }

    pub(crate) async fn write<A: Send + Sync + 'static, R: Send + 'static>(
        &self,
        args: A,
        rule: Rule<A, R>,
    ) -> StoreResult<R> {
        self.run(Mode::Write, args, rule).await
    }

    /// Runs the use case on a task of its own: a request that goes away
    /// (its client hung up) never leaves a transaction half done on a pooled
    /// connection, and a write it started still commits or rolls back whole.
    async fn run<A: Send + Sync + 'static, R: Send + 'static>(
        &self,
        mode: Mode,
        args: A,
        rule: Rule<A, R>,
    ) -> StoreResult<R> {
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        let task = tokio::spawn(tracing::Instrument::instrument(Self::run_here(pool, mode, args, rule), span));
        task.await.map_err(|e| StoreError::internal(format!("a database task failed: {e}")))?
    }

    async fn run_here<A, R>(pool: Pool, mode: Mode, args: A, rule: Rule<A, R>) -> StoreResult<R> {
        let args = &args;
        let client = pool.get().await?;
        let writing = matches!(mode, Mode::Write);
        let begin = match mode {
            Mode::Read => Some("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
            Mode::Lookup => None,
            Mode::Write => Some("BEGIN ISOLATION LEVEL READ COMMITTED"),
        };
        let mut attempt = 1;
        loop {
            let result = run_once(&client, begin, writing, args, rule).await;
            match result {
                Err(e) if retryable(&e) && attempt < ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "transaction ran beside another; running it again");
                    // A short, growing pause, so the other transaction can finish.
                    tokio::time::sleep(Duration::from_millis(2u64 << attempt)).await;
                    attempt += 1;
                }
                other => return other,
            }
        }
    }
}

/// Runs the rule once in its own transaction (or none, for a lookup):
/// committed when it succeeds, rolled back when it fails.
async fn run_once<A, R>(
    client: &deadpool_postgres::ClientWrapper,
    begin: Option<&str>,
    writing: bool,
    args: &A,
    rule: Rule<A, R>,
) -> StoreResult<R> {
    let Some(begin) = begin else {
        return rule(&mut PgTx { client, writing }, args).await;
    };
    client.batch_execute(begin).await?;
    let result = rule(&mut PgTx { client, writing }, args).await;
    match result {
        Ok(value) => {
            client.batch_execute("COMMIT").await?;
            Ok(value)
        }
        Err(e) => {
            // A broken connection cannot roll back; the pool drops it.
            let _ = client.batch_execute("ROLLBACK").await;
            Err(e)
        }
    }
}

/// One connection that runs rules in their own transactions, as the server
/// does but with no HTTP in front and no other request beside: the
/// benchmark's raw PostgreSQL ceiling of the same work.
pub struct Raw(Db);

impl Raw {
    pub fn open(cfg: &DatabaseConfig) -> StoreResult<Raw> {
        Ok(Raw(Db::open(&DatabaseConfig { pool_size: 1, ..cfg.clone() })?))
    }

    /// A read rule in one snapshot.
    pub async fn read<A: Send + Sync + 'static, R: Send + 'static>(&self, args: A, rule: Rule<A, R>) -> StoreResult<R> {
        self.0.read(args, rule).await
    }

    /// A write rule in its own transaction.
    pub async fn write<A: Send + Sync + 'static, R: Send + 'static>(
        &self,
        args: A,
        rule: Rule<A, R>,
    ) -> StoreResult<R> {
        self.0.write(args, rule).await
    }
}
