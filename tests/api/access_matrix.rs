//! Every endpoint × every kind of caller → the expected status, in one table.
//! The table must name every route of `src/http/api/mod.rs`, or this fails.

use std::{
    collections::BTreeSet,
    sync::atomic::{AtomicUsize, Ordering},
};

use axum::http::Method;
use serde_json::{Value, json};

use crate::support::{PASSWORD, Seed, TestApp};

/// The kinds of caller, each tried on every route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// What each caller gets: `expect![Owner | Admin => 200, SupportNotCovering => 404, _ => 401]`.
macro_rules! expect {
    (_ => $all:literal) => {
        |_: Caller| -> u16 { $all }
    };
    ($($($caller:ident)|+ => $status:literal),+ , _ => $rest:literal) => {
        |caller: Caller| -> u16 {
            match caller {
                $($(Caller::$caller)|+ => $status,)+
                _ => $rest,
            }
        }
    };
}

struct Row {
    method: Method,
    /// The route as the route table declares it.
    route: &'static str,
    /// The request body, made from the fixture.
    body: Option<fn(&Seed) -> Value>,
    expect: fn(Caller) -> u16,
}

fn row(method: Method, route: &'static str, body: Option<fn(&Seed) -> Value>, expect: fn(Caller) -> u16) -> Row {
    Row { method, route, body, expect }
}

/// A number no earlier request used, for names and emails that must be new.
fn fresh() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// The password the `/me/password` rows change to (each is put back after).
const NEW_PASSWORD: &str = "correct horse battery staple";

