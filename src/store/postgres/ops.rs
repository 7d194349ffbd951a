//! The offline side of PostgreSQL: migrations (under an advisory lock),
//! `check`, and `backup`/`restore` through `pg_dump`/`pg_restore`. These run
//! from synchronous code (the CLI, `Store::open`), so each runs on a thread
//! of its own with a small runtime, never inside the caller's.

use std::{path::Path, process::Command};

use tokio_postgres::NoTls;

use super::driver_config;
use crate::{
    config::DatabaseConfig,
    domain::FieldError,
    store::{StoreError, StoreResult},
};

mod embedded {
    refinery::embed_migrations!("migrations/postgres");
}

/// The advisory lock every server holds shared while it runs, and that
/// `restore` must get alone ("tkt" + 1 in ASCII).
pub(crate) const LOCK_KEY: i64 = 0x746b_7401;

/// The advisory lock migrations run under, so that servers starting at once
/// take turns. A running server does not hold it: new versions add to the
/// schema, so a rolling upgrade migrates while the old servers still serve.
const MIGRATE_KEY: i64 = 0x746b_7402;

/// A server's share of [`LOCK_KEY`], held on a connection of its own until
/// this is dropped.
pub struct SharedLock {
    _release: std::sync::mpsc::Sender<()>,
}

/// Takes a share of the server lock (any number of servers may hold one;
/// `restore` refuses while one does).
pub fn hold_shared_lock(cfg: &DatabaseConfig) -> StoreResult<SharedLock> {
    let pg = driver_config(cfg)?;
    let (release, released) = std::sync::mpsc::channel::<()>();
    let (ready, is_ready) = std::sync::mpsc::channel::<StoreResult<()>>();
    std::thread::Builder::new()
        .name("db-server-lock".into())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(e) => {
                    let _ = ready.send(Err(StoreError::internal(format!("cannot start a runtime: {e}"))));
                    return;
                }
            };
            runtime.block_on(async move {
                let connected = pg.connect(NoTls).await;
                let (client, connection) = match connected {
                    Ok(pair) => pair,
                    Err(e) => {
                        let _ = ready.send(Err(e.into()));
                        return;
                    }
                };
                let driver = tokio::spawn(connection);
                let locked = client.execute("SELECT pg_advisory_lock_shared($1)", &[&LOCK_KEY]).await;
                let _ = ready.send(locked.map(|_| ()).map_err(Into::into));
                // Held until the server drops its lock (or the process ends,
                // when PostgreSQL releases it with the connection).
                let _ = tokio::task::spawn_blocking(move || released.recv()).await;
                drop(client);
                let _ = driver.await;
            });
        })
        .map_err(|e| StoreError::internal(format!("cannot start the lock thread: {e}")))?;
    is_ready.recv().map_err(|_| StoreError::internal("the lock thread ended"))??;
    Ok(SharedLock { _release: release })
}

/// Runs `work` to its end on a thread of its own, with a connection.
pub(super) fn with_connection<T: Send + 'static>(
    cfg: &DatabaseConfig,
    work: impl for<'c> FnOnce(&'c mut tokio_postgres::Client) -> super::super::BoxFuture<'c, StoreResult<T>>
    + Send
    + 'static,
) -> StoreResult<T> {
    let pg = driver_config(cfg)?;
    let thread = std::thread::spawn(move || -> StoreResult<T> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| StoreError::internal(format!("cannot start a runtime: {e}")))?;
        runtime.block_on(async move {
            let (mut client, connection) = pg.connect(NoTls).await?;
            let driver = tokio::spawn(connection);
            let result = work(&mut client).await;
            drop(client);
            let _ = driver.await;
            result
        })
    });
    thread.join().map_err(|_| StoreError::internal("the database thread panicked"))?
}

/// Applies the pending migrations; returns how many ran. Two servers that
/// start at once take turns on the advisory lock; the second finds nothing
/// left to do.
pub fn migrate(cfg: &DatabaseConfig) -> StoreResult<usize> {
    with_connection(cfg, |client| {
        Box::pin(async move {
            client.execute("SELECT pg_advisory_lock($1)", &[&MIGRATE_KEY]).await?;
            let report = embedded::migrations::runner().run_async(client).await;
            client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATE_KEY]).await?;
            Ok(report?.applied_migrations().len())
        })
    })
}

