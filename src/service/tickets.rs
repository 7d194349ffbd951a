//! Tickets: the use cases and their rules, written once over the storage
//! primitives. A tenant may not post on a closed ticket; setting the current
//! status or assignee again is a no-op; the assignee must be an active
//! admin; every status change and (un)assignment leaves a system note and an
//! audit row with before and after.

use serde_json::json;

use crate::{
    access::Scope,
    domain::{
        Actor, AdminId, AuditAction, AuditEntry, AuditMeta, Author, Body, Cursor, FieldError, NewTicket, Opener, Page,
        PageRequest, Sender, Status, TicketFilter, TicketId,
    },
    store::{
        MessageInsert, MessageRecord, Named, Rule, Store, StoreError, StoreResult, TicketDetail, TicketInsert,
        TicketRecord, TicketState, TicketTimes, TicketVersion, Tx,
    },
};

/// The versions of a ticket a client already holds (from `If-None-Match`).
#[derive(Debug, Clone, Default)]
pub struct KnownVersions {
    /// `*`: any version will do.
    pub any: bool,
    pub versions: Vec<TicketVersion>,
}

impl KnownVersions {
    fn holds(&self, version: &TicketVersion) -> bool {
        self.any || self.versions.contains(version)
    }
}

/// A ticket's detail, or word that the client's copy is still current.
#[derive(Debug)]
pub enum Versioned<T> {
    Unchanged(TicketVersion),
    Fresh(TicketVersion, T),
}

/// The system note a status change leaves in the thread.
pub fn status_note(before: Status, after: Status) -> String {
    format!("Status changed from {} to {}", before.as_str(), after.as_str())
}

/// The system note an (un)assignment leaves in the thread.
pub fn assignment_note(assignee: Option<&str>, previous: Option<&str>) -> String {
    match (assignee, previous) {
        (Some(name), _) => format!("Assigned to {name}"),
        (None, Some(previous)) => format!("Unassigned (was {previous})"),
        (None, None) => "Unassigned".to_string(),
    }
}

/// The list rule (the benchmark measures its raw ceiling too).
pub const LIST_TICKETS: Rule<(Scope, TicketFilter, PageRequest), Page<TicketRecord>> =
    |tx, (scope, filter, page)| Box::pin(list(tx, scope, filter, page));

/// The detail rule.
pub const TICKET_DETAIL: Rule<(Scope, TicketId, KnownVersions), Versioned<TicketDetail>> =
    |tx, (scope, id, known)| Box::pin(versioned_detail(tx, scope, *id, known));

/// The creation rule.
pub const CREATE_TICKET: Rule<(Opener, NewTicket, AuditMeta), TicketDetail> =
    |tx, (opener, input, meta)| Box::pin(create(tx, opener, input, meta));

impl Store {
    /// The tickets the scope sees, newest activity first, one page.
    pub async fn ticket_list(
        &self,
        scope: Scope,
        filter: TicketFilter,
        page: PageRequest,
    ) -> StoreResult<Page<TicketRecord>> {
        self.read((scope, filter, page), LIST_TICKETS).await
    }

    /// A ticket and its thread, unless the client holds its current version:
    /// then the thread is never loaded.
    pub async fn ticket_detail(
        &self,
        scope: Scope,
        id: TicketId,
        known: KnownVersions,
    ) -> StoreResult<Versioned<TicketDetail>> {
        self.read((scope, id, known), TICKET_DETAIL).await
    }

    /// Opens a ticket: the ticket (status `new`), its first message and the
    /// audit row, in one transaction.
    pub async fn create_ticket(&self, opener: Opener, input: NewTicket, meta: AuditMeta) -> StoreResult<TicketDetail> {
        self.write((opener, input, meta), CREATE_TICKET).await
    }

    /// Adds a tenant's or an agent's message to a ticket the scope sees.
    pub async fn add_message(
        &self,
        scope: Scope,
        author: Author,
        id: TicketId,
        body: Body,
        meta: AuditMeta,
    ) -> StoreResult<MessageRecord> {
        self.write((scope, author, id, body, meta), |tx, (scope, author, id, body, meta)| {
            Box::pin(add_message(tx, scope, author, *id, body, meta))
        })
        .await
    }

