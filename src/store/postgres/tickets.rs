//! Tickets and their threads in PostgreSQL. Every read takes the viewer and
//! puts the scope's predicate in the SQL, so a ticket outside the caller's
//! view is simply not found; the viewer's [`Audience`] picks which of the
//! ticket's two views it reads. The search table is written here, beside
//! the row it indexes, in the same transaction.

use async_trait::async_trait;
use icu_properties::{CodePointMapData, props::GeneralCategory};
use tokio_postgres::Row;

use super::{
    PgTx,
    query::{Param, Sql, p},
    scope::{predicate, sees},
};
use crate::{
    access::{Audience, Reader, Scope, Viewer},
    domain::{
        AdminId, Assigned, Cursor, MessageId, Order, PageRequest, SearchWords, SenderType, Status, TicketFilter,
        TicketId, Timestamp,
    },
    store::sql::{SUMMARY_COLUMNS, view},
    store::{
        AudienceView, LastMessage, MessageInsert, MessageRecord, Named, StoreResult, TicketCounts, TicketInsert,
        TicketRecord, TicketState, TicketSummary, TicketTimes, TicketTx, TicketVersion,
    },
};

fn reader_params(reader: Reader) -> [Param; 2] {
    [p(reader.kind().as_str()), p(reader.id())]
}

/// `SELECT ... FROM tickets t ...` as one viewer sees it, with the viewer's
/// read mark (`r`) joined.
fn select(viewer: &Viewer) -> Sql {
    let v = view(viewer.audience());
    let mut sql = Sql::new(&format!(
        "SELECT t.id, t.company_id, c.name, t.created_by_user_id, u.name, t.type, t.subject, t.sub_subject, \
         t.status, t.assigned_admin_id, a.name, t.last_activity_at, t.created_at, {}, t.closed_at, t.waiting_on, \
         {}, {}, r.message_id \
         FROM tickets t JOIN companies c ON c.id = t.company_id JOIN users u ON u.id = t.created_by_user_id \
         LEFT JOIN platform_admins a ON a.id = t.assigned_admin_id \
         LEFT JOIN read_marks r ON r.reader_kind = ",
        v.updated, v.newest, v.last
    ));
    let [kind, id] = reader_params(viewer.reader);
    sql.push("? AND r.reader_id = ? AND r.ticket_id = t.id", [kind, id]);
    sql
}

fn last_message(r: &Row, first: usize) -> StoreResult<Option<LastMessage>> {
    let Some(preview) = r.try_get::<_, Option<String>>(first)? else { return Ok(None) };
    Ok(Some(LastMessage {
        preview,
        at: r.try_get(first + 1)?,
        sender: r.try_get(first + 2)?,
        internal: r.try_get(first + 3)?,
    }))
}

fn ticket_from_row(r: &Row) -> StoreResult<TicketRecord> {
    let assignee = match r.try_get::<_, Option<AdminId>>(9)? {
        Some(id) => Some(Named { id, name: r.try_get(10)? }),
        None => None,
    };
    Ok(TicketRecord {
        id: r.try_get(0)?,
        company: Named { id: r.try_get(1)?, name: r.try_get(2)? },
        creator: Named { id: r.try_get(3)?, name: r.try_get(4)? },
        kind: r.try_get(5)?,
        subject: r.try_get(6)?,
        sub_subject: r.try_get(7)?,
        status: r.try_get(8)?,
        assignee,
        times: TicketTimes {
            last_activity: r.try_get(11)?,
            created: r.try_get(12)?,
            updated: r.try_get(13)?,
            closed: r.try_get(14)?,
        },
        waiting_on: r.try_get(15)?,
        newest_message: r.try_get(16)?,
        last_message: last_message(r, 17)?,
        read_mark: r.try_get(21)?,
    })
}

/// The longest word the search table keeps (PostgreSQL refuses lexemes of
/// 2 KiB and more); a query word is at most 64 characters, so a prefix of
/// a longer word still finds it.
const MAX_WORD_CHARS: usize = 256;

