//! Tickets as the use cases take them: a new ticket, who writes a message,
//! and the list filters.

use serde::Serialize;

use super::{AdminId, Body, CompanyId, SenderType, Status, Subject, Timestamp, UserId};

/// Whom a ticket waits on: the agents (the newest reply is the tenant's, a
/// new ticket included) or the tenant (the newest reply is an agent's).
/// A solved or closed ticket waits on no one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WaitingOn {
    Agent,
    Tenant,
}

impl WaitingOn {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitingOn::Agent => "agent",
            WaitingOn::Tenant => "tenant",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, super::FieldError> {
        match raw.trim() {
            "agent" => Ok(WaitingOn::Agent),
            "tenant" => Ok(WaitingOn::Tenant),
            _ => Err(super::FieldError::new("waiting_on", "invalid_waiting_on", "must be agent or tenant")),
        }
    }

    /// Whom a ticket in `status` waits on, when the newest tenant or agent
    /// message (internal notes aside) came from `last_sender`.
    pub fn of(status: Status, last_sender: SenderType) -> Option<WaitingOn> {
        match (status, last_sender) {
            (Status::Solved | Status::Closed, _) => None,
            (_, SenderType::Agent) => Some(WaitingOn::Tenant),
            (_, SenderType::Tenant | SenderType::System) => Some(WaitingOn::Agent),
        }
    }
}

/// How long a preview is, in characters.
pub const PREVIEW_CHARS: usize = 200;

/// The start of a message as lists show it: white space collapsed to single
/// spaces, at most [`PREVIEW_CHARS`] characters, an ellipsis when cut.
pub fn preview(body: &str) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in body.split_whitespace() {
        let room = PREVIEW_CHARS.saturating_sub(chars + usize::from(!out.is_empty()));
        if room == 0 {
            out.push('…');
            return out;
        }
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        let count = word.chars().count();
        if count > room {
            out.extend(word.chars().take(room));
            out.push('…');
            return out;
        }
        out.push_str(word);
        chars += count;
    }
    out
}

/// A new ticket as a manager opens it.
#[derive(Debug, Clone)]
pub struct NewTicket {
    pub subject: Subject,
    pub sub_subject: Option<Subject>,
    pub description: Body,
}

/// The manager opening a ticket and their company, as the request's account
/// check read them: the answer is built from these and the written values,
/// with no read-back inside the write transaction.
#[derive(Debug, Clone)]
pub struct Opener {
    pub company_id: CompanyId,
    pub company_name: String,
    pub user_id: UserId,
    pub user_name: String,
}

/// Who writes a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Tenant(UserId),
    Agent(AdminId),
    /// A system note, made on behalf of the admin whose action it records.
    System(AdminId),
}

impl Sender {
    pub fn sender_type(self) -> SenderType {
        match self {
            Sender::Tenant(_) => SenderType::Tenant,
            Sender::Agent(_) => SenderType::Agent,
            Sender::System(_) => SenderType::System,
        }
    }

    pub fn user(self) -> Option<UserId> {
        match self {
            Sender::Tenant(u) => Some(u),
            _ => None,
        }
    }

    pub fn admin(self) -> Option<AdminId> {
        match self {
            Sender::Agent(a) | Sender::System(a) => Some(a),
            Sender::Tenant(_) => None,
        }
    }
}

/// A tenant's or an agent's message, with the name their request's account
/// check read (for the answer).
#[derive(Debug, Clone)]
pub struct Author {
    pub sender: Sender,
    pub name: String,
}

/// Whom `assigned=` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Assigned {
    #[default]
    All,
    To(AdminId),
    Unassigned,
}

/// The list filters. Each one narrows the caller's scope further.
#[derive(Debug, Clone, Default)]
pub struct TicketFilter {
    pub status: Option<Status>,
    pub subject: Option<Subject>,
    pub company_id: Option<CompanyId>,
    pub assigned: Assigned,
    /// The search words, each a prefix, all of which must match.
    pub search: Option<SearchWords>,
    pub updated_since: Option<Timestamp>,
    pub waiting_on: Option<WaitingOn>,
    /// Only tickets that are not solved or closed.
    pub open_only: bool,
}

/// Search words as the user typed them, cut into words: letters and digits,
/// at most 16 words of at most 64 characters. Each storage backend turns them
/// into its own full-text query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchWords(Vec<String>);

impl SearchWords {
    pub const MAX_CHARS: usize = 200;

    /// The words of `raw`; `None` when it holds no word at all.
    pub fn parse(raw: &str) -> Option<Self> {
        let words: Vec<String> = raw
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(16)
            .map(|w| w.chars().take(64).collect())
            .collect();
        if words.is_empty() { None } else { Some(SearchWords(words)) }
    }

    pub fn words(&self) -> &[String] {
        &self.0
    }
}

impl utoipa::PartialSchema for SearchWords {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        super::page::text_schema(
            1,
            SearchWords::MAX_CHARS,
            "Words of the subject, sub-subject or messages; each is a prefix, all must match; at least one letter or digit",
        )
    }
}

impl utoipa::ToSchema for SearchWords {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_collapses_white_space_and_stops_near_two_hundred_characters() {
        assert_eq!(preview("  Contact form\n\n  not\tsending.  "), "Contact form not sending.");
        let long = "word ".repeat(100);
        let cut = preview(&long);
        assert!(cut.ends_with('…') && cut.chars().count() <= PREVIEW_CHARS + 1, "{cut}");
        let one_long_word = "x".repeat(500);
        assert_eq!(preview(&one_long_word).chars().count(), PREVIEW_CHARS + 1);
        assert_eq!(
            preview("é".repeat(PREVIEW_CHARS).as_str()).chars().count(),
            PREVIEW_CHARS,
            "exactly full is not cut"
        );
    }

    #[test]
    fn a_ticket_waits_on_whoever_did_not_write_last_until_it_is_solved() {
        assert_eq!(WaitingOn::of(Status::New, SenderType::Tenant), Some(WaitingOn::Agent));
        assert_eq!(WaitingOn::of(Status::WaitingOnTenant, SenderType::Tenant), Some(WaitingOn::Agent));
        assert_eq!(WaitingOn::of(Status::InProgress, SenderType::Agent), Some(WaitingOn::Tenant));
        assert_eq!(WaitingOn::of(Status::Solved, SenderType::Tenant), None);
        assert_eq!(WaitingOn::of(Status::Closed, SenderType::Agent), None);
    }
}
