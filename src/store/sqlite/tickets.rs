//! Tickets and their threads in SQLite. Every read takes the caller's
//! [`Scope`] and puts its predicate in the SQL, so a ticket outside the
//! caller's view is simply not found.

use async_trait::async_trait;
use rusqlite::{Row, types::Value};

use super::{SqliteTx, query::Sql, scope::predicate};
use crate::{
    access::Scope,
    domain::{
        AdminId, Assigned, Cursor, MessageId, PageRequest, SearchWords, Status, TicketFilter, TicketId, Timestamp,
    },
    store::{
        MessageInsert, MessageRecord, Named, StoreResult, TicketInsert, TicketRecord, TicketState, TicketTimes,
        TicketTx, TicketVersion,
    },
};

const TICKET_COLUMNS: &str = "t.id, t.company_id, c.name, t.created_by_user_id, u.name, t.type, t.subject, \
     t.sub_subject, t.status, t.assigned_admin_id, a.name, t.last_activity_at, t.created_at, t.updated_at, t.closed_at";

const TICKET_FROM: &str = " FROM tickets t JOIN companies c ON c.id = t.company_id \
     JOIN users u ON u.id = t.created_by_user_id LEFT JOIN platform_admins a ON a.id = t.assigned_admin_id";

fn ticket_from_row(r: &Row<'_>) -> rusqlite::Result<TicketRecord> {
    let assignee = match r.get::<_, Option<AdminId>>(9)? {
        Some(id) => Some(Named { id, name: r.get(10)? }),
        None => None,
    };
    Ok(TicketRecord {
        id: r.get(0)?,
        company: Named { id: r.get(1)?, name: r.get(2)? },
        creator: Named { id: r.get(3)?, name: r.get(4)? },
        kind: r.get(5)?,
        subject: r.get(6)?,
        sub_subject: r.get(7)?,
        status: r.get(8)?,
        assignee,
        times: TicketTimes { last_activity: r.get(11)?, created: r.get(12)?, updated: r.get(13)?, closed: r.get(14)? },
    })
}

/// The FTS5 query for search words: each word quoted and made a prefix, all
/// of which must match. Words hold letters and digits only, so the query
/// cannot be a syntax error.
pub fn fts_query(words: &SearchWords) -> String {
    words.words().iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ")
}

/// The list query, without running it (the index tests explain it).
pub fn list_sql(scope: &Scope, filter: &TicketFilter, page: &PageRequest) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {TICKET_COLUMNS}{TICKET_FROM} WHERE 1"));
    let (visible, params) = predicate(scope);
    sql.and(visible, params);
    if let Some(status) = filter.status {
        sql.and("t.status = ?", [Value::Text(status.as_str().into())]);
    }
    if let Some(subject) = &filter.subject {
        sql.and("t.subject = ?", [Value::Text(subject.as_str().into())]);
    }
    if let Some(company) = filter.company_id {
        sql.and("t.company_id = ?", [Value::Integer(company.get())]);
    }
    match filter.assigned {
        Assigned::All => {}
        Assigned::To(admin) => {
            sql.and("t.assigned_admin_id = ?", [Value::Integer(admin.get())]);
        }
        Assigned::Unassigned => {
            sql.and("t.assigned_admin_id IS NULL", []);
        }
    }
    if let Some(search) = &filter.search {
        sql.and(
            "t.id IN (SELECT s.ticket_id FROM ticket_search s WHERE ticket_search MATCH ?)",
            [Value::Text(fts_query(search))],
        );
    }
    if let Some(since) = filter.updated_since {
        sql.and("t.updated_at > ?", [Value::Integer(since.micros())]);
    }
    if let Some(Cursor { at, id }) = page.after {
        sql.and("(t.last_activity_at, t.id) < (?, ?)", [Value::Integer(at), Value::Integer(id)]);
    }
    sql.push(" ORDER BY t.last_activity_at DESC, t.id DESC LIMIT ?", [Value::Integer(i64::from(page.limit) + 1)]);
    sql
}

/// `select_from` for the ticket `t` with this id, under the caller's scope:
/// every by-id read goes through here, so a ticket outside the scope is
/// simply not found.
fn visible_by_id(select_from: &str, scope: &Scope, id: TicketId) -> Sql {
    let mut sql = Sql::new(&format!("{select_from} WHERE t.id = ?"));
    sql.push("", [Value::Integer(id.get())]);
    let (visible, params) = predicate(scope);
    sql.and(visible, params);
    sql
}

/// The ticket-by-id query under the caller's scope.
pub fn ticket_sql(scope: &Scope, id: TicketId) -> Sql {
    visible_by_id(&format!("SELECT {TICKET_COLUMNS}{TICKET_FROM}"), scope, id)
}

/// The messages query of one ticket, oldest first, with each sender's name.
pub const MESSAGES_SQL: &str = "SELECT m.id, m.ticket_id, m.sender_type, m.sender_user_id, m.sender_admin_id, \
     coalesce(u.name, a.name), m.body, m.created_at FROM ticket_messages m \
     LEFT JOIN users u ON u.id = m.sender_user_id LEFT JOIN platform_admins a ON a.id = m.sender_admin_id \
     WHERE m.ticket_id = ?1 ORDER BY m.created_at, m.id";

