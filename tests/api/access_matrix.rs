//! Every endpoint × every kind of caller → the expected status, in one table.
//! The table must name every route of `src/http/api/mod.rs`, or this fails.

use std::collections::BTreeSet;

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{PASSWORD, Seed, TestApp};

/// The callers, in the order of each row's expectations.
#[derive(Debug, Clone, Copy)]
enum Caller {
    /// A manager of the ticket's company (Acme), with its header.
    OwnManager,
    /// A manager of another company (Globex), with its header.
    OtherManager,
    /// A manager of both companies naming Acme.
    BothAsAcme,
    /// A manager of both companies naming Globex.
    BothAsGlobex,
    /// A manager of both companies with no header.
    BothNoHeader,
    /// Acme's manager naming Globex, which they are not a member of.
    ForeignHeader,
    Owner,
    Admin,
    /// Support covering the ticket's subject (billing).
    SupportCovering,
    /// Support covering another subject (website).
    SupportNotCovering,
    /// Support to whom the ticket is assigned.
    SupportAssigned,
    NoToken,
    /// An admin token on a tenant route, a tenant token on an admin route.
    OtherKind,
    /// A disabled account of the route's kind.
    Disabled,
}

const CALLERS: [Caller; 14] = [
    Caller::OwnManager,
    Caller::OtherManager,
    Caller::BothAsAcme,
    Caller::BothAsGlobex,
    Caller::BothNoHeader,
    Caller::ForeignHeader,
    Caller::Owner,
    Caller::Admin,
    Caller::SupportCovering,
    Caller::SupportNotCovering,
    Caller::SupportAssigned,
    Caller::NoToken,
    Caller::OtherKind,
    Caller::Disabled,
];

struct Row {
    method: Method,
    /// The route as written in the route table.
    route: &'static str,
    body: Option<Value>,
    expect: [u16; 14],
}

fn row(method: Method, route: &'static str, body: Option<Value>, expect: [u16; 14]) -> Row {
    Row { method, route, body, expect }
}

/// The table. Columns: own, other, both/acme, both/globex, both/none,
/// foreign header, owner, admin, support covering, support not covering,
/// support assigned, no token, other kind, disabled.
fn table() -> Vec<Row> {
    use Method as M;
    let tenant_any = [200, 200, 200, 200, 200, 200, 401, 401, 401, 401, 401, 401, 401, 401];
    let tenant_company = [200, 200, 200, 200, 400, 403, 401, 401, 401, 401, 401, 401, 401, 401];
    let tenant_ticket = [200, 404, 200, 404, 400, 403, 401, 401, 401, 401, 401, 401, 401, 401];
    let tenant_create = [201, 201, 201, 201, 400, 403, 401, 401, 401, 401, 401, 401, 401, 401];
    let tenant_reply = [201, 404, 201, 404, 400, 403, 401, 401, 401, 401, 401, 401, 401, 401];
    let admin_any = [401, 401, 401, 401, 401, 401, 200, 200, 200, 200, 200, 401, 401, 401];
    let admin_ticket = [401, 401, 401, 401, 401, 401, 200, 200, 200, 404, 200, 401, 401, 401];
    let admin_reply = [401, 401, 401, 401, 401, 401, 201, 201, 201, 404, 201, 401, 401, 401];
    let full_only = [401, 401, 401, 401, 401, 401, 200, 200, 403, 403, 403, 401, 401, 401];
    let own_coverage = [401, 401, 401, 401, 401, 401, 200, 200, 200, 403, 403, 401, 401, 401];
    let public = [200; 14];
    vec![
        row(M::GET, "/healthz", None, public),
        // Enabled without a token in the test configuration.
        row(M::GET, "/metrics", None, public),
        row(M::GET, "/api/openapi.json", None, public),
        row(M::POST, "/api/auth/login", Some(json!({"email": "ada@acme.test", "password": PASSWORD})), public),
        row(M::GET, "/api/me", None, tenant_any),
        row(M::GET, "/api/support/subjects", None, tenant_any),
        row(M::GET, "/api/support/tickets", None, tenant_company),
        row(
            M::POST,
            "/api/support/tickets",
            Some(json!({"subject": "billing", "description": "Another question"})),
            tenant_create,
        ),
        row(M::GET, "/api/support/tickets/{id}", None, tenant_ticket),
        row(M::POST, "/api/support/tickets/{id}/messages", Some(json!({"body": "Any news?"})), tenant_reply),
        row(
            M::POST,
            "/platform-admin/auth/login",
            Some(json!({"email": "owner@platform.test", "password": PASSWORD})),
            public,
        ),
        row(M::GET, "/platform-admin/me", None, admin_any),
        row(M::GET, "/platform-admin/subjects", None, admin_any),
        row(M::GET, "/platform-admin/tickets", None, admin_any),
        row(M::GET, "/platform-admin/tickets/{id}", None, admin_ticket),
        row(M::POST, "/platform-admin/tickets/{id}/messages", Some(json!({"body": "Looking into it."})), admin_reply),
        row(M::PATCH, "/platform-admin/tickets/{id}/status", Some(json!({"status": "in_progress"})), admin_ticket),
        // Re-assigning to the current assignee: allowed, and a no-op.
        row(M::PATCH, "/platform-admin/tickets/{id}/assign", Some(json!({"admin_id": "ASSIGNEE"})), admin_ticket),
        row(M::GET, "/platform-admin/team", None, admin_any),
        // {id} is the covering support agent.
        row(M::GET, "/platform-admin/team/coverage/{id}", None, own_coverage),
        row(M::PUT, "/platform-admin/team/coverage/{id}", Some(json!({"subjects": ["billing"]})), full_only),
        row(M::GET, "/platform-admin/companies", None, admin_any),
        row(M::GET, "/platform-admin/audit-log", None, full_only),
    ]
}

