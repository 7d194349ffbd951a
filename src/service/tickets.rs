//! Tickets: the use cases and their rules, written once over the storage
//! primitives. A tenant may not post on a closed ticket; setting the current
//! status or assignee again is a no-op; the assignee must be an active
//! admin; every status change and (un)assignment leaves a system note and an
//! audit row with before and after; an internal note changes nothing a
//! tenant sees; a person's own message moves their read mark on.

use serde_json::json;

use super::notify::{self, Happening, MailPolicy, Topic};
use crate::{
    access::{Audience, Reader, Scope, Viewer},
    domain::{
        Actor, AdminId, AuditAction, AuditEntry, AuditMeta, Author, Body, FieldError, MessageId, NewTicket, Opener,
        Page, PageRequest, Sender, SenderType, Status, TicketFilter, TicketId, Timestamp, WaitingOn, preview,
    },
    store::{
        AudienceView, Contact, LastMessage, MessageInsert, MessageRecord, Named, Rule, Store, StoreError, StoreResult,
        TicketCounts, TicketDetail, TicketFacts, TicketInsert, TicketRecord, TicketState, TicketSummary, TicketTimes,
        TicketVersion, Tx,
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

/// A message to post, as a tenant or an agent writes it.
#[derive(Debug, Clone)]
pub struct Post {
    pub author: Author,
    pub body: Body,
    /// An internal note (agents only): the team sees it, tenants never do.
    pub internal: bool,
    /// A status to set in the same step (agents only).
    pub status: Option<Status>,
}

/// The system note a status change leaves in the thread (the UI shows the
/// statuses in its badges' words).
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
pub const LIST_TICKETS: Rule<(Viewer, TicketFilter, PageRequest), Page<TicketRecord>> =
    |tx, (viewer, filter, page)| Box::pin(list(tx, viewer, filter, page));

/// The detail rule.
pub const TICKET_DETAIL: Rule<(Viewer, TicketId, KnownVersions), Versioned<TicketDetail>> =
    |tx, (viewer, id, known)| Box::pin(versioned_detail(tx, viewer, *id, known));

/// The creation rule.
pub const CREATE_TICKET: Rule<(Opener, NewTicket, AuditMeta, Option<MailPolicy>), TicketDetail> =
    |tx, (opener, input, meta, mail)| Box::pin(create(tx, opener, input, meta, mail.as_ref()));

/// The counts rule.
pub const COUNT_TICKETS: Rule<(Viewer, TicketFilter), TicketCounts> =
    |tx, (viewer, filter)| Box::pin(counts(tx, viewer, filter));

impl Store {
    /// The tickets the viewer sees, in the page's order of activity.
    ///
    /// A page is one statement, so it needs no snapshot of its own; one that
    /// walks an index runs as a lookup (in place where the backend can),
    /// while a full-text search, which may read much more, goes to a reader.
    pub async fn ticket_list(
        &self,
        viewer: Viewer,
        filter: TicketFilter,
        page: PageRequest,
    ) -> StoreResult<Page<TicketRecord>> {
        if filter.search.is_some() {
            self.read((viewer, filter, page), LIST_TICKETS).await
        } else {
            self.lookup((viewer, filter, page), LIST_TICKETS).await
        }
    }

    /// What the viewer's lists with this filter hold, counted.
    pub async fn ticket_counts(&self, viewer: Viewer, filter: TicketFilter) -> StoreResult<TicketCounts> {
        self.read((viewer, filter), COUNT_TICKETS).await
    }

    /// A ticket and its thread, unless the client holds its current version:
    /// then the thread is never loaded.
    pub async fn ticket_detail(
        &self,
        viewer: Viewer,
        id: TicketId,
        known: KnownVersions,
    ) -> StoreResult<Versioned<TicketDetail>> {
        self.read((viewer, id, known), TICKET_DETAIL).await
    }

    /// Opens a ticket: the ticket (status `new`), its first message and the
    /// audit row, in one transaction.
    pub async fn create_ticket(&self, opener: Opener, input: NewTicket, meta: AuditMeta) -> StoreResult<TicketDetail> {
        self.write((opener, input, meta, self.mail()), CREATE_TICKET).await
    }

    /// Adds a tenant's or an agent's message to a ticket the scope sees, and
    /// sets its status in the same transaction when the post says so.
    pub async fn add_message(
        &self,
        scope: Scope,
        id: TicketId,
        post: Post,
        meta: AuditMeta,
    ) -> StoreResult<MessageRecord> {
        self.write((scope, id, post, meta, self.mail()), |tx, (scope, id, post, meta, mail)| {
            Box::pin(add_message(tx, scope, *id, post, meta, mail.as_ref()))
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
        self.write((actor, scope, id, status, meta, self.mail()), |tx, (actor, scope, id, status, meta, mail)| {
            Box::pin(set_status(tx, *actor, scope, *id, *status, meta, mail.as_ref()))
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
        self.write((actor, scope, id, assignee, meta, self.mail()), |tx, (actor, scope, id, assignee, meta, mail)| {
            Box::pin(assign(tx, *actor, scope, *id, *assignee, meta, mail.as_ref()))
        })
        .await
    }

    /// Moves the viewer's read mark on to `message`, which must be in the
    /// thread they see. A read mark is the viewer's own state: no audit row,
    /// no system note, nothing anyone else sees changes.
    pub async fn mark_read(&self, viewer: Viewer, id: TicketId, message: MessageId) -> StoreResult<()> {
        self.write((viewer, id, message), |tx, (viewer, id, message)| Box::pin(mark_read(tx, viewer, *id, *message)))
            .await
    }

    /// Moves a ticket and its thread back in time (the demo's history).
    pub async fn backdate_ticket(&self, id: TicketId, by_micros: i64) -> StoreResult<()> {
        self.write((id, by_micros), |tx, (id, by)| tx.backdate_ticket(*id, *by)).await
    }
}

async fn list(
    tx: &mut dyn Tx,
    viewer: &Viewer,
    filter: &TicketFilter,
    page: &PageRequest,
) -> StoreResult<Page<TicketRecord>> {
    let rows = tx.ticket_page(viewer, filter, page).await?;
    Ok(Page::from_rows(rows, page, |t| (t.times.last_activity.micros(), t.id.get())))
}

async fn counts(tx: &mut dyn Tx, viewer: &Viewer, filter: &TicketFilter) -> StoreResult<TicketCounts> {
    let me = match viewer.reader {
        Reader::Admin(admin) => Some(admin),
        Reader::User(_) => None,
    };
    tx.ticket_counts(viewer, filter, me).await
}

/// A ticket and its thread as the viewer sees them; the platform team also
/// gets the requester's email, to write to them outside the ticket.
async fn detail(tx: &mut dyn Tx, viewer: &Viewer, id: TicketId) -> StoreResult<TicketDetail> {
    let ticket = tx.ticket(viewer, id).await?.ok_or(StoreError::NotFound)?;
    let messages = tx.thread(id, viewer.audience()).await?;
    let requester = match viewer.audience() {
        Audience::Staff => {
            tx.user(ticket.creator.id).await?.map(|user| Contact { id: user.id, name: user.name, email: user.email })
        }
        Audience::Tenant => None,
    };
    Ok(TicketDetail { ticket, messages, requester })
}

async fn versioned_detail(
    tx: &mut dyn Tx,
    viewer: &Viewer,
    id: TicketId,
    known: &KnownVersions,
) -> StoreResult<Versioned<TicketDetail>> {
    let version = tx.ticket_version(viewer, id).await?.ok_or(StoreError::NotFound)?;
    if known.holds(&version) {
        return Ok(Versioned::Unchanged(version));
    }
    Ok(Versioned::Fresh(version, detail(tx, viewer, id).await?))
}

/// The ticket a change is about, under the caller's scope (else not found).
async fn load_for_change(tx: &mut dyn Tx, scope: &Scope, id: TicketId) -> StoreResult<TicketState> {
    tx.ticket_for_change(scope, id).await?.ok_or(StoreError::NotFound)
}

/// Who wrote a message, as a reader of the thread.
fn reader_of(sender: Sender) -> Reader {
    match sender {
        Sender::Tenant(user) => Reader::User(user),
        Sender::Agent(admin) | Sender::System(admin) => Reader::Admin(admin),
    }
}

fn audience_of(sender: Sender) -> Audience {
    match sender {
        Sender::Tenant(_) => Audience::Tenant,
        Sender::Agent(_) | Sender::System(_) => Audience::Staff,
    }
}

/// What a new message changes on its ticket's summary: the newest message
/// and preview of each audience that sees it, whom it waits on, the times.
/// An internal note touches the team's view only.
fn summarise(summary: &mut TicketSummary, id: MessageId, m: &MessageInsert<'_>) {
    let sender = m.sender.sender_type();
    let last = (sender != SenderType::System).then(|| LastMessage {
        at: m.at,
        sender,
        preview: preview(m.body),
        internal: m.internal,
    });
    let see = |view: &mut AudienceView| {
        view.newest = Some(id);
        view.updated = m.at;
        if let Some(last) = &last {
            view.last = Some(last.clone());
        }
    };
    see(&mut summary.staff);
    if Audience::Tenant.sees(m.internal) {
        see(&mut summary.public);
        summary.last_activity = m.at;
        summary.waiting_on = waiting_on(summary);
    }
}

/// Whom the ticket waits on now: by its status and the newest public reply.
fn waiting_on(summary: &TicketSummary) -> Option<WaitingOn> {
    summary.public.last.as_ref().and_then(|last| WaitingOn::of(summary.status, last.sender))
}

/// Writes a message and what it changes on the ticket, and moves its
/// author's read mark on when they had seen everything before it (so a
/// person's own message is never "new" for them, and a message they missed
/// stays new).
async fn write_message(tx: &mut dyn Tx, summary: &mut TicketSummary, m: &MessageInsert<'_>) -> StoreResult<MessageId> {
    let audience = audience_of(m.sender);
    let seen_before = match audience {
        Audience::Tenant => summary.public.newest,
        Audience::Staff => summary.staff.newest,
    };
    let id = tx.insert_message(m).await?;
    summarise(summary, id, m);
    let reader = reader_of(m.sender);
    if tx.read_mark(reader, m.ticket_id).await? >= seen_before {
        tx.set_read_mark(reader, m.ticket_id, id).await?;
    }
    Ok(id)
}

/// A message as it was just written, for the answer (no read-back).
fn written(id: MessageId, m: &MessageInsert<'_>, name: &str) -> MessageRecord {
    MessageRecord {
        id,
        ticket_id: m.ticket_id,
        sender_type: m.sender.sender_type(),
        sender_user: m.sender.user(),
        sender_admin: m.sender.admin(),
        sender_name: Some(name.to_owned()),
        body: m.body.to_owned(),
        internal: m.internal,
        at: m.at,
    }
}

async fn create(
    tx: &mut dyn Tx,
    opener: &Opener,
    input: &NewTicket,
    meta: &AuditMeta,
    mail: Option<&MailPolicy>,
) -> StoreResult<TicketDetail> {
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
        internal: false,
        at: now,
    };
    let fresh = AudienceView { newest: None, last: None, updated: now };
    let mut summary = TicketSummary {
        status: Status::New,
        closed: None,
        assignee: None,
        waiting_on: None,
        last_activity: now,
        public: fresh.clone(),
        staff: fresh,
    };
    let message_id = tx.insert_message(&first).await?;
    summarise(&mut summary, message_id, &first);
    tx.update_ticket(id, &summary).await?;
    tx.set_read_mark(Reader::User(opener.user_id), id, message_id).await?;
    let entry = AuditEntry::new(AuditAction::TicketCreate, Actor::User(opener.user_id))
        .company(opener.company_id)
        .ticket(id)
        .detail(json!({
            "after": {"subject": input.subject, "sub_subject": input.sub_subject, "status": Status::New, "type": "support"}
        }));
    tx.append_audit(&entry, meta, now).await?;
    if let Some(policy) = mail {
        let facts = TicketFacts {
            id,
            company: Named { id: opener.company_id, name: opener.company_name.clone() },
            creator: opener.user_id,
            subject: input.subject.as_str().to_string(),
            assignee: None,
        };
        let happening = notify::said(Topic::NewTicket, &opener.user_name, Some(input.description.as_str()));
        notify::event_on(tx, policy, &facts, Actor::User(opener.user_id), happening).await?;
    }
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
        waiting_on: summary.waiting_on,
        last_message: summary.public.last.clone(),
        newest_message: Some(message_id),
        read_mark: Some(message_id),
    };
    Ok(TicketDetail { ticket, messages: vec![written(message_id, &first, &opener.user_name)], requester: None })
}

async fn add_message(
    tx: &mut dyn Tx,
    scope: &Scope,
    id: TicketId,
    post: &Post,
    meta: &AuditMeta,
    mail: Option<&MailPolicy>,
) -> StoreResult<MessageRecord> {
    let mut ticket = load_for_change(tx, scope, id).await?;
    let actor = match post.author.sender {
        Sender::Tenant(user) => {
            if ticket.summary.status == Status::Closed {
                return Err(StoreError::conflict("ticket_closed", "this ticket is closed; open a new ticket instead"));
            }
            Actor::User(user)
        }
        Sender::Agent(admin) | Sender::System(admin) => Actor::Admin(admin),
    };
    let now = tx.now().await?;
    let message = MessageInsert {
        ticket_id: id,
        sender: post.author.sender,
        body: post.body.as_str(),
        internal: post.internal,
        at: now,
    };
    let message_id = write_message(tx, &mut ticket.summary, &message).await?;
    let mut detail = json!({"message_id": message_id, "length": post.body.as_str().chars().count()});
    if post.internal {
        detail["internal"] = json!(true);
    }
    let entry =
        AuditEntry::new(AuditAction::TicketMessageCreate, actor).company(ticket.company_id).ticket(id).detail(detail);
    tx.append_audit(&entry, meta, now).await?;
    let before = ticket.summary.status;
    if let (Some(status), Actor::Admin(admin)) = (post.status, actor) {
        change_status(tx, &mut ticket, admin, status, meta, now).await?;
    }
    tx.update_ticket(id, &ticket.summary).await?;
    if let Some(policy) = mail {
        let author = post.author.name.as_str();
        let text = Some(post.body.as_str());
        let changed = (ticket.summary.status != before).then_some(ticket.summary.status);
        match actor {
            Actor::User(_) => {
                notify::ticket_event(tx, policy, id, actor, notify::said(Topic::TenantMessage, author, text)).await?;
            }
            _ if post.internal => {
                notify::ticket_event(tx, policy, id, actor, notify::said(Topic::InternalNote, author, text)).await?;
                if let Some(status) = changed.filter(|s| tells_the_customer(*s)) {
                    let happening = Happening { status: Some(status), ..notify::said(Topic::AgentReply, author, None) };
                    notify::ticket_event(tx, policy, id, actor, happening).await?;
                }
            }
            _ => {
                let happening = Happening {
                    status: changed.filter(|s| tells_the_customer(*s)),
                    ..notify::said(Topic::AgentReply, author, text)
                };
                notify::ticket_event(tx, policy, id, actor, happening).await?;
            }
        }
    }
    Ok(written(message_id, &message, &post.author.name))
}

/// A status change on a loaded ticket: the new status, its system note and
/// its audit row (the caller writes the summary back). The same status again
/// changes nothing.
async fn change_status(
    tx: &mut dyn Tx,
    ticket: &mut TicketState,
    actor: AdminId,
    status: Status,
    meta: &AuditMeta,
    now: Timestamp,
) -> StoreResult<()> {
    let before = ticket.summary.status;
    if before == status {
        return Ok(());
    }
    let summary = &mut ticket.summary;
    summary.status = status;
    summary.closed = (status == Status::Closed).then_some(now);
    summary.waiting_on = waiting_on(summary);
    let note = status_note(before, status);
    let message =
        MessageInsert { ticket_id: ticket.id, sender: Sender::System(actor), body: &note, internal: false, at: now };
    write_message(tx, summary, &message).await?;
    let entry = AuditEntry::new(AuditAction::TicketStatusUpdate, Actor::Admin(actor))
        .company(ticket.company_id)
        .ticket(ticket.id)
        .detail(json!({"before": {"status": before}, "after": {"status": status}}));
    tx.append_audit(&entry, meta, now).await
}

/// The detail as the acting admin sees it right after their change.
fn staff_viewer(scope: Scope, actor: AdminId) -> Viewer {
    Viewer { scope, reader: Reader::Admin(actor) }
}

async fn set_status(
    tx: &mut dyn Tx,
    actor: AdminId,
    scope: &Scope,
    id: TicketId,
    status: Status,
    meta: &AuditMeta,
    mail: Option<&MailPolicy>,
) -> StoreResult<TicketDetail> {
    let mut ticket = load_for_change(tx, scope, id).await?;
    if ticket.summary.status != status {
        let now = tx.now().await?;
        change_status(tx, &mut ticket, actor, status, meta, now).await?;
        tx.update_ticket(id, &ticket.summary).await?;
        if let Some(policy) = mail.filter(|_| tells_the_customer(status)) {
            let author = actor_name(tx, actor).await?;
            let happening = Happening { status: Some(status), ..notify::said(Topic::AgentReply, &author, None) };
            notify::ticket_event(tx, policy, id, Actor::Admin(actor), happening).await?;
        }
    }
    detail(tx, &staff_viewer(*scope, actor), id).await
}

async fn assign(
    tx: &mut dyn Tx,
    actor: AdminId,
    scope: &Scope,
    id: TicketId,
    assignee: Option<AdminId>,
    meta: &AuditMeta,
    mail: Option<&MailPolicy>,
) -> StoreResult<TicketDetail> {
    let mut ticket = load_for_change(tx, scope, id).await?;
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
    // After handing a ticket on, a support agent may no longer see it; the
    // answer shows the state they just made.
    let answer_viewer = staff_viewer(Scope::All, actor);
    let previous = ticket.summary.assignee;
    if previous == assignee {
        return detail(tx, &answer_viewer, id).await;
    }
    let now = tx.now().await?;
    ticket.summary.assignee = assignee;
    let note = assignment_note(assignee_name.as_deref(), ticket.assignee_name.as_deref());
    let message = MessageInsert { ticket_id: id, sender: Sender::System(actor), body: &note, internal: false, at: now };
    write_message(tx, &mut ticket.summary, &message).await?;
    tx.update_ticket(id, &ticket.summary).await?;
    let entry = AuditEntry::new(AuditAction::TicketAssign, Actor::Admin(actor))
        .company(ticket.company_id)
        .ticket(id)
        .detail(json!({
            "before": {"assigned_admin_id": previous},
            "after": {"assigned_admin_id": assignee},
        }));
    tx.append_audit(&entry, meta, now).await?;
    if let (Some(policy), Some(name)) = (mail, assignee_name) {
        let author = actor_name(tx, actor).await?;
        let happening = Happening { assignee: Some(name), ..notify::said(Topic::Assignment, &author, None) };
        notify::ticket_event(tx, policy, id, Actor::Admin(actor), happening).await?;
    }
    detail(tx, &answer_viewer, id).await
}

/// The statuses a ticket's customer is told of by email.
fn tells_the_customer(status: Status) -> bool {
    matches!(status, Status::WaitingOnTenant | Status::Solved | Status::Closed)
}

/// An acting admin's name, for an email.
async fn actor_name(tx: &mut dyn Tx, id: AdminId) -> StoreResult<String> {
    Ok(tx.admin(id).await?.map(|a| a.account.name).unwrap_or_default())
}

async fn mark_read(tx: &mut dyn Tx, viewer: &Viewer, id: TicketId, message: MessageId) -> StoreResult<()> {
    if tx.ticket_for_change(&viewer.scope, id).await?.is_none() {
        return Err(StoreError::NotFound);
    }
    if !tx.message_in_thread(id, message, viewer.audience()).await? {
        return Err(StoreError::invalid(FieldError::new(
            "message_id",
            "not_in_thread",
            "must be the id of a message in this ticket's thread",
        )));
    }
    tx.set_read_mark(viewer.reader, id, message).await
}
