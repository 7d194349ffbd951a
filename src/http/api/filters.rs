//! The lists' query parameters: one struct per list, used both to read the
//! query string (collecting every bad parameter, not just the first) and to
//! document it in the OpenAPI document. Their limits come from the domain's
//! own constants.

use std::collections::HashMap;

use axum::{
    extract::{FromRequestParts, Query},
    http::request::Parts,
};
use serde::{Deserialize, de::DeserializeOwned};
use utoipa::{
    IntoParams,
    openapi::path::{Parameter, ParameterIn},
};

use crate::{
    domain::{
        Actor, AdminId, Assigned, AuditFilter, CompanyId, Cursor, FieldError, FieldErrors, PageRequest, SearchWords,
        Status, Subject, TicketFilter, TicketId, Timestamp,
    },
    http::error::ApiError,
};

/// A query string read into `T`. A blank value is as good as none, and a
/// repeated key keeps its last value.
pub struct ListQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ListQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state).await?;
        let fields: serde_json::Map<String, serde_json::Value> =
            map.into_iter().filter(|(_, v)| !v.trim().is_empty()).map(|(k, v)| (k, v.into())).collect();
        serde_json::from_value(fields.into())
            .map(ListQuery)
            .map_err(|_| ApiError::bad_request("malformed_query", "the query string could not be read"))
    }
}

fn positive_id(field: &str, raw: &str) -> Result<i64, FieldError> {
    match raw.trim().parse::<i64>() {
        Ok(v) if v > 0 => Ok(v),
        _ => Err(FieldError::new(field, "invalid_id", "must be a positive whole number")),
    }
}

fn time(field: &str, raw: &str) -> Result<Timestamp, FieldError> {
    Timestamp::parse_rfc3339(raw).ok_or_else(|| FieldError::new(field, "invalid_time", "must be an RFC 3339 date-time"))
}

fn search(raw: &str) -> Result<SearchWords, FieldError> {
    if raw.chars().count() > SearchWords::MAX_CHARS {
        return Err(FieldError::new("q", "too_long", format!("must be at most {} characters", SearchWords::MAX_CHARS)));
    }
    // `q=*` or `q=🙂` must not quietly mean "everything".
    SearchWords::parse(raw).ok_or_else(|| FieldError::new("q", "no_words", "must contain at least one letter or digit"))
}

fn page(errors: &mut FieldErrors, limit: Option<&str>, cursor: Option<&str>) -> PageRequest {
    PageRequest::parse(limit, cursor).unwrap_or_else(|e| {
        errors.extend(e);
        PageRequest::default()
    })
}

/// The parameters both ticket lists take.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQuery {
    /// Only tickets in this status.
    #[param(value_type = Option<Status>, inline)]
    status: Option<String>,
    #[param(value_type = Option<SearchWords>, inline)]
    q: Option<String>,
    /// Only tickets changed after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<String>,
    #[param(value_type = Option<PageRequest>, inline)]
    limit: Option<String>,
    #[param(value_type = Option<Cursor>, inline)]
    cursor: Option<String>,
}

impl TicketQuery {
    fn read(&self, errors: &mut FieldErrors) -> (TicketFilter, PageRequest) {
        let filter = TicketFilter {
            status: self.status.as_deref().and_then(|raw| errors.take(Status::parse(raw.trim()))),
            search: self.q.as_deref().and_then(|raw| errors.take(search(raw))),
            updated_since: self.updated_since.as_deref().and_then(|raw| errors.take(time("updated_since", raw))),
            ..TicketFilter::default()
        };
        (filter, page(errors, self.limit.as_deref(), self.cursor.as_deref()))
    }

    /// The tenant list's filter and page, or every parameter's problem.
    pub fn parse(&self) -> Result<(TicketFilter, PageRequest), ApiError> {
        let mut errors = FieldErrors::default();
        let parsed = self.read(&mut errors);
        Ok(errors.finish(parsed)?)
    }
}

