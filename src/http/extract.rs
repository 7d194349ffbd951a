//! Request extractors. Authorization is a parameter type: a handler that
//! takes [`PlatformAdmin`] cannot run for a tenant, [`FullAdmin`] builds on
//! it, and [`Tenant`] builds on [`TenantUser`]. Each re-reads the account,
//! so a disabled account or a changed password revokes its tokens at once.
//! The guard each one enforces is named in [`crate::access::Guard`].

use std::net::IpAddr;

use axum::{
    extract::{FromRef, FromRequest, FromRequestParts, Path, Request},
    http::{HeaderMap, request::Parts},
};
use serde::de::DeserializeOwned;

use super::{client::ClientIp, error::ApiError};
use crate::{
    access::{Reader, Scope, Viewer},
    app::AppState,
    domain::{AccountKind, AdminId, AuditMeta, Timestamp, UserId},
    limits::Writer,
    store::{AdminRecord, Membership, StoreResult, UserRecord},
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

/// The token a request was made with, once verified: what signing it out needs.
#[derive(Debug, Clone)]
pub struct Session {
    pub jti: String,
    pub expires: Timestamp,
}

/// An account that a token can stand for, as each request re-reads it.
trait SignedIn: Sized {
    const KIND: AccountKind;

    /// The account, and whether this token (by its id) was signed out.
    async fn load(state: &AppState, id: i64, jti: &str, session: Session) -> StoreResult<Option<(Self, bool)>>;

    /// Whether the account is active, and its token version.
    fn standing(&self) -> (bool, i64);
}

/// The account the request's bearer token names, if the token is sound, of
/// this kind, not signed out, and still matches an active account.
async fn signed_in<A: SignedIn>(parts: &Parts, state: &AppState) -> Result<A, ApiError> {
    let token = bearer(&parts.headers)?;
    let claims = state.keys.verify(token).ok_or_else(|| ApiError::unauthorized(INVALID_TOKEN))?;
    let id =
        claims.account_id().filter(|_| claims.kind == A::KIND).ok_or_else(|| ApiError::unauthorized(INVALID_TOKEN))?;
    let session = Session { jti: claims.jti.clone(), expires: Timestamp(claims.exp as i64 * 1_000_000) };
    match A::load(state, id, &claims.jti, session).await? {
        Some((account, false)) if account.standing() == (true, claims.ver) => Ok(account),
        _ => Err(ApiError::unauthorized(INVALID_TOKEN)),
    }
}

/// A signed-in tenant user (any company), re-read from the database.
pub struct TenantUser {
    pub user: UserRecord,
    pub memberships: Vec<Membership>,
    pub session: Session,
}

impl SignedIn for TenantUser {
    const KIND: AccountKind = AccountKind::User;

    async fn load(state: &AppState, id: i64, jti: &str, session: Session) -> StoreResult<Option<(Self, bool)>> {
        let found = state.store.tenant_account(UserId(id), jti.to_string()).await?;
        Ok(found.map(|(user, memberships, revoked)| (TenantUser { user, memberships, session }, revoked)))
    }

    fn standing(&self) -> (bool, i64) {
        (self.user.active, self.user.token_version)
    }
}

/// A tenant user acting for one company: the one named by `X-Company-Id`,
/// or their only company when they have one and the header is left out.
pub struct Tenant {
    pub user: UserRecord,
    pub company: Membership,
}

impl Tenant {
    pub fn scope(&self) -> Scope {
        Scope::Company(self.company.company.id)
    }

    /// The manager looking at their company's tickets.
    pub fn viewer(&self) -> Viewer {
        Viewer { scope: self.scope(), reader: Reader::User(self.user.id) }
    }

    /// Counts one write against the manager's write limit (429 past it).
    pub fn spend_write(&self, state: &AppState) -> Result<(), ApiError> {
        state.writes.spend(Writer::User(self.user.id.get())).map_err(ApiError::write_limited)
    }
}

impl<S> FromRequestParts<S> for Tenant
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let TenantUser { user, mut memberships, .. } = TenantUser::from_request_parts(parts, state).await?;
        let not_a_member = || ApiError::forbidden("not_a_member", "you are not a member of this company");
        let company = match parts.headers.get("x-company-id") {
            Some(raw) => {
                let id = raw.to_str().ok().and_then(|v| v.trim().parse::<i64>().ok()).ok_or_else(|| {
                    ApiError::bad_request("invalid_company_id", "X-Company-Id must be a whole number")
                })?;
                let index = memberships.iter().position(|m| m.company.id.get() == id).ok_or_else(not_a_member)?;
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
        if !company.active {
            return Err(ApiError::forbidden(
                "company_suspended",
                "this company's account is suspended; contact the platform's support team",
            ));
        }
        Ok(Tenant { user, company })
    }
}

/// A signed-in platform admin of any role, re-read from the database.
pub struct PlatformAdmin {
    pub admin: AdminRecord,
    pub session: Session,
}

impl PlatformAdmin {
    pub fn id(&self) -> AdminId {
        self.admin.account.id
    }

    /// The tickets this admin may see (see [`crate::access`]).
    pub fn scope(&self) -> Scope {
        Scope::of_admin(self.id(), self.admin.role)
    }

    /// The admin looking at the tickets they may see.
    pub fn viewer(&self) -> Viewer {
        Viewer { scope: self.scope(), reader: Reader::Admin(self.id()) }
    }

    /// Counts one write against the admin's write limit (429 past it).
    pub fn spend_write(&self, state: &AppState) -> Result<(), ApiError> {
        state.writes.spend(Writer::Admin(self.id().get())).map_err(ApiError::write_limited)
    }
}

impl SignedIn for PlatformAdmin {
    const KIND: AccountKind = AccountKind::Admin;

    async fn load(state: &AppState, id: i64, jti: &str, session: Session) -> StoreResult<Option<(Self, bool)>> {
        let found = state.store.staff_account(AdminId(id), jti.to_string()).await?;
        Ok(found.map(|(admin, revoked)| (PlatformAdmin { admin, session }, revoked)))
    }

    fn standing(&self) -> (bool, i64) {
        (self.admin.account.active, self.admin.account.token_version)
    }
}

/// The extractor of a [`SignedIn`] account: the bearer token's, re-read.
macro_rules! signed_in_extractor {
    ($($account:ty),+) => {$(
        impl<S> FromRequestParts<S> for $account
        where
            AppState: FromRef<S>,
            S: Send + Sync,
        {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
                signed_in(parts, &AppState::from_ref(state)).await
            }
        }
    )+};
}

signed_in_extractor!(TenantUser, PlatformAdmin);

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

impl PlatformAdmin {
    /// The member of the team as the maker of an account change.
    pub fn acting(&self) -> crate::access::Acting {
        crate::access::Acting::Admin(self.id(), self.admin.role)
    }
}