/// The table: every route, what every caller gets. `{id}` is the billing
/// ticket of Acme (assigned to `SupportAssigned`); on the coverage routes
/// the covering support agent; on the company routes Acme; on the manager
/// and team routes a spare manager of Acme and a spare support agent.
fn table() -> Vec<Row> {
    use Method as M;
    let anyone = expect![_ => 200];
    let any_manager =
        expect![OwnManager | OtherManager | BothAsAcme | BothAsGlobex | BothNoHeader | ForeignHeader => 200, _ => 401];
    let company_member = expect![OwnManager | OtherManager | BothAsAcme | BothAsGlobex => 200, BothNoHeader => 400, ForeignHeader => 403, _ => 401];
    let company_ticket = expect![OwnManager | BothAsAcme => 200, OtherManager | BothAsGlobex => 404, BothNoHeader => 400, ForeignHeader => 403, _ => 401];
    let company_create = expect![OwnManager | OtherManager | BothAsAcme | BothAsGlobex => 201, BothNoHeader => 400, ForeignHeader => 403, _ => 401];
    let company_reply = expect![OwnManager | BothAsAcme => 201, OtherManager | BothAsGlobex => 404, BothNoHeader => 400, ForeignHeader => 403, _ => 401];
    let staff = expect![Owner | Admin | SupportCovering | SupportNotCovering | SupportAssigned => 200, _ => 401];
    let staff_ticket =
        expect![Owner | Admin | SupportCovering | SupportAssigned => 200, SupportNotCovering => 404, _ => 401];
    let staff_reply =
        expect![Owner | Admin | SupportCovering | SupportAssigned => 201, SupportNotCovering => 404, _ => 401];
    let company_mark = expect![OwnManager | BothAsAcme => 204, OtherManager | BothAsGlobex => 404, BothNoHeader => 400, ForeignHeader => 403, _ => 401];
    let staff_mark =
        expect![Owner | Admin | SupportCovering | SupportAssigned => 204, SupportNotCovering => 404, _ => 401];
    let full_staff =
        expect![Owner | Admin => 200, SupportCovering | SupportNotCovering | SupportAssigned => 403, _ => 401];
    let full_staff_201 =
        expect![Owner | Admin => 201, SupportCovering | SupportNotCovering | SupportAssigned => 403, _ => 401];
    let any_manager_204 =
        expect![OwnManager | OtherManager | BothAsAcme | BothAsGlobex | BothNoHeader | ForeignHeader => 204, _ => 401];
    let staff_204 = expect![Owner | Admin | SupportCovering | SupportNotCovering | SupportAssigned => 204, _ => 401];
    let nobody = expect![_ => 404];
    let own_coverage =
        expect![Owner | Admin | SupportCovering => 200, SupportNotCovering | SupportAssigned => 403, _ => 401];
    vec![
        row(M::GET, "/healthz", None, anyone),
        // Enabled without a token in the test configuration.
        row(M::GET, "/metrics", None, anyone),
        row(M::GET, "/api/openapi.json", None, anyone),
        row(M::POST, "/api/auth/login", Some(|_| json!({"email": "ada@acme.test", "password": PASSWORD})), anyone),
        row(M::GET, "/api/me", None, any_manager),
        row(M::POST, "/api/auth/logout", None, any_manager_204),
        row(M::POST, "/api/me/sessions/revoke-all", None, any_manager_204),
        row(
            M::POST,
            "/api/me/password",
            Some(|_| json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
            any_manager,
        ),
        row(M::GET, "/api/me/notifications", None, any_manager),
        row(M::PUT, "/api/me/notifications", Some(|_| json!({"choices": {"agent_reply": true}})), any_manager),
        // A forged unsubscribe link is unknown to everyone; the mail tests use real ones.
        row(M::GET, "/api/notifications/unsubscribe", None, nobody),
        row(M::POST, "/api/notifications/unsubscribe", None, nobody),
        // A guessed link is unknown to everyone; the link's own tests use real ones.
        row(M::GET, "/api/auth/invitations/{token}", None, nobody),
        row(M::POST, "/api/auth/invitations/{token}", Some(|_| json!({"password": NEW_PASSWORD})), nobody),
        row(M::GET, "/api/support/subjects", None, any_manager),
        row(M::GET, "/api/support/tickets", None, company_member),
        row(
            M::POST,
            "/api/support/tickets",
            Some(|_| json!({"subject": "billing", "description": "Another question"})),
            company_create,
        ),
        row(M::GET, "/api/support/tickets/counts", None, company_member),
        row(M::GET, "/api/support/tickets/{id}", None, company_ticket),
        row(M::POST, "/api/support/tickets/{id}/messages", Some(|_| json!({"body": "Any news?"})), company_reply),
        row(
            M::PUT,
            "/api/support/tickets/{id}/read",
            Some(|seed| json!({"message_id": seed.acme_billing_opening})),
            company_mark,
        ),
        row(
            M::POST,
            "/platform-admin/auth/login",
            Some(|_| json!({"email": "owner@platform.test", "password": PASSWORD})),
            anyone,
        ),
        row(M::GET, "/platform-admin/me", None, staff),
        row(M::POST, "/platform-admin/auth/logout", None, staff_204),
        row(M::GET, "/platform-admin/me/notifications", None, staff),
        row(M::PUT, "/platform-admin/me/notifications", Some(|_| json!({"choices": {"assignment": true}})), staff),
        row(M::POST, "/platform-admin/me/sessions/revoke-all", None, staff_204),
        row(
            M::POST,
            "/platform-admin/me/password",
            Some(|_| json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD})),
            staff,
        ),
        row(M::GET, "/platform-admin/subjects", None, staff),
        row(M::GET, "/platform-admin/tickets", None, staff),
        row(M::GET, "/platform-admin/tickets/counts", None, staff),
        row(M::GET, "/platform-admin/tickets/{id}", None, staff_ticket),
        row(
            M::PUT,
            "/platform-admin/tickets/{id}/read",
            Some(|seed| json!({"message_id": seed.acme_billing_opening})),
            staff_mark,
        ),
        row(
            M::POST,
            "/platform-admin/tickets/{id}/messages",
            Some(|_| json!({"body": "Looking into it."})),
            staff_reply,
        ),
        row(M::PATCH, "/platform-admin/tickets/{id}/status", Some(|_| json!({"status": "in_progress"})), staff_ticket),
        // Re-assigning to the current assignee: allowed, and a no-op.
        row(
            M::PATCH,
            "/platform-admin/tickets/{id}/assign",
            Some(|seed| json!({"admin_id": seed.support_assigned})),
            staff_ticket,
        ),
        row(M::GET, "/platform-admin/team", None, staff),
        row(M::GET, "/platform-admin/team/coverage/{id}", None, own_coverage),
        row(M::PUT, "/platform-admin/team/coverage/{id}", Some(|_| json!({"subjects": ["billing"]})), full_staff),
        row(
            M::POST,
            "/platform-admin/team",
            Some(
                |_| json!({"email": format!("new{}@platform.test", fresh()), "name": "New", "role": "platform_support"}),
            ),
            full_staff_201,
        ),
        row(M::PATCH, "/platform-admin/team/{id}", Some(|_| json!({"name": "Spare Agent"})), full_staff),
        row(M::POST, "/platform-admin/team/{id}/invitation", None, full_staff),
        row(M::GET, "/platform-admin/companies", None, full_staff),
        row(
            M::POST,
            "/platform-admin/companies",
            Some(|_| json!({"name": format!("Company {}", fresh())})),
            full_staff_201,
        ),
        row(M::GET, "/platform-admin/companies/{id}", None, full_staff),
        row(M::PATCH, "/platform-admin/companies/{id}", Some(|_| json!({"name": "Acme", "active": true})), full_staff),
        row(M::GET, "/platform-admin/companies/{id}/users", None, full_staff),
        row(
            M::POST,
            "/platform-admin/users",
            Some(
                |seed| json!({"email": format!("new{}@acme.test", fresh()), "name": "New", "company_ids": [seed.acme]}),
            ),
            full_staff_201,
        ),
        row(M::PATCH, "/platform-admin/users/{id}", Some(|_| json!({"name": "Spare Manager"})), full_staff),
        row(M::POST, "/platform-admin/users/{id}/invitation", None, full_staff),
        row(M::GET, "/platform-admin/audit-log", None, full_staff),
    ]
}

