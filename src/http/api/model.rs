//! The API's wire types: what the JSON answers hold, field by field as the
//! spec names them. They are built from the storage's records here, so the
//! storage can change its shape without changing the API.

use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    access::{Audience, TeamView},
    domain::{AdminId, AdminRole, CompanyId, MessageId, SenderType, Status, TicketId, Timestamp, UserId, WaitingOn},
    service::team::Team,
    store::{
        AdminRecord, AuditRecord, CompanyOverview, Manager, Membership as MembershipRecord, MessageRecord,
        TicketDetail as Detail, TicketRecord, UserRecord,
    },
};

/// A ticket as the lists and the detail show it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ticket {
    pub id: TicketId,
    pub company_id: CompanyId,
    pub company_name: String,
    pub created_by_user_id: UserId,
    pub created_by_name: String,
    /// `support` (phase 1) or `website_design`.
    #[serde(rename = "type")]
    pub kind: String,
    pub subject: String,
    #[schema(required = true)]
    pub sub_subject: Option<String>,
    pub status: Status,
    #[schema(required = true)]
    pub assigned_admin_id: Option<AdminId>,
    #[schema(required = true)]
    pub assigned_admin_name: Option<String>,
    pub last_activity_at: Timestamp,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    #[schema(required = true)]
    pub closed_at: Option<Timestamp>,
    /// The start of the newest message the viewer sees that is not a system
    /// note, white space collapsed.
    #[schema(required = true)]
    pub preview: Option<String>,
    /// When that message was written.
    #[schema(required = true)]
    pub last_message_at: Option<Timestamp>,
    /// Who wrote it: `tenant` or `agent`.
    #[schema(required = true)]
    pub last_message_sender_type: Option<SenderType>,
    /// Whether that message is an internal note (platform views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_message_internal: Option<bool>,
    /// Whom the ticket waits on; `null` once solved or closed.
    #[schema(required = true)]
    pub waiting_on: Option<WaitingOn>,
    /// Whether a message the viewer may see, not their own, is newer than
    /// their read mark.
    pub unread: bool,
}

impl Ticket {
    /// The ticket as this audience sees it.
    pub fn seen_by(t: TicketRecord, audience: Audience) -> Self {
        let unread = t.unread();
        let (assigned_admin_id, assigned_admin_name) = match t.assignee {
            Some(a) => (Some(a.id), Some(a.name)),
            None => (None, None),
        };
        let last = t.last_message;
        Ticket {
            id: t.id,
            company_id: t.company.id,
            company_name: t.company.name,
            created_by_user_id: t.creator.id,
            created_by_name: t.creator.name,
            kind: t.kind,
            subject: t.subject,
            sub_subject: t.sub_subject,
            status: t.status,
            assigned_admin_id,
            assigned_admin_name,
            last_activity_at: t.times.last_activity,
            created_at: t.times.created,
            updated_at: t.times.updated,
            closed_at: t.times.closed,
            last_message_at: last.as_ref().map(|l| l.at),
            last_message_sender_type: last.as_ref().map(|l| l.sender),
            last_message_internal: (audience == Audience::Staff).then(|| last.as_ref().is_some_and(|l| l.internal)),
            preview: last.map(|l| l.preview),
            waiting_on: t.waiting_on,
            unread,
        }
    }
}

/// One message of a ticket's thread.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    pub id: MessageId,
    pub ticket_id: TicketId,
    pub sender_type: SenderType,
    #[schema(required = true)]
    pub sender_user_id: Option<UserId>,
    #[schema(required = true)]
    pub sender_admin_id: Option<AdminId>,
    #[schema(required = true)]
    pub sender_name: Option<String>,
    pub body: String,
    /// An internal note, for the platform team only (platform views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub internal: Option<bool>,
    pub created_at: Timestamp,
}

impl Message {
    /// The message as this audience sees it.
    pub fn seen_by(m: MessageRecord, audience: Audience) -> Self {
        Message {
            id: m.id,
            ticket_id: m.ticket_id,
            sender_type: m.sender_type,
            sender_user_id: m.sender_user,
            sender_admin_id: m.sender_admin,
            sender_name: m.sender_name,
            body: m.body,
            internal: (audience == Audience::Staff).then_some(m.internal),
            created_at: m.at,
        }
    }
}

/// A ticket with its whole thread, oldest message first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub messages: Vec<Message>,
    /// Who opened the ticket (platform views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requester: Option<Requester>,
    /// The company it belongs to (platform views only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<CompanyRef>,
}

/// The person who opened a ticket, as the platform team sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Requester {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// A company by id and name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CompanyRef {
    pub id: CompanyId,
    pub name: String,
}

impl TicketDetail {
    /// The detail as this audience sees it.
    pub fn seen_by(d: Detail, audience: Audience) -> Self {
        let staff = audience == Audience::Staff;
        let company = staff.then(|| CompanyRef { id: d.ticket.company.id, name: d.ticket.company.name.clone() });
        TicketDetail {
            ticket: Ticket::seen_by(d.ticket, audience),
            messages: d.messages.into_iter().map(|m| Message::seen_by(m, audience)).collect(),
            requester: d.requester.filter(|_| staff).map(|r| Requester { id: r.id, name: r.name, email: r.email }),
            company,
        }
    }
}

