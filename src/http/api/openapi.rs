//! The OpenAPI 3.1 document, generated from the route table and the
//! handlers (utoipa) and served at `GET /api/openapi.json`. Each operation's
//! security requirement names its [`Guard`]; the 401 and 403 answers follow
//! from that guard, and the other problem answers from what the operation
//! takes (a body, a path id, query parameters), so each operation lists
//! exactly the problems it can answer with. The subject catalogue comes from
//! the configuration.

use std::sync::Arc;

use axum::{Extension, Json};
use serde_json::{Value, json};
use utoipa::OpenApi;

use crate::{
    access::Guard,
    config::Config,
    domain::{AdminRole, SenderType, Status},
};

#[derive(OpenApi)]
#[openapi(
    info(title = "ticketing", description = "Multi-tenant support tickets: the tenant (manager) API under /api, the platform API under /platform-admin."),
    components(schemas(crate::http::error::Problem, crate::domain::FieldError, AdminRole, SenderType, Status)),
    tags(
        (name = "auth", description = "Signing in"),
        (name = "tenant", description = "Managers of customer companies"),
        (name = "platform", description = "The platform's support team"),
        (name = "operations", description = "Health, metrics, this document"),
    )
)]
pub struct ApiDoc;

fn problem(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    })
}

/// The served document of this configuration.
pub fn document(config: &Config) -> Value {
    finish(super::routes().into_openapi(), config)
}

/// Completes the route table's document: version, security schemes, the
/// problem answers of each operation, the configured catalogue.
pub fn finish(doc: utoipa::openapi::OpenApi, config: &Config) -> Value {
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    doc["info"]["version"] = json!(env!("CARGO_PKG_VERSION"));
    let bearer = |who: &str| json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT", "description": who});
    doc["components"]["securitySchemes"] = json!({
        "tenant_token": bearer("A manager's token, from POST /api/auth/login. The role `company_member`: acting for a company the manager belongs to, named by X-Company-Id (optional for a manager of one company)"),
        "admin_token": bearer("A platform admin's token, from POST /platform-admin/auth/login. The role `owner_or_admin`: a platform owner or admin (support agents are refused)"),
    });
    let names: Vec<&str> = config.subjects.iter().map(|s| s.name.as_str()).collect();
    if !names.is_empty() {
        doc["components"]["schemas"]["CreateTicket"]["properties"]["subject"]["enum"] = json!(names);
    }
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else { continue };
            for op in item.values_mut() {
                add_problems(path, op);
            }
        }
    }
    doc
}

/// The guard an operation's security requirement names.
pub fn guard_of(op: &Value) -> Guard {
    let Some(requirement) = op.get("security").and_then(Value::as_array).and_then(|s| s.first()) else {
        return Guard::Public;
    };
    let Some((scheme, roles)) = requirement.as_object().and_then(|o| o.iter().next()) else {
        return Guard::Public;
    };
    let roles: Vec<&str> = roles.as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    Guard::from_security(scheme, &roles).unwrap_or(Guard::Public)
}

/// Adds the problem answers an operation can give, by its guard and by what
/// it takes.
fn add_problems(path: &str, op: &mut Value) {
    let guard = guard_of(op);
    let has_body = op.get("requestBody").is_some();
    let has_id = path.contains("{id}");
    let has_query =
        op.get("parameters").and_then(Value::as_array).is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    if guard == Guard::ManagerOfCompany {
        let header = json!({"name": "X-Company-Id", "in": "header", "required": false,
            "description": "The company this request acts for; optional for a manager of one company",
            "schema": {"type": "integer", "format": "int64", "minimum": 1}});
        match op["parameters"].as_array_mut() {
            Some(params) => params.push(header),
            None => op["parameters"] = json!([header]),
        }
    }
    let mut add = |status: &str, description: &str| {
        if op["responses"].get(status).is_none() {
            op["responses"][status] = problem(description);
        }
    };
    if guard != Guard::Public {
        add("401", "No token, a bad or expired token, or a token of the other kind");
    }
    if let Some(reason) = guard.forbidden() {
        add("403", reason);
    }
    if guard == Guard::ManagerOfCompany {
        add("400", "X-Company-Id is missing for a manager of several companies, or is not a number");
    }
    if guard != Guard::Public && has_body {
        add("429", "This account made too many changes in a short time; see Retry-After");
    }
    if has_body {
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
}

/// `GET /api/openapi.json`.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "This OpenAPI 3.1 document", body = Object)))]
pub async fn serve(Extension(doc): Extension<Arc<Value>>) -> Json<Value> {
    Json((*doc).clone())
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
    fn every_secured_operation_names_a_known_guard() {
        let doc = document(&Config::default());
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let secured = op.get("security").is_some();
                assert_eq!(secured, guard_of(op) != Guard::Public, "{method} {path} names an unknown guard");
            }
        }
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
