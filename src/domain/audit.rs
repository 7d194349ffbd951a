//! The audit log's vocabulary: what was done, by whom, from where. Every
//! mutation appends one entry in the same transaction as the change.

use serde::Serialize;

use super::{AdminId, CompanyId, TicketId, Timestamp, UserId};

/// What an audit row records. The names are the spec's (`ticket.create`, ...)
/// and the account actions beyond it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum AuditAction {
    #[serde(rename = "ticket.create")]
    TicketCreate,
    #[serde(rename = "ticket.message.create")]
    TicketMessageCreate,
    #[serde(rename = "ticket.status.update")]
    TicketStatusUpdate,
    #[serde(rename = "ticket.assign")]
    TicketAssign,
    #[serde(rename = "team.coverage.update")]
    TeamCoverageUpdate,
    #[serde(rename = "auth.login")]
    AuthLogin,
    #[serde(rename = "company.create")]
    CompanyCreate,
    #[serde(rename = "user.create")]
    UserCreate,
    #[serde(rename = "user.disable")]
    UserDisable,
    #[serde(rename = "user.password.update")]
    UserPasswordUpdate,
    #[serde(rename = "admin.create")]
    AdminCreate,
    #[serde(rename = "admin.disable")]
    AdminDisable,
    #[serde(rename = "admin.password.update")]
    AdminPasswordUpdate,
    #[serde(rename = "auth.logout")]
    AuthLogout,
    #[serde(rename = "company.update")]
    CompanyUpdate,
    #[serde(rename = "user.update")]
    UserUpdate,
    #[serde(rename = "admin.update")]
    AdminUpdate,
    #[serde(rename = "account.invite")]
    AccountInvite,
    #[serde(rename = "account.password_set")]
    AccountPasswordSet,
    #[serde(rename = "account.password_change")]
    AccountPasswordChange,
}

impl AuditAction {
    pub const ALL: [AuditAction; 20] = [
        AuditAction::TicketCreate,
        AuditAction::TicketMessageCreate,
        AuditAction::TicketStatusUpdate,
        AuditAction::TicketAssign,
        AuditAction::TeamCoverageUpdate,
        AuditAction::AuthLogin,
        AuditAction::CompanyCreate,
        AuditAction::UserCreate,
        AuditAction::UserDisable,
        AuditAction::UserPasswordUpdate,
        AuditAction::AdminCreate,
        AuditAction::AdminDisable,
        AuditAction::AdminPasswordUpdate,
        AuditAction::AuthLogout,
        AuditAction::CompanyUpdate,
        AuditAction::UserUpdate,
        AuditAction::AdminUpdate,
        AuditAction::AccountInvite,
        AuditAction::AccountPasswordSet,
        AuditAction::AccountPasswordChange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::TicketCreate => "ticket.create",
            AuditAction::TicketMessageCreate => "ticket.message.create",
            AuditAction::TicketStatusUpdate => "ticket.status.update",
            AuditAction::TicketAssign => "ticket.assign",
            AuditAction::TeamCoverageUpdate => "team.coverage.update",
            AuditAction::AuthLogin => "auth.login",
            AuditAction::CompanyCreate => "company.create",
            AuditAction::UserCreate => "user.create",
            AuditAction::UserDisable => "user.disable",
            AuditAction::UserPasswordUpdate => "user.password.update",
            AuditAction::AdminCreate => "admin.create",
            AuditAction::AdminDisable => "admin.disable",
            AuditAction::AdminPasswordUpdate => "admin.password.update",
            AuditAction::AuthLogout => "auth.logout",
            AuditAction::CompanyUpdate => "company.update",
            AuditAction::UserUpdate => "user.update",
            AuditAction::AdminUpdate => "admin.update",
            AuditAction::AccountInvite => "account.invite",
            AuditAction::AccountPasswordSet => "account.password_set",
            AuditAction::AccountPasswordChange => "account.password_change",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == raw)
    }
}

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    User(UserId),
    Admin(AdminId),
    /// An operator at the command line.
    Cli,
}

impl Actor {
    /// `user`, `admin` or `cli`.
    pub fn kind(self) -> &'static str {
        match self {
            Actor::User(_) => "user",
            Actor::Admin(_) => "admin",
            Actor::Cli => "cli",
        }
    }

    pub fn id(self) -> Option<i64> {
        match self {
            Actor::User(id) => Some(id.get()),
            Actor::Admin(id) => Some(id.get()),
            Actor::Cli => None,
        }
    }

    /// Parses the audit viewer's `actor=` filter: `admin:3`, `user:9` or `cli`.
    pub fn parse(raw: &str) -> Option<Self> {
        if raw == "cli" {
            return Some(Actor::Cli);
        }
        let (kind, id) = raw.split_once(':')?;
        let id: i64 = id.parse().ok().filter(|i| *i > 0)?;
        match kind {
            "admin" => Some(Actor::Admin(AdminId(id))),
            "user" => Some(Actor::User(UserId(id))),
            _ => None,
        }
    }
}

/// Where a change came from: the request id and the client address.
#[derive(Debug, Clone, Default)]
pub struct AuditMeta {
    pub request_id: Option<String>,
    pub client_addr: Option<String>,
}

/// One audit row to append.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    pub action: AuditAction,
    pub actor: Actor,
    pub company_id: Option<CompanyId>,
    pub ticket_id: Option<TicketId>,
    /// What changed: `before` and `after` where there are such. Never a
    /// password, a hash or a token.
    pub detail: serde_json::Value,
}

impl AuditEntry {
    pub fn new(action: AuditAction, actor: Actor) -> Self {
        Self { action, actor, company_id: None, ticket_id: None, detail: serde_json::json!({}) }
    }

    pub fn company(mut self, id: CompanyId) -> Self {
        self.company_id = Some(id);
        self
    }

    pub fn ticket(mut self, id: TicketId) -> Self {
        self.ticket_id = Some(id);
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// The audit viewer's filters.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub ticket_id: Option<TicketId>,
    pub company_id: Option<CompanyId>,
    pub actor: Option<Actor>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}
