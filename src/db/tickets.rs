//! Tickets and their threads. Every function takes the caller's access
//! [`Scope`] first and puts its predicate in the SQL, so a ticket outside the
//! caller's view is simply not found.

use rusqlite::{Connection, types::Value};
use serde::Serialize;
use serde_json::json;

use super::{
    DbError, DbResult, accounts,
    audit::{self, Actor, AuditMeta},
    query::Sql,
};
use crate::{
    access::Scope,
    domain::{Body, Cursor, FieldError, Page, PageRequest, SenderType, Status, Subject, Timestamp},
};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ticket {
    pub id: i64,
    pub company_id: i64,
    pub company_name: String,
    pub created_by_user_id: i64,
    pub created_by_name: String,
    /// `support` (phase 1) or `website_design`.
    #[serde(rename = "type")]
    pub kind: String,
    pub subject: String,
    pub sub_subject: Option<String>,
    pub status: Status,
    pub assigned_admin_id: Option<i64>,
    pub assigned_admin_name: Option<String>,
    pub last_activity_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub closed_at: Option<Timestamp>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Message {
    pub id: i64,
    pub ticket_id: i64,
    pub sender_type: SenderType,
    pub sender_user_id: Option<i64>,
    pub sender_admin_id: Option<i64>,
    pub sender_name: Option<String>,
    pub body: String,
    pub created_at: Timestamp,
}

/// A ticket with its whole thread, oldest message first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub messages: Vec<Message>,
}

/// Who is filtered for by `assigned=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Assigned {
    #[default]
    All,
    To(i64),
    Unassigned,
}

/// The list filters. Each one is an `AND` on top of the access scope.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<Status>,
    pub subject: Option<Subject>,
    pub company_id: Option<i64>,
    pub assigned: Assigned,
    /// An FTS5 query built by [`crate::domain::fts_query`].
    pub search: Option<String>,
    pub updated_since: Option<Timestamp>,
}

const TICKET_COLUMNS: &str = "t.id, t.company_id, c.name, t.created_by_user_id, u.name, t.type, t.subject, \
     t.sub_subject, t.status, t.assigned_admin_id, a.name, t.last_activity_at, t.created_at, t.updated_at, t.closed_at";

const TICKET_FROM: &str = " FROM tickets t JOIN companies c ON c.id = t.company_id \
     JOIN users u ON u.id = t.created_by_user_id LEFT JOIN platform_admins a ON a.id = t.assigned_admin_id";

fn ticket_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Ticket> {
    let status: String = r.get(8)?;
    Ok(Ticket {
        id: r.get(0)?,
        company_id: r.get(1)?,
        company_name: r.get(2)?,
        created_by_user_id: r.get(3)?,
        created_by_name: r.get(4)?,
        kind: r.get(5)?,
        subject: r.get(6)?,
        sub_subject: r.get(7)?,
        status: Status::parse(&status)
            .map_err(|_| rusqlite::Error::InvalidColumnType(8, "status".into(), rusqlite::types::Type::Text))?,
        assigned_admin_id: r.get(9)?,
        assigned_admin_name: r.get(10)?,
        last_activity_at: Timestamp(r.get(11)?),
        created_at: Timestamp(r.get(12)?),
        updated_at: Timestamp(r.get(13)?),
        closed_at: r.get::<_, Option<i64>>(14)?.map(Timestamp),
    })
}