/// The routes as the route table declares them: (method, path).
fn declared_routes() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/http/api/mod.rs");
    let mut routes = BTreeSet::new();
    for line in source.lines().map(str::trim).filter(|l| l.starts_with(".route(\"")) {
        let path = line[".route(\"".len()..].split('"').next().expect("path").to_string();
        for method in ["get", "post", "put", "patch", "delete"] {
            if line.contains(&format!("{method}("))
                && (line.contains(&format!(", {method}(")) || line.contains(&format!(".{method}(")))
            {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

#[test]
fn the_table_covers_every_route_in_the_route_table() {
    let declared = declared_routes();
    assert!(declared.len() >= 20, "the route table was read: {declared:?}");
    let tested: BTreeSet<(String, String)> =
        table().iter().map(|r| (r.method.to_string(), r.route.to_string())).collect();
    let missing: Vec<_> = declared.difference(&tested).collect();
    assert!(missing.is_empty(), "routes missing from the access matrix: {missing:?}");
    let extra: Vec<_> = tested.difference(&declared).collect();
    assert!(extra.is_empty(), "rows for routes that do not exist: {extra:?}");
}

#[tokio::test]
async fn every_endpoint_answers_every_caller_as_the_rules_say() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let user = |id| app.user_token(id);
    let admin = |id| app.admin_token(id);
    let (acme_tok, globex_tok, both_tok, disabled_user_tok) =
        (user(seed.acme_manager), user(seed.globex_manager), user(seed.both_manager), user(seed.disabled_manager));
    let disabled_admin_tok = admin(seed.disabled_admin);
    seed.disable_accounts(&app);

    let mut failures = Vec::new();
    for row in table() {
        let is_admin_route = row.route.starts_with("/platform-admin");
        let id = if row.route.contains("coverage") { seed.support_billing } else { seed.acme_billing };
        let path = row.route.replace("{id}", &id.to_string());
        for (caller, expected) in CALLERS.iter().zip(row.expect) {
            let mut body = row.body.clone();
            if let Some(b) = body.as_mut()
                && b["admin_id"] == "ASSIGNEE"
            {
                b["admin_id"] = json!(seed.support_assigned);
            }
            let mut req = app.req(row.method.clone(), &path);
            if let Some(b) = body {
                req = req.json(b);
            }
            req = match caller {
                Caller::OwnManager => req.bearer(&acme_tok).company(seed.acme),
                Caller::OtherManager => req.bearer(&globex_tok).company(seed.globex),
                Caller::BothAsAcme => req.bearer(&both_tok).company(seed.acme),
                Caller::BothAsGlobex => req.bearer(&both_tok).company(seed.globex),
                Caller::BothNoHeader => req.bearer(&both_tok),
                Caller::ForeignHeader => req.bearer(&acme_tok).company(seed.globex),
                Caller::Owner => req.bearer(&admin(seed.owner)),
                Caller::Admin => req.bearer(&admin(seed.admin)),
                Caller::SupportCovering => req.bearer(&admin(seed.support_billing)),
                Caller::SupportNotCovering => req.bearer(&admin(seed.support_web)),
                Caller::SupportAssigned => req.bearer(&admin(seed.support_assigned)),
                Caller::NoToken => req,
                Caller::OtherKind if is_admin_route => req.bearer(&acme_tok),
                Caller::OtherKind => req.bearer(&admin(seed.owner)).company(seed.acme),
                Caller::Disabled if is_admin_route => req.bearer(&disabled_admin_tok),
                Caller::Disabled => req.bearer(&disabled_user_tok).company(seed.acme),
            };
            let resp = req.send().await;
            if resp.status.as_u16() != expected {
                failures.push(format!(
                    "{} {} as {caller:?}: expected {expected}, got {} {}",
                    row.method, row.route, resp.status, resp.json
                ));
            }
            if resp.status.as_u16() >= 400 {
                assert_eq!(
                    resp.header("content-type"),
                    Some("application/problem+json"),
                    "{} {}",
                    row.method,
                    row.route
                );
            }
            if resp.status.as_u16() == 401 {
                assert_eq!(resp.header("www-authenticate"), Some("Bearer"), "{} {}", row.method, row.route);
            }
        }
    }
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}

/// For every caller: every id its list returns is GET-able, and every ticket
/// it can GET appears in its unfiltered list.
#[tokio::test]
async fn lists_and_detail_agree_for_every_caller() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    // More tickets, across subjects and companies, to make the sets interesting.
    for (company, manager, subject) in [
        (seed.acme, seed.acme_manager, "website"),
        (seed.globex, seed.globex_manager, "billing"),
        (seed.globex, seed.globex_manager, "website"),
        (seed.acme, seed.both_manager, "domain"),
    ] {
        crate::support::create_ticket(&app, manager, company, subject, "More work").await;
    }
    let all_ids: Vec<i64> = (1..=app.sql_i64("SELECT max(id) FROM tickets")).collect();

    struct Who {
        name: &'static str,
        token: String,
        company: Option<i64>,
        admin: bool,
    }
    let callers = vec![
        Who { name: "acme manager", token: app.user_token(seed.acme_manager), company: Some(seed.acme), admin: false },
        Who {
            name: "globex manager",
            token: app.user_token(seed.globex_manager),
            company: Some(seed.globex),
            admin: false,
        },
        Who { name: "both as acme", token: app.user_token(seed.both_manager), company: Some(seed.acme), admin: false },
        Who {
            name: "both as globex",
            token: app.user_token(seed.both_manager),
            company: Some(seed.globex),
            admin: false,
        },
        Who { name: "owner", token: app.admin_token(seed.owner), company: None, admin: true },
        Who { name: "admin", token: app.admin_token(seed.admin), company: None, admin: true },
        Who { name: "support billing", token: app.admin_token(seed.support_billing), company: None, admin: true },
        Who { name: "support web", token: app.admin_token(seed.support_web), company: None, admin: true },
        Who { name: "support assigned", token: app.admin_token(seed.support_assigned), company: None, admin: true },
    ];
    for who in callers {
        let base = if who.admin { "/platform-admin/tickets" } else { "/api/support/tickets" };
        fn with_company(req: crate::support::Req<'_>, company: Option<i64>) -> crate::support::Req<'_> {
            match company {
                Some(c) => req.company(c),
                None => req,
            }
        }
        let mut listed = BTreeSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("{base}?limit=2&cursor={c}"),
                None => format!("{base}?limit=2"),
            };
            let resp = with_company(app.get(&path).bearer(&who.token), who.company).send().await.expect(200);
            for id in resp.ids() {
                assert!(listed.insert(id), "{}: {id} listed twice", who.name);
            }
            match resp.json["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => break,
            }
        }
        let mut gettable = BTreeSet::new();
        for id in &all_ids {
            let resp = with_company(app.get(&format!("{base}/{id}")).bearer(&who.token), who.company).send().await;
            match resp.status.as_u16() {
                200 => {
                    gettable.insert(*id);
                }
                404 => {}
                other => panic!("{}: GET {id} answered {other}", who.name),
            }
        }
        assert_eq!(listed, gettable, "{}: the list and GET disagree", who.name);
        assert!(!listed.is_empty(), "{} sees something", who.name);
    }
}