/// A ticket's counts as the viewer's lists would find them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketCounts {
    /// Every status, with how many tickets are in it.
    #[schema(value_type = std::collections::BTreeMap<String, i64>)]
    pub by_status: std::collections::BTreeMap<&'static str, i64>,
    /// Open tickets (not solved or closed) with something new for the viewer.
    pub unread: i64,
    /// Open tickets whose newest reply is the tenant's.
    pub waiting_on_agent: i64,
    /// Open tickets assigned to the viewer (platform counts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mine: Option<i64>,
    /// Open tickets assigned to no one (platform counts only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unassigned: Option<i64>,
}

impl TicketCounts {
    /// The counts as this audience sees them (tenants get no assignee counts).
    pub fn seen_by(c: crate::store::TicketCounts, audience: Audience) -> Self {
        let staff = audience == Audience::Staff;
        TicketCounts {
            by_status: c.by_status.into_iter().map(|(s, n)| (s.as_str(), n)).collect(),
            unread: c.unread,
            waiting_on_agent: c.waiting_on_agent,
            mine: staff.then_some(c.mine),
            unassigned: staff.then_some(c.unassigned),
        }
    }
}

/// A tenant company, with its active managers and open tickets.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Company {
    pub id: CompanyId,
    pub name: String,
    /// `false` while suspended: its managers cannot act for it.
    pub active: bool,
    pub created_at: Timestamp,
    /// Active managers.
    pub managers: i64,
    /// Tickets that are not solved or closed.
    pub open_tickets: i64,
}

impl From<CompanyOverview> for Company {
    fn from(c: CompanyOverview) -> Self {
        Company {
            id: c.company.id,
            name: c.company.name,
            active: c.company.active,
            created_at: c.company.created,
            managers: c.managers,
            open_tickets: c.open_tickets,
        }
    }
}

/// A company as a member sees it in their list of companies.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Membership {
    pub id: CompanyId,
    pub name: String,
    pub role: String,
    /// `false` while the company is suspended.
    pub active: bool,
}

impl From<MembershipRecord> for Membership {
    fn from(m: MembershipRecord) -> Self {
        Membership { id: m.company.id, name: m.company.name, role: m.role, active: m.active }
    }
}

/// A manager with the companies they manage.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManagerAccount {
    pub user: User,
    pub companies: Vec<Membership>,
}

impl From<Manager> for ManagerAccount {
    fn from(m: Manager) -> Self {
        ManagerAccount { user: m.user.into(), companies: memberships(m.companies) }
    }
}

/// A one-time link to set a password, shown once to the person who made it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Invitation {
    /// Open this link to set the password (it works once).
    pub url: String,
    pub expires_at: Timestamp,
}

/// Each company of a membership list.
pub fn memberships(list: Vec<MembershipRecord>) -> Vec<Membership> {
    list.into_iter().map(Membership::from).collect()
}

/// A manager's account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct User {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub active: bool,
    pub created_at: Timestamp,
}

impl From<UserRecord> for User {
    fn from(u: UserRecord) -> Self {
        User { id: u.id, email: u.email, name: u.name, active: u.active, created_at: u.created }
    }
}

/// A platform team member's account.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Admin {
    pub id: AdminId,
    pub email: String,
    pub name: String,
    pub role: AdminRole,
    pub active: bool,
    pub created_at: Timestamp,
}

impl From<AdminRecord> for Admin {
    fn from(a: AdminRecord) -> Self {
        let account = a.account;
        Admin {
            id: account.id,
            email: account.email,
            name: account.name,
            role: a.role,
            active: account.active,
            created_at: account.created,
        }
    }
}

/// A member of the platform team as the team page shows them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamMember {
    pub id: AdminId,
    pub name: String,
    /// Left out for support agents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    pub role: AdminRole,
    /// Left out for support agents (who see active members only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// Left out where the caller may not read it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub coverage: Option<Vec<String>>,
    /// Open tickets (not solved or closed) assigned to them; left out for
    /// support agents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open_tickets: Option<i64>,
}

/// The team as the viewer may see it.
pub fn team(team: Team) -> Vec<TeamMember> {
    let full = team.view == TeamView::Full;
    team.members
        .into_iter()
        .map(|m| {
            let account = m.admin.account;
            TeamMember {
                id: account.id,
                name: account.name,
                email: full.then_some(account.email),
                role: m.admin.role,
                active: full.then_some(account.active),
                coverage: m.coverage,
                open_tickets: m.open_tickets,
            }
        })
        .collect()
}

/// One row of the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditRow {
    pub id: i64,
    pub action: String,
    pub actor_kind: String,
    #[schema(required = true)]
    pub actor_id: Option<i64>,
    #[schema(required = true)]
    pub company_id: Option<CompanyId>,
    #[schema(required = true)]
    pub ticket_id: Option<TicketId>,
    /// What changed: `before` and `after` where there are such.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    #[schema(required = true)]
    pub request_id: Option<String>,
    #[schema(required = true)]
    pub client_addr: Option<String>,
    pub created_at: Timestamp,
}

impl From<AuditRecord> for AuditRow {
    fn from(r: AuditRecord) -> Self {
        AuditRow {
            id: r.id,
            action: r.action,
            actor_kind: r.actor_kind,
            actor_id: r.actor_id,
            company_id: r.company_id,
            ticket_id: r.ticket_id,
            detail: r.detail,
            request_id: r.request_id,
            client_addr: r.client_addr,
            created_at: r.at,
        }
    }
}

/// A list that is not paginated.
#[derive(Serialize, ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

impl<T> Items<T> {
    /// The items, each converted to its wire type.
    pub fn of<R: Into<T>>(records: Vec<R>) -> Self {
        Items { items: records.into_iter().map(Into::into).collect() }
    }
}
