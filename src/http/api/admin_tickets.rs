//! The platform API over tickets: triage, answer, assign, close. What an
//! admin may see is their scope (see [`crate::access`]); a ticket outside it
//! is 404 for reads and writes alike.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use super::{
    etag,
    filters::{ListQuery, PlatformTicketQuery},
    model::{Message, Ticket, TicketDetail},
    tickets::{NewMessage, detail_response, post_message},
};
use crate::{
    app::AppState,
    domain::{AdminId, Author, FieldError, Page, Sender, Status, TicketId},
    http::{
        error::ApiResult,
        extract::{IdPath, JsonBody, PlatformAdmin, RequestMeta},
    },
};

/// `GET /platform-admin/tickets`: filters `status`, `subject`, `company_id`,
/// `assigned=me|unassigned|all`, `q`, `updated_since`; keyset pages.
#[utoipa::path(get, path = "/platform-admin/tickets", tag = "platform", security(("admin_token" = [])),
    params(PlatformTicketQuery),
    responses((status = 200, description = "The tickets this admin may see, newest activity first", body = Page<Ticket>),
              (status = 304, description = "Unchanged since the ETag given in If-None-Match")))]
pub async fn list(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    headers: HeaderMap,
    ListQuery(query): ListQuery<PlatformTicketQuery>,
) -> ApiResult<Response> {
    let (filter, page) = query.parse(admin.id())?;
    let page = state.store.ticket_list(admin.scope(), filter, page).await?;
    etag::json_with_etag(&headers, &page.map(Ticket::from))
}

/// `GET /platform-admin/tickets/{id}`: the ticket and its thread, with an ETag.
#[utoipa::path(get, path = "/platform-admin/tickets/{id}", tag = "platform", security(("admin_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket")),
    responses((status = 200, description = "The ticket and its thread", body = TicketDetail),
              (status = 304, description = "Unchanged since the ETag given in If-None-Match")))]
pub async fn show(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    headers: HeaderMap,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    detail_response(&state, admin.scope(), TicketId(id), &headers).await
}

/// `POST /platform-admin/tickets/{id}/messages`: an agent's answer.
#[utoipa::path(post, path = "/platform-admin/tickets/{id}/messages", tag = "platform", security(("admin_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket")), request_body = NewMessage,
    responses((status = 201, description = "The new message", body = Message)))]
pub async fn reply(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    meta: RequestMeta,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<NewMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let body = body.parse()?;
    admin.spend_write(&state)?;
    let author = Author { sender: Sender::Agent(admin.id()), name: admin.admin.account.name.clone() };
    post_message(&state, admin.scope(), author, TicketId(id), body, meta.audit).await
}

/// The status to set.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusBody {
    #[schema(required = true, value_type = Status)]
    status: Option<String>,
}

/// `PATCH /platform-admin/tickets/{id}/status`: `{status}`. The same status
/// again is a no-op.
#[utoipa::path(patch, path = "/platform-admin/tickets/{id}/status", tag = "platform", security(("admin_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket")), request_body = StatusBody,
    responses((status = 200, description = "The ticket and its thread after the change", body = TicketDetail)))]
pub async fn set_status(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    meta: RequestMeta,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<StatusBody>,
) -> ApiResult<Json<TicketDetail>> {
    let status = match body.status {
        Some(raw) => Status::parse(&raw)?,
        None => return Err(FieldError::new("status", "required", "is required").into()),
    };
    admin.spend_write(&state)?;
    let detail = state.store.set_status(admin.id(), admin.scope(), TicketId(id), status, meta.audit).await?;
    Ok(Json(detail.into()))
}

/// Whom to assign the ticket to; `null` unassigns.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignBody {
    /// Required, and may be `null` (unassign): a missing key is refused so a
    /// typo never unassigns.
    #[serde(default, deserialize_with = "present")]
    #[schema(required = true, value_type = Option<i64>, minimum = 1)]
    admin_id: Option<Option<i64>>,
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

/// `PATCH /platform-admin/tickets/{id}/assign`: `{admin_id}` or `{admin_id: null}`.
#[utoipa::path(patch, path = "/platform-admin/tickets/{id}/assign", tag = "platform", security(("admin_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket")), request_body = AssignBody,
    responses((status = 200, description = "The ticket and its thread after the change", body = TicketDetail)))]
pub async fn assign(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    meta: RequestMeta,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<AssignBody>,
) -> ApiResult<Json<TicketDetail>> {
    let Some(assignee) = body.admin_id else {
        return Err(FieldError::new("admin_id", "required", "is required (null unassigns)").into());
    };
    admin.spend_write(&state)?;
    let detail = state.store.assign(admin.id(), admin.scope(), TicketId(id), assignee.map(AdminId), meta.audit).await?;
    Ok(Json(detail.into()))
}
