//! Tickets as the use cases take them: a new ticket, who writes a message,
//! and the list filters.

use super::{AdminId, Body, CompanyId, SenderType, Status, Subject, Timestamp, UserId};

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
