//! Email notifications: who hears of an event, each person's choices, and
//! the outbox. An event's emails are written in the event's own transaction
//! (so they commit with it, or not at all); the sender (`crate::mail`)
//! delivers them afterwards and checks again, at sending time, that the
//! person may still see the ticket.
//!
//! Who hears what: never the person who acted, never a disabled account,
//! never a manager of another company, never a tenant for an internal note.
//! - a new ticket: the support agents covering its subject, and owners and
//!   admins who asked for every new ticket;
//! - a tenant's message: the assignee, or when there is none the covering
//!   agents;
//! - an agent's public reply, or a status change to waiting on the
//!   customer, solved or closed: the ticket's creator, and the company's
//!   other managers who asked for all of its tickets;
//! - an assignment: the new assignee;
//! - an internal note: the assignee;
//! - an invitation or a reset link: its person.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{
    access::{Reader, Scope, Viewer},
    domain::{AccountKind, Actor, AdminId, AdminRole, Status, TicketId, Timestamp, UserId},
    store::{OutboxCounts, OutboxInsert, OutboxRecord, Store, StoreError, StoreResult, TicketFacts, TicketRecord, Tx},
};

/// What an email is about; each (but invitations) can be turned off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Topic {
    NewTicket,
    TenantMessage,
    AgentReply,
    Assignment,
    InternalNote,
    Invitation,
}

impl Topic {
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::NewTicket => "new_ticket",
            Topic::TenantMessage => "tenant_message",
            Topic::AgentReply => "agent_reply",
            Topic::Assignment => "assignment",
            Topic::InternalNote => "internal_note",
            Topic::Invitation => "invitation",
        }
    }
}

/// The opt-in of owners and admins to every new ticket.
pub const ALL_NEW_TICKETS: &str = "all_new_tickets";
/// The opt-in of managers to every ticket of their companies.
pub const ALL_COMPANY_TICKETS: &str = "all_company_tickets";

/// The choices a person has, with their defaults: the kinds they may get,
/// and the opt-ins open to them.
pub fn choices(kind: AccountKind, role: Option<AdminRole>) -> Vec<(&'static str, bool)> {
    match kind {
        AccountKind::User => vec![(Topic::AgentReply.as_str(), true), (ALL_COMPANY_TICKETS, false)],
        AccountKind::Admin => {
            let mut list = vec![
                (Topic::NewTicket.as_str(), true),
                (Topic::TenantMessage.as_str(), true),
                (Topic::Assignment.as_str(), true),
                (Topic::InternalNote.as_str(), true),
            ];
            if role.is_some_and(AdminRole::has_full_access) {
                list.push((ALL_NEW_TICKETS, false));
            }
            list
        }
    }
}

/// Whether the outbox is written, and how long events wait for company.
#[derive(Debug, Clone, Copy)]
pub struct MailPolicy {
    pub coalesce_micros: i64,
}

/// One thing that happened, as an email tells it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Happening {
    pub topic: Topic,
    /// Who did it (a name).
    pub author: String,
    /// The message's text, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The new status, for a status change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The new assignee, for an assignment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
}

/// What a ticket email carries: the events (oldest first) and why the
/// person gets it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct TicketPayload {
    pub events: Vec<Happening>,
    pub reason: String,
}

/// What an invitation email carries.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct InvitationPayload {
    pub name: String,
    pub url: String,
    /// RFC 3339.
    pub expires_at: String,
    /// `user` or `admin`: which door the person will use.
    pub for_kind: String,
}

/// Someone to tell, why, and the choice that lets them hear it (what their
/// unsubscribe link turns off).
struct Recipient {
    kind: AccountKind,
    id: i64,
    email: String,
    reason: String,
    choice: &'static str,
}

/// A person's choice for `what`, their stored one or its default (every
/// kind of email is on, the opt-ins are off).
async fn wants(tx: &mut dyn Tx, kind: AccountKind, id: i64, what: &str) -> StoreResult<bool> {
    let stored = tx.notification_settings(kind, id).await?;
    let default = what != ALL_NEW_TICKETS && what != ALL_COMPANY_TICKETS;
    Ok(stored.iter().find(|(k, _)| k == what).map_or(default, |(_, on)| *on))
}

async fn admin_recipient(tx: &mut dyn Tx, id: AdminId, topic: Topic, reason: &str) -> StoreResult<Option<Recipient>> {
    let Some(admin) = tx.admin(id).await? else { return Ok(None) };
    if !admin.account.active || !wants(tx, AccountKind::Admin, id.get(), topic.as_str()).await? {
        return Ok(None);
    }
    let (kind, email, reason) = (AccountKind::Admin, admin.account.email, reason.into());
    Ok(Some(Recipient { kind, id: id.get(), email, reason, choice: topic.as_str() }))
}

