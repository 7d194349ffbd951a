//! THE route table: one line per path, the map of the API. The set of routes
//! is derived from [`routes`] alone: the OpenAPI document is built from it,
//! and the access-matrix test walks that document, so a route cannot exist
//! without being documented and tested for every caller.

mod accounts;
mod admin_tickets;
mod audit;
mod auth;
pub mod etag;
pub mod filters;
pub mod model;
mod notifications;
pub mod openapi;
mod team;
mod tenant_tickets;
mod tickets;

use axum::http::StatusCode;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::error::ApiError;
use crate::app::AppState;

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(super::healthz))
        .routes(routes!(super::metrics::serve))
        .routes(routes!(openapi::serve))
        .routes(routes!(auth::user_login))
        .routes(routes!(auth::user_me))
        .routes(routes!(auth::user_logout))
        .routes(routes!(auth::user_password))
        .routes(routes!(auth::user_revoke_all))
        .routes(routes!(auth::invitation_for, auth::accept_invitation))
        .routes(routes!(notifications::user_get, notifications::user_put))
        .routes(routes!(notifications::unsubscribe_info, notifications::unsubscribe))
        .routes(routes!(tenant_tickets::subjects))
        .routes(routes!(tenant_tickets::list, tenant_tickets::create))
        .routes(routes!(tenant_tickets::counts))
        .routes(routes!(tenant_tickets::show))
        .routes(routes!(tenant_tickets::reply))
        .routes(routes!(tenant_tickets::read))
        .routes(routes!(auth::admin_login))
        .routes(routes!(auth::admin_me))
        .routes(routes!(auth::admin_logout))
        .routes(routes!(auth::admin_password))
        .routes(routes!(auth::admin_revoke_all))
        .routes(routes!(notifications::admin_get, notifications::admin_put))
        .routes(routes!(team::subjects))
        .routes(routes!(admin_tickets::list))
        .routes(routes!(admin_tickets::counts))
        .routes(routes!(admin_tickets::show))
        .routes(routes!(admin_tickets::reply))
        .routes(routes!(admin_tickets::set_status))
        .routes(routes!(admin_tickets::assign))
        .routes(routes!(admin_tickets::read))
        .routes(routes!(team::list, accounts::create_admin))
        .routes(routes!(accounts::update_admin))
        .routes(routes!(accounts::reinvite_admin))
        .routes(routes!(team::coverage, team::replace_coverage))
        .routes(routes!(accounts::list_companies, accounts::create_company))
        .routes(routes!(accounts::show_company, accounts::update_company))
        .routes(routes!(accounts::company_users))
        .routes(routes!(accounts::create_user))
        .routes(routes!(accounts::update_user))
        .routes(routes!(accounts::reinvite_user))
        .routes(routes!(audit::list))
}

/// The JSON 404 for unknown paths under `/api` and `/platform-admin`.
pub async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "there is no such API path")
}
