//! Pure types and rules: no axum, no rusqlite. Input becomes one of these at
//! the boundary, and nothing past the handler checks it again.

mod page;
mod search;
mod status;
mod text;
mod time;

pub use page::{Cursor, Page, PageRequest};
pub use search::fts_query;
pub use status::{AdminRole, SenderType, Status};
pub use text::{Body, Email, FieldError, Name, Password, Subject, normalise};
pub use time::Timestamp;
