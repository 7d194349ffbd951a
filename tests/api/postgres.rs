//! What only PostgreSQL has: the command line against a database URL
//! (`pg_dump` backups, the shared server lock, `config show` redacting the
//! password), `migrate-to` from a SQLite file, and the plans of the hot
//! queries. Skipped on SQLite.

use std::process::Command;

use ticketing::{
    access::{Reader, Scope, Viewer},
    domain::{AdminId, CompanyId, Cursor, Order, PageRequest, SearchWords, TicketFilter, UserId},
    store::postgres,
};

use crate::support::{
    SECRET, Seed, TestApp, create_ticket, pg, postgres_only,
    process::{self, Workdir, http},
};

/// The binary against the test's own PostgreSQL database.
fn on(url: &str, work: &Workdir, args: &[&str]) -> Command {
    let mut cmd = work.cmd(args);
    cmd.env("TICKETING_DATABASE_URL", url).env("TICKETING_AUTH_SECRET", SECRET);
    cmd
}

fn ok(mut cmd: Command) -> String {
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{cmd:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test]
async fn the_command_line_works_on_a_database_url() {
    if postgres_only("the command line against a PostgreSQL URL") {
        return;
    }
    let url = pg::fresh_database();
    let work = Workdir::new();
    ok(on(&url, &work, &["migrate"]));
    ok(on(&url, &work, &["demo"]));
    let again = on(&url, &work, &["demo"]).output().unwrap();
    assert!(!again.status.success(), "demo seeds an empty database only");
    ok(on(&url, &work, &["company", "create", "--name", "Initech"]));
    let token = ok(on(&url, &work, &["token", "user", "manager@acme.example"]));
    assert_eq!(token.trim().split('.').count(), 3, "a JWT: {token}");
    assert!(ok(on(&url, &work, &["check"])).starts_with("ok"));

    let shown = ok(on(&url, &work, &["config", "show"]));
    assert!(shown.contains(":(redacted)@"), "{shown}");
    assert!(!shown.contains(":ticketing@") && !shown.contains(":postgres@"), "no password shown: {shown}");

    // The file of SQLite would need a signing secret of its own; on
    // PostgreSQL every server must share one.
    let mut bare = work.cmd(&["check"]);
    bare.env("TICKETING_DATABASE_URL", &url).env_remove("TICKETING_AUTH_SECRET");
    work.fails(bare.output().unwrap(), "auth.secret");

    // Backup through pg_dump; restore refuses while a server holds its share
    // of the lock, and brings the copy back once none does.
    let copy = work.dir.path().join("copy.dump");
    ok(on(&url, &work, &["backup", copy.to_str().unwrap()]));
    assert!(std::fs::metadata(&copy).unwrap().len() > 0);
    let exists = on(&url, &work, &["backup", copy.to_str().unwrap()]).output().unwrap();
    work.fails(exists, "already exists");
    let (mut server, addr) = process::start_server(
        &work.db(),
        &[("TICKETING_DATABASE_URL", url.as_str()), ("TICKETING_AUTH_SECRET", SECRET)],
    );
    assert_eq!(http(&addr, "GET", "/healthz", None).unwrap().0, 200);
    let busy = on(&url, &work, &["restore", copy.to_str().unwrap()]).output().unwrap();
    work.fails(busy, "stop every server");
    process::sigterm(&server);
    server.wait().unwrap();
    ok(on(&url, &work, &["company", "create", "--name", "Made after the backup"]));
    ok(on(&url, &work, &["restore", copy.to_str().unwrap()]));
    let companies = ok(on(&url, &work, &["company", "list"]));
    assert!(companies.contains("Initech") && !companies.contains("Made after the backup"), "{companies}");
    assert!(ok(on(&url, &work, &["check"])).starts_with("ok"));
}

#[tokio::test]
async fn migrate_to_copies_a_populated_sqlite_file_and_the_product_serves_it_unchanged() {
    if postgres_only("copying into PostgreSQL") {
        return;
    }
    // A SQLite database: the demo, plus generated tickets and answers.
    let sqlite = TestApp::with_config(|c| c.database.url.clear()).await;
    assert!(ticketing::cli::demo::seed(&sqlite.state).await.unwrap());
    let manager = sqlite.sql_i64("SELECT id FROM users WHERE email = 'manager@acme.example'");
    let company = sqlite.sql_i64(&format!("SELECT min(company_id) FROM company_memberships WHERE user_id = {manager}"));
    let owner = sqlite.sql_i64("SELECT id FROM platform_admins WHERE role = 'platform_owner'");
    for i in 0..40 {
        let id =
            create_ticket(&sqlite, manager, company, "website", &format!("Generated ticket {i}: café déjà vu")).await;
        if i % 3 == 0 {
            sqlite
                .post(
                    &format!("/platform-admin/tickets/{id}/messages"),
                    serde_json::json!({"body": format!("Answer {i}")}),
                )
                .bearer(&sqlite.admin_token(owner))
                .send()
                .await
                .expect(201);
        }
    }
    let url = pg::fresh_database();
    let work = Workdir::new();
    let mut copy = process::ticketing(&sqlite.db_path);
    copy.args(["migrate-to", "--database-url", &url]).env("TICKETING_AUTH_SECRET", SECRET);
    let report = ok(copy);
    assert!(report.contains("tickets") && report.contains("platform_audit_log"), "{report}");
    let mut again = process::ticketing(&sqlite.db_path);
    again.args(["migrate-to", "--database-url", &url]).env("TICKETING_AUTH_SECRET", SECRET);
    work.fails(again.output().unwrap(), "empty");
    assert!(ok(on(&url, &work, &["check"])).starts_with("ok"));

    // The same answers from both, to the same tokens (one secret).
    let postgres = TestApp::with_config(|c| c.database.url = url.clone()).await;
    let tenant = sqlite.user_token(manager);
    let staff = sqlite.admin_token(owner);
    let paths = [
        ("/api/support/tickets?limit=100", true),
        ("/api/support/tickets?q=deja%20caf", true),
        ("/api/support/tickets/counts", true),
        ("/platform-admin/tickets?limit=100", false),
        ("/platform-admin/tickets/counts", false),
        ("/platform-admin/tickets/1", false),
        ("/platform-admin/audit-log?limit=100", false),
        ("/platform-admin/team", false),
        ("/platform-admin/companies", false),
    ];
    for (path, as_tenant) in paths {
        let mut answers = Vec::new();
        for app in [&sqlite, &postgres] {
            let req = app.get(path);
            let req = if as_tenant { req.bearer(&tenant).company(company) } else { req.bearer(&staff) };
            answers.push(req.send().await.expect(200).json);
        }
        let (from_sqlite, from_postgres) = (&answers[0], &answers[1]);
        assert_eq!(from_sqlite, from_postgres, "{path}");
    }
    // And it goes on: a new ticket gets the next id.
    let next = create_ticket(&postgres, manager, company, "email", "After the move").await;
    assert_eq!(next, sqlite.sql_i64("SELECT max(id) FROM tickets") + 1);
}

#[tokio::test]
async fn the_hot_queries_use_their_indexes() {
    if postgres_only("PostgreSQL's query plans") {
        return;
    }
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let url = app.pg_url.clone().unwrap();
    // Enough tickets, with threads of a realistic length, that reading them
    // all would cost more than an index.
    app.sql_exec(&format!(
        "INSERT INTO tickets(company_id, created_by_user_id, subject, status, last_activity_at, created_at, updated_at)
         SELECT CASE WHEN g % 2 = 0 THEN {} ELSE {} END, {}, CASE WHEN g % 3 = 0 THEN 'billing' ELSE 'website' END,
                'new', g, g, g FROM generate_series(1, 20000) g;
         INSERT INTO ticket_messages(ticket_id, sender_type, sender_user_id, body, created_at)
         SELECT id, 'tenant', created_by_user_id, 'word' || id, created_at FROM tickets;
         INSERT INTO ticket_search(ticket_id, words) SELECT id, to_tsvector('simple', 'word' || id || ' ' ||
             repeat('the customer wrote about an invoice and a website form that does not send ', 8) || md5(id::text))
         FROM tickets",
        seed.acme, seed.globex, seed.acme_manager
    ));
    // What autovacuum does on its own: statistics, and the words index's
    // own figures (without them the planner guesses a GIN scan costly).
    app.sql_exec("VACUUM ANALYZE");
    let page = PageRequest {
        after: Some(Cursor { at: i64::MAX, id: i64::MAX, order: Order::Newest }),
        ..PageRequest::default()
    };
    let manager =
        Viewer { scope: Scope::Company(CompanyId(seed.acme)), reader: Reader::User(UserId(seed.acme_manager)) };
    let owner = Viewer { scope: Scope::All, reader: Reader::Admin(AdminId(seed.owner)) };
    let support =
        Viewer { scope: Scope::Support(AdminId(seed.support_web)), reader: Reader::Admin(AdminId(seed.support_web)) };
    let search = TicketFilter { search: SearchWords::parse("word1234"), ..Default::default() };
    // Each list walks an index of tickets in the list's order (no sort of
    // the matches) and stops after a page; a search starts from the words.
    let cases = [
        ("a company's list", postgres::list_sql(&manager, &TicketFilter::default(), &page), "on tickets t"),
        ("the platform's list", postgres::list_sql(&owner, &TicketFilter::default(), &page), "on tickets t"),
        ("a support agent's list", postgres::list_sql(&support, &TicketFilter::default(), &page), "on tickets t"),
        ("a search", postgres::list_sql(&owner, &search, &page), "idx_ticket_search_words"),
    ];
    for (what, sql, index) in cases {
        let plan = pg::explain(&url, sql);
        assert!(
            plan.contains("Index Scan Backward using idx_tickets_") || index.starts_with("idx_"),
            "{what}:\n{plan}"
        );
        assert!(plan.contains(index), "{what} should use {index}:\n{plan}");
        assert!(!plan.contains("Seq Scan on tickets"), "{what} reads every ticket:\n{plan}");
        if !index.starts_with("idx_") {
            assert!(!plan.contains("Sort Key"), "{what} sorts the matches:\n{plan}");
        }
    }
}
