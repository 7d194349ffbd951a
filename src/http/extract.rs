//! Request extractors. Authorization is a parameter type: a handler that takes
//! [`PlatformAdmin`] cannot run for a tenant, [`FullAdmin`] builds on it, and
//! [`Tenant`] builds on [`TenantUser`]. Each re-reads the account, so a
//! disabled account or a changed password revokes its tokens at once.

use std::{collections::HashMap, net::IpAddr};

use axum::{
    extract::{FromRef, FromRequest, FromRequestParts, Path, Query, Request},
    http::{HeaderMap, request::Parts},
};
use serde::de::DeserializeOwned;

use super::{client::ClientIp, error::ApiError, limit::Writer};
use crate::{
    access::Scope,
    app::AppState,
    auth::TokenKind,
    db::{
        accounts::{self, Admin, Membership, User},
        audit::AuditMeta,
    },
    domain::FieldError,
};

/// A JSON body; axum's own rejections become problem+json.
pub struct JsonBody<T>(pub T);

impl<T, S> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let axum::Json(value) = axum::Json::<T>::from_request(req, state).await?;
        Ok(JsonBody(value))
    }
}

/// The `{id}` of a path: a positive integer.
pub struct IdPath(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(raw) = Path::<String>::from_request_parts(parts, state).await?;
        match raw.parse::<i64>() {
            Ok(id) if id > 0 => Ok(IdPath(id)),
            _ => Err(ApiError::bad_request("invalid_path", "the id in the path must be a positive whole number")),
        }
    }
}

/// The query string as key → value (the last value of a repeated key).
pub struct QueryMap(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for QueryMap {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state).await?;
        Ok(QueryMap(map))
    }
}

impl QueryMap {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|v| !v.trim().is_empty())
    }

    /// An optional positive integer parameter.
    pub fn id(&self, key: &str) -> Result<Option<i64>, FieldError> {
        match self.get(key) {
            None => Ok(None),
            Some(raw) => match raw.trim().parse::<i64>() {
                Ok(v) if v > 0 => Ok(Some(v)),
                _ => Err(FieldError::new(key, "invalid_id", "must be a positive whole number")),
            },
        }
    }
}

/// Where the request came from, for the audit log and the rate limit.
pub struct RequestMeta {
    pub audit: AuditMeta,
    pub client_ip: Option<IpAddr>,
}

impl<S: Send + Sync> FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let request_id = super::client::request_id(&parts.headers).map(str::to_owned);
        let client_ip = parts.extensions.get::<ClientIp>().and_then(|c| c.0);
        let client_addr = client_ip.map(|ip| ip.to_string());
        Ok(RequestMeta { audit: AuditMeta { request_id, client_addr }, client_ip })
    }
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .ok_or_else(|| ApiError::unauthorized("sign in first: send Authorization: Bearer <token>"))?;
    let value = value.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is not a bearer token"))?;
    let (scheme, token) = value
        .split_once(' ')
        .ok_or_else(|| ApiError::unauthorized("the Authorization header is not a bearer token"))?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::unauthorized("the Authorization header is not a bearer token"));
    }
    Ok(token.trim())
}

const INVALID_TOKEN: &str = "the token is invalid or expired; sign in again";

/// Verifies the bearer token and returns the account id it names.
fn verified_account(parts: &Parts, state: &AppState, kind: TokenKind) -> Result<(i64, i64), ApiError> {
    let token = bearer(&parts.headers)?;
    let claims = state.keys.verify(token).ok_or_else(|| ApiError::unauthorized(INVALID_TOKEN))?;
    if claims.kind != kind {
        return Err(ApiError::unauthorized(INVALID_TOKEN));
    }
    let id = claims.account_id().ok_or_else(|| ApiError::unauthorized(INVALID_TOKEN))?;
    Ok((id, claims.ver))
}

/// A signed-in tenant user (any company), re-read from the database.
pub struct TenantUser {
    pub user: User,
    pub memberships: Vec<Membership>,
}

impl<S> FromRequestParts<S> for TenantUser
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let (id, version) = verified_account(parts, &state, TokenKind::User)?;
        let found = state.db.read(move |conn| accounts::user_with_memberships(conn, id)).await?;
        match found {
            Some((user, memberships)) if user.active && user.token_version == version => {
                Ok(TenantUser { user, memberships })
            }
            _ => Err(ApiError::unauthorized(INVALID_TOKEN)),
        }
    }
}

/// A tenant user acting for one company: the one named by `X-Company-Id`,
/// or their only company when they have one and the header is left out.
pub struct Tenant {
    pub user: User,
    pub company: Membership,
}

impl Tenant {
    pub fn scope(&self) -> Scope {
        Scope::Company(self.company.id)
    }

    /// Counts one write against the manager's write limit (429 past it).
    pub fn spend_write(&self, state: &AppState) -> Result<(), ApiError> {
        state.writes.spend(Writer::User(self.user.id)).map_err(ApiError::write_limited)
    }
}

impl<S> FromRequestParts<S> for Tenant
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let TenantUser { user, mut memberships } = TenantUser::from_request_parts(parts, state).await?;
        let not_a_member = || ApiError::forbidden("not_a_member", "you are not a member of this company");
        let company = match parts.headers.get("x-company-id") {
            Some(raw) => {
                let id = raw.to_str().ok().and_then(|v| v.trim().parse::<i64>().ok()).ok_or_else(|| {
                    ApiError::bad_request("invalid_company_id", "X-Company-Id must be a whole number")
                })?;
                let index = memberships.iter().position(|m| m.id == id).ok_or_else(not_a_member)?;
                memberships.swap_remove(index)
            }
            None => match memberships.len() {
                1 => memberships.remove(0),
                0 => return Err(not_a_member()),
                _ => {
                    return Err(ApiError::bad_request(
                        "company_required",
                        "you belong to several companies: name one with the X-Company-Id header",
                    ));
                }
            },
        };
        Ok(Tenant { user, company })
    }
}

/// A signed-in platform admin of any role, re-read from the database.
pub struct PlatformAdmin {
    pub admin: Admin,
}

impl PlatformAdmin {
    /// The tickets this admin may see (see [`crate::access`]).
    pub fn scope(&self) -> Scope {
        if self.admin.role.has_full_access() { Scope::All } else { Scope::Support(self.admin.id) }
    }

    /// Counts one write against the admin's write limit (429 past it).
    pub fn spend_write(&self, state: &AppState) -> Result<(), ApiError> {
        state.writes.spend(Writer::Admin(self.admin.id)).map_err(ApiError::write_limited)
    }
}

impl<S> FromRequestParts<S> for PlatformAdmin
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let state = AppState::from_ref(state);
        let (id, version) = verified_account(parts, &state, TokenKind::Admin)?;
        let admin = state.db.read(move |conn| accounts::admin_by_id(conn, id)).await?;
        match admin {
            Some(admin) if admin.active && admin.token_version == version => Ok(PlatformAdmin { admin }),
            _ => Err(ApiError::unauthorized(INVALID_TOKEN)),
        }
    }
}

/// A platform owner or admin: full access to every ticket and to the team.
pub struct FullAdmin(pub PlatformAdmin);

impl<S> FromRequestParts<S> for FullAdmin
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let admin = PlatformAdmin::from_request_parts(parts, state).await?;
        if !admin.admin.role.has_full_access() {
            return Err(ApiError::forbidden("forbidden_role", "only platform owners and admins may do this"));
        }
        Ok(FullAdmin(admin))
    }
}
