//! The platform audit log: one row per mutation, written by the same
//! transaction as the change it records. `detail` is `jsonb`.

use async_trait::async_trait;

use super::{
    PgTx,
    query::{Sql, p},
};
use crate::{
    domain::{AuditEntry, AuditFilter, AuditMeta, PageRequest, TicketId, Timestamp},
    store::{AuditRecord, AuditTx, StoreResult},
};

/// The audit list query, without running it.
pub fn audit_sql(filter: &AuditFilter, page: &PageRequest) -> Sql {
    let mut sql = Sql::new(
        "SELECT id, action, actor_kind, actor_id, company_id, ticket_id, detail, request_id, client_addr, created_at
         FROM platform_audit_log WHERE TRUE",
    );
    if let Some(action) = &filter.action {
        sql.and("action = ?", [p(action.clone())]);
    }
    if let Some(id) = filter.ticket_id {
        sql.and("ticket_id = ?", [p(id)]);
    }
    if let Some(id) = filter.company_id {
        sql.and("company_id = ?", [p(id)]);
    }
    if let Some(actor) = filter.actor {
        sql.and("actor_kind = ?", [p(actor.kind().to_string())]);
        if let Some(id) = actor.id() {
            sql.and("actor_id = ?", [p(id)]);
        }
    }
    if let Some(since) = filter.since {
        sql.and("created_at >= ?", [p(since)]);
    }
    if let Some(until) = filter.until {
        sql.and("created_at < ?", [p(until)]);
    }
    if let Some(cursor) = &page.after {
        sql.and("id < ?", [p(cursor.id)]);
    }
    sql.push(&format!(" ORDER BY id DESC LIMIT {}", page.limit + 1), []);
    sql
}

#[async_trait]
impl AuditTx for PgTx<'_> {
    async fn append_audit(&mut self, entry: &AuditEntry, meta: &AuditMeta, at: Timestamp) -> StoreResult<()> {
        let ticket: Option<TicketId> = entry.ticket_id;
        self.exec(
            "INSERT INTO platform_audit_log
               (action, actor_kind, actor_id, company_id, ticket_id, detail, request_id, client_addr, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &entry.action.as_str(),
                &entry.actor.kind(),
                &entry.actor.id(),
                &entry.company_id,
                &ticket,
                &entry.detail,
                &meta.request_id.as_deref(),
                &meta.client_addr.as_deref(),
                &at,
            ],
        )
        .await?;
        Ok(())
    }

    async fn audit_page(&mut self, filter: &AuditFilter, page: &PageRequest) -> StoreResult<Vec<AuditRecord>> {
        let rows = self.built(&audit_sql(filter, page)).await?;
        rows.iter()
            .map(|r| {
                Ok(AuditRecord {
                    id: r.try_get(0)?,
                    action: r.try_get(1)?,
                    actor_kind: r.try_get(2)?,
                    actor_id: r.try_get(3)?,
                    company_id: r.try_get(4)?,
                    ticket_id: r.try_get(5)?,
                    detail: r.try_get(6)?,
                    request_id: r.try_get(7)?,
                    client_addr: r.try_get(8)?,
                    at: r.try_get(9)?,
                })
            })
            .collect()
    }
}
