//! Tickets and their threads in SQLite. Every read takes the viewer (their
//! [`Scope`] and who they are) and puts the scope's predicate in the SQL, so
//! a ticket outside the caller's view is simply not found; the viewer's
//! [`Audience`] picks which of the ticket's two views it reads (tenants':
//! no internal notes; the team's: everything).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, Row, params, types::Value};

use super::{
    SqliteTx,
    query::Sql,
    scope::{predicate, sees},
};
use crate::{
    access::{Audience, Reader, Scope, Viewer},
    domain::{
        AdminId, Assigned, Cursor, MessageId, Order, PageRequest, SearchWords, Status, TicketFilter, TicketId,
        Timestamp, WaitingOn,
    },
    store::sql::{SUMMARY_COLUMNS, view},
    store::{
        AudienceView, LastMessage, MessageInsert, MessageRecord, Named, StoreResult, TicketCounts, TicketInsert,
        TicketRecord, TicketState, TicketSummary, TicketTimes, TicketTx, TicketVersion,
    },
};

/// `SELECT ... FROM tickets t ...` as one viewer sees it, with the viewer's
/// read mark (`r`) joined; the join's two parameters are added.
fn select(viewer: &Viewer) -> Sql {
    let v = view(viewer.audience());
    let mut sql = Sql::new(&format!(
        "SELECT t.id, t.company_id, c.name, t.created_by_user_id, u.name, t.type, t.subject, t.sub_subject, \
         t.status, t.assigned_admin_id, a.name, t.last_activity_at, t.created_at, {}, t.closed_at, t.waiting_on, \
         {}, {}, r.message_id \
         FROM tickets t JOIN companies c ON c.id = t.company_id JOIN users u ON u.id = t.created_by_user_id \
         LEFT JOIN platform_admins a ON a.id = t.assigned_admin_id \
         LEFT JOIN read_marks r ON r.reader_kind = ? AND r.reader_id = ? AND r.ticket_id = t.id",
        v.updated, v.newest, v.last
    ));
    sql.push("", reader_params(viewer.reader));
    sql
}

fn reader_params(reader: Reader) -> [Value; 2] {
    [Value::Text(reader.kind().as_str().into()), Value::Integer(reader.id())]
}

fn last_message(r: &Row<'_>, first: usize) -> rusqlite::Result<Option<LastMessage>> {
    let Some(preview) = r.get::<_, Option<String>>(first)? else { return Ok(None) };
    Ok(Some(LastMessage { preview, at: r.get(first + 1)?, sender: r.get(first + 2)?, internal: r.get(first + 3)? }))
}

fn named<Id: rusqlite::types::FromSql>(r: &Row<'_>, id: usize, name: usize) -> rusqlite::Result<Option<Named<Id>>> {
    match r.get::<_, Option<Id>>(id)? {
        Some(id) => Ok(Some(Named { id, name: r.get(name)? })),
        None => Ok(None),
    }
}

fn ticket_from_row(r: &Row<'_>) -> rusqlite::Result<TicketRecord> {
    Ok(TicketRecord {
        id: r.get(0)?,
        company: Named { id: r.get(1)?, name: r.get(2)? },
        creator: Named { id: r.get(3)?, name: r.get(4)? },
        kind: r.get(5)?,
        subject: r.get(6)?,
        sub_subject: r.get(7)?,
        status: r.get(8)?,
        assignee: named(r, 9, 10)?,
        times: TicketTimes { last_activity: r.get(11)?, created: r.get(12)?, updated: r.get(13)?, closed: r.get(14)? },
        waiting_on: r.get(15)?,
        newest_message: r.get(16)?,
        last_message: last_message(r, 17)?,
        read_mark: r.get(21)?,
    })
}

/// The FTS5 query for search words: each word quoted and made a prefix, all
/// of which must match. Words hold letters and digits only, so the query
/// cannot be a syntax error.
pub fn fts_query(words: &SearchWords) -> String {
    words.words().iter().map(|w| format!("\"{w}\"*")).collect::<Vec<_>>().join(" ")
}

