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
    Items, common_filters,
    openapi::{CompanyHeader, TenantListQuery},
    ticket_detail, with_etag,
};
use crate::{
    app::AppState,
    config::SubjectEntry,
    db::tickets::{self, Message, NewTicket, Opener, Sender, Ticket, TicketDetail},
    domain::{Body, FieldError, Page, Subject},
    http::{
        error::{ApiError, ApiResult, Problem},
        extract::{IdPath, JsonBody, QueryMap, RequestMeta, Tenant, TenantUser},
    },
};

/// The subject catalogue, so the UI offers a choice.
#[utoipa::path(get, path = "/api/support/subjects", tag = "tenant", security(("tenant_token" = [])),
    responses((status = 200, description = "The subjects and their sub-subjects", body = Items<SubjectEntry>)))]
pub async fn subjects(State(state): State<AppState>, _user: TenantUser) -> Json<Items<SubjectEntry>> {
    Json(Items { items: state.config.subjects.clone() })
}

/// `GET /api/support/tickets`: filters `status`, `q`, `updated_since`; keyset pages.
#[utoipa::path(get, path = "/api/support/tickets", tag = "tenant", security(("tenant_token" = [])),
    params(TenantListQuery, CompanyHeader),
    responses((status = 200, description = "The company's tickets, newest activity first", body = Page<Ticket>),
              (status = 304, description = "Unchanged since the ETag given in If-None-Match")))]
pub async fn list(
    State(state): State<AppState>,
    tenant: Tenant,
    headers: HeaderMap,
    query: QueryMap,
) -> ApiResult<Response> {
    let mut errors = Vec::new();
    let (filter, page) = common_filters(&query, &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let scope = tenant.scope();
    let page = state.db.read(move |conn| tickets::list(conn, &scope, &filter, &page)).await?;
    with_etag(&headers, &page)
}

/// A new ticket. `subject` must be in the catalogue (`GET /api/support/subjects`).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTicket {
    #[schema(required = true, value_type = String, min_length = 1, max_length = 100, example = "website")]
    subject: Option<String>,
    #[schema(value_type = Option<String>, max_length = 100, example = "contact")]
    sub_subject: Option<String>,
    #[schema(required = true, value_type = String, min_length = 1, max_length = 20000, example = "Contact form not sending.")]
    description: Option<String>,
}

fn parse_new_ticket(state: &AppState, body: CreateTicket) -> Result<NewTicket, Vec<FieldError>> {
    let mut errors = Vec::new();
    let required = |field: &str| FieldError::new(field, "required", "is required");
    let subject = match body.subject.as_deref().map(Subject::parse) {
        Some(Ok(s)) => Some(s),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        None => {
            errors.push(required("subject"));
            None
        }
    };
    let sub_subject = match body.sub_subject.as_deref() {
        None => None,
        Some(raw) if crate::domain::normalise(raw).is_empty() => None,
        Some(raw) => match Subject::parse(raw) {
            Ok(s) => Some(s),
            Err(e) => {
                errors.push(e.for_field("sub_subject"));
                None
            }
        },
    };
    let description = match body.description.as_deref().map(|d| Body::parse("description", d)) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            errors.push(e);
            None
        }
        None => {
            errors.push(required("description"));
            None
        }
    };
    if let Some(subject) = &subject
        && let Err(e) = state.check_subject(subject, sub_subject.as_ref())
    {
        errors.push(e);
    }
    match (subject, description) {
        (Some(subject), Some(description)) if errors.is_empty() => Ok(NewTicket { subject, sub_subject, description }),
        _ => Err(errors),
    }
}

/// `POST /api/support/tickets`: the ticket, its first message and the audit
/// row in one transaction; 201 with the ticket and its thread.
#[utoipa::path(post, path = "/api/support/tickets", tag = "tenant", security(("tenant_token" = [])),
    params(CompanyHeader), request_body = CreateTicket,
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
        company_id: tenant.company.id,
        company_name: tenant.company.name,
        user_id: tenant.user.id,
        user_name: tenant.user.name,
    };
    let detail = state.db.write(move |conn| tickets::create(conn, &opener, &input, &meta.audit)).await?;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// `GET /api/support/tickets/{id}`: the ticket and its thread, with an ETag.
#[utoipa::path(get, path = "/api/support/tickets/{id}", tag = "tenant", security(("tenant_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket"), CompanyHeader),
    responses((status = 200, description = "The ticket and its thread", body = TicketDetail),
              (status = 304, description = "Unchanged since the ETag given in If-None-Match")))]
pub async fn show(
    State(state): State<AppState>,
    tenant: Tenant,
    headers: HeaderMap,
    IdPath(id): IdPath,
) -> ApiResult<Response> {
    ticket_detail(&state, tenant.scope(), id, &headers).await
}

/// A message for a ticket's thread.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    #[schema(required = true, value_type = String, min_length = 1, max_length = 20000)]
    body: Option<String>,
}

/// Parses a message body (`body`), required.
pub(super) fn parse_message(body: NewMessage) -> Result<Body, FieldError> {
    match body.body {
        Some(raw) => Body::parse("body", &raw),
        None => Err(FieldError::new("body", "required", "is required")),
    }
}

/// `POST /api/support/tickets/{id}/messages`: 409 `ticket_closed` on a closed ticket.
#[utoipa::path(post, path = "/api/support/tickets/{id}/messages", tag = "tenant", security(("tenant_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The ticket"), CompanyHeader), request_body = NewMessage,
    responses((status = 201, description = "The new message", body = Message),
              (status = 409, description = "The ticket is closed (`ticket_closed`)", body = Problem, content_type = "application/problem+json")))]
pub async fn reply(
    State(state): State<AppState>,
    tenant: Tenant,
    meta: RequestMeta,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<NewMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let body = parse_message(body)?;
    tenant.spend_write(&state)?;
    let scope = tenant.scope();
    let sender = Sender::Tenant(tenant.user.id);
    let name = tenant.user.name;
    let message =
        state.db.write(move |conn| tickets::add_message(conn, &scope, (sender, &name), id, &body, &meta.audit)).await?;
    Ok((StatusCode::CREATED, Json(message)))
}
