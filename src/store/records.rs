//! What storage gives back: plain records, shaped for the rules that use
//! them. The API's wire types are its own (`http::api::model`).

use crate::domain::{AdminId, AdminRole, CompanyId, MessageId, SenderType, Status, TicketId, Timestamp, UserId};

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

/// A ticket with the names the lists and the thread show.
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
    pub at: Timestamp,
}

/// A ticket with its whole thread, oldest message first.
#[derive(Debug, Clone)]
pub struct TicketDetail {
    pub ticket: TicketRecord,
    pub messages: Vec<MessageRecord>,
}

/// What a change to a ticket reads first (and, on a backend with several
/// writers, locks until it commits).
#[derive(Debug, Clone)]
pub struct TicketState {
    pub id: TicketId,
    pub company_id: CompanyId,
    pub status: Status,
    pub assignee: Option<Named<AdminId>>,
}

/// The version of a ticket as a client last saw it: its last change and
/// its newest message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketVersion {
    pub updated: Timestamp,
    pub newest_message: Option<MessageId>,
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
    pub at: Timestamp,
}

#[derive(Debug, Clone)]
pub struct CompanyRecord {
    pub id: CompanyId,
    pub name: String,
    pub created: Timestamp,
}

/// A company as a member sees it in their list of companies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub company: Named<CompanyId>,
    pub role: String,
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
}
