//! The OpenAPI 3.1 document, generated from the handlers (utoipa) and served
//! at `GET /api/openapi.json`. The error answers every operation can give are
//! added here from one table, so each operation lists exactly the problems it
//! can answer with; the subject catalogue comes from the configuration.

use axum::{Json, extract::State};
use serde_json::{Value, json};
use utoipa::{IntoParams, OpenApi};

use crate::{
    app::AppState,
    config::Config,
    domain::{AdminRole, SenderType, Status},
};

/// Query parameters of `GET /api/support/tickets` (documentation only; the
/// handler parses them itself to report every bad one).
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct TenantListQuery {
    /// Only tickets in this status.
    #[param(inline)]
    status: Option<Status>,
    /// Words of the subject, sub-subject or messages; each is a prefix.
    #[param(max_length = 200)]
    q: Option<String>,
    /// Only tickets changed after this instant (RFC 3339).
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<String>,
    /// Page size, 1 to 100 (default 25).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(max_length = 128)]
    cursor: Option<String>,
}

/// Whom `assigned=` selects.
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
pub enum AssignedFilter {
    Me,
    Unassigned,
    All,
}

/// Query parameters of `GET /platform-admin/tickets`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AdminListQuery {
    #[param(inline)]
    status: Option<Status>,
    /// Only tickets of this subject.
    #[param(max_length = 100)]
    subject: Option<String>,
    /// Only tickets of this company.
    #[param(minimum = 1)]
    company_id: Option<i64>,
    /// `me`, `unassigned` or `all` (default).
    #[param(inline)]
    assigned: Option<AssignedFilter>,
    #[param(max_length = 200)]
    q: Option<String>,
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    #[param(max_length = 128)]
    cursor: Option<String>,
}

/// Query parameters of `GET /platform-admin/audit-log`.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AuditQuery {
    /// e.g. `ticket.create`.
    action: Option<String>,
    #[param(minimum = 1)]
    ticket_id: Option<i64>,
    #[param(minimum = 1)]
    company_id: Option<i64>,
    /// `admin:ID`, `user:ID` or `cli`.
    #[param(pattern = "^(cli|(admin|user):[1-9][0-9]{0,17})$")]
    actor: Option<String>,
    #[param(value_type = Option<String>, format = DateTime)]
    since: Option<String>,
    #[param(value_type = Option<String>, format = DateTime)]
    until: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    #[param(max_length = 128)]
    cursor: Option<String>,
}

/// The company a tenant request acts for; optional for a manager of one company.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct CompanyHeader {
    #[param(rename = "X-Company-Id", minimum = 1)]
    x_company_id: Option<i64>,
}

#[derive(OpenApi)]
#[openapi(
    info(title = "ticketing", description = "Multi-tenant support tickets: the tenant (manager) API under /api, the platform API under /platform-admin."),
    paths(
        crate::http::healthz,
        crate::http::metrics::serve,
        serve,
        super::auth::user_login,
        super::auth::user_me,
        super::tenant_tickets::subjects,
        super::tenant_tickets::list,
        super::tenant_tickets::create,
        super::tenant_tickets::show,
        super::tenant_tickets::reply,
        super::auth::admin_login,
        super::auth::admin_me,
        super::team::subjects,
        super::admin_tickets::list,
        super::admin_tickets::show,
        super::admin_tickets::reply,
        super::admin_tickets::set_status,
        super::admin_tickets::assign,
        super::team::list,
        super::team::coverage,
        super::team::replace_coverage,
        super::team::companies,
        super::audit::list,
    ),
    components(schemas(crate::http::error::Problem, crate::domain::FieldError, AdminRole, SenderType, Status)),
    tags(
        (name = "auth", description = "Signing in"),
        (name = "tenant", description = "Managers of customer companies"),
        (name = "platform", description = "The platform's support team"),
        (name = "operations", description = "Health, metrics, this document"),
    )
)]
struct ApiDoc;

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

