//! The mail outbox and notification choices.

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::{
    SqliteTx,
    accounts::{ADMIN_COLUMNS, admin_from_row},
};
use crate::{
    domain::{AccountKind, TicketId, Timestamp},
    store::{AdminRecord, MailTx, Named, OutboxCounts, OutboxInsert, OutboxRecord, StoreResult, TicketFacts},
};

#[async_trait]
impl MailTx for SqliteTx<'_> {
    async fn covering_agents(&mut self, subject: &str, what: &str) -> StoreResult<Vec<AdminRecord>> {
        let columns: String = ADMIN_COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {columns} FROM ticket_coverage tc JOIN platform_admins a ON a.id = tc.platform_admin_id \
             WHERE tc.subject = ?1 AND a.active = 1 AND a.role = 'platform_support' AND NOT EXISTS \
             (SELECT 1 FROM notification_settings n WHERE n.account_kind = 'admin' AND n.account_id = a.id \
              AND n.kind = ?2 AND n.enabled = 0) ORDER BY a.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_map([subject, what], admin_from_row)?.collect::<Result<_, _>>()?)
    }

    async fn ticket_facts(&mut self, id: TicketId) -> StoreResult<Option<TicketFacts>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT t.id, t.company_id, c.name, t.created_by_user_id, t.subject, t.assigned_admin_id \
                 FROM tickets t JOIN companies c ON c.id = t.company_id WHERE t.id = ?1",
            )?
            .query_row([id], |r| {
                Ok(TicketFacts {
                    id: r.get(0)?,
                    company: Named { id: r.get(1)?, name: r.get(2)? },
                    creator: r.get(3)?,
                    subject: r.get(4)?,
                    assignee: r.get(5)?,
                })
            })
            .optional()?)
    }

    async fn staff_opted_in(&mut self, what: &str) -> StoreResult<Vec<AdminRecord>> {
        let columns: String = ADMIN_COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
        let sql = format!(
            "SELECT {columns} FROM notification_settings n JOIN platform_admins a ON a.id = n.account_id \
             WHERE n.account_kind = 'admin' AND n.kind = ?1 AND n.enabled = 1 AND a.active = 1 \
             AND a.role IN ('platform_owner', 'platform_admin') ORDER BY a.id"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        Ok(stmt.query_map([what], admin_from_row)?.collect::<Result<_, _>>()?)
    }

    async fn notification_settings(&mut self, kind: AccountKind, id: i64) -> StoreResult<Vec<(String, bool)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, enabled FROM notification_settings WHERE account_kind = ?1 AND account_id = ?2",
        )?;
        Ok(stmt.query_map(params![kind, id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?)
    }

    async fn set_notification_setting(&mut self, kind: AccountKind, id: i64, what: &str, on: bool) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO notification_settings(account_kind, account_id, kind, enabled) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT(account_kind, account_id, kind) DO UPDATE SET enabled = excluded.enabled",
            )?
            .execute(params![kind, id, what, on])?;
        Ok(())
    }

    async fn open_outbox(
        &mut self,
        kind: AccountKind,
        id: i64,
        ticket: TicketId,
        now: Timestamp,
    ) -> StoreResult<Option<(i64, String)>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT id, payload FROM mail_outbox INDEXED BY idx_mail_outbox_pending WHERE ticket_id = ?3 \
                 AND recipient_kind = ?1 AND recipient_id = ?2 AND state = 'pending' AND attempts = 0 AND due_at > ?4 \
                 ORDER BY id DESC LIMIT 1",
            )?
            .query_row(params![kind, id, ticket, now], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    async fn insert_outbox(&mut self, row: &OutboxInsert<'_>) -> StoreResult<i64> {
        self.conn
            .prepare_cached(
                "INSERT INTO mail_outbox(recipient_kind, recipient_id, to_addr, kind, ticket_id, payload, created_at, due_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                row.recipient_kind,
                row.recipient_id,
                row.to,
                row.kind,
                row.ticket,
                row.payload,
                row.at,
                row.due
            ])?;
        Ok(self.conn.last_insert_rowid())
    }

    async fn set_outbox_payload(&mut self, id: i64, payload: &str) -> StoreResult<()> {
        self.conn.prepare_cached("UPDATE mail_outbox SET payload = ?2 WHERE id = ?1")?.execute(params![id, payload])?;
        Ok(())
    }

    async fn due_outbox(&mut self, now: Timestamp, limit: u32) -> StoreResult<Vec<OutboxRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, recipient_kind, recipient_id, to_addr, kind, ticket_id, payload, attempts, created_at \
             FROM mail_outbox INDEXED BY idx_mail_outbox_pending WHERE state = 'pending' AND due_at <= ?1 LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![now, limit], |r| {
            Ok(OutboxRecord {
                id: r.get(0)?,
                recipient_kind: r.get(1)?,
                recipient_id: r.get(2)?,
                to: r.get(3)?,
                kind: r.get(4)?,
                ticket: r.get(5)?,
                payload: r.get(6)?,
                attempts: r.get(7)?,
                created: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    async fn finish_outbox(&mut self, id: i64, state: &str, error: Option<&str>, at: Timestamp) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE mail_outbox SET state = ?2, last_error = coalesce(?3, last_error), done_at = ?4, payload = '{}', \
                 attempts = attempts + (?2 <> 'skipped') WHERE id = ?1",
            )?
            .execute(params![id, state, error, at])?;
        Ok(())
    }

    async fn sent_outbox(&mut self, ids: &[i64], at: Timestamp) -> StoreResult<()> {
        let mut stmt = self.conn.prepare_cached(
            "UPDATE mail_outbox SET state = 'sent', done_at = ?2, payload = '{}', attempts = attempts + 1 \
             WHERE id = ?1 AND state = 'pending'",
        )?;
        for id in ids {
            stmt.execute(params![id, at])?;
        }
        Ok(())
    }

    async fn retry_outbox(&mut self, id: i64, error: &str, due: Timestamp) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                "UPDATE mail_outbox SET attempts = attempts + 1, last_error = ?2, due_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, error, due])?;
        Ok(())
    }

    async fn outbox_counts(&mut self) -> StoreResult<OutboxCounts> {
        // Each state through its own partial index: no scan of the history.
        Ok(self.conn.prepare_cached(
            "SELECT (SELECT count(*) FROM mail_outbox INDEXED BY idx_mail_outbox_pending WHERE state = 'pending'), \
                    (SELECT count(*) FROM mail_outbox INDEXED BY idx_mail_outbox_pending WHERE state = 'pending' AND attempts > 0), \
                    (SELECT count(*) FROM mail_outbox INDEXED BY idx_mail_outbox_sent WHERE state = 'sent'), \
                    (SELECT count(*) FROM mail_outbox INDEXED BY idx_mail_outbox_dead WHERE state = 'dead'), \
                    (SELECT count(*) FROM mail_outbox INDEXED BY idx_mail_outbox_skipped WHERE state = 'skipped')",
        )?
        .query_row([], |r| {
            Ok(OutboxCounts { pending: r.get(0)?, retrying: r.get(1)?, sent: r.get(2)?, dead: r.get(3)?, skipped: r.get(4)? })
        })?)
    }
}