/// The list query, without running it (the index tests explain it).
pub fn list_sql(scope: &Scope, filter: &TicketFilter, page: &PageRequest) -> Sql {
    let mut sql = Sql::new(&format!("SELECT {TICKET_COLUMNS}{TICKET_FROM} WHERE 1"));
    let (visible, params) = scope.predicate();
    sql.and(visible, params);
    if let Some(status) = filter.status {
        sql.and("t.status = ?", [Value::Text(status.as_str().into())]);
    }
    if let Some(subject) = &filter.subject {
        sql.and("t.subject = ?", [Value::Text(subject.as_str().into())]);
    }
    if let Some(company) = filter.company_id {
        sql.and("t.company_id = ?", [Value::Integer(company)]);
    }
    match filter.assigned {
        Assigned::All => {}
        Assigned::To(admin) => {
            sql.and("t.assigned_admin_id = ?", [Value::Integer(admin)]);
        }
        Assigned::Unassigned => {
            sql.and("t.assigned_admin_id IS NULL", []);
        }
    }
    if let Some(search) = &filter.search {
        sql.and(
            "t.id IN (SELECT s.ticket_id FROM ticket_search s WHERE ticket_search MATCH ?)",
            [Value::Text(search.clone())],
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

/// The tickets the caller may see, newest activity first.
pub fn list(conn: &Connection, scope: &Scope, filter: &TicketFilter, page: &PageRequest) -> DbResult<Page<Ticket>> {
    let rows = list_sql(scope, filter, page).query(conn, ticket_from_row)?;
    Ok(Page::from_rows(rows, page.limit, |t| Cursor { at: t.last_activity_at.micros(), id: t.id }))
}

/// `select_from` for the ticket `t` with this id, under the caller's scope:
/// every by-id read goes through here, so a ticket outside the scope is
/// simply not found.
fn visible_by_id(select_from: &str, scope: &Scope, id: i64) -> Sql {
    let mut sql = Sql::new(&format!("{select_from} WHERE t.id = ?"));
    sql.push("", [Value::Integer(id)]);
    let (visible, params) = scope.predicate();
    sql.and(visible, params);
    sql
}

/// Runs a by-id query: its one row, or `NotFound`.
fn one<T>(conn: &Connection, sql: Sql, map: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<T>) -> DbResult<T> {
    sql.query(conn, map)?.into_iter().next().ok_or(DbError::NotFound)
}

/// The ticket-by-id query under the caller's scope.
pub fn get_sql(scope: &Scope, id: i64) -> Sql {
    visible_by_id(&format!("SELECT {TICKET_COLUMNS}{TICKET_FROM}"), scope, id)
}

/// One ticket, if the caller may see it.
pub fn get(conn: &Connection, scope: &Scope, id: i64) -> DbResult<Ticket> {
    one(conn, get_sql(scope, id), ticket_from_row)
}

/// The messages query of one ticket, oldest first, with each sender's name.
pub const MESSAGES_SQL: &str = "SELECT m.id, m.ticket_id, m.sender_type, m.sender_user_id, m.sender_admin_id, \
     coalesce(u.name, a.name), m.body, m.created_at FROM ticket_messages m \
     LEFT JOIN users u ON u.id = m.sender_user_id LEFT JOIN platform_admins a ON a.id = m.sender_admin_id \
     WHERE m.ticket_id = ?1 ORDER BY m.created_at, m.id";

fn message_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    let sender: String = r.get(2)?;
    Ok(Message {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        sender_type: SenderType::parse(&sender)
            .ok_or_else(|| rusqlite::Error::InvalidColumnType(2, "sender_type".into(), rusqlite::types::Type::Text))?,
        sender_user_id: r.get(3)?,
        sender_admin_id: r.get(4)?,
        sender_name: r.get(5)?,
        body: r.get(6)?,
        created_at: Timestamp(r.get(7)?),
    })
}

/// A ticket and its thread, if the caller may see it.
pub fn detail(conn: &Connection, scope: &Scope, id: i64) -> DbResult<TicketDetail> {
    let ticket = get(conn, scope, id)?;
    let mut stmt = conn.prepare_cached(MESSAGES_SQL)?;
    let messages = stmt.query_map([id], message_from_row)?.collect::<Result<_, _>>()?;
    Ok(TicketDetail { ticket, messages })
}

/// The version of a ticket as a client last saw it: its last change and its
/// newest message. Cheap to read (two indexed lookups), so a poll that
/// changed nothing never loads the thread.
pub fn version(conn: &Connection, scope: &Scope, id: i64) -> DbResult<(i64, i64)> {
    let sql = visible_by_id(
        "SELECT t.updated_at, (SELECT max(m.id) FROM ticket_messages m WHERE m.ticket_id = t.id) FROM tickets t",
        scope,
        id,
    );
    one(conn, sql, |r| Ok((r.get(0)?, r.get::<_, Option<i64>>(1)?.unwrap_or(0))))
}

/// A new ticket as a manager opens it.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub subject: Subject,
    pub sub_subject: Option<Subject>,
    pub description: Body,
}

/// The manager opening a ticket and their company, as the request's account
/// check read them: the 201 is built from these and the written values, with
/// no read-back inside the write transaction.
#[derive(Debug, Clone)]
pub struct Opener {
    pub company_id: i64,
    pub company_name: String,
    pub user_id: i64,
    pub user_name: String,
}

impl Opener {
    /// Reads the names, for callers that hold only the ids (the demo seed).
    pub fn load(conn: &Connection, company_id: i64, user_id: i64) -> DbResult<Opener> {
        let (company_name, user_name) = conn
            .prepare_cached("SELECT c.name, u.name FROM companies c, users u WHERE c.id = ?1 AND u.id = ?2")?
            .query_row((company_id, user_id), |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => DbError::NotFound,
                e => e.into(),
            })?;
        Ok(Opener { company_id, company_name, user_id, user_name })
    }
}

