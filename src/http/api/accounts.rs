//! The platform's accounts: companies, their managers and the team, for
//! platform owners and admins (support agents and tenants get none of it).
//! New accounts and resets answer a one-time invitation link; the rules
//! (unique names, the owner rules) live in [`crate::service::accounts`].

use axum::{
    Json,
    extract::{Query, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};

use super::{
    filters::CompanyQuery,
    model::{Admin, Company, Invitation, Items, ManagerAccount, Membership, User, memberships},
};
use crate::{
    app::AppState,
    auth::invitation::Link,
    domain::{AccountKind, AdminId, AdminRole, CompanyId, Email, FieldError, FieldErrors, Name, Page, UserId},
    http::{
        error::{ApiError, ApiResult, Problem},
        extract::{FullAdmin, IdPath, JsonBody, RequestMeta},
    },
    service::accounts::{AdminChanges, CompanyChanges, Credential, NewAdmin, NewUser, UserChanges},
};

/// The most companies one manager may be given in one request.
const MAX_COMPANIES: usize = 100;

fn link(state: &AppState) -> ApiResult<Link> {
    Link::new(&state.config).map_err(ApiError::internal)
}

fn invitation(link: &Link) -> Invitation {
    Invitation { url: link.url.clone(), expires_at: link.stored.expires }
}

/// `GET /platform-admin/companies`: newest first, with each company's active
/// managers and open tickets; `q` finds names containing the text.
#[utoipa::path(get, path = "/platform-admin/companies", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    params(CompanyQuery),
    responses((status = 200, description = "A page of companies", body = Page<Company>),
              (status = 403, description = "Support agents may not manage companies", body = Problem, content_type = "application/problem+json")))]
pub async fn list_companies(
    State(state): State<AppState>,
    _admin: FullAdmin,
    Query(query): Query<CompanyQuery>,
) -> ApiResult<Json<Page<Company>>> {
    let (q, page) = query.parse()?;
    Ok(Json(state.store.company_list(q, page).await?.map(Company::from)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCompanyBody {
    #[schema(max_length = 200, example = "Acme Bakery")]
    name: String,
}

/// `POST /platform-admin/companies`: a new company; a name that is taken
/// (ignoring case and surrounding spaces) is 409 `name_taken`.
#[utoipa::path(post, path = "/platform-admin/companies", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    request_body = NewCompanyBody,
    responses((status = 201, description = "The new company", body = Company),
              (status = 409, description = "A company with this name exists", body = Problem, content_type = "application/problem+json")))]
pub async fn create_company(
    State(state): State<AppState>,
    FullAdmin(admin): FullAdmin,
    meta: RequestMeta,
    JsonBody(body): JsonBody<NewCompanyBody>,
) -> ApiResult<(StatusCode, Json<Company>)> {
    let name = Name::parse(&body.name)?;
    admin.spend_write(&state)?;
    let id = state.store.create_company(name, admin.acting().actor(), meta.audit).await?;
    let company = state.store.company_overview(id).await?;
    Ok((StatusCode::CREATED, Json(company.into())))
}

/// `GET /platform-admin/companies/{id}`.
#[utoipa::path(get, path = "/platform-admin/companies/{id}", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    params(("id" = i64, Path, minimum = 1, description = "The company")),
    responses((status = 200, description = "The company", body = Company),
              (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json")))]
pub async fn show_company(
    State(state): State<AppState>,
    _admin: FullAdmin,
    IdPath(id): IdPath,
) -> ApiResult<Json<Company>> {
    Ok(Json(state.store.company_overview(CompanyId(id)).await?.into()))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompanyPatch {
    #[schema(max_length = 200)]
    name: Option<String>,
    /// `false` suspends the company, `true` reactivates it.
    active: Option<bool>,
}

/// `PATCH /platform-admin/companies/{id}`: rename, suspend or reactivate. A
/// suspended company's managers get 403 `company_suspended`; the platform
/// still reads and answers its tickets.
#[utoipa::path(patch, path = "/platform-admin/companies/{id}", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    params(("id" = i64, Path, minimum = 1, description = "The company")), request_body = CompanyPatch,
    responses((status = 200, description = "The company after the change", body = Company),
              (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "A company with this name exists", body = Problem, content_type = "application/problem+json")))]
pub async fn update_company(
    State(state): State<AppState>,
    FullAdmin(admin): FullAdmin,
    meta: RequestMeta,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<CompanyPatch>,
) -> ApiResult<Json<Company>> {
    let name = body.name.as_deref().map(Name::parse).transpose()?;
    admin.spend_write(&state)?;
    let change = CompanyChanges { name, active: body.active };
    Ok(Json(state.store.update_company(CompanyId(id), change, admin.acting().actor(), meta.audit).await?.into()))
}

/// `GET /platform-admin/companies/{id}/users`: the company's managers,
/// active or not, with every company each one manages.
#[utoipa::path(get, path = "/platform-admin/companies/{id}/users", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    params(("id" = i64, Path, minimum = 1, description = "The company")),
    responses((status = 200, description = "The company's managers", body = Items<ManagerAccount>),
              (status = 404, description = "No such company", body = Problem, content_type = "application/problem+json")))]