/// ` WHERE` the viewer's scope and the list's filters (all but the status,
/// which the counts group by): what a list and its counts share.
fn filtered(sql: &mut Sql, viewer: &Viewer, filter: &TicketFilter) {
    sql.push(" WHERE 1", []);
    let (visible, params) = predicate(&viewer.scope);
    sql.and(visible, params);
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
    if let Some(waiting_on) = filter.waiting_on {
        sql.and("t.waiting_on = ?", [Value::Text(waiting_on.as_str().into())]);
    }
    if filter.open_only {
        sql.and("t.status NOT IN ('solved', 'closed')", []);
    }
    if let Some(search) = &filter.search {
        // A tenant's search never matches an internal note.
        let rows = format!(
            "t.id IN (SELECT s.ticket_id FROM ticket_search s WHERE ticket_search MATCH ? AND {})",
            sees(viewer.audience(), "s.internal")
        );
        sql.and(&rows, [Value::Text(fts_query(search))]);
    }
    if let Some(since) = filter.updated_since {
        let updated = view(viewer.audience()).updated;
        sql.and(&format!("{updated} > ?"), [Value::Integer(since.micros())]);
    }
}

/// The list query, without running it (the index tests explain it).
pub fn list_sql(viewer: &Viewer, filter: &TicketFilter, page: &PageRequest) -> Sql {
    let mut sql = select(viewer);
    filtered(&mut sql, viewer, filter);
    if let Some(status) = filter.status {
        sql.and("t.status = ?", [Value::Text(status.as_str().into())]);
    }
    let (after, order) = match page.order {
        Order::Newest => ("(t.last_activity_at, t.id) < (?, ?)", "DESC"),
        Order::Oldest => ("(t.last_activity_at, t.id) > (?, ?)", "ASC"),
    };
    if let Some(Cursor { at, id, .. }) = page.after {
        sql.and(after, [Value::Integer(at), Value::Integer(id)]);
    }
    // The limit is written into the text, not bound: SQLite plans a join with
    // a bound LIMIT afresh on every run (a measured +60% per list).
    sql.push(&format!(" ORDER BY t.last_activity_at {order}, t.id {order} LIMIT {}", page.limit + 1), []);
    sql
}

/// Whether counts can add up `ticket_tallies` instead of counting tickets:
/// the platform's scopes (everything, or a support agent's subjects and
/// assigned tickets), with only the filters a tally row keeps (subject,
/// status, who it waits on, assignee).
fn tallied(viewer: &Viewer, filter: &TicketFilter) -> bool {
    !matches!(viewer.scope, Scope::Company(_))
        && filter.company_id.is_none()
        && filter.search.is_none()
        && filter.updated_since.is_none()
}

/// The counts query: how many tickets the list would find per status, who
/// they wait on and assignee (a few hundred rows at most, added up by the
/// caller). It adds up tallies where they answer exactly (see [`tallied`])
/// and counts a company's tickets on a covering index otherwise.
pub fn counts_sql(viewer: &Viewer, filter: &TicketFilter) -> Sql {
    let (from, n) = if tallied(viewer, filter) { ("ticket_tallies", "sum(t.n)") } else { ("tickets", "count(*)") };
    let mut sql = Sql::new(&format!("SELECT t.status, t.waiting_on, t.assigned_admin_id, {n} FROM {from} t"));
    filtered(&mut sql, viewer, filter);
    sql.push(" GROUP BY t.status, t.waiting_on, t.assigned_admin_id", []);
    sql
}

