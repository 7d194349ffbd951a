//! `ticketing check`: the file's integrity, its foreign keys, and the audit
//! log against the tickets it describes. Full scans: an offline tool.

use rusqlite::Connection;

use super::DbResult;

/// Every problem found, one sentence each; empty when all is well.
pub fn run(conn: &Connection) -> DbResult<Vec<String>> {
    let mut problems = Vec::new();
    let integrity: Vec<String> =
        conn.prepare("PRAGMA integrity_check")?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
    if integrity != ["ok"] {
        problems.extend(integrity.into_iter().map(|p| format!("integrity: {p}")));
    }
    let fk: Vec<(String, i64, String)> = conn
        .prepare("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")?
        .query_map([], |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0), r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    problems.extend(
        fk.into_iter().map(|(t, id, parent)| format!("foreign key: {t} row {id} points at a missing {parent}")),
    );

    let mut each = |sql: &str, say: &dyn Fn(i64) -> String| -> DbResult<()> {
        let ids: Vec<i64> = conn.prepare(sql)?.query_map([], |r| r.get(0))?.collect::<Result<_, _>>()?;
        problems.extend(ids.into_iter().map(say));
        Ok(())
    };
    each(
        "SELECT t.id FROM tickets t WHERE NOT EXISTS
           (SELECT 1 FROM platform_audit_log l WHERE l.ticket_id = t.id AND l.action = 'ticket.create')",
        &|id| format!("audit: ticket {id} has no ticket.create row"),
    )?;
    each(
        "SELECT t.id FROM tickets t
         WHERE (SELECT count(*) FROM ticket_messages m WHERE m.ticket_id = t.id AND m.sender_type <> 'system') - 1
            <> (SELECT count(*) FROM platform_audit_log l WHERE l.ticket_id = t.id AND l.action = 'ticket.message.create')",
        &|id| format!("audit: ticket {id} has messages and ticket.message.create rows that do not match"),
    )?;
    each(
        "SELECT t.id FROM tickets t
         WHERE (SELECT count(*) FROM ticket_messages m WHERE m.ticket_id = t.id AND m.sender_type = 'system')
            <> (SELECT count(*) FROM platform_audit_log l WHERE l.ticket_id = t.id
                AND l.action IN ('ticket.status.update', 'ticket.assign'))",
        &|id| format!("audit: ticket {id} has system notes and status/assign rows that do not match"),
    )?;
    each(
        "SELECT t.id FROM tickets t WHERE t.status IS NOT coalesce(
           (SELECT json_extract(l.detail, '$.after.status') FROM platform_audit_log l
            WHERE l.ticket_id = t.id AND l.action = 'ticket.status.update' ORDER BY l.id DESC LIMIT 1), 'new')",
        &|id| format!("audit: ticket {id}'s status is not the one its last ticket.status.update row set"),
    )?;
    each(
        "SELECT t.id FROM tickets t WHERE t.assigned_admin_id IS NOT
           (SELECT json_extract(l.detail, '$.after.assigned_admin_id') FROM platform_audit_log l
            WHERE l.ticket_id = t.id AND l.action = 'ticket.assign' ORDER BY l.id DESC LIMIT 1)",
        &|id| format!("audit: ticket {id}'s assignee is not the one its last ticket.assign row set"),
    )?;
    each(
        "SELECT l.id FROM platform_audit_log l JOIN tickets t ON t.id = l.ticket_id WHERE l.company_id IS NOT t.company_id",
        &|id| format!("audit: row {id} names another company than its ticket's"),
    )?;
    Ok(problems)
}
