//! What the tenant and platform ticket handlers share: a ticket's answer
//! with its ETag, and posting a message to a thread.

use axum::{
    Json,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use super::{
    etag,
    model::{Message, TicketDetail},
};
use crate::{
    access::Scope,
    app::AppState,
    domain::{AuditMeta, Author, Body, FieldError, TicketId},
    http::error::{ApiError, ApiResult},
    service::tickets::Versioned,
};

/// A message for a ticket's thread.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    #[schema(required = true, value_type = Body, inline)]
    body: Option<String>,
}

impl NewMessage {
    /// The message's body, required.
    pub fn parse(self) -> Result<Body, FieldError> {
        match self.body {
            Some(raw) => Body::parse("body", &raw),
            None => Err(FieldError::new("body", "required", "is required")),
        }
    }
}

/// A ticket and its thread, with an ETag made from the ticket's version: a
/// poll that changed nothing is answered 304 without loading the thread.
pub async fn detail_response(state: &AppState, scope: Scope, id: TicketId, headers: &HeaderMap) -> ApiResult<Response> {
    match state.store.ticket_detail(scope, id, etag::known_versions(headers, id)).await? {
        Versioned::Unchanged(version) => Ok(etag::ticket_response(headers, id, &version, None)),
        Versioned::Fresh(version, detail) => {
            let body = serde_json::to_vec(&TicketDetail::from(detail)).map_err(ApiError::internal)?;
            Ok(etag::ticket_response(headers, id, &version, Some(body)))
        }
    }
}

/// Posts `author`'s message to a ticket the scope sees: 201 with the message.
pub async fn post_message(
    state: &AppState,
    scope: Scope,
    author: Author,
    id: TicketId,
    body: Body,
    meta: AuditMeta,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let message = state.store.add_message(scope, author, id, body, meta).await?;
    Ok((StatusCode::CREATED, Json(message.into())))
}