    /// Sets a ticket's status; the current status again writes nothing.
    pub async fn set_status(
        &self,
        actor: AdminId,
        scope: Scope,
        id: TicketId,
        status: Status,
        meta: AuditMeta,
    ) -> StoreResult<TicketDetail> {
        self.write((actor, scope, id, status, meta), |tx, (actor, scope, id, status, meta)| {
            Box::pin(set_status(tx, *actor, scope, *id, *status, meta))
        })
        .await
    }

    /// Assigns a ticket to an active admin, or unassigns it (`None`); the
    /// current assignee again writes nothing.
    pub async fn assign(
        &self,
        actor: AdminId,
        scope: Scope,
        id: TicketId,
        assignee: Option<AdminId>,
        meta: AuditMeta,
    ) -> StoreResult<TicketDetail> {
        self.write((actor, scope, id, assignee, meta), |tx, (actor, scope, id, assignee, meta)| {
            Box::pin(assign(tx, *actor, scope, *id, *assignee, meta))
        })
        .await
    }

    /// Moves a ticket and its thread back in time (the demo's history).
    pub async fn backdate_ticket(&self, id: TicketId, by_micros: i64) -> StoreResult<()> {
        self.write((id, by_micros), |tx, (id, by)| tx.backdate_ticket(*id, *by)).await
    }
}

async fn list(
    tx: &mut dyn Tx,
    scope: &Scope,
    filter: &TicketFilter,
    page: &PageRequest,
) -> StoreResult<Page<TicketRecord>> {
    let rows = tx.ticket_page(scope, filter, page).await?;
    Ok(Page::from_rows(rows, page.limit, |t| Cursor { at: t.times.last_activity.micros(), id: t.id.get() }))
}

async fn detail(tx: &mut dyn Tx, scope: &Scope, id: TicketId) -> StoreResult<TicketDetail> {
    let ticket = tx.ticket(scope, id).await?.ok_or(StoreError::NotFound)?;
    let messages = tx.thread(id).await?;
    Ok(TicketDetail { ticket, messages })
}

async fn versioned_detail(
    tx: &mut dyn Tx,
    scope: &Scope,
    id: TicketId,
    known: &KnownVersions,
) -> StoreResult<Versioned<TicketDetail>> {
    let version = tx.ticket_version(scope, id).await?.ok_or(StoreError::NotFound)?;
    if known.holds(&version) {
        return Ok(Versioned::Unchanged(version));
    }
    Ok(Versioned::Fresh(version, detail(tx, scope, id).await?))
}

/// The ticket a change is about, under the caller's scope (else not found).
async fn load_for_change(tx: &mut dyn Tx, scope: &Scope, id: TicketId) -> StoreResult<TicketState> {
    tx.ticket_for_change(scope, id).await?.ok_or(StoreError::NotFound)
}

/// A message as it was just written, for the answer (no read-back).
fn written(id: crate::domain::MessageId, m: &MessageInsert<'_>, name: &str) -> MessageRecord {
    MessageRecord {
        id,
        ticket_id: m.ticket_id,
        sender_type: m.sender.sender_type(),
        sender_user: m.sender.user(),
        sender_admin: m.sender.admin(),
        sender_name: Some(name.to_owned()),
        body: m.body.to_owned(),
        at: m.at,
    }
}

async fn create(tx: &mut dyn Tx, opener: &Opener, input: &NewTicket, meta: &AuditMeta) -> StoreResult<TicketDetail> {
    let now = tx.now().await?;
    let sub_subject = input.sub_subject.as_ref().map(|s| s.as_str());
    let id = tx
        .insert_ticket(&TicketInsert {
            company_id: opener.company_id,
            creator: opener.user_id,
            subject: input.subject.as_str(),
            sub_subject,
            at: now,
        })
        .await?;
    let first = MessageInsert {
        ticket_id: id,
        sender: Sender::Tenant(opener.user_id),
        body: input.description.as_str(),
        at: now,
    };
    let message_id = tx.insert_message(&first).await?;
    let entry = AuditEntry::new(AuditAction::TicketCreate, Actor::User(opener.user_id))
        .company(opener.company_id)
        .ticket(id)
        .detail(json!({
            "after": {"subject": input.subject, "sub_subject": input.sub_subject, "status": Status::New, "type": "support"}
        }));
    tx.append_audit(&entry, meta, now).await?;
    let ticket = TicketRecord {
        id,
        company: Named { id: opener.company_id, name: opener.company_name.clone() },
        creator: Named { id: opener.user_id, name: opener.user_name.clone() },
        assignee: None,
        kind: "support".into(),
        subject: input.subject.as_str().into(),
        sub_subject: sub_subject.map(str::to_owned),
        status: Status::New,
        times: TicketTimes { created: now, updated: now, last_activity: now, closed: None },
    };
    Ok(TicketDetail { ticket, messages: vec![written(message_id, &first, &opener.user_name)] })
}

