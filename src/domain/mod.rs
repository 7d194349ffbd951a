//! Pure types and rules: no axum, no storage. Input becomes one of these at
//! the boundary, and nothing past the handler checks it again.

mod audit;
mod ids;
mod page;
mod status;
mod text;
mod ticket;
mod time;

pub use audit::{Actor, AuditAction, AuditEntry, AuditFilter, AuditMeta};
pub use ids::{AdminId, CompanyId, MessageId, TicketId, UserId};
pub use page::{Cursor, Order, Page, PageRequest};
pub use status::{AccountKind, AdminRole, SenderType, Status};
pub use text::{
    Body, Email, FieldError, FieldErrors, Name, Password, Subject, is_bidi_control, is_invisible, normalise,
};
pub use ticket::{
    Assigned, Author, NewTicket, Opener, PREVIEW_CHARS, SearchWords, Sender, TicketFilter, WaitingOn, preview,
};
pub use time::Timestamp;