pub async fn company_users(
    State(state): State<AppState>,
    _admin: FullAdmin,
    IdPath(id): IdPath,
) -> ApiResult<Json<Items<ManagerAccount>>> {
    Ok(Json(Items::of(state.store.company_managers(CompanyId(id)).await?)))
}

/// The companies of a manager, checked for size (existence is the use case's).
fn company_ids(raw: Option<Vec<i64>>, errors: &mut FieldErrors) -> Option<Vec<CompanyId>> {
    let raw = raw?;
    if raw.len() > MAX_COMPANIES {
        errors.push(FieldError::new("company_ids", "too_many", format!("at most {MAX_COMPANIES} companies")));
        return None;
    }
    Some(raw.into_iter().map(CompanyId).collect())
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    #[schema(max_length = 254, example = "manager@acme.example")]
    email: String,
    #[schema(max_length = 200)]
    name: String,
    /// The companies the manager manages (at least one).
    #[schema(min_items = 1, max_items = 100)]
    company_ids: Vec<i64>,
}

/// A new account and the link to give its person.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewManager {
    user: User,
    companies: Vec<Membership>,
    invitation: Invitation,
}

/// `POST /platform-admin/users`: a manager of one or more companies, with a
/// one-time link to set their password.
#[utoipa::path(post, path = "/platform-admin/users", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    request_body = NewUserBody,
    responses((status = 201, description = "The new manager and their invitation link", body = NewManager),
              (status = 409, description = "A manager with this email exists", body = Problem, content_type = "application/problem+json")))]
pub async fn create_user(
    State(state): State<AppState>,
    FullAdmin(admin): FullAdmin,
    meta: RequestMeta,
    JsonBody(body): JsonBody<NewUserBody>,
) -> ApiResult<(StatusCode, Json<NewManager>)> {
    let mut errors = FieldErrors::default();
    let email = errors.take(Email::parse(&body.email));
    let name = errors.take(Name::parse(&body.name));
    let companies = company_ids(Some(body.company_ids), &mut errors);
    let (email, name, companies) = errors.finish((email, name, companies))?;
    let (Some(email), Some(name), Some(companies)) = (email, name, companies) else {
        return Err(ApiError::internal("a parsed field is missing"));
    };
    admin.spend_write(&state)?;
    let link = link(&state)?;
    let user = NewUser { email, name, credential: Credential::Invitation(link.stored.clone()), companies };
    let id = state.store.create_user(user, admin.acting(), meta.audit).await?;
    let (user, companies) = state.store.user_with_companies(id).await?;
    let answer = NewManager { user: user.into(), companies: memberships(companies), invitation: invitation(&link) };
    Ok((StatusCode::CREATED, Json(answer)))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[schema(max_length = 200)]
    name: Option<String>,
    /// `false` disables the account (its tokens stop working at once).
    active: Option<bool>,
    /// The whole new set of companies (at least one).
    #[schema(min_items = 1, max_items = 100)]
    company_ids: Option<Vec<i64>>,
}

/// `PATCH /platform-admin/users/{id}`: rename, disable or enable a manager,
/// or replace their companies.
#[utoipa::path(patch, path = "/platform-admin/users/{id}", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    params(("id" = i64, Path, minimum = 1, description = "The manager")), request_body = UserPatch,
    responses((status = 200, description = "The manager after the change", body = ManagerAccount),
              (status = 404, description = "No such manager", body = Problem, content_type = "application/problem+json")))]
pub async fn update_user(
    State(state): State<AppState>,
    FullAdmin(admin): FullAdmin,
    meta: RequestMeta,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<UserPatch>,
) -> ApiResult<Json<ManagerAccount>> {
    let mut errors = FieldErrors::default();
    let name = body.name.as_deref().map(Name::parse).and_then(|n| errors.take(n));
    let companies = company_ids(body.company_ids, &mut errors);
    let (name, companies) = errors.finish((name, companies))?;
    admin.spend_write(&state)?;
    let change = UserChanges { name, active: body.active, companies };
    Ok(Json(state.store.update_user(UserId(id), change, admin.acting(), meta.audit).await?.into()))
}

/// A new link for an existing account.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewLink {
    invitation: Invitation,
}

async fn reinvite(
    state: &AppState,
    admin: &FullAdmin,
    meta: RequestMeta,
    kind: AccountKind,
    id: i64,
) -> ApiResult<Json<NewLink>> {
    admin.0.spend_write(state)?;
    let link = link(state)?;
    state.store.reinvite(kind, id, link.stored.clone(), admin.0.acting(), meta.audit).await?;
    Ok(Json(NewLink { invitation: invitation(&link) }))
}

