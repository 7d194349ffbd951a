//! The agent's desk: internal notes (nothing a tenant can observe changes),
//! reply and status in one transaction, the requester beside the thread, and
//! the team's open-ticket counts.

use serde_json::{Value, json};

use crate::support::{Seed, TestApp};

/// Everything a tenant can read about their company's tickets, with each
/// answer's ETag: lists (plain, searched, filtered, since a time), counts
/// (plain and searched) and the ticket itself.
async fn tenant_surfaces(
    app: &TestApp,
    token: &str,
    company: i64,
    ticket: i64,
    since: &str,
) -> Vec<(String, Value, String)> {
    let paths = [
        "/api/support/tickets".to_string(),
        "/api/support/tickets?q=zebra".to_string(),
        "/api/support/tickets?q=contact".to_string(),
        "/api/support/tickets?waiting_on=agent".to_string(),
        "/api/support/tickets?order=oldest".to_string(),
        format!("/api/support/tickets?updated_since={since}"),
        "/api/support/tickets/counts".to_string(),
        "/api/support/tickets/counts?q=zebra".to_string(),
        format!("/api/support/tickets/{ticket}"),
    ];
    let mut out = Vec::new();
    for path in paths {
        let resp = app.get(&path).bearer(token).company(company).send().await.expect(200);
        let tag = resp.header("etag").expect("every tenant read has an ETag").to_string();
        out.push((path, resp.json, tag));
    }
    out
}

#[tokio::test]
async fn an_internal_note_changes_nothing_a_tenant_can_observe_and_the_team_sees_it() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let ticket = seed.acme_web;
    let managers = [app.user_token(seed.acme_manager), app.user_token(seed.both_manager)];
    let since =
        app.get(&format!("/api/support/tickets/{ticket}")).bearer(&managers[0]).send().await.expect(200).json["ticket"]
            ["updated_at"]
            .as_str()
            .unwrap()
            .to_string();
    let mut before = Vec::new();
    for token in &managers {
        before.push(tenant_surfaces(&app, token, seed.acme, ticket, &since).await);
    }

    let owner = app.admin_token(seed.owner);
    let audits = app.audit_count("ticket.message.create");
    let note = app
        .post(
            &format!("/platform-admin/tickets/{ticket}/messages"),
            json!({"body": "zebra: the form's mail relay is down, do not promise a date", "internal": true}),
        )
        .bearer(&owner)
        .send()
        .await
        .expect(201)
        .json;
    assert_eq!(note["internal"], true);
    let note_id = note["id"].as_i64().unwrap();

    // Every surface answers the same bytes and the same ETag as before, and
    // the ETags from before still answer 304.
    for (token, before) in managers.iter().zip(&before) {
        let after = tenant_surfaces(&app, token, seed.acme, ticket, &since).await;
        for ((path, body, tag), (_, body_after, tag_after)) in before.iter().zip(&after) {
            assert_eq!(body, body_after, "{path} changed for a tenant");
            assert_eq!(tag, tag_after, "{path}'s ETag changed for a tenant");
            app.get(path).bearer(token).company(seed.acme).header("if-none-match", tag).send().await.expect(304);
        }
    }
    let searched = &before[0][1].1;
    assert_eq!(searched["items"], json!([]), "a tenant's search never matches a note");
    // A tenant cannot even point at the note.
    app.put(&format!("/api/support/tickets/{ticket}/read"), json!({"message_id": note_id}))
        .bearer(&managers[0])
        .company(seed.acme)
        .send()
        .await
        .problem(422, "validation_failed");

    // The team sees it: owners, admins and the agent who covers the subject,
    // in the thread, the list (preview and flag) and search.
    for admin in [seed.owner, seed.admin, seed.support_web] {
        let token = app.admin_token(admin);
        let detail = app.get(&format!("/platform-admin/tickets/{ticket}")).bearer(&token).send().await.expect(200).json;
        let last = detail["messages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!((last["id"].as_i64(), last["internal"].clone()), (Some(note_id), json!(true)), "admin {admin}");
        let list = app.get("/platform-admin/tickets?q=zebra").bearer(&token).send().await.expect(200);
        assert_eq!(list.ids(), vec![ticket], "admin {admin} finds the note");
        let row = &list.json["items"][0];
        assert_eq!(row["last_message_internal"], true);
        assert!(row["preview"].as_str().unwrap().starts_with("zebra: the form"), "{row}");
        // The customer's message is still the one waiting on the team.
        assert_eq!(row["waiting_on"], "agent");
    }
    // An agent who does not cover the subject gets 404, for the thread and for writing a note.
    let other = app.admin_token(seed.support_billing);
    app.get(&format!("/platform-admin/tickets/{ticket}")).bearer(&other).send().await.problem(404, "not_found");
    app.post(&format!("/platform-admin/tickets/{ticket}/messages"), json!({"body": "me too", "internal": true}))
        .bearer(&other)
        .send()
        .await
        .problem(404, "not_found");

    // Audited like any message, saying it was internal.
    assert_eq!(app.audit_count("ticket.message.create"), audits + 1);
    let detail: Value = serde_json::from_str(&app.sql_text(
        "SELECT detail FROM platform_audit_log WHERE action = 'ticket.message.create' ORDER BY id DESC LIMIT 1",
    ))
    .unwrap();
    assert_eq!(detail["internal"], true);
    assert_eq!(detail["message_id"], note_id);
}

