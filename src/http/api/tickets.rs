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
    access::{Scope, Viewer},
    app::AppState,
    domain::{AuditMeta, Body, FieldError, MessageId, TicketId},
    http::error::{ApiError, ApiResult},
    service::tickets::{Post, Versioned},
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
        parse_body(self.body.as_deref())
    }
}

/// A message's body, which every message must have.
pub fn parse_body(raw: Option<&str>) -> Result<Body, FieldError> {
    FieldError::parse_required("body", raw, |raw| Body::parse("body", raw))
}

/// A ticket and its thread, with an ETag made from the ticket's version: a
/// poll that changed nothing is answered 304 without loading the thread.
pub async fn detail_response(
    state: &AppState,
    viewer: Viewer,
    id: TicketId,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let audience = viewer.audience();
    match state.store.ticket_detail(viewer, id, etag::known_versions(headers, id)).await? {
        Versioned::Unchanged(version) => Ok(etag::ticket_response(headers, id, &version, None)),
        Versioned::Fresh(version, detail) => {
            let body = serde_json::to_vec(&TicketDetail::seen_by(detail, audience)).map_err(ApiError::internal)?;
            Ok(etag::ticket_response(headers, id, &version, Some(body)))
        }
    }
}

/// Posts a message to a ticket the scope sees: 201 with the message.
pub async fn post_message(
    state: &AppState,
    scope: Scope,
    id: TicketId,
    post: Post,
    meta: AuditMeta,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let audience = scope.audience();
    let message = state.store.add_message(scope, id, post, meta).await?;
    Ok((StatusCode::CREATED, Json(Message::seen_by(message, audience))))
}

/// Which message the viewer has read up to.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadMark {
    /// A message of the ticket's thread as the viewer sees it.
    #[schema(required = true, value_type = i64, minimum = 1)]
    message_id: Option<i64>,
}

/// Moves the viewer's read mark on: 204. Never backwards; a message outside
/// the thread the viewer sees is 422.
pub async fn mark_read(state: &AppState, viewer: Viewer, id: TicketId, mark: ReadMark) -> ApiResult<StatusCode> {
    let message = match mark.message_id {
        Some(id) if id > 0 => MessageId(id),
        Some(_) => return Err(FieldError::new("message_id", "invalid_id", "must be a positive whole number").into()),
        None => return Err(FieldError::required("message_id").into()),
    };
    state.store.mark_read(viewer, id, message).await?;
    Ok(StatusCode::NO_CONTENT)
}