/// The document, with the error answers and the configured catalogue.
pub fn document(config: &Config) -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    doc["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
    let bearer = |who: &str| json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": who});
    doc["components"]["securitySchemes"] = json!({
        "tenant_token": bearer("A manager's token, from POST /api/auth/login"),
        "admin_token": bearer("A platform admin's token, from POST /platform-admin/auth/login"),
    });
    let names: Vec<&str> = config.subjects.iter().map(|s| s.name.as_str()).collect();
    if !names.is_empty() {
        doc["components"]["schemas"]["CreateTicket"]["properties"]["subject"]["enum"] = json!(names);
    }
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for (method, op) in item.iter_mut() {
                add_problems(path, method, op);
            }
        }
    }
    doc
}

/// Adds the problem answers an operation can give, by what it takes.
fn add_problems(path: &str, method: &str, op: &mut Value) {
    let secured = op.get("security").and_then(Value::as_array).is_some_and(|s| !s.is_empty());
    let has_body = op.get("requestBody").is_some();
    let has_id = path.contains("{id}");
    let has_query =
        op.get("parameters").and_then(Value::as_array).is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    let tenant = path.starts_with("/api/support/tickets");
    let login = path.ends_with("/auth/login");
    let mut add = |status: &str, description: &str| {
        if op["responses"].get(status).is_none() {
            op["responses"][status] = problem(description);
        }
    };
    if secured || login {
        add("401", "No token, a bad or expired token, a token of the other kind, or (login) a wrong email or password");
    }
    if login {
        add("429", "Too many failed sign-ins; see Retry-After");
        add("503", "Too many sign-ins are being checked at once; see Retry-After");
    }
    if secured && method != "get" {
        add("429", "This account made too many changes in a short time; see Retry-After");
    }
    if has_body || login {
        add("400", "The body is not valid JSON");
        add("413", "The body is too large");
        add("415", "The body is not declared as application/json");
        add("422", "A field is missing or invalid; `errors` lists each");
    }
    if has_id {
        add("400", "The id in the path is not a positive whole number");
        add("404", "No such resource, or it is not visible to you");
    }
    if has_query {
        add("400", "The query string cannot be read");
        add(
            "422",
            "A query parameter is invalid (`invalid_query` when the search words hold no word); `errors` lists each",
        );
    }
    if tenant {
        add("400", "X-Company-Id is missing for a manager of several companies, or is not a number");
        add("403", "You are not a member of the company named by X-Company-Id");
    }
    let full_admin_only =
        path == "/platform-admin/audit-log" || (path.starts_with("/platform-admin/team/coverage") && method == "put");
    if full_admin_only || path.starts_with("/platform-admin/team/coverage") {
        add("403", "Your role may not do this");
    }
}

/// `GET /api/openapi.json`.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "This OpenAPI 3.1 document", body = Object)))]
pub async fn serve(State(state): State<AppState>) -> Json<Value> {
    Json(document(&state.config))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed snapshot is the document of the default configuration;
    /// `UPDATE_SNAPSHOTS=1 cargo test` rewrites it after a deliberate change.
    #[test]
    fn the_served_document_matches_the_committed_snapshot() {
        let doc = serde_json::to_string_pretty(&document(&Config::default())).unwrap() + "\n";
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/openapi.json");
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::write(path, &doc).unwrap();
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(committed == doc, "docs/openapi.json is stale: run UPDATE_SNAPSHOTS=1 cargo test --lib openapi");
    }

    #[test]
    fn every_route_in_the_route_table_is_documented() {
        let doc = document(&Config::default());
        let source = include_str!("mod.rs");
        for line in source.lines().map(str::trim).filter(|l| l.starts_with(".route(\"")) {
            let path = line[".route(\"".len()..].split('"').next().unwrap();
            for method in ["get", "post", "put", "patch", "delete"] {
                if line.contains(&format!("{method}(")) {
                    assert!(doc["paths"][path][method].is_object(), "{method} {path} is not in the OpenAPI document");
                }
            }
        }
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
