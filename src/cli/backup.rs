//! `ticketing backup FILE`: a consistent copy of the live database, taken
//! while the server runs (SQLite's `VACUUM INTO` reads one snapshot).

use std::path::Path;

use anyhow::{Context, bail};

use crate::config::Config;

pub fn run(config: &Config, file: &Path) -> anyhow::Result<()> {
    if file.exists() {
        bail!("{} already exists; a backup never overwrites a file", file.display());
    }
    if !config.database.path.exists() {
        bail!("the database {} does not exist", config.database.path.display());
    }
    let conn = rusqlite::Connection::open_with_flags(&config.database.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("cannot open the database {}", config.database.path.display()))?;
    conn.busy_timeout(std::time::Duration::from_millis(config.database.busy_timeout_ms))?;
    crate::db::migrate::vacuum_into(&conn, file)
        .with_context(|| format!("cannot write the backup {}", file.display()))?;
    eprintln!("backed up {} to {}", config.database.path.display(), file.display());
    Ok(())
}
