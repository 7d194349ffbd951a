//! The SQLite backend: one file. Reads run on a few reader threads, each
//! holding a read-only connection from an r2d2 pool, each read in one
//! snapshot; writes go through one writer thread that runs each request's
//! rule in its own savepoint inside a shared `BEGIN IMMEDIATE` transaction
//! (group commit), commits once, and only then answers each request. A
//! checkpointer thread copies the write-ahead log into the file. The one
//! exception to keeping blocking work off the async executor's threads is a
//! lookup (one indexed statement, such as the account check every request
//! makes): it runs where it is asked, on a connection of its own, because
//! handing it to a reader thread and back costs more than the statement.
//! Nothing above the seam knows any of this exists.
//!
//! The rules run here unchanged: SQLite's primitives never wait, so a
//! rule's future finishes in the one poll the thread gives it.

mod accounts;
mod audit;
mod check;
mod coverage;
mod mail;
mod migrate;
mod query;
mod scope;
mod tickets;
mod values;

use std::{
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
    sync::{Arc, mpsc},
    task::{Context, Poll, Waker},
    time::Duration,
};

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

pub use accounts::USER_SESSION_SQL;
pub use audit::audit_sql;
pub use migrate::run as migrate;
pub use query::Sql;
pub use tickets::{counts_sql, fts_query, list_sql, messages_sql, read_open_sql, ticket_sql};

use super::{BoxFuture, Rule, StoreError, StoreResult, StoreStats};
use crate::config::{DatabaseConfig, Synchronous};

type DbResult<T> = StoreResult<T>;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError::from_driver(e)
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(e: r2d2::Error) -> Self {
        StoreError::from_driver(e)
    }
}

impl From<refinery::Error> for StoreError {
    fn from(e: refinery::Error) -> Self {
        StoreError::from_driver(e)
    }
}

/// One transaction (or read snapshot) on a SQLite connection: what the
/// primitives run on.
pub struct SqliteTx<'c> {
    conn: &'c mut Connection,
}

impl<'c> SqliteTx<'c> {
    pub fn new(conn: &'c mut Connection) -> Self {
        SqliteTx { conn }
    }
}

/// Runs a rule's future to its end in one poll: SQLite's primitives do
/// their work when called and never wait, so the future is ready at once.
fn finish_now<T>(mut future: BoxFuture<'_, StoreResult<T>>) -> StoreResult<T> {
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(result) => result,
        Poll::Pending => Err(StoreError::internal("a rule on SQLite waited for something that is not SQLite")),
    }
}

/// Runs a read rule on a connection the caller holds, in one snapshot: what
/// a reader thread does for each request (the benchmark's raw ceiling).
pub fn run_read<A, R>(conn: &mut Connection, args: &A, rule: Rule<A, R>) -> StoreResult<R> {
    exec(conn, "BEGIN DEFERRED")?;
    let result = finish_now(rule(&mut SqliteTx::new(conn), args));
    exec(conn, "COMMIT")?;
    result
}

/// Runs a rule on a connection the caller holds, in one savepoint (rolled
/// back if the rule fails): what the writer does for each request, and what
/// the benchmark's raw ceiling measures.
pub fn run_rule<A, R>(conn: &mut Connection, args: &A, rule: Rule<A, R>) -> StoreResult<R> {
    exec(conn, "SAVEPOINT job")?;
    let result = finish_now(rule(&mut SqliteTx::new(conn), args));
    if result.is_ok() {
        exec(conn, "RELEASE job")?;
    } else {
        exec(conn, "ROLLBACK TO job")?;
        exec(conn, "RELEASE job")?;
    }
    result
}

/// A unit of work queued for the writer.
trait Job: Send {
    /// Runs inside the job's own savepoint; the result waits for the commit.
    fn run(self: Box<Self>, conn: &mut Connection) -> Box<dyn Pending>;
    /// Answers the request with `error` without running it.
    fn abandon(self: Box<Self>, error: StoreError);
}

/// A job's result, held until its batch has committed (or failed to).
trait Pending: Send {
    fn succeeded(&self) -> bool;
    fn deliver(self: Box<Self>, commit: Result<(), String>);
}

