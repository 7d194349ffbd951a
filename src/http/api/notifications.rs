//! A person's email choices, and the one-click unsubscribe link of every
//! email (RFC 8058: `List-Unsubscribe-Post` POSTs to the same URL).

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::{Query, State},
};
use serde::{Deserialize, Serialize};

use crate::{
    app::AppState,
    domain::{AccountKind, AdminId, AdminRole, UserId},
    http::{
        error::{ApiError, ApiResult, Problem},
        extract::{JsonBody, PlatformAdmin, TenantUser},
    },
    mail::unsubscribe::Unsubscribe,
};

/// A person's email notifications.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Notifications {
    /// Whether this server sends email at all (`mail.enabled`).
    email_enabled: bool,
    /// Each kind of email open to the person, on or off. Managers:
    /// `agent_reply` (replies and status changes on their tickets),
    /// `all_company_tickets` (the same for every ticket of their companies).
    /// The team: `new_ticket`, `tenant_message`, `assignment`,
    /// `internal_note`, and for owners and admins `all_new_tickets`.
    choices: BTreeMap<String, bool>,
}

/// Some choices to change; the others stay.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationsChange {
    choices: BTreeMap<String, bool>,
}

const MAX_CHANGES: usize = 20;

async fn choices(state: &AppState, kind: AccountKind, id: i64, role: Option<AdminRole>) -> ApiResult<Notifications> {
    let choices = state.store.notification_choices(kind, id, role).await?;
    Ok(Notifications { email_enabled: state.config.mail.enabled, choices })
}

async fn change(
    state: &AppState,
    kind: AccountKind,
    id: i64,
    role: Option<AdminRole>,
    body: NotificationsChange,
) -> ApiResult<Notifications> {
    if body.choices.len() > MAX_CHANGES {
        return Err(crate::domain::FieldError::new("choices", "too_many", "at most 20 choices at once").into());
    }
    let choices = state.store.set_notification_choices(kind, id, role, body.choices).await?;
    Ok(Notifications { email_enabled: state.config.mail.enabled, choices })
}

/// `GET /api/me/notifications`: the manager's email choices.
#[utoipa::path(get, path = "/api/me/notifications", tag = "auth", security(("tenant_token" = [])),
    responses((status = 200, description = "The choices", body = Notifications)))]
pub async fn user_get(State(state): State<AppState>, me: TenantUser) -> ApiResult<Json<Notifications>> {
    Ok(Json(choices(&state, AccountKind::User, me.user.id.get(), None).await?))
}

/// `PUT /api/me/notifications` `{choices: {agent_reply: false}}`: an unknown
/// kind is 422 and nothing changes.
#[utoipa::path(put, path = "/api/me/notifications", tag = "auth", security(("tenant_token" = [])),
    request_body = NotificationsChange,
    responses((status = 200, description = "The choices after the change", body = Notifications),
              (status = 422, description = "A kind of email that is not open to you", body = Problem, content_type = "application/problem+json")))]
pub async fn user_put(
    State(state): State<AppState>,
    me: TenantUser,
    JsonBody(body): JsonBody<NotificationsChange>,
) -> ApiResult<Json<Notifications>> {
    Ok(Json(change(&state, AccountKind::User, me.user.id.get(), None, body).await?))
}

/// `GET /platform-admin/me/notifications`.
#[utoipa::path(get, path = "/platform-admin/me/notifications", tag = "auth", security(("admin_token" = [])),
    responses((status = 200, description = "The choices", body = Notifications)))]
pub async fn admin_get(State(state): State<AppState>, me: PlatformAdmin) -> ApiResult<Json<Notifications>> {
    Ok(Json(choices(&state, AccountKind::Admin, me.id().get(), Some(me.admin.role)).await?))
}

/// `PUT /platform-admin/me/notifications`.
#[utoipa::path(put, path = "/platform-admin/me/notifications", tag = "auth", security(("admin_token" = [])),
    request_body = NotificationsChange,
    responses((status = 200, description = "The choices after the change", body = Notifications),
              (status = 422, description = "A kind of email that is not open to you", body = Problem, content_type = "application/problem+json")))]
pub async fn admin_put(
    State(state): State<AppState>,
    me: PlatformAdmin,
    JsonBody(body): JsonBody<NotificationsChange>,
) -> ApiResult<Json<Notifications>> {
    let role = Some(me.admin.role);
    Ok(Json(change(&state, AccountKind::Admin, me.id().get(), role, body).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct UnsubscribeQuery {
    /// The token of the email's link.
    #[param(max_length = 200)]
    token: Option<String>,
}

/// What an unsubscribe link is for.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UnsubscribeLink {
    email: String,
    /// The kind of email the link stops.
    what: String,
    /// Whether that kind is now on.
    on: bool,
}

/// The person and the kind of email of a genuine link; 404 otherwise.
async fn link(state: &AppState, query: &UnsubscribeQuery) -> ApiResult<(Unsubscribe, String, Option<AdminRole>)> {
    let token = query.token.as_deref().unwrap_or_default();
    let link = state.unsubscribe.verify(token).ok_or_else(ApiError::not_found)?;
    let (email, role) = match link.kind {
        AccountKind::User => (state.store.user_with_companies(UserId(link.id)).await?.0.email, None),
        AccountKind::Admin => {
            let admin = state.store.staff_member(AdminId(link.id)).await?;
            (admin.account.email, Some(admin.role))
        }
    };
    Ok((link, email, role))
}

/// `GET /api/notifications/unsubscribe?token=`: whom and what a link is for
/// (for the page that asks to confirm). A forged or edited link is 404.
#[utoipa::path(get, path = "/api/notifications/unsubscribe", tag = "auth", params(UnsubscribeQuery),
    responses((status = 200, description = "What the link stops", body = UnsubscribeLink),
              (status = 404, description = "Not a link this server made", body = Problem, content_type = "application/problem+json")))]
pub async fn unsubscribe_info(
    State(state): State<AppState>,
    Query(query): Query<UnsubscribeQuery>,
) -> ApiResult<Json<UnsubscribeLink>> {
    let (link, email, role) = link(&state, &query).await?;
    let choices = state.store.notification_choices(link.kind, link.id, role).await?;
    let on = choices.get(&link.what).copied().unwrap_or(false);
    Ok(Json(UnsubscribeLink { email, what: link.what, on }))
}

/// `POST /api/notifications/unsubscribe?token=`: turns that kind of email
/// off, in one click (any body is accepted, as RFC 8058 mail clients send
/// `List-Unsubscribe=One-Click`). A forged or edited link is 404.
#[utoipa::path(post, path = "/api/notifications/unsubscribe", tag = "auth", params(UnsubscribeQuery),
    responses((status = 200, description = "That kind of email is off", body = UnsubscribeLink),
              (status = 404, description = "Not a link this server made", body = Problem, content_type = "application/problem+json")))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    Query(query): Query<UnsubscribeQuery>,
) -> ApiResult<Json<UnsubscribeLink>> {
    let (link, email, role) = link(&state, &query).await?;
    let change = BTreeMap::from([(link.what.clone(), false)]);
    // A kind no longer open to the person (a former admin's opt-in) is simply off.
    match state.store.set_notification_choices(link.kind, link.id, role, change).await {
        Ok(_) | Err(crate::store::StoreError::Invalid(_)) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(Json(UnsubscribeLink { email, what: link.what, on: false }))
}