/// Whom `assigned=` selects.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code, reason = "documentation only: the handler reads the parameter as text")]
enum AssignedFilter {
    Me,
    Unassigned,
    All,
}

/// What only the platform list adds.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PlatformFilters {
    /// Only tickets of this subject.
    #[param(value_type = Option<Subject>, inline)]
    subject: Option<String>,
    /// Only tickets of this company.
    #[param(value_type = Option<CompanyId>, inline)]
    company_id: Option<String>,
    /// `me`, `unassigned` or `all` (default).
    #[param(value_type = Option<AssignedFilter>, inline)]
    assigned: Option<String>,
}

/// The platform list's parameters: the shared ones and its own.
#[derive(Debug, Default, Deserialize)]
pub struct PlatformTicketQuery {
    #[serde(flatten)]
    shared: TicketQuery,
    #[serde(flatten)]
    own: PlatformFilters,
}

impl IntoParams for PlatformTicketQuery {
    fn into_params(parameter_in_provider: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = TicketQuery::into_params(&parameter_in_provider);
        params.extend(PlatformFilters::into_params(&parameter_in_provider));
        params
    }
}

impl PlatformTicketQuery {
    /// The platform list's filter and page for this admin (`assigned=me`).
    pub fn parse(&self, me: AdminId) -> Result<(TicketFilter, PageRequest), ApiError> {
        let mut errors = FieldErrors::default();
        let (mut filter, page) = self.shared.read(&mut errors);
        let own = &self.own;
        filter.subject = own.subject.as_deref().and_then(|raw| errors.take(Subject::parse(raw)));
        filter.company_id =
            own.company_id.as_deref().and_then(|raw| errors.take(positive_id("company_id", raw))).map(CompanyId);
        filter.assigned = match own.assigned.as_deref().map(str::trim) {
            None | Some("all") => Assigned::All,
            Some("me") => Assigned::To(me),
            Some("unassigned") => Assigned::Unassigned,
            Some(_) => {
                errors.push(FieldError::new("assigned", "invalid_assigned", "must be one of me, unassigned, all"));
                Assigned::All
            }
        };
        Ok(errors.finish((filter, page))?)
    }
}

/// The audit viewer's parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `ticket.create`.
    action: Option<String>,
    #[param(value_type = Option<TicketId>, inline)]
    ticket_id: Option<String>,
    #[param(value_type = Option<CompanyId>, inline)]
    company_id: Option<String>,
    /// `admin:ID`, `user:ID` or `cli`.
    #[param(pattern = "^(cli|(admin|user):[1-9][0-9]{0,17})$")]
    actor: Option<String>,
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<String>,
    #[param(value_type = Option<PageRequest>, inline)]
    limit: Option<String>,
    #[param(value_type = Option<Cursor>, inline)]
    cursor: Option<String>,
}

impl AuditQuery {
    pub fn parse(&self) -> Result<(AuditFilter, PageRequest), ApiError> {
        let mut errors = FieldErrors::default();
        let actor = |raw: &str| {
            Actor::parse(raw.trim())
                .ok_or_else(|| FieldError::new("actor", "invalid_actor", "must be admin:ID, user:ID or cli"))
        };
        let filter = AuditFilter {
            action: self.action.as_deref().map(|a| a.trim().to_string()),
            ticket_id: self
                .ticket_id
                .as_deref()
                .and_then(|raw| errors.take(positive_id("ticket_id", raw)))
                .map(TicketId),
            company_id: self
                .company_id
                .as_deref()
                .and_then(|raw| errors.take(positive_id("company_id", raw)))
                .map(CompanyId),
            actor: self.actor.as_deref().and_then(|raw| errors.take(actor(raw))),
            since: self.since.as_deref().and_then(|raw| errors.take(time("since", raw))),
            until: self.until.as_deref().and_then(|raw| errors.take(time("until", raw))),
        };
        let page = page(&mut errors, self.limit.as_deref(), self.cursor.as_deref());
        Ok(errors.finish((filter, page))?)
    }
}