#[tokio::test]
async fn a_reply_and_its_status_commit_together_or_not_at_all() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    let path = format!("/platform-admin/tickets/{}/messages", seed.acme_web);

    // Refused input writes nothing: a bad status, a missing body.
    let nothing = app.write_counts();
    app.post(&path, json!({"body": "Fixed", "status": "done"}))
        .bearer(&owner)
        .send()
        .await
        .problem(422, "validation_failed");
    app.post(&path, json!({"status": "solved"})).bearer(&owner).send().await.problem(422, "validation_failed");
    assert_eq!(app.write_counts(), nothing);

    // A failure inside the transaction (here a planted fault on the status
    // change) takes the message back with it.
    if crate::support::on_postgres() {
        app.sql_exec(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE 'planted fault'; END $$;
             CREATE TRIGGER refuse_engineering BEFORE UPDATE OF status ON tickets
             FOR EACH ROW WHEN (NEW.status = 'needs_engineering') EXECUTE FUNCTION refuse()",
        );
    } else {
        app.sql_exec(
            "CREATE TRIGGER refuse_engineering BEFORE UPDATE OF status ON tickets
             WHEN NEW.status = 'needs_engineering' BEGIN SELECT RAISE(ABORT, 'planted fault'); END",
        );
    }
    let failed = app.post(&path, json!({"body": "Handing to engineering", "status": "needs_engineering"}));
    assert_eq!(failed.bearer(&owner).send().await.status.as_u16(), 500);
    assert_eq!(app.write_counts(), nothing, "neither the message nor the status note stayed");
    app.sql_exec(if crate::support::on_postgres() {
        "DROP TRIGGER refuse_engineering ON tickets"
    } else {
        "DROP TRIGGER refuse_engineering"
    });

    // Both, in one step: the reply, the system note, both audit rows.
    let (messages, audit) = (app.count("ticket_messages"), app.count("platform_audit_log"));
    let reply = app.post(&path, json!({"body": "Fixed: the form sends again.", "status": "solved"}));
    let message = reply.bearer(&owner).send().await.expect(201).json;
    assert_eq!(message["body"], "Fixed: the form sends again.");
    assert_eq!(app.count("ticket_messages"), messages + 2);
    assert_eq!(app.count("platform_audit_log"), audit + 2);
    assert_eq!(app.audit_count("ticket.status.update"), 1);
    let detail = app.get(&format!("/api/support/tickets/{}", seed.acme_web)).bearer(&app.user_token(seed.acme_manager));
    let detail = detail.send().await.expect(200).json;
    assert_eq!(detail["ticket"]["status"], "solved");
    assert_eq!(detail["ticket"]["waiting_on"], Value::Null);
    let bodies: Vec<&str> =
        detail["messages"].as_array().unwrap().iter().map(|m| m["body"].as_str().unwrap()).collect();
    assert_eq!(bodies[bodies.len() - 2..], ["Fixed: the form sends again.", "Status changed from new to solved"]);

    // Tenants set no status.
    let tenant = app.post(
        &format!("/api/support/tickets/{}/messages", seed.acme_billing),
        json!({"body": "x", "status": "closed"}),
    );
    let before = app.write_counts();
    let refused = tenant.bearer(&app.user_token(seed.acme_manager)).company(seed.acme).send().await;
    assert!(refused.status.is_client_error(), "{refused:?}");
    assert_eq!(app.write_counts(), before);
}

#[tokio::test]
async fn the_platform_detail_names_the_requester_and_company_and_a_tenant_detail_does_not() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let path = format!("/platform-admin/tickets/{}", seed.acme_billing);
    for admin in [seed.owner, seed.support_assigned] {
        let detail = app.get(&path).bearer(&app.admin_token(admin)).send().await.expect(200).json;
        assert_eq!(detail["requester"], json!({"id": seed.acme_manager, "name": "Ada", "email": "ada@acme.test"}));
        assert_eq!(detail["company"], json!({"id": seed.acme, "name": "Acme"}));
    }
    // The answers to changes carry them too.
    let changed =
        app.patch(&format!("{path}/status"), json!({"status": "triaged"})).bearer(&app.admin_token(seed.owner));
    assert_eq!(changed.send().await.expect(200).json["requester"]["email"], "ada@acme.test");

    let tenant =
        app.get(&format!("/api/support/tickets/{}", seed.acme_billing)).bearer(&app.user_token(seed.both_manager));
    let tenant = tenant.company(seed.acme).send().await.expect(200).json;
    assert!(tenant.get("requester").is_none() && tenant.get("company").is_none(), "{tenant}");
}

#[tokio::test]
async fn the_team_shows_each_members_open_tickets_to_owners_and_admins_only() {
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let open_of = |team: &Value, id: i64| {
        team["items"].as_array().unwrap().iter().find(|m| m["id"] == id).map(|m| m["open_tickets"].clone())
    };
    let owner = app.admin_token(seed.owner);
    let team = app.get("/platform-admin/team").bearer(&owner).send().await.expect(200).json;
    assert_eq!(open_of(&team, seed.support_assigned), Some(json!(1)));
    assert_eq!(open_of(&team, seed.support_web), Some(json!(0)));

    app.patch(&format!("/platform-admin/tickets/{}/status", seed.acme_billing), json!({"status": "solved"}))
        .bearer(&owner)
        .send()
        .await
        .expect(200);
    let team = app.get("/platform-admin/team").bearer(&owner).send().await.expect(200).json;
    assert_eq!(open_of(&team, seed.support_assigned), Some(json!(0)), "a solved ticket is not open");

    let agents_view = app.get("/platform-admin/team").bearer(&app.admin_token(seed.support_web)).send().await;
    assert_eq!(open_of(&agents_view.expect(200).json, seed.support_assigned), Some(Value::Null));
}
