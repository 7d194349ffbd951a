//! The platform team: members, their coverage and the subject catalogue as
//! agents need them.

use axum::{Json, extract::State};
use serde::{Deserialize, Serialize};

use super::model::{self, Items, TeamMember};
use crate::{
    app::AppState,
    config::SubjectEntry,
    domain::{AdminId, FieldError, Subject},
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
    let team = state.store.team(admin.id(), admin.admin.role).await?;
    Ok(Json(Items { items: model::team(team) }))
}

/// The subjects a platform admin covers.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Coverage {
    admin_id: AdminId,
    subjects: Vec<String>,
}

/// `GET /platform-admin/team/coverage/{admin_id}`: owners and admins read
/// anyone's; a support agent only their own.
#[utoipa::path(get, path = "/platform-admin/team/coverage/{id}", tag = "platform", security(("admin_token" = [])),
    params(("id" = i64, Path, minimum = 1, description = "The platform admin")),
    responses((status = 200, description = "The admin's subjects", body = Coverage),
              (status = 403, description = "A support agent may read only their own coverage", body = crate::http::error::Problem, content_type = "application/problem+json")))]
pub async fn coverage(
    State(state): State<AppState>,
    admin: PlatformAdmin,
    IdPath(id): IdPath,
) -> ApiResult<Json<Coverage>> {
    let of = AdminId(id);
    let subjects = state.store.coverage(admin.id(), admin.admin.role, of).await?;
    Ok(Json(Coverage { admin_id: of, subjects }))
}

/// The whole new set of subjects (it replaces the old one).
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoverageBody {
    #[schema(required = true, value_type = Vec<String>, max_items = 100)]
    subjects: Option<Vec<String>>,
}

/// The most subjects one agent may cover in one set.
const MAX_COVERAGE: usize = 100;

/// `PUT /platform-admin/team/coverage/{admin_id}`: replaces the whole set
/// (`{"subjects": [...]}`); owners and admins only.
#[utoipa::path(put, path = "/platform-admin/team/coverage/{id}", tag = "platform", security(("admin_token" = ["owner_or_admin"])),
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
    if raw.len() > MAX_COVERAGE {
        return Err(FieldError::new("subjects", "too_many", format!("at most {MAX_COVERAGE} subjects")).into());
    }
    let mut errors = Vec::new();
    let mut subjects = Vec::with_capacity(raw.len());
    for (i, s) in raw.iter().enumerate() {
        let checked = Subject::parse(s).and_then(|subject| state.check_subject(&subject, None).map(|()| subject));
        match checked {
            Ok(subject) => subjects.push(subject),
            Err(e) => errors.push(e.for_field(&format!("subjects[{i}]"))),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::invalid(errors));
    }
    admin.spend_write(&state)?;
    let of = AdminId(id);
    let subjects = state.store.replace_coverage(admin.id(), of, subjects, meta.audit).await?;
    Ok(Json(Coverage { admin_id: of, subjects }))
}