/// A word as the search table keeps it: lowercased, its accents taken off
/// (decomposed, and the combining marks dropped), as SQLite's unicode61
/// tokenizer with `remove_diacritics` does.
fn fold(word: &str) -> String {
    let decomposed = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd().normalize(word);
    let categories = CodePointMapData::<GeneralCategory>::new();
    decomposed
        .chars()
        .filter(|c| categories.get(*c) != GeneralCategory::NonspacingMark)
        .collect::<String>()
        .to_lowercase()
}

/// Text cut into the words the search table holds: runs of letters and
/// digits (as unicode61 cuts them, and as [`SearchWords`] cuts a query),
/// folded. PostgreSQL's own parser would keep `info@acme.example` or
/// `www.acme.example` as one token, which SQLite splits, so the words are
/// made here and stored as they are (`array_to_tsvector`).
pub(super) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .map(|w| fold(&w.chars().take(MAX_WORD_CHARS).collect::<String>()))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The `tsquery` for search words: each word folded and a prefix, all of
/// which must match. Words hold letters and digits only, so quoting them is
/// enough.
pub fn search_query(words: &SearchWords) -> String {
    let folded: Vec<String> = words.words().iter().map(|w| fold(w)).filter(|w| !w.is_empty()).collect();
    if folded.is_empty() {
        // Only marks: nothing can match.
        return "''".to_string();
    }
    folded.iter().map(|w| format!("'{w}':*")).collect::<Vec<_>>().join(" & ")
}

/// ` WHERE` the viewer's scope and the list's filters (all but the status,
/// which the counts group by): what a list and its counts share.
fn filtered(sql: &mut Sql, viewer: &Viewer, filter: &TicketFilter) {
    sql.push(" WHERE TRUE", []);
    let (visible, params) = predicate(&viewer.scope);
    sql.and(visible, params);
    if let Some(subject) = &filter.subject {
        sql.and("t.subject = ?", [p(subject.as_str().to_string())]);
    }
    if let Some(company) = filter.company_id {
        sql.and("t.company_id = ?", [p(company)]);
    }
    match filter.assigned {
        Assigned::All => {}
        Assigned::To(admin) => {
            sql.and("t.assigned_admin_id = ?", [p(admin)]);
        }
        Assigned::Unassigned => {
            sql.and("t.assigned_admin_id IS NULL", []);
        }
    }
    if let Some(waiting_on) = filter.waiting_on {
        sql.and("t.waiting_on = ?", [p(waiting_on)]);
    }
    if filter.open_only {
        sql.and("t.status NOT IN ('solved', 'closed')", []);
    }
    if let Some(search) = &filter.search {
        // A tenant's search never matches an internal note. The matches are
        // found once, on the words' index, and the list picks its page from
        // them (`IN (SELECT ...)` lets the planner walk every ticket in
        // order and probe each, as it cannot tell how rare a prefix is).
        let rows = format!(
            "t.id = ANY(ARRAY(SELECT s.ticket_id FROM ticket_search s WHERE s.words @@ ?::text::tsquery AND {}))",
            sees(viewer.audience(), "s.internal")
        );
        sql.and(&rows, [p(search_query(search))]);
    }
    if let Some(since) = filter.updated_since {
        let updated = view(viewer.audience()).updated;
        sql.and(&format!("{updated} > ?"), [p(since)]);
    }
}

/// The list query, without running it (the index tests explain it).
pub fn list_sql(viewer: &Viewer, filter: &TicketFilter, page: &PageRequest) -> Sql {
    let mut sql = select(viewer);
    filtered(&mut sql, viewer, filter);
    if let Some(status) = filter.status {
        sql.and("t.status = ?", [p(status)]);
    }
    let (after, order) = match page.order {
        Order::Newest => ("(t.last_activity_at, t.id) < (?, ?)", "DESC"),
        Order::Oldest => ("(t.last_activity_at, t.id) > (?, ?)", "ASC"),
    };
    if let Some(Cursor { at, id, .. }) = page.after {
        sql.and(after, [p(at), p(id)]);
    }
    sql.push(&format!(" ORDER BY t.last_activity_at {order}, t.id {order} LIMIT {}", page.limit + 1), []);
    sql
}

