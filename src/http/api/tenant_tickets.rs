//! The tenant (manager) API: a company's tickets, opened and answered by its
//! managers. Every call runs in the scope of the company the request names.

use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use serde::Deserialize;

use super::{
    etag,
    filters::{ListQuery, TenantCountsQuery, TenantListQuery},
    model::{Items, Message, Ticket, TicketCounts, TicketDetail},
    tickets::{NewMessage, ReadMark, detail_response, mark_read, post_message},
};
use crate::{
    access::Audience,
    app::AppState,
    config::SubjectEntry,
    domain::{Author, Body, FieldError, FieldErrors, NewTicket, Opener, Page, Sender, Subject, TicketId},
    http::{
        error::{ApiResult, Problem},
        extract::{IdPath, JsonBody, RequestMeta, Tenant, TenantUser},
    },
    service::tickets::Post,
};

/// The subject catalogue, so the UI offers a choice.
#[utoipa::path(get, path = "/api/support/subjects", tag = "tenant", security(("tenant_token" = [])),
    responses((status = 200, description = "The subjects and their sub-subjects", body = Items<SubjectEntry>)))]
pub async fn subjects(State(state): State<AppState>, _user: TenantUser) -> Json<Items<SubjectEntry>> {
    Json(Items { items: state.config.subjects.clone() })
}

/// `GET /api/support/tickets`: filters `status`, `q`, `updated_since`,
/// `waiting_on`; `order`; keyset pages.
#[utoipa::path(get, path = "/api/support/tickets", tag = "tenant", security(("tenant_token" = ["company_member"])),
    params(TenantListQuery),
    responses((status = 200, description = "The company's tickets, newest activity first (or oldest)", body = Page<Ticket>),
              (status = 304, description = "Unchanged since the ETag given in If-None-Match")))]
pub async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    headers: HeaderMap,
    ListQuery(query): ListQuery<TenantListQuery>,
) -> ApiResult<Response> {
    let (filter, page) = query.parse()?;
    let page = state.store.ticket_list(tenant.viewer(), filter, page).await?;
    etag::json_with_etag(&headers, &page.map(|t| Ticket::seen_by(t, Audience::Tenant)))
}

/// `GET /api/support/tickets/counts`: what the company's lists hold, with
/// the list's filters.
#[utoipa::path(get, path = "/api/support/tickets/counts", tag = "tenant", security(("tenant_token" = ["company_member"])),
    params(TenantCountsQuery),
    responses((status = 200, description = "Tickets per status; open ones unread and waiting on an agent", body = TicketCounts),
              (status = 304, description = "Unchanged since the ETag given in If-None-Match")))]
pub async fn counts(
    State(state): State<AppState>,
    tenant: Tenant,
    headers: HeaderMap,
    ListQuery(query): ListQuery<TenantCountsQuery>,
) -> ApiResult<Response> {
    let counts = state.store.ticket_counts(tenant.viewer(), query.parse()?).await?;
    etag::json_with_etag(&headers, &TicketCounts::seen_by(counts, Audience::Tenant))
}

/// A new ticket. `subject` must be in the catalogue (`GET /api/support/subjects`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    #[schema(required = true, value_type = Subject, inline, example = "website")]
    subject: Option<String>,
    #[schema(value_type = Option<Subject>, inline, example = "contact")]
    sub_subject: Option<String>,
    #[schema(required = true, value_type = Body, inline, example = "Contact form not sending.")]
    description: Option<String>,
}

fn parse_new_ticket(state: &AppState, body: CreateTicket) -> Result<NewTicket, Vec<FieldError>> {
    let mut errors = FieldErrors::default();
    let subject = errors.take(FieldError::parse_required("subject", body.subject.as_deref(), Subject::parse));
    let sub_subject = match body.sub_subject.as_deref() {
        Some(raw) if !crate::domain::normalise(raw).is_empty() => {
            errors.take(Subject::parse(raw).map_err(|e| e.for_field("sub_subject")))
        }
        _ => None,
    };
    let description = errors.take(FieldError::parse_required("description", body.description.as_deref(), |raw| {
        Body::parse("description", raw)
    }));
    if let Some(subject) = &subject
        && let Err(e) = state.check_subject(subject, sub_subject.as_ref())
    {
        errors.push(e);
    }
    match (subject, description) {
        (Some(subject), Some(description)) => errors.finish(NewTicket { subject, sub_subject, description }),
        // A field that did not parse has left its problem behind.
        _ => Err(errors.into_vec()),
    }
}

/// `POST /api/support/tickets`: the ticket, its first message and the audit
/// row in one transaction; 201 with the ticket and its thread.
#[utoipa::path(post, path = "/api/support/tickets", tag = "tenant", security(("tenant_token" = ["company_member"])),
    request_body = CreateTicket,
    responses((status = 201, description = "The new ticket and its first message", body = TicketDetail)))]
pub async fn create(
    State(state): State<AppState>,
    tenant: Tenant,
    meta: RequestMeta,
    JsonBody(body): JsonBody<CreateTicket>,
) -> ApiResult<(StatusCode, Json<TicketDetail>)> {
    let input = parse_new_ticket(&state, body)?;
    tenant.spend_write(&state)?;
    let opener = Opener {
        company_id: tenant.company.company.id,
        company_name: tenant.company.company.name,
        user_id: tenant.user.id,
        user_name: tenant.user.name,
    };
    let detail = state.store.create_ticket(opener, input, meta.audit).await?;
    Ok((StatusCode::CREATED, Json(TicketDetail::seen_by(detail, Audience::Tenant))))
}

/// `GET /api/support/tickets/{id}`: the ticket and its thread, with an ETag.
#[utoipa::path(get, path = "/api/support/tickets/{id}", tag = "tenant", security(("tenant_token" = ["company_member"])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket")),
    responses((status = 200, description = "The ticket and its thread", body = TicketDetail),
              (status = 304, description = "Unchanged since the ETag given in If-None-Match")))]
pub async fn show(
    State(state): State<AppState>,
    tenant: Tenant,
    headers: HeaderMap,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    detail_response(&state, tenant.viewer(), TicketId(id), &headers).await
}

/// `POST /api/support/tickets/{id}/messages`: 409 `ticket_closed` on a closed ticket.
#[utoipa::path(post, path = "/api/support/tickets/{id}/messages", tag = "tenant", security(("tenant_token" = ["company_member"])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket")), request_body = NewMessage,
    responses((status = 201, description = "The new message", body = Message),
              (status = 409, description = "The ticket is closed (`ticket_closed`)", body = Problem, content_type = "application/problem+json")))]
pub async fn reply(
    State(state): State<AppState>,
    tenant: Tenant,
    meta: RequestMeta,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<NewMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let body = body.parse()?;
    tenant.spend_write(&state)?;
    let author = Author { sender: Sender::Tenant(tenant.user.id), name: tenant.user.name.clone() };
    let post = Post { author, body, internal: false, status: None };
    post_message(&state, tenant.scope(), TicketId(id), post, meta.audit).await
}

/// `PUT /api/support/tickets/{id}/read`: `{message_id}`, the manager's own
/// read mark (never moves back; changes nothing anyone else sees).
#[utoipa::path(put, path = "/api/support/tickets/{id}/read", tag = "tenant", security(("tenant_token" = ["company_member"])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket")), request_body = ReadMark,
    responses((status = 204, description = "The read mark is at least there now")))]
pub async fn read(
    State(state): State<AppState>,
    tenant: Tenant,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<ReadMark>,
) -> ApiResult<StatusCode> {
    mark_read(&state, tenant.viewer(), TicketId(id), body).await
}
