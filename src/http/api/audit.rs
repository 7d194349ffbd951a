//! The audit viewer, for owners and admins.

use axum::{Json, extract::State};

use super::{
    filters::{AuditQuery, ListQuery},
    model::AuditRow,
};
use crate::{
    app::AppState,
    domain::Page,
    http::{error::ApiResult, extract::FullAdmin},
};

/// `GET /platform-admin/audit-log`: filters `action`, `ticket_id`,
/// `company_id`, `actor` (`admin:3`, `user:9`, `cli`), `since`, `until`;
/// newest first, keyset pages.
#[utoipa::path(get, path = "/platform-admin/audit-log", tag = "platform", security(("admin_token" = ["owner_or_admin"])),
    params(AuditQuery),
    responses((status = 200, description = "Audit rows, newest first", body = Page<AuditRow>)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: FullAdmin,
    ListQuery(query): ListQuery<AuditQuery>,
) -> ApiResult<Json<Page<AuditRow>>> {
    let (filter, page) = query.parse()?;
    Ok(Json(state.store.audit_log(filter, page).await?.map(AuditRow::from)))
}