struct WriteRequest<F, T> {
    f: F,
    tx: tokio::sync::oneshot::Sender<DbResult<T>>,
    span: tracing::Span,
}

struct WriteResult<T> {
    result: DbResult<T>,
    tx: tokio::sync::oneshot::Sender<DbResult<T>>,
}

impl<F, T> Job for WriteRequest<F, T>
where
    F: FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
    T: Send + 'static,
{
    fn run(self: Box<Self>, conn: &mut Connection) -> Box<dyn Pending> {
        let WriteRequest { f, tx, span } = *self;
        let result = span.in_scope(|| {
            std::panic::catch_unwind(AssertUnwindSafe(|| f(conn)))
                .unwrap_or_else(|_| Err(StoreError::internal("a write panicked")))
        });
        Box::new(WriteResult { result, tx })
    }

    fn abandon(self: Box<Self>, error: StoreError) {
        let _ = self.tx.send(Err(error));
    }
}

impl<T: Send + 'static> Pending for WriteResult<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn deliver(self: Box<Self>, commit: Result<(), String>) {
        let answer = match (self.result, commit) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(e)) => Err(StoreError::internal(e)),
            (Err(e), _) => Err(e),
        };
        let _ = self.tx.send(answer);
    }
}

/// A read for one of the reader threads.
type ReadJob = Box<dyn FnOnce(&mut Connection) + Send>;

/// The database handle: cheap to clone, shared by every request.
#[derive(Clone)]
pub(crate) struct Db {
    readers: mpsc::Sender<ReadJob>,
    /// Read-only connections for lookups run in place (see the module's doc).
    inline: r2d2::Pool<SqliteConnectionManager>,
    writer: tokio::sync::mpsc::Sender<Box<dyn Job>>,
    path: Arc<PathBuf>,
    stats: Arc<WriterStats>,
}

/// Counters the writer keeps, for metrics and tests.
#[derive(Default, Debug)]
struct WriterStats {
    /// Write requests handed to the writer and not yet run.
    pub queued: std::sync::atomic::AtomicI64,
    /// The size of the last batch.
    pub last_batch: std::sync::atomic::AtomicU64,
    pub batches: std::sync::atomic::AtomicU64,
    pub jobs: std::sync::atomic::AtomicU64,
    pub largest_batch: std::sync::atomic::AtomicU64,
}

