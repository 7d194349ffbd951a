//! The one error shape of the API: RFC 9457 problem details
//! (`application/problem+json`) with a stable machine `code`. Handlers return
//! [`ApiError`]; the storage layer's [`StoreError`] converts once, here. A 500
//! says nothing of the internals: the cause goes to the log with the request id.

use axum::{
    extract::rejection::{JsonRejection, PathRejection, QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::{domain::FieldError, store::StoreError};

pub const PROBLEM_JSON: &str = "application/problem+json";

/// RFC 9457 problem details; `code` is a stable machine word.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    #[schema(value_type = String)]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    pub code: String,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_string(),
            status: status.as_u16(),
            code: code.to_string(),
            detail: detail.into(),
            request_id: None,
            errors: Vec::new(),
        }
    }

    /// The problem for a bare error status produced outside our handlers
    /// (405 from the router, 408 from the timeout, 413 from a body limit).
    pub fn for_status(status: StatusCode) -> Self {
        let (code, detail) = match status.as_u16() {
            400 => ("bad_request", "the request could not be understood"),
            401 => ("unauthorized", "sign in first"),
            403 => ("forbidden", "you may not do this"),
            404 => ("not_found", "there is nothing here"),
            405 => ("method_not_allowed", "this path does not accept this method"),
            408 => ("request_timeout", "the request took too long"),
            413 => ("body_too_large", "the request body is too large"),
            415 => ("unsupported_media_type", "send the body as application/json"),
            431 => ("headers_too_large", "the request headers are too large"),
            429 => ("rate_limited", "too many requests; try again later"),
            503 => ("unavailable", "the service is unavailable; try again later"),
            s if s >= 500 => ("internal_error", "something went wrong on our side"),
            _ => ("error", "the request failed"),
        };
        Problem::new(status, code, detail)
    }

    /// Renders the problem as a response, keeping a copy in the response's
    /// extensions so the outer middleware can add the request id.
    pub fn into_response_with(self, extra: impl FnOnce(&mut Response)) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        extra(&mut response);
        response.extensions_mut().insert(self);
        response
    }
}

/// An error answer from a handler.
#[derive(Debug)]
pub struct ApiError {
    problem: Box<Problem>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        ApiError { problem: Box::new(Problem::new(status, code, detail)), retry_after: None }
    }

    pub fn unauthorized(detail: &str) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", detail)
    }

    pub fn forbidden(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, detail)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", "no such resource, or it is not visible to you")
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    /// 422 with one entry per invalid field. The code is `invalid_query`
    /// when only the search words (`q`) are at fault, else `validation_failed`.
    pub fn invalid(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            _ => "some fields are invalid".to_string(),
        };
        let code = if !errors.is_empty() && errors.iter().all(|e| e.field == "q") {
            "invalid_query"
        } else {
            "validation_failed"
        };
        let mut e = Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail);
        e.problem.errors = errors;
        e
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many attempts; try again in {retry_after_secs} seconds"),
        );
        e.retry_after = Some(retry_after_secs);
        e
    }

    /// 429 for an account that writes faster than its limit allows.
    pub fn write_limited(retry_after_secs: u64) -> Self {
        let mut e = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many changes in a short time; try again in {retry_after_secs} seconds"),
        );
        e.retry_after = Some(retry_after_secs);
        e
    }

    /// 503: the server is at capacity for this kind of work; come back soon.
    pub fn busy() -> Self {
        let mut e = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many sign-ins are being checked right now; try again in a moment",
        );
        e.retry_after = Some(1);
        e
    }

    /// A failure of ours: logged in full, answered with nothing internal.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error", "something went wrong on our side")
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Forbidden { code, detail } => ApiError::forbidden(code, detail),
            StoreError::Conflict { code, detail } => ApiError::new(StatusCode::CONFLICT, code, detail),
            StoreError::Invalid(errors) => ApiError::invalid(errors),
            StoreError::Internal(cause) => ApiError::internal(cause),
        }
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        ApiError::invalid(vec![e])
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(e: Vec<FieldError>) -> Self {
        ApiError::invalid(e)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::JsonDataError(e) => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                // serde's message names the field and the expected type.
                e.body_text().replace("Failed to deserialize the JSON body into the target type: ", ""),
            ),
            JsonRejection::JsonSyntaxError(_) => {
                ApiError::bad_request("malformed_json", "the request body is not valid JSON")
            }
            JsonRejection::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body with Content-Type: application/json",
            ),
            other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", "the request body is too large")
            }
            _ => ApiError::bad_request("bad_body", "the request body could not be read"),
        }
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        ApiError::bad_request("invalid_path", "the id in the path must be a positive whole number")
    }
}

impl From<QueryRejection> for ApiError {
    fn from(_: QueryRejection) -> Self {
        ApiError::bad_request("malformed_query", "the query string could not be read")
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.retry_after;
        let unauthorized = self.problem.status == 401;
        (*self.problem).into_response_with(|r| {
            if let Some(secs) = retry_after {
                r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            if unauthorized {
                r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
        })
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
