//! Sign-in for both kinds of account, and "who am I".

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};

use super::model::{self, Admin, Membership, User};
use crate::{
    app::AppState,
    domain::{AccountKind, Actor, AdminId, Timestamp, UserId},
    http::{
        error::{ApiError, ApiResult, Problem},
        extract::{JsonBody, PlatformAdmin, RequestMeta, TenantUser},
    },
};

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginBody {
    #[schema(max_length = 254, example = "manager@acme.example")]
    email: String,
    #[schema(max_length = 1024, format = Password)]
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserLogin {
    token: String,
    expires_at: Timestamp,
    user: User,
    companies: Vec<Membership>,
    ui: UiSettings,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminLogin {
    token: String,
    expires_at: Timestamp,
    admin: Admin,
    ui: UiSettings,
}

/// What the web UI needs from the configuration.
#[derive(Serialize, utoipa::ToSchema)]
pub struct UiSettings {
    poll_interval_secs: u32,
}

impl UiSettings {
    fn of(state: &AppState) -> Self {
        UiSettings { poll_interval_secs: state.config.ui.poll_interval_secs }
    }
}

const WRONG: &str = "the email or the password is wrong";

/// A signed-in account's new token and its expiry.
struct Session {
    token: String,
    expires_at: Timestamp,
}

/// Checks the rate limit and the password and records the sign-in; answers
/// the account id. Unknown email, disabled account and wrong
/// password are the same 401, and take the same time (a dummy hash is
/// verified when there is no account). Only failures count against the
/// limits (see [`crate::limits`]).
async fn sign_in(state: &AppState, kind: AccountKind, meta: RequestMeta, body: LoginBody) -> ApiResult<i64> {
    let email = body.email.trim().to_string();
    if email.is_empty() || email.len() > 254 || body.password.is_empty() || body.password.len() > 1024 {
        return Err(ApiError::unauthorized(WRONG));
    }
    state.limiter.check(meta.client_ip, &email).map_err(ApiError::rate_limited)?;
    let found = state.store.credentials(kind, email.clone()).await?;
    let hash = found.as_ref().map(|c| c.password_hash.clone());
    let ok = state.hasher.verify_async(body.password, hash).await.map_err(|_| ApiError::busy())?;
    let id = match found {
        Some(c) if ok && c.active => {
            state.limiter.succeeded(meta.client_ip, &email);
            c.id
        }
        _ => {
            state.limiter.failed(meta.client_ip, &email);
            return Err(ApiError::unauthorized(WRONG));
        }
    };
    let actor = match kind {
        AccountKind::User => Actor::User(UserId(id)),
        AccountKind::Admin => Actor::Admin(AdminId(id)),
    };
    state.store.record_login(actor, meta.audit).await?;
    Ok(id)
}

/// A new token for the account at its current token version.
fn issue(state: &AppState, kind: AccountKind, id: i64, token_version: i64) -> ApiResult<Session> {
    let (token, exp) = state.keys.issue(kind, id, token_version).map_err(ApiError::internal)?;
    Ok(Session { token, expires_at: Timestamp(exp as i64 * 1_000_000) })
}

/// Sign in as a manager.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, description = "Signed in", body = UserLogin),
              (status = 401, description = "The email or the password is wrong (or the account is disabled)", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Too many failed sign-ins; see Retry-After", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "Too many sign-ins are being checked at once; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn user_login(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonBody(body): JsonBody<LoginBody>,
) -> ApiResult<Json<UserLogin>> {
    let id = sign_in(&state, AccountKind::User, meta, body).await?;
    let (user, companies) = state.store.user_with_companies(UserId(id)).await?;
    let session = issue(&state, AccountKind::User, id, user.token_version)?;
    Ok(Json(UserLogin {
        token: session.token,
        expires_at: session.expires_at,
        user: user.into(),
        companies: model::memberships(companies),
        ui: UiSettings::of(&state),
    }))
}

/// Sign in as a member of the platform team.
#[utoipa::path(post, path = "/platform-admin/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, description = "Signed in", body = AdminLogin),
              (status = 401, description = "The email or the password is wrong (or the account is disabled)", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Too many failed sign-ins; see Retry-After", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "Too many sign-ins are being checked at once; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn admin_login(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonBody(body): JsonBody<LoginBody>,
) -> ApiResult<Json<AdminLogin>> {
    let id = sign_in(&state, AccountKind::Admin, meta, body).await?;
    let admin = state.store.staff_member(AdminId(id)).await?;
    let session = issue(&state, AccountKind::Admin, id, admin.account.token_version)?;
    Ok(Json(AdminLogin {
        token: session.token,
        expires_at: session.expires_at,
        admin: admin.into(),
        ui: UiSettings::of(&state),
    }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserMe {
    user: User,
    companies: Vec<Membership>,
    ui: UiSettings,
}

/// Who the manager's token is, and their companies.
#[utoipa::path(get, path = "/api/me", tag = "auth", security(("tenant_token" = [])),
    responses((status = 200, description = "The signed-in manager", body = UserMe)))]
pub async fn user_me(State(state): State<AppState>, me: TenantUser) -> Json<UserMe> {
    Json(UserMe { user: me.user.into(), companies: model::memberships(me.memberships), ui: UiSettings::of(&state) })
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminMe {
    admin: Admin,
    ui: UiSettings,
}

/// Who the admin's token is.
#[utoipa::path(get, path = "/platform-admin/me", tag = "auth", security(("admin_token" = [])),
    responses((status = 200, description = "The signed-in admin", body = AdminMe)))]
pub async fn admin_me(State(state): State<AppState>, me: PlatformAdmin) -> Json<AdminMe> {
    Json(AdminMe { admin: me.admin.into(), ui: UiSettings::of(&state) })
}