/// Applies the per-connection settings; foreign keys are off by default in
/// SQLite and per connection, so every connection gets them here.
fn configure(conn: &Connection, cfg: &DatabaseConfig, read_only: bool) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_millis(cfg.busy_timeout_ms))?;
    let sync = match cfg.synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.execute_batch(&format!(
        "PRAGMA foreign_keys = ON; PRAGMA synchronous = {sync}; PRAGMA temp_store = MEMORY; PRAGMA cache_size = -8000;"
    ))?;
    if read_only {
        conn.execute_batch("PRAGMA query_only = ON;")?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

/// Opens a connection with the writer's settings (the benchmark uses it
/// too). A new database file is created readable by its owner only; SQLite
/// gives its write-ahead log and shared-memory files the same mode.
pub fn open_connection(path: &Path, cfg: &DatabaseConfig) -> DbResult<Connection> {
    if !path.exists() {
        match crate::files::create_private(path) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(StoreError::internal(format!("cannot create {}: {e}", path.display()))),
        }
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    configure(&conn, cfg, false)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    Ok(conn)
}

impl Db {
    /// Opens (creating if needed) and migrates the database, then starts the
    /// writer thread.
    pub(crate) fn open(cfg: &DatabaseConfig) -> DbResult<Db> {
        let path = cfg.path.clone();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError::internal(format!("cannot create directory {}: {e}", dir.display())))?;
        }
        let mut writer_conn = open_connection(&path, cfg)?;
        if let Some(copy) = migrate::backup_before_upgrade(&writer_conn, &path)? {
            tracing::warn!(copy = %copy.display(), "the database is about to be upgraded; a copy was kept");
        }
        migrate::run(&mut writer_conn)?;
        // Checkpoints run on their own thread (below), so a commit never
        // waits for the WAL to be copied into a large database file.
        writer_conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let checkpoint_conn = open_connection(&path, cfg)?;

        let manager = || {
            let read_cfg = cfg.clone();
            SqliteConnectionManager::file(&path)
                .with_flags(OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .with_init(move |c| configure(c, &read_cfg, true))
        };
        let pool = r2d2::Pool::builder()
            .max_size(cfg.read_pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(30))
            .build(manager())?;
        // One per core, as the executor has threads (up to eight): a lookup
        // in place holds its thread, so no more can run at once. When none
        // is free (more executor threads than that, or another runtime
        // sharing the store), the lookup goes to a reader thread instead.
        let inline_size = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8) as u32;
        // A local file's connection does not go stale, so no checkout pays
        // for r2d2's validity query (which SQLite would parse every time).
        let inline = r2d2::Pool::builder()
            .max_size(inline_size)
            .min_idle(Some(inline_size))
            .test_on_check_out(false)
            .connection_timeout(Duration::from_secs(30))
            .build(manager())?;

        // Reads run on a few dedicated threads, each holding a pooled
        // connection: handing a read to them is one channel send, cheaper
        // than a `spawn_blocking` hop, and the thread count stays fixed.
        let (read_tx, read_rx) = mpsc::channel::<ReadJob>();
        let read_rx = Arc::new(std::sync::Mutex::new(read_rx));
        for n in 0..cfg.read_pool_size {
            let mut conn = pool.get()?;
            let rx = read_rx.clone();
            std::thread::Builder::new()
                .name(format!("db-reader-{n}"))
                .spawn(move || {
                    loop {
                        let job = match rx.lock() {
                            Ok(guard) => guard.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&mut conn),
                            Err(_) => return,
                        }
                    }
                })
                .map_err(|e| StoreError::internal(format!("cannot start a reader thread: {e}")))?;
        }

        // Bounded, so a flood waits in the handlers (async) rather than
        // growing a queue without end.
        let (tx, rx) = tokio::sync::mpsc::channel::<Box<dyn Job>>(1024);
        let stats = Arc::new(WriterStats::default());
        let max_batch = cfg.max_write_batch as usize;
        let thread_stats = stats.clone();
        // The writer holds `alive`; when it ends, the checkpointer does too.
        let (alive, writer_gone) = mpsc::channel::<()>();
        std::thread::Builder::new()
            .name("db-writer".into())
            .spawn(move || {
                let _alive = alive;
                writer_loop(writer_conn, rx, max_batch, &thread_stats)
            })
            .map_err(|e| StoreError::internal(format!("cannot start the writer thread: {e}")))?;
        let wal = wal_path(&path);
        std::thread::Builder::new()
            .name("db-checkpoint".into())
            .spawn(move || checkpoint_loop(&checkpoint_conn, &wal, &writer_gone))
            .map_err(|e| StoreError::internal(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(Db { readers: read_tx, inline, writer: tx, path: Arc::new(path), stats })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn stats(&self) -> StoreStats {
        use std::sync::atomic::Ordering::Relaxed;
        StoreStats {
            queued: self.stats.queued.load(Relaxed),
            last_batch: self.stats.last_batch.load(Relaxed),
            batches: self.stats.batches.load(Relaxed),
            jobs: self.stats.jobs.load(Relaxed),
            size_bytes: [self.path.as_ref().clone(), wal_path(&self.path)]
                .iter()
                .filter_map(|p| std::fs::metadata(p).ok())
                .map(|m| m.len())
                .sum(),
        }
    }

    /// The most requests the writer has committed in one transaction.
    #[cfg(test)]
    fn largest_batch(&self) -> u64 {
        self.stats.largest_batch.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Runs a read-only rule on a reader thread, in one snapshot.
    pub(crate) async fn read<A, R>(&self, args: A, rule: Rule<A, R>) -> StoreResult<R>
    where
        A: Send + Sync + 'static,
        R: Send + 'static,
    {
        self.on_reader(move |conn| run_read(conn, &args, rule)).await
    }

    /// Runs a one-statement read rule in place, on a connection of its own
    /// (SQLite gives every statement its own snapshot, so no transaction is
    /// needed), or on a reader thread when no such connection is free.
    pub(crate) async fn lookup<A, R>(&self, args: A, rule: Rule<A, R>) -> StoreResult<R>
    where
        A: Send + Sync + 'static,
        R: Send + 'static,
    {
        if let Some(mut conn) = self.inline.try_get() {
            return std::panic::catch_unwind(AssertUnwindSafe(|| {
                finish_now(rule(&mut SqliteTx::new(&mut conn), &args))
            }))
            .unwrap_or_else(|_| Err(StoreError::internal("a lookup panicked")));
        }
        self.on_reader(move |conn| finish_now(rule(&mut SqliteTx::new(conn), &args))).await
    }

    /// Runs a rule in the writer's transaction, in its own savepoint.
    pub(crate) async fn write<A, R>(&self, args: A, rule: Rule<A, R>) -> StoreResult<R>
    where
        A: Send + Sync + 'static,
        R: Send + 'static,
    {
        self.on_writer(move |conn| finish_now(rule(&mut SqliteTx::new(conn), &args))).await
    }

    /// Runs `f` on a read-only connection of a reader thread, off the async
    /// executor. A panic in `f` is an internal error; the thread lives on.
    async fn on_reader<T, F>(&self, f: F) -> DbResult<T>
    where
        F: FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel::<DbResult<T>>();
        let span = tracing::Span::current();
        let job: ReadJob = Box::new(move |conn| {
            let result = span.in_scope(|| {
                std::panic::catch_unwind(AssertUnwindSafe(|| f(conn)))
                    .unwrap_or_else(|_| Err(StoreError::internal("a read panicked")))
            });
            let _ = tx.send(result);
        });
        // An unbounded channel: the send never blocks the executor.
        self.readers.send(job).map_err(|_| StoreError::internal("the readers have stopped"))?;
        rx.await.map_err(|_| StoreError::internal("a reader dropped a request"))?
    }

    /// Runs `f` in the writer's transaction. `f` sees a connection inside its
    /// own savepoint: if it returns an error (or panics) its writes are rolled
    /// back alone, and its neighbours in the batch still commit. The answer
    /// comes only after the batch has committed.
    async fn on_writer<T, F>(&self, f: F) -> DbResult<T>
    where
        F: FnOnce(&mut Connection) -> DbResult<T> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel::<DbResult<T>>();
        let job: Box<dyn Job> = Box::new(WriteRequest { f, tx, span: tracing::Span::current() });
        self.stats.queued.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // An async send: a full queue suspends this request, never a thread.
        self.writer.send(job).await.map_err(|_| StoreError::internal("the writer has stopped"))?;
        rx.await.map_err(|_| StoreError::internal("the writer dropped a request"))?
    }
}

