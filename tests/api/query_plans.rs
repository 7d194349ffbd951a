//! Every hot query uses an index: no full scan of tickets, messages or the
//! audit log, and no temporary B-tree to sort a list. (SQLite only: these
//! are SQLite's own query plans.)

use ticketing::{
    access::{Audience, Reader, Scope, Viewer},
    domain::{
        Actor, AdminId, Assigned, AuditFilter, CompanyId, Cursor, Order, PageRequest, SearchWords, Status, Subject,
        TicketFilter, TicketId, UserId, WaitingOn,
    },
    store::sqlite::{self, Sql},
};

use crate::support::{Seed, TestApp};

fn plan_of(app: &TestApp, sql: &Sql) -> Vec<String> {
    // No ANALYZE: production databases have no statistics either.
    let conn = rusqlite::Connection::open(&app.db_path).unwrap();
    sql.explain(&conn).unwrap()
}

/// A plan step that reads a whole big table, or sorts the list itself.
fn bad_steps(plan: &[String]) -> Vec<String> {
    let big = ["tickets", "t", "ticket_messages", "m", "platform_audit_log"];
    plan.iter()
        .filter(|step| {
            let table = step.strip_prefix("SCAN ").and_then(|rest| rest.split_whitespace().next());
            let full_scan = table.is_some_and(|t| big.contains(&t)) && !step.contains("USING");
            full_scan || step.contains("USE TEMP B-TREE FOR ORDER BY")
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn every_hot_query_uses_an_index() {
    if crate::support::sqlite_only("SQLite's query planner; PostgreSQL's plans are in postgres_plans") {
        return;
    }
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let page = PageRequest {
        after: Some(Cursor { at: i64::MAX, id: i64::MAX, order: Order::Newest }),
        ..PageRequest::default()
    };
    let oldest = PageRequest {
        order: Order::Oldest,
        after: Some(Cursor { at: 0, id: 0, order: Order::Oldest }),
        ..PageRequest::default()
    };
    let owner = Viewer { scope: Scope::All, reader: Reader::Admin(AdminId(seed.owner)) };
    let manager =
        Viewer { scope: Scope::Company(CompanyId(seed.acme)), reader: Reader::User(UserId(seed.acme_manager)) };
    let support =
        Viewer { scope: Scope::Support(AdminId(seed.support_web)), reader: Reader::Admin(AdminId(seed.support_web)) };
    let website = || Some(Subject::parse("website").unwrap());
    let mut queries: Vec<(String, Sql)> = Vec::new();
    let filters = [
        ("no filter", TicketFilter::default()),
        ("status", TicketFilter { status: Some(Status::New), ..Default::default() }),
        ("subject", TicketFilter { subject: website(), ..Default::default() }),
        ("company", TicketFilter { company_id: Some(CompanyId(seed.acme)), ..Default::default() }),
        ("assigned me", TicketFilter { assigned: Assigned::To(AdminId(seed.owner)), ..Default::default() }),
        ("unassigned", TicketFilter { assigned: Assigned::Unassigned, ..Default::default() }),
        ("search", TicketFilter { search: SearchWords::parse("contact"), ..Default::default() }),
        ("waiting on agents", TicketFilter { waiting_on: Some(WaitingOn::Agent), ..Default::default() }),
        ("open", TicketFilter { open_only: true, ..Default::default() }),
    ];
    for (name, filter) in &filters {
        queries.push((format!("admin list, {name}"), sqlite::list_sql(&owner, filter, &page)));
        queries.push((format!("admin list oldest first, {name}"), sqlite::list_sql(&owner, filter, &oldest)));
        queries.push((format!("tenant list, {name}"), sqlite::list_sql(&manager, filter, &page)));
    }
    queries.push(("support list".into(), sqlite::list_sql(&support, &TicketFilter::default(), &page)));
    queries.push(("support list oldest first".into(), sqlite::list_sql(&support, &TicketFilter::default(), &oldest)));
    queries.push(("ticket detail".into(), sqlite::ticket_sql(&support, TicketId(seed.acme_web))));
    let company = TicketFilter { company_id: Some(CompanyId(seed.acme)), ..Default::default() };
    for (name, viewer) in [("manager", &manager), ("support", &support), ("owner", &owner)] {
        for (filter_name, filter) in [("no filter", TicketFilter::default()), ("company", company.clone())] {
            let counts = sqlite::counts_sql(viewer, &filter);
            // The platform's counts without a company add up the tallies (a
            // row per subject, status, waiting-on and assignee, not per
            // ticket); a company's are counted on its covering index.
            let tallies = counts.text().contains("FROM ticket_tallies t");
            assert_eq!(tallies, name != "manager" && filter_name == "no filter", "counts, {name}, {filter_name}");
            if !tallies {
                // (A support agent's company filter also reads each ticket's
                // subject, so no index covers it; it still walks one company.)
                let plan = plan_of(&app, &counts);
                let covering = plan.iter().any(|s| s.contains("COVERING INDEX idx_tickets_company_counts"));
                assert!(covering || name == "support", "counts, {name}, {filter_name}: {plan:?}");
                queries.push((format!("counts, {name}, {filter_name}"), counts));
            }
            let read = sqlite::read_open_sql(viewer, &filter);
            let plan = plan_of(&app, &read);
            assert!(plan.iter().any(|s| s.contains("idx_read_marks_live")), "read marks, {name}: {plan:?}");
            queries.push((format!("live read marks, {name}, {filter_name}"), read));
        }
    }
    for audience in [Audience::Tenant, Audience::Staff] {
        let mut messages = Sql::new(&sqlite::messages_sql(audience));
        messages.push("", [rusqlite::types::Value::Integer(seed.acme_web)]);
        queries.push((format!("thread, {audience:?}"), messages));
    }
    for (name, filter) in [
        ("audit list", AuditFilter::default()),
        ("audit by ticket", AuditFilter { ticket_id: Some(TicketId(1)), ..Default::default() }),
        ("audit by action", AuditFilter { action: Some("ticket.create".into()), ..Default::default() }),
        ("audit by company", AuditFilter { company_id: Some(CompanyId(1)), ..Default::default() }),
        ("audit by actor", AuditFilter { actor: Some(Actor::Admin(AdminId(1))), ..Default::default() }),
    ] {
        queries.push((name.into(), sqlite::audit_sql(&filter, &page)));
    }

    let mut account = Sql::new(sqlite::USER_SESSION_SQL);
    account.push("", [rusqlite::types::Value::Integer(1), rusqlite::types::Value::Text("a-token-id".into())]);
    queries.push(("tenant account check".into(), account));

    let mut problems = Vec::new();
    for (name, sql) in &queries {
        let plan = plan_of(&app, sql);
        let mut bad = bad_steps(&plan);
        // A search sorts its matches (found through the full-text index and
        // fetched by id): their number is bounded by the words, not the table.
        if name.ends_with("search") {
            bad.retain(|step| !step.contains("TEMP B-TREE"));
        }
        if !bad.is_empty() {
            problems.push(format!("{name}: {bad:?} in {plan:?}"));
        }
    }
    assert!(problems.is_empty(), "queries without an index:\n{}", problems.join("\n"));

    // The message insert's foreign-key check and the thread use the spec's index.
    let plan = plan_of(&app, &{
        let mut s = Sql::new(&sqlite::messages_sql(Audience::Tenant));
        s.push("", [rusqlite::types::Value::Integer(1)]);
        s
    });
    assert!(plan.iter().any(|s| s.contains("idx_ticket_messages_ticket_created")), "{plan:?}");
}
