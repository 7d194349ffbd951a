//! Operator tasks around a running service: restore, check, healthcheck and
//! `config show`, plus the lock a server holds on its database.

use std::{
    fs::File,
    io::{Read, Write},
    net::TcpStream,
    path::Path,
    time::Duration,
};

use anyhow::{Context, bail};

use crate::{config::Config, store::StoreError};

/// The lock a running server holds, so `restore` cannot swap the data
/// under it: a lock on a file beside the SQLite database (one server per
/// file), or a share of an advisory lock on PostgreSQL (any number of
/// servers; `restore` needs it alone).
pub struct ServerLock {
    _held: Held,
}

enum Held {
    File(#[allow(dead_code)] File),
    Shared(#[allow(dead_code)] crate::store::postgres::SharedLock),
}

fn open_lock(config: &Config) -> anyhow::Result<File> {
    let path = config.lock_path();
    crate::files::open_or_create_private(&path).with_context(|| format!("cannot open the lock file {}", path.display()))
}

impl ServerLock {
    /// Takes the lock, or says that another server holds the database.
    pub fn acquire(config: &Config) -> anyhow::Result<Self> {
        if config.database.is_postgres() {
            let lock = crate::store::postgres::hold_shared_lock(&config.database)
                .with_context(|| format!("cannot take the server lock on {}", config.database.location()))?;
            return Ok(ServerLock { _held: Held::Shared(lock) });
        }
        let file = open_lock(config)?;
        match file.try_lock() {
            Ok(()) => Ok(ServerLock { _held: Held::File(file) }),
            Err(std::fs::TryLockError::WouldBlock) => {
                bail!("another ticketing server is using {}", config.database.location())
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e).context("cannot lock the database"),
        }
    }
}

/// `ticketing backup FILE`: a consistent copy of the live database, taken
/// while the server runs; it never overwrites a file.
pub fn backup(config: &Config, file: &Path) -> anyhow::Result<()> {
    crate::store::backup(&config.database, file)
        .map_err(|e| anyhow::anyhow!("cannot write the backup {}: {e}", file.display()))?;
    eprintln!("backed up {} to {}", config.database.location(), file.display());
    Ok(())
}

/// `ticketing restore FILE`: checks the copy, then swaps it in. Refuses while
/// a server holds the database; the replaced file is kept beside it.
pub fn restore(config: &Config, file: &Path) -> anyhow::Result<()> {
    // On PostgreSQL the restore itself makes sure no server holds a share.
    let _lock = if config.database.is_postgres() {
        None
    } else {
        Some(ServerLock::acquire(config).context("stop the server before restoring")?)
    };
    let kept = crate::store::restore(&config.database, file).map_err(|e| match e {
        StoreError::Invalid(errors) => {
            anyhow::anyhow!(errors.into_iter().next().map(|e| e.message).unwrap_or_default())
        }
        other => anyhow::Error::new(other),
    })?;
    if let Some(kept) = kept {
        eprintln!("the replaced database is kept as {}", kept.display());
    }
    eprintln!("restored {} from {}", config.database.location(), file.display());
    Ok(())
}

/// `ticketing migrate-to`: copies the SQLite file into PostgreSQL.
pub fn migrate_to(config: &Config) -> anyhow::Result<()> {
    if !config.database.is_postgres() {
        bail!("name the PostgreSQL database to copy into with --database-url postgres://...");
    }
    let mut source = config.clone();
    source.database.url.clear();
    let _lock = ServerLock::acquire(&source).context("stop the server before copying its database")?;
    let report = crate::store::postgres::copy_from_sqlite(&source.database, &config.database)
        .with_context(|| format!("cannot copy {} into {}", source.database.location(), config.database.location()))?;
    for (table, rows) in &report.tables {
        println!("{table:<22} {rows:>9} rows");
    }
    eprintln!(
        "copied {} into {}: every table's row count and the audit log match",
        source.database.location(),
        config.database.location()
    );
    Ok(())
}

/// `ticketing check`: prints each problem; fails when there is one.
pub fn check(config: &Config) -> anyhow::Result<()> {
    let problems = crate::store::check(&config.database).context("cannot check the database")?;
    if problems.is_empty() {
        println!("ok: integrity, foreign keys and the audit log are consistent");
        return Ok(());
    }
    for p in &problems {
        println!("{p}");
    }
    bail!("{} problem(s) found in {}", problems.len(), config.database.location())
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

/// `mail test --to EMAIL`: one email through the configured SMTP server.
pub async fn mail_test(config: &Config, to: &str) -> anyhow::Result<()> {
    anyhow::ensure!(!config.mail.url.trim().is_empty(), "set mail.url (or TICKETING_MAIL_URL) first");
    anyhow::ensure!(!config.mail.from.trim().is_empty(), "set mail.from (or TICKETING_MAIL_FROM) first");
    let secret = crate::auth::token::load_secret(
        &config.auth.secret,
        &config.auth.secret_file,
        &config.generated_secret_path(),
    )?;
    let mailer = crate::mail::Mailer::new(config, &secret)?;
    let to: lettre::message::Mailbox = to.parse().map_err(|e| anyhow::anyhow!("--to {to:?}: {e}"))?;
    let message = lettre::Message::builder().from(mailer.from.clone()).to(to).subject("ticketing: a test email").body(
        format!(
            "This is a test email from ticketing {}: the [mail] settings work.\nLinks in emails start with {}\n",
            env!("CARGO_PKG_VERSION"),
            mailer.link_base
        ),
    )?;
    let answer = mailer.send(message).await.map_err(|e| anyhow::anyhow!("the SMTP server refused: {e}"))?;
    println!("{answer}");
    Ok(())
}
