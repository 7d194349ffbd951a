//! Check-then-write races that only several writers can expose: PostgreSQL
//! runs many transactions at once (SQLite's one writer runs them one after
//! another, so there these tests hold trivially and are skipped). Each fires
//! the conflicting requests together, many times over, and checks what the
//! rule promises. Without the locks the store takes (`ticket_for_change`,
//! `admin_for_change`) they fail.

use axum::{
    Router,
    body::Body,
    http::{Method, Request},
};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{Seed, TestApp, create_ticket, postgres_only};

/// Sends one request on a task of its own; answers its status and body.
fn fire(
    router: &Router,
    method: Method,
    path: String,
    token: &str,
    company: Option<i64>,
    body: Value,
) -> tokio::task::JoinHandle<(u16, Value)> {
    let router = router.clone();
    let token = token.to_string();
    tokio::spawn(async move {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json");
        if let Some(company) = company {
            request = request.header("x-company-id", company.to_string());
        }
        let request = request.body(Body::from(body.to_string())).unwrap();
        let response = router.oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    })
}

async fn all(tasks: Vec<tokio::task::JoinHandle<(u16, Value)>>) -> Vec<(u16, Value)> {
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn identical_status_changes_at_once_leave_one_system_note_and_one_audit_row() {
    if postgres_only("several writers at once") {
        return;
    }
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    for round in 0..5 {
        let ticket = create_ticket(&app, seed.acme_manager, seed.acme, "website", &format!("Round {round}")).await;
        let path = format!("/platform-admin/tickets/{ticket}/status");
        let tasks = (0..12)
            .map(|_| fire(&app.router, Method::PATCH, path.clone(), &owner, None, json!({"status": "in_progress"})));
        let answers = all(tasks.collect()).await;
        assert!(answers.iter().all(|(s, _)| *s == 200), "{answers:?}");
        let notes = app.sql_i64(&format!(
            "SELECT count(*) FROM ticket_messages WHERE ticket_id = {ticket} AND sender_type = 'system'"
        ));
        let audits = app.sql_i64(&format!(
            "SELECT count(*) FROM platform_audit_log WHERE ticket_id = {ticket} AND action = 'ticket.status.update'"
        ));
        assert_eq!((notes, audits), (1, 1), "round {round}: one change, the others no-ops");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_tenant_reply_racing_a_close_lands_before_it_or_is_refused() {
    if postgres_only("several writers at once") {
        return;
    }
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    let ada = app.user_token(seed.acme_manager);
    let (mut landed, mut refused) = (0, 0);
    for round in 0..20 {
        let ticket = create_ticket(&app, seed.acme_manager, seed.acme, "website", &format!("Round {round}")).await;
        let close = fire(
            &app.router,
            Method::PATCH,
            format!("/platform-admin/tickets/{ticket}/status"),
            &owner,
            None,
            json!({"status": "closed"}),
        );
        let replies: Vec<_> = (0..3)
            .map(|i| {
                fire(
                    &app.router,
                    Method::POST,
                    format!("/api/support/tickets/{ticket}/messages"),
                    &ada,
                    Some(seed.acme),
                    json!({"body": format!("One more thing {i}")}),
                )
            })
            .collect();
        assert_eq!(close.await.unwrap().0, 200);
        let closed_note = app.sql_i64(&format!(
            "SELECT max(id) FROM ticket_messages WHERE ticket_id = {ticket} AND sender_type = 'system'"
        ));
        for (status, body) in all(replies).await {
            match status {
                201 => {
                    landed += 1;
                    let id = body["id"].as_i64().unwrap();
                    assert!(id < closed_note, "round {round}: reply {id} landed after the close (note {closed_note})");
                }
                409 => refused += 1,
                other => panic!("round {round}: a reply racing a close answered {other}: {body}"),
            }
        }
    }
    eprintln!("replies racing a close: {landed} landed before it, {refused} refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_assignment_racing_the_assignees_disable_never_lands_after_it() {
    if postgres_only("several writers at once") {
        return;
    }
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    for round in 0..20 {
        let created = app
            .post(
                "/platform-admin/team",
                json!({"email": format!("agent{round}@platform.test"), "name": format!("Agent {round}"),
                       "role": "platform_support"}),
            )
            .bearer(&owner)
            .send()
            .await
            .expect(201);
        let agent = created.json["admin"]["id"].as_i64().unwrap();
        let ticket = create_ticket(&app, seed.acme_manager, seed.acme, "website", &format!("Round {round}")).await;
        let assign = fire(
            &app.router,
            Method::PATCH,
            format!("/platform-admin/tickets/{ticket}/assign"),
            &owner,
            None,
            json!({"admin_id": agent}),
        );
        let disable = fire(
            &app.router,
            Method::PATCH,
            format!("/platform-admin/team/{agent}"),
            &owner,
            None,
            json!({"active": false}),
        );
        let (assigned, disabled) = (assign.await.unwrap(), disable.await.unwrap());
        assert_eq!(disabled.0, 200, "{disabled:?}");
        if assigned.0 == 200 {
            // The assignment committed while the agent was active: its audit
            // row comes before the disable's.
            let assign_row = app.sql_i64(&format!(
                "SELECT max(id) FROM platform_audit_log WHERE ticket_id = {ticket} AND action = 'ticket.assign'"
            ));
            let disable_row = app.sql_i64(&format!(
                "SELECT max(id) FROM platform_audit_log WHERE action = 'admin.update' \
                 AND replace(CAST(detail AS TEXT), ' ', '') LIKE '%\"admin_id\":{agent}%'"
            ));
            assert!(assign_row < disable_row, "round {round}: assigned to agent {agent} after they were disabled");
        } else {
            assert_eq!(assigned.0, 422, "round {round}: {assigned:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_coverage_replaces_never_fail() {
    if postgres_only("several writers at once") {
        return;
    }
    let app = TestApp::new().await;
    let seed = Seed::new(&app).await;
    let owner = app.admin_token(seed.owner);
    let sets = [json!(["billing"]), json!(["website", "email"]), json!(["billing", "website"]), json!([])];
    for round in 0..10 {
        let path = format!("/platform-admin/team/coverage/{}", seed.support_web);
        let tasks = (0..8).map(|i| {
            fire(
                &app.router,
                Method::PUT,
                path.clone(),
                &owner,
                None,
                json!({"subjects": sets[(i + round) % sets.len()]}),
            )
        });
        let answers = all(tasks.collect()).await;
        assert!(answers.iter().all(|(s, _)| *s == 200), "round {round}: {answers:?}");
    }
    let audits = app.audit_count("team.coverage.update");
    assert!(audits >= 1);
    assert_eq!(
        app.sql_i64(&format!("SELECT count(*) FROM ticket_coverage WHERE platform_admin_id = {}", seed.support_web)),
        app.get(&format!("/platform-admin/team/coverage/{}", seed.support_web))
            .bearer(&owner)
            .send()
            .await
            .expect(200)
            .json["subjects"]
            .as_array()
            .unwrap()
            .len() as i64
    );
}