async fn covering(tx: &mut dyn Tx, ticket: &TicketFacts, topic: Topic) -> StoreResult<Vec<Recipient>> {
    let agents = tx.covering_agents(&ticket.subject, topic.as_str()).await?;
    Ok(agents
        .into_iter()
        .map(|agent| Recipient {
            kind: AccountKind::Admin,
            id: agent.account.id.get(),
            email: agent.account.email,
            reason: format!("you cover the subject {}", ticket.subject),
            choice: topic.as_str(),
        })
        .collect())
}

/// The ticket's creator and the company's managers who asked for all of
/// its tickets, while they are active members of an active company.
async fn managers(tx: &mut dyn Tx, ticket: &TicketFacts) -> StoreResult<Vec<Recipient>> {
    let mut out = Vec::new();
    for manager in super::accounts::managers_of(tx, ticket.company.id).await? {
        let user = &manager.user;
        let member = manager.companies.iter().any(|c| c.company.id == ticket.company.id && c.active);
        if !user.active || !member {
            continue;
        }
        let id = user.id.get();
        let (choice, reason) = if user.id == ticket.creator {
            (Topic::AgentReply.as_str(), "you opened this ticket".to_string())
        } else {
            (ALL_COMPANY_TICKETS, format!("you asked for every ticket of {}", ticket.company.name))
        };
        if wants(tx, AccountKind::User, id, choice).await? {
            out.push(Recipient { kind: AccountKind::User, id, email: user.email.clone(), reason, choice });
        }
    }
    Ok(out)
}

/// Owners and admins who asked for every new ticket.
async fn opted_in_staff(tx: &mut dyn Tx) -> StoreResult<Vec<Recipient>> {
    Ok(tx
        .staff_opted_in(ALL_NEW_TICKETS)
        .await?
        .into_iter()
        .map(|admin| Recipient {
            kind: AccountKind::Admin,
            id: admin.account.id.get(),
            email: admin.account.email,
            reason: "you asked for every new ticket".to_string(),
            choice: ALL_NEW_TICKETS,
        })
        .collect())
}

fn is_actor(r: &Recipient, actor: Actor) -> bool {
    match actor {
        Actor::User(UserId(id)) => r.kind == AccountKind::User && r.id == id,
        Actor::Admin(AdminId(id)) => r.kind == AccountKind::Admin && r.id == id,
        Actor::Cli => false,
    }
}

/// Writes the emails one ticket event causes, in the event's transaction.
pub async fn ticket_event(
    tx: &mut dyn Tx,
    policy: &MailPolicy,
    id: TicketId,
    actor: Actor,
    happening: Happening,
) -> StoreResult<()> {
    let ticket = tx.ticket_facts(id).await?.ok_or(StoreError::NotFound)?;
    event_on(tx, policy, &ticket, actor, happening).await
}

/// [`ticket_event`] on a ticket whose facts the caller has at hand (a new one).
pub async fn event_on(
    tx: &mut dyn Tx,
    policy: &MailPolicy,
    ticket: &TicketFacts,
    actor: Actor,
    happening: Happening,
) -> StoreResult<()> {
    let (id, assignee) = (ticket.id, ticket.assignee);
    let mut recipients = match happening.topic {
        Topic::NewTicket => {
            let mut list = covering(tx, ticket, Topic::NewTicket).await?;
            list.extend(opted_in_staff(tx).await?);
            list
        }
        Topic::TenantMessage => match assignee {
            Some(admin) => admin_recipient(tx, admin, Topic::TenantMessage, "you are assigned this ticket")
                .await?
                .into_iter()
                .collect(),
            None => covering(tx, ticket, Topic::TenantMessage).await?,
        },
        Topic::AgentReply => managers(tx, ticket).await?,
        Topic::Assignment => match assignee {
            Some(admin) => admin_recipient(tx, admin, Topic::Assignment, "you were assigned this ticket")
                .await?
                .into_iter()
                .collect(),
            None => Vec::new(),
        },
        Topic::InternalNote => match assignee {
            Some(admin) => admin_recipient(tx, admin, Topic::InternalNote, "you are assigned this ticket")
                .await?
                .into_iter()
                .collect(),
            None => Vec::new(),
        },
        Topic::Invitation => Vec::new(),
    };
    recipients.retain(|r| !is_actor(r, actor));
    let mut seen = std::collections::BTreeSet::new();
    recipients.retain(|r| seen.insert((r.kind.as_str(), r.id)));
    let now = tx.now().await?;
    // A ticket just opened has no email waiting yet.
    let fresh = happening.topic == Topic::NewTicket;
    for r in recipients {
        queue(tx, policy, &r, id, &happening, now, fresh).await?;
    }
    Ok(())
}