/// The counts query: per status, who they wait on and assignee, how many
/// tickets the list would find and how many of them the viewer has read up
/// to the newest message their audience sees.
fn counts_sql(viewer: &Viewer, filter: &TicketFilter) -> Sql {
    let newest = view(viewer.audience()).newest;
    // The reader's up-to-date marks join in one pass (a hash join), not one
    // lookup per ticket.
    let mut sql = Sql::new(&format!(
        "SELECT t.status, t.waiting_on, t.assigned_admin_id, count(*), count(r.ticket_id) FROM tickets t \
         LEFT JOIN read_marks r ON r.reader_kind = ? AND r.reader_id = ? AND r.ticket_id = t.id \
         AND r.message_id >= coalesce({newest}, 0)"
    ));
    let [kind, id] = reader_params(viewer.reader);
    sql.params_extend([kind, id]);
    filtered(&mut sql, viewer, filter);
    sql.push(" GROUP BY t.status, t.waiting_on, t.assigned_admin_id", []);
    sql
}

/// `select` for the ticket `t` with this id, under the scope: every by-id
/// read goes through here.
fn visible_by_id(mut sql: Sql, scope: &Scope, id: TicketId) -> Sql {
    sql.push(" WHERE t.id = ?", [p(id)]);
    let (visible, params) = predicate(scope);
    sql.and(visible, params);
    sql
}

fn message_from_row(r: &Row) -> StoreResult<MessageRecord> {
    Ok(MessageRecord {
        id: r.try_get(0)?,
        ticket_id: r.try_get(1)?,
        sender_type: r.try_get(2)?,
        sender_user: r.try_get(3)?,
        sender_admin: r.try_get(4)?,
        sender_name: r.try_get(5)?,
        body: r.try_get(6)?,
        internal: r.try_get(7)?,
        at: r.try_get(8)?,
    })
}

fn summary_from_row(r: &Row, first: usize) -> StoreResult<TicketSummary> {
    let audience = |at: usize| -> StoreResult<AudienceView> {
        Ok(AudienceView { newest: r.try_get(at)?, last: last_message(r, at + 1)?, updated: r.try_get(at + 5)? })
    };
    Ok(TicketSummary {
        status: r.try_get(first)?,
        closed: r.try_get(first + 1)?,
        assignee: r.try_get(first + 2)?,
        waiting_on: r.try_get(first + 3)?,
        last_activity: r.try_get(first + 4)?,
        public: audience(first + 5)?,
        staff: audience(first + 11)?,
    })
}

impl PgTx<'_> {
    async fn index(&self, ticket: TicketId, internal: bool, text: &str) -> StoreResult<()> {
        let words = words(text);
        if words.is_empty() {
            return Ok(());
        }
        self.exec(
            "INSERT INTO ticket_search(ticket_id, internal, words)
             VALUES ($1, $2, array_to_tsvector($3::text[]))",
            &[&ticket, &internal, &words],
        )
        .await?;
        Ok(())
    }
}

