//! Sign-in for both kinds of account, "who am I", invitations, a person's
//! own password, and signing out.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};

use super::model::{self, Admin, Membership, User};
use crate::{
    app::AppState,
    auth::invitation,
    domain::{AccountKind, Actor, AdminId, FieldError, Password, Timestamp, UserId},
    http::{
        error::{ApiError, ApiResult, Problem},
        extract::{JsonBody, PlatformAdmin, RequestMeta, Session as TokenSession, TenantUser},
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
    if email.is_empty()
        || email.chars().count() > 254
        || body.password.is_empty()
        || body.password.chars().count() > Password::MAX_CHARS
    {
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
    Ok(Json(user_answer(&state, UserId(id)).await?))
}

/// What signing a manager in answers, with a token at the current version.
async fn user_answer(state: &AppState, id: UserId) -> ApiResult<UserLogin> {
    let (user, companies) = state.store.user_with_companies(id).await?;
    let session = issue(state, AccountKind::User, id.get(), user.token_version)?;
    Ok(UserLogin {
        token: session.token,
        expires_at: session.expires_at,
        user: user.into(),
        companies: model::memberships(companies),
        ui: UiSettings::of(state),
    })
}

/// What signing a member of the team in answers.
async fn admin_answer(state: &AppState, id: AdminId) -> ApiResult<AdminLogin> {
    let admin = state.store.staff_member(id).await?;
    let session = issue(state, AccountKind::Admin, id.get(), admin.account.token_version)?;
    Ok(AdminLogin {
        token: session.token,
        expires_at: session.expires_at,
        admin: admin.into(),
        ui: UiSettings::of(state),
    })
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
    Ok(Json(admin_answer(&state, AdminId(id)).await?))
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

/// The longest token a link can carry; anything longer is simply unknown.
const MAX_INVITATION_TOKEN: usize = 128;

/// The hash of a link's token, or 404 for one no link could carry.
fn invitation_hash(token: &str) -> ApiResult<String> {
    if token.is_empty() || token.len() > MAX_INVITATION_TOKEN {
        return Err(ApiError::not_found());
    }
    Ok(invitation::hash(token))
}

/// Whom an invitation is for.
#[derive(Serialize, utoipa::ToSchema)]
pub struct InvitationFor {
    email: String,
    name: String,
    /// `user` (a manager, who signs in at /login) or `admin` (the platform team).
    #[schema(value_type = String, example = "user")]
    kind: &'static str,
}

/// `GET /api/auth/invitations/{token}`: whom a link is for. Unknown, used
/// and expired links are the same 404.
#[utoipa::path(get, path = "/api/auth/invitations/{token}", tag = "auth",
    params(("token" = String, Path, max_length = 128, description = "The token of the link")),
    responses((status = 200, description = "Whom the link is for", body = InvitationFor),
              (status = 404, description = "No such link, or it was used or has expired", body = Problem, content_type = "application/problem+json")))]
pub async fn invitation_for(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> ApiResult<Json<InvitationFor>> {
    let who = state.store.invitee(invitation_hash(&token)?).await?;
    Ok(Json(InvitationFor { email: who.email, name: who.name, kind: who.kind.as_str() }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptBody {
    /// 12 to 1,024 characters, not the email, not a common password.
    #[schema(min_length = 12, max_length = 1024, format = Password)]
    password: String,
}

/// Signed in through a link: the same answer as the login of the kind.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Accepted {
    User(UserLogin),
    Admin(AdminLogin),
}

/// `POST /api/auth/invitations/{token}` `{password}`: sets the password,
/// uses the link up and signs the person in.
#[utoipa::path(post, path = "/api/auth/invitations/{token}", tag = "auth",
    params(("token" = String, Path, max_length = 128, description = "The token of the link")), request_body = AcceptBody,
    responses((status = 200, description = "The password is set; signed in (with `kind` saying which login answer this is)", body = Accepted),
              (status = 404, description = "No such link, or it was used or has expired", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The password is too weak; the message says why", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "Too many passwords are being hashed at once; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    meta: RequestMeta,
    Path(token): Path<String>,
    JsonBody(body): JsonBody<AcceptBody>,
) -> ApiResult<Json<Accepted>> {
    let token_hash = invitation_hash(&token)?;
    // Who it is for first: a guessed link costs no hashing.
    let who = state.store.invitee(token_hash.clone()).await?;
    let password = Password::new_secret(&body.password, &who.email)?;
    let hash = state.hasher.hash_async(password.expose().to_string()).await.map_err(|_| ApiError::busy())?;
    let (who, _) = state.store.accept_invitation(token_hash, hash, meta.audit).await?;
    Ok(Json(match who.kind {
        AccountKind::User => Accepted::User(user_answer(&state, UserId(who.id)).await?),
        AccountKind::Admin => Accepted::Admin(admin_answer(&state, AdminId(who.id)).await?),
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(max_length = 1024, format = Password)]
    current_password: String,
    /// 12 to 1,024 characters, not the email, not a common password.
    #[schema(min_length = 12, max_length = 1024, format = Password)]
    new_password: String,
}

/// The session's new token: the old one and every other session stop working.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewSession {
    token: String,
    expires_at: Timestamp,
}

/// Checks the current password like a sign-in (a wrong one counts against
/// the sign-in limits and is 403), then sets the new one; every token of
/// the account stops working and this session gets a new one.
async fn change_password(
    state: &AppState,
    kind: AccountKind,
    id: i64,
    email: &str,
    meta: RequestMeta,
    body: PasswordChange,
) -> ApiResult<NewSession> {
    let new = Password::new_secret(&body.new_password, email).map_err(|e| e.for_field("new_password"))?;
    if body.new_password == body.current_password {
        return Err(FieldError::new("new_password", "unchanged", "must differ from the current password").into());
    }
    state.limiter.check(meta.client_ip, email).map_err(ApiError::rate_limited)?;
    let found = state.store.credentials_of(kind, id).await?;
    let stored = found.map(|c| c.password_hash);
    let ok = state.hasher.verify_async(body.current_password, stored).await.map_err(|_| ApiError::busy())?;
    if !ok {
        state.limiter.failed(meta.client_ip, email);
        return Err(ApiError::forbidden("wrong_password", "the current password is wrong"));
    }
    state.limiter.succeeded(meta.client_ip, email);
    let hash = state.hasher.hash_async(new.expose().to_string()).await.map_err(|_| ApiError::busy())?;
    let version = state.store.change_password(kind, id, hash, meta.audit).await?;
    let session = issue(state, kind, id, version)?;
    Ok(NewSession { token: session.token, expires_at: session.expires_at })
}

/// `POST /api/me/password`: a manager's own new password.
#[utoipa::path(post, path = "/api/me/password", tag = "auth", security(("tenant_token" = [])), request_body = PasswordChange,
    responses((status = 200, description = "Changed; use the new token (every other session is signed out)", body = NewSession),
              (status = 403, description = "The current password is wrong", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The new password is too weak; the message says why", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Too many wrong passwords; see Retry-After", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "Too many passwords are being checked at once; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn user_password(
    State(state): State<AppState>,
    me: TenantUser,
    meta: RequestMeta,
    JsonBody(body): JsonBody<PasswordChange>,
) -> ApiResult<Json<NewSession>> {
    let email = me.user.email.clone();
    Ok(Json(change_password(&state, AccountKind::User, me.user.id.get(), &email, meta, body).await?))
}

/// `POST /platform-admin/me/password`: a team member's own new password.
#[utoipa::path(post, path = "/platform-admin/me/password", tag = "auth", security(("admin_token" = [])), request_body = PasswordChange,
    responses((status = 200, description = "Changed; use the new token (every other session is signed out)", body = NewSession),
              (status = 403, description = "The current password is wrong", body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "The new password is too weak; the message says why", body = Problem, content_type = "application/problem+json"),
              (status = 429, description = "Too many wrong passwords; see Retry-After", body = Problem, content_type = "application/problem+json"),
              (status = 503, description = "Too many passwords are being checked at once; see Retry-After", body = Problem, content_type = "application/problem+json")))]
pub async fn admin_password(
    State(state): State<AppState>,
    me: PlatformAdmin,
    meta: RequestMeta,
    JsonBody(body): JsonBody<PasswordChange>,
) -> ApiResult<Json<NewSession>> {
    let email = me.admin.account.email.clone();
    Ok(Json(change_password(&state, AccountKind::Admin, me.id().get(), &email, meta, body).await?))
}

/// Signs this token out; a token from before tokens had ids can only be
/// signed out with every other session of the account.
async fn sign_out(
    state: &AppState,
    kind: AccountKind,
    id: i64,
    session: TokenSession,
    meta: RequestMeta,
) -> ApiResult<StatusCode> {
    if session.jti.is_empty() {
        state.store.sign_out_everywhere(kind, id, meta.audit).await?;
    } else {
        state.store.sign_out(kind, id, session.jti, session.expires, meta.audit).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/auth/logout`: this token stops working; other sessions go on.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("tenant_token" = [])),
    responses((status = 204, description = "Signed out")))]
pub async fn user_logout(State(state): State<AppState>, me: TenantUser, meta: RequestMeta) -> ApiResult<StatusCode> {
    sign_out(&state, AccountKind::User, me.user.id.get(), me.session, meta).await
}

/// `POST /platform-admin/auth/logout`.
#[utoipa::path(post, path = "/platform-admin/auth/logout", tag = "auth", security(("admin_token" = [])),
    responses((status = 204, description = "Signed out")))]
pub async fn admin_logout(
    State(state): State<AppState>,
    me: PlatformAdmin,
    meta: RequestMeta,
) -> ApiResult<StatusCode> {
    let id = me.id().get();
    sign_out(&state, AccountKind::Admin, id, me.session, meta).await
}

/// `POST /api/me/sessions/revoke-all`: every token of the account stops
/// working, this one included.
#[utoipa::path(post, path = "/api/me/sessions/revoke-all", tag = "auth", security(("tenant_token" = [])),
    responses((status = 204, description = "Signed out everywhere")))]
pub async fn user_revoke_all(
    State(state): State<AppState>,
    me: TenantUser,
    meta: RequestMeta,
) -> ApiResult<StatusCode> {
    state.store.sign_out_everywhere(AccountKind::User, me.user.id.get(), meta.audit).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /platform-admin/me/sessions/revoke-all`.
#[utoipa::path(post, path = "/platform-admin/me/sessions/revoke-all", tag = "auth", security(("admin_token" = [])),
    responses((status = 204, description = "Signed out everywhere")))]
pub async fn admin_revoke_all(
    State(state): State<AppState>,
    me: PlatformAdmin,
    meta: RequestMeta,
) -> ApiResult<StatusCode> {
    state.store.sign_out_everywhere(AccountKind::Admin, me.id().get(), meta.audit).await?;
    Ok(StatusCode::NO_CONTENT)
}