/// How many of the tickets the counts cover are open and read up to date
/// by the viewer: their live read marks. An open ticket is unread exactly
/// when it is not one of these. A mark carries its ticket's company, subject
/// and assignee, so the visibility rule and those filters are answered on
/// the marks' own index; the other filters visit the tickets.
pub fn read_open_sql(viewer: &Viewer, filter: &TicketFilter) -> Sql {
    let on_marks = filter.waiting_on.is_none() && filter.search.is_none() && filter.updated_since.is_none();
    let mut sql = if on_marks {
        Sql::new("SELECT count(*) FROM read_marks t")
    } else {
        Sql::new("SELECT count(*) FROM read_marks r CROSS JOIN tickets t ON t.id = r.ticket_id")
    };
    // A live mark is on an open ticket: `open` asks nothing more of it.
    filtered(&mut sql, viewer, &TicketFilter { open_only: false, ..filter.clone() });
    let marks = if on_marks { "t" } else { "r" };
    sql.and(
        &format!("{marks}.reader_kind = ? AND {marks}.reader_id = ? AND {marks}.live = 1"),
        reader_params(viewer.reader),
    );
    sql
}

/// `select` for the ticket `t` with this id, under the viewer's scope: every
/// by-id read goes through here, so a ticket outside the scope is simply
/// not found.
fn visible_by_id(mut sql: Sql, scope: &Scope, id: TicketId) -> Sql {
    sql.push(" WHERE t.id = ?", [Value::Integer(id.get())]);
    let (visible, params) = predicate(scope);
    sql.and(visible, params);
    sql
}

/// The ticket-by-id query under the viewer's scope.
pub fn ticket_sql(viewer: &Viewer, id: TicketId) -> Sql {
    visible_by_id(select(viewer), &viewer.scope, id)
}

/// The messages query of one ticket (`?1`) as the audience sees it, oldest
/// first, with each sender's name.
pub fn messages_sql(audience: Audience) -> String {
    format!(
        "SELECT m.id, m.ticket_id, m.sender_type, m.sender_user_id, m.sender_admin_id, \
         coalesce(u.name, a.name), m.body, m.internal, m.created_at FROM ticket_messages m \
         LEFT JOIN users u ON u.id = m.sender_user_id LEFT JOIN platform_admins a ON a.id = m.sender_admin_id \
         WHERE m.ticket_id = ?1 AND {} ORDER BY m.created_at, m.id",
        sees(audience, "m.internal")
    )
}

fn message_from_row(r: &Row<'_>) -> rusqlite::Result<MessageRecord> {
    Ok(MessageRecord {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        sender_type: r.get(2)?,
        sender_user: r.get(3)?,
        sender_admin: r.get(4)?,
        sender_name: r.get(5)?,
        body: r.get(6)?,
        internal: r.get(7)?,
        at: r.get(8)?,
    })
}