#[async_trait]
impl TicketTx for PgTx<'_> {
    async fn now(&mut self) -> StoreResult<Timestamp> {
        // The database's clock: every server stamps writes from one clock.
        let row = self.one("SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint", &[]).await?;
        Ok(row.try_get(0)?)
    }

    async fn ping(&mut self) -> StoreResult<()> {
        self.one("SELECT 1", &[]).await?;
        Ok(())
    }

    async fn ticket_page(
        &mut self,
        viewer: &Viewer,
        filter: &TicketFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<TicketRecord>> {
        self.built(&list_sql(viewer, filter, page)).await?.iter().map(ticket_from_row).collect()
    }

    async fn ticket_counts(
        &mut self,
        viewer: &Viewer,
        filter: &TicketFilter,
        me: Option<AdminId>,
    ) -> StoreResult<TicketCounts> {
        let rows = self.built(&counts_sql(viewer, filter)).await?;
        let mut counts = TicketCounts::empty();
        for r in rows {
            let (status, n, read): (Status, i64, i64) = (r.try_get(0)?, r.try_get(3)?, r.try_get(4)?);
            counts.add(status, r.try_get(1)?, r.try_get(2)?, me, n);
            if status.is_open() {
                counts.unread += n - read;
            }
        }
        Ok(counts)
    }

    async fn ticket(&mut self, viewer: &Viewer, id: TicketId) -> StoreResult<Option<TicketRecord>> {
        let sql = visible_by_id(select(viewer), &viewer.scope, id);
        self.built(&sql).await?.first().map(ticket_from_row).transpose()
    }

    async fn ticket_version(&mut self, viewer: &Viewer, id: TicketId) -> StoreResult<Option<TicketVersion>> {
        let v = view(viewer.audience());
        let mut sql = Sql::new(&format!(
            "SELECT {}, {}, (SELECT r.message_id FROM read_marks r \
             WHERE r.reader_kind = ? AND r.reader_id = ? AND r.ticket_id = t.id) FROM tickets t",
            v.updated, v.newest
        ));
        sql.params_extend(reader_params(viewer.reader));
        let sql = visible_by_id(sql, &viewer.scope, id);
        let rows = self.built(&sql).await?;
        rows.first()
            .map(|r| {
                Ok(TicketVersion { updated: r.try_get(0)?, newest_message: r.try_get(1)?, read_mark: r.try_get(2)? })
            })
            .transpose()
    }

    async fn thread(&mut self, id: TicketId, audience: Audience) -> StoreResult<Vec<MessageRecord>> {
        let sql = format!(
            "SELECT m.id, m.ticket_id, m.sender_type, m.sender_user_id, m.sender_admin_id, \
             coalesce(u.name, a.name), m.body, m.internal, m.created_at FROM ticket_messages m \
             LEFT JOIN users u ON u.id = m.sender_user_id LEFT JOIN platform_admins a ON a.id = m.sender_admin_id \
             WHERE m.ticket_id = $1 AND {} ORDER BY m.created_at, m.id",
            sees(audience, "m.internal")
        );
        self.rows(&sql, &[&id]).await?.iter().map(message_from_row).collect()
    }

    async fn ticket_for_change(&mut self, scope: &Scope, id: TicketId) -> StoreResult<Option<TicketState>> {
        // Locked until the transaction ends: what the rule checks (status,
        // assignee) cannot change under it on another connection. `OF t`:
        // the assignee's side of the join may be null.
        let mut sql = visible_by_id(
            Sql::new(&format!(
                "SELECT t.id, t.company_id, a.name, {SUMMARY_COLUMNS} FROM tickets t \
                 LEFT JOIN platform_admins a ON a.id = t.assigned_admin_id"
            )),
            scope,
            id,
        );
        sql.push(self.lock(" FOR UPDATE OF t"), []);
        let rows = self.built(&sql).await?;
        rows.first()
            .map(|r| {
                Ok(TicketState {
                    id: r.try_get(0)?,
                    company_id: r.try_get(1)?,
                    assignee_name: r.try_get(2)?,
                    summary: summary_from_row(r, 3)?,
                })
            })
            .transpose()
    }

    async fn insert_ticket(&mut self, t: &TicketInsert<'_>) -> StoreResult<TicketId> {
        let row = self
            .one(
                "INSERT INTO tickets(company_id, created_by_user_id, type, subject, sub_subject, status,
                                     last_activity_at, created_at, updated_at, staff_updated_at)
                 VALUES ($1, $2, 'support', $3, $4, 'new', $5, $5, $5, $5) RETURNING id",
                &[&t.company_id, &t.creator, &t.subject, &t.sub_subject, &t.at],
            )
            .await?;
        let id: TicketId = row.try_get(0)?;
        self.index(id, false, &format!("{} {}", t.subject, t.sub_subject.unwrap_or_default())).await?;
        Ok(id)
    }

    async fn insert_message(&mut self, m: &MessageInsert<'_>) -> StoreResult<MessageId> {
        let sender = m.sender;
        let row = self
            .one(
                "INSERT INTO ticket_messages(ticket_id, sender_type, sender_user_id, sender_admin_id, body, internal, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[&m.ticket_id, &sender.sender_type(), &sender.user(), &sender.admin(), &m.body, &m.internal, &m.at],
            )
            .await?;
        // System notes are not searched.
        if sender.sender_type() != SenderType::System {
            self.index(m.ticket_id, m.internal, m.body).await?;
        }
        Ok(row.try_get(0)?)
    }

    async fn update_ticket(&mut self, id: TicketId, s: &TicketSummary) -> StoreResult<()> {
        let last = |v: &AudienceView| {
            let l = v.last.as_ref();
            (l.map(|l| l.preview.clone()), l.map(|l| l.at), l.map(|l| l.sender), l.is_some_and(|l| l.internal))
        };
        let (public_preview, public_at, public_sender, _) = last(&s.public);
        let (staff_preview, staff_at, staff_sender, staff_internal) = last(&s.staff);
        self.exec(
            "UPDATE tickets SET status = $2, closed_at = $3, assigned_admin_id = $4, waiting_on = $5,
                last_activity_at = $6, public_message_id = $7, public_preview = $8, public_preview_at = $9,
                public_preview_sender = $10, updated_at = $11, staff_message_id = $12, staff_preview = $13,
                staff_preview_at = $14, staff_preview_sender = $15, staff_preview_internal = $16,
                staff_updated_at = $17
             WHERE id = $1",
            &[
                &id,
                &s.status,
                &s.closed,
                &s.assignee,
                &s.waiting_on,
                &s.last_activity,
                &s.public.newest,
                &public_preview,
                &public_at,
                &public_sender,
                &s.public.updated,
                &s.staff.newest,
                &staff_preview,
                &staff_at,
                &staff_sender,
                &staff_internal,
                &s.staff.updated,
            ],
        )
        .await?;
        Ok(())
    }

    async fn read_mark(&mut self, reader: Reader, ticket: TicketId) -> StoreResult<Option<MessageId>> {
        let row = self
            .opt(
                "SELECT message_id FROM read_marks WHERE reader_kind = $1 AND reader_id = $2 AND ticket_id = $3",
                &[&reader.kind(), &reader.id(), &ticket],
            )
            .await?;
        row.map(|r| r.try_get(0)).transpose().map_err(Into::into)
    }

    async fn set_read_mark(&mut self, reader: Reader, ticket: TicketId, message: MessageId) -> StoreResult<()> {
        // A mark never moves back, even when two requests set it at once.
        self.exec(
            "INSERT INTO read_marks(reader_kind, reader_id, ticket_id, message_id) VALUES ($1, $2, $3, $4)
             ON CONFLICT (reader_kind, reader_id, ticket_id) DO UPDATE
             SET message_id = greatest(read_marks.message_id, excluded.message_id)",
            &[&reader.kind(), &reader.id(), &ticket, &message],
        )
        .await?;
        Ok(())
    }

    async fn message_in_thread(
        &mut self,
        ticket: TicketId,
        message: MessageId,
        audience: Audience,
    ) -> StoreResult<bool> {
        let sql = format!(
            "SELECT 1 FROM ticket_messages m WHERE m.id = $1 AND m.ticket_id = $2 AND {}",
            sees(audience, "m.internal")
        );
        Ok(self.opt(&sql, &[&message, &ticket]).await?.is_some())
    }

    async fn open_tickets_by_assignee(&mut self) -> StoreResult<Vec<(AdminId, i64)>> {
        let rows = self
            .rows(
                "SELECT assigned_admin_id, count(*) FROM tickets \
                 WHERE assigned_admin_id IS NOT NULL AND status NOT IN ('solved', 'closed') \
                 GROUP BY assigned_admin_id",
                &[],
            )
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    async fn backdate_ticket(&mut self, id: TicketId, by_micros: i64) -> StoreResult<()> {
        self.exec(
            "UPDATE tickets SET created_at = created_at - $2, updated_at = updated_at - $2,
                staff_updated_at = staff_updated_at - $2, last_activity_at = last_activity_at - $2,
                closed_at = closed_at - $2, public_preview_at = public_preview_at - $2,
                staff_preview_at = staff_preview_at - $2 WHERE id = $1",
            &[&id, &by_micros],
        )
        .await?;
        self.exec("UPDATE ticket_messages SET created_at = created_at - $2 WHERE ticket_id = $1", &[&id, &by_micros])
            .await?;
        Ok(())
    }
}