/// Adds an event to the person's email about this ticket that is still
/// waiting, or starts a new one that waits `coalesce` for more.
async fn queue(
    tx: &mut dyn Tx,
    policy: &MailPolicy,
    r: &Recipient,
    ticket: TicketId,
    happening: &Happening,
    now: Timestamp,
    fresh: bool,
) -> StoreResult<()> {
    let open = if fresh { None } else { tx.open_outbox(r.kind, r.id, ticket, now).await? };
    if let Some((row, payload)) = open {
        let mut payload: TicketPayload = serde_json::from_str(&payload).unwrap_or_default();
        payload.events.push(happening.clone());
        return tx.set_outbox_payload(row, &json_text(&payload)?).await;
    }
    let payload = TicketPayload { events: vec![happening.clone()], reason: r.reason.clone() };
    let insert = OutboxInsert {
        recipient_kind: r.kind,
        recipient_id: r.id,
        to: &r.email,
        kind: r.choice,
        ticket: Some(ticket),
        payload: &json_text(&payload)?,
        at: now,
        due: Timestamp(now.micros() + policy.coalesce_micros),
    };
    tx.insert_outbox(&insert).await.map(drop)
}

fn json_text<T: Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::internal(e.to_string()))
}

/// Writes an invitation's email (sent at once, never coalesced).
pub async fn invitation(
    tx: &mut dyn Tx,
    kind: AccountKind,
    id: i64,
    email: &str,
    payload: &InvitationPayload,
) -> StoreResult<()> {
    let now = tx.now().await?;
    let insert = OutboxInsert {
        recipient_kind: kind,
        recipient_id: id,
        to: email,
        kind: Topic::Invitation.as_str(),
        ticket: None,
        payload: &json_text(payload)?,
        at: now,
        due: now,
    };
    tx.insert_outbox(&insert).await.map(drop)
}

/// An email ready to be written: the outbox row and the ticket as its
/// person sees it now (for an invitation, none).
#[derive(Debug, Clone)]
pub struct Deliverable {
    pub row: OutboxRecord,
    pub ticket: Option<TicketRecord>,
}

/// Whether the person of a ticket email may still see the ticket: an active
/// account and, for a manager, an active membership of its company.
async fn still_sees(tx: &mut dyn Tx, row: &OutboxRecord, ticket: TicketId) -> StoreResult<Option<TicketRecord>> {
    let viewer = match row.recipient_kind {
        AccountKind::Admin => match tx.admin(AdminId(row.recipient_id)).await? {
            Some(a) if a.account.active => {
                Viewer { scope: Scope::of_admin(a.account.id, a.role), reader: Reader::Admin(a.account.id) }
            }
            _ => return Ok(None),
        },
        AccountKind::User => {
            let Some((user, companies)) = tx.user_with_memberships(UserId(row.recipient_id)).await? else {
                return Ok(None);
            };
            let Some(company) = tx.ticket_facts(ticket).await?.map(|t| t.company.id) else { return Ok(None) };
            if !user.active || !companies.iter().any(|c| c.company.id == company && c.active) {
                return Ok(None);
            }
            Viewer { scope: Scope::Company(company), reader: Reader::User(user.id) }
        }
    };
    tx.ticket(&viewer, ticket).await
}

/// Lets the person's choices and visibility decide, again, at sending time.
async fn prepare(tx: &mut dyn Tx, row: OutboxRecord) -> StoreResult<Option<Deliverable>> {
    let Some(ticket) = row.ticket else { return Ok(Some(Deliverable { row, ticket: None })) };
    match still_sees(tx, &row, ticket).await? {
        Some(record) => Ok(Some(Deliverable { row, ticket: Some(record) })),
        None => Ok(None),
    }
}

impl Store {
    /// Up to `limit` emails due now, each checked again: those whose person
    /// may no longer see the ticket are marked skipped and left out.
    pub async fn due_mail(&self, limit: u32) -> StoreResult<Vec<Deliverable>> {
        // Read in a snapshot, off the writer; only emails that can no longer
        // go out take a write, to mark them skipped. Storage that several
        // servers share takes the emails in a write, so that only one sends each.
        let (ready, skipped) = if self.is_shared() {
            self.write(limit, |tx, limit| Box::pin(due_mail(tx, *limit))).await?
        } else {
            self.read(limit, |tx, limit| Box::pin(due_mail(tx, *limit))).await?
        };
        if !skipped.is_empty() {
            self.write(skipped, |tx, ids| {
                Box::pin(async move {
                    let now = tx.now().await?;
                    for id in ids {
                        tx.finish_outbox(*id, "skipped", Some("the person can no longer see the ticket"), now).await?;
                    }
                    Ok(())
                })
            })
            .await?;
        }
        Ok(ready)
    }