/// Opens a ticket: the ticket (status `new`), its first message and the audit
/// row, all in the caller's transaction.
pub fn create(conn: &Connection, opener: &Opener, input: &NewTicket, meta: &AuditMeta) -> DbResult<TicketDetail> {
    let Opener { company_id, user_id, .. } = *opener;
    let now = Timestamp::now().micros();
    let sub_subject = input.sub_subject.as_ref().map(Subject::as_str);
    conn.prepare_cached(
        "INSERT INTO tickets(company_id, created_by_user_id, type, subject, sub_subject, status,
                             last_activity_at, created_at, updated_at)
         VALUES (?1, ?2, 'support', ?3, ?4, 'new', ?5, ?5, ?5)",
    )?
    .execute((company_id, user_id, input.subject.as_str(), sub_subject, now))?;
    let id = conn.last_insert_rowid();
    let sender = Sender::Tenant(user_id);
    let message_id = insert_message(conn, id, sender, input.description.as_str(), now)?;
    audit::append(
        conn,
        &audit::Entry::new("ticket.create", Actor::User(user_id)).company(company_id).ticket(id).detail(json!({
            "after": {"subject": input.subject, "sub_subject": input.sub_subject, "status": Status::New, "type": "support"}
        })),
        meta,
    )?;
    let ticket = Ticket {
        id,
        company_id,
        company_name: opener.company_name.clone(),
        created_by_user_id: user_id,
        created_by_name: opener.user_name.clone(),
        kind: "support".into(),
        subject: input.subject.as_str().into(),
        sub_subject: sub_subject.map(str::to_owned),
        status: Status::New,
        assigned_admin_id: None,
        assigned_admin_name: None,
        last_activity_at: Timestamp(now),
        created_at: Timestamp(now),
        updated_at: Timestamp(now),
        closed_at: None,
    };
    let first = written_message(message_id, id, sender, &opener.user_name, input.description.as_str(), now);
    Ok(TicketDetail { ticket, messages: vec![first] })
}

/// Who writes a message.
#[derive(Debug, Clone, Copy)]
pub enum Sender {
    Tenant(i64),
    Agent(i64),
    /// A system note, made on behalf of the admin whose action it records.
    System(i64),
}

impl Sender {
    /// `sender_type`, `sender_user_id`, `sender_admin_id`.
    fn columns(self) -> (SenderType, Option<i64>, Option<i64>) {
        match self {
            Sender::Tenant(u) => (SenderType::Tenant, Some(u), None),
            Sender::Agent(a) => (SenderType::Agent, None, Some(a)),
            Sender::System(a) => (SenderType::System, None, Some(a)),
        }
    }
}