async fn add_message(
    tx: &mut dyn Tx,
    scope: &Scope,
    author: &Author,
    id: TicketId,
    body: &Body,
    meta: &AuditMeta,
) -> StoreResult<MessageRecord> {
    let ticket = load_for_change(tx, scope, id).await?;
    let actor = match author.sender {
        Sender::Tenant(user) => {
            if ticket.status == Status::Closed {
                return Err(StoreError::conflict("ticket_closed", "this ticket is closed; open a new ticket instead"));
            }
            Actor::User(user)
        }
        Sender::Agent(admin) | Sender::System(admin) => Actor::Admin(admin),
    };
    let now = tx.now().await?;
    let message = MessageInsert { ticket_id: id, sender: author.sender, body: body.as_str(), at: now };
    let message_id = tx.insert_message(&message).await?;
    tx.touch_ticket(id, now).await?;
    let entry = AuditEntry::new(AuditAction::TicketMessageCreate, actor)
        .company(ticket.company_id)
        .ticket(id)
        .detail(json!({"message_id": message_id, "length": body.as_str().chars().count()}));
    tx.append_audit(&entry, meta, now).await?;
    Ok(written(message_id, &message, &author.name))
}

async fn set_status(
    tx: &mut dyn Tx,
    actor: AdminId,
    scope: &Scope,
    id: TicketId,
    status: Status,
    meta: &AuditMeta,
) -> StoreResult<TicketDetail> {
    let ticket = load_for_change(tx, scope, id).await?;
    if ticket.status == status {
        return detail(tx, scope, id).await;
    }
    let now = tx.now().await?;
    tx.update_status(id, status, now).await?;
    let note = status_note(ticket.status, status);
    tx.insert_message(&MessageInsert { ticket_id: id, sender: Sender::System(actor), body: &note, at: now }).await?;
    let entry = AuditEntry::new(AuditAction::TicketStatusUpdate, Actor::Admin(actor))
        .company(ticket.company_id)
        .ticket(id)
        .detail(json!({"before": {"status": ticket.status}, "after": {"status": status}}));
    tx.append_audit(&entry, meta, now).await?;
    detail(tx, scope, id).await
}

async fn assign(
    tx: &mut dyn Tx,
    actor: AdminId,
    scope: &Scope,
    id: TicketId,
    assignee: Option<AdminId>,
    meta: &AuditMeta,
) -> StoreResult<TicketDetail> {
    let ticket = load_for_change(tx, scope, id).await?;
    let assignee_name = match assignee {
        Some(admin) => match tx.admin_for_change(admin).await? {
            Some(record) if record.account.active => Some(record.account.name),
            _ => {
                return Err(StoreError::invalid(FieldError::new(
                    "admin_id",
                    "invalid_assignee",
                    "must be the id of an active platform admin",
                )));
            }
        },
        None => None,
    };
    let previous = ticket.assignee.as_ref();
    // After handing a ticket on, a support agent may no longer see it; the
    // answer shows the state they just made.
    if previous.map(|p| p.id) == assignee {
        return detail(tx, &Scope::All, id).await;
    }
    let now = tx.now().await?;
    tx.update_assignee(id, assignee, now).await?;
    let note = assignment_note(assignee_name.as_deref(), previous.map(|p| p.name.as_str()));
    tx.insert_message(&MessageInsert { ticket_id: id, sender: Sender::System(actor), body: &note, at: now }).await?;
    let entry = AuditEntry::new(AuditAction::TicketAssign, Actor::Admin(actor))
        .company(ticket.company_id)
        .ticket(id)
        .detail(json!({
            "before": {"assigned_admin_id": previous.map(|p| p.id)},
            "after": {"assigned_admin_id": assignee},
        }));
    tx.append_audit(&entry, meta, now).await?;
    detail(tx, &Scope::All, id).await
}
