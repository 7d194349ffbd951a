//! THE route table: one line per route, the map of the API. Every route here
//! is also a row of the access-matrix test, which reads this file.

mod admin_tickets;
mod audit;
mod auth;
pub mod openapi;
mod team;
mod tenant_tickets;

use axum::{
    Router,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, patch, post},
};
use serde::Serialize;

use super::{error::ApiError, extract::QueryMap};
use crate::{
    app::AppState,
    db::tickets::TicketFilter,
    domain::{FieldError, PageRequest, Status, Timestamp, fts_query},
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(super::healthz))
        .route("/metrics", get(super::metrics::serve))
        .route("/api/openapi.json", get(openapi::serve))
        .route("/api/auth/login", post(auth::user_login))
        .route("/api/me", get(auth::user_me))
        .route("/api/support/subjects", get(tenant_tickets::subjects))
        .route("/api/support/tickets", get(tenant_tickets::list).post(tenant_tickets::create))
        .route("/api/support/tickets/{id}", get(tenant_tickets::show))
        .route("/api/support/tickets/{id}/messages", post(tenant_tickets::reply))
        .route("/platform-admin/auth/login", post(auth::admin_login))
        .route("/platform-admin/me", get(auth::admin_me))
        .route("/platform-admin/subjects", get(team::subjects))
        .route("/platform-admin/tickets", get(admin_tickets::list))
        .route("/platform-admin/tickets/{id}", get(admin_tickets::show))
        .route("/platform-admin/tickets/{id}/messages", post(admin_tickets::reply))
        .route("/platform-admin/tickets/{id}/status", patch(admin_tickets::set_status))
        .route("/platform-admin/tickets/{id}/assign", patch(admin_tickets::assign))
        .route("/platform-admin/team", get(team::list))
        .route("/platform-admin/team/coverage/{id}", get(team::coverage).put(team::replace_coverage))
        .route("/platform-admin/companies", get(team::companies))
        .route("/platform-admin/audit-log", get(audit::list))
}

/// A list that is not paginated.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// The JSON 404 for unknown paths under `/api` and `/platform-admin`.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is no such API path")
}

/// The filters both ticket lists share: `status`, `q`, `updated_since`,
/// `limit`, `cursor`. Every bad one is reported, not just the first.
fn common_filters(query: &QueryMap, errors: &mut Vec<FieldError>) -> (TicketFilter, PageRequest) {
    let mut filter = TicketFilter::default();
    if let Some(raw) = query.get("status") {
        match Status::parse(raw.trim()) {
            Ok(s) => filter.status = Some(s),
            Err(e) => errors.push(e),
        }
    }
    if let Some(raw) = query.get("q") {
        if raw.chars().count() > 200 {
            errors.push(FieldError::new("q", "too_long", "must be at most 200 characters"));
        } else {
            match fts_query(raw) {
                Some(search) => filter.search = Some(search),
                // `q=*` or `q=🙂` must not quietly mean "everything".
                None => errors.push(FieldError::new("q", "no_words", "must contain at least one letter or digit")),
            }
        }
    }
    if let Some(raw) = query.get("updated_since") {
        match Timestamp::parse_rfc3339(raw) {
            Some(t) => filter.updated_since = Some(t),
            None => errors.push(FieldError::new("updated_since", "invalid_time", "must be an RFC 3339 date-time")),
        }
    }
    let page = PageRequest::parse(query.get("limit"), query.get("cursor")).unwrap_or_else(|e| {
        errors.extend(e);
        PageRequest::default()
    });
    (filter, page)
}

/// Answers JSON with a strong ETag of its bytes; `If-None-Match` with the
/// same tag gets 304 and no body.
fn with_etag(request_headers: &HeaderMap, value: &impl Serialize) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hasher::write(&mut hasher, &body);
    let tag = format!("\"{:016x}\"", std::hash::Hasher::finish(&hasher));
    Ok(etag_response(request_headers, tag, || body))
}

/// A ticket and its thread, with an ETag made from the ticket's version: a
/// poll that changed nothing is answered 304 without loading the thread.
async fn ticket_detail(
    state: &AppState,
    scope: crate::access::Scope,
    id: i64,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let held = if_none_match(headers).map(str::to_owned);
    let (tag, detail) = state
        .db
        .read(move |conn| {
            let (updated, newest) = crate::db::tickets::version(conn, &scope, id)?;
            let tag = format!("\"t{id}.{updated}.{newest}\"");
            if held.as_deref().is_some_and(|h| holds(h, &tag)) {
                return Ok((tag, None));
            }
            Ok((tag, Some(crate::db::tickets::detail(conn, &scope, id)?)))
        })
        .await?;
    match detail {
        None => Ok(etag_response(headers, tag, Vec::new)),
        Some(detail) => {
            let body = serde_json::to_vec(&detail).map_err(ApiError::internal)?;
            Ok(etag_response(headers, tag, || body))
        }
    }
}

fn if_none_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok())
}

/// Whether an `If-None-Match` value names `tag` (weak or strong) or is `*`.
fn holds(if_none_match: &str, tag: &str) -> bool {
    if_none_match.split(',').map(str::trim).any(|t| t == "*" || t.trim_start_matches("W/") == tag)
}

/// Answers 304 when the client holds `tag`, else the body `make` builds.
fn etag_response(request_headers: &HeaderMap, tag: String, make: impl FnOnce() -> Vec<u8>) -> Response {
    let matches = if_none_match(request_headers).is_some_and(|h| holds(h, &tag));
    let tag_value = HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"0\""));
    if matches {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, tag_value)]).into_response();
    }
    (
        StatusCode::OK,
        [(header::ETAG, tag_value), (header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        make(),
    )
        .into_response()
}