fn insert_message(conn: &Connection, ticket_id: i64, sender: Sender, body: &str, now: i64) -> DbResult<i64> {
    let (kind, user, admin) = sender.columns();
    conn.prepare_cached(
        "INSERT INTO ticket_messages(ticket_id, sender_type, sender_user_id, sender_admin_id, body, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute((ticket_id, kind.as_str(), user, admin, body, now))?;
    Ok(conn.last_insert_rowid())
}

/// A message as it was just written, for the answer (no read-back).
fn written_message(id: i64, ticket_id: i64, sender: Sender, sender_name: &str, body: &str, now: i64) -> Message {
    let (sender_type, sender_user_id, sender_admin_id) = sender.columns();
    Message {
        id,
        ticket_id,
        sender_type,
        sender_user_id,
        sender_admin_id,
        sender_name: Some(sender_name.to_owned()),
        body: body.to_owned(),
        created_at: Timestamp(now),
    }
}

fn touch(conn: &Connection, ticket_id: i64, now: i64) -> DbResult<()> {
    conn.prepare_cached("UPDATE tickets SET last_activity_at = ?2, updated_at = ?2 WHERE id = ?1")?
        .execute((ticket_id, now))?;
    Ok(())
}

/// Adds a tenant's or an agent's message to a ticket the caller may see.
/// A tenant cannot write on a closed ticket (`ticket_closed`). `sender_name`
/// is the sender's name as their request's account check read it.
pub fn add_message(
    conn: &Connection,
    scope: &Scope,
    (sender, sender_name): (Sender, &str),
    ticket_id: i64,
    body: &Body,
    meta: &AuditMeta,
) -> DbResult<Message> {
    let sql = visible_by_id("SELECT t.company_id, t.status FROM tickets t", scope, ticket_id);
    let (company_id, status): (i64, String) = one(conn, sql, |r| Ok((r.get(0)?, r.get(1)?)))?;
    let actor = match sender {
        Sender::Tenant(user) => {
            if matches!(Status::parse(&status), Ok(Status::Closed)) {
                return Err(DbError::conflict("ticket_closed", "this ticket is closed; open a new ticket instead"));
            }
            Actor::User(user)
        }
        Sender::Agent(admin) | Sender::System(admin) => Actor::Admin(admin),
    };
    let now = Timestamp::now().micros();
    let id = insert_message(conn, ticket_id, sender, body.as_str(), now)?;
    touch(conn, ticket_id, now)?;
    audit::append(
        conn,
        &audit::Entry::new("ticket.message.create", actor)
            .company(company_id)
            .ticket(ticket_id)
            .detail(json!({"message_id": id, "length": body.as_str().chars().count()})),
        meta,
    )?;
    Ok(written_message(id, ticket_id, sender, sender_name, body.as_str(), now))
}

/// Sets a ticket's status. The current status again is a no-op (nothing
/// written). Entering `closed` sets `closed_at`; leaving it clears it.
pub fn set_status(
    conn: &Connection,
    scope: &Scope,
    admin_id: i64,
    ticket_id: i64,
    status: Status,
    meta: &AuditMeta,
) -> DbResult<TicketDetail> {
    let ticket = get(conn, scope, ticket_id)?;
    if ticket.status == status {
        return detail(conn, scope, ticket_id);
    }
    let now = Timestamp::now().micros();
    conn.prepare_cached(
        "UPDATE tickets SET status = ?2, last_activity_at = ?3, updated_at = ?3,
            closed_at = CASE WHEN ?2 = 'closed' THEN ?3 ELSE NULL END
         WHERE id = ?1",
    )?
    .execute((ticket_id, status.as_str(), now))?;
    let note = format!("Status changed from {} to {}", ticket.status.as_str(), status.as_str());
    insert_message(conn, ticket_id, Sender::System(admin_id), &note, now)?;
    audit::append(
        conn,
        &audit::Entry::new("ticket.status.update", Actor::Admin(admin_id))
            .company(ticket.company_id)
            .ticket(ticket_id)
            .detail(json!({"before": {"status": ticket.status}, "after": {"status": status}})),
        meta,
    )?;
    detail(conn, scope, ticket_id)
}

/// Assigns a ticket to an active platform admin, or unassigns it (`None`).
/// The current assignee again is a no-op.
pub fn assign(
    conn: &Connection,
    scope: &Scope,
    admin_id: i64,
    ticket_id: i64,
    assignee: Option<i64>,
    meta: &AuditMeta,
) -> DbResult<TicketDetail> {
    let ticket = get(conn, scope, ticket_id)?;
    let assignee_name = match assignee {
        Some(id) => match accounts::admin_by_id(conn, id)? {
            Some(admin) if admin.active => Some(admin.name),
            _ => {
                return Err(DbError::invalid(FieldError::new(
                    "admin_id",
                    "invalid_assignee",
                    "must be the id of an active platform admin",
                )));
            }
        },
        None => None,
    };
    if ticket.assigned_admin_id == assignee {
        return detail(conn, &Scope::All, ticket_id);
    }
    let now = Timestamp::now().micros();
    conn.prepare_cached(
        "UPDATE tickets SET assigned_admin_id = ?2, last_activity_at = ?3, updated_at = ?3 WHERE id = ?1",
    )?
    .execute((ticket_id, assignee, now))?;
    let note = match (&assignee_name, &ticket.assigned_admin_name) {
        (Some(name), _) => format!("Assigned to {name}"),
        (None, Some(previous)) => format!("Unassigned (was {previous})"),
        (None, None) => "Unassigned".to_string(),
    };
    insert_message(conn, ticket_id, Sender::System(admin_id), &note, now)?;
    audit::append(
        conn,
        &audit::Entry::new("ticket.assign", Actor::Admin(admin_id))
            .company(ticket.company_id)
            .ticket(ticket_id)
            .detail(json!({
                "before": {"assigned_admin_id": ticket.assigned_admin_id},
                "after": {"assigned_admin_id": assignee},
            })),
        meta,
    )?;
    // After handing a ticket on, a support agent may no longer see it; the
    // answer shows the state they just made.
    detail(conn, &Scope::All, ticket_id)
}

/// How many tickets there are in all (the demo seeds only an empty database).
pub fn count(conn: &Connection) -> DbResult<i64> {
    Ok(conn.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))?)
}

/// Backdates a ticket and its thread (the demo seeds a history this way).
pub fn backdate(conn: &Connection, ticket_id: i64, by_micros: i64) -> DbResult<()> {
    conn.execute(
        "UPDATE tickets SET created_at = created_at - ?2, updated_at = updated_at - ?2,
            last_activity_at = last_activity_at - ?2, closed_at = closed_at - ?2 WHERE id = ?1",
        (ticket_id, by_micros),
    )?;
    conn.execute(
        "UPDATE ticket_messages SET created_at = created_at - ?2 WHERE ticket_id = ?1",
        (ticket_id, by_micros),
    )?;
    Ok(())
}
