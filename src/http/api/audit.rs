//! The audit viewer, for owners and admins.

use axum::{Json, extract::State};

use crate::{
    app::AppState,
    db::audit::{self, AuditFilter, AuditRow},
    domain::{FieldError, Page, PageRequest, Timestamp},
    http::{
        error::{ApiError, ApiResult},
        extract::{FullAdmin, QueryMap},
    },
};

/// `GET /platform-admin/audit-log`: filters `action`, `ticket_id`,
/// `company_id`, `actor` (`admin:3`, `user:9`, `cli`), `since`, `until`;
/// newest first, keyset pages.
#[utoipa::path(get, path = "/platform-admin/audit-log", tag = "platform", security(("admin_token" = [])),
    params(super::openapi::AuditQuery),
    responses((status = 200, description = "Audit rows, newest first", body = Page<AuditRow>)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: FullAdmin,
    query: QueryMap,
) -> ApiResult<Json<Page<AuditRow>>> {
    let mut errors = Vec::new();
    let mut filter =
        AuditFilter { action: query.get("action").map(|a| a.trim().to_string()), ..AuditFilter::default() };
    match query.id("ticket_id") {
        Ok(id) => filter.ticket_id = id,
        Err(e) => errors.push(e),
    }
    match query.id("company_id") {
        Ok(id) => filter.company_id = id,
        Err(e) => errors.push(e),
    }
    if let Some(raw) = query.get("actor") {
        match parse_actor(raw.trim()) {
            Some(actor) => filter.actor = Some(actor),
            None => errors.push(FieldError::new("actor", "invalid_actor", "must be admin:ID, user:ID or cli")),
        }
    }
    for (key, slot) in [("since", &mut filter.since), ("until", &mut filter.until)] {
        if let Some(raw) = query.get(key) {
            match Timestamp::parse_rfc3339(raw) {
                Some(t) => *slot = Some(t),
                None => errors.push(FieldError::new(key, "invalid_time", "must be an RFC 3339 date-time")),
            }
        }
    }
    let page = PageRequest::parse(query.get("limit"), query.get("cursor")).unwrap_or_else(|e| {
        errors.extend(e);
        PageRequest::default()
    });
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    let page = state.db.read(move |conn| audit::list(conn, &filter, &page)).await?;
    Ok(Json(page))
}

fn parse_actor(raw: &str) -> Option<(String, Option<i64>)> {
    if raw == "cli" {
        return Some(("cli".into(), None));
    }
    let (kind, id) = raw.split_once(':')?;
    let id: i64 = id.parse().ok().filter(|i| *i > 0)?;
    matches!(kind, "admin" | "user").then(|| (kind.to_string(), Some(id)))
}
