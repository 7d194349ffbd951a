//! `ticketing check`: the file's integrity, its foreign keys, the audit log
//! against the tickets it describes, and the counts' tallies and live read
//! marks against what they summarise. Full scans: an offline tool.

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
    each(
        "SELECT DISTINCT r.ticket_id FROM read_marks r JOIN tickets t ON t.id = r.ticket_id
         WHERE r.live IS NOT (t.status NOT IN ('solved', 'closed') AND r.message_id >= coalesce(
           CASE r.reader_kind WHEN 'user' THEN t.public_message_id ELSE t.staff_message_id END, 0))
            OR r.company_id IS NOT t.company_id OR r.subject IS NOT t.subject
            OR r.assigned_admin_id IS NOT t.assigned_admin_id",
        &|id| format!("counts: ticket {id} has read marks out of step with it"),
    )?;
    let tallies: i64 = conn.query_row(
        "WITH counted AS (SELECT subject, status, waiting_on, assigned_admin_id, count(*) AS n FROM tickets GROUP BY 1, 2, 3, 4),
              tallied AS (SELECT subject, status, waiting_on, assigned_admin_id, sum(n) AS n FROM ticket_tallies
                          GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0)
         SELECT (SELECT count(*) FROM (SELECT * FROM counted EXCEPT SELECT * FROM tallied))
              + (SELECT count(*) FROM (SELECT * FROM tallied EXCEPT SELECT * FROM counted))",
        [],
        |r| r.get(0),
    )?;
    if tallies > 0 {
        problems.push(format!("counts: {tallies} ticket tallies differ from the tickets they count"));
    }
    let dead: i64 = conn.query_row("SELECT count(*) FROM mail_outbox WHERE state = 'dead'", [], |r| r.get(0))?;
    if dead > 0 {
        problems.push(format!(
            "mail: {dead} email(s) were given up after their last attempt (mail_outbox.state = 'dead'; last_error says why)"
        ));
    }
    Ok(problems)
}