fn summary_from_row(r: &Row<'_>, first: usize) -> rusqlite::Result<TicketSummary> {
    let audience = |at: usize| -> rusqlite::Result<AudienceView> {
        Ok(AudienceView { newest: r.get(at)?, last: last_message(r, at + 1)?, updated: r.get(at + 5)? })
    };
    Ok(TicketSummary {
        status: r.get(first)?,
        closed: r.get(first + 1)?,
        assignee: r.get(first + 2)?,
        waiting_on: r.get(first + 3)?,
        last_activity: r.get(first + 4)?,
        public: audience(first + 5)?,
        staff: audience(first + 11)?,
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
        viewer: &Viewer,
        filter: &TicketFilter,
        page: &PageRequest,
    ) -> StoreResult<Vec<TicketRecord>> {
        list_sql(viewer, filter, page).query(self.conn, ticket_from_row)
    }

    async fn ticket_counts(
        &mut self,
        viewer: &Viewer,
        filter: &TicketFilter,
        me: Option<AdminId>,
    ) -> StoreResult<TicketCounts> {
        let rows = counts_sql(viewer, filter).query(self.conn, |r| {
            Ok((r.get::<_, Status>(0)?, r.get::<_, Option<WaitingOn>>(1)?, r.get::<_, Option<AdminId>>(2)?, r.get(3)?))
        })?;
        let mut counts = TicketCounts::empty();
        for (status, waiting_on, assignee, n) in rows {
            counts.add(status, waiting_on, assignee, me, n);
        }
        let read: i64 = read_open_sql(viewer, filter).query(self.conn, |r| r.get(0))?.into_iter().next().unwrap_or(0);
        counts.unread = counts.open() - read;
        Ok(counts)
    }

    async fn ticket(&mut self, viewer: &Viewer, id: TicketId) -> StoreResult<Option<TicketRecord>> {
        Ok(ticket_sql(viewer, id).query(self.conn, ticket_from_row)?.into_iter().next())
    }

    async fn ticket_version(&mut self, viewer: &Viewer, id: TicketId) -> StoreResult<Option<TicketVersion>> {
        let v = view(viewer.audience());
        let mut sql = Sql::new(&format!(
            "SELECT {}, {}, (SELECT r.message_id FROM read_marks r \
             WHERE r.reader_kind = ? AND r.reader_id = ? AND r.ticket_id = t.id) FROM tickets t",
            v.updated, v.newest
        ));
        sql.push("", reader_params(viewer.reader));
        let sql = visible_by_id(sql, &viewer.scope, id);
        let rows = sql.query(self.conn, |r| {
            Ok(TicketVersion { updated: r.get(0)?, newest_message: r.get(1)?, read_mark: r.get(2)? })
        })?;
        Ok(rows.into_iter().next())
    }

    async fn thread(&mut self, id: TicketId, audience: Audience) -> StoreResult<Vec<MessageRecord>> {
        let mut stmt = self.conn.prepare_cached(&messages_sql(audience))?;
        let rows = stmt.query_map([id], message_from_row)?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn ticket_for_change(&mut self, scope: &Scope, id: TicketId) -> StoreResult<Option<TicketState>> {
        // The writer is the only writer: what it reads stays true until it commits.
        let sql = visible_by_id(
            Sql::new(&format!(
                "SELECT t.id, t.company_id, a.name, {SUMMARY_COLUMNS} FROM tickets t \
                 LEFT JOIN platform_admins a ON a.id = t.assigned_admin_id"
            )),
            scope,
            id,
        );
        let rows = sql.query(self.conn, |r| {
            Ok(TicketState {
                id: r.get(0)?,
                company_id: r.get(1)?,
                assignee_name: r.get(2)?,
                summary: summary_from_row(r, 3)?,
            })
        })?;
        Ok(rows.into_iter().next())
    }

    async fn insert_ticket(&mut self, t: &TicketInsert<'_>) -> StoreResult<TicketId> {
        self.conn
            .prepare_cached(
                "INSERT INTO tickets(company_id, created_by_user_id, type, subject, sub_subject, status,
                                     last_activity_at, created_at, updated_at, staff_updated_at)
                 VALUES (?1, ?2, 'support', ?3, ?4, 'new', ?5, ?5, ?5, ?5)",
            )?
            .execute((t.company_id, t.creator, t.subject, t.sub_subject, t.at))?;
        Ok(TicketId(self.conn.last_insert_rowid()))
    }

    async fn insert_message(&mut self, m: &MessageInsert<'_>) -> StoreResult<MessageId> {
        let sender = m.sender;
        self.conn
            .prepare_cached(
                "INSERT INTO ticket_messages(ticket_id, sender_type, sender_user_id, sender_admin_id, body, internal, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?
            .execute((m.ticket_id, sender.sender_type(), sender.user(), sender.admin(), m.body, m.internal, m.at))?;
        Ok(MessageId(self.conn.last_insert_rowid()))
    }

    async fn update_ticket(&mut self, id: TicketId, s: &TicketSummary) -> StoreResult<()> {
        let last = |v: &AudienceView| {
            let l = v.last.as_ref();
            (l.map(|l| l.preview.clone()), l.map(|l| l.at), l.map(|l| l.sender), l.is_some_and(|l| l.internal))
        };
        let (public_preview, public_at, public_sender, _) = last(&s.public);
        let (staff_preview, staff_at, staff_sender, staff_internal) = last(&s.staff);
        self.conn
            .prepare_cached(
                "UPDATE tickets SET status = ?2, closed_at = ?3, assigned_admin_id = ?4, waiting_on = ?5,
                    last_activity_at = ?6, public_message_id = ?7, public_preview = ?8, public_preview_at = ?9,
                    public_preview_sender = ?10, updated_at = ?11, staff_message_id = ?12, staff_preview = ?13,
                    staff_preview_at = ?14, staff_preview_sender = ?15, staff_preview_internal = ?16,
                    staff_updated_at = ?17
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                s.status,
                s.closed,
                s.assignee,
                s.waiting_on,
                s.last_activity,
                s.public.newest,
                public_preview,
                public_at,
                public_sender,
                s.public.updated,
                s.staff.newest,
                staff_preview,
                staff_at,
                staff_sender,
                staff_internal,
                s.staff.updated,
            ])?;
        Ok(())
    }

    async fn read_mark(&mut self, reader: Reader, ticket: TicketId) -> StoreResult<Option<MessageId>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT message_id FROM read_marks WHERE reader_kind = ?1 AND reader_id = ?2 AND ticket_id = ?3",
            )?
            .query_row((reader.kind().as_str(), reader.id(), ticket), |r| r.get(0))
            .optional()?)
    }

    async fn set_read_mark(&mut self, reader: Reader, ticket: TicketId, message: MessageId) -> StoreResult<()> {
        self.conn
            .prepare_cached(
                // `live`: up to date with the audience's newest message on an
                // open ticket (the other half of this rule is the trigger in
                // V3__counts.sql, for when the ticket changes).
                "INSERT INTO read_marks(reader_kind, reader_id, ticket_id, message_id, live, company_id, subject,
                                        assigned_admin_id)
                 SELECT ?1, ?2, t.id, ?4, t.status NOT IN ('solved', 'closed')
                     AND ?4 >= coalesce(CASE ?1 WHEN 'user' THEN t.public_message_id ELSE t.staff_message_id END, 0),
                     t.company_id, t.subject, t.assigned_admin_id
                 FROM tickets t WHERE t.id = ?3
                 ON CONFLICT (reader_kind, reader_id, ticket_id) DO UPDATE SET
                     live = CASE WHEN excluded.message_id > message_id THEN excluded.live ELSE live END,
                     message_id = max(message_id, excluded.message_id)",
            )?
            .execute((reader.kind().as_str(), reader.id(), ticket, message))?;
        Ok(())
    }

    async fn message_in_thread(
        &mut self,
        ticket: TicketId,
        message: MessageId,
        audience: Audience,
    ) -> StoreResult<bool> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT 1 FROM ticket_messages m WHERE m.id = ?1 AND m.ticket_id = ?2 AND {}",
                sees(audience, "m.internal")
            ))?
            .exists((message, ticket))?)
    }

    async fn open_tickets_by_assignee(&mut self) -> StoreResult<Vec<(AdminId, i64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT assigned_admin_id, count(*) FROM tickets \
             WHERE assigned_admin_id IS NOT NULL AND status NOT IN ('solved', 'closed') \
             GROUP BY assigned_admin_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
        Ok(rows)
    }

    async fn backdate_ticket(&mut self, id: TicketId, by_micros: i64) -> StoreResult<()> {
        self.conn.execute(
            "UPDATE tickets SET created_at = created_at - ?2, updated_at = updated_at - ?2,
                staff_updated_at = staff_updated_at - ?2, last_activity_at = last_activity_at - ?2,
                closed_at = closed_at - ?2, public_preview_at = public_preview_at - ?2,
                staff_preview_at = staff_preview_at - ?2 WHERE id = ?1",
            (id, by_micros),
        )?;
        self.conn
            .execute("UPDATE ticket_messages SET created_at = created_at - ?2 WHERE ticket_id = ?1", (id, by_micros))?;
        Ok(())
    }
}
