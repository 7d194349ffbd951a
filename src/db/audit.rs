//! The platform audit log: one row per mutation, written by the same
//! transaction as the change it records, so neither exists without the other.

use rusqlite::{Connection, types::Value};
use serde::Serialize;

use super::{DbResult, query::Sql};
use crate::domain::{Page, PageRequest, Timestamp};

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(i64),
    Admin(i64),
    /// An operator at the command line.
    Cli,
}

impl Actor {
    fn kind(self) -> &'static str {
        match self {
            Actor::User(_) => "user",
            Actor::Admin(_) => "admin",
            Actor::Cli => "cli",
        }
    }

    fn id(self) -> Option<i64> {
        match self {
            Actor::User(id) | Actor::Admin(id) => Some(id),
            Actor::Cli => None,
        }
    }
}

/// Where a change came from: the request id and the client address.
#[derive(Debug, Clone, Default)]
pub struct AuditMeta {
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

/// One audit row to append.
#[derive(Debug, Clone)]
pub struct Entry {
    pub action: &'static str,
    pub actor: Actor,
    pub company_id: Option<i64>,
    pub ticket_id: Option<i64>,
    pub detail: serde_json::Value,
}

impl Entry {
    pub fn new(action: &'static str, actor: Actor) -> Self {
        Self { action, actor, company_id: None, ticket_id: None, detail: serde_json::json!({}) }
    }

    pub fn company(mut self, id: i64) -> Self {
        self.company_id = Some(id);
        self
    }

    pub fn ticket(mut self, id: i64) -> Self {
        self.ticket_id = Some(id);
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// Appends one row. Called inside the write closure of the change itself.
pub fn append(conn: &Connection, entry: &Entry, meta: &AuditMeta) -> DbResult<()> {
    conn.prepare_cached(
        "INSERT INTO platform_audit_log
           (action, actor_kind, actor_id, company_id, ticket_id, detail, request_id, client_addr, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute((
        entry.action,
        entry.actor.kind(),
        entry.actor.id(),
        entry.company_id,
        entry.ticket_id,
        entry.detail.to_string(),
        meta.request_id.as_deref(),
        meta.client_addr.as_deref(),
        Timestamp::now().micros(),
    ))?;
    Ok(())
}

/// One row as the audit viewer shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub action: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub company_id: Option<i64>,
    pub ticket_id: Option<i64>,
    /// What changed: `before` and `after` where there are such.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub created_at: Timestamp,
}

/// The audit viewer's filters.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub ticket_id: Option<i64>,
    pub company_id: Option<i64>,
    /// `(kind, id)`: `("admin", Some(3))`, `("user", Some(9))`, `("cli", None)`.
    pub actor: Option<(String, Option<i64>)>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

/// The audit list query, without running it (the index tests explain it).
pub fn list_sql(filter: &AuditFilter, page: &PageRequest) -> Sql {
    let mut sql = Sql::new(
        "SELECT id, action, actor_kind, actor_id, company_id, ticket_id, detail, request_id, client_addr, created_at
         FROM platform_audit_log WHERE 1",
    );
    if let Some(action) = &filter.action {
        sql.and("action = ?", [Value::Text(action.clone())]);
    }
    if let Some(id) = filter.ticket_id {
        sql.and("ticket_id = ?", [Value::Integer(id)]);
    }
    if let Some(id) = filter.company_id {
        sql.and("company_id = ?", [Value::Integer(id)]);
    }
    if let Some((kind, id)) = &filter.actor {
        sql.and("actor_kind = ?", [Value::Text(kind.clone())]);
        if let Some(id) = id {
            sql.and("actor_id = ?", [Value::Integer(*id)]);
        }
    }
    if let Some(since) = filter.since {
        sql.and("created_at >= ?", [Value::Integer(since.micros())]);
    }
    if let Some(until) = filter.until {
        sql.and("created_at < ?", [Value::Integer(until.micros())]);
    }
    if let Some(cursor) = &page.after {
        sql.and("id < ?", [Value::Integer(cursor.id)]);
    }
    sql.push(" ORDER BY id DESC LIMIT ?", [Value::Integer(i64::from(page.limit) + 1)]);
    sql
}

/// Newest first, keyset-paginated on the id (ids grow with time).
pub fn list(conn: &Connection, filter: &AuditFilter, page: &PageRequest) -> DbResult<Page<AuditRow>> {
    let rows = list_sql(filter, page).query(conn, |r| {
        let detail: String = r.get(6)?;
        Ok(AuditRow {
            id: r.get(0)?,
            action: r.get(1)?,
            actor_kind: r.get(2)?,
            actor_id: r.get(3)?,
            company_id: r.get(4)?,
            ticket_id: r.get(5)?,
            detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            request_id: r.get(7)?,
            client_addr: r.get(8)?,
            created_at: Timestamp(r.get(9)?),
        })
    })?;
    Ok(Page::from_rows(rows, page.limit, |row| crate::domain::Cursor { at: row.created_at.micros(), id: row.id }))
}
