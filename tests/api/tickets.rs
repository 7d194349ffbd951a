//! The ticket flows: open, answer, triage, assign, close; the thread, the
//! audit log, search, paging and polling.

use std::collections::BTreeSet;

use serde_json::json;

use crate::support::{Seed, TestApp, create_ticket};

#[tokio::test]
async fn the_spec_flow_from_open_to_closed() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let manager = app.user_token(seed.acme_manager);
    let owner = app.admin_token(seed.owner);

    // The spec's smoke test body.
    let created = app
        .post(
            "/api/support/tickets",
            json!({"subject": "website", "sub_subject": "contact", "description": "Contact form not sending."}),
        )
        .bearer(&manager)
        .company(seed.acme)
        .send()
        .await
        .expect(201);
    let ticket = &created.json["ticket"];
    let id = ticket["id"].as_i64().unwrap();
    assert_eq!(ticket["status"], "new");
    assert_eq!(ticket["type"], "support");
    assert_eq!(ticket["company_id"], seed.acme);
    assert_eq!(ticket["company_name"], "Acme");
    assert_eq!(ticket["created_by_user_id"], seed.acme_manager);
    assert_eq!(ticket["sub_subject"], "contact");
    assert!(ticket["closed_at"].is_null());
    assert_eq!(created.json["messages"][0]["sender_type"], "tenant");
    assert_eq!(created.json["messages"][0]["body"], "Contact form not sending.");

    let listed = app.get("/api/support/tickets").bearer(&manager).company(seed.acme).send().await.expect(200);
    assert_eq!(listed.ids()[0], id, "newest activity first");

    app.post(&format!("/platform-admin/tickets/{id}/messages"), json!({"body": "We are on it."}))
        .bearer(&owner)
        .send()
        .await
        .expect(201);
    let changed = app
        .patch(&format!("/platform-admin/tickets/{id}/status"), json!({"status": "in_progress"}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert_eq!(changed.json["ticket"]["status"], "in_progress");
    let assigned = app
        .patch(&format!("/platform-admin/tickets/{id}/assign"), json!({"admin_id": seed.support_web}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert_eq!(assigned.json["ticket"]["assigned_admin_id"], seed.support_web);
    assert_eq!(assigned.json["ticket"]["assigned_admin_name"], "Wes");

    let closed = app
        .patch(&format!("/platform-admin/tickets/{id}/status"), json!({"status": "closed"}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert!(closed.json["ticket"]["closed_at"].is_string());

    let thread =
        app.get(&format!("/api/support/tickets/{id}")).bearer(&manager).company(seed.acme).send().await.expect(200);
    let kinds: Vec<&str> =
        thread.json["messages"].as_array().unwrap().iter().map(|m| m["sender_type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["tenant", "agent", "system", "system", "system"]);
    let bodies: Vec<&str> =
        thread.json["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies[2], "Status changed from new to in_progress");
    assert_eq!(bodies[3], "Assigned to Wes");
    assert_eq!(bodies[4], "Status changed from in_progress to closed");

    let reopened = app
        .patch(&format!("/platform-admin/tickets/{id}/status"), json!({"status": "triaged"}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert!(reopened.json["ticket"]["closed_at"].is_null(), "leaving closed clears closed_at");
}

#[tokio::test]
async fn a_manager_cannot_write_on_a_closed_ticket_and_nothing_is_written() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let id = seed.acme_web;
    app.patch(&format!("/platform-admin/tickets/{id}/status"), json!({"status": "closed"}))
        .bearer(&app.admin_token(seed.owner))
        .send()
        .await
        .expect(200);
    let before = app.write_counts();
    let updated_before = app.sql_i64(&format!("SELECT updated_at FROM tickets WHERE id = {id}"));
    app.post(&format!("/api/support/tickets/{id}/messages"), json!({"body": "Hello?"}))
        .bearer(&app.user_token(seed.acme_manager))
        .company(seed.acme)
        .send()
        .await
        .problem(409, "ticket_closed");
    assert_eq!(app.write_counts(), before);
    assert_eq!(app.sql_i64(&format!("SELECT updated_at FROM tickets WHERE id = {id}")), updated_before);
}

#[tokio::test]
async fn an_invalid_status_is_422_and_writes_no_audit_row() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    let before = app.write_counts();
    for body in [
        json!({"status": "open"}),
        json!({"status": "CLOSED"}),
        json!({"status": ""}),
        json!({}),
        json!({"status": null}),
    ] {
        let resp = app
            .patch(&format!("/platform-admin/tickets/{}/status", seed.acme_web), body.clone())
            .bearer(&owner)
            .send()
            .await;
        assert_eq!(resp.status, 422, "{body}: {}", resp.json);
    }
    assert_eq!(app.write_counts(), before);
}

#[tokio::test]
async fn setting_the_current_status_again_writes_nothing() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let before = app.write_counts();
    let resp = app
        .patch(&format!("/platform-admin/tickets/{}/status", seed.acme_web), json!({"status": "new"}))
        .bearer(&app.admin_token(seed.owner))
        .send()
        .await
        .expect(200);
    assert_eq!(resp.json["ticket"]["status"], "new");
    assert_eq!(app.write_counts(), before);
}

#[tokio::test]
async fn each_mutation_writes_exactly_one_audit_row_with_before_and_after() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    // The newest audit row, as the audit viewer shows it.
    let last_audit = |action: &'static str| {
        let (app, owner) = (&app, owner.clone());
        async move {
            let page = app.get("/platform-admin/audit-log?limit=1").bearer(&owner).send().await.expect(200);
            let row = page.json["items"][0].clone();
            assert_eq!(row["action"], action);
            (
                row["action"].as_str().unwrap().to_string(),
                row["actor_kind"].as_str().unwrap().to_string(),
                row["actor_id"].as_i64(),
                row["company_id"].as_i64(),
                row["ticket_id"].as_i64(),
                row["detail"].clone(),
                row["request_id"].as_str().map(str::to_owned),
                row["client_addr"].as_str().map(str::to_owned),
            )
        }
    };

    let total = app.count("platform_audit_log");
    let id = create_ticket(&app, seed.acme_manager, seed.acme, "website", "Audit me").await;
    assert_eq!(app.count("platform_audit_log"), total + 1);
    let row = last_audit("ticket.create").await;
    assert_eq!((row.1.as_str(), row.2, row.3, row.4), ("user", Some(seed.acme_manager), Some(seed.acme), Some(id)));
    assert_eq!(row.5["after"]["status"], "new");
    assert!(row.6.is_some(), "request id recorded");
    assert_eq!(row.7.as_deref(), Some("127.0.0.1"), "client address recorded");

    app.post(&format!("/api/support/tickets/{id}/messages"), json!({"body": "More detail"}))
        .bearer(&app.user_token(seed.acme_manager))
        .send()
        .await
        .expect(201);
    assert_eq!(app.count("platform_audit_log"), total + 2);
    assert_eq!(last_audit("ticket.message.create").await.1, "user");

    app.post(&format!("/platform-admin/tickets/{id}/messages"), json!({"body": "Answer"}))
        .bearer(&owner)
        .send()
        .await
        .expect(201);
    assert_eq!(app.count("platform_audit_log"), total + 3);
    assert_eq!(last_audit("ticket.message.create").await.1, "admin");

    app.patch(&format!("/platform-admin/tickets/{id}/status"), json!({"status": "triaged"}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert_eq!(app.count("platform_audit_log"), total + 4);
    let row = last_audit("ticket.status.update").await;
    assert_eq!(row.5, json!({"before": {"status": "new"}, "after": {"status": "triaged"}}));

    app.patch(&format!("/platform-admin/tickets/{id}/assign"), json!({"admin_id": seed.admin}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert_eq!(app.count("platform_audit_log"), total + 5);
    let row = last_audit("ticket.assign").await;
    assert_eq!(row.5, json!({"before": {"assigned_admin_id": null}, "after": {"assigned_admin_id": seed.admin}}));

    app.put(&format!("/platform-admin/team/coverage/{}", seed.support_web), json!({"subjects": ["website", "email"]}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert_eq!(app.count("platform_audit_log"), total + 6);
    let row = last_audit("team.coverage.update").await;
    assert_eq!(row.5["before"], json!(["website"]));
    assert_eq!(row.5["after"], json!(["email", "website"]));

    // Refused requests write none.
    app.put(&format!("/platform-admin/team/coverage/{}", seed.support_web), json!({"subjects": ["nope"]}))
        .bearer(&owner)
        .send()
        .await
        .expect(422);
    app.patch(&format!("/platform-admin/tickets/{id}/assign"), json!({"admin_id": seed.disabled_admin + 100}))
        .bearer(&owner)
        .send()
        .await
        .problem(422, "validation_failed");
    assert_eq!(app.count("platform_audit_log"), total + 6);
}

#[tokio::test]
async fn assignment_needs_an_active_admin_and_unassigning_notes_who_it_was() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    let id = seed.acme_billing;
    seed.disable_accounts(&app);
    let resp = app
        .patch(&format!("/platform-admin/tickets/{id}/assign"), json!({"admin_id": seed.disabled_admin}))
        .bearer(&owner)
        .send()
        .await
        .problem(422, "validation_failed");
    assert_eq!(resp.json["errors"][0]["code"], "invalid_assignee");
    app.patch(&format!("/platform-admin/tickets/{id}/assign"), json!({}))
        .bearer(&owner)
        .send()
        .await
        .problem(422, "validation_failed");
    let resp = app
        .patch(&format!("/platform-admin/tickets/{id}/assign"), json!({"admin_id": null}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert!(resp.json["ticket"]["assigned_admin_id"].is_null());
    assert_eq!(resp.json["messages"].as_array().unwrap().last().unwrap()["body"], "Unassigned (was Sal)");
}

#[tokio::test]
async fn replacing_coverage_changes_what_support_sees_at_once() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    let web = app.admin_token(seed.support_web);
    let path = format!("/platform-admin/tickets/{}", seed.globex_email);
    app.get(&path).bearer(&web).send().await.expect(404);
    let before: BTreeSet<i64> =
        app.get("/platform-admin/tickets").bearer(&web).send().await.expect(200).ids().into_iter().collect();
    assert_eq!(before, BTreeSet::from([seed.acme_web]));

    let resp = app
        .put(&format!("/platform-admin/team/coverage/{}", seed.support_web), json!({"subjects": ["email"]}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert_eq!(resp.json["subjects"], json!(["email"]), "the set is replaced, not merged");
    app.get(&path).bearer(&web).send().await.expect(200);
    let after: BTreeSet<i64> =
        app.get("/platform-admin/tickets").bearer(&web).send().await.expect(200).ids().into_iter().collect();
    assert_eq!(after, BTreeSet::from([seed.globex_email]));
    let read =
        app.get(&format!("/platform-admin/team/coverage/{}", seed.support_web)).bearer(&web).send().await.expect(200);
    assert_eq!(read.json["subjects"], json!(["email"]));

    app.put(&format!("/platform-admin/team/coverage/{}", seed.support_web), json!({"subjects": []}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert!(app.get("/platform-admin/tickets").bearer(&web).send().await.expect(200).ids().is_empty());
    app.put("/platform-admin/team/coverage/99999", json!({"subjects": []}))
        .bearer(&owner)
        .send()
        .await
        .problem(404, "not_found");
    app.put(&format!("/platform-admin/team/coverage/{}", seed.support_web), json!({"subjects": ["email"]}))
        .bearer(&web)
        .send()
        .await
        .problem(403, "forbidden_role");
}

#[tokio::test]
async fn paging_returns_each_ticket_exactly_once_while_new_tickets_arrive() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    for i in 0..9 {
        create_ticket(&app, seed.acme_manager, seed.acme, "website", &format!("Old ticket {i}")).await;
    }
    let expected: BTreeSet<i64> = (1..=app.sql_i64("SELECT max(id) FROM tickets"))
        .filter(|id| app.sql_i64(&format!("SELECT company_id FROM tickets WHERE id = {id}")) == seed.acme)
        .collect();
    let token = app.user_token(seed.acme_manager);
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/support/tickets?limit=3&cursor={c}"),
            None => "/api/support/tickets?limit=3".to_string(),
        };
        let page = app.get(&path).bearer(&token).send().await.expect(200);
        assert!(page.ids().len() <= 3);
        seen.extend(page.ids());
        // A new ticket arrives between pages: it sorts before the cursor.
        create_ticket(&app, seed.acme_manager, seed.acme, "website", "Arrived while paging").await;
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    let unique: BTreeSet<i64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no ticket twice");
    assert_eq!(unique, expected, "every ticket that existed at the start, exactly once");
}

#[tokio::test]
async fn an_unchanged_ticket_polls_as_304_and_a_new_message_gives_200() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let manager = app.user_token(seed.acme_manager);
    let path = format!("/api/support/tickets/{}", seed.acme_web);
    let first = app.get(&path).bearer(&manager).send().await.expect(200);
    let etag = first.header("etag").expect("ETag").to_string();
    let again = app.get(&path).bearer(&manager).header("if-none-match", &etag).send().await.expect(304);
    assert!(again.bytes.is_empty());
    app.post(&format!("/platform-admin/tickets/{}/messages", seed.acme_web), json!({"body": "Reply"}))
        .bearer(&app.admin_token(seed.owner))
        .send()
        .await
        .expect(201);
    let changed = app.get(&path).bearer(&manager).header("if-none-match", &etag).send().await.expect(200);
    assert_ne!(changed.header("etag"), Some(etag.as_str()));
    assert_eq!(changed.json["messages"].as_array().unwrap().len(), 2);

    // The list too.
    let list = app.get("/api/support/tickets").bearer(&manager).send().await.expect(200);
    let tag = list.header("etag").unwrap().to_string();
    app.get("/api/support/tickets").bearer(&manager).header("if-none-match", &tag).send().await.expect(304);
    create_ticket(&app, seed.acme_manager, seed.acme, "billing", "Changes the list").await;
    app.get("/api/support/tickets").bearer(&manager).header("if-none-match", &tag).send().await.expect(200);
}

#[tokio::test]
async fn every_list_filter_narrows_the_list() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    let ids = |path: &str| {
        let path = path.to_string();
        let app = &app;
        let owner = owner.clone();
        async move { app.get(&path).bearer(&owner).send().await.expect(200).ids().into_iter().collect::<BTreeSet<i64>>() }
    };
    app.patch(&format!("/platform-admin/tickets/{}/status", seed.globex_email), json!({"status": "solved"}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert_eq!(ids("/platform-admin/tickets?status=solved").await, BTreeSet::from([seed.globex_email]));
    assert_eq!(ids("/platform-admin/tickets?subject=website").await, BTreeSet::from([seed.acme_web]));
    assert_eq!(
        ids(&format!("/platform-admin/tickets?company_id={}", seed.globex)).await,
        BTreeSet::from([seed.globex_email])
    );
    assert_eq!(
        ids("/platform-admin/tickets?assigned=unassigned").await,
        BTreeSet::from([seed.acme_web, seed.globex_email])
    );
    assert_eq!(ids("/platform-admin/tickets?assigned=all").await.len(), 3);
    assert!(ids("/platform-admin/tickets?assigned=me").await.is_empty());
    let sal = app.admin_token(seed.support_assigned);
    assert_eq!(
        app.get("/platform-admin/tickets?assigned=me").bearer(&sal).send().await.expect(200).ids(),
        vec![seed.acme_billing]
    );
    // Search: subject words, message words, prefixes; always inside visibility.
    assert_eq!(ids("/platform-admin/tickets?q=conta").await, BTreeSet::from([seed.acme_web]));
    assert_eq!(ids("/platform-admin/tickets?q=BOUNCES").await, BTreeSet::from([seed.globex_email]));
    assert_eq!(ids("/platform-admin/tickets?q=email").await, BTreeSet::from([seed.globex_email]));
    assert!(ids("/platform-admin/tickets?q=zebra").await.is_empty());
    assert_eq!(ids("/platform-admin/tickets?q=%22OR%20(").await.len(), 0, "FTS syntax is neutralised");
    let globex = app.user_token(seed.globex_manager);
    assert!(
        app.get("/api/support/tickets?q=contact").bearer(&globex).send().await.expect(200).ids().is_empty(),
        "search never crosses companies"
    );
    // updated_since: only what changed after the instant.
    let cut = app.get(&format!("/platform-admin/tickets/{}", seed.globex_email)).bearer(&owner).send().await.json["ticket"]["updated_at"].as_str().unwrap().to_string();
    assert!(ids(&format!("/platform-admin/tickets?updated_since={cut}")).await.is_empty());
    app.post(&format!("/platform-admin/tickets/{}/messages", seed.acme_web), json!({"body": "poke"}))
        .bearer(&owner)
        .send()
        .await
        .expect(201);
    assert_eq!(ids(&format!("/platform-admin/tickets?updated_since={cut}")).await, BTreeSet::from([seed.acme_web]));
    // Tenant filters.
    let acme = app.user_token(seed.acme_manager);
    assert_eq!(app.get("/api/support/tickets?status=new").bearer(&acme).send().await.expect(200).ids().len(), 2);
    assert!(app.get("/api/support/tickets?status=solved").bearer(&acme).send().await.expect(200).ids().is_empty());
    // Searching a reply's words finds its ticket.
    assert_eq!(app.get("/api/support/tickets?q=pok").bearer(&acme).send().await.expect(200).ids(), vec![seed.acme_web]);
}

#[tokio::test]
async fn the_team_companies_subjects_and_audit_log_serve_the_ui() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    let team = app.get("/platform-admin/team").bearer(&owner).send().await.expect(200);
    let web = team.json["items"].as_array().unwrap().iter().find(|m| m["id"] == seed.support_web).unwrap().clone();
    assert_eq!(web["coverage"], json!(["website"]));
    let as_support =
        app.get("/platform-admin/team").bearer(&app.admin_token(seed.support_web)).send().await.expect(200);
    for m in as_support.json["items"].as_array().unwrap() {
        assert_eq!(m.get("coverage").is_some(), m["id"] == seed.support_web, "support sees only its own coverage");
    }
    let companies = app.get("/platform-admin/companies").bearer(&owner).send().await.expect(200);
    assert_eq!(companies.json["items"].as_array().unwrap().len(), 2);
    let subjects = app.get("/api/support/subjects").bearer(&app.user_token(seed.acme_manager)).send().await.expect(200);
    assert!(
        subjects.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "website" && s["sub_subjects"].as_array().unwrap().contains(&json!("contact")))
    );

    let log = app
        .get(&format!("/platform-admin/audit-log?ticket_id={}&limit=1", seed.acme_billing))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert_eq!(log.json["items"][0]["action"], "ticket.assign", "newest first");
    let next = log.json["next_cursor"].as_str().unwrap();
    let older = app
        .get(&format!("/platform-admin/audit-log?ticket_id={}&limit=1&cursor={next}", seed.acme_billing))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert_eq!(older.json["items"][0]["action"], "ticket.create");
    assert!(older.json["next_cursor"].is_null());
    let by_action = app.get("/platform-admin/audit-log?action=ticket.create").bearer(&owner).send().await.expect(200);
    assert_eq!(by_action.json["items"].as_array().unwrap().len(), 3);
    let by_actor = app
        .get(&format!("/platform-admin/audit-log?actor=user:{}", seed.globex_manager))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert_eq!(by_actor.json["items"].as_array().unwrap().len(), 1);
    let by_company = app
        .get(&format!("/platform-admin/audit-log?company_id={}", seed.globex))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    assert!(by_company.json["items"].as_array().unwrap().iter().all(|r| r["company_id"] == seed.globex));
    let future =
        app.get("/platform-admin/audit-log?since=2999-01-01T00:00:00Z").bearer(&owner).send().await.expect(200);
    assert!(future.json["items"].as_array().unwrap().is_empty());
    let past = app.get("/platform-admin/audit-log?until=2000-01-01T00:00:00Z").bearer(&owner).send().await.expect(200);
    assert!(past.json["items"].as_array().unwrap().is_empty());
}
