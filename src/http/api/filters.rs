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
        Actor, AdminId, Assigned, AuditFilter, CompanyId, Cursor, FieldError, FieldErrors, Order, PageRequest,
        SearchWords, Status, Subject, TicketFilter, TicketId, Timestamp, WaitingOn,
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

fn flag(field: &str, raw: &str) -> Result<bool, FieldError> {
    match raw.trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(FieldError::new(field, "invalid_flag", "must be true or false")),
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

/// Two sets of parameters read from one query string and documented as
/// one list.
#[derive(Debug, Default, Deserialize)]
pub struct Both<A, B> {
    #[serde(flatten)]
    pub first: A,
    #[serde(flatten)]
    pub second: B,
}

impl<A: IntoParams, B: IntoParams> IntoParams for Both<A, B> {
    fn into_params(parameter_in_provider: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = A::into_params(&parameter_in_provider);
        params.extend(B::into_params(&parameter_in_provider));
        params
    }
}

/// The filters every ticket list and its counts take.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketFilters {
    #[param(value_type = Option<SearchWords>, inline)]
    q: Option<String>,
    /// Only tickets changed after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<String>,
    /// Only tickets waiting on an agent (the newest reply is the tenant's) or
    /// on the tenant.
    #[param(value_type = Option<WaitingOn>, inline)]
    waiting_on: Option<String>,
    /// `true`: only tickets that are not solved or closed.
    #[param(value_type = Option<bool>)]
    open: Option<String>,
}

impl TicketFilters {
    fn read(&self, errors: &mut FieldErrors) -> TicketFilter {
        TicketFilter {
            search: self.q.as_deref().and_then(|raw| errors.take(search(raw))),
            updated_since: self.updated_since.as_deref().and_then(|raw| errors.take(time("updated_since", raw))),
            waiting_on: self.waiting_on.as_deref().and_then(|raw| errors.take(WaitingOn::parse(raw))),
            open_only: self.open.as_deref().and_then(|raw| errors.take(flag("open", raw))).unwrap_or(false),
            ..TicketFilter::default()
        }
    }
}

/// What only a list takes, not its counts: the status, the order and the page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Only tickets in this status.
    #[param(value_type = Option<Status>, inline)]
    status: Option<String>,
    /// `newest` activity first (default) or `oldest` first (the longest waiting).
    #[param(value_type = Option<Order>, inline)]
    order: Option<String>,
    #[param(value_type = Option<PageRequest>, inline)]
    limit: Option<String>,
    #[param(value_type = Option<Cursor>, inline)]
    cursor: Option<String>,
}

impl ListParams {
    fn read(&self, errors: &mut FieldErrors, filter: &mut TicketFilter) -> PageRequest {
        filter.status = self.status.as_deref().and_then(|raw| errors.take(Status::parse(raw.trim())));
        PageRequest::parse_ordered(self.limit.as_deref(), self.cursor.as_deref(), self.order.as_deref()).unwrap_or_else(
            |e| {
                errors.extend(e);
                PageRequest::default()
            },
        )
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

/// What only the platform's lists add.
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

impl PlatformFilters {
    fn read(&self, errors: &mut FieldErrors, filter: &mut TicketFilter, me: AdminId) {
        filter.subject = self.subject.as_deref().and_then(|raw| errors.take(Subject::parse(raw)));
        filter.company_id =
            self.company_id.as_deref().and_then(|raw| errors.take(positive_id("company_id", raw))).map(CompanyId);
        filter.assigned = match self.assigned.as_deref().map(str::trim) {
            None | Some("all") => Assigned::All,
            Some("me") => Assigned::To(me),
            Some("unassigned") => Assigned::Unassigned,
            Some(_) => {
                errors.push(FieldError::new("assigned", "invalid_assigned", "must be one of me, unassigned, all"));
                Assigned::All
            }
        };
    }
}

/// `GET /api/support/tickets`.
pub type TenantListQuery = Both<TicketFilters, ListParams>;
/// `GET /api/support/tickets/counts`.
pub type TenantCountsQuery = TicketFilters;
/// The platform's filters.
pub type PlatformCountsQuery = Both<TicketFilters, PlatformFilters>;
/// `GET /platform-admin/tickets`.
pub type PlatformListQuery = Both<PlatformCountsQuery, ListParams>;

impl TenantListQuery {
    /// The tenant list's filter and page, or every parameter's problem.
    pub fn parse(&self) -> Result<(TicketFilter, PageRequest), ApiError> {
        let mut errors = FieldErrors::default();
        let mut filter = self.first.read(&mut errors);
        let page = self.second.read(&mut errors, &mut filter);
        Ok(errors.finish((filter, page))?)
    }
}

impl TenantCountsQuery {
    pub fn parse(&self) -> Result<TicketFilter, ApiError> {
        let mut errors = FieldErrors::default();
        let filter = self.read(&mut errors);
        Ok(errors.finish(filter)?)
    }
}

impl PlatformCountsQuery {
    fn read(&self, errors: &mut FieldErrors, me: AdminId) -> TicketFilter {
        let mut filter = self.first.read(errors);
        self.second.read(errors, &mut filter, me);
        filter
    }

    /// The platform counts' filter for this admin (`assigned=me`).
    pub fn parse(&self, me: AdminId) -> Result<TicketFilter, ApiError> {
        let mut errors = FieldErrors::default();
        let filter = self.read(&mut errors, me);
        Ok(errors.finish(filter)?)
    }
}

impl PlatformListQuery {
    /// The platform list's filter and page for this admin (`assigned=me`).
    pub fn parse(&self, me: AdminId) -> Result<(TicketFilter, PageRequest), ApiError> {
        let mut errors = FieldErrors::default();
        let mut filter = self.first.read(&mut errors, me);
        let page = self.second.read(&mut errors, &mut filter);
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

/// `GET /platform-admin/companies`: a search on the name, and the page.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CompanyQuery {
    /// Only companies whose name contains this text (case-insensitively).
    #[param(max_length = 200)]
    q: Option<String>,
    #[param(value_type = Option<PageRequest>, inline)]
    limit: Option<String>,
    #[param(value_type = Option<Cursor>, inline)]
    cursor: Option<String>,
}

impl CompanyQuery {
    pub fn parse(&self) -> Result<(Option<String>, PageRequest), ApiError> {
        let mut errors = FieldErrors::default();
        let q = self.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
        if q.is_some_and(|q| q.chars().count() > 200) {
            errors.push(FieldError::new("q", "too_long", "must be at most 200 characters"));
        }
        let page = page(&mut errors, self.limit.as_deref(), self.cursor.as_deref());
        Ok(errors.finish((q.map(str::to_string), page))?)
    }
}