fn wal_path(db: &Path) -> PathBuf {
    sibling(db, "-wal")
}

/// Past this many frames (about 32 MB of 4 KiB pages) the checkpointer
/// makes the WAL start over even under load (see [`checkpoint_loop`]).
const RESTART_FRAMES: i64 = 8192;

/// Copies committed WAL frames into the database file, off the writer's
/// path: every quarter second in which the WAL was written to. `PASSIVE`
/// never blocks the writer or a reader; once every frame is copied SQLite
/// starts the WAL over from its beginning at the next write, but only if no
/// reader is still in the WAL at that moment. Under steady load one always
/// is, so the WAL would grow for as long as the load lasts, and every new
/// block of it costs the writer a zeroed page from the file system (measured:
/// a third of the writer's time, posting throughput down 4x). So past
/// [`RESTART_FRAMES`] a `RESTART` checkpoint holds new writes back for the
/// moment it takes the readers in the WAL to finish (new readers read the
/// database file), and the WAL starts over within the blocks it already has.
fn checkpoint_loop(conn: &Connection, wal: &Path, writer_gone: &mpsc::Receiver<()>) {
    // The WAL file keeps its largest size; past this it is cut back.
    if let Err(e) = conn.pragma_update(None, "journal_size_limit", 64i64 << 20) {
        tracing::warn!(error = %e, "cannot limit the size of the WAL file");
    }
    // A RESTART that cannot finish soon gives up and tries on a later turn,
    // rather than holding the writer back.
    if let Err(e) = conn.busy_timeout(Duration::from_millis(100)) {
        tracing::warn!(error = %e, "cannot set the checkpointer's busy timeout");
    }
    let modified = || std::fs::metadata(wal).and_then(|m| m.modified()).ok();
    let mut checkpointed = None;
    while let Err(mpsc::RecvTimeoutError::Timeout) = writer_gone.recv_timeout(Duration::from_millis(250)) {
        let now = modified();
        if now.is_none() || now == checkpointed {
            continue;
        }
        match conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))) {
            Ok((frames, copied)) => {
                tracing::trace!(frames, copied, "checkpoint");
                if frames >= RESTART_FRAMES {
                    let restart = conn.query_row("PRAGMA wal_checkpoint(RESTART)", [], |r| r.get::<_, i64>(0));
                    tracing::debug!(frames, busy = ?restart, "wal restart");
                }
                // Frames a reader still needed are copied on a later turn.
                if copied == frames {
                    checkpointed = now;
                }
            }
            Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
        }
    }
}

