//! Sign-in for both kinds of account, and "who am I".

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};

use crate::{
    app::AppState,
    auth::TokenKind,
    db::{
        accounts::{self, AccountKind, Admin, Membership, User},
        audit::{self, Actor},
    },
    domain::Timestamp,
    http::{
        error::{ApiError, ApiResult},
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

/// Checks the rate limit and the password; answers the account id. Unknown
/// email, disabled account and wrong password are the same 401, and take the
/// same time (a dummy hash is verified when there is no account). Only
/// failures count against the limits (see [`crate::http::limit`]).
async fn check_password(state: &AppState, kind: AccountKind, meta: &RequestMeta, body: LoginBody) -> ApiResult<i64> {
    let email = body.email.trim().to_string();
    if email.is_empty() || email.len() > 254 || body.password.is_empty() || body.password.len() > 1024 {
        return Err(ApiError::unauthorized(WRONG));
    }
    state.limiter.check(meta.client_ip, &email).map_err(ApiError::rate_limited)?;
    let lookup = email.clone();
    let found = state.db.read(move |conn| accounts::credentials(conn, kind, &lookup)).await?;
    let hash = found.as_ref().map(|c| c.password_hash.clone());
    let ok = state.hasher.verify_async(body.password, hash).await.map_err(|_| ApiError::busy())?;
    match found {
        Some(c) if ok && c.active => {
            state.limiter.succeeded(meta.client_ip, &email);
            Ok(c.id)
        }
        _ => {
            state.limiter.failed(meta.client_ip, &email);
            Err(ApiError::unauthorized(WRONG))
        }
    }
}

async fn record_login(state: &AppState, actor: Actor, meta: RequestMeta) -> ApiResult<()> {
    state.db.write(move |conn| audit::append(conn, &audit::Entry::new("auth.login", actor), &meta.audit)).await?;
    Ok(())
}

/// Sign in as a manager.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, description = "Signed in", body = UserLogin)))]
pub async fn user_login(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonBody(body): JsonBody<LoginBody>,
) -> ApiResult<Json<UserLogin>> {
    let id = check_password(&state, AccountKind::User, &meta, body).await?;
    let (user, companies) = state
        .db
        .read(move |conn| {
            let user = accounts::user_by_id(conn, id)?.ok_or(crate::db::DbError::NotFound)?;
            Ok((user, accounts::memberships(conn, id)?))
        })
        .await?;
    record_login(&state, Actor::User(id), meta).await?;
    let (token, exp) = state.keys.issue(TokenKind::User, id, user.token_version).map_err(ApiError::internal)?;
    Ok(Json(UserLogin {
        token,
        expires_at: Timestamp(exp as i64 * 1_000_000),
        user,
        companies,
        ui: UiSettings::of(&state),
    }))
}

/// Sign in as a member of the platform team.
#[utoipa::path(post, path = "/platform-admin/auth/login", tag = "auth", request_body = LoginBody,
    responses((status = 200, description = "Signed in", body = AdminLogin)))]
pub async fn admin_login(
    State(state): State<AppState>,
    meta: RequestMeta,
    JsonBody(body): JsonBody<LoginBody>,
) -> ApiResult<Json<AdminLogin>> {
    let id = check_password(&state, AccountKind::Admin, &meta, body).await?;
    let admin = state.db.read(move |conn| accounts::admin_by_id(conn, id)?.ok_or(crate::db::DbError::NotFound)).await?;
    record_login(&state, Actor::Admin(id), meta).await?;
    let (token, exp) = state.keys.issue(TokenKind::Admin, id, admin.token_version).map_err(ApiError::internal)?;
    Ok(Json(AdminLogin { token, expires_at: Timestamp(exp as i64 * 1_000_000), admin, ui: UiSettings::of(&state) }))
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
    Json(UserMe { user: me.user, companies: me.memberships, ui: UiSettings::of(&state) })
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
    Json(AdminMe { admin: me.admin, ui: UiSettings::of(&state) })
}
