//! The platform audit log: one row per mutation, written by the same
//! transaction as the change it records, so neither exists without the other.

use async_trait::async_trait;
use rusqlite::types::Value;

use super::{SqliteTx, query::Sql};
use crate::{
    domain::{AuditEntry, AuditFilter, AuditMeta, PageRequest, Timestamp},
    store::{AuditRecord, AuditTx, StoreResult},
};

/// The audit list query, without running it (the index tests explain it).
pub fn audit_sql(filter: &AuditFilter, page: &PageRequest) -> Sql {
    let mut sql = Sql::new(
        "SELECT id, action, actor_kind, actor_id, company_id, ticket_id, detail, request_id, client_addr, created_at
         FROM platform_audit_log WHERE 1",
    );
    if let Some(action) = &filter.action {
        sql.and("action = ?", [Value::Text(action.clone())]);
    }
    if let Some(id) = filter.ticket_id {
        sql.and("ticket_id = ?", [Value::Integer(id.get())]);
    }
    if let Some(id) = filter.company_id {
        sql.and("company_id = ?", [Value::Integer(id.get())]);
    }
    if let Some(actor) = filter.actor {
        sql.and("actor_kind = ?", [Value::Text(actor.kind().into())]);
        if let Some(id) = actor.id() {
            sql.and("actor_id = ?", [Value::Integer(id)]);
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
    // Written into the text, not bound (see `tickets::list_sql`).
    sql.push(&format!(" ORDER BY id DESC LIMIT {}", page.limit + 1), []);
    sql
}

#[async_trait]
impl AuditTx for SqliteTx<'_> {
    async fn append_audit(&mut self, entry: &AuditEntry, meta: &AuditMeta, at: Timestamp) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO platform_audit_log
                   (action, actor_kind, actor_id, company_id, ticket_id, detail, request_id, client_addr, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute((
                entry.action.as_str(),
                entry.actor.kind(),
                entry.actor.id(),
                entry.company_id,
                entry.ticket_id,
                entry.detail.to_string(),
                meta.request_id.as_deref(),
                meta.client_addr.as_deref(),
                at,
            ))?;
        Ok(())
    }

    async fn audit_page(&mut self, filter: &AuditFilter, page: &PageRequest) -> StoreResult<Vec<AuditRecord>> {
        audit_sql(filter, page).query(self.conn, |r| {
            let detail: String = r.get(6)?;
            Ok(AuditRecord {
                id: r.get(0)?,
                action: r.get(1)?,
                actor_kind: r.get(2)?,
                actor_id: r.get(3)?,
                company_id: r.get(4)?,
                ticket_id: r.get(5)?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                request_id: r.get(7)?,
                client_addr: r.get(8)?,
                at: r.get(9)?,
            })
        })
    }
}
