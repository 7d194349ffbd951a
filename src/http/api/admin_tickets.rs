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
    common_filters,
    openapi::AdminListQuery,
    tenant_tickets::{NewMessage, parse_message},
    ticket_detail, with_etag,
};
use crate::{
    app::AppState,
    db::tickets::{self, Assigned, Message, Sender, Ticket, TicketDetail},
    domain::{FieldError, Page, Status, Subject},
    http::{
        error::{ApiError, ApiResult},
        extract::{IdPath, JsonBody, PlatformAdmin, QueryMap, RequestMeta},
    },
};

/// `GET /platform-admin/tickets`: filters `status`, `subject`, `company_id`,
/// `assigned=me|unassigned|all`, `q`, `updated_since`; keyset pages.
#[utoipa::path(get, path = "/platform-admin/tickets", tag = "platform", security(("admin_token" = [])),
    params(AdminListQuery),
    responses((status = 200, description = "The tickets this admin may see, newest activity first", body = Page<Ticket>),
              (status = 304, description = "Unchanged since the ETag given in If-None-Match")))]
pub async fn list(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    headers: HeaderMap,
    query: QueryMap,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let (mut filter, page) = common_filters(&query, &mut errors);
    if let Some(raw) = query.get("subject") {
        match Subject::parse(raw) {
            Ok(s) => filter.subject = Some(s),
            Err(e) => errors.push(e),
        }
    }
    match query.id("company_id") {
        Ok(id) => filter.company_id = id,
        Err(e) => errors.push(e),
    }
    match query.get("assigned").map(str::trim) {
        None | Some("all") => {}
        Some("me") => filter.assigned = Assigned::To(admin.admin.id),
        Some("unassigned") => filter.assigned = Assigned::Unassigned,
        Some(_) => errors.push(FieldError::new("assigned", "invalid_assigned", "must be one of me, unassigned, all")),
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let scope = admin.scope();
    let page = state.db.read(move |conn| tickets::list(conn, &scope, &filter, &page)).await?;
    with_etag(&headers, &page)
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
    ticket_detail(&state, admin.scope(), id, &headers).await
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
    let body = parse_message(body)?;
    admin.spend_write(&state)?;
    let scope = admin.scope();
    let sender = Sender::Agent(admin.admin.id);
    let name = admin.admin.name;
    let message =
        state.db.write(move |conn| tickets::add_message(conn, &scope, (sender, &name), id, &body, &meta.audit)).await?;
    Ok((StatusCode::CREATED, Json(message)))
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
    let scope = admin.scope();
    let actor = admin.admin.id;
    let detail = state.db.write(move |conn| tickets::set_status(conn, &scope, actor, id, status, &meta.audit)).await?;
    Ok(Json(detail))
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
    let scope = admin.scope();
    let actor = admin.admin.id;
    let detail = state.db.write(move |conn| tickets::assign(conn, &scope, actor, id, assignee, &meta.audit)).await?;
    Ok(Json(detail))
}
