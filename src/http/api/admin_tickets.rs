//! The platform API over tickets: triage, answer, note, assign, close. What
//! an admin may see is their scope (see [`crate::access`]); a ticket outside
//! it is 404 for reads and writes alike.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use super::{
    etag,
    filters::{ListQuery, PlatformCountsQuery, PlatformListQuery},
    model::{Message, Ticket, TicketCounts, TicketDetail},
    tickets::{ReadMark, detail_response, mark_read, parse_body, post_message},
};
use crate::{
    access::Audience,
    app::AppState,
    domain::{AdminId, Author, Body, FieldError, Page, Sender, Status, TicketId},
    http::{
        error::ApiResult,
        extract::{IdPath, JsonBody, PlatformAdmin, RequestMeta},
    },
    service::tickets::Post,
};

/// `GET /platform-admin/tickets`: filters `status`, `subject`, `company_id`,
/// `assigned=me|unassigned|all`, `q`, `updated_since`, `waiting_on`;
/// `order`; keyset pages.
#[utoipa::path(get, path = "/platform-admin/tickets", tag = "platform", security(("admin_token" = [])),
    params(PlatformListQuery),
    responses((status = 200, description = "The tickets this admin may see, newest activity first (or oldest)", body = Page<Ticket>),
              (status = 304, description = "Unchanged since the ETag given in If-None-Match")))]
pub async fn list(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    headers: HeaderMap,
    ListQuery(query): ListQuery<PlatformListQuery>,
) -> ApiResult<Response> {
    let (filter, page) = query.parse(admin.id())?;
    let page = state.store.ticket_list(admin.viewer(), filter, page).await?;
    etag::json_with_etag(&headers, &page.map(|t| Ticket::seen_by(t, Audience::Staff)))
}

/// `GET /platform-admin/tickets/counts`: what this admin's lists hold, with
/// the list's filters.
#[utoipa::path(get, path = "/platform-admin/tickets/counts", tag = "platform", security(("admin_token" = [])),
    params(PlatformCountsQuery),
    responses((status = 200, description = "Tickets per status; open ones unread, waiting on an agent, mine and unassigned", body = TicketCounts),
              (status = 304, description = "Unchanged since the ETag given in If-None-Match")))]
pub async fn counts(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    headers: HeaderMap,
    ListQuery(query): ListQuery<PlatformCountsQuery>,
) -> ApiResult<Response> {
    let counts = state.store.ticket_counts(admin.viewer(), query.parse(admin.id())?).await?;
    etag::json_with_etag(&headers, &TicketCounts::seen_by(counts, Audience::Staff))
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
    detail_response(&state, admin.viewer(), TicketId(id), &headers).await
}

/// An agent's message: a reply to the customer, or an internal note for
/// the team; optionally with the status to set in the same step.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentMessage {
    #[schema(required = true, value_type = Body, inline)]
    body: Option<String>,
    /// An internal note: the platform team sees it, the customer never does.
    #[serde(default)]
    internal: bool,
    /// Set this status in the same transaction (its system note and audit
    /// row come with it); an invalid one writes nothing.
    #[schema(value_type = Option<Status>)]
    status: Option<String>,
}

/// `POST /platform-admin/tickets/{id}/messages`: an agent's answer or internal
/// note, and optionally a new status, in one step.
#[utoipa::path(post, path = "/platform-admin/tickets/{id}/messages", tag = "platform", security(("admin_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket")), request_body = AgentMessage,
    responses((status = 201, description = "The new message", body = Message)))]
pub async fn reply(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    meta: RequestMeta,
    IdPath(id): IdPath,
    JsonBody(message): JsonBody<AgentMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let body = parse_body(message.body.as_deref());
    let status = message.status.as_deref().map(Status::parse).transpose();
    let (body, status) = match (body, status) {
        (Ok(body), Ok(status)) => (body, status),
        (body, status) => return Err(body.err().into_iter().chain(status.err()).collect::<Vec<_>>().into()),
    };
    admin.spend_write(&state)?;
    let author = Author { sender: Sender::Agent(admin.id()), name: admin.admin.account.name.clone() };
    let post = Post { author, body, internal: message.internal, status };
    post_message(&state, admin.scope(), TicketId(id), post, meta.audit).await
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
    let status = FieldError::parse_required("status", body.status.as_deref(), Status::parse)?;
    admin.spend_write(&state)?;
    let detail = state.store.set_status(admin.id(), admin.scope(), TicketId(id), status, meta.audit).await?;
    Ok(Json(TicketDetail::seen_by(detail, Audience::Staff)))
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
    Ok(Json(TicketDetail::seen_by(detail, Audience::Staff)))
}

/// `PUT /platform-admin/tickets/{id}/read`: `{message_id}`, the admin's own
/// read mark (never moves back; changes nothing anyone else sees).
#[utoipa::path(put, path = "/platform-admin/tickets/{id}/read", tag = "platform", security(("admin_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket")), request_body = ReadMark,
    responses((status = 204, description = "The read mark is at least there now")))]
pub async fn read(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<ReadMark>,
) -> ApiResult<StatusCode> {
    mark_read(&state, admin.viewer(), TicketId(id), body).await
}