fn message_from_row(r: &Row<'_>) -> rusqlite::Result<MessageRecord> {
    Ok(MessageRecord {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        sender_type: r.get(2)?,
        sender_user: r.get(3)?,
        sender_admin: r.get(4)?,
        sender_name: r.get(5)?,
        body: r.get(6)?,
        at: r.get(7)?,
    })
}

#[async_trait]
impl TicketTx for SqliteTx<'_> {
    async fn now(&mut self) -> StoreResult<Timestamp> {
        Ok(Timestamp::now())
    }

    async fn ping(&mut self) -> StoreResult<()> {
        self.conn.query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    async fn ticket_page(
        &mut self,
        scope: &Scope,
        filter: &TicketFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<TicketRecord>> {
        list_sql(scope, filter, page).query(self.conn, ticket_from_row)
    }

    async fn ticket(&mut self, scope: &Scope, id: TicketId) -> StoreResult<Option<TicketRecord>> {
        Ok(ticket_sql(scope, id).query(self.conn, ticket_from_row)?.into_iter().next())
    }

    async fn ticket_version(&mut self, scope: &Scope, id: TicketId) -> StoreResult<Option<TicketVersion>> {
        let sql = visible_by_id(
            "SELECT t.updated_at, (SELECT max(m.id) FROM ticket_messages m WHERE m.ticket_id = t.id) FROM tickets t",
            scope,
            id,
        );
        let rows = sql.query(self.conn, |r| Ok(TicketVersion { updated: r.get(0)?, newest_message: r.get(1)? }))?;
        Ok(rows.into_iter().next())
    }

    async fn thread(&mut self, id: TicketId) -> StoreResult<Vec<MessageRecord>> {
        let mut stmt = self.conn.prepare_cached(MESSAGES_SQL)?;
        let rows = stmt.query_map([id], message_from_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn ticket_for_change(&mut self, scope: &Scope, id: TicketId) -> StoreResult<Option<TicketState>> {
        // The writer is the only writer: what it reads stays true until it commits.
        let sql = visible_by_id(
            "SELECT t.id, t.company_id, t.status, t.assigned_admin_id, a.name FROM tickets t \
             LEFT JOIN platform_admins a ON a.id = t.assigned_admin_id",
            scope,
            id,
        );
        let rows = sql.query(self.conn, |r| {
            let assignee = match r.get::<_, Option<AdminId>>(3)? {
                Some(id) => Some(Named { id, name: r.get(4)? }),
                None => None,
            };
            Ok(TicketState { id: r.get(0)?, company_id: r.get(1)?, status: r.get(2)?, assignee })
        })?;
        Ok(rows.into_iter().next())
    }

    async fn insert_ticket(&mut self, t: &TicketInsert<'_>) -> StoreResult<TicketId> {
        self.conn
            .prepare_cached(
                "INSERT INTO tickets(company_id, created_by_user_id, type, subject, sub_subject, status,
                                     last_activity_at, created_at, updated_at)
                 VALUES (?1, ?2, 'support', ?3, ?4, 'new', ?5, ?5, ?5)",
            )?
            .execute((t.company_id, t.creator, t.subject, t.sub_subject, t.at))?;
        Ok(TicketId(self.conn.last_insert_rowid()))
    }

    async fn insert_message(&mut self, m: &MessageInsert<'_>) -> StoreResult<MessageId> {
        let sender = m.sender;
        self.conn
            .prepare_cached(
                "INSERT INTO ticket_messages(ticket_id, sender_type, sender_user_id, sender_admin_id, body, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute((m.ticket_id, sender.sender_type(), sender.user(), sender.admin(), m.body, m.at))?;
        Ok(MessageId(self.conn.last_insert_rowid()))
    }

    async fn touch_ticket(&mut self, id: TicketId, at: Timestamp) -> StoreResult<()> {
        self.conn
            .prepare_cached("UPDATE tickets SET last_activity_at = ?2, updated_at = ?2 WHERE id = ?1")?
            .execute((id, at))?;
        Ok(())
    }

    async fn update_status(&mut self, id: TicketId, status: Status, at: Timestamp) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE tickets SET status = ?2, last_activity_at = ?3, updated_at = ?3,
                    closed_at = CASE WHEN ?2 = 'closed' THEN ?3 ELSE NULL END
                 WHERE id = ?1",
            )?
            .execute((id, status, at))?;
        Ok(())
    }

    async fn update_assignee(&mut self, id: TicketId, assignee: Option<AdminId>, at: Timestamp) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE tickets SET assigned_admin_id = ?2, last_activity_at = ?3, updated_at = ?3 WHERE id = ?1",
            )?
            .execute((id, assignee, at))?;
        Ok(())
    }

    async fn backdate_ticket(&mut self, id: TicketId, by_micros: i64) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE tickets SET created_at = created_at - ?2, updated_at = updated_at - ?2,
                last_activity_at = last_activity_at - ?2, closed_at = closed_at - ?2 WHERE id = ?1",
            (id, by_micros),
        )?;
        self.conn
            .execute("UPDATE ticket_messages SET created_at = created_at - ?2 WHERE ticket_id = ?1", (id, by_micros))?;
        Ok(())
    }
}
