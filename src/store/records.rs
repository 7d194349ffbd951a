//! What storage gives back: plain records, shaped for the rules that use
//! them. The API's wire types are its own (`http::api::model`).

use crate::domain::{
    AdminId, AdminRole, CompanyId, MessageId, SenderType, Status, TicketId, Timestamp, UserId, WaitingOn,
};

/// Something with an id and a display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named<Id> {
    pub id: Id,
    pub name: String,
}

/// When a ticket began, last changed and was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketTimes {
    pub created: Timestamp,
    pub updated: Timestamp,
    pub last_activity: Timestamp,
    pub closed: Option<Timestamp>,
}

/// The newest tenant or agent message an audience sees, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastMessage {
    pub at: Timestamp,
    /// `tenant` or `agent`.
    pub sender: SenderType,
    /// The start of its text, white space collapsed.
    pub preview: String,
    pub internal: bool,
}

/// A ticket as one viewer sees it: with the names the lists and the thread
/// show, and the viewer's audience's newest message and the viewer's read
/// mark (so `updated` and `last_message` are the audience's).
#[derive(Debug, Clone)]
pub struct TicketRecord {
    pub id: TicketId,
    pub company: Named<CompanyId>,
    pub creator: Named<UserId>,
    pub assignee: Option<Named<AdminId>>,
    /// `support` (phase 1) or `website_design`.
    pub kind: String,
    pub subject: String,
    pub sub_subject: Option<String>,
    pub status: Status,
    pub times: TicketTimes,
    pub waiting_on: Option<WaitingOn>,
    pub last_message: Option<LastMessage>,
    /// The newest message the viewer's audience sees (system notes too).
    pub newest_message: Option<MessageId>,
    pub read_mark: Option<MessageId>,
}

impl TicketRecord {
    /// Whether something arrived since the viewer's read mark. A person's own
    /// messages move their mark on (see `service::tickets`), so this is
    /// "a message by someone else newer than the mark".
    pub fn unread(&self) -> bool {
        match (self.newest_message, self.read_mark) {
            (None, _) => false,
            (Some(_), None) => true,
            (Some(newest), Some(mark)) => newest > mark,
        }
    }
}

/// One message of a thread.
#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub id: MessageId,
    pub ticket_id: TicketId,
    pub sender_type: SenderType,
    pub sender_user: Option<UserId>,
    pub sender_admin: Option<AdminId>,
    pub sender_name: Option<String>,
    pub body: String,
    pub internal: bool,
    pub at: Timestamp,
}

/// A ticket with its whole thread, oldest message first.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    pub ticket: TicketRecord,
    pub messages: Vec<MessageRecord>,
    /// Who opened it, with their email: for the platform team only.
    pub requester: Option<Contact>,
}

/// A person the team may write to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// One audience's view of a thread: its newest message, and the newest
/// tenant or agent message for the preview.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudienceView {
    pub newest: Option<MessageId>,
    pub last: Option<LastMessage>,
    pub updated: Timestamp,
}

/// Everything a change to a ticket may rewrite, for both audiences; a change
/// reads it, the rule edits it, and one update writes it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketSummary {
    pub status: Status,
    pub closed: Option<Timestamp>,
    pub assignee: Option<AdminId>,
    pub waiting_on: Option<WaitingOn>,
    /// What tenants see change: `last_activity_at` and `updated_at`.
    pub last_activity: Timestamp,
    pub public: AudienceView,
    /// The team's view, internal notes included.
    pub staff: AudienceView,
}

/// What a change to a ticket reads first (and, on a backend with several
/// writers, locks until it commits).
#[derive(Debug, Clone)]
pub struct TicketState {
    pub id: TicketId,
    pub company_id: CompanyId,
    pub assignee_name: Option<String>,
    pub summary: TicketSummary,
}

/// The version of a ticket as a client last saw it: its last change, its
/// newest message, and the viewer's read mark (all as the viewer sees them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketVersion {
    pub updated: Timestamp,
    pub newest_message: Option<MessageId>,
    pub read_mark: Option<MessageId>,
}

/// A ticket to insert.
#[derive(Debug, Clone)]
pub struct TicketInsert<'a> {
    pub company_id: CompanyId,
    pub creator: UserId,
    pub subject: &'a str,
    pub sub_subject: Option<&'a str>,
    pub at: Timestamp,
}

/// A message to insert.
#[derive(Debug, Clone, Copy)]
pub struct MessageInsert<'a> {
    pub ticket_id: TicketId,
    pub sender: crate::domain::Sender,
    pub body: &'a str,
    /// An internal note: the platform team sees it, tenants never do.
    pub internal: bool,
    pub at: Timestamp,
}

/// A ticket's counts as one viewer's lists would find them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TicketCounts {
    /// Every status, with how many tickets are in it.
    pub by_status: Vec<(Status, i64)>,
    /// These four count tickets that are not solved or closed.
    pub unread: i64,
    pub waiting_on_agent: i64,
    pub mine: i64,
    pub unassigned: i64,
}

impl TicketCounts {
    /// Nothing counted yet: every status at zero.
    pub fn empty() -> Self {
        TicketCounts { by_status: Status::ALL.iter().map(|s| (*s, 0)).collect(), ..Default::default() }
    }