/// The routes as the route table declares them: (method, path), read from
/// the document the route table itself builds.
fn declared_routes() -> BTreeSet<(String, String)> {
    let doc = serde_json::to_value(ticketing::http::api::routes().into_openapi()).unwrap();
    let mut routes = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("operations").keys() {
            routes.insert((method.to_uppercase(), path.clone()));
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
    // Tokens are made for each request: signing out, signing out everywhere
    // and a new password each end the sessions they are made with.
    let user = |id| app.user_token(id);
    let admin = |id| app.admin_token(id);
    let (disabled_user_tok, disabled_admin_tok) = (user(seed.disabled_manager), admin(seed.disabled_admin));
    seed.disable_accounts(&app);
    let spare = |body: Value, path: &str| {
        let req = app.post(path, body).bearer(&app.admin_token(seed.owner));
        async move { req.send().await.expect(201).json }
    };
    let spare_manager = spare(
        json!({"email": "spare@acme.test", "name": "Spare Manager", "company_ids": [seed.acme]}),
        "/platform-admin/users",
    )
    .await["user"]["id"]
        .as_i64()
        .unwrap();
    let spare_agent = spare(
        json!({"email": "spare@platform.test", "name": "Spare Agent", "role": "platform_support"}),
        "/platform-admin/team",
    )
    .await["admin"]["id"]
        .as_i64()
        .unwrap();
    let password_hash =
        |table: &str, id: i64| app.sql_text(&format!("SELECT password_hash FROM {table} WHERE id = {id}"));
    let (user_hash, admin_hash) =
        (password_hash("users", seed.acme_manager), password_hash("platform_admins", seed.owner));

    let mut failures = Vec::new();
    for row in table() {
        let is_admin_route = row.route.starts_with("/platform-admin");
        let id = if row.route.contains("coverage") {
            seed.support_billing.to_string()
        } else if row.route.contains("/invitations/") {
            "a-guessed-invitation-token".to_string()
        } else if row.route.starts_with("/platform-admin/companies/") {
            seed.acme.to_string()
        } else if row.route.starts_with("/platform-admin/users/") {
            spare_manager.to_string()
        } else if row.route.starts_with("/platform-admin/team/") {
            spare_agent.to_string()
        } else {
            seed.acme_billing.to_string()
        };
        let mut path = row.route.replace("{id}", &id).replace("{token}", &id);
        if row.route.ends_with("/unsubscribe") {
            path.push_str("?token=bm90IGEgbGluaw.AAAAAAAAAAAAAAAAAAAAAA");
        }
        for caller in CALLERS {
            let (acme_tok, globex_tok, both_tok) =
                (user(seed.acme_manager), user(seed.globex_manager), user(seed.both_manager));
            let expected = (row.expect)(caller);
            let mut req = app.req(row.method.clone(), &path);
            if let Some(make) = row.body {
                req = req.json(make(&seed));
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
            if row.route.ends_with("/me/password") {
                app.sql_exec(&format!(
                    "UPDATE users SET password_hash = '{user_hash}'; UPDATE platform_admins SET password_hash = '{admin_hash}';"
                ));
            }
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
