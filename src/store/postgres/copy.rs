//! `ticketing migrate-to`: the upgrade path from one SQLite file to
//! PostgreSQL. Every row of every table is copied in one transaction into an
//! empty, migrated database; the search table is rebuilt from the tickets
//! and messages (SQLite's FTS index has no PostgreSQL form), the identity
//! sequences are moved past the copied ids, and then both sides are
//! compared: the row count of every table, and a digest of the whole audit
//! log. SQLite's derived count structures (tallies, the marks' `live` flag)
//! are left behind: PostgreSQL counts without them.

use rusqlite::{OpenFlags, types::Value};
use sha2::{Digest, Sha256};
use tokio_postgres::types::ToSql;

use super::{
    ops::with_connection,
    query::{Param, p},
};
use crate::{
    config::DatabaseConfig,
    store::{StoreError, StoreResult},
};

/// How a column's SQLite value becomes a PostgreSQL one.
#[derive(Clone, Copy)]
enum Kind {
    /// `bigint`.
    Int,
    /// `integer`.
    Int4,
    Text,
    /// 0/1 to `boolean`.
    Bool,
    /// JSON text to `jsonb`.
    Json,
}

use Kind::*;

/// Every table that holds data, parents before children, with the columns
/// both schemas share.
const TABLES: &[(&str, &[(&str, Kind)])] = &[
    (
        "companies",
        &[("id", Int), ("name", Text), ("created_at", Int), ("active", Bool), ("updated_at", Int), ("name_key", Text)],
    ),
    (
        "users",
        &[
            ("id", Int),
            ("email", Text),
            ("name", Text),
            ("password_hash", Text),
            ("active", Bool),
            ("token_version", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    ),
    ("company_memberships", &[("company_id", Int), ("user_id", Int), ("role", Text), ("created_at", Int)]),
    (
        "platform_admins",
        &[
            ("id", Int),
            ("email", Text),
            ("name", Text),
            ("role", Text),
            ("password_hash", Text),
            ("active", Bool),
            ("token_version", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    ),
    (
        "tickets",
        &[
            ("id", Int),
            ("company_id", Int),
            ("created_by_user_id", Int),
            ("type", Text),
            ("subject", Text),
            ("sub_subject", Text),
            ("status", Text),
            ("assigned_admin_id", Int),
            ("last_activity_at", Int),
            ("created_at", Int),
            ("updated_at", Int),
            ("closed_at", Int),
            ("waiting_on", Text),
            ("public_message_id", Int),
            ("public_preview", Text),
            ("public_preview_at", Int),
            ("public_preview_sender", Text),
            ("staff_message_id", Int),
            ("staff_preview", Text),
            ("staff_preview_at", Int),
            ("staff_preview_sender", Text),
            ("staff_preview_internal", Bool),
            ("staff_updated_at", Int),
        ],
    ),
    (
        "ticket_messages",
        &[
            ("id", Int),
            ("ticket_id", Int),
            ("sender_type", Text),
            ("sender_user_id", Int),
            ("sender_admin_id", Int),
            ("body", Text),
            ("created_at", Int),
            ("internal", Bool),
        ],
    ),
    ("ticket_coverage", &[("id", Int), ("platform_admin_id", Int), ("subject", Text), ("created_at", Int)]),
    (
        "platform_audit_log",
        &[
            ("id", Int),
            ("action", Text),
            ("actor_kind", Text),
            ("actor_id", Int),
            ("company_id", Int),
            ("ticket_id", Int),
            ("detail", Json),
            ("request_id", Text),
            ("client_addr", Text),
            ("created_at", Int),
        ],
    ),
    ("read_marks", &[("reader_kind", Text), ("reader_id", Int), ("ticket_id", Int), ("message_id", Int)]),
    (
        "invitations",
        &[
            ("id", Int),
            ("account_kind", Text),
            ("account_id", Int),
            ("token_hash", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("used_at", Int),
        ],
    ),
    ("revoked_tokens", &[("jti", Text), ("expires_at", Int)]),
    (
        "mail_outbox",
        &[
            ("id", Int),
            ("recipient_kind", Text),
            ("recipient_id", Int),
            ("to_addr", Text),
            ("kind", Text),
            ("ticket_id", Int),
            ("payload", Json),
            ("state", Text),
            ("attempts", Int4),
            ("last_error", Text),
            ("created_at", Int),
            ("due_at", Int),
            ("done_at", Int),
        ],
    ),
    ("notification_settings", &[("account_kind", Text), ("account_id", Int), ("kind", Text), ("enabled", Bool)]),
];

/// The tables whose `id` is an identity column.
const IDENTITIES: &[&str] = &[
    "companies",
    "users",
    "platform_admins",
    "tickets",
    "ticket_messages",
    "ticket_coverage",
    "platform_audit_log",
    "invitations",
    "mail_outbox",
];

/// Rows per INSERT statement.
const BATCH: usize = 500;

/// What was copied: rows per table.
pub struct CopyReport {
    pub tables: Vec<(&'static str, i64)>,
}

fn convert(value: Value, kind: Kind) -> StoreResult<Param> {
    let bad = |what: &str| StoreError::internal(format!("a {what} column holds something else"));
    Ok(match (kind, value) {
        (Int, Value::Null) => p(None::<i64>),
        (Int4, Value::Null) => p(None::<i32>),
        (Text, Value::Null) => p(None::<String>),
        (Bool, Value::Null) => p(None::<bool>),
        (Json, Value::Null) => p(None::<serde_json::Value>),
        (Int, Value::Integer(v)) => p(v),
        (Int4, Value::Integer(v)) => p(i32::try_from(v).map_err(|_| bad("integer"))?),
        (Bool, Value::Integer(v)) => p(v != 0),
        (Text, Value::Text(v)) => p(v),
        (Json, Value::Text(v)) => p(serde_json::from_str::<serde_json::Value>(&v).map_err(|_| bad("JSON"))?),
        (_, _) => return Err(bad("typed")),
    })
}

/// A digest of the audit log, row by row in id order, from either side.
fn audit_digest(rows: impl Iterator<Item = (i64, String, String, Option<i64>, i64, String)>) -> String {
    let mut hash = Sha256::new();
    for (id, action, actor_kind, actor_id, at, detail) in rows {
        hash.update(format!("{id}|{action}|{actor_kind}|{actor_id:?}|{at}|{detail}\n"));
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Copies the SQLite file of `source` into the empty PostgreSQL database of
/// `target` (migrating it first), then checks the copy.
pub fn copy_from_sqlite(source: &DatabaseConfig, target: &DatabaseConfig) -> StoreResult<CopyReport> {
    if !source.path.exists() {
        return Err(StoreError::internal(format!("the database {} does not exist", source.path.display())));
    }
    crate::store::sqlite::migrate_file(source)?;
    super::migrate(target)?;
    let conn = rusqlite::Connection::open_with_flags(&source.path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    // Read everything in one snapshot.
    conn.execute_batch("BEGIN")?;
    let mut tables = Vec::new();
    for (table, columns) in TABLES {
        let names: Vec<&str> = columns.iter().map(|(n, _)| *n).collect();
        let mut stmt = conn.prepare(&format!("SELECT {} FROM {table}", names.join(", ")))?;
        let mut rows: Vec<Vec<Param>> = Vec::new();
        let mut query = stmt.query([])?;
        while let Some(row) = query.next()? {
            let mut out = Vec::with_capacity(columns.len());
            for (i, (_, kind)) in columns.iter().enumerate() {
                out.push(convert(row.get::<_, Value>(i)?, *kind)?);
            }
            rows.push(out);
        }
        tables.push((*table, names, rows));
    }
    let mut search: Vec<(i64, bool, Vec<String>)> = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT id, subject || ' ' || coalesce(sub_subject, '') FROM tickets")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            search.push((r.get(0)?, false, super::tickets::words(&r.get::<_, String>(1)?)));
        }
        let mut stmt =
            conn.prepare("SELECT ticket_id, internal, body FROM ticket_messages WHERE sender_type <> 'system'")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            search.push((r.get(0)?, r.get(1)?, super::tickets::words(&r.get::<_, String>(2)?)));
        }
    }
    search.retain(|(_, _, words)| !words.is_empty());
    let audit_rows = {
        let mut stmt = conn.prepare(
            "SELECT id, action, actor_kind, actor_id, created_at, detail FROM platform_audit_log ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            let detail: String = r.get(5)?;
            let canonical = serde_json::from_str::<serde_json::Value>(&detail).map(|v| v.to_string()).unwrap_or(detail);
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, canonical))
        })?;
        rows.collect::<Result<Vec<_>, _>>()?
    };
    conn.execute_batch("COMMIT")?;
    let source_digest = audit_digest(audit_rows.into_iter());
    let counts: Vec<(&'static str, i64)> = tables.iter().map(|(t, _, rows)| (*t, rows.len() as i64)).collect();

    let expected = counts.clone();
    with_connection(target, move |client| {
        Box::pin(async move {
            let tx = client.transaction().await?;
            let occupied: i64 = tx
                .query_one("SELECT (SELECT count(*) FROM companies) + (SELECT count(*) FROM users) + (SELECT count(*) FROM platform_admins)", &[])
                .await?
                .try_get(0)?;
            if occupied > 0 {
                return Err(StoreError::conflict(
                    "not_empty",
                    "the PostgreSQL database already holds data; copy into an empty one",
                ));
            }
            for (table, names, rows) in &tables {
                for chunk in rows.chunks(BATCH) {
                    let width = names.len();
                    let values: Vec<String> = (0..chunk.len())
                        .map(|r| {
                            let slots: Vec<String> = (1..=width).map(|c| format!("${}", r * width + c)).collect();
                            format!("({})", slots.join(", "))
                        })
                        .collect();
                    let sql = format!("INSERT INTO {table} ({}) VALUES {}", names.join(", "), values.join(", "));
                    let params: Vec<&(dyn ToSql + Sync)> =
                        chunk.iter().flatten().map(|b| b.as_ref() as &(dyn ToSql + Sync)).collect();
                    tx.execute(&sql, &params).await?;
                }
            }
            for chunk in search.chunks(BATCH) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|r| format!("(${}, ${}, array_to_tsvector(${}::text[]))", 3 * r + 1, 3 * r + 2, 3 * r + 3))
                    .collect();
                let sql = format!("INSERT INTO ticket_search(ticket_id, internal, words) VALUES {}", values.join(", "));
                let params: Vec<&(dyn ToSql + Sync)> = chunk
                    .iter()
                    .flat_map(|(t, i, w)| {
                        [t as &(dyn ToSql + Sync), i as &(dyn ToSql + Sync), w as &(dyn ToSql + Sync)]
                    })
                    .collect();
                tx.execute(&sql, &params).await?;
            }
            for table in IDENTITIES {
                tx.execute(
                    &format!("SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"),
                    &[],
                )
                .await?;
            }
            // The check, inside the transaction: nothing is kept unless it matches.
            for (table, n) in &expected {
                let copied: i64 = tx.query_one(&format!("SELECT count(*) FROM {table}"), &[]).await?.try_get(0)?;
                if copied != *n {
                    return Err(StoreError::internal(format!("{table}: {n} rows in SQLite, {copied} in PostgreSQL")));
                }
            }
            let audit = tx
                .query(
                    "SELECT id, action, actor_kind, actor_id, created_at, detail::text FROM platform_audit_log ORDER BY id",
                    &[],
                )
                .await?;
            let rows = audit.iter().map(|r| {
                let detail: String = r.get(5);
                let canonical =
                    serde_json::from_str::<serde_json::Value>(&detail).map(|v| v.to_string()).unwrap_or(detail);
                (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), canonical)
            });
            if audit_digest(rows) != source_digest {
                return Err(StoreError::internal("the audit log copied differs from the SQLite one"));
            }
            tx.commit().await?;
            Ok(())
        })
    })?;
    Ok(CopyReport { tables: counts })
}
