//! The schema migrations, embedded in the binary (refinery). `build.rs`
//! makes cargo rebuild when a new migration file appears.

use std::path::{Path, PathBuf};

use rusqlite::Connection;

use super::{DbResult, StoreError};

mod embedded {
    refinery::embed_migrations!("migrations/sqlite");
}

/// Before migrations change a database that already holds data, keeps a
/// consistent copy beside it (`<db>.pre-V<n>.bak`); returns its path.
pub(super) fn backup_before_upgrade(conn: &Connection, path: &Path) -> DbResult<Option<PathBuf>> {
    let has_history: bool =
        conn.prepare("SELECT 1 FROM sqlite_master WHERE name = 'refinery_schema_history'")?.exists([])?;
    if !has_history {
        return Ok(None);
    }
    let applied: i64 = conn.query_row("SELECT count(*) FROM refinery_schema_history", [], |r| r.get(0))?;
    let known = embedded::migrations::runner().get_migrations().len() as i64;
    if applied == 0 || applied >= known {
        return Ok(None);
    }
    let mut name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(format!(".pre-V{}.bak", known));
    let copy = path.with_file_name(name);
    if !copy.exists() {
        vacuum_into(conn, &copy)?;
    }
    Ok(Some(copy))
}

/// Writes a consistent copy of the database to `target` (which must not
/// exist), readable by its owner only: the empty file is made first, with
/// that mode, and `VACUUM INTO` fills it.
pub(super) fn vacuum_into(conn: &Connection, target: &Path) -> DbResult<()> {
    let name = target.to_str().ok_or_else(|| StoreError::internal("the backup path is not UTF-8"))?;
    crate::files::create_private(target)
        .map_err(|e| StoreError::internal(format!("cannot create {}: {e}", target.display())))?;
    conn.execute("VACUUM INTO ?1", [name]).map_err(|e| {
        let _ = std::fs::remove_file(target);
        StoreError::from(e)
    })?;
    Ok(())
}

/// Applies every migration not yet applied; returns how many ran.
pub fn run(conn: &mut Connection) -> DbResult<usize> {
    let report = embedded::migrations::runner().run(conn)?;
    Ok(report.applied_migrations().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_on_an_empty_database_with_the_spec_indexes() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        assert!(run(&mut conn).unwrap() >= 1);
        assert_eq!(run(&mut conn).unwrap(), 0, "a second run applies nothing");

        let fk_problems: i64 =
            conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).unwrap();
        assert_eq!(fk_problems, 0);

        let index_columns = |name: &str| -> (String, Vec<String>) {
            let table: String = conn
                .query_row("SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = ?1", [name], |r| {
                    r.get(0)
                })
                .unwrap_or_else(|_| panic!("index {name} exists"));
            let mut s = conn.prepare("SELECT name FROM pragma_index_info(?1) ORDER BY seqno").unwrap();
            let cols = s.query_map([name], |r| r.get(0)).unwrap().collect::<Result<Vec<String>, _>>().unwrap();
            (table, cols)
        };
        assert_eq!(
            index_columns("idx_tickets_company_status"),
            ("tickets".into(), vec!["company_id".into(), "status".into()])
        );
        assert_eq!(index_columns("idx_tickets_last_activity"), ("tickets".into(), vec!["last_activity_at".into()]));
        assert_eq!(
            index_columns("idx_ticket_messages_ticket_created"),
            ("ticket_messages".into(), vec!["ticket_id".into(), "created_at".into()])
        );
        assert_eq!(
            index_columns("idx_ticket_coverage_admin_subject"),
            ("ticket_coverage".into(), vec!["platform_admin_id".into(), "subject".into()])
        );
    }

    #[test]
    fn enum_columns_refuse_values_outside_their_set() {
        let mut conn = Connection::open_in_memory().unwrap();
        run(&mut conn).unwrap();
        let bad_role = conn.execute(
            "INSERT INTO platform_admins(email, name, role, password_hash, created_at, updated_at)
             VALUES ('a@x', 'A', 'root', 'h', 0, 0)",
            [],
        );
        assert!(bad_role.is_err());
        conn.execute("INSERT INTO companies(name, created_at) VALUES ('C', 0)", []).unwrap();
        conn.execute(
            "INSERT INTO users(email, name, password_hash, created_at, updated_at) VALUES ('u@x', 'U', 'h', 0, 0)",
            [],
        )
        .unwrap();
        let bad_status = conn.execute(
            "INSERT INTO tickets(company_id, created_by_user_id, subject, status, last_activity_at, created_at, updated_at)
             VALUES (1, 1, 'website', 'open', 0, 0, 0)",
            [],
        );
        assert!(bad_status.is_err());
    }
}