/// `ticketing check`: the audit log against the tickets it describes (the
/// database itself guards its foreign keys and pages).
pub fn check(cfg: &DatabaseConfig) -> StoreResult<Vec<String>> {
    with_connection(cfg, |client| {
        Box::pin(async move {
            let mut problems = Vec::new();
            let checks: [(&str, &str); 6] = [
                (
                    "SELECT t.id FROM tickets t WHERE NOT EXISTS
                       (SELECT 1 FROM platform_audit_log l WHERE l.ticket_id = t.id AND l.action = 'ticket.create')",
                    "audit: ticket {} has no ticket.create row",
                ),
                (
                    "SELECT t.id FROM tickets t
                     WHERE (SELECT count(*) FROM ticket_messages m WHERE m.ticket_id = t.id AND m.sender_type <> 'system') - 1
                        <> (SELECT count(*) FROM platform_audit_log l
                            WHERE l.ticket_id = t.id AND l.action = 'ticket.message.create')",
                    "audit: ticket {} has messages and ticket.message.create rows that do not match",
                ),
                (
                    "SELECT t.id FROM tickets t
                     WHERE (SELECT count(*) FROM ticket_messages m WHERE m.ticket_id = t.id AND m.sender_type = 'system')
                        <> (SELECT count(*) FROM platform_audit_log l WHERE l.ticket_id = t.id
                            AND l.action IN ('ticket.status.update', 'ticket.assign'))",
                    "audit: ticket {} has system notes and status/assign rows that do not match",
                ),
                (
                    "SELECT t.id FROM tickets t WHERE t.status IS DISTINCT FROM coalesce(
                       (SELECT l.detail #>> '{after,status}' FROM platform_audit_log l
                        WHERE l.ticket_id = t.id AND l.action = 'ticket.status.update' ORDER BY l.id DESC LIMIT 1), 'new')",
                    "audit: ticket {}'s status is not the one its last ticket.status.update row set",
                ),
                (
                    "SELECT t.id FROM tickets t WHERE t.assigned_admin_id IS DISTINCT FROM
                       (SELECT (l.detail #>> '{after,assigned_admin_id}')::bigint FROM platform_audit_log l
                        WHERE l.ticket_id = t.id AND l.action = 'ticket.assign' ORDER BY l.id DESC LIMIT 1)",
                    "audit: ticket {}'s assignee is not the one its last ticket.assign row set",
                ),
                (
                    "SELECT l.id FROM platform_audit_log l JOIN tickets t ON t.id = l.ticket_id
                     WHERE l.company_id IS DISTINCT FROM t.company_id",
                    "audit: row {} names another company than its ticket's",
                ),
            ];
            for (sql, says) in checks {
                for row in client.query(sql, &[]).await? {
                    let id: i64 = row.try_get(0)?;
                    problems.push(says.replace("{}", &id.to_string()));
                }
            }
            let dead: i64 =
                client.query_one("SELECT count(*) FROM mail_outbox WHERE state = 'dead'", &[]).await?.try_get(0)?;
            if dead > 0 {
                problems.push(format!(
                    "mail: {dead} email(s) were given up after their last attempt (mail_outbox.state = 'dead'; last_error says why)"
                ));
            }
            Ok(problems)
        })
    })
}

/// Runs a PostgreSQL client tool, with a clear message when it is missing.
fn run_tool(mut command: Command, tool: &str) -> StoreResult<()> {
    let output = command.output().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            StoreError::internal(format!(
                "{tool} was not found: install the PostgreSQL client tools (Debian: apt-get install postgresql-client)"
            ))
        } else {
            StoreError::internal(format!("cannot run {tool}: {e}"))
        }
    })?;
    if !output.status.success() {
        return Err(StoreError::internal(format!("{tool} failed: {}", String::from_utf8_lossy(&output.stderr).trim())));
    }
    Ok(())
}

/// `ticketing backup` on PostgreSQL: `pg_dump` in its custom format (one
/// consistent snapshot while the servers run), never over an existing file.
pub fn backup(cfg: &DatabaseConfig, target: &Path) -> StoreResult<()> {
    if target.exists() {
        return Err(StoreError::conflict(
            "exists",
            format!("{} already exists; a backup never overwrites a file", target.display()),
        ));
    }
    crate::files::create_private(target)
        .map_err(|e| StoreError::internal(format!("cannot create {}: {e}", target.display())))?;
    let mut command = Command::new("pg_dump");
    command.arg("--format=custom").arg("--no-owner").arg("--file").arg(target).arg("--dbname").arg(&cfg.url);
    run_tool(command, "pg_dump").inspect_err(|_| {
        let _ = std::fs::remove_file(target);
    })
}

/// `ticketing restore` on PostgreSQL: refuses while a server holds the
/// shared lock, then `pg_restore --clean` replaces every table with the
/// copy's, stopping at the first error.
pub fn restore(cfg: &DatabaseConfig, copy: &Path) -> StoreResult<Option<std::path::PathBuf>> {
    if !copy.exists() {
        return Err(StoreError::invalid(FieldError::new(
            "file",
            "bad_backup",
            format!("{} does not exist", copy.display()),
        )));
    }
    let free = with_connection(cfg, |client| {
        Box::pin(async move {
            let row = client.query_one("SELECT pg_try_advisory_lock($1)", &[&LOCK_KEY]).await?;
            let free: bool = row.try_get(0)?;
            if free {
                client.execute("SELECT pg_advisory_unlock($1)", &[&LOCK_KEY]).await?;
            }
            Ok(free)
        })
    })?;
    if !free {
        return Err(StoreError::conflict("in_use", "a server is using the database; stop every server first"));
    }
    let mut command = Command::new("pg_restore");
    command
        .arg("--clean")
        .arg("--if-exists")
        .arg("--no-owner")
        .arg("--exit-on-error")
        .arg("--single-transaction")
        .arg("--dbname")
        .arg(&cfg.url)
        .arg(copy);
    run_tool(command, "pg_restore")?;
    Ok(None)
}
