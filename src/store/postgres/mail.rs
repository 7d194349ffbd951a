//! The mail outbox and notification choices.

use async_trait::async_trait;

use super::{
    PgTx,
    accounts::{ADMIN_COLUMNS, admin_from_row},
};
use crate::{
    domain::{AccountKind, TicketId, Timestamp},
    store::{AdminRecord, MailTx, Named, OutboxCounts, OutboxInsert, OutboxRecord, StoreResult, TicketFacts},
};

/// How long a sender holds the emails it took (SMTP's own timeouts are
/// shorter).
const LEASE_MICROS: i64 = 120_000_000;

#[async_trait]
impl MailTx for PgTx<'_> {
    async fn covering_agents(&mut self, subject: &str, what: &str) -> StoreResult<Vec<AdminRecord>> {
        let sql = format!(
            "SELECT {ADMIN_COLUMNS} FROM ticket_coverage tc JOIN platform_admins a ON a.id = tc.platform_admin_id \
             WHERE tc.subject = $1 AND a.active AND a.role = 'platform_support' AND NOT EXISTS \
             (SELECT 1 FROM notification_settings n WHERE n.account_kind = 'admin' AND n.account_id = a.id \
              AND n.kind = $2 AND NOT n.enabled) ORDER BY a.id"
        );
        self.rows(&sql, &[&subject, &what]).await?.iter().map(admin_from_row).collect()
    }

    async fn ticket_facts(&mut self, id: TicketId) -> StoreResult<Option<TicketFacts>> {
        let row = self
            .opt(
                "SELECT t.id, t.company_id, c.name, t.created_by_user_id, t.subject, t.assigned_admin_id \
                 FROM tickets t JOIN companies c ON c.id = t.company_id WHERE t.id = $1",
                &[&id],
            )
            .await?;
        row.map(|r| {
            Ok(TicketFacts {
                id: r.try_get(0)?,
                company: Named { id: r.try_get(1)?, name: r.try_get(2)? },
                creator: r.try_get(3)?,
                subject: r.try_get(4)?,
                assignee: r.try_get(5)?,
            })
        })
        .transpose()
    }

    async fn staff_opted_in(&mut self, what: &str) -> StoreResult<Vec<AdminRecord>> {
        let sql = format!(
            "SELECT {ADMIN_COLUMNS} FROM notification_settings n JOIN platform_admins a ON a.id = n.account_id \
             WHERE n.account_kind = 'admin' AND n.kind = $1 AND n.enabled AND a.active \
             AND a.role IN ('platform_owner', 'platform_admin') ORDER BY a.id"
        );
        self.rows(&sql, &[&what]).await?.iter().map(admin_from_row).collect()
    }

    async fn notification_settings(&mut self, kind: AccountKind, id: i64) -> StoreResult<Vec<(String, bool)>> {
        let rows = self
            .rows(
                "SELECT kind, enabled FROM notification_settings WHERE account_kind = $1 AND account_id = $2",
                &[&kind, &id],
            )
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    async fn set_notification_setting(&mut self, kind: AccountKind, id: i64, what: &str, on: bool) -> StoreResult<()> {
        self.exec(
            "INSERT INTO notification_settings(account_kind, account_id, kind, enabled) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (account_kind, account_id, kind) DO UPDATE SET enabled = excluded.enabled",
            &[&kind, &id, &what, &on],
        )
        .await?;
        Ok(())
    }

    async fn open_outbox(
        &mut self,
        kind: AccountKind,
        id: i64,
        ticket: TicketId,
        now: Timestamp,
    ) -> StoreResult<Option<(i64, String)>> {
        // Locked, so two events joining one email at once add up.
        let sql = format!(
            "SELECT id, payload::text FROM mail_outbox WHERE ticket_id = $3 AND recipient_kind = $1 \
             AND recipient_id = $2 AND state = 'pending' AND attempts = 0 AND due_at > $4 AND leased_until IS NULL \
             ORDER BY id DESC LIMIT 1{}",
            self.lock(" FOR UPDATE")
        );
        let row = self.opt(&sql, &[&kind, &id, &ticket, &now]).await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).transpose()
    }

    async fn insert_outbox(&mut self, row: &OutboxInsert<'_>) -> StoreResult<i64> {
        let inserted = self
            .one(
                "INSERT INTO mail_outbox(recipient_kind, recipient_id, to_addr, kind, ticket_id, payload, created_at, due_at) \
                 VALUES ($1, $2, $3, $4, $5, $6::text::jsonb, $7, $8) RETURNING id",
                &[&row.recipient_kind, &row.recipient_id, &row.to, &row.kind, &row.ticket, &row.payload, &row.at, &row.due],
            )
            .await?;
        Ok(inserted.try_get(0)?)
    }

    async fn set_outbox_payload(&mut self, id: i64, payload: &str) -> StoreResult<()> {
        self.exec("UPDATE mail_outbox SET payload = $2::text::jsonb WHERE id = $1", &[&id, &payload]).await?;
        Ok(())
    }

    async fn due_outbox(&mut self, now: Timestamp, limit: u32) -> StoreResult<Vec<OutboxRecord>> {
        const COLUMNS: &str =
            "id, recipient_kind, recipient_id, to_addr, kind, ticket_id, payload::text, attempts, created_at";
        let rows = if self.writing {
            // Taken for a while: two servers' senders never send one email
            // twice (`SKIP LOCKED` passes over what another is taking), and
            // one that dies leaves its emails to the others once the lease ends.
            let sql = format!(
                "UPDATE mail_outbox SET leased_until = $1 + $3 WHERE id IN \
                 (SELECT id FROM mail_outbox WHERE state = 'pending' AND due_at <= $1 \
                  AND (leased_until IS NULL OR leased_until <= $1) LIMIT $2 FOR UPDATE SKIP LOCKED) \
                 RETURNING {COLUMNS}"
            );
            self.rows(&sql, &[&now, &i64::from(limit), &LEASE_MICROS]).await?
        } else {
            let sql = format!(
                "SELECT {COLUMNS} FROM mail_outbox WHERE state = 'pending' AND due_at <= $1 \
                 AND (leased_until IS NULL OR leased_until <= $1) LIMIT $2"
            );
            self.rows(&sql, &[&now, &i64::from(limit)]).await?
        };
        rows.iter()
            .map(|r| {
                Ok(OutboxRecord {
                    id: r.try_get(0)?,
                    recipient_kind: r.try_get(1)?,
                    recipient_id: r.try_get(2)?,
                    to: r.try_get(3)?,
                    kind: r.try_get(4)?,
                    ticket: r.try_get(5)?,
                    payload: r.try_get(6)?,
                    attempts: r.try_get::<_, i32>(7)?.max(0) as u32,
                    created: r.try_get(8)?,
                })
            })
            .collect()
    }

    async fn finish_outbox(&mut self, id: i64, state: &str, error: Option<&str>, at: Timestamp) -> StoreResult<()> {
        self.exec(
            "UPDATE mail_outbox SET state = $2, last_error = coalesce($3, last_error), done_at = $4, payload = '{}', \
             attempts = attempts + CASE WHEN $2 <> 'skipped' THEN 1 ELSE 0 END WHERE id = $1",
            &[&id, &state, &error, &at],
        )
        .await?;
        Ok(())
    }

    async fn sent_outbox(&mut self, ids: &[i64], at: Timestamp) -> StoreResult<()> {
        self.exec(
            "UPDATE mail_outbox SET state = 'sent', done_at = $2, payload = '{}', attempts = attempts + 1 \
             WHERE id = ANY($1) AND state = 'pending'",
            &[&ids, &at],
        )
        .await?;
        Ok(())
    }

    async fn retry_outbox(&mut self, id: i64, error: &str, due: Timestamp) -> StoreResult<()> {
        self.exec(
            "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2, due_at = $3, leased_until = NULL WHERE id = $1",
            &[&id, &error, &due],
        )
        .await?;
        Ok(())
    }

    async fn outbox_counts(&mut self) -> StoreResult<OutboxCounts> {
        let r = self
            .one(
                "SELECT count(*) FILTER (WHERE state = 'pending'), \
                        count(*) FILTER (WHERE state = 'pending' AND attempts > 0), \
                        count(*) FILTER (WHERE state = 'sent'), count(*) FILTER (WHERE state = 'dead'), \
                        count(*) FILTER (WHERE state = 'skipped') FROM mail_outbox",
                &[],
            )
            .await?;
        Ok(OutboxCounts {
            pending: r.try_get(0)?,
            retrying: r.try_get(1)?,
            sent: r.try_get(2)?,
            dead: r.try_get(3)?,
            skipped: r.try_get(4)?,
        })
    }
}