    /// Emails the server accepted, marked in one transaction.
    pub async fn mail_sent(&self, ids: Vec<i64>) -> StoreResult<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.write(ids, |tx, ids| {
            Box::pin(async move {
                let now = tx.now().await?;
                tx.sent_outbox(ids, now).await
            })
        })
        .await
    }

    /// An attempt that failed: tried again after a doubling wait (2 s, 4 s,
    /// ... up to `max_delay_secs`), or given up as dead after `max_attempts`.
    /// Answers whether it is dead.
    pub async fn mail_failed(
        &self,
        id: i64,
        attempts_before: u32,
        error: String,
        max_attempts: u32,
        max_delay_secs: u64,
    ) -> StoreResult<bool> {
        self.write((id, attempts_before, error, max_attempts, max_delay_secs), |tx, (id, before, error, max, cap)| {
            Box::pin(async move {
                let now = tx.now().await?;
                let error: String = error.chars().take(500).collect();
                if before + 1 >= *max {
                    tx.finish_outbox(*id, "dead", Some(&error), now).await?;
                    return Ok(true);
                }
                let delay = 2u64.saturating_pow(before + 1).min(*cap);
                let due = Timestamp(now.micros() + i64::try_from(delay).unwrap_or(i64::MAX / 4_000_000) * 1_000_000);
                tx.retry_outbox(*id, &error, due).await?;
                Ok(false)
            })
        })
        .await
    }

    pub async fn outbox_counts(&self) -> StoreResult<OutboxCounts> {
        self.lookup((), |tx, ()| tx.outbox_counts()).await
    }

    /// A person's choices, each kind open to them with its current value.
    pub async fn notification_choices(
        &self,
        kind: AccountKind,
        id: i64,
        role: Option<AdminRole>,
    ) -> StoreResult<BTreeMap<String, bool>> {
        self.read((kind, id, role), |tx, (kind, id, role)| Box::pin(current_choices(tx, *kind, *id, *role))).await
    }

    /// Sets some of a person's choices; an unknown kind is 422 and nothing is written.
    pub async fn set_notification_choices(
        &self,
        kind: AccountKind,
        id: i64,
        role: Option<AdminRole>,
        changes: BTreeMap<String, bool>,
    ) -> StoreResult<BTreeMap<String, bool>> {
        self.write((kind, id, role, changes), |tx, (kind, id, role, changes)| {
            Box::pin(set_choices(tx, *kind, *id, *role, changes))
        })
        .await
    }
}

/// The emails due now that can go out, and those that no longer can.
async fn due_mail(tx: &mut dyn Tx, limit: u32) -> StoreResult<(Vec<Deliverable>, Vec<i64>)> {
    let now = tx.now().await?;
    let (mut ready, mut skipped) = (Vec::new(), Vec::new());
    for row in tx.due_outbox(now, limit).await? {
        let id = row.id;
        match prepare(tx, row).await? {
            Some(d) => ready.push(d),
            None => skipped.push(id),
        }
    }
    Ok((ready, skipped))
}

async fn current_choices(
    tx: &mut dyn Tx,
    kind: AccountKind,
    id: i64,
    role: Option<AdminRole>,
) -> StoreResult<BTreeMap<String, bool>> {
    let stored = tx.notification_settings(kind, id).await?;
    Ok(choices(kind, role)
        .into_iter()
        .map(|(what, default)| {
            let on = stored.iter().find(|(k, _)| k == what).map_or(default, |(_, on)| *on);
            (what.to_string(), on)
        })
        .collect())
}

async fn set_choices(
    tx: &mut dyn Tx,
    kind: AccountKind,
    id: i64,
    role: Option<AdminRole>,
    changes: &BTreeMap<String, bool>,
) -> StoreResult<BTreeMap<String, bool>> {
    let open = choices(kind, role);
    for what in changes.keys() {
        if !open.iter().any(|(k, _)| k == what) {
            let known: Vec<&str> = open.iter().map(|(k, _)| *k).collect();
            return Err(StoreError::invalid(crate::domain::FieldError::new(
                what,
                "unknown_choice",
                format!("is not one of your notifications ({})", known.join(", ")),
            )));
        }
    }
    for (what, on) in changes {
        tx.set_notification_setting(kind, id, what, *on).await?;
    }
    current_choices(tx, kind, id, role).await
}

/// The text of an event for the payload, from what the use case wrote.
pub fn said(topic: Topic, author: &str, text: Option<&str>) -> Happening {
    Happening { topic, author: author.to_string(), text: text.map(str::to_string), status: None, assignee: None }
}
