//! Operator tasks around a running service: restore, check, healthcheck and
//! `config show`, plus the lock a server holds on its database.

use std::{
    fs::File,
    io::{Read, Write},
    net::TcpStream,
    path::{Path, PathBuf},
    time::Duration,
};

use anyhow::{Context, bail};

use crate::config::Config;

/// The lock a running server holds, so `restore` cannot swap the file under it.
pub struct ServerLock {
    _file: File,
}

fn open_lock(config: &Config) -> anyhow::Result<File> {
    let path = config.lock_path();
    crate::files::open_or_create_private(&path).with_context(|| format!("cannot open the lock file {}", path.display()))
}

impl ServerLock {
    /// Takes the lock, or says that another server holds the database.
    pub fn acquire(config: &Config) -> anyhow::Result<Self> {
        let file = open_lock(config)?;
        match file.try_lock() {
            Ok(()) => Ok(ServerLock { _file: file }),
            Err(std::fs::TryLockError::WouldBlock) => {
                bail!("another ticketing server is using {}", config.database.path.display())
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e).context("cannot lock the database"),
        }
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

/// `ticketing restore FILE`: checks the copy, then swaps it in. Refuses while
/// a server holds the database; the replaced file is kept beside it.
pub fn restore(config: &Config, file: &Path) -> anyhow::Result<()> {
    let _lock = ServerLock::acquire(config).context("stop the server before restoring")?;
    if !file.exists() {
        bail!("{} does not exist", file.display());
    }
    {
        let copy = rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .with_context(|| format!("cannot open {}", file.display()))?;
        let ok: String = copy
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .with_context(|| format!("{} is not a SQLite database", file.display()))?;
        if ok != "ok" {
            bail!("{} fails the integrity check: {ok}", file.display());
        }
        let ours = copy.prepare("SELECT 1 FROM sqlite_master WHERE name = 'refinery_schema_history'")?.exists([])?
            && copy.prepare("SELECT 1 FROM sqlite_master WHERE name = 'tickets'")?.exists([])?;
        if !ours {
            bail!("{} is not a ticketing database", file.display());
        }
    }
    let target = &config.database.path;
    let staged = sibling(target, ".restoring");
    std::fs::copy(file, &staged).with_context(|| format!("cannot copy {} next to the database", file.display()))?;
    crate::files::restrict(&staged)?;
    File::open(&staged)?.sync_all()?;
    if target.exists() {
        let stamp = crate::domain::Timestamp::now().to_rfc3339().replace([':', '.'], "-");
        let kept = sibling(target, &format!(".before-restore-{stamp}"));
        std::fs::rename(target, &kept).context("cannot move the current database aside")?;
        eprintln!("the replaced database is kept as {}", kept.display());
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(sibling(target, suffix));
    }
    std::fs::rename(&staged, target).context("cannot move the restored copy into place")?;
    eprintln!("restored {} from {}", target.display(), file.display());
    Ok(())
}

/// `ticketing check`: prints each problem; fails when there is one.
pub fn check(config: &Config) -> anyhow::Result<()> {
    if !config.database.path.exists() {
        bail!("the database {} does not exist", config.database.path.display());
    }
    let conn = rusqlite::Connection::open_with_flags(&config.database.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open the database {}", config.database.path.display()))?;
    conn.busy_timeout(Duration::from_millis(config.database.busy_timeout_ms))?;
    let problems = crate::db::check::run(&conn).context("cannot check the database")?;
    if problems.is_empty() {
        println!("ok: integrity, foreign keys and the audit log are consistent");
        return Ok(());
    }
    for p in &problems {
        println!("{p}");
    }
    bail!("{} problem(s) found in {}", problems.len(), config.database.path.display())
}

/// `ticketing healthcheck`: 0 when `/healthz` answers 200, non-zero otherwise.
pub fn healthcheck(config: &Config, url: Option<&str>) -> anyhow::Result<()> {
    let default = {
        let bind = config.server.bind.replace("0.0.0.0", "127.0.0.1").replace("[::]", "[::1]");
        format!("http://{bind}/healthz")
    };
    let url = url.unwrap_or(&default);
    let rest = url.strip_prefix("http://").context("healthcheck speaks plain http:// only")?;
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/healthz"),
    };
    let addr = std::net::ToSocketAddrs::to_socket_addrs(host)
        .with_context(|| format!("cannot resolve {host}"))?
        .next()
        .with_context(|| format!("cannot resolve {host}"))?;
    let timeout = Duration::from_secs(5);
    let mut stream = TcpStream::connect_timeout(&addr, timeout).with_context(|| format!("cannot connect to {host}"))?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")?;
    let mut answer = Vec::new();
    stream.take(64 * 1024).read_to_end(&mut answer)?;
    let answer = String::from_utf8_lossy(&answer);
    let status = answer.split_whitespace().nth(1).unwrap_or("");
    if status != "200" {
        bail!("{url} answered {}", if status.is_empty() { "nothing" } else { status });
    }
    println!("ok: {url}");
    Ok(())
}