    /// Adds `n` tickets of one group (status, who they wait on, assignee),
    /// `me` being the viewer when they are an admin.
    pub fn add(
        &mut self,
        status: Status,
        waiting_on: Option<WaitingOn>,
        assignee: Option<AdminId>,
        me: Option<AdminId>,
        n: i64,
    ) {
        if let Some(slot) = self.by_status.iter_mut().find(|(s, _)| *s == status) {
            slot.1 += n;
        }
        if status.is_open() {
            if waiting_on == Some(WaitingOn::Agent) {
                self.waiting_on_agent += n;
            }
            match assignee {
                None => self.unassigned += n,
                Some(a) if Some(a) == me => self.mine += n,
                Some(_) => {}
            }
        }
    }

    /// How many of the counted tickets are open (not solved or closed).
    pub fn open(&self) -> i64 {
        self.by_status.iter().filter(|(s, _)| s.is_open()).map(|(_, n)| n).sum()
    }
}

#[derive(Debug, Clone)]
pub struct CompanyRecord {
    pub id: CompanyId,
    pub name: String,
    /// A suspended company's managers cannot act for it.
    pub active: bool,
    pub created: Timestamp,
}

/// A company with what its list shows: its managers and open tickets.
#[derive(Debug, Clone)]
pub struct CompanyOverview {
    pub company: CompanyRecord,
    /// Active managers.
    pub managers: i64,
    /// Tickets not solved or closed.
    pub open_tickets: i64,
}

/// A company as a member sees it in their list of companies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub company: Named<CompanyId>,
    pub role: String,
    /// Whether the company is active (not suspended).
    pub active: bool,
}

/// A manager with the companies they manage.
#[derive(Debug, Clone)]
pub struct Manager {
    pub user: UserRecord,
    pub companies: Vec<Membership>,
}

/// A one-time link, as its hash finds it.
#[derive(Debug, Clone)]
pub struct InvitationRecord {
    pub id: i64,
    pub kind: crate::domain::AccountKind,
    pub account_id: i64,
    pub expires: Timestamp,
    pub used: Option<Timestamp>,
}

/// An invitation to write: who it is for, the hash of its token, until when.
#[derive(Debug, Clone)]
pub struct InvitationInsert<'a> {
    pub kind: crate::domain::AccountKind,
    pub account_id: i64,
    pub token_hash: &'a str,
    pub at: Timestamp,
    pub expires: Timestamp,
}

/// What every account has: who it is and whether its tokens still hold.
#[derive(Debug, Clone)]
pub struct AccountRecord<Id> {
    pub id: Id,
    pub email: String,
    pub name: String,
    pub active: bool,
    /// Moves on when the password changes or the account is disabled, which
    /// revokes every token issued before.
    pub token_version: i64,
    pub created: Timestamp,
}

pub type UserRecord = AccountRecord<UserId>;

/// A member of the platform team.
#[derive(Debug, Clone)]
pub struct AdminRecord {
    pub account: AccountRecord<AdminId>,
    pub role: AdminRole,
}

/// What sign-in needs: the stored hash and the account's state.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
    pub active: bool,
}

/// One audit row as the audit viewer shows it.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub id: i64,
    pub action: String,
    pub actor_kind: String,
    pub actor_id: Option<i64>,
    pub company_id: Option<CompanyId>,
    pub ticket_id: Option<TicketId>,
    pub detail: serde_json::Value,
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
    pub at: Timestamp,
}

/// A member of the platform team with the subjects they cover, where the
/// viewer may read them.
#[derive(Debug, Clone)]
pub struct TeamMemberRecord {
    pub admin: AdminRecord,
    pub coverage: Option<Vec<String>>,
    /// The open tickets (not solved or closed) assigned to them, where the
    /// viewer may read it.
    pub open_tickets: Option<i64>,
}

/// An email waiting in the outbox (or done with), as the sender reads it.
#[derive(Debug, Clone)]
pub struct OutboxRecord {
    pub id: i64,
    pub recipient_kind: crate::domain::AccountKind,
    pub recipient_id: i64,
    pub to: String,
    pub kind: String,
    pub ticket: Option<TicketId>,
    /// What the email says, as JSON.
    pub payload: String,
    pub attempts: u32,
    pub created: Timestamp,
}

/// A new email for the outbox.
#[derive(Debug, Clone)]
pub struct OutboxInsert<'a> {
    pub recipient_kind: crate::domain::AccountKind,
    pub recipient_id: i64,
    pub to: &'a str,
    pub kind: &'a str,
    pub ticket: Option<TicketId>,
    pub payload: &'a str,
    pub at: Timestamp,
    pub due: Timestamp,
}

/// How the outbox stands, for metrics and `check`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub dead: i64,
    pub skipped: i64,
    /// Pending emails that have failed at least once.
    pub retrying: i64,
}

/// A ticket as deciding who hears of its events needs it.
#[derive(Debug, Clone)]
pub struct TicketFacts {
    pub id: TicketId,
    pub company: Named<CompanyId>,
    pub creator: UserId,
    pub subject: String,
    pub assignee: Option<AdminId>,
}
