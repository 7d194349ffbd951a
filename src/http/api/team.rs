//! The platform team: members, their coverage, the companies and the subject
//! catalogue as agents need them.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};

use super::Items;

use crate::{
    app::AppState,
    config::SubjectEntry,
    db::{
        accounts::{self, Company},
        coverage::{self, TeamMember},
    },
    domain::{FieldError, Subject},
    http::{
        error::{ApiError, ApiResult},
        extract::{FullAdmin, IdPath, JsonBody, PlatformAdmin, RequestMeta},
    },
};

/// `GET /platform-admin/subjects`: the catalogue.
#[utoipa::path(get, path = "/platform-admin/subjects", tag = "platform", security(("admin_token" = [])),
    responses((status = 200, description = "The subjects and their sub-subjects", body = Items<SubjectEntry>)))]
pub async fn subjects(State(state): State<AppState>, _admin: PlatformAdmin) -> Json<Items<SubjectEntry>> {
    Json(Items { items: state.config.subjects.clone() })
}

/// `GET /platform-admin/team`: every member with their role. Owners and
/// admins also get each member's email, active flag and coverage; a support
/// agent gets the active members' names and roles only (to assign and to
/// know who is who), and their own coverage.
#[utoipa::path(get, path = "/platform-admin/team", tag = "platform", security(("admin_token" = [])),
    responses((status = 200, description = "The platform team", body = Items<TeamMember>)))]
pub async fn list(State(state): State<AppState>, admin: PlatformAdmin) -> ApiResult<Json<Items<TeamMember>>> {
    let mut team = state.db.read(coverage::team).await?;
    if !admin.admin.role.has_full_access() {
        team.retain(|member| member.active == Some(true));
        for member in &mut team {
            member.email = None;
            member.active = None;
            if member.id != admin.admin.id {
                member.coverage = None;
            }
        }
    }
    Ok(Json(Items { items: team }))
}

/// `GET /platform-admin/companies`: the tenant companies (for filters).
#[utoipa::path(get, path = "/platform-admin/companies", tag = "platform", security(("admin_token" = [])),
    responses((status = 200, description = "The tenant companies", body = Items<Company>)))]
pub async fn companies(State(state): State<AppState>, _admin: PlatformAdmin) -> ApiResult<Json<Items<Company>>> {
    let items = state.db.read(accounts::list_companies).await?;
    Ok(Json(Items { items }))
}

/// The subjects a platform admin covers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Coverage {
    admin_id: i64,
    subjects: Vec<String>,
}

/// `GET /platform-admin/team/coverage/{admin_id}`: owners and admins read
/// anyone's; a support agent only their own.
#[utoipa::path(get, path = "/platform-admin/team/coverage/{id}", tag = "platform", security(("admin_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The platform admin")),
    responses((status = 200, description = "The admin's subjects", body = Coverage)))]
pub async fn coverage(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    IdPath(id): IdPath,
) -> ApiResult<Json<Coverage>> {
    if !admin.admin.role.has_full_access() && admin.admin.id != id {
        return Err(ApiError::forbidden("forbidden_role", "support agents may read only their own coverage"));
    }
    let subjects = state.db.read(move |conn| coverage::get(conn, id)).await?;
    Ok(Json(Coverage { admin_id: id, subjects }))
}

/// The whole new set of subjects (it replaces the old one).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageBody {
    #[schema(required = true, value_type = Vec<String>, max_items = 100)]
    subjects: Option<Vec<String>>,
}

/// `PUT /platform-admin/team/coverage/{admin_id}`: replaces the whole set
/// (`{"subjects": [...]}`); owners and admins only.
#[utoipa::path(put, path = "/platform-admin/team/coverage/{id}", tag = "platform", security(("admin_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The platform admin")), request_body = CoverageBody,
    responses((status = 200, description = "The admin's subjects after the change", body = Coverage)))]
pub async fn replace_coverage(
    State(state): State<AppState>,
    FullAdmin(admin): FullAdmin,
    meta: RequestMeta,
    IdPath(id): IdPath,
    JsonBody(body): JsonBody<CoverageBody>,
) -> ApiResult<Json<Coverage>> {
    let Some(raw) = body.subjects else {
        return Err(FieldError::new("subjects", "required", "is required (an empty list clears coverage)").into());
    };
    if raw.len() > 100 {
        return Err(FieldError::new("subjects", "too_many", "at most 100 subjects").into());
    }
    let mut errors = Vec::new();
    let mut subjects = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let field = format!("subjects[{i}]");
        match Subject::parse(s) {
            Ok(subject) => match state.check_subject(&subject, None) {
                Ok(()) => subjects.push(subject),
                Err(e) => errors.push(e.for_field(&field)),
            },
            Err(e) => errors.push(e.for_field(&field)),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    admin.spend_write(&state)?;
    let actor = admin.admin.id;
    let subjects = state.db.write(move |conn| coverage::replace(conn, actor, id, &subjects, &meta.audit)).await?;
    Ok(Json(Coverage { admin_id: id, subjects }))
}