/// Runs one statement through the statement cache (the writer's fixed
/// transaction statements are parsed once).
fn exec(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

/// Runs a job in its own savepoint: released if it succeeded, rolled back
/// alone if it failed.
fn run_in_savepoint(conn: &mut Connection, job: Box<dyn Job>) -> Option<Box<dyn Pending>> {
    if let Err(e) = exec(conn, "SAVEPOINT job") {
        tracing::error!(error = %e, "cannot open a savepoint");
        job.abandon(StoreError::internal(format!("cannot open a savepoint: {e}")));
        return None;
    }
    let result = job.run(conn);
    let closed = if result.succeeded() {
        exec(conn, "RELEASE job")
    } else {
        exec(conn, "ROLLBACK TO job").and_then(|()| exec(conn, "RELEASE job"))
    };
    if let Err(e) = closed {
        tracing::error!(error = %e, "cannot close a savepoint");
    }
    Some(result)
}

/// The writer: every write waiting in the queue, and every one that arrives
/// while those run, goes into one transaction (up to `max_batch`), each in
/// its own savepoint; one commit, then every request is answered.
fn writer_loop(
    mut conn: Connection,
    mut rx: tokio::sync::mpsc::Receiver<Box<dyn Job>>,
    max_batch: usize,
    stats: &WriterStats,
) {
    use std::sync::atomic::Ordering::Relaxed;
    while let Some(first) = rx.blocking_recv() {
        if let Err(e) = exec(&conn, "BEGIN IMMEDIATE") {
            tracing::error!(error = %e, "cannot begin a write transaction");
            stats.queued.fetch_sub(1, Relaxed);
            first.abandon(StoreError::internal(format!("cannot begin a write transaction: {e}")));
            continue;
        }
        let mut pending = Vec::new();
        let (mut taken, mut next) = (0usize, Some(first));
        while let Some(job) = next.take() {
            taken += 1;
            stats.queued.fetch_sub(1, Relaxed);
            pending.extend(run_in_savepoint(&mut conn, job));
            if taken < max_batch {
                next = rx.try_recv().ok();
            }
        }
        stats.last_batch.store(taken as u64, Relaxed);
        stats.batches.fetch_add(1, Relaxed);
        stats.jobs.fetch_add(taken as u64, Relaxed);
        stats.largest_batch.fetch_max(taken as u64, Relaxed);
        let commit = exec(&conn, "COMMIT").map_err(|e| {
            tracing::error!(error = %e, "commit failed; the batch is rolled back");
            let _ = conn.execute_batch("ROLLBACK");
            format!("commit failed: {e}")
        });
        for result in pending {
            result.deliver(commit.clone());
        }
    }
}

/// Opens the file read-only, for the offline tools (the server may be running).
fn open_read_only(cfg: &DatabaseConfig) -> DbResult<Connection> {
    if !cfg.path.exists() {
        return Err(StoreError::internal(format!("the database {} does not exist", cfg.path.display())));
    }
    let conn = Connection::open_with_flags(&cfg.path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(Duration::from_millis(cfg.busy_timeout_ms))?;
    Ok(conn)
}

/// `ticketing migrate`: applies the pending migrations to the file.
pub(crate) fn migrate_file(cfg: &DatabaseConfig) -> DbResult<usize> {
    let mut conn = open_connection(&cfg.path, cfg)?;
    migrate::run(&mut conn)
}

/// `ticketing check` on the file.
pub(crate) fn check_file(cfg: &DatabaseConfig) -> DbResult<Vec<String>> {
    check::run(&open_read_only(cfg)?)
}

/// `ticketing backup`: `VACUUM INTO` reads one consistent snapshot while the
/// server runs; it never overwrites a file.
pub(crate) fn backup_file(cfg: &DatabaseConfig, target: &Path) -> DbResult<()> {
    if target.exists() {
        return Err(StoreError::conflict(
            "exists",
            format!("{} already exists; a backup never overwrites a file", target.display()),
        ));
    }
    migrate::vacuum_into(&open_read_only(cfg)?, target)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// `ticketing restore`: checks that the copy is a sound ticketing database,
/// then swaps it in; the replaced file is kept beside it (returned).
pub(crate) fn restore_file(cfg: &DatabaseConfig, copy: &Path) -> DbResult<Option<PathBuf>> {
    let refuse =
        |message: String| Err(StoreError::invalid(crate::domain::FieldError::new("file", "bad_backup", message)));
    if !copy.exists() {
        return refuse(format!("{} does not exist", copy.display()));
    }
    {
        let Ok(conn) = Connection::open_with_flags(copy, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
            return refuse(format!("cannot open {}", copy.display()));
        };
        let Ok(ok) = conn.query_row("PRAGMA integrity_check", [], |r| r.get::<_, String>(0)) else {
            return refuse(format!("{} is not a SQLite database", copy.display()));
        };
        if ok != "ok" {
            return refuse(format!("{} fails the integrity check: {ok}", copy.display()));
        }
        let has = |table: &str| -> DbResult<bool> {
            Ok(conn.prepare("SELECT 1 FROM sqlite_master WHERE name = ?1")?.exists([table])?)
        };
        if !(has("refinery_schema_history")? && has("tickets")?) {
            return refuse(format!("{} is not a ticketing database", copy.display()));
        }
    }
    let io = |what: &str, e: std::io::Error| StoreError::internal(format!("{what}: {e}"));
    let target = &cfg.path;
    let staged = sibling(target, ".restoring");
    std::fs::copy(copy, &staged).map_err(|e| io("cannot copy the backup next to the database", e))?;
    crate::files::restrict(&staged).map_err(|e| io("cannot restrict the copy", e))?;
    std::fs::File::open(&staged).and_then(|f| f.sync_all()).map_err(|e| io("cannot sync the copy", e))?;
    let kept = if target.exists() {
        let stamp = crate::domain::Timestamp::now().to_rfc3339().replace([':', '.'], "-");
        let kept = sibling(target, &format!(".before-restore-{stamp}"));
        std::fs::rename(target, &kept).map_err(|e| io("cannot move the current database aside", e))?;
        Some(kept)
    } else {
        None
    };
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sibling(target, suffix));
    }
    std::fs::rename(&staged, target).map_err(|e| io("cannot move the restored copy into place", e))?;
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_db() -> (tempfile::TempDir, Db) {
        let dir = tempfile::tempdir().unwrap();
        let cfg = DatabaseConfig { path: dir.path().join("t.db"), ..DatabaseConfig::default() };
        let db = Db::open(&cfg).unwrap();
        (dir, db)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_write_in_a_batch_rolls_back_alone() {
        let (_dir, db) = test_db();
        db.on_writer(|c| {
            c.execute("INSERT INTO companies(name, created_at) VALUES ('seed', 0)", [])?;
            Ok(())
        })
        .await
        .unwrap();
        // Fill the queue while the writer is busy so the next jobs share one batch.
        let blocker = db.on_writer(|_c| {
            std::thread::sleep(Duration::from_millis(200));
            Ok(())
        });
        let mut handles = Vec::new();
        for i in 0..10 {
            let db = db.clone();
            handles.push(tokio::spawn(async move {
                db.on_writer(move |c| {
                    c.execute("INSERT INTO companies(name, created_at) VALUES (?1, 0)", [format!("c{i}")])?;
                    if i == 5 {
                        return Err(StoreError::conflict("boom", "planned failure"));
                    }
                    Ok(i)
                })
                .await
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        blocker.await.unwrap();
        let mut ok = 0;
        for (i, h) in handles.into_iter().enumerate() {
            match h.await.unwrap() {
                Ok(v) => {
                    assert_eq!(v, i);
                    ok += 1
                }
                Err(StoreError::Conflict { code, .. }) => {
                    assert_eq!(i, 5);
                    assert_eq!(code, "boom");
                }
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(ok, 9);
        let names: Vec<String> = db
            .on_reader(|c| {
                let mut s = c.prepare("SELECT name FROM companies ORDER BY id")?;
                let rows = s.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
                Ok(rows)
            })
            .await
            .unwrap();
        assert_eq!(names.len(), 10);
        assert!(!names.contains(&"c5".to_string()));
        assert!(db.largest_batch() > 1, "jobs were batched");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_checkpointer_copies_the_wal_into_the_database_off_the_writer() {
        let (dir, db) = test_db();
        let file_size = || std::fs::metadata(dir.path().join("t.db")).unwrap().len();
        let before = file_size();
        // About 2 MB in the WAL; the writer itself never checkpoints.
        for i in 0..40 {
            db.on_writer(move |c| {
                c.execute("CREATE TABLE IF NOT EXISTS filler(i INTEGER, b BLOB)", [])?;
                c.execute("INSERT INTO filler(i, b) VALUES (?1, zeroblob(50000))", [i])?;
                Ok(())
            })
            .await
            .unwrap();
        }
        // Wait (bounded) for the checkpointer's turn: the rows reach the file.
        let mut grown = false;
        for _ in 0..100 {
            if file_size() > before + 1_000_000 {
                grown = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(grown, "the database file stayed at {} bytes", file_size());
        let rows: i64 =
            db.on_reader(|c| Ok(c.query_row("SELECT count(*) FROM filler", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(rows, 40);
    }

    #[tokio::test]
    async fn a_lookup_runs_in_place_and_on_a_reader_when_no_connection_is_free() {
        let (_dir, db) = test_db();
        let held: Vec<_> = std::iter::from_fn(|| db.inline.try_get()).collect();
        assert!(!held.is_empty(), "lookups have connections of their own");
        let on_reader = db.lookup((), |tx, ()| crate::store::TicketTx::ping(tx)).await;
        assert!(on_reader.is_ok(), "with every in-place connection taken, a reader answers");
        drop(held);
        let r = db.lookup((), |_tx, ()| -> BoxFuture<'_, StoreResult<()>> { panic!("boom") }).await;
        assert!(matches!(r, Err(StoreError::Internal(_))), "a panicking lookup is an error");
        db.lookup((), |tx, ()| crate::store::TicketTx::ping(tx)).await.unwrap();
    }

    #[tokio::test]
    async fn a_panicking_read_is_an_error_and_the_readers_live_on() {
        let (_dir, db) = test_db();
        let r: DbResult<()> = db.on_reader(|_c| panic!("boom")).await;
        assert!(matches!(r, Err(StoreError::Internal(_))));
        for _ in 0..8 {
            db.read((), |tx, ()| crate::store::TicketTx::ping(tx)).await.unwrap();
        }
    }

    #[tokio::test]
    async fn a_panicking_write_is_an_error_and_the_writer_lives_on() {
        let (_dir, db) = test_db();
        let r: DbResult<()> = db.on_writer(|_c| panic!("boom")).await;
        assert!(matches!(r, Err(StoreError::Internal(_))));
        db.on_writer(|c| {
            c.execute("INSERT INTO companies(name, created_at) VALUES ('after', 0)", [])?;
            Ok(())
        })
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn every_connection_enforces_foreign_keys_and_reads_are_read_only() {
        let (_dir, db) = test_db();
        let r = db
            .on_writer(|c| {
                c.execute("INSERT INTO company_memberships(company_id, user_id, created_at) VALUES (999, 999, 0)", [])?;
                Ok(())
            })
            .await;
        assert!(matches!(r, Err(StoreError::Internal(_))), "{r:?}");
        let fk: i64 = db.on_reader(|c| Ok(c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?)).await.unwrap();
        assert_eq!(fk, 1);
        let r = db.on_reader(|c| Ok(c.execute("INSERT INTO companies(name, created_at) VALUES ('x', 0)", [])?)).await;
        assert!(r.is_err(), "readers cannot write");
    }
}