/// `POST /platform-admin/users/{id}/invitation`: a new one-time link for a
/// manager (to reset a forgotten password); the old link and every token of
/// the account stop working.
#[utoipa::path(post, path = "/platform-admin/users/{id}/invitation", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    params(("id" = i64, Path, minimum = 1, description = "The manager")),
    responses((status = 200, description = "The new link", body = NewLink),
              (status = 404, description = "No such manager", body = Problem, content_type = "application/problem+json")))]
pub async fn reinvite_user(
    State(state): State<AppState>,
    admin: FullAdmin,
    meta: RequestMeta,
    IdPath(id): IdPath,
) -> ApiResult<Json<NewLink>> {
    reinvite(&state, &admin, meta, AccountKind::User, id).await
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAdminBody {
    #[schema(max_length = 254, example = "agent@example.com")]
    email: String,
    #[schema(max_length = 200)]
    name: String,
    role: AdminRole,
}

/// A new member of the team and the link to give them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct NewTeamMember {
    admin: Admin,
    invitation: Invitation,
}

/// `POST /platform-admin/team`: a new member of the team with a one-time
/// link; only an owner may add an owner.
#[utoipa::path(post, path = "/platform-admin/team", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    request_body = NewAdminBody,
    responses((status = 201, description = "The new member and their invitation link", body = NewTeamMember),
              (status = 403, description = "Only an owner may add an owner", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "A member with this email exists", body = Problem, content_type = "application/problem+json")))]
pub async fn create_admin(
    State(state): State<AppState>,
    FullAdmin(admin): FullAdmin,
    meta: RequestMeta,
    JsonBody(body): JsonBody<NewAdminBody>,
) -> ApiResult<(StatusCode, Json<NewTeamMember>)> {
    let mut errors = FieldErrors::default();
    let email = errors.take(Email::parse(&body.email));
    let name = errors.take(Name::parse(&body.name));
    let (email, name) = errors.finish((email, name))?;
    let (Some(email), Some(name)) = (email, name) else {
        return Err(ApiError::internal("a parsed field is missing"));
    };
    admin.spend_write(&state)?;
    let link = link(&state)?;
    let new = NewAdmin { email, name, role: body.role, credential: Credential::Invitation(link.stored.clone()) };
    let id = state.store.create_admin(new, admin.acting(), meta.audit).await?;
    let member = state.store.staff_member(id).await?;
    Ok((StatusCode::CREATED, Json(NewTeamMember { admin: member.into(), invitation: invitation(&link) })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminPatch {
    #[schema(max_length = 200)]
    name: Option<String>,
    role: Option<AdminRole>,
    /// `false` disables the account (its tokens stop working at once).
    active: Option<bool>,
}

/// `PATCH /platform-admin/team/{id}`: rename, change the role, disable or
/// enable. Only an owner touches an owner; the last active owner can be
/// neither demoted nor disabled (409 `last_owner`); nobody disables
/// themselves (409 `self_disable`).
#[utoipa::path(patch, path = "/platform-admin/team/{id}", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    params(("id" = i64, Path, minimum = 1, description = "The member of the team")), request_body = AdminPatch,
    responses((status = 200, description = "The member after the change", body = Admin),
              (status = 403, description = "Only an owner may change an owner", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json"),
              (status = 409, description = "The last owner, or yourself", body = Problem, content_type = "application/problem+json")))]
pub async fn update_admin(
    State(state): State<AppState>,
    FullAdmin(admin): FullAdmin,
    meta: RequestMeta,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<AdminPatch>,
) -> ApiResult<Json<Admin>> {
    let name = body.name.as_deref().map(Name::parse).transpose()?;
    admin.spend_write(&state)?;
    let change = AdminChanges { name, role: body.role, active: body.active };
    Ok(Json(state.store.update_admin(AdminId(id), change, admin.acting(), meta.audit).await?.into()))
}

/// `POST /platform-admin/team/{id}/invitation`: a new one-time link for a
/// member of the team; the old link and their tokens stop working.
#[utoipa::path(post, path = "/platform-admin/team/{id}/invitation", tag = "accounts", security(("admin_token" = ["owner_or_admin"])),
    params(("id" = i64, Path, minimum = 1, description = "The member of the team")),
    responses((status = 200, description = "The new link", body = NewLink),
              (status = 403, description = "Only an owner may reset an owner", body = Problem, content_type = "application/problem+json"),
              (status = 404, description = "No such member", body = Problem, content_type = "application/problem+json")))]
pub async fn reinvite_admin(
    State(state): State<AppState>,
    admin: FullAdmin,
    meta: RequestMeta,
    IdPath(id): IdPath,
) -> ApiResult<Json<NewLink>> {
    reinvite(&state, &admin, meta, AccountKind::Admin, id).await
}
